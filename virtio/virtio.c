// SPDX-License-Identifier: GPL-2.0
/*
 * Transport-independent virtio core: device status and feature negotiation
 * (virtio 1.2 sections 2.1, 2.2, 3.1), queue registers, config space, and
 * the DEVICE_NEEDS_RESET state a malformed queue leads to (2.1.2). See
 * virtio.h for the locking rules.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "virtio/virtio.h"

/* Malformed-queue messages per device: a hostile guest may loop. */
#define VIRTIO_MAX_WARNINGS 10

static uint64_t offered(struct virtio_dev *d)
{
	return d->device_features;
}

static bool valid_queue(struct virtio_dev *d, unsigned int q)
{
	return q < d->num_queues;
}

/* Called with d->lock held: the queue registers back to reset values. */
static void reset_queue_regs(struct virtio_dev *d, struct virtio_queue *vq)
{
	vq->size = d->ops->queue_max_size;
	vq->ready = false;
	vq->desc = vq->driver = vq->device = 0;
	vq->msix_vector = VIRTIO_MSI_NO_VECTOR;
	virtq_set_broken(&vq->vq, NULL);
}

bool virtio_dev_init(struct virtio_dev *d, const struct virtio_device_ops *ops,
		     struct guest_mem *mem)
{
	unsigned int n = ops->num_queues;

	if (!n || n > VIRTIO_MAX_QUEUES || !ops->queue_max_size ||
	    ops->queue_max_size > VIRTQ_MAX_SIZE ||
	    (ops->queue_max_size & (ops->queue_max_size - 1)))
		return false;
	memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->mem = mem;
	d->num_queues = n;
	d->queues = calloc(n, sizeof(*d->queues));
	if (!d->queues)
		return false;
	pthread_mutex_init(&d->lock, NULL);
	for (unsigned int i = 0; i < n; i++) {
		pthread_mutex_init(&d->queues[i].proc_lock, NULL);
		reset_queue_regs(d, &d->queues[i]);
	}
	d->device_features = 1ULL << VIRTIO_F_VERSION_1;
	if (ops->get_features)
		d->device_features |= ops->get_features(d);
	d->config_msix_vector = VIRTIO_MSI_NO_VECTOR;
	return true;
}

void virtio_destroy(struct virtio_dev *d)
{
	if (!d)
		return;
	if (d->ops->stop)
		d->ops->stop(d);
	for (unsigned int i = 0; i < d->num_queues; i++)
		pthread_mutex_destroy(&d->queues[i].proc_lock);
	pthread_mutex_destroy(&d->lock);
	free(d->queues);
	d->queues = NULL;
	d->num_queues = 0;
	if (d->ops->destroy)
		d->ops->destroy(d);
}

void virtio_set_transport(struct virtio_dev *d,
			  const struct virtio_transport_ops *ops, void *opaque)
{
	pthread_mutex_lock(&d->lock);
	d->transport = ops;
	d->transport_opaque = opaque;
	pthread_mutex_unlock(&d->lock);
}

static void notify_config(struct virtio_dev *d)
{
	const struct virtio_transport_ops *t;
	void *opaque;

	pthread_mutex_lock(&d->lock);
	if (d->quiesced) { /* raised at un-quiesce */
		d->pending_config = true;
		pthread_mutex_unlock(&d->lock);
		return;
	}
	t = d->transport;
	opaque = d->transport_opaque;
	pthread_mutex_unlock(&d->lock);
	if (t && t->notify_config)
		t->notify_config(opaque);
}

/*
 * Enter DEVICE_NEEDS_RESET (section 2.1.2). With d->lock held; returns
 * whether the driver must be told (the bit was not set yet).
 */
static bool enter_needs_reset_locked(struct virtio_dev *d, int q,
				     const char *why)
{
	if (d->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return false;
	d->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	if (d->warnings < VIRTIO_MAX_WARNINGS) {
		d->warnings++;
		if (q >= 0)
			pr_warn("%s: queue %d: %s; the device needs a reset",
				d->ops->name, q, why ? why : "malformed");
		else
			pr_warn("%s: %s; the device needs a reset",
				d->ops->name, why ? why : "malformed");
	}
	return true;
}

void virtio_set_needs_reset(struct virtio_dev *d, const char *why)
{
	bool tell;

	pthread_mutex_lock(&d->lock);
	tell = enter_needs_reset_locked(d, -1, why);
	pthread_mutex_unlock(&d->lock);
	if (tell)
		notify_config(d);
}

static void queue_malformed(struct virtio_dev *d, unsigned int q)
{
	bool tell;

	pthread_mutex_lock(&d->lock);
	tell = enter_needs_reset_locked(d, (int)q, d->queues[q].vq.why);
	pthread_mutex_unlock(&d->lock);
	if (tell)
		notify_config(d);
}

int virtio_pop(struct virtio_dev *d, unsigned int q, struct virtq_elem *e)
{
	int r;

	if (!valid_queue(d, q))
		return VIRTQ_MALFORMED;
	r = virtq_pop(&d->queues[q].vq, e);
	if (r == VIRTQ_MALFORMED)
		queue_malformed(d, q);
	return r;
}

void virtio_push(struct virtio_dev *d, unsigned int q,
		 const struct virtq_elem *e, uint32_t len)
{
	if (valid_queue(d, q))
		virtq_push(&d->queues[q].vq, e, len);
}

void virtio_push_many(struct virtio_dev *d, unsigned int q,
		      const uint16_t *heads, const uint32_t *lens,
		      unsigned int n)
{
	if (valid_queue(d, q))
		virtq_push_many(&d->queues[q].vq, heads, lens, n);
}

void virtio_notify_used(struct virtio_dev *d, unsigned int q)
{
	const struct virtio_transport_ops *t;
	void *opaque;

	if (!valid_queue(d, q) || !virtq_should_notify(&d->queues[q].vq))
		return;
	pthread_mutex_lock(&d->lock);
	t = d->transport;
	opaque = d->transport_opaque;
	pthread_mutex_unlock(&d->lock);
	if (t && t->notify_queue)
		t->notify_queue(opaque, q);
}

bool virtio_has_feature(struct virtio_dev *d, unsigned int bit)
{
	bool r;

	if (bit >= 64)
		return false;
	pthread_mutex_lock(&d->lock);
	r = (d->status & VIRTIO_STATUS_FEATURES_OK) &&
	    (d->driver_features >> bit & 1);
	pthread_mutex_unlock(&d->lock);
	return r;
}

void virtio_config_changed(struct virtio_dev *d)
{
	pthread_mutex_lock(&d->lock);
	d->config_generation++;
	pthread_mutex_unlock(&d->lock);
	notify_config(d);
}

uint32_t virtio_device_id(struct virtio_dev *d)
{
	return d->ops->device_id;
}

uint32_t virtio_get_device_features(struct virtio_dev *d, uint32_t select)
{
	if (select > 1)
		return 0;
	return (uint32_t)(offered(d) >> (32 * select));
}

uint32_t virtio_get_driver_features(struct virtio_dev *d, uint32_t select)
{
	uint32_t v;

	if (select > 1)
		return 0;
	pthread_mutex_lock(&d->lock);
	v = (uint32_t)(d->driver_features >> (32 * select));
	pthread_mutex_unlock(&d->lock);
	return v;
}

void virtio_set_driver_features(struct virtio_dev *d, uint32_t select,
				uint32_t value)
{
	uint64_t mask, v;

	if (select > 1)
		return;
	mask = 0xffffffffULL << (32 * select);
	v = ((uint64_t)value << (32 * select)) & offered(d);
	pthread_mutex_lock(&d->lock);
	/* Section 3.1.1: features are fixed once FEATURES_OK is set. */
	if (!(d->status &
	      (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)))
		d->driver_features = (d->driver_features & ~mask) | v;
	pthread_mutex_unlock(&d->lock);
}

uint8_t virtio_get_status(struct virtio_dev *d)
{
	uint8_t v;

	pthread_mutex_lock(&d->lock);
	v = d->status;
	pthread_mutex_unlock(&d->lock);
	return v;
}

void virtio_set_status(struct virtio_dev *d, uint8_t status)
{
	uint8_t old, now;

	if (!status) {
		virtio_reset(d);
		return;
	}
	pthread_mutex_lock(&d->lock);
	old = d->status;
	now = old | (status & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	if ((now & VIRTIO_STATUS_FEATURES_OK) &&
	    !(old & VIRTIO_STATUS_FEATURES_OK)) {
		/* Section 3.1.1 step 5/6: accept only a subset of what was
		 * offered, and a modern driver (VERSION_1, section 6.1). */
		if ((d->driver_features & ~offered(d)) ||
		    !(d->driver_features >> VIRTIO_F_VERSION_1 & 1))
			now &= ~VIRTIO_STATUS_FEATURES_OK;
		else if (d->ops->features_ok)
			d->ops->features_ok(d, d->driver_features);
	}
	d->status = now;
	pthread_mutex_unlock(&d->lock);
}

uint8_t virtio_config_generation(struct virtio_dev *d)
{
	uint8_t v;

	pthread_mutex_lock(&d->lock);
	v = d->config_generation;
	pthread_mutex_unlock(&d->lock);
	return v;
}

unsigned int virtio_num_queues(struct virtio_dev *d)
{
	return d->num_queues;
}

uint16_t virtio_queue_max_size(struct virtio_dev *d, unsigned int q)
{
	return valid_queue(d, q) ? d->ops->queue_max_size : 0;
}

/* Getters and setters of the plain queue registers. */
#define QUEUE_GET(field, type)                                              \
	type virtio_queue_get_##field(struct virtio_dev *d, unsigned int q) \
	{                                                                   \
		type v;                                                     \
		if (!valid_queue(d, q))                                     \
			return 0;                                           \
		pthread_mutex_lock(&d->lock);                               \
		v = d->queues[q].field;                                     \
		pthread_mutex_unlock(&d->lock);                             \
		return v;                                                   \
	}

QUEUE_GET(size, uint16_t)
QUEUE_GET(ready, bool)
QUEUE_GET(desc, uint64_t)
QUEUE_GET(driver, uint64_t)
QUEUE_GET(device, uint64_t)
QUEUE_GET(msix_vector, uint16_t)

/* Section 2.7 / 4.2.2: ring addresses and size are set while the queue is
 * not ready; later writes are ignored. */
#define QUEUE_SET_ADDR(field)                                               \
	void virtio_queue_set_##field(struct virtio_dev *d, unsigned int q, \
				      uint64_t gpa)                         \
	{                                                                   \
		if (!valid_queue(d, q))                                     \
			return;                                             \
		pthread_mutex_lock(&d->lock);                               \
		if (!d->queues[q].ready)                                    \
			d->queues[q].field = gpa;                           \
		pthread_mutex_unlock(&d->lock);                             \
	}

QUEUE_SET_ADDR(desc)
QUEUE_SET_ADDR(driver)
QUEUE_SET_ADDR(device)

void virtio_queue_set_size(struct virtio_dev *d, unsigned int q, uint16_t size)
{
	if (!valid_queue(d, q) || !size || size > d->ops->queue_max_size ||
	    (size & (size - 1)))
		return;
	pthread_mutex_lock(&d->lock);
	if (!d->queues[q].ready)
		d->queues[q].size = size;
	pthread_mutex_unlock(&d->lock);
}

void virtio_queue_set_msix_vector(struct virtio_dev *d, unsigned int q,
				  uint16_t vector)
{
	if (!valid_queue(d, q))
		return;
	pthread_mutex_lock(&d->lock);
	d->queues[q].msix_vector = vector;
	pthread_mutex_unlock(&d->lock);
}

uint16_t virtio_get_config_msix_vector(struct virtio_dev *d)
{
	uint16_t v;

	pthread_mutex_lock(&d->lock);
	v = d->config_msix_vector;
	pthread_mutex_unlock(&d->lock);
	return v;
}

void virtio_set_config_msix_vector(struct virtio_dev *d, uint16_t vector)
{
	pthread_mutex_lock(&d->lock);
	d->config_msix_vector = vector;
	pthread_mutex_unlock(&d->lock);
}

void virtio_queue_set_ready(struct virtio_dev *d, unsigned int q, bool ready)
{
	struct virtio_queue *vq;
	bool tell = false;

	if (!valid_queue(d, q))
		return;
	vq = &d->queues[q];
	pthread_mutex_lock(&vq->proc_lock);
	pthread_mutex_lock(&d->lock);
	if (ready && !vq->ready) {
		bool indirect =
		    d->driver_features >> VIRTIO_F_INDIRECT_DESC & 1;
		bool event_idx = d->driver_features >> VIRTIO_F_EVENT_IDX & 1;

		vq->ready = true;
		if (!virtq_init(&vq->vq, d->mem, vq->size, vq->desc, vq->driver,
				vq->device, indirect, event_idx))
			tell = enter_needs_reset_locked(d, (int)q, vq->vq.why);
	} else if (!ready && vq->ready) {
		vq->ready = false;
		virtq_set_broken(&vq->vq, NULL);
	}
	pthread_mutex_unlock(&d->lock);
	pthread_mutex_unlock(&vq->proc_lock);
	if (tell)
		notify_config(d);
}

void virtio_queue_notify(struct virtio_dev *d, unsigned int q)
{
	const uint8_t need =
	    VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK;
	const uint8_t stop =
	    VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED;
	struct virtio_queue *vq;
	bool live;

	if (!valid_queue(d, q))
		return;
	vq = &d->queues[q];
	pthread_mutex_lock(&vq->proc_lock);
	pthread_mutex_lock(&d->lock);
	live = (d->status & need) == need && !(d->status & stop) && vq->ready &&
	       !vq->vq.broken;
	if (d->quiesced) { /* runs at un-quiesce */
		d->pending_kicks |= 1ULL << q;
		live = false;
	}
	pthread_mutex_unlock(&d->lock);
	if (live && d->ops->queue_notify)
		d->ops->queue_notify(d, q);
	pthread_mutex_unlock(&vq->proc_lock);
}

static bool config_range_ok(struct virtio_dev *d, uint32_t offset, uint32_t len)
{
	uint32_t size = d->ops->config_size;

	return offset <= size && len <= size - offset;
}

void virtio_config_read(struct virtio_dev *d, uint32_t offset, void *buf,
			uint32_t len)
{
	memset(buf, 0, len);
	if (!len || !config_range_ok(d, offset, len) || !d->ops->config_read)
		return;
	pthread_mutex_lock(&d->lock);
	d->ops->config_read(d, offset, buf, len);
	pthread_mutex_unlock(&d->lock);
}

void virtio_config_write(struct virtio_dev *d, uint32_t offset, const void *buf,
			 uint32_t len)
{
	if (!len || !config_range_ok(d, offset, len) || !d->ops->config_write)
		return;
	pthread_mutex_lock(&d->lock);
	d->ops->config_write(d, offset, buf, len);
	pthread_mutex_unlock(&d->lock);
}

/* Every queue's processing lock, then the device's: handlers in flight
 * have finished, and none starts until unlock_all. */
static void lock_all(struct virtio_dev *d)
{
	for (unsigned int i = 0; i < d->num_queues; i++)
		pthread_mutex_lock(&d->queues[i].proc_lock);
	pthread_mutex_lock(&d->lock);
}

static void unlock_all(struct virtio_dev *d)
{
	pthread_mutex_unlock(&d->lock);
	for (unsigned int i = d->num_queues; i-- > 0;)
		pthread_mutex_unlock(&d->queues[i].proc_lock);
}

void virtio_reset(struct virtio_dev *d)
{
	/* Section 2.4: after a reset the device uses no buffer the driver
	 * gave it; wait for handlers in flight (the processing locks). */
	lock_all(d);
	d->status = 0;
	d->driver_features = 0;
	d->config_msix_vector = VIRTIO_MSI_NO_VECTOR;
	d->pending_kicks = 0; /* queues of the old driver */
	for (unsigned int i = 0; i < d->num_queues; i++)
		reset_queue_regs(d, &d->queues[i]);
	if (d->ops->reset)
		d->ops->reset(d);
	unlock_all(d);
}

/* ---- Snapshots ---- */

void virtio_quiesce(struct virtio_dev *d, bool quiesce)
{
	uint64_t kicks;
	bool config;

	pthread_mutex_lock(&d->lock);
	d->quiesced = quiesce;
	kicks = quiesce ? 0 : d->pending_kicks;
	config = !quiesce && d->pending_config;
	if (!quiesce) {
		d->pending_kicks = 0;
		d->pending_config = false;
	}
	pthread_mutex_unlock(&d->lock);
	if (quiesce) {
		/* A handler in progress holds its queue's processing lock;
		 * any later one sees the flag. */
		for (unsigned int i = 0; i < d->num_queues; i++) {
			pthread_mutex_lock(&d->queues[i].proc_lock);
			pthread_mutex_unlock(&d->queues[i].proc_lock);
		}
		return;
	}
	if (config)
		notify_config(d);
	for (unsigned int q = 0; q < d->num_queues; q++)
		if (kicks >> q & 1)
			virtio_queue_notify(d, q);
}

/* Status bits a driver or the device can set (section 2.1); 0x10 and
 * 0x20 are reserved. */
#define STATUS_BITS                                            \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |    \
	 VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK | \
	 VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED)

void virtio_save(struct virtio_dev *d, struct state_writer *w)
{
	lock_all(d);
	sw_u8(w, d->status);
	sw_u64(w, d->driver_features);
	sw_u8(w, d->config_generation);
	sw_u16(w, d->config_msix_vector);
	sw_u8(w, (uint8_t)d->num_queues);
	for (unsigned int q = 0; q < d->num_queues; q++) {
		struct virtio_queue *vq = &d->queues[q];
		uint16_t held = 0;

		sw_u16(w, vq->size);
		sw_bool(w, vq->ready);
		sw_u64(w, vq->desc);
		sw_u64(w, vq->driver);
		sw_u64(w, vq->device);
		sw_u16(w, vq->msix_vector);
		if (!vq->ready)
			continue;
		if (d->ops->queue_held && !vq->vq.broken)
			held = d->ops->queue_held(d, q);
		sw_u16(w, (uint16_t)(vq->vq.last_avail - held));
		sw_u16(w, vq->vq.used_idx);
		sw_u16(w, vq->vq.signalled_used);
		sw_bool(w, vq->vq.signalled_valid);
		sw_bool(w, vq->vq.broken);
	}
	if (d->ops->save)
		d->ops->save(d, w);
	unlock_all(d);
}

/* One queue's record, checked as the driver's writes are (4.1.4.3,
 * 4.2.2: a power-of-2 size up to the maximum; rings set up by
 * virtq_init, aligned and inside guest RAM). Both locks held. */
static void restore_queue(struct virtio_dev *d, unsigned int q,
			  struct state_reader *r)
{
	struct virtio_queue *vq = &d->queues[q];
	uint16_t size = sr_u16(r), last_avail, used_idx, signalled;
	bool ready = sr_bool(r), valid, broken;
	uint64_t desc = sr_u64(r), driver = sr_u64(r), device = sr_u64(r);
	uint16_t vector = sr_u16(r);

	if (!r->failed &&
	    (!size || size > d->ops->queue_max_size || (size & (size - 1))))
		sr_fail(r, "%s: queue %u size %u (maximum %u, a power of 2)",
			d->ops->name, q, size, d->ops->queue_max_size);
	if (r->failed)
		return;
	vq->size = size;
	vq->desc = desc;
	vq->driver = driver;
	vq->device = device;
	vq->msix_vector = vector;
	if (!ready)
		return;
	last_avail = sr_u16(r);
	used_idx = sr_u16(r);
	signalled = sr_u16(r);
	valid = sr_bool(r);
	broken = sr_bool(r);
	/* Only a malformed ring breaks a ready queue, and it puts the device
	 * into DEVICE_NEEDS_RESET (2.1.2). */
	if (!r->failed && broken &&
	    !(d->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		sr_fail(r, "%s: queue %u broken without DEVICE_NEEDS_RESET",
			d->ops->name, q);
	if (r->failed)
		return;
	vq->ready = true;
	if (!virtq_init(&vq->vq, d->mem, size, desc, driver, device,
			d->driver_features >> VIRTIO_F_INDIRECT_DESC & 1,
			d->driver_features >> VIRTIO_F_EVENT_IDX & 1) &&
	    !broken)
		sr_fail(r, "%s: queue %u: %s", d->ops->name, q, vq->vq.why);
	/* Kept even where virtq_init left the queue broken (a ring it
	 * refuses): never used then, but saved again as they were. */
	vq->vq.last_avail = last_avail;
	vq->vq.used_idx = used_idx;
	vq->vq.signalled_used = signalled;
	vq->vq.signalled_valid = valid;
	if (broken)
		virtq_set_broken(&vq->vq, "malformed before the snapshot");
}

int virtio_restore(struct virtio_dev *d, struct state_reader *r)
{
	const uint8_t need =
	    VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK;
	uint8_t status, generation;
	uint64_t features;
	uint16_t vector;
	unsigned int n;
	uint64_t kicks = 0;

	status = sr_u8_mask(r, STATUS_BITS, "virtio device status");
	features = sr_u64(r);
	generation = sr_u8(r);
	vector = sr_u16(r);
	n = sr_u8(r);
	/* What virtio_set_driver_features and virtio_set_status allow: only
	 * offered features, and FEATURES_OK only with VERSION_1 (3.1.1). */
	if (!r->failed && (features & ~offered(d)))
		sr_fail(r, "%s: driver features 0x%llx not offered (0x%llx)",
			d->ops->name, (unsigned long long)features,
			(unsigned long long)offered(d));
	if (!r->failed && (status & VIRTIO_STATUS_FEATURES_OK) &&
	    !(features >> VIRTIO_F_VERSION_1 & 1))
		sr_fail(r, "%s: FEATURES_OK without VERSION_1", d->ops->name);
	if (!r->failed && n != d->num_queues)
		sr_fail(r, "%s: %u queues, the device has %u", d->ops->name, n,
			d->num_queues);
	if (r->failed)
		return -1;

	lock_all(d);
	d->status = status;
	d->driver_features = features;
	d->config_generation = generation;
	d->config_msix_vector = vector;
	for (unsigned int q = 0; q < n && !r->failed; q++)
		restore_queue(d, q, r);
	/* The device type derives its state from the features as at
	 * negotiation (virtio_set_status), then reads its own record. */
	if (!r->failed && (status & VIRTIO_STATUS_FEATURES_OK) &&
	    d->ops->features_ok)
		d->ops->features_ok(d, features);
	if (!r->failed && d->ops->restore && d->ops->restore(d, r) &&
	    !r->failed)
		sr_fail(r, "%s: bad device record", d->ops->name);
	if (!r->failed && (status & need) == need) {
		for (unsigned int q = 0; q < n; q++)
			if (d->queues[q].ready)
				kicks |= 1ULL << q;
		if (d->quiesced) {
			d->pending_kicks |= kicks;
			kicks = 0;
		}
	}
	unlock_all(d);
	if (r->failed)
		return -1;
	/* A notification with nothing new is harmless: each handler takes
	 * what the driver made available, the chains given back included. */
	for (unsigned int q = 0; q < n; q++)
		if (kicks >> q & 1)
			virtio_queue_notify(d, q);
	return 0;
}
