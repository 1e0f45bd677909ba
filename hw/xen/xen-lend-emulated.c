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
#include "xen-lend-ops.h"

typedef struct XenLendEmulated {
    bool fail;          /* a lender with no page to give */
} XenLendEmulated;

static void *xen_lend_emulated_init(XenLendFaultPolicy policy, Error **errp)
{
    return g_new0(XenLendEmulated, 1);
}

static void xen_lend_emulated_cleanup(void *backend)
{
    g_free(backend);
}

static int xen_lend_emulated_lend(void *backend, uint32_t slot, hwaddr gpa,
                                  uint64_t size, void *host)
{
    XenLendEmulated *e = backend;

    return e->fail ? -ENOMEM : 0;
}

static int xen_lend_emulated_unlend(void *backend, uint32_t slot)
{
    return 0;
}

static void xen_lend_emulated_set_fail(void *backend, bool fail)
{
    XenLendEmulated *e = backend;

    e->fail = fail;
}

const XenLendOps xen_lend_emulated_ops = {
    .mode = XEN_LEND_MODE_EMULATED,
    .init = xen_lend_emulated_init,
    .cleanup = xen_lend_emulated_cleanup,
    .lend = xen_lend_emulated_lend,
    .unlend = xen_lend_emulated_unlend,
    .set_fail = xen_lend_emulated_set_fail,
};
