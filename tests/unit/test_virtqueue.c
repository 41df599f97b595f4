// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the split virtqueue (virtio/virtqueue.c) and the virtio
 * core (virtio/virtio.c) against a hostile driver: good chains, indirect
 * tables, notification suppression, and every malformed case, which must
 * put the device into DEVICE_NEEDS_RESET without touching memory outside
 * the fake guest RAM (guard bytes around it are checked).
 */
#include <pthread.h>
#include <stdlib.h>

#include "tests/unit/check.h"
#include "virtio/virtio.h"
#include "virtio/virtq_driver.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x100000ULL
#define GUARD	 4096
#define DESC	 (RAM_BASE + 0x0000)
#define AVAIL	 (RAM_BASE + 0x4000)
#define USED	 (RAM_BASE + 0x5000)
#define BUF	 (RAM_BASE + 0x10000)
#define QMAX	 16

static uint8_t *vt_block;
static struct guest_mem vt_mem;

static void ram_setup(void)
{
	if (!vt_block)
		vt_block = malloc(RAM_SIZE + 2 * GUARD);
	memset(vt_block, 0xa5, RAM_SIZE + 2 * GUARD);
	memset(vt_block + GUARD, 0, RAM_SIZE);
	vt_mem.host = vt_block + GUARD;
	vt_mem.base = RAM_BASE;
	vt_mem.size = RAM_SIZE;
}

static bool guards_intact(void)
{
	for (size_t i = 0; i < GUARD; i++)
		if (vt_block[i] != 0xa5 ||
		    vt_block[GUARD + RAM_SIZE + i] != 0xa5)
			return false;
	return true;
}

static bool iov_in_ram(const struct virtq_elem *e)
{
	for (unsigned int i = 0; i < e->out_num + e->in_num; i++) {
		uint8_t *p = e->iov[i].iov_base;

		if (p < vt_mem.host || p > vt_mem.host + RAM_SIZE ||
		    e->iov[i].iov_len > (size_t)(vt_mem.host + RAM_SIZE - p))
			return false;
	}
	return true;
}

/* ---- A test device type: echoes every chain back, filling it. ---- */

struct vt_dev {
	struct virtio_dev vdev;
	unsigned int handled;
	unsigned int last_out, last_in;
	uint64_t last_out_len, last_in_len;
	bool bad_iov;
	struct virtq_elem elem;
};

static int vt_queue_irqs, vt_config_irqs;
static uint64_t vt_features =
    1ULL << VIRTIO_F_INDIRECT_DESC | 1ULL << VIRTIO_F_EVENT_IDX | 1ULL << 3;

static uint64_t vt_get_features(struct virtio_dev *d)
{
	return vt_features;
}

static void vt_config_read(struct virtio_dev *d, uint32_t off, void *buf,
			   uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)(0x10 + off + i);
}

static void vt_queue_notify(struct virtio_dev *d, unsigned int q)
{
	struct vt_dev *t = (struct vt_dev *)d;
	bool pushed = false;

	while (virtio_pop(d, q, &t->elem) == VIRTQ_GOT) {
		struct virtq_elem *e = &t->elem;
		uint8_t fill[64];

		__atomic_fetch_add(&t->handled, 1, __ATOMIC_RELAXED);
		t->last_out = e->out_num;
		t->last_in = e->in_num;
		t->last_out_len = e->out_len;
		t->last_in_len = e->in_len;
		if (!iov_in_ram(e))
			t->bad_iov = true;
		memset(fill, 0xee, sizeof(fill));
		virtq_elem_write(e, 0, fill,
				 e->in_len < sizeof(fill) ? e->in_len
							  : sizeof(fill));
		virtio_push(d, q, e, (uint32_t)e->in_len);
		pushed = true;
	}
	if (pushed)
		virtio_notify_used(d, q);
}

static void vt_destroy(struct virtio_dev *d)
{
	free(d);
}

static const struct virtio_device_ops vt_ops = {
    .name = "virtio-test",
    .device_id = 0x42,
    .num_queues = 2,
    .queue_max_size = QMAX,
    .config_size = 8,
    .get_features = vt_get_features,
    .config_read = vt_config_read,
    .queue_notify = vt_queue_notify,
    .destroy = vt_destroy,
};

static void vt_notify_queue(void *opaque, unsigned int q)
{
	vt_queue_irqs++;
}

static void vt_notify_config(void *opaque)
{
	vt_config_irqs++;
}

static const struct virtio_transport_ops vt_transport = {
    .notify_queue = vt_notify_queue,
    .notify_config = vt_notify_config,
};

static struct vt_dev *vt_create(void)
{
	struct vt_dev *t = calloc(1, sizeof(*t));

	ram_setup();
	virtio_dev_init(&t->vdev, &vt_ops, &vt_mem);
	virtio_set_transport(&t->vdev, &vt_transport, NULL);
	vt_queue_irqs = vt_config_irqs = 0;
	return t;
}

/* The driver init sequence of section 3.1.1 with the given features. */
static void vt_driver_init(struct vt_dev *t, struct vq_driver *v,
			   uint64_t features, uint16_t size)
{
	struct virtio_dev *d = &t->vdev;

	virtio_set_status(d, 0);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_set_driver_features(d, 0, (uint32_t)features);
	virtio_set_driver_features(d, 1, (uint32_t)(features >> 32));
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	vqd_init(v, &vt_mem, size, DESC, AVAIL, USED);
	virtio_queue_set_size(d, 0, size);
	virtio_queue_set_desc(d, 0, DESC);
	virtio_queue_set_driver(d, 0, AVAIL);
	virtio_queue_set_device(d, 0, USED);
	virtio_queue_set_ready(d, 0, true);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK |
				 VIRTIO_STATUS_DRIVER_OK);
}

#define F_ALL                                                          \
	(1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_INDIRECT_DESC | \
	 1ULL << VIRTIO_F_EVENT_IDX)
#define F_PLAIN (1ULL << VIRTIO_F_VERSION_1)

static bool needs_reset(struct vt_dev *t)
{
	return virtio_get_status(&t->vdev) & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
}

/* ---- Tests of the queue itself ---- */

static void init_checks_geometry(void)
{
	struct virtqueue vq;

	ram_setup();
	CHECK(virtq_init(&vq, &vt_mem, 16, DESC, AVAIL, USED, false, false));
	CHECK(!vq.broken);
	CHECK(!virtq_init(&vq, &vt_mem, 0, DESC, AVAIL, USED, false, false));
	CHECK(!virtq_init(&vq, &vt_mem, 12, DESC, AVAIL, USED, false, false));
	CHECK(!virtq_init(&vq, &vt_mem, 2048, DESC, AVAIL, USED, false, false));
	CHECK(
	    !virtq_init(&vq, &vt_mem, 16, DESC + 8, AVAIL, USED, false, false));
	CHECK(
	    !virtq_init(&vq, &vt_mem, 16, DESC, AVAIL + 1, USED, false, false));
	CHECK(
	    !virtq_init(&vq, &vt_mem, 16, DESC, AVAIL, USED + 2, false, false));
	CHECK(!virtq_init(&vq, &vt_mem, 16, RAM_BASE - 16, AVAIL, USED, false,
			  false));
	/* The used ring would end past RAM by a few bytes. */
	CHECK(!virtq_init(&vq, &vt_mem, 16, DESC, AVAIL,
			  RAM_BASE + RAM_SIZE - 8 * 16, false, false));
	CHECK(!virtq_init(&vq, &vt_mem, 16, 0xfffffffffffffff0ULL, AVAIL, USED,
			  false, false));
	CHECK(vq.broken);
	CHECK_EQ(virtq_pop(&vq, NULL), VIRTQ_MALFORMED);
}

static struct virtq_elem vt_elem;

static void simple_chain(void)
{
	struct virtqueue vq;
	struct vq_driver v;
	uint32_t id = 0, len = 0;

	ram_setup();
	vqd_init(&v, &vt_mem, 8, DESC, AVAIL, USED);
	CHECK(virtq_init(&vq, &vt_mem, 8, DESC, AVAIL, USED, false, false));
	CHECK_EQ(virtq_pop(&vq, &vt_elem), VIRTQ_EMPTY);
	vqd_desc(&v, 3, BUF, 16, VIRTQ_DESC_F_NEXT, 5);
	vqd_desc(&v, 5, BUF + 0x100, 512,
		 VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	vqd_desc(&v, 1, BUF + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&v, 3);
	CHECK_EQ(virtq_pop(&vq, &vt_elem), VIRTQ_GOT);
	CHECK_EQ(vt_elem.head, 3);
	CHECK_EQ(vt_elem.out_num, 1);
	CHECK_EQ(vt_elem.in_num, 2);
	CHECK_EQ(vt_elem.out_len, 16);
	CHECK_EQ(vt_elem.in_len, 513);
	CHECK(vt_elem.iov[0].iov_base == vt_mem.host + 0x10000);
	CHECK(vt_elem.iov[1].iov_base == vt_mem.host + 0x10100);
	CHECK(vt_elem.iov[2].iov_base == vt_mem.host + 0x10400);
	CHECK_EQ(virtq_pop(&vq, &vt_elem), VIRTQ_EMPTY);
	virtq_push(&vq, &vt_elem, 513);
	CHECK(vqd_get_used(&v, &id, &len));
	CHECK_EQ(id, 3);
	CHECK_EQ(len, 513);
	CHECK(!vqd_get_used(&v, &id, &len));
	CHECK(virtq_should_notify(&vq));
	vqd_set_avail_flags(&v, VIRTQ_AVAIL_F_NO_INTERRUPT);
	CHECK(!virtq_should_notify(&vq));
}

static void elem_copy_helpers(void)
{
	struct virtqueue vq;
	struct vq_driver v;
	uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8];

	ram_setup();
	vqd_init(&v, &vt_mem, 8, DESC, AVAIL, USED);
	CHECK(virtq_init(&vq, &vt_mem, 8, DESC, AVAIL, USED, false, false));
	memcpy(vt_mem.host + 0x10000, "abc", 3);
	memcpy(vt_mem.host + 0x10100, "defgh", 5);
	vqd_desc(&v, 0, BUF, 3, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(&v, 1, BUF + 0x100, 5, VIRTQ_DESC_F_NEXT, 2);
	vqd_desc(&v, 2, BUF + 0x200, 2, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
		 3);
	vqd_desc(&v, 3, BUF + 0x300, 4, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&v, 0);
	CHECK_EQ(virtq_pop(&vq, &vt_elem), VIRTQ_GOT);
	CHECK_EQ(virtq_elem_read(&vt_elem, 2, out, 8), 6);
	CHECK(!memcmp(out, "cdefgh", 6));
	CHECK_EQ(virtq_elem_write(&vt_elem, 1, buf, 8), 5);
	CHECK_EQ(vt_mem.host[0x10200], 0);
	CHECK_EQ(vt_mem.host[0x10201], 1);
	CHECK(!memcmp(vt_mem.host + 0x10300, "\2\3\4\5", 4));
	CHECK_EQ(vt_mem.host[0x10304], 0);
}

/* Pages a device wrote are marked for live migration (lib/guest_mem.h):
 * what virtq_elem_write copies at once, every writable buffer and the used
 * ring at the push; readable buffers and the rings the driver writes are
 * not. */
static bool page_marked(const struct guest_dirty *d, uint64_t gpa)
{
	uint64_t page = (gpa - RAM_BASE) >> d->page_shift;

	return atomic_load(&d->bits[page / 64]) & (1ULL << (page % 64));
}

static void dirty_marking(void)
{
	_Atomic uint64_t bits[(RAM_SIZE >> 12) / 64 + 1] = {0};
	struct guest_dirty dirty = {
	    .page_shift = 12, .pages = RAM_SIZE >> 12, .bits = bits};
	uint8_t data[4] = {1, 2, 3, 4};
	struct virtqueue vq;
	struct vq_driver v;

	ram_setup();
	vt_mem.dirty = &dirty;
	vqd_init(&v, &vt_mem, 8, DESC, AVAIL, USED);
	CHECK(virtq_init(&vq, &vt_mem, 8, DESC, AVAIL, USED, false, false));
	vqd_desc(&v, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(&v, 1, BUF + 0x3000, 0x1800,
		 VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	vqd_desc(&v, 2, BUF + 0x8000, 4, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&v, 0);
	CHECK_EQ(virtq_pop(&vq, &vt_elem), VIRTQ_GOT);
	/* Popping writes nothing. */
	for (unsigned int i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		CHECK_EQ(atomic_load(&bits[i]), 0);
	/* A copy marks the pages it wrote, only those. */
	CHECK_EQ(virtq_elem_write(&vt_elem, 0x1800, data, 4), 4);
	CHECK(page_marked(&dirty, BUF + 0x8000));
	CHECK(!page_marked(&dirty, BUF + 0x3000));
	CHECK(!page_marked(&dirty, USED));
	/* The push: both writable buffers (the first spans two pages), the
	 * used ring; not the readable buffer, nor the descriptors. */
	virtq_push(&vq, &vt_elem, 4);
	CHECK(page_marked(&dirty, BUF + 0x3000));
	CHECK(page_marked(&dirty, BUF + 0x4000));
	CHECK(!page_marked(&dirty, BUF + 0x5000));
	CHECK(page_marked(&dirty, USED));
	CHECK(!page_marked(&dirty, BUF));
	CHECK(!page_marked(&dirty, DESC));
	CHECK(!page_marked(&dirty, AVAIL));
	/* Outside RAM: nothing, and no crash. */
	guest_mem_dirty(&vt_mem, vt_mem.host + RAM_SIZE, 1);
	guest_mem_dirty(&vt_mem, vt_mem.host - 1, 1);
	vt_mem.dirty = NULL;
}

static void index_wraparound(void)
{
	struct virtqueue vq;
	struct vq_driver v;
	uint32_t id = 0, len = 0;
	bool ok = true;

	ram_setup();
	vqd_init(&v, &vt_mem, 4, DESC, AVAIL, USED);
	CHECK(virtq_init(&vq, &vt_mem, 4, DESC, AVAIL, USED, false, false));
	for (unsigned int i = 0; i < 70000 && ok; i++) {
		uint16_t head = i % 4;

		vqd_desc(&v, head, BUF + head * 64, 64, VIRTQ_DESC_F_WRITE, 0);
		vqd_publish(&v, head);
		ok = virtq_pop(&vq, &vt_elem) == VIRTQ_GOT &&
		     vt_elem.head == head;
		virtq_push(&vq, &vt_elem, 7);
		ok =
		    ok && vqd_get_used(&v, &id, &len) && id == head && len == 7;
	}
	CHECK(ok);
	CHECK_EQ(vqd_used_idx(&v), 70000 % 65536);
}

static void indirect_chain(void)
{
	struct virtqueue vq;
	struct vq_driver v;
	uint64_t table = BUF + 0x8000;

	ram_setup();
	vqd_init(&v, &vt_mem, 8, DESC, AVAIL, USED);
	CHECK(virtq_init(&vq, &vt_mem, 8, DESC, AVAIL, USED, true, false));
	/* A direct readable buffer, then an indirect table of 3. */
	vqd_desc(&v, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(&v, 1, table, 48, VIRTQ_DESC_F_INDIRECT, 0);
	vqd_put_desc(&v, table, 0, BUF + 0x100, 100, VIRTQ_DESC_F_NEXT, 2);
	vqd_put_desc(&v, table, 2, BUF + 0x200, 200,
		     VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	vqd_put_desc(&v, table, 1, BUF + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&v, 0);
	CHECK_EQ(virtq_pop(&vq, &vt_elem), VIRTQ_GOT);
	CHECK_EQ(vt_elem.out_num, 2);
	CHECK_EQ(vt_elem.in_num, 2);
	CHECK_EQ(vt_elem.out_len, 116);
	CHECK_EQ(vt_elem.in_len, 201);
	CHECK(vt_elem.iov[3].iov_base == vt_mem.host + 0x10400);
	/* An indirect table of exactly queue-size entries is fine. */
	for (unsigned int i = 0; i < 8; i++)
		vqd_put_desc(&v, table, i, BUF + 0x100 * i, 8,
			     VIRTQ_DESC_F_WRITE |
				 (i < 7 ? VIRTQ_DESC_F_NEXT : 0),
			     (uint16_t)(i + 1));
	vqd_desc(&v, 2, table, 8 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	vqd_publish(&v, 2);
	CHECK_EQ(virtq_pop(&vq, &vt_elem), VIRTQ_GOT);
	CHECK_EQ(vt_elem.in_num, 8);
	CHECK(!vq.broken);
}

static void event_idx(void)
{
	struct virtqueue vq;
	struct vq_driver v;

	ram_setup();
	vqd_init(&v, &vt_mem, 8, DESC, AVAIL, USED);
	CHECK(virtq_init(&vq, &vt_mem, 8, DESC, AVAIL, USED, false, true));
	/* An empty pop asks for a kick at the next entry. */
	CHECK_EQ(virtq_pop(&vq, &vt_elem), VIRTQ_EMPTY);
	CHECK_EQ(vqd_avail_event(&v), 0);
	for (uint16_t i = 0; i < 3; i++) {
		vqd_desc(&v, i, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
		vqd_publish(&v, i);
	}
	vqd_set_used_event(&v, 1); /* interrupt once entry 1 is used */
	CHECK_EQ(virtq_pop(&vq, &vt_elem), VIRTQ_GOT);
	virtq_push(&vq, &vt_elem, 8);
	CHECK(virtq_should_notify(&vq)); /* first time: always */
	CHECK_EQ(virtq_pop(&vq, &vt_elem), VIRTQ_GOT);
	virtq_push(&vq, &vt_elem, 8);
	CHECK(virtq_should_notify(&vq)); /* used idx went 1 -> 2 past 1 */
	CHECK_EQ(virtq_pop(&vq, &vt_elem), VIRTQ_GOT);
	virtq_push(&vq, &vt_elem, 8);
	CHECK(!virtq_should_notify(&vq)); /* 2 -> 3: not asked */
	CHECK_EQ(virtq_pop(&vq, &vt_elem), VIRTQ_EMPTY);
	CHECK_EQ(vqd_avail_event(&v), 3);
	vqd_set_used_event(&v, 5);
	CHECK(!virtq_should_notify(&vq)); /* nothing new */
}

/* ---- Through the core: status, features, malformed queues ---- */

static void negotiation(void)
{
	struct vt_dev *t = vt_create();
	struct virtio_dev *d = &t->vdev;

	CHECK_EQ(virtio_device_id(d), 0x42);
	CHECK_EQ(virtio_get_device_features(d, 0),
		 (1u << VIRTIO_F_INDIRECT_DESC) | (1u << VIRTIO_F_EVENT_IDX) |
		     (1u << 3));
	CHECK_EQ(virtio_get_device_features(d, 1), 1); /* VERSION_1 */
	CHECK_EQ(virtio_get_device_features(d, 2), 0);
	CHECK_EQ(virtio_get_device_features(d, 0xffffffff), 0);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* Bits not offered are dropped. */
	virtio_set_driver_features(d, 0, 0xffffffff);
	virtio_set_driver_features(d, 1, 0xffffffff);
	virtio_set_driver_features(d, 7, 0xffffffff);
	CHECK_EQ(virtio_get_driver_features(d, 0),
		 virtio_get_device_features(d, 0));
	CHECK_EQ(virtio_get_driver_features(d, 1), 1);
	CHECK_EQ(virtio_get_driver_features(d, 5), 0);
	/* Without VERSION_1, FEATURES_OK is refused. */
	virtio_set_driver_features(d, 1, 0);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	CHECK_EQ(virtio_get_status(d),
		 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	CHECK(!virtio_has_feature(d, 3));
	virtio_set_driver_features(d, 1, 1);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	CHECK(virtio_get_status(d) & VIRTIO_STATUS_FEATURES_OK);
	CHECK(virtio_has_feature(d, 3));
	CHECK(virtio_has_feature(d, VIRTIO_F_VERSION_1));
	CHECK(!virtio_has_feature(d, 4));
	CHECK(!virtio_has_feature(d, 200));
	/* Features are frozen after FEATURES_OK. */
	virtio_set_driver_features(d, 0, 0);
	CHECK_EQ(virtio_get_driver_features(d, 0),
		 virtio_get_device_features(d, 0));
	/* The driver cannot set DEVICE_NEEDS_RESET, nor clear bits. */
	virtio_set_status(d, VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	CHECK_EQ(virtio_get_status(d), VIRTIO_STATUS_ACKNOWLEDGE |
					   VIRTIO_STATUS_DRIVER |
					   VIRTIO_STATUS_FEATURES_OK);
	virtio_set_status(d, 0);
	CHECK_EQ(virtio_get_status(d), 0);
	CHECK_EQ(virtio_get_driver_features(d, 0), 0);
	virtio_destroy(d);
}

static void queue_registers(void)
{
	struct vt_dev *t = vt_create();
	struct virtio_dev *d = &t->vdev;

	CHECK_EQ(virtio_num_queues(d), 2);
	CHECK_EQ(virtio_queue_max_size(d, 0), QMAX);
	CHECK_EQ(virtio_queue_max_size(d, 2), 0);
	CHECK_EQ(virtio_queue_get_size(d, 1), QMAX);
	virtio_queue_set_size(d, 1, 3);
	virtio_queue_set_size(d, 1, 0);
	virtio_queue_set_size(d, 1, 32);
	CHECK_EQ(virtio_queue_get_size(d, 1), QMAX);
	virtio_queue_set_size(d, 1, 4);
	CHECK_EQ(virtio_queue_get_size(d, 1), 4);
	virtio_queue_set_desc(d, 1, 0x1234);
	virtio_queue_set_driver(d, 1, 0x5678);
	virtio_queue_set_device(d, 1, 0x9abc);
	CHECK_EQ(virtio_queue_get_desc(d, 1), 0x1234);
	CHECK_EQ(virtio_queue_get_driver(d, 1), 0x5678);
	CHECK_EQ(virtio_queue_get_device(d, 1), 0x9abc);
	CHECK_EQ(virtio_queue_get_msix_vector(d, 1), VIRTIO_MSI_NO_VECTOR);
	virtio_queue_set_msix_vector(d, 1, 3);
	CHECK_EQ(virtio_queue_get_msix_vector(d, 1), 3);
	virtio_set_config_msix_vector(d, 7);
	CHECK_EQ(virtio_get_config_msix_vector(d), 7);
	/* Out of range: reads 0, writes ignored, no crash. */
	for (unsigned int q = 2; q < 0x100000; q = q * 3 + 1) {
		virtio_queue_set_size(d, q, 4);
		virtio_queue_set_desc(d, q, 1);
		virtio_queue_set_ready(d, q, true);
		virtio_queue_set_msix_vector(d, q, 1);
		virtio_queue_notify(d, q);
		CHECK_EQ(virtio_queue_get_size(d, q), 0);
		CHECK_EQ(virtio_queue_get_ready(d, q), 0);
		CHECK_EQ(virtio_queue_get_desc(d, q), 0);
		CHECK_EQ(virtio_queue_get_msix_vector(d, q), 0);
	}
	virtio_queue_notify(d, 0xffffffff);
	/* Config space: bounds-checked, any size. */
	{
		uint8_t b[16];

		virtio_config_read(d, 6, b, 2);
		CHECK(b[0] == 0x16 && b[1] == 0x17);
		memset(b, 0xff, sizeof(b));
		virtio_config_read(d, 7, b, 2); /* straddles the end */
		CHECK(b[0] == 0 && b[1] == 0);
		virtio_config_read(d, 0xfffffffe, b, 4);
		CHECK(b[0] == 0 && b[3] == 0);
		virtio_config_write(d, 0, b, 4); /* no config_write: ignored */
	}
	CHECK_EQ(virtio_config_generation(d), 0);
	virtio_config_changed(d);
	CHECK_EQ(virtio_config_generation(d), 1);
	CHECK_EQ(vt_config_irqs, 1);
	/* Reset restores the queue registers. */
	virtio_reset(d);
	CHECK_EQ(virtio_queue_get_size(d, 1), QMAX);
	CHECK_EQ(virtio_queue_get_desc(d, 1), 0);
	CHECK_EQ(virtio_queue_get_msix_vector(d, 1), VIRTIO_MSI_NO_VECTOR);
	CHECK_EQ(virtio_get_config_msix_vector(d), VIRTIO_MSI_NO_VECTOR);
	virtio_destroy(d);
}

static void device_processing(void)
{
	struct vt_dev *t = vt_create();
	struct virtio_dev *d = &t->vdev;
	struct vq_driver v;
	uint32_t id = 0, len = 0;

	vt_driver_init(t, &v, F_PLAIN, 8);
	CHECK_EQ(virtio_get_status(d) & 0x0f, 0x0f);
	CHECK(virtio_queue_get_ready(d, 0));
	/* Writes to a ready queue's geometry are ignored. */
	virtio_queue_set_size(d, 0, 4);
	virtio_queue_set_desc(d, 0, 0);
	CHECK_EQ(virtio_queue_get_size(d, 0), 8);
	CHECK_EQ(virtio_queue_get_desc(d, 0), DESC);
	vqd_desc(&v, 0, BUF, 4, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(&v, 1, BUF + 0x100, 32, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&v, 0);
	virtio_queue_notify(d, 0);
	CHECK_EQ(t->handled, 1);
	CHECK_EQ(vt_queue_irqs, 1);
	CHECK(vqd_get_used(&v, &id, &len));
	CHECK(id == 0 && len == 32);
	CHECK_EQ(vt_mem.host[0x10100], 0xee);
	/* Queue 1 is not ready: a kick does nothing. */
	virtio_queue_notify(d, 1);
	CHECK_EQ(t->handled, 1);
	/* NO_INTERRUPT suppresses the interrupt, not the work. */
	vqd_set_avail_flags(&v, VIRTQ_AVAIL_F_NO_INTERRUPT);
	vqd_publish(&v, 0);
	virtio_queue_notify(d, 0);
	CHECK_EQ(t->handled, 2);
	CHECK_EQ(vt_queue_irqs, 1);
	/* Disabling the queue stops it. */
	virtio_queue_set_ready(d, 0, false);
	vqd_publish(&v, 0);
	virtio_queue_notify(d, 0);
	CHECK_EQ(t->handled, 2);
	/* Before DRIVER_OK nothing is processed. */
	vt_driver_init(t, &v, F_PLAIN, 8);
	virtio_set_status(d, 0);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_queue_set_desc(d, 0, DESC);
	virtio_queue_set_driver(d, 0, AVAIL);
	virtio_queue_set_device(d, 0, USED);
	virtio_queue_set_ready(d, 0, true);
	vqd_publish(&v, 0);
	virtio_queue_notify(d, 0);
	CHECK_EQ(t->handled, 2);
	CHECK(!needs_reset(t));
	CHECK(guards_intact());
	CHECK(!t->bad_iov);
	virtio_destroy(d);
}

/*
 * Each malformed case: set up a good queue, let `bad` break it, kick, and
 * check NEEDS_RESET, the config interrupt, nothing used, and that a reset
 * brings the device back to work.
 */
typedef void (*vt_breaker)(struct vq_driver *v);

static bool vt_malformed(vt_breaker bad, uint64_t features)
{
	struct vt_dev *t = vt_create();
	struct virtio_dev *d = &t->vdev;
	struct vq_driver v;
	uint32_t id = 0, len = 0;
	bool ok = true;

	vt_driver_init(t, &v, features, 8);
	bad(&v);
	virtio_queue_notify(d, 0);
	ok &= needs_reset(t);
	ok &= vt_config_irqs == 1;
	ok &= !vqd_get_used(&v, &id, &len);
	/* Further kicks are ignored until a reset. */
	virtio_queue_notify(d, 0);
	ok &= vt_config_irqs == 1 && t->handled == 0;
	ok &= guards_intact() && !t->bad_iov;
	/* A reset and a good request: back in business. */
	vt_driver_init(t, &v, features, 8);
	ok &= !needs_reset(t);
	vqd_desc(&v, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&v, 0);
	virtio_queue_notify(d, 0);
	ok &= t->handled == 1 && vqd_get_used(&v, &id, &len) && id == 0;
	virtio_destroy(d);
	return ok;
}

static void bad_head(struct vq_driver *v)
{
	vqd_desc(v, 0, BUF, 8, 0, 0);
	vqd_publish(v, 8);
}

static void bad_avail_idx(struct vq_driver *v)
{
	vqd_desc(v, 0, BUF, 8, 0, 0);
	vqd_set_avail_idx(v, 9); /* 9 new entries in a queue of 8 */
}

static void bad_avail_idx_backwards(struct vq_driver *v)
{
	vqd_set_avail_idx(v, 0xffff);
}

static void bad_loop(struct vq_driver *v)
{
	vqd_desc(v, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(v, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
	vqd_publish(v, 0);
}

static void bad_self_loop(struct vq_driver *v)
{
	vqd_desc(v, 5, BUF, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 5);
	vqd_publish(v, 5);
}

static void bad_next(struct vq_driver *v)
{
	vqd_desc(v, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 8);
	vqd_publish(v, 0);
}

static void bad_addr_below(struct vq_driver *v)
{
	vqd_desc(v, 0, RAM_BASE - 4, 8, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(v, 0);
}

static void bad_addr_beyond(struct vq_driver *v)
{
	vqd_desc(v, 0, RAM_BASE + RAM_SIZE - 4, 8, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(v, 0);
}

static void bad_addr_wraps(struct vq_driver *v)
{
	vqd_desc(v, 0, 0xffffffffffffff00ULL, 0x200, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(v, 0);
}

static void bad_len_huge(struct vq_driver *v)
{
	vqd_desc(v, 0, BUF, 0xffffffff, 0, 0);
	vqd_publish(v, 0);
}

static void bad_order(struct vq_driver *v)
{
	vqd_desc(v, 0, BUF, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	vqd_desc(v, 1, BUF + 8, 8, 0, 0);
	vqd_publish(v, 0);
}

static void bad_indirect_len(struct vq_driver *v)
{
	vqd_desc(v, 0, BUF + 0x8000, 40, VIRTQ_DESC_F_INDIRECT, 0);
	vqd_publish(v, 0);
}

static void bad_indirect_zero(struct vq_driver *v)
{
	vqd_desc(v, 0, BUF + 0x8000, 0, VIRTQ_DESC_F_INDIRECT, 0);
	vqd_publish(v, 0);
}

static void bad_indirect_outside(struct vq_driver *v)
{
	vqd_desc(v, 0, RAM_BASE + RAM_SIZE - 32, 64, VIRTQ_DESC_F_INDIRECT, 0);
	vqd_publish(v, 0);
}

static void bad_indirect_next_flag(struct vq_driver *v)
{
	vqd_put_desc(v, BUF + 0x8000, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	vqd_desc(v, 0, BUF + 0x8000, 16,
		 VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(v, 1, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(v, 0);
}

static void bad_indirect_nested(struct vq_driver *v)
{
	vqd_put_desc(v, BUF + 0x8000, 0, BUF + 0x9000, 16,
		     VIRTQ_DESC_F_INDIRECT, 0);
	vqd_put_desc(v, BUF + 0x9000, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	vqd_desc(v, 0, BUF + 0x8000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	vqd_publish(v, 0);
}

static void bad_indirect_next_index(struct vq_driver *v)
{
	vqd_put_desc(v, BUF + 0x8000, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 2);
	vqd_put_desc(v, BUF + 0x8000, 1, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	vqd_desc(v, 0, BUF + 0x8000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	vqd_publish(v, 0);
}

static void bad_indirect_loop(struct vq_driver *v)
{
	vqd_put_desc(v, BUF + 0x8000, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	vqd_put_desc(v, BUF + 0x8000, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
	vqd_desc(v, 0, BUF + 0x8000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	vqd_publish(v, 0);
}

static void bad_indirect_too_long(struct vq_driver *v)
{
	/* 9 chained entries through a queue of 8. */
	for (unsigned int i = 0; i < 9; i++)
		vqd_put_desc(v, BUF + 0x8000, i, BUF, 8,
			     i < 8 ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	vqd_desc(v, 0, BUF + 0x8000, 9 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	vqd_publish(v, 0);
}

static void bad_direct_then_long_indirect(struct vq_driver *v)
{
	/* 2 direct + 7 indirect = 9 > 8. */
	for (unsigned int i = 0; i < 7; i++)
		vqd_put_desc(v, BUF + 0x8000, i, BUF, 8,
			     i < 6 ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	vqd_desc(v, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(v, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 2);
	vqd_desc(v, 2, BUF + 0x8000, 7 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	vqd_publish(v, 0);
}

static void bad_indirect_buffer_outside(struct vq_driver *v)
{
	vqd_put_desc(v, BUF + 0x8000, 0, RAM_BASE + RAM_SIZE, 1,
		     VIRTQ_DESC_F_WRITE, 0);
	vqd_desc(v, 0, BUF + 0x8000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	vqd_publish(v, 0);
}

static void malformed_queues(void)
{
	static const vt_breaker cases[] = {
	    bad_head,
	    bad_avail_idx,
	    bad_avail_idx_backwards,
	    bad_loop,
	    bad_self_loop,
	    bad_next,
	    bad_addr_below,
	    bad_addr_beyond,
	    bad_addr_wraps,
	    bad_len_huge,
	    bad_order,
	    bad_indirect_len,
	    bad_indirect_zero,
	    bad_indirect_outside,
	    bad_indirect_next_flag,
	    bad_indirect_nested,
	    bad_indirect_next_index,
	    bad_indirect_loop,
	    bad_indirect_too_long,
	    bad_direct_then_long_indirect,
	    bad_indirect_buffer_outside,
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		if (!vt_malformed(cases[i], F_ALL)) {
			CHECK(!"malformed case failed");
			printf("  (malformed case #%u)\n", i);
		}
	}
}

static void good_indirect(struct vq_driver *v)
{
	vqd_put_desc(v, BUF + 0x8000, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	vqd_desc(v, 0, BUF + 0x8000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	vqd_publish(v, 0);
}

static void indirect_needs_feature(void)
{
	/* Without INDIRECT_DESC negotiated, an indirect descriptor is bad. */
	CHECK(vt_malformed(good_indirect, F_PLAIN));
}

static void bad_ring_geometry(void)
{
	struct vt_dev *t = vt_create();
	struct virtio_dev *d = &t->vdev;

	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_set_driver_features(d, 1, 1);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	virtio_queue_set_desc(d, 0, RAM_BASE + RAM_SIZE - 16);
	virtio_queue_set_driver(d, 0, AVAIL);
	virtio_queue_set_device(d, 0, USED);
	virtio_queue_set_ready(d, 0, true);
	CHECK(needs_reset(t));
	CHECK_EQ(vt_config_irqs, 1);
	virtio_set_status(d, VIRTIO_STATUS_DRIVER_OK);
	virtio_queue_notify(d, 0);
	CHECK_EQ(t->handled, 0);
	/* Misaligned used ring. */
	virtio_reset(d);
	CHECK(!needs_reset(t));
	virtio_queue_set_desc(d, 0, DESC);
	virtio_queue_set_driver(d, 0, AVAIL);
	virtio_queue_set_device(d, 0, USED + 2);
	virtio_queue_set_ready(d, 0, true);
	CHECK(needs_reset(t));
	CHECK(guards_intact());
	virtio_destroy(d);
}

/* The guest rewrites a descriptor between kicks: each pop sees one copy. */
static void guest_changes_descriptors(void)
{
	struct vt_dev *t = vt_create();
	struct vq_driver v;

	vt_driver_init(t, &v, F_ALL, 8);
	for (unsigned int i = 0; i < 8; i++) {
		vqd_desc(&v, (uint16_t)i, BUF + 0x100 * i, 16,
			 VIRTQ_DESC_F_WRITE, 0);
		vqd_publish(&v, (uint16_t)i);
	}
	virtio_queue_notify(&t->vdev, 0);
	CHECK_EQ(t->handled, 8);
	CHECK(!needs_reset(t));
	CHECK(!t->bad_iov);
	CHECK(guards_intact());
	virtio_destroy(&t->vdev);
}

/*
 * Kicks on one thread while another resets and re-initialises the device:
 * no deadlock, no crash, guards intact (the reset waits for the handler).
 */
static struct vt_dev *vt_race_dev;
static bool vt_race_stop;

static void *vt_kicker(void *arg)
{
	while (!__atomic_load_n(&vt_race_stop, __ATOMIC_RELAXED))
		virtio_queue_notify(&vt_race_dev->vdev, 0);
	return NULL;
}

static void concurrent_kick_and_reset(void)
{
	struct vt_dev *t = vt_create();
	struct virtio_dev *d = &t->vdev;
	struct vq_driver v;
	pthread_t th;

	vt_race_dev = t;
	vt_race_stop = false;
	vt_driver_init(t, &v, F_ALL, 8);
	for (uint16_t i = 0; i < 8; i++) {
		vqd_desc(&v, i, BUF + 0x100 * i, 64, VIRTQ_DESC_F_WRITE, 0);
		vqd_publish(&v, i);
	}
	CHECK(pthread_create(&th, NULL, vt_kicker, NULL) == 0);
	for (unsigned int i = 0;
	     i < 3000 ||
	     (__atomic_load_n(&t->handled, __ATOMIC_RELAXED) < 100 &&
	      i < 2000000);
	     i++) {
		virtio_set_status(d, 0);
		virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE |
					 VIRTIO_STATUS_DRIVER);
		virtio_set_driver_features(d, 1, 1);
		virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE |
					 VIRTIO_STATUS_DRIVER |
					 VIRTIO_STATUS_FEATURES_OK);
		virtio_queue_set_desc(d, 0, DESC);
		virtio_queue_set_driver(d, 0, AVAIL);
		virtio_queue_set_device(d, 0, USED);
		virtio_queue_set_size(d, 0, 8);
		virtio_queue_set_ready(d, 0, true);
		virtio_set_status(d, 0x0f);
	}
	__atomic_store_n(&vt_race_stop, true, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	CHECK(t->handled > 0);
	CHECK(!needs_reset(t));
	CHECK(!t->bad_iov);
	CHECK(guards_intact());
	virtio_destroy(d);
}

int main(void)
{
	check_suite = "virtqueue";
	RUN(init_checks_geometry);
	RUN(simple_chain);
	RUN(elem_copy_helpers);
	RUN(dirty_marking);
	RUN(index_wraparound);
	RUN(indirect_chain);
	RUN(event_idx);
	RUN(negotiation);
	RUN(queue_registers);
	RUN(device_processing);
	RUN(malformed_queues);
	RUN(indirect_needs_feature);
	RUN(bad_ring_geometry);
	RUN(guest_changes_descriptors);
	RUN(concurrent_kick_and_reset);
	free(vt_block);
	return check_main_end();
}
