#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The main job: build what is missing, then boot a Linux guest under TCG
# with virtio-gpu-xen-lend-pci and list its Vulkan devices; the Venus
# device must be among them.  Extra arguments go to QEMU.

. "$(dirname "$0")/common.sh"

"$TOP/scripts/build.sh"
"$TOP/scripts/guest-image.sh"
"$TOP/scripts/run-guest.sh" vulkaninfo "$@"
