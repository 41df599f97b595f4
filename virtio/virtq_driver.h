/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The driver side of a split virtqueue in (fake) guest RAM, for the unit
 * tests and the fuzz target: it lays out descriptors and rings exactly as a
 * guest driver would (virtio 1.2 section 2.7), including ones a correct
 * driver never would. Not used by armvm itself.
 */
#ifndef ARMVM_VIRTIO_VIRTQ_DRIVER_H
#define ARMVM_VIRTIO_VIRTQ_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/guest_mem.h"
#include "lib/util.h"

struct vq_driver {
	const struct guest_mem *mem;
	uint16_t size;
	uint64_t desc, avail, used; /* guest-physical */
	uint16_t avail_idx;	    /* the driver's next avail index */
	uint16_t last_used;	    /* used entries consumed */
};

static inline uint8_t *vqd_host(const struct vq_driver *v, uint64_t gpa,
				uint64_t len)
{
	return guest_ptr(v->mem, gpa, len);
}

/* Zero the three rings and set up the driver's shadow state. */
static inline void vqd_init(struct vq_driver *v, const struct guest_mem *mem,
			    uint16_t size, uint64_t desc, uint64_t avail,
			    uint64_t used)
{
	v->mem = mem;
	v->size = size;
	v->desc = desc;
	v->avail = avail;
	v->used = used;
	v->avail_idx = v->last_used = 0;
	memset(vqd_host(v, desc, 16ULL * size), 0, 16ULL * size);
	memset(vqd_host(v, avail, 6ULL + 2ULL * size), 0, 6ULL + 2ULL * size);
	memset(vqd_host(v, used, 6ULL + 8ULL * size), 0, 6ULL + 8ULL * size);
}

/* Write one descriptor at index i of a table at guest address table. */
static inline void vqd_put_desc(const struct vq_driver *v, uint64_t table,
				uint32_t i, uint64_t addr, uint32_t len,
				uint16_t flags, uint16_t next)
{
	uint8_t *d = vqd_host(v, table + 16ULL * i, 16);

	put_le64(d, addr);
	put_le32(d + 8, len);
	put_le16(d + 12, flags);
	put_le16(d + 14, next);
}

static inline void vqd_desc(const struct vq_driver *v, uint16_t i,
			    uint64_t addr, uint32_t len, uint16_t flags,
			    uint16_t next)
{
	vqd_put_desc(v, v->desc, i, addr, len, flags, next);
}

/* The ring fields the device reads or writes concurrently, as a guest
 * driver accesses them (READ_ONCE/WRITE_ONCE, indices with barriers). */
static inline uint16_t vqd_load16(const uint8_t *p, int order)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, order));
}

static inline void vqd_store16(uint8_t *p, uint16_t val, int order)
{
	__atomic_store_n((uint16_t *)p, htole16(val), order);
}

/* Put head in the next avail slot, then publish the index. */
static inline void vqd_publish(struct vq_driver *v, uint16_t head)
{
	put_le16(vqd_host(v, v->avail + 4 + 2ULL * (v->avail_idx % v->size), 2),
		 head);
	v->avail_idx++;
	vqd_store16(vqd_host(v, v->avail + 2, 2), v->avail_idx,
		    __ATOMIC_RELEASE);
}

/* Set the avail index directly (malformed cases). */
static inline void vqd_set_avail_idx(struct vq_driver *v, uint16_t idx)
{
	v->avail_idx = idx;
	vqd_store16(vqd_host(v, v->avail + 2, 2), idx, __ATOMIC_RELEASE);
}

static inline void vqd_set_avail_flags(struct vq_driver *v, uint16_t flags)
{
	vqd_store16(vqd_host(v, v->avail, 2), flags, __ATOMIC_RELAXED);
}

/* used_event, at the end of the avail ring (EVENT_IDX). */
static inline void vqd_set_used_event(struct vq_driver *v, uint16_t idx)
{
	vqd_store16(vqd_host(v, v->avail + 4 + 2ULL * v->size, 2), idx,
		    __ATOMIC_RELAXED);
}

/* avail_event, at the end of the used ring (EVENT_IDX). */
static inline uint16_t vqd_avail_event(const struct vq_driver *v)
{
	return vqd_load16(vqd_host(v, v->used + 4 + 8ULL * v->size, 2),
			  __ATOMIC_RELAXED);
}

static inline uint16_t vqd_used_idx(const struct vq_driver *v)
{
	return vqd_load16(vqd_host(v, v->used + 2, 2), __ATOMIC_ACQUIRE);
}

/* Take the next used element: false when there is none. */
static inline bool vqd_get_used(struct vq_driver *v, uint32_t *id,
				uint32_t *len)
{
	const uint8_t *e;

	if (vqd_used_idx(v) == v->last_used) /* an acquire load */
		return false;
	e = vqd_host(v, v->used + 4 + 8ULL * (v->last_used % v->size), 8);
	*id = get_le32(e);
	*len = get_le32(e + 4);
	v->last_used++;
	return true;
}

#endif
