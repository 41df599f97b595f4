// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-vsock (virtio 1.2 section 5.10) bridged to UNIX stream sockets on
 * the host. Queues rx (0), tx (1) and event (2) (5.10.2); config guest_cid
 * (5.10.4); stream sockets only (5.10.6.5).
 *
 * Everything runs on the device's I/O thread: it accepts host clients on
 * the listening socket, reads their CONNECT lines, connects to PATH_P for
 * the guest, and runs both virtqueues through virtio_queue_notify(), i.e.
 * under their processing locks and only while the device is live. A kick
 * from another thread sets a flag and wakes it. So the connection table
 * needs no lock; a device reset (which runs on any thread) only raises a
 * generation counter, and the I/O thread closes every connection before it
 * handles another packet.
 *
 * Replies the device owes the guest (RESPONSE, RST, SHUTDOWN, CREDIT_UPDATE)
 * are flags on their connection, or for packets that match none a small
 * ring of RSTs; the transmit queue is left alone while that ring is full,
 * so the guest's packets are never dropped for lack of room to answer them
 * (5.10.6.1.2). The queues are taken in index order (rx, then tx) by the
 * core's reset only: the handlers never hold one queue's lock while taking
 * the other's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "lib/confine.h"
#include "lib/util.h"
#include "virtio/vsock.h"

#define CFG_BYTES 8 /* le64 guest_cid */

/* RSTs for packets that belong to no connection, waiting for rx buffers. */
#define RST_RING 64
/* epoll tags: a connection is its slot, with its generation above. */
#define TAG_WAKE   0xffffffffu
#define TAG_LISTEN 0xfffffffeu
/* Host-side ports of host-initiated connections start here. */
#define LOCAL_PORT_BASE	   0x40000000u
#define MAX_EVENTS	   32
#define MAX_ACCEPTS	   16 /* per round */
#define VSOCK_MAX_WARNINGS 10

enum conn_state {
	C_FREE,
	C_LINE,	   /* a host client: reading its CONNECT line */
	C_REQUEST, /* host-initiated: REQUEST owed or sent, no answer yet */
	C_OPEN,	   /* established (5.10.6.5) */
	C_RST,	   /* closed here: an RST owed to the guest, then free */
};

/* Packets owed to the guest. */
#define P_REQUEST  1u
#define P_RESPONSE 2u
#define P_CREDIT   4u
#define P_SHUTDOWN 8u

struct vsock_conn {
	enum conn_state state;
	uint32_t gen; /* bumped at each free: stale epoll events miss */
	int fd;
	uint32_t local_port; /* the host's end (CID 2) */
	uint32_t peer_port;  /* the guest's end */
	unsigned int pending;
	bool guest_knows; /* REQUEST sent, or the guest's own */
	int64_t deadline; /* ms, CLOCK_MONOTONIC; 0: none */

	/* Host to guest (5.10.6.3, the guest's buffer space). */
	uint32_t tx_cnt;	 /* payload bytes sent to the guest */
	uint32_t peer_buf_alloc; /* from the guest's last header */
	uint32_t peer_fwd_cnt;
	bool host_readable;    /* EPOLLIN seen, no EAGAIN since */
	bool host_hup;	       /* the client closed its end entirely */
	bool host_eof;	       /* read returned 0 */
	unsigned int our_shut; /* SHUTDOWN flags sent or owed */

	/* Guest to host (our buffer space). */
	uint32_t rx_cnt;       /* payload bytes received from the guest */
	uint32_t fwd_cnt;      /* of which written to the host socket */
	uint32_t fwd_cnt_sent; /* fwd_cnt the guest last heard */
	uint8_t *buf;	       /* received, not yet written (VSOCK_BUF_ALLOC) */
	uint32_t buf_off, buf_len;
	bool host_writable;	 /* no EAGAIN since the last EPOLLOUT */
	bool wr_shut;		 /* shutdown(SHUT_WR) done */
	unsigned int guest_shut; /* SHUTDOWN flags the guest sent */

	/* C_LINE: the line so far; then the "OK <port>\n" still to write. */
	char line[VSOCK_LINE_MAX];
	uint8_t line_len, line_off;
};

struct vsock_rst {
	uint64_t src_cid; /* the address the guest's packet went to */
	uint32_t src_port, dst_port;
	uint16_t type;
};

struct vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
};

struct virtio_vsock {
	struct virtio_dev vdev; /* first: container_of by cast */
	uint64_t guest_cid;
	uint8_t config[CFG_BYTES];
	char *path, *connect_path;
	bool sock_made; /* our socket file, for removal at the end */
	dev_t sock_dev;
	ino_t sock_ino;
	int listen_fd, epoll_fd, wake_fd;
	unsigned int timeout_ms;

	pthread_t thread;
	bool thread_started;
	atomic_bool stop, rx_kick, tx_kick;
	atomic_uint reset_gen;
	atomic_uint warnings;

	/* The I/O thread's. */
	unsigned int seen_reset_gen;
	struct vsock_conn conns[VSOCK_MAX_CONNS];
	unsigned int rr; /* where the next delivery round starts */
	uint32_t next_port;
	struct vsock_rst rst[RST_RING];
	unsigned int rst_head, rst_count;
	bool tx_paused;	 /* the RST ring was full */
	bool rx_starved; /* no receive buffers until the next rx kick */

	/* Receive, under the rx queue's processing lock. */
	struct virtq_elem rx_elem;
	bool rx_held; /* rx_elem popped, not used yet */
	unsigned int rx_done;
	uint8_t bounce[VSOCK_MAX_PAYLOAD];

	/* A TRANSPORT_RESET event owed to the driver (a restore), sent on
	 * the event queue under its processing lock. */
	atomic_bool event_pending;
	struct virtq_elem ev_elem;

	/* Transmit, under the tx queue's processing lock. */
	struct virtq_elem tx_elem;
	struct iovec tx_iov[VIRTQ_MAX_SIZE];

	atomic_uint_fast64_t rx_packets, tx_packets, tx_dropped, resets, nconns;
};

/* The device whose I/O thread (or poll) this is. */
static __thread struct virtio_vsock *vsock_io_thread_of;

static struct virtio_vsock *to_vsock(struct virtio_dev *d)
{
	return (struct virtio_vsock *)d;
}

static void vsock_warn(struct virtio_vsock *v, const char *what, int err)
{
	if (atomic_fetch_add(&v->warnings, 1) >= VSOCK_MAX_WARNINGS)
		return;
	pr_warn("--vsock %s: %s: %s", v->path, what, strerror(err));
}

static void vsock_wake(struct virtio_vsock *v)
{
	uint64_t one = 1;

	if (write(v->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: a wake-up is pending already. */
	}
}

static bool dev_live(struct virtio_vsock *v)
{
	uint8_t s = virtio_get_status(&v->vdev);

	return (s & VIRTIO_STATUS_DRIVER_OK) &&
	       !(s & (VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED));
}

/* ---- Packet headers (5.10.6) ---- */

static void hdr_decode(const uint8_t *b, struct vsock_hdr *h)
{
	h->src_cid = get_le64(b);
	h->dst_cid = get_le64(b + 8);
	h->src_port = get_le32(b + 16);
	h->dst_port = get_le32(b + 20);
	h->len = get_le32(b + 24);
	h->type = get_le16(b + 28);
	h->op = get_le16(b + 30);
	h->flags = get_le32(b + 32);
	h->buf_alloc = get_le32(b + 36);
	h->fwd_cnt = get_le32(b + 40);
}

static void hdr_encode(const struct vsock_hdr *h, uint8_t *b)
{
	put_le64(b, h->src_cid);
	put_le64(b + 8, h->dst_cid);
	put_le32(b + 16, h->src_port);
	put_le32(b + 20, h->dst_port);
	put_le32(b + 24, h->len);
	put_le16(b + 28, h->type);
	put_le16(b + 30, h->op);
	put_le32(b + 32, h->flags);
	put_le32(b + 36, h->buf_alloc);
	put_le32(b + 40, h->fwd_cnt);
}

/* ---- Connections ---- */

/* What the guest may still send us without overrunning our buffer
 * (5.10.6.3): VSOCK_BUF_ALLOC less what we hold. */
static uint32_t our_free(const struct vsock_conn *c)
{
	return VSOCK_BUF_ALLOC - (c->rx_cnt - c->fwd_cnt);
}

/* What we may send the guest: its buf_alloc - (tx_cnt - fwd_cnt). A
 * guest whose numbers do not add up (fwd_cnt ahead of what we sent, or
 * more in flight than it allows) gets nothing. */
static uint32_t peer_free(const struct vsock_conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	return in_flight >= c->peer_buf_alloc ? 0
					      : c->peer_buf_alloc - in_flight;
}

static bool out_pending(const struct vsock_conn *c)
{
	return c->line_off < c->line_len || c->buf_len;
}

static struct vsock_conn *conn_alloc(struct virtio_vsock *v,
				     enum conn_state state)
{
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &v->conns[i];
		uint32_t gen = c->gen;

		if (c->state != C_FREE)
			continue;
		memset(c, 0, sizeof(*c));
		c->gen = gen;
		c->state = state;
		c->fd = -1;
		c->host_writable = true;
		atomic_fetch_add(&v->nconns, 1);
		return c;
	}
	return NULL;
}

static void conn_close_fd(struct vsock_conn *c)
{
	if (c->fd >= 0)
		close(c->fd); /* also leaves the epoll set */
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->buf_len = c->buf_off = 0;
}

/* Forget a connection: the host client sees EOF, the guest nothing. */
static void conn_free(struct virtio_vsock *v, struct vsock_conn *c)
{
	if (c->state == C_FREE)
		return;
	conn_close_fd(c);
	c->state = C_FREE;
	c->gen++;
	atomic_fetch_sub(&v->nconns, 1);
}

/* Close a connection the guest knows of with an RST (5.10.6.5); one it
 * does not know of is just freed. */
static void conn_reset(struct virtio_vsock *v, struct vsock_conn *c)
{
	if (!c->guest_knows) {
		conn_free(v, c);
		return;
	}
	conn_close_fd(c);
	c->state = C_RST;
	c->pending = 0;
	c->deadline = 0;
}

/* The connection of a packet from the guest: our port is its dst_port,
 * its port the src_port. */
static struct vsock_conn *conn_find(struct virtio_vsock *v, uint32_t local,
				    uint32_t peer)
{
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &v->conns[i];

		if (c->state >= C_REQUEST && c->guest_knows &&
		    c->local_port == local && c->peer_port == peer)
			return c;
	}
	return NULL;
}

static void close_all(struct virtio_vsock *v)
{
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
		conn_free(v, &v->conns[i]);
	v->rst_count = 0;
	v->tx_paused = false;
	v->rx_starved = false;
}

/* A device reset since we last looked: every connection goes (on the I/O
 * thread, before any packet of the new driver is handled). */
static void check_reset(struct virtio_vsock *v)
{
	unsigned int gen = atomic_load(&v->reset_gen);

	if (gen != v->seen_reset_gen) {
		v->seen_reset_gen = gen;
		close_all(v);
	}
}

static bool epoll_add(struct virtio_vsock *v, struct vsock_conn *c)
{
	struct epoll_event ev = {
	    .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
	    .data.u64 = (uint64_t)c->gen << 32 | (uint64_t)(c - v->conns),
	};

	return epoll_ctl(v->epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) == 0;
}

/* Tell the guest our buffer space when it may be waiting for it: its view
 * of our free space is below one packet and we have more now. */
static void maybe_credit_update(struct vsock_conn *c)
{
	uint32_t held = c->rx_cnt - c->fwd_cnt_sent;
	uint32_t view = held >= VSOCK_BUF_ALLOC ? 0 : VSOCK_BUF_ALLOC - held;

	if (c->state == C_OPEN && view < VSOCK_MAX_PAYLOAD &&
	    c->fwd_cnt != c->fwd_cnt_sent)
		c->pending |= P_CREDIT;
}

/* An RST for a packet that matches no connection (answered at most once:
 * never an RST for an RST). false when the ring is full. */
static bool rst_queue(struct virtio_vsock *v, const struct vsock_hdr *h)
{
	struct vsock_rst *r;

	if (h->op == VSOCK_OP_RST)
		return true;
	if (v->rst_count == RST_RING)
		return false;
	r = &v->rst[(v->rst_head + v->rst_count++) % RST_RING];
	r->src_cid = h->dst_cid;
	r->src_port = h->dst_port;
	r->dst_port = h->src_port;
	r->type = h->type;
	return true;
}

/* ---- Guest to host: writing to the host socket ---- */

/* One non-blocking send to the host socket: the bytes it took; 0 when
 * the socket is full (the connection waits for EPOLLOUT); -1 when it
 * failed for good. */
static ssize_t conn_send(struct vsock_conn *c, const void *p, size_t len)
{
	for (;;) {
		ssize_t r = send(c->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			c->host_writable = false;
			return 0;
		}
		return r > 0 ? r : -1;
	}
}

/* Write what is waiting: the OK line, then the buffer. -1 when the host
 * socket failed for good (the connection must be reset). */
static int conn_flush(struct vsock_conn *c)
{
	ssize_t r;

	while (c->line_off < c->line_len) {
		r = conn_send(c, c->line + c->line_off,
			      c->line_len - c->line_off);
		if (r <= 0)
			return (int)r;
		c->line_off += (uint8_t)r;
	}
	while (c->buf_len) {
		r = conn_send(c, c->buf + c->buf_off, c->buf_len);
		if (r <= 0)
			return (int)r;
		c->buf_off += (uint32_t)r;
		c->buf_len -= (uint32_t)r;
		c->fwd_cnt += (uint32_t)r;
	}
	c->buf_off = 0;
	return 0;
}

/*
 * After the host socket took data or the guest shut down: once nothing
 * waits for the host, pass the guest's SEND shutdown on (the client reads
 * EOF), and when the guest shut both ways, answer with the RST that ends a
 * clean disconnect (5.10.6.5).
 */
static void conn_settle(struct virtio_vsock *v, struct vsock_conn *c)
{
	if (c->state != C_OPEN || out_pending(c))
		return;
	if ((c->guest_shut & VSOCK_SHUTDOWN_F_SEND) && !c->wr_shut) {
		shutdown(c->fd, SHUT_WR);
		c->wr_shut = true;
	}
	if (c->guest_shut == VSOCK_SHUTDOWN_BOTH)
		conn_reset(v, c);
}

static void conn_flush_settle(struct virtio_vsock *v, struct vsock_conn *c)
{
	if (c->state != C_OPEN || c->fd < 0)
		return;
	if (conn_flush(c) < 0) {
		conn_reset(v, c);
		return;
	}
	maybe_credit_update(c);
	conn_settle(v, c);
}

/* Keep bytes [skip, skip + len) of chain e for the host socket. */
static bool conn_buffer(struct vsock_conn *c, const struct virtq_elem *e,
			uint64_t skip, uint32_t len)
{
	if (!len)
		return true;
	if (!c->buf && !(c->buf = malloc(VSOCK_BUF_ALLOC)))
		return false;
	if (c->buf_off + c->buf_len + len > VSOCK_BUF_ALLOC) {
		memmove(c->buf, c->buf + c->buf_off, c->buf_len);
		c->buf_off = 0;
	}
	virtq_elem_read(e, skip, c->buf + c->buf_off + c->buf_len, len);
	c->buf_len += len;
	return true;
}

/* An RW packet of len bytes (credit checked) in chain e: straight from
 * guest memory into the host socket when nothing waits before it, the
 * rest into the connection's buffer. */
static void guest_data(struct virtio_vsock *v, struct vsock_conn *c,
		       const struct virtq_elem *e, uint32_t len)
{
	uint64_t skip = VSOCK_HDR_BYTES;
	uint32_t left = len, sent = 0;
	unsigned int cnt = 0;

	c->rx_cnt += len;
	if (!out_pending(c) && c->host_writable && len) {
		for (unsigned int i = 0; i < e->out_num && left; i++) {
			uint64_t seg = e->iov[i].iov_len;

			if (skip >= seg) {
				skip -= seg;
				continue;
			}
			seg -= skip;
			if (seg > left)
				seg = left;
			v->tx_iov[cnt].iov_base =
			    (uint8_t *)e->iov[i].iov_base + skip;
			v->tx_iov[cnt].iov_len = seg;
			cnt++;
			left -= (uint32_t)seg;
			skip = 0;
		}
		for (;;) {
			struct msghdr msg = {.msg_iov = v->tx_iov,
					     .msg_iovlen = cnt};
			ssize_t r =
			    sendmsg(c->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && errno == EAGAIN) {
				c->host_writable = false;
				break;
			}
			if (r < 0) {
				conn_reset(v, c);
				return;
			}
			sent = (uint32_t)r;
			if (sent < len)
				c->host_writable = false;
			break;
		}
		c->fwd_cnt += sent;
	}
	if (!conn_buffer(c, e, VSOCK_HDR_BYTES + sent, len - sent)) {
		vsock_warn(v, "out of memory for a connection", ENOMEM);
		conn_reset(v, c);
		return;
	}
	conn_flush_settle(v, c);
}

/* ---- Guest to host: packets (5.10.6.4, 5.10.6.5) ---- */

/* A guest REQUEST to host port dst_port: connect to PATH_<port>. */
static void guest_connect(struct virtio_vsock *v, const struct vsock_hdr *h)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vsock_conn *c;
	int fd;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", v->connect_path,
		     h->dst_port) >= (int)sizeof(sa.sun_path) ||
	    !(c = conn_alloc(v, C_OPEN))) {
		rst_queue(v, h);
		return;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* A UNIX socket connects at once or fails at once: nobody listens
	 * (ENOENT, ECONNREFUSED) or the listener's queue is full (EAGAIN). */
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd < 0)
			vsock_warn(v, "socket", errno);
		else
			close(fd);
		conn_free(v, c);
		rst_queue(v, h);
		return;
	}
	c->fd = fd;
	c->guest_knows = true;
	c->local_port = h->dst_port;
	c->peer_port = h->src_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->pending = P_RESPONSE;
	if (!epoll_add(v, c)) {
		vsock_warn(v, "epoll_ctl", errno);
		conn_free(v, c);
		rst_queue(v, h);
	}
}

static void guest_shutdown(struct virtio_vsock *v, struct vsock_conn *c,
			   uint32_t flags)
{
	unsigned int add = flags & VSOCK_SHUTDOWN_BOTH & ~c->guest_shut;

	/* The flags are permanent once sent (5.10.6.5). */
	c->guest_shut |= add;
	if (add & VSOCK_SHUTDOWN_F_RECEIVE) {
		/* The client's further writes fail (EPIPE). */
		shutdown(c->fd, SHUT_RD);
	}
	if (c->guest_shut == VSOCK_SHUTDOWN_BOTH && out_pending(c))
		c->deadline = monotonic_ms() + v->timeout_ms;
	conn_settle(v, c);
}

/* The guest's RESPONSE to our REQUEST: tell the client, start bridging. */
static void guest_accepted(struct virtio_vsock *v, struct vsock_conn *c)
{
	int n;

	c->state = C_OPEN;
	c->deadline = 0;
	n = snprintf(c->line, sizeof(c->line), "OK %u\n", c->local_port);
	c->line_len = (uint8_t)n;
	c->line_off = 0;
	/* Our buffer space, in case the guest wants to write first. */
	c->pending |= P_CREDIT;
	conn_flush_settle(v, c);
}

/* One packet from the guest in chain e (at least a header long). */
static void tx_packet(struct virtio_vsock *v, const struct virtq_elem *e)
{
	uint8_t raw[VSOCK_HDR_BYTES];
	struct vsock_conn *c;
	struct vsock_hdr h;

	/* One copy, checked once: the guest may rewrite its buffer. */
	virtq_elem_read(e, 0, raw, sizeof(raw));
	hdr_decode(raw, &h);
	if (h.src_cid != v->guest_cid) {
		/* Not from our guest's address: never answered. */
		atomic_fetch_add(&v->tx_dropped, 1);
		return;
	}
	c = h.dst_cid == VSOCK_HOST_CID ? conn_find(v, h.dst_port, h.src_port)
					: NULL;
	if (h.dst_cid != VSOCK_HOST_CID || h.type != VSOCK_TYPE_STREAM ||
	    h.len > e->out_len - VSOCK_HDR_BYTES || h.len > VSOCK_MAX_PAYLOAD) {
		/* Another CID (so a guest's connect there fails at once),
		 * another socket type, a length its buffers do not hold. */
		atomic_fetch_add(&v->tx_dropped, 1);
		if (c && h.op == VSOCK_OP_RST)
			conn_free(v, c);
		else if (c)
			conn_reset(v, c);
		else
			rst_queue(v, &h);
		return;
	}
	if (!c) {
		if (h.op == VSOCK_OP_REQUEST) {
			guest_connect(v, &h);
		} else {
			atomic_fetch_add(&v->tx_dropped, 1);
			rst_queue(v, &h);
		}
		return;
	}
	if (c->state == C_RST) {
		atomic_fetch_add(&v->tx_dropped, 1);
		return; /* its RST is on the way */
	}
	/* Every packet of a stream carries the sender's space (5.10.6.3). */
	c->peer_buf_alloc = h.buf_alloc;
	c->peer_fwd_cnt = h.fwd_cnt;
	switch (h.op) {
	case VSOCK_OP_RESPONSE:
		if (c->state == C_REQUEST)
			guest_accepted(v, c);
		else
			conn_reset(v, c);
		break;
	case VSOCK_OP_RST:
		/* Forcibly closed (5.10.6.5): what the host can still take
		 * goes, then the connection. */
		if (c->state == C_OPEN && c->fd >= 0)
			conn_flush(c);
		conn_free(v, c);
		break;
	case VSOCK_OP_SHUTDOWN:
		if (c->state == C_OPEN)
			guest_shutdown(v, c, h.flags);
		else
			conn_reset(v, c);
		break;
	case VSOCK_OP_RW:
		/* Only within the space we advertised (5.10.6.3.1), and not
		 * after the guest said it sends no more. */
		if (c->state != C_OPEN ||
		    (c->guest_shut & VSOCK_SHUTDOWN_F_SEND) ||
		    h.len > our_free(c)) {
			atomic_fetch_add(&v->tx_dropped, 1);
			conn_reset(v, c);
		} else {
			guest_data(v, c, e, h.len);
		}
		break;
	case VSOCK_OP_CREDIT_UPDATE:
		break; /* taken above */
	case VSOCK_OP_CREDIT_REQUEST:
		c->pending |= P_CREDIT;
		break;
	default:
		/* A second REQUEST for a connection, or an unknown op. */
		atomic_fetch_add(&v->tx_dropped, 1);
		conn_reset(v, c);
		break;
	}
}

/* The transmit queue, on the I/O thread. Paused while the RST ring has no
 * room: the guest's packets wait in their ring, not dropped. */
static void tx_process(struct virtio_vsock *v)
{
	struct virtq_elem *e = &v->tx_elem;
	unsigned int done = 0;

	for (;;) {
		if (v->rst_count == RST_RING) {
			v->tx_paused = true;
			break;
		}
		if (done == VIRTIO_VSOCK_QUEUE_SIZE) {
			/* A ring's worth: host events get their turn. */
			atomic_store(&v->tx_kick, true);
			vsock_wake(v);
			break;
		}
		if (virtio_pop(&v->vdev, VIRTIO_VSOCK_TXQ, e) != VIRTQ_GOT)
			break;
		if (e->in_num || e->out_len < VSOCK_HDR_BYTES) {
			virtio_set_needs_reset(
			    &v->vdev,
			    e->in_num ? "transmit buffer with device-writable "
					"parts"
				      : "transmit buffer shorter than the "
					"packet header");
			return;
		}
		tx_packet(v, e);
		atomic_fetch_add(&v->tx_packets, 1);
		/* 5.10.6.4: transmit buffers are only read. */
		virtio_push(&v->vdev, VIRTIO_VSOCK_TXQ, e, 0);
		if (++done % 32 == 0)
			virtio_notify_used(&v->vdev, VIRTIO_VSOCK_TXQ);
	}
	if (done % 32)
		virtio_notify_used(&v->vdev, VIRTIO_VSOCK_TXQ);
}

/* ---- Host to guest: the receive queue ---- */

/* The chain the next packet goes into: the one held, or a new one. NULL
 * when the ring is empty (rx_starved) or the device needs a reset. */
static struct virtq_elem *rx_chain(struct virtio_vsock *v)
{
	struct virtq_elem *e = &v->rx_elem;
	int r;

	if (v->rx_held)
		return e;
	r = virtio_pop(&v->vdev, VIRTIO_VSOCK_RXQ, e);
	if (r == VIRTQ_EMPTY)
		v->rx_starved = true;
	if (r != VIRTQ_GOT)
		return NULL;
	if (e->out_num || e->in_len < VSOCK_HDR_BYTES) {
		virtio_set_needs_reset(
		    &v->vdev, e->out_num
				  ? "receive buffer with device-readable parts"
				  : "receive buffer shorter than the packet "
				    "header");
		return NULL;
	}
	v->rx_held = true;
	return e;
}

/* Write a packet into the held chain and give it to the driver. */
static void rx_put(struct virtio_vsock *v, const struct vsock_hdr *h,
		   const void *data)
{
	struct virtq_elem *e = &v->rx_elem;
	uint8_t raw[VSOCK_HDR_BYTES];

	hdr_encode(h, raw);
	virtq_elem_write(e, 0, raw, sizeof(raw));
	if (h->len)
		virtq_elem_write(e, VSOCK_HDR_BYTES, data, h->len);
	virtio_push(&v->vdev, VIRTIO_VSOCK_RXQ, e, VSOCK_HDR_BYTES + h->len);
	v->rx_held = false;
	atomic_fetch_add(&v->rx_packets, 1);
	if (h->op == VSOCK_OP_RST)
		atomic_fetch_add(&v->resets, 1);
	if (++v->rx_done % 32 == 0)
		virtio_notify_used(&v->vdev, VIRTIO_VSOCK_RXQ);
}

static void conn_hdr(struct virtio_vsock *v, struct vsock_conn *c, uint16_t op,
		     uint32_t flags, uint32_t len, struct vsock_hdr *h)
{
	*h = (struct vsock_hdr){
	    .src_cid = VSOCK_HOST_CID,
	    .dst_cid = v->guest_cid,
	    .src_port = c->local_port,
	    .dst_port = c->peer_port,
	    .len = len,
	    .type = VSOCK_TYPE_STREAM,
	    .op = op,
	    .flags = flags,
	    .buf_alloc = VSOCK_BUF_ALLOC,
	    .fwd_cnt = c->fwd_cnt,
	};
	c->fwd_cnt_sent = c->fwd_cnt;
}

static bool conn_can_read(const struct vsock_conn *c)
{
	return c->state == C_OPEN && c->fd >= 0 && c->host_readable &&
	       !c->host_eof && !(c->guest_shut & VSOCK_SHUTDOWN_F_RECEIVE) &&
	       !(c->pending & (P_REQUEST | P_RESPONSE)) && peer_free(c);
}

enum { STEP_IDLE, STEP_SENT, STEP_NO_CHAIN };

/* Host data for the guest: as much as the chain, one packet and the
 * guest's space allow. */
static int conn_send_data(struct virtio_vsock *v, struct vsock_conn *c)
{
	struct virtq_elem *e = rx_chain(v);
	uint64_t max;
	struct vsock_hdr h;
	ssize_t r;

	if (!e)
		return STEP_NO_CHAIN;
	max = e->in_len - VSOCK_HDR_BYTES;
	if (max > VSOCK_MAX_PAYLOAD)
		max = VSOCK_MAX_PAYLOAD;
	if (max > peer_free(c))
		max = peer_free(c);
	if (!max) {
		/* A chain with room for a header only: it carries our
		 * credit instead, so that the next one may be larger. */
		conn_hdr(v, c, VSOCK_OP_CREDIT_UPDATE, 0, 0, &h);
		rx_put(v, &h, NULL);
		return STEP_SENT;
	}
	do {
		r = recv(c->fd, v->bounce, max, MSG_DONTWAIT);
	} while (r < 0 && errno == EINTR);
	if (r > 0) {
		conn_hdr(v, c, VSOCK_OP_RW, 0, (uint32_t)r, &h);
		c->tx_cnt += (uint32_t)r;
		rx_put(v, &h, v->bounce);
		return STEP_SENT;
	}
	if (r == 0) {
		/* The client sends no more; with its end closed entirely
		 * it receives no more either. */
		c->host_eof = true;
		c->our_shut |= VSOCK_SHUTDOWN_F_SEND;
		if (c->host_hup)
			c->our_shut |= VSOCK_SHUTDOWN_F_RECEIVE;
		c->pending |= P_SHUTDOWN;
	} else if (errno == EAGAIN) {
		c->host_readable = false;
	} else {
		conn_reset(v, c);
	}
	return STEP_IDLE;
}

/* At most one packet for connection c. */
static int conn_step(struct virtio_vsock *v, struct vsock_conn *c)
{
	uint16_t op = 0;
	uint32_t flags = 0;
	struct vsock_hdr h;

	if (c->state == C_FREE || c->state == C_LINE)
		return STEP_IDLE;
	if (conn_can_read(c)) {
		int r = conn_send_data(v, c);

		if (r != STEP_IDLE)
			return r;
	}
	if (c->state == C_RST)
		op = VSOCK_OP_RST;
	else if (c->pending & P_REQUEST)
		op = VSOCK_OP_REQUEST;
	else if (c->pending & P_RESPONSE)
		op = VSOCK_OP_RESPONSE;
	else if (c->pending & P_CREDIT)
		op = VSOCK_OP_CREDIT_UPDATE;
	else if (c->pending & P_SHUTDOWN)
		op = VSOCK_OP_SHUTDOWN;
	else
		return STEP_IDLE;
	if (!rx_chain(v))
		return STEP_NO_CHAIN;
	if (op == VSOCK_OP_SHUTDOWN)
		flags = c->our_shut;
	conn_hdr(v, c, op, flags, 0, &h);
	rx_put(v, &h, NULL);
	switch (op) {
	case VSOCK_OP_RST:
		conn_free(v, c);
		break;
	case VSOCK_OP_REQUEST:
		c->pending &= ~P_REQUEST;
		c->guest_knows = true;
		c->deadline = monotonic_ms() + v->timeout_ms;
		break;
	case VSOCK_OP_RESPONSE:
		c->pending &= ~P_RESPONSE;
		break;
	case VSOCK_OP_CREDIT_UPDATE:
		c->pending &= ~P_CREDIT;
		break;
	case VSOCK_OP_SHUTDOWN:
		c->pending &= ~P_SHUTDOWN;
		/* Both ways shut: the guest owes the RST that ends it. */
		if (c->our_shut == VSOCK_SHUTDOWN_BOTH)
			c->deadline = monotonic_ms() + v->timeout_ms;
		break;
	}
	return STEP_SENT;
}

static int rst_step(struct virtio_vsock *v)
{
	const struct vsock_rst *r = &v->rst[v->rst_head];
	struct vsock_hdr h = {
	    .src_cid = r->src_cid,
	    .dst_cid = v->guest_cid,
	    .src_port = r->src_port,
	    .dst_port = r->dst_port,
	    .type = r->type,
	    .op = VSOCK_OP_RST,
	};

	if (!rx_chain(v))
		return STEP_NO_CHAIN;
	rx_put(v, &h, NULL);
	v->rst_head = (v->rst_head + 1) % RST_RING;
	v->rst_count--;
	return STEP_SENT;
}

/* Everything owed to the guest, a packet per connection in turn, while
 * it gives receive buffers. */
static void rx_deliver(struct virtio_vsock *v)
{
	bool progress = true;

	v->rx_done = 0;
	while (progress) {
		if (v->rx_done >= VIRTIO_VSOCK_QUEUE_SIZE) {
			/* A ring's worth: the rest on the next round. */
			atomic_store(&v->rx_kick, true);
			vsock_wake(v);
			break;
		}
		progress = false;
		for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
			int r = conn_step(
			    v, &v->conns[(v->rr + i) % VSOCK_MAX_CONNS]);

			if (r == STEP_NO_CHAIN)
				goto out;
			progress |= r == STEP_SENT;
		}
		v->rr = (v->rr + 1) % VSOCK_MAX_CONNS;
		while (v->rst_count) {
			if (rst_step(v) == STEP_NO_CHAIN)
				goto out;
			progress = true;
		}
	}
out:
	if (v->rx_done % 32)
		virtio_notify_used(&v->vdev, VIRTIO_VSOCK_RXQ);
}

static bool rx_has_work(struct virtio_vsock *v)
{
	if (v->rst_count)
		return true;
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		const struct vsock_conn *c = &v->conns[i];

		if (c->state == C_RST ||
		    (c->state >= C_REQUEST && c->pending) || conn_can_read(c))
			return true;
	}
	return false;
}

/* ---- Host clients (host-initiated connections) ---- */

/* "CONNECT <port>" (a '\r' before the newline is allowed). */
static bool parse_connect(char *line, uint32_t *port)
{
	unsigned long p;
	size_t n = strlen(line);

	if (n && line[n - 1] == '\r')
		line[n - 1] = 0;
	if (strncmp(line, "CONNECT ", 8) || strlen(line + 8) > 10 ||
	    !parse_uint(line + 8, 0, 0xffffffffUL, &p))
		return false;
	*port = (uint32_t)p;
	return true;
}

/* A host-side port for a connection to guest port peer, unused with it. */
static uint32_t alloc_local_port(struct virtio_vsock *v, uint32_t peer)
{
	for (;;) {
		uint32_t p = v->next_port++;
		bool used = false;

		if (v->next_port < LOCAL_PORT_BASE)
			v->next_port = LOCAL_PORT_BASE;
		for (unsigned int i = 0; i < VSOCK_MAX_CONNS && !used; i++)
			used = v->conns[i].state >= C_REQUEST &&
			       v->conns[i].local_port == p &&
			       v->conns[i].peer_port == peer;
		if (!used)
			return p;
	}
}

/* A client's CONNECT line, a byte at a time so that what follows the
 * newline stays in the socket for the guest. */
static void read_line(struct virtio_vsock *v, struct vsock_conn *c)
{
	uint32_t port;

	for (;;) {
		char ch;
		ssize_t r = recv(c->fd, &ch, 1, MSG_DONTWAIT);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			c->host_readable = false;
			return;
		}
		if (r <= 0 || c->line_len >= VSOCK_LINE_MAX - 1) {
			/* Gone before a whole line, or a line too long. */
			conn_free(v, c);
			return;
		}
		if (ch == '\n')
			break;
		c->line[c->line_len++] = ch;
	}
	c->line[c->line_len] = 0;
	if (memchr(c->line, 0, c->line_len) || !parse_connect(c->line, &port) ||
	    !dev_live(v)) {
		conn_free(v, c);
		return;
	}
	c->line_len = 0;
	c->peer_port = port;
	c->local_port = alloc_local_port(v, port);
	c->state = C_REQUEST;
	c->pending = P_REQUEST;
	c->deadline = 0;	 /* set when the REQUEST goes */
	c->host_readable = true; /* bytes may follow the line */
}

static void accept_clients(struct virtio_vsock *v)
{
	for (int i = 0; i < MAX_ACCEPTS; i++) {
		int fd = accept4(v->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct vsock_conn *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				vsock_warn(v, "accept", errno);
			return;
		}
		/* Without a driver, or with a full table, the client sees
		 * its connection closed at once. */
		if (!dev_live(v) || !(c = conn_alloc(v, C_LINE))) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->deadline = monotonic_ms() + v->timeout_ms;
		if (!epoll_add(v, c)) {
			vsock_warn(v, "epoll_ctl", errno);
			conn_free(v, c);
		}
	}
}

static void conn_event(struct virtio_vsock *v, struct vsock_conn *c,
		       uint32_t ev)
{
	if (c->fd < 0)
		return; /* closed, its RST on the way */
	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->host_readable = true;
	if (ev & EPOLLHUP)
		c->host_hup = true;
	if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
		c->host_writable = true;
		if (out_pending(c))
			conn_flush_settle(v, c);
	}
	if (c->state == C_LINE && c->host_readable)
		read_line(v, c);
}

/* Connections past their deadline: a client that never sent its line, a
 * REQUEST the guest never answered, a close that never finished. */
static int expire(struct virtio_vsock *v, int timeout)
{
	int64_t now = monotonic_ms();

	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &v->conns[i];

		if (c->state == C_FREE || !c->deadline)
			continue;
		if (now >= c->deadline) {
			conn_reset(v, c);
			continue;
		}
		if (timeout < 0 || c->deadline - now < timeout)
			timeout = (int)(c->deadline - now);
	}
	return timeout;
}

/* ---- The I/O thread ---- */

/* One round: deadlines, the queues, then host events for up to timeout
 * ms. */
static void io_round(struct virtio_vsock *v, int timeout)
{
	struct epoll_event evs[MAX_EVENTS];
	int n;

	check_reset(v);
	timeout = expire(v, timeout);
	if (atomic_exchange(&v->rx_kick, false))
		v->rx_starved = false;
	if (atomic_exchange(&v->tx_kick, false) ||
	    (v->tx_paused && v->rst_count < RST_RING)) {
		v->tx_paused = false;
		virtio_queue_notify(&v->vdev, VIRTIO_VSOCK_TXQ);
	}
	if (!v->rx_starved && rx_has_work(v))
		virtio_queue_notify(&v->vdev, VIRTIO_VSOCK_RXQ);
	/* The answers just delivered made room: the waiting packets. */
	if (v->tx_paused && v->rst_count < RST_RING)
		timeout = 0;
	n = epoll_wait(v->epoll_fd, evs, MAX_EVENTS, timeout);
	if (n < 0 && errno != EINTR) {
		vsock_warn(v, "epoll_wait", errno);
		usleep(10000);
	}
	for (int i = 0; i < n; i++) {
		uint32_t slot = (uint32_t)evs[i].data.u64;
		uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
		uint64_t val;

		if (slot == TAG_WAKE) {
			if (read(v->wake_fd, &val, sizeof(val)) < 0) {
				/* EAGAIN: another round took it. */
			}
		} else if (slot == TAG_LISTEN) {
			accept_clients(v);
		} else if (slot < VSOCK_MAX_CONNS &&
			   v->conns[slot].state != C_FREE &&
			   v->conns[slot].gen == gen) {
			conn_event(v, &v->conns[slot], evs[i].events);
		}
	}
}

static void *vsock_io_thread(void *arg)
{
	struct virtio_vsock *v = arg;

	confine_thread(CONFINE_VSOCK);
	vsock_io_thread_of = v;
	while (!atomic_load(&v->stop))
		io_round(v, -1);
	return NULL;
}

void virtio_vsock_poll(struct virtio_dev *d, int timeout_ms)
{
	struct virtio_vsock *v = to_vsock(d);

	if (v->thread_started)
		return;
	vsock_io_thread_of = v;
	io_round(v, timeout_ms);
	vsock_io_thread_of = NULL;
}

/* ---- virtio_device_ops ---- */

static uint64_t vsock_get_features(struct virtio_dev *d)
{
	return 1ULL << VIRTIO_VSOCK_F_STREAM | 1ULL << VIRTIO_F_INDIRECT_DESC |
	       1ULL << VIRTIO_F_EVENT_IDX;
}

static void vsock_config_read(struct virtio_dev *d, uint32_t offset, void *buf,
			      uint32_t len)
{
	memcpy(buf, to_vsock(d)->config + offset, len);
}

/* 5.10.4: the config space is the device's; writes are ignored. */
static void vsock_config_write(struct virtio_dev *d, uint32_t offset,
			       const void *buf, uint32_t len)
{
}

/*
 * The event queue (5.10.2, 5.10.6.6 Device Events), under its processing
 * lock: a TRANSPORT_RESET event (struct virtio_vsock_event, le32 id 0)
 * into the driver's next buffer, when one is owed. Without a buffer it
 * waits for the driver's next kick of the queue.
 */
static void event_deliver(struct virtio_vsock *v)
{
	struct virtq_elem *e = &v->ev_elem;
	uint8_t ev[4];

	if (!atomic_load(&v->event_pending) ||
	    virtio_pop(&v->vdev, VIRTIO_VSOCK_EVQ, e) != VIRTQ_GOT)
		return;
	if (e->out_num || e->in_len < sizeof(ev)) {
		virtio_set_needs_reset(&v->vdev, "event buffer not writable or "
						 "shorter than an event");
		return;
	}
	put_le32(ev, VIRTIO_VSOCK_EVENT_TRANSPORT_RESET);
	virtq_elem_write(e, 0, ev, sizeof(ev));
	virtio_push(&v->vdev, VIRTIO_VSOCK_EVQ, e, sizeof(ev));
	atomic_store(&v->event_pending, false);
	virtio_notify_used(&v->vdev, VIRTIO_VSOCK_EVQ);
}

static void vsock_queue_notify(struct virtio_dev *d, unsigned int q)
{
	struct virtio_vsock *v = to_vsock(d);

	if (q == VIRTIO_VSOCK_EVQ) {
		event_deliver(v);
		return;
	}
	if (vsock_io_thread_of == v) {
		check_reset(v);
		if (q == VIRTIO_VSOCK_RXQ)
			rx_deliver(v);
		else if (q == VIRTIO_VSOCK_TXQ)
			tx_process(v);
		return;
	}
	if (q == VIRTIO_VSOCK_RXQ)
		atomic_store(&v->rx_kick, true);
	else if (q == VIRTIO_VSOCK_TXQ)
		atomic_store(&v->tx_kick, true);
	else
		return;
	vsock_wake(v);
}

/* Device reset (d->lock and every queue's processing lock held): the
 * chain held belongs to the old driver; the I/O thread closes every
 * connection before it touches the queues again. */
static void vsock_reset(struct virtio_dev *d)
{
	struct virtio_vsock *v = to_vsock(d);

	v->rx_held = false;
	atomic_store(&v->event_pending, false); /* the old driver's */
	atomic_fetch_add(&v->reset_gen, 1);
	vsock_wake(v);
}

/*
 * Record (docs/snapshot.md): the guest's CID, which must be the device's.
 * Connections are host sockets of the saved process and cannot follow:
 * the restored device starts with none and owes the driver a
 * TRANSPORT_RESET event (5.10.6.6), after which the driver drops its
 * connections and reads the CID again. The event goes out with the
 * notifications virtio_restore gives every live queue (so after
 * un-quiesce, when the device was restored quiesced). The receive chain
 * the device holds is given back (vsock_queue_held).
 */
static void vsock_save(struct virtio_dev *d, struct state_writer *w)
{
	sw_u64(w, to_vsock(d)->guest_cid);
}

static int vsock_restore(struct virtio_dev *d, struct state_reader *r)
{
	struct virtio_vsock *v = to_vsock(d);
	uint64_t cid = sr_u64(r);

	if (!r->failed && cid != v->guest_cid)
		sr_fail(r, "virtio-vsock: guest CID %llu, the device's is %llu",
			(unsigned long long)cid,
			(unsigned long long)v->guest_cid);
	if (r->failed)
		return -1;
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		atomic_store(&v->event_pending, true);
	return 0;
}

static uint16_t vsock_queue_held(struct virtio_dev *d, unsigned int q)
{
	return q == VIRTIO_VSOCK_RXQ && to_vsock(d)->rx_held;
}

static void vsock_stop(struct virtio_dev *d)
{
	struct virtio_vsock *v = to_vsock(d);

	if (!v->thread_started)
		return;
	atomic_store(&v->stop, true);
	vsock_wake(v);
	pthread_join(v->thread, NULL);
	v->thread_started = false;
}

static void vsock_free(struct virtio_vsock *v)
{
	struct stat st;

	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
		conn_free(v, &v->conns[i]);
	if (v->listen_fd >= 0)
		close(v->listen_fd);
	/* Only our own socket: someone may have replaced it. Once jailed it
	 * is connect_path; there Landlock may refuse: it is then left for
	 * the service manager, like the control socket. */
	for (int i = 0; i < 2 && v->sock_made; i++) {
		const char *p = i ? v->connect_path : v->path;

		if (!lstat(p, &st) && st.st_dev == v->sock_dev &&
		    st.st_ino == v->sock_ino) {
			unlink(p);
			break;
		}
	}
	if (v->epoll_fd >= 0)
		close(v->epoll_fd);
	if (v->wake_fd >= 0)
		close(v->wake_fd);
	free(v->path);
	free(v->connect_path);
	free(v);
}

static void vsock_destroy(struct virtio_dev *d)
{
	vsock_stop(d);
	vsock_free(to_vsock(d));
}

static const struct virtio_device_ops vsock_ops = {
    .name = "virtio-vsock",
    .device_id = VIRTIO_ID_VSOCK,
    .num_queues = 3,
    .queue_max_size = VIRTIO_VSOCK_QUEUE_SIZE,
    .config_size = CFG_BYTES,
    .get_features = vsock_get_features,
    .config_read = vsock_config_read,
    .config_write = vsock_config_write,
    .queue_notify = vsock_queue_notify,
    .reset = vsock_reset,
    .stop = vsock_stop,
    .save = vsock_save,
    .restore = vsock_restore,
    .queue_held = vsock_queue_held,
    .destroy = vsock_destroy,
};

/* Make room for the listening socket: refuse anything but a stale socket
 * (as the control socket does, vmm/control.c). */
static int clear_path(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		pr_err("--vsock %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		pr_err("--vsock %s: exists and is not a socket", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		pr_err("--vsock: socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0) {
		pr_err("--vsock %s: in use by another process", path);
		return -1;
	}
	if (errno != ECONNREFUSED) {
		pr_err("--vsock %s: %s", path, strerror(errno));
		return -1;
	}
	if (unlink(path) < 0) {
		pr_err("--vsock %s: cannot remove the stale socket: %s", path,
		       strerror(errno));
		return -1;
	}
	return 0;
}

static int vsock_listen(struct virtio_vsock *v)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = v->path;
	struct stat st;
	mode_t old_mask;
	int rc, e;

	memcpy(sa.sun_path, path, strlen(path) + 1);
	v->listen_fd =
	    socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (v->listen_fd < 0) {
		pr_err("--vsock: socket: %s", strerror(errno));
		return -1;
	}
	if (clear_path(path, &sa) < 0)
		return -1;
	/* Owner-only from the start, like the control socket: whoever
	 * connects reaches the guest's services. */
	old_mask = umask(077);
	rc = bind(v->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	umask(old_mask);
	if (rc < 0) {
		pr_err("--vsock %s: %s", path, strerror(e));
		close(v->listen_fd);
		v->listen_fd = -1;
		return -1;
	}
	if (chmod(path, 0600) < 0 || stat(path, &st) < 0 ||
	    listen(v->listen_fd, 16) < 0) {
		pr_err("--vsock %s: %s", path, strerror(errno));
		unlink(path);
		close(v->listen_fd);
		v->listen_fd = -1;
		return -1;
	}
	v->sock_made = true;
	v->sock_dev = st.st_dev;
	v->sock_ino = st.st_ino;
	return 0;
}

static bool epoll_tag(struct virtio_vsock *v, int fd, uint32_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

	return epoll_ctl(v->epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

struct virtio_dev *virtio_vsock_create(const struct virtio_vsock_config *cfg,
				       struct guest_mem *mem)
{
	const char *cpath = cfg->connect_path ? cfg->connect_path : cfg->path;
	struct virtio_vsock *v;
	int err;

	if (cfg->guest_cid < VSOCK_CID_MIN || cfg->guest_cid > VSOCK_CID_MAX) {
		pr_err("--vsock cid=%llu: expected %u to %llu",
		       (unsigned long long)cfg->guest_cid, VSOCK_CID_MIN,
		       VSOCK_CID_MAX);
		return NULL;
	}
	if (!cfg->path || !*cfg->path || strlen(cfg->path) > VSOCK_PATH_MAX ||
	    !*cpath || strlen(cpath) > VSOCK_PATH_MAX) {
		pr_err("--vsock path: expected 1 to %d bytes (PATH_PORT must "
		       "fit a UNIX socket address)",
		       VSOCK_PATH_MAX);
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v || !(v->path = strdup(cfg->path)) ||
	    !(v->connect_path = strdup(cpath))) {
		pr_err("--vsock: out of memory");
		if (v)
			free(v->path);
		free(v);
		return NULL;
	}
	v->listen_fd = v->epoll_fd = v->wake_fd = -1;
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
		v->conns[i].fd = -1;
	v->guest_cid = cfg->guest_cid;
	v->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : VSOCK_TIMEOUT_MS;
	v->next_port = LOCAL_PORT_BASE;
	/* 5.10.4: le64 guest_cid, its upper 32 bits zero. */
	put_le64(v->config, cfg->guest_cid);
	v->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	v->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (v->wake_fd < 0 || v->epoll_fd < 0 ||
	    !epoll_tag(v, v->wake_fd, TAG_WAKE)) {
		pr_err("--vsock: cannot make its eventfd and epoll set: %s",
		       strerror(errno));
		vsock_free(v);
		return NULL;
	}
	if (vsock_listen(v) < 0) {
		vsock_free(v);
		return NULL;
	}
	if (!epoll_tag(v, v->listen_fd, TAG_LISTEN) ||
	    !virtio_dev_init(&v->vdev, &vsock_ops, mem)) {
		pr_err("--vsock: out of memory");
		vsock_free(v);
		return NULL;
	}
	if (cfg->no_thread)
		return &v->vdev;
	err = pthread_create(&v->thread, NULL, vsock_io_thread, v);
	if (err) {
		pr_err("--vsock: cannot start the I/O thread: %s",
		       strerror(err));
		virtio_destroy(&v->vdev);
		return NULL;
	}
	v->thread_started = true;
	return &v->vdev;
}

void virtio_vsock_get_stats(struct virtio_dev *d, struct virtio_vsock_stats *s)
{
	struct virtio_vsock *v = to_vsock(d);

	s->rx_packets = atomic_load(&v->rx_packets);
	s->tx_packets = atomic_load(&v->tx_packets);
	s->tx_dropped = atomic_load(&v->tx_dropped);
	s->resets = atomic_load(&v->resets);
	s->conns = atomic_load(&v->nconns);
}
