// SPDX-License-Identifier: GPL-2.0
#include "vmm/machine.h"

/*
 * QEMU 7.2 hw/arm/virt.c base_memmap and a15irqmap (as facts, see
 * shared/research/stock-firmware.md section 8). No two regions and no two
 * SPI ranges overlap (tests/unit/test_machine.c): the PCIe host's INTA-D
 * are SPIs 3-6, the virtio-mmio slots 16-47, the GICv2m frame's MSIs
 * 48-111 (INTIDs 80-143). Only regions armvm creates are listed: QEMU's
 * PCIe I/O window (0x3eff0000) would come back with a model that uses it.
 * The boot marker (devices/boot_marker.h, --boot-marker) is armvm's own
 * too, at an address QEMU 7.2's map leaves free.
 * The GICv2m frame is armvm's own (devices/gicv2m.c: KVM's GICv2 has no
 * MSIs), made for GICv2 machines only; the ITS is KVM's, for GICv3 ones.
 */
const struct machine_region_desc machine_map[MR_COUNT] = {
    [MR_FLASH_CODE] = {"flash-code", 0x00000000, 0x04000000, 0, 0},
    [MR_FLASH_VARS] = {"flash-vars", 0x04000000, 0x04000000, 0, 0},
    [MR_GIC_DIST] = {"gic-dist", 0x08000000, 0x00010000, 0, 0},
    [MR_GIC_CPU] = {"gic-cpu", 0x08010000, 0x00010000, 0, 0},
    [MR_GIC_V2M] = {"gic-v2m", 0x08020000, 0x00001000, 48, 64},
    [MR_GIC_ITS] = {"gic-its", 0x08080000, 0x00020000, 0, 0},
    [MR_GIC_REDIST] = {"gic-redist", 0x080a0000, 0x00f60000, 0, 0},
    [MR_UART] = {"uart", 0x09000000, 0x00001000, 1, 1},
    [MR_RTC] = {"rtc", 0x09010000, 0x00001000, 2, 1},
    [MR_GPIO] = {"gpio", 0x09030000, 0x00001000, 7, 1},
    [MR_BOOT_MARKER] = {"boot-marker", 0x090c0000, 0x00001000, 0, 0},
    [MR_VIRTIO_MMIO] = {"virtio-mmio", 0x0a000000, MACHINE_VIRTIO_MMIO_SIZE, 16,
			MACHINE_VIRTIO_MMIO_SLOTS},
    [MR_PCIE_MMIO] = {"pcie-mmio", 0x10000000, 0x2eff0000, 3, 4},
    [MR_PCIE_ECAM] = {"pcie-ecam", 0x3f000000, 0x01000000, 0, 0},
    [MR_RAM] = {"ram", 0x40000000, 0, 0, 0},
};

int machine_virtio_mmio_slot(unsigned int i, uint64_t *base, uint32_t *spi)
{
	const struct machine_region_desc *r = &machine_map[MR_VIRTIO_MMIO];

	if (i >= MACHINE_VIRTIO_MMIO_SLOTS)
		return -1;
	*base = r->base + (uint64_t)i * MACHINE_VIRTIO_MMIO_SLOT_SIZE;
	*spi = r->spi + i;
	return 0;
}

enum machine_region machine_region_of(uint64_t gpa)
{
	for (unsigned int r = 0; r < MR_COUNT; r++)
		if (gpa >= machine_map[r].base &&
		    gpa - machine_map[r].base < machine_map[r].size)
			return r;
	return MR_COUNT;
}
