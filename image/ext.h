/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Read-only access to an ext2/3/4 file system inside an image, through
 * e2fsprogs' libext2fs, for the guest OS checks (IMG-7..IMG-10). The
 * file system is hostile input (the guest writes it): libext2fs reads it
 * through an I/O manager on the image's img_src that refuses every write
 * and every read outside the partition, the superblock is checked against
 * the partition before libext2fs sees it (its geometry, the group
 * descriptors libext2fs allocates, no inline_data or ea_inode), every
 * libext2fs error is returned as text, and files are read up to a bound.
 * Paths are resolved here, not by libext2fs's namei: a component at a
 * time, directories read by i_size (bounded, and a budget for all the
 * lookups of a volume), symlinks followed at most 8 deep inside the file
 * system, extent trees at most 5 deep, inline-data inodes refused
 * (libext2fs copies their data past its buffers). An I/O error or a
 * corrupt structure is an error (why names the path, and the inode, block
 * or byte offset), never a name that is not there.
 */
#ifndef ARMVM_IMAGE_EXT_H
#define ARMVM_IMAGE_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/io.h"

struct ext_vol;

/* true when [base, base + len) starts with an ext2/3/4 superblock magic. */
bool ext_probe(const struct img_src *s, uint64_t base, uint64_t len);

/*
 * Open the ext2/3/4 file system at [base, base + len) of s, read-only.
 * Returns the volume, or NULL with the reason in why. s must outlive it.
 */
struct ext_vol *ext_open(const struct img_src *s, uint64_t base, uint64_t len,
			 char *why, size_t whylen);
void ext_close(struct ext_vol *v);

/* The journal needs recovery: what is read is the unreplayed state. */
bool ext_needs_recovery(const struct ext_vol *v);

/*
 * The I/O manager's read (exposed for the unit tests): count blocks of
 * blksize from block, or -count bytes when count < 0, from the partition
 * [base, base + len) of s. Returns 0, or a libext2fs error code with data
 * zeroed when the read would leave the partition.
 */
long ext_io_read(const struct img_src *s, uint64_t base, uint64_t len,
		 unsigned int blksize, uint64_t block, int count, void *data);

enum ext_type { EXT_NONE, EXT_FILE, EXT_DIR, EXT_OTHER, EXT_ERROR };

/*
 * What an absolute path names (symlinks followed, bounded): EXT_NONE when
 * it does not exist, EXT_ERROR (why says why) when it cannot be resolved.
 */
enum ext_type ext_stat(struct ext_vol *v, const char *path, char *why,
		       size_t whylen);

/*
 * Read a regular file of at most max bytes into a malloc'ed buffer (NUL
 * terminated, *len without the NUL). Returns 0, 1 when the path does not
 * exist, or -1; why says which.
 */
int ext_read_file(struct ext_vol *v, const char *path, size_t max, char **buf,
		  size_t *len, char *why, size_t whylen);

/*
 * Call fn for each entry name of the directory path (not "." and ".."),
 * at most max entries; fn returns non-zero to stop. Returns 0, 1 when the
 * path does not exist, 2 when there were more than max entries (the rest
 * unread), or -1 when the directory cannot be read; why says which.
 */
int ext_list_dir(struct ext_vol *v, const char *path, unsigned int max,
		 int (*fn)(const char *name, void *arg), void *arg, char *why,
		 size_t whylen);

#endif
