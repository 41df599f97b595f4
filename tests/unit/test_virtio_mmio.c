// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the virtio-mmio transport (virtio/mmio.c, virtio 1.2
 * section 4.2.2) at register level: the driver init sequence of 4.2.3 with a
 * virtio-blk device behind it, a request through QueueNotify, interrupts,
 * byte-wise config reads, reset, hostile accesses and the DT node; the
 * doorbells on QueueNotify (one per queue, matching its index) through a
 * fake sink.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <libfdt.h>

#include "tests/unit/check.h"
#include "tests/unit/state_check.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "virtio/mmio.h"
#include "virtio/virtq_driver.h"

#define RAM_BASE  0x40000000ULL
#define RAM_SIZE  0x100000ULL
#define DESC	  (RAM_BASE + 0x0000)
#define AVAIL	  (RAM_BASE + 0x1000)
#define USED	  (RAM_BASE + 0x2000)
#define HDR	  (RAM_BASE + 0x4000)
#define STATUS	  (RAM_BASE + 0x4800)
#define DATA	  (RAM_BASE + 0x10000)
#define MMIO_BASE 0x0a000000ULL
#define SECTORS	  32

static uint8_t *mt_ram;
static struct guest_mem mt_mem;
static char mt_img[64];
static bool mt_level;
static int mt_edges;
static uint32_t mt_spi;

static void mt_set_level(void *opaque, uint32_t spi, bool level)
{
	if (level && !mt_level)
		mt_edges++;
	mt_level = level;
	mt_spi = spi;
}

static uint8_t *host(uint64_t gpa)
{
	return mt_ram + (gpa - RAM_BASE);
}

/* A slot with a fresh virtio-blk; keep_ram: guest RAM as it is (a
 * restore finds it restored). */
static struct device *mt_create_ram(bool keep_ram)
{
	struct irq_sink irq = {.set_level = mt_set_level};
	struct virtio_dev *vdev;

	if (!mt_ram)
		mt_ram = calloc(1, RAM_SIZE);
	if (!keep_ram)
		memset(mt_ram, 0, RAM_SIZE);
	mt_mem.host = mt_ram;
	mt_mem.base = RAM_BASE;
	mt_mem.size = RAM_SIZE;
	mt_level = false;
	mt_edges = 0;
	vdev = virtio_blk_create(mt_img, false, &mt_mem);
	if (!vdev)
		return NULL;
	return virtio_mmio_create(MMIO_BASE, 16, irq, vdev, NULL);
}

static struct device *mt_create(void)
{
	return mt_create_ram(false);
}

#define R(d, off)	 ((uint32_t)(d)->ops->mmio_read((d), (off), 4))
#define W(d, off, v)	 (d)->ops->mmio_write((d), (off), 4, (v))
#define RS(d, off, s)	 ((d)->ops->mmio_read((d), (off), (s)))
#define WS(d, off, s, v) (d)->ops->mmio_write((d), (off), (s), (v))

static void identification(void)
{
	struct device *d = mt_create();

	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(d->size, 0x200);
	CHECK_EQ(R(d, 0x000), 0x74726976);
	CHECK_EQ(R(d, 0x004), 2);
	CHECK_EQ(R(d, 0x008), VIRTIO_ID_BLOCK);
	CHECK(R(d, 0x00c) != 0);
	/* Control registers: only aligned 32-bit accesses. */
	CHECK_EQ(RS(d, 0x000, 1), 0);
	CHECK_EQ(RS(d, 0x000, 2), 0);
	CHECK_EQ(RS(d, 0x000, 8), 0);
	CHECK_EQ(RS(d, 0x001, 4), 0);
	W(d, 0x000, 0);
	CHECK_EQ(R(d, 0x000), 0x74726976);
	CHECK_EQ(R(d, 0x0b0), 0xffffffff); /* no shared memory */
	d->ops->destroy(d);
}

/* The driver side of 4.2.3.1 and 3.1.1. Returns the status read back. */
static uint32_t init_sequence(struct device *d, struct vq_driver *v,
			      uint32_t features_hi)
{
	uint32_t f0;

	W(d, 0x070, 0);
	W(d, 0x070, VIRTIO_STATUS_ACKNOWLEDGE);
	W(d, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	W(d, 0x014, 0);
	f0 = R(d, 0x010);
	W(d, 0x014, 1);
	CHECK_EQ(R(d, 0x010), 1); /* VERSION_1 */
	W(d, 0x024, 0);
	W(d, 0x020, f0);
	W(d, 0x024, 1);
	W(d, 0x020, features_hi);
	W(d, 0x070,
	  VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	      VIRTIO_STATUS_FEATURES_OK);
	if (!(R(d, 0x070) & VIRTIO_STATUS_FEATURES_OK))
		return R(d, 0x070);
	W(d, 0x030, 0);
	CHECK_EQ(R(d, 0x044), 0);
	CHECK(R(d, 0x034) >= 8);
	W(d, 0x038, 8);
	vqd_init(v, &mt_mem, 8, DESC, AVAIL, USED);
	W(d, 0x080, (uint32_t)DESC);
	W(d, 0x084, (uint32_t)(DESC >> 32));
	W(d, 0x090, (uint32_t)AVAIL);
	W(d, 0x094, (uint32_t)(AVAIL >> 32));
	W(d, 0x0a0, (uint32_t)USED);
	W(d, 0x0a4, (uint32_t)(USED >> 32));
	W(d, 0x044, 1);
	CHECK_EQ(R(d, 0x044), 1);
	W(d, 0x070,
	  VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	      VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	return R(d, 0x070);
}

/* Queue a read of sector into DATA with the three-descriptor chain. */
static void mt_read_request(struct vq_driver *v, uint64_t sector)
{
	put_le32(host(HDR), VIRTIO_BLK_T_IN);
	put_le64(host(HDR) + 8, sector);
	vqd_desc(v, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(v, 1, DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	vqd_desc(v, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(v, 0);
	*host(STATUS) = 0xff;
}

static void driver_init_and_request(void)
{
	struct device *d = mt_create();
	struct vq_driver v;
	uint32_t id = 0, len = 0;

	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(init_sequence(d, &v, 1), 0x0f);
	CHECK_EQ(R(d, 0x038), 8);
	CHECK_EQ(R(d, 0x080), (uint32_t)DESC);
	CHECK_EQ(R(d, 0x094), 0);
	/* A read of sector 1 through the queue. */
	mt_read_request(&v, 1);
	CHECK(!mt_level);
	W(d, 0x050, 0);
	CHECK(vqd_get_used(&v, &id, &len));
	CHECK(id == 0 && len == 513);
	CHECK_EQ(*host(STATUS), VIRTIO_BLK_S_OK);
	CHECK_EQ(host(DATA)[0], 0x11);
	/* Level interrupt while InterruptStatus is non-zero. */
	CHECK_EQ(R(d, 0x060), 1);
	CHECK(mt_level);
	CHECK_EQ(mt_spi, 16);
	W(d, 0x064, 2); /* acking the other bit changes nothing */
	CHECK(mt_level);
	W(d, 0x064, 1);
	CHECK(!mt_level);
	CHECK_EQ(R(d, 0x060), 0);
	/* The queue's geometry cannot change while ready. */
	W(d, 0x038, 4);
	W(d, 0x080, 0);
	CHECK_EQ(R(d, 0x038), 8);
	CHECK_EQ(R(d, 0x080), (uint32_t)DESC);
	/* Reset (status 0) clears everything, the line included. */
	vqd_set_used_event(&v, 1); /* EVENT_IDX: interrupt for the next */
	vqd_publish(&v, 0);
	W(d, 0x050, 0);
	CHECK(mt_level);
	W(d, 0x070, 0);
	CHECK_EQ(R(d, 0x070), 0);
	CHECK_EQ(R(d, 0x060), 0);
	CHECK(!mt_level);
	CHECK_EQ(R(d, 0x044), 0);
	CHECK_EQ(R(d, 0x080), 0);
	/* The device model's reset (VM reset) too. */
	CHECK_EQ(init_sequence(d, &v, 1), 0x0f);
	d->ops->reset(d);
	CHECK_EQ(R(d, 0x070), 0);
	d->ops->destroy(d);
}

static void features_ok_refused(void)
{
	struct device *d = mt_create();
	struct vq_driver v;

	CHECK(d);
	if (!d)
		return;
	/* A legacy driver (no VERSION_1) is refused FEATURES_OK. */
	CHECK_EQ(init_sequence(d, &v, 0),
		 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	d->ops->destroy(d);
}

static void config_bytes(void)
{
	struct device *d = mt_create();
	uint64_t cap = 0;

	CHECK(d);
	if (!d)
		return;
	for (unsigned int i = 0; i < 8; i++)
		cap |= RS(d, 0x100 + i, 1) << (8 * i);
	CHECK_EQ(cap, SECTORS);
	CHECK_EQ(RS(d, 0x100, 8), SECTORS);
	CHECK_EQ(RS(d, 0x100, 4), SECTORS);
	CHECK_EQ(RS(d, 0x100, 2), SECTORS);
	CHECK_EQ(RS(d, 0x114, 4), 512); /* blk_size */
	CHECK_EQ(RS(d, 0x115, 1), 2);	/* any offset */
	CHECK_EQ(RS(d, 0x1ff, 1), 0);	/* beyond the config: 0 */
	CHECK_EQ(RS(d, 0x1f8, 8), 0);
	WS(d, 0x100, 1, 0xff); /* read-only: ignored */
	CHECK_EQ(RS(d, 0x100, 1), SECTORS);
	CHECK_EQ(R(d, 0x0fc), 0); /* config generation */
	d->ops->destroy(d);
}

static void hostile_accesses(void)
{
	struct device *d = mt_create();
	struct vq_driver v;
	static const unsigned int sizes[] = {1, 2, 4, 8};
	static const uint64_t values[] = {
	    0, 1, 0xff, 0xffffffff, 0xffffffffffffffffULL, 0x80000000};

	CHECK(d);
	if (!d)
		return;
	/* Out-of-range queue selectors read 0 and ignore writes. */
	W(d, 0x030, 5);
	CHECK_EQ(R(d, 0x034), 0);
	W(d, 0x038, 8);
	W(d, 0x044, 1);
	CHECK_EQ(R(d, 0x044), 0);
	W(d, 0x030, 0xffffffff);
	CHECK_EQ(R(d, 0x034), 0);
	W(d, 0x050, 0xffffffff);
	W(d, 0x050, 1);
	/* Every offset, size and a few values: no crash, RAM untouched
	 * except through a valid queue (none is set up). */
	for (uint64_t off = 0; off < 0x200; off++)
		for (unsigned int s = 0; s < ARRAY_SIZE(sizes); s++) {
			if (off + sizes[s] > 0x200)
				continue;
			for (unsigned int i = 0; i < ARRAY_SIZE(values); i++) {
				if (off == 0x070 && values[i])
					continue; /* keep status sane below */
				WS(d, off, sizes[s], values[i]);
				RS(d, off, sizes[s]);
			}
		}
	/* The device still works after a reset. */
	CHECK_EQ(init_sequence(d, &v, 1), 0x0f);
	/* A malformed queue: NEEDS_RESET and a config interrupt. */
	W(d, 0x064, 3);
	vqd_desc(&v, 0, RAM_BASE + RAM_SIZE, 16, 0, 0);
	vqd_publish(&v, 0);
	W(d, 0x050, 0);
	CHECK(R(d, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	CHECK_EQ(R(d, 0x060), 2);
	CHECK(mt_level);
	W(d, 0x070, 0);
	CHECK(!mt_level);
	CHECK_EQ(init_sequence(d, &v, 1), 0x0f);
	d->ops->destroy(d);
}

static void fdt_node(void)
{
	struct device *d = mt_create();
	static char buf[4096];
	const fdt32_t *irq;
	const void *reg;
	fdt64_t r[2];
	const char *compat;
	int node, len;

	CHECK(d);
	if (!d)
		return;
	CHECK(fdt_create(buf, sizeof(buf)) == 0);
	fdt_finish_reservemap(buf);
	fdt_begin_node(buf, "");
	CHECK(d->ops->fdt_node(d, buf) == 0);
	fdt_end_node(buf);
	CHECK(fdt_finish(buf) == 0);
	node = fdt_path_offset(buf, "/virtio_mmio@a000000");
	CHECK(node >= 0);
	compat = fdt_getprop(buf, node, "compatible", &len);
	CHECK(compat && !strcmp(compat, "virtio,mmio"));
	reg = fdt_getprop(buf, node, "reg", &len);
	CHECK(reg && len == 16);
	if (reg && len == 16) {
		memcpy(r, reg, sizeof(r)); /* properties are 4-byte aligned */
		CHECK(fdt64_to_cpu(r[0]) == MMIO_BASE &&
		      fdt64_to_cpu(r[1]) == 0x200);
	}
	irq = fdt_getprop(buf, node, "interrupts", &len);
	CHECK(irq && len == 12 && fdt32_to_cpu(irq[0]) == 0 &&
	      fdt32_to_cpu(irq[1]) == 16 && fdt32_to_cpu(irq[2]) == 4);
	CHECK(fdt_getprop(buf, node, "dma-coherent", &len) && len == 0);
	d->ops->destroy(d);
}

/* A doorbell sink that records what it is given (the VMM's is KVM). */
#define FAKE_BELLS 16
static struct fake_bell {
	bool live;
	struct doorbell_spec spec;
} fake_bells[FAKE_BELLS];
static unsigned int fake_adds, fake_removes;

static void *fake_add(void *opaque, const struct doorbell_spec *spec)
{
	for (unsigned int i = 0; i < FAKE_BELLS; i++) {
		if (fake_bells[i].live)
			continue;
		fake_bells[i].live = true;
		fake_bells[i].spec = *spec;
		fake_adds++;
		return &fake_bells[i];
	}
	return NULL; /* full: the writes stay MMIO */
}

static void fake_remove(void *opaque, void *handle)
{
	struct fake_bell *b = handle;

	CHECK(b->live);
	b->live = false;
	fake_removes++;
}

static unsigned int fake_live(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < FAKE_BELLS; i++)
		n += fake_bells[i].live;
	return n;
}

/* The live doorbell of queue q, or NULL. */
static struct fake_bell *fake_find(unsigned int q)
{
	for (unsigned int i = 0; i < FAKE_BELLS; i++)
		if (fake_bells[i].live && fake_bells[i].spec.n == q)
			return &fake_bells[i];
	return NULL;
}

/*
 * One doorbell per queue at base + 0x50, 4 bytes, matching the queue's
 * index; set up again at each reset (each boot has a new KVM VM), gone at
 * destroy; ringing one runs that queue as a QueueNotify write would.
 */
static void doorbells(void)
{
	struct irq_sink irq = {.set_level = mt_set_level};
	struct doorbell_sink sink = {0};
	struct vq_driver v;
	struct fake_bell *b;
	struct device *d;
	uint32_t id = 0, len = 0;

	d = mt_create(); /* guest RAM cleared */
	CHECK(d);
	if (!d)
		return;
	d->ops->destroy(d);
	memset(fake_bells, 0, sizeof(fake_bells));
	fake_adds = fake_removes = 0;
	/* An empty sink (filled later, as the VMM's is): none yet. */
	d = virtio_mmio_create(0x0a000200, 17, irq,
			       virtio_balloon_create(&mt_mem), &sink);
	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(fake_adds, 0);
	sink = (struct doorbell_sink){.add = fake_add, .remove = fake_remove};
	d->ops->reset(d);
	CHECK_EQ(fake_live(), VIRTIO_BALLOON_QUEUES);
	for (unsigned int q = 0; q < VIRTIO_BALLOON_QUEUES; q++) {
		b = fake_find(q);
		CHECK(b);
		if (!b)
			continue;
		CHECK_EQ(b->spec.gpa, 0x0a000200 + 0x50);
		CHECK_EQ(b->spec.len, 4);
		CHECK(b->spec.datamatch);
		CHECK_EQ(b->spec.value, q);
		CHECK(b->spec.ring);
	}
	/* A reset replaces them all: the old ones first. */
	d->ops->reset(d);
	CHECK_EQ(fake_removes, VIRTIO_BALLOON_QUEUES);
	CHECK_EQ(fake_adds, 2 * VIRTIO_BALLOON_QUEUES);
	CHECK_EQ(fake_live(), VIRTIO_BALLOON_QUEUES);
	/* A driver's reset (status 0) keeps them. */
	W(d, 0x070, 0);
	CHECK_EQ(fake_live(), VIRTIO_BALLOON_QUEUES);
	d->ops->destroy(d);
	CHECK_EQ(fake_live(), 0);

	/* virtio-blk: its one doorbell runs a request. */
	fake_adds = fake_removes = 0;
	d = virtio_mmio_create(MMIO_BASE, 16, irq,
			       virtio_blk_create(mt_img, false, &mt_mem),
			       &sink);
	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(fake_live(), 1);
	b = fake_find(0);
	CHECK(b && b->spec.gpa == MMIO_BASE + 0x50 && b->spec.value == 0);
	CHECK_EQ(init_sequence(d, &v, 1), 0x0f);
	put_le32(host(HDR), VIRTIO_BLK_T_IN);
	put_le64(host(HDR) + 8, 2);
	vqd_desc(&v, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(&v, 1, DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	vqd_desc(&v, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(&v, 0);
	*host(STATUS) = 0xff;
	if (b)
		b->spec.ring(b->spec.arg, b->spec.n);
	CHECK(vqd_get_used(&v, &id, &len));
	CHECK(id == 0 && len == 513);
	CHECK_EQ(*host(STATUS), VIRTIO_BLK_S_OK);
	CHECK_EQ(host(DATA)[0], 0x22);
	CHECK(mt_level);
	d->ops->destroy(d);
	CHECK_EQ(fake_live(), 0);
	CHECK_EQ(fake_removes, 1);
}

static void *mt_make_obj(void)
{
	return mt_create_ram(true);
}

static const struct state_model mt_model = {
    .make = mt_make_obj,
    .destroy = state_dev_destroy,
    .save = state_dev_save,
    .restore = state_dev_restore,
};

/*
 * Snapshot (issue 13): a slot with a running driver, a completed request
 * and its interrupt pending is saved, restored into a fresh slot (guest
 * RAM kept, as a restore finds it) and takes the next request.
 */
static void snapshot_round_trip(void)
{
	struct device *d = mt_create(), *e;
	struct state_writer w;
	struct vq_driver v;
	uint32_t id = 0, len = 0;

	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(init_sequence(d, &v, 1), 0x0f);
	mt_read_request(&v, 1);
	W(d, 0x050, 0);
	CHECK(vqd_get_used(&v, &id, &len));
	W(d, 0x030, 0);
	W(d, 0x014, 1);
	state_save(&mt_model, d, &w);
	d->ops->destroy(d); /* its image lock too */
	mt_level = false;

	e = state_roundtrip(&mt_model, &w);
	CHECK(e != NULL);
	if (e) {
		CHECK(mt_level); /* InterruptStatus 1 drives the line */
		CHECK_EQ(R(e, 0x060), 1);
		CHECK_EQ(R(e, 0x070), 0x0f);
		CHECK_EQ(R(e, 0x044), 1);
		CHECK_EQ(R(e, 0x038), 8);
		CHECK_EQ(R(e, 0x010), 1); /* DeviceFeaturesSel 1 */
		W(e, 0x064, 1);
		CHECK(!mt_level);
		vqd_set_used_event(&v, 1); /* EVENT_IDX: the next one */
		mt_read_request(&v, 2);
		W(e, 0x050, 0);
		CHECK(vqd_get_used(&v, &id, &len));
		CHECK(id == 0 && len == 513);
		CHECK_EQ(*host(STATUS), VIRTIO_BLK_S_OK);
		CHECK_EQ(host(DATA)[0], 0x22);
		CHECK(mt_level);
		e->ops->destroy(e);
	}
	state_prefixes_fail(&mt_model, &w);
	/* InterruptStatus 4; status with reserved bit 0x10; a driver feature
	 * not offered (bit 63); queue size 3; a ready flag of 2. */
	state_corrupt_fails(&mt_model, &w, 12, 4, 4, "InterruptStatus");
	state_corrupt_fails(&mt_model, &w, 16, 1, 0x1f, "device status");
	state_corrupt_fails(&mt_model, &w, 24, 1, 0x80, "not offered");
	state_corrupt_fails(&mt_model, &w, 29, 2, 3, "size 3");
	state_corrupt_fails(&mt_model, &w, 29, 2, 512, "size 512");
	state_corrupt_fails(&mt_model, &w, 31, 1, 2, "expected 0 or 1");
	/* A ring outside guest RAM. */
	state_corrupt_fails(&mt_model, &w, 32, 8, RAM_BASE + RAM_SIZE,
			    "outside guest RAM");
	sw_free(&w);
}

/* While quiesced a notification waits, and runs at un-quiesce. */
static void quiesce_defers_notifications(void)
{
	struct device *d = mt_create();
	struct vq_driver v;
	struct virtio_dev *vdev;
	uint32_t id, len;

	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(init_sequence(d, &v, 1), 0x0f);
	vdev = virtio_mmio_device(d);
	virtio_quiesce(vdev, true);
	mt_read_request(&v, 1);
	W(d, 0x050, 0);
	CHECK(!vqd_get_used(&v, &id, &len));
	CHECK_EQ(R(d, 0x060), 0);
	virtio_quiesce(vdev, false);
	CHECK(vqd_get_used(&v, &id, &len));
	CHECK_EQ(R(d, 0x060), 1);
	d->ops->destroy(d);
}

int main(void)
{
	static uint8_t img[SECTORS * 512];
	int fd;

	check_suite = "virtio_mmio";
	snprintf(mt_img, sizeof(mt_img), "/tmp/armvm-mmio-XXXXXX");
	fd = mkstemp(mt_img);
	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i / 512 * 0x11);
	if (fd < 0 || write(fd, img, sizeof(img)) != (ssize_t)sizeof(img)) {
		printf("FAIL: virtio_mmio/setup: cannot make an image\n");
		return 1;
	}
	close(fd);
	RUN(identification);
	RUN(driver_init_and_request);
	RUN(features_ok_refused);
	RUN(config_bytes);
	RUN(hostile_accesses);
	RUN(fdt_node);
	RUN(doorbells);
	RUN(snapshot_round_trip);
	RUN(quiesce_defers_notifications);
	unlink(mt_img);
	free(mt_ram);
	return check_main_end();
}
