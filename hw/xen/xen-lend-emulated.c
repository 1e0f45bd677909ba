/*
 * Xen memory lending, emulated: the lending hypervisor modelled inside
 * QEMU, for every accelerator that is not Xen (TCG, KVM, qtest).
 *
 * "Lent" means the guest reaches the blob directly through the window's
 * RAM mapping; revocation (requested over QMP, as a host MMU notifier
 * would) puts the range behind the core's trap region, whose fault path
 * lends it again, as Xen would.  x-lend-fail models a lender that has no
 * page to give.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xen/xen-lend.h"

static int xen_lend_emulated_lend(XenLend *xl, uint32_t slot, hwaddr gpa,
                                  uint64_t size, void *host)
{
    return xl->lend_fails ? -ENOMEM : 0;
}

static int xen_lend_emulated_unlend(XenLend *xl, uint32_t slot)
{
    return 0;
}

const XenLendOps xen_lend_emulated_ops = {
    .name = "emulated",
    .lend = xen_lend_emulated_lend,
    .unlend = xen_lend_emulated_unlend,
};
