/* aws.c - the AWS context and one signed request (see
 * include/annex/aws.h). The protocols (aws_query.c, aws_rest.c) build
 * requests and hand them to aws_send, which signs and sends each attempt
 * while aws_retry.c decides about resends; error replies are decoded by
 * aws_error.c; every trace line goes through trace.c's redaction. */
#include "annex/aws_internal.h"
#include "annex/timefmt.h"
#include "annex/trace.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AWS_TRACE_BODY_MAX 16384

static time_t aws_default_clock(void)
{
	return time(NULL);
}

/* The retry settings when the caller gives none. Commands pass the
 * knobs' values (ANNEX_MAX_ATTEMPTS, ANNEX_RETRY_BASE_MS,
 * ANNEX_RETRY_CAP_MS, ANNEX_IAM_WAIT_S, the timeouts, read through the knob
 * registry by session.c); the AWS layer reads no configuration of its own.
 * A context made without them has no deadline. */
static const struct aws_retry_settings aws_retry_defaults = {
	.max_attempts = 5, .base_ms = 200, .cap_ms = 20000, .iam_wait_ms = 120000,
	.connect_timeout_ms = HTTP_CONNECT_TIMEOUT_DEFAULT_MS, .request_timeout_ms = HTTP_TIMEOUT_DEFAULT_MS,
	.command_timeout_ms = 0, .notice_ms = 5000,
};

int aws_ctx_new(const struct aws_ctx_opts *opts, struct aws_ctx **out, struct annex_err *err)
{
	struct aws_ctx *ctx;

	*out = NULL;
	if (aws_region_validate(opts->region, err) < 0) {
		if (opts->creds)
			creds_free(opts->creds);
		return -1;
	}
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->region = xstrdup(opts->region);
	if (opts->creds) {
		ctx->creds = *opts->creds;
		memset(opts->creds, 0, sizeof(*opts->creds));
	}
	for (int s = 0; s < AWS_N_SERVICES; s++)
		if (aws_endpoint_resolve((enum aws_service)s, ctx->region, opts->option_url[s],
					 opts->knob_url[s], &ctx->ep[s], err) < 0)
			goto fail;
	ctx->retry.set = opts->retry ? *opts->retry : aws_retry_defaults;
	if (opts->http) {
		ctx->http_opts = *opts->http;
		ctx->http_opts.ca_bundle = opts->http->ca_bundle ? xstrdup(opts->http->ca_bundle) : NULL;
		ctx->http_opts.user_agent = opts->http->user_agent ? xstrdup(opts->http->user_agent) : NULL;
	}
	if (!ctx->http_opts.connect_timeout_ms)
		ctx->http_opts.connect_timeout_ms = ctx->retry.set.connect_timeout_ms;
	if (!ctx->http_opts.timeout_ms)
		ctx->http_opts.timeout_ms = ctx->retry.set.request_timeout_ms;
	ctx->http = http_client_new(&ctx->http_opts, err);
	if (!ctx->http)
		goto fail;
	ctx->debug = opts->debug;
	ctx->trace = opts->trace ? opts->trace : stderr;
	if (ctx->retry.set.max_attempts < 1)
		ctx->retry.set.max_attempts = 1;
	if (ctx->retry.set.iam_wait_ms < 0)
		ctx->retry.set.iam_wait_ms = 0;
	ctx->clock = aws_default_clock;
	aws_retry_start_deadline(&ctx->retry);
	pthread_mutex_init(&ctx->creds_lock, NULL);
	*out = ctx;
	return 0;
fail:
	pthread_mutex_init(&ctx->creds_lock, NULL);   /* aws_ctx_free destroys it */
	aws_ctx_free(ctx);
	return -1;
}

void aws_ctx_free(struct aws_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->parent) {
		/* a forked context (aws_parallel.c) borrows the rest from its parent */
		http_client_free(ctx->http);
		sigv4_cache_clear(&ctx->sigcache);
		free(ctx);
		return;
	}
	free((char *)ctx->http_opts.ca_bundle);
	free((char *)ctx->http_opts.user_agent);
	for (int s = 0; s < AWS_N_SERVICES; s++)
		aws_endpoint_free(&ctx->ep[s]);
	http_client_free(ctx->http);
	sigv4_cache_clear(&ctx->sigcache);
	creds_free(&ctx->creds);
	pthread_mutex_destroy(&ctx->creds_lock);
	free(ctx->region);
	free(ctx);
}

const char *aws_ctx_region(const struct aws_ctx *ctx)
{
	return ctx->region;
}

const struct aws_endpoint *aws_ctx_endpoint(const struct aws_ctx *ctx, enum aws_service svc)
{
	return &ctx->ep[svc];
}

unsigned long aws_ctx_calls(const struct aws_ctx *ctx)
{
	return ctx->calls;
}

unsigned long aws_ctx_attempts(const struct aws_ctx *ctx)
{
	return ctx->attempts;
}

long aws_ctx_connections(const struct aws_ctx *ctx)
{
	return http_client_connections(ctx->http);
}

const struct aws_retry_settings *aws_ctx_retry_settings(const struct aws_ctx *ctx)
{
	return &ctx->retry.set;
}

void aws_ctx_restart_deadline(struct aws_ctx *ctx)
{
	aws_retry_start_deadline(&ctx->retry);
}

int64_t aws_ctx_tighten_deadline(struct aws_ctx *ctx, long ms, const char *knob)
{
	int64_t saved = ctx->retry.deadline_ms, until = aws_retry_now_ms(&ctx->retry) + ms;

	if (ms > 0 && (saved == 0 || until < saved)) {
		ctx->retry.deadline_ms = until;
		ctx->retry.tight_knob = knob;
		ctx->retry.tight_ms = ms;
	}
	return saved;
}

void aws_ctx_loosen_deadline(struct aws_ctx *ctx, int64_t saved)
{
	ctx->retry.deadline_ms = saved;
	ctx->retry.tight_knob = NULL;
	ctx->retry.tight_ms = 0;
}

long aws_ctx_time_left_ms(const struct aws_ctx *ctx)
{
	return aws_retry_time_left_ms(&ctx->retry);
}

void aws_ctx_set_clock(struct aws_ctx *ctx, time_t (*clock)(void))
{
	ctx->clock = clock ? clock : aws_default_clock;
}

void aws_ctx_set_sleep(struct aws_ctx *ctx, void (*sleep_ms)(long ms))
{
	ctx->retry.sleep_ms = sleep_ms;
}

void aws_ctx_set_random(struct aws_ctx *ctx, uint64_t (*random)(void))
{
	ctx->retry.random = random;
}

void aws_ctx_set_max_pages(struct aws_ctx *ctx, unsigned long n)
{
	ctx->max_pages = n;
}

unsigned long aws_ctx_max_pages(const struct aws_ctx *ctx)
{
	while (ctx->parent)
		ctx = ctx->parent;
	return ctx->max_pages ? ctx->max_pages : AWS_MAX_PAGES;
}

void aws_reply_free(struct aws_reply *reply)
{
	if (!reply)
		return;
	http_response_free(&reply->http);
	reply->status = 0;
}

/* One formatted trace line, through the redaction filter like all others. */
__attribute__((format(printf, 3, 4)))
static void aws_trace_line(struct aws_ctx *ctx, const struct aws_creds *c, const char *fmt, ...)
{
	const char *known[] = { c->secret_access_key, c->session_token };
	struct buf t = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&t, fmt, ap);
	va_end(ap);
	flockfile(ctx->trace);
	trace_write(ctx->trace, "annex: ", buf_cstr(&t), t.len, 0, known, 2);
	funlockfile(ctx->trace);
	buf_free(&t);
}

/* Whether a body with this content type may be shown in the trace: S3
 * object bodies never are (an uploaded file may hold anything), XML on S3
 * is; every other service's body is shown, redacted. */
static int aws_trace_body_ok(enum aws_service svc, const char *content_type)
{
	if (svc != AWS_S3)
		return 1;
	return content_type && (strstr(content_type, "xml") != NULL);
}

static void aws_trace_request(struct aws_ctx *ctx, const struct aws_creds *c, const struct aws_request *req,
			      const char *url, const struct http_header *h, size_t nh, int attempt, int max)
{
	const char *known[] = { c->secret_access_key, c->session_token };
	const char *ctype = NULL;
	struct buf t = BUF_INIT;

	buf_printf(&t, "%s %s (%s %s, attempt %d of %d)\n", req->method, url, aws_service_name(req->svc),
		   req->op ? req->op : "", attempt + 1, max);
	for (size_t i = 0; i < nh; i++) {
		buf_printf(&t, "%s: %s\n", h[i].name, h[i].value);
		if (strcasecmp(h[i].name, "Content-Type") == 0)
			ctype = h[i].value;
	}
	flockfile(ctx->trace);      /* one request's lines together, whatever other threads trace */
	trace_write(ctx->trace, "annex: -> ", t.data, t.len, 0, known, 2);
	if (req->body_len) {
		if (aws_trace_body_ok(req->svc, ctype))
			trace_write(ctx->trace, "annex: -> ", req->body, req->body_len, AWS_TRACE_BODY_MAX, known, 2);
		else
			aws_trace_line(ctx, c, "-> <%zu bytes of object data not shown>", req->body_len);
	}
	funlockfile(ctx->trace);
	buf_free(&t);
}

static void aws_trace_reply(struct aws_ctx *ctx, const struct aws_creds *c, const struct aws_request *req,
			    const struct http_response *r)
{
	const char *known[] = { c->secret_access_key, c->session_token };
	struct buf t = BUF_INIT;
	const char *ctype = http_response_header(r, "Content-Type");

	buf_printf(&t, "HTTP %ld (%ld ms)\n", r->status, r->elapsed_ms);
	for (size_t i = 0; i < r->n_headers; i++)
		buf_printf(&t, "%s: %s\n", r->headers[i].name, r->headers[i].value);
	flockfile(ctx->trace);
	trace_write(ctx->trace, "annex: <- ", t.data, t.len, 0, known, 2);
	if (r->body.len) {
		if (aws_trace_body_ok(req->svc, ctype) || r->status >= 300)
			trace_write(ctx->trace, "annex: <- ", r->body.data, r->body.len, AWS_TRACE_BODY_MAX, known, 2);
		else
			aws_trace_line(ctx, c, "<- <%zu bytes of object data not shown>", r->body.len);
	}
	funlockfile(ctx->trace);
	buf_free(&t);
}

/* Signs one attempt: fills hdrs (Host, the request's headers, then the
 * signer's) and returns how many; the values the signer added are owned by
 * res. */
static int aws_sign(struct aws_ctx *ctx, const struct aws_creds *c, time_t now, const struct aws_request *req,
		    const char *host, const char *path, struct http_header *hdrs, size_t *nh,
		    struct sigv4_result *res, struct annex_err *err)
{
	const struct aws_endpoint *ep = &ctx->ep[req->svc];
	struct sigv4_header *sh = xcalloc(req->n_headers + 1, sizeof(*sh));
	struct sigv4_request sr;
	struct sigv4_params sp;
	size_t n = 0;
	int rc;

	sh[n].name = "Host";
	sh[n++].value = host;
	for (size_t i = 0; i < req->n_headers; i++) {
		sh[n].name = req->headers[i].name;
		sh[n++].value = req->headers[i].value;
	}
	memset(&sr, 0, sizeof(sr));
	sr.method = req->method;
	sr.path = path;
	sr.query = req->query;
	sr.headers = sh;
	sr.n_headers = n;
	sr.body = req->body;
	sr.body_len = req->body_len;
	memset(&sp, 0, sizeof(sp));
	sp.region = ep->signing_region;
	sp.service = aws_service_name(req->svc);
	sp.when = now;
	sp.access_key = c->access_key_id;
	sp.secret_key = c->secret_access_key;
	sp.token = c->session_token;
	sp.normalize = req->svc != AWS_S3;
	sp.double_uri_encode = req->svc != AWS_S3;
	/* S3 needs the payload hash; moto rejects Lambda GETs without it and AWS accepts it */
	sp.sign_body = req->svc == AWS_S3 || req->svc == AWS_LAMBDA;
	sp.cache = &ctx->sigcache;
	memset(res, 0, sizeof(*res));
	rc = sigv4_sign_header(&sr, &sp, res, err);
	free(sh);
	if (rc < 0)
		return -1;
	n = 0;
	hdrs[n].name = "Host";
	hdrs[n++].value = (char *)host;
	for (size_t i = 0; i < req->n_headers; i++)
		hdrs[n++] = req->headers[i];
	for (int i = 0; i < res->n_added; i++) {
		hdrs[n].name = res->added[i].name;
		hdrs[n++].value = res->added[i].value;
	}
	*nh = n;
	return 0;
}

/* One call in flight: what every attempt of it needs. */
struct aws_send_state {
	struct aws_ctx *ctx;
	const struct aws_request *req;
	struct aws_reply *reply;
	const char *host, *path, *url;
	struct http_header *hdrs;
	int max;
	/* the time limits (docs/design.md, "Deadlines") */
	char where[300];              /* host:port, for notes and messages */
	int64_t start_ms;             /* when the call began, on the retrier's clock */
	int noted;                    /* the waiting note was given */
	int attempts;
	int timed_out;                /* the last attempt ended at a time limit */
	struct aws_creds creds;       /* this attempt's copy of the credentials (aws_creds_take) */
};

/* The one note a call gives when it has waited notice_ms in all. */
static void aws_note(struct aws_send_state *st, const char *what)
{
	if (st->noted)
		return;
	st->noted = 1;
	aws_note_waiting(st->ctx->trace, st->where, st->req->svc, st->req->op ? st->req->op : st->req->method,
			 (long)(aws_retry_now_ms(&st->ctx->retry) - st->start_ms), what);
}

/* The transport's slow hook: an attempt still in flight at the note's time. */
static void aws_send_slow(void *ud, long elapsed_ms)
{
	(void)elapsed_ms;
	aws_note(ud, "no reply yet");
}

/* The context whose credentials every context forked from it shares. */
static struct aws_ctx *aws_root(struct aws_ctx *ctx)
{
	while (ctx->parent)
		ctx = ctx->parent;
	return ctx;
}

/* Whether the context has credentials at all (read under the root's lock:
 * another thread may be replacing them). */
static int aws_have_creds(struct aws_ctx *ctx)
{
	struct aws_ctx *root = aws_root(ctx);
	int have;

	pthread_mutex_lock(&root->creds_lock);
	have = root->creds.access_key_id && root->creds.secret_access_key;
	pthread_mutex_unlock(&root->creds_lock);
	return have;
}

/* The credentials for one attempt, into *c (a copy: freed, cleansed, by
 * the caller). When they come from a source that can be asked again and
 * are within CREDS_ADVISORY_S of their expiry (creds.h), they are fetched
 * again first, under the root's lock, so one refresh serves every thread
 * and the others wait for it; the old ones are cleansed as they are
 * freed. A refresh that fails keeps the old ones in the advisory window
 * (retried after CREDS_RETRY_S) and fails the call in the mandatory one.
 * Never a secret in a trace line or an error. */
static int aws_creds_take(struct aws_ctx *ctx, time_t now, struct aws_creds *c, struct annex_err *err)
{
	struct aws_ctx *root = aws_root(ctx);
	enum creds_due due;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	pthread_mutex_lock(&root->creds_lock);
	due = creds_refresh_due(&root->creds, now);
	if (due != CREDS_DUE_NOT && creds_refreshable(&root->creds) &&
	    (due == CREDS_DUE_MANDATORY || now >= root->creds_retry_at)) {
		struct aws_creds fresh;
		struct annex_err e;
		char was[21], exp[21];

		annex_err_clear(&e);
		timefmt_iso8601(root->creds.expiration, was);
		if (creds_refresh(&root->creds, &fresh, &e) == 0) {
			creds_free(&root->creds);
			root->creds = fresh;
			root->creds_gen++;
			timefmt_iso8601(fresh.expiration, exp);
			if (ctx->debug)
				aws_trace_line(ctx, &fresh, "credentials fetched again from %s (the old ones expired %s; "
					       "these expire %s)", fresh.source, was, fresh.expiration ? exp : "never");
		} else if (due == CREDS_DUE_MANDATORY) {
			*err = e;
			annex_err_prefix(err, "the credentials expire at %s and could not be fetched again", was);
			rc = -1;
		} else if (ctx->debug) {
			aws_trace_line(ctx, &root->creds, "could not fetch the credentials again (%s); the current ones "
				       "last until %s", e.msg, was);
		}
		root->creds_retry_at = now + CREDS_RETRY_S;
	}
	if (rc == 0)
		creds_copy(&root->creds, c);
	pthread_mutex_unlock(&root->creds_lock);
	/* a signing key derived from the old secret must not sign for the new one */
	if (ctx->sigcache_gen != root->creds_gen) {
		sigv4_cache_clear(&ctx->sigcache);
		ctx->sigcache_gen = root->creds_gen;
	}
	return rc;
}

/* One attempt (struct aws_attempt's send): signed anew, traced, sent,
 * an error reply decoded into err. */
static int aws_send_once(void *ud, int n, int fresh, struct annex_err *err)
{
	struct aws_send_state *st = ud;
	struct aws_ctx *ctx = st->ctx;
	const struct aws_request *req = st->req;
	struct aws_reply *reply = st->reply;
	struct sigv4_result sig;
	struct http_request hr;
	size_t nh = 0;
	long left;
	time_t now = ctx->clock();   /* once per attempt: the refresh decision and the signature agree */
	int rc;

	creds_free(&st->creds);
	if (aws_creds_take(ctx, now, &st->creds, err) < 0)
		return -1;
	if (aws_sign(ctx, &st->creds, now, req, st->host, st->path, st->hdrs, &nh, &sig, err) < 0)
		return -1;
	if (ctx->debug)
		aws_trace_request(ctx, &st->creds, req, st->url, st->hdrs, nh, n, st->max);
	memset(&hr, 0, sizeof(hr));
	hr.method = req->method;
	hr.url = st->url;
	hr.headers = st->hdrs;
	hr.n_headers = nh;
	hr.body = req->body;
	hr.body_len = req->body_len;
	hr.fresh_connection = fresh;
	/* no attempt outlives the command's deadline */
	left = aws_retry_time_left_ms(&ctx->retry);
	hr.timeout_ms = left > 0 ? left : 0;
	if (ctx->retry.set.notice_ms > 0 && !st->noted) {
		int64_t due = st->start_ms + ctx->retry.set.notice_ms - aws_retry_now_ms(&ctx->retry);

		hr.slow_after_ms = due > 0 ? (long)due : 1;
		hr.slow = aws_send_slow;
		hr.slow_ud = st;
	}
	http_response_free(&reply->http);
	ctx->attempts++;
	st->attempts++;
	rc = http_perform(ctx->http, &hr, &reply->http, err);
	sigv4_result_free(&sig);
	st->timed_out = rc < 0 && reply->http.timed_out != HTTP_TIMEOUT_NONE;
	if (rc < 0) {
		if (st->timed_out)
			aws_timeout_message(ctx, req->svc, req->op ? req->op : req->method, st->where, &reply->http,
					    err);
		else if (strcmp(err->code, "Transport") == 0)
			annex_err_prefix(err, "%s %s", aws_service_title(req->svc), req->op ? req->op : req->method);
		if (ctx->debug)
			aws_trace_line(ctx, &st->creds, "<- %s", err->msg);
		return -1;
	}
	reply->status = reply->http.status;
	if (ctx->debug)
		aws_trace_reply(ctx, &st->creds, req, &reply->http);
	if (reply->status < 300 || (reply->status == 304 && req->svc == AWS_S3))
		return 0;
	return aws_error_decode(reply->status, &reply->http, err);
}

static void aws_send_waiting(void *ud, long ms, const struct annex_err *why)
{
	struct aws_send_state *st = ud;
	const struct aws_retry_settings *set = &st->ctx->retry.set;

	if (st->ctx->debug)
		aws_trace_line(st->ctx, &st->creds, "retrying %s %s in %ld ms (%s)", aws_service_name(st->req->svc),
			       st->req->op ? st->req->op : st->req->method, ms, why->code);
	/* a wait that carries the call past the note's time is told now,
	 * while it waits, with what it waits for */
	if (set->notice_ms > 0 && !st->noted &&
	    aws_retry_now_ms(&st->ctx->retry) + ms - st->start_ms >= set->notice_ms) {
		char what[ANNEX_ERR_CODE_MAX + 64], secs[32];

		aws_secs(secs, sizeof(secs), ms);
		snprintf(what, sizeof(what), "retrying in %s after %s", secs,
			 aws_iam_propagation(why) ? "IAM propagation" : why->code);
		aws_note(st, what);
	}
}

int aws_send(struct aws_ctx *ctx, const struct aws_request *req, struct aws_reply *reply,
	     struct annex_err *caller_err)
{
	struct annex_err local, *err = caller_err ? caller_err : &local;
	const struct aws_endpoint *ep;
	struct buf host = BUF_INIT, path = BUF_INIT, url = BUF_INIT;
	struct aws_send_state st;
	struct aws_attempt at;
	int ret;

	memset(reply, 0, sizeof(*reply));
	if ((unsigned)req->svc >= AWS_N_SERVICES)
		return annex_err_set(err, "Internal", "unknown AWS service %d", (int)req->svc);
	ep = &ctx->ep[req->svc];
	if (!aws_have_creds(ctx))
		return annex_err_set(err, "Credentials", "%s %s: no AWS credentials",
				     aws_service_name(req->svc), req->op ? req->op : req->method);
	ctx->calls++;
	buf_printf(&host, "%s%s", req->host_prefix ? req->host_prefix : "", ep->host);
	buf_printf(&path, "%s%s", ep->base_path, req->path && *req->path ? req->path : "/");
	buf_printf(&url, "%s://%s%s", ep->https ? "https" : "http", host.data, path.data);
	if (req->query && *req->query)
		buf_printf(&url, "?%s", req->query);
	memset(&st, 0, sizeof(st));
	st.ctx = ctx;
	st.req = req;
	st.reply = reply;
	st.host = host.data;
	st.path = path.data;
	st.url = url.data;
	st.hdrs = xcalloc(req->n_headers + 1 + 4, sizeof(*st.hdrs));
	st.max = aws_retry_max_attempts(&ctx->retry, req->call);
	aws_where(st.where, sizeof(st.where), host.data, ep->https);
	st.start_ms = aws_retry_now_ms(&ctx->retry);
	at.send = aws_send_once;
	at.waiting = aws_send_waiting;
	at.ud = &st;
	ret = aws_retry_run(&ctx->retry, req->call, &at, err);
	if (ret < 0 && st.attempts == 0 && strcmp(err->code, "Timeout") == 0)
		annex_err_prefix(err, "%s %s", aws_service_title(req->svc), req->op ? req->op : req->method);
	if (ret < 0 && st.timed_out) {
		char secs[32];

		aws_secs(secs, sizeof(secs), (long)(aws_retry_now_ms(&ctx->retry) - st.start_ms));
		annex_err_suffix(err, "; %d attempt%s in %s", st.attempts, st.attempts == 1 ? "" : "s", secs);
	}
	if (ret == AWS_DONE)
		aws_reply_free(reply);
	creds_free(&st.creds);
	free(st.hdrs);
	buf_free(&host);
	buf_free(&path);
	buf_free(&url);
	return ret;
}
