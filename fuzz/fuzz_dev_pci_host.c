// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: fuzz_machine.c, every operation on pci-host. */
#define FZ_FOCUS FZ_PCI_HOST
#include "fuzz_machine.c"
