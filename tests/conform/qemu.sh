#!/usr/bin/env bash
# armvm conform on QEMU's virt machine under TCG on this machine (the
# reference VMM, no sandbox), whole runs: the UEFI application, then Linux.
#   tests/conform/qemu.sh aarch64|arm on|off [--keep DIR | --bad-kernel | --no-variables]
# With ACPI off every must passes and no check FAILs. With ACPI on (QEMU's
# default for aarch64) AAVMF hands over ACPI and no device tree, so
# exactly the checks that need the device tree FAIL (the list below), and
# the run does not conform. 32-bit arm runs the whole thing too, with
# Debian's armmp-lpae kernel (the app serves it the initrd through
# LoadFile2: its stub has no initrd= loader). Each table is printed ('# '
# lines).
# --bad-kernel: \conform\linux is not a kernel; the firmware cannot boot
# it and comes back to the app, which stops (no new run, no hang): the
# Linux part FAILs, the second run still ends by itself.
# --no-variables: the app's planted fault (\conform-fault.txt, put on the
# ESP by the template with mtools before each run): a firmware without a
# variable service. FW-3's checks FAIL with the status, and both runs
# still end by themselves with whole blocks (the UEFI part alone).
set -u
cd "$(dirname "$0")/../.." || exit 1
arch=${1:?usage: $0 aarch64|arm on|off} acpi=${2:?usage: $0 aarch64|arm on|off}
name=conform-qemu/$arch-acpi-$acpi
pass() { echo "PASS: $name/$1"; }
fail() { echo "FAIL: $name/$1: $2"; }
bad_kernel=0 no_vars=0
[ "${3:-}" = --bad-kernel ] && bad_kernel=1 name=$name-bad-kernel
[ "${3:-}" = --no-variables ] && no_vars=1 name=$name-no-variables
if [ "${3:-}" = --keep ]; then work=$4; mkdir -p "$work"; else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
host=build/$(uname -m | sed s/aarch64/arm64/)
case $arch in
aarch64)
	code=/usr/share/AAVMF/AAVMF_CODE.fd vars=/usr/share/AAVMF/AAVMF_VARS.fd
	qemu="qemu-system-aarch64 -M virt,gic-version=3,acpi=$acpi -cpu max -smp 2"
	;;
arm)
	code=/usr/share/AAVMF/AAVMF32_CODE.fd vars=/usr/share/AAVMF/AAVMF32_VARS.fd
	qemu="qemu-system-arm -M virt,acpi=$acpi -cpu cortex-a15 -smp 2"
	;;
esac
tests/conform/payload.sh "$arch" "$work/payload" || { fail setup "tests/conform/payload.sh failed"; exit 1; }
schema=$(tools/dt-schema) || { fail setup "tools/dt-schema failed"; exit 1; }
vmm="$qemu -m 512 -nographic -nic none
 -drive if=pflash,format=raw,readonly=on,file=$code -drive if=pflash,format=raw,file={vars}
 -drive if=none,id=disk,format=raw,file={disk} -device virtio-blk-pci,drive=disk
 -device virtio-rng-pci -device virtio-serial-pci -device virtconsole
 -device pcie-root-port,id=rp1,chassis=1"
args=$(cat "$work/payload/args")
if [ $no_vars = 1 ]; then
	echo no-variables >"$work/payload/fault.txt"
	vmm="mcopy -o -i {disk}@@1M $work/payload/fault.txt ::conform-fault.txt && exec $vmm"
	args="--efi efi"
fi
if [ $bad_kernel = 1 ]; then
	head -c 4096 /dev/urandom >"$work/payload/vmlinuz"
fi
t0=$SECONDS
(cd "$work/payload" && nice "$OLDPWD/$host/armvm" conform --arch "$arch" $args \
	--vars-from "$vars" --dir "$work/run" --timeout 400 --dt-schema "$schema" --vmm "${vmm//$'\n'/}") \
	>"$work/table" 2>"$work/err"
rc=$?
echo "# $name: armvm conform exit status $rc after $((SECONDS - t0)) s"
sed 's/^/# /' "$work/table"
# QEMU's device tree draws dt-validate messages (QEMU's finding: node
# names such as pl011@ and intc@, a platform-bus interrupt-parent, a pl061
# without interrupt-controller; docs/conformance.md): conform.dt-schema
# FAILs wherever there is a tree, SKIPs with ACPI alone, and is left out
# of the FAILs compared below.
dts=$(awk '$3 == "conform.dt-schema" { print $4 }' "$work/table")
want_dts=FAIL
[ "$acpi" = on ] && [ "$arch" = aarch64 ] && want_dts=SKIP
[ "$dts" = "$want_dts" ] && pass "dt-schema-$want_dts" || fail "dt-schema-$want_dts" "conform.dt-schema is '${dts:-none}'"
fails=$(awk '$4 == "FAIL" && $3 != "conform.dt-schema" { print $3 }' "$work/table" | sort | tr '\n' ' ')
if [ $no_vars = 1 ]; then
	[ "$fails" = "uefi.nv-persists-reset uefi.variables " ] && pass variables-fail || fail variables-fail "FAILs '$fails'"
	grep -q 'uefi.variables  *FAIL  *SetVariable(NV+BS+RT): status 0x8000000000000003' "$work/table" &&
		pass variables-evidence || fail variables-evidence "$(grep uefi.variables "$work/table")"
	grep -q 'conform.uefi-run  *PASS  *run 1: exit 0 after [0-9]* s, run 2: exit 0' "$work/table" &&
		pass runs-finish || fail runs-finish "$(grep uefi-run "$work/table")"
	exit 0
fi
if [ $bad_kernel = 1 ]; then
	[ "$fails" = "conform.linux-run " ] && pass linux-run-fails || fail linux-run-fails "FAILs '$fails'"
	grep -q 'run 2: exit 0 after' "$work/table" && pass run2-ends || fail run2-ends "$(grep uefi-run "$work/table")"
	grep -aq 'came back to the app' "$work/run/run2.log" && pass app-stops ||
		fail app-stops "no 'came back to the app' on run 2's console"
	exit 0
fi
if [ "$acpi" = on ] && [ "$arch" = aarch64 ]; then
	want="linux.acpi linux.cpus linux.devicetree linux.gic linux.memory linux.psci linux.timer-dt uefi.acpi uefi.fdt-table "
	[ "$rc" = 1 ] && pass does-not-conform || fail does-not-conform "exit status $rc, expected 1"
	[ "$fails" = "$want" ] && pass expected-fails || fail expected-fails "FAILs '$fails', expected '$want'"
else
	[ "$rc" = 0 ] && pass musts-pass || fail musts-pass "exit status $rc: $(tail -n 3 "$work/err")"
	[ -z "$fails" ] && pass no-fail || fail no-fail "FAILs: $fails"
fi
# The kernel got \conform\cmdline ("quiet", armvm conform's default) as
# its LoadOptions: the app says so before StartImage.
grep -aq 'starting \\conform\\linux (.*): quiet' "$work/run/run2.log" && pass cmdline ||
	fail cmdline "no 'starting \\conform\\linux (...): quiet' on run 2's console"
ids="conform.uefi-run uefi.nv-persists-restart conform.linux-run linux.efivars"
for id in $ids; do
	r=$(awk -v id=$id '$3 == id { print $4 }' "$work/table")
	[ "$r" = PASS ] && pass "$id" || fail "$id" "result '${r:-none}', expected PASS"
done
