// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "vmm/kvm/gic_state.h"
#include "vmm/kvm/ioevent.h"
#include "vmm/kvm/kvm.h"
#include "vmm/kvm/snapshot.h"
#include "vmm/kvm/vm.h"
#include "vmm/plan.h"
#include "vmm/snapshot.h"

/* A register's value is at most this big (the V registers are 128-bit;
 * armvm never turns SVE on). */
#define REG_MAX_BYTES 32
#define REGS_MAX      4096

/*
 * What of a register depends on when it is read, not on the guest, made
 * what it was at the pause: the virtual counter is the one the pause froze;
 * the virtual timer's ISTATUS (CNTV_CTL bit 2, read-only, KVM recomputes
 * it) follows from that counter and CVAL; the physical timer's ISTATUS is
 * left out (0) for the same reason. The physical counter itself is not
 * saved at all: KVM lets nothing set it back, and a guest never gets its
 * offset from us. Returns false for a register not to save.
 */
static bool normalise_timer(const struct vm *vm, uint64_t id, uint64_t cval,
			    uint8_t *value)
{
	uint64_t v;

	if (id == KVM_REG_ARM_PTIMER_CNT)
		return false;
	if (!vm->counter_frozen)
		return true;
	memcpy(&v, value, sizeof(v));
	if (id == KVM_REG_ARM_TIMER_CNT) {
		v = vm->frozen_counter;
	} else if (id == KVM_REG_ARM_TIMER_CTL) {
		v &= ~4ULL;
		if ((v & 1) && vm->frozen_counter >= cval)
			v |= 4;
	} else if (id == KVM_REG_ARM_PTIMER_CTL) {
		v &= ~4ULL;
	} else {
		return true;
	}
	memcpy(value, &v, sizeof(v));
	return true;
}

/*
 * A vCPU: its power state (a secondary that PSCI has not started is
 * stopped), then every register KVM_GET_REG_LIST names, in its order:
 * general and system registers, the timer, the firmware's PSCI and
 * workaround registers, each made what it was at the pause
 * (normalise_timer), so that the guest finds no time gone by and two
 * snapshots of a paused VM are the same.
 */
static int vcpu_save(struct vm *vm, struct vcpu *v, struct state_writer *w)
{
	uint8_t value[REG_MAX_BYTES];
	uint64_t *ids = NULL, n = 0, cval = 0;
	struct state_writer regs;
	uint32_t mp, saved = 0;

	if (kvm_get_mp_state(v->fd, &mp) < 0 ||
	    kvm_get_reg_list(v->fd, &ids, &n) < 0 ||
	    kvm_get_reg64(v->fd, KVM_REG_ARM_TIMER_CVAL, &cval) < 0) {
		pr_err("snapshot: vCPU %u: %s", v->index, strerror(errno));
		free(ids);
		return -1;
	}
	sw_init(&regs);
	for (uint64_t i = 0; i < n; i++) {
		unsigned int size = kvm_reg_size(ids[i]);

		if (size > sizeof(value) ||
		    kvm_get_reg(v->fd, ids[i], value) < 0) {
			pr_err("snapshot: vCPU %u: register 0x%llx: %s",
			       v->index, (unsigned long long)ids[i],
			       size > sizeof(value) ? "too large"
						    : strerror(errno));
			free(ids);
			sw_free(&regs);
			return -1;
		}
		if (size == sizeof(uint64_t) &&
		    !normalise_timer(vm, ids[i], cval, value))
			continue;
		sw_u64(&regs, ids[i]);
		sw_bytes(&regs, value, size);
		saved++;
	}
	free(ids);
	sw_u32(w, mp);
	sw_u32(w, saved);
	sw_bytes(w, regs.buf, regs.len);
	if (regs.failed)
		w->failed = true;
	sw_free(&regs);
	return 0;
}

static int vcpu_restore(struct vcpu *v, struct state_reader *r, const char *dir)
{
	uint8_t value[REG_MAX_BYTES];
	uint32_t mp = sr_u32(r);
	uint32_t n = sr_u32_max(r, REGS_MAX, "registers");

	for (uint32_t i = 0; i < n && !r->failed; i++) {
		uint64_t id = sr_u64(r);
		unsigned int size = kvm_reg_size(id);

		if (size > sizeof(value)) {
			sr_fail(r, "register 0x%llx of %u bytes",
				(unsigned long long)id, size);
			break;
		}
		sr_bytes(r, value, size);
		if (r->failed)
			break;
		/* The ID registers only take the value this host's CPU has:
		 * a refusal there is another CPU. */
		if (kvm_set_reg(v->fd, id, value) < 0) {
			pr_err("--restore %s: vCPU %u: register 0x%llx: %s "
			       "(this host's CPU or KVM is not the one the "
			       "snapshot was taken on)",
			       dir, v->index, (unsigned long long)id,
			       strerror(errno));
			return -1;
		}
	}
	if (sr_done(r) < 0) {
		pr_err("--restore %s/state: vCPU %u: %s", dir, v->index,
		       r->why);
		return -1;
	}
	if (kvm_set_mp_state(v->fd, mp) < 0) {
		pr_err("--restore %s: vCPU %u: power state %u: %s", dir,
		       v->index, mp, strerror(errno));
		return -1;
	}
	return 0;
}

/* The decisions the VM was built with: the restored one must match. */
static void save_plan(const struct machine_plan *plan, struct state_writer *w)
{
	sw_bool(w, plan->firmware_boot);
	sw_bool(w, plan->aarch32);
	sw_u8(w, (uint8_t)plan->gic_version);
	/* Whether there is an ITS (docs/snapshot.md). A GICv2m frame needs
	 * no byte: every GICv2 VM has one, and it has no state. */
	sw_bool(w, plan->msi == MSI_ITS);
	sw_u32(w, plan->cpus);
	sw_u64(w, plan->ram_size);
}

static void save_config(const struct vm_config *cfg, struct state_writer *w)
{
	sw_u32(w, (uint32_t)cfg->argc);
	for (int i = 0; i < cfg->argc; i++)
		sw_string(w, cfg->argv[i]);
}

int vm_save_state(struct vm *vm, struct state_writer *body)
{
	struct state_writer w;
	char tag[16];
	int r = 0;

	sw_init(&w);
	save_config(vm->cfg, &w);
	snapshot_add_section(body, "config", &w);
	sw_free(&w);
	save_plan(&vm->plan, &w);
	snapshot_add_section(body, "plan", &w);
	sw_free(&w);
	for (unsigned int i = 0; i < vm->plan.cpus && !r; i++) {
		r = vcpu_save(vm, &vm->vcpus[i], &w);
		snprintf(tag, sizeof(tag), "vcpu%u", i);
		snapshot_add_section(body, tag, &w);
		sw_free(&w);
	}
	/* Before RAM is written: the ITS puts its tables there. */
	if (!r)
		r = gic_save(vm, &w);
	snapshot_add_section(body, "gic", &w);
	sw_free(&w);
	if (!r)
		r = platform_save(&vm->platform, body);
	return r;
}

int vm_snapshot(struct vm *vm, const char *dir, bool stay_paused)
{
	struct state_writer body;
	bool was_paused = vm_paused(vm);
	int r;

	if (!was_paused && vm_pause(vm) < 0) {
		vm_resume(vm);
		pr_err("snapshot: not every vCPU stopped within 5 s");
		return -1;
	}
	/* A boot that is being torn down or made has no state to take;
	 * the teardown waits for snapshot_lock. */
	pthread_mutex_lock(&vm->snapshot_lock);
	if (!vm_running_boot(vm)) {
		pthread_mutex_unlock(&vm->snapshot_lock);
		if (!was_paused)
			vm_resume(vm);
		pr_err("snapshot: the VM is between two boots; try again");
		return -1;
	}
	ioevents_quiesce(vm->ioevents, true);
	platform_quiesce(&vm->platform, true);
	sw_init(&body);
	r = vm_save_state(vm, &body);
	if (!r)
		r = snapshot_write(dir, &body, vm->ram, vm->ram_size);
	sw_free(&body);
	platform_quiesce(&vm->platform, false);
	ioevents_quiesce(vm->ioevents, false);
	pthread_mutex_unlock(&vm->snapshot_lock);
	if (!was_paused && !stay_paused)
		vm_resume(vm);
	if (!r)
		pr_info("snapshot %s written", dir);
	return r;
}

static int read_plan(const struct snapshot *s, struct machine_plan *saved)
{
	struct state_reader r;
	bool its;

	if (snapshot_section(s, "plan", &r) < 0)
		return -1;
	saved->firmware_boot = sr_bool(&r);
	saved->aarch32 = sr_bool(&r);
	saved->gic_version = sr_u8(&r);
	/* The record's ITS byte, read as the plan reads the host's: a GICv2
	 * gets the stateless GICv2m frame (which snapshots taken before
	 * armvm had it lack: their guest never knew of it). */
	its = sr_bool(&r);
	/* An ITS is a GICv3's: a GICv2 record with one was not ours. */
	if (its && saved->gic_version != 3)
		sr_fail(&r, "an ITS with a GICv%d", saved->gic_version);
	saved->msi = machine_plan_msi(saved->gic_version, its);
	saved->cpus = sr_u32(&r);
	saved->ram_size = sr_u64(&r);
	if (sr_done(&r) < 0) {
		pr_err("--restore %s/state: plan: %s", s->dir, r.why);
		return -1;
	}
	return 0;
}

int vm_restore_check_host(const struct snapshot *s,
			  const struct host_caps *host)
{
	struct machine_plan saved;
	bool ok;

	if (read_plan(s, &saved) < 0)
		return -1;
	ok = saved.gic_version == 3
		 ? host->gicv3 && (saved.msi != MSI_ITS || host->its)
		 : host->gicv2;
	if (!ok) {
		pr_err("--restore %s: the snapshot's VM has a GICv%d%s, which "
		       "this host's KVM cannot emulate (a VM keeps its "
		       "interrupt controller)",
		       s->dir, saved.gic_version,
		       saved.msi == MSI_ITS ? " with ITS" : "");
		return -1;
	}
	return 0;
}

int vm_restore_prepare(struct vm *vm, struct snapshot *s)
{
	struct machine_plan saved;

	if (read_plan(s, &saved) < 0)
		return -1;
	if (saved.gic_version != vm->plan.gic_version ||
	    saved.msi != vm->plan.msi) {
		pr_err("--restore %s: the snapshot's VM has a GICv%d%s; here "
		       "it would get a GICv%d%s (a VM keeps its interrupt "
		       "controller)",
		       s->dir, saved.gic_version,
		       saved.msi == MSI_ITS ? " with ITS" : "",
		       vm->plan.gic_version,
		       vm->plan.msi == MSI_ITS ? " with ITS" : "");
		return -1;
	}
	if (saved.aarch32 != vm->plan.aarch32 ||
	    saved.firmware_boot != vm->plan.firmware_boot ||
	    saved.cpus != vm->plan.cpus ||
	    saved.ram_size != vm->plan.ram_size) {
		pr_err("--restore %s: the snapshot's machine (%s, %s, %u "
		       "vCPUs, %llu MiB) is not the one its options make here",
		       s->dir, saved.aarch32 ? "aarch32" : "aarch64",
		       saved.firmware_boot ? "UEFI" : "direct boot", saved.cpus,
		       (unsigned long long)(saved.ram_size >> 20));
		return -1;
	}
	if (platform_restore_devices(&vm->platform, s) < 0)
		return -1;
	/* A live migration's RAM came with the stream and is the VM's. */
	if (s->ram_loaded)
		return 0;
	return snapshot_load_ram(s, vm->ram, vm->ram_size);
}

int vm_restore_boot(struct vm *vm, struct snapshot *s)
{
	struct state_reader r;
	char tag[16];

	for (unsigned int i = 0; i < vm->plan.cpus; i++) {
		snprintf(tag, sizeof(tag), "vcpu%u", i);
		if (snapshot_section(s, tag, &r) < 0 ||
		    vcpu_restore(&vm->vcpus[i], &r, s->dir) < 0)
			return -1;
	}
	if (snapshot_section(s, "gic", &r) < 0)
		return -1;
	if (gic_restore(vm, &r) < 0 || sr_done(&r) < 0) {
		if (r.failed)
			pr_err("--restore %s/state: gic: %s", s->dir, r.why);
		return -1;
	}
	return platform_restore_state(&vm->platform, s);
}
