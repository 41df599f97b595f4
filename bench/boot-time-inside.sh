#!/bin/sh
# Runs inside tools/sandbox (see bench/boot-time.sh). For each run: the time
# from starting `armvm run` to the guest kernel's first console line, to the
# guest's /init, and to armvm's exit after the guest powers off; and armvm's
# own memory (RSS of every mapping but guest RAM) while the guest is up.
runs=${1:-3} cpus=${2:-1} mem_mib=512
echo "run  first-output-s  init-s  exit-s  armvm-rss-kib  guest-ram-rss-kib"
i=1
while [ $i -le $runs ]; do
	rm -f /tmp/times /tmp/mem
	start=$(cut -d' ' -f1 /proc/uptime)
	armvm run --kernel /root/Image --initrd /root/guest.cpio.gz --cpus $cpus \
		--memory ${mem_mib}M --cmdline "console=ttyAMA0 armvm.cpus=$cpus armvm.mem=$((mem_mib << 20)) armvm.mode=hold armvm.hold=3" \
		</dev/null 2>&1 | awk -v start="$start" -v ram=$((mem_mib * 1024)) '
		function now(   u, a) { getline u < "/proc/uptime"; close("/proc/uptime"); split(u, a, " "); return a[1] - start }
		NR == 1 { first = now() }
		/GUEST-BOOTED/ { init = now()
			# armvm is the pipeline member whose smaps maps guest RAM
			cmd = "pidof armvm"; cmd | getline pid; close(cmd)
			f = "/proc/" pid "/smaps"
			while ((getline l < f) > 0) {
				split(l, w, " ")
				if (w[1] == "Size:") size = w[2]
				if (w[1] == "Rss:") { if (size == ram) g += w[2]; else o += w[2] }
			}
			close(f)
		}
		END { printf "%s %s %d %d\n", first, init, o, g > "/tmp/times" }'
	end=$(cut -d' ' -f1 /proc/uptime)
	set -- $(cat /tmp/times)
	echo "$i    $1  $2  $(awk -v a="$start" -v b="$end" 'BEGIN{print b - a}')  $3  $4"
	i=$((i + 1))
done
