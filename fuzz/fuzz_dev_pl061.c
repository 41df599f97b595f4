// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: fuzz_machine.c, every operation on pl061. */
#define FZ_FOCUS FZ_PL061
#include "fuzz_machine.c"
