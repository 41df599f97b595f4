// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "virtio/vsock.h"
#include "vmm/config.h"
#include "vmm/config_file.h"
#include "vmm/instance.h"
#include "vmm/machine.h"

void vm_config_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: armvm run --disk IMAGE [OPTIONS]      boot a disk through UEFI\n"
	    "       armvm run --kernel IMAGE [OPTIONS]    boot a Linux kernel directly\n"
	    "\n"
	    "Run a VM on this arm64 host's KVM.\n"
	    "\n"
	    "Disks and firmware:\n"
	    "  -d, --disk FILE[,readonly][,cache=writeback|writethrough]\n"
	    "             [,transport=pci|mmio]\n"
	    "                      a raw disk image as a virtio-blk device;\n"
	    "                      repeatable (the first is the boot disk). cache:\n"
	    "                      the write cache the guest starts with (default\n"
	    "                      writeback: durable on the guest's flush;\n"
	    "                      writethrough: every write durable at once);\n"
	    "                      transport: this disk's (default --transport's)\n"
	    "      --firmware FILE UEFI code image (default: the distribution's,\n"
	    "                      found through "
	    "/usr/share/qemu/firmware)\n"
	    "      --vars FILE     this VM's UEFI variable store; created from the\n"
	    "                      firmware's template when it does not exist\n"
	    "      --instance NAME run named instance NAME (armvm instance):\n"
	    "                      its options (config.json) under this command\n"
	    "                      line's, its variable store and lock, and its\n"
	    "                      control socket unless --api-socket is given;\n"
	    "                      made (without options) if it does not exist.\n"
	    "                      Without --vars or --instance, variables last\n"
	    "                      for this run only. Never in the disk image.\n"
	    "\n"
	    "Configuration:\n"
	    "      --config FILE   take options from FILE, a JSON object of long\n"
	    "                      options: {\"cpus\": 2, \"disk\": [\"a.img\"],\n"
	    "                      \"no-rng\": true}; the command line's win, and\n"
	    "                      a repeatable option given here replaces the\n"
	    "                      file's\n"
	    "\n"
	    "Direct kernel boot (no firmware):\n"
	    "  -k, --kernel FILE   arm64 Linux Image (plain or gzip), or a 32-bit\n"
	    "                      ARM zImage (an aarch32 guest)\n"
	    "  -i, --initrd FILE   initial ramdisk for the kernel\n"
	    "  -a, --cmdline TEXT  kernel command line (default \"" DEFAULT_CMDLINE
	    "\")\n"
	    "\n"
	    "Machine:\n"
	    "  -c, --cpus N        number of vCPUs (default %d; at most %d with GICv2,\n"
	    "                      %d with GICv3)\n"
	    "  -m, --memory SIZE   guest RAM, e.g. 512M or 2G; a bare number is MiB\n"
	    "                      (default %llu MiB)\n"
	    "      --gic 2|3|auto  interrupt controller version (default auto: v3 if\n"
	    "                      the host offers it, else v2)\n"
	    "      --arch aarch64|aarch32|auto\n"
	    "                      the vCPUs' execution state (default auto: from\n"
	    "                      the kernel file, or the boot disk's\n"
	    "                      \\EFI\\BOOT\\BOOTAA64.EFI / BOOTARM.EFI, aarch64\n"
	    "                      when it has both); aarch32 needs a host CPU that\n"
	    "                      runs AArch32 at EL1, and at most 3G of RAM\n"
	    "\n"
	    "Network and other devices:\n"
	    "      --net user[,hostfwd=tcp::HOSTPORT-:GUESTPORT]...[,host-loopback=on][,mac=MAC]\n"
	    "                      virtio-net with user-mode networking (libslirp:\n"
	    "                      DHCP 10.0.2.15, gateway 10.0.2.2, DNS 10.0.2.3);\n"
	    "                      the guest reaches this host's loopback services\n"
	    "                      at 10.0.2.2 only with host-loopback=on\n"
	    "      --net tap=NAME[,mac=MAC]\n"
	    "                      virtio-net on an existing TAP interface\n"
	    "                      (either: [,transport=pci|mmio] for this one)\n"
	    "      --virtio-console pty  a second console (hvc0) on a new pty,\n"
	    "                      whose path armvm prints on stderr\n"
	    "      --no-rng        leave out the virtio-rng device\n"
	    "                      (there by default: the host's getrandom)\n"
	    "      --no-balloon    leave out the virtio-balloon device (there by\n"
	    "                      default: armvm ctl SOCKET balloon size=SIZE\n"
	    "                      takes memory from the guest)\n"
	    "      --boot-marker   a device at 0x090c0000 whose writes mark how far\n"
	    "                      the guest got: armvm prints the time, its own\n"
	    "                      CPU time and KVM exits so far (benchmarks)\n"
	    "      --vsock [cid=N,]path=PATH\n"
	    "                      virtio-vsock for guest CID N (default 3),\n"
	    "                      bridged to UNIX sockets: a host program\n"
	    "                      connects to PATH and writes \"CONNECT <port>\"\n"
	    "                      to reach a guest port; the guest's connections\n"
	    "                      to CID 2, port P reach the socket PATH_P\n"
	    "                      (docs/virtio.md)\n"
	    "      --transport pci|mmio\n"
	    "                      where every virtio device given here goes\n"
	    "                      (default pci: functions on the PCIe host;\n"
	    "                      mmio: virtio-mmio slots at 0x0a000000, %d at\n"
	    "                      most); a disk's or net's own transport= wins.\n"
	    "                      Hot-plugged devices are always PCI\n"
	    "\n"
	    "Hot-plug and control:\n"
	    "      --hotplug-slots N  PCIe root ports whose slots take devices at\n"
	    "                      run time (default %d, at most %d)\n"
	    "      --api-socket PATH  control socket (JSON lines; see armvm ctl)\n"
	    "      --restore DIR   resume the VM a snapshot holds (armvm ctl\n"
	    "                      SOCKET snapshot DIR): its options, devices and\n"
	    "                      state; only --api-socket, --seccomp, --jail,\n"
	    "                      --user and -v may be given with it\n"
	    "      --incoming ADDR  wait at ADDR (unix:PATH or tcp:HOST:PORT) for\n"
	    "                      a VM that another armvm migrates here (armvm\n"
	    "                      ctl SOCKET migrate ADDR); the same options as\n"
	    "                      --restore may be given with it\n"
	    "\n"
	    "Behaviour:\n"
	    "      --no-reboot     exit when the guest resets instead of rebooting it\n"
	    "      --kvm PATH      KVM device (default /dev/kvm)\n"
	    "      --seccomp kill|log|off\n"
	    "                      each thread's system-call filter (default kill:\n"
	    "                      a call outside it stops armvm with SIGSYS; log:\n"
	    "                      allowed and logged by the kernel, for diagnosis)\n"
	    "      --jail DIR      once set up, make DIR the root directory\n"
	    "                      (chroot; Landlock where the kernel has it:\n"
	    "                      only existing files under DIR are read and\n"
	    "                      written); hot-plugged paths are inside DIR\n"
	    "      --user USER     once set up, become USER (a name, or UID:GID)\n"
	    "                      with no capabilities; both need armvm started\n"
	    "                      as root (see docs/design.md, running as a\n"
	    "                      service)\n"
	    "      --test-fault no-rtc|no-timer-node|volatile-vars\n"
	    "                      for testing armvm conform only: plant a fault\n"
	    "                      that breaks a rule (no pl031; no timer node in\n"
	    "                      the device tree; --vars not kept); repeatable\n"
	    "  -v, --verbose       report what armvm sets up, on stderr\n"
	    "  -h, --help          show this help\n"
	    "\n"
	    "The guest's console is this terminal (pl011, ttyAMA0 in Linux); type\n"
	    "Ctrl-A x to quit armvm, Ctrl-A Ctrl-A to send Ctrl-A.\n"
	    "Exit status: 0 when the guest powers off (or resets with --no-reboot),\n"
	    "1 on an error, 2 on a usage error.\n",
	    DEFAULT_CPUS, MACHINE_MAX_CPUS_GICV2, MACHINE_MAX_CPUS_GICV3,
	    (unsigned long long)(DEFAULT_MEMORY >> 20),
	    MACHINE_VIRTIO_MMIO_SLOTS, DEFAULT_HOTPLUG_SLOTS,
	    MAX_HOTPLUG_SLOTS);
}

enum {
	OPT_GIC = 256,
	OPT_ARCH,
	OPT_NO_REBOOT,
	OPT_KVM,
	OPT_FIRMWARE,
	OPT_VARS,
	OPT_INSTANCE,
	OPT_CONFIG,
	OPT_HOTPLUG_SLOTS,
	OPT_API_SOCKET,
	OPT_NET,
	OPT_VIRTIO_CONSOLE,
	OPT_NO_RNG,
	OPT_NO_BALLOON,
	OPT_BOOT_MARKER,
	OPT_TEST_FAULT,
	OPT_SECCOMP,
	OPT_JAIL,
	OPT_USER,
	OPT_VSOCK,
	OPT_TRANSPORT,
	OPT_RESTORE,
	OPT_INCOMING,
};

/*
 * Every device the command line can give fits the virtio-mmio slots
 * (disks, nets, rng, balloon, console, vsock), so --transport mmio never
 * runs out of them; the platform still refuses a device past the last.
 */
_Static_assert(MAX_DISKS + MAX_NETS + 4 <= MACHINE_VIRTIO_MMIO_SLOTS,
	       "more command-line virtio devices than virtio-mmio slots");

const char *vm_transport_name(enum vm_transport t)
{
	return t == VM_TRANSPORT_MMIO ? "mmio" : "pci";
}

/* "pci" or "mmio"; false for anything else. */
static bool parse_transport(const char *s, enum vm_transport *t)
{
	if (!strcmp(s, "pci"))
		*t = VM_TRANSPORT_PCI;
	else if (!strcmp(s, "mmio"))
		*t = VM_TRANSPORT_MMIO;
	else
		return false;
	return true;
}

/* user[,hostfwd=RULE]...[,host-loopback=on|off][,mac=MAC] or
 * tap=NAME[,mac=MAC], either with [,transport=pci|mmio]; the string is
 * split in place. The rules themselves are checked when the device is
 * made. */
static int parse_net(struct vm_config *cfg, char *arg)
{
	struct net_config *n;
	char *save = NULL, *item;

	if (cfg->nr_nets == MAX_NETS) {
		pr_err("--net: at most %d network devices", MAX_NETS);
		return -1;
	}
	n = &cfg->nets[cfg->nr_nets];
	memset(n, 0, sizeof(*n));
	for (item = strtok_r(arg, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		if (!n->backend && !strcmp(item, "user")) {
			n->backend = "user";
		} else if (!n->backend && !strncmp(item, "tap=", 4) &&
			   item[4]) {
			n->backend = "tap";
			n->tap = item + 4;
		} else if (!strncmp(item, "mac=", 4)) {
			n->mac = item + 4;
		} else if (!strncmp(item, "hostfwd=", 8) && n->backend &&
			   !strcmp(n->backend, "user") &&
			   n->nr_hostfwd < MAX_HOSTFWD) {
			n->hostfwd[n->nr_hostfwd++] = item + 8;
		} else if (!strcmp(item, "host-loopback=on") && n->backend &&
			   !strcmp(n->backend, "user")) {
			n->host_loopback = true;
		} else if (!strcmp(item, "host-loopback=off") && n->backend &&
			   !strcmp(n->backend, "user")) {
			n->host_loopback = false;
		} else if (!strncmp(item, "transport=", 10)) {
			if (!parse_transport(item + 10, &n->transport)) {
				pr_err("--net: '%s': expected transport=pci or "
				       "transport=mmio",
				       item);
				return -1;
			}
		} else {
			pr_err(
			    "--net: '%s': expected user[,hostfwd=tcp::HOSTPORT-:GUESTPORT]...[,host-loopback=on][,mac=MAC] or tap=NAME[,mac=MAC], and [,transport=pci|mmio]",
			    item);
			return -1;
		}
	}
	if (!n->backend) {
		pr_err("--net: expected user or tap=NAME first");
		return -1;
	}
	cfg->nr_nets++;
	return 0;
}

/* [cid=N,]path=PATH, in any order; PATH may hold no comma. One device: a
 * VM has one CID. */
static int parse_vsock(struct vm_config *cfg, char *arg)
{
	struct vsock_opts *v = &cfg->vsock;
	char *save = NULL, *item;
	bool have_cid = false;
	unsigned long n;

	if (v->path) {
		pr_err("--vsock: at most one (a VM has one CID)");
		return -1;
	}
	v->cid = VSOCK_CID_MIN;
	for (item = strtok_r(arg, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		if (!strncmp(item, "cid=", 4) && !have_cid) {
			if (!parse_uint(item + 4, VSOCK_CID_MIN, VSOCK_CID_MAX,
					&n)) {
				pr_err("--vsock %s: expected a CID from %u to "
				       "%llu",
				       item, VSOCK_CID_MIN, VSOCK_CID_MAX);
				return -1;
			}
			v->cid = n;
			have_cid = true;
		} else if (!strncmp(item, "path=", 5) && item[5] && !v->path) {
			v->path = item + 5;
		} else {
			pr_err("--vsock: '%s': expected [cid=N,]path=PATH",
			       item);
			return -1;
		}
	}
	if (!v->path) {
		pr_err("--vsock: expected path=PATH (the UNIX socket host "
		       "programs connect to)");
		return -1;
	}
	if (strlen(v->path) > VSOCK_PATH_MAX) {
		pr_err(
		    "--vsock path=%s: at most %d bytes (PATH_PORT must fit a "
		    "UNIX socket address)",
		    v->path, VSOCK_PATH_MAX);
		return -1;
	}
	return 0;
}

/* FILE[,readonly][,cache=writeback|writethrough][,transport=pci|mmio]
 * (",ro" too); the string is split in place. */
static int parse_disk(struct vm_config *cfg, char *arg)
{
	char *rest = strchr(arg, ','), *item;
	struct disk_config *d;

	if (cfg->nr_disks == MAX_DISKS) {
		pr_err("--disk %s: at most %d disks", arg, MAX_DISKS);
		return -1;
	}
	d = &cfg->disks[cfg->nr_disks];
	d->readonly = false;
	d->writethrough = false;
	d->transport = VM_TRANSPORT_DEFAULT;
	if (rest)
		*rest++ = 0;
	while ((item = strsep(&rest, ","))) {
		if (!strcmp(item, "readonly") || !strcmp(item, "ro")) {
			d->readonly = true;
		} else if (!strcmp(item, "cache=writeback")) {
			d->writethrough = false;
		} else if (!strcmp(item, "cache=writethrough")) {
			d->writethrough = true;
		} else if (!strncmp(item, "transport=", 10)) {
			if (!parse_transport(item + 10, &d->transport)) {
				pr_err(
				    "--disk %s: '%s': expected transport=pci "
				    "or transport=mmio",
				    arg, item);
				return -1;
			}
		} else {
			pr_err(
			    "--disk %s: unknown option '%s' (expected FILE[,readonly][,cache=writeback|writethrough][,transport=pci|mmio])",
			    arg, item);
			return -1;
		}
	}
	if (!*arg) {
		pr_err("--disk: expected a file name");
		return -1;
	}
	d->path = arg;
	cfg->nr_disks++;
	return 0;
}

/*
 * The options of `armvm run`: getopt's table (vm_config_parse), the keys of
 * a configuration file (vmm/config_file.c) and what `armvm instance create`
 * keeps, from one list so that no option is forgotten in any of them.
 */
static const struct run_option run_options[] = {
    {"kernel", required_argument, 'k', 0},
    {"initrd", required_argument, 'i', 0},
    {"cmdline", required_argument, 'a', 0},
    {"cpus", required_argument, 'c', 0},
    {"memory", required_argument, 'm', 0},
    {"gic", required_argument, OPT_GIC, 0},
    {"arch", required_argument, OPT_ARCH, 0},
    {"no-reboot", no_argument, OPT_NO_REBOOT, 0},
    {"kvm", required_argument, OPT_KVM, 0},
    {"disk", required_argument, 'd', RUN_OPT_REPEAT},
    {"firmware", required_argument, OPT_FIRMWARE, 0},
    {"vars", required_argument, OPT_VARS, 0},
    {"instance", required_argument, OPT_INSTANCE, RUN_OPT_NO_FILE},
    {"config", required_argument, OPT_CONFIG, RUN_OPT_NO_FILE},
    {"hotplug-slots", required_argument, OPT_HOTPLUG_SLOTS, 0},
    {"api-socket", required_argument, OPT_API_SOCKET, 0},
    {"net", required_argument, OPT_NET, RUN_OPT_REPEAT},
    {"virtio-console", required_argument, OPT_VIRTIO_CONSOLE, 0},
    {"no-rng", no_argument, OPT_NO_RNG, 0},
    {"boot-marker", no_argument, OPT_BOOT_MARKER, 0},
    {"no-balloon", no_argument, OPT_NO_BALLOON, 0},
    {"test-fault", required_argument, OPT_TEST_FAULT, RUN_OPT_REPEAT},
    {"seccomp", required_argument, OPT_SECCOMP, 0},
    {"jail", required_argument, OPT_JAIL, 0},
    {"user", required_argument, OPT_USER, 0},
    {"vsock", required_argument, OPT_VSOCK, 0},
    {"transport", required_argument, OPT_TRANSPORT, 0},
    {"verbose", no_argument, 'v', 0},
    {"help", no_argument, 'h', RUN_OPT_NO_FILE},
    {"restore", required_argument, OPT_RESTORE, 0},
    {"incoming", required_argument, OPT_INCOMING, 0},
    {0},
};

const struct run_option *vm_run_options(void)
{
	return run_options;
}

#define NR_RUN_OPTIONS (ARRAY_SIZE(run_options) - 1)

/*
 * A copy of a value that its parser splits in place (--disk, --net,
 * --vsock), kept in cfg: argv stays as it was given, which is what a
 * snapshot or a migration keeps and parses again (a split "a.img,readonly"
 * would come back as "a.img"). NULL after a message when out of memory.
 */
static char *value_copy(struct vm_config *cfg, const char *value)
{
	if (strv_push(&cfg->values, value) < 0) {
		pr_err("run: out of memory");
		return NULL;
	}
	return cfg->values.v[cfg->values.n - 1];
}

/* getopt's table: run_options without their flags. */
static void run_getopt_table(struct option *o)
{
	for (size_t i = 0; i <= NR_RUN_OPTIONS; i++)
		o[i] =
		    (struct option){run_options[i].name, run_options[i].has_arg,
				    NULL, run_options[i].val};
}

/*
 * Parse argv as it is: no configuration file read (vm_config_parse does).
 * With whole false, only each option and its value, not what they make
 * together (vm_config_check_value).
 */
static int parse_argv(struct vm_config *cfg, int argc, char **argv, bool whole)
{
	struct option opts[NR_RUN_OPTIONS + 1];
	/* The first option that shapes the VM (not the process): a
	 * snapshot brings its own (--restore). */
	const char *machine_option = NULL;
	unsigned long n;
	char *value;
	int c;

	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus = DEFAULT_CPUS;
	cfg->memory = DEFAULT_MEMORY;
	cfg->kvm_path = "/dev/kvm";
	cfg->hotplug_slots = DEFAULT_HOTPLUG_SLOTS;
	cfg->argc = argc;
	cfg->argv = argv;
	run_getopt_table(opts);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:i:a:c:m:d:vh", opts, NULL)) !=
	       -1) {
		if (!machine_option && c != OPT_RESTORE && c != OPT_INCOMING &&
		    c != OPT_API_SOCKET && c != OPT_SECCOMP && c != OPT_JAIL &&
		    c != OPT_USER && c != 'v' && c != 'h' && c != ':' &&
		    c != '?')
			/* The option itself, not its separate value. */
			machine_option = optarg && optarg == argv[optind - 1]
					     ? argv[optind - 2]
					     : argv[optind - 1];
		switch (c) {
		case OPT_RESTORE:
			cfg->restore = optarg;
			break;
		case OPT_INCOMING:
			cfg->incoming = optarg;
			break;
		case 'k':
			cfg->kernel = optarg;
			break;
		case 'i':
			cfg->initrd = optarg;
			break;
		case 'a':
			cfg->cmdline = optarg;
			break;
		case 'c':
			if (!parse_uint(optarg, 1, MACHINE_MAX_CPUS_GICV3,
					&n)) {
				pr_err(
				    "--cpus '%s': expected a number of vCPUs from 1 to %d",
				    optarg, MACHINE_MAX_CPUS_GICV3);
				return -1;
			}
			cfg->cpus = n;
			break;
		case 'm':
			if (!parse_size(optarg, 1ULL << 20, &cfg->memory)) {
				pr_err(
				    "--memory '%s': expected a size such as 512M or 2G",
				    optarg);
				return -1;
			}
			if (cfg->memory < MACHINE_RAM_MIN ||
			    cfg->memory > MACHINE_RAM_MAX ||
			    cfg->memory % (64 << 10)) {
				pr_err(
				    "--memory '%s': expected a multiple of 64K from %lluM to %lluG",
				    optarg, MACHINE_RAM_MIN >> 20,
				    MACHINE_RAM_MAX >> 30);
				return -1;
			}
			break;
		case OPT_GIC:
			if (!strcmp(optarg, "auto"))
				cfg->gic_version = 0;
			else if (!strcmp(optarg, "2") || !strcmp(optarg, "3"))
				cfg->gic_version = optarg[0] - '0';
			else {
				pr_err("--gic '%s': expected 2, 3 or auto",
				       optarg);
				return -1;
			}
			break;
		case OPT_ARCH:
			if (!strcmp(optarg, "auto"))
				cfg->arch = VM_ARCH_AUTO;
			else if (!strcmp(optarg, "aarch64"))
				cfg->arch = VM_ARCH_AARCH64;
			else if (!strcmp(optarg, "aarch32"))
				cfg->arch = VM_ARCH_AARCH32;
			else {
				pr_err(
				    "--arch '%s': expected aarch64, aarch32 or auto",
				    optarg);
				return -1;
			}
			break;
		case OPT_NO_REBOOT:
			cfg->no_reboot = true;
			break;
		case OPT_KVM:
			cfg->kvm_path = optarg;
			break;
		case 'd':
			value = value_copy(cfg, optarg);
			if (!value || parse_disk(cfg, value) < 0)
				return -1;
			break;
		case OPT_FIRMWARE:
			cfg->firmware = optarg;
			break;
		case OPT_VARS:
			cfg->vars = optarg;
			break;
		case OPT_INSTANCE:
			if (instance_name_check(optarg, "--instance") < 0)
				return -1;
			cfg->instance = optarg;
			break;
		case OPT_CONFIG:
			/* vm_config_parse reads one file and leaves it out of
			 * the arguments it parses here: only a second one,
			 * or one beside --restore (below), is seen here. */
			if (cfg->config_file) {
				pr_err("--config: given twice (expected one "
				       "file; the command line overrides it)");
				return -1;
			}
			cfg->config_file = optarg;
			break;
		case OPT_HOTPLUG_SLOTS:
			if (!parse_uint(optarg, 0, MAX_HOTPLUG_SLOTS, &n)) {
				pr_err(
				    "--hotplug-slots '%s': expected a number from 0 to %d",
				    optarg, MAX_HOTPLUG_SLOTS);
				return -1;
			}
			cfg->hotplug_slots = n;
			break;
		case OPT_API_SOCKET:
			cfg->api_socket = optarg;
			break;
		case OPT_NET:
			value = value_copy(cfg, optarg);
			if (!value || parse_net(cfg, value) < 0)
				return -1;
			break;
		case OPT_VIRTIO_CONSOLE:
			if (strcmp(optarg, "pty")) {
				pr_err("--virtio-console '%s': expected pty",
				       optarg);
				return -1;
			}
			cfg->virtio_console_pty = true;
			break;
		case OPT_BOOT_MARKER:
			cfg->boot_marker = true;
			break;
		case OPT_NO_RNG:
			cfg->no_rng = true;
			break;
		case OPT_NO_BALLOON:
			cfg->no_balloon = true;
			break;
		case OPT_TEST_FAULT:
			if (!strcmp(optarg, "no-rtc"))
				cfg->test_faults |= TEST_FAULT_NO_RTC;
			else if (!strcmp(optarg, "no-timer-node"))
				cfg->test_faults |= TEST_FAULT_NO_TIMER_NODE;
			else if (!strcmp(optarg, "volatile-vars"))
				cfg->test_faults |= TEST_FAULT_VOLATILE_VARS;
			else {
				pr_err("--test-fault '%s': expected no-rtc, "
				       "no-timer-node or volatile-vars",
				       optarg);
				return -1;
			}
			break;
		case OPT_VSOCK:
			value = value_copy(cfg, optarg);
			if (!value || parse_vsock(cfg, value) < 0)
				return -1;
			break;
		case OPT_TRANSPORT:
			if (!parse_transport(optarg, &cfg->transport)) {
				pr_err("--transport '%s': expected pci or mmio",
				       optarg);
				return -1;
			}
			break;
		case OPT_SECCOMP:
			if (!confine_mode_parse(optarg, &cfg->seccomp)) {
				pr_err(
				    "--seccomp '%s': expected kill, log or off",
				    optarg);
				return -1;
			}
			break;
		case OPT_JAIL:
			if (!*optarg) {
				pr_err("--jail: expected a directory");
				return -1;
			}
			cfg->jail_dir = optarg;
			break;
		case OPT_USER:
			if (!jail_parse_user(optarg, &cfg->user))
				return -1;
			break;
		case 'v':
			armvm_verbose = true;
			break;
		case 'h':
			vm_config_usage(stdout);
			return 1;
		case ':':
			pr_err("%s: expected a value (see armvm run --help)",
			       argv[optind - 1]);
			return -1;
		default:
			pr_err(
			    "run: unknown option '%s' (see armvm run --help)",
			    argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		pr_err("run: unexpected argument '%s' (see armvm run --help)",
		       argv[optind]);
		return -1;
	}
	if (!whole)
		return 0;
	if (cfg->restore && cfg->incoming) {
		pr_err("--restore and --incoming both bring a VM; give one");
		return -1;
	}
	if ((cfg->restore || cfg->incoming) && machine_option) {
		pr_err("%s: '%s' cannot be given: the %s holds the VM's "
		       "options (only --api-socket, --seccomp, --jail, --user "
		       "and -v may be)",
		       cfg->restore ? "--restore" : "--incoming",
		       machine_option, cfg->restore ? "snapshot" : "migration");
		return -1;
	}
	/* The jail would hide the files the stream names (not yet). */
	if (cfg->incoming && cfg->jail_dir) {
		pr_err("--incoming: --jail is not supported yet");
		return -1;
	}
	if (cfg->restore || cfg->incoming)
		return 0;
	if (cfg->gic_version == 2 && cfg->cpus > MACHINE_MAX_CPUS_GICV2) {
		pr_err(
		    "--cpus %u: GICv2 supports at most %d vCPUs (PLAT-3); use --gic 3 or fewer vCPUs",
		    cfg->cpus, MACHINE_MAX_CPUS_GICV2);
		return -1;
	}
	if (!cfg->kernel && !cfg->nr_disks && !cfg->firmware) {
		pr_err(
		    "run: nothing to boot: give --disk IMAGE or --kernel IMAGE (see armvm run --help)");
		return -1;
	}
	if (cfg->vars && cfg->instance) {
		pr_err(
		    "--vars and --instance both name a variable store; give one");
		return -1;
	}
	/* An instance may boot a kernel: it then keeps its configuration and
	 * its lock, and no variable store. */
	if (cfg->kernel && (cfg->firmware || cfg->vars)) {
		pr_err(
		    "--kernel boots without firmware; --firmware and --vars need a firmware boot");
		return -1;
	}
	if (!cfg->kernel && cfg->initrd) {
		pr_err("--initrd needs --kernel");
		return -1;
	}
	if (!cfg->kernel && cfg->memory < FIRMWARE_MIN_MEMORY) {
		pr_err(
		    "--memory %llu MiB: the UEFI firmware needs at least %llu MiB",
		    (unsigned long long)(cfg->memory >> 20),
		    FIRMWARE_MIN_MEMORY >> 20);
		return -1;
	}
	if (cfg->arch == VM_ARCH_AARCH32 && vm_config_check_arch(cfg, true) < 0)
		return -1;
	if (!cfg->cmdline)
		cfg->cmdline = DEFAULT_CMDLINE;
	/* Each device's transport, whichever option came first. */
	if (cfg->transport == VM_TRANSPORT_DEFAULT)
		cfg->transport = VM_TRANSPORT_PCI;
	for (unsigned int i = 0; i < cfg->nr_disks; i++)
		if (cfg->disks[i].transport == VM_TRANSPORT_DEFAULT)
			cfg->disks[i].transport = cfg->transport;
	for (unsigned int i = 0; i < cfg->nr_nets; i++)
		if (cfg->nets[i].transport == VM_TRANSPORT_DEFAULT)
			cfg->nets[i].transport = cfg->transport;
	return 0;
}

/* What the command line gives before anything is parsed. */
struct run_scan {
	const char *config;	   /* --config FILE */
	const char *instance;	   /* --instance NAME */
	const char *config_arg[2]; /* the --config arguments, left out */
	bool given[NR_RUN_OPTIONS];
};

static int option_index(int val)
{
	for (size_t i = 0; i < NR_RUN_OPTIONS; i++)
		if (run_options[i].val == val)
			return (int)i;
	return -1;
}

/*
 * Which options argv gives, and its --config and --instance, with getopt
 * as parse_argv runs it (a value that looks like an option stays a value).
 * Mistakes are left for parse_argv to report.
 */
static void scan_argv(int argc, char **argv, struct run_scan *scan)
{
	struct option opts[NR_RUN_OPTIONS + 1];
	int c, i;

	memset(scan, 0, sizeof(*scan));
	run_getopt_table(opts);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:i:a:c:m:d:vh", opts, NULL)) !=
	       -1) {
		i = option_index(c);
		if (i < 0)
			continue;
		scan->given[i] = true;
		if (c == OPT_INSTANCE)
			scan->instance = optarg;
		if (c != OPT_CONFIG)
			continue;
		/* A second --config is parse_argv's to refuse. */
		if (scan->config) {
			scan->config = NULL;
			return;
		}
		scan->config = optarg;
		/* Pointers, not positions: getopt moves operands around. */
		scan->config_arg[0] = argv[optind - 1];
		if (optarg == argv[optind - 1])
			scan->config_arg[1] = argv[optind - 2];
	}
}

int vm_config_expand(int argc, char **argv, struct strv *args)
{
	struct run_scan scan;
	char path[PATH_MAX];

	memset(args, 0, sizeof(*args));
	scan_argv(argc, argv, &scan);
	if ((!scan.config && !scan.instance) || scan.given[option_index('h')])
		return 1;
	if (strv_push(args, "run") < 0)
		goto nomem;
	/* The instance's own configuration first, then --config's, then the
	 * command line: each later one wins (repeatable options: replaces). */
	if (scan.instance &&
	    instance_name_check(scan.instance, "--instance") == 0 &&
	    instance_file(scan.instance, "config.json", path, sizeof(path)) ==
		0 &&
	    access(path, F_OK) == 0 &&
	    run_config_read(path, args, scan.given) < 0)
		goto fail;
	if (scan.config && run_config_read(scan.config, args, scan.given) < 0)
		goto fail;
	for (int i = 1; i < argc; i++)
		if (argv[i] != scan.config_arg[0] &&
		    argv[i] != scan.config_arg[1] &&
		    strv_push(args, argv[i]) < 0)
			goto nomem;
	/* A terminating NULL, as main's argv has (getopt does not need it). */
	if (strv_push(args, NULL) < 0)
		goto nomem;
	return 0;
nomem:
	pr_err("run: out of memory");
fail:
	strv_free(args);
	return -1;
}

int vm_config_parse(struct vm_config *cfg, int argc, char **argv)
{
	struct strv args;
	int r = vm_config_expand(argc, argv, &args);

	if (r > 0)
		return parse_argv(cfg, argc, argv, true);
	if (r < 0)
		return -1;
	r = parse_argv(cfg, (int)args.n - 1, args.v, true);
	if (r) {
		strv_free(&args);
		return r;
	}
	/* cfg points into them now; a snapshot keeps these (the file's
	 * options), never the file's name. */
	cfg->owned = args;
	return 0;
}

int vm_config_check_value(const char *option, const char *value)
{
	struct vm_config *tmp = malloc(sizeof(*tmp));
	char flag[80], *copy = strdup(value);
	char *argv[] = {"run", flag, copy, NULL};
	int r = -1;

	snprintf(flag, sizeof(flag), "--%s", option);
	if (tmp && copy) {
		r = parse_argv(tmp, 3, argv, false) == 0 ? 0 : -1;
		/* parse_argv cleared tmp first: what it kept (--disk's and
		 * --net's copies) is freed whatever the result. */
		vm_config_release(tmp);
	} else {
		pr_err("%s: out of memory", flag);
	}
	free(copy);
	free(tmp);
	return r;
}

void vm_config_release(struct vm_config *cfg)
{
	strv_free(&cfg->owned);
	strv_free(&cfg->values);
}

int vm_config_check_arch(const struct vm_config *cfg, bool aarch32)
{
	if (aarch32 && cfg->memory > AARCH32_MEMORY_MAX) {
		pr_err(
		    "--memory %llu MiB: an aarch32 guest has at most %llu MiB (RAM must end below 4 GiB)",
		    (unsigned long long)(cfg->memory >> 20),
		    AARCH32_MEMORY_MAX >> 20);
		return -1;
	}
	return 0;
}

int vm_config_restore(struct vm_config *cfg, int saved_argc, char **saved_argv,
		      int argc, char **argv)
{
	char **merged =
	    calloc((size_t)saved_argc + (size_t)argc + 1, sizeof(*merged));
	struct strv owned, values;
	int n = 0, rc;

	if (!merged) {
		pr_err("--restore: out of memory");
		return -1;
	}
	for (int i = 0; i < saved_argc; i++)
		merged[n++] = saved_argv[i];
	/* This run's process options, after the snapshot's: they win. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--restore")) {
			i++;
			continue;
		}
		if (!strncmp(argv[i], "--restore=", 10))
			continue;
		if (!strcmp(argv[i], "--incoming")) {
			i++;
			continue;
		}
		if (!strncmp(argv[i], "--incoming=", 11))
			continue;
		merged[n++] = argv[i];
	}
	merged[n] = NULL;
	/* Kept for the VM's life: cfg points into it. */
	/* Kept: the arguments a configuration file gave live there. The
	 * copies of the first parse's values go: nothing points there now. */
	owned = cfg->owned;
	values = cfg->values;
	rc = parse_argv(cfg, n, merged, true) == 0 ? 0 : -1;
	cfg->owned = owned;
	strv_free(&values);
	return rc;
}
