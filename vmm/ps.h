/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `armvm ps`: the VMs running with a control socket in the runtime folder
 * (vmm/instance.h), each asked for its status, and a bounded one-request
 * client of the control socket it and `armvm instance stop` use.
 */
#ifndef ARMVM_VMM_PS_H
#define ARMVM_VMM_PS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/instance.h"

/*
 * Send one request line (with its newline) to the control socket at path
 * and read the reply line, all within timeout_ms: a socket nobody serves,
 * or an armvm that does not answer, never holds the caller longer. 0 with
 * *reply (malloc'd, no newline), or -1 with a reason in err.
 */
int ctl_query(const char *path, const char *request, int timeout_ms,
	      char **reply, char *err, size_t errlen);

/* One line of `armvm ps`. */
struct ps_entry {
	char name[INSTANCE_NAME_MAX + 1];
	bool stale; /* its socket did not answer: nothing below is known */
	long pid;
	unsigned int cpus;
	uint64_t memory; /* bytes */
	uint64_t uptime; /* seconds */
	char state[16];	 /* "running", "paused" */
};

/* Fill e (all but name) from a status reply line: 0, or -1 when it is not
 * a successful status reply. */
int ps_parse_status(const char *reply, struct ps_entry *e);

/* The table: a header, then one line per entry. */
void ps_print(FILE *f, const struct ps_entry *e, size_t n);

/* `armvm ps` (argv[0] is "ps"): the exit status. */
int cmd_ps(int argc, char **argv);

void ps_usage(FILE *f);

#endif
