#!/bin/sh
# Runs inside tools/sandbox (see bench/io.sh): virtio-net and virtio-blk
# throughput of the test guest under armvm and under Debian's arm64 QEMU
# (/opt/qemu, bench/qemu-arm64-rootfs.sh), on the same backends, RUNS times
# each, alternating which VMM goes first.
#   io-inside.sh RUNS
# Backends, made once here in the sandbox host and used by every VMM in turn:
#   net: a persistent TAP interface, tap0, 198.51.100.1/24 (TEST-NET-2, a
#        documentation range: the traffic never leaves this emulated host);
#        the guest is 198.51.100.2
#   blk: a 256 MiB raw image in this host's tmpfs (/tmp/disk.img), written
#        with zeros first so that every block exists
# In the guest (tests/guest/init's agent mode, armvm.mode=agent) /bin/iobench
# (bench/iobench.c) measures; each test runs for BENCH_SECONDS (default 8):
#   tx    guest -> host TCP (iobench send in the guest, recv here: the
#         receiver's MB/s)
#   rx    host -> guest TCP (send here, recv in the guest)
#   seqw, seqr    1 MiB O_DIRECT writes (then fdatasync), reads on /dev/vda
#   randr, randw  4 KiB O_DIRECT reads, writes (then fdatasync) at random
#                 offsets over the whole disk, one at a time
# and the host kernel counts KVM exits during each test (tracepoints
# kvm:kvm_exit, every exit, and kvm:kvm_userspace_exit, returns to the VMM).
. /root/lib.sh
runs=${1:-3}
secs=${BENCH_SECONDS:-8}
KERNEL=/root/Image INITRD=/root/guest.cpio.gz
qemu=/opt/qemu/run-qemu
qemu_cpu=${BENCH_QEMU_CPU:-host,pmu=off,sve=off,pauth=off}
# (romfile= : no PXE option ROM for the NIC, which direct boot never runs and
# the unpacked QEMU does not carry.)
# The VMMs (configurations) to compare; "qemu-novnet" is QEMU with
# vnet_hdr=off on the TAP, i.e. without checksum and segmentation offloads
# (network tests only), for comparison with armvm before it offered them.
vmms=${BENCH_VMMS:-armvm qemu qemu-novnet}
# The tests to run (the others are shown as "-").
tests=${BENCH_TESTS:-tx rx seqw seqr randr randw}
ARMVM_TIMEOUT=$((300 + 20 * secs))
cmdline="console=ttyAMA0 quiet armvm.cpus=2 armvm.mem=536870912 armvm.mode=agent"
HOST_IP=198.51.100.1 GUEST_IP=198.51.100.2

# --- backends ---------------------------------------------------------------
/root/iobench mktap tap0 || exit 1
ip addr add $HOST_IP/24 dev tap0 && ip link set tap0 up || exit 1
head -c 268435456 /dev/zero >/tmp/disk.img

# --- exit counters (as bench/uefi-boot-inside.sh): running totals ----------
mount -t tracefs none /sys/kernel/tracing 2>/dev/null
T=/sys/kernel/tracing/events/kvm
counting=0
if [ -e $T/kvm_exit/trigger ] && echo "hist:keys=ret" >$T/kvm_exit/trigger &&
	echo "hist:keys=reason" >$T/kvm_userspace_exit/trigger; then
	counting=1
fi
hits() { # the running total of tracepoint $1
	[ $counting = 1 ] || { echo 0; return; }
	awk '/^ *Hits: /{print $2}' $T/$1/hist
}

echo "# $($qemu --package-version); $($qemu --version | head -1)"
echo "# armvm: $(armvm --version 2>&1 | head -1)"
echo "# host: $(uname -r), $(nproc) CPUs; guest: $(basename $KERNEL), 2 vCPUs, 512 MiB"
echo "# each test runs ${secs} s; qemu -cpu $qemu_cpu"

# start VMM LOG: boot the guest under VMM with both backends; waits for the
# agent (lib.sh agent_exec).
start() {
	case $1 in
	armvm | armvm-noseccomp)
		filters=
		[ $1 = armvm-noseccomp ] && filters="--seccomp off"
		agent_start "$2" --kernel $KERNEL --initrd $INITRD --cmdline "$cmdline" \
			--cpus 2 --memory 512M --no-rng --disk /tmp/disk.img --net tap=tap0 $filters ;;
	qemu | qemu-novnet)
		vnet=
		[ $1 = qemu-novnet ] && vnet=,vnet_hdr=off
		agent_exec "$2" $qemu -M virt,acpi=off,gic-version=3 -enable-kvm -cpu "$qemu_cpu" \
			-smp 2 -m 512M -nodefaults -display none -serial stdio -no-reboot \
			-kernel $KERNEL -initrd $INITRD -append "$cmdline" \
			-netdev tap,id=n0,ifname=tap0,script=no,downscript=no$vnet \
			-device virtio-net-pci,netdev=n0,romfile= \
			-drive if=none,id=d0,format=raw,file=/tmp/disk.img \
			-device virtio-blk-pci,drive=d0 ;;
	esac
}

# result LOG MODE: the value of the last "IO-RESULT MODE VALUE ..." in LOG.
result() {
	tr -d '\r' <"$1" | awk -v m="$2" '$1 == "IO-RESULT" && $2 == m { v = $3 } END { print v == "" ? "-" : v }'
}

# measure VMM RUN TEST: run one test; sets v to its value and appends
# "VMM RUN TEST VALUE EXITS USEREXITS" to /tmp/detail. (Not to be called
# in a subshell: guest counts the agent's replies in this shell.)
measure() {
	e0=$(hits kvm_exit) u0=$(hits kvm_userspace_exit) n0=$(netstats)
	case $3 in
	tx)
		timeout $((secs + 60)) /root/iobench recv 5001 >/tmp/recv.out 2>&1 &
		rpid=$!
		sleep 0.5
		guest "iobench send $HOST_IP 5001 $secs"
		wait $rpid
		v=$(result /tmp/recv.out recv) ;;
	rx)
		guest "rm -f /tmp/r; (iobench recv 5002 >/tmp/r 2>&1 &); for i in \$(seq 50); do netstat -ltn | grep -q :5002 && break; sleep 0.1; done"
		timeout $((secs + 60)) /root/iobench send $GUEST_IP 5002 $secs >/dev/null
		guest 'for i in $(seq 300); do [ -s /tmp/r ] && break; sleep 0.1; done; cat /tmp/r'
		v=$(result "$log" recv) ;;
	seqw) guest "iobench seqwrite /dev/vda $secs"; v=$(result "$log" seqwrite) ;;
	seqr) guest "iobench seqread /dev/vda $secs"; v=$(result "$log" seqread) ;;
	randr) guest "iobench randread /dev/vda $secs"; v=$(result "$log" randread) ;;
	randw) guest "iobench randwrite /dev/vda $secs"; v=$(result "$log" randwrite) ;;
	esac
	echo "$1 $2 $3 $v $(($(hits kvm_exit) - e0)) $(($(hits kvm_userspace_exit) - u0))" >>/tmp/detail
	case $3 in
	tx | rx)
		# Frames and losses during the test, for diagnosis: the host's
		# TCP retransmissions and tap0's counters (deltas), and the
		# guest's TCP retransmissions (its running total).
		guest "awk '/^Tcp: [0-9]/ { print \"IO-DIAG retrans\", \$13 }' /proc/net/snmp"
		echo "$1 $2 $3 $(echo "$n0 $(netstats)" | awk '{ for (i = 1; i <= 5; i++) printf "%s ", $(i + 5) - $i }') $(tr -d '\r' <"$log" | awk '$1 == "IO-DIAG" { r = $3 } END { print r }')" >>/tmp/netdiag ;;
	esac
}

# netstats: the host's TCP RetransSegs, and tap0's rx_packets (frames from
# the VMM), tx_packets (to the VMM), tx_dropped (not taken by the VMM in
# time: the TAP queue overflowed), rx_dropped.
netstats() {
	awk '/^Tcp: [0-9]/ { printf "%s ", $13 }' /proc/net/snmp
	for c in rx_packets tx_packets tx_dropped rx_dropped; do
		printf "%s " "$(cat /sys/class/net/tap0/statistics/$c)"
	done
}

# bench VMM RUN: boot, every test, power off; appends a row to /tmp/results.
bench() {
	vmm=$1 run=$2 log=/tmp/$1-$2.log
	if ! start $vmm $log; then
		echo "# $vmm run $run: the guest agent did not start"
		tail -n 20 $log | sed 's/^/#   /'
		agent_stop 2>/dev/null
		return
	fi
	guest "ip addr add $GUEST_IP/24 dev eth0 && ip link set eth0 up && for i in \$(seq 30); do ping -c 1 -W 1 $HOST_IP >/dev/null && exit 0; done; exit 1" ||
		echo "# $vmm run $run: no ping from the guest to $HOST_IP"
	row=
	for t in tx rx seqw seqr randr randw; do
		v=-
		case " $tests " in *" $t "*) ;; *) row="$row -"; continue ;; esac
		case $vmm:$t in
		qemu-novnet:seq* | qemu-novnet:rand*) ;;
		*) measure $vmm $run $t ;;
		esac
		row="$row ${v:--}"
	done
	agent_stop
	echo "$vmm $run$row" | tee -a /tmp/results | while read -r line; do fmt $line; done
}

# fmt VMM RUN TX RX SEQW SEQR RANDR RANDW
fmt() { printf "%-12s %6s %8s %8s %8s %8s %8s %8s\n" "$@"; }
echo "#"
echo "# MB/s: tx guest->host TCP, rx host->guest TCP, seqw/seqr 1 MiB O_DIRECT;"
echo "# IOPS: randr/randw 4 KiB O_DIRECT, queue depth 1"
fmt vmm run tx rx seqw seqr randr randw
: >/tmp/results
: >/tmp/detail
: >/tmp/netdiag
i=1
while [ $i -le "$runs" ]; do
	# Alternate the order, so that no VMM always runs first.
	order=$vmms
	[ $((i % 2)) = 0 ] && order=$(echo $vmms | tr ' ' '\n' | sed -n '1!G;h;$p')
	for vmm in $order; do bench $vmm $i; done
	i=$((i + 1))
done

# Medians per VMM and column, and armvm's over each other VMM's (above 1:
# armvm is faster).
echo "#"
echo "# medians over $runs runs; ratio armvm/VMM (above 1: armvm faster)"
fmt vmm "" tx rx seqw seqr randr randw
awk -v vmms="$vmms" '
	function median(v, n,   i, j, t) {
		for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	{ n[$1]++; for (c = 3; c <= 8; c++) val[$1, c, n[$1]] = $c }
	END {
		k = split(vmms, vm, " ")
		for (i = 1; i <= k; i++) {
			line = vm[i] " median"
			for (c = 3; c <= 8; c++) {
				m = 0
				for (r = 1; r <= n[vm[i]]; r++) { x = val[vm[i], c, r]; if (x ~ /^[0-9.]+$/) v[++m] = x + 0 }
				med[vm[i], c] = m ? median(v, m) : "-"
				line = line " " (m ? sprintf(c <= 6 ? "%.2f" : "%.0f", med[vm[i], c]) : "-")
			}
			print line
		}
		for (i = 1; i <= k; i++) {
			if (vm[i] == "armvm") continue
			line = "armvm/" vm[i] " ratio"
			for (c = 3; c <= 8; c++) {
				a = med["armvm", c]; b = med[vm[i], c]
				line = line " " ((a == "-" || b == "-" || b == 0) ? "-" : sprintf("%.2f", a / b))
			}
			print line
		}
	}' /tmp/results | while read -r line; do fmt $line; done

# KVM exits during each test: medians over the runs, all exits and returns
# to the VMM, per MB moved (net, sequential) or per I/O (random).
if [ $counting = 1 ]; then
	echo "#"
	echo "# KVM exits per test (medians): all / to userspace, and per MB or per I/O"
	awk '
		function median(v, n,   i, j, t) {
			for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
			return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		}
		$4 ~ /^[0-9.]+$/ { k = $1 " " $3; if (!(k in n)) order[++nk] = k; n[k]++
			e[k, n[k]] = $5; u[k, n[k]] = $6; val[k, n[k]] = $4 }
		END {
			for (i = 1; i <= nk; i++) {
				k = order[i]; split(k, w, " ")
				for (r = 1; r <= n[k]; r++) { a[r] = e[k, r]; b[r] = u[k, r]; c[r] = val[k, r] }
				me = median(a, n[k]); mu = median(b, n[k]); mv = median(c, n[k])
				# the amount moved: value x seconds (MB or I/Os)
				amt = mv * '"$secs"'
				printf "#   %-12s %-6s exits %9d  user %9d   per %s: %7.1f / %7.1f\n", w[1], w[2], me, mu,
					(w[2] ~ /^rand/ ? "I/O" : "MB"), me / amt, mu / amt
			}
		}' /tmp/detail
fi
echo "#"
echo "# network tests, per run: host TCP retransmissions, tap0 frames from / to the VMM,"
echo "# tap0 tx_dropped / rx_dropped, the guest's TCP retransmissions so far"
sed 's/^/#   /' /tmp/netdiag
# Anything odd a VMM printed, and the last guest console of each.
for vmm in $vmms; do
	echo "#"
	echo "# $vmm run $runs: console/stderr, last 8 lines"
	tr -d '\r' </tmp/$vmm-$runs.log | grep -v '^GUEST-DONE\|^IO-RESULT' | tail -n 8 | sed 's/^/#   /'
done
exit 0
