#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the Debian 13 packages of a Xen host (contrib/debian/README.rst)
# and check each with lintian:
#
#   virtio-gpu-xen-lend              the device model (build.sh's QEMU)
#   xen-lend-dkms                    the xen_lend module, as DKMS source
#   xen-hypervisor-4.20-lend-amd64   Xen with XENMEM_lend
#                                    (xen-lend-hypervisor.sh)
#
# usage: deb.sh [DIR]   (default $CACHE/deb); prints the three paths.
# VGXL_DEB_SUFFIX is appended to every version (an upgrade test builds a
# later set with it).  lintian's tags are in DIR/lintian.txt; an error
# fails the build.

. "$(dirname "$0")/common.sh"

out=${1:-$CACHE/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
DEB_SRC=$TOP/contrib/debian
MAINTAINER="virtio-gpu-xen-lend developers <virtio-gpu-xen-lend@lists.example.org>"
PREFIX=/usr/lib/virtio-gpu-xen-lend
XEN_SERIES=4.20

"$TOP/scripts/build.sh" >&2
xen_dir=$(dirname "$("$TOP/scripts/xen-lend-hypervisor.sh")") ||
    die "cannot build the hypervisor with XENMEM_lend"

# Versions: the project's is 0.1.N, N its number of commits, so that a
# later commit is a later package.
n=$(git -C "$TOP" rev-list --count HEAD 2>/dev/null) || n=0
project=0.1.$n
qemu=$(sed 's/^[0-9]*://; s/[+~-].*//' "$SYSROOT/src/qemu.version")
xen=$(cat "$xen_dir/version")
suffix=${VGXL_DEB_SUFFIX:-}
# The date of the commit, for reproducible changelogs and timestamps.
SOURCE_DATE_EPOCH=$(git -C "$TOP" log -1 --format=%ct 2>/dev/null) ||
    SOURCE_DATE_EPOCH=0
export SOURCE_DATE_EPOCH

xen_pkg=xen-hypervisor-$XEN_SERIES-lend-amd64
dm_version=$qemu+vgxl$project$suffix
dkms_version=$project$suffix
xen_version=$xen+vgxl$project$suffix
versions="virtio-gpu-xen-lend=$dm_version xen-lend-dkms=$dkms_version"
versions="$versions $xen_pkg=$xen_version"

# The packages of DIR, if they are of these very inputs.
inputs=$( { echo "$versions $SOURCE_DATE_EPOCH"
            cat "$SYSROOT$QEMU_BUILD/qemu-system-x86_64" "$xen_dir/xen.gz" \
                "$xen_dir/config" "$DEB_SRC"/* "$TOP"/contrib/xen-lend/linux/* \
                "$TOP/include/hw/xen/privcmd-lend.h" "$0" \
                "$TOP/docs/system/devices/virtio-gpu-xen-lend-xl.cfg"; } |
          md5sum | cut -d' ' -f1)
debs() {
    local pv
    for pv in $versions; do
        ls "$out/${pv%%=*}_${pv#*=}"_*.deb || return 1
    done
}
if [ "$(cat "$out/.vgxl-inputs" 2>/dev/null)" = "$inputs" ] &&
   debs >/dev/null 2>&1; then
    log "packages up to date in $out"
    debs
    exit 0
fi
rm -f "$out/.vgxl-inputs" "$out/virtio-gpu-xen-lend_"*.deb \
    "$out/xen-lend-dkms_"*.deb "$out/${xen_pkg}_"*.deb

# Staged in the sysroot, which has dpkg-dev and lintian; DIR is bound
# into it as /var/tmp/vgxl-deb-out.
work=$SYSROOT/var/tmp/vgxl-deb
rm -rf "$work"
mkdir -p "$work"

# stage PKG VERSION: the package's tree with its doc directory, control
# file (fields filled in after the tree is complete) and maintainer
# scripts.
stage() {
    local pkg=$1 version=$2 tree=$work/$1 doc s
    doc=$tree/usr/share/doc/$pkg
    install -d "$doc" "$tree/DEBIAN"
    install -m 644 "$DEB_SRC/$pkg.copyright" "$doc/copyright"
    printf '%s (%s) unstable; urgency=medium\n\n  * %s\n\n -- %s  %s\n' \
        "$pkg" "$version" \
        "virtio-gpu-xen-lend $project$suffix, $(git -C "$TOP" \
            rev-parse --short HEAD 2>/dev/null || echo unknown)." \
        "$MAINTAINER" "$(date -R -u -d "@$SOURCE_DATE_EPOCH")" |
        gzip -9n >"$doc/changelog.gz"
    for s in postinst prerm postrm; do
        [ ! -e "$DEB_SRC/$pkg.$s" ] ||
            sed "s/@MODULE_VERSION@/$project$suffix/g" "$DEB_SRC/$pkg.$s" \
                >"$tree/DEBIAN/$s"
        [ ! -e "$tree/DEBIAN/$s" ] || chmod 755 "$tree/DEBIAN/$s"
    done
}

# The device model.
stage virtio-gpu-xen-lend "$dm_version"
dm=$work/virtio-gpu-xen-lend
install -d "$dm$PREFIX/bin" "$dm$PREFIX/share" "$dm$PREFIX/lib/ipxe" \
    "$dm/usr/share/doc/virtio-gpu-xen-lend/examples"
install -m 755 "$SYSROOT$QEMU_BUILD/qemu-system-x86_64" "$dm$PREFIX/bin/"
# QEMU looks for its data and firmware relative to its binary (built for
# /usr/bin): there, Debian's.
ln -s ../../../share/qemu "$dm$PREFIX/share/qemu"
ln -s ../../../share/seabios "$dm$PREFIX/share/seabios"
ln -s ../../../ipxe/qemu "$dm$PREFIX/lib/ipxe/qemu"
sed "s@^device_model_override = .*@device_model_override = \"$PREFIX/bin/qemu-system-x86_64\"@" \
    "$TOP/docs/system/devices/virtio-gpu-xen-lend-xl.cfg" \
    >"$dm/usr/share/doc/virtio-gpu-xen-lend/examples/virtio-gpu-xen-lend-xl.cfg"
grep -q "^device_model_override = \"$PREFIX/" \
    "$dm/usr/share/doc/virtio-gpu-xen-lend/examples/virtio-gpu-xen-lend-xl.cfg" ||
    die "the xl.cfg example names no device_model_override"

# The module, as DKMS source: the directory as it is, the uAPI header in
# its include/.
stage xen-lend-dkms "$dkms_version"
src=$work/xen-lend-dkms/usr/src/xen-lend-$dkms_version
install -d "$src/include/hw/xen"
install -m 644 "$TOP"/contrib/xen-lend/linux/{Kbuild,xen-lend.c,xen-lend.h} \
    "$src/"
sed "s/#MODULE_VERSION#/$dkms_version/" \
    "$TOP/contrib/xen-lend/linux/dkms.conf" >"$src/dkms.conf"
install -m 644 "$TOP/include/hw/xen/privcmd-lend.h" "$src/include/hw/xen/"

# The hypervisor, beside Debian's.
stage "$xen_pkg" "$xen_version"
install -d "$work/$xen_pkg/boot"
install -m 644 "$xen_dir/xen.gz" \
    "$work/$xen_pkg/boot/xen-$XEN_SERIES-lend-amd64.gz"
install -m 644 "$xen_dir/config" \
    "$work/$xen_pkg/boot/xen-$XEN_SERIES-lend-amd64.config"

log "packaging in the sysroot: virtio-gpu-xen-lend $dm_version," \
    "xen-lend-dkms $dkms_version, $xen_pkg $xen_version"
cp "$DEB_SRC"/*.control "$work/"
ROOT_BINDS="$out:/var/tmp/vgxl-deb-out" in_sysroot \
    SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" sh -ec '
    cd /var/tmp/vgxl-deb
    maint=$1
    shift
    strip --strip-unneeded --remove-section=.comment --remove-section=.note \
        virtio-gpu-xen-lend/usr/lib/virtio-gpu-xen-lend/bin/qemu-system-x86_64
    # dpkg-shlibdeps wants a source package around it.
    mkdir -p debian
    printf "Source: vgxl\n\nPackage: virtio-gpu-xen-lend\nArchitecture: any\n" \
        >debian/control
    shlibs=$(dpkg-shlibdeps -O \
        virtio-gpu-xen-lend/usr/lib/virtio-gpu-xen-lend/bin/qemu-system-x86_64 |
        sed -n "s/^shlibs:Depends=//p")
    [ -n "$shlibs" ]
    for pv in "$@"; do
        pkg=${pv%%=*} version=${pv#*=}
        find "$pkg" -path "$pkg/DEBIAN" -prune -o -type f -printf "%P\0" |
            (cd "$pkg" && xargs -0r md5sum) >"$pkg/DEBIAN/md5sums"
        size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
        sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" \
            -e "s/@MAINTAINER@/$maint/" -e "s/@SHLIBS@/$shlibs/" \
            "$pkg.control" >"$pkg/DEBIAN/control"
        find "$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
        arch=$(sed -n "s/^Architecture: //p" "$pkg/DEBIAN/control")
        dpkg-deb --root-owner-group -Zxz --build "$pkg" \
            "/var/tmp/vgxl-deb-out/${pkg}_${version}_$arch.deb" >/dev/null
    done
' sh "$MAINTAINER" $versions >&2 || die "packaging failed; see $work"

debs=$(debs) || die "a package is missing in $out"

# lintian: no error, and every other tag on record.
ROOT_BINDS="$out:/var/tmp/vgxl-deb-out" in_sysroot sh -c '
    cd /var/tmp/vgxl-deb-out
    shift
    lintian --no-cfg --tag-display-limit 0 --display-info "$@"
' sh x $(for f in $debs; do echo "${f##*/}"; done) >"$out/lintian.txt" 2>&1
if grep -q '^E: ' "$out/lintian.txt"; then
    grep '^E: ' "$out/lintian.txt" >&2
    die "lintian found errors (all its tags in $out/lintian.txt)"
fi
rm -rf "$work"
echo "$inputs" >"$out/.vgxl-inputs"
log "packages in $out, lintian's tags in $out/lintian.txt:" \
    "$(grep -c '^W: ' "$out/lintian.txt") warnings," \
    "$(grep -c '^I: ' "$out/lintian.txt") notes"
echo "$debs"
