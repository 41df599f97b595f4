// SPDX-License-Identifier: GPL-2.0
/*
 * The live-migration stream (vmm/migrate.c): round trips through a socket
 * pair (the sender on a thread: the streams outgrow the socket's buffer),
 * the records the sender makes and its counters, every hostile stream the
 * receiver must refuse with a message naming what and where, addresses,
 * listening and connecting over unix and TCP sockets, and the hand-over's
 * bytes. SIGPIPE is left at its default on purpose: a send to a closed
 * peer that raised it would kill this test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "tests/unit/check.h"
#include "lib/sha256.h"
#include "lib/util.h"
#include "vmm/migrate.h"

#define PS 4096u

static char base[64];
static int live_ram; /* RAM allocated by the receiver and not freed */

/* RAM as armvm makes it (anonymous memory, backed only once written),
 * for the tests that look at what the receiver touches. */
static bool t_mmap;

static uint8_t *t_alloc(uint64_t size)
{
	uint8_t *p;

	if (t_mmap) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		p = p == MAP_FAILED ? NULL : p;
	} else {
		p = calloc(1, size);
	}
	if (p)
		live_ram++;
	return p;
}

static void t_free(uint8_t *ram, uint64_t size)
{
	live_ram--;
	if (t_mmap)
		munmap(ram, size);
	else
		free(ram);
}

static uint8_t *t_alloc_none(uint64_t size)
{
	return NULL;
}

static void pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
}

/* Receive from fd with pr_err captured into msg. */
static int receive(int fd, struct migrate_in *in, char *msg, size_t size)
{
	int r;

	msg[0] = 0;
	pr_capture_begin(msg, size);
	r = migrate_receive(fd, in, t_alloc, t_free);
	pr_capture_end();
	return r;
}

/* --- A stream built by hand --------------------------------------------- */

struct stream {
	uint8_t b[64 << 10];
	size_t n;
};

static void s_bytes(struct stream *s, const void *p, size_t n)
{
	if (s->n + n > sizeof(s->b))
		abort();
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void s_fill(struct stream *s, uint8_t byte, size_t n)
{
	if (s->n + n > sizeof(s->b))
		abort();
	memset(s->b + s->n, byte, n);
	s->n += n;
}

static void s_header(struct stream *s, uint32_t version, uint32_t page_size,
		     uint64_t ram_size)
{
	uint8_t h[MIGRATE_HEADER_SIZE] = "ARMVMMIG";

	put_le32(h + 8, version);
	put_le32(h + 12, page_size);
	put_le64(h + 16, ram_size);
	s->n = 0;
	s_bytes(s, h, sizeof(h));
}

static void s_record(struct stream *s, uint32_t type, uint32_t count,
		     uint64_t offset)
{
	uint8_t r[16];

	put_le32(r, type);
	put_le32(r + 4, count);
	put_le64(r + 8, offset);
	s_bytes(s, r, sizeof(r));
}

/* STATE with its digest and body (of len bytes of 0x5a). */
static void s_state(struct stream *s, size_t len)
{
	uint8_t body[1024], sum[32];
	struct sha256 sha;

	memset(body, 0x5a, sizeof(body));
	sha256_init(&sha);
	sha256_update(&sha, body, len);
	sha256_final(&sha, sum);
	s_record(s, MIGRATE_STATE, 0, len);
	s_bytes(s, sum, sizeof(sum));
	s_bytes(s, body, len);
}

/* A good start: 16 pages of RAM. */
static void s_good(struct stream *s)
{
	s_header(s, MIGRATE_VERSION, PS, 16 * PS);
}

struct writer {
	int fd;
	const uint8_t *p;
	size_t n;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;

	for (size_t off = 0; off < w->n;) {
		ssize_t r = send(w->fd, w->p + off, w->n - off, MSG_NOSIGNAL);

		if (r <= 0)
			break; /* the receiver gave up */
		off += (size_t)r;
	}
	close(w->fd);
	return NULL;
}

/* Feed s (then the end of the connection) to migrate_receive. */
static int feed(const struct stream *s, struct migrate_in *in, char *msg,
		size_t size)
{
	struct writer w = {.p = s->b, .n = s->n};
	pthread_t t;
	int sv[2], r;

	pair(sv);
	w.fd = sv[1];
	if (pthread_create(&t, NULL, writer_thread, &w))
		abort();
	r = receive(sv[0], in, msg, size);
	close(sv[0]);
	pthread_join(t, NULL);
	return r;
}

/* s must be refused, with a message holding want (and want2), leaving the
 * caller nothing. */
static void refused(const struct stream *s, const char *want, const char *want2,
		    int line)
{
	struct migrate_in in;
	char msg[512];
	int r = feed(s, &in, msg, sizeof(msg));

	if (r != -1 || !strstr(msg, want) || (want2 && !strstr(msg, want2)) ||
	    strncmp(msg, "migrate: ", 9) || in.ram || in.state || live_ram) {
		if (!check_cur_failed)
			snprintf(check_first_failure,
				 sizeof(check_first_failure),
				 "line %d: r=%d live=%d want \"%.100s\" got "
				 "\"%.300s\"",
				 line, r, live_ram, want, msg);
		check_cur_failed = 1;
	}
	if (!r) {
		t_free(in.ram, in.ram_size);
		free(in.state);
	}
}

#define REFUSED(s, want)	 refused(s, want, NULL, __LINE__)
#define REFUSED2(s, want, want2) refused(s, want, want2, __LINE__)

/* --- Round trips -------------------------------------------------------- */

struct sender {
	int fd;
	uint8_t *ram;
	uint64_t ram_size;
	uint32_t page_size;
	const uint8_t *body;
	size_t body_len;
	struct migrate_out out;
	int rc;
	/* After the first pass. */
	uint64_t pass1_bytes, pass1_pages, pass1_zero;
	bool two_passes;
};

static void fill_page(uint8_t *page, uint32_t size, uint8_t seed)
{
	for (uint32_t i = 0; i < size; i++)
		page[i] = (uint8_t)(seed + i * 31 + (i >> 8));
	page[size / 2] = seed | 1; /* never all zero */
}

static void *sender_thread(void *arg)
{
	struct sender *s = arg;
	struct migrate_out *out = &s->out;
	uint64_t npages = s->ram_size / s->page_size;

	migrate_out_init(out, s->fd, s->page_size, s->ram_size);
	s->rc = migrate_send_header(out);
	/* The first pass: everything but zero pages. */
	s->rc |= migrate_send_pages(out, s->ram, 0, npages, true);
	s->pass1_bytes = out->bytes;
	s->pass1_pages = out->pages;
	s->pass1_zero = out->zero_pages;
	if (s->two_passes) {
		/* The guest writes on: page 20 again, page 30 back to
		 * zero, page 5 (zero so far). */
		fill_page(s->ram + 20 * PS, PS, 0xee);
		memset(s->ram + 30 * PS, 0, PS);
		fill_page(s->ram + 5 * PS, PS, 0x11);
		s->rc |= migrate_send_pages(out, s->ram, 20, 1, false);
		s->rc |= migrate_send_pages(out, s->ram, 30, 1, false);
		s->rc |= migrate_send_pages(out, s->ram, 0, 10, false);
	}
	s->rc |= migrate_send_state(out, s->body, s->body_len);
	return NULL;
}

/* Run the sender on a thread, receive here. */
static void run_pair(struct sender *s, struct migrate_in *in, char *msg,
		     size_t size, int *rc)
{
	pthread_t t;
	int sv[2];

	pair(sv);
	s->fd = sv[1];
	if (pthread_create(&t, NULL, sender_thread, s))
		abort();
	*rc = receive(sv[0], in, msg, size);
	/* A receiver that gave up: the sender's next send fails. */
	close(sv[0]);
	pthread_join(t, NULL);
	close(sv[1]);
}

static void round_trip(void)
{
	const uint64_t ram_size = 2 << 20, npages = ram_size / PS;
	uint8_t *ram = calloc(1, ram_size), body[1000];
	struct sender s = {
	    .ram = ram,
	    .ram_size = ram_size,
	    .page_size = PS,
	    .body = body,
	    .body_len = sizeof(body),
	    .two_passes = true,
	};
	struct migrate_in in;
	char msg[512];
	int rc;

	CHECK_EQ(npages, 512);
	for (unsigned i = 10; i <= 400; i++)
		fill_page(ram + i * PS, PS, (uint8_t)i);
	fill_page(ram + 450 * PS, PS, 1);
	ram[ram_size - 1] = 1;
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i * 7);

	run_pair(&s, &in, msg, sizeof(msg), &rc);
	CHECK_EQ(s.rc, 0);
	CHECK_EQ(rc, 0);
	CHECK_STR(msg, "");
	/* The first pass: pages 10..400 as two records (256 + 135), 450
	 * and 511; no zero page. */
	CHECK_EQ(s.pass1_pages, 391 + 2);
	CHECK_EQ(s.pass1_zero, 0);
	CHECK_EQ(s.pass1_bytes, 32 + 4 * 16 + 393ULL * PS);
	/* The second: PAGES 20, ZERO 30, then ZERO 0-4, PAGES 5,
	 * ZERO 6-9; and STATE, END. */
	CHECK_EQ(s.out.pages, 393 + 2);
	CHECK_EQ(s.out.zero_pages, 1 + 5 + 4);
	CHECK_EQ(s.out.bytes,
		 s.pass1_bytes + 5 * 16 + 2 * PS + 16 + 32 + sizeof(body) + 16);
	CHECK_EQ(in.bytes, s.out.bytes);
	CHECK(!s.out.failed);
	if (!rc) {
		CHECK_EQ(in.ram_size, ram_size);
		CHECK_EQ(in.page_size, PS);
		/* The last copy of 20, page 30 zero again, page 5. */
		CHECK(!memcmp(in.ram, ram, ram_size));
		CHECK_EQ(in.ram[20 * PS + PS / 2], 0xee | 1);
		CHECK_EQ(in.ram[30 * PS + PS / 2], 0);
		CHECK_EQ(in.state_len, sizeof(body));
		CHECK(!memcmp(in.state, body, sizeof(body)));
		t_free(in.ram, in.ram_size);
		free(in.state);
	}
	CHECK_EQ(live_ram, 0);
	free(ram);
}

/* 64 KiB pages, a state that arrives in several pieces. */
static void round_trip_large_pages(void)
{
	const uint32_t ps = 64 << 10;
	const uint64_t ram_size = 4 << 20;
	const size_t body_len = (3 << 20) + 1;
	uint8_t *ram = calloc(1, ram_size), *body = malloc(body_len);
	struct sender s = {
	    .ram = ram,
	    .ram_size = ram_size,
	    .page_size = ps,
	    .body = body,
	    .body_len = body_len,
	};
	struct migrate_in in;
	char msg[512];
	int rc;

	for (uint64_t i = 0; i < ram_size / ps; i += 2)
		fill_page(ram + i * ps, ps, (uint8_t)i);
	for (size_t i = 0; i < body_len; i++)
		body[i] = (uint8_t)(i >> 3);
	run_pair(&s, &in, msg, sizeof(msg), &rc);
	CHECK_EQ(s.rc, 0);
	CHECK_EQ(rc, 0);
	CHECK_STR(msg, "");
	CHECK_EQ(s.out.pages, ram_size / ps / 2);
	CHECK_EQ(s.out.zero_pages, 0);
	CHECK_EQ(in.bytes, s.out.bytes);
	if (!rc) {
		CHECK_EQ(in.page_size, ps);
		CHECK(!memcmp(in.ram, ram, ram_size));
		CHECK_EQ(in.state_len, body_len);
		CHECK(!memcmp(in.state, body, body_len));
		t_free(in.ram, in.ram_size);
		free(in.state);
	}
	free(body);
	free(ram);
}

/* --- What the sender makes ---------------------------------------------- */

/* Read the records of what fd holds now, n bytes. */
static size_t drain(int fd, uint8_t *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;

	while (n < size && (r = recv(fd, buf + n, size - n, MSG_DONTWAIT)) > 0)
		n += (size_t)r;
	return n;
}

struct rec {
	uint32_t type, count;
	uint64_t page;
};

/* The record heads in buf (after the header), their data skipped. */
static size_t parse(const uint8_t *buf, size_t n, struct rec *recs, size_t max)
{
	size_t nr = 0, pos = 0;

	while (pos + 16 <= n && nr < max) {
		recs[nr].type = get_le32(buf + pos);
		recs[nr].count = get_le32(buf + pos + 4);
		recs[nr].page = get_le64(buf + pos + 8) / PS;
		pos += 16;
		if (recs[nr].type == MIGRATE_PAGES)
			pos += (size_t)recs[nr].count * PS;
		nr++;
	}
	return pos == n ? nr : (size_t)-1;
}

static void sender_records(void)
{
	const uint64_t npages = 600;
	static const struct rec want[] = {
	    {MIGRATE_PAGES, 2, 0},    {MIGRATE_ZERO, 2, 2},
	    {MIGRATE_PAGES, 1, 4},    {MIGRATE_ZERO, 1, 5},
	    {MIGRATE_PAGES, 2, 6},    {MIGRATE_ZERO, 256, 8},
	    {MIGRATE_ZERO, 256, 264}, {MIGRATE_ZERO, 80, 520},
	};
	uint8_t *ram = calloc(npages, PS), *buf = malloc(1 << 20);
	struct migrate_out out;
	struct rec recs[16];
	int sv[2];
	size_t n, nr;

	pair(sv);
	for (unsigned i = 0; i < 8; i++)
		if (i != 2 && i != 3 && i != 5)
			ram[i * PS + i * 100] = (uint8_t)(i + 1);
	migrate_out_init(&out, sv[1], PS, npages * PS);
	CHECK_EQ(migrate_send_header(&out), 0);
	CHECK_EQ(out.bytes, MIGRATE_HEADER_SIZE);
	n = drain(sv[0], buf, 1 << 20);
	CHECK_EQ(n, 32);
	CHECK(!memcmp(buf, "ARMVMMIG", 8));
	CHECK_EQ(get_le32(buf + 8), MIGRATE_VERSION);
	CHECK_EQ(get_le32(buf + 12), PS);
	CHECK_EQ(get_le64(buf + 16), npages * PS);
	CHECK_EQ(get_le64(buf + 24), 0);

	CHECK_EQ(migrate_send_pages(&out, ram, 0, npages, false), 0);
	CHECK_EQ(out.pages, 5);
	CHECK_EQ(out.zero_pages, 2 + 1 + 592);
	CHECK_EQ(out.bytes, 32 + 8 * 16 + 5 * PS);
	n = drain(sv[0], buf, 1 << 20);
	CHECK_EQ(n, 8 * 16 + 5 * PS);
	nr = parse(buf, n, recs, ARRAY_SIZE(recs));
	CHECK_EQ(nr, ARRAY_SIZE(want));
	for (size_t i = 0; i < nr && i < ARRAY_SIZE(want); i++) {
		CHECK_EQ(recs[i].type, want[i].type);
		CHECK_EQ(recs[i].count, want[i].count);
		CHECK_EQ(recs[i].page, want[i].page);
	}
	/* The data is the pages'. */
	CHECK(!memcmp(buf + 16, ram, 2 * PS));

	/* skip_zero: the PAGES records only; a part of RAM. */
	CHECK_EQ(migrate_send_pages(&out, ram, 1, 5, true), 0);
	n = drain(sv[0], buf, 1 << 20);
	nr = parse(buf, n, recs, ARRAY_SIZE(recs));
	CHECK_EQ(nr, 2);
	CHECK_EQ(recs[0].page, 1);
	CHECK_EQ(recs[0].count, 1);
	CHECK_EQ(recs[1].page, 4);
	CHECK_EQ(recs[1].count, 1);
	CHECK_EQ(out.pages, 7);
	CHECK_EQ(out.zero_pages, 595);
	/* No pages: nothing. */
	CHECK_EQ(migrate_send_pages(&out, ram, 600, 0, false), 0);
	CHECK_EQ(drain(sv[0], buf, 1 << 20), 0);

	/* STATE and END. */
	CHECK_EQ(migrate_send_state(&out, (const uint8_t *)"abc", 3), 0);
	n = drain(sv[0], buf, 1 << 20);
	CHECK_EQ(n, 16 + 32 + 3 + 16);
	CHECK_EQ(get_le32(buf), MIGRATE_STATE);
	CHECK_EQ(get_le32(buf + 4), 0);
	CHECK_EQ(get_le64(buf + 8), 3);
	CHECK(!memcmp(buf + 48, "abc", 3));
	CHECK_EQ(get_le32(buf + 51), MIGRATE_END);
	CHECK_EQ(get_le32(buf + 55), 0);
	CHECK_EQ(get_le64(buf + 59), 0);
	CHECK(!out.failed);
	close(sv[0]);
	close(sv[1]);
	free(buf);
	free(ram);
}

static void sender_refuses(void)
{
	uint8_t *ram = calloc(16, PS);
	struct migrate_out out;
	char msg[512];
	int sv[2];

	pair(sv);
	pr_capture_begin(msg, sizeof(msg));
	/* Pages outside RAM; then every call fails. */
	migrate_out_init(&out, sv[1], PS, 16 * PS);
	CHECK_EQ(migrate_send_header(&out), 0);
	CHECK_EQ(migrate_send_pages(&out, ram, 15, 2, false), -1);
	CHECK(strstr(msg,
		     "2 pages from page 15 are outside the RAM of 16 pages"));
	CHECK(out.failed);
	CHECK_EQ(migrate_send_pages(&out, ram, 0, 1, false), -1);
	CHECK_EQ(migrate_send_state(&out, ram, 1), -1);
	/* Overflowing first + count. */
	migrate_out_init(&out, sv[1], PS, 16 * PS);
	CHECK_EQ(migrate_send_pages(&out, ram, UINT64_MAX, 2, false), -1);
	migrate_out_init(&out, sv[1], PS, 16 * PS);
	CHECK_EQ(migrate_send_pages(&out, ram, 17, 0, false), -1);
	/* A state of no bytes. */
	migrate_out_init(&out, sv[1], PS, 16 * PS);
	msg[0] = 0;
	CHECK_EQ(migrate_send_state(&out, ram, 0), -1);
	CHECK(strstr(msg, "a state of 0 bytes"));
	CHECK(out.failed);
	/* A page size or RAM size the stream cannot carry. */
	migrate_out_init(&out, sv[1], 1000, 16 * PS);
	CHECK_EQ(migrate_send_header(&out), -1);
	CHECK(strstr(msg, "pages of 1000 bytes"));
	migrate_out_init(&out, sv[1], PS, 16 * PS + 1);
	CHECK_EQ(migrate_send_header(&out), -1);
	/* Pages of a stream whose sizes are wrong (no division by 0). */
	migrate_out_init(&out, sv[1], 0, 16 * PS);
	msg[0] = 0;
	CHECK_EQ(migrate_send_pages(&out, ram, 0, 1, false), -1);
	CHECK(strstr(msg, "pages of 0 bytes"));
	CHECK(out.failed);

	/* The destination gone: EPIPE, no SIGPIPE. */
	close(sv[0]);
	migrate_out_init(&out, sv[1], PS, 16 * PS);
	msg[0] = 0;
	CHECK_EQ(migrate_send_header(&out), -1);
	CHECK(strstr(msg, "the destination closed the connection"));
	CHECK(out.failed);
	CHECK_EQ(migrate_send_pages(&out, ram, 0, 16, false), -1);
	pr_capture_end();
	close(sv[1]);
	free(ram);
}

/* --- Hostile streams ---------------------------------------------------- */

static void bad_header(void)
{
	struct stream *s = calloc(1, sizeof(*s));

	s_good(s);
	memcpy(s->b, "ARMVMSNP", 8);
	REFUSED(s, "not an armvm migration stream");
	s_header(s, 2, PS, 16 * PS);
	REFUSED2(s, "stream version 2", "a newer armvm");
	s_header(s, 0, PS, 16 * PS);
	REFUSED2(s, "stream version 0;", "reads version 1");
	s_header(s, 1, 2048, 16 * PS);
	REFUSED2(s, "page size 2048", "a power of two from 4096 to 65536");
	s_header(s, 1, 3 * PS, 16 * PS * 3);
	REFUSED(s, "page size 12288");
	s_header(s, 1, 128 << 10, 1 << 20);
	REFUSED(s, "page size 131072");
	s_header(s, 1, 0, 1 << 20);
	REFUSED(s, "page size 0;");
	s_header(s, 1, PS, 0);
	REFUSED2(s, "RAM size 0;", "non-zero multiple of the page size 4096");
	s_header(s, 1, PS, 16 * PS + 512);
	REFUSED(s, "RAM size 66048;");
	s_header(s, 1, PS, MIGRATE_RAM_MAX + PS);
	REFUSED(s, "RAM size 1099511631872;");
	s_header(s, 1, PS, UINT64_MAX - PS + 1);
	REFUSED(s, "RAM size");
	s_good(s);
	s->b[31] = 1;
	REFUSED(s, "bytes 24 to 31 are not zero");
	free(s);
}

static void bad_pages(void)
{
	struct stream *s = calloc(1, sizeof(*s));
	struct migrate_in in;
	char msg[512];

	s_good(s);
	s_record(s, 0, 1, 0);
	REFUSED2(s, "record at byte 32: unknown type 0", "expected PAGES (1)");
	s_good(s);
	s_record(s, 5, 1, 0);
	REFUSED(s, "record at byte 32: unknown type 5");
	s_good(s);
	s_record(s, UINT32_MAX, 0, 0);
	REFUSED(s, "unknown type 4294967295");

	s_good(s);
	s_record(s, MIGRATE_PAGES, 0, 0);
	REFUSED2(s, "record at byte 32: PAGES of 0 pages", "expected 1 to 256");
	s_good(s);
	s_record(s, MIGRATE_PAGES, MIGRATE_RUN_PAGES + 1, 0);
	REFUSED(s, "PAGES of 257 pages");
	s_good(s);
	s_record(s, MIGRATE_ZERO, 0, 0);
	REFUSED(s, "ZERO of 0 pages");
	s_good(s);
	s_record(s, MIGRATE_ZERO, UINT32_MAX, 0);
	REFUSED(s, "ZERO of 4294967295 pages");

	/* The message as it is shown. */
	s_good(s);
	s_record(s, MIGRATE_PAGES, 1, 0x1001);
	CHECK_EQ(feed(s, &in, msg, sizeof(msg)), -1);
	CHECK_STR(msg, "migrate: record at byte 32: page offset 0x1001 is not "
		       "a multiple of the page size 4096");
	CHECK_EQ(live_ram, 0);
	s_good(s);
	s_record(s, MIGRATE_ZERO, 1, 0x800);
	REFUSED(s, "page offset 0x800 is not a multiple");

	/* Outside RAM: at its end, across it, overflowing. */
	s_good(s);
	s_record(s, MIGRATE_PAGES, 1, 16 * PS);
	REFUSED(s, "1 pages at 0x10000 go past the end of RAM (0x10000");
	s_good(s);
	s_record(s, MIGRATE_PAGES, 2, 15 * PS);
	REFUSED(s, "2 pages at 0xf000 go past the end");
	s_good(s);
	s_record(s, MIGRATE_ZERO, 17, 0);
	REFUSED(s, "17 pages at 0x0 go past the end");
	s_good(s);
	s_record(s, MIGRATE_ZERO, 16, UINT64_MAX - PS + 1);
	REFUSED(s, "go past the end");
	s_good(s);
	s_record(s, MIGRATE_PAGES, 256, UINT64_MAX - 255ULL * PS + 1);
	REFUSED(s, "go past the end");

	/* A later record is named by its own offset: 32 + 16 + 4096. */
	s_good(s);
	s_record(s, MIGRATE_PAGES, 1, 15 * PS);
	s_fill(s, 1, PS);
	s_record(s, MIGRATE_ZERO, 1, 0x10);
	REFUSED(s, "record at byte 4144: page offset 0x10");
	free(s);
}

static void bad_state(void)
{
	struct stream *s = calloc(1, sizeof(*s));

	s_good(s);
	s_record(s, MIGRATE_STATE, 1, 10);
	REFUSED2(s, "record at byte 32: STATE with a count of 1", "expected 0");
	s_good(s);
	s_record(s, MIGRATE_STATE, 0, 0);
	REFUSED2(s, "STATE of 0 bytes", "expected 1 to 67108864");
	s_good(s);
	s_record(s, MIGRATE_STATE, 0, MIGRATE_STATE_MAX + 1ULL);
	REFUSED(s, "STATE of 67108865 bytes");
	s_good(s);
	s_record(s, MIGRATE_STATE, 0, UINT64_MAX);
	REFUSED(s, "STATE of 18446744073709551615 bytes");

	/* The digest does not match: a body byte changed. */
	s_good(s);
	s_state(s, 100);
	s->b[s->n - 1] ^= 1;
	s_record(s, MIGRATE_END, 0, 0);
	REFUSED(s, "record at byte 32: the state's SHA-256 does not match");

	/* Twice; pages after it. */
	s_good(s);
	s_state(s, 10);
	s_state(s, 10);
	s_record(s, MIGRATE_END, 0, 0);
	REFUSED2(s, "record at byte 90: STATE after STATE", "expected END");
	s_good(s);
	s_state(s, 10);
	s_record(s, MIGRATE_ZERO, 1, 0);
	REFUSED(s, "record at byte 90: ZERO after STATE; expected END");
	s_good(s);
	s_state(s, 10);
	s_record(s, MIGRATE_PAGES, 1, 0);
	s_fill(s, 0, PS);
	REFUSED(s, "PAGES after STATE");

	/* END: without STATE, with a count or offset. */
	s_good(s);
	s_record(s, MIGRATE_END, 0, 0);
	REFUSED(s, "record at byte 32: END before STATE");
	s_good(s);
	s_record(s, MIGRATE_ZERO, 16, 0);
	s_record(s, MIGRATE_END, 0, 0);
	REFUSED(s, "record at byte 48: END before STATE");
	s_good(s);
	s_state(s, 10);
	s_record(s, MIGRATE_END, 1, 0);
	REFUSED(s, "record at byte 90: END with count 1 and offset 0x0");
	s_good(s);
	s_state(s, 10);
	s_record(s, MIGRATE_END, 0, 8);
	REFUSED(s, "END with count 0 and offset 0x8");
	free(s);
}

static void truncated(void)
{
	struct stream *s = calloc(1, sizeof(*s));
	size_t full;

	s->n = 0;
	REFUSED(s, "the source closed the connection after 0 bytes");
	s_good(s);
	s->n = 10;
	REFUSED(s, "closed the connection after 10 bytes");
	s_good(s);
	REFUSED(s, "closed the connection after 32 bytes");
	s_record(s, MIGRATE_PAGES, 2, 0);
	s->n -= 6;
	REFUSED(s, "closed the connection after 42 bytes");
	/* In the middle of a PAGES record's data. */
	s_good(s);
	s_record(s, MIGRATE_PAGES, 2, 0);
	s_fill(s, 7, PS + 100);
	REFUSED(s, "closed the connection after 4244 bytes");
	/* Whole records, but no END. */
	s_good(s);
	s_record(s, MIGRATE_PAGES, 1, 0);
	s_fill(s, 7, PS);
	s_record(s, MIGRATE_ZERO, 3, PS);
	REFUSED(s, "closed the connection after 4160 bytes");
	/* In the middle of STATE's digest, its body; before END. */
	s_good(s);
	s_state(s, 500);
	full = s->n;
	s->n = 32 + 16 + 20;
	REFUSED(s, "closed the connection after 68 bytes");
	s->n = full - 1;
	REFUSED(s, "after 579 bytes");
	s->n = full;
	REFUSED(s, "after 580 bytes");
	s_record(s, MIGRATE_END, 0, 0);
	s->n -= 1;
	REFUSED(s, "after 595 bytes");
	free(s);
}

/* The anonymous memory of the mapping that holds addr, in KiB (its
 * "Anonymous:" line in /proc/self/smaps): the zero page that reading
 * untouched memory maps is not in it, nor a sanitizer's shadow memory. */
static long anon_kib_at(const void *addr)
{
	const unsigned long a = (unsigned long)(uintptr_t)addr;
	unsigned long lo, hi;
	char line[256];
	long kib = -1;
	bool in_it = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in_it = lo <= a && a < hi;
		else if (in_it && !strncmp(line, "Anonymous:", 10))
			kib = strtol(line + 10, NULL, 10);
	}
	if (f)
		fclose(f);
	return kib;
}

/* ZERO records over RAM never written leave it so: a small stream of
 * them (16 bytes a record) must not make the host back 64 MiB of the
 * destination's RAM. */
static void zero_records_touch_nothing(void)
{
	const uint64_t pages = 16384;
	struct stream *s = calloc(1, sizeof(*s));
	struct migrate_in in;
	char msg[512];
	long kib;

	t_mmap = true;
	s_header(s, MIGRATE_VERSION, PS, pages * PS);
	for (uint64_t p = 0; p < pages; p += MIGRATE_RUN_PAGES)
		s_record(s, MIGRATE_ZERO, MIGRATE_RUN_PAGES, p * PS);
	s_state(s, 1);
	s_record(s, MIGRATE_END, 0, 0);
	CHECK_EQ(feed(s, &in, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "");
	CHECK(in.ram != NULL);
	if (in.ram) {
		kib = anon_kib_at(in.ram);
		CHECK(kib >= 0 && kib < 1024);
		t_free(in.ram, in.ram_size);
		free(in.state);
	}
	t_mmap = false;
	free(s);
}

static void receiver_accepts(void)
{
	struct stream *s = calloc(1, sizeof(*s));
	struct migrate_in in;
	char msg[512];
	int sv[2];

	/* The last page, the largest runs, a ZERO over data; the bytes
	 * after END are not read. */
	s_good(s);
	s_record(s, MIGRATE_PAGES, 1, 15 * PS);
	s_fill(s, 0xab, PS);
	s_record(s, MIGRATE_PAGES, 2, 0);
	s_fill(s, 0xcd, 2 * PS);
	s_record(s, MIGRATE_ZERO, 1, PS);
	s_record(s, MIGRATE_ZERO, 16, 0);
	s_record(s, MIGRATE_PAGES, 1, 0);
	s_fill(s, 0xef, PS);
	s_state(s, 1);
	s_record(s, MIGRATE_END, 0, 0);
	s_fill(s, 0x99, 100);
	CHECK_EQ(feed(s, &in, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "");
	CHECK_EQ(in.bytes, s->n - 100);
	CHECK_EQ(in.ram_size, 16 * PS);
	if (in.ram) {
		CHECK_EQ(in.ram[0], 0xef);
		CHECK_EQ(in.ram[PS], 0);
		CHECK_EQ(in.ram[15 * PS], 0);
		CHECK_EQ(in.state_len, 1);
		CHECK_EQ(in.state[0], 0x5a);
		t_free(in.ram, in.ram_size);
		free(in.state);
	}

	/* RAM of the largest size and pages. */
	s_header(s, 1, 64 << 10, 64 << 10);
	s_record(s, MIGRATE_ZERO, 1, 0);
	s_state(s, 1024);
	s_record(s, MIGRATE_END, 0, 0);
	CHECK_EQ(feed(s, &in, msg, sizeof(msg)), 0);
	if (in.ram) {
		t_free(in.ram, in.ram_size);
		free(in.state);
	}

	/* No RAM for it. */
	s_good(s);
	pair(sv);
	CHECK_EQ(write(sv[1], s->b, s->n), (ssize_t)s->n);
	pr_capture_begin(msg, sizeof(msg));
	CHECK_EQ(migrate_receive(sv[0], &in, t_alloc_none, t_free), -1);
	pr_capture_end();
	CHECK(strstr(msg, "cannot allocate the guest's RAM of 65536 bytes"));
	CHECK(!in.ram);

	/* A source that stops sending: the receive timeout. */
	{
		struct timeval tv = {0, 50000};

		setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		CHECK_EQ(write(sv[1], s->b, s->n), (ssize_t)s->n);
		CHECK_EQ(receive(sv[0], &in, msg, sizeof(msg)), -1);
		CHECK(strstr(msg, "timed out waiting for the source after 32 "
				  "bytes"));
		CHECK_EQ(live_ram, 0);
	}
	close(sv[0]);
	close(sv[1]);
	free(s);
}

/* --- Addresses and sockets ---------------------------------------------- */

static void bad_addresses(void)
{
	static const struct {
		const char *addr, *want;
	} bad[] = {
	    {"foo", "migrate: \"foo\": expected unix:PATH or tcp:HOST:PORT"},
	    {"", "\"\": expected unix:PATH or tcp:HOST:PORT"},
	    {"udp:a:1", "expected unix:PATH or tcp:HOST:PORT"},
	    {"unix:", "\"unix:\": a unix socket's path has 1 to 107 bytes"},
	    {"tcp:host", "\"tcp:host\": expected tcp:HOST:PORT"},
	    {"tcp:host:", "port \"\"; expected"},
	    {"tcp:host:65536", "port \"65536\"; expected"},
	    {"tcp:host:-1", "port \"-1\""},
	    {"tcp:host:80x", "port \"80x\""},
	    {"tcp:host:0080000", "port \"0080000\""},
	    {"tcp::80", "with a host name or address of 1 to"},
	    {"tcp:[]:80", "with a host name or address of 1 to"},
	    {"tcp:::1:80", "an IPv6 address goes in brackets"},
	    {"tcp:[::1:80", "expected tcp:[IPV6]:PORT"},
	    {"tcp:[::1]80", "expected tcp:[IPV6]:PORT"},
	};
	char msg[512], addr[300];

	pr_capture_begin(msg, sizeof(msg));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		msg[0] = 0;
		CHECK_EQ(migrate_connect(bad[i].addr, 1000), -1);
		CHECK(strstr(msg, bad[i].want));
		msg[0] = 0;
		CHECK_EQ(migrate_listen(bad[i].addr), -1);
		CHECK(strstr(msg, bad[i].want));
	}
	/* Port 0: a listener's "any port", not a destination. */
	CHECK_EQ(migrate_connect("tcp:127.0.0.1:0", 1000), -1);
	CHECK(strstr(msg, "port \"0\"; expected 1 to 65535"));
	/* A path longer than a socket address holds. */
	snprintf(addr, sizeof(addr), "unix:/%0200d", 0);
	CHECK_EQ(migrate_connect(addr, 1000), -1);
	CHECK(strstr(msg, "a unix socket's path has 1 to 107 bytes"));
	CHECK_EQ(migrate_listen(addr), -1);
	pr_capture_end();
}

static void connect_nobody(void)
{
	char msg[512], addr[128], path[128];
	int fd;

	snprintf(addr, sizeof(addr), "unix:%s/nobody", base);
	pr_capture_begin(msg, sizeof(msg));
	msg[0] = 0;
	CHECK_EQ(migrate_connect(addr, 1000), -1);
	CHECK(strstr(msg, addr));
	CHECK(strstr(msg, "nobody is listening there"));
	/* A socket file left behind by a listener that is gone. */
	snprintf(addr, sizeof(addr), "unix:%s/gone", base);
	fd = migrate_listen(addr);
	CHECK(fd >= 0);
	close(fd);
	msg[0] = 0;
	CHECK_EQ(migrate_connect(addr, 1000), -1);
	CHECK(strstr(msg, "Connection refused"));
	/* That path exists: a listener refuses it. */
	msg[0] = 0;
	CHECK_EQ(migrate_listen(addr), -1);
	CHECK(strstr(msg, "exists; expected a path that does not"));
	pr_capture_end();
	snprintf(path, sizeof(path), "%s/gone", base);
	unlink(path);
}

/* Both ends of a connection made through addr. */
static void connect_accept(const char *addr, int lfd, int *c, int *a)
{
	char msg[512];

	pr_capture_begin(msg, sizeof(msg));
	*c = migrate_connect(addr, 2000);
	*a = *c >= 0 ? migrate_accept(lfd, addr, 2000) : -1;
	pr_capture_end();
	if (*c < 0 || *a < 0)
		printf("# %s: %s\n", addr, msg);
}

static void check_timeouts(int fd, long ms)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);

	CHECK_EQ(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len), 0);
	CHECK_EQ(tv.tv_sec * 1000 + tv.tv_usec / 1000, ms);
	len = sizeof(tv);
	CHECK_EQ(getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len), 0);
	CHECK_EQ(tv.tv_sec * 1000 + tv.tv_usec / 1000, ms);
}

/* The hand-over over a connection, both ways. */
static void hand_over(int src, int dst)
{
	CHECK_EQ(migrate_send_byte(dst, MIGRATE_READY), 0);
	CHECK_EQ(migrate_expect_byte(src, MIGRATE_READY, "ready"), 0);
	CHECK_EQ(migrate_send_byte(src, MIGRATE_GO), 0);
	CHECK_EQ(migrate_expect_byte(dst, MIGRATE_GO, "go"), 0);
}

static void unix_sockets(void)
{
	char addr[160], path[128];
	struct stat st;
	int lfd, c = -1, a = -1;

	snprintf(path, sizeof(path), "%s/mig.sock", base);
	snprintf(addr, sizeof(addr), "unix:%s", path);
	lfd = migrate_listen(addr);
	CHECK(lfd >= 0);
	CHECK_EQ(stat(path, &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_EQ(st.st_mode & 0777, 0600);
	connect_accept(addr, lfd, &c, &a);
	CHECK(c >= 0);
	CHECK(a >= 0);
	/* Accepting removed the path and closed the listener. */
	CHECK_EQ(stat(path, &st), -1);
	CHECK_EQ(fcntl(lfd, F_GETFD), -1);
	check_timeouts(c, 2000);
	check_timeouts(a, 2000);
	hand_over(c, a);
	close(c);
	close(a);
}

static void tcp_sockets(void)
{
	static const char *const hosts[] = {"127.0.0.1", "[::1]"};

	for (size_t i = 0; i < ARRAY_SIZE(hosts); i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char addr[128], msg[512];
		int lfd, c = -1, a = -1, v = 0;
		unsigned port;

		snprintf(addr, sizeof(addr), "tcp:%s:0", hosts[i]);
		pr_capture_begin(msg, sizeof(msg));
		lfd = migrate_listen(addr);
		pr_capture_end();
		if (lfd < 0 && i == 1) {
			printf("# no IPv6 loopback: %s\n", msg);
			continue;
		}
		CHECK(lfd >= 0);
		if (lfd < 0)
			continue;
		len = sizeof(v);
		CHECK_EQ(getsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &v, &len),
			 0);
		CHECK(v);
		/* The ephemeral port the listener got. */
		len = sizeof(ss);
		CHECK_EQ(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
		port = ntohs(ss.ss_family == AF_INET
				 ? ((struct sockaddr_in *)&ss)->sin_port
				 : ((struct sockaddr_in6 *)&ss)->sin6_port);
		CHECK(port != 0);
		snprintf(addr, sizeof(addr), "tcp:%s:%u", hosts[i], port);
		connect_accept(addr, lfd, &c, &a);
		CHECK(c >= 0);
		CHECK(a >= 0);
		if (c < 0 || a < 0)
			continue;
		check_timeouts(c, 2000);
		check_timeouts(a, 2000);
		len = sizeof(v);
		CHECK_EQ(getsockopt(a, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
		CHECK(v);
		hand_over(c, a);
		/* Nobody listens there any more. */
		pr_capture_begin(msg, sizeof(msg));
		CHECK_EQ(migrate_connect(addr, 2000), -1);
		pr_capture_end();
		CHECK(strstr(msg, "Connection refused"));
		close(c);
		close(a);
	}
}

static void handshake(void)
{
	struct timeval tv = {0, 50000};
	char msg[512];
	int sv[2];

	pair(sv);
	pr_capture_begin(msg, sizeof(msg));
	hand_over(sv[1], sv[0]);
	/* Another byte. */
	CHECK_EQ(migrate_send_byte(sv[1], 'X'), 0);
	msg[0] = 0;
	CHECK_EQ(migrate_expect_byte(sv[0], MIGRATE_GO, "waiting for go"), -1);
	CHECK_STR(msg, "migrate: waiting for go: got byte 0x58; expected 'G'");
	/* Nothing comes: the timeout. */
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	msg[0] = 0;
	CHECK_EQ(migrate_expect_byte(sv[0], MIGRATE_GO, "waiting for go"), -1);
	CHECK(strstr(msg, "waiting for go: timed out"));
	/* The peer closed: reading and sending fail (no SIGPIPE). */
	close(sv[1]);
	msg[0] = 0;
	CHECK_EQ(migrate_expect_byte(sv[0], MIGRATE_READY, "ready?"), -1);
	CHECK_STR(msg, "migrate: ready?: the peer closed the connection");
	msg[0] = 0;
	CHECK_EQ(migrate_send_byte(sv[0], MIGRATE_GO), -1);
	CHECK(strstr(msg, "sending 'G': the peer closed the connection"));
	pr_capture_end();
	close(sv[0]);
}

int main(void)
{
	char cmd[100];
	int r;

	check_suite = "migrate";
	snprintf(base, sizeof(base), "/tmp/armvm-test-migrate.XXXXXX");
	if (!mkdtemp(base))
		return 1;
	RUN(round_trip);
	RUN(round_trip_large_pages);
	RUN(sender_records);
	RUN(sender_refuses);
	RUN(bad_header);
	RUN(bad_pages);
	RUN(bad_state);
	RUN(truncated);
	RUN(receiver_accepts);
	RUN(zero_records_touch_nothing);
	RUN(bad_addresses);
	RUN(connect_nobody);
	RUN(unix_sockets);
	RUN(tcp_sockets);
	RUN(handshake);
	r = check_main_end();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	if (system(cmd) != 0)
		return 1;
	return r;
}
