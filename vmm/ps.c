// SPDX-License-Identifier: GPL-2.0
/* `armvm ps` and a bounded control-socket client (vmm/ps.h). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/util.h"
#include "vmm/ps.h"

/* How long ps waits for each VM: a stuck one shows as stale, not a hang. */
#define PS_TIMEOUT_MS 2000
/* A status reply is a few hundred bytes. */
#define QUERY_MAX_REPLY (1u << 20)

/* Wait for events on fd until deadline: 1 ready, 0 time is up, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r;

	do {
		int64_t left = deadline - monotonic_ms();

		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : r;
}

int ctl_query(const char *path, const char *request, int timeout_ms,
	      char **reply, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int64_t deadline = monotonic_ms() + timeout_ms;
	size_t len = 0, cap = 4096, off = 0, n = strlen(request);
	char *buf = NULL, *nl;
	int fd;

	*reply = NULL;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		set_err(err, errlen, "%s: path too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		set_err(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* A UNIX socket connects at once, or fails: EAGAIN when its
	 * backlog is full (an armvm that no longer accepts). */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		set_err(err, errlen, "%s: %s", path,
			errno == ECONNREFUSED
			    ? "nobody serves it (stale socket)"
			: errno == EAGAIN ? "not answering"
					  : strerror(errno));
		goto fail;
	}
	while (off < n) {
		ssize_t w;

		if (wait_fd(fd, POLLOUT, deadline) <= 0)
			goto timeout;
		w = send(fd, request + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0) {
			set_err(err, errlen, "%s: cannot send: %s", path,
				strerror(errno));
			goto fail;
		}
		off += (size_t)w;
	}
	buf = malloc(cap);
	if (!buf) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	for (;;) {
		ssize_t r;

		if (len + 1 >= cap) {
			char *b = cap < QUERY_MAX_REPLY ? realloc(buf, cap * 2)
							: NULL;

			if (!b) {
				set_err(err, errlen, "%s: reply too long",
					path);
				goto fail;
			}
			buf = b;
			cap *= 2;
		}
		if (wait_fd(fd, POLLIN, deadline) <= 0)
			goto timeout;
		r = recv(fd, buf + len, cap - len - 1, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			set_err(err, errlen, "%s: %s", path,
				r ? strerror(errno)
				  : "connection closed before a reply");
			goto fail;
		}
		nl = memchr(buf + len, '\n', (size_t)r);
		len += (size_t)r;
		if (nl) {
			*nl = 0;
			break;
		}
	}
	close(fd);
	*reply = buf;
	return 0;
timeout:
	set_err(err, errlen, "%s: no reply within %d ms", path, timeout_ms);
fail:
	free(buf);
	close(fd);
	return -1;
}

static bool member_int(json_object *o, const char *key, int64_t *v)
{
	json_object *m;

	if (!json_object_object_get_ex(o, key, &m) ||
	    !json_object_is_type(m, json_type_int))
		return false;
	*v = json_object_get_int64(m);
	return *v >= 0;
}

int ps_parse_status(const char *reply, struct ps_entry *e)
{
	json_object *root = json_tokener_parse(reply), *ok, *r, *state;
	int64_t pid, cpus, memory, uptime;
	int rc = -1;

	if (root && json_object_is_type(root, json_type_object) &&
	    json_object_object_get_ex(root, "ok", &ok) &&
	    json_object_get_boolean(ok) &&
	    json_object_object_get_ex(root, "result", &r) &&
	    json_object_is_type(r, json_type_object) &&
	    json_object_object_get_ex(r, "state", &state) &&
	    json_object_is_type(state, json_type_string) &&
	    member_int(r, "cpus", &cpus) && member_int(r, "memory", &memory)) {
		/* pid and uptime came with issue 16: an older armvm has
		 * none (shown as "-"). */
		e->pid = member_int(r, "pid", &pid) ? (long)pid : 0;
		e->uptime = member_int(r, "uptime", &uptime) ? (uint64_t)uptime
							     : UINT64_MAX;
		e->cpus = (unsigned int)cpus;
		e->memory = (uint64_t)memory;
		snprintf(e->state, sizeof(e->state), "%s",
			 json_object_get_string(state));
		e->stale = false;
		rc = 0;
	}
	json_object_put(root);
	return rc;
}

/* 512M, 2G, 1536M: the largest unit that divides it. */
static void format_size(uint64_t b, char *out, size_t size)
{
	if (b && !(b % (1ULL << 30)))
		snprintf(out, size, "%lluG", (unsigned long long)(b >> 30));
	else if (b && !(b % (1ULL << 20)))
		snprintf(out, size, "%lluM", (unsigned long long)(b >> 20));
	else
		snprintf(out, size, "%lluK", (unsigned long long)(b >> 10));
}

/* ps(1)'s elapsed time: [[DD-]hh:]mm:ss. */
static void format_uptime(uint64_t s, char *out, size_t size)
{
	unsigned long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

	if (d)
		snprintf(out, size, "%llu-%02llu:%02llu:%02llu", d, h, m,
			 (unsigned long long)(s % 60));
	else if (h)
		snprintf(out, size, "%02llu:%02llu:%02llu", h, m,
			 (unsigned long long)(s % 60));
	else
		snprintf(out, size, "%02llu:%02llu", m,
			 (unsigned long long)(s % 60));
}

void ps_print(FILE *f, const struct ps_entry *e, size_t n)
{
	fprintf(f, "%-20s %8s %5s %7s %12s %s\n", "NAME", "PID", "CPUS",
		"MEMORY", "UPTIME", "STATE");
	for (size_t i = 0; i < n; i++) {
		char pid[24] = "-", cpus[16] = "-", mem[24] = "-", up[40] = "-";

		if (!e[i].stale) {
			if (e[i].pid)
				snprintf(pid, sizeof(pid), "%ld", e[i].pid);
			snprintf(cpus, sizeof(cpus), "%u", e[i].cpus);
			format_size(e[i].memory, mem, sizeof(mem));
			if (e[i].uptime != UINT64_MAX)
				format_uptime(e[i].uptime, up, sizeof(up));
		}
		fprintf(f, "%-20s %8s %5s %7s %12s %s\n", e[i].name, pid, cpus,
			mem, up, e[i].stale ? "stale" : e[i].state);
	}
}

void ps_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: armvm ps\n"
	    "\n"
	    "List the running VMs whose control socket is in the runtime\n"
	    "folder (named instances: /run/armvm/NAME.sock for root, else\n"
	    "$XDG_RUNTIME_DIR/armvm/NAME.sock; ARMVM_RUNTIME_DIR replaces the\n"
	    "folder): name, pid, vCPUs, memory, uptime and state (running or\n"
	    "paused), from each one's status. A socket that does not answer\n"
	    "within %d ms (its armvm was killed, or hangs) is shown as stale.\n"
	    "\n"
	    "Options:\n"
	    "  -h, --help  show this help\n",
	    PS_TIMEOUT_MS);
}

static int sock_filter(const struct dirent *d)
{
	size_t len = strlen(d->d_name);
	char name[INSTANCE_NAME_MAX + 1];

	if (len < 6 || len - 5 > INSTANCE_NAME_MAX ||
	    strcmp(d->d_name + len - 5, ".sock"))
		return 0;
	memcpy(name, d->d_name, len - 5);
	name[len - 5] = 0;
	return instance_name_valid(name);
}

static int name_sort(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int cmd_ps(int argc, char **argv)
{
	static const char req[] = "{\"command\":\"status\"}\n";
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char dir[PATH_MAX], path[PATH_MAX + 300], err[256];
	struct dirent **ents = NULL;
	struct ps_entry *list;
	size_t count = 0;
	int c, n;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			ps_usage(stdout);
			return 0;
		}
		pr_err("ps: unknown option '%s' (see armvm ps --help)",
		       argv[optind - 1]);
		return 2;
	}
	if (optind < argc) {
		pr_err("ps: unexpected argument '%s' (see armvm ps --help)",
		       argv[optind]);
		return 2;
	}
	if (runtime_dir(dir, sizeof(dir), false) < 0)
		return 1;
	n = scandir(dir, &ents, sock_filter, name_sort);
	if (n < 0 && errno != ENOENT) {
		pr_err("ps: %s: %s", dir, strerror(errno));
		return 1;
	}
	list = calloc(n > 0 ? (size_t)n : 1, sizeof(*list));
	if (!list) {
		pr_err("ps: out of memory");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		struct ps_entry *e = &list[count];
		char *reply = NULL;
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		free(ents[i]);
		if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		snprintf(e->name, sizeof(e->name), "%.*s",
			 (int)(strlen(path) - strlen(dir) - 6),
			 path + strlen(dir) + 1);
		e->stale = true;
		if (ctl_query(path, req, PS_TIMEOUT_MS, &reply, err,
			      sizeof(err)) == 0 &&
		    ps_parse_status(reply, e) < 0)
			e->stale = true;
		free(reply);
		count++;
	}
	free(ents);
	ps_print(stdout, list, count);
	free(list);
	return 0;
}
