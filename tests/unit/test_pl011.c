// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the pl011 model against the PL011 TRM's register behaviour. */
#include "devices/pl011.h"
#include "tests/unit/check.h"
#include "tests/unit/state_check.h"

static uint8_t out_buf[64];
static size_t out_len;
static bool irq_level;
static int irq_changes;

static void capture(void *opaque, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len && out_len < sizeof(out_buf); i++)
		out_buf[out_len++] = buf[i];
}

static void set_level(void *opaque, uint32_t spi, bool level)
{
	irq_level = level;
	irq_changes++;
}

static struct device *make(void)
{
	struct irq_sink irq = {.set_level = set_level};

	out_len = 0;
	irq_level = false;
	irq_changes = 0;
	return pl011_create(0x9000000, 1, irq, capture, NULL);
}

#define R(d, off)    ((uint32_t)(d)->ops->mmio_read((d), (off), 4))
#define W(d, off, v) (d)->ops->mmio_write((d), (off), 4, (v))

static void primecell_ids(void)
{
	static const uint8_t want[8] = {0x11, 0x10, 0x14, 0x00,
					0x0d, 0xf0, 0x05, 0xb1};
	struct device *d = make();

	for (int i = 0; i < 8; i++)
		CHECK_EQ(R(d, 0xfe0 + 4 * i), want[i]);
	W(d, 0xfe0, 0x55); /* read-only */
	CHECK_EQ(R(d, 0xfe0), 0x11);
	d->ops->destroy(d);
}

static void transmit_and_tx_interrupt(void)
{
	struct device *d = make();

	W(d, 0x000, 'h');
	W(d, 0x000, 0x100 | 'i'); /* only the low 8 bits are data */
	CHECK_EQ(out_len, 2);
	CHECK(out_buf[0] == 'h' && out_buf[1] == 'i');
	CHECK(R(d, 0x018) & (1u << 7));	   /* TXFE: transmit FIFO empty */
	CHECK(!(R(d, 0x018) & (1u << 5))); /* never TXFF */
	CHECK(R(d, 0x03c) & (1u << 5));	   /* TXRIS */
	CHECK(!irq_level);		   /* masked */
	W(d, 0x038, 1u << 5);		   /* IMSC: TX */
	CHECK(irq_level);
	CHECK_EQ(R(d, 0x040), 1u << 5); /* MIS */
	W(d, 0x044, 1u << 5);		/* ICR */
	CHECK(!irq_level);
	CHECK_EQ(R(d, 0x040), 0);
	W(d, 0x000, '!');
	CHECK(irq_level); /* a write drains instantly: TX fires again */
	d->ops->destroy(d);
}

static void receive_fifo_and_interrupts(void)
{
	struct device *d = make();
	const uint8_t in[20] = "abcdefghijklmnopqrst";

	W(d, 0x02c, 1u << 4);		    /* LCR_H: FIFOs on */
	CHECK(R(d, 0x018) & (1u << 4));	    /* RXFE */
	W(d, 0x038, (1u << 4) | (1u << 6)); /* RX and RT interrupts */
	CHECK(!irq_level);
	CHECK_EQ(pl011_receive(d, in, 1), 1);
	CHECK(irq_level);		   /* receive timeout: data waiting */
	CHECK(!(R(d, 0x03c) & (1u << 4))); /* below the 1/2 trigger */
	CHECK_EQ(pl011_receive(d, in + 1, 19), 15); /* 16 deep */
	CHECK(R(d, 0x018) & (1u << 6));		    /* RXFF */
	CHECK(R(d, 0x03c) & (1u << 4));		    /* RXRIS at >= 8 */
	for (int i = 0; i < 16; i++)
		CHECK_EQ(R(d, 0x000), in[i]);
	CHECK(R(d, 0x018) & (1u << 4)); /* empty again */
	CHECK(!irq_level);
	CHECK_EQ(R(d, 0x000), 0); /* reading an empty FIFO */
	d->ops->destroy(d);
}

static void fifo_disabled_holds_one(void)
{
	struct device *d = make();
	const uint8_t in[2] = "xy";

	CHECK_EQ(pl011_receive(d, in, 2), 1);
	CHECK(R(d, 0x018) & (1u << 6)); /* full at one character */
	CHECK_EQ(R(d, 0x000), 'x');
	d->ops->destroy(d);
}

static void loopback(void)
{
	struct device *d = make();

	W(d, 0x030, 0x301 | (1u << 7)); /* UARTEN, TXE, RXE, LBE */
	W(d, 0x000, 'L');
	CHECK_EQ(out_len, 0);
	CHECK_EQ(R(d, 0x000), 'L');
	d->ops->destroy(d);
}

static void hostile_accesses(void)
{
	struct device *d = make();
	const uint8_t in[1] = {'z'};

	pl011_receive(d, in, 1);
	CHECK_EQ(d->ops->mmio_read(d, 0x001, 1), 0); /* unaligned */
	CHECK_EQ(d->ops->mmio_read(d, 0x000, 8), 0); /* too wide */
	d->ops->mmio_write(d, 0x002, 2, 'q');
	d->ops->mmio_write(d, 0x000, 8, 'q');
	CHECK_EQ(out_len, 0);
	CHECK_EQ(R(d, 0xffc + 4 - 4), 0xb1);
	CHECK_EQ(R(d, 0x800), 0);   /* reserved */
	W(d, 0x03c, 0xffffffff);    /* RIS is read-only */
	CHECK_EQ(R(d, 0x000), 'z'); /* the data survived all that */
	d->ops->destroy(d);
}

static void reset_clears_state(void)
{
	struct device *d = make();
	const uint8_t in[3] = "abc";

	W(d, 0x02c, 1u << 4);
	pl011_receive(d, in, 3);
	W(d, 0x038, 1u << 6);
	CHECK(irq_level);
	d->ops->reset(d);
	CHECK(!irq_level);
	CHECK(R(d, 0x018) & (1u << 4));
	CHECK_EQ(R(d, 0x038), 0);
	CHECK_EQ(R(d, 0x030), 0x300);
	d->ops->destroy(d);
}

static void *make_obj(void)
{
	return make();
}

static const struct state_model pl011_model = {
    .make = make_obj,
    .destroy = state_dev_destroy,
    .save = state_dev_save,
    .restore = state_dev_restore,
};

/* Snapshot (issue 13): registers, FIFO contents and the line survive. */
static void snapshot_round_trip(void)
{
	struct device *d = make(), *e;
	struct state_writer w;

	W(d, 0x02c, 0x70);    /* LCR_H: FIFOs on, 8 bits */
	W(d, 0x024, 13);      /* IBRD */
	W(d, 0x028, 1);	      /* FBRD */
	W(d, 0x034, 0);	      /* IFLS: receive at 1/8 (2 bytes) */
	W(d, 0x038, 1u << 4); /* IMSC: RX */
	pl011_receive(d, (const uint8_t *)"xabc", 4);
	CHECK_EQ(R(d, 0x000), 'x'); /* the FIFO's head moves on */
	CHECK(irq_level);
	state_save(&pl011_model, d, &w);
	d->ops->destroy(d);

	e = state_roundtrip(&pl011_model, &w);
	CHECK(e != NULL);
	if (e) {
		CHECK(irq_level); /* driven again by the restore */
		CHECK_EQ(R(e, 0x024), 13);
		CHECK_EQ(R(e, 0x028), 1);
		CHECK_EQ(R(e, 0x038), 1u << 4);
		CHECK_EQ(R(e, 0x000), 'a');
		CHECK_EQ(R(e, 0x000), 'b');
		CHECK(!irq_level); /* one byte left: below the level */
		CHECK_EQ(R(e, 0x000), 'c');
		CHECK(R(e, 0x018) & (1u << 4)); /* RXFE */
		e->ops->destroy(e);
	}
	state_prefixes_fail(&pl011_model, &w);
	/* CR bit 3 is reserved; 17 bytes in a 16-entry FIFO; one byte in
	 * a FIFO-less UART is the most. */
	state_corrupt_fails(&pl011_model, &w, 24, 4, 0x308, "pl011 CR");
	state_corrupt_fails(&pl011_model, &w, 36, 1, 17, "receive FIFO");
	state_corrupt_fails(&pl011_model, &w, 20, 4, 0x60, "receive FIFO");
	sw_free(&w);
}

int main(void)
{
	check_suite = "pl011";
	RUN(primecell_ids);
	RUN(transmit_and_tx_interrupt);
	RUN(receive_fifo_and_interrupts);
	RUN(fifo_disabled_holds_one);
	RUN(loopback);
	RUN(hostile_accesses);
	RUN(reset_clears_state);
	RUN(snapshot_round_trip);
	return check_main_end();
}
