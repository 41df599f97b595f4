#!/usr/bin/env bash
# Seeds for fuzz_firmware_json: Debian's own descriptors where installed,
# and one written here (QEMU's firmware.json schema) that matches.
set -e
d=$1
cp /usr/share/qemu/firmware/*.json "$d/" 2>/dev/null || true
cat >"$d/armvm-seed.json" <<'JSON'
{
  "interface-types": ["uefi"],
  "mapping": {"device": "flash",
    "executable": {"filename": "/dev/null", "format": "raw"},
    "nvram-template": {"filename": "/dev/null", "format": "raw"}},
  "targets": [{"architecture": "aarch64", "machines": ["virt-*"]}],
  "features": ["verbose-dynamic"]
}
JSON
