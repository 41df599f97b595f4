/* SPDX-License-Identifier: GPL-2.0 */
/* ARM PrimeCell UART (PL011), the VM's serial console (PLAT-2). */
#ifndef ARMVM_DEVICES_PL011_H
#define ARMVM_DEVICES_PL011_H

#include <stddef.h>
#include <stdint.h>

#include "devices/device.h"

/* Where transmitted bytes go (the console's output). */
typedef void (*pl011_output_fn)(void *opaque, const uint8_t *buf, size_t len);

struct device *pl011_create(uint64_t base, uint32_t spi, struct irq_sink irq,
			    pl011_output_fn out, void *out_opaque);

/*
 * Offer received bytes (from the console's input) to the UART. Returns how
 * many it took: fewer than len when the receive FIFO is full; the caller
 * keeps the rest and offers them again later.
 */
size_t pl011_receive(struct device *dev, const uint8_t *buf, size_t len);

#endif
