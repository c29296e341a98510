/* progress.c - ordered progress lines from steps running at once (see
 * include/annex/progress.h). */
#include "annex/progress.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>

#include "annex/buf.h"

struct progress {
	pthread_mutex_t lock;
	FILE *out;
	size_t n, head;         /* head: the first step not yet done, which writes through */
	struct buf *held;       /* per step: what it said while not the head */
	unsigned char *done;
};

struct progress *progress_new(FILE *out, size_t n_steps)
{
	struct progress *pg = xcalloc(1, sizeof(*pg));

	pthread_mutex_init(&pg->lock, NULL);
	pg->out = out;
	pg->n = n_steps;
	pg->held = xcalloc(n_steps ? n_steps : 1, sizeof(*pg->held));
	pg->done = xcalloc(n_steps ? n_steps : 1, 1);
	return pg;
}

static void progress_show(struct progress *pg, struct buf *b)
{
	if (b->len) {
		fwrite(b->data, 1, b->len, pg->out);
		fflush(pg->out);
	}
	buf_free(b);
}

void progress_printf(struct progress *pg, size_t step, const char *fmt, ...)
{
	struct buf t = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&t, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&pg->lock);
	if (step == pg->head)
		progress_show(pg, &t);
	else if (step < pg->n)
		buf_append(&pg->held[step], t.data, t.len);
	pthread_mutex_unlock(&pg->lock);
	buf_free(&t);
}

void progress_done(struct progress *pg, size_t step)
{
	pthread_mutex_lock(&pg->lock);
	if (step < pg->n)
		pg->done[step] = 1;
	while (pg->head < pg->n && pg->done[pg->head]) {
		pg->head++;
		if (pg->head < pg->n)
			progress_show(pg, &pg->held[pg->head]);
	}
	pthread_mutex_unlock(&pg->lock);
}

void progress_free(struct progress *pg)
{
	if (!pg)
		return;
	for (size_t i = pg->head; i < pg->n; i++)
		progress_show(pg, &pg->held[i]);
	pthread_mutex_destroy(&pg->lock);
	free(pg->held);
	free(pg->done);
	free(pg);
}
