#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build (once) the Debian 13 test guest that run-guest.sh boots: a root
# filesystem shared over 9p, its kernel, and a tiny busybox initramfs that
# mounts that root.  Everything comes from the guest's own packages, so the
# host needs only debootstrap and coreutils.

. "$(dirname "$0")/common.sh"

GUEST=$CACHE/guest
ROOT=$GUEST/root
# OpenGL: Mesa's EGL, GBM and GLES with its virgl and zink drivers, and
# eglinfo; the benchmark glmark2.
PACKAGES="linux-image-amd64 mesa-vulkan-drivers vulkan-tools busybox-static
          kmod libegl-mesa0 libgbm1 libgles2 libgl1-mesa-dri mesa-utils-bin
          glmark2-es2-drm"
# virtio_pci may be built in; modprobe then reports it and it is skipped.
INITRD_MODULES="virtio_pci 9pnet_virtio 9p"


# /init of the initramfs: only what it takes to reach the 9p root.
initrd_init() {
    initrd_init_start
    cat <<'EOF'
mount -t proc proc /proc
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 root /newroot
then
    mount -o move /dev /newroot/dev
    umount /proc
    exec switch_root /newroot /sbin/vgxl-init
fi
echo "VGXL-RESULT: FAIL (cannot mount the 9p root)"
poweroff -f
EOF
}

# /init of initrd-self.img, the initramfs that is the whole root: for a
# guest without the 9p root, the Xen guest, whose 9p would be served by a
# device model that reads its own files over 9p again (two emulated round
# trips per read, a minute and more per boot nested under TCG).
self_init() {
    initrd_init_start
    cat <<'EOF'
exec /usr/sbin/vgxl-init
EOF
}
# What it holds besides busybox: the jobs, their programs, Venus, and the
# libraries of all of these; its modules: the GPU's and their dependencies.
SELF_FILES="usr/sbin/vgxl-init usr/local/bin/vgxl-* usr/local/libexec/vgxl/*
            usr/bin/vulkaninfo usr/lib/x86_64-linux-gnu/libvulkan_virtio.so
            usr/share/vulkan/icd.d/virtio_icd.json"
# xen_privcmd: for the Xen guest's hypercall-buffer check (job hcbuf).
SELF_MODULES="virtio_pci virtio_gpu xen_privcmd"
# initrd-gl.img is initrd-self.img followed by a second archive with
# Mesa's OpenGL stack (the kernel unpacks both): for the Xen guest's GL
# job.  It is apart because it is large (LLVM, which llvmpipe and so
# every Mesa GL driver links) and every other Xen guest boots faster
# without it.
GL_FILES="usr/lib/x86_64-linux-gnu/libEGL_mesa.so.0
          usr/lib/x86_64-linux-gnu/gbm/dri_gbm.so
          usr/lib/x86_64-linux-gnu/dri/virtio_gpu_dri.so
          usr/share/glvnd/egl_vendor.d/50_mesa.json
          usr/bin/eglinfo.x86_64-linux-gnu"

# Copies its arguments and every library they need into the initramfs
# tree that initrd_pack_script packs.
self_copy_script() {
    cat <<'EOF'
set -e
s=/var/tmp/vgxl-initrd
for f in "$@"; do
    cp -L --parents "$f" "$s"
done
for f in "$@"; do
    if [ "$(head -c 4 "$f" | tail -c 3)" = ELF ]; then
        ldd "$f"
    fi
done >/tmp/vgxl-ldd
! grep "not found" /tmp/vgxl-ldd
awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' \
    /tmp/vgxl-ldd | sort -u >/tmp/vgxl-libs
while read -r lib; do
    cp -L --parents "$lib" "$s"
done </tmp/vgxl-libs
rm /tmp/vgxl-ldd /tmp/vgxl-libs
EOF
}

# PID 1 of the guest: run the job named by vgxl.run= and always power off,
# so that a failing job ends the run instead of waiting for the timeout.
guest_init() {
    cat <<'EOF'
#!/bin/sh
export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root XDG_CACHE_HOME=/tmp XDG_RUNTIME_DIR=/tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
exec </dev/null >/dev/ttyS0 2>&1
jobs=$(sed -n 's/.*vgxl\.run=\([^ ]*\).*/\1/p' /proc/cmdline)
# Loaded already where the initramfs is the whole root (initrd-self.img).
[ -d /sys/module/virtio_gpu ] || modprobe virtio_gpu ||
    echo "vgxl: modprobe virtio_gpu failed"
run_job() {
    if [ -x "/usr/local/bin/vgxl-$1" ]; then
        echo "vgxl: running vgxl-$1"
        "vgxl-$1" || echo "vgxl: vgxl-$1 exited with status $?"
    else
        echo "VGXL-RESULT: FAIL (no job '$1'; pass vgxl.run=NAME)"
    fi
}
# vgxl.run=JOB,JOB...: the jobs run in turn in one boot, each to its end,
# which saves a boot per job.  Each job's verdict is renamed "vgxl-JOB:",
# so that the only VGXL-RESULT line is the last: PASS when all passed.
case $jobs in
*,*)
    r=PASS
    for j in $(echo "$jobs" | tr , ' '); do
        run_job "$j" 2>&1 | awk -v j="$j" '
            sub(/^VGXL-RESULT: /, "vgxl-" j ": ") { v = $2 }
            { print; fflush() }
            END { exit v != "PASS" }' || r=FAIL
    done
    echo "VGXL-RESULT: $r" ;;
*)
    run_job "$jobs" ;;
esac
# vgxl.hold=SECONDS: stay up after the verdict, so that the host can
# read the device model's state of a guest that has finished.
hold=$(sed -n 's/.*vgxl\.hold=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
[ -z "$hold" ] || sleep "$hold"
sync
busybox poweroff -f
echo o >/proc/sysrq-trigger
sleep 60
EOF
}

# Jobs: /usr/local/bin/vgxl-NAME, each printing one VGXL-RESULT line.
job_uname() {
    cat <<'EOF'
#!/bin/sh
# Proves the boot path: kernel, 9p root, serial console, power off.
uname -a
ls -l /dev/dri
echo "VGXL-RESULT: PASS"
EOF
}

job_device() {
    cat <<'EOF'
#!/bin/sh
# Passes when the guest's virtio_gpu driver bound the device with the
# features Venus needs and was offered the Venus capset (id 4): what can
# be checked without running Vulkan.
dev=/sys/class/drm/renderD128/device
ls -l /dev/dri
echo "vgxl: renderD128 is $(cat $dev/vendor):$(cat $dev/device)," \
    "driver $(basename "$(readlink $dev/driver)")"
dmesg | grep -E '\[drm\] (features|cap set|Host memory window)' | tee /tmp/drm
if [ -c /dev/dri/renderD128 ] &&
   grep -q 'features: +virgl .*+resource_blob +host_visible' /tmp/drm &&
   grep -q 'features: +context_init' /tmp/drm &&
   grep -q 'cap set [0-9]*: id 4,' /tmp/drm; then
    echo "VGXL-RESULT: PASS"
else
    echo "VGXL-RESULT: FAIL"
fi
EOF
}

job_vulkaninfo() {
    cat <<'EOF'
#!/bin/sh
# Passes when Mesa's Venus driver finds the host's Vulkan device.  Only
# Venus is loaded: the guest's own llvmpipe takes 30 s to load under TCG.
export VK_DRIVER_FILES=/usr/share/vulkan/icd.d/virtio_icd.json
out=$(vulkaninfo --summary 2>&1)
echo "$out"
if echo "$out" | grep -q 'deviceName.*Venus'; then
    echo "VGXL-RESULT: PASS"
else
    echo "VGXL-RESULT: FAIL"
fi
EOF
}

# The jobs below run the programs of tests/guest/, which guest-programs.sh
# builds into /usr/local/libexec/vgxl (not next to the jobs: the job
# "bandwidth" and the program vgxl-bandwidth would share a name).  Each
# program prints its own verdict; the job turns it into VGXL-RESULT.
job_compute() {
    cat <<'EOF'
#!/bin/sh
# A compute shader on the Venus device, its buffers in mapped blobs.  Only
# Venus is loaded, as in vgxl-vulkaninfo.  vgxl.compute="ARGS" gives
# vgxl-vkcompute its arguments (scripts/benchmark-gl.sh times it).
export VK_DRIVER_FILES=/usr/share/vulkan/icd.d/virtio_icd.json
args=$(sed -n 's/.*vgxl\.compute="\([^"]*\)".*/\1/p' /proc/cmdline)
# Timed with /proc/uptime: busybox's date, in the Xen guest, has no %N.
up() { cut -d' ' -f1 /proc/uptime; }
start=$(up)
if /usr/local/libexec/vgxl/vgxl-vkcompute $args; then r=PASS; else r=FAIL; fi
echo "vgxl: vgxl-vkcompute took $(echo "$(up) $start" |
    awk '{ printf "%.1f", $1 - $2 }')s"
echo "VGXL-RESULT: $r"
EOF
}

job_stress() {
    cat <<'EOF'
#!/bin/sh
# Blob create, map, check, unmap, destroy in a loop; vgxl.iters=N on the
# kernel command line sets the number of iterations.
iters=$(sed -n 's/.*vgxl\.iters=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
up() { cut -d' ' -f1 /proc/uptime; }
start=$(up)
if /usr/local/libexec/vgxl/vgxl-blob-stress "${iters:-2000}"; then
    r=PASS
else
    r=FAIL
fi
echo "vgxl: vgxl-blob-stress took $(echo "$(up) $start" |
    awk '{ printf "%.1f", $1 - $2 }')s"
echo "VGXL-RESULT: $r"
EOF
}

job_bandwidth() {
    cat <<'EOF'
#!/bin/sh
# Read and write bandwidth through a mapped blob against guest RAM;
# vgxl.kib=N on the kernel command line sets the blob size in KiB.
kib=$(sed -n 's/.*vgxl\.kib=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
out=$(/usr/local/libexec/vgxl/vgxl-bandwidth $kib 2>&1)
rc=$?
echo "$out"
if [ $rc = 0 ] && echo "$out" | grep -q '^VGXL-BANDWIDTH blob-read='; then
    echo "VGXL-RESULT: PASS"
else
    echo "VGXL-RESULT: FAIL"
fi
EOF
}

job_cycles() {
    cat <<'EOF'
#!/bin/sh
# Blob create + map + touch + unmap + destroy cycles per second.
out=$(/usr/local/libexec/vgxl/vgxl-blob-stress --cycles 5 2>&1)
rc=$?
echo "$out"
if [ $rc = 0 ] && echo "$out" | grep -q '^blob-cycles: '; then
    echo "VGXL-RESULT: PASS"
else
    echo "VGXL-RESULT: FAIL"
fi
EOF
}

job_hcbuf() {
    cat <<'EOF'
#!/bin/sh
# Xen guests only: a hypercall whose buffer is in a mapped blob fails.
# A domU's privcmd blocks hypercalls unless loaded unrestricted, and
# insmod, unlike modprobe, takes no parameter from the command line.
if rmmod xen_privcmd; then
    insmod /lib/modules/*-xen-privcmd.ko unrestricted=1 ||
        echo "vgxl: cannot load xen_privcmd unrestricted"
fi
if /usr/local/libexec/vgxl/vgxl-hcbuf; then
    echo "VGXL-RESULT: PASS"
else
    echo "VGXL-RESULT: FAIL"
fi
EOF
}

job_console() {
    cat <<'EOF'
#!/bin/sh
# Fills the virtio-gpu framebuffer with noise, then waits for the host to
# take a QMP screendump, which must not be blank.
fb=/sys/class/graphics/fb0
if [ ! -e /dev/fb0 ] || [ ! -r $fb/virtual_size ]; then
    ls -l /dev/fb* /sys/class/graphics 2>&1
    echo "VGXL-RESULT: FAIL (no /dev/fb0)"
    exit 0
fi
w=$(cut -d, -f1 $fb/virtual_size)
h=$(cut -d, -f2 $fb/virtual_size)
bpp=$(cat $fb/bits_per_pixel)
# A line may be longer than its pixels: use the stride where it is known.
stride=$(cat $fb/stride 2>/dev/null || echo $((w * bpp / 8)))
echo "vgxl: fb0 '$(cat $fb/name)' ${w}x${h}, $bpp bpp, stride $stride"
if ! dd if=/dev/urandom of=/dev/fb0 bs="$stride" count="$h" 2>&1; then
    echo "VGXL-RESULT: FAIL (cannot write /dev/fb0)"
    exit 0
fi
echo "VGXL-SCREENDUMP-READY"
sleep 15
echo "VGXL-RESULT: PASS"
EOF
}

job_gl() {
    cat <<'EOF'
#!/bin/sh
# OpenGL ES through virgl, checked pixel by pixel, and eglinfo's renderer.
# Timed, for the Xen guest's figure against plain TCG's.
up() { cut -d' ' -f1 /proc/uptime; }
start=$(up)
eglinfo=eglinfo.x86_64-linux-gnu
$eglinfo -B -p gbm 2>&1 | grep -i -e platform -e renderer
if ! $eglinfo -B -p gbm 2>/dev/null | grep -q "OpenGL.*renderer: virgl"; then
    r="FAIL (eglinfo names no virgl renderer)"
elif /usr/local/libexec/vgxl/vgxl-gl; then
    r=PASS
else
    r=FAIL
fi
echo "vgxl: the GL test took $(echo "$(up) $start" |
    awk '{ printf "%.1f", $1 - $2 }')s"
echo "VGXL-RESULT: $r"
EOF
}

job_glzink() {
    cat <<'EOF'
#!/bin/sh
# The same through zink on Venus: OpenGL on the guest's Vulkan driver.
# Venus over lavapipe is a CPU-type Vulkan device, which zink takes only
# with LIBGL_ALWAYS_SOFTWARE, and then only on the surfaceless platform
# (on GBM that variable picks the software rasterizer instead).
if LIBGL_ALWAYS_SOFTWARE=1 MESA_LOADER_DRIVER_OVERRIDE=zink \
   VK_DRIVER_FILES=/usr/share/vulkan/icd.d/virtio_icd.json \
   /usr/local/libexec/vgxl/vgxl-gl --surfaceless --renderer zink; then
    echo "VGXL-RESULT: PASS"
else
    echo "VGXL-RESULT: FAIL"
fi
EOF
}

job_glkill() {
    cat <<'EOF'
#!/bin/sh
# A GL client killed mid-frame leaves the device usable for the next one.
out=/tmp/vgxl-gl-loop.log
/usr/local/libexec/vgxl/vgxl-gl --loop >$out 2>&1 &
pid=$!
for i in $(seq 60); do
    grep -q "drawing until killed" $out && break
    sleep 1
done
cat $out
sleep 2
kill -9 $pid
wait $pid
echo "vgxl: killed vgxl-gl --loop mid-frame (status $?)"
if grep -q "drawing until killed" $out &&
   /usr/local/libexec/vgxl/vgxl-gl; then
    echo "VGXL-RESULT: PASS"
else
    echo "VGXL-RESULT: FAIL"
fi
EOF
}

job_glscanout() {
    cat <<'EOF'
#!/bin/sh
# A GL frame as the KMS framebuffer, held for the host's screendump.
if /usr/local/libexec/vgxl/vgxl-gl --kms; then
    echo "VGXL-RESULT: PASS"
else
    echo "VGXL-RESULT: FAIL"
fi
EOF
}

job_glmark2() {
    cat <<'EOF'
#!/bin/sh
# glmark2 through virgl, off screen; vgxl.bench=ARGS adds its options.
args=$(sed -n 's/.*vgxl\.bench="\([^"]*\)".*/\1/p' /proc/cmdline)
if glmark2-es2-drm --off-screen $args; then
    echo "VGXL-RESULT: PASS"
else
    echo "VGXL-RESULT: FAIL"
fi
EOF
}

job_scanout() {
    cat <<'EOF'
#!/bin/sh
# A Venus blob as the KMS framebuffer, with a picture the host compares
# with a QMP screendump while the program holds the CRTC.
if /usr/local/libexec/vgxl/vgxl-kms-blob; then
    echo "VGXL-RESULT: PASS"
else
    echo "VGXL-RESULT: FAIL"
fi
EOF
}

pkg_hash=$(echo "$DEBIAN_SUITE $PACKAGES" | md5sum | cut -d' ' -f1)
JOBS="uname device vulkaninfo compute stress bandwidth cycles console hcbuf
      scanout gl glzink glkill glscanout glmark2"
files_hash=$( { echo "$pkg_hash $INITRD_MODULES"; initrd_init; guest_init
                for j in $JOBS; do "job_$j"; done
                initrd_pack_script; } | md5sum |
              cut -d' ' -f1)

# The root filesystem: rebuilt from scratch when the package list changes.
if [ "$(cat "$ROOT/.vgxl-packages" 2>/dev/null)" != "$pkg_hash" ]; then
    mirror=$(host_mirror)
    log "creating Debian $DEBIAN_SUITE guest root in $ROOT from $mirror"
    rm -rf "$ROOT.tmp"
    mkdir -p "$GUEST"
    debootstrap --variant=minbase "$DEBIAN_SUITE" "$ROOT.tmp" "$mirror" >&2 ||
        die "debootstrap failed; see $ROOT.tmp/debootstrap/debootstrap.log"
    log "installing" $PACKAGES
    # The kernel's own initramfs is never used: skip building it.
    in_root "$ROOT.tmp" INITRD=No sh -ec "
        apt-get update -q
        apt-get install -y -q --no-install-recommends $(echo $PACKAGES)
        apt-get clean
        rm -f /boot/initrd.img-*
    " >&2
    echo "$pkg_hash" >"$ROOT.tmp/.vgxl-packages"
    rm -rf "$ROOT" "$GUEST/.vgxl-files"
    mv "$ROOT.tmp" "$ROOT"
fi

# Init scripts, jobs, kernel and initramfs: cheap, redone when they change.
if [ "$(cat "$GUEST/.vgxl-files" 2>/dev/null)" != "$files_hash" ]; then
    log "installing the guest's init and jobs, packing the initramfs"
    guest_init >"$ROOT/usr/sbin/vgxl-init"
    for j in $JOBS; do
        "job_$j" >"$ROOT/usr/local/bin/vgxl-$j"
    done
    chmod 755 "$ROOT/usr/sbin/vgxl-init" "$ROOT"/usr/local/bin/vgxl-*

    kver=$(ls "$ROOT/usr/lib/modules" | sort -V | tail -n1)
    [ -n "$kver" ] || die "no kernel modules in $ROOT/usr/lib/modules"
    initrd_tree "$ROOT" initrd_init
    initrd_pack "$ROOT" "$GUEST/initrd.img" $INITRD_MODULES
    cp "$ROOT/boot/vmlinuz-$kver" "$GUEST/vmlinuz"
    echo "$files_hash" >"$GUEST/.vgxl-files"
fi

# The programs the jobs run: built in the sysroot, installed in the root.
"$TOP/scripts/guest-programs.sh"

self_hash=$( { echo "$files_hash $SELF_FILES $SELF_MODULES"
               cat "$ROOT/.vgxl-programs"; self_init; self_copy_script; } |
             md5sum | cut -d' ' -f1)
if [ "$(cat "$GUEST/.vgxl-self" 2>/dev/null)" != "$self_hash" ]; then
    log "packing initrd-self.img, the initramfs that is the whole root"
    initrd_tree "$ROOT" self_init
    # SELF_FILES holds globs, expanded in the guest root.
    in_root "$ROOT" sh -c "cd / && $(self_copy_script)" sh \
        $(cd "$ROOT" && echo $SELF_FILES) ||
        die "copying the files of initrd-self.img failed"
    initrd_pack "$ROOT" "$GUEST/initrd-self.img" $SELF_MODULES
    echo "$self_hash" >"$GUEST/.vgxl-self"
fi

gl_hash=$(echo "$self_hash $GL_FILES" | md5sum | cut -d' ' -f1)
if [ "$(cat "$GUEST/.vgxl-gl" 2>/dev/null)" != "$gl_hash" ]; then
    log "packing initrd-gl.img, initrd-self.img with Mesa's OpenGL"
    s=$ROOT/var/tmp/vgxl-initrd
    rm -rf "$s"
    mkdir -p "$s"
    in_root "$ROOT" sh -c "cd / && $(self_copy_script)" sh $GL_FILES ||
        die "copying the files of initrd-gl.img failed"
    # gzip -1: the guest unpacks it nested under TCG, where a stronger
    # level saves little of the time it costs here.
    cp "$GUEST/initrd-self.img" "$GUEST/initrd-gl.img.tmp"
    in_root "$ROOT" sh -ec 'cd /var/tmp/vgxl-initrd
        find . | busybox cpio -o -H newc 2>/dev/null | busybox gzip -1' \
        >>"$GUEST/initrd-gl.img.tmp" || die "packing initrd-gl.img failed"
    rm -rf "$s"
    mv "$GUEST/initrd-gl.img.tmp" "$GUEST/initrd-gl.img"
    echo "$gl_hash" >"$GUEST/.vgxl-gl"
fi

log "guest image ready in ${SECONDS}s:" \
    "$GUEST/{vmlinuz,initrd.img,initrd-self.img,initrd-gl.img,root}"
