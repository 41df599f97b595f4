// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the input is a FAT volume. Exercises the boot sector
 * parser, the whole-tree consistency walk (chains, loops, directories),
 * case-insensitive lookups and file reads.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "image/fat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {"EFI/BOOT/BOOTAA64.EFI",
					    "efi\\boot\\bootarm.efi", "NvVars",
					    "a/b/c/d/e"};
	struct img_src s;
	struct fat_vol v;
	struct fat_tree_report r;
	struct fat_dirent e, *ents;
	char why[256];
	uint8_t *buf;
	int n;

	img_src_mem(&s, data, size);
	if (fat_open(&v, &s, 0, size, why, sizeof(why)))
		return 0;
	fat_check_tree(&v, &r);
	n = fat_dir_read(&v, NULL, &ents, why, sizeof(why));
	if (n >= 0) {
		for (int i = 0; i < n && i < 8; i++)
			if (!fat_read_file(&v, &ents[i], &buf, 1 << 20, why,
					   sizeof(why)))
				free(buf);
		free(ents);
	}
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!fat_lookup(&v, paths[i], &e, why, sizeof(why)) &&
		    !fat_read_file(&v, &e, &buf, 1 << 20, why, sizeof(why)))
			free(buf);
	fat_close(&v);
	return 0;
}
