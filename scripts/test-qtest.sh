#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The unit tests and qtests of virtio-gpu-xen-lend, run inside the
# Debian 13 userland against the built qemu-system-x86_64 and the real
# virglrenderer.

. "$(dirname "$0")/common.sh"

tap=$CACHE/qtest${SANITIZER_ENV:+-sanitize}.tap
in_sysroot sh -c '
    cd "$1"
    export QTEST_QEMU_BINARY=./qemu-system-x86_64
    # Preloaded into QEMU and so into its render server: the one of the
    # plain build, which needs no sanitizer runtime.
    export XEN_LEND_FAKE_PRIVCMD=$3/tests/qtest/xen-lend-fake-privcmd.so
    export VGXL_MODEL_STEPS=$2
    tests/unit/test-xen-lend-table --tap -k ||
        echo "Bail out! test-xen-lend-table failed"
    paths=$(tests/qtest/qos-test -l | sed -n "s@^# \(/.*xen-lend.*\)@-p \1@p")
    if [ -z "$paths" ]; then
        echo "Bail out! no virtio-gpu-xen-lend qtests"
        exit 1
    fi
    tests/qtest/qos-test --tap -k $paths || echo "Bail out! qos-test failed"
    # Every QEMU device, whose upstream leaks are not ours to report.
    ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0" \
        tests/qtest/device-introspect-test --tap -k ||
        echo "Bail out! device-introspect-test failed"
' sh "$QEMU_BUILD" "${VGXL_MODEL_STEPS:-5000}" "$QEMU_SRC/build" 2>&1 | tee "$tap" | grep -E '^(ok|not ok|Bail out!)' || true

passed=$(grep -c '^ok ' "$tap" || true)
failed=$(grep -c -e '^not ok ' -e '^Bail out!' -e '# SKIP' "$tap" || true)
log "qtest: $passed passed, $failed failed (log: $tap)"

# QEMU's manual with the project's pages in it, built as QEMU builds it,
# every warning an error.  It does not depend on the build: plain run only.
docs=ok
if [ -z "${SANITIZER_ENV:-}" ]; then
    if in_sysroot sh -c 'cd "$1" && rm -rf /tmp/vgxl-docs &&
            sphinx-build -q -W --keep-going -b html \
                -d /tmp/vgxl-docs/doctrees docs /tmp/vgxl-docs/html' \
            sh "$QEMU_SRC" >"$CACHE/docs.log" 2>&1; then
        log "docs: QEMU's manual and the project's pages build with -W"
    else
        cat "$CACHE/docs.log"
        log "docs: sphinx-build -W failed (log: $CACHE/docs.log)"
        docs=failed
    fi
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && [ $docs = ok ]
