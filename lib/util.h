/* SPDX-License-Identifier: GPL-2.0 */
/* Small portable helpers shared by every part of armvm. */
#ifndef ARMVM_LIB_UTIL_H
#define ARMVM_LIB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	 (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define SZ_1K		 0x400ULL
#define SZ_1M		 0x100000ULL
#define SZ_2M		 0x200000ULL
#define SZ_1G		 0x40000000ULL

/*
 * Print "armvm: <message>" on stderr, one line. Every user-facing error goes
 * through here so that messages look alike.
 */
void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, prefixed "armvm: warning: ". */
void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * While a capture is on (this thread only), pr_err writes its message into
 * buf instead of stderr: a control-socket request replies with the error
 * the operation reported. The last message wins.
 */
void pr_capture_begin(char *buf, size_t size);
void pr_capture_end(void);
/* CLOCK_MONOTONIC in milliseconds (timeouts, rates, progress). */
int64_t monotonic_ms(void);
/* A message the user asked for by an option (--boot-marker's marks), on
 * stderr whether or not verbose output is on. */
void pr_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A capture inside another (which it suspends): pop restores the one
 * push found, on or off. */
struct pr_capture {
	char *buf;
	size_t size;
};
void pr_capture_push(struct pr_capture *saved, char *buf, size_t size);
void pr_capture_pop(const struct pr_capture *saved);
/* Informational message on stderr, only when verbose output is on. */
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool armvm_verbose;

/*
 * Parse a size such as "512M", "2G", "4096K" or "1048576". Suffixes K, M, G
 * and T (optionally followed by "iB" or "B") are binary multiples; a bare
 * number is multiplied by default_unit. Returns false on anything else,
 * including overflow.
 */
/* Are the n bytes at p all zero? (Guest RAM pages a snapshot or a live
 * migration need not carry.) */
bool mem_is_zero(const void *p, size_t n);

bool parse_size(const char *s, uint64_t default_unit, uint64_t *out);

/* snprintf into a caller's error buffer (nothing when errlen is 0). */
void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Make text that came from an untrusted place (a name in a guest's disk)
 * safe for a terminal, in place: C0 controls and DEL become "\xNN", the C1
 * controls U+0080..U+009F (which some terminals obey, e.g. U+009B as CSI)
 * "\u00NN". The result is cut to fit size (always NUL-terminated).
 */
void escape_controls(char *s, size_t size);

/*
 * Make a rename or creation in path's directory durable: fsync the
 * directory (a file's fsync does not cover its name). 0, or -1 with errno.
 */
int fsync_parent_dir(const char *path);

/*
 * Read a whole regular file of at most max_size bytes into a malloc'ed
 * buffer; -1 with a one-line message naming the path on error.
 */
int read_file(const char *path, uint8_t **data, size_t *size, size_t max_size);

/* Parse a decimal unsigned integer in [min, max]; false otherwise. */
bool parse_uint(const char *s, unsigned long min, unsigned long max,
		unsigned long *out);

/* Little-endian loads and stores, for guest-visible and on-disk layouts. */
static inline uint16_t get_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}
static inline uint32_t get_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}
static inline uint64_t get_le64(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)get_le32(b) | (uint64_t)get_le32(b + 4) << 32;
}
static inline void put_le16(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = v;
	b[1] = v >> 8;
}
static inline void put_le32(void *p, uint32_t v)
{
	uint8_t *b = p;
	b[0] = v;
	b[1] = v >> 8;
	b[2] = v >> 16;
	b[3] = v >> 24;
}
static inline void put_le64(void *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

#endif
