/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The receiving side of the migration stream (vmm/migrate.h) over any byte
 * source: migrate_receive() reads a socket through it, fuzz/fuzz_migrate.c
 * feeds it from memory.
 */
#ifndef ARMVM_VMM_MIGRATE_SOURCE_H
#define ARMVM_VMM_MIGRATE_SOURCE_H

#include <sys/types.h>

#include "vmm/migrate.h"

struct migrate_source {
	/* Up to n (> 0) bytes into buf: how many, 0 at the end of the
	 * stream, or -1 with errno (EINTR is retried, EAGAIN is a timeout). */
	ssize_t (*read)(void *opaque, void *buf, size_t n);
	void *opaque;
};

/* migrate_receive(), reading from src. */
int migrate_receive_from(const struct migrate_source *src,
			 struct migrate_in *in,
			 uint8_t *(*alloc_ram)(uint64_t size),
			 void (*free_ram)(uint8_t *ram, uint64_t size));

#endif
