#!/usr/bin/env bash
# Benchmark (issue 11): what armvm's per-thread seccomp filters cost on the
# boot path. Direct boots of Debian's arm64 kernel and the test initramfs
# with --seccomp kill (the default) and --seccomp off, alternating, in one
# run of the emulated arm64 KVM host (tools/sandbox). For I/O, bench/io.sh
# with BENCH_VMMS="armvm armvm-noseccomp" compares the same two.
#   bench/seccomp-cost.sh [RUNS] [VCPUS]     (default 5 boots of each, 2 vCPUs)
# The host is emulated (TCG): compare the two modes only with each other.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kernel=$(tools/sandbox --print-kernel)
tests/guest/mkinitramfs "$work/guest.cpio.gz"
tools/sandbox --timeout 3000 --add "$kernel:/root/Image" --add "$work/guest.cpio.gz:/root/guest.cpio.gz" \
	--add bench/seccomp-cost-inside.sh:/root/bench.sh -- sh /root/bench.sh "${1:-5}" "${2:-2}"
