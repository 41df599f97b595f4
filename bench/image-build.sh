#!/usr/bin/env bash
# Benchmark (issue 4): build a 2 GiB image with a 256 MiB ESP holding a
# ~40 MiB kernel and initrd, then check it; compare with the usual rootless
# Debian pipeline (sgdisk + mkfs.fat -F 32 + mtools) building the same
# layout. Reports wall time and the bytes each pipeline read and wrote
# (rchar/wchar from /proc/<shell>/io, which includes reaped children), and
# the disk space the sparse image takes.
#
#   bench/image-build.sh [RUNS]      (default 3 runs each; warm page cache)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
arch=$(uname -m | sed -e 's/aarch64/arm64/')
A=$PWD/build/$arch/armvm
[ -x "$A" ] || make -s
T=$(mktemp -d "${TMPDIR:-/tmp}/armvm-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
export MTOOLS_SKIP_CHECK=1 TZ=UTC SOURCE_DATE_EPOCH=1700000000 PATH=$PATH:/usr/sbin:/sbin

# Inputs: a PE/COFF loader, a 33 MiB "kernel" and a 7 MiB "initrd" (random
# bytes: like compressed data, nothing is sparse).
python3 fuzz/mkpe.py "$T/BOOTAA64.EFI" 0xaa64 0x20b 10
head -c $((33 << 20)) /dev/urandom >"$T/vmlinuz"
head -c $((7 << 20)) /dev/urandom >"$T/initrd.img"

armvm_build() {
	rm -f "$T/a.img"
	"$A" image build "$T/a.img" --size 2G --esp-size 256M --boot-efi "$T/BOOTAA64.EFI" \
		--add "$T/vmlinuz:/vmlinuz" --add "$T/initrd.img:/initrd.img" \
		--partition name=root,type=root-arm64
}
armvm_check() { "$A" image check "$T/a.img" >/dev/null; }
debian_build() {
	rm -f "$T/d.img"
	truncate -s 2G "$T/d.img"
	sgdisk -o -n 1:2048:+256M -t 1:ef00 -n 2:0:0 -t 2:8305 "$T/d.img" >/dev/null
	# -s 1: with --offset, mkfs.fat 4.2 picks the cluster size from the
	# whole 2 GiB file and makes a FAT32 of 65403 clusters, which EDK2
	# rejects (armvm image check: IMG-3.fat32); 512-byte clusters as armvm.
	mkfs.fat -F 32 -s 1 -n ESP --offset=2048 "$T/d.img" $((256 * 1024)) >/dev/null 2>&1
	mmd -i "$T/d.img@@1M" ::/EFI ::/EFI/BOOT
	mcopy -i "$T/d.img@@1M" "$T/BOOTAA64.EFI" ::/EFI/BOOT/BOOTAA64.EFI
	mcopy -i "$T/d.img@@1M" "$T/vmlinuz" ::/vmlinuz
	mcopy -i "$T/d.img@@1M" "$T/initrd.img" ::/initrd.img
}
debian_check() { "$A" image check "$T/d.img" >/dev/null; }
export -f armvm_build armvm_check debian_build debian_check
export A T

# measure FUNC: "seconds rchar wchar" for one run of FUNC in a fresh shell.
measure() {
	bash -c '
		s=$(date +%s.%N)
		'"$1"' || exit 1
		e=$(date +%s.%N)
		io=$(cat /proc/$$/io)
		r=$(echo "$io" | awk "/^rchar/ { print \$2 }")
		w=$(echo "$io" | awk "/^wchar/ { print \$2 }")
		echo "$(awk "BEGIN { print $e - $s }") $r $w"'
}

report() {
	local name=$1 fn=$2 best="" line
	for _ in $(seq "$runs"); do
		line=$(measure "$fn")
		if [ -z "$best" ] || awk "BEGIN { exit !(${line%% *} < ${best%% *}) }"; then best=$line; fi
	done
	read -r t r w <<<"$best"
	printf '%-34s %8.3f s %12s B read %12s B written\n' "$name" "$t" "$r" "$w"
}

echo "2 GiB image, 256 MiB ESP, $(( ($(stat -c %s "$T/vmlinuz") + $(stat -c %s "$T/initrd.img")) >> 20 )) MiB kernel+initrd; best of $runs runs, warm cache"
report "armvm image build" armvm_build
report "armvm image check (armvm image)" armvm_check
report "sgdisk + mkfs.fat + mtools" debian_build
report "armvm image check (Debian image)" debian_check
printf '%-34s %8s\n' "allocated on disk (armvm)" "$(du -h "$T/a.img" | cut -f1)"
printf '%-34s %8s\n' "allocated on disk (Debian tools)" "$(du -h "$T/d.img" | cut -f1)"
"$A" image check "$T/a.img" | tail -n 1
"$A" image check "$T/d.img" | tail -n 1
