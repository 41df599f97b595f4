// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's server: request parsing, the listener thread and
 * argument helpers for handlers. Protocol: docs/control.md.
 *
 * Clients are untrusted in the sense that they may be buggy: nothing one
 * sends can crash armvm, make it buffer without bound, or stall the other
 * clients beyond the time a handler takes. Every client socket is
 * non-blocking; a client's next request is not read before its previous
 * reply has left, so at most one reply and one request line are buffered
 * per client.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/confine.h"
#include "lib/util.h"
#include "vmm/control.h"

/* Requests served from one client before the others get a turn. */
#define CONTROL_BUDGET 8

struct control_client {
	int fd;
	/* CONTROL_MAX_LINE + 1 bytes: a whole line, or proof that it is too
	 * long. */
	char *in;
	size_t in_len;
	size_t scanned; /* in[0..scanned) holds no newline */
	char *out;	/* the reply being sent */
	size_t out_len, out_off;
	bool eof;     /* the client will send nothing more */
	bool closing; /* close once the reply has gone */
};

struct control_server {
	char *path;
	dev_t dev; /* the socket file we made, to remove only that one */
	ino_t ino;
	int listen_fd;
	int stop_pipe[2];
	pthread_t thread;
	const struct control_command *cmds;
	size_t n;
	void *opaque;
	struct control_client clients[CONTROL_MAX_CLIENTS];
	size_t nr_clients;
	bool accept_backoff; /* accept failed for want of resources */
};

/* --- Parsing ------------------------------------------------------------ */

/*
 * Well-formed UTF-8 (RFC 3629): no overlong forms, surrogates or code
 * points past U+10FFFF, which json-c's own check lets through. Replies
 * quote request text back (unknown command names), so they stay valid
 * UTF-8 too.
 */
static bool control_utf8_ok(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		unsigned int n, cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (unsigned int k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/*
 * Values no handler should have to think about: strings with \u0000 (every
 * C consumer would cut them short) and NaN or infinities (json-c accepts
 * them even in strict mode). Depth is bounded by the tokener.
 */
static const char *control_bad_value(json_object *o)
{
	struct json_object_iterator it, end;
	const char *why;
	size_t i, n;
	double d;

	switch (json_object_get_type(o)) {
	case json_type_string:
		if (strlen(json_object_get_string(o)) !=
		    (size_t)json_object_get_string_len(o))
			return "request contains a NUL character";
		return NULL;
	case json_type_double:
		d = json_object_get_double(o);
		return d - d == 0 ? NULL
				  : "request contains a non-finite number";
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			why =
			    control_bad_value(json_object_array_get_idx(o, i));
			if (why)
				return why;
		}
		return NULL;
	case json_type_object:
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		for (; !json_object_iter_equal(&it, &end);
		     json_object_iter_next(&it)) {
			why =
			    control_bad_value(json_object_iter_peek_value(&it));
			if (why)
				return why;
		}
		return NULL;
	default:
		return NULL;
	}
}

/* How much of s to quote in a message: at most 64 bytes, never half a
 * UTF-8 character (replies must stay valid UTF-8). */
static int control_quote_len(const char *s)
{
	size_t n = strnlen(s, 65);

	if (n > 64)
		for (n = 64; n && (s[n] & 0xc0) == 0x80; n--)
			;
	return (int)n;
}

static void control_free_command(json_object *o, void *userdata)
{
	free(userdata);
}

int control_parse_request(const char *line, size_t len, const char **command,
			  json_object **args, char *err, size_t errlen)
{
	struct json_tokener *tok;
	json_object *req = NULL, *cmd, *a = NULL;
	enum json_tokener_error jerr;
	const char *why;
	size_t used;
	char *name;

	*command = NULL;
	*args = NULL;
	if (memchr(line, '\0', len)) {
		set_err(err, errlen, "request contains a NUL byte");
		return -1;
	}
	if (len > CONTROL_MAX_LINE) {
		set_err(err, errlen, "request longer than %d bytes",
			CONTROL_MAX_LINE);
		return -1;
	}
	if (!control_utf8_ok((const unsigned char *)line, len)) {
		set_err(err, errlen, "invalid JSON: not UTF-8");
		return -1;
	}
	/* Checked first: a bare number at the end of the line would only
	 * make the tokener ask for more input. */
	for (used = 0; used < len && strchr(" \t\r\n", line[used]); used++)
		;
	if (used == len || line[used] != '{') {
		set_err(err, errlen, "a request must be a JSON object");
		return -1;
	}
	tok = json_tokener_new_ex(CONTROL_MAX_DEPTH);
	if (!tok) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					JSON_TOKENER_ALLOW_TRAILING_CHARS);
	req = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!req || jerr != json_tokener_success) {
		/* json_tokener_continue: the line ended inside a value. */
		set_err(err, errlen, "invalid JSON: %s",
			jerr == json_tokener_continue ||
				jerr == json_tokener_success
			    ? "unexpected end of request"
			    : json_tokener_error_desc(jerr));
		goto fail;
	}
	while (used < len && strchr(" \t\r\n", line[used]))
		used++;
	if (used < len) {
		set_err(err, errlen,
			"invalid JSON: data after the request object");
		goto fail;
	}
	if (!json_object_is_type(req, json_type_object)) {
		set_err(err, errlen, "a request must be a JSON object");
		goto fail;
	}
	why = control_bad_value(req);
	if (why) {
		set_err(err, errlen, "%s", why);
		goto fail;
	}
	json_object_object_foreach(req, key, val)
	{
		(void)val;
		if (strcmp(key, "command") && strcmp(key, "arguments")) {
			set_err(
			    err, errlen,
			    "unknown member '%.*s' (a request has \"command\" and \"arguments\")",
			    control_quote_len(key), key);
			goto fail;
		}
	}
	if (!json_object_object_get_ex(req, "command", &cmd)) {
		set_err(err, errlen, "missing \"command\"");
		goto fail;
	}
	if (!json_object_is_type(cmd, json_type_string)) {
		set_err(err, errlen, "\"command\" must be a string");
		goto fail;
	}
	if (json_object_object_get_ex(req, "arguments", &a)) {
		if (!json_object_is_type(a, json_type_object)) {
			set_err(err, errlen, "\"arguments\" must be an object");
			goto fail;
		}
		json_object_get(a);
	} else {
		a = json_object_new_object();
	}
	name = strdup(json_object_get_string(cmd));
	if (!a || !name) {
		free(name);
		json_object_put(a);
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	/* The name lives as long as the arguments, whose reference the
	 * caller holds, so that a single put frees everything. */
	json_object_set_userdata(a, name, control_free_command);
	json_object_put(req);
	*command = name;
	*args = a;
	return 0;
fail:
	json_object_put(req);
	return -1;
}

/* --- Argument helpers ----------------------------------------------------- */

int control_check_args(json_object *args, const char *const *names, char *err,
		       size_t errlen)
{
	json_object_object_foreach(args, key, val)
	{
		const char *const *n;

		(void)val;
		for (n = names; *n && strcmp(*n, key); n++)
			;
		if (!*n) {
			set_err(err, errlen, "unknown argument '%.*s'",
				control_quote_len(key), key);
			return -1;
		}
	}
	return 0;
}

/* 1: present in *v; 0: absent and optional; -1: absent and required. */
static int control_arg(json_object *args, const char *name, bool required,
		       json_object **v, char *err, size_t errlen)
{
	if (args && json_object_object_get_ex(args, name, v))
		return 1;
	if (!required)
		return 0;
	set_err(err, errlen, "missing argument '%s'", name);
	return -1;
}

int control_arg_string(json_object *args, const char *name, bool required,
		       const char **out, char *err, size_t errlen)
{
	json_object *v;
	int r = control_arg(args, name, required, &v, err, errlen);

	if (r <= 0)
		return r;
	if (!json_object_is_type(v, json_type_string)) {
		set_err(err, errlen, "argument '%s' must be a string", name);
		return -1;
	}
	*out = json_object_get_string(v);
	return 0;
}

int control_arg_bool(json_object *args, const char *name, bool required,
		     bool *out, char *err, size_t errlen)
{
	json_object *v;
	int r = control_arg(args, name, required, &v, err, errlen);

	if (r <= 0)
		return r;
	if (!json_object_is_type(v, json_type_boolean)) {
		set_err(err, errlen, "argument '%s' must be true or false",
			name);
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

int control_arg_uint(json_object *args, const char *name, bool required,
		     uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	json_object *v;
	int64_t i;
	int r = control_arg(args, name, required, &v, err, errlen);

	if (r <= 0)
		return r;
	/* json-c keeps integers it cannot hold as int64 in a uint64 or a
	 * double; fractions are doubles. */
	if (!json_object_is_type(v, json_type_int)) {
		set_err(err, errlen,
			"argument '%s' must be an integer in 0..%llu", name,
			(unsigned long long)max);
		return -1;
	}
	i = json_object_get_int64(v);
	if (i < 0 || (uint64_t)i > max) {
		set_err(err, errlen,
			"argument '%s' must be an integer in 0..%llu", name,
			(unsigned long long)max);
		return -1;
	}
	*out = (uint64_t)i;
	return 0;
}

int control_arg_size(json_object *args, const char *name, bool required,
		     uint64_t *out, char *err, size_t errlen)
{
	json_object *v;
	int r = control_arg(args, name, required, &v, err, errlen);

	if (r <= 0)
		return r;
	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);

		if (i >= 0) {
			*out = (uint64_t)i;
			return 0;
		}
	} else if (json_object_is_type(v, json_type_string) &&
		   parse_size(json_object_get_string(v), SZ_1M, out)) {
		return 0;
	}
	set_err(err, errlen,
		"argument '%s' must be a size such as \"256M\" or a number "
		"of bytes",
		name);
	return -1;
}

/* --- Replies ------------------------------------------------------------ */

static void control_client_close(struct control_client *c)
{
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Queue reply (consumed) as one line. */
static void control_queue(struct control_client *c, json_object *reply)
{
	const char *s;
	size_t len;

	s = json_object_to_json_string_ext(
	    reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = s ? strlen(s) : 0;
	free(c->out);
	c->out = len ? malloc(len + 1) : NULL;
	if (!c->out) {
		/* No memory for the reply: the client sees its connection
		 * close, rather than waiting for ever. */
		c->out_len = c->out_off = 0;
		c->closing = true;
		json_object_put(reply);
		return;
	}
	memcpy(c->out, s, len);
	c->out[len] = '\n';
	c->out_len = len + 1;
	c->out_off = 0;
	json_object_put(reply);
}

static json_object *control_error_reply(const char *msg)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "ok", json_object_new_boolean(0));
	json_object_object_add(r, "error", json_object_new_string(msg));
	return r;
}

static json_object *control_ok_reply(json_object *result)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "ok", json_object_new_boolean(1));
	json_object_object_add(r, "result",
			       result ? result : json_object_new_object());
	return r;
}

static json_object *control_help(const struct control_server *s)
{
	json_object *list = json_object_new_array(), *res, *e;

	e = json_object_new_object();
	json_object_object_add(e, "name", json_object_new_string("help"));
	json_object_object_add(e, "help",
			       json_object_new_string("list the commands"));
	json_object_array_add(list, e);
	for (size_t i = 0; i < s->n; i++) {
		e = json_object_new_object();
		json_object_object_add(e, "name",
				       json_object_new_string(s->cmds[i].name));
		json_object_object_add(
		    e, "help",
		    json_object_new_string(s->cmds[i].help ? s->cmds[i].help
							   : ""));
		json_object_array_add(list, e);
	}
	res = json_object_new_object();
	json_object_object_add(res, "commands", list);
	return res;
}

/* Serve one request line: always exactly one reply. */
static void control_handle_line(struct control_server *s,
				struct control_client *c, const char *line,
				size_t len)
{
	char err[512] = "";
	const char *name;
	json_object *args, *result = NULL;
	const struct control_command *cmd = NULL;
	int rc;

	if (control_parse_request(line, len, &name, &args, err, sizeof(err))) {
		control_queue(c, control_error_reply(err));
		return;
	}
	if (!strcmp(name, "help")) {
		if (json_object_object_length(args))
			control_queue(
			    c, control_error_reply("help takes no arguments"));
		else
			control_queue(c, control_ok_reply(control_help(s)));
		json_object_put(args);
		return;
	}
	for (size_t i = 0; i < s->n && !cmd; i++)
		if (!strcmp(s->cmds[i].name, name))
			cmd = &s->cmds[i];
	if (!cmd) {
		snprintf(err, sizeof(err),
			 "unknown command '%.*s' (see \"help\")",
			 control_quote_len(name), name);
		control_queue(c, control_error_reply(err));
		json_object_put(args);
		return;
	}
	rc = cmd->fn(s->opaque, args, &result, err, sizeof(err));
	if (rc) {
		json_object_put(result);
		control_queue(
		    c, control_error_reply(err[0] ? err : "command failed"));
	} else {
		control_queue(c, control_ok_reply(result));
	}
	json_object_put(args);
}

/* --- The listener ------------------------------------------------------- */

/* Send what the socket takes now. false: the client is gone. */
static bool control_flush(struct control_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n =
		    send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK;
		}
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	return true;
}

/* Does the client have work without waiting for its socket? */
static bool control_ready(const struct control_client *c)
{
	if (c->out_len)
		return false;
	return c->closing || c->eof || c->in_len > CONTROL_MAX_LINE ||
	       memchr(c->in + c->scanned, '\n', c->in_len - c->scanned);
}

/* Serve a client as far as it goes without blocking; false: close it. */
static bool control_service(struct control_server *s, struct control_client *c)
{
	for (int budget = CONTROL_BUDGET; budget > 0;) {
		char *nl;
		ssize_t n;

		if (c->out_len) {
			if (!control_flush(c))
				return false;
			if (c->out_len)
				return true; /* wait for POLLOUT */
		}
		if (c->closing)
			return false;
		/* Resume the search where the last one ended: a line
		 * dribbled in byte by byte costs linear time, not square. */
		nl = memchr(c->in + c->scanned, '\n', c->in_len - c->scanned);
		c->scanned = nl ? 0 : c->in_len;
		if (nl) {
			size_t len = (size_t)(nl - c->in);
			size_t end = len;
			bool blank = true;

			if (end && c->in[end - 1] == '\r')
				end--;
			for (size_t i = 0; i < end && blank; i++)
				blank = strchr(" \t\r", c->in[i]) && c->in[i];
			/* Blank lines are no requests (typing in socat). */
			if (!blank)
				control_handle_line(s, c, c->in, end);
			budget--;
			c->in_len -= len + 1;
			memmove(c->in, nl + 1, c->in_len);
			continue;
		}
		if (c->in_len > CONTROL_MAX_LINE) {
			char msg[96];

			snprintf(msg, sizeof(msg),
				 "request longer than %d bytes; closing",
				 CONTROL_MAX_LINE);
			control_queue(c, control_error_reply(msg));
			c->closing = true;
			continue;
		}
		/* A request cut short by the client's end is dropped. */
		if (c->eof)
			return false;
		n = recv(c->fd, c->in + c->in_len,
			 CONTROL_MAX_LINE + 1 - c->in_len, MSG_DONTWAIT);
		if (n > 0)
			c->in_len += (size_t)n;
		else if (n == 0)
			c->eof = true;
		else if (errno != EINTR)
			return errno == EAGAIN || errno == EWOULDBLOCK;
	}
	return true;
}

/*
 * Only armvm's own user (or root) may drive the VM. The socket file is
 * owner-only already; this also holds when someone loosens its mode or
 * hands a connected descriptor on (SO_PEERCRED: the connecting process).
 */
static bool control_peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    len != sizeof(cred))
		return false;
	return cred.uid == geteuid() || cred.uid == 0;
}

static void control_accept(struct control_server *s)
{
	struct control_client *c;
	int fd =
	    accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		/* Out of descriptors or memory: the connection stays queued
		 * and the socket readable; wait a little rather than spin. */
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			s->accept_backoff = true;
		return; /* EAGAIN, ECONNABORTED: try on next poll */
	}
	if (!control_peer_allowed(fd)) {
		static const char msg[] =
		    "{\"ok\":false,\"error\":\"permission "
		    "denied: not armvm's user\"}\n";

		(void)!send(fd, msg, sizeof(msg) - 1,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	if (s->nr_clients == CONTROL_MAX_CLIENTS) {
		static const char msg[] =
		    "{\"ok\":false,\"error\":\"too many clients (at most 16)\"}\n";

		_Static_assert(CONTROL_MAX_CLIENTS == 16, "message");
		(void)!send(fd, msg, sizeof(msg) - 1,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	c = &s->clients[s->nr_clients];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->in = malloc(CONTROL_MAX_LINE + 1);
	if (!c->in) {
		close(fd);
		c->fd = -1;
		return;
	}
	s->nr_clients++;
}

static void *control_thread(void *arg)
{
	struct control_server *s = arg;
	struct pollfd pfd[2 + CONTROL_MAX_CLIENTS];

	confine_thread(CONFINE_CONTROL);
	for (;;) {
		int timeout = -1;
		bool backoff = s->accept_backoff;
		size_t i;

		pfd[0] =
		    (struct pollfd){.fd = s->stop_pipe[0], .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = backoff ? -1 : s->listen_fd,
					 .events = POLLIN};
		if (backoff)
			timeout = 100;
		s->accept_backoff = false;
		for (i = 0; i < s->nr_clients; i++) {
			struct control_client *c = &s->clients[i];

			pfd[2 + i] = (struct pollfd){
			    .fd = c->fd,
			    .events = c->out_len ? POLLOUT : POLLIN};
			if (control_ready(c))
				timeout = 0;
		}
		if (poll(pfd, 2 + s->nr_clients, timeout) < 0 &&
		    errno != EINTR) {
			pr_err("control socket: poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		for (i = 0; i < s->nr_clients;) {
			struct control_client *c = &s->clients[i];

			if ((pfd[2 + i].revents || control_ready(c)) &&
			    !control_service(s, c)) {
				control_client_close(c);
				/* Keep the array dense: the last client (not
				 * served yet) moves here with its events. */
				s->nr_clients--;
				if (i != s->nr_clients) {
					*c = s->clients[s->nr_clients];
					pfd[2 + i] = pfd[2 + s->nr_clients];
				}
				continue;
			}
			i++;
		}
		if ((pfd[1].revents & POLLIN) || backoff)
			control_accept(s);
	}
	return NULL;
}

/* --- Start and stop ----------------------------------------------------- */

/* Make room for our socket at path: refuse anything but a stale socket. */
static int control_clear_path(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		pr_err("--api-socket: %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		pr_err("--api-socket: %s: exists and is not a socket", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		pr_err("--api-socket: socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0) {
		pr_err("--api-socket: %s: in use by another process", path);
		return -1;
	}
	if (errno != ECONNREFUSED) {
		pr_err("--api-socket: %s: %s", path, strerror(errno));
		return -1;
	}
	/* Nobody listens: left over from an armvm that was killed. */
	if (unlink(path) < 0) {
		pr_err("--api-socket: %s: cannot remove the stale socket: %s",
		       path, strerror(errno));
		return -1;
	}
	return 0;
}

struct control_server *control_start(const char *path,
				     const struct control_command *cmds,
				     size_t n, void *opaque)
{
	struct control_server *s;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old_mask;
	int rc, e;

	if (!path[0] || strlen(path) >= sizeof(sa.sun_path)) {
		pr_err("--api-socket: '%s': a socket path has 1 to %zu bytes",
		       path, sizeof(sa.sun_path) - 1);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		pr_err("--api-socket: out of memory");
		free(s);
		return NULL;
	}
	s->cmds = cmds;
	s->n = n;
	s->opaque = opaque;
	s->stop_pipe[0] = s->stop_pipe[1] = -1;
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0) {
		pr_err("--api-socket: socket: %s", strerror(errno));
		goto fail;
	}
	if (control_clear_path(path, &sa))
		goto fail;
	/* Owner-only from the start: bind creates the file under the umask,
	 * so no other user can ever connect, not even in a window before
	 * chmod. (The umask is per process; armvm sets this up before it
	 * starts other threads that create files.) */
	old_mask = umask(077);
	rc = bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	umask(old_mask);
	if (rc < 0) {
		pr_err("--api-socket: %s: %s", path, strerror(e));
		goto fail;
	}
	if (chmod(path, 0600) < 0 || stat(path, &st) < 0) {
		pr_err("--api-socket: %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (listen(s->listen_fd, CONTROL_MAX_CLIENTS) < 0 ||
	    fcntl(s->listen_fd, F_SETFL, O_NONBLOCK) < 0 ||
	    pipe2(s->stop_pipe, O_CLOEXEC) < 0) {
		pr_err("--api-socket: %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	e = pthread_create(&s->thread, NULL, control_thread, s);
	if (e) {
		pr_err("--api-socket: cannot start its thread: %s",
		       strerror(e));
		unlink(path);
		goto fail;
	}
	return s;
fail:
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->stop_pipe[0] >= 0) {
		close(s->stop_pipe[0]);
		close(s->stop_pipe[1]);
	}
	free(s->path);
	free(s);
	return NULL;
}

void control_stop(struct control_server *s)
{
	struct stat st;
	char c = 0;

	if (!s)
		return;
	while (write(s->stop_pipe[1], &c, 1) < 0 && errno == EINTR)
		;
	pthread_join(s->thread, NULL);
	for (size_t i = 0; i < s->nr_clients; i++)
		control_client_close(&s->clients[i]);
	close(s->listen_fd);
	close(s->stop_pipe[0]);
	close(s->stop_pipe[1]);
	/* Only our own socket: someone may have replaced it meanwhile. */
	if (!lstat(s->path, &st) && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	free(s->path);
	free(s);
}
