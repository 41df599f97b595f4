#!/bin/sh
# Runs inside tools/sandbox: armvm refuses bad input with one line on stderr
# naming the problem, a non-zero exit, nothing on stdout, and no hang.
#   bad-input.sh PREFIX GIC
. /root/lib.sh
prefix=$1 gic=$2


K=$KERNEL I=$INITRD
expect_error missing-kernel "/root/nope: cannot open" run --kernel /root/nope
expect_error kernel-is-directory "/root: not a regular file" run --kernel /root
# Unreadable: root reads any file, but not in a user namespace that maps
# no uid (CAP_DAC_OVERRIDE covers only files of mapped owners).
cp "$K" /tmp/noread && chmod 000 /tmp/noread
name=$prefix/unreadable-kernel
timeout 60 unshare --user armvm run --kernel /tmp/noread </dev/null >/tmp/out 2>/tmp/err
rc=$?
if [ $rc != 0 ] && [ $rc != 124 ] && [ "$(wc -l </tmp/err)" = 1 ] &&
	grep -q "/tmp/noread: cannot open: Permission denied" /tmp/err; then
	pass "$name"
else
	fail "$name" "exit $rc" /tmp/err
fi
rm -f /tmp/noread
expect_error not-an-image "not an arm64 Image" run --kernel "$I"
expect_error memory-too-small "--memory 32 MiB is too small" run --kernel "$K" --initrd "$I" --memory 32M
expect_error cpus-zero "--cpus '0'" run --kernel "$K" --cpus 0
expect_error malformed-size "--memory '12X': expected a size" run --kernel "$K" --memory 12X
expect_error missing-initrd "/root/nope.img: cannot open" run --kernel "$K" --initrd /root/nope.img
expect_error unknown-option "unknown option '--frobnicate'" run --kernel "$K" --frobnicate
if [ "$gic" = 2 ]; then
	# The host offers only GICv2: 9 vCPUs cannot be had, asked or not.
	expect_error gicv2-9-cpus-auto "GICv2 supports at most 8 vCPUs" run --kernel "$K" --cpus 9
	expect_error gicv3-on-v2-host "cannot emulate a GICv3" run --kernel "$K" --gic 3
else
	expect_error gicv2-9-cpus "GICv2 supports at most 8 vCPUs" run --kernel "$K" --gic 2 --cpus 9
fi
mv /dev/kvm /dev/kvm.off
expect_error no-dev-kvm "/dev/kvm: cannot open: No such file or directory" run --kernel "$K"
mv /dev/kvm.off /dev/kvm
exit 0
