// SPDX-License-Identifier: GPL-2.0
/*
 * The user-mode backend of virtio-net: libslirp's TCP/IP stack, with its
 * DHCP and DNS servers, no privileges needed. libslirp is not thread-safe,
 * so every call into it runs on the device's I/O thread: its sockets and
 * timers are polled there (slirp_pollfds_fill/poll), and transmission is
 * moved there too (tx_on_io_thread). Frames slirp sends to the guest go
 * through net_deliver(); when the guest does not take them they are dropped
 * and TCP retransmits (as libslirp.h allows).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <slirp/libslirp.h>

#include "lib/util.h"
#include "virtio/net_backend.h"

#define SLIRP_MAX_WARNINGS 10

struct slirp_timer {
	struct slirp_timer *next;
	SlirpTimerCb cb;
	void *cb_opaque;
	int64_t expire_ms; /* -1: not armed */
};

struct net_slirp {
	struct net_backend be;
	Slirp *slirp;
	struct slirp_timer *timers;
	unsigned int warnings;
	/* The poll array of the current round (I/O thread). */
	struct pollfd *fds;
	int nfds, max;
	uint8_t buf[NET_FRAME_MAX];
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- SlirpCb ---- */

static ssize_t ns_send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_slirp *s = opaque;

	if (s->be.dev)
		net_deliver(s->be.dev, buf, len);
	return (ssize_t)len;
}

static void ns_guest_error(const char *msg, void *opaque)
{
	struct net_slirp *s = opaque;

	if (s->warnings++ < SLIRP_MAX_WARNINGS)
		pr_warn("user network: %s", msg);
}

static int64_t ns_clock_get_ns(void *opaque)
{
	return now_ns();
}

static void *ns_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = s->timers;
	s->timers = t;
	return t;
}

static void ns_timer_free(void *timer, void *opaque)
{
	struct net_slirp *s = opaque;

	for (struct slirp_timer **p = &s->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

/* expire_time is in milliseconds of clock_get_ns's clock. */
static void ns_timer_mod(void *timer, int64_t expire_time, void *opaque)
{
	if (timer)
		((struct slirp_timer *)timer)->expire_ms = expire_time;
}

static void ns_register_poll_fd(int fd, void *opaque)
{
}

static void ns_unregister_poll_fd(int fd, void *opaque)
{
}

/* Every slirp call is on the I/O thread, which polls again right after. */
static void ns_notify(void *opaque)
{
}

static const SlirpCb ns_callbacks = {
    .send_packet = ns_send_packet,
    .guest_error = ns_guest_error,
    .clock_get_ns = ns_clock_get_ns,
    .timer_new = ns_timer_new,
    .timer_free = ns_timer_free,
    .timer_mod = ns_timer_mod,
    .register_poll_fd = ns_register_poll_fd,
    .unregister_poll_fd = ns_unregister_poll_fd,
    .notify = ns_notify,
};

/* ---- Polling ---- */

static int ns_add_poll(int fd, int events, void *opaque)
{
	struct net_slirp *s = opaque;
	struct pollfd *p;

	if (s->nfds >= s->max)
		return -1; /* not polled this round */
	p = &s->fds[s->nfds];
	p->fd = fd;
	p->events = (short)((events & SLIRP_POLL_IN ? POLLIN : 0) |
			    (events & SLIRP_POLL_OUT ? POLLOUT : 0) |
			    (events & SLIRP_POLL_PRI ? POLLPRI : 0));
	p->revents = 0;
	return s->nfds++;
}

static int ns_get_revents(int idx, void *opaque)
{
	struct net_slirp *s = opaque;
	short r;

	if (idx < 0 || idx >= s->nfds)
		return 0;
	r = s->fds[idx].revents;
	return (r & POLLIN ? SLIRP_POLL_IN : 0) |
	       (r & POLLOUT ? SLIRP_POLL_OUT : 0) |
	       (r & POLLPRI ? SLIRP_POLL_PRI : 0) |
	       (r & (POLLERR | POLLNVAL) ? SLIRP_POLL_ERR : 0) |
	       (r & POLLHUP ? SLIRP_POLL_HUP : 0);
}

static int ns_poll_fill(struct net_backend *b, struct pollfd *fds, int max,
			int *timeout_ms, bool rx_ok)
{
	struct net_slirp *s = (struct net_slirp *)b;
	uint32_t t = UINT32_MAX;
	int64_t now = now_ns() / 1000000;

	s->fds = fds;
	s->nfds = 0;
	s->max = max;
	slirp_pollfds_fill(s->slirp, &t, ns_add_poll, s);
	for (struct slirp_timer *tm = s->timers; tm; tm = tm->next) {
		if (tm->expire_ms < 0)
			continue;
		if (tm->expire_ms <= now)
			t = 0;
		else if ((uint64_t)(tm->expire_ms - now) < t)
			t = (uint32_t)(tm->expire_ms - now);
	}
	if (t != UINT32_MAX && (*timeout_ms < 0 || t < (uint32_t)*timeout_ms))
		*timeout_ms = t > INT_MAX ? INT_MAX : (int)t;
	return s->nfds;
}

static void ns_run_timers(struct net_slirp *s)
{
	int64_t now = now_ns() / 1000000;
	bool fired;

	/* A callback may re-arm or free timers: rescan after each one. */
	do {
		fired = false;
		for (struct slirp_timer *t = s->timers; t; t = t->next) {
			if (t->expire_ms >= 0 && t->expire_ms <= now) {
				t->expire_ms = -1;
				t->cb(t->cb_opaque);
				fired = true;
				break;
			}
		}
	} while (fired);
}

static void ns_poll_done(struct net_backend *b, struct pollfd *fds, int n)
{
	struct net_slirp *s = (struct net_slirp *)b;

	s->fds = fds;
	s->nfds = n;
	slirp_pollfds_poll(s->slirp, 0, ns_get_revents, s);
	ns_run_timers(s);
}

/* On the I/O thread (tx_on_io_thread). */
static ssize_t ns_send(struct net_backend *b, const struct iovec *iov,
		       int iovcnt)
{
	struct net_slirp *s = (struct net_slirp *)b;
	size_t len = 0;

	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > sizeof(s->buf) - len)
			return -EMSGSIZE;
		memcpy(s->buf + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	slirp_input(s->slirp, s->buf, (int)len);
	return (ssize_t)len;
}

static void ns_destroy(struct net_backend *b)
{
	struct net_slirp *s = (struct net_slirp *)b;

	if (s->slirp)
		slirp_cleanup(s->slirp);
	while (s->timers) {
		struct slirp_timer *t = s->timers;

		s->timers = t->next;
		free(t);
	}
	free(s);
}

static const struct net_backend_ops ns_ops = {
    .send = ns_send,
    .poll_fill = ns_poll_fill,
    .poll_done = ns_poll_done,
    .destroy = ns_destroy,
};

static struct in_addr ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static struct in6_addr ip6(const char *s)
{
	struct in6_addr a;

	inet_pton(AF_INET6, s, &a);
	return a;
}

static void hostfwd_str(const struct net_hostfwd *f, char *buf, size_t len)
{
	char h[INET_ADDRSTRLEN] = "", g[INET_ADDRSTRLEN] = "";

	if (f->host_addr.s_addr)
		inet_ntop(AF_INET, &f->host_addr, h, sizeof(h));
	if (f->guest_addr.s_addr)
		inet_ntop(AF_INET, &f->guest_addr, g, sizeof(g));
	snprintf(buf, len, "%s:%s:%u-%s:%u", f->udp ? "udp" : "tcp", h,
		 f->host_port, g, f->guest_port);
}

struct net_backend *net_slirp_create(const struct net_hostfwd *fwds,
				     unsigned int nfwds, bool host_loopback)
{
	SlirpConfig cfg;
	struct net_slirp *s;

	if (nfwds > NET_SLIRP_MAX_HOSTFWD) {
		pr_err("user network: at most %d hostfwd rules",
		       NET_SLIRP_MAX_HOSTFWD);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		pr_err("user network: out of memory");
		return NULL;
	}
	s->be.ops = &ns_ops;
	s->be.tx_on_io_thread = true;
	memset(&cfg, 0, sizeof(cfg));
	cfg.version = 1;
	cfg.restricted = 0;
	cfg.in_enabled = true;
	cfg.vnetwork = ip4("10.0.2.0");
	cfg.vnetmask = ip4("255.255.255.0");
	cfg.vhost = ip4("10.0.2.2");
	cfg.vdhcp_start = ip4("10.0.2.15");
	cfg.vnameserver = ip4("10.0.2.3");
	cfg.in6_enabled = true;
	cfg.vprefix_addr6 = ip6("fec0::");
	cfg.vprefix_len = 64;
	cfg.vhost6 = ip6("fec0::2");
	cfg.vnameserver6 = ip6("fec0::3");
	cfg.disable_host_loopback = !host_loopback;
	s->slirp = slirp_new(&cfg, &ns_callbacks, s);
	if (!s->slirp) {
		pr_err("user network: libslirp failed to start");
		free(s);
		return NULL;
	}
	for (unsigned int i = 0; i < nfwds; i++) {
		const struct net_hostfwd *f = &fwds[i];
		char what[64];

		errno = 0;
		if (slirp_add_hostfwd(s->slirp, f->udp, f->host_addr,
				      f->host_port, f->guest_addr,
				      f->guest_port) < 0) {
			int err = errno;

			hostfwd_str(f, what, sizeof(what));
			pr_err("hostfwd=%s: cannot listen on host port %u%s%s",
			       what, f->host_port, err ? ": " : "",
			       err ? strerror(err) : "");
			ns_destroy(&s->be);
			return NULL;
		}
	}
	return &s->be;
}

/* A decimal port 1..65535 in [s, end). */
static bool parse_port(const char *s, const char *end, uint16_t *port)
{
	unsigned long v = 0;

	if (s == end || end - s > 5)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (!v || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* An IPv4 address in [s, end), or 0 when empty. */
static bool parse_addr(const char *s, const char *end, struct in_addr *a)
{
	char buf[INET_ADDRSTRLEN];

	a->s_addr = 0;
	if (s == end)
		return true;
	if ((size_t)(end - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)(end - s));
	buf[end - s] = 0;
	return inet_pton(AF_INET, buf, a) == 1;
}

bool net_parse_hostfwd(const char *s, struct net_hostfwd *fwd)
{
	const char *c1, *dash, *c2;
	struct net_hostfwd f;

	memset(&f, 0, sizeof(f));
	c1 = strchr(s, ':');
	if (!c1)
		return false;
	if (c1 - s == 3 && !strncmp(s, "udp", 3))
		f.udp = true;
	else if (!(c1 == s || (c1 - s == 3 && !strncmp(s, "tcp", 3))))
		return false;
	/* [HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
	s = c1 + 1;
	c1 = strchr(s, ':');
	dash = c1 ? strchr(c1, '-') : NULL;
	c2 = dash ? strchr(dash, ':') : NULL;
	if (!c2 || !parse_addr(s, c1, &f.host_addr) ||
	    !parse_port(c1 + 1, dash, &f.host_port) ||
	    !parse_addr(dash + 1, c2, &f.guest_addr) ||
	    !parse_port(c2 + 1, c2 + strlen(c2), &f.guest_port))
		return false;
	*fwd = f;
	return true;
}
