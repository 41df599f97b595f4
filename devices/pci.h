/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI functions and the PCIe host bridge (ECAM, "pci-host-ecam-generic").
 *
 * A pci_function is a type-0 configuration space (PCI Local Bus 3.0 chapter
 * 6) with a mask of the bits the guest may write, up to six memory BARs
 * whose sizing works as on hardware (write all ones, read back the size
 * mask), and an INTx pin. The host bridge (pci_host) serves the ECAM window
 * and the MMIO window: an access to the window goes to the BAR the guest
 * programmed there, so BARs may move (EDK2's PciBusDxe reassigns them all).
 */
#ifndef ARMVM_DEVICES_PCI_H
#define ARMVM_DEVICES_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/device.h"
#include "lib/state.h"

#define PCI_CFG_SIZE  4096 /* PCIe extended configuration space */
#define PCI_NUM_BARS  6
#define PCI_MAX_SLOTS 32

/* Configuration header offsets and bits (PCI 3.0 section 6.2). */
#define PCI_VENDOR_ID		 0x00
#define PCI_DEVICE_ID		 0x02
#define PCI_COMMAND		 0x04
#define PCI_COMMAND_MEMORY	 0x0002
#define PCI_COMMAND_MASTER	 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS		 0x06
#define PCI_STATUS_INTERRUPT	 0x0008
#define PCI_STATUS_CAP_LIST	 0x0010
#define PCI_REVISION_ID		 0x08
#define PCI_CLASS_PROG		 0x09
#define PCI_HEADER_TYPE		 0x0e
#define PCI_HEADER_TYPE_BRIDGE	 0x01
#define PCI_PRIMARY_BUS		 0x18
#define PCI_SECONDARY_BUS	 0x19
#define PCI_SUBORDINATE_BUS	 0x1a
#define PCI_BRIDGE_CONTROL	 0x3e
#define PCI_BASE_ADDRESS_0	 0x10
#define PCI_SUBSYSTEM_VENDOR_ID	 0x2c
#define PCI_SUBSYSTEM_ID	 0x2e
#define PCI_CAPABILITY_LIST	 0x34
#define PCI_INTERRUPT_LINE	 0x3c
#define PCI_INTERRUPT_PIN	 0x3d
#define PCI_CAP_ID_MSI		 0x05
#define PCI_CAP_ID_EXP		 0x10
#define PCI_CAP_ID_MSIX		 0x11
#define PCI_CAP_ID_VNDR		 0x09

#define PCI_BAR_MEM64 0x4

struct pci_function;
struct pci_host;

struct pci_function_ops {
	/* An access inside BAR bar at offset (size 1, 2, 4 or 8). */
	uint64_t (*bar_read)(struct pci_function *fn, int bar, uint64_t offset,
			     unsigned int size);
	void (*bar_write)(struct pci_function *fn, int bar, uint64_t offset,
			  unsigned int size, uint64_t value);
	/* After the guest wrote configuration space [offset, offset+size). */
	void (*config_written)(struct pci_function *fn, uint32_t offset,
			       unsigned int size);
	void (*reset)(struct pci_function *fn);
	void (*destroy)(struct pci_function *fn);
	/*
	 * Snapshots, optional (docs/snapshot.md "Device records"): the
	 * model's own state, after the configuration space that
	 * pci_function_save/_restore handle. restore runs once that is back
	 * (without cfg_lock), checks everything as a guest write would be
	 * checked, and returns -1 with sr_fail on a bad record.
	 */
	void (*save)(struct pci_function *fn, struct state_writer *w);
	int (*restore)(struct pci_function *fn, struct state_reader *r);
};

struct pci_function {
	const struct pci_function_ops *ops;
	const char *name;
	struct pci_host *host;
	uint8_t devfn; /* slot << 3 | function */
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];   /* bits the guest may change */
	uint8_t w1cmask[PCI_CFG_SIZE]; /* bits the guest clears by writing 1 */
	uint64_t bar_size[PCI_NUM_BARS]; /* 0: BAR absent */
	uint8_t next_cap; /* where pci_add_capability puts the next one */
	/*
	 * cfg (with wmask, w1cmask) and intx_level: vCPUs write configuration
	 * space while device threads raise events in it (a root port's slot
	 * status) and drive INTx, so every access takes this lock. It is
	 * taken last, before only the host's lock: the ops (config_written,
	 * reset) run without it, and a model that keeps state in cfg takes
	 * its own locks first, then this one (pci_config_read/_write and
	 * pci_set_intx take it themselves). Recursive, so that a model may
	 * use it as its own lock (the root port does).
	 */
	pthread_mutex_t cfg_lock;
	bool intx_level;    /* what the model asks for */
	bool intx_asserted; /* what it contributes to the shared line */
	/* The hierarchy: root ports (bridges) on bus 0, each with at most one
	 * device below (device 0 of its secondary bus, a PCIe link). */
	bool is_bridge;
	struct pci_function *parent; /* the port above; NULL on bus 0 */
	struct pci_function *child;  /* a port's device; NULL when empty */
	unsigned int busy; /* accesses in flight (under the host lock) */
};

/* A PCI-to-PCI bridge header (type 1, class 0x0604): bus numbers and
 * forwarding windows writable (PCI-to-PCI Bridge 1.2, chapter 3). */
void pci_bridge_init(struct pci_function *fn, const char *name, uint16_t vendor,
		     uint16_t device);
/* bus << 8 | devfn: what MSIs carry and the ITS translates (msi-map). */
uint32_t pci_requester_id(const struct pci_function *fn);

/* Fill a function's header: IDs, class, INTA# if intx. */
void pci_function_init(struct pci_function *fn, const char *name,
		       uint16_t vendor, uint16_t device, uint8_t revision,
		       uint32_t class_code, uint16_t subsys_vendor,
		       uint16_t subsys_id, bool intx);
/* A memory BAR of size bytes (a power of two >= 16); 64-bit takes bar+1. */
void pci_function_add_bar(struct pci_function *fn, int bar, uint64_t size,
			  bool is64);
/* Append a capability of len bytes with id; returns its offset (0 if it
 * does not fit). The caller fills the body and sets wmask for RW fields. */
uint8_t pci_add_capability(struct pci_function *fn, uint8_t id, uint8_t len);
/* The guest-physical address of a BAR, or 0 if decoding is off or the BAR
 * is unassigned. */
uint64_t pci_bar_address(const struct pci_function *fn, int bar);
/* Drive INTx (respecting Command.InterruptDisable); updates Status.IS. */
void pci_set_intx(struct pci_function *fn, bool level);

uint32_t pci_config_read(struct pci_function *fn, uint32_t offset,
			 unsigned int size);
void pci_config_write(struct pci_function *fn, uint32_t offset,
		      unsigned int size, uint32_t value);
void pci_function_reset(struct pci_function *fn);

/*
 * A function's snapshot record: its configuration space and INTx request,
 * then the model's (ops->save). 0, or -1 when the writer failed (out of
 * memory).
 */
int pci_function_save(struct pci_function *fn, struct state_writer *w);
/*
 * Into a function freshly created with the same configuration, plugged
 * where it was (the caller re-plugs a root port's device before restoring
 * the port) and reset. Only the bits a guest may write (wmask, under the
 * same BAR size masks) or clear (w1cmask) come from the record; the rest
 * stays the model's. INTx is then driven again through the host's shared
 * line counts. 0, or -1 with sr_fail's message.
 */
int pci_function_restore(struct pci_function *fn, struct state_reader *r);

/* Message-signalled interrupts: the VMM delivers them (KVM_SIGNAL_MSI to an
 * ITS, or a GICv2m frame's SPI). */
struct msi_sink {
	/* requester id = bus << 8 | devfn; returns false if not delivered */
	bool (*send)(void *opaque, uint64_t address, uint32_t data,
		     uint32_t requester_id);
	void *opaque;
};

/* Create the host bridge at the machine's ECAM and MMIO windows. */
struct pci_host *pci_host_create(uint64_t ecam_base, uint64_t ecam_size,
				 uint64_t mmio_base, uint64_t mmio_size,
				 uint32_t intx_spi_base, struct irq_sink irq);
/* Plug fn into slot (1..31) or the first free one (slot < 0); returns the
 * slot or -1 with a message. */
int pci_host_add(struct pci_host *host, struct pci_function *fn, int slot);
void pci_host_reset(struct pci_host *host);
/* Attach child below port (under the host lock), or detach it (child
 * NULL) and wait until no access to it is in flight, so the caller may
 * then free it. */
void pci_host_set_child(struct pci_host *host, struct pci_function *port,
			struct pci_function *child);
void pci_host_destroy(struct pci_host *host);
/* The SPI a slot's INTA# reaches through the interrupt-map swizzle. */
uint32_t pci_host_intx_spi(const struct pci_host *host, uint8_t devfn,
			   uint8_t pin);
/* The configuration window (ECAM) and the memory window, for the MMIO bus. */
struct device *pci_host_ecam(struct pci_host *host);
struct device *pci_host_mmio(struct pci_host *host);
/* How the host bridge's device-tree node names the MSI controller. */
enum pci_msi_parent {
	PCI_MSI_NONE, /* no MSI controller: no property, INTx only */
	/* msi-map to phandle: a controller that tells functions apart by
	 * requester id (a GICv3 ITS) */
	PCI_MSI_MAP,
	/* msi-parent = phandle: one that does not (a GICv2m frame) */
	PCI_MSI_PARENT,
};

/*
 * Who takes the functions' MSIs, and how the host's DT node points at
 * that MSI controller (phandle). Before the guest runs: the functions
 * read it without the host lock.
 */
void pci_host_set_msi(struct pci_host *host, struct msi_sink sink,
		      enum pci_msi_parent parent, uint32_t phandle);
/* Send an MSI through the host's sink; false if it has none or the sink
 * did not deliver it. */
bool pci_host_send_msi(struct pci_host *host, uint64_t address, uint32_t data,
		       uint32_t requester_id);
/* The doorbell thread's sink, which virtio-pci functions put their queue
 * notifications on. Set before the guest runs, like the MSI sink. */
void pci_host_set_doorbells(struct pci_host *host,
			    const struct doorbell_sink *sink);
struct doorbell_sink pci_host_doorbells(const struct pci_host *host);

#endif
