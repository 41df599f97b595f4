// SPDX-License-Identifier: GPL-2.0
/*
 * `armvm ctl`: the control socket's command-line client (docs/control.md).
 * Portable, so that it also runs on hosts that cannot run a VM (say, to
 * drive one in the sandbox).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "vmm/control.h"
#include "vmm/instance.h"

/* Longest reply accepted (device-list of many devices fits easily). */
#define CTL_MAX_REPLY	    (16u << 20)
#define CTL_DEFAULT_TIMEOUT 120
/* How long device-del waits for the guest to release the device (Linux's
 * pciehp powers the slot off 5 s after the attention button), and balloon
 * for the guest to fill or empty the balloon. */
#define CTL_DEFAULT_WAIT 30

static void ctl_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: armvm ctl [OPTIONS] SOCKET|NAME COMMAND [KEY=VALUE | KEY:=JSON]...\n"
	    "\n"
	    "Send COMMAND to the VM serving SOCKET (armvm run --api-socket), or\n"
	    "to instance NAME (a word without '/' that is no file here: its\n"
	    "socket, see armvm instance --help), and print its result as JSON.\n"
	    "KEY=VALUE arguments: true, false, null and numbers become JSON\n"
	    "values, anything else a string; KEY:=JSON\n"
	    "gives any JSON value (id:='\"7\"' for the string \"7\").\n"
	    "\n"
	    "Commands (armvm ctl SOCKET help lists the VM's): status, pause,\n"
	    "resume, snapshot, migrate, powerdown, reset, quit, device-add,\n"
	    "device-del, device-list, balloon, balloon-info, balloon-stats.\n"
	    "  armvm ctl /run/vm.sock device-add type=block id=d1 path=/img readonly=true\n"
	    "  armvm ctl /run/vm.sock snapshot /srv/snap1 [paused=true]\n"
	    "                   (armvm run --restore /srv/snap1 resumes it)\n"
	    "  armvm ctl /run/vm.sock migrate tcp:HOST:PORT [downtime=MS]\n"
	    "                   (to armvm run --incoming tcp:HOST:PORT; a host\n"
	    "                   name is resolved here; a big guest on a slow\n"
	    "                   link may need --timeout 0)\n"
	    "\n"
	    "Options:\n"
	    "  --raw            print the reply line exactly as received\n"
	    "  --timeout SECS   wait at most SECS for the reply (default %d; 0: no limit)\n"
	    "  --wait SECS      device-del: wait at most SECS until the guest released\n"
	    "                   the device (default %d; 0: return at once, \"removing\");\n"
	    "                   balloon: until the guest's balloon reached its size\n"
	    "  --line TEXT      send TEXT as the request line, as it is (no COMMAND)\n"
	    "  -h, --help       show this help\n"
	    "\n"
	    "Exit status: 0 ok, 1 the VM replied with an error, 2 usage or\n"
	    "connection error.\n",
	    CTL_DEFAULT_TIMEOUT, CTL_DEFAULT_WAIT);
}

/* A JSON number, exactly (RFC 8259 section 6): no leading zeros, no '+'. */
static bool ctl_is_number(const char *s, bool *integer)
{
	*integer = true;
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return false;
	if (*s == '.') {
		*integer = false;
		if (!(*++s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		*integer = false;
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/* VALUE of KEY=VALUE as JSON in *out (NULL is JSON null); false: no memory. */
static bool ctl_guess_value(const char *v, json_object **out)
{
	bool integer;

	*out = NULL;
	if (!strcmp(v, "null"))
		return true;
	if (!strcmp(v, "true") || !strcmp(v, "false")) {
		*out = json_object_new_boolean(v[0] == 't');
	} else if (ctl_is_number(v, &integer)) {
		char *end;

		errno = 0;
		if (integer) {
			long long i = strtoll(v, &end, 10);

			if (!errno && !*end)
				*out = json_object_new_int64(i);
		} else {
			double d = strtod(v, &end);

			if (!errno && !*end)
				*out = json_object_new_double(d);
		}
		/* Out of range (a 30-digit id?): keep the digits, below. */
	}
	if (!*out)
		*out = json_object_new_string(v);
	return *out != NULL;
}

/* Exactly one strict JSON value (the terminating NUL ends numbers and
 * makes trailing data an error). NULL with *why set on failure; NULL with
 * *why NULL is a JSON null. */
static json_object *ctl_parse_json(const char *s, const char **why)
{
	struct json_tokener *tok = json_tokener_new_ex(CONTROL_MAX_DEPTH);
	enum json_tokener_error e;
	json_object *v;

	*why = NULL;
	if (!tok) {
		*why = "out of memory";
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					JSON_TOKENER_VALIDATE_UTF8);
	v = json_tokener_parse_ex(tok, s, (int)strlen(s) + 1);
	e = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (e != json_tokener_success) {
		json_object_put(v);
		*why = json_tokener_error_desc(e);
		return NULL;
	}
	return v;
}

/*
 * `migrate tcp:HOST:PORT`: armvm connects from a confined thread that
 * takes IP addresses only (vmm/migrate.c), so a host name is resolved here,
 * to its first address. Anything else is passed on as it is.
 */
static json_object *ctl_migrate_addr(const char *addr, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	char host[256], ip[INET6_ADDRSTRLEN], out[320];
	const char *port = strrchr(addr, ':');
	size_t hlen;
	int rc;

	if (strncmp(addr, "tcp:", 4) || addr[4] == '[' || !port ||
	    port == addr + 3)
		return json_object_new_string(addr);
	hlen = (size_t)(port - (addr + 4));
	if (hlen >= sizeof(host))
		return json_object_new_string(addr);
	memcpy(host, addr + 4, hlen);
	host[hlen] = '\0';
	hints.ai_flags = AI_NUMERICHOST;
	if (!hlen || getaddrinfo(host, NULL, &hints, &res) == 0) {
		if (res)
			freeaddrinfo(res);
		return json_object_new_string(addr);
	}
	hints.ai_flags = 0;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc) {
		set_err(err, errlen, "%s: cannot resolve %s: %s", addr, host,
			gai_strerror(rc));
		return NULL;
	}
	if (res->ai_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, ip,
			  sizeof(ip));
	else
		inet_ntop(AF_INET,
			  &((struct sockaddr_in *)res->ai_addr)->sin_addr, ip,
			  sizeof(ip));
	snprintf(out, sizeof(out),
		 res->ai_family == AF_INET6 ? "tcp:[%s]%s" : "tcp:%s%s", ip,
		 port);
	freeaddrinfo(res);
	return json_object_new_string(out);
}

json_object *ctl_make_request(const char *command, int argc, char **argv,
			      char *err, size_t errlen)
{
	json_object *req = NULL, *args = NULL, *v;
	char key[128];

	if (!command || !command[0]) {
		set_err(err, errlen, "empty command");
		return NULL;
	}
	req = json_object_new_object();
	args = json_object_new_object();
	if (!req || !args)
		goto nomem;
	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t klen = eq ? (size_t)(eq - argv[i]) : 0;
		bool raw = klen && argv[i][klen - 1] == ':';

		/* `snapshot DIR`, `migrate ADDR`: the one argument the
		 * command needs, given bare (a path may itself hold a '='). */
		if (i == 0 && !strcmp(command, "snapshot") &&
		    strncmp(argv[i], "dir=", 4) &&
		    strncmp(argv[i], "paused=", 7)) {
			json_object_object_add(args, "dir",
					       json_object_new_string(argv[i]));
			continue;
		}
		if (i == 0 && !strcmp(command, "migrate") &&
		    (!strncmp(argv[i], "unix:", 5) ||
		     !strncmp(argv[i], "tcp:", 4))) {
			v = ctl_migrate_addr(argv[i], err, errlen);
			if (!v)
				goto fail;
			json_object_object_add(args, "addr", v);
			continue;
		}
		if (raw)
			klen--;
		if (!eq || !klen) {
			set_err(err, errlen,
				"'%.64s': arguments are KEY=VALUE or KEY:=JSON",
				argv[i]);
			goto fail;
		}
		if (klen >= sizeof(key)) {
			set_err(err, errlen, "'%.64s...': key too long",
				argv[i]);
			goto fail;
		}
		memcpy(key, argv[i], klen);
		key[klen] = '\0';
		if (json_object_object_get_ex(args, key, NULL)) {
			set_err(err, errlen, "'%s' given twice", key);
			goto fail;
		}
		if (raw) {
			const char *why;

			v = ctl_parse_json(eq + 1, &why);
			if (why) {
				set_err(err, errlen, "'%s': not JSON: %s", key,
					why);
				goto fail;
			}
			/* v is NULL for a JSON null: a valid value. */
		} else {
			if (!ctl_guess_value(eq + 1, &v))
				goto nomem;
		}
		if (json_object_object_add(args, key, v)) {
			json_object_put(v);
			goto nomem;
		}
	}
	json_object_object_add(req, "command", json_object_new_string(command));
	if (json_object_object_length(args))
		json_object_object_add(req, "arguments", args);
	else
		json_object_put(args);
	return req;
nomem:
	set_err(err, errlen, "out of memory");
fail:
	json_object_put(args);
	json_object_put(req);
	return NULL;
}

static int ctl_connect(const char *path, unsigned int timeout)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = timeout};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		pr_err("ctl: %s: cannot connect: path too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		pr_err("ctl: socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		pr_err("ctl: %s: cannot connect: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (timeout)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static bool ctl_send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

#define ctl_report(report, ...)              \
	do {                                 \
		if (report)                  \
			pr_err(__VA_ARGS__); \
	} while (0)

/* Read the first line. Returns it (malloc'd, no newline) or NULL, after
 * pr_err when report is set. */
static char *ctl_read_line(int fd, const char *path, bool report)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nl;

	if (!buf) {
		ctl_report(report, "ctl: out of memory");
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *b;

			if (cap >= CTL_MAX_REPLY) {
				ctl_report(
				    report,
				    "ctl: %s: reply longer than %u bytes", path,
				    CTL_MAX_REPLY);
				break;
			}
			b = realloc(buf, cap * 2);
			if (!b) {
				ctl_report(report, "ctl: out of memory");
				break;
			}
			buf = b;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ctl_report(report, "ctl: %s: no reply in time", path);
			break;
		}
		if (n < 0) {
			ctl_report(report, "ctl: %s: %s", path,
				   strerror(errno));
			break;
		}
		if (n == 0) {
			ctl_report(report,
				   "ctl: %s: connection closed before a reply",
				   path);
			break;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl) {
			*nl = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

/* Is there a device with this id in a device-list reply? */
static bool ctl_listed(json_object *reply, const char *id)
{
	json_object *result, *devs, *d, *v;

	if (!json_object_object_get_ex(reply, "result", &result) ||
	    !json_object_object_get_ex(result, "devices", &devs) ||
	    !json_object_is_type(devs, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		d = json_object_array_get_idx(devs, i);
		if (json_object_object_get_ex(d, "id", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    !strcmp(json_object_get_string(v), id))
			return true;
	}
	return false;
}

/* One request line on a new connection: the parsed reply, or NULL after
 * a message. */
static json_object *ctl_ask(const char *path, unsigned long timeout,
			    const char *req)
{
	json_object *reply;
	char *buf = NULL;
	int fd = ctl_connect(path, (unsigned int)timeout);

	if (fd < 0)
		return NULL;
	if (ctl_send_all(fd, req, strlen(req)))
		buf = ctl_read_line(fd, path, true);
	else
		pr_err("ctl: %s: cannot send: %s", path, strerror(errno));
	close(fd);
	if (!buf)
		return NULL;
	reply = json_tokener_parse(buf);
	free(buf);
	if (!reply)
		pr_err("ctl: %s: not an armvm control reply", path);
	return reply;
}

static unsigned long ctl_elapsed(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (unsigned long)(t.tv_sec - t0->tv_sec);
}

/*
 * device-del returns at once, the device "removing" (the VM's control
 * thread never waits for a guest); the client waits instead, asking
 * device-list until the id is gone. Returns 0 when it is, 1 when it is
 * still there after wait seconds, 2 on a connection error.
 */
static int ctl_wait_removed(const char *path, const char *id,
			    unsigned long timeout, unsigned long wait)
{
	static const char req[] = "{\"command\":\"device-list\"}\n";
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		json_object *reply = ctl_ask(path, timeout, req);
		bool listed;

		if (!reply)
			return 2;
		listed = ctl_listed(reply, id);
		json_object_put(reply);
		if (!listed)
			return 0;
		if (ctl_elapsed(&t0) >= wait)
			return 1;
		usleep(200 * 1000);
	}
}

static int64_t ctl_member_int(json_object *o, const char *key)
{
	json_object *v;

	if (o && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	return -1;
}

static bool ctl_member_true(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) &&
	       json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

/*
 * balloon returns at once too; the client asks balloon-info until the
 * guest's driver reports the balloon at its target (actual), then puts
 * that in result. 0 when it is (or no driver runs: nothing to wait for),
 * 1 when it is not after wait seconds, 2 on a connection error.
 */
static int ctl_wait_balloon(const char *path, json_object *result,
			    unsigned long timeout, unsigned long wait)
{
	static const char req[] = "{\"command\":\"balloon-info\"}\n";
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		json_object *reply = ctl_ask(path, timeout, req), *r = NULL;
		int64_t target, actual;
		bool driver;

		if (!reply)
			return 2;
		if (!json_object_object_get_ex(reply, "result", &r))
			r = NULL;
		target = ctl_member_int(r, "target");
		actual = ctl_member_int(r, "actual");
		driver = ctl_member_true(r, "driver");
		json_object_put(reply);
		if (actual >= 0)
			json_object_object_add(result, "actual",
					       json_object_new_int64(actual));
		if (!driver || target < 0 || actual == target)
			return 0;
		if (ctl_elapsed(&t0) >= wait) {
			pr_err("ctl: balloon: after %lu s the guest's balloon "
			       "holds %lld MiB of the %lld MiB asked for (the "
			       "guest may be short of free memory; it goes on "
			       "trying, balloon-info shows how far)",
			       wait, (long long)(actual >> 20),
			       (long long)(target >> 20));
			return 1;
		}
		usleep(200 * 1000);
	}
}

/*
 * SOCKET or NAME: a word without '/' that names an instance is that
 * instance's socket (vmm/instance.h), unless a file of that name is in the
 * current folder (`armvm ctl vm.sock ...` as before); anything else is a
 * path. NULL after a message.
 */
static const char *ctl_target(const char *arg, char *sock, size_t size)
{
	if (strchr(arg, '/') || !instance_name_valid(arg) ||
	    access(arg, F_OK) == 0)
		return arg;
	return instance_socket(arg, sock, size, false) == 0 ? sock : NULL;
}

int cmd_ctl(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"raw", no_argument, NULL, 'r'},
	    {"line", required_argument, NULL, 'l'},
	    {"timeout", required_argument, NULL, 't'},
	    {"wait", required_argument, NULL, 'w'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	unsigned long timeout = CTL_DEFAULT_TIMEOUT, wait = CTL_DEFAULT_WAIT;
	bool raw = false;
	const char *path, *command, *line, *verbatim = NULL;
	json_object *req, *reply = NULL, *ok, *v;
	char err[256], *buf = NULL, *msg = NULL, sock[PATH_MAX];
	int c, fd, rc = 2;

	optind = 1;
	/* '+': the command's KEY=VALUE arguments are not options. */
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			raw = true;
			break;
		case 'l':
			/* Send this line as it is (scripts, and tests that
			 * give the VM a malformed request). */
			verbatim = optarg;
			break;
		case 't':
		case 'w':
			if (!parse_uint(optarg, 0, 86400,
					c == 't' ? &timeout : &wait)) {
				pr_err(
				    "ctl: --%s: '%s' is not a number of seconds (0-86400)",
				    c == 't' ? "timeout" : "wait", optarg);
				return 2;
			}
			break;
		case 'h':
			ctl_usage(stdout);
			return 0;
		case ':':
			pr_err("ctl: %s needs a value", argv[optind - 1]);
			return 2;
		default:
			pr_err(
			    "ctl: unknown option '%s' (see armvm ctl --help)",
			    argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind < (verbatim ? 1 : 2)) {
		ctl_usage(stderr);
		return 2;
	}
	path = ctl_target(argv[optind], sock, sizeof(sock));
	if (!path)
		return 2;
	command = verbatim ? "request" : argv[optind + 1];
	req = verbatim ? json_object_new_object()
		       : ctl_make_request(command, argc - optind - 2,
					  argv + optind + 2, err, sizeof(err));
	if (!req) {
		pr_err("ctl: %s", err);
		return 2;
	}
	fd = ctl_connect(path, (unsigned int)timeout);
	if (fd < 0) {
		json_object_put(req);
		return 2;
	}
	line = verbatim ? verbatim
			: json_object_to_json_string_ext(
			      req, JSON_C_TO_STRING_PLAIN |
				       JSON_C_TO_STRING_NOSLASHESCAPE);
	/* One write: a server that reads one line and closes (tests) sees
	 * all of it. */
	if (asprintf(&msg, "%s\n", line) < 0) {
		msg = NULL;
		pr_err("ctl: out of memory");
		goto out;
	}
	if (!ctl_send_all(fd, msg, strlen(msg))) {
		int e = errno;

		/* The server may have said why before it closed (too many
		 * clients): that reply is still there to read. */
		buf = ctl_read_line(fd, path, false);
		if (!buf) {
			pr_err("ctl: %s: cannot send: %s", path, strerror(e));
			goto out;
		}
	} else {
		buf = ctl_read_line(fd, path, true);
		if (!buf)
			goto out;
	}
	reply = json_tokener_parse(buf);
	if (!reply || !json_object_is_type(reply, json_type_object) ||
	    !json_object_object_get_ex(reply, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		pr_err("ctl: %s: not an armvm control reply: %.80s", path, buf);
		goto out;
	}
	rc = json_object_get_boolean(ok) ? 0 : 1;
	if (rc == 0 && !raw && wait && !strcmp(command, "device-del") &&
	    json_object_object_get_ex(reply, "result", &v) &&
	    json_object_object_get_ex(v, "state", &ok) &&
	    !strcmp(json_object_get_string(ok), "removing") &&
	    json_object_object_get_ex(v, "id", &ok)) {
		const char *id = json_object_get_string(ok);

		switch (ctl_wait_removed(path, id, timeout, wait)) {
		case 0:
			json_object_object_add(
			    v, "state", json_object_new_string("removed"));
			break;
		case 1:
			pr_err(
			    "ctl: device-del: device '%s': the guest did not release it within %lu s; the attention button stays pressed and the device goes when the guest powers its slot off (device-list shows it removing)",
			    id, wait);
			rc = 1;
			goto out;
		default:
			rc = 2;
			goto out;
		}
	}
	if (rc == 0 && !raw && wait && !strcmp(command, "balloon") &&
	    json_object_object_get_ex(reply, "result", &v) &&
	    ctl_member_true(v, "driver") &&
	    ctl_member_int(v, "target") != ctl_member_int(v, "actual")) {
		rc = ctl_wait_balloon(path, v, timeout, wait);
		if (rc)
			goto out;
	}
	if (raw) {
		printf("%s\n", buf);
	} else if (rc == 0) {
		if (!json_object_object_get_ex(reply, "result", &v))
			v = NULL;
		printf("%s\n", v ? json_object_to_json_string_ext(
				       v, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_SPACED |
					      JSON_C_TO_STRING_NOSLASHESCAPE)
				 : "{}");
	} else {
		if (!json_object_object_get_ex(reply, "error", &v) ||
		    !json_object_is_type(v, json_type_string))
			v = NULL;
		pr_err("ctl: %s: %s", command,
		       v ? json_object_get_string(v) : "failed");
	}
	fflush(stdout);
out:
	free(msg);
	free(buf);
	json_object_put(reply);
	json_object_put(req);
	close(fd);
	return rc;
}
