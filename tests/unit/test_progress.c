// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the progress line (lib/progress.c): nothing unless the
 * stream is a terminal (or forced on), the first step and 100% always
 * drawn, redraws at most every 100 ms, the line erased at the end, the
 * count never past the total.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/progress.h"
#include "tests/unit/check.h"

/* Everything written to f so far, as a string (static buffer). */
static const char *contents(FILE *f)
{
	static char buf[4096];
	size_t n;

	fflush(f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fseek(f, 0, SEEK_END);
	return buf;
}

static int count(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* A file is no terminal: progress_start draws nothing at all. */
static void silent_when_not_a_terminal(void)
{
	FILE *f = tmpfile();
	struct progress p;

	CHECK(f);
	if (!f)
		return;
	progress_start(&p, f, "image build", 100 << 20);
	progress_add(&p, 50 << 20);
	progress_add(&p, 50 << 20);
	progress_end(&p);
	CHECK_STR(contents(f), "");
	fclose(f);
}

/* Forced on: the first step is drawn, quick further steps are not, 100%
 * is; the end erases the line. */
static void draws_throttled_and_erases(void)
{
	FILE *f = tmpfile();
	struct progress p;
	const char *s;

	CHECK(f);
	if (!f)
		return;
	progress_start_on(&p, f, "image build", 200 << 20);
	progress_add(&p, 2 << 20);
	CHECK_STR(contents(f), "\rimage build: 1% (2 of 200 MiB)\033[K");
	for (int i = 0; i < 98; i++)
		progress_add(&p, 2 << 20);
	/* All within 100 ms of the first: no redraw. */
	CHECK_EQ(count(contents(f), "\r"), 1);
	progress_add(&p, 2 << 20);
	s = contents(f);
	CHECK(strstr(s, "\rimage build: 100% (200 of 200 MiB)\033[K") != NULL);
	CHECK_EQ(count(s, "\r"), 2);
	progress_end(&p);
	s = contents(f);
	CHECK_EQ(strcmp(s + strlen(s) - 4, "\r\033[K"), 0);
	/* Ended: further calls write nothing. */
	progress_add(&p, 1);
	progress_end(&p);
	CHECK_EQ(count(contents(f), "\r"), 3);
	fclose(f);
}

/* After 100 ms a moved percentage is drawn again; more than the total is
 * counted as the total; a total of 0 is off. */
static void redraws_later_and_clamps(void)
{
	FILE *f = tmpfile();
	struct progress p;

	CHECK(f);
	if (!f)
		return;
	progress_start_on(&p, f, "x", 10);
	progress_add(&p, 1);
	usleep(120 * 1000);
	progress_add(&p, 1);
	CHECK(strstr(contents(f), "\rx: 20% (0 of 1 MiB)") != NULL);
	progress_add(&p, 1000);
	CHECK_EQ(p.done, 10);
	CHECK(strstr(contents(f), "\rx: 100% ") != NULL);
	progress_end(&p);
	fclose(f);

	f = tmpfile();
	if (!f)
		return;
	progress_start_on(&p, f, "x", 0);
	progress_add(&p, 5);
	progress_end(&p);
	CHECK_STR(contents(f), "");
	fclose(f);
}

int main(void)
{
	check_suite = "progress";
	RUN(silent_when_not_a_terminal);
	RUN(draws_throttled_and_erases);
	RUN(redraws_later_and_clamps);
	return check_main_end();
}
