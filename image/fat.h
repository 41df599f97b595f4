/* SPDX-License-Identifier: GPL-2.0 */
/*
 * FAT12/16/32 reader (Microsoft "FAT32 File System Specification" 1.03,
 * which UEFI 2.4A 12.3.1.1 adopts). Read-only and hardened: every region
 * the boot sector claims is checked against the volume before it is read,
 * cluster chains are followed with loop detection. The FAT type is decided
 * by the cluster count, as the FAT specification says, not by the
 * BS_FilSysType string.
 */
#ifndef ARMVM_IMAGE_FAT_H
#define ARMVM_IMAGE_FAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/io.h"

#define FAT32_MIN_CLUSTERS 65525u
#define FAT16_MIN_CLUSTERS 4085u
#define FAT_ATTR_RO	   0x01
#define FAT_ATTR_HIDDEN	   0x02
#define FAT_ATTR_SYSTEM	   0x04
#define FAT_ATTR_VOLUME	   0x08
#define FAT_ATTR_DIR	   0x10
#define FAT_ATTR_ARCHIVE   0x20
#define FAT_ATTR_LFN	   0x0F

struct fat_vol {
	const struct img_src *src;
	uint64_t base, len; /* the volume: byte offset and length */
	uint8_t bs[512];    /* boot sector */
	uint32_t bytes_per_sec, sec_per_clus, rsvd, nfats, root_ent_cnt;
	uint32_t tot_sec16, tot_sec32, tot_sec, fatsz16, fatsz32, fatsz;
	uint32_t root_clus, fsinfo_sec, bk_boot_sec, ext_flags, fs_ver;
	uint8_t media;
	int count_type;	   /* 12, 16 or 32 by the cluster count */
	int type;	   /* the layout read: 32 when BPB_FATSz16 is 0 */
	uint32_t clusters; /* data clusters: valid ones are 2..clusters+1 */
	uint32_t root_dir_secs, first_data_sec, cluster_bytes;
	uint8_t *fat; /* the first FAT, cached */
	size_t fat_bytes;
	uint32_t *owner; /* fat_check_tree(): which file owns a cluster */
};

struct fat_dirent {
	char name[512];	     /* long name if any (UTF-8), else the 8.3 one */
	char short_name[13]; /* "NAME.EXT" */
	uint8_t attr;
	uint32_t first_cluster, size;
	uint64_t entry_off; /* image offset of the 8.3 entry, for evidence */
};

/*
 * Open the FAT volume at [base, base + len) of s. Returns 0, or -1 with a
 * reason in why when the boot sector does not describe a readable FAT.
 */
int fat_open(struct fat_vol *v, const struct img_src *s, uint64_t base,
	     uint64_t len, char *why, size_t whylen);
void fat_close(struct fat_vol *v);

/* FAT entry of cluster c (no range check beyond the FAT itself). */
uint32_t fat_get(const struct fat_vol *v, uint32_t c);
bool fat_is_eoc(const struct fat_vol *v, uint32_t val);
/* Image offset of cluster c's data. */
uint64_t fat_cluster_off(const struct fat_vol *v, uint32_t c);

/*
 * Read a directory (dir NULL: the root) into a malloc'ed array of entries
 * (without "." , ".." and volume labels). Returns the count, or -1.
 */
int fat_dir_read(struct fat_vol *v, const struct fat_dirent *dir,
		 struct fat_dirent **ents, char *why, size_t whylen);

/*
 * Look up a path ("EFI/BOOT/BOOTAA64.EFI", '/' or '\\' separated),
 * comparing each component case-insensitively with both the long and the
 * 8.3 name (UEFI 2.4A 12.3.1.1: FAT names are case-insensitive).
 * Returns 0 when found, 1 when absent, -1 on a read error (why).
 */
int fat_lookup(struct fat_vol *v, const char *path, struct fat_dirent *out,
	       char *why, size_t whylen);

/* Read a whole file (at most max bytes) into a malloc'ed buffer. */
int fat_read_file(struct fat_vol *v, const struct fat_dirent *e, uint8_t **buf,
		  size_t max, char *why, size_t whylen);

/* Whole-volume consistency walk, for the checker (IMG-3). */
struct fat_tree_report {
	uint32_t files, dirs;
	int chain_errors, dir_errors;
	char chain_why[480], dir_why[480];
	uint32_t free_clusters, lost_clusters;
	uint32_t live_entries; /* the walk's own: entries held at once */
};
void fat_check_tree(struct fat_vol *v, struct fat_tree_report *r);

#endif
