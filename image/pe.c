// SPDX-License-Identifier: GPL-2.0
/* PE/COFF structure checks (Microsoft PE/COFF spec, sections 2-4). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "image/io.h"
#include "image/pe.h"
#include "lib/util.h"

static int pe_fail(struct pe_info *o, enum pe_error e, const char *fmt, ...)
{
	va_list ap;

	o->error = e;
	va_start(ap, fmt);
	vsnprintf(o->err, sizeof(o->err), fmt, ap);
	va_end(ap);
	return -1;
}

int pe_identify(const uint8_t *buf, size_t len, struct pe_info *o)
{
	uint32_t pe, opt, sect, ndirs, dirs_off, min_opt;
	uint16_t opt_size;
	int entry_found = 0;

	memset(o, 0, sizeof(*o));
	if (len < 64 || buf[0] != 'M' || buf[1] != 'Z')
		return pe_fail(
		    o, PE_ERR_MZ,
		    "offset 0: no \"MZ\" DOS header (file of %zu bytes)", len);
	pe = get_le32(buf + 0x3C);
	o->pe_offset = pe;
	if (!range_ok(pe, 24, len) || memcmp(buf + pe, "PE\0\0", 4))
		return pe_fail(
		    o, PE_ERR_SIGNATURE,
		    "offset 0x3c: e_lfanew 0x%x does not point at \"PE\\0\\0\" inside the file (%zu bytes)",
		    pe, len);
	o->machine = get_le16(buf + pe + 4);
	o->nsections = get_le16(buf + pe + 6);
	opt_size = get_le16(buf + pe + 20);
	o->have_coff = 1;
	o->arch = o->machine == PE_MACHINE_AARCH64	    ? PE_ARCH_AARCH64
		  : o->machine == PE_MACHINE_ARMTHUMB_MIXED ? PE_ARCH_ARM
							    : PE_ARCH_NONE;
	opt = pe + 24;
	if (!range_ok(opt, 2, len) || opt_size < 2)
		return pe_fail(
		    o, PE_ERR_TRUNCATED,
		    "offset 0x%x: optional header (%u bytes) past the end of the file (%zu bytes)",
		    opt, opt_size, len);
	o->magic = get_le16(buf + opt);
	if (o->magic == PE_MAGIC_PE32) {
		min_opt = 96;
		ndirs = opt + 92;
		dirs_off = opt + 96;
	} else if (o->magic == PE_MAGIC_PE32PLUS) {
		min_opt = 112;
		ndirs = opt + 108;
		dirs_off = opt + 112;
	} else {
		return pe_fail(
		    o, PE_ERR_MAGIC,
		    "offset 0x%x: optional header magic 0x%x, expected 0x10b (PE32) or 0x20b (PE32+)",
		    opt, o->magic);
	}
	if (opt_size < min_opt || !range_ok(opt, opt_size, len))
		return pe_fail(
		    o, PE_ERR_TRUNCATED,
		    "offset 0x%x: optional header of %u bytes (at least %u needed) does not fit in the file (%zu bytes)",
		    opt, opt_size, min_opt, len);
	o->entry_rva = get_le32(buf + opt + 16);
	o->section_alignment = get_le32(buf + opt + 32);
	o->file_alignment = get_le32(buf + opt + 36);
	o->size_of_image = get_le32(buf + opt + 56);
	o->size_of_headers = get_le32(buf + opt + 60);
	o->subsystem = get_le16(buf + opt + 68);
	o->dll_characteristics = get_le16(buf + opt + 70);
	o->have_optional = 1;

	/* Certificate table (data directory 4) holds a file offset. */
	if (get_le32(buf + ndirs) > 4 && dirs_off + 5 * 8 <= opt + opt_size) {
		uint32_t coff = get_le32(buf + dirs_off + 32);
		uint32_t csize = get_le32(buf + dirs_off + 36);

		if (csize && !range_ok(coff, csize, len))
			return pe_fail(
			    o, PE_ERR_TRUNCATED,
			    "certificate table at file offset 0x%x (%u bytes) past the end of the file (%zu bytes)",
			    coff, csize, len);
	}

	sect = opt + opt_size;
	if (!o->nsections)
		return pe_fail(o, PE_ERR_SECTIONS, "offset 0x%x: no sections",
			       pe + 6);
	if (!range_ok(sect, (uint64_t)o->nsections * 40, len))
		return pe_fail(
		    o, PE_ERR_TRUNCATED,
		    "offset 0x%x: section table (%u sections) past the end of the file (%zu bytes)",
		    sect, o->nsections, len);
	for (unsigned int i = 0; i < o->nsections; i++) {
		const uint8_t *s = buf + sect + 40 * i;
		uint32_t vsize = get_le32(s + 8), va = get_le32(s + 12);
		uint32_t rsize = get_le32(s + 16), rptr = get_le32(s + 20);
		uint64_t span = vsize > rsize ? vsize : rsize;
		char name[9];

		memcpy(name, s, 8);
		name[8] = 0;
		for (int j = 0; j < 8 && name[j]; j++)
			if (name[j] < 0x20 || name[j] > 0x7e)
				name[j] = '?';
		if (rsize && !range_ok(rptr, rsize, len))
			return pe_fail(
			    o, PE_ERR_TRUNCATED,
			    "section %u '%s': raw data at file offset 0x%x..0x%llx past the end of the file (%zu bytes)",
			    i + 1, name, rptr, (unsigned long long)rptr + rsize,
			    len);
		if ((uint64_t)va + span > 0xFFFFFFFFull)
			return pe_fail(
			    o, PE_ERR_SECTIONS,
			    "section %u '%s': address 0x%x + size 0x%llx overflows",
			    i + 1, name, va, (unsigned long long)span);
		if (o->entry_rva >= va && o->entry_rva < va + span)
			entry_found = 1;
	}
	if (!entry_found)
		return pe_fail(
		    o, PE_ERR_ENTRY,
		    "offset 0x%x: AddressOfEntryPoint 0x%x lies in no section",
		    opt + 16, o->entry_rva);
	return 0;
}

const char *pe_machine_name(uint16_t m)
{
	switch (m) {
	case PE_MACHINE_I386:
		return "i386";
	case PE_MACHINE_ARM:
		return "ARM (0x1c0, not UEFI's)";
	case PE_MACHINE_ARMTHUMB_MIXED:
		return "aarch32 (ARM Thumb mixed)";
	case PE_MACHINE_ARMNT:
		return "ARMNT (0x1c4, not UEFI's)";
	case PE_MACHINE_X86_64:
		return "x86-64";
	case PE_MACHINE_AARCH64:
		return "aarch64";
	case 0x0200:
		return "IA64";
	case 0x0EBC:
		return "EBC";
	case 0x5032:
		return "riscv32";
	case 0x5064:
		return "riscv64";
	case 0x6264:
		return "loongarch64";
	default:
		return "unknown";
	}
}

const char *pe_arch_boot_name(enum pe_arch a)
{
	return a == PE_ARCH_AARCH64 ? "BOOTAA64.EFI"
	       : a == PE_ARCH_ARM   ? "BOOTARM.EFI"
				    : NULL;
}

const char *pe_arch_name(enum pe_arch a)
{
	return a == PE_ARCH_AARCH64 ? "aarch64"
	       : a == PE_ARCH_ARM   ? "arm"
				    : "none";
}
