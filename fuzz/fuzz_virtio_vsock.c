// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: virtio-vsock (virtio/vsock.c) from both of its sides
 * at once. The guest's side: packets on the transmit queue with headers,
 * lengths, CIDs, types, ops, credit and descriptor splits of the input's
 * choosing (mostly well-formed enough to reach connections), receive
 * buffers of odd sizes, writes into the rings, device resets. The host's
 * side: clients of PATH with good and bad CONNECT lines, bytes, half and
 * full closes, a service at PATH_1000 that accepts and talks. The device
 * runs without its I/O thread: each round is virtio_vsock_poll() here, so
 * that an input replays the same way.
 *
 * Besides ASan and UBSan (and guard pages around guest RAM), every packet
 * the device returns is checked: header length and used length agree,
 * addressed to the guest's CID, a known op; and on connections where the
 * fuzzed guest advertised its space honestly (fixed buf_alloc, fwd_cnt
 * never going back), the device never sent more than that space allowed
 * (5.10.6.3).
 *
 * Input: 8-byte operations; byte 0 picks the operation, the other 7 are
 * its arguments (a[0..6]).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "lib/guest_mem.h"
#include "lib/util.h"
#include "virtio/virtio.h"
#include "virtio/virtq_driver.h"
#include "virtio/vsock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_BASE    0x40000000ULL
#define RAM_SIZE    (1u << 20)
#define GUARD	    4096u
#define QSIZE	    32
#define NSLOTS	    16 /* two descriptors a chain */
#define RX_DESC	    (RAM_BASE + 0x0000)
#define RX_AVAIL    (RAM_BASE + 0x1000)
#define RX_USED	    (RAM_BASE + 0x2000)
#define TX_DESC	    (RAM_BASE + 0x3000)
#define TX_AVAIL    (RAM_BASE + 0x4000)
#define TX_USED	    (RAM_BASE + 0x5000)
#define EV_DESC	    (RAM_BASE + 0x6000)
#define EV_AVAIL    (RAM_BASE + 0x7000)
#define EV_USED	    (RAM_BASE + 0x8000)
#define TXBUF	    (RAM_BASE + 0x10000) /* 16 slots of 0x8000 */
#define TX_SLOT	    0x8000u
#define RXBUF	    (RAM_BASE + 0x90000) /* 16 slots of 0x2000 */
#define RX_SLOT	    0x2000u
#define GUEST	    3
#define MAX_CLIENTS 8
#define MAX_TRACK   16

enum {
	OP_TX,
	OP_TX2, /* twice as likely: the main surface */
	OP_RX_POST,
	OP_CLIENT_CONNECT,
	OP_CLIENT_WRITE,
	OP_CLIENT_CLOSE,
	OP_CLIENT_READ,
	OP_SERVICE,
	OP_POKE,
	OP_POLL,
	OP_RESET,
	OP_KINDS
};

/* What the fuzzed guest told the device on one connection, and what it
 * got back: the credit check. */
struct track {
	bool used, dishonest;
	uint32_t gport, hport;
	uint32_t buf_alloc, fwd_cnt; /* last advertised */
	uint64_t received;	     /* RW payload from the device */
};

static struct {
	uint8_t *area; /* guard | RAM | guard */
	struct guest_mem mem;
	struct virtio_dev *dev;
	struct vq_driver rx, tx;
	bool rx_busy[NSLOTS];
	uint32_t rx_size[NSLOTS];
	uint16_t tx_n;
	char dir[64], path[128];
	int service; /* listening at PATH_1000 */
	int clients[MAX_CLIENTS], accepted[MAX_CLIENTS];
	uint32_t last_req_gport, last_req_hport; /* a REQUEST from the device */
	struct track track[MAX_TRACK];
	unsigned int track_next;
	bool tainted; /* the input wrote into the rings: checks off */
	uint8_t scratch[70000];
} f;

static uint8_t *host(uint64_t gpa)
{
	return f.mem.host + (gpa - RAM_BASE);
}

static void fz_notify_queue(void *opaque, unsigned int q)
{
}

static void fz_notify_config(void *opaque)
{
}

static const struct virtio_transport_ops fz_transport = {
    .notify_queue = fz_notify_queue,
    .notify_config = fz_notify_config,
};

/* The socket files and their directory go at exit (not after a crash:
 * /tmp/armvm-fuzz-vsock.* may stay). */
static void remove_files(void)
{
	char p[160];

	snprintf(p, sizeof(p), "%s_1000", f.path);
	unlink(p);
	unlink(f.path);
	rmdir(f.dir);
}

static void setup(void)
{
	struct virtio_vsock_config cfg = {.guest_cid = GUEST,
					  .no_thread = true};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	f.area = mmap(NULL, RAM_SIZE + 2 * GUARD, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	strcpy(f.dir, "/tmp/armvm-fuzz-vsock.XXXXXX");
	if (f.area == MAP_FAILED || !mkdtemp(f.dir))
		abort();
	mprotect(f.area, GUARD, PROT_NONE);
	mprotect(f.area + GUARD + RAM_SIZE, GUARD, PROT_NONE);
	f.mem = (struct guest_mem){
	    .host = f.area + GUARD, .base = RAM_BASE, .size = RAM_SIZE};
	snprintf(f.path, sizeof(f.path), "%s/v", f.dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_1000", f.path);
	f.service = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (f.service < 0 ||
	    bind(f.service, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(f.service, 64) < 0)
		abort();
	cfg.path = f.path;
	f.dev = virtio_vsock_create(&cfg, &f.mem);
	if (!f.dev)
		abort();
	virtio_set_transport(f.dev, &fz_transport, NULL);
	atexit(remove_files);
	for (int i = 0; i < MAX_CLIENTS; i++)
		f.clients[i] = f.accepted[i] = -1;
}

static void set_queue(unsigned int q, uint64_t desc, uint64_t avail,
		      uint64_t used)
{
	virtio_queue_set_size(f.dev, q, QSIZE);
	virtio_queue_set_desc(f.dev, q, desc);
	virtio_queue_set_driver(f.dev, q, avail);
	virtio_queue_set_device(f.dev, q, used);
	virtio_queue_set_ready(f.dev, q, true);
}

/* The driver's start (3.1.1), with EVENT_IDX and INDIRECT_DESC or not. */
static void driver_init(uint8_t features)
{
	uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	struct vq_driver ev;

	virtio_reset(f.dev);
	virtio_set_status(f.dev, s);
	virtio_set_driver_features(f.dev, 0,
				   (features & 1u) << VIRTIO_F_EVENT_IDX |
				       (features & 2u) >>
					   1 << VIRTIO_F_INDIRECT_DESC);
	virtio_set_driver_features(f.dev, 1, 1);
	virtio_set_status(f.dev, s | VIRTIO_STATUS_FEATURES_OK);
	vqd_init(&f.rx, &f.mem, QSIZE, RX_DESC, RX_AVAIL, RX_USED);
	vqd_init(&f.tx, &f.mem, QSIZE, TX_DESC, TX_AVAIL, TX_USED);
	vqd_init(&ev, &f.mem, QSIZE, EV_DESC, EV_AVAIL, EV_USED);
	set_queue(0, RX_DESC, RX_AVAIL, RX_USED);
	set_queue(1, TX_DESC, TX_AVAIL, TX_USED);
	set_queue(2, EV_DESC, EV_AVAIL, EV_USED);
	virtio_set_status(f.dev, s | VIRTIO_STATUS_FEATURES_OK |
				     VIRTIO_STATUS_DRIVER_OK);
	memset(f.rx_busy, 0, sizeof(f.rx_busy));
	memset(f.track, 0, sizeof(f.track));
	f.tx_n = 0;
	f.tainted = false;
}

static struct track *track_find(uint32_t gport, uint32_t hport)
{
	for (int i = 0; i < MAX_TRACK; i++) {
		struct track *t = &f.track[i];

		if (t->used && t->gport == gport && t->hport == hport)
			return t;
	}
	return NULL;
}

/* A connection starts (or an entry must be made for one whose start was
 * not seen: dishonest, so unchecked). */
static struct track *track_new(uint32_t gport, uint32_t hport, bool unknown)
{
	struct track *t = track_find(gport, hport);

	for (int i = 0; i < MAX_TRACK && !t; i++)
		if (!f.track[i].used)
			t = &f.track[i];
	if (!t)
		t = &f.track[f.track_next++ % MAX_TRACK];
	memset(t, 0, sizeof(*t));
	t->used = true;
	t->gport = gport;
	t->hport = hport;
	t->dishonest = unknown;
	return t;
}

/* Every packet the device gave back: well-formed, and within the credit
 * an honest guest advertised. */
static void consume_rx(void)
{
	uint32_t id, len;

	while (vqd_get_used(&f.rx, &id, &len)) {
		unsigned int slot = id / 2;
		const uint8_t *h;
		uint32_t hlen, sport, dport;
		uint16_t op, type;
		uint64_t scid, dcid;

		if (id % 2 || slot >= NSLOTS || !f.rx_busy[slot]) {
			if (f.tainted)
				continue;
			abort(); /* not a chain we gave */
		}
		f.rx_busy[slot] = false;
		if (len < VSOCK_HDR_BYTES || len > f.rx_size[slot]) {
			if (f.tainted)
				continue;
			abort();
		}
		h = host(RXBUF + (uint64_t)RX_SLOT * slot);
		scid = get_le64(h);
		dcid = get_le64(h + 8);
		sport = get_le32(h + 16);
		dport = get_le32(h + 20);
		hlen = get_le32(h + 24);
		type = get_le16(h + 28);
		op = get_le16(h + 30);
		if (f.tainted)
			continue;
		if (hlen != len - VSOCK_HDR_BYTES || dcid != GUEST || !op ||
		    op > VSOCK_OP_CREDIT_REQUEST ||
		    (op != VSOCK_OP_RST &&
		     (scid != VSOCK_HOST_CID || type != VSOCK_TYPE_STREAM)) ||
		    (op == VSOCK_OP_RW) != (hlen != 0))
			abort();
		if (op == VSOCK_OP_REQUEST) {
			f.last_req_gport = dport;
			f.last_req_hport = sport;
			track_new(dport, sport, false);
		} else if (op == VSOCK_OP_RST && scid == VSOCK_HOST_CID) {
			/* The host's connection on these ports ended. An RST
			 * from another CID answers a packet the guest sent
			 * there, and leaves the host's connection alone. */
			track_new(dport, sport, false);
		} else if (op == VSOCK_OP_RW) {
			struct track *t = track_find(dport, sport);

			if (!t)
				t = track_new(dport, sport, true);
			t->received += hlen;
			if (!t->dishonest &&
			    t->received > (uint64_t)t->fwd_cnt + t->buf_alloc)
				abort(); /* more than the guest's space */
		}
	}
}

static void poll_dev(void)
{
	virtio_vsock_poll(f.dev, 0);
	consume_rx();
}

/* Receive buffers: sizes from a header alone to Linux's 4 KiB and odd
 * ones; split after the header or not. */
static void op_rx_post(const uint8_t *a)
{
	static const uint32_t sizes[] = {VSOCK_HDR_BYTES,
					 VSOCK_HDR_BYTES + 1,
					 100,
					 VSOCK_HDR_BYTES + 4096,
					 64,
					 VSOCK_HDR_BYTES - 1};

	for (unsigned int n = 0; n < 1u + a[0] % 4; n++) {
		unsigned int slot;
		uint64_t b;
		uint32_t size = sizes[(a[1] + n) % ARRAY_SIZE(sizes)];

		for (slot = 0; slot < NSLOTS && f.rx_busy[slot]; slot++)
			;
		if (slot == NSLOTS)
			return;
		b = RXBUF + (uint64_t)RX_SLOT * slot;
		if ((a[2] & 1) && size > VSOCK_HDR_BYTES) {
			vqd_desc(&f.rx, 2 * slot, b, VSOCK_HDR_BYTES,
				 VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
				 2 * slot + 1);
			vqd_desc(&f.rx, 2 * slot + 1, b + VSOCK_HDR_BYTES,
				 size - VSOCK_HDR_BYTES, VIRTQ_DESC_F_WRITE, 0);
		} else {
			/* A readable part now and then: a bad chain. */
			vqd_desc(&f.rx, 2 * slot, b, size,
				 (a[2] & 6) == 6 ? 0 : VIRTQ_DESC_F_WRITE, 0);
		}
		f.rx_busy[slot] = true;
		f.rx_size[slot] = size;
		vqd_publish(&f.rx, 2 * slot);
	}
	virtio_queue_notify(f.dev, VIRTIO_VSOCK_RXQ);
}

/* A packet from the guest. */
static void op_tx(const uint8_t *a)
{
	static const uint32_t gports[] = {52, 53, 49152, 0xffffffff};
	static const uint32_t hports[] = {1000, 1001, 0, 2};
	static const uint32_t allocs[] = {65536, 4096,	     0,
					  1,	 0xffffffff, VSOCK_BUF_ALLOC};
	uint8_t hdr[VSOCK_HDR_BYTES];
	uint16_t slot = f.tx_n % NSLOTS;
	uint64_t b = TXBUF + (uint64_t)TX_SLOT * slot;
	uint32_t len = get_le16(a + 3) % (TX_SLOT - 0x100);
	uint32_t gport = gports[a[2] & 3], hport = hports[a[2] >> 2 & 3];
	uint32_t hlen = len, buf_alloc, fwd;
	uint16_t op = a[0] % 9, type = VSOCK_TYPE_STREAM;
	uint8_t fl = a[1];
	bool bad_chain = (fl & 0x80) ? (a[5] & 0x80) : (a[5] & 0x80) && len;
	struct track *t;

	/* Room in the ring: never more than a queue's worth outstanding. */
	if ((uint16_t)(f.tx_n - vqd_used_idx(&f.tx)) >= NSLOTS)
		return;
	if ((a[2] & 0x30) == 0x30) {
		/* Answer the device's last REQUEST: host-initiated. */
		gport = f.last_req_gport;
		hport = f.last_req_hport;
	}
	if (fl & 0x10)
		len = 0;
	if (fl & 0x20)
		hlen = len + 1 + a[5]; /* longer than its buffer */
	else if (fl & 0x40)
		hlen = VSOCK_MAX_PAYLOAD + 1;
	if (fl & 4)
		type = (fl & 8) ? VSOCK_TYPE_SEQPACKET : a[4];
	/* A well-formed REQUEST starts a connection; other packets belong
	 * to one whose start the harness saw, or are unchecked. */
	if (op == VSOCK_OP_REQUEST && !(fl & 0x67) && !bad_chain)
		t = track_new(gport, hport, false);
	else if (!(t = track_find(gport, hport)))
		t = track_new(gport, hport, true);
	if (a[6] & 0x80) {
		/* An honest guest: one buf_alloc, fwd_cnt only forward and
		 * never past what it got. */
		if (!t->buf_alloc)
			t->buf_alloc = allocs[a[6] & 1];
		buf_alloc = t->buf_alloc;
		fwd = t->fwd_cnt + (uint32_t)((t->received - t->fwd_cnt) *
					      (a[6] & 0x3f) / 0x3f);
	} else {
		buf_alloc = allocs[a[6] % ARRAY_SIZE(allocs)];
		fwd = a[6] & 0x40 ? 0xfffff000u + a[5] : a[5] * 97u;
		t->dishonest = true;
	}
	t->buf_alloc = buf_alloc;
	t->fwd_cnt = fwd;
	put_le64(hdr, (fl & 1) ? GUEST + 1 : GUEST);
	put_le64(hdr + 8, (fl & 2) ? 77 : VSOCK_HOST_CID);
	put_le32(hdr + 16, gport);
	put_le32(hdr + 20, hport);
	put_le32(hdr + 24, hlen);
	put_le16(hdr + 28, type);
	put_le16(hdr + 30, op);
	put_le32(hdr + 32, a[5] & 3);
	put_le32(hdr + 36, buf_alloc);
	put_le32(hdr + 40, fwd);
	memcpy(host(b), hdr, sizeof(hdr));
	for (uint32_t i = 0; i < len; i++)
		host(b + 0x100)[i] = (uint8_t)(i + a[4]);
	if (fl & 0x80) {
		/* Header and payload in one buffer, or a short header. */
		memmove(host(b + VSOCK_HDR_BYTES), host(b + 0x100), len);
		vqd_desc(&f.tx, 2 * slot, b,
			 (a[5] & 0x80) ? VSOCK_HDR_BYTES - 1
				       : VSOCK_HDR_BYTES + len,
			 0, 0);
	} else {
		vqd_desc(&f.tx, 2 * slot, b, VSOCK_HDR_BYTES,
			 len ? VIRTQ_DESC_F_NEXT : 0, 2 * slot + 1);
		vqd_desc(&f.tx, 2 * slot + 1, b + 0x100, len,
			 (a[5] & 0x80) ? VIRTQ_DESC_F_WRITE : 0, 0);
	}
	vqd_publish(&f.tx, 2 * slot);
	f.tx_n++;
	virtio_queue_notify(f.dev, VIRTIO_VSOCK_TXQ);
}

static void op_client_connect(const uint8_t *a)
{
	static const char *const lines[] = {
	    "CONNECT 52\n",	 "CONNECT 53\r\n",
	    "CONNECT 52\nhello", "CONNECT 4294967295\n",
	    "CONNECT x\n",	 "GET / HTTP/1.0\r\n\r\n",
	    "CONNECT 52",	 ""};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int i = a[0] % MAX_CLIENTS, fd;
	const char *line = lines[a[1] % ARRAY_SIZE(lines)];

	if (f.clients[i] >= 0)
		close(f.clients[i]);
	f.clients[i] = -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f.path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return;
	}
	f.clients[i] = fd;
	if (*line &&
	    send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* closed already */
	}
}

static int *host_fd(uint8_t sel)
{
	return sel & 0x80 ? &f.accepted[sel % MAX_CLIENTS]
			  : &f.clients[sel % MAX_CLIENTS];
}

static void op_client_write(const uint8_t *a)
{
	int *fd = host_fd(a[0]);
	size_t n = get_le16(a + 1) % sizeof(f.scratch);

	if (*fd < 0)
		return;
	memset(f.scratch, a[3], n);
	if (send(*fd, f.scratch, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* full or gone */
	}
}

static void op_client_close(const uint8_t *a)
{
	int *fd = host_fd(a[0]);

	if (*fd < 0)
		return;
	if (a[1] & 1) {
		shutdown(*fd, a[1] & 2 ? SHUT_RD : SHUT_WR);
		return;
	}
	close(*fd);
	*fd = -1;
}

static void op_client_read(const uint8_t *a)
{
	int *fd = host_fd(a[0]);

	if (*fd >= 0 &&
	    recv(*fd, f.scratch, sizeof(f.scratch), MSG_DONTWAIT) < 0) {
		/* nothing yet */
	}
}

/* The host service at PATH_1000 takes its next connection. */
static void op_service(const uint8_t *a)
{
	int *fd = &f.accepted[a[0] % MAX_CLIENTS];
	int nfd = accept4(f.service, NULL, NULL, SOCK_NONBLOCK);

	if (nfd < 0)
		return;
	if (*fd >= 0)
		close(*fd);
	*fd = nfd;
}

static void cleanup(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (f.clients[i] >= 0)
			close(f.clients[i]);
		if (f.accepted[i] >= 0)
			close(f.accepted[i]);
		f.clients[i] = f.accepted[i] = -1;
	}
	for (int fd; (fd = accept4(f.service, NULL, NULL, 0)) >= 0;)
		close(fd);
	/* The reset closes the device's connections on its next round. */
	virtio_reset(f.dev);
	virtio_vsock_poll(f.dev, 0);
	virtio_vsock_poll(f.dev, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!f.dev)
		setup();
	memset(f.mem.host, 0, RAM_SIZE);
	f.last_req_gport = 52;
	f.last_req_hport = 1000;
	driver_init(size ? data[0] : 0);
	for (; size >= 8; data += 8, size -= 8) {
		const uint8_t *a = data + 1;

		switch (data[0] % OP_KINDS) {
		case OP_TX:
		case OP_TX2:
			op_tx(a);
			break;
		case OP_RX_POST:
			op_rx_post(a);
			break;
		case OP_CLIENT_CONNECT:
			op_client_connect(a);
			break;
		case OP_CLIENT_WRITE:
			op_client_write(a);
			break;
		case OP_CLIENT_CLOSE:
			op_client_close(a);
			break;
		case OP_CLIENT_READ:
			op_client_read(a);
			break;
		case OP_SERVICE:
			op_service(a);
			break;
		case OP_POKE:
			/* Anywhere in the rings and buffers. */
			memcpy(f.mem.host + get_le32(a) % (RAM_SIZE - 4), a + 3,
			       4);
			f.tainted = true;
			break;
		case OP_RESET:
			consume_rx();
			driver_init(a[0]);
			break;
		default:
			break;
		}
		poll_dev();
	}
	cleanup();
	return 0;
}
