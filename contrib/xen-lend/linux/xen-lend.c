// SPDX-License-Identifier: GPL-2.0
/*
 * xen_lend: lend pages of a process's shared mappings to a Xen HVM guest.
 *
 * /dev/xen/privcmd-lend lets a device model (QEMU) place the pages backing
 * a range of its address space at a guest-physical address of one HVM
 * guest, with the XENMEM_lend hypercall of a patched Xen
 * (contrib/xen-lend/xen).  The pages stay owned, and pageable, by the
 * lender: an mmu_interval_notifier follows the backing range and unlends
 * every lent page of it before the kernel may unmap, move or free the
 * page.  Xen flushes the guest's TLBs before the unlend hypercall
 * returns, so once invalidate() returns the guest cannot reach the page.
 *
 * Locking, outermost first:
 *
 *   ctx->lock    one per fd; serialises its ioctls (slot creation,
 *                re-lend, removal, info) and release.  Held across GUP,
 *                allocations and mmu_interval_notifier_insert/remove;
 *                never taken by the notifier.
 *   mmap_lock    read, around the VMA check, get_user_pages() and the
 *                walk of a VM_PFNMAP mapping.
 *   slot->lock   one per slot; protects its bitmap of lent pages, their
 *                pfns and its counters, and orders lend against unlend.
 *                Taken by invalidate(), which the kernel calls with
 *                mmap_lock or i_mmap_rwsem held, and from reclaim: so no
 *                allocation, no user access, no mmap_lock and no
 *                mmu_interval_read_begin() while it is held; only
 *                hypercalls and bitmap updates.
 *
 * Populate follows the interval-notifier protocol: read_begin, GUP without
 * slot->lock, then under slot->lock read_retry (retry on a collision),
 * XENMEM_lend, set the bits.  An invalidation that comes later sees the
 * bits and unlends; one that came in between makes read_retry fail.  Xen
 * holds its own reference on each lent page, so ours is dropped after the
 * lend: the notifier, not a pin, keeps a lent page alive.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/memory_hotplug.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <xen/features.h>
#include <xen/interface/xen.h>
#include <xen/page.h>
#include <xen/xen.h>
#include <asm/xen/hypercall.h>

#include "hw/xen/privcmd-lend.h"
#include "xen-lend.h"

#if !defined(CONFIG_X86_64) || !defined(CONFIG_MMU_NOTIFIER)
#error "xen_lend needs x86-64 and CONFIG_MMU_NOTIFIER"
#endif

#define LEND_BATCH	XENMEM_LEND_MAX_BATCH
#define LEND_MAX_SLOTS	512
/* 64 GiB per slot: bounds the bitmap and pfn array (8 bytes a page). */
#define LEND_MAX_PAGES	BIT(24)
#define LEND_FAULT_MASK	(PRIVCMD_LEND_FAULT_ZERO | PRIVCMD_LEND_FAULT_INJECT)

static_assert(sizeof(struct xen_mem_lend) == 32);
static_assert(offsetof(struct xen_mem_lend, cmd) == 2);
static_assert(offsetof(struct xen_mem_lend, flags) == 4);
static_assert(offsetof(struct xen_mem_lend, gfn) == 8);
static_assert(offsetof(struct xen_mem_lend, nr) == 16);
static_assert(offsetof(struct xen_mem_lend, done) == 20);
static_assert(offsetof(struct xen_mem_lend, frames) == 24);
static_assert(sizeof(struct privcmd_lend_query) == 16);
static_assert(sizeof(struct privcmd_lend_region) == 32);
static_assert(sizeof(struct privcmd_lend_slot_info) == 48);
static_assert(sizeof(domid_t) == sizeof(__u16));
static_assert(PAGE_SIZE == XEN_PAGE_SIZE);

struct lend_ctx {
	struct mutex lock;		/* serialises the fd's ioctls */
	struct xarray slots;		/* slot id -> struct lend_slot */
	unsigned int nr_slots;
	bool bound;			/* IOCTL_PRIVCMD_LEND_RESTRICT done */
	domid_t domid;
};

struct lend_slot {
	struct mmu_interval_notifier mni;
	struct mutex lock;		/* see the top of the file */
	/* Fixed at creation. */
	domid_t domid;
	u32 flags;
	u64 gpa;
	u64 gfn;
	u64 size;
	unsigned long uaddr;
	unsigned long nr_pages;
	/* Under lock. */
	unsigned long *lent;		/* bitmap: page i is lent at gfn + i */
	unsigned long *pfns;		/* pfn lent at gfn + i, if lent */
	u64 nr_lent;
	u64 revocations;
	u64 lends;
	u64 leaked;			/* pages kept after a failed unlend */
};

/* The per-call scratch of a populate, allocated outside slot->lock. */
struct lend_buf {
	struct page *pages[LEND_BATCH];
	xen_pfn_t frames[LEND_BATCH];
};

static int lend_hcall(domid_t domid, unsigned int cmd, u64 gfn,
		      unsigned int nr, xen_pfn_t *frames, unsigned int *done)
{
	struct xen_mem_lend arg = {
		.domid = domid,
		.cmd = cmd,
		.gfn = gfn,
		.nr = nr,
	};
	int rc;

	set_xen_guest_handle(arg.frames, frames);
	rc = HYPERVISOR_memory_op(XENMEM_lend, &arg);
	*done = arg.done;
	return rc > 0 ? -EIO : rc;
}

static void lend_put_pages(struct page **pages, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		put_page(pages[i]);
}

/*
 * Xen refused to unlend pages the guest may still reach.  They must never
 * be reused: take a reference that is never dropped, so the kernel cannot
 * free them whatever happens to the mapping.  Called with slot->lock held;
 * a lent page is still mapped, as only an invalidation unmaps it.
 */
static void slot_unlend_failed(struct lend_slot *slot, unsigned long first,
			       unsigned long nr, int rc)
{
	unsigned long i, kept = 0;
	struct page *page;

	WARN_ONCE(1, "xen_lend: XENMEM_lend unlend failed (%d)\n", rc);
	for (i = first; i < first + nr; i++) {
		if (!test_bit(i, slot->lent))
			continue;
		if (!pfn_valid(slot->pfns[i]))
			continue;
		page = pfn_to_page(slot->pfns[i]);
		if (folio_try_get(page_folio(page)))
			kept++;
	}
	slot->leaked += kept;
	pr_err("domain %u: unlend of gfn %#llx+%lu failed (%d): guest may still reach them, %lu pages kept forever\n",
	       slot->domid, slot->gfn + first, nr, rc, kept);
}

/*
 * Unlend the lent pages among [first, last) of @slot, at most LEND_BATCH a
 * hypercall; returns how many were lent.  Each hypercall returns only
 * after Xen flushed the guest's TLBs.  Called with slot->lock held.
 */
static unsigned long slot_unlend(struct lend_slot *slot, unsigned long first,
				 unsigned long last, bool can_sleep)
{
	unsigned long i, end, n, count = 0;
	unsigned int done, tries;
	int rc;

	for (i = find_next_bit(slot->lent, last, first); i < last;
	     i = find_next_bit(slot->lent, last, end)) {
		end = find_next_zero_bit(slot->lent, min(last, i + LEND_BATCH), i);
		n = end - i;
		/* Xen's only transient failure is running out of its heap. */
		for (tries = 0; tries < 3; tries++) {
			rc = lend_hcall(slot->domid, XENMEM_LEND_unlend,
					slot->gfn + i, n, NULL, &done);
			if (rc != -ENOMEM)
				break;
			if (can_sleep)
				cond_resched();
		}
		/*
		 * -ESRCH: the guest is gone or dying, so paused for good, and
		 * Xen drops its entries in relinquish_p2m_mapping().  Fewer
		 * removed than lent: the same, as seen while it dies.
		 */
		if (rc && rc != -ESRCH)
			slot_unlend_failed(slot, i, n, rc);
		else if (!rc && done != n)
			pr_info_ratelimited("domain %u: Xen unlent %u of %lu pages at gfn %#llx (guest destroyed?)\n",
					    slot->domid, done, n, slot->gfn + i);
		bitmap_clear(slot->lent, i, n);
		slot->nr_lent -= n;
		count += n;
		if (can_sleep)
			cond_resched();
	}
	return count;
}

static bool lend_invalidate(struct mmu_interval_notifier *mni,
			    const struct mmu_notifier_range *range,
			    unsigned long cur_seq)
{
	struct lend_slot *slot = container_of(mni, struct lend_slot, mni);
	bool blockable = mmu_notifier_range_blockable(range);
	unsigned long start, end;

	if (blockable)
		mutex_lock(&slot->lock);
	else if (!mutex_trylock(&slot->lock))
		return false;

	mmu_interval_set_seq(mni, cur_seq);

	start = max(range->start, slot->uaddr);
	end = min(range->end, slot->uaddr + (unsigned long)slot->size);
	if (start < end)
		slot->revocations +=
			slot_unlend(slot, (start - slot->uaddr) >> PAGE_SHIFT,
				    DIV_ROUND_UP(end - slot->uaddr, PAGE_SIZE),
				    blockable);

	mutex_unlock(&slot->lock);
	return true;
}

static const struct mmu_interval_notifier_ops lend_mni_ops = {
	.invalidate = lend_invalidate,
};

/*
 * Every VMA of [start, end) must be a writable shared mapping of RAM:
 * never VM_IO, which maps device memory.  A VM_PFNMAP one (a udmabuf,
 * which Mesa's lavapipe exports its memory as) is checked page by page
 * in lend_get_pfnmap_page().
 */
static int lend_check_vmas(struct mm_struct *mm, unsigned long start,
			   unsigned long end)
{
	struct vm_area_struct *vma;
	unsigned long addr = start;

	mmap_assert_locked(mm);
	while (addr < end) {
		vma = vma_lookup(mm, addr);
		if (!vma)
			return -EFAULT;
		if (!(vma->vm_flags & VM_SHARED) ||
		    !(vma->vm_flags & VM_WRITE) || (vma->vm_flags & VM_IO))
			return -EACCES;
		addr = vma->vm_end;
	}
	return 0;
}

/*
 * The page behind @addr of a VM_PFNMAP mapping, with a reference, if it is
 * ordinary RAM mapped writable: a reference keeps such a page, as it does
 * not keep device memory.  Faults the address in first if need be.
 */
static int lend_get_pfnmap_page(struct vm_area_struct *vma, unsigned long addr,
				struct page **pagep)
{
	struct follow_pfnmap_args args = { .vma = vma, .address = addr };
	struct page *page;
	int rc;

	rc = follow_pfnmap_start(&args);
	if (rc) {
		rc = fixup_user_fault(vma->vm_mm, addr, FAULT_FLAG_WRITE, NULL);
		if (rc)
			return rc;
		rc = follow_pfnmap_start(&args);
		if (rc)
			return rc;
	}
	page = args.writable ? pfn_to_online_page(args.pfn) : NULL;
	if (!page || PageReserved(page) || is_zone_device_page(page) ||
	    !folio_try_get(page_folio(page)))
		rc = -EACCES;
	else
		*pagep = page;
	follow_pfnmap_end(&args);
	return rc;
}

static int lend_check_range(struct mm_struct *mm, unsigned long start,
			    unsigned long end)
{
	int rc;

	rc = mmap_read_lock_killable(mm);
	if (rc)
		return rc;
	rc = lend_check_vmas(mm, start, end);
	mmap_read_unlock(mm);
	return rc;
}

/* Check the VMAs and take a reference on each page of [va, va + nr pages). */
static int lend_get_pages(struct mm_struct *mm, unsigned long va,
			  unsigned int nr, struct page **pages)
{
	struct vm_area_struct *vma;
	unsigned long addr;
	unsigned int got = 0;
	long n;
	int rc;

	rc = mmap_read_lock_killable(mm);
	if (rc)
		return rc;
	rc = lend_check_vmas(mm, va, va + ((unsigned long)nr << PAGE_SHIFT));
	while (!rc && got < nr) {
		addr = va + ((unsigned long)got << PAGE_SHIFT);
		vma = vma_lookup(mm, addr);
		if (vma->vm_flags & VM_PFNMAP) {
			rc = lend_get_pfnmap_page(vma, addr, pages + got);
			if (!rc)
				got++;
			continue;
		}
		n = get_user_pages(addr, min_t(unsigned long, nr - got,
					       (vma->vm_end - addr) >> PAGE_SHIFT),
				   FOLL_WRITE, pages + got);
		if (n > 0)
			got += n;
		else
			rc = n ? (int)n : -EFAULT;
	}
	mmap_read_unlock(mm);
	if (rc)
		lend_put_pages(pages, got);
	return rc;
}

/*
 * Xen reported success but lent fewer pages than asked: take the run back.
 * If even that fails, the pages must outlive any guest access: keep them.
 */
static void slot_undo_run(struct lend_slot *slot, struct page **pages,
			  unsigned long i, unsigned long n, unsigned int done)
{
	unsigned long j;
	unsigned int undone;
	int rc;

	pr_err("domain %u: Xen lent %u of %lu pages at gfn %#llx\n",
	       slot->domid, done, n, slot->gfn + i);
	rc = lend_hcall(slot->domid, XENMEM_LEND_unlend, slot->gfn + i, n,
			NULL, &undone);
	if (!rc || rc == -ESRCH)
		return;
	WARN_ONCE(1, "xen_lend: XENMEM_lend unlend failed (%d)\n", rc);
	for (j = 0; j < n; j++)
		get_page(pages[j]);
	slot->leaked += n;
}

/*
 * Lend the pages of [first, first + nr) of @slot that are not lent now;
 * nr <= LEND_BATCH.  Called with the fd's lock held, not slot->lock, by
 * the process whose mm the slot follows.
 */
static int slot_lend_chunk(struct lend_slot *slot, struct lend_buf *buf,
			   unsigned long first, unsigned int nr)
{
	unsigned long va = slot->uaddr + (first << PAGE_SHIFT);
	unsigned long end = first + nr, i, run, j, seq;
	unsigned int done;
	int rc;

	for (;;) {
		if (fatal_signal_pending(current))
			return -EINTR;
		seq = mmu_interval_read_begin(&slot->mni);
		rc = lend_get_pages(slot->mni.mm, va, nr, buf->pages);
		if (rc)
			return rc;
		mutex_lock(&slot->lock);
		if (!mmu_interval_read_retry(&slot->mni, seq))
			break;
		mutex_unlock(&slot->lock);
		lend_put_pages(buf->pages, nr);
		cond_resched();
	}

	/*
	 * No invalidation of the range since read_begin: buf->pages are what
	 * the process maps now, and a page still lent is the one lent then.
	 */
	for (i = find_next_bit(slot->lent, end, first); i < end;
	     i = find_next_bit(slot->lent, end, i + 1))
		WARN_ON_ONCE(slot->pfns[i] != page_to_pfn(buf->pages[i - first]));

	rc = 0;
	for (i = find_next_zero_bit(slot->lent, end, first); i < end;
	     i = find_next_zero_bit(slot->lent, end, run)) {
		run = find_next_bit(slot->lent, end, i);
		for (j = i; j < run; j++)
			buf->frames[j - i] =
				xen_page_to_gfn(buf->pages[j - first]);
		rc = lend_hcall(slot->domid, XENMEM_LEND_lend, slot->gfn + i,
				run - i, buf->frames, &done);
		if (!rc && done != run - i) {
			slot_undo_run(slot, buf->pages + (i - first), i,
				      run - i, done);
			rc = -EIO;
		}
		if (rc)
			break;
		for (j = i; j < run; j++)
			slot->pfns[j] = page_to_pfn(buf->pages[j - first]);
		bitmap_set(slot->lent, i, run - i);
		slot->nr_lent += run - i;
		slot->lends += run - i;
	}
	mutex_unlock(&slot->lock);
	lend_put_pages(buf->pages, nr);
	return rc;
}

/* Lend every page of @slot not lent now. */
static int slot_populate(struct lend_slot *slot, struct lend_buf *buf)
{
	unsigned long pos = 0, first;
	unsigned int nr;
	int rc;

	rc = lend_check_range(slot->mni.mm, slot->uaddr,
			      slot->uaddr + (unsigned long)slot->size);
	if (rc)
		return rc;
	while (pos < slot->nr_pages) {
		mutex_lock(&slot->lock);
		first = find_next_zero_bit(slot->lent, slot->nr_pages, pos);
		mutex_unlock(&slot->lock);
		if (first >= slot->nr_pages)
			break;
		nr = min_t(unsigned long, slot->nr_pages - first, LEND_BATCH);
		rc = slot_lend_chunk(slot, buf, first, nr);
		if (rc)
			return rc;
		pos = first + nr;
		cond_resched();
	}
	return 0;
}

static void slot_free(struct lend_slot *slot)
{
	kvfree(slot->pfns);
	kvfree(slot->lent);
	mutex_destroy(&slot->lock);
	kfree(slot);
}

/*
 * Unlend everything, then stop following the range.  In this order: once
 * the notifier is gone nothing would unlend a page the kernel frees.  The
 * caller holds the fd's lock (or is release), so nothing lends meanwhile.
 */
static void slot_destroy(struct lend_slot *slot)
{
	mutex_lock(&slot->lock);
	slot_unlend(slot, 0, slot->nr_pages, true);
	mutex_unlock(&slot->lock);
	mmu_interval_notifier_remove(&slot->mni);
	if (slot->leaked)
		pr_err("domain %u: slot at gfn %#llx freed, %llu pages kept\n",
		       slot->domid, slot->gfn, slot->leaked);
	slot_free(slot);
}

static int slot_create(struct lend_ctx *ctx,
		       const struct privcmd_lend_region *r,
		       struct lend_buf *buf)
{
	unsigned long nr_pages = r->size >> PAGE_SHIFT;
	struct mm_struct *mm = current->mm;
	struct lend_slot *slot;
	int rc;

	if (!mm)
		return -EINVAL;
	slot = kzalloc(sizeof(*slot), GFP_KERNEL_ACCOUNT);
	if (!slot)
		return -ENOMEM;
	mutex_init(&slot->lock);
	slot->domid = ctx->domid;
	slot->flags = r->flags;
	slot->gpa = r->guest_phys_addr;
	slot->gfn = r->guest_phys_addr >> XEN_PAGE_SHIFT;
	slot->size = r->size;
	slot->uaddr = r->userspace_addr;
	slot->nr_pages = nr_pages;
	slot->lent = kvcalloc(BITS_TO_LONGS(nr_pages), sizeof(unsigned long),
			      GFP_KERNEL_ACCOUNT);
	slot->pfns = kvcalloc(nr_pages, sizeof(unsigned long),
			      GFP_KERNEL_ACCOUNT);
	if (!slot->lent || !slot->pfns) {
		rc = -ENOMEM;
		goto err_free;
	}

	rc = mmu_interval_notifier_insert(&slot->mni, mm, slot->uaddr,
					  r->size, &lend_mni_ops);
	if (rc)
		goto err_free;
	rc = xa_insert(&ctx->slots, r->slot, slot, GFP_KERNEL_ACCOUNT);
	if (rc)
		goto err_destroy;
	rc = slot_populate(slot, buf);
	if (rc) {
		xa_erase(&ctx->slots, r->slot);
		goto err_destroy;
	}
	ctx->nr_slots++;
	return 0;

err_destroy:
	slot_destroy(slot);
	return rc;
err_free:
	slot_free(slot);
	return rc;
}

static void ctx_remove_slot(struct lend_ctx *ctx, u32 id,
			    struct lend_slot *slot)
{
	xa_erase(&ctx->slots, id);
	ctx->nr_slots--;
	slot_destroy(slot);
}

static int lend_check_region(const struct privcmd_lend_region *r)
{
	u64 end;

	if (r->flags & ~(PRIVCMD_LEND_READONLY | LEND_FAULT_MASK))
		return -EINVAL;
	if (r->flags & PRIVCMD_LEND_READONLY)
		return -EOPNOTSUPP;
	if ((r->flags & LEND_FAULT_MASK) == LEND_FAULT_MASK)
		return -EINVAL;
	if (!PAGE_ALIGNED(r->guest_phys_addr) || !PAGE_ALIGNED(r->size) ||
	    !PAGE_ALIGNED(r->userspace_addr))
		return -EINVAL;
	if (check_add_overflow(r->guest_phys_addr, r->size, &end) ||
	    check_add_overflow(r->userspace_addr, r->size, &end))
		return -EINVAL;
	if (r->size >> PAGE_SHIFT > LEND_MAX_PAGES)
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(r->userspace_addr), r->size))
		return -EFAULT;
	return 0;
}

static bool slot_same(const struct lend_slot *slot,
		      const struct privcmd_lend_region *r)
{
	return slot->gpa == r->guest_phys_addr && slot->size == r->size &&
	       slot->uaddr == r->userspace_addr && slot->flags == r->flags;
}

/* Does [gpa, gpa + size) overlap a slot of @ctx other than @except? */
static bool ctx_overlaps(struct lend_ctx *ctx,
			 const struct privcmd_lend_region *r,
			 const struct lend_slot *except)
{
	struct lend_slot *slot;
	unsigned long id;

	xa_for_each(&ctx->slots, id, slot) {
		if (slot == except)
			continue;
		if (r->guest_phys_addr < slot->gpa + slot->size &&
		    slot->gpa < r->guest_phys_addr + r->size)
			return true;
	}
	return false;
}

/* Takes ctx->lock for a lending call; fails if the fd is not bound. */
static int ctx_lock_bound(struct lend_ctx *ctx)
{
	if (mutex_lock_killable(&ctx->lock))
		return -EINTR;
	if (!ctx->bound) {
		mutex_unlock(&ctx->lock);
		return -EPERM;
	}
	return 0;
}

static long lend_ioctl_region(struct lend_ctx *ctx, void __user *udata)
{
	struct privcmd_lend_region r;
	struct lend_buf *buf = NULL;
	struct lend_slot *slot;
	long rc;

	if (copy_from_user(&r, udata, sizeof(r)))
		return -EFAULT;
	if (r.size) {
		buf = kmalloc(sizeof(*buf), GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}

	rc = ctx_lock_bound(ctx);
	if (rc) {
		kfree(buf);
		return rc;
	}
	slot = xa_load(&ctx->slots, r.slot);

	if (!r.size) {
		rc = 0;
		if (slot)
			ctx_remove_slot(ctx, r.slot, slot);
		else
			rc = -ENOENT;
		goto out;
	}

	rc = lend_check_region(&r);
	if (rc)
		goto out;

	if (slot && slot_same(slot, &r)) {
		/* Re-lend after revocations; only the slot's own process. */
		rc = slot->mni.mm == current->mm ? slot_populate(slot, buf) : -EIO;
		goto out;
	}

	if (ctx_overlaps(ctx, &r, slot)) {
		rc = -EEXIST;
		goto out;
	}
	if (!slot && ctx->nr_slots >= LEND_MAX_SLOTS) {
		rc = -ENOSPC;
		goto out;
	}
	if (slot)
		ctx_remove_slot(ctx, r.slot, slot);
	rc = slot_create(ctx, &r, buf);
out:
	mutex_unlock(&ctx->lock);
	kfree(buf);
	return rc;
}

/*
 * Compare the module's view of [first, first + nr) with Xen's query
 * result; returns the number of pages where they differ.
 */
static unsigned long slot_compare(struct lend_slot *slot, unsigned long first,
				  unsigned int nr, const xen_pfn_t *frames)
{
	bool pv = !xen_feature(XENFEAT_auto_translated_physmap);
	unsigned long i, bad = 0;
	bool in_xen, in_slot;

	for (i = 0; i < nr; i++) {
		in_xen = frames[i] != XENMEM_LEND_NO_FRAME;
		in_slot = test_bit(first + i, slot->lent);
		if (in_xen != in_slot)
			bad++;
		else if (in_xen && pv &&
			 frames[i] != pfn_to_gfn(slot->pfns[first + i]))
			bad++;
	}
	return bad;
}

static long lend_ioctl_slot_info(struct lend_ctx *ctx, void __user *udata)
{
	struct privcmd_lend_slot_info info;
	unsigned long i, bad = 0;
	struct lend_slot *slot;
	unsigned int nr, done;
	xen_pfn_t *frames;
	u64 xen_lent = 0;
	long rc = 0;

	if (copy_from_user(&info, udata, sizeof(info)))
		return -EFAULT;
	if (info.pad)
		return -EINVAL;
	frames = kmalloc_array(LEND_BATCH, sizeof(*frames), GFP_KERNEL);
	if (!frames)
		return -ENOMEM;

	rc = ctx_lock_bound(ctx);
	if (rc) {
		kfree(frames);
		return rc;
	}
	slot = xa_load(&ctx->slots, info.slot);
	if (!slot) {
		rc = -ENOENT;
		goto out;
	}

	for (i = 0; i < slot->nr_pages; i += nr) {
		nr = min_t(unsigned long, slot->nr_pages - i, LEND_BATCH);
		mutex_lock(&slot->lock);
		rc = lend_hcall(slot->domid, XENMEM_LEND_query, slot->gfn + i,
				nr, frames, &done);
		if (!rc)
			bad += slot_compare(slot, i, nr, frames);
		mutex_unlock(&slot->lock);
		if (rc)
			goto out;
		xen_lent += done;
		cond_resched();
	}
	if (bad)
		pr_warn("domain %u: slot at gfn %#llx: Xen and the module disagree on %lu pages\n",
			slot->domid, slot->gfn, bad);

	mutex_lock(&slot->lock);
	info.nr_pages = slot->nr_pages;
	info.nr_lent = slot->nr_lent;
	info.xen_nr_lent = xen_lent;
	info.revocations = slot->revocations;
	info.lends = slot->lends;
	mutex_unlock(&slot->lock);
out:
	mutex_unlock(&ctx->lock);
	kfree(frames);
	if (!rc && copy_to_user(udata, &info, sizeof(info)))
		rc = -EFAULT;
	return rc;
}

static long lend_ioctl_query(void __user *udata)
{
	struct privcmd_lend_query q;

	if (copy_from_user(&q, udata, sizeof(q)))
		return -EFAULT;
	if (q.pad)
		return -EINVAL;
	q.abi_version = PRIVCMD_LEND_ABI_VERSION;
	q.max_slots = LEND_MAX_SLOTS;
	q.flags = LEND_FAULT_MASK;
	if (copy_to_user(udata, &q, sizeof(q)))
		return -EFAULT;
	return 0;
}

static long lend_ioctl_restrict(struct lend_ctx *ctx, void __user *udata)
{
	domid_t dom;
	long rc = 0;

	if (copy_from_user(&dom, udata, sizeof(dom)))
		return -EFAULT;
	if (dom >= DOMID_FIRST_RESERVED)
		return -EINVAL;

	mutex_lock(&ctx->lock);
	if (!ctx->bound) {
		ctx->domid = dom;
		ctx->bound = true;
	} else if (ctx->domid != dom) {
		rc = -EINVAL;
	}
	mutex_unlock(&ctx->lock);
	return rc;
}

static long lend_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct lend_ctx *ctx = file->private_data;
	void __user *udata = (void __user *)arg;

	switch (cmd) {
	case IOCTL_PRIVCMD_LEND_RESTRICT:
		return lend_ioctl_restrict(ctx, udata);
	case IOCTL_PRIVCMD_LEND_QUERY:
		return lend_ioctl_query(udata);
	case IOCTL_PRIVCMD_LEND_REGION:
		return lend_ioctl_region(ctx, udata);
	case IOCTL_PRIVCMD_LEND_SLOT_INFO:
		return lend_ioctl_slot_info(ctx, udata);
	default:
		return -ENOTTY;
	}
}

static int lend_open(struct inode *inode, struct file *file)
{
	struct lend_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	mutex_init(&ctx->lock);
	xa_init(&ctx->slots);
	file->private_data = ctx;
	return nonseekable_open(inode, file);
}

/*
 * Last close, or exit.  At exit the mm goes first: exit_mmap() runs every
 * invalidate() with MMU_NOTIFY_RELEASE over the whole address space, which
 * unlends everything, before the files are closed; here the notifiers are
 * removed (the mm_struct is kept alive by the notifier's mmgrab).
 */
static int lend_release(struct inode *inode, struct file *file)
{
	struct lend_ctx *ctx = file->private_data;
	struct lend_slot *slot;
	unsigned long id;

	mutex_lock(&ctx->lock);
	xa_for_each(&ctx->slots, id, slot)
		ctx_remove_slot(ctx, id, slot);
	mutex_unlock(&ctx->lock);
	xa_destroy(&ctx->slots);
	mutex_destroy(&ctx->lock);
	kfree(ctx);
	return 0;
}

static const struct file_operations lend_fops = {
	.owner = THIS_MODULE,
	.open = lend_open,
	.release = lend_release,
	.unlocked_ioctl = lend_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice lend_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "xen/privcmd-lend",
	.fops = &lend_fops,
	.mode = 0600,
};

static int __init xen_lend_init(void)
{
	struct xen_mem_lend arg = { .cmd = XENMEM_LEND_version };
	int rc;

	if (!xen_domain()) {
		pr_err("not running on Xen\n");
		return -ENODEV;
	}
	rc = HYPERVISOR_memory_op(XENMEM_lend, &arg);
	if (rc == -XEN_ENOSYS) {
		pr_err("the hypervisor lacks XENMEM_lend (needs the patched Xen from contrib/xen-lend/xen)\n");
		return -ENODEV;
	}
	if (rc < 0) {
		pr_err("XENMEM_lend version probe failed: %d\n", rc);
		return -ENODEV;
	}
	if (arg.done != XENMEM_LEND_ABI) {
		pr_err("XENMEM_lend ABI %u, this module speaks %u\n",
		       arg.done, XENMEM_LEND_ABI);
		return -ENODEV;
	}
	rc = misc_register(&lend_dev);
	if (rc)
		return rc;
	pr_info("XENMEM_lend ABI %u\n", arg.done);
	return 0;
}

static void __exit xen_lend_exit(void)
{
	misc_deregister(&lend_dev);
}

module_init(xen_lend_init);
module_exit(xen_lend_exit);

MODULE_DESCRIPTION("Lend dom0 pages to Xen HVM guests (/dev/xen/privcmd-lend)");
MODULE_LICENSE("GPL");
