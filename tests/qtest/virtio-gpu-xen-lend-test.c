/*
 * qtest for virtio-gpu-xen-lend-pci: properties, PCI layout, features,
 * capsets, the 2D path, the Venus blob map path and bad guest input,
 * against the real device and the real virglrenderer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qemu/module.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "qobject/qdict.h"
#include "qobject/qjson.h"
#include "qobject/qlist.h"
#include "standard-headers/linux/virtio_config.h"
#include "standard-headers/linux/virtio_gpu.h"
#include "standard-headers/linux/virtio_pci.h"
#include "standard-headers/linux/pci_regs.h"
#include "libqos/qgraph.h"
#include "libqos/pci.h"
#include "libqos/pci-pc.h"
#include "libqos/malloc-pc.h"
#include "hw/xen/privcmd-lend.h"
#include "libqos/virtio.h"
#include "libqos/virtio-gpu-xen-lend.h"
#include "qemu/range.h"

#define TIMEOUT_US (30 * 1000 * 1000)
#define WINDOW_SIZE (64 * 1024 * 1024)
#define VENUS_CTX 1
#define PAGE 4096

typedef struct GPUTest {
    QTestState *qts;
    QVirtioDevice *vdev;
    QPCIDevice *pdev;
    QGuestAllocator *alloc;
    QVirtQueue *ctrl;
    QVirtQueue *cursor;
    QDict *lend_base;   /* lending counters when the test started */
} GPUTest;

static QDict *lend_stats(GPUTest *t);
static void fill(GPUTest *t, QPCIBar window, uint64_t offset, uint8_t byte,
                 size_t len);
static int64_t qom_get_int(QTestState *qts, const char *path,
                           const char *prop);

static void gpu_start(GPUTest *t, void *obj, QGuestAllocator *alloc)
{
    QVirtioPCIDevice *vpci = obj;

    t->vdev = &vpci->vdev;
    t->pdev = vpci->pdev;
    t->qts = t->pdev->bus->qts;
    t->alloc = alloc;
    qvirtio_set_features(t->vdev, qvirtio_get_features(t->vdev) &
                         ((1ull << VIRTIO_GPU_F_VIRGL) |
                          (1ull << VIRTIO_GPU_F_EDID) |
                          (1ull << VIRTIO_GPU_F_RESOURCE_BLOB) |
                          (1ull << VIRTIO_GPU_F_CONTEXT_INIT) |
                          (1ull << VIRTIO_F_VERSION_1)));
    t->ctrl = qvirtqueue_setup(t->vdev, alloc, 0);
    t->cursor = qvirtqueue_setup(t->vdev, alloc, 1);
    qvirtio_set_driver_ok(t->vdev);
    /* Tests share one QEMU: counters are compared to their start. */
    t->lend_base = lend_stats(t);
}

static void gpu_stop(GPUTest *t)
{
    qvirtqueue_cleanup(t->vdev->bus, t->ctrl, t->alloc);
    qvirtqueue_cleanup(t->vdev->bus, t->cursor, t->alloc);
    qobject_unref(t->lend_base);
}

/* Send one request on the control queue; return the response type. */
static uint32_t gpu_cmd(GPUTest *t, const void *req, size_t req_len,
                        void *resp, size_t resp_len)
{
    struct virtio_gpu_ctrl_hdr nodata;
    uint64_t req_addr, resp_addr;
    uint32_t head;

    if (!resp) {
        resp = &nodata;
        resp_len = sizeof(nodata);
    }
    req_addr = guest_alloc(t->alloc, req_len);
    resp_addr = guest_alloc(t->alloc, resp_len);
    qtest_memwrite(t->qts, req_addr, req, req_len);
    qtest_memset(t->qts, resp_addr, 0, resp_len);

    head = qvirtqueue_add(t->qts, t->ctrl, req_addr, req_len, false, true);
    qvirtqueue_add(t->qts, t->ctrl, resp_addr, resp_len, true, false);
    qvirtqueue_kick(t->qts, t->vdev, t->ctrl, head);
    qvirtio_wait_used_elem(t->qts, t->vdev, t->ctrl, head, NULL, TIMEOUT_US);

    qtest_memread(t->qts, resp_addr, resp, resp_len);
    guest_free(t->alloc, req_addr);
    guest_free(t->alloc, resp_addr);
    return le32_to_cpu(((struct virtio_gpu_ctrl_hdr *)resp)->type);
}

static uint32_t gpu_ctx_create(GPUTest *t, uint32_t ctx_id, uint32_t capset)
{
    struct virtio_gpu_ctx_create cc = {
        .hdr.type = VIRTIO_GPU_CMD_CTX_CREATE,
        .hdr.ctx_id = ctx_id,
        .context_init = capset,
        .nlen = 4,
        .debug_name = "test",
    };

    return gpu_cmd(t, &cc, sizeof(cc), NULL, 0);
}

static uint32_t gpu_create_blob(GPUTest *t, uint32_t res, uint64_t size,
                                uint32_t flags)
{
    struct virtio_gpu_resource_create_blob cb = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB,
        .hdr.ctx_id = VENUS_CTX,
        .resource_id = res,
        .blob_mem = VIRTIO_GPU_BLOB_MEM_HOST3D,
        .blob_flags = flags,
        .blob_id = 0,
        .size = size,
    };

    return gpu_cmd(t, &cb, sizeof(cb), NULL, 0);
}

static uint32_t gpu_map(GPUTest *t, uint32_t res, uint64_t offset)
{
    struct virtio_gpu_resource_map_blob mb = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB,
        .hdr.ctx_id = VENUS_CTX,
        .resource_id = res,
        .offset = offset,
    };
    struct virtio_gpu_resp_map_info resp;

    return gpu_cmd(t, &mb, sizeof(mb), &resp, sizeof(resp));
}

static uint32_t gpu_unmap(GPUTest *t, uint32_t res)
{
    struct virtio_gpu_resource_unmap_blob ub = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB,
        .hdr.ctx_id = VENUS_CTX,
        .resource_id = res,
    };

    return gpu_cmd(t, &ub, sizeof(ub), NULL, 0);
}

static uint32_t gpu_unref(GPUTest *t, uint32_t res)
{
    struct virtio_gpu_resource_unref ur = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_UNREF,
        .resource_id = res,
    };

    return gpu_cmd(t, &ur, sizeof(ur), NULL, 0);
}

/* Cursor commands have no response: wait for the device to take one. */
static void gpu_update_cursor(GPUTest *t, uint32_t res)
{
    struct virtio_gpu_update_cursor uc = {
        .hdr.type = VIRTIO_GPU_CMD_UPDATE_CURSOR,
        .pos.scanout_id = 0,
        .resource_id = res,
    };
    uint64_t addr = guest_alloc(t->alloc, sizeof(uc));
    uint32_t head;

    qtest_memwrite(t->qts, addr, &uc, sizeof(uc));
    head = qvirtqueue_add(t->qts, t->cursor, addr, sizeof(uc), false, false);
    qvirtqueue_kick(t->qts, t->vdev, t->cursor, head);
    qvirtio_wait_used_elem(t->qts, t->vdev, t->cursor, head, NULL,
                           TIMEOUT_US);
    guest_free(t->alloc, addr);
}

/* A Venus context with a mappable shared-memory blob. */
static void gpu_venus_blob(GPUTest *t, uint32_t res, uint64_t size)
{
    g_assert_cmphex(gpu_ctx_create(t, VENUS_CTX, VIRTIO_GPU_CAPSET_VENUS), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_create_blob(t, res, size,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
}

static QPCIBar gpu_window(GPUTest *t, uint64_t *size)
{
    return qpci_iomap(t->pdev, 4, size);
}

static void test_pci_layout(void *obj, void *data, QGuestAllocator *alloc)
{
    QVirtioPCIDevice *vpci = obj;
    QPCIDevice *pdev = vpci->pdev;
    uint32_t bar = qpci_config_readl(pdev, PCI_BASE_ADDRESS_4);
    uint64_t size;
    uint8_t cap;
    bool found = false;

    g_assert_cmphex(bar & PCI_BASE_ADDRESS_SPACE, ==,
                    PCI_BASE_ADDRESS_SPACE_MEMORY);
    g_assert_cmphex(bar & PCI_BASE_ADDRESS_MEM_TYPE_MASK, ==,
                    PCI_BASE_ADDRESS_MEM_TYPE_64);
    g_assert_true(bar & PCI_BASE_ADDRESS_MEM_PREFETCH);
    qpci_iomap(pdev, 4, &size);
    g_assert_cmpuint(size, ==, WINDOW_SIZE);

    for (cap = qpci_find_capability(pdev, PCI_CAP_ID_VNDR, 0); cap;
         cap = qpci_find_capability(pdev, PCI_CAP_ID_VNDR, cap)) {
        uint8_t off = cap;

        if (qpci_config_readb(pdev, off + offsetof(struct virtio_pci_cap,
                                                   cfg_type)) !=
            VIRTIO_PCI_CAP_SHARED_MEMORY_CFG) {
            continue;
        }
        g_assert_false(found);
        found = true;
        g_assert_cmpuint(qpci_config_readb(pdev, off +
                         offsetof(struct virtio_pci_cap, bar)), ==, 4);
        g_assert_cmpuint(qpci_config_readb(pdev, off +
                         offsetof(struct virtio_pci_cap, id)), ==,
                         VIRTIO_GPU_SHM_ID_HOST_VISIBLE);
        g_assert_cmpuint(qpci_config_readl(pdev, off +
                         offsetof(struct virtio_pci_cap, offset)), ==, 0);
        g_assert_cmpuint(qpci_config_readl(pdev, off +
                         offsetof(struct virtio_pci_cap, length)), ==,
                         WINDOW_SIZE);
        g_assert_cmpuint(qpci_config_readl(pdev, off +
                         offsetof(struct virtio_pci_cap64, length_hi)), ==, 0);
    }
    g_assert_true(found);
}

static void test_features(void *obj, void *data, QGuestAllocator *alloc)
{
    QVirtioPCIDevice *vpci = obj;
    uint64_t f = qvirtio_get_features(&vpci->vdev);

    /* Linux gates every 3D context, Venus included, on VIRGL. */
    g_assert_true(f & (1ull << VIRTIO_GPU_F_VIRGL));
    g_assert_true(f & (1ull << VIRTIO_GPU_F_EDID));
    g_assert_true(f & (1ull << VIRTIO_GPU_F_RESOURCE_BLOB));
    g_assert_true(f & (1ull << VIRTIO_GPU_F_CONTEXT_INIT));
}

static void test_capsets(void *obj, void *data, QGuestAllocator *alloc)
{
    GPUTest t;
    uint32_t n, i;

    gpu_start(&t, obj, alloc);
    n = qvirtio_config_readl(t.vdev,
                             offsetof(struct virtio_gpu_config, num_capsets));
    /* virgl=off (libqos): Venus alone. */
    g_assert_cmpuint(n, ==, 1);
    /* An index past the last is bad input (test bad-input). */
    for (i = 0; i < n; i++) {
        struct virtio_gpu_get_capset_info req = {
            .hdr.type = VIRTIO_GPU_CMD_GET_CAPSET_INFO,
            .capset_index = i,
        };
        struct virtio_gpu_resp_capset_info resp;

        g_assert_cmphex(gpu_cmd(&t, &req, sizeof(req), &resp, sizeof(resp)),
                        ==, VIRTIO_GPU_RESP_OK_CAPSET_INFO);
        g_assert_cmpuint(resp.capset_id, ==, VIRTIO_GPU_CAPSET_VENUS);
        g_assert_cmpuint(resp.capset_max_size, >, 0);
    }
    gpu_stop(&t);
}

static void test_2d(void *obj, void *data, QGuestAllocator *alloc)
{
    GPUTest t;
    const uint32_t w = 64, h = 32, res = 7;
    uint64_t backing;
    struct virtio_gpu_resource_create_2d c2d = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_2D,
        .resource_id = res,
        .format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM,
        .width = w,
        .height = h,
    };
    struct {
        struct virtio_gpu_resource_attach_backing ab;
        struct virtio_gpu_mem_entry ent;
    } attach = {
        .ab.hdr.type = VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING,
        .ab.resource_id = res,
        .ab.nr_entries = 1,
        .ent.length = w * h * 4,
    };
    struct virtio_gpu_transfer_to_host_2d xfer = {
        .hdr.type = VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D,
        .r = { .width = w, .height = h },
        .resource_id = res,
    };
    struct virtio_gpu_set_scanout scanout = {
        .hdr.type = VIRTIO_GPU_CMD_SET_SCANOUT,
        .r = { .width = w, .height = h },
        .scanout_id = 0,
        .resource_id = res,
    };
    struct virtio_gpu_resource_flush flush = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_FLUSH,
        .r = { .width = w, .height = h },
        .resource_id = res,
    };
    struct virtio_gpu_ctrl_hdr info = {
        .type = VIRTIO_GPU_CMD_GET_DISPLAY_INFO,
    };
    struct virtio_gpu_resp_display_info dinfo;

    gpu_start(&t, obj, alloc);
    backing = guest_alloc(alloc, w * h * 4);
    qtest_memset(t.qts, backing, 0x5a, w * h * 4);
    attach.ent.addr = backing;

    g_assert_cmphex(gpu_cmd(&t, &info, sizeof(info), &dinfo, sizeof(dinfo)),
                    ==, VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
    g_assert_cmphex(gpu_cmd(&t, &c2d, sizeof(c2d), NULL, 0), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_cmd(&t, &attach, sizeof(attach), NULL, 0), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_cmd(&t, &xfer, sizeof(xfer), NULL, 0), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_cmd(&t, &scanout, sizeof(scanout), NULL, 0), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_cmd(&t, &flush, sizeof(flush), NULL, 0), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    /* A second resource with the same id is refused, as upstream does. */
    g_assert_cmphex(gpu_cmd(&t, &c2d, sizeof(c2d), NULL, 0), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);

    /* Scanout of a blob: a bad scanout, an unknown resource. */
    {
        struct virtio_gpu_set_scanout_blob sb = {
            .hdr.type = VIRTIO_GPU_CMD_SET_SCANOUT_BLOB,
            .r = { .width = w, .height = h },
            .scanout_id = 5,
            .resource_id = 99,
            .width = w,
            .height = h,
            .format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM,
            .strides = { w * 4 },
        };

        g_assert_cmphex(gpu_cmd(&t, &sb, sizeof(sb), NULL, 0), ==,
                        VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID);
        sb.scanout_id = 0;
        g_assert_cmphex(gpu_cmd(&t, &sb, sizeof(sb), NULL, 0), ==,
                        VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
    }

    scanout.resource_id = 0;
    g_assert_cmphex(gpu_cmd(&t, &scanout, sizeof(scanout), NULL, 0), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_unref(&t, res), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_unref(&t, res), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
    guest_free(alloc, backing);
    gpu_stop(&t);
}

static void test_venus_map(void *obj, void *data, QGuestAllocator *alloc)
{
    GPUTest t;
    const uint64_t offset = 2 * 1024 * 1024, size = 3 * PAGE;
    QPCIBar window;
    uint8_t wbuf[3 * PAGE], rbuf[3 * PAGE];
    size_t i;

    gpu_start(&t, obj, alloc);
    window = gpu_window(&t, NULL);
    gpu_venus_blob(&t, 1, size);

    g_assert_cmphex(gpu_map(&t, 1, offset), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    for (i = 0; i < sizeof(wbuf); i++) {
        wbuf[i] = i * 7 + 3;
    }
    qpci_memwrite(t.pdev, window, offset, wbuf, sizeof(wbuf));
    qpci_memread(t.pdev, window, offset, rbuf, sizeof(rbuf));
    g_assert_cmpmem(wbuf, sizeof(wbuf), rbuf, sizeof(rbuf));

    /* The data lives in the blob: a remap elsewhere shows the same bytes. */
    g_assert_cmphex(gpu_unmap(&t, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    qpci_memread(t.pdev, window, offset, rbuf, sizeof(rbuf));
    g_assert_true(buffer_is_zero(rbuf, sizeof(rbuf)));

    g_assert_cmphex(gpu_map(&t, 1, 4 * offset), ==,
                    VIRTIO_GPU_RESP_OK_MAP_INFO);
    qpci_memread(t.pdev, window, 4 * offset, rbuf, sizeof(rbuf));
    g_assert_cmpmem(wbuf, sizeof(wbuf), rbuf, sizeof(rbuf));
    g_assert_cmphex(gpu_unmap(&t, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    qpci_memread(t.pdev, window, 4 * offset, rbuf, sizeof(rbuf));
    g_assert_true(buffer_is_zero(rbuf, sizeof(rbuf)));

    g_assert_cmphex(gpu_unref(&t, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    gpu_stop(&t);
}

/* The device's trace of the cursors it took, for the cursor tests. */
static char *cursor_trace;

static void *cursor_trace_before(GString *cmd_line, void *arg)
{
    g_string_append_printf(cmd_line, " -trace enable=virtio_gpu_xen_lend_"
                           "cursor,file=%s ", cursor_trace);
    return arg;
}

/* How many cursors of @res the device took whose first pixel is @pixel. */
static int cursor_traced(uint32_t res, uint32_t pixel)
{
    g_autofree char *log = NULL;
    g_autofree char *line = g_strdup_printf("res 0x%x 64x64 first pixel "
                                            "0x%08x", res, pixel);
    const char *p;
    int n = 0;

    g_assert_true(g_file_get_contents(cursor_trace, &log, NULL, NULL));
    for (p = strstr(log, line); p; p = strstr(p + 1, line)) {
        n++;
    }
    return n;
}

/*
 * A Venus blob as the cursor, mapped and not: its memory is
 * virglrenderer's, not the res->blob that QEMU's 2D cursor code reads
 * (a NULL dereference once).  The cursor shows what the guest wrote.
 */
static void test_blob_cursor(void *obj, void *data, QGuestAllocator *alloc)
{
    GPUTest t;
    const uint64_t size = 64 * 64 * 4;
    QPCIBar window;

    gpu_start(&t, obj, alloc);
    window = gpu_window(&t, NULL);
    gpu_venus_blob(&t, 7, size);
    g_assert_cmphex(gpu_map(&t, 7, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    fill(&t, window, 0, 0x5a, size);
    gpu_update_cursor(&t, 7);
    g_assert_cmpint(cursor_traced(7, 0x5a5a5a5a), ==, 1);

    /* Unmapped, the window shows zeroes; the blob keeps its bytes. */
    g_assert_cmphex(gpu_unmap(&t, 7), ==, VIRTIO_GPU_RESP_OK_NODATA);
    fill(&t, window, 0, 0, size);
    gpu_update_cursor(&t, 7);
    g_assert_cmphex(gpu_unref(&t, 7), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmpint(cursor_traced(7, 0x5a5a5a5a), ==, 2);
    gpu_stop(&t);
}

/* The same with a guest blob, whose memory is the guest's own pages. */
static void test_guest_blob_cursor(void *obj, void *data,
                                   QGuestAllocator *alloc)
{
    GPUTest t;
    const uint64_t size = 64 * 64 * 4;
    struct {
        struct virtio_gpu_resource_create_blob cb;
        struct virtio_gpu_mem_entry entry;
    } QEMU_PACKED req = {
        .cb.hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB,
        .cb.hdr.ctx_id = VENUS_CTX,
        .cb.resource_id = 8,
        .cb.blob_mem = VIRTIO_GPU_BLOB_MEM_GUEST,
        .cb.blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_SHAREABLE,
        .cb.size = size,
        .cb.nr_entries = 1,
        .entry.length = size,
    };
    uint64_t pages;

    gpu_start(&t, obj, alloc);
    pages = guest_alloc(alloc, size);
    qtest_memset(t.qts, pages, 0xa5, size);
    req.entry.addr = pages;
    g_assert_cmphex(gpu_ctx_create(&t, VENUS_CTX, VIRTIO_GPU_CAPSET_VENUS), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_cmd(&t, &req, sizeof(req), NULL, 0), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    gpu_update_cursor(&t, 8);
    g_assert_cmphex(gpu_unref(&t, 8), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmpint(cursor_traced(8, 0xa5a5a5a5), ==, 1);
    guest_free(alloc, pages);
    gpu_stop(&t);
    /* The last test that reads the trace. */
    unlink(cursor_trace);
}

#define SCANOUT_W 64
#define SCANOUT_H 32

static uint32_t gpu_scanout_blob(GPUTest *t,
                                 struct virtio_gpu_set_scanout_blob *sb)
{
    sb->hdr.type = VIRTIO_GPU_CMD_SET_SCANOUT_BLOB;
    return gpu_cmd(t, sb, sizeof(*sb), NULL, 0);
}

static uint32_t gpu_flush(GPUTest *t, uint32_t res, uint32_t x, uint32_t y,
                          uint32_t w, uint32_t h)
{
    struct virtio_gpu_resource_flush rf = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_FLUSH,
        .r = { .x = x, .y = y, .width = w, .height = h },
        .resource_id = res,
    };

    return gpu_cmd(t, &rf, sizeof(rf), NULL, 0);
}

/* Pixel (x, y) of picture @seed, as B8G8R8X8 bytes in memory. */
static uint32_t pattern_pixel(int x, int y, uint8_t seed)
{
    return (uint32_t)(x * 4 + seed) | (uint32_t)(y * 8 + seed) << 8 |
           (uint32_t)((x ^ y) + seed) << 16 | 0xffu << 24;
}

/* Picture @seed, one row of @size bytes each @stride bytes from @offset. */
static uint8_t *pattern(uint8_t seed, uint64_t offset, uint32_t stride,
                        size_t size)
{
    uint8_t *buf = g_malloc0(size);
    uint32_t px;
    int x, y;

    for (y = 0; y < SCANOUT_H; y++) {
        for (x = 0; x < SCANOUT_W; x++) {
            px = cpu_to_le32(pattern_pixel(x, y, seed));
            memcpy(buf + offset + y * stride + x * 4, &px, 4);
        }
    }
    return buf;
}

/* Whether the console of scanout 0 shows what @pixel draws, by screendump. */
static void assert_screen(GPUTest *t, uint32_t (*pixel)(int, int, uint8_t),
                          uint8_t seed)
{
    g_autofree char *path = g_strdup_printf("%s/virtio-gpu-xen-lend-%d.ppm",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *header = g_strdup_printf("P6\n%d %d\n255\n", SCANOUT_W,
                                              SCANOUT_H);
    g_autofree char *ppm = NULL;
    const uint8_t *rgb;
    uint32_t px;
    size_t len;
    QDict *resp;
    int x, y;

    resp = qtest_qmp(t->qts, "{'execute': 'screendump', 'arguments':"
                     " {'filename': %s, 'device': 'gpu'}}", path);
    g_assert_false(qdict_haskey(resp, "error"));
    qobject_unref(resp);
    g_assert_true(g_file_get_contents(path, &ppm, &len, NULL));
    unlink(path);
    g_assert_cmpuint(len, ==, strlen(header) + SCANOUT_W * SCANOUT_H * 3);
    g_assert_cmpmem(ppm, strlen(header), header, strlen(header));
    rgb = (uint8_t *)ppm + strlen(header);
    for (y = 0; y < SCANOUT_H; y++) {
        for (x = 0; x < SCANOUT_W; x++, rgb += 3) {
            px = pixel(x, y, seed);
            g_assert_cmphex(rgb[0] << 16 | rgb[1] << 8 | rgb[2], ==,
                            px & 0xffffff);
        }
    }
}

/* Whether the console of scanout 0 shows picture @seed. */
static void assert_shows(GPUTest *t, uint8_t seed)
{
    assert_screen(t, pattern_pixel, seed);
}

/* The guest-error log of the tests that check what the device logged. */
static char *guest_errors_log;

static void *guest_errors_before(GString *cmd_line, void *arg)
{
    unlink(guest_errors_log);
    g_string_append_printf(cmd_line, " -d guest_errors -D %s ",
                           guest_errors_log);
    return arg;
}

static void assert_logged(const char *what)
{
    g_autofree char *log = NULL;

    g_assert_true(g_file_get_contents(guest_errors_log, &log, NULL, NULL));
    g_assert_nonnull(strstr(log, what));
}

static void assert_not_logged(const char *what)
{
    g_autofree char *log = NULL;

    if (g_file_get_contents(guest_errors_log, &log, NULL, NULL)) {
        g_assert_null(strstr(log, what));
    }
}

/* SET_SCANOUT_BLOB @sb is answered @resp, and @why is logged. */
static void assert_scanout_refused(GPUTest *t,
                                   struct virtio_gpu_set_scanout_blob *sb,
                                   uint32_t resp, const char *why)
{
    g_assert_cmphex(gpu_scanout_blob(t, sb), ==, resp);
    assert_logged(why);
}

/*
 * A Venus blob scanned out with Venus alone: no GL console shows it, so
 * the 2D console must (an assert in dpy_gl_update() once), and bad
 * geometry is refused with the device still working.  @data: how the
 * guest writes the blob, "window" (mapped) or "guest" (its own pages,
 * scattered).
 */
static void test_blob_scanout(void *obj, void *data, QGuestAllocator *alloc)
{
    const bool guest = !strcmp(data, "guest");
    const uint32_t res = 10, stride = (SCANOUT_W + 16) * 4;
    const uint64_t offset = PAGE + 64, size = 4 * PAGE;
    struct virtio_gpu_set_scanout_blob sb = {
        .r = { .width = SCANOUT_W, .height = SCANOUT_H },
        .resource_id = res,
        .width = SCANOUT_W,
        .height = SCANOUT_H,
        .format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM,
        .strides = { stride },
        .offsets = { offset },
    };
    struct {
        struct virtio_gpu_resource_create_blob cb;
        struct virtio_gpu_mem_entry ent[2];
    } QEMU_PACKED gb = {
        .cb.hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB,
        .cb.hdr.ctx_id = VENUS_CTX,
        .cb.resource_id = res,
        .cb.blob_mem = VIRTIO_GPU_BLOB_MEM_GUEST,
        .cb.blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_SHAREABLE,
        .cb.size = size,
        .cb.nr_entries = 2,
        .ent = { { .length = size / 2 }, { .length = size / 2 } },
    };
    struct virtio_gpu_set_scanout_blob bad;
    struct virtio_gpu_ctrl_hdr info = {
        .type = VIRTIO_GPU_CMD_GET_DISPLAY_INFO,
    };
    struct virtio_gpu_resp_display_info dinfo;
    uint64_t pages[3];
    QPCIBar window;
    GPUTest t;
    int i;

    gpu_start(&t, obj, alloc);
    window = gpu_window(&t, NULL);
    if (guest) {
        /* Two halves apart in guest memory: rows straddle them. */
        for (i = 0; i < 3; i++) {
            pages[i] = guest_alloc(alloc, size / 2);
        }
        gb.ent[0].addr = pages[0];
        gb.ent[1].addr = pages[2];
        g_assert_cmphex(gpu_ctx_create(&t, VENUS_CTX,
                                       VIRTIO_GPU_CAPSET_VENUS), ==,
                        VIRTIO_GPU_RESP_OK_NODATA);
        g_assert_cmphex(gpu_cmd(&t, &gb, sizeof(gb), NULL, 0), ==,
                        VIRTIO_GPU_RESP_OK_NODATA);
    } else {
        gpu_venus_blob(&t, res, size);
        g_assert_cmphex(gpu_map(&t, res, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    }

    for (i = 1; i <= 2; i++) {
        g_autofree uint8_t *pic = pattern(i * 0x40, offset, stride, size);

        if (guest) {
            qtest_memwrite(t.qts, pages[0], pic, size / 2);
            qtest_memwrite(t.qts, pages[2], pic + size / 2, size / 2);
        } else {
            qpci_memwrite(t.pdev, window, 0, pic, size);
        }
        if (i == 1) {
            g_assert_cmphex(gpu_scanout_blob(&t, &sb), ==,
                            VIRTIO_GPU_RESP_OK_NODATA);
        }
        g_assert_cmphex(gpu_flush(&t, res, 0, 0, SCANOUT_W, SCANOUT_H), ==,
                        VIRTIO_GPU_RESP_OK_NODATA);
        assert_shows(&t, i * 0x40);
    }

    /* Geometry outside the blob or the framebuffer, and bad fields. */
    bad = sb;
    bad.offsets[0] = size - stride * SCANOUT_H + 1;
    assert_scanout_refused(&t, &bad, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
                           "invalid fb bounds");
    bad = sb;
    bad.strides[0] = SCANOUT_W * 4 - 4;
    assert_scanout_refused(&t, &bad, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
                           "too small for width");
    bad = sb;
    bad.r.x = 1;
    assert_scanout_refused(&t, &bad, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
                           "illegal scanout 0 bounds");
    bad = sb;
    bad.format = 0x1234;
    assert_scanout_refused(&t, &bad, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
                           "couldn't handle guest format");
    bad = sb;
    bad.scanout_id = 16;
    assert_scanout_refused(&t, &bad, VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID,
                           "no scanout 16");
    bad = sb;
    bad.resource_id = 99;
    g_assert_cmphex(gpu_scanout_blob(&t, &bad), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
    g_assert_cmphex(gpu_flush(&t, res, SCANOUT_W, 0, 16, 16), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    assert_logged("outside every scanout");
    g_assert_cmphex(gpu_flush(&t, 99, 0, 0, 16, 16), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);

    /* The device still works, and still shows the blob. */
    g_assert_cmphex(gpu_flush(&t, res, 0, 0, SCANOUT_W, SCANOUT_H), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    assert_shows(&t, 0x80);
    g_assert_cmphex(gpu_cmd(&t, &info, sizeof(info), &dinfo, sizeof(dinfo)),
                    ==, VIRTIO_GPU_RESP_OK_DISPLAY_INFO);

    /* Gone, the blob is no longer shown. */
    g_assert_cmphex(gpu_unref(&t, res), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_flush(&t, res, 0, 0, SCANOUT_W, SCANOUT_H), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
    if (guest) {
        for (i = 0; i < 3; i++) {
            guest_free(alloc, pages[i]);
        }
    }
    gpu_stop(&t);
}

/*
 * Fenced commands complete: one of context 0, for which Venus alone keeps
 * no timeline, and one on a ring of a context that does not exist (each
 * once waited for a fence that nothing would ever retire).
 */
static void test_fences(void *obj, void *data, QGuestAllocator *alloc)
{
    GPUTest t;
    struct virtio_gpu_ctx_create cc = {
        .hdr.type = VIRTIO_GPU_CMD_CTX_CREATE,
        .hdr.flags = VIRTIO_GPU_FLAG_FENCE,
        .hdr.fence_id = 7,
        .hdr.ctx_id = VENUS_CTX,
        .context_init = VIRTIO_GPU_CAPSET_VENUS,
        .nlen = 4,
        .debug_name = "test",
    };
    struct virtio_gpu_ctrl_hdr destroy = {
        .type = VIRTIO_GPU_CMD_CTX_DESTROY,
        .ctx_id = 5,        /* no such context */
        .ring_idx = 1,
    };
    struct virtio_gpu_ctrl_hdr resp;

    gpu_start(&t, obj, alloc);
    g_assert_cmphex(gpu_cmd(&t, &cc, sizeof(cc), &resp, sizeof(resp)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmpuint(le32_to_cpu(resp.flags) & VIRTIO_GPU_FLAG_FENCE, !=, 0);
    g_assert_cmpuint(le64_to_cpu(resp.fence_id), ==, 7);

    destroy.flags = VIRTIO_GPU_FLAG_FENCE | VIRTIO_GPU_FLAG_INFO_RING_IDX;
    g_assert_cmphex(gpu_cmd(&t, &destroy, sizeof(destroy), &resp,
                            sizeof(resp)), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID);
    g_assert_cmphex(gpu_create_blob(&t, 1, PAGE,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    gpu_stop(&t);
}

/*
 * max-mappings bounds the blobs mapped at once, each of which splits the
 * window's host mapping: one more is refused, and a slot freed is usable.
 */
static void test_max_mappings(void *obj, void *data, QGuestAllocator *alloc)
{
    GPUTest t;

    gpu_start(&t, obj, alloc);
    gpu_venus_blob(&t, 1, PAGE);
    g_assert_cmphex(gpu_create_blob(&t, 2, PAGE,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_create_blob(&t, 3, PAGE,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_map(&t, 1, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmphex(gpu_map(&t, 2, 2 * PAGE), ==,
                    VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmphex(gpu_map(&t, 3, 4 * PAGE), ==,
                    VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY);
    assert_logged("the limit (max-mappings)");
    g_assert_cmphex(gpu_unmap(&t, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_map(&t, 3, 4 * PAGE), ==,
                    VIRTIO_GPU_RESP_OK_MAP_INFO);
    /* Unref of a mapped blob frees its place too. */
    g_assert_cmphex(gpu_unref(&t, 2), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_map(&t, 1, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    gpu_stop(&t);
}

static void test_bad_map(void *obj, void *data, QGuestAllocator *alloc)
{
    GPUTest t;
    QPCIBar window;
    uint8_t probe = 0xa5, back;

    gpu_start(&t, obj, alloc);
    window = gpu_window(&t, NULL);
    gpu_venus_blob(&t, 1, 2 * PAGE);

    /* Beyond the window, and an offset that wraps around. */
    g_assert_cmphex(gpu_map(&t, 1, WINDOW_SIZE), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    g_assert_cmphex(gpu_map(&t, 1, WINDOW_SIZE - PAGE), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    g_assert_cmphex(gpu_map(&t, 1, UINT64_MAX - PAGE + 1), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    /* Not page aligned. */
    g_assert_cmphex(gpu_map(&t, 1, PAGE / 2), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    /* Unknown resource. */
    g_assert_cmphex(gpu_map(&t, 99, 0), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);

    /* Double map, then an overlapping map of another blob. */
    g_assert_cmphex(gpu_map(&t, 1, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmphex(gpu_map(&t, 1, 16 * PAGE), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    g_assert_cmphex(gpu_create_blob(&t, 2, PAGE,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_map(&t, 2, PAGE), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    /* Adjacent is fine. */
    g_assert_cmphex(gpu_map(&t, 2, 2 * PAGE), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);

    /* A blob in guest memory: never mappable into the window. */
    {
        struct {
            struct virtio_gpu_resource_create_blob cb;
            struct virtio_gpu_mem_entry ent;
        } guest_blob = {
            .cb.hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB,
            .cb.resource_id = 3,
            .cb.blob_mem = VIRTIO_GPU_BLOB_MEM_GUEST,
            .cb.blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_SHAREABLE,
            .cb.nr_entries = 1,
            .cb.size = PAGE,
            .ent.addr = guest_alloc(alloc, PAGE),
            .ent.length = PAGE,
        };

        g_assert_cmphex(gpu_cmd(&t, &guest_blob, sizeof(guest_blob), NULL, 0),
                        ==, VIRTIO_GPU_RESP_OK_NODATA);
    }
    g_assert_cmphex(gpu_map(&t, 3, 8 * PAGE), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);

    /* Unmap twice, and unmap of something never mapped or unknown. */
    g_assert_cmphex(gpu_unmap(&t, 2), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_unmap(&t, 2), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    g_assert_cmphex(gpu_unmap(&t, 3), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    g_assert_cmphex(gpu_unmap(&t, 98), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);

    /* Unref while mapped cleans the mapping up. */
    qpci_memwrite(t.pdev, window, 0, &probe, 1);
    qpci_memread(t.pdev, window, 0, &back, 1);
    g_assert_cmphex(back, ==, probe);
    g_assert_cmphex(gpu_unref(&t, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    qpci_memread(t.pdev, window, 0, &back, 1);
    g_assert_cmphex(back, ==, 0);
    g_assert_cmphex(gpu_map(&t, 1, 0), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
    /* Its range is free again. */
    g_assert_cmphex(gpu_map(&t, 2, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);

    /* Size 0, context 0, and a capset that is not enabled. */
    g_assert_cmphex(gpu_create_blob(&t, 4, 0,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    g_assert_cmphex(gpu_ctx_create(&t, 0, VIRTIO_GPU_CAPSET_VENUS), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID);
    g_assert_cmphex(gpu_ctx_create(&t, 2, VIRTIO_GPU_CAPSET_VIRGL2), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    g_assert_cmphex(gpu_ctx_create(&t, 3, 0x7f), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);

    /* The device still works. */
    g_assert_cmphex(gpu_unref(&t, 2), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_unref(&t, 3), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_create_blob(&t, 5, PAGE,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_map(&t, 5, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    gpu_stop(&t);
}


/*
 * Bad guest input, field by field: each bad command gets an error
 * response (the one the virtio-gpu spec names where it names one) and a
 * guest-error line, and the next, valid, command still works.
 */
static int64_t guest_errors_size(void)
{
    struct stat st;

    return stat(guest_errors_log, &st) ? 0 : st.st_size;
}

static void assert_refused(GPUTest *t, const char *what, const void *req,
                           size_t len, uint32_t want)
{
    int64_t logged = guest_errors_size();
    struct virtio_gpu_resp_display_info info;
    struct virtio_gpu_ctrl_hdr get_info = {
        .type = VIRTIO_GPU_CMD_GET_DISPLAY_INFO,
    };
    uint8_t resp[256];
    uint32_t got;

    g_test_message("bad input: %s", what);
    got = gpu_cmd(t, req, len, resp, sizeof(resp));
    if (got != want) {
        g_error("%s: response 0x%x, expected 0x%x", what, got, want);
    }
    if (guest_errors_size() <= logged) {
        g_error("%s: no guest error logged", what);
    }
    g_assert_cmphex(gpu_cmd(t, &get_info, sizeof(get_info), &info,
                            sizeof(info)), ==,
                    VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
}

#define REFUSED(t, what, want, ...) \
    do { \
        __typeof__(__VA_ARGS__) req_ = __VA_ARGS__; \
        assert_refused(t, what, &req_, sizeof(req_), want); \
    } while (0)

#define ERR_UNSPEC VIRTIO_GPU_RESP_ERR_UNSPEC
#define ERR_PARAM VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER
#define ERR_RES VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID
#define ERR_CTX VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID
#define ERR_SCANOUT VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID
#define HDR(cmd, ctx) { .type = VIRTIO_GPU_CMD_##cmd, .ctx_id = (ctx) }

static void test_bad_input(void *obj, void *data, QGuestAllocator *alloc)
{
    const uint32_t res2d = 10, blob = 11, none = 77, bad_ctx = 55;
    const uint32_t inert_ctx = 3;
    struct virtio_gpu_resource_create_2d c2d = {
        .hdr = HDR(RESOURCE_CREATE_2D, 0), .resource_id = res2d,
        .format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, .width = 64, .height = 64,
    };
    static const uint32_t header_only[] = {
        VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, VIRTIO_GPU_CMD_CTX_CREATE,
        VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE,
        VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE,
        VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D,
        VIRTIO_GPU_CMD_TRANSFER_FROM_HOST_3D,
        VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB,
        VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB, VIRTIO_GPU_CMD_SET_SCANOUT_BLOB,
        VIRTIO_GPU_CMD_RESOURCE_FLUSH, VIRTIO_GPU_CMD_GET_CAPSET_INFO,
        VIRTIO_GPU_CMD_GET_CAPSET, VIRTIO_GPU_CMD_GET_EDID,
        VIRTIO_GPU_CMD_RESOURCE_UNREF,
    };
    size_t i;
    int64_t logged;
    /*
     * Backing outside RAM, and more than QEMU's bounce buffer: upstream
     * takes one page of it, bounced.
     */
    struct {
        struct virtio_gpu_resource_attach_backing ab;
        struct virtio_gpu_mem_entry ent;
    } unmapped = {
        .ab.hdr = HDR(RESOURCE_ATTACH_BACKING, 0),
        .ab.resource_id = res2d, .ab.nr_entries = 1,
        .ent = { .addr = 0xffffffffff0000ULL, .length = 16 * PAGE },
    };
    GPUTest t;

    gpu_start(&t, obj, alloc);
    gpu_venus_blob(&t, blob, 2 * PAGE);
    g_assert_cmphex(gpu_cmd(&t, &c2d, sizeof(c2d), NULL, 0), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);

    /* The header */
    REFUSED(&t, "unknown command", ERR_UNSPEC,
            (struct virtio_gpu_ctrl_hdr) { .type = 0x0fff });
    REFUSED(&t, "cursor command on the control queue", ERR_UNSPEC,
            (struct virtio_gpu_update_cursor) { .hdr = HDR(UPDATE_CURSOR, 0) });
    /*
     * Truncated: each command answered once (twice broke the queue, and
     * guest RAM).
     */
    for (i = 0; i < ARRAY_SIZE(header_only); i++) {
        struct virtio_gpu_ctrl_hdr hdr = { .type = header_only[i] };
        g_autofree char *what = g_strdup_printf("command 0x%x, header alone",
                                                header_only[i]);

        assert_refused(&t, what, &hdr, sizeof(hdr), ERR_PARAM);
    }

    /*
     * Linux's context of the default capset, made for any file that opens
     * a GEM object: accepted without a word, but it cannot render.
     */
    logged = guest_errors_size();
    g_assert_cmphex(gpu_ctx_create(&t, inert_ctx, 0), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmpint(guest_errors_size(), ==, logged);
    REFUSED(&t, "submit_3d: to an inert context", ERR_PARAM,
            (struct virtio_gpu_cmd_submit) {
                .hdr = HDR(SUBMIT_3D, inert_ctx), .size = 0 });

    /* 2D */
    REFUSED(&t, "create_2d: resource id 0", ERR_RES,
            (struct virtio_gpu_resource_create_2d) {
                .hdr = HDR(RESOURCE_CREATE_2D, 0), .resource_id = 0,
                .format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM,
                .width = 8, .height = 8 });
    REFUSED(&t, "create_2d: resource id in use", ERR_RES, c2d);
    REFUSED(&t, "create_2d: resource id of a blob", ERR_RES,
            (struct virtio_gpu_resource_create_2d) {
                .hdr = HDR(RESOURCE_CREATE_2D, 0), .resource_id = blob,
                .format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM,
                .width = 8, .height = 8 });
    REFUSED(&t, "create_2d: format", ERR_PARAM,
            (struct virtio_gpu_resource_create_2d) {
                .hdr = HDR(RESOURCE_CREATE_2D, 0), .resource_id = 12,
                .format = 0x999, .width = 8, .height = 8 });
    REFUSED(&t, "create_2d: size", VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY,
            (struct virtio_gpu_resource_create_2d) {
                .hdr = HDR(RESOURCE_CREATE_2D, 0), .resource_id = 12,
                .format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM,
                .width = 0x10000, .height = 0x10000 });
    REFUSED(&t, "unref: resource id", ERR_RES,
            (struct virtio_gpu_resource_unref) {
                .hdr = HDR(RESOURCE_UNREF, 0), .resource_id = none });
    REFUSED(&t, "set_scanout: scanout id", ERR_SCANOUT,
            (struct virtio_gpu_set_scanout) {
                .hdr = HDR(SET_SCANOUT, 0), .scanout_id = 99,
                .resource_id = res2d, .r = { .width = 8, .height = 8 } });
    REFUSED(&t, "set_scanout: resource id", ERR_RES,
            (struct virtio_gpu_set_scanout) {
                .hdr = HDR(SET_SCANOUT, 0), .resource_id = none,
                .r = { .width = 8, .height = 8 } });
    REFUSED(&t, "set_scanout: rectangle", ERR_UNSPEC,
            (struct virtio_gpu_set_scanout) {
                .hdr = HDR(SET_SCANOUT, 0), .resource_id = res2d,
                .r = { .x = 60, .width = 8, .height = 8 } });
    REFUSED(&t, "flush: resource id", ERR_RES,
            (struct virtio_gpu_resource_flush) {
                .hdr = HDR(RESOURCE_FLUSH, 0), .resource_id = none,
                .r = { .width = 8, .height = 8 } });
    REFUSED(&t, "flush: rectangle", ERR_PARAM,
            (struct virtio_gpu_resource_flush) {
                .hdr = HDR(RESOURCE_FLUSH, 0), .resource_id = res2d,
                .r = { .y = 0xfffffff0, .width = 8, .height = 0x20 } });
    REFUSED(&t, "transfer_to_host_2d: resource id", ERR_RES,
            (struct virtio_gpu_transfer_to_host_2d) {
                .hdr = HDR(TRANSFER_TO_HOST_2D, 0), .resource_id = none,
                .r = { .width = 8, .height = 8 } });
    REFUSED(&t, "transfer_to_host_2d: rectangle", ERR_UNSPEC,
            (struct virtio_gpu_transfer_to_host_2d) {
                .hdr = HDR(TRANSFER_TO_HOST_2D, 0), .resource_id = res2d,
                .r = { .width = 65, .height = 8 } });
    REFUSED(&t, "transfer_to_host_2d: no backing", ERR_UNSPEC,
            (struct virtio_gpu_transfer_to_host_2d) {
                .hdr = HDR(TRANSFER_TO_HOST_2D, 0), .resource_id = res2d,
                .r = { .width = 8, .height = 8 } });
    REFUSED(&t, "attach_backing: resource id", ERR_RES,
            (struct virtio_gpu_resource_attach_backing) {
                .hdr = HDR(RESOURCE_ATTACH_BACKING, 0),
                .resource_id = none });
    REFUSED(&t, "attach_backing: nr_entries", ERR_UNSPEC,
            (struct virtio_gpu_resource_attach_backing) {
                .hdr = HDR(RESOURCE_ATTACH_BACKING, 0),
                .resource_id = res2d, .nr_entries = 16385 });
    REFUSED(&t, "attach_backing: entries past the request", ERR_UNSPEC,
            (struct virtio_gpu_resource_attach_backing) {
                .hdr = HDR(RESOURCE_ATTACH_BACKING, 0),
                .resource_id = res2d, .nr_entries = 2 });
    assert_refused(&t, "attach_backing: address", &unmapped,
                   sizeof(unmapped), ERR_UNSPEC);
    REFUSED(&t, "detach_backing: resource id", ERR_RES,
            (struct virtio_gpu_resource_detach_backing) {
                .hdr = HDR(RESOURCE_DETACH_BACKING, 0),
                .resource_id = none });
    REFUSED(&t, "get_edid: scanout id", ERR_PARAM,
            (struct virtio_gpu_cmd_get_edid) {
                .hdr = HDR(GET_EDID, 0), .scanout = 99 });

    /* Capsets and contexts */
    REFUSED(&t, "get_capset_info: index", ERR_PARAM,
            (struct virtio_gpu_get_capset_info) {
                .hdr = HDR(GET_CAPSET_INFO, 0), .capset_index = 99 });
    REFUSED(&t, "get_capset: capset id", ERR_PARAM,
            (struct virtio_gpu_get_capset) {
                .hdr = HDR(GET_CAPSET, 0), .capset_id = 0x7f });
    REFUSED(&t, "ctx_create: context id 0", ERR_CTX,
            (struct virtio_gpu_ctx_create) {
                .hdr = HDR(CTX_CREATE, 0),
                .context_init = VIRTIO_GPU_CAPSET_VENUS });
    REFUSED(&t, "ctx_create: context id in use", ERR_CTX,
            (struct virtio_gpu_ctx_create) {
                .hdr = HDR(CTX_CREATE, VENUS_CTX),
                .context_init = VIRTIO_GPU_CAPSET_VENUS });
    REFUSED(&t, "ctx_create: capset", ERR_PARAM,
            (struct virtio_gpu_ctx_create) {
                .hdr = HDR(CTX_CREATE, 2), .context_init = 0x7f });
    REFUSED(&t, "ctx_create: virgl capset with virgl off", ERR_PARAM,
            (struct virtio_gpu_ctx_create) {
                .hdr = HDR(CTX_CREATE, 2),
                .context_init = VIRTIO_GPU_CAPSET_VIRGL2 });
    REFUSED(&t, "ctx_create: name length", ERR_PARAM,
            (struct virtio_gpu_ctx_create) {
                .hdr = HDR(CTX_CREATE, 2), .nlen = 0xffffffff,
                .context_init = VIRTIO_GPU_CAPSET_VENUS });
    REFUSED(&t, "ctx_destroy: context id", ERR_CTX,
            (struct virtio_gpu_ctx_destroy) {
                .hdr = HDR(CTX_DESTROY, bad_ctx) });
    REFUSED(&t, "ctx_attach_resource: context id", ERR_CTX,
            (struct virtio_gpu_ctx_resource) {
                .hdr = HDR(CTX_ATTACH_RESOURCE, bad_ctx),
                .resource_id = blob });
    REFUSED(&t, "ctx_attach_resource: resource id", ERR_RES,
            (struct virtio_gpu_ctx_resource) {
                .hdr = HDR(CTX_ATTACH_RESOURCE, VENUS_CTX),
                .resource_id = none });
    REFUSED(&t, "ctx_detach_resource: context id", ERR_CTX,
            (struct virtio_gpu_ctx_resource) {
                .hdr = HDR(CTX_DETACH_RESOURCE, bad_ctx),
                .resource_id = blob });
    REFUSED(&t, "ctx_detach_resource: resource id", ERR_RES,
            (struct virtio_gpu_ctx_resource) {
                .hdr = HDR(CTX_DETACH_RESOURCE, VENUS_CTX),
                .resource_id = none });
    REFUSED(&t, "submit_3d: context id", ERR_CTX,
            (struct virtio_gpu_cmd_submit) {
                .hdr = HDR(SUBMIT_3D, bad_ctx), .size = 0 });
    REFUSED(&t, "submit_3d: size", ERR_PARAM,
            (struct virtio_gpu_cmd_submit) {
                .hdr = HDR(SUBMIT_3D, VENUS_CTX), .size = 4096 });

    /* 3D resources and blobs */
    REFUSED(&t, "create_3d: with virgl off", ERR_PARAM,
            (struct virtio_gpu_resource_create_3d) {
                .hdr = HDR(RESOURCE_CREATE_3D, 0), .resource_id = 12,
                .width = 8, .height = 8, .depth = 1 });
    REFUSED(&t, "transfer_to_host_3d: resource id", ERR_RES,
            (struct virtio_gpu_transfer_host_3d) {
                .hdr = HDR(TRANSFER_TO_HOST_3D, VENUS_CTX),
                .resource_id = none });
    REFUSED(&t, "transfer_from_host_3d: resource id", ERR_RES,
            (struct virtio_gpu_transfer_host_3d) {
                .hdr = HDR(TRANSFER_FROM_HOST_3D, VENUS_CTX),
                .resource_id = none });
    REFUSED(&t, "create_blob: resource id 0", ERR_RES,
            (struct virtio_gpu_resource_create_blob) {
                .hdr = HDR(RESOURCE_CREATE_BLOB, VENUS_CTX),
                .resource_id = 0, .blob_mem = VIRTIO_GPU_BLOB_MEM_HOST3D,
                .blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE,
                .size = PAGE });
    REFUSED(&t, "create_blob: resource id in use", ERR_RES,
            (struct virtio_gpu_resource_create_blob) {
                .hdr = HDR(RESOURCE_CREATE_BLOB, VENUS_CTX),
                .resource_id = res2d, .blob_mem = VIRTIO_GPU_BLOB_MEM_HOST3D,
                .blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE,
                .size = PAGE });
    REFUSED(&t, "create_blob: context id", ERR_CTX,
            (struct virtio_gpu_resource_create_blob) {
                .hdr = HDR(RESOURCE_CREATE_BLOB, bad_ctx),
                .resource_id = 12, .blob_mem = VIRTIO_GPU_BLOB_MEM_HOST3D,
                .blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE,
                .size = PAGE });
    REFUSED(&t, "create_blob: blob_mem", ERR_PARAM,
            (struct virtio_gpu_resource_create_blob) {
                .hdr = HDR(RESOURCE_CREATE_BLOB, VENUS_CTX),
                .resource_id = 12, .blob_mem = 9, .size = PAGE });
    REFUSED(&t, "create_blob: size 0", ERR_PARAM,
            (struct virtio_gpu_resource_create_blob) {
                .hdr = HDR(RESOURCE_CREATE_BLOB, VENUS_CTX),
                .resource_id = 12, .blob_mem = VIRTIO_GPU_BLOB_MEM_HOST3D,
                .blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE });
    REFUSED(&t, "create_blob: guest nr_entries", ERR_UNSPEC,
            (struct virtio_gpu_resource_create_blob) {
                .hdr = HDR(RESOURCE_CREATE_BLOB, VENUS_CTX),
                .resource_id = 12, .blob_mem = VIRTIO_GPU_BLOB_MEM_GUEST,
                .nr_entries = 16385, .size = PAGE });
    REFUSED(&t, "map_blob: resource id", ERR_RES,
            (struct virtio_gpu_resource_map_blob) {
                .hdr = HDR(RESOURCE_MAP_BLOB, VENUS_CTX),
                .resource_id = none });
    REFUSED(&t, "map_blob: offset", ERR_PARAM,
            (struct virtio_gpu_resource_map_blob) {
                .hdr = HDR(RESOURCE_MAP_BLOB, VENUS_CTX),
                .resource_id = blob, .offset = WINDOW_SIZE });
    REFUSED(&t, "map_blob: a 2D resource", ERR_RES,
            (struct virtio_gpu_resource_map_blob) {
                .hdr = HDR(RESOURCE_MAP_BLOB, VENUS_CTX),
                .resource_id = res2d });
    REFUSED(&t, "unmap_blob: resource id", ERR_RES,
            (struct virtio_gpu_resource_unmap_blob) {
                .hdr = HDR(RESOURCE_UNMAP_BLOB, VENUS_CTX),
                .resource_id = none });
    REFUSED(&t, "unmap_blob: not mapped", ERR_PARAM,
            (struct virtio_gpu_resource_unmap_blob) {
                .hdr = HDR(RESOURCE_UNMAP_BLOB, VENUS_CTX),
                .resource_id = blob });
    REFUSED(&t, "set_scanout_blob: scanout id", ERR_SCANOUT,
            (struct virtio_gpu_set_scanout_blob) {
                .hdr = HDR(SET_SCANOUT_BLOB, 0), .scanout_id = 99,
                .resource_id = blob, .width = 8, .height = 8,
                .format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM,
                .strides = { 32 }, .r = { .width = 8, .height = 8 } });
    REFUSED(&t, "resource_assign_uuid: not offered", ERR_UNSPEC,
            (struct virtio_gpu_resource_assign_uuid) {
                .hdr = HDR(RESOURCE_ASSIGN_UUID, 0), .resource_id = none });

    /* Everything still works. */
    g_assert_cmphex(gpu_map(&t, blob, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmphex(gpu_unref(&t, blob), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_unref(&t, res2d), ==, VIRTIO_GPU_RESP_OK_NODATA);
    gpu_stop(&t);
}

/*
 * Memory lending (lend=emulated under qtest): the slot table and the
 * counters read over QMP, checked against the operations performed.
 */
#define GPU_PATH "/machine/peripheral/gpu/virtio-backend"

static QDict *lend_stats(GPUTest *t)
{
    QDict *resp = qtest_qmp(t->qts, "{'execute': 'qom-get', 'arguments':"
                            " {'path': %s, 'property': 'lend-stats'}}",
                            GPU_PATH);
    QDict *stats = qdict_get_qdict(resp, "return");

    g_assert_nonnull(stats);
    qobject_ref(stats);
    qobject_unref(resp);
    return stats;
}

/* How much counter @name grew since the test started. */
static uint64_t lend_stat(GPUTest *t, const char *name)
{
    QDict *stats = lend_stats(t);
    uint64_t val = qdict_get_int(stats, name) -
                   qdict_get_int(t->lend_base, name);

    qobject_unref(stats);
    return val;
}

/* The slot list; asserts that slots never overlap nor leave the window. */
static QList *lend_slots(GPUTest *t, uint64_t window_gpa)
{
    QDict *resp = qtest_qmp(t->qts, "{'execute': 'qom-get', 'arguments':"
                            " {'path': %s, 'property': 'lend-slots'}}",
                            GPU_PATH);
    QList *slots = qdict_get_qlist(resp, "return");
    const QListEntry *e, *f;

    g_assert_nonnull(slots);
    QLIST_FOREACH_ENTRY(slots, e) {
        QDict *a = qobject_to(QDict, qlist_entry_obj(e));
        uint64_t gpa = qdict_get_int(a, "gpa"), size = qdict_get_int(a, "size");

        g_assert_cmpuint(gpa, >=, window_gpa);
        g_assert_cmpuint(gpa + size, <=, window_gpa + WINDOW_SIZE);
        g_assert_cmpuint(gpa - window_gpa, ==, qdict_get_int(a, "offset"));
        for (f = qlist_next(e); f; f = qlist_next(f)) {
            QDict *b = qobject_to(QDict, qlist_entry_obj(f));

            g_assert_false(ranges_overlap(gpa, size, qdict_get_int(b, "gpa"),
                                          qdict_get_int(b, "size")));
            g_assert_cmpuint(qdict_get_int(a, "slot"), !=,
                             qdict_get_int(b, "slot"));
        }
    }
    qobject_ref(slots);
    qobject_unref(resp);
    return slots;
}

/* Exactly one slot, at @gpa, in @state. */
static void assert_one_slot(GPUTest *t, uint64_t window_gpa, uint64_t gpa,
                            uint64_t size, const char *state)
{
    QList *slots = lend_slots(t, window_gpa);
    QDict *s;

    g_assert_cmpuint(qlist_size(slots), ==, 1);
    s = qobject_to(QDict, qlist_peek(slots));
    g_assert_cmphex(qdict_get_int(s, "gpa"), ==, gpa);
    g_assert_cmphex(qdict_get_int(s, "size"), ==, size);
    g_assert_cmpstr(qdict_get_str(s, "state"), ==, state);
    qobject_unref(slots);
}

static void assert_no_slot(GPUTest *t)
{
    QList *slots = lend_slots(t, 0);

    g_assert_cmpuint(qlist_size(slots), ==, 0);
    qobject_unref(slots);
}

static void lend_set(GPUTest *t, const char *prop, const char *json_value)
{
    QObject *value = qobject_from_json(json_value, &error_abort);
    QDict *resp = qtest_qmp(t->qts, "{'execute': 'qom-set', 'arguments':"
                            " {'path': %s, 'property': %s, 'value': %p}}",
                            GPU_PATH, prop, value);

    g_assert_false(qdict_haskey(resp, "error"));
    qobject_unref(resp);
}

static void fill(GPUTest *t, QPCIBar window, uint64_t offset, uint8_t byte,
                 size_t len)
{
    g_autofree uint8_t *buf = g_malloc(len);

    memset(buf, byte, len);
    qpci_memwrite(t->pdev, window, offset, buf, len);
}

static bool reads_as(GPUTest *t, QPCIBar window, uint64_t offset,
                     uint8_t byte, size_t len)
{
    g_autofree uint8_t *buf = g_malloc(len);
    size_t i;

    qpci_memread(t->pdev, window, offset, buf, len);
    for (i = 0; i < len; i++) {
        if (buf[i] != byte) {
            return false;
        }
    }
    return true;
}

#define BLOB (4 * PAGE)
#define AT (8 * PAGE)

static QPCIBar lend_setup(GPUTest *t, void *obj, QGuestAllocator *alloc)
{
    QPCIBar window;

    gpu_start(t, obj, alloc);
    window = gpu_window(t, NULL);
    gpu_venus_blob(t, 1, BLOB);
    g_assert_cmpstr(qdict_get_str(t->lend_base, "mode"), ==, "emulated");
    return window;
}

static void test_lend_map_unmap(void *obj, void *data, QGuestAllocator *alloc)
{
    GPUTest t;
    QPCIBar window = lend_setup(&t, obj, alloc);

    assert_no_slot(&t);
    g_assert_cmphex(gpu_map(&t, 1, AT), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    assert_one_slot(&t, window.addr, window.addr + AT, BLOB, "lent");
    g_assert_cmpuint(lend_stat(&t, "lends"), ==, 1);
    g_assert_cmpuint(lend_stat(&t, "lent-pages"), ==, BLOB / PAGE);

    fill(&t, window, AT, 0x11, BLOB);
    g_assert_true(reads_as(&t, window, AT, 0x11, BLOB));
    /* A lent range is reached directly: nothing trapped. */
    g_assert_cmpuint(lend_stat(&t, "trap-accesses"), ==, 0);

    /* The response comes only after the unlend returned. */
    g_assert_cmphex(gpu_unmap(&t, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmpuint(lend_stat(&t, "unlends"), ==, 1);
    assert_no_slot(&t);
    g_assert_true(reads_as(&t, window, AT, 0, BLOB));

    /* A large blob is one lend call, kept whole at a 2 MiB offset. */
    g_assert_cmphex(gpu_create_blob(&t, 2, 4 * MiB,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_map(&t, 2, 2 * MiB), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    assert_one_slot(&t, window.addr, window.addr + 2 * MiB, 4 * MiB, "lent");
    g_assert_cmpuint(lend_stat(&t, "lends"), ==, 2);
    g_assert_cmpuint(lend_stat(&t, "lent-pages"), ==,
                     BLOB / PAGE + 4 * MiB / PAGE);
    g_assert_cmphex(gpu_unref(&t, 2), ==, VIRTIO_GPU_RESP_OK_NODATA);
    assert_no_slot(&t);

    /* So does RESOURCE_UNREF of a mapped blob. */
    g_assert_cmphex(gpu_map(&t, 1, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmphex(gpu_unref(&t, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmpuint(lend_stat(&t, "lends"), ==, 3);
    g_assert_cmpuint(lend_stat(&t, "unlends"), ==, 3);
    assert_no_slot(&t);
    gpu_stop(&t);
}

/* What query-xen-lend says of the device: the same as qom-get. */
static void assert_query_matches_qom(GPUTest *t, uint64_t window_gpa,
                                     size_t nslots)
{
    QDict *resp = qtest_qmp(t->qts, "{'execute': 'query-xen-lend'}");
    QList *list = qdict_get_qlist(resp, "return");
    QDict *info, *stats;
    QList *slots;

    g_assert_nonnull(list);
    g_assert_cmpuint(qlist_size(list), ==, 1);
    info = qobject_to(QDict, qlist_peek(list));
    g_assert_cmpstr(qdict_get_str(info, "qom-path"), ==, GPU_PATH);
    stats = lend_stats(t);
    g_assert_true(qobject_is_equal(qdict_get(info, "stats"),
                                   QOBJECT(stats)));
    g_assert_cmpint(qdict_get_int(stats, "slots"), ==, nslots);
    slots = lend_slots(t, window_gpa);
    g_assert_cmpuint(qlist_size(slots), ==, nslots);
    g_assert_true(qobject_is_equal(qdict_get(info, "slots"),
                                   QOBJECT(slots)));
    qobject_unref(slots);
    qobject_unref(stats);
    qobject_unref(resp);
}

static void test_lend_query(void *obj, void *data, QGuestAllocator *alloc)
{
    GPUTest t;
    QPCIBar window = lend_setup(&t, obj, alloc);

    assert_query_matches_qom(&t, window.addr, 0);
    g_assert_cmphex(gpu_map(&t, 1, AT), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    assert_query_matches_qom(&t, window.addr, 1);
    assert_one_slot(&t, window.addr, window.addr + AT, BLOB, "lent");
    g_assert_cmphex(gpu_unmap(&t, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    assert_query_matches_qom(&t, window.addr, 0);
    gpu_stop(&t);
}

/* Without the device, query-xen-lend answers an empty list. */
static void test_query_no_device(void)
{
    QTestState *qts = qtest_init("-display none");
    QDict *resp = qtest_qmp(qts, "{'execute': 'query-xen-lend'}");

    g_assert_nonnull(qdict_get_qlist(resp, "return"));
    g_assert_cmpuint(qlist_size(qdict_get_qlist(resp, "return")), ==, 0);
    qobject_unref(resp);
    qtest_quit(qts);
}

static void test_lend_reset(void *obj, void *data, QGuestAllocator *alloc)
{
    GPUTest t;
    QPCIBar window = lend_setup(&t, obj, alloc);

    g_assert_cmphex(gpu_map(&t, 1, AT), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    fill(&t, window, AT, 0x22, BLOB);
    /* Between blobs: host memory the guest dirtied, kept until reset. */
    fill(&t, window, 2 * AT, 0x33, PAGE);
    g_assert_true(reads_as(&t, window, 2 * AT, 0x33, PAGE));
    qvirtio_reset(t.vdev);
    assert_no_slot(&t);
    g_assert_cmpuint(lend_stat(&t, "unlends"), ==, 1);
    g_assert_true(reads_as(&t, window, AT, 0, BLOB));
    g_assert_true(reads_as(&t, window, 2 * AT, 0, PAGE));
    gpu_stop(&t);
}

static void test_lend_bar_move(void *obj, void *data, QGuestAllocator *alloc)
{
    GPUTest t;
    QPCIBar window = lend_setup(&t, obj, alloc);
    uint64_t old = window.addr, moved = window.addr + WINDOW_SIZE;
    uint16_t cmd;

    g_assert_cmphex(gpu_map(&t, 1, AT), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    fill(&t, window, AT, 0x33, BLOB);

    /* The guest reprograms BAR 4 (libqos keeps it below 4 GiB). */
    g_assert_cmpuint(moved + WINDOW_SIZE, <=, 1ull << 32);
    qpci_config_writel(t.pdev, PCI_BASE_ADDRESS_4,
                       moved | PCI_BASE_ADDRESS_MEM_TYPE_64 |
                       PCI_BASE_ADDRESS_MEM_PREFETCH);
    assert_one_slot(&t, moved, moved + AT, BLOB, "lent");
    g_assert_cmpuint(lend_stat(&t, "lends"), ==, 2);
    g_assert_cmpuint(lend_stat(&t, "unlends"), ==, 1);
    window.addr = moved;
    g_assert_true(reads_as(&t, window, AT, 0x33, BLOB));
    window.addr = old;
    g_assert_false(reads_as(&t, window, AT, 0x33, 16));

    /* Memory decoding off: nothing lent; back on: lent again. */
    cmd = qpci_config_readw(t.pdev, PCI_COMMAND);
    qpci_config_writew(t.pdev, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
    assert_no_slot(&t);
    g_assert_cmpuint(lend_stat(&t, "unlends"), ==, 2);
    qpci_config_writew(t.pdev, PCI_COMMAND, cmd);
    assert_one_slot(&t, moved, moved + AT, BLOB, "lent");
    g_assert_cmpuint(lend_stat(&t, "lends"), ==, 3);
    window.addr = moved;
    g_assert_true(reads_as(&t, window, AT, 0x33, BLOB));
    gpu_stop(&t);
}

/*
 * A BAR across the top of the 32-bit PCI space, where the IOAPIC, HPET
 * and local APIC take priority: the window decodes only in part, so
 * nothing is lent, not even the blob in the part that decodes (once the
 * blob under the IOAPIC was lent).  That part reads the blob through the
 * memory map.
 */
static void test_lend_bar_partial(void *obj, void *data,
                                  QGuestAllocator *alloc)
{
    GPUTest t;
    QPCIBar window = lend_setup(&t, obj, alloc);
    QList *slots;
    const uint64_t ioapic = 0xfec00000;
    uint64_t old = window.addr, across = QEMU_ALIGN_DOWN(ioapic, WINDOW_SIZE);

    g_assert_cmpuint(across + WINDOW_SIZE, ==, 1ull << 32);
    g_assert_cmphex(gpu_create_blob(&t, 2, BLOB,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_map(&t, 1, AT), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmphex(gpu_map(&t, 2, ioapic - across), ==,
                    VIRTIO_GPU_RESP_OK_MAP_INFO);
    fill(&t, window, AT, 0x66, BLOB);
    slots = lend_slots(&t, old);
    g_assert_cmpuint(qlist_size(slots), ==, 2);
    qobject_unref(slots);

    qpci_config_writel(t.pdev, PCI_BASE_ADDRESS_4,
                       across | PCI_BASE_ADDRESS_MEM_TYPE_64 |
                       PCI_BASE_ADDRESS_MEM_PREFETCH);
    assert_no_slot(&t);
    window.addr = across;
    g_assert_true(reads_as(&t, window, AT, 0x66, BLOB));

    /* Back where it all decodes: both lent again. */
    qpci_config_writel(t.pdev, PCI_BASE_ADDRESS_4,
                       old | PCI_BASE_ADDRESS_MEM_TYPE_64 |
                       PCI_BASE_ADDRESS_MEM_PREFETCH);
    g_assert_cmpuint(lend_stat(&t, "lends"), ==, 4);
    window.addr = old;
    g_assert_true(reads_as(&t, window, AT, 0x66, BLOB));
    g_assert_cmphex(gpu_unref(&t, 2), ==, VIRTIO_GPU_RESP_OK_NODATA);
    gpu_stop(&t);
}

static void test_lend_revoke(void *obj, void *data, QGuestAllocator *alloc)
{
    GPUTest t;
    QPCIBar window = lend_setup(&t, obj, alloc);

    g_assert_cmphex(gpu_map(&t, 1, AT), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    fill(&t, window, AT, 0x44, BLOB);

    lend_set(&t, "x-lend-revoke", "-1");
    assert_one_slot(&t, window.addr, window.addr + AT, BLOB, "revoked");
    g_assert_cmpuint(lend_stat(&t, "revocations"), ==, 1);

    /* The host GPU writes the blob while the guest has no mapping. */
    lend_set(&t, "x-blob-fill", "'1,4096,4096,85'");

    /* The next access faults, is lent again and sees the host's bytes. */
    g_assert_true(reads_as(&t, window, AT + PAGE, 85, PAGE));
    g_assert_cmpuint(lend_stat(&t, "faults"), ==, 1);
    g_assert_cmpuint(lend_stat(&t, "relends"), ==, 1);
    assert_one_slot(&t, window.addr, window.addr + AT, BLOB, "lent");
    g_assert_true(reads_as(&t, window, AT, 0x44, PAGE));
    g_assert_cmpuint(lend_stat(&t, "faults"), ==, 1);

    /* A slot that does not exist. */
    {
        QDict *resp = qtest_qmp(t.qts, "{'execute': 'qom-set', 'arguments':"
                                " {'path': %s, 'property': 'x-lend-revoke',"
                                " 'value': 99}}", GPU_PATH);

        g_assert_true(qdict_haskey(resp, "error"));
        qobject_unref(resp);
    }
    gpu_stop(&t);
}

static void test_lend_fail(void *obj, void *data, QGuestAllocator *alloc)
{
    GPUTest t;
    QPCIBar window = lend_setup(&t, obj, alloc);

    /* A failed lend leaves the range trapped, and correct. */
    lend_set(&t, "x-lend-fail", "true");
    g_assert_cmphex(gpu_map(&t, 1, AT), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    assert_one_slot(&t, window.addr, window.addr + AT, BLOB, "trapped");
    g_assert_cmpuint(lend_stat(&t, "failures"), ==, 1);
    g_assert_cmpuint(lend_stat(&t, "lends"), ==, 0);
    fill(&t, window, AT, 0x66, PAGE);
    g_assert_true(reads_as(&t, window, AT, 0x66, PAGE));
    g_assert_cmpuint(lend_stat(&t, "trap-accesses"), >, 0);
    lend_set(&t, "x-blob-fill", "'1,0,8,119'");
    g_assert_true(reads_as(&t, window, AT, 119, 8));
    lend_set(&t, "x-lend-fail", "false");
    g_assert_cmphex(gpu_unmap(&t, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    assert_no_slot(&t);
    g_assert_cmpuint(lend_stat(&t, "unlends"), ==, 0);
    g_assert_true(reads_as(&t, window, AT, 0, PAGE));
    gpu_stop(&t);
}

/* Re-lend fails: lend-fault-policy decides what the guest sees. */
static void test_lend_fault_policy(void *obj, void *data,
                                   QGuestAllocator *alloc)
{
    const char *policy = data;
    GPUTest t;
    QPCIBar window = lend_setup(&t, obj, alloc);

    g_assert_cmphex(gpu_map(&t, 1, AT), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    fill(&t, window, AT, 0x77, BLOB);
    lend_set(&t, "x-lend-fail", "true");
    lend_set(&t, "x-lend-revoke", "-1");

    /*
     * A failed access reads as 0 too: only the guest-error log tells
     * inject from zero.
     */
    if (!strcmp(policy, "zero")) {
        g_assert_true(reads_as(&t, window, AT, 0, 64));
        /* Writes land on the zero page, not in the blob. */
        fill(&t, window, AT, 0x78, 8);
        assert_not_logged("access fails");
    } else {
        g_assert_false(reads_as(&t, window, AT, 0x77, 1));
        assert_logged("access fails");
    }
    g_assert_cmpuint(lend_stat(&t, "faults"), >, 0);
    g_assert_cmpuint(lend_stat(&t, "failures"), ==,
                     lend_stat(&t, "faults"));
    g_assert_cmpuint(lend_stat(&t, "relends"), ==, 0);
    assert_one_slot(&t, window.addr, window.addr + AT, BLOB, "revoked");

    /* Once pages can be had again, the device keeps working. */
    lend_set(&t, "x-lend-fail", "false");
    g_assert_true(reads_as(&t, window, AT, 0x77, BLOB));
    g_assert_cmpuint(lend_stat(&t, "relends"), ==, 1);
    assert_one_slot(&t, window.addr, window.addr + AT, BLOB, "lent");
    g_assert_cmphex(gpu_unmap(&t, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    gpu_stop(&t);
}

static void test_lend_trap_mode(void *obj, void *data, QGuestAllocator *alloc)
{
    GPUTest t;
    QPCIBar window;

    gpu_start(&t, obj, alloc);
    window = gpu_window(&t, NULL);
    gpu_venus_blob(&t, 1, BLOB);
    g_assert_cmpstr(qdict_get_str(t.lend_base, "mode"), ==, "trap");
    g_assert_cmphex(gpu_map(&t, 1, AT), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    assert_one_slot(&t, window.addr, window.addr + AT, BLOB, "trapped");
    fill(&t, window, AT, 0x55, PAGE);
    g_assert_true(reads_as(&t, window, AT, 0x55, PAGE));
    g_assert_cmpuint(lend_stat(&t, "trap-accesses"), ==, 2 * PAGE / 8);
    /* Trap mode is not a failure. */
    g_assert_cmpuint(lend_stat(&t, "failures"), ==, 0);
    g_assert_cmphex(gpu_unmap(&t, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    assert_no_slot(&t);
    gpu_stop(&t);
}


/* x-map=per-blob: upstream's method, with the unmap that waits for RCU. */
/* The number of mappings in QEMU's address space. */
static int host_mappings(GPUTest *t)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/maps",
                                            (int)qtest_pid(t->qts));
    g_autofree char *maps = NULL;
    int lines = 0;
    char *p;

    g_assert_true(g_file_get_contents(path, &maps, NULL, NULL));
    for (p = maps; *p; p++) {
        lines += *p == '\n';
    }
    return lines;
}

#define RESET_CYCLES 16

static void test_per_blob(void *obj, void *data, QGuestAllocator *alloc)
{
    GPUTest t;
    QPCIBar window = lend_setup(&t, obj, alloc);
    int64_t maps = qom_get_int(t.qts, GPU_PATH, "region-maps");
    int mappings, i;

    g_assert_cmphex(gpu_map(&t, 1, AT), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmpint(qom_get_int(t.qts, GPU_PATH, "region-maps"), ==,
                    maps + 1);
    assert_one_slot(&t, window.addr, window.addr + AT, BLOB, "lent");
    fill(&t, window, AT, 0x3c, BLOB);
    g_assert_true(reads_as(&t, window, AT, 0x3c, BLOB));
    lend_set(&t, "x-blob-fill", "'1,0,16,60'");
    g_assert_true(reads_as(&t, window, AT, 60, 16));

    /* Revocation and re-lend work on a per-blob region too. */
    lend_set(&t, "x-lend-revoke", "-1");
    g_assert_true(reads_as(&t, window, AT + 16, 0x3c, 16));
    g_assert_cmpuint(lend_stat(&t, "relends"), ==, 1);

    g_assert_cmphex(gpu_unmap(&t, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    assert_no_slot(&t);
    g_assert_true(reads_as(&t, window, AT, 0, BLOB));

    /* Unref while mapped, then a blob left mapped across a reset. */
    g_assert_cmphex(gpu_map(&t, 1, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmphex(gpu_unref(&t, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_true(reads_as(&t, window, 0, 0, BLOB));
    g_assert_cmphex(gpu_create_blob(&t, 2, BLOB,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_map(&t, 2, AT), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmphex(gpu_create_blob(&t, 3, BLOB,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_map(&t, 3, 2 * AT), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmpint(qom_get_int(t.qts, GPU_PATH, "region-maps"), ==,
                    maps + 4);
    qvirtio_reset(t.vdev);
    assert_no_slot(&t);
    g_assert_true(reads_as(&t, window, AT, 0, BLOB));
    g_assert_true(reads_as(&t, window, 2 * AT, 0, BLOB));

    /* Each region the reset let go unblocked the queue once. */
    gpu_stop(&t);
    qvirtio_start_device(t.vdev);
    gpu_start(&t, obj, alloc);
    g_assert_cmphex(gpu_ctx_create(&t, VENUS_CTX, VIRTIO_GPU_CAPSET_VENUS), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);

    /*
     * Nor does a reset leave virglrenderer's mapping of a blob behind:
     * each cycle leaked one before, and they add up.
     */
    mappings = host_mappings(&t);
    for (i = 0; i < RESET_CYCLES; i++) {
        g_assert_cmphex(gpu_create_blob(&t, 1, BLOB,
                                        VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE),
                        ==, VIRTIO_GPU_RESP_OK_NODATA);
        g_assert_cmphex(gpu_map(&t, 1, AT), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
        qvirtio_reset(t.vdev);
        gpu_stop(&t);
        qvirtio_start_device(t.vdev);
        gpu_start(&t, obj, alloc);
        g_assert_cmphex(gpu_ctx_create(&t, VENUS_CTX,
                                       VIRTIO_GPU_CAPSET_VENUS), ==,
                        VIRTIO_GPU_RESP_OK_NODATA);
    }
    /* The regions go in the RCU thread, a little later. */
    for (i = 0; i < 100 && host_mappings(&t) >= mappings + RESET_CYCLES / 2;
         i++) {
        g_usleep(20 * 1000);
    }
    g_assert_cmpint(host_mappings(&t), <, mappings + RESET_CYCLES / 2);
    gpu_stop(&t);
}

/*
 * The fake privcmd to preload: $XEN_LEND_FAKE_PRIVCMD, else the one the
 * build put beside this test, so that plain "meson test" runs the
 * privcmd tests too.  NULL if there is none.
 */
static const char *fake_privcmd(void)
{
    static char *path;
    g_autofree char *exe = NULL;
    g_autofree char *dir = NULL;

    if (getenv("XEN_LEND_FAKE_PRIVCMD")) {
        return getenv("XEN_LEND_FAKE_PRIVCMD");
    }
    if (!path) {
        exe = g_file_read_link("/proc/self/exe", NULL);
        dir = exe ? g_path_get_dirname(exe) : g_strdup(".");
        path = g_build_filename(dir, "xen-lend-fake-privcmd.so", NULL);
    }
    return access(path, R_OK) ? NULL : path;
}

/* Whether there is a fake privcmd; the test is skipped, saying so, if not. */
static bool need_fake_privcmd(void)
{
    if (!fake_privcmd()) {
        g_test_skip("no xen-lend-fake-privcmd.so beside the test:"
                    " set XEN_LEND_FAKE_PRIVCMD");
        return false;
    }
    return true;
}

/*
 * lend=privcmd against a fake privcmd (xen-lend-fake-privcmd.c, preloaded
 * into QEMU) that checks each call as the kernel would and logs it.
 */
static QTestState *privcmd_qemu(const char *env, const char *log,
                                const char *device_opts)
{
    const char *shim = fake_privcmd();
    g_autofree char *cmd = NULL;
    g_autofree char *args = NULL;

    cmd = g_strdup_printf("env LD_PRELOAD=%s FAKE_PRIVCMD_LOG=%s %s %s",
                          shim, log, env, getenv("QTEST_QEMU_BINARY"));
    g_setenv("XEN_LEND_PRIVCMD_QEMU", cmd, true);
    args = g_strdup_printf("-M pc -display none %s", device_opts);
    return qtest_init_with_env("XEN_LEND_PRIVCMD_QEMU", args, true);
}

/* A QEMU of a test's own with the device at 04.0, and libqos to drive it. */
typedef struct GPURig {
    QGuestAllocator alloc;
    QPCIBus *bus;
    QVirtioPCIDevice *dev;
} GPURig;

static void gpu_rig_start(GPURig *rig, GPUTest *t, QTestState *qts)
{
    t->qts = qts;
    pc_alloc_init(&rig->alloc, t->qts, ALLOC_NO_FLAGS);
    rig->bus = qpci_new_pc(t->qts, &rig->alloc);
    rig->dev = virtio_pci_new(rig->bus,
                              &(QPCIAddress) { .devfn = QPCI_DEVFN(4, 0) });
    qvirtio_pci_device_enable(rig->dev);
    qvirtio_start_device(&rig->dev->vdev);
    gpu_start(t, rig->dev, &rig->alloc);
}

static void gpu_rig_stop(GPURig *rig, GPUTest *t)
{
    qvirtio_pci_device_disable(rig->dev);
    g_free(rig->dev->pdev);
    g_free(rig->dev);
    qpci_free_pc(rig->bus);
    alloc_destroy(&rig->alloc);
    qtest_quit(t->qts);
}

/* The device over the fake privcmd. */
static void privcmd_rig_start(GPURig *rig, GPUTest *t, const char *env,
                              const char *log, const char *device_opts)
{
    g_autofree char *opts = g_strdup_printf(
        "-device virtio-gpu-xen-lend-pci,lend=privcmd,%shostmem=64M,"
        "addr=04.0,id=gpu", device_opts);

    unlink(log);
    gpu_rig_start(rig, t, privcmd_qemu(env, log, opts));
    g_assert_cmpstr(qdict_get_str(t->lend_base, "mode"), ==, "privcmd");
}

/* The calls the fake privcmd saw, none of them against the ABI. */
static char *privcmd_calls(const char *log)
{
    char *calls;

    g_assert_true(g_file_get_contents(log, &calls, NULL, NULL));
    g_test_message("fake privcmd calls: %.4000s", calls);
    g_assert_null(strstr(calls, "VIOLATION"));
    return calls;
}

static void test_privcmd(void)
{
    g_autofree char *log = g_strdup_printf("%s/fake-privcmd-%d.log",
                                           g_get_tmp_dir(), getpid());
    g_autofree char *calls = NULL;
    g_autofree char *expect = NULL;
    GPURig rig;
    QPCIBar window;
    GPUTest t;

    if (!need_fake_privcmd()) {
        return;
    }
    privcmd_rig_start(&rig, &t, "", log, "lend-fault-policy=inject,");
    window = gpu_window(&t, NULL);

    gpu_venus_blob(&t, 1, BLOB);
    g_assert_cmphex(gpu_map(&t, 1, AT), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    assert_one_slot(&t, window.addr, window.addr + AT, BLOB, "lent");
    g_assert_cmphex(gpu_unmap(&t, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_map(&t, 1, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    qpci_config_writel(t.pdev, PCI_BASE_ADDRESS_4,
                       (window.addr + WINDOW_SIZE) |
                       PCI_BASE_ADDRESS_MEM_TYPE_64 |
                       PCI_BASE_ADDRESS_MEM_PREFETCH);
    assert_one_slot(&t, window.addr + WINDOW_SIZE, window.addr + WINDOW_SIZE,
                    BLOB, "lent");
    g_assert_cmpuint(lend_stat(&t, "lends"), ==, 3);
    g_assert_cmpuint(lend_stat(&t, "unlends"), ==, 2);

    /* x-lend-revoke takes the slot back from the kernel for real ... */
    lend_set(&t, "x-lend-revoke", "-1");
    assert_one_slot(&t, window.addr + WINDOW_SIZE, window.addr + WINDOW_SIZE,
                    BLOB, "revoked");
    /* ... and the guest's next access faults and lends it again. */
    qtest_readb(t.qts, window.addr + WINDOW_SIZE);
    assert_one_slot(&t, window.addr + WINDOW_SIZE, window.addr + WINDOW_SIZE,
                    BLOB, "lent");
    /*
     * The kernel revokes unseen, so an access that reaches QEMU in a lent
     * range is a fault too: here, without Xen, every access is one.
     */
    lend_set(&t, "x-lend-zap", "-1");
    qtest_readb(t.qts, window.addr + WINDOW_SIZE + BLOB - 1);
    g_assert_cmpuint(lend_stat(&t, "revocations"), ==, 1);
    g_assert_cmpuint(lend_stat(&t, "faults"), ==, 2);
    g_assert_cmpuint(lend_stat(&t, "relends"), ==, 2);
    g_assert_cmpuint(lend_stat(&t, "trap-accesses"), ==, 0);
    gpu_stop(&t);
    gpu_rig_stop(&rig, &t);

    /* Each call the device made, in order, as the fake kernel saw it. */
    calls = privcmd_calls(log);
    expect = g_strdup_printf(
        "open\nrestrict domid=0\nquery\n"
        "lend slot=0 gpa=0x%" PRIx64 " size=0x%x flags=0x%x"
        " 2m-congruent=1\n"
        "unlend slot=0\n"
        "lend slot=1 gpa=0x%" PRIx64 " size=0x%x flags=0x%x"
        " 2m-congruent=1\n"
        "unlend slot=1\n"
        "lend slot=2 gpa=0x%" PRIx64 " size=0x%x flags=0x%x"
        " 2m-congruent=1\n"
        "unlend slot=2\n"
        "lend slot=2 gpa=0x%" PRIx64 " size=0x%x flags=0x%x"
        " 2m-congruent=1\n"
        "lend slot=2 gpa=0x%" PRIx64 " size=0x%x flags=0x%x"
        " 2m-congruent=1\n",
        window.addr + AT, BLOB, PRIVCMD_LEND_FAULT_INJECT,
        window.addr, BLOB, PRIVCMD_LEND_FAULT_INJECT,
        window.addr + WINDOW_SIZE, BLOB, PRIVCMD_LEND_FAULT_INJECT,
        window.addr + WINDOW_SIZE, BLOB, PRIVCMD_LEND_FAULT_INJECT,
        window.addr + WINDOW_SIZE, BLOB, PRIVCMD_LEND_FAULT_INJECT);
    g_assert_cmpstr(calls, ==, expect);
    unlink(log);
}

/*
 * What only a real lender shows: the response to an unmap or unref comes
 * after the unlend returned, and a blob at a 2 MiB aligned offset is lent
 * from a 2 MiB aligned host address, so that Xen can use large pages.
 * The fake privcmd takes 200 ms to unlend and logs it once done: a device
 * that answered first would be caught here reading a log without it.
 */
static void test_privcmd_unlend_first(void)
{
    g_autofree char *log = g_strdup_printf("%s/fake-privcmd-order-%d.log",
                                           g_get_tmp_dir(), getpid());
    g_autofree char *expect = NULL;
    char *calls;
    GPURig rig;
    QPCIBar window;
    GPUTest t;

    if (!need_fake_privcmd()) {
        return;
    }
    privcmd_rig_start(&rig, &t, "FAKE_PRIVCMD_UNLEND_DELAY_MS=200", log, "");
    window = gpu_window(&t, NULL);

    gpu_venus_blob(&t, 1, 4 * MiB);
    g_assert_cmphex(gpu_map(&t, 1, 2 * MiB), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmphex(gpu_unmap(&t, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    calls = privcmd_calls(log);
    expect = g_strdup_printf("lend slot=0 gpa=0x%" PRIx64 " size=0x%x"
                             " flags=0x%x 2m-congruent=1\nunlend slot=0\n",
                             window.addr + 2 * MiB, (unsigned)(4 * MiB),
                             PRIVCMD_LEND_FAULT_ZERO);
    g_assert_true(g_str_has_suffix(calls, expect));
    g_free(calls);

    /* RESOURCE_UNREF of a mapped blob unlends it first too. */
    g_assert_cmphex(gpu_map(&t, 1, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmphex(gpu_unref(&t, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    calls = privcmd_calls(log);
    g_assert_true(g_str_has_suffix(calls, "unlend slot=1\n"));
    g_free(calls);
    gpu_stop(&t);
    gpu_rig_stop(&rig, &t);
    unlink(log);
}

/*
 * Model-based randomized test: a seeded random walk over what the guest
 * and the host do (create, map, unmap, unref, window accesses,
 * revocation, lend failure, reset, BAR moves, memory decoding), checked
 * after every step against a model of what must be lent and of what the
 * guest must read.  A failure prints the seed and the shortest list of
 * steps that still fails.  VGXL_MODEL_STEPS (5000) and VGXL_MODEL_SEED
 * (random) set the walk, VGXL_MODEL_TRACE=1 prints each step;
 * scripts/model-test.sh runs a long walk.
 */
#define MODEL_BLOBS 6
#define MODEL_PAGES 24      /* map offsets: mostly here, so they collide */

typedef enum {
    STEP_CREATE, STEP_MAP, STEP_UNMAP, STEP_UNREF, STEP_WRITE, STEP_READ,
    STEP_REVOKE, STEP_FAIL, STEP_MOVE, STEP_DECODE, STEP_RESET, STEP_MAX
} ModelStepKind;

static const char *const model_step_names[] = {
    "create", "map", "unmap", "unref", "write", "read", "revoke", "fail",
    "move", "decode", "reset",
};

/* Of 100 steps, how many of each kind. */
static const int model_step_weights[] = {
    16, 20, 10, 7, 18, 14, 4, 3, 3, 3, 2,
};

typedef struct ModelStep {
    ModelStepKind kind;
    uint32_t res;
    uint64_t arg;
} ModelStep;

typedef enum { SLOT_LENT, SLOT_REVOKED, SLOT_TRAPPED } ModelSlot;

static const char *const model_slot_names[] = { "lent", "revoked", "trapped" };

typedef struct ModelBlob {
    bool exists;
    uint64_t size;
    bool mapped;
    uint64_t offset;
    uint8_t byte;       /* every byte of the blob */
    ModelSlot slot;     /* while mapped and the window decodes */
} ModelBlob;

typedef struct Model {
    GPUTest *t;
    void *obj;          /* the libqos device */
    QPCIBar window;
    uint64_t home;      /* the BAR where libqos put it */
    bool trap_mode;     /* lend=trap: nothing is lent, all is trapped */
    /*
     * lend=privcmd: the lender revokes unseen, and with no Xen here every
     * access to a lent range reaches QEMU as a fault that lends it again.
     */
    bool unseen;
    int64_t revoked_relends;    /* since the last reset */
    bool moved;
    bool decode;
    bool fail;          /* lending fails */
    const char *fail_file;  /* lend=privcmd: the fake fails while it exists */
    ModelBlob blob[MODEL_BLOBS + 1];
    QDict *base;        /* counters after the last reset */
    GString *why;       /* what the last failed check saw */
} Model;

static uint64_t model_base(Model *m)
{
    return m->home + (m->moved ? WINDOW_SIZE : 0);
}

/* The state a (re)lend leaves a slot in. */
static ModelSlot model_lend(Model *m)
{
    return m->trap_mode || m->fail ? SLOT_TRAPPED : SLOT_LENT;
}

static void model_relend_all(Model *m)
{
    int r;

    for (r = 1; r <= MODEL_BLOBS; r++) {
        m->blob[r].slot = model_lend(m);
    }
}

static bool model_fails(Model *m, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool model_fails(Model *m, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_string_vprintf(m->why, fmt, ap);
    va_end(ap);
    return false;
}

static void model_set_bar(Model *m)
{
    qpci_config_writel(m->t->pdev, PCI_BASE_ADDRESS_4,
                       model_base(m) | PCI_BASE_ADDRESS_MEM_TYPE_64 |
                       PCI_BASE_ADDRESS_MEM_PREFETCH);
}

static void model_set_decode(Model *m)
{
    uint16_t cmd = qpci_config_readw(m->t->pdev, PCI_COMMAND);

    qpci_config_writew(m->t->pdev, PCI_COMMAND,
                       m->decode ? cmd | PCI_COMMAND_MEMORY
                                 : cmd & ~PCI_COMMAND_MEMORY);
}

static void model_set_fail(Model *m, bool fail)
{
    m->fail = fail;
    if (!m->fail_file) {
        lend_set(m->t, "x-lend-fail", fail ? "true" : "false");
    } else if (fail) {
        g_assert_true(g_file_set_contents(m->fail_file, "", 0, NULL));
    } else {
        unlink(m->fail_file);
    }
}

/* A device as after power-on, but for what libqos set up. */
static void model_reset(Model *m)
{
    GPUTest *t = m->t;
    int r;

    m->moved = false;
    m->decode = true;
    model_set_bar(m);
    model_set_decode(m);
    qvirtio_start_device(t->vdev);
    gpu_stop(t);
    gpu_start(t, m->obj, t->alloc);
    if (m->fail) {
        model_set_fail(m, false);
    }
    for (r = 1; r <= MODEL_BLOBS; r++) {
        m->blob[r] = (ModelBlob) { 0 };
    }
    g_assert_cmphex(gpu_ctx_create(t, VENUS_CTX, VIRTIO_GPU_CAPSET_VENUS), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    qobject_unref(m->base);
    m->base = lend_stats(t);
    m->revoked_relends = 0;
}

static bool model_expect(Model *m, const ModelStep *s, uint32_t got,
                         uint32_t want)
{
    if (got != want) {
        return model_fails(m, "%s of resource %u: response 0x%x, model says"
                           " 0x%x", model_step_names[s->kind], s->res, got,
                           want);
    }
    return true;
}

/* Where the model lets blob @r be mapped at @offset; its response. */
static uint32_t model_map_response(Model *m, uint32_t r, uint64_t offset)
{
    ModelBlob *b = &m->blob[r];
    int i;

    if (!b->exists) {
        return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
    }
    if (b->mapped || offset + b->size > WINDOW_SIZE) {
        return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
    }
    for (i = 1; i <= MODEL_BLOBS; i++) {
        if (m->blob[i].mapped &&
            ranges_overlap(offset, b->size, m->blob[i].offset,
                           m->blob[i].size)) {
            return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        }
    }
    return VIRTIO_GPU_RESP_OK_MAP_INFO;
}

/*
 * A guest access to blob @r through the window: a revoked range faults
 * and is lent again, unless lending fails, when the access sees the zero
 * page.  Returns false if the access is to be skipped.
 */
static bool model_access(Model *m, ModelBlob *b, bool *zero_page)
{
    if (!b->exists || !b->mapped || !m->decode) {
        return false;
    }
    *zero_page = false;
    if (b->slot == SLOT_REVOKED || (m->unseen && b->slot == SLOT_LENT)) {
        if (m->fail) {
            *zero_page = true;
            b->slot = SLOT_REVOKED;
        } else {
            m->revoked_relends += b->slot == SLOT_REVOKED;
            b->slot = SLOT_LENT;
        }
    }
    return true;
}

static bool model_step(Model *m, const ModelStep *s)
{
    GPUTest *t = m->t;
    ModelBlob *b = &m->blob[s->res];
    g_autofree uint8_t *buf = NULL;
    bool zero_page;
    uint32_t want;
    uint64_t i;

    if (getenv("VGXL_MODEL_TRACE")) {
        fprintf(stderr, "step %s res=%u arg=0x%" PRIx64 "\n",
                model_step_names[s->kind], s->res, s->arg);
    }
    /* Without memory decoding the guest reaches no queue either. */
    if (!m->decode && s->kind <= STEP_UNREF) {
        return true;
    }
    switch (s->kind) {
    case STEP_CREATE:
        want = b->exists ? VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID
                         : VIRTIO_GPU_RESP_OK_NODATA;
        if (!model_expect(m, s, gpu_create_blob(t, s->res, s->arg,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE),
                          want)) {
            return false;
        }
        if (!b->exists) {
            *b = (ModelBlob) { .exists = true, .size = s->arg };
        }
        return true;
    case STEP_MAP:
        want = model_map_response(m, s->res, s->arg);
        if (!model_expect(m, s, gpu_map(t, s->res, s->arg), want)) {
            return false;
        }
        if (want == VIRTIO_GPU_RESP_OK_MAP_INFO) {
            b->mapped = true;
            b->offset = s->arg;
            b->slot = model_lend(m);
        }
        return true;
    case STEP_UNMAP:
        want = !b->exists ? VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID :
               !b->mapped ? VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER :
               VIRTIO_GPU_RESP_OK_NODATA;
        b->mapped = false;
        return model_expect(m, s, gpu_unmap(t, s->res), want);
    case STEP_UNREF:
        want = b->exists ? VIRTIO_GPU_RESP_OK_NODATA
                         : VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
        *b = (ModelBlob) { 0 };
        return model_expect(m, s, gpu_unref(t, s->res), want);
    case STEP_WRITE:
        if (!model_access(m, b, &zero_page)) {
            return true;
        }
        fill(t, m->window, b->offset, s->arg, b->size);
        if (!zero_page) {
            b->byte = s->arg;
        }
        return true;
    case STEP_READ:
        if (!model_access(m, b, &zero_page)) {
            return true;
        }
        buf = g_malloc(b->size);
        qpci_memread(t->pdev, m->window, b->offset, buf, b->size);
        for (i = 0; i < b->size; i++) {
            if (buf[i] != (zero_page ? 0 : b->byte)) {
                return model_fails(m, "byte %" PRIu64 " of resource %u"
                                   " reads 0x%02x, model says 0x%02x", i,
                                   s->res, buf[i], zero_page ? 0 : b->byte);
            }
        }
        return true;
    case STEP_REVOKE:
        if (m->trap_mode) {
            return true;
        }
        lend_set(t, "x-lend-revoke", "-1");
        for (i = 1; i <= MODEL_BLOBS && m->decode; i++) {
            if (m->blob[i].mapped && m->blob[i].slot == SLOT_LENT) {
                m->blob[i].slot = SLOT_REVOKED;
            }
        }
        return true;
    case STEP_FAIL:
        if (m->trap_mode) {
            return true;
        }
        model_set_fail(m, !m->fail);
        return true;
    case STEP_MOVE:
        m->moved = !m->moved;
        model_set_bar(m);
        m->window.addr = model_base(m);
        model_relend_all(m);
        return true;
    case STEP_DECODE:
        m->decode = !m->decode;
        model_set_decode(m);
        model_relend_all(m);
        return true;
    case STEP_RESET:
        /* As a guest driver would: memory decoding on first. */
        model_reset(m);
        m->window.addr = model_base(m);
        return true;
    default:
        g_assert_not_reached();
    }
}

/* The slots QEMU reports against the model's, and the counters. */
static bool model_check(Model *m)
{
    QDict *resp = qtest_qmp(m->t->qts, "{'execute': 'qom-get', 'arguments':"
                            " {'path': %s, 'property': 'lend-slots'}}",
                            GPU_PATH);
    QList *slots = qdict_get_qlist(resp, "return");
    QDict *stats = lend_stats(m->t);
    const QListEntry *e;
    int expected = 0, lent = 0, r;
    int64_t unseen_relends;
    bool ok = true;

#define DELTA(name) (qdict_get_int(stats, name) - qdict_get_int(m->base, name))
    for (r = 1; r <= MODEL_BLOBS; r++) {
        expected += m->blob[r].mapped && m->decode;
    }
    if (qlist_size(slots) != expected) {
        ok = model_fails(m, "%zu slots, model says %d", qlist_size(slots),
                         expected);
    }
    QLIST_FOREACH_ENTRY(slots, e) {
        QDict *s = qobject_to(QDict, qlist_entry_obj(e));
        uint64_t offset = qdict_get_int(s, "offset");
        const char *state = qdict_get_str(s, "state");
        ModelBlob *b = NULL;

        for (r = 1; r <= MODEL_BLOBS; r++) {
            if (m->blob[r].mapped && m->blob[r].offset == offset) {
                b = &m->blob[r];
            }
        }
        if (!ok || !b || qdict_get_int(s, "size") != b->size ||
            qdict_get_int(s, "gpa") != model_base(m) + offset ||
            strcmp(state, model_slot_names[b->slot])) {
            ok = model_fails(m, "slot at offset 0x%" PRIx64 " is %s, size"
                             " 0x%" PRIx64 ", gpa 0x%" PRIx64 "; model says"
                             " %s", offset, state,
                             qdict_get_int(s, "size"),
                             qdict_get_int(s, "gpa"),
                             b ? model_slot_names[b->slot] : "no slot");
            break;
        }
        lent += !strcmp(state, "lent");
    }
    /* A relend of a range revoked unseen counts no revocation. */
    unseen_relends = m->unseen ? DELTA("relends") - m->revoked_relends : 0;
    if (ok && lent != DELTA("lends") - DELTA("unlends") -
                      DELTA("revocations") - unseen_relends) {
        ok = model_fails(m, "%d lent, but lends %" PRId64 " - unlends %"
                         PRId64 " - revocations %" PRId64 " - relends of"
                         " ranges revoked unseen %" PRId64, lent,
                         DELTA("lends"), DELTA("unlends"),
                         DELTA("revocations"), unseen_relends);
    }
    if (ok && DELTA("relends") > DELTA("faults")) {
        ok = model_fails(m, "more relends than faults");
    }
#undef DELTA
    qobject_unref(stats);
    qobject_unref(resp);
    return ok;
}

static ModelStep model_next(GRand *rng)
{
    ModelStep s = { .res = g_rand_int_range(rng, 1, MODEL_BLOBS + 1) };
    int pick = g_rand_int_range(rng, 0, 100), k;

    for (k = 0; pick >= model_step_weights[k]; k++) {
        pick -= model_step_weights[k];
    }
    s.kind = k;
    switch (s.kind) {
    case STEP_CREATE:
        s.arg = g_rand_int_range(rng, 1, 5) * PAGE;
        break;
    case STEP_MAP:
        /* Now and then near the end of the window, or across it. */
        s.arg = g_rand_int_range(rng, 0, 16) ?
                g_rand_int_range(rng, 0, MODEL_PAGES) * PAGE :
                WINDOW_SIZE - g_rand_int_range(rng, 1, 4) * PAGE;
        break;
    case STEP_WRITE:
        s.arg = g_rand_int_range(rng, 1, 256);
        break;
    default:
        break;
    }
    return s;
}

/*
 * Steps @steps[0..n) from a fresh device, checked after each: -1, or the
 * index of the step after which a check failed.
 */
static gssize model_run(Model *m, const ModelStep *steps, gsize n)
{
    gsize i;

    model_reset(m);
    m->window.addr = model_base(m);
    for (i = 0; i < n; i++) {
        if (!model_step(m, &steps[i]) || !model_check(m)) {
            return i;
        }
    }
    return -1;
}

/* The failing steps, made as short as removing chunks keeps them failing. */
static GArray *model_shrink(Model *m, GArray *fail)
{
    g_autoptr(GString) why = g_string_new(m->why->str);
    gsize chunk, i, runs = 0;
    GArray *cand;

    for (chunk = fail->len / 2; chunk >= 1 && runs < 400; chunk /= 2) {
        for (i = 0; i + chunk <= fail->len && runs < 400; runs++) {
            gssize at;

            cand = g_array_copy(fail);
            g_array_remove_range(cand, i, chunk);
            at = model_run(m, (ModelStep *)cand->data, cand->len);
            if (at >= 0) {
                g_array_set_size(cand, at + 1);
                g_array_unref(fail);
                fail = cand;
                g_string_assign(why, m->why->str);
            } else {
                g_array_unref(cand);
                i += chunk;
            }
        }
    }
    g_string_assign(m->why, why->str);
    return fail;
}

static void model_report(Model *m, guint32 seed, gsize failed_at, GArray *fail)
{
    g_autoptr(GString) list = g_string_new("");
    gsize i;

    for (i = 0; i < fail->len; i++) {
        ModelStep *s = &g_array_index(fail, ModelStep, i);

        g_string_append_printf(list, "\n  %s res=%u arg=0x%" PRIx64,
                               model_step_names[s->kind], s->res, s->arg);
    }
    fprintf(stderr, "model: seed %" PRIu32 " (VGXL_MODEL_SEED) failed at step"
            " %zu: %s\nshortest failing steps from a reset (%u):%s\n", seed,
            failed_at, m->why->str, fail->len, list->str);
}

/* A walk over @mode's lending, on a device @t already drives. */
static void lend_model_walk(GPUTest *t, void *obj, const char *mode,
                            const char *fail_file)
{
    const char *env_steps = getenv("VGXL_MODEL_STEPS");
    const char *env_seed = getenv("VGXL_MODEL_SEED");
    gsize nsteps = env_steps ? g_ascii_strtoull(env_steps, NULL, 10) : 5000;
    guint32 seed = env_seed ? g_ascii_strtoull(env_seed, NULL, 10)
                            : g_random_int();
    g_autoptr(GRand) rng = g_rand_new_with_seed(seed);
    g_autoptr(GArray) since_reset = g_array_new(false, false,
                                                sizeof(ModelStep));
    Model m = {
        .t = t,
        .obj = obj,
        .trap_mode = !strcmp(mode, "trap"),
        .unseen = !strcmp(mode, "privcmd"),
        .fail_file = fail_file,
        .why = g_string_new(""),
    };
    gsize i;

    g_assert_cmpstr(qdict_get_str(t->lend_base, "mode"), ==, mode);
    m.window = gpu_window(t, NULL);
    m.home = m.window.addr;
    g_test_message("model: seed %" PRIu32 ", %zu steps, lend=%s", seed,
                   nsteps, mode);
    model_reset(&m);
    for (i = 0; i < nsteps; i++) {
        ModelStep s = model_next(rng);

        if (s.kind == STEP_RESET) {
            g_array_set_size(since_reset, 0);
        } else {
            g_array_append_val(since_reset, s);
        }
        if (!model_step(&m, &s) || !model_check(&m)) {
            g_autoptr(GString) first = g_string_new(m.why->str);
            GArray *fail = g_array_ref(since_reset);

            /* Replayed from a reset, it must fail again to be shrunk. */
            if (model_run(&m, (ModelStep *)fail->data, fail->len) >= 0) {
                fail = model_shrink(&m, fail);
            } else {
                fprintf(stderr, "model: the steps since the last reset do"
                        " not fail again from a reset\n");
                g_string_assign(m.why, first->str);
            }
            model_report(&m, seed, i, fail);
            g_array_unref(fail);
            g_assert_not_reached();
        }
    }
    g_test_message("model: %zu steps passed", nsteps);
    qobject_unref(m.base);
    g_string_free(m.why, true);
}

static void test_lend_model(void *obj, void *data, QGuestAllocator *alloc)
{
    GPUTest t;

    gpu_start(&t, obj, alloc);
    lend_model_walk(&t, obj, data ? data : "emulated", NULL);
    gpu_stop(&t);
}

/* The same walk over the fake privcmd, which checks each call it gets. */
static void test_privcmd_model(void)
{
    g_autofree char *log = g_strdup_printf("%s/fake-privcmd-model-%d.log",
                                           g_get_tmp_dir(), getpid());
    g_autofree char *fail = g_strdup_printf("%s.fail", log);
    g_autofree char *env = g_strdup_printf("FAKE_PRIVCMD_FAIL=%s", fail);
    g_autofree char *calls = NULL;
    GPURig rig;
    GPUTest t;

    if (!need_fake_privcmd()) {
        return;
    }
    unlink(fail);
    privcmd_rig_start(&rig, &t, env, log, "");
    lend_model_walk(&t, rig.dev, "privcmd", fail);
    unlink(fail);
    gpu_stop(&t);
    gpu_rig_stop(&rig, &t);
    calls = privcmd_calls(log);
    g_assert_nonnull(strstr(calls, "\nlend slot="));
    g_assert_nonnull(strstr(calls, "\nunlend slot="));
    unlink(log);
}

/*
 * virgl with no GL display, as on a Xen dom0: virglrenderer makes its own
 * EGL context (here surfaceless, on llvmpipe) and renders, and what a
 * scanout shows is read back into the 2D console.  virgl=auto turns it on.
 */
#define VIRGL_CTX 2
#define RES3D 20
#define RESCURSOR 21
/* From virglrenderer's virgl_protocol.h and Gallium's p_defines.h */
#define VIRGL_CCMD_CREATE_OBJECT 1
#define VIRGL_CCMD_SET_FRAMEBUFFER_STATE 5
#define VIRGL_CCMD_CLEAR 7
#define VIRGL_OBJECT_SURFACE 8
#define VIRGL_CMD(cmd, obj, len) ((cmd) | (obj) << 8 | (len) << 16)
#define VIRGL_FORMAT_B8G8R8A8_UNORM 1
#define VIRGL_FORMAT_B8G8R8X8_UNORM 2
#define VIRGL_BIND_RENDER_TARGET (1 << 1)
#define VIRGL_BIND_SAMPLER_VIEW (1 << 3)
#define PIPE_TEXTURE_2D 2
#define PIPE_CLEAR_COLOR0 (1 << 2)

/* The colour the test clears to: red 1.0, green 0.2, blue 0.0. */
static uint32_t cleared_pixel(int x, int y, uint8_t seed)
{
    return 0xff000000u | 0xffu << 16 | 51u << 8;
}

static uint32_t gpu_transfer_3d(GPUTest *t, uint32_t type, uint32_t res,
                                uint32_t width, uint32_t height)
{
    struct virtio_gpu_transfer_host_3d xfer = {
        .hdr = { .type = type, .ctx_id = VIRGL_CTX },
        .box = { .w = width, .h = height, .d = 1 },
        .resource_id = res,
        .stride = width * 4,
    };

    return gpu_cmd(t, &xfer, sizeof(xfer), NULL, 0);
}

static uint32_t float_to_bits(float f)
{
    uint32_t u;

    memcpy(&u, &f, sizeof(u));
    return u;
}

/* Clear RES3D to cleared_pixel()'s colour with virgl commands. */
static uint32_t gpu_virgl_clear(GPUTest *t)
{
    struct {
        struct virtio_gpu_cmd_submit submit;
        uint32_t cmd[19];
    } req = {
        .submit.hdr = { .type = VIRTIO_GPU_CMD_SUBMIT_3D,
                        .ctx_id = VIRGL_CTX },
        .submit.size = sizeof(req.cmd),
        .cmd = {
            VIRGL_CMD(VIRGL_CCMD_CREATE_OBJECT, VIRGL_OBJECT_SURFACE, 5),
            1, RES3D, VIRGL_FORMAT_B8G8R8X8_UNORM, 0, 0,
            VIRGL_CMD(VIRGL_CCMD_SET_FRAMEBUFFER_STATE, 0, 3), 1, 0, 1,
            VIRGL_CMD(VIRGL_CCMD_CLEAR, 0, 8), PIPE_CLEAR_COLOR0,
            float_to_bits(1.0), float_to_bits(0.2), float_to_bits(0.0),
            float_to_bits(1.0), 0, 0, 0,
        },
    };

    return gpu_cmd(t, &req, sizeof(req), NULL, 0);
}

/* Whether the resource's backing in the guest holds what @pixel draws. */
static bool backing_holds(GPUTest *t, uint64_t backing,
                          uint32_t (*pixel)(int, int, uint8_t), uint8_t seed)
{
    g_autofree uint8_t *buf = g_malloc(SCANOUT_W * SCANOUT_H * 4);
    uint32_t px;
    int x, y;

    qtest_memread(t->qts, backing, buf, SCANOUT_W * SCANOUT_H * 4);
    for (y = 0; y < SCANOUT_H; y++) {
        for (x = 0; x < SCANOUT_W; x++) {
            memcpy(&px, buf + (y * SCANOUT_W + x) * 4, 4);
            if ((le32_to_cpu(px) ^ pixel(x, y, seed)) & 0xffffff) {
                return false;
            }
        }
    }
    return true;
}

/* Whether QEMU has a child process whose name starts with @name. */
static bool qemu_has_child(QTestState *qts, const char *name)
{
    g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
    const char *pid;
    bool found = false;

    g_assert_nonnull(proc);
    while (!found && (pid = g_dir_read_name(proc))) {
        g_autofree char *path = g_strdup_printf("/proc/%s/stat", pid);
        g_autofree char *stat = NULL;
        char *comm_end;
        int ppid;

        if (!g_ascii_isdigit(pid[0]) ||
            !g_file_get_contents(path, &stat, NULL, NULL)) {
            continue;
        }
        /* "PID (COMM) STATE PPID ...", and COMM may hold spaces. */
        comm_end = strrchr(stat, ')');
        if (comm_end && sscanf(comm_end + 1, " %*c %d", &ppid) == 1 &&
            ppid == qtest_pid(qts)) {
            *comm_end = '\0';
            found = g_str_has_prefix(strchr(stat, '(') + 1, name);
        }
    }
    return found;
}

static void test_virgl_headless(void)
{
    const size_t size = SCANOUT_W * SCANOUT_H * 4;
    struct virtio_gpu_resource_create_3d c3d = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_3D,
        .resource_id = RES3D,
        .target = PIPE_TEXTURE_2D,
        .format = VIRGL_FORMAT_B8G8R8X8_UNORM,
        .bind = VIRGL_BIND_RENDER_TARGET | VIRGL_BIND_SAMPLER_VIEW,
        .width = SCANOUT_W,
        .height = SCANOUT_H,
        .depth = 1,
        .array_size = 1,
        .flags = VIRTIO_GPU_RESOURCE_FLAG_Y_0_TOP,
    };
    struct {
        struct virtio_gpu_resource_attach_backing ab;
        struct virtio_gpu_mem_entry ent;
    } attach = {
        .ab.hdr.type = VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING,
        .ab.resource_id = RES3D,
        .ab.nr_entries = 1,
        .ent.length = size,
    };
    struct virtio_gpu_ctx_resource ctx_attach = {
        .hdr = { .type = VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE,
                 .ctx_id = VIRGL_CTX },
        .resource_id = RES3D,
    };
    struct virtio_gpu_set_scanout scanout = {
        .hdr.type = VIRTIO_GPU_CMD_SET_SCANOUT,
        .r = { .width = SCANOUT_W, .height = SCANOUT_H },
        .resource_id = RES3D,
    };
    g_autofree uint8_t *picture = pattern(5, 0, SCANOUT_W * 4, size);
    GPURig rig;
    GPUTest t;

    /* virgl=auto, and no display at all but VNC's, as libxl gives. */
    gpu_rig_start(&rig, &t, qtest_initf("-vga none -vnc none -device"
                                        " virtio-gpu-xen-lend-pci,addr=04.0,"
                                        "hostmem=64M,id=gpu -trace enable="
                                        "virtio_gpu_xen_lend_cursor,file=%s",
                                        cursor_trace));
    /*
     * virglrenderer started before the guest's first command: its render
     * server is up.  A slow start would outlast Linux's capset timeout.
     */
    g_assert_true(qemu_has_child(t.qts, "virgl_render"));
    g_assert_cmpuint(qvirtio_config_readl(t.vdev,
                         offsetof(struct virtio_gpu_config, num_capsets)),
                     ==, 3);
    g_assert_cmphex(gpu_ctx_create(&t, VIRGL_CTX, VIRTIO_GPU_CAPSET_VIRGL2),
                    ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_cmd(&t, &c3d, sizeof(c3d), NULL, 0), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    attach.ent.addr = guest_alloc(t.alloc, size);
    qtest_memwrite(t.qts, attach.ent.addr, picture, size);
    g_assert_cmphex(gpu_cmd(&t, &attach, sizeof(attach), NULL, 0), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_cmd(&t, &ctx_attach, sizeof(ctx_attach), NULL, 0),
                    ==, VIRTIO_GPU_RESP_OK_NODATA);

    /* An upload, shown, and read back by the guest. */
    g_assert_cmphex(gpu_transfer_3d(&t, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D,
                                    RES3D, SCANOUT_W, SCANOUT_H),
                    ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_cmd(&t, &scanout, sizeof(scanout), NULL, 0), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    assert_shows(&t, 5);
    qtest_memset(t.qts, attach.ent.addr, 0, size);
    g_assert_cmphex(gpu_transfer_3d(&t, VIRTIO_GPU_CMD_TRANSFER_FROM_HOST_3D,
                                    RES3D, SCANOUT_W, SCANOUT_H),
                    ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_true(backing_holds(&t, attach.ent.addr, pattern_pixel, 5));

    /* GL renders: the screen shows it on the next flush, as does readback. */
    g_assert_cmphex(gpu_virgl_clear(&t), ==, VIRTIO_GPU_RESP_OK_NODATA);
    assert_shows(&t, 5);
    g_assert_cmphex(gpu_flush(&t, RES3D, 0, 0, SCANOUT_W, SCANOUT_H), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    assert_screen(&t, cleared_pixel, 0);
    g_assert_cmphex(gpu_transfer_3d(&t, VIRTIO_GPU_CMD_TRANSFER_FROM_HOST_3D,
                                    RES3D, SCANOUT_W, SCANOUT_H),
                    ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_true(backing_holds(&t, attach.ent.addr, cleared_pixel, 0));

    /* A 3D resource as the cursor: virglrenderer reads it back. */
    c3d.resource_id = attach.ab.resource_id = RESCURSOR;
    c3d.format = VIRGL_FORMAT_B8G8R8A8_UNORM;
    c3d.width = c3d.height = 64;
    attach.ent.length = 64 * 64 * 4;
    attach.ent.addr = guest_alloc(t.alloc, attach.ent.length);
    qtest_memset(t.qts, attach.ent.addr, 0x5c, attach.ent.length);
    ctx_attach.resource_id = RESCURSOR;
    g_assert_cmphex(gpu_cmd(&t, &c3d, sizeof(c3d), NULL, 0), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_cmd(&t, &attach, sizeof(attach), NULL, 0), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_cmd(&t, &ctx_attach, sizeof(ctx_attach), NULL, 0),
                    ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_transfer_3d(&t, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D,
                                    RESCURSOR, 64, 64),
                    ==, VIRTIO_GPU_RESP_OK_NODATA);
    gpu_update_cursor(&t, RESCURSOR);
    g_assert_cmpint(cursor_traced(RESCURSOR, 0x5c5c5c5c), ==, 1);
    unlink(cursor_trace);

    /* Venus runs beside it. */
    gpu_venus_blob(&t, 1, BLOB);
    g_assert_cmphex(gpu_map(&t, 1, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmphex(gpu_unref(&t, RES3D), ==, VIRTIO_GPU_RESP_OK_NODATA);
    gpu_stop(&t);
    gpu_rig_stop(&rig, &t);
}

/*
 * Realize-time checks.  The device cannot be hot-plugged, so QEMU is
 * started with it and must exit at once with @message on stderr.
 */
static void assert_realize_fails(const char *env, const char *props,
                                 const char *message)
{
    g_autofree char *cmd = g_strdup_printf(
        "env %s timeout 60 %s -M pc -accel qtest -display none -nodefaults"
        " -device virtio-gpu-xen-lend-pci,%s", env,
        getenv("QTEST_QEMU_BINARY"), props);
    g_autofree char *err = NULL;
    g_auto(GStrv) argv = NULL;
    int status;

    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    g_assert_true(g_spawn_sync(NULL, argv, NULL,
                               G_SPAWN_SEARCH_PATH |
                               G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, &err, &status, NULL));
    g_test_message("%s: %s", props, err);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    g_assert_nonnull(strstr(err, message));
}

static void test_bad_properties(void)
{
    assert_realize_fails("", "hostmem=0", "'hostmem'");
    assert_realize_fails("", "hostmem=3M", "'hostmem'");
    assert_realize_fails("", "hostmem=4097", "'hostmem'");
    assert_realize_fails("", "blob=off", "'blob' cannot be turned off");
    /* No EGL vendor library: no EGL, whatever the platform. */
    assert_realize_fails("__EGL_VENDOR_LIBRARY_FILENAMES=/nonexistent",
                         "virgl=on", "'virgl=on' needs OpenGL");
    assert_realize_fails("", "virgl=on,render-node=/nonexistent",
                         "cannot open render node '/nonexistent'");
    assert_realize_fails("", "venus=off,render-node=/nonexistent",
                         "'venus' and 'virgl' are both off");
    assert_realize_fails("", "venus=off,virgl=off",
                         "'venus' and 'virgl' are both off");
    assert_realize_fails("", "virgl=maybe", "virgl");
    assert_realize_fails("", "lend=sometimes",
                         "'lend' does not accept value 'sometimes'");
    assert_realize_fails("", "lend-fault-policy=panic",
                         "'lend-fault-policy' does not accept value 'panic'");
    assert_realize_fails("", "x-map=sometimes",
                         "'x-map' does not accept value 'sometimes'");
    assert_realize_fails("", "max-mappings=0", "'max-mappings' must be 1");
    assert_realize_fails("", "max-mappings=16385",
                         "'max-mappings' must be 1 to 16384");
    /* No Xen here: privcmd has nothing to open. */
    assert_realize_fails("", "lend=privcmd",
                         "lend=privcmd: dom0's kernel has no memory lending:"
                         " cannot open /dev/xen/privcmd-lend");
}

/* A privcmd from before lending: realize fails and says what is missing. */
static void test_privcmd_unsupported(void)
{
    g_autofree char *env = NULL;

    if (!need_fake_privcmd()) {
        return;
    }
    env = g_strdup_printf("LD_PRELOAD=%s FAKE_PRIVCMD_NO_LEND=1",
                          fake_privcmd());
    assert_realize_fails(env, "lend=privcmd",
                         "dom0's kernel has no memory lending"
                         " (IOCTL_PRIVCMD_LEND_QUERY");
}

static int64_t qom_get_int(QTestState *qts, const char *path,
                           const char *prop)
{
    QDict *resp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments':"
                            " {'path': %s, 'property': %s}}", path, prop);
    int64_t val = qdict_get_int(resp, "return");

    qobject_unref(resp);
    return val;
}

/*
 * x-blob-fill of a resource that is no blob, before the guest started the
 * renderer: an error, not a call into a virglrenderer that is not up.
 */
static void test_blob_fill_early(void)
{
    QTestState *qts = qtest_init("-display none "
                                 "-device virtio-gpu-xen-lend-pci,id=gpu");
    QDict *resp;

    resp = qtest_qmp(qts, "{'execute': 'qom-set', 'arguments':"
                     " {'path': '/machine/peripheral/gpu/virtio-backend',"
                     "  'property': 'x-blob-fill', 'value': '1,0,16,60'}}");
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(resp, "error"), "desc"),
                    ==, "no blob resource 1");
    qobject_unref(resp);
    qtest_quit(qts);
}

static void test_defaults(void)
{
    QTestState *qts = qtest_init("-display none "
                                 "-device virtio-gpu-xen-lend-pci,id=gpu");
    /* The enum properties, their QAPI types and their defaults. */
    static const char *const typed[][3] = {
        { "lend", "XenLendMode", "auto" },
        { "lend-fault-policy", "XenLendFaultPolicy", "zero" },
        { "x-map", "XenLendMapMethod", "window" },
    };
    QDict *resp;
    QList *props;
    const QListEntry *e;
    bool seen_virgl = false, seen_venus = false, seen_hostmem = false;
    unsigned int seen_typed = 0, i;

    g_assert_cmpuint(qom_get_int(qts, "/machine/peripheral/gpu",
                                       "hostmem"), ==, 4ull << 30);
    g_assert_true(qtest_qom_get_bool(qts, "/machine/peripheral/gpu",
                                     "venus"));
    g_assert_true(qtest_qom_get_bool(qts, "/machine/peripheral/gpu",
                                     "blob"));
    g_assert_true(qtest_qom_get_bool(qts, "/machine/peripheral/gpu",
                                     "edid"));
    g_assert_cmpuint(qom_get_int(qts, "/machine/peripheral/gpu",
                                       "max_outputs"), ==, 1);

    resp = qtest_qmp(qts, "{'execute': 'device-list-properties', "
                     "'arguments': {'typename': 'virtio-gpu-xen-lend-pci'}}");
    props = qdict_get_qlist(resp, "return");
    g_assert_nonnull(props);
    QLIST_FOREACH_ENTRY(props, e) {
        QDict *p = qobject_to(QDict, qlist_entry_obj(e));
        const char *name = qdict_get_str(p, "name");

        seen_virgl |= !strcmp(name, "virgl");
        seen_venus |= !strcmp(name, "venus");
        seen_hostmem |= !strcmp(name, "hostmem");
        for (i = 0; i < ARRAY_SIZE(typed); i++) {
            if (!strcmp(name, typed[i][0])) {
                g_assert_cmpstr(qdict_get_str(p, "type"), ==, typed[i][1]);
                g_assert_cmpstr(qdict_get_str(p, "default-value"), ==,
                                typed[i][2]);
                seen_typed++;
            }
        }
    }
    g_assert_true(seen_virgl && seen_venus && seen_hostmem);
    g_assert_cmpuint(seen_typed, ==, ARRAY_SIZE(typed));
    qobject_unref(resp);
    qtest_quit(qts);
}

/*
 * libxl always gives a Xen device model a VNC server, which takes the first
 * graphical console: with Venus alone, that console must not need GL.
 */
static void test_vnc_console(void)
{
    QTestState *qts = qtest_init("-vga none -vnc none "
                                 "-device virtio-gpu-xen-lend-pci,id=gpu");
    QDict *resp;

    resp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments':"
                     " {'path': '/backend/console[0]',"
                     "  'property': 'device'}}");
    g_assert_cmpstr(qdict_get_str(resp, "return"), ==,
                    "/machine/peripheral/gpu");
    qobject_unref(resp);
    qtest_quit(qts);
}

static void register_virtio_gpu_xen_lend_test(void)
{
    qos_add_test("pci-layout", "virtio-gpu-xen-lend", test_pci_layout, NULL);
    qos_add_test("features", "virtio-gpu-xen-lend", test_features, NULL);
    qos_add_test("capsets", "virtio-gpu-xen-lend", test_capsets, NULL);
    qos_add_test("2d", "virtio-gpu-xen-lend", test_2d, NULL);
    qos_add_test("venus-map", "virtio-gpu-xen-lend", test_venus_map, NULL);
    qos_add_test("bad-map", "virtio-gpu-xen-lend", test_bad_map, NULL);
    qos_add_test("fences", "virtio-gpu-xen-lend", test_fences, NULL);
    qos_add_test("bad-input", "virtio-gpu-xen-lend", test_bad_input,
                 &(QOSGraphTestOptions) {
                     .before = guest_errors_before,
                 });
    qos_add_test("max-mappings", "virtio-gpu-xen-lend", test_max_mappings,
                 &(QOSGraphTestOptions) {
                     .edge.extra_device_opts = "max-mappings=2",
                     .before = guest_errors_before,
                 });
    cursor_trace = g_strdup_printf("%s/virtio-gpu-xen-lend-cursor-%d.log",
                                   g_get_tmp_dir(), getpid());
    qos_add_test("blob-cursor", "virtio-gpu-xen-lend", test_blob_cursor,
                 &(QOSGraphTestOptions) {
                     .before = cursor_trace_before,
                 });
    qos_add_test("guest-blob-cursor", "virtio-gpu-xen-lend",
                 test_guest_blob_cursor, &(QOSGraphTestOptions) {
                     .before = cursor_trace_before,
                 });
    guest_errors_log = g_strdup_printf("%s/virtio-gpu-xen-lend-errors-%d.log",
                                       g_get_tmp_dir(), getpid());
    qos_add_test("blob-scanout", "virtio-gpu-xen-lend", test_blob_scanout,
                 &(QOSGraphTestOptions) {
                     .before = guest_errors_before,
                     .arg = (void *)"window",
                 });
    qos_add_test("per-blob-scanout", "virtio-gpu-xen-lend",
                 test_blob_scanout, &(QOSGraphTestOptions) {
                     .edge.extra_device_opts = "x-map=per-blob",
                     .before = guest_errors_before,
                     .arg = (void *)"window",
                 });
    qos_add_test("guest-blob-scanout", "virtio-gpu-xen-lend",
                 test_blob_scanout, &(QOSGraphTestOptions) {
                     .before = guest_errors_before,
                     .arg = (void *)"guest",
                 });
    qos_add_test("lend/map-unmap", "virtio-gpu-xen-lend",
                 test_lend_map_unmap, NULL);
    qos_add_test("lend/query", "virtio-gpu-xen-lend", test_lend_query,
                 NULL);
    qos_add_test("lend/reset", "virtio-gpu-xen-lend", test_lend_reset, NULL);
    qos_add_test("lend/bar-move", "virtio-gpu-xen-lend", test_lend_bar_move,
                 NULL);
    qos_add_test("lend/bar-partial", "virtio-gpu-xen-lend",
                 test_lend_bar_partial, NULL);
    qos_add_test("lend/model", "virtio-gpu-xen-lend", test_lend_model, NULL);
    qos_add_test("lend/model-trap", "virtio-gpu-xen-lend", test_lend_model,
                 &(QOSGraphTestOptions) {
                     .edge.extra_device_opts = "lend=trap",
                     .arg = (void *)"trap",
                 });
    qos_add_test("lend/revoke", "virtio-gpu-xen-lend", test_lend_revoke,
                 NULL);
    qos_add_test("lend/fail", "virtio-gpu-xen-lend", test_lend_fail, NULL);
    qos_add_test("lend/fault-zero", "virtio-gpu-xen-lend",
                 test_lend_fault_policy, &(QOSGraphTestOptions) {
                     .edge.extra_device_opts = "lend-fault-policy=zero",
                     .arg = (void *)"zero",
                     .before = guest_errors_before,
                 });
    qos_add_test("lend/fault-inject", "virtio-gpu-xen-lend",
                 test_lend_fault_policy, &(QOSGraphTestOptions) {
                     .edge.extra_device_opts = "lend-fault-policy=inject",
                     .arg = (void *)"inject",
                     .before = guest_errors_before,
                 });
    qos_add_test("per-blob", "virtio-gpu-xen-lend", test_per_blob,
                 &(QOSGraphTestOptions) {
                     .edge.extra_device_opts = "x-map=per-blob",
                 });
    qos_add_test("lend/trap", "virtio-gpu-xen-lend", test_lend_trap_mode,
                 &(QOSGraphTestOptions) {
                     .edge.extra_device_opts = "lend=trap",
                 });
    if (qtest_has_device("virtio-gpu-xen-lend-pci")) {
        qtest_add_func("virtio-gpu-xen-lend/defaults", test_defaults);
        qtest_add_func("virtio-gpu-xen-lend/query-no-device",
                       test_query_no_device);
        qtest_add_func("virtio-gpu-xen-lend/blob-fill-early",
                       test_blob_fill_early);
        qtest_add_func("virtio-gpu-xen-lend/vnc-console", test_vnc_console);
        qtest_add_func("virtio-gpu-xen-lend/virgl-headless",
                       test_virgl_headless);
        qtest_add_func("virtio-gpu-xen-lend/bad-properties",
                       test_bad_properties);
        qtest_add_func("virtio-gpu-xen-lend/lend/privcmd", test_privcmd);
        qtest_add_func("virtio-gpu-xen-lend/lend/privcmd-unlend-first",
                       test_privcmd_unlend_first);
        qtest_add_func("virtio-gpu-xen-lend/lend/privcmd-model",
                       test_privcmd_model);
        qtest_add_func("virtio-gpu-xen-lend/lend/privcmd-unsupported",
                       test_privcmd_unsupported);
    }
}

libqos_init(register_virtio_gpu_xen_lend_test);
