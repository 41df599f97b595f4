/* SPDX-License-Identifier: GPL-2.0 */
/* Direct kernel boot: loading the kernel image and planning guest RAM. */
#ifndef ARMVM_VMM_BOOT_H
#define ARMVM_VMM_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A Linux kernel to boot directly: an arm64 Image
 * (Documentation/arch/arm64/booting.rst, header) or a 32-bit ARM zImage
 * (Documentation/arch/arm/booting.rst).
 */
struct kernel_image {
	uint8_t *data; /* the (decompressed) Image, or the zImage */
	size_t size;
	bool aarch32; /* a zImage: the vCPUs start in AArch32 */
	/* arm64: load offset from a 2 MiB aligned base. zImage: from the
	 * base of RAM, where it is loaded (0x8000, as QEMU and kvmtool). */
	uint64_t text_offset;
	/* arm64: memory the kernel needs from its start. zImage: memory
	 * from the base of RAM its decompressor may write (below). */
	uint64_t image_size;
};

/*
 * Read an arm64 Image, plain or gzip-compressed (Debian's vmlinuz may be
 * either), or a 32-bit ARM zImage. On error prints one line naming the file
 * and what was wrong and returns -1.
 */
int kernel_image_load(const char *path, struct kernel_image *k);

/* Parse the header of an Image or zImage already in memory; -1 (and why,
 * in *why) if it is neither. */
int kernel_image_parse(struct kernel_image *k, const char **why);

void kernel_image_free(struct kernel_image *k);

/* Where things go in guest RAM for a direct boot. */
struct boot_layout {
	uint64_t dtb_addr;    /* DTB_MAX_SIZE reserved here */
	uint64_t kernel_addr; /* also the entry point */
	uint64_t initrd_addr; /* 0 when there is no initrd */
	uint64_t initrd_size;
	uint64_t end; /* first byte after everything placed */
};

#define DTB_MAX_SIZE 0x200000 /* booting.rst: "must not exceed 2 megabytes" */

/*
 * arm64: place the DTB at the base of RAM (where the stock firmware also
 * expects it), the kernel at the next 2 MiB boundary plus text_offset, and
 * the initrd after the kernel's image_size.
 * zImage: the kernel at RAM + text_offset, the DTB and then the initrd
 * above what the decompressor may write: 128 MiB into RAM when RAM is large
 * enough, else just above image_size.
 * Returns -1 with a message naming --memory if RAM is too small for all of
 * it.
 */
int boot_plan(uint64_t ram_base, uint64_t ram_size,
	      const struct kernel_image *k, uint64_t initrd_size,
	      struct boot_layout *out);

#endif
