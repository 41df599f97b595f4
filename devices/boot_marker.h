/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The boot marker: armvm's own MMIO device through which a guest says
 * "I got this far" without the host parsing its console (issue 15 item 6;
 * the idea of Firecracker's boot-timer device, not its interface). Only
 * with `armvm run --boot-marker`: it is a measuring aid, not part of the
 * ARM VM System Specification's machine.
 *
 * Registers (32-bit; other widths and offsets read as zero, writes are
 * ignored):
 *   0x00 MARK  write: record a mark whose number is the value written
 *              (the guest chooses: the test guest writes 1 as its /init
 *              starts); armvm reports the first BOOT_MARKER_REPORTS;
 *              read: BOOT_MARKER_MAGIC, so a guest can tell the device
 *              is there
 *   0x04 COUNT read: marks recorded since the VM started (saturating)
 *
 * Its device-tree node is `boot-marker@ADDR`, compatible
 * "armvm,boot-marker", with reg and no interrupt.
 */
#ifndef ARMVM_DEVICES_BOOT_MARKER_H
#define ARMVM_DEVICES_BOOT_MARKER_H

#include <stdint.h>

#include "devices/device.h"

#define BOOT_MARKER_MARK  0x00
#define BOOT_MARKER_COUNT 0x04
#define BOOT_MARKER_SIZE  0x1000
#define BOOT_MARKER_MAGIC 0x4b4d4241u /* "ABMK", little-endian */
/* Marks reported through the callback; later ones are only counted. */
#define BOOT_MARKER_REPORTS 64u

/*
 * Called on the writing vCPU's thread for each of the first
 * BOOT_MARKER_REPORTS marks, with the value written. It must be quick and must not block on the VM (the vCPU is
 * in the middle of an exit).
 */
typedef void (*boot_marker_fn)(void *opaque, uint32_t value);

/* A marker at base; NULL (after pr_err) on failure. */
struct device *boot_marker_create(uint64_t base, boot_marker_fn mark,
				  void *opaque);

#endif
