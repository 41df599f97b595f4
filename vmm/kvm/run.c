// SPDX-License-Identifier: GPL-2.0
/* `armvm run`: parse the options, set the VM up, serve its control socket,
 * run it. */
#include "lib/confine.h"
#include "vmm/config.h"
#include "vmm/control.h"
#include "vmm/kvm/control_cmds.h"
#include "vmm/kvm/vm.h"
#include "vmm/vmm.h"

int cmd_run(int argc, char **argv)
{
	struct control_server *control = NULL;
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
	/* The control socket is made before the jail shuts the file system
	 * away (vm_run enters it). */
	if (cfg.api_socket) {
		control = control_cmds_start(&vm, cfg.api_socket);
		if (!control) {
			confine_release_threads(-1);
			vm_exit(&vm);
			return 1;
		}
	}
	r = vm_run(&vm);
	/* After the vCPUs: a device-del still waiting gives up by itself. */
	if (control)
		control_stop(control);
	vm_exit(&vm);
	return r;
}
