// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: fuzz_machine.c, every operation on pl031. */
#define FZ_FOCUS FZ_PL031
#include "fuzz_machine.c"
