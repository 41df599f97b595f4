/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The UEFI conformance application's pure parts: no EFI call and no libc
 * call, so the same file builds into BOOTAA64.EFI/BOOTARM.EFI with gnu-efi
 * and into a host-native unit test (tests/unit/test_conform_uefi.c).
 *
 * - the output contract: CONFORM lines, sanitised evidence, a small
 *   snprintf subset;
 * - the run's phase, read back from the results file on the ESP;
 * - a bounded FDT walker (the FDT is the firmware's, so input: every
 *   offset is checked against the blob's size);
 * - the EFI_TIME validator and arithmetic.
 */
#ifndef ARMVM_CONFORM_UEFI_PURE_H
#define ARMVM_CONFORM_UEFI_PURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Output. */
#define CF_EVIDENCE_MAX 200
#define CF_LINE_MAX	512

enum cf_status { CF_PASS, CF_FAIL, CF_SKIP };

struct cf_tally {
	unsigned int pass, fail, skip;
};

size_t cf_strlen(const char *s);
int cf_strcmp(const char *a, const char *b);
/* A subset of snprintf: %s %c %d %u %x with l/ll/z, a 0 flag and a width. */
size_t cf_fmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "CONFORM id rules STATUS evidence"; evidence is made printable ASCII
 * (anything else becomes '?'), cut to CF_EVIDENCE_MAX, '-' when empty. */
size_t cf_line(char *buf, size_t size, const char *id, const char *rules,
	       enum cf_status st, const char *evidence);
size_t cf_begin_line(char *buf, size_t size, const char *arch);
size_t cf_end_line(char *buf, size_t size, const struct cf_tally *t);
void cf_tally_add(struct cf_tally *t, enum cf_status st);

/*
 * The run's phase, from the results file \conform.txt: the app writes a
 * "# pending reset" or "# pending restart" line as the file's last line
 * before it resets or powers off for the next step (docs/conformance-uefi.md).
 */
#define CF_PENDING_RESET   "# pending reset"
#define CF_PENDING_RESTART "# pending restart"

enum cf_phase { CF_PHASE_FRESH, CF_PHASE_AFTER_RESET, CF_PHASE_AFTER_RESTART };

/* The phase the file's last line names, and the tally of the CONFORM lines
 * after its last CONFORM-BEGIN (the block a reset interrupted). */
enum cf_phase cf_log_phase(const char *log, size_t len, struct cf_tally *t);

/* Whether path (ASCII, from the LoadedImage's file path nodes) is
 * \EFI\BOOT\<bootname>, ignoring case and doubled backslashes. */
bool cf_removable_path(const char *path, const char *bootname);

/* FDT. */
#define CF_FDT_MAGIC	   0xd00dfeedu
#define CF_FDT_HEADER_SIZE 40u
#define CF_FDT_MAX_SIZE	   (16u << 20)
#define CF_FDT_MAX_DEPTH   32
#define CF_FDT_MAX_MEM	   16

struct cf_range {
	uint64_t base, size;
};

struct cf_fdt_info {
	uint32_t totalsize, version;
	unsigned int nodes;
	uint32_t addr_cells, size_cells; /* the root's */
	unsigned int cpus; /* /cpus children with device_type "cpu" */
	unsigned int mem_nodes, mem_disabled;
	unsigned int nmem;
	bool mem_overflow;
	struct cf_range mem[CF_FDT_MAX_MEM];
	char gic[32];	/* the first GICv2+ compatible seen, "" if none */
	char timer[32]; /* arm,armv8-timer or arm,armv7-timer */
	bool pl011;
	char stdout_path[64]; /* /chosen stdout-path, "" if none */
	bool pcie_ecam;	      /* pci-host-ecam-generic */
	bool psci;
	/* The first reg entry of the first such node that is a child of the
	 * root (in the root's cells), size 0 if none: HW-2 checks them
	 * against RAM. */
	struct cf_range gic_reg, pl011_reg, ecam_reg;
};

/* Checks the header of a blob of which avail bytes may be read (avail may
 * be just the header's 40 bytes to learn totalsize first). Returns 0 and
 * totalsize, or -1 with why. */
int cf_fdt_header(const void *blob, size_t avail, uint32_t *totalsize,
		  char *why, size_t whysize);
/* Walks the whole structure block of a blob of size bytes (>= totalsize).
 * Returns 0 and fills info, or -1 with why on malformed input. */
int cf_fdt_walk(const void *blob, size_t size, struct cf_fdt_info *info,
		char *why, size_t whysize);
/* Whether [base, base+size) overlaps any of the ranges. */
bool cf_ranges_overlap(const struct cf_range *r, unsigned int n, uint64_t base,
		       uint64_t size);
/* Whether [base, base+size) lies within the union of the ranges. */
bool cf_ranges_cover(const struct cf_range *r, unsigned int n, uint64_t base,
		     uint64_t size);

/*
 * ACPI (HW-3): the RSDP the configuration table points at. Only its own
 * bytes are read: 20 for revision 0, its Length field's (36..4096) from
 * revision 2 on.
 */
#define CF_RSDP_V1_SIZE 20u
#define CF_RSDP_V2_SIZE 36u
#define CF_RSDP_MAX	4096u

struct cf_rsdp {
	uint8_t revision;
	uint32_t length; /* bytes the checksums cover */
	uint32_t rsdt;	 /* 0 if none */
	uint64_t xsdt;	 /* 0 before revision 2 */
	char oem[7];	 /* printable, NUL-terminated */
};

/* How many bytes of the RSDP to read, judged from the avail bytes read so
 * far: 20 (revision 0, or fewer than 20 read), 24 (revision 2, its Length
 * field not yet read), the Length field, or 0 when that is out of bounds.
 * Read more while the answer is more than avail. */
uint32_t cf_rsdp_length(const void *rsdp, size_t avail);
/* Checks signature, checksums and length of an RSDP of which avail bytes
 * may be read. Returns 0 and fills out, or -1 with why. */
int cf_rsdp_check(const void *rsdp, size_t avail, struct cf_rsdp *out,
		  char *why, size_t whysize);

/* Time: the fields of EFI_TIME. */
#define CF_TZ_UNSPECIFIED 0x07ff

struct cf_time {
	uint16_t year;
	uint8_t month, day, hour, minute, second;
	uint32_t nanosecond;
	int16_t timezone;
	uint8_t daylight;
};

/* A time GetTime may return: year 2000..2099 (FWTS's bound for a sane
 * clock), a day that exists, hour < 24 ..., timezone -1440..1440 or
 * unspecified, daylight bits 0..1 only. */
bool cf_time_valid(const struct cf_time *t, char *why, size_t whysize);
/* t + seconds (any sign), day, month and year carried. */
void cf_time_add(struct cf_time *t, int32_t seconds);
/* a - b in seconds (timezones ignored: both come from the same clock). */
int64_t cf_time_diff(const struct cf_time *a, const struct cf_time *b);
size_t cf_time_str(char *buf, size_t size, const struct cf_time *t);

#endif
