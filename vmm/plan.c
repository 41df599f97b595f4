// SPDX-License-Identifier: GPL-2.0
#include "lib/util.h"
#include "vmm/machine.h"
#include "vmm/plan.h"

/*
 * The execution state (PLAT-1). For a direct boot the kernel file decides,
 * and --arch may only agree with it; for a UEFI boot --arch decides, or
 * with auto the disk's boot files (aarch64 when it has both, or when it
 * has none and the user brought a firmware of their own).
 */
static int decide_arch(const struct vm_config *cfg,
		       const struct guest_files *found,
		       struct machine_plan *plan)
{
	if (cfg->kernel) {
		if (cfg->arch == VM_ARCH_AARCH32 &&
		    found->arch == VM_ARCH_AARCH64) {
			pr_err("--arch aarch32: %s is an arm64 Image",
			       cfg->kernel);
			return -1;
		}
		if (cfg->arch == VM_ARCH_AARCH64 &&
		    found->arch == VM_ARCH_AARCH32) {
			pr_err("--arch aarch64: %s is a 32-bit zImage",
			       cfg->kernel);
			return -1;
		}
		plan->aarch32 = found->arch == VM_ARCH_AARCH32;
	} else if (cfg->arch != VM_ARCH_AUTO) {
		plan->aarch32 = cfg->arch == VM_ARCH_AARCH32;
	} else {
		plan->aarch32 = found->arch == VM_ARCH_AARCH32;
	}
	return vm_config_check_arch(cfg, plan->aarch32);
}

/*
 * A 32-bit guest needs a host CPU that runs AArch32 at EL1 (many recent
 * cores do not). KVM offers no other AArch32 switch: SVE, pointer
 * authentication and the PMU are vCPU features armvm never asks for, for
 * either state.
 */
static int check_el1_32bit(const struct vm_config *cfg,
			   const struct guest_files *found,
			   const struct host_caps *host,
			   const struct machine_plan *plan)
{
	const char *what = cfg->arch == VM_ARCH_AARCH32 ? "--arch aarch32"
			   : found->what		? found->what
							: "the guest";

	if (!plan->aarch32 || host->el1_32bit)
		return 0;
	pr_err(
	    "%s: a 32-bit (aarch32) guest, but this host's CPU cannot run AArch32 at EL1 (KVM lacks KVM_CAP_ARM_EL1_32BIT%s%s)",
	    what, host->no_el1_32bit_why ? ", " : "",
	    host->no_el1_32bit_why ? host->no_el1_32bit_why : "");
	return -1;
}

enum msi_controller machine_plan_msi(int gic_version, bool its)
{
	if (gic_version == 3)
		return its ? MSI_ITS : MSI_NONE;
	return MSI_GICV2M;
}

const char *msi_controller_name(enum msi_controller msi)
{
	switch (msi) {
	case MSI_ITS:
		return "its";
	case MSI_GICV2M:
		return "gicv2m";
	case MSI_NONE:
		break;
	}
	return "none";
}

/* The GIC (PLAT-3), and the vCPU count against it and KVM. */
static int decide_gic(const struct vm_config *cfg, const struct host_caps *host,
		      struct machine_plan *plan)
{
	unsigned int max_cpus;

	if (cfg->gic_version == 3 && !host->gicv3) {
		pr_err(
		    "--gic 3: this host's KVM cannot emulate a GICv3 (use --gic 2)");
		return -1;
	}
	if (cfg->gic_version == 2 && !host->gicv2) {
		pr_err(
		    "--gic 2: this host's KVM cannot emulate a GICv2 (its GIC has no GICv2 compatibility; use --gic 3)");
		return -1;
	}
	if (!host->gicv3 && !host->gicv2) {
		pr_err("%s: KVM offers no in-kernel GIC", cfg->kvm_path);
		return -1;
	}
	plan->gic_version = cfg->gic_version ? cfg->gic_version
			    : host->gicv3    ? 3
					     : 2;
	/* MSIs: a GICv3 has them through KVM's ITS, where the host has
	 * one; a GICv2 through a GICv2m frame, which armvm emulates itself
	 * (KVM has none), so every GICv2 machine has it. Without either
	 * (a GICv3 host without ITS), PCI devices use INTx, and the device
	 * tree offers no MSI parent. */
	plan->msi = machine_plan_msi(plan->gic_version, host->its);

	max_cpus = plan->gic_version == 3 ? MACHINE_MAX_CPUS_GICV3
					  : MACHINE_MAX_CPUS_GICV2;
	if (cfg->cpus > max_cpus) {
		pr_err("--cpus %u: %s supports at most %u vCPUs (PLAT-3)%s",
		       cfg->cpus, plan->gic_version == 3 ? "GICv3" : "GICv2",
		       max_cpus,
		       cfg->gic_version ? "" : "; this host offers only GICv2");
		return -1;
	}
	if (host->max_vcpus && cfg->cpus > host->max_vcpus) {
		pr_err("--cpus %u: this host's KVM allows at most %u vCPUs",
		       cfg->cpus, host->max_vcpus);
		return -1;
	}
	return 0;
}

int machine_plan_decide(const struct vm_config *cfg,
			const struct guest_files *found,
			const struct host_caps *host, struct machine_plan *plan)
{
	*plan = (struct machine_plan){
	    .firmware_boot = !cfg->kernel,
	    .cpus = cfg->cpus,
	    .ram_size = cfg->memory,
	};
	if (decide_arch(cfg, found, plan) < 0 ||
	    check_el1_32bit(cfg, found, host, plan) < 0 ||
	    decide_gic(cfg, host, plan) < 0)
		return -1;
	pr_info("%s guest%s, GICv%d%s, %u vCPU(s), %llu MiB",
		plan->aarch32 ? "aarch32" : "aarch64",
		plan->aarch32 ? " (KVM_ARM_VCPU_EL1_32BIT)" : "",
		plan->gic_version,
		plan->msi == MSI_ITS	  ? " with ITS"
		: plan->msi == MSI_GICV2M ? " with GICv2m"
					  : "",
		plan->cpus, (unsigned long long)(plan->ram_size >> 20));
	return 0;
}
