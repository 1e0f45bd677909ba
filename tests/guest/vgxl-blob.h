/*
 * vgxl-blob.h: what vgxl-blob-stress and vgxl-bandwidth share: a Venus
 * context on the virtio-gpu render node and mappable host blobs in it,
 * through the virtio-gpu DRM uAPI alone (no Mesa), so that every blob
 * the programs touch is one they created and mapped themselves.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VGXL_BLOB_H
#define VGXL_BLOB_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <drm/drm.h>
#include <drm/virtgpu_drm.h>

#define VGXL_CAPSET_VENUS 4         /* VIRTIO_GPU_CAPSET_VENUS */

/*
 * The programs check and time memory accesses one by one, so each load and
 * store in their source must reach the mapping: none merged, none dropped.
 */
typedef volatile uint64_t VgxlWord;     /* volatile: see above */
typedef volatile uint32_t VgxlWord32;   /* volatile: see above */

typedef struct VgxlBlob {
    uint32_t handle;                /* GEM handle */
    uint32_t res_handle;            /* the host's resource id */
    uint64_t size;
    void *ptr;                      /* the mapping, or NULL */
} VgxlBlob;

static inline double vgxl_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int vgxl_getparam(int fd, uint64_t param, uint64_t *value)
{
    /* The kernel writes an int through this pointer, not a u64. */
    int v = 0;
    struct drm_virtgpu_getparam gp = {
        .param = param,
        .value = (uintptr_t)&v,
    };

    if (ioctl(fd, DRM_IOCTL_VIRTGPU_GETPARAM, &gp)) {
        return -errno;
    }
    *value = (unsigned int)v;
    return 0;
}

/*
 * Open @node, or with NULL the render node (card0 where there is none),
 * check that the device offers what the programs need, and turn the file's
 * context into a Venus one.  On failure, prints why after @prog and
 * returns -1.
 */
static inline int vgxl_open_venus_node(const char *prog, const char *node)
{
    static const struct {
        uint64_t param;
        const char *name;
    } need[] = {
        { VIRTGPU_PARAM_3D_FEATURES, "3D_FEATURES" },
        { VIRTGPU_PARAM_RESOURCE_BLOB, "RESOURCE_BLOB" },
        { VIRTGPU_PARAM_HOST_VISIBLE, "HOST_VISIBLE" },
        { VIRTGPU_PARAM_CONTEXT_INIT, "CONTEXT_INIT" },
    };
    struct drm_virtgpu_context_set_param params[] = {
        { VIRTGPU_CONTEXT_PARAM_CAPSET_ID, VGXL_CAPSET_VENUS },
    };
    struct drm_virtgpu_context_init init = {
        .num_params = 1,
        .ctx_set_params = (uintptr_t)params,
    };
    uint32_t caps[64] = { 0 };
    struct drm_virtgpu_get_caps gc = {
        .cap_set_id = VGXL_CAPSET_VENUS,
        .cap_set_ver = 0,
        .addr = (uintptr_t)caps,
        .size = sizeof(caps),
    };
    uint64_t v = 0;
    size_t i;
    int fd, ret;

    if (node) {
        fd = open(node, O_RDWR | O_CLOEXEC);
    } else {
        node = "/dev/dri/renderD128";
        fd = open(node, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            node = "/dev/dri/card0";
            fd = open(node, O_RDWR | O_CLOEXEC);
        }
    }
    if (fd < 0) {
        printf("%s: FAIL (cannot open %s: %s)\n", prog, node,
               strerror(errno));
        return -1;
    }
    for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        ret = vgxl_getparam(fd, need[i].param, &v);
        if (ret || !v) {
            printf("%s: FAIL (%s: VIRTGPU_PARAM_%s is %s)\n", prog, node,
                   need[i].name, ret ? strerror(-ret) : "0");
            close(fd);
            return -1;
        }
    }
    ret = vgxl_getparam(fd, VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs, &v);
    if (ret || !(v & (1u << VGXL_CAPSET_VENUS))) {
        printf("%s: FAIL (%s: no Venus capset: supported capset mask %s,"
               " 0x%" PRIx64 ")\n", prog, node, ret ? strerror(-ret) : "ok",
               ret ? 0 : v);
        close(fd);
        return -1;
    }
    if (ioctl(fd, DRM_IOCTL_VIRTGPU_GET_CAPS, &gc)) {
        printf("%s: FAIL (%s: GET_CAPS for the Venus capset: %s)\n", prog,
               node, strerror(errno));
        close(fd);
        return -1;
    }
    /*
     * The programs' blobs are blob_id 0 ones, which only exist where the
     * capset says so (supports_blob_id_0, the fifth word).
     */
    if (!caps[4]) {
        printf("%s: FAIL (%s: the Venus capset does not support blob_id 0"
               " blobs)\n", prog, node);
        close(fd);
        return -1;
    }
    if (ioctl(fd, DRM_IOCTL_VIRTGPU_CONTEXT_INIT, &init)) {
        printf("%s: FAIL (%s: CONTEXT_INIT with the Venus capset: %s)\n",
               prog, node, strerror(errno));
        close(fd);
        return -1;
    }
    printf("%s: %s, Venus context (wire format %u)\n", prog, node,
           caps[0]);
    return fd;
}

static inline int vgxl_open_venus(const char *prog)
{
    return vgxl_open_venus_node(prog, NULL);
}

/*
 * Create a HOST3D blob of @size with blob_id 0, which Venus backs with
 * fresh shared memory, and map it.  Returns 0, or -errno with @what
 * naming the step that failed.
 */
static inline int vgxl_blob_create(int fd, uint64_t size, VgxlBlob *b,
                                   const char **what)
{
    struct drm_virtgpu_resource_create_blob cb = {
        .blob_mem = VIRTGPU_BLOB_MEM_HOST3D,
        .blob_flags = VIRTGPU_BLOB_FLAG_USE_MAPPABLE,
        .size = size,
        .blob_id = 0,
    };
    struct drm_virtgpu_map map = { 0 };
    struct drm_gem_close gclose = { 0 };
    void *p;
    int ret;

    memset(b, 0, sizeof(*b));
    if (ioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &cb)) {
        *what = "DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB";
        return -errno;
    }
    map.handle = cb.bo_handle;
    if (ioctl(fd, DRM_IOCTL_VIRTGPU_MAP, &map)) {
        *what = "DRM_IOCTL_VIRTGPU_MAP";
        ret = -errno;
        goto fail;
    }
    /* This is where the kernel waits for the host's RESOURCE_MAP_BLOB. */
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, map.offset);
    if (p == MAP_FAILED) {
        *what = "mmap";
        ret = -errno;
        goto fail;
    }
    b->handle = cb.bo_handle;
    b->res_handle = cb.res_handle;
    b->size = size;
    b->ptr = p;
    return 0;

fail:
    gclose.handle = cb.bo_handle;
    ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gclose);
    return ret;
}

static inline int vgxl_blob_destroy(int fd, VgxlBlob *b, const char **what)
{
    struct drm_gem_close gclose = { .handle = b->handle };

    if (b->ptr && munmap(b->ptr, b->size)) {
        *what = "munmap";
        return -errno;
    }
    b->ptr = NULL;
    if (ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gclose)) {
        *what = "DRM_IOCTL_GEM_CLOSE";
        return -errno;
    }
    return 0;
}

#endif
