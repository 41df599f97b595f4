/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The jail for service use (issue 11). Once armvm holds /dev/kvm and every
 * file it was given open, --jail DIR makes DIR the root of its file system
 * (chroot) and --user drops it to an unprivileged user and group, which
 * leaves it no capabilities. Where the kernel has Landlock, every thread is
 * also limited to reading and writing files that exist under the jail: no
 * file is made, removed, linked or executed. docs/design.md says what each
 * layer leaves a compromised thread.
 */
#ifndef ARMVM_LIB_JAIL_H
#define ARMVM_LIB_JAIL_H

#include <stdbool.h>
#include <sys/types.h>

struct jail_user {
	bool set;
	uid_t uid;
	gid_t gid;
};

/* --user: a user name (its primary group) or UID:GID. false with a message
 * naming the option when it names nobody or is not numbers. */
bool jail_parse_user(const char *spec, struct jail_user *out);

/*
 * Enter the jail: chroot into dir (when not NULL), drop to user (when
 * set), then restrict the calling thread with Landlock when dir is given
 * and the kernel has it. *landlock_fd gets the ruleset, for the threads
 * started before the jail to restrict themselves with (lib/confine.h), or
 * -1. Every thread is affected by the chroot and the new user. -1 after a
 * message naming the option.
 */
int jail_enter(const char *dir, const struct jail_user *user, int *landlock_fd);

/*
 * Where path (which need not exist, but its directory must) will be once
 * dir is the root: "/x/y" for dir/x/y. Both are resolved (symbolic links,
 * "..") first. -1 when path is not under dir, or cannot be resolved (errno)
 * or does not fit size; no message. For sockets made before the jail and
 * reached by name after it (virtio-vsock's PATH_PORT).
 */
int jail_inner_path(const char *dir, const char *path, char *out, size_t size);

/* The calling thread under the ruleset jail_enter made; -1 (errno) if not. */
int jail_landlock_self(int landlock_fd);

#endif
