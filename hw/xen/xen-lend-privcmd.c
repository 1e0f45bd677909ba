/*
 * Xen memory lending through privcmd: the userspace ABI specified in
 * docs/interop/xen-memory-lending.rst (include/hw/xen/privcmd-lend.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>

#include "qapi/error.h"
#include "hw/xen/xen.h"
#include "hw/xen/privcmd-lend.h"
#include "xen-lend-ops.h"
#include "trace.h"

typedef struct XenLendPrivcmd {
    int fd;                     /* bound to the guest's domain */
    XenLendFaultPolicy policy;
} XenLendPrivcmd;

static bool xen_lend_privcmd_unsupported(int err)
{
    return err == ENOTTY || err == EOPNOTSUPP || err == ENOSYS;
}

static void *xen_lend_privcmd_init(XenLendFaultPolicy policy, Error **errp)
{
    struct privcmd_lend_query query = { 0 };
    uint16_t domid = xen_domid;
    XenLendPrivcmd *p;
    int fd;

    fd = open(PRIVCMD_LEND_PATH, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        error_setg_errno(errp, errno, "lend=privcmd: dom0's kernel has no"
                         " memory lending: cannot open " PRIVCMD_LEND_PATH);
        error_append_hint(errp, "Load the xen_lend module of"
                          " contrib/xen-lend/linux; it needs a Xen with"
                          " XENMEM_lend (contrib/xen-lend/xen).  Use"
                          " lend=trap meanwhile.\n");
        return NULL;
    }
    /* Scope the fd to the guest, as a KVM VM fd is. */
    if (ioctl(fd, IOCTL_PRIVCMD_LEND_RESTRICT, &domid) < 0) {
        error_setg_errno(errp, errno, "lend=privcmd: cannot bind "
                         PRIVCMD_LEND_PATH " to domain %u", domid);
        goto fail;
    }
    if (ioctl(fd, IOCTL_PRIVCMD_LEND_QUERY, &query) < 0) {
        if (xen_lend_privcmd_unsupported(errno)) {
            error_setg(errp, "lend=privcmd: dom0's kernel has no memory"
                       " lending (IOCTL_PRIVCMD_LEND_QUERY: %s)",
                       strerror(errno));
            error_append_hint(errp, "It needs a kernel with the Xen memory"
                              " lending ABI (docs/interop/"
                              "xen-memory-lending.rst); use lend=trap"
                              " meanwhile.\n");
        } else {
            error_setg_errno(errp, errno, "lend=privcmd: lending query"
                             " failed");
        }
        goto fail;
    }
    if (query.abi_version != PRIVCMD_LEND_ABI_VERSION) {
        error_setg(errp, "lend=privcmd: the kernel speaks lending ABI"
                   " version %u, QEMU speaks %u", query.abi_version,
                   PRIVCMD_LEND_ABI_VERSION);
        goto fail;
    }
    if (!(query.flags & PRIVCMD_LEND_FAULT_ZERO) ||
        !(query.flags & PRIVCMD_LEND_FAULT_INJECT)) {
        error_setg(errp, "lend=privcmd: the kernel lacks the fault policies"
                   " (flags 0x%x)", query.flags);
        goto fail;
    }
    trace_xen_lend_privcmd_open(domid, query.abi_version, query.max_slots);
    p = g_new0(XenLendPrivcmd, 1);
    p->fd = fd;
    p->policy = policy;
    return p;

fail:
    close(fd);
    return NULL;
}

static void xen_lend_privcmd_cleanup(void *backend)
{
    XenLendPrivcmd *p = backend;

    /* Closing the fd removes every slot it still holds. */
    close(p->fd);
    g_free(p);
}

static int xen_lend_privcmd_region(XenLendPrivcmd *p, uint32_t slot,
                                   hwaddr gpa, uint64_t size, void *host)
{
    struct privcmd_lend_region region = {
        .slot = slot,
        .flags = p->policy == XEN_LEND_FAULT_POLICY_INJECT ?
                 PRIVCMD_LEND_FAULT_INJECT : PRIVCMD_LEND_FAULT_ZERO,
        .guest_phys_addr = gpa,
        .size = size,
        .userspace_addr = (uintptr_t)host,
    };

    return ioctl(p->fd, IOCTL_PRIVCMD_LEND_REGION, &region) < 0 ? -errno : 0;
}

static int xen_lend_privcmd_lend(void *backend, uint32_t slot, hwaddr gpa,
                                 uint64_t size, void *host)
{
    return xen_lend_privcmd_region(backend, slot, gpa, size, host);
}

static int xen_lend_privcmd_unlend(void *backend, uint32_t slot)
{
    return xen_lend_privcmd_region(backend, slot, 0, 0, NULL);
}

const XenLendOps xen_lend_privcmd_ops = {
    .mode = XEN_LEND_MODE_PRIVCMD,
    .init = xen_lend_privcmd_init,
    .cleanup = xen_lend_privcmd_cleanup,
    .lend = xen_lend_privcmd_lend,
    .unlend = xen_lend_privcmd_unlend,
    .revokes_unseen = true,
};
