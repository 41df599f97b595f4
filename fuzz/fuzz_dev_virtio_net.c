// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: fuzz_machine.c, every operation on virtio-net. */
#define FZ_FOCUS FZ_VIRTIO_NET
#include "fuzz_machine.c"
