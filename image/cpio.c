// SPDX-License-Identifier: GPL-2.0
/* The newc cpio writer (image/cpio.h). */
#include <string.h>
#include <sys/stat.h>

#include "image/cpio.h"

void cpio_begin(struct cpio_out *c, FILE *f)
{
	c->f = f;
	c->next_ino = 1;
	c->failed = false;
}

static void cpio_pad(struct cpio_out *c, size_t written)
{
	static const char zeros[4];
	size_t pad = (4 - written % 4) % 4;

	if (pad && fwrite(zeros, 1, pad, c->f) != pad)
		c->failed = true;
}

/* A name fit for the archive: relative, no empty, "." or ".." part. */
static bool cpio_name_ok(const char *name)
{
	const char *p = name;

	if (!*name || *name == '/' || strlen(name) > 255)
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p)
			p++;
		if (!*p && p[-1] == '/')
			return false;
	}
	return true;
}

/* One header, its name and the data, each padded to 4 bytes (the
 * header's 110 bytes count with the name). */
static void cpio_entry(struct cpio_out *c, const char *name, unsigned int mode,
		       unsigned int nlink, unsigned int rmajor,
		       unsigned int rminor, const void *data, size_t len)
{
	char hdr[111];
	size_t namesize = strlen(name) + 1;

	if (len > 0xffffffffu) {
		c->failed = true;
		return;
	}
	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 c->next_ino++, mode, 0, 0, nlink, 0, (unsigned int)len, 0, 0,
		 rmajor, rminor, (unsigned int)namesize, 0);
	if (fwrite(hdr, 1, 110, c->f) != 110 ||
	    fwrite(name, 1, namesize, c->f) != namesize)
		c->failed = true;
	cpio_pad(c, 110 + namesize);
	if (len && fwrite(data, 1, len, c->f) != len)
		c->failed = true;
	cpio_pad(c, len);
}

void cpio_dir(struct cpio_out *c, const char *name)
{
	if (!cpio_name_ok(name)) {
		c->failed = true;
		return;
	}
	cpio_entry(c, name, S_IFDIR | 0755, 2, 0, 0, NULL, 0);
}

void cpio_chardev(struct cpio_out *c, const char *name, unsigned int major,
		  unsigned int minor)
{
	if (!cpio_name_ok(name)) {
		c->failed = true;
		return;
	}
	cpio_entry(c, name, S_IFCHR | 0600, 1, major, minor, NULL, 0);
}

void cpio_file(struct cpio_out *c, const char *name, unsigned int perm,
	       const void *data, size_t len)
{
	if (!cpio_name_ok(name)) {
		c->failed = true;
		return;
	}
	cpio_entry(c, name, S_IFREG | (perm & 07777), 1, 0, 0, data, len);
}

int cpio_end(struct cpio_out *c)
{
	cpio_entry(c, "TRAILER!!!", 0, 1, 0, 0, NULL, 0);
	if (fflush(c->f) != 0)
		c->failed = true;
	return c->failed ? -1 : 0;
}
