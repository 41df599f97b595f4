// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: fuzz_machine.c, every operation on pcie-port. */
#define FZ_FOCUS FZ_PCIE_PORT
#include "fuzz_machine.c"
