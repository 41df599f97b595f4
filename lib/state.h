/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records of a snapshot (issue 13): what a device model, a vCPU or the GIC
 * saves, and reads back at restore. Values are little-endian and fixed in
 * size, so that the same state always gives the same bytes (two snapshots
 * of a paused VM are identical files). A snapshot is read back from a file
 * anyone may have altered, so every read is bounds-checked: reading past
 * the record, or a value a check refuses, fails the reader with a message
 * (sr_fail), and from then on every read returns 0. Callers check once, at
 * the end (sr_done), and before using a value as a size or an index (the
 * sr_*_max helpers check it for them).
 */
#ifndef ARMVM_LIB_STATE_H
#define ARMVM_LIB_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct state_writer {
	uint8_t *buf;
	size_t len, cap;
	bool failed; /* out of memory: the writer holds nothing useful */
};

void sw_init(struct state_writer *w);
void sw_free(struct state_writer *w);
void sw_u8(struct state_writer *w, uint8_t v);
void sw_u16(struct state_writer *w, uint16_t v);
void sw_u32(struct state_writer *w, uint32_t v);
void sw_u64(struct state_writer *w, uint64_t v);
void sw_bool(struct state_writer *w, bool v);
void sw_bytes(struct state_writer *w, const void *p, size_t n);
/* A string: its length (u32), then its bytes. */
void sw_string(struct state_writer *w, const char *s);

struct state_reader {
	const uint8_t *buf;
	size_t len, pos;
	bool failed;
	char why[160]; /* the first failure */
};

void sr_init(struct state_reader *r, const void *buf, size_t len);
uint8_t sr_u8(struct state_reader *r);
uint16_t sr_u16(struct state_reader *r);
uint32_t sr_u32(struct state_reader *r);
uint64_t sr_u64(struct state_reader *r);
/* A byte that must be 0 or 1. */
bool sr_bool(struct state_reader *r);
void sr_bytes(struct state_reader *r, void *p, size_t n);
/* A value that must not exceed max (a size, an index, a count): what is
 * read, or 0 with the reader failed, naming what. */
uint32_t sr_u32_max(struct state_reader *r, uint32_t max, const char *what);
uint64_t sr_u64_max(struct state_reader *r, uint64_t max, const char *what);
/* A string of fewer than size bytes into buf (NUL-terminated); one that
 * does not fit, or holds a NUL, fails the reader naming what. */
void sr_string(struct state_reader *r, char *buf, size_t size,
	       const char *what);
/* A register value with no bits outside mask (what a guest write could
 * leave there): what is read, or 0 with the reader failed, naming what. */
uint32_t sr_u32_mask(struct state_reader *r, uint32_t mask, const char *what);
uint8_t sr_u8_mask(struct state_reader *r, uint8_t mask, const char *what);
/* Fail the reader (the first message stays). */
void sr_fail(struct state_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The record was read whole and nothing failed: 0; else -1 (why says). */
int sr_done(struct state_reader *r);

#endif
