// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of virtio-blk (virtio/blk.c): image checks and locking,
 * feature negotiation, config space read byte by byte, and every request
 * type through a virtqueue built in fake guest RAM, as a driver would.
 *
 * This program defines fallocate() and fdatasync() itself, so that blk.c's
 * calls come here: a test can make fallocate fail as a file system without
 * that mode would, and count the fdatasyncs a cache mode makes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "tests/unit/check.h"
#include "virtio/blk.h"
#include "virtio/virtq_driver.h"

#define RAM_BASE    0x40000000ULL
#define RAM_SIZE    0x100000ULL
#define DESC	    (RAM_BASE + 0x0000)
#define AVAIL	    (RAM_BASE + 0x1000)
#define USED	    (RAM_BASE + 0x2000)
#define HDR	    (RAM_BASE + 0x4000)
#define STATUS	    (RAM_BASE + 0x4800)
#define TABLE	    (RAM_BASE + 0x5000)
#define DATA	    (RAM_BASE + 0x10000)
#define IMG_SECTORS 64

static uint8_t *bt_ram;
static struct guest_mem bt_mem;
static char bt_dir[64];
static char bt_img[128];
static int bt_irqs;
/* fallocate() below: modes that fail with bt_falloc_errno, calls seen. */
static int bt_falloc_fail_modes;
static int bt_falloc_errno;
static int bt_falloc_calls;

int fallocate(int fd, int mode, off_t offset, off_t len)
{
	bt_falloc_calls++;
	if (bt_falloc_fail_modes & mode) {
		errno = bt_falloc_errno;
		return -1;
	}
	return (int)syscall(SYS_fallocate, fd, mode, offset, len);
}

static int bt_syncs;

int fdatasync(int fd)
{
	bt_syncs++;
	return (int)syscall(SYS_fdatasync, fd);
}

static void bt_notify_queue(void *opaque, unsigned int q)
{
	bt_irqs++;
}

static void bt_notify_config(void *opaque)
{
}

static const struct virtio_transport_ops bt_transport = {
    .notify_queue = bt_notify_queue,
    .notify_config = bt_notify_config,
};

static void bt_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", bt_dir, name);
}

static bool write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, data, len) == (ssize_t)len;
	close(fd);
	return ok;
}

static uint8_t image_byte(size_t off)
{
	return (uint8_t)((off / 512) * 7 + off);
}

/* A fresh image of `sectors`: sector s holds bytes (s * 7 + i) & 0xff. */
static void make_image_of(unsigned int sectors)
{
	static uint8_t sec[512];
	int fd = open(bt_img, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return;
	for (unsigned int s = 0; s < sectors; s++) {
		for (size_t i = 0; i < 512; i++)
			sec[i] = image_byte(s * 512 + i);
		if (write(fd, sec, 512) != 512)
			break;
	}
	close(fd);
}

static void make_image(void)
{
	make_image_of(IMG_SECTORS);
}

static bool read_file_at(const char *path, uint64_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = pread(fd, buf, len, (off_t)off) == (ssize_t)len;
	close(fd);
	return ok;
}

static void ram_setup(void)
{
	if (!bt_ram)
		bt_ram = malloc(RAM_SIZE);
	memset(bt_ram, 0, RAM_SIZE);
	bt_mem.host = bt_ram;
	bt_mem.base = RAM_BASE;
	bt_mem.size = RAM_SIZE;
}

static uint8_t *host(uint64_t gpa)
{
	return bt_ram + (gpa - RAM_BASE);
}

/* Driver init (3.1.1) accepting `features`, queue of 8. */
static bool driver_init(struct virtio_dev *d, struct vq_driver *v,
			uint64_t features)
{
	virtio_set_transport(d, &bt_transport, NULL);
	virtio_set_status(d, 0);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_set_driver_features(d, 0, (uint32_t)features);
	virtio_set_driver_features(d, 1, (uint32_t)(features >> 32));
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	if (!(virtio_get_status(d) & VIRTIO_STATUS_FEATURES_OK))
		return false;
	vqd_init(v, &bt_mem, 8, DESC, AVAIL, USED);
	virtio_queue_set_size(d, 0, 8);
	virtio_queue_set_desc(d, 0, DESC);
	virtio_queue_set_driver(d, 0, AVAIL);
	virtio_queue_set_device(d, 0, USED);
	virtio_queue_set_ready(d, 0, true);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK |
				 VIRTIO_STATUS_DRIVER_OK);
	return true;
}

#define F_STD                                                           \
	(1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_BLK_F_FLUSH |      \
	 1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_SEG_MAX | \
	 1ULL << VIRTIO_F_INDIRECT_DESC)

#define F_DWZ                                   \
	(F_STD | 1ULL << VIRTIO_BLK_F_DISCARD | \
	 1ULL << VIRTIO_BLK_F_WRITE_ZEROES)

static struct virtio_dev *open_dev_with(const char *img, bool readonly,
					struct vq_driver *v, uint64_t features)
{
	struct virtio_dev *d;

	ram_setup();
	d = virtio_blk_create(img, readonly, &bt_mem);
	if (d && !driver_init(d, v, features)) {
		virtio_destroy(d);
		return NULL;
	}
	return d;
}

static struct virtio_dev *open_dev(bool readonly, struct vq_driver *v)
{
	return open_dev_with(bt_img, readonly, v,
			     F_STD | (readonly ? 1ULL << VIRTIO_BLK_F_RO : 0));
}

static void put_hdr(uint32_t type, uint64_t sector)
{
	put_le32(host(HDR), type);
	put_le32(host(HDR) + 4, 0);
	put_le64(host(HDR) + 8, sector);
}

/* Segment i of a discard or write-zeroes payload at DATA (5.2.6). */
static void put_seg(unsigned int i, uint64_t sector, uint32_t num,
		    uint32_t flags)
{
	uint8_t *p = host(DATA) + 16 * i;

	put_le64(p, sector);
	put_le32(p + 8, num);
	put_le32(p + 12, flags);
}

/* Run a request: header, optional data (device-readable for OUT), status.
 * Returns the status byte, or 0xff when nothing came back. */
static uint8_t request(struct virtio_dev *d, struct vq_driver *v, uint32_t type,
		       uint64_t sector, uint32_t len, bool data_writable,
		       uint32_t *used_len)
{
	uint32_t id, ulen;
	uint16_t n = 0;

	put_hdr(type, sector);
	*host(STATUS) = 0xff;
	vqd_desc(v, n, HDR, 16, VIRTQ_DESC_F_NEXT, n + 1);
	n++;
	if (len) {
		vqd_desc(v, n, DATA, len,
			 VIRTQ_DESC_F_NEXT |
			     (data_writable ? VIRTQ_DESC_F_WRITE : 0),
			 n + 1);
		n++;
	}
	vqd_desc(v, n, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(v, 0);
	virtio_queue_notify(d, 0);
	if (!vqd_get_used(v, &id, &ulen) || id != 0)
		return 0xff;
	if (used_len)
		*used_len = ulen;
	return *host(STATUS);
}

static long long file_blocks(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_blocks : -1;
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Do [first, first + n) sectors of the image read as zeroes? */
static bool sectors_zero(uint64_t first, unsigned int n)
{
	static uint8_t buf[512];

	for (unsigned int s = 0; s < n; s++) {
		if (!read_file_at(bt_img, (first + s) * 512, buf, 512))
			return false;
		for (size_t i = 0; i < 512; i++)
			if (buf[i])
				return false;
	}
	return true;
}

/* Do [first, first + n) sectors still hold make_image's pattern? */
static bool sectors_intact(uint64_t first, unsigned int n)
{
	static uint8_t buf[512];

	for (unsigned int s = 0; s < n; s++) {
		if (!read_file_at(bt_img, (first + s) * 512, buf, 512))
			return false;
		for (size_t i = 0; i < 512; i++)
			if (buf[i] != image_byte((first + s) * 512 + i))
				return false;
	}
	return true;
}

static void bad_images(void)
{
	char p[160];
	struct virtio_dev *d;

	ram_setup();
	bt_path(p, sizeof(p), "missing.img");
	CHECK(!virtio_blk_create(p, false, &bt_mem));
	CHECK(!virtio_blk_create(p, true, &bt_mem));
	CHECK(!virtio_blk_create(bt_dir, true, &bt_mem)); /* a directory */
	CHECK(!virtio_blk_create(bt_dir, false, &bt_mem));
	bt_path(p, sizeof(p), "empty.img");
	write_file(p, "", 0);
	CHECK(!virtio_blk_create(p, false, &bt_mem));
	bt_path(p, sizeof(p), "tiny.img");
	write_file(p, "abc", 3);
	CHECK(!virtio_blk_create(p, true, &bt_mem));
	bt_path(p, sizeof(p), "fifo");
	if (mkfifo(p, 0600) == 0)
		CHECK(!virtio_blk_create(p, true, &bt_mem)); /* no hang */
	CHECK(!virtio_blk_create("/dev/null", false, &bt_mem));
	if (geteuid() != 0) {
		bt_path(p, sizeof(p), "unreadable.img");
		write_file(p, "x", 1);
		chmod(p, 0);
		CHECK(!virtio_blk_create(p, true, &bt_mem));
	}
	/* Not a multiple of 512: rounded down (with a warning). */
	{
		static uint8_t buf[512 * 3 + 100];

		bt_path(p, sizeof(p), "odd.img");
		write_file(p, buf, sizeof(buf));
		d = virtio_blk_create(p, false, &bt_mem);
		CHECK(d);
		if (d) {
			CHECK_EQ(virtio_blk_capacity(d), 3);
			virtio_destroy(d);
		}
	}
}

static void locking(void)
{
	struct virtio_dev *a, *b, *c;

	make_image();
	ram_setup();
	a = virtio_blk_create(bt_img, false, &bt_mem);
	CHECK(a);
	/* A second writer, or a reader, is refused while a writer holds it. */
	CHECK(!virtio_blk_create(bt_img, false, &bt_mem));
	CHECK(!virtio_blk_create(bt_img, true, &bt_mem));
	virtio_destroy(a);
	/* Readers share; a writer is refused meanwhile. */
	b = virtio_blk_create(bt_img, true, &bt_mem);
	c = virtio_blk_create(bt_img, true, &bt_mem);
	CHECK(b && c);
	CHECK(!virtio_blk_create(bt_img, false, &bt_mem));
	virtio_destroy(b);
	virtio_destroy(c);
	a = virtio_blk_create(bt_img, false, &bt_mem);
	CHECK(a);
	virtio_destroy(a);
}

static void features_and_config(void)
{
	struct virtio_dev *d;
	uint64_t cap = 0;
	uint8_t b;

	make_image();
	ram_setup();
	d = virtio_blk_create(bt_img, false, &bt_mem);
	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(virtio_device_id(d), VIRTIO_ID_BLOCK);
	CHECK_EQ(virtio_num_queues(d), 1);
	CHECK(virtio_queue_max_size(d, 0) >= 3);
	CHECK_EQ(virtio_get_device_features(d, 1), 1); /* VERSION_1 */
	CHECK(virtio_get_device_features(d, 0) & 1u << VIRTIO_BLK_F_FLUSH);
	CHECK(virtio_get_device_features(d, 0) & 1u << VIRTIO_BLK_F_BLK_SIZE);
	CHECK(virtio_get_device_features(d, 0) & 1u << VIRTIO_BLK_F_SEG_MAX);
	CHECK(virtio_get_device_features(d, 0) & 1u << VIRTIO_F_INDIRECT_DESC);
	CHECK(!(virtio_get_device_features(d, 0) & 1u << VIRTIO_BLK_F_RO));
	CHECK(virtio_get_device_features(d, 0) & 1u << VIRTIO_BLK_F_DISCARD);
	CHECK(virtio_get_device_features(d, 0) &
	      1u << VIRTIO_BLK_F_WRITE_ZEROES);
	/* The capacity read as 8 single bytes, as EDK2 does. */
	for (uint32_t i = 0; i < 8; i++) {
		virtio_config_read(d, i, &b, 1);
		cap |= (uint64_t)b << (8 * i);
	}
	CHECK_EQ(cap, IMG_SECTORS);
	{
		uint8_t w[4];

		virtio_config_read(d, 12, w, 4);
		CHECK_EQ(get_le32(w), VIRTIO_BLK_SEG_MAX);
		virtio_config_read(d, 20, w, 4);
		CHECK_EQ(get_le32(w), 512);
		virtio_config_read(d, 21, w, 2);
		CHECK_EQ(get_le16(w), 2);
		/* Discard and write-zeroes limits (5.2.4). */
		virtio_config_read(d, 36, w, 4);
		CHECK_EQ(get_le32(w), 4ULL << 30 >> 9);
		virtio_config_read(d, 40, w, 4);
		CHECK_EQ(get_le32(w), 256);
		virtio_config_read(d, 44, w, 4);
		CHECK_EQ(get_le32(w), 8);
		virtio_config_read(d, 48, w, 4);
		CHECK_EQ(get_le32(w), 4ULL << 30 >> 9);
		virtio_config_read(d, 52, w, 4);
		CHECK_EQ(get_le32(w), 256);
		virtio_config_read(d, 56, w, 4); /* may_unmap, unused1 0 */
		CHECK_EQ(get_le32(w), 1);
		/* Writes are ignored; beyond the end reads 0. */
		virtio_config_write(d, 0, "\1\2\3\4", 4);
		virtio_config_read(d, 0, w, 1);
		CHECK_EQ(w[0], IMG_SECTORS);
		memset(w, 0xff, 4);
		virtio_config_read(d, 0x200, w, 4);
		CHECK_EQ(get_le32(w), 0);
	}
	/* FEATURES_OK refused without VERSION_1. */
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_set_driver_features(d, 0, 1u << VIRTIO_BLK_F_FLUSH);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	CHECK(!(virtio_get_status(d) & VIRTIO_STATUS_FEATURES_OK));
	virtio_set_driver_features(d, 1, 1);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	CHECK(virtio_get_status(d) & VIRTIO_STATUS_FEATURES_OK);
	virtio_destroy(d);

	d = virtio_blk_create(bt_img, true, &bt_mem);
	CHECK(d && (virtio_get_device_features(d, 0) & 1u << VIRTIO_BLK_F_RO));
	/* A read-only disk offers no way to write it. */
	CHECK(d && !(virtio_get_device_features(d, 0) &
		     (1u << VIRTIO_BLK_F_DISCARD |
		      1u << VIRTIO_BLK_F_WRITE_ZEROES)));
	virtio_destroy(d);
}

static void read_write_flush(void)
{
	struct virtio_dev *d;
	struct vq_driver v;
	uint8_t buf[1024];
	uint32_t len = 0;
	bool same = true;

	make_image();
	d = open_dev(false, &v);
	CHECK(d);
	if (!d)
		return;
	bt_irqs = 0;
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_IN, 3, 1024, true, &len),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(len, 1025);
	CHECK_EQ(bt_irqs, 1);
	for (size_t i = 0; i < 1024; i++)
		same &= host(DATA)[i] == image_byte(3 * 512 + i);
	CHECK(same);

	for (size_t i = 0; i < 512; i++)
		host(DATA)[i] = (uint8_t)(0xa0 ^ i);
	CHECK_EQ(
	    request(d, &v, VIRTIO_BLK_T_OUT, IMG_SECTORS - 1, 512, false, &len),
	    VIRTIO_BLK_S_OK);
	CHECK_EQ(len, 1);
	CHECK(read_file_at(bt_img, (IMG_SECTORS - 1) * 512, buf, 512));
	CHECK(!memcmp(buf, host(DATA), 512));
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_FLUSH, 0, 0, false, &len),
		 VIRTIO_BLK_S_OK);
	/* Zero-length read and write are fine. */
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_IN, IMG_SECTORS, 0, true, &len),
		 VIRTIO_BLK_S_OK);
	virtio_destroy(d);
}

static void out_of_range(void)
{
	struct virtio_dev *d;
	struct vq_driver v;
	uint8_t before[512], after[512];

	make_image();
	d = open_dev(false, &v);
	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_IN, IMG_SECTORS, 512, true, NULL),
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(
	    request(d, &v, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, 1024, true, NULL),
	    VIRTIO_BLK_S_IOERR);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_IN, ~0ULL, 512, true, NULL),
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_IN, 1ULL << 55, 512, true, NULL),
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_IN, 0, 100, true, NULL),
		 VIRTIO_BLK_S_IOERR);
	CHECK(read_file_at(bt_img, (IMG_SECTORS - 1) * 512, before, 512));
	CHECK_EQ(
	    request(d, &v, VIRTIO_BLK_T_OUT, IMG_SECTORS, 512, false, NULL),
	    VIRTIO_BLK_S_IOERR);
	CHECK_EQ(
	    request(d, &v, VIRTIO_BLK_T_OUT, ~0ULL >> 9, 1024, false, NULL),
	    VIRTIO_BLK_S_IOERR);
	CHECK_EQ(
	    request(d, &v, VIRTIO_BLK_T_OUT, IMG_SECTORS - 1, 513, false, NULL),
	    VIRTIO_BLK_S_IOERR);
	CHECK(read_file_at(bt_img, (IMG_SECTORS - 1) * 512, after, 512));
	CHECK(!memcmp(before, after, 512));
	{
		struct stat st;

		CHECK(stat(bt_img, &st) == 0 &&
		      st.st_size == IMG_SECTORS * 512);
	}
	virtio_destroy(d);
}

static void get_id_and_unsupported(void)
{
	struct virtio_dev *d;
	struct vq_driver v;
	uint32_t len = 0;

	make_image();
	d = open_dev(false, &v);
	CHECK(d);
	if (!d)
		return;
	memset(host(DATA), 0xff, 64);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_GET_ID, 0, 20, true, &len),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(len, 21);
	CHECK(!memcmp(host(DATA), "disk.img\0", 9));
	CHECK_EQ(host(DATA)[19], 0);
	virtio_blk_set_serial(d, "a-serial-of-more-than-20-bytes");
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_GET_ID, 0, 40, true, &len),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(len, 21);
	CHECK(!memcmp(host(DATA), "a-serial-of-more-tha", 20));
	CHECK_EQ(host(DATA)[20], 0xff);
	/* A short buffer gets what fits. */
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_GET_ID, 0, 4, true, &len),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(len, 5);
	CHECK_EQ(request(d, &v, 99, 0, 0, false, NULL), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(request(d, &v, 11 /* DISCARD */, 0, 16, false, NULL),
		 VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(request(d, &v, 13 /* WRITE_ZEROES */, 0, 16, false, NULL),
		 VIRTIO_BLK_S_UNSUPP);
	CHECK(!(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
	virtio_destroy(d);
}

static void readonly_disk(void)
{
	struct virtio_dev *d;
	struct vq_driver v;
	uint8_t before[512], after[512];

	make_image();
	d = open_dev(true, &v);
	CHECK(d);
	if (!d)
		return;
	CHECK(virtio_has_feature(d, VIRTIO_BLK_F_RO));
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(host(DATA)[1], image_byte(1));
	CHECK(read_file_at(bt_img, 0, before, 512));
	memset(host(DATA), 0x55, 512);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_OUT, 0, 512, false, NULL),
		 VIRTIO_BLK_S_IOERR);
	/* Discard and write-zeroes are writes (5.2.6.2), offered or not. */
	put_seg(0, 0, 8, 0);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL),
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL),
		 VIRTIO_BLK_S_IOERR);
	put_seg(0, 0, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL),
		 VIRTIO_BLK_S_IOERR);
	CHECK(read_file_at(bt_img, 0, after, 512));
	CHECK(!memcmp(before, after, 512));
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_FLUSH, 0, 0, false, NULL),
		 VIRTIO_BLK_S_OK);
	virtio_destroy(d);
}

/* Odd framing (2.6.4): the header split over two buffers, data and status
 * in one writable buffer, everything in an indirect table. */
static void any_framing(void)
{
	struct virtio_dev *d;
	struct vq_driver v;
	uint32_t id = 0, len = 0;
	bool same = true;

	make_image();
	d = open_dev_with(bt_img, false, &v, F_DWZ);
	CHECK(d);
	if (!d)
		return;
	put_hdr(VIRTIO_BLK_T_IN, 2);
	host(DATA)[512] = 0xff;
	vqd_put_desc(&v, TABLE, 0, HDR, 5, VIRTQ_DESC_F_NEXT, 1);
	vqd_put_desc(&v, TABLE, 1, HDR + 5, 11, VIRTQ_DESC_F_NEXT, 2);
	vqd_put_desc(&v, TABLE, 2, DATA, 513, VIRTQ_DESC_F_WRITE, 0);
	vqd_desc(&v, 4, TABLE, 48, VIRTQ_DESC_F_INDIRECT, 0);
	vqd_publish(&v, 4);
	virtio_queue_notify(d, 0);
	CHECK(vqd_get_used(&v, &id, &len));
	CHECK(id == 4 && len == 513);
	CHECK_EQ(host(DATA)[512], VIRTIO_BLK_S_OK);
	for (size_t i = 0; i < 512; i++)
		same &= host(DATA)[i] == image_byte(2 * 512 + i);
	CHECK(same);

	/* A write whose data shares the header's buffer. */
	put_hdr(VIRTIO_BLK_T_OUT, 7);
	memset(host(HDR) + 16, 0x3c, 512);
	vqd_desc(&v, 0, HDR, 16 + 512, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(&v, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&v, 0);
	virtio_queue_notify(d, 0);
	CHECK(vqd_get_used(&v, &id, &len));
	CHECK_EQ(*host(STATUS), VIRTIO_BLK_S_OK);
	{
		uint8_t buf[512];

		CHECK(read_file_at(bt_img, 7 * 512, buf, 512));
		CHECK(buf[0] == 0x3c && buf[511] == 0x3c);
	}

	/* A write-zeroes segment split over two buffers, the first shared
	 * with the header. */
	{
		uint8_t seg[16];

		put_hdr(VIRTIO_BLK_T_WRITE_ZEROES, 0);
		put_le64(seg, 9);
		put_le32(seg + 8, 2);
		put_le32(seg + 12, 0);
		memcpy(host(HDR) + 16, seg, 10);
		memcpy(host(DATA), seg + 10, 6);
		vqd_desc(&v, 0, HDR, 16 + 10, VIRTQ_DESC_F_NEXT, 1);
		vqd_desc(&v, 1, DATA, 6, VIRTQ_DESC_F_NEXT, 2);
		vqd_desc(&v, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
		vqd_publish(&v, 0);
		virtio_queue_notify(d, 0);
		CHECK(vqd_get_used(&v, &id, &len));
		CHECK_EQ(*host(STATUS), VIRTIO_BLK_S_OK);
		CHECK(sectors_intact(8, 1));
		CHECK(sectors_zero(9, 2));
		CHECK(sectors_intact(11, 1));
	}
	virtio_destroy(d);
}

/* Several requests in one kick, completed in order, one interrupt. */
static void batch(void)
{
	struct virtio_dev *d;
	struct vq_driver v;
	uint32_t id = 0, len = 0;
	bool ok = true;

	make_image();
	d = open_dev(false, &v);
	CHECK(d);
	if (!d)
		return;
	bt_irqs = 0;
	for (uint16_t r = 0; r < 2; r++) {
		uint64_t hdr = HDR + 0x20 * r;

		put_le32(host(hdr), VIRTIO_BLK_T_IN);
		put_le64(host(hdr) + 8, 10 + r);
		vqd_desc(&v, 3 * r, hdr, 16, VIRTQ_DESC_F_NEXT, 3 * r + 1);
		vqd_desc(&v, 3 * r + 1, DATA + 0x1000 * r, 512,
			 VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3 * r + 2);
		vqd_desc(&v, 3 * r + 2, STATUS + r, 1, VIRTQ_DESC_F_WRITE, 0);
		vqd_publish(&v, 3 * r);
	}
	virtio_queue_notify(d, 0);
	CHECK_EQ(bt_irqs, 1);
	for (uint16_t r = 0; r < 2; r++) {
		ok &= vqd_get_used(&v, &id, &len) && id == 3u * r && len == 513;
		ok &= *host(STATUS + r) == 0;
		ok &= host(DATA + 0x1000 * r)[0] == image_byte((10 + r) * 512);
	}
	CHECK(ok);
	virtio_destroy(d);
}

static void protocol_errors(void)
{
	struct virtio_dev *d;
	struct vq_driver v;
	uint32_t id = 0, len = 0;

	make_image();
	d = open_dev(false, &v);
	CHECK(d);
	if (!d)
		return;
	/* No status byte: nothing to report with; the device needs reset. */
	put_hdr(VIRTIO_BLK_T_IN, 0);
	vqd_desc(&v, 0, HDR, 16, 0, 0);
	vqd_publish(&v, 0);
	virtio_queue_notify(d, 0);
	CHECK(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	CHECK(!vqd_get_used(&v, &id, &len));
	/* Short header, after a reset. */
	CHECK(driver_init(d, &v, F_STD));
	CHECK(!(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
	vqd_desc(&v, 0, HDR, 8, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(&v, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&v, 0);
	virtio_queue_notify(d, 0);
	CHECK(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	/* And a good request after the next reset. */
	CHECK(driver_init(d, &v, F_STD));
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
		 VIRTIO_BLK_S_OK);
	virtio_destroy(d);
}

/* Without FLUSH negotiated writes are write-through; they still work. */
static void no_flush_feature(void)
{
	struct virtio_dev *d;
	struct vq_driver v;
	uint8_t buf[512];

	make_image();
	ram_setup();
	d = virtio_blk_create(bt_img, false, &bt_mem);
	CHECK(d);
	if (!d)
		return;
	CHECK(driver_init(d, &v, 1ULL << VIRTIO_F_VERSION_1));
	memset(host(DATA), 0x77, 512);
	bt_syncs = 0;
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_OUT, 1, 512, false, NULL),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(bt_syncs, 1); /* durable before it completed */
	CHECK(read_file_at(bt_img, 512, buf, 512));
	CHECK_EQ(buf[100], 0x77);
	virtio_destroy(d);
}

/* ---- The cache mode: CONFIG_WCE (5.2.5) ---- */

static uint8_t writeback_byte(struct virtio_dev *d)
{
	uint8_t b = 0xff;

	virtio_config_read(d, 32, &b, 1);
	return b;
}

static void cache_mode_config(void)
{
	struct virtio_dev *d;
	struct vq_driver v;
	uint8_t w[4];

	make_image();
	d = open_dev_with(bt_img, false, &v,
			  F_STD | 1ULL << VIRTIO_BLK_F_CONFIG_WCE);
	CHECK(d);
	if (!d)
		return;
	CHECK(virtio_get_device_features(d, 0) & 1u << VIRTIO_BLK_F_CONFIG_WCE);
	CHECK(virtio_has_feature(d, VIRTIO_BLK_F_CONFIG_WCE));
	CHECK_EQ(writeback_byte(d), 1); /* write-back by default */
	virtio_config_write(d, 32, "\0", 1);
	CHECK_EQ(writeback_byte(d), 0);
	virtio_config_write(d, 32, "\1", 1);
	CHECK_EQ(writeback_byte(d), 1);
	/* Neither other values nor other bytes are taken. */
	virtio_config_write(d, 32, "\2", 1);
	CHECK_EQ(writeback_byte(d), 1);
	virtio_config_write(d, 33, "\0", 1);
	CHECK_EQ(writeback_byte(d), 1);
	/* A 32-bit write at 32 changes the byte alone (num_queues stays). */
	virtio_config_write(d, 32, "\0\xff\xff\xff", 4);
	CHECK_EQ(writeback_byte(d), 0);
	virtio_config_read(d, 32, w, 4);
	CHECK_EQ(get_le32(w), 0);
	virtio_config_write(d, 30, "\xff\xff\1\xff", 4);
	CHECK_EQ(writeback_byte(d), 1);
	virtio_config_read(d, 28, w, 4);
	CHECK_EQ(get_le32(w), 0); /* topology untouched */
	/* A reset returns to the mode set for the disk. */
	CHECK(driver_init(d, &v, F_STD | 1ULL << VIRTIO_BLK_F_CONFIG_WCE));
	CHECK_EQ(writeback_byte(d), 1);
	virtio_blk_set_writeback(d, false);
	CHECK_EQ(writeback_byte(d), 1); /* negotiated: at the next reset */
	CHECK(driver_init(d, &v, F_STD | 1ULL << VIRTIO_BLK_F_CONFIG_WCE));
	CHECK_EQ(writeback_byte(d), 0);
	virtio_blk_set_writeback(d, true);
	CHECK(driver_init(d, &v, F_STD | 1ULL << VIRTIO_BLK_F_CONFIG_WCE));
	CHECK_EQ(writeback_byte(d), 1);
	/* 5.2.5.2: CONFIG_WCE without FLUSH starts write-through. */
	CHECK(driver_init(d, &v,
			  1ULL << VIRTIO_F_VERSION_1 |
			      1ULL << VIRTIO_BLK_F_CONFIG_WCE));
	CHECK_EQ(writeback_byte(d), 0);
	/* Without CONFIG_WCE negotiated the byte is read-only. */
	CHECK(driver_init(d, &v, F_STD));
	CHECK_EQ(writeback_byte(d), 1);
	virtio_config_write(d, 32, "\0", 1);
	CHECK_EQ(writeback_byte(d), 1);
	/* Nor before FEATURES_OK. */
	virtio_set_status(d, 0);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_set_driver_features(
	    d, 0, (uint32_t)(F_STD | 1ULL << VIRTIO_BLK_F_CONFIG_WCE));
	virtio_set_driver_features(d, 1, 1);
	virtio_config_write(d, 32, "\0", 1);
	CHECK_EQ(writeback_byte(d), 1);
	virtio_destroy(d);
}

/* Write-through makes every write durable before it completes;
 * write-back leaves that to FLUSH. */
static void cache_mode_syncs(void)
{
	const uint64_t f = F_DWZ | 1ULL << VIRTIO_BLK_F_CONFIG_WCE;
	struct virtio_dev *d;
	struct vq_driver v;

	make_image();
	d = open_dev_with(bt_img, false, &v, f);
	CHECK(d);
	if (!d)
		return;
	bt_syncs = 0;
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_OUT, 1, 512, false, NULL),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(bt_syncs, 0);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_FLUSH, 0, 0, false, NULL),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(bt_syncs, 1);

	virtio_config_write(d, 32, "\0", 1); /* the driver: write-through */
	bt_syncs = 0;
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_OUT, 1, 512, false, NULL),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(bt_syncs, 1);
	put_seg(0, 8, 8, 0);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(bt_syncs, 2);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(bt_syncs, 3);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_IN, 1, 512, true, NULL),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(bt_syncs, 3); /* reads are not synced */
	/* A failed write is not synced either. */
	CHECK_EQ(
	    request(d, &v, VIRTIO_BLK_T_OUT, IMG_SECTORS, 512, false, NULL),
	    VIRTIO_BLK_S_IOERR);
	CHECK_EQ(bt_syncs, 3);

	virtio_config_write(d, 32, "\1", 1); /* back to write-back */
	bt_syncs = 0;
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_OUT, 1, 512, false, NULL),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(bt_syncs, 0);

	/* A disk set write-through, with a driver that knows only FLUSH:
	 * still durable at completion. */
	virtio_blk_set_writeback(d, false);
	CHECK(driver_init(d, &v, F_STD));
	bt_syncs = 0;
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_OUT, 1, 512, false, NULL),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(bt_syncs, 1);
	virtio_destroy(d);
}

/* ---- DISCARD and WRITE_ZEROES (5.2.6) ---- */

/* Can the test directory's file system punch holes (ext4, xfs, tmpfs
 * can)? If not, a discard is allowed to leave the data (5.2.6.2). */
static bool can_punch(void)
{
	static uint8_t buf[4 * 4096];
	char p[160];
	long long before;
	bool ok;
	int fd;

	memset(buf, 0xab, sizeof(buf));
	bt_path(p, sizeof(p), "punch-probe");
	if (!write_file(p, buf, sizeof(buf)))
		return false;
	fd = open(p, O_RDWR);
	if (fd < 0)
		return false;
	fsync(fd);
	before = file_blocks(p);
	ok = syscall(SYS_fallocate, fd,
		     FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096,
		     4096) == 0 &&
	     file_blocks(p) < before;
	close(fd);
	unlink(p);
	return ok;
}

static void discard_punches_hole(void)
{
	struct virtio_dev *d;
	struct vq_driver v;
	uint32_t len = 0;
	long long blocks;
	bool punch = can_punch();
	int fd;

	if (!punch)
		printf(
		    "note: %s cannot punch holes; only the data is checked\n",
		    bt_dir);
	make_image();
	d = open_dev_with(bt_img, false, &v, F_DWZ);
	CHECK(d);
	if (!d)
		return;
	blocks = file_blocks(bt_img);
	/* Two 4 KiB blocks of the file, one request. */
	put_seg(0, 8, 8, 0);
	put_seg(1, 24, 8, 0);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_DISCARD, 0, 32, false, &len),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(len, 1);
	CHECK(sectors_intact(0, 8));
	CHECK(sectors_intact(16, 8));
	CHECK(sectors_intact(32, IMG_SECTORS - 32));
	CHECK_EQ(file_size(bt_img), IMG_SECTORS * 512); /* KEEP_SIZE */
	if (punch) {
		CHECK(sectors_zero(8, 8));
		CHECK(sectors_zero(24, 8));
		CHECK_EQ(file_blocks(bt_img), blocks - 16);
		fd = open(bt_img, O_RDONLY);
		CHECK(fd >= 0);
		CHECK_EQ(lseek(fd, 0, SEEK_HOLE), 8 * 512);
		CHECK_EQ(lseek(fd, 8 * 512, SEEK_DATA), 16 * 512);
		CHECK_EQ(lseek(fd, 16 * 512, SEEK_HOLE), 24 * 512);
		close(fd);
	}
	/* A file system that cannot punch (EOPNOTSUPP), or a block device
	 * wanting its own alignment (EINVAL): the discard still succeeds
	 * and changes nothing. */
	bt_falloc_fail_modes = FALLOC_FL_PUNCH_HOLE;
	bt_falloc_errno = EOPNOTSUPP;
	put_seg(0, 40, 8, 0);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL),
		 VIRTIO_BLK_S_OK);
	bt_falloc_errno = EINVAL;
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL),
		 VIRTIO_BLK_S_OK);
	CHECK(sectors_intact(40, 8));
	/* Any other failure is an I/O error. */
	bt_falloc_errno = EIO;
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL),
		 VIRTIO_BLK_S_IOERR);
	bt_falloc_fail_modes = 0;
	CHECK(!(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
	virtio_destroy(d);
}

static void write_zeroes(void)
{
	struct virtio_dev *d;
	struct vq_driver v;
	uint32_t len = 0;
	long long blocks;
	bool punch = can_punch();

	make_image();
	d = open_dev_with(bt_img, false, &v, F_DWZ);
	CHECK(d);
	if (!d)
		return;
	blocks = file_blocks(bt_img);
	/* Without unmap: zeroed in place, the blocks stay allocated. */
	put_seg(0, 3, 3, 0);
	bt_falloc_calls = 0;
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, &len),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(len, 1);
	CHECK_EQ(bt_falloc_calls, 1); /* ZERO_RANGE, no punch first */
	CHECK(sectors_intact(0, 3));
	CHECK(sectors_zero(3, 3));
	CHECK(sectors_intact(6, IMG_SECTORS - 6));
	CHECK_EQ(file_blocks(bt_img), blocks);
	/* With unmap, in a two-segment request: the 4 KiB blocks go. */
	put_seg(0, 16, 16, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	put_seg(1, 40, 1, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_WRITE_ZEROES, 0, 32, false, &len),
		 VIRTIO_BLK_S_OK);
	CHECK(sectors_intact(6, 10));
	CHECK(sectors_zero(16, 16));
	CHECK(sectors_intact(32, 8));
	CHECK(sectors_zero(40, 1));
	CHECK(sectors_intact(41, IMG_SECTORS - 41));
	CHECK_EQ(file_size(bt_img), IMG_SECTORS * 512);
	if (punch)
		CHECK_EQ(file_blocks(bt_img), blocks - 16);
	CHECK(!(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
	virtio_destroy(d);
}

/* Where the file system can neither punch nor zero a range, the zeroes
 * are written; reads of the range return zeroes all the same. */
static void write_zeroes_fallback(void)
{
	struct virtio_dev *d;
	struct vq_driver v;

	make_image_of(1024); /* 512 KiB: several 64 KiB zero buffers */
	d = open_dev_with(bt_img, false, &v, F_DWZ);
	CHECK(d);
	if (!d)
		return;
	bt_falloc_fail_modes = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
	bt_falloc_errno = EOPNOTSUPP;
	bt_falloc_calls = 0;
	put_seg(0, 5, 300, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	put_seg(1, 1000, 24, 0);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_WRITE_ZEROES, 0, 32, false, NULL),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(bt_falloc_calls, 3); /* punch, zero range; zero range */
	CHECK(sectors_intact(0, 5));
	CHECK(sectors_zero(5, 300));
	CHECK(sectors_intact(305, 1000 - 305));
	CHECK(sectors_zero(1000, 24));
	/* EINVAL (a block device's alignment) falls back the same way. */
	bt_falloc_errno = EINVAL;
	put_seg(0, 400, 1, 0);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL),
		 VIRTIO_BLK_S_OK);
	CHECK(sectors_intact(399, 1));
	CHECK(sectors_zero(400, 1));
	CHECK(sectors_intact(401, 1));
	/* A real failure is an I/O error. */
	bt_falloc_errno = ENOSPC;
	put_seg(0, 500, 1, 0);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL),
		 VIRTIO_BLK_S_IOERR);
	CHECK(sectors_intact(500, 1));
	bt_falloc_fail_modes = 0;
	virtio_destroy(d);
}

/* Both types: ask, and expect `status` from each. */
static void both(struct virtio_dev *d, struct vq_driver *v, uint32_t bytes,
		 uint8_t status)
{
	CHECK_EQ(request(d, v, VIRTIO_BLK_T_DISCARD, 0, bytes, false, NULL),
		 status);
	CHECK_EQ(
	    request(d, v, VIRTIO_BLK_T_WRITE_ZEROES, 0, bytes, false, NULL),
	    status);
}

/* Every bad request leaves the disk as it was. */
static void discard_write_zeroes_bad_input(void)
{
	static uint8_t before[IMG_SECTORS * 512], after[IMG_SECTORS * 512];
	struct virtio_dev *d;
	struct vq_driver v;
	long long blocks;

	make_image();
	d = open_dev_with(bt_img, false, &v, F_DWZ);
	CHECK(d);
	if (!d)
		return;
	CHECK(read_file_at(bt_img, 0, before, sizeof(before)));
	blocks = file_blocks(bt_img);
	bt_falloc_calls = 0;

	/* Past the end of the disk. */
	put_seg(0, IMG_SECTORS - 4, 8, 0);
	both(d, &v, 16, VIRTIO_BLK_S_IOERR);
	put_seg(0, IMG_SECTORS - 1, 2, 0);
	both(d, &v, 16, VIRTIO_BLK_S_IOERR);
	put_seg(0, IMG_SECTORS + 1, 0, 0);
	both(d, &v, 16, VIRTIO_BLK_S_IOERR);
	/* sector + num_sectors wraps around to inside the disk. */
	put_seg(0, ~0ULL - 3, 8, 0);
	both(d, &v, 16, VIRTIO_BLK_S_IOERR);
	/* sector * 512 wraps around. */
	put_seg(0, 1ULL << 55, 1, 0);
	both(d, &v, 16, VIRTIO_BLK_S_IOERR);
	put_seg(0, 1ULL << 55, 0, 0);
	both(d, &v, 16, VIRTIO_BLK_S_IOERR);
	/* A good segment, then a bad one: the good one is not done. */
	put_seg(0, 0, 8, 0);
	put_seg(1, IMG_SECTORS, 1, 0);
	both(d, &v, 32, VIRTIO_BLK_S_IOERR);
	/* Not whole 16-byte segments, or none (5.2.6.1). */
	put_seg(0, 0, 8, 0);
	put_seg(1, 8, 8, 0);
	both(d, &v, 15, VIRTIO_BLK_S_IOERR);
	both(d, &v, 17, VIRTIO_BLK_S_IOERR);
	both(d, &v, 31, VIRTIO_BLK_S_IOERR);
	both(d, &v, 0, VIRTIO_BLK_S_IOERR);
	/* More segments than max_discard_seg / max_write_zeroes_seg. */
	for (unsigned int i = 0; i < 257; i++)
		put_seg(i, i % IMG_SECTORS, 1, 0);
	both(d, &v, 257 * 16, VIRTIO_BLK_S_IOERR);
	/* 5.2.6.2: unmap on a discard, or an unknown flag, is UNSUPP, even
	 * when another segment is out of range. */
	put_seg(0, 0, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL),
		 VIRTIO_BLK_S_UNSUPP);
	put_seg(0, 0, 8, 2);
	both(d, &v, 16, VIRTIO_BLK_S_UNSUPP);
	put_seg(0, 0, 8, 0x80000001);
	both(d, &v, 16, VIRTIO_BLK_S_UNSUPP);
	put_seg(0, IMG_SECTORS, 8, 0);
	put_seg(1, 0, 8, 4);
	both(d, &v, 32, VIRTIO_BLK_S_UNSUPP);

	CHECK_EQ(bt_falloc_calls, 0);
	CHECK(read_file_at(bt_img, 0, after, sizeof(after)));
	CHECK(!memcmp(before, after, sizeof(after)));
	CHECK_EQ(file_blocks(bt_img), blocks);
	CHECK_EQ(file_size(bt_img), IMG_SECTORS * 512);
	CHECK(!(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET));

	/* The limits themselves are fine: 256 segments; an empty range at
	 * the very end. */
	for (unsigned int i = 0; i < 256; i++)
		put_seg(i, i % 4, 1, 0);
	CHECK_EQ(
	    request(d, &v, VIRTIO_BLK_T_WRITE_ZEROES, 0, 256 * 16, false, NULL),
	    VIRTIO_BLK_S_OK);
	CHECK(sectors_zero(0, 4));
	CHECK(sectors_intact(4, IMG_SECTORS - 4));
	put_seg(0, IMG_SECTORS, 0, 0);
	both(d, &v, 16, VIRTIO_BLK_S_OK);
	virtio_destroy(d);
}

/* num_sectors above max_*_sectors is refused even inside the disk (a
 * sparse image a little larger than the limit). */
static void discard_write_zeroes_max_sectors(void)
{
	struct virtio_dev *d;
	struct vq_driver v;
	uint8_t w[4];
	uint32_t max_discard, max_zeroes;
	char p[160];
	int fd;

	bt_path(p, sizeof(p), "big.img");
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	if (ftruncate(fd, (off_t)((4ULL << 30) + (1 << 20))) < 0) {
		printf("note: no sparse 4 GiB file in %s; skipped\n", bt_dir);
		close(fd);
		unlink(p);
		return;
	}
	close(fd);
	d = open_dev_with(p, false, &v, F_DWZ);
	CHECK(d);
	if (!d) {
		unlink(p);
		return;
	}
	virtio_config_read(d, 36, w, 4);
	max_discard = get_le32(w);
	virtio_config_read(d, 48, w, 4);
	max_zeroes = get_le32(w);
	CHECK(virtio_blk_capacity(d) > max_discard + 8ULL);
	CHECK(virtio_blk_capacity(d) > max_zeroes + 8ULL);
	bt_falloc_calls = 0;
	put_seg(0, 0, max_discard + 8, 0);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL),
		 VIRTIO_BLK_S_IOERR);
	put_seg(0, 0, max_zeroes + 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL),
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(bt_falloc_calls, 0);
	/* At the limit: done (holes in a sparse file cost nothing). */
	put_seg(0, 8, max_discard, 0);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL),
		 VIRTIO_BLK_S_OK);
	put_seg(0, 8, max_zeroes, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL),
		 VIRTIO_BLK_S_OK);
	CHECK(bt_falloc_calls >= 2);
	virtio_destroy(d);
	unlink(p);
}

int main(void)
{
	char cmd[128];
	int rc;

	check_suite = "virtio_blk";
	snprintf(bt_dir, sizeof(bt_dir), "/tmp/armvm-blk-XXXXXX");
	if (!mkdtemp(bt_dir)) {
		printf("FAIL: virtio_blk/setup: mkdtemp\n");
		return 1;
	}
	bt_path(bt_img, sizeof(bt_img), "disk.img");
	RUN(bad_images);
	RUN(locking);
	RUN(features_and_config);
	RUN(read_write_flush);
	RUN(out_of_range);
	RUN(get_id_and_unsupported);
	RUN(readonly_disk);
	RUN(any_framing);
	RUN(batch);
	RUN(protocol_errors);
	RUN(no_flush_feature);
	RUN(cache_mode_config);
	RUN(cache_mode_syncs);
	RUN(discard_punches_hole);
	RUN(write_zeroes);
	RUN(write_zeroes_fallback);
	RUN(discard_write_zeroes_bad_input);
	RUN(discard_write_zeroes_max_sectors);
	rc = check_main_end();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", bt_dir);
	if (system(cmd) != 0)
		rc = 1;
	free(bt_ram);
	return rc;
}
