// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include "lib/util.h"
#include "vmm/kvm/gic_state.h"
#include "vmm/kvm/kvm.h"
#include "vmm/kvm/vm.h"
#include "vmm/machine.h"

/*
 * Each GIC is saved as a list of register ranges walked in one order, the
 * order of the restore. A value is stored with a presence byte: a register
 * this host's KVM does not offer (a higher active-priority register than
 * the CPU interface implements) is recorded as absent, and is then not
 * written back.
 */
enum {
	PER_CPU = 1,  /* once per vCPU: redistributor or banked register */
	WIDE = 2,     /* a 64-bit value (system and ITS registers) */
	OPTIONAL = 4, /* may be absent on this host */
	V2_CPUID = 8, /* GICv2: the vCPU goes in as its index, not MPIDR */
};

struct reg_range {
	const char *name;
	uint32_t group;
	uint32_t offset;
	uint32_t count;
	uint32_t stride;
	unsigned int flags;
};

/* PPIs 9-14 (INTIDs 25-30): the GIC maintenance interrupt and the
 * timers (vmm/machine.h). */
#define KVM_DRIVEN_PPIS (0x3fULL << 25)

/* Interrupts the GIC has: SGIs and PPIs, then the SPIs (kvm_create_gic). */
#define NR_IRQS (32 + MACHINE_NR_SPIS)
/* Registers with one bit, or one byte, or two bits per interrupt, for
 * the SPIs only (the first word(s) are the SGIs' and PPIs'). */
#define SPI_BITS(base)	((base) + 4), NR_IRQS / 32 - 1, 4
#define SPI_BYTES(base) ((base) + 32), (NR_IRQS - 32) / 4, 4
#define SPI_CFG(base)	((base) + 8), (NR_IRQS - 32) / 16, 4

#define DIST	  KVM_DEV_ARM_VGIC_GRP_DIST_REGS
#define REDIST	  KVM_DEV_ARM_VGIC_GRP_REDIST_REGS
#define SYSREG	  KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS
#define CPUIF	  KVM_DEV_ARM_VGIC_GRP_CPU_REGS
#define LEVEL	  KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO
#define SGI_FRAME 0x10000
/* An ICC_* system register's attribute: op0, op1, CRn, CRm, op2. */
#define ICC(op0, op1, crn, crm, op2) \
	((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2))

/*
 * GICv3 (GIC architecture spec IHI 0069, chapter 12). GICD_IIDR first
 * (arm-vgic-v3.rst: it pins the KVM behaviour); the redistributors' LPI
 * tables before GICR_CTLR, whose EnableLPIs makes them read-only; the line
 * levels before the pending latches.
 */
static const struct reg_range gicv3_regs[] = {
    {"GICD_IIDR", DIST, 0x0008, 1, 4, 0},
    {"GICD_CTLR", DIST, 0x0000, 1, 4, 0},
    {"GICD_IGROUPR", DIST, SPI_BITS(0x0080), 0},
    {"GICD_ICFGR", DIST, SPI_CFG(0x0c00), 0},
    {"GICD_IPRIORITYR", DIST, SPI_BYTES(0x0400), 0},
    /* IROUTER is 64-bit, read as two words (arm-vgic-v3.rst). */
    {"GICD_IROUTER", DIST, 0x6000 + 8 * 32, 2 * (NR_IRQS - 32), 4, 0},
    {"SPI line levels", LEVEL, 32, NR_IRQS / 32 - 1, 32, 0},
    {"GICD_ISENABLER", DIST, SPI_BITS(0x0100), 0},
    {"GICD_ISPENDR", DIST, SPI_BITS(0x0200), 0},
    {"GICD_ISACTIVER", DIST, SPI_BITS(0x0300), 0},
    {"GICR_PROPBASER", REDIST, 0x0070, 2, 4, PER_CPU},
    {"GICR_PENDBASER", REDIST, 0x0078, 2, 4, PER_CPU},
    {"GICR_CTLR", REDIST, 0x0000, 1, 4, PER_CPU},
    {"GICR_IGROUPR0", REDIST, SGI_FRAME + 0x0080, 1, 4, PER_CPU},
    {"GICR_ICFGR", REDIST, SGI_FRAME + 0x0c00, 2, 4, PER_CPU},
    {"GICR_IPRIORITYR", REDIST, SGI_FRAME + 0x0400, 8, 4, PER_CPU},
    {"PPI line levels", LEVEL, 0, 1, 32, PER_CPU},
    {"GICR_ISENABLER0", REDIST, SGI_FRAME + 0x0100, 1, 4, PER_CPU},
    {"GICR_ISPENDR0", REDIST, SGI_FRAME + 0x0200, 1, 4, PER_CPU},
    {"GICR_ISACTIVER0", REDIST, SGI_FRAME + 0x0300, 1, 4, PER_CPU},
    {"ICC_SRE_EL1", SYSREG, ICC(3, 0, 12, 12, 5), 1, 1, PER_CPU | WIDE},
    {"ICC_CTLR_EL1", SYSREG, ICC(3, 0, 12, 12, 4), 1, 1, PER_CPU | WIDE},
    {"ICC_PMR_EL1", SYSREG, ICC(3, 0, 4, 6, 0), 1, 1, PER_CPU | WIDE},
    {"ICC_BPR0_EL1", SYSREG, ICC(3, 0, 12, 8, 3), 1, 1, PER_CPU | WIDE},
    {"ICC_BPR1_EL1", SYSREG, ICC(3, 0, 12, 12, 3), 1, 1, PER_CPU | WIDE},
    {"ICC_AP0R<n>_EL1", SYSREG, ICC(3, 0, 12, 8, 4), 4, 1,
     PER_CPU | WIDE | OPTIONAL},
    {"ICC_AP1R<n>_EL1", SYSREG, ICC(3, 0, 12, 9, 0), 4, 1,
     PER_CPU | WIDE | OPTIONAL},
    {"ICC_IGRPEN0_EL1", SYSREG, ICC(3, 0, 12, 12, 6), 1, 1, PER_CPU | WIDE},
    {"ICC_IGRPEN1_EL1", SYSREG, ICC(3, 0, 12, 12, 7), 1, 1, PER_CPU | WIDE},
};

/*
 * GICv2 (IHI 0048B): the SGI/PPI words of the distributor are banked per
 * CPU interface; GICD_IIDR first, or KVM ignores the group registers
 * (arm-vgic.rst). No line-level interface: the devices drive their lines
 * again at restore.
 */
static const struct reg_range gicv2_regs[] = {
    {"GICD_IIDR", DIST, 0x0008, 1, 4, 0},
    {"GICD_CTLR", DIST, 0x0000, 1, 4, 0},
    {"GICD_IGROUPR", DIST, SPI_BITS(0x0080), 0},
    {"GICD_ICFGR", DIST, SPI_CFG(0x0c00), 0},
    {"GICD_IPRIORITYR", DIST, SPI_BYTES(0x0400), 0},
    {"GICD_ITARGETSR", DIST, SPI_BYTES(0x0800), 0},
    {"GICD_ISENABLER", DIST, SPI_BITS(0x0100), 0},
    {"GICD_ISPENDR", DIST, SPI_BITS(0x0200), 0},
    {"GICD_ISACTIVER", DIST, SPI_BITS(0x0300), 0},
    {"GICD_IGROUPR0", DIST, 0x0080, 1, 4, PER_CPU | V2_CPUID},
    {"GICD_ICFGR1", DIST, 0x0c04, 1, 4, PER_CPU | V2_CPUID},
    {"GICD_IPRIORITYR (banked)", DIST, 0x0400, 8, 4, PER_CPU | V2_CPUID},
    {"GICD_ISENABLER0", DIST, 0x0100, 1, 4, PER_CPU | V2_CPUID},
    {"GICD_ISPENDR0", DIST, 0x0200, 1, 4, PER_CPU | V2_CPUID},
    {"GICD_ISACTIVER0", DIST, 0x0300, 1, 4, PER_CPU | V2_CPUID},
    {"GICD_SPENDSGIR", DIST, 0x0f20, 4, 4, PER_CPU | V2_CPUID},
    {"GICC_CTLR", CPUIF, 0x0000, 1, 4, PER_CPU | V2_CPUID},
    {"GICC_PMR", CPUIF, 0x0004, 1, 4, PER_CPU | V2_CPUID},
    {"GICC_BPR", CPUIF, 0x0008, 1, 4, PER_CPU | V2_CPUID},
    {"GICC_ABPR", CPUIF, 0x001c, 1, 4, PER_CPU | V2_CPUID},
    {"GICC_APR<n>", CPUIF, 0x00d0, 4, 4, PER_CPU | V2_CPUID},
};

/* GITS_* (IHI 0069 chapter 12.19), 64-bit through this interface. In the
 * order arm-vgic-its.rst's restore sequence needs: CBASER (whose write
 * resets CREADR) first, CTLR after the tables. */
#define GITS_CTLR    0x0000
#define GITS_IIDR    0x0004
#define GITS_CBASER  0x0080
#define GITS_CWRITER 0x0088
#define GITS_CREADR  0x0090
#define GITS_BASER   0x0100
static const uint32_t its_regs_before_tables[] = {
    GITS_CBASER,     GITS_IIDR,	      GITS_CREADR,     GITS_CWRITER,
    GITS_BASER,	     GITS_BASER + 8,  GITS_BASER + 16, GITS_BASER + 24,
    GITS_BASER + 32, GITS_BASER + 40, GITS_BASER + 48, GITS_BASER + 56,
};

/* A vCPU's affinity as the GICv3 attributes take it (Aff3..Aff0). */
static uint64_t mpidr_attr(uint64_t mpidr)
{
	return ((mpidr >> 32 & 0xff) << 24 | (mpidr & 0xffffff))
	       << KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT;
}

static uint64_t attr_of(const struct vm *vm, const struct reg_range *rr,
			unsigned int cpu, unsigned int i)
{
	uint64_t attr = rr->offset + (uint64_t)i * rr->stride;

	if (rr->group == LEVEL)
		attr |= (uint64_t)VGIC_LEVEL_INFO_LINE_LEVEL
			<< KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT;
	if (rr->flags & V2_CPUID)
		attr |= (uint64_t)cpu << KVM_DEV_ARM_VGIC_CPUID_SHIFT;
	else if (rr->flags & PER_CPU || rr->group == LEVEL)
		attr |= mpidr_attr(vm->vcpus[cpu].mpidr);
	return attr;
}

static int get_value(int fd, const struct reg_range *rr, uint64_t attr,
		     uint64_t *v)
{
	uint32_t v32 = 0;
	int r;

	if (rr->flags & WIDE)
		return kvm_device_get_attr(fd, rr->group, attr, v);
	r = kvm_device_get_attr(fd, rr->group, attr, &v32);
	*v = v32;
	return r;
}

static int set_value(int fd, const struct reg_range *rr, uint64_t attr,
		     uint64_t v)
{
	uint32_t v32 = (uint32_t)v;

	if (rr->flags & WIDE)
		return kvm_device_set_attr(fd, rr->group, attr, &v);
	return kvm_device_set_attr(fd, rr->group, attr, &v32);
}

static void ranges(const struct vm *vm, const struct reg_range **list,
		   size_t *n)
{
	if (vm->plan.gic_version == 3) {
		*list = gicv3_regs;
		*n = ARRAY_SIZE(gicv3_regs);
	} else {
		*list = gicv2_regs;
		*n = ARRAY_SIZE(gicv2_regs);
	}
}

/* Walk every register of the GIC: save (w) or restore (r). */
static int walk(struct vm *vm, struct state_writer *w, struct state_reader *r)
{
	const struct reg_range *list;
	size_t n;

	ranges(vm, &list, &n);
	for (size_t k = 0; k < n; k++) {
		const struct reg_range *rr = &list[k];
		unsigned int cpus = rr->flags & PER_CPU ? vm->plan.cpus : 1;

		for (unsigned int cpu = 0; cpu < cpus; cpu++) {
			for (unsigned int i = 0; i < rr->count; i++) {
				uint64_t attr = attr_of(vm, rr, cpu, i);
				uint64_t v = 0;
				bool present;

				if (w) {
					present = get_value(vm->gic_fd, rr,
							    attr, &v) == 0;
					/* The timers' and the maintenance
					 * interrupt's lines are KVM's to drive
					 * (it does again when the vCPU runs):
					 * their level at the moment of reading
					 * is not the guest's state. */
					if (rr->group == LEVEL &&
					    rr->flags & PER_CPU)
						v &= ~KVM_DRIVEN_PPIS;
					if (!present && !(rr->flags & OPTIONAL))
						goto fail;
					sw_bool(w, present);
					sw_u64(w, present ? v : 0);
					continue;
				}
				present = sr_bool(r);
				v = sr_u64(r);
				if (r->failed)
					return -1;
				if (present &&
				    set_value(vm->gic_fd, rr, attr, v) < 0)
					goto fail;
			}
			continue;
		fail:
			pr_err("%s: GICv%d %s (vCPU %u): %s",
			       w ? "snapshot" : "--restore",
			       vm->plan.gic_version, rr->name, cpu,
			       strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int its_save(struct vm *vm, struct state_writer *w)
{
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(its_regs_before_tables); i++) {
		if (kvm_device_get_attr(vm->its_fd,
					KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
					its_regs_before_tables[i], &v) < 0)
			goto fail;
		sw_u64(w, v);
	}
	if (kvm_device_get_attr(vm->its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
				GITS_CTLR, &v) < 0)
		goto fail;
	sw_u64(w, v);
	return 0;
fail:
	pr_err("snapshot: GICv3 ITS registers: %s", strerror(errno));
	return -1;
}

static int its_restore(struct vm *vm, struct state_reader *r)
{
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(its_regs_before_tables); i++) {
		v = sr_u64(r);
		if (r->failed)
			return -1;
		if (kvm_device_set_attr(vm->its_fd,
					KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
					its_regs_before_tables[i], &v) < 0) {
			pr_err("--restore: GICv3 ITS register 0x%x: %s",
			       its_regs_before_tables[i], strerror(errno));
			return -1;
		}
	}
	/* The device, collection and translation tables, from guest RAM. */
	if (kvm_device_set_attr(vm->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
				KVM_DEV_ARM_ITS_RESTORE_TABLES, NULL) < 0) {
		pr_err("--restore: GICv3 ITS tables: %s", strerror(errno));
		return -1;
	}
	v = sr_u64(r);
	if (r->failed)
		return -1;
	if (kvm_device_set_attr(vm->its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
				GITS_CTLR, &v) < 0) {
		pr_err("--restore: GICv3 ITS GITS_CTLR: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int gic_save(struct vm *vm, struct state_writer *w)
{
	sw_u8(w, (uint8_t)vm->plan.gic_version);
	sw_bool(w, vm->its_fd >= 0);
	if (vm->its_fd >= 0) {
		/* Into guest RAM: the ITS's tables, then every LPI's pending
		 * bit (arm-vgic-its.rst, arm-vgic-v3.rst). */
		if (kvm_device_set_attr(vm->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
					KVM_DEV_ARM_ITS_SAVE_TABLES,
					NULL) < 0 ||
		    kvm_device_set_attr(vm->gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
					KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES,
					NULL) < 0) {
			pr_err("snapshot: cannot write the GICv3 ITS tables "
			       "into guest RAM: %s",
			       strerror(errno));
			return -1;
		}
	}
	if (walk(vm, w, NULL) < 0)
		return -1;
	return vm->its_fd >= 0 ? its_save(vm, w) : 0;
}

int gic_restore(struct vm *vm, struct state_reader *r)
{
	unsigned int version = sr_u8(r);
	bool its = sr_bool(r);

	if (r->failed)
		return -1;
	if (version != (unsigned int)vm->plan.gic_version ||
	    its != (vm->its_fd >= 0)) {
		sr_fail(r, "GICv%u%s, but this VM has GICv%d%s", version,
			its ? " with ITS" : "", vm->plan.gic_version,
			vm->its_fd >= 0 ? " with ITS" : "");
		return -1;
	}
	if (walk(vm, NULL, r) < 0)
		return -1;
	return its ? its_restore(vm, r) : 0;
}
