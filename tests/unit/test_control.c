// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the control socket (vmm/control.c) with stub handlers and
 * real socket clients, and of `armvm ctl` (vmm/ctl.c). SIGPIPE is left at
 * its default on purpose: a server write to a vanished client that raised
 * it would kill this test.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "vmm/control.h"
#include "tests/unit/check.h"

static char ctl_dir[64];
static char ctl_path[128];
static int ctl_calls; /* handler calls, on the listener thread */
static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;

static void ctl_count(void)
{
	pthread_mutex_lock(&ctl_lock);
	ctl_calls++;
	pthread_mutex_unlock(&ctl_lock);
}

static int ctl_calls_now(void)
{
	int n;

	pthread_mutex_lock(&ctl_lock);
	n = ctl_calls;
	pthread_mutex_unlock(&ctl_lock);
	return n;
}

static void ctl_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* --- Stub handlers ------------------------------------------------------ */

static int h_status(void *opaque, json_object *args, json_object **result,
		    char *err, size_t errlen)
{
	ctl_count();
	*result = json_object_new_object();
	json_object_object_add(*result, "state",
			       json_object_new_string((const char *)opaque));
	return 0;
}

static int h_echo(void *opaque, json_object *args, json_object **result,
		  char *err, size_t errlen)
{
	ctl_count();
	*result = json_object_get(args);
	return 0;
}

static int h_fail(void *opaque, json_object *args, json_object **result,
		  char *err, size_t errlen)
{
	ctl_count();
	snprintf(err, errlen, "it failed");
	/* A result left behind on failure is freed, not sent. */
	*result = json_object_new_string("leak?");
	return -1;
}

static int h_fail_silent(void *opaque, json_object *args, json_object **result,
			 char *err, size_t errlen)
{
	ctl_count();
	return -1;
}

static int h_nothing(void *opaque, json_object *args, json_object **result,
		     char *err, size_t errlen)
{
	ctl_count();
	return 0;
}

/* A device-add look-alike using the argument helpers. */
static int h_typed(void *opaque, json_object *args, json_object **result,
		   char *err, size_t errlen)
{
	static const char *const names[] = {"type", "id", "readonly", "size",
					    NULL};
	const char *type = NULL, *id = NULL;
	bool ro = false;
	uint64_t size = 7;

	ctl_count();
	if (control_check_args(args, names, err, errlen) ||
	    control_arg_string(args, "type", true, &type, err, errlen) ||
	    control_arg_string(args, "id", true, &id, err, errlen) ||
	    control_arg_bool(args, "readonly", false, &ro, err, errlen) ||
	    control_arg_uint(args, "size", false, 1000, &size, err, errlen))
		return -1;
	*result = json_object_new_object();
	json_object_object_add(*result, "type", json_object_new_string(type));
	json_object_object_add(*result, "id", json_object_new_string(id));
	json_object_object_add(*result, "readonly",
			       json_object_new_boolean(ro));
	json_object_object_add(*result, "size",
			       json_object_new_int64((int64_t)size));
	return 0;
}

/* 1 MiB reply: larger than a socket buffer. */
static int h_big(void *opaque, json_object *args, json_object **result,
		 char *err, size_t errlen)
{
	static char blob[1 << 20];

	ctl_count();
	memset(blob, 'x', sizeof(blob) - 1);
	*result = json_object_new_object();
	json_object_object_add(*result, "blob", json_object_new_string(blob));
	return 0;
}

static int h_slow(void *opaque, json_object *args, json_object **result,
		  char *err, size_t errlen)
{
	ctl_count();
	ctl_sleep_ms(300);
	return 0;
}

/* A balloon look-alike for armvm ctl's wait: balloon sets a target, and
 * each balloon-info finds the guest half-way closer to it (never, when
 * stuck). */
static int64_t bal_target, bal_actual;
static bool bal_stuck, bal_driver = true;

static json_object *bal_result(void)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "target", json_object_new_int64(bal_target));
	json_object_object_add(r, "actual", json_object_new_int64(bal_actual));
	json_object_object_add(r, "driver",
			       json_object_new_boolean(bal_driver));
	return r;
}

static int h_balloon(void *opaque, json_object *args, json_object **result,
		     char *err, size_t errlen)
{
	uint64_t size;

	ctl_count();
	if (control_arg_size(args, "size", true, &size, err, errlen))
		return -1;
	pthread_mutex_lock(&ctl_lock);
	bal_target = (int64_t)size;
	*result = bal_result();
	pthread_mutex_unlock(&ctl_lock);
	return 0;
}

static int h_balloon_info(void *opaque, json_object *args, json_object **result,
			  char *err, size_t errlen)
{
	ctl_count();
	pthread_mutex_lock(&ctl_lock);
	if (!bal_stuck)
		bal_actual += (bal_target - bal_actual + 1) / 2;
	*result = bal_result();
	pthread_mutex_unlock(&ctl_lock);
	return 0;
}

static const struct control_command ctl_cmds[] = {
    {"status", h_status, "the VM's state"},
    {"echo", h_echo, "the arguments back"},
    {"fail", h_fail, "fails"},
    {"fail-silent", h_fail_silent, NULL},
    {"nothing", h_nothing, "no result"},
    {"typed", h_typed, "typed arguments"},
    {"big", h_big, "a big reply"},
    {"slow", h_slow, "takes 300 ms"},
    {"balloon", h_balloon, "a balloon's target"},
    {"balloon-info", h_balloon_info, "a balloon on its way"},
};

static struct control_server *ctl_start(void)
{
	return control_start(ctl_path, ctl_cmds, ARRAY_SIZE(ctl_cmds),
			     (void *)"running");
}

/* --- A test client ---------------------------------------------------- */

struct tclient {
	int fd;
	char *buf;
	size_t len, cap;
};

static bool tc_connect(struct tclient *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memset(c, 0, sizeof(*c));
	strcpy(sa.sun_path, ctl_path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return false;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(c->fd);
		c->fd = -1;
		return false;
	}
	return true;
}

static void tc_close(struct tclient *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static bool tc_send(struct tclient *c, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static bool tc_sends(struct tclient *c, const char *s)
{
	return tc_send(c, s, strlen(s));
}

/*
 * The next reply line (malloc'd, no newline), or NULL on end of stream or
 * after 5 s. *eof tells the two apart.
 */
static char *tc_line(struct tclient *c, bool *eof)
{
	struct timespec t0, t;

	if (eof)
		*eof = false;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - c->buf);
			char *line = malloc(l + 1);

			memcpy(line, c->buf, l);
			line[l] = '\0';
			c->len -= l + 1;
			memmove(c->buf, nl + 1, c->len);
			return line;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5)
			return NULL;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? c->cap * 2 : 131072;
			c->buf = realloc(c->buf, c->cap);
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n <= 0) {
			if (eof)
				*eof = true;
			return NULL;
		}
		c->len += (size_t)n;
	}
}

/* Send one request line and parse its reply (NULL: none). */
static json_object *tc_call(struct tclient *c, const char *req)
{
	char *line;
	json_object *r;

	if (!tc_sends(c, req) || !tc_sends(c, "\n"))
		return NULL;
	line = tc_line(c, NULL);
	if (!line)
		return NULL;
	r = json_tokener_parse(line);
	free(line);
	return r;
}

static bool reply_ok(json_object *r)
{
	json_object *ok;

	return r && json_object_object_get_ex(r, "ok", &ok) &&
	       json_object_is_type(ok, json_type_boolean) &&
	       json_object_get_boolean(ok) &&
	       json_object_object_length(r) == 2 &&
	       json_object_object_get_ex(r, "result", NULL);
}

/* The reply's error message ("" if it is no error reply). */
static const char *reply_error(json_object *r)
{
	json_object *ok, *e;

	if (r && json_object_object_get_ex(r, "ok", &ok) &&
	    json_object_is_type(ok, json_type_boolean) &&
	    !json_object_get_boolean(ok) &&
	    json_object_object_get_ex(r, "error", &e) &&
	    json_object_is_type(e, json_type_string) &&
	    json_object_object_length(r) == 2)
		return json_object_get_string(e);
	return "";
}

static json_object *result_of(json_object *r)
{
	json_object *v = NULL;

	if (r)
		json_object_object_get_ex(r, "result", &v);
	return v;
}

/* Does an error reply to req contain want? */
static bool call_fails_with(struct tclient *c, const char *req,
			    const char *want)
{
	json_object *r = tc_call(c, req);
	bool ok = strstr(reply_error(r), want) != NULL;

	if (!ok)
		fprintf(stderr, "request %.80s: reply %s (wanted '%s')\n", req,
			r ? json_object_to_json_string(r) : "none", want);
	json_object_put(r);
	return ok;
}

static bool status_works(struct tclient *c)
{
	json_object *r = tc_call(c, "{\"command\":\"status\"}");
	json_object *st;
	bool ok = reply_ok(r) &&
		  json_object_object_get_ex(result_of(r), "state", &st) &&
		  !strcmp(json_object_get_string(st), "running");

	json_object_put(r);
	return ok;
}

/* --- Parsing ------------------------------------------------------------ */

static bool parse_fails(const char *line, size_t len, const char *want)
{
	const char *cmd = (const char *)1;
	json_object *args = (json_object *)1;
	char err[256] = "";
	int rc =
	    control_parse_request(line, len, &cmd, &args, err, sizeof(err));

	if (rc == 0)
		json_object_put(args);
	if (rc != -1 || cmd || args || !strstr(err, want)) {
		fprintf(stderr, "parse %.60s: rc %d err '%s' (wanted '%s')\n",
			line, rc, err, want);
		return false;
	}
	return true;
}

#define PARSE_FAILS(s, want) CHECK(parse_fails((s), sizeof(s) - 1, (want)))

static void parse_request(void)
{
	const char *cmd;
	json_object *args, *v;
	char err[256];
	static const char full[] =
	    " {\"command\": \"device-add\", \"arguments\": "
	    "{\"type\": \"block\", \"readonly\": true}} \r\n";

	CHECK_EQ(control_parse_request(full, sizeof(full) - 1, &cmd, &args, err,
				       sizeof(err)),
		 0);
	CHECK_STR(cmd, "device-add");
	CHECK(json_object_is_type(args, json_type_object));
	CHECK(json_object_object_get_ex(args, "readonly", &v) &&
	      json_object_get_boolean(v));
	json_object_put(args); /* frees cmd too (ASan/valgrind-checked) */

	CHECK_EQ(control_parse_request("{\"command\":\"status\"}", 20, &cmd,
				       &args, err, sizeof(err)),
		 0);
	CHECK_STR(cmd, "status");
	CHECK(json_object_is_type(args, json_type_object) &&
	      json_object_object_length(args) == 0);
	json_object_put(args);

	PARSE_FAILS("", "must be a JSON object");
	PARSE_FAILS("   ", "must be a JSON object");
	PARSE_FAILS("garbage", "must be a JSON object");
	PARSE_FAILS("[1,2]", "must be a JSON object");
	PARSE_FAILS("\"status\"", "must be a JSON object");
	PARSE_FAILS("42", "must be a JSON object");
	PARSE_FAILS("null", "must be a JSON object");
	PARSE_FAILS("{", "invalid JSON");
	PARSE_FAILS("{\"command\":\"status\"", "invalid JSON");
	PARSE_FAILS("{\"command\":'status'}", "invalid JSON");
	PARSE_FAILS("{\"command\":\"status\",}", "invalid JSON");
	PARSE_FAILS("{\"command\":\"status\"} {}", "data after");
	PARSE_FAILS("{\"command\":\"status\"}x", "data after");
	PARSE_FAILS("{}", "missing \"command\"");
	PARSE_FAILS("{\"arguments\":{}}", "missing \"command\"");
	PARSE_FAILS("{\"command\":1}", "\"command\" must be a string");
	PARSE_FAILS("{\"command\":null}", "\"command\" must be a string");
	PARSE_FAILS("{\"command\":[\"status\"]}",
		    "\"command\" must be a string");
	PARSE_FAILS("{\"command\":\"x\",\"arguments\":[]}",
		    "\"arguments\" must be an object");
	PARSE_FAILS("{\"command\":\"x\",\"arguments\":\"a=b\"}",
		    "\"arguments\" must be an object");
	PARSE_FAILS("{\"command\":\"device-add\",\"type\":\"block\"}",
		    "unknown member 'type'");
	PARSE_FAILS("{\"command\":\"sta\\u0000tus\"}", "NUL");
	PARSE_FAILS("{\"command\":\"x\",\"arguments\":{\"p\":[\"a\\u0000\"]}}",
		    "NUL");
	PARSE_FAILS("{\"command\":\"st\0atus\"}", "NUL byte");
	PARSE_FAILS("{\"command\":\"\xff\xfe\"}", "not UTF-8");
	PARSE_FAILS("{\"command\":\"x\",\"arguments\":{\"a\":NaN}}",
		    "non-finite");
	PARSE_FAILS("{\"command\":\"x\",\"arguments\":{\"a\":[-Infinity]}}",
		    "non-finite");
	PARSE_FAILS("{\"command\":\"\xc0\xaf\"}", "not UTF-8");
	PARSE_FAILS("{\"command\":\"\xed\xa0\x80\"}", "not UTF-8");
	PARSE_FAILS("{\"command\":\"\xf4\x90\x80\x80\"}", "not UTF-8");
	PARSE_FAILS("{\"command\":\"\xe2\x82\"}", "not UTF-8");
	PARSE_FAILS("{\"command\":\"x\"}\xe2", "not UTF-8");
	/* Depth is bounded (json-c would otherwise recurse on free). */
	{
		char deep[256] = "{\"command\":\"x\",\"arguments\":{\"a\":";
		size_t l = strlen(deep);

		for (int i = 0; i < 40; i++)
			deep[l++] = '[';
		for (int i = 0; i < 40; i++)
			deep[l++] = ']';
		deep[l++] = '}';
		deep[l++] = '}';
		deep[l] = '\0';
		CHECK(parse_fails(deep, l, "invalid JSON"));
	}
	/* Too long for the socket is too long here too. */
	{
		size_t n = CONTROL_MAX_LINE + 2;
		char *big = malloc(n);

		memset(big, ' ', n);
		memcpy(big, "{\"command\":\"status\"}", 20);
		CHECK(parse_fails(big, n, "longer than"));
		free(big);
	}
}

/* --- The socket --------------------------------------------------------- */

static void socket_permissions(void)
{
	struct control_server *s, *s2;
	struct stat st;
	int fd;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char longpath[200];

	/* Even under a permissive umask the socket is owner-only. */
	mode_t old = umask(0);

	s = ctl_start();
	CHECK_EQ(umask(old), 0); /* and the umask is restored */
	CHECK(s != NULL);
	CHECK_EQ(lstat(ctl_path, &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_EQ(st.st_mode & 0777, 0600);

	/* Someone serves it: refused, and it keeps working. */
	CHECK(ctl_start() == NULL);
	CHECK_EQ(lstat(ctl_path, &st), 0);
	control_stop(s);
	CHECK(lstat(ctl_path, &st) < 0 && errno == ENOENT);

	/* A stale socket (its server died without removing it) is replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, ctl_path);
	CHECK_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	s = ctl_start();
	CHECK(s != NULL);
	control_stop(s);

	/* Anything that is not a socket is left alone. */
	fd = open(ctl_path, O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "data", 4), 4);
	close(fd);
	CHECK(ctl_start() == NULL);
	CHECK_EQ(lstat(ctl_path, &st), 0);
	CHECK(S_ISREG(st.st_mode) && st.st_size == 4);
	unlink(ctl_path);
	CHECK_EQ(symlink("/nonexistent", ctl_path), 0);
	CHECK(ctl_start() == NULL);
	CHECK_EQ(lstat(ctl_path, &st), 0);
	CHECK(S_ISLNK(st.st_mode));
	unlink(ctl_path);

	/* Paths sockaddr_un cannot hold, and a missing directory. */
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK(control_start(longpath, ctl_cmds, 1, NULL) == NULL);
	CHECK(control_start("", ctl_cmds, 1, NULL) == NULL);
	CHECK(control_start("/nonexistent/dir/sock", ctl_cmds, 1, NULL) ==
	      NULL);

	/* Stop removes only its own socket: a replacement stays. */
	s = ctl_start();
	s2 = NULL;
	unlink(ctl_path);
	fd = open(ctl_path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	control_stop(s);
	CHECK_EQ(lstat(ctl_path, &st), 0);
	unlink(ctl_path);
	control_stop(s2); /* NULL is fine */
}

/* Another user who can reach the socket (its mode loosened) is refused
 * (SO_PEERCRED); armvm's own user still gets served. Needs root to
 * connect as someone else. */
static void other_users_refused(void)
{
	struct control_server *s;
	struct tclient c;
	pid_t pid;
	int st = -1;

	if (geteuid() != 0) {
		printf("# not root: cannot connect as another user here\n");
		return;
	}
	s = ctl_start();
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ(chmod(ctl_dir, 0711), 0);
	CHECK_EQ(chmod(ctl_path, 0666), 0);
	pid = fork();
	if (pid == 0) {
		bool eof = false;
		char *line;

		if (setgid(65534) || setuid(65534) || !tc_connect(&c))
			_exit(2);
		line = tc_line(&c, NULL);
		if (!line || !strstr(line, "permission denied"))
			_exit(3);
		/* ... and the connection is closed. */
		tc_sends(&c, "{\"command\":\"status\"}\n");
		_exit(tc_line(&c, &eof) == NULL && eof ? 0 : 4);
	}
	CHECK(pid > 0);
	if (pid > 0)
		waitpid(pid, &st, 0);
	CHECK_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
	chmod(ctl_dir, 0700);
	CHECK(tc_connect(&c));
	CHECK(status_works(&c));
	tc_close(&c);
	control_stop(s);
}

static void commands(void)
{
	struct control_server *s = ctl_start();
	struct tclient c;
	json_object *r, *v, *list;
	int calls;

	CHECK(s != NULL);
	CHECK(tc_connect(&c));
	CHECK(status_works(&c));

	/* help: built in, every command with its help line. */
	r = tc_call(&c, "{\"command\":\"help\"}");
	CHECK(reply_ok(r));
	CHECK(json_object_object_get_ex(result_of(r), "commands", &list));
	CHECK_EQ(json_object_array_length(list), ARRAY_SIZE(ctl_cmds) + 1);
	v = json_object_array_get_idx(list, 1);
	CHECK(v && json_object_object_get_ex(v, "name", &v) &&
	      !strcmp(json_object_get_string(v), "status"));
	json_object_put(r);
	CHECK(call_fails_with(&c,
			      "{\"command\":\"help\",\"arguments\":{\"a\":1}}",
			      "help takes no arguments"));

	/* Arguments reach the handler; results come back. */
	r = tc_call(&c, "{\"command\":\"echo\",\"arguments\":{\"a\":[1,{\"b\":"
			"\"\xc3\xa9/\"}],\"n\":-3}}");
	CHECK(reply_ok(r));
	CHECK_STR(json_object_to_json_string_ext(
		      result_of(r),
		      JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		  "{\"a\":[1,{\"b\":\"\xc3\xa9/\"}],\"n\":-3}");
	json_object_put(r);

	/* No result: {}. */
	r = tc_call(&c, "{\"command\":\"nothing\"}");
	CHECK(reply_ok(r) &&
	      json_object_is_type(result_of(r), json_type_object) &&
	      json_object_object_length(result_of(r)) == 0);
	json_object_put(r);

	/* Handler errors. */
	CHECK(call_fails_with(&c, "{\"command\":\"fail\"}", "it failed"));
	CHECK(call_fails_with(&c, "{\"command\":\"fail-silent\"}",
			      "command failed"));

	/* Unknown commands reach no handler. */
	calls = ctl_calls_now();
	CHECK(call_fails_with(&c, "{\"command\":\"statu\"}",
			      "unknown command 'statu'"));
	CHECK(call_fails_with(&c, "{\"command\":\"\"}", "unknown command ''"));
	/* Long names are quoted in part, never cutting a character. */
	{
		char req[256] = "{\"command\":\"a";

		for (int i = 0; i < 40; i++)
			strcat(req, "\xc3\xa9");
		strcat(req, "\"}");
		r = tc_call(&c, req);
		CHECK(strstr(reply_error(r), "unknown command 'a\xc3\xa9"));
		CHECK(strstr(reply_error(r), "\xc3\xa9' (see"));
		json_object_put(r);
	}
	CHECK_EQ(ctl_calls_now(), calls);

	/* Several requests in one write, CRLF, blank lines: in order. */
	CHECK(tc_sends(&c, "\n  \r\n{\"command\":\"fail\"}\r\n"
			   "{\"command\":\"status\"}\n\n"
			   "{\"command\":\"echo\",\"arguments\":{\"i\":2}}\n"));
	{
		char *l1 = tc_line(&c, NULL), *l2 = tc_line(&c, NULL),
		     *l3 = tc_line(&c, NULL);

		CHECK(l1 && strstr(l1, "it failed"));
		CHECK(l2 && strstr(l2, "running"));
		CHECK(l3 && !strcmp(l3, "{\"ok\":true,\"result\":{\"i\":2}}"));
		free(l1);
		free(l2);
		free(l3);
	}
	/* Requests split anywhere across writes, even byte by byte. */
	{
		static const char req[] = "{\"command\":\"status\"}\n{\"comm";
		static const char rest[] = "and\":\"nothing\"}\n";
		char *l1, *l2;

		for (size_t i = 0; i < sizeof(req) - 1; i++) {
			CHECK(tc_send(&c, req + i, 1));
			if (i % 8 == 0)
				ctl_sleep_ms(1);
		}
		l1 = tc_line(&c, NULL);
		CHECK(l1 && strstr(l1, "running"));
		ctl_sleep_ms(20);
		CHECK(tc_sends(&c, rest));
		l2 = tc_line(&c, NULL);
		CHECK(l2 && !strcmp(l2, "{\"ok\":true,\"result\":{}}"));
		free(l1);
		free(l2);
	}
	tc_close(&c);
	control_stop(s);
}

static void malformed_requests(void)
{
	struct control_server *s = ctl_start();
	struct tclient c;
	static const char nul_req[] = "{\"command\":\"sta\0tus\"}\n";
	int calls;

	CHECK(tc_connect(&c));
	calls = ctl_calls_now();
	CHECK(call_fails_with(&c, "this is not json", "JSON object"));
	CHECK(call_fails_with(&c, "{\"command\":", "invalid JSON"));
	CHECK(call_fails_with(&c, "[\"status\"]", "JSON object"));
	CHECK(call_fails_with(&c, "\"status\"", "JSON object"));
	CHECK(call_fails_with(&c, "17", "JSON object"));
	CHECK(call_fails_with(&c, "{}", "missing \"command\""));
	CHECK(call_fails_with(&c, "{\"command\":true}", "must be a string"));
	CHECK(call_fails_with(&c, "{\"command\":\"status\",\"arguments\":5}",
			      "must be an object"));
	CHECK(call_fails_with(&c, "{\"command\":\"status\",\"x\":5}",
			      "unknown member 'x'"));
	CHECK(call_fails_with(&c, "{\"command\":\"status\"}{}", "data after"));
	CHECK(call_fails_with(&c, "{\"command\":\"\xc0\xaf\"}", "not UTF-8"));
	CHECK(call_fails_with(&c, "{\"command\":\"st\\u0000\"}", "NUL"));
	/* Raw NUL bytes on the wire. */
	CHECK(tc_send(&c, nul_req, sizeof(nul_req) - 1));
	{
		char *l = tc_line(&c, NULL);

		CHECK(l && strstr(l, "NUL byte") && strstr(l, "\"ok\":false"));
		free(l);
	}
	CHECK_EQ(ctl_calls_now(), calls); /* no handler ran */
	/* The connection survives all of it. */
	CHECK(status_works(&c));
	tc_close(&c);
	control_stop(s);
}

static void argument_types(void)
{
	struct control_server *s = ctl_start();
	struct tclient c;
	json_object *r, *v;

	CHECK(tc_connect(&c));
	r = tc_call(&c, "{\"command\":\"typed\",\"arguments\":{\"type\":"
			"\"block\",\"id\":\"d1\",\"readonly\":true,\"size\":"
			"1000}}");
	CHECK(reply_ok(r));
	CHECK(json_object_object_get_ex(result_of(r), "readonly", &v) &&
	      json_object_get_boolean(v));
	CHECK(json_object_object_get_ex(result_of(r), "size", &v) &&
	      json_object_get_int64(v) == 1000);
	json_object_put(r);
	/* Optional arguments keep their defaults. */
	r = tc_call(&c, "{\"command\":\"typed\",\"arguments\":{\"type\":"
			"\"net\",\"id\":\"n\"}}");
	CHECK(reply_ok(r));
	CHECK(json_object_object_get_ex(result_of(r), "size", &v) &&
	      json_object_get_int64(v) == 7);
	json_object_put(r);

#define TYPED(a) "{\"command\":\"typed\",\"arguments\":{" a "}}"
	CHECK(call_fails_with(&c, TYPED(""), "missing argument 'type'"));
	CHECK(call_fails_with(&c, TYPED("\"type\":\"block\""),
			      "missing argument 'id'"));
	CHECK(call_fails_with(&c, TYPED("\"type\":1,\"id\":\"d\""),
			      "argument 'type' must be a string"));
	CHECK(call_fails_with(&c, TYPED("\"type\":\"b\",\"id\":null"),
			      "argument 'id' must be a string"));
	CHECK(call_fails_with(&c,
			      TYPED("\"type\":\"b\",\"id\":\"d\",\"readonly\":"
				    "\"yes\""),
			      "argument 'readonly' must be true or false"));
	CHECK(call_fails_with(&c,
			      TYPED("\"type\":\"b\",\"id\":\"d\",\"readonly\":"
				    "1"),
			      "argument 'readonly' must be true or false"));
	CHECK(call_fails_with(&c,
			      TYPED("\"type\":\"b\",\"id\":\"d\",\"size\":-1"),
			      "argument 'size' must be an integer in 0..1000"));
	CHECK(call_fails_with(
	    &c, TYPED("\"type\":\"b\",\"id\":\"d\",\"size\":1001"),
	    "argument 'size' must be an integer"));
	CHECK(call_fails_with(&c,
			      TYPED("\"type\":\"b\",\"id\":\"d\",\"size\":1.5"),
			      "argument 'size' must be an integer"));
	CHECK(call_fails_with(
	    &c, TYPED("\"type\":\"b\",\"id\":\"d\",\"size\":\"5\""),
	    "argument 'size' must be an integer"));
	CHECK(call_fails_with(
	    &c,
	    TYPED("\"type\":\"b\",\"id\":\"d\",\"size\":99999999999999999999"),
	    "argument 'size' must be an integer"));
	CHECK(call_fails_with(&c, TYPED("\"type\":\"b\",\"id\":\"d\",\"ro\":1"),
			      "unknown argument 'ro'"));
#undef TYPED
	CHECK(status_works(&c));
	tc_close(&c);
	control_stop(s);
}

/* control_arg_size: what the balloon command's size accepts. */
static int size_of(const char *json, uint64_t *out, char *err, size_t errlen)
{
	json_object *args = json_tokener_parse(json);
	int r;

	*out = 12345;
	r = control_arg_size(args, "size", true, out, err, errlen);
	json_object_put(args);
	return r;
}

static void size_arguments(void)
{
	char err[200];
	uint64_t v;

	CHECK_EQ(size_of("{\"size\":\"256M\"}", &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 256ULL << 20);
	CHECK_EQ(size_of("{\"size\":\"1G\"}", &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 1ULL << 30);
	CHECK_EQ(size_of("{\"size\":\"4096K\"}", &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 4ULL << 20);
	CHECK_EQ(size_of("{\"size\":\"64\"}", &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 64ULL << 20); /* a bare number string: MiB */
	CHECK_EQ(size_of("{\"size\":8192}", &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 8192); /* a JSON number: bytes */
	CHECK_EQ(size_of("{\"size\":0}", &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(size_of("{\"size\":-4096}", &v, err, sizeof(err)), -1);
	CHECK(strstr(err, "argument 'size' must be a size") != NULL);
	CHECK_EQ(size_of("{\"size\":1.5}", &v, err, sizeof(err)), -1);
	CHECK_EQ(size_of("{\"size\":\"lots\"}", &v, err, sizeof(err)), -1);
	CHECK_EQ(size_of("{\"size\":\"-1G\"}", &v, err, sizeof(err)), -1);
	CHECK_EQ(size_of("{\"size\":\"99999999999T\"}", &v, err, sizeof(err)),
		 -1);
	CHECK_EQ(size_of("{\"size\":true}", &v, err, sizeof(err)), -1);
	CHECK_EQ(v, 12345); /* untouched on errors */
	CHECK_EQ(size_of("{}", &v, err, sizeof(err)), -1);
	CHECK(strstr(err, "missing argument 'size'") != NULL);
}

static void oversized_lines(void)
{
	struct control_server *s = ctl_start();
	struct tclient c, other;
	size_t n = CONTROL_MAX_LINE + 4096;
	char *big = malloc(n), *l;
	bool eof;

	CHECK(tc_connect(&c));
	CHECK(tc_connect(&other));
	/* A line of exactly CONTROL_MAX_LINE bytes is fine. */
	memset(big, ' ', CONTROL_MAX_LINE);
	memcpy(big, "{\"command\":\"status\"}", 20);
	big[CONTROL_MAX_LINE] = '\n';
	CHECK(tc_send(&c, big, CONTROL_MAX_LINE + 1));
	l = tc_line(&c, NULL);
	CHECK(l && strstr(l, "running"));
	free(l);

	/* One byte more: an error reply, then the connection closes. */
	memset(big, 'a', n);
	CHECK(tc_send(&c, big, CONTROL_MAX_LINE + 1));
	/* The server may close before reading all: ignore send errors. */
	(void)!send(c.fd, big, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	l = tc_line(&c, NULL);
	CHECK(l && strstr(l, "longer than 65536 bytes") &&
	      strstr(l, "\"ok\":false"));
	free(l);
	l = tc_line(&c, &eof);
	CHECK(!l && eof);
	free(l);

	/* Endless data with no newline at all: cut off the same way. */
	tc_close(&c);
	CHECK(tc_connect(&c));
	for (int i = 0; i < 4; i++)
		if (!tc_send(&c, big, n))
			break;
	l = tc_line(&c, NULL);
	CHECK(l && strstr(l, "longer than"));
	free(l);

	/* The other client never noticed. */
	CHECK(status_works(&other));
	tc_close(&c);
	tc_close(&other);
	free(big);
	control_stop(s);
}

static void disconnects(void)
{
	struct control_server *s = ctl_start();
	struct tclient c, other;
	int calls;

	CHECK(tc_connect(&other));

	/* Mid-request: the half line is dropped, no handler runs. */
	calls = ctl_calls_now();
	CHECK(tc_connect(&c));
	CHECK(tc_sends(&c, "{\"command\":\"sta"));
	tc_close(&c);
	CHECK(tc_connect(&c));
	CHECK(tc_sends(&c, "{\"command\":\"status\"}")); /* no newline */
	tc_close(&c);
	CHECK(status_works(&other));
	CHECK_EQ(ctl_calls_now(), calls + 1); /* only other's */

	/* Mid-reply: a 1 MiB reply to a client that is gone. SIGPIPE
	 * would end this test. */
	for (int i = 0; i < 3; i++) {
		CHECK(tc_connect(&c));
		CHECK(tc_sends(&c, "{\"command\":\"big\"}\n"));
		if (i == 1) {
			char buf[100];

			ctl_sleep_ms(50);
			CHECK(recv(c.fd, buf, sizeof(buf), 0) > 0);
		}
		tc_close(&c);
	}
	/* Half-closed: requests already sent still get their replies. */
	CHECK(tc_connect(&c));
	CHECK(tc_sends(&c, "{\"command\":\"status\"}\n"));
	shutdown(c.fd, SHUT_WR);
	{
		char *l = tc_line(&c, NULL);

		CHECK(l && strstr(l, "running"));
		free(l);
	}
	tc_close(&c);
	CHECK(status_works(&other));

	/* A client that sends and never reads cannot stall the others: its
	 * replies back up, then the server stops reading from it. */
	CHECK(tc_connect(&c));
	{
		int fl = fcntl(c.fd, F_GETFL);
		static const char req[] = "{\"command\":\"big\"}\n";
		int sent = 0;

		fcntl(c.fd, F_SETFL, fl | O_NONBLOCK);
		for (int i = 0; i < 2000; i++)
			if (send(c.fd, req, sizeof(req) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
				sent++;
		CHECK(sent > 0);
	}
	for (int i = 0; i < 5; i++)
		CHECK(status_works(&other));
	tc_close(&c);
	CHECK(status_works(&other));
	tc_close(&other);
	control_stop(s);
}

static int run_ctl(const char *const *args, char *out, size_t outlen,
		   char *errout, size_t errlen);

static void many_clients(void)
{
	struct control_server *s = ctl_start();
	struct tclient c[CONTROL_MAX_CLIENTS + 1];
	char *l;
	bool eof, ok = false;

	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		CHECK(tc_connect(&c[i]));
		CHECK(status_works(&c[i])); /* accepted, in order */
	}
	/* One too many: told so, then closed. */
	CHECK(tc_connect(&c[CONTROL_MAX_CLIENTS]));
	l = tc_line(&c[CONTROL_MAX_CLIENTS], NULL);
	CHECK(l && strstr(l, "too many clients"));
	free(l);
	l = tc_line(&c[CONTROL_MAX_CLIENTS], &eof);
	CHECK(!l && eof);
	tc_close(&c[CONTROL_MAX_CLIENTS]);
	/* armvm ctl shows the reason, whether its send made it or not. */
	{
		const char *const a[] = {ctl_path, "status", NULL};
		char out[256], err[256];

		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 1);
		CHECK(strstr(err, "too many clients"));
	}
	/* Every connected one still works. */
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		CHECK(status_works(&c[i]));
	/* A freed place is taken again (once the server saw the close). */
	tc_close(&c[3]);
	for (int tries = 0; tries < 50 && !ok; tries++) {
		CHECK(tc_connect(&c[3]));
		ok = status_works(&c[3]);
		if (!ok) {
			tc_close(&c[3]);
			ctl_sleep_ms(20);
		}
	}
	CHECK(ok);
	/* Stop with every client connected, one mid-request. */
	CHECK(tc_sends(&c[5], "{\"command\":"));
	control_stop(s);
	l = tc_line(&c[0], &eof);
	CHECK(!l && eof); /* closed by stop */
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		tc_close(&c[i]);
}

/* Out of file descriptors: the listener waits instead of spinning on a
 * connection it cannot accept, and takes it once it can. */
static void out_of_fds(void)
{
	struct control_server *s = ctl_start();
	struct tclient a, b;
	struct rlimit old, low;
	struct timespec t0, t1;
	int fd;
	long cpu_ms;

	CHECK(tc_connect(&a));
	CHECK(status_works(&a));
	/* The next descriptor number is the count in use (roughly): leave
	 * room for the client's socket only. */
	fd = dup(0);
	close(fd);
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)fd + 1;
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
	CHECK(tc_connect(&b)); /* queued; the server cannot accept it */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	ctl_sleep_ms(300);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	cpu_ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		 (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(cpu_ms < 100);
	CHECK(status_works(&a)); /* connected clients are still served */
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
	CHECK(status_works(&b));
	tc_close(&a);
	tc_close(&b);
	control_stop(s);
}

/* Handlers run one at a time: a slow one delays, never loses, others. */
static void slow_handler(void)
{
	struct control_server *s = ctl_start();
	struct tclient a, b;
	char *l;

	CHECK(tc_connect(&a));
	CHECK(tc_connect(&b));
	CHECK(tc_sends(&a, "{\"command\":\"slow\"}\n"));
	ctl_sleep_ms(50);
	CHECK(status_works(&b));
	l = tc_line(&a, NULL);
	CHECK(l && !strcmp(l, "{\"ok\":true,\"result\":{}}"));
	free(l);
	/* Stop waits for a running handler. */
	CHECK(tc_sends(&a, "{\"command\":\"slow\"}\n"));
	ctl_sleep_ms(50);
	control_stop(s);
	tc_close(&a);
	tc_close(&b);
}

/* --- armvm ctl ---------------------------------------------------------- */

static json_object *make_req(int argc, const char *const *argv, char *err)
{
	return ctl_make_request("device-add", argc, (char **)argv, err, 256);
}

static void ctl_arguments(void)
{
	static const char *const argv[] = {
	    "type=block",
	    "id=d1",
	    "path=/x y.img",
	    "readonly=true",
	    "ro2=false",
	    "n=42",
	    "neg=-7",
	    "f=1.5",
	    "e=1e3",
	    "z=007",
	    "hex=0x10",
	    "nul=null",
	    "empty=",
	    "big=123456789012345678901234567890",
	    "eq=a=b",
	    "raw:=\"7\"",
	    "arr:=[1, {\"a\": null}]",
	    "rawnull:=null",
	    "plus=+1",
	    "dot=1.",
	    "minus=-",
	};
	char err[256] = "";
	json_object *r, *a, *v;
	const char *s;

	r = make_req(ARRAY_SIZE(argv), argv, err);
	CHECK(r != NULL);
	if (!r) {
		fprintf(stderr, "ctl_make_request: %s\n", err);
		return;
	}
	CHECK(json_object_object_get_ex(r, "command", &v) &&
	      !strcmp(json_object_get_string(v), "device-add"));
	CHECK(json_object_object_get_ex(r, "arguments", &a));
	s = json_object_to_json_string_ext(
	    a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	CHECK_STR(s, "{\"type\":\"block\",\"id\":\"d1\",\"path\":\"/x y.img\","
		     "\"readonly\":true,\"ro2\":false,\"n\":42,\"neg\":-7,"
		     "\"f\":1.5,\"e\":1000.0,\"z\":\"007\",\"hex\":\"0x10\","
		     "\"nul\":null,\"empty\":\"\","
		     "\"big\":\"123456789012345678901234567890\","
		     "\"eq\":\"a=b\",\"raw\":\"7\",\"arr\":[1,{\"a\":null}],"
		     "\"rawnull\":null,\"plus\":\"+1\",\"dot\":\"1.\","
		     "\"minus\":\"-\"}");
	if (strcmp(s, "") && check_cur_failed)
		fprintf(stderr, "got %s\n", s);
	json_object_put(r);

	/* The request parses back as the same command. */
	{
		static const char *const one[] = {"id=d1"};
		const char *cmd;
		json_object *args;

		r = make_req(1, one, err);
		s = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
		CHECK_EQ(
		    control_parse_request(s, strlen(s), &cmd, &args, err, 256),
		    0);
		CHECK_STR(cmd, "device-add");
		json_object_put(args);
		json_object_put(r);
	}
	/* No arguments: no "arguments" member. */
	r = ctl_make_request("status", 0, NULL, err, sizeof(err));
	CHECK_STR(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN),
		  "{\"command\":\"status\"}");
	json_object_put(r);

#define BAD(arg, want)                                                      \
	do {                                                                \
		const char *const bad_[] = {"id=x", arg};                   \
		err[0] = '\0';                                              \
		CHECK(make_req(2, bad_, err) == NULL && strstr(err, want)); \
	} while (0)
	BAD("noequals", "KEY=VALUE");
	BAD("=value", "KEY=VALUE");
	BAD(":=1", "KEY=VALUE");
	BAD("id=y", "'id' given twice");
	BAD("j:={", "not JSON");
	BAD("j:=[1] x", "not JSON");
	BAD("j:=", "not JSON");
	BAD("j:='a'", "not JSON");
#undef BAD
	CHECK(ctl_make_request("", 0, NULL, err, sizeof(err)) == NULL);
}

/* `migrate ADDR`: the address given bare; a host name is resolved by ctl
 * (armvm's confined control thread takes IP addresses only), an address
 * is passed on as it is. */
static const char *migrate_addr(const char *arg, json_object **req, char *err)
{
	char *argv[] = {(char *)arg, NULL};
	json_object *args, *addr;

	*req = ctl_make_request("migrate", 1, argv, err, 256);
	if (!*req || !json_object_object_get_ex(*req, "arguments", &args) ||
	    !json_object_object_get_ex(args, "addr", &addr))
		return "";
	return json_object_get_string(addr);
}

static void ctl_migrate_address(void)
{
	const char *const same[] = {"unix:/run/in.sock", "tcp:127.0.0.1:4444",
				    "tcp:[::1]:4444", "tcp:10.0.0.2:1"};
	json_object *req;
	const char *got;
	char err[256];

	for (unsigned int i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		CHECK_STR(migrate_addr(same[i], &req, err), same[i]);
		json_object_put(req);
	}
	got = migrate_addr("tcp:localhost:4444", &req, err);
	CHECK(!strcmp(got, "tcp:127.0.0.1:4444") ||
	      !strcmp(got, "tcp:[::1]:4444"));
	json_object_put(req);
}

/* Run cmd_ctl with stdout and stderr captured. */
static int run_ctl(const char *const *args, char *out, size_t outlen,
		   char *errout, size_t errlen)
{
	char *argv[32];
	int argc = 0, rc, o = dup(1), e = dup(2);
	FILE *fo = tmpfile(), *fe = tmpfile();
	size_t n;

	argv[argc++] = "ctl";
	while (args[argc - 1])
		argv[argc] = (char *)args[argc - 1], argc++;
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(fo), 1);
	dup2(fileno(fe), 2);
	rc = cmd_ctl(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(o, 1);
	dup2(e, 2);
	close(o);
	close(e);
	rewind(fo);
	n = fread(out, 1, outlen - 1, fo);
	out[n] = '\0';
	rewind(fe);
	n = fread(errout, 1, errlen - 1, fe);
	errout[n] = '\0';
	fclose(fo);
	fclose(fe);
	return rc;
}

static void fake_read_line(int fd)
{
	char ch = 0;

	while (ch != '\n' && read(fd, &ch, 1) == 1)
		;
}

static void ctl_end_to_end(void)
{
	struct control_server *s = ctl_start();
	char out[4096], err[4096];
	json_object *r, *v;

	{
		const char *const a[] = {ctl_path, "status", NULL};

		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 0);
		r = json_tokener_parse(out); /* the result, pretty-printed */
		CHECK(r && json_object_object_get_ex(r, "state", &v) &&
		      !strcmp(json_object_get_string(v), "running"));
		CHECK(strchr(out, '\n') != strrchr(out, '\n')); /* pretty */
		CHECK_STR(err, "");
		json_object_put(r);
	}
	{
		const char *const a[] = {"--raw", ctl_path, "echo",
					 "a=1",	  "b=x",    NULL};

		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 0);
		CHECK_STR(out,
			  "{\"ok\":true,\"result\":{\"a\":1,\"b\":\"x\"}}\n");
	}
	{
		const char *const a[] = {ctl_path,	  "typed",
					 "type=block",	  "id=d1",
					 "readonly=true", NULL};

		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 0);
		CHECK(strstr(out, "\"readonly\": true"));
	}
	{
		const char *const a[] = {ctl_path, "fail", NULL};

		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 1);
		CHECK_STR(out, "");
		CHECK_STR(err, "armvm: ctl: fail: it failed\n");
	}
	{
		const char *const a[] = {"--raw", ctl_path, "nope", NULL};

		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 1);
		CHECK(strstr(out, "unknown command 'nope'"));
	}
	{
		const char *const a[] = {"--timeout",	 "1", ctl_path, "typed",
					 "readonly=yes", NULL};

		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 1);
		CHECK(strstr(err, "missing argument 'type'"));
	}
	/* Usage and connection errors: 2, one line. */
	{
		const char *const a[] = {ctl_path, NULL};

		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 2);
	}
	{
		const char *const a[] = {ctl_path, "echo", "novalue", NULL};

		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 2);
		CHECK(strstr(err, "KEY=VALUE"));
	}
	{
		const char *const a[] = {"--timeout", "x", ctl_path, "status",
					 NULL};

		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 2);
		CHECK(strstr(err, "--timeout"));
	}
	{
		const char *const a[] = {"--bogus", ctl_path, "status", NULL};

		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 2);
	}
	{
		const char *const a[] = {"--help", NULL};

		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 0);
		CHECK(strstr(out, "Usage: armvm ctl"));
	}
	/* balloon waits, asking balloon-info, until the guest's driver has
	 * the balloon at its size... */
	{
		const char *const a[] = {ctl_path, "balloon", "size=64M", NULL};

		bal_actual = 0;
		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 0);
		r = json_tokener_parse(out);
		CHECK(r && json_object_object_get_ex(r, "actual", &v) &&
		      json_object_get_int64(v) == 64 << 20);
		json_object_put(r);
	}
	/* ... not with --raw or --wait 0 ... */
	{
		const char *const a[] = {"--wait",  "0",      ctl_path,
					 "balloon", "size=0", NULL};

		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 0);
		r = json_tokener_parse(out);
		CHECK(r && json_object_object_get_ex(r, "actual", &v) &&
		      json_object_get_int64(v) == 64 << 20);
		json_object_put(r);
	}
	/* ... nor without a driver to do it ... */
	{
		const char *const a[] = {ctl_path, "balloon", "size=8M", NULL};

		bal_driver = false;
		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 0);
		CHECK(strstr(out, "\"driver\": false"));
		bal_driver = true;
	}
	/* ... and gives up after --wait seconds, with an error. */
	{
		const char *const a[] = {"--wait",  "1",	 ctl_path,
					 "balloon", "size=128M", NULL};

		bal_stuck = true;
		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 1);
		CHECK(strstr(err, "holds 64 MiB of the 128 MiB asked for"));
		CHECK_STR(out, "");
		bal_stuck = false;
	}
	control_stop(s);
	{
		const char *const a[] = {ctl_path, "status", NULL};
		char want[256];

		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 2);
		snprintf(
		    want, sizeof(want),
		    "armvm: ctl: %s: cannot connect: No such file or directory\n",
		    ctl_path);
		CHECK_STR(err, want);
	}
	/* A server that closes without a reply, and one that answers
	 * something else. */
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int l = socket(AF_UNIX, SOCK_STREAM, 0), c;
		const char *const a[] = {ctl_path, "status", NULL};

		strcpy(sa.sun_path, ctl_path);
		CHECK_EQ(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
		CHECK_EQ(listen(l, 4), 0);
		/* The connection waits in the backlog; the reply is sent
		 * before the client reads, then the server end closes. */
		c = fork();
		if (c == 0) {
			int fd = accept(l, NULL, NULL);

			/* Both take the whole request first, so that the
			 * client's send cannot fail. */
			fake_read_line(fd);
			(void)!write(fd, "hello\n", 6);
			close(fd);
			fd = accept(l, NULL, NULL);
			fake_read_line(fd);
			close(fd);
			_exit(0);
		}
		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 2);
		CHECK(strstr(err, "not an armvm control reply"));
		CHECK_EQ(run_ctl(a, out, sizeof(out), err, sizeof(err)), 2);
		CHECK(!strncmp(err, "armvm: ctl: ", 12) &&
		      strstr(err, ctl_path) &&
		      strstr(err, "connection closed before a reply") &&
		      !strchr(err, '\n')[1]);
		if (check_cur_failed)
			fprintf(stderr, "closed: %s", err);
		waitpid(c, NULL, 0);
		close(l);
		unlink(ctl_path);
	}
}

int main(void)
{
	check_suite = "control";
	snprintf(ctl_dir, sizeof(ctl_dir), "/tmp/armvm-test-control.XXXXXX");
	if (!mkdtemp(ctl_dir)) {
		printf("FAIL: control/setup: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(ctl_path, sizeof(ctl_path), "%s/vm.sock", ctl_dir);
	RUN(parse_request);
	RUN(socket_permissions);
	RUN(other_users_refused);
	RUN(commands);
	RUN(malformed_requests);
	RUN(argument_types);
	RUN(size_arguments);
	RUN(oversized_lines);
	RUN(disconnects);
	RUN(many_clients);
	RUN(out_of_fds);
	RUN(slow_handler);
	RUN(ctl_arguments);
	RUN(ctl_migrate_address);
	RUN(ctl_end_to_end);
	unlink(ctl_path);
	rmdir(ctl_dir);
	return check_main_end();
}
