#!/usr/bin/env python3
# mkpe.py OUT MACHINE MAGIC SUBSYSTEM: a small, structurally valid PE/COFF
# image (one .text section), for fuzz seeds.
import struct, sys
out, machine, magic, subsystem = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3], 0), int(sys.argv[4], 0)
plus = magic == 0x20b
optsize = 240 if plus else 224
dos = bytearray(64); dos[0:2] = b'MZ'; struct.pack_into('<I', dos, 0x3c, 64)
coff = b'PE\0\0' + struct.pack('<HHIIIHH', machine, 1, 0, 0, 0, optsize, 0x22)
opt = bytearray(optsize)
struct.pack_into('<HBBIIIII', opt, 0, magic, 0, 0, 0x200, 0, 0, 0x1000, 0x1000)
struct.pack_into('<IIHHHHHHIIII', opt, 32, 0x1000, 0x200, 0, 0, 0, 0, 0, 0, 0, 0x2000, 0x200, 0)
struct.pack_into('<HH', opt, 68, subsystem, 0x100)
struct.pack_into('<I', opt, 108 if plus else 92, 16)
sect = struct.pack('<8sIIIIIIHHI', b'.text', 0x1000, 0x1000, 0x200, 0x200, 0, 0, 0, 0, 0x60000020)
hdr = bytes(dos) + coff + bytes(opt) + sect
open(out, 'wb').write(hdr + bytes(0x200 - len(hdr)) + b'\xc0\x03\x5f\xd6' * 128)
