#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The xen suite: the device serving a real Xen 4.20 HVM guest, nested
# under TCG (run-xen.sh).  In one dom0:
#   - the guest's virtio_gpu driver binds the device, with blob and
#     host-visible memory, and is offered the Venus capset (job device);
#   - lend=auto on a kernel without the lending ABI warns once, naming what
#     is missing, and traps; lend=privcmd makes xl create fail with that;
#   - the bandwidth of a Venus blob mapped through the trap path, and of
#     guest RAM: the baseline that lending must beat;
#   - xl destroy of a guest whose render server is busy leaves no device
#     model and no render server behind, and the next xl create works.
# Vulkan itself (vulkaninfo, compute, the blob stress) is left out by
# default: through the trap path every access of the guest to Venus's
# command ring is a round trip to dom0, minutes per call nested under TCG.
# VGXL_XEN_VENUS=1 adds those steps.
# dom0 retries a failed step once; a boot that dies is retried once with
# the steps that have not passed.  Both retries are reported.

. "$(dirname "$0")/common.sh"

XEN=$CACHE/xen
GUEST=$CACHE/guest
# Seconds from xl create to the guest's verdict, per job.
BOOT_SECS=${VGXL_XEN_GUEST_SECS:-180}
STRESS_ITERS=${VGXL_XEN_STRESS_ITERS:-5}
# The bandwidth probe's buffers: each access to the blob traps.
BANDWIDTH_KIB=${VGXL_XEN_BANDWIDTH_KIB:-16}

suite_start=$SECONDS
t0=$SECONDS
"$TOP/scripts/guest-image.sh"
"$TOP/scripts/xen-dom0.sh"
prep_s=$((SECONDS - t0))

steps="guest:device:auto:$BOOT_SECS"
if [ "${VGXL_XEN_VENUS:-0}" = 1 ]; then
    steps="$steps guest:vulkaninfo:auto:$((4 * BOOT_SECS))"
    steps="$steps guest:compute:auto:$((4 * BOOT_SECS))"
    steps="$steps guest:stress:auto:$((4 * BOOT_SECS)):vgxl.iters=$STRESS_ITERS"
fi
steps="$steps refuse:privcmd"
steps="$steps guest:bandwidth:auto:$((2 * BOOT_SECS)):vgxl.kib=$BANDWIDTH_KIB"
# Destroyed in the middle of a job that keeps the render server busy.
steps="$steps destroy:stress:$BOOT_SECS"
steps="$steps guest:uname:auto:$BOOT_SECS"

# One Xen boot runs every step; a boot that died is retried once with
# the steps that did not pass.
runs=()
run_steps() {
    local dir=$XEN/runs/xen-suite-$(date +%Y%m%d-%H%M%S)$1
    shift
    runs+=("$dir")
    "$TOP/scripts/run-xen.sh" --results "$dir" "$@"
}
if ! run_steps "" $steps; then
    last=${runs[-1]}
    if ! grep -q ' done$' "$last/timeline" 2>/dev/null; then
        again=
        n=0
        for s in $steps; do
            n=$((n + 1))
            awk -v n=$n '$1 == n && $4 == "PASS" { ok = 1 } END { exit !ok }' \
                "$last/verdicts" 2>/dev/null || again="$again $s"
        done
        log "RETRY: the Xen boot did not finish; booting again for:$again"
        run_steps -retry $again || true
    fi
fi

# The last verdict line of STEP over all runs: "N STEP try=T V SECS DIR",
# with DIR made absolute.
verdict() {
    local r l line=
    for r in "${runs[@]}"; do
        l=$(awk -v s="$1" -v r="$r" '$2 == s { $6 = r "/" $6; l = $0 }
            END { print l }' "$r/verdicts" 2>/dev/null)
        [ -z "$l" ] || line=$l
    done
    echo "$line"
}
fact() {
    sed -n "s/^$2=//p" "$1/facts" 2>/dev/null | tail -n1
}

failed=
pass() { log "xen $1: PASS${2:+ ($2)}"; }
fail() {
    log "xen $1: FAIL${2:+ ($2)}"
    failed="$failed
    $1"
}

# guest_step NAME STEP: a guest step's verdict, timings and retry.
guest_step() {
    local v dir note
    v=$(verdict "$2")
    dir=$(echo "$v" | awk '{ print $6 }')
    if [ -z "$v" ]; then
        fail "$1" "no verdict: the run did not get there"
        return 1
    fi
    note="xl create $(fact "$dir" create_s) s, guest to result"
    note="$note $(fact "$dir" result_s) s"
    case $v in *try=2*) note="$note, passed on its retry" ;; esac
    case $dir in *-retry/*) note="$note, in the retried boot" ;; esac
    case $v in
    *" PASS "*) pass "$1" "$note" ;;
    *) fail "$1" "$note; logs in $dir"; return 1 ;;
    esac
}

# (a) the guest's driver binds the device and is offered Venus.
step="guest:device:auto:$BOOT_SECS"
if guest_step "device bound, Venus capset offered" "$step"; then
    dir=$(verdict "$step" | awk '{ print $6 }')
    grep -a -e '^vgxl: renderD128' -e 'cap set' "$dir/serial.log" |
        tr -d '\r' | sed 's/^/    /' >&2 || true
fi

# (b) lend=auto: exactly one warning naming what is missing, then trap.
dir=$(verdict "$step" | awk '{ print $6 }')
missing="lend=privcmd: this kernel's privcmd has no memory lending"
missing="$missing (IOCTL_PRIVCMD_LEND_QUERY: "
fallback="lend=auto: every guest access to a mapped blob will be emulated"
fallback="$fallback (lend=trap)"
if [ -n "$dir" ] && [ "$(grep -cF "$missing" "$dir/qemu-dm.log")" = 1 ] &&
   [ "$(grep -cF "$fallback" "$dir/qemu-dm.log")" = 1 ]; then
    pass "lend=auto warns once and traps"
    grep -F -e "$missing" -e "$fallback" "$dir/qemu-dm.log" |
        sed 's/^/    /' >&2
else
    fail "lend=auto warns once and traps" "see ${dir:-?}/qemu-dm.log"
fi

for job in vulkaninfo compute stress; do
    s=$(echo $steps | tr ' ' '\n' | grep "^guest:$job:" || true)
    [ -z "$s" ] || guest_step "$job" "$s" || true
done

v=$(verdict refuse:privcmd)
dir=$(echo "$v" | awk '{ print $6 }')
case $v in
*" PASS "*)
    pass "lend=privcmd: xl create fails" \
        "message in $(fact "$dir" message_in | tr '\n' ' ')"
    grep -h -m1 -F "$missing" "$dir/xl-create.log" "$dir/qemu-dm.log" |
        head -n1 | sed 's/^/    /' >&2 ;;
*) fail "lend=privcmd: xl create fails" "logs in ${dir:-?}" ;;
esac

# (c) the trap baseline on real Xen.
s=$(echo $steps | tr ' ' '\n' | grep '^guest:bandwidth:' || true)
if [ -n "$s" ] && guest_step "bandwidth (lend=auto, i.e. trap)" "$s"; then
    dir=$(verdict "$s" | awk '{ print $6 }')
    grep -a '^VGXL-BANDWIDTH' "$dir/serial.log" | tr -d '\r' |
        sed 's/^/    /' >&2 || true
fi

# (d) xl destroy leaves nothing behind; the next xl create works.
s=$(echo $steps | tr ' ' '\n' | grep '^destroy:')
v=$(verdict "$s")
dir=$(echo "$v" | awk '{ print $6 }')
case "$v $(fact "$dir" render_server)" in
*" PASS "*" seen")
    pass "xl destroy of a running guest" "its render server was up; all\
 gone $(fact "$dir" destroy_s) s after" ;;
*) fail "xl destroy of a running guest" "logs in ${dir:-?}" ;;
esac
guest_step "xl create after the destroy" "guest:uname:auto:$BOOT_SECS" || true

# Timings.
log "timings: image and dom0 checks ${prep_s} s"
for r in "${runs[@]}"; do
    [ -r "$r/host-timeline" ] || continue
    awk -v r="${r##*/}" '
        $2 == "dom0-userspace" { u = $1 }
        $2 == "toolstack" { t = $1 }
        $2 == "done" { d = $1 }
        END { printf "[vgxl] timings: %s: dom0 userspace %s s, toolstack" \
              " %s s, all steps done %s s after QEMU started\n", r, u, t, d }
    ' "$r/host-timeline" >&2
    while read -r n s try v secs d; do
        log "timings:   step $n $s ($try) $v: $secs:" \
            "$(tr '\n' ' ' <"$r/$d/facts" 2>/dev/null)"
    done <"$r/verdicts"
done
log "xen suite: $((SECONDS - suite_start)) s"

[ -z "$failed" ] || die "xen failed:$failed"
