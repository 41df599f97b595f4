// SPDX-License-Identifier: GPL-2.0
/* The boot marker (devices/boot_marker.h). */
#include <stdatomic.h>
#include <stdlib.h>
#include <libfdt.h>

#include "devices/boot_marker.h"
#include "lib/util.h"

struct boot_marker {
	struct device dev;
	boot_marker_fn mark;
	void *opaque;
	/* Marks since the VM started: vCPUs may write at once. */
	atomic_uint count;
};

static struct boot_marker *to_marker(const struct device *dev)
{
	return (struct boot_marker *)dev;
}

static void boot_marker_reset(struct device *dev)
{
	/* The count is the VM's: a reboot's marks go on counting, so that
	 * marks from several boots of one run stay apart. */
}

static uint64_t boot_marker_read(struct device *dev, uint64_t offset,
				 unsigned int size)
{
	if (size != 4)
		return 0;
	switch (offset) {
	case BOOT_MARKER_MARK:
		return BOOT_MARKER_MAGIC;
	case BOOT_MARKER_COUNT:
		return atomic_load(&to_marker(dev)->count);
	default:
		return 0;
	}
}

static void boot_marker_write(struct device *dev, uint64_t offset,
			      unsigned int size, uint64_t value)
{
	struct boot_marker *m = to_marker(dev);
	unsigned int n;

	if (size != 4 || offset != BOOT_MARKER_MARK)
		return;
	/* Saturate: a guest writing forever must not wrap the count. */
	n = atomic_load(&m->count);
	do {
		if (n == UINT32_MAX)
			break;
	} while (!atomic_compare_exchange_weak(&m->count, &n, n + 1));
	/* The guest is hostile: a write loop must not fill armvm's log. */
	if (n < BOOT_MARKER_REPORTS && m->mark)
		m->mark(m->opaque, (uint32_t)value);
	else if (n == BOOT_MARKER_REPORTS)
		pr_warn("boot marker: more than %u marks; the rest are only "
			"counted (register COUNT)",
			BOOT_MARKER_REPORTS);
}

static int boot_marker_fdt(const struct device *dev, void *fdt)
{
	if (fdt_begin_node_at(fdt, dev->node_name, dev->base) ||
	    fdt_property_string(fdt, "compatible", "armvm,boot-marker") ||
	    fdt_property_reg64(fdt, dev->base, dev->size))
		return -1;
	return fdt_end_node(fdt);
}

static void boot_marker_destroy(struct device *dev)
{
	free(to_marker(dev));
}

static const struct device_ops boot_marker_ops = {
    .reset = boot_marker_reset,
    .mmio_read = boot_marker_read,
    .mmio_write = boot_marker_write,
    .fdt_node = boot_marker_fdt,
    .destroy = boot_marker_destroy,
};

struct device *boot_marker_create(uint64_t base, boot_marker_fn mark,
				  void *opaque)
{
	struct boot_marker *m = calloc(1, sizeof(*m));

	if (!m) {
		pr_err("out of memory creating the boot marker");
		return NULL;
	}
	m->dev.ops = &boot_marker_ops;
	m->dev.name = "boot-marker";
	m->dev.node_name = "boot-marker";
	m->dev.base = base;
	m->dev.size = BOOT_MARKER_SIZE;
	m->mark = mark;
	m->opaque = opaque;
	return &m->dev;
}
