// SPDX-License-Identifier: GPL-2.0
/* lib/util.c: helpers every part uses. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/util.h"
#include "tests/unit/check.h"

/* fsync_parent_dir finds the directory of any form of path, and fails
 * (with errno) when the directory is not there. */
static void test_fsync_parent_dir(void)
{
	char dir[] = "/tmp/armvm-test-util-XXXXXX";
	char path[128], missing[160];
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(fsync_parent_dir(path), 0);
	CHECK_EQ(fsync_parent_dir("relative-name"), 0); /* the cwd */
	CHECK_EQ(fsync_parent_dir("/etc"), 0);		/* "/" */
	snprintf(missing, sizeof(missing), "%s/no-such-dir/file", dir);
	errno = 0;
	CHECK_EQ(fsync_parent_dir(missing), -1);
	CHECK_EQ(errno, ENOENT);
	unlink(path);
	rmdir(dir);
}

/* Controls in names read from images are escaped, and the result fits. */
static void test_escape_controls(void)
{
	char s[32] = "a\x1b[2Jb\x7f";
	char small[6] = "\x1b\x1b\x1b";

	escape_controls(s, sizeof(s));
	CHECK_STR(s, "a\\x1b[2Jb\\x7f");
	escape_controls(small, sizeof(small));
	CHECK(strlen(small) < sizeof(small));
	CHECK(strchr(small, 0x1b) == NULL);
}

int main(void)
{
	check_suite = "util";
	RUN(test_fsync_parent_dir);
	RUN(test_escape_controls);
	return check_main_end();
}
