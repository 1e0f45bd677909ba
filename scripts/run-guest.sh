#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Boot the test guest from guest-image.sh under TCG with the project's QEMU
# and run a job in it: /usr/local/bin/vgxl-JOB in the guest, or several in
# turn, JOB,JOB...  Exits 0 only when the guest printed
# "VGXL-RESULT: PASS" and QEMU exited cleanly.
#
# usage: run-guest.sh [--timeout SECS] JOB[,JOB...] [extra QEMU args...]
#
# To try the boot path with another QEMU: VGXL_QEMU_ROOT (a userland to
# chroot into), VGXL_QEMU (the binary in it), VGXL_GPU (the -device).
# VGXL_APPEND adds to the guest's kernel command line (vgxl.iters=N).
# VGXL_ACCEL=kvm runs the guest with KVM where the machine has it (tcg).

. "$(dirname "$0")/common.sh"

timeout=300
if [ "${1:-}" = --timeout ]; then
    timeout=${2:?--timeout needs a number of seconds}
    shift 2
fi
[ $# -ge 1 ] || die "usage: $0 [--timeout SECS] JOB [extra QEMU args...]"
job=$1
shift
# The name of its log and QMP socket: no comma, which QEMU's options split.
name=${job//,/+}

QEMU_ROOT=${VGXL_QEMU_ROOT:-$SYSROOT}
QEMU=${VGXL_QEMU:-$QEMU_BUILD/qemu-system-x86_64}
GPU=${VGXL_GPU:-virtio-gpu-xen-lend-pci}
GUEST=$CACHE/guest
LOG=$GUEST/log/$name.log

[ -r "$GUEST/initrd.img" ] || die "no guest image: run scripts/guest-image.sh"
[ -x "$QEMU_ROOT$QEMU" ] || die "no $QEMU in $QEMU_ROOT: run scripts/build.sh"
for j in ${job//,/ }; do
    [ -x "$GUEST/root/usr/local/bin/vgxl-$j" ] ||
        die "no job vgxl-$j in $GUEST/root/usr/local/bin"
done

# QEMU needs the userland's libraries, the guest lives outside it.
export ROOT_BINDS="$GUEST:/guest"

# -no-reboot and panic=-1 turn a guest panic into a prompt QEMU exit.
# shellcheck disable=SC2054 # the commas are QEMU's, not array separators
# The harness reaches QEMU's monitor at $GUEST/run/JOB.qmp.
mkdir -p "$GUEST/run"
rm -f "$GUEST/run/$name.qmp"
args=(-accel "${VGXL_ACCEL:-tcg}" -m 2G -smp 2 -machine q35 -nodefaults -display none
      -no-reboot -serial stdio
      -qmp "unix:/guest/run/$name.qmp,server=on,wait=off"
      -kernel /guest/vmlinuz -initrd /guest/initrd.img
      -append "console=ttyS0 quiet panic=-1 vgxl.run=$job ${VGXL_APPEND:-}"
      -virtfs local,path=/guest/root,mount_tag=root,security_model=none
      -device "$GPU,id=gpu" "$@")

# Print the command line so that it can be pasted into a shell.
quote() {
    local a
    for a in "$@"; do
        case $a in
        *[!-A-Za-z0-9_./,=:@+]*) ;;
        *) printf '%s ' "$a"; continue ;;
        esac
        case $a in
        *\'*) printf '%q ' "$a" ;;
        *) printf "'%s' " "$a" ;;
        esac
    done
    echo
}
log "qemu command line (in $QEMU_ROOT, guest at /guest):"
quote "$QEMU" "${args[@]}" >&2

mkdir -p "$(dirname "$LOG")"
start=$SECONDS
set +e
in_root "$QEMU_ROOT" timeout --foreground -k 10 "$timeout" \
    "$QEMU" "${args[@]}" </dev/null 2>&1 | sed -u 's/\r$//' | tee "$LOG"
rc=${PIPESTATUS[0]}
set -e
result=$(grep -a -o 'VGXL-RESULT: [A-Z]*' "$LOG" | tail -n1 || true)
log "job $job: ${result:-no result} after $((SECONDS - start))s," \
    "qemu exit status $rc"

if [ "$rc" = 0 ] && [ "$result" = "VGXL-RESULT: PASS" ]; then
    exit 0
fi
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    log "timed out after ${timeout}s"
fi
if [ "$rc" != 0 ] || [ -z "$result" ]; then
    log "last 40 lines of the guest's output (all in $LOG):"
    tail -n 40 "$LOG" >&2
fi
exit 1
