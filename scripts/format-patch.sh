#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Write the project as a "git format-patch" series against the pinned QEMU
# source: first the project's patches to QEMU files, then one commit per
# area that adds the project's own files.  Output: $1 (default out/patches).

. "$(dirname "$0")/common.sh"

out=$(realpath -m "${1:-$TOP/out/patches}")
"$TOP/scripts/sysroot.sh"
"$TOP/scripts/fetch-qemu.sh"
tree=$SYSROOT$QEMU_SRC
work=$(mktemp -d)
trap 'git -C "$tree" worktree remove --force "$work/qemu" 2>/dev/null;
      rm -rf "$work"' EXIT

git -C "$tree" worktree add -q --detach "$work/qemu" debian-base
cd "$work/qemu"
git am -q "$TOP"/patches/*.patch ||
    die "patches/ do not apply with git am"

add_area() {
    local subject=$1 body=$2
    shift 2
    (cd "$TOP" && find "$@" -type f 2>/dev/null) | while read -r f; do
        install -D -m 644 "$TOP/$f" "$f"
        git add "$f"
    done
    if git diff --cached --quiet; then
        return 0
    fi
    git -c user.name=virtio-gpu-xen-lend \
        -c user.email=virtio-gpu-xen-lend@localhost \
        commit -q -s -m "$subject" -m "$body"
}
add_area "virtio-gpu-xen-lend: add the device" \
    "virtio-gpu with Venus, virgl and 2D and a hostmem window whose blob
mappings are lent to the guest." \
    include/hw/virtio hw/display
add_area "hw/xen: memory lending core and hypervisor ops" \
    "Derives lent ranges from the window's place and the mapped blobs." \
    include/hw/xen hw/xen qapi
add_area "tests/qtest: virtio-gpu-xen-lend tests" \
    "libqos driver and qtests for virtio-gpu-xen-lend-pci." tests
add_area "docs: virtio-gpu-xen-lend" \
    "Device documentation and the memory lending ABI." docs

rm -rf "$out"
mkdir -p "$out"
git format-patch -q -o "$out" debian-base..HEAD
log "QEMU base: Debian qemu $(cat "$SYSROOT/src/qemu.version")"
ls "$out"
