#!/bin/sh
# Runs inside tools/sandbox (see bench/migrate.sh): RUNS live migrations of
# the same busy guest under armvm and under QEMU, alternately.
#   migrate-inside.sh RUNS
. /root/lib.sh
runs=${1:-3}
KERNEL=/root/Image INITRD=/root/guest.cpio.gz
qemu=/opt/qemu/run-qemu
qemu_cpu=${BENCH_QEMU_CPU:-host,pmu=off,sve=off,pauth=off}
ARMVM_TIMEOUT=900
cmdline="console=ttyAMA0 quiet armvm.cpus=2 armvm.mem=536870912 armvm.mode=agent"
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
head -c 67108864 /dev/zero >/tmp/disk.img
QMON=4470 PORT=4471

echo "# $($qemu --package-version); $($qemu --version | head -1)"
echo "# armvm: $(armvm --version 2>&1 | head -1)"
echo "# host: $(uname -r), $(nproc) CPUs; guest: 2 vCPUs, 512 MiB, virtio-blk; qemu -cpu $qemu_cpu"

qemu_args() {
	echo "-M virt,acpi=off,gic-version=3 -enable-kvm -cpu $qemu_cpu -smp 2 -m 512M" \
		"-nodefaults -display none -serial stdio -no-reboot" \
		"-drive if=none,id=d0,format=raw,file=/tmp/disk.img -device virtio-blk-pci,drive=d0"
}
# hmp PORT CMD...: one command to a QEMU monitor on a TCP port; its output.
hmp() {
	_p=$1
	shift
	(echo "$*"; sleep 1) | nc 127.0.0.1 "$_p" 2>/dev/null | tr -d '\r'
}
listening() { # PORT: wait until something listens there
	for _ in $(seq 300); do netstat -ltn 2>/dev/null | grep -q ":$1 " && return 0; sleep 0.1; done
	return 1
}

# one VMM RUN: boot the source, start the workload, start the destination,
# migrate, check the guest there; appends "VMM RUN TOTAL DOWNTIME BYTES
# PASSES CHECK" to /tmp/results.
one() {
	vmm=$1 run=$2 log=/tmp/$1-$2-src.log dlog=/tmp/$1-$2-dst.log
	case $vmm in
	armvm) agent_start $log --kernel $KERNEL --initrd $INITRD --cmdline "$cmdline" \
		--cpus 2 --memory 512M --no-rng --no-balloon --hotplug-slots 0 \
		--disk /tmp/disk.img --api-socket /tmp/a-src.sock ;;
	qemu) agent_exec $log $qemu $(qemu_args) -kernel $KERNEL -initrd $INITRD \
		-append "$cmdline" -monitor tcp:127.0.0.1:$QMON,server,nowait ;;
	esac || { echo "# $vmm $run: the source did not boot"; return; }
	src=$AGENT_PID
	guest 'mkdir -p /tmp/m && head -c 8388608 /dev/urandom >/tmp/m/src && echo "GUEST-MEMSUM $(md5sum </tmp/m/src | cut -d" " -f1)"'
	sum=$(tr -d '\r' <$log | sed -n 's/^GUEST-MEMSUM //p' | tail -1)
	guest '(while [ ! -e /tmp/m/stop ]; do cp /tmp/m/src /tmp/m/dst; sleep 0.2; done; echo done >/tmp/m/stopped) </dev/null >/dev/null 2>&1 &'
	sleep 3
	dfifo=/tmp/dst-in.$$
	rm -f $dfifo && mkfifo $dfifo && : >$dlog
	case $vmm in
	armvm) timeout $ARMVM_TIMEOUT armvm run --incoming tcp:127.0.0.1:$PORT \
		--api-socket /tmp/a-dst.sock <$dfifo >$dlog 2>&1 & ;;
	qemu) timeout $ARMVM_TIMEOUT $qemu $(qemu_args) -kernel $KERNEL -initrd $INITRD \
		-append "$cmdline" -incoming tcp:127.0.0.1:$PORT <$dfifo >$dlog 2>&1 & ;;
	esac
	dst=$!
	exec 5>$dfifo
	listening $PORT
	case $vmm in
	armvm)
		armvm ctl /tmp/a-src.sock migrate tcp:127.0.0.1:$PORT >/tmp/r 2>&1
		total=$(sed -n 's/.*"total-ms": *\([0-9]*\).*/\1/p' /tmp/r)
		down=$(sed -n 's/.*"downtime-ms": *\([0-9]*\).*/\1/p' /tmp/r)
		bytes=$(sed -n 's/.*"bytes": *\([0-9]*\).*/\1/p' /tmp/r)
		passes=$(sed -n 's/.*"passes": *\([0-9]*\).*/\1/p' /tmp/r)
		echo "# armvm $run: $(tr -d '\n' </tmp/r)" ;;
	qemu)
		hmp $QMON "migrate_set_parameter max-bandwidth 100G" >/dev/null
		hmp $QMON "migrate_set_parameter downtime-limit 300" >/dev/null
		hmp $QMON "migrate -d tcp:127.0.0.1:$PORT" >/dev/null
		for _ in $(seq 600); do
			hmp $QMON "info migrate" >/tmp/r
			grep -q "Migration status: \(completed\|failed\|cancelled\)" /tmp/r && break
		done
		total=$(sed -n 's/^total time: \([0-9]*\) ms.*/\1/p' /tmp/r)
		down=$(sed -n 's/^downtime: \([0-9]*\) ms.*/\1/p' /tmp/r)
		# "total transferred": kbytes (QEMU counts 1024).
		kb=$(sed -n 's/^transferred ram: \([0-9]*\) kbytes.*/\1/p' /tmp/r)
		bytes=$((${kb:-0} * 1024))
		passes=$(sed -n 's/^dirty sync count: \([0-9]*\).*/\1/p' /tmp/r)
		echo "# qemu $run: $(grep -E 'status|total time|downtime|transferred|dirty sync|throughput' /tmp/r | tr '\n' ';')"
		hmp $QMON quit >/dev/null ;;
	esac
	wait $src 2>/dev/null
	exec 4>&-
	AGENT_PID=$dst
	exec 4>&5 5>&-
	_alog=$dlog _adone=0
	check=fail got=
	if guest 'touch /tmp/m/stop; while [ ! -e /tmp/m/stopped ]; do sleep 0.1; done; echo "GUEST-MEMSUM2 $(md5sum </tmp/m/src | cut -d" " -f1) $(md5sum </tmp/m/dst | cut -d" " -f1)"'; then
		got=$(tr -d '\r' <$dlog | sed -n 's/^GUEST-MEMSUM2 //p' | tail -1)
		[ -n "$sum" ] && [ "$got" = "$sum $sum" ] && check=ok
	fi
	# Why, when it failed: stale memory (sums differ) or a guest that no
	# longer answers (no sums), with the destination's last lines.
	if [ $check = fail ]; then
		echo "# $vmm $run: memory check: want '$sum $sum', got '${got:-}'"
		tr -d '\r' <$dlog | tail -n 15 | sed 's/^/#   /'
	fi
	echo poweroff -f >&4
	sleep 2
	kill $dst 2>/dev/null
	wait $dst 2>/dev/null
	exec 4>&-
	rm -f $dfifo
	echo "$vmm $run ${total:--} ${down:--} ${bytes:--} ${passes:--} $check" | tee -a /tmp/results
}

echo "# vmm run total-ms downtime-ms bytes passes guest-memory-check"
: >/tmp/results
i=1
while [ $i -le "$runs" ]; do
	if [ $((i % 2)) = 1 ]; then one armvm $i; one qemu $i; else one qemu $i; one armvm $i; fi
	i=$((i + 1))
done
echo "#"
echo "# min/median/max per VMM, and the medians' ratio armvm / qemu"
awk '
function stats(v, n,   i, j, t, a) {
	for (i = 1; i <= n; i++) a[i] = v[i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	med = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	return a[1] "/" med "/" a[n]
}
$3 != "-" { n[$1]++; T[$1, n[$1]] = $3; D[$1, n[$1]] = $4; B[$1, n[$1]] = $5 }
END {
	for (vmm in n) {
		for (i = 1; i <= n[vmm]; i++) { t[i] = T[vmm, i]; d[i] = D[vmm, i]; b[i] = B[vmm, i] }
		st = stats(t, n[vmm]); mt[vmm] = med
		sd = stats(d, n[vmm]); md[vmm] = med
		sb = stats(b, n[vmm]); mb[vmm] = med
		printf "%-6s total-ms %s  downtime-ms %s  bytes %s\n", vmm, st, sd, sb
	}
	if (mt["qemu"] && md["qemu"] && mb["qemu"])
		printf "ratio  total %.2f  downtime %.2f  bytes %.2f\n", mt["armvm"] / mt["qemu"], md["armvm"] / md["qemu"], mb["armvm"] / mb["qemu"]
}' /tmp/results
