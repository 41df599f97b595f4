/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-console (virtio 1.2 section 5.3), one port (no MULTIPORT): the
 * guest's hvc0. Input comes from one fd, output goes to another (they may
 * be the same: a socket or a pty master).
 */
#ifndef ARMVM_VIRTIO_CONSOLE_H
#define ARMVM_VIRTIO_CONSOLE_H

#include <stdint.h>

#include "lib/guest_mem.h"
#include "virtio/virtio.h"

/* Device ID (section 5). */
#define VIRTIO_ID_CONSOLE 3

/* Feature bits (section 5.3.3). */
#define VIRTIO_CONSOLE_F_SIZE	     0
#define VIRTIO_CONSOLE_F_MULTIPORT   1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2

/* Port 0's queues (section 5.3.2). */
#define VIRTIO_CONSOLE_RXQ	  0
#define VIRTIO_CONSOLE_TXQ	  1
#define VIRTIO_CONSOLE_QUEUE_SIZE 128

/*
 * A console on in_fd (host to guest) and out_fd (guest to host); either may
 * be -1 (no input; output discarded), both may be the same fd. The device
 * owns them: they are made non-blocking and closed by virtio_destroy().
 * name is used in messages. An I/O thread reads input while the guest has
 * receive buffers (none: it stops reading until the guest kicks) and waits
 * for out_fd to drain when a write would block: the guest's output then
 * waits, nothing is lost. Output to a terminal that is gone (a pty with no
 * other end) is dropped; to a closed socket or pipe, dropped from then on.
 * (Sockets are written with MSG_NOSIGNAL; a pipe whose reader left raises
 * SIGPIPE, which armvm ignores: vmm/console.c.)
 * On failure one pr_err line and NULL (the fds are closed). Free with
 * virtio_destroy(), which joins the thread first.
 */
struct virtio_dev *virtio_console_create(const char *name, int in_fd,
					 int out_fd, struct guest_mem *mem);

/* Replace the fds (same rules; the old ones are closed), e.g. when a client
 * connects to or leaves a console socket. */
void virtio_console_attach(struct virtio_dev *d, int in_fd, int out_fd);

/* The terminal size reported (VIRTIO_CONSOLE_F_SIZE; 0 x 0 until set): a
 * change interrupts the driver, which resizes hvc0. */
void virtio_console_set_size(struct virtio_dev *d, uint16_t cols,
			     uint16_t rows);

#endif
