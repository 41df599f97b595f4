// SPDX-License-Identifier: GPL-2.0
/*
 * armvm: a virtual machine monitor for the ARM VM System Specification.
 * This file only dispatches the subcommands:
 *   armvm run ...     the VMM (vmm/), arm64 hosts with KVM
 *   armvm image ...   build and check portable disk images (image/)
 *   armvm ctl ...     talk to a running VM's control socket (vmm/ctl.c)
 *   armvm instance ... named VMs: their options, variables, lock (vmm/instance.c)
 *   armvm ps          the running VMs (vmm/ps.c)
 *   armvm conform ... check a VM rule by rule (conform/host/)
 */
#include <stdio.h>
#include <string.h>

#include "conform/host/conform.h"
#include "lib/util.h"
#include "image/image.h"
#include "vmm/config.h"
#include "vmm/control.h"
#include "vmm/instance.h"
#include "vmm/ps.h"
#ifdef ARMVM_HAVE_KVM
#include "vmm/vmm.h"
#endif

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: armvm COMMAND [OPTIONS]\n"
	    "\n"
	    "A virtual machine monitor for the ARM VM System Specification.\n"
	    "\n"
	    "Commands:\n"
	    "  run      run a VM (arm64 Linux host with /dev/kvm)\n"
	    "  image    build or check a portable disk image\n"
	    "  ctl      send a command to a running VM's control socket\n"
	    "  instance create, list, show, start, stop or delete named VMs\n"
	    "  ps       list the running VMs\n"
	    "  conform  check a VM against the specification, rule by rule\n"
	    "\n"
	    "Options:\n"
	    "  -h, --help     show this help (COMMAND --help for a command's)\n"
	    "  -V, --version  show the version\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("armvm %s (%s)\n", ARMVM_VERSION, ARMVM_GIT_REV);
		return 0;
	}
	if (!strcmp(argv[1], "image"))
		return cmd_image(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ctl"))
		return cmd_ctl(argc - 1, argv + 1);
	if (!strcmp(argv[1], "conform"))
		return cmd_conform(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ps"))
		return cmd_ps(argc - 1, argv + 1);
	if (!strcmp(argv[1], "instance"))
#ifdef ARMVM_HAVE_KVM
		return cmd_instance(argc - 1, argv + 1, cmd_run);
#else
		return cmd_instance(argc - 1, argv + 1, NULL);
#endif
	if (!strcmp(argv[1], "run")) {
#ifdef ARMVM_HAVE_KVM
		return cmd_run(argc - 1, argv + 1);
#else
		/* The options are the same on every host: show them (the
		 * man pages and the shell completion read them). */
		if (argc == 3 &&
		    (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help"))) {
			vm_config_usage(stdout);
			return 0;
		}
		pr_err(
		    "run: this armvm was built for a host without arm64 KVM; build it with 'make ARCH=arm64' and run it on an arm64 Linux host (or in tools/sandbox)");
		return 1;
#endif
	}
	pr_err(
	    "unknown command '%s' (expected 'run', 'image', 'ctl', 'instance', 'ps' or 'conform'; see armvm --help)",
	    argv[1]);
	return 2;
}
