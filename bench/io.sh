#!/usr/bin/env bash
# Benchmark (issue 5): virtio-net and virtio-blk throughput under armvm and
# under Debian's arm64 QEMU (qemu-system-aarch64 -M virt -enable-kvm, plain
# TAP without vhost), side by side in one run of the emulated arm64 KVM host
# (tools/sandbox, GICv3). Both boot the same guest directly (Debian's arm64
# kernel and the test initramfs, 2 vCPUs, 512 MiB) on the same backends: one
# TAP interface in the sandbox host and one raw image in its tmpfs. Reports
# guest->host and host->guest TCP MB/s, sequential read/write MB/s and random
# 4 KiB read/write IOPS, with medians and armvm/QEMU ratios, and the KVM exits
# per MB or per I/O (bench/io-inside.sh does the measuring, bench/iobench.c
# is the tool that runs in the guest and the host).
#
#   bench/io.sh [RUNS]        (default 3 rounds of each VMM; about 10 minutes)
#
# The sandbox host is emulated (TCG), so absolute figures are far below what
# arm64 hardware gives; compare the VMMs only with each other.
# Environment: BENCH_SECONDS (each test's length, default 8), BENCH_VMMS
# (default "armvm qemu qemu-novnet"; "armvm-noseccomp" is armvm with
# --seccomp off, to measure what the filters cost), BENCH_TESTS (default "tx rx seqw seqr
# randr randw"), BENCH_QEMU_CPU (QEMU's -cpu),
# ARMVM_BIN (as for tools/sandbox).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
secs=${BENCH_SECONDS:-8}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The measuring tool, static, for the host and the guest.
aarch64-linux-gnu-gcc -static -O2 -Wall -o "$work/iobench" bench/iobench.c
# The guest: the test initramfs, with iobench added as a second cpio archive
# appended to it (the kernel unpacks them one after the other).
tests/guest/mkinitramfs "$work/guest.cpio.gz"
mkdir -p "$work/extra/bin"
cp "$work/iobench" "$work/extra/bin/iobench"
(cd "$work/extra" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -9n) >>"$work/guest.cpio.gz"
kernel=$(tools/sandbox --print-kernel)
bench/qemu-arm64-rootfs.sh "$work/qemu"

envs=(--env "BENCH_SECONDS=$secs")
for v in BENCH_VMMS BENCH_TESTS BENCH_QEMU_CPU; do
	[ -z "${!v:-}" ] || envs+=(--env "$v=${!v}")
done
# (armvm --version names the commit its main.c was last compiled at.)
echo "# source tree: commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- vmm devices virtio lib main.c || echo ', with local changes to armvm')"
# Per run and VMM: a boot (~20 s) and six tests of $secs seconds.
tools/sandbox --gic 3 --cpus 2 --memory 6G --timeout $((600 + runs * 3 * (90 + 8 * secs))) \
	--add "$kernel:/root/Image" --add "$work/guest.cpio.gz:/root/guest.cpio.gz" \
	--add "$work/iobench:/root/iobench" --add "$work/qemu:/opt/qemu" \
	--add tests/sandbox/lib.sh:/root/lib.sh --add bench/io-inside.sh:/root/bench.sh \
	"${envs[@]}" -- sh /root/bench.sh "$runs"
