#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Boot Xen 4.20 and the dom0 of xen-dom0.sh under TCG with the project's
# QEMU, and let dom0 run test steps: each creates an HVM guest of
# docs/system/devices/virtio-gpu-xen-lend-xl.cfg, whose device model is
# the project's QEMU again.  dom0 writes its verdicts and every log to a
# results directory shared over 9p.  Exits 0 only when dom0 finished and
# every step passed (dom0 retries a failed step once).
#
# usage: run-xen.sh [--results DIR] [--lend] STEP...
#   --lend                   boot the hypervisor with XENMEM_lend and the
#                            dom0 root with all three packages, not
#                            Debian's Xen and the root with the device
#                            model package alone (xen-dom0.sh)
#   guest:JOB[:LEND[:SECS[:KARG...]]]  the guest runs job JOB (guest-image.sh)
#                            with lend=LEND (auto) and KARGs added to its
#                            kernel command line; its verdict is due in
#                            SECS (600)
#   refuse:LEND              xl create must fail: the device refuses LEND
#   destroy:JOB[:SECS]       xl destroy the guest while JOB runs; nothing
#                            of its device model may survive
#
# VGXL_XEN_CPU replaces the L0 CPU (qemu64,+svm,+npt,-rdtscp), VGXL_XEN_SMP
# its number (2), VGXL_XEN_TCG_THREAD TCG's threading (multi);
# VGXL_XEN_ARGS adds to Xen's command line.  VGXL_XEN_BOOT_TIMEOUT bounds
# the boot to dom0's toolstack (300 s).

. "$(dirname "$0")/common.sh"

XEN=$CACHE/xen
GUEST=$CACHE/guest
results=
hypervisor=xen
root=root-stock
while [ $# -gt 0 ]; do
    case $1 in
    --results) results=${2:?--results needs a directory}; shift 2 ;;
    --lend) hypervisor=xen-lend; root=root; shift ;;
    *) break ;;
    esac
done
[ $# -ge 1 ] || die "usage: $0 [--results DIR] STEP..."
results=${results:-$XEN/runs/$(date +%Y%m%d-%H%M%S)}
boot_timeout=${VGXL_XEN_BOOT_TIMEOUT:-300}

[ -r "$XEN/boot/initrd.img" ] && [ -r "$XEN/boot/$hypervisor" ] &&
    [ -d "$XEN/$root/usr" ] ||
    die "no dom0 or no $hypervisor: run scripts/xen-dom0.sh"
[ -r "$GUEST/initrd-self.img" ] ||
    die "no guest image: run scripts/guest-image.sh"

# Spell every step out for dom0 and give each try a deadline: its
# verdict time plus xl create (up to 300 s) and the teardown.  QEMU
# lives no longer than the boot, every try of every step and dom0's
# shutdown: $limit.
steps=
limit=$((boot_timeout + 120))
declare -A budget
for s in "$@"; do
    IFS=: read -r kind a b c d <<<"$s"
    case $kind in
    guest)
        s=guest:${a:?$s: no job}:${b:-auto}:${c:-600}${d:+:$d}
        t=${c:-600} ;;
    refuse) s=refuse:${a:?$s: no lend mode}; t=0 ;;
    destroy) s=destroy:${a:?$s: no job}:${b:-600}; t=$((${b:-600} + 120)) ;;
    revoke)
        s=revoke:${a:?$s: no job}:${b:-auto}:${c:-600}${d:+:$d}
        t=$((2 * ${c:-600})) ;;
    lendtool) t=0 ;;
    lifetime) s=lifetime:${a:?$s: destroy or kill}; t=300 ;;
    *) die "unknown step '$s'" ;;
    esac
    case $kind in
    refuse | lendtool | lifetime) ;;
    *)
        for j in ${a//,/ }; do
            [ -x "$GUEST/root/usr/local/bin/vgxl-$j" ] ||
                die "no job vgxl-$j in $GUEST/root/usr/local/bin"
        done ;;
    esac
    steps=${steps:+$steps+}$s
    budget[$s]=$((t + 420))
    # A step is tried four times at most (xen-dom0.sh).
    limit=$((limit + 4 * budget[$s]))
done

rm -rf "$results"
mkdir -p "$results"
log "results in $results"

# QEMU needs the sysroot's libraries; dom0's root, the guest and the
# results are bound into it.
export ROOT_BINDS="$XEN:/xen $GUEST:/guest $results:/results"
xen_args="console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M
          loglvl=all guest_loglvl=all console_timestamps=boot
          ${VGXL_XEN_ARGS:-}"
# The steps travel in -initrd, whose commas end a multiboot module
# unless doubled.
dom0_args="console=hvc0 loglevel=4 vgxl.steps=${steps//,/,,}"
# shellcheck disable=SC2054 # the commas are QEMU's, not array separators
# The L0 CPU: SVM with NPT (Debian's Xen has no shadow paging), and no
# more.  With "-cpu max", processes that dom0 forks (the render server,
# xl's helpers) often saw corrupted memory ("malloc(): unsorted double
# linked list corrupted", a GPF in libc); with qemu64 that was not seen.
# RDTSCP off: TCG reports its SVM intercept as RDTSC (see the xl.cfg).
cpu=${VGXL_XEN_CPU:-qemu64,+svm,+npt,-rdtscp}
args=(-accel "tcg,thread=${VGXL_XEN_TCG_THREAD:-multi}" -cpu "$cpu"
      -m 3G -smp "${VGXL_XEN_SMP:-2}" -nodefaults -display none -no-reboot
      -chardev "file,id=com1,path=/results/xen-serial.log,input-path=/results/xen-serial.in"
      -serial chardev:com1 -pidfile /results/qemu.pid
      -qmp unix:/results/qmp.sock,server=on,wait=off
      -kernel "/xen/boot/$hypervisor" -append "$(echo $xen_args)"
      -initrd "/xen/boot/vmlinuz $dom0_args,/xen/boot/initrd.img")
# dom0's file systems, each a 9p share.  vectors=0: INTx, not MSI-X.
for share in root:/xen/$root guest:/guest results:/results; do
    args+=(-fsdev "local,id=${share%%:*},path=${share#*:},security_model=none"
           -device "virtio-9p-pci,fsdev=${share%%:*},mount_tag=${share%%:*},vectors=${VGXL_XEN_VECTORS:-0}")
done
log "qemu command line (in $SYSROOT):"
echo "$QEMU_BUILD/qemu-system-x86_64 ${args[*]}" >&2

# Seconds since QEMU started.
t0=$(date +%s.%N)
elapsed() {
    awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }'
}

# Xen's console input, held open here so that QEMU's open does not
# block: a stuck stage sends it debug keys.
mkfifo "$results/xen-serial.in"
exec 3<>"$results/xen-serial.in"
spawn in_root "$SYSROOT" timeout --foreground -k 10 "$limit" \
    "$QEMU_BUILD/qemu-system-x86_64" "${args[@]}" \
    </dev/null >"$results/qemu.log" 2>&1
qemu=$!

# Every stage has a deadline: the boot to dom0's toolstack, then each
# try of a step from the moment dom0 starts it.
stage=boot
deadline=$boot_timeout
status=
nlines=0
while [ -z "$status" ]; do
    sleep 1
    now=$(elapsed)
    # QEMU removes its pid file when it exits: keep the pid for checks.
    [ -s "$results/l0-qemu.pid" ] ||
        cp "$results/qemu.pid" "$results/l0-qemu.pid" 2>/dev/null || true
    while read -r _ event; do
        nlines=$((nlines + 1))
        log "t=${now}s dom0: $event"
        echo "$now $event" >>"$results/host-timeline"
        case $event in
        dom0-userspace) log "boot to dom0 userspace: ${now}s" ;;
        toolstack) log "boot to dom0 toolstack: ${now}s" ;;
        "step "*)
            read -r _ n step _ try <<<"$event"
            stage="step $n ($step, try $try)"
            deadline=$((now + ${budget[$step]})) ;;
        done) status=done ;;
        failed*) status="dom0 $event" ;;
        esac
    done < <(tail -n +$((nlines + 1)) "$results/timeline" 2>/dev/null)
    if [ -n "$status" ]; then
        break
    elif ! kill -0 $qemu 2>/dev/null; then
        status="QEMU exited during $stage"
    elif [ "$now" -ge "$deadline" ]; then
        status="timeout in $stage at ${now}s"
    fi
done

# A stuck stage: before QEMU goes, Xen's debug keys write what every
# CPU and vCPU was doing to xen-serial.log (three CTRL-a switch the
# console's input from dom0 to Xen).
case $status in
timeout*)
    log "Xen's state at the timeout: debug keys 0 d q r in xen-debug-keys.log"
    serial_before=$(stat -c %s "$results/xen-serial.log")
    printf '\001\001\0010dqr' >&3
    sleep 10
    tail -c +$((serial_before + 1)) "$results/xen-serial.log" \
        >"$results/xen-debug-keys.log" ;;
esac
# dom0 powered off, or is stuck: QEMU is not needed any more.
stop_group $qemu
wait $qemu 2>/dev/null || true
exec 3>&-
log "Xen run: ${status} after $(elapsed)s"

# Verdicts: the last try of each step counts.
ok=y
if [ -r "$results/verdicts" ]; then
    while read -r n step try v secs dir; do
        log "step $n $step ($try): $v in $secs," \
            "$(tr '\n' ' ' <"$results/$dir/facts" 2>/dev/null || true)"
    done <"$results/verdicts"
fi
n=0
for s in ${steps//+/ }; do
    n=$((n + 1))
    v=$(awk -v n=$n '$1 == n { v = $4 } END { print v }' \
        "$results/verdicts" 2>/dev/null || true)
    [ "$v" = PASS ] || ok=n
done
if [ "$status" = done ] && [ $ok = y ]; then
    exit 0
fi

# What went wrong: Xen, dom0, then each failed step's logs.
tail_of() {
    [ -s "$1" ] || return 0
    log "last ${2:-30} lines of ${1#$results/}:"
    tail -n "${2:-30}" "$1" | tr -d '\r' | sed 's/^/    /' >&2
}
tail_of "$results/qemu.log" 10
serial_before=${serial_before:-$(stat -c %s "$results/xen-serial.log" \
                                     2>/dev/null || echo 0)}
head -c "$serial_before" "$results/xen-serial.log" \
    >"$results/xen-serial-before-keys.log" 2>/dev/null || true
tail_of "$results/xen-serial-before-keys.log" 40
tail_of "$results/dom0.log" 30
for d in "$results"/[0-9]*; do
    [ -d "$d" ] || continue
    grep -q " FAIL .* ${d#$results/}\$" "$results/verdicts" 2>/dev/null ||
        [ "$status" != done ] || continue
    for f in step.log xl-create.log qemu-dm.log console.log serial.log; do
        tail_of "$d/$f" 25
    done
done
exit 1
