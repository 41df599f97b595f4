/* SPDX-License-Identifier: GPL-2.0 */
/* virtio-rng, the entropy device (virtio 1.2 section 5.4). */
#ifndef ARMVM_VIRTIO_RNG_H
#define ARMVM_VIRTIO_RNG_H

#include "lib/guest_mem.h"
#include "virtio/virtio.h"

#define VIRTIO_RNG_QUEUE_SIZE 64
/* Bytes given per request at most; the driver asks again for more. */
#define VIRTIO_RNG_MAX_REQUEST (64 * 1024)

/*
 * A virtio-rng device: one request queue whose device-writable buffers are
 * filled from the host's getrandom(), synchronously where the queue's
 * notification is served (the doorbell thread or a vCPU, see virtio.h).
 * On failure one pr_err line and NULL. Free with virtio_destroy().
 */
struct virtio_dev *virtio_rng_create(struct guest_mem *mem);

#endif
