// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of virtio-balloon (virtio/balloon.c) on a mapped anonymous
 * "guest RAM": feature negotiation and queue roles, inflate (pages read
 * back as zeros, PFNs outside RAM skipped), deflate, the config space and
 * its change notification, statistics (request, answer, a driver that
 * never answers, a reset meanwhile), free page reporting, and the target
 * checks the control socket's balloon command relies on.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/check.h"
#include "tests/unit/state_check.h"
#include "virtio/balloon.h"
#include "virtio/virtq_driver.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x400000ULL /* 4 MiB */
#define QSIZE	 8
/* Queue q's rings. */
#define QDESC(q)  (RAM_BASE + 0x4000ULL * (q))
#define QAVAIL(q) (QDESC(q) + 0x1000)
#define QUSED(q)  (QDESC(q) + 0x2000)
#define BUF	  (RAM_BASE + 0x20000)	/* request buffers */
#define PAGES	  (RAM_BASE + 0x100000) /* pages to inflate or report */
#define PFN(gpa)  ((uint32_t)((gpa) >> 12))

static uint8_t *bt_ram;
static struct guest_mem bt_mem;
static int bt_queue_irqs[VIRTIO_BALLOON_QUEUES];
static int bt_config_irqs;

static void bt_notify_queue(void *opaque, unsigned int q)
{
	if (q < VIRTIO_BALLOON_QUEUES)
		__atomic_add_fetch(&bt_queue_irqs[q], 1, __ATOMIC_RELAXED);
}

static void bt_notify_config(void *opaque)
{
	__atomic_add_fetch(&bt_config_irqs, 1, __ATOMIC_RELAXED);
}

static const struct virtio_transport_ops bt_transport = {
    .notify_queue = bt_notify_queue,
    .notify_config = bt_notify_config,
};

static uint8_t *host(uint64_t gpa)
{
	return bt_ram + (gpa - RAM_BASE);
}

static bool all(uint64_t gpa, uint64_t len, uint8_t v)
{
	for (uint64_t i = 0; i < len; i++)
		if (host(gpa)[i] != v)
			return false;
	return true;
}

#define F(bit) (1u << (bit))
#define ALL_FEATURES \
	(F(VIRTIO_BALLOON_F_STATS_VQ) | F(VIRTIO_BALLOON_F_PAGE_REPORTING))

/*
 * A balloon whose driver accepted features (word 0) and set up queues
 * 0..nq-1 in v[]; DRIVER_OK unless stop_before_ok.
 */
static struct virtio_dev *open_dev(struct vq_driver *v, uint32_t features,
				   unsigned int nq, bool stop_before_ok)
{
	uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	struct virtio_dev *d;

	memset(bt_ram, 0, RAM_SIZE);
	memset(bt_queue_irqs, 0, sizeof(bt_queue_irqs));
	bt_config_irqs = 0;
	d = virtio_balloon_create(&bt_mem);
	if (!d)
		return NULL;
	virtio_set_transport(d, &bt_transport, NULL);
	virtio_set_status(d, s);
	virtio_set_driver_features(d, 0, features);
	virtio_set_driver_features(d, 1, 1);
	virtio_set_status(d, s | VIRTIO_STATUS_FEATURES_OK);
	for (unsigned int q = 0; q < nq; q++) {
		vqd_init(&v[q], &bt_mem, QSIZE, QDESC(q), QAVAIL(q), QUSED(q));
		virtio_queue_set_size(d, q, QSIZE);
		virtio_queue_set_desc(d, q, QDESC(q));
		virtio_queue_set_driver(d, q, QAVAIL(q));
		virtio_queue_set_device(d, q, QUSED(q));
		virtio_queue_set_ready(d, q, true);
	}
	if (!stop_before_ok)
		virtio_set_status(d, s | VIRTIO_STATUS_FEATURES_OK |
					 VIRTIO_STATUS_DRIVER_OK);
	return d;
}

static bool needs_reset(struct virtio_dev *d)
{
	return virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
}

/* Post one device-readable buffer of n le32 PFNs at gpa on queue q. */
static void post_pfns(struct virtio_dev *d, struct vq_driver *v, unsigned int q,
		      uint64_t gpa, const uint32_t *pfns, unsigned int n,
		      uint16_t head)
{
	for (unsigned int i = 0; i < n; i++)
		put_le32(host(gpa) + 4 * i, pfns[i]);
	vqd_desc(v, head, gpa, 4 * n, 0, 0);
	vqd_publish(v, head);
	virtio_queue_notify(d, q);
}

static void features_and_config(void)
{
	struct vq_driver v[VIRTIO_BALLOON_QUEUES];
	struct virtio_dev *d;
	uint8_t b[8];

	/* The driver asks for everything, DEFLATE_ON_OOM and
	 * MUST_TELL_HOST included: it gets what was offered. */
	d = open_dev(v, 0xffffffff, 0, false);
	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(virtio_device_id(d), VIRTIO_ID_BALLOON);
	CHECK_EQ(virtio_num_queues(d), VIRTIO_BALLOON_QUEUES);
	CHECK_EQ(virtio_get_device_features(d, 0), ALL_FEATURES);
	CHECK_EQ(virtio_get_device_features(d, 1), 1); /* VERSION_1 */
	CHECK_EQ(virtio_get_driver_features(d, 0), ALL_FEATURES);
	CHECK(virtio_get_status(d) & VIRTIO_STATUS_FEATURES_OK);
	CHECK(!virtio_has_feature(d, VIRTIO_BALLOON_F_DEFLATE_ON_OOM));
	CHECK(!virtio_has_feature(d, VIRTIO_BALLOON_F_MUST_TELL_HOST));
	CHECK_EQ(virtio_queue_max_size(d, 0), VIRTIO_BALLOON_QUEUE_SIZE);
	memset(b, 0xff, sizeof(b));
	virtio_config_read(d, 0, b, 8);
	CHECK_EQ(get_le64(b), 0);
	/* Only num_pages and actual: no free_page_hint_cmd_id, no
	 * poison_val without their features. */
	memset(b, 0xff, 4);
	virtio_config_read(d, 8, b, 4);
	CHECK_EQ(get_le32(b), 0);
	virtio_destroy(d);
}

/* num_pages is the host's, actual the driver's; a new target interrupts
 * a running driver once. */
static void target_and_actual(void)
{
	struct vq_driver v[VIRTIO_BALLOON_QUEUES];
	struct virtio_dev *d = open_dev(v, ALL_FEATURES, 0, false);
	struct virtio_balloon_info info;
	char err[200] = "";
	uint8_t b[4];
	uint8_t gen;

	CHECK(d);
	if (!d)
		return;
	gen = virtio_config_generation(d);
	CHECK_EQ(virtio_balloon_set_target(d, 256 << 10, err, sizeof(err)), 0);
	virtio_config_read(d, 0, b, 4);
	CHECK_EQ(get_le32(b), 64); /* 4 KiB pages */
	CHECK_EQ(bt_config_irqs, 1);
	CHECK(virtio_config_generation(d) != gen);
	/* The same target again: nothing to tell. */
	CHECK_EQ(virtio_balloon_set_target(d, 256 << 10, err, sizeof(err)), 0);
	CHECK_EQ(bt_config_irqs, 1);
	/* The driver's answer. */
	put_le32(b, 64);
	virtio_config_write(d, 4, b, 4);
	virtio_balloon_get_info(d, &info);
	CHECK_EQ(info.target, 256 << 10);
	CHECK_EQ(info.actual, 256 << 10);
	CHECK(info.driver && info.stats_vq && info.reporting);
	/* num_pages is read-only to the driver. */
	put_le32(b, 7);
	virtio_config_write(d, 0, b, 4);
	virtio_config_read(d, 0, b, 4);
	CHECK_EQ(get_le32(b), 64);
	/* Refused: more than guest RAM, not whole 4 KiB pages. */
	CHECK_EQ(
	    virtio_balloon_set_target(d, RAM_SIZE + 4096, err, sizeof(err)),
	    -1);
	CHECK(strstr(err, "more than the guest's RAM (4M)") != NULL);
	CHECK_EQ(virtio_balloon_set_target(d, 1ULL << 40, err, sizeof(err)),
		 -1);
	CHECK_EQ(virtio_balloon_set_target(d, 4097, err, sizeof(err)), -1);
	CHECK(strstr(err, "multiple of 4 KiB") != NULL);
	virtio_balloon_get_info(d, &info);
	CHECK_EQ(info.target, 256 << 10); /* unchanged */
	CHECK_EQ(bt_config_irqs, 1);
	/* All of RAM may be asked for. */
	CHECK_EQ(virtio_balloon_set_target(d, RAM_SIZE, err, sizeof(err)), 0);
	CHECK_EQ(bt_config_irqs, 2);

	/* A device reset forgets the driver's pages, not the target. */
	virtio_set_status(d, 0);
	virtio_balloon_get_info(d, &info);
	CHECK_EQ(info.actual, 0);
	CHECK_EQ(info.target, RAM_SIZE);
	CHECK(!info.driver);
	/* Before DRIVER_OK the target changes without an interrupt. */
	CHECK_EQ(virtio_balloon_set_target(d, 0, err, sizeof(err)), 0);
	CHECK_EQ(bt_config_irqs, 2);
	virtio_config_read(d, 0, b, 4);
	CHECK_EQ(get_le32(b), 0);
	/* A machine reset empties the balloon altogether. */
	CHECK_EQ(virtio_balloon_set_target(d, 8192, err, sizeof(err)), 0);
	virtio_balloon_machine_reset(d);
	virtio_balloon_get_info(d, &info);
	CHECK_EQ(info.target, 0);
	virtio_destroy(d);
}

/* Inflated pages are given back: they read as zeros, their neighbours
 * keep their data; PFNs outside RAM are skipped and counted. */
static void inflate_and_deflate(void)
{
	struct vq_driver v[VIRTIO_BALLOON_QUEUES];
	struct virtio_dev *d = open_dev(v, ALL_FEATURES, 2, false);
	struct virtio_balloon_info info;
	uint32_t pfns[16], id, len;
	unsigned int n = 0;
	bool small_pages = sysconf(_SC_PAGESIZE) == 4096;

	CHECK(d);
	if (!d)
		return;
	memset(host(PAGES), 0xaa, 16 * 4096);
	/* Pages 1-4 ascending, 9-7 descending, 12 alone; three PFNs
	 * outside RAM (below, past the end, the largest). */
	for (unsigned int p = 1; p <= 4; p++)
		pfns[n++] = PFN(PAGES) + p;
	for (unsigned int p = 9; p >= 7; p--)
		pfns[n++] = PFN(PAGES) + p;
	pfns[n++] = PFN(PAGES) + 12;
	pfns[n++] = 0;
	pfns[n++] = PFN(RAM_BASE + RAM_SIZE);
	pfns[n++] = 0xffffffff;
	post_pfns(d, &v[0], VIRTIO_BALLOON_INFLATEQ, BUF, pfns, n, 0);
	CHECK(vqd_get_used(&v[0], &id, &len) && id == 0 && len == 0);
	CHECK_EQ(bt_queue_irqs[0], 1);
	CHECK(!needs_reset(d));
	if (small_pages) {
		CHECK(all(PAGES, 4096, 0xaa));
		CHECK(all(PAGES + 1 * 4096, 4 * 4096, 0));
		CHECK(all(PAGES + 5 * 4096, 2 * 4096, 0xaa));
		CHECK(all(PAGES + 7 * 4096, 3 * 4096, 0));
		CHECK(all(PAGES + 10 * 4096, 2 * 4096, 0xaa));
		CHECK(all(PAGES + 12 * 4096, 4096, 0));
		CHECK(all(PAGES + 13 * 4096, 3 * 4096, 0xaa));
	}
	virtio_balloon_get_info(d, &info);
	CHECK_EQ(info.inflated, 8);
	CHECK_EQ(info.bad_pfns, 3);
	if (small_pages)
		CHECK_EQ(info.discarded, 8 * 4096);

	/* An entry split across two buffers of one chain. */
	memset(host(PAGES), 0xbb, 4096);
	put_le32(host(BUF + 0x100), PFN(PAGES));
	memcpy(host(BUF + 0x200), host(BUF + 0x100), 3);
	memcpy(host(BUF + 0x300), host(BUF + 0x100) + 3, 1);
	vqd_desc(&v[0], 1, BUF + 0x200, 3, VIRTQ_DESC_F_NEXT, 2);
	vqd_desc(&v[0], 2, BUF + 0x300, 1, 0, 0);
	vqd_publish(&v[0], 1);
	virtio_queue_notify(d, VIRTIO_BALLOON_INFLATEQ);
	CHECK(vqd_get_used(&v[0], &id, &len) && id == 1);
	if (small_pages)
		CHECK(all(PAGES, 4096, 0));
	virtio_balloon_get_info(d, &info);
	CHECK_EQ(info.inflated, 9);

	/* Deflate: used, nothing to do; the pages are the guest's again. */
	post_pfns(d, &v[1], VIRTIO_BALLOON_DEFLATEQ, BUF + 0x400, pfns, 4, 0);
	CHECK(vqd_get_used(&v[1], &id, &len) && id == 0 && len == 0);
	CHECK_EQ(bt_queue_irqs[1], 1);
	virtio_balloon_get_info(d, &info);
	CHECK_EQ(info.deflated, 4);
	memset(host(PAGES + 4096), 0x11, 4096);
	CHECK(all(PAGES + 4096, 4096, 0x11));
	CHECK(!needs_reset(d));
	virtio_destroy(d);
}

/* A request the device would write into is malformed (5.5.6: the PFN
 * arrays are device-readable). */
static void writable_requests(void)
{
	struct vq_driver v[VIRTIO_BALLOON_QUEUES];
	struct virtio_dev *d;
	uint32_t id, len;

	for (unsigned int q = 0; q < 3; q++) {
		d = open_dev(v, ALL_FEATURES, 3, false);
		CHECK(d);
		if (!d)
			return;
		memset(host(PAGES), 0xcc, 4096);
		put_le32(host(BUF), PFN(PAGES));
		vqd_desc(&v[q], 0, BUF, 4, VIRTQ_DESC_F_WRITE, 0);
		vqd_publish(&v[q], 0);
		virtio_queue_notify(d, q);
		CHECK(needs_reset(d));
		CHECK(!vqd_get_used(&v[q], &id, &len));
		CHECK(all(PAGES, 4096, 0xcc)); /* nothing inflated */
		virtio_destroy(d);
	}
}

/* The driver's statistics: 5.5.6.3's exchange, step by step. */
static void post_stats(struct virtio_dev *d, struct vq_driver *v, uint16_t head,
		       uint64_t free_mem, uint64_t total)
{
	uint8_t *p = host(BUF + 0x800 + 0x100 * head);

	put_le16(p, VIRTIO_BALLOON_S_MEMFREE);
	put_le64(p + 2, free_mem);
	put_le16(p + 10, 99); /* unknown: ignored */
	put_le64(p + 12, 12345);
	put_le16(p + 20, VIRTIO_BALLOON_S_MEMTOT);
	put_le64(p + 22, total);
	/* A trailing partial entry is ignored. */
	put_le16(p + 30, VIRTIO_BALLOON_S_SWAP_IN);
	vqd_desc(v, head, BUF + 0x800 + 0x100 * head, 34, 0, 0);
	vqd_publish(v, head);
	virtio_queue_notify(d, VIRTIO_BALLOON_STATSQ);
}

static void statistics(void)
{
	struct vq_driver v[VIRTIO_BALLOON_QUEUES];
	struct virtio_dev *d = open_dev(v, ALL_FEATURES, 3, false);
	struct virtio_balloon_info info;
	struct virtio_balloon_ticket t;
	char err[200];
	uint32_t id, len;

	CHECK(d);
	if (!d)
		return;
	virtio_balloon_get_info(d, &info);
	CHECK_EQ(info.stats_updates, 0);
	CHECK_EQ(info.stats_age_ms, -1);
	/* The buffer the driver gives at start already holds statistics;
	 * the device keeps it. */
	post_stats(d, &v[2], 0, 1000, 5000);
	CHECK(!vqd_get_used(&v[2], &id, &len));
	virtio_balloon_get_info(d, &info);
	CHECK_EQ(info.stats_updates, 1);
	CHECK_EQ(info.stats_valid,
		 F(VIRTIO_BALLOON_S_MEMFREE) | F(VIRTIO_BALLOON_S_MEMTOT));
	CHECK_EQ(info.stats[VIRTIO_BALLOON_S_MEMFREE], 1000);
	CHECK_EQ(info.stats[VIRTIO_BALLOON_S_MEMTOT], 5000);
	CHECK(info.stats_age_ms >= 0);
	/* The host asks: the buffer goes back to the driver, with an
	 * interrupt. */
	CHECK_EQ(virtio_balloon_request_stats(d, &t, err, sizeof(err)), 0);
	CHECK(vqd_get_used(&v[2], &id, &len) && id == 0 && len == 0);
	CHECK_EQ(bt_queue_irqs[2], 1);
	/* No answer yet. */
	CHECK_EQ(virtio_balloon_wait_stats(d, &t, 0, &info), 1);
	/* The driver refills it: that is the answer. */
	post_stats(d, &v[2], 1, 800, 5000);
	CHECK_EQ(virtio_balloon_wait_stats(d, &t, 0, &info), 0);
	CHECK_EQ(info.stats[VIRTIO_BALLOON_S_MEMFREE], 800);
	CHECK_EQ(info.stats_updates, 2);
	CHECK(!vqd_get_used(&v[2], &id, &len)); /* kept for next time */
	CHECK_EQ(bt_queue_irqs[2], 1);
	CHECK(!needs_reset(d));

	/* A reset while the host waits: the wait ends at once. */
	CHECK_EQ(virtio_balloon_request_stats(d, &t, err, sizeof(err)), 0);
	virtio_set_status(d, 0);
	CHECK_EQ(virtio_balloon_wait_stats(d, &t, 2000, &info), -1);
	/* No driver: refused. */
	CHECK_EQ(virtio_balloon_request_stats(d, &t, err, sizeof(err)), -1);
	CHECK(strstr(err, "not running") != NULL);
	virtio_destroy(d);

	/* A driver without statistics. */
	d = open_dev(v, F(VIRTIO_BALLOON_F_PAGE_REPORTING), 3, false);
	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(virtio_balloon_request_stats(d, &t, err, sizeof(err)), -1);
	CHECK(strstr(err, "no statistics") != NULL);
	virtio_destroy(d);

	/* A writable statistics buffer is malformed. */
	d = open_dev(v, ALL_FEATURES, 3, false);
	CHECK(d);
	if (!d)
		return;
	vqd_desc(&v[2], 0, BUF, 20, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&v[2], 0);
	virtio_queue_notify(d, VIRTIO_BALLOON_STATSQ);
	CHECK(needs_reset(d));
	virtio_destroy(d);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A driver that never answers: the wait ends after its timeout. */
static void statistics_no_answer(void)
{
	struct vq_driver v[VIRTIO_BALLOON_QUEUES];
	struct virtio_dev *d = open_dev(v, ALL_FEATURES, 3, false);
	struct virtio_balloon_info info;
	struct virtio_balloon_ticket t;
	char err[200];
	int64_t t0, dt;
	uint32_t id, len;

	CHECK(d);
	if (!d)
		return;
	post_stats(d, &v[2], 0, 1000, 5000);
	CHECK_EQ(virtio_balloon_request_stats(d, &t, err, sizeof(err)), 0);
	CHECK(vqd_get_used(&v[2], &id, &len));
	t0 = mono_ms();
	CHECK_EQ(virtio_balloon_wait_stats(d, &t, 150, &info), 1);
	dt = mono_ms() - t0;
	CHECK(dt >= 140 && dt < 2000);
	/* Asking again while the driver still owes the last answer: the
	 * buffer it then gives answers the older request, so it goes back
	 * at once, and the one after answers. */
	CHECK_EQ(virtio_balloon_request_stats(d, &t, err, sizeof(err)), 0);
	CHECK_EQ(virtio_balloon_wait_stats(d, &t, 50, &info), 1);
	post_stats(d, &v[2], 1, 700, 5000);
	CHECK(vqd_get_used(&v[2], &id, &len) && id == 1);
	CHECK_EQ(virtio_balloon_wait_stats(d, &t, 0, &info), 1);
	post_stats(d, &v[2], 2, 600, 5000);
	CHECK_EQ(virtio_balloon_wait_stats(d, &t, 0, &info), 0);
	CHECK_EQ(info.stats[VIRTIO_BALLOON_S_MEMFREE], 600);
	CHECK(!vqd_get_used(&v[2], &id, &len));
	virtio_destroy(d);
}

/* Linux fills its first buffer at probe and kicks before DRIVER_OK (the
 * kick is not served then): the first request finds it in the ring with
 * the guest's boot-time figures; they are no answer. */
static void statistics_first_buffer(void)
{
	struct vq_driver v[VIRTIO_BALLOON_QUEUES];
	struct virtio_dev *d = open_dev(v, ALL_FEATURES, 3, true);
	struct virtio_balloon_info info;
	struct virtio_balloon_ticket t;
	uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		    VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
	char err[200];
	uint32_t id, len;

	CHECK(d);
	if (!d)
		return;
	post_stats(d, &v[2], 0, 1000, 5000); /* before DRIVER_OK */
	virtio_balloon_get_info(d, &info);
	CHECK_EQ(info.stats_updates, 0); /* not served yet */
	virtio_set_status(d, s);
	CHECK_EQ(virtio_balloon_request_stats(d, &t, err, sizeof(err)), 0);
	/* Taken (the boot figures are kept as the last known ones) and
	 * given back in the same turn. */
	CHECK(vqd_get_used(&v[2], &id, &len) && id == 0);
	virtio_balloon_get_info(d, &info);
	CHECK_EQ(info.stats_updates, 1);
	CHECK_EQ(info.stats[VIRTIO_BALLOON_S_MEMFREE], 1000);
	CHECK_EQ(virtio_balloon_wait_stats(d, &t, 0, &info), 1);
	post_stats(d, &v[2], 1, 300, 5000);
	CHECK_EQ(virtio_balloon_wait_stats(d, &t, 0, &info), 0);
	CHECK_EQ(info.stats[VIRTIO_BALLOON_S_MEMFREE], 300);
	virtio_destroy(d);
}

/* The host waits on one thread while the driver answers on another. */
struct answer_arg {
	struct virtio_dev *d;
	struct vq_driver *v;
};

static void *answer_later(void *p)
{
	struct answer_arg *a = p;
	struct timespec ts = {0, 50 * 1000 * 1000};
	uint32_t id, len;

	for (int i = 0; i < 200 && !vqd_get_used(a->v, &id, &len); i++)
		nanosleep(&ts, NULL);
	post_stats(a->d, a->v, 1, 4242, 5000);
	return NULL;
}

static void statistics_threads(void)
{
	struct vq_driver v[VIRTIO_BALLOON_QUEUES];
	struct virtio_dev *d = open_dev(v, ALL_FEATURES, 3, false);
	struct virtio_balloon_info info;
	struct virtio_balloon_ticket t;
	struct answer_arg a = {d, &v[2]};
	char err[200];
	pthread_t th;

	CHECK(d);
	if (!d)
		return;
	post_stats(d, &v[2], 0, 1000, 5000);
	CHECK_EQ(pthread_create(&th, NULL, answer_later, &a), 0);
	CHECK_EQ(virtio_balloon_request_stats(d, &t, err, sizeof(err)), 0);
	CHECK_EQ(virtio_balloon_wait_stats(d, &t, 5000, &info), 0);
	CHECK_EQ(info.stats[VIRTIO_BALLOON_S_MEMFREE], 4242);
	pthread_join(th, NULL);
	virtio_destroy(d);
}

/* Free page reporting: each buffer's whole pages are given back. */
static void report(struct virtio_dev *d, struct vq_driver *v, unsigned int q)
{
	vqd_desc(v, 0, PAGES, 8 * 4096, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
		 1);
	/* Not page-aligned: only the page wholly inside goes. */
	vqd_desc(v, 1, PAGES + 10 * 4096 + 100, 2 * 4096, VIRTQ_DESC_F_WRITE,
		 0);
	vqd_publish(v, 0);
	virtio_queue_notify(d, q);
}

static void free_page_reporting(void)
{
	struct vq_driver v[VIRTIO_BALLOON_QUEUES];
	struct virtio_dev *d;
	struct virtio_balloon_info info;
	uint32_t id, len;
	bool small_pages = sysconf(_SC_PAGESIZE) == 4096;

	/* With statistics the reporting queue is 3 (Linux's numbering). */
	d = open_dev(v, ALL_FEATURES, 5, false);
	CHECK(d);
	if (!d)
		return;
	memset(host(PAGES), 0xdd, 16 * 4096);
	report(d, &v[3], 3);
	CHECK(vqd_get_used(&v[3], &id, &len) && id == 0 && len == 0);
	CHECK_EQ(bt_queue_irqs[3], 1);
	if (small_pages) {
		CHECK(all(PAGES, 8 * 4096, 0));
		CHECK(all(PAGES + 8 * 4096, 2 * 4096 + 100, 0xdd));
		CHECK(all(PAGES + 10 * 4096 + 100, 4096 - 100, 0xdd));
		CHECK(all(PAGES + 11 * 4096, 4096, 0));
		CHECK(all(PAGES + 12 * 4096, 4 * 4096, 0xdd));
	}
	virtio_balloon_get_info(d, &info);
	CHECK_EQ(info.reported, 10 * 4096);
	if (small_pages)
		CHECK_EQ(info.discarded, 9 * 4096);
	/* 4, the reporting queue's place in 5.5.2's list, works too. */
	memset(host(PAGES), 0xdd, 16 * 4096);
	report(d, &v[4], 4);
	CHECK(vqd_get_used(&v[4], &id, &len));
	if (small_pages)
		CHECK(all(PAGES, 8 * 4096, 0));
	CHECK(!needs_reset(d));
	virtio_destroy(d);

	/* Without statistics it is 2, and 3 is nobody's. */
	d = open_dev(v, F(VIRTIO_BALLOON_F_PAGE_REPORTING), 5, false);
	CHECK(d);
	if (!d)
		return;
	memset(host(PAGES), 0xdd, 16 * 4096);
	report(d, &v[3], 3);
	CHECK(!vqd_get_used(&v[3], &id, &len));
	CHECK(all(PAGES, 16 * 4096, 0xdd));
	report(d, &v[2], 2);
	CHECK(vqd_get_used(&v[2], &id, &len));
	if (small_pages)
		CHECK(all(PAGES, 8 * 4096, 0));
	virtio_destroy(d);

	/* Without the feature nothing is reported anywhere. */
	d = open_dev(v, F(VIRTIO_BALLOON_F_STATS_VQ), 5, false);
	CHECK(d);
	if (!d)
		return;
	memset(host(PAGES), 0xdd, 16 * 4096);
	report(d, &v[4], 4);
	CHECK(!vqd_get_used(&v[4], &id, &len));
	CHECK(all(PAGES, 16 * 4096, 0xdd));
	virtio_destroy(d);
}

/* A guest naming all of RAM, its rings included, many times over: the
 * device survives, bounded, and RAM stays mapped. */
static void hostile_inflate(void)
{
	struct vq_driver v[VIRTIO_BALLOON_QUEUES];
	struct virtio_dev *d = open_dev(v, ALL_FEATURES, 2, false);
	struct virtio_balloon_info info;
	uint32_t id, len;
	uint64_t list = RAM_BASE + 0x200000, n = 0x100000 / 4;

	CHECK(d);
	if (!d)
		return;
	/* 256 Ki PFNs (RAM has 1 Ki pages): every page of RAM, then the
	 * same again; the list lies in RAM it inflates. */
	for (uint64_t i = 0; i < n; i++)
		put_le32(host(list) + 4 * i,
			 PFN(RAM_BASE) + (uint32_t)(i % (RAM_SIZE / 4096)));
	vqd_desc(&v[0], 0, list, (uint32_t)(4 * n), 0, 0);
	vqd_publish(&v[0], 0);
	virtio_queue_notify(d, VIRTIO_BALLOON_INFLATEQ);
	virtio_balloon_get_info(d, &info);
	/* At most one PFN per page of RAM was looked at. */
	CHECK_EQ(info.inflated, RAM_SIZE / 4096);
	/* The rings were given back too: the used ring reads as zeros, so
	 * the driver's shadow sees nothing; the device did not crash. */
	(void)vqd_get_used(&v[0], &id, &len);
	memset(host(PAGES), 1, 4096); /* still RAM */
	CHECK(all(PAGES, 4096, 1));
	virtio_destroy(d);
}

/* Snapshots (issue 13): a fresh balloon, on the same RAM, as the model. */
static void *sn_make(void)
{
	struct virtio_dev *d = virtio_balloon_create(&bt_mem);

	if (d)
		virtio_set_transport(d, &bt_transport, NULL);
	return d;
}

static void sn_destroy(void *obj)
{
	virtio_destroy(obj);
}

static void sn_save(void *obj, struct state_writer *w)
{
	virtio_save(obj, w);
}

static int sn_restore(void *obj, struct state_reader *r)
{
	return virtio_restore(obj, r);
}

static const struct state_model sn_model = {
    .make = sn_make,
    .destroy = sn_destroy,
    .save = sn_save,
    .restore = sn_restore,
};

/* A driver's balloon with a target and every queue ready is saved: a
 * fresh one restored saves the same bytes and keeps the target, and every
 * shorter record is refused. */
static void snapshot_round_trip(void)
{
	struct vq_driver v[VIRTIO_BALLOON_QUEUES];
	struct virtio_balloon_info info;
	struct state_writer w;
	struct virtio_dev *d, *e;
	char err[128];

	d = open_dev(v, ALL_FEATURES, VIRTIO_BALLOON_QUEUES, false);
	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(virtio_balloon_set_target(d, 256 << 10, err, sizeof(err)), 0);
	state_save(&sn_model, d, &w);
	virtio_destroy(d);
	e = state_roundtrip(&sn_model, &w);
	CHECK(e != NULL);
	if (e) {
		virtio_balloon_get_info(e, &info);
		CHECK_EQ(info.target, 256 << 10);
		CHECK(virtio_get_status(e) & VIRTIO_STATUS_DRIVER_OK);
		virtio_destroy(e);
	}
	state_prefixes_fail(&sn_model, &w);
	sw_free(&w);
}

int main(void)
{
	check_suite = "virtio_balloon";
	bt_ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bt_ram == MAP_FAILED) {
		printf("FAIL: virtio_balloon/setup: cannot map guest RAM\n");
		return 1;
	}
	bt_mem = (struct guest_mem){
	    .host = bt_ram, .base = RAM_BASE, .size = RAM_SIZE};
	RUN(features_and_config);
	RUN(target_and_actual);
	RUN(inflate_and_deflate);
	RUN(writable_requests);
	RUN(statistics);
	RUN(statistics_no_answer);
	RUN(statistics_first_buffer);
	RUN(statistics_threads);
	RUN(free_page_reporting);
	RUN(hostile_inflate);
	RUN(snapshot_round_trip);
	munmap(bt_ram, RAM_SIZE);
	return check_main_end();
}
