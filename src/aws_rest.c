/* aws_rest.c - REST-XML (S3), REST-JSON (Lambda) and JSON 1.1 (Events,
 * SSM) requests and their paging (see include/annex/aws.h). */
#include "annex/aws_internal.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int aws_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

/* Whether a bucket name can be a DNS label under a TLS wildcard (no dots,
 * lower case, 3..63 characters, alphanumeric at both ends). */
static int aws_s3_dns_bucket(const char *b)
{
	size_t n = strlen(b);

	if (n < 3 || n > 63 || !isalnum((unsigned char)b[0]) || !isalnum((unsigned char)b[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '-'))
			return 0;
	return 1;
}

/* Virtual-hosted addressing on AWS's own S3 endpoints (derived, or a
 * configured URL that names amazonaws.com), path-style everywhere else (a
 * local emulator, a proxy, an S3-compatible store). */
static int aws_s3_virtual(const struct aws_endpoint *ep, const char *bucket)
{
	char host[256];
	size_t n = strcspn(ep->host, ":");

	if (n >= sizeof(host) || *ep->base_path)
		return 0;
	memcpy(host, ep->host, n);
	host[n] = 0;
	if (ep->custom && !aws_ends_with(host, ".amazonaws.com") && !aws_ends_with(host, ".amazonaws.com.cn"))
		return 0;
	return aws_s3_dns_bucket(bucket);
}

static void aws_base64(const unsigned char *in, size_t n, char *out, size_t out_size)
{
	if (out_size < 4 * ((n + 2) / 3) + 1) {
		out[0] = 0;
		return;
	}
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

int aws_s3(struct aws_ctx *ctx, const char *method, const char *bucket, const char *key,
	   const char *query, const void *body, size_t body_len, const char *content_type,
	   struct aws_reply *reply, struct annex_err *err)
{
	struct http_header hdrs[2];
	struct aws_request req;
	struct buf path = BUF_INIT, prefix = BUF_INIT;
	unsigned char md5[16];
	char md5_b64[32];
	unsigned int md5_len = 0;
	size_t nh = 0;
	int rc;

	memset(&req, 0, sizeof(req));
	if (bucket && *bucket && aws_s3_virtual(&ctx->ep[AWS_S3], bucket)) {
		buf_printf(&prefix, "%s.", bucket);
		req.host_prefix = prefix.data;
		buf_putc(&path, '/');
	} else if (bucket && *bucket) {
		buf_putc(&path, '/');
		aws_url_encode(&path, bucket, 0);
		if (key)
			buf_putc(&path, '/');
	} else {
		buf_putc(&path, '/');
	}
	if (key)
		aws_url_encode(&path, key[0] == '/' ? key + 1 : key, 1);
	if (content_type) {
		hdrs[nh].name = (char *)"Content-Type";
		hdrs[nh++].value = (char *)content_type;
	}
	/* Content-MD5 on every body: S3 demands it for some calls (tagging,
	 * lifecycle, DeleteObjects) and verifies it on all */
	if (body_len && EVP_Digest(body, body_len, md5, &md5_len, EVP_md5(), NULL) == 1) {
		aws_base64(md5, md5_len, md5_b64, sizeof(md5_b64));
		hdrs[nh].name = (char *)"Content-MD5";
		hdrs[nh++].value = md5_b64;
	}
	req.svc = AWS_S3;
	req.method = method;
	req.path = path.data;
	req.query = query;
	req.headers = hdrs;
	req.n_headers = nh;
	req.body = body;
	req.body_len = body_len;
	req.op = method;
	rc = aws_send(ctx, &req, reply, err);
	buf_free(&path);
	buf_free(&prefix);
	return rc;
}

/* Parses a JSON reply body into *out (NULL for an empty body). */
static int aws_json_reply(const struct aws_reply *reply, const char *what, json_object **out,
			  struct annex_err *err)
{
	json_tokener *tok;
	json_object *o;
	enum json_tokener_error jerr;

	if (!out)
		return 0;
	*out = NULL;
	if (reply->http.body.len == 0)
		return 0;
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, reply->http.body.data, (int)reply->http.body.len);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (!o || jerr != json_tokener_success) {
		json_object_put(o);
		return annex_err_set(err, "BadReply", "%s: reply is not JSON (%zu bytes)", what,
				     reply->http.body.len);
	}
	*out = o;
	return 0;
}

static const char *aws_json_text(json_object *in)
{
	return json_object_to_json_string_ext(in, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

int aws_rest_json(struct aws_ctx *ctx, enum aws_service svc, const char *method, const char *path,
		  const char *query, json_object *in, json_object **out, struct annex_err *err)
{
	return aws_rest_json_with(ctx, svc, method, path, query, NULL, in, out, err);
}

int aws_rest_json_with(struct aws_ctx *ctx, enum aws_service svc, const char *method, const char *path,
		       const char *query, const struct aws_call *call, json_object *in, json_object **out,
		       struct annex_err *err)
{
	struct http_header ctype = { (char *)"Content-Type", (char *)"application/json" };
	struct aws_request req;
	struct aws_reply reply;
	char what[256];
	int rc;

	if (out)
		*out = NULL;
	memset(&req, 0, sizeof(req));
	req.svc = svc;
	req.method = method;
	req.path = path;
	req.query = query;
	if (in) {
		req.body = aws_json_text(in);
		req.body_len = strlen(req.body);
		req.headers = &ctype;
		req.n_headers = 1;
	}
	snprintf(what, sizeof(what), "%s %s", method, path);
	req.op = what;
	req.call = call;
	rc = aws_send(ctx, &req, &reply, err);
	if (rc == 0)
		rc = aws_json_reply(&reply, what, out, err);
	aws_reply_free(&reply);
	return rc;
}

static const char *aws_json11_prefix(enum aws_service svc)
{
	switch (svc) {
	case AWS_EVENTS: return "AWSEvents";
	case AWS_SSM: return "AmazonSSM";
	case AWS_PRICING: return "AWSPriceListService";
	default: return NULL;
	}
}

int aws_json11(struct aws_ctx *ctx, enum aws_service svc, const char *op, json_object *in,
	       json_object **out, struct annex_err *err)
{
	const char *prefix = aws_json11_prefix(svc);
	struct http_header hdrs[2];
	struct aws_request req;
	struct aws_reply reply;
	char target[160];
	int rc;

	if (out)
		*out = NULL;
	if (!prefix)
		return annex_err_set(err, "Internal", "%s does not speak JSON 1.1", aws_service_name(svc));
	snprintf(target, sizeof(target), "%s.%s", prefix, op);
	hdrs[0].name = (char *)"Content-Type";
	hdrs[0].value = (char *)"application/x-amz-json-1.1";
	hdrs[1].name = (char *)"X-Amz-Target";
	hdrs[1].value = target;
	memset(&req, 0, sizeof(req));
	req.svc = svc;
	req.method = "POST";
	req.path = "/";
	req.headers = hdrs;
	req.n_headers = 2;
	req.body = in ? aws_json_text(in) : "{}";
	req.body_len = strlen(req.body);
	req.op = op;
	rc = aws_send(ctx, &req, &reply, err);
	if (rc == 0)
		rc = aws_json_reply(&reply, op, out, err);
	aws_reply_free(&reply);
	return rc;
}

/* The string member name of o, or NULL when absent or empty. */
static const char *aws_json_token(json_object *o, const char *name)
{
	json_object *v;
	const char *s;

	if (!o || !json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	return s && *s ? s : NULL;
}

int aws_json11_paginate(struct aws_ctx *ctx, enum aws_service svc, const char *op, json_object *in,
			aws_json_page_fn fn, void *ud, struct annex_err *err)
{
	json_object *req = NULL;
	char *token = NULL;
	struct params seen = PARAMS_INIT;   /* every token so far: one that comes back is a page loop */
	unsigned long pages = 0, max_pages = aws_ctx_max_pages(ctx);
	int rc;

	if (in && json_object_deep_copy(in, &req, NULL) != 0)
		return annex_err_set(err, "Internal", "%s: cannot copy the request", op);
	if (!req)
		req = json_object_new_object();
	for (;;) {
		json_object *page = NULL;
		const char *next;

		if (token)
			json_object_object_add(req, "NextToken", json_object_new_string(token));
		rc = aws_json11(ctx, svc, op, req, &page, err);
		if (rc == 0)
			rc = fn(page, ud, err);
		next = rc == 0 ? aws_json_token(page, "NextToken") : NULL;
		if (next && ++pages >= max_pages) {
			rc = aws_too_many_pages(aws_service_name(svc), op, max_pages, err);
			next = NULL;
		}
		if (next && params_get(&seen, next)) {
			rc = annex_err_set(err, "BadReply", "%s: the same page token came back twice", op);
			next = NULL;
		}
		if (next)
			params_add(&seen, next, "");
		free(token);
		token = next ? xstrdup(next) : NULL;
		json_object_put(page);
		if (!token)
			break;
	}
	json_object_put(req);
	params_free(&seen);
	return rc;
}

int aws_rest_json_paginate(struct aws_ctx *ctx, enum aws_service svc, const char *path,
			   const char *query, aws_json_page_fn fn, void *ud, struct annex_err *err)
{
	char *marker = NULL;
	struct params seen = PARAMS_INIT;   /* every marker so far: one that comes back is a page loop */
	unsigned long pages = 0, max_pages = aws_ctx_max_pages(ctx);
	int rc;

	for (;;) {
		struct buf q = BUF_INIT;
		json_object *page = NULL;
		const char *next;

		if (query && *query)
			buf_puts(&q, query);
		if (marker) {
			buf_puts(&q, q.len ? "&Marker=" : "Marker=");
			aws_url_encode(&q, marker, 0);
		}
		rc = aws_rest_json(ctx, svc, "GET", path, q.len ? q.data : NULL, NULL, &page, err);
		buf_free(&q);
		if (rc == 0)
			rc = fn(page, ud, err);
		next = rc == 0 ? aws_json_token(page, "NextMarker") : NULL;
		if (next && ++pages >= max_pages) {
			char *call = xasprintf("GET %s", path);
			rc = aws_too_many_pages(aws_service_name(svc), call, max_pages, err);
			free(call);
			next = NULL;
		}
		if (next && params_get(&seen, next)) {
			rc = annex_err_set(err, "BadReply", "GET %s: the same page marker came back twice", path);
			next = NULL;
		}
		if (next)
			params_add(&seen, next, "");
		free(marker);
		marker = next ? xstrdup(next) : NULL;
		json_object_put(page);
		if (!marker)
			break;
	}
	params_free(&seen);
	return rc;
}
