#!/usr/bin/env bash
# Seeds for fuzz_kernel: an arm64 Image header, the same gzip-compressed,
# and a zImage header with a size table (vmm/boot.c reads all three).
set -e
d=$1
python3 - "$d" <<'PY'
import gzip, struct, sys
d = sys.argv[1]
img = bytearray(4096)
struct.pack_into("<QQQ", img, 8, 0, 2 << 20, 2)    # text_offset, image_size, flags
img[0x38:0x3c] = b"ARM\x64"
open(d + "/image", "wb").write(img)
open(d + "/image.gz", "wb").write(gzip.compress(bytes(img), mtime=0))
z = bytearray(4096)
struct.pack_into("<III", z, 0x24, 0x016f2818, 0, len(z))  # magic, start, end
struct.pack_into("<II", z, 0x34, 0x45454545, 0x100)       # table magic, table
struct.pack_into("<6I", z, 0x100, 6, 0x5a534c4b, 0x200, 0x1000, 0x8000, 0x10000)
struct.pack_into("<I", z, 0x200, 3 << 20)                 # decompressed size
open(d + "/zimage", "wb").write(z)
PY
