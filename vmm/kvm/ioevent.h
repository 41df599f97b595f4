/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Doorbells as KVM ioeventfds (api.rst, KVM_IOEVENTFD): a guest write to a
 * doorbell completes inside KVM, which signals an eventfd; one I/O thread
 * waits on all of them and rings the device. The vCPU never leaves the
 * kernel for a virtio queue notification.
 */
#ifndef ARMVM_VMM_KVM_IOEVENT_H
#define ARMVM_VMM_KVM_IOEVENT_H

#include <stdbool.h>

struct doorbell_sink;
struct ioevents;
struct vm;

/* Start the I/O thread; NULL (after pr_err) on failure. The doorbells are
 * registered with the VM's current KVM VM (vm->vm_fd). */
struct ioevents *ioevents_create(struct vm *vm);
/* The sink the virtio transports take their doorbells from (the PCI
 * host's, and virtio-mmio's through struct vm). */
void ioevents_sink(struct ioevents *io, struct doorbell_sink *sink);
/* Snapshots: with quiesce, ring what the guest rang before it stopped and
 * hold every doorbell until called again without. The vCPUs are paused. */
void ioevents_quiesce(struct ioevents *io, bool quiesce);
/* Stop the thread; every doorbell must have been removed. */
void ioevents_destroy(struct ioevents *io);

#endif
