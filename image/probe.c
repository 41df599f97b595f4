// SPDX-License-Identifier: GPL-2.0
/*
 * image_probe_boot(): image_find_boot() in a child process. A guest writes
 * its own disk, so the disk armvm reads at its next start to choose the
 * execution state (--arch auto) is as hostile as an MMIO write. The GPT,
 * FAT and PE readers are hardened and fuzzed, but if a bug slips through,
 * it should cost a failed probe, not the VMM process: the child runs the
 * readers under tight limits (memory, CPU time, no files written, no core
 * dump) and sends the result back over a pipe; the parent only copies a
 * fixed-size record.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "image/check.h"
#include "lib/confine.h"
#include "lib/util.h"

/* The checker needs at most ~330 MiB (image/fat.c); the rest is slack. */
#define PROBE_MEMORY  (768ull << 20)
#define PROBE_CPU_S   20
#define PROBE_WAIT_MS 30000

/* ASan and TSan reserve terabytes of address space: no RLIMIT_AS there. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PROBE_LIMIT_AS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define PROBE_LIMIT_AS 0
#endif
#endif
#ifndef PROBE_LIMIT_AS
#define PROBE_LIMIT_AS 1
#endif

struct probe_result {
	int rc;
	struct image_boot boot;
	char why[600];
};

static void limit(int resource, rlim_t value)
{
	struct rlimit r = {value, value};

	setrlimit(resource, &r);
}

static void __attribute__((noreturn)) probe_child(const char *path, int fd)
{
	struct probe_result res;
	const char *p = (const char *)&res;
	size_t left = sizeof(res);

	if (PROBE_LIMIT_AS)
		limit(RLIMIT_AS, PROBE_MEMORY);
	limit(RLIMIT_CPU, PROBE_CPU_S);
	limit(RLIMIT_CORE, 0);
	/* Keep only stdio and the pipe: the reader opens the image itself,
	 * read-only (its seccomp profile), and can reach no other file armvm
	 * holds open, the variable store and the disks included. (No
	 * RLIMIT_FSIZE: it would kill the child's first message to a stderr
	 * redirected to a file, with SIGXFSZ.) */
	if (fd != 3) {
		if (dup2(fd, 3) < 0)
			_exit(1);
		fd = 3;
	}
	if (close_range(4, ~0u, 0) < 0)
		_exit(1);
	/* Test hook: a reader that crashes (tests/sandbox/bad-input.sh). */
	if (getenv("ARMVM_TEST_PROBE_CRASH"))
		raise(SIGSEGV);
	confine_thread(CONFINE_PROBE);
	memset(&res, 0, sizeof(res));
	res.rc = image_find_boot(path, &res.boot, res.why, sizeof(res.why));
	while (left) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(1);
		p += n;
		left -= (size_t)n;
	}
	_exit(0);
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int image_probe_boot(const char *path, struct image_boot *out, char *why,
		     size_t whylen)
{
	struct probe_result res;
	size_t got = 0;
	long deadline = now_ms() + PROBE_WAIT_MS;
	int fds[2], status = 0;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "cannot probe '%s': pipe: %s", path,
			 strerror(errno));
		return -1;
	}
	fflush(NULL); /* nothing buffered is written twice */
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "cannot probe '%s': fork: %s", path,
			 strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (!pid) {
		close(fds[0]);
		probe_child(path, fds[1]);
	}
	close(fds[1]);
	while (got < sizeof(res)) {
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
			kill(pid, SIGKILL);
			break;
		}
		n = read(fds[0], (char *)&res + got, sizeof(res) - got);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got == sizeof(res)) {
		/* The child read a hostile disk: trust its record no more
		 * than that (strings terminated, flags 0 or 1). */
		res.why[sizeof(res.why) - 1] = 0;
		for (size_t a = 0; a < ARRAY_SIZE(res.boot.boots); a++) {
			res.boot.boots[a] =
			    !!*(volatile uint8_t *)&res.boot.boots[a];
			res.boot.pe[a].err[sizeof(res.boot.pe[a].err) - 1] = 0;
		}
		res.boot.compliant = !!*(volatile uint8_t *)&res.boot.compliant;
		*out = res.boot;
		snprintf(why, whylen, "%s", res.why);
		return res.rc ? -1 : 0;
	}
	if (WIFSIGNALED(status))
		snprintf(
		    why, whylen,
		    "cannot read the boot files of '%s': the image reader stopped on signal %d (%s)%s",
		    path, WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WTERMSIG(status) == SIGKILL || WTERMSIG(status) == SIGXCPU
			? ", over its time or memory limit"
			: "");
	else
		snprintf(
		    why, whylen,
		    "cannot read the boot files of '%s': the image reader exited with status %d",
		    path, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return -1;
}
