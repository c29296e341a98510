/* aws_query.c - the query protocol (EC2, IAM, STS): parameter lists, the
 * form body, the call and its paging (see include/annex/aws.h). */
#include "annex/aws_internal.h"
#include "annex/sigv4.h"
#include "annex/xml.h"

#include <libxml/parser.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void aws_params_addn(struct params *p, const char *value, const char *name_fmt, ...)
{
	struct buf name = BUF_INIT;
	va_list ap;

	va_start(ap, name_fmt);
	buf_vprintf(&name, name_fmt, ap);
	va_end(ap);
	params_add(p, buf_cstr(&name), value);
	buf_free(&name);
}

void aws_params_add_list(struct params *p, const char *prefix, const char *const *values, size_t n)
{
	for (size_t i = 0; i < n; i++)
		aws_params_addn(p, values[i], "%s.%zu", prefix, i + 1);
}

void aws_params_add_members(struct params *p, const char *prefix, const char *const *values, size_t n)
{
	for (size_t i = 0; i < n; i++)
		aws_params_addn(p, values[i], "%s.member.%zu", prefix, i + 1);
}

/* The URL encoding SigV4 expects of paths and query values is the
 * signer's own (one definition for both). */
void aws_url_encode(struct buf *out, const char *s, int keep_slash)
{
	sigv4_uri_encode(out, s, strlen(s), keep_slash);
}

/* One form field, encoded as application/x-www-form-urlencoded the way
 * botocore does it (Python's urlencode): unreserved A-Za-z0-9-_.~ kept,
 * space as '+', everything else %XX. AWS hashes the body as sent, so %20
 * would do as well; '+' is what emulators that re-encode the form expect. */
static void aws_form_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			buf_putc(out, (char)c);
		} else if (c == ' ') {
			buf_putc(out, '+');
		} else {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		}
	}
}

void aws_query_body(struct buf *out, const char *action, const char *version, const struct params *p)
{
	buf_puts(out, "Action=");
	aws_form_encode(out, action);
	buf_puts(out, "&Version=");
	aws_form_encode(out, version);
	for (size_t i = 0; p && i < p->n; i++) {
		buf_putc(out, '&');
		aws_form_encode(out, p->v[i].name);
		buf_putc(out, '=');
		aws_form_encode(out, p->v[i].value);
	}
}

const char *aws_query_version(enum aws_service svc)
{
	switch (svc) {
	case AWS_EC2: return "2016-11-15";
	case AWS_IAM: return "2010-05-08";
	case AWS_STS: return "2011-06-15";
	default: return NULL;
	}
}

int aws_query(struct aws_ctx *ctx, enum aws_service svc, const char *action,
	      const struct params *params, xmlDoc **doc, struct annex_err *err)
{
	return aws_query_with(ctx, svc, action, params, NULL, doc, err);
}

int aws_query_with(struct aws_ctx *ctx, enum aws_service svc, const char *action,
		   const struct params *params, const struct aws_call *call, xmlDoc **doc,
		   struct annex_err *err)
{
	static const struct http_header ctype = {
		(char *)"Content-Type", (char *)"application/x-www-form-urlencoded; charset=utf-8"
	};
	const char *version = aws_query_version(svc);
	struct aws_request req;
	struct aws_reply reply;
	struct buf body;
	int rc;

	*doc = NULL;
	if (!version)
		return annex_err_set(err, "Internal", "%s does not speak the query protocol", aws_service_name(svc));
	buf_init_secret(&body);
	aws_query_body(&body, action, version, params);
	memset(&req, 0, sizeof(req));
	req.svc = svc;
	req.method = "POST";
	req.path = "/";
	req.headers = &ctype;
	req.n_headers = 1;
	req.body = body.data;
	req.body_len = body.len;
	req.op = action;
	req.call = call;
	rc = aws_send(ctx, &req, &reply, err);
	buf_free(&body);
	if (rc == 0) {
		*doc = xml_parse(reply.http.body.data, reply.http.body.len, err);
		if (!*doc) {
			annex_err_prefix(err, "%s %s", aws_service_name(svc), action);
			rc = -1;
		}
	}
	aws_reply_free(&reply);
	return rc;
}

/* The token that asks for the next page, or NULL at the end: EC2's
 * nextToken (a child of the response root), IAM's Marker when IsTruncated
 * is true. Caller frees. */
static char *aws_query_next_token(xmlDoc *doc, const char **param)
{
	xmlNode *root = xmlDocGetRootElement(doc), *n;
	char *t;

	if ((n = xml_first(root, "nextToken")) || (n = xml_first(root, "NextToken")) ||
	    (n = xml_find_deep(root, "NextToken"))) {
		t = xml_text(n, NULL);
		*param = "NextToken";
		if (t && *t)
			return t;
		free(t);
		return NULL;
	}
	if ((n = xml_find_deep(root, "IsTruncated"))) {
		t = xml_text(n, NULL);
		int more = t && strcmp(t, "true") == 0;
		free(t);
		if (!more)
			return NULL;
		*param = "Marker";
		t = xml_text(n->parent, "Marker");
		if (t && *t)
			return t;
		free(t);
	}
	return NULL;
}

int aws_too_many_pages(const char *service, const char *call, unsigned long max_pages, struct annex_err *err)
{
	return annex_err_set(err, "BadReply", "%s %s: still another page after %lu pages, each with a new page "
			     "token; refused as a listing that never ends", service, call, max_pages);
}

int aws_query_paginate(struct aws_ctx *ctx, enum aws_service svc, const char *action,
		       const struct params *params, aws_xml_page_fn fn, void *ud,
		       struct annex_err *err)
{
	char *token = NULL;
	const char *token_param = NULL;
	/* every token so far: one that comes back (A, B, A, ...) is a page
	 * loop, which a hostile or broken endpoint could keep up forever */
	struct params seen = PARAMS_INIT;
	unsigned long pages = 0, max_pages = aws_ctx_max_pages(ctx);
	int rc = 0;

	for (;;) {
		struct params p = PARAMS_INIT;
		xmlDoc *doc = NULL;
		char *next;

		for (size_t i = 0; params && i < params->n; i++)
			if (!token_param || strcmp(params->v[i].name, token_param) != 0)
				params_add(&p, params->v[i].name, params->v[i].value);
		if (token)
			params_add(&p, token_param, token);
		rc = aws_query(ctx, svc, action, &p, &doc, err);
		params_free(&p);
		if (rc < 0)
			break;
		rc = fn(doc, ud, err);
		next = rc == 0 ? aws_query_next_token(doc, &token_param) : NULL;
		xmlFreeDoc(doc);
		if (rc < 0 || !next)
			break;
		if (++pages >= max_pages) {
			free(next);
			rc = aws_too_many_pages(aws_service_name(svc), action, max_pages, err);
			break;
		}
		if (params_get(&seen, next)) {
			free(next);
			rc = annex_err_set(err, "BadReply", "%s %s: the same page token came back twice",
					   aws_service_name(svc), action);
			break;
		}
		params_add(&seen, next, "");
		free(token);
		token = next;
	}
	free(token);
	params_free(&seen);
	return rc;
}
