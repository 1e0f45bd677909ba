#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fetch the pinned QEMU source, Debian's "qemu" source package of the
# 10.0.x family with Debian's patches applied, into the userland as a git
# tree whose first commit is the pristine source.

. "$(dirname "$0")/common.sh"

tree=$SYSROOT$QEMU_SRC
if [ -f "$SYSROOT/src/qemu.version" ]; then
    exit 0
fi

version=$(in_sysroot apt-cache showsrc qemu 2>/dev/null |
          sed -n 's/^Version: //p' | grep "^1:$QEMU_FAMILY" |
          sort -u | while read -r v; do echo "$v"; done |
          (best=; while read -r v; do
               if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
                   best=$v
               fi
           done; echo "$best"))
[ -n "$version" ] ||
    die "the mirror serves no qemu source of the $QEMU_FAMILY family for" \
        "$DEBIAN_SUITE any more; update QEMU_FAMILY in scripts/common.sh" \
        "and rebase patches/"
log "QEMU source: Debian qemu $version"

rm -rf "$SYSROOT/src"
mkdir -p "$SYSROOT/src/dl"
in_sysroot sh -ec "cd /src/dl && apt-get source -q qemu=$version" >&2 ||
    die "apt-get source qemu=$version failed"
mv "$SYSROOT"/src/dl/qemu-*/ "$tree"
rm -rf "$SYSROOT/src/dl"
(
    cd "$tree"
    git init -q
    git config user.name "virtio-gpu-xen-lend"
    git config user.email "virtio-gpu-xen-lend@localhost"
    git add -A -f
    git commit -q -m "Debian qemu $version"
    git tag debian-base
)
echo "$version" > "$SYSROOT/src/qemu.version"
