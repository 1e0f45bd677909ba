#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Write the project as a "git format-patch" series against the pinned QEMU
# source, one commit per patch of patches/.  The patches that hook an
# area of the project into the build get that area's own files folded in,
# so that each commit builds on its own (scripts/test-series.sh checks
# it).  Every file build.sh lays over QEMU is in the series, but the
# guest programs of tests/guest, which are not QEMU's.
#
# usage: format-patch.sh [DIR]   (default out/patches)
#        format-patch.sh --commits REF
#                        make the series' commits in the QEMU repository of
#                        the sysroot and point REF at the last; no files

. "$(dirname "$0")/common.sh"

# The project's files that the commit of patch $1 adds.
area_files() {
    case $1 in
    *-hw-xen-memory-lending-core.patch)
        echo include/hw/xen hw/xen qapi tests/unit ;;
    *-virtio-gpu-xen-lend-add-the-device.patch)
        echo include/hw/virtio hw/display ;;
    *-tests-qtest-virtio-gpu-xen-lend.patch)
        echo tests/qtest/virtio-gpu-xen-lend-test.c tests/qtest/libqos \
             tests/qtest/xen-lend-fake-privcmd.c ;;
    *-tests-qtest-fuzz-build-the-virtio-gpu-xen-lend-target.patch)
        echo tests/qtest/fuzz ;;
    *-docs-virtio-gpu-xen-lend-and-Xen-memory-lending-in-the-manual.patch)
        echo docs ;;
    esac
}

ref=
if [ "${1:-}" = --commits ]; then
    ref=${2:?usage: format-patch.sh --commits REF}
else
    out=$(realpath -m "${1:-$TOP/out/patches}")
fi
"$TOP/scripts/sysroot.sh"
"$TOP/scripts/fetch-qemu.sh"
tree=$SYSROOT$QEMU_SRC
work=$(mktemp -d)
trap 'git -C "$tree" worktree remove --force "$work/qemu" 2>/dev/null;
      rm -rf "$work"' EXIT

git -C "$tree" worktree add -q --detach "$work/qemu" debian-base
cd "$work/qemu"
(cd "$TOP" && find hw include qapi tests docs -type f ! -path 'tests/guest/*' |
 sort) > "$work/overlay"
: > "$work/folded"
for p in "$TOP"/patches/*.patch; do
    git -c user.name=virtio-gpu-xen-lend \
        -c user.email=virtio-gpu-xen-lend@localhost am -q "$p" ||
        die "$(basename "$p") does not apply with git am"
    dirs=$(area_files "$(basename "$p")")
    [ -n "$dirs" ] || continue
    (cd "$TOP" && find $dirs -type f ! -path 'tests/guest/*') |
        while read -r f; do
            install -D -m 644 "$TOP/$f" "$f"
            git add "$f"
            echo "$f" >> "$work/folded"
        done
    git -c user.name=virtio-gpu-xen-lend \
        -c user.email=virtio-gpu-xen-lend@localhost \
        commit -q --amend --no-edit
done
left=$(sort "$work/folded" | comm -23 "$work/overlay" -)
[ -z "$left" ] || die "in no patch of the series: $left"

if [ -n "$ref" ]; then
    git update-ref "$ref" HEAD
    exit 0
fi
rm -rf "$out"
mkdir -p "$out"
git format-patch -q -o "$out" debian-base..HEAD
log "QEMU base: Debian qemu $(cat "$SYSROOT/src/qemu.version")"
ls "$out"
