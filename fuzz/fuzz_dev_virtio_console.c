// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: fuzz_machine.c, every operation on virtio-console. */
#define FZ_FOCUS FZ_VIRTIO_CONSOLE
#include "fuzz_machine.c"
