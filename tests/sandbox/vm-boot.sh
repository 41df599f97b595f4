#!/bin/sh
# Runs inside tools/sandbox: boot the test guest with each vCPU count given,
# then (with --reboot) the in-process reboot test.
#   vm-boot.sh PREFIX [--reboot] CPUS...
. /root/lib.sh
prefix=$1
shift
reboot=0
[ "$1" = --reboot ] && { reboot=1; shift; }

for cpus in "$@"; do
	boot_and_check "$prefix/boot-${cpus}cpu" "$cpus" 512M
done
[ $reboot = 1 ] || exit 0

# The thread-pointer guard (vmm/kvm/kvm.c kvm_run_vcpu): each vCPU thread's
# 50th return from KVM_RUN is made to come back with a foreign TPIDR_EL0,
# as the faulty nested host once did. armvm must put its own back (else it
# dies of SIGSEGV at its next TLS access), say so once per vCPU, and the
# guest boot on to its checks.
export ARMVM_TEST_CLOBBER_TLS=50
boot_and_check "$prefix/tls-guard-boots" 2 512M
unset ARMVM_TEST_CLOBBER_TLS
n=$(grep -c "TPIDR_EL0 changed (0xdead00000000" "$log")
if [ "$n" = 2 ]; then
	pass "$prefix/tls-guard-reports"
else
	fail "$prefix/tls-guard-reports" "$n reports of the changed TPIDR_EL0, expected 2 (one per vCPU)" "$log"
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
