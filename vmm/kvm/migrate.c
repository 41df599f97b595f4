// SPDX-License-Identifier: GPL-2.0
/*
 * Live migration, the source's side (docs/migration.md): pre-copy of guest
 * RAM while the guest runs, pass after pass, each sending the pages written
 * since the one before (KVM's dirty log for the guest's writes, the
 * guest_mem bitmap for the devices'), until what is left would go within
 * the downtime budget; then the VM is paused, the rest of RAM and the same
 * state as a snapshot's are sent, the disks and the variable store handed
 * over, and the destination takes the VM.
 *
 * Anything failing before the hand-over leaves the VM running here as if
 * nothing had happened (its files locked again, the dirty log off).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/state.h"
#include "lib/util.h"
#include "vmm/kvm/ioevent.h"
#include "vmm/kvm/kvm.h"
#include "vmm/kvm/migrate.h"
#include "vmm/kvm/snapshot.h"
#include "vmm/kvm/vm.h"
#include "vmm/machine.h"
#include "vmm/migrate.h"
#include "vmm/snapshot.h"

/* How long a peer may stay silent (the destination builds the VM in it). */
#define PEER_TIMEOUT_MS 60000
/* How long the locks of the files handed over are tried again. */
#define LOCK_BACK_MS 10000
/* Pages of the first pass between two looks for a guest reboot. */
#define FIRST_PASS_SLICE 16384

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

struct dirty_pages {
	uint64_t pages, words;
	uint64_t *kvm;	 /* KVM_GET_DIRTY_LOG's bitmap */
	uint64_t *found; /* written and not yet sent */
};

/* The pages written since the last call, by the guest (KVM's log, which
 * the call clears) and by the devices (their bitmap, taken word by word),
 * added to d->found. 0, or -1 after a message. */
static int collect(struct vm *vm, struct dirty_pages *d)
{
	if (kvm_get_dirty_log(vm->vm_fd, SLOT_RAM, d->kvm) < 0) {
		pr_err("migrate: cannot read KVM's dirty log: %s",
		       strerror(errno));
		return -1;
	}
	for (uint64_t w = 0; w < d->words; w++)
		d->found[w] |=
		    d->kvm[w] | atomic_exchange_explicit(&vm->dirty.bits[w], 0,
							 memory_order_acquire);
	return 0;
}

static uint64_t count(const struct dirty_pages *d)
{
	uint64_t n = 0;

	for (uint64_t w = 0; w < d->words; w++)
		n += (uint64_t)__builtin_popcountll(d->found[w]);
	return n;
}

static bool found(const struct dirty_pages *d, uint64_t page)
{
	return d->found[page / 64] & (1ULL << (page % 64));
}

/* Send every page in d->found (runs of consecutive pages together) and
 * forget them. */
static int send_found(struct migrate_out *out, const uint8_t *ram,
		      struct dirty_pages *d)
{
	uint64_t page = 0;

	while (page < d->pages) {
		uint64_t end;

		if (!d->found[page / 64]) {
			page = (page / 64 + 1) * 64;
			continue;
		}
		if (!found(d, page)) {
			page++;
			continue;
		}
		for (end = page + 1; end < d->pages && found(d, end); end++)
			;
		if (migrate_send_pages(out, ram, page, end - page, false) < 0)
			return -1;
		page = end;
	}
	memset(d->found, 0, d->words * sizeof(uint64_t));
	return 0;
}

/* Turn KVM's dirty log on or off for guest RAM. */
static int log_writes(struct vm *vm, bool on)
{
	const uint64_t base = machine_map[MR_RAM].base;

	/*
	 * On: the slot is removed first, so that the log starts with no
	 * stage-2 mapping at all. Turned on over the block mappings that
	 * transparent huge pages give (2 MiB), the log missed some of the
	 * guest's writes inside one such block (docs/migration.md, "Lost
	 * pages"): 3 of 11 migrations straight after boot arrived with ~20
	 * pages of one block stale, 0 of 10 with the slot removed first. The
	 * guest then faults its pages back in one by one, as logging wants.
	 * The caller has the vCPUs stopped and the devices quiesced: with
	 * the slot gone, KVM could not read an ITS table to deliver an MSI.
	 */
	if (on &&
	    kvm_set_memory(vm->vm_fd, SLOT_RAM, false, base, 0, vm->ram) < 0) {
		pr_err("migrate: cannot remove the RAM slot: %s",
		       strerror(errno));
		return -1;
	}
	if (kvm_log_dirty_pages(vm->vm_fd, SLOT_RAM, base, vm->ram_size,
				vm->ram, on) < 0) {
		int err = errno;

		/* The slot back as it was; without it the guest has no
		 * RAM, and the VM ends with an error. */
		if (on && kvm_set_memory(vm->vm_fd, SLOT_RAM, false, base,
					 vm->ram_size, vm->ram) < 0) {
			pr_err("migrate: cannot register guest RAM again: %s; "
			       "the VM stops",
			       strerror(errno));
			vm_post_event(vm, VM_EVENT_ERROR);
		}
		errno = err;
		pr_err("migrate: cannot turn KVM's dirty log %s: %s",
		       on ? "on" : "off", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The pre-copy: every page that is not zero, then the pages written
 * meanwhile, again and again, until sending what is left would take no
 * longer than the downtime budget at the rate measured so far (or the
 * passes run out). On return d->found holds what is left.
 */
static int pre_copy(struct vm *vm, const struct migrate_params *p,
		    struct migrate_out *out, struct dirty_pages *d,
		    struct migrate_stats *st)
{
	const uint64_t page_size = 1ULL << vm->dirty.page_shift;
	const uint64_t start = now_ms();

	/* The first pass (all of RAM) in slices, so that a guest that
	 * reboots meanwhile waits for one slice, not the whole pass. */
	for (uint64_t at = 0; at < d->pages; at += FIRST_PASS_SLICE) {
		uint64_t n = d->pages - at < FIRST_PASS_SLICE
				 ? d->pages - at
				 : FIRST_PASS_SLICE;

		if (vm_event_pending(vm)) {
			pr_err("migrate: the guest stopped or rebooted; "
			       "migration given up");
			return -1;
		}
		if (migrate_send_pages(out, vm->ram, at, n, true) < 0)
			return -1;
	}
	for (st->passes = 1;; st->passes++) {
		/* Bytes a millisecond, over the whole pre-copy so far. */
		uint64_t rate = out->bytes / (now_ms() - start + 1) + 1;

		if (vm_event_pending(vm)) {
			pr_err("migrate: the guest stopped or rebooted; "
			       "migration given up");
			return -1;
		}
		if (collect(vm, d) < 0)
			return -1;
		if (count(d) * page_size / rate <= p->downtime_ms ||
		    st->passes >= p->max_passes)
			return 0;
		if (send_found(out, vm->ram, d) < 0)
			return -1;
	}
}

/*
 * The last pass, the VM paused and its devices quiesced: its state (the
 * GIC's ITS writes its tables into RAM first), the pages written since the
 * pre-copy's last look, then the files handed over and the state sent.
 */
static int last_pass(struct vm *vm, struct migrate_out *out,
		     struct dirty_pages *d, struct migrate_stats *st,
		     bool *released)
{
	struct state_writer body;
	uint64_t before = out->pages + out->zero_pages;
	int r;

	sw_init(&body);
	r = vm_save_state(vm, &body);
	if (!r && body.failed) {
		pr_err("migrate: out of memory");
		r = -1;
	}
	if (!r)
		r = collect(vm, d);
	if (!r)
		r = send_found(out, vm->ram, d);
	st->last_pages = out->pages + out->zero_pages - before;
	if (!r) {
		/* Before: a hand-over that fails halfway has dropped some
		 * locks, which the failure path takes back. */
		*released = true;
		r = platform_hand_over_files(&vm->platform, true, false);
	}
	if (!r)
		r = migrate_send_state(out, body.buf, body.len);
	sw_free(&body);
	return r;
}

/*
 * After a failed hand-over: the files' locks back. A destination that
 * refused the VM may still hold them while it exits: try for a while.
 */
static int take_files_back(struct vm *vm)
{
	const uint64_t until = now_ms() + LOCK_BACK_MS;

	while (platform_hand_over_files(&vm->platform, false, true) < 0) {
		if (now_ms() >= until)
			return platform_hand_over_files(&vm->platform, false,
							false);
		usleep(100 * 1000);
	}
	return 0;
}

int vm_migrate(struct vm *vm, const struct migrate_params *p,
	       struct migrate_stats *st)
{
	const uint64_t t0 = now_ms();
	const bool was_paused = vm_paused(vm);
	struct dirty_pages d = {.pages = vm->dirty.pages};
	bool logging = false, quiesced = false, released = false;
	bool paused = was_paused, stay_paused = false;
	struct migrate_out out;
	uint64_t t_pause = 0, t_sent;
	int fd = -1, r = -1;

	memset(st, 0, sizeof(*st));
	d.words = (d.pages + 63) / 64;
	d.kvm = calloc(d.words, sizeof(uint64_t));
	d.found = calloc(d.words, sizeof(uint64_t));
	if (!d.kvm || !d.found) {
		pr_err("migrate: out of memory");
		goto out_free;
	}
	fd = migrate_connect(p->addr, PEER_TIMEOUT_MS);
	if (fd < 0)
		goto out_free;
	/* Paused for a moment, to know there is a boot whose RAM can be
	 * logged, and to keep it: its teardown waits for snapshot_lock. */
	if (!paused && vm_pause(vm) < 0) {
		vm_resume(vm);
		pr_err("migrate: not every vCPU stopped within 5 s");
		goto out_free;
	}
	paused = true;
	pthread_mutex_lock(&vm->snapshot_lock);
	if (!vm_running_boot(vm)) {
		pr_err("migrate: the VM is between two boots; try again");
		goto fail;
	}
	ioevents_quiesce(vm->ioevents, true);
	platform_quiesce(&vm->platform, true);
	r = log_writes(vm, true);
	platform_quiesce(&vm->platform, false);
	ioevents_quiesce(vm->ioevents, false);
	if (r < 0)
		goto fail;
	r = -1;
	logging = true;
	/* From here every write is the first pass's or in the next's. */
	if (collect(vm, &d) < 0)
		goto fail;
	memset(d.found, 0, d.words * sizeof(uint64_t));
	if (!was_paused) {
		vm_resume(vm);
		paused = false;
	}

	migrate_out_init(&out, fd, 1u << vm->dirty.page_shift, vm->ram_size);
	if (migrate_send_header(&out) < 0 || pre_copy(vm, p, &out, &d, st) < 0)
		goto fail;

	t_pause = now_ms();
	if (!paused) {
		/* Set first: a pause that times out has still asked every
		 * vCPU to park, and the failure path lets them go. */
		paused = true;
		if (vm_pause(vm) < 0) {
			pr_err("migrate: not every vCPU stopped within 5 s");
			goto fail;
		}
	}
	if (!vm_running_boot(vm)) {
		pr_err("migrate: the guest stopped or rebooted; migration "
		       "given up");
		goto fail;
	}
	ioevents_quiesce(vm->ioevents, true);
	platform_quiesce(&vm->platform, true);
	quiesced = true;
	if (last_pass(vm, &out, &d, st, &released) < 0)
		goto fail;
	t_sent = now_ms();
	if (migrate_expect_byte(fd, MIGRATE_READY, "the destination's ready") <
		0 ||
	    migrate_send_byte(fd, MIGRATE_GO) < 0)
		goto fail;
	/*
	 * The destination has the VM: this one stays paused, and ends. Its
	 * devices stay quiesced (a request given back in the state must not
	 * be done here too); the doorbell table's lock goes, or the doorbell
	 * thread could not stop.
	 */
	atomic_store(&vm->migrated, true);
	ioevents_quiesce(vm->ioevents, false);
	st->dest_ms = now_ms() - t_sent;
	st->downtime_ms = now_ms() - t_pause;
	st->total_ms = now_ms() - t0;
	st->bytes = out.bytes;
	st->pages = out.pages;
	st->zero_pages = out.zero_pages;
	pthread_mutex_unlock(&vm->snapshot_lock);
	r = 0;
	goto out_free;

fail:
	/* The destination may not open the files now: they are ours again,
	 * or, if someone else took them meanwhile, the VM must not run. */
	if (released && take_files_back(vm) < 0) {
		/* A warning: the error the request returns is which file. */
		pr_warn("migrate: a disk or the variable store could not be "
			"locked again: the VM stays paused");
		stay_paused = true;
	}
	if (quiesced) {
		platform_quiesce(&vm->platform, false);
		ioevents_quiesce(vm->ioevents, false);
	}
	if (logging)
		log_writes(vm, false);
	pthread_mutex_unlock(&vm->snapshot_lock);
	if (paused && !was_paused && !stay_paused)
		vm_resume(vm);
out_free:
	if (fd >= 0)
		close(fd);
	free(d.kvm);
	free(d.found);
	return r;
}

int vm_migrate_hand_over(struct snapshot *s)
{
	if (migrate_send_byte(s->handover_fd, MIGRATE_READY) < 0 ||
	    migrate_expect_byte(s->handover_fd, MIGRATE_GO, "the source's go") <
		0)
		return -1;
	return 0;
}
