// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the firmware descriptors (QEMU's firmware.json schema)
 * that firmware_find() reads from /usr/share/qemu/firmware (vmm/firmware.c,
 * issue 10). The input is one descriptor; whatever it says, the search
 * must end in a match whose paths fit, or a clean "not found".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "vmm/firmware.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/armvm-fuzz-fw.XXXXXX", file[64], errors[256];
	static const char *const arches[] = {"aarch64", "arm"};
	struct firmware_paths out;
	FILE *f;

	if (!file[0]) {
		if (!mkdtemp(dir))
			abort();
		snprintf(file, sizeof(file), "%s/60-fuzz.json", dir);
		pr_capture_begin(errors, sizeof(errors));
	}
	f = fopen(file, "w");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	for (unsigned int i = 0; i < ARRAY_SIZE(arches); i++) {
		memset(&out, 0xa5, sizeof(out));
		if (firmware_find(arches[i], dir, &out, true) == 0 &&
		    (!memchr(out.code, 0, sizeof(out.code)) ||
		     !memchr(out.vars_template, 0, sizeof(out.vars_template))))
			abort(); /* a path without its terminator */
	}
	return 0;
}
