// SPDX-License-Identifier: GPL-2.0
/*
 * The UEFI conformance application's pure parts (see pure.h): built both
 * by gnu-efi into the application and natively into its unit test.
 */
#include <stdarg.h>

#include "conform/uefi/pure.h"

size_t cf_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int cf_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static bool cf_starts(const char *s, size_t len, const char *prefix)
{
	size_t i;

	for (i = 0; prefix[i]; i++)
		if (i >= len || s[i] != prefix[i])
			return false;
	return true;
}

/* The output buffer of cf_fmt: always NUL-terminated, silently cut. */
struct cf_out {
	char *buf;
	size_t size, len;
};

static void cf_put(struct cf_out *o, char c)
{
	if (o->size && o->len + 1 < o->size)
		o->buf[o->len++] = c;
}

static void cf_put_num(struct cf_out *o, uint64_t v, unsigned int base,
		       bool neg, unsigned int width, char pad)
{
	char tmp[24];
	unsigned int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v && n < sizeof(tmp));
	if (neg)
		tmp[n++] = '-';
	while (width > n) {
		cf_put(o, pad);
		width--;
	}
	while (n)
		cf_put(o, tmp[--n]);
}

static size_t cf_vfmt(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct cf_out o = {buf, size, 0};

	for (; *fmt; fmt++) {
		unsigned int width = 0, longs = 0;
		bool sized = false; /* %z: size_t, 32 bits on arm */
		char pad = ' ';
		uint64_t u;
		int64_t s;

		if (*fmt != '%') {
			cf_put(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned int)(*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			if (*fmt == 'z')
				sized = true;
			else
				longs++;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *str = va_arg(ap, const char *);

			if (!str)
				str = "(null)";
			while (*str)
				cf_put(&o, *str++);
			break;
		}
		case 'c':
			cf_put(&o, (char)va_arg(ap, int));
			break;
		case 'd':
			if (sized)
				s = (int64_t)va_arg(ap, ptrdiff_t);
			else if (longs >= 2)
				s = va_arg(ap, long long);
			else if (longs == 1)
				s = va_arg(ap, long);
			else
				s = va_arg(ap, int);
			u = s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
			cf_put_num(&o, u, 10, s < 0, width, pad);
			break;
		case 'u':
		case 'x':
			if (sized)
				u = va_arg(ap, size_t);
			else if (longs >= 2)
				u = va_arg(ap, unsigned long long);
			else if (longs == 1)
				u = va_arg(ap, unsigned long);
			else
				u = va_arg(ap, unsigned int);
			cf_put_num(&o, u, *fmt == 'x' ? 16 : 10, false, width,
				   pad);
			break;
		case '%':
			cf_put(&o, '%');
			break;
		default: /* unknown: shown, not interpreted */
			cf_put(&o, '%');
			if (!*fmt)
				goto out;
			cf_put(&o, *fmt);
		}
	}
out:
	if (size)
		buf[o.len] = 0;
	return o.len;
}

size_t cf_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = cf_vfmt(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static const char *const cf_status_names[] = {"PASS", "FAIL", "SKIP"};

size_t cf_line(char *buf, size_t size, const char *id, const char *rules,
	       enum cf_status st, const char *evidence)
{
	char ev[CF_EVIDENCE_MAX + 1];
	size_t i, n = 0;

	/* Trailing spaces would not survive a host that trims lines. */
	for (i = 0; evidence && evidence[i] && n < CF_EVIDENCE_MAX; i++) {
		unsigned char c = (unsigned char)evidence[i];

		ev[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	while (n && ev[n - 1] == ' ')
		n--;
	if (!n)
		ev[n++] = '-';
	ev[n] = 0;
	return cf_fmt(buf, size, "CONFORM %s %s %s %s", id, rules,
		      cf_status_names[st > CF_SKIP ? CF_FAIL : st], ev);
}

size_t cf_begin_line(char *buf, size_t size, const char *arch)
{
	return cf_fmt(buf, size, "CONFORM-BEGIN 1 %s", arch);
}

size_t cf_end_line(char *buf, size_t size, const struct cf_tally *t)
{
	return cf_fmt(buf, size, "CONFORM-END %u %u %u", t->pass, t->fail,
		      t->skip);
}

void cf_tally_add(struct cf_tally *t, enum cf_status st)
{
	if (st == CF_PASS)
		t->pass++;
	else if (st == CF_SKIP)
		t->skip++;
	else
		t->fail++;
}

/* The status word of a "CONFORM id rules STATUS ..." line of len bytes. */
static int cf_line_status(const char *l, size_t len)
{
	size_t i = 0;
	int field;

	if (!cf_starts(l, len, "CONFORM "))
		return -1;
	for (field = 0; field < 3; field++) {
		while (i < len && l[i] != ' ')
			i++;
		while (i < len && l[i] == ' ')
			i++;
	}
	for (field = CF_PASS; field <= CF_SKIP; field++)
		if (cf_starts(l + i, len - i, cf_status_names[field]))
			return field;
	return -1;
}

enum cf_phase cf_log_phase(const char *log, size_t len, struct cf_tally *t)
{
	enum cf_phase phase = CF_PHASE_FRESH;
	size_t i = 0;

	t->pass = t->fail = t->skip = 0;
	while (i < len) {
		size_t start = i, n;
		int st;

		while (i < len && log[i] != '\n')
			i++;
		n = i - start;
		if (i < len)
			i++;
		if (n && log[start + n - 1] == '\r')
			n--;
		if (!n)
			continue;
		/* The last line that is not empty decides the phase. */
		phase = CF_PHASE_FRESH;
		if (n == cf_strlen(CF_PENDING_RESET) &&
		    cf_starts(log + start, n, CF_PENDING_RESET))
			phase = CF_PHASE_AFTER_RESET;
		else if (n == cf_strlen(CF_PENDING_RESTART) &&
			 cf_starts(log + start, n, CF_PENDING_RESTART))
			phase = CF_PHASE_AFTER_RESTART;
		else if (cf_starts(log + start, n, "CONFORM-BEGIN "))
			t->pass = t->fail = t->skip = 0;
		st = cf_line_status(log + start, n);
		if (st >= 0)
			cf_tally_add(t, (enum cf_status)st);
	}
	return phase;
}

static char cf_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

bool cf_removable_path(const char *path, const char *bootname)
{
	char want[64];
	size_t i = 0, j = 0;

	cf_fmt(want, sizeof(want), "\\EFI\\BOOT\\%s", bootname);
	while (path[i] && want[j]) {
		if (cf_upper(path[i]) != cf_upper(want[j]))
			return false;
		if (path[i] == '\\')
			while (path[i + 1] == '\\')
				i++;
		i++;
		j++;
	}
	return !path[i] && !want[j];
}

/* FDT: big-endian fields read byte by byte (no alignment is assumed). */
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP	       4u
#define FDT_END	       9u

static uint32_t cf_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int cf_fdt_header(const void *blob, size_t avail, uint32_t *totalsize,
		  char *why, size_t whysize)
{
	const uint8_t *h = blob;
	uint32_t magic, size, off_struct, size_struct, off_strings;
	uint32_t size_strings, off_rsv, version, last_comp;

	if (!blob || avail < CF_FDT_HEADER_SIZE) {
		cf_fmt(why, whysize, "header: %zu bytes", avail);
		return -1;
	}
	magic = cf_be32(h);
	size = cf_be32(h + 4);
	off_struct = cf_be32(h + 8);
	off_strings = cf_be32(h + 12);
	off_rsv = cf_be32(h + 16);
	version = cf_be32(h + 20);
	last_comp = cf_be32(h + 24);
	size_strings = cf_be32(h + 32);
	size_struct = cf_be32(h + 36);
	if (magic != CF_FDT_MAGIC) {
		cf_fmt(why, whysize, "magic 0x%08x", magic);
		return -1;
	}
	if (size < CF_FDT_HEADER_SIZE || size > CF_FDT_MAX_SIZE) {
		cf_fmt(why, whysize, "totalsize %u", size);
		return -1;
	}
	if (version < 16 || last_comp > 17) {
		cf_fmt(why, whysize, "version %u last_comp_version %u", version,
		       last_comp);
		return -1;
	}
	if (version < 17) /* no size_dt_struct before v17 */
		size_struct = off_struct < size ? size - off_struct : 0;
	if (off_struct % 4 || off_struct < CF_FDT_HEADER_SIZE ||
	    (uint64_t)off_struct + size_struct > size ||
	    off_strings < CF_FDT_HEADER_SIZE ||
	    (uint64_t)off_strings + size_strings > size ||
	    off_rsv < CF_FDT_HEADER_SIZE || off_rsv >= size) {
		cf_fmt(
		    why, whysize,
		    "blocks outside totalsize %u: struct %u+%u strings %u+%u rsvmap %u",
		    size, off_struct, size_struct, off_strings, size_strings,
		    off_rsv);
		return -1;
	}
	if (avail != CF_FDT_HEADER_SIZE && size > avail) {
		cf_fmt(why, whysize, "totalsize %u past the %zu bytes", size,
		       avail);
		return -1;
	}
	*totalsize = size;
	return 0;
}

/* One node on the walk's path. */
struct cf_node {
	const char *name;
	size_t name_len; /* up to '@' */
	bool is_cpu, is_memory, disabled;
	bool is_gic, is_pl011, is_ecam;
	const uint8_t *reg;
	uint32_t reg_len;
};

static bool cf_name_is(const struct cf_node *n, const char *name)
{
	return n->name_len == cf_strlen(name) &&
	       cf_starts(n->name, n->name_len, name);
}

static bool cf_value_is(const uint8_t *v, uint32_t len, const char *s)
{
	size_t n = cf_strlen(s);

	/* One NUL-terminated string (a trailing NUL is optional). */
	return (len == n || (len == n + 1 && !v[n])) &&
	       cf_starts((const char *)v, len, s);
}

/* Whether the stringlist value holds s. */
static bool cf_list_has(const uint8_t *v, uint32_t len, const char *s)
{
	uint32_t i = 0;

	while (i < len) {
		uint32_t start = i;

		while (i < len && v[i])
			i++;
		if (cf_value_is(v + start, i - start, s))
			return true;
		i++;
	}
	return false;
}

static void cf_copy(char *dst, size_t size, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n && src[i] && i + 1 < size; i++)
		dst[i] = src[i];
	dst[i] = 0;
}

static const char *const cf_gics[] = {
    "arm,gic-v3", "arm,gic-400", "arm,cortex-a15-gic", "arm,cortex-a7-gic"};
static const char *const cf_timers[] = {"arm,armv8-timer", "arm,armv7-timer"};

static void cf_compatible(struct cf_fdt_info *info, struct cf_node *n,
			  const uint8_t *v, uint32_t len)
{
	size_t i;

	for (i = 0; i < sizeof(cf_gics) / sizeof(cf_gics[0]); i++) {
		if (!cf_list_has(v, len, cf_gics[i]))
			continue;
		n->is_gic = true;
		if (!info->gic[0])
			cf_copy(info->gic, sizeof(info->gic), cf_gics[i],
				sizeof(info->gic));
	}
	for (i = 0; i < sizeof(cf_timers) / sizeof(cf_timers[0]); i++)
		if (!info->timer[0] && cf_list_has(v, len, cf_timers[i]))
			cf_copy(info->timer, sizeof(info->timer), cf_timers[i],
				sizeof(info->timer));
	if (cf_list_has(v, len, "arm,pl011"))
		info->pl011 = n->is_pl011 = true;
	if (cf_list_has(v, len, "pci-host-ecam-generic"))
		info->pcie_ecam = n->is_ecam = true;
	if (cf_list_has(v, len, "arm,psci-0.2") ||
	    cf_list_has(v, len, "arm,psci-1.0"))
		info->psci = true;
}

static uint64_t cf_cells(const uint8_t *p, uint32_t cells)
{
	return cells == 2 ? (uint64_t)cf_be32(p) << 32 | cf_be32(p + 4)
			  : cf_be32(p);
}

/* The first reg entry of a child of the root, if it has one and none
 * was taken yet. */
static void cf_device_reg(const struct cf_fdt_info *info,
			  const struct cf_node *n, struct cf_range *r)
{
	uint32_t ac = info->addr_cells, sc = info->size_cells;

	if (r->size || ac < 1 || ac > 2 || sc < 1 || sc > 2 || !n->reg ||
	    n->reg_len < (ac + sc) * 4)
		return;
	r->base = cf_cells(n->reg, ac);
	r->size = cf_cells(n->reg + ac * 4, sc);
}

static int cf_memory_node(struct cf_fdt_info *info, const struct cf_node *n,
			  char *why, size_t whysize)
{
	uint32_t ac = info->addr_cells, sc = info->size_cells;
	uint32_t entry = (ac + sc) * 4, off;

	if (ac < 1 || ac > 2 || sc < 1 || sc > 2) {
		cf_fmt(why, whysize,
		       "memory node with #address-cells %u #size-cells %u", ac,
		       sc);
		return -1;
	}
	if (!n->reg || !n->reg_len || n->reg_len % entry) {
		cf_fmt(why, whysize, "memory node: reg of %u bytes",
		       n->reg ? n->reg_len : 0);
		return -1;
	}
	info->mem_nodes++;
	if (n->disabled)
		info->mem_disabled++;
	for (off = 0; off < n->reg_len; off += entry) {
		uint64_t size = cf_cells(n->reg + off + ac * 4, sc);

		if (!size)
			continue;
		if (info->nmem == CF_FDT_MAX_MEM) {
			info->mem_overflow = true;
			break;
		}
		info->mem[info->nmem].base = cf_cells(n->reg + off, ac);
		info->mem[info->nmem].size = size;
		info->nmem++;
	}
	return 0;
}

int cf_fdt_walk(const void *blob, size_t size, struct cf_fdt_info *info,
		char *why, size_t whysize)
{
	const uint8_t *b = blob;
	struct cf_node path[CF_FDT_MAX_DEPTH];
	uint32_t totalsize, off_struct, off_strings, size_strings, p, end;
	int depth = 0;

	*info = (struct cf_fdt_info){.addr_cells = 2, .size_cells = 1};
	if (cf_fdt_header(blob, size, &totalsize, why, whysize))
		return -1;
	info->totalsize = totalsize;
	info->version = cf_be32(b + 20);
	off_struct = cf_be32(b + 8);
	off_strings = cf_be32(b + 12);
	size_strings = cf_be32(b + 32);
	end = info->version >= 17 ? off_struct + cf_be32(b + 36) : totalsize;
	p = off_struct;
	for (;;) {
		uint32_t tok;

		if (end - p < 4) {
			cf_fmt(why, whysize,
			       "struct block ends at %u without FDT_END", p);
			return -1;
		}
		tok = cf_be32(b + p);
		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			const char *name = (const char *)b + p;
			uint32_t n = 0, at;

			while (p + n < end && name[n])
				n++;
			if (p + n >= end) {
				cf_fmt(why, whysize,
				       "node name at %u unterminated", p);
				return -1;
			}
			if (depth == 0 && info->nodes) {
				cf_fmt(why, whysize, "second root node at %u",
				       p - 4);
				return -1;
			}
			if (depth == CF_FDT_MAX_DEPTH) {
				cf_fmt(why, whysize,
				       "nodes nested deeper than %d",
				       CF_FDT_MAX_DEPTH);
				return -1;
			}
			for (at = 0; at < n && name[at] != '@'; at++)
				;
			path[depth] =
			    (struct cf_node){.name = name, .name_len = at};
			depth++;
			info->nodes++;
			p += n + 1;
			p = (p + 3) & ~3u;
			if (p > end) {
				cf_fmt(why, whysize,
				       "node name runs past the struct block");
				return -1;
			}
		} else if (tok == FDT_END_NODE) {
			struct cf_node *n;

			if (depth == 0) {
				cf_fmt(why, whysize,
				       "FDT_END_NODE at %u without a node",
				       p - 4);
				return -1;
			}
			n = &path[depth - 1];
			if (depth == 3 && cf_name_is(&path[1], "cpus") &&
			    n->is_cpu)
				info->cpus++;
			if (depth == 2 && n->is_memory &&
			    cf_memory_node(info, n, why, whysize))
				return -1;
			if (depth == 2 && n->is_gic)
				cf_device_reg(info, n, &info->gic_reg);
			if (depth == 2 && n->is_pl011)
				cf_device_reg(info, n, &info->pl011_reg);
			if (depth == 2 && n->is_ecam)
				cf_device_reg(info, n, &info->ecam_reg);
			depth--;
		} else if (tok == FDT_PROP) {
			uint32_t len, nameoff, i;
			const uint8_t *v;
			const char *pname;
			struct cf_node *n;

			if (end - p < 8) {
				cf_fmt(why, whysize, "property at %u cut short",
				       p - 4);
				return -1;
			}
			len = cf_be32(b + p);
			nameoff = cf_be32(b + p + 4);
			p += 8;
			if (len > end - p) {
				cf_fmt(
				    why, whysize,
				    "property at %u: length %u past the struct block",
				    p - 12, len);
				return -1;
			}
			if (nameoff >= size_strings) {
				cf_fmt(
				    why, whysize,
				    "property at %u: name offset %u past the strings block",
				    p - 12, nameoff);
				return -1;
			}
			pname = (const char *)b + off_strings + nameoff;
			for (i = 0; nameoff + i < size_strings && pname[i]; i++)
				;
			if (nameoff + i >= size_strings) {
				cf_fmt(why, whysize,
				       "property name at %u unterminated",
				       off_strings + nameoff);
				return -1;
			}
			if (depth == 0) {
				cf_fmt(why, whysize,
				       "property at %u outside a node", p - 12);
				return -1;
			}
			v = b + p;
			n = &path[depth - 1];
			if (!cf_strcmp(pname, "compatible")) {
				cf_compatible(info, n, v, len);
			} else if (!cf_strcmp(pname, "device_type")) {
				n->is_cpu = cf_value_is(v, len, "cpu");
				n->is_memory = cf_value_is(v, len, "memory");
			} else if (!cf_strcmp(pname, "reg")) {
				n->reg = v;
				n->reg_len = len;
			} else if (!cf_strcmp(pname, "status")) {
				n->disabled = !cf_value_is(v, len, "okay") &&
					      !cf_value_is(v, len, "ok");
			} else if (depth == 1 && len == 4 &&
				   !cf_strcmp(pname, "#address-cells")) {
				info->addr_cells = cf_be32(v);
			} else if (depth == 1 && len == 4 &&
				   !cf_strcmp(pname, "#size-cells")) {
				info->size_cells = cf_be32(v);
			} else if (depth == 2 && cf_name_is(n, "chosen") &&
				   (!cf_strcmp(pname, "stdout-path") ||
				    !cf_strcmp(pname, "linux,stdout-path")) &&
				   len > 1) {
				cf_copy(info->stdout_path,
					sizeof(info->stdout_path),
					(const char *)v, len);
			}
			p += len;
			p = (p + 3) & ~3u;
			if (p > end) {
				cf_fmt(
				    why, whysize,
				    "property value runs past the struct block");
				return -1;
			}
		} else if (tok == FDT_NOP) {
			continue;
		} else if (tok == FDT_END) {
			if (depth) {
				cf_fmt(why, whysize,
				       "FDT_END inside %d open nodes", depth);
				return -1;
			}
			if (!info->nodes) {
				cf_fmt(why, whysize, "no root node");
				return -1;
			}
			return 0;
		} else {
			cf_fmt(why, whysize, "token 0x%x at %u", tok, p - 4);
			return -1;
		}
	}
}

bool cf_ranges_overlap(const struct cf_range *r, unsigned int n, uint64_t base,
		       uint64_t size)
{
	uint64_t end = base + size;
	unsigned int i;

	if (!size)
		return false;
	if (end < base)
		end = UINT64_MAX;
	for (i = 0; i < n; i++) {
		uint64_t rend = r[i].base + r[i].size;

		if (rend < r[i].base)
			rend = UINT64_MAX;
		if (r[i].size && base < rend && r[i].base < end)
			return true;
	}
	return false;
}

bool cf_ranges_cover(const struct cf_range *r, unsigned int n, uint64_t base,
		     uint64_t size)
{
	uint64_t end = base + size;
	unsigned int round, i;

	if (end < base)
		return false;
	/* Each round moves base to the end of a range holding it. */
	for (round = 0; round <= n && base < end; round++) {
		for (i = 0; i < n; i++) {
			uint64_t rend = r[i].base + r[i].size;

			if (rend < r[i].base)
				rend = UINT64_MAX;
			if (base >= r[i].base && base < rend) {
				base = rend;
				break;
			}
		}
		if (i == n)
			return false;
	}
	return base >= end;
}

/* ACPI. */
static uint32_t cf_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static uint8_t cf_sum8(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum += *p++;
	return sum;
}

uint32_t cf_rsdp_length(const void *rsdp, size_t avail)
{
	const uint8_t *r = rsdp;
	uint32_t len;

	if (avail < CF_RSDP_V1_SIZE)
		return CF_RSDP_V1_SIZE;
	if (r[15] < 2)
		return CF_RSDP_V1_SIZE;
	if (avail < CF_RSDP_V1_SIZE + 4)
		return CF_RSDP_V1_SIZE + 4; /* the Length field */
	len = cf_le32(r + 20);
	return len >= CF_RSDP_V2_SIZE && len <= CF_RSDP_MAX ? len : 0;
}

int cf_rsdp_check(const void *rsdp, size_t avail, struct cf_rsdp *out,
		  char *why, size_t whysize)
{
	const uint8_t *r = rsdp;
	uint32_t len;
	size_t i;

	*out = (struct cf_rsdp){0};
	if (!rsdp || avail < CF_RSDP_V1_SIZE) {
		cf_fmt(why, whysize, "RSDP: %zu bytes", avail);
		return -1;
	}
	if (!cf_starts((const char *)r, 8, "RSD PTR ")) {
		cf_fmt(why, whysize, "RSDP signature %02x%02x%02x%02x...", r[0],
		       r[1], r[2], r[3]);
		return -1;
	}
	if (cf_sum8(r, CF_RSDP_V1_SIZE)) {
		cf_fmt(why, whysize, "RSDP checksum (first 20 bytes) wrong");
		return -1;
	}
	out->revision = r[15];
	out->rsdt = cf_le32(r + 16);
	for (i = 0; i < 6; i++)
		out->oem[i] =
		    r[9 + i] >= 0x20 && r[9 + i] < 0x7f ? (char)r[9 + i] : '?';
	out->oem[6] = 0;
	len = CF_RSDP_V1_SIZE;
	if (out->revision >= 2) {
		if (avail < CF_RSDP_V2_SIZE) {
			cf_fmt(why, whysize, "RSDP revision %u: %zu bytes",
			       out->revision, avail);
			return -1;
		}
		len = cf_le32(r + 20);
		if (len < CF_RSDP_V2_SIZE || len > CF_RSDP_MAX || len > avail) {
			cf_fmt(why, whysize,
			       "RSDP length %u (36..%u, %zu readable)", len,
			       CF_RSDP_MAX, avail);
			return -1;
		}
		if (cf_sum8(r, len)) {
			cf_fmt(why, whysize,
			       "RSDP extended checksum (%u bytes) wrong", len);
			return -1;
		}
		out->xsdt = (uint64_t)cf_le32(r + 28) << 32 | cf_le32(r + 24);
	}
	out->length = len;
	if (!out->rsdt && !out->xsdt) {
		cf_fmt(why, whysize, "RSDP points at neither RSDT nor XSDT");
		return -1;
	}
	return 0;
}

/* Time. */
static bool cf_leap(unsigned int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned int cf_month_days(unsigned int y, unsigned int m)
{
	static const uint8_t days[12] = {31, 28, 31, 30, 31, 30,
					 31, 31, 30, 31, 30, 31};

	if (m < 1 || m > 12)
		return 0;
	return days[m - 1] + (m == 2 && cf_leap(y));
}

bool cf_time_valid(const struct cf_time *t, char *why, size_t whysize)
{
	const char *bad = 0;

	if (t->year < 2000 || t->year > 2099)
		bad = "year";
	else if (t->month < 1 || t->month > 12)
		bad = "month";
	else if (t->day < 1 || t->day > cf_month_days(t->year, t->month))
		bad = "day";
	else if (t->hour > 23)
		bad = "hour";
	else if (t->minute > 59)
		bad = "minute";
	else if (t->second > 59)
		bad = "second";
	else if (t->nanosecond > 999999999)
		bad = "nanosecond";
	else if (t->timezone != CF_TZ_UNSPECIFIED &&
		 (t->timezone < -1440 || t->timezone > 1440))
		bad = "timezone";
	else if (t->daylight & ~3u)
		bad = "daylight";
	if (!bad)
		return true;
	if (why) {
		size_t n = cf_fmt(why, whysize, "invalid %s: ", bad);

		if (n < whysize)
			cf_time_str(why + n, whysize - n, t);
	}
	return false;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (32-bit arithmetic:
 * no 64-bit division helpers on 32-bit ARM). */
static int32_t cf_days(int32_t y, uint32_t m, uint32_t d)
{
	int32_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (int32_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int32_t)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void cf_civil(int32_t z, struct cf_time *t)
{
	int32_t era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	t->day = (uint8_t)(doy - (153 * mp + 2) / 5 + 1);
	t->month = (uint8_t)(mp < 10 ? mp + 3 : mp - 9);
	t->year = (uint16_t)(y + (t->month <= 2));
}

void cf_time_add(struct cf_time *t, int32_t seconds)
{
	int32_t days = cf_days(t->year, t->month, t->day);
	int32_t sod = t->hour * 3600 + t->minute * 60 + t->second;
	int32_t carry = seconds / 86400;

	sod += seconds % 86400;
	if (sod < 0) {
		sod += 86400;
		carry--;
	} else if (sod >= 86400) {
		sod -= 86400;
		carry++;
	}
	cf_civil(days + carry, t);
	t->hour = (uint8_t)(sod / 3600);
	t->minute = (uint8_t)(sod / 60 % 60);
	t->second = (uint8_t)(sod % 60);
}

int64_t cf_time_diff(const struct cf_time *a, const struct cf_time *b)
{
	int64_t days = (int64_t)cf_days(a->year, a->month, a->day) -
		       cf_days(b->year, b->month, b->day);
	int32_t sa = a->hour * 3600 + a->minute * 60 + a->second;
	int32_t sb = b->hour * 3600 + b->minute * 60 + b->second;

	return days * 86400 + sa - sb;
}

size_t cf_time_str(char *buf, size_t size, const struct cf_time *t)
{
	return cf_fmt(buf, size, "%04u-%02u-%02uT%02u:%02u:%02u tz %d dl %u",
		      t->year, t->month, t->day, t->hour, t->minute, t->second,
		      t->timezone, t->daylight);
}
