#!/bin/sh
# Runs inside tools/sandbox (see bench/debian-boot.sh): boots /root/debian.img
# to its login prompt under armvm and under QEMU (/opt/qemu), alternately,
# RUNS times each; after each boot the VMM is asked to press the power
# button and the guest shuts down (so that the next boot finds a clean
# file system).
#   debian-boot-inside.sh RUNS
runs=${1:-2}
img=/root/debian.img
code=/usr/share/AAVMF/AAVMF_CODE.fd template=/usr/share/AAVMF/AAVMF_VARS.fd
qemu=/opt/qemu/run-qemu
limit=${BENCH_TIMEOUT:-900}
# A VMM that already ended must not end this script too (SIGPIPE on its
# console FIFO): a failed write is shown by the row instead.
trap '' PIPE
echo "# $($qemu --package-version); $($qemu --version | head -1)"
echo "# armvm: $(armvm --version 2>&1 | head -1)"
echo "# image: $img, firmware: $code; 2 vCPUs, 1 GiB, virtio-blk, virtio-net (user)"

# own_kb PID: anonymous memory outside the guest's RAM (the one mapping of
# 1 GiB); rss_kb PID: VmRSS, guest RAM included.
own_kb() {
	awk '/^Size:/ { size = $2 } /^Anonymous:/ { if (size < 1048576) sum += $2 }
	     END { print sum + 0 }' /proc/$1/smaps
}
rss_kb() { awk '/^VmRSS/ { print $2 }' /proc/$1/status; }
# vmm_pid PID: the VMM among PID and its descendants (timeout and run-qemu
# may sit between): the process that maps the guest's 1 GiB of RAM.
vmm_pid() {
	for _p in $1 $(cat /proc/$1/task/*/children 2>/dev/null) \
		$(for _c in $(cat /proc/$1/task/*/children 2>/dev/null); do cat /proc/$_c/task/*/children 2>/dev/null; done); do
		awk '/^Size:/ && $2 >= 1048576 { found = 1 } END { exit !found }' /proc/$_p/smaps 2>/dev/null &&
			{ echo $_p; return; }
	done
	echo $1
}

# boot armvm|qemu RUN: appends "VMM RUN SECONDS RSS-KB OWN-KB" to /tmp/results.
boot() {
	vmm=$1 run=$2 log=/tmp/$1-$2.log
	rm -f /tmp/vars.fd /tmp/in.fifo /tmp/deb.sock
	cp $template /tmp/vars.fd
	mkfifo /tmp/in.fifo
	: >"$log"
	start=$(cut -d' ' -f1 /proc/uptime)
	case $vmm in
	armvm)
		# The devices QEMU gets below: no hot-plug root ports, no
		# virtio-rng, no balloon.
		timeout "$limit" armvm run --disk $img --cpus 2 --memory 1G --vars /tmp/vars.fd \
			--net user --hotplug-slots 0 --no-rng --no-balloon \
			--api-socket /tmp/deb.sock </tmp/in.fifo >"$log" 2>&1 &
		;;
	qemu)
		# The console to the log file, the monitor on stdin (for
		# system_powerdown).
		timeout "$limit" $qemu -M virt,acpi=off,gic-version=3 -enable-kvm \
			-cpu host,pmu=off,sve=off,pauth=off -smp 2 -m 1G -nodefaults \
			-display none -serial file:"$log" -monitor stdio -no-reboot \
			-drive if=pflash,format=raw,readonly=on,file=$code \
			-drive if=pflash,format=raw,file=/tmp/vars.fd \
			-drive if=none,id=d0,format=raw,file=$img -device virtio-blk-pci,drive=d0 \
			-netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile= \
			</tmp/in.fifo >/tmp/qemu-monitor.log 2>&1 &
		;;
	esac
	pid=$!
	exec 5>/tmp/in.fifo
	secs=- rss=- own=-
	while kill -0 $pid 2>/dev/null; do
		if grep -q "login:" "$log"; then
			secs=$(awk -v s="$start" '{ printf "%.1f", $1 - s }' /proc/uptime)
			vpid=$(vmm_pid $pid)
			rss=$(rss_kb $vpid) own=$(own_kb $vpid)
			break
		fi
		sleep 0.5
	done
	case $vmm in
	armvm) armvm ctl --timeout 20 /tmp/deb.sock powerdown >/dev/null 2>&1 ;;
	qemu) echo system_powerdown >&5 ;;
	esac
	w=0
	while kill -0 $pid 2>/dev/null && [ $w -lt 600 ]; do sleep 0.5; w=$((w + 1)); done
	kill $pid 2>/dev/null
	wait $pid
	rc=$?
	exec 5>&-
	echo "$vmm $run $secs $rss $own $rc" | tee -a /tmp/results
}

echo "# vmm run seconds-to-login rss-kB own-kB exit-status"
: >/tmp/results
i=1
while [ $i -le "$runs" ]; do
	if [ $((i % 2)) = 1 ]; then boot armvm $i; boot qemu $i; else boot qemu $i; boot armvm $i; fi
	i=$((i + 1))
done
echo "# medians over $runs runs, and armvm / qemu"
awk '
	function median(v, n,   i, j, t) {
		for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	$3 ~ /^[0-9.]+$/ { n[$1]++; for (c = 3; c <= 5; c++) val[$1, c, n[$1]] = $c }
	END {
		split("armvm qemu", vm, " ")
		for (k = 1; k <= 2; k++) {
			line = vm[k]
			for (c = 3; c <= 5; c++) {
				for (r = 1; r <= n[vm[k]]; r++) v[r] = val[vm[k], c, r]
				med[k, c] = n[vm[k]] ? median(v, n[vm[k]]) : 0
				line = line " " med[k, c]
			}
			print "# " line " (" n[vm[k]] " boots reached the login prompt)"
		}
		line = "ratio"
		for (c = 3; c <= 5; c++) line = line " " (med[2, c] ? sprintf("%.2f", med[1, c] / med[2, c]) : "-")
		print "# " line
	}' /tmp/results
for vmm in armvm qemu; do
	echo "# $vmm run $runs: console (last 5 lines)"
	tr -d '\r' </tmp/$vmm-$runs.log | tail -n 5 | sed 's/^/#   /'
done
exit 0
