// SPDX-License-Identifier: GPL-2.0
/*
 * ARM PrimeCell UART (PL011), after the PL011 Technical Reference Manual
 * (ARM DDI 0183, r1p5). Transmission is instantaneous, so the transmit FIFO
 * is always empty; the receive FIFO is 16 entries deep as in the r1p4 and
 * earlier parts Linux and EDK2 expect.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <libfdt.h>

#include "devices/pl011.h"
#include "lib/util.h"

/* Register offsets (TRM 3.2, table 3-1). */
#define UARTDR	      0x000
#define UARTRSR	      0x004
#define UARTFR	      0x018
#define UARTILPR      0x020
#define UARTIBRD      0x024
#define UARTFBRD      0x028
#define UARTLCR_H     0x02c
#define UARTCR	      0x030
#define UARTIFLS      0x034
#define UARTIMSC      0x038
#define UARTRIS	      0x03c
#define UARTMIS	      0x040
#define UARTICR	      0x044
#define UARTDMACR     0x048
#define UARTPERIPHID0 0xfe0
#define UARTPCELLID0  0xff0

/* Flag register bits (TRM 3.3.3). */
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define FR_RXFF (1u << 6)
#define FR_TXFE (1u << 7)

/* Interrupt bits, common to RIS/MIS/IMSC/ICR (TRM 3.3.10-3.3.14). */
#define INT_RX	(1u << 4)
#define INT_TX	(1u << 5)
#define INT_RT	(1u << 6)
#define INT_ALL 0x7ffu

#define LCRH_FEN (1u << 4)
#define CR_LBE	 (1u << 7)

#define RX_FIFO_DEPTH 16

/* PrimeCell identification (TRM 3.3.15-3.3.16): part 0x011, ARM, r1p4. */
static const uint8_t pl011_id[8] = {0x11, 0x10, 0x14, 0x00,
				    0x0d, 0xf0, 0x05, 0xb1};

struct pl011 {
	struct device dev;
	pthread_mutex_t lock;
	pl011_output_fn out;
	void *out_opaque;

	uint8_t rx_fifo[RX_FIFO_DEPTH];
	unsigned int rx_head, rx_count;
	uint32_t latched_ris; /* TX and error bits; RX/RT follow the FIFO */
	uint32_t imsc, ilpr, ibrd, fbrd, lcr_h, cr, ifls, dmacr;
	bool irq_level;
};

static struct pl011 *to_pl011(const struct device *dev)
{
	return (struct pl011 *)dev;
}

static unsigned int rx_trigger_level(const struct pl011 *u)
{
	/* IFLS RXIFLSEL (bits 5:3): 1/8, 1/4, 1/2, 3/4, 7/8 full. */
	static const unsigned int levels[] = {2, 4, 8, 12, 14};
	unsigned int sel = (u->ifls >> 3) & 7;

	if (!(u->lcr_h & LCRH_FEN))
		return 1;
	return sel < ARRAY_SIZE(levels) ? levels[sel] : levels[2];
}

static uint32_t raw_status(const struct pl011 *u)
{
	uint32_t ris = u->latched_ris;

	if (u->rx_count >= rx_trigger_level(u))
		ris |= INT_RX;
	/* Data waiting: the receive timeout would fire after 32 bit periods. */
	if (u->rx_count)
		ris |= INT_RT;
	return ris;
}

/* Called with the lock held after any state change. */
static void update_irq(struct pl011 *u)
{
	bool level = (raw_status(u) & u->imsc) != 0;

	if (level != u->irq_level) {
		u->irq_level = level;
		device_set_irq(&u->dev, level);
	}
}

static bool rx_push(struct pl011 *u, uint8_t c)
{
	unsigned int depth = (u->lcr_h & LCRH_FEN) ? RX_FIFO_DEPTH : 1;

	if (u->rx_count >= depth)
		return false;
	u->rx_fifo[(u->rx_head + u->rx_count) % RX_FIFO_DEPTH] = c;
	u->rx_count++;
	return true;
}

static void pl011_reset(struct device *dev)
{
	struct pl011 *u = to_pl011(dev);

	pthread_mutex_lock(&u->lock);
	u->rx_head = u->rx_count = 0;
	u->imsc = u->ilpr = u->ibrd = u->fbrd = u->lcr_h = u->dmacr = 0;
	u->cr = 0x300;	/* TXE | RXE (TRM 3.3.8 reset value) */
	u->ifls = 0x12; /* both FIFOs at 1/2 */
	/* The transmit FIFO is empty, so at or below any trigger level. */
	u->latched_ris = INT_TX;
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static uint64_t pl011_read(struct device *dev, uint64_t offset,
			   unsigned int size)
{
	struct pl011 *u = to_pl011(dev);
	uint32_t v = 0;

	if (offset & 3 || size > 4)
		return 0;
	if (offset >= UARTPERIPHID0 && offset < UARTPERIPHID0 + 0x20)
		return pl011_id[(offset - UARTPERIPHID0) / 4];

	pthread_mutex_lock(&u->lock);
	switch (offset) {
	case UARTDR:
		if (u->rx_count) {
			v = u->rx_fifo[u->rx_head];
			u->rx_head = (u->rx_head + 1) % RX_FIFO_DEPTH;
			u->rx_count--;
			update_irq(u);
		}
		break;
	case UARTFR:
		v = FR_TXFE;
		if (!u->rx_count)
			v |= FR_RXFE;
		if (u->rx_count >= ((u->lcr_h & LCRH_FEN) ? RX_FIFO_DEPTH : 1))
			v |= FR_RXFF;
		break;
	case UARTILPR:
		v = u->ilpr;
		break;
	case UARTIBRD:
		v = u->ibrd;
		break;
	case UARTFBRD:
		v = u->fbrd;
		break;
	case UARTLCR_H:
		v = u->lcr_h;
		break;
	case UARTCR:
		v = u->cr;
		break;
	case UARTIFLS:
		v = u->ifls;
		break;
	case UARTIMSC:
		v = u->imsc;
		break;
	case UARTRIS:
		v = raw_status(u);
		break;
	case UARTMIS:
		v = raw_status(u) & u->imsc;
		break;
	case UARTDMACR:
		v = u->dmacr;
		break;
	default: /* RSR (no errors are ever seen), reserved: read as zero */
		break;
	}
	pthread_mutex_unlock(&u->lock);
	return v;
}

static void pl011_write(struct device *dev, uint64_t offset, unsigned int size,
			uint64_t value)
{
	struct pl011 *u = to_pl011(dev);
	uint32_t v = (uint32_t)value;
	uint8_t c;

	if (offset & 3 || size > 4)
		return;

	pthread_mutex_lock(&u->lock);
	switch (offset) {
	case UARTDR:
		c = (uint8_t)v;
		if (u->cr & CR_LBE) {
			rx_push(u, c);
		} else {
			/* Output may block (a slow terminal); do not hold the
			 * lock meanwhile. Ordering is kept: a guest writes DR
			 * from one CPU at a time under its own port lock. */
			pthread_mutex_unlock(&u->lock);
			u->out(u->out_opaque, &c, 1);
			pthread_mutex_lock(&u->lock);
		}
		u->latched_ris |= INT_TX;
		break;
	case UARTRSR: /* ECR: clear errors; none are ever raised */
		break;
	case UARTILPR:
		u->ilpr = v & 0xff;
		break;
	case UARTIBRD:
		u->ibrd = v & 0xffff;
		break;
	case UARTFBRD:
		u->fbrd = v & 0x3f;
		break;
	case UARTLCR_H:
		/* Disabling the FIFOs flushes them (TRM 3.3.7, FEN). */
		if ((u->lcr_h & LCRH_FEN) && !(v & LCRH_FEN))
			u->rx_count = 0;
		u->lcr_h = v & 0xff;
		break;
	case UARTCR:
		u->cr = v & 0xff87;
		break;
	case UARTIFLS:
		u->ifls = v & 0x3f;
		break;
	case UARTIMSC:
		u->imsc = v & INT_ALL;
		break;
	case UARTICR:
		u->latched_ris &= ~v;
		break;
	case UARTDMACR:
		u->dmacr = v & 7;
		break;
	default: /* read-only or reserved: ignored */
		break;
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

size_t pl011_receive(struct device *dev, const uint8_t *buf, size_t len)
{
	struct pl011 *u = to_pl011(dev);
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	while (n < len && rx_push(u, buf[n]))
		n++;
	if (n)
		update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

static int pl011_fdt_node(const struct device *dev, void *fdt)
{
	static const char compat[] = "arm,pl011\0arm,primecell";
	static const char clock_names[] = "uartclk\0apb_pclk";
	fdt32_t clocks[2] = {cpu_to_fdt32(PHANDLE_APB_PCLK),
			     cpu_to_fdt32(PHANDLE_APB_PCLK)};
	int err = 0;

	err |= fdt_begin_node_at(fdt, dev->node_name, dev->base);
	err |= fdt_property(fdt, "compatible", compat, sizeof(compat));
	err |= fdt_property_reg64(fdt, dev->base, dev->size);
	err |= fdt_property_spi(fdt, dev->spi, FDT_IRQ_LEVEL_HIGH);
	err |= fdt_property(fdt, "clocks", clocks, sizeof(clocks));
	err |=
	    fdt_property(fdt, "clock-names", clock_names, sizeof(clock_names));
	err |= fdt_end_node(fdt);
	return err ? -1 : 0;
}

/*
 * Record (docs/snapshot.md): the registers, then the receive FIFO's count
 * and its bytes oldest first. The FIFO restarts at entry 0, which the
 * guest cannot tell: only the order of the bytes shows through UARTDR.
 */
static void pl011_save(struct device *dev, struct state_writer *w)
{
	struct pl011 *u = to_pl011(dev);

	pthread_mutex_lock(&u->lock);
	sw_u32(w, u->latched_ris);
	sw_u32(w, u->imsc);
	sw_u32(w, u->ilpr);
	sw_u32(w, u->ibrd);
	sw_u32(w, u->fbrd);
	sw_u32(w, u->lcr_h);
	sw_u32(w, u->cr);
	sw_u32(w, u->ifls);
	sw_u32(w, u->dmacr);
	sw_u8(w, (uint8_t)u->rx_count);
	for (unsigned int i = 0; i < u->rx_count; i++)
		sw_u8(w, u->rx_fifo[(u->rx_head + i) % RX_FIFO_DEPTH]);
	pthread_mutex_unlock(&u->lock);
}

static int pl011_restore(struct device *dev, struct state_reader *r)
{
	struct pl011 *u = to_pl011(dev);
	uint32_t ris, imsc, ilpr, ibrd, fbrd, lcr_h, cr, ifls, dmacr;
	uint8_t fifo[RX_FIFO_DEPTH];
	unsigned int count, depth;
	bool level;

	/* The masks of pl011_write (TRM 3.3). */
	ris = sr_u32_mask(r, INT_ALL, "pl011 RIS");
	imsc = sr_u32_mask(r, INT_ALL, "pl011 IMSC");
	ilpr = sr_u32_mask(r, 0xff, "pl011 ILPR");
	ibrd = sr_u32_mask(r, 0xffff, "pl011 IBRD");
	fbrd = sr_u32_mask(r, 0x3f, "pl011 FBRD");
	lcr_h = sr_u32_mask(r, 0xff, "pl011 LCR_H");
	cr = sr_u32_mask(r, 0xff87, "pl011 CR");
	ifls = sr_u32_mask(r, 0x3f, "pl011 IFLS");
	dmacr = sr_u32_mask(r, 7, "pl011 DMACR");
	/* A FIFO holds 16 entries, or one with the FIFOs off (TRM 2.4.3). */
	depth = (lcr_h & LCRH_FEN) ? RX_FIFO_DEPTH : 1;
	count = sr_u8(r);
	if (count > depth)
		sr_fail(r, "pl011: %u bytes in a receive FIFO of %u", count,
			depth);
	if (r->failed)
		return -1;
	sr_bytes(r, fifo, count);
	if (r->failed)
		return -1;

	pthread_mutex_lock(&u->lock);
	u->latched_ris = ris;
	u->imsc = imsc;
	u->ilpr = ilpr;
	u->ibrd = ibrd;
	u->fbrd = fbrd;
	u->lcr_h = lcr_h;
	u->cr = cr;
	u->ifls = ifls;
	u->dmacr = dmacr;
	memcpy(u->rx_fifo, fifo, count);
	u->rx_head = 0;
	u->rx_count = count;
	/* Drive the line whatever the fresh model last told the sink: the
	 * interrupt controller may be restored separately. */
	level = (raw_status(u) & u->imsc) != 0;
	u->irq_level = level;
	device_set_irq(&u->dev, level);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

static void pl011_destroy(struct device *dev)
{
	struct pl011 *u = to_pl011(dev);

	pthread_mutex_destroy(&u->lock);
	free(u);
}

static const struct device_ops pl011_ops = {
    .reset = pl011_reset,
    .mmio_read = pl011_read,
    .mmio_write = pl011_write,
    .fdt_node = pl011_fdt_node,
    .destroy = pl011_destroy,
    .save = pl011_save,
    .restore = pl011_restore,
};

struct device *pl011_create(uint64_t base, uint32_t spi, struct irq_sink irq,
			    pl011_output_fn out, void *out_opaque)
{
	struct pl011 *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->dev.ops = &pl011_ops;
	u->dev.name = "pl011";
	/* The generic name the binding asks for (Linux 6.1
	 * Documentation/devicetree/bindings/serial/pl011.yaml), as every
	 * node's: conform.dt-schema checks them all. */
	u->dev.node_name = "serial";
	u->dev.base = base;
	u->dev.size = 0x1000;
	u->dev.spi = spi;
	u->dev.irq = irq;
	u->out = out;
	u->out_opaque = out_opaque;
	pthread_mutex_init(&u->lock, NULL);
	pl011_reset(&u->dev);
	return &u->dev;
}
