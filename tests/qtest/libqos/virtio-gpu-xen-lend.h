/*
 * libqos driver for virtio-gpu-xen-lend-pci
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_LIBQOS_VIRTIO_GPU_XEN_LEND_H
#define TESTS_LIBQOS_VIRTIO_GPU_XEN_LEND_H

#include "qgraph.h"
#include "virtio.h"
#include "virtio-pci.h"

typedef struct QVirtioGPUXenLendPCI {
    QVirtioPCIDevice pci_vdev;
} QVirtioGPUXenLendPCI;

#endif
