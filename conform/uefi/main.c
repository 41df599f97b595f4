// SPDX-License-Identifier: GPL-2.0
/*
 * The UEFI conformance application (issue 14, docs/conformance-uefi.md):
 * BOOTAA64.EFI / BOOTARM.EFI, booted from an image's removable-media path,
 * checks what only the firmware shows (its tables, its runtime services)
 * and prints one CONFORM line per check on the console and into
 * \conform.txt on the ESP it was loaded from. A run spans one reset and,
 * driven by the host, one restart of the VM instance; the results file
 * tells each boot where the run stands.
 *
 * The firmware's tables are input: every walk is bounded, and a step that
 * fails is a FAIL with evidence.
 */
#include <efi.h>
#include <efilib.h>

#include "conform/uefi/pure.h"

#if defined(__aarch64__)
#define CF_ARCH	    "aarch64"
#define CF_BOOTNAME "BOOTAA64.EFI"
#elif defined(__arm__)
#define CF_ARCH	    "arm"
#define CF_BOOTNAME "BOOTARM.EFI"
#else
#error "aarch64 or arm only"
#endif

#define CF_LOG_NAME   L"\\conform.txt"
#define CF_LOG_MAX    (64u << 10)
#define CF_STATE_NAME L"ArmvmConformState"
#define CF_TEST_NAME  L"ArmvmConformUefiTest"
#define CF_NV_ATTRS                                                    \
	(EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | \
	 EFI_VARIABLE_RUNTIME_ACCESS)

/* The vendor GUID armvm-conform (conform/linux) uses for its variable. */
static EFI_GUID cf_vendor = {0x3f6d2a1c,
			     0x7b4e,
			     0x4c9a,
			     {0x9e, 0x15, 0x2d, 0x8b, 0x0c, 0x6f, 0x4a, 0x73}};
static EFI_GUID cf_fdt_guid = {
    0xb1b621d5,
    0xf19c,
    0x41a5,
    {0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0}};
static EFI_GUID cf_acpi20_guid = ACPI_20_TABLE_GUID;
static EFI_GUID cf_acpi10_guid = ACPI_TABLE_GUID;
static EFI_GUID cf_rng_guid = EFI_RNG_PROTOCOL_GUID;

static EFI_LOADED_IMAGE *cf_loaded;
static EFI_FILE_HANDLE cf_log; /* NULL when the ESP cannot be written */
static struct cf_tally cf_tally;
static const void *cf_fdt; /* the checked FDT, NULL if none */
static uint32_t cf_fdt_size;

/* One line to the console and to the results file. */
static void cf_out(const char *line)
{
	UINTN n = cf_strlen(line);

	Print(L"%a\n", line);
	if (!cf_log)
		return;
	if (uefi_call_wrapper(cf_log->Write, 3, cf_log, &n, (void *)line) ==
	    EFI_SUCCESS) {
		n = 1;
		uefi_call_wrapper(cf_log->Write, 3, cf_log, &n, "\n");
	}
	uefi_call_wrapper(cf_log->Flush, 1, cf_log);
}

static void cf_report(const char *id, const char *rules, enum cf_status st,
		      const char *evidence)
{
	char line[CF_LINE_MAX];

	cf_line(line, sizeof(line), id, rules, st, evidence);
	cf_tally_add(&cf_tally, st);
	cf_out(line);
}

/* The results file on the ESP the app was loaded from, opened (created
 * if need be) into cf_log; cf_log stays NULL if that fails. */
static EFI_STATUS cf_log_create(void)
{
	EFI_FILE_HANDLE root = LibOpenRoot(cf_loaded->DeviceHandle);
	EFI_STATUS s;

	cf_log = NULL;
	if (!root)
		return EFI_NOT_FOUND;
	s = uefi_call_wrapper(
	    root->Open, 5, root, &cf_log, CF_LOG_NAME,
	    EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE, 0);
	uefi_call_wrapper(root->Close, 1, root);
	if (s != EFI_SUCCESS)
		cf_log = NULL;
	return s;
}

/* The results file: opened, its old contents read into *old (a pool
 * buffer, freed by the caller) for the phase. */
static EFI_STATUS cf_log_open(char **old, UINTN *oldlen)
{
	UINTN n = CF_LOG_MAX;
	EFI_STATUS s;

	*old = NULL;
	*oldlen = 0;
	s = cf_log_create();
	if (s != EFI_SUCCESS)
		return s;
	*old = AllocatePool(n);
	if (!*old)
		return EFI_OUT_OF_RESOURCES;
	s = uefi_call_wrapper(cf_log->Read, 3, cf_log, &n, *old);
	if (s != EFI_SUCCESS)
		n = 0;
	*oldlen = n;
	return EFI_SUCCESS;
}

/* A fresh run: the old results go. */
static void cf_log_truncate(void)
{
	EFI_STATUS s = uefi_call_wrapper(cf_log->Delete, 1, cf_log);

	cf_log = NULL;
	if (s == EFI_SUCCESS) /* a warning: the handle is closed either way */
		cf_log_create();
}

static void cf_log_append(void)
{
	if (cf_log)
		uefi_call_wrapper(cf_log->SetPosition, 2, cf_log,
				  0xFFFFFFFFFFFFFFFFULL);
}

static void cf_log_close(void)
{
	if (cf_log)
		uefi_call_wrapper(cf_log->Close, 1, cf_log);
	cf_log = NULL;
}

/*
 * \conform.dtb: the FDT as this firmware hands it to the OS, for the host
 * to validate against the kernel's binding schemas (conform.dt-schema,
 * docs/conformance.md). Written on a run's first boot only; a stale copy
 * goes when there is no valid FDT to write. The size is the header's,
 * already checked against the memory map (uefi.fdt-table) and bounded by
 * CF_FDT_SAVE_MAX here; the host reads at most that much back.
 */
#define CF_FDT_FILE_NAME L"\\conform.dtb"
#define CF_FDT_SAVE_MAX	 (2u << 20)

static void cf_save_fdt(void)
{
	EFI_FILE_HANDLE root = LibOpenRoot(cf_loaded->DeviceHandle), f;
	UINTN n = cf_fdt_size;
	EFI_STATUS s;

	if (!root)
		return;
	/* Deleted first: writing over an old, longer copy would leave its
	 * tail behind. Delete closes the handle whatever it returns. */
	if (uefi_call_wrapper(root->Open, 5, root, &f, CF_FDT_FILE_NAME,
			      EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE,
			      0) == EFI_SUCCESS)
		uefi_call_wrapper(f->Delete, 1, f);
	if (!cf_fdt || cf_fdt_size > CF_FDT_SAVE_MAX) {
		uefi_call_wrapper(root->Close, 1, root);
		return;
	}
	s = uefi_call_wrapper(
	    root->Open, 5, root, &f, CF_FDT_FILE_NAME,
	    EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE, 0);
	uefi_call_wrapper(root->Close, 1, root);
	if (s != EFI_SUCCESS) {
		Print(L"# cannot create \\conform.dtb: %r\n", s);
		return;
	}
	s = uefi_call_wrapper(f->Write, 3, f, &n, (void *)cf_fdt);
	if (s != EFI_SUCCESS || n != cf_fdt_size)
		Print(L"# \\conform.dtb: %r after %lu of %u bytes\n", s,
		      (unsigned long)n, cf_fdt_size);
	uefi_call_wrapper(f->Close, 1, f);
}

/* The run's state variable: "reset" or "restart", "" when absent. */
static EFI_STATUS cf_state_get(char *buf, UINTN size)
{
	UINTN n = size - 1;
	UINT32 attrs = 0;
	EFI_STATUS s;

	buf[0] = 0;
	s = uefi_call_wrapper(RT->GetVariable, 5, CF_STATE_NAME, &cf_vendor,
			      &attrs, &n, buf);
	if (s == EFI_SUCCESS)
		buf[n] = 0;
	else
		buf[0] = 0;
	return s;
}

static EFI_STATUS cf_state_set(const char *value)
{
	return uefi_call_wrapper(RT->SetVariable, 5, CF_STATE_NAME, &cf_vendor,
				 CF_NV_ATTRS, value ? cf_strlen(value) : 0,
				 (void *)value);
}

static void cf_power_off(void)
{
	cf_log_close();
	uefi_call_wrapper(RT->ResetSystem, 4, EfiResetShutdown, EFI_SUCCESS, 0,
			  NULL);
	Print(L"# ResetSystem(EfiResetShutdown) returned\n");
}

/* uefi.removable-path: the file path nodes of the LoadedImage, joined. */
static void cf_check_removable_path(void)
{
	EFI_DEVICE_PATH *dp = cf_loaded->FilePath;
	char path[256], ev[CF_LINE_MAX];
	size_t n = 0;
	unsigned int nodes;

	path[0] = 0;
	for (nodes = 0; dp && nodes < 64 && !IsDevicePathEnd(dp); nodes++) {
		UINTN len = DevicePathNodeLength(dp);

		if (len < 4)
			break;
		if (DevicePathType(dp) == MEDIA_DEVICE_PATH &&
		    DevicePathSubType(dp) == MEDIA_FILEPATH_DP) {
			const CHAR16 *name =
			    ((FILEPATH_DEVICE_PATH *)dp)->PathName;
			UINTN i, chars = (len - 4) / sizeof(CHAR16);

			if (n && path[n - 1] != '\\' && n + 1 < sizeof(path))
				path[n++] = '\\';
			for (i = 0;
			     i < chars && name[i] && n + 1 < sizeof(path); i++)
				path[n++] =
				    name[i] < 0x80 ? (char)name[i] : '?';
			path[n] = 0;
		}
		dp = NextDevicePathNode(dp);
	}
	if (cf_removable_path(path, CF_BOOTNAME)) {
		cf_fmt(ev, sizeof(ev), "loaded from %s", path);
		cf_report("uefi.removable-path", "FW-1", CF_PASS, ev);
	} else {
		cf_fmt(ev, sizeof(ev), "loaded from '%s', not \\EFI\\BOOT\\%s",
		       path, CF_BOOTNAME);
		cf_report("uefi.removable-path", "FW-1", CF_FAIL, ev);
	}
}

static bool cf_guid_eq(const EFI_GUID *a, const EFI_GUID *b)
{
	const UINT8 *x = (const UINT8 *)a, *y = (const UINT8 *)b;
	unsigned int i;

	for (i = 0; i < sizeof(EFI_GUID); i++)
		if (x[i] != y[i])
			return false;
	return true;
}

static void *cf_config_table(EFI_GUID *guid)
{
	UINTN i, n = ST->NumberOfTableEntries;

	if (n > 1024) /* a corrupt count: look at no more */
		n = 1024;
	for (i = 0; ST->ConfigurationTable && i < n; i++)
		if (cf_guid_eq(&ST->ConfigurationTable[i].VendorGuid, guid))
			return ST->ConfigurationTable[i].VendorTable;
	return NULL;
}

/* Memory the OS may use as RAM once boot services end (UEFI 2.x, 7.2,
 * EFI_MEMORY_TYPE): what the FDT's memory nodes must describe (HW-2). */
static bool cf_is_os_ram(UINT32 type)
{
	switch (type) {
	case EfiConventionalMemory:
	case EfiLoaderCode:
	case EfiLoaderData:
	case EfiBootServicesCode:
	case EfiBootServicesData:
		return true;
	default:
		return false;
	}
}

/* The UEFI memory map as ranges (a pool buffer, freed by the caller):
 * with ram, only what the OS may use as RAM; without, every type but MMIO
 * and unusable memory. NULL if GetMemoryMap fails. */
static struct cf_range *cf_map_ranges(bool ram, unsigned int *count)
{
	UINTN entries = 0, key, dsize = 0, i;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *map =
	    LibMemoryMap(&entries, &key, &dsize, &dver);
	struct cf_range *r = NULL;
	unsigned int n = 0;

	*count = 0;
	if (!map)
		return NULL;
	if (dsize < sizeof(EFI_MEMORY_DESCRIPTOR) || entries > 4096)
		goto out;
	r = AllocatePool(entries * sizeof(*r) + 1);
	if (!r)
		goto out;
	for (i = 0; i < entries; i++) {
		EFI_MEMORY_DESCRIPTOR *d =
		    (EFI_MEMORY_DESCRIPTOR *)((UINT8 *)map + i * dsize);
		bool take;

		switch (d->Type) {
		case EfiMemoryMappedIO:
		case EfiMemoryMappedIOPortSpace:
		case EfiUnusableMemory:
			take = false;
			break;
		default:
			take = cf_is_os_ram(d->Type) || !ram;
			break;
		}
		if (!take || d->NumberOfPages > (UINT64_MAX >> 12))
			continue;
		r[n].base = d->PhysicalStart;
		r[n].size = d->NumberOfPages << 12;
		n++;
	}
	*count = n;
out:
	FreePool(map);
	return r;
}

/*
 * Whether [base, base + size) lies in memory the UEFI memory map describes
 * (any type but MMIO and unusable memory). A firmware table is read only
 * there: its address is the firmware's, so input (HW-1, HW-3).
 */
static bool cf_in_memory_map(uint64_t base, uint64_t size)
{
	unsigned int n;
	struct cf_range *r = cf_map_ranges(false, &n);
	bool ok;

	if (!r)
		return false;
	ok = size && cf_ranges_cover(r, n, base, size);
	FreePool(r);
	return ok;
}

/* uefi.fdt-table (HW-1): the FDT is in the configuration table, in memory
 * the memory map describes, and its header is sound. */
static void cf_check_fdt_table(void)
{
	const void *fdt = cf_config_table(&cf_fdt_guid);
	char ev[CF_LINE_MAX], why[160];
	uint32_t size = 0;

	if (!fdt) {
		cf_report(
		    "uefi.fdt-table", "HW-1", CF_FAIL,
		    "no FDT GUID b1b621d5-f19c-41a5-830b-d9152c69aae0 in the configuration table");
		return;
	}
	if (!cf_in_memory_map((uintptr_t)fdt, CF_FDT_HEADER_SIZE)) {
		cf_fmt(ev, sizeof(ev),
		       "FDT at 0x%lx: its header is not in the memory map",
		       (unsigned long)(uintptr_t)fdt);
		cf_report("uefi.fdt-table", "HW-1", CF_FAIL, ev);
		return;
	}
	if (cf_fdt_header(fdt, CF_FDT_HEADER_SIZE, &size, why, sizeof(why))) {
		cf_fmt(ev, sizeof(ev), "FDT at 0x%lx: %s",
		       (unsigned long)(uintptr_t)fdt, why);
		cf_report("uefi.fdt-table", "HW-1", CF_FAIL, ev);
		return;
	}
	if (!cf_in_memory_map((uintptr_t)fdt, size)) {
		cf_fmt(ev, sizeof(ev),
		       "FDT at 0x%lx: its %u bytes are not in the memory map",
		       (unsigned long)(uintptr_t)fdt, size);
		cf_report("uefi.fdt-table", "HW-1", CF_FAIL, ev);
		return;
	}
	cf_fdt = fdt;
	cf_fdt_size = size;
	cf_fmt(ev, sizeof(ev), "FDT at 0x%lx totalsize %u",
	       (unsigned long)(uintptr_t)fdt, size);
	cf_report("uefi.fdt-table", "HW-1", CF_PASS, ev);
}

/*
 * uefi.acpi (HW-3): ACPI is optional and only in addition to the FDT.
 * An RSDP, if there is one, is read within the bytes its revision and
 * Length name, each step inside the memory map, and must be sound.
 */
static void cf_check_acpi(void)
{
	const void *acpi = cf_config_table(&cf_acpi20_guid);
	struct cf_rsdp rsdp;
	char ev[CF_LINE_MAX], why[160];
	uint32_t avail = 0, need;

	if (!acpi)
		acpi = cf_config_table(&cf_acpi10_guid);
	if (!acpi) {
		cf_report("uefi.acpi", "HW-3", CF_PASS,
			  cf_fdt ? "no ACPI tables, the FDT only"
				 : "no ACPI tables");
		return;
	}
	/* At most three steps: 20 bytes, the Length field, Length. */
	while ((need = cf_rsdp_length(acpi, avail)) > avail &&
	       cf_in_memory_map((uintptr_t)acpi, need))
		avail = need;
	if (cf_rsdp_check(acpi, avail, &rsdp, why, sizeof(why))) {
		cf_fmt(ev, sizeof(ev), "RSDP at 0x%lx: %s%s",
		       (unsigned long)(uintptr_t)acpi, why,
		       need > avail ? " (the rest not in the memory map)" : "");
		cf_report("uefi.acpi", "HW-3", CF_FAIL, ev);
		return;
	}
	cf_fmt(
	    ev, sizeof(ev),
	    "ACPI RSDP at 0x%lx revision %u OEM '%s' XSDT 0x%llx RSDT 0x%x %s",
	    (unsigned long)(uintptr_t)acpi, rsdp.revision, rsdp.oem,
	    (unsigned long long)rsdp.xsdt, (unsigned int)rsdp.rsdt,
	    cf_fdt ? "in addition to the FDT" : "without a valid FDT");
	cf_report("uefi.acpi", "HW-3", cf_fdt ? CF_PASS : CF_FAIL, ev);
}

/* Whether the FDT's memory nodes hold all of the UEFI memory map's RAM. */
static enum cf_status cf_memory_covered(const struct cf_fdt_info *info,
					char *ev, size_t size)
{
	UINTN entries = 0, key, dsize = 0, i, ram = 0;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *map =
	    LibMemoryMap(&entries, &key, &dsize, &dver);
	enum cf_status st = CF_PASS;

	if (!map || dsize < sizeof(EFI_MEMORY_DESCRIPTOR)) {
		cf_fmt(ev, size, "GetMemoryMap failed");
		return CF_FAIL;
	}
	for (i = 0; i < entries && i < 4096; i++) {
		EFI_MEMORY_DESCRIPTOR *d =
		    (EFI_MEMORY_DESCRIPTOR *)((UINT8 *)map + i * dsize);

		if (!cf_is_os_ram(d->Type) ||
		    d->NumberOfPages > (UINT64_MAX >> 12))
			continue;
		ram++;
		if (!cf_ranges_cover(info->mem, info->nmem, d->PhysicalStart,
				     d->NumberOfPages << 12)) {
			cf_fmt(
			    ev, size,
			    "RAM 0x%llx+0x%llx (type %u) of the UEFI memory map outside the memory nodes",
			    (unsigned long long)d->PhysicalStart,
			    (unsigned long long)d->NumberOfPages << 12,
			    (unsigned int)d->Type);
			st = CF_FAIL;
			break;
		}
	}
	if (st == CF_FAIL && info->mem_overflow) {
		/* Ranges past CF_FDT_MAX_MEM were not kept: RAM outside the
		 * kept ones proves nothing. */
		cf_fmt(
		    ev, size,
		    "more memory ranges than the %u this app keeps: coverage not judged",
		    (unsigned int)CF_FDT_MAX_MEM);
		st = CF_SKIP;
	}
	if (st == CF_PASS && !ram) {
		cf_fmt(ev, size, "no RAM in the UEFI memory map");
		st = CF_FAIL;
	}
	if (st == CF_PASS)
		cf_fmt(ev, size, "%u RAM descriptors covered",
		       (unsigned int)ram);
	FreePool(map);
	return st;
}

/*
 * HW-2: a device's registers (its node's first reg entry) lie outside the
 * FDT's memory nodes and the UEFI memory map's RAM. Appends to ev what was
 * seen; returns whether they clash.
 */
static bool cf_device_clash(const struct cf_fdt_info *info,
			    const struct cf_range *reg, char *ev, size_t size)
{
	size_t len = cf_strlen(ev);
	unsigned int n = 0;
	struct cf_range *ram;
	bool in_map;

	if (!reg->size) {
		cf_fmt(ev + len, size - len, ", no reg in a child of /");
		return false;
	}
	cf_fmt(ev + len, size - len, " at 0x%llx+0x%llx",
	       (unsigned long long)reg->base, (unsigned long long)reg->size);
	len = cf_strlen(ev);
	if (cf_ranges_overlap(info->mem, info->nmem, reg->base, reg->size)) {
		cf_fmt(ev + len, size - len, " inside a memory node");
		return true;
	}
	ram = cf_map_ranges(true, &n);
	in_map = ram && cf_ranges_overlap(ram, n, reg->base, reg->size);
	if (ram)
		FreePool(ram);
	if (in_map) {
		cf_fmt(ev + len, size - len, " inside RAM of the memory map");
		return true;
	}
	return false;
}

/* uefi.fdt-content and the platform's devices in the FDT. */
static void cf_check_fdt_content(void)
{
	static struct cf_fdt_info info;
	char ev[CF_LINE_MAX], why[160], mem[200];
	enum cf_status st;
	const char *skip = "no valid FDT (uefi.fdt-table)";

	if (cf_fdt &&
	    cf_fdt_walk(cf_fdt, cf_fdt_size, &info, why, sizeof(why))) {
		cf_fmt(ev, sizeof(ev), "FDT malformed: %s", why);
		cf_report("uefi.fdt-content", "HW-1,HW-2", CF_FAIL, ev);
		skip = "FDT malformed (uefi.fdt-content)";
		cf_fdt = NULL;
	} else if (!cf_fdt) {
		cf_report("uefi.fdt-content", "HW-1,HW-2", CF_SKIP, skip);
	}
	if (!cf_fdt) {
		cf_report("uefi.fdt-gic", "PLAT-3,HW-2", CF_SKIP, skip);
		cf_report("uefi.fdt-timer", "PLAT-4", CF_SKIP, skip);
		cf_report("uefi.fdt-console", "PLAT-2,HW-2", CF_SKIP, skip);
		cf_report("uefi.fdt-pcie", "PLAT-5,HW-2", CF_SKIP, skip);
		return;
	}

	st = info.nmem ? cf_memory_covered(&info, mem, sizeof(mem)) : CF_FAIL;
	if (!info.nmem)
		cf_fmt(mem, sizeof(mem), "no memory node with a reg");
	if (!info.cpus)
		st = CF_FAIL;
	cf_fmt(
	    ev, sizeof(ev),
	    "%u nodes, %u cpus, %u memory nodes (%u disabled), %u ranges%s from 0x%llx: %s",
	    info.nodes, info.cpus, info.mem_nodes, info.mem_disabled, info.nmem,
	    info.mem_overflow ? "+" : "",
	    info.nmem ? (unsigned long long)info.mem[0].base : 0ULL, mem);
	cf_report("uefi.fdt-content", "HW-1,HW-2", st, ev);

	/* PLAT-3, and HW-2: its registers are not RAM. */
	if (info.gic[0]) {
		cf_fmt(ev, sizeof(ev), "compatible %s", info.gic);
		st = cf_device_clash(&info, &info.gic_reg, ev, sizeof(ev))
			 ? CF_FAIL
			 : CF_PASS;
		cf_report("uefi.fdt-gic", "PLAT-3,HW-2", st, ev);
	} else {
		cf_report(
		    "uefi.fdt-gic", "PLAT-3,HW-2", CF_FAIL,
		    "no arm,gic-v3, arm,gic-400, arm,cortex-a15-gic or arm,cortex-a7-gic node");
	}
	/* PLAT-4. */
	cf_fmt(ev, sizeof(ev), "compatible %s", info.timer);
	cf_report("uefi.fdt-timer", "PLAT-4", info.timer[0] ? CF_PASS : CF_FAIL,
		  info.timer[0] ? ev
				: "no arm,armv8-timer or arm,armv7-timer node");
	/* PLAT-2: a pl011 (registers not RAM: HW-2) or a stdout-path. */
	st = info.pl011 || info.stdout_path[0] ? CF_PASS : CF_FAIL;
	cf_fmt(ev, sizeof(ev), "%s",
	       st == CF_FAIL ? "no arm,pl011 node and no /chosen stdout-path"
			     : "");
	if (info.pl011) {
		cf_fmt(ev, sizeof(ev), "arm,pl011 node");
		if (cf_device_clash(&info, &info.pl011_reg, ev, sizeof(ev)))
			st = CF_FAIL;
	}
	if (info.stdout_path[0])
		cf_fmt(ev + cf_strlen(ev), sizeof(ev) - cf_strlen(ev),
		       "%s/chosen stdout-path %s", info.pl011 ? ", " : "",
		       info.stdout_path);
	cf_report("uefi.fdt-console", "PLAT-2,HW-2", st, ev);
	/* PLAT-5: PCIe to enumerate (and hot-plug into); its ECAM not RAM. */
	if (info.pcie_ecam) {
		cf_fmt(ev, sizeof(ev), "pci-host-ecam-generic node");
		st = cf_device_clash(&info, &info.ecam_reg, ev, sizeof(ev))
			 ? CF_FAIL
			 : CF_PASS;
		cf_report("uefi.fdt-pcie", "PLAT-5,HW-2", st, ev);
	} else {
		cf_report("uefi.fdt-pcie", "PLAT-5,HW-2", CF_FAIL,
			  "no pci-host-ecam-generic node");
	}
}

static uint64_t cf_cntfrq(void)
{
#if defined(__aarch64__)
	uint64_t v;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
#else
	uint32_t v;

	asm volatile("mrc p15, 0, %0, c14, c0, 0" : "=r"(v));
	return v;
#endif
}

static void cf_check_timer_frequency(void)
{
	uint64_t f = cf_cntfrq();
	char ev[80];

	cf_fmt(ev, sizeof(ev), "CNTFRQ %llu Hz", (unsigned long long)f);
	/*
	 * At least 10 MHz: Arm's BSA (DEN0094), not a rule (PLAT-4 asks only
	 * for the Generic Timer), hence "-", as linux.timer-freq.
	 */
	cf_report("uefi.timer-frequency", "-",
		  f >= 10000000 ? CF_PASS : CF_FAIL, ev);
}

static void cf_time_in(struct cf_time *c, const EFI_TIME *t)
{
	c->year = t->Year;
	c->month = t->Month;
	c->day = t->Day;
	c->hour = t->Hour;
	c->minute = t->Minute;
	c->second = t->Second;
	c->nanosecond = t->Nanosecond;
	c->timezone = t->TimeZone;
	c->daylight = t->Daylight;
}

static void cf_time_out(EFI_TIME *t, const struct cf_time *c)
{
	SetMem(t, sizeof(*t), 0);
	t->Year = c->year;
	t->Month = c->month;
	t->Day = c->day;
	t->Hour = c->hour;
	t->Minute = c->minute;
	t->Second = c->second;
	t->Nanosecond = c->nanosecond;
	t->TimeZone = c->timezone;
	t->Daylight = c->daylight;
}

static EFI_STATUS cf_get_time(struct cf_time *c, EFI_TIME_CAPABILITIES *caps)
{
	EFI_TIME t;
	EFI_STATUS s;

	SetMem(&t, sizeof(t), 0);
	s = uefi_call_wrapper(RT->GetTime, 2, &t, caps);
	cf_time_in(c, &t);
	return s;
}

static EFI_STATUS cf_set_time(const struct cf_time *c)
{
	EFI_TIME t;

	cf_time_out(&t, c);
	return uefi_call_wrapper(RT->SetTime, 1, &t);
}

/* uefi.gettime; returns whether the clock reads a valid time. */
static bool cf_check_gettime(void)
{
	EFI_TIME_CAPABILITIES caps;
	struct cf_time now;
	char ev[CF_LINE_MAX], why[96];
	EFI_STATUS s;

	SetMem(&caps, sizeof(caps), 0);
	s = cf_get_time(&now, &caps);
	if (s != EFI_SUCCESS) {
		cf_fmt(ev, sizeof(ev), "GetTime: status 0x%lx",
		       (unsigned long)s);
		cf_report("uefi.gettime", "FW-5", CF_FAIL, ev);
		return false;
	}
	if (!cf_time_valid(&now, why, sizeof(why))) {
		cf_report("uefi.gettime", "FW-5", CF_FAIL, why);
		return false;
	}
	cf_time_str(why, sizeof(why), &now);
	/* Accuracy is in units of 1e-6 ppm. */
	cf_fmt(ev, sizeof(ev), "%s resolution %u Hz accuracy %u.%06u ppm", why,
	       (unsigned int)caps.Resolution,
	       (unsigned int)(caps.Accuracy / 1000000),
	       (unsigned int)(caps.Accuracy % 1000000));
	cf_report("uefi.gettime", "FW-5", CF_PASS, ev);
	return true;
}

/*
 * uefi.settime, after FWTS's uefirttime: the clock set one hour ahead
 * reads one hour ahead, set back reads the time again, and month 13 is
 * EFI_INVALID_PARAMETER (and changes nothing).
 */
static void cf_check_settime(bool clock_ok)
{
	struct cf_time t0, t1, t2, bad;
	char ev[CF_LINE_MAX];
	EFI_STATUS s;
	int64_t d;

	if (!clock_ok) {
		cf_report("uefi.settime", "FW-5", CF_SKIP,
			  "GetTime failed (uefi.gettime)");
		return;
	}
	if (cf_get_time(&t0, NULL) != EFI_SUCCESS ||
	    !cf_time_valid(&t0, NULL, 0)) {
		cf_report("uefi.settime", "FW-5", CF_FAIL,
			  "GetTime failed the second time");
		return;
	}
	t1 = t0;
	cf_time_add(&t1, 3600);
	s = cf_set_time(&t1);
	if (s != EFI_SUCCESS) {
		cf_fmt(ev, sizeof(ev), "SetTime(+1 h): status 0x%lx",
		       (unsigned long)s);
		cf_report("uefi.settime", "FW-5", CF_FAIL, ev);
		return;
	}
	s = cf_get_time(&t2, NULL);
	d = cf_time_diff(&t2, &t0);
	/* Restore first: a failed check must not leave the clock wrong. */
	cf_time_add(&t2, -3600);
	if (cf_set_time(&t2) != EFI_SUCCESS) {
		cf_report("uefi.settime", "FW-5", CF_FAIL,
			  "SetTime back to the time before failed");
		return;
	}
	if (s != EFI_SUCCESS || d < 3599 || d > 3660) {
		cf_fmt(
		    ev, sizeof(ev),
		    "after SetTime(+1 h) GetTime (status 0x%lx) reads %lld s from before",
		    (unsigned long)s, (long long)d);
		cf_report("uefi.settime", "FW-5", CF_FAIL, ev);
		return;
	}
	if (cf_get_time(&t1, NULL) != EFI_SUCCESS ||
	    (d = cf_time_diff(&t1, &t0)) < -1 || d > 60) {
		cf_fmt(
		    ev, sizeof(ev),
		    "after setting the clock back it reads %lld s from before",
		    (long long)d);
		cf_report("uefi.settime", "FW-5", CF_FAIL, ev);
		return;
	}
	bad = t1;
	bad.month = 13;
	s = cf_set_time(&bad);
	if (s != EFI_INVALID_PARAMETER) {
		if (s == EFI_SUCCESS) /* it took it: put the time back */
			cf_set_time(&t1);
		cf_fmt(
		    ev, sizeof(ev),
		    "SetTime(month 13): status 0x%lx, not EFI_INVALID_PARAMETER",
		    (unsigned long)s);
		cf_report("uefi.settime", "FW-5", CF_FAIL, ev);
		return;
	}
	if (cf_get_time(&t2, NULL) != EFI_SUCCESS ||
	    (d = cf_time_diff(&t2, &t1)) < -1 || d > 60) {
		cf_report("uefi.settime", "FW-5", CF_FAIL,
			  "the rejected SetTime(month 13) changed the clock");
		return;
	}
	cf_report(
	    "uefi.settime", "FW-5", CF_PASS,
	    "SetTime +1 h read back +1 h, set back; month 13 EFI_INVALID_PARAMETER");
}

/* Whether GetNextVariableName lists name under the vendor GUID. */
static EFI_STATUS cf_var_listed(const CHAR16 *name, bool *found)
{
	UINTN cap = 512, n, i;
	CHAR16 *buf = AllocateZeroPool(cap);
	EFI_GUID g;
	EFI_STATUS s = EFI_SUCCESS;

	*found = false;
	if (!buf)
		return EFI_OUT_OF_RESOURCES;
	SetMem(&g, sizeof(g), 0);
	for (i = 0; i < 10000; i++) {
		n = cap;
		s = uefi_call_wrapper(RT->GetNextVariableName, 3, &n, buf, &g);
		if (s == EFI_BUFFER_TOO_SMALL && n > cap && n <= 8192) {
			CHAR16 *big = AllocateZeroPool(n);

			if (!big)
				break;
			CopyMem(big, buf, cap);
			FreePool(buf);
			buf = big;
			cap = n;
			i--;
			continue;
		}
		if (s != EFI_SUCCESS)
			break;
		if (cf_guid_eq(&g, &cf_vendor) &&
		    !StrCmp(buf, (CHAR16 *)name)) {
			*found = true;
			break;
		}
	}
	FreePool(buf);
	return s == EFI_NOT_FOUND ? EFI_SUCCESS : s;
}

/* uefi.variables: the runtime variable services on a test variable. */
static void cf_check_variables(void)
{
	static const char data[] = "armvm conform uefi variable";
	char back[64], ev[CF_LINE_MAX];
	UINTN n = sizeof(back);
	UINT32 attrs = 0;
	UINT64 max = 0, left = 0, maxvar = 0;
	EFI_STATUS s;
	bool found;
	unsigned int i;

	s = uefi_call_wrapper(RT->SetVariable, 5, CF_TEST_NAME, &cf_vendor,
			      CF_NV_ATTRS, sizeof(data), (void *)data);
	if (s != EFI_SUCCESS) {
		cf_fmt(ev, sizeof(ev), "SetVariable(NV+BS+RT): status 0x%lx",
		       (unsigned long)s);
		cf_report("uefi.variables", "FW-3", CF_FAIL, ev);
		return;
	}
	s = uefi_call_wrapper(RT->GetVariable, 5, CF_TEST_NAME, &cf_vendor,
			      &attrs, &n, back);
	for (i = 0; s == EFI_SUCCESS && i < sizeof(data); i++)
		if (n != sizeof(data) || back[i] != data[i])
			s = EFI_CRC_ERROR;
	if (s != EFI_SUCCESS || attrs != CF_NV_ATTRS) {
		cf_fmt(ev, sizeof(ev),
		       "GetVariable: status 0x%lx, %lu bytes, attributes 0x%x",
		       (unsigned long)s, (unsigned long)n, (unsigned int)attrs);
		cf_report("uefi.variables", "FW-3", CF_FAIL, ev);
		goto out;
	}
	s = cf_var_listed(CF_TEST_NAME, &found);
	if (!found) {
		cf_fmt(ev, sizeof(ev),
		       "GetNextVariableName did not list it (status 0x%lx)",
		       (unsigned long)s);
		cf_report("uefi.variables", "FW-3", CF_FAIL, ev);
		goto out;
	}
	if (RT->Hdr.Revision < (2u << 16) /* QueryVariableInfo is UEFI 2.0 */) {
		s = EFI_UNSUPPORTED;
	} else {
		s = uefi_call_wrapper(RT->QueryVariableInfo, 4, CF_NV_ATTRS,
				      &max, &left, &maxvar);
	}
	if (s != EFI_SUCCESS || !max || left > max || !maxvar || maxvar > max) {
		cf_fmt(
		    ev, sizeof(ev),
		    "QueryVariableInfo: status 0x%lx storage %llu remaining %llu max variable %llu",
		    (unsigned long)s, (unsigned long long)max,
		    (unsigned long long)left, (unsigned long long)maxvar);
		cf_report("uefi.variables", "FW-3", CF_FAIL, ev);
		goto out;
	}
	s = uefi_call_wrapper(RT->SetVariable, 5, CF_TEST_NAME, &cf_vendor,
			      CF_NV_ATTRS, 0, NULL);
	n = sizeof(back);
	if (s == EFI_SUCCESS)
		s = uefi_call_wrapper(RT->GetVariable, 5, CF_TEST_NAME,
				      &cf_vendor, &attrs, &n,
				      back) == EFI_NOT_FOUND
			? EFI_SUCCESS
			: EFI_ABORTED;
	if (s != EFI_SUCCESS) {
		cf_fmt(ev, sizeof(ev),
		       "delete: status 0x%lx (or still readable)",
		       (unsigned long)s);
		cf_report("uefi.variables", "FW-3", CF_FAIL, ev);
		return;
	}
	cf_fmt(
	    ev, sizeof(ev),
	    "set, read back, listed, deleted; store %llu bytes, %llu free, max variable %llu",
	    (unsigned long long)max, (unsigned long long)left,
	    (unsigned long long)maxvar);
	cf_report("uefi.variables", "FW-3", CF_PASS, ev);
	return;
out:
	uefi_call_wrapper(RT->SetVariable, 5, CF_TEST_NAME, &cf_vendor,
			  CF_NV_ATTRS, 0, NULL);
}

/* uefi.rng: EFI_RNG_PROTOCOL, if the firmware has one (no rule asks for
 * it: "-"; a SKIP without one). */
static void cf_check_rng(void)
{
	EFI_RNG_PROTOCOL *rng = NULL;
	UINT8 a[32], b[32];
	char ev[CF_LINE_MAX];
	EFI_STATUS s;
	unsigned int i, zero = 0, same = 0;

	s = LibLocateProtocol(&cf_rng_guid, (void **)&rng);
	if (s != EFI_SUCCESS || !rng) {
		cf_fmt(ev, sizeof(ev), "no EFI_RNG_PROTOCOL (status 0x%lx)",
		       (unsigned long)s);
		cf_report("uefi.rng", "-", CF_SKIP, ev);
		return;
	}
	SetMem(a, sizeof(a), 0);
	SetMem(b, sizeof(b), 0);
	s = uefi_call_wrapper(rng->GetRNG, 4, rng, NULL, sizeof(a), a);
	if (s == EFI_SUCCESS)
		s = uefi_call_wrapper(rng->GetRNG, 4, rng, NULL, sizeof(b), b);
	for (i = 0; i < sizeof(a); i++) {
		zero += !a[i];
		same += a[i] == b[i];
	}
	if (s != EFI_SUCCESS || zero == sizeof(a) || same == sizeof(a)) {
		cf_fmt(
		    ev, sizeof(ev),
		    "GetRNG: status 0x%lx, %u of 32 bytes zero, %u equal in two draws",
		    (unsigned long)s, zero, same);
		cf_report("uefi.rng", "-", CF_FAIL, ev);
		return;
	}
	cf_fmt(ev, sizeof(ev), "GetRNG gave 2x32 bytes: %02x%02x%02x%02x...",
	       a[0], a[1], a[2], a[3]);
	cf_report("uefi.rng", "-", CF_PASS, ev);
}

/*
 * The first boot of a run: every check, then the reset cycle. marker_lost:
 * the state variable said "reset" but \conform.txt ended without its
 * "# pending reset" line, so the reset happened and the file lost what
 * was written before it. Another reset would loop for ever: the run
 * reports that and ends here.
 */
static void cf_first_boot(bool marker_lost)
{
	char line[CF_LINE_MAX], ev[CF_LINE_MAX];
	EFI_STATUS s;

	cf_begin_line(line, sizeof(line), CF_ARCH);
	cf_out(line);
	cf_check_removable_path();
	cf_check_fdt_table();
	/* After the full walk, which clears cf_fdt for a malformed tree: ACPI
	 * is only allowed beside a valid FDT (HW-3). */
	cf_check_fdt_content();
	cf_save_fdt();
	cf_check_acpi();
	cf_check_timer_frequency();
	cf_check_settime(cf_check_gettime());
	cf_check_variables();
	cf_check_rng();

	if (marker_lost) {
		cf_report(
		    "uefi.reset-system", "FW-1", CF_FAIL,
		    "rebooted into the app, but \\conform.txt lost its '# pending reset' line across EfiResetCold");
		cf_report(
		    "uefi.nv-persists-reset", "FW-3", CF_PASS,
		    "the NV variable written before EfiResetCold read back");
		cf_report("uefi.nv-persists-restart", "FW-3", CF_SKIP,
			  "the reset cycle broke (uefi.reset-system)");
		goto end;
	}
	if (!cf_log) {
		/* Without the file a lost marker would look like a first
		 * boot and reset for ever: no reset cycle then. */
		cf_report(
		    "uefi.nv-persists-reset", "FW-3", CF_SKIP,
		    "\\conform.txt not writable: the reset cycle needs it");
		cf_report("uefi.reset-system", "FW-1", CF_SKIP,
			  "\\conform.txt not writable");
		cf_report("uefi.nv-persists-restart", "FW-3", CF_SKIP,
			  "\\conform.txt not writable");
		goto end;
	}
	s = cf_state_set("reset");
	if (s != EFI_SUCCESS) {
		cf_fmt(ev, sizeof(ev), "SetVariable(state): status 0x%lx",
		       (unsigned long)s);
		cf_report("uefi.nv-persists-reset", "FW-3", CF_FAIL, ev);
		cf_report("uefi.reset-system", "FW-1", CF_SKIP,
			  "no state variable to carry over the reset");
		cf_report("uefi.nv-persists-restart", "FW-3", CF_SKIP,
			  "no state variable");
		goto end;
	}
	cf_out(CF_PENDING_RESET);
	cf_log_close();
	uefi_call_wrapper(RT->ResetSystem, 4, EfiResetCold, EFI_SUCCESS, 0,
			  NULL);
	/* Still here: the reset failed. Take back the pending line's
	 * meaning by reporting after it. */
	if (cf_log_create() == EFI_SUCCESS)
		cf_log_append();
	cf_state_set(NULL);
	cf_report("uefi.reset-system", "FW-1", CF_FAIL,
		  "ResetSystem(EfiResetCold) returned");
	cf_report("uefi.nv-persists-reset", "FW-3", CF_SKIP, "no reset");
	cf_report("uefi.nv-persists-restart", "FW-3", CF_SKIP, "no reset");
end:
	cf_end_line(line, sizeof(line), &cf_tally);
	cf_out(line);
}

/* FW-3: the non-volatile state variable, written before EVENT (a reset
 * or a restart of the instance), must read back as WANT after it. */
static void cf_report_state(const char *id, const char *state, const char *want,
			    const char *event)
{
	char ev[CF_LINE_MAX];

	if (!cf_strcmp(state, want)) {
		cf_fmt(ev, sizeof(ev),
		       "the NV variable written before %s reads back", event);
		cf_report(id, "FW-3", CF_PASS, ev);
	} else {
		cf_fmt(ev, sizeof(ev),
		       "after %s the NV state variable reads '%s', not '%s'",
		       event, state, want);
		cf_report(id, "FW-3", CF_FAIL, ev);
	}
}

/* The boot after the reset: the block the reset interrupted goes on. */
static void cf_after_reset(const char *state)
{
	char line[CF_LINE_MAX], ev[CF_LINE_MAX];
	EFI_STATUS s;

	cf_report("uefi.reset-system", "FW-1", CF_PASS,
		  "ResetSystem(EfiResetCold) rebooted into the app");
	cf_report_state("uefi.nv-persists-reset", state, "reset",
			"EfiResetCold");
	s = cf_state_set("restart");
	if (s != EFI_SUCCESS) {
		cf_fmt(ev, sizeof(ev), "SetVariable(state): status 0x%lx",
		       (unsigned long)s);
		cf_report("uefi.nv-persists-restart", "FW-3", CF_FAIL, ev);
		/* Not left at "reset": the next boot would take the results
		 * file for one whose marker was lost and truncate it. */
		cf_state_set(NULL);
	}
	cf_end_line(line, sizeof(line), &cf_tally);
	cf_out(line);
	if (s == EFI_SUCCESS)
		cf_out(CF_PENDING_RESTART);
}

/* The boot after the host restarted the instance: a block of its own. */
static void cf_after_restart(const char *state)
{
	char line[CF_LINE_MAX];

	cf_begin_line(line, sizeof(line), CF_ARCH);
	cf_out(line);
	cf_report_state("uefi.nv-persists-restart", state, "restart",
			"power-off and the restart");
	cf_end_line(line, sizeof(line), &cf_tally);
	cf_out(line);
}

/*
 * The conformance image's second part (docs/conformance.md): when the run
 * is complete and the ESP holds \conform\linux, the app starts that kernel
 * through its EFI stub (LoadImage, StartImage) with \conform\initrd
 * (armvm-conform as /init), which checks what Linux sees and powers the VM
 * off. The command line, the kernel's LoadOptions (UCS-2), is the first
 * line of \conform\cmdline (at most CF_CMDLINE_MAX bytes of printable
 * ASCII; anything else ends it).
 *
 * The initrd is not named on the command line (the stub's initrd= loader
 * is optional: Debian's 32-bit armmp-lpae kernel has none). The app reads
 * it into pages of its own and serves it the way every EFI stub since
 * Linux 5.8 looks for one first: EFI_LOAD_FILE2_PROTOCOL on a handle whose
 * device path is a vendor media node with LINUX_EFI_INITRD_MEDIA_GUID and
 * an end node. The stub finds it with LocateDevicePath, asks for the size
 * (a NULL buffer: EFI_BUFFER_TOO_SMALL), then for the bytes.
 *
 * A 32-bit zImage's decompressor keeps its heap (64 KiB) and stack past
 * the end of its PE image, in memory LoadImage did not allocate for it,
 * and writes there after ExitBootServices. Whatever the firmware had put
 * there is lost. Seen on QEMU with AAVMF32: the image ended right below
 * a pool page holding the configuration tables the stub installs (its
 * LINUX_EFI_MEMRESERVE list, the initrd's table), the kernel read the
 * list's count as garbage and faulted in efi_init, before its console
 * was up (the hang that had made the app leave the kernel to the boot
 * manager). So on 32-bit arm the app allocates CF_GUARD_PAGES just before
 * LoadImage: with a top-down allocator, as EDK2's, the image lands right
 * below them. The app checks that it did (or else takes the pages after
 * the image if they are free, and warns if they are not), and keeps them
 * until the kernel is gone.
 *
 * The state variable reads 'linux' while the kernel runs: if it resets
 * instead of powering off, the firmware's next boot of the app stops there
 * rather than starting a new run over this one's results. Returns only if
 * the kernel is absent or could not be started, or came back.
 */
#define CF_KERNEL_NAME	L"\\conform\\linux"
#define CF_INITRD_NAME	L"\\conform\\initrd"
#define CF_CMDLINE_NAME L"\\conform\\cmdline"
#define CF_CMDLINE_MAX	512
#define CF_INITRD_MAX	(256u << 20)
#define CF_READ_CHUNK	(1u << 20)
#if defined(__arm__)
#define CF_GUARD_PAGES 256 /* 1 MiB */
#else
#define CF_GUARD_PAGES 0 /* an arm64 Image keeps within its SizeOfImage */
#endif

/* EFI_LOAD_FILE2_PROTOCOL (UEFI 2.x, 13.2): LoadFile's signature. */
static EFI_GUID cf_load_file2_guid = {
    0x4006c0c1,
    0xfcb3,
    0x403e,
    {0x99, 0x6d, 0x4a, 0x6c, 0x87, 0x24, 0xe0, 0x6d}};

/* A vendor media node (type 4, subtype 3, 20 bytes) with Linux's
 * LINUX_EFI_INITRD_MEDIA_GUID 5568e427-68fc-4f3d-ac74-ca555231cc68, then
 * the end of the whole path (0x7f, 0xff, 4 bytes). */
static UINT8 cf_initrd_path[24] = {
    0x04, 0x03, 20,   0,    0x27, 0xe4, 0x68, 0x55, 0xfc, 0x68, 0x3d, 0x4f,
    0xac, 0x74, 0xca, 0x55, 0x52, 0x31, 0xcc, 0x68, 0x7f, 0xff, 4,    0};

static const UINT8 *cf_initrd;
static UINTN cf_initrd_size;

static EFI_STATUS EFIAPI cf_initrd_load(EFI_LOAD_FILE_PROTOCOL *this,
					EFI_DEVICE_PATH *path,
					BOOLEAN boot_policy, UINTN *size,
					VOID *buf)
{
	if (!size)
		return EFI_INVALID_PARAMETER;
	if (boot_policy) /* LoadFile2 takes FALSE only */
		return EFI_UNSUPPORTED;
	if (!cf_initrd)
		return EFI_NOT_FOUND;
	if (!buf || *size < cf_initrd_size) {
		*size = cf_initrd_size;
		return EFI_BUFFER_TOO_SMALL;
	}
	CopyMem(buf, (void *)cf_initrd, cf_initrd_size);
	*size = cf_initrd_size;
	return EFI_SUCCESS;
}

static EFI_LOAD_FILE_PROTOCOL cf_initrd_lf2 = {cf_initrd_load};

/*
 * \conform\initrd into pages of the app's: its size from the file's info,
 * at most CF_INITRD_MAX; read in bounded chunks until exactly that many
 * bytes arrived. On success cf_initrd and cf_initrd_size hold it.
 */
static EFI_STATUS cf_initrd_read(EFI_FILE_HANDLE root,
				 EFI_PHYSICAL_ADDRESS *addr, UINTN *pages)
{
	EFI_FILE_HANDLE f;
	EFI_FILE_INFO *info;
	UINT64 size;
	UINTN got = 0, n;
	UINT8 *p;
	EFI_STATUS s;

	*pages = 0;
	s = uefi_call_wrapper(root->Open, 5, root, &f, CF_INITRD_NAME,
			      EFI_FILE_MODE_READ, 0);
	if (s != EFI_SUCCESS) {
		Print(L"# cannot open \\conform\\initrd: %r\n", s);
		return s;
	}
	info = LibFileInfo(f);
	size = info ? info->FileSize : 0;
	if (info)
		FreePool(info);
	if (!size || size > CF_INITRD_MAX) {
		Print(
		    L"# \\conform\\initrd: size %ld, expected 1 to %d bytes\n",
		    (INT64)size, (UINTN)CF_INITRD_MAX);
		s = EFI_BAD_BUFFER_SIZE;
		goto out;
	}
	*pages = EFI_SIZE_TO_PAGES((UINTN)size);
	s = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages,
			      EfiLoaderData, *pages, addr);
	if (s != EFI_SUCCESS) {
		Print(L"# AllocatePages(%d) for \\conform\\initrd: %r\n",
		      *pages, s);
		*pages = 0;
		goto out;
	}
	p = (UINT8 *)(UINTN)*addr;
	while (got < size) {
		n = size - got < CF_READ_CHUNK ? size - got : CF_READ_CHUNK;
		s = uefi_call_wrapper(f->Read, 3, f, &n, p + got);
		if (s == EFI_SUCCESS && (!n || n > size - got))
			s = EFI_END_OF_FILE;
		if (s != EFI_SUCCESS) {
			Print(L"# reading \\conform\\initrd at %d of %ld "
			      L"bytes: %r\n",
			      got, (INT64)size, s);
			goto out;
		}
		got += n;
	}
	cf_initrd = p;
	cf_initrd_size = got;
out:
	uefi_call_wrapper(f->Close, 1, f);
	return s;
}

/* The command line: \conform\cmdline's first line into options (UCS-2),
 * its length in characters returned. */
/*
 * The first bytes of the ESP's file NAME into buf, at most size: how many
 * (0 when it cannot be read), or -1 when it cannot be opened (absent).
 */
static INTN cf_read_head(EFI_FILE_HANDLE root, CHAR16 *name, char *buf,
			 UINTN size)
{
	EFI_FILE_HANDLE f;
	UINTN n = size;
	EFI_STATUS s;

	if (uefi_call_wrapper(root->Open, 5, root, &f, name, EFI_FILE_MODE_READ,
			      0) != EFI_SUCCESS)
		return -1;
	s = uefi_call_wrapper(f->Read, 3, f, &n, buf);
	uefi_call_wrapper(f->Close, 1, f);
	return s == EFI_SUCCESS && n <= size ? (INTN)n : 0;
}

static UINTN cf_cmdline(EFI_FILE_HANDLE root, CHAR16 *options)
{
	char extra[CF_CMDLINE_MAX];
	INTN n = cf_read_head(root, CF_CMDLINE_NAME, extra, sizeof(extra));
	UINTN i;

	for (i = 0; n > 0 && i < (UINTN)n && extra[i] >= ' ' && extra[i] <= '~';
	     i++)
		options[i] = (CHAR16)extra[i];
	options[i] = 0;
	return i;
}

/*
 * Whether the CF_GUARD_PAGES after the loaded image are the app's: the
 * ones at *guard if the image ends where they start, else (*guard freed)
 * the ones right after it if they are free. *guard is 0 if it holds none.
 */
static bool cf_guard_image(const EFI_LOADED_IMAGE *li,
			   EFI_PHYSICAL_ADDRESS *guard)
{
	UINT64 end = (UINT64)(UINTN)li->ImageBase + li->ImageSize;

	end = (end + EFI_PAGE_SIZE - 1) & ~(UINT64)(EFI_PAGE_SIZE - 1);
	if (*guard && *guard == end)
		return true;
	if (*guard)
		uefi_call_wrapper(BS->FreePages, 2, *guard, CF_GUARD_PAGES);
	*guard = end;
	if (uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress,
			      EfiLoaderData, CF_GUARD_PAGES,
			      guard) == EFI_SUCCESS)
		return true;
	*guard = 0;
	return false;
}

static void cf_boot_linux(EFI_HANDLE image)
{
	static CHAR16 options[CF_CMDLINE_MAX + 1];
	EFI_FILE_HANDLE root = LibOpenRoot(cf_loaded->DeviceHandle), f;
	EFI_HANDLE kernel = NULL, initrd = NULL;
	EFI_PHYSICAL_ADDRESS addr = 0, guard = 0;
	EFI_DEVICE_PATH *path;
	EFI_LOADED_IMAGE *li = NULL;
	UINTN o, pages = 0;
	EFI_STATUS s;
	bool dp = false, lf2 = false;

	if (!root)
		return;
	s = uefi_call_wrapper(root->Open, 5, root, &f, CF_KERNEL_NAME,
			      EFI_FILE_MODE_READ, 0);
	if (s != EFI_SUCCESS) {
		uefi_call_wrapper(root->Close, 1, root);
		return; /* a UEFI-only image */
	}
	uefi_call_wrapper(f->Close, 1, f);
	o = cf_cmdline(root, options);

	/* The ESP's own device path with the file's node after it. */
	path = FileDevicePath(cf_loaded->DeviceHandle, CF_KERNEL_NAME);
	if (!path) {
		Print(L"# cannot make the kernel's device path\n");
		goto out;
	}
	/* Allocated last before LoadImage: the image goes right below. */
	if (CF_GUARD_PAGES &&
	    uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages,
			      EfiLoaderData, CF_GUARD_PAGES,
			      &guard) != EFI_SUCCESS)
		guard = 0;
	s = uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, path, NULL, 0,
			      &kernel);
	FreePool(path);
	if (s != EFI_SUCCESS) {
		Print(L"# LoadImage(\\conform\\linux): %r\n", s);
		kernel = NULL;
		goto out;
	}
	s = uefi_call_wrapper(BS->HandleProtocol, 3, kernel,
			      &LoadedImageProtocol, (void **)&li);
	if (s != EFI_SUCCESS || !li) {
		Print(L"# no LoadedImage protocol on the kernel: %r\n", s);
		goto out;
	}
	if (CF_GUARD_PAGES && !cf_guard_image(li, &guard))
		Print(L"# the memory after the kernel's image (0x%lx+0x%lx) "
		      L"is in use: its decompressor may overwrite it\n",
		      (UINT64)(UINTN)li->ImageBase, li->ImageSize);
	li->LoadOptions = options;
	li->LoadOptionsSize = (UINT32)((o + 1) * sizeof(CHAR16));

	s = cf_initrd_read(root, &addr, &pages);
	if (s != EFI_SUCCESS)
		goto out;
	s = uefi_call_wrapper(BS->InstallProtocolInterface, 4, &initrd,
			      &DevicePathProtocol, EFI_NATIVE_INTERFACE,
			      (void *)cf_initrd_path);
	dp = s == EFI_SUCCESS;
	if (dp)
		s = uefi_call_wrapper(BS->InstallProtocolInterface, 4, &initrd,
				      &cf_load_file2_guid, EFI_NATIVE_INTERFACE,
				      &cf_initrd_lf2);
	lf2 = dp && s == EFI_SUCCESS;
	if (!lf2) {
		Print(L"# cannot install the initrd's LoadFile2: %r\n", s);
		goto out;
	}

	s = cf_state_set("linux");
	if (s != EFI_SUCCESS) {
		Print(L"# SetVariable(state): %r\n", s);
		goto out;
	}
	Print(L"# starting \\conform\\linux (image 0x%lx+0x%lx, initrd %d "
	      L"bytes): %s\n",
	      (UINT64)(UINTN)li->ImageBase, li->ImageSize, cf_initrd_size,
	      options);
	/* Five minutes for the kernel, as the boot manager gives a boot
	 * option; ExitBootServices disarms it. */
	uefi_call_wrapper(BS->SetWatchdogTimer, 4, 300, 0, 0, NULL);
	s = uefi_call_wrapper(BS->StartImage, 3, kernel, NULL, NULL);
	kernel = NULL; /* StartImage unloads an image that returns */
	cf_state_set(NULL);
	Print(L"# \\conform\\linux returned: %r\n", s);
out:
	Print(L"# no Linux part: came back to the app, which stops here\n");
	uefi_call_wrapper(root->Close, 1, root);
	if (lf2)
		uefi_call_wrapper(BS->UninstallProtocolInterface, 3, initrd,
				  &cf_load_file2_guid, &cf_initrd_lf2);
	if (dp)
		uefi_call_wrapper(BS->UninstallProtocolInterface, 3, initrd,
				  &DevicePathProtocol, (void *)cf_initrd_path);
	if (kernel)
		uefi_call_wrapper(BS->UnloadImage, 1, kernel);
	cf_initrd = NULL;
	cf_initrd_size = 0;
	if (pages)
		uefi_call_wrapper(BS->FreePages, 2, addr, pages);
	if (guard)
		uefi_call_wrapper(BS->FreePages, 2, guard, CF_GUARD_PAGES);
}

/*
 * A planted fault, for the app's own tests (docs/conformance-uefi.md):
 * with \conform-fault.txt on the ESP reading "no-variables", the app sees
 * a firmware without a variable service, as UEFI 2.8's
 * EFI_RT_PROPERTIES_TABLE lets a firmware be at runtime: every variable
 * service returns EFI_UNSUPPORTED. It swaps in a copy of the runtime
 * services table with those four replaced, for itself only (the
 * firmware's table is not touched). Debian's AAVMF cannot be made to
 * boot without its store (on QEMU, a read-only store stops it with a
 * Synchronous Exception before any app runs), hence this.
 */
#define CF_FAULT_NAME L"\\conform-fault.txt"

static EFI_STATUS EFIAPI cf_no_get_variable(CHAR16 *name, EFI_GUID *vendor,
					    UINT32 *attrs, UINTN *size,
					    VOID *data)
{
	return EFI_UNSUPPORTED;
}

static EFI_STATUS EFIAPI cf_no_next_name(UINTN *size, CHAR16 *name,
					 EFI_GUID *vendor)
{
	return EFI_UNSUPPORTED;
}

static EFI_STATUS EFIAPI cf_no_set_variable(CHAR16 *name, EFI_GUID *vendor,
					    UINT32 attrs, UINTN size,
					    VOID *data)
{
	return EFI_UNSUPPORTED;
}

static EFI_STATUS EFIAPI cf_no_query_info(UINT32 attrs, UINT64 *max_storage,
					  UINT64 *remaining, UINT64 *max_size)
{
	return EFI_UNSUPPORTED;
}

static void cf_plant_fault(void)
{
	static EFI_RUNTIME_SERVICES rt;
	static const char want[] = "no-variables";
	EFI_FILE_HANDLE root = LibOpenRoot(cf_loaded->DeviceHandle);
	char word[sizeof(want) + 1]; /* room for one more: no prefix match */
	INTN n;

	if (!root)
		return;
	n = cf_read_head(root, CF_FAULT_NAME, word, sizeof(word) - 1);
	uefi_call_wrapper(root->Close, 1, root);
	if (n < 0)
		return;
	while (n && (word[n - 1] == '\n' || word[n - 1] == '\r'))
		n--;
	word[n] = '\0';
	if (cf_strcmp(word, want)) {
		Print(L"# \\conform-fault.txt: '%a' is no fault this app "
		      L"plants (no-variables)\n",
		      word);
		return;
	}
	rt = *RT;
	rt.GetVariable = cf_no_get_variable;
	rt.GetNextVariableName = cf_no_next_name;
	rt.SetVariable = cf_no_set_variable;
	rt.QueryVariableInfo = cf_no_query_info;
	RT = &rt;
	Print(L"# planted fault: no variable services (\\conform-fault.txt)\n");
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	char state[16], *old = NULL;
	UINTN oldlen = 0;
	struct cf_tally before;
	enum cf_phase phase = CF_PHASE_FRESH;
	bool marker_lost;
	EFI_STATUS s;

	InitializeLib(image, systab);
	/* The boot manager's 5-minute watchdog stays: a check that hangs
	 * ends in a reset, and the run starts over (the host times out). */
	s = uefi_call_wrapper(BS->HandleProtocol, 3, image,
			      &LoadedImageProtocol, (void **)&cf_loaded);
	if (s != EFI_SUCCESS || !cf_loaded) {
		/* No ESP to write to (cf_log is NULL): the console only. */
		char line[CF_LINE_MAX];

		cf_begin_line(line, sizeof(line), CF_ARCH);
		cf_out(line);
		cf_report("uefi.removable-path", "FW-1", CF_FAIL,
			  "no LoadedImage protocol on the image handle");
		cf_end_line(line, sizeof(line), &cf_tally);
		cf_out(line);
		cf_power_off();
		return s;
	}
	cf_plant_fault();
	if (cf_log_open(&old, &oldlen) == EFI_SUCCESS && old)
		phase = cf_log_phase(old, oldlen, &before);
	if (old)
		FreePool(old);
	cf_state_get(state, sizeof(state));

	switch (phase) {
	case CF_PHASE_AFTER_RESET:
		cf_tally = before;
		cf_log_append();
		cf_after_reset(state);
		break;
	case CF_PHASE_AFTER_RESTART:
		cf_log_append();
		cf_state_set(NULL);
		cf_after_restart(state);
		/* The run's UEFI part is over: the file is complete before
		 * Linux starts (it could not be written after). */
		cf_log_close();
		cf_boot_linux(image);
		break;
	default:
		if (!cf_strcmp(state, "linux")) {
			/* Linux reset instead of powering off (or the app
			 * died while starting it): the results stay as they
			 * are. */
			Print(
			    L"# \\conform\\linux was started but the firmware "
			    L"came back to the app; the next boot starts a "
			    L"new run\n");
			cf_state_set(NULL);
			break;
		}
		marker_lost = !cf_strcmp(state, "reset");
		if (state[0]) {
			Print(L"# stale state variable '%a' deleted\n", state);
			cf_state_set(NULL);
		}
		if (cf_log)
			cf_log_truncate();
		cf_first_boot(marker_lost);
		break;
	}
	cf_power_off();
	return EFI_ABORTED;
}
