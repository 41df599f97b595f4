// SPDX-License-Identifier: GPL-2.0
/*
 * The checks of the Linux conformance program: what a booted guest sees of
 * the VM, rule by rule (docs/conformance.md lists each check, its rules and
 * how). A missing or strange file is a FAIL or SKIP with evidence.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#include "conform/linux/checks.h"

#define INTERRUPTS_MAX (1u << 20)
#define LIST_MAX       1024 /* entries read of any sysfs directory */

const char *conform_status_name(enum conform_status s)
{
	switch (s) {
	case CONFORM_PASS:
		return "PASS";
	case CONFORM_FAIL:
		return "FAIL";
	default:
		return "SKIP";
	}
}

void conform_print(FILE *out, const char *id, const char *rules,
		   const struct conform_result *r)
{
	char ev[CONFORM_EVIDENCE_MAX + 1];

	printable(r->evidence, strnlen(r->evidence, CONFORM_EVIDENCE_MAX), ev,
		  sizeof(ev));
	fprintf(out, "CONFORM %s %s %s %s\n", id, rules,
		conform_status_name(r->status), ev[0] ? ev : "-");
}

/* A sysfs directory's entries matching prefix, sorted, at most LIST_MAX. */
struct names {
	char **v;
	unsigned int n;
};

static int cmp_names(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t lx = strlen(x), ly = strlen(y);

	/* cpu2 before cpu10: shorter first among equal prefixes */
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

static int list_dir(const struct conform_ctx *ctx, const char *rel,
		    const char *prefix, struct names *out)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	out->v = NULL;
	out->n = 0;
	if (!conform_path(ctx, rel, path, sizeof(path)))
		return -ENAMETOOLONG;
	dir = opendir(path);
	if (!dir)
		return -errno;
	out->v = calloc(LIST_MAX, sizeof(*out->v));
	if (!out->v) {
		closedir(dir);
		return -ENOMEM;
	}
	while (out->n < LIST_MAX && (de = readdir(dir))) {
		if (de->d_name[0] == '.' ||
		    strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		out->v[out->n] = strdup(de->d_name);
		if (out->v[out->n])
			out->n++;
	}
	closedir(dir);
	qsort(out->v, out->n, sizeof(*out->v), cmp_names);
	return 0;
}

static void free_names(struct names *l)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int virtio_devices(const struct conform_ctx *ctx, struct names *l);

/* /proc/interrupts, or NULL (why in r). */
static char *read_interrupts(const struct conform_ctx *ctx,
			     struct conform_result *r)
{
	char *buf = malloc(INTERRUPTS_MAX);
	ssize_t n;

	if (!buf) {
		result_set(r, CONFORM_SKIP, "out of memory");
		return NULL;
	}
	n = read_bounded(ctx, "/proc/interrupts", buf, INTERRUPTS_MAX);
	if (n == -EFBIG) {
		/* a many-CPU VM: the lines read whole are enough */
		char *nl = strrchr(buf, '\n');

		if (nl)
			nl[1] = '\0';
		return buf;
	}
	if (n < 0) {
		result_set(r, CONFORM_FAIL, "/proc/interrupts: %s",
			   strerror((int)-n));
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * One line of /proc/interrupts: "LABEL: COUNT... CHIP REST", e.g.
 * " 11:  1234  567  GICv3  27 Level  arch_timer".
 */
struct irq_line {
	const char *chip, *rest, *end;
	size_t chip_len;
	uint64_t sum;
};

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *token_end(const char *p, const char *end)
{
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	return p;
}

static bool irq_parse(const char *p, const char *end, struct irq_line *l)
{
	const char *t;

	p = skip_space(p, end);
	t = token_end(p, end);
	if (t == p || t[-1] != ':')
		return false; /* the header, or not a line we know */
	l->sum = 0;
	for (;;) {
		const char *q;
		uint64_t v = 0;
		bool digits = true;

		p = skip_space(t, end);
		t = token_end(p, end);
		if (t == p)
			return false;
		for (q = p; q < t; q++) {
			if (*q < '0' || *q > '9' || v > UINT64_MAX / 100) {
				digits = false;
				break;
			}
			v = v * 10 + (uint64_t)(*q - '0');
		}
		if (!digits)
			break;
		l->sum += v;
	}
	l->chip = p;
	l->chip_len = (size_t)(t - p);
	l->rest = t;
	l->end = end;
	return true;
}

/* The line's text after the chip holds word as a token, or word + "-...". */
static bool irq_has_action(const struct irq_line *l, const char *word)
{
	size_t wl = strlen(word);
	const char *p = l->rest;

	while ((p = skip_space(p, l->end)) < l->end) {
		const char *t = token_end(p, l->end);
		size_t tl = (size_t)(t - p);

		if (tl > 0 && p[tl - 1] == ',')
			tl--; /* shared: "virtio0-config, foo" */
		if (tl >= wl && memcmp(p, word, wl) == 0 &&
		    (tl == wl || p[wl] == '-'))
			return true;
		p = t;
	}
	return false;
}

static bool chip_is(const struct irq_line *l, const char *name)
{
	return l->chip_len == strlen(name) &&
	       memcmp(l->chip, name, l->chip_len) == 0;
}

/* Calls fn for each parsed line of /proc/interrupts' text. */
static void irq_each(const char *text,
		     void (*fn)(const struct irq_line *l, void *opaque),
		     void *opaque)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		const char *end = nl ? nl : p + strlen(p);
		struct irq_line l;

		if (irq_parse(p, end, &l))
			fn(&l, opaque);
		p = nl ? nl + 1 : end;
	}
}

struct timer_count {
	uint64_t sum;
	int lines;
};

static void timer_line(const struct irq_line *l, void *opaque)
{
	struct timer_count *tc = opaque;

	if (irq_has_action(l, "arch_timer")) {
		tc->sum += l->sum;
		tc->lines++;
	}
}

int conform_timer_count(const char *interrupts, uint64_t *sum)
{
	struct timer_count tc = {0, 0};

	irq_each(interrupts, timer_line, &tc);
	*sum = tc.sum;
	return tc.lines;
}

void conform_judge_timer(const char *before, const char *after, bool fake,
			 unsigned int ms, struct conform_result *r)
{
	uint64_t a, b;

	if (conform_timer_count(before, &a) == 0 ||
	    conform_timer_count(after, &b) == 0) {
		result_set(r, CONFORM_FAIL,
			   "no arch_timer line in /proc/interrupts");
		return;
	}
	if (b > a)
		result_set(r, CONFORM_PASS,
			   "arch_timer %llu then %llu in %u ms",
			   (unsigned long long)a, (unsigned long long)b, ms);
	else if (fake)
		result_set(
		    r, CONFORM_SKIP,
		    "arch_timer %llu, unchanged in %u ms (--root given: a fixed tree)",
		    (unsigned long long)a, ms);
	else
		result_set(r, CONFORM_FAIL,
			   "arch_timer %llu then %llu in %u ms: not counting",
			   (unsigned long long)a, (unsigned long long)b, ms);
}

/* ---- firmware and hardware description ---- */

static void check_efi_boot(const struct conform_ctx *ctx,
			   struct conform_result *r)
{
	char size[16];

	if (!path_is_dir(ctx, "/sys/firmware/efi")) {
		result_set(r, CONFORM_FAIL,
			   "no /sys/firmware/efi: not booted through UEFI");
		return;
	}
	if (read_value(ctx, "/sys/firmware/efi/fw_platform_size", size,
		       sizeof(size)) <= 0)
		snprintf(size, sizeof(size), "?");
	/* the kernel makes the efivars mount point only when the firmware's
	 * runtime variable services work (runtime-map is x86's) */
	result_set(r, CONFORM_PASS,
		   "/sys/firmware/efi present, fw_platform_size %s%s", size,
		   path_is_dir(ctx, "/sys/firmware/efi/efivars")
		       ? ", runtime variable services (efivars)"
		       : "");
}

/* Counts /cpus/cpu@* nodes (device_type "cpu" where given). */
static int dt_cpu_nodes(const struct conform_ctx *ctx, int *psci)
{
	struct names l;
	unsigned int i;
	int n = 0;

	*psci = 0;
	if (list_dir(ctx, CONFORM_DT_BASE "/cpus", "cpu", &l) < 0)
		return -1;
	for (i = 0; i < l.n; i++) {
		char node[300], s[64];

		if (strcmp(l.v[i], "cpu") != 0 && strncmp(l.v[i], "cpu@", 4))
			continue;
		snprintf(node, sizeof(node), "/cpus/%s", l.v[i]);
		if (!dt_enabled(ctx, node))
			continue;
		if (dt_prop(ctx, node, "device_type", s, sizeof(s)) >= 0 &&
		    strcmp(s, "cpu") != 0)
			continue;
		n++;
		if (dt_prop(ctx, node, "enable-method", s, sizeof(s)) > 0 &&
		    strcmp(s, "psci") == 0)
			(*psci)++;
	}
	free_names(&l);
	return n;
}

/*
 * The root node's memory@* nodes: how many, their total size. Enabled nodes
 * only, unless any_status (a firmware may mark the nodes it handed over in
 * its UEFI memory map disabled).
 */
static int dt_memory_nodes(const struct conform_ctx *ctx, bool any_status,
			   uint64_t *total, char *first, size_t cap, char *why,
			   size_t wcap)
{
	uint32_t ac = 2, sc = 1;
	struct names l;
	unsigned int i;
	int n = 0;

	*total = 0;
	if (cap)
		first[0] = '\0';
	snprintf(why, wcap, "no memory node");
	dt_u32(ctx, "", "#address-cells", &ac);
	dt_u32(ctx, "", "#size-cells", &sc);
	if (ac < 1 || ac > 2 || sc < 1 || sc > 2) {
		snprintf(why, wcap, "#address-cells %u, #size-cells %u", ac,
			 sc);
		return -1;
	}
	if (list_dir(ctx, CONFORM_DT_BASE, "memory", &l) < 0)
		return -1;
	for (i = 0; i < l.n; i++) {
		unsigned char reg[4096];
		char node[300];
		size_t cell = (ac + sc) * 4, off;
		ssize_t len;

		if (strcmp(l.v[i], "memory") != 0 &&
		    strncmp(l.v[i], "memory@", 7) != 0)
			continue;
		snprintf(node, sizeof(node), "/%s", l.v[i]);
		if (!any_status && !dt_enabled(ctx, node))
			continue;
		len = dt_prop(ctx, node, "reg", (char *)reg, sizeof(reg));
		if (len <= 0 || (size_t)len % cell) {
			snprintf(why, wcap, "%.64s: reg of %zd bytes", node,
				 len);
			free_names(&l);
			return -1;
		}
		for (off = 0; off < (size_t)len; off += cell) {
			uint64_t size = 0;
			size_t c;

			for (c = 0; c < sc; c++) {
				const unsigned char *b =
				    reg + off + ac * 4 + c * 4;

				size = size << 32 |
				       ((uint32_t)b[0] << 24 | b[1] << 16 |
					b[2] << 8 | b[3]);
			}
			if (*total + size < *total) {
				snprintf(why, wcap, "%.64s: sizes overflow",
					 node);
				free_names(&l);
				return -1;
			}
			*total += size;
		}
		if (n++ == 0 && cap)
			snprintf(first, cap, "%.*s", (int)cap - 1, node);
	}
	free_names(&l);
	return n;
}

/* Enabled memory nodes, else all of them ("disabled" appended to first). */
static int dt_memory(const struct conform_ctx *ctx, uint64_t *total,
		     char *first, size_t cap, char *why, size_t wcap)
{
	int n = dt_memory_nodes(ctx, false, total, first, cap, why, wcap);

	if (n != 0)
		return n;
	n = dt_memory_nodes(ctx, true, total, first, cap, why, wcap);
	if (n > 0 && strlen(first) + sizeof(" disabled") <= cap)
		strcat(first, " disabled");
	return n;
}

/* The device tree is there and describes CPUs and memory (HW-1). */
static bool dt_complete(const struct conform_ctx *ctx, struct strbuf *sb)
{
	char compat[256], s[256], mem[64], why[128];
	uint64_t total;
	ssize_t n;
	int cpus, psci;

	if (!path_is_dir(ctx, CONFORM_DT_BASE)) {
		sb_add(sb, "no %s", CONFORM_DT_BASE);
		return false;
	}
	n = dt_prop(ctx, "", "compatible", compat, sizeof(compat));
	if (n <= 0) {
		sb_add(sb, "no root compatible");
		return false;
	}
	strlist_join(compat, (size_t)n, s, sizeof(s));
	sb_add(sb, "compatible %s", s);
	n = dt_prop(ctx, "", "model", compat, sizeof(compat));
	if (n > 0) {
		strlist_join(compat, (size_t)n, s, sizeof(s));
		sb_add(sb, ", model %s", s);
	}
	cpus = dt_cpu_nodes(ctx, &psci);
	if (cpus <= 0) {
		sb_add(sb, "; no cpu node under /cpus");
		return false;
	}
	sb_add(sb, ", %d cpus", cpus);
	if (dt_memory(ctx, &total, mem, sizeof(mem), why, sizeof(why)) <= 0) {
		sb_add(sb, "; %s", why);
		return false;
	}
	sb_add(sb, ", %llu MiB memory", (unsigned long long)(total >> 20));
	return true;
}

static void check_devicetree(const struct conform_ctx *ctx,
			     struct conform_result *r)
{
	struct strbuf sb = {.len = 0};
	bool ok = dt_complete(ctx, &sb);
	struct stat st;
	char path[PATH_MAX];

	if (conform_path(ctx, "/sys/firmware/fdt", path, sizeof(path)) &&
	    stat(path, &st) == 0)
		sb_add(&sb, "; /sys/firmware/fdt %lld bytes",
		       (long long)st.st_size);
	result_set(r, ok ? CONFORM_PASS : CONFORM_FAIL, "%s", sb.buf);
}

static void check_acpi(const struct conform_ctx *ctx, struct conform_result *r)
{
	struct strbuf sb = {.len = 0};
	bool acpi = path_exists(ctx, "/sys/firmware/acpi/tables");

	if (!acpi) {
		result_set(r, CONFORM_PASS, "no /sys/firmware/acpi/tables");
		return;
	}
	if (dt_complete(ctx, &sb))
		result_set(r, CONFORM_PASS,
			   "ACPI tables in addition to a complete device tree");
	else
		result_set(r, CONFORM_FAIL,
			   "ACPI tables without a complete device tree: %s",
			   sb.buf);
}

/* "0-3,5" (a sysfs CPU list): how many CPUs, or -1. */
static int cpu_list_count(const char *s)
{
	int n = 0;

	while (*s) {
		char *end;
		unsigned long a, b;

		if (*s < '0' || *s > '9')
			return -1;
		a = strtoul(s, &end, 10);
		b = a;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return -1;
			b = strtoul(end + 1, &end, 10);
		}
		if (b < a || b - a > 65535 || n > 65535)
			return -1;
		n += (int)(b - a + 1);
		if (*end == ',')
			end++;
		else if (*end)
			return -1;
		s = end;
	}
	return n;
}

static void check_cpus(const struct conform_ctx *ctx, struct conform_result *r)
{
	char present[256];
	int dt, psci, n;

	dt = dt_cpu_nodes(ctx, &psci);
	if (read_value(ctx, "/sys/devices/system/cpu/present", present,
		       sizeof(present)) <= 0) {
		result_set(r, CONFORM_FAIL,
			   "cannot read /sys/devices/system/cpu/present");
		return;
	}
	n = cpu_list_count(present);
	if (dt < 0)
		result_set(r, CONFORM_FAIL,
			   "no /cpus in the device tree; present CPUs '%.64s'",
			   present);
	else if (dt == 0 || n <= 0 || dt != n)
		result_set(
		    r, CONFORM_FAIL,
		    "device tree %d cpu nodes, kernel's present CPUs '%.64s'",
		    dt, present);
	else
		result_set(r, CONFORM_PASS,
			   "%d cpu nodes in the device tree, present CPUs %s",
			   dt, present);
}

static bool meminfo_total_kb(const struct conform_ctx *ctx, uint64_t *kb)
{
	char buf[16384], *p, *end;

	if (read_bounded(ctx, "/proc/meminfo", buf, sizeof(buf)) < 0 &&
	    buf[0] == '\0')
		return false;
	p = strstr(buf, "MemTotal:");
	if (!p || (p != buf && p[-1] != '\n'))
		return false;
	p += strlen("MemTotal:");
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	errno = 0;
	*kb = strtoull(p, &end, 10);
	return !errno && strncmp(end, " kB", 3) == 0;
}

/* The first virtio device with device id id, into out; false if none. */
static bool virtio_find_id(const struct conform_ctx *ctx, uint64_t id,
			   char *out, size_t cap)
{
	struct names l;
	unsigned int i;
	bool found = false;

	if (virtio_devices(ctx, &l) < 0)
		return false;
	for (i = 0; i < l.n && !found; i++) {
		char rel[128], s[16];
		uint64_t v;

		snprintf(rel, sizeof(rel), "/sys/bus/virtio/devices/%s/device",
			 l.v[i]);
		if (read_value(ctx, rel, s, sizeof(s)) > 0 &&
		    parse_u64(s, &v) && v == id) {
			snprintf(out, cap, "%s", l.v[i]);
			found = true;
		}
	}
	free_names(&l);
	return found;
}

#define VIRTIO_ID_BALLOON 5

/*
 * MemTotal against the DT's memory nodes. The upper bound counts every
 * node whatever its status: under UEFI the kernel takes its memory from
 * the UEFI memory map and ignores the nodes, which a firmware may have
 * disabled. The 70% floor counts the enabled nodes (all, if none is):
 * booted by DT alone the kernel ignores disabled ones. The kernel keeps
 * its own image, the firmware's reservations and early allocations out
 * of MemTotal; 70% is the test guest's bound. A virtio balloon takes what
 * it holds out of MemTotal too: below the floor with one is a SKIP.
 */
static void check_memory(const struct conform_ctx *ctx,
			 struct conform_result *r)
{
	char first[64], why[128], efirst[64], ewhy[128], balloon[32];
	uint64_t all, en, base, kb;
	int n = dt_memory_nodes(ctx, true, &all, first, sizeof(first), why,
				sizeof(why));
	int nen = dt_memory_nodes(ctx, false, &en, efirst, sizeof(efirst), ewhy,
				  sizeof(ewhy));

	if (n <= 0) {
		result_set(r, CONFORM_FAIL, "device tree: %s", why);
		return;
	}
	if (!meminfo_total_kb(ctx, &kb)) {
		result_set(r, CONFORM_FAIL, "no MemTotal in /proc/meminfo");
		return;
	}
	base = nen > 0 ? en : all;
	if (kb > all / 1024)
		result_set(
		    r, CONFORM_FAIL,
		    "MemTotal %llu kB above the device tree's %llu kB in %d memory node(s) (%s)",
		    (unsigned long long)kb, (unsigned long long)(all >> 10), n,
		    first);
	else if (kb * 1024 < base / 10 * 7 &&
		 virtio_find_id(ctx, VIRTIO_ID_BALLOON, balloon,
				sizeof(balloon)))
		result_set(
		    r, CONFORM_SKIP,
		    "MemTotal %llu kB below 70%% of the device tree's %llu kB, with a virtio balloon (%s) that may hold the rest",
		    (unsigned long long)kb, (unsigned long long)(base >> 10),
		    balloon);
	else if (kb * 1024 < base / 10 * 7)
		result_set(
		    r, CONFORM_FAIL,
		    "MemTotal %llu kB below 70%% of the device tree's %llu kB (%s nodes)",
		    (unsigned long long)kb, (unsigned long long)(base >> 10),
		    nen > 0 ? "enabled" : "disabled");
	else
		result_set(
		    r, CONFORM_PASS,
		    "MemTotal %llu kB of %llu kB in %d memory node(s) (%s), %d disabled",
		    (unsigned long long)kb, (unsigned long long)(all >> 10), n,
		    first, n - (nen > 0 ? nen : 0));
}

static void check_psci(const struct conform_ctx *ctx, struct conform_result *r)
{
	char compat[256], list[256], method[32];
	ssize_t n = dt_prop(ctx, "/psci", "compatible", compat, sizeof(compat));
	int cpus, psci;

	if (n <= 0) {
		result_set(r, CONFORM_FAIL, "no /psci node with a compatible");
		return;
	}
	strlist_join(compat, (size_t)n, list, sizeof(list));
	if (!strlist_has(compat, (size_t)n, "arm,psci-0.2") &&
	    !strlist_has(compat, (size_t)n, "arm,psci-1.0")) {
		result_set(
		    r, CONFORM_FAIL,
		    "/psci compatible %s: neither arm,psci-0.2 nor arm,psci-1.0",
		    list);
		return;
	}
	if (read_value(ctx, CONFORM_DT_BASE "/psci/method", method,
		       sizeof(method)) <= 0 ||
	    (strcmp(method, "hvc") != 0 && strcmp(method, "smc") != 0)) {
		char m[40];

		printable(method, strlen(method), m, sizeof(m));
		result_set(r, CONFORM_FAIL,
			   "/psci compatible %s, method '%s': not hvc or smc",
			   list, m);
		return;
	}
	cpus = dt_cpu_nodes(ctx, &psci);
	result_set(
	    r, CONFORM_PASS,
	    "/psci compatible %s, method %s; %d of %d cpu nodes enable-method psci",
	    list, method, psci, cpus < 0 ? 0 : cpus);
}

static void check_cpu_hotplug(const struct conform_ctx *ctx,
			      struct conform_result *r)
{
	char rel[128], v[16], present[256];
	struct names l;
	const char *last = NULL;
	unsigned int i;
	int n, err;

	if ((ctx->root_given && !ctx->write_fake) || ctx->no_write) {
		result_set(r, CONFORM_SKIP, "%s given",
			   ctx->no_write ? "--no-write" : "--root");
		return;
	}
	if (read_value(ctx, "/sys/devices/system/cpu/present", present,
		       sizeof(present)) <= 0 ||
	    (n = cpu_list_count(present)) <= 0) {
		result_set(r, CONFORM_FAIL,
			   "cannot read /sys/devices/system/cpu/present");
		return;
	}
	if (n == 1) {
		result_set(r, CONFORM_SKIP, "one CPU (present %s)", present);
		return;
	}
	if (list_dir(ctx, "/sys/devices/system/cpu", "cpu", &l) < 0) {
		result_set(r, CONFORM_FAIL,
			   "cannot list /sys/devices/system/cpu");
		return;
	}
	for (i = 0; i < l.n; i++) {
		const char *d = l.v[i] + 3;

		if (!*d || strspn(d, "0123456789") != strlen(d))
			continue;
		snprintf(rel, sizeof(rel), "/sys/devices/system/cpu/%s/online",
			 l.v[i]);
		if (path_exists(ctx, rel))
			last = l.v[i]; /* sorted: the last is the highest */
	}
	if (!last) {
		result_set(r, CONFORM_FAIL,
			   "%d CPUs but no cpuN/online file (no CPU hotplug)",
			   n);
		free_names(&l);
		return;
	}
	snprintf(rel, sizeof(rel), "/sys/devices/system/cpu/%s/online", last);
	if (read_value(ctx, rel, v, sizeof(v)) < 0 || strcmp(v, "1") != 0) {
		result_set(r, CONFORM_SKIP, "%s is not online at the start",
			   last);
		goto out;
	}
	err = write_value(ctx, rel, "0");
	if (err || read_value(ctx, rel, v, sizeof(v)) < 0 ||
	    strcmp(v, "0") != 0) {
		result_set(r, CONFORM_FAIL, "%s offline: %s", last,
			   err ? strerror(-err) : "still online");
		goto out;
	}
	err = write_value(ctx, rel, "1");
	if (err || read_value(ctx, rel, v, sizeof(v)) < 0 ||
	    strcmp(v, "1") != 0) {
		result_set(r, CONFORM_FAIL, "%s online again: %s", last,
			   err ? strerror(-err) : "still offline");
		goto out;
	}
	result_set(
	    r, CONFORM_PASS,
	    "%s of %d CPUs went offline and online again (PSCI CPU_OFF, CPU_ON)",
	    last, n);
out:
	free_names(&l);
}

static void check_rtc_efi(const struct conform_ctx *ctx,
			  struct conform_result *r)
{
	struct strbuf sb = {.len = 0};
	struct names l;
	unsigned int i;

	if (list_dir(ctx, "/sys/class/rtc", "rtc", &l) < 0 || l.n == 0) {
		result_set(r, CONFORM_FAIL, "no RTC in /sys/class/rtc");
		free_names(&l);
		return;
	}
	sb_add(&sb, "RTCs:");
	for (i = 0; i < l.n; i++) {
		char rel[128], name[64], date[32], nm[64];
		unsigned int y, m, d;
		int c = 0;

		snprintf(rel, sizeof(rel), "/sys/class/rtc/%s/name", l.v[i]);
		if (read_value(ctx, rel, name, sizeof(name)) < 0)
			snprintf(name, sizeof(name), "?");
		printable(name, strlen(name), nm, sizeof(nm));
		sb_add(&sb, " %s=%s", l.v[i], nm);
		/* "rtc-efi rtc-efi.0": the driver's name, then the device's */
		if (strncmp(name, "rtc-efi", 7) != 0 ||
		    (name[7] != '\0' && name[7] != ' '))
			continue;
		snprintf(rel, sizeof(rel), "/sys/class/rtc/%s/date", l.v[i]);
		if (read_value(ctx, rel, date, sizeof(date)) <= 0 ||
		    sscanf(date, "%4u-%2u-%2u%n", &y, &m, &d, &c) != 3 ||
		    date[c] != '\0') {
			result_set(r, CONFORM_FAIL, "%s (rtc-efi): no date",
				   l.v[i]);
		} else if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 ||
			   d > 31) {
			/* a valid date, not a recent one: an RTC may keep an
			 * old base, which is no fault of its services */
			result_set(r, CONFORM_FAIL,
				   "%s (rtc-efi) reads %s: not a valid date",
				   l.v[i], date);
		} else {
			result_set(r, CONFORM_PASS, "%s is rtc-efi, date %s",
				   l.v[i], date);
		}
		free_names(&l);
		return;
	}
	free_names(&l);
	result_set(r, CONFORM_FAIL, "no rtc-efi; %s", sb.buf);
}

/*
 * A non-volatile, boot- and runtime-access variable in our own vendor
 * GUID (not the test guest's, so that the two never meet).
 */
#define EFIVARS	  "/sys/firmware/efi/efivars"
#define TEST_VAR  "ArmvmConform-3f6d2a1c-7b4e-4c9a-9e15-2d8b0c6f4a73"
#define VAR_ATTRS 0x7 /* NON_VOLATILE | BOOTSERVICE | RUNTIME */

static bool efivarfs_mounted(const struct conform_ctx *ctx)
{
	char *buf = malloc(65536);
	bool found = false;
	char *line, *save = NULL;

	if (!buf)
		return false;
	if (read_bounded(ctx, "/proc/mounts", buf, 65536) < 0 && !buf[0]) {
		free(buf);
		return false;
	}
	for (line = strtok_r(buf, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char dev[64], dir[256], type[32];

		if (sscanf(line, "%63s %255s %31s", dev, dir, type) == 3 &&
		    strcmp(dir, EFIVARS) == 0 && strcmp(type, "efivarfs") == 0)
			found = true;
	}
	free(buf);
	return found;
}

/* Clears the immutable flag (efivarfs sets it on most variables), unlinks. */
static int efivar_delete(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int flags;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 &&
	    (flags & FS_IMMUTABLE_FL)) {
		flags &= ~FS_IMMUTABLE_FL;
		if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
	}
	close(fd);
	return unlink(path) < 0 ? -errno : 0;
}

static void efivar_round_trip(const char *path, struct conform_result *r)
{
	unsigned char out[64], in[128];
	size_t len;
	ssize_t n;
	int fd, err;
	struct stat st;

	out[0] = VAR_ATTRS;
	out[1] = out[2] = out[3] = 0;
	len = 4 + (size_t)snprintf((char *)out + 4, sizeof(out) - 4,
				   "armvm-conform %ld", (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		result_set(r, CONFORM_FAIL, "create %s: %s", path,
			   strerror(errno));
		return;
	}
	/* efivarfs takes the attributes and the data in one write. */
	n = write(fd, out, len);
	err = n < 0 ? errno : 0;
	if (close(fd) < 0 && !err)
		err = errno;
	if (n != (ssize_t)len || err) {
		result_set(r, CONFORM_FAIL, "write %s: %s", path,
			   err ? strerror(err) : "short write");
		efivar_delete(path);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, in, sizeof(in));
	err = errno;
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		result_set(r, CONFORM_FAIL, "read back %s: %s", path,
			   strerror(err));
		efivar_delete(path);
		return;
	}
	if ((size_t)n != len || memcmp(in, out, len) != 0) {
		result_set(r, CONFORM_FAIL,
			   "read back %zd bytes of %zu from %s: differ", n, len,
			   path);
		efivar_delete(path);
		return;
	}
	err = efivar_delete(path);
	if (err || stat(path, &st) == 0) {
		result_set(r, CONFORM_FAIL, "delete %s: %s", path,
			   err ? strerror(-err) : "still there");
		return;
	}
	result_set(
	    r, CONFORM_PASS,
	    "wrote, read back and deleted a non-volatile variable %s (%zu bytes)",
	    TEST_VAR, len - 4);
}

static void check_efivars(const struct conform_ctx *ctx,
			  struct conform_result *r)
{
	char path[PATH_MAX];
	bool mounted_here = false;

	if (ctx->root_given || ctx->no_write) {
		result_set(r, CONFORM_SKIP, "%s given",
			   ctx->root_given ? "--root" : "--no-write");
		return;
	}
	if (!path_is_dir(ctx, "/sys/firmware/efi")) {
		result_set(r, CONFORM_FAIL, "no /sys/firmware/efi: no UEFI");
		return;
	}
	if (!efivarfs_mounted(ctx)) {
		if (mount("efivarfs", EFIVARS, "efivarfs", 0, NULL) < 0) {
			result_set(r, CONFORM_FAIL, "mount efivarfs on %s: %s",
				   EFIVARS, strerror(errno));
			return;
		}
		mounted_here = true;
	}
	snprintf(path, sizeof(path), "%s/%s", EFIVARS, TEST_VAR);
	if (access(path, F_OK) == 0)
		efivar_delete(path); /* left by an interrupted run */
	efivar_round_trip(path, r);
	if (mounted_here)
		umount(EFIVARS);
}

/* ---- platform ---- */

static void check_timer_dt(const struct conform_ctx *ctx,
			   struct conform_result *r)
{
	static const char *const timers[] = {"arm,armv8-timer",
					     "arm,armv7-timer", NULL};
	char node[256];
	int i = dt_find_compatible(ctx, timers, node, sizeof(node));

	if (i < 0)
		result_set(r, CONFORM_FAIL,
			   "no arm,armv8-timer or arm,armv7-timer node");
	else
		result_set(r, CONFORM_PASS, "%s compatible %s", node,
			   timers[i]);
}

static void check_timer_irq(const struct conform_ctx *ctx,
			    struct conform_result *r)
{
	struct timespec ts = {ctx->timer_wait_ms / 1000,
			      (long)(ctx->timer_wait_ms % 1000) * 1000000};
	char *a, *b;

	a = read_interrupts(ctx, r);
	if (!a)
		return;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	b = read_interrupts(ctx, r);
	if (b)
		conform_judge_timer(a, b, ctx->root_given, ctx->timer_wait_ms,
				    r);
	free(a);
	free(b);
}

static void check_timer_freq(const struct conform_ctx *ctx,
			     struct conform_result *r)
{
	if (!ctx->cntfrq_known)
		result_set(r, CONFORM_SKIP, "%s",
			   ctx->cntfrq_why ? ctx->cntfrq_why
					   : "CNTFRQ not read");
	else if (ctx->cntfrq >= 10000000)
		result_set(r, CONFORM_PASS, "CNTFRQ %llu Hz",
			   (unsigned long long)ctx->cntfrq);
	else
		result_set(r, CONFORM_FAIL,
			   "CNTFRQ %llu Hz: below Arm BSA's 10 MHz",
			   (unsigned long long)ctx->cntfrq);
}

struct gic_lines {
	int v3, v2; /* lines on a GICv3 chip, on a GICv2 (GICv2, GIC-N) chip */
};

static void gic_line(const struct irq_line *l, void *opaque)
{
	struct gic_lines *g = opaque;

	if (chip_is(l, "GICv3"))
		g->v3++;
	else if (chip_is(l, "GICv2") || chip_is(l, "GIC") ||
		 (l->chip_len > 4 && memcmp(l->chip, "GIC-", 4) == 0))
		g->v2++;
}

static void check_gic(const struct conform_ctx *ctx, struct conform_result *r)
{
	static const char *const gics[] = {
	    "arm,gic-v3",	  "arm,gic-400",
	    "arm,cortex-a15-gic", "arm,cortex-a7-gic",
	    "arm,cortex-a9-gic",  "arm,arm11mp-gic",
	    "arm,pl390",	  NULL};
	static const int version[] = {3, 2, 2, 2, 1, 1, 1};
	struct gic_lines g = {0, 0};
	char node[256], *irqs;
	int i = dt_find_compatible(ctx, gics, node, sizeof(node));
	int dtv = i < 0 ? 0 : version[i], procv;

	irqs = read_interrupts(ctx, r);
	if (!irqs)
		return;
	irq_each(irqs, gic_line, &g);
	free(irqs);
	procv = g.v3 && !g.v2 ? 3 : g.v2 && !g.v3 ? 2 : 0;
	if (dtv == 0) {
		result_set(
		    r, CONFORM_FAIL,
		    "no GIC node in the device tree; /proc/interrupts: %d GICv3, %d GICv2 lines",
		    g.v3, g.v2);
	} else if (dtv < 2) {
		result_set(r, CONFORM_FAIL, "%s compatible %s: a GICv1", node,
			   gics[i]);
	} else if (procv != dtv) {
		result_set(
		    r, CONFORM_FAIL,
		    "%s compatible %s, but /proc/interrupts has %d GICv3 and %d GICv2 lines",
		    node, gics[i], g.v3, g.v2);
	} else {
		result_set(r, CONFORM_PASS,
			   "GICv%d: %s compatible %s; %d lines on the %s chip",
			   dtv, node, gics[i], dtv == 3 ? g.v3 : g.v2,
			   dtv == 3 ? "GICv3" : "GICv2");
	}
}

/* The virtio devices, and for each whether it sits on PCI. */
static int virtio_devices(const struct conform_ctx *ctx, struct names *l)
{
	return list_dir(ctx, "/sys/bus/virtio/devices", "virtio", l);
}

/*
 * A virtio device sits on PCI when the directory its link points into is a
 * PCI function's: one with a config file. Its config space, read through
 * the link (sysfs resolves "virtioN/.." to the function), into cfg.
 */
static ssize_t virtio_pci_config(const struct conform_ctx *ctx,
				 const char *name, unsigned char *cfg,
				 size_t cap)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "/sys/bus/virtio/devices/%s/../config",
		 name);
	return read_bounded(ctx, rel, (char *)cfg, cap);
}

static bool virtio_on_pci(const struct conform_ctx *ctx, const char *name)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "/sys/bus/virtio/devices/%s/../config",
		 name);
	return path_exists(ctx, rel);
}

struct virtio_irq {
	const char *name;
	int msi, intx;
	char chip[48];
};

static void virtio_irq_line(const struct irq_line *l, void *opaque)
{
	struct virtio_irq *v = opaque;
	bool msi = memmem(l->chip, l->chip_len, "MSI", 3) ||
		   memmem(l->chip, l->chip_len, "v2m", 3);

	if (!irq_has_action(l, v->name))
		return;
	if (msi)
		v->msi++;
	else
		v->intx++;
	if (!v->chip[0])
		printable(l->chip, l->chip_len, v->chip, sizeof(v->chip));
}

/* A PCI host bridge (device_type "pci") with msi-map or msi-parent. */
static int msi_host_visit(const struct conform_ctx *ctx, const char *node,
			  void *opaque)
{
	char *out = opaque, s[16];
	const char *prop = NULL;

	if (dt_prop(ctx, node, "device_type", s, sizeof(s)) <= 0 ||
	    strcmp(s, "pci") != 0 || !dt_enabled(ctx, node))
		return 0;
	if (dt_prop(ctx, node, "msi-map", s, sizeof(s)) != -ENOENT)
		prop = "msi-map";
	else if (dt_prop(ctx, node, "msi-parent", s, sizeof(s)) != -ENOENT)
		prop = "msi-parent";
	if (!prop)
		return 0;
	snprintf(out, 128, "%.100s %s", node, prop);
	return 1;
}

/*
 * Whether a virtio PCI device uses MSIs. No rule asks for them (the
 * rules field is "-"), so this never FAILs: INTx is by design when the
 * function has no MSI-X capability, the DT no ITS or GICv2m frame, or the
 * host bridge no msi-map/msi-parent. When the VM offers all of that and
 * the guest still uses INTx, that is the guest's choice (pci=nomsi, a
 * kernel without the ITS driver): a SKIP that says so.
 */
static void check_msi(const struct conform_ctx *ctx, struct conform_result *r)
{
	static const char *const frames[] = {"arm,gic-v3-its",
					     "arm,gic-v2m-frame", NULL};
	struct strbuf odd = {.len = 0}, intx = {.len = 0}, msi = {.len = 0};
	char node[256], host[128] = "", cmdline[1024], *irqs;
	int frame = dt_find_compatible(ctx, frames, node, sizeof(node));
	int pci = 0, nmsi = 0, nintx = 0, chosen = 0, unknown = 0;
	unsigned char *cfg;
	struct names l;
	unsigned int i;

	if (virtio_devices(ctx, &l) < 0 || l.n == 0) {
		result_set(r, CONFORM_SKIP, "no virtio device");
		free_names(&l);
		return;
	}
	irqs = read_interrupts(ctx, r);
	cfg = malloc(4097);
	if (!irqs || !cfg) {
		if (irqs)
			result_set(r, CONFORM_SKIP, "out of memory");
		r->status = CONFORM_SKIP;
		free(irqs);
		free(cfg);
		free_names(&l);
		return;
	}
	if (dt_walk(ctx, msi_host_visit, host) != 1)
		host[0] = '\0';
	for (i = 0; i < l.n; i++) {
		struct virtio_irq v = {.name = l.v[i]};
		const char *why;
		char w[64];
		ssize_t n;
		int k;

		if (!virtio_on_pci(ctx, l.v[i]))
			continue;
		pci++;
		irq_each(irqs, virtio_irq_line, &v);
		if (v.msi) {
			nmsi++;
			sb_add(&msi, ", %s %s", l.v[i], v.chip);
			continue;
		}
		if (!v.intx) {
			sb_add(&intx, ", %s no interrupt", l.v[i]);
			continue;
		}
		nintx++;
		n = virtio_pci_config(ctx, l.v[i], cfg, 4097);
		snprintf(w, sizeof(w), "config space unreadable");
		k = n < 0 ? -2
			  : conform_pci_find_cap(cfg, (size_t)n, 0x11, w,
						 sizeof(w));
		if (k == 0) {
			why = "no MSI-X";
		} else if (k < 0) {
			why = w; /* unreadable: INTx may not be by design */
			unknown++;
		} else if (frame < 0) {
			why = "MSI-X, no ITS or GICv2m frame";
		} else if (!host[0]) {
			why = "MSI-X, no host bridge msi-map or msi-parent";
		} else {
			why = NULL;
		}
		if (why) {
			sb_add(&intx, ", %s INTx (%s)", l.v[i], why);
		} else {
			chosen++;
			sb_add(&odd, ", %s INTx, MSI-X and MSIs offered",
			       l.v[i]);
		}
	}
	free(irqs);
	free(cfg);
	free_names(&l);
	if (pci == 0) {
		result_set(r, CONFORM_SKIP, "no virtio device on PCI");
		return;
	}
	if (read_value(ctx, "/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		cmdline[0] = '\0';
	/* the devices worth a look first: the evidence is cut at 200 */
	sb_add(&odd, "%s%s", intx.buf, msi.buf);
	/* SKIP, not PASS, where it cannot tell (a config space it could not
	 * read: INTx there may not be by design). */
	result_set(r,
		   chosen || unknown || (!nmsi && !nintx) ? CONFORM_SKIP
							  : CONFORM_PASS,
		   "%s%d of %d on MSIs%s: %s; %s %s; %s",
		   chosen ? "the guest chose INTx: " : "", nmsi, pci,
		   strstr(cmdline, "nomsi") ? " (cmdline: nomsi)" : "",
		   odd.buf + 2,
		   frame >= 0 ? frames[frame] : "no ITS or GICv2m frame",
		   frame >= 0 ? node : "in the DT",
		   host[0] ? host : "no host bridge with msi-map/msi-parent");
}

/* /proc/consoles' device names, comma-separated, into out. */
static bool consoles(const struct conform_ctx *ctx, char *out, size_t cap)
{
	char buf[4096], *line, *save = NULL;
	size_t o = 0;

	out[0] = '\0';
	if (read_bounded(ctx, "/proc/consoles", buf, sizeof(buf)) < 0 &&
	    !buf[0])
		return false;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[32], p[32];
		int n;

		if (sscanf(line, "%31s", name) != 1)
			continue;
		printable(name, strlen(name), p, sizeof(p));
		n = snprintf(out + o, cap - o, "%s%s", o ? "," : "", p);
		if (n < 0 || (size_t)n >= cap - o)
			break;
		o += (size_t)n;
	}
	return true;
}

static bool console_listed(const char *list, const char *prefix)
{
	const char *p = list;
	size_t pl = strlen(prefix);

	while (*p) {
		if (strncmp(p, prefix, pl) == 0)
			return true;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return false;
}

/*
 * A pl011 console, or at least a bound pl011 driver (ttyAMA*): an image
 * booted with console=hvc0 still has QEMU's pl011. FAIL only if neither
 * it nor another PLAT-2 console (hvc) is there.
 */
static void check_console_pl011(const struct conform_ctx *ctx,
				struct conform_result *r)
{
	static const char *const pl011[] = {"arm,pl011", NULL};
	char list[160], node[256];
	struct names tty;
	bool in_dt;

	if (!consoles(ctx, list, sizeof(list))) {
		result_set(r, CONFORM_FAIL, "cannot read /proc/consoles");
		return;
	}
	in_dt = dt_find_compatible(ctx, pl011, node, sizeof(node)) >= 0;
	if (!in_dt)
		snprintf(node, sizeof(node), "none");
	if (list_dir(ctx, "/sys/class/tty", "ttyAMA", &tty) < 0)
		tty.n = 0;
	if (console_listed(list, "ttyAMA"))
		result_set(r, CONFORM_PASS, "consoles %s; pl011 in the DT: %s",
			   list, node);
	else if (tty.n)
		result_set(
		    r, CONFORM_PASS,
		    "pl011 driven as %s, not the console: consoles %s; pl011 in the DT: %s",
		    tty.v[0], list[0] ? list : "none", node);
	else if (console_listed(list, "hvc"))
		result_set(
		    r, CONFORM_SKIP,
		    "no ttyAMA; PLAT-2 met by another console: %s; pl011 in the DT: %s",
		    list, node);
	else
		result_set(
		    r, CONFORM_FAIL,
		    "no pl011 (ttyAMA) and no other PLAT-2 console: consoles %s; pl011 in the DT: %s",
		    list[0] ? list : "none", node);
	free_names(&tty);
}

/*
 * A virtio device's features file (one '0' or '1' per bit, bit 0 first)
 * has bit set; false if it is unreadable or shorter.
 */
static bool virtio_feature(const struct conform_ctx *ctx, const char *dev,
			   unsigned int bit, bool *readable)
{
	char rel[128], f[160];
	ssize_t n;

	snprintf(rel, sizeof(rel), "/sys/bus/virtio/devices/%s/features", dev);
	n = read_value(ctx, rel, f, sizeof(f));
	*readable = n > (ssize_t)bit;
	return *readable && f[bit] == '1';
}

#define VIRTIO_CONSOLE_F_MULTIPORT 1

/*
 * Device id 3 is a virtio-console, and also a virtio-serial controller
 * (MULTIPORT), which may have no console port at all (libvirt adds one for
 * the guest agent): Linux makes hvc0 only for a console port.
 */
static void check_console_hvc(const struct conform_ctx *ctx,
			      struct conform_result *r)
{
	struct strbuf sb = {.len = 0};
	char list[160], id[16];
	int nr = 0, single = 0, unknown = 0;
	const char *first = NULL;
	struct names l;
	unsigned int i;

	if (virtio_devices(ctx, &l) == 0) {
		for (i = 0; i < l.n; i++) {
			char rel[128];
			uint64_t v;
			bool readable, multi;

			snprintf(rel, sizeof(rel),
				 "/sys/bus/virtio/devices/%s/device", l.v[i]);
			if (read_value(ctx, rel, id, sizeof(id)) <= 0 ||
			    !parse_u64(id, &v) || v != 3)
				continue;
			if (!nr++)
				first = l.v[i];
			multi = virtio_feature(
			    ctx, l.v[i], VIRTIO_CONSOLE_F_MULTIPORT, &readable);
			if (!readable)
				unknown++;
			else if (!multi)
				single++;
			sb_add(&sb, "%s%s %s", nr > 1 ? ", " : "", l.v[i],
			       !readable ? "(features unreadable)"
			       : multi	 ? "MULTIPORT"
					 : "single port");
		}
	}
	if (!nr) {
		result_set(r, CONFORM_SKIP, "no virtio-console device");
		free_names(&l);
		return;
	}
	if (!consoles(ctx, list, sizeof(list)))
		list[0] = '\0';
	if (path_exists(ctx, "/sys/class/tty/hvc0"))
		result_set(
		    r, CONFORM_PASS,
		    "%s is a virtio-console; /sys/class/tty/hvc0 present; consoles %s",
		    first, list[0] ? list : "none");
	else if (single || unknown)
		/* a port without MULTIPORT is always the console */
		result_set(r, CONFORM_FAIL,
			   "no /sys/class/tty/hvc0, but virtio-console: %s",
			   sb.buf);
	else
		result_set(r, CONFORM_SKIP,
			   "no console port (no hvc0) on virtio-serial: %s",
			   sb.buf);
	free_names(&l);
}

static unsigned int le16(const unsigned char *p)
{
	return (unsigned int)p[0] | (unsigned int)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
	return le16(p) | (uint32_t)le16(p + 2) << 16;
}

int conform_pci_find_cap(const unsigned char *cfg, size_t len, unsigned int id,
			 char *why, size_t cap)
{
	unsigned int ptr, hops;

	snprintf(why, cap, "config space %zu bytes", len);
	if (len < 0x40)
		return -2;
	if (!(le16(cfg + 0x06) & 0x10))
		return 0; /* no capability list */
	ptr = cfg[0x34] & 0xfc;
	for (hops = 0; ptr && hops < 48; hops++) {
		if (ptr < 0x40) {
			snprintf(why, cap,
				 "capability pointer 0x%x in the header", ptr);
			return -3;
		}
		if (ptr + 2 > len)
			return -2;
		if (cfg[ptr] == id)
			return (int)ptr;
		ptr = cfg[ptr + 1] & 0xfc;
	}
	if (ptr) {
		snprintf(why, cap, "capability list loops");
		return -3;
	}
	return 0;
}

int conform_root_port_hotplug(const unsigned char *cfg, size_t len, char *why,
			      size_t cap)
{
	unsigned int flags;
	uint32_t slot;
	int ptr;

	snprintf(why, cap, "config space %zu bytes", len);
	if (len < 0x40)
		return -2;
	if (cfg[0x0b] != 0x06 || cfg[0x0a] != 0x04)
		return -1; /* not a PCI-to-PCI bridge */
	if (!(le16(cfg + 0x06) & 0x10))
		return -1; /* no capability list: not PCIe */
	ptr = conform_pci_find_cap(cfg, len, 0x10, why, cap);
	if (ptr == 0)
		return -1; /* a conventional PCI bridge */
	if (ptr < 0)
		return ptr;
	if ((size_t)ptr + 0x18 > len)
		return -2;
	flags = le16(cfg + ptr + 2);
	if (((flags >> 4) & 0xf) != 4)
		return -1; /* PCIe, but not a Root Port */
	if (!(flags & 0x100)) {
		snprintf(why, cap, "no slot implemented");
		return 0;
	}
	slot = le32(cfg + ptr + 0x14);
	snprintf(why, cap, "SltCap 0x%08x", slot);
	return (slot & 0x40) ? 1 : 0;
}

static void check_pcie_hotplug(const struct conform_ctx *ctx,
			       struct conform_result *r)
{
	/* the ports at fault first: a libvirt VM has some 14 root ports, and
	 * the evidence is cut at 200 characters */
	struct strbuf odd = {.len = 0}, good = {.len = 0};
	unsigned char *cfg = malloc(4097);
	int ports = 0, hpc = 0, no = 0, unknown = 0, bad = 0;
	struct names l;
	unsigned int i;

	if (!cfg) {
		result_set(r, CONFORM_SKIP, "out of memory");
		return;
	}
	if (list_dir(ctx, "/sys/bus/pci/devices", "", &l) < 0) {
		result_set(r, CONFORM_FAIL, "no /sys/bus/pci/devices: no PCI");
		free(cfg);
		return;
	}
	for (i = 0; i < l.n; i++) {
		char rel[PATH_MAX], why[64];
		ssize_t n;
		int k;

		snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/config",
			 l.v[i]);
		n = read_bounded(ctx, rel, (char *)cfg, 4097);
		if (n < 0)
			continue;
		k = conform_root_port_hotplug(cfg, (size_t)n, why, sizeof(why));
		if (k == -1)
			continue;
		ports++;
		if (k == 1)
			hpc++;
		else if (k == 0)
			no++;
		else if (k == -2)
			unknown++;
		else
			bad++;
		if (k == 1)
			sb_add(&good, ", %s HPC (%s)", l.v[i], why);
		else
			sb_add(&odd, ", %s %s (%s)", l.v[i],
			       k == 0	 ? "not hot-plug capable"
			       : k == -2 ? "truncated, not root?"
					 : "malformed",
			       why);
	}
	if (ports == 0)
		result_set(r, CONFORM_FAIL,
			   "no PCIe root port among %u PCI functions", l.n);
	else if (no || bad)
		result_set(r, CONFORM_FAIL, "%d of %d root ports fail: %s; %s",
			   no + bad, ports, odd.buf + 2,
			   good.len ? good.buf + 2 : "no HPC port");
	else if (unknown)
		result_set(r, CONFORM_SKIP,
			   "%d of %d root ports unreadable: %s; %s", unknown,
			   ports, odd.buf + 2,
			   good.len ? good.buf + 2 : "no HPC port");
	else
		result_set(r, CONFORM_PASS, "%d of %d root ports: %s", hpc,
			   ports, good.buf + 2);
	free_names(&l);
	free(cfg);
}

void conform_dump_fdt(const struct conform_ctx *ctx, const char *file,
		      struct conform_result *r)
{
	const size_t max = 16u << 20;
	unsigned char *fdt = malloc(max + 1);
	uint32_t magic, total;
	ssize_t n, w;
	int fd, err;

	if (!fdt) {
		result_set(r, CONFORM_FAIL, "out of memory");
		return;
	}
	n = read_bounded(ctx, "/sys/firmware/fdt", (char *)fdt, max + 1);
	if (n < 0) {
		result_set(r, CONFORM_FAIL, "/sys/firmware/fdt: %s",
			   strerror((int)-n));
		goto out;
	}
	if (n < 40) {
		result_set(r, CONFORM_FAIL, "/sys/firmware/fdt: %zd bytes", n);
		goto out;
	}
	magic = (uint32_t)fdt[0] << 24 | fdt[1] << 16 | fdt[2] << 8 | fdt[3];
	total = (uint32_t)fdt[4] << 24 | fdt[5] << 16 | fdt[6] << 8 | fdt[7];
	if (magic != 0xd00dfeed || total > (uint32_t)n || total < 40) {
		result_set(
		    r, CONFORM_FAIL,
		    "/sys/firmware/fdt: magic 0x%08x, totalsize %u of %zd bytes",
		    magic, total, n);
		goto out;
	}
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		result_set(r, CONFORM_FAIL, "%s: %s", file, strerror(errno));
		goto out;
	}
	w = write(fd, fdt, total);
	err = w < 0 ? errno : 0;
	if (close(fd) < 0 && !err)
		err = errno;
	if (w != (ssize_t)total || err) {
		result_set(r, CONFORM_FAIL, "write %s: %s", file,
			   err ? strerror(err) : "short write");
		goto out;
	}
	result_set(r, CONFORM_PASS, "%u bytes to %s", total, file);
out:
	free(fdt);
}

const struct conform_check conform_checks[] = {
    {"linux.efi-boot", "FW-1", check_efi_boot},
    {"linux.devicetree", "HW-1", check_devicetree},
    {"linux.acpi", "HW-3", check_acpi},
    {"linux.cpus", "HW-2", check_cpus},
    {"linux.memory", "HW-2", check_memory},
    {"linux.psci", CONFORM_NO_RULE, check_psci},
    {"linux.cpu-hotplug", CONFORM_NO_RULE, check_cpu_hotplug},
    {"linux.rtc-efi", "FW-5", check_rtc_efi},
    {"linux.efivars", "FW-3", check_efivars},
    {"linux.gic", "PLAT-3", check_gic},
    {"linux.msi", CONFORM_NO_RULE, check_msi},
    {"linux.timer-dt", "PLAT-4", check_timer_dt},
    {"linux.timer-irq", "PLAT-4", check_timer_irq},
    {"linux.timer-freq", CONFORM_NO_RULE, check_timer_freq},
    {"linux.console-pl011", "PLAT-2", check_console_pl011},
    {"linux.console-hvc", "PLAT-2", check_console_hvc},
    {"linux.pcie-hotplug", "PLAT-5", check_pcie_hotplug},
};
const unsigned int conform_nr_checks =
    sizeof(conform_checks) / sizeof(conform_checks[0]);

const struct conform_check *conform_find(const char *id)
{
	unsigned int i;

	for (i = 0; i < conform_nr_checks; i++)
		if (strcmp(conform_checks[i].id, id) == 0)
			return &conform_checks[i];
	return NULL;
}
