/* SPDX-License-Identifier: GPL-2.0 */
/* virtio-blk (virtio 1.2 section 5.2) backed by a raw image file. */
#ifndef ARMVM_VIRTIO_BLK_H
#define ARMVM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/guest_mem.h"
#include "virtio/virtio.h"

/* Feature bits (section 5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX	  1
#define VIRTIO_BLK_F_SEG_MAX	  2
#define VIRTIO_BLK_F_RO		  5
#define VIRTIO_BLK_F_BLK_SIZE	  6
#define VIRTIO_BLK_F_FLUSH	  9
#define VIRTIO_BLK_F_CONFIG_WCE	  11
#define VIRTIO_BLK_F_DISCARD	  13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types and status values (section 5.2.6). */
#define VIRTIO_BLK_T_IN		  0
#define VIRTIO_BLK_T_OUT	  1
#define VIRTIO_BLK_T_FLUSH	  4
#define VIRTIO_BLK_T_GET_ID	  8
#define VIRTIO_BLK_T_DISCARD	  11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK		  0
#define VIRTIO_BLK_S_IOERR	  1
#define VIRTIO_BLK_S_UNSUPP	  2

#define VIRTIO_BLK_ID_BYTES   20
#define VIRTIO_BLK_QUEUE_SIZE 256
/* Data segments per request: the queue size less header and status. */
#define VIRTIO_BLK_SEG_MAX (VIRTIO_BLK_QUEUE_SIZE - 2)

/*
 * DISCARD and WRITE_ZEROES (5.2.6): the data is an array of 16-byte
 * segments { le64 sector; le32 num_sectors; le32 flags }, flags bit 0 the
 * write-zeroes "unmap". The limits the device advertises: 4 GiB a segment
 * (a multiple of the 4 KiB alignment) and 256 segments a request (Linux's
 * own cap for discard; its driver does not read max_write_zeroes_seg, so
 * write-zeroes takes as many).
 */
#define VIRTIO_BLK_DWZ_SEG_BYTES	    16
#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP  1u
#define VIRTIO_BLK_MAX_DISCARD_SECTORS	    (4ULL << 30 >> 9)
#define VIRTIO_BLK_MAX_DISCARD_SEG	    256
#define VIRTIO_BLK_DISCARD_ALIGNMENT	    8
#define VIRTIO_BLK_MAX_WRITE_ZEROES_SECTORS (4ULL << 30 >> 9)
#define VIRTIO_BLK_MAX_WRITE_ZEROES_SEG	    256

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

/*
 * The cache mode the device starts in and returns to at each reset: true
 * write-back (the default: FLUSH makes writes durable), false
 * write-through (each write is durable before it completes). A driver
 * with CONFIG_WCE may change it (5.2.5). Takes effect at once unless the
 * driver has negotiated already, else at the next reset.
 */
void virtio_blk_set_writeback(struct virtio_dev *d, bool writeback);

/*
 * A live migration's hand-over of the image (issue 13, docs/migration.md):
 * release makes what was written durable (fdatasync) and drops the lock so
 * that the destination's armvm can open the image; !release takes the lock
 * back (a migration that failed). 0, or -1 after a message naming the file
 * (none for a lock not taken back when quiet).
 */
int virtio_blk_hand_over(struct virtio_dev *d, bool release, bool quiet);

/* Capacity in 512-byte sectors. */
uint64_t virtio_blk_capacity(struct virtio_dev *d);

#endif
