/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Between the virtio-net device model (net.c, its header net.h) and the
 * backends that carry its frames: the fd backend (net_fd.c: sockets and
 * TAP fds), TAP (net_tap.c) and libslirp (net_slirp.c).
 *
 * Dependencies go one way. The device calls a backend only through
 * struct net_backend_ops; a backend sees the device only as the opaque
 * b->dev, through net_deliver(), net_deliver_vnet() and net_can_deliver()
 * below. So this header, not net.h, is all a backend includes, and no
 * backend is named in net.c.
 *
 * Both sides share the wire format: a vnet_hdr backend passes the guest's
 * virtio_net_hdr_v1 through, and set_offloads hands it the feature bits
 * the driver accepted. Hence the feature bits and the header's layout are
 * here too.
 */
#ifndef ARMVM_VIRTIO_NET_BACKEND_H
#define ARMVM_VIRTIO_NET_BACKEND_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <netinet/in.h>

struct virtio_dev;

/* Feature bits (section 5.1.3). */
#define VIRTIO_NET_F_CSUM	0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU	3
#define VIRTIO_NET_F_MAC	5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN	9
#define VIRTIO_NET_F_HOST_TSO4	11
#define VIRTIO_NET_F_HOST_TSO6	12
#define VIRTIO_NET_F_HOST_ECN	13
#define VIRTIO_NET_F_MRG_RXBUF	15
#define VIRTIO_NET_F_STATUS	16

/* struct virtio_net_hdr_v1: flags, gso_type, hdr_len, gso_size,
 * csum_start, csum_offset, num_buffers (section 5.1.6). */
#define VIRTIO_NET_HDR_BYTES	    12
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE	    0
#define VIRTIO_NET_HDR_GSO_TCPV4    1
#define VIRTIO_NET_HDR_GSO_TCPV6    4
#define VIRTIO_NET_HDR_GSO_ECN	    0x80

/* The offload features a vnet_hdr backend makes possible. */
#define VIRTIO_NET_OFFLOAD_FEATURES                                          \
	(1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM |       \
	 1ULL << VIRTIO_NET_F_GUEST_TSO4 | 1ULL << VIRTIO_NET_F_GUEST_TSO6 | \
	 1ULL << VIRTIO_NET_F_GUEST_ECN | 1ULL << VIRTIO_NET_F_HOST_TSO4 |   \
	 1ULL << VIRTIO_NET_F_HOST_TSO6 | 1ULL << VIRTIO_NET_F_HOST_ECN)

/* Largest frame carried either way; longer ones are dropped. */
#define NET_FRAME_MAX 65550
#define NET_FRAME_MIN 14 /* an Ethernet header */

struct net_backend;

struct net_backend_ops {
	/*
	 * A frame from the guest in iovcnt pieces: Ethernet, preceded by the
	 * guest's virtio_net_hdr (checked) when the backend is vnet_hdr.
	 * Returns its length or a negative errno; a frame that cannot be
	 * sent now is dropped (the guest's TCP retransmits). Called with
	 * the transmit queue's processing lock held: one call at a time,
	 * where the queue's notification is served (the doorbell thread, or
	 * a vCPU whose write was an MMIO exit: virtio.h), or on the device's
	 * I/O thread when b->tx_on_io_thread.
	 */
	ssize_t (*send)(struct net_backend *b, const struct iovec *iov,
			int iovcnt);
	/*
	 * On the device's I/O thread, before each poll(): add up to max fds
	 * to watch and lower *timeout_ms (-1: no limit) if needed. rx_ok says
	 * whether the device takes frames now (net_can_deliver()). Returns
	 * the number of fds added.
	 */
	int (*poll_fill)(struct net_backend *b, struct pollfd *fds, int max,
			 int *timeout_ms, bool rx_ok);
	/* After poll(): the same fds with their revents. Frames for the
	 * guest go to net_deliver(b->dev, ...). */
	void (*poll_done)(struct net_backend *b, struct pollfd *fds, int n);
	/*
	 * vnet_hdr backends: the driver accepted these features (FEATURES_OK,
	 * device lock held): from now on hand the device only frames it
	 * can take (e.g. no GSO frames without GUEST_TSO4/6). May be NULL.
	 */
	void (*set_offloads)(struct net_backend *b, uint64_t features);
	/* Free the backend (the I/O thread has stopped). */
	void (*destroy)(struct net_backend *b);
};

/* Embedded first in each backend's own structure. */
struct net_backend {
	const struct net_backend_ops *ops;
	struct virtio_dev *dev; /* set by virtio_net_create */
	/* send() may only run on the I/O thread (libslirp is not
	 * thread-safe): guest kicks of the transmit queue wake the thread. */
	bool tx_on_io_thread;
	/* Frames both ways start with a virtio_net_hdr_v1 (12 bytes, little
	 * endian): the device offers VIRTIO_NET_OFFLOAD_FEATURES. */
	bool vnet_hdr;
};

/* ---- The device's side, for backends (net.c) ---- */

/* A frame for the guest, from any thread. Dropped (false) when the driver
 * is not running, the link is down, the length is out of
 * [NET_FRAME_MIN, NET_FRAME_MAX] or the backlog is full. */
bool net_deliver(struct virtio_dev *dev, const void *frame, size_t len);
/* The same for vnet_hdr backends: buf is a virtio_net_hdr_v1 followed by
 * the frame. Also dropped when the header asks for an offload the driver
 * did not accept. */
bool net_deliver_vnet(struct virtio_dev *dev, const void *buf, size_t len);
/* Does the device want more frames now? Backends that read an fd read
 * only while this holds, so a guest that stops receiving pushes back. */
bool net_can_deliver(struct virtio_dev *dev);

/* ---- Backends ---- */

/*
 * A backend on an fd that carries one frame per read and write: a
 * datagram or seqpacket socket (a socketpair for tests), or a TAP fd;
 * with vnet_hdr, each frame starts with a virtio_net_hdr_v1. The backend
 * owns fd (made non-blocking, closed on destroy). NULL on allocation
 * failure (fd closed). name is used in messages.
 */
struct net_backend *net_fd_backend_create(int fd, const char *name,
					  bool vnet_hdr);
/* TUNSETOFFLOAD on a TAP fd from the driver's accepted features. */
void net_tap_set_offloads(int fd, uint64_t features);

/*
 * TAP: attach to the existing or new TAP interface ifname
 * (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, so the guest's checksum and TCP
 * segmentation offloads pass through: TUNSETOFFLOAD follows what the
 * driver accepts; without IFF_VNET_HDR support, plain frames). The
 * interface is not configured or brought up: create it beforehand (`ip
 * tuntap add NAME mode tap user USER`, `ip link set NAME up`) so that
 * armvm needs no privileges. One pr_err line naming the interface and
 * errno, and NULL, on failure.
 */
struct net_backend *net_tap_create(const char *ifname);

/* hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
struct net_hostfwd {
	bool udp;
	struct in_addr host_addr;  /* 0: any */
	struct in_addr guest_addr; /* 0: the DHCP address 10.0.2.15 */
	uint16_t host_port, guest_port;
};
/* Parse "tcp::8080-:80" and the like; false on any error. */
bool net_parse_hostfwd(const char *s, struct net_hostfwd *fwd);

#define NET_SLIRP_MAX_HOSTFWD 16

/*
 * User-mode networking through libslirp, with its defaults: network
 * 10.0.2.0/24, gateway and host 10.0.2.2, DNS 10.0.2.3, DHCP from
 * 10.0.2.15; IPv6 fec0::/64 (gateway ::2, DNS ::3); not restricted. The
 * host's loopback services (10.0.2.2, fec0::2 as 127.0.0.1, ::1) are out
 * of the guest's reach unless host_loopback: a database or agent that
 * listens on localhost trusts its callers (issue 11). One pr_err line and
 * NULL on failure (e.g. a hostfwd port in use).
 */
struct net_backend *net_slirp_create(const struct net_hostfwd *fwds,
				     unsigned int nfwds, bool host_loopback);

#endif
