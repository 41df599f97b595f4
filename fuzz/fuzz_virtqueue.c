// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: split virtqueue parsing (virtio/virtqueue.c) and, with
 * a mode bit, the whole virtio-blk request path (core + blk on an in-memory
 * image), against guest RAM made of the input bytes.
 *
 * Input: byte 0 queue size (1 << (b % 11)), byte 1 mode bits (0: indirect
 * negotiated, 1: event idx, 2: through virtio-blk, 3: notify checks,
 * 4: "structured": rings laid out back to back at the start of RAM and
 * descriptor addresses and the avail index folded into range, so that the
 * fuzzer reaches deep chains quickly), bytes 2-7 the desc/avail/used ring
 * offsets (le16 each) into RAM, otherwise, byte 8
 * the number of pops; the rest is guest RAM (at guest address RAM_BASE),
 * allocated to its exact size so that ASan catches any access outside it.
 * Every popped buffer is read and written in full.
 *
 * Mode bit 5 instead synthesises well-formed virtio-blk requests (as a
 * driver would, with virtq_driver.h) from 6-byte records in the input:
 * type, sector, data segments, indirect or split header; discard and
 * write-zeroes payloads (16-byte segments: sector, length, flags) made from
 * the same bytes; then runs them through virtio-blk with the other mode
 * bits as above. Mode bit 6 has the driver switch the disk to
 * write-through (CONFIG_WCE) before the kicks.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "lib/util.h"
#include "virtio/blk.h"
#include "virtio/virtio.h"
#include "virtio/virtq_driver.h"
#include "virtio/virtqueue.h"

#define RAM_BASE 0x1000ULL
#define HDR_LEN	 9

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct virtq_elem fz_elem;
static struct guest_mem fz_mem;
static struct virtio_dev *fz_blk;
static volatile uint8_t fz_sink;

static void touch_elem(const struct virtq_elem *e)
{
	uint8_t acc = 0;

	for (unsigned int i = 0; i < e->out_num; i++)
		for (size_t j = 0; j < e->iov[i].iov_len; j++)
			acc ^= ((const uint8_t *)e->iov[i].iov_base)[j];
	for (unsigned int i = e->out_num; i < e->out_num + e->in_num; i++)
		memset(e->iov[i].iov_base, 0x5a, e->iov[i].iov_len);
	fz_sink = acc;
}

static void fuzz_queue(uint16_t qsize, uint8_t mode, uint64_t desc,
		       uint64_t avail, uint64_t used, unsigned int pops)
{
	struct virtqueue vq;
	uint8_t hdr[16];

	if (!virtq_init(&vq, &fz_mem, qsize, desc, avail, used, mode & 1,
			mode & 2))
		return;
	for (unsigned int i = 0; i < pops; i++) {
		int r = virtq_pop(&vq, &fz_elem);

		if (r != VIRTQ_GOT)
			break;
		touch_elem(&fz_elem);
		virtq_elem_read(&fz_elem, 3, hdr, sizeof(hdr));
		virtq_elem_write(&fz_elem, fz_elem.in_len / 2, hdr,
				 sizeof(hdr));
		virtq_push(&vq, &fz_elem, (uint32_t)fz_elem.in_len);
		if (mode & 8)
			fz_sink = virtq_should_notify(&vq);
	}
}

/* A 64 KiB in-memory image behind one virtio-blk device, made once. */
static struct virtio_dev *blk_device(void)
{
	char path[64];
	int fd;

	if (fz_blk)
		return fz_blk;
	fd = memfd_create("fuzz-disk", 0);
	if (fd < 0 || ftruncate(fd, 64 * 1024) < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fz_blk = virtio_blk_create(path, false, &fz_mem);
	if (!fz_blk)
		abort();
	return fz_blk;
}

static void fuzz_blk(uint16_t qsize, uint8_t mode, uint64_t desc,
		     uint64_t avail, uint64_t used, unsigned int kicks)
{
	struct virtio_dev *d = blk_device();
	uint32_t f0 = virtio_get_device_features(d, 0);

	virtio_reset(d);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	if (!(mode & 1))
		f0 &= ~(1u << VIRTIO_F_INDIRECT_DESC);
	if (!(mode & 2))
		f0 &= ~(1u << VIRTIO_F_EVENT_IDX);
	virtio_set_driver_features(d, 0, f0);
	virtio_set_driver_features(d, 1, 1);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	virtio_queue_set_size(d, 0, qsize);
	virtio_queue_set_desc(d, 0, desc);
	virtio_queue_set_driver(d, 0, avail);
	virtio_queue_set_device(d, 0, used);
	virtio_queue_set_ready(d, 0, true);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK |
				 VIRTIO_STATUS_DRIVER_OK);
	if (mode & 64)
		virtio_config_write(d, 32, "\0", 1); /* writeback = 0 */
	for (unsigned int i = 0; i < kicks % 4 + 1; i++)
		virtio_queue_notify(d, 0);
	/* Leave nothing pointing at this input's RAM. */
	virtio_reset(d);
}

/* Mode 4: rings at the start of RAM, addresses and lengths folded into
 * RAM, the avail index at most a queue ahead. False if RAM is too small. */
static bool structure(uint8_t *ram, size_t ram_size, uint16_t qsize,
		      uint64_t *desc, uint64_t *avail, uint64_t *used)
{
	uint64_t a = 16ULL * qsize, u = ALIGN_UP(a + 6 + 2ULL * qsize, 4);

	if (u + 6 + 8ULL * qsize > ram_size)
		return false;
	for (unsigned int i = 0; i < qsize; i++) {
		uint8_t *d = ram + 16 * i;

		put_le64(d, RAM_BASE + get_le64(d) % (ram_size + 1));
		put_le32(d + 8, get_le32(d + 8) % 4097);
	}
	put_le16(ram + a + 2, get_le16(ram + a + 2) % (qsize + 1));
	*desc = RAM_BASE;
	*avail = RAM_BASE + a;
	*used = RAM_BASE + u;
	return true;
}

/* Mode 32: RAM of 256 KiB with rings at 0, 0x2000, 0x3000 (queue <= 256),
 * request headers and status bytes from 0x8000, indirect tables from
 * 0x10000 and data from 0x20000. */
#define SY_RAM	 0x40000
#define SY_DESC	 (RAM_BASE + 0x0000)
#define SY_AVAIL (RAM_BASE + 0x2000)
#define SY_USED	 (RAM_BASE + 0x3000)
#define SY_HDR	 (RAM_BASE + 0x8000)
#define SY_TABLE (RAM_BASE + 0x10000)
#define SY_DATA	 (RAM_BASE + 0x20000)

static void synthesise(const uint8_t *in, size_t n, uint16_t qsize,
		       uint8_t mode)
{
	static const uint32_t types[] = {0, 1, 4, 8, 11, 13, 99};
	struct vq_driver v;
	uint16_t next_desc = 0;

	if (qsize > 256)
		qsize = 256;
	vqd_init(&v, &fz_mem, qsize, SY_DESC, SY_AVAIL, SY_USED);
	for (size_t r = 0; r + 6 <= n && r / 6 < qsize; r += 6) {
		const uint8_t *rec = in + r;
		unsigned int i = (unsigned int)(r / 6), segs = rec[3] % 4;
		uint64_t hdr = SY_HDR + 32ULL * i, tbl = SY_TABLE + 256ULL * i;
		uint32_t type = types[rec[0] % 7];
		/* Discard and write-zeroes carry 16-byte segments. */
		bool dwz = type == 11 || type == 13;
		bool write = type == 1 || dwz;
		bool indirect = (mode & 1) && (rec[5] & 1);
		uint64_t table = indirect ? tbl : SY_DESC;
		uint32_t k = 0, count = segs + 2 + ((rec[5] & 2) ? 1 : 0);
		uint16_t base = indirect ? 0 : next_desc;
		uint8_t *h = vqd_host(&v, hdr, 32);

		if (!indirect && next_desc + count > qsize)
			break;
		put_le32(h, type);
		put_le32(h + 4, 0);
		put_le64(h + 8, get_le16(rec + 1) >> (rec[5] >> 4));
		/* Header, whole or in two pieces. */
		if (rec[5] & 2) {
			vqd_put_desc(&v, table, base + k, hdr, 7,
				     VIRTQ_DESC_F_NEXT, base + k + 1);
			k++;
			vqd_put_desc(&v, table, base + k, hdr + 7, 9,
				     VIRTQ_DESC_F_NEXT, base + k + 1);
		} else {
			vqd_put_desc(&v, table, base + k, hdr, 16,
				     VIRTQ_DESC_F_NEXT, base + k + 1);
		}
		k++;
		for (unsigned int sgi = 0; sgi < segs; sgi++, k++) {
			uint64_t data =
			    SY_DATA + 0x1000ULL * ((i * 4 + sgi) % 32);
			uint32_t len =
			    (rec[4] >> (2 * sgi) & 3) * (dwz ? 16 : 512) +
			    ((rec[5] & 4) ? 1 : 0);

			/* Segments near the disk's 128 sectors: inside it,
			 * across its end, far beyond; unmap or other flags. */
			for (uint32_t o = 0; dwz && o + 16 <= len; o += 16) {
				uint8_t *p = vqd_host(&v, data + o, 16);

				put_le64(p,
					 (get_le16(rec + 1) >> (rec[5] >> 4)) +
					     8ULL * o / 16);
				put_le32(p + 8, rec[3] >> 2 << (rec[4] & 15));
				put_le32(p + 12, rec[5] >> 3 & 3);
			}
			vqd_put_desc(&v, table, base + k, data, len,
				     VIRTQ_DESC_F_NEXT |
					 (write ? 0 : VIRTQ_DESC_F_WRITE),
				     base + k + 1);
		}
		vqd_put_desc(&v, table, base + k, hdr + 16, 1,
			     VIRTQ_DESC_F_WRITE, 0);
		if (indirect) {
			vqd_desc(&v, next_desc, tbl, 16 * count,
				 VIRTQ_DESC_F_INDIRECT, 0);
			vqd_publish(&v, next_desc);
			next_desc++;
		} else {
			vqd_publish(&v, next_desc);
			next_desc += count;
		}
		if (next_desc >= qsize)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t qsize;
	uint8_t mode, *ram;
	uint64_t desc, avail, used;
	size_t ram_size;

	if (size < HDR_LEN)
		return 0;
	qsize = (uint16_t)(1u << (data[0] % 11));
	mode = data[1];
	desc = RAM_BASE + get_le16(data + 2);
	avail = RAM_BASE + get_le16(data + 4);
	used = RAM_BASE + get_le16(data + 6);
	ram_size = (mode & 32) ? SY_RAM : size - HDR_LEN;
	ram = malloc(ram_size ? ram_size : 1);
	if (!ram)
		return 0;
	fz_mem.host = ram;
	fz_mem.base = RAM_BASE;
	fz_mem.size = ram_size;
	if (mode & 32) {
		memset(ram, 0, ram_size);
		synthesise(data + HDR_LEN, size - HDR_LEN, qsize, mode);
		desc = SY_DESC;
		avail = SY_AVAIL;
		used = SY_USED;
		mode = (uint8_t)((mode & ~16) | 4);
		if (qsize > 256)
			qsize = 256;
	} else {
		memcpy(ram, data + HDR_LEN, ram_size);
	}
	if ((mode & 16) &&
	    !structure(ram, ram_size, qsize, &desc, &avail, &used)) {
		free(ram);
		return 0;
	}
	if (mode & 4)
		fuzz_blk(qsize, mode, desc, avail, used, data[8]);
	else
		fuzz_queue(qsize, mode, desc, avail, used, data[8] + 1u);
	fz_mem.host = NULL;
	fz_mem.size = 0;
	free(ram);
	return 0;
}
