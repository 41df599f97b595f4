#!/bin/sh
# Runs inside tools/sandbox: boot, reboot, power-off and teardown again and
# again (issue 10), under the armvm on PATH (the stress suite installs an
# AddressSanitizer+UBSan build by default, or the normal or a
# ThreadSanitizer build), core dumps on. Every round must end as the
# guest asked (exit 0), with no sanitizer report and no core file.
#   stress.sh PREFIX DIRECT-ROUNDS UEFI-ROUNDS
# Direct: 2 vCPUs; once the guest's checks passed, a reset on the control
# socket reboots it in the process; after the second boot's checks it
# powers off by itself (armvm.mode=hold). UEFI: the same guest from a disk,
# 2 vCPUs, 1 GiB, one variable store for all rounds (--vars), the same
# reset; even rounds are ended by quit in the middle of the firmware. The
# disk's boot loader alternates every two rounds: systemd-boot
# (/root/stress-sd.img: issue 10's one SIGSEGV was seen with it, on two boots
# in a row on one store), then GRUB (/root/stress.img).
# (Console input is not used: see docs/sandbox.md on a lost answer after
# an in-process reboot.)
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
		grep -h 'SUMMARY:' "$2" >>/tmp/summaries
		mv /tmp/cores/core.* /tmp/ 2>/dev/null
	fi
}
show() {
	echo "# $prefix: first failing round, its log:"
	grep -m5 -A20 'Sanitizer\|runtime error' "$1" | sed 's/^/#   /'
	tail -n "${STRESS_TAIL:-15}" "$1" | sed 's/^/#   | /'
	[ ! -s /tmp/watch.log ] || sed 's/^/#   /' /tmp/watch.log
	: >/tmp/watch.log
}

# reset_round LOG ARMVM-RUN-ARGS...: run to the guest's checks, reset on
# the control socket, run to the second boot's checks and the power-off.
reset_round() {
	_log=$1
	shift
	rm -f /tmp/stress.sock
	: >"$_log" # before the job starts: see drive in lib.sh
	timeout 300 armvm run "$@" --api-socket /tmp/stress.sock </dev/null >"$_log" 2>&1 &
	_pid=$!
	_reset=0
	# A watcher shows what armvm's threads do if the round runs long:
	# vCPUs running in KVM_RUN mean the guest is stuck, not armvm.
	(
		sleep 240
		kill -0 $_pid 2>/dev/null || exit 0
		echo "# $_log: still running after 240 s (reset sent: see above); armvm's threads:"
		for t in /proc/$_pid/task/*; do
			echo "#   $(cat $t/comm) $(cut -d' ' -f3,14,15 $t/stat) wchan=$(cat $t/wchan) syscall=$(cut -d' ' -f1 $t/syscall)"
		done
	) >>/tmp/watch.log 2>&1 &
	_watcher=$!
	while kill -0 $_pid 2>/dev/null; do
		if [ $_reset = 0 ] && grep -q "GUEST-RESULT PASS" "$_log"; then
			armvm ctl --timeout 20 /tmp/stress.sock reset >/dev/null 2>&1 && _reset=1
		fi
		sleep 0.2
	done
	wait $_pid
	rc=$?
	kill $_watcher 2>/dev/null
	[ $rc != 0 ] || [ "$(grep -c 'GUEST-RESULT PASS' "$_log")" = 2 ] || rc=99
}

hold="armvm.mode=hold armvm.hold=8"
# STRESS_LOUD=1: the kernel's messages on the console (where a stuck boot
# stopped), at the cost of slower rounds.
quiet=quiet
[ "${STRESS_LOUD:-0}" = 0 ] || quiet="loglevel=7"
i=0
while [ $i -lt "$direct" ]; do
	i=$((i + 1))
	reset_round /tmp/d$i.log --kernel "$KERNEL" --initrd "$INITRD" --cpus 2 \
		--cmdline "console=ttyAMA0 $quiet armvm.cpus=2 armvm.mem=536870912 $hold"
	round direct$i /tmp/d$i.log
done
i=0
while [ $i -lt "$uefi" ]; do
	i=$((i + 1))
	img=/root/stress-sd.img
	[ $(((i - 1) / 2 % 2)) = 0 ] || img=/root/stress.img
	if [ $((i % 2)) = 0 ]; then
		# Ended mid-firmware: the control socket's quit, a teardown
		# with the firmware writing variables.
		rm -f /tmp/stress.sock
		timeout 120 armvm run --disk $img --vars /tmp/stress.vars --cpus 2 --memory 1G \
			--api-socket /tmp/stress.sock </dev/null >/tmp/u$i.log 2>&1 &
		pid=$!
		sleep $((3 + i % 5))
		armvm ctl --timeout 20 /tmp/stress.sock quit >/dev/null 2>&1
		wait $pid
		rc=$?
	else
		reset_round /tmp/u$i.log --disk $img --vars /tmp/stress.vars --cpus 2 --memory 1G
	fi
	round "uefi$i(${img#/root/})" /tmp/u$i.log
done
echo "# $prefix: $direct direct and $uefi UEFI rounds, $bad failed:$fails"
# Every sanitizer report of every round, counted (a hunt's findings).
[ ! -s /tmp/summaries ] || sort /tmp/summaries | uniq -c | sed 's/^/# /'

[ $bad = 0 ] && pass "$prefix/rounds" || fail "$prefix/rounds" "$bad of $((direct + uefi)) rounds failed:$fails"
exit 0
