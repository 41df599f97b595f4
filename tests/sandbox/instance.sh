#!/bin/sh
# Runs inside tools/sandbox: named instances with a real guest (issue 16).
# The sandbox has no systemd, so the unit's ExecStart and ExecStop lines
# (systemd/armvm@.service, with %i and the path of armvm filled in) run by
# hand, with RUNTIME_DIRECTORY set as systemd sets it:
#
#   instance create (direct boot of the agent guest), ExecStart: the guest
#   boots, its socket is in the runtime folder, armvm ps lists it (pid,
#   vCPUs, memory, uptime, running, then paused), armvm ctl NAME works,
#   instance show says running, a second start and delete are refused
#   while it runs, ExecStop presses the power button and returns once armvm
#   exited 0; then ps no longer lists it and delete works. A second
#   instance, started with `armvm instance start`, is killed (-9): ps shows
#   its socket stale, at once, and the instance stopped. armvm run --config
#   boots a guest, and refuses a file with a duplicate key.
#
#   instance.sh PREFIX      (needs /root/lib.sh, /root/armvm@.service)
. /root/lib.sh
prefix=$1
UNIT=/root/armvm@.service
export ARMVM_INSTANCE_DIR=/tmp/instances
export RUNTIME_DIRECTORY=/run/armvm
unset ARMVM_RUNTIME_DIR
cmdline="console=ttyAMA0 quiet armvm.cpus=2 armvm.mem=536870912 armvm.mode=agent"

# unit_line KEY NAME: the unit's KEY= command for instance NAME.
unit_line() {
	sed -n "s/^$1=//p" $UNIT | sed -e "s|/usr/bin/armvm|armvm|" -e "s|%i|$2|g"
}
# status_field NAME KEY: a number from NAME's status.
status_field() {
	armvm ctl "$1" status 2>/dev/null | tr -d ' \n' | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}

# --- create, then the unit's ExecStart ----------------------------------
if armvm instance create web --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "$cmdline" --cpus 2 --memory 512M >/tmp/out 2>&1 &&
	[ -f $ARMVM_INSTANCE_DIR/web/config.json ]; then
	pass "$prefix/create"
else
	fail "$prefix/create" "$(cat /tmp/out)"
	exit 0
fi
start=$(unit_line ExecStart web)
stop=$(unit_line ExecStop web)
case $start in
"armvm run --instance web") pass "$prefix/unit-exec-start" ;;
*) fail "$prefix/unit-exec-start" "ExecStart is '$start'" ;;
esac
ARMVM_TIMEOUT=600
# shellcheck disable=SC2086 # the unit's command line, split as systemd does
agent_exec /tmp/web.log $start ||
	{ fail "$prefix/boot" "the guest agent did not start" /tmp/web.log; exit 0; }
WEB=$AGENT_PID
pass "$prefix/boot"
[ -S /run/armvm/web.sock ] && [ "$(stat -c %a /run/armvm/web.sock)" = 600 ] &&
	pass "$prefix/socket-in-runtime-dir" ||
	fail "$prefix/socket-in-runtime-dir" "$(ls -l /run/armvm 2>&1 | tr '\n' ' ')"

# --- ctl NAME, status's new fields, ps ------------------------------------
pid=$(status_field web pid)
armvm ctl web status >/tmp/st 2>&1
if [ -n "$pid" ] && [ "$(cat /proc/$pid/comm 2>/dev/null)" = armvm ] &&
	tr -d ' \n' </tmp/st | grep -q '"instance":"web"' &&
	tr -d ' \n' </tmp/st | grep -q '"gic":3,"msi":"its"'; then
	pass "$prefix/ctl-name-status"
else
	fail "$prefix/ctl-name-status" "pid '$pid': $(tr '\n' ' ' </tmp/st)"
fi
[ "$(cat $ARMVM_INSTANCE_DIR/web/lock 2>/dev/null)" = "$pid" ] &&
	pass "$prefix/lock-holds-pid" || fail "$prefix/lock-holds-pid" "lock: $(cat $ARMVM_INSTANCE_DIR/web/lock 2>&1)"
up1=$(status_field web uptime)
sleep 2
up2=$(status_field web uptime)
[ -n "$up1" ] && [ -n "$up2" ] && [ "$up2" -ge $((up1 + 1)) ] &&
	pass "$prefix/uptime-rises" || fail "$prefix/uptime-rises" "'$up1' then '$up2'"
armvm ps >/tmp/ps 2>&1
grep -Eq "^web +$pid +2 +512M +[0-9:-]+ running$" /tmp/ps &&
	pass "$prefix/ps-running" || fail "$prefix/ps-running" "$(tr '\n' '|' </tmp/ps)"
armvm ctl web pause >/dev/null 2>&1
armvm ps >/tmp/ps 2>&1
grep -Eq "^web +$pid +2 +512M +[0-9:-]+ paused$" /tmp/ps &&
	pass "$prefix/ps-paused" || fail "$prefix/ps-paused" "$(tr '\n' '|' </tmp/ps)"
armvm ctl web resume >/dev/null 2>&1
guest "true" && pass "$prefix/resumed" || fail "$prefix/resumed" "the guest does not answer" /tmp/web.log
armvm instance show web >/tmp/show 2>&1
grep -q "^state:   running (pid $pid)" /tmp/show && pass "$prefix/show-running" ||
	fail "$prefix/show-running" "$(tr '\n' '|' </tmp/show)"
armvm instance list >/tmp/list 2>&1
grep -Eq "^web +running \(pid $pid\)$" /tmp/list && pass "$prefix/list-running" ||
	fail "$prefix/list-running" "$(tr '\n' '|' </tmp/list)"

# --- refused while it runs: one line each -----------------------------------
expect_error delete-running "instance web is running (pid $pid); stop it first" instance delete web
expect_error second-start "instance web: in use by another armvm process (pid $pid)" run --instance web
[ -f $ARMVM_INSTANCE_DIR/web/config.json ] && kill -0 "$pid" 2>/dev/null &&
	pass "$prefix/refusals-harmless" || fail "$prefix/refusals-harmless" "the instance or its VM is gone"

# --- ExecStop: the power button, and back once armvm exited ------------------
t0=$(date +%s)
# shellcheck disable=SC2086
timeout 150 $stop >/tmp/stop 2>&1
rc=$?
if [ $rc = 0 ] && ! kill -0 "$pid" 2>/dev/null; then
	pass "$prefix/unit-exec-stop"
else
	fail "$prefix/unit-exec-stop" "'$stop' exit $rc after $(($(date +%s) - t0)) s, armvm $(kill -0 "$pid" 2>/dev/null && echo still runs || echo gone): $(cat /tmp/stop)" /tmp/web.log
fi
wait $WEB
rc=$?
exec 4>&-
[ $rc = 0 ] && grep -q GUEST-POWER-KEY /tmp/web.log && pass "$prefix/powered-off-cleanly" ||
	fail "$prefix/powered-off-cleanly" "armvm exit $rc" /tmp/web.log
# ExecStop after the service ended by itself (systemd runs it then too).
# shellcheck disable=SC2086
timeout 20 $stop >/tmp/stop 2>&1 && pass "$prefix/exec-stop-when-stopped" ||
	fail "$prefix/exec-stop-when-stopped" "$(cat /tmp/stop)"
armvm ps >/tmp/ps 2>&1
! grep -q '^web ' /tmp/ps && [ ! -e /run/armvm/web.sock ] && pass "$prefix/ps-after-stop" ||
	fail "$prefix/ps-after-stop" "$(tr '\n' '|' </tmp/ps)"
armvm instance show web 2>&1 | grep -q '^state:   stopped' && pass "$prefix/show-stopped" ||
	fail "$prefix/show-stopped" "$(armvm instance show web 2>&1 | tr '\n' '|')"

# --- instance start, then kill -9: a stale socket -------------------------------
armvm instance create k --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$cmdline" \
	--cpus 1 --memory 512M >/dev/null 2>&1
if agent_exec /tmp/k.log armvm instance start k --cpus 2; then
	kpid=$(status_field k pid)
	kcpus=$(status_field k cpus)
	[ "$kcpus" = 2 ] && pass "$prefix/start-overrides" || fail "$prefix/start-overrides" "cpus '$kcpus', want 2"
	kill -9 "$kpid"
	wait $AGENT_PID 2>/dev/null
	exec 4>&-
	t0=$(date +%s)
	armvm ps >/tmp/ps 2>&1
	took=$(($(date +%s) - t0))
	grep -Eq '^k +- +- +- +- stale$' /tmp/ps && [ $took -le 5 ] && pass "$prefix/ps-stale" ||
		fail "$prefix/ps-stale" "${took}s: $(tr '\n' '|' </tmp/ps)"
	armvm instance show k 2>&1 | grep -q '^state:   stopped' && pass "$prefix/killed-is-stopped" ||
		fail "$prefix/killed-is-stopped" "$(armvm instance show k 2>&1 | tr '\n' '|')"
	expect_error ctl-stale "/run/armvm/k.sock: cannot connect" ctl k status
else
	fail "$prefix/start" "armvm instance start k: the guest agent did not start" /tmp/k.log
fi
armvm instance delete k >/dev/null 2>&1 && armvm instance delete web >/dev/null 2>&1 &&
	[ ! -e $ARMVM_INSTANCE_DIR/web ] && pass "$prefix/delete" || fail "$prefix/delete" "$(ls $ARMVM_INSTANCE_DIR)"

# --- armvm run --config ---------------------------------------------------------
printf '{\n  "no-balloon": true,\n  "hotplug-slots": 1\n}\n' >/tmp/vm.json
boot_and_check "$prefix/run-config" 2 512M --config /tmp/vm.json
printf '{\n  "cpus": 2,\n  "cpus": 4\n}\n' >/tmp/dup.json
expect_error run-config-duplicate "dup.json:3:3: duplicate key 'cpus'" run --kernel "$KERNEL" --config /tmp/dup.json
exit 0
