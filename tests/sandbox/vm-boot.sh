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
