#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Create (once) and update the Debian 13 userland in which QEMU is built
# and tested: Debian 12 hosts lack virglrenderer >= 1.0 and Xen >= 4.20.

. "$(dirname "$0")/common.sh"

# Build and test dependencies, all from Debian packages.
PACKAGES="
    build-essential pkg-config ccache git ca-certificates dpkg-dev
    python3 python3-venv python3-pycotap meson ninja-build bison flex
    libglib2.0-dev libpixman-1-dev zlib1g-dev libfdt-dev libslirp-dev
    libepoxy-dev libgbm-dev libdrm-dev libvirglrenderer-dev virgl-server
    libegl-dev libgles-dev
    glmark2-es2-x11 xvfb xauth
    python3-sphinx python3-sphinx-rtd-theme
    libxen-dev libcap-ng-dev libattr1-dev
    mesa-vulkan-drivers vulkan-tools libvulkan-dev glslang-tools
    qemu-system-data seabios ipxe-qemu
    clang libclang-rt-dev llvm
    lintian
"
STAMP=$SYSROOT/.vgxl-packages

pkg_hash() { echo "$PACKAGES" | md5sum | cut -d' ' -f1; }

if [ ! -x "$SYSROOT/usr/bin/apt-get" ]; then
    command -v debootstrap >/dev/null || {
        log "installing debootstrap on the host"
        apt-get install -y debootstrap >&2
    }
    mirror=$(host_mirror)
    log "creating Debian $DEBIAN_SUITE userland in $SYSROOT from $mirror"
    rm -rf "$SYSROOT.tmp"
    mkdir -p "$CACHE"
    debootstrap --variant=minbase "$DEBIAN_SUITE" "$SYSROOT.tmp" "$mirror" >&2 ||
        die "debootstrap of $DEBIAN_SUITE failed; see $SYSROOT.tmp/debootstrap/debootstrap.log"
    cat > "$SYSROOT.tmp/etc/apt/sources.list" <<EOS
deb $mirror $DEBIAN_SUITE main
deb-src $mirror $DEBIAN_SUITE main
EOS
    mv "$SYSROOT.tmp" "$SYSROOT"
fi

if [ "$(cat "$STAMP" 2>/dev/null)" != "$(pkg_hash)" ]; then
    log "installing build and test packages in the userland"
    in_sysroot sh -ec "
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends $(echo $PACKAGES)
    " >&2
    pkg_hash > "$STAMP"
fi
