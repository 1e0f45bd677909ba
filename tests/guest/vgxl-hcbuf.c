/*
 * vgxl-hcbuf: lent memory is never a hypercall argument.  Run in a Xen
 * HVM guest: asks Xen for its extra version string (XENVER_extraversion,
 * through the guest's own /dev/xen/privcmd) once into a buffer in guest
 * RAM, which must work, and once into a buffer in a mapped Venus blob,
 * which Xen must refuse with EFAULT instead of writing to the lender's
 * memory.  The blob must still hold the bytes the guest wrote.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vgxl-blob.h"

/* Linux's privcmd uAPI (include/uapi/xen/privcmd.h) */
struct vgxl_privcmd_hypercall {
    uint64_t op;
    uint64_t arg[5];
};
#define VGXL_IOCTL_PRIVCMD_HYPERCALL \
    _IOC(_IOC_NONE, 'P', 0, sizeof(struct vgxl_privcmd_hypercall))

#define HYPERVISOR_XEN_VERSION 17   /* __HYPERVISOR_xen_version */
#define XENVER_EXTRAVERSION 1       /* fills a char[16] */
#define EXTRAVERSION_LEN 16
#define MARK 0x5a

static int xen_extraversion(int privcmd, void *buf)
{
    struct vgxl_privcmd_hypercall call = {
        .op = HYPERVISOR_XEN_VERSION,
        .arg = { XENVER_EXTRAVERSION, (uintptr_t)buf },
    };
    int ret = ioctl(privcmd, VGXL_IOCTL_PRIVCMD_HYPERCALL, &call);

    return ret < 0 ? -errno : ret;
}

int main(void)
{
    char ram[EXTRAVERSION_LEN] = { 0 };
    volatile uint8_t *bytes;    /* volatile: each byte must reach the blob */
    const char *what = "";
    int fd, privcmd, ret, i;
    VgxlBlob blob;

    fd = vgxl_open_venus("vgxl-hcbuf");
    if (fd < 0) {
        return 1;
    }
    privcmd = open("/dev/xen/privcmd", O_RDWR);
    if (privcmd < 0) {
        printf("vgxl-hcbuf: /dev/xen/privcmd: %s\n", strerror(errno));
        return 1;
    }
    ret = xen_extraversion(privcmd, ram);
    if (ret) {
        printf("vgxl-hcbuf: FAIL: into guest RAM: %s\n", strerror(-ret));
        return 1;
    }
    printf("vgxl-hcbuf: into guest RAM: ok, Xen extra version '%.16s'\n",
           ram);

    ret = vgxl_blob_create(fd, 4096, &blob, &what);
    if (ret) {
        printf("vgxl-hcbuf: %s: %s\n", what, strerror(-ret));
        return 1;
    }
    bytes = blob.ptr;
    for (i = 0; i < EXTRAVERSION_LEN; i++) {
        bytes[i] = MARK;
    }
    ret = xen_extraversion(privcmd, blob.ptr);
    for (i = 0; i < EXTRAVERSION_LEN && bytes[i] == MARK; i++) {
        continue;
    }
    if (ret != -EFAULT || i != EXTRAVERSION_LEN) {
        printf("vgxl-hcbuf: FAIL: into a mapped blob: %s, %d of %d bytes"
               " intact (expected EFAULT and all)\n",
               ret ? strerror(-ret) : "success", i, EXTRAVERSION_LEN);
        return 1;
    }
    printf("vgxl-hcbuf: into a mapped blob: EFAULT, blob intact\n");
    return vgxl_blob_destroy(fd, &blob, &what) ? 1 : 0;
}
