/*
 * query-xen-lend where no virtio-gpu-xen-lend device is built.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-xen-lend.h"

XenLendInfoList *qmp_query_xen_lend(Error **errp)
{
    error_setg(errp, "virtio-gpu-xen-lend is not in this QEMU");
    return NULL;
}
