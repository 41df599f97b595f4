// SPDX-License-Identifier: GPL-2.0
/*
 * The memory map and interrupt table (vmm/machine.c): no two regions share
 * an address, no two devices an SPI, and the virtio-mmio slots are where
 * the table and the docs say (slot i at 0x0a000000 + i * 0x200, SPI 16 + i).
 */
#include "tests/unit/check.h"
#include "virtio/mmio.h"
#include "vmm/machine.h"

/* RAM's size is the VM's: at most MACHINE_RAM_MAX. */
static uint64_t region_end(enum machine_region r)
{
	const struct machine_region_desc *d = &machine_map[r];

	return d->base + (r == MR_RAM ? MACHINE_RAM_MAX : d->size);
}

static void regions_disjoint(void)
{
	for (unsigned int a = 0; a < MR_COUNT; a++) {
		CHECK(machine_map[a].name);
		CHECK(a == MR_RAM || machine_map[a].size > 0);
		for (unsigned int b = a + 1; b < MR_COUNT; b++) {
			bool overlap = machine_map[a].base < region_end(b) &&
				       machine_map[b].base < region_end(a);

			if (overlap)
				printf("# %s and %s overlap\n",
				       machine_map[a].name,
				       machine_map[b].name);
			CHECK(!overlap);
		}
	}
	/* The stock firmware maps devices in 0x08000000-0x0fffffff only. */
	CHECK(region_end(MR_VIRTIO_MMIO) <= 0x10000000);
}

static void spis_disjoint(void)
{
	for (unsigned int a = 0; a < MR_COUNT; a++) {
		const struct machine_region_desc *x = &machine_map[a];

		/* An SPI without a count, or a count without an SPI (SPI 0
		 * is left unused, as on QEMU's virt), is a slip. */
		CHECK((x->spi == 0) == (x->nr_spis == 0));
		CHECK(x->spi + x->nr_spis <= MACHINE_NR_SPIS);
		for (unsigned int b = a + 1; b < MR_COUNT; b++) {
			const struct machine_region_desc *y = &machine_map[b];
			bool overlap = x->nr_spis && y->nr_spis &&
				       x->spi < y->spi + y->nr_spis &&
				       y->spi < x->spi + x->nr_spis;

			if (overlap)
				printf("# SPIs of %s and %s overlap\n", x->name,
				       y->name);
			CHECK(!overlap);
		}
	}
}

static void virtio_mmio_slots(void)
{
	const struct machine_region_desc *r = &machine_map[MR_VIRTIO_MMIO];
	uint64_t base = 0, prev_end = 0;
	uint32_t spi = 0;

	CHECK_EQ(MACHINE_VIRTIO_MMIO_SLOT_SIZE, VIRTIO_MMIO_SIZE);
	CHECK_EQ(r->base, 0x0a000000);
	CHECK_EQ(r->size, 0x4000);
	CHECK_EQ(r->spi, 16);
	CHECK_EQ(r->nr_spis, MACHINE_VIRTIO_MMIO_SLOTS);
	for (unsigned int i = 0; i < MACHINE_VIRTIO_MMIO_SLOTS; i++) {
		CHECK_EQ(machine_virtio_mmio_slot(i, &base, &spi), 0);
		CHECK_EQ(base, 0x0a000000 + i * 0x200);
		CHECK_EQ(spi, 16 + i);
		CHECK(base >= prev_end);
		prev_end = base + VIRTIO_MMIO_SIZE;
		CHECK_EQ(machine_region_of(base), MR_VIRTIO_MMIO);
		CHECK_EQ(machine_region_of(prev_end - 1), MR_VIRTIO_MMIO);
	}
	CHECK_EQ(spi, 47);
	CHECK_EQ(prev_end, r->base + r->size);
	CHECK_EQ(
	    machine_virtio_mmio_slot(MACHINE_VIRTIO_MMIO_SLOTS, &base, &spi),
	    -1);
	CHECK_EQ(machine_virtio_mmio_slot(~0u, &base, &spi), -1);
}

int main(void)
{
	check_suite = "machine";
	RUN(regions_disjoint);
	RUN(spis_disjoint);
	RUN(virtio_mmio_slots);
	return check_main_end();
}
