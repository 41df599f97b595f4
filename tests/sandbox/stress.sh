#!/bin/sh
# Runs inside tools/sandbox: boot, reboot, power-off and teardown again and
# again (issue 10), under the armvm on PATH (the stress suite installs an
# AddressSanitizer+UBSan build), core dumps on. Every round must end as the
# guest asked (exit 0), with no sanitizer report and no core file.
#   stress.sh PREFIX DIRECT-ROUNDS UEFI-ROUNDS
# Direct: 2 vCPUs, the guest reboots once in the process then powers off.
# UEFI: /root/stress.img, 2 vCPUs, 1 GiB, one variable store for all rounds
# (--vars), a reboot in each; odd rounds are killed (quit on the control
# socket) in the middle of the firmware instead.
. /root/lib.sh
prefix=$1 direct=$2 uefi=$3
ulimit -c unlimited
mkdir -p /tmp/cores && echo "/tmp/cores/core.%e.%p" >/proc/sys/kernel/core_pattern
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1
bad=0 fails=""

# round NAME LOG: judge one armvm run whose exit status is $rc.
round() {
	if [ $rc != 0 ] || grep -q 'Sanitizer\|runtime error' "$2" || ls /tmp/cores/core.* >/dev/null 2>&1; then
		bad=$((bad + 1))
		fails="$fails $1(exit $rc)"
		[ $bad -gt 1 ] || show "$2"
		mv /tmp/cores/core.* /tmp/ 2>/dev/null
	fi
}
show() {
	echo "# $prefix: first failing round, its log:"
	grep -m5 -A20 'Sanitizer\|runtime error' "$1" | sed 's/^/#   /'
	tail -n 15 "$1" | sed 's/^/#   | /'
}

i=0
while [ $i -lt "$direct" ]; do
	i=$((i + 1))
	ANSWERS=reboot drive /tmp/d$i.log run --kernel "$KERNEL" --initrd "$INITRD" --cpus 2 \
		--cmdline "console=ttyAMA0 quiet armvm.cpus=2 armvm.mem=536870912 armvm.mode=reboot"
	rc=$?
	[ $rc != 0 ] || [ "$(grep -c 'GUEST-RESULT PASS' /tmp/d$i.log)" = 2 ] || rc=99
	round direct$i /tmp/d$i.log
done
i=0
while [ $i -lt "$uefi" ]; do
	i=$((i + 1))
	if [ $((i % 2)) = 0 ]; then
		# Killed mid-firmware: the control socket's quit, a teardown
		# with the firmware writing variables.
		timeout 120 armvm run --disk /root/stress.img --vars /tmp/stress.vars --cpus 2 --memory 1G \
			--api-socket /tmp/stress.sock </dev/null >/tmp/u$i.log 2>&1 &
		pid=$!
		sleep $((3 + i % 5))
		armvm ctl --timeout 20 /tmp/stress.sock quit >/dev/null 2>&1
		wait $pid
		rc=$?
	else
		ANSWERS=reboot drive /tmp/u$i.log run --disk /root/stress.img --vars /tmp/stress.vars \
			--cpus 2 --memory 1G
		rc=$?
		[ $rc != 0 ] || [ "$(grep -c 'GUEST-RESULT PASS' /tmp/u$i.log)" = 2 ] || rc=99
	fi
	round uefi$i /tmp/u$i.log
done
echo "# $prefix: $direct direct and $uefi UEFI rounds, $bad failed:$fails"
[ $bad = 0 ] && pass "$prefix/rounds" || fail "$prefix/rounds" "$bad of $((direct + uefi)) rounds failed:$fails"
exit 0
