// SPDX-License-Identifier: GPL-2.0
/*
 * The snapshot directory (vmm/snapshot.c): a round trip, RAM written
 * sparsely and read back without touching holes, and each way a damaged
 * or foreign snapshot is refused with a message that names the file.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/check.h"
#include "lib/util.h"
#include "vmm/snapshot.h"

#define RAM_SIZE (4ULL << 20)

static char base[64];

static void make_body(struct state_writer *body)
{
	struct state_writer a, b;

	sw_init(body);
	sw_init(&a);
	sw_init(&b);
	sw_u32(&a, 0xabcd);
	sw_u64(&b, 42);
	sw_u8(&b, 7);
	snapshot_add_section(body, "plan", &a);
	snapshot_add_section(body, "dev:uart", &b);
	sw_free(&a);
	sw_free(&b);
}

static uint8_t *make_ram(void)
{
	uint8_t *ram = calloc(1, RAM_SIZE);

	memset(ram + 0x10000, 0x5a, 100);
	ram[RAM_SIZE - 1] = 1;
	return ram;
}

static int write_snapshot(const char *dir)
{
	struct state_writer body;
	uint8_t *ram = make_ram();
	int r;

	make_body(&body);
	r = snapshot_write(dir, &body, ram, RAM_SIZE);
	sw_free(&body);
	free(ram);
	return r;
}

/* Open with pr_err captured into msg. */
static int open_snapshot(const char *dir, struct snapshot *s, char *msg,
			 size_t size)
{
	int r;

	msg[0] = 0;
	pr_capture_begin(msg, size);
	r = snapshot_open(dir, s);
	pr_capture_end();
	return r;
}

static void round_trip(void)
{
	char dir[128], msg[512];
	struct snapshot s;
	struct state_reader r;
	uint8_t *ram = calloc(1, RAM_SIZE), *want = make_ram();

	snprintf(dir, sizeof(dir), "%s/a", base);
	CHECK_EQ(write_snapshot(dir), 0);
	CHECK_EQ(open_snapshot(dir, &s, msg, sizeof(msg)), 0);
	CHECK_EQ(s.ram_size, RAM_SIZE);
	CHECK_EQ(snapshot_section(&s, "dev:uart", &r), 0);
	CHECK_EQ(sr_u64(&r), 42);
	CHECK_EQ(sr_u8(&r), 7);
	CHECK_EQ(sr_done(&r), 0);
	CHECK_EQ(snapshot_section(&s, "plan", &r), 0);
	CHECK_EQ(sr_u32(&r), 0xabcd);
	pr_capture_begin(msg, sizeof(msg));
	CHECK_EQ(snapshot_section(&s, "vcpu0", &r), -1);
	pr_capture_end();
	CHECK(strstr(msg, "no section 'vcpu0'"));
	CHECK_EQ(snapshot_load_ram(&s, ram, RAM_SIZE), 0);
	CHECK(!memcmp(ram, want, RAM_SIZE));
	snapshot_close(&s);
	free(ram);
	free(want);
}

/* Two snapshots of the same state are the same bytes, and RAM's zero
 * chunks are holes (the file takes far less than RAM). */
static void deterministic_and_sparse(void)
{
	char a[128], b[128], cmd[700];
	struct stat st;

	snprintf(a, sizeof(a), "%s/d1", base);
	snprintf(b, sizeof(b), "%s/d2", base);
	CHECK_EQ(write_snapshot(a), 0);
	CHECK_EQ(write_snapshot(b), 0);
	snprintf(cmd, sizeof(cmd),
		 "cmp -s %s/state %s/state && cmp -s %s/ram %s/ram", a, b, a,
		 b);
	CHECK_EQ(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/ram", a);
	CHECK_EQ(stat(cmd, &st), 0);
	CHECK_EQ(st.st_size, RAM_SIZE);
	CHECK((uint64_t)st.st_blocks * 512 < RAM_SIZE / 4);
}

static void existing_dir_refused(void)
{
	char dir[128], file[160], msg[512];

	snprintf(dir, sizeof(dir), "%s/full", base);
	mkdir(dir, 0700);
	snprintf(file, sizeof(file), "%s/x", dir);
	close(open(file, O_CREAT | O_WRONLY, 0600));
	pr_capture_begin(msg, sizeof(msg));
	CHECK_EQ(write_snapshot(dir), -1);
	pr_capture_end();
	CHECK(strstr(msg, "already exists and is not empty"));
	/* An empty one is taken. */
	snprintf(dir, sizeof(dir), "%s/empty", base);
	mkdir(dir, 0700);
	CHECK_EQ(write_snapshot(dir), 0);
	/* "DIR/" is DIR: the work goes on beside it, not inside. */
	snprintf(dir, sizeof(dir), "%s/slash/", base);
	CHECK_EQ(write_snapshot(dir), 0);
	snprintf(file, sizeof(file), "%s/slash/state", base);
	CHECK_EQ(access(file, R_OK), 0);
}

/* Flip one byte of a file at off (negative: from the end). */
static void poke(const char *path, long off, uint8_t xor)
{
	int fd = open(path, O_RDWR);
	struct stat st;
	uint8_t b;

	fstat(fd, &st);
	if (off < 0)
		off += st.st_size;
	if (pread(fd, &b, 1, off) == 1) {
		b ^= xor;
		CHECK_EQ(pwrite(fd, &b, 1, off), 1);
	}
	close(fd);
}

static void damaged_refused(void)
{
	char dir[128], path[160], msg[512];
	struct snapshot s;
	uint8_t *ram = calloc(1, RAM_SIZE);

	snprintf(dir, sizeof(dir), "%s/bad", base);
	snprintf(path, sizeof(path), "%s/state", dir);
	CHECK_EQ(write_snapshot(dir), 0);
	/* A body byte changed. */
	poke(path, -1, 0xff);
	CHECK_EQ(open_snapshot(dir, &s, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "checksum mismatch"));
	CHECK(strstr(msg, path));
	poke(path, -1, 0xff);
	/* A newer format version. */
	poke(path, 8, 0x03);
	CHECK_EQ(open_snapshot(dir, &s, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "format version 2"));
	CHECK(strstr(msg, "a newer armvm"));
	poke(path, 8, 0x03);
	/* Truncated. */
	CHECK_EQ(truncate(path, 80), 0);
	CHECK_EQ(open_snapshot(dir, &s, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "truncated"));
	/* Not a snapshot at all. */
	CHECK_EQ(truncate(path, 10), 0);
	CHECK_EQ(open_snapshot(dir, &s, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "not an armvm snapshot"));

	/* RAM altered: the state is fine, the RAM's checksum is not. */
	snprintf(dir, sizeof(dir), "%s/badram", base);
	snprintf(path, sizeof(path), "%s/ram", dir);
	CHECK_EQ(write_snapshot(dir), 0);
	poke(path, 0x10000, 1);
	CHECK_EQ(open_snapshot(dir, &s, msg, sizeof(msg)), 0);
	pr_capture_begin(msg, sizeof(msg));
	CHECK_EQ(snapshot_load_ram(&s, ram, RAM_SIZE), -1);
	pr_capture_end();
	CHECK(strstr(msg, "checksum mismatch"));
	/* Or another size of RAM. */
	pr_capture_begin(msg, sizeof(msg));
	CHECK_EQ(snapshot_load_ram(&s, ram, RAM_SIZE / 2), -1);
	pr_capture_end();
	CHECK(strstr(msg, "RAM of 4 MiB, but the VM has 2 MiB"));
	snapshot_close(&s);
	free(ram);
}

int main(void)
{
	char cmd[100];
	int r;

	check_suite = "snapshot";
	snprintf(base, sizeof(base), "/tmp/armvm-test-snapshot.XXXXXX");
	if (!mkdtemp(base))
		return 1;
	RUN(round_trip);
	RUN(deterministic_and_sparse);
	RUN(existing_dir_refused);
	RUN(damaged_refused);
	r = check_main_end();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	if (system(cmd) != 0)
		return 1;
	return r;
}
