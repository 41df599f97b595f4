#!/bin/sh
# Runs inside tools/sandbox (see bench/seccomp-cost.sh): direct boots of the
# test guest with armvm's seccomp filters on (kill, the default) and off,
# alternating, each to the guest's /init and to armvm's exit after the
# guest powers off (armvm.mode=hold keeps it up 3 s). Then the medians and
# the ratio kill/off (above 1: the filters cost time).
runs=${1:-5} cpus=${2:-2}
boot() { # MODE: one boot; prints "MODE init-s exit-s"
	start=$(cut -d' ' -f1 /proc/uptime)
	armvm run --seccomp "$1" --kernel /root/Image --initrd /root/guest.cpio.gz \
		--cpus $cpus --memory 512M --net user \
		--cmdline "console=ttyAMA0 armvm.cpus=$cpus armvm.mem=536870912 armvm.mode=hold armvm.hold=3" \
		</dev/null 2>&1 | awk -v start="$start" '
		function now(   u, a) { getline u < "/proc/uptime"; close("/proc/uptime"); split(u, a, " "); return a[1] - start }
		/GUEST-BOOTED/ { init = now() }
		END { printf "%s\n", init > "/tmp/init" }'
	end=$(cut -d' ' -f1 /proc/uptime)
	echo "$1 $(cat /tmp/init) $(awk -v a="$start" -v b="$end" 'BEGIN{print b - a}')"
}
echo "# $(uname -r), $(nproc) CPUs; guest: $cpus vCPUs, 512 MiB, virtio-net on libslirp"
echo "mode init-s exit-s"
: >/tmp/rows
i=1
while [ $i -le $runs ]; do
	if [ $((i % 2)) = 1 ]; then order="kill off"; else order="off kill"; fi
	for m in $order; do boot $m | tee -a /tmp/rows; done
	i=$((i + 1))
done
awk '
	function median(v, n,   i, j, t) {
		for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	{ n[$1]++; a[$1, n[$1]] = $2; b[$1, n[$1]] = $3 }
	END {
		for (m in n) {
			delete x; delete y
			for (i = 1; i <= n[m]; i++) { x[i] = a[m, i]; y[i] = b[m, i] }
			mi[m] = median(x, n[m]); me[m] = median(y, n[m])
			printf "# median %s: init %.2f s, exit %.2f s (%d boots)\n", m, mi[m], me[m], n[m]
		}
		if (mi["off"] > 0 && me["off"] > 0)
			printf "# ratio kill/off: init %.3f, exit %.3f\n", mi["kill"] / mi["off"], me["kill"] / me["off"]
	}' /tmp/rows
