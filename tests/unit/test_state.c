// SPDX-License-Identifier: GPL-2.0
/* Snapshot records (lib/state.c): round trips, fixed little-endian bytes,
 * and every way a reader refuses a record someone altered. */
#include "tests/unit/check.h"
#include "lib/state.h"

static void round_trip(void)
{
	struct state_writer w;
	struct state_reader r;
	uint8_t blob[3] = {7, 8, 9}, back[3];

	sw_init(&w);
	sw_u8(&w, 0xab);
	sw_u16(&w, 0x1234);
	sw_u32(&w, 0xdeadbeef);
	sw_u64(&w, 0x0123456789abcdefULL);
	sw_bool(&w, true);
	sw_bytes(&w, blob, sizeof(blob));
	CHECK(!w.failed);
	CHECK_EQ(w.len, 1 + 2 + 4 + 8 + 1 + 3);
	/* Little-endian, whatever the host. */
	CHECK_EQ(w.buf[1], 0x34);
	CHECK_EQ(w.buf[3], 0xef);
	sr_init(&r, w.buf, w.len);
	CHECK_EQ(sr_u8(&r), 0xab);
	CHECK_EQ(sr_u16(&r), 0x1234);
	CHECK_EQ(sr_u32(&r), 0xdeadbeef);
	CHECK_EQ(sr_u64(&r), 0x0123456789abcdefULL);
	CHECK(sr_bool(&r));
	sr_bytes(&r, back, sizeof(back));
	CHECK(!memcmp(back, blob, sizeof(blob)));
	CHECK_EQ(sr_done(&r), 0);
	sw_free(&w);
}

static void truncated_record_fails(void)
{
	uint8_t buf[5] = {1, 2, 3, 4, 5};
	struct state_reader r;

	sr_init(&r, buf, sizeof(buf));
	CHECK_EQ(sr_u32(&r), 0x04030201);
	CHECK_EQ(sr_u32(&r), 0); /* only one byte left */
	CHECK(r.failed);
	CHECK(strstr(r.why, "5 more expected") || strstr(r.why, "4 more"));
	/* Once failed, everything reads as zero. */
	CHECK_EQ(sr_u8(&r), 0);
	CHECK_EQ(sr_done(&r), -1);
}

static void leftover_bytes_fail(void)
{
	uint8_t buf[3] = {1, 0, 9};
	struct state_reader r;

	sr_init(&r, buf, sizeof(buf));
	CHECK_EQ(sr_u16(&r), 1);
	CHECK_EQ(sr_done(&r), -1);
	CHECK(strstr(r.why, "1 bytes left over"));
}

static void bounded_values(void)
{
	struct state_writer w;
	struct state_reader r;

	sw_init(&w);
	sw_u32(&w, 300);
	sw_u64(&w, 5);
	sw_u8(&w, 2); /* not a flag */
	sr_init(&r, w.buf, w.len);
	CHECK_EQ(sr_u32_max(&r, 256, "queue size"), 0);
	CHECK(r.failed);
	CHECK(strstr(r.why, "queue size 300, expected at most 256"));
	sr_init(&r, w.buf, w.len);
	CHECK_EQ(sr_u32_max(&r, 300, "queue size"), 300);
	CHECK_EQ(sr_u64_max(&r, 5, "n"), 5);
	CHECK(!sr_bool(&r));
	CHECK(r.failed);
	CHECK(strstr(r.why, "expected 0 or 1"));
	sw_free(&w);
}

static void strings(void)
{
	struct state_writer w;
	struct state_reader r;
	char buf[8], small[4];

	sw_init(&w);
	sw_string(&w, "disk0");
	sw_string(&w, "");
	sr_init(&r, w.buf, w.len);
	sr_string(&r, buf, sizeof(buf), "id");
	CHECK(!strcmp(buf, "disk0"));
	sr_string(&r, buf, sizeof(buf), "id");
	CHECK(!strcmp(buf, ""));
	CHECK_EQ(sr_done(&r), 0);
	/* Too long for the buffer. */
	sr_init(&r, w.buf, w.len);
	sr_string(&r, small, sizeof(small), "id");
	CHECK(r.failed);
	CHECK(strstr(r.why, "id 5, expected at most 3"));
	/* A NUL inside. */
	w.buf[4 + 2] = 0;
	sr_init(&r, w.buf, w.len);
	sr_string(&r, buf, sizeof(buf), "id");
	CHECK(r.failed);
	CHECK(strstr(r.why, "NUL"));
	sw_free(&w);
}

static void masked_values(void)
{
	struct state_writer w;
	struct state_reader r;

	sw_init(&w);
	sw_u32(&w, 0x87);
	sw_u8(&w, 0x10);
	sr_init(&r, w.buf, w.len);
	CHECK_EQ(sr_u32_mask(&r, 0xff87, "CR"), 0x87);
	CHECK_EQ(sr_u8_mask(&r, 0x0f, "mode"), 0);
	CHECK(r.failed);
	CHECK(strstr(r.why, "mode 0x10 has bits outside 0xf"));
	sw_free(&w);
}

int main(void)
{
	check_suite = "state";
	RUN(round_trip);
	RUN(truncated_record_fails);
	RUN(leftover_bytes_fail);
	RUN(bounded_values);
	RUN(strings);
	RUN(masked_values);
	return check_main_end();
}
