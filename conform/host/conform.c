// SPDX-License-Identifier: GPL-2.0
/*
 * `armvm conform` (issue 14 part 3, docs/conformance.md "The host
 * command"): build a conformance image, run it on a VMM given as a command
 * template, collect what the UEFI application and the Linux program
 * report, and print one table, rule by rule.
 *
 * The image (armvm image build): \EFI\BOOT\BOOTAA64.EFI (BOOTARM.EFI) is
 * the UEFI conformance application (conform/uefi/); with --kernel, also
 * \conform\linux, \conform\initrd (armvm-conform as /init, conform/linux/)
 * and \conform\cmdline. Two runs of the VMM on the same disk and variable
 * store: the first covers the app's first boot, its reset and its
 * power-off; the second the restart (FW-3's uefi.nv-persists-restart),
 * after which the app starts Linux, whose program checks and powers off.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libfdt.h>

#include "conform/host/conform.h"
#include "conform/host/report.h"
#include "image/build.h"
#include "image/cpio.h"
#include "image/fat.h"
#include "image/gpt.h"
#include "image/guid.h"
#include "image/io.h"
#include "lib/util.h"

#define CONFORM_MAX_MODULES 32
#define CONFORM_MAX_INPUT   (256u << 20) /* a kernel, a module, a program */
#define CONFORM_MAX_LOG	    (16u << 20)	 /* a longer console is not read */
#define CONFORM_MAX_DTB	    (2u << 20)	 /* as the app's CF_FDT_SAVE_MAX */
#define CONFORM_MAX_RESULTS (1u << 20)
#define DEFAULT_TIMEOUT_S   600
#define DEFAULT_VMM	    "{armvm} run --disk {disk} --vars {vars} --memory 512M"
#define DEFAULT_CMDLINE	    "quiet"

struct conform_opts {
	const char *arch; /* "aarch64" or "arm" */
	const char *efi, *program, *kernel, *cmdline;
	const char *modules[CONFORM_MAX_MODULES];
	unsigned int nr_modules;
	const char *vmm, *vars_from, *dir, *dt_schema;
	unsigned long timeout_s;
	bool json, keep;
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: armvm conform [OPTIONS]\n"
	    "\n"
	    "Check, rule by rule, that a VM conforms to the ARM VM System\n"
	    "Specification: build a conformance image, boot it twice on a VMM\n"
	    "(armvm by default) and print what its UEFI application and Linux\n"
	    "program found: rule, level, check, result, evidence (see\n"
	    "docs/conformance.md). Exit status 0 only when every check of a\n"
	    "\"must\" rule passes; 1 when one fails; 2 on bad options or\n"
	    "inputs (a file that cannot be read, an image that cannot be built).\n"
	    "\n"
	    "  --arch aarch64|arm      the guest's (default aarch64)\n"
	    "  --kernel FILE           a Linux kernel with an EFI stub: also run\n"
	    "                          the Linux checks (without it, UEFI only)\n"
	    "  --module FILE           a kernel module armvm-conform loads before\n"
	    "                          its checks; repeatable, loaded in order\n"
	    "  --cmdline TEXT          the kernel's command line (default \"" DEFAULT_CMDLINE
	    "\")\n"
	    "  --vmm TEMPLATE          the VMM's command, run by /bin/sh; {disk},\n"
	    "                          {vars}, {dir} and {armvm} are replaced by\n"
	    "                          the image, the variable store, the work\n"
	    "                          directory and this armvm, quoted (default\n"
	    "                          \"" DEFAULT_VMM "\")\n"
	    "  --vars-from FILE        copy FILE to {vars} first (QEMU needs\n"
	    "                          AAVMF_VARS.fd; armvm makes its own store)\n"
	    "  --efi FILE              the UEFI application (default: the one\n"
	    "                          built or installed beside armvm)\n"
	    "  --program FILE          the static armvm-conform for the guest\n"
	    "                          (default: likewise)\n"
	    "  --dir DIR               work directory, kept (default: a temporary\n"
	    "                          one, removed unless --keep)\n"
	    "  --keep                  keep the temporary work directory\n"
	    "  --dt-schema FILE        validate the firmware's device tree with\n"
	    "                          dt-validate (Debian's dt-schema) against\n"
	    "                          FILE, bindings processed by dt-mk-schema\n"
	    "                          (check conform.dt-schema; without it, SKIP)\n"
	    "  --timeout SECONDS       for each run of the VMM (default %d)\n"
	    "  --json                  one JSON object instead of the table\n"
	    "  -h, --help              show this help\n",
	    DEFAULT_TIMEOUT_S);
}

/* DIR/NAME into out; false when it does not fit. */
static bool path_join(char *out, size_t size, const char *dir, const char *name)
{
	size_t d = strlen(dir), n = strlen(name);

	if (d + 1 + n >= size) {
		out[0] = '\0';
		return false;
	}
	memcpy(out, dir, d);
	out[d] = '/';
	memcpy(out + d + 1, name, n + 1);
	return true;
}

/* The directory armvm's own executable is in (for the default inputs). */
static void exe_dir(char *out, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", out, size - 1);
	char *slash;

	if (n <= 0) {
		snprintf(out, size, ".");
		return;
	}
	out[n] = '\0';
	slash = strrchr(out, '/');
	if (slash)
		*slash = '\0';
}

/* The first of the candidates that exists, into out; false if none. */
static bool find_default(char *out, size_t size, const char *const *cands,
			 int n)
{
	char dir[PATH_MAX];
	int i;

	exe_dir(dir, sizeof(dir));
	for (i = 0; i < n; i++) {
		if (cands[i][0] == '/')
			snprintf(out, size, "%s", cands[i]);
		else
			path_join(out, size, dir, cands[i]);
		if (access(out, R_OK) == 0)
			return true;
	}
	return false;
}

/* The initramfs: /dev/console for the kernel to give /init, the program
 * as /init, the modules numbered in their order (conform/linux/init.c). */
static int write_initrd(const struct conform_opts *o, const char *path)
{
	struct cpio_out c;
	FILE *f = fopen(path, "we");
	uint8_t *data;
	size_t len;
	unsigned int i;
	int rc;

	if (!f) {
		pr_err("conform: '%s': %s", path, strerror(errno));
		return -1;
	}
	cpio_begin(&c, f);
	cpio_dir(&c, "dev");
	cpio_chardev(&c, "dev/console", 5, 1);
	cpio_dir(&c, "proc");
	cpio_dir(&c, "sys");
	cpio_dir(&c, "conform");
	cpio_dir(&c, "conform/modules");
	if (read_file(o->program, &data, &len, CONFORM_MAX_INPUT) < 0) {
		fclose(f);
		return -1;
	}
	cpio_file(&c, "init", 0755, data, len);
	free(data);
	for (i = 0; i < o->nr_modules; i++) {
		const char *base = strrchr(o->modules[i], '/');
		char name[300];

		if (read_file(o->modules[i], &data, &len, CONFORM_MAX_INPUT) <
		    0) {
			fclose(f);
			return -1;
		}
		snprintf(name, sizeof(name), "conform/modules/%02u-%.200s", i,
			 base ? base + 1 : o->modules[i]);
		cpio_file(&c, name, 0644, data, len);
		free(data);
	}
	rc = cpio_end(&c);
	if (fclose(f) != 0)
		rc = -1;
	if (rc < 0)
		pr_err("conform: '%s': could not write the initramfs", path);
	return rc;
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	int rc = 0;

	if (!f || fputs(text, f) < 0)
		rc = -1;
	if (f && fclose(f) != 0)
		rc = -1;
	if (rc < 0)
		pr_err("conform: '%s': %s", path, strerror(errno));
	return rc;
}

/* armvm image build, in this process, its report into build.log. */
static int build_image(const struct conform_opts *o, const char *dir,
		       const char *disk)
{
	char initrd[PATH_MAX], cmdline[PATH_MAX], log[PATH_MAX];
	char add_k[PATH_MAX + 32], add_i[PATH_MAX + 32], add_c[PATH_MAX + 32];
	char size[32];
	const char *argv[16];
	uint64_t bytes = 64u << 20;
	struct stat st;
	int argc = 0, saved, fd, rc;

	argv[argc++] = "build";
	argv[argc++] = disk;
	argv[argc++] = "--boot-efi";
	argv[argc++] = o->efi;
	argv[argc++] = "--force";
	if (o->kernel) {
		path_join(initrd, sizeof(initrd), dir, "initrd");
		path_join(cmdline, sizeof(cmdline), dir, "cmdline");
		if (write_initrd(o, initrd) < 0 ||
		    write_text(cmdline, o->cmdline) < 0)
			return -1;
		/* Room for the kernel and the initramfs, and as much again. */
		if (stat(o->kernel, &st) == 0)
			bytes += 2 * (uint64_t)st.st_size;
		if (stat(initrd, &st) == 0)
			bytes += 2 * (uint64_t)st.st_size;
		snprintf(add_k, sizeof(add_k), "%s:conform/linux", o->kernel);
		snprintf(add_i, sizeof(add_i), "%s:conform/initrd", initrd);
		snprintf(add_c, sizeof(add_c), "%s:conform/cmdline", cmdline);
		argv[argc++] = "--add";
		argv[argc++] = add_k;
		argv[argc++] = "--add";
		argv[argc++] = add_i;
		argv[argc++] = "--add";
		argv[argc++] = add_c;
	}
	/* FAT32 needs 65525 clusters: image build picks its cluster size. */
	snprintf(size, sizeof(size), "%lluM",
		 (unsigned long long)((bytes >> 20) + 1));
	argv[argc++] = "--size";
	argv[argc++] = size;
	argv[argc] = NULL;

	path_join(log, sizeof(log), dir, "build.log");
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (saved < 0 || fd < 0) {
		pr_err("conform: '%s': %s", log, strerror(errno));
		if (saved >= 0)
			close(saved);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	dup2(fd, STDOUT_FILENO);
	close(fd);
	rc = cmd_build(argc, (char **)argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	if (rc != 0)
		pr_err("conform: armvm image build failed (%s)", log);
	return rc == 0 ? 0 : -1;
}

/* VALUE in single quotes for /bin/sh, appended to out. */
static bool shell_quote(char *out, size_t size, size_t *at, const char *value)
{
	const char *p;

	for (p = "'"; *p; p++)
		if (*at + 1 < size)
			out[(*at)++] = *p;
	for (p = value; *p; p++) {
		const char *piece = *p == '\'' ? "'\\''" : NULL;
		char one[2] = {*p, '\0'};

		if (!piece)
			piece = one;
		for (; *piece; piece++) {
			if (*at + 1 >= size)
				return false;
			out[(*at)++] = *piece;
		}
	}
	if (*at + 1 >= size)
		return false;
	out[(*at)++] = '\'';
	out[*at] = '\0';
	return true;
}

/*
 * The template with its {names} replaced; false if too long or a {name}
 * is unknown (named in bad). Only braces around lower-case letters are
 * names: anything else ("${HOME}", QEMU's JSON '{"driver": ...}') is the
 * template's own text.
 */
static bool expand_template(const char *tmpl, const char *const vals[][2],
			    char *out, size_t size, char *bad, size_t badlen)
{
	size_t at = 0;
	const char *p = tmpl;

	out[0] = '\0';
	while (*p) {
		if (*p == '{' && p[1] >= 'a' && p[1] <= 'z' &&
		    p[1 + strspn(p + 1, "abcdefghijklmnopqrstuvwxyz")] == '}') {
			size_t n = strcspn(p + 1, "}");
			int i;

			for (i = 0; vals[i][0]; i++)
				if (strlen(vals[i][0]) == n &&
				    !strncmp(p + 1, vals[i][0], n) &&
				    p[1 + n] == '}')
					break;
			if (!vals[i][0]) {
				snprintf(bad, badlen, "%.*s", (int)(n + 2), p);
				return false;
			}
			if (!shell_quote(out, size, &at, vals[i][1]))
				return false;
			p += n + 2;
			continue;
		}
		if (at + 1 >= size)
			return false;
		out[at++] = *p++;
		out[at] = '\0';
	}
	return true;
}

/*
 * The running VMM's process group, for the signal handler alone: the VMM
 * is in a group of its own (so that a timeout stops all of it), so a
 * Ctrl-C at the terminal does not reach it, and armvm conform must pass
 * it on. 0 when no VMM runs.
 */
static volatile sig_atomic_t vmm_pgid;

static void stop_vmm_and_die(int sig)
{
	if (vmm_pgid > 0)
		kill(-(pid_t)vmm_pgid, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * One run of the VMM: /bin/sh -c COMMAND in its own process group, its
 * stdout and stderr into LOG, stopped (the whole group) after the
 * timeout. Returns the exit status, or -1 when it had to be stopped.
 */
static int run_vmm(const char *command, const char *log, unsigned long timeout,
		   double *seconds)
{
	struct timespec t0, now;
	pid_t pid;
	int status = 0, fd;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			_exit(127);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, STDIN_FILENO);
			close(fd);
		}
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	vmm_pgid = pid;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		struct timespec tick = {0, 50 * 1000 * 1000};

		clock_gettime(CLOCK_MONOTONIC, &now);
		*seconds = (double)(now.tv_sec - t0.tv_sec) +
			   (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
		if (w == pid)
			break;
		if ((w < 0 && errno != EINTR) || *seconds > (double)timeout) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			vmm_pgid = 0;
			return -1;
		}
		nanosleep(&tick, NULL);
	}
	/* Whatever the VMM left behind in its group goes with it. */
	kill(-pid, SIGKILL);
	vmm_pgid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* \NAME from the image's ESP (found through the GPT, as the image may have
 * been changed by the guest), at most MAX bytes, into a malloc'ed buffer. */
static int read_esp_file(const char *disk, const char *name, size_t max,
			 uint8_t **buf, size_t *len, char *why, size_t whylen)
{
	struct gpt_part parts[GPT_MAX_PARTS];
	struct img_src s;
	struct gpt_copy c;
	struct fat_vol v;
	struct fat_dirent e;
	uint8_t esp[16];
	uint64_t off, plen;
	int fd = open(disk, O_RDONLY | O_CLOEXEC), n, i, rc = -1;

	*buf = NULL;
	*len = 0;
	if (fd < 0 || img_src_fd(&s, fd)) {
		set_err(why, whylen, "%s: %s", disk, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	guid_parse(GPT_TYPE_ESP, esp);
	/* As firmware does (UEFI 2.4A 5.3.2): the backup at the last LBA
	 * when the primary is not valid (the guest may have broken it). */
	gpt_read_copy(&s, 1, &c);
	if (c.status != GPT_OK && s.size >= 3 * GPT_LBA_SIZE) {
		struct gpt_copy b;

		gpt_read_copy(&s, s.size / GPT_LBA_SIZE - 1, &b);
		if (b.status == GPT_OK) {
			gpt_copy_free(&c);
			c = b;
		} else {
			gpt_copy_free(&b);
		}
	}
	if (c.status != GPT_OK) {
		set_err(why, whylen, "no valid GPT (the primary: %s)", c.why);
		gpt_copy_free(&c);
		close(fd);
		return -1;
	}
	n = gpt_entries(&c, parts, GPT_MAX_PARTS);
	gpt_copy_free(&c);
	set_err(why, whylen, "no ESP in the GPT");
	for (i = 0; i < n; i++) {
		if (memcmp(parts[i].type, esp, 16) ||
		    !gpt_part_extent(&parts[i], s.size, &off, &plen))
			continue;
		if (fat_open(&v, &s, off, plen, why, whylen) < 0)
			break;
		rc = fat_lookup(&v, name, &e, why, whylen);
		if (rc == 1)
			set_err(why, whylen, "no \\%s on the ESP", name);
		else if (rc == 0)
			rc = fat_read_file(&v, &e, buf, max, why, whylen);
		if (rc == 0)
			*len = e.size;
		fat_close(&v);
		rc = rc == 0 ? 0 : -1;
		break;
	}
	close(fd);
	return rc;
}

/* The whole blocks of PART that came from SOURCE's lines. */
static unsigned int whole_blocks(const struct cfr_report *r, const char *part,
				 const char *source)
{
	unsigned int i, n = 0;

	for (i = 0; i < r->nr_blocks; i++)
		n += r->blocks[i].ended && !strcmp(r->blocks[i].part, part) &&
		     !strcmp(r->blocks[i].source, source);
	return n;
}

/*
 * The host's own checks: did each part run to its end. Each run's console
 * must hold its own whole UEFI block (run 1: the checks and the reset;
 * run 2: the restart), and run 2's the Linux block: the results file
 * repeats run 1's block, so it cannot stand in for run 2.
 */
static void judge_runs(struct cfr_report *r, const struct conform_opts *o,
		       const int status[2], const double secs[2],
		       const char *file_why)
{
	unsigned int u1 = whole_blocks(r, "uefi", "run1.log"),
		     u2 = whole_blocks(r, "uefi", "run2.log"),
		     l2 = whole_blocks(r, "linux", "run2.log");
	char ev[200];

	if (status[0] < 0)
		snprintf(ev, sizeof(ev),
			 "run 1 stopped after %.0f s (--timeout), run 2 not "
			 "started; whole UEFI blocks: run 1 %u%s%s",
			 secs[0], u1, file_why[0] ? "; " : "", file_why);
	else
		snprintf(ev, sizeof(ev),
			 "run 1: exit %d after %.0f s, run 2: %s %d after %.0f "
			 "s; whole UEFI blocks: run 1 %u, run 2 %u%s%s",
			 status[0], secs[0],
			 status[1] < 0 ? "stopped, status" : "exit", status[1],
			 secs[1], u1, u2, file_why[0] ? "; " : "", file_why);
	cfr_add(r, "conform.uefi-run", "FW-1",
		u1 >= 1 && u2 >= 1 && status[0] >= 0 && status[1] >= 0
		    ? CFR_PASS
		    : CFR_FAIL,
		ev);
	if (!o->kernel) {
		cfr_add(r, "conform.linux-run", "HW-1", CFR_SKIP,
			"no --kernel given");
		return;
	}
	snprintf(ev, sizeof(ev), "%u whole Linux block(s) on run 2's console",
		 l2);
	cfr_add(r, "conform.linux-run", "HW-1",
		l2 == 1 && status[1] >= 0 ? CFR_PASS : CFR_FAIL, ev);
}

static int parse_opts(int argc, char **argv, struct conform_opts *o)
{
	static const struct option opts[] = {
	    {"arch", required_argument, NULL, 'a'},
	    {"kernel", required_argument, NULL, 'k'},
	    {"module", required_argument, NULL, 'M'},
	    {"cmdline", required_argument, NULL, 'c'},
	    {"vmm", required_argument, NULL, 'v'},
	    {"vars-from", required_argument, NULL, 'V'},
	    {"efi", required_argument, NULL, 'e'},
	    {"program", required_argument, NULL, 'p'},
	    {"dir", required_argument, NULL, 'd'},
	    {"keep", no_argument, NULL, 'K'},
	    {"timeout", required_argument, NULL, 't'},
	    {"dt-schema", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (strcmp(optarg, "aarch64") &&
			    strcmp(optarg, "arm")) {
				pr_err(
				    "conform: --arch '%s': expected aarch64 or arm",
				    optarg);
				return 2;
			}
			o->arch = optarg;
			break;
		case 'k':
			o->kernel = optarg;
			break;
		case 'M':
			if (o->nr_modules == CONFORM_MAX_MODULES) {
				pr_err(
				    "conform: --module '%s': at most %d modules",
				    optarg, CONFORM_MAX_MODULES);
				return 2;
			}
			o->modules[o->nr_modules++] = optarg;
			break;
		case 'c':
			if (strlen(optarg) > 400 || strchr(optarg, '\n')) {
				pr_err(
				    "conform: --cmdline: expected one line of at most 400 characters");
				return 2;
			}
			o->cmdline = optarg;
			break;
		case 'v':
			o->vmm = optarg;
			break;
		case 'V':
			o->vars_from = optarg;
			break;
		case 'e':
			o->efi = optarg;
			break;
		case 'p':
			o->program = optarg;
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'K':
			o->keep = true;
			break;
		case 't':
			if (!parse_uint(optarg, 1, 86400, &o->timeout_s)) {
				pr_err(
				    "conform: --timeout '%s': expected seconds, 1 to 86400",
				    optarg);
				return 2;
			}
			break;
		case 's':
			o->dt_schema = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc) {
		pr_err(
		    "conform: unexpected argument '%s' (see armvm conform --help)",
		    argv[optind]);
		return 2;
	}
	return -1;
}

/* Each input named by an option must be a readable file. */
static bool inputs_ok(const struct conform_opts *o)
{
	const char *const named[][2] = {{"--efi", o->efi},
					{"--program", o->program},
					{"--kernel", o->kernel},
					{"--vars-from", o->vars_from},
					{"--dt-schema", o->dt_schema}};
	unsigned int i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (named[i][1] && access(named[i][1], R_OK) < 0) {
			pr_err("conform: %s '%s': %s", named[i][0], named[i][1],
			       strerror(errno));
			return false;
		}
	for (i = 0; i < o->nr_modules; i++)
		if (access(o->modules[i], R_OK) < 0) {
			pr_err("conform: --module '%s': %s", o->modules[i],
			       strerror(errno));
			return false;
		}
	return true;
}

static int copy_file(const char *from, const char *to)
{
	uint8_t *data;
	size_t len;
	FILE *f;
	int rc = 0;

	if (read_file(from, &data, &len, 1u << 30) < 0)
		return -1;
	f = fopen(to, "we");
	if (!f || fwrite(data, 1, len, f) != len)
		rc = -1;
	if (f && fclose(f) != 0)
		rc = -1;
	if (rc < 0)
		pr_err("conform: '%s': %s", to, strerror(errno));
	free(data);
	return rc;
}

/*
 * conform.dt-schema: the device tree the firmware hands the OS (the app's
 * \conform.dtb), validated by Debian's dt-validate against the kernel's
 * binding schemas (--dt-schema, processed by dt-mk-schema). Informative
 * (no rule: the spec names no schema, and node names do not stop a
 * kernel), but every message is a finding. The blob is the guest's: it
 * must pass libfdt's full check before it is packed into DIR/fdt.dtb,
 * and dt-validate runs like a VMM, in its own group under the timeout.
 */
#define DT_SCHEMA_ID "conform.dt-schema"

static void check_dt_schema(struct cfr_report *r, const struct conform_opts *o,
			    const char *dir, const char *disk)
{
	char why[160], ev[240], dtb[PATH_MAX], log[PATH_MAX], schema[PATH_MAX];
	char qdir[2 * PATH_MAX], qschema[2 * PATH_MAX], line[512];
	char command[4 * PATH_MAX + 64];
	size_t len, at = 0, qat = 0;
	unsigned int messages = 0;
	uint8_t *blob, *packed;
	double secs;
	int status, err;
	bool written;
	FILE *f;

	if (read_esp_file(disk, "conform.dtb", CONFORM_MAX_DTB, &blob, &len,
			  why, sizeof(why)) < 0) {
		snprintf(ev, sizeof(ev), "no device tree from the firmware: %s",
			 why);
		cfr_add(r, DT_SCHEMA_ID, "-", CFR_SKIP, ev);
		return;
	}
	err = fdt_check_full(blob, len);
	packed = err ? NULL : malloc(len);
	if (packed &&
	    (fdt_open_into(blob, packed, (int)len) || fdt_pack(packed)))
		err = -FDT_ERR_BADSTRUCTURE;
	free(blob);
	if (err || !packed) {
		snprintf(ev, sizeof(ev), "\\conform.dtb (%zu bytes): %s", len,
			 err ? fdt_strerror(err) : "out of memory");
		cfr_add(r, DT_SCHEMA_ID, "-", CFR_FAIL, ev);
		free(packed);
		return;
	}
	path_join(dtb, sizeof(dtb), dir, "fdt.dtb");
	f = fopen(dtb, "we");
	written = f && fwrite(packed, 1, fdt_totalsize(packed), f) ==
			   fdt_totalsize(packed);
	if (f && fclose(f) != 0)
		written = false;
	free(packed);
	if (!written) {
		snprintf(ev, sizeof(ev), "cannot write %.120s: %s", dtb,
			 strerror(errno));
		cfr_add(r, DT_SCHEMA_ID, "-", CFR_SKIP, ev);
		return;
	}
	if (!o->dt_schema) {
		cfr_add(r, DT_SCHEMA_ID, "-", CFR_SKIP,
			"no --dt-schema given (docs/conformance.md)");
		return;
	}
	path_join(log, sizeof(log), dir, "dt-schema.log");
	errno = 0;
	if (!realpath(o->dt_schema, schema) ||
	    !shell_quote(qdir, sizeof(qdir), &at, dir) ||
	    !shell_quote(qschema, sizeof(qschema), &qat, schema) ||
	    snprintf(command, sizeof(command),
		     "cd %s && exec dt-validate -s %s fdt.dtb", qdir,
		     qschema) >= (int)sizeof(command)) {
		snprintf(ev, sizeof(ev), "--dt-schema '%.150s': %s",
			 o->dt_schema,
			 errno ? strerror(errno) : "path too long");
		cfr_add(r, DT_SCHEMA_ID, "-", CFR_SKIP, ev);
		return;
	}
	status = run_vmm(command, log, o->timeout_s, &secs);
	f = fopen(log, "re");
	while (f && fgets(line, sizeof(line), f)) {
		/* "/DIR/fdt.dtb: NODE: MESSAGE" (the path made absolute),
		 * then "\tFrom schema: FILE". */
		char *m = strstr(line, "fdt.dtb: ");

		if (line[0] == '\t' || !m)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (!messages++)
			snprintf(ev, sizeof(ev), "%.200s", m + 9);
	}
	if (f)
		fclose(f);
	if (status == 127 && !messages)
		cfr_add(r, DT_SCHEMA_ID, "-", CFR_SKIP,
			"dt-validate not found (Debian package dt-schema)");
	else if (status != 0 && !messages) {
		snprintf(ev, sizeof(ev), "dt-validate %s %d (%.150s)",
			 status < 0 ? "stopped after --timeout, status"
				    : "exit status",
			 status, log);
		cfr_add(r, DT_SCHEMA_ID, "-", CFR_FAIL, ev);
	} else if (messages) {
		char first[sizeof(ev)];

		snprintf(first, sizeof(first), "%s", ev);
		snprintf(ev, sizeof(ev),
			 "%u dt-validate message(s), first: %.190s", messages,
			 first);
		cfr_add(r, DT_SCHEMA_ID, "-", CFR_FAIL, ev);
	} else {
		cfr_add(r, DT_SCHEMA_ID, "-", CFR_PASS,
			"dt-validate: no messages for the firmware's device "
			"tree");
	}
}

int cmd_conform(int argc, char **argv)
{
	struct conform_opts o = {.arch = "aarch64",
				 .cmdline = DEFAULT_CMDLINE,
				 .vmm = DEFAULT_VMM,
				 .timeout_s = DEFAULT_TIMEOUT_S};
	char efi[PATH_MAX], program[PATH_MAX], self[PATH_MAX], dir[PATH_MAX];
	char disk[PATH_MAX], vars[PATH_MAX], log[PATH_MAX], bad[64] = "";
	char command[8192], file_why[160] = "";
	struct cfr_report *r;
	int status[2] = {-1, -1}, rc, i;
	double secs[2] = {0, 0};
	bool made_dir = false;
	uint8_t *text;
	size_t len;

	rc = parse_opts(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (!o.efi) {
		const char *const aa64[] = {
		    "../conform/BOOTAA64.EFI",
		    "/usr/lib/armvm/conform/BOOTAA64.EFI"};
		const char *const arm[] = {
		    "../conform/BOOTARM.EFI",
		    "/usr/lib/armvm/conform/BOOTARM.EFI"};

		if (!find_default(efi, sizeof(efi),
				  strcmp(o.arch, "arm") ? aa64 : arm, 2)) {
			pr_err(
			    "conform: no UEFI conformance application beside armvm (%s): give --efi, or build it with make conform-uefi",
			    efi);
			return 2;
		}
		o.efi = efi;
	}
	if (o.kernel && !o.program) {
		const char *const a64[] = {
		    "../arm64/armvm-conform",
		    "/usr/lib/armvm/conform/armvm-conform-arm64"};
		const char *const a32[] = {
		    "../armhf/armvm-conform",
		    "/usr/lib/armvm/conform/armvm-conform-armhf"};

		if (!find_default(program, sizeof(program),
				  strcmp(o.arch, "arm") ? a64 : a32, 2)) {
			pr_err(
			    "conform: no armvm-conform for %s beside armvm (%s): give --program, or build it with make conform-linux",
			    o.arch, program);
			return 2;
		}
		o.program = program;
	}
	if (!inputs_ok(&o))
		return 2;

	if (o.dir && strlen(o.dir) > sizeof(dir) - 32) {
		pr_err(
		    "conform: --dir: a path of at most %zu characters expected",
		    sizeof(dir) - 32);
		return 2;
	}
	if (o.dir) {
		if (mkdir(o.dir, 0755) < 0 && errno != EEXIST) {
			pr_err("conform: --dir '%s': %s", o.dir,
			       strerror(errno));
			return 2;
		}
		snprintf(dir, sizeof(dir), "%s", o.dir);
	} else {
		const char *tmp = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/armvm-conform-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			pr_err("conform: '%s': %s", dir, strerror(errno));
			return 2;
		}
		made_dir = true;
	}
	path_join(disk, sizeof(disk), dir, "conform.img");
	path_join(vars, sizeof(vars), dir, "vars");
	{
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		self[n > 0 ? n : 0] = '\0';
	}
	{
		const char *const vals[][2] = {{"disk", disk},
					       {"vars", vars},
					       {"dir", dir},
					       {"armvm", self},
					       {NULL, NULL}};

		if (!expand_template(o.vmm, vals, command, sizeof(command), bad,
				     sizeof(bad))) {
			if (bad[0])
				pr_err(
				    "conform: --vmm: unknown %s (expected {disk}, {vars}, {dir} or {armvm})",
				    bad);
			else
				pr_err(
				    "conform: --vmm: the command is too long");
			rc = 2;
			goto out;
		}
	}
	unlink(vars);
	if (build_image(&o, dir, disk) < 0 ||
	    (o.vars_from && copy_file(o.vars_from, vars) < 0)) {
		rc = 2;
		goto out;
	}

	signal(SIGINT, stop_vmm_and_die);
	signal(SIGTERM, stop_vmm_and_die);
	signal(SIGHUP, stop_vmm_and_die);
	r = calloc(1, sizeof(*r));
	if (!r) {
		rc = 2;
		goto out;
	}
	cfr_init(r);
	for (i = 0; i < 2; i++) {
		path_join(log, sizeof(log), dir, i ? "run2.log" : "run1.log");
		/* A VM that did not end its first run within the timeout
		 * would hang the second as well: reported, not waited for. */
		if (i == 1 && status[0] < 0) {
			if (!o.json)
				fprintf(
				    stderr,
				    "armvm conform: run 2 not started: run 1 did not end within %lu s\n",
				    o.timeout_s);
			break;
		}
		if (!o.json)
			fprintf(stderr, "armvm conform: run %d of 2 (%s)\n",
				i + 1, log);
		status[i] = run_vmm(command, log, o.timeout_s, &secs[i]);
		/* A console past the bound (a guest flooding it) is not
		 * read: the run's checks then FAIL for want of its blocks. */
		if (read_file(log, &text, &len, CONFORM_MAX_LOG) == 0) {
			cfr_parse(r, (const char *)text, len,
				  strrchr(log, '/') + 1);
			free(text);
		}
	}
	/* The app's own record; the consoles' lines are checked against
	 * it by being parsed again: the same check replaces its line. */
	if (read_esp_file(disk, "conform.txt", CONFORM_MAX_RESULTS, &text, &len,
			  file_why, sizeof(file_why)) == 0) {
		cfr_parse(r, (const char *)text, len, "conform.txt");
		file_why[0] = '\0';
		free(text);
	}
	judge_runs(r, &o, status, secs, file_why);
	check_dt_schema(r, &o, dir, disk);
	cfr_print(r, stdout, o.json, o.vmm);
	rc = cfr_musts_pass(r) ? 0 : 1;
	free(r);
out:
	if (made_dir && !o.keep) {
		const char *const names[] = {
		    "conform.img", "vars",	"initrd",
		    "cmdline",	   "build.log", "run1.log",
		    "run2.log",	   "fdt.dtb",	"dt-schema.log"};
		unsigned int k;

		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			path_join(log, sizeof(log), dir, names[k]);
			unlink(log);
		}
		if (rmdir(dir) < 0)
			pr_warn("conform: '%s' not removed: %s", dir,
				strerror(errno));
	} else if (!o.json) {
		fprintf(stderr,
			"armvm conform: the image, store and logs are in %s\n",
			dir);
	}
	return rc;
}
