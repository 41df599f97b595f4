/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Snapshot and restore of a running VM (issue 13, docs/snapshot.md): the
 * KVM side (vCPU registers and power state, the GIC) joined with the
 * machine's (vmm/platform.c) and written as a snapshot directory
 * (vmm/snapshot.c).
 */
#ifndef ARMVM_VMM_KVM_SNAPSHOT_H
#define ARMVM_VMM_KVM_SNAPSHOT_H

#include <stdbool.h>

struct snapshot;
struct vm;

/*
 * Write the VM into dir (new, or an empty directory). The VM is paused for
 * it and resumed afterwards, unless it was paused before or stay_paused.
 * From the control thread. 0, or -1 after a one-line message; the VM runs
 * on either way (paused as asked).
 */
int vm_snapshot(struct vm *vm, const char *dir, bool stay_paused);

struct state_writer;
/* The snapshot's body (vmm/snapshot.h's sections) of a VM paused, with
 * its snapshot_lock held and its devices quiesced (vm_snapshot, and a live
 * migration's last step). 0, or -1 after a message. */
int vm_save_state(struct vm *vm, struct state_writer *body);

struct host_caps;
/* Before the plan: this host's KVM offers the snapshot's GIC. 0, or -1
 * after a message. */
int vm_restore_check_host(const struct snapshot *s,
			  const struct host_caps *host);
/* vm_init, restoring: the plan must be the snapshot's; RAM is loaded, the
 * hot-plugged devices plugged again. 0, or -1 after a message. */
int vm_restore_prepare(struct vm *vm, struct snapshot *s);
/* The restore's boot, in place of loading a guest: vCPU registers, the
 * GIC, the devices' records. 0, or -1 after a message. */
int vm_restore_boot(struct vm *vm, struct snapshot *s);

#endif
