// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm/kvm/kvm.h"
#include "vmm/machine.h"

int kvm_open(const char *path)
{
	return open(path, O_RDWR | O_CLOEXEC);
}

int kvm_api_version(int kvm_fd)
{
	return ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
}

int kvm_check_cap(int fd, long cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

int kvm_vcpu_mmap_size(int kvm_fd)
{
	return ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
}

int kvm_create_vm(int kvm_fd)
{
	int r;

	/* Type 0: the default 40-bit IPA space, enough for the map. */
	do
		r = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	while (r < 0 && errno == EINTR);
	return r;
}

int kvm_enable_cap(int vm_fd, uint32_t cap)
{
	struct kvm_enable_cap c = {.cap = cap};

	return ioctl(vm_fd, KVM_ENABLE_CAP, &c);
}

static int set_region(int vm_fd, uint32_t slot, uint32_t flags, uint64_t gpa,
		      uint64_t size, void *host)
{
	struct kvm_userspace_memory_region r = {
	    .slot = slot,
	    .flags = flags,
	    .guest_phys_addr = gpa,
	    .memory_size = size,
	    .userspace_addr = (uint64_t)(uintptr_t)host,
	};

	return ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

int kvm_set_memory(int vm_fd, uint32_t slot, bool readonly, uint64_t gpa,
		   uint64_t size, void *host)
{
	return set_region(vm_fd, slot, readonly ? KVM_MEM_READONLY : 0, gpa,
			  size, host);
}

int kvm_log_dirty_pages(int vm_fd, uint32_t slot, uint64_t gpa, uint64_t size,
			void *host, bool log)
{
	return set_region(vm_fd, slot, log ? KVM_MEM_LOG_DIRTY_PAGES : 0, gpa,
			  size, host);
}

int kvm_get_dirty_log(int vm_fd, uint32_t slot, uint64_t *bitmap)
{
	struct kvm_dirty_log log = {.slot = slot, .dirty_bitmap = bitmap};

	return ioctl(vm_fd, KVM_GET_DIRTY_LOG, &log);
}

int kvm_create_vcpu(int vm_fd, unsigned int index, int mmap_size,
		    struct kvm_run **run)
{
	int fd = ioctl(vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	void *p;

	if (fd < 0)
		return -1;
	p = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	*run = p;
	return fd;
}

int kvm_vcpu_init(int vm_fd, int vcpu_fd, bool powered_off, bool aarch32)
{
	struct kvm_vcpu_init init;

	memset(&init, 0, sizeof(init));
	if (ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		return -1;
	/* PSCI 0.2+ in the kernel: CPU_ON, SYSTEM_OFF, SYSTEM_RESET. */
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	/* Secondaries wait for PSCI CPU_ON (firmware and Linux expect it). */
	if (powered_off)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (aarch32)
		init.features[0] |= 1u << KVM_ARM_VCPU_EL1_32BIT;
	return ioctl(vcpu_fd, KVM_ARM_VCPU_INIT, &init);
}

int kvm_get_reg64(int vcpu_fd, uint64_t id, uint64_t *value)
{
	struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)value};

	return ioctl(vcpu_fd, KVM_GET_ONE_REG, &r);
}

int kvm_set_reg64(int vcpu_fd, uint64_t id, uint64_t value)
{
	struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)&value};

	return ioctl(vcpu_fd, KVM_SET_ONE_REG, &r);
}

#define CORE_REG(field)                                        \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
	 (offsetof(struct kvm_regs, field) / sizeof(uint32_t)))

uint64_t kvm_reg_x(unsigned int n)
{
	return CORE_REG(regs.regs[0]) +
	       n * (sizeof(uint64_t) / sizeof(uint32_t));
}

uint64_t kvm_reg_pc(void)
{
	return CORE_REG(regs.pc);
}

int kvm_get_reg(int vcpu_fd, uint64_t id, void *value)
{
	struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)value};

	return ioctl(vcpu_fd, KVM_GET_ONE_REG, &r);
}

int kvm_set_reg(int vcpu_fd, uint64_t id, const void *value)
{
	struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)value};

	return ioctl(vcpu_fd, KVM_SET_ONE_REG, &r);
}

unsigned int kvm_reg_size(uint64_t id)
{
	return 1U << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

int kvm_get_reg_list(int vcpu_fd, uint64_t **ids, uint64_t *n)
{
	struct kvm_reg_list probe = {.n = 0}, *list;

	/* The first call fails with E2BIG and says how many there are. */
	if (ioctl(vcpu_fd, KVM_GET_REG_LIST, &probe) == 0 || errno != E2BIG)
		return -1;
	list = malloc(sizeof(*list) + probe.n * sizeof(uint64_t));
	if (!list)
		return -1;
	list->n = probe.n;
	if (ioctl(vcpu_fd, KVM_GET_REG_LIST, list) < 0) {
		int e = errno;

		free(list);
		errno = e;
		return -1;
	}
	*n = list->n;
	*ids = malloc(list->n * sizeof(uint64_t) + 1);
	if (!*ids) {
		free(list);
		return -1;
	}
	memcpy(*ids, list->reg, list->n * sizeof(uint64_t));
	free(list);
	return 0;
}

int kvm_get_mp_state(int vcpu_fd, uint32_t *state)
{
	struct kvm_mp_state mp;

	if (ioctl(vcpu_fd, KVM_GET_MP_STATE, &mp) < 0)
		return -1;
	*state = mp.mp_state;
	return 0;
}

int kvm_set_mp_state(int vcpu_fd, uint32_t state)
{
	struct kvm_mp_state mp = {.mp_state = state};

	return ioctl(vcpu_fd, KVM_SET_MP_STATE, &mp);
}

uint64_t kvm_reg_timer_cnt(void)
{
	return KVM_REG_ARM_TIMER_CNT; /* the guest's virtual counter */
}

uint64_t kvm_reg_mpidr(void)
{
	return ARM64_SYS_REG(3, 0, 0, 0, 5); /* MPIDR_EL1 */
}

uint64_t kvm_reg_tpidr_el0(void)
{
	return ARM64_SYS_REG(3, 3, 13, 0, 2); /* TPIDR_EL0 */
}

uint64_t kvm_reg_tpidrro_el0(void)
{
	return ARM64_SYS_REG(3, 3, 13, 0, 3); /* TPIDRRO_EL0 */
}

#if defined(__aarch64__)
static inline uint64_t read_tpidr_el0(void)
{
	uint64_t value;

	asm volatile("mrs %0, tpidr_el0" : "=r"(value));
	return value;
}

/* Read-only at EL0: the kernel sets it (0 for a 64-bit task). */
static inline uint64_t read_tpidrro_el0(void)
{
	uint64_t value;

	asm volatile("mrs %0, tpidrro_el0" : "=r"(value));
	return value;
}

static inline void write_tpidr_el0(uint64_t value)
{
	asm volatile("msr tpidr_el0, %0" : : "r"(value) : "memory");
}

/* ioctl(2) without glibc's wrapper, which stores errno through TLS. */
static inline long bare_ioctl(int fd, unsigned long request, unsigned long arg)
{
	register long x0 asm("x0") = fd;
	register unsigned long x1 asm("x1") = request;
	register unsigned long x2 asm("x2") = arg;
	register long x8 asm("x8") = __NR_ioctl;

	asm volatile("svc #0"
		     : "+r"(x0)
		     : "r"(x1), "r"(x2), "r"(x8)
		     : "memory", "cc");
	return x0;
}
#endif

/*
 * KVM_RUN, with a guard on this thread's TPIDR_EL0. The host kernel swaps
 * the EL0 thread registers between armvm's thread and the guest's vCPU as
 * it enters and leaves the guest. The nested, TCG-emulated test host got
 * that wrong now and then (docs/sandbox.md, "The EL0 thread registers"):
 * the guest's firmware then faulted through a thread register it had not
 * changed, and armvm died of SIGSEGV, as its next TLS access (errno, at
 * the latest) used a pointer that was not its own. armvm never writes the
 * register, so a changed value after KVM_RUN is the host's doing: it is put
 * back before anything can use it (the system call is made bare for that:
 * no errno in between, no sanitizer hook) and counted for the caller to
 * report. Reading the register costs a few cycles per exit.
 * Test hook: tls->simulate_at makes the Nth return look so.
 */
__attribute__((no_sanitize_address, no_sanitize_thread)) int
kvm_run_vcpu(int vcpu_fd, struct kvm_tls_guard *tls)
{
#if defined(__aarch64__)
	uint64_t ours = read_tpidr_el0(), ro = read_tpidrro_el0(), after;
	bool simulate = ++tls->runs == tls->simulate_at;
	long r;

	r = bare_ioctl(vcpu_fd, KVM_RUN, 0);
	if (simulate)
		write_tpidr_el0(0x0000dead00000000ULL);
	after = read_tpidr_el0();
	if (after != ours) {
		write_tpidr_el0(ours);
		tls->tpidr = (struct kvm_reg_change){
		    ours, after, tls->tpidr.count + 1, tls->tpidr.reported};
	}
	/* TPIDRRO_EL0 (a 32-bit guest's TPIDRURO, where Linux/arm keeps
	 * `current`): armvm cannot write it back, nor does it use it; a
	 * change is only noted. */
	after = read_tpidrro_el0();
	if (after != ro)
		tls->tpidrro = (struct kvm_reg_change){
		    ro, after, tls->tpidrro.count + 1, tls->tpidrro.reported};
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return 0;
#else
	(void)tls;
	return ioctl(vcpu_fd, KVM_RUN, 0);
#endif
}

static uint32_t gic_device_type(int version)
{
	return version == 3 ? KVM_DEV_TYPE_ARM_VGIC_V3
			    : KVM_DEV_TYPE_ARM_VGIC_V2;
}

bool kvm_gic_supported(int vm_fd, int version)
{
	struct kvm_create_device d = {.type = gic_device_type(version),
				      .flags = KVM_CREATE_DEVICE_TEST};

	return ioctl(vm_fd, KVM_CREATE_DEVICE, &d) == 0;
}

int kvm_device_set_attr(int dev_fd, uint32_t group, uint64_t attr,
			const void *value)
{
	struct kvm_device_attr a = {
	    .group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)value};

	return ioctl(dev_fd, KVM_SET_DEVICE_ATTR, &a);
}

int kvm_device_get_attr(int dev_fd, uint32_t group, uint64_t attr, void *value)
{
	struct kvm_device_attr a = {
	    .group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)value};

	return ioctl(dev_fd, KVM_GET_DEVICE_ATTR, &a);
}

int kvm_create_gic(int vm_fd, int version)
{
	struct kvm_create_device d = {.type = gic_device_type(version)};
	uint64_t dist = machine_map[MR_GIC_DIST].base;
	uint64_t cpu_or_redist = version == 3 ? machine_map[MR_GIC_REDIST].base
					      : machine_map[MR_GIC_CPU].base;
	uint32_t nr_irqs = 32 + MACHINE_NR_SPIS; /* SGIs+PPIs, then SPIs */

	if (ioctl(vm_fd, KVM_CREATE_DEVICE, &d) < 0)
		return -1;
	if (kvm_device_set_attr(d.fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				version == 3 ? KVM_VGIC_V3_ADDR_TYPE_DIST
					     : KVM_VGIC_V2_ADDR_TYPE_DIST,
				&dist) < 0 ||
	    kvm_device_set_attr(d.fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				version == 3 ? KVM_VGIC_V3_ADDR_TYPE_REDIST
					     : KVM_VGIC_V2_ADDR_TYPE_CPU,
				&cpu_or_redist) < 0 ||
	    kvm_device_set_attr(d.fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0,
				&nr_irqs) < 0) {
		int e = errno;

		close(d.fd);
		errno = e;
		return -1;
	}
	return d.fd;
}

int kvm_init_gic(int gic_fd)
{
	return kvm_device_set_attr(gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
				   KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
}

bool kvm_its_supported(int vm_fd)
{
	struct kvm_create_device d = {.type = KVM_DEV_TYPE_ARM_VGIC_ITS,
				      .flags = KVM_CREATE_DEVICE_TEST};

	return ioctl(vm_fd, KVM_CREATE_DEVICE, &d) == 0;
}

int kvm_signal_msi(int vm_fd, uint64_t address, uint32_t data, uint32_t devid)
{
	struct kvm_msi msi = {
	    .address_lo = (uint32_t)address,
	    .address_hi = (uint32_t)(address >> 32),
	    .data = data,
	    .flags = KVM_MSI_VALID_DEVID,
	    .devid = devid,
	};

	return ioctl(vm_fd, KVM_SIGNAL_MSI, &msi);
}

int kvm_create_its(int vm_fd)
{
	struct kvm_create_device d = {.type = KVM_DEV_TYPE_ARM_VGIC_ITS};
	uint64_t base = machine_map[MR_GIC_ITS].base;

	if (ioctl(vm_fd, KVM_CREATE_DEVICE, &d) < 0)
		return -1;
	if (kvm_device_set_attr(d.fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				KVM_VGIC_ITS_ADDR_TYPE, &base) < 0 ||
	    kvm_device_set_attr(d.fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
				KVM_DEV_ARM_VGIC_CTRL_INIT, NULL) < 0) {
		int e = errno;

		close(d.fd);
		errno = e;
		return -1;
	}
	return d.fd;
}

int kvm_irq_line_spi(int vm_fd, uint32_t spi, bool level)
{
	struct kvm_irq_level l = {
	    .irq =
		(KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (spi + 32),
	    .level = level,
	};

	return ioctl(vm_fd, KVM_IRQ_LINE, &l);
}
