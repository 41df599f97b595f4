/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A writer of the "newc" cpio format, the one the Linux kernel unpacks as
 * an initramfs (Documentation/driver-api/early-userspace/buffer-format.rst
 * in the kernel's tree). `armvm conform` makes its guest's initramfs with
 * it: a directory or two, /dev/console and a few files, so a writer of
 * some sixty lines serves, where a general archive library would be a new
 * dependency of armvm for it.
 */
#ifndef ARMVM_IMAGE_CPIO_H
#define ARMVM_IMAGE_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cpio_out {
	FILE *f;
	uint32_t next_ino;
	bool failed; /* a write failed or a name was unfit: see cpio_end */
};

void cpio_begin(struct cpio_out *c, FILE *f);
/* Entries: NAME is relative ("dev/console"), without "." or "..". Every
 * entry belongs to root, with modification time 0 (reproducible). */
void cpio_dir(struct cpio_out *c, const char *name);
void cpio_chardev(struct cpio_out *c, const char *name, unsigned int major,
		  unsigned int minor);
void cpio_file(struct cpio_out *c, const char *name, unsigned int perm,
	       const void *data, size_t len);
/* The trailer. 0, or -1 if anything failed on the way. */
int cpio_end(struct cpio_out *c);

#endif
