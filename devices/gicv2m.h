/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A GICv2m MSI frame (Arm's Server Base System Architecture, appendix
 * "GICv2m"; Linux drivers/irqchip/irq-gic-v2m.c), emulated in user space:
 * KVM's GICv2 has no MSI support, so this frame is how a GICv2 machine
 * gives PCI devices MSIs (issue 15). A write of an INTID to MSI_SETSPI_NS
 * makes that SPI pending as an edge, through the irq sink; PCI devices
 * reach the same register through the frame's msi_sink.
 *
 * The frame has no state: nothing to reset, save or restore.
 */
#ifndef ARMVM_DEVICES_GICV2M_H
#define ARMVM_DEVICES_GICV2M_H

#include <stdint.h>

#include "devices/device.h"
#include "devices/pci.h"

/* Register offsets (SBSA GICv2m appendix). */
#define GICV2M_MSI_TYPER     0x008
#define GICV2M_MSI_SETSPI_NS 0x040
#define GICV2M_MSI_IIDR	     0xfcc
#define GICV2M_SIZE	     0x1000

/*
 * A frame of size GICV2M_SIZE at base owning nr_spis SPIs from spi (DT
 * numbering: INTIDs spi + 32 on), raised through irq. Its device-tree node
 * is a child of the GIC's (fdt_node writes it there: the caller places
 * it), with phandle PHANDLE_GIC_V2M. NULL (after pr_err) on failure or a
 * range the register cannot describe.
 */
struct device *gicv2m_create(uint64_t base, uint32_t spi, uint32_t nr_spis,
			     struct irq_sink irq);

/*
 * The sink PCI devices' MSIs go to: an MSI is the frame's MSI_SETSPI_NS
 * write, so one whose address is that register and whose data is an
 * INTID of the frame raises that SPI and is delivered; anything else is
 * dropped (send returns false).
 */
struct msi_sink gicv2m_msi_sink(struct device *dev);

#endif
