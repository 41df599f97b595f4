#!/bin/sh
# Runs inside tools/sandbox: aarch32 guests (issue 6, PLAT-1, IMG-4).
#   aarch32.sh PREFIX all|direct
#   aarch32.sh PREFIX hunt N   N rounds of uefi-bootarm-vars-reboot (the
#                              in-process reboot of issue 10's one SIGSEGV),
#                              core dumps on; every round must exit 0
#                              (A32_HUNT_MODE=restart: the second boot in a
#                              new armvm process instead)
# Files: /root/zImage (Debian's armhf armmp-lpae kernel), /root/g32.cpio.gz
# (the 32-bit test initramfs, tests/guest/init), /root/Image (Debian's arm64
# kernel), /root/arm.img (ESP with \EFI\BOOT\BOOTARM.EFI only) and
# /root/both.img (BOOTAA64.EFI and BOOTARM.EFI, each with its own kernel):
# tests/guest/mkimage, guest cmdline armvm.uefi=1 armvm.var=1
# armvm.mode=reboot armvm.cpus=2 armvm.mem=536870912.
. /root/lib.sh
prefix=$1 what=$2
# Instances (--instance) under /tmp, not /var/lib/armvm (root's).
export ARMVM_INSTANCE_DIR=/tmp/state/armvm/instances
Z=/root/zImage I32=/root/g32.cpio.gz

# The armhf kernel panics now and then in this nested host: a boot whose
# guest panicked is retried, at most 4 times (guest_panicked, lib.sh); a
# fifth panic fails the test.
# booted_ok LOG: armvm exited 0 ($rc) after the guest's checks all passed,
# among them `uname -m`.
booted_ok() {
	[ $rc = 0 ] && grep -q "GUEST-CHECK PASS arch" "$1" && grep -q "GUEST-RESULT PASS" "$1"
}

# direct NAME CPUS [ARMVM OPTIONS...]: the 32-bit guest checks itself
# (uname -m armv7l, CPUs, memory, timer, device tree) and powers off. A
# guest kernel panic resets at once (panic=-1), which ends armvm
# (--no-reboot).
direct_run() {
	timeout $ARMVM_TIMEOUT armvm run --kernel $Z --initrd $I32 --cpus "$cpus" --memory 512M --no-reboot "$@" \
		--cmdline "console=ttyAMA0 quiet panic=-1 armvm.cpus=$cpus armvm.mem=536870912 armvm.arch=armv7l" \
		</dev/null >"$log" 2>&1
	rc=$?
}
direct() {
	name=$prefix/$1 cpus=$2
	shift 2
	log=/tmp/$1.log
	_try=1
	direct_run "$@"
	while ! booted_ok "$log" && [ $_try -lt 5 ] && guest_panicked "$name" "$log"; do
		_try=$((_try + 1))
		direct_run "$@"
	done
	if booted_ok "$log"; then
		pass "$name"
	else
		fail "$name" "armvm exit $rc; $(grep 'GUEST-CHECK FAIL' "$log" | head -3 | tr '\n' ' ')" "$log"
	fi
}

# uefi_boot NAME LOG ARMVM-RUN-ARGS...: through the firmware to the guest's
# checks, all passing, among them `uname -m` as the image's cmdline says.
# 512 MiB, the size at which a packed device tree once made the zImage's
# decompressor overwrite the initrd GRUB had put right above it (issue 12;
# vmm/kvm/vm.c, FIRMWARE_DTB_SIZE): this boot is its regression test.
uefi_boot() {
	name=$prefix/$1 log=$2
	shift 2
	_try=1
	drive "$log" run --cpus "${ucpus:-2}" --memory 512M "$@"
	rc=$?
	while ! booted_ok "$log" && [ $_try -lt 5 ] && guest_panicked "$name" "$log"; do
		_try=$((_try + 1))
		# From the start: the instance's variable store as it was.
		_prev=
		for _a in "$@"; do
			[ "$_prev" = --instance ] && rm -rf "$XDG_STATE_HOME/armvm/instances/$_a"
			_prev=$_a
		done
		drive "$log" run --cpus "${ucpus:-2}" --memory 512M "$@"
		rc=$?
	done
	if booted_ok "$log"; then
		pass "$name"
	else
		fail "$name" "armvm exit $rc; $(grep 'GUEST-CHECK FAIL' "$log" | head -3 | tr '\n' ' ')" "$log"
	fi
}


# --- A hunt: the aarch32 UEFI reboot, again and again ------------------------
if [ "$what" = hunt ]; then
	# Rounds run on a loaded machine under ASan: a slow boot is not a hang.
	ARMVM_TIMEOUT=600
	ulimit -c unlimited
	mkdir -p /tmp/cores && echo "/tmp/cores/core.%e.%p" >/proc/sys/kernel/core_pattern
	export ASAN_OPTIONS=abort_on_error=1:detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1
	n=$3 i=0 bad=0
	while [ $i -lt "$n" ]; do
		i=$((i + 1))
		rm -rf "$XDG_STATE_HOME/armvm/instances/h"
		# A watcher shows what armvm's threads wait on if the round
		# runs long: a vCPU in KVM_RUN means the guest is stuck, not
		# armvm.
		(
			sleep 420
			for p in $(pidof armvm); do
				echo "# round $i still running after 420 s; armvm $p's threads:"
				for t in /proc/$p/task/*; do
					echo "#   $(cat $t/comm) $(cat $t/wchan) $(cut -d' ' -f3,14,15 $t/stat)"
				done
			done
		) &
		watcher=$!
		if [ "${A32_HUNT_MODE:-reboot}" = restart ]; then
			# The second boot in a new armvm, on the same store:
			# the firmware's view of a second boot without armvm's
			# in-process reboot.
			ucpus=1 uefi_boot "hunt$i-first" /tmp/h.log --disk /root/arm.img --instance h
			[ $rc != 0 ] || ucpus=1 uefi_boot "hunt$i" /tmp/h.log --disk /root/arm.img --instance h
		else
			ucpus=1 ANSWERS=reboot uefi_boot "hunt$i" /tmp/h.log --disk /root/arm.img --instance h
		fi
		ucpus=
		kill $watcher 2>/dev/null
		if [ $rc != 0 ] || grep -q 'Sanitizer\|runtime error' /tmp/h.log || ls /tmp/cores/core.* >/dev/null 2>&1; then
			bad=$((bad + 1))
			echo "# round $i: armvm exit $rc; its log:"
			grep -a -A30 'Sanitizer\|runtime error' /tmp/h.log | head -60 | sed 's/^/#   /'
			tail -n 15 /tmp/h.log | sed 's/^/#   | /'
			rm -f /tmp/cores/core.*
		fi
	done
	echo "# $prefix/hunt: $n rounds, $bad bad"
	[ $bad = 0 ] && pass "$prefix/hunt" || fail "$prefix/hunt" "$bad of $n rounds bad"
	exit 0
fi

# --- Direct boot of the armhf zImage (arm/booting.rst) ----------------------
start=$(cut -d' ' -f1 /proc/uptime)
direct direct-2cpu 2
echo "# aarch32 direct boot to powered off: $(awk -v s="$start" '{print $1 - s}' /proc/uptime) s"
direct direct-1cpu-arch-aarch32 1 --arch aarch32
[ "$what" = all ] || exit 0

# --- UEFI: AAVMF32 boots \EFI\BOOT\BOOTARM.EFI (GRUB, then Linux) ------------
# --arch auto finds only BOOTARM.EFI: an aarch32 guest. The guest writes a
# variable and reboots in the same process: the second boot sees it. One
# vCPU: the emulated host's AArch32 flake (above) has shown only with two,
# and this test boots twice.
start=$(cut -d' ' -f1 /proc/uptime)
ucpus=1 ANSWERS=reboot uefi_boot uefi-bootarm-vars-reboot /tmp/u1.log --disk /root/arm.img --instance a32
ucpus= # (ash may keep a prefix assignment to a function)
echo "# aarch32 UEFI boot, reboot, boot to powered off: $(awk -v s="$start" '{print $1 - s}' /proc/uptime) s"
name=$prefix/uefi-vars-survive-reboot
if [ "$(tr -d '\r' </tmp/u1.log | grep '^GUEST-VAR' | tr '\n' ' ')" = "GUEST-VAR absent GUEST-VAR present " ] &&
	[ "$(grep -c 'GUEST-RESULT PASS' /tmp/u1.log)" = 2 ]; then
	pass "$name"
else
	fail "$name" "saw: $(grep 'GUEST-VAR\|GUEST-RESULT' /tmp/u1.log | tr '\r\n' '  ')" /tmp/u1.log
fi
cmp -s /tmp/state/armvm/instances/a32/vars.fd /usr/share/AAVMF/AAVMF32_VARS.fd &&
	fail "$prefix/uefi-store-from-aavmf32-template" "the store was never written" ||
	pass "$prefix/uefi-store-from-aavmf32-template"

# An image with both boot files boots either way, as asked (the guest
# checks `uname -m`: armv7l after BOOTARM.EFI, aarch64 after BOOTAA64.EFI).
uefi_boot uefi-both-arch-aarch32 /tmp/u2.log --disk /root/both.img --arch aarch32
uefi_boot uefi-both-arch-aarch64 /tmp/u3.log --disk /root/both.img --arch aarch64
# With --arch auto such an image is an aarch64 guest (armvm says so).
timeout 5 armvm run -v --disk /root/both.img </dev/null >/dev/null 2>/tmp/auto.err
grep -q "an aarch64 guest" /tmp/auto.err && pass "$prefix/auto-both-is-aarch64" ||
	fail "$prefix/auto-both-is-aarch64" "$(grep 'guest' /tmp/auto.err)" /tmp/auto.err
timeout 5 armvm run -v --disk /root/arm.img </dev/null >/dev/null 2>/tmp/auto.err
grep -q "BOOTARM.EFI; an aarch32 guest" /tmp/auto.err && grep -q "AAVMF32_CODE.fd" /tmp/auto.err &&
	pass "$prefix/auto-bootarm-is-aarch32" || fail "$prefix/auto-bootarm-is-aarch32" "see log" /tmp/auto.err

# --- Bad input ---------------------------------------------------------------
expect_error arch-aarch32-with-arm64-image "--arch aarch32: /root/Image is an arm64 Image" \
	run --kernel /root/Image --arch aarch32
expect_error arch-aarch64-with-zimage "--arch aarch64: $Z is a 32-bit zImage" \
	run --kernel $Z --arch aarch64
expect_error arch-unknown "--arch 'arm': expected aarch64, aarch32 or auto" run --kernel $Z --arch arm
export ARMVM_TEST_NO_EL1_32BIT=1
expect_error no-el1-32bit-zimage "$Z: a 32-bit (aarch32) guest, but this host's CPU cannot run AArch32 at EL1" \
	run --kernel $Z --initrd $I32
expect_error no-el1-32bit-bootarm-image "/root/arm.img: a 32-bit (aarch32) guest, but this host's CPU cannot run AArch32" \
	run --disk /root/arm.img
expect_error no-el1-32bit-arch-aarch32 "--arch aarch32: a 32-bit (aarch32) guest, but" \
	run --disk /root/both.img --arch aarch32
unset ARMVM_TEST_NO_EL1_32BIT
expect_error memory-over-3g-arch-aarch32 "an aarch32 guest has at most 3072 MiB" \
	run --kernel $Z --arch aarch32 --memory 4G
expect_error memory-over-3g-zimage "an aarch32 guest has at most 3072 MiB" run --kernel $Z --memory 3073M
expect_error memory-over-3g-bootarm-image "an aarch32 guest has at most 3072 MiB" run --disk /root/arm.img --memory 4G
truncate -s 64M /tmp/blank.img
expect_error disk-without-boot-file "give --arch aarch64 or --arch aarch32" run --disk /tmp/blank.img
exit 0
