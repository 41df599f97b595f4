/* SPDX-License-Identifier: GPL-2.0 */
/* The virtio-over-PCI transport, modern (virtio 1.2 section 4.1). */
#ifndef ARMVM_VIRTIO_PCI_H
#define ARMVM_VIRTIO_PCI_H

#include <stdbool.h>

struct pci_function;
struct pci_host;
struct virtio_dev;

/*
 * Wrap vdev in a PCI function (vendor 0x1af4, device 0x1040 + type).
 * With msix, the function offers MSI-X (one vector per queue plus one for
 * configuration changes), delivered through the host's msi_sink; it always
 * offers INTA#. The function owns vdev from then on.
 */
struct pci_function *virtio_pci_create(struct virtio_dev *vdev, bool msix);
/* The virtio device a virtio-pci function carries. */
struct virtio_dev *virtio_pci_device(struct pci_function *fn);

#endif
