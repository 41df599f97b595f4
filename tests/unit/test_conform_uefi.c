// SPDX-License-Identifier: GPL-2.0
/*
 * The UEFI conformance application's pure parts (conform/uefi/pure.c),
 * natively: the output contract, the run's phase from the results file,
 * the FDT walker on armvm's own device trees, a hand-made one and broken
 * ones, and the EFI_TIME validator and arithmetic.
 */
#include <libfdt.h>
#include <limits.h>
#include <stdlib.h>

#include "conform/uefi/pure.h"
#include "devices/pl011.h"
#include "vmm/fdt.h"
#include "tests/unit/check.h"

static void out_null(void *o, const uint8_t *b, size_t n)
{
}

/* armvm's own tree, as it hands it to the firmware. */
static size_t armvm_tree(void *buf, size_t size, int gic, bool aarch32)
{
	static uint64_t mpidr[4] = {0, 1, 2, 3};
	struct irq_sink none = {0};
	struct device *uart = pl011_create(0x9000000, 1, none, out_null, NULL);
	struct device *devs[1] = {uart};
	struct fdt_machine m = {
	    .nr_cpus = 2,
	    .mpidr = mpidr,
	    .aarch32 = aarch32,
	    .gic_version = gic,
	    .gic_its = gic == 3,
	    .ram_base = 0x40000000,
	    .ram_size = 512ULL << 20,
	    .devices = devs,
	    .nr_devices = 1,
	    .stdout_dev = uart,
	};

	int r = fdt_build(&m, buf, size);

	uart->ops->destroy(uart);
	return r ? 0 : fdt_totalsize(buf);
}

/* A QEMU-virt-like tree made with libfdt: two memory nodes (one
 * disabled, as EDK2 leaves them), a PCIe host, GIC-400, a timer unless
 * !timer, 2+2 cells. */
static size_t hand_tree(void *buf, size_t size, bool timer)
{
	const fdt64_t mem0[2] = {cpu_to_fdt64(0x40000000),
				 cpu_to_fdt64(0x10000000)};
	const fdt64_t mem1[2] = {cpu_to_fdt64(0x50000000),
				 cpu_to_fdt64(0x10000000)};
	const fdt64_t gic[4] = {cpu_to_fdt64(0x08000000), cpu_to_fdt64(0x10000),
				cpu_to_fdt64(0x08010000),
				cpu_to_fdt64(0x10000)};
	const fdt64_t ecam[2] = {cpu_to_fdt64(0x4010000000ULL),
				 cpu_to_fdt64(0x10000000)};
	int r = 0;

	r |= fdt_create(buf, (int)size);
	r |= fdt_finish_reservemap(buf);
	r |= fdt_begin_node(buf, "");
	r |= fdt_property_u32(buf, "#address-cells", 2);
	r |= fdt_property_u32(buf, "#size-cells", 2);
	r |= fdt_begin_node(buf, "chosen");
	r |= fdt_property_string(buf, "stdout-path", "/pl011@9000000");
	r |= fdt_end_node(buf);
	r |= fdt_begin_node(buf, "memory@40000000");
	r |= fdt_property_string(buf, "device_type", "memory");
	r |= fdt_property(buf, "reg", mem0, sizeof(mem0));
	r |= fdt_end_node(buf);
	r |= fdt_begin_node(buf, "memory@50000000");
	r |= fdt_property(buf, "reg", mem1, sizeof(mem1));
	r |= fdt_property_string(buf, "device_type", "memory");
	r |= fdt_property_string(buf, "status", "disabled");
	r |= fdt_end_node(buf);
	r |= fdt_begin_node(buf, "cpus");
	r |= fdt_property_u32(buf, "#address-cells", 1);
	r |= fdt_property_u32(buf, "#size-cells", 0);
	for (int i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "cpu@%d", i);
		r |= fdt_begin_node(buf, name);
		r |= fdt_property_string(buf, "device_type", "cpu");
		r |= fdt_property_u32(buf, "reg", (uint32_t)i);
		r |= fdt_end_node(buf);
	}
	r |= fdt_begin_node(buf, "cpu-map");
	r |= fdt_end_node(buf);
	r |= fdt_end_node(buf);
	r |= fdt_begin_node(buf, "intc@8000000");
	r |= fdt_property(buf, "compatible", "arm,gic-400\0arm,cortex-a15-gic",
			  sizeof("arm,gic-400\0arm,cortex-a15-gic"));
	r |= fdt_property(buf, "reg", gic, sizeof(gic));
	r |= fdt_end_node(buf);
	if (timer) {
		r |= fdt_begin_node(buf, "timer");
		r |= fdt_property(buf, "compatible",
				  "arm,armv8-timer\0arm,armv7-timer",
				  sizeof("arm,armv8-timer\0arm,armv7-timer"));
		r |= fdt_end_node(buf);
	}
	r |= fdt_begin_node(buf, "pcie@10000000");
	r |= fdt_property_string(buf, "compatible", "pci-host-ecam-generic");
	r |= fdt_property_string(buf, "device_type", "pci");
	r |= fdt_property(buf, "reg", ecam, sizeof(ecam));
	r |= fdt_end_node(buf);
	r |= fdt_end_node(buf);
	r |= fdt_finish(buf);
	return r ? 0 : fdt_totalsize(buf);
}

static uint8_t tree[1 << 16];
static struct cf_fdt_info info;
static char why[256];

static void armvm_trees(void)
{
	size_t n = armvm_tree(tree, sizeof(tree), 3, false);
	uint32_t total = 0;

	CHECK(n > 0);
	CHECK_EQ(
	    cf_fdt_header(tree, CF_FDT_HEADER_SIZE, &total, why, sizeof(why)),
	    0);
	CHECK_EQ(total, n);
	CHECK_EQ(cf_fdt_walk(tree, n, &info, why, sizeof(why)), 0);
	CHECK_EQ(info.cpus, 2);
	CHECK_EQ(info.nmem, 1);
	CHECK_EQ(info.mem[0].base, 0x40000000);
	CHECK_EQ(info.mem[0].size, 512ULL << 20);
	CHECK_EQ(info.mem_disabled, 0);
	CHECK_STR(info.gic, "arm,gic-v3");
	CHECK_STR(info.timer, "arm,armv8-timer");
	CHECK(info.pl011);
	CHECK(info.stdout_path[0] == '/');
	CHECK(info.psci);
	CHECK(!info.pcie_ecam);
	CHECK_EQ(info.pl011_reg.base, 0x9000000);
	CHECK(info.pl011_reg.size > 0);
	CHECK(info.gic_reg.size > 0);
	CHECK(!cf_ranges_overlap(info.mem, info.nmem, info.gic_reg.base,
				 info.gic_reg.size));
	CHECK(cf_ranges_cover(info.mem, info.nmem, 0x40000000, 4096));
	CHECK(!cf_ranges_cover(info.mem, info.nmem, 0x60000000, 4096));

	n = armvm_tree(tree, sizeof(tree), 2, true);
	CHECK(n > 0);
	CHECK_EQ(cf_fdt_walk(tree, n, &info, why, sizeof(why)), 0);
	CHECK_STR(info.gic, "arm,cortex-a15-gic");
	CHECK_STR(info.timer, "arm,armv7-timer");
}

static void hand_made_tree(void)
{
	size_t n = hand_tree(tree, sizeof(tree), true);

	CHECK(n > 0);
	CHECK_EQ(cf_fdt_walk(tree, n, &info, why, sizeof(why)), 0);
	CHECK_EQ(info.cpus, 3); /* cpu-map is no cpu */
	CHECK_EQ(info.mem_nodes, 2);
	CHECK_EQ(info.mem_disabled, 1);
	CHECK_EQ(info.nmem, 2);
	CHECK_EQ(info.mem[1].base, 0x50000000);
	CHECK_STR(info.gic, "arm,gic-400");
	CHECK_STR(info.timer, "arm,armv8-timer");
	CHECK(!info.pl011);
	CHECK_STR(info.stdout_path, "/pl011@9000000");
	CHECK(info.pcie_ecam);
	/* Device regions: the first entry of each; no pl011 node. */
	CHECK(info.gic_reg.base == 0x08000000 && info.gic_reg.size == 0x10000);
	CHECK(info.ecam_reg.base == 0x4010000000ULL &&
	      info.ecam_reg.size == 0x10000000);
	CHECK_EQ(info.pl011_reg.size, 0);
	CHECK(!cf_ranges_overlap(info.mem, info.nmem, info.gic_reg.base,
				 info.gic_reg.size));
	CHECK(!cf_ranges_overlap(info.mem, info.nmem, info.ecam_reg.base,
				 info.ecam_reg.size));
	CHECK(cf_ranges_overlap(info.mem, info.nmem, 0x3ffff000, 0x2000));
	CHECK(cf_ranges_overlap(info.mem, info.nmem, 0x5ffff000, 0x2000));
	CHECK(!cf_ranges_overlap(info.mem, info.nmem, 0x60000000, 0x1000));
	CHECK(!cf_ranges_overlap(info.mem, info.nmem, 0x3ffff000, 0x1000));
	CHECK(!cf_ranges_overlap(info.mem, info.nmem, 0x40000000, 0));
	CHECK(cf_ranges_overlap(info.mem, info.nmem, 0x1000, UINT64_MAX));
	/* Across the two adjacent nodes, not past them. */
	CHECK(cf_ranges_cover(info.mem, info.nmem, 0x4ffff000, 0x2000));
	CHECK(cf_ranges_cover(info.mem, info.nmem, 0x40000000, 0x20000000));
	CHECK(!cf_ranges_cover(info.mem, info.nmem, 0x5ffff000, 0x2000));
	CHECK(!cf_ranges_cover(info.mem, info.nmem, 0x3ffff000, 0x2000));
	CHECK(!cf_ranges_cover(info.mem, info.nmem, 0x40000000, UINT64_MAX));

	n = hand_tree(tree, sizeof(tree), false);
	CHECK_EQ(cf_fdt_walk(tree, n, &info, why, sizeof(why)), 0);
	CHECK_STR(info.timer, "");
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The walk of a copy of exactly n bytes (so that a sanitizer sees any
 * read past it). */
static int walk_copy(const uint8_t *src, size_t n)
{
	uint8_t *copy = malloc(n);
	int r;

	memcpy(copy, src, n);
	r = cf_fdt_walk(copy, n, &info, why, sizeof(why));
	free(copy);
	return r;
}

static void broken_trees(void)
{
	static uint8_t bad[1 << 16];
	size_t n = armvm_tree(tree, sizeof(tree), 3, false);
	uint32_t off_struct = fdt_off_dt_struct(tree);
	uint32_t total;

	CHECK(n > 0);
	/* Truncated: fewer bytes than totalsize. */
	CHECK_EQ(walk_copy(tree, n - 1), -1);
	CHECK(strstr(why, "totalsize") != NULL);
	CHECK_EQ(walk_copy(tree, 39), -1);
	/* Bad magic. */
	memcpy(bad, tree, n);
	put32(bad, 0xd00dfeee);
	CHECK_EQ(walk_copy(bad, n), -1);
	CHECK(strstr(why, "magic") != NULL);
	/* The header's own sizes out of bounds. */
	memcpy(bad, tree, n);
	put32(bad + 8, (uint32_t)n - 8); /* off_dt_struct */
	CHECK_EQ(walk_copy(bad, n), -1);
	memcpy(bad, tree, n);
	put32(bad + 32, 0xffffff00u); /* size_dt_strings */
	CHECK_EQ(walk_copy(bad, n), -1);
	memcpy(bad, tree, n);
	put32(bad + 4, 1u << 30); /* totalsize */
	CHECK_EQ(
	    cf_fdt_header(bad, CF_FDT_HEADER_SIZE, &total, why, sizeof(why)),
	    -1);
	/* The struct block cut before FDT_END. */
	memcpy(bad, tree, n);
	put32(bad + 36, fdt_size_dt_struct(tree) - 4);
	CHECK_EQ(walk_copy(bad, n), -1);
	/* A property length past the block: the root's first property. */
	memcpy(bad, tree, n);
	{
		uint32_t p = off_struct + 8; /* BEGIN_NODE "" + padding */

		CHECK_EQ(fdt32_to_cpu(*(fdt32_t *)(bad + p)), FDT_PROP);
		put32(bad + p + 4, 0x7ffffff0u);
		CHECK_EQ(walk_copy(bad, n), -1);
		memcpy(bad, tree, n);
		put32(bad + p + 8, fdt_size_dt_strings(tree));
		CHECK_EQ(walk_copy(bad, n), -1);
		CHECK(strstr(why, "name offset") != NULL);
		memcpy(bad, tree, n);
		put32(bad + p, 0x77);
		CHECK_EQ(walk_copy(bad, n), -1);
		CHECK(strstr(why, "token") != NULL);
	}
	/* Every byte of the structure block changed, one at a time: a walk
	 * that ends either way, within the blob. */
	for (uint32_t i = off_struct; i < off_struct + fdt_size_dt_struct(tree);
	     i++) {
		memcpy(bad, tree, n);
		bad[i] ^= 0xff;
		walk_copy(bad, n);
		memcpy(bad, tree, n);
		bad[i] = 0;
		walk_copy(bad, n);
	}
}

static void malformed_nodes(void)
{
	size_t n;

	/* A memory node with a reg of the wrong length is malformed. */
	CHECK(hand_tree(tree, sizeof(tree), true) > 0);
	{
		int node = fdt_path_offset(tree, "/memory@40000000");

		CHECK(node >= 0);
		CHECK_EQ(fdt_open_into(tree, tree, sizeof(tree)), 0);
		CHECK_EQ(fdt_setprop(tree, node, "reg", "\0\0\0\0\0", 5), 0);
		fdt_pack(tree);
		n = fdt_totalsize(tree);
	}
	CHECK_EQ(cf_fdt_walk(tree, n, &info, why, sizeof(why)), -1);
	CHECK(strstr(why, "memory node") != NULL);
	/* Nested deeper than the walk follows. */
	{
		int r = fdt_create(tree, sizeof(tree));

		r |= fdt_finish_reservemap(tree);
		for (int i = 0; i < CF_FDT_MAX_DEPTH + 1; i++)
			r |= fdt_begin_node(tree, i ? "n" : "");
		for (int i = 0; i < CF_FDT_MAX_DEPTH + 1; i++)
			r |= fdt_end_node(tree);
		r |= fdt_finish(tree);
		CHECK_EQ(r, 0);
		CHECK_EQ(cf_fdt_walk(tree, fdt_totalsize(tree), &info, why,
				     sizeof(why)),
			 -1);
		CHECK(strstr(why, "deeper") != NULL);
	}
}

static void format_like_snprintf(void)
{
	char a[128], b[128];

	cf_fmt(a, sizeof(a), "%s|%c|%d|%u|%x|%08x|%02u|%4d", "str", 'c',
	       INT_MIN, UINT_MAX, 0xabcdefu, 0x1234u, 7u, -5);
	snprintf(b, sizeof(b), "%s|%c|%d|%u|%x|%08x|%02u|%4d", "str", 'c',
		 INT_MIN, UINT_MAX, 0xabcdefu, 0x1234u, 7u, -5);
	CHECK_STR(a, b);
	cf_fmt(a, sizeof(a), "%llu %lld %llx %lu %ld %zu %%", ULLONG_MAX,
	       LLONG_MIN, 0x123456789abcdefULL, ULONG_MAX, LONG_MIN,
	       (size_t)42);
	snprintf(b, sizeof(b), "%llu %lld %llx %lu %ld %zu %%", ULLONG_MAX,
		 LLONG_MIN, 0x123456789abcdefULL, ULONG_MAX, LONG_MIN,
		 (size_t)42);
	CHECK_STR(a, b);
	/* Cut, always terminated. */
	CHECK_EQ(cf_fmt(a, 5, "%s", "abcdefgh"), 4);
	CHECK_STR(a, "abcd");
	CHECK_EQ(cf_fmt(a, 1, "%d", 123), 0);
	CHECK_STR(a, "");
}

static void conform_lines(void)
{
	char line[CF_LINE_MAX], ev[300];
	struct cf_tally t = {0};

	cf_line(line, sizeof(line), "uefi.acpi", "HW-3", CF_PASS,
		"no ACPI tables");
	CHECK_STR(line, "CONFORM uefi.acpi HW-3 PASS no ACPI tables");
	cf_line(line, sizeof(line), "uefi.x", "HW-1,HW-2", CF_FAIL, NULL);
	CHECK_STR(line, "CONFORM uefi.x HW-1,HW-2 FAIL -");
	cf_line(line, sizeof(line), "uefi.x", "FW-5", CF_SKIP, "  ");
	CHECK_STR(line, "CONFORM uefi.x FW-5 SKIP -");
	cf_line(line, sizeof(line), "uefi.x", "FW-5", CF_SKIP,
		"a\tb\r\n\x80z ");
	CHECK_STR(line, "CONFORM uefi.x FW-5 SKIP a?b???z");
	memset(ev, 'e', sizeof(ev) - 1);
	ev[sizeof(ev) - 1] = 0;
	cf_line(line, sizeof(line), "uefi.x", "FW-5", CF_PASS, ev);
	CHECK_EQ(strlen(line),
		 strlen("CONFORM uefi.x FW-5 PASS ") + CF_EVIDENCE_MAX);
	cf_begin_line(line, sizeof(line), "aarch64");
	CHECK_STR(line, "CONFORM-BEGIN 1 aarch64");
	cf_tally_add(&t, CF_PASS);
	cf_tally_add(&t, CF_PASS);
	cf_tally_add(&t, CF_FAIL);
	cf_tally_add(&t, CF_SKIP);
	cf_end_line(line, sizeof(line), &t);
	CHECK_STR(line, "CONFORM-END 2 1 1");
}

static void run_phases(void)
{
	static const char reset[] = "CONFORM-BEGIN 1 aarch64\n"
				    "CONFORM uefi.a FW-1 PASS x\n"
				    "CONFORM uefi.b FW-1 FAIL y\r\n"
				    "CONFORM uefi.c FW-1 SKIP -\n"
				    "CONFORM uefi.d FW-1 PASS PASS\n"
				    "# pending reset\n";
	static const char restart[] = "CONFORM-BEGIN 1 aarch64\n"
				      "CONFORM uefi.a FW-1 PASS x\n"
				      "CONFORM-END 1 0 0\n"
				      "# pending restart\r\n\n";
	static const char done[] =
	    "CONFORM-BEGIN 1 arm\n"
	    "CONFORM-END 0 0 0\n"
	    "# pending restart\n"
	    "CONFORM-BEGIN 1 arm\n"
	    "CONFORM uefi.nv-persists-restart FW-3 PASS -\n"
	    "CONFORM-END 1 0 0\n";
	struct cf_tally t;

	CHECK_EQ(cf_log_phase("", 0, &t), CF_PHASE_FRESH);
	CHECK_EQ(cf_log_phase(reset, strlen(reset), &t), CF_PHASE_AFTER_RESET);
	CHECK_EQ(t.pass, 2);
	CHECK_EQ(t.fail, 1);
	CHECK_EQ(t.skip, 1);
	CHECK_EQ(cf_log_phase(restart, strlen(restart), &t),
		 CF_PHASE_AFTER_RESTART);
	CHECK_EQ(cf_log_phase(done, strlen(done), &t), CF_PHASE_FRESH);
	/* Only the last line counts; a cut line is not the marker. */
	CHECK_EQ(cf_log_phase(reset, strlen(reset) - 2, &t), CF_PHASE_FRESH);
	CHECK_EQ(cf_log_phase("# pending reset and more\n", 25, &t),
		 CF_PHASE_FRESH);
}

static void removable_path(void)
{
	CHECK(cf_removable_path("\\EFI\\BOOT\\BOOTAA64.EFI", "BOOTAA64.EFI"));
	CHECK(cf_removable_path("\\efi\\boot\\bootaa64.efi", "BOOTAA64.EFI"));
	CHECK(cf_removable_path("\\EFI\\BOOT\\\\BOOTARM.EFI", "BOOTARM.EFI"));
	CHECK(!cf_removable_path("\\EFI\\BOOT\\BOOTAA64.EFI", "BOOTARM.EFI"));
	CHECK(
	    !cf_removable_path("\\EFI\\debian\\grubaa64.efi", "BOOTAA64.EFI"));
	CHECK(!cf_removable_path("\\EFI\\BOOT\\BOOTAA64.EFI.bak",
				 "BOOTAA64.EFI"));
	CHECK(!cf_removable_path("", "BOOTAA64.EFI"));
}

static struct cf_time tm(unsigned int y, unsigned int mo, unsigned int d,
			 unsigned int h, unsigned int mi, unsigned int s)
{
	return (struct cf_time){.year = (uint16_t)y,
				.month = (uint8_t)mo,
				.day = (uint8_t)d,
				.hour = (uint8_t)h,
				.minute = (uint8_t)mi,
				.second = (uint8_t)s,
				.timezone = CF_TZ_UNSPECIFIED};
}

static void time_valid(void)
{
	struct cf_time t = tm(2024, 2, 29, 23, 59, 59);

	CHECK(cf_time_valid(&t, why, sizeof(why)));
	t = tm(2023, 2, 29, 0, 0, 0);
	CHECK(!cf_time_valid(&t, why, sizeof(why)));
	CHECK(strstr(why, "invalid day") != NULL);
	t = tm(2000, 2, 29, 0, 0, 0); /* divisible by 400 */
	CHECK(cf_time_valid(&t, NULL, 0));
	t = tm(2100, 1, 1, 0, 0, 0);
	CHECK(!cf_time_valid(&t, NULL, 0));
	t = tm(1999, 12, 31, 0, 0, 0);
	CHECK(!cf_time_valid(&t, NULL, 0));
	t = tm(2024, 13, 1, 0, 0, 0);
	CHECK(!cf_time_valid(&t, why, sizeof(why)));
	CHECK(strstr(why, "month") != NULL);
	t = tm(2024, 4, 31, 0, 0, 0);
	CHECK(!cf_time_valid(&t, NULL, 0));
	t = tm(2024, 1, 1, 24, 0, 0);
	CHECK(!cf_time_valid(&t, NULL, 0));
	t = tm(2024, 1, 1, 0, 60, 0);
	CHECK(!cf_time_valid(&t, NULL, 0));
	t = tm(2024, 1, 1, 0, 0, 60);
	CHECK(!cf_time_valid(&t, NULL, 0));
	t = tm(2024, 1, 1, 0, 0, 0);
	t.nanosecond = 1000000000;
	CHECK(!cf_time_valid(&t, NULL, 0));
	t.nanosecond = 999999999;
	t.timezone = -1440;
	CHECK(cf_time_valid(&t, NULL, 0));
	t.timezone = 1441;
	CHECK(!cf_time_valid(&t, NULL, 0));
	t.timezone = 0;
	t.daylight = 4;
	CHECK(!cf_time_valid(&t, NULL, 0));
}

static void time_arithmetic(void)
{
	struct cf_time a = tm(2023, 12, 31, 23, 30, 0), b;

	b = a;
	cf_time_add(&b, 3600);
	CHECK_EQ(b.year, 2024);
	CHECK_EQ(b.month, 1);
	CHECK_EQ(b.day, 1);
	CHECK_EQ(b.hour, 0);
	CHECK_EQ(b.minute, 30);
	CHECK_EQ(cf_time_diff(&b, &a), 3600);
	CHECK_EQ(b.timezone, CF_TZ_UNSPECIFIED);
	a = tm(2024, 2, 28, 23, 0, 0);
	cf_time_add(&a, 3600);
	CHECK(a.month == 2 && a.day == 29 && a.hour == 0);
	a = tm(2024, 3, 1, 0, 10, 5);
	cf_time_add(&a, -3600);
	CHECK(a.month == 2 && a.day == 29 && a.hour == 23 && a.minute == 10 &&
	      a.second == 5);
	a = tm(2023, 3, 1, 0, 0, 0);
	cf_time_add(&a, -1);
	CHECK(a.month == 2 && a.day == 28 && a.hour == 23 && a.second == 59);
	a = tm(2000, 1, 1, 0, 0, 0);
	b = tm(2099, 12, 31, 23, 59, 59);
	CHECK_EQ(cf_time_diff(&b, &a), 3155759999LL);
	CHECK_EQ(cf_time_diff(&a, &b), -3155759999LL);
	cf_time_str(why, sizeof(why), &b);
	CHECK_STR(why, "2099-12-31T23:59:59 tz 2047 dl 0");
}

/* An RSDP as QEMU's ACPI builder makes it: revision 2, XSDT only. */
static void make_rsdp(uint8_t *r, uint8_t revision)
{
	uint64_t xsdt = 0x5c4e0000;
	unsigned int i;
	uint8_t sum = 0;

	memset(r, 0, CF_RSDP_V2_SIZE);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "BOCHS ", 6);
	r[15] = revision;
	if (revision < 2) {
		r[16] = 0x10; /* RSDT 0x5c4e0010 */
		r[18] = 0x4e;
		r[19] = 0x5c;
	}
	for (i = 0; i < 20; i++)
		sum += r[i];
	r[8] = (uint8_t)-sum;
	if (revision < 2)
		return;
	r[20] = CF_RSDP_V2_SIZE;
	for (i = 0; i < 8; i++)
		r[24 + i] = (uint8_t)(xsdt >> (8 * i));
	for (sum = 0, i = 0; i < CF_RSDP_V2_SIZE; i++)
		sum += r[i];
	r[32] = (uint8_t)-sum;
}

static void rsdp(void)
{
	uint8_t r[CF_RSDP_V2_SIZE];
	struct cf_rsdp ri;

	make_rsdp(r, 2);
	/* Read in steps: 20 bytes, the Length field, the whole. */
	CHECK_EQ(cf_rsdp_length(r, 0), 20);
	CHECK_EQ(cf_rsdp_length(r, 20), 24);
	CHECK_EQ(cf_rsdp_length(r, 24), 36);
	CHECK_EQ(cf_rsdp_check(r, 36, &ri, why, sizeof(why)), 0);
	CHECK_EQ(ri.revision, 2);
	CHECK_EQ(ri.length, 36);
	CHECK_EQ(ri.xsdt, 0x5c4e0000);
	CHECK_EQ(ri.rsdt, 0);
	CHECK_STR(ri.oem, "BOCHS ");
	/* Too few bytes for its revision. */
	CHECK_EQ(cf_rsdp_check(r, 20, &ri, why, sizeof(why)), -1);
	CHECK(strstr(why, "revision 2") != NULL);
	/* A Length past the bound, or short of the structure. */
	r[21] = 0x20; /* 0x2024 */
	CHECK_EQ(cf_rsdp_length(r, 24), 0);
	CHECK_EQ(cf_rsdp_check(r, 36, &ri, why, sizeof(why)), -1);
	CHECK(strstr(why, "length") != NULL);
	r[21] = 0;
	r[20] = 35;
	CHECK_EQ(cf_rsdp_length(r, 24), 0);
	/* The extended checksum. */
	make_rsdp(r, 2);
	r[30] ^= 1;
	CHECK_EQ(cf_rsdp_check(r, 36, &ri, why, sizeof(why)), -1);
	CHECK(strstr(why, "extended checksum") != NULL);
	/* The first checksum, the signature. */
	make_rsdp(r, 2);
	r[12] ^= 1;
	CHECK_EQ(cf_rsdp_check(r, 36, &ri, why, sizeof(why)), -1);
	CHECK(strstr(why, "first 20") != NULL);
	make_rsdp(r, 2);
	r[0] = 'X';
	CHECK_EQ(cf_rsdp_check(r, 36, &ri, why, sizeof(why)), -1);
	CHECK(strstr(why, "signature") != NULL);
	/* Revision 0: 20 bytes, an RSDT, no Length field read. */
	make_rsdp(r, 0);
	CHECK_EQ(cf_rsdp_length(r, 20), 20);
	CHECK_EQ(cf_rsdp_check(r, 20, &ri, why, sizeof(why)), 0);
	CHECK_EQ(ri.rsdt, 0x5c4e0010);
	CHECK_EQ(ri.xsdt, 0);
	CHECK_EQ(cf_rsdp_check(r, 19, &ri, why, sizeof(why)), -1);
	CHECK_EQ(cf_rsdp_check(NULL, 36, &ri, why, sizeof(why)), -1);
}

int main(void)
{
	check_suite = "conform_uefi";
	RUN(armvm_trees);
	RUN(hand_made_tree);
	RUN(broken_trees);
	RUN(malformed_nodes);
	RUN(format_like_snprintf);
	RUN(conform_lines);
	RUN(run_phases);
	RUN(removable_path);
	RUN(time_valid);
	RUN(time_arithmetic);
	RUN(rsdp);
	return check_main_end();
}
