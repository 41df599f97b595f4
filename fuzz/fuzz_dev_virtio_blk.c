// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: fuzz_machine.c, every operation on virtio-blk. */
#define FZ_FOCUS FZ_VIRTIO_BLK
#include "fuzz_machine.c"
