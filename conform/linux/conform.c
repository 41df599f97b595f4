// SPDX-License-Identifier: GPL-2.0
/*
 * armvm-conform: the Linux conformance program (issue 14). The conformance
 * image runs it inside the booted guest; it checks what the OS sees of the
 * VM, rule by rule, and prints one line per check on stdout for the host
 * (`armvm conform`) to collect from the console. docs/conformance.md has
 * the checks and the output contract. A static program: libc only.
 *
 *   armvm-conform [--root DIR] [--no-write] [--dump-fdt FILE] [--list]
 *
 * Started as PID 1 (the conformance image's /init) it takes no options:
 * its arguments are the kernel's. It mounts what it reads, runs every
 * check and powers the VM off (conform/linux/init.c).
 */
#include <getopt.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "conform/linux/checks.h"
#include "conform/linux/init.h"

#if defined(__aarch64__) || defined(__arm__)
static sigjmp_buf cntfrq_jmp;

static void cntfrq_sigill(int sig)
{
	siglongjmp(cntfrq_jmp, 1);
}
#endif

/*
 * The counter frequency as this CPU's CNTFRQ says (Linux lets EL0 read it).
 * A kernel that traps it would send SIGILL: that is reported, not a crash.
 */
static void read_cntfrq(struct conform_ctx *ctx)
{
#if defined(__aarch64__) || defined(__arm__)
	struct sigaction sa = {.sa_handler = cntfrq_sigill}, old;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGILL, &sa, &old);
	if (sigsetjmp(cntfrq_jmp, 1) == 0) {
#if defined(__aarch64__)
		uint64_t v;

		asm volatile("mrs %0, cntfrq_el0" : "=r"(v));
#else
		uint32_t v;

		asm volatile("mrc p15, 0, %0, c14, c0, 0" : "=r"(v));
#endif
		ctx->cntfrq = v;
		ctx->cntfrq_known = true;
	} else {
		ctx->cntfrq_why = "reading CNTFRQ raised SIGILL";
	}
	sigaction(SIGILL, &old, NULL);
#else
	ctx->cntfrq_why = "not an Arm CPU";
#endif
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: armvm-conform [--root DIR] [--no-write] [--dump-fdt FILE] [--list]\n"
	    "  Checks what this Linux guest sees of its VM against the ARM VM\n"
	    "  System Specification; one line per check:\n"
	    "    CONFORM <check-id> <RULE-ID[,RULE-ID]|-> <PASS|FAIL|SKIP> <evidence>\n"
	    "  (- : no rule of the specification covers the check).\n"
	    "  then CONFORM-END <passed> <failed> <skipped>. Exit 0 if none failed.\n"
	    "  --root DIR       read /proc and /sys under DIR (a fake tree); change nothing\n"
	    "  --no-write       skip the checks that change the system (efivars, CPU offline)\n"
	    "  --dump-fdt FILE  also copy /sys/firmware/fdt to FILE (check linux.fdt-dump)\n"
	    "  --list           print each check's id and rules, run nothing\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"no-write", no_argument, NULL, 'n'},
	    {"dump-fdt", required_argument, NULL, 'd'},
	    {"list", no_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	struct conform_ctx ctx = {.root = "", .timer_wait_ms = 200};
	unsigned int counts[3] = {0, 0, 0}, i;
	const char *dump = NULL;
	char *root = NULL;
	struct utsname u;
	bool as_init = getpid() == 1;
	int c;

	/* Each line goes out whole and at once (a later check may hang);
	 * set before anything is printed, as C requires. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!as_init &&
	       (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			free(root);
			root = strdup(optarg);
			if (!root)
				return 2;
			/* "/tmp/x/" and "/" read as "/tmp/x" and "" */
			while (*root && root[strlen(root) - 1] == '/')
				root[strlen(root) - 1] = '\0';
			ctx.root = root;
			ctx.root_given = true;
			break;
		case 'n':
			ctx.no_write = true;
			break;
		case 'd':
			dump = optarg;
			break;
		case 'l':
			for (i = 0; i < conform_nr_checks; i++)
				printf("%s %s\n", conform_checks[i].id,
				       conform_checks[i].rules);
			printf("linux.fdt-dump HW-1 (with --dump-fdt)\n");
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (as_init)
		conform_init_start();
	else if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (ctx.root_given)
		ctx.cntfrq_why = "--root given: the counter is this CPU's";
	else
		read_cntfrq(&ctx);

	printf("CONFORM-BEGIN %d %s\n", CONFORM_FORMAT_VERSION,
	       uname(&u) == 0 ? u.machine : "unknown");
	for (i = 0; i < conform_nr_checks; i++) {
		struct conform_result r = {CONFORM_SKIP, ""};

		conform_checks[i].run(&ctx, &r);
		conform_print(stdout, conform_checks[i].id,
			      conform_checks[i].rules, &r);
		counts[r.status]++;
	}
	if (dump) {
		struct conform_result r = {CONFORM_SKIP, ""};

		conform_dump_fdt(&ctx, dump, &r);
		conform_print(stdout, "linux.fdt-dump", "HW-1", &r);
		counts[r.status]++;
	}
	printf("CONFORM-END %u %u %u\n", counts[CONFORM_PASS],
	       counts[CONFORM_FAIL], counts[CONFORM_SKIP]);
	free(root);
	if (as_init)
		conform_init_finish();
	return counts[CONFORM_FAIL] ? 1 : 0;
}
