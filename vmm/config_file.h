/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Configuration files for `armvm run --config FILE` and named instances
 * (issue 16): a JSON object whose keys are run's long options, turned into
 * the arguments they stand for, which run's own parser then checks.
 *
 *   {"cpus": 2, "memory": "512M", "disk": ["a.img", "b.img,readonly"],
 *    "no-rng": true}
 *
 * A value option takes a string or an integer ("cpus": 2 is --cpus 2); a
 * repeatable one (disk, net, test-fault) also an array of them; a flag
 * (no-rng) true or false (false: not given). Unknown keys, other types
 * and duplicate keys are refused: json-c keeps the last of two equal keys
 * without a word, so this file finds them itself (config_file.c).
 */
#ifndef ARMVM_VMM_CONFIG_FILE_H
#define ARMVM_VMM_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* The largest configuration file read: a VM's options fit many times. */
#define RUN_CONFIG_MAX_SIZE (1u << 20)

/* A growing NULL-free list of strings it owns (strv_push copies). */
struct strv {
	char **v;
	size_t n, cap;
};

/* Append a copy of s (NULL is appended as NULL). -1 when out of memory. */
int strv_push(struct strv *s, const char *str);
void strv_free(struct strv *s);

/*
 * Append to args the arguments ("--cpus", "2", "--no-rng", ...) that the
 * configuration text (len bytes, any bytes) stands for, in the order of
 * its keys, leaving out the repeatable options that skip marks (indexed
 * like vm_run_options(): the command line gives them, and replaces the
 * file's). name is the file's name, for messages. 0, or -1 after a
 * one-line message "NAME:LINE:COLUMN: what was expected".
 */
int run_config_parse(const char *name, const char *text, size_t len,
		     struct strv *args, const bool *skip);

/* The same for the file at path. */
int run_config_read(const char *path, struct strv *args, const bool *skip);

/*
 * The JSON text of a configuration file holding what argv (argv[0] is
 * "run"; run's options only, already checked) gives: value options as
 * strings (integers when they are plain decimal numbers), repeatable ones
 * as arrays, flags as true; a later value of a single option wins, as on
 * the command line. A new string, or NULL after a message.
 */
char *run_config_from_argv(int argc, char **argv);

#endif
