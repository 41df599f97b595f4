// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of virtio-rng (virtio/rng.c): features and config space,
 * requests of one and several buffers, the per-request bound, readable
 * buffers refused, batches with one interrupt.
 */
#include <stdlib.h>

#include "tests/unit/check.h"
#include "virtio/rng.h"
#include "virtio/virtq_driver.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x100000ULL
#define DESC	 (RAM_BASE + 0x0000)
#define AVAIL	 (RAM_BASE + 0x1000)
#define USED	 (RAM_BASE + 0x2000)
#define BUF	 (RAM_BASE + 0x10000)

static uint8_t *rt_ram;
static struct guest_mem rt_mem;
static int rt_irqs;

static void rt_notify_queue(void *opaque, unsigned int q)
{
	rt_irqs++;
}

static void rt_notify_config(void *opaque)
{
}

static const struct virtio_transport_ops rt_transport = {
    .notify_queue = rt_notify_queue,
    .notify_config = rt_notify_config,
};

static uint8_t *host(uint64_t gpa)
{
	return rt_ram + (gpa - RAM_BASE);
}

static struct virtio_dev *open_dev(struct vq_driver *v)
{
	uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	struct virtio_dev *d;

	if (!rt_ram)
		rt_ram = malloc(RAM_SIZE);
	memset(rt_ram, 0, RAM_SIZE);
	rt_mem = (struct guest_mem){
	    .host = rt_ram, .base = RAM_BASE, .size = RAM_SIZE};
	d = virtio_rng_create(&rt_mem);
	if (!d)
		return NULL;
	virtio_set_transport(d, &rt_transport, NULL);
	virtio_set_status(d, s);
	virtio_set_driver_features(d, 1, 1);
	virtio_set_status(d, s | VIRTIO_STATUS_FEATURES_OK);
	vqd_init(v, &rt_mem, 8, DESC, AVAIL, USED);
	virtio_queue_set_size(d, 0, 8);
	virtio_queue_set_desc(d, 0, DESC);
	virtio_queue_set_driver(d, 0, AVAIL);
	virtio_queue_set_device(d, 0, USED);
	virtio_queue_set_ready(d, 0, true);
	virtio_set_status(d, s | VIRTIO_STATUS_FEATURES_OK |
				 VIRTIO_STATUS_DRIVER_OK);
	return d;
}

/* Not all zero: 32 random bytes are all zero with probability 2^-256. */
static bool nonzero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return true;
	return false;
}

static void features_and_config(void)
{
	struct vq_driver v;
	struct virtio_dev *d = open_dev(&v);
	uint8_t b[4] = {1, 2, 3, 4};

	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(virtio_device_id(d), VIRTIO_ID_RNG);
	CHECK_EQ(virtio_num_queues(d), 1);
	CHECK_EQ(virtio_get_device_features(d, 0), 0);
	CHECK_EQ(virtio_get_device_features(d, 1), 1);
	virtio_config_read(d, 0, b, 4);
	CHECK_EQ(get_le32(b), 0);
	CHECK(virtio_get_status(d) & VIRTIO_STATUS_DRIVER_OK);
	virtio_destroy(d);
}

static void requests(void)
{
	struct vq_driver v;
	struct virtio_dev *d = open_dev(&v);
	uint32_t id, len;

	CHECK(d);
	if (!d)
		return;
	rt_irqs = 0;
	vqd_desc(&v, 0, BUF, 32, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&v, 0);
	virtio_queue_notify(d, 0);
	CHECK(vqd_get_used(&v, &id, &len) && id == 0 && len == 32);
	CHECK(nonzero(host(BUF), 32));
	CHECK_EQ(host(BUF)[32], 0);
	CHECK_EQ(rt_irqs, 1);
	/* Three buffers, and a second request in the same kick. */
	vqd_desc(&v, 1, BUF + 0x100, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
		 2);
	vqd_desc(&v, 2, BUF + 0x200, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
		 3);
	vqd_desc(&v, 3, BUF + 0x300, 32, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&v, 1);
	vqd_desc(&v, 4, BUF + 0x400, 64, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&v, 4);
	virtio_queue_notify(d, 0);
	CHECK(vqd_get_used(&v, &id, &len) && id == 1 && len == 64);
	CHECK(vqd_get_used(&v, &id, &len) && id == 4 && len == 64);
	CHECK(nonzero(host(BUF + 0x100), 16) && nonzero(host(BUF + 0x200), 16));
	CHECK(nonzero(host(BUF + 0x300 + 16), 16));
	CHECK(memcmp(host(BUF + 0x400), host(BUF + 0x400 + 32), 32) != 0);
	CHECK_EQ(rt_irqs, 2);
	/* More than the bound: only VIRTIO_RNG_MAX_REQUEST bytes. */
	memset(host(BUF), 0, 0x20000);
	vqd_desc(&v, 5, BUF, 0x20000, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&v, 5);
	virtio_queue_notify(d, 0);
	CHECK(vqd_get_used(&v, &id, &len) && id == 5 &&
	      len == VIRTIO_RNG_MAX_REQUEST);
	CHECK(nonzero(host(BUF + VIRTIO_RNG_MAX_REQUEST - 32), 32));
	CHECK(!nonzero(host(BUF + VIRTIO_RNG_MAX_REQUEST), 0x1000));
	CHECK(!(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
	virtio_destroy(d);
}

static void readable_buffers(void)
{
	struct vq_driver v;
	struct virtio_dev *d = open_dev(&v);
	uint32_t id, len;

	CHECK(d);
	if (!d)
		return;
	vqd_desc(&v, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(&v, 1, BUF + 0x100, 16, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&v, 0);
	virtio_queue_notify(d, 0);
	CHECK(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	CHECK(!vqd_get_used(&v, &id, &len));
	CHECK(!nonzero(host(BUF + 0x100), 16));
	/* A buffer outside RAM. */
	virtio_destroy(d);
	d = open_dev(&v);
	CHECK(d);
	if (!d)
		return;
	vqd_desc(&v, 0, RAM_BASE + RAM_SIZE - 8, 16, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&v, 0);
	virtio_queue_notify(d, 0);
	CHECK(virtio_get_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	virtio_destroy(d);
}

int main(void)
{
	check_suite = "virtio_rng";
	RUN(features_and_config);
	RUN(requests);
	RUN(readable_buffers);
	free(rt_ram);
	return check_main_end();
}
