// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "virtio/vsock.h"
#include "vmm/config.h"
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
	    "      --instance NAME keep the variable store in a named instance\n"
	    "                      (~/.local/state/armvm/instances/NAME)\n"
	    "                      Without --vars or --instance, variables last\n"
	    "                      for this run only. Never in the disk image.\n"
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

int vm_config_parse(struct vm_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"kernel", required_argument, NULL, 'k'},
	    {"initrd", required_argument, NULL, 'i'},
	    {"cmdline", required_argument, NULL, 'a'},
	    {"cpus", required_argument, NULL, 'c'},
	    {"memory", required_argument, NULL, 'm'},
	    {"gic", required_argument, NULL, OPT_GIC},
	    {"arch", required_argument, NULL, OPT_ARCH},
	    {"no-reboot", no_argument, NULL, OPT_NO_REBOOT},
	    {"kvm", required_argument, NULL, OPT_KVM},
	    {"disk", required_argument, NULL, 'd'},
	    {"firmware", required_argument, NULL, OPT_FIRMWARE},
	    {"vars", required_argument, NULL, OPT_VARS},
	    {"instance", required_argument, NULL, OPT_INSTANCE},
	    {"hotplug-slots", required_argument, NULL, OPT_HOTPLUG_SLOTS},
	    {"api-socket", required_argument, NULL, OPT_API_SOCKET},
	    {"net", required_argument, NULL, OPT_NET},
	    {"virtio-console", required_argument, NULL, OPT_VIRTIO_CONSOLE},
	    {"no-rng", no_argument, NULL, OPT_NO_RNG},
	    {"boot-marker", no_argument, NULL, OPT_BOOT_MARKER},
	    {"no-balloon", no_argument, NULL, OPT_NO_BALLOON},
	    {"test-fault", required_argument, NULL, OPT_TEST_FAULT},
	    {"seccomp", required_argument, NULL, OPT_SECCOMP},
	    {"jail", required_argument, NULL, OPT_JAIL},
	    {"user", required_argument, NULL, OPT_USER},
	    {"vsock", required_argument, NULL, OPT_VSOCK},
	    {"transport", required_argument, NULL, OPT_TRANSPORT},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"restore", required_argument, NULL, OPT_RESTORE},
	    {"incoming", required_argument, NULL, OPT_INCOMING},
	    {0},
	};
	/* The first option that shapes the VM (not the process): a
	 * snapshot brings its own (--restore). */
	const char *machine_option = NULL;
	unsigned long n;
	int c;

	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus = DEFAULT_CPUS;
	cfg->memory = DEFAULT_MEMORY;
	cfg->kvm_path = "/dev/kvm";
	cfg->hotplug_slots = DEFAULT_HOTPLUG_SLOTS;
	cfg->argc = argc;
	cfg->argv = argv;
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
			if (parse_disk(cfg, optarg) < 0)
				return -1;
			break;
		case OPT_FIRMWARE:
			cfg->firmware = optarg;
			break;
		case OPT_VARS:
			cfg->vars = optarg;
			break;
		case OPT_INSTANCE:
			cfg->instance = optarg;
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
			if (parse_net(cfg, optarg) < 0)
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
			if (parse_vsock(cfg, optarg) < 0)
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
	if (cfg->kernel && (cfg->firmware || cfg->vars || cfg->instance)) {
		pr_err(
		    "--kernel boots without firmware; --firmware, --vars and --instance need a firmware boot");
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
	int n = 0;

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
	return vm_config_parse(cfg, n, merged) == 0 ? 0 : -1;
}
