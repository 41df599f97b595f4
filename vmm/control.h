/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket (`armvm run --api-socket PATH`, issue 5 item 5) and its
 * client (`armvm ctl`). Portable: no KVM calls; the VM registers a table of
 * command handlers. Protocol: docs/control.md.
 *
 * JSON Lines over a UNIX stream socket: one request per line,
 *   {"command": "device-add", "arguments": {"type": "block", "id": "d1"}}
 * ("arguments" optional, nothing else allowed), one reply per request:
 *   {"ok": true, "result": {...}}   or   {"ok": false, "error": "message"}
 *
 * Threads: one listener thread serves every client with poll(); handlers
 * run on it one at a time, in arrival order, so they never race each other
 * (they do run concurrently with the vCPU and main threads). A handler may
 * block (device-del waiting for the guest); other clients' requests wait
 * meanwhile, buffered (bounded) in their sockets.
 */
#ifndef ARMVM_VMM_CONTROL_H
#define ARMVM_VMM_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* Longest request line, newline excluded: longer gets an error reply and
 * the connection is closed. */
#define CONTROL_MAX_LINE 65536
/* Clients connected at once; one more gets an error reply and is closed. */
#define CONTROL_MAX_CLIENTS 16
/* JSON nesting accepted in a request. */
#define CONTROL_MAX_DEPTH 16

/*
 * A command handler. args is always an object (empty when the request had
 * no "arguments"); it belongs to the caller. On success return 0 and
 * optionally set *result to a new object (the reply's "result", owned by
 * the server from then on; {} when left NULL). On failure return -1 with a
 * one-line message in err (the reply's "error"). Handlers must not call
 * control_stop().
 */
typedef int (*control_handler)(void *opaque, json_object *args,
			       json_object **result, char *err, size_t errlen);

struct control_command {
	const char *name;
	control_handler fn;
	const char *help; /* one line, listed by the built-in "help" */
};

struct control_server;

/*
 * Create the socket at path (owner-only: mode 0600; refused when path
 * exists and is not a socket, or is a socket someone is serving; a stale
 * socket is replaced) and start the listener thread. cmds (n entries) and
 * opaque must outlive the server. Returns NULL after pr_err.
 */
struct control_server *control_start(const char *path,
				     const struct control_command *cmds,
				     size_t n, void *opaque);

/*
 * Stop the listener (waiting for a running handler to return), close every
 * connection and remove the socket file. NULL is allowed.
 */
void control_stop(struct control_server *s);

/*
 * Parse one request line (len bytes, no newline; may hold any bytes). On
 * success returns 0 with *command set to the command name and *args to a
 * new reference to the arguments object (empty if absent): the caller
 * puts *args with json_object_put(), and *command stays valid until then.
 * On failure returns -1 with a one-line message in err. Rejects: invalid
 * JSON (strict, UTF-8 checked, depth CONTROL_MAX_DEPTH), trailing data,
 * NUL bytes (raw or as \u0000 in any string), a non-object, a missing or
 * non-string "command", a non-object "arguments", any other member.
 */
int control_parse_request(const char *line, size_t len, const char **command,
			  json_object **args, char *err, size_t errlen);

/*
 * Helpers for handlers' argument checks; each returns 0, or -1 with a
 * message naming the argument in err. control_check_args() refuses any
 * member not in names (NULL-terminated). The getters leave *out alone when
 * the argument is absent and not required.
 */
int control_check_args(json_object *args, const char *const *names, char *err,
		       size_t errlen);
int control_arg_string(json_object *args, const char *name, bool required,
		       const char **out, char *err, size_t errlen);
int control_arg_bool(json_object *args, const char *name, bool required,
		     bool *out, char *err, size_t errlen);
int control_arg_uint(json_object *args, const char *name, bool required,
		     uint64_t max, uint64_t *out, char *err, size_t errlen);
/* A size: a JSON integer counts bytes, a string has a unit as on the
 * command line ("256M", "1G", "4096K"; a bare number is MiB). */
int control_arg_size(json_object *args, const char *name, bool required,
		     uint64_t *out, char *err, size_t errlen);

/*
 * `armvm ctl PATH COMMAND [KEY=VALUE | KEY:=JSON]...` (argv[0] is "ctl").
 * Returns the exit status: 0 ok, 1 the VM replied with an error, 2 usage
 * or connection errors.
 */
int cmd_ctl(int argc, char **argv);

/*
 * The request `armvm ctl` sends for COMMAND and its KEY=VALUE arguments
 * (argc of them): VALUE true/false/null and JSON numbers become those JSON
 * types, anything else a string; KEY:=JSON takes any JSON value as is.
 * Returns a new object, or NULL with a message in err.
 */
json_object *ctl_make_request(const char *command, int argc, char **argv,
			      char *err, size_t errlen);

#endif
