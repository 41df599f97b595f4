/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine plan: what kind of machine a run builds, decided once from
 * the options, the guest's own files and the host's capabilities (issue
 * 13). Every other part reads these decisions from here and makes none of
 * them again: the execution state (PLAT-1), the GIC and whether PCI
 * devices get MSIs (PLAT-3), the vCPU count and RAM size, firmware or
 * direct boot. Pure: no KVM call, unit-tested on any host
 * (tests/unit/test_plan.c).
 */
#ifndef ARMVM_VMM_PLAN_H
#define ARMVM_VMM_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/config.h"

/* What the host's KVM offers (probed by vmm/kvm before the plan is made). */
struct host_caps {
	bool gicv2;		      /* KVM can emulate a GICv2 */
	bool gicv3;		      /* ... a GICv3 */
	bool its;		      /* ... a GICv3 ITS */
	bool el1_32bit;		      /* the CPUs run AArch32 at EL1 */
	const char *no_el1_32bit_why; /* a test hook's name, or NULL */
	unsigned int max_vcpus;	      /* KVM_CAP_MAX_VCPUS; 0: unknown */
};

/*
 * The execution state the guest's files ask for: a zImage or an arm64
 * Image, or the removable-media boot files on the boot disk (IMG-4).
 * VM_ARCH_AUTO when nothing was looked at (--arch given for a UEFI boot,
 * or a firmware of the user's own with a disk that has no boot file).
 */
struct guest_files {
	enum vm_arch arch;
	const char *what; /* the file that says so, for messages */
};

/*
 * What takes the PCI devices' MSIs (PLAT-3), and so what the device tree
 * offers as their MSI parent.
 */
enum msi_controller {
	MSI_NONE,   /* none: PCI devices use INTx */
	MSI_ITS,    /* KVM's GICv3 ITS (KVM_SIGNAL_MSI, by requester id) */
	MSI_GICV2M, /* armvm's GICv2m frame (devices/gicv2m.c): KVM's GICv2
		       has no MSIs, so user space turns each into an SPI */
};

/* "none", "its" or "gicv2m" (armvm ctl status, messages). */
const char *msi_controller_name(enum msi_controller msi);

struct machine_plan {
	bool firmware_boot;	 /* UEFI from flash; else --kernel */
	bool aarch32;		 /* vCPUs start with KVM_ARM_VCPU_EL1_32BIT */
	int gic_version;	 /* 2 or 3 */
	enum msi_controller msi; /* where PCI devices' MSI-X goes */
	unsigned int cpus;
	uint64_t ram_size;
};

/*
 * Where a machine's MSIs go, from its GIC version and whether it has an
 * ITS: the plan's decision, and a snapshot's plan read back (which keeps
 * only the ITS bit), both through here.
 */
enum msi_controller machine_plan_msi(int gic_version, bool its);

/*
 * Decide the plan. Returns 0, or -1 after a one-line message that names
 * the option or file in the way (pr_err).
 */
int machine_plan_decide(const struct vm_config *cfg,
			const struct guest_files *found,
			const struct host_caps *host,
			struct machine_plan *plan);

#endif
