#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build (once) what run-xen.sh boots under TCG: Xen 4.20 and a Debian 13
# dom0 whose root filesystem is shared over 9p.  The project gets there
# only as a Xen host gets it: apt installs the three packages of deb.sh,
# their dependencies from the mirror, and DKMS builds the xen_lend module
# for dom0's kernel; dom0 loads it at boot wherever it runs, and the
# packaged hypervisor with XENMEM_lend is booted as boot/xen-lend.  The
# root is rebuilt when its package list changes, the init scripts and
# the initramfs when they change, the packages reinstalled when they do.
# The harness's own tools (xen-lend-test of xen-lend-module.sh, a QMP
# client) go to /opt/vgxl.
#
# Results in $CACHE/xen: root/ (dom0's root, the three packages),
# root-stock/ (the same with the device model package alone, for Debian's
# Xen), boot/{xen,xen-lend,vmlinuz,initrd.img}.

. "$(dirname "$0")/common.sh"

XEN=$CACHE/xen
ROOT=$XEN/root
XEN_VERSION=4.20
# A Xen host before the project: Debian's Xen and kernel, with headers
# (DKMS builds against them; xen-lend-module.sh too, as a check); python3
# runs the harness's QMP client.
PACKAGES="xen-hypervisor-$XEN_VERSION-amd64 xen-utils-$XEN_VERSION
          xen-utils-common linux-image-amd64 linux-headers-amd64 make
          busybox-static kmod iproute2 procps python3"
# virtio_pci may be built in; modprobe then reports it and it is skipped.
INITRD_MODULES="virtio_pci 9pnet_virtio 9p"
# The harness's tools in dom0, and the guest's xl.cfg.
TOOLS_DIR=/opt/vgxl
GUEST_CFG=$TOP/docs/system/devices/virtio-gpu-xen-lend-xl.cfg
[ -r "$GUEST_CFG" ] || die "no $GUEST_CFG"

# /init of dom0's initramfs: only what it takes to reach the 9p root.
initrd_init() {
    initrd_init_start
    cat <<'EOF'
mount -t proc proc /proc
# The virtio device may appear only after its driver is loaded.
i=0
until mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose \
        root /newroot; do
    i=$((i + 1))
    if [ $i -ge 10 ]; then
        echo "vgxl-dom0: cannot mount the 9p root"
        poweroff -f
    fi
    sleep 1
done
mount -o move /dev /newroot/dev
umount /proc
exec switch_root /newroot /usr/local/sbin/vgxl-dom0-init
EOF
}

# PID 1 of dom0: Xen's toolstack, then the steps of vgxl.steps= on the
# kernel command line, each retried once; verdicts and logs go to the
# "results" 9p share, never to the console (Xen's UART stalls under TCG).
dom0_init() {
    cat <<'EOF'
#!/bin/bash
set -u
XB=$(ls -d /usr/lib/xen-[0-9]*/bin | tail -n1)
export PATH=/usr/local/sbin:/opt/vgxl/bin:$XB:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
# libxl waits 60 s for the device model by default: too short here.
export LIBXL_DEVICE_MODEL_START_TIMEOUT=600
R=/vgxl/results

mount -t proc proc /proc
mount -t sysfs sys /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm
for d in /run /tmp /var/lib/xen /var/log/xen /var/lib/xenstored; do
    mkdir -p "$d"
    mount -t tmpfs tmpfs "$d"
done
mkdir -p /run/xen /run/xenstored /var/log/xen/console
opts=trans=virtio,version=9p2000.L,msize=512000
# Results uncached, so that the host sees each line as it is written.
if ! mount -t 9p -o $opts results $R; then
    echo "vgxl-dom0: cannot mount the results share" >/dev/console
    busybox poweroff -f
fi
exec </dev/null >>$R/dom0.log 2>&1
mount -t 9p -o $opts,cache=loose guest /guest ||
    echo "vgxl-dom0: cannot mount the guest share"

up() { cut -d' ' -f1 /proc/uptime; }
note() {
    echo "$(up) $*" >>$R/timeline
    echo "vgxl-dom0: $(up): $*"
}
halt() {
    note "${1:-done}"
    sync
    busybox poweroff -f
    echo o >/proc/sysrq-trigger
    sleep 60
}

note dom0-userspace
# What dom0 is doing, every 30 s, for the post-mortem of a stuck run.
while sleep 30; do
    { echo "dom0 uptime $(up)"; top -b -n 1 | head -n 25; } >$R/dom0-top.txt
done &
echo "vgxl-dom0: $(uname -r) on Xen $(cat /sys/hypervisor/version/major \
    /sys/hypervisor/version/minor 2>/dev/null | tr '\n' . | sed 's/.$//')"
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do
    modprobe "$m" || echo "vgxl-dom0: modprobe $m failed"
done
mount -t xenfs xenfs /proc/xen || halt "failed: cannot mount xenfs"
xenstored --pid-file /run/xenstored.pid || halt "failed: xenstored"
i=0
until xenstore-read -s / >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 30 ] || halt "failed: xenstored does not answer"
    sleep 1
done
xen-init-dom0 || halt "failed: xen-init-dom0"
xenconsoled --pid-file=/run/xenconsoled.pid --log=guest ||
    halt "failed: xenconsoled"
xl info >$R/xl-info.txt 2>&1
grep -q '^virt_caps.*hvm' $R/xl-info.txt ||
    halt "failed: Xen cannot run HVM guests (no SVM or NPT?)"
# What of the project dpkg knows here.
dpkg-query -W 'virtio-gpu-xen-lend*' 'xen-lend-dkms*' \
    'xen-hypervisor-*-lend-*' >$R/dom0-packages.txt 2>&1
# The dom0 half of memory lending: it loads only on a Xen with
# XENMEM_lend, and elsewhere refuses in one line.  The stock stage's
# root has the device model package alone: there the harness loads the
# module built from the tree (xen-lend-module.sh), to see it refuse.
if [ -e /opt/vgxl/lib/xen_lend.ko ]; then
    insmod /opt/vgxl/lib/xen_lend.ko
else
    modprobe xen_lend
fi >$R/xen-lend-insmod.txt 2>&1
if [ $? = 0 ]; then
    echo loaded >$R/xen-lend-module.txt
else
    echo refused >$R/xen-lend-module.txt
fi
dmesg | grep xen_lend >$R/xen-lend-dmesg.txt
note toolstack

# Seconds a try of a step may take: its guest's own deadline, xl create
# (300 s at most) and the teardown.  run-xen.sh allows a minute more.
step_limit() {
    local kind a b c rest
    IFS=: read -r kind a b c rest <<<"$1"
    case $kind in
    guest) echo $((c + 360)) ;;
    revoke) echo $((2 * c + 360)) ;;
    destroy) echo $((b + 420)) ;;
    lifetime) echo 600 ;;
    *) echo 360 ;;
    esac
}

steps=$(sed -n 's/.*vgxl\.steps=\([^ ]*\).*/\1/p' /proc/cmdline)
n=0
for step in ${steps//+/ }; do
    n=$((n + 1))
    # A failed step is tried once more.  A try whose guest kernel
    # crashed (nested TCG's SVM emulation makes one now and then) gives
    # a verdict on nothing: it earns one more try, twice at most.
    try=1
    crashes=0
    while :; do
        dir=$R/$(printf %02d $n)-${step//:/-}
        [ $try = 1 ] || dir=$dir.retry${try#2}
        mkdir -p "$dir"
        note "step $n $step try $try"
        t0=$(up)
        if timeout -k 10 "$(step_limit "$step")" \
                vgxl-dom0-step "$dir" ${step//:/ } >"$dir/step.log" 2>&1; then
            v=PASS
        else
            v=FAIL
        fi
        echo "$n $step try=$try $v $(awk -v a="$t0" -v b="$(up)" \
            'BEGIN { printf "%.1f", b - a }')s ${dir#$R/}" >>$R/verdicts
        [ $v = FAIL ] || break
        # A failed try must leave nothing for the next one to trip on.
        xl list | awk 'NR > 1 && $2 != 0 { print $1 }' |
            while read -r d; do xl destroy "$d"; done
        if grep -q '^guest_crash=' "$dir/facts" 2>/dev/null &&
           [ $crashes -lt 2 ]; then
            crashes=$((crashes + 1))
        fi
        [ $try -lt $((2 + crashes)) ] || break
        try=$((try + 1))
    done
done
xl dmesg >$R/xl-dmesg.txt 2>&1
halt done
EOF
}

# One step in dom0: vgxl-dom0-step DIR KIND ARGS...; its logs and facts
# ("key=value" lines) go to DIR; exit status 0 is a pass.
#   guest JOBS LEND SECS [KARG...]  boot the guest with job JOBS (one,
#                        or several: JOB,JOB...), lend=LEND and KARGs on
#                        its kernel command line; wait up to SECS for its
#                        verdict
#   refuse LEND          xl create must fail: the device refuses LEND
#   destroy JOB SECS     xl destroy the guest while JOB runs; no device
#                        model or render server may survive it
#   revoke JOBS LEND SECS [KARG...]  a guest step; while its first job
#                        runs the host revokes every lent slot, by
#                        unlending it and by dropping QEMU's mapping of
#                        it, again and again
#   lendtool             xen-lend-test's refusals and revocations against
#                        a paused guest
#   lifetime destroy|kill  pages lent, then xl destroy of the guest or
#                        kill -9 of its device model: Xen's count of lent
#                        pages returns to 0, xl dmesg stays quiet
# After each step Xen's count of lent pages is a fact (xen_lent_after).
dom0_step() {
    cat <<'EOF'
#!/bin/bash
set -u
dir=$1 kind=$2
shift 2
CFG=/etc/xen/vgxl-guest.cfg
# virglrenderer's own messages (its render server dying, for one) in the
# device model's log, next to its LOG_GUEST_ERROR lines (-d guest_errors).
export VIRGL_LOG_LEVEL=debug
# The render server's lavapipe compiles shaders in dom0, emulated twice
# over (minutes for the compute test's one shader): without LLVM's
# optimisation passes.  The guest waits all that time polling Venus's
# ring, the longest stretch a guest runs here.
export GALLIVM_PERF=nopt
# Unique per step and try: libxl keeps a dead domain's name for a while.
name=vgxl-$(basename "$dir" | sed 's/-.*//')$(
    case $dir in *.retry*) echo "r${dir##*.retry}" ;; esac)
up() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }'; }
fact() { echo "$1=$2" >>"$dir/facts"; }
dm_procs() {
    pgrep -a -f '/usr/lib/virtio-gpu-xen-lend/bin/qemu-system-x86_64|virgl_render_server'
}
# Polled every second: xenstore-exists is far lighter than xl.  Under
# nested TCG either sometimes crashes or hangs on its own (the L0
# emulation): such a glitch is retried and logged, and only an answer
# counts.  xenstore-exists exits 1 for a missing path.
domid=
running() {
    local try rc
    for try in 1 2 3; do
        [ -n "$domid" ] || domid=$(timeout 30 xl domid "$name" 2>/dev/null)
        if [ -n "$domid" ]; then
            timeout 15 xenstore-exists "/local/domain/$domid"
            rc=$?
            [ $rc -gt 1 ] || return $rc
            echo "glitch: xenstore-exists exited with $rc (try $try)"
        elif xl list "$name" >/dev/null 2>&1; then
            echo "glitch: xl domid $name failed (try $try)"
        else
            return 1
        fi
        sleep 1
    done
    return 1
}
# The guest's serial port writes a byte at a time: to tmpfs, not to 9p.
# Its kernel logs to the PV console, which xenconsoled writes to console.
serial=/var/log/xen/serial-$name.log
console=/var/log/xen/console/guest-$name.log
save_logs() {
    cp "/var/log/xen/qemu-dm-$name.log" "$dir/qemu-dm.log" 2>/dev/null
    cp "$serial" "$dir/serial.log" 2>/dev/null
    cp "$console" "$dir/console.log" 2>/dev/null
    { free -m; dmesg | tail -n 20; } >"$dir/dom0-state.txt" 2>&1
    cp "/var/log/xen/xl-$name.log" "$dir/" 2>/dev/null
}

# The device model's QMP socket, for lend-stats and revocations.
qmp=/run/vgxl-qmp-$name
# Where a paused guest has a hole: above its RAM, before any BAR exists.
HOLE=0x100000000

# create [-p] JOB LEND [KARGS]: xl create of the guest of $CFG, paused
# with -p; the kernel's last vgxl.run= wins, so appending one picks the
# job.  vgxl.hold keeps a finished guest up for save_stats; nokaslr lets
# the RIP of a crash that Xen dumps be read against System.map.
create() {
    local t0 rc args=() g paused=
    if [ "$1" = -p ]; then
        paused=-p
        shift
    fi
    args=("name=\"$name\"" "serial=\"file:$serial\""
          "cmdline+=\" nokaslr vgxl.run=$1 vgxl.hold=120 ${3:-}\""
          "device_model_args+=[\"-d\",\"guest_errors\"]"
          "device_model_args+=[\"-msg\",\"timestamp=on\"]"
          "device_model_args+=[\"-trace\",\"xen_lend_failure\"]"
          "device_model_args+=[\"-trace\",\"xen_lend_relend\"]"
          "device_model_args+=[\"-qmp\",\"unix:$qmp,server=on,wait=off\"]")
    # The GL jobs: Mesa's GL stack is in initrd-gl.img only (200 MB
    # unpacked, hence the memory), and they ask for virgl.
    case ,$1, in
    *,gl*)
        g=virtio-gpu-xen-lend-device.virgl=on
        args+=("ramdisk=\"/guest/initrd-gl.img\"" "memory=1024"
               "device_model_args+=[\"-global\",\"$g\"]") ;;
    esac
    # lend=auto is the device's default and the xl.cfg's.
    if [ "$2" != auto ]; then
        g=virtio-gpu-xen-lend-device.lend=$2
        args+=("device_model_args+=[\"-global\",\"$g\"]")
    fi
    echo "xl create $CFG ${args[*]}"
    t0=$(up)
    timeout -k 10 300 xl -v create $paused "$CFG" "${args[@]}" \
        >"$dir/xl-create.log" 2>&1
    rc=$?
    fact create_s "$(since "$t0")"
    fact create_rc $rc
    if [ $rc = 0 ]; then
        for _ in 1 2 3; do
            domid=$(timeout 30 xl domid "$name") && break
        done
    fi
    save_logs
    cat "$dir/xl-create.log"
    return $rc
}

# wait_serial PATTERN SECS: until the guest prints PATTERN; fails when
# the domain is gone or the time is up (by the clock: a loaded dom0 makes
# each poll slow).
wait_serial() {
    local t0 i=0
    t0=$(up)
    while awk -v a="$t0" -v b="$(up)" -v s="$2" 'BEGIN { exit b - a >= s }'
    do
        grep -a -q "$1" "$serial" 2>/dev/null && return 0
        running || { echo "domain $name is gone"; return 1; }
        sleep 1
        i=$((i + 1))
        # Now and then, for whoever watches a slow guest from the host.
        if [ $((i % 20)) = 0 ]; then
            cp "$serial" "$dir/serial.log" 2>/dev/null
            cp "$console" "$dir/console.log" 2>/dev/null
            cp "/var/log/xen/qemu-dm-$name.log" "$dir/qemu-dm.log" 2>/dev/null
        fi
    done
    echo "no '$1' from the guest after $2 s"
    return 1
}

# gone SECS: until the domain, its device model and its render server
# are all gone.
gone() {
    local i=0
    while [ $i -lt "$1" ]; do
        if ! running && ! dm_procs >/dev/null; then
            return 0
        fi
        sleep 1
        i=$((i + 1))
    done
    echo "still there after $1 s:"
    xl list
    dm_procs
    return 1
}

# Xen's count of lent pages, all domains; empty without the module.
lent_count() {
    [ -e /dev/xen/privcmd-lend ] || return 0
    xen-lend-test count | sed -n 's/^xen-lent-count //p'
}

# The device model's lend-stats as facts lend_NAME=VALUE.
save_stats() {
    timeout 60 python3 /opt/vgxl/bin/qmp.py "$qmp" stats \
        >"$dir/lend-stats.json" 2>&1 || return 0
    python3 -c 'import json, sys
for k, v in json.load(open(sys.argv[1])).items():
    print("lend_%s=%s" % (k.replace("-", "_"), v))' "$dir/lend-stats.json" \
        >>"$dir/facts"
}

# result SECS: wait for the guest's verdict; its lend-stats while it
# holds, then xl destroy.
result() {
    local t0 result
    t0=$(up)
    wait_serial 'VGXL-RESULT:' "$1"
    fact result_s "$(since "$t0")"
    result=$(grep -a -o 'VGXL-RESULT: [A-Z]*' "$serial" | tail -n1)
    fact result "${result#VGXL-RESULT: }"
    save_stats
    xl destroy "$name" 2>/dev/null
    gone 60
    save_logs
    [ "$result" = "VGXL-RESULT: PASS" ]
}

step_guest() {
    local job=$1 lend=$2 secs=$3
    shift 3
    create "$job" "$lend" "$*" || return 1
    result "$secs"
}

# Revocations run while the first of JOBS runs: it ends at its own
# verdict, renamed when JOBS are several, or at the guest's.
step_revoke() {
    local jobs=$1 lend=$2 secs=$3 job=${1%%,*} loop t0
    shift 3
    create "$jobs" "$lend" "$*" || return 1
    t0=$(up)
    wait_serial "vgxl: running vgxl-$job" "$secs" || return 1
    python3 /opt/vgxl/bin/qmp.py "$qmp" revoke-loop "$secs" \
        x-lend-revoke x-lend-zap >"$dir/revoke-loop.json" 2>&1 &
    loop=$!
    wait_serial "^vgxl-$job: \|VGXL-RESULT:" "$secs"
    kill -TERM $loop
    wait $loop
    python3 -c 'import json, sys
for k, v in json.loads(open(sys.argv[1]).readlines()[-1]).items():
    print("revoked_%s=%s" % (k.replace("-", "_"), v))' \
        "$dir/revoke-loop.json" >>"$dir/facts"
    result "$(awk -v a="$t0" -v b="$(up)" -v s="$secs" \
        'BEGIN { r = s - (b - a); printf "%d", (r > 10 ? r : 10) }')"
}

step_lendtool() {
    local rc=0
    create -p uname auto || return 1
    xen-lend-test refuse "$domid" --hole $HOLE || rc=1
    xen-lend-test lend "$domid" $HOLE 16 || rc=1
    xl destroy "$name"
    gone 30 || rc=1
    return $rc
}

# wait_count TEST SECS: until Xen's lent count passes the test (-gt 0...).
wait_count() {
    local i=0 n
    while [ $i -lt "$3" ]; do
        n=$(lent_count)
        [ "${n:-x}" "$1" "$2" ] 2>/dev/null && return 0
        sleep 1
        i=$((i + 1))
    done
    echo "Xen's lent count is ${n:-unknown}, not $1 $2 after $3 s"
    return 1
}

# stop_lending PID SECS: stop device model PID at a moment when Xen counts
# pages lent, so that none can be unlent before it is killed.
stop_lending() {
    local i n
    for i in $(seq "$2"); do
        kill -STOP "$1" || return 1
        n=$(lent_count)
        [ "${n:-0}" -gt 0 ] && return 0
        kill -CONT "$1"
        sleep 1
    done
    echo "Xen counted no lent page in $2 s"
    return 1
}

step_lifetime() {
    local rc=0 holder lines pid
    lines=$(xl dmesg | wc -l)
    case $1 in
    destroy)
        create -p uname auto || return 1
        xen-lend-test hold "$domid" $HOLE 64 >"$dir/hold.log" 2>&1 &
        holder=$!
        wait_count -ge 64 60 || rc=1
        fact lent_before "$(lent_count)"
        xl destroy "$name"
        gone 30 || rc=1
        wait_count -eq 0 30 || rc=1
        kill -9 $holder
        wait $holder ;;
    kill)
        create stress privcmd vgxl.iters=1000000 || return 1
        wait_serial "vgxl: running vgxl-stress" 300 || rc=1
        pid=$(pgrep -f "qemu-system-x86_64 .*-xen-domid $domid ")
        stop_lending "$pid" 120 || rc=1
        fact lent_before "$(lent_count)"
        echo "kill -9 of the device model, pid $pid"
        kill -9 $pid || rc=1
        wait_count -eq 0 30 || rc=1
        xl destroy "$name"
        gone 30 || rc=1 ;;
    esac
    xl dmesg | tail -n +$((lines + 1)) >"$dir/xl-dmesg-new.txt"
    if grep -i -E 'warn|assert|bug|crash|leak' "$dir/xl-dmesg-new.txt"; then
        echo "xl dmesg has new warnings"
        rc=1
    fi
    return $rc
}

step_refuse() {
    local lend=$1 msg="dom0's kernel has no memory lending" rc=0
    create uname "$lend" && rc=1
    grep -q "$msg" "$dir/xl-create.log" && fact message_in xl-create.log
    grep -q "$msg" "$dir/qemu-dm.log" 2>/dev/null &&
        fact message_in qemu-dm.log
    grep -q "^message_in=" "$dir/facts" || {
        echo "no '$msg' in what xl create reported"
        rc=1
    }
    gone 30 || { xl destroy "$name"; rc=1; }
    return $rc
}

step_destroy() {
    local job=$1 secs=$2 t0 i=0
    create "$job" auto "vgxl.iters=1000000" || return 1
    wait_serial "vgxl: running vgxl-$job" "$secs" || return 1
    # Destroy it while the render server serves it, if it comes up.
    while [ $i -lt 120 ] && ! pgrep -f virgl_render_server >/dev/null; do
        running || break
        sleep 1
        i=$((i + 1))
    done
    if pgrep -f virgl_render_server >/dev/null; then
        fact render_server seen
    else
        fact render_server never-seen
    fi
    dm_procs
    t0=$(up)
    xl destroy "$name" || return 1
    gone 30 || return 1
    fact destroy_s "$(since "$t0")"
    save_logs
}

echo "step $kind $* as domain $name at dom0 uptime $(up)"
"step_$kind" "$@"
rc=$?
fact xen_lent_after "$(lent_count)"
# Whether a failure was the guest's kernel dying rather than a verdict.
if [ $rc != 0 ] && [ -n "$domid" ]; then
    if xl dmesg | grep -q "d${domid}v[0-9]* Triple fault"; then
        fact guest_crash triple-fault
    elif grep -a -q -E 'Oops:|Kernel panic' "$dir/console.log" 2>/dev/null
    then
        fact guest_crash oops
    fi
fi
exit $rc
EOF
}


start=$SECONDS
packages=$(echo $PACKAGES)
pkg_hash=$(echo "$DEBIAN_SUITE $packages" | md5sum | cut -d' ' -f1)
files_hash=$( { echo "$pkg_hash $INITRD_MODULES $TOOLS_DIR"; initrd_init
                dom0_init; dom0_step; initrd_pack_script; cat "$GUEST_CFG"; } |
              md5sum | cut -d' ' -f1)

# The root filesystem: rebuilt from scratch when the package list changes.
if [ "$(cat "$ROOT/.vgxl-packages" 2>/dev/null)" != "$pkg_hash" ]; then
    mirror=$(host_mirror)
    log "creating the Debian $DEBIAN_SUITE dom0 root in $ROOT from $mirror"
    rm -rf "$ROOT.tmp"
    mkdir -p "$XEN"
    debootstrap --variant=minbase "$DEBIAN_SUITE" "$ROOT.tmp" "$mirror" >&2 ||
        die "debootstrap failed; see $ROOT.tmp/debootstrap/debootstrap.log"
    log "installing" $packages
    # No daemon may start in the chroot; the kernel's initramfs is unused.
    printf '#!/bin/sh\nexit 101\n' >"$ROOT.tmp/usr/sbin/policy-rc.d"
    chmod 755 "$ROOT.tmp/usr/sbin/policy-rc.d"
    in_root "$ROOT.tmp" INITRD=No sh -ec "
        apt-get update -q
        apt-get install -y -q --no-install-recommends $packages
        apt-get clean
        rm -f /boot/initrd.img-*
    " >&2 || die "installing the dom0 packages failed"
    rm -f "$ROOT.tmp/usr/sbin/policy-rc.d"
    echo "$pkg_hash" >"$ROOT.tmp/.vgxl-packages"
    rm -rf "$ROOT" "$XEN/.vgxl-files" "$XEN/.vgxl-debs"
    mv "$ROOT.tmp" "$ROOT"
    log "dom0 root built in $((SECONDS - start)) s"
fi

# Init scripts, guest config, Xen, kernel and initramfs: cheap, redone
# when they change.
if [ "$(cat "$XEN/.vgxl-files" 2>/dev/null)" != "$files_hash" ]; then
    log "installing dom0's init, packing its initramfs"
    install -d "$ROOT/usr/local/sbin" "$ROOT/vgxl/results" "$ROOT/guest" \
        "$ROOT$TOOLS_DIR/bin" "$XEN/boot"
    dom0_init >"$ROOT/usr/local/sbin/vgxl-dom0-init"
    dom0_step >"$ROOT/usr/local/sbin/vgxl-dom0-step"
    chmod 755 "$ROOT"/usr/local/sbin/vgxl-dom0-*
    install -m 644 "$GUEST_CFG" "$ROOT/etc/xen/vgxl-guest.cfg"

    xen_gz=$(ls "$ROOT"/boot/xen-$XEN_VERSION-amd64.gz) ||
        die "no Xen $XEN_VERSION in $ROOT/boot"
    # A multiboot ELF that QEMU's -kernel boots as it is.
    zcat "$xen_gz" >"$XEN/boot/xen"
    kver=$(ls "$ROOT/usr/lib/modules" | sort -V | tail -n1)
    [ -n "$kver" ] || die "no kernel modules in $ROOT/usr/lib/modules"
    cp "$ROOT/boot/vmlinuz-$kver" "$XEN/boot/vmlinuz"

    initrd_tree "$ROOT" initrd_init
    initrd_pack "$ROOT" "$XEN/boot/initrd.img" $INITRD_MODULES
    echo "$files_hash" >"$XEN/.vgxl-files"
fi

# The project, as a host installs it: the packages, whenever they
# changed (an upgrade, as apt does it), with their dependencies and what
# they recommend.
debs=$("$TOP/scripts/deb.sh" "$XEN/debs") || die "cannot build the packages"
debs_hash=$(cat $debs | md5sum | cut -d' ' -f1)
if [ "$(cat "$XEN/.vgxl-debs" 2>/dev/null)" != "$debs_hash" ]; then
    log "installing in dom0:" $(for f in $debs; do basename "$f"; done)
    t0=$SECONDS
    rm -f "$XEN/.vgxl-debs"
    rm -rf "$ROOT/var/tmp/debs"
    mkdir -p "$ROOT/var/tmp/debs"
    cp $debs "$ROOT/var/tmp/debs/"
    printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
    chmod 755 "$ROOT/usr/sbin/policy-rc.d"
    in_root "$ROOT" INITRD=No sh -ec '
        apt-get update -q
        apt-get install -y -q /var/tmp/debs/*.deb
        apt-get clean
        rm -f /boot/initrd.img-*
    ' >&2 || die "installing the packages in dom0 failed"
    rm -rf "$ROOT/usr/sbin/policy-rc.d" "$ROOT/var/tmp/debs"
    kver=$(ls "$ROOT/usr/lib/modules" | sort -V | tail -n1)
    in_root "$ROOT" modinfo -k "$kver" -n xen_lend >/dev/null ||
        die "DKMS built no xen_lend for $kver in dom0"
    echo "$debs_hash" >"$XEN/.vgxl-debs"
    log "packages installed in $((SECONDS - t0)) s, DKMS's build included"
fi
# A multiboot ELF that QEMU's -kernel boots as it is.
xen_lend_gz=$ROOT/boot/xen-$XEN_VERSION-lend-amd64.gz
[ -s "$xen_lend_gz" ] || die "no $xen_lend_gz: is its package installed?"
zcat "$xen_lend_gz" >"$XEN/boot/xen-lend.tmp"
mv "$XEN/boot/xen-lend.tmp" "$XEN/boot/xen-lend"

# The harness's tools: xen-lend-test (whose build also builds the
# module from the tree) and the QMP client.
module=$("$TOP/scripts/xen-lend-module.sh" "$ROOT") ||
    die "cannot build the xen_lend module"
install -m 755 "$module/xen-lend-test" "$TOP/scripts/qmp.py" \
    "$ROOT$TOOLS_DIR/bin/"

# The stock stage's root: the same with the device model package alone,
# as a host on Debian's Xen has it, and the module built from the tree
# for the harness to see it refuse.
stock_hash=$(cat "$ROOT/.vgxl-packages" "$XEN/.vgxl-debs" "$XEN/.vgxl-files" \
                 "$module/xen_lend.ko" "$module/xen-lend-test" \
                 "$TOP/scripts/qmp.py" | md5sum | cut -d' ' -f1)
if [ "$(cat "$XEN/.vgxl-stock" 2>/dev/null)" != "$stock_hash" ]; then
    log "making the stock stage's dom0 root: the device model alone"
    rm -rf "$XEN/root-stock" "$XEN/root-stock.tmp" "$XEN/.vgxl-stock"
    cp -a "$ROOT" "$XEN/root-stock.tmp"
    # (sudo, which dkms recommends, refuses to go unless told.)
    in_root "$XEN/root-stock.tmp" SUDO_FORCE_REMOVE=yes sh -ec '
        apt-get purge -y -q "$@"
        apt-get autoremove --purge -y -q
    ' sh xen-lend-dkms "xen-hypervisor-$XEN_VERSION-lend-amd64" >&2 ||
        die "removing the lending packages from the stock root failed"
    install -d "$XEN/root-stock.tmp$TOOLS_DIR/lib"
    install -m 644 "$module/xen_lend.ko" "$XEN/root-stock.tmp$TOOLS_DIR/lib/"
    mv "$XEN/root-stock.tmp" "$XEN/root-stock"
    echo "$stock_hash" >"$XEN/.vgxl-stock"
fi

log "dom0 ready in $((SECONDS - start)) s: $XEN/{root,root-stock,boot}"
