#!/usr/bin/env bash
# Benchmark (issue 3): UEFI boot of a portable disk image under armvm and under
# Debian's arm64 QEMU (qemu-system-aarch64 -M virt,acpi=off -enable-kvm), side
# by side in one run of the emulated arm64 KVM host (tools/sandbox, GICv3).
# Both boot the same image (tests/guest/mkimage: GPT, FAT32 ESP, GRUB as
# \EFI\BOOT\BOOTAA64.EFI loading Debian's arm64 kernel and the test
# initramfs) with the same firmware (Debian's AAVMF_CODE.fd) and a fresh copy
# of Debian's AAVMF_VARS.fd each, 2 vCPUs and 512 MiB. Reports the time to
# GRUB's first output, to the guest's init and to the VMM's exit, and the KVM
# exits (kvm:kvm_exit and kvm:kvm_userspace_exit tracepoints), with medians
# and armvm/QEMU ratios (bench/uefi-boot-inside.sh does the measuring).
#
#   bench/uefi-boot.sh [RUNS]        (default 3 boots of each VMM)
#
# The sandbox host is emulated (TCG), so absolute times are far slower than on
# arm64 hardware; compare the two VMMs only with each other.
# Environment: BENCH_CMDLINE (the guest's kernel command line),
# BENCH_QEMU_CPU (QEMU's -cpu), ARMVM_BIN (as for tools/sandbox).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The guest checks itself and powers off (tests/guest/init's default mode; no
# questions on the console). Under QEMU its "devicetree" check fails (the
# model is not "armvm"): the benchmark reports the markers, not the checks.
cmdline=${BENCH_CMDLINE:-console=ttyAMA0 quiet armvm.cpus=2 armvm.mem=536870912}
tests/guest/mkimage "$work/uefi.img" --builder debian --cmdline "$cmdline"
bench/qemu-arm64-rootfs.sh "$work/qemu"

envs=()
[ -z "${BENCH_QEMU_CPU:-}" ] || envs+=(--env "BENCH_QEMU_CPU=$BENCH_QEMU_CPU")
echo "# guest cmdline: $cmdline"
tools/sandbox --gic 3 --cpus 2 --memory 6G --timeout $((600 + runs * 1200)) \
	--add "$work/uefi.img:/root/uefi.img" --add "$work/qemu:/opt/qemu" \
	--add bench/uefi-boot-inside.sh:/root/bench.sh ${envs[@]+"${envs[@]}"} -- sh /root/bench.sh "$runs"
