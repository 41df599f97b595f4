// SPDX-License-Identifier: GPL-2.0
/*
 * The live-migration stream (vmm/migrate.h): the sockets, the sending side
 * and the receiving side, which checks every byte it reads as hostile
 * input before it uses it.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/sha256.h"
#include "lib/util.h"
#include "vmm/migrate.h"
#include "vmm/migrate_source.h"

#define MAGIC	      "ARMVMMIG"
#define RECORD_SIZE   16
#define PAGE_SIZE_MIN 4096u
#define PAGE_SIZE_MAX 65536u
/* ZERO heads wait in a batch and go out with the next PAGES record (or
 * at the end of the call) rather than one small send each. */
#define ZERO_BATCH 64
/* The state body grows as its bytes arrive: a peer that announces the
 * largest body and sends nothing makes us allocate no more than this. */
#define STATE_CHUNK (1u << 20)

/* --- Addresses and sockets ---------------------------------------------- */

struct mig_addr {
	bool is_unix;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char host[256];
	char port[6];
};

/*
 * Split addr into a unix path or a TCP host and port. A listener may take
 * port 0 (any free port). 0, or -1 with the reason in err.
 */
static int parse_addr(const char *addr, bool listening, struct mig_addr *a,
		      char *err, size_t errlen)
{
	const char *host, *port;
	size_t host_len;
	unsigned long p;

	memset(a, 0, sizeof(*a));
	if (!strncmp(addr, "unix:", 5)) {
		const char *path = addr + 5;

		if (!path[0] || strlen(path) >= sizeof(a->path)) {
			set_err(err, errlen,
				"\"%s\": a unix socket's path has 1 to %zu "
				"bytes",
				addr, sizeof(a->path) - 1);
			return -1;
		}
		a->is_unix = true;
		memcpy(a->path, path, strlen(path) + 1);
		return 0;
	}
	if (strncmp(addr, "tcp:", 4)) {
		set_err(err, errlen,
			"\"%s\": expected unix:PATH or tcp:HOST:PORT", addr);
		return -1;
	}
	host = addr + 4;
	if (host[0] == '[') {
		const char *rb = strchr(host, ']');

		if (!rb || rb[1] != ':') {
			set_err(err, errlen,
				"\"%s\": expected tcp:[IPV6]:PORT (a "
				"closing ']' and then ':PORT')",
				addr);
			return -1;
		}
		host++;
		host_len = (size_t)(rb - host);
		port = rb + 2;
	} else {
		port = strrchr(host, ':');
		if (!port) {
			set_err(err, errlen, "\"%s\": expected tcp:HOST:PORT",
				addr);
			return -1;
		}
		host_len = (size_t)(port - host);
		port++;
		if (memchr(host, ':', host_len)) {
			set_err(err, errlen,
				"\"%s\": an IPv6 address goes in brackets, "
				"e.g. tcp:[::1]:4444",
				addr);
			return -1;
		}
	}
	if (!host_len || host_len >= sizeof(a->host)) {
		set_err(err, errlen,
			"\"%s\": expected tcp:HOST:PORT with a host name or "
			"address of 1 to %zu bytes",
			addr, sizeof(a->host) - 1);
		return -1;
	}
	if (!parse_uint(port, listening ? 0 : 1, 65535, &p)) {
		set_err(err, errlen,
			"\"%s\": port \"%s\"; expected %d to 65535", addr, port,
			listening ? 0 : 1);
		return -1;
	}
	memcpy(a->host, host, host_len);
	a->host[host_len] = '\0';
	snprintf(a->port, sizeof(a->port), "%lu", p);
	return 0;
}

static void unix_sockaddr(const struct mig_addr *a, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, a->path, strlen(a->path) + 1);
}

/* Send and receive timeouts (none when timeout_ms <= 0); TCP without
 * Nagle's delay, so that the hand-over's single bytes go out at once. */
static int set_options(int fd, int timeout_ms, bool tcp)
{
	struct timeval tv = {.tv_sec = timeout_ms / 1000,
			     .tv_usec = (timeout_ms % 1000) * 1000};
	int one = 1;

	if (timeout_ms > 0 &&
	    (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	     setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0))
		return -1;
	if (tcp && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		return -1;
	return 0;
}

static int resolve(const char *addr, const struct mig_addr *a, bool passive,
		   struct addrinfo **res)
{
	/* Connecting, only a numeric address: the source connects from the
	 * control thread, whose seccomp profile has no room for a resolver
	 * (DNS, NSS modules); `armvm ctl` resolves a name first. */
	struct addrinfo hints = {
	    .ai_family = AF_UNSPEC,
	    .ai_socktype = SOCK_STREAM,
	    .ai_flags =
		AI_NUMERICSERV | (passive ? AI_PASSIVE : AI_NUMERICHOST),
	};
	int rc = getaddrinfo(a->host, a->port, &hints, res);

	if (rc) {
		pr_err("migrate: \"%s\": cannot resolve %s: %s%s", addr,
		       a->host,
		       rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc),
		       passive ? "" : " (here the host must be an IP address)");
		return -1;
	}
	return 0;
}

/* 0, or -1 with errno (EINPROGRESS: no answer within SO_SNDTIMEO). */
static int tcp_connect(int fd, const struct sockaddr *sa, socklen_t len,
		       int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	socklen_t elen = sizeof(int);
	int r, err;

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINTR)
		return -1;
	/* Interrupted by a signal, the connection goes on being made in
	 * the background: wait for it as for a non-blocking connect. */
	do
		r = poll(&pfd, 1, timeout_ms > 0 ? timeout_ms : -1);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		errno = EINPROGRESS;
	if (r <= 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		return -1;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static void connect_failed(const char *addr, int err, int timeout_ms)
{
	if (timeout_ms > 0 && (err == EINPROGRESS || err == EAGAIN))
		pr_err("migrate: \"%s\": cannot connect: no answer in %d ms",
		       addr, timeout_ms);
	else
		pr_err("migrate: \"%s\": cannot connect: %s%s", addr,
		       strerror(err),
		       err == ENOENT || err == ECONNREFUSED
			   ? " (nobody is listening there)"
			   : "");
}

int migrate_connect(const char *addr, int timeout_ms)
{
	struct addrinfo *res, *ai;
	struct mig_addr a;
	char err[512];
	int fd, e = 0;

	if (parse_addr(addr, false, &a, err, sizeof(err))) {
		pr_err("migrate: %s", err);
		return -1;
	}
	if (a.is_unix) {
		struct sockaddr_un sa;

		unix_sockaddr(&a, &sa);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || set_options(fd, timeout_ms, false) < 0) {
			pr_err("migrate: \"%s\": socket: %s", addr,
			       strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			if (errno == EINTR)
				continue;
			connect_failed(addr, errno, timeout_ms);
			close(fd);
			return -1;
		}
		return fd;
	}
	if (resolve(addr, &a, false, &res))
		return -1;
	fd = -1;
	/* Each address the name has, until one answers. */
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (set_options(fd, timeout_ms, true) < 0) {
			e = errno;
			close(fd);
			fd = -1;
			continue;
		}
		if (tcp_connect(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms) <
		    0) {
			e = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		connect_failed(addr, e, timeout_ms);
	return fd;
}

static int listen_unix(const char *addr, const struct mig_addr *a)
{
	struct sockaddr_un sa;
	mode_t old_mask;
	int fd, rc, e;

	unix_sockaddr(a, &sa);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		pr_err("migrate: \"%s\": socket: %s", addr, strerror(errno));
		return -1;
	}
	/* Owner-only from the start, as the control socket (vmm/control.c):
	 * bind creates the file under the umask. */
	old_mask = umask(077);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	umask(old_mask);
	if (rc < 0) {
		if (e == EADDRINUSE)
			pr_err("migrate: \"%s\": %s exists; expected a path "
			       "that does not",
			       addr, a->path);
		else
			pr_err("migrate: \"%s\": %s", addr, strerror(e));
		close(fd);
		return -1;
	}
	if (chmod(a->path, 0600) < 0 || listen(fd, 1) < 0) {
		pr_err("migrate: \"%s\": %s", addr, strerror(errno));
		unlink(a->path);
		close(fd);
		return -1;
	}
	return fd;
}

int migrate_listen(const char *addr)
{
	struct addrinfo *res, *ai;
	struct mig_addr a;
	char err[512];
	int fd = -1, e = 0, one = 1;

	if (parse_addr(addr, true, &a, err, sizeof(err))) {
		pr_err("migrate: %s", err);
		return -1;
	}
	if (a.is_unix)
		return listen_unix(addr, &a);
	if (resolve(addr, &a, true, &res))
		return -1;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
			       sizeof(one)) < 0 ||
		    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
		    listen(fd, 1) < 0) {
			e = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		pr_err("migrate: \"%s\": cannot listen: %s", addr, strerror(e));
	return fd;
}

int migrate_accept(int listen_fd, const char *addr, int timeout_ms)
{
	struct mig_addr a;
	struct stat st;
	char err[512];
	bool is_unix;
	int fd, e;

	is_unix = !parse_addr(addr, true, &a, err, sizeof(err)) && a.is_unix;
	do
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	e = errno;
	close(listen_fd);
	/* Only a socket: not whatever may have replaced it meanwhile. */
	if (is_unix && !lstat(a.path, &st) && S_ISSOCK(st.st_mode))
		unlink(a.path);
	if (fd < 0) {
		pr_err("migrate: \"%s\": accept: %s", addr, strerror(e));
		return -1;
	}
	if (set_options(fd, timeout_ms, !is_unix) < 0) {
		pr_err("migrate: \"%s\": %s", addr, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* --- Common ------------------------------------------------------------- */

static bool page_size_ok(uint32_t page_size)
{
	return page_size >= PAGE_SIZE_MIN && page_size <= PAGE_SIZE_MAX &&
	       !(page_size & (page_size - 1));
}

static bool ram_size_ok(uint64_t ram_size, uint32_t page_size)
{
	return ram_size && !(ram_size % page_size) &&
	       ram_size <= MIGRATE_RAM_MAX;
}

static const char *record_name(uint32_t type)
{
	static const char *const names[] = {
	    [MIGRATE_PAGES] = "PAGES",
	    [MIGRATE_ZERO] = "ZERO",
	    [MIGRATE_STATE] = "STATE",
	    [MIGRATE_END] = "END",
	};

	return type < ARRAY_SIZE(names) && names[type] ? names[type] : "?";
}

static void put_record(uint8_t *p, uint32_t type, uint32_t count,
		       uint64_t offset)
{
	put_le32(p, type);
	put_le32(p + 4, count);
	put_le64(p + 8, offset);
}

/* --- Sending ------------------------------------------------------------ */

void migrate_out_init(struct migrate_out *out, int fd, uint32_t page_size,
		      uint64_t ram_size)
{
	memset(out, 0, sizeof(*out));
	out->fd = fd;
	out->page_size = page_size;
	out->ram_size = ram_size;
}

static int out_failed(struct migrate_out *out, int err)
{
	const char *why = strerror(err);

	if (err == EAGAIN || err == EWOULDBLOCK)
		why = "timed out (the destination reads no more)";
	else if (err == EPIPE || err == ECONNRESET)
		why = "the destination closed the connection";
	pr_err("migrate: sending after %llu bytes: %s",
	       (unsigned long long)out->bytes, why);
	out->failed = true;
	return -1;
}

/* A failed stream, or sizes it cannot carry (then it fails). */
static bool out_sizes_bad(struct migrate_out *out)
{
	if (out->failed)
		return true;
	if (page_size_ok(out->page_size) &&
	    ram_size_ok(out->ram_size, out->page_size))
		return false;
	pr_err("migrate: cannot send RAM of %llu bytes in pages of %u bytes "
	       "(expected pages of a power of two from %u to %u bytes, RAM a "
	       "non-zero multiple of them up to %llu)",
	       (unsigned long long)out->ram_size, out->page_size, PAGE_SIZE_MIN,
	       PAGE_SIZE_MAX, MIGRATE_RAM_MAX);
	out->failed = true;
	return true;
}

/* Send all of iov[0..n) (it is consumed), counting the bytes. */
static int send_iov(struct migrate_out *out, struct iovec *iov, size_t n)
{
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = n};

	while (msg.msg_iovlen && !msg.msg_iov->iov_len) {
		msg.msg_iov++;
		msg.msg_iovlen--;
	}
	while (msg.msg_iovlen) {
		ssize_t w = sendmsg(out->fd, &msg, MSG_NOSIGNAL);
		size_t left;

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return out_failed(out, w < 0 ? errno : EPIPE);
		out->bytes += (uint64_t)w;
		left = (size_t)w;
		while (msg.msg_iovlen && left >= msg.msg_iov->iov_len) {
			left -= msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (left) {
			msg.msg_iov->iov_base =
			    (uint8_t *)msg.msg_iov->iov_base + left;
			msg.msg_iov->iov_len -= left;
		}
		while (msg.msg_iovlen && !msg.msg_iov->iov_len) {
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
	}
	return 0;
}

int migrate_send_header(struct migrate_out *out)
{
	uint8_t h[MIGRATE_HEADER_SIZE] = {0};
	struct iovec iov = {h, sizeof(h)};

	if (out_sizes_bad(out))
		return -1;
	memcpy(h, MAGIC, 8);
	put_le32(h + 8, MIGRATE_VERSION);
	put_le32(h + 12, out->page_size);
	put_le64(h + 16, out->ram_size);
	return send_iov(out, &iov, 1);
}

/* ZERO heads not sent yet. */
struct zero_batch {
	uint8_t head[ZERO_BATCH][RECORD_SIZE];
	size_t n;
	uint64_t pages;
};

/* Send the batch, ahead of the PAGES record in iov[1..n) if any. */
static int send_batch(struct migrate_out *out, struct zero_batch *z,
		      struct iovec *iov, size_t n)
{
	iov[0] = (struct iovec){z->head, z->n * RECORD_SIZE};
	if (send_iov(out, iov, n))
		return -1;
	out->zero_pages += z->pages;
	z->n = 0;
	z->pages = 0;
	return 0;
}

int migrate_send_pages(struct migrate_out *out, const uint8_t *ram,
		       uint64_t first, uint64_t count, bool skip_zero)
{
	const size_t ps = out->page_size;
	struct zero_batch z = {.n = 0};
	struct iovec iov[3];
	uint64_t npages, end, i;
	bool zero;

	if (out_sizes_bad(out))
		return -1;
	npages = out->ram_size / ps;
	if (first > npages || count > npages - first) {
		pr_err("migrate: %llu pages from page %llu are outside the RAM "
		       "of %llu pages",
		       (unsigned long long)count, (unsigned long long)first,
		       (unsigned long long)npages);
		out->failed = true;
		return -1;
	}
	end = first + count;
	zero = count && mem_is_zero(ram + first * ps, ps);
	for (i = first; i < end;) {
		uint8_t head[RECORD_SIZE];
		bool run_zero = zero;
		uint32_t n = 1;

		/* The run: pages alike, up to the record's limit. */
		for (;;) {
			if (i + n >= end)
				break;
			zero = mem_is_zero(ram + (i + n) * ps, ps);
			if (zero != run_zero || n == MIGRATE_RUN_PAGES)
				break;
			n++;
		}
		if (!run_zero) {
			put_record(head, MIGRATE_PAGES, n, i * ps);
			iov[1] = (struct iovec){head, sizeof(head)};
			iov[2] = (struct iovec){(void *)(ram + i * ps), n * ps};
			if (send_batch(out, &z, iov, 3))
				return -1;
			out->pages += n;
		} else if (!skip_zero) {
			put_record(z.head[z.n++], MIGRATE_ZERO, n, i * ps);
			z.pages += n;
			if (z.n == ZERO_BATCH && send_batch(out, &z, iov, 1))
				return -1;
		}
		i += n;
	}
	return z.n ? send_batch(out, &z, iov, 1) : 0;
}

int migrate_send_state(struct migrate_out *out, const uint8_t *body, size_t len)
{
	uint8_t state[RECORD_SIZE], sum[32], end[RECORD_SIZE];
	struct iovec iov[4] = {
	    {state, sizeof(state)},
	    {sum, sizeof(sum)},
	    {(void *)body, len},
	    {end, sizeof(end)},
	};
	struct sha256 sha;

	if (out->failed)
		return -1;
	if (!len || len > MIGRATE_STATE_MAX) {
		pr_err("migrate: a state of %zu bytes; expected 1 to %u", len,
		       MIGRATE_STATE_MAX);
		out->failed = true;
		return -1;
	}
	put_record(state, MIGRATE_STATE, 0, len);
	sha256_init(&sha);
	sha256_update(&sha, body, len);
	sha256_final(&sha, sum);
	put_record(end, MIGRATE_END, 0, 0);
	return send_iov(out, iov, ARRAY_SIZE(iov));
}

/* --- Receiving ---------------------------------------------------------- */

/* Read exactly n bytes, counting them in in->bytes. */
static int read_full(const struct migrate_source *src, struct migrate_in *in,
		     void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n) {
		ssize_t r = src->read(src->opaque, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			pr_err("migrate: the source closed the connection "
			       "after %llu bytes",
			       (unsigned long long)in->bytes);
			return -1;
		}
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				pr_err("migrate: timed out waiting for the "
				       "source after %llu bytes",
				       (unsigned long long)in->bytes);
			else
				pr_err("migrate: reading the stream after %llu "
				       "bytes: %s",
				       (unsigned long long)in->bytes,
				       strerror(errno));
			return -1;
		}
		if ((size_t)r > n)
			r = (ssize_t)n; /* a source's bug: never past buf */
		p += r;
		n -= (size_t)r;
		in->bytes += (uint64_t)r;
	}
	return 0;
}

static int read_header(const struct migrate_source *src, struct migrate_in *in)
{
	uint8_t h[MIGRATE_HEADER_SIZE];
	uint32_t version;

	if (read_full(src, in, h, sizeof(h)))
		return -1;
	if (memcmp(h, MAGIC, 8)) {
		pr_err("migrate: not an armvm migration stream (expected the "
		       "\"" MAGIC "\" header)");
		return -1;
	}
	version = get_le32(h + 8);
	if (version != MIGRATE_VERSION) {
		pr_err("migrate: stream version %u; this armvm reads version "
		       "%u%s",
		       version, MIGRATE_VERSION,
		       version > MIGRATE_VERSION ? " (a newer armvm sent it)"
						 : "");
		return -1;
	}
	in->page_size = get_le32(h + 12);
	in->ram_size = get_le64(h + 16);
	if (!page_size_ok(in->page_size)) {
		pr_err("migrate: header: page size %u; expected a power of "
		       "two from %u to %u",
		       in->page_size, PAGE_SIZE_MIN, PAGE_SIZE_MAX);
		return -1;
	}
	if (!ram_size_ok(in->ram_size, in->page_size)) {
		pr_err("migrate: header: RAM size %llu; expected a non-zero "
		       "multiple of the page size %u up to %llu",
		       (unsigned long long)in->ram_size, in->page_size,
		       MIGRATE_RAM_MAX);
		return -1;
	}
	if (!mem_is_zero(h + 24, 8)) {
		pr_err("migrate: header: bytes 24 to 31 are not zero");
		return -1;
	}
	return 0;
}

/* A PAGES or ZERO record's pages: inside RAM, whole pages. */
static int check_pages(const struct migrate_in *in, uint64_t at, uint32_t type,
		       uint32_t count, uint64_t offset)
{
	if (!count || count > MIGRATE_RUN_PAGES) {
		pr_err("migrate: record at byte %llu: %s of %u pages; "
		       "expected 1 to %u",
		       (unsigned long long)at, record_name(type), count,
		       MIGRATE_RUN_PAGES);
		return -1;
	}
	if (offset % in->page_size) {
		pr_err("migrate: record at byte %llu: page offset 0x%llx is "
		       "not a multiple of the page size %u",
		       (unsigned long long)at, (unsigned long long)offset,
		       in->page_size);
		return -1;
	}
	if (offset > in->ram_size ||
	    (uint64_t)count * in->page_size > in->ram_size - offset) {
		pr_err("migrate: record at byte %llu: %u pages at 0x%llx go "
		       "past the end of RAM (0x%llx bytes)",
		       (unsigned long long)at, count,
		       (unsigned long long)offset,
		       (unsigned long long)in->ram_size);
		return -1;
	}
	return 0;
}

/* STATE's digest and body, after its head. */
static int read_state(const struct migrate_source *src, struct migrate_in *in,
		      uint64_t at, uint32_t count, uint64_t len)
{
	uint8_t want[32], sum[32];
	struct sha256 sha;
	size_t cap = 0;

	if (count) {
		pr_err("migrate: record at byte %llu: STATE with a count of "
		       "%u; expected 0",
		       (unsigned long long)at, count);
		return -1;
	}
	if (!len || len > MIGRATE_STATE_MAX) {
		pr_err("migrate: record at byte %llu: STATE of %llu bytes; "
		       "expected 1 to %u",
		       (unsigned long long)at, (unsigned long long)len,
		       MIGRATE_STATE_MAX);
		return -1;
	}
	if (read_full(src, in, want, sizeof(want)))
		return -1;
	while (in->state_len < len) {
		size_t n;

		if (in->state_len == cap) {
			uint8_t *p;

			cap = len - cap > STATE_CHUNK ? cap + STATE_CHUNK
						      : (size_t)len;
			p = realloc(in->state, cap);
			if (!p) {
				pr_err("migrate: out of memory for a state of "
				       "%llu bytes",
				       (unsigned long long)len);
				return -1;
			}
			in->state = p;
		}
		n = cap - in->state_len;
		if (read_full(src, in, in->state + in->state_len, n))
			return -1;
		in->state_len += n;
	}
	sha256_init(&sha);
	sha256_update(&sha, in->state, in->state_len);
	sha256_final(&sha, sum);
	if (memcmp(sum, want, sizeof(sum))) {
		pr_err("migrate: record at byte %llu: the state's SHA-256 does "
		       "not match its body",
		       (unsigned long long)at);
		return -1;
	}
	return 0;
}

/*
 * A ZERO run: only pages a PAGES record wrote (a bit in written) can hold
 * anything but zeros, since RAM comes zeroed from alloc_ram. The others
 * are left untouched: writing them, or even reading them (on some host
 * kernels a read fault backs an anonymous page too), would make the host
 * back them, and a small stream of ZERO records could fill its memory.
 */
static void zero_pages(struct migrate_in *in, uint8_t *written, uint64_t first,
		       uint32_t count)
{
	for (uint64_t p = first; p < first + count; p++) {
		if (written[p / 8] & (1u << (p % 8))) {
			memset(in->ram + p * in->page_size, 0, in->page_size);
			written[p / 8] &= (uint8_t) ~(1u << (p % 8));
		}
	}
}

static void mark_written(uint8_t *written, uint64_t first, uint32_t count)
{
	for (uint64_t p = first; p < first + count; p++)
		written[p / 8] |= (uint8_t)(1u << (p % 8));
}

/* The records up to END: 0, or -1 after a message. */
static int read_records(const struct migrate_source *src, struct migrate_in *in,
			uint8_t *written)
{
	bool have_state = false;

	for (;;) {
		uint64_t at = in->bytes, offset;
		uint8_t r[RECORD_SIZE];
		uint32_t type, count;

		if (read_full(src, in, r, sizeof(r)))
			return -1;
		type = get_le32(r);
		count = get_le32(r + 4);
		offset = get_le64(r + 8);
		if (type < MIGRATE_PAGES || type > MIGRATE_END) {
			pr_err("migrate: record at byte %llu: unknown type %u; "
			       "expected PAGES (1), ZERO (2), STATE (3) or END "
			       "(4)",
			       (unsigned long long)at, type);
			return -1;
		}
		if (have_state && type != MIGRATE_END) {
			pr_err("migrate: record at byte %llu: %s after STATE; "
			       "expected END",
			       (unsigned long long)at, record_name(type));
			return -1;
		}
		switch (type) {
		case MIGRATE_PAGES:
		case MIGRATE_ZERO:
			if (check_pages(in, at, type, count, offset))
				return -1;
			if (type == MIGRATE_ZERO) {
				zero_pages(in, written, offset / in->page_size,
					   count);
				break;
			}
			if (read_full(src, in, in->ram + offset,
				      (size_t)count * in->page_size))
				return -1;
			mark_written(written, offset / in->page_size, count);
			break;
		case MIGRATE_STATE:
			if (read_state(src, in, at, count, offset))
				return -1;
			have_state = true;
			break;
		default: /* MIGRATE_END */
			if (count || offset) {
				pr_err("migrate: record at byte %llu: END with "
				       "count %u and offset 0x%llx; expected "
				       "0 and 0",
				       (unsigned long long)at, count,
				       (unsigned long long)offset);
				return -1;
			}
			if (!have_state) {
				pr_err("migrate: record at byte %llu: END "
				       "before STATE; expected the VM's state "
				       "first",
				       (unsigned long long)at);
				return -1;
			}
			return 0;
		}
	}
}

int migrate_receive_from(const struct migrate_source *src,
			 struct migrate_in *in,
			 uint8_t *(*alloc_ram)(uint64_t size),
			 void (*free_ram)(uint8_t *ram, uint64_t size))
{
	uint8_t *written;

	memset(in, 0, sizeof(*in));
	if (read_header(src, in))
		return -1;
	in->ram = alloc_ram(in->ram_size);
	if (!in->ram) {
		pr_err("migrate: cannot allocate the guest's RAM of %llu "
		       "bytes",
		       (unsigned long long)in->ram_size);
		return -1;
	}
	written = calloc(1, in->ram_size / in->page_size / 8 + 1);
	if (!written) {
		pr_err("migrate: cannot allocate the destination's page map");
	} else if (read_records(src, in, written) == 0) {
		free(written);
		return 0;
	}
	free(written);
	free_ram(in->ram, in->ram_size);
	free(in->state);
	in->ram = NULL;
	in->state = NULL;
	in->state_len = 0;
	return -1;
}

static ssize_t fd_read(void *opaque, void *buf, size_t n)
{
	return read(*(const int *)opaque, buf, n);
}

int migrate_receive(int fd, struct migrate_in *in,
		    uint8_t *(*alloc_ram)(uint64_t size),
		    void (*free_ram)(uint8_t *ram, uint64_t size))
{
	struct migrate_source src = {fd_read, &fd};

	return migrate_receive_from(&src, in, alloc_ram, free_ram);
}

/* --- The hand-over ------------------------------------------------------ */

int migrate_send_byte(int fd, char byte)
{
	ssize_t w;

	do
		w = send(fd, &byte, 1, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w == 1)
		return 0;
	if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
		pr_err("migrate: sending '%c': the peer closed the connection",
		       byte);
	else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		pr_err("migrate: sending '%c': timed out", byte);
	else
		pr_err("migrate: sending '%c': %s", byte,
		       w < 0 ? strerror(errno) : "nothing sent");
	return -1;
}

int migrate_expect_byte(int fd, char byte, const char *what)
{
	ssize_t r;
	char c;

	do
		r = read(fd, &c, 1);
	while (r < 0 && errno == EINTR);
	if (r == 1 && c == byte)
		return 0;
	if (r == 1)
		pr_err("migrate: %s: got byte 0x%02x; expected '%c'", what,
		       (unsigned char)c, byte);
	else if (r == 0 || errno == ECONNRESET)
		pr_err("migrate: %s: the peer closed the connection", what);
	else if (errno == EAGAIN || errno == EWOULDBLOCK)
		pr_err("migrate: %s: timed out", what);
	else
		pr_err("migrate: %s: %s", what, strerror(errno));
	return -1;
}
