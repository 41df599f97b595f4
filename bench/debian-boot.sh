#!/usr/bin/env bash
# Benchmark (issue 12): a whole Debian 12 system (tests/guest/mkdebian: UEFI,
# systemd-boot, systemd, ext4 root) booted to its login prompt under armvm
# and under Debian's arm64 QEMU (-M virt,acpi=off -enable-kvm), side by side
# in one run of the emulated arm64 KVM host (tools/sandbox, GICv3), with the
# same image, the same firmware (Debian's AAVMF_CODE.fd, a fresh copy of
# AAVMF_VARS.fd for each boot), 2 vCPUs, 1 GiB, a virtio disk and user-mode
# networking each. Reports, per boot, the seconds from launch to the
# console's "login:" and the VMM's memory there: its RSS, and its own
# memory (anonymous pages outside the guest RAM mapping); medians and
# armvm/QEMU ratios (bench/debian-boot-inside.sh measures).
#
#   bench/debian-boot.sh [RUNS]      (default 2 boots of each VMM)
#
# The first image build takes most of an hour (cached afterwards). Both VMMs
# boot the same disk in turn (the sandbox's copy-on-write copy of it), in
# alternating order. The host is emulated: compare the VMMs only with each
# other.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make -s ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- armvm
make -s armvm
tests/guest/mkdebian "$work/debian.img"
bench/qemu-arm64-rootfs.sh "$work/qemu"
tools/sandbox --no-build --gic 3 --cpus 2 --memory 6G --timeout $((600 + runs * 2 * 900)) \
	--disk "$work/debian.img:debian.img" --add "$work/qemu:/opt/qemu" \
	--add bench/debian-boot-inside.sh:/root/bench.sh -- sh /root/bench.sh "$runs"
