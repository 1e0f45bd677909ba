/*
 * Xen memory lending: the core that lends the blobs mapped in a device's
 * hostmem window to the guest, whichever hypervisor ops carry it out.
 *
 * What is lent is derived from two facts only: where the window sits in
 * guest-physical space (followed with a MemoryListener) and which blobs
 * are mapped at which window offsets (handed over by the device).  Every
 * change of either goes through one path that lends and unlends the
 * difference.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XEN_XEN_LEND_H
#define HW_XEN_XEN_LEND_H

#include "exec/memory.h"
#include "qapi/visitor.h"
#include "hw/xen/xen-lend-table.h"

typedef struct XenLend XenLend;

typedef enum XenLendFaultPolicy {
    XEN_LEND_FAULT_ZERO,    /* no page to be had: the guest sees zeros */
    XEN_LEND_FAULT_INJECT,  /* no page to be had: the access fails */
} XenLendFaultPolicy;

typedef struct XenLendStats {
    uint64_t lends;         /* lend calls that succeeded */
    uint64_t lent_pages;    /* pages those calls covered */
    uint64_t unlends;
    uint64_t revocations;
    uint64_t faults;        /* accesses to revoked ranges */
    uint64_t relends;       /* faults resolved by lending again */
    uint64_t trap_accesses; /* accesses emulated because nothing is lent */
    uint64_t failures;      /* lend or re-lend calls that failed */
} XenLendStats;

/*
 * One hypervisor's way to lend.  @lend makes [gpa, gpa + size) of the
 * guest reach @host directly under id @slot, and called again with the
 * same arguments lends whatever the lender took back since; @unlend
 * undoes it and returns only once the guest can no longer reach the
 * memory.  A NULL @lend means lending is unavailable: every range is
 * trapped.
 */
typedef struct XenLendOps {
    const char *name;
    bool (*init)(XenLend *xl, Error **errp);
    void (*cleanup)(XenLend *xl);
    int (*lend)(XenLend *xl, uint32_t slot, hwaddr gpa, uint64_t size,
                void *host);
    int (*unlend)(XenLend *xl, uint32_t slot);
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

struct XenLend {
    const XenLendOps *ops;
    MemoryRegion *container;    /* the window as the guest sees it */
    uint8_t *host;              /* what backs the window where no blob is */
    uint64_t size;
    XenLendFaultPolicy policy;
    bool lend_fails;            /* emulated: a lender with no pages */
    XenLendTable table;
    XenLendStats stats;

    MemoryListener listener;
    bool lent;                  /* slots are registered ... */
    hwaddr lent_base;           /* ... for a window at this address */
    QEMUBH *sync_bh;
    struct XenLendTrap *window_trap;    /* without lending: all trapped */

    int privcmd_fd;
    uint32_t domid;
};

XenLend *xen_lend_new(const char *mode, XenLendFaultPolicy policy,
                      MemoryRegion *container, void *host, uint64_t size,
                      Error **errp);
void xen_lend_free(XenLend *xl);

int xen_lend_check(XenLend *xl, uint32_t resource_id, uint64_t offset,
                   uint64_t size);
unsigned int xen_lend_mappings(XenLend *xl);
int xen_lend_map(XenLend *xl, uint32_t resource_id, uint64_t offset,
                 uint64_t size, void *host);
void xen_lend_unmap(XenLend *xl, uint32_t resource_id);
bool xen_lend_revoke(XenLend *xl, int64_t slot, Error **errp);
bool xen_lend_zap(XenLend *xl, int64_t slot, Error **errp);

void xen_lend_visit_stats(XenLend *xl, Visitor *v, const char *name,
                          Error **errp);
void xen_lend_visit_slots(XenLend *xl, Visitor *v, const char *name,
                          Error **errp);

#endif /* HW_XEN_XEN_LEND_H */
