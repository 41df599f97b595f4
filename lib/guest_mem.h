/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest RAM as device models see it. Every guest-physical address and length
 * a device gets from the guest goes through guest_ptr(), which refuses any
 * range not wholly inside RAM (overflow-safe), so a hostile guest cannot
 * make a device touch host memory outside guest RAM.
 */
#ifndef ARMVM_LIB_GUEST_MEM_H
#define ARMVM_LIB_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem {
	uint8_t *host; /* where RAM is mapped in armvm */
	uint64_t base; /* its guest-physical address */
	uint64_t size;
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

#endif
