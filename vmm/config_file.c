// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration files (vmm/config_file.h). json-c parses the text, strictly;
 * it keeps the last of two equal keys, so a scan of our own walks the
 * accepted text once more for the top-level object's keys, with their
 * line and column: a duplicate is refused, and every message about a key
 * says where it is. The scan only ever sees text json-c accepted as one
 * strict JSON object, which keeps it small.
 */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/util.h"
#include "vmm/config.h"
#include "vmm/config_file.h"

/* Deeper nesting is never a run option's value: refused as a wrong type. */
#define CONFIG_MAX_DEPTH 8

int strv_push(struct strv *s, const char *str)
{
	char *copy = NULL;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	if (str) {
		copy = strdup(str);
		if (!copy)
			return -1;
	}
	s->v[s->n++] = copy;
	return 0;
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* Line and column (both from 1; a column counts characters, not bytes of
 * UTF-8) of byte off in text. */
static void where(const char *text, size_t off, unsigned int *line,
		  unsigned int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

/* A top-level key: where its string starts and ends (quotes included). */
struct key_span {
	size_t start, end;
};

/*
 * The keys of the top-level object of text, which json-c accepted as a
 * strict JSON object: strings at depth 1 that open a member (after '{' or
 * a depth-1 ','). Returns how many, -1 when out of memory, or -2 with
 * *bad set at a character no JSON text has there.
 */
static long scan_keys(const char *text, size_t len, struct key_span **out,
		      size_t *bad)
{
	struct key_span *keys = NULL;
	size_t n = 0, cap = 0;
	bool expect_key = false;
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (c == '"') {
			size_t start = i;

			for (i++; i < len && text[i] != '"'; i++) {
				if (text[i] == '\\')
					i++;
				else if ((unsigned char)text[i] < 0x20)
					break;
			}
			/* json-c's strict mode takes raw control characters
			 * in strings (a newline would also throw the line
			 * numbers off); JSON has none there. */
			if (i < len && (unsigned char)text[i] < 0x20) {
				free(keys);
				*bad = i;
				return -2;
			}
			if (depth != 1 || !expect_key)
				continue;
			expect_key = false;
			if (n == cap) {
				struct key_span *k;

				cap = cap ? cap * 2 : 32;
				k = realloc(keys, cap * sizeof(*k));
				if (!k) {
					free(keys);
					return -1;
				}
				keys = k;
			}
			keys[n].start = start;
			keys[n].end = i + 1;
			n++;
		} else if (c == '{' || c == '[') {
			depth++;
			expect_key = c == '{' && depth == 1;
		} else if (c == '}' || c == ']') {
			depth--;
		} else if (c == ',' && depth == 1) {
			expect_key = true;
		} else if (c == '\'') {
			/* json-c takes 'strings' even when strict; JSON
			 * has none, and this scan would misread them. */
			free(keys);
			*bad = i;
			return -2;
		}
	}
	*out = keys;
	return (long)n;
}

/* A key's string as JSON spells it, unescaped (by json-c, which accepted
 * it already). A new string, or NULL when out of memory. */
static char *decode_key(const char *text, const struct key_span *k)
{
	size_t len = k->end - k->start;
	char *raw = strndup(text + k->start, len);
	json_object *s = raw ? json_tokener_parse(raw) : NULL;
	char *key = NULL;

	if (s && json_object_is_type(s, json_type_string))
		key = strdup(json_object_get_string(s));
	if (key && strlen(key) != (size_t)json_object_get_string_len(s)) {
		/* "\u0000" inside: no option has it; one that stops there
		 * must not pass for a shorter key. */
		free(key);
		key = strdup("\\u0000");
	}
	json_object_put(s);
	free(raw);
	return key;
}

static const char *type_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a fraction";
	case json_type_int:
		return "an integer";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "a JSON value";
}

/* One option's value as its argument: a string (without NUL bytes), or an
 * integer in decimal. NULL when it is neither. */
static const char *value_text(json_object *v, char *num, size_t size)
{
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);

		return strlen(s) == (size_t)json_object_get_string_len(v)
			   ? s
			   : NULL;
	}
	if (json_object_is_type(v, json_type_int)) {
		snprintf(num, size, "%lld",
			 (long long)json_object_get_int64(v));
		return num;
	}
	return NULL;
}

/* key as a message may show it: controls escaped, at most 64 bytes. */
static const char *shown(const char *key, char *buf, size_t size)
{
	snprintf(buf, size < 65 ? size : 65, "%s", key);
	escape_controls(buf, size);
	return buf;
}

/* The option named key, or NULL. */
static const struct run_option *find_option(const char *key, size_t *index)
{
	const struct run_option *o = vm_run_options();

	for (size_t i = 0; o[i].name; i++)
		if (!strcmp(o[i].name, key)) {
			*index = i;
			return &o[i];
		}
	return NULL;
}

/* The value as run's parser checks it, its message said at the key. */
static int check_value(const char *at, const char *key, const char *value)
{
	struct pr_capture outer;
	char msg[1024];
	int r;

	pr_capture_push(&outer, msg, sizeof(msg));
	r = vm_config_check_value(key, value);
	pr_capture_pop(&outer);
	if (r < 0)
		pr_err("%s: %s", at, msg);
	return r;
}

/* The arguments of one member; -1 after a message (at says where). */
static int member_args(const char *at, const char *key, json_object *v,
		       struct strv *args, const bool *skip)
{
	const struct run_option *o;
	char flag[80], num[32];
	size_t index, n = 1;
	const char *s;

	o = find_option(key, &index);
	if (!o) {
		char buf[300];

		pr_err("%s: unknown key '%s' (expected a long option of "
		       "armvm run, such as \"cpus\" or \"disk\")",
		       at, shown(key, buf, sizeof(buf)));
		return -1;
	}
	if (o->flags & RUN_OPT_NO_FILE) {
		pr_err("%s: '%s' cannot be given in a configuration file "
		       "(only on the command line)",
		       at, key);
		return -1;
	}
	snprintf(flag, sizeof(flag), "--%s", key);
	if (o->has_arg == no_argument) {
		if (!json_object_is_type(v, json_type_boolean)) {
			pr_err("%s: '%s': expected true or false, not %s", at,
			       key, type_name(v));
			return -1;
		}
		if (json_object_get_boolean(v) && strv_push(args, flag) < 0)
			goto nomem;
		return 0;
	}
	if (json_object_is_type(v, json_type_array)) {
		if (!(o->flags & RUN_OPT_REPEAT)) {
			pr_err("%s: '%s': expected a string or an integer, not "
			       "an array (only disk, net and test-fault "
			       "repeat)",
			       at, key);
			return -1;
		}
		n = json_object_array_length(v);
	}
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_is_type(v, json_type_array)
				     ? json_object_array_get_idx(v, i)
				     : v;

		s = value_text(e, num, sizeof(num));
		if (!s) {
			pr_err("%s: '%s'%s: expected a string%s, not %s%s", at,
			       key, e == v ? "" : "'s elements",
			       e == v && (o->flags & RUN_OPT_REPEAT)
				   ? ", an integer or an array of them"
				   : " or an integer",
			       type_name(e),
			       json_object_is_type(e, json_type_string)
				   ? " holding a NUL byte"
				   : "");
			return -1;
		}
		if (check_value(at, key, s) < 0)
			return -1;
		if (skip && skip[index])
			continue;
		if (strv_push(args, flag) < 0 || strv_push(args, s) < 0)
			goto nomem;
	}
	return 0;
nomem:
	pr_err("%s: out of memory", at);
	return -1;
}

int run_config_parse(const char *name, const char *text, size_t len,
		     struct strv *args, const bool *skip)
{
	struct json_tokener *tok = NULL;
	struct key_span *keys = NULL;
	char **names = NULL, at[PATH_MAX + 32], *copy = NULL;
	enum json_tokener_error e;
	json_object *root = NULL;
	unsigned int line, col;
	size_t end;
	long n = 0;
	int rc = -1;

	/* json-c reads up to a NUL: one inside would hide what follows. */
	if (memchr(text, '\0', len)) {
		where(text,
		      (size_t)((const char *)memchr(text, '\0', len) - text),
		      &line, &col);
		pr_err("%s:%u:%u: a NUL byte (expected a JSON object of "
		       "armvm run options)",
		       name, line, col);
		return -1;
	}
	if (len > RUN_CONFIG_MAX_SIZE) {
		pr_err("%s: larger than %u bytes", name, RUN_CONFIG_MAX_SIZE);
		return -1;
	}
	/* A copy that ends with a NUL: json-c then knows the text ends
	 * (the caller's need not have one). */
	copy = malloc(len + 1);
	tok = json_tokener_new_ex(CONFIG_MAX_DEPTH);
	if (!tok || !copy)
		goto nomem;
	memcpy(copy, text, len);
	copy[len] = 0;
	text = copy;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)len + 1);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (e == json_tokener_success && end < len &&
	    strspn(text + end, " \t\r\n") != len - end)
		e = json_tokener_error_parse_unexpected;
	if (e != json_tokener_success) {
		where(text, end < len ? end : len, &line, &col);
		pr_err("%s:%u:%u: not JSON: %s (expected a JSON object of "
		       "armvm run options)",
		       name, line, col,
		       end < len && e == json_tokener_error_parse_unexpected
			   ? "unexpected character"
			   : json_tokener_error_desc(e));
		goto out;
	}
	if (!json_object_is_type(root, json_type_object)) {
		where(text, strspn(text, " \t\r\n"), &line, &col);
		pr_err("%s:%u:%u: expected a JSON object of armvm run "
		       "options, not %s",
		       name, line, col, type_name(root));
		goto out;
	}
	n = scan_keys(text, len, &keys, &end);
	if (n == -2) {
		where(text, end, &line, &col);
		pr_err("%s:%u:%u: not JSON: %s (expected a JSON object of "
		       "armvm run options)",
		       name, line, col,
		       text[end] == '\'' ? "a single quote"
					 : "a control character in a string");
		goto out;
	}
	if (n < 0)
		goto nomem;
	names = calloc((size_t)n + 1, sizeof(*names));
	if (!names)
		goto nomem;
	for (long i = 0; i < n; i++) {
		json_object *v;

		names[i] = decode_key(text, &keys[i]);
		if (!names[i])
			goto nomem;
		where(text, keys[i].start, &line, &col);
		snprintf(at, sizeof(at), "%s:%u:%u", name, line, col);
		for (long j = 0; j < i; j++) {
			unsigned int l0, c0;
			char buf[300];

			if (strcmp(names[i], names[j]))
				continue;
			where(text, keys[j].start, &l0, &c0);
			pr_err("%s: duplicate key '%s' (first at line %u, "
			       "column %u; expected each option once, "
			       "repeatable ones as an array)",
			       at, shown(names[i], buf, sizeof(buf)), l0, c0);
			goto out;
		}
		/* Never absent: json-c kept every key the scan found. */
		if (!json_object_object_get_ex(root, names[i], &v)) {
			pr_err("%s: key not understood", at);
			goto out;
		}
		if (member_args(at, names[i], v, args, skip) < 0)
			goto out;
	}
	/* Every member was seen (a guard on the scan: never expected). */
	if ((size_t)n != (size_t)json_object_object_length(root)) {
		pr_err("%s: members not understood (expected a JSON object of "
		       "armvm run options)",
		       name);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	pr_err("%s: out of memory", name);
out:
	for (long i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	free(keys);
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	free(copy);
	return rc;
}

int run_config_read(const char *path, struct strv *args, const bool *skip)
{
	uint8_t *data;
	size_t size;
	int rc;

	if (read_file(path, &data, &size, RUN_CONFIG_MAX_SIZE) < 0)
		return -1;
	rc = run_config_parse(path, (const char *)data, size, args, skip);
	free(data);
	return rc;
}

/* A plain decimal number that reads back the same ("2", not "02" or
 * "+2"), small enough for a JSON integer. */
static bool plain_number(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n && n == strlen(s) && n <= 15 && (s[0] != '0' || n == 1);
}

char *run_config_from_argv(int argc, char **argv)
{
	const struct run_option *opts = vm_run_options();
	struct option table[64];
	json_object *root = json_object_new_object(), *v, *a;
	char *text = NULL;
	size_t n = 0;
	int c, index;

	while (opts[n].name)
		n++;
	if (n >= ARRAY_SIZE(table) || !root)
		goto fail;
	for (size_t i = 0; i <= n; i++)
		table[i] = (struct option){opts[i].name, opts[i].has_arg, NULL,
					   opts[i].val};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:i:a:c:m:d:vh", table,
				&index)) != -1) {
		const struct run_option *o = NULL;

		/* Short options: the long one of the same value. */
		for (size_t i = 0; i < n && !o; i++)
			if (opts[i].val == c)
				o = &opts[i];
		if (!o || (o->flags & RUN_OPT_NO_FILE))
			continue;
		if (o->has_arg == no_argument)
			v = json_object_new_boolean(1);
		else if (plain_number(optarg))
			v = json_object_new_int64(strtoll(optarg, NULL, 10));
		else
			v = json_object_new_string(optarg);
		if (!v)
			goto fail;
		if (!(o->flags & RUN_OPT_REPEAT)) {
			json_object_object_add(root, o->name, v);
			continue;
		}
		if (!json_object_object_get_ex(root, o->name, &a)) {
			a = json_object_new_array();
			if (!a || json_object_object_add(root, o->name, a)) {
				json_object_put(v);
				goto fail;
			}
		}
		json_object_array_add(a, v);
	}
	text = strdup(json_object_to_json_string_ext(
	    root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		      JSON_C_TO_STRING_NOSLASHESCAPE));
	if (!text)
		goto fail;
	json_object_put(root);
	return text;
fail:
	pr_err("out of memory");
	json_object_put(root);
	return NULL;
}
