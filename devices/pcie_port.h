/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A PCIe root port with a native hot-plug slot (PLAT-5): what Linux's
 * pciehp drives on a VM described by a device tree alone, where there is no
 * ACPI to hot-plug through. PCI Express Base 4.0: the PCIe capability
 * (7.5.3), hot-plug (6.7); MSI (6.8.1) or INTA# for its events.
 *
 * Adding a device: presence detected and the attention button pressed; the
 * guest powers the slot on, sees the link come up and enumerates. Removing one is the orderly protocol:
 * the attention button is pressed; the guest unbinds the driver and powers
 * the slot off; only then does the device go.
 */
#ifndef ARMVM_DEVICES_PCIE_PORT_H
#define ARMVM_DEVICES_PCIE_PORT_H

#include <stdbool.h>

struct pci_function;
struct pcie_port;

/* A root port whose slot has this physical slot number (1..8191). */
struct pcie_port *pcie_port_create(unsigned int slot_number);
struct pci_function *pcie_port_function(struct pcie_port *port);

/* Hot-add child (already created) into the empty slot: -1 if the slot
 * holds a device or one being removed. */
int pcie_port_plug(struct pcie_port *port, struct pci_function *child);

/*
 * Ask the guest to release the slot's device (attention button) and wait up
 * to timeout_ms for it to power the slot off. Returns 0 and the detached
 * device in *removed (the caller frees it), -1 if the slot is empty, or -2
 * on timeout: the request stays pending, and a later power-off still
 * completes it (pcie_port_reap collects the device then).
 */
int pcie_port_unplug(struct pcie_port *port, int timeout_ms,
		     struct pci_function **removed);
/* A device the guest released after its unplug timed out, or NULL. */
struct pci_function *pcie_port_reap(struct pcie_port *port);
/* The slot's device (NULL when empty), and whether a removal is pending. */
struct pci_function *pcie_port_child(struct pcie_port *port);
bool pcie_port_unplug_pending(struct pcie_port *port);

#endif
