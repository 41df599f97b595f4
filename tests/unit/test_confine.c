// SPDX-License-Identifier: GPL-2.0
/* lib/confine.c: each profile lets its thread work and stops what it does
 * not list. Every case runs in a child process (a filter cannot be undone). */
#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/confine.h"
#include "lib/jail.h"
#include "tests/unit/check.h"

static int work_pipe[2]; /* made before the filter, as a thread's fds are */
static char child_stderr[512]; /* what the last child wrote on stderr */

/* Run fn in a child confined as kind; its wait status. */
static int confined(enum confine_kind kind, enum confine_mode mode,
		    int (*fn)(void))
{
	int status = -1, err[2];
	ssize_t n;
	pid_t pid;

	if (pipe(err) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(err[1], STDERR_FILENO);
		if (pipe(work_pipe) < 0 || confine_setup(mode) < 0)
			_exit(90);
		confine_thread(kind);
		_exit(fn());
	}
	close(err[1]);
	n = pid > 0 ? read(err[0], child_stderr, sizeof(child_stderr) - 1) : 0;
	child_stderr[n > 0 ? n : 0] = 0;
	close(err[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static int try_execve(void)
{
	syscall(SYS_execve, "", NULL, NULL);
	return 0; /* reached in log and off modes only */
}

static int try_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	return fd >= 0 ? 0 : 3;
}

static int try_unix_socket(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	return fd >= 0 ? 0 : 3;
}

/* What every thread does: memory, time, locks, its descriptors. */
static int everyday_work(void)
{
	struct timespec t;
	char c, *p = malloc(1 << 20);

	if (!p || clock_gettime(CLOCK_MONOTONIC, &t) < 0)
		return 4;
	memset(p, 1, 1 << 20);
	free(p);
	if (write(work_pipe[1], "x", 1) != 1 || read(work_pipe[0], &c, 1) != 1)
		return 5;
	close(work_pipe[0]);
	close(work_pipe[1]);
	return 0;
}

static int try_open_write(void)
{
	int fd = open("/tmp/armvm-test-confine", O_WRONLY | O_CREAT, 0600);

	if (fd >= 0)
		close(fd);
	return 0;
}

static int try_open_read(void)
{
	int fd = open("/etc/hostname", O_RDONLY);

	if (fd >= 0)
		close(fd);
	return fd >= 0 || errno == ENOENT ? 0 : 6;
}

static int try_exec_mapping(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? 7 : 0;
}

/* virtio-vsock's bridge at work (virtio/vsock.c): a client of its
 * listening socket accepted, a connection made to a host service, bytes
 * both ways, a shutdown. The sockets and the epoll set come from before
 * the filter, as the device makes them at set-up. */
static int vs_listen = -1, vs_epoll = -1;
static struct sockaddr_un vs_addr = {.sun_family = AF_UNIX};

static int vsock_bridge_work(void)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET};
	struct msghdr msg = {0};
	struct iovec iov;
	char c = 'v';
	int out, in;

	out = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (out < 0 ||
	    connect(out, (struct sockaddr *)&vs_addr, sizeof(vs_addr)) < 0)
		return 10;
	in = accept4(vs_listen, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (in < 0 || epoll_ctl(vs_epoll, EPOLL_CTL_ADD, in, &ev) < 0)
		return 11;
	iov = (struct iovec){&c, 1};
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (sendmsg(out, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) != 1 ||
	    epoll_wait(vs_epoll, &ev, 1, 1000) != 1 ||
	    recv(in, &c, 1, MSG_DONTWAIT) != 1 ||
	    send(in, &c, 1, MSG_DONTWAIT | MSG_NOSIGNAL) != 1 ||
	    recv(out, &c, 1, MSG_DONTWAIT) != 1 || shutdown(out, SHUT_WR) < 0)
		return 12;
	close(in);
	close(out);
	return 0;
}

#define KILLED_BY_SIGSYS(st)  (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
#define EXITED_WITH(st, code) (WIFEXITED(st) && WEXITSTATUS(st) == (code))

/* Kill mode: a call outside the list ends the process with SIGSYS. */
static void test_kill(void)
{
	for (int k = 0; k < CONFINE_KINDS; k++) {
		int st = confined((enum confine_kind)k, CONFINE_MODE_KILL,
				  try_execve);

		if (!KILLED_BY_SIGSYS(st))
			fprintf(stderr, "  %s: execve status %#x\n",
				confine_kind_name((enum confine_kind)k), st);
		CHECK(KILLED_BY_SIGSYS(st));
		/* The one line names the thread and the call. */
		CHECK(strstr(child_stderr, "armvm: seccomp: the ") != NULL);
		CHECK(strstr(child_stderr,
			     confine_kind_name((enum confine_kind)k)) != NULL);
		CHECK(strstr(child_stderr, "system call ") != NULL);
		st = confined((enum confine_kind)k, CONFINE_MODE_KILL,
			      everyday_work);
		CHECK(EXITED_WITH(st, 0));
		st = confined((enum confine_kind)k, CONFINE_MODE_KILL,
			      try_exec_mapping);
		CHECK(KILLED_BY_SIGSYS(st));
		st = confined((enum confine_kind)k, CONFINE_MODE_KILL,
			      try_unix_socket);
		/* Only virtio-vsock's bridge and the control thread (a
		 * live migration's connection) make UNIX sockets. */
		if (k == CONFINE_VSOCK || k == CONFINE_CONTROL)
			CHECK(EXITED_WITH(st, 0));
		else
			CHECK(KILLED_BY_SIGSYS(st));
	}
}

/* Arguments count: libslirp's thread may make Internet sockets, a vCPU
 * none, virtio-vsock's UNIX sockets only; the probe may open its disk to
 * read, never a file to write. */
static void test_arguments(void)
{
	CHECK(EXITED_WITH(
	    confined(CONFINE_DEVICE_IO, CONFINE_MODE_KILL, try_socket), 0));
	CHECK(KILLED_BY_SIGSYS(
	    confined(CONFINE_VCPU, CONFINE_MODE_KILL, try_socket)));
	CHECK(KILLED_BY_SIGSYS(
	    confined(CONFINE_VSOCK, CONFINE_MODE_KILL, try_socket)));
	CHECK(KILLED_BY_SIGSYS(
	    confined(CONFINE_VSOCK, CONFINE_MODE_KILL, try_open_read)));
	snprintf(vs_addr.sun_path, sizeof(vs_addr.sun_path),
		 "/tmp/armvm-test-confine-vsock.%d", (int)getpid());
	unlink(vs_addr.sun_path);
	vs_listen = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	vs_epoll = epoll_create1(0);
	CHECK(vs_listen >= 0 && vs_epoll >= 0 &&
	      bind(vs_listen, (struct sockaddr *)&vs_addr, sizeof(vs_addr)) ==
		  0 &&
	      listen(vs_listen, 4) == 0);
	CHECK(EXITED_WITH(
	    confined(CONFINE_VSOCK, CONFINE_MODE_KILL, vsock_bridge_work), 0));
	/* Others may not: the device I/O profile makes no UNIX sockets. */
	CHECK(KILLED_BY_SIGSYS(
	    confined(CONFINE_DEVICE_IO, CONFINE_MODE_KILL, vsock_bridge_work)));
	unlink(vs_addr.sun_path);
	close(vs_listen);
	close(vs_epoll);
	CHECK(EXITED_WITH(
	    confined(CONFINE_PROBE, CONFINE_MODE_KILL, try_open_read), 0));
	CHECK(KILLED_BY_SIGSYS(
	    confined(CONFINE_PROBE, CONFINE_MODE_KILL, try_open_write)));
	CHECK(KILLED_BY_SIGSYS(
	    confined(CONFINE_RTC, CONFINE_MODE_KILL, try_open_read)));
}

/* A creator's profile lets the threads it starts confine themselves
 * (main starts vCPUs, control starts hot-plugged devices' I/O threads). */
static enum confine_kind child_kind;
static void *child_thread(void *arg)
{
	(void)arg;
	confine_thread(child_kind);
	return (void *)(long)everyday_work();
}

static int start_child_thread(void)
{
	pthread_t t;
	void *ret = (void *)1L;

	if (pthread_create(&t, NULL, child_thread, NULL) ||
	    pthread_join(t, &ret))
		return 8;
	return (int)(long)ret;
}

static void test_stacking(void)
{
	child_kind = CONFINE_VCPU;
	CHECK(EXITED_WITH(
	    confined(CONFINE_MAIN, CONFINE_MODE_KILL, start_child_thread), 0));
	child_kind = CONFINE_DEVICE_IO;
	CHECK(EXITED_WITH(
	    confined(CONFINE_CONTROL, CONFINE_MODE_KILL, start_child_thread),
	    0));
	/* A vCPU starts no thread. */
	CHECK(KILLED_BY_SIGSYS(
	    confined(CONFINE_VCPU, CONFINE_MODE_KILL, start_child_thread)));
}

/* Log mode lets the call through; off installs nothing. */
static void test_log_and_off(void)
{
	CHECK(EXITED_WITH(confined(CONFINE_RTC, CONFINE_MODE_LOG, try_execve),
			  0));
	CHECK(EXITED_WITH(confined(CONFINE_RTC, CONFINE_MODE_OFF, try_execve),
			  0));
	CHECK(EXITED_WITH(
	    confined(CONFINE_RTC, CONFINE_MODE_OFF, try_unix_socket), 0));
}

static void test_mode_names(void)
{
	enum confine_mode m = CONFINE_MODE_OFF;

	CHECK(confine_mode_parse("kill", &m) && m == CONFINE_MODE_KILL);
	CHECK(confine_mode_parse("log", &m) && m == CONFINE_MODE_LOG);
	CHECK(confine_mode_parse("off", &m) && m == CONFINE_MODE_OFF);
	CHECK(!confine_mode_parse("Kill", &m));
	CHECK(!confine_mode_parse("", &m));
	CHECK_STR(confine_kind_name(CONFINE_VCPU), "vcpu");
}

/* Threads started before the jail wait at its gate until it opens. */
static atomic_int gate_passed;
static void *gate_thread(void *arg)
{
	(void)arg;
	confine_thread(CONFINE_RTC);
	atomic_store(&gate_passed, 1);
	return NULL;
}

static void test_jail_gate(void)
{
	struct timespec wait = {0, 100 * 1000 * 1000};
	pthread_t t;

	CHECK(confine_setup(CONFINE_MODE_OFF) == 0);
	confine_hold_threads();
	CHECK(pthread_create(&t, NULL, gate_thread, NULL) == 0);
	nanosleep(&wait, NULL);
	CHECK(atomic_load(&gate_passed) == 0);
	confine_release_threads(-1);
	pthread_join(t, NULL);
	CHECK(atomic_load(&gate_passed) == 1);
	confine_release_threads(-1); /* idempotent */
}

static void test_jail_user_option(void)
{
	struct jail_user u;

	CHECK(jail_parse_user("65534:65533", &u) && u.set && u.uid == 65534 &&
	      u.gid == 65533);
	CHECK(jail_parse_user("root", &u) && u.set && u.uid == 0);
	CHECK(!jail_parse_user("1:", &u));
	CHECK(!jail_parse_user(":1", &u));
	CHECK(!jail_parse_user("x:1", &u));
	CHECK(!jail_parse_user("1:2:3", &u));
	CHECK(!jail_parse_user("", &u));
	CHECK(!jail_parse_user("no-such-user-armvm", &u));
}

/* The effective and permitted capabilities of this thread (0: none). */
static unsigned long long cap_eff_and_prm(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) < 0)
		return ~0ull;
	return data[0].effective | data[0].permitted | data[1].effective |
	       data[1].permitted;
}

/*
 * In a child (as root; else the kernel refuses, which is checked too):
 * the chroot, the new user without capabilities, and Landlock where the
 * kernel has it, for the main thread and one released from the gate.
 */
static char jail_dir[64];
static int landlock_on;
static int jail_vsock_listen = -1; /* at jail_dir/v.sock_5, made as root */
static void *jailed_thread(void *arg)
{
	(void)arg;
	confine_thread(CONFINE_CONTROL);
	return (void *)(long)(open("/made-by-thread", O_RDWR | O_CREAT, 0600) <
			      0);
}

static int jailed_child(void)
{
	struct jail_user nobody = {true, 65534, 65534};
	pthread_t t;
	void *refused = NULL;
	int fd, ll;

	confine_setup(CONFINE_MODE_KILL);
	confine_hold_threads();
	if (pthread_create(&t, NULL, jailed_thread, NULL))
		return 10;
	if (jail_enter(jail_dir, &nobody, &ll) < 0)
		return 11;
	confine_release_threads(ll);
	/* The raw system call: glibc's setuid() first makes every other
	 * thread make it too, and the released one, confined by then, is
	 * not allowed to (it would die of SIGSYS if it had not ended yet). */
	if (getuid() != 65534 || getgid() != 65534 ||
	    syscall(SYS_setuid, 0) == 0 || cap_eff_and_prm() != 0)
		return 12;
	fd = open("/existing", O_RDWR); /* the jail's own file */
	if (fd < 0 || write(fd, "x", 1) != 1)
		return 13;
	close(fd);
	if (access("/etc/passwd", F_OK) == 0) /* outside: not there */
		return 14;
	fd = open("/made-by-main", O_RDWR | O_CREAT, 0600);
	if (ll >= 0 && fd >= 0)
		return 15; /* Landlock lets nothing be made */
	pthread_join(t, &refused);
	if (ll >= 0 && !refused)
		return 16;
	/* virtio-vsock's connects to PATH_PORT: inside the jail, by the
	 * name from the new root, Landlock or not. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX,
					 .sun_path = "/v.sock_5"};

		if (fd < 0 ||
		    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return 18;
	}
	close(fd);
	/* As armvm goes on: main confined, then a vCPU started under it
	 * (SIGSYS here if the vCPU could not take the ruleset). */
	confine_thread(CONFINE_MAIN);
	child_kind = CONFINE_VCPU;
	if (start_child_thread())
		return 17;
	return ll >= 0 ? 0 : 1; /* 1: no Landlock here */
}

static void test_jail_enter(void)
{
	char path[128];
	int fd, status;

	if (geteuid() != 0) {
		/* Only root may chroot and change user: a clean refusal. */
		struct jail_user nobody = {true, 65534, 65534};
		int ll;

		CHECK(jail_enter("/", &nobody, &ll) < 0);
		return;
	}
	snprintf(jail_dir, sizeof(jail_dir), "/tmp/armvm-jail-XXXXXX");
	CHECK(mkdtemp(jail_dir) != NULL);
	chmod(jail_dir, 0755);
	snprintf(path, sizeof(path), "%s/existing", jail_dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	CHECK(fd >= 0 && fchown(fd, 65534, 65534) == 0);
	close(fd);
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/v.sock_5",
			 jail_dir);
		jail_vsock_listen = socket(AF_UNIX, SOCK_STREAM, 0);
		CHECK(jail_vsock_listen >= 0 &&
		      bind(jail_vsock_listen, (struct sockaddr *)&sa,
			   sizeof(sa)) == 0 &&
		      chmod(sa.sun_path, 0666) == 0 &&
		      listen(jail_vsock_listen, 4) == 0);
	}
	status = confined(CONFINE_RTC, CONFINE_MODE_OFF, jailed_child);
	CHECK(WIFEXITED(status));
	landlock_on = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) <= 1);
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
		printf("# jail: child status 0x%x: %s\n", status, child_stderr);
	printf("# jail: Landlock %s on this kernel\n",
	       landlock_on ? "in force" : "not available");
	snprintf(path, sizeof(path), "%s/made-by-main", jail_dir);
	if (landlock_on)
		CHECK(access(path, F_OK) < 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/made-by-thread", jail_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/existing", jail_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/v.sock_5", jail_dir);
	unlink(path);
	close(jail_vsock_listen);
	rmdir(jail_dir);
	/* Refusals name the option. */
	CHECK(jail_enter("/no/such/dir", NULL, &fd) < 0);
}

/* A path made before the jail, named from inside it. */
static void test_jail_inner_path(void)
{
	char dir[] = "/tmp/armvm-inner-XXXXXX", sub[64], link[64], out[128];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/run", dir);
	snprintf(link, sizeof(link), "%s/lnk", dir);
	CHECK(mkdir(sub, 0700) == 0 && symlink("run", link) == 0);
	snprintf(out, sizeof(out), "%s/run/v.sock", dir);
	CHECK(jail_inner_path(dir, out, out, sizeof(out)) == 0);
	CHECK_STR(out, "/run/v.sock");
	snprintf(out, sizeof(out), "%s/lnk/../v.sock", dir);
	CHECK(jail_inner_path(dir, out, out, sizeof(out)) == 0);
	CHECK_STR(out, "/v.sock");
	snprintf(out, sizeof(out), "%s/v.sock", sub);
	CHECK(jail_inner_path(link, out, out, sizeof(out)) == 0);
	CHECK_STR(out, "/v.sock");
	CHECK(jail_inner_path("/", "/tmp/x.sock", out, sizeof(out)) == 0);
	CHECK_STR(out, "/tmp/x.sock");
	/* Outside, a sibling with the same prefix, no directory, too long. */
	CHECK(jail_inner_path(sub, "/tmp/x.sock", out, sizeof(out)) < 0);
	snprintf(out, sizeof(out), "%s/run2/v.sock", dir);
	CHECK(jail_inner_path(sub, out, out, sizeof(out)) < 0);
	CHECK(jail_inner_path(dir, "/no/such/dir/v.sock", out, sizeof(out)) <
	      0);
	snprintf(out, sizeof(out), "%s/run/v.sock", dir);
	CHECK(jail_inner_path(dir, out, out, 4) < 0);
	CHECK(jail_inner_path(dir, "/tmp/", out, sizeof(out)) < 0);
	unlink(link);
	rmdir(sub);
	rmdir(dir);
}

int main(void)
{
	check_suite = "confine";
	RUN(test_kill);
	RUN(test_arguments);
	RUN(test_stacking);
	RUN(test_log_and_off);
	RUN(test_mode_names);
	RUN(test_jail_gate);
	RUN(test_jail_user_option);
	RUN(test_jail_enter);
	RUN(test_jail_inner_path);
	unlink("/tmp/armvm-test-confine");
	return check_main_end();
}
