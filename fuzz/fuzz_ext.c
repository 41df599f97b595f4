// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the input is an ext2/3/4 file system, as a guest can
 * leave its root partition. Exercises image/ext.c (the superblock checks,
 * the I/O manager under libext2fs, its own path resolution with bounded
 * directory walks and symlinks, directory listing, bounded file reads)
 * and the .config reader of IMG-7..IMG-10 (image/guest.c). libext2fs
 * itself is not instrumented: ASan sees only armvm's side of the calls.
 * Whatever the input, an error comes with its one-line reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/ext.h"
#include "image/guest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int seen(const char *name, void *arg)
{
	(*(unsigned int *)arg)++;
	return 0;
}

/* An error without its reason (IMG-7..IMG-10 evidence would be empty). */
static void need_why(int failed, const char *why, const char *what)
{
	if (failed && (!why[0] || strchr(why, '\n'))) {
		fprintf(stderr, "%s failed without a one-line reason: '%s'\n",
			what, why);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {
	    "/boot/config-6.1.0-27-arm64",
	    "/config-6.1.0-27-arm64",
	    "/lib/modules/6.1.0-27-arm64/kernel/drivers/char/virtio_console.ko",
	    "/lib/modules/6.1.0-27-arm64/modules.builtin",
	};
	struct guest_report g;
	struct ext_vol *v;
	struct img_src s;
	unsigned int n = 0;
	char why[256], *buf;
	size_t len;
	int r;

	img_src_mem(&s, data, size);
	if (!ext_probe(&s, 0, size))
		return 0;
	why[0] = 0;
	v = ext_open(&s, 0, size, why, sizeof(why));
	need_why(!v, why, "ext_open");
	if (!v)
		return 0;
	why[0] = 0;
	need_why(ext_list_dir(v, "/boot", 4096, seen, &n, why, sizeof(why)),
		 why, "ext_list_dir /boot");
	why[0] = 0;
	need_why(ext_list_dir(v, "/", 4096, seen, &n, why, sizeof(why)), why,
		 "ext_list_dir /");
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		why[0] = 0;
		need_why(ext_stat(v, paths[i], why, sizeof(why)) == EXT_ERROR,
			 why, paths[i]);
		why[0] = 0;
		r = ext_read_file(v, paths[i], GUEST_MAX_CONFIG, &buf, &len,
				  why, sizeof(why));
		need_why(r, why, paths[i]);
		if (r)
			continue;
		guest_eval(buf, len, "6.1.0-27-arm64", "fuzz", NULL, NULL, &g);
		free(buf);
	}
	ext_close(v);
	return 0;
}
