// SPDX-License-Identifier: GPL-2.0
/*
 * IMG-7..IMG-10: the guest kernel's configuration against the devices an
 * ARM VM System Specification machine offers (image/guest.h). The image
 * is only read; the ext2/3/4 partitions through image/ext.c (libext2fs,
 * bounded), the ESP through image/fat.c.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/ext.h"
#include "image/fat.h"
#include "image/guest.h"
#include "image/guid.h"
#include "lib/util.h"

/* An option, and its module (under kernel/, without .ko) when tristate. */
struct kopt {
	const char *name, *module;
};

/* IMG-7: pl011 (and its console), virtio-console, the Xen PV console. */
static const struct kopt img7[] = {
    {"SERIAL_AMBA_PL011", "drivers/tty/serial/amba-pl011"},
    {"SERIAL_AMBA_PL011_CONSOLE", NULL},
    {"VIRTIO_CONSOLE", "drivers/char/virtio_console"},
    {"HVC_XEN", NULL},
    {NULL, NULL},
};

/* IMG-8: GICv2 and GICv3 (the newest version the machine offers). */
static const struct kopt img8[] = {
    {"ARM_GIC", NULL},
    {"ARM_GIC_V3", NULL},
    {NULL, NULL},
};

/* IMG-9: both virtio transports; block, network, console, balloon over
 * virtio and as Xen PV front ends. */
static const struct kopt img9[] = {
    {"VIRTIO_PCI", "drivers/virtio/virtio_pci"},
    {"VIRTIO_MMIO", "drivers/virtio/virtio_mmio"},
    {"VIRTIO_BLK", "drivers/block/virtio_blk"},
    {"VIRTIO_NET", "drivers/net/virtio_net"},
    {"VIRTIO_CONSOLE", "drivers/char/virtio_console"},
    {"VIRTIO_BALLOON", "drivers/virtio/virtio_balloon"},
    {"XEN_BLKDEV_FRONTEND", "drivers/block/xen-blkfront"},
    {"XEN_NETDEV_FRONTEND", "drivers/net/xen-netfront"},
    {"HVC_XEN", NULL},
    {"XEN_BALLOON", NULL},
    {NULL, NULL},
};

/* IMG-10: wall-clock time from the UEFI RTC runtime service. */
static const struct kopt img10[] = {
    {"RTC_DRV_EFI", "drivers/rtc/rtc-efi"},
    {NULL, NULL},
};

static const struct {
	const char *id;
	const struct kopt *opts;
} rules[GUEST_RULES] = {
    {"IMG-7", img7},
    {"IMG-8", img8},
    {"IMG-9", img9},
    {"IMG-10", img10},
};

enum kconfig_val kconfig_get(const char *text, size_t len, const char *name)
{
	enum kconfig_val v = KCONFIG_ABSENT;
	size_t nl = strlen(name);
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t l;

		if (!eol)
			eol = end;
		l = (size_t)(eol - p);
		if (l > 7 + nl && !memcmp(p, "CONFIG_", 7) &&
		    !memcmp(p + 7, name, nl) && p[7 + nl] == '=') {
			const char *val = p + 8 + nl;
			size_t vl = l - 8 - nl;

			if (vl && val[vl - 1] == '\r')
				vl--;
			if (vl == 1 && *val == 'y')
				v = KCONFIG_Y;
			else if (vl == 1 && *val == 'm')
				v = KCONFIG_M;
			else if (vl == 1 && *val == 'n')
				v = KCONFIG_NO;
			else
				v = KCONFIG_OTHER;
		} else if ((l == 9 + nl + 11 ||
			    (l == 9 + nl + 12 && p[l - 1] == '\r')) &&
			   !memcmp(p, "# CONFIG_", 9) &&
			   !memcmp(p + 9, name, nl) &&
			   !memcmp(p + 9 + nl, " is not set", 11)) {
			v = KCONFIG_NO;
		}
		p = eol + 1;
	}
	return v;
}

/* Append to a bounded string; the evidence is cut, never overrun. */
static void __attribute__((format(printf, 3, 4)))
append(char *buf, size_t size, const char *fmt, ...)
{
	size_t l = strnlen(buf, size);
	va_list ap;

	if (l + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + l, size - l, fmt, ap);
	va_end(ap);
}

static void eval_rule(const char *config, size_t len, const char *version,
		      const char *where, guest_module_fn modules, void *ctx,
		      const struct kopt *opts, struct guest_result *r)
{
	char bad[400] = "", good[400] = "", unread[400] = "", why[200];
	bool trusted = false;

	for (const struct kopt *o = opts; o->name; o++) {
		enum kconfig_val v = kconfig_get(config, len, o->name);
		const char *base;
		int have;

		switch (v) {
		case KCONFIG_Y:
			append(good, sizeof(good), " %s=y", o->name);
			continue;
		case KCONFIG_M:
			if (!o->module) {
				append(bad, sizeof(bad),
				       "%sCONFIG_%s=m, but it must be built in",
				       bad[0] ? "; " : "", o->name);
				continue;
			}
			why[0] = 0;
			have = modules
				   ? modules(ctx, o->module, why, sizeof(why))
				   : -1;
			base = strrchr(o->module, '/') + 1;
			/* Unreadable is not absent: said, not guessed. */
			if (have < -1) {
				append(
				    unread, sizeof(unread),
				    "%sCONFIG_%s=m, but %s.ko cannot be looked "
				    "up: %s",
				    unread[0] ? "; " : "", o->name, base, why);
				continue;
			}
			if (have == 0) {
				append(
				    bad, sizeof(bad),
				    "%sCONFIG_%s=m, but %s.ko is not in /lib/modules/%s/kernel/%.*s",
				    bad[0] ? "; " : "", o->name, base, version,
				    (int)(base - o->module - 1), o->module);
				continue;
			}
			trusted |= have < 0;
			append(good, sizeof(good), " %s=m", o->name);
			continue;
		case KCONFIG_OTHER:
			append(bad, sizeof(bad), "%sCONFIG_%s is not y or m",
			       bad[0] ? "; " : "", o->name);
			continue;
		case KCONFIG_NO:
		case KCONFIG_ABSENT:
			append(bad, sizeof(bad), "%sCONFIG_%s is not set",
			       bad[0] ? "; " : "", o->name);
			continue;
		}
	}
	/* Appended piece by piece: cut at the evidence's size, if ever. */
	r->evidence[0] = 0;
	append(r->evidence, sizeof(r->evidence), "kernel %s:", version);
	if (bad[0]) {
		r->status = CHK_FAIL;
		append(r->evidence, sizeof(r->evidence), " %s%s%s (%s)", bad,
		       unread[0] ? "; " : "", unread, where);
	} else if (unread[0]) {
		r->status = CHK_NOT_CHECKED;
		append(r->evidence, sizeof(r->evidence), " %s (%s)", unread,
		       where);
	} else {
		r->status = CHK_PASS;
		append(r->evidence, sizeof(r->evidence), "%s (%s%s)", good,
		       where,
		       trusted ? "; no /lib/modules: =m taken on trust" : "");
	}
}

void guest_eval(const char *config, size_t len, const char *version,
		const char *where, guest_module_fn modules, void *ctx,
		struct guest_report *out)
{
	for (int i = 0; i < GUEST_RULES; i++) {
		out->r[i].id = rules[i].id;
		eval_rule(config, len, version, where, modules, ctx,
			  rules[i].opts, &out->r[i]);
	}
}

void guest_not_checked(struct guest_report *out, const char *why)
{
	for (int i = 0; i < GUEST_RULES; i++) {
		out->r[i].id = rules[i].id;
		out->r[i].status = CHK_NOT_CHECKED;
		snprintf(out->r[i].evidence, sizeof(out->r[i].evidence), "%s",
			 why);
	}
}

/* --- finding the kernels ------------------------------------------------ */

#define MAX_VOLS    8
#define MAX_KERNELS 32
#define MAX_DIRENTS 4096 /* entries read from one directory */

struct kernel {
	char version[64];
	int vol;       /* index in vols[], or -1: the ESP */
	char path[96]; /* "/boot/config-6.1.0-27-arm64" */
	unsigned int part;
	struct fat_dirent fe; /* on the ESP: the entry the scan found */
};

struct finder {
	struct ext_vol *vols[MAX_VOLS];
	unsigned int vol_part[MAX_VOLS];
	int nvols;
	struct kernel k[MAX_KERNELS];
	int nk;
	/* what the list callback is looking at */
	int cur_vol;
	unsigned int cur_part;
	const char *cur_dir;
	char notes[320];
	bool kernels_cut; /* more than MAX_KERNELS */
	bool dirs_cut;	  /* a directory of more than MAX_DIRENTS */
};

/* A version as a kernel release names it: no '/', no oddities. */
static bool version_ok(const char *v)
{
	size_t l = strlen(v);

	if (!l || l >= sizeof(((struct kernel *)0)->version) || v[0] == '.')
		return false;
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		      (*v >= '0' && *v <= '9') || strchr(".-_+~", *v)))
			return false;
	return true;
}

/*
 * A copy an editor, dpkg or an administrator left (config-6.1.0.old,
 * config-6.1.0~, config-6.1.0.dpkg-bak): not a kernel, whatever
 * strverscmp() makes of its name.
 */
static bool backup_name(const char *v)
{
	static const char *const sfx[] = {".old", ".bak",    ".orig", ".save",
					  ".sav", ".backup", "~"};
	size_t l = strlen(v);

	if (strstr(v, ".dpkg-") || strstr(v, ".ucf-"))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(sfx); i++)
		if (l >= strlen(sfx[i]) &&
		    !strcmp(v + l - strlen(sfx[i]), sfx[i]))
			return true;
	return false;
}

static void add_kernel(struct finder *f, const char *name, int vol,
		       unsigned int part, const char *dir,
		       const struct fat_dirent *fe)
{
	struct kernel *k;

	if (strncmp(name, "config-", 7) || !version_ok(name + 7) ||
	    backup_name(name + 7))
		return;
	for (int i = 0; i < f->nk; i++)
		if (!strcmp(f->k[i].version, name + 7))
			return; /* the first found: ext before the ESP */
	if (f->nk == MAX_KERNELS) {
		f->kernels_cut = true;
		return;
	}
	k = &f->k[f->nk++];
	snprintf(k->version, sizeof(k->version), "%s", name + 7);
	snprintf(k->path, sizeof(k->path), "%s%s", dir, name);
	k->vol = vol;
	k->part = part;
	if (fe)
		k->fe = *fe;
}

static int list_cb(const char *name, void *arg)
{
	struct finder *f = arg;

	add_kernel(f, name, f->cur_vol, f->cur_part, f->cur_dir, NULL);
	return 0;
}

static bool is_linux_type(const uint8_t type[16])
{
	static const char *const names[] = {"linux", "root-arm64", "root-arm",
					    "xbootldr"};
	uint8_t g[16];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (guid_parse(gpt_type_by_name(names[i]), g) &&
		    !memcmp(g, type, 16))
			return true;
	return false;
}

static void scan_ext(struct finder *f, const struct img_src *s,
		     const struct gpt_part *p)
{
	const char *desc = gpt_type_describe(p->type);
	uint64_t off, len;
	char why[200];
	struct ext_vol *v;
	int before = f->nk;

	if (!desc)
		desc = "Linux";
	if (!gpt_part_extent(p, s->size, &off, &len))
		return; /* IMG-1.entries says so */
	if (!ext_probe(s, off, len)) {
		append(f->notes, sizeof(f->notes),
		       "%spartition %u (%s): not ext2/3/4",
		       f->notes[0] ? "; " : "", p->index, desc);
		return;
	}
	if (f->nvols == MAX_VOLS) {
		append(f->notes, sizeof(f->notes),
		       "%spartition %u (%s): not read, more than %d Linux "
		       "file systems",
		       f->notes[0] ? "; " : "", p->index, desc, MAX_VOLS);
		return;
	}
	v = ext_open(s, off, len, why, sizeof(why));
	if (!v) {
		append(f->notes, sizeof(f->notes), "%spartition %u (%s): %s",
		       f->notes[0] ? "; " : "", p->index, desc, why);
		return;
	}
	f->vol_part[f->nvols] = p->index;
	f->vols[f->nvols++] = v;
	f->cur_vol = f->nvols - 1;
	f->cur_part = p->index;
	/* The root file system's /boot; a separate /boot partition's root. */
	for (int i = 0; i < 2; i++) {
		const char *dir = i ? "/" : "/boot";
		int r;

		f->cur_dir = i ? "/" : "/boot/";
		r = ext_list_dir(v, dir, MAX_DIRENTS, list_cb, f, why,
				 sizeof(why));
		/* Absent is no news; unreadable or cut short is. */
		f->dirs_cut |= r == 2;
		if (r < 0 || r == 2)
			append(f->notes, sizeof(f->notes),
			       "%spartition %u (%s): %s",
			       f->notes[0] ? "; " : "", p->index, desc, why);
	}
	if (f->nk == before)
		append(f->notes, sizeof(f->notes),
		       "%spartition %u (%s): no /boot/config-*",
		       f->notes[0] ? "; " : "", p->index, desc);
}

static void scan_esp(struct finder *f, const struct gpt_part *p,
		     struct fat_vol *fv)
{
	struct fat_dirent *e = NULL;
	char why[200];
	int n, before = f->nk;

	n = fat_dir_read(fv, NULL, &e, why, sizeof(why));
	if (n < 0)
		append(f->notes, sizeof(f->notes),
		       "%sthe ESP (partition %u): %s", f->notes[0] ? "; " : "",
		       p->index, why);
	f->dirs_cut |= n > MAX_DIRENTS;
	if (n > MAX_DIRENTS)
		append(f->notes, sizeof(f->notes),
		       "%sthe ESP (partition %u): more than %d entries, the "
		       "rest unread",
		       f->notes[0] ? "; " : "", p->index, MAX_DIRENTS);
	for (int i = 0; i < n && i < MAX_DIRENTS; i++)
		if (!(e[i].attr & FAT_ATTR_DIR))
			add_kernel(f, e[i].name, -1, p->index, "\\", &e[i]);
	free(e);
	if (f->nk == before)
		append(f->notes, sizeof(f->notes),
		       "%sthe ESP (partition %u): no config-*",
		       f->notes[0] ? "; " : "", p->index);
}

struct mod_ctx {
	struct ext_vol *v;
	const char *version;
	const char *err; /* no tree found, but one was unreadable: why */
};

static int has_module(void *arg, const char *mod, char *why, size_t whylen)
{
	static const char *const ext[] = {".ko", ".ko.xz", ".ko.zst", ".ko.gz"};
	struct mod_ctx *m = arg;
	char path[256];

	if (!m->v) {
		snprintf(why, whylen, "%s", m->err);
		return -2;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ext); i++) {
		snprintf(path, sizeof(path), "/lib/modules/%s/kernel/%s%s",
			 m->version, mod, ext[i]);
		switch (ext_stat(m->v, path, why, whylen)) {
		case EXT_FILE:
			return 1;
		case EXT_ERROR:
			return -2; /* why says where the tree is unreadable */
		default:
			continue;
		}
	}
	return 0;
}

void guest_check(const struct img_src *s, const struct gpt_part *p, int n,
		 int esp, struct fat_vol *fv, struct guest_report *out)
{
	struct finder *f = calloc(1, sizeof(*f));
	struct kernel *k;
	struct mod_ctx mc = {NULL, NULL, NULL};
	char why[240], where[300], mdir[128], mwhy[300], msg[400];
	char *cfg = NULL;
	size_t len = 0;
	int newest = 0;

	if (!f) {
		guest_not_checked(out, "out of memory");
		return;
	}
	for (int i = 0; i < n; i++)
		if (i != esp && is_linux_type(p[i].type))
			scan_ext(f, s, &p[i]);
	if (esp >= 0 && fv)
		scan_esp(f, &p[esp], fv);
	if (!f->nk) {
		snprintf(
		    msg, sizeof(msg),
		    "no kernel configuration (config-<version>) in the image: %s",
		    f->notes[0]
			? f->notes
			: "no Linux partition (linux, root-arm64, root-arm, xbootldr) and no ESP");
		guest_not_checked(out, msg);
		goto out;
	}
	/* Several kernels: the newest decides (docs/image.md). */
	for (int i = 1; i < f->nk; i++)
		if (strverscmp(f->k[i].version, f->k[newest].version) > 0)
			newest = i;
	k = &f->k[newest];
	if (k->vol >= 0) {
		if (ext_read_file(f->vols[k->vol], k->path, GUEST_MAX_CONFIG,
				  &cfg, &len, why, sizeof(why))) {
			char w[300];

			snprintf(w, sizeof(w), "partition %u: %s", k->part,
				 why);
			guest_not_checked(out, w);
			goto out;
		}
	} else {
		uint8_t *b = NULL;

		/* The entry the scan found: no second lookup by name. */
		if (fat_read_file(fv, &k->fe, &b, GUEST_MAX_CONFIG, why,
				  sizeof(why))) {
			char w[300];

			snprintf(w, sizeof(w), "the ESP: %s: %s", k->path, why);
			guest_not_checked(out, w);
			goto out;
		}
		cfg = (char *)b;
		len = k->fe.size;
	}
	/* The module tree: on the kernel's own partition first. */
	snprintf(mdir, sizeof(mdir), "/lib/modules/%s", k->version);
	mwhy[0] = 0;
	for (int j = 0; !mc.v && j <= f->nvols; j++) {
		/* j == 0: the kernel's own partition; then the others. */
		int i = j ? j - 1 : k->vol;
		enum ext_type t;

		if (i < 0 || (j && i == k->vol))
			continue;
		t = ext_stat(f->vols[i], mdir, why, sizeof(why));
		if (t == EXT_DIR)
			mc.v = f->vols[i];
		/* Unreadable is not absent: =m is then not taken on trust. */
		else if (t == EXT_ERROR && !mwhy[0])
			snprintf(mwhy, sizeof(mwhy), "partition %u: %s",
				 f->vol_part[i], why);
	}
	mc.err = mc.v ? NULL : mwhy[0] ? mwhy : NULL;
	mc.version = k->version;
	/* The newest of those read: say when not all could be. */
	snprintf(where, sizeof(where), "%s on %s %u%s%s%s%s", k->path,
		 k->vol >= 0 ? "partition" : "the ESP, partition", k->part,
		 f->nk > 1 ? ", the newest kernel" : "",
		 f->kernels_cut ? " of the first 32 found" : "",
		 f->dirs_cut ? "; a directory of more than 4096 entries was "
			       "read in part"
			     : "",
		 k->vol >= 0 && ext_needs_recovery(f->vols[k->vol])
		     ? "; its journal needs recovery: read unreplayed"
		     : "");
	guest_eval(cfg, len, k->version, where,
		   mc.v || mc.err ? has_module : NULL, &mc, out);
out:
	free(cfg);
	for (int i = 0; i < f->nvols; i++)
		ext_close(f->vols[i]);
	free(f);
}
