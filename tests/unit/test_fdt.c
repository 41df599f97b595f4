// SPDX-License-Identifier: GPL-2.0
/* Build device trees with vmm/fdt.c, parse them back with libfdt. */
#include <libfdt.h>
#include <stdlib.h>

#include "devices/gicv2m.h"
#include "devices/pci.h"
#include "devices/pl011.h"
#include "lib/guest_mem.h"
#include "virtio/balloon.h"
#include "virtio/mmio.h"
#include "virtio/rng.h"
#include "vmm/fdt.h"
#include "vmm/machine.h"
#include "tests/unit/check.h"

static uint8_t buf[1 << 16];

static void out_null(void *o, const uint8_t *b, size_t n)
{
}

static const void *prop(const char *path, const char *name, int *len)
{
	int node = fdt_path_offset(buf, path);

	if (node < 0)
		return NULL;
	return fdt_getprop(buf, node, name, len);
}

static uint32_t cell(const void *p, int i)
{
	return fdt32_to_cpu(((const fdt32_t *)p)[i]);
}

static uint64_t cell64(const void *p, int i)
{
	return fdt64_to_cpu(((const fdt64_t *)p)[i]);
}

static bool build_no_timer; /* --test-fault no-timer-node */

static int build(int gic, unsigned int cpus, struct device *uart)
{
	static uint64_t mpidr[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	static uint8_t seed[32];
	struct device *devs[1] = {uart};
	struct fdt_machine m = {
	    .nr_cpus = cpus,
	    .mpidr = mpidr,
	    .gic_version = gic,
	    .gic_its = gic == 3,
	    .ram_base = 0x40000000,
	    .ram_size = 512ULL << 20,
	    .bootargs = "console=ttyAMA0 earlycon",
	    .initrd_start = 0x48000000,
	    .initrd_end = 0x48100000,
	    .rng_seed = seed,
	    .devices = devs,
	    .nr_devices = 1,
	    .stdout_dev = uart,
	    .no_timer = build_no_timer,
	};

	return fdt_build(&m, buf, sizeof(buf));
}

static struct device *uart(void)
{
	struct irq_sink none = {0};

	return pl011_create(0x9000000, 1, none, out_null, NULL);
}

static void root_memory_chosen(void)
{
	struct device *u = uart();
	const void *p;
	int len;

	CHECK_EQ(build(3, 4, u), 0);
	CHECK_EQ(fdt_check_header(buf), 0);
	p = prop("/", "#address-cells", &len);
	CHECK(p && len == 4 && cell(p, 0) == 2);
	p = prop("/", "#size-cells", &len);
	CHECK(p && cell(p, 0) == 2);
	p = prop("/", "interrupt-parent", &len);
	CHECK(p && cell(p, 0) == PHANDLE_GIC);
	/* The firmware accepts only a 16-byte memory reg (research 1.3). */
	p = prop("/memory@40000000", "reg", &len);
	CHECK(p && len == 16);
	CHECK(p && cell64(p, 0) == 0x40000000 && cell64(p, 1) == 512ULL << 20);
	p = prop("/memory@40000000", "device_type", &len);
	CHECK(p && !strcmp(p, "memory"));
	p = prop("/chosen", "bootargs", &len);
	CHECK(p && !strcmp(p, "console=ttyAMA0 earlycon"));
	p = prop("/chosen", "linux,initrd-start", &len);
	CHECK(p && len == 8 && cell64(p, 0) == 0x48000000);
	p = prop("/chosen", "linux,initrd-end", &len);
	CHECK(p && len == 8 && cell64(p, 0) == 0x48100000);
	p = prop("/chosen", "rng-seed", &len);
	CHECK(p && len == 32);
	/* stdout-path must name the UART node that exists. */
	p = prop("/chosen", "stdout-path", &len);
	CHECK(p && fdt_path_offset(buf, p) >= 0);
	CHECK(p && !strcmp(p, "/serial@9000000"));
	u->ops->destroy(u);
}

static void cpus_psci_timer(void)
{
	struct device *u = uart();
	const void *p;
	int len, n = 0, node, cpus;

	CHECK_EQ(build(3, 4, u), 0);
	cpus = fdt_path_offset(buf, "/cpus");
	CHECK(cpus >= 0);
	fdt_for_each_subnode(node, buf, cpus)
	{
		p = fdt_getprop(buf, node, "enable-method", &len);
		CHECK(p && !strcmp(p, "psci"));
		p = fdt_getprop(buf, node, "reg", &len);
		CHECK(p && cell(p, 0) == (uint32_t)n);
		n++;
	}
	CHECK_EQ(n, 4);
	p = prop("/psci", "compatible", &len);
	CHECK(p && fdt_stringlist_contains(p, len, "arm,psci-0.2"));
	p = prop("/psci", "method", &len);
	CHECK(p && !strcmp(p, "hvc"));
	p = prop("/timer", "interrupts", &len);
	CHECK(p && len == 12 * 4);
	CHECK(p && cell(p, 0) == 1 && cell(p, 1) == 13 && cell(p, 7) == 11);
	CHECK(p && cell(p, 2) == FDT_IRQ_LEVEL_HIGH); /* no mask on v3 */
	p = prop("/timer", "compatible", &len);
	CHECK(p && !strcmp(p, "arm,armv8-timer"));
	/* The planted fault of armvm conform's tests: no timer node. */
	build_no_timer = true;
	CHECK_EQ(build(3, 4, u), 0);
	CHECK(fdt_path_offset(buf, "/timer") < 0);
	CHECK(fdt_path_offset(buf, "/psci") >= 0);
	build_no_timer = false;
	u->ops->destroy(u);
}

static void gicv3_with_its(void)
{
	struct device *u = uart();
	const void *p;
	int len;

	CHECK_EQ(build(3, 4, u), 0);
	p = prop("/interrupt-controller@8000000", "compatible", &len);
	CHECK(p && !strcmp(p, "arm,gic-v3"));
	p = prop("/interrupt-controller@8000000", "reg", &len);
	CHECK(p && len == 32);
	CHECK(p && cell64(p, 2) == machine_map[MR_GIC_REDIST].base);
	CHECK(p && cell64(p, 3) == 4 * 0x20000ULL); /* one frame per vCPU */
	CHECK(prop("/interrupt-controller@8000000", "interrupt-controller",
		   &len));
	p = prop("/interrupt-controller@8000000/msi-controller@8080000",
		 "compatible", &len);
	CHECK(p && !strcmp(p, "arm,gic-v3-its"));
	u->ops->destroy(u);
}

static void gicv2_masks(void)
{
	struct device *u = uart();
	const void *p;
	int len;

	CHECK_EQ(build(2, 2, u), 0);
	p = prop("/interrupt-controller@8000000", "compatible", &len);
	CHECK(p && !strcmp(p, "arm,cortex-a15-gic"));
	p = prop("/interrupt-controller@8000000", "reg", &len);
	CHECK(p && cell64(p, 2) == machine_map[MR_GIC_CPU].base);
	CHECK(fdt_path_offset(
		  buf, "/interrupt-controller@8000000/msi-controller@8080000") <
	      0);
	/* No frame given, no v2m node. */
	CHECK(fdt_path_offset(buf,
			      "/interrupt-controller@8000000/v2m@8020000") < 0);
	/* GICv2 PPI specifiers carry a mask of the CPUs: 2 CPUs = 0x3. */
	p = prop("/timer", "interrupts", &len);
	CHECK(p && cell(p, 2) == (0x300 | FDT_IRQ_LEVEL_HIGH));
	u->ops->destroy(u);
}

/*
 * The PCI host and the MSI controller the plan gives each GIC: a GICv2
 * with armvm's GICv2m frame as the GIC node's v2m@8020000 child and the
 * host bridge's msi-parent; a GICv3 with the ITS and an msi-map.
 */
static int build_msi(int gic, struct pci_host *h, struct device *v2m)
{
	static uint64_t mpidr[1];
	struct device *devs[1] = {pci_host_ecam(h)};
	struct fdt_machine m = {.nr_cpus = 1,
				.mpidr = mpidr,
				.gic_version = gic,
				.gic_its = gic == 3,
				.gic_v2m = v2m,
				.ram_base = 0x40000000,
				.ram_size = 1 << 28,
				.devices = devs,
				.nr_devices = 1};

	return fdt_build(&m, buf, sizeof(buf));
}

static void gicv2_with_v2m(void)
{
	static const char gic[] = "/interrupt-controller@8000000";
	static const char v2m[] = "/interrupt-controller@8000000/v2m@8020000";
	const struct machine_region_desc *r = &machine_map[MR_GIC_V2M];
	struct device *frame =
	    gicv2m_create(r->base, r->spi, r->nr_spis, (struct irq_sink){0});
	struct pci_host *h = pci_host_create(
	    machine_map[MR_PCIE_ECAM].base, machine_map[MR_PCIE_ECAM].size,
	    machine_map[MR_PCIE_MMIO].base, machine_map[MR_PCIE_MMIO].size,
	    machine_map[MR_PCIE_MMIO].spi, (struct irq_sink){0});
	const void *p;
	int len;

	CHECK(frame && h);
	if (!frame || !h)
		return;
	pci_host_set_msi(h, gicv2m_msi_sink(frame), PCI_MSI_PARENT,
			 PHANDLE_GIC_V2M);
	CHECK_EQ(build_msi(2, h, frame), 0);
	p = prop(gic, "compatible", &len);
	CHECK(p && !strcmp(p, "arm,cortex-a15-gic"));
	/* The child's reg is in the GIC node's terms: 2 + 2 cells, mapped
	 * 1:1 to the root's. */
	p = prop(gic, "#address-cells", &len);
	CHECK(p && len == 4 && cell(p, 0) == 2);
	p = prop(gic, "#size-cells", &len);
	CHECK(p && len == 4 && cell(p, 0) == 2);
	CHECK(prop(gic, "ranges", &len) && len == 0);
	p = prop(v2m, "compatible", &len);
	CHECK(p && !strcmp(p, "arm,gic-v2m-frame"));
	CHECK(prop(v2m, "msi-controller", &len) && len == 0);
	p = prop(v2m, "reg", &len);
	CHECK(p && len == 16 && cell64(p, 0) == 0x08020000 &&
	      cell64(p, 1) == 0x1000);
	CHECK_EQ(fdt_node_offset_by_phandle(buf, PHANDLE_GIC_V2M),
		 fdt_path_offset(buf, v2m));
	CHECK(fdt_path_offset(buf, "/v2m@8020000") < 0); /* not at the root */
	CHECK(fdt_path_offset(buf, "/interrupt-controller@8000000/"
				   "msi-controller@8080000") < 0);
	/* The host bridge's MSIs go to the frame (no requester ids). */
	p = prop("/pcie@10000000", "msi-parent", &len);
	CHECK(p && len == 4 && cell(p, 0) == PHANDLE_GIC_V2M);
	CHECK(!prop("/pcie@10000000", "msi-map", &len));

	/* A GICv3: the ITS, through an msi-map, and no frame. */
	pci_host_set_msi(h, (struct msi_sink){0}, PCI_MSI_MAP, PHANDLE_GIC_ITS);
	CHECK_EQ(build_msi(3, h, NULL), 0);
	CHECK(fdt_path_offset(buf, "/interrupt-controller@8000000/"
				   "msi-controller@8080000") >= 0);
	CHECK(fdt_path_offset(buf, v2m) < 0);
	p = prop("/pcie@10000000", "msi-map", &len);
	CHECK(p && len == 16 && cell(p, 1) == PHANDLE_GIC_ITS);
	CHECK(!prop("/pcie@10000000", "msi-parent", &len));

	/* No MSI controller: neither property. */
	pci_host_set_msi(h, (struct msi_sink){0}, PCI_MSI_NONE, 0);
	CHECK_EQ(build_msi(3, h, NULL), 0);
	CHECK(!prop("/pcie@10000000", "msi-map", &len));
	CHECK(!prop("/pcie@10000000", "msi-parent", &len));
	pci_host_destroy(h);
	frame->ops->destroy(frame);
}

static void pl011_node(void)
{
	struct device *u = uart();
	const void *p;
	int len;

	CHECK_EQ(build(3, 1, u), 0);
	p = prop("/serial@9000000", "compatible", &len);
	CHECK(p && fdt_stringlist_contains(p, len, "arm,primecell"));
	CHECK(p && fdt_stringlist_contains(p, len, "arm,pl011"));
	p = prop("/serial@9000000", "interrupts", &len);
	CHECK(p && len == 12 && cell(p, 0) == 0 && cell(p, 1) == 1 &&
	      cell(p, 2) == FDT_IRQ_LEVEL_HIGH);
	p = prop("/serial@9000000", "clocks", &len);
	CHECK(p && len == 8 && cell(p, 0) == PHANDLE_APB_PCLK);
	CHECK(fdt_node_offset_by_phandle(buf, PHANDLE_APB_PCLK) >= 0);
	/* One CPU: no enable-method is needed. */
	CHECK(!prop("/cpus/cpu@0", "enable-method", &len));
	u->ops->destroy(u);
}

/*
 * virtio-mmio devices as the platform places them (--transport mmio):
 * slot i's node virtio_mmio@<its address>, compatible "virtio,mmio",
 * its 0x200-byte window, its level-high SPI 16 + i, dma-coherent; the
 * nodes in slot order, lowest address first.
 */
static void virtio_mmio_nodes(void)
{
	static uint8_t ram[4096];
	static uint64_t mpidr[1];
	struct guest_mem mem = {
	    .host = ram, .base = 0x40000000, .size = sizeof(ram)};
	struct irq_sink none = {0};
	struct device *u = uart(), *devs[4] = {u};
	struct fdt_machine m = {.nr_cpus = 1,
				.mpidr = mpidr,
				.gic_version = 3,
				.ram_base = 0x40000000,
				.ram_size = 1 << 28,
				.devices = devs,
				.nr_devices = 4,
				.stdout_dev = u};
	int node, len, prev = -1;

	for (unsigned int i = 0; i < 3; i++) {
		uint64_t base = 0;
		uint32_t spi = 0;

		CHECK_EQ(machine_virtio_mmio_slot(i, &base, &spi), 0);
		devs[1 + i] =
		    virtio_mmio_create(base, spi, none,
				       i == 1 ? virtio_balloon_create(&mem)
					      : virtio_rng_create(&mem),
				       NULL);
		CHECK(devs[1 + i]);
		if (!devs[1 + i])
			return;
	}
	CHECK_EQ(fdt_build(&m, buf, sizeof(buf)), 0);
	for (unsigned int i = 0; i < 3; i++) {
		static const char *const path[] = {"/virtio_mmio@a000000",
						   "/virtio_mmio@a000200",
						   "/virtio_mmio@a000400"};
		const void *p;

		node = fdt_path_offset(buf, path[i]);
		CHECK(node >= 0);
		CHECK(node > prev); /* in slot order */
		prev = node;
		p = prop(path[i], "compatible", &len);
		CHECK(p && len == sizeof("virtio,mmio") &&
		      !strcmp(p, "virtio,mmio"));
		p = prop(path[i], "reg", &len);
		CHECK(p && len == 16);
		CHECK(p && cell64(p, 0) == 0x0a000000 + i * 0x200 &&
		      cell64(p, 1) == 0x200);
		p = prop(path[i], "interrupts", &len);
		CHECK(p && len == 12);
		CHECK(p && cell(p, 0) == FDT_GIC_SPI && cell(p, 1) == 16 + i &&
		      cell(p, 2) == FDT_IRQ_LEVEL_HIGH);
		CHECK(prop(path[i], "dma-coherent", &len) && len == 0);
	}
	CHECK(fdt_path_offset(buf, "/virtio_mmio@a000600") < 0);
	/* Three devices, three nodes. */
	len = 0;
	for (node = fdt_node_offset_by_compatible(buf, -1, "virtio,mmio");
	     node >= 0;
	     node = fdt_node_offset_by_compatible(buf, node, "virtio,mmio"))
		len++;
	CHECK_EQ(len, 3);
	for (unsigned int i = 0; i < 4; i++)
		devs[i]->ops->destroy(devs[i]);
}

static void too_small_buffer_fails(void)
{
	struct device *u = uart();
	static uint64_t mpidr[1];
	struct device *devs[1] = {u};
	struct fdt_machine m = {.nr_cpus = 1,
				.mpidr = mpidr,
				.gic_version = 3,
				.ram_base = 0x40000000,
				.ram_size = 1 << 28,
				.devices = devs,
				.nr_devices = 1};

	CHECK(fdt_build(&m, buf, 256) < 0);
	u->ops->destroy(u);
}

int main(void)
{
	check_suite = "fdt";
	RUN(root_memory_chosen);
	RUN(cpus_psci_timer);
	RUN(gicv3_with_its);
	RUN(gicv2_masks);
	RUN(gicv2_with_v2m);
	RUN(pl011_node);
	RUN(virtio_mmio_nodes);
	RUN(too_small_buffer_fails);
	return check_main_end();
}
