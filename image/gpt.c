// SPDX-License-Identifier: GPL-2.0
/* GPT: UEFI 2.4A section 5.2.3 (protective MBR) and 5.3 (GPT). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "image/gpt.h"
#include "image/guid.h"
#include "lib/util.h"

static const char gpt_sig[8] = {'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T'};

static void parse_header(const uint8_t *b, struct gpt_header *h)
{
	h->revision = get_le32(b + 8);
	h->header_size = get_le32(b + 12);
	h->header_crc = get_le32(b + 16);
	h->my_lba = get_le64(b + 24);
	h->alternate_lba = get_le64(b + 32);
	h->first_usable = get_le64(b + 40);
	h->last_usable = get_le64(b + 48);
	memcpy(h->disk_guid, b + 56, 16);
	h->entries_lba = get_le64(b + 72);
	h->num_entries = get_le32(b + 80);
	h->entry_size = get_le32(b + 84);
	h->array_crc = get_le32(b + 88);
}

#define FAIL(st, ...)                                          \
	do {                                                   \
		c->status = (st);                              \
		snprintf(c->why, sizeof(c->why), __VA_ARGS__); \
		return;                                        \
	} while (0)

/* The header checks of UEFI 5.3.2 ("GPT Header"), in the order listed. */
void gpt_read_copy(const struct img_src *s, uint64_t lba, struct gpt_copy *c)
{
	uint8_t b[GPT_LBA_SIZE];
	struct gpt_header *h = &c->h;
	uint64_t off = lba * GPT_LBA_SIZE, arr_lbas, arr_end;
	uint32_t crc;

	memset(c, 0, sizeof(*c));
	c->lba = lba;
	if (lba > UINT64_MAX / GPT_LBA_SIZE || img_read(s, off, b, sizeof(b)))
		FAIL(GPT_ERR_MISSING,
		     "LBA %" PRIu64 " (offset %" PRIu64
		     ") is beyond the end of the image (%" PRIu64 " bytes)",
		     lba, off, s->size);
	parse_header(b, h);
	if (memcmp(b, gpt_sig, 8))
		FAIL(
		    GPT_ERR_SIGNATURE,
		    "offset %" PRIu64
		    ": signature %02x%02x%02x%02x%02x%02x%02x%02x, expected \"EFI PART\"",
		    off, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
	if (h->header_size < GPT_HEADER_SIZE || h->header_size > GPT_LBA_SIZE)
		FAIL(GPT_ERR_HEADER,
		     "offset %" PRIu64 ": HeaderSize %u, expected 92..512",
		     off + 12, h->header_size);
	put_le32(b + 16, 0);
	crc = (uint32_t)crc32(0, b, h->header_size);
	put_le32(b + 16, h->header_crc);
	c->crc_found = crc;
	if (crc != h->header_crc)
		FAIL(GPT_ERR_CRC,
		     "offset %" PRIu64 ": HeaderCRC32 0x%08x, computed 0x%08x",
		     off + 16, h->header_crc, crc);
	if (h->revision != 0x00010000)
		FAIL(GPT_ERR_HEADER,
		     "offset %" PRIu64 ": Revision 0x%08x, expected 0x00010000",
		     off + 8, h->revision);
	if (get_le32(b + 20))
		FAIL(GPT_ERR_HEADER,
		     "offset %" PRIu64 ": Reserved 0x%08x, expected 0",
		     off + 20, get_le32(b + 20));
	if (h->my_lba != lba)
		FAIL(GPT_ERR_HEADER,
		     "offset %" PRIu64 ": MyLBA %" PRIu64 ", expected %" PRIu64,
		     off + 24, h->my_lba, lba);
	if (h->num_entries == 0 || h->entry_size < GPT_ENTRY_SIZE ||
	    (h->entry_size & (h->entry_size - 1)))
		FAIL(
		    GPT_ERR_HEADER,
		    "offset %" PRIu64
		    ": %u entries of %u bytes, expected entries of 128 x 2^n bytes",
		    off + 80, h->num_entries, h->entry_size);
	if ((uint64_t)h->num_entries * h->entry_size > GPT_MAX_ARRAY_BYTES)
		FAIL(GPT_ERR_HEADER,
		     "offset %" PRIu64
		     ": entry array of %u x %u bytes is larger than %u bytes",
		     off + 80, h->num_entries, h->entry_size,
		     GPT_MAX_ARRAY_BYTES);
	c->array_len = h->num_entries * h->entry_size;
	arr_lbas = (c->array_len + GPT_LBA_SIZE - 1) / GPT_LBA_SIZE;
	/* LBAs that fit in 64 bits as byte offsets, with room for the
	 * array after entries_lba: nothing below can overflow. */
	if (h->first_usable > h->last_usable + 1 ||
	    h->last_usable >= UINT64_MAX / GPT_LBA_SIZE ||
	    h->entries_lba >= UINT64_MAX / GPT_LBA_SIZE - arr_lbas)
		FAIL(GPT_ERR_HEADER,
		     "offset %" PRIu64 ": FirstUsableLBA %" PRIu64
		     " > LastUsableLBA %" PRIu64,
		     off + 40, h->first_usable, h->last_usable);
	arr_end = h->entries_lba + arr_lbas; /* exclusive */
	if (lba < h->alternate_lba) {
		/* Primary: header, array, then the usable space. */
		if (h->entries_lba <= lba || arr_end > h->first_usable ||
		    h->last_usable >= h->alternate_lba)
			FAIL(GPT_ERR_HEADER,
			     "offset %" PRIu64
			     ": layout: entries at LBA %" PRIu64 "..%" PRIu64
			     ", usable %" PRIu64 "..%" PRIu64
			     ", backup at %" PRIu64
			     ": expected header < entries < usable < backup",
			     off + 40, h->entries_lba, arr_end - 1,
			     h->first_usable, h->last_usable, h->alternate_lba);
	} else {
		/* Backup: usable space, array, then the header. */
		if (h->entries_lba <= h->last_usable || arr_end > lba ||
		    h->first_usable <= h->alternate_lba)
			FAIL(GPT_ERR_HEADER,
			     "offset %" PRIu64 ": layout: usable %" PRIu64
			     "..%" PRIu64 ", entries at LBA %" PRIu64
			     "..%" PRIu64 ", header at %" PRIu64
			     ": expected usable < entries < header",
			     off + 40, h->first_usable, h->last_usable,
			     h->entries_lba, arr_end - 1, lba);
	}
	if (!range_ok(h->entries_lba * GPT_LBA_SIZE, c->array_len, s->size))
		FAIL(GPT_ERR_ARRAY,
		     "entry array at LBA %" PRIu64
		     " (%u bytes) is beyond the end of the image",
		     h->entries_lba, c->array_len);
	c->array = malloc(c->array_len);
	if (!c->array || img_read(s, h->entries_lba * GPT_LBA_SIZE, c->array,
				  c->array_len)) {
		free(c->array);
		c->array = NULL;
		FAIL(GPT_ERR_ARRAY,
		     "cannot read the entry array at LBA %" PRIu64,
		     h->entries_lba);
	}
	crc = (uint32_t)crc32(0, c->array, c->array_len);
	c->crc_found = crc;
	if (crc != h->array_crc)
		FAIL(
		    GPT_ERR_ARRAY_CRC,
		    "offset %" PRIu64
		    ": PartitionEntryArrayCRC32 0x%08x, computed 0x%08x over %u bytes at LBA %" PRIu64,
		    off + 88, h->array_crc, crc, c->array_len, h->entries_lba);
	c->status = GPT_OK;
}

void gpt_copy_free(struct gpt_copy *c)
{
	free(c->array);
	c->array = NULL;
}

int gpt_entries(const struct gpt_copy *c, struct gpt_part *parts, int max)
{
	int n = 0;

	if (!c->array)
		return 0;
	for (uint32_t i = 0; i < c->h.num_entries && n < max; i++) {
		const uint8_t *e = c->array + (size_t)i * c->h.entry_size;
		struct gpt_part *p = &parts[n];

		if (guid_is_zero(e))
			continue;
		p->index = i + 1;
		memcpy(p->type, e, 16);
		memcpy(p->uuid, e + 16, 16);
		p->first_lba = get_le64(e + 32);
		p->last_lba = get_le64(e + 40);
		p->attributes = get_le64(e + 48);
		utf16le_to_utf8(e + 56, 36, p->name, sizeof(p->name));
		n++;
	}
	return n;
}

bool gpt_copies_agree(const struct gpt_copy *p, const struct gpt_copy *b,
		      char *why, size_t whylen)
{
	const struct gpt_header *x = &p->h, *y = &b->h;

	if (x->alternate_lba != b->lba || y->alternate_lba != p->lba) {
		snprintf(why, whylen,
			 "AlternateLBA: primary says %" PRIu64
			 ", backup is at %" PRIu64 " and says %" PRIu64,
			 x->alternate_lba, b->lba, y->alternate_lba);
		return false;
	}
	if (x->first_usable != y->first_usable ||
	    x->last_usable != y->last_usable) {
		snprintf(why, whylen,
			 "usable LBAs: primary %" PRIu64 "..%" PRIu64
			 ", backup %" PRIu64 "..%" PRIu64,
			 x->first_usable, x->last_usable, y->first_usable,
			 y->last_usable);
		return false;
	}
	if (memcmp(x->disk_guid, y->disk_guid, 16)) {
		char a[GUID_STR_LEN], c[GUID_STR_LEN];

		guid_format(x->disk_guid, a);
		guid_format(y->disk_guid, c);
		snprintf(why, whylen, "DiskGUID: primary %s, backup %s", a, c);
		return false;
	}
	if (x->num_entries != y->num_entries ||
	    x->entry_size != y->entry_size) {
		snprintf(
		    why, whylen,
		    "entry arrays: primary %u x %u bytes, backup %u x %u bytes",
		    x->num_entries, x->entry_size, y->num_entries,
		    y->entry_size);
		return false;
	}
	if (x->array_crc != y->array_crc ||
	    memcmp(p->array, b->array, p->array_len)) {
		uint32_t i = 0;

		while (i < p->array_len && p->array[i] == b->array[i])
			i++;
		snprintf(
		    why, whylen,
		    "entry arrays differ: entry %u, byte %u (primary at offset %" PRIu64
		    ", backup at offset %" PRIu64 ")",
		    i / x->entry_size + 1, i % x->entry_size,
		    x->entries_lba * GPT_LBA_SIZE + i,
		    y->entries_lba * GPT_LBA_SIZE + i);
		return false;
	}
	return true;
}

void pmbr_parse(const uint8_t lba0[512], struct pmbr_info *m)
{
	memset(m, 0, sizeof(*m));
	m->ee_slot = -1;
	m->signature = lba0[510] == 0x55 && lba0[511] == 0xAA;
	for (int i = 0; i < 4; i++) {
		const uint8_t *r = lba0 + 446 + 16 * i;

		if (r[4] == 0xEE && m->ee_slot < 0) {
			m->ee_slot = i;
			m->ee_start = get_le32(r + 8);
			m->ee_size = get_le32(r + 12);
		} else if (r[4]) {
			m->other_slots++;
		}
	}
}

static void write_header(uint8_t *b, uint64_t my, uint64_t alt,
			 uint64_t entries, uint64_t disk_lbas,
			 const uint8_t guid[16], uint32_t array_crc)
{
	memset(b, 0, GPT_LBA_SIZE);
	memcpy(b, gpt_sig, 8);
	put_le32(b + 8, 0x00010000);
	put_le32(b + 12, GPT_HEADER_SIZE);
	put_le64(b + 24, my);
	put_le64(b + 32, alt);
	put_le64(b + 40, gpt_first_usable());
	put_le64(b + 48, gpt_last_usable(disk_lbas));
	memcpy(b + 56, guid, 16);
	put_le64(b + 72, entries);
	put_le32(b + 80, GPT_NUM_ENTRIES);
	put_le32(b + 84, GPT_ENTRY_SIZE);
	put_le32(b + 88, array_crc);
	put_le32(b + 16, (uint32_t)crc32(0, b, GPT_HEADER_SIZE));
}

int gpt_build(uint64_t disk_lbas, const uint8_t disk_guid[16],
	      const struct gpt_part *parts, int nparts, struct gpt_layout *out)
{
	uint8_t *r = out->pmbr + 446;
	uint32_t crc;

	if (nparts > GPT_NUM_ENTRIES || disk_lbas < 2 * (2 + GPT_ARRAY_LBAS))
		return -1;
	memset(out, 0, sizeof(*out));
	/*
	 * UEFI 5.2.3: one record, OSType 0xEE, StartingCHS 0x000200,
	 * StartingLBA 1, EndingCHS 0xFFFFFF, SizeInLBA the disk size minus
	 * one, or 0xFFFFFFFF when that does not fit.
	 */
	r[2] = 0x02;
	r[4] = 0xEE;
	r[5] = r[6] = r[7] = 0xFF;
	put_le32(r + 8, 1);
	put_le32(r + 12, disk_lbas - 1 > 0xFFFFFFFFu
			     ? 0xFFFFFFFFu
			     : (uint32_t)(disk_lbas - 1));
	out->pmbr[510] = 0x55;
	out->pmbr[511] = 0xAA;
	for (int i = 0; i < nparts; i++) {
		uint8_t *e =
		    out->array + (size_t)(parts[i].index - 1) * GPT_ENTRY_SIZE;
		uint16_t name[36];
		int n;

		if (parts[i].index < 1 || parts[i].index > GPT_NUM_ENTRIES)
			return -1;
		memcpy(e, parts[i].type, 16);
		memcpy(e + 16, parts[i].uuid, 16);
		put_le64(e + 32, parts[i].first_lba);
		put_le64(e + 40, parts[i].last_lba);
		put_le64(e + 48, parts[i].attributes);
		n = utf8_to_utf16(parts[i].name, name, 36);
		if (n < 0)
			return -1;
		for (int j = 0; j < n; j++)
			put_le16(e + 56 + 2 * j, name[j]);
	}
	crc = (uint32_t)crc32(0, out->array, GPT_ARRAY_BYTES);
	write_header(out->primary, 1, disk_lbas - 1, 2, disk_lbas, disk_guid,
		     crc);
	write_header(out->backup, disk_lbas - 1, 1,
		     disk_lbas - 1 - GPT_ARRAY_LBAS, disk_lbas, disk_guid, crc);
	return 0;
}
