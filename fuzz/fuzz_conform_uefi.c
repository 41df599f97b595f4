// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the UEFI conformance application's readers of
 * firmware tables (conform/uefi/pure.c), which must stay inside the bytes
 * they are given (HW-1, HW-3). The first input byte picks the reader, the
 * rest is the table, copied to a buffer of exactly its size so that ASan
 * sees any read past it:
 *
 *   even  an FDT: the header check on its first 40 bytes, then the walk,
 *         then the device regions against the memory ranges (HW-2);
 *   odd   an RSDP, read in the application's steps (cf_rsdp_length),
 *         then checked.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conform/uefi/pure.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fdt(const uint8_t *b, size_t n)
{
	static struct cf_fdt_info info;
	char why[160];
	uint32_t total;

	if (cf_fdt_header(b, n < CF_FDT_HEADER_SIZE ? n : CF_FDT_HEADER_SIZE,
			  &total, why, sizeof(why)) ||
	    total > n)
		return;
	if (cf_fdt_walk(b, total, &info, why, sizeof(why)))
		return;
	cf_ranges_overlap(info.mem, info.nmem, info.gic_reg.base,
			  info.gic_reg.size);
	cf_ranges_cover(info.mem, info.nmem, info.ecam_reg.base,
			info.ecam_reg.size);
}

static void rsdp(const uint8_t *b, size_t n)
{
	struct cf_rsdp r;
	char why[160];
	uint32_t avail = 0, need;

	while ((need = cf_rsdp_length(b, avail)) > avail && need <= n)
		avail = need;
	cf_rsdp_check(b, avail, &r, why, sizeof(why));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (!size || size > CF_FDT_MAX_SIZE)
		return 0;
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] & 1)
		rsdp(copy, size - 1);
	else
		fdt(copy, size - 1);
	free(copy);
	return 0;
}
