// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/state.h"

void sw_init(struct state_writer *w)
{
	memset(w, 0, sizeof(*w));
}

void sw_free(struct state_writer *w)
{
	free(w->buf);
	sw_init(w);
}

void sw_bytes(struct state_writer *w, const void *p, size_t n)
{
	if (w->failed || !n)
		return;
	if (w->len + n < w->len) {
		w->failed = true;
		return;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		uint8_t *buf;

		while (cap < w->len + n && cap <= SIZE_MAX / 2)
			cap *= 2;
		if (cap < w->len + n) {
			w->failed = true;
			return;
		}
		buf = realloc(w->buf, cap);
		if (!buf) {
			w->failed = true;
			return;
		}
		w->buf = buf;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

/* Little-endian whatever the host's order. */
static void put_le(struct state_writer *w, uint64_t v, unsigned int n)
{
	uint8_t b[8];

	for (unsigned int i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	sw_bytes(w, b, n);
}

void sw_u8(struct state_writer *w, uint8_t v)
{
	put_le(w, v, 1);
}

void sw_u16(struct state_writer *w, uint16_t v)
{
	put_le(w, v, 2);
}

void sw_u32(struct state_writer *w, uint32_t v)
{
	put_le(w, v, 4);
}

void sw_u64(struct state_writer *w, uint64_t v)
{
	put_le(w, v, 8);
}

void sw_bool(struct state_writer *w, bool v)
{
	put_le(w, v ? 1 : 0, 1);
}

void sw_string(struct state_writer *w, const char *s)
{
	size_t n = strlen(s);

	sw_u32(w, (uint32_t)n);
	sw_bytes(w, s, n);
}

void sr_init(struct state_reader *r, const void *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->len = len;
}

void sr_fail(struct state_reader *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return;
	r->failed = true;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

void sr_bytes(struct state_reader *r, void *p, size_t n)
{
	if (!r->failed && n > r->len - r->pos)
		sr_fail(r, "record ends at byte %zu, %zu more expected", r->len,
			n);
	if (r->failed) {
		memset(p, 0, n);
		return;
	}
	memcpy(p, r->buf + r->pos, n);
	r->pos += n;
}

static uint64_t get_le(struct state_reader *r, unsigned int n)
{
	uint8_t b[8];
	uint64_t v = 0;

	sr_bytes(r, b, n);
	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

uint8_t sr_u8(struct state_reader *r)
{
	return (uint8_t)get_le(r, 1);
}

uint16_t sr_u16(struct state_reader *r)
{
	return (uint16_t)get_le(r, 2);
}

uint32_t sr_u32(struct state_reader *r)
{
	return (uint32_t)get_le(r, 4);
}

uint64_t sr_u64(struct state_reader *r)
{
	return get_le(r, 8);
}

bool sr_bool(struct state_reader *r)
{
	uint8_t v = sr_u8(r);

	if (v > 1)
		sr_fail(r, "a flag of %u at byte %zu, expected 0 or 1", v,
			r->pos - 1);
	return v == 1 && !r->failed;
}

uint64_t sr_u64_max(struct state_reader *r, uint64_t max, const char *what)
{
	uint64_t v = sr_u64(r);

	if (!r->failed && v > max)
		sr_fail(r, "%s %llu, expected at most %llu", what,
			(unsigned long long)v, (unsigned long long)max);
	return r->failed ? 0 : v;
}

uint32_t sr_u32_max(struct state_reader *r, uint32_t max, const char *what)
{
	uint32_t v = sr_u32(r);

	if (!r->failed && v > max)
		sr_fail(r, "%s %u, expected at most %u", what, v, max);
	return r->failed ? 0 : v;
}

uint32_t sr_u32_mask(struct state_reader *r, uint32_t mask, const char *what)
{
	uint32_t v = sr_u32(r);

	if (!r->failed && (v & ~mask))
		sr_fail(r, "%s 0x%x has bits outside 0x%x", what, v, mask);
	return r->failed ? 0 : v;
}

uint8_t sr_u8_mask(struct state_reader *r, uint8_t mask, const char *what)
{
	uint8_t v = sr_u8(r);

	if (!r->failed && (v & ~mask))
		sr_fail(r, "%s 0x%x has bits outside 0x%x", what, v, mask);
	return r->failed ? 0 : v;
}

int sr_done(struct state_reader *r)
{
	if (!r->failed && r->pos != r->len)
		sr_fail(r, "%zu bytes left over at the end of the record",
			r->len - r->pos);
	return r->failed ? -1 : 0;
}

void sr_string(struct state_reader *r, char *buf, size_t size, const char *what)
{
	uint32_t n = sr_u32_max(r, (uint32_t)(size - 1), what);

	sr_bytes(r, buf, n);
	buf[n] = '\0';
	if (!r->failed && strlen(buf) != n)
		sr_fail(r, "%s holds a NUL byte", what);
}
