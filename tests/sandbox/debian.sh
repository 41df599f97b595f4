#!/bin/sh
# Runs inside tools/sandbox: a real Debian 12 system under armvm (issue 12),
# the image from tests/guest/mkdebian at /root/debian.img (a --disk of the
# host), its root password "armvm".
#   debian.sh PREFIX all|boot [ARCH]
# boot: through the firmware and systemd-boot to a login prompt, log in on
# the console, the system's state (and `uname -m` is ARCH when given: the
# armhf image's is armv7l), sshd through a hostfwd, a clean `ctl powerdown`.
# all: also the RTC, an efibootmgr entry used by the next boot and kept by
# the instance's store across a restart of armvm, `systemctl reboot` in the
# process, a disk hot-added and removed under udev, fstrim, the balloon,
# vsock (socat in the guest, /root/vsock-echo here).
. /root/lib.sh
prefix=$1 what=$2 arch=${3:-}
# Instances (--instance) under /tmp, not /var/lib/armvm (root's).
export ARMVM_INSTANCE_DIR=/tmp/state/armvm/instances
DISK=/root/debian.img
# A boot of a whole distribution in this nested, emulated host takes
# minutes; a login prompt within 15 of them.
LOGIN_TIMEOUT=900

# --- The console: log in, then run commands ----------------------------------
# deb_start LOG ARMVM-RUN-ARGS...: armvm in the background, its stdin a
# FIFO (the guest's console input), its control socket /tmp/deb.sock.
deb_start() {
	_dlog=$1
	shift
	_dfifo=/tmp/deb-in.$$
	rm -f "$_dfifo" /tmp/deb.sock && mkfifo "$_dfifo"
	: >"$_dlog"
	timeout 3000 armvm run --api-socket /tmp/deb.sock "$@" <"$_dfifo" >"$_dlog" 2>&1 &
	DEB_PID=$!
	exec 5>"$_dfifo"
	_dn=0
	_dlogins=0
}

# clean: the console log without carriage returns and terminal escapes.
ESC=$(printf '\033')
clean() { tr -d '\r' <"$_dlog" | sed "s/$ESC\[[?0-9;]*[a-zA-Z]//g"; }

# deb_wait PATTERN SECONDS [COUNT]: until the log has COUNT (default 1)
# lines matching PATTERN; 1 if armvm ended or the time ran out.
deb_wait() {
	_i=0
	while [ "$(clean | grep -c -- "$1")" -lt "${3:-1}" ]; do
		kill -0 $DEB_PID 2>/dev/null || return 1
		[ $_i -ge $(($2 * 2)) ] && return 1
		_i=$((_i + 1))
		sleep 0.5
	done
}

# deb_login: at the next login prompt on the console, root logs in; the
# shell stops echoing (commands are not mistaken for their output).
deb_login() {
	_dlogins=$((_dlogins + 1))
	# Counted, not anchored: once answered, a prompt's line also holds
	# the echoed name (the second boot's wait must still count the first).
	deb_wait "armvm-debian login:" $LOGIN_TIMEOUT $_dlogins || return 1
	echo root >&5
	deb_wait "Password:" 60 $_dlogins || return 1
	echo armvm >&5
	sleep 2
	# bash's readline brackets every command's output with escapes
	# (bracketed paste), and with echo off the prompt stays on the line
	# the output starts on: both off, so output lines start with it.
	echo "bind 'set enable-bracketed-paste off' 2>/dev/null; stty -echo; export TERM=dumb PS1=; echo LOGGED-\"IN $_dlogins\"" >&5
	deb_wait "LOGGED-IN $_dlogins" 120
}

# deb CMD: run CMD in the guest's shell; its output (each line) in
# $DEB_OUT, its status returned (124: no answer within 300 s).
deb() {
	_dn=$((_dn + 1))
	printf '%s\n' "o=\$( { $* ; } 2>&1); r=\$?; printf '%s\n' \"\$o\" | sed 's/^/O$_dn /'; echo \"E$_dn \$r\"" >&5
	deb_wait "^E$_dn " 300 || { DEB_OUT=; return 124; }
	DEB_OUT=$(clean | sed -n "s/^O$_dn //p")
	return "$(clean | sed -n "s/^E$_dn //p" | head -1)"
}

# deb_stop: powerdown on the control socket; armvm's exit status.
deb_stop() {
	armvm ctl --timeout 20 /tmp/deb.sock powerdown >/dev/null 2>&1
	_i=0
	while kill -0 $DEB_PID 2>/dev/null && [ $_i -lt 600 ]; do
		_i=$((_i + 1))
		sleep 0.5
	done
	kill $DEB_PID 2>/dev/null
	wait $DEB_PID
	_rc=$?
	exec 5>&-
	return $_rc
}

# check NAME WHY COMMAND...: PASS or FAIL (with the console's tail).
check() {
	_name=$prefix/$1 _why=$2
	shift 2
	if "$@"; then pass "$_name"; else fail "$_name" "$_why" "$_dlog"; fi
}

# --- First boot ----------------------------------------------------------------
start=$(cut -d' ' -f1 /proc/uptime)
deb_start /tmp/deb1.log --disk $DISK --instance deb --cpus 2 --memory 1G \
	--net user,hostfwd=tcp::2222-:22
if ! deb_login; then
	fail "$prefix/login" "no login on the console (armvm running: $(kill -0 $DEB_PID 2>/dev/null && echo yes || echo no))" /tmp/deb1.log
	kill $DEB_PID 2>/dev/null
	exit 0
fi
pass "$prefix/login"
echo "# $prefix: boot to logged in: $(awk -v s="$start" '{print $1 - s}' /proc/uptime) s"
echo "# $prefix: armvm's memory once booted: $(grep VmRSS /proc/$DEB_PID/status)"

# The system's state: running, or degraded with only units we can explain.
deb "systemctl is-system-running --wait"
state=$DEB_OUT
deb "systemctl --failed --no-legend --plain | cut -d' ' -f1"
failed=$(echo $DEB_OUT)
echo "# $prefix: system $state; failed units: ${failed:-none}"
check system-running "is-system-running says '$state', failed: $failed" \
	sh -c "[ '$state' = running ] || [ '$state' = degraded ]"

# sshd through user networking's hostfwd (host 2222 -> guest 22): the
# guest's OpenSSH answers with its version banner. (A login over ssh needs
# an arm64 ssh client in this host, which it does not carry: the console
# login above is the test's way in.)
banner=$( (sleep 5) | timeout 10 nc 127.0.0.1 2222 2>&1 | head -1 | tr -d '\r')
check ssh-hostfwd "127.0.0.1:2222 answered '$banner'" sh -c "echo '$banner' | grep -q '^SSH-2.0-OpenSSH'"

if [ -n "$arch" ]; then
	deb "uname -m"
	check arch "uname -m says '$DEB_OUT', expected $arch" [ "$DEB_OUT" = "$arch" ]
fi

# rtc-efi (the firmware's GetTime, over the pl031) within 2 s of this host.
# The answer comes back through the console, polled: the guest's time
# must lie within 2 s of the moments the question left and the answer came.
host_before=$(date +%s)
deb "cat /sys/class/rtc/rtc*/name | tr '\n' ' '; echo; date +%s"
host_after=$(date +%s)
guest_now=$(echo "$DEB_OUT" | tail -1)
check rtc-efi "RTCs '$(echo "$DEB_OUT" | head -1)', guest time $guest_now, host $host_before..$host_after" \
	sh -c "echo '$DEB_OUT' | head -1 | grep -q rtc-efi && [ ${guest_now:-0} -ge $((host_before - 2)) ] && [ ${guest_now:-0} -le $((host_after + 2)) ]"

[ "$what" = all ] || {
	deb_stop
	rc=$?
	check powerdown "armvm exit $rc after ctl powerdown" [ $rc = 0 ]
	exit 0
}

# A boot entry of the guest's own (efibootmgr writes the variable store),
# first in BootOrder: the next boot must use it.
deb "efibootmgr -c -d /dev/vda -p 1 -L armvm-test -l '\\EFI\\systemd\\systemd-bootaa64.efi' | grep armvm-test"
entry=$(echo "$DEB_OUT" | sed -n 's/^Boot\([0-9A-F]\{4\}\).*armvm-test.*/\1/p' | head -1)
check efibootmgr-create "efibootmgr -c: $DEB_OUT" [ -n "$entry" ]

# systemctl reboot: the guest resets, armvm boots it again in the process.
echo "systemctl reboot" >&5
if deb_login; then
	pass "$prefix/systemctl-reboot"
	deb "efibootmgr | grep BootCurrent"
	check boot-entry-used "after the reboot: '$DEB_OUT', the entry was $entry" \
		[ "$DEB_OUT" = "BootCurrent: $entry" ]
else
	fail "$prefix/systemctl-reboot" "no login after systemctl reboot" /tmp/deb1.log
fi
deb_stop
rc=$?
check powerdown "armvm exit $rc after ctl powerdown (logind, the power key)" [ $rc = 0 ]
check powerdown-clean "the guest did not power itself down" grep -q "reboot: Power down" /tmp/deb1.log

# --- The instance again: a new armvm, the same variable store -----------------
deb_start /tmp/deb2.log --disk $DISK --instance deb --cpus 2 --memory 1G --vsock path=/tmp/deb.vsock
if ! deb_login; then
	fail "$prefix/restart-login" "no login after restarting the instance" /tmp/deb2.log
	kill $DEB_PID 2>/dev/null
	exit 0
fi
deb "efibootmgr | grep -E 'BootCurrent|armvm-test'"
check boot-entry-persists "after a restart of the instance: $(echo $DEB_OUT)" \
	sh -c "echo '$DEB_OUT' | grep -q 'BootCurrent: $entry' && echo '$DEB_OUT' | grep -q 'Boot$entry.*armvm-test'"

# A disk hot-added while systemd runs: udev sees it, it is mounted,
# written, unmounted and removed in order; then fstrim gives its freed
# blocks back to the host (holes in the image file, on this host's tmpfs).
cp /root/hp.ext4 /tmp/hp.img
armvm ctl --timeout 20 /tmp/deb.sock device-add type=block id=hp path=/tmp/hp.img >/tmp/ctl.out 2>&1
deb "udevadm settle; for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /dev/disk/by-label/hotplug ] && break; sleep 1; done; mkdir -p /mnt/hp && mount /dev/disk/by-label/hotplug /mnt/hp && dd if=/dev/urandom of=/mnt/hp/data bs=1M count=16 status=none && echo hot-written >/mnt/hp/note && sync && cat /mnt/hp/note"
check hotplug-disk-used "device-add: $(cat /tmp/ctl.out); in the guest: $DEB_OUT" [ "$DEB_OUT" = hot-written ]
before=$(du -k /tmp/hp.img | cut -f1)
deb "rm /mnt/hp/data && sync && fstrim -v /mnt/hp"
trimmed=$DEB_OUT
after=$(du -k /tmp/hp.img | cut -f1)
check fstrim "fstrim: '$trimmed'; the image used $before KiB before, $after after" \
	sh -c "echo '$trimmed' | grep -q 'trimmed' && [ $after -lt $((before - 8192)) ]"
deb "umount /mnt/hp && echo unmounted"
armvm ctl --timeout 60 /tmp/deb.sock device-del id=hp >/tmp/ctl.out 2>&1
deb "for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /dev/disk/by-label/hotplug ] || break; sleep 1; done; [ -e /dev/disk/by-label/hotplug ] && echo present || echo gone"
check hotplug-disk-removed "device-del: $(cat /tmp/ctl.out); in the guest: $DEB_OUT" [ "$DEB_OUT" = gone ]
grep -q hot-written /tmp/hp.img
check hotplug-disk-written "the guest's file is not in the image" grep -q hot-written /tmp/hp.img

# Free page reporting (virtio 5.5.6.7): the guest touches 300 MiB (a tmpfs
# file: armvm's RSS grows), then frees it; Linux reports free 2 MiB blocks
# after about 2 s and armvm gives them back to the host (MADV_DONTNEED), so
# its RSS must fall by at least 128 MiB from the filled level without any
# balloon request.
rss() { grep VmRSS /proc/$DEB_PID/status | tr -s ' ' | cut -d' ' -f2; }
rss_before=$(rss)
deb "dd if=/dev/zero of=/dev/shm/fill bs=1M count=300 2>/dev/null; sync; echo filled"
rss_filled=$(rss)
deb "rm -f /dev/shm/fill; echo freed"
_i=0
while [ $_i -lt 30 ] && [ "$(rss)" -gt $((rss_filled - 131072)) ]; do
	sleep 1
	_i=$((_i + 1))
done
rss_reported=$(rss)
echo "# $prefix: free page reporting: armvm RSS $rss_before kB, $rss_filled kB with 300 MiB touched, $rss_reported kB ${_i} s after the guest freed it"
check balloon-free-page-reporting "RSS $rss_before -> $rss_filled (filled) -> $rss_reported kB (freed)" \
	sh -c "[ $rss_filled -gt $((rss_before + 131072)) ] && [ $rss_reported -le $((rss_filled - 131072)) ]"

# The balloon: the guest gives up 256 MiB (its MemTotal shrinks), armvm's
# RSS is shown before and after (what it gives back depends on how much of
# the guest's free memory was touched and not yet reported); the guest's
# own memory comes back.
deb "grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2"
total0=$DEB_OUT
rss0=$(rss)
armvm ctl --timeout 60 /tmp/deb.sock balloon size=256M >/tmp/ctl.out 2>&1
deb "grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2"
total1=$DEB_OUT
rss1=$(rss)
echo "# $prefix: balloon 256M: guest MemTotal $total0 -> $total1 kB, armvm RSS $rss0 -> $rss1 kB"
check balloon-inflate "balloon: $(cat /tmp/ctl.out); MemTotal $total0 -> $total1 kB" \
	sh -c "[ $((${total0:-0} - ${total1:-0})) -ge 250000 ] && [ $((${total0:-0} - ${total1:-0})) -le 270000 ]"
armvm ctl --timeout 60 /tmp/deb.sock balloon size=0 >/tmp/ctl.out 2>&1
deb "grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2"
check balloon-deflate "balloon size=0: $(cat /tmp/ctl.out); MemTotal $total0 -> $DEB_OUT kB" [ "$DEB_OUT" = "$total0" ]

# vsock: socat in the guest echoes, this host's vsock-echo through the bridge.
deb "(socat VSOCK-LISTEN:5000,fork EXEC:cat >/dev/null 2>&1 &) ; sleep 1; echo started"
timeout 30 /root/vsock-echo unix-connect /tmp/deb.vsock 5000 debian-vsock >/tmp/vs.out 2>&1
check vsock-round-trip "$(tr '\n' '|' </tmp/vs.out)" grep -q debian-vsock /tmp/vs.out

deb_stop
rc=$?
check restart-powerdown "armvm exit $rc after ctl powerdown" [ $rc = 0 ]
exit 0
