#!/bin/sh
# Runs inside tools/sandbox: portable images boot through the stock UEFI
# firmware (FW-1..FW-5, HW-1, IMG-6), variables belong to the instance, and
# bad input is refused. Images (tests/guest/mkimage, guest cmdline with
# armvm.uefi=1 armvm.var=1 armvm.mode=reboot, 2 CPUs, 512M):
#   /root/deb.img (sgdisk + mkfs.fat + mtools), /root/armvm.img (armvm image)
#   uefi.sh PREFIX all|boot msi|intx   (how the disk should interrupt)
. /root/lib.sh
prefix=$1 what=$2 irq=$3
# Instances (--instance) under /tmp, not /var/lib/armvm (root's).
export ARMVM_INSTANCE_DIR=/tmp/state/armvm/instances

# uefi_boot NAME LOG ARMVM-RUN-ARGS...: boots to the guest's checks, all pass.
uefi_boot() {
	name=$prefix/$1 log=$2
	shift 2
	drive "$log" run --cpus 2 --memory 512M "$@"
	rc=$?
	if [ $rc = 0 ] && grep -q "GUEST-RESULT PASS" "$log"; then
		pass "$name"
	else
		fail "$name" "armvm exit $rc; $(grep 'GUEST-CHECK FAIL' "$log" | head -3 | tr '\n' ' ')" "$log"
	fi
}

start=$(cut -d' ' -f1 /proc/uptime)
uefi_boot boot-debian-tools-image /tmp/deb.log --disk /root/deb.img
echo "# UEFI boot to powered off: $(awk -v s="$start" '{print $1 - s}' /proc/uptime) s"
uefi_boot boot-armvm-built-image /tmp/av.log --disk /root/armvm.img
# The disk uses MSI-X: through the ITS on GICv3 hosts, through armvm's
# GICv2m frame on GICv2 ones (intx: for a guest told pci=nomsi).
want=$irq
name=$prefix/virtio-interrupts-$want
grep -q "GUEST-INFO virtio-irq $want" /tmp/deb.log && pass "$name" ||
	fail "$name" "$(grep GUEST-INFO /tmp/deb.log)"
[ "$what" = all ] || exit 0

# --- Variables belong to the instance, never to the image ---------------
before=$(sha256sum /root/deb.img | cut -d' ' -f1)
ANSWERS=reboot uefi_boot vars-write-then-reboot /tmp/v1.log --disk /root/deb.img --instance a
name=$prefix/vars-survive-in-process-reboot
if [ "$(tr -d '\r' </tmp/v1.log | grep '^GUEST-VAR' | tr '\n' ' ')" = "GUEST-VAR absent GUEST-VAR present " ]; then
	pass "$name"
else
	fail "$name" "saw: $(grep GUEST-VAR /tmp/v1.log | tr '\r\n' '  ')" /tmp/v1.log
fi
uefi_boot vars-new-process /tmp/v2.log --disk /root/deb.img --instance a
grep -q "GUEST-VAR present" /tmp/v2.log && pass "$prefix/vars-persist-across-processes" ||
	fail "$prefix/vars-persist-across-processes" "the variable is gone" /tmp/v2.log
uefi_boot vars-other-instance /tmp/v3.log --disk /root/deb.img --instance b
grep -q "GUEST-VAR absent" /tmp/v3.log && pass "$prefix/vars-not-shared-between-instances" ||
	fail "$prefix/vars-not-shared-between-instances" "instance b sees instance a's variable" /tmp/v3.log
[ -f /tmp/state/armvm/instances/a/vars.fd ] && pass "$prefix/instance-dir" ||
	fail "$prefix/instance-dir" "no /tmp/state/armvm/instances/a/vars.fd"
uefi_boot vars-file-created /tmp/v4.log --disk /root/deb.img --vars /tmp/my.vars
uefi_boot vars-file-reused /tmp/v5.log --disk /root/deb.img --vars /tmp/my.vars
grep -q "GUEST-VAR absent" /tmp/v4.log && grep -q "GUEST-VAR present" /tmp/v5.log &&
	pass "$prefix/vars-file-persists" || fail "$prefix/vars-file-persists" "absent/present not seen" /tmp/v5.log
after=$(sha256sum /root/deb.img | cut -d' ' -f1)
name=$prefix/image-unchanged
if [ "$before" = "$after" ] && armvm image check /root/deb.img >/tmp/check.log 2>&1; then
	pass "$name"
else
	fail "$name" "image digest $before -> $after, or armvm image check failed" /tmp/check.log
fi

# --- virtio-rng gives the firmware EFI_RNG_PROTOCOL -----------------------
# The EFI stub says when it finds none; checked with and without the device.
timeout 240 armvm run --disk /root/loud.img </dev/null >/tmp/rng.log 2>&1
timeout 240 armvm run --disk /root/loud.img --no-rng </dev/null >/tmp/norng.log 2>&1
name=$prefix/firmware-rng-protocol
if grep -q "GUEST-RESULT PASS" /tmp/rng.log && ! grep -q "EFI_RNG_PROTOCOL unavailable" /tmp/rng.log &&
	grep -q "EFI_RNG_PROTOCOL unavailable" /tmp/norng.log; then
	pass "$name"
else
	fail "$name" "with rng: $(grep -c 'EFI_RNG_PROTOCOL unavailable' /tmp/rng.log) warnings; --no-rng: $(grep -c 'EFI_RNG_PROTOCOL unavailable' /tmp/norng.log)" /tmp/rng.log
fi

# --- SIGKILL while the firmware or the guest writes variables -------------
# A fresh instance: its first boot formats the store (erase + program), the
# guest then writes a variable. Kill at several points, then boot normally.
for delay in 1 2 3 5 8 12 16; do
	timeout 60 armvm run --cpus 2 --memory 512M --disk /root/deb.img --instance k \
		</dev/null >/tmp/kill.log 2>&1 &
	pid=$!
	sleep $delay
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
done
uefi_boot boots-after-sigkills /tmp/k.log --disk /root/deb.img --instance k
size=$(wc -c </tmp/state/armvm/instances/k/vars.fd)
[ "$size" = 67108864 ] && pass "$prefix/store-size-after-sigkills" ||
	fail "$prefix/store-size-after-sigkills" "store is $size bytes"

# --- The store truncated under armvm (issue 11) ----------------------------
# Another program shrinks the store while the firmware uses it: armvm stops
# with one line that names the file (exit 1), not with SIGBUS, whether the
# lost pages are next touched by the flash model (armvm's access) or by the
# guest through the flash's memory slot (KVM_RUN's EFAULT).
for delay in 0 2 5; do
	name=$prefix/store-truncated-after-${delay}s
	rm -f /tmp/shrink.vars
	: >/tmp/shrink.log
	timeout 120 armvm run -v --cpus 2 --memory 512M --disk /root/deb.img --vars /tmp/shrink.vars \
		</dev/null >/tmp/shrink.log 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 300 ] && ! grep -q "variables /tmp/shrink.vars" /tmp/shrink.log; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep $delay
	truncate -s 0 /tmp/shrink.vars
	wait $pid
	rc=$?
	if [ $rc = 1 ] && grep -q "variable store /tmp/shrink.vars: the file shrank while armvm used it" /tmp/shrink.log; then
		pass "$name"
	else
		fail "$name" "armvm exit $rc (135 is SIGBUS)" /tmp/shrink.log
	fi
done

# --- Bad input -------------------------------------------------------------
D=/root/deb.img
expect_error firmware-missing "--firmware /root/nope.fd: cannot open" run --disk $D --firmware /root/nope.fd
expect_error firmware-not-firmware "not a UEFI firmware image" run --disk $D --firmware /root/lib.sh
mv /usr/share/qemu/firmware /usr/share/qemu/firmware.off
expect_error firmware-package-missing "install Debian's qemu-efi-aarch64 package" run --disk $D
mv /usr/share/qemu/firmware.off /usr/share/qemu/firmware
head -c 1000 /dev/zero >/tmp/small.vars
expect_error vars-wrong-size "/tmp/small.vars: 1000 bytes, expected" run --disk $D --vars /tmp/small.vars
expect_error disk-missing "/root/nope.img" run --disk /root/nope.img
: >/tmp/empty.img
expect_error disk-empty "/tmp/empty.img: disk image is empty" run --disk /tmp/empty.img
cp /root/lib.sh /tmp/noread.img && chmod 000 /tmp/noread.img
name=$prefix/disk-unreadable
timeout 60 unshare --user armvm run --disk /tmp/noread.img </dev/null >/tmp/out 2>/tmp/err
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] && [ "$(wc -l </tmp/err)" = 1 ] && grep -q "/tmp/noread.img" /tmp/err &&
	grep -q "Permission denied" /tmp/err && pass "$name" || fail "$name" "exit $rc" /tmp/err
expect_error memory-below-firmware-minimum "needs at least 128 MiB" run --disk $D --memory 64M
expect_error vars-and-instance "--vars and --instance" run --disk $D --vars /tmp/x --instance x
# A store in use by a running armvm is not opened twice.
timeout 60 armvm run --disk /root/armvm.img --instance busy </dev/null >/dev/null 2>&1 &
pid=$!
sleep 2
expect_error vars-in-use "in use by another armvm process" run --disk $D --instance busy
kill -9 $pid; wait $pid 2>/dev/null

# --- Disks a guest wrote (issue 10) ----------------------------------------
# --arch auto reads the boot files in a confined child: a reader that dies
# costs the probe (one clean error), never armvm.
export ARMVM_TEST_PROBE_CRASH=1
expect_error probe-reader-crash "the image reader stopped on signal 11" run --disk $D
unset ARMVM_TEST_PROBE_CRASH
# Its seccomp profile (issue 11): reading the disk, nothing else (execve
# here: SIGSYS, 31).
# Two lines: the child's own (naming the call) and armvm's error.
name=$prefix/probe-seccomp
ARMVM_TEST_SECCOMP=probe timeout 60 armvm run --disk $D </dev/null >/tmp/out 2>/tmp/err
rc=$?
if [ $rc = 1 ] && grep -q "the image reader stopped on signal 31" /tmp/err &&
	grep -q "seccomp: the probe thread made system call 221," /tmp/err; then
	pass "$name"
else
	fail "$name" "exit $rc (want 1, the probe's SIGSYS named and reported)" /tmp/err
fi
# Hostile long names in the ESP (tests/guest/mkhostile): armvm still finds
# BOOTAA64.EFI and starts the firmware (still running after 8 s).
for img in /root/hostile-*.img; do
	[ -e "$img" ] || continue
	name=$prefix/probe-$(basename "$img" .img)
	timeout 8 armvm run -v --disk "$img" --instance hostile </dev/null >/tmp/out 2>/tmp/err
	rc=$?
	# Still running when timeout ended it: 143 from busybox (SIGTERM).
	if { [ $rc = 124 ] || [ $rc = 143 ]; } && grep -q "boots BOOTAA64.EFI; an aarch64 guest" /tmp/err; then
		pass "$name"
	else
		fail "$name" "exit $rc (want 143: still running after 8 s)" /tmp/err
	fi
done
exit 0
