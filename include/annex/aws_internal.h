/* aws_internal.h - the AWS context's inside, shared by the files of the
 * AWS layer (src/aws*.c; today aws.c, aws_query.c, aws_rest.c, aws_parallel.c, aws_pace.c and aws_deadline.c).
 * Not for other
 * modules: they hold a struct aws_ctx * and use the accessors in
 * annex/aws.h (tests/integration/test_layering.sh checks this).
 */
#ifndef ANNEX_AWS_INTERNAL_H
#define ANNEX_AWS_INTERNAL_H

#include <pthread.h>

#include "annex/aws.h"

struct aws_ctx {
	char *region;
	struct aws_creds creds;
	struct aws_endpoint ep[AWS_N_SERVICES];
	struct http_client *http;
	struct sigv4_cache sigcache;
	int debug;
	FILE *trace;
	unsigned long calls;           /* API calls made (one per aws_send) */
	unsigned long attempts;        /* HTTP requests sent, resends included */
	struct aws_retrier retry;      /* settings, sleep and jitter source */
	time_t (*clock)(void);         /* signing time; default time() */
	unsigned long max_pages;       /* pages per listing; 0: AWS_MAX_PAGES (root context's counts) */
	struct http_opts http_opts;    /* what the client was made with (a forked context makes its own) */
	struct aws_ctx *parent;        /* a forked context: region, endpoints and creds are the parent's */
	/* Credentials that expire are fetched again before they do (aws.c,
	 * aws_creds_take). They live in the root context only (a forked one's
	 * creds stay zeroed), guarded by its creds_lock: one refresh serves
	 * every thread, and each attempt signs with its own copy, so a
	 * refresh never frees what another thread is signing with. */
	pthread_mutex_t creds_lock;    /* root context only */
	time_t creds_retry_at;         /* root: no advisory refresh before this */
	unsigned long creds_gen;       /* root: bumped at each refresh */
	unsigned long sigcache_gen;    /* this context: the creds_gen its sigcache was filled under */
};

/* The error ending a listing past aws_ctx_max_pages (aws_query.c):
 * BadReply naming the call (service, then action or "GET path"); -1. */
int aws_too_many_pages(const char *service, const char *call, unsigned long max_pages, struct annex_err *err);

/* ---- the words of the time limits (aws_deadline.c) ---- */

/* "host:port" of a Host value (the port the scheme implies when none). */
void aws_where(char *out, size_t n, const char *host, int https);
/* ms as "2 s" or "1.5 s" (tenths only below 10 s, where they matter). */
void aws_secs(char *out, size_t n, long ms);
/* The service as the user knows it ("EC2", "EventBridge"), for messages. */
const char *aws_service_title(enum aws_service svc);
/* "annex: waiting for HOST:PORT (EC2 Op) ... N s, WHAT": one line, no
 * secret (the host and the operation only). */
void aws_note_waiting(FILE *f, const char *where, enum aws_service svc, const char *op, long waited_ms,
		      const char *what);
/* A transport timeout (hr->timed_out) as the one line the user needs: the
 * call, the endpoint, the limit that fired and the knob that sets it;
 * code "Timeout", retryable. */
void aws_timeout_message(const struct aws_ctx *ctx, enum aws_service svc, const char *op, const char *where,
			 const struct http_response *hr, struct annex_err *err);

#endif
