/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device tree that holds one device's node under an empty root, for the
 * tests of a device's fdt_node (libfdt's sequential-write API).
 */
#ifndef ARMVM_TESTS_FDT_CHECK_H
#define ARMVM_TESTS_FDT_CHECK_H

#include <libfdt.h>

#include "devices/device.h"

/* 0, or the first libfdt error (negative) or -1 from the device. */
static inline int one_device_fdt(const struct device *dev, void *buf, int size)
{
	int err = fdt_create(buf, size);

	err = err ? err : fdt_finish_reservemap(buf);
	err = err ? err : fdt_begin_node(buf, "");
	err = err ? err : dev->ops->fdt_node(dev, buf);
	err = err ? err : fdt_end_node(buf);
	return err ? err : fdt_finish(buf);
}

#endif
