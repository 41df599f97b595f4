/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The transport-independent virtio core (virtio 1.2 chapters 2 and 3).
 *
 * A device type (virtio-blk, ...) embeds a struct virtio_dev as its first
 * member and describes itself with a struct virtio_device_ops. A transport
 * (virtio-mmio in mmio.c, virtio-pci in pci.c) maps its registers onto the
 * transport-facing functions below and receives interrupts requests through
 * a struct virtio_transport_ops.
 *
 * Locking: d->lock guards the driver-visible state (status, features,
 * queue registers). Each queue also has a processing lock, held while the
 * device's queue_notify handler runs and while the queue is enabled or the
 * device reset, so a reset waits for requests in flight to finish. Order:
 * queue processing locks (in index order), then d->lock, then any transport
 * lock. The core never holds d->lock while calling the transport, and the
 * transport must not hold its own lock while calling into the core.
 */
#ifndef ARMVM_VIRTIO_VIRTIO_H
#define ARMVM_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/guest_mem.h"
#include "lib/state.h"
#include "virtio/virtqueue.h"

/* Device status bits (section 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	 0x01
#define VIRTIO_STATUS_DRIVER		 0x02
#define VIRTIO_STATUS_DRIVER_OK		 0x04
#define VIRTIO_STATUS_FEATURES_OK	 0x08
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED		 0x80

/* Reserved feature bits (section 6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32

/* Device IDs (section 5). */
#define VIRTIO_ID_NET	1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_RNG	4

/* "No MSI-X vector" (section 4.1.4.3). */
#define VIRTIO_MSI_NO_VECTOR 0xffff

/* Largest number of queues a device may have. */
#define VIRTIO_MAX_QUEUES 64

struct virtio_dev;

/* What a device type provides. */
struct virtio_device_ops {
	const char *name;	 /* "virtio-blk": used in messages */
	uint32_t device_id;	 /* VIRTIO_ID_* */
	unsigned int num_queues; /* 1..VIRTIO_MAX_QUEUES */
	uint16_t queue_max_size; /* power of 2, <= VIRTQ_MAX_SIZE */
	uint32_t config_size;	 /* bytes of device-specific config */
	/* Device-type feature bits offered (the core adds VERSION_1). */
	uint64_t (*get_features)(struct virtio_dev *d);
	/* Config space access with [offset, offset + len) inside config_size
	 * (checked by the core), d->lock held. config_write may be NULL. */
	void (*config_read)(struct virtio_dev *d, uint32_t offset, void *buf,
			    uint32_t len);
	void (*config_write)(struct virtio_dev *d, uint32_t offset,
			     const void *buf, uint32_t len);
	/* The driver kicked queue q, which is live (DRIVER_OK, ready, not
	 * broken). Runs with the queue's processing lock held, d->lock not
	 * held; it uses virtio_pop/virtio_push/virtio_notify_used. */
	void (*queue_notify)(struct virtio_dev *d, unsigned int q);
	/* The driver's features were accepted (FEATURES_OK set), d->lock
	 * held. May be NULL. */
	void (*features_ok)(struct virtio_dev *d, uint64_t features);
	/* Device reset (status 0 or VM reset), d->lock held. May be NULL. */
	void (*reset)(struct virtio_dev *d);
	/* Stop the device's own threads (I/O threads that call into the
	 * core): virtio_destroy calls it first, with no lock held. May be
	 * NULL. */
	void (*stop)(struct virtio_dev *d);
	/* Free the device (after virtio_destroy freed the core's part). */
	void (*destroy)(struct virtio_dev *d);
	/*
	 * Snapshots (docs/snapshot.md "Device records"), all optional and
	 * called with every queue's processing lock and d->lock held.
	 * save appends the device type's state after the core's; restore
	 * reads it back (the core's part already restored, features_ok
	 * already called as at negotiation) and returns -1 with sr_fail on a
	 * bad record. queue_held says how many chains of queue q the device
	 * has taken but not used yet: the record gives them back (its
	 * last_avail is that much lower), so a snapshot holds no request in
	 * flight and the restored device takes them again.
	 */
	void (*save)(struct virtio_dev *d, struct state_writer *w);
	int (*restore)(struct virtio_dev *d, struct state_reader *r);
	uint16_t (*queue_held)(struct virtio_dev *d, unsigned int q);
};

/* How the core asks its transport for interrupts. */
struct virtio_transport_ops {
	/* Used buffers were added to queue q (and the driver wants to know). */
	void (*notify_queue)(void *opaque, unsigned int q);
	/* The config space changed, or the device entered DEVICE_NEEDS_RESET. */
	void (*notify_config)(void *opaque);
};

struct virtio_queue {
	/* Driver-programmed registers, under d->lock. */
	uint16_t size;
	bool ready;
	uint64_t desc, driver, device;
	uint16_t msix_vector;
	/* Runtime state, under proc_lock. */
	pthread_mutex_t proc_lock;
	struct virtqueue vq;
};

struct virtio_dev {
	const struct virtio_device_ops *ops;
	struct guest_mem *mem;
	pthread_mutex_t lock;
	uint8_t status;
	uint64_t device_features; /* offered, fixed at init */
	uint64_t driver_features; /* accepted by the driver */
	uint8_t config_generation;
	uint16_t config_msix_vector;
	unsigned int num_queues;
	struct virtio_queue *queues;
	unsigned int warnings; /* malformed-queue messages printed */
	/* virtio_quiesce, under d->lock: while set, queue handlers and
	 * config interrupts wait in pending_kicks / pending_config. */
	bool quiesced;
	bool pending_config;
	uint64_t pending_kicks; /* one bit per queue */
	const struct virtio_transport_ops *transport;
	void *transport_opaque;
};

/* ---- For device types ---- */

/* Set up the core part of a device; false on allocation failure. */
bool virtio_dev_init(struct virtio_dev *d, const struct virtio_device_ops *ops,
		     struct guest_mem *mem);

/* Inside queue_notify: take the next chain of queue q. VIRTQ_GOT,
 * VIRTQ_EMPTY, or VIRTQ_MALFORMED (the device is then in
 * DEVICE_NEEDS_RESET and the handler should return). */
int virtio_pop(struct virtio_dev *d, unsigned int q, struct virtq_elem *e);
/* Inside queue_notify: give a chain back with len bytes written. */
void virtio_push(struct virtio_dev *d, unsigned int q,
		 const struct virtq_elem *e, uint32_t len);
/* Inside queue_notify: give n chains back at once (virtq_push_many). */
void virtio_push_many(struct virtio_dev *d, unsigned int q,
		      const uint16_t *heads, const uint32_t *lens,
		      unsigned int n);
/* Inside queue_notify, after pushes: interrupt the driver if it wants. */
void virtio_notify_used(struct virtio_dev *d, unsigned int q);
/* Enter DEVICE_NEEDS_RESET (section 2.1.2) and tell the driver. */
void virtio_set_needs_reset(struct virtio_dev *d, const char *why);
/* Was feature `bit` negotiated (FEATURES_OK accepted)? */
bool virtio_has_feature(struct virtio_dev *d, unsigned int bit);
/* The device changed its config space: bump the generation, notify. */
void virtio_config_changed(struct virtio_dev *d);

/* Free the device: ops->stop, the core's part, then ops->destroy. NULL is
 * ignored. */
void virtio_destroy(struct virtio_dev *d);

/* ---- For transports ---- */

void virtio_set_transport(struct virtio_dev *d,
			  const struct virtio_transport_ops *ops, void *opaque);

uint32_t virtio_device_id(struct virtio_dev *d);
/* 32-bit words of the offered / accepted features; select 0 or 1, others
 * read 0. VIRTIO_F_VERSION_1 is always offered. */
uint32_t virtio_get_device_features(struct virtio_dev *d, uint32_t select);
uint32_t virtio_get_driver_features(struct virtio_dev *d, uint32_t select);
/* Ignored once FEATURES_OK is set; bits not offered are dropped. */
void virtio_set_driver_features(struct virtio_dev *d, uint32_t select,
				uint32_t value);

uint8_t virtio_get_status(struct virtio_dev *d);
/*
 * 0 resets the device. Otherwise bits only accumulate until a reset (a
 * driver never clears one, section 2.1.1); FEATURES_OK is refused (not kept)
 * unless the driver's features are a subset of the offered ones and include
 * VERSION_1 (section 3.1.1); DEVICE_NEEDS_RESET is the device's own.
 */
void virtio_set_status(struct virtio_dev *d, uint8_t status);
uint8_t virtio_config_generation(struct virtio_dev *d);

unsigned int virtio_num_queues(struct virtio_dev *d);
/* Queue registers: q out of range reads 0 and ignores writes. Writes to a
 * ready queue's size and addresses are ignored. */
uint16_t virtio_queue_max_size(struct virtio_dev *d, unsigned int q);
uint16_t virtio_queue_get_size(struct virtio_dev *d, unsigned int q);
/* A power of 2 in 1..max; anything else is ignored. */
void virtio_queue_set_size(struct virtio_dev *d, unsigned int q, uint16_t size);
bool virtio_queue_get_ready(struct virtio_dev *d, unsigned int q);
/* Enabling checks the ring geometry (alignment, inside guest RAM); a bad one
 * puts the device into DEVICE_NEEDS_RESET. Disabling stops the queue. */
void virtio_queue_set_ready(struct virtio_dev *d, unsigned int q, bool ready);
uint64_t virtio_queue_get_desc(struct virtio_dev *d, unsigned int q);
uint64_t virtio_queue_get_driver(struct virtio_dev *d, unsigned int q);
uint64_t virtio_queue_get_device(struct virtio_dev *d, unsigned int q);
void virtio_queue_set_desc(struct virtio_dev *d, unsigned int q, uint64_t gpa);
void virtio_queue_set_driver(struct virtio_dev *d, unsigned int q,
			     uint64_t gpa);
void virtio_queue_set_device(struct virtio_dev *d, unsigned int q,
			     uint64_t gpa);
/* MSI-X vector storage for a transport (reset to VIRTIO_MSI_NO_VECTOR). */
uint16_t virtio_queue_get_msix_vector(struct virtio_dev *d, unsigned int q);
void virtio_queue_set_msix_vector(struct virtio_dev *d, unsigned int q,
				  uint16_t vector);
uint16_t virtio_get_config_msix_vector(struct virtio_dev *d);
void virtio_set_config_msix_vector(struct virtio_dev *d, uint16_t vector);

/*
 * The driver kicked queue q: runs the device's handler if the device is
 * DRIVER_OK and the queue ready; q out of range is ignored. The handler
 * runs on the calling thread. For a guest's notification that is the
 * doorbell thread (one for the whole VM, vmm/kvm/ioevent.c: the write is a
 * KVM ioeventfd and completes in the kernel), or the vCPU that wrote it
 * when the write is an ordinary MMIO exit (a doorbell could not be set up,
 * or the write matches none: see the transports). Devices with a thread of
 * their own also call it from there, and the balloon from the control
 * thread to ask for statistics.
 */
void virtio_queue_notify(struct virtio_dev *d, unsigned int q);

/* Device config space, any offset and length: bytes outside config_size
 * read as 0 and are not written (the whole access is refused). */
void virtio_config_read(struct virtio_dev *d, uint32_t offset, void *buf,
			uint32_t len);
void virtio_config_write(struct virtio_dev *d, uint32_t offset, const void *buf,
			 uint32_t len);

/* Back to the initial state (status 0), waiting for requests in flight. */
void virtio_reset(struct virtio_dev *d);

/* ---- Snapshots (issue 13, docs/snapshot.md) ---- */

/*
 * Quiesce (true): from now on no queue handler runs and no configuration
 * interrupt is raised, whichever thread asks (a device's own I/O thread,
 * the control thread, a doorbell): the queue is remembered and its
 * handler runs at un-quiesce, as for a driver's notification; what a
 * device thread receives meanwhile waits in the backend or the device's
 * own buffers. Returns once the handlers in progress have finished, so
 * that nothing touches guest memory, the queues or the interrupt lines.
 * Un-quiesce (false) runs what waited. A device's threads only reach the
 * guest through virtio_queue_notify (docs/virtio.md), which makes this
 * enough for every device.
 */
void virtio_quiesce(struct virtio_dev *d, bool quiesce);

/*
 * The device's record: status, features, config generation and vector,
 * every queue's registers and, for a ready queue, the device's private
 * ring indices, then the device type's state (ops->save). Chains the
 * device holds (ops->queue_held) are given back in the record.
 */
void virtio_save(struct virtio_dev *d, struct state_writer *w);

/*
 * Into a device freshly created with the same configuration and reset;
 * guest RAM must hold its restored contents already (ready queues are set
 * up and checked against it as when the driver enabled them). Every value
 * is checked as the driver's register writes would be. 0, or -1 with
 * sr_fail's message; a failed restore leaves the device safe to reset or
 * destroy. A live device (DRIVER_OK) then gets one notification of each
 * ready queue, so that the chains given back are taken again: at once, or
 * at un-quiesce when the device is quiesced.
 */
int virtio_restore(struct virtio_dev *d, struct state_reader *r);

#endif
