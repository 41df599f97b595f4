/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GUIDs as stored on disk (UEFI 2.4A appendix A: the first three fields
 * little-endian, the last eight bytes in order), UTF-16 helpers for GPT
 * partition names and FAT long names.
 */
#ifndef ARMVM_IMAGE_GUID_H
#define ARMVM_IMAGE_GUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUID_STR_LEN 37 /* "C12A7328-F81F-11D2-BA4B-00A0C93EC93B" + NUL */

/* Parse the text form into on-disk bytes; false if malformed. */
bool guid_parse(const char *s, uint8_t out[16]);
void guid_format(const uint8_t g[16], char out[GUID_STR_LEN]);
bool guid_is_zero(const uint8_t g[16]);

/* Partition type GUIDs by short name ("esp", "linux", ...), else NULL. */
const char *gpt_type_by_name(const char *name);
/* A short human name for a known type GUID ("EFI System"), else NULL. */
const char *gpt_type_describe(const uint8_t g[16]);

#define GPT_TYPE_ESP "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"

/*
 * Convert n UTF-16LE code units (stops at a NUL unit) to UTF-8 in out
 * (always NUL-terminated; unpaired surrogates become U+FFFD).
 */
void utf16le_to_utf8(const uint8_t *in, size_t n, char *out, size_t outlen);
/*
 * Convert a NUL-terminated UTF-8 string to UTF-16 code units. Returns the
 * number of units, or -1 on invalid UTF-8 or when more than max are needed.
 */
int utf8_to_utf16(const char *in, uint16_t *out, size_t max);

#endif
