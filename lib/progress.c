// SPDX-License-Identifier: GPL-2.0
/* The progress line (lib/progress.h). */
#include <unistd.h>

#include "lib/progress.h"
#include "lib/util.h"

#define REDRAW_MS 100

void progress_start_on(struct progress *p, FILE *out, const char *what,
		       uint64_t total)
{
	*p = (struct progress){.out = total ? out : NULL,
			       .what = what,
			       .total = total,
			       .last_ms = -1,
			       .last_pct = -1};
}

void progress_start(struct progress *p, FILE *out, const char *what,
		    uint64_t total)
{
	progress_start_on(p, out && isatty(fileno(out)) ? out : NULL, what,
			  total);
}

static void draw(struct progress *p, int pct)
{
	/* \r and erase-to-end-of-line: the new line may be shorter. */
	fprintf(p->out, "\r%s: %d%% (%llu of %llu MiB)\033[K", p->what, pct,
		(unsigned long long)(p->done >> 20),
		(unsigned long long)((p->total + (1 << 20) - 1) >> 20));
	fflush(p->out);
	p->drawn = true;
}

void progress_add(struct progress *p, uint64_t n)
{
	int64_t t;
	int pct;

	if (!p->out)
		return;
	p->done = p->done + n > p->total ? p->total : p->done + n;
	pct = (int)(p->done * 100 / p->total);
	if (pct == p->last_pct)
		return;
	t = monotonic_ms();
	if (p->last_ms >= 0 && t - p->last_ms < REDRAW_MS && pct != 100)
		return;
	p->last_ms = t;
	p->last_pct = pct;
	draw(p, pct);
}

void progress_end(struct progress *p)
{
	if (p->out && p->drawn) {
		fputs("\r\033[K", p->out);
		fflush(p->out);
	}
	p->drawn = false;
	p->out = NULL;
}
