// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: fuzz_machine.c, every operation on the virtio-mmio
 * transports (virtio-blk in slot 0, virtio-rng in slot 1). */
#define FZ_FOCUS FZ_VIRTIO_MMIO
#include "fuzz_machine.c"
