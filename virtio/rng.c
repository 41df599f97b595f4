// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng (virtio 1.2 section 5.4): one queue, no features, no config
 * space. Each request is a chain of device-writable buffers (5.4.6.1: the
 * driver places no readable ones; a chain with any is malformed); the device
 * fills up to VIRTIO_RNG_MAX_REQUEST bytes of it with getrandom() output and
 * returns the count (5.4.6.2). getrandom() is non-blocking here: before the
 * host's pool is initialised a request gets what there is, possibly 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "lib/util.h"
#include "virtio/rng.h"

struct virtio_rng {
	struct virtio_dev vdev; /* first: container_of by cast */
	struct virtq_elem elem; /* under the queue's processing lock */
};

/* Fill [p, p + len) from getrandom(); bytes actually written. */
static size_t rng_fill(void *p, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r =
		    getrandom((uint8_t *)p + done, len - done, GRND_NONBLOCK);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			break; /* EAGAIN: pool not ready; give what we have */
		}
		done += (size_t)r;
	}
	return done;
}

static void rng_queue_notify(struct virtio_dev *d, unsigned int q)
{
	struct virtio_rng *r = (struct virtio_rng *)d;
	struct virtq_elem *e = &r->elem;
	unsigned int done = 0;

	while (virtio_pop(d, q, e) == VIRTQ_GOT) {
		uint64_t want = e->in_len, got = 0;

		if (e->out_num) {
			virtio_set_needs_reset(
			    d, "request with device-readable buffers");
			return;
		}
		if (want > VIRTIO_RNG_MAX_REQUEST)
			want = VIRTIO_RNG_MAX_REQUEST;
		for (unsigned int i = 0; i < e->in_num && got < want; i++) {
			size_t n = e->iov[i].iov_len, w;

			if (n > want - got)
				n = (size_t)(want - got);
			w = rng_fill(e->iov[i].iov_base, n);
			got += w;
			if (w < n)
				break;
		}
		virtio_push(d, q, e, (uint32_t)got);
		if (++done % 32 == 0)
			virtio_notify_used(d, q);
	}
	if (done % 32)
		virtio_notify_used(d, q);
}

static void rng_destroy(struct virtio_dev *d)
{
	free(d);
}

static const struct virtio_device_ops rng_ops = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .num_queues = 1,
    .queue_max_size = VIRTIO_RNG_QUEUE_SIZE,
    .config_size = 0,
    .queue_notify = rng_queue_notify,
    .destroy = rng_destroy,
};

struct virtio_dev *virtio_rng_create(struct guest_mem *mem)
{
	struct virtio_rng *r = calloc(1, sizeof(*r));

	if (!r || !virtio_dev_init(&r->vdev, &rng_ops, mem)) {
		pr_err("virtio-rng: out of memory");
		free(r);
		return NULL;
	}
	return &r->vdev;
}
