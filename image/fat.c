// SPDX-License-Identifier: GPL-2.0
/* FAT reader: Microsoft FAT specification 1.03, sections 3-7. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/fat.h"
#include "image/guid.h"
#include "lib/util.h"

/*
 * Bounds that keep a hostile volume (a guest writes its own ESP, and armvm
 * and `armvm image check` read it) from costing unbounded time or memory,
 * whatever sizes its boot sector claims over a sparse file. At most: the
 * FAT (64 MiB: 16M FAT32 clusters, a 64 GiB volume of 4 KiB clusters),
 * the tree walk's cluster owners (4 bytes a cluster: 64 MiB), the
 * directory entries held at once down one path (FAT_MAX_LIVE_ENTRIES, about
 * 70 MiB, plus one directory being read: 35 MiB) or one file read whole
 * (FAT_MAX_FILE). So a check costs at most about 330 MiB.
 */
#define FAT_MAX_FAT_BYTES    (64u << 20)
#define FAT_MAX_DIR_BYTES    (2u << 20) /* 65536 entries: the FAT limit */
#define FAT_MAX_DEPTH	     32
#define FAT_MAX_FILE	     (256u << 20)
#define FAT_MAX_LIVE_ENTRIES 131072u

static int fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static bool pow2(uint32_t x)
{
	return x && !(x & (x - 1));
}

int fat_open(struct fat_vol *v, const struct img_src *s, uint64_t base,
	     uint64_t len, char *why, size_t whylen)
{
	const uint8_t *b = v->bs;
	uint64_t data_sec, fat_needed;

	memset(v, 0, sizeof(*v));
	v->src = s;
	v->base = base;
	v->len = len;
	if (len < 512 || img_read(s, base, v->bs, 512))
		return fail(why, whylen,
			    "offset %" PRIu64
			    ": no boot sector (volume of %" PRIu64 " bytes)",
			    base, len);
	v->bytes_per_sec = get_le16(b + 11);
	v->sec_per_clus = b[13];
	v->rsvd = get_le16(b + 14);
	v->nfats = b[16];
	v->root_ent_cnt = get_le16(b + 17);
	v->tot_sec16 = get_le16(b + 19);
	v->media = b[21];
	v->fatsz16 = get_le16(b + 22);
	v->tot_sec32 = get_le32(b + 32);
	v->fatsz32 = get_le32(b + 36);
	v->ext_flags = get_le16(b + 40);
	v->fs_ver = get_le16(b + 42);
	v->root_clus = get_le32(b + 44);
	v->fsinfo_sec = get_le16(b + 48);
	v->bk_boot_sec = get_le16(b + 50);
	v->tot_sec = v->tot_sec16 ? v->tot_sec16 : v->tot_sec32;
	v->fatsz = v->fatsz16 ? v->fatsz16 : v->fatsz32;

	if (b[0] != 0xEB && b[0] != 0xE9)
		return fail(
		    why, whylen,
		    "offset %" PRIu64
		    ": jump instruction 0x%02x, expected 0xEB or 0xE9: not a FAT boot sector",
		    base, b[0]);
	if (!pow2(v->bytes_per_sec) || v->bytes_per_sec < 512 ||
	    v->bytes_per_sec > 4096)
		return fail(
		    why, whylen,
		    "offset %" PRIu64
		    ": BPB_BytsPerSec %u, expected 512, 1024, 2048 or 4096",
		    base + 11, v->bytes_per_sec);
	if (!pow2(v->sec_per_clus))
		return fail(why, whylen,
			    "offset %" PRIu64
			    ": BPB_SecPerClus %u, expected a power of two",
			    base + 13, v->sec_per_clus);
	if (!v->rsvd || !v->nfats || !v->tot_sec || !v->fatsz)
		return fail(
		    why, whylen,
		    "offset %" PRIu64
		    ": BPB_RsvdSecCnt %u, BPB_NumFATs %u, total sectors %u, FAT size %u: none may be 0",
		    base + 14, v->rsvd, v->nfats, v->tot_sec, v->fatsz);
	v->root_dir_secs =
	    (v->root_ent_cnt * 32 + v->bytes_per_sec - 1) / v->bytes_per_sec;
	data_sec = (uint64_t)v->rsvd + (uint64_t)v->nfats * v->fatsz +
		   v->root_dir_secs;
	if (data_sec >= v->tot_sec)
		return fail(
		    why, whylen,
		    "offset %" PRIu64
		    ": reserved, FAT and root directory sectors (%" PRIu64
		    ") fill the whole volume (%u sectors)",
		    base + 14, data_sec, v->tot_sec);
	v->first_data_sec = (uint32_t)data_sec;
	v->clusters = (uint32_t)((v->tot_sec - data_sec) / v->sec_per_clus);
	v->cluster_bytes = v->sec_per_clus * v->bytes_per_sec;
	v->count_type = v->clusters < FAT16_MIN_CLUSTERS   ? 12
			: v->clusters < FAT32_MIN_CLUSTERS ? 16
							   : 32;
	/*
	 * The layout follows the BPB shape (FATSz16 == 0 means FAT32, as in
	 * EDK2 and Linux) so that an undersized FAT32 can still be read and
	 * reported; count_type is what the FAT specification says it is.
	 */
	if (!v->fatsz16)
		v->type = 32;
	else
		v->type = v->count_type == 12 ? 12 : 16;
	if (v->type == 32 && v->clusters > 0x0FFFFFF5u)
		return fail(why, whylen, "%u clusters: more than FAT32 allows",
			    v->clusters);
	/* Only what lies inside the partition may be read. */
	if ((uint64_t)v->tot_sec * v->bytes_per_sec < len)
		v->len = (uint64_t)v->tot_sec * v->bytes_per_sec;
	fat_needed = v->type == 12
			 ? ((uint64_t)v->clusters + 2) * 3 / 2 + 1
			 : ((uint64_t)v->clusters + 2) * (v->type / 8);
	v->fat_bytes = (size_t)v->fatsz * v->bytes_per_sec;
	if (v->fat_bytes < fat_needed)
		return fail(
		    why, whylen,
		    "offset %" PRIu64
		    ": FAT of %u sectors holds fewer entries than the %u clusters need",
		    base + 22, v->fatsz, v->clusters);
	if (v->fat_bytes > FAT_MAX_FAT_BYTES)
		return fail(
		    why, whylen,
		    "offset %" PRIu64
		    ": FAT of %zu bytes is larger than the %u bytes this checker reads",
		    base + 22, v->fat_bytes, FAT_MAX_FAT_BYTES);
	if (!range_ok((uint64_t)v->rsvd * v->bytes_per_sec, v->fat_bytes, len))
		return fail(
		    why, whylen,
		    "first FAT (sectors %u..%u) lies beyond the volume (%" PRIu64
		    " bytes)",
		    v->rsvd, v->rsvd + v->fatsz - 1, len);
	v->fat = malloc(v->fat_bytes);
	if (!v->fat || img_read(s, base + (uint64_t)v->rsvd * v->bytes_per_sec,
				v->fat, v->fat_bytes)) {
		free(v->fat);
		v->fat = NULL;
		return fail(why, whylen,
			    "cannot read the FAT at offset %" PRIu64,
			    base + (uint64_t)v->rsvd * v->bytes_per_sec);
	}
	return 0;
}

void fat_close(struct fat_vol *v)
{
	free(v->fat);
	free(v->owner);
	v->fat = NULL;
	v->owner = NULL;
}

uint32_t fat_get(const struct fat_vol *v, uint32_t c)
{
	size_t off;

	switch (v->type) {
	case 12:
		off = (size_t)c + c / 2;
		if (off + 1 >= v->fat_bytes)
			return 0x0FFFFFF7;
		return (get_le16(v->fat + off) >> ((c & 1) ? 4 : 0)) & 0xFFF;
	case 16:
		off = (size_t)c * 2;
		if (off + 1 >= v->fat_bytes)
			return 0x0FFFFFF7;
		return get_le16(v->fat + off);
	default:
		off = (size_t)c * 4;
		if (off + 3 >= v->fat_bytes)
			return 0x0FFFFFF7;
		return get_le32(v->fat + off) & 0x0FFFFFFF;
	}
}

bool fat_is_eoc(const struct fat_vol *v, uint32_t val)
{
	return v->type == 12   ? val >= 0xFF8
	       : v->type == 16 ? val >= 0xFFF8
			       : val >= 0x0FFFFFF8;
}

static bool fat_is_bad(const struct fat_vol *v, uint32_t val)
{
	return v->type == 12   ? val == 0xFF7
	       : v->type == 16 ? val == 0xFFF7
			       : val == 0x0FFFFFF7;
}

uint64_t fat_cluster_off(const struct fat_vol *v, uint32_t c)
{
	return v->base + ((uint64_t)v->first_data_sec +
			  (uint64_t)(c - 2) * v->sec_per_clus) *
			     v->bytes_per_sec;
}

static bool valid_cluster(const struct fat_vol *v, uint32_t c)
{
	return c >= 2 && c < v->clusters + 2;
}

/*
 * Follow the chain from start, for at most max_clusters clusters (0: the
 * whole chain). Calls fn for each cluster; stops on fn's non-zero return.
 * Returns the number of clusters, or -1 on a broken chain (why). With
 * owner/id, also detects loops and clusters shared with other chains.
 */
static long walk_chain(struct fat_vol *v, uint32_t start, uint32_t id,
		       char *why, size_t whylen)
{
	uint32_t c = start, n = 0;

	while (1) {
		uint32_t next;

		if (!valid_cluster(v, c))
			return fail(
			    why, whylen,
			    "cluster %u (after %u clusters of the chain from %u) is out of range 2..%u",
			    c, n, start, v->clusters + 1);
		if (v->owner && id) {
			if (v->owner[c] == id)
				return fail(
				    why, whylen,
				    "chain from cluster %u loops: cluster %u is reached twice",
				    start, c);
			if (v->owner[c])
				return fail(
				    why, whylen,
				    "chain from cluster %u is cross-linked at cluster %u with another file",
				    start, c);
			v->owner[c] = id;
		}
		n++;
		if (n > v->clusters)
			return fail(
			    why, whylen,
			    "chain from cluster %u loops (longer than the %u clusters of the volume)",
			    start, v->clusters);
		next = fat_get(v, c);
		if (fat_is_eoc(v, next))
			return n;
		if (next == 0)
			return fail(
			    why, whylen,
			    "chain from cluster %u reaches free cluster %u (FAT entry of %u is 0)",
			    start, c, c);
		if (fat_is_bad(v, next))
			return fail(
			    why, whylen,
			    "chain from cluster %u reaches a bad-cluster mark at cluster %u",
			    start, c);
		c = next;
	}
}

/* Read a chain's clusters, up to max bytes, into a malloc'ed buffer. */
static int read_chain(struct fat_vol *v, uint32_t start, size_t max,
		      uint8_t **out, size_t *outlen, uint32_t **clist,
		      char *why, size_t whylen)
{
	uint32_t c = start, n = 0;
	size_t cap = 0, len = 0;
	uint8_t *buf = NULL;
	uint32_t *cl = NULL;

	while (len < max) {
		uint32_t next;
		size_t take = v->cluster_bytes;
		uint64_t off;

		if (!valid_cluster(v, c) || n++ > v->clusters) {
			free(buf);
			free(cl);
			return fail(
			    why, whylen,
			    "broken chain from cluster %u at cluster %u", start,
			    c);
		}
		if (take > max - len)
			take = max - len;
		if (len + take > cap) {
			uint8_t *nb;
			uint32_t *ncl = NULL;

			cap = cap ? cap * 2 : 65536;
			if (cap < len + take)
				cap = len + take;
			nb = realloc(buf, cap);
			if (nb)
				buf = nb;
			if (nb && clist)
				ncl = realloc(cl, (cap / v->cluster_bytes + 1) *
						      sizeof(*cl));
			if (!nb || (clist && !ncl)) {
				free(buf);
				free(cl);
				return fail(why, whylen, "out of memory");
			}
			cl = ncl;
		}
		if (cl)
			cl[len / v->cluster_bytes] = c;
		off = fat_cluster_off(v, c);
		if (!range_ok(off - v->base, take, v->len) ||
		    img_read(v->src, off, buf + len, take)) {
			free(buf);
			free(cl);
			return fail(why, whylen,
				    "cluster %u at offset %" PRIu64
				    " lies beyond the volume or the image",
				    c, off);
		}
		len += take;
		next = fat_get(v, c);
		if (fat_is_eoc(v, next))
			break;
		c = next;
	}
	*out = buf;
	*outlen = len;
	if (clist)
		*clist = cl;
	return 0;
}

static uint8_t lfn_checksum(const uint8_t *name11)
{
	uint8_t sum = 0;

	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name11[i]);
	return sum;
}

static void short_name(const uint8_t *e, char *out, bool lower_base,
		       bool lower_ext)
{
	int n = 0, i;

	for (i = 0; i < 8 && e[i] != ' '; i++) {
		char ch = (char)((i == 0 && e[0] == 0x05) ? 0xE5 : e[i]);

		out[n++] = lower_base && ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
	}
	if (e[8] != ' ') {
		out[n++] = '.';
		for (i = 8; i < 11 && e[i] != ' '; i++)
			out[n++] = lower_ext && e[i] >= 'A' && e[i] <= 'Z'
				       ? (char)(e[i] + 32)
				       : (char)e[i];
	}
	out[n] = 0;
}

/*
 * A long name in progress (FAT spec 1.03, 7: "Long File Name
 * Implementation"): up to 20 entries, the last one (ordinal N, flag 0x40)
 * first on disk, then N-1 down to 1, all with the checksum of the 8.3
 * entry that follows them. Every entry is checked against that order
 * before its 13 characters are copied, so that an ordinal can only ever
 * address a slot 1..20 of the buffer.
 */
struct lfn_state {
	uint8_t name[20 * 26]; /* 13 UTF-16LE units per entry */
	int total;	       /* entries of the name, 0: none in progress */
	int next;	       /* ordinal expected next; 0 once complete */
	uint8_t sum;
};

static void lfn_reset(struct lfn_state *l)
{
	l->total = 0;
	l->next = 0;
}

/* One LFN directory entry e: take it into the name or drop the name. */
static void lfn_take(struct lfn_state *l, const uint8_t *e)
{
	int ord = e[0] & 0x1F;

	if (e[0] & 0x40) {
		if (ord < 1 || ord > 20) {
			lfn_reset(l);
			return;
		}
		memset(l->name, 0, sizeof(l->name));
		l->total = ord;
		l->sum = e[13];
	} else if (!l->total || ord < 1 || ord != l->next || e[13] != l->sum) {
		lfn_reset(l);
		return;
	}
	/* 13 UTF-16 units: 5 at 1, 6 at 14, 2 at 28. */
	memcpy(l->name + (ord - 1) * 26, e + 1, 10);
	memcpy(l->name + (ord - 1) * 26 + 10, e + 14, 12);
	memcpy(l->name + (ord - 1) * 26 + 22, e + 28, 4);
	l->next = ord - 1;
}

/* Does the complete long name belong to the 8.3 entry e? */
static bool lfn_complete_for(const struct lfn_state *l, const uint8_t *e)
{
	return l->total && l->next == 0 && l->sum == lfn_checksum(e);
}

static int parse_dir(const struct fat_vol *v, const uint8_t *d, size_t len,
		     uint64_t (*offset_of)(const struct fat_vol *, size_t,
					   const void *),
		     const void *ctx, struct fat_dirent **ents)
{
	size_t cap = 0;
	int n = 0;
	struct lfn_state lfn = {.total = 0};

	*ents = NULL;
	for (size_t off = 0; off + 32 <= len; off += 32) {
		const uint8_t *e = d + off;
		struct fat_dirent *de;

		if (e[0] == 0x00)
			break;
		if (e[0] == 0xE5) {
			lfn_reset(&lfn);
			continue;
		}
		if ((e[11] & 0x3F) == FAT_ATTR_LFN) {
			lfn_take(&lfn, e);
			continue;
		}
		if (e[11] & FAT_ATTR_VOLUME) {
			lfn_reset(&lfn);
			continue;
		}
		if (e[0] == '.' &&
		    (e[1] == ' ' || (e[1] == '.' && e[2] == ' '))) {
			lfn_reset(&lfn);
			continue;
		}
		if ((size_t)n == cap) {
			struct fat_dirent *ne;

			cap = cap ? cap * 2 : 16;
			ne = realloc(*ents, cap * sizeof(**ents));
			if (!ne) {
				free(*ents);
				*ents = NULL;
				return -1;
			}
			*ents = ne;
		}
		de = &(*ents)[n++];
		memset(de, 0, sizeof(*de));
		short_name(e, de->short_name, false, false);
		if (lfn_complete_for(&lfn, e)) {
			utf16le_to_utf8(lfn.name, (size_t)lfn.total * 13,
					de->name, sizeof(de->name));
		} else {
			/* Windows NT case bits (DIR_NTRes) for 8.3 names. */
			short_name(e, de->name, e[12] & 0x08, e[12] & 0x10);
		}
		lfn_reset(&lfn);
		de->attr = e[11];
		de->first_cluster = get_le16(e + 26);
		if (v->type == 32)
			de->first_cluster |= (uint32_t)get_le16(e + 20) << 16;
		de->size = get_le32(e + 28);
		de->entry_off = offset_of(v, off, ctx);
	}
	return n;
}

struct chain_ctx {
	const uint32_t *clusters; /* the directory's chain, in order */
};

/* Image offset of byte off of a directory stored in a cluster chain. */
static uint64_t chain_offset(const struct fat_vol *v, size_t off,
			     const void *ctx)
{
	const struct chain_ctx *cc = ctx;

	return fat_cluster_off(v, cc->clusters[off / v->cluster_bytes]) +
	       off % v->cluster_bytes;
}

static uint64_t root_offset(const struct fat_vol *v, size_t off,
			    const void *ctx)
{
	return v->base +
	       (uint64_t)(v->rsvd + v->nfats * v->fatsz) * v->bytes_per_sec +
	       off;
}

int fat_dir_read(struct fat_vol *v, const struct fat_dirent *dir,
		 struct fat_dirent **ents, char *why, size_t whylen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int n;
	struct chain_ctx cc;

	if (!dir && v->type != 32) {
		uint64_t off = (uint64_t)(v->rsvd + v->nfats * v->fatsz) *
			       v->bytes_per_sec;

		len = (size_t)v->root_ent_cnt * 32;
		if (!range_ok(off, len, v->len))
			return fail(why, whylen,
				    "root directory at offset %" PRIu64
				    " lies beyond the volume",
				    v->base + off);
		buf = malloc(len ? len : 1);
		if (!buf || img_read(v->src, v->base + off, buf, len)) {
			free(buf);
			return fail(why, whylen,
				    "cannot read the root directory");
		}
		n = parse_dir(v, buf, len, root_offset, NULL, ents);
	} else {
		uint32_t *cl = NULL;

		if (read_chain(v, dir ? dir->first_cluster : v->root_clus,
			       FAT_MAX_DIR_BYTES, &buf, &len, &cl, why, whylen))
			return -1;
		cc.clusters = cl;
		n = parse_dir(v, buf, len, chain_offset, &cc, ents);
		free(cl);
	}
	free(buf);
	if (n < 0)
		return fail(why, whylen, "out of memory");
	return n;
}

static bool name_matches(const struct fat_dirent *e, const char *name,
			 size_t len)
{
	return (strlen(e->name) == len && !strncasecmp(e->name, name, len)) ||
	       (strlen(e->short_name) == len &&
		!strncasecmp(e->short_name, name, len));
}

int fat_lookup(struct fat_vol *v, const char *path, struct fat_dirent *out,
	       char *why, size_t whylen)
{
	struct fat_dirent cur, *ents;
	bool at_root = true;
	const char *p = path;

	while (*p) {
		size_t len;
		int n, i;

		while (*p == '/' || *p == '\\')
			p++;
		if (!*p)
			break;
		len = strcspn(p, "/\\");
		if (!at_root && !(cur.attr & FAT_ATTR_DIR))
			return 1;
		n = fat_dir_read(v, at_root ? NULL : &cur, &ents, why, whylen);
		if (n < 0)
			return -1;
		for (i = 0; i < n; i++)
			if (name_matches(&ents[i], p, len))
				break;
		if (i == n) {
			free(ents);
			return 1;
		}
		cur = ents[i];
		free(ents);
		at_root = false;
		p += len;
	}
	if (at_root)
		return 1;
	*out = cur;
	return 0;
}

int fat_read_file(struct fat_vol *v, const struct fat_dirent *e, uint8_t **buf,
		  size_t max, char *why, size_t whylen)
{
	size_t len;

	if (e->size > max || e->size > FAT_MAX_FILE)
		return fail(why, whylen, "file of %u bytes is larger than %zu",
			    e->size, max);
	if (!e->size) {
		*buf = malloc(1);
		return *buf ? 0 : -1;
	}
	if (read_chain(v, e->first_cluster, e->size, buf, &len, NULL, why,
		       whylen))
		return -1;
	if (len < e->size) {
		free(*buf);
		return fail(
		    why, whylen,
		    "chain from cluster %u holds %zu bytes, the directory entry says %u",
		    e->first_cluster, len, e->size);
	}
	return 0;
}

static void check_dir(struct fat_vol *v, const struct fat_dirent *dir,
		      const char *path, int depth, uint32_t *next_id,
		      struct fat_tree_report *r)
{
	struct fat_dirent *ents;
	char why[200];
	int n;

	if (depth > FAT_MAX_DEPTH) {
		if (!r->dir_errors++)
			snprintf(
			    r->dir_why, sizeof(r->dir_why),
			    "%.200s: directories nested deeper than %d levels",
			    path, FAT_MAX_DEPTH);
		return;
	}
	n = fat_dir_read(v, dir, &ents, why, sizeof(why));
	if (n < 0) {
		if (!r->dir_errors++)
			snprintf(r->dir_why, sizeof(r->dir_why),
				 "%.200s: %.200s", path, why);
		return;
	}
	if (r->live_entries + (uint32_t)n > FAT_MAX_LIVE_ENTRIES) {
		if (!r->dir_errors++)
			snprintf(
			    r->dir_why, sizeof(r->dir_why),
			    "%.200s: more than %u directory entries along one path: not checked further",
			    path, FAT_MAX_LIVE_ENTRIES);
		free(ents);
		return;
	}
	r->live_entries += (uint32_t)n;
	for (int i = 0; i < n; i++) {
		struct fat_dirent *e = &ents[i];
		char sub[640];
		long len;
		uint32_t id = (*next_id)++;

		snprintf(sub, sizeof(sub), "%.400s/%.200s", path, e->name);
		if (e->attr & FAT_ATTR_DIR) {
			r->dirs++;
			len = walk_chain(v, e->first_cluster, id, why,
					 sizeof(why));
			if (len < 0) {
				if (!r->chain_errors++)
					snprintf(
					    r->chain_why, sizeof(r->chain_why),
					    "directory %.200s (entry at offset %" PRIu64
					    "): %.200s",
					    sub, e->entry_off, why);
				continue;
			}
			check_dir(v, e, sub, depth + 1, next_id, r);
			continue;
		}
		r->files++;
		if (!e->size && !e->first_cluster)
			continue;
		len = walk_chain(v, e->first_cluster, id, why, sizeof(why));
		if (len < 0) {
			if (!r->chain_errors++)
				snprintf(r->chain_why, sizeof(r->chain_why),
					 "file %.200s (entry at offset %" PRIu64
					 "): %.200s",
					 sub, e->entry_off, why);
		} else if ((uint64_t)len !=
			   ((uint64_t)e->size + v->cluster_bytes - 1) /
			       v->cluster_bytes) {
			if (!r->chain_errors++)
				snprintf(
				    r->chain_why, sizeof(r->chain_why),
				    "file %.200s (entry at offset %" PRIu64
				    "): size %u needs %" PRIu64
				    " clusters, its chain has %ld",
				    sub, e->entry_off, e->size,
				    ((uint64_t)e->size + v->cluster_bytes - 1) /
					v->cluster_bytes,
				    len);
		}
	}
	r->live_entries -= (uint32_t)n;
	free(ents);
}

void fat_check_tree(struct fat_vol *v, struct fat_tree_report *r)
{
	uint32_t next_id = 2;
	char why[200];

	memset(r, 0, sizeof(*r));
	free(v->owner);
	v->owner = calloc((size_t)v->clusters + 2, sizeof(*v->owner));
	if (!v->owner) {
		r->dir_errors = 1;
		snprintf(r->dir_why, sizeof(r->dir_why), "out of memory");
		return;
	}
	if (v->type == 32 &&
	    walk_chain(v, v->root_clus, 1, why, sizeof(why)) < 0) {
		r->chain_errors++;
		snprintf(r->chain_why, sizeof(r->chain_why),
			 "root directory: %.200s", why);
	} else {
		check_dir(v, NULL, "", 0, &next_id, r);
	}
	for (uint32_t c = 2; c < v->clusters + 2; c++) {
		uint32_t e = fat_get(v, c);

		if (!e)
			r->free_clusters++;
		else if (!v->owner[c] && !fat_is_bad(v, e))
			r->lost_clusters++;
	}
	free(v->owner);
	v->owner = NULL;
}
