/*
 * Xen memory lending: the table of blob mappings in the hostmem window and
 * the state machine of their slots.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/range.h"
#include "hw/xen/xen-lend-table.h"

const char *xen_lend_state_name(XenLendState state)
{
    static const char *const names[] = {
        [XEN_LEND_UNLENT] = "unlent",
        [XEN_LEND_LENT] = "lent",
        [XEN_LEND_REVOKED] = "revoked",
        [XEN_LEND_TRAPPED] = "trapped",
    };

    return state < ARRAY_SIZE(names) ? names[state] : "invalid";
}

/*
 * Returns false for an event that cannot happen in @from: the caller has
 * a bug, and the state stays as it is.
 */
bool xen_lend_transition(XenLendState from, XenLendEvent ev,
                         XenLendState *to)
{
    XenLendState next = from;

    switch (ev) {
    case XEN_LEND_EV_LEND_OK:
    case XEN_LEND_EV_LEND_FAIL:
        if (from != XEN_LEND_UNLENT) {
            return false;
        }
        next = ev == XEN_LEND_EV_LEND_OK ? XEN_LEND_LENT : XEN_LEND_TRAPPED;
        break;
    case XEN_LEND_EV_UNLEND:
        if (from == XEN_LEND_UNLENT) {
            return false;
        }
        next = XEN_LEND_UNLENT;
        break;
    case XEN_LEND_EV_REVOKE:
        if (from != XEN_LEND_LENT) {
            return false;
        }
        next = XEN_LEND_REVOKED;
        break;
    case XEN_LEND_EV_RELEND_OK:
    case XEN_LEND_EV_RELEND_FAIL:
        if (from != XEN_LEND_REVOKED) {
            return false;
        }
        next = ev == XEN_LEND_EV_RELEND_OK ? XEN_LEND_LENT : XEN_LEND_REVOKED;
        break;
    default:
        return false;
    }
    *to = next;
    return true;
}

void xen_lend_table_init(XenLendTable *t, uint64_t window_size,
                         uint64_t page_size)
{
    t->window_size = window_size;
    t->page_size = page_size;
    t->mappings = g_ptr_array_new_with_free_func(g_free);
    t->next_slot = 0;
}

void xen_lend_table_destroy(XenLendTable *t)
{
    g_clear_pointer(&t->mappings, g_ptr_array_unref);
}

static guint xen_lend_table_index(XenLendTable *t, uint64_t offset)
{
    guint lo = 0, hi = t->mappings->len;

    /* First mapping that starts at or after @offset. */
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        XenLendMapping *m = g_ptr_array_index(t->mappings, mid);

        if (m->offset < offset) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/*
 * 0 if @resource_id may be mapped at [offset, offset + size); -EINVAL for
 * a range that is empty, unaligned or not inside the window, -EEXIST for
 * a resource that is already mapped, -EBUSY for a range that overlaps a
 * mapping.
 */
int xen_lend_table_check(XenLendTable *t, uint32_t resource_id,
                         uint64_t offset, uint64_t size)
{
    XenLendMapping *m;
    guint i;

    if (!size || !QEMU_IS_ALIGNED(offset | size, t->page_size) ||
        offset >= t->window_size || size > t->window_size - offset) {
        return -EINVAL;
    }
    if (xen_lend_table_find(t, resource_id)) {
        return -EEXIST;
    }
    i = xen_lend_table_index(t, offset);
    if (i < t->mappings->len) {
        m = g_ptr_array_index(t->mappings, i);
        if (ranges_overlap(m->offset, m->size, offset, size)) {
            return -EBUSY;
        }
    }
    if (i > 0) {
        m = g_ptr_array_index(t->mappings, i - 1);
        if (ranges_overlap(m->offset, m->size, offset, size)) {
            return -EBUSY;
        }
    }
    return 0;
}

/* Add a mapping, in state UNLENT; fails as xen_lend_table_check() does. */
int xen_lend_table_insert(XenLendTable *t, uint32_t resource_id,
                          uint64_t offset, uint64_t size,
                          XenLendMapping **mapping)
{
    XenLendMapping *m;
    int ret = xen_lend_table_check(t, resource_id, offset, size);

    if (ret) {
        return ret;
    }
    m = g_new0(XenLendMapping, 1);
    m->resource_id = resource_id;
    m->offset = offset;
    m->size = size;
    m->state = XEN_LEND_UNLENT;
    g_ptr_array_insert(t->mappings, xen_lend_table_index(t, offset), m);
    if (mapping) {
        *mapping = m;
    }
    return 0;
}

void xen_lend_table_remove(XenLendTable *t, XenLendMapping *m)
{
    g_ptr_array_remove(t->mappings, m);
}

XenLendMapping *xen_lend_table_find(XenLendTable *t, uint32_t resource_id)
{
    XenLendMapping *m;
    guint i;

    XEN_LEND_TABLE_FOREACH(t, m, i) {
        if (m->resource_id == resource_id) {
            return m;
        }
    }
    return NULL;
}

/* The mapping that covers @offset, if any. */
XenLendMapping *xen_lend_table_lookup(XenLendTable *t, uint64_t offset)
{
    guint i = xen_lend_table_index(t, offset + 1);
    XenLendMapping *m;

    if (i == 0) {
        return NULL;
    }
    m = g_ptr_array_index(t->mappings, i - 1);
    return offset - m->offset < m->size ? m : NULL;
}

/* A slot id that no mapping of the table holds. */
uint32_t xen_lend_table_new_slot(XenLendTable *t)
{
    XenLendMapping *m;
    uint32_t slot;
    guint i;
    bool used;

    do {
        slot = t->next_slot++;
        used = false;
        XEN_LEND_TABLE_FOREACH(t, m, i) {
            if (m->state != XEN_LEND_UNLENT && m->slot == slot) {
                used = true;
                break;
            }
        }
    } while (used);
    return slot;
}
