/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel GIC's state for snapshots (issue 13): the distributor, each
 * vCPU's redistributor or banked registers and CPU interface, the input
 * line levels, and the GICv3 ITS, through KVM's device attributes
 * (Documentation/virt/kvm/devices/arm-vgic.rst, arm-vgic-v3.rst,
 * arm-vgic-its.rst).
 */
#ifndef ARMVM_VMM_KVM_GIC_STATE_H
#define ARMVM_VMM_KVM_GIC_STATE_H

#include "lib/state.h"

struct vm;

/*
 * Append the GIC's state to w, every vCPU stopped. With an ITS, its tables
 * and the LPI pending bits are first written into guest RAM (where the
 * guest's driver placed them), so RAM is saved after this. 0, or -1 after
 * a message.
 */
int gic_save(struct vm *vm, struct state_writer *w);
/*
 * Put it back into this boot's GIC and ITS, created and initialised, the
 * vCPUs made, guest RAM loaded (the ITS reads its tables from it), in the
 * order arm-vgic-its.rst requires. 0, or -1 after a message naming the
 * register this host's KVM refused.
 */
int gic_restore(struct vm *vm, struct state_reader *r);

#endif
