/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-balloon, the traditional memory balloon (virtio 1.2 section 5.5):
 * the host asks for a number of 4 KiB pages (num_pages), the guest's driver
 * hands pages over (inflate) or takes them back (deflate) and reports how
 * many the balloon holds (actual). Pages handed over are given back to the
 * host with MADV_DONTNEED; so are the free pages the guest reports (free
 * page reporting). The guest's memory statistics come on request.
 */
#ifndef ARMVM_VIRTIO_BALLOON_H
#define ARMVM_VIRTIO_BALLOON_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/guest_mem.h"
#include "virtio/virtio.h"

/* Device ID (section 5). */
#define VIRTIO_ID_BALLOON 5

/* Feature bits (5.5.3). */
#define VIRTIO_BALLOON_F_MUST_TELL_HOST 0
#define VIRTIO_BALLOON_F_STATS_VQ	1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM 2
#define VIRTIO_BALLOON_F_FREE_PAGE_HINT 3
#define VIRTIO_BALLOON_F_PAGE_POISON	4
#define VIRTIO_BALLOON_F_PAGE_REPORTING 5

/* Page frame numbers count 4 KiB pages whatever the guest's page size
 * (5.5.6, footnote). */
#define VIRTIO_BALLOON_PFN_SHIFT 12
#define VIRTIO_BALLOON_PAGE_SIZE (1u << VIRTIO_BALLOON_PFN_SHIFT)

/*
 * Queues (5.5.2). inflateq and deflateq are always 0 and 1. statsq is 2
 * when VIRTIO_BALLOON_F_STATS_VQ is negotiated; the reporting queue follows
 * the queues that exist, as Linux and QEMU number them (3 with statistics,
 * 2 without; free_page_vq is never offered), and 4, its place in 5.5.2's
 * list, is served as the reporting queue as well.
 */
#define VIRTIO_BALLOON_INFLATEQ	  0
#define VIRTIO_BALLOON_DEFLATEQ	  1
#define VIRTIO_BALLOON_STATSQ	  2
#define VIRTIO_BALLOON_QUEUES	  5
#define VIRTIO_BALLOON_QUEUE_SIZE 128

/* Statistics tags (5.5.6.4; 10 to 15 are Linux's later additions). */
enum virtio_balloon_stat_tag {
	VIRTIO_BALLOON_S_SWAP_IN,
	VIRTIO_BALLOON_S_SWAP_OUT,
	VIRTIO_BALLOON_S_MAJFLT,
	VIRTIO_BALLOON_S_MINFLT,
	VIRTIO_BALLOON_S_MEMFREE,
	VIRTIO_BALLOON_S_MEMTOT,
	VIRTIO_BALLOON_S_AVAIL,
	VIRTIO_BALLOON_S_CACHES,
	VIRTIO_BALLOON_S_HTLB_PGALLOC,
	VIRTIO_BALLOON_S_HTLB_PGFAIL,
	VIRTIO_BALLOON_S_OOM_KILL,
	VIRTIO_BALLOON_S_ALLOC_STALL,
	VIRTIO_BALLOON_S_ASYNC_SCAN,
	VIRTIO_BALLOON_S_DIRECT_SCAN,
	VIRTIO_BALLOON_S_ASYNC_RECLAIM,
	VIRTIO_BALLOON_S_DIRECT_RECLAIM,
	VIRTIO_BALLOON_S_NR
};

/* A tag's name ("free-memory", ...: those of Linux's virtio_balloon.h),
 * NULL past the last. */
const char *virtio_balloon_stat_name(unsigned int tag);

/* What the host may know about the balloon at a moment. */
struct virtio_balloon_info {
	uint64_t target;    /* bytes the host asks for (num_pages) */
	uint64_t actual;    /* bytes the driver says the balloon holds */
	bool driver;	    /* the driver is running (DRIVER_OK) */
	bool stats_vq;	    /* ... and negotiated statistics */
	bool reporting;	    /* ... and free page reporting */
	uint64_t inflated;  /* pages the guest inflated (4 KiB each) */
	uint64_t deflated;  /* pages it deflated */
	uint64_t bad_pfns;  /* inflated PFNs outside guest RAM, ignored */
	uint64_t reported;  /* bytes of free memory the guest reported */
	uint64_t discarded; /* bytes given back to the host (madvise) */
	/* The guest's last statistics: stats[tag] is valid when bit tag of
	 * stats_valid is set. stats_updates counts the buffers received. */
	uint32_t stats_valid;
	uint64_t stats[VIRTIO_BALLOON_S_NR];
	uint64_t stats_updates;
	int64_t stats_age_ms; /* since the last buffer; -1: none yet */
};

/*
 * A balloon for guest RAM mem, empty (num_pages 0). Offered features:
 * VERSION_1, STATS_VQ and PAGE_REPORTING. On failure one pr_err line and
 * NULL. Free with virtio_destroy().
 */
struct virtio_dev *virtio_balloon_create(struct guest_mem *mem);

/*
 * Ask the guest for a balloon of `bytes` (what the guest gives up: 0 gives
 * it all back): a multiple of 4 KiB, at most guest RAM. The driver, if it
 * runs, gets a configuration change interrupt; a driver that starts later
 * reads the target then. 0, or -1 with a message in err.
 */
int virtio_balloon_set_target(struct virtio_dev *d, uint64_t bytes, char *err,
			      size_t errlen);

/* The machine was reset (a reboot): the new guest starts with an empty
 * balloon; no driver is told (there is none yet). */
void virtio_balloon_machine_reset(struct virtio_dev *d);

void virtio_balloon_get_info(struct virtio_dev *d,
			     struct virtio_balloon_info *out);

/*
 * Statistics (5.5.6.3): the device keeps the buffer the driver gave it;
 * virtio_balloon_request_stats returns it, which asks the driver for a new
 * one, and virtio_balloon_wait_stats waits until it comes: a buffer that
 * came after one was given back since the request (one the driver filled
 * earlier, say at its start, is given back at once instead). Neither
 * blocks on the guest beyond timeout_ms, so a guest that never answers
 * cannot hold up the caller (the control thread).
 */
struct virtio_balloon_ticket {
	uint64_t pushes, resets;
};
/* 0 and a ticket, or -1 with a message when no driver with statistics
 * runs. */
int virtio_balloon_request_stats(struct virtio_dev *d,
				 struct virtio_balloon_ticket *t, char *err,
				 size_t errlen);
/* 0 when statistics newer than the ticket came (*out filled), 1 when none
 * came within timeout_ms, -1 when the device was reset meanwhile. */
int virtio_balloon_wait_stats(struct virtio_dev *d,
			      const struct virtio_balloon_ticket *t,
			      unsigned int timeout_ms,
			      struct virtio_balloon_info *out);

#endif
