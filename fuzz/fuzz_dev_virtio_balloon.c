// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: fuzz_machine.c, every operation on virtio-balloon. */
#define FZ_FOCUS FZ_VIRTIO_BALLOON
#include "fuzz_machine.c"
