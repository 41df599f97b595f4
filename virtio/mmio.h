/* SPDX-License-Identifier: GPL-2.0 */
/* The virtio-mmio transport, version 2 (virtio 1.2 section 4.2). */
#ifndef ARMVM_VIRTIO_MMIO_H
#define ARMVM_VIRTIO_MMIO_H

#include <stdint.h>

#include "devices/device.h"

struct virtio_dev;

/* Register window size (4.2.2: control registers, config from 0x100). */
#define VIRTIO_MMIO_SIZE 0x200

/*
 * A device model for vdev at [base, base + 0x200) raising GIC SPI `spi`
 * (level-triggered: high while InterruptStatus is non-zero). The model owns
 * vdev from then on: destroy frees both. NULL on allocation failure.
 *
 * doorbells (may be NULL): where each reset of the model (each boot) sets
 * up one doorbell per queue on QueueNotify, a 32-bit write of the queue's
 * index (4.2.3.3), so that a queue kick need not leave the kernel; the sink
 * is read at each reset, so it may be filled after the model is made. The
 * doorbells are removed before a reset and at destroy.
 */
struct device *virtio_mmio_create(uint64_t base, uint32_t spi,
				  struct irq_sink irq, struct virtio_dev *vdev,
				  const struct doorbell_sink *doorbells);

/* The virtio device behind a slot made by virtio_mmio_create. */
struct virtio_dev *virtio_mmio_device(struct device *dev);

#endif
