// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: fuzz_machine.c, every operation on the GICv2m frame. */
#define FZ_FOCUS FZ_GICV2M
#include "fuzz_machine.c"
