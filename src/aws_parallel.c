/* aws_parallel.c - independent AWS calls at once (see aws_run_parallel in
 * include/annex/aws.h).
 *
 * One thread per task, each on a context forked from the caller's: its own
 * libcurl handle (so its own connection) and its own signing-key cache,
 * the parent's region and endpoints borrowed read-only, and the parent's
 * credentials read (and refreshed when they near their expiry) under the
 * parent's creds_lock, copied for each attempt (aws.c, aws_creds_take). The
 * parent is not used while the tasks run, and outlives them. libcurl is
 * thread-safe with one easy handle per thread once curl_global_init has run
 * (http_client_new runs it, on the caller's thread, when the parent was
 * made); OpenSSL 3 needs no locking callbacks. Why threads and not
 * libcurl's multi interface: docs/design.md, "Independent calls at once". */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "annex/aws_internal.h"

/* A context for another thread; NULL (err set) when its HTTP client cannot
 * be made. Freed by aws_ctx_free, which frees only what it owns. */
static struct aws_ctx *aws_ctx_fork(struct aws_ctx *parent, struct annex_err *err)
{
	struct aws_ctx *c = xcalloc(1, sizeof(*c));

	*c = *parent;
	c->parent = parent;
	c->calls = 0;
	c->attempts = 0;
	/* the credentials stay the root's alone (aws_internal.h): a shallow
	 * copy would dangle once a refresh replaced them */
	memset(&c->creds, 0, sizeof(c->creds));
	memset(&c->creds_lock, 0, sizeof(c->creds_lock));
	memset(&c->sigcache, 0, sizeof(c->sigcache));
	c->http = http_client_new(&parent->http_opts, err);
	if (!c->http) {
		free(c);
		return NULL;
	}
	return c;
}

struct aws_thread {
	struct aws_task *task;
	struct aws_ctx *ctx;
	pthread_t tid;
	int started;
};

static void *aws_thread_main(void *arg)
{
	struct aws_thread *t = arg;

	annex_err_clear(&t->task->err);
	t->task->rc = t->task->fn(t->ctx, t->task->ud, &t->task->err);
	return NULL;
}

static int aws_run_here(struct aws_ctx *ctx, struct aws_task *task)
{
	annex_err_clear(&task->err);
	task->rc = task->fn(ctx, task->ud, &task->err);
	return task->rc;
}

int aws_run_parallel(struct aws_ctx *ctx, struct aws_task *tasks, size_t n)
{
	struct aws_thread *th;
	int failed = 0;

	if (n <= 1) {
		for (size_t i = 0; i < n; i++)
			failed |= aws_run_here(ctx, &tasks[i]) != 0;
		return failed ? -1 : 0;
	}
	th = xcalloc(n, sizeof(*th));
	for (size_t i = 0; i < n; i++) {
		th[i].task = &tasks[i];
		th[i].ctx = aws_ctx_fork(ctx, &tasks[i].err);
		if (th[i].ctx && pthread_create(&th[i].tid, NULL, aws_thread_main, &th[i]) == 0)
			th[i].started = 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (th[i].started) {
			pthread_join(th[i].tid, NULL);
			ctx->calls += th[i].ctx->calls;
			ctx->attempts += th[i].ctx->attempts;
		}
		aws_ctx_free(th[i].ctx);
	}
	/* a task whose thread could not start runs here, after the others */
	for (size_t i = 0; i < n; i++)
		if (!th[i].started)
			aws_run_here(ctx, &tasks[i]);
	for (size_t i = 0; i < n; i++)
		failed |= tasks[i].rc != 0;
	free(th);
	return failed ? -1 : 0;
}
