/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine's memory map and interrupt numbers: the one table every other
 * file takes addresses and SPIs from.
 *
 * The layout is QEMU's `virt` machine, because the stock EDK2 firmware
 * (ArmVirtQemu, shared/research/stock-firmware.md section 1) is built for
 * it: code flash at 0, variable flash at 0x04000000, GIC, UART and
 * virtio-mmio inside the 0x08000000-0x0fffffff window the firmware maps,
 * RAM at 0x40000000. HW-2: nothing here is guest ABI beyond that; the guest
 * finds everything through the device tree.
 */
#ifndef ARMVM_VMM_MACHINE_H
#define ARMVM_VMM_MACHINE_H

#include <stdint.h>

enum machine_region {
	MR_FLASH_CODE,
	MR_FLASH_VARS,
	MR_GIC_DIST,
	MR_GIC_CPU, /* GICv2 CPU interface */
	MR_GIC_V2M, /* GICv2m MSI frame (armvm's, devices/gicv2m.c) */
	MR_GIC_ITS,
	MR_GIC_REDIST,
	MR_UART,
	MR_RTC,
	MR_GPIO,
	MR_BOOT_MARKER, /* armvm's boot marker (--boot-marker only) */
	MR_VIRTIO_MMIO,
	MR_PCIE_MMIO,
	MR_PCIE_ECAM,
	MR_RAM,
	MR_COUNT
};

struct machine_region_desc {
	const char *name;
	uint64_t base;
	uint64_t size;
	uint32_t spi;	  /* first GIC SPI, DT numbering (INTID - 32) */
	uint32_t nr_spis; /* SPIs from spi on that are the region's; 0: none */
};

extern const struct machine_region_desc machine_map[MR_COUNT];

/* The region holding gpa (RAM's size is the VM's, so RAM is not found
 * here), or MR_COUNT if none. */
enum machine_region machine_region_of(uint64_t gpa);

/*
 * virtio-mmio (virtio 1.2 section 4.2): MR_VIRTIO_MMIO holds 32 slots of
 * one transport's register window each; slot i is at base + i * 0x200 and
 * raises SPI 16 + i (level), as on QEMU's virt machine.
 */
#define MACHINE_VIRTIO_MMIO_SLOT_SIZE 0x200
#define MACHINE_VIRTIO_MMIO_SLOTS     32
#define MACHINE_VIRTIO_MMIO_SIZE \
	(MACHINE_VIRTIO_MMIO_SLOTS * MACHINE_VIRTIO_MMIO_SLOT_SIZE)

/* Slot i's window and SPI: 0, or -1 when there is no slot i. */
int machine_virtio_mmio_slot(unsigned int i, uint64_t *base, uint32_t *spi);

/* Private peripheral interrupts (PPI numbers as in the DT; INTID = +16). */
#define PPI_TIMER_SECURE    13
#define PPI_TIMER_NONSECURE 14
#define PPI_TIMER_VIRTUAL   11
#define PPI_TIMER_HYP	    10
#define PPI_GIC_MAINTENANCE 9

/* SPIs reserved for the GIC (DT numbering): 0-255 is what QEMU offers. */
#define MACHINE_NR_SPIS 256

/* RAM limits: the firmware needs 128 MiB; the map leaves room up to 255 GiB
 * below the high regions QEMU would place (we place none). */
#define MACHINE_RAM_MIN (16ULL << 20)
#define MACHINE_RAM_MAX (255ULL << 30)

/* vCPU limits: GICv2 has 8 CPU interfaces (PLAT-3); our redistributor
 * region holds 123 GICv3 frames of 128 KiB. */
#define MACHINE_MAX_CPUS_GICV2 8
#define MACHINE_MAX_CPUS_GICV3 123

#endif
