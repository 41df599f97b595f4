// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's commands (docs/control.md), run one at a time on the
 * control thread (vmm/control.c). Errors that the operations report through
 * pr_err are captured into the reply.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devices/pcie_port.h"
#include "lib/util.h"
#include "virtio/balloon.h"
#include "vmm/config.h"
#include "vmm/control.h"
#include "vmm/kvm/control_cmds.h"
#include "vmm/kvm/migrate.h"
#include "vmm/kvm/snapshot.h"
#include "vmm/kvm/vm.h"
#include "vmm/platform.h"

static int no_args(json_object *args, char *err, size_t errlen)
{
	static const char *const none[] = {NULL};

	return control_check_args(args, none, err, errlen);
}

static int cmd_status(void *opaque, json_object *args, json_object **result,
		      char *err, size_t errlen)
{
	struct vm *vm = opaque;
	struct timespec now;
	json_object *r;

	if (no_args(args, err, errlen))
		return -1;
	r = json_object_new_object();
	json_object_object_add(
	    r, "state",
	    json_object_new_string(vm_paused(vm) ? "paused" : "running"));
	json_object_object_add(r, "cpus", json_object_new_int(vm->cfg->cpus));
	json_object_object_add(r, "memory",
			       json_object_new_int64((int64_t)vm->ram_size));
	json_object_object_add(r, "gic",
			       json_object_new_int(vm->plan.gic_version));
	json_object_object_add(
	    r, "msi",
	    json_object_new_string(msi_controller_name(vm->plan.msi)));
	json_object_object_add(r, "boots", json_object_new_int(vm->boots));
	json_object_object_add(r, "firmware",
			       json_object_new_boolean(vm->plan.firmware_boot));
	/* For armvm ps (issue 16): which process, since when, what name. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	json_object_object_add(r, "pid", json_object_new_int(getpid()));
	json_object_object_add(
	    r, "uptime",
	    json_object_new_int64(
		(int64_t)(now.tv_sec - vm->cfg->started.tv_sec)));
	if (vm->cfg->instance)
		json_object_object_add(
		    r, "instance", json_object_new_string(vm->cfg->instance));
	*result = r;
	return 0;
}

static int cmd_pause(void *opaque, json_object *args, json_object **result,
		     char *err, size_t errlen)
{
	if (no_args(args, err, errlen))
		return -1;
	if (vm_pause(opaque) < 0) {
		snprintf(err, errlen, "not every vCPU stopped within 5 s");
		return -1;
	}
	return 0;
}

/* A VM migrated away runs elsewhere: nothing here may change it. */
static bool migrated_away(struct vm *vm, char *err, size_t errlen)
{
	if (!atomic_load(&vm->migrated))
		return false;
	snprintf(err, errlen, "the VM was migrated away; this armvm is ending");
	return true;
}

static int cmd_resume(void *opaque, json_object *args, json_object **result,
		      char *err, size_t errlen)
{
	if (no_args(args, err, errlen) || migrated_away(opaque, err, errlen))
		return -1;
	vm_resume(opaque);
	return 0;
}

static int cmd_powerdown(void *opaque, json_object *args, json_object **result,
			 char *err, size_t errlen)
{
	bool listening;

	if (migrated_away(opaque, err, errlen))
		return -1;
	if (no_args(args, err, errlen))
		return -1;
	listening = platform_press_power(&((struct vm *)opaque)->platform);
	*result = json_object_new_object();
	json_object_object_add(*result, "listening",
			       json_object_new_boolean(listening));
	return 0;
}

static int cmd_reset(void *opaque, json_object *args, json_object **result,
		     char *err, size_t errlen)
{
	if (migrated_away(opaque, err, errlen))
		return -1;
	if (no_args(args, err, errlen))
		return -1;
	vm_resume(opaque);
	vm_post_event(opaque, VM_EVENT_RESET);
	return 0;
}

static int cmd_quit(void *opaque, json_object *args, json_object **result,
		    char *err, size_t errlen)
{
	if (no_args(args, err, errlen))
		return -1;
	vm_post_event(opaque, VM_EVENT_QUIT);
	return 0;
}

static int cmd_device_add(void *opaque, json_object *args, json_object **result,
			  char *err, size_t errlen)
{
	static const char *const names[] = {
	    "type", "id",  "path",    "readonly",      "cache",	    "backend",
	    "tap",  "mac", "hostfwd", "host-loopback", "transport", NULL};
	struct vm *vm = opaque;
	struct vm_device_spec spec = {0};
	struct net_config net = {0};
	const char *cache = NULL, *transport = NULL;
	json_object *fwd;
	char id[64];
	int r;

	if (migrated_away(opaque, err, errlen))
		return -1;
	if (control_check_args(args, names, err, errlen) ||
	    control_arg_string(args, "type", true, &spec.type, err, errlen) ||
	    control_arg_string(args, "id", false, &spec.id, err, errlen) ||
	    control_arg_string(args, "path", false, &spec.path, err, errlen) ||
	    control_arg_bool(args, "readonly", false, &spec.readonly, err,
			     errlen) ||
	    control_arg_string(args, "cache", false, &cache, err, errlen) ||
	    control_arg_string(args, "backend", false, &net.backend, err,
			       errlen) ||
	    control_arg_string(args, "tap", false, &net.tap, err, errlen) ||
	    control_arg_string(args, "mac", false, &net.mac, err, errlen) ||
	    control_arg_bool(args, "host-loopback", false, &net.host_loopback,
			     err, errlen) ||
	    control_arg_string(args, "transport", false, &transport, err,
			       errlen))
		return -1;
	/* As --disk's and --net's transport=; but hot-plug is PCIe's. */
	if (transport && !strcmp(transport, "mmio")) {
		snprintf(err, errlen,
			 "argument 'transport': hot-plugged devices go on PCIe "
			 "root ports only (\"pci\"); virtio-mmio devices are "
			 "given at start-up (--transport mmio)");
		return -1;
	}
	if (transport && strcmp(transport, "pci")) {
		snprintf(err, errlen,
			 "argument 'transport' must be \"pci\" (or \"mmio\", "
			 "at start-up only)");
		return -1;
	}
	spec.transport = VM_TRANSPORT_PCI;
	if (cache) {
		if (strcmp(cache, "writeback") &&
		    strcmp(cache, "writethrough")) {
			snprintf(
			    err, errlen,
			    "argument 'cache' must be \"writeback\" or \"writethrough\"");
			return -1;
		}
		spec.writethrough = !strcmp(cache, "writethrough");
	}
	if (!strcmp(spec.type, "net")) {
		if (!net.backend)
			net.backend = net.tap ? "tap" : "user";
		if (strcmp(net.backend, "user") && strcmp(net.backend, "tap")) {
			snprintf(
			    err, errlen,
			    "argument 'backend' must be \"user\" or \"tap\"");
			return -1;
		}
		if (!strcmp(net.backend, "tap") && !net.tap) {
			snprintf(err, errlen, "missing argument 'tap'");
			return -1;
		}
		if (json_object_object_get_ex(args, "hostfwd", &fwd)) {
			bool one = json_object_is_type(fwd, json_type_string);
			size_t n = one ? 1
				   : json_object_is_type(fwd, json_type_array)
				       ? json_object_array_length(fwd)
				       : 0;

			if (!n || n > MAX_HOSTFWD) {
				snprintf(
				    err, errlen,
				    "argument 'hostfwd' must be a string or an array of 1 to %d strings",
				    MAX_HOSTFWD);
				return -1;
			}
			for (size_t i = 0; i < n; i++) {
				json_object *o =
				    one ? fwd
					: json_object_array_get_idx(fwd, i);

				if (!json_object_is_type(o, json_type_string)) {
					snprintf(
					    err, errlen,
					    "argument 'hostfwd' must hold strings");
					return -1;
				}
				net.hostfwd[net.nr_hostfwd++] =
				    json_object_get_string(o);
			}
		}
		spec.net = &net;
		spec.path = net.tap ? net.tap : "user";
	}
	pr_capture_begin(err, errlen);
	r = platform_device_add(&vm->platform, &spec, id, sizeof(id));
	pr_capture_end();
	if (r < 0)
		return -1;
	*result = json_object_new_object();
	json_object_object_add(*result, "id", json_object_new_string(id));
	return 0;
}

/* Write the VM into a snapshot directory (vmm/kvm/snapshot.c). */
static int cmd_snapshot(void *opaque, json_object *args, json_object **result,
			char *err, size_t errlen)
{
	static const char *const names[] = {"dir", "paused", NULL};
	struct vm *vm = opaque;
	bool paused = false;
	const char *dir;
	int r;

	if (migrated_away(opaque, err, errlen))
		return -1;
	if (control_check_args(args, names, err, errlen) ||
	    control_arg_string(args, "dir", true, &dir, err, errlen) ||
	    control_arg_bool(args, "paused", false, &paused, err, errlen))
		return -1;
	pr_capture_begin(err, errlen);
	r = vm_snapshot(vm, dir, paused);
	pr_capture_end();
	if (r < 0)
		return -1;
	*result = json_object_new_object();
	json_object_object_add(*result, "dir", json_object_new_string(dir));
	json_object_object_add(
	    *result, "state",
	    json_object_new_string(vm_paused(vm) ? "paused" : "running"));
	return 0;
}

/*
 * Send the VM to the armvm waiting at addr (vmm/kvm/migrate.c); once the
 * destination runs it, this armvm ends (after the reply).
 */
static int cmd_migrate(void *opaque, json_object *args, json_object **result,
		       char *err, size_t errlen)
{
	static const char *const names[] = {"addr", "downtime", "passes", NULL};
	struct migrate_params p = {.downtime_ms = MIGRATE_DEFAULT_DOWNTIME_MS,
				   .max_passes = MIGRATE_DEFAULT_PASSES};
	uint64_t downtime = p.downtime_ms, passes = p.max_passes;
	struct migrate_stats st;
	struct vm *vm = opaque;
	int r;

	if (migrated_away(opaque, err, errlen))
		return -1;
	if (control_check_args(args, names, err, errlen) ||
	    control_arg_string(args, "addr", true, &p.addr, err, errlen) ||
	    control_arg_uint(args, "downtime", false, 60000, &downtime, err,
			     errlen) ||
	    control_arg_uint(args, "passes", false, 1000, &passes, err, errlen))
		return -1;
	if (!passes) {
		snprintf(err, errlen, "passes: expected at least 1");
		return -1;
	}
	p.downtime_ms = (unsigned int)downtime;
	p.max_passes = (unsigned int)passes;
	pr_capture_begin(err, errlen);
	r = vm_migrate(vm, &p, &st);
	pr_capture_end();
	if (r < 0)
		return -1;
	*result = json_object_new_object();
	json_object_object_add(*result, "total-ms",
			       json_object_new_int64((int64_t)st.total_ms));
	json_object_object_add(*result, "downtime-ms",
			       json_object_new_int64((int64_t)st.downtime_ms));
	json_object_object_add(*result, "destination-ms",
			       json_object_new_int64((int64_t)st.dest_ms));
	json_object_object_add(*result, "passes",
			       json_object_new_int64(st.passes));
	json_object_object_add(*result, "bytes",
			       json_object_new_int64((int64_t)st.bytes));
	json_object_object_add(*result, "pages",
			       json_object_new_int64((int64_t)st.pages));
	json_object_object_add(*result, "zero-pages",
			       json_object_new_int64((int64_t)st.zero_pages));
	json_object_object_add(*result, "last-pass-pages",
			       json_object_new_int64((int64_t)st.last_pages));
	vm_post_event(vm, VM_EVENT_QUIT);
	return 0;
}

static int cmd_device_del(void *opaque, json_object *args, json_object **result,
			  char *err, size_t errlen)
{
	static const char *const names[] = {"id", NULL};
	const char *id;
	int r;

	if (migrated_away(opaque, err, errlen))
		return -1;
	if (control_check_args(args, names, err, errlen) ||
	    control_arg_string(args, "id", true, &id, err, errlen))
		return -1;
	pr_capture_begin(err, errlen);
	r = platform_device_del(&((struct vm *)opaque)->platform, id);
	pr_capture_end();
	if (r < 0)
		return -1;
	*result = json_object_new_object();
	json_object_object_add(*result, "id", json_object_new_string(id));
	json_object_object_add(
	    *result, "state",
	    json_object_new_string(r ? "removed" : "removing"));
	return 0;
}

static int cmd_device_list(void *opaque, json_object *args,
			   json_object **result, char *err, size_t errlen)
{
	static struct machine_device list[MACHINE_MAX_DEVICES];
	unsigned int n;
	json_object *arr;

	if (no_args(args, err, errlen))
		return -1;
	n = platform_device_list(&((struct vm *)opaque)->platform, list,
				 MACHINE_MAX_DEVICES);
	arr = json_object_new_array();
	for (unsigned int i = 0; i < n; i++) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "id",
				       json_object_new_string(list[i].id));
		json_object_object_add(d, "type",
				       json_object_new_string(list[i].type));
		json_object_object_add(d, "path",
				       json_object_new_string(list[i].path));
		json_object_object_add(
		    d, "readonly", json_object_new_boolean(list[i].readonly));
		if (!strcmp(list[i].type, "block"))
			json_object_object_add(
			    d, "cache",
			    json_object_new_string(list[i].writethrough
						       ? "writethrough"
						       : "writeback"));
		json_object_object_add(d, "transport",
				       json_object_new_string(vm_transport_name(
					   list[i].transport)));
		json_object_object_add(
		    d, "hotplug",
		    json_object_new_boolean(list[i].port != NULL));
		json_object_object_add(
		    d, "state",
		    json_object_new_string(
			list[i].port && pcie_port_unplug_pending(list[i].port)
			    ? "removing"
			    : "present"));
		json_object_array_add(arr, d);
	}
	*result = json_object_new_object();
	json_object_object_add(*result, "devices", arr);
	return 0;
}

/* ---- The balloon (virtio/balloon.h) ---- */

/* How long balloon-stats waits for the guest's answer, in slices that
 * look for a VM event (quit, reset, power off) in between. */
#define BALLOON_STATS_WAIT_MS  2000
#define BALLOON_STATS_SLICE_MS 100

static struct virtio_dev *balloon_of(struct vm *vm, char *err, size_t errlen)
{
	if (!vm->platform.balloon)
		set_err(err, errlen, "this VM has no balloon (--no-balloon)");
	return vm->platform.balloon;
}

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

static json_object *balloon_json(const struct virtio_balloon_info *i)
{
	json_object *r = json_object_new_object(), *st;

	add_u64(r, "target", i->target);
	add_u64(r, "actual", i->actual);
	json_object_object_add(r, "driver", json_object_new_boolean(i->driver));
	json_object_object_add(r, "statistics",
			       json_object_new_boolean(i->stats_vq));
	json_object_object_add(r, "free-page-reporting",
			       json_object_new_boolean(i->reporting));
	add_u64(r, "inflated", i->inflated << VIRTIO_BALLOON_PFN_SHIFT);
	add_u64(r, "deflated", i->deflated << VIRTIO_BALLOON_PFN_SHIFT);
	add_u64(r, "bad-pfns", i->bad_pfns);
	add_u64(r, "reported", i->reported);
	add_u64(r, "discarded", i->discarded);
	if (!i->stats_updates)
		return r;
	st = json_object_new_object();
	for (unsigned int t = 0; t < VIRTIO_BALLOON_S_NR; t++)
		if (i->stats_valid >> t & 1)
			add_u64(st, virtio_balloon_stat_name(t), i->stats[t]);
	json_object_object_add(r, "stats", st);
	json_object_object_add(r, "stats-age-ms",
			       json_object_new_int64(i->stats_age_ms));
	return r;
}

static int cmd_balloon(void *opaque, json_object *args, json_object **result,
		       char *err, size_t errlen)
{
	static const char *const names[] = {"size", NULL};
	struct virtio_dev *d = balloon_of(opaque, err, errlen);
	struct virtio_balloon_info info;
	uint64_t size;

	if (migrated_away(opaque, err, errlen))
		return -1;
	if (!d || control_check_args(args, names, err, errlen) ||
	    control_arg_size(args, "size", true, &size, err, errlen))
		return -1;
	if (size % VIRTIO_BALLOON_PAGE_SIZE) {
		/* size=256 is 256 bytes: say how to give MiB. */
		snprintf(err, errlen,
			 "balloon size %llu bytes: not a multiple of 4 KiB "
			 "(a plain number counts bytes; give a unit, as in "
			 "size=256M)",
			 (unsigned long long)size);
		return -1;
	}
	if (virtio_balloon_set_target(d, size, err, errlen) < 0)
		return -1;
	virtio_balloon_get_info(d, &info);
	*result = json_object_new_object();
	add_u64(*result, "target", info.target);
	add_u64(*result, "actual", info.actual);
	json_object_object_add(*result, "driver",
			       json_object_new_boolean(info.driver));
	return 0;
}

static int cmd_balloon_info(void *opaque, json_object *args,
			    json_object **result, char *err, size_t errlen)
{
	struct virtio_dev *d = balloon_of(opaque, err, errlen);
	struct virtio_balloon_info info;

	if (!d || no_args(args, err, errlen))
		return -1;
	virtio_balloon_get_info(d, &info);
	*result = balloon_json(&info);
	return 0;
}

/*
 * The one command that waits for the guest, and for a bounded time: the
 * statistics buffer goes back to the driver, which answers with a new
 * one (5.5.6.3). A guest that does not answer within 2 s gets an error,
 * so the control thread is never held longer.
 */
static int cmd_balloon_stats(void *opaque, json_object *args,
			     json_object **result, char *err, size_t errlen)
{
	struct vm *vm = opaque;
	struct virtio_dev *d = balloon_of(vm, err, errlen);
	struct virtio_balloon_info info;
	struct virtio_balloon_ticket t;
	int r = 1;

	if (!d || no_args(args, err, errlen))
		return -1;
	if (vm_paused(vm)) {
		snprintf(err, errlen,
			 "the VM is paused: its balloon driver cannot answer");
		return -1;
	}
	if (virtio_balloon_request_stats(d, &t, err, errlen) < 0)
		return -1;
	for (unsigned int waited = 0;
	     r == 1 && waited < BALLOON_STATS_WAIT_MS && !vm_event_pending(vm);
	     waited += BALLOON_STATS_SLICE_MS)
		r = virtio_balloon_wait_stats(d, &t, BALLOON_STATS_SLICE_MS,
					      &info);
	if (r == 1) {
		snprintf(err, errlen,
			 vm_event_pending(vm)
			     ? "the VM is stopping or rebooting"
			     : "no answer from the guest's balloon driver "
			       "within 2 s");
		return -1;
	}
	if (r < 0) {
		snprintf(err, errlen,
			 "the guest's balloon driver was reset before it "
			 "answered");
		return -1;
	}
	*result = balloon_json(&info);
	return 0;
}

static const struct control_command commands[] = {
    {"status", cmd_status, "the VM's state, vCPUs, memory, GIC"},
    {"pause", cmd_pause, "stop every vCPU"},
    {"snapshot", cmd_snapshot,
     "write the VM into dir=DIR (paused=true: stay paused after)"},
    {"migrate", cmd_migrate,
     "send the VM to `armvm run --incoming ADDR` (addr=ADDR; downtime=MS, default 300; passes=N, default 30); armvm ends once it runs there"},
    {"resume", cmd_resume, "let the vCPUs run again"},
    {"powerdown", cmd_powerdown,
     "press the power button: the guest shuts down in order"},
    {"reset", cmd_reset, "reboot the VM (armvm keeps running)"},
    {"quit", cmd_quit, "stop the VM and armvm at once"},
    {"device-add", cmd_device_add,
     "hot-add a block (path, readonly, cache writeback|writethrough) or net (backend user|tap, tap, mac, hostfwd, host-loopback) device"},
    {"device-del", cmd_device_del,
     "remove a hot-added device in the orderly way (id)"},
    {"device-list", cmd_device_list, "the devices that have an id"},
    {"balloon", cmd_balloon,
     "take memory from the guest: the balloon's size (size, e.g. 256M; 0 gives it all back)"},
    {"balloon-info", cmd_balloon_info,
     "the balloon's target and actual size, counters, last statistics"},
    {"balloon-stats", cmd_balloon_stats,
     "ask the guest for fresh memory statistics (waits at most 2 s)"},
};

struct control_server *control_cmds_start(struct vm *vm, const char *path)
{
	return control_start(path, commands, ARRAY_SIZE(commands), vm);
}
