/*
 * virtio-gpu-xen-lend fuzzing target: the control and cursor queues, the
 * hostmem window and its BAR, and the host's revocation of lent ranges,
 * with the real virglrenderer behind them (lend=emulated).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"

#include "qemu/bswap.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "qom/object.h"
#include "standard-headers/linux/pci_regs.h"
#include "standard-headers/linux/virtio_config.h"
#include "standard-headers/linux/virtio_gpu.h"
#include "tests/qtest/libqtest.h"
#include "tests/qtest/libqos/pci.h"
#include "tests/qtest/libqos/virtio.h"
#include "tests/qtest/libqos/virtio-pci.h"
#include "tests/qtest/libqos/virtio-gpu-xen-lend.h"
#include "fuzz.h"
#include "qos_fuzz.h"

#define TIMEOUT_US (10 * 1000 * 1000)
#define RESP_MAX 4096

/*
 * The input is a list of actions, each a FuzzAction and, but for a read,
 * @len bytes of data.  The data of a queue action is the request itself,
 * header included, so that the fuzzer reaches every command and field.
 * contrib/fuzz/virtio-gpu-xen-lend-corpus.py writes the seeds.
 */
enum {
    ACT_CTRL,       /* a request on the control queue, @arg: response size */
    ACT_CURSOR,     /* a request on the cursor queue */
    ACT_WRITE,      /* the data, written to the window at offset @arg */
    ACT_READ,       /* @len bytes read from the window at offset @arg */
    ACT_DECODE,     /* memory decoding off, then on again */
    ACT_MOVE,       /* the window's BAR moved by @arg MiB, then back */
    ACT_REVOKE,     /* the host revokes every lent range */
    ACT_RESET,      /* a virtio reset, and the queues set up again */
    ACT_MAX
};

typedef struct QEMU_PACKED FuzzAction {
    uint8_t kind;
    uint16_t len;
    uint32_t arg;
} FuzzAction;

typedef struct VGXLFuzz {
    QVirtioPCIDevice *dev;
    QVirtQueue *ctrl;
    QVirtQueue *cursor;
    QPCIBar window;
    uint64_t window_size;
    uint32_t bar_regs[6];
    uint16_t command;
    Object *backend;    /* the virtio device, for the host's revocations */
} VGXLFuzz;

static VGXLFuzz fuzz;

static void vgxl_queues_setup(QTestState *s)
{
    QVirtioDevice *vdev = &fuzz.dev->vdev;

    qvirtio_reset(vdev);
    qvirtio_set_acknowledge(vdev);
    qvirtio_set_driver(vdev);
    qvirtio_set_features(vdev, qvirtio_get_features(vdev) &
                         ((1ull << VIRTIO_GPU_F_VIRGL) |
                          (1ull << VIRTIO_GPU_F_EDID) |
                          (1ull << VIRTIO_GPU_F_RESOURCE_BLOB) |
                          (1ull << VIRTIO_GPU_F_CONTEXT_INIT) |
                          (1ull << VIRTIO_F_VERSION_1)));
    fuzz.ctrl = qvirtqueue_setup(vdev, fuzz_qos_alloc, 0);
    fuzz.cursor = qvirtqueue_setup(vdev, fuzz_qos_alloc, 1);
    qvirtio_set_driver_ok(vdev);
}

static void vgxl_queues_cleanup(void)
{
    qvirtqueue_cleanup(fuzz.dev->vdev.bus, fuzz.ctrl, fuzz_qos_alloc);
    qvirtqueue_cleanup(fuzz.dev->vdev.bus, fuzz.cursor, fuzz_qos_alloc);
}

/*
 * Run the main loop until the device used @head, gave up on the queue,
 * or the timeout passed: a timeout is a hang, which the fuzzer reports.
 */
static void vgxl_wait_used(QTestState *s, QVirtQueue *vq, uint32_t head)
{
    QVirtioDevice *vdev = &fuzz.dev->vdev;
    gint64 start = g_get_monotonic_time();
    uint32_t got;

    for (;;) {
        /* A fenced request completes when the 10 ms fence poll runs. */
        qtest_clock_step(s, 10 * SCALE_MS);
        flush_events(s);
        if (vdev->bus->get_status(vdev) & VIRTIO_CONFIG_S_NEEDS_RESET) {
            return;
        }
        if (vdev->bus->get_queue_isr_status(vdev, vq) &&
            qvirtqueue_get_buf(s, vq, &got, NULL) && got == head) {
            return;
        }
        g_assert(g_get_monotonic_time() - start <= TIMEOUT_US);
    }
}

static void vgxl_request(QTestState *s, QVirtQueue *vq, const uint8_t *req,
                         size_t len, uint32_t resp_len)
{
    uint64_t req_addr = guest_alloc(fuzz_qos_alloc, MAX(len, 1));
    uint64_t resp_addr = 0;
    uint32_t head;

    qtest_memwrite(s, req_addr, req, len);
    head = qvirtqueue_add(s, vq, req_addr, len, false, resp_len != 0);
    if (resp_len) {
        resp_addr = guest_alloc(fuzz_qos_alloc, resp_len);
        qvirtqueue_add(s, vq, resp_addr, resp_len, true, false);
    }
    qvirtqueue_kick(s, &fuzz.dev->vdev, vq, head);
    vgxl_wait_used(s, vq, head);
    guest_free(fuzz_qos_alloc, req_addr);
    if (resp_addr) {
        guest_free(fuzz_qos_alloc, resp_addr);
    }
}

static void vgxl_set_bar(QTestState *s, uint64_t addr)
{
    qpci_config_writel(fuzz.dev->pdev, PCI_BASE_ADDRESS_4,
                       addr | (fuzz.bar_regs[4] & ~PCI_BASE_ADDRESS_MEM_MASK));
    qpci_config_writel(fuzz.dev->pdev, PCI_BASE_ADDRESS_5, addr >> 32);
}

static void vgxl_fuzz(QTestState *s, const unsigned char *data, size_t size)
{
    QPCIDevice *pdev = fuzz.dev->pdev;
    g_autofree uint8_t *buf = NULL;
    FuzzAction act;
    uint64_t off;
    int i;

    /* A system reset ended the last input: program the PCI device again. */
    for (i = 0; i < 6; i++) {
        qpci_config_writel(pdev, PCI_BASE_ADDRESS_0 + 4 * i, fuzz.bar_regs[i]);
    }
    qpci_config_writew(pdev, PCI_COMMAND, fuzz.command);
    vgxl_queues_setup(s);

    while (size >= sizeof(act)) {
        memcpy(&act, data, sizeof(act));
        data += sizeof(act);
        size -= sizeof(act);
        act.kind %= ACT_MAX;
        act.len = le16_to_cpu(act.len);
        act.arg = le32_to_cpu(act.arg);
        if (act.kind != ACT_READ) {
            act.len = MIN(act.len, size);
        }

        if (getenv("VGXL_FUZZ_TRACE")) {
            fprintf(stderr, "action %u len %u arg 0x%x\n", act.kind,
                    act.len, act.arg);
        }
        switch (act.kind) {
        case ACT_CTRL:
            vgxl_request(s, fuzz.ctrl, data, act.len,
                         MAX(act.arg % RESP_MAX,
                             sizeof(struct virtio_gpu_ctrl_hdr)));
            break;
        case ACT_CURSOR:
            vgxl_request(s, fuzz.cursor, data, act.len, 0);
            break;
        case ACT_WRITE:
            off = act.arg % fuzz.window_size;
            qpci_memwrite(pdev, fuzz.window, off, data,
                          MIN(act.len, fuzz.window_size - off));
            break;
        case ACT_READ:
            off = act.arg % fuzz.window_size;
            buf = g_realloc(buf, act.len);
            qpci_memread(pdev, fuzz.window, off, buf,
                         MIN(act.len, fuzz.window_size - off));
            break;
        case ACT_DECODE:
            qpci_config_writew(pdev, PCI_COMMAND,
                               fuzz.command & ~PCI_COMMAND_MEMORY);
            flush_events(s);
            qpci_config_writew(pdev, PCI_COMMAND, fuzz.command);
            break;
        case ACT_MOVE:
            /* Within the 32-bit PCI space that libqos allocates from. */
            vgxl_set_bar(s, QEMU_ALIGN_DOWN(fuzz.window.addr +
                                            (act.arg % 256) * MiB,
                                            fuzz.window_size) %
                            (1ull << 32));
            flush_events(s);
            vgxl_set_bar(s, fuzz.window.addr);
            break;
        case ACT_REVOKE:
            /* In-process: the property QMP's qom-set would reach. */
            object_property_set_int(fuzz.backend, "x-lend-revoke", -1, NULL);
            break;
        case ACT_RESET:
            vgxl_queues_cleanup();
            vgxl_queues_setup(s);
            break;
        }
        if (act.kind != ACT_READ) {
            data += act.len;
            size -= act.len;
        }
    }
    flush_events(s);
    vgxl_queues_cleanup();
    fuzz_reset(s);
}

static void vgxl_pre_fuzz(QTestState *s)
{
    int i;

    qos_init_path(s);
    fuzz.dev = fuzz_qos_obj;
    fuzz.window = qpci_iomap(fuzz.dev->pdev, 4, &fuzz.window_size);
    for (i = 0; i < 6; i++) {
        fuzz.bar_regs[i] = qpci_config_readl(fuzz.dev->pdev,
                                             PCI_BASE_ADDRESS_0 + 4 * i);
    }
    fuzz.command = qpci_config_readw(fuzz.dev->pdev, PCI_COMMAND) |
                   PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    fuzz.backend = object_resolve_path("/machine/peripheral/gpu/"
                                       "virtio-backend", NULL);
    g_assert(fuzz.backend);
}

static void register_virtio_gpu_xen_lend_fuzz_targets(void)
{
    fuzz_add_qos_target(&(FuzzTarget){
            .name = "virtio-gpu-xen-lend",
            .description = "Fuzz the control and cursor queues, the hostmem "
            "window and its BAR of virtio-gpu-xen-lend-pci with Venus, and "
            "the host's revocations.  A timeout is a wedged queue.",
            .pre_fuzz = vgxl_pre_fuzz,
            .fuzz = vgxl_fuzz,
        },
        "virtio-gpu-xen-lend", NULL);
}

fuzz_target_init(register_virtio_gpu_xen_lend_fuzz_targets);
