// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the input is a whole disk image. Exercises the
 * protective MBR and GPT readers, then the full checker (ESP lookup, FAT,
 * PE) on whatever partitions the input describes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "image/check.h"
#include "image/gpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct img_src s;
	struct gpt_copy p, b;
	struct gpt_part parts[GPT_MAX_PARTS];
	struct pmbr_info m;
	struct chk_report rep;
	char why[256];

	img_src_mem(&s, data, size);
	if (size >= 512)
		pmbr_parse(data, &m);
	gpt_read_copy(&s, 1, &p);
	gpt_read_copy(&s, size / 512 ? size / 512 - 1 : 0, &b);
	gpt_entries(&p, parts, GPT_MAX_PARTS);
	gpt_entries(&b, parts, GPT_MAX_PARTS);
	if (p.status == GPT_OK && b.status == GPT_OK)
		gpt_copies_agree(&p, &b, why, sizeof(why));
	gpt_copy_free(&p);
	gpt_copy_free(&b);
	image_check(&s, CHK_ARCH_ANY, 0, &rep);
	chk_report_free(&rep);
	return 0;
}
