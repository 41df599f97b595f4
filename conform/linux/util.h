/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the Linux conformance program (docs/conformance.md): bounded
 * reads of /proc, /sys and device tree files under a root directory (so
 * that tests feed fake trees), the device tree's property formats, the
 * evidence of a result. The VM under test may be non-conforming: every
 * read is bounded and every parse checks its input.
 */
#ifndef ARMVM_CONFORM_LINUX_UTIL_H
#define ARMVM_CONFORM_LINUX_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CONFORM_EVIDENCE_MAX 200
#define CONFORM_DT_BASE	     "/sys/firmware/devicetree/base"

enum conform_status { CONFORM_PASS, CONFORM_FAIL, CONFORM_SKIP };

struct conform_ctx {
	const char *root; /* "" for the running system, else a directory */
	bool root_given;  /* --root: a fake tree, change nothing */
	bool no_write;	  /* --no-write: change nothing */
	/* tests only: linux.cpu-hotplug writes the --root tree's files */
	bool write_fake;
	bool cntfrq_known;
	uint64_t cntfrq;	/* CNTFRQ as this CPU reads it, when known */
	const char *cntfrq_why; /* why not known */
	unsigned int timer_wait_ms; /* between two /proc/interrupts samples */
};

struct conform_result {
	enum conform_status status;
	char evidence[CONFORM_EVIDENCE_MAX + 1];
};

/* Sets the status and the evidence (printf-style; truncated). */
void result_set(struct conform_result *r, enum conform_status status,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A bounded string builder for evidence (truncates, never overflows). */
struct strbuf {
	char buf[CONFORM_EVIDENCE_MAX + 1];
	size_t len;
};
void sb_add(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* root + rel into out; false if it does not fit. */
bool conform_path(const struct conform_ctx *ctx, const char *rel, char *out,
		  size_t cap);

/*
 * Reads the whole of root + rel into buf (at most cap - 1 bytes) and
 * NUL-terminates it. Returns the length, -EFBIG if the file is longer,
 * or another -errno.
 */
ssize_t read_bounded(const struct conform_ctx *ctx, const char *rel, char *buf,
		     size_t cap);
/* The same, with trailing white space and NULs cut (one-value files). */
ssize_t read_value(const struct conform_ctx *ctx, const char *rel, char *buf,
		   size_t cap);
/* Writes a whole small string to root + rel (sysfs); 0 or -errno. */
int write_value(const struct conform_ctx *ctx, const char *rel,
		const char *val);
bool path_exists(const struct conform_ctx *ctx, const char *rel);
bool path_is_dir(const struct conform_ctx *ctx, const char *rel);

/* Parses a decimal or 0x-hex unsigned number, all of s; false if not one. */
bool parse_u64(const char *s, uint64_t *out);

/* A device tree string list (NUL-separated) holds s. */
bool strlist_has(const char *list, size_t len, const char *s);
/* The list as one printable string, entries separated by commas. */
void strlist_join(const char *list, size_t len, char *out, size_t cap);
/* Copies s into out, each byte outside printable ASCII made '?'. */
void printable(const char *s, size_t len, char *out, size_t cap);

/*
 * Device tree properties of node (a path under CONFORM_DT_BASE: "" for the
 * root, "/psci", ...). dt_prop is read_bounded's; dt_u32 reads a one-cell
 * property.
 */
ssize_t dt_prop(const struct conform_ctx *ctx, const char *node,
		const char *prop, char *buf, size_t cap);
bool dt_u32(const struct conform_ctx *ctx, const char *node, const char *prop,
	    uint32_t *out);
/* The node's status is absent, "okay" or "ok" (not unreadable, too long). */
bool dt_enabled(const struct conform_ctx *ctx, const char *node);

/*
 * Walks the device tree's nodes depth first (at most 8 deep, 20000 nodes),
 * calling visit with each node's path (as dt_prop takes it). visit returns
 * non-zero to stop the walk, which then returns that value; -errno if the
 * tree cannot be opened.
 */
typedef int (*dt_visit_fn)(const struct conform_ctx *ctx, const char *node,
			   void *opaque);
int dt_walk(const struct conform_ctx *ctx, dt_visit_fn visit, void *opaque);

/*
 * The first enabled node whose compatible holds one of compats (a NULL-ended
 * list): its path into node, the matching string's index returned; -1 if
 * none.
 */
int dt_find_compatible(const struct conform_ctx *ctx,
		       const char *const *compats, char *node, size_t cap);

#endif
