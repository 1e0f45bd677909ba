#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# End to end: a Debian 13 guest kernel and Mesa's Venus and virgl drivers
# use the device under TCG, with no GL display (virgl in an EGL context of
# its own, on llvmpipe).  Vulkan compute and the blob stress with each
# lending mode; the stress again while the host revokes every slot over
# QMP; OpenGL ES through virgl and through zink on Venus, checked pixel by
# pixel, and again after a GL client was killed mid-frame; a GL frame, the
# fbdev console and a Venus blob scanned out, each
# checked with a QMP screendump, the last two in Venus-only mode.

. "$(dirname "$0")/common.sh"

GUEST=$CACHE/guest
failed=
check() {
    local name=$1 t0=$SECONDS
    shift
    if "$@"; then
        log "e2e $name: PASS ($((SECONDS - t0)) s)"
    else
        log "e2e $name: FAIL ($((SECONDS - t0)) s)"
        failed="$failed $name"
    fi
}

lend() {
    echo "-global virtio-gpu-xen-lend-device.lend=$1"
}

# The stress runs while a QMP client revokes every slot again and again;
# the guest must see no wrong byte and the counters must show the faults.
stress_revoked() {
    local stats pid
    spawn "$TOP/scripts/run-guest.sh" stress $(lend emulated)
    pid=$!
    stats=$(python3 "$TOP/scripts/qmp.py" "$GUEST/run/stress.qmp" \
            revoke-loop 600)
    wait $pid || return 1
    log "lend-stats at the end: $stats"
    python3 -c 'import json, sys
s = json.loads(sys.argv[1])
sys.exit(not (s["revocations"] > 0 and s["faults"] > 0 and
              s["relends"] > 0))' "$stats"
}

# Run JOB with QEMU options OPTS, and take a screendump into
# $GUEST/run/JOB.ppm once it is ready.
screendump_of() {
    local job=$1 pid
    shift
    rm -f "$GUEST/run/$job.ppm" "$GUEST/log/$job.log"
    spawn "$TOP/scripts/run-guest.sh" "$job" "$@"
    pid=$!
    for _ in $(seq 300); do
        grep -q VGXL-SCREENDUMP-READY "$GUEST/log/$job.log" 2>/dev/null &&
            break
        sleep 1
    done
    python3 "$TOP/scripts/qmp.py" "$GUEST/run/$job.qmp" screendump \
        "/guest/run/$job.ppm" || return 1
    wait $pid
}

# A GL frame as the KMS framebuffer, virgl read back into the 2D console:
# the screen shows what vgxl-gl read back, upright (GL's row 0 at the
# bottom).
glscanout() {
    screendump_of glscanout || return 1
    python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
magic, size, _, px = d.split(b"\n", 3)
w, h = map(int, size.split())
rects = ((16, 16, 64, 32, (255, 0, 0)), (40, 30, 50, 60, (0, 255, 0)))
def pixel(x, y):
    for rx, ry, rw, rh, c in rects[::-1]:
        if rx <= x < rx + rw and ry <= y < ry + rh:
            return c
    return ((x * 7 + y) & 255, (y * 3) & 255, (x + 2 * y) & 255)
want = bytes(c for sy in range(h) for x in range(w)
             for c in pixel(x, h - 1 - sy))
bad = sum(px[i:i + 3] != want[i:i + 3] for i in range(0, len(want), 3))
print("screendump: %dx%d, %d pixels differ" % (w, h, bad))
sys.exit(magic != b"P6" or len(px) != len(want) or bad > 0)' \
        "$GUEST/run/glscanout.ppm"
}

# A well-behaved guest logs no error of the virtio-gpu driver, with virgl
# off (its fbdev client once made a context the device refused) or on.
quiet_log() {
    ! grep -a "virtio_gpu.*\*ERROR\*" "$GUEST/log/console.log" \
        "$GUEST/log/gl.log"
}

venus_only="-global virtio-gpu-xen-lend-device.virgl=off"

# fbdev on 2D resources with virgl off: the screen must not be blank.
console() {
    screendump_of console $venus_only || return 1
    # P6 header, then pixels: blank means every byte alike.
    python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
px = d.split(b"\n", 3)[3]
print("screendump: %d bytes, %d distinct" % (len(px), len(set(px))))
sys.exit(len(px) == 0 or len(set(px)) < 2)' "$GUEST/run/console.ppm"
}

# A Venus blob as the KMS framebuffer with virgl off: the screen shows
# exactly the picture vgxl-kms-blob wrote.
scanout() {
    screendump_of scanout $venus_only || return 1
    python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
magic, size, _, px = d.split(b"\n", 3)
w, h = map(int, size.split())
want = bytes(c for y in range(h) for x in range(w)
             for c in ((x * 7 + y) & 255, (y * 3) & 255, (x + 2 * y) & 255))
bad = sum(px[i:i + 3] != want[i:i + 3] for i in range(0, len(want), 3))
print("screendump: %dx%d, %d pixels differ" % (w, h, bad))
sys.exit(magic != b"P6" or len(px) != len(want) or bad > 0)' \
        "$GUEST/run/scanout.ppm"
}

"$TOP/scripts/guest-image.sh"
for mode in emulated trap; do
    check "compute lend=$mode" "$TOP/scripts/run-guest.sh" compute \
        $(lend $mode)
    # Trapping every access is slow: fewer iterations make the point.
    iters=2000
    [ $mode = trap ] && iters=500
    check "blob stress lend=$mode" env VGXL_APPEND=vgxl.iters=$iters \
        "$TOP/scripts/run-guest.sh" stress $(lend $mode)
done
# Upstream's per-blob mapping, kept as baseline and fallback, must work
# as well (at upstream's speed: fewer iterations).  It adds and removes a
# memory region on every map, which under TCG races with the vCPUs' own
# accesses (per-blob trap regions once lost a store that way, which is why
# lend=trap keeps one trap region for good): the guest then sometimes
# stalls after the stress passed, with no verdict (1 run in 9 here).  Such
# a run is retried once, and said so; a run with a verdict, FAIL included,
# never is.
retry_if_no_verdict() {
    local job=$1
    shift
    "$@" && return 0
    grep -aq 'VGXL-RESULT:' "$GUEST/log/$job.log" && return 1
    log "RETRY: job $job stalled without a verdict; running it once more"
    "$@"
}
per_blob="-global virtio-gpu-xen-lend-device.x-map=per-blob"
check "compute x-map=per-blob" "$TOP/scripts/run-guest.sh" compute $per_blob
check "blob stress x-map=per-blob" retry_if_no_verdict stress \
    env VGXL_APPEND=vgxl.iters=100 "$TOP/scripts/run-guest.sh" stress $per_blob
check "blob stress under revocation" stress_revoked
check "fbdev console screendump" console
check "blob scanout screendump" scanout
check "GL through virgl" "$TOP/scripts/run-guest.sh" gl
check "GL through zink on Venus" "$TOP/scripts/run-guest.sh" glzink
# Once, in a CI run, this guest stalled with no output at all for 300 s
# (not seen in 47 runs since): retried once as a stall without a verdict,
# which is reported; a wrong result is not retried.
check "GL client killed mid-frame" retry_if_no_verdict glkill \
    "$TOP/scripts/run-guest.sh" --timeout 150 glkill
check "GL scanout screendump" glscanout
check "quiet guest log" quiet_log

[ -z "$failed" ] || die "e2e failed:$failed"
