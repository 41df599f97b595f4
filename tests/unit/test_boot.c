// SPDX-License-Identifier: GPL-2.0
/* Kernel Image parsing, gzip kernels and RAM placement (vmm/boot.c). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <fcntl.h>
#include <zlib.h>

#include "lib/util.h"
#include "vmm/boot.h"
#include "tests/unit/check.h"

static uint8_t image[4096];

static void make_image(uint64_t text_offset, uint64_t image_size,
		       uint64_t flags)
{
	memset(image, 0, sizeof(image));
	put_le64(image + 0x08, text_offset);
	put_le64(image + 0x10, image_size);
	put_le64(image + 0x18, flags);
	memcpy(image + 0x38, "ARM\x64", 4);
}

static int parse(size_t size, const char **why)
{
	struct kernel_image k = {.data = image, .size = size};

	return kernel_image_parse(&k, why);
}

static void header_checks(void)
{
	const char *why = NULL;
	struct kernel_image k = {.data = image, .size = sizeof(image)};

	make_image(0, 0x2000000, 0xa);
	CHECK_EQ(kernel_image_parse(&k, &why), 0);
	CHECK_EQ(k.text_offset, 0);
	CHECK_EQ(k.image_size, 0x2000000);

	CHECK(parse(63, &why) < 0); /* shorter than the header */
	image[0x38] = 'X';
	CHECK(parse(sizeof(image), &why) < 0);
	CHECK(why && strstr(why, "not an arm64 Image"));
	make_image(0, 0x2000000, 1); /* big-endian */
	CHECK(parse(sizeof(image), &why) < 0);
	make_image(0x300000, 0x2000000, 0); /* text_offset beyond 2 MiB */
	CHECK(parse(sizeof(image), &why) < 0);
	make_image(0, 100, 0); /* image_size smaller than the file */
	CHECK(parse(sizeof(image), &why) < 0);
	make_image(0x80000, 0, 0); /* pre-3.17: image_size 0 is allowed */
	k.size = sizeof(image);
	CHECK_EQ(kernel_image_parse(&k, &why), 0);
	CHECK(k.image_size >= sizeof(image));
}

static void placement(void)
{
	struct kernel_image k = {
	    .size = 4096, .text_offset = 0x80000, .image_size = 0x1800000};
	struct boot_layout l;

	CHECK_EQ(boot_plan(0x40000000, 256 << 20, &k, 0x123456, &l), 0);
	CHECK_EQ(l.dtb_addr, 0x40000000);
	CHECK_EQ(l.kernel_addr, 0x40200000 + 0x80000);
	CHECK_EQ(l.kernel_addr % 0x200000, 0x80000); /* 2 MiB + text_offset */
	CHECK(l.initrd_addr >= l.kernel_addr + k.image_size);
	CHECK_EQ(l.initrd_addr % 0x200000, 0);
	CHECK_EQ(l.initrd_size, 0x123456);
	CHECK(l.end <= 0x40000000 + (256 << 20));

	CHECK_EQ(boot_plan(0x40000000, 256 << 20, &k, 0, &l), 0);
	CHECK_EQ(l.initrd_addr, 0);
	/* Too small: 16 MiB cannot hold a 24 MiB kernel. */
	CHECK(boot_plan(0x40000000, 16 << 20, &k, 0, &l) < 0);
	/* Fits exactly, then one byte of initrd too many. */
	CHECK_EQ(
	    boot_plan(0x40000000, 0x2000000, &k, 0x2000000 - 0x1c00000, &l), 0);
	CHECK(boot_plan(0x40000000, 0x2000000, &k, 0x2000000 - 0x1c00000 + 1,
			&l) < 0);
}

static void gzip_kernel(void)
{
	char path[] = "/tmp/armvm-test-kernel-XXXXXX";
	int fd = mkstemp(path);
	gzFile gz;
	struct kernel_image k;

	make_image(0, 0x200000, 0);
	CHECK(fd >= 0);
	gz = gzdopen(fd, "wb");
	CHECK(gz && gzwrite(gz, image, sizeof(image)) == sizeof(image));
	gzclose(gz);
	CHECK_EQ(kernel_image_load(path, &k), 0);
	CHECK_EQ(k.size, sizeof(image));
	CHECK(k.data && !memcmp(k.data, image, sizeof(image)));
	kernel_image_free(&k);

	/* A corrupt gzip stream is refused, not half-loaded. */
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(write(fd, "\x1f\x8b\x08\x00garbage", 11) == 11);
	close(fd);
	CHECK(kernel_image_load(path, &k) < 0);
	/* So is a file that is not a kernel at all. */
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(write(fd, "#!/bin/sh\n", 10) == 10);
	close(fd);
	CHECK(kernel_image_load(path, &k) < 0);
	unlink(path);
	CHECK(kernel_image_load(path, &k) < 0); /* missing */
}

int main(void)
{
	check_suite = "boot";
	RUN(header_checks);
	RUN(placement);
	RUN(gzip_kernel);
	return check_main_end();
}
