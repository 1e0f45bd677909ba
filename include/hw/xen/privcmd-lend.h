/*
 * Xen memory lending: the userspace ABI that QEMU consumes.
 *
 * The reference implementation is the xen_lend module of
 * contrib/xen-lend/linux (device /dev/xen/privcmd-lend) on a Xen with
 * XENMEM_lend (contrib/xen-lend/xen).  The ioctl numbers sit in privcmd's
 * own space so that privcmd can take the ABI in unchanged; they are only
 * claimed until a kernel does.  docs/interop/xen-memory-lending.rst is the
 * specification; this header must match it.  It is the module's too, so
 * it uses the kernel's uAPI types only.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XEN_PRIVCMD_LEND_H
#define HW_XEN_PRIVCMD_LEND_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PRIVCMD_LEND_PATH "/dev/xen/privcmd-lend"
#define PRIVCMD_LEND_ABI_VERSION 1

/* privcmd_lend_region.flags */
#define PRIVCMD_LEND_READONLY       (1U << 0)
#define PRIVCMD_LEND_FAULT_ZERO     (1U << 1)   /* no page: map zeros */
#define PRIVCMD_LEND_FAULT_INJECT   (1U << 2)   /* no page: fault guest */

struct privcmd_lend_query {
    __u32 abi_version;   /* out: PRIVCMD_LEND_ABI_VERSION */
    __u32 max_slots;     /* out: slots one fd may hold */
    __u32 flags;         /* out: privcmd_lend_region.flags supported */
    __u32 pad;           /* in: 0 */
};

struct privcmd_lend_region {
    __u32 slot;              /* caller's id, unique per fd */
    __u32 flags;
    __u64 guest_phys_addr;   /* page aligned */
    __u64 size;              /* page aligned; 0 removes the slot */
    __u64 userspace_addr;    /* page aligned; backs the slot */
};

/* What the kernel and Xen hold of one slot, for tests. */
struct privcmd_lend_slot_info {
    __u32 slot;          /* in */
    __u32 pad;           /* in: 0 */
    __u64 nr_pages;      /* out: pages in the slot */
    __u64 nr_lent;       /* out: pages the kernel has lent now */
    __u64 xen_nr_lent;   /* out: pages Xen maps for the guest now */
    __u64 revocations;   /* out: pages its MMU notifier took back */
    __u64 lends;         /* out: pages lent, first time and again */
};

/* Binds the fd to one guest, as privcmd's own IOCTL_PRIVCMD_RESTRICT. */
#define IOCTL_PRIVCMD_LEND_RESTRICT \
    _IOC(_IOC_NONE, 'P', 6, sizeof(__u16))
#define IOCTL_PRIVCMD_LEND_QUERY \
    _IOC(_IOC_NONE, 'P', 11, sizeof(struct privcmd_lend_query))
#define IOCTL_PRIVCMD_LEND_REGION \
    _IOC(_IOC_NONE, 'P', 12, sizeof(struct privcmd_lend_region))
#define IOCTL_PRIVCMD_LEND_SLOT_INFO \
    _IOC(_IOC_NONE, 'P', 14, sizeof(struct privcmd_lend_slot_info))

#endif /* HW_XEN_PRIVCMD_LEND_H */
