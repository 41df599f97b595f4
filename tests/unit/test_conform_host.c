// SPDX-License-Identifier: GPL-2.0
/*
 * `armvm conform`'s pure parts: the report built from the CONFORM lines a
 * run left (conform/host/report.c), the rules' levels and the verdict, the
 * table and the JSON; and the initramfs writer (image/cpio.c), read back.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "conform/host/report.h"
#include "image/cpio.h"
#include "tests/unit/check.h"

static struct cfr_report *parse(const char *text)
{
	struct cfr_report *r = calloc(1, sizeof(*r));

	cfr_init(r);
	cfr_parse(r, text, strlen(text), "t.log");
	return r;
}

/* A run as the consoles show it: firmware noise, CR LF, the app's block
 * across a reset (its END counts the whole block), then Linux's. */
static void whole_run(void)
{
	static const char log[] =
	    "UEFI firmware (version ...)\r\n"
	    "CONFORM-BEGIN 1 aarch64\r\n"
	    "CONFORM uefi.removable-path FW-1 PASS loaded from \\EFI\\BOOT\r\n"
	    "CONFORM uefi.fdt-timer PLAT-4 FAIL no arm,armv8-timer node\r\n"
	    "# pending reset\r\n"
	    "BdsDxe: starting Boot0001\r\n"
	    "CONFORM uefi.nv-persists-reset FW-3 PASS read back\r\n"
	    "CONFORM-END 2 1 0\r\n"
	    "[    1.0] some kernel line\n"
	    "CONFORM-BEGIN 1 aarch64\n"
	    "CONFORM linux.psci - SKIP -\n"
	    "CONFORM linux.acpi HW-3 PASS no ACPI\n"
	    "CONFORM-END 1 0 1";
	struct cfr_report *r = parse(log);
	const struct cfr_check *c;

	CHECK_EQ(r->nr_problems, 0);
	CHECK_EQ(r->nr_checks, 5);
	CHECK_EQ(r->nr_blocks, 2);
	CHECK(r->blocks[0].ended && r->blocks[1].ended);
	CHECK_STR(r->blocks[0].part, "uefi");
	CHECK_STR(r->blocks[1].part, "linux");
	CHECK_STR(r->blocks[1].machine, "aarch64");
	c = cfr_find(r, "uefi.removable-path");
	CHECK(c && c->status == CFR_PASS && c->level == CFR_MUST);
	CHECK(c && !strcmp(c->evidence, "loaded from \\EFI\\BOOT"));
	c = cfr_find(r, "uefi.fdt-timer");
	CHECK(c && c->status == CFR_FAIL && c->level == CFR_SHOULD);
	c = cfr_find(r, "linux.psci");
	CHECK(c && c->level == CFR_NO_RULE && !strcmp(c->evidence, "-"));
	/* A should FAILed, no must: the VM conforms. */
	CHECK(cfr_musts_pass(r));
	/* The same line again (the file repeats the console) replaces it. */
	{
		static const char again[] =
		    "CONFORM-BEGIN 1 aarch64\n"
		    "CONFORM uefi.fdt-timer PLAT-4,HW-2 "
		    "FAIL x\nCONFORM-END 0 1 0\n";

		cfr_parse(r, again, strlen(again), "conform.txt");
	}
	CHECK_EQ(r->nr_checks, 5);
	c = cfr_find(r, "uefi.fdt-timer");
	/* With HW-2 (a must) among its rules, its FAIL is a must's. */
	CHECK(c && c->level == CFR_MUST);
	CHECK(!cfr_musts_pass(r));
	free(r);
}

static void levels(void)
{
	CHECK_EQ(cfr_rule_level("FW-1"), CFR_MUST);
	CHECK_EQ(cfr_rule_level("FW-3"), CFR_SHOULD);
	CHECK_EQ(cfr_rule_level("HW-3"), CFR_MAY);
	CHECK_EQ(cfr_rule_level("PLAT-5"), CFR_SHOULD);
	CHECK_EQ(cfr_rule_level("-"), CFR_NO_RULE);
	CHECK_EQ(cfr_rule_level("IMG-1"), CFR_NO_RULE);
	CHECK_STR(cfr_level_name(CFR_MUST), "must");
	CHECK_STR(cfr_status_name(CFR_SKIP), "SKIP");
}

/* What a broken or hostile VM could print: each is a problem with its
 * line's place, never a check, and nothing is read past its bounds. */
static void hostile_lines(void)
{
	static const char *const bad[] = {
	    "CONFORM uefi.x FW-1 PASS outside a block\n",
	    "CONFORM-END 1 0 0\n",
	    "CONFORM-BEGIN 1 aarch64\nCONFORM UEFI.X FW-1 PASS upper-case id\n"
	    "CONFORM-END 0 0 0\n",
	    "CONFORM-BEGIN 1 aarch64\nCONFORM uefi.x fw-1 PASS lower rule\n"
	    "CONFORM-END 0 0 0\n",
	    "CONFORM-BEGIN 1 aarch64\nCONFORM uefi.x FW-1 MAYBE what\n"
	    "CONFORM-END 0 0 0\n",
	    "CONFORM-BEGIN 1 aarch64\nCONFORM uefi.x FW-1\nCONFORM-END 0 0 0\n",
	    "CONFORM-BEGIN 1 aarch64\nCONFORM uefi.x FW-1 PASS y\n"
	    "CONFORM-END 0 0 0\n", /* counts fewer than its lines */
	    "CONFORM-BEGIN 1 aarch64\nCONFORM-END 1 0 x\n",
	    "CONFORM-BEGIN 1 aarch64\nCONFORM-END 9999 0 0\n",
	    "CONFORM-BEGIN x aarch64\n",
	    "CONFORM-BEGIN 1 aarch64\nCONFORM uefi.x FW-1 PASS no end\n",
	    "CONFORM-BEGIN 1 aarch64\nCONFORM-BEGIN 1 aarch64\n"
	    "CONFORM-END 0 0 0\n",
	    "CONFORM-BEGIN 2 aarch64\nCONFORM-END 0 0 0\n", /* version */
	    "CONFORM-BEGIN 1 aarch64 extra\nCONFORM-END 0 0 0\n",
	};
	char long_id[200];
	struct cfr_report *r;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = parse(bad[i]);
		CHECK(r->nr_problems > 0);
		CHECK(!strstr(bad[i], "MAYBE") || r->nr_checks == 0);
		if (r->nr_problems == 0)
			printf("# not refused: %s", bad[i]);
		free(r);
	}
	r = parse("CONFORM-BEGIN 1 aarch64\nCONFORM uefi.x FW-1 PASS y\n"
		  "CONFORM-END 0 0 0\n");
	CHECK(strstr(r->problems[0], "t.log:3: ") == r->problems[0]);
	free(r);
	/* An id longer than the report keeps is refused, not cut. */
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	{
		char text[400];

		snprintf(text, sizeof(text),
			 "CONFORM-BEGIN 1 a\nCONFORM %s FW-1 PASS x\n",
			 long_id);
		r = parse(text);
		CHECK_EQ(r->nr_checks, 0);
		free(r);
	}
	/* Control bytes in the evidence become '?'; NULs are dropped. */
	{
		static const char text[] =
		    "CONFORM-BEGIN 1 a\n"
		    "CONFORM uefi.x - PASS a\033[2Jb\0c\n"
		    "CONFORM-END 1 0 0\n";

		r = calloc(1, sizeof(*r));
		cfr_init(r);
		cfr_parse(r, text, sizeof(text) - 1, "t");
		CHECK(r->nr_checks == 1 &&
		      !strcmp(r->checks[0].evidence, "a?[2Jbc"));
		free(r);
	}
	/* More checks than the report holds: a problem, not an overflow. */
	{
		size_t cap = 64 + 40 * (CFR_MAX_CHECKS + 10);
		char *text = malloc(cap), *p = text;

		p += sprintf(p, "CONFORM-BEGIN 1 a\n");
		for (i = 0; i < CFR_MAX_CHECKS + 10; i++)
			p += sprintf(p, "CONFORM c.%u - PASS x\n", i);
		r = parse(text);
		CHECK_EQ(r->nr_checks, CFR_MAX_CHECKS);
		CHECK(r->nr_problems > 0);
		/* All PASS, but what was dropped could have hidden a FAIL. */
		CHECK(!cfr_musts_pass(r));
		/* The host's own checks still fit, and count. */
		cfr_add(r, "conform.uefi-run", "FW-1", CFR_FAIL, "x");
		CHECK(cfr_find(r, "conform.uefi-run") != NULL);
		free(r);
		free(text);
	}
}

static void json_and_table(void)
{
	struct cfr_report *r =
	    parse("CONFORM-BEGIN 1 aarch64\n"
		  "CONFORM uefi.gettime FW-5 FAIL GetTime: EFI_DEVICE_ERROR\n"
		  "CONFORM uefi.fdt-gic PLAT-3,HW-2 PASS \"quoted\" \\ x\n"
		  "CONFORM-END 1 1 0\n");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_object *o, *checks, *c, *v;

	cfr_print(r, f, true, "qemu {disk}");
	fclose(f);
	o = json_tokener_parse(buf);
	CHECK(o != NULL);
	if (o) {
		CHECK(json_object_object_get_ex(o, "checks", &checks) &&
		      json_object_array_length(checks) == 2);
		c = json_object_array_get_idx(checks, 1);
		CHECK(json_object_object_get_ex(c, "evidence", &v) &&
		      !strcmp(json_object_get_string(v), "\"quoted\" \\ x"));
		CHECK(json_object_object_get_ex(c, "rules", &v) &&
		      json_object_array_length(v) == 2);
		CHECK(json_object_object_get_ex(o, "musts_pass", &v) &&
		      !json_object_get_boolean(v));
		CHECK(json_object_object_get_ex(o, "vmm", &v) &&
		      !strcmp(json_object_get_string(v), "qemu {disk}"));
		json_object_put(o);
	}
	free(buf);
	f = open_memstream(&buf, &len);
	cfr_print(r, f, false, "qemu");
	fclose(f);
	CHECK(strstr(buf, "FW-5         must   uefi.gettime                 "
			  "FAIL   GetTime: EFI_DEVICE_ERROR\n") != NULL);
	CHECK(strstr(buf, "1 passed, 1 failed, 0 skipped: a must FAILed") !=
	      NULL);
	free(buf);
	free(r);
}

/* One newc header field (8 hex digits) of the entry at p. */
static unsigned long field(const char *p, int i)
{
	char hex[9];

	memcpy(hex, p + 6 + 8 * i, 8);
	hex[8] = '\0';
	return strtoul(hex, NULL, 16);
}

static void cpio_archive(void)
{
	char *buf = NULL, *p;
	size_t len = 0, at = 0;
	FILE *f = open_memstream(&buf, &len);
	struct cpio_out c;
	static const char *const names[] = {"dev", "dev/console", "init",
					    "TRAILER!!!"};
	unsigned int i = 0;

	cpio_begin(&c, f);
	cpio_dir(&c, "dev");
	cpio_chardev(&c, "dev/console", 5, 1);
	cpio_file(&c, "init", 0755, "#!x\n", 4);
	CHECK_EQ(cpio_end(&c), 0);
	fclose(f);
	/* Walk it as the kernel does: magic, name, data, each 4-aligned. */
	while (at + 110 <= len && i < 4) {
		unsigned long mode, size, namesize;

		p = buf + at;
		CHECK(!memcmp(p, "070701", 6));
		mode = field(p, 1);
		size = field(p, 6);
		namesize = field(p, 11);
		CHECK(!strcmp(p + 110, names[i]));
		CHECK_EQ(namesize, strlen(names[i]) + 1);
		if (i == 0)
			CHECK_EQ(mode, 040755);
		if (i == 1)
			CHECK(mode == 020600 && field(p, 9) == 5 &&
			      field(p, 10) == 1);
		if (i == 2) {
			CHECK_EQ(mode, 0100755);
			CHECK_EQ(size, 4);
		}
		at += (110 + namesize + 3) & ~3ul;
		if (i == 2)
			CHECK(!memcmp(buf + at, "#!x\n", 4));
		at += (size + 3) & ~3ul;
		i++;
	}
	CHECK_EQ(i, 4);
	CHECK_EQ(at, len);
	CHECK_EQ(len % 4, 0);
	free(buf);

	/* Names the kernel would put outside the root, or empty parts. */
	{
		static const char *const bad[] = {
		    "/init", "../x", "a/../b", "a//b", "", ".", "a/"};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			buf = NULL;
			f = open_memstream(&buf, &len);
			cpio_begin(&c, f);
			cpio_file(&c, bad[i], 0644, "x", 1);
			CHECK_EQ(cpio_end(&c), -1);
			fclose(f);
			free(buf);
		}
	}
}

int main(void)
{
	check_suite = "conform_host";
	RUN(whole_run);
	RUN(levels);
	RUN(hostile_lines);
	RUN(json_and_table);
	RUN(cpio_archive);
	return check_main_end();
}
