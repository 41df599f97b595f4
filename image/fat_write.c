// SPDX-License-Identifier: GPL-2.0
/* FAT32 writer: Microsoft FAT specification 1.03, sections 3-7. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "image/fat.h"
#include "image/fat_write.h"
#include "image/guid.h"
#include "lib/util.h"

#define SECTOR	   512u
#define RESERVED   32u /* the usual FAT32 value: boot, FSInfo, backups */
#define COPY_CHUNK (1u << 20)

struct fatw_node {
	char *name;
	bool dir;
	char *src;
	uint64_t size;
	time_t mtime;
	struct fatw_node **kids;
	int nkids, cap;
	uint32_t first_cluster, nclusters;
	uint8_t short11[11];
	uint16_t lfn[256];
	int lfn_len; /* 0: the 8.3 name says it all */
};

static int fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * FAT32 geometry for a volume of the given size: 512-byte sectors,
 * cluster sizes after the table in the FAT specification (section 3.5),
 * FATs large enough for every cluster.
 */
static void geometry(uint64_t bytes, uint32_t *spc, uint32_t *fatsz,
		     uint32_t *clusters)
{
	uint64_t tot = bytes / SECTOR;
	uint32_t f = 1;
	uint64_t c = 0;

	*spc = bytes <= (260ull << 20)	? 1
	       : bytes <= (8ull << 30)	? 8
	       : bytes <= (16ull << 30) ? 16
	       : bytes <= (32ull << 30) ? 32
					: 64;
	/* Converges in a few steps: more FAT means fewer clusters. */
	for (int i = 0; i < 16; i++) {
		uint64_t need;

		if (tot <= RESERVED + 2ull * f) {
			c = 0;
			break;
		}
		c = (tot - RESERVED - 2ull * f) / *spc;
		need = ((c + 2) * 4 + SECTOR - 1) / SECTOR;
		if (need <= f)
			break;
		f = (uint32_t)need;
	}
	*fatsz = f;
	*clusters = c > 0x0FFFFFF5u ? 0x0FFFFFF5u : (uint32_t)c;
}

uint64_t fatw_min_size(void)
{
	uint32_t spc, fatsz, clusters;

	for (uint64_t mib = 1;; mib++) {
		geometry(mib << 20, &spc, &fatsz, &clusters);
		if (clusters >= FAT32_MIN_CLUSTERS)
			return mib << 20;
	}
}

int fatw_init(struct fatw *w, uint64_t bytes, char *why, size_t whylen)
{
	memset(w, 0, sizeof(*w));
	if (bytes > (2048ull << 30))
		return fail(why, whylen, "larger than 2 TiB, the FAT32 limit");
	geometry(bytes, &w->spc, &w->fatsz, &w->clusters);
	if (w->clusters < FAT32_MIN_CLUSTERS)
		return fail(
		    why, whylen,
		    "too small for FAT32 (%u clusters, at least 65525 needed): the minimum is %" PRIu64
		    "M",
		    w->clusters, fatw_min_size() >> 20);
	w->bytes = bytes;
	w->tot_sec = (uint32_t)(bytes / SECTOR);
	w->rsvd = RESERVED;
	w->cluster_bytes = w->spc * SECTOR;
	w->next_free = 2;
	w->fat = calloc((size_t)w->clusters + 2, sizeof(uint32_t));
	w->root = calloc(1, sizeof(*w->root));
	if (!w->fat || !w->root)
		return fail(why, whylen, "out of memory");
	w->root->dir = true;
	w->root->name = strdup("");
	memcpy(w->label, "ESP        ", 12);
	w->now = time(NULL);
	return 0;
}

static void free_node(struct fatw_node *n)
{
	if (!n)
		return;
	for (int i = 0; i < n->nkids; i++)
		free_node(n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n->src);
	free(n);
}

void fatw_free(struct fatw *w)
{
	free_node(w->root);
	free(w->fat);
	w->root = NULL;
	w->fat = NULL;
}

/* Characters a long name may not hold (FAT spec 7.2; plus controls). */
static bool valid_component(const char *c, size_t len)
{
	if (!len || len > 255 || (len == 1 && c[0] == '.') ||
	    (len == 2 && c[0] == '.' && c[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)c[i] < 0x20 || strchr("\"*:<>?\\|", c[i]))
			return false;
	/* Windows and EDK2 drop trailing dots and spaces. */
	return c[len - 1] != '.' && c[len - 1] != ' ';
}

static struct fatw_node *find_kid(struct fatw_node *d, const char *name)
{
	for (int i = 0; i < d->nkids; i++)
		if (!strcasecmp(d->kids[i]->name, name))
			return d->kids[i];
	return NULL;
}

static struct fatw_node *new_kid(struct fatw_node *d, const char *name,
				 bool dir)
{
	struct fatw_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	if (d->nkids == d->cap) {
		struct fatw_node **k;

		d->cap = d->cap ? d->cap * 2 : 8;
		k = realloc(d->kids, (size_t)d->cap * sizeof(*k));
		if (!k) {
			free(n);
			return NULL;
		}
		d->kids = k;
	}
	n->name = strdup(name);
	n->dir = dir;
	d->kids[d->nkids++] = n;
	return n;
}

static int name_sort(const struct dirent **a, const struct dirent **b)
{
	/* Byte order, not the locale's: the same on every host. */
	return strcmp((*a)->d_name, (*b)->d_name);
}

int fatw_add(struct fatw *w, const char *dest, const char *src, char *why,
	     size_t whylen)
{
	struct fatw_node *d = w->root, *n;
	const char *p = dest;
	char comp[256];
	struct stat st;

	if (stat(src, &st))
		return fail(why, whylen, "'%s': %s", src, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return fail(why, whylen,
			    "'%s': not a regular file or a directory", src);
	/* Walk (and make) the parents; the last component is the entry. */
	while (1) {
		size_t len;
		const char *next;

		while (*p == '/' || *p == '\\')
			p++;
		if (!*p)
			break;
		len = strcspn(p, "/\\");
		next = p + len;
		while (*next == '/' || *next == '\\')
			next++;
		if (!valid_component(p, len))
			return fail(
			    why, whylen,
			    "destination '%s': '%.*s' is not a valid FAT long name",
			    dest, (int)(len > 255 ? 255 : len), p);
		memcpy(comp, p, len);
		comp[len] = 0;
		if (utf8_to_utf16(comp, (uint16_t[256]){0}, 255) < 0)
			return fail(
			    why, whylen,
			    "destination '%s': '%s' is not valid UTF-8 of at most 255 UTF-16 units",
			    dest, comp);
		n = find_kid(d, comp);
		if (!*next && !S_ISDIR(st.st_mode)) {
			if (n)
				return fail(
				    why, whylen,
				    "destination '%s' is given twice (FAT names are case-insensitive: '%s' exists)",
				    dest, n->name);
			n = new_kid(d, comp, false);
			if (!n || !(n->src = strdup(src)))
				return fail(why, whylen, "out of memory");
			if ((uint64_t)st.st_size > 0xFFFFFFFFull)
				return fail(
				    why, whylen,
				    "'%s': %" PRIu64
				    " bytes, larger than the 4 GiB - 1 a FAT file can hold",
				    src, (uint64_t)st.st_size);
			n->size = (uint64_t)st.st_size;
			n->mtime = st.st_mtime;
			return 0;
		}
		if (n && !n->dir)
			return fail(
			    why, whylen,
			    "destination '%s': '%s' is a file, not a directory",
			    dest, n->name);
		if (!n && !(n = new_kid(d, comp, true)))
			return fail(why, whylen, "out of memory");
		if (!*next)
			n->mtime = st.st_mtime;
		d = n;
		p = next;
	}
	if (!S_ISDIR(st.st_mode))
		return fail(why, whylen, "'%s': destination '%s' names no file",
			    src, dest);
	/* A directory: its contents, recursively, in name order. */
	{
		struct dirent **ents;
		int cnt = scandir(src, &ents, NULL, name_sort), rc = 0;

		if (cnt < 0)
			return fail(why, whylen, "'%s': %s", src,
				    strerror(errno));
		for (int i = 0; i < cnt; i++) {
			char *s2 = NULL, *d2 = NULL;
			const char *nm = ents[i]->d_name;

			if (!rc && strcmp(nm, ".") && strcmp(nm, "..")) {
				if (asprintf(&s2, "%s/%s", src, nm) < 0 ||
				    asprintf(&d2, "%s/%s", dest, nm) < 0)
					rc = fail(why, whylen, "out of memory");
				else
					rc = fatw_add(w, d2, s2, why, whylen);
			}
			free(s2);
			free(d2);
			free(ents[i]);
		}
		free(ents);
		return rc;
	}
}

/* Characters allowed in an 8.3 name besides A-Z and 0-9 (FAT spec 6.1). */
static bool short_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && c < 128 && strchr("$%'-_@~`!(){}^#&", c));
}

/* Is name (upper-cased if up) exactly an 8.3 name? Fill out if so. */
static bool plain_83(const char *name, bool up, uint8_t out[11])
{
	const char *dot = strchr(name, '.');
	size_t bl = dot ? (size_t)(dot - name) : strlen(name);
	size_t el = dot ? strlen(dot + 1) : 0;

	if (!bl || bl > 8 || el > 3 || (dot && (!el || strchr(dot + 1, '.'))))
		return false;
	memset(out, ' ', 11);
	for (size_t i = 0; i < bl + (dot ? el + 1 : 0); i++) {
		unsigned char c = (unsigned char)name[i];

		if (i == bl)
			continue;
		if (up && c >= 'a' && c <= 'z')
			c -= 32;
		if (!short_char(c))
			return false;
		out[i < bl ? i : 8 + i - bl - 1] = c;
	}
	return true;
}

/* A numeric-tail short name for a long name (FAT spec 7.4). */
static void basis_name(const char *name, int tail, uint8_t out[11])
{
	const char *last_dot = strrchr(name, '.');
	char base[9], ext[4], num[16];
	size_t bl = 0, el = 0, keep;

	while (*name == '.')
		name++;
	if (last_dot && last_dot < name)
		last_dot = NULL;
	for (const char *p = name; *p && p != last_dot; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == ' ' || c == '.' || (c & 0xC0) == 0x80)
			continue;
		if (c >= 'a' && c <= 'z')
			c -= 32;
		if (bl < 8)
			base[bl++] = short_char(c) ? (char)c : '_';
	}
	for (const char *p = last_dot ? last_dot + 1 : ""; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == ' ' || (c & 0xC0) == 0x80)
			continue;
		if (c >= 'a' && c <= 'z')
			c -= 32;
		if (el < 3)
			ext[el++] = short_char(c) ? (char)c : '_';
	}
	if (!bl)
		base[bl++] = '_';
	snprintf(num, sizeof(num), "~%d", tail);
	keep = 8 - strlen(num);
	if (bl > keep)
		bl = keep;
	memset(out, ' ', 11);
	memcpy(out, base, bl);
	memcpy(out + bl, num, strlen(num));
	memcpy(out + 8, ext, el);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp((*(struct fatw_node *const *)a)->name,
		      (*(struct fatw_node *const *)b)->name);
}

static int assign_names(struct fatw_node *d, char *why, size_t whylen)
{
	qsort(d->kids, (size_t)d->nkids, sizeof(*d->kids), name_cmp);
	for (int i = 0; i < d->nkids; i++) {
		struct fatw_node *n = d->kids[i];
		bool taken;
		int tail = 0;

		if (plain_83(n->name, false, n->short11)) {
			n->lfn_len = 0;
		} else {
			n->lfn_len = utf8_to_utf16(n->name, n->lfn, 255);
			if (n->lfn_len <= 0)
				return fail(why, whylen, "'%s': bad name",
					    n->name);
			/* Only the case differs: keep the name, add an LFN. */
			if (!plain_83(n->name, true, n->short11))
				basis_name(n->name, tail = 1, n->short11);
		}
		do {
			taken = false;
			for (int j = 0; j < i; j++)
				if (!memcmp(d->kids[j]->short11, n->short11,
					    11))
					taken = true;
			if (taken) {
				if (!n->lfn_len || tail >= 999999)
					return fail(why, whylen,
						    "'%s': no free 8.3 name",
						    n->name);
				basis_name(n->name, ++tail, n->short11);
			}
		} while (taken);
	}
	return 0;
}

static uint32_t dir_entries(const struct fatw_node *d, bool root)
{
	uint32_t n = root ? 1 : 2; /* the volume label, or "." and ".." */

	for (int i = 0; i < d->nkids; i++)
		n += 1 + (uint32_t)(d->kids[i]->lfn_len + 12) / 13;
	return n;
}

static int alloc_clusters(struct fatw *w, uint32_t n, uint32_t *first)
{
	if (n > w->clusters + 2 - w->next_free)
		return -1;
	*first = n ? w->next_free : 0;
	for (uint32_t i = 0; i < n; i++)
		w->fat[w->next_free + i] =
		    i + 1 < n ? w->next_free + i + 1 : 0x0FFFFFFF;
	w->next_free += n;
	return 0;
}

static int layout_dir(struct fatw *w, struct fatw_node *d, bool root,
		      const char *path, char *why, size_t whylen)
{
	uint64_t bytes;

	if (assign_names(d, why, whylen))
		return -1;
	bytes = (uint64_t)dir_entries(d, root) * 32;
	if (bytes > 65536 * 32)
		return fail(
		    why, whylen,
		    "directory '%s/' has more than the 65536 entries FAT allows",
		    path);
	d->nclusters =
	    (uint32_t)((bytes + w->cluster_bytes - 1) / w->cluster_bytes);
	if (alloc_clusters(w, d->nclusters, &d->first_cluster))
		goto full;
	for (int i = 0; i < d->nkids; i++) {
		struct fatw_node *n = d->kids[i];
		char sub[1024];

		snprintf(sub, sizeof(sub), "%s/%s", path, n->name);
		if (n->dir) {
			if (layout_dir(w, n, false, sub, why, whylen))
				return -1;
			continue;
		}
		n->nclusters = (uint32_t)((n->size + w->cluster_bytes - 1) /
					  w->cluster_bytes);
		if (alloc_clusters(w, n->nclusters, &n->first_cluster)) {
			uint64_t free_b =
			    (uint64_t)(w->clusters + 2 - w->next_free) *
			    w->cluster_bytes;

			return fail(
			    why, whylen,
			    "'%s' (%" PRIu64
			    " bytes, as %s) does not fit in the ESP: %" PRIu64
			    " bytes free of %" PRIu64,
			    n->src, n->size, sub, free_b, w->bytes);
		}
	}
	return 0;
full:
	return fail(why, whylen, "directory '%s/' does not fit in the ESP",
		    path);
}

int fatw_layout(struct fatw *w, char *why, size_t whylen)
{
	return layout_dir(w, w->root, true, "", why, whylen);
}

int write_sparse(int fd, const void *buf, size_t len, uint64_t off,
		 uint64_t *written)
{
	static const uint8_t zero[4096];
	const uint8_t *p = buf;
	size_t i = 0;

	while (i < len) {
		size_t start, n;

		/* Skip zero blocks: the fresh image already reads as 0. */
		while (i < len) {
			n = len - i < 4096 ? len - i : 4096;
			if (memcmp(p + i, zero, n))
				break;
			i += n;
		}
		start = i;
		while (i < len) {
			n = len - i < 4096 ? len - i : 4096;
			if (!memcmp(p + i, zero, n))
				break;
			i += n;
		}
		for (size_t done = start; done < i;) {
			ssize_t r =
			    pwrite(fd, p + done, i - done, (off_t)(off + done));

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
			done += (size_t)r;
			if (written)
				*written += (uint64_t)r;
		}
	}
	return 0;
}

/* FAT date and time (FAT spec 6.3), in UTC, clamped to 1980..2107. */
static void fat_time(time_t t, uint16_t *date, uint16_t *tm)
{
	struct tm g;

	if (t < 315532800)
		t = 315532800; /* 1980-01-01 */
	if (!gmtime_r(&t, &g) || g.tm_year > 207) {
		*date = (uint16_t)(127 << 9 | 12 << 5 | 31);
		*tm = (uint16_t)(23 << 11 | 59 << 5 | 29);
		return;
	}
	*date =
	    (uint16_t)((g.tm_year - 80) << 9 | (g.tm_mon + 1) << 5 | g.tm_mday);
	*tm = (uint16_t)(g.tm_hour << 11 | g.tm_min << 5 | g.tm_sec / 2);
}

static void put_entry(uint8_t *e, const uint8_t name[11], uint8_t attr,
		      uint32_t cluster, uint32_t size, time_t t)
{
	uint16_t date, tm;

	fat_time(t, &date, &tm);
	memcpy(e, name, 11);
	e[11] = attr;
	put_le16(e + 14, tm);
	put_le16(e + 16, date);
	put_le16(e + 18, date);
	put_le16(e + 20, (uint16_t)(cluster >> 16));
	put_le16(e + 22, tm);
	put_le16(e + 24, date);
	put_le16(e + 26, (uint16_t)cluster);
	put_le32(e + 28, size);
}

static uint8_t lfn_sum(const uint8_t *n)
{
	uint8_t s = 0;

	for (int i = 0; i < 11; i++)
		s = (uint8_t)(((s & 1) << 7) + (s >> 1) + n[i]);
	return s;
}

static time_t node_time(const struct fatw *w, const struct fatw_node *n)
{
	if (w->have_epoch)
		return w->epoch;
	return n->mtime ? n->mtime : w->now;
}

static int write_dir(struct fatw *w, int fd, uint64_t base, struct fatw_node *d,
		     struct fatw_node *parent, char *why, size_t whylen)
{
	size_t len = (size_t)d->nclusters * w->cluster_bytes;
	uint8_t *buf = calloc(1, len), *e;
	time_t t = node_time(w, d);
	int rc;

	if (!buf)
		return fail(why, whylen, "out of memory");
	e = buf;
	if (!parent) {
		put_entry(e, (const uint8_t *)w->label, FAT_ATTR_VOLUME, 0, 0,
			  t);
		e += 32;
	} else {
		/* ".." of a first-level directory points at cluster 0. */
		put_entry(e, (const uint8_t *)".          ", FAT_ATTR_DIR,
			  d->first_cluster, 0, t);
		put_entry(e + 32, (const uint8_t *)"..         ", FAT_ATTR_DIR,
			  parent == w->root ? 0 : parent->first_cluster, 0, t);
		e += 64;
	}
	for (int i = 0; i < d->nkids; i++) {
		struct fatw_node *n = d->kids[i];
		int cnt = (n->lfn_len + 12) / 13;
		uint8_t sum = lfn_sum(n->short11);

		/* LFN entries, last part first (FAT spec 7.1). */
		for (int k = cnt; k >= 1; k--, e += 32) {
			static const int pos[13] = {1,	3,  5,	7,  9,	14, 16,
						    18, 20, 22, 24, 28, 30};

			e[0] = (uint8_t)(k | (k == cnt ? 0x40 : 0));
			e[11] = FAT_ATTR_LFN;
			e[13] = sum;
			for (int j = 0; j < 13; j++) {
				int u = (k - 1) * 13 + j;
				uint16_t ch = u < n->lfn_len	? n->lfn[u]
					      : u == n->lfn_len ? 0
								: 0xFFFF;

				put_le16(e + pos[j], ch);
			}
		}
		put_entry(e, n->short11,
			  n->dir ? FAT_ATTR_DIR : FAT_ATTR_ARCHIVE,
			  n->first_cluster, n->dir ? 0 : (uint32_t)n->size,
			  node_time(w, n));
		e += 32;
	}
	rc = write_sparse(fd, buf, len,
			  base + (uint64_t)(w->rsvd + 2 * w->fatsz) * SECTOR +
			      (uint64_t)(d->first_cluster - 2) *
				  w->cluster_bytes,
			  &w->bytes_written);
	free(buf);
	if (rc)
		return fail(why, whylen, "writing a directory: %s",
			    strerror(errno));
	return 0;
}

static int write_file(struct fatw *w, int fd, uint64_t off, struct fatw_node *n,
		      struct sha256 *h, char *why, size_t whylen)
{
	int in = open(n->src, O_RDONLY | O_CLOEXEC);
	uint8_t *buf;
	uint64_t done = 0;
	uLong crc = crc32(0, NULL, 0);
	uint8_t tag[12];

	if (in < 0)
		return fail(why, whylen, "'%s': %s", n->src, strerror(errno));
	buf = malloc(COPY_CHUNK);
	if (!buf) {
		close(in);
		return fail(why, whylen, "out of memory");
	}
	while (1) {
		ssize_t r = read(in, buf, COPY_CHUNK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fail(why, whylen, "'%s': %s", n->src, strerror(errno));
			goto err;
		}
		if (r == 0)
			break;
		if (done + (uint64_t)r > n->size) {
			fail(why, whylen, "'%s' grew while being copied",
			     n->src);
			goto err;
		}
		w->bytes_read += (uint64_t)r;
		if (w->progress)
			progress_add(w->progress, (uint64_t)r);
		crc = crc32(crc, buf, (uInt)r);
		if (write_sparse(fd, buf, (size_t)r, off + done,
				 &w->bytes_written)) {
			fail(why, whylen, "writing '%s' into the image: %s",
			     n->src, strerror(errno));
			goto err;
		}
		done += (uint64_t)r;
	}
	if (done != n->size) {
		fail(why, whylen, "'%s' shrank while being copied", n->src);
		goto err;
	}
	/* The contents feed the derived GUIDs and volume id. */
	put_le64(tag, n->size);
	put_le32(tag + 8, (uint32_t)crc);
	sha256_update(h, tag, sizeof(tag));
	free(buf);
	close(in);
	return 0;
err:
	free(buf);
	close(in);
	return -1;
}

static int write_tree(struct fatw *w, int fd, uint64_t base,
		      struct fatw_node *d, struct fatw_node *parent,
		      struct sha256 *h, char *why, size_t whylen)
{
	if (write_dir(w, fd, base, d, parent, why, whylen))
		return -1;
	for (int i = 0; i < d->nkids; i++) {
		struct fatw_node *n = d->kids[i];

		sha256_update(h, n->name, strlen(n->name) + 1);
		if (n->dir) {
			if (write_tree(w, fd, base, n, d, h, why, whylen))
				return -1;
		} else if (n->size &&
			   write_file(w, fd,
				      base +
					  (uint64_t)(w->rsvd + 2 * w->fatsz) *
					      SECTOR +
					  (uint64_t)(n->first_cluster - 2) *
					      w->cluster_bytes,
				      n, h, why, whylen)) {
			return -1;
		}
	}
	return 0;
}

static uint64_t tree_bytes(const struct fatw_node *d)
{
	uint64_t n = 0;

	for (int i = 0; i < d->nkids; i++)
		n +=
		    d->kids[i]->dir ? tree_bytes(d->kids[i]) : d->kids[i]->size;
	return n;
}

uint64_t fatw_file_bytes(const struct fatw *w)
{
	return w->root ? tree_bytes(w->root) : 0;
}

int fatw_write_data(struct fatw *w, int fd, uint64_t base, struct sha256 *h,
		    char *why, size_t whylen)
{
	size_t len = ALIGN_UP((size_t)w->next_free * 4, SECTOR);
	uint8_t *fat;
	int rc = 0;

	if (write_tree(w, fd, base, w->root, NULL, h, why, whylen))
		return -1;
	/* FAT[0]: media in the low byte; FAT[1]: end of chain, clean. */
	w->fat[0] = 0x0FFFFFF8;
	w->fat[1] = 0x0FFFFFFF;
	fat = calloc(1, len);
	if (!fat)
		return fail(why, whylen, "out of memory");
	for (uint32_t i = 0; i < w->next_free; i++)
		put_le32(fat + 4 * i, w->fat[i]);
	for (int copy = 0; copy < 2 && !rc; copy++)
		rc = write_sparse(fd, fat, len,
				  base + (uint64_t)(w->rsvd + copy * w->fatsz) *
					     SECTOR,
				  &w->bytes_written);
	free(fat);
	if (rc)
		return fail(why, whylen, "writing the FAT: %s",
			    strerror(errno));
	return 0;
}

int fatw_write_boot(struct fatw *w, int fd, uint64_t base, char *why,
		    size_t whylen)
{
	uint8_t bs[512] = {0}, fsi[512] = {0};
	uint32_t used = w->next_free - 2;

	bs[0] = 0xEB;
	bs[1] = 0x58;
	bs[2] = 0x90;
	memcpy(bs + 3, "ARMVM   ", 8);
	put_le16(bs + 11, SECTOR);
	bs[13] = (uint8_t)w->spc;
	put_le16(bs + 14, (uint16_t)w->rsvd);
	bs[16] = 2;
	bs[21] = 0xF8;
	put_le16(bs + 24, 63);
	put_le16(bs + 26, 255);
	put_le32(bs + 28, (uint32_t)w->hidden_sectors);
	put_le32(bs + 32, w->tot_sec);
	put_le32(bs + 36, w->fatsz);
	put_le32(bs + 44, 2); /* the root directory is laid out first */
	put_le16(bs + 48, 1);
	put_le16(bs + 50, 6);
	bs[64] = 0x80;
	bs[66] = 0x29;
	put_le32(bs + 67, w->volume_id);
	memcpy(bs + 71, w->label, 11);
	memcpy(bs + 82, "FAT32   ", 8);
	/* Not a BIOS boot disk: the boot code just halts. */
	bs[90] = 0xF4;
	bs[91] = 0xEB;
	bs[92] = 0xFD;
	bs[510] = 0x55;
	bs[511] = 0xAA;
	put_le32(fsi, 0x41615252);
	put_le32(fsi + 484, 0x61417272);
	put_le32(fsi + 488, w->clusters - used);
	put_le32(fsi + 492, w->next_free);
	put_le32(fsi + 508, 0xAA550000);
	if (write_sparse(fd, bs, 512, base, &w->bytes_written) ||
	    write_sparse(fd, fsi, 512, base + SECTOR, &w->bytes_written) ||
	    write_sparse(fd, bs, 512, base + 6 * SECTOR, &w->bytes_written) ||
	    write_sparse(fd, fsi, 512, base + 7 * SECTOR, &w->bytes_written))
		return fail(why, whylen, "writing the boot sector: %s",
			    strerror(errno));
	return 0;
}
