// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: configuration files (`armvm run --config FILE`, an
 * instance's config.json; vmm/config_file.c, issue 16). A file is the
 * user's, but it may come from anywhere (copied, generated): whatever it
 * holds, the parser must end in arguments or one clean error, and the
 * arguments it gives must be what run_config_from_argv() writes back out
 * and reads in again (the instance's config.json is made that way).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "vmm/config.h"
#include "vmm/config_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const struct strv *a, const struct strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char errors[1024];
	struct strv args = {0}, again = {0}, argv = {0};
	char *text;

	pr_capture_begin(errors, sizeof(errors));
	if (run_config_parse("fuzz.json", (const char *)data, size, &args,
			     NULL) < 0) {
		/* A message that names the file (pr_err prints it as one
		 * line: a value's own newlines become spaces). */
		if (strncmp(errors, "fuzz.json", 9))
			abort();
		goto out;
	}
	for (size_t i = 0; i < args.n; i++)
		if (!args.v[i])
			abort();
	if (strv_push(&argv, "run") < 0)
		abort();
	for (size_t i = 0; i < args.n; i++)
		if (strv_push(&argv, args.v[i]) < 0)
			abort();
	if (strv_push(&argv, NULL) < 0)
		abort();
	text = run_config_from_argv((int)argv.n - 1, argv.v);
	if (!text ||
	    run_config_parse("again.json", text, strlen(text), &again, NULL) <
		0 ||
	    !same(&args, &again))
		abort();
	free(text);
out:
	pr_capture_end();
	strv_free(&args);
	strv_free(&again);
	strv_free(&argv);
	return 0;
}
