#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The series bisects: each commit that "./vgxl patches" writes, applied
# one by one onto the clean QEMU tree, builds, and passes the tests that
# exist by then: device-introspect-test always, the lending table's unit
# test once the core is in, the device's qtests once they are in (the
# model walk shortened), and its patch passes checkpatch.  The tree of
# commits is checked out in $SYSROOT/src/qemu-series with a build
# directory of its own; only the files a commit changes are rewritten, so
# each step rebuilds what it touches.  A commit whose tree passed before
# is not checked again (tree ids are the cache key): usually only the
# project's own patches at the end are.

. "$(dirname "$0")/common.sh"

"$TOP/scripts/format-patch.sh" --commits refs/vgxl/series
tree=$SYSROOT$QEMU_SRC
series_src=/src/qemu-series
wt=$SYSROOT$series_src
mkdir -p "$wt"

# A work tree of the QEMU repository with an index of its own: the
# repository's HEAD and the main tree stay as they are.
series_git() {
    GIT_DIR=$tree/.git GIT_WORK_TREE=$wt GIT_INDEX_FILE=$wt/.vgxl-index \
        git "$@"
}

commits=$(git -C "$tree" rev-list --reverse debian-base..refs/vgxl/series)
[ -n "$commits" ] || die "series: format-patch.sh made no commits"
# The tree of a commit decides what it builds and how its tests go: the
# trees that passed are listed, and not checked again.
passed_list=$wt/.vgxl-passed-trees
touch "$passed_list"

# From what is checked out now (or nothing) to commit $1.
checkout() {
    local at
    at=$(cat "$wt/.vgxl-at" 2>/dev/null || true)
    if [ -n "$at" ] && series_git cat-file -e "$at" 2>/dev/null; then
        series_git read-tree -m -u "$at" "$1"
    else
        series_git read-tree --reset -u "$1"
    fi
    echo "$1" > "$wt/.vgxl-at"
}

checkout debian-base
if [ "$(cat "$wt/build/vgxl-configure" 2>/dev/null)" != "$QEMU_CONFIGURE" ]
then
    log "series: configuring QEMU in $series_src/build"
    rm -rf "$wt/build"
    : > "$passed_list"      # passed as configured before
    in_sysroot sh -ec "mkdir -p $series_src/build && cd $series_src/build &&
                       ../configure $(echo $QEMU_CONFIGURE)" >&2 ||
        die "series: configure failed"
    echo "$QEMU_CONFIGURE" > "$wt/build/vgxl-configure"
fi

n=0
tested=     # the step whose build the last tests ran on
for c in $commits; do
    n=$((n + 1))
    subject=$(git -C "$tree" log -1 --format=%s "$c")
    step_tree=$(git -C "$tree" rev-parse "$c^{tree}")
    if grep -qx "$step_tree" "$passed_list"; then
        log "series: patch $n passed before as it is: $subject"
        continue
    fi
    checkout "$c"
    git -C "$tree" format-patch -1 --stdout "$c" >"$CACHE/series-step.patch"
    perl "$wt/scripts/checkpatch.pl" --no-tree -q "$CACHE/series-step.patch" ||
        die "series: patch $n ($subject) is not checkpatch-clean"
    # The tests that exist at this commit; the fake privcmd when they do.
    # A commit that changes meson files changes the targets.
    in_sysroot sh -c '
        cd "$1/build"
        ninja build.ninja || exit 1
        targets="qemu-system-x86_64 tests/qtest/qos-test
                 tests/qtest/device-introspect-test"
        for t in tests/unit/test-xen-lend-table \
                 tests/qtest/xen-lend-fake-privcmd.so; do
            if ninja -t query "$t" >/dev/null 2>&1; then
                targets="$targets $t"
            fi
        done
        ninja $targets
    ' sh "$series_src" >"$CACHE/series-build.log" 2>&1 || {
        tail -n 30 "$CACHE/series-build.log" >&2
        die "series: patch $n does not build: $subject"
    }
    bundle_firmware "$wt/build"
    # Nothing rebuilt: the binaries are the ones the last step tested.
    if [ "$tested" = "$((n - 1))" ] && tail -n 1 "$CACHE/series-build.log" |
            grep -q '^ninja: no work to do'; then
        log "series: patch $n builds, changes no binary: $subject"
        echo "$step_tree" >> "$passed_list"
        tested=$n
        continue
    fi
    in_sysroot sh -c '
        cd "$1/build"
        export QTEST_QEMU_BINARY=./qemu-system-x86_64 VGXL_MODEL_STEPS=500
        tests/qtest/device-introspect-test --tap -k ||
            echo "Bail out! device-introspect-test"
        if [ -x tests/unit/test-xen-lend-table ]; then
            tests/unit/test-xen-lend-table --tap -k ||
                echo "Bail out! test-xen-lend-table"
        fi
        paths=$(tests/qtest/qos-test -l |
                sed -n "s@^# \(/.*xen-lend.*\)@-p \1@p")
        if [ -n "$paths" ]; then
            tests/qtest/qos-test --tap -k $paths || echo "Bail out! qos-test"
        fi
    ' sh "$series_src" >"$CACHE/series-step.tap" 2>&1
    passed=$(grep -c '^ok ' "$CACHE/series-step.tap" || true)
    if grep -q -e '^not ok ' -e '^Bail out!' -e '# SKIP' \
            "$CACHE/series-step.tap"; then
        grep -E '^(not ok|Bail out!)|# SKIP|ERROR' "$CACHE/series-step.tap" >&2
        die "series: patch $n fails its tests: $subject" \
            "(log: $CACHE/series-step.tap)"
    fi
    log "series: patch $n builds, $passed tests pass: $subject"
    echo "$step_tree" >> "$passed_list"
    tested=$n
done
log "series: all $n patches build and pass their tests"
