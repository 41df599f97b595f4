// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "devices/device.h"
#include "lib/util.h"
#include "vmm/bus.h"

int bus_add(struct mmio_bus *bus, struct device *dev)
{
	if (bus->nr_devices == BUS_MAX_DEVICES) {
		pr_err("%s: too many devices (at most %d)", dev->name,
		       BUS_MAX_DEVICES);
		return -1;
	}
	for (unsigned int i = 0; i < bus->nr_devices; i++) {
		const struct device *d = bus->devices[i];

		if (dev->base < d->base + d->size &&
		    d->base < dev->base + dev->size) {
			pr_err("%s at 0x%llx overlaps %s at 0x%llx", dev->name,
			       (unsigned long long)dev->base, d->name,
			       (unsigned long long)d->base);
			return -1;
		}
	}
	bus->devices[bus->nr_devices++] = dev;
	return 0;
}

struct device *bus_find(const struct mmio_bus *bus, uint64_t addr,
			unsigned int len)
{
	for (unsigned int i = 0; i < bus->nr_devices; i++) {
		struct device *d = bus->devices[i];

		if (addr >= d->base && addr - d->base < d->size &&
		    len <= d->size - (addr - d->base))
			return d;
	}
	return NULL;
}

bool bus_access(const struct mmio_bus *bus, uint64_t addr, bool is_write,
		unsigned int len, uint8_t data[8])
{
	struct device *d;
	uint64_t v = 0;

	if (len != 1 && len != 2 && len != 4 && len != 8) {
		if (!is_write)
			memset(data, 0, 8);
		return false;
	}
	d = bus_find(bus, addr, len);
	if (!d) {
		if (!is_write)
			memset(data, 0, 8);
		return false;
	}
	if (is_write) {
		memcpy(&v, data, len); /* the host is little-endian */
		d->ops->mmio_write(d, addr - d->base, len, v);
	} else {
		v = d->ops->mmio_read(d, addr - d->base, len);
		memset(data, 0, 8);
		memcpy(data, &v, len);
	}
	return true;
}

void bus_reset_all(const struct mmio_bus *bus)
{
	for (unsigned int i = 0; i < bus->nr_devices; i++)
		if (bus->devices[i]->ops->reset)
			bus->devices[i]->ops->reset(bus->devices[i]);
}

void bus_destroy_all(struct mmio_bus *bus)
{
	for (unsigned int i = 0; i < bus->nr_devices; i++)
		if (bus->devices[i]->ops->destroy)
			bus->devices[i]->ops->destroy(bus->devices[i]);
	bus->nr_devices = 0;
}
