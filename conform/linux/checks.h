/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The checks of the Linux conformance program (docs/conformance.md). Each
 * check is a function of a context (the root its files are read under)
 * filling one result, so that tests run it on fake trees; main() only parses
 * options and prints. The output contract with the host side:
 *
 *   CONFORM-BEGIN <format version> <machine>
 *   CONFORM <check-id> <RULE-ID[,RULE-ID]|-> <PASS|FAIL|SKIP> <evidence>
 *   ...
 *   CONFORM-END <passed> <failed> <skipped>
 */
#ifndef ARMVM_CONFORM_LINUX_CHECKS_H
#define ARMVM_CONFORM_LINUX_CHECKS_H

#include <stdio.h>

#include "conform/linux/util.h"

#define CONFORM_FORMAT_VERSION 1
/*
 * The rules field of a check no rule of docs/spec/requirements.md covers
 * (PSCI, CPU hotplug, MSIs, the counter's frequency): still one token.
 */
#define CONFORM_NO_RULE "-"

struct conform_check {
	const char *id; /* linux.NAME: stable, lowercase */
	/* RULE-ID[,RULE-ID] of docs/spec/requirements.md, or CONFORM_NO_RULE */
	const char *rules;
	void (*run)(const struct conform_ctx *ctx, struct conform_result *r);
};

/* Every check, in the order the program runs them. */
extern const struct conform_check conform_checks[];
extern const unsigned int conform_nr_checks;

const struct conform_check *conform_find(const char *id);
const char *conform_status_name(enum conform_status s);
/* One CONFORM line; the evidence made printable, "-" if empty. */
void conform_print(FILE *out, const char *id, const char *rules,
		   const struct conform_result *r);

/*
 * The generic timer's interrupts in two samples of /proc/interrupts taken
 * ms apart: PASS if the arch_timer count rose. fake (a --root tree, whose
 * files do not change): an unchanged count is a SKIP, not a FAIL.
 */
void conform_judge_timer(const char *before, const char *after, bool fake,
			 unsigned int ms, struct conform_result *r);
/* The sum of every CPU's count on /proc/interrupts' arch_timer lines;
 * the number of such lines (0: none). */
int conform_timer_count(const char *interrupts, uint64_t *sum);

/*
 * One PCI function's configuration space (as sysfs gives it): 1 if it is a
 * PCIe Root Port whose slot is Hot-Plug Capable, 0 a Root Port that is not
 * (why says how), -1 not a PCIe Root Port, -2 too short to tell (sysfs
 * gives non-root users 64 bytes), -3 a malformed capability list.
 */
int conform_root_port_hotplug(const unsigned char *cfg, size_t len, char *why,
			      size_t cap);

/*
 * The offset of capability id in a PCI function's configuration space: 0
 * if it has none, -2 too short to tell, -3 a malformed list (why says how).
 */
int conform_pci_find_cap(const unsigned char *cfg, size_t len, unsigned int id,
			 char *why, size_t cap);

/* --dump-fdt: copies /sys/firmware/fdt to file after checking its header. */
void conform_dump_fdt(const struct conform_ctx *ctx, const char *file,
		      struct conform_result *r);

#endif
