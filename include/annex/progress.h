/* progress.h - the progress lines of steps that run at once (one thread
 * each), shown as they happen but in the order the steps are listed: the
 * first unfinished step writes straight through, the others are held and
 * shown when every step before them has ended. So a run prints exactly
 * what the same steps one after another would print, and a slow step
 * still shows what it waits for.
 *
 *   struct progress *pg = progress_new(stdout, 3);
 *   // in step i's thread:
 *   progress_printf(pg, i, "Creating %s..", what);
 *   progress_printf(pg, i, " complete.\n");
 *   progress_done(pg, i);
 *   // after every thread is joined:
 *   progress_free(pg);
 */
#ifndef ANNEX_PROGRESS_H
#define ANNEX_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

struct progress;

struct progress *progress_new(FILE *out, size_t n_steps);
void progress_printf(struct progress *pg, size_t step, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The step has nothing more to say. */
void progress_done(struct progress *pg, size_t step);
/* Shows whatever is still held (steps never marked done, in order) and
 * frees pg. */
void progress_free(struct progress *pg);

#endif
