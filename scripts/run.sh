#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The main job: build what is missing, then boot a Linux guest under TCG
# with virtio-gpu-xen-lend-pci; in it, a Vulkan compute shader runs on the
# Venus device and its result is checked, then the bandwidth through a
# mapped blob is compared with guest RAM.  Extra arguments go to QEMU.

. "$(dirname "$0")/common.sh"

"$TOP/scripts/build.sh"
"$TOP/scripts/guest-image.sh"
"$TOP/scripts/run-guest.sh" main "$@"
