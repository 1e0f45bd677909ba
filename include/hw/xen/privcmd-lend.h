/*
 * Xen memory lending: the privcmd userspace ABI that QEMU consumes.
 *
 * Provisional: no kernel implements it yet, and the ioctl numbers are
 * only claimed until one does.  docs/interop/xen-memory-lending.rst is
 * the specification; this header must match it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XEN_PRIVCMD_LEND_H
#define HW_XEN_PRIVCMD_LEND_H

#include <sys/ioctl.h>

#define PRIVCMD_LEND_ABI_VERSION 1

/* privcmd_lend_region.flags */
#define PRIVCMD_LEND_READONLY       (1U << 0)
#define PRIVCMD_LEND_FAULT_ZERO     (1U << 1)   /* no page: map zeros */
#define PRIVCMD_LEND_FAULT_INJECT   (1U << 2)   /* no page: fault guest */

struct privcmd_lend_query {
    uint32_t abi_version;   /* out: PRIVCMD_LEND_ABI_VERSION */
    uint32_t max_slots;     /* out: slots one fd may hold */
    uint32_t flags;         /* out: privcmd_lend_region.flags supported */
    uint32_t pad;           /* in: 0 */
};

struct privcmd_lend_region {
    uint32_t slot;              /* caller's id, unique per fd */
    uint32_t flags;
    uint64_t guest_phys_addr;   /* page aligned */
    uint64_t size;              /* page aligned; 0 removes the slot */
    uint64_t userspace_addr;    /* page aligned; backs the slot */
};

#define IOCTL_PRIVCMD_LEND_QUERY \
    _IOC(_IOC_NONE, 'P', 11, sizeof(struct privcmd_lend_query))
#define IOCTL_PRIVCMD_LEND_REGION \
    _IOC(_IOC_NONE, 'P', 12, sizeof(struct privcmd_lend_region))

#endif /* HW_XEN_PRIVCMD_LEND_H */
