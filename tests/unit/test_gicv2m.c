// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the GICv2m frame (devices/gicv2m.c) against the SBSA's
 * GICv2m registers and the way Linux's irq-gic-v2m drives them: MSI_TYPER
 * and MSI_IIDR, an edge per MSI_SETSPI_NS write or MSI, and a hostile
 * guest's other accesses doing nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <libfdt.h>

#include "devices/gicv2m.h"
#include "devices/pci.h"
#include "lib/util.h"
#include "vmm/machine.h"
#include "tests/unit/check.h"
#include "tests/unit/fdt_check.h"

#define BASE 0x08020000ULL

/* The fake GIC: every set_level call, in order. */
static struct {
	uint32_t spi;
	bool level;
} calls[16];
static unsigned int nr_calls;

static void record_level(void *opaque, uint32_t spi, bool level)
{
	if (nr_calls < sizeof(calls) / sizeof(calls[0])) {
		calls[nr_calls].spi = spi;
		calls[nr_calls].level = level;
	}
	nr_calls++;
}

static struct device *frame(void)
{
	struct irq_sink irq = {.set_level = record_level};

	nr_calls = 0;
	return gicv2m_create(BASE, 48, 64, irq);
}

/* Exactly one edge on spi: up, then down. */
static bool one_edge(uint32_t spi)
{
	return nr_calls == 2 && calls[0].spi == spi && calls[0].level &&
	       calls[1].spi == spi && !calls[1].level;
}

/* MSI_TYPER: first INTID 80 in [25:16], 64 SPIs in [9:0]; MSI_IIDR 0. */
static void typer_iidr(void)
{
	struct device *d = frame();

	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(d->base, BASE);
	CHECK_EQ(d->size, 0x1000);
	CHECK_EQ(d->ops->mmio_read(d, GICV2M_MSI_TYPER, 4), 0x00500040);
	CHECK_EQ(d->ops->mmio_read(d, GICV2M_MSI_IIDR, 4), 0);
	/* MSI_SETSPI_NS is write-only. */
	CHECK_EQ(d->ops->mmio_read(d, GICV2M_MSI_SETSPI_NS, 4), 0);
	CHECK_EQ(nr_calls, 0);
	d->ops->destroy(d);
}

/* The frame the machine map gives: what Linux finds through MSI_TYPER. */
static void machine_map_frame(void)
{
	const struct machine_region_desc *r = &machine_map[MR_GIC_V2M];
	struct device *d =
	    gicv2m_create(r->base, r->spi, r->nr_spis, (struct irq_sink){0});

	CHECK_EQ(r->base, 0x08020000);
	CHECK_EQ(r->size, GICV2M_SIZE);
	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(d->ops->mmio_read(d, GICV2M_MSI_TYPER, 4),
		 (r->spi + 32) << 16 | r->nr_spis);
	d->ops->destroy(d);
}

/* A write of one of the frame's INTIDs raises exactly one edge on its SPI
 * (INTID - 32), the first and the last alike. */
static void setspi_raises_edge(void)
{
	struct device *d = frame();

	if (!d)
		return;
	d->ops->mmio_write(d, GICV2M_MSI_SETSPI_NS, 4, 80);
	CHECK(one_edge(48));
	nr_calls = 0;
	d->ops->mmio_write(d, GICV2M_MSI_SETSPI_NS, 4, 143);
	CHECK(one_edge(111));
	nr_calls = 0;
	d->ops->mmio_write(d, GICV2M_MSI_SETSPI_NS, 4, 100);
	CHECK(one_edge(68));
	d->ops->destroy(d);
}

/*
 * INTIDs outside the frame do nothing (and are reported once, however
 * many there are: the guest must not fill the log).
 */
static void setspi_out_of_range(void)
{
	static const uint32_t bad[] = {0,    31,   32,	       79,	  144,
				       1019, 1020, 0x80000050, 0xffffffff};
	struct device *d = frame();
	FILE *log = tmpfile();
	char line[256];
	int saved = dup(2), warnings = 0;

	if (!d || !log || saved < 0)
		return;
	fflush(stderr);
	dup2(fileno(log), 2);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		d->ops->mmio_write(d, GICV2M_MSI_SETSPI_NS, 4, bad[i]);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	CHECK_EQ(nr_calls, 0);
	rewind(log);
	while (fgets(line, sizeof(line), log))
		warnings += strstr(line, "gicv2m") != NULL;
	CHECK_EQ(warnings, 1);
	fclose(log);
	/* And the frame still works. */
	d->ops->mmio_write(d, GICV2M_MSI_SETSPI_NS, 4, 81);
	CHECK(one_edge(49));
	d->ops->destroy(d);
}

/* Accesses other than 32-bit ones, and other offsets, read as zero and
 * write nothing. */
static void bad_widths_and_offsets(void)
{
	static const unsigned int widths[] = {1, 2, 8};
	static const uint64_t offsets[] = {0x000, 0x004, 0x00c, 0x03c,
					   0x041, 0x042, 0x044, 0x048,
					   0xfc8, 0xfd0, 0xffc};
	struct device *d = frame();

	if (!d)
		return;
	for (unsigned int i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		d->ops->mmio_write(d, GICV2M_MSI_SETSPI_NS, widths[i], 80);
		CHECK_EQ(d->ops->mmio_read(d, GICV2M_MSI_TYPER, widths[i]), 0);
		/* The register's upper half alone is no access to it. */
		CHECK_EQ(d->ops->mmio_read(d, GICV2M_MSI_TYPER + 2, widths[i]),
			 0);
	}
	for (unsigned int i = 0; i < sizeof(offsets) / sizeof(offsets[0]);
	     i++) {
		d->ops->mmio_write(d, offsets[i], 4, 80);
		CHECK_EQ(d->ops->mmio_read(d, offsets[i], 4), 0);
	}
	/* MSI_TYPER and MSI_IIDR are read-only. */
	d->ops->mmio_write(d, GICV2M_MSI_TYPER, 4, 0);
	d->ops->mmio_write(d, GICV2M_MSI_IIDR, 4, 0x1234);
	CHECK_EQ(d->ops->mmio_read(d, GICV2M_MSI_TYPER, 4), 0x00500040);
	CHECK_EQ(d->ops->mmio_read(d, GICV2M_MSI_IIDR, 4), 0);
	CHECK_EQ(nr_calls, 0);
	/* Reset has nothing to do and breaks nothing. */
	d->ops->reset(d);
	CHECK_EQ(nr_calls, 0);
	CHECK(!d->ops->save && !d->ops->restore);
	d->ops->destroy(d);
}

/*
 * PCI devices' MSIs: address MSI_SETSPI_NS, data the INTID (the requester
 * id does not matter) raises one edge and is delivered; any other address
 * or an INTID outside the frame is dropped.
 */
static void msi_sink_decodes(void)
{
	struct device *d = frame();
	struct msi_sink s;

	if (!d)
		return;
	s = gicv2m_msi_sink(d);
	CHECK(s.send);
	CHECK(s.send(s.opaque, BASE + GICV2M_MSI_SETSPI_NS, 90, 0x0018));
	CHECK(one_edge(58));
	nr_calls = 0;
	CHECK(s.send(s.opaque, BASE + GICV2M_MSI_SETSPI_NS, 143, 0xffff));
	CHECK(one_edge(111));
	nr_calls = 0;
	CHECK(!s.send(s.opaque, BASE + GICV2M_MSI_SETSPI_NS, 144, 0x0018));
	CHECK(!s.send(s.opaque, BASE + GICV2M_MSI_SETSPI_NS, 79, 0x0018));
	CHECK(!s.send(s.opaque, BASE, 90, 0x0018));
	CHECK(!s.send(s.opaque, BASE + GICV2M_MSI_SETSPI_NS + 4, 90, 0x0018));
	CHECK(!s.send(s.opaque, 0x08090040, 90, 0x0018)); /* an ITS's */
	CHECK(!s.send(s.opaque, (1ULL << 32) | (BASE + GICV2M_MSI_SETSPI_NS),
		      90, 0x0018));
	CHECK_EQ(nr_calls, 0);
	d->ops->destroy(d);
}

/* Through the PCI host, as virtio-pci's MSI-X sends them. */
static void msi_through_pci_host(void)
{
	struct device *d = frame();
	struct pci_host *h;

	if (!d)
		return;
	h = pci_host_create(0x3f000000, 0x1000000, 0x10000000, 0x2eff0000, 3,
			    (struct irq_sink){0});
	CHECK(h);
	if (!h) {
		d->ops->destroy(d);
		return;
	}
	pci_host_set_msi(h, gicv2m_msi_sink(d), PCI_MSI_PARENT,
			 PHANDLE_GIC_V2M);
	CHECK(pci_host_send_msi(h, BASE + GICV2M_MSI_SETSPI_NS, 81, 0x0008));
	CHECK(one_edge(49));
	nr_calls = 0;
	CHECK(!pci_host_send_msi(h, BASE + GICV2M_MSI_SETSPI_NS, 200, 0x0008));
	CHECK_EQ(nr_calls, 0);
	pci_host_destroy(h);
	d->ops->destroy(d);
}

/* Its node (a child of the GIC's, which the caller opens): v2m@<base>,
 * compatible "arm,gic-v2m-frame", msi-controller, reg, phandle. */
static void fdt_node(void)
{
	static uint8_t buf[4096];
	struct device *d = frame();
	const void *p;
	int node, len;

	if (!d)
		return;
	CHECK_EQ(one_device_fdt(d, buf, sizeof(buf)), 0);
	node = fdt_path_offset(buf, "/v2m@8020000");
	CHECK(node >= 0);
	p = fdt_getprop(buf, node, "compatible", &len);
	CHECK(p && len == sizeof("arm,gic-v2m-frame") &&
	      !strcmp(p, "arm,gic-v2m-frame"));
	p = fdt_getprop(buf, node, "msi-controller", &len);
	CHECK(p && len == 0);
	p = fdt_getprop(buf, node, "reg", &len);
	CHECK(p && len == 16);
	CHECK(p && fdt64_to_cpu(((const fdt64_t *)p)[0]) == BASE &&
	      fdt64_to_cpu(((const fdt64_t *)p)[1]) == 0x1000);
	CHECK_EQ(fdt_get_phandle(buf, node), PHANDLE_GIC_V2M);
	/* MSI_TYPER says what the optional properties would. */
	CHECK(!fdt_getprop(buf, node, "arm,msi-base-spi", &len));
	CHECK(!fdt_getprop(buf, node, "#msi-cells", &len));
	d->ops->destroy(d);
}

/* Ranges MSI_TYPER cannot describe, or past the last SPI INTID (1019). */
static void create_refuses_bad_ranges(void)
{
	struct irq_sink none = {0};
	char msg[256];
	struct device *d;

	pr_capture_begin(msg, sizeof(msg));
	CHECK(!gicv2m_create(BASE, 48, 0, none));
	CHECK(!gicv2m_create(BASE, 0, 1024, none));
	CHECK(!gicv2m_create(BASE, 960, 64, none));
	CHECK(!gicv2m_create(BASE, 925, 64, none)); /* up to INTID 1020 */
	CHECK(!gicv2m_create(BASE, 0xffffffff, 64, none));
	pr_capture_end();
	CHECK(strstr(msg, "gicv2m"));
	d = gicv2m_create(BASE, 924, 64, none); /* INTIDs 956-1019 */
	CHECK(d);
	if (d)
		d->ops->destroy(d);
}

int main(void)
{
	check_suite = "gicv2m";
	RUN(typer_iidr);
	RUN(machine_map_frame);
	RUN(setspi_raises_edge);
	RUN(setspi_out_of_range);
	RUN(bad_widths_and_offsets);
	RUN(msi_sink_decodes);
	RUN(msi_through_pci_host);
	RUN(fdt_node);
	RUN(create_refuses_bad_ranges);
	return check_main_end();
}
