# Shared helpers for test scripts that run inside tools/sandbox (busybox sh).
# They print PASS:/FAIL: lines as tests/run counts them.

KERNEL=${KERNEL:-/root/Image}
INITRD=${INITRD:-/root/guest.cpio.gz}
# Generous: a guest boot takes ~10 s in the emulated host.
ARMVM_TIMEOUT=${ARMVM_TIMEOUT:-240}

pass() { echo "PASS: $1"; }
# fail NAME WHY [LOG]: the log's tail is shown indented, for diagnosis.
fail() {
	echo "FAIL: $1: $2"
	[ -n "${3:-}" ] && [ -f "$3" ] && tail -n 40 "$3" | sed 's/^/    | /'
	return 0
}

# mem_bytes SIZE: 512M -> 536870912 (M and G only, as the tests use).
mem_bytes() {
	case $1 in
	*G) echo $((${1%G} * 1073741824)) ;;
	*M) echo $((${1%M} * 1048576)) ;;
	esac
}

# boot_and_check NAME CPUS MEMORY [ARMVM OPTIONS...]: boot the test guest,
# which checks itself (tests/guest/init) and powers off.
boot_and_check() {
	name=$1 cpus=$2 mem=$3
	shift 3
	log=/tmp/$(echo "$name" | tr / -).log
	timeout $ARMVM_TIMEOUT armvm run --kernel "$KERNEL" --initrd "$INITRD" \
		--cpus "$cpus" --memory "$mem" "$@" \
		--cmdline "console=ttyAMA0 quiet armvm.cpus=$cpus armvm.mem=$(mem_bytes "$mem")" \
		</dev/null >"$log" 2>&1
	rc=$?
	if [ $rc = 0 ] && grep -q "GUEST-RESULT PASS" "$log" &&
		[ "$(grep -c GUEST-BOOTED "$log")" = 1 ]; then
		pass "$name"
	else
		fail "$name" "armvm exit $rc; $(grep 'GUEST-CHECK FAIL' "$log" | head -3 | tr '\n' ' ')" "$log"
	fi
}

# drive LOG ARMVM-ARGS...: run armvm with a FIFO as its stdin (the guest's
# console input) and answer the test guest's questions (tests/guest/init):
#   GUEST-WAITING-TIME  -> this host's time (seconds since the epoch)
#   GUEST-WAITING       -> the next word of $ANSWERS ("reboot"; default
#                          "poweroff")
# Returns armvm's exit status (124 if it timed out).
drive() {
	_log=$1
	shift
	_fifo=/tmp/console-in.$$
	rm -f "$_fifo" && mkfifo "$_fifo"
	timeout $ARMVM_TIMEOUT armvm "$@" <"$_fifo" >"$_log" 2>&1 &
	_pid=$!
	exec 3>"$_fifo"
	_times=0 _waits=0 _answers=${ANSWERS:-}
	while kill -0 $_pid 2>/dev/null; do
		_n=$(tr -d '\r' <"$_log" | grep -c -x GUEST-WAITING-TIME)
		if [ "$_n" -gt "$_times" ]; then
			_times=$_n
			date +%s >&3
		fi
		_n=$(tr -d '\r' <"$_log" | grep -c -x GUEST-WAITING)
		if [ "$_n" -gt "$_waits" ]; then
			_waits=$_n
			set -- $_answers
			echo "${1:-poweroff}" >&3
			[ $# -gt 0 ] && shift
			_answers="$*"
		fi
		sleep 0.2
	done
	wait $_pid
	_rc=$?
	exec 3>&-
	rm -f "$_fifo"
	return $_rc
}
