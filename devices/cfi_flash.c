// SPDX-License-Identifier: GPL-2.0
/*
 * Intel/Sharp command set CFI NOR flash (CFI primary command set 0001, as in
 * the Intel StrataFlash/P30 datasheets and JEDEC JESD68 for the query
 * table), modelled as QEMU's pflash_cfi01 with width 4 and device-width 2:
 * two x16 chips side by side on a 32-bit bus. The guest writes each command
 * replicated in both 16-bit halves (0x00E800E8) and expects status and IDs
 * replicated the same way (0x00800080): research stock-firmware.md 2.2.
 *
 * Operations complete synchronously, so the status register's ready bit
 * (SR7) is always set; the error bits are sticky until Clear Status (0x50).
 *
 * Memory model (research 2.3, 2.4, 9.4): in read-array mode the VMM maps
 * `data` as a read-only memslot (guest reads never exit, writes exit to
 * mmio_write); any command leaving read-array mode first removes the slot
 * (set_mapped(false)), so every later access traps here, and `data` is only
 * modified while the slot is removed. Back in read-array mode the slot is
 * mapped again, which lets KVM clean the new contents to the point of
 * coherency when it faults them in.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <libfdt.h>

#include "devices/cfi_flash.h"
#include "lib/util.h"

/* Commands (Intel P30 datasheet, command definitions; research 2.2). */
#define CMD_READ_ARRAY	     0xff
#define CMD_READ_STATUS	     0x70
#define CMD_CLEAR_STATUS     0x50
#define CMD_READ_ID	     0x90
#define CMD_CFI_QUERY	     0x98
#define CMD_BLOCK_ERASE	     0x20
#define CMD_WORD_PROGRAM     0x40
#define CMD_WORD_PROGRAM_ALT 0x10
#define CMD_BUFFERED_PROGRAM 0xe8
#define CMD_CONFIRM	     0xd0
#define CMD_LOCK_SETUP	     0x60
#define CMD_LOCK_BLOCK	     0x01
#define CMD_LOCK_DOWN	     0x2f

/* Status register bits (P30 datasheet, status register). */
#define SR_READY       0x80
#define SR_ERASE_ERR   0x20
#define SR_PROGRAM_ERR 0x10
#define SR_SEQ_ERR     (SR_ERASE_ERR | SR_PROGRAM_ERR) /* both: bad sequence */

/* Identifiers as QEMU's virt board gives them (research 2.1). */
#define ID_MANUFACTURER 0x89 /* Intel */
#define ID_DEVICE	0x18

/*
 * Write buffer: 32 bus words of 32 bits (128 bytes, 64 bytes per chip), what
 * the firmware's NorFlashWriteBuffer sends (P30_MAX_BUFFER_SIZE_IN_BYTES)
 * and what the CFI table below advertises.
 */
#define BUF_WORDS 32
#define BUS_WIDTH 4

enum cfi_mode {
	MODE_ARRAY,
	MODE_STATUS,
	MODE_ID,
	MODE_CFI,
	MODE_ERASE_SETUP,   /* 0x20 seen, waiting for 0xD0 */
	MODE_PROGRAM_SETUP, /* 0x40/0x10 seen, waiting for the data word */
	MODE_BUF_COUNT,	    /* 0xE8 seen, waiting for the word count */
	MODE_BUF_DATA,	    /* receiving the data words */
	MODE_BUF_CONFIRM,   /* all data in, waiting for 0xD0 */
	MODE_LOCK_SETUP,    /* 0x60 seen, waiting for 0xD0/0x01/0x2F */
};

#define CFI_TABLE_SIZE 0x44

struct cfi_flash {
	struct device dev;
	pthread_mutex_t lock;
	char *name;
	uint8_t *data;
	bool writable;
	int sync_fd;
	int (*set_mapped)(void *opaque, bool map);
	void *opaque;

	enum cfi_mode mode;
	bool mapped; /* the slot's real state, as far as set_mapped told */
	uint8_t sr;  /* one chip's status; both chips always agree */
	uint64_t op_offset; /* where the current operation was set up */
	unsigned int buf_words, buf_got;
	uint64_t buf_off[BUF_WORDS];
	uint32_t buf_val[BUF_WORDS];
	bool warned_map, warned_sync;
	uint8_t cfi[CFI_TABLE_SIZE]; /* one chip's query table, by word */
};

static struct cfi_flash *to_flash(const struct device *dev)
{
	return (struct cfi_flash *)dev;
}

/* Both chips answer the same 16-bit value on their half of the bus. */
static uint32_t both_halves(uint16_t v)
{
	return (uint32_t)v << 16 | v;
}

/*
 * The CFI query table of one x16 chip (JESD68 / Intel CFI application note),
 * indexed by the chip's word address: a bus word index on our 32-bit bus.
 */
static void build_cfi_table(struct cfi_flash *f)
{
	uint64_t chip_size = f->dev.size / 2;
	uint32_t blocks = (uint32_t)(f->dev.size / CFI_FLASH_BLOCK_SIZE);
	uint32_t chip_block = CFI_FLASH_BLOCK_SIZE / 2 / 256;
	uint8_t *t = f->cfi;
	unsigned int log2 = 0;

	while ((1ULL << log2) < chip_size)
		log2++;
	memset(t, 0, CFI_TABLE_SIZE);
	t[0x10] = 'Q';
	t[0x11] = 'R';
	t[0x12] = 'Y';
	t[0x13] = 0x01; /* primary command set: Intel/Sharp extended */
	t[0x15] = 0x31; /* primary extended table at 0x31 */
	t[0x1b] = 0x27; /* Vcc 2.7 V .. 3.6 V; no Vpp */
	t[0x1c] = 0x36;
	t[0x1f] = 0x06; /* typical word program 2^6 us */
	t[0x20] = 0x08; /* typical buffer program 2^8 us */
	t[0x21] = 0x0a; /* typical block erase 2^10 ms */
	t[0x23] = 0x01; /* maxima: 2x typical */
	t[0x24] = 0x01;
	t[0x25] = 0x01;
	t[0x27] = (uint8_t)log2;	 /* chip size 2^n bytes */
	t[0x28] = 0x01;			 /* x16 interface */
	t[0x2a] = 0x06;			 /* write buffer 2^6 bytes per chip */
	t[0x2c] = 0x01;			 /* one erase block region: */
	t[0x2d] = (uint8_t)(blocks - 1); /* blocks - 1 */
	t[0x2e] = (uint8_t)((blocks - 1) >> 8);
	t[0x2f] = (uint8_t)chip_block; /* block size / 256 per chip */
	t[0x30] = (uint8_t)(chip_block >> 8);
	t[0x31] = 'P'; /* primary extended query table, version 1.0 */
	t[0x32] = 'R';
	t[0x33] = 'I';
	t[0x34] = '1';
	t[0x35] = '0';
	/* 0x36-0x3c: no optional features, no block status mask. */
	t[0x3d] = 0x33; /* Vcc optimum 3.3 V */
	t[0x3f] = 0x01; /* one protection register field */
	t[0x40] = 0x80; /* at word 0x80 */
	t[0x42] = 0x03; /* 2^3 factory and user bytes */
	t[0x43] = 0x03;
}

/* Lock held: tell the VMM to (un)map the slot when the mode requires it. */
static void update_mapping(struct cfi_flash *f)
{
	bool want = f->mode == MODE_ARRAY;

	if (f->mapped == want)
		return;
	if (!f->set_mapped) {
		f->mapped = want;
		return;
	}
	if (f->set_mapped(f->opaque, want) == 0) {
		f->mapped = want;
	} else if (!f->warned_map) {
		f->warned_map = true;
		pr_err("%s: cannot %s the flash memory slot", f->name,
		       want ? "map" : "unmap");
	}
}

static void enter(struct cfi_flash *f, enum cfi_mode mode)
{
	f->mode = mode;
	update_mapping(f);
}

/*
 * Lock held: make [offset, offset + len) durable before the guest can see
 * the operation complete. Returns false on failure.
 */
static bool sync_range(struct cfi_flash *f, uint64_t offset, uint64_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t start, end;

	if (f->sync_fd < 0)
		return true;
	if (page <= 0)
		page = 4096;
	start = ALIGN_DOWN((uintptr_t)(f->data + offset), (uintptr_t)page);
	end = ALIGN_UP((uintptr_t)(f->data + offset + len), (uintptr_t)page);
	/* MS_SYNC on a shared file mapping is a data sync of the range. */
	if (msync((void *)start, end - start, MS_SYNC) == 0)
		return true;
	if (fdatasync(f->sync_fd) == 0)
		return true;
	if (!f->warned_sync) {
		f->warned_sync = true;
		pr_err("%s: cannot write the flash contents to disk: %s",
		       f->name, strerror(errno));
	}
	return false;
}

static void do_erase(struct cfi_flash *f)
{
	uint64_t block = ALIGN_DOWN(f->op_offset, CFI_FLASH_BLOCK_SIZE);

	if (f->mapped) { /* research 9.4: never under a mapped slot */
		f->sr |= SR_ERASE_ERR;
		return;
	}
	memset(f->data + block, 0xff, CFI_FLASH_BLOCK_SIZE);
	if (!sync_range(f, block, CFI_FLASH_BLOCK_SIZE))
		f->sr |= SR_ERASE_ERR;
}

/* Programming can only clear bits: the firmware erases first. */
static void program_word(struct cfi_flash *f, uint64_t offset, uint32_t v)
{
	put_le32(f->data + offset, get_le32(f->data + offset) & v);
}

static void do_buffered_program(struct cfi_flash *f)
{
	uint64_t lo = f->dev.size, hi = 0;

	if (f->mapped) {
		f->sr |= SR_PROGRAM_ERR;
		return;
	}
	for (unsigned int i = 0; i < f->buf_got; i++) {
		program_word(f, f->buf_off[i], f->buf_val[i]);
		if (f->buf_off[i] < lo)
			lo = f->buf_off[i];
		if (f->buf_off[i] + BUS_WIDTH > hi)
			hi = f->buf_off[i] + BUS_WIDTH;
	}
	if (hi > lo && !sync_range(f, lo, hi - lo))
		f->sr |= SR_PROGRAM_ERR;
}

static void do_word_program(struct cfi_flash *f, uint64_t offset, uint32_t v)
{
	if (f->mapped) {
		f->sr |= SR_PROGRAM_ERR;
		return;
	}
	program_word(f, offset, v);
	if (!sync_range(f, offset, BUS_WIDTH))
		f->sr |= SR_PROGRAM_ERR;
}

/* A bad command sequence: SR4 and SR5, then read status (P30 datasheet). */
static void sequence_error(struct cfi_flash *f)
{
	f->sr |= SR_SEQ_ERR;
	enter(f, MODE_STATUS);
}

/*
 * A write in one of the read modes: a new command. The command is the low
 * byte of the low chip's half; the firmware and Linux always replicate it.
 */
static void command(struct cfi_flash *f, uint64_t offset, uint8_t cmd)
{
	switch (cmd) {
	case CMD_READ_STATUS:
		enter(f, MODE_STATUS);
		break;
	case CMD_CLEAR_STATUS:
		/* As QEMU: also back to read-array (research 2.2). */
		f->sr = SR_READY;
		enter(f, MODE_ARRAY);
		break;
	case CMD_READ_ID:
		enter(f, MODE_ID);
		break;
	case CMD_CFI_QUERY:
		enter(f, MODE_CFI);
		break;
	case CMD_BLOCK_ERASE:
		f->op_offset = offset;
		enter(f, MODE_ERASE_SETUP);
		break;
	case CMD_WORD_PROGRAM:
	case CMD_WORD_PROGRAM_ALT:
		f->op_offset = offset;
		enter(f, MODE_PROGRAM_SETUP);
		break;
	case CMD_BUFFERED_PROGRAM:
		f->op_offset = offset;
		enter(f, MODE_BUF_COUNT);
		break;
	case CMD_LOCK_SETUP:
		enter(f, MODE_LOCK_SETUP);
		break;
	case CMD_READ_ARRAY:
	default: /* unknown commands: back to read-array, as QEMU */
		enter(f, MODE_ARRAY);
		break;
	}
}

static void flash_write_locked(struct cfi_flash *f, uint64_t offset, uint32_t v)
{
	uint8_t cmd = (uint8_t)v;
	uint32_t count;

	switch (f->mode) {
	case MODE_ERASE_SETUP:
		if (cmd != CMD_CONFIRM) {
			sequence_error(f);
			break;
		}
		do_erase(f);
		enter(f, MODE_STATUS);
		break;
	case MODE_PROGRAM_SETUP:
		do_word_program(f, offset, v);
		enter(f, MODE_STATUS);
		break;
	case MODE_BUF_COUNT:
		/* N-1 in each chip's half; the firmware writes 0x001F001F
		 * for 32 words (research 2.2: use the low 16 bits). */
		count = v & 0xffff;
		if (count >= BUF_WORDS) {
			sequence_error(f);
			break;
		}
		f->buf_words = count + 1;
		f->buf_got = 0;
		f->mode = MODE_BUF_DATA;
		break;
	case MODE_BUF_DATA:
		/* The data must stay within the block it was set up in. */
		if (offset / CFI_FLASH_BLOCK_SIZE !=
		    f->op_offset / CFI_FLASH_BLOCK_SIZE) {
			sequence_error(f);
			break;
		}
		f->buf_off[f->buf_got] = offset;
		f->buf_val[f->buf_got] = v;
		if (++f->buf_got == f->buf_words)
			f->mode = MODE_BUF_CONFIRM;
		break;
	case MODE_BUF_CONFIRM:
		/* The firmware confirms at the bank base: any address. */
		if (cmd != CMD_CONFIRM) {
			sequence_error(f);
			break;
		}
		do_buffered_program(f);
		enter(f, MODE_STATUS);
		break;
	case MODE_LOCK_SETUP:
		/* Unlock, lock, lock-down: accepted; nothing ever locks. */
		if (cmd != CMD_CONFIRM && cmd != CMD_LOCK_BLOCK &&
		    cmd != CMD_LOCK_DOWN) {
			sequence_error(f);
			break;
		}
		enter(f, MODE_STATUS);
		break;
	default:
		command(f, offset, cmd);
		break;
	}
}

/* What a trapped read returns in a non-array mode, for one bus word. */
static uint32_t query_word(const struct cfi_flash *f, uint64_t word_offset)
{
	uint64_t index = (word_offset % CFI_FLASH_BLOCK_SIZE) / BUS_WIDTH;

	switch (f->mode) {
	case MODE_ID:
		/* Word 0 manufacturer, 1 device, 2 block lock status:
		 * 0 = unlocked, what the firmware wants (research 2.2). */
		if (index == 0)
			return both_halves(ID_MANUFACTURER);
		if (index == 1)
			return both_halves(ID_DEVICE);
		return 0;
	case MODE_CFI:
		return index < CFI_TABLE_SIZE ? both_halves(f->cfi[index]) : 0;
	default:
		return both_halves(f->sr);
	}
}

static bool in_bank(const struct cfi_flash *f, uint64_t offset,
		    unsigned int size)
{
	return offset < f->dev.size && size <= f->dev.size - offset;
}

static uint64_t cfi_flash_read(struct device *dev, uint64_t offset,
			       unsigned int size)
{
	struct cfi_flash *f = to_flash(dev);
	uint64_t v = 0;

	if (size > 8 || !in_bank(f, offset, size))
		return 0;
	pthread_mutex_lock(&f->lock);
	for (unsigned int i = 0; i < size; i++) {
		uint64_t o = offset + i;
		uint8_t b;

		if (f->mode == MODE_ARRAY)
			b = f->data[o];
		else
			b = (uint8_t)(query_word(f, o & ~3ULL) >>
				      (8 * (o & 3)));
		v |= (uint64_t)b << (8 * i);
	}
	pthread_mutex_unlock(&f->lock);
	return v;
}

static void cfi_flash_write(struct device *dev, uint64_t offset,
			    unsigned int size, uint64_t value)
{
	struct cfi_flash *f = to_flash(dev);

	/* The code bank ignores everything (research 2.4); commands and
	 * data are whole aligned bus words, anything else is ignored. */
	if (!f->writable || size != BUS_WIDTH || offset & (BUS_WIDTH - 1) ||
	    !in_bank(f, offset, size))
		return;
	pthread_mutex_lock(&f->lock);
	flash_write_locked(f, offset, (uint32_t)value);
	pthread_mutex_unlock(&f->lock);
}

static void cfi_flash_reset(struct device *dev)
{
	struct cfi_flash *f = to_flash(dev);

	pthread_mutex_lock(&f->lock);
	f->mode = MODE_ARRAY;
	f->mapped = true; /* the VMM maps the slot of a new VM */
	f->sr = SR_READY;
	f->buf_got = f->buf_words = 0;
	pthread_mutex_unlock(&f->lock);
}

bool cfi_flash_array_mode(struct device *dev)
{
	struct cfi_flash *f = to_flash(dev);
	bool array;

	pthread_mutex_lock(&f->lock);
	array = f->mode == MODE_ARRAY;
	pthread_mutex_unlock(&f->lock);
	return array;
}

static int cfi_flash_fdt_node(const struct device *dev, void *fdt)
{
	int err = 0;

	err |= fdt_begin_node_at(fdt, "flash", dev->base);
	err |= fdt_property_string(fdt, "compatible", "cfi-flash");
	err |= fdt_property_reg64(fdt, dev->base, dev->size);
	err |= fdt_property_u32(fdt, "bank-width", BUS_WIDTH);
	err |= fdt_end_node(fdt);
	return err ? -1 : 0;
}

/*
 * Record (docs/snapshot.md): the command state machine (mode, status
 * register, where the operation was set up) and the write buffer being
 * filled (its word count, the words received, each one's offset and
 * value). Not the contents: they live in the bank's file or mapping.
 */
static void cfi_flash_save(struct device *dev, struct state_writer *w)
{
	struct cfi_flash *f = to_flash(dev);

	pthread_mutex_lock(&f->lock);
	sw_u8(w, (uint8_t)f->mode);
	sw_u8(w, f->sr);
	sw_u64(w, f->op_offset);
	sw_u8(w, (uint8_t)f->buf_words);
	sw_u8(w, (uint8_t)f->buf_got);
	for (unsigned int i = 0; i < f->buf_got; i++) {
		sw_u64(w, f->buf_off[i]);
		sw_u32(w, f->buf_val[i]);
	}
	pthread_mutex_unlock(&f->lock);
}

/*
 * What flash_write_locked() could have left: a mode of the enum (the code
 * bank never leaves read-array), the status bits it sets (SR7 always),
 * operation and data offsets of aligned bus words inside the bank, data in
 * the block the operation was set up in, at most BUF_WORDS words and no
 * more than the count announced (all of them once waiting for confirm).
 */
static int cfi_flash_restore(struct device *dev, struct state_reader *r)
{
	struct cfi_flash *f = to_flash(dev);
	uint64_t off[BUF_WORDS], op_offset;
	uint32_t val[BUF_WORDS];
	unsigned int mode, words, got;
	uint8_t sr;

	mode = sr_u8(r);
	if (mode > MODE_LOCK_SETUP || (!f->writable && mode != MODE_ARRAY))
		sr_fail(r, "%s: mode %u", f->name, mode);
	sr = sr_u8_mask(r, SR_READY | SR_SEQ_ERR, "flash status register");
	if (!r->failed && !(sr & SR_READY))
		sr_fail(r, "%s: status 0x%x without ready", f->name, sr);
	op_offset = sr_u64_max(r, f->dev.size - BUS_WIDTH, "flash operation");
	if (op_offset % BUS_WIDTH)
		sr_fail(r, "%s: operation offset 0x%llx misaligned", f->name,
			(unsigned long long)op_offset);
	words = sr_u8(r);
	got = sr_u8(r);
	if (words > BUF_WORDS || got > words ||
	    (mode == MODE_BUF_DATA && (!words || got == words)) ||
	    (mode == MODE_BUF_CONFIRM && got != words))
		sr_fail(r, "%s: %u of %u buffered words in mode %u", f->name,
			got, words, mode);
	for (unsigned int i = 0; i < got && !r->failed; i++) {
		off[i] = sr_u64_max(r, f->dev.size - BUS_WIDTH,
				    "flash buffered word offset");
		val[i] = sr_u32(r);
		if (off[i] % BUS_WIDTH || off[i] / CFI_FLASH_BLOCK_SIZE !=
					      op_offset / CFI_FLASH_BLOCK_SIZE)
			sr_fail(r, "%s: buffered word at 0x%llx", f->name,
				(unsigned long long)off[i]);
	}
	if (r->failed)
		return -1;

	pthread_mutex_lock(&f->lock);
	f->sr = sr;
	f->op_offset = op_offset;
	f->buf_words = words;
	f->buf_got = got;
	memcpy(f->buf_off, off, got * sizeof(off[0]));
	memcpy(f->buf_val, val, got * sizeof(val[0]));
	/* As on a mode change: a bank outside read-array mode has its slot
	 * removed (set_mapped(false)), so that accesses trap here. */
	enter(f, (enum cfi_mode)mode);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static void cfi_flash_destroy(struct device *dev)
{
	struct cfi_flash *f = to_flash(dev);

	pthread_mutex_destroy(&f->lock);
	free(f->name);
	free(f);
}

static const struct device_ops cfi_flash_ops = {
    .reset = cfi_flash_reset,
    .mmio_read = cfi_flash_read,
    .mmio_write = cfi_flash_write,
    .fdt_node = cfi_flash_fdt_node,
    .destroy = cfi_flash_destroy,
    .save = cfi_flash_save,
    .restore = cfi_flash_restore,
};

struct device *cfi_flash_create(const struct cfi_flash_config *cfg)
{
	const char *name = cfg->name ? cfg->name : "flash";
	struct cfi_flash *f;

	if (!cfg->size || cfg->size % CFI_FLASH_BLOCK_SIZE ||
	    cfg->size / CFI_FLASH_BLOCK_SIZE > 0x10000 ||
	    cfg->base + cfg->size < cfg->base || !cfg->data) {
		pr_err("%s: a flash bank needs a size that is a non-zero "
		       "multiple of 256 KiB (at most 16 GiB) and its contents",
		       name);
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (f)
		f->name = strdup(name);
	if (!f || !f->name) {
		free(f);
		pr_err("%s: out of memory", name);
		return NULL;
	}
	f->dev.ops = &cfi_flash_ops;
	f->dev.name = f->name;
	f->dev.base = cfg->base;
	f->dev.size = cfg->size;
	f->data = cfg->data;
	f->writable = cfg->writable;
	f->sync_fd = cfg->sync_fd;
	f->set_mapped = cfg->set_mapped;
	f->opaque = cfg->opaque;
	pthread_mutex_init(&f->lock, NULL);
	build_cfi_table(f);
	cfi_flash_reset(&f->dev);
	return &f->dev;
}
