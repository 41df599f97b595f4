// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the input is a sequence of MMIO accesses to a CFI flash
 * bank (writable, two 256 KiB blocks) and to a code bank, 9 bytes each:
 * kind, 32-bit offset, 32-bit value. Checks that nothing is written outside
 * the bank (guard areas; ASan for the rest), that the contents never change
 * while the slot is mapped (research stock-firmware.md 9.4), that the code
 * bank never changes, and that set_mapped calls alternate.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/cfi_flash.h"
#include "lib/util.h"

#define FZ_BLOCK 0x40000u
#define FZ_SIZE	 (2 * FZ_BLOCK)
#define FZ_GUARD 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_state {
	uint8_t *bank;
	uint8_t *snapshot;
	bool mapped;
};

static int fz_set_mapped(void *opaque, bool map)
{
	struct fz_state *s = opaque;

	if (map == s->mapped)
		abort(); /* a redundant switch */
	if (map)
		memcpy(s->snapshot, s->bank, FZ_SIZE);
	else if (memcmp(s->snapshot, s->bank, FZ_SIZE))
		abort(); /* changed under a mapped slot */
	s->mapped = map;
	return 0;
}

static void fz_check_guards(const uint8_t *mem)
{
	for (size_t i = 0; i < FZ_GUARD; i++)
		if (mem[i] != 0xa5 || mem[FZ_GUARD + FZ_SIZE + i] != 0xa5)
			abort();
}

static const uint8_t fz_cmds[] = {0xff, 0x70, 0x50, 0x90, 0x98, 0x20,
				  0xd0, 0x40, 0x10, 0xe8, 0x60, 0x01};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int sizes[] = {1, 2, 4, 8};
	static uint8_t *mem, *code, *code_copy;
	static struct fz_state s;
	struct cfi_flash_config cfg = {
	    .name = "flash-vars",
	    .base = 0x04000000,
	    .size = FZ_SIZE,
	    .writable = true,
	    .sync_fd = -1,
	    .set_mapped = fz_set_mapped,
	    .opaque = &s,
	};
	struct device *d, *c;

	if (!mem) {
		mem = malloc(FZ_SIZE + 2 * FZ_GUARD);
		s.snapshot = malloc(FZ_SIZE);
		code = malloc(FZ_SIZE);
		code_copy = malloc(FZ_SIZE);
		if (!mem || !s.snapshot || !code || !code_copy)
			abort();
		for (size_t i = 0; i < FZ_SIZE; i++)
			code_copy[i] = (uint8_t)(i * 7);
	}
	memset(mem, 0xa5, FZ_SIZE + 2 * FZ_GUARD);
	s.bank = mem + FZ_GUARD;
	memset(s.bank, 0, FZ_SIZE);
	memcpy(s.snapshot, s.bank, FZ_SIZE);
	s.mapped = true;
	memcpy(code, code_copy, FZ_SIZE);
	cfg.data = s.bank;
	d = cfi_flash_create(&cfg);
	cfg.name = "flash-code";
	cfg.base = 0;
	cfg.data = code;
	cfg.writable = false;
	cfg.set_mapped = NULL;
	c = cfi_flash_create(&cfg);
	if (!d || !c)
		abort();

	for (; size >= 9; data += 9, size -= 9) {
		uint8_t kind = data[0];
		/* Offsets mostly in the bank, some just past it. */
		uint64_t off = get_le32(data + 1) % (FZ_SIZE + 64);
		uint64_t v = get_le32(data + 5);
		unsigned int len = sizes[(kind >> 4) & 3];
		struct device *t = kind & 0x80 ? c : d;

		if (kind &
		    0x40) /* a command, replicated as the firmware does */
			v = (uint64_t)fz_cmds[v % sizeof(fz_cmds)] * 0x10001;
		if (off + len > FZ_SIZE && !(kind & 8))
			continue; /* the bus never delivers these, mostly */
		if (kind & 1)
			(void)t->ops->mmio_read(t, off, len);
		else if (kind & 2)
			t->ops->mmio_write(t, off, len, v);
		else
			t->ops->mmio_write(t, off & ~3ULL, 4, v);
		if (kind == 0x0c) {
			/* A VM reset: the VMM maps the new VM's slot. */
			d->ops->reset(d);
			s.mapped = true;
			memcpy(s.snapshot, s.bank, FZ_SIZE);
		}
	}
	/*
	 * Back to read-array: 0xFF until the bank leaves whatever sequence it
	 * is in (at most a full buffer of data, the missing confirm and the
	 * read-array), then clear the status.
	 */
	for (int i = 0; i < 40 && !cfi_flash_array_mode(d); i++)
		d->ops->mmio_write(d, 0, 4, 0x00ff00ff);
	d->ops->mmio_write(d, 0, 4, 0x00500050);
	d->ops->mmio_write(d, 0, 4, 0x00700070);
	if (d->ops->mmio_read(d, 0, 4) != 0x00800080)
		abort();
	d->ops->mmio_write(d, 0, 4, 0x00ff00ff);
	if (!cfi_flash_array_mode(d) || !s.mapped ||
	    d->ops->mmio_read(d, 0, 4) != get_le32(s.bank))
		abort();
	if (memcmp(s.snapshot, s.bank, FZ_SIZE) ||
	    memcmp(code, code_copy, FZ_SIZE) || !cfi_flash_array_mode(c))
		abort();
	fz_check_guards(mem);
	d->ops->destroy(d);
	c->ops->destroy(c);
	return 0;
}
