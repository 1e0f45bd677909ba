/*
 * Xen memory lending: the table of blob mappings in the hostmem window and
 * the state machine of their slots.  Plain data, no QEMU devices, so that
 * unit tests can build it on its own.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XEN_XEN_LEND_TABLE_H
#define HW_XEN_XEN_LEND_TABLE_H

typedef enum XenLendState {
    XEN_LEND_UNLENT,    /* mapped in the window, the window does not decode */
    XEN_LEND_LENT,      /* the guest reaches the memory directly */
    XEN_LEND_REVOKED,   /* the lender took it back: the next access faults */
    XEN_LEND_TRAPPED,   /* lending failed or is unavailable: emulated */
} XenLendState;

typedef enum XenLendEvent {
    XEN_LEND_EV_LEND_OK,
    XEN_LEND_EV_LEND_FAIL,
    XEN_LEND_EV_UNLEND,
    XEN_LEND_EV_REVOKE,
    XEN_LEND_EV_RELEND_OK,
    XEN_LEND_EV_RELEND_FAIL,
} XenLendEvent;

typedef struct XenLendMapping {
    uint32_t resource_id;
    uint64_t offset;        /* in the window */
    uint64_t size;
    void *host;             /* where QEMU reaches the memory */
    XenLendState state;
    uint32_t slot;          /* meaningful unless UNLENT */
    uint64_t gpa;           /* meaningful unless UNLENT */
    void *trap;             /* the core's trap region over it, if any */
} XenLendMapping;

typedef struct XenLendTable {
    uint64_t window_size;
    uint64_t page_size;
    GPtrArray *mappings;    /* sorted by offset, never overlapping */
    uint32_t next_slot;
} XenLendTable;

const char *xen_lend_state_name(XenLendState state);
bool xen_lend_transition(XenLendState from, XenLendEvent ev,
                         XenLendState *to);

void xen_lend_table_init(XenLendTable *t, uint64_t window_size,
                         uint64_t page_size);
void xen_lend_table_destroy(XenLendTable *t);
int xen_lend_table_check(XenLendTable *t, uint32_t resource_id,
                         uint64_t offset, uint64_t size);
int xen_lend_table_insert(XenLendTable *t, uint32_t resource_id,
                          uint64_t offset, uint64_t size,
                          XenLendMapping **mapping);
void xen_lend_table_remove(XenLendTable *t, XenLendMapping *m);
XenLendMapping *xen_lend_table_find(XenLendTable *t, uint32_t resource_id);
XenLendMapping *xen_lend_table_lookup(XenLendTable *t, uint64_t offset);
uint32_t xen_lend_table_new_slot(XenLendTable *t);

#define XEN_LEND_TABLE_FOREACH(t, m, i) \
    for ((i) = 0; (i) < (t)->mappings->len && \
         ((m) = g_ptr_array_index((t)->mappings, (i))); (i)++)

#endif /* HW_XEN_XEN_LEND_TABLE_H */
