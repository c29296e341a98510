/* Retries against a local server (tests/lib/throttle_server.py) that
 * throttles, answers 5xx or resets the connection for the first requests,
 * then answers: annex retries, re-signs each attempt, waits with full
 * jitter, and gives up after the bound with AWS's error message. Also:
 * connection reuse, the ANNEX_MAX_ATTEMPTS / ANNEX_RETRY_BASE_MS settings,
 * and a -debug trace that holds no secret. */
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

static struct aws_ctx *make_ctx(int port, FILE *trace)
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
	o.debug = trace != NULL;
	o.trace = trace;
	if (aws_ctx_new(&o, &ctx, &err) < 0) {
		fprintf(stderr, "aws_ctx_new: %s\n", err.msg);
		return NULL;
	}
	ctx->clock = fake_clock;
	ctx->sleep_ms = fake_sleep;
	ctx->random = fake_random;
	ctx->max_attempts = 5;
	ctx->retry_base_ms = 100;
	ctx->retry_cap_ms = 1000;
	n_sleeps = 0;
	return ctx;
}

static void t_throttle_then_answer(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx;
	struct annex_err err;
	xmlDoc *doc = NULL;
	char *log;

	CHECK(start_server(&s, "throttle*2") == 0);
	CHECK((ctx = make_ctx(s.port, NULL)) != NULL);
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
	CHECK_INT(ctx->calls, 1);
	CHECK_INT(ctx->attempts, 3);
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
	aws_ctx_free(ctx);
out:
	stop_server(&s);
}

static void t_5xx_and_reset(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx;
	struct annex_err err;
	xmlDoc *doc = NULL;

	CHECK(start_server(&s, "reset,503,502,500") == 0);
	CHECK((ctx = make_ctx(s.port, NULL)) != NULL);
	if (!ctx)
		goto out;
	CHECK(aws_query(ctx, AWS_EC2, "DescribeRegions", NULL, &doc, &err) == 0);
	xmlFreeDoc(doc);
	CHECK_INT(ctx->attempts, 5);
	CHECK_INT(n_sleeps, 4);
	aws_ctx_free(ctx);
out:
	stop_server(&s);
}

static void t_give_up(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx;
	struct annex_err err;
	xmlDoc *doc = NULL;
	char *log;

	CHECK(start_server(&s, "throttle*20") == 0);
	CHECK((ctx = make_ctx(s.port, NULL)) != NULL);
	if (!ctx)
		goto out;
	annex_err_clear(&err);
	CHECK(aws_query(ctx, AWS_EC2, "DescribeRegions", NULL, &doc, &err) == -1);
	CHECK(doc == NULL);
	CHECK_STR(err.code, "RequestLimitExceeded");
	CHECK_STR(err.msg, "RequestLimitExceeded: Request limit exceeded. (throttled-1)");
	CHECK_INT(err.http_status, 503);
	CHECK_INT(ctx->attempts, 5);
	CHECK_INT(n_sleeps, 4);
	/* the cap holds: ceilings 100, 200, 400, 800 (cap 1000) */
	CHECK_INT(sleeps[2], 150);
	CHECK_INT(sleeps[3], 150);
	log = read_log(&s);
	CHECK_INT(count(log, "\"n\":"), 5);
	free(log);
	aws_ctx_free(ctx);
out:
	stop_server(&s);
}

static void t_not_retryable(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx;
	struct annex_err err;
	xmlDoc *doc = NULL;

	CHECK(start_server(&s, "400") == 0);
	CHECK((ctx = make_ctx(s.port, NULL)) != NULL);
	if (!ctx)
		goto out;
	CHECK(aws_query(ctx, AWS_EC2, "DescribeRegions", NULL, &doc, &err) == -1);
	CHECK_STR(err.msg, "InvalidParameterValue: bad value (bad-1)");
	CHECK_INT(err.retryable, 0);
	CHECK_INT(ctx->attempts, 1);
	CHECK_INT(n_sleeps, 0);
	aws_ctx_free(ctx);
out:
	stop_server(&s);
}

static void t_json_throttle(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx;
	struct annex_err err;
	json_object *out = NULL, *n;

	CHECK(start_server(&s, "throttle,throttle") == 0);
	CHECK((ctx = make_ctx(s.port, NULL)) != NULL);
	if (!ctx)
		goto out;
	CHECK(aws_json11(ctx, AWS_EVENTS, "ListRules", NULL, &out, &err) == 0);
	CHECK(out && json_object_object_get_ex(out, "n", &n) && json_object_get_int(n) == 3);
	json_object_put(out);
	aws_ctx_free(ctx);
out:
	stop_server(&s);
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
	CHECK_INT(ctx->attempts, 5);
	CHECK(strstr(err.msg, "POST http://127.0.0.1:") != NULL);
	aws_ctx_free(ctx);
}

static void t_connection_reuse(void)
{
	struct server s = { 0 };
	struct aws_ctx *ctx;
	struct annex_err err;

	CHECK(start_server(&s, "") == 0);
	CHECK((ctx = make_ctx(s.port, NULL)) != NULL);
	if (!ctx)
		goto out;
	for (int i = 0; i < 5; i++) {
		xmlDoc *doc = NULL;
		CHECK(aws_query(ctx, AWS_EC2, "DescribeRegions", NULL, &doc, &err) == 0);
		xmlFreeDoc(doc);
	}
	CHECK_INT(ctx->calls, 5);
	CHECK_INT(http_client_connections(ctx->http), 1);
	aws_ctx_free(ctx);
out:
	stop_server(&s);
}

static void t_env_settings(void)
{
	struct aws_ctx_opts o;
	struct aws_ctx *ctx = NULL;

	memset(&o, 0, sizeof(o));
	o.region = "us-east-1";
	setenv("ANNEX_MAX_ATTEMPTS", "2", 1);
	setenv("ANNEX_RETRY_BASE_MS", "7", 1);
	CHECK(aws_ctx_new(&o, &ctx, NULL) == 0);
	if (ctx) {
		CHECK_INT(ctx->max_attempts, 2);
		CHECK_INT(ctx->retry_base_ms, 7);
		aws_ctx_free(ctx);
	}
	setenv("ANNEX_MAX_ATTEMPTS", "zero", 1);
	unsetenv("ANNEX_RETRY_BASE_MS");
	CHECK(aws_ctx_new(&o, &ctx, NULL) == 0);
	if (ctx) {
		CHECK_INT(ctx->max_attempts, 5);
		CHECK_INT(ctx->retry_base_ms, 200);
		aws_ctx_free(ctx);
	}
	unsetenv("ANNEX_MAX_ATTEMPTS");
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

	CHECK(start_server(&s, "throttle") == 0);
	CHECK((ctx = make_ctx(s.port, f)) != NULL);
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
	CHECK(aws_ctx_new(&o, &ctx, &err) == 0);
	if (!ctx)
		goto out;
	ctx->max_attempts = 1;
	ctx->sleep_ms = fake_sleep;
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

TESTS(T(t_throttle_then_answer), T(t_5xx_and_reset), T(t_give_up), T(t_not_retryable), T(t_json_throttle),
      T(t_connection_refused), T(t_connection_reuse), T(t_env_settings), T(t_debug_trace),
      T(t_s3_addressing_via_proxy))
