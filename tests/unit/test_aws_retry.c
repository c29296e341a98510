/* Retries against a local server (tests/lib/throttle_server.py) that
 * throttles, answers 5xx or resets the connection for the first requests,
 * then answers: annex retries, re-signs each attempt, waits with full
 * jitter, and gives up after the bound with AWS's error message. Also:
 * connection reuse, the ANNEX_MAX_ATTEMPTS / ANNEX_RETRY_BASE_MS settings,
 * and a -debug trace that holds no secret. The per-call policies
 * (aws_retry.h): NEVER sends once, TOKEN resends the same body on a new
 * connection each time, before_resend may end a call as done, and the IAM
 * propagation wait keeps its schedule and bound and waits on nothing
 * else. Last, the transport options the IMDS client uses. */
#include "annex/aws.h"
#include "annex/xml.h"
#include "harness.h"

#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define SECRET "tEsTsEcReT/KEY+0123456789abcdefghijklmn"

struct server {
	pid_t pid;
	int port;
	char dir[64];
	char log[128];
};

static int start_server(struct server *s, const char *faults)
{
	char portfile[128];
	char *argv[6];
	struct timespec ts = { 0, 20 * 1000000L };

	snprintf(s->dir, sizeof(s->dir), "/tmp/annex-retry-XXXXXX");
	if (!mkdtemp(s->dir))
		return -1;
	snprintf(s->log, sizeof(s->log), "%s/log.jsonl", s->dir);
	snprintf(portfile, sizeof(portfile), "%s/port", s->dir);
	argv[0] = (char *)"python3";
	argv[1] = (char *)"tests/lib/throttle_server.py";
	argv[2] = (char *)faults;
	argv[3] = s->log;
	argv[4] = portfile;
	argv[5] = NULL;
	if (posix_spawnp(&s->pid, "python3", NULL, NULL, argv, environ) != 0)
		return -1;
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(portfile, "r");
		if (f) {
			int ok = fscanf(f, "%d", &s->port) == 1;
			fclose(f);
			if (ok)
				return 0;
		}
		nanosleep(&ts, NULL);
	}
	return -1;
}

static void stop_server(struct server *s)
{
	char cmd[200];

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", s->dir);
}

/* Reads the server's log into one string. */
static char *read_log(const struct server *s)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(s->log, "r");

	if (f) {
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_append(&b, chunk, n);
		fclose(f);
	}
	return buf_steal(&b);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static time_t fake_now = 1767225600; /* 2026-01-01T00:00:00Z */
static time_t fake_clock(void) { return fake_now++; }
static long sleeps[16];
static int n_sleeps;
static void fake_sleep(long ms) { if (n_sleeps < 16) sleeps[n_sleeps] = ms; n_sleeps++; }
static uint64_t fake_random(void) { return 150; }

static const struct aws_retry_settings test_retry = { .max_attempts = 5, .base_ms = 100, .cap_ms = 1000, .iam_wait_ms = 10000 };

static struct aws_ctx *make_ctx_with(int port, FILE *trace, const struct aws_retry_settings *rs)
{
	struct aws_ctx_opts o;
	struct aws_creds c;
	struct aws_ctx *ctx = NULL;
	struct annex_err err;
	char url[64];

	memset(&o, 0, sizeof(o));
	memset(&c, 0, sizeof(c));
	c.access_key_id = xstrdup("AKIDRETRYTEST");
	c.secret_access_key = xstrdup(SECRET);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	o.region = "us-west-2";
	o.creds = &c;
	o.option_url[AWS_EC2] = url;
	o.option_url[AWS_EVENTS] = url;
	o.option_url[AWS_IAM] = url;
	o.option_url[AWS_LAMBDA] = url;
	o.debug = trace != NULL;
	o.trace = trace;
	o.retry = rs;
	if (aws_ctx_new(&o, &ctx, &err) < 0) {
		fprintf(stderr, "aws_ctx_new: %s\n", err.msg);
		return NULL;
	}
	aws_ctx_set_clock(ctx, fake_clock);
	aws_ctx_set_sleep(ctx, fake_sleep);
	aws_ctx_set_random(ctx, fake_random);
	n_sleeps = 0;
	return ctx;
}

static struct aws_ctx *make_ctx(int port, FILE *trace)
{
	return make_ctx_with(port, trace, &test_retry);
}

/* A test's fixture: the server with its faults and a context on it (rs's
 * retry settings; trace as make_ctx_with). NULL, the test failed, when
 * either did not start; fixture_end frees both. */
static struct aws_ctx *fixture_with(struct server *s, const char *faults, FILE *trace,
				    const struct aws_retry_settings *rs)
{
	struct aws_ctx *ctx;

	CHECK(start_server(s, faults) == 0);
	CHECK((ctx = make_ctx_with(s->port, trace, rs)) != NULL);
	return ctx;
}

static struct aws_ctx *fixture(struct server *s, const char *faults, FILE *trace)
{
	return fixture_with(s, faults, trace, &test_retry);
}

static void fixture_end(struct server *s, struct aws_ctx *ctx)
{
	aws_ctx_free(ctx);
	stop_server(s);
}

static void t_throttle_then_answer(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx = fixture(&s, "throttle*2", NULL);
	struct annex_err err;
	xmlDoc *doc = NULL;
	char *log;

	if (!ctx)
		goto out;
	CHECK(aws_query(ctx, AWS_EC2, "DescribeRegions", NULL, &doc, &err) == 0);
	CHECK(doc != NULL);
	if (doc) {
		char *rid = xml_text(xmlDocGetRootElement(doc), "requestId");
		CHECK_STR(rid, "ok-3");
		free(rid);
		xmlFreeDoc(doc);
	}
	CHECK_INT(aws_ctx_calls(ctx), 1);
	CHECK_INT(aws_ctx_attempts(ctx), 3);
	/* full jitter with the pinned random number: 150 % (100+1), 150 % (200+1) */
	CHECK_INT(n_sleeps, 2);
	CHECK_INT(sleeps[0], 49);
	CHECK_INT(sleeps[1], 150);
	log = read_log(&s);
	CHECK_INT(count(log, "\"authorized\": true"), 3);
	/* re-signed on each attempt: the signing time moved with the clock */
	CHECK(strstr(log, "\"x_amz_date\": \"20260101T000000Z\"") != NULL);
	CHECK(strstr(log, "\"x_amz_date\": \"20260101T000001Z\"") != NULL);
	CHECK(strstr(log, "\"x_amz_date\": \"20260101T000002Z\"") != NULL);
	free(log);
out:
	fixture_end(&s, ctx);
}

static void t_5xx_and_reset(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx = fixture(&s, "reset,503,502,500", NULL);
	struct annex_err err;
	xmlDoc *doc = NULL;

	if (!ctx)
		goto out;
	CHECK(aws_query(ctx, AWS_EC2, "DescribeRegions", NULL, &doc, &err) == 0);
	xmlFreeDoc(doc);
	CHECK_INT(aws_ctx_attempts(ctx), 5);
	CHECK_INT(n_sleeps, 4);
out:
	fixture_end(&s, ctx);
}

static void t_give_up(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx = fixture(&s, "throttle*20", NULL);
	struct annex_err err;
	xmlDoc *doc = NULL;
	char *log;

	if (!ctx)
		goto out;
	annex_err_clear(&err);
	CHECK(aws_query(ctx, AWS_EC2, "DescribeRegions", NULL, &doc, &err) == -1);
	CHECK(doc == NULL);
	CHECK_STR(err.code, "RequestLimitExceeded");
	CHECK_STR(err.msg, "RequestLimitExceeded: Request limit exceeded. (throttled-1)");
	CHECK_INT(err.http_status, 503);
	CHECK_INT(aws_ctx_attempts(ctx), 5);
	CHECK_INT(n_sleeps, 4);
	/* the cap holds: ceilings 100, 200, 400, 800 (cap 1000) */
	CHECK_INT(sleeps[2], 150);
	CHECK_INT(sleeps[3], 150);
	log = read_log(&s);
	CHECK_INT(count(log, "\"n\":"), 5);
	free(log);
out:
	fixture_end(&s, ctx);
}

static void t_not_retryable(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx = fixture(&s, "400", NULL);
	struct annex_err err;
	xmlDoc *doc = NULL;

	if (!ctx)
		goto out;
	CHECK(aws_query(ctx, AWS_EC2, "DescribeRegions", NULL, &doc, &err) == -1);
	CHECK_STR(err.msg, "InvalidParameterValue: bad value (bad-1)");
	CHECK_INT(err.retryable, 0);
	CHECK_INT(aws_ctx_attempts(ctx), 1);
	CHECK_INT(n_sleeps, 0);
out:
	fixture_end(&s, ctx);
}

static void t_json_throttle(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx = fixture(&s, "throttle,throttle", NULL);
	struct annex_err err;
	json_object *out = NULL, *n;

	if (!ctx)
		goto out;
	CHECK(aws_json11(ctx, AWS_EVENTS, "ListRules", NULL, &out, &err) == 0);
	CHECK(out && json_object_object_get_ex(out, "n", &n) && json_object_get_int(n) == 3);
	json_object_put(out);
out:
	fixture_end(&s, ctx);
}

static void t_connection_refused(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx;
	struct annex_err err;
	xmlDoc *doc = NULL;
	int port;

	/* a port that was just free: start and stop a server to learn one */
	CHECK(start_server(&s, "") == 0);
	port = s.port;
	stop_server(&s);
	CHECK((ctx = make_ctx(port, NULL)) != NULL);
	if (!ctx)
		return;
	CHECK(aws_query(ctx, AWS_EC2, "DescribeRegions", NULL, &doc, &err) == -1);
	CHECK_STR(err.code, "Transport");
	CHECK_INT(err.retryable, 1);
	CHECK_INT(aws_ctx_attempts(ctx), 5);
	CHECK(strstr(err.msg, "POST http://127.0.0.1:") != NULL);
	aws_ctx_free(ctx);
}

static void t_connection_reuse(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx = fixture(&s, "", NULL);
	struct annex_err err;

	if (!ctx)
		goto out;
	for (int i = 0; i < 5; i++) {
		xmlDoc *doc = NULL;
		CHECK(aws_query(ctx, AWS_EC2, "DescribeRegions", NULL, &doc, &err) == 0);
		xmlFreeDoc(doc);
	}
	CHECK_INT(aws_ctx_calls(ctx), 5);
	CHECK_INT(aws_ctx_connections(ctx), 1);
out:
	fixture_end(&s, ctx);
}

static void t_env_settings(void)
{
	struct aws_ctx_opts o;
	struct aws_ctx *ctx = NULL;

	/* the AWS layer reads no configuration: without settings it uses the
	 * defaults, whatever the environment says (commands pass the knobs'
	 * values, read through the knob registry) */
	memset(&o, 0, sizeof(o));
	o.region = "us-east-1";
	setenv("ANNEX_MAX_ATTEMPTS", "2", 1);
	setenv("ANNEX_RETRY_BASE_MS", "7", 1);
	setenv("ANNEX_IAM_WAIT_S", "3", 1);
	CHECK(aws_ctx_new(&o, &ctx, NULL) == 0);
	if (ctx) {
		CHECK_INT(aws_ctx_retry_settings(ctx)->max_attempts, 5);
		CHECK_INT(aws_ctx_retry_settings(ctx)->base_ms, 200);
		CHECK_INT(aws_ctx_retry_settings(ctx)->cap_ms, 20000);
		CHECK_INT(aws_ctx_retry_settings(ctx)->iam_wait_ms, 120000);
		aws_ctx_free(ctx);
	}
	unsetenv("ANNEX_MAX_ATTEMPTS");
	unsetenv("ANNEX_RETRY_BASE_MS");
	unsetenv("ANNEX_IAM_WAIT_S");
	o.region = "nowhere";
	CHECK(aws_ctx_new(&o, &ctx, NULL) == -1);
	CHECK(ctx == NULL);
}

static void t_debug_trace(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx;
	struct annex_err err;
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);

	ctx = fixture(&s, "throttle", f);
	if (!ctx)
		goto out;
	params_add(&p, "UserData", "cG9vbCBwYXNzd29yZDogaHVudGVyMg==");
	params_add(&p, "ImageId", "ami-0123");
	CHECK(aws_query(ctx, AWS_EC2, "RunInstances", &p, &doc, &err) == 0);
	xmlFreeDoc(doc);
	params_free(&p);
	aws_ctx_free(ctx);
	fclose(f);
	f = NULL;
	CHECK(strstr(data, SECRET) == NULL);
	CHECK(strstr(data, "tEsTsEcReT") == NULL);
	CHECK(strstr(data, "cG9vbCBwYXNzd29yZDogaHVudGVyMg") == NULL);
	CHECK(strstr(data, "ImageId=ami-0123") != NULL);
	CHECK(strstr(data, "Signature=<redacted>") != NULL);
	CHECK(strstr(data, "(ec2 RunInstances, attempt 2 of 5)") != NULL);
	CHECK(strstr(data, "annex: <- HTTP 503") != NULL);
	CHECK(strstr(data, "retrying ec2 RunInstances in 49 ms (RequestLimitExceeded)") != NULL);
	/* every signature the server saw is absent from the trace: none is printed in full */
	CHECK(count(data, "Signature=") == count(data, "Signature=<redacted>"));
out:
	if (f)
		fclose(f);
	free(data);
	stop_server(&s);
}

/* S3 addressing. AWS's own hosts take only https://, so the AWS endpoint
 * is seen in the -debug trace (the local server is the HTTPS proxy, so the
 * AWS host names never resolve; it refuses the CONNECT and nothing reaches
 * AWS): virtual-hosted on an amazonaws.com endpoint, path-style for a
 * bucket name that cannot be a DNS label; the key single-encoded; the
 * payload hash and Content-MD5 sent. A local endpoint, plain http://, is
 * seen on the wire: path-style. */
static void t_s3_addressing_via_proxy(void)
{
	struct server s = { 0 };
	static const struct aws_retry_settings once = { .max_attempts = 1, .base_ms = 0, .cap_ms = 0, .iam_wait_ms = 0 };
	struct aws_ctx_opts o;
	struct aws_creds c;
	struct aws_ctx *ctx = NULL;
	struct aws_reply reply;
	struct annex_err err;
	char proxy[64], local[64], *log, *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);

	CHECK(start_server(&s, "") == 0);
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", s.port);
	snprintf(local, sizeof(local), "http://127.0.0.1:%d/", s.port);
	setenv("https_proxy", proxy, 1);
	setenv("HTTPS_PROXY", proxy, 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	memset(&o, 0, sizeof(o));
	memset(&c, 0, sizeof(c));
	/* plain http:// to AWS is refused before anything is sent */
	c.access_key_id = xstrdup("AKIDS3");
	c.secret_access_key = xstrdup(SECRET);
	o.region = "eu-west-1";
	o.creds = &c;
	o.option_url[AWS_S3] = "http://s3.eu-west-1.amazonaws.com";
	annex_err_clear(&err);
	CHECK(aws_ctx_new(&o, &ctx, &err) == -1);
	CHECK_STR(err.code, "Config");
	CHECK(strstr(err.msg, "-aws-s3-url") != NULL);
	aws_ctx_free(ctx);
	ctx = NULL;

	memset(&c, 0, sizeof(c));
	c.access_key_id = xstrdup("AKIDS3");
	c.secret_access_key = xstrdup(SECRET);
	o.creds = &c;
	o.option_url[AWS_S3] = "https://s3.eu-west-1.amazonaws.com";
	o.debug = 1;
	o.trace = f;
	o.retry = &once;
	CHECK(aws_ctx_new(&o, &ctx, &err) == 0);
	if (!ctx)
		goto out;
	aws_ctx_set_sleep(ctx, fake_sleep);
	CHECK(aws_s3(ctx, "PUT", "my-bucket", "dir/a b~c.txt", NULL, "hello", 5, "text/plain", &reply, &err) == -1);
	aws_reply_free(&reply);
	CHECK(aws_s3(ctx, "GET", "my.bucket", "k", "list-type=2", NULL, 0, NULL, &reply, &err) == -1);
	aws_reply_free(&reply);
	aws_ctx_free(ctx);
	fclose(f);
	f = NULL;
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	CHECK(strstr(data, "annex: -> PUT https://my-bucket.s3.eu-west-1.amazonaws.com/dir/a%20b~c.txt (s3") != NULL);
	CHECK(strstr(data, "Host: my-bucket.s3.eu-west-1.amazonaws.com\n") != NULL);
	/* sha256("hello"), and its MD5 in base64 */
	CHECK(strstr(data, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824") != NULL);
	CHECK(strstr(data, "Content-MD5: XUFAKrxLKna5cZ2REBfFkg==") != NULL);
	CHECK(strstr(data, "annex: -> GET https://s3.eu-west-1.amazonaws.com/my.bucket/k?list-type=2 (s3") != NULL);
	CHECK(strstr(data, "Host: s3.eu-west-1.amazonaws.com\n") != NULL);

	/* a local endpoint: path-style, no proxy */
	memset(&c, 0, sizeof(c));
	c.access_key_id = xstrdup("AKIDS3");
	c.secret_access_key = xstrdup(SECRET);
	o.creds = &c;
	o.option_url[AWS_S3] = local;
	o.debug = 0;
	o.trace = NULL;
	CHECK(aws_ctx_new(&o, &ctx, &err) == 0);
	if (!ctx)
		goto out;
	CHECK(aws_s3(ctx, "GET", "my-bucket", NULL, NULL, NULL, 0, NULL, &reply, &err) == 0);
	aws_reply_free(&reply);
	aws_ctx_free(ctx);

	log = read_log(&s);
	CHECK(strstr(log, "\"path\": \"/my-bucket\"") != NULL);
	/* the AWS requests never reached the server as requests */
	CHECK(strstr(log, "amazonaws.com") == NULL);
	free(log);
out:
	if (f)
		fclose(f);
	free(data);
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	stop_server(&s);
}

/* ---- per-call policies ---- */

/* The body hash the server logged for request n. */
static int body_of(const char *log, int n, char out[65])
{
	char key[32];
	const char *p, *b;

	snprintf(key, sizeof(key), "{\"n\": %d,", n);
	if (!(p = strstr(log, key)) || !(b = strstr(p, "\"body_sha256\": \"")))
		return -1;
	memcpy(out, b + 16, 64);
	out[64] = 0;
	return 0;
}

static void t_policy_never(void)
{
	static const struct aws_call never = { .retry = AWS_RETRY_NEVER };
	struct server s = { 0 };
	struct aws_ctx *ctx = fixture(&s, "ok,503,503", NULL);
	struct annex_err err;
	xmlDoc *doc = NULL;

	if (!ctx)
		goto out;
	CHECK(aws_query(ctx, AWS_EC2, "DescribeRegions", NULL, &doc, &err) == 0);
	xmlFreeDoc(doc);
	doc = NULL;
	CHECK_INT(aws_ctx_connections(ctx), 1);
	CHECK(aws_query_with(ctx, AWS_EC2, "CreateThing", NULL, &never, &doc, &err) == -1);
	CHECK(doc == NULL);
	CHECK_STR(err.code, "ServiceUnavailable");
	CHECK_INT(err.retryable, 1);
	CHECK_INT(aws_ctx_attempts(ctx), 2);
	CHECK_INT(n_sleeps, 0);
	/* on a connection of its own: libcurl may not resend it either */
	CHECK_INT(aws_ctx_connections(ctx), 2);
out:
	fixture_end(&s, ctx);
}

/* The same failures under TOKEN and under the default: both resend, TOKEN
 * with the same body on a new connection each time, the default on the
 * kept one. */
static void token_vs_default(enum aws_retry policy, long *connections, int *same_body)
{
	struct aws_call call = { .retry = policy };
	struct server s = { 0 };
	struct aws_ctx *ctx;
	struct annex_err err;
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	char b2[65], b3[65], b4[65], *log;

	*connections = -1;
	*same_body = 0;
	ctx = fixture(&s, "ok,503,throttle", NULL);
	if (!ctx)
		goto out;
	CHECK(aws_query(ctx, AWS_EC2, "DescribeRegions", NULL, &doc, &err) == 0);
	xmlFreeDoc(doc);
	doc = NULL;
	params_add(&p, "ClientToken", "annex_0f1e2d3c-token");
	params_add(&p, "MinCount", "1");
	CHECK(aws_query_with(ctx, AWS_EC2, "RunInstances", &p, &call, &doc, &err) == 0);
	xmlFreeDoc(doc);
	params_free(&p);
	CHECK_INT(aws_ctx_attempts(ctx), 4);
	CHECK_INT(n_sleeps, 2);
	*connections = aws_ctx_connections(ctx);
	aws_ctx_free(ctx);
	log = read_log(&s);
	CHECK(body_of(log, 2, b2) == 0 && body_of(log, 3, b3) == 0 && body_of(log, 4, b4) == 0);
	*same_body = strcmp(b2, b3) == 0 && strcmp(b3, b4) == 0;
	free(log);
out:
	stop_server(&s);
}

static void t_policy_token(void)
{
	long conns;
	int same;

	token_vs_default(AWS_RETRY_TOKEN, &conns, &same);
	CHECK(same);
	CHECK_INT(conns, 4);     /* the first call's, then one per attempt */
	token_vs_default(AWS_RETRY_IDEMPOTENT, &conns, &same);
	CHECK(same);
	CHECK_INT(conns, 1);     /* the default keeps its connection */
}

struct hook_log {
	int calls;
	int answer;              /* what the hook returns */
	int set_err;             /* with answer -1: set its own error */
	char last[4][ANNEX_ERR_CODE_MAX];
	int notices;
	long notice_s;
};

static int hook(void *ud, const struct annex_err *last, struct annex_err *err)
{
	struct hook_log *h = ud;

	if (h->calls < 4)
		snprintf(h->last[h->calls], sizeof(h->last[0]), "%s", last->code);
	h->calls++;
	if (h->answer < 0 && h->set_err)
		return annex_err_set(err, "HookSaysNo", "the hook stopped it");
	return h->answer;
}

static void notice(void *ud, long limit_s)
{
	struct hook_log *h = ud;

	h->notices++;
	h->notice_s = limit_s;
}

static void t_before_resend(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx = fixture(&s, "503*40", NULL);
	struct annex_err err;
	struct hook_log h;
	struct aws_call call = { .retry = AWS_RETRY_TOKEN, .before_resend = hook, .ud = &h };
	xmlDoc *doc = NULL;

	if (!ctx)
		goto out;
	/* "already done": stops at once and succeeds, no reply, no wait */
	memset(&h, 0, sizeof(h));
	h.answer = AWS_DONE;
	CHECK_INT(aws_query_with(ctx, AWS_EC2, "RunInstances", NULL, &call, &doc, &err), AWS_DONE);
	CHECK(doc == NULL);
	CHECK_STR(err.code, "");
	CHECK_INT(h.calls, 1);
	CHECK_STR(h.last[0], "ServiceUnavailable");
	CHECK_INT(aws_ctx_attempts(ctx), 1);
	CHECK_INT(n_sleeps, 0);
	/* "resend": asked before each of the 4 resends, then the bound */
	memset(&h, 0, sizeof(h));
	h.answer = AWS_RESEND;
	CHECK(aws_query_with(ctx, AWS_EC2, "RunInstances", NULL, &call, &doc, &err) == -1);
	CHECK_INT(h.calls, 4);
	CHECK_INT(aws_ctx_attempts(ctx), 1 + 5);
	CHECK_STR(err.msg, "ServiceUnavailable: injected 503 (fault-503)");
	/* -1: the call fails with the hook's error, or else with the last one */
	memset(&h, 0, sizeof(h));
	h.answer = -1;
	h.set_err = 1;
	CHECK(aws_query_with(ctx, AWS_EC2, "RunInstances", NULL, &call, &doc, &err) == -1);
	CHECK_STR(err.code, "HookSaysNo");
	CHECK_INT(aws_ctx_attempts(ctx), 1 + 5 + 1);
	h.set_err = 0;
	CHECK(aws_query_with(ctx, AWS_EC2, "RunInstances", NULL, &call, &doc, &err) == -1);
	CHECK_STR(err.msg, "ServiceUnavailable: injected 503 (fault-503)");
out:
	fixture_end(&s, ctx);
}

static void t_iam_wait_schedule(void)
{
	static const long want[] = { 500, 1000, 2000, 4000, 8000, 8000, 8000 };

	for (int k = 0; k < 7; k++)
		CHECK_INT(aws_iam_wait_delay_ms(k), want[k]);
}

/* The propagation error is waited out 0.5, 1, 2, 4 s and then what is left
 * of the 10 s bound; those resends do not count against max_attempts (5);
 * past the bound the error names the resource and the knob. */
static void t_iam_wait_bound(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx;
	struct annex_err err;
	struct hook_log h;
	struct aws_call call = { .iam_wait = "the instance profile", .iam_notice = notice, .ud = &h };
	xmlDoc *doc = NULL;
	long total = 0;

	memset(&h, 0, sizeof(h));
	ctx = fixture(&s, "iam*40", NULL);
	if (!ctx)
		goto out;
	CHECK(aws_query_with(ctx, AWS_EC2, "RunInstances", NULL, &call, &doc, &err) == -1);
	CHECK_STR(err.code, "InvalidParameterValue");
	CHECK_STR(err.msg, "IAM did not make the instance profile usable within 10 s (ANNEX_IAM_WAIT_S); "
		  "try again later: InvalidParameterValue: Value (HTCondorAnnex-InstanceProfile) for parameter "
		  "iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name (iam-1)");
	CHECK_INT(n_sleeps, 5);
	CHECK_INT(sleeps[0], 500);
	CHECK_INT(sleeps[1], 1000);
	CHECK_INT(sleeps[2], 2000);
	CHECK_INT(sleeps[3], 4000);
	CHECK_INT(sleeps[4], 2500);
	for (int i = 0; i < 5; i++)
		total += sleeps[i];
	CHECK_INT(total, 10000);
	CHECK_INT(aws_ctx_attempts(ctx), 6);
	CHECK_INT(h.notices, 1);
	CHECK_INT(h.notice_s, 10);
out:
	fixture_end(&s, ctx);
}

/* A bound of 0 waits for nothing: one try, the error says so, no notice. */
static void t_iam_wait_off(void)
{
	static const struct aws_retry_settings no_wait = { .max_attempts = 5, .base_ms = 100, .cap_ms = 1000, .iam_wait_ms = 0 };
	struct server s = { 0 };
	struct aws_ctx *ctx;
	struct annex_err err;
	struct hook_log h;
	struct aws_call call = { .iam_wait = "the instance profile", .iam_notice = notice, .ud = &h };
	xmlDoc *doc = NULL;

	memset(&h, 0, sizeof(h));
	ctx = fixture_with(&s, "iam*5", NULL, &no_wait);
	if (!ctx)
		goto out;
	CHECK(aws_query_with(ctx, AWS_EC2, "RunInstances", NULL, &call, &doc, &err) == -1);
	CHECK(strncmp(err.msg, "IAM did not make the instance profile usable within 0 s (ANNEX_IAM_WAIT_S)", 74) == 0);
	CHECK_INT(aws_ctx_attempts(ctx), 1);
	CHECK_INT(n_sleeps, 0);
	CHECK_INT(h.notices, 0);
out:
	fixture_end(&s, ctx);
}

/* Waited on only with an iam_wait, and only for the propagation error:
 * another InvalidParameterValue is not, nor the same error without it. */
static void t_iam_wait_only_propagation(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx;
	struct annex_err err;
	struct hook_log h;
	struct aws_call call = { .iam_wait = "the instance profile", .iam_notice = notice, .ud = &h };
	xmlDoc *doc = NULL;

	memset(&h, 0, sizeof(h));
	ctx = fixture(&s, "400,iam", NULL);
	if (!ctx)
		goto out;
	CHECK(aws_query_with(ctx, AWS_EC2, "RunInstances", NULL, &call, &doc, &err) == -1);
	CHECK_STR(err.code, "InvalidParameterValue");
	CHECK_STR(err.msg, "InvalidParameterValue: bad value (bad-1)");
	CHECK_INT(aws_ctx_attempts(ctx), 1);
	CHECK_INT(n_sleeps, 0);
	CHECK_INT(h.notices, 0);
	CHECK(aws_query(ctx, AWS_EC2, "RunInstances", NULL, &doc, &err) == -1);
	CHECK_STR(err.msg, "InvalidParameterValue: Value (HTCondorAnnex-InstanceProfile) for parameter "
		  "iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name (iam-1)");
	CHECK_INT(aws_ctx_attempts(ctx), 2);
	CHECK_INT(n_sleeps, 0);
out:
	fixture_end(&s, ctx);
}

/* An IAM wait and a throttled resend in one call: each its own schedule,
 * the hook told of both (launch skips its lookup after the IAM one). */
static void t_iam_wait_then_throttle(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx;
	struct annex_err err;
	struct hook_log h;
	struct aws_call call = { .retry = AWS_RETRY_TOKEN, .before_resend = hook, .iam_wait = "the instance profile",
				 .iam_notice = notice, .ud = &h };
	xmlDoc *doc = NULL;

	memset(&h, 0, sizeof(h));
	h.answer = AWS_RESEND;
	ctx = fixture(&s, "iam,throttle,iam", NULL);
	if (!ctx)
		goto out;
	CHECK(aws_query_with(ctx, AWS_EC2, "RunInstances", NULL, &call, &doc, &err) == 0);
	xmlFreeDoc(doc);
	CHECK_INT(aws_ctx_attempts(ctx), 4);
	CHECK_INT(n_sleeps, 3);
	CHECK_INT(sleeps[0], 500);
	CHECK_INT(sleeps[1], 49);       /* backoff k=0: 150 % (100 + 1) */
	CHECK_INT(sleeps[2], 1000);
	CHECK_INT(h.calls, 3);
	CHECK_STR(h.last[0], "InvalidParameterValue");
	CHECK_STR(h.last[1], "RequestLimitExceeded");
	CHECK_INT(h.notices, 1);
	CHECK_INT(h.notice_s, 10);
out:
	fixture_end(&s, ctx);
}

/* The driver itself, without a server: what each attempt is told. */
struct fake_send {
	int fail;                /* fail this many times, retryable */
	int n[8], fresh[8], sent;
};

static int fake_send(void *ud, int n, int fresh, struct annex_err *err)
{
	struct fake_send *f = ud;

	if (f->sent < 8) {
		f->n[f->sent] = n;
		f->fresh[f->sent] = fresh;
	}
	if (f->sent++ < f->fail) {
		annex_err_set(err, "Transport", "connection reset");
		err->retryable = 1;
		return -1;
	}
	return 0;
}

static void t_retry_run(void)
{
	struct aws_retrier r = { .set = { .max_attempts = 3, .base_ms = 10, .cap_ms = 100 },
				  .sleep_ms = fake_sleep, .random = fake_random };
	struct aws_call token = { .retry = AWS_RETRY_TOKEN }, never = { .retry = AWS_RETRY_NEVER };
	struct fake_send f;
	struct aws_attempt a = { fake_send, NULL, &f };
	struct annex_err err;

	memset(&f, 0, sizeof(f));
	f.fail = 2;
	n_sleeps = 0;
	CHECK(aws_retry_run(&r, NULL, &a, &err) == 0);
	CHECK_INT(f.sent, 3);
	CHECK(f.n[0] == 0 && f.n[1] == 1 && f.n[2] == 2);
	CHECK(f.fresh[0] == 0 && f.fresh[2] == 0);
	CHECK_INT(n_sleeps, 2);
	CHECK_INT(sleeps[0], 150 % 11);
	CHECK_INT(sleeps[1], 150 % 21);
	memset(&f, 0, sizeof(f));
	f.fail = 5;
	CHECK(aws_retry_run(&r, &token, &a, &err) == -1);
	CHECK_INT(f.sent, 3);          /* max_attempts */
	CHECK(f.fresh[0] == 1 && f.fresh[1] == 1 && f.fresh[2] == 1);
	CHECK_STR(err.msg, "connection reset");
	memset(&f, 0, sizeof(f));
	f.fail = 5;
	CHECK_INT(aws_retry_max_attempts(&r, &never), 1);
	CHECK(aws_retry_run(&r, &never, &a, &err) == -1);
	CHECK_INT(f.sent, 1);
	CHECK_INT(f.fresh[0], 1);
}

/* Explicit settings win over the environment; without them ANNEX_IAM_WAIT_S
 * is read as before (seconds; no number or a negative one is 0). */
static void t_settings(void)
{
	static const struct aws_retry_settings mine = { .max_attempts = 4, .base_ms = 50, .cap_ms = 500, .iam_wait_ms = 7000 };
	static const struct aws_retry_settings odd = { .max_attempts = 0, .base_ms = 50, .cap_ms = 500, .iam_wait_ms = -5 };
	struct aws_ctx_opts o;
	struct aws_ctx *ctx = NULL;

	memset(&o, 0, sizeof(o));
	o.region = "us-east-1";
	o.retry = &mine;
	CHECK(aws_ctx_new(&o, &ctx, NULL) == 0);
	if (ctx) {
		CHECK_INT(aws_ctx_retry_settings(ctx)->max_attempts, 4);
		CHECK_INT(aws_ctx_retry_settings(ctx)->base_ms, 50);
		CHECK_INT(aws_ctx_retry_settings(ctx)->cap_ms, 500);
		CHECK_INT(aws_ctx_retry_settings(ctx)->iam_wait_ms, 7000);
		aws_ctx_free(ctx);
	}
	/* at least one attempt; a negative IAM wait is none */
	o.retry = &odd;
	CHECK(aws_ctx_new(&o, &ctx, NULL) == 0);
	if (ctx) {
		CHECK_INT(aws_ctx_retry_settings(ctx)->max_attempts, 1);
		CHECK_INT(aws_ctx_retry_settings(ctx)->iam_wait_ms, 0);
		aws_ctx_free(ctx);
	}
}


/* ---- the command's deadline (ANNEX_COMMAND_TIMEOUT) ---- */

/* A clock the fake sends and sleeps move forward. */
static int64_t dl_now;
static int64_t dl_clock(void) { return dl_now; }
static long dl_sleeps[16];
static int dl_n_sleeps;
static void dl_sleep(long ms)
{
	if (dl_n_sleeps < 16)
		dl_sleeps[dl_n_sleeps] = ms;
	dl_n_sleeps++;
	dl_now += ms;
}

struct dl_send {
	long takes_ms;           /* each attempt's time */
	int iam;                 /* fail with IAM propagation, else a retryable timeout */
	int64_t started[16];
	int sent;
};

static int dl_send(void *ud, int n, int fresh, struct annex_err *err)
{
	struct dl_send *f = ud;

	(void)n;
	(void)fresh;
	if (f->sent < 16)
		f->started[f->sent] = dl_now;
	f->sent++;
	dl_now += f->takes_ms;
	if (f->iam)
		annex_err_set(err, "InvalidParameterValue", "InvalidParameterValue: Value (p) for parameter "
			      "iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name");
	else
		annex_err_set(err, "Timeout", "EC2 DescribeInstances: no reply from h:443 within 1 s");
	err->retryable = !f->iam;
	return -1;
}

static void dl_reset(struct aws_retrier *r, long command_ms, int64_t start)
{
	memset(r, 0, sizeof(*r));
	r->set.max_attempts = 10;
	r->set.base_ms = 1000;
	r->set.cap_ms = 1000;
	r->set.iam_wait_ms = 60000;
	r->set.command_timeout_ms = command_ms;
	r->sleep_ms = dl_sleep;
	r->random = fake_random;           /* 150 % 1001: every backoff is 150 ms */
	r->now_ms = dl_clock;
	dl_now = start;
	dl_n_sleeps = 0;
	aws_retry_start_deadline(r);
}

/* The arithmetic: strictly before the deadline; 0 is none. */
static void t_deadline_arithmetic(void)
{
	struct aws_retrier r;

	CHECK(aws_deadline_allows(1000, 0, 1L << 40));
	CHECK(aws_deadline_allows(1000, 5000, 3999));
	CHECK(!aws_deadline_allows(1000, 5000, 4000));   /* ends at it: nothing left after */
	CHECK(aws_deadline_allows(1000, 5000, 0));
	CHECK(!aws_deadline_allows(5000, 5000, 0));
	CHECK(aws_deadline_allows(1000, 5000, -7));       /* a negative span is none */
	dl_reset(&r, 0, 777);
	CHECK_INT(r.deadline_ms, 0);
	CHECK_INT(aws_retry_time_left_ms(&r), -1);
	dl_reset(&r, 30000, 1000);
	CHECK_INT(r.deadline_ms, 31000);
	dl_now = 11000;
	CHECK_INT(aws_retry_time_left_ms(&r), 20000);
	dl_now = 40000;
	CHECK_INT(aws_retry_time_left_ms(&r), 0);
	/* started again (after a prompt): from now */
	aws_retry_start_deadline(&r);
	CHECK_INT(r.deadline_ms, 70000);
	/* a clock at 0 still gets a deadline */
	dl_reset(&r, 500, 0);
	CHECK(r.deadline_ms != 0);
}

/* Attempts of 1 s, backoffs of 150 ms, a 3.4 s deadline: attempts start
 * at 0, 1.15 and 2.3 s; the backoff after the third (which ends at 3.3 s)
 * would end at 3.45 s, past the deadline: not begun. Every attempt
 * started before the deadline, every sleep ended before it, and the last
 * error says why it stopped and which knob to raise. */
static void t_deadline_stops_retries(void)
{
	struct aws_retrier r;
	struct dl_send f = { .takes_ms = 1000 };
	struct aws_attempt a = { dl_send, NULL, &f };
	struct annex_err err;

	dl_reset(&r, 3400, 0);
	CHECK(aws_retry_run(&r, NULL, &a, &err) == -1);
	CHECK_INT(f.sent, 3);
	CHECK_INT(f.started[0], 0);
	CHECK_INT(f.started[1], 1150);
	CHECK_INT(f.started[2], 2300);
	CHECK_INT(dl_n_sleeps, 2);
	CHECK_INT(dl_now, 3300);
	CHECK_STR(err.code, "Timeout");
	CHECK_STR(err.msg, "EC2 DescribeInstances: no reply from h:443 within 1 s; not retried: the command's "
		  "deadline (3 s; raise ANNEX_COMMAND_TIMEOUT) comes before the next attempt");
	/* without a deadline the same call makes all its attempts */
	memset(&f, 0, sizeof(f));
	f.takes_ms = 1000;
	dl_reset(&r, 0, 0);
	CHECK(aws_retry_run(&r, NULL, &a, &err) == -1);
	CHECK_INT(f.sent, 10);
	CHECK(strstr(err.msg, "ANNEX_COMMAND_TIMEOUT") == NULL);
}

/* A deadline already passed: nothing is sent. */
static void t_deadline_passed_sends_nothing(void)
{
	struct aws_retrier r;
	struct dl_send f = { .takes_ms = 10 };
	struct aws_attempt a = { dl_send, NULL, &f };
	struct annex_err err;

	dl_reset(&r, 2000, 100);
	dl_now = 2100;
	CHECK(aws_retry_run(&r, NULL, &a, &err) == -1);
	CHECK_INT(f.sent, 0);
	CHECK_STR(err.code, "Timeout");
	CHECK_STR(err.msg, "not sent: the command's deadline (2 s; raise ANNEX_COMMAND_TIMEOUT) has passed");
}

/* The IAM wait (0.5, 1, 2, 4 s ...) is bounded by the deadline too, well
 * before its own 60 s bound: with a 5 s deadline and attempts of 100 ms,
 * the waits of 0.5 and 1 s fit (attempts at 0, 0.6, 1.7 s), 2 s fits
 * (attempt at 3.8 s), 4 s does not. AWS's message stays, the deadline is
 * named. */
static void t_deadline_bounds_iam_wait(void)
{
	struct aws_retrier r;
	struct dl_send f = { .takes_ms = 100, .iam = 1 };
	struct aws_attempt a = { dl_send, NULL, &f };
	struct aws_call call = { .iam_wait = "the instance profile" };
	struct annex_err err;

	dl_reset(&r, 5000, 0);
	CHECK(aws_retry_run(&r, &call, &a, &err) == -1);
	CHECK_INT(f.sent, 4);
	CHECK_INT(dl_n_sleeps, 3);
	CHECK_INT(dl_sleeps[0], 500);
	CHECK_INT(dl_sleeps[1], 1000);
	CHECK_INT(dl_sleeps[2], 2000);
	CHECK_INT(f.started[3], 3800);
	CHECK_STR(err.code, "InvalidParameterValue");
	CHECK_STR(err.msg, "IAM did not make the instance profile usable before the command's deadline (5 s; "
		  "raise ANNEX_COMMAND_TIMEOUT); try again later: InvalidParameterValue: Value (p) for parameter "
		  "iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name");
}

/* The context: the deadline starts when it is made, the transport is
 * given the knobs' timeouts, and aws_ctx_restart_deadline starts it anew. */
static void t_deadline_settings(void)
{
	static const struct aws_retry_settings set = {
		.max_attempts = 2, .base_ms = 10, .cap_ms = 10, .iam_wait_ms = 0,
		.connect_timeout_ms = 3000, .request_timeout_ms = 7000, .command_timeout_ms = 45000, .notice_ms = 2000,
	};
	struct aws_ctx_opts o;
	struct aws_ctx *ctx = NULL;

	memset(&o, 0, sizeof(o));
	o.region = "us-east-1";
	o.retry = &set;
	CHECK(aws_ctx_new(&o, &ctx, NULL) == 0);
	if (!ctx)
		return;
	CHECK_INT(aws_ctx_retry_settings(ctx)->connect_timeout_ms, 3000);
	CHECK_INT(aws_ctx_retry_settings(ctx)->request_timeout_ms, 7000);
	CHECK_INT(aws_ctx_retry_settings(ctx)->command_timeout_ms, 45000);
	CHECK_INT(aws_ctx_retry_settings(ctx)->notice_ms, 2000);
	aws_ctx_restart_deadline(ctx);
	aws_ctx_free(ctx);
}

/* A poll's pause (aws_pace, launch -wait) starts the command's deadline
 * again: a -wait longer than ANNEX_COMMAND_TIMEOUT keeps looking. */
static void t_deadline_restarts_after_pace(void)
{
	static const struct aws_retry_settings set = { .max_attempts = 1, .command_timeout_ms = 1000 };
	struct timespec ts = { 1, 100 * 1000000L };
	struct aws_ctx_opts o;
	struct aws_ctx *ctx = NULL;
	long left;

	memset(&o, 0, sizeof(o));
	o.region = "us-east-1";
	o.retry = &set;
	CHECK(aws_ctx_new(&o, &ctx, NULL) == 0);
	if (!ctx)
		return;
	left = aws_ctx_time_left_ms(ctx);
	CHECK(left > 800 && left <= 1000);
	nanosleep(&ts, NULL);
	CHECK_INT(aws_ctx_time_left_ms(ctx), 0);
	dl_n_sleeps = 0;
	aws_ctx_set_sleep(ctx, dl_sleep);
	CHECK(aws_pace(ctx, aws_monotonic_ms() + 60000, 10) > 0);
	CHECK_INT(dl_n_sleeps, 1);
	left = aws_ctx_time_left_ms(ctx);
	CHECK(left > 800 && left <= 1000);
	aws_ctx_free(ctx);
	/* no deadline: none after a pause either */
	o.retry = NULL;
	CHECK(aws_ctx_new(&o, &ctx, NULL) == 0);
	if (ctx) {
		CHECK_INT(aws_ctx_time_left_ms(ctx), -1);
		aws_ctx_free(ctx);
	}
}

/* ---- the transport options the IMDS client uses ---- */

static void t_http_imds_options(void)
{
	struct server s = { 0 };
	struct http_opts ho = { .connect_timeout_ms = 2000, .timeout_ms = 2000 };
	struct http_request hr = { 0 };
	struct http_response resp;
	struct http_client *c;
	struct annex_err err;
	char url[64];

	CHECK(start_server(&s, "") == 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	hr.method = "GET";
	hr.url = url;
	/* a proxy that is not there: no_proxy goes around it */
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	c = http_client_new(&ho, &err);
	CHECK(c && http_perform(c, &hr, &resp, &err) == -1);
	http_response_free(&resp);
	http_client_free(c);
	ho.no_proxy = 1;
	c = http_client_new(&ho, &err);

	CHECK(c && http_perform(c, &hr, &resp, &err) == 0);
	CHECK_INT(resp.status, 200);
	CHECK_INT(resp.body.secret, 1);
	CHECK(resp.body.len > 100);
	http_response_free(&resp);
	http_client_free(c);
	unsetenv("http_proxy");
	/* a reply longer than max_body_bytes fails the exchange, not retryable */
	ho.max_body_bytes = 100;
	c = http_client_new(&ho, &err);
	annex_err_clear(&err);
	CHECK(c && http_perform(c, &hr, &resp, &err) == -1);
	CHECK_STR(err.code, "BadReply");
	CHECK_INT(err.retryable, 0);
	http_response_free(&resp);
	http_client_free(c);
	stop_server(&s);
}

/* A listing whose endpoint keeps announcing another page with a new token
 * (the server's "page" answer) ends at the context's page cap with
 * BadReply naming the call, in each of the three paging loops; a listing
 * that ends at the cap is whole. The page callbacks give up after 50
 * pages, so without a cap this fails at once instead of paging forever. */
static int pages_read;

static int count_xml_page(xmlDoc *doc, void *ud, struct annex_err *err)
{
	(void)doc;
	(void)ud;
	return ++pages_read > 50 ? annex_err_set(err, "NoCap", "50 pages and still going") : 0;
}

static int count_json_page(json_object *page, void *ud, struct annex_err *err)
{
	(void)page;
	(void)ud;
	return ++pages_read > 50 ? annex_err_set(err, "NoCap", "50 pages and still going") : 0;
}

static void t_page_cap(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx = fixture(&s, "page*4,ok,page*100", NULL);
	struct annex_err err;

	if (!ctx)
		goto out;
	CHECK_INT(aws_ctx_max_pages(ctx), AWS_MAX_PAGES);
	CHECK(AWS_MAX_PAGES >= 10000);
	aws_ctx_set_max_pages(ctx, 5);
	CHECK_INT(aws_ctx_max_pages(ctx), 5);
	/* 4 pages announcing another, then the last: 5 pages, whole */
	pages_read = 0;
	annex_err_clear(&err);
	CHECK_INT(aws_query_paginate(ctx, AWS_EC2, "DescribeRegions", NULL, count_xml_page, NULL, &err), 0);
	CHECK_INT(pages_read, 5);
	/* then pages without end: the query loop */
	pages_read = 0;
	CHECK_INT(aws_query_paginate(ctx, AWS_EC2, "DescribeRegions", NULL, count_xml_page, NULL, &err), -1);
	CHECK_STR(err.code, "BadReply");
	CHECK(strstr(err.msg, "DescribeRegions: still another page after 5 pages") != NULL);
	CHECK_INT(pages_read, 5);
	/* JSON 1.1 (NextToken) */
	pages_read = 0;
	annex_err_clear(&err);
	CHECK_INT(aws_json11_paginate(ctx, AWS_EVENTS, "ListRules", NULL, count_json_page, NULL, &err), -1);
	CHECK_STR(err.code, "BadReply");
	CHECK(strstr(err.msg, "ListRules: still another page after 5 pages") != NULL);
	CHECK_INT(pages_read, 5);
	/* REST-JSON GET (NextMarker) */
	pages_read = 0;
	annex_err_clear(&err);
	CHECK_INT(aws_rest_json_paginate(ctx, AWS_LAMBDA, "/2015-03-31/functions/", NULL, count_json_page, NULL, &err),
		  -1);
	CHECK_STR(err.code, "BadReply");
	CHECK(strstr(err.msg, "GET /2015-03-31/functions/: still another page after 5 pages") != NULL);
	CHECK_INT(pages_read, 5);
	CHECK_INT(aws_ctx_calls(ctx), 20);
	aws_ctx_set_max_pages(ctx, 0);
	CHECK_INT(aws_ctx_max_pages(ctx), AWS_MAX_PAGES);
out:
	fixture_end(&s, ctx);
}

TESTS(T(t_throttle_then_answer), T(t_5xx_and_reset), T(t_give_up), T(t_not_retryable), T(t_json_throttle),
      T(t_connection_refused), T(t_connection_reuse), T(t_env_settings), T(t_debug_trace),
      T(t_s3_addressing_via_proxy), T(t_policy_never), T(t_policy_token), T(t_before_resend),
      T(t_iam_wait_schedule), T(t_iam_wait_bound), T(t_iam_wait_off), T(t_iam_wait_only_propagation),
      T(t_iam_wait_then_throttle), T(t_retry_run), T(t_settings), T(t_http_imds_options),
      T(t_deadline_arithmetic), T(t_deadline_stops_retries), T(t_deadline_passed_sends_nothing),
      T(t_deadline_bounds_iam_wait), T(t_deadline_settings), T(t_deadline_restarts_after_pace),
      T(t_page_cap))
