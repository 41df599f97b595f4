// SPDX-License-Identifier: GPL-2.0
/*
 * vsock-echo: both ends of virtio-vsock round trips (armvm --vsock). Built
 * static into the test guest's initramfs by tests/guest/mkinitramfs as
 * /bin/vsock-echo; the same program serves the host's end through armvm's
 * UNIX-socket bridge (docs/virtio.md), where the sandbox has no socat.
 *
 * In the guest (AF_VSOCK):
 *   vsock-echo listen PORT [COUNT]
 *       Listen on port PORT; print "VSOCK-LISTENING PORT" once listening;
 *       then, one connection at a time, send back every byte it sends
 *       until its end of file, and print "VSOCK-ECHOED N" (the bytes) when
 *       it is done. COUNT connections, then exit 0 (default: forever).
 *   vsock-echo connect CID PORT MESSAGE
 *       Connect to CID:PORT (2 is the host), send MESSAGE, shut the
 *       sending side, copy what comes back to stdout until end of file;
 *       exit 0. When the connection cannot be made, print
 *       "VSOCK-CONNECT-FAILED <errno name>" (ECONNRESET when nobody
 *       listens on the host) and exit 1.
 *
 * On the host (armvm's bridge, UNIX sockets):
 *   vsock-echo unix-listen PATH_PORT [COUNT]
 *       The same echo service on the UNIX socket PATH_PORT, where armvm
 *       connects a guest's connection to host port PORT.
 *   vsock-echo unix-connect PATH PORT MESSAGE
 *       Connect to armvm's socket PATH, ask for guest port PORT ("CONNECT
 *       PORT"), print "VSOCK-OK N" once armvm answers "OK N", then as
 *       connect does. When armvm closes the connection without an OK line
 *       (nobody listens on that port in the guest), print
 *       "VSOCK-CONNECT-FAILED closed" and exit 1.
 *
 * Other failures: a message on stderr and exit 2.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/vm_sockets.h>

static void die(const char *what)
{
	fprintf(stderr, "vsock-echo: %s: %s\n", what, strerror(errno));
	exit(2);
}

static unsigned int number(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > 0xffffffffUL) {
		fprintf(stderr, "vsock-echo: %s '%s': expected a number\n",
			what, s);
		exit(2);
	}
	return (unsigned int)v;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t r = write(fd, buf, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

static const char *errno_name(int e)
{
	switch (e) {
	case ECONNRESET:
		return "ECONNRESET";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case ENODEV:
		return "ENODEV";
	case EAFNOSUPPORT:
		return "EAFNOSUPPORT";
	case ENETUNREACH:
		return "ENETUNREACH";
	default:
		return "other";
	}
}

/* Echo COUNT connections (forever if negative) of listening socket lfd. */
static int serve(int lfd, long count)
{
	char buf[65536];

	for (long n = 0; count < 0 || n < count; n++) {
		size_t total = 0;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		for (;;) {
			ssize_t r = read(fd, buf, sizeof(buf));

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0 || write_all(fd, buf, (size_t)r) < 0)
				break;
			total += (size_t)r;
		}
		close(fd);
		printf("VSOCK-ECHOED %zu\n", total);
		fflush(stdout);
	}
	close(lfd);
	return 0;
}

static int do_listen(unsigned int port, long count)
{
	struct sockaddr_vm sa = {.svm_family = AF_VSOCK,
				 .svm_cid = VMADDR_CID_ANY,
				 .svm_port = port};
	int lfd = socket(AF_VSOCK, SOCK_STREAM, 0);

	if (lfd < 0)
		die("socket(AF_VSOCK) (is vmw_vsock_virtio_transport loaded?)");
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	if (listen(lfd, 8) < 0)
		die("listen");
	printf("VSOCK-LISTENING %u\n", port);
	fflush(stdout);
	return serve(lfd, count);
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		fprintf(stderr, "vsock-echo: %s: path too long\n", path);
		exit(2);
	}
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return socket(AF_UNIX, SOCK_STREAM, 0);
}

static int do_unix_listen(const char *path, long count)
{
	struct sockaddr_un sa;
	int lfd = unix_addr(path, &sa);

	if (lfd < 0)
		die("socket");
	unlink(path);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	if (listen(lfd, 8) < 0)
		die("listen");
	printf("VSOCK-LISTENING %s\n", path);
	fflush(stdout);
	return serve(lfd, count);
}

/* Send msg, shut the sending side, copy the reply to stdout. */
static int talk(int fd, const char *msg)
{
	char buf[65536];

	if (write_all(fd, msg, strlen(msg)) < 0)
		die("write");
	if (shutdown(fd, SHUT_WR) < 0)
		die("shutdown");
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read");
		if (r == 0)
			break;
		if (write_all(STDOUT_FILENO, buf, (size_t)r) < 0)
			die("write to stdout");
	}
	close(fd);
	return 0;
}

static int do_connect(unsigned int cid, unsigned int port, const char *msg)
{
	struct sockaddr_vm sa = {
	    .svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port};
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket(AF_VSOCK) (is vmw_vsock_virtio_transport loaded?)");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		printf("VSOCK-CONNECT-FAILED %s\n", errno_name(e));
		fprintf(stderr, "vsock-echo: connect %u:%u: %s\n", cid, port,
			strerror(e));
		return 1;
	}
	return talk(fd, msg);
}

static int do_unix_connect(const char *path, unsigned int port, const char *msg)
{
	struct sockaddr_un sa;
	char line[64];
	size_t n = 0;
	int fd = unix_addr(path, &sa);

	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die(path);
	n = (size_t)snprintf(line, sizeof(line), "CONNECT %u\n", port);
	if (write_all(fd, line, n) < 0)
		die("write");
	/* The answer, a byte at a time: what follows is the stream's. */
	for (n = 0; n + 1 < sizeof(line);) {
		ssize_t r = read(fd, line + n, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			printf("VSOCK-CONNECT-FAILED closed\n");
			fprintf(stderr,
				"vsock-echo: %s: closed without OK (nobody "
				"listens on guest port %u?)\n",
				path, port);
			return 1;
		}
		if (line[n++] == '\n')
			break;
	}
	line[n] = 0;
	if (strncmp(line, "OK ", 3)) {
		fprintf(stderr, "vsock-echo: %s: unexpected answer '%s'\n",
			path, line);
		return 2;
	}
	printf("VSOCK-OK %s", line + 3);
	fflush(stdout);
	return talk(fd, msg);
}

int main(int argc, char **argv)
{
	bool listen =
	    argc >= 3 && argc <= 4 &&
	    (!strcmp(argv[1], "listen") || !strcmp(argv[1], "unix-listen"));
	long count = listen && argc == 4 ? (long)number(argv[3], "COUNT") : -1;

	if (listen && !strcmp(argv[1], "listen"))
		return do_listen(number(argv[2], "PORT"), count);
	if (listen)
		return do_unix_listen(argv[2], count);
	if (argc == 5 && !strcmp(argv[1], "connect"))
		return do_connect(number(argv[2], "CID"),
				  number(argv[3], "PORT"), argv[4]);
	if (argc == 5 && !strcmp(argv[1], "unix-connect"))
		return do_unix_connect(argv[2], number(argv[3], "PORT"),
				       argv[4]);
	fprintf(stderr, "usage: vsock-echo listen PORT [COUNT]\n"
			"       vsock-echo connect CID PORT MESSAGE\n"
			"       vsock-echo unix-listen PATH_PORT [COUNT]\n"
			"       vsock-echo unix-connect PATH PORT MESSAGE\n");
	return 2;
}
