/* test_parallel.c - aws_run_parallel (independent calls at once) and the
 * ordered progress lines of steps that run at once. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "annex/aws.h"
#include "annex/progress.h"
#include "harness.h"

/* A context with creds whose EC2 calls fail at once (nothing listens on
 * port 1), one attempt each: enough to count calls without a network. */
static struct aws_ctx *ctx_with(struct aws_creds *creds)
{
	static const struct aws_retry_settings once = { .max_attempts = 1, .base_ms = 0, .cap_ms = 0, .iam_wait_ms = 0 };
	struct aws_ctx_opts o;
	struct aws_ctx *ctx = NULL;
	struct annex_err err;

	memset(&o, 0, sizeof(o));
	o.region = "eu-west-2";
	o.creds = creds;
	o.retry = &once;
	o.option_url[AWS_EC2] = "http://127.0.0.1:1";
	if (aws_ctx_new(&o, &ctx, &err) != 0)
		return NULL;
	return ctx;
}

static struct aws_ctx *new_ctx(void)
{
	struct aws_creds creds;

	memset(&creds, 0, sizeof(creds));
	creds.access_key_id = strdup("AKIDEXAMPLE");
	creds.secret_access_key = strdup("not-a-secret");
	return ctx_with(&creds);
}

struct meet {
	atomic_int arrived;
	int n;
};

struct probe {
	struct meet *meet;
	struct aws_ctx *seen;
	char region[32];
	int fail;
};

static int task_meet(struct aws_ctx *ctx, void *ud, struct annex_err *err);

/* n tasks that meet (task_meet), each with its probe. */
static void meeting(struct meet *meet, struct probe *p, struct aws_task *t, int n)
{
	meet->n = n;
	atomic_store(&meet->arrived, 0);
	memset(p, 0, sizeof(*p) * (size_t)n);
	memset(t, 0, sizeof(*t) * (size_t)n);
	for (int i = 0; i < n; i++) {
		p[i].meet = meet;
		t[i].fn = task_meet;
		t[i].ud = &p[i];
	}
}

/* Waits (at most 5 s) until every task has arrived: only tasks that run at
 * the same time all get past it. */
static int task_meet(struct aws_ctx *ctx, void *ud, struct annex_err *err)
{
	struct probe *p = ud;
	struct timespec ms = { 0, 1000000L };

	p->seen = ctx;
	snprintf(p->region, sizeof(p->region), "%s", aws_ctx_region(ctx));
	atomic_fetch_add(&p->meet->arrived, 1);
	for (int i = 0; i < 5000 && atomic_load(&p->meet->arrived) < p->meet->n; i++)
		nanosleep(&ms, NULL);
	if (atomic_load(&p->meet->arrived) < p->meet->n)
		return annex_err_set(err, "Test", "the other tasks never ran beside this one");
	for (int i = 0; i < 2; i++) {        /* two calls, which fail: nothing listens */
		struct params q = PARAMS_INIT;
		struct annex_err e;
		xmlDoc *doc = NULL;
		aws_query(ctx, AWS_EC2, "DescribeRegions", &q, &doc, &e);
		xmlFreeDoc(doc);
	}
	if (p->fail)
		return annex_err_set(err, "Boom", "task failed on purpose");
	return 0;
}

static void t_tasks_run_at_once_on_their_own_contexts(void)
{
	struct aws_ctx *ctx = new_ctx();
	struct meet meet;
	struct probe p[3];
	struct aws_task t[3];

	CHECK(ctx != NULL);
	if (!ctx)
		return;
	meeting(&meet, p, t, 3);
	CHECK_INT(aws_run_parallel(ctx, t, 3), 0);
	for (int i = 0; i < 3; i++) {
		CHECK_INT(t[i].rc, 0);
		CHECK(p[i].seen != NULL && p[i].seen != ctx);
		CHECK_STR(p[i].region, "eu-west-2");
	}
	CHECK(p[0].seen != p[1].seen && p[1].seen != p[2].seen);
	CHECK_INT(aws_ctx_calls(ctx), 6);     /* the forked contexts' counts come back */
	aws_ctx_free(ctx);
}

/* Credentials near their expiry, from a credential_process (a script that
 * counts its runs): three threads each making calls at once refresh them
 * once in all, under the root context's lock, and every context reads the
 * new ones (the script's second run would print a different key). */
static void t_one_refresh_for_all_threads(void)
{
	char dir[] = "/tmp/test_parallel.XXXXXX", script[128], count[128], line[64];
	struct aws_creds creds;
	struct aws_ctx *ctx;
	struct meet meet;
	struct probe p[3];
	struct aws_task t[3];
	int runs = 0;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(script, sizeof(script), "%s/proc", dir);
	snprintf(count, sizeof(count), "%s/count", dir);
	f = fopen(script, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "#!/bin/sh\necho run >> '%s'\nprintf '{\"Version\": 1, \"AccessKeyId\": \"AKIDNEW\", "
		"\"SecretAccessKey\": \"new-secret\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n", count);
	fclose(f);
	CHECK(chmod(script, 0700) == 0);
	memset(&creds, 0, sizeof(creds));
	creds.access_key_id = strdup("AKIDOLD");
	creds.secret_access_key = strdup("old-secret");
	creds.kind = CREDS_PROCESS;
	creds.refresh_process = strdup(script);
	creds.process_timeout_ms = 10000;
	creds.expiration = time(NULL) + 60;      /* within the mandatory window */
	snprintf(creds.source, sizeof(creds.source), "credential_process of profile 'test' in test");
	ctx = ctx_with(&creds);
	CHECK(ctx != NULL);
	if (!ctx)
		return;
	meeting(&meet, p, t, 3);
	CHECK_INT(aws_run_parallel(ctx, t, 3), 0);
	CHECK_INT(aws_ctx_calls(ctx), 6);
	f = fopen(count, "r");
	while (f && fgets(line, sizeof(line), f))
		runs++;
	if (f)
		fclose(f);
	CHECK_INT(runs, 1);
	aws_ctx_free(ctx);
	unlink(script);
	unlink(count);
	rmdir(dir);
}

static void t_each_task_keeps_its_own_error(void)
{
	struct aws_ctx *ctx = new_ctx();
	struct meet meet;
	struct probe p[2];
	struct aws_task t[2];

	CHECK(ctx != NULL);
	if (!ctx)
		return;
	meeting(&meet, p, t, 2);
	p[1].fail = 1;
	CHECK_INT(aws_run_parallel(ctx, t, 2), -1);
	CHECK_INT(t[0].rc, 0);
	CHECK_STR(t[0].err.code, "");
	CHECK_INT(t[1].rc, -1);
	CHECK_STR(t[1].err.code, "Boom");
	aws_ctx_free(ctx);
}

static void t_one_task_runs_on_the_callers_context(void)
{
	struct aws_ctx *ctx = new_ctx();
	struct meet meet = { 0, 1 };
	struct probe p = { .meet = &meet };
	struct aws_task t = { .fn = task_meet, .ud = &p };

	CHECK(ctx != NULL);
	if (!ctx)
		return;
	CHECK_INT(aws_run_parallel(ctx, &t, 1), 0);
	CHECK(p.seen == ctx);
	aws_ctx_free(ctx);
}

static char *slurp(FILE *f)
{
	long n;
	char *s;

	fflush(f);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	if (fread(s, 1, (size_t)n, f) != (size_t)n)
		s[0] = 0;
	return s;
}

static void t_progress_keeps_the_listed_order(void)
{
	FILE *f = tmpfile();
	struct progress *pg = progress_new(f, 3);
	char *s;

	progress_printf(pg, 2, "C1 ");
	progress_printf(pg, 1, "B1 ");
	progress_printf(pg, 0, "A1 ");     /* the head: written at once */
	progress_done(pg, 2);
	fflush(f);
	CHECK_INT(ftell(f), 3);
	progress_done(pg, 0);              /* B becomes the head: its held line shows */
	progress_printf(pg, 1, "B2 ");
	progress_done(pg, 1);              /* then C, already done */
	progress_free(pg);
	s = slurp(f);
	CHECK_STR(s, "A1 B1 B2 C1 ");
	free(s);
	fclose(f);
}

static void t_progress_free_shows_what_is_held(void)
{
	FILE *f = tmpfile();
	struct progress *pg = progress_new(f, 2);
	char *s;

	progress_printf(pg, 1, "late");
	progress_printf(pg, 0, "first ");
	progress_free(pg);                 /* neither step said it was done */
	s = slurp(f);
	CHECK_STR(s, "first late");
	free(s);
	fclose(f);
}

TESTS(T(t_one_refresh_for_all_threads), T(t_tasks_run_at_once_on_their_own_contexts), T(t_each_task_keeps_its_own_error),
      T(t_one_task_runs_on_the_callers_context), T(t_progress_keeps_the_listed_order),
      T(t_progress_free_shows_what_is_held))
