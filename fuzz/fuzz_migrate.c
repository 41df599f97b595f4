// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the live-migration stream (vmm/migrate.h) as a
 * destination reads it. Whoever reaches the address may send anything, so
 * the input is the stream itself, handed to the receiver from memory in
 * uneven pieces (and now and then an EINTR), as a socket would. Guest RAM
 * comes from mmap with guard pages around it (up to 64 MiB; larger is
 * refused as an allocation failure). Besides ASan and UBSan, checked: a
 * refused stream says why in one "migrate: " line and leaves nothing
 * allocated; an accepted one has RAM of the size its header gave, a state
 * of 1 to MIGRATE_STATE_MAX bytes, and read no more than the input.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/util.h"
#include "vmm/migrate_source.h"

#define FZ_RAM_MAX (64u << 20)
#define FZ_GUARD   (64u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	uint8_t *ram; /* the RAM alloc_ram gave, not freed yet */
	uint64_t size;
} fz;

static uint8_t *fz_alloc_ram(uint64_t size)
{
	uint8_t *p;

	if (fz.ram)
		abort(); /* the receiver makes one RAM */
	if (size > FZ_RAM_MAX)
		return NULL;
	p = mmap(NULL, size + 2 * FZ_GUARD, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		abort();
	/* Guard pages: a write past guest RAM faults at once. */
	if (mprotect(p + FZ_GUARD, size, PROT_READ | PROT_WRITE))
		abort();
	fz.ram = p + FZ_GUARD;
	fz.size = size;
	return fz.ram;
}

static void fz_free_ram(uint8_t *ram, uint64_t size)
{
	if (!fz.ram || ram != fz.ram || size != fz.size)
		abort(); /* freed what it was given, once */
	munmap(ram - FZ_GUARD, size + 2 * FZ_GUARD);
	fz.ram = NULL;
}

struct fz_src {
	const uint8_t *p;
	size_t n, pos;
	unsigned int calls;
};

static ssize_t fz_read(void *opaque, void *buf, size_t n)
{
	struct fz_src *s = opaque;
	unsigned int call = s->calls++;
	/* Uneven pieces, the same for the same input. */
	size_t piece = 1 + (size_t)((call * 2654435761u) >> 19) % 9000;

	if (call % 13 == 5) {
		errno = EINTR;
		return -1;
	}
	if (n > s->n - s->pos)
		n = s->n - s->pos;
	if (n > piece)
		n = piece;
	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_src s = {.p = data, .n = size};
	struct migrate_source src = {fz_read, &s};
	struct migrate_in in;
	char msg[1024];
	int r;

	msg[0] = 0;
	pr_capture_begin(msg, sizeof(msg));
	r = migrate_receive_from(&src, &in, fz_alloc_ram, fz_free_ram);
	pr_capture_end();
	if (in.bytes > size || in.bytes != s.pos)
		abort(); /* counted what it read, never more than there was */
	if (r) {
		if (r != -1 || strncmp(msg, "migrate: ", 9) ||
		    strchr(msg, '\n'))
			abort(); /* a refusal says why, in one line */
		if (fz.ram || in.ram || in.state)
			abort(); /* and leaves nothing behind */
		return 0;
	}
	if (msg[0] || !in.ram || in.ram != fz.ram || in.ram_size != fz.size ||
	    !in.state || !in.state_len || in.state_len > MIGRATE_STATE_MAX ||
	    in.page_size < 4096 || in.page_size > 65536 ||
	    (in.page_size & (in.page_size - 1)) || in.ram_size % in.page_size)
		abort();
	fz_free_ram(in.ram, in.ram_size);
	free(in.state);
	return 0;
}
