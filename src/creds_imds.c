/* creds_imds.c - link 5 of the credential chain: the EC2 instance role
 * through IMDSv2. A PUT to /latest/api/token gets a session token, then
 * /latest/meta-data/iam/security-credentials/ names the role and
 * .../security-credentials/<role> holds its JSON credentials. Every call has
 * a 1 s connect and a 1 s total timeout, goes to the base URL from
 * AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254)
 * directly (never through a proxy), and follows no redirect. There is no
 * IMDSv1 fallback: annex's own nodes require v2, and v2 works wherever v1
 * does. AWS_EC2_METADATA_DISABLED=true turns the link off.
 *
 * The requests go through the general transport (http.c: a client of its
 * own with those timeouts and no proxy) and are resent as aws_retry.c
 * decides, like every AWS call; IMDS makes one attempt per request (the
 * AWS CLI's default, AWS_METADATA_SERVICE_NUM_ATTEMPTS=1), so a silent
 * service costs one timeout, not several.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annex/aws_retry.h"
#include "annex/buf.h"
#include "annex/creds.h"
#include "annex/creds_internal.h"
#include "annex/creds_util.h"
#include "annex/http.h"

#define IMDS_DEFAULT "http://169.254.169.254"
#define IMDS_TIMEOUT_MS 1000L
#define IMDS_REPLY_MAX (64 * 1024)
#define IMDS_TOKEN_TTL_S "21600"

/* One attempt per request; no backoff, no IAM wait. */
static const struct aws_retrier imds_retry = { .set = { .max_attempts = 1 } };

/* One IMDS request; the reply body (a secret) lands in reply. */
struct imds_req {
	struct http_client *http;
	const char *method, *url, *path;
	struct http_header hdr;
	struct buf *reply;
};

/* One attempt (struct aws_attempt's send): 0 on a 200 reply, else -1 with
 * err (code Credentials) set. */
static int imds_send(void *ud, int n, int fresh, struct annex_err *err)
{
	struct imds_req *r = ud;
	struct http_request hr;
	struct http_response resp;
	int rc = -1;

	(void)n;
	memset(&hr, 0, sizeof(hr));
	hr.method = r->method;
	hr.url = r->url;
	hr.headers = &r->hdr;
	hr.n_headers = 1;
	hr.fresh_connection = fresh;

	buf_reset(r->reply);
	if (http_perform(r->http, &hr, &resp, err) != 0) {
		snprintf(err->code, sizeof(err->code), "Credentials");
	} else if (resp.status != 200) {
		annex_err_set(err, "Credentials", "%s %s: HTTP %ld%s", r->method, r->url, resp.status,
		              resp.status == 404 && strstr(r->path, "security-credentials")
		              ? " (no instance role attached)" : "");
	} else {
		buf_append(r->reply, resp.body.data, resp.body.len);
		rc = 0;
	}
	http_response_free(&resp);
	return rc;
}

/* One IMDS call: method on base+path with the header "name: value"; the
 * reply body lands in reply (a secret buffer). Returns 0 on a 200 reply,
 * else -1 with err set. */
static int imds_call(struct http_client *h, const char *method, const char *base, const char *path,
                     const char *name, const char *value, struct buf *reply, struct annex_err *err)
{
	struct imds_req r = { h, method, NULL, path, { (char *)name, (char *)value }, reply };
	struct aws_attempt at = { imds_send, NULL, &r };
	char *url = xasprintf("%s%s", base, path);
	int rc;

	r.url = url;
	rc = aws_retry_run(&imds_retry, NULL, &at, err);
	free(url);
	return rc;
}

/* IAM role names are [A-Za-z0-9+=,.@_-]{1,64}; anything else is refused
 * before it goes into a URL. */
static int role_name_ok(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+=,.@_-");
	return n > 0 && n <= 64 && s[n] == 0;
}

/* A token goes into a header: printable ASCII only, no CR/LF. */
static int token_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return 0;
	return 1;
}

int creds_imds_fetch(const char *base_url, struct aws_creds *out, struct annex_err *err)
{
	struct http_opts ho;
	struct buf reply;
	char *base, *token = NULL, *role = NULL, *path = NULL, *what = NULL;
	size_t n;
	struct http_client *h;
	int rc = -1;

	base = xstrdup(base_url && *base_url ? base_url : IMDS_DEFAULT);
	for (n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
		base[n - 1] = 0;
	memset(&ho, 0, sizeof(ho));
	ho.connect_timeout_ms = IMDS_TIMEOUT_MS;
	ho.timeout_ms = IMDS_TIMEOUT_MS;
	ho.no_proxy = 1;
	ho.max_body_bytes = IMDS_REPLY_MAX;
	h = http_client_new(&ho, err);
	if (!h) {
		free(base);
		return annex_err_set(err, "Credentials", "IMDS: cannot initialise libcurl");
	}
	buf_init_secret(&reply);
	if (imds_call(h, "PUT", base, "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds",
	              IMDS_TOKEN_TTL_S, &reply, err) != 0)
		goto out;
	token = xstrndup_trim(buf_cstr(&reply), reply.len);
	if (!token_ok(token)) {
		annex_err_set(err, "Credentials", "PUT %s/latest/api/token: the reply is not a token", base);
		goto out;
	}
	if (imds_call(h, "GET", base, "/latest/meta-data/iam/security-credentials/", "X-aws-ec2-metadata-token",
	              token, &reply, err) != 0)
		goto out;
	role = xstrndup_trim(buf_cstr(&reply), strcspn(buf_cstr(&reply), "\n"));
	if (!role_name_ok(role)) {
		annex_err_set(err, "Credentials", "GET %s/latest/meta-data/iam/security-credentials/: "
		              "\"%.64s\" is not a role name", base, role);
		goto out;
	}
	path = xasprintf("/latest/meta-data/iam/security-credentials/%s", role);
	if (imds_call(h, "GET", base, path, "X-aws-ec2-metadata-token", token, &reply, err) != 0)
		goto out;
	what = xasprintf("instance role %s at %s", role, base);
	if (creds_parse_json(buf_cstr(&reply), reply.len, 1, what, out, err) != 0)
		goto out;
	out->kind = CREDS_INSTANCE_ROLE;
	out->refresh_imds = xstrdup(base);
	snprintf(out->source, sizeof(out->source), "instance role %s (IMDSv2 at %s)", role, base);
	rc = 0;
out:
	http_client_free(h);
	buf_free(&reply);
	secret_free(token);
	free(role);
	free(path);
	free(what);
	free(base);
	return rc;
}

static int imds_disabled(void)
{
	const char *v = getenv("AWS_EC2_METADATA_DISABLED");
	return v && strcasecmp(v, "true") == 0;
}

int creds_from_imds(struct aws_creds *out, struct buf *tried, const char *explicit_origin,
                    struct annex_err *err)
{
	const char *base = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	struct annex_err e;

	if (!base || !*base)
		base = IMDS_DEFAULT;
	if (imds_disabled()) {
		if (explicit_origin)
			return annex_err_set(err, "Credentials",
			                     "%s is \"" CREDS_FROM_INSTANCE "\" (use the instance role), but "
			                     "AWS_EC2_METADATA_DISABLED=true turns the metadata service off",
			                     explicit_origin);
		creds_tried_add(tried, "instance role via IMDSv2 (off: AWS_EC2_METADATA_DISABLED=true)");
		return 0;
	}
	annex_err_clear(&e);
	if (creds_imds_fetch(base, out, &e) == 0)
		return 1;
	if (explicit_origin) {
		if (err)
			*err = e;
		return annex_err_prefix(err, "%s is \"" CREDS_FROM_INSTANCE "\", but the instance role "
		                        "is not available", explicit_origin);
	}
	creds_tried_add(tried, "instance role via IMDSv2 (%s)", e.msg);
	return 0;
}
