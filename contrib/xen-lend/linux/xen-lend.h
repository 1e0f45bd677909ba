/* SPDX-License-Identifier: MIT */
/*
 * XENMEM_lend: the hypervisor interface xen_lend.ko calls.
 *
 * A copy of the lending part of the patched Xen's public memory.h, the way
 * include/xen/interface/memory.h copies the rest.  x86-64 callers only; the
 * layout below must stay identical to the hypervisor's.
 */

#ifndef XEN_LEND_XEN_H
#define XEN_LEND_XEN_H

#include <xen/interface/xen.h>

#define XENMEM_lend			63	/* private number */

/* xen_mem_lend.cmd */
#define XENMEM_LEND_version		0	/* .done = XENMEM_LEND_ABI */
#define XENMEM_LEND_lend		1
#define XENMEM_LEND_unlend		2
#define XENMEM_LEND_query		3	/* frames[i] = MFN or ~0 */
#define XENMEM_LEND_count		4	/* control domain only */

#define XENMEM_LEND_ABI			1
#define XENMEM_LEND_MAX_BATCH		512	/* nr limit, no continuations */

/*
 * What a hypervisor without XENMEM_lend returns: Xen's errno (public
 * errno.h), equal to the Linux value on x86 like the others the op returns.
 */
#define XEN_ENOSYS			38

/* What XENMEM_LEND_query stores for a gfn that holds no lent page. */
#define XENMEM_LEND_NO_FRAME		(~(xen_pfn_t)0)

struct xen_mem_lend {
	domid_t domid;			/* IN: borrower (HVM, HAP), != caller */
	uint16_t cmd;			/* IN: XENMEM_LEND_* */
	uint32_t flags;			/* IN: must be 0 */
	uint64_t gfn;			/* IN: first borrower gfn */
	uint32_t nr;			/* IN: 1..XENMEM_LEND_MAX_BATCH */
	uint32_t done;			/* OUT */
	/* lend: IN caller frames (MFN if PV, GFN if translated); query: OUT */
	GUEST_HANDLE(xen_pfn_t) frames;
};

#endif /* XEN_LEND_XEN_H */
