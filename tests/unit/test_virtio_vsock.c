// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of virtio-vsock (virtio/vsock.c) with its I/O thread: the test
 * is the guest's driver (rings in fake guest RAM, packets written and read
 * as Linux's virtio transport does: a header buffer and a data buffer per
 * chain) and the host's programs (UNIX sockets at PATH and PATH_PORT).
 * Host to guest and guest to host connections with data both ways, the
 * RSTs of a port nobody listens on (either side), credit both ways,
 * shutdown, malformed packets, hostile host clients, device reset.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "tests/unit/check.h"
#include "virtio/virtq_driver.h"
#include "virtio/vsock.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x400000ULL
#define RX_DESC	 (RAM_BASE + 0x0000)
#define RX_AVAIL (RAM_BASE + 0x1000)
#define RX_USED	 (RAM_BASE + 0x2000)
#define TX_DESC	 (RAM_BASE + 0x3000)
#define TX_AVAIL (RAM_BASE + 0x4000)
#define TX_USED	 (RAM_BASE + 0x5000)
#define EV_DESC	 (RAM_BASE + 0x6000)
#define EV_AVAIL (RAM_BASE + 0x7000)
#define EV_USED	 (RAM_BASE + 0x8000)
#define TXBUF	 (RAM_BASE + 0x100000) /* slot i: TXBUF + i * TX_SLOT */
#define TX_SLOT	 0x11000ULL
#define RXBUF	 (RAM_BASE + 0x300000) /* slot i: RXBUF + i * RX_SLOT */
#define RX_SLOT	 0x2000ULL
#define RX_DATA	 4096 /* Linux's receive buffers: header + 4 KiB */
#define QSIZE	 32
#define NSLOTS	 (QSIZE / 2) /* two descriptors a chain */
#define GUEST	 3
#define TIMEOUT	 400 /* the device's timeouts, ms */

static uint8_t *vt_ram;
static struct guest_mem vt_mem;
static struct vq_driver vt_rx, vt_tx;
static uint16_t vt_tx_n;
static char vt_dir[32], vt_path[64];

struct pkt {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
	uint8_t data[RX_DATA];
};

static void vt_notify_queue(void *opaque, unsigned int q)
{
}

static void vt_notify_config(void *opaque)
{
}

static const struct virtio_transport_ops vt_transport = {
    .notify_queue = vt_notify_queue,
    .notify_config = vt_notify_config,
};

static uint8_t *host(uint64_t gpa)
{
	return vt_ram + (gpa - RAM_BASE);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void ram_setup(void)
{
	if (!vt_ram)
		vt_ram = malloc(RAM_SIZE);
	memset(vt_ram, 0, RAM_SIZE);
	vt_mem = (struct guest_mem){
	    .host = vt_ram, .base = RAM_BASE, .size = RAM_SIZE};
	if (!vt_dir[0]) {
		strcpy(vt_dir, "/tmp/armvm-vsock.XXXXXX");
		if (!mkdtemp(vt_dir))
			abort();
		snprintf(vt_path, sizeof(vt_path), "%s/v.sock", vt_dir);
	}
}

static struct virtio_dev *make_dev(void)
{
	struct virtio_vsock_config cfg = {
	    .guest_cid = GUEST, .path = vt_path, .timeout_ms = TIMEOUT};

	ram_setup();
	return virtio_vsock_create(&cfg, &vt_mem);
}

/* Receive buffer i: a header descriptor, then RX_DATA bytes. */
static void post_rx(uint16_t i)
{
	uint64_t b = RXBUF + RX_SLOT * i;

	vqd_desc(&vt_rx, 2 * i, b, VSOCK_HDR_BYTES,
		 VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2 * i + 1);
	vqd_desc(&vt_rx, 2 * i + 1, b + 64, RX_DATA, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&vt_rx, 2 * i);
}

static void set_queue(struct virtio_dev *d, unsigned int q, uint64_t desc,
		      uint64_t avail, uint64_t used)
{
	virtio_queue_set_size(d, q, QSIZE);
	virtio_queue_set_desc(d, q, desc);
	virtio_queue_set_driver(d, q, avail);
	virtio_queue_set_device(d, q, used);
	virtio_queue_set_ready(d, q, true);
}

/* The driver's start (3.1.1), nrx receive buffers posted. */
static bool driver_init(struct virtio_dev *d, unsigned int nrx)
{
	uint8_t all = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		      VIRTIO_STATUS_FEATURES_OK;
	struct vq_driver ev;

	virtio_set_transport(d, &vt_transport, NULL);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_set_driver_features(d, 1, 1); /* VERSION_1, as Linux does */
	virtio_set_status(d, all);
	if (!(virtio_get_status(d) & VIRTIO_STATUS_FEATURES_OK))
		return false;
	vqd_init(&vt_rx, &vt_mem, QSIZE, RX_DESC, RX_AVAIL, RX_USED);
	vqd_init(&vt_tx, &vt_mem, QSIZE, TX_DESC, TX_AVAIL, TX_USED);
	vqd_init(&ev, &vt_mem, QSIZE, EV_DESC, EV_AVAIL, EV_USED);
	vt_tx_n = 0;
	set_queue(d, 0, RX_DESC, RX_AVAIL, RX_USED);
	set_queue(d, 1, TX_DESC, TX_AVAIL, TX_USED);
	set_queue(d, 2, EV_DESC, EV_AVAIL, EV_USED);
	for (uint16_t i = 0; i < nrx; i++)
		post_rx(i);
	virtio_set_status(d, all | VIRTIO_STATUS_DRIVER_OK);
	virtio_queue_notify(d, VIRTIO_VSOCK_RXQ);
	return true;
}

static struct virtio_dev *open_dev(void)
{
	struct virtio_dev *d = make_dev();

	if (d && !driver_init(d, NSLOTS)) {
		virtio_destroy(d);
		d = NULL;
	}
	return d;
}

static void put_hdr(uint8_t *b, const struct pkt *p)
{
	put_le64(b, p->src_cid);
	put_le64(b + 8, p->dst_cid);
	put_le32(b + 16, p->src_port);
	put_le32(b + 20, p->dst_port);
	put_le32(b + 24, p->len);
	put_le16(b + 28, p->type);
	put_le16(b + 30, p->op);
	put_le32(b + 32, p->flags);
	put_le32(b + 36, p->buf_alloc);
	put_le32(b + 40, p->fwd_cnt);
}

static bool wait_used(struct vq_driver *v, uint16_t want, int timeout_ms)
{
	for (int t = 0; t < timeout_ms; t++) {
		if (vqd_used_idx(v) == want)
			return true;
		sleep_ms(1);
	}
	return vqd_used_idx(v) == want;
}

/*
 * Send a packet of data_len bytes (data, or zeros when NULL) in a header
 * descriptor and a data descriptor (data_len 0: no data descriptor); its
 * len field says hdr_len. Waits until the device has used it.
 */
static bool send_raw(struct virtio_dev *d, const struct pkt *p,
		     const void *data, uint32_t data_len)
{
	uint16_t slot = vt_tx_n % NSLOTS;
	uint64_t b = TXBUF + TX_SLOT * slot;
	uint32_t id, len;

	put_hdr(host(b), p);
	if (data_len) {
		if (data)
			memcpy(host(b + 0x100), data, data_len);
		else
			memset(host(b + 0x100), 0, data_len);
	}
	vqd_desc(&vt_tx, 2 * slot, b, VSOCK_HDR_BYTES,
		 data_len ? VIRTQ_DESC_F_NEXT : 0, 2 * slot + 1);
	vqd_desc(&vt_tx, 2 * slot + 1, b + 0x100, data_len, 0, 0);
	vqd_publish(&vt_tx, 2 * slot);
	vt_tx_n++;
	virtio_queue_notify(d, VIRTIO_VSOCK_TXQ);
	if (!wait_used(&vt_tx, vt_tx_n, 2000))
		return false;
	return vqd_get_used(&vt_tx, &id, &len) && id == 2u * slot && len == 0;
}

/* A packet from the guest on a connection (guest port gp, host port hp). */
static bool send_op(struct virtio_dev *d, uint32_t gp, uint32_t hp, uint16_t op,
		    uint32_t flags, const void *data, uint32_t n,
		    uint32_t buf_alloc, uint32_t fwd_cnt)
{
	struct pkt p = {.src_cid = GUEST,
			.dst_cid = VSOCK_HOST_CID,
			.src_port = gp,
			.dst_port = hp,
			.len = n,
			.type = VSOCK_TYPE_STREAM,
			.op = op,
			.flags = flags,
			.buf_alloc = buf_alloc,
			.fwd_cnt = fwd_cnt};

	return send_raw(d, &p, data, n);
}

/* The next packet the device sent (any op), its buffer posted again. */
static bool get_any(struct virtio_dev *d, struct pkt *p, int timeout_ms)
{
	uint32_t id, len;
	const uint8_t *h;
	uint64_t b;

	for (int t = 0; !vqd_get_used(&vt_rx, &id, &len); t++) {
		if (t >= timeout_ms)
			return false;
		sleep_ms(1);
	}
	if (id % 2 || id / 2 >= NSLOTS || len < VSOCK_HDR_BYTES)
		return false;
	b = RXBUF + RX_SLOT * (id / 2);
	h = host(b);
	p->src_cid = get_le64(h);
	p->dst_cid = get_le64(h + 8);
	p->src_port = get_le32(h + 16);
	p->dst_port = get_le32(h + 20);
	p->len = get_le32(h + 24);
	p->type = get_le16(h + 28);
	p->op = get_le16(h + 30);
	p->flags = get_le32(h + 32);
	p->buf_alloc = get_le32(h + 36);
	p->fwd_cnt = get_le32(h + 40);
	if (p->len > RX_DATA || len != VSOCK_HDR_BYTES + p->len)
		return false;
	memcpy(p->data, host(b + 64), p->len);
	post_rx((uint16_t)(id / 2));
	virtio_queue_notify(d, VIRTIO_VSOCK_RXQ);
	return true;
}

/* The next packet that is not a CREDIT_UPDATE. */
static bool get_pkt(struct virtio_dev *d, struct pkt *p)
{
	while (get_any(d, p, 2000))
		if (p->op != VSOCK_OP_CREDIT_UPDATE)
			return true;
	return false;
}

/* Nothing but credit updates arrives for ms. */
static bool quiet(struct virtio_dev *d, int ms)
{
	struct pkt p;

	while (get_any(d, &p, ms))
		if (p.op != VSOCK_OP_CREDIT_UPDATE)
			return false;
	return true;
}

static int client_connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {2, 0};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(sa.sun_path))
		abort();
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static int client_connect(void)
{
	return client_connect_to(vt_path);
}

static bool send_str(int fd, const char *s)
{
	return send(fd, s, strlen(s), MSG_NOSIGNAL) == (ssize_t)strlen(s);
}

/* Read exactly n bytes (the socket's 2 s timeout). */
static bool read_n(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, (char *)buf + got, n - got, 0);

		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* The client's view: 0 at EOF, -1 on timeout or error, else bytes. */
static ssize_t read_some(int fd, void *buf, size_t n)
{
	return recv(fd, buf, n, 0);
}

/* The client's connection was closed: EOF, or ECONNRESET when armvm
 * closed it with bytes unread. */
static bool sees_close(int fd)
{
	char buf[64];
	ssize_t r = recv(fd, buf, sizeof(buf), 0);

	return r == 0 || (r < 0 && errno == ECONNRESET);
}

static bool read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		if (recv(fd, buf + n, 1, 0) != 1)
			return false;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = 0;
	return n && buf[n - 1] == '\n';
}

/* A listener at PATH_port for guest-initiated connections. */
static int host_listen(uint32_t port)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", vt_path, port);
	unlink(sa.sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 4) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void host_unlisten(int fd, uint32_t port)
{
	char path[160];

	snprintf(path, sizeof(path), "%s_%u", vt_path, port);
	unlink(path);
	close(fd);
}

static int accept_timeout(int lfd)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	struct timeval tv = {2, 0};
	int fd;

	if (poll(&p, 1, 2000) != 1)
		return -1;
	fd = accept(lfd, NULL, NULL);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static bool is_conn_pkt(const struct pkt *p, uint16_t op, uint32_t gp,
			uint32_t hp)
{
	return p->op == op && p->src_cid == VSOCK_HOST_CID &&
	       p->dst_cid == GUEST && p->src_port == hp && p->dst_port == gp &&
	       p->type == VSOCK_TYPE_STREAM;
}

/*
 * A host-initiated connection to guest port gp, accepted by the guest with
 * buf_alloc ba: the client's fd, *hp the host's port from the OK line.
 */
static int host_open(struct virtio_dev *d, uint32_t gp, uint32_t ba,
		     uint32_t *hp)
{
	char line[64], want[64];
	struct pkt p;
	int fd = client_connect();

	snprintf(line, sizeof(line), "CONNECT %u\n", gp);
	if (fd < 0 || !send_str(fd, line) || !get_pkt(d, &p) ||
	    p.op != VSOCK_OP_REQUEST || p.dst_port != gp)
		goto fail;
	*hp = p.src_port;
	if (!send_op(d, gp, *hp, VSOCK_OP_RESPONSE, 0, NULL, 0, ba, 0) ||
	    !read_line(fd, line, sizeof(line)))
		goto fail;
	snprintf(want, sizeof(want), "OK %u\n", *hp);
	if (strcmp(line, want))
		goto fail;
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

static void close_dev(struct virtio_dev *d)
{
	virtio_destroy(d);
}

/* ---- Tests ---- */

static void features_and_config(void)
{
	struct virtio_dev *d = make_dev();
	uint8_t b[8];
	uint32_t f0;
	struct stat st;

	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(virtio_device_id(d), VIRTIO_ID_VSOCK);
	CHECK_EQ(virtio_num_queues(d), 3);
	f0 = virtio_get_device_features(d, 0);
	CHECK(f0 & 1u << VIRTIO_VSOCK_F_STREAM);
	CHECK(!(f0 & 1u << VIRTIO_VSOCK_F_SEQPACKET));
	CHECK_EQ(virtio_get_device_features(d, 1), 1); /* VERSION_1 */
	virtio_config_read(d, 0, b, 8);
	CHECK_EQ(get_le64(b), GUEST);
	/* As a driver reads a le64: two 32-bit halves. */
	virtio_config_read(d, 4, b, 4);
	CHECK_EQ(get_le32(b), 0);
	virtio_config_write(d, 0, "\x09\0\0\0", 4);
	virtio_config_read(d, 0, b, 4);
	CHECK_EQ(get_le32(b), GUEST);
	/* The listening socket: owner-only. */
	CHECK(stat(vt_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	      (st.st_mode & 0777) == 0600);
	close_dev(d);
	/* Removed at the end. */
	CHECK(stat(vt_path, &st) < 0 && errno == ENOENT);
}

/* Host CONNECT -> REQUEST -> RESPONSE -> OK, then bytes both ways with
 * the credit fields the guest needs. */
static void host_to_guest(void)
{
	struct virtio_dev *d = open_dev();
	uint32_t hp = 0;
	char buf[64];
	struct pkt p;
	int fd;

	CHECK(d);
	if (!d)
		return;
	fd = client_connect();
	CHECK(fd >= 0);
	CHECK(send_str(fd, "CONNECT 52\n"));
	CHECK(get_any(d, &p, 2000));
	CHECK_EQ(p.op, VSOCK_OP_REQUEST);
	CHECK_EQ(p.src_cid, VSOCK_HOST_CID);
	CHECK_EQ(p.dst_cid, GUEST);
	CHECK_EQ(p.dst_port, 52);
	CHECK_EQ(p.type, VSOCK_TYPE_STREAM);
	CHECK_EQ(p.len, 0);
	CHECK_EQ(p.buf_alloc, VSOCK_BUF_ALLOC);
	CHECK_EQ(p.fwd_cnt, 0);
	CHECK(p.src_port >= 1024);
	hp = p.src_port;
	CHECK(send_op(d, 52, hp, VSOCK_OP_RESPONSE, 0, NULL, 0, 65536, 0));
	CHECK(read_line(fd, buf, sizeof(buf)));
	snprintf((char *)p.data, 32, "OK %u\n", hp);
	CHECK_STR(buf, (char *)p.data);
	/* The device tells its space at once: the guest may write first. */
	CHECK(get_any(d, &p, 2000));
	CHECK(is_conn_pkt(&p, VSOCK_OP_CREDIT_UPDATE, 52, hp));
	CHECK_EQ(p.buf_alloc, VSOCK_BUF_ALLOC);
	CHECK(send_str(fd, "hello"));
	CHECK(get_pkt(d, &p));
	CHECK(is_conn_pkt(&p, VSOCK_OP_RW, 52, hp));
	CHECK(p.len == 5 && !memcmp(p.data, "hello", 5));
	CHECK_EQ(p.buf_alloc, VSOCK_BUF_ALLOC);
	/* Guest to host. */
	CHECK(send_op(d, 52, hp, VSOCK_OP_RW, 0, "world", 5, 65536, 5));
	CHECK(read_n(fd, buf, 5) && !memcmp(buf, "world", 5));
	/* The next packet counts the 5 bytes forwarded. */
	CHECK(
	    send_op(d, 52, hp, VSOCK_OP_CREDIT_REQUEST, 0, NULL, 0, 65536, 5));
	CHECK(get_any(d, &p, 2000));
	CHECK(is_conn_pkt(&p, VSOCK_OP_CREDIT_UPDATE, 52, hp));
	CHECK_EQ(p.fwd_cnt, 5);
	/* The client closes: SHUTDOWN with both flags; the guest's RST
	 * ends it. */
	close(fd);
	CHECK(get_pkt(d, &p));
	CHECK(is_conn_pkt(&p, VSOCK_OP_SHUTDOWN, 52, hp));
	CHECK_EQ(p.flags, VSOCK_SHUTDOWN_BOTH);
	CHECK(send_op(d, 52, hp, VSOCK_OP_RST, 0, NULL, 0, 65536, 5));
	CHECK(quiet(d, 100));
	{
		struct virtio_vsock_stats st;

		virtio_vsock_get_stats(d, &st);
		CHECK_EQ(st.conns, 0);
		CHECK_EQ(st.resets, 0);
	}
	/* Bytes right behind the line, in the same write, are the
	 * stream's first; a half-close is a SHUTDOWN(SEND) after them. */
	fd = client_connect();
	CHECK(fd >= 0 && send_str(fd, "CONNECT 53\nearly"));
	CHECK(shutdown(fd, SHUT_WR) == 0);
	CHECK(get_pkt(d, &p) && p.op == VSOCK_OP_REQUEST && p.dst_port == 53);
	hp = p.src_port;
	CHECK(send_op(d, 53, hp, VSOCK_OP_RESPONSE, 0, NULL, 0, 65536, 0));
	CHECK(read_line(fd, buf, sizeof(buf)) && !strncmp(buf, "OK ", 3));
	CHECK(get_pkt(d, &p));
	CHECK(is_conn_pkt(&p, VSOCK_OP_RW, 53, hp));
	CHECK(p.len == 5 && !memcmp(p.data, "early", 5));
	CHECK(get_pkt(d, &p));
	CHECK(is_conn_pkt(&p, VSOCK_OP_SHUTDOWN, 53, hp));
	CHECK_EQ(p.flags, VSOCK_SHUTDOWN_F_SEND);
	/* The guest still answers, then closes. */
	CHECK(send_op(d, 53, hp, VSOCK_OP_RW, 0, "reply", 5, 65536, 5));
	CHECK(read_n(fd, buf, 5) && !memcmp(buf, "reply", 5));
	CHECK(send_op(d, 53, hp, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_BOTH, NULL,
		      0, 65536, 5));
	CHECK(get_pkt(d, &p));
	CHECK(is_conn_pkt(&p, VSOCK_OP_RST, 53, hp));
	CHECK_EQ(read_some(fd, buf, sizeof(buf)), 0);
	close(fd);
	close_dev(d);
}

/* A port nobody listens on in the guest: it answers RST, the client sees
 * its connection closed without an OK line. And a guest that never
 * answers: closed after the timeout, with an RST to the guest. */
static void host_to_guest_refused(void)
{
	struct virtio_dev *d = open_dev();
	struct pkt p;
	char buf[16];
	int fd;

	CHECK(d);
	if (!d)
		return;
	fd = client_connect();
	CHECK(fd >= 0 && send_str(fd, "CONNECT 7777\n"));
	CHECK(get_pkt(d, &p) && p.op == VSOCK_OP_REQUEST && p.dst_port == 7777);
	CHECK(send_op(d, 7777, p.src_port, VSOCK_OP_RST, 0, NULL, 0, 0, 0));
	CHECK_EQ(read_some(fd, buf, sizeof(buf)), 0);
	close(fd);
	CHECK(quiet(d, 100)); /* no RST for an RST */

	fd = client_connect();
	CHECK(fd >= 0 && send_str(fd, "CONNECT 8888\r\n"));
	CHECK(get_pkt(d, &p) && p.op == VSOCK_OP_REQUEST && p.dst_port == 8888);
	/* No answer: after TIMEOUT the client's connection closes. */
	CHECK_EQ(read_some(fd, buf, sizeof(buf)), 0);
	CHECK(get_pkt(d, &p));
	CHECK(p.op == VSOCK_OP_RST && p.dst_port == 8888);
	close(fd);
	close_dev(d);
}

/* A guest connection to a host port nobody listens on: RST back. */
static void guest_to_host_refused(void)
{
	struct virtio_dev *d = open_dev();
	struct pkt p;

	CHECK(d);
	if (!d)
		return;
	CHECK(send_op(d, 40000, 1234, VSOCK_OP_REQUEST, 0, NULL, 0, 65536, 0));
	CHECK(get_pkt(d, &p));
	CHECK(is_conn_pkt(&p, VSOCK_OP_RST, 40000, 1234));
	/* A socket file nobody listens on any more: the same. */
	close(host_listen(1235));
	CHECK(send_op(d, 40001, 1235, VSOCK_OP_REQUEST, 0, NULL, 0, 65536, 0));
	CHECK(get_pkt(d, &p));
	CHECK(is_conn_pkt(&p, VSOCK_OP_RST, 40001, 1235));
	{
		struct virtio_vsock_stats st;

		virtio_vsock_get_stats(d, &st);
		CHECK_EQ(st.conns, 0);
		CHECK_EQ(st.resets, 2);
	}
	host_unlisten(-1, 1235);
	close_dev(d);
}

/* A guest connection to PATH_5000: RESPONSE, data both ways, the guest's
 * SHUTDOWN passed on, its close answered with RST. */
static void guest_to_host(void)
{
	struct virtio_dev *d = open_dev();
	int lfd = host_listen(5000), fd;
	char buf[32];
	struct pkt p;

	CHECK(d && lfd >= 0);
	if (!d || lfd < 0)
		return;
	CHECK(send_op(d, 49152, 5000, VSOCK_OP_REQUEST, 0, NULL, 0, 65536, 0));
	CHECK(get_pkt(d, &p));
	CHECK(is_conn_pkt(&p, VSOCK_OP_RESPONSE, 49152, 5000));
	CHECK_EQ(p.buf_alloc, VSOCK_BUF_ALLOC);
	fd = accept_timeout(lfd);
	CHECK(fd >= 0);
	CHECK(send_op(d, 49152, 5000, VSOCK_OP_RW, 0, "ping", 4, 65536, 0));
	CHECK(read_n(fd, buf, 4) && !memcmp(buf, "ping", 4));
	CHECK(send_str(fd, "pong"));
	CHECK(get_pkt(d, &p));
	CHECK(is_conn_pkt(&p, VSOCK_OP_RW, 49152, 5000));
	CHECK(p.len == 4 && !memcmp(p.data, "pong", 4));
	CHECK_EQ(p.fwd_cnt, 4);
	/* The guest sends no more: the host reads EOF. */
	CHECK(send_op(d, 49152, 5000, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_F_SEND,
		      NULL, 0, 65536, 4));
	CHECK_EQ(read_some(fd, buf, sizeof(buf)), 0);
	/* The host can still talk. */
	CHECK(send_str(fd, "last"));
	CHECK(get_pkt(d, &p));
	CHECK(p.op == VSOCK_OP_RW && p.len == 4 && !memcmp(p.data, "last", 4));
	/* The guest closes (both flags): RST, and the host's end is gone. */
	CHECK(send_op(d, 49152, 5000, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_BOTH,
		      NULL, 0, 65536, 8));
	CHECK(get_pkt(d, &p));
	CHECK(is_conn_pkt(&p, VSOCK_OP_RST, 49152, 5000));
	CHECK(send(fd, "x", 1, MSG_NOSIGNAL) < 0 ||
	      read_some(fd, buf, sizeof(buf)) == 0);
	close(fd);
	host_unlisten(lfd, 5000);
	close_dev(d);
}

/* Host to guest: never more than the guest's buf_alloc - (tx_cnt -
 * fwd_cnt) (5.10.6.3), whatever the host writes. */
static void credit_to_guest(void)
{
	struct virtio_dev *d = open_dev();
	static uint8_t data[3000], got[3000];
	uint32_t hp = 0, total = 0;
	struct pkt p;
	int fd;

	CHECK(d);
	if (!d)
		return;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	fd = host_open(d, 60, 1000, &hp);
	CHECK(fd >= 0);
	if (fd < 0) {
		close_dev(d);
		return;
	}
	CHECK(send(fd, data, sizeof(data), 0) == sizeof(data));
	while (total < 1000 && get_pkt(d, &p) && p.op == VSOCK_OP_RW) {
		memcpy(got + total, p.data, p.len);
		total += p.len;
	}
	CHECK_EQ(total, 1000);
	CHECK(quiet(d, 150)); /* the guest's buffer is full */
	/* A guest whose fwd_cnt runs ahead of what it got: no more. */
	CHECK(
	    send_op(d, 60, hp, VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0, 1000, 5000));
	CHECK(quiet(d, 150));
	/* It read 600 bytes: 600 more. */
	CHECK(
	    send_op(d, 60, hp, VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0, 1000, 600));
	while (total < 1600 && get_pkt(d, &p) && p.op == VSOCK_OP_RW) {
		memcpy(got + total, p.data, p.len);
		total += p.len;
	}
	CHECK_EQ(total, 1600);
	CHECK(quiet(d, 150));
	/* A larger buffer: the rest. */
	CHECK(send_op(d, 60, hp, VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0, 65536,
		      1600));
	while (total < 3000 && get_pkt(d, &p) && p.op == VSOCK_OP_RW) {
		memcpy(got + total, p.data, p.len);
		total += p.len;
	}
	CHECK_EQ(total, 3000);
	CHECK(!memcmp(got, data, sizeof(data)));
	close(fd);
	close_dev(d);
}

/* Guest to host: the device holds what the host socket cannot take yet,
 * never more than it advertised; it tells the guest its space when the
 * guest may be waiting for it; a guest that sends more is reset. */
static void credit_from_guest(void)
{
	struct virtio_dev *d = open_dev();
	static uint8_t chunk[VSOCK_MAX_PAYLOAD], back[VSOCK_MAX_PAYLOAD];
	uint32_t hp = 0, sent = 0, heard = 0, view = 0;
	struct pkt p;
	size_t drained = 0;
	int fd;

	CHECK(d);
	if (!d)
		return;
	fd = host_open(d, 61, 65536, &hp);
	CHECK(fd >= 0);
	if (fd < 0) {
		close_dev(d);
		return;
	}
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (uint8_t)(i * 13 + 1);
	/* A well-behaved guest, the client reading nothing: it sends while
	 * its view of our space allows, until the device falls silent. */
	for (int i = 0; i < 200; i++) {
		view = VSOCK_BUF_ALLOC - (sent - heard);
		while (get_any(d, &p, view ? 0 : 300)) {
			CHECK(is_conn_pkt(&p, VSOCK_OP_CREDIT_UPDATE, 61, hp));
			CHECK_EQ(p.buf_alloc, VSOCK_BUF_ALLOC);
			heard = p.fwd_cnt;
			view = VSOCK_BUF_ALLOC - (sent - heard);
		}
		if (!view)
			break;
		view = view < sizeof(chunk) ? view : sizeof(chunk);
		CHECK(
		    send_op(d, 61, hp, VSOCK_OP_RW, 0, chunk, view, 65536, 0));
		sent += view;
	}
	/* Stuck with the socket full and VSOCK_BUF_ALLOC held. */
	CHECK_EQ(view, 0);
	CHECK(heard > 0);
	CHECK_EQ(sent - heard, VSOCK_BUF_ALLOC);
	/* One byte more than that: reset. */
	CHECK(send_op(d, 61, hp, VSOCK_OP_RW, 0, chunk, 1, 65536, 0));
	CHECK(get_pkt(d, &p));
	CHECK(is_conn_pkt(&p, VSOCK_OP_RST, 61, hp));
	/* The client gets what the socket held, then EOF. */
	for (;;) {
		ssize_t r = read_some(fd, back, sizeof(back));

		if (r <= 0) {
			CHECK_EQ(r, 0);
			break;
		}
		drained += (size_t)r;
	}
	CHECK_EQ(drained, heard);
	close(fd);
	close_dev(d);
}

/* Draining host: the held bytes all arrive, in order, and the guest hears
 * of the space. */
static void credit_from_guest_drained(void)
{
	struct virtio_dev *d = open_dev();
	static uint8_t chunk[VSOCK_MAX_PAYLOAD], back[VSOCK_BUF_ALLOC];
	uint32_t hp = 0, last_fwd = 0;
	struct pkt p;
	int fd;

	CHECK(d);
	if (!d)
		return;
	fd = host_open(d, 62, 65536, &hp);
	CHECK(fd >= 0);
	if (fd < 0) {
		close_dev(d);
		return;
	}
	for (int i = 0; i < 4; i++) {
		memset(chunk, 'a' + i, sizeof(chunk));
		CHECK(send_op(d, 62, hp, VSOCK_OP_RW, 0, chunk, sizeof(chunk),
			      65536, 0));
	}
	CHECK(read_n(fd, back, sizeof(back)));
	for (int i = 0; i < 4; i++)
		CHECK(back[i * VSOCK_MAX_PAYLOAD] == 'a' + i &&
		      back[i * VSOCK_MAX_PAYLOAD + VSOCK_MAX_PAYLOAD - 1] ==
			  'a' + i);
	while (get_any(d, &p, 300))
		if (p.op == VSOCK_OP_CREDIT_UPDATE)
			last_fwd = p.fwd_cnt;
	/* Whatever the guest last heard leaves it room for a packet. */
	CHECK(VSOCK_BUF_ALLOC - (4 * VSOCK_MAX_PAYLOAD - last_fwd) >=
	      VSOCK_MAX_PAYLOAD);
	close(fd);
	close_dev(d);
}

/* What a hostile guest sends: each answered with RST or ignored, and the
 * device keeps working. */
static void malformed(void)
{
	struct virtio_dev *d = open_dev();
	struct virtio_vsock_stats st;
	uint32_t hp = 0;
	char buf[8];
	struct pkt p;
	int fd;

	CHECK(d);
	if (!d)
		return;
	/* len larger than the buffer that carries it. */
	{
		struct pkt q = {.src_cid = GUEST,
				.dst_cid = VSOCK_HOST_CID,
				.src_port = 1,
				.dst_port = 2,
				.len = 100,
				.type = VSOCK_TYPE_STREAM,
				.op = VSOCK_OP_REQUEST};

		CHECK(send_raw(d, &q, NULL, 50));
		CHECK(get_pkt(d, &p));
		CHECK(is_conn_pkt(&p, VSOCK_OP_RST, 1, 2));
		/* len beyond a packet's limit, whatever the buffer. */
		q.len = VSOCK_MAX_PAYLOAD + 1;
		q.op = VSOCK_OP_RW;
		CHECK(send_raw(d, &q, NULL, VSOCK_MAX_PAYLOAD + 1));
		CHECK(get_pkt(d, &p));
		CHECK(is_conn_pkt(&p, VSOCK_OP_RST, 1, 2));
		/* Another CID: refused in its name, so the guest's
		 * connect there fails at once. */
		q.len = 0;
		q.op = VSOCK_OP_REQUEST;
		q.dst_cid = 77;
		CHECK(send_raw(d, &q, NULL, 0));
		CHECK(get_pkt(d, &p));
		CHECK(p.op == VSOCK_OP_RST && p.src_cid == 77 &&
		      p.dst_cid == GUEST && p.src_port == 2 && p.dst_port == 1);
		/* Not from the guest's CID: ignored. */
		q.dst_cid = VSOCK_HOST_CID;
		q.src_cid = 4;
		CHECK(send_raw(d, &q, NULL, 0));
		q.src_cid = GUEST | 1ULL << 32;
		CHECK(send_raw(d, &q, NULL, 0));
		CHECK(quiet(d, 100));
		/* SEQPACKET (not offered), an unknown type: RST. */
		q.src_cid = GUEST;
		q.type = VSOCK_TYPE_SEQPACKET;
		CHECK(send_raw(d, &q, NULL, 0));
		CHECK(get_pkt(d, &p) && p.op == VSOCK_OP_RST &&
		      p.type == VSOCK_TYPE_SEQPACKET);
		q.type = 99;
		CHECK(send_raw(d, &q, NULL, 0));
		CHECK(get_pkt(d, &p) && p.op == VSOCK_OP_RST);
		/* An unknown op, RW and SHUTDOWN with no connection: RST;
		 * an RST with none: nothing. */
		q.type = VSOCK_TYPE_STREAM;
		q.op = 42;
		CHECK(send_raw(d, &q, NULL, 0));
		CHECK(get_pkt(d, &p) && p.op == VSOCK_OP_RST);
		q.op = VSOCK_OP_RW;
		q.len = 3;
		CHECK(send_raw(d, &q, "abc", 3));
		CHECK(get_pkt(d, &p) && p.op == VSOCK_OP_RST);
		q.op = VSOCK_OP_RST;
		q.len = 0;
		CHECK(send_raw(d, &q, NULL, 0));
		CHECK(quiet(d, 100));
	}
	/* On a connection: an unknown op resets it, the client sees EOF. */
	fd = host_open(d, 70, 65536, &hp);
	CHECK(fd >= 0);
	CHECK(send_op(d, 70, hp, 99, 0, NULL, 0, 65536, 0));
	CHECK(get_pkt(d, &p));
	CHECK(is_conn_pkt(&p, VSOCK_OP_RST, 70, hp));
	CHECK_EQ(read_some(fd, buf, sizeof(buf)), 0);
	close(fd);
	/* A second REQUEST for an open connection resets it. */
	fd = host_open(d, 71, 65536, &hp);
	CHECK(fd >= 0);
	CHECK(send_op(d, 71, hp, VSOCK_OP_REQUEST, 0, NULL, 0, 65536, 0));
	CHECK(get_pkt(d, &p));
	CHECK(is_conn_pkt(&p, VSOCK_OP_RST, 71, hp));
	CHECK_EQ(read_some(fd, buf, sizeof(buf)), 0);
	close(fd);
	/* RW after the guest's SEND shutdown resets it too. */
	fd = host_open(d, 72, 65536, &hp);
	CHECK(fd >= 0);
	CHECK(send_op(d, 72, hp, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_F_SEND, NULL,
		      0, 65536, 0));
	CHECK_EQ(read_some(fd, buf, sizeof(buf)), 0);
	CHECK(send_op(d, 72, hp, VSOCK_OP_RW, 0, "zz", 2, 65536, 0));
	CHECK(get_pkt(d, &p));
	CHECK(is_conn_pkt(&p, VSOCK_OP_RST, 72, hp));
	close(fd);
	virtio_vsock_get_stats(d, &st);
	CHECK(st.tx_dropped >= 10);
	CHECK_EQ(st.conns, 0);
	/* Still working. */
	fd = host_open(d, 73, 65536, &hp);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK(!(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
	close_dev(d);
}

/* Chains the driver may not give: DEVICE_NEEDS_RESET. */
static void malformed_chains(void)
{
	struct virtio_dev *d = open_dev();

	CHECK(d);
	if (!d)
		return;
	/* A transmit chain shorter than a header. */
	put_hdr(host(TXBUF), &(struct pkt){.src_cid = GUEST});
	vqd_desc(&vt_tx, 0, TXBUF, VSOCK_HDR_BYTES - 1, 0, 0);
	vqd_publish(&vt_tx, 0);
	virtio_queue_notify(d, VIRTIO_VSOCK_TXQ);
	for (int t = 0; t < 2000 && !(virtio_get_status(d) &
				      VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	     t++)
		sleep_ms(1);
	CHECK(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	close_dev(d);

	/* A transmit chain with a device-writable part. */
	d = open_dev();
	CHECK(d);
	if (!d)
		return;
	vqd_desc(&vt_tx, 0, TXBUF, VSOCK_HDR_BYTES, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(&vt_tx, 1, TXBUF + 0x100, 16, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&vt_tx, 0);
	virtio_queue_notify(d, VIRTIO_VSOCK_TXQ);
	for (int t = 0; t < 2000 && !(virtio_get_status(d) &
				      VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	     t++)
		sleep_ms(1);
	CHECK(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	close_dev(d);

	/* A receive chain with a device-readable part, found when the
	 * device has something to say. */
	d = make_dev();
	CHECK(d && driver_init(d, 0));
	if (!d)
		return;
	vqd_desc(&vt_rx, 0, RXBUF, 64, 0, 0);
	vqd_publish(&vt_rx, 0);
	virtio_queue_notify(d, VIRTIO_VSOCK_RXQ);
	CHECK(send_op(d, 1, 999, VSOCK_OP_REQUEST, 0, NULL, 0, 0, 0));
	for (int t = 0; t < 2000 && !(virtio_get_status(d) &
				      VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	     t++)
		sleep_ms(1);
	CHECK(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	close_dev(d);
}

/* Host clients that misbehave hold up nobody: a client that never sends
 * its line (closed after the timeout, others served meanwhile), a line
 * too long, not a CONNECT, a bad port; a full table. */
static void hostile_clients(void)
{
	struct virtio_dev *d = open_dev();
	int idle, fd, many[VSOCK_MAX_CONNS];
	uint32_t hp = 0;
	char buf[64];
	struct pkt p;
	static const char *const bad[] = {"CONNECT\n",
					  "CONNECT 4294967296\n",
					  "CONNECT -1\n",
					  "CONNECT 12x\n",
					  "connect 5\n",
					  "CONNECT  5\n",
					  "CONNECT 5 6\n",
					  "OK 5\n",
					  "\n",
					  "CONNECT 0000000000005\n"};

	CHECK(d);
	if (!d)
		return;
	idle = client_connect();
	CHECK(idle >= 0);
	/* Served while the idle one waits. */
	fd = host_open(d, 80, 65536, &hp);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK(get_pkt(d, &p) && p.op == VSOCK_OP_SHUTDOWN);
	CHECK(send_op(d, 80, hp, VSOCK_OP_RST, 0, NULL, 0, 65536, 0));
	CHECK_EQ(read_some(idle, buf, sizeof(buf)), 0); /* after TIMEOUT */
	close(idle);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		fd = client_connect();
		CHECK(fd >= 0 && send_str(fd, bad[i]));
		CHECK(sees_close(fd));
		close(fd);
	}
	fd = client_connect();
	memset(buf, 'C', sizeof(buf));
	CHECK(fd >= 0 && send(fd, buf, sizeof(buf), 0) == sizeof(buf));
	CHECK(sees_close(fd));
	close(fd);
	/* Nothing reached the guest. */
	CHECK(quiet(d, 100));
	/* A full table: the next client is closed at once. */
	for (int i = 0; i < VSOCK_MAX_CONNS; i++)
		many[i] = client_connect();
	sleep_ms(100);
	fd = client_connect();
	CHECK(fd >= 0);
	{
		struct pollfd pf = {.fd = fd, .events = POLLIN};

		CHECK(poll(&pf, 1, TIMEOUT / 2) == 1);
		CHECK_EQ(read_some(fd, buf, sizeof(buf)), 0);
	}
	close(fd);
	for (int i = 0; i < VSOCK_MAX_CONNS; i++)
		if (many[i] >= 0)
			close(many[i]);
	close_dev(d);
}

/* Before the driver is ready, clients are closed at once. */
static void no_driver(void)
{
	struct virtio_dev *d = make_dev();
	int fd;

	CHECK(d);
	if (!d)
		return;
	fd = client_connect();
	CHECK(fd >= 0);
	send_str(fd, "CONNECT 5\n"); /* may find it closed already */
	CHECK(sees_close(fd));
	close(fd);
	close_dev(d);
}

/* A device reset closes every connection; the device works after. */
static void reset_closes(void)
{
	struct virtio_dev *d = open_dev();
	int lfd = host_listen(5001), gfd, hfd;
	struct virtio_vsock_stats st;
	uint32_t hp = 0;
	char buf[8];
	struct pkt p;

	CHECK(d && lfd >= 0);
	if (!d || lfd < 0)
		return;
	hfd = host_open(d, 90, 65536, &hp);
	CHECK(hfd >= 0);
	CHECK(send_op(d, 50000, 5001, VSOCK_OP_REQUEST, 0, NULL, 0, 65536, 0));
	CHECK(get_pkt(d, &p) && p.op == VSOCK_OP_RESPONSE);
	gfd = accept_timeout(lfd);
	CHECK(gfd >= 0);
	virtio_vsock_get_stats(d, &st);
	CHECK_EQ(st.conns, 2);
	virtio_set_status(d, 0);
	CHECK_EQ(read_some(hfd, buf, sizeof(buf)), 0);
	CHECK_EQ(read_some(gfd, buf, sizeof(buf)), 0);
	for (int t = 0; t < 1000; t++) {
		virtio_vsock_get_stats(d, &st);
		if (!st.conns)
			break;
		sleep_ms(1);
	}
	CHECK_EQ(st.conns, 0);
	close(hfd);
	close(gfd);
	CHECK(driver_init(d, NSLOTS));
	hfd = host_open(d, 91, 65536, &hp);
	CHECK(hfd >= 0);
	if (hfd >= 0)
		close(hfd);
	host_unlisten(lfd, 5001);
	close_dev(d);
}

/* A MiB each way through the credit scheme, the host side writing and
 * reading at its own pace on its own thread: every byte arrives, in order
 * (the device's buffer fills, moves and drains). */
#define BULK (1u << 20)

static uint8_t bulk_byte(uint32_t i)
{
	return (uint8_t)(i * 131 + (i >> 12));
}

static void *bulk_writer(void *arg)
{
	int fd = *(int *)arg;
	static uint8_t buf[BULK];

	for (uint32_t i = 0; i < BULK; i++)
		buf[i] = bulk_byte(i);
	return (void *)(long)(send(fd, buf, BULK, MSG_NOSIGNAL) != BULK);
}

static void *bulk_reader(void *arg)
{
	int fd = *(int *)arg;
	static uint8_t buf[8192];
	uint32_t got = 0;

	/* Slowly at first, so that the device has to hold data. */
	for (int i = 0; i < 20; i++)
		sleep_ms(5);
	for (unsigned int n = 0; got < BULK; n++) {
		ssize_t r =
		    recv(fd, buf, got < BULK / 2 ? 1000 : sizeof(buf), 0);

		if (r <= 0)
			return (void *)1L;
		/* The first half at a trickle: the device's buffer stays
		 * partly full while more arrives (it wraps). */
		if (got < BULK / 2 && n % 4 == 0)
			sleep_ms(1);
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != bulk_byte(got + (uint32_t)i))
				return (void *)2L;
		got += (uint32_t)r;
	}
	return NULL;
}

static void bulk(void)
{
	struct virtio_dev *d = open_dev();
	static uint8_t chunk[VSOCK_MAX_PAYLOAD];
	uint32_t hp = 0, got = 0, acked = 0, sent = 0, heard = 0;
	void *ret = (void *)1L;
	bool ok = true;
	pthread_t t;
	struct pkt p;
	int fd;

	CHECK(d);
	if (!d)
		return;
	fd = host_open(d, 100, 65536, &hp);
	CHECK(fd >= 0);
	if (fd < 0) {
		close_dev(d);
		return;
	}
	/* Host to guest: the guest reads as it goes, acknowledging every
	 * 16 KiB (its buffer is 64 KiB). */
	CHECK(pthread_create(&t, NULL, bulk_writer, &fd) == 0);
	while (ok && got < BULK && get_pkt(d, &p)) {
		ok = is_conn_pkt(&p, VSOCK_OP_RW, 100, hp) &&
		     got + p.len - acked <= 65536;
		for (uint32_t i = 0; ok && i < p.len; i++)
			ok = p.data[i] == bulk_byte(got + i);
		got += p.len;
		if (got - acked >= 16384) {
			acked = got;
			ok = ok && send_op(d, 100, hp, VSOCK_OP_CREDIT_UPDATE,
					   0, NULL, 0, 65536, acked);
		}
	}
	CHECK(ok);
	CHECK_EQ(got, BULK);
	pthread_join(t, &ret);
	CHECK(ret == NULL);
	/* Guest to host, never beyond what the device advertised. */
	ret = (void *)1L;
	CHECK(pthread_create(&t, NULL, bulk_reader, &fd) == 0);
	while (ok && sent < BULK) {
		uint32_t view = VSOCK_BUF_ALLOC - (sent - heard), n;

		while (get_any(d, &p, view ? 0 : 2000)) {
			ok = ok &&
			     is_conn_pkt(&p, VSOCK_OP_CREDIT_UPDATE, 100, hp);
			heard = p.fwd_cnt;
			view = VSOCK_BUF_ALLOC - (sent - heard);
		}
		if (!view)
			break; /* no credit came */
		n = BULK - sent < view ? BULK - sent : view;
		n = n < sizeof(chunk) ? n : sizeof(chunk);
		for (uint32_t i = 0; i < n; i++)
			chunk[i] = bulk_byte(sent + i);
		ok = ok && send_op(d, 100, hp, VSOCK_OP_RW, 0, chunk, n, 65536,
				   acked);
		sent += n;
	}
	CHECK(ok);
	CHECK_EQ(sent, BULK);
	pthread_join(t, &ret);
	CHECK(ret == NULL);
	close(fd);
	close_dev(d);
}

/* The guest gives no receive buffers: its packets still go through while
 * the device can hold their answers, then wait in their ring (5.10.6.1);
 * every one is answered once it gives buffers. */
static void rx_starved(void)
{
	struct virtio_dev *d = make_dev();
	unsigned int rsts = 0;
	struct pkt p;

	CHECK(d && driver_init(d, 0));
	if (!d)
		return;
	/* Refused connects (no listener), a batch of NSLOTS at a time. */
	for (unsigned int batch = 0; batch < 5; batch++) {
		for (uint16_t slot = 0; slot < NSLOTS; slot++) {
			uint64_t b = TXBUF + TX_SLOT * slot;
			struct pkt q = {.src_cid = GUEST,
					.dst_cid = VSOCK_HOST_CID,
					.src_port = 100 + vt_tx_n,
					.dst_port = 2000,
					.type = VSOCK_TYPE_STREAM,
					.op = VSOCK_OP_REQUEST};

			put_hdr(host(b), &q);
			vqd_desc(&vt_tx, slot, b, VSOCK_HDR_BYTES, 0, 0);
			vqd_publish(&vt_tx, slot);
			vt_tx_n++;
		}
		virtio_queue_notify(d, VIRTIO_VSOCK_TXQ);
		/* 64 answers fit (4 batches); the fifth waits. */
		if (batch < 4)
			CHECK(wait_used(&vt_tx, vt_tx_n, 2000));
		else
			CHECK(!wait_used(&vt_tx, vt_tx_n, 200));
	}
	for (uint16_t i = 0; i < NSLOTS; i++)
		post_rx(i);
	virtio_queue_notify(d, VIRTIO_VSOCK_RXQ);
	while (rsts < 5 * NSLOTS && get_any(d, &p, 1000))
		rsts += p.op == VSOCK_OP_RST && p.dst_port >= 100 &&
			p.dst_port < 100 + 5 * NSLOTS && p.src_port == 2000;
	CHECK_EQ(rsts, 5 * NSLOTS);
	CHECK(wait_used(&vt_tx, vt_tx_n, 2000));
	CHECK(quiet(d, 100));
	close_dev(d);
}

/* The listening path: a stale socket is replaced; a file, or a socket
 * another process serves, is refused. */
static void listen_path(void)
{
	struct virtio_dev *d, *d2;
	int fd;

	ram_setup();
	fd = open(vt_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK(make_dev() == NULL);
	unlink(vt_path);
	/* Stale: bound, then its owner gone. */
	close(host_listen(0));
	{
		char stale[160];

		snprintf(stale, sizeof(stale), "%s_0", vt_path);
		CHECK(rename(stale, vt_path) == 0);
	}
	d = make_dev();
	CHECK(d);
	d2 = make_dev(); /* in use by d */
	CHECK(d2 == NULL);
	close_dev(d);
	virtio_destroy(d2);
	{
		struct virtio_vsock_config cfg = {.guest_cid = 2,
						  .path = vt_path};

		CHECK(virtio_vsock_create(&cfg, &vt_mem) == NULL);
		cfg.guest_cid = 0xffffffffULL;
		CHECK(virtio_vsock_create(&cfg, &vt_mem) == NULL);
		cfg.guest_cid = 3;
		cfg.path =
		    "/tmp/"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
		CHECK(virtio_vsock_create(&cfg, &vt_mem) == NULL);
	}
}

int main(void)
{
	check_suite = "virtio_vsock";
	RUN(features_and_config);
	RUN(host_to_guest);
	RUN(host_to_guest_refused);
	RUN(guest_to_host_refused);
	RUN(guest_to_host);
	RUN(credit_to_guest);
	RUN(credit_from_guest);
	RUN(credit_from_guest_drained);
	RUN(malformed);
	RUN(malformed_chains);
	RUN(hostile_clients);
	RUN(no_driver);
	RUN(reset_closes);
	RUN(bulk);
	RUN(rx_starved);
	RUN(listen_path);
	rmdir(vt_dir);
	free(vt_ram);
	return check_main_end();
}
