/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ARM PrimeCell real-time clock (PL031): seconds since 1970 (UTC) from the
 * host's clock, for UEFI GetTime/SetTime and Linux rtc-pl031 (issue 3 item 4).
 */
#ifndef ARMVM_DEVICES_PL031_H
#define ARMVM_DEVICES_PL031_H

#include <stdint.h>
#include <time.h>

#include "devices/device.h"

struct pl031_config {
	/*
	 * The host clock in seconds since 1970; NULL: CLOCK_REALTIME. With an
	 * injected clock no timed wait is armed: the match interrupt is
	 * evaluated on every register access and on pl031_poll() (unit tests).
	 */
	time_t (*now)(void *opaque);
	void *opaque;
};

/*
 * A 4 KiB PL031 at base raising spi (level) when the counter reaches the
 * match register. cfg may be NULL (host time). Starts a small timer thread
 * that waits (no polling) for the next match and is joined by destroy.
 * Returns NULL (after pr_err) on failure.
 */
struct device *pl031_create(uint64_t base, uint32_t spi, struct irq_sink irq,
			    const struct pl031_config *cfg);

/* Evaluate the match interrupt against the clock now (tests, injected clock). */
void pl031_poll(struct device *dev);

#endif
