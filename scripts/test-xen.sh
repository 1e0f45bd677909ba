#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The xen suite: the device serving a real Xen 4.20 HVM guest, nested
# under TCG (run-xen.sh), in two stages.
#
# Stock Xen (Debian's hypervisor), in one dom0:
#   - the xen_lend module refuses to load, in one line;
#   - the guest's virtio_gpu driver binds the device, with blob and
#     host-visible memory, and is offered the Venus capset (job device);
#   - lend=auto without lending warns once, naming what is missing, and
#     traps; lend=privcmd makes xl create fail with that;
#   - the bandwidth of a Venus blob mapped through the trap path, and of
#     guest RAM: the baseline that lending must beat;
#   - dom0 has the device model package alone (run-xen.sh's stock root);
#   - xl destroy of a guest whose render server is busy leaves no device
#     model and no render server behind, and the next xl create works;
#   - OpenGL through virgl=on with no GL display (dom0 has none): the
#     guest's GL test, checked pixel by pixel, with every capset answered
#     before Linux's driver gives up at probe; its time against the same
#     test under plain TCG.
# Vulkan itself is left out there by default: through the trap path
# every access of the guest to Venus's command ring is a round trip to
# dom0, minutes per call nested under TCG.  VGXL_XEN_VENUS=1 adds it.
#
# Xen with XENMEM_lend (contrib/xen-lend), in one dom0 with the three
# packages installed, which loads the DKMS-built xen_lend module:
#   - xen-lend-test: every refusal with its errno, revocation by
#     madvise, hole punch and munmap, Xen's view against the module's;
#   - direct access: lend=auto picks privcmd, and in one boot the
#     guest's blob bandwidth, vulkaninfo, the Vulkan compute test, the
#     blob stress (500 iterations) and a hypercall whose buffer lies in
#     a lent blob (it must fail) run with every lend done, no trapped
#     access and no fault in QEMU; the control run with lend=trap on the
#     same Xen counts trapped accesses;
#   - the blob stress (1000 iterations) while QEMU unlends every slot and
#     drops its own mappings (the module's notifier revokes), again and
#     again: every fault re-lent;
#   - xl destroy, and kill -9 of the device model, with pages lent:
#     Xen's count of lent pages returns to 0 and xl dmesg stays quiet.
# The figures (lent against trapped) come from scripts/benchmark-xen.sh.
# dom0 retries a failed step once; a boot that dies is retried once with
# the steps that have not passed.  Both retries are reported.

. "$(dirname "$0")/common.sh"

XEN=$CACHE/xen
GUEST=$CACHE/guest
# Seconds from xl create to the guest's verdict, per job.
BOOT_SECS=${VGXL_XEN_GUEST_SECS:-180}
STRESS_ITERS=${VGXL_XEN_STRESS_ITERS:-5}
# The bandwidth probe's buffers: each access to a trapped blob traps
# (5 ms nested under TCG: 4 KiB, three rounds, take a minute); a lent
# one is measured over a buffer large enough to time.
BANDWIDTH_KIB=${VGXL_XEN_BANDWIDTH_KIB:-4}
LENT_KIB=${VGXL_XEN_LENT_KIB:-4096}
LENT_STRESS_ITERS=${VGXL_XEN_LENT_STRESS_ITERS:-500}
REVOKE_STRESS_ITERS=${VGXL_XEN_REVOKE_STRESS_ITERS:-1000}

suite_start=$SECONDS
t0=$SECONDS
"$TOP/scripts/guest-image.sh"
"$TOP/scripts/xen-dom0.sh"
prep_s=$((SECONDS - t0))

# A guest boot costs a minute and more nested under TCG: a step runs
# several jobs in one boot (JOB,JOB...), each with its own verdict.
# The destroy comes first, so that the next boot proves that xl create
# works after it.
stock="refuse:privcmd"
stock="$stock destroy:stress:$BOOT_SECS"
stock="$stock guest:device,bandwidth:auto:$((2 * BOOT_SECS)):vgxl.kib=$BANDWIDTH_KIB"
stock="$stock guest:gl:auto:$((2 * BOOT_SECS))"
if [ "${VGXL_XEN_VENUS:-0}" = 1 ]; then
    stock="$stock guest:vulkaninfo,compute,stress:auto:$((12 * BOOT_SECS)):vgxl.iters=$STRESS_ITERS"
fi

lend="lendtool"
# Direct access: every job of this boot runs with no trapped access.
lend="$lend guest:bandwidth,vulkaninfo,compute,stress,hcbuf:auto:$((4 * BOOT_SECS)):vgxl.kib=$LENT_KIB:vgxl.iters=$LENT_STRESS_ITERS"
lend="$lend guest:bandwidth:trap:$((2 * BOOT_SECS)):vgxl.kib=$BANDWIDTH_KIB"
lend="$lend revoke:stress:privcmd:$((3 * BOOT_SECS)):vgxl.iters=$REVOKE_STRESS_ITERS"
lend="$lend lifetime:destroy lifetime:kill"

# One Xen boot runs every step of a stage; a boot that died is retried
# once with the steps that did not pass.
runs=()
run_steps() {
    local dir=$XEN/runs/xen-suite-$(date +%Y%m%d-%H%M%S)$1
    shift
    runs+=("$dir")
    "$TOP/scripts/run-xen.sh" --results "$dir" "$@"
}
# stage NAME [--lend] STEP...
stage() {
    local name=$1 opt= last again n s
    shift
    if [ "$1" = --lend ]; then
        opt=--lend
        shift
    fi
    runs=()
    log "xen stage $name: $*"
    run_steps "-$name" $opt "$@" && return 0
    last=${runs[-1]}
    grep -q ' done$' "$last/timeline" 2>/dev/null && return 0
    again=
    n=0
    for s in "$@"; do
        n=$((n + 1))
        awk -v n=$n '$1 == n && $4 == "PASS" { ok = 1 } END { exit !ok }' \
            "$last/verdicts" 2>/dev/null || again="$again $s"
    done
    log "RETRY: the Xen boot did not finish; booting again for:$again"
    run_steps "-$name-retry" $opt $again || true
}

# The last verdict line of STEP over the stage's runs: "N STEP try=T V
# SECS DIR", with DIR made absolute.
verdict() {
    local r l line=
    for r in "${runs[@]}"; do
        l=$(awk -v s="$1" -v r="$r" '$2 == s { $6 = r "/" $6; l = $0 }
            END { print l }' "$r/verdicts" 2>/dev/null)
        [ -z "$l" ] || line=$l
    done
    echo "$line"
}
step_dir() {
    verdict "$1" | awk '{ print $6 }'
}
fact() {
    sed -n "s/^$2=//p" "$1/facts" 2>/dev/null | tail -n1
}
# The file of dom0 that the stage's last finished boot wrote.
dom0_file() {
    local r f=
    for r in "${runs[@]}"; do
        [ ! -s "$r/$1" ] || f=$r/$1
    done
    echo "$f"
}

SUITE=xen

# guest_step NAME STEP [JOB]: a guest step's verdict, timings and retry;
# with JOB, the verdict of that one of the step's jobs.
guest_step() {
    local v dir note ok try crashes
    v=$(verdict "$2")
    dir=$(echo "$v" | awk '{ print $6 }')
    if [ -z "$v" ]; then
        fail "$1" "no verdict: the run did not get there"
        return 1
    fi
    note="xl create $(fact "$dir" create_s) s, guest to result"
    note="$note $(fact "$dir" result_s) s"
    try=$(echo "$v" | sed 's/.* try=\([0-9]*\) .*/\1/')
    case $v in
    *try=1" "*) ;;
    *" PASS "*) note="$note, passed on try $try" ;;
    *) note="$note, failed $try tries" ;;
    esac
    crashes=$(grep -l '^guest_crash=' "${dir%.retry*}"*/facts 2>/dev/null |
              wc -l)
    [ "$crashes" = 0 ] ||
        note="$note; $crashes guest kernel crash(es) under nested TCG, retried"
    case $dir in *-retry/*) note="$note, in the retried boot" ;; esac
    case $v in *" PASS "*) ok=1 ;; *) ok= ;; esac
    if [ -n "${3:-}" ]; then
        grep -a -q "^vgxl-$3: PASS" "$dir/serial.log" 2>/dev/null && ok=1 ||
            ok=
    fi
    if [ -n "$ok" ]; then
        pass "$1" "$note"
    else
        fail "$1" "$note; logs in $dir"
        return 1
    fi
}
# show REGEX FILE: FILE's lines that match, indented.
show() {
    grep -a -E "$1" "$2" 2>/dev/null | tr -d '\r' | sed 's/^/    /' >&2 || true
}
find_step() {
    echo "$2" | tr ' ' '\n' | grep "^$1" | head -n1 || true
}

#
# A stage past its deadline: run-xen.sh stops the QEMU it started (once
# it stopped only the chroot wrapper, and QEMU idled on for hours), and
# Xen's debug keys record what it was doing.  A boot given 10 s times
# out: dom0 needs 15 s and more to reach its toolstack.
#
mkdir -p "$XEN/runs"
stuck=$XEN/runs/xen-suite-$(date +%Y%m%d-%H%M%S)-deadline
name="deadline: a stage that times out leaves no QEMU behind"
if VGXL_XEN_BOOT_TIMEOUT=10 "$TOP/scripts/run-xen.sh" --results "$stuck" \
        refuse:privcmd 2>"$stuck.log"; then
    fail "$name" "a 10 s boot passed; see $stuck.log"
elif ! grep -q "timeout in boot" "$stuck.log"; then
    fail "$name" "no boot timeout; see $stuck.log"
elif ! pid=$(cat "$stuck/l0-qemu.pid" 2>/dev/null) || [ -z "$pid" ]; then
    fail "$name" "QEMU wrote no pid; see $stuck/qemu.log"
elif [ -d "/proc/$pid" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$pid/stat"; then
    kill -KILL "$pid"
    fail "$name" "QEMU $pid was still running (killed now)"
elif ! grep -q "'d' pressed" "$stuck/xen-debug-keys.log"; then
    fail "$name" "Xen's debug keys left no dump; see $stuck"
else
    pass "$name" "QEMU $pid gone, Xen's state in $stuck/xen-debug-keys.log"
fi

#
# Stock Xen.
#
stage stock $stock
# installed PACKAGE...: whether dom0's dpkg had exactly these of ours.
installed() {
    local f
    f=$(dom0_file dom0-packages.txt)
    [ -n "$f" ] &&
        [ "$(awk 'NF == 2 && $2 != "" { print $1 }' "$f" | sort)" = \
          "$(echo "$@" | tr ' ' '\n' | sort)" ]
}
if installed virtio-gpu-xen-lend; then
    pass "stock: dom0 has the device model package alone"
else
    fail "stock: dom0 has the device model package alone" \
        "see $(dom0_file dom0-packages.txt)"
fi
module=$(dom0_file xen-lend-module.txt)
why="XENMEM_lend"
if [ "$(cat "$module" 2>/dev/null)" = refused ] &&
   [ "$(grep -c "$why" "$(dirname "$module")/xen-lend-dmesg.txt")" = 1 ]; then
    pass "stock: the xen_lend module refuses to load, in one line"
    show "$why" "$(dirname "$module")/xen-lend-dmesg.txt"
else
    fail "stock: the xen_lend module refuses to load, in one line" \
        "see ${module:-the runs}"
fi

# (a) the guest's driver binds the device and is offered Venus.
step=$(find_step guest:device, "$stock")
if guest_step "stock: device bound, Venus capset offered" "$step" device
then
    dir=$(step_dir "$step")
    show '^vgxl: renderD128|cap set' "$dir/serial.log"
fi

# (b) lend=auto: exactly one warning naming what is missing, then trap.
dir=$(step_dir "$step")
missing="lend=privcmd: dom0's kernel has no memory lending: cannot open"
missing="$missing /dev/xen/privcmd-lend"
fallback="lend=auto: every guest access to a mapped blob will be emulated"
fallback="$fallback (lend=trap)"
if [ -n "$dir" ] && [ "$(grep -cF "$missing" "$dir/qemu-dm.log")" = 1 ] &&
   [ "$(grep -cF "$fallback" "$dir/qemu-dm.log")" = 1 ]; then
    pass "stock: lend=auto warns once and traps"
    grep -F -e "$missing" -e "$fallback" "$dir/qemu-dm.log" |
        sed 's/^/    /' >&2
else
    fail "stock: lend=auto warns once and traps" "see ${dir:-?}/qemu-dm.log"
fi

s=$(find_step guest:vulkaninfo, "$stock")
for job in vulkaninfo compute stress; do
    [ -z "$s" ] || guest_step "stock: $job" "$s" $job || true
done

v=$(verdict refuse:privcmd)
dir=$(echo "$v" | awk '{ print $6 }')
case $v in
*" PASS "*)
    pass "stock: lend=privcmd: xl create fails" \
        "message in $(fact "$dir" message_in | tr '\n' ' ')"
    grep -h -m1 -F "$missing" "$dir/xl-create.log" "$dir/qemu-dm.log" |
        head -n1 | sed 's/^/    /' >&2 ;;
*) fail "stock: lend=privcmd: xl create fails" "logs in ${dir:-?}" ;;
esac

# (c) the trap baseline on stock Xen.
if guest_step "stock: bandwidth (lend=auto, i.e. trap)" "$step" bandwidth
then
    show '^VGXL-BANDWIDTH' "$(step_dir "$step")/serial.log"
fi

# (d) xl destroy leaves nothing behind; the next xl create works.
s=$(find_step destroy: "$stock")
v=$(verdict "$s")
dir=$(echo "$v" | awk '{ print $6 }')
case "$v $(fact "$dir" render_server)" in
*" PASS "*" seen")
    pass "stock: xl destroy of a running guest" "its render server was up;\
 all gone $(fact "$dir" destroy_s) s after" ;;
*) fail "stock: xl destroy of a running guest" "logs in ${dir:-?}" ;;
esac
# The guest that followed it booted.
if grep -a -q '^vgxl: running vgxl-device' "$(step_dir "$step")/serial.log"
then
    pass "stock: xl create after the destroy"
else
    fail "stock: xl create after the destroy" "see $(step_dir "$step")"
fi

# (e) OpenGL for a Xen guest on Xen as it ships: virgl=on, no GL display.
s=$(find_step guest:gl: "$stock")
if guest_step "stock: OpenGL through virgl with no GL display" "$s"; then
    show 'profile renderer|pixels differ|GL test took' \
        "$(step_dir "$s")/serial.log"
    xen_s=$(sed -n 's/^vgxl: the GL test took \([0-9.]*\)s.*/\1/p' \
            "$(step_dir "$s")/serial.log" | tail -n1)
    # The same test, initramfs and virgl=on under plain TCG.
    "$TOP/scripts/run-guest.sh" gl -initrd /guest/initrd-gl.img \
        -global virtio-gpu-xen-lend-device.virgl=on >/dev/null 2>&1 || true
    tcg_s=$(sed -n 's/^vgxl: the GL test took \([0-9.]*\)s.*/\1/p' \
            "$GUEST/log/gl.log" 2>/dev/null | tail -n1)
    if [ -n "$xen_s" ] && [ -n "$tcg_s" ]; then
        log "xen stock: the GL test took ${xen_s} s in the Xen guest," \
            "${tcg_s} s under plain TCG: $(ratio "$xen_s" "$tcg_s" 1)" \
            "times as long"
    fi
fi
# Linux's driver waits 5 s for each capset at probe, and a guest that
# got none has no virgl: virglrenderer must be up before the guest asks.
late=
# Every try counts, not only the last.
for s in $(find_step guest:device, "$stock") $(find_step guest:gl: "$stock"); do
    d=$(step_dir "$s")
    [ -s "$d/console.log" ] || late="$late ${s%%:auto*} (no log)"
    ! grep -a -l 'timed out waiting for cap set' "${d%.retry*}"*/console.log \
        2>/dev/null || late="$late ${s%%:auto*}"
done
if [ -z "$late" ]; then
    pass "stock: every capset answered at the guest's probe"
else
    fail "stock: every capset answered at the guest's probe" \
        "timed out in:$late"
fi
stock_runs=("${runs[@]}")

#
# Xen with XENMEM_lend.
#
stage lend --lend $lend
if installed virtio-gpu-xen-lend xen-lend-dkms xen-hypervisor-4.20-lend-amd64
then
    pass "lend: dom0 has the three packages"
else
    fail "lend: dom0 has the three packages" \
        "see $(dom0_file dom0-packages.txt)"
fi
info=$(dom0_file xl-info.txt)
module=$(dom0_file xen-lend-module.txt)
if grep -q '^xen_extra.*-lend' "$info" 2>/dev/null &&
   [ "$(cat "$module" 2>/dev/null)" = loaded ] &&
   grep -q 'XENMEM_lend ABI 1' "$(dirname "$module")/xen-lend-dmesg.txt"
then
    pass "lend: patched Xen booted, xen_lend loaded"
    show '^xen_extra' "$info"
    show 'ABI' "$(dirname "$module")/xen-lend-dmesg.txt"
else
    fail "lend: patched Xen booted, xen_lend loaded" "see ${info:-the runs}"
fi

if guest_step "lend: xen-lend-test refusals and revocations" lendtool; then
    show '^PASS' "$(step_dir lendtool)/step.log"
fi

# Direct access: no access of this boot's jobs reaches QEMU; the
# control run's do.
s=$(find_step guest:bandwidth,vulkaninfo, "$lend")
dir=$(step_dir "$s")
if guest_step "lend: bandwidth through a lent blob (lend=auto)" "$s" \
       bandwidth; then
    show '^VGXL-BANDWIDTH' "$dir/serial.log"
fi
for job in vulkaninfo compute stress hcbuf; do
    if guest_step "lend: $job" "$s" $job; then
        show "^vgxl-$job:|Virtio-GPU Venus|^compute check|vgxl-blob-stress:\
|^vgxl-hcbuf:" "$dir/serial.log"
    fi
done
if [ "$(fact "$dir" lend_mode)" = privcmd ] &&
   [ "$(fact "$dir" lend_trap_accesses)" = 0 ] &&
   [ "$(fact "$dir" lend_faults)" = 0 ] &&
   [ "$(fact "$dir" lend_failures)" = 0 ] &&
   [ "$(fact "$dir" lend_lends)" -gt 0 ] 2>/dev/null; then
    pass "lend: direct access" "lend=auto chose privcmd; bandwidth,\
 vulkaninfo, compute, stress and hcbuf: $(fact "$dir" lend_lends) lends,\
 0 failed, 0 trapped accesses, 0 faults"
else
    fail "lend: direct access" \
        "lend-stats: $(cat "$dir/lend-stats.json" 2>/dev/null)"
fi
s=$(find_step guest:bandwidth:trap: "$lend")
if guest_step "lend: control run, lend=trap" "$s"; then
    dir=$(step_dir "$s")
    show '^VGXL-BANDWIDTH' "$dir/serial.log"
    if [ "$(fact "$dir" lend_trap_accesses)" -gt 0 ] 2>/dev/null; then
        pass "lend: the control run's traps are counted" \
            "$(fact "$dir" lend_trap_accesses) trapped accesses"
    else
        fail "lend: the control run's traps are counted" \
            "lend-stats: $(cat "$dir/lend-stats.json" 2>/dev/null)"
    fi
fi

s=$(find_step revoke: "$lend")
dir=$(step_dir "$s")
if guest_step "lend: blob stress under revocation" "$s"; then
    show 'vgxl-blob-stress' "$dir/serial.log"
    # The device's counters when the job ended (lend_*): the revoke
    # loop's last reading (revoked_*) misses the end of a short stress.
    if [ "$(fact "$dir" lend_revocations)" -gt 0 ] 2>/dev/null &&
       [ "$(fact "$dir" lend_relends)" -gt 0 ] 2>/dev/null &&
       [ "$(fact "$dir" lend_failures)" = 0 ] &&
       [ "$(fact "$dir" revoked_revoke_errors)" = 0 ]; then
        pass "lend: revocations were re-lent" "$(fact "$dir" \
lend_revocations) revocations, $(fact "$dir" lend_faults) faults,\
 $(fact "$dir" lend_relends) re-lends, none failed"
    else
        fail "lend: revocations were re-lent" \
            "$(tail -n1 "$dir/revoke-loop.json" 2>/dev/null);\
 $(grep -h xen_lend_failure "$dir/qemu-dm.log" | head -n3)"
    fi
fi

for how in destroy kill; do
    if guest_step "lend: lent pages after $how" "lifetime:$how"; then
        dir=$(step_dir "lifetime:$how")
        log "    Xen's lent pages: $(fact "$dir" lent_before) before,\
 $(fact "$dir" xen_lent_after) after"
    fi
done

# Timings.
log "timings: image and dom0 checks ${prep_s} s"
for r in "${stock_runs[@]}" "${runs[@]}"; do
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
