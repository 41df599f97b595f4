// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueue, device side (virtio 1.2 section 2.7). See virtqueue.h.
 *
 * Every guest-written value is loaded once and checked: the available index
 * may not run ahead of ours by more than the queue size (2.7.6), heads and
 * next indices must lie inside their table, a chain may hold at most
 * queue-size buffers (2.7.5.3.1, which also stops loops), readable buffers
 * come before writable ones (2.7.4.2), indirect tables need the feature,
 * may not nest or carry NEXT, and must be whole descriptors inside guest RAM
 * (2.7.5.3). Buffers and rings must lie wholly inside guest RAM.
 */
#include <endian.h>
#include <string.h>

#include "lib/util.h"
#include "virtio/virtqueue.h"

/*
 * Ring fields the guest updates concurrently are naturally aligned (the
 * ring alignment is checked in virtq_init), so they are accessed with
 * single-copy-atomic loads and stores. The two indices that hand entries
 * over (avail idx from the driver, used idx to it) are read with acquire
 * and written with release (2.7.6, 2.7.8): that orders the ring entries
 * and buffers after and before them, on arm64 and x86 alike, and is what
 * ThreadSanitizer understands (it does not model fences). The rest is
 * relaxed.
 */
static uint16_t vq_load16(const uint8_t *p, int order)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, order));
}

static void vq_store16(uint8_t *p, uint16_t v, int order)
{
	__atomic_store_n((uint16_t *)p, htole16(v), order);
}

/* Where the fields are: avail { flags, idx, ring[size], used_event },
 * used { flags, idx, ring[size] { id, len }, avail_event } (2.7.6, 2.7.8). */
static uint8_t *avail_idx_p(struct virtqueue *vq)
{
	return vq->avail + 2;
}
static uint8_t *avail_ring_p(struct virtqueue *vq, uint16_t i)
{
	return vq->avail + 4 + 2 * (uint32_t)(i & (vq->size - 1));
}
static uint8_t *used_event_p(struct virtqueue *vq)
{
	return vq->avail + 4 + 2 * (uint32_t)vq->size;
}
static uint8_t *used_idx_p(struct virtqueue *vq)
{
	return vq->used + 2;
}
static uint8_t *used_ring_p(struct virtqueue *vq, uint16_t i)
{
	return vq->used + 4 + 8 * (uint32_t)(i & (vq->size - 1));
}
static uint8_t *avail_event_p(struct virtqueue *vq)
{
	return vq->used + 4 + 8 * (uint32_t)vq->size;
}

/* The used ring changed (an entry, the index, avail_event): its pages are
 * to be sent again by a live migration (lib/guest_mem.h). */
static void mark_used_ring(struct virtqueue *vq)
{
	guest_mem_dirty(vq->mem, vq->used, VIRTQ_USED_BYTES(vq->size));
}

void virtq_set_broken(struct virtqueue *vq, const char *why)
{
	if (!vq->broken)
		vq->why = why;
	vq->broken = true;
}

static int malformed(struct virtqueue *vq, const char *why)
{
	virtq_set_broken(vq, why);
	return VIRTQ_MALFORMED;
}

bool virtq_init(struct virtqueue *vq, const struct guest_mem *mem,
		uint16_t size, uint64_t desc_gpa, uint64_t avail_gpa,
		uint64_t used_gpa, bool indirect, bool event_idx)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->indirect = indirect;
	vq->event_idx = event_idx;
	vq->broken = true;
	if (!size || size > VIRTQ_MAX_SIZE || (size & (size - 1))) {
		vq->why = "queue size not a power of 2 within the maximum";
		return false;
	}
	vq->size = size;
	if (desc_gpa % VIRTQ_DESC_ALIGN || avail_gpa % VIRTQ_AVAIL_ALIGN ||
	    used_gpa % VIRTQ_USED_ALIGN) {
		vq->why = "misaligned ring";
		return false;
	}
	vq->desc = guest_ptr(mem, desc_gpa, VIRTQ_DESC_BYTES(size));
	vq->avail = guest_ptr(mem, avail_gpa, VIRTQ_AVAIL_BYTES(size));
	vq->used = guest_ptr(mem, used_gpa, VIRTQ_USED_BYTES(size));
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = vq->avail = vq->used = NULL;
		vq->why = "ring outside guest RAM";
		return false;
	}
	/* The host pointers must be aligned too for the atomic accesses;
	 * guest RAM is page-aligned in practice, but check. */
	if ((uintptr_t)vq->avail % VIRTQ_AVAIL_ALIGN ||
	    (uintptr_t)vq->used % VIRTQ_USED_ALIGN) {
		vq->desc = vq->avail = vq->used = NULL;
		vq->why = "misaligned ring in host memory";
		return false;
	}
	vq->broken = false;
	return true;
}

/* Walk the chain starting at descriptor `head` into *e. */
static int walk_chain(struct virtqueue *vq, uint16_t head, struct virtq_elem *e)
{
	const uint8_t *table = vq->desc;
	uint32_t table_n = vq->size;
	bool in_indirect = false;
	unsigned int count = 0, n;
	uint32_t idx = head;

	e->mem = vq->mem;
	e->head = head;
	e->out_num = e->in_num = 0;
	e->out_len = e->in_len = 0;
	for (;;) {
		uint8_t d[16];
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
		void *p;

		/* One copy: the guest may rewrite the descriptor meanwhile. */
		memcpy(d, table + 16 * idx, sizeof(d));
		addr = get_le64(d);
		len = get_le32(d + 8);
		flags = get_le16(d + 12);
		next = get_le16(d + 14);

		if (flags & VIRTQ_DESC_F_INDIRECT) {
			/* 2.7.5.3.1: feature needed, no NEXT, no nesting. */
			if (!vq->indirect)
				return malformed(
				    vq, "indirect descriptor not negotiated");
			if (in_indirect)
				return malformed(vq,
						 "nested indirect descriptor");
			if (flags & VIRTQ_DESC_F_NEXT)
				return malformed(
				    vq, "indirect descriptor with NEXT");
			if (!len || len % 16)
				return malformed(
				    vq,
				    "indirect table length not a multiple of 16");
			table = guest_ptr(vq->mem, addr, len);
			if (!table)
				return malformed(
				    vq, "indirect table outside guest RAM");
			table_n = len / 16;
			in_indirect = true;
			idx = 0;
			continue;
		}
		/* 2.7.5.3.1: a chain holds at most queue-size descriptors;
		 * this also ends any loop through next. */
		if (++count > vq->size)
			return malformed(
			    vq, "descriptor chain longer than the queue");
		p = guest_ptr(vq->mem, addr, len);
		if (!p)
			return malformed(vq, "buffer outside guest RAM");
		n = e->out_num + e->in_num;
		if (flags & VIRTQ_DESC_F_WRITE) {
			e->in_num++;
			e->in_len += len;
		} else {
			/* 2.7.4.2: readable buffers precede writable ones. */
			if (e->in_num)
				return malformed(
				    vq, "readable buffer after a writable one");
			e->out_num++;
			e->out_len += len;
		}
		e->iov[n].iov_base = p;
		e->iov[n].iov_len = len;
		if (!(flags & VIRTQ_DESC_F_NEXT))
			return VIRTQ_GOT;
		if (next >= table_n)
			return malformed(vq,
					 "next descriptor index out of range");
		idx = next;
	}
}

int virtq_pop(struct virtqueue *vq, struct virtq_elem *e)
{
	uint16_t avail, pending, head;

	if (vq->broken)
		return VIRTQ_MALFORMED;
	avail = vq_load16(avail_idx_p(vq), __ATOMIC_ACQUIRE);
	pending = (uint16_t)(avail - vq->last_avail);
	if (!pending && vq->event_idx) {
		/*
		 * 2.7.10: ask for a kick when anything past last_avail comes,
		 * then look again, so that an entry the driver added just
		 * before it read avail_event is not missed.
		 */
		vq_store16(avail_event_p(vq), vq->last_avail, __ATOMIC_RELAXED);
		mark_used_ring(vq);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail = vq_load16(avail_idx_p(vq), __ATOMIC_ACQUIRE);
		pending = (uint16_t)(avail - vq->last_avail);
	}
	if (!pending)
		return VIRTQ_EMPTY;
	/* 2.7.6: the driver never has more than queue-size entries out. */
	if (pending > vq->size)
		return malformed(
		    vq,
		    "available index ran ahead by more than the queue size");
	/* The ring entry and descriptors are read after the index (acquire). */
	head = vq_load16(avail_ring_p(vq, vq->last_avail), __ATOMIC_RELAXED);
	if (head >= vq->size)
		return malformed(vq, "head descriptor index out of range");
	if (walk_chain(vq, head, e) != VIRTQ_GOT)
		return VIRTQ_MALFORMED;
	vq->last_avail++;
	return VIRTQ_GOT;
}

void virtq_push(struct virtqueue *vq, const struct virtq_elem *e, uint32_t len)
{
	uint8_t *u;

	if (vq->broken)
		return;
	u = used_ring_p(vq, vq->used_idx);
	put_le32(u, e->head);
	put_le32(u + 4, len);
	vq->used_idx++;
	/* 2.7.8: the element is visible before the index that publishes it
	 * (and so are the buffer contents written before the push): release. */
	vq_store16(used_idx_p(vq), vq->used_idx, __ATOMIC_RELEASE);
	/* The device may have filled the writable part by any means (a
	 * preadv, getrandom): all of it counts as written. */
	for (unsigned int i = e->out_num; i < e->out_num + e->in_num; i++)
		guest_mem_dirty(vq->mem, e->iov[i].iov_base, e->iov[i].iov_len);
	mark_used_ring(vq);
}

void virtq_push_many(struct virtqueue *vq, const uint16_t *heads,
		     const uint32_t *lens, unsigned int n)
{
	if (vq->broken || !n || n > vq->size)
		return;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *u = used_ring_p(vq, (uint16_t)(vq->used_idx + i));

		put_le32(u, heads[i]);
		put_le32(u + 4, lens[i]);
	}
	vq->used_idx = (uint16_t)(vq->used_idx + n);
	/* 2.7.8: all n elements are visible before the one index store that
	 * publishes them together (release). */
	vq_store16(used_idx_p(vq), vq->used_idx, __ATOMIC_RELEASE);
	mark_used_ring(vq);
}

bool virtq_should_notify(struct virtqueue *vq)
{
	uint16_t old, now, event;
	bool valid;

	if (vq->broken)
		return false;
	/* Our used index store before reading the driver's suppression. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(vq_load16(vq->avail, __ATOMIC_RELAXED) &
			 VIRTQ_AVAIL_F_NO_INTERRUPT);
	/* 2.7.10: interrupt when used_idx passed used_event since the last
	 * interrupt, i.e. used_event lies in [old, now). */
	old = vq->signalled_used;
	now = vq->used_idx;
	valid = vq->signalled_valid;
	vq->signalled_used = now;
	vq->signalled_valid = true;
	event = vq_load16(used_event_p(vq), __ATOMIC_RELAXED);
	if (!valid)
		return true;
	return (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

static uint64_t elem_copy(const struct virtq_elem *e, bool in, uint64_t skip,
			  uint8_t *buf, uint64_t len, bool to_guest)
{
	unsigned int first = in ? e->out_num : 0;
	unsigned int end = in ? e->out_num + e->in_num : e->out_num;
	uint64_t done = 0;

	for (unsigned int i = first; i < end && done < len; i++) {
		uint64_t seg = e->iov[i].iov_len, n;

		if (skip >= seg) {
			skip -= seg;
			continue;
		}
		n = seg - skip;
		if (n > len - done)
			n = len - done;
		if (to_guest) {
			memcpy((uint8_t *)e->iov[i].iov_base + skip, buf + done,
			       n);
			guest_mem_dirty(
			    e->mem, (uint8_t *)e->iov[i].iov_base + skip, n);
		} else
			memcpy(buf + done, (uint8_t *)e->iov[i].iov_base + skip,
			       n);
		done += n;
		skip = 0;
	}
	return done;
}

uint64_t virtq_elem_read(const struct virtq_elem *e, uint64_t skip, void *buf,
			 uint64_t len)
{
	return elem_copy(e, false, skip, buf, len, false);
}

uint64_t virtq_elem_write(const struct virtq_elem *e, uint64_t skip,
			  const void *buf, uint64_t len)
{
	return elem_copy(e, true, skip, (uint8_t *)buf, len, true);
}
