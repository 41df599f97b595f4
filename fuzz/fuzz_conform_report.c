// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: `armvm conform`'s reader of a run's console and
 * results file (conform/host/report.c). The VM under test writes those
 * bytes, so they are hostile: the parser must stay inside them and inside
 * the report's bounds, whatever lines, counts and blocks they hold. The
 * input is parsed twice (as the console and the file are), then printed
 * as the table and as JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform/host/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfr_report r;
	static FILE *null;
	char *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	if (!null)
		null = fopen("/dev/null", "w");
	memcpy(copy, data, size); /* exactly its size: ASan sees overreads */
	cfr_init(&r);
	cfr_parse(&r, copy, size, "run1.log");
	cfr_parse(&r, copy, size, "conform.txt");
	cfr_add(&r, "conform.uefi-run", "FW-1", CFR_PASS, "-");
	cfr_musts_pass(&r);
	if (null) {
		cfr_print(&r, null, false, "vmm");
		cfr_print(&r, null, true, "vmm");
	}
	free(copy);
	return 0;
}
