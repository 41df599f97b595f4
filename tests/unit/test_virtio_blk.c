// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of virtio-blk (virtio/blk.c): image checks and locking,
 * feature negotiation, config space read byte by byte, and every request
 * type through a virtqueue built in fake guest RAM, as a driver would.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

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

/* A fresh image: sector s holds bytes (s * 7 + i) & 0xff. */
static void make_image(void)
{
	static uint8_t img[IMG_SECTORS * 512];

	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)((i / 512) * 7 + i);
	write_file(bt_img, img, sizeof(img));
}

static uint8_t image_byte(size_t off)
{
	return (uint8_t)((off / 512) * 7 + off);
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

static struct virtio_dev *open_dev(bool readonly, struct vq_driver *v)
{
	struct virtio_dev *d;

	ram_setup();
	d = virtio_blk_create(bt_img, readonly, &bt_mem);
	if (d && !driver_init(
		     d, v, F_STD | (readonly ? 1ULL << VIRTIO_BLK_F_RO : 0))) {
		virtio_destroy(d);
		return NULL;
	}
	return d;
}

static void put_hdr(uint32_t type, uint64_t sector)
{
	put_le32(host(HDR), type);
	put_le32(host(HDR) + 4, 0);
	put_le64(host(HDR) + 8, sector);
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
	d = open_dev(false, &v);
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
	CHECK_EQ(request(d, &v, VIRTIO_BLK_T_OUT, 1, 512, false, NULL),
		 VIRTIO_BLK_S_OK);
	CHECK(read_file_at(bt_img, 512, buf, 512));
	CHECK_EQ(buf[100], 0x77);
	virtio_destroy(d);
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
	rc = check_main_end();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", bt_dir);
	if (system(cmd) != 0)
		rc = 1;
	free(bt_ram);
	return rc;
}
