// SPDX-License-Identifier: GPL-2.0
/* `armvm conform`'s report: parsing, judging, printing (report.h). */
#include <ctype.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "conform/host/report.h"

/*
 * The levels of the rules the checks name, as docs/spec/requirements.md
 * gives them. A rule missing here counts as no rule: it cannot make the
 * run fail, and the table shows its level as "-".
 */
static const struct {
	const char *rule;
	enum cfr_level level;
} cfr_levels[] = {
    {"FW-1", CFR_MUST},	    {"FW-2", CFR_SHOULD}, {"FW-3", CFR_SHOULD},
    {"FW-4", CFR_MUST},	    {"FW-5", CFR_MUST},	  {"HW-1", CFR_MUST},
    {"HW-2", CFR_MUST},	    {"HW-3", CFR_MAY},	  {"PLAT-1", CFR_MUST},
    {"PLAT-2", CFR_MUST},   {"PLAT-3", CFR_MUST}, {"PLAT-4", CFR_SHOULD},
    {"PLAT-5", CFR_SHOULD}, {"PLAT-6", CFR_MAY},
};

void cfr_init(struct cfr_report *r)
{
	memset(r, 0, sizeof(*r));
}

static void cfr_problem(struct cfr_report *r, const char *fmt, const char *a,
			unsigned int n)
{
	if (r->nr_problems < CFR_MAX_PROBLEMS)
		snprintf(r->problems[r->nr_problems++], sizeof(r->problems[0]),
			 fmt, a, n);
}

enum cfr_level cfr_rule_level(const char *rule)
{
	size_t i;

	for (i = 0; i < sizeof(cfr_levels) / sizeof(cfr_levels[0]); i++)
		if (!strcmp(cfr_levels[i].rule, rule))
			return cfr_levels[i].level;
	return CFR_NO_RULE;
}

const char *cfr_level_name(enum cfr_level l)
{
	static const char *const names[] = {"-", "may", "should", "must"};

	return names[l];
}

const char *cfr_status_name(enum cfr_status s)
{
	static const char *const names[] = {"PASS", "FAIL", "SKIP"};

	return names[s];
}

/* The highest level among "FW-3,HW-1"'s rules. */
static enum cfr_level cfr_rules_level(const char *rules)
{
	enum cfr_level best = CFR_NO_RULE, l;
	char one[16];
	const char *p = rules;

	while (*p) {
		size_t n = strcspn(p, ",");

		if (n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			l = cfr_rule_level(one);
			if (l > best)
				best = l;
		}
		p += n;
		if (*p)
			p++;
	}
	return best;
}

/* A token of the allowed characters, 1..max-1 long, copied into out. */
static bool cfr_token(const char **p, char *out, size_t max, const char *ok)
{
	size_t n = strspn(*p, ok);

	if (n == 0 || n >= max || ((*p)[n] != ' ' && (*p)[n] != '\0'))
		return false;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n;
	if (**p == ' ')
		(*p)++;
	return true;
}

#define CFR_ID_CHARS	"abcdefghijklmnopqrstuvwxyz0123456789.-"
#define CFR_RULE_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,-"
#define CFR_COUNT_CHARS "0123456789"

static void cfr_put(struct cfr_report *r, const char *id, const char *rules,
		    enum cfr_status st, const char *evidence, unsigned int max)
{
	struct cfr_check *c = NULL;
	unsigned int i;
	char *e;

	for (i = 0; i < r->nr_checks; i++)
		if (!strcmp(r->checks[i].id, id))
			c = &r->checks[i];
	if (!c) {
		if (r->nr_checks >= max) {
			if (!r->overflowed)
				cfr_problem(r, "%smore than %u checks", "",
					    CFR_MAX_CHECKS);
			r->overflowed = true;
			return;
		}
		c = &r->checks[r->nr_checks++];
	}
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->rules, sizeof(c->rules), "%s", rules);
	c->status = st;
	snprintf(c->evidence, sizeof(c->evidence), "%s",
		 *evidence ? evidence : "-");
	/* The table and the JSON carry it: printable ASCII only. */
	for (e = c->evidence; *e; e++)
		if (*e < ' ' || *e > '~')
			*e = '?';
	c->level = cfr_rules_level(c->rules);
}

void cfr_add(struct cfr_report *r, const char *id, const char *rules,
	     enum cfr_status st, const char *evidence)
{
	cfr_put(r, id, rules, st, evidence, CFR_MAX_CHECKS + CFR_HOST_CHECKS);
}

const struct cfr_check *cfr_find(const struct cfr_report *r, const char *id)
{
	unsigned int i;

	for (i = 0; i < r->nr_checks; i++)
		if (!strcmp(r->checks[i].id, id))
			return &r->checks[i];
	return NULL;
}

/* One line, without its end. The block it belongs to is *open (NULL
 * outside a block). */
static void cfr_line(struct cfr_report *r, const char *line,
		     struct cfr_block **open, unsigned int *counted,
		     const char *source, unsigned int lineno)
{
	char id[48], rules[48], status[8], a[12], b[12], c[12];
	const char *p;

	if (!strncmp(line, "CONFORM-BEGIN ", 14)) {
		char version[12], machine[24];

		p = line + 14;
		/* Format version 1, the only one there is. */
		if (!cfr_token(&p, version, sizeof(version), CFR_COUNT_CHARS) ||
		    strcmp(version, "1") ||
		    !cfr_token(&p, machine, sizeof(machine),
			       CFR_ID_CHARS "_ABCDEFGHIJKLMNOPQRSTUVWXYZ") ||
		    *p) {
			cfr_problem(r, "%s:%u: a malformed CONFORM-BEGIN",
				    source, lineno);
			return;
		}
		if (*open)
			cfr_problem(
			    r, "%s:%u: a block begins before the last ended",
			    source, lineno);
		if (r->nr_blocks == CFR_MAX_BLOCKS) {
			cfr_problem(r, "%s:%u: too many blocks", source,
				    lineno);
			*open = NULL;
			return;
		}
		*open = &r->blocks[r->nr_blocks++];
		memset(*open, 0, sizeof(**open));
		snprintf((*open)->machine, sizeof((*open)->machine), "%s",
			 machine);
		snprintf((*open)->source, sizeof((*open)->source), "%.15s",
			 source);
		*counted = 0;
		return;
	}
	if (!strncmp(line, "CONFORM-END ", 12)) {
		unsigned long n[3];

		p = line + 12;
		if (!cfr_token(&p, a, sizeof(a), CFR_COUNT_CHARS) ||
		    !cfr_token(&p, b, sizeof(b), CFR_COUNT_CHARS) ||
		    !cfr_token(&p, c, sizeof(c), CFR_COUNT_CHARS) || *p) {
			cfr_problem(r, "%s:%u: a malformed CONFORM-END", source,
				    lineno);
			return;
		}
		if (!*open) {
			cfr_problem(r, "%s:%u: CONFORM-END outside a block",
				    source, lineno);
			return;
		}
		n[0] = strtoul(a, NULL, 10);
		n[1] = strtoul(b, NULL, 10);
		n[2] = strtoul(c, NULL, 10);
		/* The app's block after a reset counts the whole run's
		 * checks, the part before the reset too: at least as many. */
		if (n[0] + n[1] + n[2] < *counted || n[0] + n[1] + n[2] > 1000)
			cfr_problem(
			    r,
			    "%s:%u: CONFORM-END's counts disagree with its lines",
			    source, lineno);
		else
			(*open)->ended = true;
		*open = NULL;
		return;
	}
	if (strncmp(line, "CONFORM ", 8))
		return;
	p = line + 8;
	if (!cfr_token(&p, id, sizeof(id), CFR_ID_CHARS) ||
	    !cfr_token(&p, rules, sizeof(rules), CFR_RULE_CHARS) ||
	    !cfr_token(&p, status, sizeof(status), "PASFILKP")) {
		cfr_problem(r, "%s:%u: a malformed CONFORM line", source,
			    lineno);
		return;
	}
	if (!*open) {
		cfr_problem(r, "%s:%u: a CONFORM line outside a block", source,
			    lineno);
		return;
	}
	if (!strcmp(status, "PASS"))
		cfr_put(r, id, rules, CFR_PASS, p, CFR_MAX_CHECKS);
	else if (!strcmp(status, "FAIL"))
		cfr_put(r, id, rules, CFR_FAIL, p, CFR_MAX_CHECKS);
	else if (!strcmp(status, "SKIP"))
		cfr_put(r, id, rules, CFR_SKIP, p, CFR_MAX_CHECKS);
	else {
		cfr_problem(r, "%s:%u: a CONFORM line with an unknown result",
			    source, lineno);
		return;
	}
	if (!(*open)->part[0])
		snprintf((*open)->part, sizeof((*open)->part), "%.*s",
			 (int)strcspn(id, "."), id);
	(*open)->checks++;
	(*counted)++;
}

void cfr_parse(struct cfr_report *r, const char *text, size_t len,
	       const char *source)
{
	struct cfr_block *open = NULL;
	unsigned int counted = 0, lineno = 0;
	char line[512];
	size_t i = 0;

	while (i < len) {
		size_t n = 0;

		lineno++;
		/* The line up to its newline; a longer one is cut (no
		 * CONFORM line is that long: evidence is at most 200). */
		for (; i < len && text[i] != '\n'; i++)
			if (text[i] != '\r' && text[i] != '\0' &&
			    n < sizeof(line) - 1)
				line[n++] = text[i];
		i++;
		line[n] = '\0';
		cfr_line(r, line, &open, &counted, source, lineno);
	}
	if (open)
		cfr_problem(r, "%s:%u: a block without CONFORM-END", source,
			    lineno);
}

bool cfr_musts_pass(const struct cfr_report *r)
{
	unsigned int i;

	/* A VM that printed more than the report keeps could have hidden
	 * a FAIL among what was dropped. */
	if (r->overflowed)
		return false;
	for (i = 0; i < r->nr_checks; i++)
		if (r->checks[i].status == CFR_FAIL &&
		    r->checks[i].level == CFR_MUST)
			return false;
	return true;
}

static void cfr_counts(const struct cfr_report *r, unsigned int counts[3])
{
	unsigned int i;

	counts[0] = counts[1] = counts[2] = 0;
	for (i = 0; i < r->nr_checks; i++)
		counts[r->checks[i].status]++;
}

static void cfr_print_json(const struct cfr_report *r, FILE *f, const char *vmm)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	unsigned int i, counts[3];

	json_object_object_add(o, "vmm", json_object_new_string(vmm));
	for (i = 0; i < r->nr_checks; i++) {
		const struct cfr_check *c = &r->checks[i];
		json_object *j = json_object_new_object(),
			    *rules = json_object_new_array();
		const char *p = c->rules;

		while (*p && strcmp(p, "-")) {
			size_t n = strcspn(p, ",");

			json_object_array_add(
			    rules, json_object_new_string_len(p, (int)n));
			p += n;
			if (*p)
				p++;
		}
		json_object_object_add(j, "id", json_object_new_string(c->id));
		json_object_object_add(j, "rules", rules);
		json_object_object_add(
		    j, "level",
		    json_object_new_string(cfr_level_name(c->level)));
		json_object_object_add(
		    j, "result",
		    json_object_new_string(cfr_status_name(c->status)));
		json_object_object_add(j, "evidence",
				       json_object_new_string(c->evidence));
		json_object_array_add(a, j);
	}
	json_object_object_add(o, "checks", a);
	a = json_object_new_array();
	for (i = 0; i < r->nr_problems; i++)
		json_object_array_add(a,
				      json_object_new_string(r->problems[i]));
	json_object_object_add(o, "problems", a);
	cfr_counts(r, counts);
	json_object_object_add(o, "passed",
			       json_object_new_int((int)counts[0]));
	json_object_object_add(o, "failed",
			       json_object_new_int((int)counts[1]));
	json_object_object_add(o, "skipped",
			       json_object_new_int((int)counts[2]));
	json_object_object_add(o, "musts_pass",
			       json_object_new_boolean(cfr_musts_pass(r)));
	fprintf(
	    f, "%s\n",
	    json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

void cfr_print(const struct cfr_report *r, FILE *f, bool json, const char *vmm)
{
	unsigned int i, counts[3];

	if (json) {
		cfr_print_json(r, f, vmm);
		return;
	}
	fprintf(f, "%-12s %-6s %-28s %-6s %s\n", "RULE", "LEVEL", "CHECK",
		"RESULT", "EVIDENCE");
	for (i = 0; i < r->nr_checks; i++) {
		const struct cfr_check *c = &r->checks[i];

		fprintf(f, "%-12s %-6s %-28s %-6s %s\n", c->rules,
			cfr_level_name(c->level), c->id,
			cfr_status_name(c->status), c->evidence);
	}
	for (i = 0; i < r->nr_problems; i++)
		fprintf(f, "# %s\n", r->problems[i]);
	cfr_counts(r, counts);
	fprintf(f, "%u passed, %u failed, %u skipped: %s (%s)\n", counts[0],
		counts[1], counts[2],
		cfr_musts_pass(r) ? "every must passes"
				  : "a must FAILed: the VM does not conform",
		vmm);
}
