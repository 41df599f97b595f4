// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/pci.h"
#include "devices/pcie_port.h"
#include "lib/util.h"

/* PCIe capability registers (PCIe Base 4.0, 7.5.3), offsets in the cap. */
#define EXP_FLAGS  0x02
#define EXP_LNKCAP 0x0c
#define EXP_LNKSTA 0x12
#define EXP_SLTCAP 0x14
#define EXP_SLTCTL 0x18
#define EXP_SLTSTA 0x1a
#define EXP_RTCTL  0x1c
#define EXP_RTSTA  0x20
#define EXP_SIZE   0x3c

#define FLAGS_V2_ROOT_PORT_SLOT (2 | 4 << 4 | 1 << 8)
#define LNKCAP_X1_2_5GT		(1 | 1 << 4)
#define LNKCAP_DLLLARC		(1u << 20) /* link active reporting capable */
#define LNKSTA_X1_2_5GT		(1 | 1 << 4)
#define LNKSTA_DLLLA		0x2000

/* Slot Capabilities: attention button, power controller, attention and
 * power indicators, hot-plug capable; command completion is reported
 * (No Command Completed Support = 0). */
#define SLTCAP_BITS (0x01 | 0x02 | 0x08 | 0x10 | 0x40)

/* Slot Control / Slot Status (7.5.3.10, 7.5.3.11). */
#define SLTCTL_ABPE    0x0001
#define SLTCTL_PFDE    0x0002
#define SLTCTL_MRLSCE  0x0004
#define SLTCTL_PDCE    0x0008
#define SLTCTL_CCIE    0x0010
#define SLTCTL_HPIE    0x0020
#define SLTCTL_AIC_OFF 0x00c0
#define SLTCTL_PIC_ON  0x0100
#define SLTCTL_PIC_OFF 0x0300
#define SLTCTL_PCC     0x0400 /* 1: power off */
#define SLTCTL_DLLSCE  0x1000
#define SLTSTA_ABP     0x0001
#define SLTSTA_PFD     0x0002
#define SLTSTA_MRLSC   0x0004
#define SLTSTA_PDC     0x0008
#define SLTSTA_CC      0x0010
#define SLTSTA_PDS     0x0040
#define SLTSTA_DLLSC   0x0100
#define SLTSTA_EVENTS  0x019f /* the RW1C event bits */

/* MSI capability, 64-bit (6.8.1). */
#define MSI_FLAGS	 0x02
#define MSI_ADDR_LO	 0x04
#define MSI_ADDR_HI	 0x08
#define MSI_DATA	 0x0c
#define MSI_SIZE	 0x0e
#define MSI_FLAGS_ENABLE 0x0001
#define MSI_FLAGS_64BIT	 0x0080

/*
 * The resource-reservation hint (a vendor-specific capability on bridges
 * with vendor id 0x1b36, QEMU docs/pcie_pci_bridge.txt), as EDK2's
 * PciHotPlugInitDxe reads it: without it the firmware pads every hot-plug
 * bridge with 512 bytes of I/O space, and with no I/O aperture on our host
 * bridge the allocation fails for the whole root bridge (no boot disk).
 * Layout: vendor header (id, next, length 32), type 1, bus numbers (u32),
 * I/O (u64), 32-bit MMIO (u32), prefetchable 32-bit (u32), 64-bit (u64).
 */
#define HINT_LEN		       32
#define HINT_TYPE_RESOURCE_RESERVATION 1
#define HINT_MMIO		       (2u << 20) /* what Linux reserves too (hpmemsize) */

/* A generic PCIe root port id that guests know; pcieport binds by class. */
#define PORT_VENDOR 0x1b36
#define PORT_DEVICE 0x000c

struct pcie_port {
	struct pci_function fn;
	/* fn.cfg_lock guards the slot state below and the slot registers. */
	pthread_cond_t released; /* the guest powered off a slot to remove */
	uint8_t exp, msi;	 /* capability offsets */
	unsigned int slot_number;
	bool unplug_requested;
	struct pci_function *released_child; /* detached, not yet collected */
};

static struct pcie_port *to_port(struct pci_function *fn)
{
	return (struct pcie_port *)fn;
}

static uint16_t rd16(struct pcie_port *p, uint8_t off)
{
	return get_le16(p->fn.cfg + off);
}

static void wr16(struct pcie_port *p, uint8_t off, uint16_t v)
{
	put_le16(p->fn.cfg + off, v);
}

/* The status bits whose events the guest asked to be interrupted for. */
static uint16_t enabled_events(uint16_t ctl)
{
	uint16_t m = 0;

	if (!(ctl & SLTCTL_HPIE))
		return 0;
	if (ctl & SLTCTL_ABPE)
		m |= SLTSTA_ABP;
	if (ctl & SLTCTL_PFDE)
		m |= SLTSTA_PFD;
	if (ctl & SLTCTL_MRLSCE)
		m |= SLTSTA_MRLSC;
	if (ctl & SLTCTL_PDCE)
		m |= SLTSTA_PDC;
	if (ctl & SLTCTL_CCIE)
		m |= SLTSTA_CC;
	if (ctl & SLTCTL_DLLSCE)
		m |= SLTSTA_DLLSC;
	return m;
}

static bool msi_enabled(struct pcie_port *p)
{
	return rd16(p, p->msi + MSI_FLAGS) & MSI_FLAGS_ENABLE;
}

/* INTA# follows pending enabled events while MSI is off (lock held). */
static void update_intx(struct pcie_port *p)
{
	uint16_t sta = rd16(p, p->exp + EXP_SLTSTA);
	uint16_t ctl = rd16(p, p->exp + EXP_SLTCTL);

	pci_set_intx(&p->fn, !msi_enabled(p) && (sta & enabled_events(ctl)));
}

/* Set event bits; a newly set enabled event interrupts (lock held). */
static void slot_event(struct pcie_port *p, uint16_t events)
{
	uint16_t sta = rd16(p, p->exp + EXP_SLTSTA);
	uint16_t ctl = rd16(p, p->exp + EXP_SLTCTL);
	uint16_t fresh = events & ~sta & enabled_events(ctl);
	struct pci_host *host = p->fn.host;

	wr16(p, p->exp + EXP_SLTSTA, sta | events);
	if (fresh && msi_enabled(p) && host) {
		uint64_t addr =
		    get_le32(p->fn.cfg + p->msi + MSI_ADDR_LO) |
		    (uint64_t)get_le32(p->fn.cfg + p->msi + MSI_ADDR_HI) << 32;

		pci_host_send_msi(host, addr, rd16(p, p->msi + MSI_DATA),
				  pci_requester_id(&p->fn));
	}
	update_intx(p);
}

static bool powered(struct pcie_port *p)
{
	return !(rd16(p, p->exp + EXP_SLTCTL) & SLTCTL_PCC);
}

/* The link is up while a device is present and the slot powered; each
 * change is a Data Link Layer State Changed event (lock held). */
static void update_link(struct pcie_port *p)
{
	uint16_t sta = rd16(p, p->exp + EXP_LNKSTA);
	bool up = p->fn.child && powered(p);

	if (up == !!(sta & LNKSTA_DLLLA))
		return;
	wr16(p, p->exp + EXP_LNKSTA,
	     up ? sta | LNKSTA_DLLLA : sta & ~LNKSTA_DLLLA);
	slot_event(p, SLTSTA_DLLSC);
}

/* Presence changes, with any other events raised at the same moment: one
 * interrupt for all of them. */
static void set_presence(struct pcie_port *p, bool present, uint16_t events)
{
	uint16_t sta = rd16(p, p->exp + EXP_SLTSTA);

	wr16(p, p->exp + EXP_SLTSTA,
	     present ? sta | SLTSTA_PDS : sta & ~SLTSTA_PDS);
	slot_event(p, SLTSTA_PDC | events);
}

/* The guest released the slot: detach its device (lock held). */
static void release_child(struct pcie_port *p)
{
	struct pci_function *child = p->fn.child;

	pci_host_set_child(p->fn.host, &p->fn, NULL);
	p->released_child = child;
	p->unplug_requested = false;
	update_link(p);
	set_presence(p, false, 0);
	pthread_cond_broadcast(&p->released);
}

static void port_config_written(struct pci_function *fn, uint32_t offset,
				unsigned int size)
{
	struct pcie_port *p = to_port(fn);
	uint32_t ctl = p->exp + EXP_SLTCTL;

	pthread_mutex_lock(&p->fn.cfg_lock);
	if (offset < ctl + 2 && offset + size > ctl) {
		/* Every write of Slot Control is a command; it completes
		 * at once (6.7.3.2). */
		update_link(p);
		if (p->fn.child && !powered(p) && p->unplug_requested)
			release_child(p);
		slot_event(p, SLTSTA_CC);
	}
	/* Events cleared (RW1C) or MSI switched: recompute INTA#. */
	update_intx(p);
	pthread_mutex_unlock(&p->fn.cfg_lock);
}

static void port_reset(struct pci_function *fn)
{
	struct pcie_port *p = to_port(fn);

	pthread_mutex_lock(&p->fn.cfg_lock);
	/* A removal the guest never finished completes at reset, when no
	 * driver can be using the device any more. */
	if (p->fn.child && p->unplug_requested)
		release_child(p);
	wr16(p, p->exp + EXP_SLTSTA, p->fn.child ? SLTSTA_PDS : 0);
	wr16(p, p->exp + EXP_SLTCTL,
	     p->fn.child ? SLTCTL_AIC_OFF | SLTCTL_PIC_ON
			 : SLTCTL_AIC_OFF | SLTCTL_PIC_OFF | SLTCTL_PCC);
	wr16(p, p->exp + EXP_LNKSTA,
	     LNKSTA_X1_2_5GT | (p->fn.child ? LNKSTA_DLLLA : 0));
	wr16(p, p->msi + MSI_FLAGS, MSI_FLAGS_64BIT);
	pthread_mutex_unlock(&p->fn.cfg_lock);
}

static void port_destroy(struct pci_function *fn)
{
	struct pcie_port *p = to_port(fn);

	if (p->released_child && p->released_child->ops->destroy)
		p->released_child->ops->destroy(p->released_child);
	pthread_cond_destroy(&p->released);
	free(p);
}

/*
 * Record (docs/snapshot.md), after the configuration space (Slot Control
 * with its indicators and power, the RW1C Slot Status events, MSI): whether
 * the slot holds a device and whether the host asked for its removal
 * (the attention button pressed, the guest not done yet). A device the
 * guest released but the host has not collected is no longer the slot's.
 */
static void port_save(struct pci_function *fn, struct state_writer *w)
{
	struct pcie_port *p = to_port(fn);

	pthread_mutex_lock(&p->fn.cfg_lock);
	sw_bool(w, p->fn.child != NULL);
	sw_bool(w, p->unplug_requested);
	pthread_mutex_unlock(&p->fn.cfg_lock);
}

static int port_restore(struct pci_function *fn, struct state_reader *r)
{
	struct pcie_port *p = to_port(fn);
	bool present = sr_bool(r), unplug = sr_bool(r);
	uint16_t sta, lnk;

	pthread_mutex_lock(&p->fn.cfg_lock);
	if (!r->failed && present != (p->fn.child != NULL))
		sr_fail(r, "%s %u: the record has %s device, the slot %s",
			p->fn.name, p->slot_number, present ? "a" : "no",
			p->fn.child ? "has one" : "is empty");
	if (!r->failed && unplug && !present)
		sr_fail(r, "%s %u: a removal pending on an empty slot",
			p->fn.name, p->slot_number);
	if (r->failed) {
		pthread_mutex_unlock(&p->fn.cfg_lock);
		return -1;
	}
	p->unplug_requested = unplug;
	/* Presence Detect State and Data Link Layer Link Active are the
	 * slot's read-only view of itself (7.5.3.11, 7.5.3.8): a device
	 * present, and the link up while it is powered. */
	sta = rd16(p, p->exp + EXP_SLTSTA);
	wr16(p, p->exp + EXP_SLTSTA,
	     present ? sta | SLTSTA_PDS : sta & ~SLTSTA_PDS);
	lnk = rd16(p, p->exp + EXP_LNKSTA);
	wr16(p, p->exp + EXP_LNKSTA,
	     present && powered(p) ? lnk | LNKSTA_DLLLA : lnk & ~LNKSTA_DLLLA);
	update_intx(p);
	pthread_mutex_unlock(&p->fn.cfg_lock);
	return 0;
}

static const struct pci_function_ops port_ops = {
    .config_written = port_config_written,
    .reset = port_reset,
    .destroy = port_destroy,
    .save = port_save,
    .restore = port_restore,
};

struct pcie_port *pcie_port_create(unsigned int slot_number)
{
	struct pcie_port *p = calloc(1, sizeof(*p));
	struct pci_function *fn;
	pthread_condattr_t attr;

	if (!p)
		return NULL;
	fn = &p->fn;
	pci_bridge_init(fn, "pcie-root-port", PORT_VENDOR, PORT_DEVICE);
	/*
	 * The port's own events come on INTB#, not INTA#. The device in its
	 * slot (device 0 on the secondary bus) reaches the host on the
	 * port's INTA# (the bridge swizzle), so with INTA# the two shared
	 * one line. Without MSI (a GICv2 host: no ITS) Linux then hung at
	 * every hot-unplug: pciehp removes the device from the port's
	 * interrupt thread, and virtio-pci's reset waits in synchronize_irq()
	 * for that line's threads, its own caller among them. Interrupt Pin
	 * is the function's to choose (PCI Local Bus 3.0, 6.2.4).
	 */
	fn->cfg[PCI_INTERRUPT_PIN] = 2;
	fn->ops = &port_ops;
	p->slot_number = slot_number;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->released, &attr);
	pthread_condattr_destroy(&attr);

	p->exp = pci_add_capability(fn, PCI_CAP_ID_EXP, EXP_SIZE);
	put_le16(fn->cfg + p->exp + EXP_FLAGS, FLAGS_V2_ROOT_PORT_SLOT);
	put_le32(fn->cfg + p->exp + EXP_LNKCAP,
		 LNKCAP_X1_2_5GT | LNKCAP_DLLLARC | (slot_number & 0xff) << 24);
	put_le32(fn->cfg + p->exp + EXP_SLTCAP,
		 SLTCAP_BITS | (slot_number & 0x1fff) << 19);
	put_le16(fn->wmask + p->exp + EXP_SLTCTL, 0x1fff);
	put_le16(fn->w1cmask + p->exp + EXP_SLTSTA, SLTSTA_EVENTS);
	put_le16(fn->wmask + p->exp + EXP_RTCTL, 0x001f);
	put_le32(fn->w1cmask + p->exp + EXP_RTSTA, 1u << 16);
	/* Device Control, Link Control and their "2" versions: plain RW. */
	put_le16(fn->wmask + p->exp + 0x08, 0xffff);
	put_le16(fn->wmask + p->exp + 0x10, 0xffff);
	put_le16(fn->wmask + p->exp + 0x28, 0xffff);
	put_le16(fn->wmask + p->exp + 0x30, 0xffff);

	{
		uint8_t hint =
		    pci_add_capability(fn, PCI_CAP_ID_VNDR, HINT_LEN);

		fn->cfg[hint + 2] = HINT_LEN;
		fn->cfg[hint + 3] = HINT_TYPE_RESOURCE_RESERVATION;
		put_le32(fn->cfg + hint + 4, 0); /* no extra bus numbers */
		put_le64(fn->cfg + hint + 8, 0); /* no I/O */
		put_le32(fn->cfg + hint + 16, HINT_MMIO);
		put_le32(fn->cfg + hint + 20, 0); /* no prefetchable */
		put_le64(fn->cfg + hint + 24, 0);
	}
	p->msi = pci_add_capability(fn, PCI_CAP_ID_MSI, MSI_SIZE);
	put_le16(fn->wmask + p->msi + MSI_FLAGS, MSI_FLAGS_ENABLE | 0x70);
	put_le32(fn->wmask + p->msi + MSI_ADDR_LO, 0xfffffffc);
	put_le32(fn->wmask + p->msi + MSI_ADDR_HI, 0xffffffff);
	put_le16(fn->wmask + p->msi + MSI_DATA, 0xffff);
	port_reset(fn);
	return p;
}

struct pci_function *pcie_port_function(struct pcie_port *port)
{
	return &port->fn;
}

int pcie_port_plug(struct pcie_port *p, struct pci_function *child)
{
	pthread_mutex_lock(&p->fn.cfg_lock);
	if (p->fn.child || p->released_child) {
		pthread_mutex_unlock(&p->fn.cfg_lock);
		return -1;
	}
	pci_host_set_child(p->fn.host, &p->fn, child);
	/* A powered-off slot gets a press of its attention button: with a
	 * button present, Linux's pciehp listens for presses and link
	 * changes, not for presence; a press on an empty-then-filled slot
	 * makes it power the slot on (after its 5 s grace period), and the
	 * link then comes up. A slot still powered gets its link at once. */
	set_presence(p, true, powered(p) ? 0 : SLTSTA_ABP);
	update_link(p);
	pthread_mutex_unlock(&p->fn.cfg_lock);
	return 0;
}

int pcie_port_unplug(struct pcie_port *p, int timeout_ms,
		     struct pci_function **removed)
{
	struct timespec deadline;
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&p->fn.cfg_lock);
	if (!p->fn.child) {
		pthread_mutex_unlock(&p->fn.cfg_lock);
		return -1;
	}
	if (!p->unplug_requested) {
		p->unplug_requested = true;
		/* Press the attention button: the guest waits 5 s (a second
		 * press would cancel), then powers the slot off. */
		slot_event(p, SLTSTA_ABP);
	}
	/* A slot the guest already powered off: release at once. */
	if (!powered(p))
		release_child(p);
	while (!p->released_child && ret != ETIMEDOUT)
		ret = pthread_cond_timedwait(&p->released, &p->fn.cfg_lock,
					     &deadline);
	*removed = p->released_child;
	p->released_child = NULL;
	pthread_mutex_unlock(&p->fn.cfg_lock);
	return *removed ? 0 : -2;
}

struct pci_function *pcie_port_reap(struct pcie_port *p)
{
	struct pci_function *child;

	pthread_mutex_lock(&p->fn.cfg_lock);
	child = p->released_child;
	p->released_child = NULL;
	pthread_mutex_unlock(&p->fn.cfg_lock);
	return child;
}

struct pci_function *pcie_port_child(struct pcie_port *p)
{
	struct pci_function *child;

	pthread_mutex_lock(&p->fn.cfg_lock);
	child = p->fn.child;
	pthread_mutex_unlock(&p->fn.cfg_lock);
	return child;
}

bool pcie_port_unplug_pending(struct pcie_port *p)
{
	bool pending;

	pthread_mutex_lock(&p->fn.cfg_lock);
	pending = p->unplug_requested;
	pthread_mutex_unlock(&p->fn.cfg_lock);
	return pending;
}
