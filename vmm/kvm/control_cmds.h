/* SPDX-License-Identifier: GPL-2.0 */
/* The control socket's commands for a running VM (docs/control.md). */
#ifndef ARMVM_VMM_KVM_CONTROL_CMDS_H
#define ARMVM_VMM_KVM_CONTROL_CMDS_H

struct control_server;
struct vm;

/* Start serving path for vm; NULL after a one-line message. */
struct control_server *control_cmds_start(struct vm *vm, const char *path);

#endif
