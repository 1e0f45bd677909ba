#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the guest-side programs of the end-to-end suite (tests/guest/) in
# the Debian 13 sysroot and install them into the guest root, which is
# Debian 13 too, so the binaries run there as they are.  They go to
# /usr/local/libexec/vgxl, not /usr/local/bin: there every vgxl-NAME is a
# job (guest-image.sh), and the job "bandwidth" runs vgxl-bandwidth.  The
# compute shader is compiled to SPIR-V here, into a header the C file
# includes.
# Nothing is redone while the sources and this script are unchanged.

. "$(dirname "$0")/common.sh"

SRC=$TOP/tests/guest
OUT=$CACHE/guest-programs
ROOT=$CACHE/guest/root
BIN=$ROOT/usr/local/libexec/vgxl
PROGRAMS="vgxl-vkcompute vgxl-blob-stress vgxl-bandwidth vgxl-hcbuf
          vgxl-kms-blob vgxl-gl"
# The stamp lives in the guest root, so a rebuilt root rebuilds these too.
STAMP=$ROOT/.vgxl-programs

[ -d "$ROOT/usr/local" ] ||
    die "no guest root in $ROOT: run scripts/guest-image.sh"
for f in usr/bin/gcc usr/bin/glslangValidator usr/include/vulkan/vulkan.h \
         usr/include/drm/virtgpu_drm.h usr/include/GLES2/gl2.h; do
    [ -e "$SYSROOT/$f" ] ||
        die "the sysroot has no /$f: run scripts/sysroot.sh"
done
# libvulkan1 comes into the guest with vulkan-tools and mesa-vulkan-drivers.
[ -e "$ROOT/usr/lib/x86_64-linux-gnu/libvulkan.so.1" ] ||
    die "the guest root has no libvulkan.so.1 for vgxl-vkcompute"

hash=$( { cat "${BASH_SOURCE[0]}"
          for f in "$SRC"/*; do
              echo "== $(basename "$f")"
              cat "$f"
          done; } | md5sum | cut -d' ' -f1)

uptodate=y
[ "$(cat "$STAMP" 2>/dev/null)" = "$hash" ] || uptodate=n
for p in $PROGRAMS; do
    [ -x "$BIN/$p" ] || uptodate=n
done
if [ $uptodate = y ]; then
    log "guest programs up to date in $BIN: $PROGRAMS"
    exit 0
fi

log "building the guest programs from $SRC"
rm -rf "$OUT"
mkdir -p "$OUT"
ROOT_BINDS="$SRC:/vgxl-src $OUT:/vgxl-out" in_sysroot sh -ec '
    cd /vgxl-out
    glslangValidator -V --vn vgxl_vkcompute_spv \
        -o vgxl-vkcompute.spv.h /vgxl-src/vgxl-vkcompute.comp >/dev/null
    cflags="-O2 -Wall -Werror -I/vgxl-out"
    gcc $cflags -o vgxl-vkcompute /vgxl-src/vgxl-vkcompute.c -lvulkan
    gcc $cflags -o vgxl-blob-stress /vgxl-src/vgxl-blob-stress.c
    gcc $cflags -o vgxl-bandwidth /vgxl-src/vgxl-bandwidth.c
    gcc $cflags -o vgxl-hcbuf /vgxl-src/vgxl-hcbuf.c
    gcc $cflags -o vgxl-kms-blob /vgxl-src/vgxl-kms-blob.c
    gcc $cflags -o vgxl-gl /vgxl-src/vgxl-gl.c -lEGL -lGLESv2 -lgbm
' >&2
mkdir -p "$BIN"
for p in $PROGRAMS; do
    install -m 755 "$OUT/$p" "$BIN/$p"
    log "built $BIN/$p ($(stat -c %s "$BIN/$p") bytes)"
done
echo "$hash" >"$STAMP"
