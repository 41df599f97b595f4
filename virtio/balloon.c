// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-balloon (virtio 1.2 section 5.5).
 *
 * Features offered (5.5.3): STATS_VQ and PAGE_REPORTING. Not offered:
 * - MUST_TELL_HOST: the device has nothing to do before the guest uses a
 *   deflated page again (a discarded page of anonymous memory faults back
 *   in as zeros), so the driver need not wait;
 * - DEFLATE_ON_OOM: the host's target stays binding, and Linux only takes
 *   ballooned pages out of MemTotal (adjust_managed_page_count) without it,
 *   which is how the guest shows what it gave up;
 * - FREE_PAGE_HINT (migration only) and PAGE_POISON: without PAGE_POISON a
 *   driver that must find its free pages as it left them does not take
 *   PAGE_REPORTING either (5.5.3.1), and Linux does exactly that.
 *
 * Config (5.5.4): num_pages (ours, the target in 4 KiB pages) and actual
 * (the driver's); 8 bytes, since neither free_page_hint_cmd_id nor
 * poison_val exists without their features.
 *
 * Inflate (5.5.6): each PFN is checked against guest RAM (one outside is
 * counted and skipped: the device stays usable), consecutive PFNs are
 * gathered into runs, and each run's whole host pages are given back with
 * MADV_DONTNEED before the request is acknowledged (5.5.6.2 lets the device
 * change a page from then on). Guest RAM is private anonymous memory, so a
 * page the guest touches again reads as zeros. A host page only partly
 * covered (a 64 KiB host page, a 4 KiB guest) is kept. Deflate needs
 * nothing: the pages come back on their own.
 *
 * Free page reporting (5.5.6.7): every buffer of a request is a free range;
 * its whole host pages are given back the same way before it is used.
 *
 * Statistics (5.5.6.3): the driver's buffer is kept (under the stats
 * queue's processing lock) until the host wants fresh statistics; giving
 * it back asks the driver for the next one. The host's request goes
 * through virtio_queue_notify, so it is served under that same lock and
 * only while the device is live. Only a buffer that came after a buffer
 * was given back for this request answers it: Linux fills its first
 * buffer at probe and kicks before DRIVER_OK, so the device takes it at
 * the first request, with figures from the guest's boot.
 *
 * Locks: the core's queue locks, then d->lock (config bytes), then b->lock
 * (counters, statistics); b->lock is never held while calling the core.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "virtio/balloon.h"

#define CFG_NUM_PAGES 0
#define CFG_ACTUAL    4
#define CFG_BYTES     8

/* Statistics entries (le16 tag, le64 value, packed: 5.5.6.3) read from a
 * buffer at most; the driver gives one per tag it knows. */
#define STAT_BYTES	 10
#define STATS_MAX_READ	 64
#define BALLOON_WARNINGS 3

enum bl_role {
	ROLE_NONE,
	ROLE_INFLATE,
	ROLE_DEFLATE,
	ROLE_STATS,
	ROLE_REPORTING,
};

struct bl_counts {
	uint64_t inflated, deflated, bad_pfns, reported, discarded;
};

struct virtio_balloon {
	struct virtio_dev vdev;	   /* first: container_of by cast */
	uint8_t config[CFG_BYTES]; /* under vdev.lock */
	uintptr_t host_page;	   /* the host's page size */
	/* One element per queue, under that queue's processing lock; the
	 * stats queue's is the buffer held for the next request. */
	struct virtq_elem elem[VIRTIO_BALLOON_QUEUES];
	bool stats_held;	  /* under the stats queue's lock */
	atomic_bool stats_wanted; /* the host asked; served by the handler */
	atomic_uint warnings;

	pthread_mutex_t lock; /* what follows */
	pthread_cond_t cond;  /* statistics came, or a reset */
	struct bl_counts counts;
	uint64_t stats[VIRTIO_BALLOON_S_NR];
	uint32_t stats_valid;
	uint64_t stats_seq;    /* buffers received */
	uint64_t stats_pushes; /* buffers given back (requests made) */
	uint64_t stats_gen;    /* stats_pushes when the last one came */
	uint64_t resets;
	int64_t stats_ms; /* when the last one came */
};

static const char *const stat_names[VIRTIO_BALLOON_S_NR] = {
    "swap-in",		"swap-out",	"major-faults",
    "minor-faults",	"free-memory",	"total-memory",
    "available-memory", "disk-caches",	"hugetlb-allocations",
    "hugetlb-failures", "oom-kills",	"alloc-stalls",
    "async-scans",	"direct-scans", "async-reclaims",
    "direct-reclaims",
};

const char *virtio_balloon_stat_name(unsigned int tag)
{
	return tag < VIRTIO_BALLOON_S_NR ? stat_names[tag] : NULL;
}

static struct virtio_balloon *to_bl(struct virtio_dev *d)
{
	return (struct virtio_balloon *)d;
}

static void bl_warn(struct virtio_balloon *b, const char *what,
		    unsigned long long n)
{
	if (atomic_fetch_add(&b->warnings, 1) < BALLOON_WARNINGS)
		pr_warn("virtio-balloon: %s (%llu)", what, n);
}

/*
 * What queue q is for, given the features negotiated (5.5.2): queues that
 * do not exist take no index in Linux's and QEMU's numbering, so the
 * reporting queue is 3 after a stats queue and 2 without one; 4, where
 * 5.5.2's list puts it, is served too.
 */
static enum bl_role queue_role(struct virtio_dev *d, unsigned int q)
{
	bool stats = virtio_has_feature(d, VIRTIO_BALLOON_F_STATS_VQ);
	bool rep = virtio_has_feature(d, VIRTIO_BALLOON_F_PAGE_REPORTING);

	switch (q) {
	case VIRTIO_BALLOON_INFLATEQ:
		return ROLE_INFLATE;
	case VIRTIO_BALLOON_DEFLATEQ:
		return ROLE_DEFLATE;
	case VIRTIO_BALLOON_STATSQ:
		return stats ? ROLE_STATS : rep ? ROLE_REPORTING : ROLE_NONE;
	case 3:
		return stats && rep ? ROLE_REPORTING : ROLE_NONE;
	case 4:
		return rep ? ROLE_REPORTING : ROLE_NONE;
	default:
		return ROLE_NONE;
	}
}

static void add_counts(struct virtio_balloon *b, const struct bl_counts *c)
{
	pthread_mutex_lock(&b->lock);
	b->counts.inflated += c->inflated;
	b->counts.deflated += c->deflated;
	b->counts.bad_pfns += c->bad_pfns;
	b->counts.reported += c->reported;
	b->counts.discarded += c->discarded;
	pthread_mutex_unlock(&b->lock);
}

/* Give the whole host pages inside [p, p + len) back to the host. p lies
 * in guest RAM (a checked range). */
static void discard(struct virtio_balloon *b, uint8_t *p, uint64_t len,
		    struct bl_counts *c)
{
	uintptr_t start = ALIGN_UP((uintptr_t)p, b->host_page);
	uintptr_t end = ALIGN_DOWN((uintptr_t)p + len, b->host_page);

	if (start >= end)
		return;
	if (madvise((void *)start, end - start, MADV_DONTNEED) == 0) {
		c->discarded += end - start;
		/* The pages now read as zero: a live migration sends that. */
		guest_mem_dirty(b->vdev.mem, (void *)start, end - start);
	} else
		bl_warn(b, "cannot give pages back to the host (madvise)",
			(unsigned long long)errno);
}

/* Consecutive inflated pages, [start, end) guest-physical, all in RAM. */
struct run {
	uint64_t start, end;
};

static void run_flush(struct virtio_balloon *b, struct run *r,
		      struct bl_counts *c)
{
	uint8_t *p;

	if (r->end <= r->start)
		return;
	p = guest_ptr(b->vdev.mem, r->start, r->end - r->start);
	if (p)
		discard(b, p, r->end - r->start, c);
	r->start = r->end = 0;
}

/* One inflated PFN: a page of guest RAM extends the run (either way:
 * drivers allocate pages in either order) or starts a new one. */
static void run_add(struct virtio_balloon *b, struct run *r, uint32_t pfn,
		    struct bl_counts *c)
{
	uint64_t gpa = (uint64_t)pfn << VIRTIO_BALLOON_PFN_SHIFT;

	if (!guest_ptr(b->vdev.mem, gpa, VIRTIO_BALLOON_PAGE_SIZE)) {
		c->bad_pfns++;
		return;
	}
	c->inflated++;
	if (r->end > r->start) {
		if (gpa == r->end) {
			r->end += VIRTIO_BALLOON_PAGE_SIZE;
			return;
		}
		if (gpa + VIRTIO_BALLOON_PAGE_SIZE == r->start) {
			r->start = gpa;
			return;
		}
		run_flush(b, r, c);
	}
	r->start = gpa;
	r->end = gpa + VIRTIO_BALLOON_PAGE_SIZE;
}

/*
 * The le32 PFNs of an inflate request, across its readable buffers (an
 * entry may straddle two). At most one per page of RAM is looked at: a
 * longer list repeats itself, and a hostile one must not keep the thread
 * serving the queue (the doorbell thread, which every device's
 * notifications wait for, or a vCPU).
 */
static void inflate(struct virtio_balloon *b, const struct virtq_elem *e,
		    struct bl_counts *c)
{
	uint64_t limit = b->vdev.mem->size >> VIRTIO_BALLOON_PFN_SHIFT, n = 0;
	struct run r = {0, 0};
	uint8_t part[4];
	unsigned int plen = 0;

	for (unsigned int i = 0; i < e->out_num && n < limit; i++) {
		const uint8_t *p = e->iov[i].iov_base;
		size_t len = e->iov[i].iov_len;

		while (len && n < limit) {
			uint32_t pfn;

			if (plen || len < 4) {
				part[plen++] = *p++;
				len--;
				if (plen < 4)
					continue;
				pfn = get_le32(part);
				plen = 0;
			} else {
				pfn = get_le32(p);
				p += 4;
				len -= 4;
			}
			n++;
			run_add(b, &r, pfn, c);
		}
	}
	run_flush(b, &r, c);
}

/* Inflate and deflate requests: arrays of PFNs the device reads
 * (5.5.6); acknowledged by using them, with nothing written. */
static void pfn_queue(struct virtio_balloon *b, unsigned int q, bool infl)
{
	struct virtio_dev *d = &b->vdev;
	struct virtq_elem *e = &b->elem[q];
	struct bl_counts c = {0};
	unsigned int done = 0;

	while (virtio_pop(d, q, e) == VIRTQ_GOT) {
		if (e->in_num) {
			virtio_set_needs_reset(
			    d, infl ? "inflate request with device-writable "
				      "buffers"
				    : "deflate request with device-writable "
				      "buffers");
			break;
		}
		if (infl)
			inflate(b, e, &c);
		else
			c.deflated += e->out_len / 4;
		virtio_push(d, q, e, 0);
		done++;
	}
	if (c.bad_pfns)
		bl_warn(b, "inflate request names pages outside guest RAM",
			(unsigned long long)c.bad_pfns);
	add_counts(b, &c);
	if (done)
		virtio_notify_used(d, q);
}

/* Free page reporting: each buffer (the driver makes them writable, but
 * nothing is written) is a free range of guest RAM. */
static void report_queue(struct virtio_balloon *b, unsigned int q)
{
	struct virtio_dev *d = &b->vdev;
	struct virtq_elem *e = &b->elem[q];
	struct bl_counts c = {0};
	unsigned int done = 0;

	while (virtio_pop(d, q, e) == VIRTQ_GOT) {
		for (unsigned int i = 0; i < e->out_num + e->in_num; i++) {
			discard(b, e->iov[i].iov_base, e->iov[i].iov_len, &c);
			c.reported += e->iov[i].iov_len;
		}
		virtio_push(d, q, e, 0);
		done++;
	}
	add_counts(b, &c);
	if (done)
		virtio_notify_used(d, q);
}

/* A statistics buffer from the driver: the statistics replace the last
 * ones (the driver gives the same set each time, 5.5.6.3.1); unknown tags
 * are ignored (5.5.6.3.2). */
static void stats_take(struct virtio_balloon *b, const struct virtq_elem *e)
{
	uint8_t buf[STATS_MAX_READ * STAT_BYTES];
	uint64_t len = e->out_len < sizeof(buf) ? e->out_len : sizeof(buf);
	uint64_t vals[VIRTIO_BALLOON_S_NR] = {0};
	uint32_t valid = 0;

	len = virtq_elem_read(e, 0, buf, len);
	for (uint64_t off = 0; off + STAT_BYTES <= len; off += STAT_BYTES) {
		unsigned int tag = get_le16(buf + off);

		if (tag < VIRTIO_BALLOON_S_NR) {
			vals[tag] = get_le64(buf + off + 2);
			valid |= 1u << tag;
		}
	}
	pthread_mutex_lock(&b->lock);
	memcpy(b->stats, vals, sizeof(vals));
	b->stats_valid = valid;
	b->stats_seq++;
	b->stats_gen = b->stats_pushes;
	b->stats_ms = monotonic_ms();
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

static void stats_queue(struct virtio_balloon *b, unsigned int q)
{
	struct virtio_dev *d = &b->vdev;
	struct virtq_elem *e = &b->elem[q];

	for (;;) {
		if (!b->stats_held) {
			if (virtio_pop(d, q, e) != VIRTQ_GOT)
				return;
			if (e->in_num) {
				virtio_set_needs_reset(
				    d, "statistics buffer with device-writable "
				       "parts");
				return;
			}
			stats_take(b, e);
			b->stats_held = true;
		}
		if (!atomic_exchange(&b->stats_wanted, false))
			return;
		/* Using the buffer is the request (5.5.6.3 step 1). */
		virtio_push(d, q, e, 0);
		b->stats_held = false;
		pthread_mutex_lock(&b->lock);
		b->stats_pushes++;
		pthread_mutex_unlock(&b->lock);
		virtio_notify_used(d, q);
	}
}

static void bl_queue_notify(struct virtio_dev *d, unsigned int q)
{
	struct virtio_balloon *b = to_bl(d);

	switch (queue_role(d, q)) {
	case ROLE_INFLATE:
		pfn_queue(b, q, true);
		break;
	case ROLE_DEFLATE:
		pfn_queue(b, q, false);
		break;
	case ROLE_STATS:
		stats_queue(b, q);
		break;
	case ROLE_REPORTING:
		report_queue(b, q);
		break;
	default:
		break; /* a queue of a feature not negotiated: unused */
	}
}

static uint64_t bl_get_features(struct virtio_dev *d)
{
	return 1ULL << VIRTIO_BALLOON_F_STATS_VQ |
	       1ULL << VIRTIO_BALLOON_F_PAGE_REPORTING;
}

static void bl_config_read(struct virtio_dev *d, uint32_t offset, void *buf,
			   uint32_t len)
{
	memcpy(buf, to_bl(d)->config + offset, len);
}

/* Only actual is the driver's (5.5.4); num_pages is read-only to it. */
static void bl_config_write(struct virtio_dev *d, uint32_t offset,
			    const void *buf, uint32_t len)
{
	struct virtio_balloon *b = to_bl(d);

	for (uint32_t i = 0; i < len; i++)
		if (offset + i >= CFG_ACTUAL)
			b->config[offset + i] = ((const uint8_t *)buf)[i];
}

/* Device reset (every queue lock and d->lock held): the driver that had
 * pages in the balloon is gone, and so is the buffer it left for
 * statistics; the host's target stays for the next driver. */
static void bl_reset(struct virtio_dev *d)
{
	struct virtio_balloon *b = to_bl(d);

	put_le32(b->config + CFG_ACTUAL, 0);
	b->stats_held = false;
	atomic_store(&b->stats_wanted, false);
	pthread_mutex_lock(&b->lock);
	b->resets++;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

/*
 * Record (docs/snapshot.md): the config space (num_pages, the host's
 * target; actual, the driver's), then the guest's last statistics (the
 * valid tags' mask and the 16 values), which balloon-stats reports. The
 * statistics buffer the device holds is given back (bl_queue_held) and
 * taken again after the restore, as the driver left it. Inflate, deflate
 * and reporting requests complete on the thread that rang, so none is in
 * flight once quiesced; the host's counters are not the guest's and start
 * again from zero.
 */
static void bl_save(struct virtio_dev *d, struct state_writer *w)
{
	struct virtio_balloon *b = to_bl(d);

	sw_bytes(w, b->config, CFG_BYTES);
	pthread_mutex_lock(&b->lock);
	sw_u32(w, b->stats_valid);
	for (unsigned int i = 0; i < VIRTIO_BALLOON_S_NR; i++)
		sw_u64(w, b->stats[i]);
	pthread_mutex_unlock(&b->lock);
}

static int bl_restore(struct virtio_dev *d, struct state_reader *r)
{
	struct virtio_balloon *b = to_bl(d);
	uint64_t stats[VIRTIO_BALLOON_S_NR];
	uint32_t pages = sr_u32(r), actual = sr_u32(r), valid;

	/* virtio_balloon_set_target's bound: at most the guest's RAM. */
	if (!r->failed &&
	    (uint64_t)pages << VIRTIO_BALLOON_PFN_SHIFT > d->mem->size)
		sr_fail(r, "virtio-balloon: target of %u pages beyond RAM",
			pages);
	valid = sr_u32_mask(r, (1u << VIRTIO_BALLOON_S_NR) - 1,
			    "virtio-balloon statistics tags");
	for (unsigned int i = 0; i < VIRTIO_BALLOON_S_NR; i++)
		stats[i] = sr_u64(r);
	if (r->failed)
		return -1;
	put_le32(b->config + CFG_NUM_PAGES, pages);
	put_le32(b->config + CFG_ACTUAL, actual);
	pthread_mutex_lock(&b->lock);
	memcpy(b->stats, stats, sizeof(stats));
	b->stats_valid = valid;
	if (valid) { /* figures of one buffer, received now for the host */
		b->stats_seq = 1;
		b->stats_ms = monotonic_ms();
	}
	pthread_mutex_unlock(&b->lock);
	return 0;
}

/* The statistics buffer held for the next request (stats queue lock). */
static uint16_t bl_queue_held(struct virtio_dev *d, unsigned int q)
{
	return q == VIRTIO_BALLOON_STATSQ && to_bl(d)->stats_held;
}

static void bl_destroy(struct virtio_dev *d)
{
	struct virtio_balloon *b = to_bl(d);

	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

static const struct virtio_device_ops bl_ops = {
    .name = "virtio-balloon",
    .device_id = VIRTIO_ID_BALLOON,
    .num_queues = VIRTIO_BALLOON_QUEUES,
    .queue_max_size = VIRTIO_BALLOON_QUEUE_SIZE,
    .config_size = CFG_BYTES,
    .get_features = bl_get_features,
    .config_read = bl_config_read,
    .config_write = bl_config_write,
    .queue_notify = bl_queue_notify,
    .reset = bl_reset,
    .destroy = bl_destroy,
    .save = bl_save,
    .restore = bl_restore,
    .queue_held = bl_queue_held,
};

struct virtio_dev *virtio_balloon_create(struct guest_mem *mem)
{
	struct virtio_balloon *b = calloc(1, sizeof(*b));
	pthread_condattr_t ca;
	long page = sysconf(_SC_PAGESIZE);

	if (!b || !virtio_dev_init(&b->vdev, &bl_ops, mem)) {
		pr_err("virtio-balloon: out of memory");
		free(b);
		return NULL;
	}
	b->host_page = page > 0 ? (uintptr_t)page : 4096;
	pthread_mutex_init(&b->lock, NULL);
	/* Waits are bounded in monotonic time (the wall clock may jump). */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cond, &ca);
	pthread_condattr_destroy(&ca);
	return &b->vdev;
}

/* "256M", or "4100K" when not whole MiB. */
static void fmt_size(char *buf, size_t size, uint64_t bytes)
{
	if (bytes % SZ_1M)
		snprintf(buf, size, "%lluK", (unsigned long long)(bytes >> 10));
	else
		snprintf(buf, size, "%lluM", (unsigned long long)(bytes >> 20));
}

int virtio_balloon_set_target(struct virtio_dev *d, uint64_t bytes, char *err,
			      size_t errlen)
{
	struct virtio_balloon *b = to_bl(d);
	char want[32], ram[32];
	bool changed;

	fmt_size(ram, sizeof(ram), d->mem->size);
	if (bytes % VIRTIO_BALLOON_PAGE_SIZE) {
		set_err(err, errlen,
			"balloon size %llu bytes: not a multiple of 4 KiB",
			(unsigned long long)bytes);
		return -1;
	}
	fmt_size(want, sizeof(want), bytes);
	if (bytes > d->mem->size) {
		set_err(err, errlen,
			"balloon size %s is more than the guest's RAM (%s)",
			want, ram);
		return -1;
	}
	pthread_mutex_lock(&d->lock);
	changed = get_le32(b->config + CFG_NUM_PAGES) !=
		  (uint32_t)(bytes >> VIRTIO_BALLOON_PFN_SHIFT);
	put_le32(b->config + CFG_NUM_PAGES,
		 (uint32_t)(bytes >> VIRTIO_BALLOON_PFN_SHIFT));
	pthread_mutex_unlock(&d->lock);
	/* A driver that is not running yet reads num_pages when it starts;
	 * one that is gets a configuration change notification (2.3). */
	if (changed && (virtio_get_status(d) & VIRTIO_STATUS_DRIVER_OK))
		virtio_config_changed(d);
	return 0;
}

void virtio_balloon_machine_reset(struct virtio_dev *d)
{
	struct virtio_balloon *b = to_bl(d);

	pthread_mutex_lock(&d->lock);
	put_le32(b->config + CFG_NUM_PAGES, 0);
	put_le32(b->config + CFG_ACTUAL, 0);
	pthread_mutex_unlock(&d->lock);
}

void virtio_balloon_get_info(struct virtio_dev *d,
			     struct virtio_balloon_info *out)
{
	struct virtio_balloon *b = to_bl(d);

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&d->lock);
	out->target = (uint64_t)get_le32(b->config + CFG_NUM_PAGES)
		      << VIRTIO_BALLOON_PFN_SHIFT;
	out->actual = (uint64_t)get_le32(b->config + CFG_ACTUAL)
		      << VIRTIO_BALLOON_PFN_SHIFT;
	pthread_mutex_unlock(&d->lock);
	out->driver = virtio_get_status(d) & VIRTIO_STATUS_DRIVER_OK;
	out->stats_vq = virtio_has_feature(d, VIRTIO_BALLOON_F_STATS_VQ);
	out->reporting = virtio_has_feature(d, VIRTIO_BALLOON_F_PAGE_REPORTING);
	pthread_mutex_lock(&b->lock);
	out->inflated = b->counts.inflated;
	out->deflated = b->counts.deflated;
	out->bad_pfns = b->counts.bad_pfns;
	out->reported = b->counts.reported;
	out->discarded = b->counts.discarded;
	out->stats_valid = b->stats_valid;
	memcpy(out->stats, b->stats, sizeof(out->stats));
	out->stats_updates = b->stats_seq;
	out->stats_age_ms = b->stats_seq ? monotonic_ms() - b->stats_ms : -1;
	pthread_mutex_unlock(&b->lock);
}

int virtio_balloon_request_stats(struct virtio_dev *d,
				 struct virtio_balloon_ticket *t, char *err,
				 size_t errlen)
{
	struct virtio_balloon *b = to_bl(d);

	if (!(virtio_get_status(d) & VIRTIO_STATUS_DRIVER_OK)) {
		set_err(err, errlen,
			"the guest's balloon driver is not running");
		return -1;
	}
	if (!virtio_has_feature(d, VIRTIO_BALLOON_F_STATS_VQ)) {
		set_err(err, errlen,
			"the guest's balloon driver gives no statistics");
		return -1;
	}
	pthread_mutex_lock(&b->lock);
	t->pushes = b->stats_pushes;
	t->resets = b->resets;
	pthread_mutex_unlock(&b->lock);
	atomic_store(&b->stats_wanted, true);
	/* Runs the handler here, under the queue's lock, if the queue is
	 * live; otherwise the request waits for the driver's next kick. */
	virtio_queue_notify(d, VIRTIO_BALLOON_STATSQ);
	return 0;
}

int virtio_balloon_wait_stats(struct virtio_dev *d,
			      const struct virtio_balloon_ticket *t,
			      unsigned int timeout_ms,
			      struct virtio_balloon_info *out)
{
	struct virtio_balloon *b = to_bl(d);
	struct timespec until;
	int r = 1;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&b->lock);
	for (;;) {
		if (b->resets != t->resets) {
			r = -1;
			break;
		}
		if (b->stats_gen > t->pushes) {
			r = 0;
			break;
		}
		if (pthread_cond_timedwait(&b->cond, &b->lock, &until) ==
		    ETIMEDOUT) {
			r = b->resets != t->resets     ? -1
			    : b->stats_gen > t->pushes ? 0
						       : 1;
			break;
		}
	}
	pthread_mutex_unlock(&b->lock);
	if (r == 0)
		virtio_balloon_get_info(d, out);
	return r;
}
