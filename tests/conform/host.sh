#!/usr/bin/env bash
# armvm conform's host side with stand-in VMMs (shell commands), fast and
# without any VM: what it does when a VMM hangs, exits at once, or prints
# a broken report, and its one-line errors for bad options.
set -u
cd "$(dirname "$0")/../.." || exit 1
armvm=$PWD/build/$(uname -m | sed s/aarch64/arm64/)/armvm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass() { echo "PASS: conform-host/$1"; }
fail() { echo "FAIL: conform-host/$1: $2"; }
python3 fuzz/mkpe.py "$work/app.efi" 0xaa64 0x20b 10 || { fail setup "fuzz/mkpe.py"; exit 1; }

# check NAME WANT-STATUS GREP [ARGS...]: armvm conform ARGS exits with
# WANT-STATUS and its output (stdout and stderr) matches GREP.
check() {
	local name=$1 want=$2 re=$3 rc
	shift 3
	"$armvm" conform --efi "$work/app.efi" "$@" >"$work/out" 2>&1
	rc=$?
	if [ "$rc" = "$want" ] && grep -q -- "$re" "$work/out"; then pass "$name"; else
		fail "$name" "exit $rc (want $want), output: $(head -c 600 "$work/out")"; fi
}

# A VMM that hangs: killed at the timeout, the second run not started.
check hang-times-out 1 'conform.uefi-run  *FAIL  *run 1 stopped after [0-9]* s (--timeout), run 2 not started' \
	--vmm 'sleep 60' --timeout 2
# Its whole process group goes: no sleep left behind.
sleep 0.5
pgrep -f 'sleep 60$' >/dev/null && fail hang-group-killed "a 'sleep 60' survived" || pass hang-group-killed
# armvm conform stopped by a signal takes the VMM's group with it (the
# VMM's own group does not get the terminal's Ctrl-C).
"$armvm" conform --efi "$work/app.efi" --vmm 'sleep 61' --timeout 30 >/dev/null 2>&1 &
pid=$!
sleep 1.5
kill -TERM $pid
wait $pid
sleep 0.5
pgrep -f 'sleep 61$' >/dev/null && fail signal-stops-vmm "a 'sleep 61' survived" || pass signal-stops-vmm
# A VMM that exits at once: no block.
check exits-at-once 1 'conform.uefi-run  *FAIL  *run 1: exit 3 after' --vmm 'exit 3'
# Placeholders are replaced and quoted: {dir} holds the image and store
# names, and a VMM that sees them prints a report of its own.
cat >"$work/fake.sh" <<'EOS'
#!/bin/sh
# $1 disk, $2 vars, $3 the run's marker file
[ -f "$1" ] || { echo "no disk $1"; exit 1; }
if [ ! -f "$3" ]; then
	: >"$3"
	printf 'CONFORM-BEGIN 1 aarch64\r\nCONFORM uefi.fdt-timer PLAT-4 FAIL no timer\r\n'
	printf 'CONFORM uefi.gettime FW-5 PASS fine\r\nCONFORM-END 1 1 0\r\n'
else
	printf 'CONFORM-BEGIN 1 aarch64\nCONFORM uefi.nv-persists-restart FW-3 PASS ok\nCONFORM-END 1 0 0\n'
	printf 'CONFORM-BEGIN 1 aarch64\nCONFORM uefi.gettime FW-5 PASS again\nCONFORM-END 1 0 0\n'
	printf 'CONFORM bogus line\n'
fi
EOS
chmod +x "$work/fake.sh"
check fake-report 0 'uefi.fdt-timer  *FAIL  *no timer' \
	--vmm "$work/fake.sh {disk} {vars} {dir}/marker" --dir "$work/d1"
grep -q '^# run2.log:7: a malformed CONFORM line' "$work/out" &&
	pass fake-problem-named || fail fake-problem-named "$(cat "$work/out")"
grep -q 'a should FAILed\|every must passes' "$work/out" && pass fake-should-not-fatal ||
	fail fake-should-not-fatal "$(tail -n 2 "$work/out")"
check fake-json 0 '"musts_pass":true' --json \
	--vmm "$work/fake.sh {disk} {vars} {dir}/marker2" --dir "$work/d2"
# Run 2 must show its own whole block: run 1's (also in the results
# file) does not stand in for it.
cat >"$work/once.sh" <<'EOS'
#!/bin/sh
[ -f "$1" ] && exit 0
: >"$1"
printf 'CONFORM-BEGIN 1 aarch64\nCONFORM uefi.gettime FW-5 PASS fine\nCONFORM-END 1 0 0\n'
EOS
chmod +x "$work/once.sh"
check run2-needs-its-block 1 'conform.uefi-run  *FAIL  *run 1: exit 0 after [0-9]* s, run 2: exit 0 after [0-9]* s; whole UEFI blocks: run 1 1, run 2 0' \
	--vmm "$work/once.sh {dir}/marker" --dir "$work/d3"
# A path with a quote in it stays one argument.
mkdir -p "$work/it's"
check quoted-dir 0 'conform.uefi-run  *PASS' \
	--vmm "$work/fake.sh {disk} {vars} {dir}/marker" --dir "$work/it's"

# conform.dt-schema: a stand-in VMM puts a \conform.dtb on the image's ESP
# (at 1 MiB, as armvm image build puts it) with mtools; a stand-in
# dt-validate on PATH answers for Debian's.
python3 - "$work/ok.dtb" <<'EOP'
import struct, sys
body = struct.pack(">II", 1, 0) + struct.pack(">II", 2, 9)  # root node, end
hdr = struct.pack(">10I", 0xd00dfeed, 56 + len(body), 56, 56 + len(body),
                  40, 17, 16, 0, 0, len(body))
open(sys.argv[1], "wb").write(hdr + b"\0" * 16 + body)
EOP
head -c 200 /dev/urandom >"$work/bad.dtb"
cat >"$work/dtvm.sh" <<'EOS'
#!/bin/sh
# $1 disk, $2 the dtb to put on its ESP
mcopy -o -i "$1@@1M" "$2" ::conform.dtb || exit 1
printf 'CONFORM-BEGIN 1 aarch64\nCONFORM uefi.gettime FW-5 PASS fine\nCONFORM-END 1 0 0\n'
EOS
mkdir -p "$work/bin"
cat >"$work/bin/dt-validate" <<'EOS'
#!/bin/sh
# dt-validate -s SCHEMA fdt.dtb; the file must be the packed tree.
[ "$(od -An -tx1 -N4 "$3" | tr -d ' ')" = d00dfeed ] || { echo "not a dtb: $3"; exit 1; }
[ -n "${FAKE_DTV_SAY:-}" ] && printf '%s: %s\n\tFrom schema: x.yaml\n' "$PWD/$3" "$FAKE_DTV_SAY"
exit 0
EOS
chmod +x "$work/dtvm.sh" "$work/bin/dt-validate"
: >"$work/schema.json"
dtvm="$work/dtvm.sh {disk}"
check dt-schema-skip-without 0 'conform.dt-schema  *SKIP  *no --dt-schema given' \
	--vmm "$dtvm $work/ok.dtb" --timeout 20
PATH=$work/bin:$PATH check dt-schema-pass 0 'conform.dt-schema  *PASS  *dt-validate: no messages' \
	--vmm "$dtvm $work/ok.dtb" --timeout 20 --dt-schema "$work/schema.json"
PATH=$work/bin:$PATH FAKE_DTV_SAY="/: 'model' is a required property" check dt-schema-fail 0 \
	"conform.dt-schema  *FAIL  *1 dt-validate message(s), first: /: 'model' is a required property" \
	--vmm "$dtvm $work/ok.dtb" --timeout 20 --dt-schema "$work/schema.json"
# The guest's blob is checked before anything reads it.
PATH=$work/bin:$PATH check dt-schema-bad-blob 0 'conform.dt-schema  *FAIL  *\\conform.dtb (200 bytes): FDT_ERR_BADMAGIC' \
	--vmm "$dtvm $work/bad.dtb" --timeout 20 --dt-schema "$work/schema.json"
# A guest that broke the primary GPT: the files are read through the
# backup, as firmware would (and with both broken, the run says so).
cat >"$work/nogpt.sh" <<'EOS'
#!/bin/sh
# $1 disk, $2 the dtb, $3 the LBAs to zero (the primary header, or both)
mcopy -o -i "$1@@1M" "$2" ::conform.dtb || exit 1
for lba in $3; do
	[ "$lba" = last ] && lba=$(($(stat -c %s "$1") / 512 - 1))
	dd if=/dev/zero of="$1" bs=512 seek="$lba" count=1 conv=notrunc 2>/dev/null
done
printf 'CONFORM-BEGIN 1 aarch64\nCONFORM uefi.gettime FW-5 PASS fine\nCONFORM-END 1 0 0\n'
EOS
chmod +x "$work/nogpt.sh"
PATH=$work/bin:$PATH check gpt-backup-read 0 'conform.dt-schema  *PASS' \
	--vmm "$work/nogpt.sh {disk} $work/ok.dtb 1" --timeout 20 --dt-schema "$work/schema.json"
check gpt-both-broken 0 'conform.dt-schema  *SKIP  *no device tree from the firmware: no valid GPT (the primary: ' \
	--vmm "$work/nogpt.sh {disk} $work/ok.dtb '1 last'" --timeout 20 --dt-schema "$work/schema.json"
check dt-schema-no-tree 1 'conform.dt-schema  *SKIP  *no device tree from the firmware: no \\conform.dtb on the ESP' \
	--vmm "$work/once.sh $work/marker-dt" --timeout 20 --dt-schema "$work/schema.json"

# Bad options: one line naming the option, exit 2.
check bad-arch 2 "conform: --arch 'x86': expected aarch64 or arm" --arch x86
check bad-placeholder 2 'conform: --vmm: unknown {disks}' --vmm 'x {disks}'
# Other braces are the template's own: a shell expansion, QEMU's JSON.
check other-braces-kept 1 'run 1: exit 7 after' --vmm 'echo ${NONE:-x} {"a":1} {A}; exit 7' --timeout 5
check missing-kernel 2 "conform: --kernel '/no/such': No such file or directory" --kernel /no/such
check bad-timeout 2 "conform: --timeout '0': expected seconds" --timeout 0
check extra-arg 2 "conform: unexpected argument 'x'" x
check missing-dt-schema 2 "conform: --dt-schema '/no/such.json': No such file or directory" --dt-schema /no/such.json
"$armvm" conform --efi /no/such.efi >"$work/out" 2>&1
[ $? = 2 ] && grep -q "conform: --efi '/no/such.efi': No such file" "$work/out" &&
	pass missing-efi || fail missing-efi "$(cat "$work/out")"
