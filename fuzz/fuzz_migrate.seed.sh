#!/usr/bin/env bash
# Seeds for fuzz_migrate: whole migration streams (vmm/migrate.h) a
# destination accepts: pages of 4 KiB and of 64 KiB, PAGES and ZERO runs, a
# page sent twice, STATE with its SHA-256, END; and one that sends pages
# after STATE (refused: a digest is beyond a blind mutation's reach).
set -e
d=$1
python3 - "$d" <<'PY'
import hashlib, struct, sys
d = sys.argv[1]

def header(page, ram):
    return b"ARMVMMIG" + struct.pack("<IIQQ", 1, page, ram, 0)

def rec(kind, count, off):
    return struct.pack("<IIQ", kind, count, off)

def state(body):
    return rec(3, 0, len(body)) + hashlib.sha256(body).digest() + body

END = rec(4, 0, 0)

def pages(page, first, data):
    count = len(data) // page
    return rec(1, count, first * page) + data

s = header(4096, 64 << 10)
s += pages(4096, 0, bytes(range(256)) * 32)
s += rec(2, 1, 0x2000) + pages(4096, 15, b"\x5a" * 4096)
s += pages(4096, 1, b"\xa5" * 4096)
s += state(b"plan\x00" + bytes(range(40)))
open(d + "/pages4k", "wb").write(s + END)

s = header(65536, 256 << 10)
s += rec(2, 4, 0) + pages(65536, 3, b"\x01" * 65536)
open(d + "/pages64k", "wb").write(s + state(b"x") + END)

open(d + "/minimal", "wb").write(header(4096, 4096) + state(b"s" * 3) + END)
open(d + "/after_state", "wb").write(header(4096, 8192) + state(b"t") +
                                     rec(2, 1, 4096) + END)
PY
