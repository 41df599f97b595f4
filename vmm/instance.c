// SPDX-License-Identifier: GPL-2.0
/* Named instances and `armvm instance` (vmm/instance.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/util.h"
#include "vmm/config.h"
#include "vmm/config_file.h"
#include "vmm/firmware.h"
#include "vmm/instance.h"
#include "vmm/ps.h"

/* How long `instance stop` waits for the guest by default. */
#define STOP_DEFAULT_TIMEOUT 90
#define STOP_REQUEST_MS	     5000

bool instance_name_valid(const char *name)
{
	size_t len = strlen(name);

	return len && len <= INSTANCE_NAME_MAX && name[0] != '.' &&
	       name[0] != '-' &&
	       strspn(name,
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789._-") == len;
}

int instance_name_check(const char *name, const char *what)
{
	if (instance_name_valid(name))
		return 0;
	pr_err("%s '%.80s%s': expected an instance name of 1 to %d letters, "
	       "digits, '.', '_' and '-', not starting with '.' or '-'",
	       what, name, strlen(name) > 80 ? "..." : "", INSTANCE_NAME_MAX);
	return -1;
}

/* snprintf that fails (with a message) rather than cut a path short. */
static int path_printf(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int path_printf(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		pr_err("%s...: path too long", out);
		return -1;
	}
	return 0;
}

/* An environment variable that holds an absolute path, or NULL. */
static const char *env_path(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] == '/' ? v : NULL;
}

int instance_root(char *out, size_t size)
{
	const char *v = env_path("ARMVM_INSTANCE_DIR");

	if (v)
		return path_printf(out, size, "%s", v);
	if (geteuid() == 0)
		return path_printf(out, size, "/var/lib/armvm/instances");
	v = env_path("XDG_DATA_HOME");
	if (v)
		return path_printf(out, size, "%s/armvm/instances", v);
	v = env_path("HOME");
	if (v)
		return path_printf(out, size, "%s/.local/share/armvm/instances",
				   v);
	pr_err("instances: neither XDG_DATA_HOME nor HOME is set (or "
	       "ARMVM_INSTANCE_DIR)");
	return -1;
}

int instance_file(const char *name, const char *file, char *out, size_t size)
{
	char root[PATH_MAX];

	if (instance_root(root, sizeof(root)) < 0)
		return -1;
	if (file)
		return path_printf(out, size, "%s/%s/%s", root, name, file);
	return path_printf(out, size, "%s/%s", root, name);
}

/* mkdir -p, each new folder mode 0700. */
static int mkdir_p(const char *dir)
{
	char path[PATH_MAX];

	if (path_printf(path, sizeof(path), "%s", dir) < 0)
		return -1;
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		goto fail;
	return 0;
fail:
	pr_err("%s: cannot create: %s", path, strerror(errno));
	return -1;
}

int instance_dir(const char *name, char *out, size_t size)
{
	if (instance_name_check(name, "--instance") < 0 ||
	    instance_file(name, NULL, out, size) < 0)
		return -1;
	return mkdir_p(out);
}

int runtime_dir(char *out, size_t size, bool create)
{
	const char *v = env_path("ARMVM_RUNTIME_DIR");
	int r;

	if (v) {
		r = path_printf(out, size, "%s", v);
	} else if ((v = env_path("RUNTIME_DIRECTORY"))) {
		/* systemd's RuntimeDirectory=: a list when it names several
		 * folders; the unit names one. */
		r = path_printf(out, size, "%.*s", (int)strcspn(v, ":"), v);
	} else if (geteuid() == 0) {
		r = path_printf(out, size, "/run/armvm");
	} else if ((v = env_path("XDG_RUNTIME_DIR"))) {
		r = path_printf(out, size, "%s/armvm", v);
	} else {
		pr_err("control sockets: XDG_RUNTIME_DIR is not set (or "
		       "ARMVM_RUNTIME_DIR)");
		return -1;
	}
	if (r < 0)
		return -1;
	return create ? mkdir_p(out) : 0;
}

int instance_socket(const char *name, char *out, size_t size, bool create)
{
	char dir[PATH_MAX];

	if (runtime_dir(dir, sizeof(dir), create) < 0)
		return -1;
	return path_printf(out, size, "%s/%s.sock", dir, name);
}

/* The pid a lock file holds, or 0. */
static long lock_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

int instance_lock(const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX], pid[32];
	int fd, n;

	if (instance_dir(name, dir, sizeof(dir)) < 0 ||
	    path_printf(path, sizeof(path), "%s/lock", dir) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		pr_err("instance %s: %s: cannot open: %s", name, path,
		       strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		long other = errno == EWOULDBLOCK ? lock_pid(fd) : 0;

		if (errno == EWOULDBLOCK)
			pr_err("instance %s: in use by another armvm process "
			       "(pid %ld)",
			       name, other);
		else
			pr_err("instance %s: %s: cannot lock: %s", name, path,
			       strerror(errno));
		close(fd);
		return -1;
	}
	/* Who holds it, for messages and `instance show`: the lock says
	 * whether it runs, this only who. */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		pr_warn("instance %s: cannot write the pid into %s", name,
			path);
	return fd;
}

int instance_running(const char *name, long *pid)
{
	char path[PATH_MAX];
	int fd, r = 0;

	*pid = 0;
	if (instance_file(name, "lock", path, sizeof(path)) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		pr_err("instance %s: %s: cannot open: %s", name, path,
		       strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		flock(fd, LOCK_UN);
	} else if (errno == EWOULDBLOCK) {
		*pid = lock_pid(fd);
		r = 1;
	} else {
		pr_err("instance %s: %s: cannot lock: %s", name, path,
		       strerror(errno));
		r = -1;
	}
	close(fd);
	return r;
}

int instance_prepare_run(struct vm_config *cfg, char *sock, size_t size)
{
	int fd = instance_lock(cfg->instance);

	if (fd < 0)
		return -1;
	if (!cfg->api_socket) {
		struct pr_capture outer;
		char why[512];
		int r;

		/* Without a runtime folder (a user's session with no
		 * XDG_RUNTIME_DIR) the VM runs on, as --instance did before
		 * it had a socket: only ctl NAME and ps will not see it. */
		pr_capture_push(&outer, why, sizeof(why));
		r = instance_socket(cfg->instance, sock, size, true);
		pr_capture_pop(&outer);
		if (r == 0)
			cfg->api_socket = sock;
		else
			pr_warn("instance %s: no control socket: %s",
				cfg->instance, why);
	}
	return fd;
}

void instance_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: armvm instance create NAME [RUN OPTIONS...]\n"
	    "       armvm instance list [--names]\n"
	    "       armvm instance show NAME\n"
	    "       armvm instance start NAME [RUN OPTIONS...]\n"
	    "       armvm instance stop [--timeout SECS] NAME\n"
	    "       armvm instance delete NAME\n"
	    "\n"
	    "Named VMs: each keeps its options (config.json, the armvm run\n"
	    "options it was created with), its UEFI variable store and its\n"
	    "lock in a folder of its own, /var/lib/armvm/instances/NAME for\n"
	    "root, else ${XDG_DATA_HOME:-~/.local/share}/armvm/instances/NAME\n"
	    "(ARMVM_INSTANCE_DIR replaces .../instances); its control socket\n"
	    "is /run/armvm/NAME.sock for root, else\n"
	    "$XDG_RUNTIME_DIR/armvm/NAME.sock (ARMVM_RUNTIME_DIR replaces the\n"
	    "folder). start is armvm run --instance NAME: the command line's\n"
	    "options override the instance's. armvm ctl NAME COMMAND talks to\n"
	    "it, armvm ps lists those running.\n"
	    "\n"
	    "Commands:\n"
	    "  create   make instance NAME with these armvm run options\n"
	    "  list     every instance and whether it runs\n"
	    "  show     an instance's folder, state, socket and options\n"
	    "  start    run it (armvm run --instance NAME)\n"
	    "  stop     press its power button and wait until armvm exits\n"
	    "  delete   remove it, variable store and all (not while it runs)\n"
	    "\n"
	    "Options:\n"
	    "      --names         list: names only, one a line\n"
	    "      --timeout SECS  stop: wait at most SECS for the guest to\n"
	    "                      power off (default %d; 0: no limit)\n"
	    "  -h, --help          show this help\n"
	    "\n"
	    "Exit status: 0 ok, 1 an error, 2 a usage error.\n",
	    STOP_DEFAULT_TIMEOUT);
}

/* Write text into path atomically (a new file renamed over it), mode 0600. */
static int write_atomic(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text);
	int fd;

	if (path_printf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) < 0)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		pr_err("%s: cannot create: %s", tmp, strerror(errno));
		return -1;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		pr_err("%s: write error: %s", tmp, strerror(errno));
		goto fail;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) < 0) {
		pr_err("%s: cannot rename to %s: %s", tmp, path,
		       strerror(errno));
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

static int rm_entry(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) < 0) {
		pr_err("%s: cannot remove: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* rm -r dir, without following symbolic links out of it. */
static int remove_tree(const char *dir)
{
	return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/* A text file ends with a newline. */
static int append_newline(char **text)
{
	size_t len = strlen(*text);
	char *t = realloc(*text, len + 2);

	if (!t) {
		pr_err("instance create: out of memory");
		return -1;
	}
	t[len] = '\n';
	t[len + 1] = 0;
	*text = t;
	return 0;
}

/*
 * instance create NAME [RUN OPTIONS...]: the options are checked as armvm
 * run checks them, then kept in config.json; a firmware boot also gets its
 * variable store from the firmware's template now, as --vars makes one.
 */
static int instance_create(const char *name, int argc, char **argv)
{
	char dir[PATH_MAX], root[PATH_MAX], path[PATH_MAX];
	struct strv args = {0}, copy = {0};
	struct firmware_paths fw;
	struct vm_config cfg;
	bool made = false;
	char *text = NULL;
	uint64_t size;
	int rc = 1, r;

	if (instance_name_check(name, "instance create") < 0)
		return 2;
	/* run's parser cuts --disk's and --net's values up in place: it
	 * gets a copy, and config.json is written from the arguments. */
	if (strv_push(&args, "run") < 0)
		goto nomem;
	for (int i = 0; i < argc; i++)
		if (strv_push(&args, argv[i]) < 0)
			goto nomem;
	if (strv_push(&args, NULL) < 0)
		goto nomem;
	r = vm_config_expand((int)args.n - 1, args.v, &copy);
	if (r < 0) {
		strv_free(&args);
		return 2;
	}
	if (r == 0) {
		strv_free(&args);
		args = copy;
		copy = (struct strv){0};
	}
	for (size_t i = 0; i < args.n; i++)
		if (strv_push(&copy, args.v[i]) < 0)
			goto nomem;
	r = vm_config_parse(&cfg, (int)copy.n - 1, copy.v);
	if (r) {
		strv_free(&args);
		strv_free(&copy);
		return r > 0 ? 0 : 2;
	}
	if (cfg.instance || cfg.vars || cfg.restore || cfg.incoming) {
		pr_err("instance create: %s cannot be given: %s",
		       cfg.instance  ? "--instance"
		       : cfg.vars    ? "--vars"
		       : cfg.restore ? "--restore"
				     : "--incoming",
		       cfg.instance || cfg.vars
			   ? "the instance keeps its own variable store"
			   : "an instance starts its VM afresh");
		rc = 2;
		goto out;
	}
	text = run_config_from_argv((int)args.n - 1, args.v);
	if (text && append_newline(&text) < 0)
		goto out;
	if (!text || instance_root(root, sizeof(root)) < 0 ||
	    instance_file(name, NULL, dir, sizeof(dir)) < 0 ||
	    mkdir_p(root) < 0)
		goto out;
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			pr_err("instance create: instance %s exists (%s); "
			       "armvm instance delete %s first",
			       name, dir, name);
		else
			pr_err("instance create: %s: cannot create: %s", dir,
			       strerror(errno));
		goto out;
	}
	made = true;
	if (path_printf(path, sizeof(path), "%s/config.json", dir) < 0 ||
	    write_atomic(path, text) < 0)
		goto out;
	if (!cfg.kernel) {
		/* The template of the firmware family the VM will boot; an
		 * aarch64 one unless --arch aarch32 says otherwise (the two
		 * AAVMF builds share the store's layout). */
		const char *arch =
		    cfg.arch == VM_ARCH_AARCH32 ? "arm" : "aarch64";

		if (path_printf(path, sizeof(path), "%s/vars.fd", dir) < 0)
			goto out;
		if (firmware_find(arch, FIRMWARE_DESCRIPTOR_DIR, &fw, false) ==
		    0) {
			if (vars_prepare(path, fw.vars_template, &size) < 0)
				goto out;
		} else {
			pr_warn("instance %s: no %s firmware found: its "
				"variable store is made when it first runs",
				name, arch);
		}
	}
	printf("created instance %s in %s\n", name, dir);
	rc = 0;
out:
	if (rc && made)
		remove_tree(dir);
	free(text);
	vm_config_release(&cfg);
	strv_free(&args);
	strv_free(&copy);
	return rc;
nomem:
	pr_err("instance create: out of memory");
	strv_free(&args);
	strv_free(&copy);
	return 1;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int instance_list(bool names_only)
{
	char root[PATH_MAX], path[PATH_MAX];
	struct dirent **ents = NULL;
	struct stat st;
	int n, rc = 0;

	if (instance_root(root, sizeof(root)) < 0)
		return 1;
	n = scandir(root, &ents, NULL, name_cmp);
	if (n < 0) {
		if (errno == ENOENT)
			return 0; /* none made yet */
		pr_err("instance list: %s: %s", root, strerror(errno));
		return 1;
	}
	if (!names_only && n > 2)
		printf("%-24s %s\n", "NAME", "STATE");
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		long pid;
		int r;

		if (!instance_name_valid(name) ||
		    path_printf(path, sizeof(path), "%s/%s", root, name) < 0 ||
		    lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (names_only) {
			printf("%s\n", name);
			continue;
		}
		r = instance_running(name, &pid);
		if (r < 0)
			rc = 1;
		if (r > 0)
			printf("%-24s running (pid %ld)\n", name, pid);
		else
			printf("%-24s %s\n", name, r ? "unknown" : "stopped");
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

/* The instance's folder, or 1 after "instance NAME does not exist". */
static int existing(const char *what, const char *name, char *dir, size_t size)
{
	struct stat st;

	if (instance_name_check(name, what) < 0)
		return 2;
	if (instance_file(name, NULL, dir, size) < 0)
		return 1;
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		pr_err("%s: no instance %s (no folder %s; armvm instance "
		       "create makes one)",
		       what, name, dir);
		return 1;
	}
	return 0;
}

static int instance_show(const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX], sock[PATH_MAX];
	uint8_t *config = NULL;
	size_t size = 0;
	long pid;
	int r = existing("instance show", name, dir, sizeof(dir));

	if (r)
		return r;
	r = instance_running(name, &pid);
	printf("name:    %s\n", name);
	printf("folder:  %s\n", dir);
	if (r > 0)
		printf("state:   running (pid %ld)\n", pid);
	else
		printf("state:   %s\n", r ? "unknown" : "stopped");
	if (instance_socket(name, sock, sizeof(sock), false) == 0)
		printf("socket:  %s\n", sock);
	if (path_printf(path, sizeof(path), "%s/vars.fd", dir) == 0)
		printf("vars:    %s%s\n", path,
		       access(path, F_OK) ? " (made when it first runs)" : "");
	if (path_printf(path, sizeof(path), "%s/config.json", dir) < 0)
		return 1;
	if (access(path, F_OK)) {
		printf("config:  none (%s)\n", path);
	} else {
		if (read_file(path, &config, &size, RUN_CONFIG_MAX_SIZE) < 0)
			return 1;
		printf("config:  %s\n%.*s%s", path, (int)size, config,
		       size && config[size - 1] == '\n' ? "" : "\n");
		free(config);
	}
	fflush(stdout);
	return r < 0 ? 1 : 0;
}

static int instance_delete(const char *name)
{
	char dir[PATH_MAX], msg[1024];
	struct pr_capture outer;
	int fd, rc;

	rc = existing("instance delete", name, dir, sizeof(dir));
	if (rc)
		return rc;
	/* Held while the folder goes, so that no armvm starts it meanwhile
	 * (an armvm that did would fail on its lock, or find no config). */
	pr_capture_push(&outer, msg, sizeof(msg));
	fd = instance_lock(name);
	pr_capture_pop(&outer);
	if (fd < 0) {
		long pid;

		if (instance_running(name, &pid) > 0)
			pr_err("instance delete: instance %s is running (pid "
			       "%ld); stop it first (armvm instance stop %s)",
			       name, pid, name);
		else
			pr_err("instance delete: %s", msg);
		return 1;
	}
	rc = remove_tree(dir) < 0 ? 1 : 0;
	close(fd);
	if (!rc)
		printf("deleted instance %s\n", name);
	return rc;
}

/* Is this control reply {"ok": true, ...}? */
static bool reply_ok(const char *reply)
{
	json_object *r = json_tokener_parse(reply), *ok;
	bool yes = r && json_object_is_type(r, json_type_object) &&
		   json_object_object_get_ex(r, "ok", &ok) &&
		   json_object_is_type(ok, json_type_boolean) &&
		   json_object_get_boolean(ok);

	json_object_put(r);
	return yes;
}

/*
 * instance stop: the power button (powerdown over the control socket),
 * then wait until the armvm running it lets its lock go. 0 when it
 * stopped (or did not run), 1 when it is still running after timeout.
 */
static int instance_stop(const char *name, unsigned long timeout)
{
	static const char req[] = "{\"command\":\"powerdown\"}\n";
	char dir[PATH_MAX], sock[PATH_MAX], err[256], *reply = NULL;
	struct timespec t0, t;
	long pid;
	int r = existing("instance stop", name, dir, sizeof(dir));

	if (r)
		return r;
	r = instance_running(name, &pid);
	if (r <= 0)
		return r < 0 ? 1 : 0;
	if (instance_socket(name, sock, sizeof(sock), false) < 0)
		return 1;
	if (ctl_query(sock, req, STOP_REQUEST_MS, &reply, err, sizeof(err)) <
	    0) {
		pr_err("instance stop: %s: %s", name, err);
		return 1;
	}
	if (!reply_ok(reply)) {
		pr_err("instance stop: %s: powerdown: %.200s", name, reply);
		free(reply);
		return 1;
	}
	free(reply);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		r = instance_running(name, &pid);
		if (r <= 0)
			return r < 0 ? 1 : 0;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (timeout && (unsigned long)(t.tv_sec - t0.tv_sec) >= timeout)
			break;
		usleep(200 * 1000);
	}
	pr_err("instance stop: %s: still running (pid %ld) %lu s after the "
	       "power button was pressed",
	       name, pid, timeout);
	return 1;
}

/* instance start NAME [RUN OPTIONS...]: armvm run --instance NAME .... */
static int instance_start(const char *name, int argc, char **argv,
			  instance_run_fn run)
{
	char dir[PATH_MAX], **run_argv;
	int r = existing("instance start", name, dir, sizeof(dir));

	if (r)
		return r;
	if (!run) {
		pr_err("instance start: this armvm was built for a host "
		       "without arm64 KVM");
		return 1;
	}
	run_argv = calloc((size_t)argc + 4, sizeof(*run_argv));
	if (!run_argv) {
		pr_err("instance start: out of memory");
		return 1;
	}
	run_argv[0] = "run";
	run_argv[1] = "--instance";
	run_argv[2] = (char *)name;
	for (int i = 0; i < argc; i++)
		run_argv[i + 3] = argv[i];
	r = run(argc + 3, run_argv);
	free(run_argv);
	return r;
}

int cmd_instance(int argc, char **argv, instance_run_fn run)
{
	static const struct option opts[] = {
	    {"names", no_argument, NULL, 'n'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	unsigned long timeout = STOP_DEFAULT_TIMEOUT;
	bool names = false;
	const char *sub;
	int c;

	if (argc < 2) {
		instance_usage(stderr);
		return 2;
	}
	sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		instance_usage(stdout);
		return 0;
	}
	/* create and start pass their options on to run's parser. */
	if (!strcmp(sub, "create") || !strcmp(sub, "start")) {
		if (argc < 3 || argv[2][0] == '-') {
			if (argc >= 3 && (!strcmp(argv[2], "-h") ||
					  !strcmp(argv[2], "--help"))) {
				instance_usage(stdout);
				return 0;
			}
			pr_err("instance %s: expected an instance NAME first "
			       "(see armvm instance --help)",
			       sub);
			return 2;
		}
		if (!strcmp(sub, "create"))
			return instance_create(argv[2], argc - 3, argv + 3);
		return instance_start(argv[2], argc - 3, argv + 3, run);
	}
	/* The options after the command: argv shifted by one. */
	argc--;
	argv++;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			names = true;
			break;
		case 't':
			if (!parse_uint(optarg, 0, 86400, &timeout)) {
				pr_err("instance: --timeout '%s': expected a "
				       "number of seconds (0-86400)",
				       optarg);
				return 2;
			}
			break;
		case 'h':
			instance_usage(stdout);
			return 0;
		case ':':
			pr_err("instance: %s needs a value", argv[optind - 1]);
			return 2;
		default:
			pr_err("instance: unknown option '%s' (see armvm "
			       "instance --help)",
			       argv[optind - 1]);
			return 2;
		}
	}
	if (!strcmp(sub, "list") && optind == argc)
		return instance_list(names);
	if (optind != argc - 1 || !strcmp(sub, "list")) {
		pr_err(
		    "instance %s: expected %s (see armvm instance --help)", sub,
		    strcmp(sub, "list") ? "one instance NAME" : "no operand");
		return 2;
	}
	if (!strcmp(sub, "show"))
		return instance_show(argv[optind]);
	if (!strcmp(sub, "delete"))
		return instance_delete(argv[optind]);
	if (!strcmp(sub, "stop"))
		return instance_stop(argv[optind], timeout);
	pr_err("instance: unknown command '%s' (expected create, list, show, "
	       "start, stop or delete)",
	       sub);
	return 2;
}
