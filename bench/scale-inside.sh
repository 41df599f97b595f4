#!/bin/sh
# Runs inside tools/sandbox (see bench/scale.sh): direct boots of the test
# guest under armvm and QEMU, alternately, RUNS rounds of each size:
#   cpus:  1, 4, 16 vCPUs with 512 MiB (SCALE_CPUS overrides; 64 vCPUs on the
#          2-CPU emulated host never reached init: docs/benchmarks.md)
#   mem:   128 MiB to 8 GiB with 1 vCPU (SCALE_MEMS, MiB)
#   many:  SCALE_VMS (default 20) VMs of 1 vCPU and 128 MiB started at once
# A row per boot on stdout, "#"-prefixed comments aside:
#   test vmm round cpus mem-MiB init-s exit-s rss-KiB own-KiB marker-ms
# init-s: launch to the guest's GUEST-BOOTED line (its /init), from
# /proc/uptime (10 ms); exit-s: to the VMM's exit after the guest's checks;
# rss/own: the VMM's VmRSS and its own memory (anonymous pages outside the
# guest RAM mapping) at GUEST-BOOTED; marker-ms: armvm's boot marker
# (--boot-marker, the same moment measured by armvm itself; "-" for QEMU).
# For "many": init-s is when the last VM got there, rss/own the sums over
# the VMs then, marker-ms the host's MemAvailable drop in KiB.
runs=${1:-3}
cpus_list=${SCALE_CPUS:-1 4 16}
mems_list=${SCALE_MEMS:-128 512 2048 8192}
nvms=${SCALE_VMS:-20}
KERNEL=/root/Image INITRD=/root/guest.cpio.gz
QEMU=/opt/qemu/run-qemu
echo "# qemu: $($QEMU --package-version), armvm: $(armvm --version)"

now() { cut -d' ' -f1 /proc/uptime; }

# own_kb PID MEM_MIB: anonymous KiB outside mappings of the guest's RAM
# size or more (armvm maps exactly that; QEMU that and a guard page).
own_kb() {
	awk -v ram=$(($2 * 1024)) '/^Size:/ { size = $2 }
		/^Anonymous:/ { if (size < ram) sum += $2 } END { print sum + 0 }' /proc/$1/smaps
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' /proc/$1/status; }

# launch VMM CPUS MEM_MIB MODE LOG PIDFILE: start the VMM in the background
# (its pid, which exec keeps, in PIDFILE), the console and stderr in LOG.
launch() {
	_cmd="console=ttyAMA0 quiet armvm.cpus=$2 armvm.mem=$(($3 << 20)) $4"
	case $1 in
	armvm)
		sh -c 'echo $$ >"$0"; exec "$@"' "$6" armvm run --kernel $KERNEL --initrd $INITRD \
			--cpus $2 --memory ${3}M --no-rng --no-balloon --hotplug-slots 0 \
			--boot-marker --cmdline "$_cmd" </dev/null >"$5" 2>&1 &
		;;
	qemu)
		sh -c 'echo $$ >"$0"; exec "$@"' "$6" $QEMU -M virt,acpi=off,gic-version=3 -enable-kvm \
			-cpu host,pmu=off,sve=off,pauth=off -smp $2 -m ${3}M -nodefaults \
			-display none -serial stdio -no-reboot -kernel $KERNEL -initrd $INITRD \
			-append "$_cmd" </dev/null >"$5" 2>&1 &
		;;
	esac
}

# wait_line LOG PATTERN SECONDS: poll LOG every 100 ms (a grep a poll costs
# the emulated host CPU time: not more often); 0 once PATTERN is in it.
wait_line() {
	_n=$(($3 * 10))
	while [ $_n -gt 0 ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		usleep 100000
		_n=$((_n - 1))
	done
	return 1
}

# one TEST VMM ROUND CPUS MEM_MIB: a boot; prints its row.
one() {
	rm -f /tmp/vm.log /tmp/vm.pid
	t0=$(now)
	launch $2 $4 $5 "" /tmp/vm.log /tmp/vm.pid
	bg=$!
	init=- rss=- own=- marker=-
	if wait_line /tmp/vm.log GUEST-BOOTED 900; then
		t=$(now)
		pid=$(cat /tmp/vm.pid)
		rss=$(rss_kb $pid) own=$(own_kb $pid $5)
		init=$(awk -v a=$t0 -v b=$t 'BEGIN { printf "%.2f", b - a }')
	else
		echo "# $1 $2 $3 $4 $5: no GUEST-BOOTED in 900 s: $(tail -c 300 /tmp/vm.log | tr '\n' ' ')"
		kill $(cat /tmp/vm.pid) 2>/dev/null
	fi
	wait $bg
	rc=$?
	exit_s=$(awk -v a=$t0 -v b=$(now) 'BEGIN { printf "%.2f", b - a }')
	[ $rc = 0 ] || exit_s="rc$rc"
	mk=$(sed -n 's/.*armvm: boot marker 1: \([0-9.]*\) ms.*/\1/p' /tmp/vm.log | head -1)
	[ -n "$mk" ] && marker=$mk
	echo "$1 $2 $3 $4 $5 $init $exit_s $rss $own $marker"
}

# many VMM ROUND: nvms VMs at once, each 1 vCPU and 128 MiB, holding after
# their checks until killed.
many() {
	rm -f /tmp/many.*
	avail0=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
	t0=$(now)
	i=1
	while [ $i -le $nvms ]; do
		launch $1 1 128 "armvm.mode=hold armvm.hold=900" /tmp/many.$i.log /tmp/many.$i.pid
		i=$((i + 1))
	done
	last=- rss=0 own=0 drop=-
	i=1
	while [ $i -le $nvms ]; do
		wait_line /tmp/many.$i.log GUEST-BOOTED 1800 || break
		i=$((i + 1))
	done
	if [ $i -gt $nvms ]; then
		t=$(now)
		last=$(awk -v a=$t0 -v b=$t 'BEGIN { printf "%.2f", b - a }')
		avail=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
		drop=$((avail0 - avail))
		i=1
		while [ $i -le $nvms ]; do
			pid=$(cat /tmp/many.$i.pid)
			rss=$((rss + $(rss_kb $pid))) own=$((own + $(own_kb $pid 128)))
			i=$((i + 1))
		done
	else
		rss=- own=-
		echo "# many: VM $i of $nvms ($1) did not reach init: $(tail -c 300 /tmp/many.$i.log | tr '\n' ' ')"
	fi
	for f in /tmp/many.*.pid; do kill $(cat $f) 2>/dev/null; done
	wait
	echo "many $1 $2 1 128 $last - $rss $own $drop"
}

echo "# test vmm round cpus mem-MiB init-s exit-s rss-KiB own-KiB marker-ms|avail-drop-KiB"
round=1
while [ $round -le $runs ]; do
	# Alternate which VMM goes first, round by round.
	if [ $((round % 2)) = 1 ]; then order="armvm qemu"; else order="qemu armvm"; fi
	for c in $cpus_list; do
		for v in $order; do one cpus $v $round $c 512; done
	done
	for m in $mems_list; do
		for v in $order; do one mem $v $round 1 $m; done
	done
	[ "$nvms" = 0 ] || for v in $order; do many $v $round; done
	round=$((round + 1))
done
