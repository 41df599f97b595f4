// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (virtio 1.2 section 5.2) on a raw image file, one request
 * queue. Requests run synchronously on the thread that kicked the queue
 * (a vCPU thread): preadv/pwritev straight into and out of guest RAM.
 *
 * Requests (5.2.6): a 16-byte readable header { le32 type, le32 reserved,
 * le64 sector }, data, and a final writable status byte. The device makes
 * no assumption about how these are split into descriptors (2.6.4): the
 * header may span several buffers and the status byte is the last writable
 * byte, whatever buffer holds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "lib/util.h"
#include "virtio/blk.h"

#define SECTOR_SIZE 512
#define HDR_BYTES   16

/* Config layout (5.2.4) up to and including unused1. */
#define CFG_CAPACITY 0
#define CFG_SEG_MAX  12
#define CFG_BLK_SIZE 20
#define CFG_BYTES    60

/* I/O error messages per device (a failing disk must not flood). */
#define BLK_MAX_WARNINGS 10

struct virtio_blk {
	struct virtio_dev vdev; /* first: container_of by cast */
	int fd;
	bool readonly;
	uint64_t capacity; /* sectors */
	char *path;
	char serial[VIRTIO_BLK_ID_BYTES];
	uint8_t config[CFG_BYTES];
	unsigned int warnings;
	/* Request scratch, used under the queue's processing lock. */
	struct virtq_elem elem;
	struct iovec iov[VIRTQ_MAX_SIZE];
};

static struct virtio_blk *to_blk(struct virtio_dev *d)
{
	return (struct virtio_blk *)d;
}

static uint64_t blk_get_features(struct virtio_dev *d)
{
	struct virtio_blk *b = to_blk(d);
	uint64_t f =
	    1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
	    1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_F_INDIRECT_DESC |
	    1ULL << VIRTIO_F_EVENT_IDX;

	if (b->readonly)
		f |= 1ULL << VIRTIO_BLK_F_RO;
	return f;
}

static void blk_config_read(struct virtio_dev *d, uint32_t offset, void *buf,
			    uint32_t len)
{
	memcpy(buf, to_blk(d)->config + offset, len);
}

/* The config space is read-only for us (no CONFIG_WCE): writes ignored. */
static void blk_config_write(struct virtio_dev *d, uint32_t offset,
			     const void *buf, uint32_t len)
{
}

static void io_warn(struct virtio_blk *b, const char *what, int err)
{
	if (b->warnings >= BLK_MAX_WARNINGS)
		return;
	b->warnings++;
	pr_warn("%s: disk image %s failed: %s", b->path, what, strerror(err));
}

/*
 * Build b->iov from the part of e's segments [first, end) that starts skip
 * bytes in and is len bytes long. Returns the number of iovecs.
 */
static unsigned int slice_iov(struct virtio_blk *b, const struct virtq_elem *e,
			      unsigned int first, unsigned int end,
			      uint64_t skip, uint64_t len)
{
	unsigned int n = 0;

	for (unsigned int i = first; i < end && len; i++) {
		uint64_t seg = e->iov[i].iov_len, take;

		if (skip >= seg) {
			skip -= seg;
			continue;
		}
		take = seg - skip;
		if (take > len)
			take = len;
		b->iov[n].iov_base = (uint8_t *)e->iov[i].iov_base + skip;
		b->iov[n].iov_len = take;
		n++;
		len -= take;
		skip = 0;
	}
	return n;
}

/* Whole-transfer preadv/pwritev over b->iov[0..n), retrying short
 * transfers and EINTR. 0 or a negative errno. */
static int blk_xfer(struct virtio_blk *b, bool write, unsigned int n,
		    uint64_t off)
{
	struct iovec *iov = b->iov;

	while (n) {
		int cnt = n > IOV_MAX ? IOV_MAX : (int)n;
		ssize_t r = write ? pwritev(b->fd, iov, cnt, (off_t)off)
				  : preadv(b->fd, iov, cnt, (off_t)off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO; /* the file shrank under us */
		off += (uint64_t)r;
		while (n && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n && r) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

static bool range_ok(struct virtio_blk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t n = bytes / SECTOR_SIZE;

	return bytes % SECTOR_SIZE == 0 && sector <= b->capacity &&
	       n <= b->capacity - sector;
}

static int blk_sync(struct virtio_blk *b)
{
	while (fdatasync(b->fd) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/*
 * Serve one request. Returns false when it has no header or no status byte
 * (a driver bug the device cannot even report); otherwise *written is the
 * number of bytes written into the chain, status byte included.
 */
static bool blk_request(struct virtio_blk *b, struct virtq_elem *e,
			uint32_t *written)
{
	uint8_t hdr[HDR_BYTES], status = VIRTIO_BLK_S_OK;
	uint64_t in_data, out_data, sector;
	unsigned int all = e->out_num + e->in_num, n;
	uint32_t type;
	int err;

	if (e->out_len < HDR_BYTES || e->in_len < 1)
		return false;
	virtq_elem_read(e, 0, hdr, sizeof(hdr));
	type = get_le32(hdr);
	sector = get_le64(hdr + 8);
	in_data = e->in_len - 1;
	out_data = e->out_len - HDR_BYTES;
	*written = 1;

	switch (type) {
	case VIRTIO_BLK_T_IN:
		if (!range_ok(b, sector, in_data)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		n = slice_iov(b, e, e->out_num, all, 0, in_data);
		err = blk_xfer(b, false, n, sector * SECTOR_SIZE);
		if (err) {
			io_warn(b, "read", -err);
			status = VIRTIO_BLK_S_IOERR;
		}
		*written = (uint32_t)(in_data + 1 > UINT32_MAX ? UINT32_MAX
							       : in_data + 1);
		break;
	case VIRTIO_BLK_T_OUT:
		/* 5.2.6.2: a read-only device fails writes with IOERR. */
		if (b->readonly || !range_ok(b, sector, out_data)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		n = slice_iov(b, e, 0, e->out_num, HDR_BYTES, out_data);
		err = blk_xfer(b, true, n, sector * SECTOR_SIZE);
		/* Without FLUSH negotiated the driver expects write-through
		 * (5.2.6.2): make the data durable before completing. */
		if (!err && !virtio_has_feature(&b->vdev, VIRTIO_BLK_F_FLUSH))
			err = blk_sync(b);
		if (err) {
			io_warn(b, "write", -err);
			status = VIRTIO_BLK_S_IOERR;
		}
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (!b->readonly) {
			err = blk_sync(b);
			if (err) {
				io_warn(b, "flush", -err);
				status = VIRTIO_BLK_S_IOERR;
			}
		}
		break;
	case VIRTIO_BLK_T_GET_ID: {
		/* 5.2.6: 20 bytes, NUL-padded when shorter. */
		uint64_t len = in_data < VIRTIO_BLK_ID_BYTES
				   ? in_data
				   : VIRTIO_BLK_ID_BYTES;

		virtq_elem_write(e, 0, b->serial, len);
		*written = (uint32_t)len + 1;
		break;
	}
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	virtq_elem_write(e, e->in_len - 1, &status, 1);
	return true;
}

static void blk_queue_notify(struct virtio_dev *d, unsigned int q)
{
	struct virtio_blk *b = to_blk(d);
	unsigned int done = 0;
	uint32_t written;

	while (virtio_pop(d, q, &b->elem) == VIRTQ_GOT) {
		if (!blk_request(b, &b->elem, &written)) {
			virtio_set_needs_reset(
			    d, "request without a header or a status byte");
			return;
		}
		virtio_push(d, q, &b->elem, written);
		/* Let the driver see completions of a long batch early. */
		if (++done % 32 == 0)
			virtio_notify_used(d, q);
	}
	if (done % 32)
		virtio_notify_used(d, q);
}

static void blk_destroy(struct virtio_dev *d)
{
	struct virtio_blk *b = to_blk(d);

	if (b->fd >= 0)
		close(b->fd); /* drops the flock */
	free(b->path);
	free(b);
}

static const struct virtio_device_ops blk_ops = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .num_queues = 1,
    .queue_max_size = VIRTIO_BLK_QUEUE_SIZE,
    .config_size = CFG_BYTES,
    .get_features = blk_get_features,
    .config_read = blk_config_read,
    .config_write = blk_config_write,
    .queue_notify = blk_queue_notify,
    .destroy = blk_destroy,
};

void virtio_blk_set_serial(struct virtio_dev *d, const char *serial)
{
	struct virtio_blk *b = to_blk(d);
	size_t n = strnlen(serial, VIRTIO_BLK_ID_BYTES);

	pthread_mutex_lock(&d->lock);
	memset(b->serial, 0, sizeof(b->serial));
	memcpy(b->serial, serial, n);
	pthread_mutex_unlock(&d->lock);
}

uint64_t virtio_blk_capacity(struct virtio_dev *d)
{
	return to_blk(d)->capacity;
}

/* Open, check and lock the image; its size in bytes in *size. */
static int open_image(const char *path, bool readonly, uint64_t *size)
{
	struct stat st;
	int fd, flags;

	/* O_NONBLOCK: opening a FIFO must not hang; cleared below. */
	fd =
	    open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		pr_err("%s: cannot open disk image: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		pr_err("%s: cannot open disk image: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size) < 0) {
			pr_err("%s: cannot get the disk's size: %s", path,
			       strerror(errno));
			goto fail;
		}
	} else {
		pr_err("%s: disk image is not a regular file or block device",
		       path);
		goto fail;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		pr_err("%s: disk image: %s", path, strerror(errno));
		goto fail;
	}
	if (flock(fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			pr_err(
			    "%s: disk image is in use by another process (locked%s)",
			    path, readonly ? " for writing" : "");
		else
			pr_err("%s: cannot lock disk image: %s", path,
			       strerror(errno));
		goto fail;
	}
	if (*size == 0) {
		pr_err("%s: disk image is empty", path);
		goto fail;
	}
	if (*size < SECTOR_SIZE) {
		pr_err("%s: disk image is smaller than one 512-byte sector",
		       path);
		goto fail;
	}
	if (*size % SECTOR_SIZE)
		pr_warn(
		    "%s: disk image size is not a multiple of 512 bytes; the last %u bytes are not used",
		    path, (unsigned int)(*size % SECTOR_SIZE));
	return fd;
fail:
	close(fd);
	return -1;
}

struct virtio_dev *virtio_blk_create(const char *path, bool readonly,
				     struct guest_mem *mem)
{
	struct virtio_blk *b;
	const char *base;
	uint64_t size;
	int fd;

	fd = open_image(path, readonly, &size);
	if (fd < 0)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b || !(b->path = strdup(path))) {
		pr_err("%s: out of memory", path);
		free(b);
		close(fd);
		return NULL;
	}
	b->fd = fd;
	b->readonly = readonly;
	b->capacity = size / SECTOR_SIZE;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	memcpy(b->serial, base, strnlen(base, VIRTIO_BLK_ID_BYTES));
	put_le64(b->config + CFG_CAPACITY, b->capacity);
	put_le32(b->config + CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX);
	put_le32(b->config + CFG_BLK_SIZE, SECTOR_SIZE);
	if (!virtio_dev_init(&b->vdev, &blk_ops, mem)) {
		pr_err("%s: out of memory", path);
		free(b->path);
		free(b);
		close(fd);
		return NULL;
	}
	return &b->vdev;
}
