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
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "standard-headers/linux/virtio_config.h"
#include "standard-headers/linux/virtio_gpu.h"
#include "standard-headers/linux/virtio_pci.h"
#include "standard-headers/linux/pci_regs.h"
#include "libqos/qgraph.h"
#include "libqos/pci.h"
#include "libqos/virtio.h"
#include "libqos/virtio-gpu-xen-lend.h"

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
} GPUTest;

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
    qvirtio_set_driver_ok(t->vdev);
}

static void gpu_stop(GPUTest *t)
{
    qvirtqueue_cleanup(t->vdev->bus, t->ctrl, t->alloc);
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
    /* virgl is off without a GL display: Venus alone. */
    g_assert_cmpuint(n, ==, 1);
    for (i = 0; i <= n; i++) {
        struct virtio_gpu_get_capset_info req = {
            .hdr.type = VIRTIO_GPU_CMD_GET_CAPSET_INFO,
            .capset_index = i,
        };
        struct virtio_gpu_resp_capset_info resp;

        g_assert_cmphex(gpu_cmd(&t, &req, sizeof(req), &resp, sizeof(resp)),
                        ==, VIRTIO_GPU_RESP_OK_CAPSET_INFO);
        if (i < n) {
            g_assert_cmpuint(resp.capset_id, ==, VIRTIO_GPU_CAPSET_VENUS);
            g_assert_cmpuint(resp.capset_max_size, >, 0);
        } else {
            g_assert_cmpuint(resp.capset_id, ==, 0);
        }
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

    /* A blob that was not created mappable. */
    g_assert_cmphex(gpu_create_blob(&t, 3, PAGE,
                                    VIRTIO_GPU_BLOB_FLAG_USE_SHAREABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
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

/* Realize-time checks, through device_add on a machine without the device. */
static void assert_device_add_fails(const char *props, const char *message)
{
    QTestState *qts = qtest_init("-display none");
    g_autofree char *cmd = g_strdup_printf(
        "{'execute': 'device_add', 'arguments': "
        "{'driver': 'virtio-gpu-xen-lend-pci', 'id': 'gpu'%s%s}}",
        *props ? ", " : "", props);
    QDict *resp = qtest_qmp(qts, "%s", cmd);
    QDict *error = qdict_get_qdict(resp, "error");
    const char *desc;

    g_assert_nonnull(error);
    desc = qdict_get_str(error, "desc");
    g_test_message("device_add %s: %s", props, desc);
    g_assert_nonnull(strstr(desc, message));
    qobject_unref(resp);
    qtest_quit(qts);
}

static void test_bad_properties(void)
{
    assert_device_add_fails("'hostmem': 0", "'hostmem'");
    assert_device_add_fails("'hostmem': 3145728", "'hostmem'");
    assert_device_add_fails("'hostmem': 4097", "'hostmem'");
    assert_device_add_fails("'blob': false", "'blob'");
    assert_device_add_fails("'virgl': 'on'", "'virgl=on' needs a display");
    assert_device_add_fails("'venus': false",
                            "'venus' and 'virgl' are both off");
    assert_device_add_fails("'venus': false, 'virgl': 'off'",
                            "'venus' and 'virgl' are both off");
    assert_device_add_fails("'virgl': 'maybe'", "virgl");
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

static void test_defaults(void)
{
    QTestState *qts = qtest_init("-display none "
                                 "-device virtio-gpu-xen-lend-pci,id=gpu");
    QDict *resp;
    QList *props;
    const QListEntry *e;
    bool seen_virgl = false, seen_venus = false, seen_hostmem = false;

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
    }
    g_assert_true(seen_virgl && seen_venus && seen_hostmem);
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
    if (qtest_has_device("virtio-gpu-xen-lend-pci")) {
        qtest_add_func("virtio-gpu-xen-lend/defaults", test_defaults);
        qtest_add_func("virtio-gpu-xen-lend/bad-properties",
                       test_bad_properties);
    }
}

libqos_init(register_virtio_gpu_xen_lend_test);
