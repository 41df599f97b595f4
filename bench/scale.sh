#!/usr/bin/env bash
# Benchmark: how boot time and the VMM's own memory grow with vCPUs, with
# guest RAM and with the number of VMs on one host, armvm and Debian's
# arm64 QEMU side by side in one run of the emulated arm64 KVM host
# (tools/sandbox, GICv3, 2 CPUs, 12 GiB). Issue 15 item 4.
#   bench/scale.sh [RUNS] [OUT-DIR]
# RUNS rounds (default 3) of: 1/4/16 vCPUs at 512 MiB, 128 MiB-8 GiB at
# 1 vCPU, and 20 VMs of 128 MiB at once (bench/scale-inside.sh; SCALE_CPUS,
# SCALE_MEMS, SCALE_VMS override). The guest: Debian's arm64 kernel and the
# test initramfs, booted directly. OUT-DIR (default build/bench/scale)
# receives the raw rows (rows.txt), the summary (summary.md: min/median/max
# and armvm/QEMU ratios of the medians) and the plot (scale.png, gnuplot).
# The sandbox host is emulated (TCG): compare figures only within a run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
out=${2:-build/bench/scale}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# gnuplot for the plot (idempotent, as tools/install-deps).
if ! command -v gnuplot >/dev/null; then
	sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get install -y -q gnuplot-nox >/dev/null
fi
tests/guest/mkinitramfs "$work/guest.cpio.gz"
bench/qemu-arm64-rootfs.sh "$work/qemu"
envs=()
for v in SCALE_CPUS SCALE_MEMS SCALE_VMS; do
	[ -z "${!v:-}" ] || envs+=(--env "$v=${!v}")
done
tools/sandbox --gic 3 --cpus 2 --memory 12G --timeout $((1800 + runs * 5400)) \
	--add "$(tools/sandbox --print-kernel):/root/Image" --add "$work/guest.cpio.gz:/root/guest.cpio.gz" \
	--add "$work/qemu:/opt/qemu" --add bench/scale-inside.sh:/root/bench.sh \
	${envs[@]+"${envs[@]}"} -- sh /root/bench.sh "$runs" | tee "$work/console.txt"
grep -E '^(cpus|mem|many) ' "$work/console.txt" | tr -d '\r' >"$out/rows.txt"
grep -E '^# (qemu|many)' "$work/console.txt" | tr -d '\r' >"$out/notes.txt" || true
[ -s "$out/rows.txt" ] || { echo "scale: no rows; see the console above" >&2; exit 1; }

# Medians etc. per (test, size, vmm): "min / median / max" of init-s and
# own-KiB; then ratios armvm/qemu of the medians.
summarise() {
	awk '
	function sortn(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t } }
	function stat(list,   a, n, m) { n = split(list, a, " "); if (n == 0) return "-"; sortn(a, n)
		m = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		med = m; return a[1] " / " m " / " a[n] }
	$6 != "-" { k = $1 SUBSEP $4 SUBSEP $5 SUBSEP $2; init[k] = init[k] " " $6; own[k] = own[k] " " $9; rss[k] = rss[k] " " $8
		if ($10 != "-") mk[k] = mk[k] " " $10; keys[$1 SUBSEP $4 SUBSEP $5] = 1 }
	END {
		print "| test | vCPUs | MiB | VMM | to init (s) min / median / max | own memory (KiB) | RSS (KiB) | marker (ms) or MemAvailable drop (KiB) |"
		print "|---|---|---|---|---|---|---|---|"
		n = 0; for (k in keys) ks[++n] = k
		for (i = 2; i <= n; i++) for (j = i; j > 1; j--) {
			split(ks[j-1], p, SUBSEP); split(ks[j], q, SUBSEP)
			if (p[1] > q[1] || (p[1] == q[1] && (p[2] + 0 > q[2] + 0 || (p[2] == q[2] && p[3] + 0 > q[3] + 0)))) { t = ks[j]; ks[j] = ks[j-1]; ks[j-1] = t } else break }
		for (i = 1; i <= n; i++) {
			split(ks[i], p, SUBSEP)
			for (v = 1; v <= 2; v++) {
				vmm = v == 1 ? "armvm" : "qemu"; k = ks[i] SUBSEP vmm
				if (!(k in init)) continue
				si = stat(init[k]); mi[vmm] = med; so = stat(own[k]); mo[vmm] = med; sr = stat(rss[k]); mr[vmm] = med
				printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", p[1], p[2], p[3], vmm, si, so, sr, (k in mk) ? stat(mk[k]) : "-"
			}
			if (("armvm" in mi) && ("qemu" in mi) && mi["qemu"] > 0 && mo["qemu"] > 0)
				printf "| %s | %s | %s | **armvm/qemu** | **%.2f** | **%.3f** | %.2f | |\n", p[1], p[2], p[3], mi["armvm"] / mi["qemu"], mo["armvm"] / mo["qemu"], mr["armvm"] / mr["qemu"]
			delete mi; delete mo; delete mr
		}
	}' "$out/rows.txt"
}
summarise >"$out/summary.md"
cat "$out/summary.md"

# The plot: boot time and own memory against vCPUs and against guest RAM,
# the medians of each VMM.
medians() { # TEST VMM XCOL: "x median-init median-own-MiB" lines
	awk -v t=$1 -v v=$2 -v x=$3 '$1 == t && $2 == v && $6 != "-" { print $x, $6, $9 / 1024 }' "$out/rows.txt" |
		sort -n -k1,1 | awk '
		function med(s,   a, n, i, j, t) { n = split(s, a, " "); for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
			return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
		{ if ($1 != x && NR > 1) { print x, med(i), med(o); i = o = "" } x = $1; i = i " " $2; o = o " " $3 }
		END { if (NR) print x, med(i), med(o) }'
}
for v in armvm qemu; do
	medians cpus $v 4 >"$work/cpus-$v.dat"
	medians mem $v 5 >"$work/mem-$v.dat"
done
gnuplot <<GP
set terminal pngcairo size 1200,900 font ",10"
set output "$out/scale.png"
set multiplot layout 2,2 title "armvm and QEMU 7.2, direct boot to the guest's init (medians of $runs rounds; emulated arm64 host)"
set key top left
set grid
set logscale x 2
set xlabel "vCPUs (512 MiB)"
set ylabel "seconds to init"
plot "$work/cpus-armvm.dat" using 1:2 with linespoints title "armvm", "$work/cpus-qemu.dat" using 1:2 with linespoints title "QEMU"
set ylabel "VMM's own memory (MiB)"
plot "$work/cpus-armvm.dat" using 1:3 with linespoints title "armvm", "$work/cpus-qemu.dat" using 1:3 with linespoints title "QEMU"
set xlabel "guest RAM, MiB (1 vCPU)"
set ylabel "seconds to init"
plot "$work/mem-armvm.dat" using 1:2 with linespoints title "armvm", "$work/mem-qemu.dat" using 1:2 with linespoints title "QEMU"
set ylabel "VMM's own memory (MiB)"
plot "$work/mem-armvm.dat" using 1:3 with linespoints title "armvm", "$work/mem-qemu.dat" using 1:3 with linespoints title "QEMU"
unset multiplot
GP
echo "scale: $out/rows.txt, $out/summary.md, $out/scale.png"
