#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The deb suite: the Debian packages of deb.sh, as a Xen host installs
# them, in a copy of the xen suite's Debian 13 dom0 root (Xen's tools,
# the kernel and its headers), first rid of the packages that
# xen-dom0.sh installed there and of their dependencies:
#   - deb.sh builds the three packages and lintian finds no error;
#   - apt installs them from the files, with their dependencies from the
#     mirror: the device model alone first, which runs from its installed
#     path, offers the device and starts virgl with no display (what it
#     recommends); then the other two: DKMS builds
#     xen_lend for dom0's kernel (timed), the hypervisor lies beside
#     Debian's;
#   - a later version of the three upgrades them: the module is rebuilt
#     and the old one is gone from DKMS;
#   - purging them (and autoremove) leaves no file of theirs, and the
#     root as it was before the install.

. "$(dirname "$0")/common.sh"

XEN=$CACHE/xen
TEST=$CACHE/deb-test
ROOT=$TEST/root
PKGS="virtio-gpu-xen-lend xen-lend-dkms xen-hypervisor-4.20-lend-amd64"
DM=/usr/lib/virtio-gpu-xen-lend/bin/qemu-system-x86_64

SUITE=deb

"$TOP/scripts/xen-dom0.sh" >&2
rm -rf "$TEST"
mkdir -p "$TEST"

# The packages xen-dom0.sh built (deb.sh keeps them while their inputs
# do not change), and a later version of them.
"$TOP/scripts/deb.sh" "$XEN/debs" >"$TEST/v1.list" || die "deb.sh failed"
pass "three packages built, lintian finds no error" \
    "$(grep -c '^W: ' "$XEN/debs/lintian.txt") warnings"
grep '^[WE]: ' "$XEN/debs/lintian.txt" | sed 's/^/    /' >&2 || true
mkdir -p "$TEST/v1"
for f in $(cat "$TEST/v1.list"); do
    log "    $(basename "$f"): $(du -k "$f" | cut -f1) KiB"
    cp "$f" "$TEST/v1/"
done
VGXL_DEB_SUFFIX=+up "$TOP/scripts/deb.sh" "$TEST/v2" >"$TEST/v2.list" ||
    die "deb.sh of the later version failed"

log "copying the dom0 root to $ROOT"
cp -a "$XEN/root" "$ROOT"
# Nothing of the harness's own either.
rm -rf "$ROOT/opt/vgxl"
mkdir -p "$ROOT/var/tmp/debs"
export ROOT_BINDS="$TEST:/var/tmp/debs"
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
kver=$(ls "$ROOT/usr/lib/modules" | sort -V | tail -n1)

# in_test CMD...: in the test root, its output in $TEST/log.
in_test() {
    in_root "$ROOT" "$@" >>"$TEST/log" 2>&1
}
# As a user does: with what the packages recommend.
apt_install() {
    in_test sh -ec 'apt-get update -q; apt-get install -y -q "$@"' sh "$@"
}
debs() {
    for f in $(cat "$TEST/$1.list"); do
        echo "/var/tmp/debs/$1/${f##*/}"
    done
}
# What the root holds, less what apt and dpkg keep of their own state.
snapshot() {
    (cd "$ROOT" && find . -xdev \( -path ./proc -o -path ./sys -o \
        -path ./dev -o -path ./tmp -o -path ./var/tmp -o \
        -path ./var/lib/apt -o -path ./var/cache -o -path ./var/log -o \
        -path ./var/lib/dpkg \) -prune -o -print | sort) >"$1"
}
# Files of the packages, which a purge must remove.
leftovers() {
    (cd "$ROOT" && ls -d usr/lib/virtio-gpu-xen-lend usr/src/xen-lend-* \
        var/lib/dkms/xen-lend usr/lib/modules/*/updates/dkms/xen_lend.ko* \
        boot/xen-4.20-lend-amd64* usr/share/doc/virtio-gpu-xen-lend \
        usr/share/doc/xen-lend-dkms \
        usr/share/doc/xen-hypervisor-4.20-lend-amd64 2>/dev/null) || true
}

# A host without the project: what apt installed for the packages goes
# with them.
# (sudo, which dkms recommends, refuses to go unless told.)
purge() {
    in_test apt-get purge -y -q $PKGS &&
        in_test SUDO_FORCE_REMOVE=yes apt-get autoremove --purge -y -q
}
purge || die "purging the dom0 root's packages failed; see $TEST/log"
snapshot "$TEST/before"

# Install, as a user does: the device model alone first (all a host on
# Debian's Xen needs), then lending.
t0=$SECONDS
if apt_install $(debs v1 | grep /virtio-gpu-xen-lend_); then
    pass "apt install of the device model alone" "$((SECONDS - t0)) s"
else
    fail "apt install of the device model alone" "see $TEST/log"
fi
if in_root "$ROOT" sh -c "$DM -device help" 2>&1 |
        grep -q '"virtio-gpu-xen-lend-pci"'; then
    pass "the installed device model offers virtio-gpu-xen-lend-pci"
else
    fail "the installed device model offers virtio-gpu-xen-lend-pci" \
        "$DM -device help in $ROOT"
fi
# What it recommends is enough for OpenGL with no display: virgl=on
# starts (llvmpipe) and the render server with it.  Mesa's shader cache
# goes to /tmp: files in root's home are not the packages' to purge.
if in_root "$ROOT" sh -c "printf '%s\n' '{\"execute\": \"qmp_capabilities\"}' \
        '{\"execute\": \"quit\"}' |
        XDG_CACHE_HOME=/tmp/vgxl-cache timeout 120 $DM -M q35 -accel qtest \
            -qtest null -nodefaults -display none -vnc none -qmp stdio \
            -device virtio-gpu-xen-lend-pci,virgl=on" >"$TEST/virgl.log" 2>&1
then
    pass "the installed device model starts virgl=on with no display"
else
    fail "the installed device model starts virgl=on with no display" \
        "$(grep -v '^{' "$TEST/virgl.log" | head -n 3 | tr '\n' ' ')"
fi
t0=$SECONDS
if apt_install $(debs v1 | grep -v /virtio-gpu-xen-lend_); then
    pass "apt install of the module and the hypervisor" \
        "$((SECONDS - t0)) s with DKMS's build"
else
    fail "apt install of the module and the hypervisor" "see $TEST/log"
fi
# DKMS's share of it: the same build again, alone.
dkms_version=$(dpkg-deb -f "$(grep dkms "$TEST/v1.list")" Version)
t0=$SECONDS
if in_test dkms build -m xen-lend -v "$dkms_version" -k "$kver" --force; then
    log "    DKMS builds xen_lend for $kver in $((SECONDS - t0)) s"
fi
if in_root "$ROOT" modinfo -k "$kver" -F version xen_lend >/dev/null 2>&1 &&
   in_root "$ROOT" modinfo -k "$kver" -n xen_lend | grep -q updates/dkms; then
    pass "DKMS built and installed xen_lend for $kver"
else
    fail "DKMS built and installed xen_lend for $kver" "see $TEST/log"
fi
if [ -s "$ROOT/boot/xen-4.20-lend-amd64.gz" ] &&
   [ -s "$ROOT/boot/xen-4.20-amd64.gz" ] &&
   zcat "$ROOT/boot/xen-4.20-lend-amd64.gz" | grep -aq -- '-lend'; then
    pass "the hypervisor lies beside Debian's"
else
    fail "the hypervisor lies beside Debian's" "see $ROOT/boot"
fi
if grep -q "^device_model_override = \"$DM\"" \
    "$ROOT/usr/share/doc/virtio-gpu-xen-lend/examples/virtio-gpu-xen-lend-xl.cfg"
then
    pass "the xl.cfg example names the installed device model"
else
    fail "the xl.cfg example names the installed device model"
fi

# Upgrade to the later version.
if apt_install $(debs v2) &&
   [ "$(in_root "$ROOT" dkms status -m xen-lend | grep -c .)" = 1 ] &&
   in_root "$ROOT" dkms status -m xen-lend | grep -q '+up.*installed' &&
   in_root "$ROOT" dpkg-query -W -f '${Version}\n' $PKGS | grep -c '+up$' |
       grep -qx 3; then
    pass "upgrade to a later version" \
        "$(in_root "$ROOT" dkms status -m xen-lend)"
else
    fail "upgrade to a later version" "see $TEST/log"
fi

# Purge.
purge || fail "apt purge" "see $TEST/log"
left=$(leftovers)
snapshot "$TEST/after"
if [ -z "$left" ] && cmp -s "$TEST/before" "$TEST/after"; then
    pass "purge leaves nothing behind"
else
    fail "purge leaves nothing behind" \
        "left: $left $(diff "$TEST/before" "$TEST/after" | grep '^[<>]' |
                       head -n 20 | tr '\n' ' ')"
fi

if [ -n "$failed" ]; then
    log "deb suite failed:$failed"
    exit 1
fi
rm -rf "$ROOT"
log "deb suite passed"
