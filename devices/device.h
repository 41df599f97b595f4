/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface every device model implements. A model is portable C: it
 * never calls KVM; it raises interrupts through an irq_sink and describes
 * itself in the device tree through fdt_node. The VMM core (vmm/) routes
 * MMIO exits to mmio_read/mmio_write by address.
 *
 * Threads: mmio_read/mmio_write run on vCPU threads, possibly several at
 * once, so each model locks its own state.
 */
#ifndef ARMVM_DEVICES_DEVICE_H
#define ARMVM_DEVICES_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/state.h"

struct device;

/* How a device drives its interrupt line (a GIC SPI, DT numbering). */
struct irq_sink {
	void (*set_level)(void *opaque, uint32_t spi, bool level);
	void *opaque;
};

/*
 * Doorbells: guest writes that only signal (virtio queue notifications).
 * The VMM turns them into KVM ioeventfds, so that the write completes in
 * the kernel and ring(arg, n) runs on an I/O thread. Optional: without a
 * sink, or where one cannot be set up, the writes are ordinary MMIO
 * accesses, which do the same, only slower.
 */
struct doorbell_spec {
	uint64_t gpa;
	unsigned int len; /* the write's width: 1, 2, 4 or 8 bytes */
	bool datamatch;	  /* ring only on writes of value (else on any) */
	uint64_t value;
	void (*ring)(void *arg, unsigned int n);
	void *arg;
	unsigned int n;
};

struct doorbell_sink {
	/* A handle, or NULL when the doorbell cannot be set up. */
	void *(*add)(void *opaque, const struct doorbell_spec *spec);
	/* After remove returns, ring is not running and will not run. */
	void (*remove)(void *opaque, void *handle);
	void *opaque;
};

struct device_ops {
	/* Back to the power-on state (VM start and reset). */
	void (*reset)(struct device *dev);
	/*
	 * An access of size 1, 2, 4 or 8 bytes at offset (< dev->size). Values
	 * are little-endian register values. The guest is hostile: offsets
	 * and sizes not meant for a register read as zero and are ignored on
	 * write.
	 */
	uint64_t (*mmio_read)(struct device *dev, uint64_t offset,
			      unsigned int size);
	void (*mmio_write)(struct device *dev, uint64_t offset,
			   unsigned int size, uint64_t value);
	/* Append this device's node(s) to a device tree being built. */
	int (*fdt_node)(const struct device *dev, void *fdt);
	/* Free the model. */
	void (*destroy)(struct device *dev);
	/*
	 * Snapshots (issue 13, docs/snapshot.md "Device records"): append
	 * the guest-visible state to w, in a fixed order and width, so that
	 * the same state always gives the same bytes. The VM is paused: no
	 * vCPU runs, and virtio devices are quiesced (virtio_quiesce).
	 */
	void (*save)(struct device *dev, struct state_writer *w);
	/*
	 * Read back what save wrote, into a model freshly created with the
	 * same configuration and reset. The record is hostile input: every
	 * value is checked as a guest register write would be; a bad one
	 * fails r (sr_fail, naming the field) and makes restore return -1,
	 * leaving a model that is safe to use or destroy. On success it has
	 * consumed exactly its record and returns 0. May be NULL where there
	 * is nothing to save (both are then NULL).
	 */
	int (*restore)(struct device *dev, struct state_reader *r);
};

struct device {
	const struct device_ops *ops;
	const char *name;      /* the model's, in messages */
	const char *node_name; /* its device-tree node's, before the '@' */
	uint64_t base;
	uint64_t size;
	uint32_t spi; /* GIC SPI number in DT numbering (INTID - 32) */
	struct irq_sink irq;
};

static inline void device_set_irq(struct device *dev, bool level)
{
	if (dev->irq.set_level)
		dev->irq.set_level(dev->irq.opaque, dev->spi, level);
}

/*
 * Device-tree phandles of the nodes other nodes refer to. Fixed numbers keep
 * the generated tree stable from one run to the next.
 */
enum fdt_phandle {
	PHANDLE_GIC = 1,
	PHANDLE_APB_PCLK = 2,
	PHANDLE_GIC_ITS = 3,
	PHANDLE_GIC_V2M = 4,
	PHANDLE_GPIO = 5,
};

/* GIC interrupt specifier cells (Linux dt-bindings/interrupt-controller). */
#define FDT_GIC_SPI	    0
#define FDT_GIC_PPI	    1
#define FDT_IRQ_EDGE_RISING 1
#define FDT_IRQ_LEVEL_HIGH  4

/* Helpers for fdt_node implementations (libfdt sequential-write API). */
int fdt_begin_node_at(void *fdt, const char *name, uint64_t unit_address);
int fdt_property_reg64(void *fdt, uint64_t base, uint64_t size);
int fdt_property_spi(void *fdt, uint32_t spi, uint32_t flags);

#endif
