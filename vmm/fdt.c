// SPDX-License-Identifier: GPL-2.0
/*
 * Device-tree generation with libfdt's sequential-write API. The nodes and
 * their properties follow the Linux bindings (Documentation/devicetree/
 * bindings: arm/cpus.yaml, arm/psci.yaml, timer/arm,arch_timer.yaml,
 * interrupt-controller/arm,gic*.yaml) and what the stock firmware parses
 * (shared/research/stock-firmware.md 1.3: 2 address and 2 size cells at the
 * root, memory node reg of exactly 16 bytes, GIC compatibles exactly
 * "arm,cortex-a15-gic" / "arm,gic-v3", "arm,psci-0.2" present).
 */
#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#include "devices/device.h"
#include "lib/util.h"
#include "vmm/fdt.h"
#include "vmm/machine.h"

/* Each step ORs its libfdt result here; any error means "out of space". */
#define TRY(x) (err |= (x) < 0)

static int fdt_prop_u64(void *fdt, const char *name, uint64_t v)
{
	return fdt_property_u64(fdt, name, v);
}

static int cpus_node(void *fdt, const struct fdt_machine *m)
{
	int err = 0;

	TRY(fdt_begin_node(fdt, "cpus"));
	TRY(fdt_property_u32(fdt, "#address-cells", 1));
	TRY(fdt_property_u32(fdt, "#size-cells", 0));
	for (unsigned int i = 0; i < m->nr_cpus; i++) {
		/* arm/cpus.yaml: reg holds MPIDR_EL1's affinity fields. */
		uint32_t reg = (uint32_t)(m->mpidr[i] & 0xffffff);

		TRY(fdt_begin_node_at(fdt, "cpu", reg));
		TRY(fdt_property_string(fdt, "device_type", "cpu"));
		TRY(fdt_property_string(fdt, "compatible",
					m->aarch32 ? "arm,cortex-a15"
						   : "arm,arm-v8"));
		TRY(fdt_property_u32(fdt, "reg", reg));
		/* PSCI CPU_ON starts secondaries (KVM implements PSCI). */
		if (m->nr_cpus > 1)
			TRY(fdt_property_string(fdt, "enable-method", "psci"));
		TRY(fdt_end_node(fdt));
	}
	TRY(fdt_end_node(fdt));
	return err;
}

static int psci_node(void *fdt)
{
	/* KVM_ARM_VCPU_PSCI_0_2: PSCI 1.x through HVC; no 0.1 function ids. */
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";
	int err = 0;

	TRY(fdt_begin_node(fdt, "psci"));
	TRY(fdt_property(fdt, "compatible", compat, sizeof(compat)));
	TRY(fdt_property_string(fdt, "method", "hvc"));
	TRY(fdt_end_node(fdt));
	return err;
}

static int timer_node(void *fdt, const struct fdt_machine *m)
{
	/* Generic Timer PPIs (PLAT-4). GICv2 specifiers carry a CPU mask. */
	static const uint32_t ppis[] = {PPI_TIMER_SECURE, PPI_TIMER_NONSECURE,
					PPI_TIMER_VIRTUAL, PPI_TIMER_HYP};
	uint32_t flags = FDT_IRQ_LEVEL_HIGH;
	fdt32_t irqs[ARRAY_SIZE(ppis) * 3];
	int err = 0;

	if (m->gic_version == 2)
		flags |= ((1u << m->nr_cpus) - 1) << 8;
	for (unsigned int i = 0; i < ARRAY_SIZE(ppis); i++) {
		irqs[i * 3] = cpu_to_fdt32(FDT_GIC_PPI);
		irqs[i * 3 + 1] = cpu_to_fdt32(ppis[i]);
		irqs[i * 3 + 2] = cpu_to_fdt32(flags);
	}
	TRY(fdt_begin_node(fdt, "timer"));
	TRY(fdt_property_string(fdt, "compatible",
				m->aarch32 ? "arm,armv7-timer"
					   : "arm,armv8-timer"));
	TRY(fdt_property(fdt, "interrupts", irqs, sizeof(irqs)));
	TRY(fdt_property(fdt, "always-on", NULL, 0));
	TRY(fdt_end_node(fdt));
	return err;
}

static int gic_node(void *fdt, const struct fdt_machine *m)
{
	const struct machine_region_desc *dist = &machine_map[MR_GIC_DIST];
	int err = 0;

	TRY(fdt_begin_node_at(fdt, "interrupt-controller", dist->base));
	TRY(fdt_property_u32(fdt, "phandle", PHANDLE_GIC));
	TRY(fdt_property_u32(fdt, "#interrupt-cells", 3));
	TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(fdt_property(fdt, "ranges", NULL, 0));
	if (m->gic_version == 3) {
		const struct machine_region_desc *rd =
		    &machine_map[MR_GIC_REDIST];
		/* One 128 KiB redistributor frame pair per vCPU. */
		fdt64_t reg[4] = {cpu_to_fdt64(dist->base),
				  cpu_to_fdt64(dist->size),
				  cpu_to_fdt64(rd->base),
				  cpu_to_fdt64(m->nr_cpus * 0x20000ULL)};

		TRY(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
		TRY(fdt_property(fdt, "reg", reg, sizeof(reg)));
		TRY(fdt_property_u32(fdt, "#redistributor-regions", 1));
		if (m->gic_its) {
			const struct machine_region_desc *its =
			    &machine_map[MR_GIC_ITS];

			TRY(fdt_begin_node_at(fdt, "msi-controller",
					      its->base));
			TRY(fdt_property_string(fdt, "compatible",
						"arm,gic-v3-its"));
			TRY(fdt_property(fdt, "msi-controller", NULL, 0));
			TRY(fdt_property_u32(fdt, "#msi-cells", 1));
			TRY(fdt_property_reg64(fdt, its->base, its->size));
			TRY(fdt_property_u32(fdt, "phandle", PHANDLE_GIC_ITS));
			TRY(fdt_end_node(fdt));
		}
	} else {
		const struct machine_region_desc *cpu =
		    &machine_map[MR_GIC_CPU];
		fdt64_t reg[4] = {
		    cpu_to_fdt64(dist->base), cpu_to_fdt64(dist->size),
		    cpu_to_fdt64(cpu->base), cpu_to_fdt64(cpu->size)};

		TRY(fdt_property_string(fdt, "compatible",
					"arm,cortex-a15-gic"));
		TRY(fdt_property(fdt, "reg", reg, sizeof(reg)));
		/* The MSI frame armvm adds to KVM's GICv2 (arm,gic.yaml's
		 * v2m children, in the GIC node's address space). */
		if (m->gic_v2m)
			err |= m->gic_v2m->ops->fdt_node(m->gic_v2m, fdt) < 0;
	}
	TRY(fdt_end_node(fdt));
	return err;
}

static int chosen_node(void *fdt, const struct fdt_machine *m)
{
	char path[64];
	int err = 0;

	TRY(fdt_begin_node(fdt, "chosen"));
	if (m->bootargs)
		TRY(fdt_property_string(fdt, "bootargs", m->bootargs));
	if (m->stdout_dev) {
		/* Lets "earlycon" with no arguments find the UART. */
		snprintf(path, sizeof(path), "/%s@%llx",
			 m->stdout_dev->node_name,
			 (unsigned long long)m->stdout_dev->base);
		TRY(fdt_property_string(fdt, "stdout-path", path));
	}
	if (m->initrd_end > m->initrd_start) {
		TRY(fdt_prop_u64(fdt, "linux,initrd-start", m->initrd_start));
		TRY(fdt_prop_u64(fdt, "linux,initrd-end", m->initrd_end));
	}
	if (m->rng_seed)
		TRY(fdt_property(fdt, "rng-seed", m->rng_seed, 32));
	TRY(fdt_end_node(fdt));
	return err;
}

int fdt_build(const struct fdt_machine *m, void *buf, size_t size)
{
	int err = 0;

	TRY(fdt_create(buf, size));
	TRY(fdt_finish_reservemap(buf));
	TRY(fdt_begin_node(buf, ""));
	TRY(fdt_property_string(buf, "compatible", "linux,dummy-virt"));
	TRY(fdt_property_string(buf, "model", "armvm"));
	TRY(fdt_property_u32(buf, "#address-cells", 2));
	TRY(fdt_property_u32(buf, "#size-cells", 2));
	TRY(fdt_property_u32(buf, "interrupt-parent", PHANDLE_GIC));

	TRY(chosen_node(buf, m));

	TRY(fdt_begin_node_at(buf, "memory", m->ram_base));
	TRY(fdt_property_string(buf, "device_type", "memory"));
	TRY(fdt_property_reg64(buf, m->ram_base, m->ram_size));
	TRY(fdt_end_node(buf));

	err |= cpus_node(buf, m);
	err |= psci_node(buf);
	if (!m->no_timer)
		err |= timer_node(buf, m);
	err |= gic_node(buf, m);

	/* The PrimeCell bus clock every AMBA device names as apb_pclk. */
	TRY(fdt_begin_node(buf, "apb-pclk"));
	TRY(fdt_property_string(buf, "compatible", "fixed-clock"));
	TRY(fdt_property_u32(buf, "#clock-cells", 0));
	TRY(fdt_property_u32(buf, "clock-frequency", 24000000));
	TRY(fdt_property_string(buf, "clock-output-names", "clk24mhz"));
	TRY(fdt_property_u32(buf, "phandle", PHANDLE_APB_PCLK));
	TRY(fdt_end_node(buf));

	for (unsigned int i = 0; i < m->nr_devices; i++)
		if (m->devices[i]->ops->fdt_node)
			err |= m->devices[i]->ops->fdt_node(m->devices[i],
							    buf) < 0;

	TRY(fdt_end_node(buf));
	TRY(fdt_finish(buf));
	if (err) {
		pr_err("device tree: does not fit in %zu bytes", size);
		return -1;
	}
	return 0;
}
