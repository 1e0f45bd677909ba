/*
 * virtio-gpu-xen-lend-pci: the PCI transport of virtio-gpu-xen-lend.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/module.h"
#include "hw/virtio/virtio-gpu-pci.h"
#include "hw/virtio/virtio-gpu-xen-lend.h"
#include "qom/object.h"

#define TYPE_VIRTIO_GPU_XEN_LEND_PCI "virtio-gpu-xen-lend-pci"
OBJECT_DECLARE_TYPE(VirtIOGPUXenLendPCI, VirtIOGPUXenLendPCIClass,
                    VIRTIO_GPU_XEN_LEND_PCI)

struct VirtIOGPUXenLendPCI {
    VirtIOGPUPCIBase parent_obj;
    VirtIOGPUXenLend vdev;
};

struct VirtIOGPUXenLendPCIClass {
    VirtioPCIClass parent_class;
    void (*parent_realize)(VirtIOPCIProxy *vpci_dev, Error **errp);
};

static void virtio_gpu_xen_lend_pci_realize(VirtIOPCIProxy *vpci_dev,
                                            Error **errp)
{
    VirtIOGPUXenLendPCI *dev = VIRTIO_GPU_XEN_LEND_PCI(vpci_dev);
    uint64_t hostmem = VIRTIO_GPU_BASE(&dev->vdev)->conf.hostmem;

    /* The window is BAR 4, and a PCI BAR's size is a power of two. */
    if (hostmem && !is_power_of_2(hostmem)) {
        error_setg(errp, "virtio-gpu-xen-lend: 'hostmem' (%" PRIu64
                   ") must be a power of two: it is the size of BAR 4",
                   hostmem);
        return;
    }
    VIRTIO_GPU_XEN_LEND_PCI_GET_CLASS(dev)->parent_realize(vpci_dev, errp);
}

static void virtio_gpu_xen_lend_pci_class_init(ObjectClass *klass, void *data)
{
    VirtioPCIClass *k = VIRTIO_PCI_CLASS(klass);
    VirtIOGPUXenLendPCIClass *xk = VIRTIO_GPU_XEN_LEND_PCI_CLASS(klass);

    xk->parent_realize = k->realize;
    k->realize = virtio_gpu_xen_lend_pci_realize;
}

static void virtio_gpu_xen_lend_pci_initfn(Object *obj)
{
    VirtIOGPUXenLendPCI *dev = VIRTIO_GPU_XEN_LEND_PCI(obj);

    virtio_instance_init_common(obj, &dev->vdev, sizeof(dev->vdev),
                                TYPE_VIRTIO_GPU_XEN_LEND);
    VIRTIO_GPU_PCI_BASE(obj)->vgpu = VIRTIO_GPU_BASE(&dev->vdev);
}

static const VirtioPCIDeviceTypeInfo virtio_gpu_xen_lend_pci_info = {
    .generic_name = TYPE_VIRTIO_GPU_XEN_LEND_PCI,
    .parent = TYPE_VIRTIO_GPU_PCI_BASE,
    .instance_size = sizeof(VirtIOGPUXenLendPCI),
    .class_size = sizeof(VirtIOGPUXenLendPCIClass),
    .instance_init = virtio_gpu_xen_lend_pci_initfn,
    .class_init = virtio_gpu_xen_lend_pci_class_init,
};
module_obj(TYPE_VIRTIO_GPU_XEN_LEND_PCI);
module_kconfig(VIRTIO_PCI);

static void virtio_gpu_xen_lend_pci_register_types(void)
{
    virtio_pci_types_register(&virtio_gpu_xen_lend_pci_info);
}

type_init(virtio_gpu_xen_lend_pci_register_types)

module_dep("hw-display-virtio-gpu-pci");
