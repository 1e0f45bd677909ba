/*
 * virtio-gpu-xen-lend: virtio-gpu with Venus, virgl and 2D whose blob
 * resources are mapped into the guest's hostmem window.
 *
 * The device is virtio-gpu-gl with three differences: Venus runs without
 * a GL display (virgl off), 2D resources then go to the plain virtio-gpu
 * 2D code, and blob mapping goes through one host mapping of the whole
 * hostmem window with every guest request checked first.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/iov.h"
#include "qemu/log.h"
#include "qemu/mmap-alloc.h"
#include "qemu/drm.h"
#include "qemu/module.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "system/system.h"
#include "ui/console.h"
#include "hw/qdev-properties.h"
#include "hw/core/qdev-prop-internal.h"
#include "qapi/qapi-visit-xen-lend.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-gpu.h"
#include "hw/virtio/virtio-gpu-bswap.h"
#include "hw/virtio/virtio-gpu-pixman.h"
#include "hw/virtio/virtio-gpu-xen-lend.h"
#include "trace.h"

/* At two areas a blob, half of Linux's default vm.max_map_count. */
#define VIRTIO_GPU_XEN_LEND_MAX_MAPPINGS 16384

#include <dlfcn.h>
#include <sys/mman.h>
#include <virglrenderer.h>
#include <epoxy/egl.h>

/* The context table's capset of a context that cannot render. */
#define INERT_CONTEXT 0

/* The capset a context asks for with context_init. */
#define CAPSET_ID(ctx_flags) \
    ((ctx_flags) & VIRTIO_GPU_CONTEXT_INIT_CAPSET_ID_MASK)

static bool virtio_gpu_xen_lend_virgl_on(VirtIOGPU *g)
{
    return !virtio_gpu_no_virgl(g->parent_obj.conf);
}

/* Whether the console shows what virgl renders itself, with GL. */
static bool virtio_gpu_xen_lend_gl_console(VirtIOGPU *g)
{
    return virtio_gpu_xen_lend_virgl_on(g) &&
           !virtio_gpu_own_egl(g->parent_obj.conf);
}

/*
 * Put fresh zero pages over [offset, offset + size) of the window.  The
 * host address stays the same, so neither the memory map nor an
 * accelerator's view of it needs to change.
 */
static int virtio_gpu_xen_lend_zero_window(VirtIOGPUXenLend *xl,
                                           uint64_t offset, uint64_t size)
{
    void *p = mmap(xl->window + offset, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
                   -1, 0);

    return p == MAP_FAILED ? -errno : 0;
}

/*
 * A second mapping of the pages virglrenderer maps, at @addr: an
 * mremap() of size 0 duplicates a shared mapping.  For blobs whose fd is
 * not theirs alone to mmap (an OPAQUE fd may hold a header first).
 */
static int virtio_gpu_xen_lend_dup_mapping(uint32_t resource_id, void *addr,
                                           uint64_t size)
{
    uint64_t mapped_size;
    void *data, *p;
    int ret;

    ret = virgl_renderer_resource_map(resource_id, &data, &mapped_size);
    if (ret) {
        return ret;
    }
    if (mapped_size < size) {
        ret = -ERANGE;
    } else {
        p = mremap(data, 0, size, MREMAP_MAYMOVE | MREMAP_FIXED, addr);
        ret = p == MAP_FAILED ? -errno : 0;
    }
    /* The duplicate keeps the pages; virglrenderer's mapping may go. */
    virgl_renderer_resource_unmap(resource_id);
    return ret;
}

/* The fast way: blob memory mapped into the window's own host mapping. */
static int virtio_gpu_xen_lend_map_window(VirtIOGPUXenLend *xl,
                                          uint32_t resource_id,
                                          uint64_t offset, uint64_t size,
                                          void **host)
{
    uint8_t *addr = xl->window + offset;
    uint32_t fd_type;
    void *p;
    int fd, ret;

    ret = virgl_renderer_resource_export_blob(resource_id, &fd_type, &fd);
    if (ret) {
        return ret;
    }
    /* Only these fds hold the blob and nothing else from offset 0. */
    if (fd_type == VIRGL_RENDERER_BLOB_FD_TYPE_SHM ||
        fd_type == VIRGL_RENDERER_BLOB_FD_TYPE_DMABUF) {
        p = mmap(addr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                 fd, 0);
        ret = p == MAP_FAILED ? -errno : 0;
    } else {
        ret = virtio_gpu_xen_lend_dup_mapping(resource_id, addr, size);
    }
    close(fd);
    if (ret) {
        /* MAP_FIXED may have dropped what was there: restore the hole. */
        virtio_gpu_xen_lend_zero_window(xl, offset, size);
        return ret;
    }
    *host = addr;
    trace_virtio_gpu_xen_lend_map(resource_id, offset, size, fd_type);
    return 0;
}

static VirtIOGPUXenLendBlob *
virtio_gpu_xen_lend_find_blob(VirtIOGPUXenLend *xl, uint32_t resource_id)
{
    return g_hash_table_lookup(xl->blobs, GUINT_TO_POINTER(resource_id));
}

/*
 * The lending core's XenLendMapFn: map a blob the core checked, into the
 * window, else the upstream way, in a region of its own over
 * virglrenderer's mapping (which maps as much as the core checked).
 */
static int virtio_gpu_xen_lend_map_memory(void *opaque, uint32_t resource_id,
                                          uint64_t offset, uint64_t size,
                                          void **host)
{
    VirtIOGPUXenLend *xl = opaque;
    VirtIOGPUXenLendBlob *blob = virtio_gpu_xen_lend_find_blob(xl,
                                                               resource_id);
    int ret = -ENOENT;

    if (xl->map_method == XEN_LEND_MAP_METHOD_WINDOW) {
        ret = virtio_gpu_xen_lend_map_window(xl, resource_id, offset, size,
                                             host);
    }
    if (ret) {
        ret = virtio_gpu_virgl_map_resource_blob(VIRTIO_GPU(xl), blob->res,
                                                 offset);
        if (ret) {
            return ret;
        }
        *host = memory_region_get_ram_ptr(blob->res->mr);
        xl->region_maps++;
        trace_virtio_gpu_xen_lend_map_region(resource_id, offset, size);
    }
    blob->mapped = true;
    blob->offset = offset;
    blob->map_size = size;
    return 0;
}

/* The map_blob hook: the blob is lent where the guest maps it. */
static int virtio_gpu_xen_lend_map_blob(VirtIOGPU *g,
                                        struct virtio_gpu_virgl_resource *res,
                                        uint64_t offset)
{
    VirtIOGPUXenLend *xl = VIRTIO_GPU_XEN_LEND(g);
    Error *err = NULL;
    int ret;

    ret = xen_lend_map(xl->lend, res->base.resource_id, offset,
                       QEMU_ALIGN_UP(res->base.blob_size,
                                     qemu_real_host_page_size()),
                       virtio_gpu_xen_lend_map_memory, xl, &err);
    if (ret) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %s\n", __func__,
                      error_get_pretty(err));
        error_free(err);
    }
    return ret;
}

/* The guest must lose the blob before its pages go back. */
static void virtio_gpu_xen_lend_unlend(VirtIOGPUXenLend *xl,
                                       VirtIOGPUXenLendBlob *blob)
{
    if (!blob->unlent) {
        trace_virtio_gpu_xen_lend_unmap(blob->res->base.resource_id,
                                        blob->offset, blob->map_size);
        xen_lend_unmap(xl->lend, blob->res->base.resource_id);
        blob->unlent = true;
    }
}

/* Put zero pages back where the window mapped @blob. */
static void virtio_gpu_xen_lend_unmap_window(VirtIOGPUXenLend *xl,
                                             VirtIOGPUXenLendBlob *blob)
{
    int ret = virtio_gpu_xen_lend_zero_window(xl, blob->offset,
                                              blob->map_size);

    if (ret) {
        /* Never leave the guest a window onto freed memory. */
        error_report("virtio-gpu-xen-lend: cannot unmap blob %" PRIu32 ": %s",
                     blob->res->base.resource_id, strerror(-ret));
        abort();
    }
}

/*
 * The unmap_blob hook, for UNMAP_BLOB and UNREF.  A per-blob region is
 * upstream's to unmap, which suspends the command until no reader is
 * left; the command then runs again.
 */
static int virtio_gpu_xen_lend_unmap_blob(VirtIOGPU *g,
                                          struct virtio_gpu_virgl_resource *res,
                                          bool *cmd_suspended)
{
    VirtIOGPUXenLend *xl = VIRTIO_GPU_XEN_LEND(g);
    VirtIOGPUXenLendBlob *blob;
    int ret = 0;

    blob = virtio_gpu_xen_lend_find_blob(xl, res->base.resource_id);
    if (!blob || !blob->mapped) {
        return 0;
    }
    virtio_gpu_xen_lend_unlend(xl, blob);
    if (res->mr) {
        ret = virtio_gpu_virgl_unmap_resource_blob(g, res, cmd_suspended);
        if (*cmd_suspended) {
            return 0;
        }
    } else {
        virtio_gpu_xen_lend_unmap_window(xl, blob);
    }
    blob->mapped = false;
    blob->unlent = false;
    return ret;
}

/* virglrenderer does not unmap what a reset destroys: unmap it here. */
static void virtio_gpu_xen_lend_munmap(void *data, uint64_t size)
{
    munmap(data, size);
}

/* A reset unmaps every blob at once: nothing may wait for readers. */
static void virtio_gpu_xen_lend_drop_blob(VirtIOGPUXenLend *xl,
                                          VirtIOGPUXenLendBlob *blob)
{
    if (!blob->mapped) {
        return;
    }
    virtio_gpu_xen_lend_unlend(xl, blob);
    if (blob->res->mr) {
        /* A GL buffer's map goes with the buffer. */
        virtio_gpu_virgl_drop_resource_blob(VIRTIO_GPU(xl), blob->res,
                                            blob->gl_buffer ? NULL :
                                            virtio_gpu_xen_lend_munmap);
    } else {
        virtio_gpu_xen_lend_unmap_window(xl, blob);
    }
    blob->mapped = false;
    blob->unlent = false;
}

/*
 * What upstream leaves to virglrenderer, or does not check, for
 * RESOURCE_MAP_BLOB and RESOURCE_UNMAP_BLOB.
 */
static void virtio_gpu_xen_lend_check_map(VirtIOGPU *g,
                                          struct virtio_gpu_ctrl_command *cmd)
{
    VirtIOGPUXenLend *xl = VIRTIO_GPU_XEN_LEND(g);
    struct virtio_gpu_resource_map_blob mblob;
    VirtIOGPUXenLendBlob *blob;

    /* UNMAP_BLOB's request is MAP_BLOB's without the offset. */
    if (iov_to_buf(cmd->elem.out_sg, cmd->elem.out_num, 0, &mblob,
                   sizeof(struct virtio_gpu_resource_unmap_blob)) !=
        sizeof(struct virtio_gpu_resource_unmap_blob)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: short request\n", __func__);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        return;
    }
    mblob.resource_id = le32_to_cpu(mblob.resource_id);
    blob = virtio_gpu_xen_lend_find_blob(xl, mblob.resource_id);
    if (!blob) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: no blob resource %" PRIu32 "\n",
                      __func__, mblob.resource_id);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
    } else if (cmd->cmd_hdr.type == VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB) {
        if (!blob->mapped) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: blob %" PRIu32 " is not"
                          " mapped\n", __func__, mblob.resource_id);
            cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        }
    } else if (blob->blob_mem == VIRTIO_GPU_BLOB_MEM_GUEST ||
               !(blob->blob_flags & VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: blob %" PRIu32
                      " was not created mappable\n", __func__,
                      mblob.resource_id);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
    } else if (blob->mapped) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: blob %" PRIu32
                      " is already mapped at 0x%" PRIx64 "\n", __func__,
                      mblob.resource_id, blob->offset);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
    }
}

/*
 * The command's context exists.  virglrenderer ignores commands for
 * contexts it does not know, so the guest would never learn of its bug.
 */
static bool virtio_gpu_xen_lend_check_ctx(VirtIOGPU *g,
                                          struct virtio_gpu_ctrl_command *cmd)
{
    VirtIOGPUXenLend *xl = VIRTIO_GPU_XEN_LEND(g);

    if (!g_hash_table_contains(xl->contexts,
                               GUINT_TO_POINTER(cmd->cmd_hdr.ctx_id))) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: command 0x%" PRIx32 " for"
                      " context %" PRIu32 ", which does not exist\n",
                      __func__, cmd->cmd_hdr.type, cmd->cmd_hdr.ctx_id);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID;
        return false;
    }
    return true;
}

static bool virtio_gpu_xen_lend_check_resource(VirtIOGPU *g,
                                        struct virtio_gpu_ctrl_command *cmd,
                                        uint32_t resource_id)
{
    if (!virtio_gpu_find_resource(g, resource_id)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: command 0x%" PRIx32 " for"
                      " resource %" PRIu32 ", which does not exist\n",
                      __func__, cmd->cmd_hdr.type, resource_id);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
        return false;
    }
    return true;
}

/*
 * The ids of the commands that virglrenderer takes without checking them:
 * those of an existing context and resource; and no submission to an
 * inert context.
 */
static void virtio_gpu_xen_lend_check_ids(VirtIOGPU *g,
                                          struct virtio_gpu_ctrl_command *cmd)
{
    VirtIOGPUXenLend *xl = VIRTIO_GPU_XEN_LEND(g);
    struct virtio_gpu_transfer_host_3d xfer;
    struct virtio_gpu_ctx_resource cr;

    switch (cmd->cmd_hdr.type) {
    case VIRTIO_GPU_CMD_CTX_DESTROY:
        virtio_gpu_xen_lend_check_ctx(g, cmd);
        break;
    case VIRTIO_GPU_CMD_SUBMIT_3D:
        if (virtio_gpu_xen_lend_check_ctx(g, cmd) &&
            g_hash_table_lookup(xl->contexts,
                                GUINT_TO_POINTER(cmd->cmd_hdr.ctx_id)) ==
            GUINT_TO_POINTER(INERT_CONTEXT)) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: context %" PRIu32 " cannot"
                          " render: virgl is off\n", __func__,
                          cmd->cmd_hdr.ctx_id);
            cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        }
        break;
    case VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE:
    case VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE:
        VIRTIO_GPU_FILL_CMD(cr);
        if (virtio_gpu_xen_lend_check_ctx(g, cmd)) {
            virtio_gpu_xen_lend_check_resource(g, cmd, cr.resource_id);
        }
        break;
    case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D:
    case VIRTIO_GPU_CMD_TRANSFER_FROM_HOST_3D:
        VIRTIO_GPU_FILL_CMD(xfer);
        virtio_gpu_xen_lend_check_resource(g, cmd, xfer.resource_id);
        break;
    }
}

static void virtio_gpu_xen_lend_create_blob(VirtIOGPU *g,
                                            struct virtio_gpu_ctrl_command *cmd)
{
    VirtIOGPUXenLend *xl = VIRTIO_GPU_XEN_LEND(g);
    struct virtio_gpu_resource_create_blob cblob;
    VirtIOGPUXenLendBlob *blob;
    uint32_t capset_id;

    VIRTIO_GPU_FILL_CMD(cblob);
    virtio_gpu_create_blob_bswap(&cblob);

    if (cblob.size == 0) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: blob %" PRIu32 " has size 0\n",
                      __func__, cblob.resource_id);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        return;
    }
    switch (cblob.blob_mem) {
    case VIRTIO_GPU_BLOB_MEM_GUEST:
        break;
    case VIRTIO_GPU_BLOB_MEM_HOST3D:
    case VIRTIO_GPU_BLOB_MEM_HOST3D_GUEST:
        if (!virtio_gpu_xen_lend_check_ctx(g, cmd)) {
            return;
        }
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: unknown blob_mem %" PRIu32 "\n",
                      __func__, cblob.blob_mem);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        return;
    }

    virtio_gpu_virgl_process_cmd(g, cmd);
    if (cmd->error || !virtio_gpu_find_resource(g, cblob.resource_id)) {
        return;
    }

    blob = g_new0(VirtIOGPUXenLendBlob, 1);
    blob->res = container_of(virtio_gpu_find_resource(g, cblob.resource_id),
                             struct virtio_gpu_virgl_resource, base);
    blob->blob_mem = cblob.blob_mem;
    blob->blob_flags = cblob.blob_flags;
    capset_id = GPOINTER_TO_UINT(g_hash_table_lookup(xl->contexts,
                                     GUINT_TO_POINTER(cblob.hdr.ctx_id)));
    blob->gl_buffer = cblob.blob_mem != VIRTIO_GPU_BLOB_MEM_GUEST &&
                      (capset_id == VIRTIO_GPU_CAPSET_VIRGL ||
                       capset_id == VIRTIO_GPU_CAPSET_VIRGL2);
    g_hash_table_insert(xl->blobs, GUINT_TO_POINTER(cblob.resource_id), blob);
}

static void virtio_gpu_xen_lend_ctx_create(VirtIOGPU *g,
                                           struct virtio_gpu_ctrl_command *cmd)
{
    VirtIOGPUXenLend *xl = VIRTIO_GPU_XEN_LEND(g);
    struct virtio_gpu_ctx_create cc;
    uint32_t capset_id;
    guint i;

    VIRTIO_GPU_FILL_CMD(cc);

    /* virglrenderer keeps context 0 for itself. */
    if (cc.hdr.ctx_id == 0) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: context id 0 is reserved\n",
                      __func__);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID;
        return;
    }
    if (g_hash_table_contains(xl->contexts,
                              GUINT_TO_POINTER(cc.hdr.ctx_id))) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: context %" PRIu32 " exists\n",
                      __func__, cc.hdr.ctx_id);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID;
        return;
    }
    /* virglrenderer copies nlen bytes of the name. */
    if (cc.nlen > sizeof(cc.debug_name)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: a name of %" PRIu32 " bytes in"
                      " a field of %zu\n", __func__, cc.nlen,
                      sizeof(cc.debug_name));
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        return;
    }
    capset_id = CAPSET_ID(cc.context_init);
    if (capset_id) {
        for (i = 0; i < g->capset_ids->len; i++) {
            if (g_array_index(g->capset_ids, uint32_t, i) == capset_id) {
                break;
            }
        }
        if (i == g->capset_ids->len) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: capset %" PRIu32
                          " is not enabled\n", __func__, capset_id);
            cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
            return;
        }
    } else if (!virtio_gpu_xen_lend_virgl_on(g)) {
        /*
         * Linux makes a context of the default capset for each file that
         * opens a GEM object, its fbdev client's dumb buffer included.
         * With virgl off it is inert: nothing may be submitted to it.
         */
        trace_virtio_gpu_xen_lend_inert_context(cc.hdr.ctx_id);
        g_hash_table_insert(xl->contexts, GUINT_TO_POINTER(cc.hdr.ctx_id),
                            GUINT_TO_POINTER(INERT_CONTEXT));
        virtio_gpu_ctrl_response_nodata(g, cmd, VIRTIO_GPU_RESP_OK_NODATA);
        return;
    }
    virtio_gpu_virgl_process_cmd(g, cmd);
    if (!cmd->error) {
        /* A virgl context's capset is VIRGL2 or VIRGL: either will do. */
        g_hash_table_insert(xl->contexts, GUINT_TO_POINTER(cc.hdr.ctx_id),
                            GUINT_TO_POINTER(capset_id ? capset_id :
                                             VIRTIO_GPU_CAPSET_VIRGL2));
    }
}

/*
 * The host memory of @blob: its per-blob region's, or virglrenderer's
 * mapped for the caller, who unmaps it after when *@unmap.  0 or -errno.
 * A region on its way out may be gone already.
 */
static int virtio_gpu_xen_lend_blob_memory(VirtIOGPUXenLendBlob *blob,
                                           void **data, uint64_t *size,
                                           bool *unmap)
{
    *unmap = !blob->res->mr || blob->unlent;
    if (!*unmap) {
        *data = memory_region_get_ram_ptr(blob->res->mr);
        *size = blob->map_size;
        return 0;
    }
    return virgl_renderer_resource_map(blob->res->base.resource_id, data,
                                       size);
}

/*
 * Copy @rows rows of @len bytes of a Venus blob, the first at @offset and
 * each @stride bytes after the one before, to @dst, @dst_stride bytes
 * apart.  The blob's memory is virglrenderer's, or the guest's own pages
 * for a guest blob: res->blob, which QEMU's 2D code reads, is NULL for
 * these.  Callers' geometry is 32-bit, so @offset + @stride * @rows cannot
 * wrap.
 */
static bool virtio_gpu_xen_lend_read_blob(VirtIOGPU *g,
                                          VirtIOGPUXenLendBlob *blob,
                                          uint64_t offset, uint64_t stride,
                                          size_t len, uint32_t rows,
                                          uint8_t *dst, size_t dst_stride)
{
    struct virtio_gpu_simple_resource *res = &blob->res->base;
    uint64_t end, size;
    uint32_t i;
    bool unmap;
    void *data;

    if (!rows) {
        return true;
    }
    end = offset + stride * (rows - 1) + len;
    if (end > res->blob_size) {
        return false;
    }
    if (!blob->res->mr && res->iov_cnt) {
        for (i = 0; i < rows; i++) {
            if (iov_to_buf(res->iov, res->iov_cnt, offset + i * stride,
                           dst + i * dst_stride, len) != len) {
                return false;
            }
        }
        return true;
    }
    if (virtio_gpu_xen_lend_blob_memory(blob, &data, &size, &unmap)) {
        return false;
    }
    for (i = 0; end <= size && i < rows; i++) {
        memcpy(dst + i * dst_stride, (uint8_t *)data + offset + i * stride,
               len);
    }
    if (unmap) {
        virgl_renderer_resource_unmap(res->resource_id);
    }
    return end <= size;
}

/*
 * With virgl off, or on in an EGL context of its own, no console has GL,
 * so a scanout is shown the 2D way: its surface holds a copy, taken on
 * SET_SCANOUT(_BLOB) and on each RESOURCE_FLUSH.  A copy, because a blob's
 * memory may be scattered guest pages, or virglrenderer's mapped only for
 * a moment, and a 3D resource is read back from the GPU.
 */

/* Copy (@x, @y)+@w,@h of what @fb frames in @blob into @ds, at (@x, @y). */
static bool virtio_gpu_xen_lend_show_blob(VirtIOGPU *g,
                                          VirtIOGPUXenLendBlob *blob,
                                          struct virtio_gpu_framebuffer *fb,
                                          DisplaySurface *ds, uint32_t x,
                                          uint32_t y, uint32_t w, uint32_t h)
{
    uint32_t bpp = DIV_ROUND_UP(PIXMAN_FORMAT_BPP(fb->format), 8);
    size_t stride = surface_stride(ds);

    return virtio_gpu_xen_lend_read_blob(g, blob,
                                         fb->offset +
                                         (uint64_t)y * fb->stride +
                                         (uint64_t)x * bpp,
                                         fb->stride, (size_t)w * bpp, h,
                                         (uint8_t *)surface_data(ds) +
                                         y * stride + x * bpp, stride);
}

/*
 * Read (@x, @y)+@w,@h of 3D resource @resource_id back into @ds, at
 * (@dx, @dy).  virglrenderer returns rows in the order the guest's own
 * mapping of the resource has them, top first, as a scanout shows them,
 * whichever way GL holds them.
 */
static bool virtio_gpu_xen_lend_show_3d(uint32_t resource_id, uint32_t x,
                                        uint32_t y, uint32_t w, uint32_t h,
                                        DisplaySurface *ds, uint32_t dx,
                                        uint32_t dy)
{
    struct virgl_renderer_resource_info info;
    size_t stride = surface_stride(ds);
    uint32_t bpp = surface_bytes_per_pixel(ds);
    struct virtio_gpu_box box = {
        .x = x, .y = y, .w = w, .h = h, .d = 1,
    };
    struct iovec iov = {
        .iov_base = (uint8_t *)surface_data(ds) + dy * stride + dx * bpp,
        .iov_len = (h - 1) * stride + (size_t)w * bpp,
    };

    if (virgl_renderer_resource_get_info(resource_id, &info) ||
        (uint64_t)x + w > info.width || (uint64_t)y + h > info.height) {
        return false;
    }
    if (!w || !h) {
        return true;
    }
    virgl_renderer_force_ctx_0();
    return !virgl_renderer_transfer_read_iov(resource_id, 0, 0, stride, 0,
                                             (struct virgl_box *)&box, 0,
                                             &iov, 1);
}

/* Show (@x, @y)+@w,@h of what scanout @s frames, into its surface. */
static bool virtio_gpu_xen_lend_show(VirtIOGPU *g, struct virtio_gpu_scanout *s,
                                     uint32_t x, uint32_t y, uint32_t w,
                                     uint32_t h)
{
    VirtIOGPUXenLendBlob *blob;

    blob = virtio_gpu_xen_lend_find_blob(VIRTIO_GPU_XEN_LEND(g),
                                         s->resource_id);
    if (blob) {
        return virtio_gpu_xen_lend_show_blob(g, blob, &s->fb, s->ds, x, y,
                                             w, h);
    }
    return virtio_gpu_xen_lend_show_3d(s->resource_id, s->x + x, s->y + y,
                                       w, h, s->ds, x, y);
}

/*
 * Scan out @r of resource @resource_id, framed by @fb, on @scanout_id:
 * into a surface of its own, filled as a flush would fill it.
 */
static void virtio_gpu_xen_lend_scanout(VirtIOGPU *g, uint32_t scanout_id,
                                        uint32_t resource_id,
                                        struct virtio_gpu_framebuffer *fb,
                                        struct virtio_gpu_rect *r,
                                        struct virtio_gpu_ctrl_command *cmd)
{
    struct virtio_gpu_scanout *s = &g->parent_obj.scanout[scanout_id];
    struct virtio_gpu_scanout shown = {
        .resource_id = resource_id, .fb = *fb, .x = r->x, .y = r->y,
    };
    pixman_image_t *image;

    image = pixman_image_create_bits(fb->format, r->width, r->height, NULL,
                                     0);
    if (!image) {
        cmd->error = VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
        return;
    }
    shown.ds = qemu_create_displaysurface_pixman(image);
    pixman_image_unref(image);
    if (!virtio_gpu_xen_lend_show(g, &shown, 0, 0, r->width, r->height)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: cannot read resource %" PRIu32
                      "\n", __func__, resource_id);
        qemu_free_displaysurface(shown.ds);
        cmd->error = VIRTIO_GPU_RESP_ERR_UNSPEC;
        return;
    }
    s->ds = shown.ds;
    dpy_gfx_replace_surface(s->con, s->ds);
    g->parent_obj.enable = 1;
    virtio_gpu_update_scanout(g, scanout_id,
                              virtio_gpu_find_resource(g, resource_id), fb, r);
}

/* A 3D resource scanned out, where no console shows it with GL. */
static void virtio_gpu_xen_lend_set_scanout_3d(VirtIOGPU *g,
                                        struct virtio_gpu_ctrl_command *cmd)
{
    struct virgl_renderer_resource_info info;
    struct virtio_gpu_framebuffer fb = { 0 };
    struct virtio_gpu_set_scanout ss;

    VIRTIO_GPU_FILL_CMD(ss);
    virtio_gpu_bswap_32(&ss, sizeof(ss));
    if (ss.scanout_id >= g->parent_obj.conf.max_outputs) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: no scanout %" PRIu32 "\n",
                      __func__, ss.scanout_id);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID;
        return;
    }
    if (ss.resource_id == 0) {
        virtio_gpu_disable_scanout(g, ss.scanout_id);
        return;
    }
    if (!virtio_gpu_find_resource(g, ss.resource_id) ||
        virgl_renderer_resource_get_info(ss.resource_id, &info)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: no 3D resource %" PRIu32 "\n",
                      __func__, ss.resource_id);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
        return;
    }
    if (!virtio_gpu_check_scanout_bounds(ss.scanout_id, ss.resource_id,
                                         info.width, info.height, &ss.r,
                                         &cmd->error)) {
        return;
    }
    fb.format = virtio_gpu_get_pixman_format(info.virgl_format);
    if (!fb.format) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: resource %" PRIu32 " has format"
                      " %" PRIu32 ", which no scanout shows\n", __func__,
                      ss.resource_id, info.virgl_format);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        return;
    }
    fb.width = info.width;
    fb.height = info.height;
    fb.stride = info.width * DIV_ROUND_UP(PIXMAN_FORMAT_BPP(fb.format), 8);
    virtio_gpu_xen_lend_scanout(g, ss.scanout_id, ss.resource_id, &fb, &ss.r,
                                cmd);
}

static void
virtio_gpu_xen_lend_set_scanout_blob(VirtIOGPU *g, VirtIOGPUXenLendBlob *blob,
                                     struct virtio_gpu_ctrl_command *cmd)
{
    struct virtio_gpu_framebuffer fb = { 0 };
    struct virtio_gpu_set_scanout_blob ss;

    VIRTIO_GPU_FILL_CMD(ss);
    virtio_gpu_scanout_blob_bswap(&ss);
    if (ss.scanout_id >= g->parent_obj.conf.max_outputs) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: no scanout %" PRIu32 "\n",
                      __func__, ss.scanout_id);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID;
        return;
    }
    /* Upstream's checks: the rectangle, the format, the blob's size. */
    if (!virtio_gpu_check_scanout_bounds(ss.scanout_id, ss.resource_id,
                                         ss.width, ss.height, &ss.r,
                                         &cmd->error)) {
        return;
    }
    if (!virtio_gpu_scanout_blob_to_fb(&fb, &ss, blob->res->base.blob_size)) {
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        return;
    }

    /* No larger than the blob: the checks bound it by stride * height. */
    virtio_gpu_xen_lend_scanout(g, ss.scanout_id, ss.resource_id, &fb, &ss.r,
                                cmd);
}

static void
virtio_gpu_xen_lend_resource_flush(VirtIOGPU *g,
                                   struct virtio_gpu_ctrl_command *cmd)
{
    struct virtio_gpu_resource_flush rf;
    struct virtio_gpu_scanout *s;
    uint64_t x0, y0, x1, y1;
    bool shown = false;
    uint32_t i;

    VIRTIO_GPU_FILL_CMD(rf);
    virtio_gpu_bswap_32(&rf, sizeof(rf));
    for (i = 0; i < g->parent_obj.conf.max_outputs; i++) {
        s = &g->parent_obj.scanout[i];
        if (s->resource_id != rf.resource_id || !s->ds) {
            continue;
        }
        /* What the scanout shows of the flushed rectangle. */
        x0 = MAX(rf.r.x, (uint32_t)s->x);
        y0 = MAX(rf.r.y, (uint32_t)s->y);
        x1 = MIN((uint64_t)rf.r.x + rf.r.width, (uint64_t)s->x + s->width);
        y1 = MIN((uint64_t)rf.r.y + rf.r.height, (uint64_t)s->y + s->height);
        if (x0 >= x1 || y0 >= y1) {
            continue;
        }
        if (!virtio_gpu_xen_lend_show(g, s, x0 - s->x, y0 - s->y, x1 - x0,
                                      y1 - y0)) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: cannot read resource %" PRIu32
                          "\n", __func__, rf.resource_id);
            cmd->error = VIRTIO_GPU_RESP_ERR_UNSPEC;
            return;
        }
        dpy_gfx_update(s->con, x0 - s->x, y0 - s->y, x1 - x0, y1 - y0);
        shown = true;
    }
    if (!shown) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: flush of resource %" PRIu32
                      " at (%" PRIu32 ",%" PRIu32 ")+%" PRIu32 ",%" PRIu32
                      " is outside every scanout\n", __func__,
                      rf.resource_id, rf.r.x, rf.r.y, rf.r.width,
                      rf.r.height);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
    }
}

/* A resource that goes is no longer shown, as a 2D resource that goes. */
static void virtio_gpu_xen_lend_hide(VirtIOGPU *g, uint32_t resource_id)
{
    uint32_t i;

    for (i = 0; i < g->parent_obj.conf.max_outputs; i++) {
        if (g->parent_obj.scanout[i].resource_id == resource_id) {
            virtio_gpu_disable_scanout(g, i);
        }
    }
}

/* The resource a 2D command names, or 0 when it names none. */
static uint32_t
virtio_gpu_xen_lend_2d_resource(struct virtio_gpu_ctrl_command *cmd)
{
    size_t off;
    uint32_t id = 0;

    switch (cmd->cmd_hdr.type) {
    case VIRTIO_GPU_CMD_RESOURCE_UNREF:
        off = offsetof(struct virtio_gpu_resource_unref, resource_id);
        break;
    case VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING:
        off = offsetof(struct virtio_gpu_resource_attach_backing, resource_id);
        break;
    case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING:
        off = offsetof(struct virtio_gpu_resource_detach_backing, resource_id);
        break;
    case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D:
        off = offsetof(struct virtio_gpu_transfer_to_host_2d, resource_id);
        break;
    case VIRTIO_GPU_CMD_SET_SCANOUT:
        off = offsetof(struct virtio_gpu_set_scanout, resource_id);
        break;
    case VIRTIO_GPU_CMD_SET_SCANOUT_BLOB:
        off = offsetof(struct virtio_gpu_set_scanout_blob, resource_id);
        break;
    case VIRTIO_GPU_CMD_RESOURCE_FLUSH:
        off = offsetof(struct virtio_gpu_resource_flush, resource_id);
        break;
    default:
        return 0;
    }
    iov_to_buf(cmd->elem.out_sg, cmd->elem.out_num, off, &id, sizeof(id));
    return le32_to_cpu(id);
}

/*
 * With virgl off, virglrenderer holds only the blobs that Venus made;
 * every other resource is a 2D one that QEMU's own 2D code owns.
 */
static bool virtio_gpu_xen_lend_is_2d(VirtIOGPU *g,
                                      struct virtio_gpu_ctrl_command *cmd)
{
    uint32_t resource_id;

    if (virtio_gpu_xen_lend_virgl_on(g)) {
        return false;
    }
    switch (cmd->cmd_hdr.type) {
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_2D:
        return true;
    case VIRTIO_GPU_CMD_RESOURCE_UNREF:
    case VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING:
    case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING:
    case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D:
    case VIRTIO_GPU_CMD_SET_SCANOUT:
    case VIRTIO_GPU_CMD_SET_SCANOUT_BLOB:
    case VIRTIO_GPU_CMD_RESOURCE_FLUSH:
        resource_id = virtio_gpu_xen_lend_2d_resource(cmd);
        return !virtio_gpu_xen_lend_find_blob(VIRTIO_GPU_XEN_LEND(g),
                                              resource_id);
    default:
        return false;
    }
}

/* Upstream answers a capset index past the last with zeros. */
static void virtio_gpu_xen_lend_get_capset_info(VirtIOGPU *g,
                                        struct virtio_gpu_ctrl_command *cmd)
{
    struct virtio_gpu_get_capset_info info;

    VIRTIO_GPU_FILL_CMD(info);
    if (info.capset_index >= g->capset_ids->len) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: capset index %" PRIu32 " of %u"
                      "\n", __func__, info.capset_index, g->capset_ids->len);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        return;
    }
    virtio_gpu_virgl_process_cmd(g, cmd);
}

/* Upstream refuses a bad scanout id without a word. */
static void virtio_gpu_xen_lend_get_edid(VirtIOGPU *g,
                                         struct virtio_gpu_ctrl_command *cmd)
{
    struct virtio_gpu_cmd_get_edid edid;

    VIRTIO_GPU_FILL_CMD(edid);
    if (edid.scanout >= g->parent_obj.conf.max_outputs) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: scanout %" PRIu32 " of %" PRIu32
                      "\n", __func__, edid.scanout,
                      g->parent_obj.conf.max_outputs);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        return;
    }
    virtio_gpu_virgl_process_cmd(g, cmd);
}

static void virtio_gpu_xen_lend_process_cmd(VirtIOGPU *g,
                                            struct virtio_gpu_ctrl_command *cmd)
{
    VirtIOGPUXenLend *xl = VIRTIO_GPU_XEN_LEND(g);
    VirtIOGPUXenLendBlob *blob;
    uint32_t resource_id;
    bool answer = false;    /* answered here, not by virglrenderer */

    VIRTIO_GPU_FILL_CMD(cmd->cmd_hdr);

    if (virtio_gpu_xen_lend_is_2d(g, cmd)) {
        virtio_gpu_simple_process_cmd(g, cmd);
        return;
    }

    virtio_gpu_xen_lend_check_ids(g, cmd);
    if (cmd->finished) {
        /* Too short to read: VIRTIO_GPU_FILL_CMD answered it. */
        return;
    }
    if (cmd->error) {
        virtio_gpu_ctrl_response_nodata(g, cmd, cmd->error);
        return;
    }

    switch (cmd->cmd_hdr.type) {
    case VIRTIO_GPU_CMD_CTX_CREATE:
        virtio_gpu_xen_lend_ctx_create(g, cmd);
        break;
    case VIRTIO_GPU_CMD_CTX_DESTROY:
        g_hash_table_remove(xl->contexts,
                            GUINT_TO_POINTER(cmd->cmd_hdr.ctx_id));
        virtio_gpu_virgl_process_cmd(g, cmd);
        break;
    case VIRTIO_GPU_CMD_GET_CAPSET_INFO:
        virtio_gpu_xen_lend_get_capset_info(g, cmd);
        break;
    case VIRTIO_GPU_CMD_GET_EDID:
        virtio_gpu_xen_lend_get_edid(g, cmd);
        break;
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB:
        virtio_gpu_xen_lend_create_blob(g, cmd);
        break;
    case VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB:
    case VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB:
        /* Upstream's, with the hooks that lend and unlend. */
        virtio_gpu_xen_lend_check_map(g, cmd);
        if (!cmd->error) {
            virtio_gpu_virgl_process_cmd(g, cmd);
        }
        break;
    case VIRTIO_GPU_CMD_SET_SCANOUT:
    case VIRTIO_GPU_CMD_SET_SCANOUT_BLOB:
    case VIRTIO_GPU_CMD_RESOURCE_FLUSH:
        if (virtio_gpu_xen_lend_gl_console(g)) {
            virtio_gpu_virgl_process_cmd(g, cmd);
            break;
        }
        /* virgl's way would ask a console with no GL for GL. */
        resource_id = virtio_gpu_xen_lend_2d_resource(cmd);
        blob = virtio_gpu_xen_lend_find_blob(xl, resource_id);
        if (cmd->cmd_hdr.type == VIRTIO_GPU_CMD_SET_SCANOUT) {
            virtio_gpu_xen_lend_set_scanout_3d(g, cmd);
        } else if (cmd->cmd_hdr.type == VIRTIO_GPU_CMD_RESOURCE_FLUSH) {
            virtio_gpu_xen_lend_resource_flush(g, cmd);
        } else if (blob) {
            virtio_gpu_xen_lend_set_scanout_blob(g, blob, cmd);
        } else {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: resource %" PRIu32 " is not"
                          " a blob\n", __func__, resource_id);
            cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
        }
        answer = true;
        break;
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_3D:
        if (!virtio_gpu_xen_lend_virgl_on(g)) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: 3D resources need virgl=on\n",
                          __func__);
            cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
            break;
        }
        virtio_gpu_virgl_process_cmd(g, cmd);
        break;
    case VIRTIO_GPU_CMD_RESOURCE_UNREF:
        /*
         * A blob still mapped is unmapped first, through the unmap_blob
         * hook, and the command may wait for that and run again.
         */
        resource_id = virtio_gpu_xen_lend_2d_resource(cmd);
        if (!virtio_gpu_xen_lend_gl_console(g)) {
            virtio_gpu_xen_lend_hide(g, resource_id);
        }
        virtio_gpu_virgl_process_cmd(g, cmd);
        if (!virtio_gpu_find_resource(g, resource_id)) {
            g_hash_table_remove(xl->blobs, GUINT_TO_POINTER(resource_id));
        }
        break;
    default:
        virtio_gpu_virgl_process_cmd(g, cmd);
        break;
    }

    if (cmd->finished) {
        return;
    }
    if (cmd->error) {
        virtio_gpu_ctrl_response_nodata(g, cmd, cmd->error);
    } else if (answer) {
        /* Done synchronously: the response also signals any fence. */
        virtio_gpu_ctrl_response_nodata(g, cmd, VIRTIO_GPU_RESP_OK_NODATA);
    }
}

static void virtio_gpu_xen_lend_update_cursor_data(VirtIOGPU *g,
                                                   struct virtio_gpu_scanout *s,
                                                   uint32_t resource_id)
{
    VirtIOGPUXenLendClass *xlc = VIRTIO_GPU_XEN_LEND_GET_CLASS(g);
    VirtIOGPUXenLendBlob *blob;
    QEMUCursor *c = s->current_cursor;

    blob = virtio_gpu_xen_lend_find_blob(VIRTIO_GPU_XEN_LEND(g), resource_id);
    if (!blob) {
        if (virtio_gpu_xen_lend_virgl_on(g)) {
            xlc->parent_update_cursor_data(g, s, resource_id);
        } else {
            virtio_gpu_update_cursor_data(g, s, resource_id);
        }
    } else if (!virtio_gpu_xen_lend_read_blob(g, blob, 0, 0,
                                              c->width * c->height * 4, 1,
                                              (uint8_t *)c->data, 0)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: cannot read a %dx%d cursor from "
                      "blob %" PRIu32 "\n", __func__, c->width, c->height,
                      resource_id);
        return;
    }
    trace_virtio_gpu_xen_lend_cursor(resource_id, c->width, c->height,
                                     c->data[0]);
}

static void
virtio_gpu_xen_lend_resource_destroy(VirtIOGPU *g,
                                     struct virtio_gpu_simple_resource *res,
                                     Error **errp)
{
    VirtIOGPUXenLend *xl = VIRTIO_GPU_XEN_LEND(g);
    VirtIOGPUXenLendClass *xlc = VIRTIO_GPU_XEN_LEND_GET_CLASS(xl);
    VirtIOGPUXenLendBlob *blob;

    blob = virtio_gpu_xen_lend_find_blob(xl, res->resource_id);
    if (blob) {
        virtio_gpu_xen_lend_drop_blob(xl, blob);
        g_hash_table_remove(xl->blobs, GUINT_TO_POINTER(res->resource_id));
    }
    xlc->parent_resource_destroy(g, res, errp);
}

/* Whether one of @names (NULL-terminated) loads; @errp says why not. */
static bool virtio_gpu_xen_lend_can_load(const char *what,
                                         const char *const *names,
                                         Error **errp)
{
    void *lib;

    for (; *names; names++) {
        lib = dlopen(*names, RTLD_NOW | RTLD_LOCAL);
        if (lib) {
            dlclose(lib);
            return true;
        }
    }
    error_setg(errp, "no %s library: %s", what, dlerror());
    return false;
}

/*
 * Where no display has OpenGL, virglrenderer can make its own EGL
 * contexts: on a DRM render node (render-node, or the first one found),
 * or on Mesa's surfaceless platform (llvmpipe where there is no GPU).
 * Sets the device up for that and returns true if EGL starts there.
 */
static bool virtio_gpu_xen_lend_own_egl(VirtIOGPUXenLend *xl, Error **errp)
{
    VirtIOGPUGL *gl = VIRTIO_GPU_GL(xl);
    VirtIOGPUBase *b = VIRTIO_GPU_BASE(xl);
    static const char *const egl_libs[] = { "libEGL.so.1", NULL };
    static const char *const gl_libs[] = {
        "libOpenGL.so.0", "libGL.so.1", NULL
    };
    EGLDisplay dpy;
    EGLint major, minor;

    gl->render_node_fd = qemu_drm_rendernode_open(xl->render_node);
    if (gl->render_node_fd < 0 && xl->render_node) {
        error_setg_errno(errp, errno, "cannot open render node '%s'",
                         xl->render_node);
        return false;
    }
    /*
     * libepoxy aborts QEMU where it cannot load EGL, or desktop GL for
     * virglrenderer's contexts: look first.
     */
    if (!virtio_gpu_xen_lend_can_load("EGL", egl_libs, errp) ||
        !virtio_gpu_xen_lend_can_load("desktop OpenGL", gl_libs, errp)) {
        goto fail;
    }
    if (gl->render_node_fd < 0) {
        /* Only virglrenderer's own EGL would tell a render node's fate. */
        if (!epoxy_has_egl_extension(EGL_NO_DISPLAY,
                                     "EGL_MESA_platform_surfaceless")) {
            error_setg(errp, "no render node, and EGL has no surfaceless"
                       " platform");
            return false;
        }
        dpy = eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA,
                                       EGL_DEFAULT_DISPLAY, NULL);
        if (dpy == EGL_NO_DISPLAY || !eglInitialize(dpy, &major, &minor)) {
            error_setg(errp, "no render node, and surfaceless EGL does not"
                       " start (EGL error 0x%x)", eglGetError());
            return false;
        }
        eglTerminate(dpy);
    }
    b->conf.flags |= 1 << VIRTIO_GPU_FLAG_OWN_EGL;
    trace_virtio_gpu_xen_lend_own_egl(xl->render_node ? xl->render_node : "",
                                      gl->render_node_fd);
    return true;

fail:
    if (gl->render_node_fd >= 0) {
        close(gl->render_node_fd);
        gl->render_node_fd = -1;
    }
    return false;
}

static void virtio_gpu_xen_lend_realize(DeviceState *dev, Error **errp)
{
    ERRP_GUARD();
    VirtIOGPUXenLend *xl = VIRTIO_GPU_XEN_LEND(dev);
    VirtIOGPUXenLendClass *xlc = VIRTIO_GPU_XEN_LEND_GET_CLASS(xl);
    VirtIOGPUBase *b = VIRTIO_GPU_BASE(dev);
    Error *local_err = NULL;
    bool virgl;

    if (!virtio_gpu_blob_enabled(b->conf)) {
        error_setg(errp, "virtio-gpu-xen-lend: 'blob' cannot be turned off");
        error_append_hint(errp, "Blob resources are what this device lends;"
                          " use virtio-gpu-gl-pci without them.\n");
        return;
    }
    if (!b->conf.hostmem ||
        !QEMU_IS_ALIGNED(b->conf.hostmem, qemu_real_host_page_size())) {
        error_setg(errp, "virtio-gpu-xen-lend: 'hostmem' must be a non-zero"
                   " multiple of the host page size");
        return;
    }
    if (!xl->max_mappings ||
        xl->max_mappings > VIRTIO_GPU_XEN_LEND_MAX_MAPPINGS) {
        error_setg(errp, "virtio-gpu-xen-lend: 'max-mappings' must be 1 to"
                   " %d, not %" PRIu32, VIRTIO_GPU_XEN_LEND_MAX_MAPPINGS,
                   xl->max_mappings);
        error_append_hint(errp, "Each mapped blob costs up to two of the"
                          " host's vm.max_map_count (65530 by default).\n");
        return;
    }

    virgl = xl->virgl != ON_OFF_AUTO_OFF &&
            (display_opengl || virtio_gpu_xen_lend_own_egl(xl, &local_err));
    if (local_err && xl->virgl == ON_OFF_AUTO_ON) {
        error_propagate_prepend(errp, local_err, "virtio-gpu-xen-lend:"
                                " 'virgl=on' needs OpenGL: ");
        error_append_hint(errp, "Install Mesa's EGL and GL drivers"
                          " (libegl1, libegl-mesa0, libopengl0,"
                          " libgl1-mesa-dri), give"
                          " render-node=PATH, use a display with OpenGL,"
                          " or set virgl=off to run Venus alone.\n");
        return;
    }
    if (local_err) {
        info_report("virtio-gpu-xen-lend: virgl off, no OpenGL: %s",
                    error_get_pretty(local_err));
        error_free(local_err);
    }
    if (!virgl && !virtio_gpu_venus_enabled(b->conf)) {
        error_setg(errp, "virtio-gpu-xen-lend: 'venus' and 'virgl' are both"
                   " off");
        error_append_hint(errp, virgl || display_opengl ?
                          "Set venus=on or virgl=on.\n" :
                          "Set venus=on: virgl needs an OpenGL display.\n");
        return;
    }
    if (virgl) {
        b->conf.flags &= ~(1 << VIRTIO_GPU_FLAG_NO_VIRGL);
    } else {
        b->conf.flags |= 1 << VIRTIO_GPU_FLAG_NO_VIRGL;
    }

    /*
     * 2 MiB aligned, so that a blob at a 2 MiB aligned window offset is
     * also 2 MiB aligned in QEMU and can be lent with large pages.
     */
    xl->window = qemu_ram_mmap(-1, b->conf.hostmem, 2 * MiB,
                               QEMU_MAP_NORESERVE, 0);
    if (xl->window == MAP_FAILED) {
        xl->window = NULL;
        error_setg_errno(errp, errno, "virtio-gpu-xen-lend: cannot reserve"
                         " %" PRIu64 " bytes of address space for 'hostmem'",
                         b->conf.hostmem);
        return;
    }

    memory_region_init_ram_ptr(&xl->window_mr, OBJECT(dev), "xen-lend-window",
                               b->conf.hostmem, xl->window);
    /* Under upstream's per-blob regions, the fallback. */
    memory_region_add_subregion_overlap(&b->hostmem, 0, &xl->window_mr, -1);
    xl->lend = xen_lend_new(OBJECT(dev), xl->lend_mode, xl->lend_fault_policy,
                            &b->hostmem, xl->window, b->conf.hostmem,
                            xl->max_mappings, errp);
    if (xl->lend) {
        xlc->parent_realize(dev, errp);
        if (*errp) {
            g_clear_pointer(&xl->lend, xen_lend_free);
        }
    }
    if (!xl->lend) {
        memory_region_del_subregion(&b->hostmem, &xl->window_mr);
        return;
    }
    xl->blobs = g_hash_table_new_full(NULL, NULL, NULL, g_free);
    xl->contexts = g_hash_table_new(NULL, NULL);
    /*
     * Upstream starts virglrenderer at the guest's first command, because
     * it needs the display's GL context.  With its own EGL it can start
     * now, and should: that start (EGL, llvmpipe's shaders, the render
     * server) can outlast the 5 s Linux's driver waits for the capsets at
     * probe, and the guest then has no virgl.
     */
    if (virtio_gpu_own_egl(b->conf)) {
        VIRTIO_GPU_GL(xl)->renderer_state =
            virtio_gpu_virgl_init(VIRTIO_GPU(xl)) ? RS_INIT_FAILED : RS_INITED;
    }
    trace_virtio_gpu_xen_lend_realize(virgl,
                                      !!virtio_gpu_venus_enabled(b->conf),
                                      b->conf.hostmem);
}

static void virtio_gpu_xen_lend_unrealize(DeviceState *dev)
{
    VirtIOGPUXenLend *xl = VIRTIO_GPU_XEN_LEND(dev);
    VirtIOGPUXenLendClass *xlc = VIRTIO_GPU_XEN_LEND_GET_CLASS(xl);
    VirtIOGPUBase *b = VIRTIO_GPU_BASE(dev);

    /* Unlend before virglrenderer frees what the guest may still reach. */
    g_clear_pointer(&xl->lend, xen_lend_free);
    xlc->parent_unrealize(dev);
    memory_region_del_subregion(&b->hostmem, &xl->window_mr);
    g_clear_pointer(&xl->blobs, g_hash_table_destroy);
    g_clear_pointer(&xl->contexts, g_hash_table_destroy);
    if (VIRTIO_GPU_GL(xl)->render_node_fd >= 0) {
        close(VIRTIO_GPU_GL(xl)->render_node_fd);
    }
}

static void virtio_gpu_xen_lend_reset(VirtIODevice *vdev)
{
    VirtIOGPUXenLend *xl = VIRTIO_GPU_XEN_LEND(vdev);
    VirtIOGPUXenLendClass *xlc = VIRTIO_GPU_XEN_LEND_GET_CLASS(xl);
    int ret;

    xlc->parent_reset(vdev);
    if (xl->contexts) {
        g_hash_table_remove_all(xl->contexts);
    }
    if (!xl->window) {
        return;
    }
    /*
     * Every blob is gone: so is what the guest wrote between them, which
     * the host would otherwise keep allocated for good.
     */
    ret = virtio_gpu_xen_lend_zero_window(xl, 0,
                                          VIRTIO_GPU_BASE(xl)->conf.hostmem);
    if (ret) {
        error_report("virtio-gpu-xen-lend: cannot discard the window on"
                     " reset: %s", strerror(-ret));
    }
}

static void virtio_gpu_xen_lend_instance_finalize(Object *obj)
{
    VirtIOGPUXenLend *xl = VIRTIO_GPU_XEN_LEND(obj);

    /* Only now can no vCPU and no RCU reader still see the window. */
    if (xl->window) {
        qemu_ram_munmap(-1, xl->window, VIRTIO_GPU_BASE(obj)->conf.hostmem);
    }
}

static void virtio_gpu_xen_lend_instance_init(Object *obj)
{
    VirtIOGPUXenLend *xl = VIRTIO_GPU_XEN_LEND(obj);
    VirtIOGPUBase *b = VIRTIO_GPU_BASE(obj);

    VIRTIO_GPU_GL(obj)->render_node_fd = -1;
    object_property_add_uint64_ptr(obj, "region-maps", &xl->region_maps,
                                   OBJ_PROP_FLAG_READ);

    /* Defaults that differ from virtio-gpu-gl's; properties override them. */
    b->conf.flags |= 1 << VIRTIO_GPU_FLAG_BLOB_ENABLED;
    b->conf.flags |= 1 << VIRTIO_GPU_FLAG_VENUS_ENABLED;
    b->conf.hostmem = 4 * GiB;
}

/* The lending core; NULL, with an error, before realize. */
static XenLend *virtio_gpu_xen_lend_core(Object *obj, Error **errp)
{
    XenLend *lend = VIRTIO_GPU_XEN_LEND(obj)->lend;

    if (!lend) {
        error_setg(errp, "virtio-gpu-xen-lend: the device is not realized");
    }
    return lend;
}

static void virtio_gpu_xen_lend_get_stats(Object *obj, Visitor *v,
                                          const char *name, void *opaque,
                                          Error **errp)
{
    XenLend *lend = virtio_gpu_xen_lend_core(obj, errp);
    XenLendStats *stats;

    if (lend) {
        stats = xen_lend_query_stats(lend);
        visit_type_XenLendStats(v, name, &stats, errp);
        qapi_free_XenLendStats(stats);
    }
}

static void virtio_gpu_xen_lend_get_slots(Object *obj, Visitor *v,
                                          const char *name, void *opaque,
                                          Error **errp)
{
    XenLend *lend = virtio_gpu_xen_lend_core(obj, errp);
    XenLendSlotList *slots;

    if (lend) {
        slots = xen_lend_query_slots(lend);
        visit_type_XenLendSlotList(v, name, &slots, errp);
        qapi_free_XenLendSlotList(slots);
    }
}

/* What a test does to a slot (or all, -1): revoke it, or zap it. */
typedef bool XenLendSlotAction(XenLend *xl, int64_t slot, Error **errp);

static void virtio_gpu_xen_lend_set_slot_action(Object *obj, Visitor *v,
                                                const char *name,
                                                void *opaque, Error **errp)
{
    XenLendSlotAction *action = opaque;
    XenLend *lend;
    int64_t slot;

    if (!visit_type_int(v, name, &slot, errp)) {
        return;
    }
    lend = virtio_gpu_xen_lend_core(obj, errp);
    if (lend) {
        action(lend, slot, errp);
    }
}

/* Make the emulated lender run out of pages: lends and re-lends fail. */
static void virtio_gpu_xen_lend_set_fail(Object *obj, bool value,
                                         Error **errp)
{
    XenLend *lend = virtio_gpu_xen_lend_core(obj, errp);

    if (lend) {
        xen_lend_set_fail(lend, value, errp);
    }
}

/*
 * "RES,OFFSET,LENGTH,BYTE": write into a blob through virglrenderer's own
 * mapping of it, as the host GPU would, to show that the guest never sees
 * stale data after a revocation.
 */
static void virtio_gpu_xen_lend_set_blob_fill(Object *obj, const char *value,
                                              Error **errp)
{
    VirtIOGPUXenLend *xl = VIRTIO_GPU_XEN_LEND(obj);
    VirtIOGPUXenLendBlob *blob;
    uint64_t offset, length, size;
    uint32_t resource_id;
    unsigned byte;
    bool unmap;
    void *data;
    int ret;

    if (sscanf(value, "%" SCNu32 ",%" SCNu64 ",%" SCNu64 ",%u", &resource_id,
               &offset, &length, &byte) != 4 || byte > UINT8_MAX) {
        error_setg(errp, "x-blob-fill takes RES,OFFSET,LENGTH,BYTE");
        return;
    }
    /* Only a blob's: virglrenderer may not even be up yet. */
    blob = xl->blobs ? virtio_gpu_xen_lend_find_blob(xl, resource_id) : NULL;
    if (!blob) {
        error_setg(errp, "no blob resource %" PRIu32, resource_id);
        return;
    }
    ret = virtio_gpu_xen_lend_blob_memory(blob, &data, &size, &unmap);
    if (ret) {
        error_setg_errno(errp, -ret, "cannot map resource %" PRIu32,
                         resource_id);
        return;
    }
    if (offset > size || length > size - offset) {
        error_setg(errp, "0x%" PRIx64 "+0x%" PRIx64 " is outside the"
                   " 0x%" PRIx64 " byte blob", offset, length, size);
    } else {
        memset((uint8_t *)data + offset, byte, length);
    }
    if (unmap) {
        virgl_renderer_resource_unmap(resource_id);
    }
}

static const PropertyInfo virtio_gpu_xen_lend_prop_map_method = {
    .type = "XenLendMapMethod",
    .description = "window/per-blob (unstable)",
    .enum_table = &XenLendMapMethod_lookup,
    .get = qdev_propinfo_get_enum,
    .set = qdev_propinfo_set_enum,
    .set_default_value = qdev_propinfo_set_default_value_enum,
};

static const Property virtio_gpu_xen_lend_properties[] = {
    DEFINE_PROP_ON_OFF_AUTO("virgl", VirtIOGPUXenLend, virgl,
                            ON_OFF_AUTO_AUTO),
    /* Where virgl makes its own EGL context: a DRM render node */
    DEFINE_PROP_STRING("render-node", VirtIOGPUXenLend, render_node),
    DEFINE_PROP_XEN_LEND_MODE("lend", VirtIOGPUXenLend, lend_mode),
    DEFINE_PROP_XEN_LEND_FAULT_POLICY("lend-fault-policy", VirtIOGPUXenLend,
                                      lend_fault_policy),
    DEFINE_PROP_UINT32("max-mappings", VirtIOGPUXenLend, max_mappings, 4096),
    /* per-blob: upstream's mapping method, the baseline of benchmarks */
    DEFINE_PROP_SIGNED("x-map", VirtIOGPUXenLend, map_method,
                       XEN_LEND_MAP_METHOD_WINDOW,
                       virtio_gpu_xen_lend_prop_map_method, XenLendMapMethod),
};

static void virtio_gpu_xen_lend_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_CLASS(klass);
    VirtIOGPUClass *vgc = VIRTIO_GPU_CLASS(klass);
    VirtIOGPUXenLendClass *xlc = VIRTIO_GPU_XEN_LEND_CLASS(klass);

    xlc->parent_realize = vdc->realize;
    xlc->parent_unrealize = vdc->unrealize;
    xlc->parent_resource_destroy = vgc->resource_destroy;
    xlc->parent_reset = vdc->reset;
    xlc->parent_update_cursor_data = vgc->update_cursor_data;

    vdc->realize = virtio_gpu_xen_lend_realize;
    vdc->unrealize = virtio_gpu_xen_lend_unrealize;
    vdc->reset = virtio_gpu_xen_lend_reset;
    vgc->process_cmd = virtio_gpu_xen_lend_process_cmd;
    vgc->update_cursor_data = virtio_gpu_xen_lend_update_cursor_data;
    vgc->resource_destroy = virtio_gpu_xen_lend_resource_destroy;
    vgc->map_blob = virtio_gpu_xen_lend_map_blob;
    vgc->unmap_blob = virtio_gpu_xen_lend_unmap_blob;
    device_class_set_props(dc, virtio_gpu_xen_lend_properties);

    object_class_property_add(klass, "lend-stats", "XenLendStats",
                              virtio_gpu_xen_lend_get_stats, NULL, NULL,
                              NULL);
    object_class_property_set_description(klass, "lend-stats",
        "Memory lending mode, slot count and counters");
    object_class_property_add(klass, "lend-slots", "XenLendSlotList",
                              virtio_gpu_xen_lend_get_slots, NULL, NULL,
                              NULL);
    object_class_property_set_description(klass, "lend-slots",
        "Ranges of the hostmem window registered with the hypervisor");
    object_class_property_add(klass, "x-lend-revoke", "int", NULL,
                              virtio_gpu_xen_lend_set_slot_action, NULL,
                              xen_lend_revoke);
    object_class_property_set_description(klass, "x-lend-revoke",
        "Unlend a lent slot, or all with -1, as the lender would (for"
        " tests)");
    object_class_property_add(klass, "x-lend-zap", "int", NULL,
                              virtio_gpu_xen_lend_set_slot_action, NULL,
                              xen_lend_zap);
    object_class_property_set_description(klass, "x-lend-zap",
        "Drop QEMU's mapping of a lent slot, or all with -1, so that the"
        " kernel revokes it (lend=privcmd, for tests)");
    object_class_property_add_bool(klass, "x-lend-fail",
                                   NULL, virtio_gpu_xen_lend_set_fail);
    object_class_property_set_description(klass, "x-lend-fail",
        "Make lending and re-lending fail (lend=emulated, for tests)");
    object_class_property_add_str(klass, "x-blob-fill", NULL,
                                  virtio_gpu_xen_lend_set_blob_fill);
    object_class_property_set_description(klass, "x-blob-fill",
        "RES,OFFSET,LENGTH,BYTE: write a blob as the host GPU would");
}

static const TypeInfo virtio_gpu_xen_lend_info = {
    .name = TYPE_VIRTIO_GPU_XEN_LEND,
    .parent = TYPE_VIRTIO_GPU_GL,
    .instance_size = sizeof(VirtIOGPUXenLend),
    .instance_init = virtio_gpu_xen_lend_instance_init,
    .instance_finalize = virtio_gpu_xen_lend_instance_finalize,
    .class_size = sizeof(VirtIOGPUXenLendClass),
    .class_init = virtio_gpu_xen_lend_class_init,
};
module_obj(TYPE_VIRTIO_GPU_XEN_LEND);
module_kconfig(VIRTIO_GPU_XEN_LEND);

static void virtio_gpu_xen_lend_register_types(void)
{
    type_register_static(&virtio_gpu_xen_lend_info);
}

type_init(virtio_gpu_xen_lend_register_types)

module_dep("hw-display-virtio-gpu-gl");
