#!/usr/bin/env bash
# Benchmark (issue 13): live migration of a busy guest between two armvm
# processes and between two QEMU processes (Debian's arm64
# qemu-system-aarch64 -M virt -enable-kvm), side by side in one run of the
# emulated arm64 KVM host (tools/sandbox, GICv3). Both move the same guest
# (Debian's arm64 kernel and the test initramfs booted directly, 2 vCPUs,
# 512 MiB, one virtio-blk disk) while it copies an 8 MiB file in its memory
# five times a second, over TCP on the host's loopback, with the same
# downtime budget (300 ms, QEMU's default) and no bandwidth limit (QEMU's
# max-bandwidth raised from its default 128 MiB/s). Reports total time,
# downtime and bytes sent, with min/median/max and armvm/QEMU ratios, and
# checks the guest's memory after each migration (the copy is still the
# original). bench/migrate-inside.sh does the measuring.
#
#   bench/migrate.sh [RUNS]        (default 3 rounds of each VMM)
#
# The sandbox host is emulated (TCG): compare the VMMs only with each other.
# Environment: BENCH_QEMU_CPU (QEMU's -cpu), ARMVM_BIN (as for tools/sandbox).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tests/guest/mkinitramfs "$work/guest.cpio.gz"
kernel=$(tools/sandbox --print-kernel)
bench/qemu-arm64-rootfs.sh "$work/qemu"
envs=()
[ -z "${BENCH_QEMU_CPU:-}" ] || envs+=(--env "BENCH_QEMU_CPU=$BENCH_QEMU_CPU")
echo "# source tree: commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- vmm devices virtio lib main.c || echo ', with local changes to armvm')"
tools/sandbox --gic 3 --cpus 2 --memory 6G --timeout $((600 + runs * 600)) \
	--add "$kernel:/root/Image" --add "$work/guest.cpio.gz:/root/guest.cpio.gz" \
	--add "$work/qemu:/opt/qemu" --add tests/sandbox/lib.sh:/root/lib.sh \
	--add bench/migrate-inside.sh:/root/bench.sh ${envs[@]+"${envs[@]}"} -- sh /root/bench.sh "$runs"
