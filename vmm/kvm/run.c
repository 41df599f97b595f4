// SPDX-License-Identifier: GPL-2.0
/* `armvm run`: parse the options, set the VM up, run it. */
#include "lib/confine.h"
#include "vmm/config.h"
#include "vmm/kvm/vm.h"
#include "vmm/vmm.h"

int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	struct vm vm;
	int r = vm_config_parse(&cfg, argc, argv);

	if (r)
		return r > 0 ? 0 : 2;
	/* Before vm_init starts the first thread (lib/confine.h). */
	if (confine_setup(cfg.seccomp) < 0)
		return 1;
	/* Threads started during set-up wait for the jail (vm_run). */
	if (cfg.jail_dir || cfg.user.set)
		confine_hold_threads();
	if (vm_init(&vm, &cfg) < 0) {
		confine_release_threads(-1);
		vm_exit(&vm);
		return 1;
	}
	r = vm_run(&vm);
	vm_exit(&vm);
	return r;
}
