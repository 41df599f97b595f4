#!/usr/bin/env bash
# tests/conform/uefi-qemu.sh: the UEFI conformance application
# (conform/uefi/, docs/conformance-uefi.md) booted on QEMU under TCG with
# Debian's AAVMF, through its whole protocol:
#
#   1. a disk image with the app at the removable-media path
#      (`armvm image build --boot-efi`) and a fresh copy of the variable
#      store;
#   2. the first QEMU process: the app checks, writes its marker, resets
#      (EfiResetCold), runs again after the reset, reports, powers off;
#   3. the second QEMU process, same image and variable store (the
#      instance restarted): the app reports uefi.nv-persists-restart and
#      powers off;
#   4. \conform.txt read back from the ESP (mtools).
#
#   tests/conform/uefi-qemu.sh [--arch aarch64|arm] [--acpi on|off]
#                              [--no-rng] [--allow-fail ID,...] [--keep DIR]
#
# --acpi off gives QEMU's virt machine -M virt,acpi=off: AAVMF then hands
# the OS the device tree; with ACPI on (QEMU's default) it hands over ACPI
# tables instead and no FDT, so uefi.fdt-table (HW-1) and uefi.acpi (HW-3)
# FAIL: give --allow-fail uefi.fdt-table,uefi.acpi to check the rest.
# QEMU's 32-bit virt machine has no ACPI tables either way (--arch arm
# --acpi on is the device tree only, and every check passes). The
# script fails when a check FAILs (unless allowed; an allowed check that
# passes is a failure too), when a block has no CONFORM-END or counts that
# do not match its lines, or when the application did not run its whole
# protocol and report every check once.
# Prints "PASS: conform-uefi/..." or "FAIL: conform-uefi/...: why" lines
# (the suites' format), the CONFORM lines and the times. Exit status 0
# when every step passed. QEMU runs one at a time, -smp 1, each under a
# timeout (ARMVM_CONFORM_TIMEOUT seconds, default 400).
set -u
cd "$(dirname "$0")/../.."
arch=aarch64 acpi=on rng=1 allow= keep=
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=$2; shift ;;
	--acpi) acpi=$2; shift ;;
	--no-rng) rng=0 ;;
	--allow-fail) allow=",$2,"; shift ;;
	--keep) keep=$2; shift ;;
	*) echo "usage: $0 [--arch aarch64|arm] [--acpi on|off] [--no-rng] [--allow-fail ID,...] [--keep DIR]" >&2; exit 2 ;;
	esac
	shift
done
timeout_s=${ARMVM_CONFORM_TIMEOUT:-400}
name=conform-uefi/$arch-acpi-$acpi
failed=0
pass() { echo "PASS: $name/$1"; }
fail() { echo "FAIL: $name/$1: $2"; failed=1; }

case $arch in
aarch64)
	efi=build/conform/BOOTAA64.EFI
	code=/usr/share/AAVMF/AAVMF_CODE.fd vars=/usr/share/AAVMF/AAVMF_VARS.fd
	qemu=(qemu-system-aarch64 -M "virt,gic-version=3,acpi=$acpi" -cpu max)
	;;
arm)
	efi=build/conform/BOOTARM.EFI
	code=/usr/share/AAVMF/AAVMF32_CODE.fd vars=/usr/share/AAVMF/AAVMF32_VARS.fd
	qemu=(qemu-system-arm -M "virt,acpi=$acpi" -cpu cortex-a15)
	;;
*) echo "$0: --arch aarch64 or arm" >&2; exit 2 ;;
esac
host=build/$(uname -m | sed s/aarch64/arm64/)
# Up to date, whatever was built before (make does nothing if it is).
nice make -s -j1 conform-uefi armvm >/dev/null || { fail setup "make conform-uefi armvm failed"; exit 1; }
for f in "$code" "$vars"; do
	[ -f "$f" ] || { fail setup "no $f (qemu-efi-aarch64 / qemu-efi-arm)"; exit 1; }
done

if [ -n "$keep" ]; then
	work=$keep
	mkdir -p "$work"
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
"$host/armvm" image build "$work/disk.img" --size 64M --boot-efi "$efi" --force >/dev/null ||
	{ fail setup "armvm image build failed"; exit 1; }
cp "$vars" "$work/vars.fd"
qemu+=(-m 512 -smp 1 -nographic -nic none
	-drive "if=pflash,format=raw,readonly=on,file=$code"
	-drive "if=pflash,format=raw,file=$work/vars.fd"
	-drive "if=none,id=disk,format=raw,file=$work/disk.img"
	-device virtio-blk-pci,drive=disk)
[ $rng = 1 ] && qemu+=(-device virtio-rng-pci)

# One QEMU process; its console into $1, CRs dropped. The app ends every
# step by powering off, which ends QEMU.
boot() {
	local t0=$SECONDS rc
	timeout "$timeout_s" nice "${qemu[@]}" </dev/null >"$work/$1.raw" 2>"$work/$1.err"
	rc=$?
	tr -d '\r' <"$work/$1.raw" >"$work/$1.log"
	echo "# $1: QEMU exit status $rc after $((SECONDS - t0)) s"
	return $rc
}

# The CONFORM lines of a console log, each as it came (ids, counts).
conform_lines() { grep -a -E '^CONFORM(-BEGIN|-END)? ' "$@"; }

boot run1 || fail run1 "QEMU did not power off within ${timeout_s} s (exit status $?)"
conform_lines "$work/run1.log"
grep -aqx '# pending reset' "$work/run1.log" && pass reset-requested ||
	fail reset-requested "no '# pending reset' on the console"
# Two starts of the app in the one process: before and after the reset.
n=$(grep -a -c 'CONFORM-BEGIN' "$work/run1.log")
[ "$n" = 1 ] && pass one-block || fail one-block "$n CONFORM-BEGIN lines in the first process (a lost marker restarts the run)"
grep -aq '^CONFORM-END ' "$work/run1.log" && pass run1-end || fail run1-end "no CONFORM-END on the console"
grep -aqx '# pending restart' "$work/run1.log" && pass restart-requested ||
	fail restart-requested "no '# pending restart' on the console"

boot run2 || fail run2 "QEMU did not power off within ${timeout_s} s (exit status $?)"
conform_lines "$work/run2.log"
grep -aq '^CONFORM uefi.nv-persists-restart ' "$work/run2.log" && pass restart-reported ||
	fail restart-reported "no uefi.nv-persists-restart line after the restart"
grep -aq '^CONFORM-END ' "$work/run2.log" && pass run2-end || fail run2-end "no CONFORM-END on the console"

# The results file on the ESP: both blocks, every check once, and each
# CONFORM-END's counts those of its block's lines.
off=$(sgdisk -i 1 "$work/disk.img" 2>/dev/null | awk '/^First sector:/ {print $3}')
if [ -n "$off" ] && mcopy -n -i "$work/disk.img@@$((off * 512))" ::conform.txt "$work/conform.txt" 2>"$work/mcopy.err"; then
	pass results-file
else
	fail results-file "no \\conform.txt on the ESP ($(head -c 200 "$work/mcopy.err" 2>/dev/null))"
	: >"$work/conform.txt"
fi
# The console and the file carry the same lines.
if cmp -s <(cat "$work/run1.log" "$work/run2.log" | conform_lines) <(tr -d '\r' <"$work/conform.txt" | conform_lines); then
	pass console-matches-file
else
	fail console-matches-file "the console's CONFORM lines differ from \\conform.txt's"
fi
tr -d '\r' <"$work/conform.txt" | awk -v name="$name" '
	/^CONFORM-BEGIN / {
		if (blocks > ends) bad = bad " block " blocks ": no CONFORM-END"
		blocks++; p = f = s = 0; next
	}
	/^CONFORM-END / {
		ends++
		if ($2 != p || $3 != f || $4 != s) bad = bad " block " blocks ": END " $2 "/" $3 "/" $4 " lines " p "/" f "/" s
		next
	}
	/^CONFORM / {
		seen[$2]++
		if ($4 == "PASS") p++; else if ($4 == "FAIL") f++; else if ($4 == "SKIP") s++; else bad = bad " status " $4
		if (length($0) > 0 && $0 !~ /^[ -~]+$/) bad = bad " unprintable"
	}
	END {
		n = split("uefi.removable-path uefi.fdt-table uefi.acpi uefi.fdt-content uefi.fdt-gic uefi.fdt-timer uefi.fdt-console uefi.fdt-pcie uefi.timer-frequency uefi.gettime uefi.settime uefi.variables uefi.rng uefi.reset-system uefi.nv-persists-reset uefi.nv-persists-restart", ids, " ")
		for (i = 1; i <= n; i++)
			if (seen[ids[i]] != 1) bad = bad " " ids[i] " x" seen[ids[i]] + 0
		if (blocks > ends) bad = bad " block " blocks ": no CONFORM-END"
		if (blocks != 2) bad = bad " " blocks " blocks"
		if (bad == "") print "PASS: " name "/results-complete"
		else print "FAIL: " name "/results-complete:" bad
	}' | tee "$work/complete"
grep -q '^FAIL' "$work/complete" && failed=1
# Every check's status: a FAIL fails the run unless --allow-fail names it;
# an allowed FAIL that did not happen is reported too (the allowance is
# stale).
fails= unexpected=
for id in $(grep -a '^CONFORM [^ ]* [^ ]* FAIL' "$work/conform.txt" | awk '{print $2}'); do
	case $allow in *",$id,"*) fails+="$id " ;; *) unexpected+="$id " ;; esac
done
[ -z "$unexpected" ] && pass no-fail || fail no-fail "FAIL: $unexpected"
# With virtio-rng AAVMF offers EFI_RNG_PROTOCOL: the check must PASS; a
# SKIP would hide a broken lookup. Without it, it must SKIP.
want_rng=$([ $rng = 1 ] && echo PASS || echo SKIP)
if grep -a -q "^CONFORM uefi.rng - $want_rng" "$work/conform.txt"; then
	pass "rng-$want_rng"
else
	fail "rng-$want_rng" "$(grep -a '^CONFORM uefi.rng ' "$work/conform.txt" | head -1)"
fi
for id in $(echo "${allow//,/ }"); do
	case " $fails" in *" $id "*) pass "allowed-fail-$id" ;; *) fail "allowed-fail-$id" "$id did not FAIL" ;; esac
done
echo "# $name: results in ${keep:-a temporary folder}; $SECONDS s in all"
exit $failed
