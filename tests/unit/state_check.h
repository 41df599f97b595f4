/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared checks of snapshot records (issue 13) for the model unit tests:
 * a record restored into a fresh model saves back to the same bytes, and
 * every truncation of it, or a corrupted field, makes restore fail
 * without a crash. Include after check.h.
 */
#ifndef ARMVM_TESTS_STATE_CHECK_H
#define ARMVM_TESTS_STATE_CHECK_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "devices/device.h"
#include "lib/state.h"

/* How a test makes, saves, restores and frees one kind of model. */
struct state_model {
	void *(*make)(void); /* fresh, with the test's configuration */
	void (*destroy)(void *obj);
	void (*save)(void *obj, struct state_writer *w);
	int (*restore)(void *obj, struct state_reader *r);
};

/* Restore [buf, buf + len) into obj: 0, or -1 with r->why set. */
static inline int state_restore(const struct state_model *m, void *obj,
				const void *buf, size_t len,
				struct state_reader *r)
{
	sr_init(r, buf, len);
	if (m->restore(obj, r) != 0) {
		if (!r->failed) /* a restore must say why */
			sr_fail(r, "restore failed without a reason");
		return -1;
	}
	return sr_done(r);
}

static inline void state_save(const struct state_model *m, void *obj,
			      struct state_writer *w)
{
	sw_init(w);
	m->save(obj, w);
}

/*
 * Restore w's record into a fresh model and save it again: the bytes must
 * be the same. Returns the restored model (the caller checks behaviour and
 * frees it), or NULL after a failed check.
 */
static inline void *state_roundtrip(const struct state_model *m,
				    const struct state_writer *w)
{
	struct state_writer again;
	struct state_reader r;
	void *obj = m->make();

	CHECK(obj != NULL);
	CHECK(!w->failed && w->len > 0);
	if (!obj)
		return NULL;
	if (state_restore(m, obj, w->buf, w->len, &r) != 0) {
		CHECK(!"restoring a saved record failed");
		fprintf(stderr, "restore: %s\n", r.why);
		m->destroy(obj);
		return NULL;
	}
	state_save(m, obj, &again);
	CHECK_EQ(again.len, w->len);
	CHECK(again.len == w->len && !memcmp(again.buf, w->buf, w->len));
	sw_free(&again);
	return obj;
}

/* Every proper prefix of the record fails, each into a fresh model. */
static inline void state_prefixes_fail(const struct state_model *m,
				       const struct state_writer *w)
{
	for (size_t len = 0; len < w->len; len++) {
		struct state_reader r;
		void *obj = m->make();

		CHECK(state_restore(m, obj, w->buf, len, &r) == -1);
		CHECK(r.why[0] != 0);
		m->destroy(obj);
	}
}

/*
 * The record with byte at off replaced by v (and width-1 more bytes of v's
 * higher bytes, little-endian) fails to restore into a fresh model, with a
 * message containing want (NULL: any).
 */
static inline void state_corrupt_fails(const struct state_model *m,
				       const struct state_writer *w, size_t off,
				       unsigned int width, uint64_t v,
				       const char *want)
{
	uint8_t *buf = malloc(w->len);
	struct state_reader r;
	void *obj = m->make();

	CHECK(buf && off + width <= w->len);
	if (!buf || off + width > w->len) {
		free(buf);
		m->destroy(obj);
		return;
	}
	memcpy(buf, w->buf, w->len);
	for (unsigned int i = 0; i < width; i++)
		buf[off + i] = (uint8_t)(v >> (8 * i));
	CHECK(state_restore(m, obj, buf, w->len, &r) == -1);
	if (want && !strstr(r.why, want)) {
		fprintf(stderr, "restore failed with \"%s\", not \"%s\"\n",
			r.why, want);
		CHECK(strstr(r.why, want));
	}
	m->destroy(obj);
	free(buf);
}

/* Adapters for device_ops models. */
static inline void state_dev_save(void *obj, struct state_writer *w)
{
	struct device *d = obj;

	d->ops->save(d, w);
}

static inline int state_dev_restore(void *obj, struct state_reader *r)
{
	struct device *d = obj;

	return d->ops->restore(d, r);
}

static inline void state_dev_destroy(void *obj)
{
	struct device *d = obj;

	if (d)
		d->ops->destroy(d);
}

#endif
