/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/xen/privcmd-lend: the ioctls of xen_lend.ko.
 *
 * The numbers live in privcmd's 'P' space so that a later merge into
 * privcmd keeps the ABI.  QEMU's copy is include/hw/xen/privcmd-lend.h.
 */

#ifndef XEN_LEND_UAPI_PRIVCMD_LEND_H
#define XEN_LEND_UAPI_PRIVCMD_LEND_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define PRIVCMD_LEND_ABI_VERSION	1

/* privcmd_lend_region.flags */
#define PRIVCMD_LEND_READONLY		(1U << 0)	/* v1: EOPNOTSUPP */
#define PRIVCMD_LEND_FAULT_ZERO		(1U << 1)
#define PRIVCMD_LEND_FAULT_INJECT	(1U << 2)

struct privcmd_lend_query {
	__u32 abi_version;	/* out: PRIVCMD_LEND_ABI_VERSION */
	__u32 max_slots;	/* out: slots one fd may hold */
	__u32 flags;		/* out: privcmd_lend_region.flags supported */
	__u32 pad;		/* in: 0 */
};

struct privcmd_lend_region {
	__u32 slot;		/* caller's id, unique per fd */
	__u32 flags;
	__u64 guest_phys_addr;	/* page aligned */
	__u64 size;		/* page aligned; 0 removes the slot */
	__u64 userspace_addr;	/* page aligned; backs the slot */
};

struct privcmd_lend_slot_info {
	__u32 slot;		/* in */
	__u32 pad;		/* in: 0 */
	__u64 nr_pages;		/* out: pages in the slot */
	__u64 nr_lent;		/* out: pages the module believes lent now */
	__u64 xen_nr_lent;	/* out: pages Xen reports lent */
	__u64 revocations;	/* out: pages unlent by the notifier */
	__u64 lends;		/* out: pages lent, first time and again */
};

#ifndef IOCTL_PRIVCMD_RESTRICT
#define IOCTL_PRIVCMD_RESTRICT \
	_IOC(_IOC_NONE, 'P', 6, sizeof(__u16))
#endif
#define IOCTL_PRIVCMD_LEND_QUERY \
	_IOC(_IOC_NONE, 'P', 11, sizeof(struct privcmd_lend_query))
#define IOCTL_PRIVCMD_LEND_REGION \
	_IOC(_IOC_NONE, 'P', 12, sizeof(struct privcmd_lend_region))
#define IOCTL_PRIVCMD_LEND_SLOT_INFO \
	_IOC(_IOC_NONE, 'P', 14, sizeof(struct privcmd_lend_slot_info))

#endif /* XEN_LEND_UAPI_PRIVCMD_LEND_H */
