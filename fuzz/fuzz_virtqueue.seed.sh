#!/usr/bin/env bash
# Seeds for fuzz_virtqueue: synthesised virtio-blk requests (mode bit 5,
# see fuzz_virtqueue.c) with discard and write-zeroes payloads: with and
# without unmap, two segments in one buffer, past the end of the disk,
# unmap on a discard, an unknown flag with a ragged length; plain, with
# write-through (mode bit 6) and through indirect tables.
set -e
d=$1
# A record: type index (4 discard, 5 write-zeroes, 1 write), sector (le16),
# buffers and length (byte 3), buffer lengths and length shift (byte 4),
# indirect/split header/odd length/flags/sector shift (byte 5).
recs='\x05\x08\x00\x11\x01\x00'
recs+='\x05\x10\x00\x11\x01\x08'
recs+='\x04\x20\x00\x11\x02\x00'
recs+='\x04\x78\x00\x11\x01\x00'
recs+='\x04\x00\x00\x11\x01\x08'
recs+='\x05\x00\x00\x11\x01\x14'
recs+='\x01\x02\x00\x01\x01\x00'
for mode in 20 60 21; do
	odd=''
	[ "$mode" = 21 ] && odd='\x05\x30\x00\x11\x01\x09'
	printf "\\x04\\x$mode\\x00\\x00\\x00\\x00\\x00\\x00\\x00$recs$odd" \
		>"$d/blk-dwz-$mode"
done
