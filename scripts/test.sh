#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build what is missing, then run every test suite.  Suites: qtest (the
# device against the real virglrenderer), series (each patch of the
# series builds and passes its tests), guest (a Linux guest running
# Vulkan through the device), sanitize (qtests, a guest and the fuzzer on
# a QEMU built with ASan and UBSan), deb (the Debian packages of a Xen
# host: lintian, install, upgrade, purge), xen (the device as the device
# model of an HVM guest on a real Xen 4.20, nested under TCG, installed
# from those packages).
# Usage: test.sh [SUITE...]

. "$(dirname "$0")/common.sh"

suites=${*:-qtest series guest sanitize deb xen}
start=$(date +%s)
"$TOP/scripts/build.sh" tests/qtest/device-introspect-test \
    tests/qtest/xen-lend-fake-privcmd.so tests/unit/test-xen-lend-table

failed=
for suite in $suites; do
    log "suite $suite"
    t0=$(date +%s)
    if "$TOP/scripts/test-$suite.sh"; then
        log "suite $suite: PASS ($(( $(date +%s) - t0 )) s)"
    else
        log "suite $suite: FAIL ($(( $(date +%s) - t0 )) s)"
        failed="$failed $suite"
    fi
done

log "all suites: $(( $(date +%s) - start )) s"
[ -z "$failed" ] || die "failed suites:$failed"
log "all tests passed"
