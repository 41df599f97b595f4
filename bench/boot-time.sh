#!/usr/bin/env bash
# Benchmark: armvm's time to boot Debian's arm64 kernel to the guest's init
# and armvm's own memory use, measured inside the emulated arm64 host.
# The emulated host runs under TCG, so absolute times are far slower than on
# arm64 hardware; compare them only with each other.
#   bench/boot-time.sh [RUNS] [VCPUS] [arm64|arm]
# arm: an aarch32 guest instead (issue 6): Debian's armhf kernel (armmp-lpae
# zImage) and the 32-bit initramfs, in the same places (armvm picks the
# execution state from the kernel file).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "${3:-arm64}" = arm ]; then
	kernel=$(tests/guest/armhf kernel)
	tests/guest/mkinitramfs --arch arm "$work/guest.cpio.gz"
else
	kernel=$(tools/sandbox --print-kernel)
	tests/guest/mkinitramfs "$work/guest.cpio.gz"
fi
tools/sandbox --add "$kernel:/root/Image" --add "$work/guest.cpio.gz:/root/guest.cpio.gz" \
	--add bench/boot-time-inside.sh:/root/bench.sh -- sh /root/bench.sh "${1:-3}" "${2:-1}"
