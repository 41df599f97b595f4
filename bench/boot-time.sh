#!/usr/bin/env bash
# Benchmark: armvm's time to boot Debian's arm64 kernel to the guest's init
# and armvm's own memory use, measured inside the emulated arm64 host.
# The emulated host runs under TCG, so absolute times are far slower than on
# arm64 hardware; compare them only with each other.
#   bench/boot-time.sh [RUNS] [VCPUS]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kernel=$(tools/sandbox --print-kernel)
tests/guest/mkinitramfs "$work/guest.cpio.gz"
tools/sandbox --add "$kernel:/root/Image" --add "$work/guest.cpio.gz:/root/guest.cpio.gz" \
	--add bench/boot-time-inside.sh:/root/bench.sh -- sh /root/bench.sh "${1:-3}" "${2:-1}"
