// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/io.h"

void img_src_mem(struct img_src *s, const void *buf, size_t len)
{
	s->size = len;
	s->fd = -1;
	s->mem = buf;
}

int img_src_fd(struct img_src *s, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	s->size = (uint64_t)st.st_size;
	/* A disk given as a block device (/dev/vdb, an LV): its size is
	 * not in st_size. */
	if (S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, &s->size) < 0)
		return -errno;
	s->fd = fd;
	s->mem = NULL;
	return 0;
}

int img_read(const struct img_src *s, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;

	if (!range_ok(off, len, s->size))
		return -1;
	if (s->fd < 0) {
		memcpy(buf, s->mem + off, len);
		return 0;
	}
	while (len) {
		ssize_t n = pread(s->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}
