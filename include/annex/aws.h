/* aws.h - talking to AWS (SPEC.md section 4): endpoints, the four wire
 * protocols, error decoding, retries and paging, on top of http.h (the
 * transport) and sigv4.h (the signer). It knows nothing of commands or
 * options: the caller resolves the region, credentials and URL overrides
 * and hands them to aws_ctx_new.
 *
 *   struct params p = PARAMS_INIT;
 *   params_add(&p, "InstanceType", "m5.large");
 *   aws_params_add_list(&p, "SecurityGroupId", ids, n);   // SecurityGroupId.1 ...
 *   xmlDoc *doc;
 *   if (aws_query(ctx, AWS_EC2, "RunInstances", &p, &doc, err) < 0) ...
 *   params_free(&p);
 *
 * Every call is signed anew per attempt and resent as its policy says
 * (aws_retry.h: by default on throttling codes, 500/502/503/504 and
 * connection failures, with capped exponential backoff and full jitter).
 * The *_with variants take that policy (struct aws_call); the others use
 * the default. A failed call leaves err->code = AWS's code, err->msg =
 * "CODE: message (request id)" and err->http_status set.
 */
#ifndef ANNEX_AWS_H
#define ANNEX_AWS_H

#include <json-c/json.h>
#include <libxml/tree.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "annex/aws_retry.h"
#include "annex/buf.h"
#include "annex/creds.h"
#include "annex/err.h"
#include "annex/http.h"
#include "annex/params.h"
#include "annex/sigv4.h"

enum aws_service {
	AWS_EC2,
	AWS_S3,
	AWS_IAM,
	AWS_STS,
	AWS_LAMBDA,
	AWS_EVENTS,      /* CloudWatch Events / EventBridge */
	AWS_SSM,
	AWS_PRICING,     /* the Price List API (one endpoint region: us-east-1) */
	AWS_N_SERVICES
};

/* ---- endpoints (endpoint.c) ---- */

struct aws_endpoint {
	char *url;              /* scheme://host[:port][/base], no trailing '/' */
	char *host;             /* host[:port] as sent in Host */
	char *base_path;        /* "" or "/base" from a configured URL */
	char *signing_region;   /* the region, or the partition's global region for IAM */
	int https;
	int custom;             /* configured (option, environment, knob), not derived */
	const char *source;     /* "-aws-ec2-url", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL",
				   "ANNEX_DEFAULT_EC2_URL", or "derived" */
};

/* The signing name ("ec2", "s3", "iam", "sts", "lambda", "events", "ssm",
 * "pricing"). */
const char *aws_service_name(enum aws_service svc);

/* Checks a region name ("us-east-1", "cn-north-1", "us-gov-west-1",
 * "us-iso-east-1"); on failure err->code is "Config" and the message says
 * what a region looks like. */
int aws_region_validate(const char *region, struct annex_err *err);

/* "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", by region prefix. */
const char *aws_partition(const char *region);

/* Resolves one service's endpoint, highest first: option_url (the
 * -aws-*-url option), AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL,
 * knob_url (a *configured* ANNEX_DEFAULT_<SERVICE>_URL: the caller passes
 * NULL when the value is only the parameter-table default; IAM and STS have
 * none), then https://SERVICE.REGION.<partition domain> (IAM: the
 * partition's global endpoint). An empty string counts as unset. A
 * configured URL must be http:// or https://; a derived one is always
 * https. The signing region is the region, except for IAM (partition's
 * global region). out is owned by the caller (aws_endpoint_free). */
int aws_endpoint_resolve(enum aws_service svc, const char *region, const char *option_url,
			 const char *knob_url, struct aws_endpoint *out, struct annex_err *err);
void aws_endpoint_free(struct aws_endpoint *ep);

/* ---- the context (aws.c) ---- */

struct aws_ctx_opts {
	const char *region;                          /* required, validated */
	struct aws_creds *creds;                     /* moved into the context (zeroed here) */
	const char *option_url[AWS_N_SERVICES];      /* -aws-*-url options, NULL when absent */
	const char *knob_url[AWS_N_SERVICES];        /* configured ANNEX_DEFAULT_*_URL, NULL when not configured */
	int debug;                                   /* trace every request and reply */
	FILE *trace;                                 /* NULL: stderr */
	const struct http_opts *http;                /* NULL: defaults */
	/* NULL: the defaults (5 attempts, 200 ms base, 20 s cap, 120 s IAM
	 * wait, 60 s connect and attempt timeouts, a note after 5 s, no
	 * deadline). Commands pass the knobs' values (session.c). The
	 * timeouts go to the HTTP client unless http sets its own; the
	 * command's deadline starts when the context is made. */
	const struct aws_retry_settings *retry;
};

/* The context is opaque: the region, credentials, endpoints, HTTP client,
 * SigV4 key cache, retry settings, counters and clock live in aws.c. */
struct aws_ctx;

/* Builds a context: validates the region, resolves every endpoint, creates
 * the HTTP client. On failure nothing is kept (the creds are freed). */
int aws_ctx_new(const struct aws_ctx_opts *opts, struct aws_ctx **out, struct annex_err *err);
void aws_ctx_free(struct aws_ctx *ctx);

/* The validated region the context was made for. */
const char *aws_ctx_region(const struct aws_ctx *ctx);
/* The endpoint resolved for a service. */
const struct aws_endpoint *aws_ctx_endpoint(const struct aws_ctx *ctx, enum aws_service svc);
/* API calls made (one per aws_send) and HTTP requests sent (resends
 * included), new connections opened. */
unsigned long aws_ctx_calls(const struct aws_ctx *ctx);
unsigned long aws_ctx_attempts(const struct aws_ctx *ctx);
long aws_ctx_connections(const struct aws_ctx *ctx);
/* The retry settings in effect. */
const struct aws_retry_settings *aws_ctx_retry_settings(const struct aws_ctx *ctx);

/* Starts the command's deadline (ANNEX_COMMAND_TIMEOUT) again from now:
 * after a prompt, so that the time the user takes to answer is not taken
 * from the AWS work that follows. */
void aws_ctx_restart_deadline(struct aws_ctx *ctx);
/* A tighter deadline for calls a command can do without (a launch's
 * prices when no -max-cost needs them): now + ms, unless the command's own
 * deadline ends sooner; messages then name knob. Returns what
 * aws_ctx_loosen_deadline gives back. */
int64_t aws_ctx_tighten_deadline(struct aws_ctx *ctx, long ms, const char *knob);
void aws_ctx_loosen_deadline(struct aws_ctx *ctx, int64_t saved);
/* The ms left before that deadline (0 once passed), -1 when there is none. */
long aws_ctx_time_left_ms(const struct aws_ctx *ctx);

/* For tests: the signing clock (default time()), the wait between attempts
 * (default nanosleep) and the jitter source (default RAND_bytes). */
void aws_ctx_set_clock(struct aws_ctx *ctx, time_t (*clock)(void));
void aws_ctx_set_sleep(struct aws_ctx *ctx, void (*sleep_ms)(long ms));
void aws_ctx_set_random(struct aws_ctx *ctx, uint64_t (*random)(void));

/* The most pages one listing (the *_paginate calls below) reads: an
 * endpoint that keeps sending new page tokens would otherwise be read
 * forever (a token that comes back is caught at once). Past it the
 * listing fails with BadReply naming the call. Far above any real
 * listing: DescribeInstances pages at 1000, so 10000 pages are ten
 * million instances (docs/security.md, "Hostile replies"). Tests lower it
 * with aws_ctx_set_max_pages (0: the default again); forked contexts use
 * their root's. */
#define AWS_MAX_PAGES 10000UL
void aws_ctx_set_max_pages(struct aws_ctx *ctx, unsigned long n);
unsigned long aws_ctx_max_pages(const struct aws_ctx *ctx);

/* ---- pacing a poll (aws_pace.c) ---- */

/* The monotonic clock (CLOCK_MONOTONIC) in ms: what poll deadlines count in. */
long long aws_monotonic_ms(void);

/* The pause between two looks of a poll that waits for something in the
 * cloud (launch -wait): min(interval_ms, deadline_ms - now), slept by the
 * context's retrier (aws_retry.c is the one place annex sleeps, and a
 * test's aws_ctx_set_sleep replaces it); nothing once the deadline has passed.
 * Returns the ms left before deadline_ms after the pause (0: reached).
 * After the pause the command's deadline (ANNEX_COMMAND_TIMEOUT) starts
 * again: it bounds each look's calls, the poll's own deadline the poll.
 * Only the pollers tests/integration/test_layering.sh names call it. */
long long aws_pace(struct aws_ctx *ctx, long long deadline_ms, long interval_ms);

/* ---- independent calls at once (aws_parallel.c) ---- */

/* A piece of work that makes AWS calls on its own context, independent of
 * the others run beside it: it must not share mutable state with them
 * except through what its ud points to. */
struct aws_task {
	int (*fn)(struct aws_ctx *ctx, void *ud, struct annex_err *err);
	void *ud;
	int rc;                       /* set by aws_run_parallel: fn's return value */
	struct annex_err err;         /* set by aws_run_parallel: fn's error */
};

/* Runs every task at once, each in a thread of its own on a context forked
 * from ctx (its own connection and signing-key cache; the region,
 * endpoints, credentials, retry settings and hooks are ctx's), and returns
 * when all have ended: 0 when every task returned 0, else -1 (each task's
 * rc and err say which failed and why). The forked contexts' call counters
 * are added to ctx. With n == 1, or when a thread cannot be started, tasks
 * run one after another on ctx itself. */
int aws_run_parallel(struct aws_ctx *ctx, struct aws_task *tasks, size_t n);

/* ---- one signed request with retries (aws.c) ---- */

struct aws_request {
	enum aws_service svc;
	const char *method;
	const char *path;             /* already encoded, starting with '/' (endpoint base path is prepended) */
	const char *query;            /* already encoded, without '?'; NULL for none */
	const struct http_header *headers;  /* extra headers (Content-Type, X-Amz-Target, ...) */
	size_t n_headers;
	const void *body;
	size_t body_len;
	const char *op;               /* operation name, for traces and messages */
	const char *host_prefix;      /* S3 virtual-hosted: "bucket." before the endpoint host, else NULL */
	const struct aws_call *call;  /* resend policy (aws_retry.h); NULL: the default */
};

struct aws_reply {
	long status;
	struct http_response http;    /* headers and body */
};

/* Sends req signed for its service, resending as req->call says (see
 * aws_retry.h). A reply with status >= 300 is decoded into err (-1).
 * Returns 0, AWS_DONE (1: a before_resend hook ended the call, reply is
 * empty), or -1. reply is always filled as far as it got; free it with
 * aws_reply_free. */
int aws_send(struct aws_ctx *ctx, const struct aws_request *req, struct aws_reply *reply,
	     struct annex_err *err);
void aws_reply_free(struct aws_reply *reply);

/* ---- query protocol (EC2, IAM, STS) (aws_query.c) ---- */

/* Query parameters are a struct params (params.h); these add lists. */
/* name from a format: aws_params_addn(p, "v", "TagSpecification.%d.ResourceType", i) */
void aws_params_addn(struct params *p, const char *value, const char *name_fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* EC2-style flattened list: Prefix.1, Prefix.2, ... */
void aws_params_add_list(struct params *p, const char *prefix, const char *const *values, size_t n);
/* IAM/STS-style member list: Prefix.member.1, Prefix.member.2, ... */
void aws_params_add_members(struct params *p, const char *prefix, const char *const *values, size_t n);

/* The form body: Action=...&Version=...&name=value..., each name and value
 * form-encoded as botocore does (unreserved A-Za-z0-9-_.~ kept, space as
 * '+', the rest %XX). */
void aws_query_body(struct buf *out, const char *action, const char *version,
		    const struct params *p);
/* The API version a query service speaks (EC2 2016-11-15, IAM 2010-05-08,
 * STS 2011-06-15), NULL for other services. */
const char *aws_query_version(enum aws_service svc);

/* POSTs the action; on success *doc holds the parsed XML reply (xmlFreeDoc). */
int aws_query(struct aws_ctx *ctx, enum aws_service svc, const char *action,
	      const struct params *params, xmlDoc **doc, struct annex_err *err);
/* The same under a resend policy (call may be NULL); returns AWS_DONE (1)
 * with *doc NULL when call's before_resend ended the call. */
int aws_query_with(struct aws_ctx *ctx, enum aws_service svc, const char *action,
		   const struct params *params, const struct aws_call *call, xmlDoc **doc,
		   struct annex_err *err);

/* Called once per page; return 0 to go on, -1 (with err set) to stop. */
typedef int (*aws_xml_page_fn)(xmlDoc *doc, void *ud, struct annex_err *err);

/* Pages through a query action to the end: EC2 answers nextToken and is
 * asked again with NextToken; IAM answers IsTruncated + Marker and is asked
 * again with Marker. params is not modified. */
int aws_query_paginate(struct aws_ctx *ctx, enum aws_service svc, const char *action,
		       const struct params *params, aws_xml_page_fn fn, void *ud,
		       struct annex_err *err);

/* ---- REST-XML (S3), REST-JSON (Lambda), JSON 1.1 (Events, SSM) (aws_rest.c) ---- */

/* S3: bucket addressed virtual-hosted on AWS endpoints when its name allows,
 * path-style on configured endpoints; key single-encoded ('/' kept, no
 * normalisation); query already encoded or NULL. The reply body is raw
 * (object bytes, or XML). content_type may be NULL. */
int aws_s3(struct aws_ctx *ctx, const char *method, const char *bucket, const char *key,
	   const char *query, const void *body, size_t body_len, const char *content_type,
	   struct aws_reply *reply, struct annex_err *err);

/* REST-JSON: method + path (already encoded) + query (encoded or NULL) +
 * JSON body (NULL for none); *out is the parsed reply, NULL when empty
 * (json_object_put). out may be NULL. */
int aws_rest_json(struct aws_ctx *ctx, enum aws_service svc, const char *method, const char *path,
		  const char *query, json_object *in, json_object **out, struct annex_err *err);
/* The same under a resend policy (call may be NULL); returns AWS_DONE (1)
 * with *out NULL when call's before_resend ended the call. */
int aws_rest_json_with(struct aws_ctx *ctx, enum aws_service svc, const char *method, const char *path,
		       const char *query, const struct aws_call *call, json_object *in, json_object **out,
		       struct annex_err *err);

/* JSON 1.1: POST / with X-Amz-Target: <prefix>.<op> (AWSEvents, AmazonSSM,
 * AWSPriceListService).
 * in may be NULL ({}). */
int aws_json11(struct aws_ctx *ctx, enum aws_service svc, const char *op, json_object *in,
	       json_object **out, struct annex_err *err);

typedef int (*aws_json_page_fn)(json_object *page, void *ud, struct annex_err *err);

/* JSON 1.1 paging: NextToken in the reply is sent back as NextToken. */
int aws_json11_paginate(struct aws_ctx *ctx, enum aws_service svc, const char *op, json_object *in,
			aws_json_page_fn fn, void *ud, struct annex_err *err);

/* REST-JSON GET paging (Lambda): the reply's NextMarker is sent back as the
 * Marker query parameter. query may be NULL. */
int aws_rest_json_paginate(struct aws_ctx *ctx, enum aws_service svc, const char *path,
			   const char *query, aws_json_page_fn fn, void *ud, struct annex_err *err);

/* Percent-encodes s for a URL path segment or query value (SigV4 rules:
 * A-Za-z0-9-_.~ kept; '/' kept when keep_slash). */
void aws_url_encode(struct buf *out, const char *s, int keep_slash);

/* ---- error replies (aws_error.c) ---- */

/* Decodes an error reply of any shape into err: err->code = AWS's code,
 * err->msg = "CODE: message (request id)", err->http_status = status,
 * err->retryable when the code or status calls for a retry. Shapes: EC2
 * <Response><Errors><Error>, IAM/STS <ErrorResponse><Error>, S3 <Error>
 * (request id from <RequestId> or x-amz-request-id), JSON __type (after
 * '#') or x-amzn-ErrorType (before ':') with message/Message, and XML on
 * JSON services. Always returns -1. */
int aws_error_decode(long status, const struct http_response *resp, struct annex_err *err);

/* Whether an AWS error code means "slow down". */
int aws_error_is_throttle(const char *code);

#endif
