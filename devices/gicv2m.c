// SPDX-License-Identifier: GPL-2.0
/*
 * GICv2m MSI frame (devices/gicv2m.h). Three registers matter: MSI_TYPER
 * (read-only: bits [25:16] the first SPI's INTID, bits [9:0] the number
 * of SPIs), MSI_SETSPI_NS (write-only: the INTID to make pending, as an
 * edge) and MSI_IIDR (read-only). Everything else reads as zero and
 * ignores writes, as do accesses other than 32-bit ones.
 *
 * MSI_IIDR reads 0 (no implementer, product 0, revision 0): Linux's driver
 * checks it only for two vendors' errata (X-Gene, Broadcom NS2), which
 * this frame must not match.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <libfdt.h>

#include "devices/gicv2m.h"
#include "lib/util.h"

#define TYPER_BASE_SHIFT 16
#define TYPER_FIELD_MASK 0x3ffu /* both fields are 10 bits wide */

struct gicv2m {
	struct device dev;
	uint32_t first_intid; /* INTID of dev.spi */
	uint32_t nr_spis;
	/* Set once a write named an INTID outside the frame (logged once:
	 * the guest is hostile and could fill the log). */
	atomic_bool warned;
};

static struct gicv2m *to_gicv2m(const struct device *dev)
{
	return (struct gicv2m *)dev;
}

/*
 * MSI_SETSPI_NS: an INTID of the frame's makes its SPI pending. Linux
 * configures these SPIs edge-triggered (rising), and for such an SPI the
 * GIC latches the line's 0->1 transition: raise it, then lower it again.
 * Another INTID is ignored. Returns whether an SPI was raised.
 */
static bool setspi(struct gicv2m *m, uint32_t intid)
{
	if (intid < m->first_intid || intid - m->first_intid >= m->nr_spis) {
		if (!atomic_exchange(&m->warned, true))
			pr_warn("gicv2m: MSI_SETSPI_NS of INTID %u, outside "
				"the frame's %u-%u: ignored (reported once)",
				intid, m->first_intid,
				m->first_intid + m->nr_spis - 1);
		return false;
	}
	if (!m->dev.irq.set_level)
		return false;
	m->dev.irq.set_level(m->dev.irq.opaque, intid - 32, true);
	m->dev.irq.set_level(m->dev.irq.opaque, intid - 32, false);
	return true;
}

static void gicv2m_reset(struct device *dev)
{
	/* No state: an SPI already made pending is the GIC's. */
}

static uint64_t gicv2m_read(struct device *dev, uint64_t offset,
			    unsigned int size)
{
	struct gicv2m *m = to_gicv2m(dev);

	if (size != 4)
		return 0;
	switch (offset) {
	case GICV2M_MSI_TYPER:
		return (m->first_intid & TYPER_FIELD_MASK) << TYPER_BASE_SHIFT |
		       (m->nr_spis & TYPER_FIELD_MASK);
	case GICV2M_MSI_IIDR:
		return 0;
	default: /* MSI_SETSPI_NS is write-only; reserved: zero */
		return 0;
	}
}

static void gicv2m_write(struct device *dev, uint64_t offset, unsigned int size,
			 uint64_t value)
{
	if (size == 4 && offset == GICV2M_MSI_SETSPI_NS)
		setspi(to_gicv2m(dev), (uint32_t)value);
}

/*
 * A child of the GIC's node (Linux binding interrupt-controller/
 * arm,gic.yaml, "v2m@..."): that node has 2 address and 2 size cells and
 * an empty ranges, so reg is in the root's terms. No arm,msi-base-spi or
 * arm,msi-num-spis: MSI_TYPER says both.
 */
static int gicv2m_fdt_node(const struct device *dev, void *fdt)
{
	int err = 0;

	err |= fdt_begin_node_at(fdt, "v2m", dev->base);
	err |= fdt_property_string(fdt, "compatible", "arm,gic-v2m-frame");
	err |= fdt_property(fdt, "msi-controller", NULL, 0);
	err |= fdt_property_reg64(fdt, dev->base, dev->size);
	err |= fdt_property_u32(fdt, "phandle", PHANDLE_GIC_V2M);
	err |= fdt_end_node(fdt);
	return err ? -1 : 0;
}

static void gicv2m_destroy(struct device *dev)
{
	free(to_gicv2m(dev));
}

/* No save/restore: the frame has no state (a raised SPI is the GIC's,
 * saved with it). */
static const struct device_ops gicv2m_ops = {
    .reset = gicv2m_reset,
    .mmio_read = gicv2m_read,
    .mmio_write = gicv2m_write,
    .fdt_node = gicv2m_fdt_node,
    .destroy = gicv2m_destroy,
};

static bool gicv2m_send_msi(void *opaque, uint64_t address, uint32_t data,
			    uint32_t requester_id)
{
	struct gicv2m *m = opaque;

	/* The frame ignores the requester id: the data names the SPI. */
	if (address != m->dev.base + GICV2M_MSI_SETSPI_NS)
		return false;
	return setspi(m, data);
}

struct msi_sink gicv2m_msi_sink(struct device *dev)
{
	return (struct msi_sink){.send = gicv2m_send_msi,
				 .opaque = to_gicv2m(dev)};
}

struct device *gicv2m_create(uint64_t base, uint32_t spi, uint32_t nr_spis,
			     struct irq_sink irq)
{
	struct gicv2m *m;

	/* MSI_TYPER has 10 bits for each; SPI INTIDs stop at 1019. */
	if (!nr_spis || nr_spis > TYPER_FIELD_MASK ||
	    (uint64_t)spi + 32 + nr_spis > 1020) {
		pr_err("gicv2m: %u SPIs from SPI %u: not a frame's range",
		       nr_spis, spi);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		pr_err("gicv2m: out of memory");
		return NULL;
	}
	m->dev.ops = &gicv2m_ops;
	m->dev.name = "gicv2m";
	m->dev.node_name = "v2m";
	m->dev.base = base;
	m->dev.size = GICV2M_SIZE;
	m->dev.spi = spi;
	m->dev.irq = irq;
	m->first_intid = spi + 32;
	m->nr_spis = nr_spis;
	atomic_init(&m->warned, false);
	return &m->dev;
}
