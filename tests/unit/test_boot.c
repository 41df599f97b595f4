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

/* A 32-bit ARM zImage header (arch/arm/boot/compressed/head.S) with the
 * size table of vmlinux.lds.S: 16 MiB decompressed, 1 MiB bss. */
static void make_zimage(bool table)
{
	memset(image, 0, sizeof(image));
	put_le32(image + 0x24, 0x016f2818);
	put_le32(image + 0x2c, sizeof(image));
	put_le32(image + 0x30, 0x04030201);
	if (!table)
		return;
	put_le32(image + 0x34, 0x45454545);
	put_le32(image + 0x38, 0x100);
	put_le32(image + 0x100, 6);
	put_le32(image + 0x104, 0x5a534c4b); /* "KLSZ" */
	put_le32(image + 0x108, 0x200);	     /* where the size is */
	put_le32(image + 0x10c, 1 << 20);    /* bss */
	put_le32(image + 0x110, 0x208000);   /* TEXT_OFFSET */
	put_le32(image + 0x114, 0x10000);    /* malloc */
	put_le32(image + 0x200, 16 << 20);
}

static void zimage(void)
{
	struct kernel_image k = {.data = image, .size = sizeof(image)};
	struct boot_layout l;
	const char *why = NULL;

	make_zimage(true);
	CHECK_EQ(kernel_image_parse(&k, &why), 0);
	CHECK(k.aarch32);
	CHECK_EQ(k.text_offset, 0x8000);
	/* The decompressor writes up to TEXT_OFFSET + 17 MiB, then the zImage
	 * moved above that. */
	CHECK(k.image_size >= 0x208000 + (17 << 20) + sizeof(image));
	CHECK(k.image_size <= 24 << 20);
	CHECK_EQ(k.image_size % 0x200000, 0);

	/* booting.rst: zImage in the first 128 MiB, DTB and initrd above
	 * 128 MiB when RAM has room. */
	CHECK_EQ(boot_plan(0x40000000, 512 << 20, &k, 0x123456, &l), 0);
	CHECK_EQ(l.kernel_addr, 0x40008000);
	CHECK_EQ(l.dtb_addr, 0x48000000);
	CHECK(l.initrd_addr >= l.dtb_addr + DTB_MAX_SIZE);
	CHECK_EQ(l.initrd_size, 0x123456);
	/* Small RAM: just above what the decompressor writes. */
	CHECK_EQ(boot_plan(0x40000000, 64 << 20, &k, 0x123456, &l), 0);
	CHECK_EQ(l.dtb_addr, 0x40000000 + k.image_size);
	CHECK(l.end <= 0x40000000 + (64 << 20));
	CHECK(boot_plan(0x40000000, k.image_size, &k, 0, &l) < 0);

	/* Without the table: a bound from the file size. */
	make_zimage(false);
	CHECK_EQ(kernel_image_parse(&k, &why), 0);
	CHECK(k.image_size >= 5 * sizeof(image));
	/* Big-endian kernels are refused. */
	put_le32(image + 0x30, 0x01020304);
	CHECK(kernel_image_parse(&k, &why) < 0);
	CHECK(why && strstr(why, "big-endian"));
	/* An arm64 Image is not one. */
	make_image(0, 0x2000000, 0);
	CHECK_EQ(kernel_image_parse(&k, &why), 0);
	CHECK(!k.aarch32);
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
	RUN(zimage);
	RUN(gzip_kernel);
	return check_main_end();
}
