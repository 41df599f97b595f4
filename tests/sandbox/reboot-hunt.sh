#!/bin/sh
# Runs inside tools/sandbox: in-process reboots in a loop, the guest asking
# on its console (armvm.mode=reboot) and this script answering through
# armvm's stdin, with a watchdog; not a test suite, a stress run of the
# console-answer protocol that the tests use (lib.sh drive). On a hang it
# shows each armvm thread's kernel state and the guest's markers, then
# sends the answer again.
#   tools/sandbox --add "$(tools/sandbox --print-kernel):/root/Image" \
#       --add guest.cpio.gz --add tests/sandbox/lib.sh:/root/lib.sh \
#       --add tests/sandbox/reboot-hunt.sh:/root/reboot-hunt.sh -- sh reboot-hunt.sh 40
. /root/lib.sh
n=${1:-20}
i=0 hangs=0
while [ $i -lt "$n" ]; do
	i=$((i + 1))
	rm -f /tmp/in.fifo && mkfifo /tmp/in.fifo
	: >/tmp/h.log # now, not in the job: see drive in lib.sh
	armvm run --kernel "$KERNEL" --initrd "$INITRD" --cpus 2 \
		--cmdline "console=ttyAMA0 quiet armvm.cpus=2 armvm.mem=536870912 armvm.mode=reboot" \
		<>/tmp/in.fifo >/tmp/h.log 2>&1 &
	pid=$!
	t=0 answered=0
	while kill -0 $pid 2>/dev/null && [ $t -lt 600 ]; do
		w=$(grep -c GUEST-WAITING /tmp/h.log)
		if [ "$w" -gt "$answered" ]; then
			answered=$w
			[ "$w" = 1 ] && echo reboot >/tmp/in.fifo || echo poweroff >/tmp/in.fifo
		fi
		sleep 0.2
		t=$((t + 1))
	done
	if kill -0 $pid 2>/dev/null; then
		hangs=$((hangs + 1))
		echo "HANG in round $i (after $answered answers); armvm's threads:"
		for d in /proc/$pid/task/*; do echo "  $(cat $d/comm) $(cat $d/wchan)"; done
		grep -a "GUEST-" /tmp/h.log | sed 's/^/  | /'
		echo poweroff >/tmp/in.fifo
		sleep 20
		if kill -0 $pid 2>/dev/null; then
			echo "  the answer sent again did not help either"
			kill -9 $pid
		else
			echo "  the answer sent again went through"
		fi
	fi
	wait $pid
	echo "round $i: exit $? boots $(grep -c GUEST-BOOTED /tmp/h.log)"
done
echo "$n rounds, $hangs hangs"
