/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest OS rules of `armvm image check` (docs/spec/requirements.md):
 * IMG-7 consoles, IMG-8 GIC versions, IMG-9 virtio and Xen PV drivers,
 * IMG-10 the UEFI RTC. Each is decided from the guest kernel's
 * configuration (/boot/config-<version> on an ext2/3/4 Linux partition,
 * or config-<version> in the ESP's root directory) and, for options built
 * as modules (=m), from the module files under /lib/modules/<version>.
 * docs/image.md says how.
 */
#ifndef ARMVM_IMAGE_GUEST_H
#define ARMVM_IMAGE_GUEST_H

#include <stddef.h>

#include "image/check.h"
#include "image/gpt.h"

/* The largest kernel configuration read (Debian's arm64 one: ~280 KB). */
#define GUEST_MAX_CONFIG (4u << 20)

/* A kernel option's value in a .config. */
enum kconfig_val {
	KCONFIG_ABSENT, /* no line names it */
	KCONFIG_NO,	/* "# CONFIG_X is not set" or CONFIG_X=n */
	KCONFIG_Y,
	KCONFIG_M,
	KCONFIG_OTHER, /* a string or a number */
};

/* The value of CONFIG_<name> in the text of a .config (the last line). */
enum kconfig_val kconfig_get(const char *text, size_t len, const char *name);

#define GUEST_RULES 4

struct guest_result {
	const char *id; /* "IMG-7" */
	enum chk_status status;
	char evidence[400];
};

struct guest_report {
	struct guest_result r[GUEST_RULES];
};

/*
 * Whether the module file of kernel/<mod>.ko (or .ko.xz, .ko.zst,
 * .ko.gz) exists: 1, 0, -1 when the image has no module tree for the
 * kernel (=m is then taken on trust, and the evidence says so), or -2
 * when the tree cannot be read (an I/O error, a corrupt directory): why
 * says where, and the rule is not decided on a guess.
 */
typedef int (*guest_module_fn)(void *ctx, const char *mod, char *why,
			       size_t whylen);

/*
 * Decide IMG-7..IMG-10 for one kernel from its configuration. version
 * and where ("/boot/config-6.1.0-27-arm64 on partition 2") are for the
 * evidence; modules (may be NULL: no module tree) answers for =m.
 */
void guest_eval(const char *config, size_t len, const char *version,
		const char *where, guest_module_fn modules, void *ctx,
		struct guest_report *out);

/* Every rule not checked, for the reason why. */
void guest_not_checked(struct guest_report *out, const char *why);

struct fat_vol;

/*
 * Find the kernels in the image's partitions p[0..n) (esp: the ESP's
 * index, or -1; fv: its FAT as the caller opened it for IMG-3, or NULL
 * when it holds none), and decide the rules for the newest one (by
 * version, strverscmp()).
 */
void guest_check(const struct img_src *s, const struct gpt_part *p, int n,
		 int esp, struct fat_vol *fv, struct guest_report *out);

#endif
