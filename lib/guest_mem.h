/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest RAM as device models see it. Every guest-physical address and length
 * a device gets from the guest goes through guest_ptr(), which refuses any
 * range not wholly inside RAM (overflow-safe), so a hostile guest cannot
 * make a device touch host memory outside guest RAM.
 */
#ifndef ARMVM_LIB_GUEST_MEM_H
#define ARMVM_LIB_GUEST_MEM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The pages of RAM that armvm's own threads wrote (issue 13 part 3): KVM's
 * dirty log sees only the guest's writes, so live migration learns of the
 * devices' writes (used rings, buffers the device filled, pages the
 * balloon gave back) from this bitmap, one bit per page of 1 << page_shift
 * bytes. A device marks after it wrote (release); the migration takes and
 * clears a word (acquire) before it reads the pages the word names, so a
 * write is either seen by that read or marked again for the next pass.
 */
struct guest_dirty {
	unsigned int page_shift;
	uint64_t pages;
	_Atomic uint64_t *bits; /* (pages + 63) / 64 words */
};

struct guest_mem {
	uint8_t *host; /* where RAM is mapped in armvm */
	uint64_t base; /* its guest-physical address */
	uint64_t size;
	struct guest_dirty *dirty; /* NULL: nobody tracks device writes */
};

/* Host pointer to [gpa, gpa + len), or NULL if any byte is outside RAM.
 * len 0 is valid when gpa lies inside RAM (or at its end). */
static inline void *guest_ptr(const struct guest_mem *m, uint64_t gpa,
			      uint64_t len)
{
	uint64_t off;

	if (!m || !m->host || gpa < m->base)
		return NULL;
	off = gpa - m->base;
	if (off > m->size || len > m->size - off)
		return NULL;
	return m->host + off;
}

/* Mark [p, p + len), host pointers into RAM, as written by a device. A
 * range outside RAM marks nothing (guest_ptr made every device pointer). */
static inline void guest_mem_dirty(const struct guest_mem *m, const void *p,
				   uint64_t len)
{
	const struct guest_dirty *d = m ? m->dirty : NULL;
	uintptr_t at = (uintptr_t)p, host = (uintptr_t)(m ? m->host : NULL);
	uint64_t off, page, last;

	if (!d || !len || at < host)
		return;
	off = at - host;
	if (off >= m->size || len > m->size - off)
		return;
	last = (off + len - 1) >> d->page_shift;
	/* Always the read-modify-write, even on a bit already set: only a
	 * release after this write orders it before the migration's take. */
	for (page = off >> d->page_shift; page <= last; page++)
		atomic_fetch_or_explicit(&d->bits[page / 64],
					 1ULL << (page % 64),
					 memory_order_release);
}

#endif
