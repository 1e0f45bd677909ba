#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The guest's GPU work against the same work on the host, side by side on
# one build and one machine, written as tables to
# docs/benchmarks-gl.rst.inc, which docs/benchmarks.rst includes:
#   - glmark2 (GLES 2, off screen, SCENES below) in the guest through
#     virgl, in an EGL context of the device's own on llvmpipe, against
#     glmark2 on the host on llvmpipe (under Xvfb, which draws nothing);
#   - the compute shader of vgxl-vkcompute, COMPUTE_N elements dispatched
#     COMPUTE_REPEAT times, in the guest through Venus against the same
#     program on the host's lavapipe.
# VGXL_GL_SCENES replaces the scenes.

. "$(dirname "$0")/common.sh"

GUEST=$CACHE/guest
OUT=$TOP/docs/benchmarks-gl.rst.inc
SCENES=${VGXL_GL_SCENES:-"-s 800x600 -b build:duration=5
    -b texture:duration=5 -b shading:shading=phong:duration=5
    -b bump:bump-render=normals:duration=5"}
SCENES=$(echo $SCENES)
COMPUTE_N=4194304
COMPUTE_REPEAT=20
"$TOP/scripts/build.sh"
"$TOP/scripts/guest-image.sh"

# "[scene] options: FPS: N FrameTime: ..." lines, as "scene|FPS".
fps() {
    sed -n 's/^\[\([a-z]*\)\] .*FPS: \([0-9]*\) .*/\1|\2/p'
}

log "glmark2 on the host: $SCENES"
host=$(in_sysroot xvfb-run -a glmark2-es2 --off-screen $SCENES 2>&1) ||
    die "glmark2 on the host failed: $host"
host_renderer=$(echo "$host" | sed -n 's/^ *GL_RENDERER: *//p')
log "glmark2 in the guest, through virgl"
VGXL_APPEND="vgxl.bench=\"$SCENES\"" \
    "$TOP/scripts/run-guest.sh" glmark2 >/dev/null 2>&1 ||
    die "glmark2 in the guest failed; see $GUEST/log/glmark2.log"
guest=$(tr -d '\r' <"$GUEST/log/glmark2.log")
guest_renderer=$(echo "$guest" | sed -n 's/^ *GL_RENDERER: *//p')

# "compute throughput: X Melements/s ..." as X.
throughput() {
    sed -n 's/.*compute throughput: \([0-9.]*\) Melements.*/\1/p' | tail -n1
}
log "the compute shader on the host's lavapipe"
host_compute=$(ROOT_BINDS="$CACHE/guest-programs:/vgxl-out" in_sysroot \
    /vgxl-out/vgxl-vkcompute --any-device --repeat $COMPUTE_REPEAT \
    $COMPUTE_N | throughput)
log "the compute shader in the guest, through Venus"
VGXL_APPEND="vgxl.compute=\"--repeat $COMPUTE_REPEAT $COMPUTE_N\"" \
    "$TOP/scripts/run-guest.sh" compute >/dev/null 2>&1 ||
    die "compute in the guest failed; see $GUEST/log/compute.log"
guest_compute=$(throughput <"$GUEST/log/compute.log")
[ -n "$host_compute" ] && [ -n "$guest_compute" ] ||
    die "no compute throughput: host '$host_compute', guest '$guest_compute'"

{
    cat <<EOS
..
   SPDX-License-Identifier: GPL-2.0-or-later

OpenGL: guest against host
--------------------------

Produced by \`\`./scripts/benchmark-gl.sh\`\` on $(date -u +%Y-%m-%d), at
commit $(git -C "$TOP" rev-parse --short HEAD), on the machine above:
glmark2 2023.01 (\`\`glmark2-es2 --off-screen $SCENES\`\`), frames per
second.  Host: $host_renderer, under Xvfb.  Guest:
\`\`glmark2-es2-drm\`\` through virgl ($guest_renderer), the device with
no GL display and virgl in an EGL context of its own, the guest under
TCG with 2 vCPUs.

==============  ==========  ==========  ==========
scene           host FPS    guest FPS   ratio
==============  ==========  ==========  ==========
EOS
    join -t'|' <(echo "$host" | fps | sort) <(echo "$guest" | fps | sort) |
        while IFS='|' read -r scene h g; do
            printf '%-14s  %-10s  %-10s  %-10s\n' "$scene" "$h" "$g" \
                "$(awk -v g="$g" -v h="$h" 'BEGIN { printf "%.3f", g / h }')"
        done
    echo "==============  ==========  ==========  =========="
    cat <<EOS

The compute shader of \`\`vgxl-vkcompute\`\` (\`\`out[i] = in[i] * 3 + 7\`\`),
$COMPUTE_N elements, dispatched $COMPUTE_REPEAT times after a checked run,
million elements a second: in the guest through Venus, its buffers in
blobs mapped into the hostmem window, against the same program on the
host's lavapipe.

==============  ==========  ==========  ==========
shader          host        guest       ratio
==============  ==========  ==========  ==========
EOS
    printf '%-14s  %-10s  %-10s  %-10s\n' compute "$host_compute" \
        "$guest_compute" \
        "$(awk -v g="$guest_compute" -v h="$host_compute" \
           'BEGIN { printf "%.3f", g / h }')"
    echo "==============  ==========  ==========  =========="
    cat <<'EOS'

The host renders the guest's frames on the same llvmpipe at native speed;
what the ratio loses is the guest's side of each frame (Mesa's virgl
driver encoding the commands, the kernel, the virtqueue), which TCG runs
many times slower than the CPU would: the guest's frame rate stays near
the same ceiling whatever the scene, so the ratio is highest for the
heaviest scene.  The compute shader spends its time on the host's
lavapipe, with a few commands from the guest per dispatch: its ratio is
what the device itself costs.  With KVM
that side runs at native speed; the goal on hardware is a ratio of at
least 0.8.  To measure it there, on a host with KVM:
``VGXL_ACCEL=kvm ./scripts/benchmark-gl.sh``.

vkmark does not run in the guest here: it creates a swapchain even on its
headless window system, and Venus offers ``VK_KHR_swapchain`` only where
the host's Vulkan driver shares images as dma-bufs with DRM format
modifiers, which lavapipe does not (no
``VK_EXT_image_drm_format_modifier``): ``vkCreateDevice`` fails with
``ErrorExtensionNotPresent``.  On the host, ``vkmark --winsys headless``
runs on lavapipe.
EOS
} | sed 's/[[:space:]]*$//' >"$OUT"
cat "$OUT"
