/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VM: guest RAM, devices, and the KVM objects that run it.
 *
 * Threads (see docs/design.md): the main thread sets the VM up, then waits
 * for a VM event (power off, reset, quit, error) and tears the KVM objects
 * down; one thread per vCPU runs KVM_RUN and serves MMIO exits; the console
 * thread feeds host input to the UART. Devices and RAM outlive a guest
 * reset; the KVM VM, its vCPUs and its GIC are made anew at each boot so
 * that every boot starts from architectural reset state.
 */
#ifndef ARMVM_VMM_KVM_VM_H
#define ARMVM_VMM_KVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "devices/device.h"
#include "lib/guest_mem.h"
#include "vmm/boot.h"
#include "vmm/bus.h"
#include "vmm/config.h"
#include "vmm/kvm/kvm.h"
#include "vmm/machine.h"
#include "vmm/plan.h"
#include "vmm/platform.h"

struct console;
struct ioevents;
struct vm;

/* KVM memory slots. */
enum {
	SLOT_RAM,
	SLOT_FLASH_CODE, /* always mapped (the firmware executes in place) */
	SLOT_FLASH_VARS, /* mapped while the bank is in read-array mode */
};

struct vcpu {
	struct vm *vm;
	unsigned int index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	uint64_t mpidr;
	struct kvm_tls_guard tls; /* see kvm_run_vcpu */
	/* MMIO exits by machine region (-v prints them at the end of a boot). */
	uint64_t mmio_exits[MR_COUNT + 1];
	/* Returns from KVM_RUN this boot, counted with --boot-marker only:
	 * written by this vCPU's thread, read by the boot marker's from
	 * another vCPU's (relaxed atomics). */
	_Atomic uint64_t returns;
};

enum vm_event {
	VM_EVENT_NONE,
	VM_EVENT_POWEROFF, /* PSCI SYSTEM_OFF */
	VM_EVENT_RESET,	   /* PSCI SYSTEM_RESET */
	VM_EVENT_QUIT,	   /* the user asked armvm to stop */
	VM_EVENT_ERROR,	   /* a vCPU failed or the guest crashed */
};

struct vm {
	const struct vm_config *cfg;
	struct machine_plan plan; /* decided once in vm_init */
	struct platform platform; /* the devices */
	int kvm_fd;
	int vcpu_mmap_size;

	/* KVM objects of the current boot; -1 when torn down. */
	int vm_fd;
	int gic_fd;
	int its_fd;
	struct vcpu *vcpus;
	/* Held while vm_fd changes, so that device interrupts raised from
	 * other threads never reach a VM being torn down. */
	pthread_mutex_t irq_lock;

	uint8_t *ram;
	uint64_t ram_size;
	struct guest_dirty dirty;  /* the devices' writes into RAM */
	struct ioevents *ioevents; /* virtio doorbells (KVM ioeventfd) */
	struct console *console;

	struct kernel_image kernel;
	uint8_t *initrd;
	size_t initrd_size;

	pthread_mutex_t event_lock;
	pthread_cond_t event_cond;
	enum vm_event event;
	/*
	 * Written under pause_lock, read by every vCPU thread at each turn of
	 * its loop without the lock: atomics, so that the read is defined and
	 * sees the write (ThreadSanitizer found them plain, racing with
	 * teardown and resume, in 85-stress with STRESS_BUILD=tsan).
	 */
	atomic_bool stopping;
	/* The start-up cost (-v, --boot-marker) is reported once a process,
	 * by the first vCPU thread to enter the guest. */
	atomic_bool startup_reported;
	/* pause/resume (control socket): vCPU threads park on pause_cond. */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;
	atomic_bool pause_requested;
	unsigned int parked; /* vCPU threads waiting on pause_cond */
	/* While paused, the guest's virtual counter stands still: its value
	 * at the pause, put back at the resume (pause_lock). */
	bool counter_frozen;
	uint64_t frozen_counter;
	/* Held while a snapshot reads this boot's vCPUs and GIC, and by the
	 * teardown that closes them. */
	pthread_mutex_t snapshot_lock;
	unsigned int boots;
	/* Handed over to a migration's destination: this armvm only ends
	 * (vm_resume does nothing, the control requests that change the VM
	 * are refused). */
	atomic_bool migrated;
	/* --restore: the snapshot the first boot resumes, then NULL. */
	struct snapshot *restore;
};

/* Guest RAM: size bytes, zero, 2 MiB aligned (freed with munmap). NULL
 * with errno. */
uint8_t *vm_alloc_ram(uint64_t size);

/* Set the VM up from its options: open KVM, pick the GIC, allocate RAM,
 * read the kernel and initrd, create the devices. -1 after a message. */
int vm_init(struct vm *vm, const struct vm_config *cfg);
/* The same, resuming the snapshot s (kept until the first boot used it). */
int vm_init_restore(struct vm *vm, const struct vm_config *cfg,
		    struct snapshot *s);
/* Boot, run until the guest powers off (rebooting on reset unless
 * --no-reboot); returns the process exit status. */
int vm_run(struct vm *vm);
void vm_exit(struct vm *vm);
/* Stop every vCPU (they park) / let them run again. */
int vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
bool vm_paused(struct vm *vm);
/* Paused with every vCPU of a boot parked: its state can be read. */
bool vm_running_boot(struct vm *vm);
/* Report an event from any thread; the first one reported wins. */
void vm_post_event(struct vm *vm, enum vm_event event);
/* An event was reported and not yet handled: the VM is stopping or
 * rebooting (a control handler waiting for the guest gives up). */
bool vm_event_pending(struct vm *vm);

#endif
