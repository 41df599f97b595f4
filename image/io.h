/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A read-only byte source for the image readers: an image file (pread) or a
 * memory buffer (tests, fuzzers). Every read is bounds-checked against the
 * source size, so a reader can never go past the end of an image, whatever
 * offsets the on-disk structures claim.
 */
#ifndef ARMVM_IMAGE_IO_H
#define ARMVM_IMAGE_IO_H

#include <stddef.h>
#include <stdint.h>

struct img_src {
	uint64_t size;
	int fd;		    /* >= 0: read with pread() */
	const uint8_t *mem; /* else: read from memory */
};

void img_src_mem(struct img_src *s, const void *buf, size_t len);
/* Returns 0, or -errno (the size comes from fstat()). */
int img_src_fd(struct img_src *s, int fd);

/*
 * Read len bytes at off. Returns 0, or -1 when [off, off + len) is not
 * entirely inside the source or the read fails.
 */
int img_read(const struct img_src *s, uint64_t off, void *buf, size_t len);

/* true when [off, off + len) lies inside a region of size total. */
static inline int range_ok(uint64_t off, uint64_t len, uint64_t total)
{
	return off <= total && len <= total - off;
}

#endif
