#!/bin/sh
# Runs inside tools/sandbox on a GICv2 host, the guest told pci=nomsi so
# that every interrupt is INTx (armvm's GICv2m frame would otherwise carry
# MSIs): a disk hot-added and removed twice while the guest runs. A root port once signalled on the INTA# line its device reaches the
# host on, and Linux's pciehp then hung at the first removal, waiting in
# synchronize_irq() for its own interrupt thread (devices/pcie_port.c).
#   hotplug-intx.sh PREFIX
. /root/lib.sh
prefix=$1
API=/tmp/intx.sock
ctl() { armvm ctl --timeout 60 "$API" "$@"; }
agent_start /tmp/intx.log --kernel "$KERNEL" --initrd "$INITRD" --cpus 2 --memory 512M \
	--cmdline "console=ttyAMA0 quiet pci=nomsi armvm.cpus=2 armvm.mem=536870912 armvm.mode=agent" \
	--api-socket $API --hotplug-slots 1 ||
	{ fail "$prefix/boot" "the guest agent did not start" /tmp/intx.log; exit 0; }
DISK='d=/dev/$(grep -l "^intx.img" /sys/block/vd*/serial 2>/dev/null | cut -d/ -f4 | head -1)'
WAIT_DISK="for i in \$(seq 150); do $DISK; [ -b \$d ] && break; sleep 0.1; done; [ -b \$d ]"
# status names the MSI controller: this GICv2 machine's GICv2m frame.
ctl status >/tmp/r 2>&1
tr -d ' \n' </tmp/r | grep -q '"gic":2,"msi":"gicv2m"' && pass "$prefix/status-msi" ||
	fail "$prefix/status-msi" "$(cat /tmp/r)" /tmp/intx.log
head -c 4194304 /dev/zero >/tmp/intx.img
for round in 1 2; do
	ctl device-add type=block id=d$round path=/tmp/intx.img >/tmp/r 2>&1 && guest "$WAIT_DISK" ||
		{ fail "$prefix/add-$round" "$(cat /tmp/r); the guest saw no disk" /tmp/intx.log; break; }
	pass "$prefix/add-$round"
	# ctl waits until the guest has released the slot (or its timeout).
	ctl device-del id=d$round >/tmp/r 2>&1 && guest "! grep -q intx.img /sys/block/vd*/serial" ||
		{ fail "$prefix/del-$round" "$(cat /tmp/r)" /tmp/intx.log; break; }
	pass "$prefix/del-$round"
done
ctl powerdown >/dev/null 2>&1
wait $AGENT_PID
rc=$?
[ $rc = 0 ] && pass "$prefix/powerdown" || fail "$prefix/powerdown" "armvm exit $rc" /tmp/intx.log
