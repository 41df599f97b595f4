/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Live migration (issue 13 part 3, docs/migration.md): the source's
 * pre-copy loop over KVM's dirty log, and the destination's hand-over.
 * The stream itself is vmm/migrate.c's.
 */
#ifndef ARMVM_VMM_KVM_MIGRATE_H
#define ARMVM_VMM_KVM_MIGRATE_H

#include <stdint.h>

struct snapshot;
struct vm;

#define MIGRATE_DEFAULT_DOWNTIME_MS 300
#define MIGRATE_DEFAULT_PASSES	    30

struct migrate_params {
	const char *addr;	  /* unix:PATH or tcp:HOST:PORT */
	unsigned int downtime_ms; /* the pause the last pass may cost */
	unsigned int max_passes;  /* then the last pass, however long */
};

struct migrate_stats {
	uint64_t total_ms;    /* from the command to the hand-over */
	uint64_t downtime_ms; /* from the pause to the destination's go */
	uint64_t dest_ms;     /* of which the destination's set-up */
	unsigned int passes;  /* of the pre-copy, the last one included */
	uint64_t bytes;	      /* sent */
	uint64_t pages;	      /* page copies sent (a page may go often) */
	uint64_t zero_pages;  /* pages sent as "all zero" */
	uint64_t last_pages;  /* sent while paused */
};

/*
 * Send the running VM to the armvm listening at p->addr (`armvm run
 * --incoming`). From the control thread. 0: the destination runs the VM,
 * this one stays paused and the caller ends it. -1 after a one-line
 * message: the VM runs on here as before (or stays paused if it was),
 * except in the one case the message says (the destination may have the
 * VM: it stays paused here).
 */
int vm_migrate(struct vm *vm, const struct migrate_params *p,
	       struct migrate_stats *st);

/* The destination, once the VM is restored and before it runs: ready,
 * then wait for the source's go. 0, or -1 after a message. */
int vm_migrate_hand_over(struct snapshot *s);

#endif
