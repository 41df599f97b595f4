/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-vsock, the socket device (virtio 1.2 section 5.10), with its host
 * side a bridge to UNIX stream sockets (Firecracker's model; the protocol
 * is in docs/virtio.md):
 *
 * - host to guest: armvm listens on PATH; a client connects and writes
 *   "CONNECT <port>\n"; armvm asks the guest for that port and, once the
 *   guest accepts, answers "OK <host port>\n" and bridges the bytes both
 *   ways. If nobody listens in the guest, the client's connection is closed
 *   without an OK line.
 * - guest to host: a guest connection to CID 2, port P connects to the
 *   UNIX socket "PATH_P"; if that fails, the guest's connect is refused
 *   (RST).
 *
 * Stream sockets only (no SEQPACKET). Every connection is flow-controlled
 * by the credit scheme of 5.10.6.3 both ways, so armvm never buffers more
 * than its advertised buf_alloc per connection, and never sends the guest
 * more than the guest advertised.
 *
 * Threads: one I/O thread per device polls (epoll) the listening socket,
 * the connections and an eventfd, and runs both queues: a kick on a vCPU
 * or doorbell thread only wakes it. The connection table belongs to that
 * thread alone.
 */
#ifndef ARMVM_VIRTIO_VSOCK_H
#define ARMVM_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/guest_mem.h"
#include "virtio/virtio.h"

/* Device ID (section 5). */
#define VIRTIO_ID_VSOCK 19

/* Feature bits (5.10.3). */
#define VIRTIO_VSOCK_F_STREAM	 0
#define VIRTIO_VSOCK_F_SEQPACKET 1

/* Virtqueues (5.10.2). */
#define VIRTIO_VSOCK_RXQ	0
#define VIRTIO_VSOCK_TXQ	1
#define VIRTIO_VSOCK_EVQ	2
#define VIRTIO_VSOCK_QUEUE_SIZE 256

/* Well-known CIDs (5.10.4): 2 is the host; a guest has 3 or more. */
#define VSOCK_HOST_CID 2
#define VSOCK_CID_MIN  3
#define VSOCK_CID_MAX  0xfffffffeULL /* 0xffffffff is "any" in Linux */

/* struct virtio_vsock_hdr (5.10.6): le64 src_cid, dst_cid; le32
 * src_port, dst_port, len; le16 type, op; le32 flags, buf_alloc,
 * fwd_cnt; 44 bytes, packed. */
#define VSOCK_HDR_BYTES 44

#define VSOCK_TYPE_STREAM    1
#define VSOCK_TYPE_SEQPACKET 2

/* Operations (5.10.6). */
/* Event ids (5.10.6.6): the only one, after a transport change. */
#define VIRTIO_VSOCK_EVENT_TRANSPORT_RESET 0

#define VSOCK_OP_REQUEST	1
#define VSOCK_OP_RESPONSE	2
#define VSOCK_OP_RST		3
#define VSOCK_OP_SHUTDOWN	4
#define VSOCK_OP_RW		5
#define VSOCK_OP_CREDIT_UPDATE	6
#define VSOCK_OP_CREDIT_REQUEST 7

/* SHUTDOWN flags (5.10.6.5). */
#define VSOCK_SHUTDOWN_F_RECEIVE 1 /* the sender will receive no more */
#define VSOCK_SHUTDOWN_F_SEND	 2 /* the sender will send no more */
#define VSOCK_SHUTDOWN_BOTH	 3

/* Payload of one packet, either way, at most (Linux's packets are 64 KiB
 * at most); a longer RW from the guest resets its connection. */
#define VSOCK_MAX_PAYLOAD (64 * 1024)
/* The receive buffer armvm advertises per connection (buf_alloc): what it
 * may hold of the guest's data while the host socket is full. */
#define VSOCK_BUF_ALLOC (256 * 1024)
/* Connections at once, either direction, per device. */
#define VSOCK_MAX_CONNS 64
/* "CONNECT <port>\n" from a host client: longer lines close it. */
#define VSOCK_LINE_MAX 32
/* How long a host client may take to send its CONNECT line, the guest to
 * answer a REQUEST, and a closing connection to finish (5.10.6.5). */
#define VSOCK_TIMEOUT_MS 30000
/* PATH leaves room for "_4294967295" in a UNIX socket address (108). */
#define VSOCK_PATH_MAX 96

struct virtio_vsock_config {
	uint64_t guest_cid; /* VSOCK_CID_MIN..VSOCK_CID_MAX */
	const char *path;   /* the listening socket: made here, 0600 */
	/* PATH as the I/O thread will see it when it connects to PATH_P
	 * (inside a jail: the same file from the new root); NULL: path. */
	const char *connect_path;
	unsigned int timeout_ms; /* 0: VSOCK_TIMEOUT_MS (tests shorten it) */
	/* No I/O thread: virtio_vsock_poll() runs its rounds (the fuzzer). */
	bool no_thread;
};

/*
 * A virtio-vsock device listening on cfg->path, with its I/O thread
 * running. The path is refused if it exists and is not a socket, or is a
 * socket another process serves; a stale one is replaced. On failure one
 * pr_err line naming the option, and NULL. Free with virtio_destroy(),
 * which joins the thread, closes every connection and removes the socket.
 */
struct virtio_dev *virtio_vsock_create(const struct virtio_vsock_config *cfg,
				       struct guest_mem *mem);

/* Without an I/O thread (cfg->no_thread): one round of its loop on the
 * calling thread, waiting up to timeout_ms for host events. */
void virtio_vsock_poll(struct virtio_dev *d, int timeout_ms);

struct virtio_vsock_stats {
	uint64_t rx_packets, tx_packets; /* to / from the guest */
	uint64_t tx_dropped;		 /* from the guest, ignored */
	uint64_t resets;		 /* RSTs sent to the guest */
	uint64_t conns;			 /* connections open now */
};
void virtio_vsock_get_stats(struct virtio_dev *d, struct virtio_vsock_stats *s);

#endif
