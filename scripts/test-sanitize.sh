#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The device under AddressSanitizer and UndefinedBehaviorSanitizer: a
# second QEMU built with both by clang (VGXL_SANITIZE=1, build-sanitize),
# on which every qtest runs, then a guest whose Vulkan compute and blob
# stress go through the device, then the libFuzzer target for a fixed
# budget (scripts/fuzz.sh; VGXL_FUZZ_SECS, 60).  A sanitizer report,
# leaks included, ends QEMU with status 66, which fails the test that
# started it.  The whole guest suite runs on this build with
# VGXL_SANITIZE=1 ./vgxl test guest.

export VGXL_SANITIZE=1
. "$(dirname "$0")/common.sh"

"$TOP/scripts/build.sh" tests/qtest/device-introspect-test \
    tests/qtest/xen-lend-fake-privcmd.so tests/unit/test-xen-lend-table \
    qemu-fuzz-x86_64

failed=
# The model-based qtest walks fewer steps: ASan makes each 30 ms.
VGXL_MODEL_STEPS=1000 "$TOP/scripts/test-qtest.sh" || failed="$failed qtest"
"$TOP/scripts/guest-image.sh"
# A sanitized QEMU runs TCG two to three times slower.
VGXL_APPEND=vgxl.iters=300 "$TOP/scripts/run-guest.sh" --timeout 900 \
    compute,stress || failed="$failed guest:compute,stress"
"$TOP/scripts/fuzz.sh" "${VGXL_FUZZ_SECS:-60}" || failed="$failed fuzz"
[ -z "$failed" ] || die "sanitized:$failed"
