/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GUID Partition Table reader and writer (UEFI 2.4A chapter 5), 512-byte
 * logical blocks. The reader validates one copy (primary or backup) at a
 * time and says precisely what is wrong, so that the checker can report
 * both copies independently (IMG-1), as UEFI 5.3.2 asks firmware to.
 */
#ifndef ARMVM_IMAGE_GPT_H
#define ARMVM_IMAGE_GPT_H

#include <stdbool.h>
#include <stdint.h>

#include "image/io.h"

#define GPT_LBA_SIZE	512
#define GPT_HEADER_SIZE 92
#define GPT_ENTRY_SIZE	128
#define GPT_NUM_ENTRIES 128
/* UEFI 5.3: at least 16384 bytes are reserved for the entry array. */
#define GPT_ARRAY_BYTES (GPT_NUM_ENTRIES * GPT_ENTRY_SIZE)
#define GPT_ARRAY_LBAS	(GPT_ARRAY_BYTES / GPT_LBA_SIZE)
/* Bound on what the reader accepts, to keep allocations sane. */
#define GPT_MAX_ARRAY_BYTES (4u << 20)
#define GPT_MAX_PARTS	    256

/* How a copy of the GPT failed; GPT_OK first. */
enum gpt_status {
	GPT_OK = 0,
	GPT_ERR_MISSING,   /* the block is beyond the end of the image */
	GPT_ERR_SIGNATURE, /* not "EFI PART" */
	GPT_ERR_HEADER,	   /* size, revision, MyLBA, reserved, LBA layout */
	GPT_ERR_CRC,	   /* HeaderCRC32 mismatch */
	GPT_ERR_ARRAY,	   /* entry array outside the image */
	GPT_ERR_ARRAY_CRC, /* PartitionEntryArrayCRC32 mismatch */
};

struct gpt_header {
	uint32_t revision, header_size, header_crc, array_crc;
	uint32_t num_entries, entry_size;
	uint64_t my_lba, alternate_lba, first_usable, last_usable;
	uint64_t entries_lba;
	uint8_t disk_guid[16];
};

struct gpt_copy {
	enum gpt_status status;
	uint64_t lba; /* where this copy was read from */
	struct gpt_header h;
	uint8_t *array; /* malloc'ed when the header was valid */
	uint32_t array_len;
	uint32_t crc_found; /* the CRC computed, for evidence */
	char why[200];	    /* what is wrong, with offsets */
};

struct gpt_part {
	unsigned int index; /* 1-based slot in the entry array */
	uint8_t type[16], uuid[16];
	uint64_t first_lba, last_lba, attributes;
	char name[110];
};

/*
 * Where partition p lies in an image of image_size bytes: false when its
 * LBAs are reversed, or its end (in bytes) does not fit in 64 bits or lies
 * past the image. Every LBA read from a (hostile) image goes through here
 * or through the header checks before it is multiplied.
 */
static inline bool gpt_part_extent(const struct gpt_part *p,
				   uint64_t image_size, uint64_t *off,
				   uint64_t *len)
{
	if (p->first_lba > p->last_lba ||
	    p->last_lba >= UINT64_MAX / GPT_LBA_SIZE ||
	    (p->last_lba + 1) * GPT_LBA_SIZE > image_size)
		return false;
	*off = p->first_lba * GPT_LBA_SIZE;
	*len = (p->last_lba - p->first_lba + 1) * GPT_LBA_SIZE;
	return true;
}

/* Read and validate the header at lba and its entry array. */
void gpt_read_copy(const struct img_src *s, uint64_t lba, struct gpt_copy *c);
void gpt_copy_free(struct gpt_copy *c);

/*
 * Fill parts with the used entries (non-zero type GUID) of a copy whose
 * status is GPT_OK. Returns how many (at most max).
 */
int gpt_entries(const struct gpt_copy *c, struct gpt_part *parts, int max);

/*
 * Compare the primary and backup copies (both GPT_OK): every field that
 * must agree, and the entry arrays. Returns true when they agree; else
 * describes the first difference in why.
 */
bool gpt_copies_agree(const struct gpt_copy *p, const struct gpt_copy *b,
		      char *why, size_t whylen);

/* Protective MBR (UEFI 5.2.3) as found in LBA 0. */
struct pmbr_info {
	bool signature;	   /* 0x55 0xAA at 510 */
	int ee_slot;	   /* record with OSType 0xEE, -1 if none */
	uint32_t ee_start; /* its StartingLBA */
	uint32_t ee_size;  /* its SizeInLBA */
	int other_slots;   /* records in use besides the 0xEE one */
};
void pmbr_parse(const uint8_t lba0[512], struct pmbr_info *m);

/*
 * The builder's side: make a protective MBR, both headers and the entry
 * array (GPT_NUM_ENTRIES entries) for a disk of disk_lbas blocks, with the
 * standard layout (array at LBA 2 and at disk_lbas - 33).
 */
struct gpt_layout {
	uint8_t pmbr[512];
	uint8_t primary[512];
	uint8_t backup[512];
	uint8_t array[GPT_ARRAY_BYTES];
};
int gpt_build(uint64_t disk_lbas, const uint8_t disk_guid[16],
	      const struct gpt_part *parts, int nparts, struct gpt_layout *out);

/* First and last usable LBAs of the standard layout. */
static inline uint64_t gpt_first_usable(void)
{
	return 2 + GPT_ARRAY_LBAS;
}
static inline uint64_t gpt_last_usable(uint64_t disk_lbas)
{
	return disk_lbas - 2 - GPT_ARRAY_LBAS;
}

#endif
