// SPDX-License-Identifier: GPL-2.0
/* `armvm run` option parsing, size parsing and the MMIO bus. */
#include "devices/pl011.h"
#include "lib/util.h"
#include "virtio/vsock.h"
#include "vmm/bus.h"
#include "vmm/config.h"
#include "tests/unit/check.h"

static int parse(struct vm_config *cfg, const char *a1, const char *a2,
		 const char *a3, const char *a4)
{
	char *argv[] = {"run",	    (char *)a1, (char *)a2,
			(char *)a3, (char *)a4, NULL};
	int argc = 1;

	while (argv[argc])
		argc++;
	return vm_config_parse(cfg, argc, argv);
}

static void sizes(void)
{
	uint64_t v;

	CHECK(parse_size("512M", 1, &v) && v == 512ULL << 20);
	CHECK(parse_size("2G", 1, &v) && v == 2ULL << 30);
	CHECK(parse_size("2GiB", 1, &v) && v == 2ULL << 30);
	CHECK(parse_size("4k", 1, &v) && v == 4096);
	CHECK(parse_size("100", 1 << 20, &v) && v == 100ULL << 20);
	CHECK(parse_size("100B", 1 << 20, &v) && v == 100);
	CHECK(!parse_size("", 1, &v));
	CHECK(!parse_size("12X", 1, &v));
	CHECK(!parse_size("-1G", 1, &v));
	CHECK(!parse_size("1.5G", 1, &v));
	CHECK(!parse_size("2GG", 1, &v));
	CHECK(!parse_size("99999999999T", 1, &v)); /* overflow */
}

static void defaults_and_values(void)
{
	struct vm_config c;

	CHECK_EQ(parse(&c, "--kernel", "Image", NULL, NULL), 0);
	CHECK_EQ(c.cpus, DEFAULT_CPUS);
	CHECK_EQ(c.memory, DEFAULT_MEMORY);
	CHECK_EQ(c.gic_version, 0);
	CHECK_STR(c.cmdline, DEFAULT_CMDLINE);
	CHECK_EQ(parse(&c, "-k", "I", "--memory=2G", "--cpus=4"), 0);
	CHECK_EQ(c.memory, 2ULL << 30);
	CHECK_EQ(c.cpus, 4);
	CHECK_EQ(parse(&c, "-k", "I", "--gic", "2"), 0);
	CHECK_EQ(c.gic_version, 2);
	CHECK_EQ(parse(&c, "-k", "I", "-m", "256"), 0);
	CHECK_EQ(c.memory, 256ULL << 20); /* bare number: MiB */
	CHECK_EQ(c.arch, VM_ARCH_AUTO);
	/* IMG-9: a balloon by default, like virtio-rng. */
	CHECK(!c.no_balloon && !c.no_rng);
	CHECK_EQ(parse(&c, "-k", "I", "--no-balloon", NULL), 0);
	CHECK(c.no_balloon && !c.no_rng);
	CHECK(parse(&c, "-k", "I", "--no-balloon=1", NULL) < 0);
	/* The planted faults of armvm conform's tests: none by default. */
	CHECK_EQ(c.test_faults, 0);
	CHECK_EQ(parse(&c, "-k", "I", "--test-fault", "no-rtc"), 0);
	CHECK_EQ(c.test_faults, TEST_FAULT_NO_RTC);
	CHECK(parse(&c, "-k", "I", "--test-fault", "no-gic") < 0);
	CHECK_EQ(parse(&c, "-k", "I", "-m", "256"), 0);
	CHECK_EQ(c.seccomp, CONFINE_MODE_KILL); /* confined by default */
	CHECK_EQ(parse(&c, "-k", "I", "--seccomp", "log"), 0);
	CHECK_EQ(c.seccomp, CONFINE_MODE_LOG);
	CHECK_EQ(parse(&c, "-k", "I", "--seccomp=off", NULL), 0);
	CHECK_EQ(c.seccomp, CONFINE_MODE_OFF);
	CHECK_EQ(parse(&c, "-k", "I", "--seccomp", "strict"), -1);
	CHECK(!c.jail_dir && !c.user.set); /* no jail by default */
	CHECK_EQ(parse(&c, "-k", "I", "--jail", "/srv/j"), 0);
	CHECK_STR(c.jail_dir, "/srv/j");
	CHECK_EQ(parse(&c, "-k", "I", "--user", "65534:65533"), 0);
	CHECK(c.user.set && c.user.uid == 65534 && c.user.gid == 65533);
	CHECK_EQ(parse(&c, "-k", "I", "--user", "x:1"), -1);
	CHECK_EQ(parse(&c, "-k", "I", "--jail=", NULL), -1);
	CHECK_EQ(parse(&c, "-k", "I", "--arch", "aarch32"), 0);
	CHECK_EQ(c.arch, VM_ARCH_AARCH32);
	CHECK_EQ(parse(&c, "-k", "I", "--arch", "aarch64"), 0);
	CHECK_EQ(c.arch, VM_ARCH_AARCH64);
	CHECK_EQ(parse(&c, "-k", "I", "--arch=auto", "-m3G"), 0);
	CHECK_EQ(c.arch, VM_ARCH_AUTO);
	/* RAM of an aarch32 guest ends below 4 GiB. */
	CHECK_EQ(vm_config_check_arch(&c, false), 0);
	CHECK_EQ(vm_config_check_arch(&c, true), 0);
	c.memory += 64 << 10;
	CHECK(vm_config_check_arch(&c, true) < 0);
}

static void bad_options(void)
{
	struct vm_config c;

	CHECK(parse(&c, "-k", "I", "--cpus", "0") < 0);
	CHECK(parse(&c, "-k", "I", "--cpus", "many") < 0);
	CHECK(parse(&c, "-k", "I", "--cpus", "124") < 0);
	CHECK(parse(&c, "-k", "I", "--memory", "12X") < 0);
	CHECK(parse(&c, "-k", "I", "--memory", "1M") < 0); /* too small */
	CHECK(parse(&c, "-k", "I", "--memory", "1000000001") < 0); /* not 64K */
	CHECK(parse(&c, "-k", "I", "--gic", "4") < 0);
	CHECK(parse(&c, "-k", "I", "--arch", "arm") < 0);
	CHECK(parse(&c, "--arch", "aarch32", "-k", "I") == 0);
	CHECK(parse(&c, "--arch", "aarch32", "-m", "4G") < 0); /* no -k */
	CHECK(parse(&c, "--cpus", "9", "--gic", "2") < 0);     /* PLAT-3 */
	CHECK(parse(&c, "--cpus", "2", NULL, NULL) < 0); /* nothing to boot */
	CHECK(parse(&c, "-k", "I", "--bogus", NULL) < 0);
	CHECK(parse(&c, "-k", "I", "stray", NULL) < 0);
	CHECK(parse(&c, "-k", NULL, NULL, NULL) < 0); /* missing value */
	CHECK_EQ(parse(&c, "--cpus", "9", "--gic", "3") < 0, 1); /* no -k */
}

/* --net: the user backend keeps the host's loopback out of reach unless
 * host-loopback=on (issue 11); a TAP has no such option. */
static void net_options(void)
{
	struct vm_config c;
	char plain[] = "user,hostfwd=tcp::2222-:22";
	char on[] = "user,host-loopback=on,mac=52:54:00:12:34:56";
	char off[] = "user,host-loopback=on,host-loopback=off";
	char tap[] = "tap=tap0,host-loopback=on";
	char bad[] = "user,host-loopback=yes";

	CHECK_EQ(parse(&c, "-k", "I", "--net", plain), 0);
	CHECK_EQ(c.nr_nets, 1);
	CHECK_EQ(c.nets[0].nr_hostfwd, 1);
	CHECK(!c.nets[0].host_loopback);
	CHECK_EQ(parse(&c, "-k", "I", "--net", on), 0);
	CHECK(c.nets[0].host_loopback);
	CHECK_STR(c.nets[0].mac, "52:54:00:12:34:56");
	CHECK_EQ(parse(&c, "-k", "I", "--net", off), 0);
	CHECK(!c.nets[0].host_loopback);
	CHECK(parse(&c, "-k", "I", "--net", tap) < 0);
	CHECK(parse(&c, "-k", "I", "--net", bad) < 0);
}

/* --disk FILE[,readonly][,cache=writeback|writethrough], in any order. */
static void disk_options(void)
{
	struct vm_config c;
	char plain[] = "a.img";
	char ro[] = "b.img,ro";
	char wt[] = "c.img,cache=writethrough,readonly";
	char wb[] = "d.img,cache=writethrough,cache=writeback";
	char bad_cache[] = "e.img,cache=none";
	char bad_opt[] = "f.img,readonly,fast";
	char empty_opt[] = "g.img,";
	char no_file[] = ",cache=writeback";

	CHECK_EQ(parse(&c, "--disk", plain, "--disk", ro), 0);
	CHECK_EQ(c.nr_disks, 2);
	CHECK_STR(c.disks[0].path, "a.img");
	CHECK(!c.disks[0].readonly && !c.disks[0].writethrough);
	CHECK_STR(c.disks[1].path, "b.img");
	CHECK(c.disks[1].readonly && !c.disks[1].writethrough);
	CHECK_EQ(parse(&c, "--disk", wt, "--disk", wb), 0);
	CHECK_STR(c.disks[0].path, "c.img");
	CHECK(c.disks[0].readonly && c.disks[0].writethrough);
	CHECK_STR(c.disks[1].path, "d.img");
	CHECK(!c.disks[1].readonly && !c.disks[1].writethrough); /* last */
	CHECK(parse(&c, "--disk", bad_cache, NULL, NULL) < 0);
	CHECK(parse(&c, "--disk", bad_opt, NULL, NULL) < 0);
	CHECK(parse(&c, "--disk", empty_opt, NULL, NULL) < 0);
	CHECK(parse(&c, "--disk", no_file, NULL, NULL) < 0);
}

/* --vsock [cid=N,]path=PATH: one device, CIDs 3 to 2^32 - 2, a path that
 * leaves room for "_PORT" in a socket address. */
static void vsock_options(void)
{
	struct vm_config c;
	char plain[] = "path=/run/v.sock";
	char both[] = "cid=42,path=/run/v.sock";
	char swapped[] = "path=/run/w.sock,cid=4294967294";
	char low[] = "cid=2,path=/run/v.sock";
	char high[] = "cid=4294967295,path=/run/v.sock";
	char nopath[] = "cid=5";
	char empty[] = "path=";
	char twice[] = "cid=5,cid=6,path=/v";
	char unknown[] = "path=/v,port=5";
	char longp[128];
	char a[] = "path=/a", b[] = "path=/b";

	CHECK_EQ(parse(&c, "-k", "I", NULL, NULL), 0);
	CHECK(c.vsock.path == NULL);
	CHECK_EQ(parse(&c, "-k", "I", "--vsock", plain), 0);
	CHECK_STR(c.vsock.path, "/run/v.sock");
	CHECK_EQ(c.vsock.cid, 3);
	CHECK_EQ(parse(&c, "-k", "I", "--vsock", both), 0);
	CHECK_EQ(c.vsock.cid, 42);
	CHECK_EQ(parse(&c, "-k", "I", "--vsock", swapped), 0);
	CHECK_STR(c.vsock.path, "/run/w.sock");
	CHECK_EQ(c.vsock.cid, 4294967294ULL);
	CHECK(parse(&c, "-k", "I", "--vsock", low) < 0);
	CHECK(parse(&c, "-k", "I", "--vsock", high) < 0);
	CHECK(parse(&c, "-k", "I", "--vsock", nopath) < 0);
	CHECK(parse(&c, "-k", "I", "--vsock", empty) < 0);
	CHECK(parse(&c, "-k", "I", "--vsock", twice) < 0);
	CHECK(parse(&c, "-k", "I", "--vsock", unknown) < 0);
	snprintf(longp, sizeof(longp), "path=/%0*d", VSOCK_PATH_MAX, 0);
	CHECK(parse(&c, "-k", "I", "--vsock", longp) < 0);
	snprintf(longp, sizeof(longp), "path=/%0*d", VSOCK_PATH_MAX - 1, 0);
	CHECK_EQ(parse(&c, "-k", "I", "--vsock", longp), 0);
	{
		char *argv[] = {"run", "-k",	  "I", "--vsock",
				a,     "--vsock", b,   NULL};

		CHECK(vm_config_parse(&c, 7, argv) < 0);
	}
}

/* parse() with pr_err captured into msg: the one line armvm would print. */
static int parse_msg(struct vm_config *cfg, char *msg, size_t size,
		     const char *a1, const char *a2, const char *a3,
		     const char *a4)
{
	int r;

	msg[0] = 0;
	pr_capture_begin(msg, size);
	r = parse(cfg, a1, a2, a3, a4);
	pr_capture_end();
	return r;
}

/*
 * --transport pci|mmio for every virtio device given on the command line,
 * transport= in --disk and --net for one: the device's own wins, whichever
 * option comes first; nothing is left at VM_TRANSPORT_DEFAULT.
 */
static void transport_options(void)
{
	struct vm_config c;
	char msg[256];
	char d_plain[] = "a.img", d_pci[] = "b.img,transport=pci,ro";
	char d_mmio[] = "c.img,cache=writethrough,transport=mmio";
	char n_mmio[] = "user,transport=mmio,mac=52:54:00:12:34:56";
	char n_tap[] = "tap=tap0,transport=pci";
	char d_bad[] = "d.img,transport=virtio", d_empty[] = "e.img,transport=";
	char n_bad[] = "user,transport=MMIO";

	CHECK_EQ(parse(&c, "-k", "I", "--disk", d_plain), 0);
	CHECK_EQ(c.transport, VM_TRANSPORT_PCI); /* the default */
	CHECK_EQ(c.disks[0].transport, VM_TRANSPORT_PCI);
	CHECK_EQ(parse(&c, "--disk", d_plain, "--transport", "mmio"), 0);
	CHECK_EQ(c.transport, VM_TRANSPORT_MMIO);
	CHECK_EQ(c.disks[0].transport, VM_TRANSPORT_MMIO); /* given before */
	CHECK_STR(c.disks[0].path, "a.img");
	CHECK_EQ(parse(&c, "--transport=mmio", "--disk", d_pci, NULL), 0);
	CHECK_EQ(c.disks[0].transport, VM_TRANSPORT_PCI);
	CHECK(c.disks[0].readonly);
	CHECK_STR(c.disks[0].path, "b.img");
	CHECK_EQ(parse(&c, "--disk", d_mmio, "--transport", "pci"), 0);
	CHECK_EQ(c.transport, VM_TRANSPORT_PCI);
	CHECK_EQ(c.disks[0].transport, VM_TRANSPORT_MMIO);
	CHECK(c.disks[0].writethrough);
	CHECK_EQ(parse(&c, "-k", "I", "--net", n_mmio), 0);
	CHECK_EQ(c.transport, VM_TRANSPORT_PCI);
	CHECK_EQ(c.nets[0].transport, VM_TRANSPORT_MMIO);
	CHECK_STR(c.nets[0].mac, "52:54:00:12:34:56");
	{
		char *argv[] = {"run",	"-k",	 "I",	"--transport",
				"mmio", "--net", n_tap, NULL};
		char n_user[] = "user";
		char *argv2[] = {"run",	 "-k",		"I",	"--net",
				 n_user, "--transport", "mmio", NULL};

		CHECK_EQ(vm_config_parse(&c, 7, argv), 0);
		CHECK_EQ(c.transport, VM_TRANSPORT_MMIO);
		CHECK_EQ(c.nets[0].transport, VM_TRANSPORT_PCI);
		CHECK_STR(c.nets[0].tap, "tap0");
		CHECK_EQ(vm_config_parse(&c, 7, argv2), 0);
		CHECK_EQ(c.nets[0].transport, VM_TRANSPORT_MMIO);
	}
	CHECK_STR(vm_transport_name(VM_TRANSPORT_PCI), "pci");
	CHECK_STR(vm_transport_name(VM_TRANSPORT_MMIO), "mmio");

	/* Bad values: one line that names the option and what it takes. */
	CHECK_EQ(
	    parse_msg(&c, msg, sizeof(msg), "-k", "I", "--transport", "virtio"),
	    -1);
	CHECK_STR(msg, "--transport 'virtio': expected pci or mmio");
	CHECK_EQ(parse_msg(&c, msg, sizeof(msg), "-k", "I", "--transport", ""),
		 -1);
	CHECK_STR(msg, "--transport '': expected pci or mmio");
	CHECK_EQ(
	    parse_msg(&c, msg, sizeof(msg), "-k", "I", "--transport", NULL),
	    -1);
	CHECK(strstr(msg, "--transport: expected a value"));
	CHECK_EQ(parse_msg(&c, msg, sizeof(msg), "-k", "I", "--disk", d_bad),
		 -1);
	CHECK_STR(msg, "--disk d.img: 'transport=virtio': expected "
		       "transport=pci or transport=mmio");
	CHECK_EQ(parse_msg(&c, msg, sizeof(msg), "-k", "I", "--disk", d_empty),
		 -1);
	CHECK(strstr(msg, "--disk e.img: 'transport=': expected"));
	CHECK_EQ(parse_msg(&c, msg, sizeof(msg), "-k", "I", "--net", n_bad),
		 -1);
	CHECK_STR(msg, "--net: 'transport=MMIO': expected transport=pci or "
		       "transport=mmio");
	CHECK(!strchr(msg, '\n'));
}

static void out_null(void *o, const uint8_t *b, size_t n)
{
}

static void bus_routing(void)
{
	struct irq_sink none = {0};
	struct mmio_bus bus = {0};
	struct device *a = pl011_create(0x9000000, 1, none, out_null, NULL);
	struct device *b = pl011_create(0x9000800, 2, none, out_null, NULL);
	struct device *c = pl011_create(0x9001000, 3, none, out_null, NULL);
	uint8_t data[8];

	CHECK_EQ(bus_add(&bus, a), 0);
	CHECK(bus_add(&bus, b) < 0); /* overlaps a */
	CHECK_EQ(bus_add(&bus, c), 0);
	CHECK(bus_find(&bus, 0x9000fff, 1) == a);
	CHECK(bus_find(&bus, 0x9000ffe, 4) == NULL); /* straddles the end */
	CHECK(bus_find(&bus, 0x9001000, 4) == c);
	CHECK(bus_find(&bus, 0x8fffffc, 4) == NULL);
	CHECK(bus_access(&bus, 0x9000fe0, false, 4, data));
	CHECK_EQ(data[0], 0x11);
	memset(data, 0xaa, sizeof(data));
	CHECK(!bus_access(&bus, 0x12345678, false, 4, data));
	CHECK_EQ(data[0], 0); /* unclaimed reads are zero */
	CHECK(!bus_access(&bus, 0x9000000, false, 3, data)); /* bad size */
	b->ops->destroy(b);
	bus_destroy_all(&bus);
	CHECK_EQ(bus.nr_devices, 0);
}

/* --restore: only the process's options beside it; the snapshot's
 * arguments first, this run's after them (they win). */
static void restore_options(void)
{
	char *saved[] = {"run", "--kernel",	"/Image",    "--cpus",
			 "2",	"--api-socket", "/old.sock", NULL};
	char *now[] = {"run",	       "--restore", "/snap",
		       "--api-socket", "/new.sock", NULL};
	struct vm_config cfg;
	char msg[256];

	CHECK_EQ(parse(&cfg, "--restore", "/snap", "-v", NULL), 0);
	CHECK(cfg.restore && !strcmp(cfg.restore, "/snap"));
	pr_capture_begin(msg, sizeof(msg));
	CHECK_EQ(parse(&cfg, "--restore", "/snap", "--cpus", "2"), -1);
	pr_capture_end();
	CHECK(strstr(msg, "--restore: '--cpus' cannot be given"));
	armvm_verbose = false;
	CHECK_EQ(vm_config_restore(&cfg, 7, saved, 5, now), 0);
	CHECK(!cfg.restore);
	CHECK(cfg.kernel && !strcmp(cfg.kernel, "/Image"));
	CHECK_EQ(cfg.cpus, 2);
	CHECK(!strcmp(cfg.api_socket, "/new.sock"));
	/* What a snapshot of this VM would keep: without --restore. */
	CHECK_EQ(cfg.argc, 9);
	for (int i = 0; i < cfg.argc; i++)
		CHECK(strcmp(cfg.argv[i], "--restore"));
}

/* --incoming: as --restore (the stream brings the options), and not with
 * it. */
static void incoming_options(void)
{
	char *saved[] = {"run", "--kernel", "/Image", "--memory", "256M", NULL};
	char *now[] = {"run", "--incoming", "tcp:[::1]:4444", "-v", NULL};
	struct vm_config cfg;
	char msg[256];

	CHECK_EQ(parse(&cfg, "--incoming", "unix:/m.sock", "-v", NULL), 0);
	CHECK(cfg.incoming && !strcmp(cfg.incoming, "unix:/m.sock"));
	pr_capture_begin(msg, sizeof(msg));
	CHECK_EQ(parse(&cfg, "--incoming", "unix:/m", "--disk", "a.img"), -1);
	pr_capture_end();
	CHECK(strstr(msg, "--incoming: '--disk' cannot be given: the "
			  "migration holds"));
	pr_capture_begin(msg, sizeof(msg));
	CHECK_EQ(parse(&cfg, "--incoming", "unix:/m", "--restore", "/s"), -1);
	pr_capture_end();
	CHECK(strstr(msg, "--restore and --incoming both bring a VM"));
	CHECK_EQ(vm_config_restore(&cfg, 5, saved, 4, now), 0);
	armvm_verbose = false;
	CHECK(!cfg.incoming);
	CHECK_EQ(cfg.memory, 256ULL << 20);
	CHECK_EQ(cfg.argc, 6);
	for (int i = 0; i < cfg.argc; i++)
		CHECK(strcmp(cfg.argv[i], "--incoming"));
}

int main(void)
{
	check_suite = "config";
	RUN(restore_options);
	RUN(incoming_options);
	RUN(sizes);
	RUN(defaults_and_values);
	RUN(bad_options);
	RUN(net_options);
	RUN(disk_options);
	RUN(vsock_options);
	RUN(transport_options);
	RUN(bus_routing);
	return check_main_end();
}
