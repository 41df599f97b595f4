// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the CFI flash model, driven exactly as the stock EDK2
 * firmware's VirtNorFlashDxe drives it (research stock-firmware.md 2.2 and
 * evidence/pflash-trace-summary.txt): 32-bit commands replicated in both
 * 16-bit halves, status 0x00800080, 256 KiB blocks, 32-word buffers.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libfdt.h>

#include "devices/cfi_flash.h"
#include "lib/util.h"
#include "tests/unit/check.h"
#include "tests/unit/fdt_check.h"
#include "tests/unit/state_check.h"

#define FL_BLOCK     0x40000u
#define FL_BLOCKS    3 /* the firmware's variable store: 3 x 256 KiB */
#define FL_SIZE	     (FL_BLOCKS * FL_BLOCK)
#define FL_GUARD     4096
#define FL_STATUS_OK 0x00800080u

#define FL_CMD(c) ((uint32_t)(c) << 16 | (c))

/* What set_mapped saw, and a check that data only changes while unmapped. */
struct fl_rec {
	char log[64];
	unsigned int calls;
	bool mapped;
	bool fail_next;
	bool changed_while_mapped;
	uint8_t *data;
	uint8_t *snapshot;
};

static int fl_set_mapped(void *opaque, bool map)
{
	struct fl_rec *r = opaque;

	if (r->fail_next) {
		r->fail_next = false;
		return -1;
	}
	if (r->calls < sizeof(r->log) - 1)
		r->log[r->calls] = map ? 'M' : 'U';
	r->calls++;
	if (map) {
		memcpy(r->snapshot, r->data, FL_SIZE);
	} else if (memcmp(r->snapshot, r->data, FL_SIZE)) {
		r->changed_while_mapped = true;
	}
	r->mapped = map;
	return 0;
}

struct fl_bank {
	struct device *dev;
	uint8_t *mem; /* guard + bank + guard */
	uint8_t *data;
	struct fl_rec rec;
};

static void fl_open(struct fl_bank *b, bool writable)
{
	struct cfi_flash_config cfg = {
	    .name = "flash-vars",
	    .base = 0x04000000,
	    .size = FL_SIZE,
	    .writable = writable,
	    .sync_fd = -1,
	    .set_mapped = fl_set_mapped,
	};

	memset(b, 0, sizeof(*b));
	b->mem = malloc(FL_SIZE + 2 * FL_GUARD);
	memset(b->mem, 0x5a, FL_SIZE + 2 * FL_GUARD);
	b->data = b->mem + FL_GUARD;
	memset(b->data, 0, FL_SIZE); /* Debian's AAVMF_VARS.fd: all zero */
	b->rec.data = b->data;
	b->rec.snapshot = malloc(FL_SIZE);
	memcpy(b->rec.snapshot, b->data, FL_SIZE);
	b->rec.mapped = true;
	cfg.data = b->data;
	cfg.opaque = &b->rec;
	b->dev = cfi_flash_create(&cfg);
}

static bool fl_guards_intact(const struct fl_bank *b)
{
	for (size_t i = 0; i < FL_GUARD; i++)
		if (b->mem[i] != 0x5a || b->data[FL_SIZE + i] != 0x5a)
			return false;
	return true;
}

/* Ends a test: the mapped contents never changed under the guest. */
static void fl_close(struct fl_bank *b)
{
	CHECK(!b->rec.changed_while_mapped);
	if (b->rec.mapped)
		CHECK(!memcmp(b->rec.snapshot, b->data, FL_SIZE));
	CHECK(fl_guards_intact(b));
	b->dev->ops->destroy(b->dev);
	free(b->rec.snapshot);
	free(b->mem);
}

#define R(b, off)    ((uint32_t)(b)->dev->ops->mmio_read((b)->dev, (off), 4))
#define W(b, off, v) (b)->dev->ops->mmio_write((b)->dev, (off), 4, (v))

/* NorFlashReadStatusRegister: 0x70 at the bank base, read the bank base. */
static uint32_t fl_status(struct fl_bank *b)
{
	W(b, 0, FL_CMD(0x70));
	return R(b, 0);
}

/* NorFlashBlockIsLocked: 0x90 at block + 8, read block + 8. */
static uint32_t fl_lock_status(struct fl_bank *b, uint64_t block)
{
	W(b, block + 8, FL_CMD(0x90));
	return R(b, block + 8);
}

/* NorFlashEraseSingleBlock. */
static uint32_t fl_erase(struct fl_bank *b, uint64_t block)
{
	uint32_t sr;

	W(b, block, FL_CMD(0x20));
	W(b, block, FL_CMD(0xd0));
	sr = fl_status(b);
	if ((sr & 0x00300030) || (sr & 0x00080008))
		W(b, 0, FL_CMD(0x50));
	W(b, 0, FL_CMD(0xff));
	return sr;
}

/* NorFlashWriteBuffer: words 32-bit words at target (128-byte aligned). */
static uint32_t fl_write_buffer(struct fl_bank *b, uint64_t target,
				const uint32_t *buf, unsigned int words)
{
	uint32_t sr;

	W(b, target, FL_CMD(0xe8));
	CHECK_EQ(R(b, target) & FL_STATUS_OK, FL_STATUS_OK); /* *Data */
	W(b, target, FL_CMD(words - 1));
	for (unsigned int i = 0; i < words; i++)
		W(b, target + 4 * i, buf[i]);
	W(b, 0, FL_CMD(0xd0)); /* confirmed at the bank base */
	sr = fl_status(b);
	if (!(sr & 0x001a001a))
		W(b, 0, FL_CMD(0x50));
	W(b, 0, FL_CMD(0xff));
	return sr;
}

static void fl_pattern(uint32_t *buf, unsigned int words, uint32_t seed)
{
	for (unsigned int i = 0; i < words; i++)
		buf[i] = seed * 2654435761u + i * 0x01010101u;
}

static void lock_status_and_ids(void)
{
	struct fl_bank b;

	fl_open(&b, true);
	CHECK_EQ(fl_lock_status(&b, FL_BLOCK), 0); /* unlocked */
	CHECK_EQ(R(&b, FL_BLOCK), 0x00890089);	   /* Intel */
	CHECK_EQ(R(&b, FL_BLOCK + 4), 0x00180018);
	CHECK_EQ(R(&b, 0x8), 0); /* any block */
	CHECK_STR(b.rec.log, "U");
	W(&b, 0, FL_CMD(0xff));
	CHECK_STR(b.rec.log, "UM");
	CHECK_EQ(R(&b, 0), 0); /* array data again */
	fl_close(&b);
}

static void erase_fills_block(void)
{
	struct fl_bank b;

	fl_open(&b, true);
	CHECK_EQ(fl_lock_status(&b, FL_BLOCK), 0);
	CHECK_EQ(fl_erase(&b, FL_BLOCK), FL_STATUS_OK);
	CHECK_STR(b.rec.log, "UM");
	for (uint32_t i = 0; i < FL_BLOCK; i++)
		if (b.data[FL_BLOCK + i] != 0xff) {
			CHECK_EQ(i, FL_BLOCK); /* report the first bad byte */
			break;
		}
	CHECK_EQ(b.data[FL_BLOCK - 1], 0);
	CHECK_EQ(b.data[2 * FL_BLOCK], 0);
	/* The erase of the last block ends at the bank's end exactly. */
	CHECK_EQ(fl_erase(&b, 2 * FL_BLOCK + 0x1000), FL_STATUS_OK);
	CHECK_EQ(b.data[FL_SIZE - 1], 0xff);
	CHECK_EQ(b.data[2 * FL_BLOCK], 0xff);
	CHECK_EQ(b.data[0], 0);
	CHECK_EQ(R(&b, FL_BLOCK), 0xffffffff);
	fl_close(&b);
}

/* The first boot's sequence (trace summary, first 120 lines). */
static void firmware_first_boot_sequence(void)
{
	struct fl_bank b;
	uint32_t buf[32];

	fl_open(&b, true);
	for (uint64_t blk = 0; blk < FL_SIZE; blk += FL_BLOCK) {
		CHECK_EQ(fl_lock_status(&b, blk), 0);
		CHECK_EQ(fl_erase(&b, blk), FL_STATUS_OK);
	}
	W(&b, 0, FL_CMD(0xff)); /* already in array mode */
	CHECK_STR(b.rec.log, "UMUMUM");
	fl_pattern(buf, 32, 1);
	CHECK_EQ(fl_lock_status(&b, 0), 0);
	CHECK_EQ(fl_write_buffer(&b, 0, buf, 32), FL_STATUS_OK);
	CHECK(!memcmp(b.data, buf, sizeof(buf)));
	CHECK_EQ(b.data[128], 0xff);
	/* The firmware's 0x50 returns to array mode; its 0xFF is free. */
	CHECK_STR(b.rec.log, "UMUMUMUM");
	/* Next buffer, mid-block in block 1, shorter than 32 words. */
	fl_pattern(buf, 32, 2);
	CHECK_EQ(fl_write_buffer(&b, FL_BLOCK + 0x80, buf, 5), FL_STATUS_OK);
	CHECK(!memcmp(b.data + FL_BLOCK + 0x80, buf, 20));
	CHECK_EQ(get_le32(b.data + FL_BLOCK + 0x80 + 20), 0xffffffff);
	CHECK_EQ(get_le32(b.data + FL_BLOCK + 0x7c), 0xffffffff);
	CHECK_STR(b.rec.log, "UMUMUMUMUM"); /* one unmap + map per buffer */
	/* Reads in array mode come from the data (another vCPU trapping
	 * while the slot is switched), any size. */
	CHECK_EQ(R(&b, FL_BLOCK + 0x80), buf[0]);
	CHECK_EQ(b.dev->ops->mmio_read(b.dev, FL_BLOCK + 0x81, 1),
		 (buf[0] >> 8) & 0xff);
	CHECK_EQ(b.dev->ops->mmio_read(b.dev, FL_BLOCK + 0x80, 8),
		 (uint64_t)buf[1] << 32 | buf[0]);
	CHECK(cfi_flash_array_mode(b.dev));
	fl_close(&b);
}

static void read_array_in_array_mode_is_free(void)
{
	struct fl_bank b;

	fl_open(&b, true);
	for (int i = 0; i < 100; i++)
		W(&b, 0, FL_CMD(0xff));
	W(&b, 0, FL_CMD(0x50));	    /* clear status: stays in array mode */
	W(&b, 0x1cb20, 0x00017384); /* unknown command 0x84 */
	W(&b, 0, FL_CMD(0xd0));	    /* stray confirm */
	CHECK_EQ(b.rec.calls, 0);
	CHECK(cfi_flash_array_mode(b.dev));
	/* Status mode: one unmap; 0x70 again: nothing; 0xFF: one map. */
	W(&b, 0, FL_CMD(0x70));
	W(&b, 0, FL_CMD(0x70));
	CHECK(!cfi_flash_array_mode(b.dev));
	W(&b, 0, FL_CMD(0xff));
	W(&b, 0, FL_CMD(0xff));
	CHECK_STR(b.rec.log, "UM");
	fl_close(&b);
}

static void program_only_clears_bits(void)
{
	struct fl_bank b;
	uint32_t w;

	fl_open(&b, true);
	fl_erase(&b, 0);
	w = 0x12345678;
	fl_write_buffer(&b, 0x100, &w, 1);
	w = 0xffff0f0f;
	fl_write_buffer(&b, 0x100, &w, 1);
	CHECK_EQ(get_le32(b.data + 0x100), 0x12340608);
	/* Single-word program (0x40 and 0x10), as NorFlashWriteSingleWord. */
	W(&b, 0x200, FL_CMD(0x40));
	W(&b, 0x200, 0xa5a5a5a5);
	CHECK_EQ(fl_status(&b), FL_STATUS_OK);
	W(&b, 0, FL_CMD(0x50));
	W(&b, 0, FL_CMD(0xff));
	W(&b, 0x204, FL_CMD(0x10));
	W(&b, 0x204, 0x0000ffff);
	W(&b, 0, FL_CMD(0xff));
	CHECK_EQ(get_le32(b.data + 0x200), 0xa5a5a5a5);
	CHECK_EQ(get_le32(b.data + 0x204), 0x0000ffff);
	CHECK_EQ(get_le32(b.data + 0x208), 0xffffffff);
	fl_close(&b);
}

static void code_bank_ignores_writes(void)
{
	struct fl_bank b;
	uint32_t buf[32];

	fl_open(&b, false);
	memset(b.data, 0x3c, FL_SIZE);
	memcpy(b.rec.snapshot, b.data, FL_SIZE);
	/* DxeIpl's store to its .data (research 2.4), as two halves and
	 * as one 64-bit store. */
	W(&b, 0x1cb20, 0x00017384);
	W(&b, 0x1cb24, 0);
	b.dev->ops->mmio_write(b.dev, 0x1cb20, 8, 0x17384);
	fl_erase(&b, 0);
	fl_pattern(buf, 32, 3);
	W(&b, 0, FL_CMD(0xe8));
	W(&b, 0, FL_CMD(31));
	for (int i = 0; i < 32; i++)
		W(&b, 4 * i, 0);
	W(&b, 0, FL_CMD(0xd0));
	W(&b, 0x8, FL_CMD(0x90));
	CHECK_EQ(R(&b, 0x8), 0x3c3c3c3c); /* always read-array */
	CHECK_EQ(R(&b, 0), 0x3c3c3c3c);
	CHECK_EQ(b.rec.calls, 0);
	CHECK(cfi_flash_array_mode(b.dev));
	fl_close(&b);
}

static void sequence_errors(void)
{
	struct fl_bank b;
	uint32_t buf[33];

	fl_open(&b, true);
	fl_erase(&b, 0);
	fl_pattern(buf, 33, 4);

	/* Erase setup without confirm: SR4|SR5, nothing erased. */
	b.data[FL_BLOCK] = 0x11; /* as if programmed */
	b.rec.snapshot[FL_BLOCK] = 0x11;
	W(&b, FL_BLOCK, FL_CMD(0x20));
	W(&b, FL_BLOCK, FL_CMD(0xff));
	CHECK_EQ(R(&b, 0), 0x00b000b0); /* read status mode */
	CHECK_EQ(b.data[FL_BLOCK], 0x11);
	CHECK_EQ(fl_status(&b), 0x00b000b0); /* sticky */
	W(&b, 0, FL_CMD(0x50));		     /* clear: array mode */
	CHECK(cfi_flash_array_mode(b.dev));
	CHECK_EQ(fl_status(&b), FL_STATUS_OK);
	W(&b, 0, FL_CMD(0xff));

	/* Count larger than the 32-word buffer. */
	W(&b, 0, FL_CMD(0xe8));
	W(&b, 0, FL_CMD(32));
	CHECK_EQ(R(&b, 0), 0x00b000b0);
	for (int i = 0; i < 33; i++) /* ignored as program data */
		W(&b, 4 * i, buf[i]);
	W(&b, 0, FL_CMD(0x50));
	W(&b, 0, FL_CMD(0xff));
	CHECK_EQ(get_le32(b.data), 0xffffffff);

	/* Only the low 16 bits of the count count (research 2.2): the raw
	 * 0x001F001F would be far too many words. */
	W(&b, 0, FL_CMD(0xe8));
	W(&b, 0, 0xabcd001f);
	for (int i = 0; i < 32; i++)
		W(&b, 4 * i, buf[i]);
	W(&b, 0, FL_CMD(0xd0));
	CHECK_EQ(fl_status(&b), FL_STATUS_OK);
	W(&b, 0, FL_CMD(0xff));
	CHECK(!memcmp(b.data, buf, 128));
	CHECK_EQ(get_le32(b.data + 128), 0xffffffff);

	/* Data leaving the block: aborted, nothing written. */
	W(&b, FL_BLOCK - 8, FL_CMD(0xe8));
	W(&b, FL_BLOCK - 8, FL_CMD(3));
	W(&b, FL_BLOCK - 8, 0);
	W(&b, FL_BLOCK - 4, 0);
	W(&b, FL_BLOCK, 0);
	CHECK_EQ(fl_status(&b), 0x00b000b0);
	W(&b, FL_BLOCK + 4, 0); /* now just a (harmless) command */
	W(&b, 0, FL_CMD(0x50));
	CHECK_EQ(get_le32(b.data + FL_BLOCK - 4), 0xffffffff);
	CHECK_EQ(b.data[FL_BLOCK], 0x11);

	/* Missing confirm after the data: nothing written. */
	W(&b, 0x400, FL_CMD(0xe8));
	W(&b, 0x400, FL_CMD(1));
	W(&b, 0x400, 0);
	W(&b, 0x404, 0);
	W(&b, 0, FL_CMD(0xff));
	CHECK_EQ(fl_status(&b), 0x00b000b0);
	W(&b, 0, FL_CMD(0x50));
	CHECK_EQ(get_le32(b.data + 0x400), 0xffffffff);

	/* Lock setup: unlock/lock/lock-down accepted, garbage is an error;
	 * nothing ever locks. */
	W(&b, 0, FL_CMD(0x60));
	W(&b, 0, FL_CMD(0x01));
	CHECK_EQ(fl_status(&b), FL_STATUS_OK);
	CHECK_EQ(fl_lock_status(&b, 0), 0);
	W(&b, 0, FL_CMD(0x60));
	W(&b, 0, FL_CMD(0xd0));
	CHECK_EQ(fl_status(&b), FL_STATUS_OK);
	W(&b, 0, FL_CMD(0x60));
	W(&b, 0, FL_CMD(0x77));
	CHECK_EQ(fl_status(&b), 0x00b000b0);
	W(&b, 0, FL_CMD(0x50));
	W(&b, 0, FL_CMD(0xff));
	CHECK(cfi_flash_array_mode(b.dev));
	CHECK(!memcmp(b.data, buf, 128));
	fl_close(&b);
}

static uint32_t fl_rand_state = 12345;

static uint32_t fl_rand(void)
{
	fl_rand_state = fl_rand_state * 1103515245u + 12345u;
	return fl_rand_state >> 8;
}

static void hostile_accesses(void)
{
	static const uint8_t cmds[] = {0xff, 0x70, 0x50, 0x90, 0x98, 0x20,
				       0xd0, 0x40, 0x10, 0xe8, 0x60, 0x01,
				       0x2f, 0x00, 0x84, 0x1f};
	static const unsigned int sizes[] = {1, 2, 4, 8};
	struct fl_bank b;
	struct device *d;

	fl_open(&b, true);
	d = b.dev;
	/* Accesses at and past the end: nothing happens. */
	CHECK_EQ(d->ops->mmio_read(d, FL_SIZE, 4), 0);
	CHECK_EQ(d->ops->mmio_read(d, FL_SIZE - 4, 8), 0);
	CHECK_EQ(d->ops->mmio_read(d, ~0ULL - 2, 4), 0);
	d->ops->mmio_write(d, FL_SIZE, 4, FL_CMD(0x70));
	d->ops->mmio_write(d, ~0ULL - 3, 4, FL_CMD(0x70));
	CHECK_EQ(b.rec.calls, 0);
	/* Odd sizes and unaligned words are ignored. */
	d->ops->mmio_write(d, 0, 2, 0x70);
	d->ops->mmio_write(d, 0, 1, 0x70);
	d->ops->mmio_write(d, 0, 8, FL_CMD(0x70));
	d->ops->mmio_write(d, 2, 4, FL_CMD(0x70));
	CHECK_EQ(b.rec.calls, 0);
	/* Status reads of every size give the bytes of 0x00800080. */
	W(&b, 0, FL_CMD(0x70));
	CHECK_EQ(d->ops->mmio_read(d, 0, 1), 0x80);
	CHECK_EQ(d->ops->mmio_read(d, 2, 2), 0x0080);
	CHECK_EQ(d->ops->mmio_read(d, 1, 1), 0x00);
	CHECK_EQ(d->ops->mmio_read(d, 0, 8), 0x0080008000800080ULL);
	CHECK_EQ(d->ops->mmio_read(d, FL_SIZE - 8, 8), 0x0080008000800080ULL);
	W(&b, 0, FL_CMD(0xff));

	/* A storm of commands, data and reads anywhere: never outside the
	 * bank (the guards), never a change under a mapped slot. */
	for (int i = 0; i < 200000; i++) {
		uint32_t r = fl_rand();
		uint64_t off = (uint64_t)(fl_rand() % (FL_SIZE / 4)) * 4;
		uint32_t v;

		if (r % 7 == 0) /* near the ends of blocks and the bank */
			off = (FL_BLOCK * (r % (FL_BLOCKS + 1)) - 4 * (r % 3)) %
			      FL_SIZE;
		if (r % 5 == 0)
			v = FL_CMD(cmds[fl_rand() % sizeof(cmds)]);
		else if (r % 5 == 1)
			v = fl_rand() % 40; /* buffer counts */
		else
			v = fl_rand() | fl_rand() << 24;
		if (r % 3 == 0)
			(void)d->ops->mmio_read(d, off, sizes[fl_rand() % 4]);
		else if (r % 11 == 0)
			d->ops->mmio_write(d, off + fl_rand() % 8,
					   sizes[fl_rand() % 4], v);
		else
			W(&b, off, v);
	}
	CHECK(fl_guards_intact(&b));
	/* Whatever state it was left in, 0xFF until out of the current
	 * sequence (at most a full buffer, the confirm and the read-array),
	 * then clear status: sane. */
	for (int i = 0; i < 40 && !cfi_flash_array_mode(d); i++)
		W(&b, 0, FL_CMD(0xff));
	W(&b, 0, FL_CMD(0x50));
	CHECK(cfi_flash_array_mode(d));
	CHECK_EQ(fl_status(&b), FL_STATUS_OK);
	W(&b, 0, FL_CMD(0xff));
	CHECK(b.rec.mapped);
	CHECK_EQ(R(&b, 0x40), get_le32(b.data + 0x40));
	fl_close(&b);
}

static void cfi_query(void)
{
	struct fl_bank b;

	fl_open(&b, true);
	W(&b, 0x55 * 4, FL_CMD(0x98)); /* Linux cfi_probe's query address */
	CHECK_EQ(R(&b, 0x10 * 4), 0x00510051); /* 'Q' */
	CHECK_EQ(R(&b, 0x11 * 4), 0x00520052); /* 'R' */
	CHECK_EQ(R(&b, 0x12 * 4), 0x00590059); /* 'Y' */
	CHECK_EQ(R(&b, 0x13 * 4), 0x00010001); /* Intel/Sharp command set */
	CHECK_EQ(R(&b, 0x15 * 4), 0x00310031);
	CHECK_EQ(R(&b, 0x27 * 4), FL_CMD(19)); /* 384 KiB per chip <= 2^19 */
	CHECK_EQ(R(&b, 0x2a * 4), 0x00060006); /* 64-byte buffer per chip */
	CHECK_EQ(R(&b, 0x2c * 4), 0x00010001);
	CHECK_EQ(R(&b, 0x2d * 4), FL_CMD(FL_BLOCKS - 1));
	CHECK_EQ(R(&b, 0x2f * 4), 0);		 /* 128K per chip / 256 = */
	CHECK_EQ(R(&b, 0x30 * 4), FL_CMD(0x02)); /* 0x200 */
	CHECK_EQ(R(&b, 0x31 * 4), FL_CMD('P'));
	CHECK_EQ(R(&b, 0x1000 * 4), 0); /* past the table */
	W(&b, 0, FL_CMD(0xff));
	CHECK_STR(b.rec.log, "UM");
	fl_close(&b);
}

static void reset_returns_to_array_mode(void)
{
	struct fl_bank b;

	fl_open(&b, true);
	W(&b, 0, FL_CMD(0xe8));
	W(&b, 0, FL_CMD(3));
	W(&b, 0, 0);
	CHECK(!cfi_flash_array_mode(b.dev));
	b.dev->ops->reset(b.dev);
	CHECK(cfi_flash_array_mode(b.dev));
	CHECK_STR(b.rec.log, "U"); /* reset does not call set_mapped */
	b.rec.mapped = true;	   /* the VMM maps the new VM's slot */
	memcpy(b.rec.snapshot, b.data, FL_SIZE);
	CHECK_EQ(R(&b, 0), 0);
	W(&b, 4, 0); /* the interrupted buffer is gone */
	CHECK_EQ(fl_status(&b), FL_STATUS_OK);
	W(&b, 0, FL_CMD(0xff));
	CHECK_EQ(get_le32(b.data), 0);
	fl_close(&b);
}

/* Runs with stderr sent to /dev/null (expected pr_err lines); restore. */
static int fl_quiet(void)
{
	int saved = dup(2), devnull = open("/dev/null", O_WRONLY);

	dup2(devnull, 2);
	close(devnull);
	return saved;
}

static void fl_loud(int saved)
{
	dup2(saved, 2);
	close(saved);
}

static void set_mapped_failure(void)
{
	struct fl_bank b;
	int saved = fl_quiet();

	fl_open(&b, true);
	b.rec.fail_next = true; /* the unmap fails: the slot stays */
	W(&b, 0, FL_CMD(0x20));
	W(&b, 0, FL_CMD(0xd0));
	CHECK_EQ(get_le32(b.data), 0);	/* not erased under the slot */
	CHECK_STR(b.rec.log, "U");	/* the unmap was retried */
	CHECK_EQ(R(&b, 0), 0x00a000a0); /* trapped: SR5 erase error */
	W(&b, 0, FL_CMD(0x50));
	CHECK_STR(b.rec.log, "UM");
	/* This time the unmap works and so does the erase. */
	CHECK_EQ(fl_erase(&b, 0), FL_STATUS_OK);
	CHECK_EQ(get_le32(b.data), 0xffffffff);
	CHECK_STR(b.rec.log, "UMUM");
	fl_close(&b);
	fl_loud(saved);
}

/* A real file mapped MAP_SHARED, as the VMM does with the variable store. */
static void durable_in_file(void)
{
	char path[] = "/tmp/armvm-test-flash-XXXXXX";
	struct cfi_flash_config cfg = {
	    .name = "flash-vars",
	    .base = 0x04000000,
	    .size = FL_SIZE,
	    .writable = true,
	};
	struct fl_bank b;
	uint32_t buf[32];
	uint8_t *map, *got;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	unlink(path);
	CHECK_EQ(ftruncate(fd, FL_SIZE), 0);
	map = mmap(NULL, FL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED);
	if (map == MAP_FAILED) {
		close(fd);
		return;
	}
	memset(&b, 0, sizeof(b));
	cfg.data = map;
	cfg.sync_fd = fd;
	b.dev = cfi_flash_create(&cfg);
	b.data = map;
	fl_erase(&b, FL_BLOCK);
	fl_pattern(buf, 32, 5);
	CHECK_EQ(fl_write_buffer(&b, FL_BLOCK + 0x1000, buf, 32), FL_STATUS_OK);
	got = malloc(FL_SIZE);
	CHECK_EQ(pread(fd, got, FL_SIZE, 0), FL_SIZE);
	CHECK_EQ(got[0], 0);
	CHECK_EQ(got[FL_BLOCK], 0xff);
	CHECK_EQ(got[2 * FL_BLOCK - 1], 0xff);
	CHECK_EQ(got[2 * FL_BLOCK], 0);
	CHECK(!memcmp(got + FL_BLOCK + 0x1000, buf, sizeof(buf)));
	CHECK(!memcmp(got, map, FL_SIZE));
	free(got);
	b.dev->ops->destroy(b.dev);
	munmap(map, FL_SIZE);
	close(fd);
}

static void bad_configs(void)
{
	uint8_t byte;
	struct cfi_flash_config cfg = {
	    .name = "flash-vars",
	    .size = FL_BLOCK + 1,
	    .data = &byte,
	    .sync_fd = -1,
	};
	int saved = fl_quiet();

	CHECK(!cfi_flash_create(&cfg));
	cfg.size = 0;
	CHECK(!cfi_flash_create(&cfg));
	cfg.size = FL_BLOCK;
	cfg.data = NULL;
	CHECK(!cfi_flash_create(&cfg));
	cfg.data = &byte;
	cfg.base = ~0ULL - 10;
	CHECK(!cfi_flash_create(&cfg));
	fl_loud(saved);
}

static void fdt_node(void)
{
	struct fl_bank b;
	char buf[4096];
	const fdt32_t *p;
	int node, len;

	fl_open(&b, true);
	CHECK_EQ(one_device_fdt(b.dev, buf, sizeof(buf)), 0);
	node = fdt_path_offset(buf, "/flash@4000000");
	CHECK(node >= 0);
	CHECK_EQ(fdt_node_check_compatible(buf, node, "cfi-flash"), 0);
	p = fdt_getprop(buf, node, "reg", &len);
	CHECK(p && len == 16);
	if (p && len == 16) {
		CHECK_EQ(fdt32_to_cpu(p[1]), 0x04000000);
		CHECK_EQ(fdt32_to_cpu(p[3]), FL_SIZE);
	}
	p = fdt_getprop(buf, node, "bank-width", &len);
	CHECK(p && len == 4 && fdt32_to_cpu(p[0]) == 4);
	fl_close(&b);
}

static void *fl_make_obj(void)
{
	struct fl_bank *b = calloc(1, sizeof(*b));

	fl_open(b, true);
	return b;
}

static void fl_destroy_obj(void *obj)
{
	fl_close(obj);
	free(obj);
}

static void fl_save_obj(void *obj, struct state_writer *w)
{
	struct fl_bank *b = obj;

	b->dev->ops->save(b->dev, w);
}

static int fl_restore_obj(void *obj, struct state_reader *r)
{
	struct fl_bank *b = obj;

	return b->dev->ops->restore(b->dev, r);
}

static const struct state_model fl_model = {
    .make = fl_make_obj,
    .destroy = fl_destroy_obj,
    .save = fl_save_obj,
    .restore = fl_restore_obj,
};

/*
 * Snapshot (issue 13) in the middle of a buffered program: the restored
 * bank has its slot removed, takes the rest of the words and programs
 * them all. The contents are the file's: copied here as a restore would
 * find them.
 */
static void snapshot_round_trip(void)
{
	struct fl_bank a, b;
	struct state_writer w;
	struct state_reader r;
	uint32_t buf[4];
	void *obj;

	fl_pattern(buf, 4, 7);
	fl_open(&a, true);
	CHECK_EQ(fl_erase(&a, FL_BLOCK), FL_STATUS_OK);
	W(&a, FL_BLOCK + 0x80, FL_CMD(0xe8));
	W(&a, FL_BLOCK + 0x80, FL_CMD(3)); /* four words */
	W(&a, FL_BLOCK + 0x80, buf[0]);
	W(&a, FL_BLOCK + 0x84, buf[1]);
	state_save(&fl_model, &a, &w);

	fl_open(&b, true);
	memcpy(b.data, a.data, FL_SIZE);
	memcpy(b.rec.snapshot, a.data, FL_SIZE);
	CHECK(state_restore(&fl_model, &b, w.buf, w.len, &r) == 0);
	CHECK(!b.rec.mapped); /* command mode: the slot is removed */
	CHECK_EQ(b.rec.calls, 1);
	W(&b, FL_BLOCK + 0x88, buf[2]);
	W(&b, FL_BLOCK + 0x8c, buf[3]);
	W(&b, 0, FL_CMD(0xd0));
	CHECK_EQ(fl_status(&b), FL_STATUS_OK);
	W(&b, 0, FL_CMD(0xff));
	CHECK(b.rec.mapped);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(get_le32(b.data + FL_BLOCK + 0x80 + 4 * i), buf[i]);
	fl_close(&b);
	fl_close(&a);

	obj = state_roundtrip(&fl_model, &w);
	CHECK(obj != NULL);
	if (obj)
		fl_destroy_obj(obj);
	state_prefixes_fail(&fl_model, &w);
	state_corrupt_fails(&fl_model, &w, 0, 1, 10, "mode 10");
	state_corrupt_fails(&fl_model, &w, 1, 1, 0x00, "without ready");
	state_corrupt_fails(&fl_model, &w, 10, 1, 33, "buffered words");
	state_corrupt_fails(&fl_model, &w, 11, 1, 4, "buffered words");
	state_corrupt_fails(&fl_model, &w, 12, 8, 0x80, "buffered word at");
	state_corrupt_fails(&fl_model, &w, 2, 8, FL_SIZE, "flash operation");
	sw_free(&w);
}

int main(void)
{
	check_suite = "cfi_flash";
	RUN(lock_status_and_ids);
	RUN(erase_fills_block);
	RUN(firmware_first_boot_sequence);
	RUN(read_array_in_array_mode_is_free);
	RUN(program_only_clears_bits);
	RUN(code_bank_ignores_writes);
	RUN(sequence_errors);
	RUN(hostile_accesses);
	RUN(cfi_query);
	RUN(reset_returns_to_array_mode);
	RUN(set_mapped_failure);
	RUN(durable_in_file);
	RUN(bad_configs);
	RUN(fdt_node);
	RUN(snapshot_round_trip);
	return check_main_end();
}
