/* SPDX-License-Identifier: GPL-2.0 */
/* The device tree that describes the whole VM (HW-1, HW-2). */
#ifndef ARMVM_VMM_FDT_H
#define ARMVM_VMM_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct device;

struct fdt_machine {
	unsigned int nr_cpus;
	const uint64_t *mpidr; /* nr_cpus entries: each vCPU's MPIDR_EL1 */
	bool aarch32;	 /* 32-bit guest: "arm,armv7-timer", cortex-a15 CPUs */
	int gic_version; /* 2 or 3 */
	bool gic_its;	 /* GICv3 ITS present */
	/* GICv2: the GICv2m frame, whose node is the GIC node's child
	 * (placed there, not with the devices), or NULL */
	const struct device *gic_v2m;
	uint64_t ram_base, ram_size;
	const char *bootargs;		   /* NULL: no bootargs property */
	uint64_t initrd_start, initrd_end; /* both 0: no initrd */
	const uint8_t *rng_seed; /* 32 bytes for /chosen/rng-seed, or NULL */
	struct device *const *devices;
	unsigned int nr_devices;
	const struct device *stdout_dev; /* chosen/stdout-path, or NULL */
	bool no_timer; /* --test-fault no-timer-node: a planted fault */
};

/*
 * Build the tree into buf (size bytes, at most DTB_MAX_SIZE). Returns 0, or
 * -1 with a message if it does not fit. The result is packed (totalsize is
 * the real size).
 */
int fdt_build(const struct fdt_machine *m, void *buf, size_t size);

#endif
