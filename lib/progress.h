/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A progress line for long work (issue 16 part 5): "WHAT: 42% (113 of
 * 268 MiB)" rewritten in place on a terminal, at most ten times a second,
 * and erased at the end; nothing at all when the stream is not a terminal
 * (a log, a pipe, a test), so that scripted output never changes.
 */
#ifndef ARMVM_LIB_PROGRESS_H
#define ARMVM_LIB_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct progress {
	FILE *out;	  /* NULL: off */
	const char *what; /* the line's label */
	uint64_t total, done;
	int64_t last_ms; /* when the line was last drawn (-1: never) */
	int last_pct;
	bool drawn; /* a line is on the terminal, to be erased */
};

/*
 * Start a progress of total bytes labelled what, on out if out is a
 * terminal (progress_start_on: whether or not it is one, for tests).
 * Off when total is 0.
 */
void progress_start(struct progress *p, FILE *out, const char *what,
		    uint64_t total);
void progress_start_on(struct progress *p, FILE *out, const char *what,
		       uint64_t total);
/* n more bytes done; redraws when a tenth of a second has passed and the
 * percentage moved (always for the first call). */
void progress_add(struct progress *p, uint64_t n);
/* Erase the line (before any other message, and at the end). */
void progress_end(struct progress *p);

#endif
