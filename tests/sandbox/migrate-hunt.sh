#!/bin/sh
# Runs inside tools/sandbox; a diagnostic, not a test suite: N armvm live
# migrations of the busy guest of bench/migrate-inside.sh, each straight
# after boot and followed by the memory check; on a failure, the
# destination's console (docs/migration.md, "Known bug").
#   tools/sandbox --gic 3 --memory 6G --add "$(tools/sandbox --print-kernel):/root/Image" \
#       --add guest.cpio.gz:/root/guest.cpio.gz --add tests/sandbox/lib.sh:/root/lib.sh \
#       --add tests/sandbox/migrate-hunt.sh:/root/hunt.sh -- sh /root/hunt.sh 6
. /root/lib.sh
n=${1:-6}
KERNEL=/root/Image INITRD=/root/guest.cpio.gz
ARMVM_TIMEOUT=900
cmdline="console=ttyAMA0 quiet armvm.cpus=2 armvm.mem=536870912 armvm.mode=agent"
ip link set lo up 2>/dev/null
head -c 67108864 /dev/zero >/tmp/disk.img
i=0
while [ $i -lt $n ]; do
	i=$((i + 1))
	log=/tmp/s$i.log dlog=/tmp/d$i.log
	agent_start $log --kernel $KERNEL --initrd $INITRD --cmdline "$cmdline" \
		--cpus 2 --memory 512M --no-rng --no-balloon --hotplug-slots 0 \
		--disk /tmp/disk.img --api-socket /tmp/a-src.sock || { echo "round $i: no boot"; continue; }
	src=$AGENT_PID
	guest 'mkdir -p /tmp/m && head -c 8388608 /dev/urandom >/tmp/m/src && echo "GUEST-MEMSUM $(md5sum </tmp/m/src | cut -d" " -f1)"'
	sum=$(tr -d '\r' <$log | sed -n 's/^GUEST-MEMSUM //p' | tail -1)
	guest '(while [ ! -e /tmp/m/stop ]; do cp /tmp/m/src /tmp/m/dst; sleep 0.2; done; echo done >/tmp/m/stopped) </dev/null >/dev/null 2>&1 &'
	sleep 3
	rm -f /tmp/dfifo && mkfifo /tmp/dfifo && : >$dlog
	timeout $ARMVM_TIMEOUT armvm run --incoming tcp:127.0.0.1:4471 --api-socket /tmp/a-dst.sock </tmp/dfifo >$dlog 2>&1 &
	dst=$!
	exec 5>/tmp/dfifo
	for _ in $(seq 300); do netstat -ltn 2>/dev/null | grep -q ":4471 " && break; sleep 0.1; done
	armvm ctl /tmp/a-src.sock migrate tcp:127.0.0.1:4471 >/tmp/r 2>&1
	echo "round $i: $(tr -d '\n ' </tmp/r)"
	wait $src
	exec 4>&-
	AGENT_PID=$dst
	exec 4>&5 5>&-
	_alog=$dlog _adone=0
	guest 'touch /tmp/m/stop; while [ ! -e /tmp/m/stopped ]; do sleep 0.1; done; echo "GUEST-MEMSUM2 $(md5sum </tmp/m/src | cut -d" " -f1) $(md5sum </tmp/m/dst | cut -d" " -f1)"; cmp -l /tmp/m/src /tmp/m/dst | awk "{print int((\$1 - 1) / 4096)}" | uniq -c | head -20'
	rc=$?
	got=$(tr -d '\r' <$dlog | sed -n 's/^GUEST-MEMSUM2 //p' | tail -1)
	if [ "$got" = "$sum $sum" ]; then echo "round $i: ok"
	else echo "round $i: MISMATCH (guest rc $rc) want $sum got '$got'"; tr -d '\r' <$dlog | tail -25
		armvm ctl /tmp/a-dst.sock status; echo 'echo ALIVE-$((6*7))' >&4; sleep 5; grep -c ALIVE-42 $dlog; fi
	echo poweroff -f >&4
	sleep 2
	kill $dst 2>/dev/null
	wait $dst 2>/dev/null
	exec 4>&-
done
