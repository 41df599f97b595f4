// SPDX-License-Identifier: GPL-2.0
/*
 * The fd backend of virtio-net: an fd that carries one frame per read and
 * write, a datagram or seqpacket socket (tests, the fuzzer) or a TAP fd
 * (net_tap.c opens it and hands it over). With vnet_hdr every frame starts
 * with a virtio_net_hdr_v1, and on a TAP fd this backend's set_offloads
 * passes the offloads the driver accepted on with TUNSETOFFLOAD. That is
 * why net_tap_set_offloads() lives here and not in net_tap.c: net_tap.c
 * builds on this file, never the other way round.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "lib/util.h"
#include "virtio/net_backend.h"

#define FD_MAX_WARNINGS 10

void net_tap_set_offloads(int fd, uint64_t features)
{
	unsigned long tun = 0;

	/* The tun driver takes TSO only together with CSUM, as virtio-net
	 * needs GUEST_CSUM for GUEST_TSO4/6 (5.1.3.1). */
	if (features >> VIRTIO_NET_F_GUEST_CSUM & 1) {
		tun |= TUN_F_CSUM;
		if (features >> VIRTIO_NET_F_GUEST_TSO4 & 1)
			tun |= TUN_F_TSO4;
		if (features >> VIRTIO_NET_F_GUEST_TSO6 & 1)
			tun |= TUN_F_TSO6;
		if (features >> VIRTIO_NET_F_GUEST_ECN & 1)
			tun |= TUN_F_TSO_ECN;
	}
	if (ioctl(fd, TUNSETOFFLOAD, tun) < 0 && tun)
		ioctl(fd, TUNSETOFFLOAD, 0UL); /* then at least plain frames */
}

struct net_fd_backend {
	struct net_backend be;
	int fd;
	bool is_socket;
	/* Read failed for good: no longer polled. The fd stays open until
	 * destroy, as the transmit queue's thread (the doorbell thread or a
	 * vCPU) may be sending on it. */
	bool dead;
	char *name;
	unsigned int warnings;
	uint8_t buf[VIRTIO_NET_HDR_BYTES + NET_FRAME_MAX + 1];
};

static ssize_t fd_send(struct net_backend *b, const struct iovec *iov,
		       int iovcnt)
{
	struct net_fd_backend *f = (struct net_fd_backend *)b;
	ssize_t r;

	do {
		if (f->is_socket) {
			struct msghdr msg = {.msg_iov = (struct iovec *)iov,
					     .msg_iovlen = (size_t)iovcnt};

			r = sendmsg(f->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		} else {
			r = writev(f->fd, iov, iovcnt);
		}
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static int fd_poll_fill(struct net_backend *b, struct pollfd *fds, int max,
			int *timeout_ms, bool rx_ok)
{
	struct net_fd_backend *f = (struct net_fd_backend *)b;

	if (!rx_ok || max < 1 || f->dead)
		return 0;
	fds[0].fd = f->fd;
	fds[0].events = POLLIN;
	fds[0].revents = 0;
	return 1;
}

static void fd_poll_done(struct net_backend *b, struct pollfd *fds, int n)
{
	struct net_fd_backend *f = (struct net_fd_backend *)b;

	if (n < 1 || !fds[0].revents)
		return;
	/* A batch per wake-up, while the device takes frames. */
	for (int i = 0; i < 64 && net_can_deliver(b->dev); i++) {
		ssize_t r = read(f->fd, f->buf, sizeof(f->buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			if (!(fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)))
				return;
			errno = EPIPE;
		}
		if (r <= 0) {
			/* The peer went away (0) or the fd failed: stop
			 * polling it rather than spin. */
			if (f->warnings++ < FD_MAX_WARNINGS)
				pr_warn("%s: %s", f->name,
					r ? strerror(errno)
					  : "closed by the other end");
			f->dead = true;
			return;
		}
		if ((size_t)r >= sizeof(f->buf))
			continue; /* truncated: too long for the device */
		if (b->vnet_hdr)
			net_deliver_vnet(b->dev, f->buf, (size_t)r);
		else if ((size_t)r <= NET_FRAME_MAX)
			net_deliver(b->dev, f->buf, (size_t)r);
	}
}

static void fd_destroy(struct net_backend *b)
{
	struct net_fd_backend *f = (struct net_fd_backend *)b;

	if (f->fd >= 0)
		close(f->fd);
	free(f->name);
	free(f);
}

static void fd_set_offloads(struct net_backend *b, uint64_t features)
{
	struct net_fd_backend *f = (struct net_fd_backend *)b;

	if (!f->is_socket)
		net_tap_set_offloads(f->fd, features);
}

static const struct net_backend_ops fd_backend_ops = {
    .send = fd_send,
    .set_offloads = fd_set_offloads,
    .poll_fill = fd_poll_fill,
    .poll_done = fd_poll_done,
    .destroy = fd_destroy,
};

struct net_backend *net_fd_backend_create(int fd, const char *name,
					  bool vnet_hdr)
{
	struct net_fd_backend *f = calloc(1, sizeof(*f));
	int type = 0, fl;
	socklen_t len = sizeof(type);

	if (!f || !(f->name = strdup(name ? name : "network"))) {
		pr_err("%s: out of memory", name ? name : "network");
		free(f);
		close(fd);
		return NULL;
	}
	f->be.ops = &fd_backend_ops;
	f->be.vnet_hdr = vnet_hdr;
	f->fd = fd;
	f->is_socket = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return &f->be;
}
