#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build (once) the Xen hypervisor with the project's XENMEM_lend patches:
# the vendored upstream Xen 4.20 tree, Debian's build configuration and
# Debian 13's compiler, the hypervisor only (no tools).  The result is kept
# under the hash of its inputs -- the tarball, the patches, the
# configuration and this script -- and reused while they do not change.
#
# Prints the path of the multiboot ELF 'xen' on stdout, nothing else.
# Results in $CACHE/xen-lend/<hash>: xen (ELF), xen.gz, config, version
# (upstream's: 4.20.4).

. "$(dirname "$0")/common.sh"

# The vendored upstream tree: beside the checkout, or the workplace's.
XEN_SRC=${VGXL_XEN_SRC:-$TOP/../shared/vendor/xen-4.20.4.tar.xz}
if [ -z "${VGXL_XEN_SRC:-}" ] && [ ! -r "$XEN_SRC" ]; then
    XEN_SRC=/work/shared/vendor/xen-4.20.4.tar.xz
fi
PATCH_DIR=$TOP/contrib/xen-lend/xen
XEN_DEB=xen-hypervisor-4.20-amd64
XEN_DEB_CONFIG=boot/xen-4.20-amd64.config
VENDORVERSION=-lend
OUT=$CACHE/xen-lend
DEB_CACHE=$OUT/debian
SCRATCH=$OUT/build
SCRATCH_IN_ROOT=/var/tmp/vgxl-xen-lend

[ -r "$XEN_SRC" ] || die "no Xen source tarball $XEN_SRC (set VGXL_XEN_SRC)"
XEN_SRC=$(cd "$(dirname "$XEN_SRC")" && pwd)/$(basename "$XEN_SRC")
patches=$(ls "$PATCH_DIR"/*.patch 2>/dev/null) ||
    die "no patches in $PATCH_DIR"

mkdir -p "$OUT"
# One build at a time: they share the scratch directory.
exec 9>"$OUT/.lock"
flock -n 9 || { log "waiting for another Xen build"; flock 9; }

if [ ! -e "$SYSROOT/.vgxl-packages" ]; then
    "$TOP/scripts/sysroot.sh"
fi

# Debian's build configuration of the same stable series, from the binary
# package (the mirror serves no Xen source package).  Fetched once.
if [ ! -s "$DEB_CACHE/config" ]; then
    log "fetching $XEN_DEB for its build configuration"
    rm -rf "$DEB_CACHE.tmp"
    mkdir -p "$DEB_CACHE.tmp"
    ROOT_BINDS="$DEB_CACHE.tmp:/var/tmp/vgxl-deb" in_sysroot sh -ec "
        cd /var/tmp/vgxl-deb
        get() { apt-get -q -o APT::Sandbox::User=root download $XEN_DEB; }
        get || { apt-get -q update && get; }
        dpkg-deb --fsys-tarfile ${XEN_DEB}_*.deb | tar -xO ./$XEN_DEB_CONFIG >config
    " >&2 || die "cannot get $XEN_DEB_CONFIG from $XEN_DEB"
    [ -s "$DEB_CACHE.tmp/config" ] || die "empty $XEN_DEB_CONFIG in $XEN_DEB"
    rm -rf "$DEB_CACHE"
    mv "$DEB_CACHE.tmp" "$DEB_CACHE"
fi

hash=$( { md5sum <"$XEN_SRC"
          cat $patches "$DEB_CACHE/config" "$TOP/scripts/${0##*/}"; } |
        md5sum | cut -d' ' -f1)
dest=$OUT/$hash

if [ ! -e "$dest/.vgxl-built" ]; then
    log "building Xen from $(basename "$XEN_SRC") with" \
        $(for p in $patches; do basename "$p"; done)
    start=$SECONDS
    rm -rf "$SCRATCH" "$dest.tmp"
    mkdir -p "$SCRATCH/src" "$dest.tmp"
    cp "$XEN_SRC" "$SCRATCH/xen.tar.xz"
    cp $patches "$DEB_CACHE/config" "$SCRATCH/"
    # The tarball's own timestamps (the release's commit date) and fixed
    # names for the builder make the build reproducible.
    ROOT_BINDS="$SCRATCH:$SCRATCH_IN_ROOT" in_sysroot sh -ec "
        cd $SCRATCH_IN_ROOT/src
        tar -xJf ../xen.tar.xz --strip-components=1
        for p in ../*.patch; do
            echo \"applying \${p#../}\"
            patch -p1 --forward --batch <\"\$p\"
        done
        cp ../config xen/.config
        export SOURCE_DATE_EPOCH=\$(stat -c %Y xen/Makefile)
        export XEN_WHOAMI=vgxl XEN_DOMAIN=invalid XEN_BUILD_HOST=vgxl
        make -C xen olddefconfig
        make -C xen -j$(nproc) XEN_VENDORVERSION=$VENDORVERSION build
        make -C xen -s xenversion >xen/version
    " >&2 || die "the Xen build failed; its tree is in $SCRATCH/src"

    built=$SCRATCH/src/xen
    [ "$(head -c 4 "$built/xen" | od -An -c | tr -d ' ')" = '177ELF' ] ||
        die "$built/xen is not an ELF file"
    grep -aq -- "$VENDORVERSION" "$built/xen" ||
        die "$built/xen lacks the version suffix $VENDORVERSION"
    cp "$built/xen" "$built/xen.gz" "$built/version" "$dest.tmp/"
    cp "$built/.config" "$dest.tmp/config"
    touch "$dest.tmp/.vgxl-built"
    rm -rf "$dest"
    mv "$dest.tmp" "$dest"
    rm -rf "$SCRATCH"
    log "Xen built in $((SECONDS - start)) s: $dest"
fi

# Only the current build is kept.
for d in "$OUT"/*; do
    case ${d##*/} in
    "$hash"|debian|build) ;;
    *) rm -rf "$d" ;;
    esac
done

echo "$dest/xen"
