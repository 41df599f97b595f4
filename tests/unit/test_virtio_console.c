// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of virtio-console (virtio/console.c) over a socketpair and a
 * pipe: features and config space, output across buffers, input split
 * over small receive buffers, input waiting for buffers and for the driver,
 * output waiting for a full socket to drain, malformed chains, a peer that
 * leaves, attaching new fds, teardown without leaks.
 */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "tests/unit/check.h"
#include "virtio/console.h"
#include "virtio/virtq_driver.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x200000ULL
#define RX_DESC	 (RAM_BASE + 0x0000)
#define RX_AVAIL (RAM_BASE + 0x1000)
#define RX_USED	 (RAM_BASE + 0x2000)
#define TX_DESC	 (RAM_BASE + 0x3000)
#define TX_AVAIL (RAM_BASE + 0x4000)
#define TX_USED	 (RAM_BASE + 0x5000)
#define RXBUF	 (RAM_BASE + 0x8000) /* buffer i at RXBUF + 0x100 * i */
#define TXBUF	 (RAM_BASE + 0x10000)
#define BIG	 (RAM_BASE + 0x100000) /* 1 MiB for output backpressure */
#define QSIZE	 16

static uint8_t *ct_ram;
static struct guest_mem ct_mem;
static atomic_int ct_config_irqs;
static int ct_peer = -1;

static void ct_notify_queue(void *opaque, unsigned int q)
{
}

static void ct_notify_config(void *opaque)
{
	atomic_fetch_add(&ct_config_irqs, 1);
}

static const struct virtio_transport_ops ct_transport = {
    .notify_queue = ct_notify_queue,
    .notify_config = ct_notify_config,
};

static uint8_t *host(uint64_t gpa)
{
	return ct_ram + (gpa - RAM_BASE);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static bool wait_used(struct vq_driver *v, uint16_t want, int timeout_ms)
{
	for (int t = 0; t < timeout_ms && vqd_used_idx(v) != want; t++)
		sleep_ms(1);
	return vqd_used_idx(v) == want;
}

static void ram_setup(void)
{
	if (!ct_ram)
		ct_ram = malloc(RAM_SIZE);
	memset(ct_ram, 0, RAM_SIZE);
	ct_mem = (struct guest_mem){
	    .host = ct_ram, .base = RAM_BASE, .size = RAM_SIZE};
}

static void driver_start(struct virtio_dev *d)
{
	uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	virtio_set_transport(d, &ct_transport, NULL);
	virtio_set_status(d, 0);
	virtio_set_status(d, s);
	virtio_set_driver_features(d, 0, 1u << VIRTIO_CONSOLE_F_SIZE);
	virtio_set_driver_features(d, 1, 1);
	virtio_set_status(d, s | VIRTIO_STATUS_FEATURES_OK);
}

static bool driver_init(struct virtio_dev *d, struct vq_driver *rx,
			struct vq_driver *tx)
{
	uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		    VIRTIO_STATUS_FEATURES_OK;

	driver_start(d);
	if (!(virtio_get_status(d) & VIRTIO_STATUS_FEATURES_OK))
		return false;
	vqd_init(rx, &ct_mem, QSIZE, RX_DESC, RX_AVAIL, RX_USED);
	vqd_init(tx, &ct_mem, QSIZE, TX_DESC, TX_AVAIL, TX_USED);
	for (unsigned int q = 0; q < 2; q++) {
		virtio_queue_set_size(d, q, QSIZE);
		virtio_queue_set_desc(d, q, q ? TX_DESC : RX_DESC);
		virtio_queue_set_driver(d, q, q ? TX_AVAIL : RX_AVAIL);
		virtio_queue_set_device(d, q, q ? TX_USED : RX_USED);
		virtio_queue_set_ready(d, q, true);
	}
	virtio_set_status(d, s | VIRTIO_STATUS_DRIVER_OK);
	return true;
}

static struct virtio_dev *make_dev(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return NULL;
	ct_peer = sv[1];
	return virtio_console_create("hvc0", sv[0], sv[0], &ct_mem);
}

static struct virtio_dev *open_dev(struct vq_driver *rx, struct vq_driver *tx)
{
	struct virtio_dev *d;

	ram_setup();
	d = make_dev();
	if (d && !driver_init(d, rx, tx)) {
		virtio_destroy(d);
		d = NULL;
	}
	return d;
}

static void close_dev(struct virtio_dev *d)
{
	virtio_destroy(d);
	if (ct_peer >= 0)
		close(ct_peer);
	ct_peer = -1;
}

static void post_rx(struct vq_driver *rx, uint16_t i, uint32_t len)
{
	memset(host(RXBUF + 0x100ULL * i), 0, 0x100);
	vqd_desc(rx, i, RXBUF + 0x100ULL * i, len, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(rx, i);
}

/* Read exactly len bytes from the peer within a second. */
static bool peer_read(void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = {.fd = ct_peer, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, 1000) != 1)
			return false;
		r = read(ct_peer, (uint8_t *)buf + got, len - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

static void features_and_config(void)
{
	struct virtio_dev *d;
	uint8_t b[8];

	ram_setup();
	d = make_dev();
	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(virtio_device_id(d), VIRTIO_ID_CONSOLE);
	CHECK_EQ(virtio_num_queues(d), 2);
	CHECK_EQ(virtio_get_device_features(d, 0), 1u << VIRTIO_CONSOLE_F_SIZE);
	virtio_config_read(d, 0, b, 8);
	CHECK_EQ(get_le16(b), 0);
	CHECK_EQ(get_le16(b + 2), 0);
	CHECK_EQ(get_le32(b + 4), 1);
	virtio_set_transport(d, &ct_transport, NULL);
	atomic_store(&ct_config_irqs, 0);
	virtio_console_set_size(d, 132, 43);
	virtio_config_read(d, 0, b, 4);
	CHECK_EQ(get_le16(b), 132);
	CHECK_EQ(get_le16(b + 2), 43);
	CHECK_EQ(atomic_load(&ct_config_irqs), 1);
	virtio_console_set_size(d, 132, 43); /* unchanged: no interrupt */
	CHECK_EQ(atomic_load(&ct_config_irqs), 1);
	virtio_config_write(d, 0, "\1\1", 2); /* ignored */
	virtio_config_read(d, 0, b, 2);
	CHECK_EQ(get_le16(b), 132);
	close_dev(d);
}

static void output(void)
{
	struct virtio_dev *d;
	struct vq_driver rx, tx;
	uint32_t id, len;
	char got[32];

	d = open_dev(&rx, &tx);
	CHECK(d);
	if (!d)
		return;
	memcpy(host(TXBUF), "hello ", 6);
	memcpy(host(TXBUF + 0x100), "world\n", 6);
	vqd_desc(&tx, 0, TXBUF, 6, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(&tx, 1, TXBUF + 0x100, 6, 0, 0);
	vqd_publish(&tx, 0);
	memcpy(host(TXBUF + 0x200), "$ ", 2);
	vqd_desc(&tx, 2, TXBUF + 0x200, 2, 0, 0);
	vqd_publish(&tx, 2);
	virtio_queue_notify(d, VIRTIO_CONSOLE_TXQ);
	CHECK(peer_read(got, 14));
	CHECK(!memcmp(got, "hello world\n$ ", 14));
	CHECK(vqd_get_used(&tx, &id, &len) && id == 0 && len == 0);
	CHECK(vqd_get_used(&tx, &id, &len) && id == 2 && len == 0);
	close_dev(d);
}

static void input(void)
{
	struct virtio_dev *d;
	struct vq_driver rx, tx;
	uint32_t id, len;

	d = open_dev(&rx, &tx);
	CHECK(d);
	if (!d)
		return;
	for (uint16_t i = 0; i < 3; i++)
		post_rx(&rx, i, 4);
	virtio_queue_notify(d, VIRTIO_CONSOLE_RXQ);
	CHECK(write(ct_peer, "abcdefghij", 10) == 10);
	CHECK(wait_used(&rx, 3, 2000));
	CHECK(vqd_get_used(&rx, &id, &len) && id == 0 && len == 4);
	CHECK(vqd_get_used(&rx, &id, &len) && id == 1 && len == 4);
	CHECK(vqd_get_used(&rx, &id, &len) && id == 2 && len == 2);
	CHECK(!memcmp(host(RXBUF), "abcd", 4));
	CHECK(!memcmp(host(RXBUF + 0x100), "efgh", 4));
	CHECK(!memcmp(host(RXBUF + 0x200), "ij\0", 3));
	/* No buffers: input waits for the kick. */
	CHECK(write(ct_peer, "xyz", 3) == 3);
	sleep_ms(50);
	CHECK_EQ(vqd_used_idx(&rx), 3);
	post_rx(&rx, 3, 64);
	virtio_queue_notify(d, VIRTIO_CONSOLE_RXQ);
	CHECK(wait_used(&rx, 4, 2000));
	CHECK(vqd_get_used(&rx, &id, &len) && id == 3 && len == 3);
	CHECK(!memcmp(host(RXBUF + 0x300), "xyz", 3));
	close_dev(d);
}

/* Input typed before the driver is up is delivered once it is. */
static void input_before_driver(void)
{
	struct virtio_dev *d;
	struct vq_driver rx, tx;
	uint32_t id, len;

	ram_setup();
	d = make_dev();
	CHECK(d);
	if (!d)
		return;
	CHECK(write(ct_peer, "early", 5) == 5);
	sleep_ms(50);
	CHECK(driver_init(d, &rx, &tx));
	post_rx(&rx, 0, 64);
	virtio_queue_notify(d, VIRTIO_CONSOLE_RXQ);
	CHECK(wait_used(&rx, 1, 2000));
	CHECK(vqd_get_used(&rx, &id, &len) && id == 0 && len == 5);
	CHECK(!memcmp(host(RXBUF), "early", 5));
	close_dev(d);
}

/* A peer that does not read: the chain waits, then completes whole. */
static void output_backpressure(void)
{
	struct virtio_dev *d;
	struct vq_driver rx, tx;
	static uint8_t got[0x100000];
	const uint32_t big = 0x100000;
	uint32_t id, len;
	size_t total = 0;
	bool same = true;

	d = open_dev(&rx, &tx);
	CHECK(d);
	if (!d)
		return;
	for (uint32_t i = 0; i < big; i++)
		host(BIG)[i] = (uint8_t)(i * 7 + (i >> 12));
	vqd_desc(&tx, 0, BIG, big, 0, 0);
	vqd_publish(&tx, 0);
	virtio_queue_notify(d, VIRTIO_CONSOLE_TXQ);
	sleep_ms(20);
	CHECK_EQ(vqd_used_idx(&tx), 0); /* the socket is full */
	while (total < big) {
		struct pollfd p = {.fd = ct_peer, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, 2000) != 1)
			break;
		r = read(ct_peer, got + total, big - total);
		if (r <= 0)
			break;
		total += (size_t)r;
	}
	CHECK_EQ(total, big);
	for (uint32_t i = 0; i < big; i++)
		same &= got[i] == (uint8_t)(i * 7 + (i >> 12));
	CHECK(same);
	CHECK(wait_used(&tx, 1, 2000));
	CHECK(vqd_get_used(&tx, &id, &len) && id == 0);
	close_dev(d);
}

static void malformed(void)
{
	struct virtio_dev *d;
	struct vq_driver rx, tx;

	d = open_dev(&rx, &tx);
	CHECK(d);
	if (!d)
		return;
	vqd_desc(&tx, 0, TXBUF, 4, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(&tx, 1, TXBUF + 0x100, 4, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&tx, 0);
	virtio_queue_notify(d, VIRTIO_CONSOLE_TXQ);
	CHECK(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	CHECK(driver_init(d, &rx, &tx));
	CHECK(!(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
	vqd_desc(&rx, 0, RXBUF, 4, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(&rx, 1, RXBUF + 0x100, 4, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&rx, 0);
	virtio_queue_notify(d, VIRTIO_CONSOLE_RXQ);
	CHECK(write(ct_peer, "q", 1) == 1);
	for (int t = 0; t < 2000; t++) {
		if (virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
			break;
		sleep_ms(1);
	}
	CHECK(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	/* The pending input survives the reset. */
	CHECK(driver_init(d, &rx, &tx));
	post_rx(&rx, 0, 16);
	virtio_queue_notify(d, VIRTIO_CONSOLE_RXQ);
	CHECK(wait_used(&rx, 1, 2000));
	CHECK_EQ(host(RXBUF)[0], 'q');
	close_dev(d);
}

/* The peer leaves: output is dropped, not waited for; attach a new one. */
static void peer_gone_and_attach(void)
{
	struct virtio_dev *d;
	struct vq_driver rx, tx;
	int sv[2], pfd[2];
	char got[8];

	d = open_dev(&rx, &tx);
	CHECK(d);
	if (!d)
		return;
	close(ct_peer);
	ct_peer = -1;
	sleep_ms(20);
	memcpy(host(TXBUF), "lost", 4);
	vqd_desc(&tx, 0, TXBUF, 4, 0, 0);
	vqd_publish(&tx, 0);
	virtio_queue_notify(d, VIRTIO_CONSOLE_TXQ);
	CHECK(wait_used(&tx, 1, 1000));
	/* A new socket for both directions. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	virtio_console_attach(d, sv[0], sv[0]);
	ct_peer = sv[1];
	memcpy(host(TXBUF), "back", 4);
	vqd_desc(&tx, 0, TXBUF, 4, 0, 0);
	vqd_publish(&tx, 0);
	virtio_queue_notify(d, VIRTIO_CONSOLE_TXQ);
	CHECK(peer_read(got, 4) && !memcmp(got, "back", 4));
	post_rx(&rx, 0, 16);
	virtio_queue_notify(d, VIRTIO_CONSOLE_RXQ);
	CHECK(write(ct_peer, "in", 2) == 2);
	CHECK(wait_used(&rx, 1, 2000));
	CHECK(!memcmp(host(RXBUF), "in", 2));
	/* Output only, to a pipe; no input. */
	CHECK(pipe(pfd) == 0);
	virtio_console_attach(d, -1, pfd[1]);
	memcpy(host(TXBUF), "pipe", 4);
	vqd_desc(&tx, 0, TXBUF, 4, 0, 0);
	vqd_publish(&tx, 0);
	virtio_queue_notify(d, VIRTIO_CONSOLE_TXQ);
	CHECK(read(pfd[0], got, 4) == 4 && !memcmp(got, "pipe", 4));
	close(pfd[0]);
	/* The pipe's reader is gone: dropped from now on. */
	vqd_publish(&tx, 0);
	virtio_queue_notify(d, VIRTIO_CONSOLE_TXQ);
	CHECK(wait_used(&tx, 4, 1000));
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

static void teardown(void)
{
	int before = count_fds();

	for (int i = 0; i < 10; i++) {
		struct vq_driver rx, tx;
		struct virtio_dev *d = open_dev(&rx, &tx);

		CHECK(d);
		if (!d)
			return;
		post_rx(&rx, 0, 16);
		virtio_queue_notify(d, VIRTIO_CONSOLE_RXQ);
		CHECK(write(ct_peer, "zz", 2) == 2);
		/* Output stuck on a full socket at destroy time. */
		vqd_desc(&tx, 0, BIG, 0x100000, 0, 0);
		vqd_publish(&tx, 0);
		virtio_queue_notify(d, VIRTIO_CONSOLE_TXQ);
		if (i & 1)
			sleep_ms(2);
		close_dev(d);
	}
	CHECK_EQ(count_fds(), before);
	/* No fds at all is fine too. */
	ram_setup();
	{
		struct virtio_dev *d =
		    virtio_console_create(NULL, -1, -1, &ct_mem);

		CHECK(d);
		virtio_destroy(d);
	}
	CHECK_EQ(count_fds(), before);
}

int main(void)
{
	check_suite = "virtio_console";
	signal(SIGPIPE, SIG_IGN); /* as armvm does (vmm/console.c) */
	RUN(features_and_config);
	RUN(output);
	RUN(input);
	RUN(input_before_driver);
	RUN(output_backpressure);
	RUN(malformed);
	RUN(peer_gone_and_attach);
	RUN(teardown);
	free(ct_ram);
	return check_main_end();
}
