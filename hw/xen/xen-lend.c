/*
 * Xen memory lending: the core that lends the blobs mapped in a device's
 * hostmem window to the guest.
 *
 * Two facts decide what is lent: where the window sits in guest-physical
 * space, which a MemoryListener follows the way kvm-all.c follows
 * memslots (so BAR moves, memory-decode toggles, reset and shutdown need
 * no special case), and the table of blobs mapped in the window, which
 * the device keeps up to date.  A range that is mapped but not lent
 * (lending failed, is unavailable, or the lender revoked it) is covered
 * by a trap region whose handler runs the fault path and then completes
 * the access through the host mapping, so the guest always sees the
 * right bytes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/madvise.h"
#include "qemu/rcu.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-xen-lend.h"
#include "qom/object.h"
#include "exec/address-spaces.h"
#include "system/xen.h"
#include "hw/core/qdev-prop-internal.h"
#include "hw/xen/xen-lend.h"
#include "hw/xen/xen-lend-table.h"
#include "xen-lend-ops.h"
#include "trace.h"

struct XenLend {
    Object *owner;              /* the device, for query-xen-lend */
    const XenLendOps *ops;
    void *backend;              /* the ops' own state */
    MemoryRegion *container;    /* the window as the guest sees it */
    uint8_t *host;              /* what backs the window where no blob is */
    uint64_t size;
    XenLendFaultPolicy policy;
    unsigned int max_mappings;
    XenLendTable table;
    XenLendStats stats;         /* the counters; mode and slots on query */

    MemoryListener listener;
    bool lent;                  /* slots are registered ... */
    hwaddr lent_base;           /* ... for a window at this address */
    QEMUBH *sync_bh;
    struct XenLendTrap *window_trap;    /* without lending: all trapped */
    QTAILQ_ENTRY(XenLend) next;
};

/* Every device's lending core, for query-xen-lend. */
static QTAILQ_HEAD(, XenLend) xen_lends = QTAILQ_HEAD_INITIALIZER(xen_lends);

const PropertyInfo qdev_prop_xen_lend_mode = {
    .type = "XenLendMode",
    .description = "auto/privcmd/emulated/trap",
    .enum_table = &XenLendMode_lookup,
    .get = qdev_propinfo_get_enum,
    .set = qdev_propinfo_set_enum,
    .set_default_value = qdev_propinfo_set_default_value_enum,
};

const PropertyInfo qdev_prop_xen_lend_fault_policy = {
    .type = "XenLendFaultPolicy",
    .description = "zero/inject",
    .enum_table = &XenLendFaultPolicy_lookup,
    .get = qdev_propinfo_get_enum,
    .set = qdev_propinfo_set_enum,
    .set_default_value = qdev_propinfo_set_default_value_enum,
};

static const char *xen_lend_name(XenLend *xl)
{
    return XenLendMode_str(xl->ops->mode);
}

#define TYPE_XEN_LEND_TRAP "xen-lend-trap"
OBJECT_DECLARE_SIMPLE_TYPE(XenLendTrap, XEN_LEND_TRAP)

/*
 * An object of its own, so that the memory map's references keep it
 * alive until no RCU reader can still dispatch to it.
 */
struct XenLendTrap {
    Object parent_obj;
    MemoryRegion mr;
    XenLend *xl;
    uint64_t offset;    /* in the window */
};

static const TypeInfo xen_lend_trap_info = {
    .name = TYPE_XEN_LEND_TRAP,
    .parent = TYPE_OBJECT,
    .instance_size = sizeof(XenLendTrap),
};

static void xen_lend_register_types(void)
{
    type_register_static(&xen_lend_trap_info);
}

type_init(xen_lend_register_types)

static uint64_t xen_lend_pages(uint64_t size)
{
    return size / qemu_real_host_page_size();
}

static void xen_lend_apply(XenLendMapping *m, XenLendEvent ev)
{
    XenLendState to;

    if (!xen_lend_transition(m->state, ev, &to)) {
        error_report("xen-lend: slot %" PRIu32 " cannot go from %s on"
                     " event %d", m->slot, xen_lend_state_name(m->state), ev);
        abort();
    }
    m->state = to;
}

/* One lend call for @m at its current guest address; 0 or -errno. */
static int xen_lend_call(XenLend *xl, XenLendMapping *m)
{
    int ret;

    ret = xl->ops->lend(xl->backend, m->slot, m->gpa, m->size, m->host);
    trace_xen_lend_lend(xen_lend_name(xl), m->slot, m->gpa, m->size, ret);
    if (ret) {
        xl->stats.failures++;
        trace_xen_lend_failure(xen_lend_name(xl), m->slot, ret);
    } else {
        xl->stats.lends++;
        xl->stats.lent_pages += xen_lend_pages(m->size);
    }
    return ret;
}

static void xen_lend_one(XenLend *xl, XenLendMapping *m, hwaddr base)
{
    m->slot = xen_lend_table_new_slot(&xl->table);
    m->gpa = base + m->offset;
    if (!xl->ops->lend) {
        xen_lend_apply(m, XEN_LEND_EV_LEND_FAIL);
        return;
    }
    xen_lend_apply(m, xen_lend_call(xl, m) ? XEN_LEND_EV_LEND_FAIL
                                           : XEN_LEND_EV_LEND_OK);
}

/*
 * Take @m back from the guest; returns once the guest can no longer reach
 * it.  Only a lent range is held by the lender: a revoked one was given
 * back whole when it was revoked.
 */
static void xen_lend_unlend_slot(XenLend *xl, XenLendMapping *m)
{
    int ret;

    ret = xl->ops->unlend(xl->backend, m->slot);
    trace_xen_lend_unlend(xen_lend_name(xl), m->slot, m->gpa, m->size, ret);
    if (ret) {
        /* The guest may still reach memory we are about to reuse. */
        error_report("xen-lend: %s cannot unlend slot %" PRIu32 ": %s",
                     xen_lend_name(xl), m->slot, strerror(-ret));
        abort();
    }
}

static void xen_lend_unlend_one(XenLend *xl, XenLendMapping *m)
{
    if (m->state == XEN_LEND_LENT) {
        xen_lend_unlend_slot(xl, m);
        xl->stats.unlends++;
    }
    xen_lend_apply(m, XEN_LEND_EV_UNLEND);
}

static void xen_lend_revoke_one(XenLend *xl, XenLendMapping *m)
{
    xen_lend_unlend_slot(xl, m);
    xen_lend_apply(m, XEN_LEND_EV_REVOKE);
    xl->stats.revocations++;
    trace_xen_lend_revoke(m->slot);
}

static void xen_lend_sync_traps(XenLend *xl);

/* A fault that found no page: the slot's fault policy decides. */
static MemTxResult xen_lend_no_page(XenLend *xl, XenLendMapping *m,
                                    uint64_t offset, uint64_t *data,
                                    bool write)
{
    if (xl->policy == XEN_LEND_FAULT_POLICY_INJECT) {
        qemu_log_mask(LOG_GUEST_ERROR, "xen-lend: no page for guest"
                      " address 0x%" HWADDR_PRIx " of slot %" PRIu32
                      ": access fails\n",
                      m->gpa + offset - m->offset, m->slot);
        return MEMTX_ERROR;
    }
    /* The zero page: reads see zeros, writes go nowhere. */
    if (!write) {
        *data = 0;
    }
    return MEMTX_OK;
}

static MemTxResult xen_lend_trap_access(XenLendTrap *t, hwaddr addr,
                                        uint64_t *data, unsigned size,
                                        bool write)
{
    XenLend *xl = t->xl;
    uint64_t offset = t->offset + addr;
    XenLendMapping *m = xen_lend_table_lookup(&xl->table, offset);
    uint8_t *host;
    int ret;

    if (m && m->state == XEN_LEND_LENT && xl->ops->revokes_unseen) {
        /*
         * The lender took (some of) the pages back without telling QEMU:
         * lending again fills them in.  (Other lenders reach here only
         * through a memory map that an access in flight still uses.)
         */
        xl->stats.faults++;
        trace_xen_lend_fault(m->slot, m->gpa + offset - m->offset, write);
        ret = xen_lend_call(xl, m);
        trace_xen_lend_relend(m->slot, ret);
        if (ret == 0) {
            xl->stats.relends++;
        } else {
            /* Give it all back, then fail as a revoked range would. */
            xen_lend_revoke_one(xl, m);
            xen_lend_apply(m, XEN_LEND_EV_RELEND_FAIL);
            return xen_lend_no_page(xl, m, offset, data, write);
        }
    } else if (m && m->state == XEN_LEND_REVOKED) {
        xl->stats.faults++;
        trace_xen_lend_fault(m->slot, m->gpa + offset - m->offset, write);
        ret = xen_lend_call(xl, m);
        trace_xen_lend_relend(m->slot, ret);
        if (ret == 0) {
            xen_lend_apply(m, XEN_LEND_EV_RELEND_OK);
            xl->stats.relends++;
            /* Later accesses go direct; this one completes below. */
            xen_lend_sync_traps(xl);
        } else {
            xen_lend_apply(m, XEN_LEND_EV_RELEND_FAIL);
            return xen_lend_no_page(xl, m, offset, data, write);
        }
    } else if (m) {
        xl->stats.trap_accesses++;
    }

    host = m ? (uint8_t *)m->host + (offset - m->offset) : xl->host + offset;
    if (write) {
        stn_le_p(host, size, *data);
    } else {
        *data = ldn_le_p(host, size);
    }
    return MEMTX_OK;
}

static MemTxResult xen_lend_trap_read(void *opaque, hwaddr addr,
                                      uint64_t *data, unsigned size,
                                      MemTxAttrs attrs)
{
    return xen_lend_trap_access(opaque, addr, data, size, false);
}

static MemTxResult xen_lend_trap_write(void *opaque, hwaddr addr,
                                       uint64_t data, unsigned size,
                                       MemTxAttrs attrs)
{
    return xen_lend_trap_access(opaque, addr, &data, size, true);
}

static const MemoryRegionOps xen_lend_trap_mr_ops = {
    .read_with_attrs = xen_lend_trap_read,
    .write_with_attrs = xen_lend_trap_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
};

static XenLendTrap *xen_lend_trap_new(XenLend *xl, uint64_t offset,
                                      uint64_t size)
{
    XenLendTrap *t = XEN_LEND_TRAP(object_new(TYPE_XEN_LEND_TRAP));

    t->xl = xl;
    t->offset = offset;
    memory_region_init_io(&t->mr, OBJECT(t), &xen_lend_trap_mr_ops, t,
                          "xen-lend-trap", size);
    /* Above the window and above any region the device maps a blob with. */
    memory_region_add_subregion_overlap(xl->container, offset, &t->mr, 2);
    return t;
}

static void xen_lend_trap_free(XenLend *xl, XenLendTrap *t)
{
    memory_region_del_subregion(xl->container, &t->mr);
    object_unref(OBJECT(t));
}

static void xen_lend_trap_add(XenLend *xl, XenLendMapping *m)
{
    m->trap = xen_lend_trap_new(xl, m->offset, m->size);
}

static void xen_lend_trap_del(XenLend *xl, XenLendMapping *m)
{
    xen_lend_trap_free(xl, m->trap);
    m->trap = NULL;
}

/*
 * Cover exactly the mapped ranges that the guest cannot reach directly.
 * Without lending, or with a lender that revokes unseen, one trap covers
 * the whole window for good: changing the memory map at every map and
 * unmap costs time, and under TCG an access in flight during the change
 * can reach the wrong region.
 */
static void xen_lend_sync_traps(XenLend *xl)
{
    XenLendMapping *m;
    bool trapped;
    guint i;

    if (xl->window_trap) {
        return;
    }

    memory_region_transaction_begin();
    XEN_LEND_TABLE_FOREACH(&xl->table, m, i) {
        trapped = m->state == XEN_LEND_REVOKED ||
                  m->state == XEN_LEND_TRAPPED;
        if (trapped && !m->trap) {
            xen_lend_trap_add(xl, m);
        } else if (!trapped && m->trap) {
            xen_lend_trap_del(xl, m);
        }
    }
    memory_region_transaction_commit();
}

static void xen_lend_sync_bh(void *opaque)
{
    xen_lend_sync_traps(opaque);
}

/*
 * Lend and unlend the difference between what is lent and the facts;
 * false if there was none.
 */
static bool xen_lend_update(XenLend *xl, bool present, hwaddr base)
{
    XenLendMapping *m;
    guint i;

    if (present == xl->lent && (!present || base == xl->lent_base)) {
        return false;
    }
    trace_xen_lend_window(present, base);
    if (xl->lent) {
        XEN_LEND_TABLE_FOREACH(&xl->table, m, i) {
            xen_lend_unlend_one(xl, m);
        }
    }
    xl->lent = present;
    xl->lent_base = base;
    if (present) {
        XEN_LEND_TABLE_FOREACH(&xl->table, m, i) {
            xen_lend_one(xl, m, base);
        }
    }
    return true;
}

typedef struct XenLendDecoded {
    XenLend *xl;
    uint64_t bytes;
    hwaddr base;
} XenLendDecoded;

/* A range of the memory map that is the window's: its RAM, a trap, a blob. */
static bool xen_lend_decoded_range(Int128 start, Int128 len,
                                   const MemoryRegion *mr,
                                   hwaddr offset_in_region, void *opaque)
{
    XenLendDecoded *d = opaque;

    if (mr->container == d->xl->container) {
        d->bytes += int128_get64(len);
        d->base = int128_get64(start) - offset_in_region - mr->addr;
    }
    return false;
}

/*
 * Where the window decodes is read from the memory map as it stands after
 * each change: a subregion being removed has left its container by the
 * time region_del would report it, so counting adds and deletes drifts.
 */
static void xen_lend_commit(MemoryListener *listener)
{
    XenLend *xl = container_of(listener, XenLend, listener);
    XenLendDecoded d = { .xl = xl };
    FlatView *fv;

    WITH_RCU_READ_LOCK_GUARD() {
        fv = address_space_to_flatview(&address_space_memory);
        flatview_for_each_range(fv, xen_lend_decoded_range, &d);
    }
    /*
     * Lend only while the whole window decodes: a BAR across the end of
     * the PCI hole, or under a region of higher priority, decodes in part,
     * and a lent page must be one that the guest reaches as the window's.
     * The part that decodes is served through the memory map meanwhile.
     */
    if (xen_lend_update(xl, d.bytes == xl->size, d.base)) {
        /* Never change the memory map from inside its own update. */
        qemu_bh_schedule(xl->sync_bh);
    }
}

/*
 * auto means privcmd on Xen when the kernel supports lending, else trap
 * with one warning; emulated on any other accelerator.
 */
static bool xen_lend_choose_ops(XenLend *xl, XenLendMode mode, Error **errp)
{
    static const XenLendOps *const all[XEN_LEND_MODE__MAX] = {
        [XEN_LEND_MODE_PRIVCMD] = &xen_lend_privcmd_ops,
        [XEN_LEND_MODE_EMULATED] = &xen_lend_emulated_ops,
        [XEN_LEND_MODE_TRAP] = &xen_lend_trap_ops,
    };
    Error *local_err = NULL;
    bool fallback = mode == XEN_LEND_MODE_AUTO && xen_enabled();

    if (mode == XEN_LEND_MODE_AUTO) {
        mode = xen_enabled() ? XEN_LEND_MODE_PRIVCMD : XEN_LEND_MODE_EMULATED;
    }
    xl->ops = all[mode];
    if (!xl->ops->init) {
        return true;
    }
    xl->backend = xl->ops->init(xl->policy, &local_err);
    if (xl->backend) {
        return true;
    }
    if (!fallback) {
        error_propagate(errp, local_err);
        return false;
    }
    warn_report_err(local_err);
    warn_report("lend=auto: every guest access to a mapped blob will be"
                " emulated (lend=trap); set lend=trap to silence this");
    xl->ops = all[XEN_LEND_MODE_TRAP];
    return true;
}

/*
 * The lending of @owner's hostmem window: @size bytes at @host in QEMU,
 * which the guest sees through @container.  At most @max_mappings blobs
 * are mapped in it at once.
 */
XenLend *xen_lend_new(Object *owner, XenLendMode mode,
                      XenLendFaultPolicy policy, MemoryRegion *container,
                      void *host, uint64_t size, unsigned int max_mappings,
                      Error **errp)
{
    XenLend *xl = g_new0(XenLend, 1);

    xl->owner = owner;
    xl->container = container;
    xl->host = host;
    xl->size = size;
    xl->policy = policy;
    xl->max_mappings = max_mappings;
    if (!xen_lend_choose_ops(xl, mode, errp)) {
        g_free(xl);
        return NULL;
    }
    trace_xen_lend_mode(xen_lend_name(xl));
    xen_lend_table_init(&xl->table, size, qemu_real_host_page_size());
    xl->sync_bh = qemu_bh_new(xen_lend_sync_bh, xl);
    xl->listener = (MemoryListener) {
        .name = "xen-lend",
        .commit = xen_lend_commit,
    };
    if (!xl->ops->lend || xl->ops->revokes_unseen) {
        xl->window_trap = xen_lend_trap_new(xl, 0, size);
    }
    memory_listener_register(&xl->listener, &address_space_memory);
    QTAILQ_INSERT_TAIL(&xen_lends, xl, next);
    return xl;
}

void xen_lend_free(XenLend *xl)
{
    XenLendMapping *m;
    guint i;

    QTAILQ_REMOVE(&xen_lends, xl, next);
    memory_listener_unregister(&xl->listener);
    xen_lend_update(xl, false, 0);
    XEN_LEND_TABLE_FOREACH(&xl->table, m, i) {
        if (m->trap) {
            xen_lend_trap_del(xl, m);
        }
    }
    if (xl->window_trap) {
        xen_lend_trap_free(xl, xl->window_trap);
    }
    if (xl->ops->cleanup) {
        xl->ops->cleanup(xl->backend);
    }
    qemu_bh_delete(xl->sync_bh);
    xen_lend_table_destroy(&xl->table);
    g_free(xl);
}

/*
 * Blob @resource_id is to be mapped at [offset, offset + size) of the
 * window: check the range against the window and the blobs mapped
 * already, have @map map it, record it and lend it if the window
 * decodes.  0, or -ENOSPC (too many blobs mapped), -EINVAL (a range that
 * is empty, unaligned or outside the window), -EEXIST (the blob is
 * mapped), -EBUSY (the range overlaps a mapped blob), or @map's error,
 * with @errp set.  Nothing is mapped or recorded on failure.
 */
int xen_lend_map(XenLend *xl, uint32_t resource_id, uint64_t offset,
                 uint64_t size, XenLendMapFn *map, void *opaque,
                 Error **errp)
{
    XenLendMapping *m;
    void *host;
    int ret;

    /*
     * Each mapping splits the host mapping of the window: bounded, the
     * count of mappings stays under vm.max_map_count, or an unmap could
     * fail to put the hole back.
     */
    if (xl->table.mappings->len >= xl->max_mappings) {
        error_setg(errp, "blob %" PRIu32 ": already %u blobs mapped, the"
                   " limit (max-mappings)", resource_id,
                   xl->table.mappings->len);
        return -ENOSPC;
    }
    ret = xen_lend_table_insert(&xl->table, resource_id, offset, size, &m);
    switch (ret) {
    case 0:
        break;
    case -EBUSY:
        error_setg(errp, "blob %" PRIu32 " at 0x%" PRIx64 " overlaps a"
                   " mapped blob", resource_id, offset);
        return ret;
    case -EEXIST:
        error_setg(errp, "blob %" PRIu32 " is mapped already", resource_id);
        return ret;
    default:
        /* Host pages cannot be placed at a sub-page guest address. */
        error_setg(errp, "blob %" PRIu32 " (0x%" PRIx64 " bytes) at 0x%"
                   PRIx64 " is not page aligned or leaves the 0x%" PRIx64
                   " byte window", resource_id, size, offset, xl->size);
        return ret;
    }
    ret = map(opaque, resource_id, offset, size, &host);
    if (ret) {
        xen_lend_table_remove(&xl->table, m);
        error_setg_errno(errp, -ret, "cannot map blob %" PRIu32,
                         resource_id);
        return ret;
    }
    m->host = host;
    if (xl->lent) {
        xen_lend_one(xl, m, xl->lent_base);
    }
    xen_lend_sync_traps(xl);
    return 0;
}

/* Returns once the guest can no longer reach the blob's memory. */
void xen_lend_unmap(XenLend *xl, uint32_t resource_id)
{
    XenLendMapping *m = xen_lend_table_find(&xl->table, resource_id);

    if (!m) {
        return;
    }
    if (m->state != XEN_LEND_UNLENT) {
        xen_lend_unlend_one(xl, m);
    }
    if (m->trap) {
        xen_lend_trap_del(xl, m);
    }
    xen_lend_table_remove(&xl->table, m);
}

/*
 * Take slot @slot (or all, if -1) back from the guest, as a host MMU
 * notifier would: the lender unlends it, and the guest's next access
 * faults and lends it again.
 */
bool xen_lend_revoke(XenLend *xl, int64_t slot, Error **errp)
{
    XenLendMapping *m;
    bool found = false;
    guint i;

    if (!xl->ops->lend) {
        error_setg(errp, "lend=%s lends nothing to revoke", xen_lend_name(xl));
        return false;
    }
    XEN_LEND_TABLE_FOREACH(&xl->table, m, i) {
        if (m->state == XEN_LEND_UNLENT || (slot >= 0 && m->slot != slot)) {
            continue;
        }
        found = true;
        if (m->state == XEN_LEND_LENT) {
            xen_lend_revoke_one(xl, m);
        }
    }
    if (slot >= 0 && !found) {
        error_setg(errp, "no lent slot %" PRId64, slot);
        return false;
    }
    xen_lend_sync_traps(xl);
    return true;
}

/*
 * Drop QEMU's page table entries for slot @slot (or all, if -1), as page
 * reclaim or a buffer move does: a lender that follows QEMU's mappings
 * must revoke them on its own, and the guest's next access faults.  The
 * memory is shared, so its contents stay.
 */
bool xen_lend_zap(XenLend *xl, int64_t slot, Error **errp)
{
    XenLendMapping *m;
    bool found = false;
    guint i;

    if (!xl->ops->revokes_unseen) {
        error_setg(errp, "lend=%s does not follow QEMU's mappings; only"
                   " lend=privcmd does", xen_lend_name(xl));
        return false;
    }
    XEN_LEND_TABLE_FOREACH(&xl->table, m, i) {
        if (m->state != XEN_LEND_LENT || (slot >= 0 && m->slot != slot)) {
            continue;
        }
        found = true;
        trace_xen_lend_zap(m->slot);
        if (qemu_madvise(m->host, m->size, QEMU_MADV_DONTNEED)) {
            error_setg_errno(errp, errno, "cannot drop the mapping of slot"
                             " %" PRIu32, m->slot);
            return false;
        }
    }
    if (slot >= 0 && !found) {
        error_setg(errp, "no lent slot %" PRId64, slot);
        return false;
    }
    return true;
}

/* Make lending and re-lending fail, as a lender with no page would. */
bool xen_lend_set_fail(XenLend *xl, bool fail, Error **errp)
{
    if (!xl->ops->set_fail) {
        error_setg(errp, "lend=%s cannot be made to fail; only"
                   " lend=emulated can", xen_lend_name(xl));
        return false;
    }
    xl->ops->set_fail(xl->backend, fail);
    return true;
}

static XenLendSlotState xen_lend_slot_state(XenLendState state)
{
    switch (state) {
    case XEN_LEND_LENT:
        return XEN_LEND_SLOT_STATE_LENT;
    case XEN_LEND_REVOKED:
        return XEN_LEND_SLOT_STATE_REVOKED;
    case XEN_LEND_TRAPPED:
        return XEN_LEND_SLOT_STATE_TRAPPED;
    default:
        return XEN_LEND_SLOT_STATE_UNLENT;
    }
}

XenLendStats *xen_lend_query_stats(XenLend *xl)
{
    XenLendStats *stats = g_memdup2(&xl->stats, sizeof(xl->stats));
    XenLendMapping *m;
    guint i;

    stats->mode = xl->ops->mode;
    stats->slots = 0;
    XEN_LEND_TABLE_FOREACH(&xl->table, m, i) {
        stats->slots += m->state != XEN_LEND_UNLENT;
    }
    return stats;
}

/* The slot table: one entry per range registered with the hypervisor. */
XenLendSlotList *xen_lend_query_slots(XenLend *xl)
{
    XenLendSlotList *list = NULL, **tail = &list;
    XenLendSlot *slot;
    XenLendMapping *m;
    guint i;

    XEN_LEND_TABLE_FOREACH(&xl->table, m, i) {
        if (m->state == XEN_LEND_UNLENT) {
            continue;
        }
        slot = g_new0(XenLendSlot, 1);
        slot->slot = m->slot;
        slot->gpa = m->gpa;
        slot->size = m->size;
        slot->offset = m->offset;
        slot->resource_id = m->resource_id;
        slot->state = xen_lend_slot_state(m->state);
        QAPI_LIST_APPEND(tail, slot);
    }
    return list;
}

XenLendInfoList *qmp_query_xen_lend(Error **errp)
{
    XenLendInfoList *list = NULL, **tail = &list;
    XenLendInfo *info;
    XenLend *xl;

    QTAILQ_FOREACH(xl, &xen_lends, next) {
        info = g_new0(XenLendInfo, 1);
        info->qom_path = object_get_canonical_path(xl->owner);
        info->stats = xen_lend_query_stats(xl);
        info->slots = xen_lend_query_slots(xl);
        QAPI_LIST_APPEND(tail, info);
    }
    return list;
}
