/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The thin layer over the KVM API (Documentation/virt/kvm/api.rst): every
 * ioctl armvm issues is here, so the rest of the VMM reads as what it does
 * rather than how KVM spells it. Functions return 0 / a file descriptor, or
 * -1 with errno set; callers word the error for the user.
 */
#ifndef ARMVM_VMM_KVM_KVM_H
#define ARMVM_VMM_KVM_KVM_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

int kvm_open(const char *path);
int kvm_api_version(int kvm_fd);
int kvm_check_cap(int fd, long cap);
int kvm_vcpu_mmap_size(int kvm_fd);
int kvm_create_vm(int kvm_fd);
int kvm_enable_cap(int vm_fd, uint32_t cap);
/* Map host at gpa as memslot slot; size 0 removes the slot. */
int kvm_set_memory(int vm_fd, uint32_t slot, bool readonly, uint64_t gpa,
		   uint64_t size, void *host);
/*
 * Live migration (vmm/kvm/migrate.c): the slot, registered again with the
 * same range, logs the guest's writes (or stops logging them); and the
 * pages written since the last call, one bit per host page of the slot
 * (bitmap holds (pages + 63) / 64 words), cleared as they are read (KVM's
 * api.rst, KVM_GET_DIRTY_LOG). 0, or -1 with errno.
 */
int kvm_log_dirty_pages(int vm_fd, uint32_t slot, uint64_t gpa, uint64_t size,
			void *host, bool log);
int kvm_get_dirty_log(int vm_fd, uint32_t slot, uint64_t *bitmap);

/* vCPUs */
int kvm_create_vcpu(int vm_fd, unsigned int index, int mmap_size,
		    struct kvm_run **run);
int kvm_vcpu_init(int vm_fd, int vcpu_fd, bool powered_off, bool aarch32);
int kvm_get_reg64(int vcpu_fd, uint64_t id, uint64_t *value);
int kvm_set_reg64(int vcpu_fd, uint64_t id, uint64_t value);
/* Any register, of kvm_reg_size(id) bytes at value. */
int kvm_get_reg(int vcpu_fd, uint64_t id, void *value);
int kvm_set_reg(int vcpu_fd, uint64_t id, const void *value);
unsigned int kvm_reg_size(uint64_t id);
/* Every register KVM saves and restores for this vCPU (KVM_GET_REG_LIST):
 * *ids is malloc'ed, *n long. */
int kvm_get_reg_list(int vcpu_fd, uint64_t **ids, uint64_t *n);
int kvm_get_mp_state(int vcpu_fd, uint32_t *state);
int kvm_set_mp_state(int vcpu_fd, uint32_t state);
/* Register ids for the few registers armvm touches. */
uint64_t kvm_reg_x(unsigned int n);
uint64_t kvm_reg_pc(void);
uint64_t kvm_reg_mpidr(void);
uint64_t kvm_reg_tpidr_el0(void);
uint64_t kvm_reg_tpidrro_el0(void);
/* The guest's virtual counter (CNTVCT); writing it moves the VM's offset. */
uint64_t kvm_reg_timer_cnt(void);

/* One of this thread's EL0 thread registers across KVM_RUN (kvm_run_vcpu). */
struct kvm_reg_change {
	uint64_t ours;		/* before KVM_RUN */
	uint64_t found;		/* after, the last time it differed */
	unsigned long count;	/* how often it differed */
	unsigned long reported; /* how many of those the caller has told */
};

struct kvm_tls_guard {
	struct kvm_reg_change tpidr;   /* glibc's thread pointer: put back */
	struct kvm_reg_change tpidrro; /* EL0 cannot write it: only noted */
	unsigned long runs;	       /* KVM_RUN calls so far */
	/* Test hook: pretend TPIDR_EL0 changed at this run (0: never). */
	unsigned long simulate_at;
};
int kvm_run_vcpu(int vcpu_fd, struct kvm_tls_guard *tls);

/* A KVM device's attributes (the GIC's, the ITS's registers and controls). */
int kvm_device_set_attr(int dev_fd, uint32_t group, uint64_t attr,
			const void *value);
int kvm_device_get_attr(int dev_fd, uint32_t group, uint64_t attr, void *value);

/* Interrupts */
bool kvm_gic_supported(int vm_fd, int version);
/* Create the in-kernel GIC at the machine's addresses; returns its fd. */
int kvm_create_gic(int vm_fd, int version);
/* After every vCPU exists: finalise the GIC (KVM_DEV_ARM_VGIC_CTRL_INIT). */
int kvm_init_gic(int gic_fd);
bool kvm_its_supported(int vm_fd);
int kvm_create_its(int vm_fd);
/* A message-signalled interrupt; the ITS translates it by device id. */
int kvm_signal_msi(int vm_fd, uint64_t address, uint32_t data, uint32_t devid);
int kvm_irq_line_spi(int vm_fd, uint32_t spi, bool level);

#endif
