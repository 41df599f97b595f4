/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine's devices, assembled from the options and the memory map:
 * UART, RTC, PCIe host with the disks, and for a UEFI boot the firmware's
 * two flash banks; plus the glue that lets portable device models reach
 * KVM (interrupt lines, MSIs, flash memslots).
 */
#ifndef ARMVM_VMM_KVM_PLATFORM_H
#define ARMVM_VMM_KVM_PLATFORM_H

struct vm;

/* Check the user's files (disks, firmware, variable store) and create every
 * device. -1 after a one-line message. */
int platform_create(struct vm *vm);
/* At each boot, after the devices' reset: map the flash banks. */
int platform_map_flash(struct vm *vm);
void platform_destroy(struct vm *vm);

#endif
