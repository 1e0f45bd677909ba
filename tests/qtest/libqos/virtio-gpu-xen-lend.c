/*
 * libqos driver for virtio-gpu-xen-lend-pci
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "../libqtest.h"
#include "qemu/module.h"
#include "qgraph.h"
#include "virtio-gpu-xen-lend.h"

static void *qvirtio_gpu_xen_lend_pci_get_driver(void *object,
                                                 const char *interface)
{
    QVirtioGPUXenLendPCI *dev = object;

    if (!g_strcmp0(interface, "pci-device")) {
        return dev->pci_vdev.pdev;
    }
    if (!g_strcmp0(interface, "virtio") ||
        !g_strcmp0(interface, "virtio-gpu-xen-lend")) {
        return &dev->pci_vdev;
    }
    fprintf(stderr, "%s not present in virtio-gpu-xen-lend-pci\n", interface);
    g_assert_not_reached();
}

static void *qvirtio_gpu_xen_lend_pci_create(void *pci_bus,
                                             QGuestAllocator *alloc,
                                             void *addr)
{
    QVirtioGPUXenLendPCI *dev = g_new0(QVirtioGPUXenLendPCI, 1);

    virtio_pci_init(&dev->pci_vdev, pci_bus, addr);
    dev->pci_vdev.obj.get_driver = qvirtio_gpu_xen_lend_pci_get_driver;
    return &dev->pci_vdev.obj;
}

static void virtio_gpu_xen_lend_register_nodes(void)
{
    QPCIAddress addr = {
        .devfn = QPCI_DEVFN(4, 0),
    };
    /* libqos maps BARs below 4 GiB: keep the window small. */
    QOSGraphEdgeOptions opts = {
        .extra_device_opts = "addr=04.0,hostmem=64M,id=gpu,virgl=off",
    };

    add_qpci_address(&opts, &addr);
    qos_node_create_driver("virtio-gpu-xen-lend-pci",
                           qvirtio_gpu_xen_lend_pci_create);
    qos_node_consumes("virtio-gpu-xen-lend-pci", "pci-bus", &opts);
    qos_node_produces("virtio-gpu-xen-lend-pci", "pci-device");
    qos_node_produces("virtio-gpu-xen-lend-pci", "virtio");
    qos_node_produces("virtio-gpu-xen-lend-pci", "virtio-gpu-xen-lend");
}

libqos_init(virtio_gpu_xen_lend_register_nodes);
