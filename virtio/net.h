/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net (virtio 1.2 section 5.1): one receive/transmit queue pair, no
 * control queue. Checksum and TCP segmentation offloads are offered when
 * the backend carries virtio_net_hdr itself (TAP with IFF_VNET_HDR): the
 * header then goes through unchanged both ways, checked against the
 * negotiated features. Other backends (libslirp, plain sockets) carry
 * plain Ethernet frames: no offloads, the device strips the guest's header
 * on transmit and writes a zeroed one (num_buffers filled in) on receive.
 *
 * Each device has an I/O thread that polls the backend (its fds, or
 * libslirp's) and an eventfd, so received frames reach the guest without a
 * vCPU exit. Received frames wait in a small backlog; when the guest gives
 * no receive buffers the backlog fills and the thread stops reading the
 * backend until the guest kicks the receive queue (section 5.1.6.3).
 *
 * The backends and what the device offers them are in net_backend.h; the
 * MAC address helpers, which need no device, in net_mac.h.
 */
#ifndef ARMVM_VIRTIO_NET_H
#define ARMVM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/guest_mem.h"
#include "virtio/net_backend.h"
#include "virtio/virtio.h"

/* Config status bits (section 5.1.4). */
#define VIRTIO_NET_S_LINK_UP 1

#define VIRTIO_NET_RXQ	      0
#define VIRTIO_NET_TXQ	      1
#define VIRTIO_NET_QUEUE_SIZE 256
/* The MTU offered (VIRTIO_NET_F_MTU); the guest's frames are at most this
 * plus 18 bytes (Ethernet header and one VLAN tag). */
#define VIRTIO_NET_MTU 1500

struct virtio_net_config {
	const char *id; /* names the device in messages ("net0"); may be NULL */
	uint8_t mac[6];
	/* The backend; the device owns it from now on, even on failure. */
	struct net_backend *backend;
};

/*
 * A virtio-net device on a backend, with its I/O thread running. On failure
 * one pr_err line and NULL (the backend is destroyed). Free with
 * virtio_destroy(), which stops and joins the thread first (it may be
 * calling the transport's notify_queue/notify_config: do not hold a lock
 * they need while destroying), then destroys the backend.
 */
struct virtio_dev *virtio_net_create(const struct virtio_net_config *cfg,
				     struct guest_mem *mem);

/* Link status (VIRTIO_NET_S_LINK_UP; up at creation): a change interrupts
 * the driver (config change). While down, frames are dropped both ways. */
void virtio_net_set_link(struct virtio_dev *d, bool up);

struct virtio_net_stats {
	uint64_t rx_frames, rx_dropped; /* to the guest */
	uint64_t tx_frames, tx_dropped; /* from the guest */
};
void virtio_net_get_stats(struct virtio_dev *d, struct virtio_net_stats *s);
void virtio_net_get_mac(struct virtio_dev *d, uint8_t mac[6]);

#endif
