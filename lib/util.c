// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

bool armvm_verbose;
static __thread char *capture_buf;
static __thread size_t capture_size;

void pr_capture_begin(char *buf, size_t size)
{
	capture_buf = buf;
	capture_size = size;
	if (size)
		buf[0] = 0;
}

void pr_capture_end(void)
{
	capture_buf = NULL;
}

void pr_capture_push(struct pr_capture *saved, char *buf, size_t size)
{
	saved->buf = capture_buf;
	saved->size = capture_size;
	pr_capture_begin(buf, size);
}

void pr_capture_pop(const struct pr_capture *saved)
{
	capture_buf = saved->buf;
	capture_size = saved->size;
}

static void vpr(const char *prefix, bool is_error, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (capture_buf && is_error) {
		snprintf(capture_buf, capture_size, "%s", buf);
		return;
	}
	/* One line: a message must never be split by embedded newlines. */
	for (char *c = buf; *c; c++)
		if (*c == '\n')
			*c = ' ';
	fprintf(stderr, "armvm: %s%s\n", prefix, buf);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpr("", true, fmt, ap);
	va_end(ap);
}

void pr_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpr("warning: ", false, fmt, ap);
	va_end(ap);
}

int64_t monotonic_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void pr_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpr("", false, fmt, ap);
	va_end(ap);
}

void pr_info(const char *fmt, ...)
{
	va_list ap;

	if (!armvm_verbose)
		return;
	va_start(ap, fmt);
	vpr("", false, fmt, ap);
	va_end(ap);
}

void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void escape_controls(char *s, size_t size)
{
	size_t len = strnlen(s, size ? size - 1 : 0), o = 0;
	char *in;

	if (!size)
		return;
	in = strndup(s, len);
	if (!in) {
		s[0] = 0;
		return;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		char esc[8];
		size_t n;

		if (c < 0x20 || c == 0x7f) {
			n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
		} else if (c == 0xc2 && i + 1 < len &&
			   (unsigned char)in[i + 1] >= 0x80 &&
			   (unsigned char)in[i + 1] <= 0x9f) {
			n = (size_t)snprintf(esc, sizeof(esc), "\\u00%02x",
					     (unsigned char)in[++i]);
		} else {
			esc[0] = (char)c;
			n = 1;
		}
		if (o + n > size - 1)
			break;
		memcpy(s + o, esc, n);
		o += n;
	}
	s[o] = 0;
	free(in);
}

bool parse_uint(const char *s, unsigned long min, unsigned long max,
		unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool parse_size(const char *s, uint64_t default_unit, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = default_unit;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'B':
			mult = 1;
			break;
		case 'K':
			mult = 1ULL << 10;
			break;
		case 'M':
			mult = 1ULL << 20;
			break;
		case 'G':
			mult = 1ULL << 30;
			break;
		case 'T':
			mult = 1ULL << 40;
			break;
		default:
			return false;
		}
		end++;
		if (mult != 1 &&
		    (!strcasecmp(end, "iB") || !strcasecmp(end, "B")))
			end += strlen(end);
		if (*end)
			return false;
	}
	if (mult && v > UINT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

int fsync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int fd, rc, saved;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) < sizeof(dir))
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		return errno = ENAMETOOLONG, -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

bool mem_is_zero(const void *p, size_t n)
{
	static const uint8_t zero[4096];
	const uint8_t *b = p;

	for (size_t off = 0; off < n; off += sizeof(zero)) {
		size_t m = n - off < sizeof(zero) ? n - off : sizeof(zero);

		if (memcmp(b + off, zero, m))
			return false;
	}
	return true;
}

/* The whole of a regular file (a kernel, an initrd, a guest program). */
int read_file(const char *path, uint8_t **data, size_t *size, size_t max_size)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		pr_err("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		pr_err("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > max_size) {
		pr_err("%s: too large (%lld bytes; at most %zu)", path,
		       (long long)st.st_size, max_size);
		close(fd);
		return -1;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		pr_err("%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n <= 0) {
			pr_err("%s: read error at offset %zu: %s", path, done,
			       n ? strerror(errno) : "unexpected end of file");
			free(buf);
			close(fd);
			return -1;
		}
		done += n;
	}
	close(fd);
	*data = buf;
	*size = done;
	return 0;
}
