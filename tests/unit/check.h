/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A very small unit-test harness. Each test is a function; RUN(fn) runs it
 * and prints "PASS: <suite>/<fn>" or "FAIL: <suite>/<fn>: <first failed check>"
 * as tests/run expects. check_main_end() returns the exit status.
 */
#ifndef ARMVM_TESTS_CHECK_H
#define ARMVM_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static const char *check_suite = "unit";
static int check_failed_tests;
static int check_cur_failed;
static char check_first_failure[512];

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond)) {                                            \
			if (!check_cur_failed)                            \
				snprintf(check_first_failure,             \
					 sizeof(check_first_failure),     \
					 "%s:%d: %s", __FILE__, __LINE__, \
					 #cond);                          \
			check_cur_failed = 1;                             \
		}                                                         \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		unsigned long long check_a_ = (unsigned long long)(a);         \
		unsigned long long check_b_ = (unsigned long long)(b);         \
		if (check_a_ != check_b_) {                                    \
			if (!check_cur_failed)                                 \
				snprintf(check_first_failure,                  \
					 sizeof(check_first_failure),          \
					 "%s:%d: %s == %s (0x%llx != 0x%llx)", \
					 __FILE__, __LINE__, #a, #b, check_a_, \
					 check_b_);                            \
			check_cur_failed = 1;                                  \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

#define RUN(fn)                                                       \
	do {                                                          \
		check_cur_failed = 0;                                 \
		fn();                                                 \
		if (check_cur_failed) {                               \
			printf("FAIL: %s/%s: %s\n", check_suite, #fn, \
			       check_first_failure);                  \
			check_failed_tests++;                         \
		} else {                                              \
			printf("PASS: %s/%s\n", check_suite, #fn);    \
		}                                                     \
		fflush(stdout);                                       \
	} while (0)

static inline int check_main_end(void)
{
	return check_failed_tests ? 1 : 0;
}

#endif
