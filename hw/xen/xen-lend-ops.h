/*
 * Xen memory lending: what a hypervisor backend of the lending core
 * provides.  Only the core and its backends include this.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XEN_XEN_LEND_OPS_H
#define HW_XEN_XEN_LEND_OPS_H

#include "exec/hwaddr.h"
#include "qapi/qapi-types-xen-lend.h"

/*
 * One hypervisor's way to lend, set up once per device.  @init returns
 * the backend's own state, which every other op takes, or NULL with
 * @errp set.  @lend makes [gpa, gpa + size) of the guest reach @host
 * directly under id @slot, and called again with the same arguments
 * lends whatever the lender took back since; @unlend undoes it and
 * returns only once the guest can no longer reach the memory.  A NULL
 * @lend means lending is unavailable: every range is trapped.
 */
typedef struct XenLendOps {
    XenLendMode mode;
    void *(*init)(XenLendFaultPolicy policy, Error **errp);
    void (*cleanup)(void *backend);
    int (*lend)(void *backend, uint32_t slot, hwaddr gpa, uint64_t size,
                void *host);
    int (*unlend)(void *backend, uint32_t slot);
    /* Tests only: make @lend fail as a lender with no pages would. */
    void (*set_fail)(void *backend, bool fail);
    /*
     * The lender takes pages back without telling QEMU (a kernel MMU
     * notifier), so a guest access that reaches QEMU inside a lent range
     * is a fault: the whole window stays covered by the trap.
     */
    bool revokes_unseen;
} XenLendOps;

extern const XenLendOps xen_lend_privcmd_ops;
extern const XenLendOps xen_lend_emulated_ops;
extern const XenLendOps xen_lend_trap_ops;

#endif /* HW_XEN_XEN_LEND_OPS_H */
