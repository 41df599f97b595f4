// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net (virtio 1.2 section 5.1): queue 0 receives, queue 1 transmits
 * (5.1.2). Features: MAC, STATUS, MTU (1500), MRG_RXBUF, plus the core's
 * INDIRECT_DESC and EVENT_IDX; with a vnet_hdr backend (TAP) also the
 * checksum and TSO offloads (VIRTIO_NET_OFFLOAD_FEATURES), whose headers
 * pass between guest and backend, checked against what was negotiated
 * (5.1.6.2.1, 5.1.6.4.1). Without one, every header the device writes is
 * zero but for num_buffers, and the guest's transmit headers are skipped.
 *
 * Threads. Transmit runs where the transmit queue's notification is
 * served (see virtio.h): on the doorbell thread, or on a vCPU whose write
 * was an ordinary MMIO exit; with a backend that is not thread-safe
 * (libslirp, tx_on_io_thread) it only wakes the I/O thread, which then
 * transmits. Receive always runs on the device's I/O thread: backends hand
 * frames to net_deliver(), which queues them in a bounded backlog and
 * wakes the thread; the thread moves them into the guest's receive buffers
 * through virtio_queue_notify(), i.e. under the receive queue's processing
 * lock and only while the device is live. A guest kick of the receive
 * queue only wakes the thread. So the receive state below needs no lock of
 * its own: it is touched under the receive queue's processing lock only.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "lib/confine.h"
#include "lib/util.h"
#include "virtio/net.h"

/* Config layout (5.1.4): mac, status, max_virtqueue_pairs, mtu. */
#define CFG_MAC	   0
#define CFG_STATUS 6
#define CFG_PAIRS  8
#define CFG_MTU	   10
#define CFG_BYTES  12

/* The backlog: frames waiting for receive buffers. The backend is read
 * while it holds fewer than BACKLOG_READ frames; net_deliver() refuses
 * beyond BACKLOG_MAX frames or BACKLOG_BYTES (frames pushed by backends
 * that cannot be paused, like libslirp). */
#define BACKLOG_READ  32
#define BACKLOG_MAX   256
#define BACKLOG_BYTES (2 * 1024 * 1024)

#define MAX_POLLFDS	 512
#define NET_MAX_WARNINGS 10

struct rx_frame {
	size_t len;			   /* of data */
	uint8_t hdr[VIRTIO_NET_HDR_BYTES]; /* virtio_net_hdr_v1 */
	uint8_t data[];
};

struct virtio_net {
	struct virtio_dev vdev; /* first: container_of by cast */
	char *id;
	struct net_backend *be;
	uint8_t config[CFG_BYTES]; /* under vdev.lock */

	/* I/O thread. */
	pthread_t thread;
	bool thread_started;
	int wake_fd;
	atomic_bool stop, rx_kick, tx_kick, rx_new;
	struct pollfd pfds[MAX_POLLFDS];

	/* Backlog, under bl_lock. */
	pthread_mutex_t bl_lock;
	struct rx_frame *bl[BACKLOG_MAX];
	unsigned int bl_head, bl_count;
	size_t bl_bytes;
	atomic_bool link_up;

	/* Receive state, under the receive queue's processing lock. */
	struct virtq_elem rx_first; /* first chain of the frame in progress */
	struct virtq_elem rx_more;  /* scratch for the following ones */
	bool rx_first_held;	    /* rx_first popped, not yet used */
	unsigned int rx_nbufs;	    /* chains taken for the current frame */
	uint64_t rx_copied;	    /* bytes of header + frame written */
	uint16_t rx_heads[VIRTQ_MAX_SIZE];
	uint32_t rx_lens[VIRTQ_MAX_SIZE];

	/* Transmit scratch, under the transmit queue's processing lock. The
	 * header is copied out of guest memory before it is checked, so the
	 * guest cannot change it between the check and the send. */
	struct virtq_elem tx_elem;
	uint8_t tx_hdr[VIRTIO_NET_HDR_BYTES];
	struct iovec tx_iov[VIRTQ_MAX_SIZE + 1];

	atomic_uint_fast64_t rx_frames, rx_dropped, tx_frames, tx_dropped;
	atomic_uint warnings;
};

/* The device whose I/O thread this is (NULL on other threads). */
static __thread struct virtio_net *net_io_thread_of;

static struct virtio_net *to_net(struct virtio_dev *d)
{
	return (struct virtio_net *)d;
}

static const char *net_name(struct virtio_net *n)
{
	return n->id ? n->id : "virtio-net";
}

static void net_warn(struct virtio_net *n, const char *what, int err)
{
	if (atomic_fetch_add(&n->warnings, 1) >= NET_MAX_WARNINGS)
		return;
	pr_warn("%s: %s: %s", net_name(n), what, strerror(err));
}

static void net_wake(struct virtio_net *n)
{
	uint64_t one = 1;

	if (write(n->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero, a wake pending. */
	}
}

static uint64_t net_get_features(struct virtio_dev *d)
{
	uint64_t f = 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS |
		     1ULL << VIRTIO_NET_F_MTU | 1ULL << VIRTIO_NET_F_MRG_RXBUF |
		     1ULL << VIRTIO_F_INDIRECT_DESC |
		     1ULL << VIRTIO_F_EVENT_IDX;

	if (to_net(d)->be->vnet_hdr)
		f |= VIRTIO_NET_OFFLOAD_FEATURES;
	return f;
}

/* The backend hands over only what the driver can take (5.1.6.4.1: no
 * GSO type or partial checksum the driver did not negotiate). */
static void net_features_ok(struct virtio_dev *d, uint64_t features)
{
	struct net_backend *be = to_net(d)->be;

	if (be->vnet_hdr && be->ops->set_offloads)
		be->ops->set_offloads(be, features);
}

static bool has(uint64_t features, unsigned int bit)
{
	return features >> bit & 1;
}

/* The header's partial checksum (csum_start, csum_offset) lies in the
 * frame. */
static bool csum_in_frame(const uint8_t *hdr, uint64_t frame_len)
{
	return get_le16(hdr + 6) + get_le16(hdr + 8) + 2u <= frame_len;
}

/*
 * Is the header of a frame from the backend one the driver may receive
 * (5.1.6.4.1)? DATA_VALID is only a hint: cleared for a driver without
 * GUEST_CSUM. A partial checksum or a GSO type it did not negotiate makes
 * the frame undeliverable.
 */
static bool rx_header_ok(uint64_t features, uint8_t *hdr, size_t frame_len)
{
	bool csum = has(features, VIRTIO_NET_F_GUEST_CSUM);
	uint8_t gso = hdr[1] & ~VIRTIO_NET_HDR_GSO_ECN;

	hdr[0] &= VIRTIO_NET_HDR_F_NEEDS_CSUM |
		  (csum ? VIRTIO_NET_HDR_F_DATA_VALID : 0);
	if ((hdr[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    (!csum || !csum_in_frame(hdr, frame_len)))
		return false;
	if ((hdr[1] & VIRTIO_NET_HDR_GSO_ECN) &&
	    !has(features, VIRTIO_NET_F_GUEST_ECN))
		return false;
	return gso == VIRTIO_NET_HDR_GSO_NONE ||
	       (gso == VIRTIO_NET_HDR_GSO_TCPV4 &&
		has(features, VIRTIO_NET_F_GUEST_TSO4)) ||
	       (gso == VIRTIO_NET_HDR_GSO_TCPV6 &&
		has(features, VIRTIO_NET_F_GUEST_TSO6));
}

/*
 * Is the guest's transmit header one it may send (5.1.6.2.1)? A partial
 * checksum needs CSUM and must lie inside the frame; a GSO type needs
 * HOST_TSO4/6 (ECN: HOST_ECN), a partial checksum and a segment size;
 * DATA_VALID and RSC_INFO are not for transmit.
 */
static bool tx_header_ok(uint64_t features, const uint8_t *hdr,
			 uint64_t frame_len)
{
	uint8_t gso = hdr[1] & ~VIRTIO_NET_HDR_GSO_ECN;
	bool partial = hdr[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM;

	if (hdr[0] & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return false;
	if (partial && (!has(features, VIRTIO_NET_F_CSUM) ||
			!csum_in_frame(hdr, frame_len)))
		return false;
	if ((hdr[1] & VIRTIO_NET_HDR_GSO_ECN) &&
	    !has(features, VIRTIO_NET_F_HOST_ECN))
		return false;
	if (gso == VIRTIO_NET_HDR_GSO_NONE)
		return !(hdr[1] & VIRTIO_NET_HDR_GSO_ECN);
	if (!partial || !get_le16(hdr + 4))
		return false;
	return (gso == VIRTIO_NET_HDR_GSO_TCPV4 &&
		has(features, VIRTIO_NET_F_HOST_TSO4)) ||
	       (gso == VIRTIO_NET_HDR_GSO_TCPV6 &&
		has(features, VIRTIO_NET_F_HOST_TSO6));
}

static void net_config_read(struct virtio_dev *d, uint32_t offset, void *buf,
			    uint32_t len)
{
	memcpy(buf, to_net(d)->config + offset, len);
}

/* 5.1.4: without VIRTIO_NET_F_CTRL_MAC_ADDR the config space is read-only
 * for the driver; writes are ignored. */
static void net_config_write(struct virtio_dev *d, uint32_t offset,
			     const void *buf, uint32_t len)
{
}

/* ---- Backlog ---- */

static void backlog_clear(struct virtio_net *n)
{
	pthread_mutex_lock(&n->bl_lock);
	while (n->bl_count) {
		free(n->bl[n->bl_head]);
		n->bl_head = (n->bl_head + 1) % BACKLOG_MAX;
		n->bl_count--;
	}
	n->bl_bytes = 0;
	pthread_mutex_unlock(&n->bl_lock);
}

/* The oldest frame; it stays valid until backlog_pop() (only the I/O
 * thread, under the receive queue's lock, pops or clears). */
static struct rx_frame *backlog_peek(struct virtio_net *n)
{
	struct rx_frame *f = NULL;

	pthread_mutex_lock(&n->bl_lock);
	if (n->bl_count)
		f = n->bl[n->bl_head];
	pthread_mutex_unlock(&n->bl_lock);
	return f;
}

static void backlog_pop(struct virtio_net *n)
{
	struct rx_frame *f = NULL;

	pthread_mutex_lock(&n->bl_lock);
	if (n->bl_count) {
		f = n->bl[n->bl_head];
		n->bl_head = (n->bl_head + 1) % BACKLOG_MAX;
		n->bl_count--;
		n->bl_bytes -= f->len;
	}
	pthread_mutex_unlock(&n->bl_lock);
	free(f);
}

static unsigned int backlog_count(struct virtio_net *n)
{
	unsigned int c;

	pthread_mutex_lock(&n->bl_lock);
	c = n->bl_count;
	pthread_mutex_unlock(&n->bl_lock);
	return c;
}

bool net_can_deliver(struct virtio_dev *dev)
{
	return backlog_count(to_net(dev)) < BACKLOG_READ;
}

/* Queue (hdr, frame) for the guest; hdr NULL: a zeroed header. */
static bool net_enqueue(struct virtio_net *n, const uint8_t *hdr,
			const void *frame, size_t len)
{
	struct virtio_dev *dev = &n->vdev;
	uint64_t features;
	uint8_t status;
	struct rx_frame *f;
	bool ok = false;

	if (len < NET_FRAME_MIN || len > NET_FRAME_MAX ||
	    !atomic_load(&n->link_up))
		goto out;
	pthread_mutex_lock(&dev->lock);
	status = dev->status;
	features = dev->driver_features;
	pthread_mutex_unlock(&dev->lock);
	if (!(status & VIRTIO_STATUS_DRIVER_OK))
		goto out;
	f = malloc(sizeof(*f) + len);
	if (!f)
		goto out;
	f->len = len;
	memset(f->hdr, 0, sizeof(f->hdr));
	if (hdr) {
		memcpy(f->hdr, hdr, 10); /* num_buffers is the device's */
		if (!rx_header_ok(features, f->hdr, len)) {
			free(f);
			goto out;
		}
	}
	memcpy(f->data, frame, len);
	pthread_mutex_lock(&n->bl_lock);
	if (n->bl_count < BACKLOG_MAX && n->bl_bytes + len <= BACKLOG_BYTES) {
		n->bl[(n->bl_head + n->bl_count) % BACKLOG_MAX] = f;
		n->bl_count++;
		n->bl_bytes += len;
		ok = true;
	}
	pthread_mutex_unlock(&n->bl_lock);
	if (!ok) {
		free(f);
		goto out;
	}
	atomic_store(&n->rx_new, true);
	if (net_io_thread_of != n)
		net_wake(n);
	return true;
out:
	atomic_fetch_add(&n->rx_dropped, 1);
	return false;
}

bool net_deliver(struct virtio_dev *dev, const void *frame, size_t len)
{
	return net_enqueue(to_net(dev), NULL, frame, len);
}

bool net_deliver_vnet(struct virtio_dev *dev, const void *buf, size_t len)
{
	struct virtio_net *n = to_net(dev);

	if (len < VIRTIO_NET_HDR_BYTES) {
		atomic_fetch_add(&n->rx_dropped, 1);
		return false;
	}
	return net_enqueue(n, buf, (const uint8_t *)buf + VIRTIO_NET_HDR_BYTES,
			   len - VIRTIO_NET_HDR_BYTES);
}

/* ---- Receive (5.1.6.3, 5.1.6.4) ---- */

enum { RX_DONE, RX_NO_BUFFERS, RX_BROKEN };

/* Pop one receive chain into e and check it: device-writable only, room
 * for at least the header. */
static int rx_pop(struct virtio_net *n, struct virtq_elem *e)
{
	int r = virtio_pop(&n->vdev, VIRTIO_NET_RXQ, e);

	if (r == VIRTQ_EMPTY)
		return RX_NO_BUFFERS;
	if (r != VIRTQ_GOT)
		return RX_BROKEN;
	if (e->out_num || e->in_len < VIRTIO_NET_HDR_BYTES) {
		virtio_set_needs_reset(
		    &n->vdev,
		    e->out_num
			? "receive buffer with device-readable parts"
			: "receive buffer too small for the virtio-net header");
		return RX_BROKEN;
	}
	return RX_DONE;
}

/* Write bytes [from, from + len) of (header, frame) into e at offset 0. */
static void rx_fill(struct virtq_elem *e, const uint8_t *hdr,
		    const struct rx_frame *f, uint64_t from, uint64_t len)
{
	uint64_t at = 0;

	if (from < VIRTIO_NET_HDR_BYTES) {
		uint64_t h = VIRTIO_NET_HDR_BYTES - from;

		if (h > len)
			h = len;
		virtq_elem_write(e, 0, hdr + from, h);
		at = h;
		from += h;
		len -= h;
	}
	if (len)
		virtq_elem_write(e, at, f->data + (from - VIRTIO_NET_HDR_BYTES),
				 len);
}

static void rx_state_clear(struct virtio_net *n)
{
	n->rx_first_held = false;
	n->rx_nbufs = 0;
	n->rx_copied = 0;
}

/* One frame without MRG_RXBUF: it must fit one chain (5.1.6.3.1). A frame
 * too long for the chain is dropped and the chain kept for the next. */
static int rx_single(struct virtio_net *n, const struct rx_frame *f)
{
	uint8_t hdr[VIRTIO_NET_HDR_BYTES];
	uint64_t total = VIRTIO_NET_HDR_BYTES + f->len;
	uint32_t len = (uint32_t)total;
	int r;

	if (!n->rx_first_held) {
		r = rx_pop(n, &n->rx_first);
		if (r != RX_DONE)
			return r;
		n->rx_first_held = true;
	}
	if (n->rx_first.in_len < total) {
		atomic_fetch_add(&n->rx_dropped, 1);
		return RX_DONE;
	}
	/* 5.1.6.4: num_buffers is 1 without VIRTIO_NET_F_MRG_RXBUF. */
	memcpy(hdr, f->hdr, sizeof(hdr));
	put_le16(hdr + 10, 1);
	rx_fill(&n->rx_first, hdr, f, 0, total);
	virtio_push_many(&n->vdev, VIRTIO_NET_RXQ, &n->rx_first.head, &len, 1);
	n->rx_first_held = false;
	atomic_fetch_add(&n->rx_frames, 1);
	return RX_DONE;
}

/*
 * One frame with MRG_RXBUF (5.1.6.4): spread over as many chains as it
 * needs, each but the last filled completely, num_buffers in the first
 * chain's header, all of them published together. When the ring runs dry
 * mid-frame the chains taken so far are kept and the frame resumes after
 * the next kick.
 */
static int rx_mergeable(struct virtio_net *n, const struct rx_frame *f,
			uint16_t qsize)
{
	uint64_t total = VIRTIO_NET_HDR_BYTES + f->len;
	struct virtq_elem *e;
	uint8_t nb[2];
	int r;

	while (n->rx_copied < total) {
		uint64_t take;

		if (n->rx_nbufs >= qsize) {
			/* Every buffer of the ring is too little for this
			 * frame: give them back empty, drop the frame. */
			for (unsigned int i = 0; i < n->rx_nbufs; i++)
				n->rx_lens[i] = 0;
			virtio_push_many(&n->vdev, VIRTIO_NET_RXQ, n->rx_heads,
					 n->rx_lens, n->rx_nbufs);
			rx_state_clear(n);
			atomic_fetch_add(&n->rx_dropped, 1);
			return RX_DONE;
		}
		e = n->rx_nbufs ? &n->rx_more : &n->rx_first;
		r = rx_pop(n, e);
		if (r != RX_DONE)
			return r;
		take = total - n->rx_copied;
		if (take > e->in_len)
			take = e->in_len;
		rx_fill(e, f->hdr, f, n->rx_copied, take);
		n->rx_heads[n->rx_nbufs] = e->head;
		n->rx_lens[n->rx_nbufs] = (uint32_t)take;
		n->rx_nbufs++;
		n->rx_copied += take;
	}
	put_le16(nb, (uint16_t)n->rx_nbufs);
	virtq_elem_write(&n->rx_first, 10, nb, 2);
	virtio_push_many(&n->vdev, VIRTIO_NET_RXQ, n->rx_heads, n->rx_lens,
			 n->rx_nbufs);
	rx_state_clear(n);
	atomic_fetch_add(&n->rx_frames, 1);
	return RX_DONE;
}

/* On the I/O thread, receive queue locked and live: backlog to the guest. */
static void rx_deliver(struct virtio_net *n)
{
	bool mrg = virtio_has_feature(&n->vdev, VIRTIO_NET_F_MRG_RXBUF);
	uint16_t qsize = virtio_queue_get_size(&n->vdev, VIRTIO_NET_RXQ);
	unsigned int done = 0;
	struct rx_frame *f;
	int r = RX_DONE;

	while ((f = backlog_peek(n))) {
		r = mrg ? rx_mergeable(n, f, qsize) : rx_single(n, f);
		if (r != RX_DONE)
			break;
		backlog_pop(n);
		if (++done % 32 == 0)
			virtio_notify_used(&n->vdev, VIRTIO_NET_RXQ);
	}
	if (r != RX_BROKEN && done % 32)
		virtio_notify_used(&n->vdev, VIRTIO_NET_RXQ);
}

/* ---- Transmit (5.1.6.2) ---- */

/*
 * The frame of chain e in n->tx_iov, without the guest's header; with a
 * vnet_hdr backend, preceded by a checked copy of it (n->tx_hdr). Returns
 * the number of pieces, 0 to drop the frame.
 */
static int tx_gather(struct virtio_net *n, const struct virtq_elem *e,
		     uint64_t len)
{
	uint64_t skip = VIRTIO_NET_HDR_BYTES;
	int cnt = 0;

	if (n->be->vnet_hdr) {
		virtq_elem_read(e, 0, n->tx_hdr, VIRTIO_NET_HDR_BYTES);
		put_le16(n->tx_hdr + 10, 0);
		if (!tx_header_ok(n->vdev.driver_features, n->tx_hdr, len))
			return 0;
		n->tx_iov[cnt].iov_base = n->tx_hdr;
		n->tx_iov[cnt].iov_len = VIRTIO_NET_HDR_BYTES;
		cnt++;
	}
	for (unsigned int i = 0; i < e->out_num; i++) {
		uint64_t seg = e->iov[i].iov_len;

		if (skip >= seg) {
			skip -= seg;
			continue;
		}
		n->tx_iov[cnt].iov_base = (uint8_t *)e->iov[i].iov_base + skip;
		n->tx_iov[cnt].iov_len = seg - skip;
		cnt++;
		skip = 0;
	}
	return cnt;
}

static void tx_process(struct virtio_net *n)
{
	struct virtq_elem *e = &n->tx_elem;
	unsigned int done = 0;

	while (virtio_pop(&n->vdev, VIRTIO_NET_TXQ, e) == VIRTQ_GOT) {
		uint64_t len;
		int cnt = 0;

		if (e->in_num || e->out_len < VIRTIO_NET_HDR_BYTES) {
			virtio_set_needs_reset(
			    &n->vdev,
			    e->in_num ? "transmit buffer with device-writable "
					"parts"
				      : "transmit buffer shorter than the "
					"virtio-net header");
			return;
		}
		len = e->out_len - VIRTIO_NET_HDR_BYTES;
		if (len >= NET_FRAME_MIN && len <= NET_FRAME_MAX &&
		    atomic_load(&n->link_up))
			cnt = tx_gather(n, e, len);
		if (!cnt) {
			atomic_fetch_add(&n->tx_dropped, 1);
		} else {
			ssize_t r = n->be->ops->send(n->be, n->tx_iov, cnt);

			if (r < 0) {
				atomic_fetch_add(&n->tx_dropped, 1);
				if (r != -EAGAIN && r != -ENOBUFS)
					net_warn(n, "cannot send a frame",
						 (int)-r);
			} else {
				atomic_fetch_add(&n->tx_frames, 1);
			}
		}
		/* 5.1.6.2: transmit buffers are returned with len 0. */
		virtio_push(&n->vdev, VIRTIO_NET_TXQ, e, 0);
		if (++done % 32 == 0)
			virtio_notify_used(&n->vdev, VIRTIO_NET_TXQ);
	}
	if (done % 32)
		virtio_notify_used(&n->vdev, VIRTIO_NET_TXQ);
}

static void net_queue_notify(struct virtio_dev *d, unsigned int q)
{
	struct virtio_net *n = to_net(d);
	bool io = net_io_thread_of == n;

	if (q == VIRTIO_NET_RXQ) {
		if (io) {
			rx_deliver(n);
		} else {
			/* New receive buffers: the I/O thread resumes. */
			atomic_store(&n->rx_kick, true);
			net_wake(n);
		}
	} else if (q == VIRTIO_NET_TXQ) {
		if (io || !n->be->tx_on_io_thread) {
			tx_process(n);
		} else {
			atomic_store(&n->tx_kick, true);
			net_wake(n);
		}
	}
}

/* Device reset (d->lock and every queue's processing lock held). */
static void net_reset(struct virtio_dev *d)
{
	struct virtio_net *n = to_net(d);

	rx_state_clear(n);
	backlog_clear(n);
}

/*
 * Record (docs/snapshot.md): the config space's MAC and status (the link
 * state, 5.1.4) as the guest saw them. The queues' chains the receive path
 * holds for a frame in progress are given back (net_queue_held); that
 * frame, and the frames waiting in the backlog, are not saved: to the
 * guest they are frames lost on the wire. The MTU and the number of queue
 * pairs are the configuration's and are checked to agree.
 */
static void net_save(struct virtio_dev *d, struct state_writer *w)
{
	struct virtio_net *n = to_net(d);

	sw_bytes(w, n->config, CFG_BYTES);
}

static int net_restore(struct virtio_dev *d, struct state_reader *r)
{
	struct virtio_net *n = to_net(d);
	uint8_t cfg[CFG_BYTES];
	uint16_t status;

	sr_bytes(r, cfg, sizeof(cfg));
	if (r->failed)
		return -1;
	status = get_le16(cfg + CFG_STATUS);
	if (status & ~VIRTIO_NET_S_LINK_UP)
		sr_fail(r, "virtio-net: link status 0x%x", status);
	else if (get_le16(cfg + CFG_MTU) != get_le16(n->config + CFG_MTU) ||
		 get_le16(cfg + CFG_PAIRS) != get_le16(n->config + CFG_PAIRS))
		sr_fail(r, "virtio-net: MTU or queue pairs differ from the "
			   "device's");
	if (r->failed)
		return -1;
	memcpy(n->config, cfg, sizeof(cfg));
	atomic_store(&n->link_up, status & VIRTIO_NET_S_LINK_UP);
	return 0;
}

/* Receive chains taken for the frame in progress (receive queue lock). */
static uint16_t net_queue_held(struct virtio_dev *d, unsigned int q)
{
	struct virtio_net *n = to_net(d);

	if (q != VIRTIO_NET_RXQ)
		return 0;
	return n->rx_nbufs ? n->rx_nbufs : n->rx_first_held;
}

/* ---- The I/O thread ---- */

static void *net_io_thread(void *arg)
{
	struct virtio_net *n = arg;
	struct net_backend *be = n->be;

	confine_thread(CONFINE_DEVICE_IO);
	net_io_thread_of = n;
	while (!atomic_load(&n->stop)) {
		int timeout = -1, nb = 0, r;
		bool kick;

		if (atomic_exchange(&n->tx_kick, false))
			virtio_queue_notify(&n->vdev, VIRTIO_NET_TXQ);
		kick = atomic_exchange(&n->rx_kick, false);
		if (atomic_exchange(&n->rx_new, false) || kick) {
			if (backlog_count(n))
				virtio_queue_notify(&n->vdev, VIRTIO_NET_RXQ);
		}
		n->pfds[0].fd = n->wake_fd;
		n->pfds[0].events = POLLIN;
		n->pfds[0].revents = 0;
		if (be->ops->poll_fill)
			nb = be->ops->poll_fill(be, n->pfds + 1,
						MAX_POLLFDS - 1, &timeout,
						net_can_deliver(&n->vdev));
		if (nb < 0 || nb > MAX_POLLFDS - 1)
			nb = nb < 0 ? 0 : MAX_POLLFDS - 1;
		r = poll(n->pfds, (nfds_t)(nb + 1), timeout);
		if (r < 0) {
			if (errno != EINTR) {
				net_warn(n, "poll", errno);
				usleep(10000);
			}
			for (int i = 0; i <= nb; i++)
				n->pfds[i].revents = 0;
		}
		if (n->pfds[0].revents & POLLIN) {
			uint64_t v;

			if (read(n->wake_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: another reader got it. */
			}
		}
		if (be->ops->poll_done)
			be->ops->poll_done(be, n->pfds + 1, nb);
	}
	return NULL;
}

static void net_stop(struct virtio_dev *d)
{
	struct virtio_net *n = to_net(d);

	if (!n->thread_started)
		return;
	atomic_store(&n->stop, true);
	net_wake(n);
	pthread_join(n->thread, NULL);
	n->thread_started = false;
}

static void net_free(struct virtio_net *n)
{
	if (n->be)
		n->be->ops->destroy(n->be);
	backlog_clear(n);
	pthread_mutex_destroy(&n->bl_lock);
	if (n->wake_fd >= 0)
		close(n->wake_fd);
	free(n->id);
	free(n);
}

static void net_destroy(struct virtio_dev *d)
{
	struct virtio_net *n = to_net(d);

	net_stop(d); /* already done by virtio_destroy's stop hook */
	net_free(n);
}

static const struct virtio_device_ops net_ops = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .num_queues = 2,
    .queue_max_size = VIRTIO_NET_QUEUE_SIZE,
    .config_size = CFG_BYTES,
    .get_features = net_get_features,
    .config_read = net_config_read,
    .config_write = net_config_write,
    .queue_notify = net_queue_notify,
    .features_ok = net_features_ok,
    .reset = net_reset,
    .stop = net_stop,
    .destroy = net_destroy,
    .save = net_save,
    .restore = net_restore,
    .queue_held = net_queue_held,
};

struct virtio_dev *virtio_net_create(const struct virtio_net_config *cfg,
				     struct guest_mem *mem)
{
	const char *name = cfg->id ? cfg->id : "virtio-net";
	struct virtio_net *n;
	int err;

	if (!cfg->backend) {
		pr_err("%s: no network backend", name);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n || (cfg->id && !(n->id = strdup(cfg->id)))) {
		pr_err("%s: out of memory", name);
		free(n);
		cfg->backend->ops->destroy(cfg->backend);
		return NULL;
	}
	n->be = cfg->backend;
	n->be->dev = &n->vdev;
	pthread_mutex_init(&n->bl_lock, NULL);
	atomic_store(&n->link_up, true);
	n->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->wake_fd < 0) {
		pr_err("%s: cannot create an eventfd: %s", name,
		       strerror(errno));
		net_free(n);
		return NULL;
	}
	memcpy(n->config + CFG_MAC, cfg->mac, 6);
	put_le16(n->config + CFG_STATUS, VIRTIO_NET_S_LINK_UP);
	put_le16(n->config + CFG_PAIRS, 1);
	put_le16(n->config + CFG_MTU, VIRTIO_NET_MTU);
	if (!virtio_dev_init(&n->vdev, &net_ops, mem)) {
		pr_err("%s: out of memory", name);
		net_free(n);
		return NULL;
	}
	err = pthread_create(&n->thread, NULL, net_io_thread, n);
	if (err) {
		pr_err("%s: cannot start the I/O thread: %s", name,
		       strerror(err));
		virtio_destroy(&n->vdev);
		return NULL;
	}
	n->thread_started = true;
	return &n->vdev;
}

void virtio_net_set_link(struct virtio_dev *d, bool up)
{
	struct virtio_net *n = to_net(d);
	bool changed;

	pthread_mutex_lock(&d->lock);
	changed = atomic_exchange(&n->link_up, up) != up;
	put_le16(n->config + CFG_STATUS, up ? VIRTIO_NET_S_LINK_UP : 0);
	pthread_mutex_unlock(&d->lock);
	if (changed)
		virtio_config_changed(d);
}

void virtio_net_get_stats(struct virtio_dev *d, struct virtio_net_stats *s)
{
	struct virtio_net *n = to_net(d);

	s->rx_frames = atomic_load(&n->rx_frames);
	s->rx_dropped = atomic_load(&n->rx_dropped);
	s->tx_frames = atomic_load(&n->tx_frames);
	s->tx_dropped = atomic_load(&n->tx_dropped);
}

void virtio_net_get_mac(struct virtio_dev *d, uint8_t mac[6])
{
	pthread_mutex_lock(&d->lock);
	memcpy(mac, to_net(d)->config + CFG_MAC, 6);
	pthread_mutex_unlock(&d->lock);
}
