#!/usr/bin/env bash
# Seeds for fuzz_machine: the virtio-mmio drivers of
# fuzz_dev_virtio_mmio.seed.sh, aimed at the whole machine's regions, where
# virtio-mmio slot 0 (virtio-blk) is region 18 and slot 1 (virtio-rng) 19
# (fuzz_machine.c: the platform devices, the PCI host, the two root ports,
# five virtio-pci functions and virtio-vsock's, two regions each, come
# first). Were the regions to move, the seeds would still be inputs, only
# less useful ones.
set -e
exec "$(dirname "$0")/fuzz_dev_virtio_mmio.seed.sh" "$1" 18
