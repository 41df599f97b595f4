/* SPDX-License-Identifier: GPL-2.0 */
/* virtio-blk (virtio 1.2 section 5.2) backed by a raw image file. */
#ifndef ARMVM_VIRTIO_BLK_H
#define ARMVM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/guest_mem.h"
#include "virtio/virtio.h"

/* Feature bits (section 5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO	      5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9

/* Request types and status values (section 5.2.6). */
#define VIRTIO_BLK_T_IN	    0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK	    0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES   20
#define VIRTIO_BLK_QUEUE_SIZE 256
/* Data segments per request: the queue size less header and status. */
#define VIRTIO_BLK_SEG_MAX (VIRTIO_BLK_QUEUE_SIZE - 2)

/*
 * Open the raw image at path (a regular file or a block device) read-write,
 * or read-only, and lock it (flock: exclusive, shared when read-only) so no
 * two armvm processes write one image. A size that is not a multiple of 512
 * is rounded down with a warning. On any problem: one pr_err line naming the
 * file, and NULL. Free with virtio_destroy().
 */
struct virtio_dev *virtio_blk_create(const char *path, bool readonly,
				     struct guest_mem *mem);

/* The GET_ID serial, at most 20 bytes (longer is cut). By default the
 * image file's base name. */
void virtio_blk_set_serial(struct virtio_dev *d, const char *serial);

/* Capacity in 512-byte sectors. */
uint64_t virtio_blk_capacity(struct virtio_dev *d);

#endif
