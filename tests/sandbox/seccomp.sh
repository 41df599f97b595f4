#!/bin/sh
# Runs inside tools/sandbox: every thread kind of armvm runs under its own
# seccomp filter (issue 11, lib/confine.c). ARMVM_TEST_SECCOMP=KIND makes
# that thread attempt execve once its filter is in force:
#   kill mode (the default): armvm dies of SIGSYS (status 159) after one
#     line naming the thread and the call (221: execve on arm64);
#   log mode: the call goes through (and fails: an empty path), the kernel
#     logs it (audit type 1326), and the guest boots and passes its checks.
# (The probe child's profile is checked by uefi.sh, which has a disk.)
#   seccomp.sh PREFIX
. /root/lib.sh
prefix=$1
cmdline="console=ttyAMA0 quiet armvm.cpus=2 armvm.mem=536870912"

for kind in main vcpu doorbell device-io control console-input rtc vsock; do
	name=$prefix/$kind-thread-kill
	rm -f /tmp/seccomp.sock /tmp/seccomp-vsock.sock
	ARMVM_TEST_SECCOMP=$kind timeout 120 armvm run --kernel "$KERNEL" --initrd "$INITRD" \
		--cpus 2 --net user --api-socket /tmp/seccomp.sock --cmdline "$cmdline" \
		--vsock path=/tmp/seccomp-vsock.sock </dev/null >/tmp/seccomp.log 2>&1
	rc=$?
	if [ $rc = 159 ] && grep -q "armvm: seccomp: the $kind thread made system call 221," /tmp/seccomp.log; then
		pass "$name"
	else
		fail "$name" "exit $rc (want 159, SIGSYS, and the message naming the $kind thread)" /tmp/seccomp.log
	fi
done

# Log mode: the vCPU thread's forbidden call is let through and logged;
# nothing else in a whole boot is (no other audit record from armvm).
dmesg -c >/dev/null
name=$prefix/vcpu-thread-log
rm -f /tmp/seccomp-vsock.sock
ARMVM_TEST_SECCOMP=vcpu timeout $ARMVM_TIMEOUT armvm run --seccomp log --kernel "$KERNEL" \
	--initrd "$INITRD" --cpus 2 --net user --vsock path=/tmp/seccomp-vsock.sock \
	--cmdline "$cmdline" </dev/null >/tmp/seccomp.log 2>&1
rc=$?
dmesg | grep 'type=1326' >/tmp/seccomp.audit
if [ $rc != 0 ] || ! grep -q "GUEST-RESULT PASS" /tmp/seccomp.log; then
	fail "$name" "exit $rc; the guest did not pass its checks" /tmp/seccomp.log
elif ! grep -q "seccomp self-test: the vcpu thread's execve returned -1" /tmp/seccomp.log; then
	fail "$name" "the vCPU thread's self-test did not run" /tmp/seccomp.log
elif ! grep -q 'comm="armvm".* syscall=221 ' /tmp/seccomp.audit; then
	fail "$name" "no audit record of the execve in the kernel log: $(dmesg | tail -3)"
elif grep 'comm="armvm"' /tmp/seccomp.audit | grep -qv ' syscall=221 '; then
	fail "$name" "armvm made calls outside its profiles: $(grep -o 'syscall=[0-9]*' /tmp/seccomp.audit | sort | uniq -c | tr '\n' ' ')"
else
	pass "$name"
fi
exit 0
