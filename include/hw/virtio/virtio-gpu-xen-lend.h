/*
 * virtio-gpu-xen-lend: virtio-gpu with Venus, virgl and 2D whose blob
 * resources are lent into the guest's hostmem window.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VIRTIO_GPU_XEN_LEND_H
#define HW_VIRTIO_GPU_XEN_LEND_H

#include "hw/virtio/virtio-gpu.h"
#include "hw/xen/xen-lend.h"
#include "qapi/qapi-types-common.h"
#include "qom/object.h"

#define TYPE_VIRTIO_GPU_XEN_LEND "virtio-gpu-xen-lend-device"
OBJECT_DECLARE_TYPE(VirtIOGPUXenLend, VirtIOGPUXenLendClass,
                    VIRTIO_GPU_XEN_LEND)

/*
 * What the device needs to know of a blob resource beyond upstream's
 * struct: how the guest created it, and where it is mapped.
 */
typedef struct VirtIOGPUXenLendBlob {
    struct virtio_gpu_virgl_resource *res;  /* res->mr: mapped per blob */
    uint32_t blob_mem;
    uint32_t blob_flags;
    bool gl_buffer;         /* a virgl context's: GL maps it, not mmap() */
    bool mapped;
    bool unlent;            /* while an unmap waits for res->mr to go */
    uint64_t offset;        /* in the hostmem window, while mapped */
    uint64_t map_size;      /* page-aligned length mapped at @offset */
} VirtIOGPUXenLendBlob;

struct VirtIOGPUXenLend {
    VirtIOGPUGL parent_obj;

    OnOffAuto virgl;
    char *render_node;
    XenLendMode lend_mode;
    XenLendFaultPolicy lend_fault_policy;
    XenLendMapMethod map_method;
    uint32_t max_mappings;

    /* resource id -> VirtIOGPUXenLendBlob */
    GHashTable *blobs;
    GHashTable *contexts;       /* the guest's context ids: capset ids */

    /*
     * One host mapping backs the whole hostmem window: blob memory is
     * mapped into it with MAP_FIXED and zero pages fill the rest, so a
     * map or unmap changes no MemoryRegion.
     */
    uint8_t *window;
    MemoryRegion window_mr;
    uint64_t region_maps;   /* blobs mapped per blob, by choice or need */

    /* Lends what is mapped in the window to the guest. */
    XenLend *lend;
};

struct VirtIOGPUXenLendClass {
    VirtIOGPUClass parent_class;

    DeviceRealize parent_realize;
    DeviceUnrealize parent_unrealize;
    void (*parent_reset)(VirtIODevice *vdev);
    void (*parent_resource_destroy)(VirtIOGPU *g,
                                    struct virtio_gpu_simple_resource *res,
                                    Error **errp);
    void (*parent_update_cursor_data)(VirtIOGPU *g,
                                      struct virtio_gpu_scanout *s,
                                      uint32_t resource_id);
};

#endif /* HW_VIRTIO_GPU_XEN_LEND_H */
