/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PE/COFF reader for UEFI images (UEFI 2.4A 2.1.1; Microsoft PE/COFF
 * specification). It checks the structure only: that the headers, the
 * section table and every section's raw data lie inside the file and that
 * the entry point lies in a section. What a given use accepts (machine,
 * optional-header magic, subsystem: IMG-5) is left to the caller.
 */
#ifndef ARMVM_IMAGE_PE_H
#define ARMVM_IMAGE_PE_H

#include <stddef.h>
#include <stdint.h>

#define PE_MACHINE_I386		  0x014C
#define PE_MACHINE_ARM		  0x01C0
#define PE_MACHINE_ARMTHUMB_MIXED 0x01C2 /* UEFI's aarch32 */
#define PE_MACHINE_ARMNT	  0x01C4
#define PE_MACHINE_X86_64	  0x8664
#define PE_MACHINE_AARCH64	  0xAA64

#define PE_MAGIC_PE32	  0x10B
#define PE_MAGIC_PE32PLUS 0x20B

#define PE_SUBSYSTEM_EFI_APPLICATION 10

enum pe_arch {
	PE_ARCH_NONE = 0,
	PE_ARCH_AARCH64, /* Machine 0xAA64: \EFI\BOOT\BOOTAA64.EFI */
	PE_ARCH_ARM,	 /* Machine 0x01C2: \EFI\BOOT\BOOTARM.EFI */
};

/* Error classes; pe_info.err says which field and where. */
enum pe_error {
	PE_OK = 0,
	PE_ERR_MZ,	  /* no "MZ" DOS header */
	PE_ERR_SIGNATURE, /* e_lfanew out of range or no "PE\0\0" */
	PE_ERR_TRUNCATED, /* a header, the section table or data past EOF */
	PE_ERR_MAGIC,	  /* optional header magic neither PE32 nor PE32+ */
	PE_ERR_SECTIONS,  /* no sections, or inconsistent sections */
	PE_ERR_ENTRY,	  /* entry point outside every section */
};

struct pe_info {
	/* Valid from the COFF header on (machine) / optional header on. */
	uint16_t machine, magic, subsystem, nsections, dll_characteristics;
	uint32_t pe_offset, entry_rva, section_alignment, file_alignment;
	uint32_t size_of_image, size_of_headers;
	int have_coff, have_optional; /* which of the above are valid */
	enum pe_arch arch;	      /* from machine */
	enum pe_error error;
	char err[160];
};

/*
 * Parse the PE/COFF image in buf. Returns 0 when the structure is sound,
 * else -1 with out->error and out->err set; fields read before the error
 * are still filled in (have_coff, have_optional).
 */
int pe_identify(const uint8_t *buf, size_t len, struct pe_info *out);

/* "aarch64", "x86-64", ... or "unknown". */
const char *pe_machine_name(uint16_t machine);
/* The removable-media file name of an architecture (UEFI 2.4A 3.4.1.1). */
const char *pe_arch_boot_name(enum pe_arch a);
/* "aarch64" or "arm". */
const char *pe_arch_name(enum pe_arch a);

#endif
