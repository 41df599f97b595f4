// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration files (vmm/config_file.c), named instances
 * (vmm/instance.c) and armvm ps's parts (vmm/ps.c), issue 16.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "vmm/config.h"
#include "vmm/config_file.h"
#include "vmm/instance.h"
#include "vmm/ps.h"
#include "tests/unit/check.h"

static char tmpdir[] = "/tmp/armvm-test-instance-XXXXXX";

/* The arguments a configuration text stands for, joined by spaces, or
 * "ERR <message>". */
static const char *conf(const char *text, const bool *skip)
{
	static char out[2048];
	struct strv args = {0};
	char msg[1024];
	int r;

	pr_capture_begin(msg, sizeof(msg));
	r = run_config_parse("t.json", text, strlen(text), &args, skip);
	pr_capture_end();
	if (r < 0) {
		snprintf(out, sizeof(out), "ERR %s", msg);
	} else {
		out[0] = 0;
		for (size_t i = 0; i < args.n; i++)
			snprintf(out + strlen(out), sizeof(out) - strlen(out),
				 "%s%s", i ? " " : "", args.v[i]);
	}
	strv_free(&args);
	return out;
}

#define CHECK_CONF(text, want) CHECK_STR(conf(text, NULL), want)
/* An error that names the place and says what went wrong. */
#define CHECK_CONF_ERR(text, where, what)                               \
	do {                                                            \
		const char *got_ = conf(text, NULL);                    \
		CHECK(!strncmp(got_, "ERR " where, 4 + strlen(where))); \
		CHECK(strstr(got_, what) != NULL);                      \
	} while (0)

static void values(void)
{
	CHECK_CONF("{}", "");
	CHECK_CONF("{\"cpus\": 2, \"memory\": \"512M\"}",
		   "--cpus 2 --memory 512M");
	CHECK_CONF("{\"disk\": [\"a.img\", \"b.img,readonly\"]}",
		   "--disk a.img --disk b.img,readonly");
	CHECK_CONF("{\"disk\": \"a.img\"}", "--disk a.img");
	CHECK_CONF("{\"no-rng\": true, \"no-balloon\": false}", "--no-rng");
	/* Keys in the file's order; escapes are read as JSON reads them. */
	CHECK_CONF("{\"gic\": 3, \"c\\u0070us\": 4}", "--gic 3 --cpus 4");
	CHECK_CONF(" \n{ \"cmdline\" : \"a \\\"b\\\" c\" }\n\n",
		   "--cmdline a \"b\" c");
	CHECK_CONF("{\"test-fault\": []}", "");
}

static void bad_input(void)
{
	CHECK_CONF_ERR("{\"cpus\": 2,\n  \"bogus\": 1}",
		       "t.json:2:3:", "unknown key 'bogus'");
	CHECK_CONF_ERR("{\"cpus\": 2,\n  \"cpus\": 3}", "t.json:2:3:",
		       "duplicate key 'cpus' (first at line 1, column 2");
	/* The same key spelled otherwise is the same key. */
	CHECK_CONF_ERR("{\"cpus\": 2, \"cp\\u0075s\": 3}",
		       "t.json:1:13:", "duplicate key 'cpus'");
	/* A duplicate inside a value is no run option's: a type error. */
	CHECK_CONF_ERR("{\"cpus\": {\"a\": 1, \"a\": 2}}",
		       "t.json:1:2:", "not an object");
	CHECK_CONF_ERR("{\"no-rng\": \"yes\"}", "t.json:1:2:",
		       "'no-rng': expected true or false, not a string");
	CHECK_CONF_ERR("{\"cpus\": 2.5}", "t.json:1:2:", "not a fraction");
	CHECK_CONF_ERR("{\"cpus\": null}", "t.json:1:2:", "not null");
	CHECK_CONF_ERR("{\"cpus\": [2]}",
		       "t.json:1:2:", "only disk, net and test-fault repeat");
	CHECK_CONF_ERR("{\"disk\": [\"a\", 1.5]}",
		       "t.json:1:2:", "'disk''s elements: expected a string");
	CHECK_CONF_ERR("{\"disk\": [[\"a\"]]}", "t.json:1:2:", "an array");
	CHECK_CONF_ERR("{\"disk\": \"a\\u0000b\"}",
		       "t.json:1:2:", "holding a NUL byte");
	/* run's own check of the value, said at the key. */
	CHECK_CONF_ERR("{\n\"memory\": \"lots\"}",
		       "t.json:2:1:", "--memory 'lots': expected a size");
	CHECK_CONF_ERR("{\"cpus\": -1}", "t.json:1:2:", "--cpus '-1'");
	CHECK_CONF_ERR("{\"disk\": [\"a\", \"b,bogus\"]}",
		       "t.json:1:2:", "unknown option 'bogus'");
	/* Command-line-only options. */
	CHECK_CONF_ERR("{\"config\": \"x\"}", "t.json:1:2:",
		       "'config' cannot be given in a configuration file");
	CHECK_CONF_ERR("{\"instance\": \"x\"}",
		       "t.json:1:2:", "cannot be given");
	CHECK_CONF_ERR("{\"help\": true}", "t.json:1:2:", "cannot be given");
	/* Not JSON, not strict JSON, not one object. */
	CHECK_CONF_ERR("{\"cpus\": 2,,}", "t.json:1:12:", "not JSON");
	CHECK_CONF_ERR("{\"cpus\": 2,}", "t.json:1:", "not JSON");
	CHECK_CONF_ERR("{\"cpus\": 2 /* two */}", "t.json:1:", "not JSON");
	CHECK_CONF_ERR("{'cpus': 2}", "t.json:1:", "not JSON");
	CHECK_CONF_ERR("{\"cpus\": 2} {}", "t.json:1:13:", "not JSON");
	CHECK_CONF_ERR("{\"cpus\": 2", "t.json:1:", "not JSON");
	CHECK_CONF_ERR("", "t.json:1:1:", "not JSON");
	CHECK_CONF_ERR("[1]", "t.json:1:1:", "not an array");
	CHECK_CONF_ERR("\n  2", "t.json:2:3:", "not an integer");
	CHECK_CONF_ERR("{\"cpus\": \"\xff\"}", "t.json:1:", "not JSON");
	/* json-c's strict mode takes these; JSON does not. */
	CHECK_CONF_ERR("{\"cmdline\": \"a\nb\"}",
		       "t.json:1:15:", "a control character in a string");
	CHECK_CONF_ERR("{\"cpus\": 2, 'memory': 1}",
		       "t.json:1:13:", "a single quote");
	/* Keys are shown with their controls escaped. */
	CHECK_CONF_ERR("{\"\\u001b[2J\": 1}",
		       "t.json:1:2:", "unknown key '\\x1b[2J'");
	{
		/* A NUL byte inside: refused, never a shorter file. */
		struct strv a = {0};
		char msg[256];

		pr_capture_begin(msg, sizeof(msg));
		CHECK_EQ(run_config_parse("t.json", "{}\0x", 4, &a, NULL), -1);
		pr_capture_end();
		CHECK(strstr(msg, "t.json:1:3: a NUL byte") != NULL);
		strv_free(&a);
	}
}

/* A value of each option of run that a file accepts (the test fails for
 * an option without one here: a new option must be looked at). */
static const char *sample(const char *name)
{
	static const char *const s[][2] = {
	    {"kernel", "\"Image\""},
	    {"initrd", "\"initrd.img\""},
	    {"cmdline", "\"quiet\""},
	    {"cpus", "2"},
	    {"memory", "\"1G\""},
	    {"gic", "\"auto\""},
	    {"arch", "\"aarch64\""},
	    {"no-reboot", "true"},
	    {"kvm", "\"/dev/kvm\""},
	    {"disk", "[\"a.img\"]"},
	    {"firmware", "\"fw.fd\""},
	    {"vars", "\"vars.fd\""},
	    {"hotplug-slots", "2"},
	    {"api-socket", "\"/tmp/s\""},
	    {"net", "[\"user\"]"},
	    {"virtio-console", "\"pty\""},
	    {"no-rng", "true"},
	    {"boot-marker", "true"},
	    {"no-balloon", "true"},
	    {"test-fault", "[\"no-rtc\"]"},
	    {"seccomp", "\"log\""},
	    {"jail", "\"/tmp\""},
	    {"user", "\"0:0\""},
	    {"vsock", "\"path=/tmp/v\""},
	    {"transport", "\"mmio\""},
	    {"verbose", "true"},
	    {"restore", "\"/tmp/snap\""},
	    {"incoming", "\"unix:/tmp/m\""},
	};

	for (size_t i = 0; i < ARRAY_SIZE(s); i++)
		if (!strcmp(s[i][0], name))
			return s[i][1];
	return NULL;
}

/*
 * Every long option of `armvm run` (its getopt table) is a key of a
 * configuration file, standing for that option, but the three that only
 * make sense on a command line; and --help lists --config.
 */
static void every_run_option(void)
{
	const struct run_option *o = vm_run_options();
	char text[256], want[128];
	int n = 0, nofile = 0;
	FILE *f;
	char *help = NULL;
	size_t len = 0;

	for (; o->name; o++, n++) {
		const char *v = sample(o->name);

		if (o->flags & RUN_OPT_NO_FILE) {
			nofile++;
			snprintf(text, sizeof(text), "{\"%s\": \"x\"}",
				 o->name);
			CHECK(strstr(conf(text, NULL), "cannot be given"));
			continue;
		}
		CHECK(v != NULL);
		if (!v) {
			printf("no sample value for --%s\n", o->name);
			continue;
		}
		snprintf(text, sizeof(text), "{\"%s\": %s}", o->name, v);
		snprintf(want, sizeof(want), "--%s", o->name);
		CHECK(!strncmp(conf(text, NULL), want, strlen(want)));
	}
	CHECK(n >= 30);
	CHECK_EQ(nofile, 3);
	f = open_memstream(&help, &len);
	vm_config_usage(f);
	fclose(f);
	CHECK(strstr(help, "      --config FILE") != NULL);
	free(help);
}

static const char *write_tmp(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

static int run_parse(struct vm_config *c, char *msg, size_t size, ...)
{
	char *argv[16] = {"run"};
	int argc = 1, r;
	va_list ap;

	va_start(ap, size);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	msg[0] = 0;
	pr_capture_begin(msg, size);
	r = vm_config_parse(c, argc, argv);
	pr_capture_end();
	return r;
}

/* File first, the command line over it; a repeatable option on the
 * command line replaces the file's. */
static void precedence(void)
{
	char file[256], msg[512], k1[] = "--kernel", k2[] = "K";
	struct vm_config c;

	snprintf(file, sizeof(file), "%s",
		 write_tmp("p.json",
			   "{\"kernel\": \"Image\", \"cpus\": 2, \"memory\": "
			   "\"1G\",\n \"disk\": [\"a.img\", "
			   "\"b.img,readonly\"], \"no-rng\": true}\n"));
	CHECK_EQ(run_parse(&c, msg, sizeof(msg), "--config", file, NULL), 0);
	CHECK_EQ(c.cpus, 2);
	CHECK_EQ(c.memory, 1ULL << 30);
	CHECK_STR(c.kernel, "Image");
	CHECK(c.no_rng && !c.no_balloon);
	CHECK_EQ(c.nr_disks, 2);
	CHECK_STR(c.disks[1].path, "b.img");
	CHECK(c.disks[1].readonly);
	/* What a snapshot keeps: the file's options, not its name. */
	for (int i = 0; i < c.argc; i++)
		CHECK(strcmp(c.argv[i], "--config"));
	vm_config_release(&c);

	CHECK_EQ(
	    run_parse(&c, msg, sizeof(msg), "--cpus", "4", "--config=", NULL),
	    -1); /* (an empty name: read_file's error) */
	CHECK_EQ(run_parse(&c, msg, sizeof(msg), "--cpus", "4", "--config",
			   file, "--disk", "c.img", "--memory", "2G", NULL),
		 0);
	CHECK_EQ(c.cpus, 4); /* before --config: still the command line's */
	CHECK_EQ(c.memory, 2ULL << 30);
	CHECK_EQ(c.nr_disks, 1);
	CHECK_STR(c.disks[0].path, "c.img");
	CHECK_STR(c.kernel, "Image");
	vm_config_release(&c);
	CHECK_EQ(
	    run_parse(&c, msg, sizeof(msg), "--config", file, k1, k2, NULL), 0);
	CHECK_STR(c.kernel, "K");
	vm_config_release(&c);

	/* Bad files: one line naming the file and where. */
	snprintf(file, sizeof(file), "%s",
		 write_tmp("bad.json", "{\"kernel\": \"I\",\n \"cpus\": 1,\n"
				       "   \"cpus\": 2}\n"));
	CHECK_EQ(run_parse(&c, msg, sizeof(msg), "--config", file, NULL), -1);
	CHECK(strstr(msg, "bad.json:3:4: duplicate key 'cpus'") != NULL);
	CHECK(!strchr(msg, '\n'));
	CHECK_EQ(
	    run_parse(&c, msg, sizeof(msg), "--config", "/nonexistent", NULL),
	    -1);
	CHECK(strstr(msg, "/nonexistent") != NULL);
	/* Two files: refused, as any option given twice that must not be. */
	CHECK_EQ(run_parse(&c, msg, sizeof(msg), "--config", file, "--config",
			   file, "-k", "I", NULL),
		 -1);
	/* Beside --restore, a file's machine options are refused as the
	 * command line's are; its process options are not. */
	snprintf(file, sizeof(file), "%s",
		 write_tmp("proc.json", "{\"seccomp\": \"log\"}"));
	CHECK_EQ(run_parse(&c, msg, sizeof(msg), "--restore", "/s", "--config",
			   file, NULL),
		 0);
	CHECK_EQ(c.seccomp, CONFINE_MODE_LOG);
	vm_config_release(&c);
}

/* What a snapshot keeps (cfg->argv) is what was given, not what the
 * parser split: a restored VM gets the same disks and nets. */
static void argv_kept_whole(void)
{
	char a[] = "a.img,readonly,cache=writethrough",
	     n[] = "user,hostfwd=tcp::2222-:22", v[] = "cid=5,path=/tmp/v";
	char *argv[] = {"run",	 "-k", "K",	  "--disk", a,
			"--net", n,    "--vsock", v,	    NULL};
	struct vm_config c;

	CHECK_EQ(vm_config_parse(&c, ARRAY_SIZE(argv) - 1, argv), 0);
	CHECK(c.disks[0].readonly && c.disks[0].writethrough);
	CHECK_STR(c.disks[0].path, "a.img");
	CHECK_EQ(c.nets[0].nr_hostfwd, 1);
	CHECK_EQ(c.vsock.cid, 5);
	CHECK_STR(c.argv[4], "a.img,readonly,cache=writethrough");
	CHECK_STR(c.argv[6], "user,hostfwd=tcp::2222-:22");
	CHECK_STR(c.argv[8], "cid=5,path=/tmp/v");
	vm_config_release(&c);
}

/* run_config_from_argv, then back: the same options. */
static void from_argv(void)
{
	char *argv[] = {"run",	     "-k",   "Image",  "--cpus", "2",
			"--disk",    "a,ro", "-d",     "b",	 "--no-rng",
			"--cmdline", "x y",  "--cpus", "3",	 "--memory",
			"0512",	     NULL};
	char *text = run_config_from_argv(ARRAY_SIZE(argv) - 1, argv);

	CHECK(text != NULL);
	if (!text)
		return;
	CHECK_STR(conf(text, NULL),
		  "--kernel Image --cpus 3 --disk a,ro --disk b --no-rng "
		  "--cmdline x y --memory 0512");
	/* Plain numbers as numbers, anything else a string. */
	CHECK(strstr(text, "\"cpus\": 3") || strstr(text, "\"cpus\":3"));
	CHECK(strstr(text, "\"0512\""));
	free(text);
}

static void names(void)
{
	char long_name[INSTANCE_NAME_MAX + 2];
	char msg[256];

	CHECK(instance_name_valid("web"));
	CHECK(instance_name_valid("db-1.test_2"));
	CHECK(instance_name_valid("a.."));
	CHECK(!instance_name_valid(""));
	CHECK(!instance_name_valid("."));
	CHECK(!instance_name_valid(".."));
	CHECK(!instance_name_valid(".hidden"));
	CHECK(!instance_name_valid("-v"));
	CHECK(!instance_name_valid("a/b"));
	CHECK(!instance_name_valid("../etc"));
	CHECK(!instance_name_valid("a b"));
	CHECK(!instance_name_valid("caf\xc3\xa9"));
	memset(long_name, 'a', sizeof(long_name));
	long_name[INSTANCE_NAME_MAX] = 0;
	CHECK(instance_name_valid(long_name));
	long_name[INSTANCE_NAME_MAX] = 'a';
	long_name[INSTANCE_NAME_MAX + 1] = 0;
	CHECK(!instance_name_valid(long_name));
	pr_capture_begin(msg, sizeof(msg));
	CHECK_EQ(instance_name_check("a/b", "instance show"), -1);
	pr_capture_end();
	CHECK(!strncmp(msg, "instance show 'a/b': expected an instance name",
		       46));
}

static void places(void)
{
	char out[PATH_MAX];

	setenv("ARMVM_INSTANCE_DIR", "/srv/vms", 1);
	CHECK_EQ(instance_file("web", "config.json", out, sizeof(out)), 0);
	CHECK_STR(out, "/srv/vms/web/config.json");
	unsetenv("ARMVM_INSTANCE_DIR");
	setenv("XDG_DATA_HOME", "/home/u/.data", 1);
	CHECK_EQ(instance_root(out, sizeof(out)), 0);
	CHECK_STR(out, geteuid() ? "/home/u/.data/armvm/instances"
				 : "/var/lib/armvm/instances");
	/* A relative XDG_DATA_HOME is ignored (the XDG rule). */
	setenv("XDG_DATA_HOME", "rel", 1);
	setenv("HOME", "/home/u", 1);
	CHECK_EQ(instance_root(out, sizeof(out)), 0);
	CHECK_STR(out, geteuid() ? "/home/u/.local/share/armvm/instances"
				 : "/var/lib/armvm/instances");

	setenv("ARMVM_RUNTIME_DIR", "/tmp/rt", 1);
	setenv("RUNTIME_DIRECTORY", "/run/other", 1);
	CHECK_EQ(instance_socket("web", out, sizeof(out), false), 0);
	CHECK_STR(out, "/tmp/rt/web.sock");
	unsetenv("ARMVM_RUNTIME_DIR");
	/* systemd's, the first of its list. */
	setenv("RUNTIME_DIRECTORY", "/run/armvm:/run/x", 1);
	CHECK_EQ(runtime_dir(out, sizeof(out), false), 0);
	CHECK_STR(out, "/run/armvm");
	unsetenv("RUNTIME_DIRECTORY");
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	CHECK_EQ(runtime_dir(out, sizeof(out), false), 0);
	CHECK_STR(out, geteuid() ? "/run/user/1000/armvm" : "/run/armvm");
}

/* run --instance: the lock, and the socket unless one is given; none
 * (a warning) without a runtime folder. */
static void prepare_run(void)
{
	struct vm_config cfg = {.instance = "vm2"};
	char dir[PATH_MAX], sock[PATH_MAX], want[PATH_MAX + 16], msg[256];
	int fd;

	snprintf(dir, sizeof(dir), "%s/instances", tmpdir);
	setenv("ARMVM_INSTANCE_DIR", dir, 1);
	snprintf(dir, sizeof(dir), "%s/run", tmpdir);
	setenv("ARMVM_RUNTIME_DIR", dir, 1);
	fd = instance_prepare_run(&cfg, sock, sizeof(sock));
	CHECK(fd >= 0);
	snprintf(want, sizeof(want), "%s/vm2.sock", dir);
	CHECK(cfg.api_socket && !strcmp(cfg.api_socket, want));
	CHECK(access(dir, F_OK) == 0); /* the folder made */
	pr_capture_begin(msg, sizeof(msg));
	CHECK_EQ(instance_prepare_run(&cfg, sock, sizeof(sock)), -1);
	pr_capture_end();
	CHECK(strstr(msg, "in use by another armvm process") != NULL);
	close(fd);
	cfg = (struct vm_config){.instance = "vm2", .api_socket = "/x.sock"};
	fd = instance_prepare_run(&cfg, sock, sizeof(sock));
	CHECK(fd >= 0 && !strcmp(cfg.api_socket, "/x.sock"));
	close(fd);
	if (geteuid()) {
		unsetenv("ARMVM_RUNTIME_DIR");
		unsetenv("RUNTIME_DIRECTORY");
		unsetenv("XDG_RUNTIME_DIR");
		cfg = (struct vm_config){.instance = "vm2"};
		fd = instance_prepare_run(&cfg, sock, sizeof(sock));
		CHECK(fd >= 0 && !cfg.api_socket);
		close(fd);
	}
	unsetenv("ARMVM_RUNTIME_DIR");
}

/* The lock: held by one, seen by others (another process too), refused
 * to a second armvm, let go when its holder ends. */
static void lock(void)
{
	char dir[PATH_MAX], msg[256];
	int fd, fd2, st;
	long pid;
	pid_t child;

	snprintf(dir, sizeof(dir), "%s/instances", tmpdir);
	setenv("ARMVM_INSTANCE_DIR", dir, 1);
	CHECK_EQ(instance_running("nothere", &pid), 0);
	fd = instance_lock("vm1");
	CHECK(fd >= 0);
	CHECK_EQ(instance_running("vm1", &pid), 1);
	CHECK_EQ(pid, getpid());
	pr_capture_begin(msg, sizeof(msg));
	fd2 = instance_lock("vm1");
	pr_capture_end();
	CHECK_EQ(fd2, -1);
	CHECK(strstr(msg, "instance vm1: in use by another armvm process") !=
	      NULL);
	child = fork();
	if (child == 0)
		_exit(instance_running("vm1", &pid) == 1 && pid == getppid()
			  ? 0
			  : 1);
	CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0);
	close(fd);
	CHECK_EQ(instance_running("vm1", &pid), 0);
	fd = instance_lock("vm1");
	CHECK(fd >= 0);
	close(fd);
}

static void status_and_table(void)
{
	struct ps_entry e[3] = {
	    {.name = "web"}, {.name = "db"}, {.name = "old"}};
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	CHECK_EQ(ps_parse_status("{\"ok\":true,\"result\":{\"state\":"
				 "\"running\",\"cpus\":2,\"memory\":536870912,"
				 "\"pid\":123,\"uptime\":3725}}",
				 &e[0]),
		 0);
	CHECK_EQ(e[0].pid, 123);
	CHECK_EQ(e[0].cpus, 2);
	CHECK_EQ(e[0].uptime, 3725);
	CHECK_EQ(ps_parse_status("{\"ok\":true,\"result\":{\"state\":"
				 "\"paused\",\"cpus\":1,\"memory\":2147483648,"
				 "\"pid\":9,\"uptime\":90061}}",
				 &e[1]),
		 0);
	CHECK_EQ(ps_parse_status("{\"ok\":false,\"error\":\"x\"}", &e[2]), -1);
	CHECK_EQ(ps_parse_status("garbage", &e[2]), -1);
	CHECK_EQ(ps_parse_status("{\"ok\":true,\"result\":{}}", &e[2]), -1);
	e[2].stale = true;
	f = open_memstream(&out, &len);
	ps_print(f, e, 3);
	fclose(f);
	CHECK_STR(out, "NAME                      PID  CPUS  MEMORY       "
		       "UPTIME STATE\n"
		       "web                       123     2    512M     "
		       "01:02:05 running\n"
		       "db                          9     1      2G   "
		       "1-01:01:01 paused\n"
		       "old                         -     -       -            "
		       "- stale\n");
	free(out);
}

/* A server that accepts and never answers. */
static void *silent_server(void *arg)
{
	int lfd = *(int *)arg, c = accept(lfd, NULL, NULL);

	sleep(2);
	if (c >= 0)
		close(c);
	return NULL;
}

/* ctl_query never waits past its time, and says why it failed. */
static void query_bounded(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char err[256], *reply = NULL;
	struct timespec t0, t1;
	pthread_t th;
	int lfd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/q.sock", tmpdir);
	CHECK_EQ(ctl_query(sa.sun_path, "x\n", 500, &reply, err, sizeof(err)),
		 -1);
	CHECK(strstr(err, "No such file") != NULL);
	/* Bound, never listening: what a killed armvm leaves. */
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_EQ(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(ctl_query(sa.sun_path, "x\n", 500, &reply, err, sizeof(err)),
		 -1);
	CHECK(strstr(err, "stale socket") != NULL);
	CHECK_EQ(listen(lfd, 4), 0);
	pthread_create(&th, NULL, silent_server, &lfd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(ctl_query(sa.sun_path, "x\n", 300, &reply, err, sizeof(err)),
		 -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(strstr(err, "no reply within 300 ms") != NULL);
	CHECK((t1.tv_sec - t0.tv_sec) * 1000 +
		  (t1.tv_nsec - t0.tv_nsec) / 1000000 <
	      1500);
	pthread_join(th, NULL);
	close(lfd);
	unlink(sa.sun_path);
}

static int rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	check_suite = "instance";
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(values);
	RUN(bad_input);
	RUN(every_run_option);
	RUN(precedence);
	RUN(from_argv);
	RUN(argv_kept_whole);
	RUN(names);
	RUN(places);
	RUN(lock);
	RUN(prepare_run);
	RUN(status_and_table);
	RUN(query_bounded);
	rm_rf(tmpdir);
	return check_main_end();
}
