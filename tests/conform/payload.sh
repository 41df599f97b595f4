#!/usr/bin/env bash
# The inputs of an `armvm conform` run with a Linux part, gathered into one
# directory that can be copied into the sandbox host as it is:
#   tests/conform/payload.sh aarch64|arm DIR
# DIR/efi (the UEFI app), DIR/program (static armvm-conform), DIR/vmlinuz
# (Debian's arm64 kernel, or the armmp-lpae zImage for arm), DIR/lib/...
# (its modules that armvm-conform loads: virtio PCI, efivarfs, the virtio
# console, rng and balloon) and DIR/args, the options that name them all
# relative to DIR, for `cd DIR && armvm conform $(cat args) ...`.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
arch=${1:?usage: $0 aarch64|arm DIR} dir=${2:?usage: $0 aarch64|arm DIR}
case $arch in
aarch64)
	efi=$root/build/conform/BOOTAA64.EFI program=$root/build/arm64/armvm-conform
	kdir=$("$root/tools/fetch-deb" arm64 linux-image-arm64 --kernel)
	kernel=$(ls "$kdir"/boot/vmlinuz-* | head -1)
	mdir=$(ls -d "$kdir"/lib/modules/* | head -1)
	;;
arm)
	efi=$root/build/conform/BOOTARM.EFI program=$root/build/armhf/armvm-conform
	kernel=$("$root/tests/guest/armhf" kernel)
	mdir=$("$root/tests/guest/armhf" modules)
	;;
*) echo "$0: aarch64 or arm, not '$arch'" >&2; exit 2 ;;
esac
for f in "$efi" "$program"; do
	[ -f "$f" ] || { echo "$0: no $f (make conform-uefi conform-linux)" >&2; exit 1; }
done
rm -rf "$dir"
mkdir -p "$dir"
cp "$efi" "$dir/efi"
cp "$program" "$dir/program"
cp "$kernel" "$dir/vmlinuz"
. "$root/sandbox/modules.sh"
order=$(collect_modules "$mdir" "$dir" virtio_pci efivarfs virtio_console virtio_rng virtio_balloon)
{
	printf -- '--efi efi --program program --kernel vmlinuz'
	for m in $order; do printf -- ' --module %s' "${m#/}"; done
	echo
} >"$dir/args"
