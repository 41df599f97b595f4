// SPDX-License-Identifier: GPL-2.0
/* Bounded file reads and device tree helpers of the conformance program. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conform/linux/util.h"

void result_set(struct conform_result *r, enum conform_status status,
		const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->evidence, sizeof(r->evidence), fmt, ap);
	va_end(ap);
}

void sb_add(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->len >= sizeof(sb->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sizeof(sb->buf) - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb->len += (size_t)n;
	if (sb->len > sizeof(sb->buf) - 1)
		sb->len = sizeof(sb->buf) - 1;
}

bool conform_path(const struct conform_ctx *ctx, const char *rel, char *out,
		  size_t cap)
{
	int n = snprintf(out, cap, "%s%s", ctx->root, rel);

	return n >= 0 && (size_t)n < cap;
}

ssize_t read_bounded(const struct conform_ctx *ctx, const char *rel, char *buf,
		     size_t cap)
{
	char path[PATH_MAX];
	size_t len = 0;
	int fd, err = 0;

	if (cap == 0)
		return -EINVAL;
	buf[0] = '\0';
	if (!conform_path(ctx, rel, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;
		char extra;

		if (len == cap - 1) {
			/* Full: longer only if one more byte comes. */
			n = read(fd, &extra, 1);
			if (n > 0)
				err = -EFBIG;
			else if (n < 0 && errno != EINTR)
				err = -errno;
			else if (n < 0)
				continue;
			break;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return err ? err : (ssize_t)len;
}

ssize_t read_value(const struct conform_ctx *ctx, const char *rel, char *buf,
		   size_t cap)
{
	ssize_t n = read_bounded(ctx, rel, buf, cap);

	if (n < 0)
		return n;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' ||
			 buf[n - 1] == '\t' || buf[n - 1] == '\0'))
		buf[--n] = '\0';
	return n;
}

int write_value(const struct conform_ctx *ctx, const char *rel, const char *val)
{
	char path[PATH_MAX];
	size_t len = strlen(val);
	ssize_t n;
	int fd, err = 0;

	if (!conform_path(ctx, rel, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	do {
		n = write(fd, val, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

bool path_exists(const struct conform_ctx *ctx, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	return conform_path(ctx, rel, path, sizeof(path)) &&
	       stat(path, &st) == 0;
}

bool path_is_dir(const struct conform_ctx *ctx, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	return conform_path(ctx, rel, path, sizeof(path)) &&
	       stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		return false;
	*out = v;
	return true;
}

bool strlist_has(const char *list, size_t len, const char *s)
{
	size_t i = 0, slen = strlen(s);

	while (i < len) {
		size_t n = strnlen(list + i, len - i);

		if (n == slen && memcmp(list + i, s, n) == 0)
			return true;
		i += n + 1;
	}
	return false;
}

void printable(const char *s, size_t len, char *out, size_t cap)
{
	size_t i, o = 0;

	if (cap == 0)
		return;
	for (i = 0; i < len && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[o] = '\0';
}

void strlist_join(const char *list, size_t len, char *out, size_t cap)
{
	size_t i, o = 0;

	if (cap == 0)
		return;
	/* A trailing NUL ends the list rather than starting an entry. */
	while (len > 0 && list[len - 1] == '\0')
		len--;
	for (i = 0; i < len && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)list[i];

		if (c == '\0')
			out[o++] = ',';
		else
			out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[o] = '\0';
}

ssize_t dt_prop(const struct conform_ctx *ctx, const char *node,
		const char *prop, char *buf, size_t cap)
{
	char rel[PATH_MAX];
	int n =
	    snprintf(rel, sizeof(rel), "%s%s/%s", CONFORM_DT_BASE, node, prop);

	if (n < 0 || (size_t)n >= sizeof(rel))
		return -ENAMETOOLONG;
	return read_bounded(ctx, rel, buf, cap);
}

bool dt_u32(const struct conform_ctx *ctx, const char *node, const char *prop,
	    uint32_t *out)
{
	unsigned char b[8];

	if (dt_prop(ctx, node, prop, (char *)b, sizeof(b)) != 4)
		return false;
	*out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
	return true;
}

bool dt_enabled(const struct conform_ctx *ctx, const char *node)
{
	char s[64];

	ssize_t n = dt_prop(ctx, node, "status", s, sizeof(s));

	/* no status is okay; one too long or unreadable is not */
	if (n == -ENOENT)
		return true;
	return n > 0 && (strcmp(s, "okay") == 0 || strcmp(s, "ok") == 0);
}

#define DT_MAX_DEPTH 8
#define DT_MAX_NODES 20000

static int dt_walk_node(const struct conform_ctx *ctx, char *node, size_t cap,
			int depth, unsigned int *budget, dt_visit_fn visit,
			void *opaque)
{
	char path[PATH_MAX];
	size_t len = strlen(node);
	struct dirent *de;
	DIR *dir;
	int ret;

	if (*budget == 0)
		return 0;
	(*budget)--;
	ret = visit(ctx, node, opaque);
	if (ret || depth >= DT_MAX_DEPTH)
		return ret;
	if (snprintf(path, sizeof(path), "%s%s%s", ctx->root, CONFORM_DT_BASE,
		     node) >= (int)sizeof(path))
		return 0;
	dir = opendir(path);
	if (!dir)
		return 0;
	while (!ret && (de = readdir(dir))) {
		bool is_dir = de->d_type == DT_DIR;

		if (de->d_name[0] == '.')
			continue;
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;

			is_dir = fstatat(dirfd(dir), de->d_name, &st,
					 AT_SYMLINK_NOFOLLOW) == 0 &&
				 S_ISDIR(st.st_mode);
		}
		if (!is_dir)
			continue;
		if (len + 1 + strlen(de->d_name) + 1 > cap)
			continue;
		node[len] = '/';
		strcpy(node + len + 1, de->d_name);
		ret = dt_walk_node(ctx, node, cap, depth + 1, budget, visit,
				   opaque);
		node[len] = '\0';
	}
	closedir(dir);
	return ret;
}

int dt_walk(const struct conform_ctx *ctx, dt_visit_fn visit, void *opaque)
{
	char node[1024] = "";
	unsigned int budget = DT_MAX_NODES;

	if (!path_is_dir(ctx, CONFORM_DT_BASE))
		return -ENOENT;
	return dt_walk_node(ctx, node, sizeof(node), 0, &budget, visit, opaque);
}

struct find_compat {
	const char *const *compats;
	char *node;
	size_t cap;
	int index;
};

static int find_compat_visit(const struct conform_ctx *ctx, const char *node,
			     void *opaque)
{
	struct find_compat *f = opaque;
	char compat[512];
	ssize_t n = dt_prop(ctx, node, "compatible", compat, sizeof(compat));
	int i;

	if (n <= 0)
		return 0;
	for (i = 0; f->compats[i]; i++) {
		if (strlist_has(compat, (size_t)n, f->compats[i]) &&
		    dt_enabled(ctx, node)) {
			snprintf(f->node, f->cap, "%s", node);
			f->index = i;
			return 1;
		}
	}
	return 0;
}

int dt_find_compatible(const struct conform_ctx *ctx,
		       const char *const *compats, char *node, size_t cap)
{
	struct find_compat f = {compats, node, cap, -1};

	if (cap)
		node[0] = '\0';
	if (dt_walk(ctx, find_compat_visit, &f) != 1)
		return -1;
	return f.index;
}
