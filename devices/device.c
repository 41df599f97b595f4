// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <libfdt.h>

#include "devices/device.h"

int fdt_begin_node_at(void *fdt, const char *name, uint64_t unit_address)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s@%llx", name,
		 (unsigned long long)unit_address);
	return fdt_begin_node(fdt, buf);
}

/* reg = <base size> with #address-cells = #size-cells = 2 (the root's). */
int fdt_property_reg64(void *fdt, uint64_t base, uint64_t size)
{
	fdt64_t reg[2] = {cpu_to_fdt64(base), cpu_to_fdt64(size)};

	return fdt_property(fdt, "reg", reg, sizeof(reg));
}

int fdt_property_spi(void *fdt, uint32_t spi, uint32_t flags)
{
	fdt32_t irq[3] = {cpu_to_fdt32(FDT_GIC_SPI), cpu_to_fdt32(spi),
			  cpu_to_fdt32(flags)};

	return fdt_property(fdt, "interrupts", irq, sizeof(irq));
}
