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

#include "devices/device.h"
#include "lib/guest_mem.h"
#include "vmm/boot.h"
#include "vmm/bus.h"
#include "vmm/config.h"
#include "vmm/kvm/kvm.h"
#include "vmm/machine.h"

struct console;
struct ioevents;
struct pci_host;
struct virtio_dev;
struct vm;

/* KVM memory slots. */
enum {
	SLOT_RAM,
	SLOT_FLASH_CODE, /* always mapped (the firmware executes in place) */
	SLOT_FLASH_VARS, /* mapped while the bank is in read-array mode */
};

/* A device the user can see and (if hot-plugged) remove by its id. */
struct vm_device {
	char id[64];
	char type[16];	/* "block", "net", ... */
	char path[256]; /* backing file or backend, for device-list */
	bool readonly;
	bool writethrough;	     /* block: its cache mode at reset */
	enum vm_transport transport; /* PCI or MMIO (never DEFAULT) */
	struct pcie_port *port;	 /* NULL: given at start-up, on bus 0 or MMIO */
	struct pci_function *fn; /* NULL on virtio-mmio */
};

#define VM_MAX_DEVICES 64

/* A CFI flash bank's backing: a file mapping (or anonymous memory). */
struct flash_backing {
	uint8_t *map;
	uint64_t map_size; /* a multiple of the erase block */
	int fd;		   /* -1: anonymous, nothing to sync */
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
	int kvm_fd;
	int vcpu_mmap_size;
	int gic_version;
	/* The vCPUs start in AArch32 (KVM_ARM_VCPU_EL1_32BIT): --arch, or
	 * chosen from the kernel file or the boot disk. */
	bool aarch32;

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
	struct guest_mem mem; /* what devices see of RAM */

	struct mmio_bus bus;
	struct device *uart;
	struct device *rtc;
	struct device *gpio; /* the power button */
	struct pci_host *pci;
	struct virtio_dev *balloon; /* NULL with --no-balloon */
	struct ioevents *ioevents;  /* virtio doorbells (KVM ioeventfd) */
	/* The doorbell thread's sink, for the virtio-mmio transports (the
	 * PCI host holds a copy); filled once it starts, after the devices
	 * are made. */
	struct doorbell_sink doorbells;
	unsigned int mmio_slots; /* virtio-mmio slots taken, from slot 0 */
	bool msi; /* the host has an ITS: PCI devices get MSI-X */
	struct pcie_port *ports[16];  /* hot-plug slots: cfg->hotplug_slots */
	pthread_mutex_t devices_lock; /* the table below */
	struct vm_device devices[VM_MAX_DEVICES];
	unsigned int nr_devices;

	/* UEFI boot (no --kernel): the two CFI flash banks. */
	bool firmware_boot;
	struct flash_backing code, vars;
	struct device *flash_code, *flash_vars;
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
	/* pause/resume (control socket): vCPU threads park on pause_cond. */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;
	atomic_bool pause_requested;
	unsigned int parked; /* vCPU threads waiting on pause_cond */
	unsigned int boots;
};

/* Set the VM up from its options: open KVM, pick the GIC, allocate RAM,
 * read the kernel and initrd, create the devices. -1 after a message. */
int vm_init(struct vm *vm, const struct vm_config *cfg);
/* Boot, run until the guest powers off (rebooting on reset unless
 * --no-reboot); returns the process exit status. */
int vm_run(struct vm *vm);
void vm_exit(struct vm *vm);
/* Stop every vCPU (they park) / let them run again. */
int vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
bool vm_paused(struct vm *vm);
/* Report an event from any thread; the first one reported wins. */
void vm_post_event(struct vm *vm, enum vm_event event);
/* An event was reported and not yet handled: the VM is stopping or
 * rebooting (a control handler waiting for the guest gives up). */
bool vm_event_pending(struct vm *vm);

#endif
