// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the control socket's request parser and `armvm ctl`'s
 * KEY=VALUE converter (vmm/control.c, vmm/ctl.c). The first byte picks:
 *   even: the rest is one request line for control_parse_request();
 *   odd:  the rest is NUL-separated words, COMMAND then KEY=VALUE / KEY:=JSON,
 *         for ctl_make_request(); a request it makes is fed to the parser.
 * Checks (beyond ASan/UBSan/LSan): a parsed request has a command and an
 * object of arguments, re-serialised it parses again to the same thing,
 * and every error comes with a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Parse line; on success check the invariants and return 0. */
static int fz_parse(const char *line, size_t len)
{
	const char *cmd, *cmd2;
	json_object *args, *args2, *req;
	char err[256] = "";
	const char *s;
	char *copy;

	if (control_parse_request(line, len, &cmd, &args, err, sizeof(err))) {
		if (!err[0] || cmd || args)
			abort();
		return -1;
	}
	if (!cmd || !json_object_is_type(args, json_type_object))
		abort();
	/* Round trip: the same command and arguments again. */
	req = json_object_new_object();
	json_object_object_add(req, "command", json_object_new_string(cmd));
	json_object_object_add(req, "arguments", json_object_get(args));
	s = json_object_to_json_string_ext(req, FZ_FLAGS);
	if (control_parse_request(s, strlen(s), &cmd2, &args2, err,
				  sizeof(err)))
		abort();
	copy = strdup(json_object_to_json_string_ext(args, FZ_FLAGS));
	if (strcmp(cmd, cmd2) ||
	    strcmp(copy, json_object_to_json_string_ext(args2, FZ_FLAGS)))
		abort();
	free(copy);
	json_object_put(args2);
	json_object_put(req);
	json_object_put(args);
	return 0;
}

static void fz_ctl(const char *buf, size_t len)
{
	char *words[64];
	int n = 0;
	size_t i = 0;
	char err[256] = "";
	json_object *req;
	const char *s;

	/* buf is NUL-terminated (one past len). */
	while (i <= len && n < (int)(sizeof(words) / sizeof(words[0]))) {
		words[n++] = (char *)buf + i;
		i += strlen(buf + i) + 1;
	}
	req = ctl_make_request(words[0], n - 1, words + 1, err, sizeof(err));
	if (!req) {
		if (!err[0])
			abort();
		return;
	}
	s = json_object_to_json_string_ext(req, FZ_FLAGS);
	/* Arguments the user typed may still be refused by the VM (bad
	 * UTF-8, NaN, too deep), but never crash it. */
	fz_parse(s, strlen(s));
	json_object_put(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;

	if (size < 1 || size > CONTROL_MAX_LINE + 16)
		return 0;
	/* An exact-size copy, so that ASan sees any read past the line. */
	buf = malloc(size);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	if (data[0] & 1)
		fz_ctl(buf, size - 1);
	else
		fz_parse(buf, size - 1);
	free(buf);
	return 0;
}
