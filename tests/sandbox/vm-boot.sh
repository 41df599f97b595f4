#!/bin/sh
# Runs inside tools/sandbox: boot the test guest with each vCPU count given,
# then (with --mmio) once with every virtio device on virtio-mmio, then
# (with --reboot) the in-process reboot test.
#   vm-boot.sh PREFIX [--reboot] [--mmio] CPUS...
. /root/lib.sh
prefix=$1
shift
reboot=0 mmio=0
while :; do
	case $1 in
	--reboot) reboot=1 ;;
	--mmio) mmio=1 ;;
	*) break ;;
	esac
	shift
done

for cpus in "$@"; do
	boot_and_check "$prefix/boot-${cpus}cpu" "$cpus" 512M
done

# virtio-mmio (issue 12): --transport mmio with a disk puts the disk, the
# rng and the balloon in virtio-mmio slots 0-2 (SPIs 16-18). The guest
# finds exactly those three there and none on PCI, their interrupts level
# SPIs, reads the disk's first bytes and entropy, and writes to the disk
# (tests/guest/init, armvm.mmio); the host then finds that write in the
# file, each device in its slot (-v), and no doorbell that KVM refused.
if [ $mmio = 1 ]; then
	name=$prefix/virtio-mmio
	disk=/tmp/mmio-disk.img
	rm -f $disk
	dd if=/dev/zero of=$disk bs=1M count=4 2>/dev/null
	printf ARMVM-MMIO-DISK | dd of=$disk conv=notrunc 2>/dev/null
	GUEST_ARGS="armvm.mmio=3 armvm.diskmark=ARMVM-MMIO-DISK" \
		boot_and_check "$name" 2 512M --transport mmio --disk $disk -v --boot-marker
	if ! dd if=$disk bs=512 skip=8 count=1 2>/dev/null | grep -q GUEST-WROTE-MMIO; then
		fail "$name/disk-written" "the guest's write is not in $disk" "$log"
	else
		pass "$name/disk-written"
	fi
	missing=""
	for want in "disk $disk (virtio-blk): virtio-mmio slot 0 at 0xa000000, SPI 16" \
		"virtio-rng: virtio-mmio slot 1 at 0xa000200, SPI 17" \
		"virtio-balloon: virtio-mmio slot 2 at 0xa000400, SPI 18"; do
		grep -qF "$want" "$log" || missing="$missing '$want'"
	done
	if [ -n "$missing" ]; then
		fail "$name/slots" "armvm -v did not report:$missing" "$log"
	elif grep -q 'doorbell at 0xa0.*no ioeventfd' "$log"; then
		fail "$name/slots" "$(grep -m1 'doorbell at 0xa0.*no ioeventfd' "$log")" "$log"
	else
		pass "$name/slots"
	fi
	rm -f $disk
	# The same boot had --boot-marker (devices/boot_marker.h): the
	# guest's /init found the node and wrote mark 1 once; armvm reported
	# it with a time and a count of KVM_RUN returns, and its start-up
	# cost once (issue 15 items 3 and 6).
	marks=$(grep -c 'armvm: boot marker ' "$log")
	if [ "$marks" = 1 ] &&
		grep -Eq 'armvm: boot marker 1: [0-9.]+ ms after start, armvm CPU [0-9.]+ ms, [1-9][0-9]* returns from KVM_RUN this boot$' "$log" &&
		[ "$(grep -c 'armvm: start-up: [0-9.]* ms after start, armvm CPU [0-9.]* ms, at the first KVM_RUN$' "$log")" = 1 ]; then
		pass "$prefix/boot-marker"
	else
		fail "$prefix/boot-marker" "$marks marks; $(grep -m2 'armvm: boot marker\|armvm: start-up' "$log" | tr '\n' ' ')" "$log"
	fi
fi
[ $reboot = 1 ] || exit 0

# The thread-pointer guard (vmm/kvm/kvm.c kvm_run_vcpu): each vCPU thread's
# 50th return from KVM_RUN is made to come back with a foreign TPIDR_EL0,
# as the faulty nested host once did. armvm must put its own back (else it
# dies of SIGSEGV at its next TLS access), say so once per vCPU, and the
# guest boot on to its checks. armvm's messages go to their own file: on
# the console they can land in the middle of the guest's lines.
log=/tmp/tls-guard.log
ARMVM_TEST_CLOBBER_TLS=50 timeout $ARMVM_TIMEOUT armvm run --kernel "$KERNEL" --initrd "$INITRD" \
	--cpus 2 --memory 512M --cmdline "console=ttyAMA0 quiet armvm.cpus=2 armvm.mem=536870912" \
	</dev/null >"$log" 2>/tmp/tls-guard.err
rc=$?
if [ $rc = 0 ] && grep -q "GUEST-RESULT PASS" "$log" && [ "$(grep -c GUEST-BOOTED "$log")" = 1 ]; then
	pass "$prefix/tls-guard-boots"
else
	fail "$prefix/tls-guard-boots" "armvm exit $rc; $(grep 'GUEST-CHECK FAIL' "$log" | head -3 | tr '\n' ' ')" "$log"
fi
n=$(grep -c "TPIDR_EL0 changed (0xdead00000000" /tmp/tls-guard.err)
if [ "$n" = 2 ]; then
	pass "$prefix/tls-guard-reports"
else
	fail "$prefix/tls-guard-reports" "$n reports of the changed TPIDR_EL0, expected 2 (one per vCPU)" /tmp/tls-guard.err
fi

# Reboot: the guest runs `reboot -f` (PSCI SYSTEM_RESET) and must come up a
# second time in the same armvm process, then power off. The guest asks on
# its console what to do; drive answers through armvm's stdin (pl011 input).
name=$prefix/reboot-in-process
log=/tmp/reboot.log
ANSWERS=reboot drive "$log" run --kernel "$KERNEL" --initrd "$INITRD" --cpus 2 \
	--cmdline "console=ttyAMA0 quiet armvm.cpus=2 armvm.mem=536870912 armvm.mode=reboot"
rc=$?
boots=$(grep -c GUEST-BOOTED "$log")
results=$(grep -c "GUEST-RESULT PASS" "$log")
if [ $rc = 0 ] && [ "$boots" = 2 ] && [ "$results" = 2 ] &&
	grep -q "GUEST-ANSWER poweroff" "$log"; then
	pass "$name"
else
	fail "$name" "armvm exit $rc, $boots boots, $results passing" "$log"
fi
