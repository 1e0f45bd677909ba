/*
 * Xen memory lending: the core that lends the blobs mapped in a device's
 * hostmem window to the guest, whichever hypervisor backend carries it
 * out.
 *
 * What is lent is derived from two facts only: where the window sits in
 * guest-physical space (followed with a MemoryListener) and which blobs
 * are mapped at which window offsets (handed over by the device, one
 * call when a blob is mapped and one when it goes).  Every change of
 * either goes through one path that lends and unlends the difference.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XEN_XEN_LEND_H
#define HW_XEN_XEN_LEND_H

#include "exec/memory.h"
#include "hw/qdev-properties.h"
#include "qapi/qapi-types-xen-lend.h"

typedef struct XenLend XenLend;

/*
 * Map the memory of blob @resource_id at [offset, offset + size) of the
 * window and return where QEMU reaches it in *@host; 0 or -errno.
 */
typedef int XenLendMapFn(void *opaque, uint32_t resource_id, uint64_t offset,
                         uint64_t size, void **host);

XenLend *xen_lend_new(Object *owner, XenLendMode mode,
                      XenLendFaultPolicy policy, MemoryRegion *container,
                      void *host, uint64_t size, unsigned int max_mappings,
                      Error **errp);
void xen_lend_free(XenLend *xl);

int xen_lend_map(XenLend *xl, uint32_t resource_id, uint64_t offset,
                 uint64_t size, XenLendMapFn *map, void *opaque,
                 Error **errp);
void xen_lend_unmap(XenLend *xl, uint32_t resource_id);

bool xen_lend_revoke(XenLend *xl, int64_t slot, Error **errp);
bool xen_lend_zap(XenLend *xl, int64_t slot, Error **errp);
bool xen_lend_set_fail(XenLend *xl, bool fail, Error **errp);

XenLendStats *xen_lend_query_stats(XenLend *xl);
XenLendSlotList *xen_lend_query_slots(XenLend *xl);

extern const PropertyInfo qdev_prop_xen_lend_mode;
extern const PropertyInfo qdev_prop_xen_lend_fault_policy;

#define DEFINE_PROP_XEN_LEND_MODE(_n, _s, _f) \
    DEFINE_PROP_SIGNED(_n, _s, _f, XEN_LEND_MODE_AUTO, \
                       qdev_prop_xen_lend_mode, XenLendMode)
#define DEFINE_PROP_XEN_LEND_FAULT_POLICY(_n, _s, _f) \
    DEFINE_PROP_SIGNED(_n, _s, _f, XEN_LEND_FAULT_POLICY_ZERO, \
                       qdev_prop_xen_lend_fault_policy, XenLendFaultPolicy)

#endif /* HW_XEN_XEN_LEND_H */
