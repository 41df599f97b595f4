// SPDX-License-Identifier: GPL-2.0
/*
 * The jail (issue 11, lib/jail.h): chroot, an unprivileged user, Landlock.
 * What each step needs is checked by the kernel, and each failure names
 * the option: armvm never runs half-jailed.
 */
#include "lib/jail.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/landlock.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/util.h"

/* Landlock's file-system rights by ABI version (Documentation/userspace-api
 * /landlock.rst): 13 in version 1, REFER in 2, TRUNCATE in 3. */
#define LL_FS_V1       ((1ull << 13) - 1)
#define LL_FS_REFER    (1ull << 13)
#define LL_FS_TRUNCATE (1ull << 14)

bool jail_parse_user(const char *spec, struct jail_user *out)
{
	const char *colon = strchr(spec, ':');
	char *end;

	memset(out, 0, sizeof(*out));
	if (colon) {
		unsigned long uid, gid;

		errno = 0;
		uid = strtoul(spec, &end, 10);
		if (end != colon || end == spec || errno || uid >= (uid_t)-1)
			goto bad;
		gid = strtoul(colon + 1, &end, 10);
		if (*end || end == colon + 1 || errno || gid >= (gid_t)-1)
			goto bad;
		*out = (struct jail_user){true, (uid_t)uid, (gid_t)gid};
		return true;
	}
	struct passwd *pw = *spec ? getpwnam(spec) : NULL;

	if (!pw) {
		pr_err(
		    "--user '%s': no such user (give a user name or UID:GID)",
		    spec);
		return false;
	}
	*out = (struct jail_user){true, pw->pw_uid, pw->pw_gid};
	return true;
bad:
	pr_err("--user '%s': expected a user name or UID:GID (numbers)", spec);
	return false;
}

static int enter_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		pr_err("--jail %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		pr_err("--jail %s: not a directory", dir);
		return -1;
	}
	if (chroot(dir) < 0 || chdir("/") < 0) {
		pr_err("--jail %s: cannot make it the root directory: %s "
		       "(armvm must start as root, or with CAP_SYS_CHROOT)",
		       dir, strerror(errno));
		return -1;
	}
	return 0;
}

int jail_inner_path(const char *dir, const char *path, char *out, size_t size)
{
	char root[PATH_MAX], parent[PATH_MAX], full[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t n;

	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		errno = EINVAL;
		return -1;
	}
	if (slash && slash == path)
		snprintf(parent, sizeof(parent), "/");
	else if (slash)
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - path),
			 path);
	else
		snprintf(parent, sizeof(parent), ".");
	if (!realpath(dir, root) || !realpath(parent, full))
		return -1;
	n = strlen(full);
	if (snprintf(full + n, sizeof(full) - n, "%s%s",
		     full[n - 1] == '/' ? "" : "/",
		     base) >= (int)(sizeof(full) - n)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	n = strcmp(root, "/") ? strlen(root) : 0;
	if (strncmp(full, root, n) || full[n] != '/') {
		errno = EXDEV;
		return -1;
	}
	if (snprintf(out, size, "%s", full + n) >= (int)size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* glibc applies each call to every thread of the process (setxid). */
static int drop_user(const struct jail_user *u)
{
	if (setgroups(0, NULL) < 0 && errno != EPERM) {
		pr_err("--user: cannot drop supplementary groups: %s",
		       strerror(errno));
		return -1;
	}
	if (setresgid(u->gid, u->gid, u->gid) < 0 ||
	    setresuid(u->uid, u->uid, u->uid) < 0) {
		pr_err(
		    "--user %u:%u: cannot switch to it: %s (armvm must start "
		    "as root to drop to another user)",
		    (unsigned int)u->uid, (unsigned int)u->gid,
		    strerror(errno));
		return -1;
	}
	/* Proof that nothing is left to regain root with. */
	if (u->uid && setuid(0) == 0) {
		pr_err("--user %u: root could be regained: not running",
		       (unsigned int)u->uid);
		return -1;
	}
	return 0;
}

static long ll_create(const struct landlock_ruleset_attr *attr, size_t size,
		      unsigned int flags)
{
	return syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

/* A ruleset that lets threads read and write files existing under the
 * (new) root, and nothing else on the file system; -1 without Landlock. */
static int landlock_ruleset(void)
{
	long abi = ll_create(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	struct landlock_ruleset_attr attr;
	struct landlock_path_beneath_attr beneath;
	int fd;

	if (abi < 1) {
		pr_info("--jail: the kernel has no Landlock (%s): chroot only",
			strerror(errno));
		return -1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = LL_FS_V1;
	beneath.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE |
				 LANDLOCK_ACCESS_FS_WRITE_FILE |
				 LANDLOCK_ACCESS_FS_READ_DIR;
	if (abi >= 2)
		attr.handled_access_fs |= LL_FS_REFER;
	if (abi >= 3) {
		attr.handled_access_fs |= LL_FS_TRUNCATE;
		beneath.allowed_access |= LL_FS_TRUNCATE;
	}
	fd = (int)ll_create(&attr, sizeof(attr), 0);
	if (fd < 0)
		return -1;
	beneath.parent_fd = open("/", O_PATH | O_CLOEXEC);
	if (beneath.parent_fd < 0 ||
	    syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH,
		    &beneath, 0) < 0) {
		if (beneath.parent_fd >= 0)
			close(beneath.parent_fd);
		close(fd);
		return -1;
	}
	close(beneath.parent_fd);
	pr_info("--jail: Landlock ABI %ld: files under the jail read and "
		"written, nothing made, removed or run",
		abi);
	return fd;
}

int jail_landlock_self(int landlock_fd)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return (int)syscall(SYS_landlock_restrict_self, landlock_fd, 0);
}

int jail_enter(const char *dir, const struct jail_user *user, int *landlock_fd)
{
	*landlock_fd = -1;
	if (dir && enter_dir(dir) < 0)
		return -1;
	if (user && user->set && drop_user(user) < 0)
		return -1;
	if (!dir)
		return 0;
	*landlock_fd = landlock_ruleset();
	if (*landlock_fd >= 0 && jail_landlock_self(*landlock_fd) < 0) {
		pr_err("--jail: cannot restrict the main thread with Landlock: "
		       "%s",
		       strerror(errno));
		close(*landlock_fd);
		*landlock_fd = -1;
		return -1;
	}
	return 0;
}
