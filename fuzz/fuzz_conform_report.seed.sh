#!/usr/bin/env bash
# Seeds for fuzz_conform_report: a run's console as the consoles show it
# (firmware noise, CR LF, the UEFI block across a reset, Linux's block).
set -e
d=$1
printf 'UEFI firmware\r\nCONFORM-BEGIN 1 aarch64\r\nCONFORM uefi.removable-path FW-1 PASS loaded\r\n# pending reset\r\nCONFORM uefi.nv-persists-reset FW-3 FAIL lost\r\nCONFORM-END 1 1 0\r\n' >"$d/uefi"
printf 'CONFORM-BEGIN 1 aarch64\nCONFORM linux.psci - SKIP -\nCONFORM linux.gic PLAT-3,HW-2 PASS GICv3\nCONFORM-END 1 0 1\n' >"$d/linux"
