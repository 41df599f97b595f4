/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Intel/Sharp CFI NOR flash bank (QEMU pflash_cfi01 compatible): two x16
 * chips side by side on a 32-bit bus, 256 KiB erase blocks, as the stock
 * EDK2 firmware's VirtNorFlashDxe drives it (research stock-firmware.md
 * section 2; issue 3 item 2).
 *
 * Read-array mode is served by the VMM from a read-only KVM memslot over
 * `data` (set_mapped(true)); every other mode traps all accesses to the model
 * (set_mapped(false)). The model only modifies `data` while unmapped.
 */
#ifndef ARMVM_DEVICES_CFI_FLASH_H
#define ARMVM_DEVICES_CFI_FLASH_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/device.h"

#define CFI_FLASH_BLOCK_SIZE 0x40000ULL /* 256 KiB, fixed by the firmware */

struct cfi_flash_config {
	const char *name; /* "flash-code" / "flash-vars" for messages */
	/* Guest-physical bank; size a multiple of 256 KiB. */
	uint64_t base, size;
	/* Host mapping of the bank's size bytes (the var bank: a MAP_SHARED
	 * mapping of the variable-store file). */
	uint8_t *data;
	/* false: code bank: every write ignored, always read-array (the
	 * firmware stores to its own .data in the code bank: harmless). */
	bool writable;
	/* After each completed program/erase, before the status reports
	 * ready: msync(MS_SYNC) of the touched range, falling back to
	 * fdatasync(sync_fd), so that data the guest saw complete is durable.
	 * -1: none. */
	int sync_fd;
	/*
	 * Switch between read-array mode (map=true: the VMM maps `data` as a
	 * read-only KVM memslot, reads never exit, writes exit as MMIO) and
	 * command mode (map=false: slot removed, every access traps to
	 * mmio_read/mmio_write). Called from vCPU threads while handling
	 * MMIO, with the bank's lock held: it must not call back into the
	 * bank. Returns 0, or -1 on failure: the bank keeps track of the
	 * mapping it really has, and while a slot it could not remove is
	 * still mapped, program and erase report an error status instead of
	 * writing. Never called for a 0xFF written in read-array mode, nor
	 * by reset. May be NULL.
	 */
	int (*set_mapped)(void *opaque, bool map);
	void *opaque;
};

/* Returns NULL (after pr_err) on a bad config or out of memory. */
struct device *cfi_flash_create(const struct cfi_flash_config *cfg);

/*
 * Whether the bank is in read-array mode, i.e. whether its slot should be
 * mapped. Reset puts the bank in read-array mode without calling set_mapped:
 * the VMM maps every bank's slot when it (re)creates the VM.
 */
bool cfi_flash_array_mode(struct device *dev);

#endif
