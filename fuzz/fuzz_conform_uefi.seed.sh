#!/usr/bin/env bash
# Seeds for fuzz_conform_uefi: QEMU virt's device trees (aarch64 with a
# GICv3, arm with a GICv2) behind a 0 byte, and an ACPI 2.0 RSDP behind a 1.
set -e
d=$1
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
# QEMU pads its tree to 1 MiB: cut it to its blocks (totalsize too).
trim() {
	python3 - "$1" "$2" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
h = struct.unpack(">10I", b[:40])
end = max(h[2] + h[9], h[3] + h[8])
b[4:8] = struct.pack(">I", end)
open(sys.argv[2], "wb").write(b"\0" + bytes(b[:end]))
PY
}
if command -v qemu-system-aarch64 >/dev/null &&
	qemu-system-aarch64 -M virt,gic-version=3,dumpdtb="$t/a64.dtb" -cpu max -m 512 -smp 2 \
		-nographic -nic none >/dev/null 2>&1; then
	trim "$t/a64.dtb" "$d/fdt-aarch64"
fi
if command -v qemu-system-arm >/dev/null &&
	qemu-system-arm -M virt,dumpdtb="$t/arm.dtb" -m 512 -nographic -nic none >/dev/null 2>&1; then
	trim "$t/arm.dtb" "$d/fdt-arm"
fi
python3 - "$d/rsdp" <<'PY'
import struct, sys
r = bytearray(b"RSD PTR " + b"\0" + b"BOCHS " + bytes([2]) + struct.pack("<IIQ", 0, 36, 0x5c4e0000) + bytes(4))
r[8] = -sum(r[:20]) & 0xff
r[32] = -sum(r) & 0xff
open(sys.argv[1], "wb").write(b"\x01" + bytes(r))
PY
