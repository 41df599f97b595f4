// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (virtio 1.2 section 5.2) on a raw image file, one request
 * queue. Requests run synchronously where the queue's notification is
 * served (see virtio.h): on the doorbell thread, or on the vCPU that wrote
 * it when the write was an ordinary MMIO exit; preadv/pwritev straight
 * into and out of guest RAM.
 *
 * Requests (5.2.6): a 16-byte readable header { le32 type, le32 reserved,
 * le64 sector }, data, and a final writable status byte. The device makes
 * no assumption about how these are split into descriptors (2.6.4): the
 * header may span several buffers and the status byte is the last writable
 * byte, whatever buffer holds it.
 *
 * DISCARD punches a hole in the image file and WRITE_ZEROES zeroes a range
 * (fallocate), so that a guest's fstrim gives the host its space back.
 *
 * The cache mode (CONFIG_WCE, 5.2.5) is the config byte `writeback`: 1,
 * write-back, makes a write complete once the host kernel has it and FLUSH
 * makes it durable (fdatasync); 0, write-through, makes every write
 * durable before it completes.
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
#define CFG_CAPACITY		     0
#define CFG_SEG_MAX		     12
#define CFG_BLK_SIZE		     20
#define CFG_WRITEBACK		     32
#define CFG_MAX_DISCARD_SECTORS	     36
#define CFG_MAX_DISCARD_SEG	     40
#define CFG_DISCARD_SECTOR_ALIGNMENT 44
#define CFG_MAX_WRITE_ZEROES_SECTORS 48
#define CFG_MAX_WRITE_ZEROES_SEG     52
#define CFG_WRITE_ZEROES_MAY_UNMAP   56
#define CFG_BYTES		     60

#define DWZ_MAX_SEG                                                   \
	(VIRTIO_BLK_MAX_DISCARD_SEG > VIRTIO_BLK_MAX_WRITE_ZEROES_SEG \
	     ? VIRTIO_BLK_MAX_DISCARD_SEG                             \
	     : VIRTIO_BLK_MAX_WRITE_ZEROES_SEG)
/* Zeroes written from here where the file system cannot zero a range. */
#define ZERO_BUF_BYTES (64 * 1024)
static const uint8_t zero_buf[ZERO_BUF_BYTES];

/* I/O error messages per device (a failing disk must not flood). */
#define BLK_MAX_WARNINGS 10

struct virtio_blk {
	struct virtio_dev vdev; /* first: container_of by cast */
	int fd;
	bool readonly;
	uint64_t capacity; /* sectors */
	/* The cache mode at reset (virtio_blk_set_writeback), under
	 * d->lock. */
	bool writeback_default;
	/* Each write must be durable before it completes: set under
	 * d->lock, read by the request path without it. */
	bool write_through;
	char *path;
	char serial[VIRTIO_BLK_ID_BYTES];
	uint8_t config[CFG_BYTES];
	unsigned int warnings;
	/* Request scratch, used under the queue's processing lock. */
	struct virtq_elem elem;
	struct iovec iov[VIRTQ_MAX_SIZE];
	/* A discard or write-zeroes payload, copied out of guest RAM once
	 * so that the guest cannot change it between check and use. */
	uint8_t dwz[DWZ_MAX_SEG * VIRTIO_BLK_DWZ_SEG_BYTES];
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
	    1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_CONFIG_WCE |
	    1ULL << VIRTIO_F_INDIRECT_DESC | 1ULL << VIRTIO_F_EVENT_IDX;

	/* Discard and write-zeroes write the disk: a read-only one offers
	 * neither (and fails them with IOERR, 5.2.6.2). */
	if (b->readonly)
		f |= 1ULL << VIRTIO_BLK_F_RO;
	else
		f |= 1ULL << VIRTIO_BLK_F_DISCARD |
		     1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
	return f;
}

static void blk_config_read(struct virtio_dev *d, uint32_t offset, void *buf,
			    uint32_t len)
{
	memcpy(buf, to_blk(d)->config + offset, len);
}

/*
 * Recompute write_through from the negotiated features and the writeback
 * byte, d->lock held. 5.2.6.2: a write must be durable at completion when
 * the driver negotiated neither FLUSH nor CONFIG_WCE (it cannot flush), or
 * while writeback is 0.
 */
static void update_cache_mode(struct virtio_blk *b, uint64_t features)
{
	bool can_flush = features & (1ULL << VIRTIO_BLK_F_FLUSH |
				     1ULL << VIRTIO_BLK_F_CONFIG_WCE);

	__atomic_store_n(&b->write_through,
			 !can_flush || !b->config[CFG_WRITEBACK],
			 __ATOMIC_RELEASE);
}

/*
 * Only `writeback` is writable, and only once CONFIG_WCE is negotiated
 * (5.2.5); any other byte, or a value other than 0 and 1, is ignored. An
 * access wider than the byte (a 32-bit write at 32) changes only it.
 */
static void blk_config_write(struct virtio_dev *d, uint32_t offset,
			     const void *buf, uint32_t len)
{
	struct virtio_blk *b = to_blk(d);
	uint8_t v;

	if (offset > CFG_WRITEBACK || CFG_WRITEBACK - offset >= len)
		return;
	if (!(d->status & VIRTIO_STATUS_FEATURES_OK) ||
	    !(d->driver_features >> VIRTIO_BLK_F_CONFIG_WCE & 1))
		return;
	v = ((const uint8_t *)buf)[CFG_WRITEBACK - offset];
	if (v > 1)
		return;
	b->config[CFG_WRITEBACK] = v;
	update_cache_mode(b, d->driver_features);
}

static void blk_features_ok(struct virtio_dev *d, uint64_t features)
{
	struct virtio_blk *b = to_blk(d);

	/* 5.2.5.2: CONFIG_WCE without FLUSH starts write-through. */
	if ((features >> VIRTIO_BLK_F_CONFIG_WCE & 1) &&
	    !(features >> VIRTIO_BLK_F_FLUSH & 1))
		b->config[CFG_WRITEBACK] = 0;
	update_cache_mode(b, features);
}

static void blk_reset(struct virtio_dev *d)
{
	struct virtio_blk *b = to_blk(d);

	b->config[CFG_WRITEBACK] = b->writeback_default;
	update_cache_mode(b, 0);
}

/*
 * Record (docs/snapshot.md): the writeback byte (5.2.4), the cache mode a
 * driver with CONFIG_WCE may have changed. Requests are synchronous on the
 * thread that runs the queue, so none is in flight once it is quiesced.
 */
static void blk_save(struct virtio_dev *d, struct state_writer *w)
{
	sw_u8(w, to_blk(d)->config[CFG_WRITEBACK]);
}

static int blk_restore(struct virtio_dev *d, struct state_reader *r)
{
	struct virtio_blk *b = to_blk(d);
	/* 0 or 1, what blk_config_write accepts. */
	bool writeback = sr_bool(r);

	if (r->failed)
		return -1;
	b->config[CFG_WRITEBACK] = writeback;
	update_cache_mode(b, (d->status & VIRTIO_STATUS_FEATURES_OK)
				 ? d->driver_features
				 : 0);
	return 0;
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

/* After a write (or discard, or write-zeroes) was carried out, before it
 * completes: write-through makes it durable first. */
static int blk_write_done(struct virtio_blk *b)
{
	if (__atomic_load_n(&b->write_through, __ATOMIC_ACQUIRE))
		return blk_sync(b);
	return 0;
}

static int blk_fallocate(struct virtio_blk *b, int mode, uint64_t off,
			 uint64_t len)
{
	while (fallocate(b->fd, mode, (off_t)off, (off_t)len) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/*
 * The image cannot do this kind of fallocate: the file system lacks it
 * (EOPNOTSUPP: tmpfs has no ZERO_RANGE, some have no hole punching), or a
 * block device wants its own logical block size's alignment (EINVAL).
 */
static bool fallocate_unsupported(int err)
{
	return err == -EOPNOTSUPP || err == -EINVAL || err == -ENOSYS;
}

/* Write zeroes over [off, off + len) from zero_buf. */
static int write_zero_bytes(struct virtio_blk *b, uint64_t off, uint64_t len)
{
	while (len) {
		uint64_t chunk = 0;
		unsigned int n = 0;
		int err;

		for (; n < VIRTQ_MAX_SIZE && chunk < len; n++) {
			uint64_t take = len - chunk;

			if (take > ZERO_BUF_BYTES)
				take = ZERO_BUF_BYTES;
			b->iov[n].iov_base = (void *)zero_buf;
			b->iov[n].iov_len = take;
			chunk += take;
		}
		err = blk_xfer(b, true, n, off);
		if (err)
			return err;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

/*
 * One write-zeroes range (5.2.6.2: reads of it must then return zeroes).
 * With unmap the range may be deallocated: punch a hole. Otherwise, or
 * where holes cannot be punched, zero it in place (ZERO_RANGE keeps the
 * blocks allocated), and where the file system cannot do that either,
 * write the zeroes.
 */
static int zero_range(struct virtio_blk *b, uint64_t off, uint64_t len,
		      bool unmap)
{
	int err = -EOPNOTSUPP;

	if (unmap)
		err = blk_fallocate(
		    b, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
	if (fallocate_unsupported(err))
		err = blk_fallocate(
		    b, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, len);
	if (fallocate_unsupported(err))
		err = write_zero_bytes(b, off, len);
	return err;
}

/* One discard range: 5.2.6.2 lets the device deallocate it, or not. */
static int discard_range(struct virtio_blk *b, uint64_t off, uint64_t len)
{
	int err = blk_fallocate(b, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				off, len);

	return fallocate_unsupported(err) ? 0 : err;
}

/*
 * DISCARD or WRITE_ZEROES (5.2.6): the payload is copied out of guest RAM
 * once and every segment checked before any is carried out, so a bad
 * request leaves the disk untouched. Returns the status.
 */
static uint8_t blk_discard_write_zeroes(struct virtio_blk *b,
					const struct virtq_elem *e,
					bool discard)
{
	const uint64_t max_sectors = discard
					 ? VIRTIO_BLK_MAX_DISCARD_SECTORS
					 : VIRTIO_BLK_MAX_WRITE_ZEROES_SECTORS;
	const uint64_t max_seg = discard ? VIRTIO_BLK_MAX_DISCARD_SEG
					 : VIRTIO_BLK_MAX_WRITE_ZEROES_SEG;
	/* 5.2.6.2: unmap is for write-zeroes only; on a discard it, like
	 * any unknown flag, makes the request UNSUPP. */
	const uint32_t known = discard ? 0 : VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	uint64_t bytes = e->out_len - HDR_BYTES, nseg, i;
	int err = 0;

	/* 5.2.6.2: a read-only device fails every write with IOERR. */
	if (b->readonly)
		return VIRTIO_BLK_S_IOERR;
	/* A driver that did not negotiate the feature gets what a device
	 * without it would answer. */
	if (!virtio_has_feature(&b->vdev, discard ? VIRTIO_BLK_F_DISCARD
						  : VIRTIO_BLK_F_WRITE_ZEROES))
		return VIRTIO_BLK_S_UNSUPP;
	/* 5.2.6.1: one or more whole segments, at most max_*_seg of them
	 * (which also bounds the copy into b->dwz); anything else is a
	 * driver error, IOERR (5.2.6). */
	nseg = bytes / VIRTIO_BLK_DWZ_SEG_BYTES;
	if (!nseg || bytes % VIRTIO_BLK_DWZ_SEG_BYTES || nseg > max_seg)
		return VIRTIO_BLK_S_IOERR;
	if (virtq_elem_read(e, HDR_BYTES, b->dwz, bytes) != bytes)
		return VIRTIO_BLK_S_IOERR;
	for (i = 0; i < nseg; i++) {
		if (get_le32(b->dwz + i * VIRTIO_BLK_DWZ_SEG_BYTES + 12) &
		    ~known)
			return VIRTIO_BLK_S_UNSUPP;
	}
	for (i = 0; i < nseg; i++) {
		const uint8_t *seg = b->dwz + i * VIRTIO_BLK_DWZ_SEG_BYTES;
		uint64_t num = get_le32(seg + 8);

		/* range_ok is overflow-safe: sector + num is never formed. */
		if (num > max_sectors ||
		    !range_ok(b, get_le64(seg), num * SECTOR_SIZE))
			return VIRTIO_BLK_S_IOERR;
	}
	for (i = 0; i < nseg && !err; i++) {
		const uint8_t *seg = b->dwz + i * VIRTIO_BLK_DWZ_SEG_BYTES;
		uint64_t off = get_le64(seg) * SECTOR_SIZE;
		uint64_t len = (uint64_t)get_le32(seg + 8) * SECTOR_SIZE;

		if (!len)
			continue;
		if (discard)
			err = discard_range(b, off, len);
		else
			err =
			    zero_range(b, off, len,
				       get_le32(seg + 12) &
					   VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	}
	if (!err)
		err = blk_write_done(b);
	if (err) {
		/* 5.2.6: segments are then indeterminate to the driver. */
		io_warn(b, discard ? "discard" : "write-zeroes", -err);
		return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
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
		if (!err)
			err = blk_write_done(b);
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
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = blk_discard_write_zeroes(b, e,
						  type == VIRTIO_BLK_T_DISCARD);
		break;
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
    .features_ok = blk_features_ok,
    .reset = blk_reset,
    .destroy = blk_destroy,
    .save = blk_save,
    .restore = blk_restore,
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

void virtio_blk_set_writeback(struct virtio_dev *d, bool writeback)
{
	struct virtio_blk *b = to_blk(d);

	pthread_mutex_lock(&d->lock);
	b->writeback_default = writeback;
	if (!(d->status & VIRTIO_STATUS_FEATURES_OK)) {
		b->config[CFG_WRITEBACK] = writeback;
		update_cache_mode(b, 0);
	}
	pthread_mutex_unlock(&d->lock);
}

int virtio_blk_hand_over(struct virtio_dev *d, bool release, bool quiet)
{
	struct virtio_blk *b = to_blk(d);

	if (release && !b->readonly && fdatasync(b->fd) < 0) {
		pr_err("%s: cannot make the disk's writes durable: %s", b->path,
		       strerror(errno));
		return -1;
	}
	if (flock(b->fd, release       ? LOCK_UN
			 : b->readonly ? LOCK_SH | LOCK_NB
				       : LOCK_EX | LOCK_NB) < 0) {
		if (quiet)
			return -1;
		pr_err("%s: cannot %s the disk image's lock: %s", b->path,
		       release ? "drop" : "take back", strerror(errno));
		return -1;
	}
	return 0;
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
	b->writeback_default = true;
	b->config[CFG_WRITEBACK] = 1;
	b->write_through = true; /* until the driver negotiates */
	put_le32(b->config + CFG_MAX_DISCARD_SECTORS,
		 VIRTIO_BLK_MAX_DISCARD_SECTORS);
	put_le32(b->config + CFG_MAX_DISCARD_SEG, VIRTIO_BLK_MAX_DISCARD_SEG);
	put_le32(b->config + CFG_DISCARD_SECTOR_ALIGNMENT,
		 VIRTIO_BLK_DISCARD_ALIGNMENT);
	put_le32(b->config + CFG_MAX_WRITE_ZEROES_SECTORS,
		 VIRTIO_BLK_MAX_WRITE_ZEROES_SECTORS);
	put_le32(b->config + CFG_MAX_WRITE_ZEROES_SEG,
		 VIRTIO_BLK_MAX_WRITE_ZEROES_SEG);
	/* 5.2.6.2: set when a write-zeroes may deallocate (unmap punches a
	 * hole where the file system can). */
	b->config[CFG_WRITE_ZEROES_MAY_UNMAP] = 1;
	if (!virtio_dev_init(&b->vdev, &blk_ops, mem)) {
		pr_err("%s: out of memory", path);
		free(b->path);
		free(b);
		close(fd);
		return NULL;
	}
	return &b->vdev;
}
