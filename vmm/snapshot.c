// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/sha256.h"
#include "lib/util.h"
#include "vmm/snapshot.h"

/*
 * The state file's header (docs/snapshot.md), little-endian:
 *   0  "ARMVMSNP"          8  format version (u32)   12 0 (u32)
 *   16 RAM size (u64)      24 RAM CRC-32 (u32)       28 0 (u32)
 *   32 body length (u64)   40 SHA-256 of the body (32 bytes)
 *   72 the body: sections of { tag length (u8), tag, length (u64), data }
 */
#define MAGIC	    "ARMVMSNP"
#define HEADER_SIZE 72
/* Bounds for a hostile file: the body holds registers and device state,
 * never RAM. */
#define BODY_MAX (256ULL << 20)
/* RAM is compared and checksummed in chunks; an all-zero chunk is a hole
 * in the file and is never written into guest RAM at restore. */
#define RAM_CHUNK (64ULL << 10)

void snapshot_add_section(struct state_writer *body, const char *tag,
			  const struct state_writer *content)
{
	size_t n = strlen(tag);

	if (n == 0 || n > SNAPSHOT_TAG_MAX || content->failed) {
		body->failed = true;
		return;
	}
	sw_u8(body, (uint8_t)n);
	sw_bytes(body, tag, n);
	sw_u64(body, content->len);
	sw_bytes(body, content->buf, content->len);
}

/* The RAM checksum covers the chunks that hold data, each with its
 * offset, so that writer and reader agree however the file system
 * stores the holes. */
static uint32_t crc_chunk(uint32_t crc, uint64_t off, const uint8_t *p,
			  size_t n)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(off >> (8 * i));
	crc = (uint32_t)crc32(crc, le, sizeof(le));
	return (uint32_t)crc32(crc, p, (uInt)n);
}

static int write_all(int fd, const void *buf, size_t n, uint64_t off)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static int write_ram(int fd, const uint8_t *ram, uint64_t size, uint32_t *crc)
{
	*crc = (uint32_t)crc32(0, NULL, 0);
	for (uint64_t off = 0; off < size; off += RAM_CHUNK) {
		size_t n = size - off < RAM_CHUNK ? size - off : RAM_CHUNK;

		if (mem_is_zero(ram + off, n))
			continue;
		*crc = crc_chunk(*crc, off, ram + off, n);
		if (write_all(fd, ram + off, n, off) < 0)
			return -1;
	}
	/* The holes up to the end. */
	return ftruncate(fd, (off_t)size);
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int write_state(int fd, const struct state_writer *body,
		       uint64_t ram_size, uint32_t ram_crc)
{
	uint8_t h[HEADER_SIZE] = {0};
	struct sha256 sha;

	memcpy(h, MAGIC, 8);
	put_le(h + 8, SNAPSHOT_FORMAT_VERSION, 4);
	put_le(h + 16, ram_size, 8);
	put_le(h + 24, ram_crc, 4);
	put_le(h + 32, body->len, 8);
	sha256_init(&sha);
	sha256_update(&sha, body->buf, body->len);
	sha256_final(&sha, h + 40);
	if (write_all(fd, h, sizeof(h), 0) < 0 ||
	    write_all(fd, body->buf, body->len, sizeof(h)) < 0)
		return -1;
	return 0;
}

/* Remove what a failed snapshot left in tmp. */
static void remove_partial(const char *tmp)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/state", tmp);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ram", tmp);
	unlink(path);
	rmdir(tmp);
}

int snapshot_write(const char *dir, const struct state_writer *body,
		   const uint8_t *ram, uint64_t ram_size)
{
	char tmp[PATH_MAX], path[PATH_MAX + 16];
	int ram_fd = -1, state_fd = -1, dfd;
	uint32_t crc = 0;
	size_t len;
	const char *what = "cannot write";

	if (body->failed) {
		pr_err("snapshot %s: out of memory", dir);
		return -1;
	}
	/* "snap/" names snap: the temporary one goes beside it, not in. */
	len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (snprintf(tmp, sizeof(tmp), "%.*s.partial-%d", (int)len, dir,
		     (int)getpid()) >= (int)sizeof(tmp)) {
		pr_err("snapshot %s: path too long", dir);
		return -1;
	}
	if (mkdir(tmp, 0700) < 0) {
		pr_err("snapshot %s: cannot make %s: %s", dir, tmp,
		       strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/ram", tmp);
	ram_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (ram_fd < 0 || write_ram(ram_fd, ram, ram_size, &crc) < 0 ||
	    fsync(ram_fd) < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/state", tmp);
	state_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (state_fd < 0 || write_state(state_fd, body, ram_size, crc) < 0 ||
	    fsync(state_fd) < 0)
		goto fail;
	close(ram_fd);
	close(state_fd);
	ram_fd = state_fd = -1;
	/* The two names in it on disk too, before it takes DIR's. */
	dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		if (dfd >= 0)
			close(dfd);
		goto fail;
	}
	close(dfd);
	/* Whole and on disk: now it may take the name (an empty directory
	 * of that name is replaced; anything else is refused). */
	what = "cannot put it in place";
	if (rename(tmp, dir) < 0) {
		if (errno == ENOTEMPTY || errno == EEXIST)
			what = "already exists and is not empty; expected a "
			       "new or empty directory";
		goto fail;
	}
	/* The rename itself on disk too. */
	snprintf(path, sizeof(path), "%s/..", dir);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	/* The failed call's errno, except where what says it all. */
	if (!strncmp(what, "already", 7))
		pr_err("snapshot %s: %s", dir, what);
	else
		pr_err("snapshot %s: %s: %s", dir, what, strerror(errno));
	if (ram_fd >= 0)
		close(ram_fd);
	if (state_fd >= 0)
		close(state_fd);
	remove_partial(tmp);
	return -1;
}

int snapshot_open(const char *dir, struct snapshot *s)
{
	uint8_t h[HEADER_SIZE], sum[32];
	char path[PATH_MAX + 16];
	struct sha256 sha;
	struct stat st;
	uint64_t len;
	uint32_t version;
	ssize_t r;
	int fd;

	memset(s, 0, sizeof(*s));
	s->handover_fd = -1;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/state", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		pr_err("--restore %s: cannot open: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	r = pread(fd, h, sizeof(h), 0);
	if (r != (ssize_t)sizeof(h) || memcmp(h, MAGIC, 8)) {
		pr_err("--restore %s: not an armvm snapshot (expected the "
		       "\"" MAGIC "\" header)",
		       path);
		goto fail;
	}
	version = (uint32_t)get_le(h + 8, 4);
	if (version != SNAPSHOT_FORMAT_VERSION) {
		pr_err("--restore %s: snapshot format version %u; this armvm "
		       "reads version %u%s",
		       path, version, SNAPSHOT_FORMAT_VERSION,
		       version > SNAPSHOT_FORMAT_VERSION
			   ? " (a newer armvm wrote it)"
			   : "");
		goto fail;
	}
	s->ram_size = get_le(h + 16, 8);
	s->ram_crc = (uint32_t)get_le(h + 24, 4);
	len = get_le(h + 32, 8);
	if (len > BODY_MAX ||
	    (uint64_t)st.st_size != (uint64_t)HEADER_SIZE + len) {
		pr_err("--restore %s: %llu bytes, expected %llu (truncated or "
		       "extended)",
		       path, (unsigned long long)st.st_size,
		       (unsigned long long)(HEADER_SIZE + len));
		goto fail;
	}
	s->body_len = (size_t)len;
	s->body = malloc(s->body_len + 1);
	if (!s->body || pread(fd, s->body, s->body_len, HEADER_SIZE) !=
			    (ssize_t)s->body_len) {
		pr_err("--restore %s: cannot read: %s", path,
		       s->body ? strerror(errno) : "out of memory");
		goto fail;
	}
	sha256_init(&sha);
	sha256_update(&sha, s->body, s->body_len);
	sha256_final(&sha, sum);
	if (memcmp(sum, h + 40, sizeof(sum))) {
		pr_err("--restore %s: checksum mismatch: the file is corrupted",
		       path);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	free(s->body);
	s->body = NULL;
	return -1;
}

int snapshot_section(const struct snapshot *s, const char *tag,
		     struct state_reader *r)
{
	struct state_reader body;
	char name[SNAPSHOT_TAG_MAX + 1];

	sr_init(&body, s->body, s->body_len);
	while (!body.failed && body.pos < body.len) {
		uint8_t n = sr_u8(&body);
		uint64_t len;

		if (n == 0 || n > SNAPSHOT_TAG_MAX)
			sr_fail(&body, "section name of %u bytes", n);
		sr_bytes(&body, name, body.failed ? 0 : n);
		name[body.failed ? 0 : n] = '\0';
		len = sr_u64_max(&body, body.len - body.pos, "section length");
		if (body.failed)
			break;
		if (!strcmp(name, tag)) {
			sr_init(r, s->body + body.pos, (size_t)len);
			return 0;
		}
		body.pos += (size_t)len;
	}
	if (body.failed)
		pr_err("--restore %s/state: bad section table: %s", s->dir,
		       body.why);
	else
		pr_err("--restore %s/state: no section '%s' (expected one "
		       "for this machine)",
		       s->dir, tag);
	return -1;
}

int snapshot_load_ram(const struct snapshot *s, uint8_t *ram, uint64_t size)
{
	char path[PATH_MAX + 16];
	uint8_t *chunk = NULL;
	uint32_t crc = (uint32_t)crc32(0, NULL, 0);
	struct stat st;
	int fd, ret = -1;

	snprintf(path, sizeof(path), "%s/ram", s->dir);
	if (s->ram_size != size) {
		pr_err("--restore %s: RAM of %llu MiB, but the VM has %llu MiB",
		       path, (unsigned long long)(s->ram_size >> 20),
		       (unsigned long long)(size >> 20));
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		pr_err("--restore %s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	if ((uint64_t)st.st_size != size) {
		pr_err("--restore %s: %llu bytes, expected %llu", path,
		       (unsigned long long)st.st_size,
		       (unsigned long long)size);
		goto out;
	}
	chunk = malloc(RAM_CHUNK);
	if (!chunk) {
		pr_err("--restore %s: out of memory", path);
		goto out;
	}
	for (uint64_t off = 0; off < size;) {
		off_t data = lseek(fd, (off_t)off, SEEK_DATA);
		size_t n;

		if (data < 0)
			break; /* only holes from here on */
		/* Whole chunks: the writer's unit. */
		off = ALIGN_DOWN((uint64_t)data, RAM_CHUNK);
		if (off >= size)
			break;
		n = size - off < RAM_CHUNK ? size - off : RAM_CHUNK;
		if (pread(fd, chunk, n, (off_t)off) != (ssize_t)n) {
			pr_err("--restore %s: cannot read at %llu: %s", path,
			       (unsigned long long)off, strerror(errno));
			goto out;
		}
		if (!mem_is_zero(chunk, n)) {
			crc = crc_chunk(crc, off, chunk, n);
			memcpy(ram + off, chunk, n);
		}
		off += n;
	}
	if (crc != s->ram_crc) {
		pr_err("--restore %s: checksum mismatch: the file is corrupted "
		       "or belongs to another snapshot",
		       path);
		goto out;
	}
	ret = 0;
out:
	free(chunk);
	if (fd >= 0)
		close(fd);
	return ret;
}

void snapshot_incoming(struct snapshot *s, const char *name, uint8_t *body,
		       size_t body_len, uint8_t *ram, uint64_t ram_size,
		       int handover_fd)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s", name);
	s->body = body;
	s->body_len = body_len;
	s->ram = ram;
	s->ram_loaded = true;
	s->ram_size = ram_size;
	s->handover_fd = handover_fd;
}

void snapshot_close(struct snapshot *s)
{
	free(s->body);
	s->body = NULL;
	if (s->ram)
		munmap(s->ram, s->ram_size);
	s->ram = NULL;
	if (s->handover_fd >= 0)
		close(s->handover_fd);
	s->handover_fd = -1;
}
