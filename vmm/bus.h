/* SPDX-License-Identifier: GPL-2.0 */
/* Routes guest MMIO accesses to the device models by address. */
#ifndef ARMVM_VMM_BUS_H
#define ARMVM_VMM_BUS_H

#include <stdbool.h>
#include <stdint.h>

struct device;

#define BUS_MAX_DEVICES 64

struct mmio_bus {
	struct device *devices[BUS_MAX_DEVICES];
	unsigned int nr_devices;
};

/* Add a device; -1 (with a message) if it overlaps one already there. */
int bus_add(struct mmio_bus *bus, struct device *dev);
struct device *bus_find(const struct mmio_bus *bus, uint64_t addr,
			unsigned int len);
/*
 * Perform a guest access of len (1, 2, 4 or 8) bytes; data is the
 * little-endian value as KVM passes it. Accesses that hit no device, or
 * straddle a device's end, read as zero and are ignored on write. Returns
 * false when no device took the access.
 */
bool bus_access(const struct mmio_bus *bus, uint64_t addr, bool is_write,
		unsigned int len, uint8_t data[8]);
void bus_reset_all(const struct mmio_bus *bus);
void bus_destroy_all(struct mmio_bus *bus);

#endif
