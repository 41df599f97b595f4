// SPDX-License-Identifier: GPL-2.0
/*
 * Per-thread seccomp filters (issue 11), built with libseccomp from the
 * tables below: a profile is a set of groups, a group a list of system
 * calls (by name, resolved for the architecture armvm runs on; a name the
 * architecture lacks, such as x86's poll on arm64, is skipped), ioctl
 * requests and argument-checked rules. Nothing outside a thread's profile
 * runs: in kill mode the call traps, the handler names the thread and the
 * call on stderr, and armvm dies of SIGSYS.
 *
 * Every profile is compiled to BPF once, by confine_setup on the main
 * thread; a thread only installs its own. Compiling in each thread, as
 * armvm first did, cost each one libseccomp's working memory in a malloc
 * arena of its own (kept after the compile: 52-72 KiB of armvm's memory
 * per thread, measured in the sandbox) and its CPU time.
 */
#include "lib/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "lib/jail.h"
#include "lib/util.h"

/* Rules that look at arguments, named by what they allow. */
enum special {
	SP_MMAP_NO_EXEC = 1 << 0, /* mmap, mprotect without PROT_EXEC */
	SP_SIGACTION = 1 << 1,	  /* rt_sigaction, but not for SIGSYS */
	SP_CLONE_THREAD = 1 << 2, /* clone with CLONE_THREAD (threads only) */
	SP_OPEN_READ = 1 << 3,	  /* openat read-only, never creating */
	SP_OPEN_ANY = 1 << 4,	  /* openat (disks hot-plugged read-write) */
	SP_INET_SOCKET = 1 << 5,  /* socket(AF_INET or AF_INET6): libslirp */
	SP_MORE_FILTERS = 1 << 6, /* a child thread stacking its own filter */
	SP_UNIX_SOCKET = 1 << 7,  /* socket(AF_UNIX): virtio-vsock's bridge */
};

struct group {
	const char *const *calls; /* NULL-terminated */
	const unsigned long *ioctls;
	size_t nioctls;
	unsigned int special;
};

#define CALLS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define IOCTLS(...)                                               \
	.ioctls = (const unsigned long[]){__VA_ARGS__},           \
	.nioctls = sizeof((const unsigned long[]){__VA_ARGS__}) / \
		   sizeof(unsigned long)

/* Every thread: memory, locks, time, signals, its own file descriptors. */
static const struct group base = {
    .calls =
	CALLS("read", "write", "readv", "writev", "close", "futex",
	      "rt_sigreturn", "rt_sigprocmask", "restart_syscall", "exit",
	      "exit_group", "clock_gettime", "clock_nanosleep", "nanosleep",
	      "gettimeofday", "gettid", "getpid", "tgkill", "madvise", "munmap",
	      "brk", "mremap", "sched_yield", "getrandom", "rseq", "fstat",
	      "newfstatat", "lseek", "sigaltstack", "ppoll", "poll",
	      "epoll_pwait", "sched_getaffinity", "epoll_wait"),
    .special = SP_MMAP_NO_EXEC | SP_SIGACTION,
};
/* Raising an interrupt from a device model (irq_sink; vm.c's platform glue). */
static const struct group irq = {
    IOCTLS(KVM_IRQ_LINE, KVM_SIGNAL_MSI),
};
/* Running virtqueues: disk reads and writes, flushes, discards, the
 * variable store's flush, doorbells added as the guest moves a BAR. */
static const struct group queue_io = {
    .calls = CALLS("pread64", "pwrite64", "preadv", "pwritev", "preadv2",
		   "pwritev2", "fsync", "fdatasync", "fallocate", "msync",
		   "epoll_ctl", "eventfd2"),
    IOCTLS(KVM_IOEVENTFD),
};
/* What a vCPU's exits need of KVM: the flash's memory slot switches mode;
 * a TAP's offloads follow the features the guest's driver accepts. */
static const struct group vcpu = {
    IOCTLS(KVM_RUN, KVM_SET_USER_MEMORY_REGION, KVM_GET_ONE_REG,
	   KVM_SET_ONE_REG, TUNSETOFFLOAD),
};
/* A network backend: libslirp's sockets (it re-reads /etc/resolv.conf
 * for its DNS proxy), a TAP device's frames. */
static const struct group net_backend = {
    .calls =
	CALLS("connect", "bind", "listen", "accept", "accept4", "setsockopt",
	      "getsockopt", "getsockname", "getpeername", "sendto", "recvfrom",
	      "sendmsg", "recvmsg", "shutdown", "fcntl"),
    IOCTLS(FIONREAD, FIONBIO),
    .special = SP_INET_SOCKET | SP_OPEN_READ,
};
/* virtio-vsock's bridge: host clients accepted on its listening socket,
 * connections made for the guest to PATH_PORT (UNIX sockets only). */
static const struct group vsock_bridge = {
    .calls = CALLS("connect", "accept4", "sendto", "recvfrom", "sendmsg",
		   "recvmsg", "shutdown", "epoll_ctl"),
    .special = SP_UNIX_SOCKET,
};
/* Starting threads (never processes: CLONE_THREAD is required), which
 * then add their own filter to the one they inherit (only ever narrower),
 * and under --jail the Landlock ruleset (which only ever takes away). */
static const struct group threads = {
    .calls = CALLS("set_robust_list", "seccomp", "landlock_restrict_self"),
    .special = SP_CLONE_THREAD | SP_MORE_FILTERS,
};
/* The control socket's requests and hot-plug: open and lock a disk, make
 * a TAP or user network backend, a device's eventfds and doorbells. */
static const struct group control = {
    .calls =
	CALLS("accept4", "recvfrom", "sendto", "shutdown", "flock", "fcntl",
	      "statx", "pipe2", "geteuid", "getuid", "getegid", "getgid"),
    IOCTLS(BLKGETSIZE64, TUNSETIFF, TUNSETOFFLOAD, TUNSETVNETHDRSZ,
	   KVM_CHECK_EXTENSION),
    .special = SP_OPEN_ANY,
};
/* Snapshots (a control request): the VM's state through KVM (the pause
 * that freezes the guest's counter too), written into a new directory
 * renamed into place. */
static const struct group snapshot = {
    .calls = CALLS("mkdir", "mkdirat", "rename", "renameat", "renameat2",
		   "unlink", "unlinkat", "rmdir", "ftruncate"),
    IOCTLS(KVM_GET_ONE_REG, KVM_SET_ONE_REG, KVM_GET_REG_LIST, KVM_GET_MP_STATE,
	   KVM_SET_MP_STATE, KVM_GET_DEVICE_ATTR, KVM_SET_DEVICE_ATTR),
};
/* Live migration's source (a control request): a connection to the
 * destination, KVM's dirty log, the disks and variable store made durable
 * and their locks handed over (vmm/kvm/migrate.c). getaddrinfo may read
 * /etc/hosts and ask a DNS server (SP_OPEN_ANY is the control group's). */
static const struct group migration = {
    .calls = CALLS("connect", "sendto", "recvfrom", "sendmsg", "recvmsg",
		   "setsockopt", "getsockopt", "getsockname", "fdatasync",
		   "msync", "flock", "poll", "ppoll"),
    IOCTLS(KVM_SET_USER_MEMORY_REGION, KVM_GET_DIRTY_LOG),
    .special = SP_UNIX_SOCKET | SP_INET_SOCKET,
};
/* The main thread between boots: a new KVM VM, its vCPUs and GIC, the
 * kernel and initrd read again; at exit the terminal restored, the
 * control socket's file removed; a migrated VM's hand-over (two bytes
 * on the connection). */
static const struct group main_loop = {
    .calls = CALLS("unlinkat", "unlink", "statx", "pipe2", "shutdown",
		   "ftruncate", "fcntl", "flock", "sendto", "recvfrom"),
    IOCTLS(KVM_GET_API_VERSION, KVM_CHECK_EXTENSION, KVM_GET_VCPU_MMAP_SIZE,
	   KVM_CREATE_VM, KVM_ENABLE_CAP, KVM_CREATE_VCPU,
#ifdef __aarch64__ /* their argument types exist only there */
	   KVM_ARM_PREFERRED_TARGET, KVM_ARM_VCPU_INIT,
#endif
	   KVM_CREATE_DEVICE, KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR,
	   KVM_SET_MP_STATE, /* a restore's boot */
	   KVM_HAS_DEVICE_ATTR, TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ),
    .special = SP_OPEN_READ,
};
/* The boot-file probe: reads one disk image and writes one record. */
static const struct group probe = {
    .calls = CALLS("pread64", "preadv"),
    IOCTLS(BLKGETSIZE64),
    .special = SP_OPEN_READ,
};

#define MAX_GROUPS 8
static const struct profile {
	const char *name;
	const struct group *groups[MAX_GROUPS];
} profiles[CONFINE_KINDS] = {
    /* Starts each boot's vCPUs: its list holds theirs (filters stack). */
    [CONFINE_MAIN] = {"main",
		      {&base, &irq, &queue_io, &vcpu, &threads, &main_loop}},
    [CONFINE_VCPU] = {"vcpu", {&base, &irq, &queue_io, &vcpu}},
    [CONFINE_DOORBELL] = {"doorbell", {&base, &irq, &queue_io}},
    [CONFINE_DEVICE_IO] = {"device-io", {&base, &irq, &net_backend}},
    /* Starts hot-plugged devices' I/O threads: holds their list. */
    [CONFINE_CONTROL] = {"control",
			 {&base, &irq, &queue_io, &net_backend, &threads,
			  &control, &snapshot, &migration}},
    [CONFINE_CONSOLE_INPUT] = {"console-input", {&base, &irq}},
    [CONFINE_RTC] = {"rtc", {&base, &irq}},
    [CONFINE_PROBE] = {"probe", {&base, &probe}},
    /* Started at set-up only (no hot-plug): no other list holds it. */
    [CONFINE_VSOCK] = {"vsock", {&base, &irq, &vsock_bridge}},
};

/* Set once by confine_setup on the main thread before any other thread
 * exists, read-only afterwards. */
static enum confine_mode confine_mode = CONFINE_MODE_OFF;
static struct sock_fprog filters[CONFINE_KINDS]; /* compiled, per kind */
static int test_kind = -1;			 /* ARMVM_TEST_SECCOMP */
static __thread int this_kind = -1;

/* The jail's gate (confine_hold_threads): threads started while it is
 * closed wait in confine_thread; the Landlock ruleset they then apply. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_closed;
static int gate_landlock_fd = -1;

void confine_hold_threads(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_closed = true;
	pthread_mutex_unlock(&gate_lock);
}

void confine_release_threads(int landlock_fd)
{
	pthread_mutex_lock(&gate_lock);
	if (gate_closed) {
		gate_closed = false;
		gate_landlock_fd = landlock_fd;
		pthread_cond_broadcast(&gate_cond);
	}
	pthread_mutex_unlock(&gate_lock);
}

/*
 * Wait for the jail, then take its Landlock ruleset. Every thread applies
 * it, even one that inherited it from its creator: a thread cannot tell,
 * and a repeated layer costs nothing (at most three ever stack: main or
 * control, then a thread they start). The probe child is another process,
 * forked before the jail: it has no gate to wait at.
 */
static void pass_gate(enum confine_kind kind)
{
	int landlock_fd;

	if (kind == CONFINE_PROBE)
		return;
	pthread_mutex_lock(&gate_lock);
	while (gate_closed)
		pthread_cond_wait(&gate_cond, &gate_lock);
	landlock_fd = gate_landlock_fd;
	pthread_mutex_unlock(&gate_lock);
	if (landlock_fd >= 0 && jail_landlock_self(landlock_fd) < 0) {
		pr_err("--jail: cannot restrict the %s thread with Landlock: "
		       "%s",
		       profiles[kind].name, strerror(errno));
		_exit(1);
	}
}

bool confine_mode_parse(const char *s, enum confine_mode *mode)
{
	static const char *const names[] = {
	    [CONFINE_MODE_KILL] = "kill",
	    [CONFINE_MODE_LOG] = "log",
	    [CONFINE_MODE_OFF] = "off",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i])) {
			*mode = (enum confine_mode)i;
			return true;
		}
	}
	return false;
}

const char *confine_kind_name(enum confine_kind kind)
{
	return kind < CONFINE_KINDS ? profiles[kind].name : "?";
}

static void append(char *buf, size_t size, size_t *len, const char *s)
{
	while (*s && *len + 1 < size)
		buf[(*len)++] = *s++;
	buf[*len] = 0;
}

static void append_num(char *buf, size_t size, size_t *len, long v)
{
	char digits[24];
	size_t n = sizeof(digits) - 1;

	digits[n] = 0;
	if (v < 0) {
		append(buf, size, len, "-");
		v = -v;
	}
	do
		digits[--n] = (char)('0' + v % 10);
	while ((v /= 10) && n);
	append(buf, size, len, digits + n);
}

/*
 * A forbidden call (kill mode). Only async-signal-safe work: the message is
 * assembled by hand and written once, by the first thread to trap (others
 * wait for the end). Then armvm dies of SIGSYS: changing SIGSYS's handler
 * is itself forbidden, and a trap raised while SIGSYS is blocked (as it is
 * in its own handler) is delivered by the kernel with the default action,
 * which ends the process (and dumps a core where cores are on).
 */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	static atomic_bool reported;
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	char msg[200];
	size_t len = 0;

	(void)uc;
	if (atomic_exchange(&reported, true))
		for (;;)
			pause();
	msg[0] = 0;
	append(msg, sizeof(msg), &len, "armvm: seccomp: the ");
	append(msg, sizeof(msg), &len,
	       this_kind >= 0 ? profiles[this_kind].name : "unconfined");
	append(msg, sizeof(msg), &len, " thread made system call ");
	append_num(msg, sizeof(msg), &len, si->si_syscall);
	append(msg, sizeof(msg), &len,
	       ", which its profile does not allow: stopping "
	       "(--seccomp=log lets it through and logs it)\n");
	if (write(STDERR_FILENO, msg, len) < 0) {
		/* nothing more to do: dying anyway */
	}
	sigaction(sig, &dfl, NULL); /* traps: the end */
	raise(sig);		    /* (a thread without a filter) */
}

static int compile(enum confine_kind kind, struct sock_fprog *out);

int confine_setup(enum confine_mode mode)
{
	const char *t = getenv("ARMVM_TEST_SECCOMP");

	confine_mode = mode;
	if (mode != CONFINE_MODE_OFF && prctl(PR_GET_SECCOMP) < 0) {
		pr_err("--seccomp: this kernel has no seccomp filters (%s); "
		       "--seccomp=off runs without",
		       strerror(errno));
		return -1;
	}
	for (int k = 0; t && k < CONFINE_KINDS; k++)
		if (!strcmp(t, profiles[k].name))
			test_kind = k;
	if (mode == CONFINE_MODE_KILL) {
		struct sigaction sa = {.sa_sigaction = on_sigsys,
				       .sa_flags = SA_SIGINFO};

		sigaction(SIGSYS, &sa, NULL);
	}
	for (int k = 0; k < CONFINE_KINDS; k++) {
		int r;

		free(filters[k].filter); /* a second set-up (tests) */
		filters[k] = (struct sock_fprog){0};
		if (mode == CONFINE_MODE_OFF)
			continue;
		r = compile((enum confine_kind)k, &filters[k]);
		if (r) {
			pr_err("seccomp: cannot make the %s thread's filter: "
			       "%s",
			       profiles[k].name, strerror(-r));
			return -1;
		}
	}
	return 0;
}

static int add(scmp_filter_ctx ctx, int nr, unsigned int argc,
	       const struct scmp_arg_cmp *args)
{
	int r;

	if (nr == __NR_SCMP_ERROR || nr < 0)
		return 0; /* not a call of this architecture */
	r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, argc, args);
	return r == -EEXIST ? 0 : r;
}

/* The first error of a series of rules (libseccomp's -errno). */
#define KEEP_FIRST(r, call) ((r) = (r) ? (r) : (call))

static int add_special(scmp_filter_ctx ctx, unsigned int special)
{
	int r = 0;

	if (special & SP_MMAP_NO_EXEC) {
		struct scmp_arg_cmp no_exec =
		    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);

		KEEP_FIRST(r, add(ctx, SCMP_SYS(mmap), 1, &no_exec));
		KEEP_FIRST(r, add(ctx, SCMP_SYS(mprotect), 1, &no_exec));
	}
	if (special & SP_SIGACTION) {
		/* SIGSYS's handler is the kill mode's: it stays. */
		struct scmp_arg_cmp not_sigsys = SCMP_A0(SCMP_CMP_NE, SIGSYS);

		KEEP_FIRST(r, add(ctx, SCMP_SYS(rt_sigaction), 1, &not_sigsys));
	}
	if (special & SP_CLONE_THREAD) {
		struct scmp_arg_cmp thread =
		    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);

		KEEP_FIRST(r, add(ctx, SCMP_SYS(clone), 1, &thread));
	}
	if (special & SP_MORE_FILTERS) {
		static const int ops[] = {PR_SET_NO_NEW_PRIVS,
					  PR_GET_NO_NEW_PRIVS, PR_GET_SECCOMP};

		for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
			struct scmp_arg_cmp op = SCMP_A0(SCMP_CMP_EQ, ops[i]);

			KEEP_FIRST(r, add(ctx, SCMP_SYS(prctl), 1, &op));
		}
	}
	if (special & SP_OPEN_ANY) {
		KEEP_FIRST(r, add(ctx, SCMP_SYS(openat), 0, NULL));
	} else if (special & SP_OPEN_READ) {
		struct scmp_arg_cmp read_only =
		    SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC,
			    O_RDONLY);

		KEEP_FIRST(r, add(ctx, SCMP_SYS(openat), 1, &read_only));
	}
	if (special & SP_INET_SOCKET) {
		struct scmp_arg_cmp inet = SCMP_A0(SCMP_CMP_EQ, AF_INET);
		struct scmp_arg_cmp inet6 = SCMP_A0(SCMP_CMP_EQ, AF_INET6);

		KEEP_FIRST(r, add(ctx, SCMP_SYS(socket), 1, &inet));
		KEEP_FIRST(r, add(ctx, SCMP_SYS(socket), 1, &inet6));
	}
	if (special & SP_UNIX_SOCKET) {
		struct scmp_arg_cmp unix_ = SCMP_A0(SCMP_CMP_EQ, AF_UNIX);

		KEEP_FIRST(r, add(ctx, SCMP_SYS(socket), 1, &unix_));
	}
	return r;
}

static int add_group(scmp_filter_ctx ctx, const struct group *g)
{
	int r = 0;

	for (size_t i = 0; g->calls && g->calls[i]; i++)
		KEEP_FIRST(r,
			   add(ctx, seccomp_syscall_resolve_name(g->calls[i]),
			       0, NULL));
	for (size_t i = 0; i < g->nioctls; i++) {
		/* The request is an int in the kernel's ioctl path: compare
		 * its low 32 bits, whatever the caller's upper bits. */
		struct scmp_arg_cmp req =
		    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, g->ioctls[i]);

		KEEP_FIRST(r, add(ctx, SCMP_SYS(ioctl), 1, &req));
	}
	return KEEP_FIRST(r, add_special(ctx, g->special));
}

/* The self-test (ARMVM_TEST_SECCOMP): a call no profile allows. */
static void self_test(enum confine_kind kind)
{
	long r = syscall(SYS_execve, "", NULL, NULL);

	pr_warn("seccomp self-test: the %s thread's execve returned %ld (%s)",
		profiles[kind].name, r, r < 0 ? strerror(errno) : "ran");
}

/*
 * Compile kind's profile into out->filter (malloc'ed; kept for the
 * process's life). 0, or libseccomp's -errno.
 */
static int compile(enum confine_kind kind, struct sock_fprog *out)
{
	const struct profile *p = &profiles[kind];
	scmp_filter_ctx ctx;
	struct sock_filter *prog = NULL;
	off_t size = 0;
	int r = 0, fd;

	ctx = seccomp_init(confine_mode == CONFINE_MODE_KILL ? SCMP_ACT_TRAP
							     : SCMP_ACT_LOG);
	if (!ctx)
		return -ENOMEM;
	/* glibc falls back to clone when clone3 says ENOSYS; clone3's flags
	 * sit in memory, where a filter cannot check CLONE_THREAD. */
	KEEP_FIRST(r, seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				       SCMP_SYS(clone3), 0));
	for (size_t g = 0; g < MAX_GROUPS && p->groups[g]; g++)
		KEEP_FIRST(r, add_group(ctx, p->groups[g]));
	/* libseccomp 2.5 exports the program to a file descriptor only. */
	fd = r ? -1 : memfd_create("armvm-seccomp", MFD_CLOEXEC);
	if (!r && fd < 0)
		r = -errno;
	if (!r)
		r = seccomp_export_bpf(ctx, fd);
	if (!r && ((size = lseek(fd, 0, SEEK_END)) <= 0 ||
		   size % (off_t)sizeof(*prog) ||
		   size / (off_t)sizeof(*prog) > BPF_MAXINSNS))
		r = -EINVAL;
	if (!r && !(prog = malloc((size_t)size)))
		r = -ENOMEM;
	if (!r && pread(fd, prog, (size_t)size, 0) != size)
		r = -EIO;
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	if (r) {
		free(prog);
		return r;
	}
	out->len = (unsigned short)(size / (off_t)sizeof(*prog));
	out->filter = prog;
	return 0;
}

void confine_thread(enum confine_kind kind)
{
	this_kind = (int)kind;
	pass_gate(kind);
	if (confine_mode == CONFINE_MODE_OFF)
		return;
	/* What seccomp_load does, with the program compiled at set-up. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filters[kind]) <
		0) {
		pr_err("seccomp: cannot install the %s thread's filter: %s "
		       "(--seccomp=off runs without)",
		       profiles[kind].name, strerror(errno));
		_exit(1);
	}
	if (test_kind == (int)kind)
		self_test(kind);
}
