// SPDX-License-Identifier: GPL-2.0
/* The PCI layer (devices/pci.c) and the virtio-pci transport (virtio/pci.c),
 * driven through the host bridge's ECAM and MMIO windows as a guest would. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "devices/pci.h"
#include "lib/util.h"
#include "virtio/blk.h"
#include "virtio/pci.h"
#include "virtio/virtio.h"
#include "virtio/virtq_driver.h"
#include "tests/unit/check.h"
#include "tests/unit/state_check.h"

#define ECAM 0x3f000000ULL
#define MMIO 0x10000000ULL

static bool line[4];
static int msi_count;
static uint64_t msi_addr;
static uint32_t msi_data, msi_rid;

static void set_level(void *o, uint32_t spi, bool level)
{
	line[spi - 3] = level;
}

static bool send_msi(void *o, uint64_t addr, uint32_t data, uint32_t rid)
{
	msi_count++;
	msi_addr = addr;
	msi_data = data;
	msi_rid = rid;
	return true;
}

static struct pci_host *host_new(void)
{
	struct irq_sink irq = {.set_level = set_level};
	struct pci_host *h =
	    pci_host_create(ECAM, 0x1000000, MMIO, 0x2eff0000, 3, irq);

	memset(line, 0, sizeof(line));
	msi_count = 0;
	pci_host_set_msi(h, (struct msi_sink){.send = send_msi}, PCI_MSI_NONE,
			 0);
	return h;
}

static uint32_t cfg_rd(struct pci_host *h, int slot, uint32_t reg, int size)
{
	struct device *ecam = pci_host_ecam(h);

	return ecam->ops->mmio_read(ecam, (slot << 15) | reg, size);
}

static void cfg_wr(struct pci_host *h, int slot, uint32_t reg, int size,
		   uint32_t v)
{
	struct device *ecam = pci_host_ecam(h);

	ecam->ops->mmio_write(ecam, (slot << 15) | reg, size, v);
}

static uint64_t bar_rd(struct pci_host *h, uint64_t addr, int size)
{
	struct device *mmio = pci_host_mmio(h);

	return mmio->ops->mmio_read(mmio, addr - MMIO, size);
}

static void bar_wr(struct pci_host *h, uint64_t addr, int size, uint64_t v)
{
	struct device *mmio = pci_host_mmio(h);

	mmio->ops->mmio_write(mmio, addr - MMIO, size, v);
}

/* A function whose BAR reads return the offset, to see the routing. */
static uint64_t echo_read(struct pci_function *fn, int bar, uint64_t off,
			  unsigned int size)
{
	return 0x1000 * bar + off;
}

static void echo_destroy(struct pci_function *fn)
{
	free(fn);
}

static const struct pci_function_ops echo_ops = {.bar_read = echo_read,
						 .destroy = echo_destroy};

static struct pci_function *echo_fn(void)
{
	struct pci_function *fn = calloc(1, sizeof(*fn));

	pci_function_init(fn, "echo", 0x1234, 0x5678, 1, 0xff0000, 0, 0, true);
	fn->ops = &echo_ops;
	pci_function_add_bar(fn, 0, 0x1000, false);
	pci_function_add_bar(fn, 2, 0x100000, true);
	return fn;
}

static void config_space_and_bar_sizing(void)
{
	struct pci_host *h = host_new();
	struct pci_function *fn = echo_fn();

	CHECK_EQ(pci_host_add(h, fn, -1), 1); /* slot 0 stays empty */
	CHECK_EQ(cfg_rd(h, 1, 0, 4), 0x56781234);
	CHECK_EQ(cfg_rd(h, 0, 0, 4), 0xffffffff);	      /* no function */
	CHECK_EQ(cfg_rd(h, 1, 0x100000 >> 0, 4), 0xffffffff); /* bus 1 */
	CHECK_EQ(cfg_rd(h, 1, 0x3d, 1), 1);		      /* INTA# */
	/* Sizing: write ones, read back the size mask. */
	cfg_wr(h, 1, 0x10, 4, 0xffffffff);
	CHECK_EQ(cfg_rd(h, 1, 0x10, 4), 0xfffff000);
	cfg_wr(h, 1, 0x18, 4, 0xffffffff);
	cfg_wr(h, 1, 0x1c, 4, 0xffffffff);
	CHECK_EQ(cfg_rd(h, 1, 0x18, 4), 0xfff00000 | PCI_BAR_MEM64);
	CHECK_EQ(cfg_rd(h, 1, 0x1c, 4), 0xffffffff);
	/* Read-only fields stay. */
	cfg_wr(h, 1, 0, 4, 0);
	CHECK_EQ(cfg_rd(h, 1, 0, 2), 0x1234);
	/* Unaligned and odd-sized accesses do nothing. */
	CHECK_EQ(cfg_rd(h, 1, 1, 2), 0);
	cfg_wr(h, 1, 0x11, 2, 0);
	pci_host_destroy(h);
}

static void bar_routing_follows_programming(void)
{
	struct pci_host *h = host_new();
	struct pci_function *fn = echo_fn();

	pci_host_add(h, fn, 3);
	cfg_wr(h, 3, 0x10, 4, 0x10002000);
	CHECK_EQ(bar_rd(h, 0x10002010, 4), 0); /* memory decode still off */
	cfg_wr(h, 3, 0x04, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(bar_rd(h, 0x10002010, 4), 0x10);
	CHECK_EQ(bar_rd(h, 0x10002ffe, 4), 0); /* straddles the BAR's end */
	/* The firmware moves BARs; accesses follow. */
	cfg_wr(h, 3, 0x10, 4, 0x10100000);
	CHECK_EQ(bar_rd(h, 0x10002010, 4), 0);
	CHECK_EQ(bar_rd(h, 0x10100020, 4), 0x20);
	cfg_wr(h, 3, 0x18, 4, 0x10200000);
	cfg_wr(h, 3, 0x1c, 4, 0);
	CHECK_EQ(bar_rd(h, 0x10200008, 4), 0x2008);
	pci_host_destroy(h);
}

static void intx_lines_are_shared_and_swizzled(void)
{
	struct pci_host *h = host_new();
	struct pci_function *a = echo_fn(), *b = echo_fn();

	pci_host_add(h, a, 1); /* INTA# of slot 1 -> line 1 */
	pci_host_add(h, b, 5); /* slot 5 -> line 1 too */
	CHECK_EQ(pci_host_intx_spi(h, 1 << 3, 1), 4);
	CHECK_EQ(pci_host_intx_spi(h, 2 << 3, 1), 5);
	pci_set_intx(a, true);
	pci_set_intx(b, true);
	CHECK(line[1]);
	CHECK(cfg_rd(h, 1, 0x06, 2) & PCI_STATUS_INTERRUPT);
	pci_set_intx(a, false);
	CHECK(line[1]); /* b still asserts it */
	pci_set_intx(b, false);
	CHECK(!line[1]);
	/* Command.InterruptDisable masks the pin but not Status.IS. */
	cfg_wr(h, 1, 0x04, 2, PCI_COMMAND_INTX_DISABLE);
	pci_set_intx(a, true);
	CHECK(!line[1]);
	CHECK(cfg_rd(h, 1, 0x06, 2) & PCI_STATUS_INTERRUPT);
	cfg_wr(h, 1, 0x04, 2, 0);
	CHECK(line[1]);
	/* Reset drops it. */
	pci_host_reset(h);
	CHECK(!line[1]);
	pci_host_destroy(h);
}

/*
 * A device thread drives INTx while a vCPU toggles Command.InterruptDisable
 * (issue 10): the decision to assert must be taken with the state it is
 * taken from, or the line can stay up with INTx disabled (or the reverse).
 */
#define INTX_RACE_ROUNDS 200000
static struct pci_host *race_host;
static struct pci_function *race_fn;

static void *intx_race_device(void *arg)
{
	for (int i = 0; i < INTX_RACE_ROUNDS; i++)
		pci_set_intx(race_fn, i & 1);
	return NULL;
}

static void *intx_race_vcpu(void *arg)
{
	for (int i = 0; i < INTX_RACE_ROUNDS; i++)
		cfg_wr(race_host, 1, 0x04, 2,
		       i & 1 ? PCI_COMMAND_INTX_DISABLE : 0);
	return NULL;
}

static void intx_decided_under_the_lock(void)
{
	int mismatches = 0;

	race_host = host_new();
	race_fn = echo_fn();
	pci_host_add(race_host, race_fn, 1);
	for (int round = 0; round < 10; round++) {
		pthread_t a, b;
		bool want;

		pthread_create(&a, NULL, intx_race_device, NULL);
		pthread_create(&b, NULL, intx_race_vcpu, NULL);
		pthread_join(a, NULL);
		pthread_join(b, NULL);
		want = race_fn->intx_level && !(cfg_rd(race_host, 1, 0x04, 2) &
						PCI_COMMAND_INTX_DISABLE);
		if (race_fn->intx_asserted != want || line[1] != want)
			mismatches++;
	}
	CHECK_EQ(mismatches, 0);
	pci_host_destroy(race_host);
}

static void slots_fill_up(void)
{
	struct pci_host *h = host_new();
	struct pci_function *extra = echo_fn();

	for (int i = 1; i < PCI_MAX_SLOTS; i++)
		CHECK_EQ(pci_host_add(h, echo_fn(), -1), i);
	CHECK(pci_host_add(h, extra, -1) < 0);
	free(extra);
	pci_host_destroy(h);
}

/* --- virtio-pci ----------------------------------------------------------- */

static uint8_t ram[1 << 20];
static struct guest_mem mem = {
    .host = ram, .base = 0x40000000, .size = sizeof(ram)};
static struct pci_function *blk_fn; /* what host_with_blk plugged in */

static struct pci_host *host_with_blk(bool msix, char *path)
{
	struct pci_host *h = host_new();
	int fd = mkstemp(path);
	struct virtio_dev *blk;
	struct pci_function *fn;

	CHECK(fd >= 0 && ftruncate(fd, 1 << 20) == 0);
	close(fd);
	blk = virtio_blk_create(path, false, &mem);
	CHECK(blk != NULL);
	fn = virtio_pci_create(blk, msix);
	CHECK_EQ(pci_host_add(h, fn, -1), 1);
	blk_fn = fn;
	cfg_wr(h, 1, 0x10, 4, 0x10000000);
	cfg_wr(h, 1, 0x04, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return h;
}

/* Walk the capability list for a virtio cfg_type; returns its offset. */
static uint8_t find_vcap(struct pci_host *h, uint8_t type)
{
	for (uint8_t at = cfg_rd(h, 1, 0x34, 1), n = 0; at && n < 48;
	     at = cfg_rd(h, 1, at + 1, 1), n++)
		if (cfg_rd(h, 1, at, 1) == PCI_CAP_ID_VNDR &&
		    cfg_rd(h, 1, at + 3, 1) == type)
			return at;
	return 0;
}

static void virtio_ids_and_capabilities(void)
{
	char path[] = "/tmp/armvm-test-pci-XXXXXX";
	struct pci_host *h = host_with_blk(true, path);
	static const uint32_t want_off[5] = {0, 0x0000, 0x3000, 0x1000, 0x2000};

	CHECK_EQ(cfg_rd(h, 1, 0, 4), 0x10421af4); /* 0x1040 + block */
	CHECK_EQ(cfg_rd(h, 1, 0x08, 1), 1);	  /* revision 1: modern */
	/* EDK2's Virtio10Dxe binds only subsystem ids >= 0x40. */
	CHECK_EQ(cfg_rd(h, 1, 0x2e, 2), 0x40);
	CHECK(cfg_rd(h, 1, 0x06, 2) & PCI_STATUS_CAP_LIST);
	for (uint8_t type = 1; type <= 4; type++) {
		uint8_t at = find_vcap(h, type);

		CHECK(at != 0);
		CHECK_EQ(cfg_rd(h, 1, at + 4, 1), 0); /* BAR 0 */
		CHECK_EQ(cfg_rd(h, 1, at + 8, 4), want_off[type]);
	}
	CHECK_EQ(cfg_rd(h, 1, find_vcap(h, 2) + 16, 4), 4); /* multiplier */
	pci_host_destroy(h);
	unlink(path);
}

static void virtio_common_config(void)
{
	char path[] = "/tmp/armvm-test-pci-XXXXXX";
	struct pci_host *h = host_with_blk(false, path);
	const uint64_t bar = 0x10000000;

	bar_wr(h, bar + 0x00, 4, 1);	       /* device_feature_select = 1 */
	CHECK(bar_rd(h, bar + 0x04, 4) & 1);   /* VERSION_1 is bit 32 */
	CHECK_EQ(bar_rd(h, bar + 0x12, 2), 1); /* one queue */
	bar_wr(h, bar + 0x14, 1, 1 | 2);       /* ACKNOWLEDGE | DRIVER */
	bar_wr(h, bar + 0x08, 4, 1);
	bar_wr(h, bar + 0x0c, 4, 1);	     /* accept VERSION_1 */
	bar_wr(h, bar + 0x14, 1, 1 | 2 | 8); /* FEATURES_OK */
	CHECK(bar_rd(h, bar + 0x14, 1) & 8);
	/* An out-of-range queue reads as absent. */
	bar_wr(h, bar + 0x16, 2, 7);
	CHECK_EQ(bar_rd(h, bar + 0x18, 2), 0);
	bar_wr(h, bar + 0x16, 2, 0);
	CHECK(bar_rd(h, bar + 0x18, 2) > 0);
	/* 64-bit addresses written as two halves. */
	bar_wr(h, bar + 0x20, 4, 0x40001000);
	bar_wr(h, bar + 0x24, 4, 0);
	CHECK_EQ(bar_rd(h, bar + 0x20, 4), 0x40001000);
	CHECK_EQ(bar_rd(h, bar + 0x20, 8), 0x40001000);
	/* No MSI-X: a vector cannot be mapped and reads NO_VECTOR. */
	bar_wr(h, bar + 0x1a, 2, 0);
	CHECK_EQ(bar_rd(h, bar + 0x1a, 2), 0xffff);
	/* A field written in part is ignored; straddling reads are zero. */
	bar_wr(h, bar + 0x12, 1, 9);
	CHECK_EQ(bar_rd(h, bar + 0x12, 2), 1);
	CHECK_EQ(bar_rd(h, bar + 0x13, 2), 0);
	/* Device config: capacity (sectors) read byte by byte, as EDK2 does. */
	CHECK_EQ(bar_rd(h, bar + 0x2000, 1), (1 << 20) / 512 & 0xff);
	CHECK_EQ(bar_rd(h, bar + 0x2001, 1), ((1 << 20) / 512) >> 8);
	pci_host_destroy(h);
	unlink(path);
}

static void virtio_interrupts_intx_then_msix(void)
{
	char path[] = "/tmp/armvm-test-pci-XXXXXX";
	struct pci_host *h = host_with_blk(true, path);
	struct virtio_dev *vdev = virtio_pci_device(blk_fn);
	const uint64_t bar = 0x10000000;
	uint8_t cap = 0;

	for (uint8_t at = cfg_rd(h, 1, 0x34, 1); at;
	     at = cfg_rd(h, 1, at + 1, 1))
		if (cfg_rd(h, 1, at, 1) == PCI_CAP_ID_MSIX)
			cap = at;
	CHECK(cap != 0);
	CHECK_EQ(cfg_rd(h, 1, cap + 2, 2) & 0x7ff, 1); /* 2 vectors */

	/* INTx: ISR bit 1 (config) and the line; reading the ISR acks. */
	virtio_config_changed(vdev);
	CHECK(line[1]);
	CHECK_EQ(bar_rd(h, bar + 0x1000, 1), 2);
	CHECK(!line[1]);
	CHECK_EQ(bar_rd(h, bar + 0x1000, 1), 0);

	/* MSI-X: vector 0 for config changes, entry masked first. */
	bar_wr(h, bar + 0x10, 2, 0);
	CHECK_EQ(bar_rd(h, bar + 0x10, 2), 0);
	bar_wr(h, bar + 0x4000, 4, 0x08090040);
	bar_wr(h, bar + 0x4004, 4, 0);
	bar_wr(h, bar + 0x4008, 4, 0x2a);
	cfg_wr(h, 1, cap + 2, 2, 0x8000); /* enable */
	virtio_config_changed(vdev);
	CHECK_EQ(msi_count, 0); /* entry still masked: pending */
	CHECK_EQ(bar_rd(h, bar + 0x5000, 4), 1);
	CHECK(!line[1]);	       /* never INTx with MSI-X on */
	bar_wr(h, bar + 0x400c, 4, 0); /* unmask: the pending one goes */
	CHECK_EQ(msi_count, 1);
	CHECK_EQ(msi_addr, 0x08090040);
	CHECK_EQ(msi_data, 0x2a);
	CHECK_EQ(msi_rid, 1 << 3); /* requester id: bus 0, slot 1 */
	CHECK_EQ(bar_rd(h, bar + 0x5000, 4), 0);
	/* Writes past the table are ignored. */
	bar_wr(h, bar + 0x4000 + 16 * 2, 4, 0xdead);
	CHECK_EQ(bar_rd(h, bar + 0x4000 + 16 * 2, 4), 0);
	pci_host_destroy(h);
	unlink(path);
}

/* Snapshots (issue 13): a host with a virtio-blk on virtio-pci, slot 1. */
static char pt_path[] = "/tmp/armvm-test-pci-snap-XXXXXX";
static unsigned int bells;
static uint64_t bell_gpa;

static void *bell_add(void *opaque, const struct doorbell_spec *spec)
{
	bells++;
	if (spec->n == 0)
		bell_gpa = spec->gpa;
	return (void *)(uintptr_t)(spec->n + 1);
}

static void bell_remove(void *opaque, void *handle)
{
	bells--;
}

/* The virtio-blk function of the host pt_make made last (each test has
 * one host at a time). */
static struct pci_function *pt_fn;

static void *pt_make(void)
{
	static const struct doorbell_sink sink = {.add = bell_add,
						  .remove = bell_remove};
	struct pci_host *h = host_new();
	struct virtio_dev *blk = virtio_blk_create(pt_path, false, &mem);

	pci_host_set_doorbells(h, &sink);
	bells = 0;
	bell_gpa = 0;
	pt_fn = NULL;
	CHECK(blk != NULL);
	if (blk) {
		pt_fn = virtio_pci_create(blk, true);
		pci_host_add(h, pt_fn, 1);
	}
	return h;
}

static void pt_destroy(void *obj)
{
	pci_host_destroy(obj);
}

static void pt_save(void *obj, struct state_writer *w)
{
	struct device *ecam = pci_host_ecam(obj);

	ecam->ops->save(ecam, w);
	CHECK_EQ(pci_function_save(pt_fn, w), 0);
}

static int pt_restore(void *obj, struct state_reader *r)
{
	struct device *ecam = pci_host_ecam(obj);

	if (ecam->ops->restore(ecam, r))
		return -1;
	return pci_function_restore(pt_fn, r);
}

static const struct state_model pt_model = {
    .make = pt_make,
    .destroy = pt_destroy,
    .save = pt_save,
    .restore = pt_restore,
};

#define PT_BAR	 0x10008000ULL
#define PT_DESC	 0x40000000ULL
#define PT_AVAIL 0x40001000ULL
#define PT_USED	 0x40002000ULL
#define PT_HDR	 0x40004000ULL
#define PT_DATA	 0x40005000ULL
#define PT_STAT	 0x40006000ULL
/* Where the virtio device's record starts: the host's 8 bytes, the
 * configuration space and INTx, virtio-pci's 12 bytes, two MSI-X
 * entries and the PBA. */
#define PT_VIRTIO (8 + PCI_CFG_SIZE + 1 + 12 + 2 * 16 + 8)

static void pt_request(struct pci_host *h, struct vq_driver *v)
{
	uint8_t *g = ram - 0x40000000;

	put_le32(g + PT_HDR, VIRTIO_BLK_T_IN);
	put_le64(g + PT_HDR + 8, 0);
	vqd_desc(v, 0, PT_HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	vqd_desc(v, 1, PT_DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	vqd_desc(v, 2, PT_STAT, 1, VIRTQ_DESC_F_WRITE, 0);
	vqd_publish(v, 0);
	g[PT_STAT] = 0xff;
	bar_wr(h, PT_BAR + 0x3000, 2, 0); /* notify queue 0 */
}

/*
 * A driver with MSI-X (vector 0 config, 1 queue), one request done, is
 * saved; the fresh function restored gets its BAR, doorbell and vectors
 * back and completes the next request with the queue's MSI.
 */
static void virtio_pci_snapshot(void)
{
	struct pci_host *h = pt_make(), *g;
	struct state_writer w;
	struct vq_driver v;
	uint32_t id, len;
	uint8_t cap = 0x40;

	for (uint8_t at = cfg_rd(h, 1, 0x34, 1); at;
	     at = cfg_rd(h, 1, at + 1, 1))
		if (cfg_rd(h, 1, at, 1) == PCI_CAP_ID_MSIX)
			cap = at;
	cfg_wr(h, 1, 0x10, 4, (uint32_t)PT_BAR);
	cfg_wr(h, 1, 0x04, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	CHECK_EQ(bells, 1);
	CHECK_EQ(bell_gpa, PT_BAR + 0x3000);
	cfg_wr(h, 1, cap + 2, 2, 0x8000);	   /* MSI-X on */
	bar_wr(h, PT_BAR + 0x4010, 4, 0x08090040); /* vector 1 */
	bar_wr(h, PT_BAR + 0x4018, 4, 0x31);
	bar_wr(h, PT_BAR + 0x401c, 4, 0);
	bar_wr(h, PT_BAR + 0x14, 1, 1 | 2);
	bar_wr(h, PT_BAR + 0x08, 4, 1);
	bar_wr(h, PT_BAR + 0x0c, 4, 1);
	bar_wr(h, PT_BAR + 0x14, 1, 1 | 2 | 8);
	bar_wr(h, PT_BAR + 0x10, 2, 0); /* config: vector 0 */
	bar_wr(h, PT_BAR + 0x18, 2, 8);
	bar_wr(h, PT_BAR + 0x1a, 2, 1); /* queue 0: vector 1 */
	vqd_init(&v, &mem, 8, PT_DESC, PT_AVAIL, PT_USED);
	bar_wr(h, PT_BAR + 0x20, 8, PT_DESC);
	bar_wr(h, PT_BAR + 0x28, 8, PT_AVAIL);
	bar_wr(h, PT_BAR + 0x30, 8, PT_USED);
	bar_wr(h, PT_BAR + 0x1c, 2, 1);
	bar_wr(h, PT_BAR + 0x14, 1, 1 | 2 | 4 | 8);
	pt_request(h, &v);
	CHECK(vqd_get_used(&v, &id, &len));
	CHECK_EQ(msi_count, 1);
	bar_wr(h, PT_BAR + 0x16, 2, 0);
	state_save(&pt_model, h, &w);
	pci_host_destroy(h);
	CHECK_EQ(bells, 0);

	g = state_roundtrip(&pt_model, &w);
	CHECK(g != NULL);
	if (g) {
		CHECK_EQ(bells, 1); /* at the restored BAR 0 */
		CHECK_EQ(bell_gpa, PT_BAR + 0x3000);
		CHECK_EQ(cfg_rd(g, 1, 0x10, 4), (uint32_t)PT_BAR);
		CHECK_EQ(bar_rd(g, PT_BAR + 0x14, 1), 0x0f);
		CHECK_EQ(bar_rd(g, PT_BAR + 0x1a, 2), 1);
		CHECK_EQ(bar_rd(g, PT_BAR + 0x4018, 4), 0x31);
		msi_count = 0;
		pt_request(g, &v);
		CHECK(vqd_get_used(&v, &id, &len));
		CHECK(id == 0 && len == 513);
		CHECK_EQ(ram[PT_STAT - 0x40000000], VIRTIO_BLK_S_OK);
		CHECK_EQ(msi_count, 1);
		CHECK_EQ(msi_data, 0x31);
		pci_host_destroy(g);
	}
	/* A BAR value below its size is masked as a guest write would be. */
	{
		uint8_t *buf = malloc(w.len);
		struct state_reader r;

		memcpy(buf, w.buf, w.len);
		put_le32(buf + 8 + 0x10, (uint32_t)PT_BAR | 0x1230);
		g = pt_make();
		CHECK_EQ(state_restore(&pt_model, g, buf, w.len, &r), 0);
		CHECK_EQ(cfg_rd(g, 1, 0x10, 4), (uint32_t)PT_BAR);
		pci_host_destroy(g);
		free(buf);
	}
	state_corrupt_fails(&pt_model, &w, 0, 4, 0x6, "pcie: slots");
	state_corrupt_fails(&pt_model, &w, 8 + PCI_CFG_SIZE, 1, 2, "flag");
	state_corrupt_fails(&pt_model, &w, 8 + PCI_CFG_SIZE + 11, 1, 4, "ISR");
	state_corrupt_fails(&pt_model, &w, 8 + PCI_CFG_SIZE + 12, 1, 3,
			    "MSI-X vectors");
	state_corrupt_fails(&pt_model, &w, 8 + PCI_CFG_SIZE + 13 + 12, 4, 2,
			    "vector control");
	state_corrupt_fails(&pt_model, &w, PT_VIRTIO - 8, 8, 4, "pending bits");
	state_corrupt_fails(&pt_model, &w, PT_VIRTIO + 13, 2, 3, "size 3");
	/* The queue's vector past the table. */
	state_corrupt_fails(&pt_model, &w, PT_VIRTIO + 13 + 27, 2, 2,
			    "queue MSI-X vector");
	/* Truncations: every one at the ends and inside each part, which
	 * is enough for a record of 4 KiB. */
	for (size_t n = 0; n < w.len; n += n < 16 || n > w.len - 80 ? 1 : 97) {
		struct state_reader r;

		g = pt_make();
		CHECK(state_restore(&pt_model, g, w.buf, n, &r) == -1);
		pci_host_destroy(g);
	}
	sw_free(&w);
}

int main(void)
{
	check_suite = "pci";
	RUN(config_space_and_bar_sizing);
	RUN(bar_routing_follows_programming);
	RUN(intx_lines_are_shared_and_swizzled);
	RUN(intx_decided_under_the_lock);
	RUN(slots_fill_up);
	RUN(virtio_ids_and_capabilities);
	RUN(virtio_common_config);
	RUN(virtio_interrupts_intx_then_msix);
	{
		int fd = mkstemp(pt_path);

		CHECK(fd >= 0 && ftruncate(fd, 1 << 20) == 0);
		close(fd);
		RUN(virtio_pci_snapshot);
		unlink(pt_path);
	}
	return check_main_end();
}
