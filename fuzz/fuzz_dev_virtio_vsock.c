// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: fuzz_machine.c, every operation on virtio-vsock. */
#define FZ_FOCUS FZ_VIRTIO_VSOCK
#include "fuzz_machine.c"
