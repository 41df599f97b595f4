/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMVM_VMM_VMM_H
#define ARMVM_VMM_VMM_H

/* Entry point of `armvm run ...`; argv[0] is "run". arm64 hosts only. */
int cmd_run(int argc, char **argv);

#endif
