// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: fuzz_machine.c, every operation on pl011. */
#define FZ_FOCUS FZ_PL011
#include "fuzz_machine.c"
