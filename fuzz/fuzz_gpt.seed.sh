#!/usr/bin/env bash
# Seeds for fuzz_gpt: a small GPT disk with an ESP holding a boot file.
set -e
d=$1 t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export MTOOLS_SKIP_CHECK=1 PATH=$PATH:/usr/sbin:/sbin
python3 "$(dirname "$0")/mkpe.py" "$t/pe" 0xaa64 0x20b 10
img=$d/gpt.img
rm -f "$img"
truncate -s 160K "$img"
sgdisk -o -n 1:40:+96K -t 1:ef00 "$img" >/dev/null
mkfs.fat --offset=40 "$img" 96 >/dev/null 2>&1
mmd -i "$img@@20480" ::/EFI ::/EFI/BOOT
mcopy -i "$img@@20480" "$t/pe" ::/EFI/BOOT/BOOTAA64.EFI
