/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `armvm conform`'s pure part (docs/conformance.md, "The host command"):
 * the CONFORM lines a run left on its consoles and in \conform.txt,
 * parsed into one report, judged rule by rule, printed as a table or as
 * JSON. The lines come from a VM under test, which may not conform or may
 * be hostile: every field is checked, and the report is bounded.
 */
#ifndef ARMVM_CONFORM_HOST_REPORT_H
#define ARMVM_CONFORM_HOST_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CFR_MAX_CHECKS	 128 /* from the VM; the host's own go beyond */
#define CFR_HOST_CHECKS	 4
#define CFR_MAX_BLOCKS	 8
#define CFR_MAX_PROBLEMS 16
#define CFR_EVIDENCE_MAX 200 /* the line contract's bound */

enum cfr_status { CFR_PASS, CFR_FAIL, CFR_SKIP };

/* A rule's level in docs/spec/requirements.md. */
enum cfr_level { CFR_NO_RULE, CFR_MAY, CFR_SHOULD, CFR_MUST };

struct cfr_check {
	char id[48];
	char rules[48]; /* "FW-3" or "HW-1,HW-2", or "-" */
	enum cfr_status status;
	char evidence[CFR_EVIDENCE_MAX + 1];
	enum cfr_level level; /* the highest of its rules' */
};

/* A CONFORM-BEGIN ... CONFORM-END block as it came. */
struct cfr_block {
	char part[8];	  /* "uefi" or "linux": its checks' prefix */
	char machine[24]; /* from CONFORM-BEGIN */
	char source[16];  /* the log or file it came from ("run1.log") */
	bool ended;	  /* CONFORM-END seen, with counts that agree */
	unsigned int checks;
};

struct cfr_report {
	struct cfr_check checks[CFR_MAX_CHECKS + CFR_HOST_CHECKS];
	unsigned int nr_checks;
	bool overflowed; /* the VM printed more checks than are kept */
	struct cfr_block blocks[CFR_MAX_BLOCKS];
	unsigned int nr_blocks;
	/* What was wrong with the lines themselves, for the evidence. */
	char problems[CFR_MAX_PROBLEMS][128];
	unsigned int nr_problems;
};

void cfr_init(struct cfr_report *r);
/*
 * Add the CONFORM lines of a console log or results file (anything else
 * is skipped; CR, NUL and a missing last newline are tolerated). A check
 * seen again (the file repeats the console) replaces the earlier one.
 * SOURCE names the text in problems ("boot1.log").
 */
void cfr_parse(struct cfr_report *r, const char *text, size_t len,
	       const char *source);
/* Add a check the host itself made (the runs, the file): it always fits,
 * whatever the VM printed. */
void cfr_add(struct cfr_report *r, const char *id, const char *rules,
	     enum cfr_status st, const char *evidence);
const struct cfr_check *cfr_find(const struct cfr_report *r, const char *id);
/* The level of one rule id ("FW-3"), CFR_NO_RULE for "-" or unknown. */
enum cfr_level cfr_rule_level(const char *rule);
const char *cfr_level_name(enum cfr_level l);
const char *cfr_status_name(enum cfr_status s);

/* true when no check of a "must" rule FAILed and the report is whole. */
bool cfr_musts_pass(const struct cfr_report *r);
/* The table (rule, level, check, result, evidence) or one JSON object. */
void cfr_print(const struct cfr_report *r, FILE *f, bool json, const char *vmm);

#endif
