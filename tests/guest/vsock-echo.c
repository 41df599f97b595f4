// SPDX-License-Identifier: GPL-2.0
/*
 * vsock-echo: the guest's end of virtio-vsock round trips with the host
 * (armvm --vsock), built static into the test guest's initramfs by
 * tests/guest/mkinitramfs as /bin/vsock-echo.
 *
 *   vsock-echo listen PORT [COUNT]
 *       Listen on AF_VSOCK port PORT; print "VSOCK-LISTENING PORT" once
 *       listening; then, one connection at a time, send back every byte
 *       it sends until its end of file, and print "VSOCK-ECHOED N" (the
 *       bytes) when it is done. COUNT connections, then exit 0 (default:
 *       forever).
 *   vsock-echo connect CID PORT MESSAGE
 *       Connect to CID:PORT (2 is the host), send MESSAGE, shut the
 *       sending side, copy what comes back to stdout until end of file;
 *       exit 0. When the connection cannot be made, print
 *       "VSOCK-CONNECT-FAILED <errno name>" (ECONNRESET when nobody
 *       listens on the host) and exit 1.
 *
 * Other failures: a message on stderr and exit 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
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

static int do_listen(unsigned int port, long count)
{
	struct sockaddr_vm sa = {.svm_family = AF_VSOCK,
				 .svm_cid = VMADDR_CID_ANY,
				 .svm_port = port};
	char buf[65536];
	int lfd = socket(AF_VSOCK, SOCK_STREAM, 0);

	if (lfd < 0)
		die("socket(AF_VSOCK) (is vmw_vsock_virtio_transport loaded?)");
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	if (listen(lfd, 8) < 0)
		die("listen");
	printf("VSOCK-LISTENING %u\n", port);
	fflush(stdout);
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

static int do_connect(unsigned int cid, unsigned int port, const char *msg)
{
	struct sockaddr_vm sa = {
	    .svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port};
	char buf[65536];
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

int main(int argc, char **argv)
{
	if (argc >= 3 && argc <= 4 && !strcmp(argv[1], "listen"))
		return do_listen(number(argv[2], "PORT"),
				 argc == 4 ? (long)number(argv[3], "COUNT")
					   : -1);
	if (argc == 5 && !strcmp(argv[1], "connect"))
		return do_connect(number(argv[2], "CID"),
				  number(argv[3], "PORT"), argv[4]);
	fprintf(stderr, "usage: vsock-echo listen PORT [COUNT]\n"
			"       vsock-echo connect CID PORT MESSAGE\n");
	return 2;
}
