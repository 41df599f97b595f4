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
	[ -n "${3:-}" ] && [ -f "$3" ] || return 0
	# A guest oops: its start too (the tail shows only the end).
	oops_excerpt "$3" '    ! '
	tail -n 40 "$3" | sed 's/^/    | /'
	return 0
}

# oops_excerpt LOG PREFIX: the lines around the first guest oops or panic
# in LOG, each after PREFIX; nothing if there is none.
oops_excerpt() {
	_oops=$(grep -n -m1 'Internal error\|Unable to handle\|Kernel panic\|BUG\|Insufficient stack space' "$1" | cut -d: -f1)
	[ -n "$_oops" ] || return 0
	sed -n "$((_oops > 20 ? _oops - 20 : 1)),$((_oops + 40))p" "$1" | sed "s/^/$2/"
}

# The armhf kernel panics now and then in this nested, emulated host, under
# armvm and under QEMU alike (its state garbled: "Returning to usermode but
# unexpected PSR bits set", "CPU: 1351508", NULL dereferences), at random
# points after init started. A boot whose guest panicked is shown as "#"
# lines and retried (aarch32.sh, conform.sh, each with its own bound), so
# the flake does not hide the other results. Each retry prints a "RETRY:" line,
# which tests/run counts, so a rising rate shows. (See docs/sandbox.md.)
# An oops counts too: CI once saw a guest power off cleanly without its
# result, and an oops it survived is the likeliest cause. So does the
# kernel's stack-overflow report (CI, stop 23: "Insufficient stack space to
# handle exception!" with a task stack at 0, i.e. a garbled `current`),
# which hangs before it prints its panic.
# guest_panicked NAME LOG: did it? If so, show where.
guest_panicked() {
	# Not the flake: a corrupted initrd is the same at every boot.
	grep -q "Initramfs unpacking failed" "$2" && return 1
	grep -q "Kernel panic\|Unable to handle kernel\|Internal error:\|kernel BUG\|Insufficient stack space to handle exception" "$2" || return 1
	echo "RETRY: $1: the guest kernel panicked"
	echo "# $1: the guest kernel panicked; its log, then a retry:"
	oops_excerpt "$2" '#   '
}

# mem_bytes SIZE: 512M -> 536870912 (M and G only, as the tests use).
mem_bytes() {
	case $1 in
	*G) echo $((${1%G} * 1073741824)) ;;
	*M) echo $((${1%M} * 1048576)) ;;
	esac
}

# boot_and_check NAME CPUS MEMORY [ARMVM OPTIONS...]: boot the test guest,
# which checks itself (tests/guest/init) and powers off. $GUEST_ARGS, when
# set, goes on the kernel command line too (more armvm.* checks); the log
# is left in $log.
boot_and_check() {
	name=$1 cpus=$2 mem=$3
	shift 3
	log=/tmp/$(echo "$name" | tr / -).log
	timeout $ARMVM_TIMEOUT armvm run --kernel "$KERNEL" --initrd "$INITRD" \
		--cpus "$cpus" --memory "$mem" "$@" \
		--cmdline "console=ttyAMA0 quiet armvm.cpus=$cpus armvm.mem=$(mem_bytes "$mem")${GUEST_ARGS:+ $GUEST_ARGS}" \
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
# Returns armvm's exit status (124 if it timed out; 143 if stopped after
# the guest's kernel panicked).
drive() {
	_log=$1
	shift
	_fifo=/tmp/console-in.$$
	rm -f "$_fifo" && mkfifo "$_fifo"
	# Empty the log here, not in the background job: that job opens the
	# FIFO first (blocking until exec 3> below) and truncates the log only
	# after, so the loop could read a previous run's questions (a retry
	# reuses its log) and answer them into the new guest's console.
	: >"$_log"
	timeout $ARMVM_TIMEOUT armvm "$@" <"$_fifo" >"$_log" 2>&1 &
	_pid=$!
	exec 3>"$_fifo"
	_times=0 _waits=0 _overflow=0 _answers=${ANSWERS:-}
	while kill -0 $_pid 2>/dev/null; do
		# A guest whose kernel panicked never powers off: stop it now
		# rather than at the timeout. A 32-bit kernel whose state the
		# nested host garbled (docs/sandbox.md) may instead die in its
		# stack-overflow handler, which hangs before its panic line:
		# give that 10 s (50 rounds) to finish printing, then stop it.
		if grep -q -- "---\[ end Kernel panic" "$_log"; then
			kill $_pid 2>/dev/null
			break
		fi
		if grep -q "Insufficient stack space to handle exception" "$_log"; then
			_overflow=$((_overflow + 1))
			if [ $_overflow -ge 50 ]; then
				kill $_pid 2>/dev/null
				break
			fi
		fi
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

# The agent (tests/guest/init, armvm.mode=agent): start armvm in the
# background with a FIFO as its console input, then run commands in the
# guest one at a time.
#   agent_start LOG ARMVM-RUN-ARGS...   (sets AGENT_PID; waits for the agent)
#   agent_exec LOG COMMAND [ARGS...]    (the same with any VMM whose stdin
#                                        and stdout are the guest's console,
#                                        e.g. qemu-system-aarch64 -serial stdio)
#   guest CMD...                        (runs "CMD" in the guest; its status)
#   agent_stop                          (ends the agent; the VMM's status)
agent_start() {
	_alog=$1
	shift
	agent_exec "$_alog" armvm run "$@"
}

agent_exec() {
	_alog=$1
	shift
	_afifo=/tmp/agent-in.$$
	rm -f "$_afifo" && mkfifo "$_afifo"
	: >"$_alog" # before the job starts: see drive
	timeout $ARMVM_TIMEOUT "$@" <"$_afifo" >"$_alog" 2>&1 &
	AGENT_PID=$!
	exec 4>"$_afifo"
	_adone=0
	agent_wait_for GUEST-READY 120
}

# agent_wait_for PATTERN SECONDS: wait until LOG has a line with PATTERN.
agent_wait_for() {
	_i=0
	while ! grep -q "$1" "$_alog"; do
		kill -0 $AGENT_PID 2>/dev/null || return 1
		[ $_i -ge $(($2 * 5)) ] && return 1
		_i=$((_i + 1))
		sleep 0.2
	done
}

# guest COMMAND: run COMMAND in the agent's guest; its exit status, 125 if
# armvm ended, 124 if no answer came within 120 s. After one 124 the agent
# (by its pid) counts as hung, and every later call fails at once: a hung
# guest costs one wait, not one per remaining check (CI's budget).
guest() {
	[ "${_ahung:-}" = "$AGENT_PID" ] && return 124
	echo "$*" >&4
	_adone=$((_adone + 1))
	_i=0
	while [ "$(tr -d '\r' <"$_alog" | grep -c '^GUEST-DONE ')" -lt $_adone ]; do
		kill -0 $AGENT_PID 2>/dev/null || return 125
		if [ $_i -ge 600 ]; then
			_ahung=$AGENT_PID
			return 124
		fi
		_i=$((_i + 1))
		sleep 0.2
	done
	return "$(tr -d '\r' <"$_alog" | grep '^GUEST-DONE ' | sed -n "${_adone}p" | cut -d' ' -f2)"
}

agent_stop() {
	echo exit >&4
	wait $AGENT_PID
	_rc=$?
	exec 4>&-
	return $_rc
}

# expect_error NAME PATTERN ARMVM-ARGS...: armvm refuses bad input with one
# line on stderr matching PATTERN, a plain non-zero exit (not a signal, not
# the timeout) and nothing on stdout. NAME is put under $prefix.
expect_error() {
	name=$prefix/$1 pattern=$2
	shift 2
	timeout 60 armvm "$@" </dev/null >/tmp/out 2>/tmp/err
	rc=$?
	lines=$(wc -l </tmp/err)
	if [ $rc = 0 ] || [ $rc = 124 ] || [ $rc -ge 128 ]; then
		fail "$name" "exit status $rc (want a plain error)" /tmp/err
	elif [ "$lines" != 1 ]; then
		fail "$name" "$lines lines on stderr (want one)" /tmp/err
	elif ! grep -q -- "$pattern" /tmp/err; then
		fail "$name" "message does not match '$pattern': $(cat /tmp/err)"
	elif [ -s /tmp/out ]; then
		fail "$name" "wrote to stdout" /tmp/out
	else
		pass "$name"
	fi
}
