/*
 * Unit tests of the Xen memory lending table: bounds, overlap, lookup,
 * slot ids and the slot state machine.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xen/xen-lend-table.h"

#define PAGE 4096
#define WINDOW (64 * PAGE)

static void test_insert_bounds(void)
{
    XenLendTable t;

    xen_lend_table_init(&t, WINDOW, PAGE);
    g_assert_cmpint(xen_lend_table_insert(&t, 1, 0, 0, NULL), ==, -EINVAL);
    g_assert_cmpint(xen_lend_table_insert(&t, 1, PAGE / 2, PAGE, NULL), ==,
                    -EINVAL);
    g_assert_cmpint(xen_lend_table_insert(&t, 1, 0, PAGE + 1, NULL), ==,
                    -EINVAL);
    g_assert_cmpint(xen_lend_table_insert(&t, 1, WINDOW, PAGE, NULL), ==,
                    -EINVAL);
    g_assert_cmpint(xen_lend_table_insert(&t, 1, WINDOW - PAGE, 2 * PAGE,
                                          NULL), ==, -EINVAL);
    /* offset + size wraps around 2^64 */
    g_assert_cmpint(xen_lend_table_insert(&t, 1, PAGE, UINT64_MAX - PAGE + 1,
                                          NULL), ==, -EINVAL);
    g_assert_cmpuint(t.mappings->len, ==, 0);

    g_assert_cmpint(xen_lend_table_insert(&t, 1, WINDOW - PAGE, PAGE, NULL),
                    ==, 0);
    g_assert_cmpint(xen_lend_table_insert(&t, 2, 0, WINDOW - PAGE, NULL),
                    ==, 0);
    g_assert_cmpuint(t.mappings->len, ==, 2);
    xen_lend_table_destroy(&t);
}

static void test_overlap(void)
{
    XenLendTable t;
    XenLendMapping *m;
    guint i;
    uint64_t end = 0;

    xen_lend_table_init(&t, WINDOW, PAGE);
    g_assert_cmpint(xen_lend_table_insert(&t, 1, 8 * PAGE, 4 * PAGE, NULL),
                    ==, 0);
    /* the same resource twice, wherever */
    g_assert_cmpint(xen_lend_table_insert(&t, 1, 32 * PAGE, PAGE, NULL), ==,
                    -EEXIST);
    /* overlaps from below, from above, inside, around */
    g_assert_cmpint(xen_lend_table_insert(&t, 2, 7 * PAGE, 2 * PAGE, NULL),
                    ==, -EBUSY);
    g_assert_cmpint(xen_lend_table_insert(&t, 2, 11 * PAGE, 2 * PAGE, NULL),
                    ==, -EBUSY);
    g_assert_cmpint(xen_lend_table_insert(&t, 2, 9 * PAGE, PAGE, NULL), ==,
                    -EBUSY);
    g_assert_cmpint(xen_lend_table_insert(&t, 2, 0, 32 * PAGE, NULL), ==,
                    -EBUSY);
    /* adjacent on both sides is fine */
    g_assert_cmpint(xen_lend_table_insert(&t, 2, 7 * PAGE, PAGE, NULL), ==, 0);
    g_assert_cmpint(xen_lend_table_insert(&t, 3, 12 * PAGE, PAGE, NULL), ==,
                    0);
    g_assert_cmpint(xen_lend_table_insert(&t, 4, 0, PAGE, NULL), ==, 0);

    /* kept sorted and disjoint */
    XEN_LEND_TABLE_FOREACH(&t, m, i) {
        g_assert_cmpuint(m->offset, >=, end);
        end = m->offset + m->size;
    }
    g_assert_cmpuint(t.mappings->len, ==, 4);

    /* a freed range can be reused */
    xen_lend_table_remove(&t, xen_lend_table_find(&t, 1));
    g_assert_null(xen_lend_table_find(&t, 1));
    g_assert_cmpint(xen_lend_table_insert(&t, 5, 8 * PAGE, 4 * PAGE, NULL),
                    ==, 0);
    xen_lend_table_destroy(&t);
}

static void test_lookup(void)
{
    XenLendTable t;
    XenLendMapping *a, *b;

    xen_lend_table_init(&t, WINDOW, PAGE);
    g_assert_cmpint(xen_lend_table_insert(&t, 1, 4 * PAGE, 2 * PAGE, &a), ==,
                    0);
    g_assert_cmpint(xen_lend_table_insert(&t, 2, PAGE, PAGE, &b), ==, 0);
    g_assert_null(xen_lend_table_lookup(&t, 0));
    g_assert_true(xen_lend_table_lookup(&t, PAGE) == b);
    g_assert_true(xen_lend_table_lookup(&t, 2 * PAGE - 1) == b);
    g_assert_null(xen_lend_table_lookup(&t, 2 * PAGE));
    g_assert_true(xen_lend_table_lookup(&t, 4 * PAGE) == a);
    g_assert_true(xen_lend_table_lookup(&t, 6 * PAGE - 1) == a);
    g_assert_null(xen_lend_table_lookup(&t, 6 * PAGE));
    g_assert_true(xen_lend_table_find(&t, 2) == b);
    g_assert_null(xen_lend_table_find(&t, 3));
    xen_lend_table_destroy(&t);
}

static void test_slot_ids(void)
{
    XenLendTable t;
    XenLendMapping *a, *b;

    xen_lend_table_init(&t, WINDOW, PAGE);
    g_assert_cmpint(xen_lend_table_insert(&t, 1, 0, PAGE, &a), ==, 0);
    g_assert_cmpint(xen_lend_table_insert(&t, 2, PAGE, PAGE, &b), ==, 0);
    a->slot = xen_lend_table_new_slot(&t);
    a->state = XEN_LEND_LENT;
    b->slot = xen_lend_table_new_slot(&t);
    b->state = XEN_LEND_LENT;
    g_assert_cmpuint(a->slot, !=, b->slot);

    /* after wrapping, an id still held is skipped */
    t.next_slot = a->slot;
    g_assert_cmpuint(xen_lend_table_new_slot(&t), !=, a->slot);
    xen_lend_table_destroy(&t);
}

static void test_state_machine(void)
{
    static const struct {
        XenLendState from;
        XenLendEvent ev;
        bool ok;
        XenLendState to;
    } cases[] = {
        { XEN_LEND_UNLENT, XEN_LEND_EV_LEND_OK, true, XEN_LEND_LENT },
        { XEN_LEND_UNLENT, XEN_LEND_EV_LEND_FAIL, true, XEN_LEND_TRAPPED },
        { XEN_LEND_UNLENT, XEN_LEND_EV_UNLEND, false },
        { XEN_LEND_UNLENT, XEN_LEND_EV_REVOKE, false },
        { XEN_LEND_LENT, XEN_LEND_EV_LEND_OK, false },
        { XEN_LEND_LENT, XEN_LEND_EV_REVOKE, true, XEN_LEND_REVOKED },
        { XEN_LEND_LENT, XEN_LEND_EV_UNLEND, true, XEN_LEND_UNLENT },
        { XEN_LEND_LENT, XEN_LEND_EV_RELEND_OK, false },
        { XEN_LEND_REVOKED, XEN_LEND_EV_RELEND_OK, true, XEN_LEND_LENT },
        { XEN_LEND_REVOKED, XEN_LEND_EV_RELEND_FAIL, true, XEN_LEND_REVOKED },
        { XEN_LEND_REVOKED, XEN_LEND_EV_REVOKE, false },
        { XEN_LEND_REVOKED, XEN_LEND_EV_UNLEND, true, XEN_LEND_UNLENT },
        { XEN_LEND_TRAPPED, XEN_LEND_EV_REVOKE, false },
        { XEN_LEND_TRAPPED, XEN_LEND_EV_RELEND_OK, false },
        { XEN_LEND_TRAPPED, XEN_LEND_EV_UNLEND, true, XEN_LEND_UNLENT },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        XenLendState to = XEN_LEND_UNLENT;
        bool ok = xen_lend_transition(cases[i].from, cases[i].ev, &to);

        g_test_message("%s on %d", xen_lend_state_name(cases[i].from),
                       cases[i].ev);
        g_assert_cmpint(ok, ==, cases[i].ok);
        if (ok) {
            g_assert_cmpint(to, ==, cases[i].to);
        }
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/xen-lend/table/bounds", test_insert_bounds);
    g_test_add_func("/xen-lend/table/overlap", test_overlap);
    g_test_add_func("/xen-lend/table/lookup", test_lookup);
    g_test_add_func("/xen-lend/table/slot-ids", test_slot_ids);
    g_test_add_func("/xen-lend/state-machine", test_state_machine);
    return g_test_run();
}
