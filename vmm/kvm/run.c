// SPDX-License-Identifier: GPL-2.0
/* `armvm run`: parse the options, set the VM up, serve its control socket,
 * run it. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/confine.h"
#include "lib/util.h"
#include "vmm/config.h"
#include "vmm/control.h"
#include "vmm/instance.h"
#include "vmm/kvm/control_cmds.h"
#include "vmm/migrate.h"
#include "vmm/migrate_source.h"
#include "vmm/snapshot.h"
#include "vmm/kvm/vm.h"
#include "vmm/vmm.h"

/* How long a migration's source may stay silent. */
#define INCOMING_TIMEOUT_MS 60000

static void free_ram(uint8_t *ram, uint64_t size)
{
	munmap(ram, size);
}

/* The longest argument a snapshot's options may hold. */
#define ARG_MAX_BYTES 65536

#define THREAD_STACK_SIZE SZ_1M

/* The stack size of every thread created from now on (glibc's default
 * attributes). -1 after a message. */
static int set_thread_stack_size(size_t size)
{
	pthread_attr_t attr;
	int e = pthread_attr_init(&attr);

	if (!e)
		e = pthread_attr_setstacksize(&attr, size);
	if (!e)
		e = pthread_setattr_default_np(&attr);
	pthread_attr_destroy(&attr);
	if (e) {
		pr_err("cannot set the threads' stack size: %s", strerror(e));
		return -1;
	}
	return 0;
}

/*
 * --restore DIR, --incoming ADDR: the options come from the snapshot (its
 * "config" section), then this run's process options. The strings are
 * copies that live until armvm exits (cfg points into them).
 */
static int restore_config(struct vm_config *cfg, struct snapshot *s, int argc,
			  char **argv)
{
	const char *dir = s->dir;
	struct state_reader r;
	char **saved, *arg;
	uint32_t n;

	if (snapshot_section(s, "config", &r) < 0)
		return -1;
	n = sr_u32_max(&r, 1024, "arguments");
	saved = calloc((size_t)n + 1, sizeof(*saved));
	arg = malloc(ARG_MAX_BYTES + 1);
	if (!saved || !arg)
		sr_fail(&r, "out of memory");
	for (uint32_t i = 0; i < n && !r.failed; i++) {
		sr_string(&r, arg, ARG_MAX_BYTES + 1, "argument");
		saved[i] = strdup(arg);
		if (!saved[i])
			sr_fail(&r, "out of memory");
	}
	free(arg);
	if (sr_done(&r) < 0 || n == 0 || strcmp(saved[0], "run")) {
		pr_err("--restore %s/state: config: %s", dir,
		       r.failed ? r.why : "expected the arguments of a run");
		return -1;
	}
	if (vm_config_restore(cfg, (int)n, saved, argc, argv) < 0)
		return -1;
	if (cfg->restore || cfg->incoming) {
		pr_err("--restore %s/state: config holds --restore or "
		       "--incoming",
		       dir);
		return -1;
	}
	return 0;
}

/*
 * Test hook: ARMVM_TEST_INCOMING_DROP_AFTER=N makes the destination drop
 * the connection once it has read N bytes of the stream, as a network
 * failure midway would (tests/sandbox/migrate.sh: the source runs on).
 */
struct dropping_reader {
	int fd;
	uint64_t left;
};

static ssize_t dropping_read(void *opaque, void *buf, size_t n)
{
	struct dropping_reader *d = opaque;
	ssize_t r;

	if (!d->left) {
		pr_warn("test hook: dropping the connection");
		shutdown(d->fd, SHUT_RDWR);
		errno = ECONNRESET;
		return -1;
	}
	if (n > d->left)
		n = (size_t)d->left;
	r = read(d->fd, buf, n);
	if (r > 0)
		d->left -= (uint64_t)r;
	return r;
}

static int receive_stream(int fd, struct migrate_in *in)
{
	const char *hook = getenv("ARMVM_TEST_INCOMING_DROP_AFTER");
	struct dropping_reader d = {fd, hook ? strtoull(hook, NULL, 10) : 0};
	struct migrate_source src = {dropping_read, &d};

	if (!hook)
		return migrate_receive(fd, in, vm_alloc_ram, free_ram);
	return migrate_receive_from(&src, in, vm_alloc_ram, free_ram);
}

/*
 * --incoming ADDR: wait for one source, take its stream (RAM straight into
 * the VM's future RAM), and keep the connection for the hand-over
 * (vm_migrate_hand_over, once the VM is restored).
 */
static int receive_migration(const char *addr, struct snapshot *s)
{
	struct migrate_in in;
	char name[4200];
	int lfd, fd;

	lfd = migrate_listen(addr);
	if (lfd < 0)
		return -1;
	pr_info("waiting for a migration at %s", addr);
	fd = migrate_accept(lfd, addr, INCOMING_TIMEOUT_MS);
	if (fd < 0)
		return -1;
	if (receive_stream(fd, &in) < 0) {
		close(fd);
		return -1;
	}
	snprintf(name, sizeof(name), "--incoming %s", addr);
	snapshot_incoming(s, name, in.state, in.state_len, in.ram, in.ram_size,
			  fd);
	pr_info("migration received: %llu bytes", (unsigned long long)in.bytes);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct control_server *control = NULL;
	struct snapshot snap = {.handover_fd = -1};
	struct vm_config cfg;
	struct vm vm;
	struct timespec started;
	char sock[PATH_MAX];
	int lock_fd = -1, r;

	clock_gettime(CLOCK_MONOTONIC, &started);
	r = vm_config_parse(&cfg, argc, argv);
	if (r)
		return r > 0 ? 0 : 2;
	/* A named instance: held for armvm's life (the kernel lets it go
	 * however armvm ends), its control socket unless one is given. Not
	 * for --restore or --incoming, which cannot name one (their VM's
	 * options hold it). */
	if (cfg.instance) {
		lock_fd = instance_prepare_run(&cfg, sock, sizeof(sock));
		if (lock_fd < 0)
			return 1;
	}
	/* The snapshot's options, --seccomp, --jail and --user among them,
	 * before anything is set up from them (it only reads a file). */
	/* cfg.argv: with a configuration file, its process options too. */
	if (cfg.restore &&
	    (snapshot_open(cfg.restore, &snap) < 0 ||
	     restore_config(&cfg, &snap, cfg.argc, cfg.argv) < 0))
		return 1;
	if (cfg.incoming &&
	    (receive_migration(cfg.incoming, &snap) < 0 ||
	     restore_config(&cfg, &snap, cfg.argc, cfg.argv) < 0)) {
		snapshot_close(&snap);
		return 1;
	}
	cfg.started = started; /* parsing (again, for a restore) cleared it */
	/* Every thread armvm starts gets a 1 MiB stack (glibc's default is
	 * 8 MiB, from RLIMIT_STACK). None needs more (the largest frames
	 * hold 64 KiB buffers), and a stack smaller than 2 MiB cannot get a
	 * transparent huge page: with THP on, an 8 MiB one that happened to
	 * be 2 MiB aligned cost 2 MiB of armvm's memory for a few KiB used
	 * (issue 15, measured: docs/benchmarks.md "Scale"). */
	if (set_thread_stack_size(THREAD_STACK_SIZE) < 0)
		return 1;
	/* Before vm_init starts the first thread (lib/confine.h). */
	if (confine_setup(cfg.seccomp) < 0)
		return 1;
	/* Threads started during set-up wait for the jail (vm_run). */
	if (cfg.jail_dir || cfg.user.set)
		confine_hold_threads();
	if (snap.body)
		r = vm_init_restore(&vm, &cfg, &snap);
	else
		r = vm_init(&vm, &cfg);
	if (r < 0) {
		confine_release_threads(-1);
		vm_exit(&vm);
		return 1;
	}
	/* The control socket is made before the jail shuts the file system
	 * away (vm_run enters it). */
	if (cfg.api_socket) {
		control = control_cmds_start(&vm, cfg.api_socket);
		if (!control) {
			confine_release_threads(-1);
			vm_exit(&vm);
			return 1;
		}
	}
	r = vm_run(&vm);
	/* After the vCPUs: a device-del still waiting gives up by itself. */
	if (control)
		control_stop(control);
	vm_exit(&vm);
	return r;
}
