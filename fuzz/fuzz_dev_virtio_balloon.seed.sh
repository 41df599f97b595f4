#!/usr/bin/env bash
# Seeds for fuzz_dev_virtio_balloon: a driver that brings the balloon up
# through virtio-pci (features, status, a queue), then an inflate, a
# deflate, a statistics exchange with the host asking, and a free page
# report; the host sets targets in between. Operations as fuzz_machine.c
# reads them: kind, size selector, region (0: configuration space, 1:
# BAR 0), pad, offset, value.
set -e
d=$1
python3 - "$d" <<'PY'
import struct, sys
d = sys.argv[1]
RAM = 0x40000000
READ, WRITE, POKE, HOST = 0, 1, 2, 0xfc
SIZE = {1: 0, 2: 1, 4: 2, 8: 3}

def op(kind, size, region, off, val, pad=0):
    return struct.pack("<BBBBIQ", kind, SIZE[size], region, pad, off, val)

def bar(off, val, size):  # BAR 0: common config at 0, notify at 0x3000
    return op(WRITE, size, 1, off, val)

def poke(gpa, val):
    return op(POKE, 8, 0, gpa - RAM, val)

def host(req, val):  # 0: target, 1: target in pages, 2: stats, 3: info
    return op(HOST, 8, 0, 0, val, req)

def desc(table, i, addr, length, flags=0, nxt=0):
    return poke(table + 16 * i, addr) + \
        poke(table + 16 * i + 8, length | flags << 32 | nxt << 48)

def bring_up(features, queues):
    s = bar(0x14, 3, 1)                       # ACKNOWLEDGE | DRIVER
    s += bar(0x08, 0, 4) + bar(0x0c, features, 4)
    s += bar(0x08, 1, 4) + bar(0x0c, 1, 4)    # VERSION_1
    s += bar(0x14, 0xb, 1)                    # FEATURES_OK
    for q in queues:
        base = RAM + 0x10000 * (q + 1)
        s += bar(0x16, q, 2) + bar(0x18, 8, 2)
        s += bar(0x20, base, 8) + bar(0x28, base + 0x1000, 8)
        s += bar(0x30, base + 0x2000, 8) + bar(0x1c, 1, 2)
    return s + bar(0x14, 0xf, 1)              # DRIVER_OK

def kick(q, heads):  # publish heads (at most 4) and ring the doorbell
    ring = sum(h << (32 + 16 * i) for i, h in enumerate(heads[:2]))
    s = poke(queue(q) + 0x1000, len(heads) << 16 | ring)
    if len(heads) > 2:
        s += poke(queue(q) + 0x1008, heads[2] | heads[3] << 16)
    return s + bar(0x3000 + 4 * q, q, 2)

def queue(q):
    return RAM + 0x10000 * (q + 1)

ALL = 1 << 1 | 1 << 5
pfns = RAM + 0x90000
seeds = {}
# Inflate four pages (two runs, one PFN outside RAM), then deflate them.
s = bring_up(ALL, [0, 1]) + host(0, 64 << 10)
s += poke(pfns, (RAM >> 12) + 0xa0 | ((RAM >> 12) + 0xa1) << 32)
s += poke(pfns + 8, (RAM >> 12) + 0xa4 | 5 << 32)
s += desc(queue(0), 0, pfns, 16) + kick(0, [0])
s += desc(queue(1), 0, pfns, 8) + kick(1, [0]) + host(3, 0)
seeds["inflate"] = s
# Statistics: the driver's buffer, the host's request, a refill.
stats = RAM + 0xa0000
s = bring_up(ALL, [2])
s += poke(stats, 4 | 4096 << 16) + poke(stats + 8, 5 | 0 << 16)
s += desc(queue(2), 0, stats, 20) + kick(2, [0])
s += host(2, 0) + desc(queue(2), 1, stats, 20) + kick(2, [0, 1]) + host(3, 0)
seeds["stats"] = s
# Free page reporting on queue 3 (after statsq) and, without statistics,
# on queue 2; a chain of two device-writable ranges.
for name, feat, q in (("report", ALL, 3), ("report-nostats", 1 << 5, 2)):
    s = bring_up(feat, [q])
    s += desc(queue(q), 0, RAM + 0xb0000, 0x8000, 3, 1)
    s += desc(queue(q), 1, RAM + 0xc0100, 0x2000, 2, 0)
    s += kick(q, [0]) + host(3, 0)
    seeds[name] = s
# Targets: some refused (not whole pages, more than RAM), and the driver's
# answer in the config space (BAR 0 + 0x2000: num_pages, actual).
s = bring_up(ALL, []) + host(0, 4097) + host(0, 2 << 20) + host(1, 16)
s += bar(0x2004, 16, 4) + op(READ, 4, 1, 0x2000, 0) + host(3, 0)
seeds["target"] = s
for name, s in seeds.items():
    open(d + "/seed-" + name, "wb").write(s)
PY
