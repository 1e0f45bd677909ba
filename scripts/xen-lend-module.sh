#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the dom0 half of Xen memory lending, the xen_lend module of
# contrib/xen-lend/linux, and its test tool, inside the Debian 13 dom0 root
# of xen-dom0.sh: against the linux-headers package of the very kernel that
# dom0 boots (MODVERSIONS is on), with that root's gcc-14; the test tool
# in the sysroot, which has libc's headers.  Cached by the hash of the
# sources, the kernel and its headers' exact version.
# usage: xen-lend-module.sh ROOT; prints the directory that holds
# xen_lend.ko and xen-lend-test.

. "$(dirname "$0")/common.sh"

root=${1:?usage: $0 ROOT}
src=$TOP/contrib/xen-lend/linux
kver=$(ls "$root/usr/lib/modules" | sort -V | tail -n1)
[ -n "$kver" ] || die "no kernel in $root/usr/lib/modules"
headers=$(in_root "$root" dpkg-query -W -f '${Version}' \
              "linux-headers-$kver" 2>/dev/null) ||
    die "no linux-headers-$kver in $root: add linux-headers-amd64 to its packages"
image=$(in_root "$root" dpkg-query -W -f '${Version}' "linux-image-$kver")
[ "$headers" = "$image" ] ||
    die "linux-headers-$kver is $headers but the kernel is $image"

hash=$( { echo "$kver $headers"; cat "$src"/* "$0" \
          "$TOP/include/hw/xen/privcmd-lend.h"; } | md5sum | cut -d' ' -f1)
out=$CACHE/xen-lend-module/$hash
if [ ! -f "$out/.done" ]; then
    log "building the xen_lend module for $kver ($headers)"
    # A copy laid out as the repository is: the module includes the
    # uAPI header from include/.
    work=$root/var/tmp/xen-lend-build
    rm -rf "$work"
    mkdir -p "$work/contrib/xen-lend/linux" "$work/include/hw/xen"
    cp "$src"/* "$work/contrib/xen-lend/linux/"
    cp "$TOP/include/hw/xen/privcmd-lend.h" "$work/include/hw/xen/"
    in_root "$root" sh -ec "
        cd /var/tmp/xen-lend-build/contrib/xen-lend/linux
        make KDIR=/usr/src/linux-headers-$kver modules
    " >&2 || die "building the xen_lend module failed"
    # The tool needs libc's headers: the sysroot has them, dom0 need not.
    ROOT_BINDS="$work:/var/tmp/xen-lend-build" in_sysroot sh -ec "
        cd /var/tmp/xen-lend-build/contrib/xen-lend/linux
        make xen-lend-test
    " >&2 || die "building xen-lend-test failed"
    rm -rf "$out"
    mkdir -p "$out"
    cp "$work/contrib/xen-lend/linux/xen_lend.ko" \
        "$work/contrib/xen-lend/linux/xen-lend-test" "$out/"
    rm -rf "$work"
    find "$CACHE/xen-lend-module" -mindepth 1 -maxdepth 1 \
        ! -name "$hash" -exec rm -rf {} +
    touch "$out/.done"
fi
echo "$out"
