// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of virtio-net (virtio/net.c) on the fd backend (net_fd.c) over a
 * socketpair: features and config space, frames both ways through
 * driver-side rings in fake guest RAM, header handling with and without
 * mergeable buffers, receive-buffer exhaustion and the kick that resumes,
 * malformed chains, link status, reset, teardown without leaks; checksum
 * and TSO offloads with a vnet_hdr backend; the MAC and
 * hostfwd parsers; and libslirp answering a DHCP discover.
 */
#include <dirent.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "tests/unit/check.h"
#include "virtio/net.h"
#include "virtio/net_backend.h"
#include "virtio/net_mac.h"
#include "virtio/virtq_driver.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x200000ULL
#define RX_DESC	 (RAM_BASE + 0x0000)
#define RX_AVAIL (RAM_BASE + 0x1000)
#define RX_USED	 (RAM_BASE + 0x2000)
#define TX_DESC	 (RAM_BASE + 0x3000)
#define TX_AVAIL (RAM_BASE + 0x4000)
#define TX_USED	 (RAM_BASE + 0x5000)
#define TXBUF	 (RAM_BASE + 0x10000)
#define RXBUF	 (RAM_BASE + 0x80000) /* RX buffer i at RXBUF + i * 0x1000 */
#define QSIZE	 16

#define F_BASE                                                   \
	(1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_NET_F_MAC | \
	 1ULL << VIRTIO_NET_F_STATUS | 1ULL << VIRTIO_NET_F_MTU)
#define F_MRG (F_BASE | 1ULL << VIRTIO_NET_F_MRG_RXBUF)

static uint8_t *nt_ram;
static struct guest_mem nt_mem;
static atomic_int nt_irqs[2];
static atomic_int nt_config_irqs;
static int nt_peer = -1; /* the test's end of the socketpair */

static void nt_notify_queue(void *opaque, unsigned int q)
{
	if (q < 2)
		atomic_fetch_add(&nt_irqs[q], 1);
}

static void nt_notify_config(void *opaque)
{
	atomic_fetch_add(&nt_config_irqs, 1);
}

static const struct virtio_transport_ops nt_transport = {
    .notify_queue = nt_notify_queue,
    .notify_config = nt_notify_config,
};

static uint8_t *host(uint64_t gpa)
{
	return nt_ram + (gpa - RAM_BASE);
}

static void ram_setup(void)
{
	if (!nt_ram)
		nt_ram = malloc(RAM_SIZE);
	memset(nt_ram, 0, RAM_SIZE);
	nt_mem.host = nt_ram;
	nt_mem.base = RAM_BASE;
	nt_mem.size = RAM_SIZE;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Wait until the used index reaches want (or timeout_ms passes). */
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
 * Wait until queue q has raised at least want interrupts. The I/O thread
 * publishes the used index before it signals, so a test that saw the used
 * entry may still be ahead of the interrupt (TSan's slow threads show it).
 */
static bool wait_irqs(int q, int want, int timeout_ms)
{
	for (int t = 0; t < timeout_ms; t++) {
		if (atomic_load(&nt_irqs[q]) >= want)
			return true;
		sleep_ms(1);
	}
	return atomic_load(&nt_irqs[q]) >= want;
}

static bool driver_init(struct virtio_dev *d, struct vq_driver *rx,
			struct vq_driver *tx, uint64_t features)
{
	uint8_t all = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		      VIRTIO_STATUS_FEATURES_OK;

	virtio_set_transport(d, &nt_transport, NULL);
	virtio_set_status(d, 0);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_set_driver_features(d, 0, (uint32_t)features);
	virtio_set_driver_features(d, 1, (uint32_t)(features >> 32));
	virtio_set_status(d, all);
	if (!(virtio_get_status(d) & VIRTIO_STATUS_FEATURES_OK))
		return false;
	vqd_init(rx, &nt_mem, QSIZE, RX_DESC, RX_AVAIL, RX_USED);
	vqd_init(tx, &nt_mem, QSIZE, TX_DESC, TX_AVAIL, TX_USED);
	virtio_queue_set_size(d, 0, QSIZE);
	virtio_queue_set_desc(d, 0, RX_DESC);
	virtio_queue_set_driver(d, 0, RX_AVAIL);
	virtio_queue_set_device(d, 0, RX_USED);
	virtio_queue_set_ready(d, 0, true);
	virtio_queue_set_size(d, 1, QSIZE);
	virtio_queue_set_desc(d, 1, TX_DESC);
	virtio_queue_set_driver(d, 1, TX_AVAIL);
	virtio_queue_set_device(d, 1, TX_USED);
	virtio_queue_set_ready(d, 1, true);
	virtio_set_status(d, all | VIRTIO_STATUS_DRIVER_OK);
	return true;
}

/* A device on a socketpair; vnet_hdr: frames carry virtio_net_hdr_v1. */
static struct virtio_dev *make_dev_hdr(bool vnet_hdr)
{
	struct virtio_net_config cfg = {.id = "net0"};
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return NULL;
	nt_peer = sv[1];
	net_default_mac("net0", cfg.mac);
	cfg.backend = net_fd_backend_create(sv[0], "net0", vnet_hdr);
	return virtio_net_create(&cfg, &nt_mem);
}

static struct virtio_dev *make_dev(void)
{
	return make_dev_hdr(false);
}

static struct virtio_dev *open_dev_hdr(struct vq_driver *rx,
				       struct vq_driver *tx, uint64_t features,
				       bool vnet_hdr)
{
	struct virtio_dev *d;

	ram_setup();
	d = make_dev_hdr(vnet_hdr);
	if (d && !driver_init(d, rx, tx, features)) {
		virtio_destroy(d);
		d = NULL;
	}
	return d;
}

static struct virtio_dev *open_dev(struct vq_driver *rx, struct vq_driver *tx,
				   uint64_t features)
{
	return open_dev_hdr(rx, tx, features, false);
}

static void close_dev(struct virtio_dev *d)
{
	virtio_destroy(d);
	if (nt_peer >= 0)
		close(nt_peer);
	nt_peer = -1;
}

/* A test frame of len bytes: broadcast destination, seq in the payload. */
static void make_frame(uint8_t *f, size_t len, uint8_t seq)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
	f[12] = 0x88;
	f[13] = 0xb5; /* local experimental ethertype */
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(seq + i);
}

/* Post an RX buffer of len bytes (one descriptor) as entry i. */
static void post_rx(struct vq_driver *rx, uint16_t i, uint32_t len)
{
	memset(host(RXBUF + 0x1000ULL * i), 0xee, len);
	vqd_desc(rx, i, RXBUF + 0x1000ULL * i, len, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(rx, i);
}

static bool peer_send(const void *buf, size_t len)
{
	return send(nt_peer, buf, len, 0) == (ssize_t)len;
}

static ssize_t peer_recv(void *buf, size_t len, int timeout_ms)
{
	struct pollfd p = {.fd = nt_peer, .events = POLLIN};

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	return recv(nt_peer, buf, len, MSG_DONTWAIT);
}

static void features_and_config(void)
{
	struct virtio_dev *d;
	uint8_t mac[6], b[12];
	uint32_t f0;

	ram_setup();
	d = make_dev();
	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(virtio_device_id(d), VIRTIO_ID_NET);
	CHECK_EQ(virtio_num_queues(d), 2);
	CHECK_EQ(virtio_queue_max_size(d, 0), VIRTIO_NET_QUEUE_SIZE);
	CHECK_EQ(virtio_get_device_features(d, 1), 1); /* VERSION_1 */
	f0 = virtio_get_device_features(d, 0);
	CHECK(f0 & 1u << VIRTIO_NET_F_MAC);
	CHECK(f0 & 1u << VIRTIO_NET_F_STATUS);
	CHECK(f0 & 1u << VIRTIO_NET_F_MTU);
	CHECK(f0 & 1u << VIRTIO_NET_F_MRG_RXBUF);
	/* No offloads, no control queue, no multiqueue. */
	CHECK(!(f0 & (1u << 0 | 1u << 1 | 1u << 7 | 1u << 11 | 1u << 17 |
		      1u << 22)));
	net_default_mac("net0", mac);
	for (uint32_t i = 0; i < 6; i++) {
		virtio_config_read(d, i, b, 1);
		CHECK_EQ(b[0], mac[i]);
	}
	virtio_config_read(d, 0, b, 12);
	CHECK(!memcmp(b, mac, 6));
	CHECK_EQ(get_le16(b + 6), VIRTIO_NET_S_LINK_UP);
	CHECK_EQ(get_le16(b + 8), 1);
	CHECK_EQ(get_le16(b + 10), VIRTIO_NET_MTU);
	/* Writes ignored; beyond the end reads 0. */
	virtio_config_write(d, 0, "\1\2\3\4\5\6", 6);
	virtio_config_read(d, 0, b, 6);
	CHECK(!memcmp(b, mac, 6));
	memset(b, 0xff, 4);
	virtio_config_read(d, 12, b, 4);
	CHECK_EQ(get_le32(b), 0);
	{
		uint8_t got[6];

		virtio_net_get_mac(d, got);
		CHECK(!memcmp(got, mac, 6));
	}
	/* Link down and up: status and a config interrupt each. */
	virtio_set_transport(d, &nt_transport, NULL);
	atomic_store(&nt_config_irqs, 0);
	{
		uint8_t gen = virtio_config_generation(d);

		virtio_net_set_link(d, false);
		virtio_config_read(d, 6, b, 2);
		CHECK_EQ(get_le16(b), 0);
		CHECK_EQ(atomic_load(&nt_config_irqs), 1);
		CHECK(virtio_config_generation(d) != gen);
		virtio_net_set_link(d, false); /* no change, no interrupt */
		CHECK_EQ(atomic_load(&nt_config_irqs), 1);
		virtio_net_set_link(d, true);
		virtio_config_read(d, 6, b, 2);
		CHECK_EQ(get_le16(b), VIRTIO_NET_S_LINK_UP);
		CHECK_EQ(atomic_load(&nt_config_irqs), 2);
	}
	close_dev(d);
}

/* Guest to backend: the header is stripped however the chain is split. */
static void transmit(void)
{
	struct virtio_dev *d;
	struct vq_driver rx, tx;
	uint8_t frame[200], got[300];
	uint32_t id, len;
	struct virtio_net_stats st;

	d = open_dev(&rx, &tx, F_BASE);
	CHECK(d);
	if (!d)
		return;
	atomic_store(&nt_irqs[1], 0);
	/* Header and frame in one buffer. */
	make_frame(frame, 60, 1);
	memset(host(TXBUF), 0, 12);
	memcpy(host(TXBUF + 12), frame, 60);
	vqd_desc(&tx, 0, TXBUF, 72, 0, 0);
	vqd_publish(&tx, 0);
	virtio_queue_notify(d, VIRTIO_NET_TXQ);
	CHECK_EQ(peer_recv(got, sizeof(got), 1000), 60);
	CHECK(!memcmp(got, frame, 60));
	CHECK(vqd_get_used(&tx, &id, &len));
	CHECK(id == 0 && len == 0);
	CHECK(wait_irqs(1, 1, 2000));
	CHECK_EQ(atomic_load(&nt_irqs[1]), 1);
	/* The header split 5 + 7, the frame over three buffers. */
	make_frame(frame, 200, 2);
	memset(host(TXBUF), 0, 12);
	memcpy(host(TXBUF + 0x100), frame, 200);
	vqd_desc(&tx, 1, TXBUF, 5, VIRTQ_DESC_F_NEXT, 2);
	vqd_desc(&tx, 2, TXBUF + 5, 7, VIRTQ_DESC_F_NEXT, 3);
	vqd_desc(&tx, 3, TXBUF + 0x100, 50, VIRTQ_DESC_F_NEXT, 4);
	vqd_desc(&tx, 4, TXBUF + 0x100 + 50, 100, VIRTQ_DESC_F_NEXT, 5);
	vqd_desc(&tx, 5, TXBUF + 0x100 + 150, 50, 0, 0);
	vqd_publish(&tx, 1);
	/* And the header with the first frame bytes in one buffer. */
	memset(host(TXBUF + 0x400), 0, 12);
	memcpy(host(TXBUF + 0x400 + 12), frame, 20);
	memcpy(host(TXBUF + 0x500), frame + 20, 180);
	vqd_desc(&tx, 6, TXBUF + 0x400, 32, VIRTQ_DESC_F_NEXT, 7);
	vqd_desc(&tx, 7, TXBUF + 0x500, 180, 0, 0);
	vqd_publish(&tx, 6);
	virtio_queue_notify(d, VIRTIO_NET_TXQ);
	CHECK_EQ(peer_recv(got, sizeof(got), 1000), 200);
	CHECK(!memcmp(got, frame, 200));
	CHECK_EQ(peer_recv(got, sizeof(got), 1000), 200);
	CHECK(!memcmp(got, frame, 200));
	CHECK(vqd_get_used(&tx, &id, &len) && id == 1 && len == 0);
	CHECK(vqd_get_used(&tx, &id, &len) && id == 6 && len == 0);
	/* Runts (shorter than an Ethernet header) are dropped, but the
	 * buffer comes back. */
	memset(host(TXBUF), 0, 12 + 10);
	vqd_desc(&tx, 0, TXBUF, 22, 0, 0);
	vqd_publish(&tx, 0);
	virtio_queue_notify(d, VIRTIO_NET_TXQ);
	CHECK(vqd_get_used(&tx, &id, &len) && id == 0);
	CHECK_EQ(peer_recv(got, sizeof(got), 50), -1);
	virtio_net_get_stats(d, &st);
	CHECK_EQ(st.tx_frames, 3);
	CHECK_EQ(st.tx_dropped, 1);
	CHECK(!(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
	close_dev(d);
}

/* Backend to guest without MRG_RXBUF: a zero header with num_buffers 1. */
static void receive(void)
{
	struct virtio_dev *d;
	struct vq_driver rx, tx;
	uint8_t frame[1514], hdr0[12] = {0};
	uint32_t id = 99, len = 0;
	struct virtio_net_stats st;

	d = open_dev(&rx, &tx, F_BASE);
	CHECK(d);
	if (!d)
		return;
	atomic_store(&nt_irqs[0], 0);
	post_rx(&rx, 0, 1526);
	post_rx(&rx, 1, 1526);
	virtio_queue_notify(d, VIRTIO_NET_RXQ);
	make_frame(frame, 1514, 3);
	CHECK(peer_send(frame, 1514));
	CHECK(wait_used(&rx, 1, 2000));
	CHECK(vqd_get_used(&rx, &id, &len));
	CHECK(id == 0 && len == 1526);
	put_le16(hdr0 + 10, 1);
	CHECK(!memcmp(host(RXBUF), hdr0, 12));
	CHECK(!memcmp(host(RXBUF + 12), frame, 1514));
	CHECK(wait_irqs(0, 1, 2000));
	/* A short frame: used length is header + frame. */
	make_frame(frame, 60, 4);
	CHECK(peer_send(frame, 60));
	CHECK(wait_used(&rx, 2, 2000));
	CHECK(vqd_get_used(&rx, &id, &len));
	CHECK(id == 1 && len == 72);
	CHECK(!memcmp(host(RXBUF + 0x1000 + 12), frame, 60));
	CHECK_EQ(host(RXBUF + 0x1000)[72], 0xee);
	/* A frame longer than the buffer is dropped; the buffer is kept and
	 * takes the next frame. */
	post_rx(&rx, 2, 100);
	virtio_queue_notify(d, VIRTIO_NET_RXQ);
	make_frame(frame, 200, 5);
	CHECK(peer_send(frame, 200));
	make_frame(frame, 80, 6);
	CHECK(peer_send(frame, 80));
	CHECK(wait_used(&rx, 3, 2000));
	CHECK(vqd_get_used(&rx, &id, &len));
	CHECK(id == 2 && len == 92);
	CHECK(!memcmp(host(RXBUF + 0x2000 + 12), frame, 80));
	virtio_net_get_stats(d, &st);
	CHECK_EQ(st.rx_frames, 3);
	CHECK_EQ(st.rx_dropped, 1);
	close_dev(d);
}

/* No receive buffers: frames wait (in order) until the guest kicks. */
static void rx_exhaustion_and_kick(void)
{
	struct virtio_dev *d;
	struct vq_driver rx, tx;
	uint8_t frame[100];
	uint32_t id, len;
	bool ok = true;

	d = open_dev(&rx, &tx, F_BASE);
	CHECK(d);
	if (!d)
		return;
	post_rx(&rx, 0, 1526);
	post_rx(&rx, 1, 1526);
	virtio_queue_notify(d, VIRTIO_NET_RXQ);
	for (uint8_t i = 0; i < 5; i++) {
		make_frame(frame, 100, i);
		CHECK(peer_send(frame, 100));
	}
	CHECK(wait_used(&rx, 2, 2000));
	sleep_ms(100);
	CHECK_EQ(vqd_used_idx(&rx), 2); /* nothing more without buffers */
	for (uint16_t i = 2; i < 5; i++)
		post_rx(&rx, i, 1526);
	virtio_queue_notify(d, VIRTIO_NET_RXQ);
	CHECK(wait_used(&rx, 5, 2000));
	for (uint8_t i = 0; i < 5; i++) {
		ok &= vqd_get_used(&rx, &id, &len) && id == i && len == 112;
		make_frame(frame, 100, i);
		ok &= !memcmp(host(RXBUF + 0x1000ULL * i + 12), frame, 100);
	}
	CHECK(ok);
	/* Many frames while the ring is empty: the device stops reading
	 * the backend; none is lost up to the socket's own buffer. */
	for (uint8_t i = 0; i < 40; i++) {
		make_frame(frame, 100, i);
		CHECK(peer_send(frame, 100));
	}
	sleep_ms(100);
	for (uint16_t r = 0; r < 40; r += 8) {
		for (uint16_t i = 0; i < 8; i++)
			post_rx(&rx, i, 1526);
		virtio_queue_notify(d, VIRTIO_NET_RXQ);
		CHECK(wait_used(&rx, (uint16_t)(5 + r + 8), 2000));
		for (uint16_t i = 0; i < 8; i++) {
			ok &= vqd_get_used(&rx, &id, &len) && id == i;
			make_frame(frame, 100, (uint8_t)(r + i));
			ok &= !memcmp(host(RXBUF + 0x1000ULL * i + 12), frame,
				      100);
		}
	}
	CHECK(ok);
	close_dev(d);
}

/* MRG_RXBUF: a frame over several small buffers, published together. */
static void mergeable(void)
{
	struct virtio_dev *d;
	struct vq_driver rx, tx;
	uint8_t frame[200], whole[212];
	uint32_t id, len;
	uint32_t want[4] = {64, 64, 64, 20};
	bool ok = true;

	d = open_dev(&rx, &tx, F_MRG);
	CHECK(d);
	if (!d)
		return;
	post_rx(&rx, 0, 64);
	post_rx(&rx, 1, 64);
	virtio_queue_notify(d, VIRTIO_NET_RXQ);
	make_frame(frame, 200, 7);
	CHECK(peer_send(frame, 200));
	sleep_ms(100);
	CHECK_EQ(vqd_used_idx(&rx), 0); /* half a frame is never visible */
	post_rx(&rx, 2, 64);
	post_rx(&rx, 3, 64);
	virtio_queue_notify(d, VIRTIO_NET_RXQ);
	CHECK(wait_used(&rx, 4, 2000));
	for (uint16_t i = 0; i < 4; i++) {
		ok &= vqd_get_used(&rx, &id, &len) && id == i && len == want[i];
		memcpy(whole + 64 * i, host(RXBUF + 0x1000ULL * i), want[i]);
	}
	CHECK(ok);
	CHECK_EQ(get_le16(whole + 10), 4); /* num_buffers */
	CHECK_EQ(get_le16(whole + 0), 0);
	CHECK_EQ(get_le32(whole + 4), 0);
	CHECK(!memcmp(whole + 12, frame, 200));
	/* A frame that fits one buffer: num_buffers 1. */
	post_rx(&rx, 4, 2048);
	virtio_queue_notify(d, VIRTIO_NET_RXQ);
	make_frame(frame, 100, 8);
	CHECK(peer_send(frame, 100));
	CHECK(wait_used(&rx, 5, 2000));
	CHECK(vqd_get_used(&rx, &id, &len) && id == 4 && len == 112);
	CHECK_EQ(get_le16(host(RXBUF + 0x4000) + 10), 1);
	CHECK(!memcmp(host(RXBUF + 0x4000 + 12), frame, 100));
	close_dev(d);
}

static void expect_needs_reset(struct virtio_dev *d, bool yes)
{
	CHECK_EQ(!!(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET),
		 yes);
}

static bool wait_needs_reset(struct virtio_dev *d)
{
	for (int t = 0; t < 2000; t++) {
		if (virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
			return true;
		sleep_ms(1);
	}
	return false;
}

static void malformed(void)
{
	struct virtio_dev *d;
	struct vq_driver rx, tx;
	uint8_t frame[100];
	uint32_t id, len;

	d = open_dev(&rx, &tx, F_BASE);
	CHECK(d);
	if (!d)
		return;
	/* A transmit chain with a device-writable buffer. */
	vqd_desc(&tx, 0, TXBUF, 72, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(&tx, 1, TXBUF + 0x100, 10, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&tx, 0);
	virtio_queue_notify(d, VIRTIO_NET_TXQ);
	expect_needs_reset(d, true);
	CHECK(!vqd_get_used(&tx, &id, &len));
	/* A transmit chain shorter than the header. */
	CHECK(driver_init(d, &rx, &tx, F_BASE));
	expect_needs_reset(d, false);
	vqd_desc(&tx, 0, TXBUF, 11, 0, 0);
	vqd_publish(&tx, 0);
	virtio_queue_notify(d, VIRTIO_NET_TXQ);
	expect_needs_reset(d, true);
	/* A receive chain with a device-readable buffer. */
	CHECK(driver_init(d, &rx, &tx, F_BASE));
	vqd_desc(&rx, 0, RXBUF, 100, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(&rx, 1, RXBUF + 0x100, 1526, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&rx, 0);
	virtio_queue_notify(d, VIRTIO_NET_RXQ);
	make_frame(frame, 100, 1);
	CHECK(peer_send(frame, 100));
	CHECK(wait_needs_reset(d));
	CHECK_EQ(vqd_used_idx(&rx), 0);
	/* A receive buffer too small for the header (mergeable too). */
	CHECK(driver_init(d, &rx, &tx, F_MRG));
	post_rx(&rx, 0, 11);
	virtio_queue_notify(d, VIRTIO_NET_RXQ);
	CHECK(peer_send(frame, 100));
	CHECK(wait_needs_reset(d));
	/* A ring address outside RAM. */
	CHECK(driver_init(d, &rx, &tx, F_BASE));
	virtio_set_status(d, 0);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_set_driver_features(d, 1, 1);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	virtio_queue_set_desc(d, 0, RAM_BASE + RAM_SIZE - 16);
	virtio_queue_set_ready(d, 0, true);
	expect_needs_reset(d, true);
	/* After all that, a clean start works both ways. */
	CHECK(driver_init(d, &rx, &tx, F_BASE));
	expect_needs_reset(d, false);
	post_rx(&rx, 0, 1526);
	virtio_queue_notify(d, VIRTIO_NET_RXQ);
	make_frame(frame, 100, 9);
	CHECK(peer_send(frame, 100));
	CHECK(wait_used(&rx, 1, 2000));
	CHECK(!memcmp(host(RXBUF + 12), frame, 100));
	close_dev(d);
}

/* Frames while the driver is not running, or the link is down, are
 * dropped; a reset forgets frames not yet delivered. */
static void drops_and_reset(void)
{
	struct virtio_dev *d;
	struct vq_driver rx, tx;
	uint8_t frame[100], got[200];
	struct virtio_net_stats st;

	ram_setup();
	d = make_dev();
	CHECK(d);
	if (!d)
		return;
	make_frame(frame, 100, 1);
	CHECK(peer_send(frame, 100));
	for (int t = 0; t < 2000; t++) {
		virtio_net_get_stats(d, &st);
		if (st.rx_dropped)
			break;
		sleep_ms(1);
	}
	CHECK_EQ(st.rx_dropped, 1);
	CHECK(driver_init(d, &rx, &tx, F_BASE));
	/* Queued with no buffers, then reset: gone. */
	CHECK(peer_send(frame, 100));
	sleep_ms(50);
	CHECK(driver_init(d, &rx, &tx, F_BASE));
	post_rx(&rx, 0, 1526);
	virtio_queue_notify(d, VIRTIO_NET_RXQ);
	sleep_ms(50);
	CHECK_EQ(vqd_used_idx(&rx), 0);
	/* Link down: nothing either way. */
	virtio_net_set_link(d, false);
	CHECK(peer_send(frame, 100));
	sleep_ms(50);
	CHECK_EQ(vqd_used_idx(&rx), 0);
	memset(host(TXBUF), 0, 12);
	memcpy(host(TXBUF + 12), frame, 60);
	vqd_desc(&tx, 0, TXBUF, 72, 0, 0);
	vqd_publish(&tx, 0);
	virtio_queue_notify(d, VIRTIO_NET_TXQ);
	CHECK_EQ(vqd_used_idx(&tx), 1);
	CHECK_EQ(peer_recv(got, sizeof(got), 50), -1);
	virtio_net_set_link(d, true);
	CHECK(peer_send(frame, 100));
	CHECK(wait_used(&rx, 1, 2000));
	close_dev(d);
}

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	if (!dir)
		return -1;
	while (readdir(dir))
		n++;
	closedir(dir);
	return n;
}

/* Create and destroy ten times, traffic in flight: no fd left behind. */
static void teardown(void)
{
	int before = count_fds();
	uint8_t frame[100];

	for (int i = 0; i < 10; i++) {
		struct vq_driver rx, tx;
		struct virtio_dev *d = open_dev(&rx, &tx, F_MRG);

		CHECK(d);
		if (!d)
			return;
		post_rx(&rx, 0, 1526);
		virtio_queue_notify(d, VIRTIO_NET_RXQ);
		make_frame(frame, 100, (uint8_t)i);
		for (int k = 0; k < 5; k++)
			peer_send(frame, 100);
		if (i & 1)
			sleep_ms(5);
		close_dev(d);
	}
	CHECK_EQ(count_fds(), before);
	/* A peer that goes away does not make the thread spin or die. */
	{
		struct vq_driver rx, tx;
		struct virtio_dev *d = open_dev(&rx, &tx, F_BASE);

		CHECK(d);
		if (!d)
			return;
		close(nt_peer);
		nt_peer = -1;
		sleep_ms(20);
		close_dev(d);
	}
	CHECK_EQ(count_fds(), before);
	/* Creation errors. */
	{
		struct virtio_net_config cfg = {.id = "netx"};

		CHECK(!virtio_net_create(&cfg, &nt_mem));
	}
}

static void mac_parsing(void)
{
	uint8_t m[6], a[6], b[6];

	CHECK(net_parse_mac("52:54:00:12:34:56", m));
	CHECK(!memcmp(m, "\x52\x54\x00\x12\x34\x56", 6));
	CHECK(net_parse_mac("02-AB-cd-ef-01-23", m));
	CHECK(!memcmp(m, "\x02\xab\xcd\xef\x01\x23", 6));
	CHECK(!net_parse_mac("01:00:5e:00:00:01", m)); /* multicast */
	CHECK(!net_parse_mac("00:00:00:00:00:00", m));
	CHECK(!net_parse_mac("52:54:00:12:34", m));
	CHECK(!net_parse_mac("52:54:00:12:34:56:78", m));
	CHECK(!net_parse_mac("52:54:00:12:34:5", m));
	CHECK(!net_parse_mac("5254.0012.3456", m));
	CHECK(!net_parse_mac("", m));
	net_default_mac("net0", a);
	net_default_mac("net0", b);
	CHECK(!memcmp(a, b, 6));
	CHECK(a[0] == 0x02 && a[1] == 0x61 && a[2] == 0x72);
	net_default_mac("net1", b);
	CHECK(memcmp(a, b, 6) != 0);
}

static void hostfwd_parsing(void)
{
	struct net_hostfwd f;

	CHECK(net_parse_hostfwd("tcp::8080-:80", &f));
	CHECK(!f.udp && f.host_port == 8080 && f.guest_port == 80);
	CHECK(f.host_addr.s_addr == 0 && f.guest_addr.s_addr == 0);
	CHECK(net_parse_hostfwd("udp:127.0.0.1:5353-10.0.2.20:53", &f));
	CHECK(f.udp && f.host_port == 5353 && f.guest_port == 53);
	CHECK(f.host_addr.s_addr == htonl(0x7f000001));
	CHECK(f.guest_addr.s_addr == htonl(0x0a000214));
	CHECK(net_parse_hostfwd("::2222-:22", &f)); /* tcp by default */
	CHECK(!f.udp && f.host_port == 2222 && f.guest_port == 22);
	CHECK(!net_parse_hostfwd("tcp::8080", &f));
	CHECK(!net_parse_hostfwd("tcp::0-:80", &f));
	CHECK(!net_parse_hostfwd("tcp::65536-:80", &f));
	CHECK(!net_parse_hostfwd("sctp::1-:2", &f));
	CHECK(!net_parse_hostfwd("tcp:300.1.1.1:1-:2", &f));
	CHECK(!net_parse_hostfwd("tcp::1-:2x", &f));
	CHECK(!net_parse_hostfwd("tcp::-:2", &f));
	CHECK(!net_parse_hostfwd("", &f));
}

/* Internet checksum of len bytes. */
static uint16_t ip_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* A DHCPDISCOVER from mac: Ethernet, IPv4, UDP 68 -> 67, BOOTP with the
 * full 312-byte options field. Returns the frame length. */
static size_t dhcp_discover(uint8_t *f, const uint8_t mac[6])
{
	const size_t bootp = 236 + 312, udp = 8 + bootp, ip = 20 + udp;
	uint8_t *iph = f + 14, *udph = iph + 20, *b = udph + 8;

	memset(f, 0, 14 + ip);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	put_be16(f + 12, 0x0800);
	iph[0] = 0x45;
	put_be16(iph + 2, (uint16_t)ip);
	iph[8] = 64;
	iph[9] = 17;
	memset(iph + 16, 0xff, 4);
	put_be16(iph + 10, ip_csum(iph, 20));
	put_be16(udph, 68);
	put_be16(udph + 2, 67);
	put_be16(udph + 4, (uint16_t)udp);
	b[0] = 1; /* BOOTREQUEST */
	b[1] = 1;
	b[2] = 6;
	memcpy(b + 4, "\x12\x34\x56\x78", 4); /* xid */
	put_be16(b + 10, 0x8000);	      /* broadcast */
	memcpy(b + 28, mac, 6);
	memcpy(b + 236, "\x63\x82\x53\x63", 4); /* magic cookie */
	memcpy(b + 240, "\x35\x01\x01\xff", 4); /* DISCOVER, end */
	return 14 + ip;
}

/* Is this frame a DHCP offer for xid 0x12345678 of 10.0.2.15? */
static bool is_dhcp_offer(const uint8_t *f, size_t len)
{
	const uint8_t *iph = f + 14, *udph, *b;

	if (len < 14 + 20 + 8 + 240 || get_be16(f + 12) != 0x0800 ||
	    iph[9] != 17)
		return false;
	udph = iph + 4 * (iph[0] & 15);
	b = udph + 8;
	if (get_be16(udph) != 67 || get_be16(udph + 2) != 68 || b[0] != 2 ||
	    memcmp(b + 4, "\x12\x34\x56\x78", 4) ||
	    memcmp(b + 16, "\x0a\x00\x02\x0f", 4))
		return false;
	/* Option 53 (message type) is 2, OFFER. */
	for (size_t o = 240; b + o + 2 <= f + len && b[o] != 255;) {
		if (b[o] == 0) {
			o++;
			continue;
		}
		if (b[o] == 53)
			return b[o + 2] == 2;
		o += 2u + b[o + 1];
	}
	return false;
}

/* libslirp answers a DHCP discover with an offer of 10.0.2.15: proves the
 * integration (poll loop, timers, frames both ways) without privileges. */
static void slirp_dhcp(void)
{
	struct virtio_net_config cfg = {.id = "user0"};
	struct virtio_dev *d;
	struct vq_driver rx, tx;
	uint8_t frame[1024];
	bool offered = false;
	size_t len;

	ram_setup();
	net_default_mac("user0", cfg.mac);
	cfg.backend = net_slirp_create(NULL, 0, false);
	CHECK(cfg.backend);
	if (!cfg.backend)
		return;
	d = virtio_net_create(&cfg, &nt_mem);
	CHECK(d);
	if (!d)
		return;
	CHECK(driver_init(d, &rx, &tx, F_MRG));
	for (uint16_t i = 0; i < 8; i++)
		post_rx(&rx, i, 2048);
	virtio_queue_notify(d, VIRTIO_NET_RXQ);
	len = dhcp_discover(frame, cfg.mac);
	memset(host(TXBUF), 0, 12);
	memcpy(host(TXBUF + 12), frame, len);
	vqd_desc(&tx, 0, TXBUF, (uint32_t)(12 + len), 0, 0);
	vqd_publish(&tx, 0);
	virtio_queue_notify(d, VIRTIO_NET_TXQ);
	for (int t = 0; t < 3000 && !offered; t++) {
		uint32_t id, ulen;

		while (!offered && vqd_get_used(&rx, &id, &ulen)) {
			if (id < 8 && ulen > 12 && ulen <= 2048)
				offered = is_dhcp_offer(
				    host(RXBUF + 0x1000ULL * id + 12),
				    ulen - 12);
		}
		if (!offered)
			sleep_ms(1);
	}
	CHECK(offered);
	CHECK(wait_used(&tx, 1, 2000)); /* the transmit buffer came back */
	virtio_destroy(d);
}

/* hostfwd: listening works; a port in use is a one-line error. */
static void slirp_hostfwd(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	struct net_hostfwd f;
	struct net_backend *b;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int before = count_fds();
	char spec[64];

	a.sin_addr.s_addr = htonl(0x7f000001);
	CHECK(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	      listen(s, 1) == 0 &&
	      getsockname(s, (struct sockaddr *)&a, &alen) == 0);
	snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%u-:22", ntohs(a.sin_port));
	CHECK(net_parse_hostfwd(spec, &f));
	CHECK(!net_slirp_create(&f, 1, false)); /* in use */
	close(s);
	before = count_fds();
	b = net_slirp_create(&f, 1, false); /* free now */
	CHECK(b);
	if (b)
		b->ops->destroy(b);
	CHECK_EQ(count_fds(), before);
}

/* A TCP SYN from the guest (10.0.2.15:40000) to the host 10.0.2.2:port.
 * Returns the frame length. */
static size_t tcp_syn(uint8_t *f, const uint8_t mac[6], uint16_t port)
{
	uint8_t *iph = f + 14, *tcph = iph + 20, pseudo[12 + 20];

	memset(f, 0, 14 + 40);
	memcpy(f, "\x52\x55\x0a\x00\x02\x02", 6); /* libslirp's MAC */
	memcpy(f + 6, mac, 6);
	put_be16(f + 12, 0x0800);
	iph[0] = 0x45;
	put_be16(iph + 2, 40);
	iph[8] = 64;
	iph[9] = 6;
	memcpy(iph + 12, "\x0a\x00\x02\x0f", 4);
	memcpy(iph + 16, "\x0a\x00\x02\x02", 4);
	put_be16(iph + 10, ip_csum(iph, 20));
	put_be16(tcph, 40000);
	put_be16(tcph + 2, port);
	tcph[7] = 1;	   /* sequence number */
	tcph[12] = 5 << 4; /* header length */
	tcph[13] = 0x02;   /* SYN */
	put_be16(tcph + 14, 65535);
	/* Checksum over the pseudo header (addresses, protocol, length). */
	memcpy(pseudo, iph + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put_be16(pseudo + 10, 20);
	memcpy(pseudo + 12, tcph, 20);
	put_be16(tcph + 16, ip_csum(pseudo, sizeof(pseudo)));
	return 14 + 40;
}

/* Does the guest's SYN to 10.0.2.2:port reach a listener on the host's
 * 127.0.0.1:port? */
static bool reaches_host_loopback(bool host_loopback)
{
	struct virtio_net_config cfg = {.id = "user1"};
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	struct vq_driver rx, tx;
	struct virtio_dev *d;
	uint8_t frame[128];
	bool reached = false;
	size_t len;
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(0x7f000001);
	CHECK(ls >= 0 && bind(ls, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	      listen(ls, 1) == 0 &&
	      getsockname(ls, (struct sockaddr *)&a, &alen) == 0);
	ram_setup();
	net_default_mac("user1", cfg.mac);
	cfg.backend = net_slirp_create(NULL, 0, host_loopback);
	CHECK(cfg.backend);
	d = cfg.backend ? virtio_net_create(&cfg, &nt_mem) : NULL;
	CHECK(d);
	if (!d) {
		close(ls);
		return false;
	}
	CHECK(driver_init(d, &rx, &tx, F_MRG));
	for (uint16_t i = 0; i < 8; i++)
		post_rx(&rx, i, 2048);
	virtio_queue_notify(d, VIRTIO_NET_RXQ);
	len = tcp_syn(frame, cfg.mac, ntohs(a.sin_port));
	memset(host(TXBUF), 0, 12);
	memcpy(host(TXBUF + 12), frame, len);
	vqd_desc(&tx, 0, TXBUF, (uint32_t)(12 + len), 0, 0);
	vqd_publish(&tx, 0);
	virtio_queue_notify(d, VIRTIO_NET_TXQ);
	/* libslirp connects at once when it may: 2 s is plenty. */
	for (int t = 0; t < 2000 && !reached; t++) {
		int c = accept(ls, NULL, NULL);

		if (c >= 0) {
			reached = true;
			close(c);
		} else {
			sleep_ms(1);
		}
	}
	CHECK(wait_used(&tx, 1, 2000));
	virtio_destroy(d);
	close(ls);
	return reached;
}

/* The host's loopback services are out of the guest's reach unless the
 * user asks (issue 11); the same SYN does reach them with host_loopback,
 * so the first check is not passing for want of a working packet. */
static void slirp_host_loopback(void)
{
	CHECK(!reaches_host_loopback(false));
	CHECK(reaches_host_loopback(true));
}

/* TAP: bad names are refused; with the privilege (root here, or a TAP
 * owned by the user) a frame reaches an interface brought up. */
static void tap_backend(void)
{
	struct virtio_net_config cfg = {.id = "tap"};
	struct vq_driver rx, tx;
	struct virtio_net_stats st;
	struct virtio_dev *d;
	struct ifreq ifr;
	char name[IFNAMSIZ];
	int before = count_fds(), s;
	uint8_t frame[60];

	CHECK(!net_tap_create(""));
	CHECK(!net_tap_create("a-name-far-too-long-for-linux"));
	CHECK(!net_tap_create("../x"));
	CHECK_EQ(count_fds(), before);
	snprintf(name, sizeof(name), "armvmt%d", (int)(getpid() % 100000));
	cfg.backend = net_tap_create(name);
	if (!cfg.backend)
		return; /* no /dev/net/tun or no privilege: nothing more */
	ram_setup();
	net_default_mac("tap", cfg.mac);
	d = virtio_net_create(&cfg, &nt_mem);
	CHECK(d);
	if (!d)
		return;
	CHECK(driver_init(d, &rx, &tx, F_BASE));
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	ifr.ifr_flags = IFF_UP;
	if (s >= 0 && ioctl(s, SIOCSIFFLAGS, &ifr) == 0) {
		make_frame(frame, 60, 1);
		memset(host(TXBUF), 0, 12);
		memcpy(host(TXBUF + 12), frame, 60);
		vqd_desc(&tx, 0, TXBUF, 72, 0, 0);
		vqd_publish(&tx, 0);
		virtio_queue_notify(d, VIRTIO_NET_TXQ);
		virtio_net_get_stats(d, &st);
		CHECK_EQ(st.tx_frames, 1);
	}
	if (s >= 0)
		close(s);
	virtio_destroy(d); /* the interface goes with its last fd */
	CHECK_EQ(count_fds(), before);
}

/* A virtio_net_hdr_v1. */
static void make_hdr(uint8_t *h, uint8_t flags, uint8_t gso, uint16_t hdr_len,
		     uint16_t gso_size, uint16_t csum_start,
		     uint16_t csum_offset)
{
	h[0] = flags;
	h[1] = gso;
	put_le16(h + 2, hdr_len);
	put_le16(h + 4, gso_size);
	put_le16(h + 6, csum_start);
	put_le16(h + 8, csum_offset);
	put_le16(h + 10, 0);
}

/* Send one transmit chain (header + frame in one buffer). */
static void send_tx(struct virtio_dev *d, struct vq_driver *tx, uint16_t i,
		    const uint8_t *hdr, const uint8_t *frame, uint32_t len)
{
	uint64_t at = TXBUF + 0x1000ULL * i;

	memcpy(host(at), hdr, 12);
	memcpy(host(at + 12), frame, len);
	vqd_desc(tx, i, at, 12 + len, 0, 0);
	vqd_publish(tx, i);
	virtio_queue_notify(d, VIRTIO_NET_TXQ);
}

/*
 * Offloads with a vnet_hdr backend (TAP): offered only there; checked
 * headers pass through both ways; one the driver did not negotiate (or may
 * not send) drops the frame, not the device.
 */
static void offloads(void)
{
	const uint64_t f_off = F_MRG | 1ULL << VIRTIO_NET_F_CSUM |
			       1ULL << VIRTIO_NET_F_GUEST_CSUM |
			       1ULL << VIRTIO_NET_F_HOST_TSO4 |
			       1ULL << VIRTIO_NET_F_GUEST_TSO4;
	struct virtio_dev *d;
	struct vq_driver rx, tx;
	struct virtio_net_stats st;
	uint8_t frame[400], hdr[12], got[600];
	uint32_t id, len;
	uint32_t f0;

	/* Offered with a vnet_hdr backend only. */
	ram_setup();
	d = make_dev_hdr(false);
	CHECK(d);
	if (d) {
		f0 = virtio_get_device_features(d, 0);
		CHECK(!(f0 & (uint32_t)VIRTIO_NET_OFFLOAD_FEATURES));
		close_dev(d);
	}
	d = make_dev_hdr(true);
	CHECK(d);
	if (d) {
		f0 = virtio_get_device_features(d, 0);
		CHECK_EQ(f0 & (uint32_t)VIRTIO_NET_OFFLOAD_FEATURES,
			 (uint32_t)VIRTIO_NET_OFFLOAD_FEATURES);
		close_dev(d);
	}

	d = open_dev_hdr(&rx, &tx, f_off, true);
	CHECK(d);
	if (!d)
		return;
	/* Transmit: a TSO frame with a partial checksum goes to the backend
	 * with its header (num_buffers zeroed). */
	make_frame(frame, 400, 9);
	make_hdr(hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54,
		 100, 34, 16);
	put_le16(hdr + 10, 7);
	send_tx(d, &tx, 0, hdr, frame, 400);
	CHECK_EQ(peer_recv(got, sizeof(got), 1000), 412);
	put_le16(hdr + 10, 0);
	CHECK(!memcmp(got, hdr, 12));
	CHECK(!memcmp(got + 12, frame, 400));
	/* Not negotiated or not for transmit: dropped, buffer returned. */
	make_hdr(hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, 74,
		 100, 54, 16); /* no HOST_TSO6 */
	send_tx(d, &tx, 1, hdr, frame, 400);
	make_hdr(hdr, VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 0);
	send_tx(d, &tx, 2, hdr, frame, 400);
	make_hdr(hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 390, 16);
	send_tx(d, &tx, 3, hdr, frame, 400); /* checksum beyond the frame */
	make_hdr(hdr, 0, VIRTIO_NET_HDR_GSO_TCPV4, 54, 100, 0, 0);
	send_tx(d, &tx, 4, hdr, frame, 400); /* GSO without a checksum */
	make_hdr(hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM,
		 VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 54, 100, 34,
		 16); /* no HOST_ECN */
	send_tx(d, &tx, 5, hdr, frame, 400);
	CHECK_EQ(peer_recv(got, sizeof(got), 50), -1);
	for (uint16_t i = 0; i < 6; i++)
		CHECK(vqd_get_used(&tx, &id, &len) && id == i && len == 0);
	virtio_net_get_stats(d, &st);
	CHECK_EQ(st.tx_frames, 1);
	CHECK_EQ(st.tx_dropped, 5);

	/* Receive: the backend's header reaches the driver, num_buffers set
	 * by the device. */
	post_rx(&rx, 0, 2048);
	post_rx(&rx, 1, 2048);
	virtio_queue_notify(d, VIRTIO_NET_RXQ);
	make_hdr(got, VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID,
		 VIRTIO_NET_HDR_GSO_TCPV6, 74, 1440, 54, 16); /* no TSO6 */
	memcpy(got + 12, frame, 400);
	CHECK(peer_send(got, 412));
	make_hdr(got, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54,
		 1448, 34, 16);
	put_le16(got + 10, 9); /* the backend's num_buffers is ignored */
	CHECK(peer_send(got, 412));
	CHECK(wait_used(&rx, 1, 2000));
	CHECK(vqd_get_used(&rx, &id, &len) && id == 0 && len == 412);
	put_le16(got + 10, 1);
	CHECK(!memcmp(host(RXBUF), got, 412));
	virtio_net_get_stats(d, &st);
	CHECK_EQ(st.rx_frames, 1);
	CHECK_EQ(st.rx_dropped, 1);
	close_dev(d);

	/* A driver without GUEST_CSUM: DATA_VALID is cleared, a partial
	 * checksum dropped; a plain header still passes. */
	d = open_dev_hdr(&rx, &tx, F_MRG, true);
	CHECK(d);
	if (!d)
		return;
	post_rx(&rx, 0, 2048);
	virtio_queue_notify(d, VIRTIO_NET_RXQ);
	make_hdr(got, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34, 16);
	memcpy(got + 12, frame, 400);
	CHECK(peer_send(got, 412));
	make_hdr(got, VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 0);
	CHECK(peer_send(got, 412));
	CHECK(wait_used(&rx, 1, 2000));
	CHECK(vqd_get_used(&rx, &id, &len) && id == 0 && len == 412);
	CHECK_EQ(host(RXBUF)[0], 0);
	CHECK_EQ(get_le16(host(RXBUF) + 10), 1);
	CHECK(!memcmp(host(RXBUF + 12), frame, 400));
	virtio_net_get_stats(d, &st);
	CHECK_EQ(st.rx_dropped, 1);
	/* And its transmit header must be plain: NEEDS_CSUM needs CSUM. */
	make_hdr(hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34, 16);
	send_tx(d, &tx, 0, hdr, frame, 400);
	make_hdr(hdr, 0, 0, 0, 0, 0, 0);
	send_tx(d, &tx, 1, hdr, frame, 400);
	CHECK_EQ(peer_recv(got, sizeof(got), 1000), 412);
	CHECK(!memcmp(got, hdr, 12));
	virtio_net_get_stats(d, &st);
	CHECK_EQ(st.tx_dropped, 1);
	CHECK(!(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
	close_dev(d);
}

int main(void)
{
	check_suite = "virtio_net";
	RUN(features_and_config);
	RUN(transmit);
	RUN(receive);
	RUN(rx_exhaustion_and_kick);
	RUN(mergeable);
	RUN(offloads);
	RUN(malformed);
	RUN(drops_and_reset);
	RUN(teardown);
	RUN(mac_parsing);
	RUN(hostfwd_parsing);
	RUN(slirp_dhcp);
	RUN(slirp_hostfwd);
	RUN(slirp_host_loopback);
	RUN(tap_backend);
	free(nt_ram);
	return check_main_end();
}
