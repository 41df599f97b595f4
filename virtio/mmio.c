// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mmio, version 2 (the virtio 1.x register layout, virtio 1.2
 * section 4.2.2), over the transport-independent core in virtio.c.
 *
 * Control registers (below 0x100) are 32 bits wide and aligned (4.2.2.2);
 * any other access reads as zero and is ignored. The device config space
 * at 0x100 takes any size and offset (EDK2 reads it byte by byte).
 *
 * The interrupt line is level-triggered: high while InterruptStatus is not
 * zero, and described so in the device tree.
 *
 * Queue notifications (4.2.3.3: the driver writes the queue's index to
 * QueueNotify) can also arrive as doorbells: with a doorbell sink, each
 * reset registers one per queue at QueueNotify, 4 bytes wide, matching
 * that queue's index, so that KVM completes the write and the doorbell
 * thread runs the queue, as for virtio-pci's notify area. A write that
 * matches none (another index, another width) still arrives here.
 */
#include <pthread.h>
#include <stdlib.h>
#include <libfdt.h>

#include "lib/util.h"
#include "virtio/mmio.h"
#include "virtio/virtio.h"

/* Register offsets (4.2.2, table "MMIO Device Register Layout"). */
#define MMIO_MAGIC		 0x000
#define MMIO_VERSION		 0x004
#define MMIO_DEVICE_ID		 0x008
#define MMIO_VENDOR_ID		 0x00c
#define MMIO_DEVICE_FEATURES	 0x010
#define MMIO_DEVICE_FEATURES_SEL 0x014
#define MMIO_DRIVER_FEATURES	 0x020
#define MMIO_DRIVER_FEATURES_SEL 0x024
#define MMIO_QUEUE_SEL		 0x030
#define MMIO_QUEUE_NUM_MAX	 0x034
#define MMIO_QUEUE_NUM		 0x038
#define MMIO_QUEUE_READY	 0x044
#define MMIO_QUEUE_NOTIFY	 0x050
#define MMIO_INTERRUPT_STATUS	 0x060
#define MMIO_INTERRUPT_ACK	 0x064
#define MMIO_STATUS		 0x070
#define MMIO_QUEUE_DESC_LOW	 0x080
#define MMIO_QUEUE_DESC_HIGH	 0x084
#define MMIO_QUEUE_DRIVER_LOW	 0x090
#define MMIO_QUEUE_DRIVER_HIGH	 0x094
#define MMIO_QUEUE_DEVICE_LOW	 0x0a0
#define MMIO_QUEUE_DEVICE_HIGH	 0x0a4
#define MMIO_SHM_SEL		 0x0ac
#define MMIO_SHM_LEN_LOW	 0x0b0
#define MMIO_SHM_LEN_HIGH	 0x0b4
#define MMIO_SHM_BASE_LOW	 0x0b8
#define MMIO_SHM_BASE_HIGH	 0x0bc
#define MMIO_CONFIG_GENERATION	 0x0fc
#define MMIO_CONFIG		 0x100

#define MMIO_MAGIC_VALUE 0x74726976 /* "virt" */
#define MMIO_VERSION_2	 2
#define MMIO_VENDOR	 0x766d7261 /* "armv" */

/* InterruptStatus bits (4.2.2). */
#define MMIO_INT_VRING	1
#define MMIO_INT_CONFIG 2

/* Doorbells: at most one per queue. */
#define MMIO_MAX_DOORBELLS VIRTIO_MAX_QUEUES

struct virtio_mmio {
	struct device dev;
	struct virtio_dev *vdev;
	pthread_mutex_t lock; /* the fields below */
	uint32_t device_features_sel, driver_features_sel, queue_sel;
	uint32_t interrupt_status;
	bool irq_level;
	/* Held while the doorbells change; never while one rings (the
	 * sink's remove waits for a ring in progress). */
	pthread_mutex_t doorbell_lock;
	const struct doorbell_sink *doorbells; /* NULL: none */
	void *doorbell[MMIO_MAX_DOORBELLS];
};

static struct virtio_mmio *to_mmio(const struct device *dev)
{
	return (struct virtio_mmio *)dev;
}

/* With m->lock held. */
static void update_irq(struct virtio_mmio *m)
{
	bool level = m->interrupt_status != 0;

	if (level != m->irq_level) {
		m->irq_level = level;
		device_set_irq(&m->dev, level);
	}
}

static void raise_status(struct virtio_mmio *m, uint32_t bits)
{
	pthread_mutex_lock(&m->lock);
	m->interrupt_status |= bits;
	update_irq(m);
	pthread_mutex_unlock(&m->lock);
}

static void mmio_notify_queue(void *opaque, unsigned int q)
{
	raise_status(opaque, MMIO_INT_VRING);
}

static void mmio_notify_config(void *opaque)
{
	raise_status(opaque, MMIO_INT_CONFIG);
}

static const struct virtio_transport_ops mmio_transport = {
    .notify_queue = mmio_notify_queue,
    .notify_config = mmio_notify_config,
};

/* Transport state back to reset values (the core is reset separately). */
static void clear_transport(struct virtio_mmio *m)
{
	pthread_mutex_lock(&m->lock);
	m->device_features_sel = m->driver_features_sel = m->queue_sel = 0;
	m->interrupt_status = 0;
	update_irq(m);
	pthread_mutex_unlock(&m->lock);
}

static void ring_doorbell(void *arg, unsigned int q)
{
	struct virtio_mmio *m = arg;

	virtio_queue_notify(m->vdev, q);
}

/* With doorbell_lock held: none rings after this returns. */
static void remove_doorbells(struct virtio_mmio *m)
{
	for (unsigned int q = 0; q < MMIO_MAX_DOORBELLS; q++) {
		if (m->doorbell[q])
			m->doorbells->remove(m->doorbells->opaque,
					     m->doorbell[q]);
		m->doorbell[q] = NULL;
	}
}

/*
 * With doorbell_lock held: QueueNotify of queue q rings doorbell q. The
 * sink registers them with the VM's current KVM VM, which every boot makes
 * anew: hence at each reset.
 */
static void add_doorbells(struct virtio_mmio *m)
{
	unsigned int n = virtio_num_queues(m->vdev);

	if (!m->doorbells || !m->doorbells->add)
		return;
	for (unsigned int q = 0; q < n && q < MMIO_MAX_DOORBELLS; q++) {
		struct doorbell_spec bell = {
		    .gpa = m->dev.base + MMIO_QUEUE_NOTIFY,
		    .len = 4,
		    .datamatch = true,
		    .value = q,
		    .ring = ring_doorbell,
		    .arg = m,
		    .n = q,
		};

		m->doorbell[q] = m->doorbells->add(m->doorbells->opaque, &bell);
	}
}

static void mmio_reset(struct device *dev)
{
	struct virtio_mmio *m = to_mmio(dev);

	pthread_mutex_lock(&m->doorbell_lock);
	remove_doorbells(m);
	virtio_reset(m->vdev);
	clear_transport(m);
	add_doorbells(m);
	pthread_mutex_unlock(&m->doorbell_lock);
}

static uint32_t get_sel(struct virtio_mmio *m, uint32_t *field)
{
	uint32_t v;

	pthread_mutex_lock(&m->lock);
	v = *field;
	pthread_mutex_unlock(&m->lock);
	return v;
}

static uint64_t config_access_read(struct virtio_mmio *m, uint64_t offset,
				   unsigned int size)
{
	uint8_t buf[8];

	virtio_config_read(m->vdev, (uint32_t)(offset - MMIO_CONFIG), buf,
			   size);
	switch (size) {
	case 1:
		return buf[0];
	case 2:
		return get_le16(buf);
	case 4:
		return get_le32(buf);
	default:
		return get_le64(buf);
	}
}

static void config_access_write(struct virtio_mmio *m, uint64_t offset,
				unsigned int size, uint64_t value)
{
	uint8_t buf[8];

	put_le64(buf, value);
	virtio_config_write(m->vdev, (uint32_t)(offset - MMIO_CONFIG), buf,
			    size);
}

static uint64_t mmio_read(struct device *dev, uint64_t offset,
			  unsigned int size)
{
	struct virtio_mmio *m = to_mmio(dev);
	struct virtio_dev *d = m->vdev;
	uint32_t q;

	if (offset >= MMIO_CONFIG) {
		if (size != 1 && size != 2 && size != 4 && size != 8)
			return 0;
		return config_access_read(m, offset, size);
	}
	if (size != 4 || offset & 3)
		return 0;
	q = get_sel(m, &m->queue_sel);
	switch (offset) {
	case MMIO_MAGIC:
		return MMIO_MAGIC_VALUE;
	case MMIO_VERSION:
		return MMIO_VERSION_2;
	case MMIO_DEVICE_ID:
		return virtio_device_id(d);
	case MMIO_VENDOR_ID:
		return MMIO_VENDOR;
	case MMIO_DEVICE_FEATURES:
		return virtio_get_device_features(
		    d, get_sel(m, &m->device_features_sel));
	case MMIO_QUEUE_NUM_MAX:
		return virtio_queue_max_size(d, q);
	case MMIO_QUEUE_NUM:
		return virtio_queue_get_size(d, q);
	case MMIO_QUEUE_READY:
		return virtio_queue_get_ready(d, q);
	case MMIO_INTERRUPT_STATUS:
		return get_sel(m, &m->interrupt_status);
	case MMIO_STATUS:
		return virtio_get_status(d);
	case MMIO_QUEUE_DESC_LOW:
		return (uint32_t)virtio_queue_get_desc(d, q);
	case MMIO_QUEUE_DESC_HIGH:
		return (uint32_t)(virtio_queue_get_desc(d, q) >> 32);
	case MMIO_QUEUE_DRIVER_LOW:
		return (uint32_t)virtio_queue_get_driver(d, q);
	case MMIO_QUEUE_DRIVER_HIGH:
		return (uint32_t)(virtio_queue_get_driver(d, q) >> 32);
	case MMIO_QUEUE_DEVICE_LOW:
		return (uint32_t)virtio_queue_get_device(d, q);
	case MMIO_QUEUE_DEVICE_HIGH:
		return (uint32_t)(virtio_queue_get_device(d, q) >> 32);
	case MMIO_SHM_LEN_LOW:
	case MMIO_SHM_LEN_HIGH:
		/* No shared memory regions: length -1 (4.2.2). */
		return 0xffffffff;
	case MMIO_CONFIG_GENERATION:
		return virtio_config_generation(d);
	default: /* write-only or reserved */
		return 0;
	}
}

/* Replace the low or high half of a 64-bit queue address. */
static uint64_t set_half(uint64_t old, uint32_t v, bool high)
{
	if (high)
		return (old & 0xffffffffULL) | (uint64_t)v << 32;
	return (old & ~0xffffffffULL) | v;
}

static void mmio_write(struct device *dev, uint64_t offset, unsigned int size,
		       uint64_t value)
{
	struct virtio_mmio *m = to_mmio(dev);
	struct virtio_dev *d = m->vdev;
	uint32_t v = (uint32_t)value, q;
	bool high = offset & 4;

	if (offset >= MMIO_CONFIG) {
		if (size == 1 || size == 2 || size == 4 || size == 8)
			config_access_write(m, offset, size, value);
		return;
	}
	if (size != 4 || offset & 3)
		return;
	q = get_sel(m, &m->queue_sel);
	switch (offset) {
	case MMIO_DEVICE_FEATURES_SEL:
		pthread_mutex_lock(&m->lock);
		m->device_features_sel = v;
		pthread_mutex_unlock(&m->lock);
		break;
	case MMIO_DRIVER_FEATURES:
		virtio_set_driver_features(
		    d, get_sel(m, &m->driver_features_sel), v);
		break;
	case MMIO_DRIVER_FEATURES_SEL:
		pthread_mutex_lock(&m->lock);
		m->driver_features_sel = v;
		pthread_mutex_unlock(&m->lock);
		break;
	case MMIO_QUEUE_SEL:
		pthread_mutex_lock(&m->lock);
		m->queue_sel = v;
		pthread_mutex_unlock(&m->lock);
		break;
	case MMIO_QUEUE_NUM:
		if (v <= 0xffff)
			virtio_queue_set_size(d, q, (uint16_t)v);
		break;
	case MMIO_QUEUE_READY:
		virtio_queue_set_ready(d, q, v & 1);
		break;
	case MMIO_QUEUE_NOTIFY:
		/* Without VIRTIO_F_NOTIFICATION_DATA: the queue index. */
		virtio_queue_notify(d, v);
		break;
	case MMIO_INTERRUPT_ACK:
		pthread_mutex_lock(&m->lock);
		m->interrupt_status &= ~v;
		update_irq(m);
		pthread_mutex_unlock(&m->lock);
		break;
	case MMIO_STATUS:
		virtio_set_status(d, (uint8_t)v);
		/* 4.2.2.1: a reset also clears the interrupt status. */
		if (!(v & 0xff))
			clear_transport(m);
		break;
	case MMIO_QUEUE_DESC_LOW:
	case MMIO_QUEUE_DESC_HIGH:
		virtio_queue_set_desc(
		    d, q, set_half(virtio_queue_get_desc(d, q), v, high));
		break;
	case MMIO_QUEUE_DRIVER_LOW:
	case MMIO_QUEUE_DRIVER_HIGH:
		virtio_queue_set_driver(
		    d, q, set_half(virtio_queue_get_driver(d, q), v, high));
		break;
	case MMIO_QUEUE_DEVICE_LOW:
	case MMIO_QUEUE_DEVICE_HIGH:
		virtio_queue_set_device(
		    d, q, set_half(virtio_queue_get_device(d, q), v, high));
		break;
	default: /* read-only or reserved (SHMSel: no regions) */
		break;
	}
}

static int mmio_fdt_node(const struct device *dev, void *fdt)
{
	static const char compat[] = "virtio,mmio";
	int err = 0;

	err |= fdt_begin_node_at(fdt, "virtio_mmio", dev->base);
	err |= fdt_property(fdt, "compatible", compat, sizeof(compat));
	err |= fdt_property_reg64(fdt, dev->base, dev->size);
	err |= fdt_property_spi(fdt, dev->spi, FDT_IRQ_LEVEL_HIGH);
	err |= fdt_property(fdt, "dma-coherent", NULL, 0);
	err |= fdt_end_node(fdt);
	return err ? -1 : 0;
}

static void mmio_destroy(struct device *dev)
{
	struct virtio_mmio *m = to_mmio(dev);

	/* No doorbell may ring into a device being freed. */
	pthread_mutex_lock(&m->doorbell_lock);
	remove_doorbells(m);
	pthread_mutex_unlock(&m->doorbell_lock);
	virtio_destroy(m->vdev);
	pthread_mutex_destroy(&m->doorbell_lock);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/*
 * Record (docs/snapshot.md): the selectors and InterruptStatus (4.2.2),
 * then the virtio device (virtio_save). The doorbells need nothing: the
 * fresh slot's reset registered one per queue, whatever the queues' state.
 */
static void mmio_save(struct device *dev, struct state_writer *w)
{
	struct virtio_mmio *m = to_mmio(dev);

	pthread_mutex_lock(&m->lock);
	sw_u32(w, m->device_features_sel);
	sw_u32(w, m->driver_features_sel);
	sw_u32(w, m->queue_sel);
	sw_u32(w, m->interrupt_status);
	pthread_mutex_unlock(&m->lock);
	virtio_save(m->vdev, w);
}

static int mmio_restore(struct device *dev, struct state_reader *r)
{
	struct virtio_mmio *m = to_mmio(dev);
	uint32_t dsel = sr_u32(r), gsel = sr_u32(r), qsel = sr_u32(r);
	uint32_t status = sr_u32_mask(r, MMIO_INT_VRING | MMIO_INT_CONFIG,
				      "virtio-mmio InterruptStatus");

	if (r->failed)
		return -1;
	pthread_mutex_lock(&m->lock);
	m->device_features_sel = dsel;
	m->driver_features_sel = gsel;
	m->queue_sel = qsel;
	m->interrupt_status = status;
	/* The line, whatever the fresh slot last told the sink. */
	m->irq_level = status != 0;
	device_set_irq(&m->dev, m->irq_level);
	pthread_mutex_unlock(&m->lock);
	if (virtio_restore(m->vdev, r))
		return -1;
	/* virtio-mmio has no MSI-X (4.2): the vectors stay NO_VECTOR. */
	if (virtio_get_config_msix_vector(m->vdev) != VIRTIO_MSI_NO_VECTOR)
		sr_fail(r, "virtio-mmio: an MSI-X vector");
	for (unsigned int q = 0; q < virtio_num_queues(m->vdev); q++)
		if (virtio_queue_get_msix_vector(m->vdev, q) !=
		    VIRTIO_MSI_NO_VECTOR)
			sr_fail(r, "virtio-mmio: an MSI-X vector");
	return r->failed ? -1 : 0;
}

static const struct device_ops mmio_ops = {
    .reset = mmio_reset,
    .mmio_read = mmio_read,
    .mmio_write = mmio_write,
    .fdt_node = mmio_fdt_node,
    .destroy = mmio_destroy,
    .save = mmio_save,
    .restore = mmio_restore,
};

struct device *virtio_mmio_create(uint64_t base, uint32_t spi,
				  struct irq_sink irq, struct virtio_dev *vdev,
				  const struct doorbell_sink *doorbells)
{
	struct virtio_mmio *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->dev.ops = &mmio_ops;
	m->dev.name = "virtio-mmio";
	m->dev.base = base;
	m->dev.size = VIRTIO_MMIO_SIZE;
	m->dev.spi = spi;
	m->dev.irq = irq;
	m->vdev = vdev;
	m->doorbells = doorbells;
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->doorbell_lock, NULL);
	virtio_set_transport(vdev, &mmio_transport, m);
	mmio_reset(&m->dev);
	return &m->dev;
}

struct virtio_dev *virtio_mmio_device(struct device *dev)
{
	return to_mmio(dev)->vdev;
}
