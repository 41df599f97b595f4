// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the direct-boot kernel loader (vmm/boot.c, issue 10):
 * an arm64 Image, plain or gzip-compressed, or a 32-bit zImage, read from a
 * file as `armvm run --kernel` does, then placed in guest RAM by
 * boot_plan(). A plan that succeeds must keep the kernel, the DTB and the
 * initrd inside RAM (vm.c copies them there without further checks).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/util.h"
#include "vmm/boot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_plan(const struct kernel_image *k, uint64_t ram_size,
		       uint64_t initrd_size)
{
	const uint64_t ram_base = 0x40000000, ram_end = ram_base + ram_size;
	struct boot_layout l;

	if (boot_plan(ram_base, ram_size, k, initrd_size, &l) < 0)
		return;
	if (l.kernel_addr < ram_base || l.kernel_addr + k->size > ram_end ||
	    l.dtb_addr < ram_base || l.dtb_addr + DTB_MAX_SIZE > ram_end ||
	    (initrd_size && (l.initrd_addr < ram_base ||
			     l.initrd_addr + initrd_size > ram_end)))
		abort(); /* a plan that writes outside guest RAM */
	if (initrd_size && l.initrd_addr < l.kernel_addr + k->size &&
	    l.kernel_addr < l.initrd_addr + initrd_size)
		abort(); /* the initrd over the kernel */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64], errors[256];
	struct kernel_image k;

	if (fd < 0) {
		/* The loader's one-line errors are expected; keep them quiet. */
		pr_capture_begin(errors, sizeof(errors));
		fd = memfd_create("fuzz-kernel", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (kernel_image_load(path, &k) < 0)
		return 0;
	check_plan(&k, 128u << 20, 0);
	check_plan(&k, 256u << 20, 16u << 20);
	check_plan(&k, 64u << 20, 1);
	kernel_image_free(&k);
	return 0;
}
