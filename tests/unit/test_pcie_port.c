// SPDX-License-Identifier: GPL-2.0
/* The root port's hot-plug slot (devices/pcie_port.c) driven as Linux's
 * pciehp does, through the host bridge's ECAM. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "devices/pci.h"
#include "devices/pcie_port.h"
#include "lib/util.h"
#include "tests/unit/check.h"
#include "tests/unit/state_check.h"

#define EXP	      0x40 /* the PCIe capability is the port's first */
#define SLTCTL	      (EXP + 0x18)
#define SLTSTA	      (EXP + 0x1a)
#define LNKSTA	      (EXP + 0x12)
#define ALL_EVENTS_ON 0x103b /* ABPE PFDE PDCE CCIE HPIE DLLSCE */

static bool line[4];
static int msi_count;
static uint32_t msi_rid;

static void set_level(void *o, uint32_t spi, bool level)
{
	line[spi - 3] = level;
}

static bool send_msi(void *o, uint64_t addr, uint32_t data, uint32_t rid)
{
	msi_count++;
	msi_rid = rid;
	return true;
}

static struct pci_host *host;

static uint32_t cfg_rd(int bus, int slot, uint32_t reg, int size)
{
	struct device *ecam = pci_host_ecam(host);

	return ecam->ops->mmio_read(ecam, (bus << 20) | (slot << 15) | reg,
				    size);
}

static void cfg_wr(int bus, int slot, uint32_t reg, int size, uint32_t v)
{
	struct device *ecam = pci_host_ecam(host);

	ecam->ops->mmio_write(ecam, (bus << 20) | (slot << 15) | reg, size, v);
}

static void echo_destroy(struct pci_function *fn)
{
	free(fn);
}

static const struct pci_function_ops echo_ops = {.destroy = echo_destroy};

static struct pci_function *device(void)
{
	struct pci_function *fn = calloc(1, sizeof(*fn));

	pci_function_init(fn, "dev", 0x1af4, 0x1042, 1, 0x018000, 0, 0, true);
	fn->ops = &echo_ops;
	return fn;
}

static struct pcie_port *setup(void)
{
	struct irq_sink irq = {.set_level = set_level};
	struct pcie_port *port = pcie_port_create(1);

	memset(line, 0, sizeof(line));
	msi_count = 0;
	host = pci_host_create(0x3f000000, 0x1000000, 0x10000000, 0x2eff0000, 3,
			       irq);
	pci_host_set_msi(host, (struct msi_sink){.send = send_msi},
			 PCI_MSI_NONE, 0);
	CHECK_EQ(pci_host_add(host, pcie_port_function(port), 1), 1);
	/* What enumeration and pciehp's init do. */
	cfg_wr(0, 1, PCI_SECONDARY_BUS, 1, 1);
	cfg_wr(0, 1, PCI_SUBORDINATE_BUS, 1, 1);
	cfg_wr(0, 1, SLTCTL, 2, ALL_EVENTS_ON | 0x0400 /* off */);
	cfg_wr(0, 1, SLTSTA, 2, 0xffff); /* clear all events */
	return port;
}

static void port_header_and_capability(void)
{
	setup();

	CHECK_EQ(cfg_rd(0, 1, PCI_HEADER_TYPE, 1), 1);
	CHECK_EQ(cfg_rd(0, 1, 0x0a, 2), 0x0604); /* PCI-to-PCI bridge */
	CHECK_EQ(cfg_rd(0, 1, EXP, 1), PCI_CAP_ID_EXP);
	CHECK_EQ(cfg_rd(0, 1, EXP + 2, 2) & 0xf0, 0x40); /* root port */
	CHECK(cfg_rd(0, 1, EXP + 2, 2) & 0x100);	 /* slot implemented */
	CHECK(cfg_rd(0, 1, EXP + 0x14, 4) & 0x40);	 /* hot-plug capable */
	CHECK_EQ(cfg_rd(0, 1, EXP + 0x14, 4) >> 19, 1);	 /* slot number */
	CHECK(cfg_rd(0, 1, EXP + 0x0c, 4) & (1 << 20));	 /* DLLLA reporting */
	CHECK_EQ(cfg_rd(0, 1, PCI_SECONDARY_BUS, 1), 1);
	/* An empty slot: no device on bus 1, nothing present. */
	CHECK_EQ(cfg_rd(1, 0, 0, 4), 0xffffffff);
	CHECK(!(cfg_rd(0, 1, SLTSTA, 2) & 0x40));
	pci_host_destroy(host);
}

static void command_completion(void)
{
	setup();

	cfg_wr(0, 1, SLTCTL, 2, ALL_EVENTS_ON | 0x0400 | 0x0300);
	CHECK(cfg_rd(0, 1, SLTSTA, 2) & 0x10); /* command completed */
	CHECK(line[2]);			       /* INTB# of slot 1 */
	cfg_wr(0, 1, SLTSTA, 2, 0x10);
	CHECK(!line[2]);
	pci_host_destroy(host);
}

static void hot_add(void)
{
	struct pcie_port *port = setup();
	struct pci_function *dev = device();

	CHECK_EQ(pcie_port_plug(port, dev), 0);
	CHECK(cfg_rd(0, 1, SLTSTA, 2) & 0x40); /* presence detect state */
	CHECK(cfg_rd(0, 1, SLTSTA, 2) & 0x08); /* presence detect changed */
	CHECK(cfg_rd(0, 1, SLTSTA, 2) & 0x01); /* button: power me on */
	/* The port (slot 1) signals on INTB#: line 2, not its device's. */
	CHECK_EQ(cfg_rd(0, 1, PCI_INTERRUPT_PIN, 1), 2);
	CHECK(line[2]);
	CHECK(!line[1]);
	CHECK(!(cfg_rd(0, 1, LNKSTA, 2) & 0x2000)); /* powered off: no link */
	cfg_wr(0, 1, SLTSTA, 2, 0xffff);
	cfg_wr(0, 1, SLTCTL, 2, ALL_EVENTS_ON);	 /* power on */
	CHECK(cfg_rd(0, 1, LNKSTA, 2) & 0x2000); /* link up */
	CHECK(cfg_rd(0, 1, SLTSTA, 2) & 0x100);	 /* link state changed */
	/* The device answers on the port's secondary bus, as device 0. */
	CHECK_EQ(cfg_rd(1, 0, 0, 4), 0x10421af4);
	CHECK_EQ(cfg_rd(1, 1, 0, 4), 0xffffffff);
	CHECK_EQ(pci_requester_id(dev), 1 << 8);
	/* Its INTA# swizzles through the port (slot 1): line 1, which the
	 * port's own events do not use. */
	cfg_wr(0, 1, SLTSTA, 2, 0xffff);
	CHECK(!line[1]);
	CHECK(!line[2]);
	pci_set_intx(dev, true);
	CHECK(line[1]);
	CHECK(!line[2]);
	pci_set_intx(dev, false);
	/* A second device does not fit. */
	struct pci_function *other = device();
	CHECK(pcie_port_plug(port, other) < 0);
	free(other);
	pci_host_destroy(host); /* frees the port and its device */
}

static void *guest_releases(void *arg)
{
	/* pciehp: wait for the attention button, power the slot off. */
	for (int i = 0; i < 2000; i++) {
		if (cfg_rd(0, 1, SLTSTA, 2) & 0x01) {
			cfg_wr(0, 1, SLTSTA, 2, 0x01);
			cfg_wr(0, 1, SLTCTL, 2, ALL_EVENTS_ON | 0x0400);
			return NULL;
		}
		usleep(1000);
	}
	return NULL;
}

static void orderly_removal(void)
{
	struct pcie_port *port = setup();
	struct pci_function *dev = device(), *removed = NULL;
	pthread_t guest;

	pcie_port_plug(port, dev);
	cfg_wr(0, 1, SLTCTL, 2, ALL_EVENTS_ON);
	cfg_wr(0, 1, SLTSTA, 2, 0xffff);
	pthread_create(&guest, NULL, guest_releases, NULL);
	CHECK_EQ(pcie_port_unplug(port, 5000, &removed), 0);
	pthread_join(guest, NULL);
	CHECK(removed == dev);
	CHECK(pcie_port_child(port) == NULL);
	CHECK(!(cfg_rd(0, 1, SLTSTA, 2) & 0x40)); /* empty */
	CHECK(!(cfg_rd(0, 1, LNKSTA, 2) & 0x2000));
	CHECK_EQ(cfg_rd(1, 0, 0, 4), 0xffffffff);
	CHECK(removed && removed->host == NULL); /* let go of the host */
	free(removed);
	/* The slot takes a new device. */
	CHECK_EQ(pcie_port_plug(port, device()), 0);
	pci_host_destroy(host);
}

static void removal_timeout_then_late_release(void)
{
	struct pcie_port *port = setup();
	struct pci_function *dev = device(), *removed = NULL;

	pcie_port_plug(port, dev);
	cfg_wr(0, 1, SLTCTL, 2, ALL_EVENTS_ON);
	/* The guest ignores the button. */
	CHECK_EQ(pcie_port_unplug(port, 50, &removed), -2);
	CHECK(removed == NULL);
	CHECK(pcie_port_child(port) == dev);
	CHECK(pcie_port_unplug_pending(port));
	CHECK(pcie_port_reap(port) == NULL);
	/* Later it does power the slot off: the device goes then. */
	cfg_wr(0, 1, SLTCTL, 2, ALL_EVENTS_ON | 0x0400);
	CHECK(pcie_port_child(port) == NULL);
	removed = pcie_port_reap(port);
	CHECK(removed == dev);
	free(removed);
	/* Removing from an empty slot is refused. */
	CHECK_EQ(pcie_port_unplug(port, 10, &removed), -1);
	pci_host_destroy(host);
}

static void events_by_msi(void)
{
	struct pcie_port *port = setup();

	/* After the PCIe capability: EDK2's resource hint, then MSI. */
	uint8_t hint = cfg_rd(0, 1, EXP + 1, 1);
	CHECK_EQ(cfg_rd(0, 1, hint, 1), PCI_CAP_ID_VNDR);
	CHECK_EQ(cfg_rd(0, 1, hint + 2, 1), 32);
	CHECK_EQ(cfg_rd(0, 1, hint + 8, 4), 0); /* no I/O padding */
	uint8_t msi = cfg_rd(0, 1, hint + 1, 1);
	CHECK_EQ(cfg_rd(0, 1, msi, 1), PCI_CAP_ID_MSI);
	cfg_wr(0, 1, msi + 4, 4, 0x08090040);
	cfg_wr(0, 1, msi + 0xc, 2, 7);
	cfg_wr(0, 1, msi + 2, 2, 1); /* enable */
	pcie_port_plug(port, device());
	CHECK_EQ(msi_count, 1);
	CHECK_EQ(msi_rid, 1 << 3); /* the port: bus 0, slot 1 */
	CHECK(!line[2]);	   /* no INTx while MSI is on */
	pci_host_destroy(host);
}

/*
 * A vCPU clearing one slot event (RW1C) while another's Slot Control write
 * raises Command Completed (issue 10): the read-modify-write of the status
 * register must not lose the other's bit.
 */
#define EVENT_RACE_ROUNDS 100000
static volatile int lost_events;

static void *clear_abp(void *arg)
{
	for (int i = 0; i < EVENT_RACE_ROUNDS; i++)
		cfg_wr(0, 1, SLTSTA, 2, 0x0001 /* ABP */);
	return NULL;
}

static void *command_and_check(void *arg)
{
	for (int i = 0; i < EVENT_RACE_ROUNDS; i++) {
		cfg_wr(0, 1, SLTCTL, 2, ALL_EVENTS_ON | 0x0400);
		if (!(cfg_rd(0, 1, SLTSTA, 2) & 0x0010 /* CC */))
			lost_events++;
		cfg_wr(0, 1, SLTSTA, 2, 0x0010);
	}
	return NULL;
}

static void slot_events_not_lost(void)
{
	struct pcie_port *port = setup();
	pthread_t a, b;

	lost_events = 0;
	pthread_create(&a, NULL, clear_abp, NULL);
	pthread_create(&b, NULL, command_and_check, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	CHECK_EQ(lost_events, 0);
	(void)port;
	pci_host_destroy(host);
}

/* Snapshots (issue 13): a port, with a device plugged by the caller
 * before the restore (pp_make_plugged) or none. */
static void *pp_make(bool plugged)
{
	struct irq_sink irq = {.set_level = set_level};
	struct pcie_port *port = pcie_port_create(1);

	memset(line, 0, sizeof(line));
	host = pci_host_create(0x3f000000, 0x1000000, 0x10000000, 0x2eff0000, 3,
			       irq);
	pci_host_set_msi(host, (struct msi_sink){.send = send_msi},
			 PCI_MSI_NONE, 0);
	pci_host_add(host, pcie_port_function(port), 1);
	if (plugged)
		pcie_port_plug(port, device());
	return port;
}

static void *pp_make_plugged(void)
{
	return pp_make(true);
}

static void *pp_make_empty(void)
{
	return pp_make(false);
}

static void pp_destroy(void *obj)
{
	pci_host_destroy(pcie_port_function(obj)->host);
}

static void pp_save(void *obj, struct state_writer *w)
{
	struct pci_function *child = pcie_port_child(obj);

	CHECK_EQ(pci_function_save(pcie_port_function(obj), w), 0);
	if (child)
		CHECK_EQ(pci_function_save(child, w), 0);
}

static int pp_restore(void *obj, struct state_reader *r)
{
	struct pci_function *child = pcie_port_child(obj);

	if (pci_function_restore(pcie_port_function(obj), r))
		return -1;
	return child ? pci_function_restore(child, r) : 0;
}

static const struct state_model pp_plugged = {
    .make = pp_make_plugged,
    .destroy = pp_destroy,
    .save = pp_save,
    .restore = pp_restore,
};

static const struct state_model pp_empty = {
    .make = pp_make_empty,
    .destroy = pp_destroy,
    .save = pp_save,
    .restore = pp_restore,
};

/*
 * A powered slot with its link up, events pending on INTB#, the device's
 * INTA# asserted and a removal pending: all of it comes back, and the
 * guest's power-off then completes the removal.
 */
static void snapshot_round_trip(void)
{
	struct pcie_port *port = setup(), *p2;
	struct pci_function *removed = NULL;
	struct state_writer w;
	struct state_reader r;

	CHECK_EQ(pcie_port_plug(port, device()), 0);
	cfg_wr(0, 1, SLTCTL, 2, ALL_EVENTS_ON); /* power on */
	pci_set_intx(pcie_port_child(port), true);
	CHECK_EQ(pcie_port_unplug(port, 0, &removed), -2);
	CHECK(line[1] && line[2]);
	state_save(&pp_plugged, port, &w);
	pci_host_destroy(host);

	p2 = state_roundtrip(&pp_plugged, &w);
	CHECK(p2 != NULL);
	if (p2) {
		CHECK(line[1]); /* the device's INTA# */
		CHECK(line[2]); /* the port's events */
		CHECK(pcie_port_unplug_pending(p2));
		CHECK(cfg_rd(0, 1, SLTSTA, 2) & 0x40);	 /* present */
		CHECK(cfg_rd(0, 1, SLTSTA, 2) & 0x01);	 /* button pressed */
		CHECK(cfg_rd(0, 1, LNKSTA, 2) & 0x2000); /* link up */
		CHECK_EQ(cfg_rd(1, 0, 0, 4), 0x10421af4);
		/* The guest lets go: power off, and the device is released. */
		cfg_wr(0, 1, SLTCTL, 2, ALL_EVENTS_ON | 0x0400);
		removed = pcie_port_reap(p2);
		CHECK(removed != NULL);
		CHECK(!line[1]);
		if (removed)
			removed->ops->destroy(removed);
		pp_destroy(p2);
	}
	state_prefixes_fail(&pp_plugged, &w);
	/* The record has a device, the slot is empty. */
	p2 = pp_make_empty();
	CHECK_EQ(state_restore(&pp_empty, p2, w.buf, w.len, &r), -1);
	CHECK(strstr(r.why, "the slot is empty"));
	pp_destroy(p2);
	state_corrupt_fails(&pp_plugged, &w, PCI_CFG_SIZE, 1, 2, "flag");
	state_corrupt_fails(&pp_plugged, &w, PCI_CFG_SIZE + 2, 1, 7, "flag");
	sw_free(&w);
}

int main(void)
{
	check_suite = "pcie_port";
	RUN(port_header_and_capability);
	RUN(command_completion);
	RUN(hot_add);
	RUN(orderly_removal);
	RUN(removal_timeout_then_late_release);
	RUN(events_by_msi);
	RUN(slot_events_not_lost);
	RUN(snapshot_round_trip);
	return check_main_end();
}
