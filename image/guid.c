// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "image/guid.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool guid_parse(const char *s, uint8_t out[16])
{
	/* Text order of the 16 bytes, mapped to their on-disk positions. */
	static const int pos[16] = {3, 2, 1,  0,  5,  4,  7,  6,
				    8, 9, 10, 11, 12, 13, 14, 15};
	int i = 0;

	if (strlen(s) != 36)
		return false;
	for (int c = 0; c < 36;) {
		int hi, lo;

		if (c == 8 || c == 13 || c == 18 || c == 23) {
			if (s[c] != '-')
				return false;
			c++;
			continue;
		}
		hi = hexval(s[c]);
		lo = hexval(s[c + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[pos[i++]] = (uint8_t)(hi << 4 | lo);
		c += 2;
	}
	return true;
}

void guid_format(const uint8_t g[16], char out[GUID_STR_LEN])
{
	snprintf(
	    out, GUID_STR_LEN,
	    "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
	    g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10],
	    g[11], g[12], g[13], g[14], g[15]);
}

bool guid_is_zero(const uint8_t g[16])
{
	for (int i = 0; i < 16; i++)
		if (g[i])
			return false;
	return true;
}

/* Type GUIDs: UEFI 2.4A table 19, and the Discoverable Partitions Spec. */
static const struct {
	const char *name, *guid, *desc;
} gpt_types[] = {
    {"esp", GPT_TYPE_ESP, "EFI System"},
    {"linux", "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "Linux filesystem"},
    {"root-arm64", "B921B045-1DF0-41C3-AF44-4C6F280D3FAE",
     "Linux root (arm64)"},
    {"root-arm", "69DAD710-2CE4-4E3C-B16C-21A1D49ABED3", "Linux root (arm)"},
    {"xbootldr", "BC13C2FF-59E6-4262-A352-B275FD6F7172", "Linux extended boot"},
    {"swap", "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", "Linux swap"},
    {"basic-data", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7",
     "Microsoft basic data"},
};

const char *gpt_type_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(gpt_types) / sizeof(gpt_types[0]); i++)
		if (!strcasecmp(name, gpt_types[i].name))
			return gpt_types[i].guid;
	return NULL;
}

const char *gpt_type_describe(const uint8_t g[16])
{
	uint8_t b[16];

	for (size_t i = 0; i < sizeof(gpt_types) / sizeof(gpt_types[0]); i++)
		if (guid_parse(gpt_types[i].guid, b) && !memcmp(b, g, 16))
			return gpt_types[i].desc;
	return NULL;
}

static size_t put_utf8(char *out, size_t pos, size_t outlen, uint32_t cp)
{
	char tmp[4];
	size_t n;

	if (cp < 0x80) {
		tmp[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		tmp[0] = (char)(0xC0 | cp >> 6);
		tmp[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		tmp[0] = (char)(0xE0 | cp >> 12);
		tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		tmp[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		tmp[0] = (char)(0xF0 | cp >> 18);
		tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		tmp[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	if (pos + n >= outlen)
		return pos;
	memcpy(out + pos, tmp, n);
	return pos + n;
}

void utf16le_to_utf8(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	size_t pos = 0;

	if (!outlen)
		return;
	for (size_t i = 0; i < n; i++) {
		uint32_t u = (uint32_t)in[2 * i] | (uint32_t)in[2 * i + 1] << 8;

		if (!u)
			break;
		if (u >= 0xD800 && u < 0xDC00 && i + 1 < n) {
			uint32_t l = (uint32_t)in[2 * i + 2] |
				     (uint32_t)in[2 * i + 3] << 8;

			if (l >= 0xDC00 && l < 0xE000) {
				u = 0x10000 + ((u - 0xD800) << 10) +
				    (l - 0xDC00);
				i++;
			} else {
				u = 0xFFFD;
			}
		} else if (u >= 0xD800 && u < 0xE000) {
			u = 0xFFFD;
		}
		pos = put_utf8(out, pos, outlen, u);
	}
	out[pos] = 0;
}

int utf8_to_utf16(const char *in, uint16_t *out, size_t max)
{
	const uint8_t *p = (const uint8_t *)in;
	size_t n = 0;

	while (*p) {
		uint32_t cp;
		int extra;

		if (*p < 0x80) {
			cp = *p;
			extra = 0;
		} else if ((*p & 0xE0) == 0xC0) {
			cp = *p & 0x1F;
			extra = 1;
		} else if ((*p & 0xF0) == 0xE0) {
			cp = *p & 0x0F;
			extra = 2;
		} else if ((*p & 0xF8) == 0xF0) {
			cp = *p & 0x07;
			extra = 3;
		} else {
			return -1;
		}
		p++;
		for (int i = 0; i < extra; i++, p++) {
			if ((*p & 0xC0) != 0x80)
				return -1;
			cp = cp << 6 | (*p & 0x3F);
		}
		if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
		    (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp < 0xE000))
			return -1;
		if (cp >= 0x10000) {
			if (n + 2 > max)
				return -1;
			cp -= 0x10000;
			out[n++] = (uint16_t)(0xD800 + (cp >> 10));
			out[n++] = (uint16_t)(0xDC00 + (cp & 0x3FF));
		} else {
			if (n + 1 > max)
				return -1;
			out[n++] = (uint16_t)cp;
		}
	}
	return (int)n;
}
