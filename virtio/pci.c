// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-pci, modern only (virtio 1.2 section 4.1). One 32-bit memory BAR
 * holds every structure:
 *
 *   0x0000  common configuration   (4.1.4.3)
 *   0x1000  ISR status             (4.1.4.5)
 *   0x2000  device configuration   (4.1.4.6)
 *   0x3000  notifications          (4.1.4.4; queue q at 0x3000 + 4 q)
 *   0x4000  MSI-X table            (PCI 3.0 section 6.8.2)
 *   0x5000  MSI-X pending bits
 *
 * IDs follow 4.1.2.1 for a non-transitional device: device 0x1040 + type,
 * revision 1, subsystem id 0x40 (EDK2's Virtio10Dxe binds only >= 0x40).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci.h"
#include "lib/util.h"
#include "virtio/pci.h"
#include "virtio/virtio.h"

#define VIRTIO_PCI_VENDOR      0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040
#define VIRTIO_PCI_SUBSYS_ID   0x40

#define BAR_SIZE	  0x8000
#define COMMON_OFF	  0x0000
#define COMMON_LEN	  0x38
#define ISR_OFF		  0x1000
#define DEVICE_OFF	  0x2000
#define DEVICE_LEN	  0x1000
#define NOTIFY_OFF	  0x3000
#define NOTIFY_MULTIPLIER 4
#define MSIX_TABLE_OFF	  0x4000
#define MSIX_PBA_OFF	  0x5000
#define MSIX_MAX_VECTORS  64

/* virtio_pci_cap.cfg_type (4.1.4) */
#define CAP_COMMON_CFG 1
#define CAP_NOTIFY_CFG 2
#define CAP_ISR_CFG    3
#define CAP_DEVICE_CFG 4

#define ISR_QUEUE  0x1
#define ISR_CONFIG 0x2

#define MSIX_CTRL_ENABLE  0x8000
#define MSIX_CTRL_MASKALL 0x4000

#define VIRTIO_PCI_MAX_DOORBELLS 64

struct msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl; /* ctrl bit 0: masked */
};

struct virtio_pci {
	struct pci_function fn;
	struct virtio_dev *vdev;
	pthread_mutex_t lock; /* the fields below */
	uint32_t device_feature_select, driver_feature_select;
	uint16_t queue_select;
	uint8_t isr;
	uint8_t msix_cap; /* 0: no MSI-X */
	unsigned int nr_vectors;
	struct msix_entry table[MSIX_MAX_VECTORS];
	uint64_t pending; /* PBA, one bit per vector */
	/* Queue notification doorbells, at BAR 0's current address. */
	pthread_mutex_t doorbell_lock;	/* the three below; never held while
					* a doorbell rings */
	struct doorbell_sink doorbells; /* kept: unplug clears fn.host */
	uint64_t doorbell_base;		/* 0: none set up */
	void *doorbell[VIRTIO_PCI_MAX_DOORBELLS];
};

static struct virtio_pci *to_vpci(struct pci_function *fn)
{
	return (struct virtio_pci *)fn;
}

static uint32_t class_for(uint32_t type)
{
	switch (type) {
	case 1: /* network */
		return 0x020000;
	case 2: /* block: mass storage, other */
		return 0x018000;
	case 3: /* console: simple communication, other */
		return 0x078000;
	default:
		return 0xff0000;
	}
}

/* --- Interrupts ---------------------------------------------------------- */

/* MSI-X Message Control, read under the function's configuration lock
 * (a vCPU may be writing it). */
static uint16_t msix_control(struct virtio_pci *v)
{
	return (uint16_t)pci_config_read(&v->fn, v->msix_cap + 2, 2);
}

static bool msix_enabled(struct virtio_pci *v)
{
	return v->msix_cap && (msix_control(v) & MSIX_CTRL_ENABLE);
}

/* Deliver vector, or remember it as pending if masked. Lock held. */
static void msix_fire(struct virtio_pci *v, uint16_t vector)
{
	struct msix_entry *e;
	struct pci_host *host = v->fn.host;
	uint16_t ctrl = msix_control(v);

	if (vector >= v->nr_vectors || !host) /* no vector, or unplugged */
		return;
	e = &v->table[vector];
	if ((ctrl & MSIX_CTRL_MASKALL) || (e->ctrl & 1)) {
		v->pending |= 1ULL << vector;
		return;
	}
	v->pending &= ~(1ULL << vector);
	pci_host_send_msi(host, (uint64_t)e->addr_hi << 32 | e->addr_lo,
			  e->data, pci_requester_id(&v->fn));
}

static void raise_interrupt(struct virtio_pci *v, uint8_t isr_bit,
			    uint16_t vector)
{
	pthread_mutex_lock(&v->lock);
	if (msix_enabled(v)) {
		msix_fire(v, vector);
	} else {
		v->isr |= isr_bit;
		pci_set_intx(&v->fn, true);
	}
	pthread_mutex_unlock(&v->lock);
}

static void notify_queue(void *opaque, unsigned int q)
{
	struct virtio_pci *v = opaque;

	raise_interrupt(v, ISR_QUEUE, virtio_queue_get_msix_vector(v->vdev, q));
}

static void notify_config(void *opaque)
{
	struct virtio_pci *v = opaque;

	raise_interrupt(v, ISR_CONFIG, virtio_get_config_msix_vector(v->vdev));
}

static const struct virtio_transport_ops transport_ops = {
    .notify_queue = notify_queue,
    .notify_config = notify_config,
};

/* --- Common configuration (4.1.4.3) --------------------------------------- */

struct common_field {
	uint8_t offset, width;
};

static const struct common_field common_fields[] = {
    {0x00, 4}, {0x04, 4}, {0x08, 4}, {0x0c, 4}, {0x10, 2}, {0x12, 2},
    {0x14, 1}, {0x15, 1}, {0x16, 2}, {0x18, 2}, {0x1a, 2}, {0x1c, 2},
    {0x1e, 2}, {0x20, 8}, {0x28, 8}, {0x30, 8},
};

static const struct common_field *common_field_at(uint64_t off)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(common_fields); i++)
		if (off >= common_fields[i].offset &&
		    off < common_fields[i].offset + common_fields[i].width)
			return &common_fields[i];
	return NULL;
}

/* The whole field's value. Never called with the transport lock held: the
 * core has its own lock, and it calls back into us with it held. */
static uint64_t common_get(struct virtio_pci *v, uint8_t field)
{
	struct virtio_dev *d = v->vdev;
	uint32_t dsel, gsel;
	uint16_t q;

	pthread_mutex_lock(&v->lock);
	dsel = v->device_feature_select;
	gsel = v->driver_feature_select;
	q = v->queue_select;
	pthread_mutex_unlock(&v->lock);

	switch (field) {
	case 0x00:
		return dsel;
	case 0x04:
		return virtio_get_device_features(d, dsel);
	case 0x08:
		return gsel;
	case 0x0c:
		return virtio_get_driver_features(d, gsel);
	case 0x10:
		return virtio_get_config_msix_vector(d);
	case 0x12:
		return virtio_num_queues(d);
	case 0x14:
		return virtio_get_status(d);
	case 0x15:
		return virtio_config_generation(d);
	case 0x16:
		return q;
	case 0x18:
		return virtio_queue_get_size(d, q);
	case 0x1a:
		return virtio_queue_get_msix_vector(d, q);
	case 0x1c:
		return virtio_queue_get_ready(d, q);
	case 0x1e:
		/* notify_off: queue q's doorbell is q * multiplier. */
		return q < virtio_num_queues(d) ? q : 0;
	case 0x20:
		return virtio_queue_get_desc(d, q);
	case 0x28:
		return virtio_queue_get_driver(d, q);
	case 0x30:
		return virtio_queue_get_device(d, q);
	}
	return 0;
}

static uint16_t checked_vector(struct virtio_pci *v, uint16_t vector)
{
	/* 4.1.5.1.2: a vector the device cannot use reads back NO_VECTOR. */
	return vector < v->nr_vectors ? vector : VIRTIO_MSI_NO_VECTOR;
}

static void common_set(struct virtio_pci *v, uint8_t field, uint64_t value)
{
	struct virtio_dev *d = v->vdev;
	uint16_t q;

	pthread_mutex_lock(&v->lock);
	q = v->queue_select;
	switch (field) {
	case 0x00:
		v->device_feature_select = value;
		break;
	case 0x08:
		v->driver_feature_select = value;
		break;
	case 0x16:
		v->queue_select = value;
		break;
	}
	pthread_mutex_unlock(&v->lock);

	switch (field) {
	case 0x0c: {
		uint32_t sel;

		pthread_mutex_lock(&v->lock);
		sel = v->driver_feature_select;
		pthread_mutex_unlock(&v->lock);
		virtio_set_driver_features(d, sel, value);
		break;
	}
	case 0x10:
		virtio_set_config_msix_vector(d, checked_vector(v, value));
		break;
	case 0x14:
		virtio_set_status(d, value);
		if (value == 0) {
			/* Reset also clears our side (4.1.4.3.1). */
			pthread_mutex_lock(&v->lock);
			v->isr = 0;
			pci_set_intx(&v->fn, false);
			pthread_mutex_unlock(&v->lock);
		}
		break;
	case 0x18:
		virtio_queue_set_size(d, q, value);
		break;
	case 0x1a:
		virtio_queue_set_msix_vector(d, q, checked_vector(v, value));
		break;
	case 0x1c:
		if (value == 1)
			virtio_queue_set_ready(d, q, true);
		break;
	case 0x20:
		virtio_queue_set_desc(d, q, value);
		break;
	case 0x28:
		virtio_queue_set_driver(d, q, value);
		break;
	case 0x30:
		virtio_queue_set_device(d, q, value);
		break;
	default: /* read-only fields */
		break;
	}
}

static uint64_t common_read(struct virtio_pci *v, uint64_t off,
			    unsigned int size)
{
	const struct common_field *f = common_field_at(off);
	uint64_t value;
	unsigned int shift;

	if (!f || off + size > (uint64_t)f->offset + f->width)
		return 0; /* outside a field or straddling two */
	value = common_get(v, f->offset);
	shift = 8 * (off - f->offset);
	return size == 8 ? value
			 : (value >> shift) & ((1ULL << (8 * size)) - 1);
}

static void common_write(struct virtio_pci *v, uint64_t off, unsigned int size,
			 uint64_t value)
{
	const struct common_field *f = common_field_at(off);
	unsigned int shift;
	uint64_t old, mask;

	if (!f || off + size > (uint64_t)f->offset + f->width)
		return;
	if (f->width == 8 && size < 8) {
		/* Drivers write the 64-bit addresses as two 32-bit halves. */
		shift = 8 * (off - f->offset);
		mask = ((1ULL << (8 * size)) - 1) << shift;
		old = common_get(v, f->offset);
		value = (old & ~mask) | ((value << shift) & mask);
	} else if (size != f->width) {
		return; /* other fields are written whole */
	}
	common_set(v, f->offset, value);
}

/* --- MSI-X table --------------------------------------------------------- */

static uint64_t msix_read(struct virtio_pci *v, uint64_t off, unsigned int size)
{
	uint64_t value = 0;

	if (size != 4 || off & 3)
		return 0;
	pthread_mutex_lock(&v->lock);
	if (off >= MSIX_TABLE_OFF &&
	    off < MSIX_TABLE_OFF + 16 * v->nr_vectors) {
		struct msix_entry *e = &v->table[(off - MSIX_TABLE_OFF) / 16];
		const uint32_t words[4] = {e->addr_lo, e->addr_hi, e->data,
					   e->ctrl};

		value = words[(off % 16) / 4];
	} else if (off >= MSIX_PBA_OFF && off < MSIX_PBA_OFF + 8) {
		value = (uint32_t)(v->pending >> (8 * (off - MSIX_PBA_OFF)));
	}
	pthread_mutex_unlock(&v->lock);
	return value;
}

static void msix_write(struct virtio_pci *v, uint64_t off, unsigned int size,
		       uint64_t value)
{
	struct msix_entry *e;
	unsigned int vector;

	if (size != 4 || off & 3 || off < MSIX_TABLE_OFF ||
	    off >= MSIX_TABLE_OFF + 16 * v->nr_vectors)
		return; /* the PBA is read-only */
	vector = (off - MSIX_TABLE_OFF) / 16;
	pthread_mutex_lock(&v->lock);
	e = &v->table[vector];
	switch (off % 16) {
	case 0:
		e->addr_lo = value & ~3u;
		break;
	case 4:
		e->addr_hi = value;
		break;
	case 8:
		e->data = value;
		break;
	case 12:
		e->ctrl = value & 1;
		/* Unmasking delivers what was held back (PCI 3.0 6.8.2.9). */
		if (!(e->ctrl & 1) && (v->pending & (1ULL << vector)))
			msix_fire(v, vector);
		break;
	}
	pthread_mutex_unlock(&v->lock);
}

/* --- The BAR -------------------------------------------------------------- */

static uint64_t vpci_bar_read(struct pci_function *fn, int bar, uint64_t off,
			      unsigned int size)
{
	struct virtio_pci *v = to_vpci(fn);
	uint64_t value = 0;

	if (off < COMMON_OFF + COMMON_LEN)
		return common_read(v, off, size);
	if (off == ISR_OFF && size == 1) {
		/* Reading the ISR acknowledges it (4.1.4.5). */
		pthread_mutex_lock(&v->lock);
		value = v->isr;
		v->isr = 0;
		pci_set_intx(fn, false);
		pthread_mutex_unlock(&v->lock);
		return value;
	}
	if (off >= DEVICE_OFF && off < DEVICE_OFF + DEVICE_LEN) {
		virtio_config_read(v->vdev, off - DEVICE_OFF, &value, size);
		return value;
	}
	if (off >= MSIX_TABLE_OFF && v->msix_cap)
		return msix_read(v, off, size);
	return 0;
}

static void vpci_bar_write(struct pci_function *fn, int bar, uint64_t off,
			   unsigned int size, uint64_t value)
{
	struct virtio_pci *v = to_vpci(fn);

	if (off < COMMON_OFF + COMMON_LEN)
		common_write(v, off, size, value);
	else if (off >= DEVICE_OFF && off < DEVICE_OFF + DEVICE_LEN)
		virtio_config_write(v->vdev, off - DEVICE_OFF, &value, size);
	else if (off >= NOTIFY_OFF && off < MSIX_TABLE_OFF)
		virtio_queue_notify(v->vdev,
				    (off - NOTIFY_OFF) / NOTIFY_MULTIPLIER);
	else if (off >= MSIX_TABLE_OFF && v->msix_cap)
		msix_write(v, off, size, value);
}

static void ring_doorbell(void *arg, unsigned int q)
{
	struct virtio_pci *v = arg;

	virtio_queue_notify(v->vdev, q);
}

/*
 * Keep one doorbell per queue at BAR 0's notify area, wherever the guest
 * put the BAR (firmware reassigns them all), none while memory decoding is
 * off. The driver writes the queue index as 16 bits (4.1.4.4); another
 * width still works, as an ordinary MMIO exit.
 */
static void update_doorbells(struct virtio_pci *v)
{
	uint64_t base = pci_bar_address(&v->fn, 0);
	unsigned int n = virtio_num_queues(v->vdev);

	pthread_mutex_lock(&v->doorbell_lock);
	if (v->fn.host)
		v->doorbells = pci_host_doorbells(v->fn.host);
	if (base == v->doorbell_base || !v->doorbells.add) {
		pthread_mutex_unlock(&v->doorbell_lock);
		return;
	}
	for (unsigned int q = 0; q < VIRTIO_PCI_MAX_DOORBELLS; q++) {
		if (v->doorbell[q])
			v->doorbells.remove(v->doorbells.opaque,
					    v->doorbell[q]);
		v->doorbell[q] = NULL;
	}
	v->doorbell_base = base;
	for (unsigned int q = 0; base && q < n && q < VIRTIO_PCI_MAX_DOORBELLS;
	     q++) {
		struct doorbell_spec bell = {
		    .gpa = base + NOTIFY_OFF + (uint64_t)NOTIFY_MULTIPLIER * q,
		    .len = 2,
		    .ring = ring_doorbell,
		    .arg = v,
		    .n = q};

		v->doorbell[q] = v->doorbells.add(v->doorbells.opaque, &bell);
	}
	pthread_mutex_unlock(&v->doorbell_lock);
}

static void vpci_config_written(struct pci_function *fn, uint32_t offset,
				unsigned int size)
{
	struct virtio_pci *v = to_vpci(fn);

	/* Command (memory decode) or BAR 0 changed: move the doorbells. */
	if (offset < PCI_BASE_ADDRESS_0 + 4 && offset + size > PCI_COMMAND)
		update_doorbells(v);

	if (!v->msix_cap || offset + size <= v->msix_cap + 2u ||
	    offset >= v->msix_cap + 4u)
		return;
	/* MSI-X enable or function mask changed: hand over from INTx, and
	 * deliver what a cleared function mask released. */
	pthread_mutex_lock(&v->lock);
	if (msix_enabled(v)) {
		pci_set_intx(fn, false);
		for (unsigned int i = 0; i < v->nr_vectors; i++)
			if (v->pending & (1ULL << i))
				msix_fire(v, i);
	}
	pthread_mutex_unlock(&v->lock);
}

static void vpci_reset(struct pci_function *fn)
{
	struct virtio_pci *v = to_vpci(fn);

	/* The BAR is unassigned again: no doorbells. */
	update_doorbells(v);
	virtio_reset(v->vdev);
	pthread_mutex_lock(&v->lock);
	v->device_feature_select = v->driver_feature_select = 0;
	v->queue_select = 0;
	v->isr = 0;
	v->pending = 0;
	memset(v->table, 0, sizeof(v->table));
	for (unsigned int i = 0; i < v->nr_vectors; i++)
		v->table[i].ctrl = 1; /* entries start masked */
	if (v->msix_cap) {
		pthread_mutex_lock(&fn->cfg_lock);
		put_le16(fn->cfg + v->msix_cap + 2, v->nr_vectors - 1);
		pthread_mutex_unlock(&fn->cfg_lock);
	}
	pthread_mutex_unlock(&v->lock);
}

static void vpci_destroy(struct pci_function *fn)
{
	struct virtio_pci *v = to_vpci(fn);

	/* No doorbell may ring into a device being freed. */
	for (unsigned int q = 0; q < VIRTIO_PCI_MAX_DOORBELLS; q++)
		if (v->doorbell[q])
			v->doorbells.remove(v->doorbells.opaque,
					    v->doorbell[q]);

	virtio_destroy(v->vdev);
	pthread_mutex_destroy(&v->doorbell_lock);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

/*
 * Record (docs/snapshot.md), after the configuration space: the common
 * configuration's selectors (4.1.4.3), the ISR (4.1.4.5), the MSI-X table
 * and pending bits (PCI 3.0 6.8.2), then the virtio device (virtio_save).
 */
static void vpci_save(struct pci_function *fn, struct state_writer *w)
{
	struct virtio_pci *v = to_vpci(fn);

	pthread_mutex_lock(&v->lock);
	sw_u32(w, v->device_feature_select);
	sw_u32(w, v->driver_feature_select);
	sw_u16(w, v->queue_select);
	sw_u8(w, v->isr);
	sw_u8(w, (uint8_t)v->nr_vectors);
	for (unsigned int i = 0; i < v->nr_vectors; i++) {
		sw_u32(w, v->table[i].addr_lo);
		sw_u32(w, v->table[i].addr_hi);
		sw_u32(w, v->table[i].data);
		sw_u32(w, v->table[i].ctrl);
	}
	sw_u64(w, v->pending);
	pthread_mutex_unlock(&v->lock);
	virtio_save(v->vdev, w);
}

/* 4.1.5.1.2: a vector the device cannot use is stored as NO_VECTOR. */
static void check_vector(struct virtio_pci *v, struct state_reader *r,
			 uint16_t vector, const char *what)
{
	if (vector != VIRTIO_MSI_NO_VECTOR && vector >= v->nr_vectors)
		sr_fail(r, "virtio-pci: %s MSI-X vector %u of %u", what, vector,
			v->nr_vectors);
}

static int vpci_restore(struct pci_function *fn, struct state_reader *r)
{
	struct virtio_pci *v = to_vpci(fn);
	struct msix_entry table[MSIX_MAX_VECTORS];
	uint32_t dsel = sr_u32(r), gsel = sr_u32(r);
	uint16_t qsel = sr_u16(r);
	uint8_t isr = sr_u8_mask(r, ISR_QUEUE | ISR_CONFIG, "virtio-pci ISR");
	unsigned int n = sr_u8(r);
	uint64_t pending;
	struct virtio_dev *d = v->vdev;

	if (!r->failed && n != v->nr_vectors)
		sr_fail(r, "virtio-pci: %u MSI-X vectors, the function has %u",
			n, v->nr_vectors);
	for (unsigned int i = 0; i < n && !r->failed; i++) {
		/* What msix_write keeps: a dword-aligned address, the
		 * mask bit alone in the control word. */
		table[i].addr_lo = sr_u32_mask(r, ~3u, "MSI-X address");
		table[i].addr_hi = sr_u32(r);
		table[i].data = sr_u32(r);
		table[i].ctrl = sr_u32_mask(r, 1, "MSI-X vector control");
	}
	pending = sr_u64(r);
	if (!r->failed && n < 64 && (pending >> n))
		sr_fail(r, "virtio-pci: pending bits 0x%llx past %u vectors",
			(unsigned long long)pending, n);
	if (r->failed)
		return -1;
	pthread_mutex_lock(&v->lock);
	v->device_feature_select = dsel;
	v->driver_feature_select = gsel;
	v->queue_select = qsel;
	v->isr = isr;
	memcpy(v->table, table, n * sizeof(table[0]));
	v->pending = pending;
	pthread_mutex_unlock(&v->lock);
	/* The device last: a notification it gives its queues may raise an
	 * interrupt through what is restored above. */
	if (virtio_restore(d, r))
		return -1;
	check_vector(v, r, virtio_get_config_msix_vector(d), "config");
	for (unsigned int q = 0; q < virtio_num_queues(d); q++)
		check_vector(v, r, virtio_queue_get_msix_vector(d, q), "queue");
	if (r->failed)
		return -1;
	/* The doorbells follow BAR 0 to where the record put it, as after
	 * the guest's own configuration write (vpci_config_written). */
	update_doorbells(v);
	return 0;
}

static const struct pci_function_ops vpci_ops = {
    .bar_read = vpci_bar_read,
    .bar_write = vpci_bar_write,
    .config_written = vpci_config_written,
    .reset = vpci_reset,
    .destroy = vpci_destroy,
    .save = vpci_save,
    .restore = vpci_restore,
};

struct virtio_dev *virtio_pci_device(struct pci_function *fn)
{
	return to_vpci(fn)->vdev;
}

/* A virtio_pci_cap (4.1.4) pointing into BAR 0. */
static void add_virtio_cap(struct pci_function *fn, uint8_t type,
			   uint32_t offset, uint32_t length, bool notify)
{
	uint8_t len = notify ? 20 : 16;
	uint8_t at = pci_add_capability(fn, PCI_CAP_ID_VNDR, len);

	fn->cfg[at + 2] = len;
	fn->cfg[at + 3] = type;
	fn->cfg[at + 4] = 0; /* BAR 0 */
	put_le32(fn->cfg + at + 8, offset);
	put_le32(fn->cfg + at + 12, length);
	if (notify)
		put_le32(fn->cfg + at + 16, NOTIFY_MULTIPLIER);
}

struct pci_function *virtio_pci_create(struct virtio_dev *vdev, bool msix)
{
	struct virtio_pci *v = calloc(1, sizeof(*v));
	uint32_t type = virtio_device_id(vdev);
	struct pci_function *fn;
	uint8_t cap;

	if (!v)
		return NULL;
	fn = &v->fn;
	v->vdev = vdev;
	pthread_mutex_init(&v->lock, NULL);
	pthread_mutex_init(&v->doorbell_lock, NULL);
	pci_function_init(fn, "virtio-pci", VIRTIO_PCI_VENDOR,
			  VIRTIO_PCI_DEVICE_BASE + type, 1, class_for(type),
			  VIRTIO_PCI_VENDOR, VIRTIO_PCI_SUBSYS_ID, true);
	fn->ops = &vpci_ops;
	pci_function_add_bar(fn, 0, BAR_SIZE, false);
	add_virtio_cap(fn, CAP_COMMON_CFG, COMMON_OFF, COMMON_LEN, false);
	add_virtio_cap(fn, CAP_ISR_CFG, ISR_OFF, 1, false);
	add_virtio_cap(fn, CAP_DEVICE_CFG, DEVICE_OFF, DEVICE_LEN, false);
	add_virtio_cap(fn, CAP_NOTIFY_CFG, NOTIFY_OFF,
		       NOTIFY_MULTIPLIER * virtio_num_queues(vdev), true);
	if (msix) {
		v->nr_vectors = virtio_num_queues(vdev) + 1;
		if (v->nr_vectors > MSIX_MAX_VECTORS)
			v->nr_vectors = MSIX_MAX_VECTORS;
		cap = pci_add_capability(fn, PCI_CAP_ID_MSIX, 12);
		v->msix_cap = cap;
		put_le16(fn->cfg + cap + 2, v->nr_vectors - 1);
		put_le16(fn->wmask + cap + 2,
			 MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
		put_le32(fn->cfg + cap + 4, MSIX_TABLE_OFF); /* BIR 0 */
		put_le32(fn->cfg + cap + 8, MSIX_PBA_OFF);
	}
	virtio_set_transport(vdev, &transport_ops, v);
	vpci_reset(fn);
	return fn;
}
