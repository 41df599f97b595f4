// SPDX-License-Identifier: GPL-2.0
/*
 * The machine plan (vmm/plan.c): each decision from the options, the
 * guest's files and the host, and each refusal with a message that names
 * what is in the way.
 */
#include "tests/unit/check.h"
#include "lib/util.h"
#include "vmm/plan.h"

static const struct host_caps host_v3_its = {
    .gicv2 = true, .gicv3 = true, .its = true, .el1_32bit = true};
static const struct host_caps host_v2_only = {.gicv2 = true, .el1_32bit = true};

static struct vm_config config(void)
{
	return (struct vm_config){
	    .cpus = 1, .memory = 512ULL << 20, .kvm_path = "/dev/kvm"};
}

/* Decide with pr_err captured: 0 or -1, and the message in msg. */
static int decide(const struct vm_config *cfg, const struct guest_files *f,
		  const struct host_caps *host, struct machine_plan *plan,
		  char *msg, size_t size)
{
	int r;

	msg[0] = 0;
	pr_capture_begin(msg, size);
	r = machine_plan_decide(cfg, f, host, plan);
	pr_capture_end();
	return r;
}

static void direct_boot_on_gicv3_host(void)
{
	struct vm_config cfg = config();
	struct guest_files f = {VM_ARCH_AARCH64, "/Image"};
	struct machine_plan plan;
	char msg[256];

	cfg.kernel = "/Image";
	cfg.cpus = 4;
	CHECK_EQ(decide(&cfg, &f, &host_v3_its, &plan, msg, sizeof(msg)), 0);
	CHECK(!plan.firmware_boot);
	CHECK(!plan.aarch32);
	CHECK_EQ(plan.gic_version, 3);
	CHECK_EQ(plan.msi, MSI_ITS);
	CHECK_EQ(plan.cpus, 4);
	CHECK_EQ(plan.ram_size, 512ULL << 20);
}

static void zimage_is_aarch32(void)
{
	struct vm_config cfg = config();
	struct guest_files f = {VM_ARCH_AARCH32, "/zImage"};
	struct machine_plan plan;
	char msg[256];

	cfg.kernel = "/zImage";
	CHECK_EQ(decide(&cfg, &f, &host_v3_its, &plan, msg, sizeof(msg)), 0);
	CHECK(plan.aarch32);
	cfg.arch = VM_ARCH_AARCH64;
	CHECK_EQ(decide(&cfg, &f, &host_v3_its, &plan, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "--arch aarch64: /zImage is a 32-bit zImage"));
}

static void arm64_image_refuses_arch_aarch32(void)
{
	struct vm_config cfg = config();
	struct guest_files f = {VM_ARCH_AARCH64, "/Image"};
	struct machine_plan plan;
	char msg[256];

	cfg.kernel = "/Image";
	cfg.arch = VM_ARCH_AARCH32;
	CHECK_EQ(decide(&cfg, &f, &host_v3_its, &plan, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "--arch aarch32: /Image is an arm64 Image"));
}

/* UEFI: --arch decides without the disk; auto takes the disk's word. */
static void uefi_arch_from_option_or_disk(void)
{
	struct vm_config cfg = config();
	struct guest_files none = {VM_ARCH_AUTO, NULL};
	struct guest_files disk = {VM_ARCH_AARCH32, "/arm.img"};
	struct machine_plan plan;
	char msg[256];

	CHECK_EQ(decide(&cfg, &none, &host_v3_its, &plan, msg, sizeof(msg)), 0);
	CHECK(plan.firmware_boot);
	CHECK(!plan.aarch32);
	CHECK_EQ(decide(&cfg, &disk, &host_v3_its, &plan, msg, sizeof(msg)), 0);
	CHECK(plan.aarch32);
	cfg.arch = VM_ARCH_AARCH32;
	CHECK_EQ(decide(&cfg, &none, &host_v3_its, &plan, msg, sizeof(msg)), 0);
	CHECK(plan.aarch32);
}

static void aarch32_needs_el1_32bit(void)
{
	struct vm_config cfg = config();
	struct guest_files disk = {VM_ARCH_AARCH32, "/arm.img"};
	struct host_caps host = host_v3_its;
	struct machine_plan plan;
	char msg[256];

	host.el1_32bit = false;
	CHECK_EQ(decide(&cfg, &disk, &host, &plan, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "/arm.img: a 32-bit (aarch32) guest, but this "
			  "host's CPU cannot run AArch32 at EL1"));
	cfg.arch = VM_ARCH_AARCH32;
	host.no_el1_32bit_why = "ARMVM_TEST_NO_EL1_32BIT=1";
	CHECK_EQ(decide(&cfg, &disk, &host, &plan, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "--arch aarch32: a 32-bit"));
	CHECK(strstr(msg, ", ARMVM_TEST_NO_EL1_32BIT=1)"));
	/* An aarch64 guest does not care. */
	cfg.arch = VM_ARCH_AARCH64;
	CHECK_EQ(decide(&cfg, &disk, &host, &plan, msg, sizeof(msg)), 0);
}

static void aarch32_ram_ends_below_4g(void)
{
	struct vm_config cfg = config();
	struct guest_files disk = {VM_ARCH_AARCH32, "/arm.img"};
	struct machine_plan plan;
	char msg[256];

	cfg.memory = 4ULL << 30;
	CHECK_EQ(decide(&cfg, &disk, &host_v3_its, &plan, msg, sizeof(msg)),
		 -1);
	CHECK(strstr(msg, "an aarch32 guest has at most 3072 MiB"));
	cfg.memory = 3ULL << 30;
	CHECK_EQ(decide(&cfg, &disk, &host_v3_its, &plan, msg, sizeof(msg)), 0);
}

static void gic_choice(void)
{
	struct vm_config cfg = config();
	struct guest_files none = {VM_ARCH_AUTO, NULL};
	struct host_caps v2_with_its = host_v2_only;
	struct machine_plan plan;
	char msg[256];

	/* The best the host has; no ITS on a GICv2, whatever KVM says, but
	 * armvm's GICv2m frame. */
	CHECK_EQ(decide(&cfg, &none, &host_v2_only, &plan, msg, sizeof(msg)),
		 0);
	CHECK_EQ(plan.gic_version, 2);
	CHECK_EQ(plan.msi, MSI_GICV2M);
	cfg.gic_version = 2;
	v2_with_its.gicv3 = v2_with_its.its = true;
	CHECK_EQ(decide(&cfg, &none, &v2_with_its, &plan, msg, sizeof(msg)), 0);
	CHECK_EQ(plan.gic_version, 2);
	CHECK_EQ(plan.msi, MSI_GICV2M);
	cfg.gic_version = 3;
	CHECK_EQ(decide(&cfg, &none, &host_v2_only, &plan, msg, sizeof(msg)),
		 -1);
	CHECK(strstr(msg, "--gic 3: this host's KVM cannot emulate a GICv3"));
}

/*
 * Who takes PCI devices' MSIs: KVM's ITS on a GICv3 host that has one,
 * nobody on a GICv3 without (INTx), armvm's GICv2m frame on any GICv2.
 */
static void msi_controller_choice(void)
{
	struct vm_config cfg = config();
	struct guest_files none = {VM_ARCH_AUTO, NULL};
	struct host_caps v3_no_its = host_v3_its;
	struct machine_plan plan;
	char msg[256];

	CHECK_EQ(decide(&cfg, &none, &host_v3_its, &plan, msg, sizeof(msg)), 0);
	CHECK_EQ(plan.gic_version, 3);
	CHECK_EQ(plan.msi, MSI_ITS);
	v3_no_its.its = false;
	CHECK_EQ(decide(&cfg, &none, &v3_no_its, &plan, msg, sizeof(msg)), 0);
	CHECK_EQ(plan.gic_version, 3);
	CHECK_EQ(plan.msi, MSI_NONE);
	/* --gic 2 on a host that could do better still gets the frame. */
	cfg.gic_version = 2;
	CHECK_EQ(decide(&cfg, &none, &v3_no_its, &plan, msg, sizeof(msg)), 0);
	CHECK_EQ(plan.gic_version, 2);
	CHECK_EQ(plan.msi, MSI_GICV2M);
	/* As armvm ctl status names them. */
	CHECK_STR(msi_controller_name(MSI_ITS), "its");
	CHECK_STR(msi_controller_name(MSI_GICV2M), "gicv2m");
	CHECK_STR(msi_controller_name(MSI_NONE), "none");
}

static void cpu_limits(void)
{
	struct vm_config cfg = config();
	struct guest_files none = {VM_ARCH_AUTO, NULL};
	struct host_caps host = host_v3_its;
	struct machine_plan plan;
	char msg[256];

	cfg.cpus = 9;
	CHECK_EQ(decide(&cfg, &none, &host_v2_only, &plan, msg, sizeof(msg)),
		 -1);
	CHECK(strstr(msg, "GICv2 supports at most 8 vCPUs"));
	CHECK(strstr(msg, "this host offers only GICv2"));
	CHECK_EQ(decide(&cfg, &none, &host, &plan, msg, sizeof(msg)), 0);
	host.max_vcpus = 8;
	CHECK_EQ(decide(&cfg, &none, &host, &plan, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "this host's KVM allows at most 8 vCPUs"));
	cfg.cpus = 124;
	host.max_vcpus = 0;
	CHECK_EQ(decide(&cfg, &none, &host, &plan, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "GICv3 supports at most 123 vCPUs"));
}

int main(void)
{
	check_suite = "plan";
	RUN(direct_boot_on_gicv3_host);
	RUN(zimage_is_aarch32);
	RUN(arm64_image_refuses_arch_aarch32);
	RUN(uefi_arch_from_option_or_disk);
	RUN(aarch32_needs_el1_32bit);
	RUN(aarch32_ram_ends_below_4g);
	RUN(gic_choice);
	RUN(msi_controller_choice);
	RUN(cpu_limits);
	return check_main_end();
}
