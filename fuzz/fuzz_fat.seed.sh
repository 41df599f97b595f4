#!/usr/bin/env bash
# Seeds for fuzz_fat: small FAT12 and FAT32 volumes made by Debian's tools,
# with directories, long names and a boot file.
set -e
d=$1 t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export MTOOLS_SKIP_CHECK=1 PATH=$PATH:/usr/sbin:/sbin
python3 "$(dirname "$0")/mkpe.py" "$t/pe" 0xaa64 0x20b 10
rm -f "$d/fat12.img" "$d/fat32.img"
mkfs.fat -C "$d/fat12.img" 96 >/dev/null
mmd -i "$d/fat12.img" ::/EFI ::/EFI/BOOT "::/a long directory name"
mcopy -i "$d/fat12.img" "$t/pe" ::/EFI/BOOT/BOOTAA64.EFI
echo hello >"$t/h"
mcopy -i "$d/fat12.img" "$t/h" "::/a long directory name/Some File.txt"
mkfs.fat -F 32 -C "$d/fat32.img" 256 >/dev/null 2>&1
