#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A real guest kernel and Mesa's Venus driver use the device: the guest
# must list the Venus Vulkan device, with each lending mode.

. "$(dirname "$0")/common.sh"

"$TOP/scripts/guest-image.sh"
for mode in emulated trap; do
    log "guest: vulkaninfo with lend=$mode"
    "$TOP/scripts/run-guest.sh" vulkaninfo \
        -global "virtio-gpu-xen-lend-device.lend=$mode"
done
