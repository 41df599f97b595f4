// SPDX-License-Identifier: GPL-2.0
/*
 * ARM PrimeCell Real Time Clock (PL031), after the PL031 Technical Reference
 * Manual (ARM DDI 0224). The 32-bit counter is the host's CLOCK_REALTIME in
 * seconds plus an offset that a write to RTCLR sets, so the guest sees UTC
 * seconds since 1970 as EDK2's PL031RealTimeClockLib and Linux rtc-pl031
 * expect (research stock-firmware.md section 4).
 *
 * Deviations from the hardware, all as QEMU's model does:
 * - the counter runs from power-on and cannot be stopped: RTCCR reads 1
 *   (Linux and EDK2 expect a running clock);
 * - reset keeps the counter (it is a battery-backed wall clock) but clears
 *   the match register and the interrupt state.
 *
 * The match interrupt (TRM 2.2.3: RTCINTR when the counter equals RTCMR) is
 * raised by a timer thread that sleeps until the host time at which the
 * counter reaches RTCMR (an absolute CLOCK_REALTIME wait, so host clock steps
 * are followed) and is also evaluated on every register access.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <libfdt.h>

#include "devices/pl031.h"
#include "lib/confine.h"
#include "lib/util.h"

/* Register offsets (TRM 3.2, table 3-1). */
#define RTCDR	     0x000
#define RTCMR	     0x004
#define RTCLR	     0x008
#define RTCCR	     0x00c
#define RTCIMSC	     0x010
#define RTCRIS	     0x014
#define RTCMIS	     0x018
#define RTCICR	     0x01c
#define RTCPERIPHID0 0xfe0

#define RTC_INT	       1u /* RTCINTR, the only interrupt bit (TRM 3.3.5-3.3.8) */
#define COUNTER_PERIOD (1LL << 32) /* the counter wraps after 2^32 s */

/*
 * PrimeCell identification (TRM 3.3.10-3.3.11): part 0x031, designer ARM
 * (0x41), revision 1 as QEMU reports; EDK2 checks only the low nibble of
 * PeriphID2 and Linux masks the revision out.
 */
static const uint8_t pl031_id[8] = {0x31, 0x10, 0x14, 0x00,
				    0x0d, 0xf0, 0x05, 0xb1};

struct pl031 {
	struct device dev;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool stop;

	time_t (*now)(void *opaque);
	void *now_opaque;

	int64_t offset; /* counter = host seconds + offset (mod 2^32) */
	uint32_t mr, lr, imsc, ris;
	int64_t next_match; /* host second at which the counter == mr */
	bool irq_level;
};

static struct pl031 *to_pl031(const struct device *dev)
{
	return (struct pl031 *)dev;
}

static int64_t host_now(const struct pl031 *r)
{
	struct timespec ts;

	if (r->now)
		return (int64_t)r->now(r->now_opaque);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

static uint32_t counter_at(const struct pl031 *r, int64_t now)
{
	return (uint32_t)(uint64_t)(now + r->offset);
}

/*
 * The counter equals RTCMR at the host seconds mr - offset + k * 2^32. The
 * first of them at or after now (strictly after now when !inclusive).
 */
static int64_t next_match_from(const struct pl031 *r, int64_t now,
			       bool inclusive)
{
	uint32_t delta = r->mr - counter_at(r, now);

	if (!delta && !inclusive)
		return now + COUNTER_PERIOD;
	return now + delta;
}

/*
 * Lock held. Called whenever the counter or the match register changes: a
 * match register equal to the counter matches at once (as in QEMU).
 */
static void rearm(struct pl031 *r, int64_t now)
{
	r->next_match = next_match_from(r, now, true);
	pthread_cond_signal(&r->cond);
}

/* Lock held: raise the match interrupt if its time has come. */
static void update(struct pl031 *r, int64_t now)
{
	bool level;

	if (now >= r->next_match) {
		r->ris |= RTC_INT;
		r->next_match = next_match_from(r, now, false);
	}
	level = (r->ris & r->imsc) != 0;
	if (level != r->irq_level) {
		r->irq_level = level;
		device_set_irq(&r->dev, level);
	}
}

static void *pl031_thread(void *opaque)
{
	struct pl031 *r = opaque;

	confine_thread(CONFINE_RTC);
	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		update(r, host_now(r));
		if (r->now) {
			/* Injected clock: accesses and pl031_poll() decide. */
			pthread_cond_wait(&r->cond, &r->lock);
		} else {
			struct timespec ts = {.tv_sec = (time_t)r->next_match};

			pthread_cond_timedwait(&r->cond, &r->lock, &ts);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void pl031_reset(struct device *dev)
{
	struct pl031 *r = to_pl031(dev);
	int64_t now;

	pthread_mutex_lock(&r->lock);
	now = host_now(r);
	r->mr = 0;
	r->imsc = 0;
	r->ris = 0;
	/* Not at once: reset alone raises no interrupt. */
	r->next_match = next_match_from(r, now, false);
	pthread_cond_signal(&r->cond);
	update(r, now);
	pthread_mutex_unlock(&r->lock);
}

static uint64_t pl031_read(struct device *dev, uint64_t offset,
			   unsigned int size)
{
	struct pl031 *r = to_pl031(dev);
	uint32_t v = 0;
	int64_t now;

	if (offset & 3 || size > 4)
		return 0;
	if (offset >= RTCPERIPHID0 && offset < RTCPERIPHID0 + 0x20)
		return pl031_id[(offset - RTCPERIPHID0) / 4];

	pthread_mutex_lock(&r->lock);
	now = host_now(r);
	update(r, now);
	switch (offset) {
	case RTCDR:
		v = counter_at(r, now);
		break;
	case RTCMR:
		v = r->mr;
		break;
	case RTCLR:
		v = r->lr;
		break;
	case RTCCR:
		v = 1; /* started, for good (TRM 3.3.4) */
		break;
	case RTCIMSC:
		v = r->imsc;
		break;
	case RTCRIS:
		v = r->ris;
		break;
	case RTCMIS:
		v = r->ris & r->imsc;
		break;
	default: /* RTCICR (write-only), test registers, reserved */
		break;
	}
	pthread_mutex_unlock(&r->lock);
	if (size < 4)
		v &= (1u << (8 * size)) - 1;
	return v;
}

static void pl031_write(struct device *dev, uint64_t offset, unsigned int size,
			uint64_t value)
{
	struct pl031 *r = to_pl031(dev);
	uint32_t v = (uint32_t)value;
	int64_t now;

	/* Registers are written whole (TRM 3.1: 32-bit accesses). */
	if (offset & 3 || size != 4)
		return;

	pthread_mutex_lock(&r->lock);
	now = host_now(r);
	switch (offset) {
	case RTCMR:
		r->mr = v;
		rearm(r, now);
		break;
	case RTCLR:
		/* Load the counter (TRM 3.3.3): it reads v from now on. */
		r->lr = v;
		r->offset = (int64_t)v - now;
		rearm(r, now);
		break;
	case RTCIMSC:
		r->imsc = v & RTC_INT;
		break;
	case RTCICR:
		r->ris &= ~(v & RTC_INT);
		break;
	default: /* RTCDR, RTCCR (cannot stop), read-only, reserved */
		break;
	}
	update(r, now);
	pthread_mutex_unlock(&r->lock);
}

void pl031_poll(struct device *dev)
{
	struct pl031 *r = to_pl031(dev);

	pthread_mutex_lock(&r->lock);
	update(r, host_now(r));
	pthread_mutex_unlock(&r->lock);
}

static int pl031_fdt_node(const struct device *dev, void *fdt)
{
	static const char compat[] = "arm,pl031\0arm,primecell";
	static const char clock_names[] = "apb_pclk";
	fdt32_t clocks[1] = {cpu_to_fdt32(PHANDLE_APB_PCLK)};
	int err = 0;

	err |= fdt_begin_node_at(fdt, "rtc", dev->base);
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
 * Record (docs/snapshot.md): the counter's offset from the host's clock,
 * then LR, MR, IMSC and RIS. The counter follows host real time (TRM 2.2:
 * it counts seconds whatever the processor does), so a VM restored later
 * reads the time of day, as after a suspend; saving the offset rather than
 * the counter is what keeps a guest-set time (RTCLR) across the restore.
 */
static void pl031_save(struct device *dev, struct state_writer *w)
{
	struct pl031 *r = to_pl031(dev);

	pthread_mutex_lock(&r->lock);
	sw_u64(w, (uint64_t)r->offset);
	sw_u32(w, r->lr);
	sw_u32(w, r->mr);
	sw_u32(w, r->imsc);
	sw_u32(w, r->ris);
	pthread_mutex_unlock(&r->lock);
}

/* An RTCLR write sets offset = v - now, v < 2^32: with any host time
 * before 2^40 s it stays within 2^41, which also keeps now + offset from
 * overflowing. */
#define MAX_OFFSET (1LL << 41)

static int pl031_restore(struct device *dev, struct state_reader *sr)
{
	struct pl031 *r = to_pl031(dev);
	int64_t offset = (int64_t)sr_u64(sr), now;
	uint32_t lr, mr, imsc, ris;

	if (offset > MAX_OFFSET || offset < -MAX_OFFSET)
		sr_fail(sr, "pl031: counter offset %lld out of range",
			(long long)offset);
	lr = sr_u32(sr);
	mr = sr_u32(sr);
	imsc = sr_u32_mask(sr, RTC_INT, "pl031 IMSC");
	ris = sr_u32_mask(sr, RTC_INT, "pl031 RIS");
	if (sr->failed)
		return -1;

	pthread_mutex_lock(&r->lock);
	now = host_now(r);
	r->offset = offset;
	r->lr = lr;
	r->mr = mr;
	r->imsc = imsc;
	r->ris = ris;
	/* The next match strictly after now: one the counter reached while
	 * the VM was saved is not raised (RIS says whether it had been). */
	r->next_match = next_match_from(r, now, false);
	pthread_cond_signal(&r->cond); /* the timer thread waits anew */
	r->irq_level = (r->ris & r->imsc) != 0;
	device_set_irq(&r->dev, r->irq_level);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static void pl031_destroy(struct device *dev)
{
	struct pl031 *r = to_pl031(dev);

	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static const struct device_ops pl031_ops = {
    .reset = pl031_reset,
    .mmio_read = pl031_read,
    .mmio_write = pl031_write,
    .fdt_node = pl031_fdt_node,
    .destroy = pl031_destroy,
    .save = pl031_save,
    .restore = pl031_restore,
};

struct device *pl031_create(uint64_t base, uint32_t spi, struct irq_sink irq,
			    const struct pl031_config *cfg)
{
	struct pl031 *r = calloc(1, sizeof(*r));
	int err;

	if (!r) {
		pr_err("pl031: out of memory");
		return NULL;
	}
	r->dev.ops = &pl031_ops;
	r->dev.name = "pl031";
	r->dev.base = base;
	r->dev.size = 0x1000;
	r->dev.spi = spi;
	r->dev.irq = irq;
	if (cfg) {
		r->now = cfg->now;
		r->now_opaque = cfg->opaque;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL); /* CLOCK_REALTIME deadlines */
	r->offset = 0;			   /* the host's UTC time */
	pl031_reset(&r->dev);
	err = pthread_create(&r->thread, NULL, pl031_thread, r);
	if (err) {
		pr_err("pl031: cannot start its timer thread: %s",
		       strerror(err));
		pthread_cond_destroy(&r->cond);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return NULL;
	}
	return &r->dev;
}
