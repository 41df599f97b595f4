// SPDX-License-Identifier: GPL-2.0
/*
 * `armvm image check`: the IMG-n rules, each split into finer checks. A
 * check that cannot run because an earlier one failed is "not-checked",
 * so that one defect gives one failure.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "image/check.h"
#include "image/fat.h"
#include "image/gpt.h"
#include "image/guest.h"
#include "image/guid.h"
#include "lib/util.h"

/* Every check id, its rule level and what it covers (docs/image.md). */
static const struct {
	const char *id, *level;
} checks[] = {
    {"IMG-1.pmbr", "must"},
    {"IMG-1.pmbr-size", "should"},
    {"IMG-1.primary-header", "must"},
    {"IMG-1.primary-crc", "must"},
    {"IMG-1.primary-array-crc", "must"},
    {"IMG-1.backup-header", "must"},
    {"IMG-1.backup-crc", "must"},
    {"IMG-1.backup-array-crc", "must"},
    {"IMG-1.backup-match", "must"},
    {"IMG-1.entries", "must"},
    {"IMG-2.esp", "must"},
    {"IMG-2.esp-attr", "must"},
    {"IMG-3.fat32", "must"},
    {"IMG-3.bpb", "must"},
    {"IMG-3.sector-size", "should"},
    {"IMG-3.fsinfo", "should"},
    {"IMG-3.backup-boot", "should"},
    {"IMG-3.fat-copies", "should"},
    {"IMG-3.chains", "must"},
    {"IMG-3.dirs", "must"},
    {"IMG-4.boot-path", "must"},
    {"IMG-5.pe-format", "must"},
    {"IMG-5.machine", "must"},
    {"IMG-5.magic", "must"},
    {"IMG-5.subsystem", "must"},
    {"IMG-5.section-alignment", "should"},
    {"IMG-6.varstore", "must"},
    {"IMG-7", "must"},
    {"IMG-8", "must"},
    {"IMG-9", "should"},
    {"IMG-10", "should"},
};

#define MAX_BOOT_FILE (256u << 20)

static struct chk_result *add(struct chk_report *rep, const char *id,
			      enum chk_status st, const char *file,
			      const char *fmt, va_list ap)
{
	struct chk_result *r;
	size_t i;

	if (rep->n == rep->cap) {
		struct chk_result *nr;

		rep->cap = rep->cap ? rep->cap * 2 : 64;
		nr = realloc(rep->r, (size_t)rep->cap * sizeof(*nr));
		if (!nr) {
			pr_err("image check: out of memory");
			exit(2);
		}
		rep->r = nr;
	}
	r = &rep->r[rep->n++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->level = "must";
	for (i = 0; i < ARRAY_SIZE(checks); i++)
		if (!strcmp(checks[i].id, id))
			r->level = checks[i].level;
	/* A "should" that is not met is a warning, never a failure. */
	if (st == CHK_FAIL && strcmp(r->level, "must"))
		st = CHK_WARN;
	r->status = st;
	if (file)
		snprintf(r->file, sizeof(r->file), "%s", file);
	vsnprintf(r->evidence, sizeof(r->evidence), fmt, ap);
	/* Evidence quotes names from the image: no terminal escapes. */
	escape_controls(r->file, sizeof(r->file));
	escape_controls(r->evidence, sizeof(r->evidence));
	return r;
}

static void __attribute__((format(printf, 4, 5)))
res(struct chk_report *rep, const char *id, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add(rep, id, ok ? CHK_PASS : CHK_FAIL, NULL, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 4, 5)))
res_st(struct chk_report *rep, const char *id, enum chk_status st,
       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add(rep, id, st, NULL, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 5, 6)))
res_file(struct chk_report *rep, const char *id, enum chk_status st,
	 const char *file, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add(rep, id, st, file, fmt, ap);
	va_end(ap);
}

static void not_checked(struct chk_report *rep, const char *const *ids,
			const char *why)
{
	for (; *ids; ids++)
		res_st(rep, *ids, CHK_NOT_CHECKED, "%s", why);
}

const char *chk_status_name(enum chk_status s)
{
	static const char *const n[] = {"pass", "fail", "warn", "not-checked"};
	return n[s];
}

int chk_count(const struct chk_report *rep, enum chk_status s)
{
	int n = 0;

	for (int i = 0; i < rep->n; i++)
		n += rep->r[i].status == s;
	return n;
}

void chk_report_free(struct chk_report *rep)
{
	free(rep->r);
	memset(rep, 0, sizeof(*rep));
}

/* --- IMG-1: protective MBR and both GPT copies --------------------- */

static void check_copy(struct chk_report *rep, const char *which,
		       const struct gpt_copy *c)
{
	char id_h[40], id_c[40], id_a[40];
	const char *ids[3];
	const char *ih, *ic, *ia;

	snprintf(id_h, sizeof(id_h), "IMG-1.%s-header", which);
	snprintf(id_c, sizeof(id_c), "IMG-1.%s-crc", which);
	snprintf(id_a, sizeof(id_a), "IMG-1.%s-array-crc", which);
	/* Ids must outlive this function: find the static copies. */
	ih = ic = ia = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(checks); i++) {
		if (!strcmp(checks[i].id, id_h))
			ih = checks[i].id;
		if (!strcmp(checks[i].id, id_c))
			ic = checks[i].id;
		if (!strcmp(checks[i].id, id_a))
			ia = checks[i].id;
	}
	switch (c->status) {
	case GPT_ERR_MISSING:
	case GPT_ERR_SIGNATURE:
	case GPT_ERR_HEADER:
		res(rep, ih, false, "%s GPT header at LBA %" PRIu64 ": %s",
		    which, c->lba, c->why);
		ids[0] = ic, ids[1] = ia, ids[2] = NULL;
		not_checked(rep, ids, "no valid header");
		return;
	case GPT_ERR_CRC:
		res(rep, ih, true,
		    "%s GPT header at LBA %" PRIu64
		    ": signature \"EFI PART\", HeaderSize %u",
		    which, c->lba, c->h.header_size);
		res(rep, ic, false, "%s", c->why);
		ids[0] = ia, ids[1] = NULL;
		not_checked(rep, ids, "header CRC32 is wrong");
		return;
	default:
		break;
	}
	res(rep, ih, true,
	    "%s GPT header at LBA %" PRIu64
	    ": revision 1.0, %u entries of %u bytes at LBA %" PRIu64
	    ", usable LBAs %" PRIu64 "..%" PRIu64,
	    which, c->lba, c->h.num_entries, c->h.entry_size, c->h.entries_lba,
	    c->h.first_usable, c->h.last_usable);
	res(rep, ic, true, "HeaderCRC32 0x%08x matches", c->h.header_crc);
	if (c->status == GPT_OK)
		res(rep, ia, true,
		    "PartitionEntryArrayCRC32 0x%08x matches the %u bytes at LBA %" PRIu64,
		    c->h.array_crc, c->array_len, c->h.entries_lba);
	else
		res(rep, ia, false, "%s", c->why);
}

static void check_pmbr(struct chk_report *rep, const struct img_src *s,
		       uint64_t disk_lbas)
{
	uint8_t b[512];
	struct pmbr_info m;
	uint32_t want;

	if (img_read(s, 0, b, sizeof(b))) {
		res(rep, "IMG-1.pmbr", false,
		    "image of %" PRIu64 " bytes has no LBA 0", s->size);
		return;
	}
	pmbr_parse(b, &m);
	/* UEFI 5.2.3; EDK2 needs a 0xEE record starting at LBA 1. */
	if (!m.signature)
		res(rep, "IMG-1.pmbr", false,
		    "offset 510: signature %02x %02x, expected 55 aa: no protective MBR",
		    b[510], b[511]);
	else if (m.ee_slot < 0)
		res(rep, "IMG-1.pmbr", false,
		    "offset 446: no partition record of type 0xEE: not a protective MBR");
	else if (m.ee_start != 1)
		res(rep, "IMG-1.pmbr", false,
		    "offset %d: 0xEE record starts at LBA %u, expected 1",
		    446 + 16 * m.ee_slot + 8, m.ee_start);
	else
		res(rep, "IMG-1.pmbr", true,
		    "offset %d: record %d of type 0xEE from LBA 1",
		    446 + 16 * m.ee_slot, m.ee_slot + 1);
	if (!m.signature || m.ee_slot < 0)
		return;
	want = disk_lbas - 1 > 0xFFFFFFFFu ? 0xFFFFFFFFu
					   : (uint32_t)(disk_lbas - 1);
	if (m.other_slots)
		res(rep, "IMG-1.pmbr-size", false,
		    "%d other MBR records in use: a hybrid MBR, not a protective one (UEFI 5.2.3)",
		    m.other_slots);
	else if (m.ee_size != want)
		res(rep, "IMG-1.pmbr-size", false,
		    "offset %d: SizeInLBA %u, expected %u (image size - 1 LBA)",
		    446 + 16 * m.ee_slot + 12, m.ee_size, want);
	else
		res(rep, "IMG-1.pmbr-size", true,
		    "SizeInLBA %u covers the disk", m.ee_size);
}

static void check_entries(struct chk_report *rep, const struct img_src *s,
			  const struct gpt_copy *c, const struct gpt_part *p,
			  int n)
{
	uint64_t off, len;

	for (int i = 0; i < n; i++) {
		if (p[i].first_lba > p[i].last_lba ||
		    p[i].first_lba < c->h.first_usable ||
		    p[i].last_lba > c->h.last_usable) {
			res(rep, "IMG-1.entries", false,
			    "partition %u: LBAs %" PRIu64 "..%" PRIu64
			    " not inside the usable LBAs %" PRIu64 "..%" PRIu64,
			    p[i].index, p[i].first_lba, p[i].last_lba,
			    c->h.first_usable, c->h.last_usable);
			return;
		}
		if (!gpt_part_extent(&p[i], s->size, &off, &len)) {
			res(rep, "IMG-1.entries", false,
			    "partition %u: ends at LBA %" PRIu64
			    ", beyond the end of the image (%" PRIu64 " bytes)",
			    p[i].index, p[i].last_lba, s->size);
			return;
		}
		for (int j = 0; j < i; j++)
			if (p[i].first_lba <= p[j].last_lba &&
			    p[j].first_lba <= p[i].last_lba) {
				res(rep, "IMG-1.entries", false,
				    "partitions %u (LBAs %" PRIu64 "..%" PRIu64
				    ") and %u (LBAs %" PRIu64 "..%" PRIu64
				    ") overlap",
				    p[j].index, p[j].first_lba, p[j].last_lba,
				    p[i].index, p[i].first_lba, p[i].last_lba);
				return;
			}
	}
	res(rep, "IMG-1.entries", true,
	    "%d partitions, inside the usable LBAs, no overlaps", n);
}

/* --- IMG-3: the ESP's FAT --------------------------------------------- */

static void check_bpb(struct chk_report *rep, struct fat_vol *v,
		      uint64_t part_lbas)
{
	const uint8_t *b = v->bs;
	uint64_t o = v->base;
	uint64_t vol_secs = part_lbas * GPT_LBA_SIZE / v->bytes_per_sec;

	if (v->count_type == 32 && !v->fatsz16 && !v->root_ent_cnt &&
	    !v->tot_sec16)
		res(rep, "IMG-3.fat32", true,
		    "FAT32: %u clusters of %u bytes (at least 65525), BPB_FATSz16, BPB_RootEntCnt and BPB_TotSec16 are 0",
		    v->clusters, v->cluster_bytes);
	else if (v->count_type == 32)
		res(rep, "IMG-3.fat32", false,
		    "offset %" PRIu64
		    ": %u clusters but a FAT12/16 BPB (FATSz16 %u, RootEntCnt %u, TotSec16 %u), expected 0",
		    o + 17, v->clusters, v->fatsz16, v->root_ent_cnt,
		    v->tot_sec16);
	else if (!v->fatsz16)
		res(rep, "IMG-3.fat32", false,
		    "FAT32 boot sector but only %u clusters, fewer than the 65525 a FAT32 needs (FAT spec 3.5; EDK2 rejects the volume): make the ESP larger or its clusters smaller",
		    v->clusters);
	else
		res(rep, "IMG-3.fat32", false,
		    "FAT%d: %u clusters (FAT32 needs at least 65525), BPB_FATSz16 %u: UEFI 12.3.1.1 asks for FAT32 on a system partition",
		    v->count_type, v->clusters, v->fatsz16);

	if (b[510] != 0x55 || b[511] != 0xAA)
		res(rep, "IMG-3.bpb", false,
		    "offset %" PRIu64
		    ": boot sector signature %02x %02x, expected 55 aa",
		    o + 510, b[510], b[511]);
	else if (v->media != 0xF0 && v->media < 0xF8)
		res(rep, "IMG-3.bpb", false,
		    "offset %" PRIu64
		    ": BPB_Media 0x%02x, expected 0xF0 or 0xF8..0xFF",
		    o + 21, v->media);
	else if (v->tot_sec > vol_secs)
		res(rep, "IMG-3.bpb", false,
		    "offset %" PRIu64
		    ": %u sectors, but the partition holds only %" PRIu64,
		    o + 32, v->tot_sec, vol_secs);
	else if (v->type == 32 && v->fs_ver)
		res(rep, "IMG-3.bpb", false,
		    "offset %" PRIu64 ": BPB_FSVer 0x%04x, expected 0", o + 42,
		    v->fs_ver);
	else if (v->type == 32 && (v->ext_flags & 0x80))
		res(rep, "IMG-3.bpb", false,
		    "offset %" PRIu64
		    ": BPB_ExtFlags 0x%04x: FAT mirroring disabled (EDK2 refuses it)",
		    o + 40, v->ext_flags);
	else if (v->type == 32 &&
		 (v->root_clus < 2 || v->root_clus >= v->clusters + 2))
		res(rep, "IMG-3.bpb", false,
		    "offset %" PRIu64
		    ": BPB_RootClus %u, expected a cluster in 2..%u",
		    o + 44, v->root_clus, v->clusters + 1);
	else if (v->type == 32 &&
		 (v->fsinfo_sec == 0 || v->fsinfo_sec >= v->rsvd ||
		  v->bk_boot_sec >= v->rsvd))
		res(rep, "IMG-3.bpb", false,
		    "offset %" PRIu64
		    ": BPB_FSInfo %u / BPB_BkBootSec %u outside the %u reserved sectors",
		    o + 48, v->fsinfo_sec, v->bk_boot_sec, v->rsvd);
	else
		res(rep, "IMG-3.bpb", true,
		    "%u-byte sectors, %u per cluster, %u reserved, %u FATs of %u sectors, media 0x%02x",
		    v->bytes_per_sec, v->sec_per_clus, v->rsvd, v->nfats,
		    v->fatsz, v->media);

	res(rep, "IMG-3.sector-size", v->bytes_per_sec == GPT_LBA_SIZE,
	    "BPB_BytsPerSec %u on a disk of 512-byte blocks%s",
	    v->bytes_per_sec,
	    v->bytes_per_sec == GPT_LBA_SIZE
		? ""
		: " (U-Boot cannot read such a volume)");
}

static void check_fat_meta(struct chk_report *rep, struct fat_vol *v,
			   const struct fat_tree_report *t)
{
	uint8_t fs[512], bk[512];
	uint64_t off;

	if (v->type == 32 && v->fsinfo_sec && v->fsinfo_sec < v->rsvd) {
		off = v->base + (uint64_t)v->fsinfo_sec * v->bytes_per_sec;
		if (img_read(v->src, off, fs, sizeof(fs)))
			res(rep, "IMG-3.fsinfo", false,
			    "offset %" PRIu64 ": cannot read FSInfo", off);
		else if (get_le32(fs) != 0x41615252 ||
			 get_le32(fs + 484) != 0x61417272 ||
			 get_le32(fs + 508) != 0xAA550000)
			res(rep, "IMG-3.fsinfo", false,
			    "offset %" PRIu64
			    ": FSInfo signatures 0x%08x 0x%08x 0x%08x, expected 0x41615252 0x61417272 0xaa550000",
			    off, get_le32(fs), get_le32(fs + 484),
			    get_le32(fs + 508));
		else if (get_le32(fs + 488) != 0xFFFFFFFF &&
			 get_le32(fs + 488) != t->free_clusters)
			res(rep, "IMG-3.fsinfo", false,
			    "offset %" PRIu64
			    ": FSI_Free_Count %u, the FAT has %u free clusters",
			    off + 488, get_le32(fs + 488), t->free_clusters);
		else
			res(rep, "IMG-3.fsinfo", true,
			    "FSInfo at sector %u: signatures valid, free count %u",
			    v->fsinfo_sec, get_le32(fs + 488));
	} else if (v->type == 32) {
		res(rep, "IMG-3.fsinfo", false,
		    "BPB_FSInfo %u: no FSInfo sector", v->fsinfo_sec);
	}

	if (v->type == 32 && v->bk_boot_sec && v->bk_boot_sec < v->rsvd) {
		off = v->base + (uint64_t)v->bk_boot_sec * v->bytes_per_sec;
		if (img_read(v->src, off, bk, sizeof(bk)) ||
		    memcmp(bk, v->bs, sizeof(bk)))
			res(rep, "IMG-3.backup-boot", false,
			    "offset %" PRIu64
			    ": the backup boot sector (sector %u) differs from the boot sector",
			    off, v->bk_boot_sec);
		else
			res(rep, "IMG-3.backup-boot", true,
			    "backup boot sector at sector %u matches",
			    v->bk_boot_sec);
	} else if (v->type == 32) {
		res(rep, "IMG-3.backup-boot", false,
		    "BPB_BkBootSec %u: no backup boot sector", v->bk_boot_sec);
	}

	if (v->nfats >= 2) {
		uint8_t buf[4096];
		uint64_t f2 =
		    v->base + ((uint64_t)v->rsvd + v->fatsz) * v->bytes_per_sec;
		size_t done = 0;
		bool same = true;

		while (done < v->fat_bytes) {
			size_t n = v->fat_bytes - done < sizeof(buf)
				       ? v->fat_bytes - done
				       : sizeof(buf);

			if (img_read(v->src, f2 + done, buf, n) ||
			    memcmp(buf, v->fat + done, n)) {
				same = false;
				break;
			}
			done += n;
		}
		if (same)
			res(rep, "IMG-3.fat-copies", true,
			    "the %u FATs are identical", v->nfats);
		else
			res(rep, "IMG-3.fat-copies", false,
			    "FAT 2 differs from FAT 1 near offset %" PRIu64,
			    f2 + done);
	}

	if (t->chain_errors)
		res(rep, "IMG-3.chains", false, "%s", t->chain_why);
	else if (t->lost_clusters)
		res_st(
		    rep, "IMG-3.chains", CHK_WARN,
		    "%u files and %u directories with sound chains, but %u allocated clusters belong to no file",
		    t->files, t->dirs, t->lost_clusters);
	else
		res(rep, "IMG-3.chains", true,
		    "%u files and %u directories: every chain ends, none loops or shares a cluster",
		    t->files, t->dirs);
	res(rep, "IMG-3.dirs", !t->dir_errors, "%s",
	    t->dir_errors ? t->dir_why : "every directory read");
}

/* --- IMG-4, IMG-5: the removable-media files -------------------------- */

static const char *boot_paths[3] = {NULL, "EFI/BOOT/BOOTAA64.EFI",
				    "EFI/BOOT/BOOTARM.EFI"};

/* Look for \EFI\BOOT\BOOT*.EFI on the non-ESP FAT partitions. */
static void find_elsewhere(const struct img_src *s, const struct gpt_part *p,
			   int n, int esp, enum pe_arch a, char *out,
			   size_t outlen)
{
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		struct fat_vol v;
		struct fat_dirent e;
		char why[200];
		const char *desc = gpt_type_describe(p[i].type);

		uint64_t off, len;

		if (i == esp || !gpt_part_extent(&p[i], s->size, &off, &len) ||
		    fat_open(&v, s, off, len, why, sizeof(why)))
			continue;
		if (!fat_lookup(&v, boot_paths[a], &e, why, sizeof(why))) {
			snprintf(
			    out, outlen,
			    "; it is on partition %u (%s), which is not the ESP",
			    p[i].index, desc ? desc : "unknown type");
			fat_close(&v);
			return;
		}
		fat_close(&v);
	}
}

static void check_pe(struct chk_report *rep, struct fat_vol *v,
		     const struct fat_dirent *e, enum pe_arch a)
{
	const char *f = pe_arch_boot_name(a);
	uint16_t want = a == PE_ARCH_AARCH64 ? PE_MACHINE_AARCH64
					     : PE_MACHINE_ARMTHUMB_MIXED;
	struct pe_info pi;
	uint8_t *buf;
	char why[200];
	bool ok = true;

	if (fat_read_file(v, e, &buf, MAX_BOOT_FILE, why, sizeof(why))) {
		res_file(rep, "IMG-5.pe-format", CHK_FAIL, f,
			 "%s: cannot read: %s", f, why);
		return;
	}
	if (pe_identify(buf, e->size, &pi) && pi.error != PE_ERR_MAGIC) {
		res_file(rep, "IMG-5.pe-format", CHK_FAIL, f, "%s: %s", f,
			 pi.err);
		ok = false;
	} else if (!pi.error) {
		res_file(
		    rep, "IMG-5.pe-format", CHK_PASS, f,
		    "%s: PE/COFF, %u sections inside the file (%u bytes), entry point 0x%x in a section",
		    f, pi.nsections, e->size, pi.entry_rva);
	} else {
		res_file(rep, "IMG-5.pe-format", CHK_NOT_CHECKED, f,
			 "%s: unknown optional header", f);
	}
	free(buf);
	rep->pe[a] = pi;
	if (!pi.have_coff) {
		res_file(rep, "IMG-5.machine", CHK_NOT_CHECKED, f,
			 "%s: no COFF header", f);
		res_file(rep, "IMG-5.magic", CHK_NOT_CHECKED, f,
			 "%s: no COFF header", f);
		res_file(rep, "IMG-5.subsystem", CHK_NOT_CHECKED, f,
			 "%s: no COFF header", f);
		rep->boots[a] = false;
		return;
	}
	res_file(
	    rep, "IMG-5.machine", pi.machine == want ? CHK_PASS : CHK_FAIL, f,
	    "%s: offset 0x%x in the file: Machine 0x%04x (%s), expected 0x%04x (%s)",
	    f, pi.pe_offset + 4, pi.machine, pe_machine_name(pi.machine), want,
	    pe_machine_name(want));
	ok &= pi.machine == want;
	if (pi.error == PE_ERR_MAGIC) {
		res_file(rep, "IMG-5.magic", CHK_FAIL, f, "%s: %s", f, pi.err);
		ok = false;
	} else if (a == PE_ARCH_AARCH64) {
		res_file(
		    rep, "IMG-5.magic",
		    pi.magic == PE_MAGIC_PE32PLUS ? CHK_PASS : CHK_FAIL, f,
		    "%s: offset 0x%x: optional header magic 0x%x (%s), expected 0x20b (PE32+) for aarch64",
		    f, pi.pe_offset + 24, pi.magic,
		    pi.magic == PE_MAGIC_PE32 ? "PE32" : "PE32+");
		ok &= pi.magic == PE_MAGIC_PE32PLUS;
	} else {
		res_file(rep, "IMG-5.magic", CHK_PASS, f,
			 "%s: optional header magic 0x%x (%s)", f, pi.magic,
			 pi.magic == PE_MAGIC_PE32 ? "PE32" : "PE32+");
	}
	if (!pi.have_optional) {
		res_file(rep, "IMG-5.subsystem", CHK_NOT_CHECKED, f,
			 "%s: no optional header", f);
		rep->boots[a] = false;
		return;
	}
	res_file(
	    rep, "IMG-5.subsystem",
	    pi.subsystem == PE_SUBSYSTEM_EFI_APPLICATION ? CHK_PASS : CHK_FAIL,
	    f, "%s: offset 0x%x: Subsystem %u%s, expected 10 (EFI application)",
	    f, pi.pe_offset + 24 + 68, pi.subsystem,
	    pi.subsystem == 11	 ? " (EFI boot service driver)"
	    : pi.subsystem == 12 ? " (EFI runtime driver)"
				 : "");
	ok &= pi.subsystem == PE_SUBSYSTEM_EFI_APPLICATION;
	if (!pi.error)
		res_file(
		    rep, "IMG-5.section-alignment",
		    pi.section_alignment >= 4096 &&
			    !(pi.section_alignment % 4096)
			? CHK_PASS
			: CHK_WARN,
		    f,
		    "%s: SectionAlignment 0x%x (page-aligned sections let the firmware map them non-executable/read-only)",
		    f, pi.section_alignment);
	rep->boots[a] = ok;
	rep->file_ok[a] = ok;
}

static void check_boot_files(struct chk_report *rep, const struct img_src *s,
			     struct fat_vol *v, const struct gpt_part *p, int n,
			     int esp, enum chk_arch arch)
{
	struct fat_dirent e[3];
	bool found[3] = {false};
	char why[200], hint[160];
	int r;

	for (int a = PE_ARCH_AARCH64; a <= PE_ARCH_ARM; a++) {
		r = fat_lookup(v, boot_paths[a], &e[a], why, sizeof(why));
		found[a] = r == 0 && !(e[a].attr & FAT_ATTR_DIR);
	}
	if (arch == CHK_ARCH_ANY ? !found[1] && !found[2]
				 : !found[arch == CHK_ARCH_AARCH64 ? 1 : 2]) {
		enum pe_arch a =
		    arch == CHK_ARCH_ARM ? PE_ARCH_ARM : PE_ARCH_AARCH64;

		find_elsewhere(s, p, n, esp, a, hint, sizeof(hint));
		if (!hint[0] && arch == CHK_ARCH_ANY)
			find_elsewhere(s, p, n, esp, PE_ARCH_ARM, hint,
				       sizeof(hint));
		res(rep, "IMG-4.boot-path", false,
		    "the ESP (partition %u) has no %s%s%s", p[esp].index,
		    arch == CHK_ARCH_ARM ? "\\EFI\\BOOT\\BOOTARM.EFI"
					 : "\\EFI\\BOOT\\BOOTAA64.EFI",
		    arch == CHK_ARCH_ANY ? " nor \\EFI\\BOOT\\BOOTARM.EFI" : "",
		    hint);
		res_st(rep, "IMG-5.pe-format", CHK_NOT_CHECKED, "no boot file");
		return;
	}
	for (int a = PE_ARCH_AARCH64; a <= PE_ARCH_ARM; a++) {
		if (!found[a] || (arch == CHK_ARCH_AARCH64 && a != 1) ||
		    (arch == CHK_ARCH_ARM && a != 2))
			continue;
		res_file(rep, "IMG-4.boot-path", CHK_PASS, pe_arch_boot_name(a),
			 "\\%s: %u bytes, directory entry at offset %" PRIu64,
			 boot_paths[a], e[a].size, e[a].entry_off);
	}
	for (int a = PE_ARCH_AARCH64; a <= PE_ARCH_ARM; a++) {
		if (!found[a] || (arch == CHK_ARCH_AARCH64 && a != 1) ||
		    (arch == CHK_ARCH_ARM && a != 2))
			continue;
		check_pe(rep, v, &e[a], (enum pe_arch)a);
	}
}

static void check_varstore(struct chk_report *rep, struct fat_vol *v)
{
	/* OVMF/ArmVirt NvVarsFileLib and U-Boot's file-backed store. */
	static const char *const names[] = {"NvVars", "ubootefi.var"};
	struct fat_dirent e;
	char why[200];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!fat_lookup(v, names[i], &e, why, sizeof(why))) {
			res(rep, "IMG-6.varstore", false,
			    "\\%s (%u bytes, entry at offset %" PRIu64
			    ") is a UEFI variable store: variables belong to the VM instance, not the image",
			    e.name, e.size, e.entry_off);
			return;
		}
	res(rep, "IMG-6.varstore", true,
	    "no NvVars or ubootefi.var in the ESP's root directory");
}

static const char *const ids_fat[] = {
    "IMG-3.fat32",     "IMG-3.bpb",	  "IMG-3.chains",   "IMG-3.dirs",
    "IMG-4.boot-path", "IMG-5.pe-format", "IMG-6.varstore", NULL};

int image_check(const struct img_src *s, enum chk_arch arch, unsigned int flags,
		struct chk_report *rep)
{
	struct gpt_copy prim, back;
	const struct gpt_copy *use = NULL;
	struct gpt_part parts[GPT_MAX_PARTS];
	uint64_t disk_lbas = s->size / GPT_LBA_SIZE, back_lba, esp_off, esp_len;
	int n = 0, esp = -1, nesp = 0;
	char why[240];
	struct fat_vol v;
	struct fat_tree_report t;
	bool esp_open = false; /* v holds the ESP's FAT */

	memset(rep, 0, sizeof(*rep));
	check_pmbr(rep, s, disk_lbas);

	gpt_read_copy(s, 1, &prim);
	check_copy(rep, "primary", &prim);
	/* UEFI 5.3.1: the backup header is in the last LBA of the disk. */
	back_lba = disk_lbas ? disk_lbas - 1 : 0;
	if (prim.status == GPT_OK && prim.h.alternate_lba != back_lba) {
		res(rep, "IMG-1.backup-header", false,
		    "the primary header's AlternateLBA is %" PRIu64
		    " but the image's last LBA is %" PRIu64 " (%" PRIu64
		    " bytes)%s",
		    prim.h.alternate_lba, back_lba, s->size,
		    prim.h.alternate_lba > back_lba ? ": the image is truncated"
						    : "");
		res_st(rep, "IMG-1.backup-crc", CHK_NOT_CHECKED,
		       "no backup header at the last LBA");
		res_st(rep, "IMG-1.backup-array-crc", CHK_NOT_CHECKED,
		       "no backup header at the last LBA");
		memset(&back, 0, sizeof(back));
		back.status = GPT_ERR_MISSING;
	} else {
		gpt_read_copy(s, back_lba, &back);
		check_copy(rep, "backup", &back);
	}
	if (prim.status == GPT_OK && back.status == GPT_OK)
		res(rep, "IMG-1.backup-match",
		    gpt_copies_agree(&prim, &back, why, sizeof(why)), "%s",
		    gpt_copies_agree(&prim, &back, why, sizeof(why))
			? "primary and backup agree (DiskGUID, usable LBAs, entry arrays)"
			: why);
	else
		res_st(rep, "IMG-1.backup-match", CHK_NOT_CHECKED,
		       "needs two valid GPT copies");

	use = prim.status == GPT_OK   ? &prim
	      : back.status == GPT_OK ? &back
				      : NULL;
	if (!use) {
		static const char *const ids[] = {"IMG-1.entries", "IMG-2.esp",
						  NULL};

		not_checked(rep, ids, "no valid GPT");
		not_checked(rep, ids_fat, "no valid GPT");
		goto guest;
	}
	n = gpt_entries(use, parts, GPT_MAX_PARTS);
	check_entries(rep, s, use, parts, n);

	for (int i = 0; i < n; i++) {
		uint8_t espg[16];

		guid_parse(GPT_TYPE_ESP, espg);
		if (!memcmp(parts[i].type, espg, 16)) {
			if (esp < 0)
				esp = i;
			nesp++;
		}
	}
	if (nesp == 0) {
		char list[200] = "";
		size_t l = 0;

		for (int i = 0; i < n && l < sizeof(list) - 40; i++) {
			char g[GUID_STR_LEN];
			const char *d = gpt_type_describe(parts[i].type);

			guid_format(parts[i].type, g);
			l += (size_t)snprintf(list + l, sizeof(list) - l,
					      "%s%u: %s", i ? ", " : "",
					      parts[i].index, d ? d : g);
		}
		res(rep, "IMG-2.esp", false,
		    "no partition has the ESP type GUID %s (partitions: %s)",
		    GPT_TYPE_ESP, n ? list : "none");
		not_checked(rep, ids_fat, "no ESP");
		goto guest;
	}
	if (nesp > 1) {
		res(rep, "IMG-2.esp", false,
		    "%d partitions have the ESP type GUID: one is expected (UEFI 2.4A 12.3.1.3); checking the first, partition %u",
		    nesp, parts[esp].index);
	} else {
		res(rep, "IMG-2.esp", true,
		    "partition %u: ESP type GUID, LBAs %" PRIu64 "..%" PRIu64
		    " (%" PRIu64 " MiB)",
		    parts[esp].index, parts[esp].first_lba, parts[esp].last_lba,
		    (parts[esp].last_lba - parts[esp].first_lba + 1) >> 11);
	}
	/* UEFI 12.3.3: attribute bit 1 excludes a system partition. */
	res(rep, "IMG-2.esp-attr", !(parts[esp].attributes & 2),
	    "partition %u: attributes 0x%016" PRIx64 "%s", parts[esp].index,
	    parts[esp].attributes,
	    parts[esp].attributes & 2
		? ": bit 1 (no block I/O protocol) hides the ESP from the firmware"
		: "");

	if (!gpt_part_extent(&parts[esp], s->size, &esp_off, &esp_len)) {
		res(rep, "IMG-3.fat32", false,
		    "the ESP (partition %u, LBAs %" PRIu64 "..%" PRIu64
		    ") does not lie inside the image (%" PRIu64 " bytes)",
		    parts[esp].index, parts[esp].first_lba, parts[esp].last_lba,
		    s->size);
		not_checked(rep, ids_fat + 1,
			    "the ESP is not inside the image");
		goto guest;
	}
	if (fat_open(&v, s, esp_off, esp_len, why, sizeof(why))) {
		res(rep, "IMG-3.fat32", false,
		    "the ESP (partition %u) holds no readable FAT: %s",
		    parts[esp].index, why);
		not_checked(rep, ids_fat + 1, "no FAT file system in the ESP");
		goto guest;
	}
	esp_open = true;
	check_bpb(rep, &v, parts[esp].last_lba - parts[esp].first_lba + 1);
	fat_check_tree(&v, &t);
	check_fat_meta(rep, &v, &t);
	check_boot_files(rep, s, &v, parts, n, esp, arch);
	check_varstore(rep, &v);

guest:
	/* IMG-7..IMG-10: the guest kernel's configuration (image/guest.c). */
	if (!(flags & CHK_NO_GUEST)) {
		struct guest_report g;

		/* The ESP as opened above (IMG-3), not found and opened again. */
		if (use)
			guest_check(s, parts, n, esp, esp_open ? &v : NULL, &g);
		else
			guest_not_checked(
			    &g, "no valid GPT: no partitions to read");
		for (int i = 0; i < GUEST_RULES; i++)
			res_st(rep, g.r[i].id, g.r[i].status, "%s",
			       g.r[i].evidence);
	}
	if (esp_open)
		fat_close(&v);
	gpt_copy_free(&prim);
	gpt_copy_free(&back);
	/* Only an image that passes every must boots anywhere. */
	if (chk_count(rep, CHK_FAIL))
		rep->boots[1] = rep->boots[2] = false;
	return chk_count(rep, CHK_FAIL) ? 1 : 0;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void chk_print(const struct chk_report *rep, FILE *f, bool json,
	       const char *image)
{
	int fails = chk_count(rep, CHK_FAIL);

	if (json) {
		fprintf(f, "{\"image\": ");
		json_str(f, image);
		fprintf(f, ", \"results\": [");
		for (int i = 0; i < rep->n; i++) {
			const struct chk_result *r = &rep->r[i];
			char rule[16];

			snprintf(rule, sizeof(rule), "%.*s",
				 (int)strcspn(r->id, "."), r->id);
			fprintf(
			    f,
			    "%s\n  {\"id\": \"%s\", \"rule\": \"%s\", \"level\": \"%s\", \"status\": \"%s\", \"file\": ",
			    i ? "," : "", r->id, rule, r->level,
			    chk_status_name(r->status));
			json_str(f, r->file);
			fprintf(f, ", \"evidence\": ");
			json_str(f, r->evidence);
			fputc('}', f);
		}
		fprintf(
		    f,
		    "\n], \"boots\": [%s%s%s], \"failed\": %d, \"warnings\": %d, \"ok\": %s}\n",
		    rep->boots[1] ? "\"aarch64\"" : "",
		    rep->boots[1] && rep->boots[2] ? ", " : "",
		    rep->boots[2] ? "\"arm\"" : "", fails,
		    chk_count(rep, CHK_WARN), fails ? "false" : "true");
		return;
	}
	for (int i = 0; i < rep->n; i++)
		fprintf(f, "%-11s %-23s %s\n",
			chk_status_name(rep->r[i].status), rep->r[i].id,
			rep->r[i].evidence);
	fprintf(f, "boots: %s%s%s\n", rep->boots[1] ? "aarch64" : "",
		rep->boots[1] && rep->boots[2] ? ", " : "",
		rep->boots[2]	 ? "arm"
		: !rep->boots[1] ? "none"
				 : "");
	fprintf(f, "%s: %d passed, %d failed, %d warnings, %d not checked\n",
		fails ? "NOT COMPLIANT" : "compliant", chk_count(rep, CHK_PASS),
		fails, chk_count(rep, CHK_WARN),
		chk_count(rep, CHK_NOT_CHECKED));
}

int image_find_boot(const char *path, struct image_boot *out, char *why,
		    size_t whylen)
{
	struct chk_report rep;
	struct img_src s;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	memset(out, 0, sizeof(*out));
	if (fd < 0 || img_src_fd(&s, fd)) {
		snprintf(why, whylen, "cannot open '%s'", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	image_check(&s, CHK_ARCH_ANY, CHK_NO_GUEST, &rep);
	for (int a = PE_ARCH_AARCH64; a <= PE_ARCH_ARM; a++) {
		out->boots[a] = rep.file_ok[a];
		out->pe[a] = rep.pe[a];
	}
	out->compliant = !chk_count(&rep, CHK_FAIL);
	if (!out->boots[1] && !out->boots[2]) {
		int i;

		for (i = 0; i < rep.n && rep.r[i].status != CHK_FAIL; i++)
			;
		snprintf(why, whylen, "'%s' boots no execution state: %s: %s",
			 path, i < rep.n ? rep.r[i].id : "",
			 i < rep.n ? rep.r[i].evidence : "");
	}
	chk_report_free(&rep);
	close(fd);
	return out->boots[1] || out->boots[2] ? 0 : -1;
}
