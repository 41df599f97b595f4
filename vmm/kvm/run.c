// SPDX-License-Identifier: GPL-2.0
/* `armvm run`: parse the options, set the VM up, serve its control socket,
 * run it. */
#include <stdlib.h>
#include <string.h>

#include "lib/confine.h"
#include "lib/util.h"
#include "vmm/config.h"
#include "vmm/control.h"
#include "vmm/kvm/control_cmds.h"
#include "vmm/snapshot.h"
#include "vmm/kvm/vm.h"
#include "vmm/vmm.h"

/* The longest argument a snapshot's options may hold. */
#define ARG_MAX_BYTES 65536

/*
 * --restore DIR: the options come from the snapshot (its "config"
 * section), then this run's process options. The strings are copies that
 * live until armvm exits (cfg points into them).
 */
static int restore_config(struct vm_config *cfg, struct snapshot *s, int argc,
			  char **argv)
{
	const char *dir = cfg->restore;
	struct state_reader r;
	char **saved, *arg;
	uint32_t n;

	if (snapshot_open(dir, s) < 0 || snapshot_section(s, "config", &r) < 0)
		return -1;
	n = sr_u32_max(&r, 1024, "arguments");
	saved = calloc((size_t)n + 1, sizeof(*saved));
	arg = malloc(ARG_MAX_BYTES + 1);
	if (!saved || !arg)
		sr_fail(&r, "out of memory");
	for (uint32_t i = 0; i < n && !r.failed; i++) {
		sr_string(&r, arg, ARG_MAX_BYTES + 1, "argument");
		saved[i] = strdup(arg);
		if (!saved[i])
			sr_fail(&r, "out of memory");
	}
	free(arg);
	if (sr_done(&r) < 0 || n == 0 || strcmp(saved[0], "run")) {
		pr_err("--restore %s/state: config: %s", dir,
		       r.failed ? r.why : "expected the arguments of a run");
		return -1;
	}
	if (vm_config_restore(cfg, (int)n, saved, argc, argv) < 0)
		return -1;
	if (cfg->restore) {
		pr_err("--restore %s/state: config holds --restore", dir);
		return -1;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct control_server *control = NULL;
	struct snapshot snap = {0};
	struct vm_config cfg;
	struct vm vm;
	int r = vm_config_parse(&cfg, argc, argv);

	if (r)
		return r > 0 ? 0 : 2;
	/* The snapshot's options, --seccomp, --jail and --user among them,
	 * before anything is set up from them (it only reads a file). */
	if (cfg.restore && restore_config(&cfg, &snap, argc, argv) < 0)
		return 1;
	/* Before vm_init starts the first thread (lib/confine.h). */
	if (confine_setup(cfg.seccomp) < 0)
		return 1;
	/* Threads started during set-up wait for the jail (vm_run). */
	if (cfg.jail_dir || cfg.user.set)
		confine_hold_threads();
	if (snap.body)
		r = vm_init_restore(&vm, &cfg, &snap);
	else
		r = vm_init(&vm, &cfg);
	if (r < 0) {
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
