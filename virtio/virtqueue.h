/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device side of a split virtqueue (virtio 1.2 section 2.7), hardened
 * against a hostile driver. Everything the guest wrote (ring indices,
 * descriptor addresses, lengths, flags, next indices, indirect tables) is
 * read once into host memory and checked before use; anything malformed
 * makes the queue "broken": virtq_pop() returns VIRTQ_MALFORMED from then on
 * and virtq_push() does nothing, until virtq_init() sets it up again. The
 * caller (virtio.c) then puts the device into DEVICE_NEEDS_RESET.
 *
 * Not thread-safe: one thread at a time per queue (virtio.c serialises).
 * The guest runs concurrently; the barriers here order our accesses to the
 * rings against its accesses (section 2.7.7, 2.7.13).
 */
#ifndef ARMVM_VIRTIO_VIRTQUEUE_H
#define ARMVM_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "lib/guest_mem.h"

/* Largest queue any armvm device offers; the virtio maximum is 32768. */
#define VIRTQ_MAX_SIZE 1024

/* Descriptor flags (section 2.7.5). */
#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4

/* Ring flags (section 2.7.6, 2.7.8). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY	   1

/* Sizes of the ring parts in guest memory for a queue of n entries
 * (section 2.7: desc 16n, avail 6 + 2n, used 6 + 8n). */
#define VIRTQ_DESC_BYTES(n)  (16ULL * (n))
#define VIRTQ_AVAIL_BYTES(n) (6ULL + 2ULL * (n))
#define VIRTQ_USED_BYTES(n)  (6ULL + 8ULL * (n))

/* Alignment the driver must give each part (section 2.7, table). */
#define VIRTQ_DESC_ALIGN  16
#define VIRTQ_AVAIL_ALIGN 2
#define VIRTQ_USED_ALIGN  4

/* Results of virtq_pop(). */
#define VIRTQ_EMPTY	0
#define VIRTQ_GOT	1
#define VIRTQ_MALFORMED (-1)

/*
 * One popped descriptor chain. iov[0..out_num) are the device-readable
 * segments, iov[out_num..out_num+in_num) the device-writable ones, in chain
 * order; each lies wholly inside guest RAM. out_len/in_len are their totals.
 */
struct virtq_elem {
	const struct guest_mem *mem; /* the queue's: marks what is written */
	uint16_t head;
	unsigned int out_num, in_num;
	uint64_t out_len, in_len;
	struct iovec iov[VIRTQ_MAX_SIZE];
};

struct virtqueue {
	const struct guest_mem *mem;
	uint16_t size;	/* power of 2, 1..VIRTQ_MAX_SIZE */
	bool indirect;	/* VIRTIO_F_INDIRECT_DESC negotiated */
	bool event_idx; /* VIRTIO_F_EVENT_IDX negotiated */
	bool broken;
	/* Host pointers to the validated rings. */
	uint8_t *desc, *avail, *used;
	/* Device-private indices (never read back from the guest). */
	uint16_t last_avail;	 /* next avail ring entry to take */
	uint16_t used_idx;	 /* next used ring entry to fill */
	uint16_t signalled_used; /* used_idx when the driver was last told */
	bool signalled_valid;
	const char *why; /* what was malformed (for a message) */
};

/*
 * Set a queue up from the driver's geometry: the three ring addresses are
 * checked for alignment and for lying wholly inside guest RAM. Returns false
 * (and leaves the queue broken) when they do not. Indices start at 0.
 */
bool virtq_init(struct virtqueue *vq, const struct guest_mem *mem,
		uint16_t size, uint64_t desc_gpa, uint64_t avail_gpa,
		uint64_t used_gpa, bool indirect, bool event_idx);

/* Mark broken with a reason (also used for device-level protocol errors). */
void virtq_set_broken(struct virtqueue *vq, const char *why);

/*
 * Take the next available chain into *e: VIRTQ_GOT, VIRTQ_EMPTY, or
 * VIRTQ_MALFORMED (the queue is now broken). With EVENT_IDX, an empty
 * queue re-arms the driver's notifications (avail_event) before saying so.
 */
int virtq_pop(struct virtqueue *vq, struct virtq_elem *e);

/* Return a chain to the driver with `len` bytes written into it. */
void virtq_push(struct virtqueue *vq, const struct virtq_elem *e, uint32_t len);

/*
 * Return n chains (n <= the queue size) with one used-index store, so the
 * driver sees all of them or none: a frame spread over several mergeable
 * receive buffers (virtio-net, 5.1.6.4) must arrive whole.
 */
void virtq_push_many(struct virtqueue *vq, const uint16_t *heads,
		     const uint32_t *lens, unsigned int n);

/*
 * After one or more pushes: does the driver want an interrupt now
 * (VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX, section
 * 2.7.10)? Records that it was told.
 */
bool virtq_should_notify(struct virtqueue *vq);

/* Copy between an element's segments and a flat buffer, starting `skip`
 * bytes into the readable (out) or writable (in) part. Return bytes copied. */
uint64_t virtq_elem_read(const struct virtq_elem *e, uint64_t skip, void *buf,
			 uint64_t len);
uint64_t virtq_elem_write(const struct virtq_elem *e, uint64_t skip,
			  const void *buf, uint64_t len);

#endif
