#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fuzz virtio-gpu-xen-lend-pci with libFuzzer for SECONDS (60): the target
# tests/qtest/fuzz/virtio_gpu_xen_lend_fuzz.c in the sanitized clang build
# (VGXL_SANITIZE=1, build-sanitize), from the committed seed corpus.
# Prints executions, coverage and crashes; exits 1 on a crash, a
# sanitizer report or a timeout (a wedged queue), whose reproducer is
# left in $CACHE/fuzz/crashes.  The corpus it grows is kept in
# $CACHE/fuzz/corpus for the next run.  The inputs of
# contrib/fuzz/virtio-gpu-xen-lend-regressions, each one that failed once,
# run first.
#
# usage: fuzz.sh [SECONDS]   (VGXL_FUZZ_RUNS=N stops after N inputs)

export VGXL_SANITIZE=1
. "$(dirname "$0")/common.sh"

secs=${1:-60}
work=$CACHE/fuzz
"$TOP/scripts/build.sh" qemu-fuzz-x86_64
python3 "$TOP/contrib/fuzz/virtio-gpu-xen-lend-corpus.py" "$work/seeds"
rm -rf "$work/crashes"
mkdir -p "$work/corpus" "$work/crashes"

# Every input the fuzzer once failed on runs first, as a regression test.
rm -rf "$work/regressions"
cp -r "$TOP/contrib/fuzz/virtio-gpu-xen-lend-regressions" "$work/regressions"
export ROOT_BINDS="$work:/fuzz"
log "fuzzer regressions: $(ls "$work/regressions" | tr '\n' ' ')"
in_sysroot sh -c 'cd "$1" && exec ./qemu-fuzz-x86_64 \
    --fuzz-target=virtio-gpu-xen-lend /fuzz/regressions/*' \
    sh "$QEMU_BUILD" >"$work/regressions.log" 2>&1 ||
    die "a fuzzer regression input fails again: see $work/regressions.log"
log "fuzzing for ${secs}s"
set +e
in_sysroot sh -c 'cd "$1" && exec ./qemu-fuzz-x86_64 \
    --fuzz-target=virtio-gpu-xen-lend -max_total_time="$2" \
    ${3:+-runs=$3} -timeout=60 -print_final_stats=1 \
    -artifact_prefix=/fuzz/crashes/ /fuzz/corpus /fuzz/seeds' \
    sh "$QEMU_BUILD" "$secs" "${VGXL_FUZZ_RUNS:-}" >"$work/fuzz.log" 2>&1
rc=$?
set -e

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
cov=$(grep -o 'cov: [0-9]*' "$work/fuzz.log" | tail -n1)
ft=$(grep -o 'ft: [0-9]*' "$work/fuzz.log" | tail -n1)
crashes=$(find "$work/crashes" -type f | wc -l)
log "fuzz: ${execs:-0} executions in ${secs}s, ${cov:-cov: ?}" \
    "edges, ${ft:-ft: ?} features, $crashes crash(es), exit $rc" \
    "(log: $work/fuzz.log)"
if [ "$rc" != 0 ] || [ "$crashes" != 0 ]; then
    grep -a -E -A25 'ERROR: (AddressSanitizer|libFuzzer)|runtime error|SUMMARY' \
        "$work/fuzz.log" | head -n 60 >&2
    ls "$work/crashes" >&2
    exit 1
fi
