#!/bin/sh
# Runs inside tools/sandbox: a hostile bare-metal guest (tests/guest/hostile)
# writes garbage to the CFI flash command registers, PCI configuration space
# and virtio-pci registers, and feeds the virtio-blk device malformed queues
# (issue 3, bad input); then the same for virtio-net, -rng, -balloon and -console,
# and it abuses pl011, pl031 and pl061, while its second vCPU hammers the
# RTC and GPIO throughout (issue 10). armvm must keep running or stop cleanly with a
# message, never crash or hang; a malformed queue must put the device into
# DEVICE_NEEDS_RESET; the disk image must not change.
#   hostile.sh PREFIX     (files: /root/hostile.fd, /root/scratch.img)
. /root/lib.sh
prefix=$1
fd=/root/hostile.fd img=/root/scratch.img out=/tmp/hostile.out err=/tmp/hostile.err

before=$(sha256sum "$img" | cut -d' ' -f1)
rm -f /tmp/h.vars
# On bus 0 the disk, virtio-net (user networking), virtio-rng, the balloon
# and the virtio-console, no hot-plug ports: the program counts the empty
# slots and buses it pokes.
timeout 120 armvm run --firmware "$fd" --disk "$img" --vars /tmp/h.vars --hotplug-slots 0 \
	--net user --virtio-console pty --cpus 2 --memory 256M </dev/null >"$out" 2>"$err"
rc=$?
tr -d '\r' <"$out" >"$out.txt"
cat "$out.txt" "$err" >/tmp/hostile.all

# armvm ended by itself: the guest powered off (0), or armvm stopped with
# a message (its last stderr line); never a signal or the timeout.
name=$prefix/armvm-survives
if [ $rc = 0 ]; then
	pass "$name"
elif [ $rc = 124 ]; then
	fail "$name" "armvm hung (killed after 120 s)" /tmp/hostile.all
elif [ $rc -ge 128 ]; then
	fail "$name" "armvm died of signal $((rc - 128))" /tmp/hostile.all
elif tail -n 1 "$err" | grep -q '^armvm: '; then
	pass "$name"
	echo "# armvm stopped with status $rc: $(tail -n 1 "$err")"
else
	fail "$name" "exit status $rc without a message" /tmp/hostile.all
fi

# has NAME LINE-PATTERN WHY: a line of the guest's output matches.
has() {
	if grep -q -- "$2" "$out.txt"; then
		pass "$prefix/$1"
	else
		fail "$prefix/$1" "$3" /tmp/hostile.all
	fi
}

# Every attack ran to its marker (a missing one: armvm stopped there).
for m in START FLASH-GARBAGE FLASH-EVERY-COMMAND FLASH-HALF-COMMANDS \
	FLASH-BUFFER-ABUSE FLASH-ERASE-ABUSE FLASH-ACCESS-SIZES \
	FLASH-QUERY-READS FLASH-CODE-BANK FLASH-RECOVERED PCI-CONFIG-GARBAGE \
	VIRTIO-COMMON-GARBAGE VIRTIO-NOTIFY-GARBAGE VIRTIO-MSIX-GARBAGE \
	VIRTIO-DEVCFG-GARBAGE VIRTIO-IO VIRTIO-QUEUES VIRTIO-OTHERS SECOND-CPU PLATFORM-ABUSE \
	DONE; do
	has "marker-$(echo "$m" | tr 'A-Z' 'a-z')" "^HOSTILE: $m\b" "no '$m' marker"
done
name=$prefix/no-guest-exception
if grep -q "UNEXPECTED-EXCEPTION" "$out.txt"; then
	fail "$name" "$(grep UNEXPECTED-EXCEPTION "$out.txt")"
else
	pass "$name"
fi

# The flash: the code bank ignored every write; after the storm the
# variable bank still answers (ID, erase, buffered program, read back).
has flash-code-bank-unchanged "^HOSTILE: FLASH-CODE-BANK unchanged=1" \
	"the code bank changed or did not answer"
has flash-query-ids "FLASH-QUERY-READS id0=0x890089 id1=0x180018 qry=0x595251" \
	"wrong manufacturer/device id or no QRY after the garbage"
has flash-recovers "^HOSTILE: FLASH-RECOVERED ok=1" \
	"the state machine did not recover: $(grep FLASH-RECOVERED "$out.txt")"
# What the guest saw programmed is in the store file (durability).
name=$prefix/flash-program-in-store
if [ "$(head -c 4 /tmp/h.vars 2>/dev/null)" = HTIL ]; then
	pass "$name"
else
	fail "$name" "the store does not start with the word the guest programmed"
fi

# PCI: absent functions read all ones; BAR sizing still works.
has pci-absent-functions "PCI-CONFIG-GARBAGE .*bar0-size-mask=0xffff8000 absent-all-ones=49" \
	"BAR sizing or absent functions wrong: $(grep PCI-CONFIG "$out.txt")"
# virtio: features refused without VERSION_1, the capacity read-only.
has virtio-feature-checks "status-all-features=0xb status-no-version1=0x3" \
	"FEATURES_OK handling: $(grep VIRTIO-COMMON "$out.txt")"
has virtio-config-read-only "capacity-before=0x2000 capacity-after=0x2000" \
	"device config changed: $(grep VIRTIO-DEVCFG "$out.txt")"

# Each malformed queue case: the guest read DEVICE_NEEDS_RESET (0x40) in
# the device status; each bad request: an error status, no reset needed.
name=$prefix/needs-reset
nr=$(grep -c "^HOSTILE: VQ .* needs_reset=1 want=1 .* ok=1" "$out.txt")
if [ "$nr" -ge 25 ]; then
	pass "$name"
else
	fail "$name" "only $nr malformed-queue cases ended in NEEDS_RESET (want 25)" /tmp/hostile.all
fi
name=$prefix/queue-cases
bad=$(grep "^HOSTILE: VQ " "$out.txt" | grep -v " ok=1$")
if [ -z "$bad" ] && grep -q "^HOSTILE: VIRTIO-QUEUES ok=34 bad=0" "$out.txt"; then
	pass "$name"
else
	fail "$name" "$(echo "$bad" | head -3 | tr '\n' ' ') $(grep VIRTIO-QUEUES "$out.txt")"
fi
# virtio-net, -rng, -console and -balloon: the same 24 malformed queues
# each end in NEEDS_RESET, and then each serves a good request (a frame
# sent, random bytes, console text, a deflate of 16 PFNs).
for id in 0x1041 0x1043 0x1044 0x1045; do
	has "virtio-$id-still-works" "^HOSTILE: VIRTIO-DEVICE-WORKS id=$id works=1$" \
		"device $id: $(grep "VIRTIO-DEVICE-WORKS id=$id" "$out.txt")"
done
has virtio-other-devices "^HOSTILE: VIRTIO-OTHERS devices=4 working=4 ok=96 bad=0$" \
	"$(grep VIRTIO-OTHERS "$out.txt")"
# After all that the device still reads the disk (after a reset).
has virtio-still-reads "^HOSTILE: VIRTIO-IO sector0=ARMVM-HOSTILE-SCRATCH" \
	"the last read of sector 0 did not return the image's first bytes"

# The platform devices after the garbage: each still gives its PrimeCell
# part number, the UART's loopback keeps exactly one FIFO (16 bytes of 40),
# the RTC counts from a time loaded into it. The second vCPU started,
# ran rounds while vCPU 0 attacked, and stopped when asked.
has platform-ids "PLATFORM-ABUSE uart-id=0x1011 rtc-id=0x1031 gpio-id=0x1061" \
	"a device lost its identity: $(grep PLATFORM-ABUSE "$out.txt")"
has uart-loopback-fifo "PLATFORM-ABUSE .* uart-loopback=16 " \
	"loopback: $(grep PLATFORM-ABUSE "$out.txt")"
has rtc-still-counts "PLATFORM-ABUSE .* rtc-set=1$" \
	"the RTC did not read back a loaded time: $(grep PLATFORM-ABUSE "$out.txt")"
name=$prefix/second-vcpu-concurrent
passes=$(sed -n 's/^HOSTILE: SECOND-CPU cpu-on=0x0 passes=\([0-9]*\) stopped=1$/\1/p' "$out.txt")
if [ -n "$passes" ] && [ "$passes" -ge 2 ]; then
	pass "$name"
	echo "# the second vCPU ran $passes rounds of RTC/GPIO garbage meanwhile"
else
	fail "$name" "$(grep SECOND-CPU "$out.txt")" /tmp/hostile.all
fi

# Nothing the guest did wrote the disk image.
after=$(sha256sum "$img" | cut -d' ' -f1)
[ "$before" = "$after" ] && pass "$prefix/disk-unchanged" ||
	fail "$prefix/disk-unchanged" "image digest $before -> $after"

# A hostile guest cannot flood armvm's stderr: warnings are bounded
# (10 per virtio device, virtio.c VIRTIO_MAX_WARNINGS; five devices), plus
# the console's pty line.
name=$prefix/messages-bounded
lines=$(wc -l <"$err")
if [ "$lines" -le 55 ]; then
	pass "$name"
else
	fail "$name" "$lines lines on stderr" "$err"
fi

# armvm is still usable afterwards
# (the exit status of the run above covers the store it scribbled on).
armvm --version >/dev/null 2>&1 && pass "$prefix/armvm-usable-after" ||
	fail "$prefix/armvm-usable-after" "armvm --version failed"
exit 0
