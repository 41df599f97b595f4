// SPDX-License-Identifier: GPL-2.0
/*
 * iobench: the measuring tool of bench/io.sh, built static for arm64 and run
 * both in the sandbox host and in the guests (busybox has no fio or iperf).
 *
 *   iobench seqread|seqwrite DEV SECONDS    1 MiB O_DIRECT reads/writes
 *                                           from offset 0 on, wrapping at
 *                                           the device's end
 *   iobench randread|randwrite DEV SECONDS  4 KiB O_DIRECT reads/writes at
 *                                           random 4 KiB-aligned offsets
 *   iobench send HOST PORT SECONDS          TCP: write 64 KiB buffers to
 *                                           HOST:PORT for SECONDS, then close
 *   iobench recv PORT                       TCP: accept one connection on
 *                                           PORT, read it to the end
 *   iobench mktap NAME                      create a persistent TAP
 *                                           interface (busybox ip has no
 *                                           "tuntap")
 *
 * Every test runs one request at a time (queue depth 1), stops at the first
 * whole request after SECONDS (CLOCK_MONOTONIC) and prints one line:
 *
 *   IO-RESULT MODE VALUE UNIT bytes=N seconds=S
 *
 * with UNIT MB/s (10^6 bytes a second) for the sequential and network tests
 * and IOPS for the random ones. Writes end with fdatasync (a virtio-blk
 * FLUSH), inside the timed interval. recv times from the accept to the end
 * of the stream, so the receiver's figure is the one to use.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SEQ_BS	(1 << 20)
#define RAND_BS 4096
#define NET_BS	(64 << 10)

static void die(const char *what)
{
	fprintf(stderr, "iobench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void report(const char *mode, double value, const char *unit,
		   uint64_t bytes, double secs)
{
	printf("IO-RESULT %s %.2f %s bytes=%llu seconds=%.3f\n", mode, value,
	       unit, (unsigned long long)bytes, secs);
	fflush(stdout);
}

/* xorshift64*: cheap, and the same offsets in every run. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static int disk(const char *mode, const char *dev, double secs)
{
	int write = strstr(mode, "write") != NULL;
	int seq = strncmp(mode, "seq", 3) == 0;
	size_t bs = seq ? SEQ_BS : RAND_BS;
	uint64_t size, off = 0, bytes = 0, ops = 0, seed = 0x9e3779b97f4a7c15ULL;
	struct stat st;
	void *buf;
	double t0, t1;
	int fd;

	fd = open(dev, (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0)
		die(dev);
	if (fstat(fd, &st) < 0)
		die(dev);
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0)
			die("BLKGETSIZE64");
	} else {
		size = st.st_size;
	}
	if (size < bs) {
		fprintf(stderr, "iobench: %s: smaller than %zu bytes\n", dev, bs);
		return 1;
	}
	if (posix_memalign(&buf, 4096, bs))
		die("posix_memalign");
	memset(buf, 0x5a, bs);
	t0 = now();
	do {
		ssize_t r;

		if (seq) {
			if (off + bs > size)
				off = 0;
		} else {
			off = rnd(&seed) % (size / bs) * bs;
		}
		r = write ? pwrite(fd, buf, bs, off) : pread(fd, buf, bs, off);
		if (r != (ssize_t)bs) {
			if (r >= 0)
				errno = EIO;
			die(write ? "pwrite" : "pread");
		}
		off += bs;
		bytes += bs;
		ops++;
	} while (now() - t0 < secs);
	if (write && fdatasync(fd) < 0)
		die("fdatasync");
	t1 = now() - t0;
	if (seq)
		report(mode, bytes / t1 / 1e6, "MB/s", bytes, t1);
	else
		report(mode, ops / t1, "IOPS", bytes, t1);
	close(fd);
	return 0;
}

static int net_send(const char *host, int port, double secs)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	static char buf[NET_BS];
	uint64_t bytes = 0;
	double t0, t1;
	int s;

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "iobench: %s: not an IPv4 address\n", host);
		return 1;
	}
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		die("socket");
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	t0 = now();
	do {
		ssize_t r = write(s, buf, sizeof(buf));

		if (r < 0)
			die("write");
		bytes += r;
	} while (now() - t0 < secs);
	close(s);
	t1 = now() - t0;
	report("send", bytes / t1 / 1e6, "MB/s", bytes, t1);
	return 0;
}

static int net_recv(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_ANY)};
	static char buf[NET_BS];
	uint64_t bytes = 0;
	int one = 1, l, s;
	double t0, t1;
	ssize_t r;

	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		die("socket");
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	if (listen(l, 1) < 0)
		die("listen");
	s = accept(l, NULL, NULL);
	if (s < 0)
		die("accept");
	t0 = now();
	while ((r = read(s, buf, sizeof(buf))) > 0)
		bytes += r;
	if (r < 0)
		die("read");
	t1 = now() - t0;
	report("recv", bytes / t1 / 1e6, "MB/s", bytes, t1);
	close(s);
	close(l);
	return 0;
}

static int mktap(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR);

	if (fd < 0)
		die("/dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die("TUNSETIFF");
	if (ioctl(fd, TUNSETPERSIST, 1) < 0)
		die("TUNSETPERSIST");
	close(fd);
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: iobench seqread|seqwrite|randread|randwrite DEV SECONDS\n"
		"       iobench send HOST PORT SECONDS | recv PORT | mktap NAME\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	if (argc == 4 && (!strcmp(m, "seqread") || !strcmp(m, "seqwrite") ||
			  !strcmp(m, "randread") || !strcmp(m, "randwrite")))
		return disk(m, argv[2], atof(argv[3]));
	if (argc == 5 && !strcmp(m, "send"))
		return net_send(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc == 3 && !strcmp(m, "recv"))
		return net_recv(atoi(argv[2]));
	if (argc == 3 && !strcmp(m, "mktap"))
		return mktap(argv[2]);
	return usage();
}
