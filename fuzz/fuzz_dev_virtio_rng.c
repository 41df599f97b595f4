// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: fuzz_machine.c, every operation on virtio-rng. */
#define FZ_FOCUS FZ_VIRTIO_RNG
#include "fuzz_machine.c"
