/* SPDX-License-Identifier: GPL-2.0 */
/*
 * FAT32 writer for the builder (Microsoft FAT specification 1.03, as UEFI
 * 2.4A 12.3.1.1 requires for the ESP: IMG-3). Files are added as a tree,
 * laid out contiguously in sorted order (reproducible), with long names,
 * then written with pwrite() into a fresh (zero, sparse) image file: only
 * non-zero data is written.
 */
#ifndef ARMVM_IMAGE_FAT_WRITE_H
#define ARMVM_IMAGE_FAT_WRITE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "lib/progress.h"
#include "lib/sha256.h"

struct fatw_node;

struct fatw {
	uint64_t bytes; /* volume size */
	uint32_t tot_sec, spc, rsvd, fatsz, clusters, cluster_bytes;
	uint32_t next_free; /* first cluster not yet allocated */
	uint32_t *fat;	    /* in-memory FAT, clusters + 2 entries */
	uint32_t volume_id;
	char label[12];
	bool have_epoch; /* SOURCE_DATE_EPOCH: every timestamp is it */
	time_t epoch, now;
	uint64_t hidden_sectors; /* partition start LBA (BPB_HiddSec) */
	struct fatw_node *root;
	uint64_t bytes_written, bytes_read;
	struct progress *progress; /* NULL, or advanced as files are copied */
};

/* The bytes of all the files added so far (what fatw_write_data copies). */
uint64_t fatw_file_bytes(const struct fatw *w);

/*
 * Compute the geometry of a FAT32 volume of the given size. Fails (why)
 * when it would have fewer than 65525 clusters, naming the minimum size.
 */
int fatw_init(struct fatw *w, uint64_t bytes, char *why, size_t whylen);
void fatw_free(struct fatw *w);

/*
 * Add src (a file, or a directory copied recursively in name order) at
 * dest ("/EFI/BOOT/BOOTAA64.EFI"); parent directories are created.
 */
int fatw_add(struct fatw *w, const char *dest, const char *src, char *why,
	     size_t whylen);

/* Allocate clusters for everything added; fails when it does not fit. */
int fatw_layout(struct fatw *w, char *why, size_t whylen);

/*
 * Write file data, directories and both FATs at byte offset base of fd,
 * feeding every file's path, size and contents into h.
 */
int fatw_write_data(struct fatw *w, int fd, uint64_t base, struct sha256 *h,
		    char *why, size_t whylen);
/* Write the boot sectors and FSInfo (needs volume_id, set last). */
int fatw_write_boot(struct fatw *w, int fd, uint64_t base, char *why,
		    size_t whylen);

/* Smallest volume size (bytes, whole MiB) that makes a valid FAT32. */
uint64_t fatw_min_size(void);

/* pwrite() the whole buffer, skipping 4 KiB blocks that are all zero. */
int write_sparse(int fd, const void *buf, size_t len, uint64_t off,
		 uint64_t *written);

#endif
