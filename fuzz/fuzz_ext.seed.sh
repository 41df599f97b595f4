#!/usr/bin/env bash
# Seeds for fuzz_ext: small ext2 and ext4 file systems made by mke2fs -d,
# with a kernel configuration, a module, and merged /usr's /lib symlink.
set -e
d=$1 t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export PATH=$PATH:/usr/sbin:/sbin
v=6.1.0-27-arm64
mkdir -p "$t/r/boot" "$t/r/usr/lib/modules/$v/kernel/drivers/char"
ln -s usr/lib "$t/r/lib"
printf 'CONFIG_ARM_GIC=y\nCONFIG_VIRTIO_CONSOLE=m\n# CONFIG_HVC_XEN is not set\n' >"$t/r/boot/config-$v"
echo module >"$t/r/usr/lib/modules/$v/kernel/drivers/char/virtio_console.ko"
echo kernel/drivers/tty/serial/amba-pl011.ko >"$t/r/usr/lib/modules/$v/modules.builtin"
rm -f "$d/ext4.img" "$d/ext2.img"
mke2fs -q -F -t ext4 -d "$t/r" "$d/ext4.img" 256K >/dev/null 2>&1
mke2fs -q -F -t ext2 -N 32 -d "$t/r" "$d/ext2.img" 128K >/dev/null 2>&1

# The reviewer's hostile cases, one seed each (tests/unit/test_guest.c and
# tests/suites/30-image check the verdicts; here they start the fuzzer
# where the bounds are):
# an inline-data symlink whose i_size says 0 (libext2fs's namei copied 60
# bytes and more into a buffer of that size), with the feature kept and
# with it cleared (the inode flag left);
rm -rf "$t/i" && mkdir -p "$t/i/boot" "$t/i/usr/lib/modules/$v"
cp "$t/r/boot/config-$v" "$t/i/boot/"
# (91 bytes: past i_block, so mke2fs keeps it in the inode's xattr)
ln -s "usr/lib$(printf '/.%.0s' $(seq 42))" "$t/i/lib"
rm -f "$d/inline.img" "$d/inline-flag.img"
mke2fs -q -F -t ext4 -O inline_data -d "$t/i" "$d/inline.img" 256K >/dev/null 2>&1
debugfs -w -R "sif /lib size 0" "$d/inline.img" >/dev/null 2>&1
cp "$d/inline.img" "$d/inline-flag.img"
debugfs -w -R "feature -inline_data" "$d/inline-flag.img" >/dev/null 2>&1
# groups of 8 blocks: 32 times the descriptors the superblock allows;
cp "$d/ext2.img" "$d/groups.img"
printf '\x08\x00\x00\x00' | dd of="$d/groups.img" bs=1 seek=$((1024 + 32)) conv=notrunc status=none
# a /boot of 5000 names (more than a listing reads);
rm -rf "$t/l" && mkdir -p "$t/l/boot"
cp "$t/r/boot/config-$v" "$t/l/boot/"
python3 -c 'import os, sys
for i in range(1000, 6000):
	os.link(sys.argv[1], "%s/c%d" % (os.path.dirname(sys.argv[1]), i))' "$t/l/boot/config-$v"
rm -f "$d/longdir.img"
mke2fs -q -F -t ext2 -N 32 -d "$t/l" "$d/longdir.img" 512K >/dev/null 2>&1
# symlink loops: /boot -> boot.real/x -> ../boot, /lib -> a -> lib.
rm -rf "$t/o" && mkdir -p "$t/o/boot.real"
cp "$t/r/boot/config-$v" "$t/o/boot.real/"
ln -s boot.real/x "$t/o/boot"
ln -s ../boot "$t/o/boot.real/x"
ln -s a "$t/o/lib"
ln -s lib "$t/o/a"
rm -f "$d/loops.img"
mke2fs -q -F -t ext4 -d "$t/o" "$d/loops.img" 256K >/dev/null 2>&1
