/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The snapshot directory (issue 13; docs/snapshot.md): two files,
 *
 *   state  a header (magic, format version, RAM size and checksum, the
 *          body's length and SHA-256) and a body of tagged sections: the
 *          options the VM was started with, the machine plan, each vCPU,
 *          the GIC, each device by its registry id;
 *   ram    guest RAM, as a sparse file: pages that were never written are
 *          holes, neither written nor read back.
 *
 * A snapshot is written into a new directory that is renamed into place
 * only once complete and on disk, so a reader never sees half of one, and
 * an interrupted snapshot leaves no DIR behind. Both files are read back as
 * hostile input: every length is checked, the body's SHA-256 and the RAM's
 * CRC must match, and a version this armvm does not know is refused.
 * Portable: no KVM here (tests/unit/test_snapshot.c).
 */
#ifndef ARMVM_VMM_SNAPSHOT_H
#define ARMVM_VMM_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/state.h"

#define SNAPSHOT_FORMAT_VERSION 1
#define SNAPSHOT_TAG_MAX	80

/* Append section tag (at most SNAPSHOT_TAG_MAX bytes) holding content. */
void snapshot_add_section(struct state_writer *body, const char *tag,
			  const struct state_writer *content);

/*
 * Write the snapshot into dir, which must not exist or be an empty
 * directory: body as the state file's, ram_size bytes of RAM. 0, or -1
 * after a one-line message (nothing left behind).
 */
int snapshot_write(const char *dir, const struct state_writer *body,
		   const uint8_t *ram, uint64_t ram_size);

struct snapshot {
	char dir[4096];
	uint8_t *body;
	size_t body_len;
	uint64_t ram_size;
	uint32_t ram_crc;
	/* A live migration's (snapshot_incoming): RAM already holds the
	 * guest's (the VM takes it over and sets ram to NULL), and the
	 * connection to hand over on (-1 for a snapshot directory). */
	uint8_t *ram;
	bool ram_loaded;
	int handover_fd;
};

/* Read and check dir/state. 0, or -1 after a one-line message that names
 * the file and what is wrong. */
int snapshot_open(const char *dir, struct snapshot *s);
/* A reader over section tag: 0, or -1 (with a message) if it is missing. */
int snapshot_section(const struct snapshot *s, const char *tag,
		     struct state_reader *r);
/* Fill ram (size bytes, all zero now) from dir/ram, touching only the
 * pages the snapshot holds; the size and checksum must match. 0 or -1
 * after a message. */
int snapshot_load_ram(const struct snapshot *s, uint8_t *ram, uint64_t size);
/*
 * A live migration's snapshot (vmm/migrate.h): the state body and the RAM
 * received (both now the snapshot's), and the connection the hand-over
 * runs on. name is what messages call it.
 */
void snapshot_incoming(struct snapshot *s, const char *name, uint8_t *body,
		       size_t body_len, uint8_t *ram, uint64_t ram_size,
		       int handover_fd);
/* Frees the body, RAM not taken over, and closes the connection. */
void snapshot_close(struct snapshot *s);

#endif
