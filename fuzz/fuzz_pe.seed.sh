#!/usr/bin/env bash
# Seeds for fuzz_pe: valid PE32+ and PE32 EFI applications.
set -e
d=$1
python3 "$(dirname "$0")/mkpe.py" "$d/aa64.efi" 0xaa64 0x20b 10
python3 "$(dirname "$0")/mkpe.py" "$d/arm.efi" 0x1c2 0x10b 10
