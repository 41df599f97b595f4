#!/usr/bin/env bash
# Seeds for fuzz_dev_virtio_mmio (and fuzz_machine, through
# fuzz_machine.seed.sh): a driver that brings virtio-blk (slot 0) and
# virtio-rng (slot 1) up through their virtio-mmio registers as virtio 1.2
# 4.2.3.1 has it (status, features, a queue), then reads and writes
# sectors, flushes, asks for entropy, and acknowledges the interrupts. A
# blind start does not get a queue going in a minute. Operations as
# fuzz_machine.c reads them: kind, size selector, region, pad, offset,
# value.
#   fuzz_dev_virtio_mmio.seed.sh DIR [REGION]
# REGION: the index of slot 0's region in the target (slot 1's follows);
# 0 in fuzz_dev_virtio_mmio.
set -e
d=$1
first=${2:-0}
python3 - "$d" "$first" <<'PY'
import struct, sys
d, first = sys.argv[1], int(sys.argv[2])
RAM = 0x40000000
READ, WRITE, POKE = 0, 1, 2
SIZE = {1: 0, 2: 1, 4: 2, 8: 3}
BLK, RNG = first, first + 1

def op(kind, size, region, off, val, pad=0):
    return struct.pack("<BBBBIQ", kind, SIZE[size], region, pad, off, val)

def reg(dev, off, val):  # control registers: aligned 32-bit writes
    return op(WRITE, 4, dev, off, val)

def rd(dev, off):
    return op(READ, 4, dev, off, 0)

def poke(gpa, val):
    return op(POKE, 8, 0, gpa - RAM, val)

def desc(table, i, addr, length, flags=0, nxt=0):
    return poke(table + 16 * i, addr) + \
        poke(table + 16 * i + 8, length | flags << 32 | nxt << 48)

def queue(dev):  # descriptor table; avail at +0x1000, used at +0x2000
    return RAM + 0x10000 * (dev - first + 1)

def bring_up(dev, features):
    q = queue(dev)
    s = reg(dev, 0x70, 0) + reg(dev, 0x70, 1) + reg(dev, 0x70, 3)
    s += reg(dev, 0x14, 0) + rd(dev, 0x10)
    s += reg(dev, 0x24, 0) + reg(dev, 0x20, features)
    s += reg(dev, 0x24, 1) + reg(dev, 0x20, 1)       # VERSION_1
    s += reg(dev, 0x70, 0xb) + rd(dev, 0x70)          # FEATURES_OK
    s += reg(dev, 0x30, 0) + rd(dev, 0x34) + reg(dev, 0x38, 8)
    s += reg(dev, 0x80, q & 0xffffffff) + reg(dev, 0x84, q >> 32)
    s += reg(dev, 0x90, (q + 0x1000) & 0xffffffff) + reg(dev, 0x94, 0)
    s += reg(dev, 0xa0, (q + 0x2000) & 0xffffffff) + reg(dev, 0xa4, 0)
    s += reg(dev, 0x44, 1)
    return s + reg(dev, 0x70, 0xf)                    # DRIVER_OK

def kick(dev, idx, heads):  # avail idx and up to two heads, QueueNotify
    ring = sum(h << (32 + 16 * i) for i, h in enumerate(heads[:2]))
    return poke(queue(dev) + 0x1000, idx << 16 | ring) + reg(dev, 0x50, 0)

def ack(dev):
    return rd(dev, 0x60) + reg(dev, 0x64, 3)

NEXT, WRITE_F = 1, 2
hdr, data, status = RAM + 0x80000, RAM + 0x81000, RAM + 0x80800

def blk_req(table, i, kind, sector, length):
    s = poke(hdr + 0x40 * i, kind) + poke(hdr + 0x40 * i + 8, sector)
    if length:
        s += desc(table, 3 * i, hdr + 0x40 * i, 16, NEXT, 3 * i + 1)
        s += desc(table, 3 * i + 1, data + 0x1000 * i, length,
                  NEXT | (WRITE_F if kind == 0 else 0), 3 * i + 2)
    else:
        s += desc(table, 3 * i, hdr + 0x40 * i, 16, NEXT, 3 * i + 2)
    return s + desc(table, 3 * i + 2, status + i, 1, WRITE_F)

seeds = {}
# virtio-blk: read sector 1 (FLUSH and BLK_SIZE offered and taken).
s = bring_up(BLK, 1 << 9 | 1 << 6)
s += blk_req(queue(BLK), 0, 0, 1, 512) + kick(BLK, 1, [0]) + ack(BLK)
seeds["blk-read"] = s
# A write of sector 2, then a flush, in one kick; the config space.
s = bring_up(BLK, 1 << 9)
s += poke(data + 0x1000, 0x0123456789abcdef)
s += blk_req(queue(BLK), 1, 1, 2, 512) + blk_req(queue(BLK), 2, 4, 0, 0)
s += kick(BLK, 2, [3, 6]) + ack(BLK) + op(READ, 8, BLK, 0x100, 0)
seeds["blk-write-flush"] = s
# virtio-rng: 64 bytes of entropy, twice; then a driver reset.
s = bring_up(RNG, 0)
s += desc(queue(RNG), 0, RAM + 0x90000, 64, WRITE_F)
s += desc(queue(RNG), 1, RAM + 0x90040, 64, WRITE_F)
s += kick(RNG, 2, [0, 1]) + ack(RNG) + reg(RNG, 0x70, 0)
seeds["rng"] = s
# Both at once, the interrupts left pending.
s = bring_up(BLK, 0) + bring_up(RNG, 0)
s += blk_req(queue(BLK), 0, 0, 0, 512) + kick(BLK, 1, [0])
s += desc(queue(RNG), 0, RAM + 0x90000, 16, WRITE_F) + kick(RNG, 1, [0])
seeds["both"] = s
for name, s in seeds.items():
    open(d + "/seed-mmio-" + name, "wb").write(s)
PY
