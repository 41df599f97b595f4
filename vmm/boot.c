// SPDX-License-Identifier: GPL-2.0
/*
 * Direct kernel boot per the Linux arm64 boot protocol
 * (Documentation/arch/arm64/booting.rst): the 64-byte Image header gives
 * text_offset and image_size; the Image is placed text_offset bytes above a
 * 2 MiB aligned address, the DTB on an 8-byte boundary within 2 MiB.
 *
 * And per the 32-bit ARM one (Documentation/arch/arm/booting.rst) for
 * aarch32 guests (PLAT-1): a zImage is loaded in the first 128 MiB of RAM,
 * the DTB and initrd where its decompressor will not overwrite them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/util.h"
#include "vmm/boot.h"

#define ARM64_IMAGE_MAGIC 0x644d5241 /* "ARM\x64" at offset 0x38 */
#define ARM64_HEADER_SIZE 64
#define MAX_KERNEL_SIZE	  (1ULL << 30)
#define MAX_FILE_SIZE	  (4ULL << 30)

/* arch/arm/boot/compressed/head.S: the zImage header. */
#define ZIMAGE_MAGIC	     0x016f2818 /* at 0x24; start 0x28, end 0x2c */
#define ZIMAGE_ENDIAN_BE     0x01020304 /* at 0x30, read little-endian */
#define ZIMAGE_TABLE_MAGIC   0x45454545 /* at 0x34: a table offset at 0x38 */
#define ZIMAGE_TAG_KRNL_SIZE 0x5a534c4b /* "KLSZ" (vmlinux.lds.S .table) */
#define ZIMAGE_HEADER_SIZE   0x3c
/* Where the zImage goes: RAM + 0x8000, like QEMU and kvmtool (booting.rst:
 * anywhere in the first 128 MiB; the decompressor moves itself clear of
 * the kernel it unpacks when they overlap). */
#define ZIMAGE_LOAD_OFFSET 0x8000
/* booting.rst: "A safe location is just above the 128MiB boundary from
 * start of RAM" for the DTB, and the initrd likewise clear of the
 * decompressor. */
#define ZIMAGE_SAFE_OFFSET (128ULL << 20)

/* Inflate a gzip stream (RFC 1952) into a new buffer of at most max bytes. */
static int gunzip(const uint8_t *in, size_t in_size, uint8_t **out,
		  size_t *out_size, size_t max)
{
	z_stream zs = {0};
	size_t cap = in_size * 4 < max ? in_size * 4 : max;
	uint8_t *buf;
	int ret = Z_DATA_ERROR; /* when the buffer cannot grow */

	if (!cap)
		return -1;
	buf = malloc(cap);
	if (!buf || inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		free(buf);
		return -1;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = in_size;
	do {
		if (zs.total_out == cap) {
			uint8_t *n;

			if (cap == max)
				break;
			cap = cap * 2 < max ? cap * 2 : max;
			n = realloc(buf, cap);
			if (!n)
				break;
			buf = n;
		}
		zs.next_out = buf + zs.total_out;
		zs.avail_out = cap - zs.total_out;
		ret = inflate(&zs, Z_NO_FLUSH);
	} while (ret == Z_OK || (ret == Z_BUF_ERROR && zs.avail_out == 0));
	inflateEnd(&zs);
	if (ret != Z_STREAM_END) {
		free(buf);
		return -1;
	}
	*out = buf;
	*out_size = zs.total_out;
	return 0;
}

/*
 * The memory from the base of RAM a zImage's decompressor may write: the
 * kernel it unpacks (TEXT_OFFSET + decompressed size + bss, from the size
 * table kernels since 4.15 link in, the one kexec-tools reads), then the
 * zImage itself moved above that, with its malloc area. Without a table,
 * a bound for xz's ratio (about 1:4).
 */
static uint64_t zimage_footprint(const struct kernel_image *k)
{
	const uint8_t *h = k->data;
	uint64_t table = get_le32(h + 0x38);
	uint64_t text_offset = ZIMAGE_LOAD_OFFSET, malloc_size = 1 << 16;
	uint64_t need = ZIMAGE_LOAD_OFFSET + 5 * (uint64_t)k->size;
	uint32_t words;

	if (get_le32(h + 0x34) == ZIMAGE_TABLE_MAGIC && table % 4 == 0 &&
	    table + 16 <= k->size &&
	    get_le32(h + table + 4) == ZIMAGE_TAG_KRNL_SIZE) {
		uint64_t size_at = get_le32(h + table + 8);

		words = get_le32(h + table);
		if (words >= 6 && table + 24 <= k->size) {
			text_offset = get_le32(h + table + 16);
			malloc_size = get_le32(h + table + 20);
		}
		if (size_at + 4 <= k->size &&
		    text_offset < ZIMAGE_SAFE_OFFSET &&
		    malloc_size < ZIMAGE_SAFE_OFFSET)
			need = text_offset + get_le32(h + size_at) +
			       get_le32(h + table + 12) + k->size + malloc_size;
	}
	return ALIGN_UP(need + SZ_1M, SZ_2M);
}

static int zimage_parse(struct kernel_image *k, const char **why)
{
	const uint8_t *h = k->data;

	if (get_le32(h + 0x30) == ZIMAGE_ENDIAN_BE) {
		*why = "a big-endian zImage (only little-endian is supported)";
		return -1;
	}
	if (k->size > MAX_KERNEL_SIZE / 4) {
		*why = "a zImage too large to fit the first 128 MiB of RAM";
		return -1;
	}
	k->aarch32 = true;
	k->text_offset = ZIMAGE_LOAD_OFFSET;
	k->image_size = zimage_footprint(k);
	return 0;
}

int kernel_image_parse(struct kernel_image *k, const char **why)
{
	const uint8_t *h = k->data;

	k->aarch32 = false;
	if (k->size >= ZIMAGE_HEADER_SIZE && get_le32(h + 0x24) == ZIMAGE_MAGIC)
		return zimage_parse(k, why);
	if (k->size < ARM64_HEADER_SIZE) {
		*why = "shorter than the 64-byte arm64 Image header";
		return -1;
	}
	if (get_le32(h + 0x38) != ARM64_IMAGE_MAGIC) {
		*why =
		    "not an arm64 Image or a 32-bit zImage (no \"ARM\\x64\" magic at offset 0x38, nor 0x016f2818 at 0x24)";
		return -1;
	}
	k->text_offset = get_le64(h + 0x08);
	k->image_size = get_le64(h + 0x10);
	/* flags bit 0: kernel endianness, 1 = big-endian */
	if (get_le64(h + 0x18) & 1) {
		*why = "a big-endian kernel (only little-endian is supported)";
		return -1;
	}
	/* Kernels before 3.17 leave image_size zero; text_offset was then
	 * 0x80000 and the kernel needs somewhat more than the file. */
	if (k->image_size == 0)
		k->image_size = ALIGN_UP((uint64_t)k->size, SZ_2M) + SZ_2M;
	if (k->image_size < k->size || k->image_size > MAX_KERNEL_SIZE ||
	    k->text_offset >= SZ_2M || k->text_offset & 0xfff) {
		*why =
		    "an arm64 Image with an inconsistent header (text_offset or image_size)";
		return -1;
	}
	return 0;
}

int kernel_image_load(const char *path, struct kernel_image *k)
{
	const char *why;
	uint8_t *raw;
	size_t raw_size;

	memset(k, 0, sizeof(*k));
	if (read_file(path, &raw, &raw_size, MAX_FILE_SIZE) < 0)
		return -1;
	if (raw_size >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
		if (gunzip(raw, raw_size, &k->data, &k->size, MAX_KERNEL_SIZE) <
		    0) {
			pr_err(
			    "%s: gzip data is corrupt or inflates beyond %llu MiB",
			    path, MAX_KERNEL_SIZE >> 20);
			free(raw);
			return -1;
		}
		free(raw);
	} else {
		k->data = raw;
		k->size = raw_size;
	}
	if (kernel_image_parse(k, &why) < 0) {
		pr_err("%s: %s", path, why);
		kernel_image_free(k);
		return -1;
	}
	return 0;
}

void kernel_image_free(struct kernel_image *k)
{
	free(k->data);
	k->data = NULL;
	k->size = 0;
}

int boot_plan(uint64_t ram_base, uint64_t ram_size,
	      const struct kernel_image *k, uint64_t initrd_size,
	      struct boot_layout *out)
{
	uint64_t ram_end = ram_base + ram_size;

	memset(out, 0, sizeof(*out));
	if (k->aarch32) {
		/* booting.rst (arm): zImage in the first 128 MiB; DTB
		 * 64-bit aligned, DTB and initrd clear of the decompressor,
		 * in lowmem: just above 128 MiB when RAM has room there. */
		uint64_t high = ram_base + ZIMAGE_SAFE_OFFSET;

		out->kernel_addr = ram_base + k->text_offset;
		if (high < ram_base + k->image_size ||
		    high + DTB_MAX_SIZE + initrd_size > ram_end)
			high = ram_base + k->image_size;
		out->dtb_addr = high;
		out->end = high + DTB_MAX_SIZE;
	} else {
		out->dtb_addr = ram_base;
		out->kernel_addr =
		    ALIGN_UP(ram_base + DTB_MAX_SIZE, SZ_2M) + k->text_offset;
		out->end = out->kernel_addr + k->image_size;
	}
	if (initrd_size) {
		out->initrd_addr = ALIGN_UP(out->end, SZ_2M);
		out->initrd_size = initrd_size;
		out->end = out->initrd_addr + initrd_size;
	}
	if (out->end > ram_end) {
		pr_err(
		    "--memory %llu MiB is too small: the device tree, kernel and initrd need %llu MiB",
		    (unsigned long long)(ram_size >> 20),
		    (unsigned long long)((out->end - ram_base + SZ_1M - 1) >>
					 20));
		return -1;
	}
	return 0;
}
