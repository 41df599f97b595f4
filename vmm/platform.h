/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine's composition root: every device, assembled from the options,
 * the machine plan (vmm/plan.h) and the memory map (vmm/machine.h): UART,
 * RTC, GPIO power button, PCIe host with the virtio devices and the
 * hot-plug root ports, virtio-mmio slots, and for a UEFI boot the
 * firmware's two flash banks; and the table of the devices a user sees
 * (hot-plug). Portable: what it needs of the hypervisor (interrupt lines,
 * MSIs, read-only memory for the flash) it gets through struct
 * platform_glue, which vmm/kvm/vm.c supplies.
 */
#ifndef ARMVM_VMM_PLATFORM_H
#define ARMVM_VMM_PLATFORM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/boot_marker.h"
#include "devices/device.h"
#include "devices/pci.h"
#include "lib/guest_mem.h"
#include "lib/state.h"
#include "vmm/bus.h"
#include "vmm/config.h"
#include "vmm/machine.h"
#include "vmm/plan.h"

struct console;
struct net_config;
struct pcie_port;
struct virtio_dev;

/* What the hypervisor layer lends the machine. */
struct platform_glue {
	struct irq_sink irq; /* the GIC's SPIs */
	struct msi_sink msi; /* KVM's ITS (when the plan has one) */
	/*
	 * Map size bytes of host memory at host read-only at the base of
	 * region (a flash bank in read-array mode), or unmap it (size 0).
	 * 0, or -1 with errno.
	 */
	int (*map_rom)(void *opaque, enum machine_region region, void *host,
		       uint64_t size);
	/* A guest's write to the boot marker (--boot-marker), on its vCPU's
	 * thread: the VM records when it came and what it cost so far. */
	boot_marker_fn boot_mark;
	void *opaque;
};

/*
 * The registry: every device of the machine, in the order it was made
 * (the order of reset and of the device tree), under an id that stays the
 * same for the VM's life. What an entry is decides how its lifecycle runs:
 */
enum machine_device_kind {
	MDEV_MMIO,	  /* a model on the MMIO bus: UART, GPIO, RTC, flash */
	MDEV_PCI_HOST,	  /* the PCIe host bridge (it resets and frees its
			     functions, root ports and what they hold) */
	MDEV_ROOT_PORT,	  /* a hot-plug slot: a PCI function on bus 0 */
	MDEV_VIRTIO_PCI,  /* a virtio device on a PCI function */
	MDEV_VIRTIO_MMIO, /* a virtio device in a virtio-mmio slot */
};

#define MACHINE_DEVICE_ID_MAX 64
#define MACHINE_MAX_DEVICES   96

struct machine_device {
	char id[MACHINE_DEVICE_ID_MAX]; /* "uart", "disk0", a device-add's */
	enum machine_device_kind kind;
	/* The model with registers on the bus (MMIO; the host's ECAM
	 * window; a virtio-mmio transport), or NULL. */
	struct device *dev;
	struct pci_function *fn; /* root port, virtio-pci: the function */
	struct virtio_dev *vdev; /* virtio: the device on its transport */
	/* A root port: itself. A virtio-pci device: the slot it was
	 * hot-plugged into, NULL if given at start-up. */
	struct pcie_port *port;
	/* Virtio devices, for device-list: what the user gave. */
	char type[16];	/* "block", "net", "rng", "balloon", ... */
	char path[256]; /* backing file or backend */
	bool readonly;
	bool writethrough;	     /* block: its cache mode at reset */
	enum vm_transport transport; /* PCI or MMIO (never DEFAULT) */
};

/* A CFI flash bank's backing: a file mapping (or anonymous memory). */
struct flash_backing {
	uint8_t *map;
	uint64_t map_size; /* a multiple of the erase block */
	int fd;		   /* -1: anonymous, nothing to sync */
};

struct platform {
	const struct vm_config *cfg;
	const struct machine_plan *plan; /* from platform_apply_plan on */
	struct platform_glue glue;
	struct console *console; /* the UART's output */
	/* Guest RAM as the devices see it: filled in once it is allocated
	 * (the devices keep this address, not a copy). */
	struct guest_mem mem;

	struct mmio_bus bus; /* every device with registers, by address */
	struct device *uart;
	struct device *rtc;
	struct device *gpio; /* the power button */
	struct pci_host *pci;
	/* The GICv2m frame (plan MSI_GICV2M), or NULL: on the bus, but not
	 * in the registry: it is part of the GIC (its node is the GIC's
	 * child, vmm/fdt.c) and, like the GIC, has no record of its own
	 * (it has no state; the SPIs it raised are the GIC's). */
	struct device *v2m;
	struct virtio_dev *balloon; /* NULL with --no-balloon */
	/* The doorbell thread's sink, for the virtio-mmio transports (the
	 * PCI host holds a copy): set once it starts, after the devices are
	 * made (platform_set_doorbells). */
	struct doorbell_sink doorbells;
	unsigned int mmio_slots;      /* virtio-mmio slots taken, from 0 */
	struct pcie_port *ports[16];  /* hot-plug slots: cfg->hotplug_slots */
	pthread_mutex_t devices_lock; /* the registry */
	struct machine_device devices[MACHINE_MAX_DEVICES];
	unsigned int nr_devices;

	/* UEFI boot: the two CFI flash banks. */
	struct flash_backing code, vars;
	struct device *flash_code, *flash_vars;
	char vars_path[4096]; /* the variable store's file, "" if none */
	char code_path[4096]; /* the firmware's file, "" if none */
};

void platform_init(struct platform *p, const struct vm_config *cfg,
		   const struct platform_glue *glue, struct console *console);
/*
 * Check the user's files (the disks) and create the devices the plan does
 * not shape. For a UEFI boot with --arch auto, *found gets what the boot
 * disk's boot files say of the execution state. Before any thread starts
 * (the disk is probed in a forked child). -1 after a one-line message.
 */
int platform_create(struct platform *p, struct guest_files *found);
/* With the plan made: the PCI host's MSI controller (for a GICv2, the
 * GICv2m frame, made here), and for a UEFI boot the firmware and the
 * variable store (checked, mapped, locked). */
int platform_apply_plan(struct platform *p, const struct machine_plan *plan);
/* The doorbell thread's sink, once it runs (struct doorbell_sink). */
void platform_set_doorbells(struct platform *p,
			    const struct doorbell_sink *doorbells);
/* Press the power button (pl061 line 3, gpio-keys KEY_POWER); false if no
 * guest driver listens. Sleeps ~100 ms: not on a vCPU thread. */
bool platform_press_power(struct platform *p);
/* Every device to its power-on state (at each boot). */
void platform_reset(struct platform *p);
/* The devices with a device-tree node, in registry order, into out. */
unsigned int platform_fdt_devices(struct platform *p, struct device **out,
				  unsigned int max);
/* At each boot, after the devices' reset: map the flash banks. */
int platform_map_flash(struct platform *p);
void platform_destroy(struct platform *p);
/* After KVM_RUN failed with EFAULT: if the variable store shrank under
 * armvm (the guest read lost pages), print why and return true. */
bool platform_explain_efault(struct platform *p);

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
	unsigned int slot; /* the hot-plug slot (1...); 0: the first free */
};
int platform_device_add(struct platform *p, const struct vm_device_spec *spec,
			char *id_out, size_t id_size);
/*
 * Start the orderly removal (press the slot's attention button) and return
 * at once: 1 when the device is already gone (its slot was off), 0 when
 * the guest has yet to release it (device-list shows it "removing" until
 * then), -1 with a message.
 */
int platform_device_del(struct platform *p, const char *id);
/* Copy the virtio devices' entries (devices_lock taken). Returns the
 * count. */
unsigned int platform_device_list(struct platform *p,
				  struct machine_device *out, unsigned int max);

/*
 * Snapshots (issue 13, docs/snapshot.md). The VM is paused and its devices
 * quiesced (platform_quiesce: no device thread touches guest memory or a
 * queue until un-quiesced).
 *
 * platform_save appends the sections "devices" (every registry id and
 * kind), "hotplug" (the hot-plugged devices, to plug again), "files" (each
 * disk's and the variable store's path, size and inode) and "dev:ID" (each
 * device's own record).
 */
struct snapshot;
void platform_quiesce(struct platform *p, bool quiesce);
int platform_save(struct platform *p, struct state_writer *body);
/* At restore, once the devices of the options exist: the files must be
 * the snapshot's, and the hot-plugged devices are plugged again into
 * their slots. 0, or -1 after a message. */
int platform_restore_devices(struct platform *p, const struct snapshot *s);
/* At the restore's boot, after platform_reset: every device's record. */
int platform_restore_state(struct platform *p, const struct snapshot *s);
/*
 * A live migration's hand-over (docs/migration.md), devices quiesced: with
 * release, every disk's and the variable store's writes are made durable
 * and their locks dropped, so that the destination can open them (stops at
 * the first failure); without, every lock is taken back (the migration
 * failed). 0, or -1 after a message (none when quiet: an attempt to be
 * made again).
 */
int platform_hand_over_files(struct platform *p, bool release, bool quiet);

#endif
