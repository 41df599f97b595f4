// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "vmm/config.h"
#include "vmm/machine.h"

void vm_config_usage(FILE *f)
{
	fprintf(f,
		"Usage: armvm run --kernel IMAGE [OPTIONS]\n"
		"\n"
		"Run a VM on this arm64 host's KVM.\n"
		"\n"
		"Boot:\n"
		"  -k, --kernel FILE   arm64 Linux Image to boot directly (plain or gzip)\n"
		"  -i, --initrd FILE   initial ramdisk for the kernel\n"
		"  -a, --cmdline TEXT  kernel command line (default \"" DEFAULT_CMDLINE "\")\n"
		"\n"
		"Machine:\n"
		"  -c, --cpus N        number of vCPUs (default %d; at most %d with GICv2,\n"
		"                      %d with GICv3)\n"
		"  -m, --memory SIZE   guest RAM, e.g. 512M or 2G; a bare number is MiB\n"
		"                      (default %llu MiB)\n"
		"      --gic 2|3|auto  interrupt controller version (default auto: v3 if\n"
		"                      the host offers it, else v2)\n"
		"\n"
		"Behaviour:\n"
		"      --no-reboot     exit when the guest resets instead of rebooting it\n"
		"      --kvm PATH      KVM device (default /dev/kvm)\n"
		"  -v, --verbose       report what armvm sets up, on stderr\n"
		"  -h, --help          show this help\n"
		"\n"
		"The guest's console is this terminal (pl011, ttyAMA0 in Linux); type\n"
		"Ctrl-A x to quit armvm, Ctrl-A Ctrl-A to send Ctrl-A.\n"
		"Exit status: 0 when the guest powers off (or resets with --no-reboot),\n"
		"1 on an error, 2 on a usage error.\n",
		DEFAULT_CPUS, MACHINE_MAX_CPUS_GICV2, MACHINE_MAX_CPUS_GICV3,
		(unsigned long long)(DEFAULT_MEMORY >> 20));
}

enum { OPT_GIC = 256, OPT_NO_REBOOT, OPT_KVM };

int vm_config_parse(struct vm_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'a' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "gic", required_argument, NULL, OPT_GIC },
		{ "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
		{ "kvm", required_argument, NULL, OPT_KVM },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long n;
	int c;

	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus = DEFAULT_CPUS;
	cfg->memory = DEFAULT_MEMORY;
	cfg->kvm_path = "/dev/kvm";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:i:a:c:m:vh", opts, NULL)) !=
	       -1) {
		switch (c) {
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
			if (!parse_uint(optarg, 1, MACHINE_MAX_CPUS_GICV3, &n)) {
				pr_err("--cpus '%s': expected a number of vCPUs from 1 to %d",
				       optarg, MACHINE_MAX_CPUS_GICV3);
				return -1;
			}
			cfg->cpus = n;
			break;
		case 'm':
			if (!parse_size(optarg, 1ULL << 20, &cfg->memory)) {
				pr_err("--memory '%s': expected a size such as 512M or 2G",
				       optarg);
				return -1;
			}
			if (cfg->memory < MACHINE_RAM_MIN ||
			    cfg->memory > MACHINE_RAM_MAX ||
			    cfg->memory % (64 << 10)) {
				pr_err("--memory '%s': expected a multiple of 64K from %lluM to %lluG",
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
		case OPT_NO_REBOOT:
			cfg->no_reboot = true;
			break;
		case OPT_KVM:
			cfg->kvm_path = optarg;
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
			pr_err("run: unknown option '%s' (see armvm run --help)",
			       argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		pr_err("run: unexpected argument '%s' (see armvm run --help)",
		       argv[optind]);
		return -1;
	}
	if (cfg->gic_version == 2 && cfg->cpus > MACHINE_MAX_CPUS_GICV2) {
		pr_err("--cpus %u: GICv2 supports at most %d vCPUs (PLAT-3); use --gic 3 or fewer vCPUs",
		       cfg->cpus, MACHINE_MAX_CPUS_GICV2);
		return -1;
	}
	if (!cfg->kernel) {
		pr_err("run: nothing to boot: give --kernel IMAGE (see armvm run --help)");
		return -1;
	}
	if (!cfg->cmdline)
		cfg->cmdline = DEFAULT_CMDLINE;
	return 0;
}
