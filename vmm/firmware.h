/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The UEFI firmware and its variable store (FW-1..FW-4): finding the
 * distribution's build, checking it, and giving every VM instance a
 * variable store of its own, never one in the disk image (FW-3, IMG-6).
 */
#ifndef ARMVM_VMM_FIRMWARE_H
#define ARMVM_VMM_FIRMWARE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define FLASH_BANK_SIZE \
	(64ULL << 20) /* each CFI bank's window (research 1.1) */
#define FLASH_BLOCK_SIZE (256ULL << 10)		/* the firmware's erase block */
#define VARS_MIN_SIZE	 (3 * FLASH_BLOCK_SIZE) /* variables + FTW work + spare */

/* Where Debian's packages put the firmware descriptors and the firmware. */
#define FIRMWARE_DESCRIPTOR_DIR "/usr/share/qemu/firmware"

struct firmware_paths {
	char code[PATH_MAX];
	char vars_template[PATH_MAX]; /* "" when none is known */
};

/*
 * Find the UEFI build for arch ("aarch64" or "arm") the way the ecosystem
 * does: the JSON descriptors in descriptor_dir (QEMU's firmware.json
 * schema), first match in name order, flash-mapped, without Secure Boot
 * (images need not be signed). Returns -1, with (if report) a message naming
 * the Debian package to install.
 */
int firmware_find(const char *arch, const char *descriptor_dir,
		  struct firmware_paths *out, bool report);

/* Check a code image: a regular file of at most one flash bank holding a
 * UEFI firmware volume. -1 with a one-line message otherwise. */
int firmware_check_code(const char *path, uint64_t *size);

/*
 * Make sure the variable store at path exists and has a size the firmware
 * can use: created from template (or, without one, blank: the firmware
 * formats it on first boot) atomically, so that a store is never seen half
 * copied. -1 with a message naming the file otherwise.
 */
int vars_prepare(const char *path, const char *template, uint64_t *size);

#endif
