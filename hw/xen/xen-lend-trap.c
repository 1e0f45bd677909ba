/*
 * Xen memory lending, unavailable: every guest access to a mapped blob
 * is emulated, which is what QEMU does on Xen without lending.  Always
 * correct, and the baseline that lending is measured against.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "xen-lend-ops.h"

const XenLendOps xen_lend_trap_ops = {
    .mode = XEN_LEND_MODE_TRAP,
};
