/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine's devices, assembled from the options and the memory map:
 * UART, RTC, PCIe host with the disks, and for a UEFI boot the firmware's
 * two flash banks; plus the glue that lets portable device models reach
 * KVM (interrupt lines, MSIs, flash memslots).
 */
#ifndef ARMVM_VMM_KVM_PLATFORM_H
#define ARMVM_VMM_KVM_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/config.h"

struct net_config;
struct vm;
struct vm_device;

/* Check the user's files (disks, firmware, variable store) and create every
 * device. -1 after a one-line message. */
int platform_create(struct vm *vm);
/* Press the power button (pl061 line 3, gpio-keys KEY_POWER); false if no
 * guest driver listens. Sleeps ~100 ms: not on a vCPU thread. */
bool platform_press_power(struct vm *vm);
/* At each boot, after the devices' reset: map the flash banks. */
int platform_map_flash(struct vm *vm);
void platform_destroy(struct vm *vm);
/* After KVM_RUN failed with EFAULT: if the variable store shrank under
 * armvm (the guest read lost pages), print why and return true. */
bool platform_explain_efault(struct vm *vm);

/* Hot-plug (the control socket's device-add/-del/-list). Each returns 0,
 * or -1 with a one-line message (pr_err; captured by the caller). */
struct vm_device_spec {
	const char *type; /* "block" or "net" */
	const char *id;	  /* NULL: made up */
	const char *path; /* block: the image */
	bool readonly;
	bool writethrough;	      /* block: cache=writethrough */
	const struct net_config *net; /* net: backend, MAC, forwards */
	/* PCI (or DEFAULT, the same); MMIO only at start-up: device-add
	 * refuses it, since hot-plug is PCIe's */
	enum vm_transport transport;
};
int platform_device_add(struct vm *vm, const struct vm_device_spec *spec,
			char *id_out, size_t id_size);
/*
 * Start the orderly removal (press the slot's attention button) and return
 * at once: 1 when the device is already gone (its slot was off), 0 when
 * the guest has yet to release it (device-list shows it "removing" until
 * then), -1 with a message.
 */
int platform_device_del(struct vm *vm, const char *id);
/* Copy the table (devices_lock taken). Returns the count. */
unsigned int platform_device_list(struct vm *vm, struct vm_device *out,
				  unsigned int max);

#endif
