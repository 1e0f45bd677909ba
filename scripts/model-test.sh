#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The model-based randomized qtest (lend/model, lend/model-trap and
# lend/privcmd-model in tests/qtest/virtio-gpu-xen-lend-test.c) over STEPS
# steps per lending mode (1000000), from SEED (random) when given.  The qtest suite runs it
# over 5000 steps per mode.  A failure prints the seed and the shortest
# list of steps that fails.
#
# usage: model-test.sh [STEPS [SEED]]

. "$(dirname "$0")/common.sh"

steps=${1:-1000000}
"$TOP/scripts/build.sh" tests/qtest/xen-lend-fake-privcmd.so
start=$SECONDS
in_sysroot sh -ec '
    cd "$1"
    export QTEST_QEMU_BINARY=./qemu-system-x86_64 VGXL_MODEL_STEPS=$2
    export XEN_LEND_FAKE_PRIVCMD=$PWD/tests/qtest/xen-lend-fake-privcmd.so
    [ -z "$3" ] || export VGXL_MODEL_SEED=$3
    paths=$(tests/qtest/qos-test -l | sed -n "s@^# \(/.*lend/\(privcmd-\)\?model.*\)@-p \1@p")
    [ -n "$paths" ] || { echo "no lend/model qtests"; exit 1; }
    exec tests/qtest/qos-test --tap -k -m thorough $paths
' sh "$QEMU_BUILD" "$steps" "${2:-}"
log "model: $steps steps per mode passed in $((SECONDS - start)) s"
