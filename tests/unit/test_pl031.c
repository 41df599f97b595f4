// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the pl031 model against the PL031 TRM's register behaviour. */
#include <pthread.h>
#include <time.h>

#include <libfdt.h>

#include "devices/pl031.h"
#include "tests/unit/check.h"
#include "tests/unit/fdt_check.h"
#include "tests/unit/state_check.h"

static time_t rtc_fake_time;
static pthread_mutex_t rtc_irq_lock = PTHREAD_MUTEX_INITIALIZER;
static bool rtc_irq_level;
static int rtc_irq_changes;
static uint32_t rtc_irq_spi;

/* The fake host clock: the device's timer thread reads it too. */
static time_t rtc_fake_now(void *opaque)
{
	return __atomic_load_n((time_t *)opaque, __ATOMIC_SEQ_CST);
}

static void rtc_advance(time_t seconds)
{
	__atomic_add_fetch(&rtc_fake_time, seconds, __ATOMIC_SEQ_CST);
}

static void rtc_set_level(void *opaque, uint32_t spi, bool level)
{
	pthread_mutex_lock(&rtc_irq_lock);
	rtc_irq_level = level;
	rtc_irq_changes++;
	rtc_irq_spi = spi;
	pthread_mutex_unlock(&rtc_irq_lock);
}

static bool rtc_level(void)
{
	bool l;

	pthread_mutex_lock(&rtc_irq_lock);
	l = rtc_irq_level;
	pthread_mutex_unlock(&rtc_irq_lock);
	return l;
}

/* fake: use the injected clock (starting at 1e9 s) rather than host time */
static struct device *rtc_make(bool fake)
{
	struct irq_sink irq = {.set_level = rtc_set_level};
	struct pl031_config cfg = {.now = rtc_fake_now,
				   .opaque = &rtc_fake_time};

	__atomic_store_n(&rtc_fake_time, 1000000000, __ATOMIC_SEQ_CST);
	rtc_irq_level = false;
	rtc_irq_changes = 0;
	return pl031_create(0x9010000, 2, irq, fake ? &cfg : NULL);
}

#define R(d, off)    ((uint32_t)(d)->ops->mmio_read((d), (off), 4))
#define W(d, off, v) (d)->ops->mmio_write((d), (off), 4, (v))

#define RTCDR	0x00
#define RTCMR	0x04
#define RTCLR	0x08
#define RTCCR	0x0c
#define RTCIMSC 0x10
#define RTCRIS	0x14
#define RTCMIS	0x18
#define RTCICR	0x1c

static void primecell_ids(void)
{
	static const uint8_t want[8] = {0x31, 0x10, 0x14, 0x00,
					0x0d, 0xf0, 0x05, 0xb1};
	struct device *d = rtc_make(true);

	for (int i = 0; i < 8; i++) {
		CHECK_EQ(R(d, 0xfe0 + 4 * i), want[i]);
		/* EDK2's PL031RealTimeClockLib reads them with MmioRead8. */
		CHECK_EQ(d->ops->mmio_read(d, 0xfe0 + 4 * i, 1), want[i]);
	}
	CHECK_EQ(R(d, 0xfe8) & 0x0f, 0x04); /* EDK2's check */
	W(d, 0xfe0, 0x55);		    /* read-only */
	CHECK_EQ(R(d, 0xfe0), 0x31);
	d->ops->destroy(d);
}

static void time_reads_host_clock(void)
{
	struct device *d = rtc_make(true);
	struct device *real = rtc_make(false);
	struct timespec t0, t1;
	uint32_t v;

	CHECK_EQ(R(d, RTCDR), 1000000000);
	rtc_advance(5);
	CHECK_EQ(R(d, RTCDR), 1000000005);
	/* The real clock: UTC seconds since 1970, like the host's. */
	/* The bounds from the clock the model reads: time() may come from
	 * a coarse clock a tick behind it, and failed at a second's edge. */
	clock_gettime(CLOCK_REALTIME, &t0);
	v = R(real, RTCDR);
	clock_gettime(CLOCK_REALTIME, &t1);
	CHECK(v >= (uint32_t)t0.tv_sec && v <= (uint32_t)t1.tv_sec);
	/* DR is read-only. */
	W(d, RTCDR, 7);
	CHECK_EQ(R(d, RTCDR), 1000000005);
	d->ops->destroy(d);
	real->ops->destroy(real);
}

static void load_sets_offset(void)
{
	struct device *d = rtc_make(true);

	W(d, RTCLR, 12345);
	CHECK_EQ(R(d, RTCDR), 12345);
	CHECK_EQ(R(d, RTCLR), 12345); /* LR reads back what was loaded */
	rtc_advance(10);
	CHECK_EQ(R(d, RTCDR), 12355);
	/* The counter wraps at 2^32. */
	W(d, RTCLR, 0xfffffffe);
	rtc_advance(3);
	CHECK_EQ(R(d, RTCDR), 1);
	/* A battery-backed clock: reset keeps the time. */
	d->ops->reset(d);
	CHECK_EQ(R(d, RTCDR), 1);
	/* Byte and halfword reads return the low bits. */
	W(d, RTCLR, 0x11223344);
	CHECK_EQ(d->ops->mmio_read(d, RTCDR, 1), 0x44);
	CHECK_EQ(d->ops->mmio_read(d, RTCDR, 2), 0x3344);
	d->ops->destroy(d);
}

static void start_bit_reads_one(void)
{
	struct device *d = rtc_make(true);

	CHECK_EQ(R(d, RTCCR), 1);
	W(d, RTCCR, 0); /* cannot be stopped */
	CHECK_EQ(R(d, RTCCR), 1);
	rtc_advance(1);
	CHECK_EQ(R(d, RTCDR), 1000000001);
	W(d, RTCCR, 1);
	CHECK_EQ(R(d, RTCCR), 1);
	d->ops->destroy(d);
}

static void match_interrupt(void)
{
	struct device *d = rtc_make(true);

	CHECK_EQ(R(d, RTCRIS), 0);
	W(d, RTCMR, 1000000010);
	CHECK_EQ(R(d, RTCMR), 1000000010);
	rtc_advance(9);
	CHECK_EQ(R(d, RTCRIS), 0);
	rtc_advance(1);
	CHECK_EQ(R(d, RTCRIS), 1); /* reached */
	CHECK_EQ(R(d, RTCMIS), 0); /* masked */
	CHECK(!rtc_level());
	W(d, RTCIMSC, 0xffffffff); /* only bit 0 exists */
	CHECK_EQ(R(d, RTCIMSC), 1);
	CHECK(rtc_level());
	CHECK_EQ(rtc_irq_spi, 2);
	CHECK_EQ(R(d, RTCMIS), 1);
	W(d, RTCICR, 1);
	CHECK(!rtc_level());
	CHECK_EQ(R(d, RTCRIS), 0);
	/* It does not fire again a second later. */
	rtc_advance(1);
	CHECK_EQ(R(d, RTCRIS), 0);
	/* Passed while nobody looked: pl031_poll() (the thread's job). */
	W(d, RTCMR, 1000000020);
	rtc_advance(50);
	pl031_poll(d);
	CHECK(rtc_level());
	W(d, RTCIMSC, 0); /* masking lowers the line, RIS stays */
	CHECK(!rtc_level());
	CHECK_EQ(R(d, RTCRIS), 1);
	W(d, RTCICR, 1);
	/* A match register equal to the counter matches at once. */
	W(d, RTCMR, R(d, RTCDR));
	CHECK_EQ(R(d, RTCRIS), 1);
	W(d, RTCICR, 1);
	/* Loading the counter past the match does not fire... */
	W(d, RTCMR, 500);
	W(d, RTCLR, 600);
	CHECK_EQ(R(d, RTCRIS), 0);
	/* ... but loading it onto the match does. */
	W(d, RTCLR, 500);
	CHECK_EQ(R(d, RTCRIS), 1);
	/* Reset clears the match state and lowers the line. */
	W(d, RTCIMSC, 1);
	CHECK(rtc_level());
	d->ops->reset(d);
	CHECK(!rtc_level());
	CHECK_EQ(R(d, RTCRIS), 0);
	CHECK_EQ(R(d, RTCIMSC), 0);
	CHECK_EQ(R(d, RTCMR), 0);
	d->ops->destroy(d);
}

/* The timer thread raises the line on its own with the host clock. */
static void match_interrupt_from_thread(void)
{
	struct device *d = rtc_make(false);
	struct timespec ts = {0, 20 * 1000 * 1000};
	int waited_ms = 0;

	W(d, RTCIMSC, 1);
	W(d, RTCMR, R(d, RTCDR) + 1);
	while (!rtc_level() && waited_ms < 3000) {
		nanosleep(&ts, NULL);
		waited_ms += 20;
	}
	CHECK(rtc_level());
	CHECK(waited_ms <= 2000);
	d->ops->destroy(d); /* joins the thread */
}

static void hostile_accesses(void)
{
	struct device *d = rtc_make(true);

	W(d, RTCLR, 777);
	d->ops->mmio_write(d, RTCLR, 2, 1); /* partial writes ignored */
	d->ops->mmio_write(d, RTCLR, 8, 1);
	d->ops->mmio_write(d, RTCLR + 1, 1, 1);
	CHECK_EQ(R(d, RTCDR), 777);
	CHECK_EQ(d->ops->mmio_read(d, RTCDR + 1, 1), 0); /* unaligned */
	CHECK_EQ(d->ops->mmio_read(d, RTCDR, 8), 0);	 /* too wide */
	CHECK_EQ(R(d, 0x080), 0); /* test registers: read as zero */
	CHECK_EQ(R(d, 0x800), 0); /* reserved */
	CHECK_EQ(R(d, RTCICR), 0);
	W(d, RTCRIS, 1); /* read-only */
	W(d, RTCMIS, 1);
	CHECK_EQ(R(d, RTCRIS), 0);
	for (uint64_t off = 0; off < 0x1000; off += 4)
		if (off != RTCLR && off != RTCMR && off != RTCIMSC)
			W(d, off, 0xffffffff);
	CHECK_EQ(R(d, RTCDR), 777);
	CHECK_EQ(R(d, 0xffc), 0xb1);
	d->ops->destroy(d);
}

static void fdt_node(void)
{
	struct device *d = rtc_make(true);
	char buf[4096];
	const fdt32_t *p;
	const char *s;
	int node, len;

	CHECK_EQ(one_device_fdt(d, buf, sizeof(buf)), 0);
	node = fdt_path_offset(buf, "/rtc@9010000");
	CHECK(node >= 0);
	CHECK_EQ(fdt_node_check_compatible(buf, node, "arm,pl031"), 0);
	CHECK_EQ(fdt_node_check_compatible(buf, node, "arm,primecell"), 0);
	p = fdt_getprop(buf, node, "reg", &len);
	CHECK(p && len == 16);
	if (p && len == 16) {
		CHECK_EQ(fdt32_to_cpu(p[1]), 0x9010000);
		CHECK_EQ(fdt32_to_cpu(p[3]), 0x1000);
	}
	p = fdt_getprop(buf, node, "interrupts", &len);
	CHECK(p && len == 12);
	if (p && len == 12) {
		CHECK_EQ(fdt32_to_cpu(p[0]), 0); /* SPI */
		CHECK_EQ(fdt32_to_cpu(p[1]), 2);
		CHECK_EQ(fdt32_to_cpu(p[2]), 4); /* level-high */
	}
	p = fdt_getprop(buf, node, "clocks", &len);
	CHECK(p && len == 4 && fdt32_to_cpu(p[0]) == PHANDLE_APB_PCLK);
	s = fdt_getprop(buf, node, "clock-names", &len);
	CHECK(s && len == 9 && !strcmp(s, "apb_pclk"));
	d->ops->destroy(d);
}

static void *rtc_make_obj(void)
{
	return rtc_make(true);
}

static const struct state_model rtc_model = {
    .make = rtc_make_obj,
    .destroy = state_dev_destroy,
    .save = state_dev_save,
    .restore = state_dev_restore,
};

/* Snapshot (issue 13): the guest's time, alarm and interrupt survive, and
 * the alarm is armed again. */
static void snapshot_round_trip(void)
{
	struct device *d = rtc_make(true), *e;
	struct state_writer w;

	W(d, RTCLR, 5000);
	W(d, RTCMR, 5010);
	W(d, RTCIMSC, 1);
	rtc_advance(10);
	pl031_poll(d);
	CHECK(rtc_level());
	state_save(&rtc_model, d, &w);
	d->ops->destroy(d);

	/* The fake clock starts again at 1e9 s, 10 s before the save: the
	 * counter follows the host's clock from the saved offset. */
	e = state_roundtrip(&rtc_model, &w);
	CHECK(e != NULL);
	if (e) {
		CHECK(rtc_level());
		CHECK_EQ(R(e, RTCDR), 5000);
		CHECK_EQ(R(e, RTCLR), 5000);
		CHECK_EQ(R(e, RTCMR), 5010);
		CHECK_EQ(R(e, RTCRIS), 1);
		W(e, RTCICR, 1);
		CHECK(!rtc_level());
		W(e, RTCMR, 5015);
		rtc_advance(14);
		pl031_poll(e);
		CHECK(!rtc_level());
		rtc_advance(1);
		pl031_poll(e);
		CHECK(rtc_level());
		e->ops->destroy(e);
	}
	state_prefixes_fail(&rtc_model, &w);
	state_corrupt_fails(&rtc_model, &w, 16, 4, 2, "pl031 IMSC");
	state_corrupt_fails(&rtc_model, &w, 0, 8, 1ULL << 50, "offset");
	sw_free(&w);
}

int main(void)
{
	check_suite = "pl031";
	RUN(primecell_ids);
	RUN(time_reads_host_clock);
	RUN(load_sets_offset);
	RUN(start_bit_reads_one);
	RUN(match_interrupt);
	RUN(match_interrupt_from_thread);
	RUN(hostile_accesses);
	RUN(fdt_node);
	RUN(snapshot_round_trip);
	return check_main_end();
}
