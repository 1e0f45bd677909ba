# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared settings for the build and test scripts.  Sourced, not run.

set -eu

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The pinned upstream family: QEMU 10.0.x as Debian 13 ships it.  The
# exact Debian revision is whatever the mirror serves now; it is printed.
QEMU_FAMILY=${QEMU_FAMILY:-10.0.}
DEBIAN_SUITE=${DEBIAN_SUITE:-trixie}

# Everything built lives outside the checkout so that a fresh clone reuses
# it; nothing relies on it being there.
CACHE=${VGXL_CACHE:-/var/cache/virtio-gpu-xen-lend}
SYSROOT=$CACHE/sysroot
QEMU_SRC=/src/qemu            # inside the sysroot
QEMU_BUILD=$QEMU_SRC/build    # inside the sysroot

# How QEMU is configured, as Debian's firmware paths want it; build.sh
# adds the sanitizers, test-series.sh uses it as it is.
QEMU_CONFIGURE="--target-list=x86_64-softmmu --prefix=/usr
    --firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
    --enable-xen --enable-virglrenderer --enable-opengl --enable-kvm
    --enable-virtfs --enable-slirp --disable-user --disable-docs
    --disable-download --disable-install-blobs --disable-werror"

# VGXL_SANITIZE=1: the same QEMU built with AddressSanitizer and
# UndefinedBehaviorSanitizer in a build directory of its own, for every
# script that runs QEMU.  Any report ends QEMU with a failure status;
# sanitizer-leaks.supp names the leaks that are not ours.
SANITIZER_ENV=
if [ "${VGXL_SANITIZE:-0}" = 1 ]; then
    QEMU_BUILD=$QEMU_SRC/build-sanitize
    SANITIZER_ENV="ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:exitcode=66
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=66
        LSAN_OPTIONS=suppressions=$QEMU_BUILD/sanitizer-leaks.supp:print_suppressions=0"
fi

[ "$(id -u)" = 0 ] || {
    echo "[vgxl] error: run as root: debootstrap and chroot need it" >&2
    exit 1
}

log() { printf '[vgxl] %s\n' "$*" >&2; }
die() { printf '[vgxl] error: %s\n' "$*" >&2; exit 1; }

# spawn CMD...: run CMD in the background, as "CMD &" does, but in a
# process group of its own ($! names both), which the script stops when
# it exits for any reason: its end, an error, Ctrl-C or SIGTERM.  Killing
# $! alone would stop only the first process of a chain such as in_root's
# unshare, chroot and timeout, and leave QEMU running.  What runs in the
# group must not start groups of its own: "timeout --foreground".
SPAWNED=
spawn() {
    if [ -z "$SPAWNED" ]; then
        trap stop_spawned EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
    fi
    set -m
    "$@" &
    set +m
    SPAWNED="$SPAWNED $!"
}

# Whether process group $1 has a process that is not a zombie.
group_alive() {
    ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 }
                                         END { exit !f }'
}

# stop_group PGID: SIGTERM, and SIGKILL for what is left 15 s later.
stop_group() {
    local _
    kill -TERM -- "-$1" 2>/dev/null || return 0
    for _ in $(seq 30); do
        group_alive "$1" || return 0
        sleep 0.5
    done
    log "process group $1 ignored SIGTERM for 15 s: SIGKILL"
    kill -KILL -- "-$1" 2>/dev/null || true
}

stop_spawned() {
    local g
    for g in $SPAWNED; do
        stop_group "$g"
    done
    SPAWNED=
}

# The host's own Debian mirror, from its apt configuration.
host_mirror() {
    local uri
    uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources \
              2>/dev/null | tr ' ' '\n' | grep -v security | head -n1 || true)
    if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
        uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++)
                   if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
                  /etc/apt/sources.list)
    fi
    [ -n "$uri" ] || die "no Debian mirror found in /etc/apt; add one to sources.list"
    echo "$uri"
}

# in_root ROOT CMD...: run CMD chrooted in ROOT, in a private mount
# namespace so that no mount outlives it, with proc, dev, sys, a fresh
# /tmp, each "SRC:DST" of $ROOT_BINDS bound in, and $SANITIZER_ENV.
in_root() {
    unshare --mount --propagation private -- /bin/sh -ec '
        r=$1; binds=$2; shift 2
        mount -t proc proc "$r/proc"
        mount --rbind /dev "$r/dev"
        mount --rbind /sys "$r/sys"
        mount -t tmpfs tmpfs "$r/tmp"
        for b in $binds; do
            mkdir -p "$r${b#*:}"
            mount --bind "${b%%:*}" "$r${b#*:}"
        done
        exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            HOME=/root LANG=C.UTF-8 TERM=dumb CCACHE_DIR=/var/cache/ccache \
            DEBIAN_FRONTEND=noninteractive "$@"' sh "$1" "${ROOT_BINDS:-}" \
        $SANITIZER_ENV "${@:2}"
}

# Run from build directory $1 (a host path), QEMU looks for firmware in
# its qemu-bundle: point that at Debian's firmware packages.
bundle_firmware() {
    local bundle=$1/qemu-bundle d f name
    for d in usr/share/seabios usr/lib/ipxe/qemu; do
        if [ ! -e "$bundle/$d" ] && [ ! -L "$bundle/$d" ]; then
            mkdir -p "$(dirname "$bundle/$d")"
            ln -s "/$d" "$bundle/$d"
        fi
    done
    for f in "$SYSROOT"/usr/share/qemu/*; do
        name=${f##*/}
        if [ ! -e "$bundle/usr/share/qemu/$name" ] &&
           [ ! -L "$bundle/usr/share/qemu/$name" ]; then
            ln -sfn "/usr/share/qemu/$name" "$bundle/usr/share/qemu/$name"
        fi
    done
}

# Run a command inside the Debian 13 userland.
in_sysroot() {
    in_root "$SYSROOT" "$@"
}

# The script that packs a busybox initramfs inside a Debian root (the
# test guest's, the dom0's): run it there with KERNEL_VERSION MODULE...
# after staging /init in /var/tmp/vgxl-initrd.  modprobe resolves the
# module order, busybox unpacks .ko.xz (busybox insmod cannot) and writes
# the cpio to /var/tmp/vgxl-initrd.img.
# The first lines of every /init that initrd_pack_script packs: busybox's
# applets, the console, and the modules the initramfs carries.
initrd_init_start() {
    cat <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
for m in /lib/modules/*.ko; do
    insmod "$m" || echo "init: insmod $m failed"
done
EOF
}

# initrd_tree ROOT INIT: a fresh initramfs tree in ROOT's /var/tmp, with
# /init written by the function INIT; initrd_pack then packs it.
initrd_tree() {
    local s=$1/var/tmp/vgxl-initrd
    rm -rf "$s"
    mkdir -p "$s/bin" "$s/dev" "$s/proc" "$s/sys" "$s/tmp" "$s/run" \
        "$s/root" "$s/newroot" "$s/lib/modules"
    "$2" >"$s/init"
    chmod 755 "$s/init"
}

# initrd_pack ROOT OUT [MODULE...]: busybox and the MODULEs of ROOT's
# newest kernel, with their dependencies, into the tree; packed as OUT.
initrd_pack() {
    local root=$1 out=$2 kver
    shift 2
    kver=$(ls "$root/usr/lib/modules" | sort -V | tail -n1)
    [ -n "$kver" ] || die "no kernel modules in $root/usr/lib/modules"
    in_root "$root" sh -c "$(initrd_pack_script)" sh "$kver" "$@" ||
        die "packing $out failed"
    mv "$root/var/tmp/vgxl-initrd.img" "$out"
    rm -rf "$root/var/tmp/vgxl-initrd"
}

initrd_pack_script() {
    cat <<'EOF'
set -e
k=$1; shift; s=/var/tmp/vgxl-initrd
cp /bin/busybox "$s/bin/"
n=10
modprobe -S "$k" -a --show-depends "$@" |
    sed -n 's/^insmod \([^ ]*\).*/\1/p' | awk '!seen[$0]++' |
while read -r f; do
    n=$((n + 1))
    b=$(basename "$f"); b=${b%.xz}
    case $f in
    *.xz) busybox xz -dc "$f" ;;
    *) cat "$f" ;;
    esac >"$s/lib/modules/$n-$b"
done
ls "$s"/lib/modules/*.ko >/dev/null
cd "$s"
find . | busybox cpio -o -H newc 2>/dev/null | busybox gzip -9 \
    >/var/tmp/vgxl-initrd.img
EOF
}

# A suite's checks (test-deb.sh, test-xen.sh): pass NAME [NOTE] and
# fail NAME [NOTE] log the verdict under $SUITE; $failed gathers the
# names of the checks that failed.
failed=
pass() { log "$SUITE $1: PASS${2:+ ($2)}"; }
fail() {
    log "$SUITE $1: FAIL${2:+ ($2)}"
    failed="$failed
    $1"
}

# Benchmark tables (benchmark.sh, benchmark-xen.sh).
# field NAME LINE: the number after NAME= in a VGXL-BANDWIDTH line.
field() {
    echo "$2" | sed -n "s/.*$1=\([0-9.]*\).*/\1/p"
}

# ratio A B [DIGITS]: A / B with DIGITS decimals (2).
ratio() {
    python3 -c "import sys; print('%.${3:-2}f' % (float(sys.argv[1]) /
                float(sys.argv[2])))" "$1" "$2"
}

# bandwidth_table DIGITS MODE LINE [MODE LINE...]: an rST table of
# VGXL-BANDWIDTH lines, one row per lend mode, ratios with DIGITS.
bandwidth_table() {
    local digits=$1 rule
    shift
    rule="================  ==========  ==========  ==========  ==========  ==========  =========="
    echo "$rule"
    echo "lend mode         blob read   blob write  RAM read    RAM write   read ratio  write ratio"
    echo "$rule"
    while [ $# -ge 2 ]; do
        printf '%-16s  %-10s  %-10s  %-10s  %-10s  %-10s  %-10s\n' \
            "\`\`$1\`\`" "$(field blob-read "$2")" "$(field blob-write "$2")" \
            "$(field ram-read "$2")" "$(field ram-write "$2")" \
            "$(ratio "$(field blob-read "$2")" "$(field ram-read "$2")" "$digits")" \
            "$(ratio "$(field blob-write "$2")" "$(field ram-write "$2")" "$digits")"
        shift 2
    done
    echo "$rule"
}
