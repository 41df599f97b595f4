#!/bin/sh
# Runs inside tools/sandbox (see bench/uefi-boot.sh): boots /root/uefi.img
# through the stock AAVMF firmware under armvm and under Debian's arm64 QEMU
# (/opt/qemu, bench/qemu-arm64-rootfs.sh), alternately, RUNS times each.
#   uefi-boot-inside.sh RUNS
# For every boot: seconds from launching the VMM to the console's first byte
# (the firmware's: it clears the screen as its console starts), to the firmware's
# "BdsDxe: loading Boot0001" (it found the disk's boot file), to "Welcome to
# GRUB!" (the first thing BOOTAA64.EFI prints), to the guest's "GUEST-BOOTED"
# (its /init starting) and to the VMM's exit (the guest powers off after its
# checks); and the host kernel's count of
# KVM exits (tracepoint kvm:kvm_exit: every exit from the guest, handled in
# the kernel or not) and of returns from KVM_RUN to the VMM
# (kvm:kvm_userspace_exit: MMIO, PSCI, signals...) up to each point.
runs=${1:-3}
img=/root/uefi.img
code=/usr/share/AAVMF/AAVMF_CODE.fd template=/usr/share/AAVMF/AAVMF_VARS.fd
qemu=/opt/qemu/run-qemu
# QEMU's vCPU: as armvm's, without PMU, SVE and pointer authentication
# (armvm enables none of them).
qemu_cpu=${BENCH_QEMU_CPU:-host,pmu=off,sve=off,pauth=off}
timeout=${BENCH_TIMEOUT:-900}

mount -t tracefs none /sys/kernel/tracing 2>/dev/null
T=/sys/kernel/tracing/events/kvm
[ -e $T/kvm_exit/trigger ] || { echo "uefi-boot: no kvm tracepoints in /sys/kernel/tracing" >&2; exit 1; }
# Counting with hist triggers (in the kernel, no trace buffer): each has a
# running "Hits:" total; removing and re-adding a trigger resets it.
EXIT_HIST="hist:keys=ret,esr_ec"
USER_HIST="hist:keys=reason,errno"
counters_on() {
	echo "$EXIT_HIST" >$T/kvm_exit/trigger && echo "$USER_HIST" >$T/kvm_userspace_exit/trigger
}
counters_off() {
	echo "!$EXIT_HIST" >$T/kvm_exit/trigger
	echo "!$USER_HIST" >$T/kvm_userspace_exit/trigger
}

echo "# $($qemu --package-version); $($qemu --version | head -1)"
echo "# armvm: $(armvm --version 2>&1 | head -1)"
echo "# image: $img, $(wc -c <$img) bytes; firmware: $code (Debian qemu-efi-aarch64)"
echo "# each boot gets a fresh copy of $template as its variable store"
echo "# qemu -cpu $qemu_cpu"

# boot armvm|qemu RUN: one boot; appends its row (as row() prints it) to
# /tmp/results and keeps the console in /tmp/VMM-RUN.log.
boot() {
	vmm=$1 run=$2 log=/tmp/$1-$2.log
	rm -f /tmp/vars.fd /tmp/marks
	cp $template /tmp/vars.fd
	sync
	counters_on
	start=$(cut -d' ' -f1 /proc/uptime)
	case $vmm in
	armvm)
		# The same devices as the QEMU VM below (one virtio-blk-pci):
		# no hot-plug root ports, no virtio-rng.
		set -- armvm run --disk $img --cpus 2 --memory 512M --vars /tmp/vars.fd \
			--hotplug-slots 0 --no-rng ;;
	qemu)
		set -- $qemu -M virt,acpi=off,gic-version=3 -enable-kvm -cpu "$qemu_cpu" \
			-smp 2 -m 512M -nodefaults -display none -serial stdio -no-reboot \
			-drive if=pflash,format=raw,readonly=on,file=$code \
			-drive if=pflash,format=raw,file=/tmp/vars.fd \
			-drive if=none,id=d0,format=raw,file=$img -device virtio-blk-pci,drive=d0 ;;
	esac
	# The console (the VMM's stdout; stderr goes to a file): the time of
	# its first byte is taken as dd reads it, then awk timestamps the
	# lines as they come and, at the markers, reads the exit counts so far.
	timeout "$timeout" "$@" </dev/null 2>/tmp/$vmm-$run.err | {
		dd bs=1 count=1 of=/tmp/first-byte 2>/dev/null
		cut -d' ' -f1 /proc/uptime >/tmp/first-time
		cat /tmp/first-byte - 
	} | awk -v start="$start" -v logf="$log" -v T=$T '
		function now(   u, a) { getline u < "/proc/uptime"; close("/proc/uptime"); split(u, a, " "); return sprintf("%.2f", a[1] - start) }
		function d(x) { return x == "" ? "-" : x }
		function hits(f,   l, n) { n = "?"; while ((getline l < f) > 0) if (l ~ /^ *Hits: /) { sub(/^ *Hits: */, "", l); n = l } close(f); return n }
		{ print > logf }
		fw == "" && /BdsDxe: loading/ { fw = now() }
		efi == "" && /Welcome to GRUB!/ { efi = now(); ee = hits(T "/kvm_exit/hist"); eu = hits(T "/kvm_userspace_exit/hist") }
		init == "" && /GUEST-BOOTED/ { init = now(); ie = hits(T "/kvm_exit/hist"); iu = hits(T "/kvm_userspace_exit/hist") }
		END { print d(fw), d(efi), d(init), d(ee), d(ie), d(eu), d(iu) > "/tmp/marks" }'
	end=$(cut -d' ' -f1 /proc/uptime)
	cp $T/kvm_exit/hist /tmp/$vmm-$run.exit-hist
	cp $T/kvm_userspace_exit/hist /tmp/$vmm-$run.user-hist
	counters_off
	first=-
	[ -s /tmp/first-byte ] && first=$(awk -v a="$start" '{printf "%.2f", $1 - a}' /tmp/first-time)
	# shellcheck disable=SC2046 # the marks are words, split on purpose
	set -- $(cat /tmp/marks)
	total_exits=$(awk '/^ *Hits: /{print $2}' /tmp/$vmm-$run.exit-hist)
	total_user=$(awk '/^ *Hits: /{print $2}' /tmp/$vmm-$run.user-hist)
	result=$(grep -a -o 'GUEST-RESULT [A-Z]*' "$log" | head -1)
	echo "$vmm $run $first $1 $2 $3 $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b - a}') $4 $5 $total_exits $6 $7 $total_user ${result#GUEST-RESULT }" |
		tee -a /tmp/results | while read -r line; do row $line; done
}

# row VMM RUN OUT FW EFI INIT EXIT EXITS@EFI EXITS@INIT EXITS@END USER@EFI USER@INIT USER@END [CHECKS]
row() {
	printf "%-6s %3s %6s %6s %6s %6s %6s %10s %10s %10s %8s %8s %8s  %s\n" "$@"
}
echo "#"
echo "# seconds from launch to: the console's first byte (out: the firmware's), the firmware"
echo "# loading BOOTAA64.EFI (fw), BOOTAA64.EFI's first output (efi),"
echo "# the guest's /init (init), the VMM's exit (exit). exits@: kvm_exit events (all KVM exits)"
echo "# up to that point; user@: kvm_userspace_exit events (returns from KVM_RUN to the VMM)"
row vmm run out fw efi init exit exits@efi exits@init exits@end user@efi user@init user@end guest-checks
: >/tmp/results
i=1
while [ $i -le "$runs" ]; do
	# Alternate which VMM goes first, so neither always runs on a fresher host.
	if [ $((i % 2)) = 1 ]; then boot armvm $i; boot qemu $i; else boot qemu $i; boot armvm $i; fi
	i=$((i + 1))
done

# Medians per VMM and column, and armvm/QEMU ratios.
echo "#"
echo "# medians over $runs runs, and armvm / qemu"
row vmm "" out fw efi init exit exits@efi exits@init exits@end user@efi user@init user@end
awk '
	function median(v, n,   i, j, t) {
		for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	{ n[$1]++; for (c = 3; c <= 13; c++) val[$1, c, n[$1]] = $c }
	END {
		split("armvm qemu", vm, " ")
		for (k = 1; k <= 2; k++) {
			line = vm[k] " -"
			for (c = 3; c <= 13; c++) {
				m = 0; ok = 1
				for (r = 1; r <= n[vm[k]]; r++) { x = val[vm[k], c, r]; if (x !~ /^[0-9.]+$/) ok = 0; v[++m] = x + 0 }
				med[k, c] = ok && m ? median(v, m) : "-"
				line = line " " (med[k, c] == "-" ? "-" : c <= 7 ? sprintf("%.2f", med[k, c]) : sprintf("%d", med[k, c]))
			}
			print line
		}
		line = "ratio -"
		for (c = 3; c <= 13; c++)
			line = line " " ((med[1, c] == "-" || med[2, c] == "-" || med[2, c] == 0) ? "-" : sprintf("%.2f", med[1, c] / med[2, c]))
		print line
	}' /tmp/results | while read -r line; do row $line; done

# Where the exits come from, in the last run of each: kvm_exit by kind (ret:
# 0 a host interrupt, 2 a trap, by exception class), and the returns to
# userspace by KVM_EXIT_* reason (errno -4: KVM_RUN interrupted by a signal).
for vmm in armvm qemu; do
	echo "#"
	echo "# $vmm run $runs: KVM exits by kind, then returns to userspace by reason"
	cat /tmp/$vmm-$runs.exit-hist /tmp/$vmm-$runs.user-hist | awk '
		BEGIN { n = split("0|UNKNOWN|1|WFx|7|FP_ASIMD|22|HVC64 (PSCI)|23|SMC64|24|SYS64 (system register)|32|IABT_LOW (stage-2 fault, instruction fetch)|36|DABT_LOW (stage-2 fault: MMIO or RAM not mapped yet)", a, "|")
			for (i = 1; i < n; i += 2) ec[a[i]] = a[i + 1]
			n = split("0 UNKNOWN 6 MMIO 10 INTR 24 SYSTEM_EVENT", b, " ")
			for (i = 1; i < n; i += 2) why[b[i]] = b[i + 1] }
		/^\{ ret:/ { gsub(/[{},]/, " "); what = $2 == 0 ? "host-interrupt" : $2 == 2 ? "trap " (ec[$4] ? ec[$4] : "ec=" $4) : "ret=" $2 " ec=" $4
			printf "#   %-62s %8d\n", what, $6 }
		/^\{ reason:/ { gsub(/[{},]/, " "); what = $4 < 0 ? "KVM_RUN errno " $4 : "KVM_EXIT_" (why[$2] ? why[$2] : $2)
			printf "#   to userspace: %-48s %8d\n", what, $6 }'
done
# Anything a VMM said on stderr.
for f in /tmp/*.err; do
	[ -s "$f" ] || continue
	echo "# stderr of $(basename "$f" .err):"
	sed 's/^/#   /' "$f" | head -n 10
done
# Each VMM's console of its last run, for inspection.
for vmm in armvm qemu; do
	echo "#"
	echo "# $vmm run $runs: console (last 15 lines)"
	tr -d '\r' </tmp/$vmm-$runs.log | tail -n 15 | sed 's/^/#   /'
done
exit 0
