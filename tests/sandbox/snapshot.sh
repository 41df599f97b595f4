#!/bin/sh
# Runs inside tools/sandbox: snapshot and restore (issue 13). A guest runs a
# workload (a counter on the console, data written and checksummed on a
# virtio-blk disk, a hot-plugged disk); it is snapshotted twice while
# paused (the files must be identical), armvm quits, a new armvm restores
# it, and the guest goes on: its counter, its disks, its interrupts
# (timer, virtio, the pl011's input), a reboot. Then bad snapshots, each
# refused with one line.
#   snapshot.sh PREFIX direct|uefi
. /root/lib.sh
prefix=$1 boot=$2
ARMVM_TIMEOUT=900
A1=/tmp/snap-a1.sock A2=/tmp/snap-a2.sock
# Instances (--instance) under /tmp, not /var/lib/armvm (root's).
export ARMVM_INSTANCE_DIR=/tmp/state/armvm/instances
rm -rf /tmp/snap1 /tmp/snap2 /tmp/bad*

head -c 8388608 /dev/zero >/tmp/data.img
head -c 8388608 /dev/zero >/tmp/hp.img
cmdline="console=ttyAMA0 quiet armvm.cpus=2 armvm.mem=536870912 armvm.mode=agent"
if [ "$boot" = uefi ]; then
	set -- --disk /root/agent.img --instance snap
else
	set -- --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$cmdline"
fi
agent_start /tmp/snap1.log "$@" --disk /tmp/data.img --cpus 2 --memory 512M \
	--api-socket $A1 --hotplug-slots 2 ||
	{ fail "$prefix/boot" "the guest agent did not start" /tmp/snap1.log; exit 0; }
pass "$prefix/boot"

# The data disk is the one whose serial is data.img; the hot-plugged one's
# is hp.img.
disk() { echo "d=/dev/\$(grep -l '^$1' /sys/block/vd*/serial | cut -d/ -f4 | head -1)"; }
DATA=$(disk data.img) HP=$(disk hp.img)
guest "$DATA; head -c 1048576 /dev/urandom >/tmp/w && dd if=/tmp/w of=\$d bs=65536 conv=fsync 2>/dev/null && echo \"GUEST-SUM \$(md5sum </tmp/w | cut -d' ' -f1)\""
want=$(tr -d '\r' </tmp/snap1.log | sed -n 's/^GUEST-SUM //p' | tail -1)
armvm ctl $A1 device-add type=block id=hp path=/tmp/hp.img >/tmp/r 2>&1 &&
	guest "for i in \$(seq 150); do $HP; [ -b \$d ] && break; sleep 0.1; done; [ -b \$d ]" ||
	fail "$prefix/hotplug-before" "$(cat /tmp/r)" /tmp/snap1.log
# The counter: a line a second on the console, from the guest's timer.
guest '(i=0; while :; do echo "GUEST-COUNT $i"; i=$((i + 1)); sleep 1; done) </dev/null >/dev/console 2>&1 &'
sleep 3
# The MSI count of the data disk's queue now (GICv3 with ITS: ITS-MSI).
guest 'echo "GUEST-IRQS-BEFORE $(grep -E "virtio|ITS|MSI" /proc/interrupts | awk "{s += \$2 + \$3} END {print s}")"'

# The sections of a snapshot's state file (docs/snapshot.md): "TAG START
# LENGTH" a line, to tell which one two snapshots differ in.
sections() {
	_off=72 _size=$(stat -c %s "$1")
	while [ $_off -lt $_size ]; do
		_n=$(od -An -tu1 -j $_off -N1 "$1" | tr -d ' ')
		_tag=$(dd if="$1" bs=1 skip=$((_off + 1)) count=$_n 2>/dev/null)
		_len=$(od -An -tu4 -j $((_off + 1 + _n)) -N4 "$1" | tr -d ' ')
		echo "$_tag $((_off + 9 + _n)) $_len"
		_off=$((_off + 9 + _n + _len))
	done
}
differs_in() {
	_at=$(cmp "$1" "$2" | sed -n 's/.*char \([0-9]*\).*/\1/p')
	[ -n "$_at" ] || return 0
	echo "first difference at byte $_at"
	sections "$1" | while read -r _tag _start _len; do
		[ $_at -gt $_start ] && [ $_at -le $((_start + _len)) ] &&
			echo "in section $_tag, byte $((_at - _start - 1)) of $_len"
	done
	cmp -l "$1" "$2" | head -5
}

# --- two snapshots while paused: the same files ------------------------------
armvm ctl $A1 pause >/dev/null
ms() { awk '{ print int($1 * 1000) }' /proc/uptime; }
t0=$(ms)
armvm ctl $A1 snapshot /tmp/snap1 paused=true >/tmp/r 2>&1 &&
	pass "$prefix/snapshot" || fail "$prefix/snapshot" "$(cat /tmp/r)" /tmp/snap1.log
t1=$(ms)
armvm ctl $A1 snapshot /tmp/snap2 >/tmp/r 2>&1
grep -q '"paused"' /tmp/r && cmp -s /tmp/snap1/state /tmp/snap2/state && cmp -s /tmp/snap1/ram /tmp/snap2/ram &&
	pass "$prefix/snapshot-twice-identical" ||
	fail "$prefix/snapshot-twice-identical" "$(cat /tmp/r; differs_in /tmp/snap1/state /tmp/snap2/state;
		cmp /tmp/snap1/ram /tmp/snap2/ram)"
ram_used=$(du -k /tmp/snap1/ram | cut -f1)
# Figures for the record (not checked: the emulated host's speed varies).
echo "# $prefix: snapshot of 512 MiB took $((t1 - t0)) ms; state $(stat -c %s /tmp/snap1/state) bytes, ram ${ram_used} KiB on disk"
[ "$ram_used" -lt 400000 ] && pass "$prefix/snapshot-ram-sparse" ||
	fail "$prefix/snapshot-ram-sparse" "${ram_used} KiB on disk for 512 MiB"
last=$(tr -d '\r' </tmp/snap1.log | sed -n 's/^GUEST-COUNT //p' | tail -1)
gic=$(armvm ctl $A1 status | sed -n 's/.*"gic": *\([0-9]\).*/\1/p')
armvm ctl $A1 quit >/dev/null 2>&1
wait $AGENT_PID
exec 4>&-

# --- restore: the guest goes on in a new armvm ------------------------------
# agent_exec waits for GUEST-READY, which a restored guest has long said:
# start it by hand, and count its answers from zero.
_alog=/tmp/snap2.log _afifo=/tmp/agent-in2.$$
rm -f $_afifo && mkfifo $_afifo && : >$_alog
t0=$(ms)
timeout $ARMVM_TIMEOUT armvm run --restore /tmp/snap1 --api-socket $A2 <$_afifo >$_alog 2>&1 &
AGENT_PID=$!
exec 4>$_afifo
_adone=0
agent_wait_for "GUEST-COUNT $((last + 1))" 60 && t1=$(ms)
agent_wait_for "GUEST-COUNT $((last + 2))" 60 && pass "$prefix/restore-counter-goes-on" ||
	fail "$prefix/restore-counter-goes-on" "no GUEST-COUNT after $last" $_alog
echo "# $prefix: from armvm run --restore to the guest's next counter line: $((t1 - t0)) ms"
first=$(tr -d '\r' <$_alog | sed -n 's/^GUEST-COUNT //p' | head -1)
[ -n "$first" ] && [ "$first" -gt "$last" ] && [ "$first" -le $((last + 2)) ] &&
	pass "$prefix/restore-counter-continuous" ||
	fail "$prefix/restore-counter-continuous" "before: $last, after: $first"
# The pl011's receive interrupt: the agent hears this command.
guest "$DATA; echo \"GUEST-SUM2 \$(head -c 1048576 \$d | md5sum | cut -d' ' -f1)\"" &&
	pass "$prefix/restore-console-input" || fail "$prefix/restore-console-input" "no answer" $_alog
got=$(tr -d '\r' <$_alog | sed -n 's/^GUEST-SUM2 //p' | tail -1)
[ -n "$want" ] && [ "$want" = "$got" ] && pass "$prefix/restore-data-disk" ||
	fail "$prefix/restore-data-disk" "wrote $want, read back $got" $_alog
# The hot-plugged disk: there, and it takes writes that reach the file.
guest "$HP; [ -b \$d ] && echo RESTORED-HP | dd of=\$d bs=512 conv=sync,fsync 2>/dev/null" &&
	head -c 11 /tmp/hp.img | grep -q RESTORED-HP && pass "$prefix/restore-hotplugged-disk" ||
	fail "$prefix/restore-hotplugged-disk" "$(head -c 16 /tmp/hp.img | od -c | head -2)" $_alog
# Virtio interrupts after the restore (MSI-X through the ITS on GICv3).
guest 'echo "GUEST-IRQS-AFTER $(grep -E "virtio|ITS|MSI" /proc/interrupts | awk "{s += \$2 + \$3} END {print s}")"'
b=$(tr -d '\r' </tmp/snap1.log | sed -n 's/^GUEST-IRQS-BEFORE //p' | tail -1)
a=$(tr -d '\r' <$_alog | sed -n 's/^GUEST-IRQS-AFTER //p' | tail -1)
[ -n "$a" ] && [ -n "$b" ] && [ "$a" -gt "$b" ] && pass "$prefix/restore-virtio-interrupts" ||
	fail "$prefix/restore-virtio-interrupts" "before $b, after $a" $_alog
armvm ctl $A2 device-list | grep -q '"hp"' && pass "$prefix/restore-device-list" ||
	fail "$prefix/restore-device-list" "$(armvm ctl $A2 device-list | tr -d '\n ')"
# UEFI: the firmware's runtime variable services work in the restored VM
# (its flash model and the instance's store), and what it wrote survives.
VAR=/sys/firmware/efi/efivars/ArmvmSnap-5e1f0d1c-8a2b-4c3d-9e4f-a0b1c2d3e4f5
EFIVARS='mount | grep -q efivarfs || mount -t efivarfs efivarfs /sys/firmware/efi/efivars'
if [ "$boot" = uefi ]; then
	guest "$EFIVARS; printf '\\007\\000\\000\\000snap' >$VAR && [ -e $VAR ]" &&
		pass "$prefix/restore-efi-variable-written" ||
		fail "$prefix/restore-efi-variable-written" "SetVariable failed" $_alog
fi
# A reboot afterwards: the guest starts again from the beginning.
# Sent as it is: the guest never answers a reboot (guest() would wait for
# its GUEST-DONE, and count the next answer as this one's).
# The firmware's boot after it can stop in PrePi with "Synchronous
# Exception at 0xEEF0", the nested host's EL0 thread-register fault
# (docs/sandbox.md), not armvm's; CI saw it once (stop 24's run at
# fb2a746). Such a boot is shown and retried once with `armvm ctl reset`;
# tests/run counts the RETRY: line. Anything else fails at once.
echo 'reboot -f' >&4
if ! agent_wait_for GUEST-READY 120 && [ "$boot" = uefi ] &&
	grep -aq "Synchronous Exception at 0x0*EEF0" $_alog; then
	echo "RETRY: $prefix/restore-then-reboot: the firmware stopped at 0xEEF0 (nested-host fault)"
	grep -a -B2 -A4 "Synchronous Exception" $_alog | head -12 | sed 's/^/#   /'
	armvm ctl $A2 reset >/dev/null 2>&1
	agent_wait_for GUEST-READY 120
fi
grep -aq GUEST-READY $_alog && pass "$prefix/restore-then-reboot" ||
	fail "$prefix/restore-then-reboot" "no GUEST-READY after the reboot" $_alog
if [ "$boot" = uefi ]; then
	guest "$EFIVARS; [ -e $VAR ]" && pass "$prefix/restore-efi-variable-survives-reboot" ||
		fail "$prefix/restore-efi-variable-survives-reboot" "$VAR is gone" $_alog
fi
armvm ctl $A2 quit >/dev/null 2>&1
wait $AGENT_PID
exec 4>&-
rm -f $_afifo

# --- bad snapshots: one line each, exit 1 -----------------------------------
cp -r /tmp/snap1 /tmp/bad-trunc && truncate -s 100 /tmp/bad-trunc/state
expect_error restore-truncated "bad-trunc/state: .* expected .* (truncated" run --restore /tmp/bad-trunc
cp -r /tmp/snap1 /tmp/bad-sum && printf 'X' | dd of=/tmp/bad-sum/state bs=1 seek=200 conv=notrunc 2>/dev/null
expect_error restore-corrupted "bad-sum/state: checksum mismatch" run --restore /tmp/bad-sum
cp -r /tmp/snap1 /tmp/bad-ver && printf '\002' | dd of=/tmp/bad-ver/state bs=1 seek=8 conv=notrunc 2>/dev/null
expect_error restore-newer-version "format version 2; this armvm reads version 1 (a newer armvm" run --restore /tmp/bad-ver
expect_error restore-extra-option "'--cpus' cannot be given" run --restore /tmp/snap1 --cpus 4
head -c 4194304 /dev/zero >>/tmp/data.img
expect_error restore-disk-resized "disk /tmp/data.img is 12582912 bytes; the snapshot's was 8388608" run --restore /tmp/snap1
truncate -s 8388608 /tmp/data.img
# Onto a host without the snapshot's GIC: a GICv3 VM where KVM (made to
# look so by a test hook that only ever refuses more) has none.
if [ "$gic" = 3 ]; then
	export ARMVM_TEST_NO_GICV3=1
	expect_error restore-other-gic "has a GICv3 with ITS, which this host's KVM cannot emulate" \
		run --restore /tmp/snap1
	unset ARMVM_TEST_NO_GICV3
fi
rm -rf /tmp/snap1 /tmp/snap2 /tmp/bad-*
