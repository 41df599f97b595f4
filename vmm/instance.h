/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Named instances (issue 16): a directory per VM holding its configuration
 * (config.json, the options `armvm instance create` was given), its UEFI
 * variable store (vars.fd) and its lock (lock), and a control socket in the
 * runtime directory. Portable: `armvm instance` and `armvm ps` run on any
 * host; only `instance start` needs KVM.
 *
 *   instances  root: /var/lib/armvm/instances/NAME; others:
 *              ${XDG_DATA_HOME:-~/.local/share}/armvm/instances/NAME;
 *              ARMVM_INSTANCE_DIR replaces .../instances
 *   sockets    root: /run/armvm/NAME.sock; others:
 *              $XDG_RUNTIME_DIR/armvm/NAME.sock; systemd's
 *              RUNTIME_DIRECTORY, or ARMVM_RUNTIME_DIR, replaces the folder
 *
 * Running means holding the lock: the armvm that runs an instance holds an
 * exclusive flock on NAME/lock for its whole life (it writes its pid there
 * too), so the kernel drops it however armvm ends, and no socket, pid or
 * timeout need be trusted to tell whether it runs.
 */
#ifndef ARMVM_VMM_INSTANCE_H
#define ARMVM_VMM_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/config.h"

#define INSTANCE_NAME_MAX 64

/* A name of 1 to 64 of [A-Za-z0-9._-], not starting with '.' or '-'. */
bool instance_name_valid(const char *name);

/* The same, or -1 after "WHAT 'NAME': expected ..." (one line). */
int instance_name_check(const char *name, const char *what);

/* The folder holding every instance (not created). -1 after a message. */
int instance_root(char *out, size_t size);

/* NAME's folder (file NULL) or a file in it (not created); name valid. */
int instance_file(const char *name, const char *file, char *out, size_t size);

/* NAME's folder, created (mode 0700, parents too) if missing. */
int instance_dir(const char *name, char *out, size_t size);

/* The folder of the control sockets, created (0700) when create is set. */
int runtime_dir(char *out, size_t size, bool create);

/* NAME's control socket: runtime_dir()/NAME.sock. */
int instance_socket(const char *name, char *out, size_t size, bool create);

/*
 * Take NAME's lock for as long as this process runs (its folder is made
 * if missing): an open file descriptor (close-on-exec), or -1 after a
 * one-line message ("in use by another armvm process (pid N)").
 */
int instance_lock(const char *name);

/* 1 when an armvm holds NAME's lock (*pid its pid when known, else 0),
 * 0 when none does (or NAME does not exist), -1 after a message. */
int instance_running(const char *name, long *pid);

/*
 * What `armvm run --instance NAME` does before the VM is made: take the
 * lock, and when cfg has no --api-socket, give it NAME's socket (its
 * folder made), written into sock (with a warning, none when there is no
 * runtime folder). The lock's fd, or -1 after a message.
 */
int instance_prepare_run(struct vm_config *cfg, char *sock, size_t size);

/* `armvm run`, for `instance start` (NULL where this armvm cannot run a
 * VM). */
typedef int (*instance_run_fn)(int argc, char **argv);

/* `armvm instance COMMAND ...` (argv[0] is "instance"): the exit status. */
int cmd_instance(int argc, char **argv, instance_run_fn run);

void instance_usage(FILE *f);

#endif
