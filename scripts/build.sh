#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build what is missing: the userland, the QEMU source, the overlay of the
# project's files and patches, and the binaries.  Incremental: only what
# changed is copied, so ninja rebuilds only what depends on it.

. "$(dirname "$0")/common.sh"

"$TOP/scripts/sysroot.sh"
"$TOP/scripts/fetch-qemu.sh"

tree=$SYSROOT$QEMU_SRC
cd "$TOP"

# The project's patches to QEMU files.  The patched tree is made in a
# scratch index and only files whose content differs are written, so
# that changing the series rebuilds only what it touches.
series_hash=$(cat patches/*.patch | md5sum | cut -d' ' -f1)
if [ "$(cat "$tree/.git/vgxl-series" 2>/dev/null)" != "$series_hash" ]; then
    log "applying patches/"
    export GIT_INDEX_FILE=$tree/.git/vgxl-index
    rm -f "$GIT_INDEX_FILE"
    git -C "$tree" read-tree debian-base
    for p in patches/*.patch; do
        git -C "$tree" apply --cached --whitespace=nowarn "$TOP/$p" ||
            die "$p does not apply to $(cat "$SYSROOT/src/qemu.version")"
    done
    git -C "$tree" update-index -q --refresh >/dev/null || true
    git -C "$tree" diff --name-only | while read -r f; do
        git -C "$tree" checkout-index -f -- "$f"
    done
    unset GIT_INDEX_FILE
    echo "$series_hash" > "$tree/.git/vgxl-series"
fi

# The project's own files.  An overlaid file must never replace one of
# QEMU's: that would be a fork, not a patch.
overlay_list=$tree/.git/vgxl-overlay
new_list=$(mktemp)
find hw include qapi tests docs -type f | sort > "$new_list"
while read -r f; do
    if git -C "$tree" cat-file -e "debian-base:$f" 2>/dev/null; then
        die "$f would replace QEMU's own file; change it with a patch instead"
    fi
    if ! cmp -s "$f" "$tree/$f"; then
        install -D -m 644 "$f" "$tree/$f"
    fi
done < "$new_list"
if [ -f "$overlay_list" ]; then
    comm -23 "$overlay_list" "$new_list" | while read -r f; do
        rm -f "$tree/$f"
    done
fi
mv "$new_list" "$overlay_list"

CONFIGURE=$QEMU_CONFIGURE
# The sanitized build is clang's, so that it also links the libFuzzer
# target: one build for both.
if [ "${VGXL_SANITIZE:-0}" = 1 ]; then
    CONFIGURE="$CONFIGURE --cc=clang --cxx=clang++ --enable-asan
        --enable-ubsan --enable-fuzzing"
fi
build=$SYSROOT$QEMU_BUILD
if [ ! -f "$build/build.ninja" ] ||
   [ "$(cat "$build/vgxl-configure" 2>/dev/null)" != "$CONFIGURE" ]; then
    log "configuring QEMU in $QEMU_BUILD"
    rm -f "$build/vgxl-configure"
    in_sysroot sh -ec "mkdir -p $QEMU_BUILD && cd $QEMU_BUILD &&
                       ../configure $(echo $CONFIGURE)" >&2 ||
        die "configure failed"
    echo "$CONFIGURE" > "$build/vgxl-configure"
fi
if [ -n "$SANITIZER_ENV" ]; then
    install -m 644 scripts/sanitizer-leaks.supp "$build/"
fi

log "building"
in_sysroot sh -ec "cd $QEMU_BUILD && ninja qemu-system-x86_64 \
    tests/qtest/qos-test $*" >&2 || die "build failed"

bundle_firmware "$build"
