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
 * libcurl is used directly here (not the general transport): three small
 * local calls with their own timeouts, no signing, no retries.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annex/buf.h"
#include "annex/creds.h"
#include "annex/creds_internal.h"
#include "annex/creds_util.h"
#include "annex/http.h"

#define IMDS_DEFAULT "http://169.254.169.254"
#define IMDS_TIMEOUT_MS 1000L
#define IMDS_REPLY_MAX (64 * 1024)
#define IMDS_TOKEN_TTL_S "21600"

static size_t imds_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct buf *b = userp;
	size_t n = size * nmemb;

	if (b->len + n > IMDS_REPLY_MAX)
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	buf_append(b, data, n);
	return n;
}

/* One IMDS call: method on base+path with hdrs; the reply body lands in
 * reply (a secret buffer). Returns 0 on a 200 reply, else -1 with err set. */
static int imds_call(CURL *h, const char *method, const char *base, const char *path,
                     const char *header, struct buf *reply, struct annex_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	char *url = xasprintf("%s%s", base, path);
	long status = 0;
	CURLcode rc;

	curl_easy_reset(h);
	buf_reset(reply);
	hdrs = curl_slist_append(hdrs, header);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, IMDS_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, IMDS_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, imds_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (strcmp(method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	rc = curl_easy_perform(h);
	http_slist_free_secret(hdrs); /* it carries the IMDS token */
	if (rc != CURLE_OK) {
		annex_err_set(err, "Credentials", "%s %s: %s", method, url,
		              errbuf[0] ? errbuf : curl_easy_strerror(rc));
		free(url);
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		annex_err_set(err, "Credentials", "%s %s: HTTP %ld%s", method, url, status,
		              status == 404 && strstr(path, "security-credentials")
		              ? " (no instance role attached)" : "");
		free(url);
		return -1;
	}
	free(url);
	return 0;
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
	struct buf reply, hdr;
	char *base, *token = NULL, *role = NULL, *path = NULL, *what = NULL;
	size_t n;
	CURL *h;
	int rc = -1;

	base = xstrdup(base_url && *base_url ? base_url : IMDS_DEFAULT);
	for (n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
		base[n - 1] = 0;
	h = curl_easy_init();
	if (!h) {
		free(base);
		return annex_err_set(err, "Credentials", "IMDS: cannot initialise libcurl");
	}
	buf_init_secret(&reply);
	buf_init_secret(&hdr);
	if (imds_call(h, "PUT", base, "/latest/api/token",
	              "X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL_S, &reply, err) != 0)
		goto out;
	token = xstrndup_trim(buf_cstr(&reply), reply.len);
	if (!token_ok(token)) {
		annex_err_set(err, "Credentials", "PUT %s/latest/api/token: the reply is not a token", base);
		goto out;
	}
	buf_printf(&hdr, "X-aws-ec2-metadata-token: %s", token);
	if (imds_call(h, "GET", base, "/latest/meta-data/iam/security-credentials/", buf_cstr(&hdr),
	              &reply, err) != 0)
		goto out;
	role = xstrndup_trim(buf_cstr(&reply), strcspn(buf_cstr(&reply), "\n"));
	if (!role_name_ok(role)) {
		annex_err_set(err, "Credentials", "GET %s/latest/meta-data/iam/security-credentials/: "
		              "\"%.64s\" is not a role name", base, role);
		goto out;
	}
	path = xasprintf("/latest/meta-data/iam/security-credentials/%s", role);
	if (imds_call(h, "GET", base, path, buf_cstr(&hdr), &reply, err) != 0)
		goto out;
	what = xasprintf("instance role %s at %s", role, base);
	if (creds_parse_json(buf_cstr(&reply), reply.len, 1, what, out, err) != 0)
		goto out;
	out->kind = CREDS_INSTANCE_ROLE;
	snprintf(out->source, sizeof(out->source), "instance role %s (IMDSv2 at %s)", role, base);
	rc = 0;
out:
	curl_easy_cleanup(h);
	buf_free(&reply);
	buf_free(&hdr);
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
