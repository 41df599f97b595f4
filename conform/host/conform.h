/* SPDX-License-Identifier: GPL-2.0 */
/* `armvm conform` (conform/host/conform.c, docs/conformance.md). */
#ifndef ARMVM_CONFORM_HOST_CONFORM_H
#define ARMVM_CONFORM_HOST_CONFORM_H

/* argv[0] is "conform". Returns the exit status. */
int cmd_conform(int argc, char **argv);

#endif
