/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The image checker: every IMG-n rule of the ARM VM System Specification
 * (docs/spec/requirements.md), split into finer checks with their own
 * ids ("IMG-1.primary-crc"), each mapped to one rule. docs/image.md lists
 * them. The image is only read, never repaired.
 */
#ifndef ARMVM_IMAGE_CHECK_H
#define ARMVM_IMAGE_CHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "image/io.h"
#include "image/pe.h"

enum chk_status { CHK_PASS, CHK_FAIL, CHK_WARN, CHK_NOT_CHECKED };

enum chk_arch { CHK_ARCH_ANY, CHK_ARCH_AARCH64, CHK_ARCH_ARM };

struct chk_result {
	enum chk_status status;
	const char *id;	   /* "IMG-1.pmbr" */
	const char *level; /* "must", "should" */
	char file[32];	   /* "BOOTAA64.EFI" for per-file checks, else "" */
	char evidence[400];
};

struct chk_report {
	struct chk_result *r;
	int n, cap;
	bool boots[3];	 /* indexed by enum pe_arch: the image is compliant
			* and has a valid boot file for that state */
	bool file_ok[3]; /* a valid boot file, whatever else fails */
	struct pe_info pe[3];
};

/* image_check() flags. */
enum {
	/* Skip IMG-7..IMG-10 (the guest kernel in the Linux partitions):
	 * for callers that only need the ESP and its boot files. */
	CHK_NO_GUEST = 1,
};

/* Check the image in s. Returns 0 when every must passes, else 1. */
int image_check(const struct img_src *s, enum chk_arch arch, unsigned int flags,
		struct chk_report *rep);
void chk_report_free(struct chk_report *rep);
/* One line per check; or one JSON object. */
void chk_print(const struct chk_report *rep, FILE *f, bool json,
	       const char *image);
const char *chk_status_name(enum chk_status s);
/* Number of results with the given status. */
int chk_count(const struct chk_report *rep, enum chk_status s);

/*
 * For `armvm run` and the conformance tools: find the ESP of the image
 * file and the removable-media boot files on it. boots[PE_ARCH_AARCH64]
 * and boots[PE_ARCH_ARM] say which execution states have a valid EFI
 * application on the ESP (IMG-4, IMG-5), even when other rules fail
 * (compliant says whether every must passes). Returns 0 when at least one
 * state boots, else -1 with the first failure in why.
 */
struct image_boot {
	bool boots[3];
	struct pe_info pe[3];
	bool compliant;
};
int image_find_boot(const char *path, struct image_boot *out, char *why,
		    size_t whylen);
/*
 * The same in a child process under tight limits (image/probe.c), for a
 * disk a guest could have written: a reader bug costs the probe, not the
 * caller. Returns 0, or -1 with why (also when the child died). Call it
 * before the process starts threads: the child allocates, and a lock held
 * by another thread at the fork would stay held in it.
 */
int image_probe_boot(const char *path, struct image_boot *out, char *why,
		     size_t whylen);

#endif
