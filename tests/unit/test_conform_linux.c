// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the Linux conformance program (conform/linux/): each check
 * on a fake tree of /proc and /sys that conforms (PASS), and on trees that
 * lack or break what it checks (FAIL with the evidence saying so); then the
 * program itself (build/<arch>/armvm-conform, beside tests/) with --root.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conform/linux/checks.h"
#include "tests/unit/check.h"

static char tree[64]; /* /tmp/armvm-conform-test.XXXXXX */

/* Writes data to tree/rel, making the directories on the way. */
static void put(const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX], *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	for (p = path + strlen(tree) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, data, len) == (ssize_t)len);
	close(fd);
}

static void put_str(const char *rel, const char *s)
{
	put(rel, s, strlen(s));
}

/* A device tree string (list): s with its NULs, e.g. "a\0b" + final NUL. */
#define PUT_PROP(rel, s) put(rel, s, sizeof(s))

/* Big-endian cells, as a device tree property. */
static void put_cells(const char *rel, int n, ...)
{
	unsigned char b[64];
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n && i < 16; i++) {
		uint32_t v = va_arg(ap, uint32_t);

		b[i * 4] = v >> 24;
		b[i * 4 + 1] = v >> 16;
		b[i * 4 + 2] = v >> 8;
		b[i * 4 + 3] = v;
	}
	va_end(ap);
	put(rel, b, (size_t)i * 4);
}

static void mkdirs(const char *rel)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s/%s/", tree, rel);
	for (p = path + strlen(tree) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
}

static void rm(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	CHECK(unlink(path) == 0 || rmdir(path) == 0);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *f)
{
	return remove(path);
}

static void rm_tree(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void link_at(const char *rel, const char *target)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	CHECK(symlink(target, path) == 0);
}

/*
 * A PCI function as sysfs has it: its directory under
 * /sys/devices/pci0000:00 with its config space, linked from
 * /sys/bus/pci/devices (the virtio devices sit in the same directories).
 */
static void put_function(const char *bdf, const void *cfg, size_t len)
{
	char rel[128], path[PATH_MAX], target[128];

	snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/config", bdf);
	put(rel, cfg, len);
	mkdirs("sys/bus/pci/devices");
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s", tree, bdf);
	snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", bdf);
	if (symlink(target, path) < 0)
		CHECK(errno == EEXIST);
}

/*
 * A PCI function's config space (len bytes, at most 4096): class, and
 * where port_type >= 0 a PCIe capability (after an MSI one) of that port
 * type, slot and SltCap.
 */
static void put_config(const char *bdf, unsigned int class, int port_type,
		       bool slot, uint32_t sltcap, size_t len)
{
	unsigned char c[4096] = {0};
	c[0] = 0xf4; /* vendor 0x1af4 */
	c[1] = 0x1a;
	c[0x0a] = class & 0xff;
	c[0x0b] = class >> 8;
	c[0x0e] = class == 0x0604 ? 1 : 0;
	if (port_type >= 0) {
		unsigned int flags =
		    0x2 | (unsigned int)port_type << 4 | (slot ? 0x100 : 0);

		c[0x06] = 0x10; /* capability list */
		c[0x34] = 0x40;
		c[0x40] = 0x05; /* MSI */
		c[0x41] = 0x60;
		c[0x60] = 0x10; /* PCI Express */
		c[0x61] = 0;
		c[0x62] = flags & 0xff;
		c[0x63] = flags >> 8;
		c[0x74] = sltcap & 0xff;
		c[0x75] = (sltcap >> 8) & 0xff;
		c[0x76] = (sltcap >> 16) & 0xff;
		c[0x77] = sltcap >> 24;
	}
	put_function(bdf, c, len < sizeof(c) ? len : sizeof(c));
}

/* A virtio PCI function (class 0x0100) whose only capability is MSI-X. */
static void put_config_msix(const char *bdf)
{
	unsigned char c[256] = {0};

	c[0] = 0xf4;
	c[1] = 0x1a;
	c[0x0b] = 0x01;
	c[0x06] = 0x10;
	c[0x34] = 0x98;
	c[0x98] = 0x11; /* MSI-X */
	put_function(bdf, c, sizeof(c));
}

static const char interrupts_v3[] =
    "           CPU0       CPU1       \n"
    " 11:       1234       5678     GICv3  27 Level     arch_timer\n"
    " 12:          9          0     GICv3  33 Level     uart-pl011\n"
    " 45:         10          0   ITS-MSI 16384 Edge      virtio0-config\n"
    " 46:         20          0   ITS-MSI 16385 Edge      virtio0-req.0\n"
    " 47:          3          0   ITS-MSI 32768 Edge      virtio1-config, virtio1-virtqueues\n"
    "IPI0:       100        200       Rescheduling interrupts\n"
    "Err:          0\n";

/* virtio features files: bit 0 first; bit 1 of a console is MULTIPORT */
static const char features_single[] =
    "0000000000000000000000000000000010000000000000000000000000000000\n";
static const char features_multiport[] =
    "0100000000000000000000000000000010000000000000000000000000000000\n";

/* A VM that conforms: GICv3 with an ITS, two CPUs, 512 MiB, UEFI. */
static void make_tree(void)
{
	static const unsigned char fdt[64] = {0xd0, 0x0d, 0xfe, 0xed,
					      0,    0,	  0,	64};

	snprintf(tree, sizeof(tree), "/tmp/armvm-conform-test.XXXXXX");
	CHECK(mkdtemp(tree) != NULL);
	put_str("sys/firmware/efi/fw_platform_size", "64\n");
	mkdirs("sys/firmware/efi/efivars");
	put("sys/firmware/fdt", fdt, sizeof(fdt));
	PUT_PROP("sys/firmware/devicetree/base/compatible", "linux,dummy-virt");
	PUT_PROP("sys/firmware/devicetree/base/model", "armvm");
	put_cells("sys/firmware/devicetree/base/#address-cells", 1, 2);
	put_cells("sys/firmware/devicetree/base/#size-cells", 1, 2);
	PUT_PROP("sys/firmware/devicetree/base/cpus/cpu@0/device_type", "cpu");
	PUT_PROP("sys/firmware/devicetree/base/cpus/cpu@0/enable-method",
		 "psci");
	PUT_PROP("sys/firmware/devicetree/base/cpus/cpu@1/device_type", "cpu");
	PUT_PROP("sys/firmware/devicetree/base/cpus/cpu@1/enable-method",
		 "psci");
	PUT_PROP("sys/firmware/devicetree/base/memory@40000000/device_type",
		 "memory");
	put_cells("sys/firmware/devicetree/base/memory@40000000/reg", 4, 0,
		  0x40000000, 0, 0x20000000);
	PUT_PROP("sys/firmware/devicetree/base/psci/compatible",
		 "arm,psci-1.0\0arm,psci-0.2\0arm,psci");
	PUT_PROP("sys/firmware/devicetree/base/psci/method", "hvc");
	PUT_PROP("sys/firmware/devicetree/base/intc@8000000/compatible",
		 "arm,gic-v3");
	PUT_PROP(
	    "sys/firmware/devicetree/base/intc@8000000/its@8080000/compatible",
	    "arm,gic-v3-its");
	PUT_PROP("sys/firmware/devicetree/base/timer/compatible",
		 "arm,armv8-timer\0arm,armv7-timer");
	PUT_PROP("sys/firmware/devicetree/base/pl011@9000000/compatible",
		 "arm,pl011\0arm,primecell");
	PUT_PROP("sys/firmware/devicetree/base/pl011@9000000/status", "okay");
	put_str("sys/devices/system/cpu/present", "0-1\n");
	put_str("sys/devices/system/cpu/cpu0/online", "1\n");
	put_str("sys/devices/system/cpu/cpu1/online", "1\n");
	put_str("proc/meminfo",
		"MemTotal:         450000 kB\nMemFree:          400000 kB\n");
	put_str("sys/class/rtc/rtc0/name", "rtc-efi rtc-efi.0\n");
	put_str("sys/class/rtc/rtc0/date", "2024-05-01\n");
	put_str("proc/interrupts", interrupts_v3);
	put_str("proc/consoles",
		"ttyAMA0              -W- (EC p a)    204:64\n"
		"hvc0                 -W- (E  p  )    229:0\n");
	put_str("sys/devices/pci0000:00/0000:00:02.0/virtio0/device",
		"0x0002\n");
	put_str("sys/devices/pci0000:00/0000:00:03.0/virtio1/device",
		"0x0003\n");
	put_str("sys/devices/pci0000:00/0000:00:03.0/virtio1/features",
		features_single);
	mkdirs("sys/bus/virtio/devices");
	link_at("sys/bus/virtio/devices/virtio0",
		"../../../devices/pci0000:00/0000:00:02.0/virtio0");
	link_at("sys/bus/virtio/devices/virtio1",
		"../../../devices/pci0000:00/0000:00:03.0/virtio1");
	mkdirs("sys/class/tty/hvc0");
	mkdirs("sys/class/tty/ttyAMA0");
	put_config("0000:00:00.0", 0x0600, -1, false, 0, 256);
	put_config("0000:00:01.0", 0x0604, 4, true, 0x00000060, 256);
	put_config("0000:00:01.1", 0x0604, 4, true, 0x00000060, 4096);
	put_config_msix("0000:00:02.0");
	put_config_msix("0000:00:03.0");
	PUT_PROP("sys/firmware/devicetree/base/pcie@10000000/device_type",
		 "pci");
	put_cells("sys/firmware/devicetree/base/pcie@10000000/msi-map", 4, 0, 1,
		  0, 0x10000);
}

static void drop_tree(void)
{
	nftw(tree, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static struct conform_ctx fake_ctx(void)
{
	struct conform_ctx ctx = {
	    .root = tree, .root_given = true, .timer_wait_ms = 1};

	return ctx;
}

static struct conform_result run_ctx(const char *id,
				     const struct conform_ctx *ctx)
{
	const struct conform_check *c = conform_find(id);
	struct conform_result r = {CONFORM_SKIP, "not run"};

	CHECK(c != NULL);
	if (c)
		c->run(ctx, &r);
	return r;
}

static struct conform_result run(const char *id)
{
	struct conform_ctx ctx = fake_ctx();

	return run_ctx(id, &ctx);
}

/* The check's status, and its evidence holds want. */
#define EXPECT(id, st, want)                                                 \
	do {                                                                 \
		struct conform_result r_ = run(id);                          \
		CHECK_EQ(r_.status, st);                                     \
		CHECK(strstr(r_.evidence, want) != NULL);                    \
		if (r_.status != (st) || !strstr(r_.evidence, want))         \
			printf("  %s: %s %s\n", id,                          \
			       conform_status_name(r_.status), r_.evidence); \
	} while (0)

static void test_conforming_tree_passes(void)
{
	unsigned int i;

	make_tree();
	for (i = 0; i < conform_nr_checks; i++) {
		const char *id = conform_checks[i].id;
		struct conform_result r = run(id);
		bool skip = !strcmp(id, "linux.cpu-hotplug") ||
			    !strcmp(id, "linux.efivars") ||
			    !strcmp(id, "linux.timer-irq") ||
			    !strcmp(id, "linux.timer-freq");

		CHECK_EQ(r.status, skip ? CONFORM_SKIP : CONFORM_PASS);
		CHECK(r.evidence[0] != '\0');
		if (r.status != (skip ? CONFORM_SKIP : CONFORM_PASS))
			printf("  %s: %s %s\n", id,
			       conform_status_name(r.status), r.evidence);
	}
	EXPECT("linux.efi-boot", CONFORM_PASS,
	       "fw_platform_size 64, runtime variable services (efivars)");
	EXPECT("linux.devicetree", CONFORM_PASS, "2 cpus, 512 MiB memory");
	EXPECT("linux.acpi", CONFORM_PASS, "no /sys/firmware/acpi/tables");
	EXPECT("linux.cpus", CONFORM_PASS, "present CPUs 0-1");
	EXPECT("linux.memory", CONFORM_PASS, "MemTotal 450000 kB of 524288 kB");
	EXPECT("linux.psci", CONFORM_PASS,
	       "arm,psci-1.0,arm,psci-0.2,arm,psci, method hvc; 2 of 2");
	EXPECT("linux.rtc-efi", CONFORM_PASS,
	       "rtc0 is rtc-efi, date 2024-05-01");
	EXPECT("linux.gic", CONFORM_PASS, "GICv3: /intc@8000000");
	EXPECT(
	    "linux.msi", CONFORM_PASS,
	    "virtio0 ITS-MSI, virtio1 ITS-MSI; arm,gic-v3-its /intc@8000000/its@8080000");
	EXPECT("linux.timer-dt", CONFORM_PASS,
	       "/timer compatible arm,armv8-timer");
	EXPECT("linux.console-pl011", CONFORM_PASS,
	       "consoles ttyAMA0,hvc0; pl011 in the DT: /pl011@9000000");
	EXPECT("linux.console-hvc", CONFORM_PASS,
	       "virtio1 is a virtio-console");
	EXPECT("linux.pcie-hotplug", CONFORM_PASS,
	       "2 of 2 root ports: 0000:00:01.0 HPC (SltCap 0x00000060)");
	/* a fixed tree does not count: SKIP, not FAIL */
	EXPECT("linux.timer-irq", CONFORM_SKIP, "unchanged");
	EXPECT("linux.cpu-hotplug", CONFORM_SKIP, "--root given");
	EXPECT("linux.efivars", CONFORM_SKIP, "--root given");
	EXPECT("linux.timer-freq", CONFORM_SKIP, "CNTFRQ not read");
	drop_tree();
}

static void test_no_write_skips(void)
{
	struct conform_ctx ctx = fake_ctx();
	struct conform_result r;

	make_tree();
	ctx.root_given = false;
	ctx.no_write = true;
	r = run_ctx("linux.cpu-hotplug", &ctx);
	CHECK_EQ(r.status, CONFORM_SKIP);
	CHECK_STR(r.evidence, "--no-write given");
	r = run_ctx("linux.efivars", &ctx);
	CHECK_EQ(r.status, CONFORM_SKIP);
	CHECK_STR(r.evidence, "--no-write given");
	drop_tree();
}

/* cpu-hotplug on the fake tree, its writes going to the fake files */
static void test_cpu_hotplug(void)
{
	struct conform_ctx ctx = fake_ctx();
	struct conform_result r;
	char buf[16];
	int fd;

	make_tree();
	ctx.write_fake = true;
	put_str("sys/devices/system/cpu/present", "0-2,10\n");
	put_str("sys/devices/system/cpu/cpu2/online", "1\n");
	put_str("sys/devices/system/cpu/cpu10/online", "1\n");
	put_str("sys/devices/system/cpu/cpufreq/x", "");
	/* cpu10, not cpu2 (which sorts after it as a string) */
	r = run_ctx("linux.cpu-hotplug", &ctx);
	CHECK_EQ(r.status, CONFORM_PASS);
	CHECK_STR(r.evidence, "cpu10 of 4 CPUs went offline and online again "
			      "(PSCI CPU_OFF, CPU_ON)");
	{
		char path[PATH_MAX];

		snprintf(path, sizeof(path),
			 "%s/sys/devices/system/cpu/cpu10/online", tree);
		fd = open(path, O_RDONLY);
		CHECK(fd >= 0);
		if (fd >= 0) {
			CHECK_EQ(read(fd, buf, sizeof(buf)), 2);
			CHECK(buf[0] == '1');
			close(fd);
		}
	}
	/* offline at the start: left alone */
	put_str("sys/devices/system/cpu/cpu10/online", "0\n");
	r = run_ctx("linux.cpu-hotplug", &ctx);
	CHECK_EQ(r.status, CONFORM_SKIP);
	CHECK_STR(r.evidence, "cpu10 is not online at the start");
	/* an online file that reads neither 0 nor 1 */
	rm("sys/devices/system/cpu/cpu10/online");
	link_at("sys/devices/system/cpu/cpu10/online", "/proc/version");
	r = run_ctx("linux.cpu-hotplug", &ctx);
	CHECK_EQ(r.status, CONFORM_SKIP);
	rm("sys/devices/system/cpu/cpu10/online");
	/* without cpu10's online file, cpu2 is the highest */
	r = run_ctx("linux.cpu-hotplug", &ctx);
	CHECK_EQ(r.status, CONFORM_PASS);
	CHECK(strncmp(r.evidence, "cpu2 of 4 CPUs", 14) == 0);
	rm("sys/devices/system/cpu/cpu0/online");
	rm("sys/devices/system/cpu/cpu1/online");
	rm("sys/devices/system/cpu/cpu2/online");
	r = run_ctx("linux.cpu-hotplug", &ctx);
	CHECK_EQ(r.status, CONFORM_FAIL);
	CHECK_STR(r.evidence,
		  "4 CPUs but no cpuN/online file (no CPU hotplug)");
	put_str("sys/devices/system/cpu/present", "0\n");
	r = run_ctx("linux.cpu-hotplug", &ctx);
	CHECK_EQ(r.status, CONFORM_SKIP);
	CHECK_STR(r.evidence, "one CPU (present 0)");
	drop_tree();
}

static void test_firmware_failures(void)
{
	make_tree();
	rm("sys/firmware/efi/fw_platform_size");
	rm("sys/firmware/efi/efivars");
	rm("sys/firmware/efi");
	EXPECT("linux.efi-boot", CONFORM_FAIL, "no /sys/firmware/efi");
	put_str("sys/class/rtc/rtc0/name", "rtc-pl031\n");
	EXPECT("linux.rtc-efi", CONFORM_FAIL,
	       "no rtc-efi; RTCs: rtc0=rtc-pl031");
	/* rtc-efi beside another RTC */
	put_str("sys/class/rtc/rtc1/name", "rtc-efi rtc-efi.0\n");
	put_str("sys/class/rtc/rtc1/date", "2031-12-31\n");
	EXPECT("linux.rtc-efi", CONFORM_PASS,
	       "rtc1 is rtc-efi, date 2031-12-31");
	/* an old base is still a valid date */
	put_str("sys/class/rtc/rtc1/date", "1999-01-01\n");
	EXPECT("linux.rtc-efi", CONFORM_PASS, "date 1999-01-01");
	put_str("sys/class/rtc/rtc1/date", "1969-12-31\n");
	EXPECT("linux.rtc-efi", CONFORM_FAIL, "reads 1969-12-31: not a valid");
	put_str("sys/class/rtc/rtc1/date", "2024-13-01\n");
	EXPECT("linux.rtc-efi", CONFORM_FAIL, "reads 2024-13-01: not a valid");
	put_str("sys/class/rtc/rtc1/date", "20x4-01-01\n");
	EXPECT("linux.rtc-efi", CONFORM_FAIL, "rtc1 (rtc-efi): no date");
	rm_tree("sys/class/rtc");
	EXPECT("linux.rtc-efi", CONFORM_FAIL, "no RTC in /sys/class/rtc");
	drop_tree();
}

static void test_devicetree_failures(void)
{
	make_tree();
	put_str("proc/meminfo", "MemTotal:         600000 kB\n");
	EXPECT("linux.memory", CONFORM_FAIL,
	       "MemTotal 600000 kB above the device tree's 524288 kB");
	put_str("proc/meminfo", "MemTotal:         100000 kB\n");
	EXPECT("linux.memory", CONFORM_FAIL,
	       "MemTotal 100000 kB below 70% of the device tree's 524288 kB "
	       "(enabled nodes)");
	/* an inflated virtio balloon takes memory out of MemTotal */
	put_str("sys/devices/pci0000:00/0000:00:04.0/virtio2/device",
		"0x0005\n");
	link_at("sys/bus/virtio/devices/virtio2",
		"../../../devices/pci0000:00/0000:00:04.0/virtio2");
	EXPECT("linux.memory", CONFORM_SKIP, "with a virtio balloon (virtio2)");
	rm("sys/bus/virtio/devices/virtio2");
	/* a second node the firmware disabled: the kernel booted through
	 * UEFI uses its memory, which counts for the upper bound */
	put_cells("sys/firmware/devicetree/base/memory@80000000/reg", 4, 0,
		  0x80000000, 0, 0x20000000);
	PUT_PROP("sys/firmware/devicetree/base/memory@80000000/status",
		 "disabled");
	put_str("proc/meminfo", "MemTotal:         900000 kB\n");
	EXPECT("linux.memory", CONFORM_PASS,
	       "MemTotal 900000 kB of 1048576 kB in 2 memory node(s) "
	       "(/memory@40000000), 1 disabled");
	/* booted by DT alone, the kernel skips it: the floor is the enabled
	 * node's */
	put_str("proc/meminfo", "MemTotal:         450000 kB\n");
	EXPECT("linux.memory", CONFORM_PASS,
	       "MemTotal 450000 kB of 1048576 kB");
	rm_tree("sys/firmware/devicetree/base/memory@80000000");
	put_str("proc/meminfo", "MemFree: 1 kB\n");
	EXPECT("linux.memory", CONFORM_FAIL, "no MemTotal");
	/* a node the firmware disabled still describes the memory */
	PUT_PROP("sys/firmware/devicetree/base/memory@40000000/status",
		 "disabled");
	put_str("proc/meminfo", "MemTotal:         500000 kB\n");
	EXPECT(
	    "linux.memory", CONFORM_PASS,
	    "MemTotal 500000 kB of 524288 kB in 1 memory node(s) (/memory@40000000), 1 disabled");
	put("sys/firmware/devicetree/base/memory@40000000/reg", "\0\0\0\1\0",
	    5);
	EXPECT("linux.memory", CONFORM_FAIL, "reg of 5 bytes");
	rm_tree("sys/firmware/devicetree/base/memory@40000000");
	EXPECT("linux.devicetree", CONFORM_FAIL, "no memory node");
	EXPECT("linux.memory", CONFORM_FAIL, "no memory node");

	put_str("sys/devices/system/cpu/present", "0-2\n");
	EXPECT("linux.cpus", CONFORM_FAIL,
	       "device tree 2 cpu nodes, kernel's present CPUs '0-2'");
	put_str("sys/devices/system/cpu/present", "zero\n");
	EXPECT("linux.cpus", CONFORM_FAIL, "'zero'");
	rm_tree("sys/firmware/devicetree/base/cpus");
	EXPECT("linux.devicetree", CONFORM_FAIL, "no cpu node under /cpus");

	/* ACPI only in addition to a complete device tree */
	mkdirs("sys/firmware/acpi/tables");
	EXPECT("linux.acpi", CONFORM_FAIL,
	       "ACPI tables without a complete device tree");
	drop_tree();

	make_tree();
	mkdirs("sys/firmware/acpi/tables");
	EXPECT("linux.acpi", CONFORM_PASS, "in addition to a complete");
	PUT_PROP("sys/firmware/devicetree/base/psci/compatible", "arm,psci");
	EXPECT("linux.psci", CONFORM_FAIL,
	       "/psci compatible arm,psci: neither");
	PUT_PROP("sys/firmware/devicetree/base/psci/compatible",
		 "arm,psci-0.2");
	PUT_PROP("sys/firmware/devicetree/base/psci/method", "svc\n");
	EXPECT("linux.psci", CONFORM_FAIL, "method 'svc': not hvc or smc");
	rm_tree("sys/firmware/devicetree/base/psci");
	EXPECT("linux.psci", CONFORM_FAIL, "no /psci node");
	rm_tree("sys/firmware/devicetree");
	EXPECT("linux.devicetree", CONFORM_FAIL,
	       "no /sys/firmware/devicetree/base");
	drop_tree();
}

static void test_gic(void)
{
	make_tree();
	put_str("proc/interrupts", " 11:  5  GIC-0  27 Level  arch_timer\n"
				   " 12:  1  GIC-0  33 Level  uart-pl011\n");
	EXPECT("linux.gic", CONFORM_FAIL,
	       "arm,gic-v3, but /proc/interrupts has 0 GICv3 and 2 GICv2");
	PUT_PROP("sys/firmware/devicetree/base/intc@8000000/compatible",
		 "arm,cortex-a15-gic");
	rm_tree("sys/firmware/devicetree/base/intc@8000000/its@8080000");
	EXPECT("linux.gic", CONFORM_PASS,
	       "GICv2: /intc@8000000 compatible arm,cortex-a15-gic; 2 lines");
	put_str("proc/interrupts", " 11:  5  GICv2  27 Level  arch_timer\n");
	EXPECT("linux.gic", CONFORM_PASS, "GICv2");
	PUT_PROP("sys/firmware/devicetree/base/intc@8000000/compatible",
		 "arm,cortex-a9-gic");
	EXPECT("linux.gic", CONFORM_FAIL, "a GICv1");
	PUT_PROP("sys/firmware/devicetree/base/intc@8000000/compatible",
		 "arm,gic-v3");
	PUT_PROP("sys/firmware/devicetree/base/intc@8000000/status",
		 "disabled");
	EXPECT("linux.gic", CONFORM_FAIL, "no GIC node in the device tree");
	rm("proc/interrupts");
	EXPECT("linux.gic", CONFORM_FAIL, "/proc/interrupts: No such file");
	drop_tree();
}

static void test_msi(void)
{
	make_tree();
	/* virtio0 on INTx although it has MSI-X, the GIC an ITS and the host
	 * bridge an msi-map: the guest's choice (pci=nomsi), not a FAIL */
	put_str("proc/interrupts",
		" 11:  5  GICv3  27 Level  arch_timer\n"
		" 40:  7  GICv3  36 Level  virtio0\n"
		" 47:  3  ITS-PCI-MSIX-0000:00:03.0 0 Edge  virtio1-config\n");
	put_str("proc/cmdline", "console=hvc0 pci=nomsi\n");
	EXPECT("linux.msi", CONFORM_SKIP,
	       "the guest chose INTx: 1 of 2 on MSIs (cmdline: nomsi): virtio0 "
	       "INTx, MSI-X and MSIs offered, virtio1 "
	       "ITS-PCI-MSIX-0000:00:03.0; arm,gic-v3-its");
	/* a host bridge without msi-map or msi-parent gives no MSIs */
	rm("sys/firmware/devicetree/base/pcie@10000000/msi-map");
	EXPECT("linux.msi", CONFORM_PASS,
	       "virtio0 INTx (MSI-X, no host bridge msi-map or msi-parent)");
	put_cells("sys/firmware/devicetree/base/pcie@10000000/msi-parent", 1,
		  1);
	rm("proc/cmdline");
	EXPECT("linux.msi", CONFORM_SKIP,
	       "the guest chose INTx: 1 of 2 on MSIs: virtio0 INTx, MSI-X");
	EXPECT("linux.msi", CONFORM_SKIP, "/pcie@10000000 msi-parent");
	/* a function without MSI-X has INTx by design */
	put_config("0000:00:02.0", 0x0100, 0, false, 0, 256);
	EXPECT("linux.msi", CONFORM_PASS, "virtio0 INTx (no MSI-X)");
	/* as a non-root user reads config space: cannot tell, a SKIP */
	put_config("0000:00:02.0", 0x0100, 0, false, 0, 64);
	EXPECT("linux.msi", CONFORM_SKIP,
	       "virtio0 INTx (config space 64 bytes)");
	/* without an ITS, INTx is what there is */
	put_config_msix("0000:00:02.0");
	rm_tree("sys/firmware/devicetree/base/intc@8000000/its@8080000");
	EXPECT("linux.msi", CONFORM_PASS,
	       "1 of 2 on MSIs: virtio0 INTx (MSI-X, no ITS or GICv2m frame), "
	       "virtio1 ITS-PCI-MSIX-0000:00:03.0; no ITS or GICv2m");
	/* "virtio1" is not "virtio10" */
	put_str("proc/interrupts", " 40:  7  GICv3  36 Level  virtio10\n");
	EXPECT("linux.msi", CONFORM_SKIP, "virtio0 no interrupt, virtio1 no");
	/* no /proc/interrupts: nothing to judge MSIs by */
	rm("proc/interrupts");
	EXPECT("linux.msi", CONFORM_SKIP, "/proc/interrupts: No such file");
	drop_tree();

	/* a GICv2 with a GICv2m frame (QEMU virt with gic-version=2): the
	 * MSIs' chip is "MSI" */
	make_tree();
	PUT_PROP("sys/firmware/devicetree/base/intc@8000000/compatible",
		 "arm,cortex-a15-gic");
	rm_tree("sys/firmware/devicetree/base/intc@8000000/its@8080000");
	PUT_PROP("sys/firmware/devicetree/base/intc@8000000/v2m@8020000/"
		 "compatible",
		 "arm,gic-v2m-frame");
	put_str(
	    "proc/interrupts",
	    "           CPU0       CPU1       \n"
	    " 10:       1234       5678     GIC-0  27 Level     arch_timer\n"
	    " 35:         10          0     GIC-0  33 Level     uart-pl011\n"
	    " 50:         10          0       MSI 16384 Edge      "
	    "virtio0-config\n"
	    " 51:         20          0       MSI 16385 Edge      "
	    "virtio0-req.0\n"
	    " 52:          3          0       MSI 32768 Edge      "
	    "virtio1-config\n");
	EXPECT("linux.msi", CONFORM_PASS,
	       "2 of 2 on MSIs: virtio0 MSI, virtio1 MSI; arm,gic-v2m-frame "
	       "/intc@8000000/v2m@8020000; /pcie@10000000 msi-map");
	EXPECT("linux.gic", CONFORM_PASS,
	       "GICv2: /intc@8000000 compatible arm,cortex-a15-gic; 2 lines");
	drop_tree();

	make_tree();
	/* virtio-mmio devices have no MSIs to check; nor has a platform
	 * device whose name starts with "pci" (no config file beside it) */
	rm("sys/bus/virtio/devices/virtio0");
	rm("sys/bus/virtio/devices/virtio1");
	link_at("sys/bus/virtio/devices/virtio0",
		"../../../devices/platform/a000000.virtio_mmio/virtio0");
	mkdirs("sys/devices/platform/pci-virtio.0/virtio1");
	link_at("sys/bus/virtio/devices/virtio1",
		"../../../devices/platform/pci-virtio.0/virtio1");
	EXPECT("linux.msi", CONFORM_SKIP, "no virtio device on PCI");
	rm_tree("sys/bus/virtio");
	EXPECT("linux.msi", CONFORM_SKIP, "no virtio device");
	drop_tree();
}

static void test_timer(void)
{
	struct conform_result r;
	uint64_t sum = 0;
	const char *later =
	    " 11:       1300       5700     GICv3  27 Level     arch_timer\n";

	CHECK_EQ(conform_timer_count(interrupts_v3, &sum), 1);
	CHECK_EQ(sum, 1234 + 5678);
	CHECK_EQ(conform_timer_count("garbage\n:\n 1: x\n", &sum), 0);
	conform_judge_timer(interrupts_v3, later, false, 200, &r);
	CHECK_EQ(r.status, CONFORM_PASS);
	CHECK_STR(r.evidence, "arch_timer 6912 then 7000 in 200 ms");
	conform_judge_timer(interrupts_v3, interrupts_v3, false, 200, &r);
	CHECK_EQ(r.status, CONFORM_FAIL);
	CHECK(strstr(r.evidence, "not counting") != NULL);
	conform_judge_timer(interrupts_v3, interrupts_v3, true, 200, &r);
	CHECK_EQ(r.status, CONFORM_SKIP);
	conform_judge_timer(" 12: 9 GICv3 33 Level uart-pl011\n", later, true,
			    200, &r);
	CHECK_EQ(r.status, CONFORM_FAIL);
	CHECK_STR(r.evidence, "no arch_timer line in /proc/interrupts");

	make_tree();
	{
		struct conform_ctx ctx = fake_ctx();

		ctx.cntfrq_known = true;
		ctx.cntfrq = 62500000;
		r = run_ctx("linux.timer-freq", &ctx);
		CHECK_EQ(r.status, CONFORM_PASS);
		CHECK_STR(r.evidence, "CNTFRQ 62500000 Hz");
		ctx.cntfrq = 1000000;
		r = run_ctx("linux.timer-freq", &ctx);
		CHECK_EQ(r.status, CONFORM_FAIL);
		CHECK_STR(r.evidence,
			  "CNTFRQ 1000000 Hz: below Arm BSA's 10 MHz");
		/* Arm's BSA asks for at least 10 MHz: 10 MHz is enough */
		ctx.cntfrq = 10000000;
		r = run_ctx("linux.timer-freq", &ctx);
		CHECK_EQ(r.status, CONFORM_PASS);
	}
	put_str("proc/interrupts", " 12: 9 GICv3 33 Level uart-pl011\n");
	EXPECT("linux.timer-irq", CONFORM_FAIL, "no arch_timer line");
	rm_tree("sys/firmware/devicetree/base/timer");
	EXPECT("linux.timer-dt", CONFORM_FAIL, "no arm,armv8-timer");
	drop_tree();
}

static void test_consoles(void)
{
	make_tree();
	/* an image booted with console=hvc0 on QEMU's pl011 */
	put_str("proc/consoles",
		"hvc0                 -W- (EC p a)    229:0\n");
	EXPECT("linux.console-pl011", CONFORM_PASS,
	       "pl011 driven as ttyAMA0, not the console: consoles hvc0");
	rm("sys/class/tty/ttyAMA0");
	EXPECT("linux.console-pl011", CONFORM_SKIP,
	       "no ttyAMA; PLAT-2 met by another console: hvc0; pl011 in the "
	       "DT: /pl011@9000000");
	put_str("proc/consoles", "ttyS0                -W- (EC p a)    4:64\n");
	EXPECT("linux.console-pl011", CONFORM_FAIL,
	       "no pl011 (ttyAMA) and no other PLAT-2 console: consoles ttyS0; "
	       "pl011 in the DT: /pl011@9000000");
	rm_tree("sys/firmware/devicetree/base/pl011@9000000");
	EXPECT("linux.console-pl011", CONFORM_FAIL,
	       "consoles ttyS0; pl011 in the DT: none");
	put_str("proc/consoles",
		"hvc0                 -W- (E  p  )    229:0\n");
	EXPECT("linux.console-pl011", CONFORM_SKIP,
	       "PLAT-2 met by another console: hvc0");
	rm("sys/class/tty/hvc0");
	EXPECT(
	    "linux.console-hvc", CONFORM_FAIL,
	    "no /sys/class/tty/hvc0, but virtio-console: virtio1 single port");
	/* a virtio-serial controller (libvirt's, for the guest agent) without
	 * a console port makes no hvc0: not a failure */
	put_str("sys/devices/pci0000:00/0000:00:03.0/virtio1/features",
		features_multiport);
	EXPECT("linux.console-hvc", CONFORM_SKIP,
	       "no console port (no hvc0) on virtio-serial: virtio1 MULTIPORT");
	mkdirs("sys/class/tty/hvc0");
	EXPECT("linux.console-hvc", CONFORM_PASS, "hvc0 present");
	rm("sys/class/tty/hvc0");
	rm("sys/devices/pci0000:00/0000:00:03.0/virtio1/features");
	EXPECT("linux.console-hvc", CONFORM_FAIL,
	       "virtio1 (features unreadable)");
	put_str("sys/devices/pci0000:00/0000:00:03.0/virtio1/device",
		"0x0001\n");
	EXPECT("linux.console-hvc", CONFORM_SKIP, "no virtio-console device");
	rm("proc/consoles");
	EXPECT("linux.console-pl011", CONFORM_FAIL,
	       "cannot read /proc/consoles");
	drop_tree();
}

static void test_pcie_hotplug(void)
{
	unsigned char c[256] = {0};
	char why[64];

	make_tree();
	put_config("0000:00:01.1", 0x0604, 4, true, 0x00000020, 256);
	EXPECT("linux.pcie-hotplug", CONFORM_FAIL,
	       "1 of 2 root ports fail: 0000:00:01.1 not hot-plug capable "
	       "(SltCap 0x00000020); 0000:00:01.0 HPC");
	/* libvirt's 14 root ports: the failing last one still shows */
	{
		char bdf[64];
		int i;

		for (i = 2; i < 14; i++) {
			snprintf(bdf, sizeof(bdf), "0000:00:01.%x", i);
			put_config(bdf, 0x0604, 4, true, 0x60, 256);
		}
		put_config("0000:00:01.1", 0x0604, 4, true, 0x60, 256);
		put_config("0000:00:01.d", 0x0604, 4, true, 0x20, 256);
		EXPECT("linux.pcie-hotplug", CONFORM_FAIL,
		       "1 of 14 root ports fail: 0000:00:01.d not hot-plug");
		for (i = 2; i < 14; i++) {
			snprintf(bdf, sizeof(bdf),
				 "sys/bus/pci/devices/0000:00:01.%x", i);
			rm(bdf);
		}
		put_config("0000:00:01.1", 0x0604, 4, true, 0x20, 256);
	}
	put_config("0000:00:01.1", 0x0604, 4, false, 0, 256);
	EXPECT("linux.pcie-hotplug", CONFORM_FAIL,
	       "0000:00:01.1 not hot-plug capable (no slot implemented)");
	/* a downstream switch port (type 6) is not a root port */
	put_config("0000:00:01.1", 0x0604, 6, true, 0, 256);
	EXPECT("linux.pcie-hotplug", CONFORM_PASS, "1 of 1 root ports");
	/* as a non-root user reads it: 64 bytes */
	put_config("0000:00:01.0", 0x0604, 4, true, 0x60, 64);
	EXPECT("linux.pcie-hotplug", CONFORM_SKIP,
	       "0000:00:01.0 truncated, not root? (config space 64 bytes)");
	rm_tree("sys/bus/pci/devices/0000:00:01.0");
	rm_tree("sys/bus/pci/devices/0000:00:01.1");
	EXPECT("linux.pcie-hotplug", CONFORM_FAIL,
	       "no PCIe root port among 3 PCI functions");
	rm_tree("sys/bus/pci");
	EXPECT("linux.pcie-hotplug", CONFORM_FAIL, "no PCI");
	drop_tree();

	/* malformed capability lists */
	c[0x0a] = 0x04;
	c[0x0b] = 0x06;
	c[0x06] = 0x10;
	c[0x34] = 0x20;
	CHECK_EQ(conform_root_port_hotplug(c, sizeof(c), why, sizeof(why)), -3);
	CHECK_STR(why, "capability pointer 0x20 in the header");
	c[0x34] = 0x40;
	c[0x40] = 0x05;
	c[0x41] = 0x40; /* points at itself */
	CHECK_EQ(conform_root_port_hotplug(c, sizeof(c), why, sizeof(why)), -3);
	CHECK_STR(why, "capability list loops");
	c[0x41] = 0xfc; /* beyond the 256 bytes given */
	c[0xfc] = 0x10;
	CHECK_EQ(conform_root_port_hotplug(c, sizeof(c), why, sizeof(why)), -2);
	CHECK_EQ(conform_root_port_hotplug(c, 10, why, sizeof(why)), -2);
	c[0x06] = 0; /* a conventional bridge */
	CHECK_EQ(conform_root_port_hotplug(c, sizeof(c), why, sizeof(why)), -1);
}

/* Files a hostile VM could make strange: never a crash, never a bad line. */
static void test_hostile_files(void)
{
	char *big = malloc((1u << 20) + 16);
	char line[512];
	FILE *f;
	struct conform_result r;

	make_tree();
	put_str("sys/class/rtc/rtc0/name", "rtc-pl031\n\033[2J\x01x");
	r = run("linux.rtc-efi");
	CHECK_EQ(r.status, CONFORM_FAIL);
	f = tmpfile();
	CHECK(f != NULL);
	if (f) {
		conform_print(f, "linux.rtc-efi", "FW-5", &r);
		rewind(f);
		CHECK(fgets(line, sizeof(line), f) != NULL);
		CHECK(strchr(line, '\033') == NULL);
		CHECK_EQ(strchr(line, '\n') - line, strlen(line) - 1);
		CHECK(strstr(line, "rtc0=rtc-pl031??[2J?x") != NULL);
		fclose(f);
	}
	/* an /proc/interrupts larger than the bound (a many-CPU VM): the
	 * lines read whole count */
	if (big) {
		size_t o = strlen(interrupts_v3);

		memcpy(big, interrupts_v3, o);
		while (o + 40 < (1u << 20) + 15)
			o += (size_t)sprintf(big + o,
					     " 99:  1  GICv3  99 Level  x\n");
		memset(big + o, ' ', (1u << 20) + 15 - o);
		big[(1u << 20) + 15] = '\0';
		put_str("proc/interrupts", big);
		free(big);
	}
	EXPECT("linux.gic", CONFORM_PASS, "GICv3: /intc@8000000");
	/* a status too long to be "okay" disables the node */
	{
		char st[100];

		memset(st, 'o', sizeof(st));
		put("sys/firmware/devicetree/base/cpus/cpu@1/status", st,
		    sizeof(st));
		EXPECT("linux.cpus", CONFORM_FAIL, "device tree 1 cpu nodes");
	}
	/* evidence longer than the bound is cut, not overflowed */
	memset(line, 'a', 400);
	line[400] = '\0';
	result_set(&r, CONFORM_PASS, "%s", line);
	CHECK_EQ(strlen(r.evidence), CONFORM_EVIDENCE_MAX);
	/* cells that are not one cell */
	put("sys/firmware/devicetree/base/#size-cells", "\0\0\0\3", 4);
	EXPECT("linux.memory", CONFORM_FAIL, "#address-cells 2, #size-cells 3");
	/* not a cell: the default (1), which the reg then does not fit */
	put("sys/firmware/devicetree/base/#size-cells", "\0\0", 2);
	EXPECT("linux.memory", CONFORM_FAIL, "reg of 16 bytes");
	drop_tree();
}

static void test_dump_fdt(void)
{
	struct conform_ctx ctx;
	struct conform_result r;
	char out[PATH_MAX], buf[128];
	int fd;

	make_tree();
	ctx = fake_ctx();
	snprintf(out, sizeof(out), "%s/out.dtb", tree);
	conform_dump_fdt(&ctx, out, &r);
	CHECK_EQ(r.status, CONFORM_PASS);
	CHECK(strstr(r.evidence, "64 bytes to ") != NULL);
	fd = open(out, O_RDONLY);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_EQ(read(fd, buf, sizeof(buf)), 64);
		CHECK_EQ((unsigned char)buf[0], 0xd0);
		close(fd);
	}
	put("sys/firmware/fdt", "\xd0\x0d\xfe\xed\0\0\1\0", 8);
	conform_dump_fdt(&ctx, out, &r);
	CHECK_EQ(r.status, CONFORM_FAIL);
	CHECK_STR(r.evidence, "/sys/firmware/fdt: 8 bytes");
	put("sys/firmware/fdt",
	    "\xd0\x0d\xfe\xed\0\0\1\0"
	    "0123456789012345678901234567890123456789",
	    48);
	conform_dump_fdt(&ctx, out, &r);
	CHECK_EQ(r.status, CONFORM_FAIL);
	CHECK_STR(
	    r.evidence,
	    "/sys/firmware/fdt: magic 0xd00dfeed, totalsize 256 of 48 bytes");
	drop_tree();
}

/* Runs the program beside tests/ with args; its output into out. */
static int run_program(const char *args, char *out, size_t cap)
{
	char exe[PATH_MAX], cmd[PATH_MAX * 2];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t len = 0;
	FILE *p;
	int st;

	out[0] = '\0';
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	snprintf(cmd, sizeof(cmd), "%s/../armvm-conform %s", dirname(exe),
		 args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (len + 1 < cap &&
	       (n = (ssize_t)fread(out + len, 1, cap - 1 - len, p)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_program(void)
{
	char *out = malloc(65536), args[PATH_MAX * 2];
	unsigned int lines = 0, p, f, s;
	const char *end;
	char *line, *save = NULL;

	if (!out) {
		CHECK(out != NULL);
		return;
	}
	make_tree();
	snprintf(args, sizeof(args), "--root %s/ --dump-fdt %s/out.dtb", tree,
		 tree);
	CHECK_EQ(run_program(args, out, 65536), 0);
	CHECK(strncmp(out, "CONFORM-BEGIN 1 ", 16) == 0);
	end = strstr(out, "CONFORM-END ");
	CHECK(end != NULL);
	if (end) {
		CHECK_EQ(sscanf(end, "CONFORM-END %u %u %u", &p, &f, &s), 3);
		CHECK_EQ(f, 0);
		CHECK_EQ(p + f + s, conform_nr_checks + 1);
		CHECK_EQ(s, 4);
	}
	CHECK(strstr(out, "\nCONFORM linux.fdt-dump HW-1 PASS 64 bytes to ") !=
	      NULL);
	CHECK(strstr(out, "\nCONFORM linux.gic PLAT-3 PASS GICv3: ") != NULL);
	CHECK(strstr(out, "\nCONFORM linux.efivars FW-3 SKIP --root given\n") !=
	      NULL);
	/* every line: CONFORM id rules status evidence */
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char id[64], rules[64], status[8];
		int ev = 0;

		if (strncmp(line, "CONFORM ", 8) != 0)
			continue;
		lines++;
		CHECK_EQ(sscanf(line, "CONFORM %63s %63s %7s %n", id, rules,
				status, &ev),
			 3);
		CHECK(ev > 0 && line[ev] != '\0');
		CHECK(strncmp(id, "linux.", 6) == 0);
		/* rule ids of docs/spec/requirements.md, or "-" for none */
		CHECK(!strcmp(rules, "-") || !strncmp(rules, "FW-", 3) ||
		      !strncmp(rules, "HW-", 3) || !strncmp(rules, "PLAT-", 5));
		CHECK(!strcmp(status, "PASS") || !strcmp(status, "FAIL") ||
		      !strcmp(status, "SKIP"));
		CHECK(strlen(line + ev) <= CONFORM_EVIDENCE_MAX);
	}
	CHECK_EQ(lines, conform_nr_checks + 1);

	/* a tree that fails: exit 1, the failures counted */
	rm_tree("sys/firmware/devicetree/base/psci");
	snprintf(args, sizeof(args), "--root %s", tree);
	CHECK_EQ(run_program(args, out, 65536), 1);
	CHECK(strstr(out, "\nCONFORM linux.psci - FAIL no /psci node") != NULL);
	CHECK(strstr(out, "\nCONFORM-END 12 1 4\n") != NULL);
	/* usage errors */
	CHECK_EQ(run_program("--bogus 2>/dev/null", out, 65536), 2);
	CHECK_EQ(run_program("--list", out, 65536), 0);
	CHECK(strstr(out, "linux.pcie-hotplug PLAT-5\n") != NULL);
	CHECK(strstr(out, "linux.cpu-hotplug -\n") != NULL);
	CHECK(strstr(out, "linux.msi -\n") != NULL);
	CHECK(strstr(out, "linux.timer-freq -\n") != NULL);
	drop_tree();
	free(out);
}

int main(void)
{
	check_suite = "conform_linux";
	RUN(test_conforming_tree_passes);
	RUN(test_no_write_skips);
	RUN(test_cpu_hotplug);
	RUN(test_firmware_failures);
	RUN(test_devicetree_failures);
	RUN(test_gic);
	RUN(test_msi);
	RUN(test_timer);
	RUN(test_consoles);
	RUN(test_pcie_hotplug);
	RUN(test_hostile_files);
	RUN(test_dump_fdt);
	RUN(test_program);
	return check_main_end();
}
