/* http.c - the libcurl transport (see include/annex/http.h). */
#include "annex/http.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct http_client {
	CURL *easy;
	long connect_timeout_ms;
	long timeout_ms;
	char *ca_bundle;
	char *user_agent;
	int no_proxy;
	size_t max_body;
	long connections;
	char errbuf[CURL_ERROR_SIZE];
};

static int http_global_done;

struct http_client *http_client_new(const struct http_opts *opts, struct annex_err *err)
{
	struct http_client *c;
	const char *ca;

	if (!http_global_done) {
		/* libcurl's own buffers (the download buffer holds reply bytes)
		 * are cleansed when freed */
		if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, secret_block_free, secret_block_realloc,
					 secret_block_strdup, calloc) != CURLE_OK) {
			annex_err_set(err, "Transport", "cannot initialise libcurl");
			return NULL;
		}
		http_global_done = 1;
	}
	c = xcalloc(1, sizeof(*c));
	c->easy = curl_easy_init();
	if (!c->easy) {
		free(c);
		annex_err_set(err, "Transport", "cannot create a libcurl handle");
		return NULL;
	}
	c->connect_timeout_ms = opts && opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
								      : HTTP_CONNECT_TIMEOUT_DEFAULT_MS;
	c->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : HTTP_TIMEOUT_DEFAULT_MS;
	ca = opts && opts->ca_bundle ? opts->ca_bundle : getenv("AWS_CA_BUNDLE");
	c->ca_bundle = ca && *ca ? xstrdup(ca) : NULL;
	c->user_agent = xstrdup(opts && opts->user_agent ? opts->user_agent : "annex/" ANNEX_VERSION);
	c->no_proxy = opts && opts->no_proxy;
	c->max_body = opts && opts->max_body_bytes ? opts->max_body_bytes : HTTP_MAX_BODY_DEFAULT;
	return c;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->easy);
	free(c->ca_bundle);
	free(c->user_agent);
	free(c);
}

long http_client_connections(const struct http_client *c)
{
	return c ? c->connections : 0;
}

/* One exchange's reply as it arrives, with its caps. */
struct http_xfer {
	struct http_response *resp;
	size_t max_body;
	size_t header_bytes;
	int over_body;                      /* the body crossed max_body */
	int over_headers;                   /* the headers crossed HTTP_MAX_HEADER_BYTES */
	const struct http_request *req;     /* for its slow note */
	struct timespec start;
	int slow_told;
};

static long http_ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* libcurl calls this about once a second even while nothing moves (and
 * more often while bytes flow): it tells the caller once that the
 * exchange is slow. Returning 0 lets the exchange go on; its time limits
 * are libcurl's own. */
static int http_on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct http_xfer *x = ud;
	long ms;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (x->slow_told)
		return 0;
	ms = http_ms_since(&x->start);
	if (ms >= x->req->slow_after_ms) {
		x->slow_told = 1;
		x->req->slow(x->req->slow_ud, ms);
	}
	return 0;
}

/* Returning less than given makes libcurl end the transfer
 * (CURLE_WRITE_ERROR): a body over the cap is never held whole. */
static size_t http_on_body(char *data, size_t size, size_t n, void *ud)
{
	struct http_xfer *x = ud;
	size_t len = size * n;

	if (len > x->max_body - x->resp->body.len) {
		x->over_body = 1;
		return 0;
	}
	buf_append(&x->resp->body, data, len);
	return len;
}

/* Collects response headers. A status line starts a new header block
 * (after "100 Continue" or a proxy's CONNECT answer), so only the final
 * response's headers are kept. */
static size_t http_on_header(char *data, size_t size, size_t n, void *ud)
{
	struct http_xfer *x = ud;
	struct http_response *resp = x->resp;
	size_t len = size * n, name_len;
	const char *colon, *v, *end;

	if (len > HTTP_MAX_HEADER_BYTES - x->header_bytes) {
		x->over_headers = 1;
		return 0;
	}
	x->header_bytes += len;
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		for (size_t i = 0; i < resp->n_headers; i++) {
			free(resp->headers[i].name);
			free(resp->headers[i].value);
		}
		resp->n_headers = 0;
		return len;
	}
	colon = memchr(data, ':', len);
	if (!colon)
		return len;
	name_len = (size_t)(colon - data);
	v = colon + 1;
	end = data + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	resp->headers = xrealloc(resp->headers, (resp->n_headers + 1) * sizeof(*resp->headers));
	resp->headers[resp->n_headers].name = xstrndup(data, name_len);
	resp->headers[resp->n_headers].value = xstrndup(v, (size_t)(end - v));
	resp->n_headers++;
	return len;
}

/* Whether a failed exchange is worth another attempt: the connection could
 * not be made, broke, timed out or came back empty. TLS verification
 * failures, bad URLs and unsupported protocols are not. */
static int http_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

void http_slist_free_secret(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

/* Adds "Name: value" to a curl header list; an empty value needs curl's
 * "Name;" spelling or curl would drop the header. The line may carry the
 * signature or a session token, so every copy of it is cleansed. */
static struct curl_slist *http_add_header(struct curl_slist *list, const char *name, const char *value)
{
	struct curl_slist *l;
	char *line;

	if (value && *value)
		line = xasprintf("%s: %s", name, value);
	else
		line = xasprintf("%s;", name);
	l = curl_slist_append(list, line);
	secret_free(line);
	if (!l) {
		http_slist_free_secret(list);
		return NULL;
	}
	return l;
}

static int http_has_header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return 1;
	return 0;
}

/* The URL without its query, for messages (a query may carry a presigned
 * signature). */
static void http_url_for_message(const char *url, char *out, size_t n)
{
	size_t len = strcspn(url, "?");

	if (len >= n)
		len = n - 1;
	memcpy(out, url, len);
	out[len] = 0;
}

int http_perform(struct http_client *c, const struct http_request *req,
		 struct http_response *resp, struct annex_err *err)
{
	struct curl_slist *hdrs = NULL;
	struct http_xfer x = { 0 };
	CURL *h = c->easy;
	CURLcode rc;
	long connects = 0, total_ms;
	double total = 0;
	char where[512];
	int ret = -1;

	memset(resp, 0, sizeof(*resp));
	/* a reply may carry user data (DescribeSpotFleetRequests) or keys */
	buf_init_secret(&resp->body);
	x.resp = resp;
	x.max_body = req->max_body_bytes ? req->max_body_bytes : c->max_body;
	http_url_for_message(req->url, where, sizeof(where));
	curl_easy_reset(h);
	c->errbuf[0] = 0;
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_bundle)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_bundle);
	total_ms = req->timeout_ms > 0 && req->timeout_ms < c->timeout_ms ? req->timeout_ms : c->timeout_ms;
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
	if (req->slow && req->slow_after_ms > 0) {
		x.req = req;
		clock_gettime(CLOCK_MONOTONIC, &x.start);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, http_on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, req->fresh_connection ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	if (c->no_proxy)
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, http_on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	/* refuses an announced Content-Length over the cap before any body
	 * (not on HEAD, whose Content-Length is the size of what it did not get) */
	if (strcmp(req->method, "HEAD") != 0)
		curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x.max_body);

	if (strcmp(req->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "GET") == 0 && req->body_len == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
		if (strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0 || req->body_len) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body_len ? (const char *)req->body : "");
		}
	}

	for (size_t i = 0; i < req->n_headers; i++) {
		hdrs = http_add_header(hdrs, req->headers[i].name, req->headers[i].value);
		if (!hdrs)
			goto oom;
	}
	/* no 100-continue round trip; no curl-chosen, unsigned Content-Type */
	if (!(hdrs = http_add_header(hdrs, "Expect", NULL)))
		goto oom;
	if (!http_has_header(req, "Content-Type")) {
		struct curl_slist *l = curl_slist_append(hdrs, "Content-Type:");
		if (!l) {
			http_slist_free_secret(hdrs);
			goto oom;
		}
		hdrs = l;
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
	curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &total);
	c->connections += connects;
	resp->elapsed_ms = (long)(total * 1000.0);
	if (x.over_body || rc == CURLE_FILESIZE_EXCEEDED) {
		annex_err_set(err, "BadReply", "%s %s: reply body over the %zu-byte cap; refused",
			      req->method, where, x.max_body);
		if (err)
			err->retryable = 0;
		buf_free(&resp->body);
		goto out;
	}
	if (x.over_headers) {
		annex_err_set(err, "BadReply", "%s %s: reply headers over the %zu-byte cap; refused",
			      req->method, where, HTTP_MAX_HEADER_BYTES);
		if (err)
			err->retryable = 0;
		goto out;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		curl_off_t connected_us = 0;

		/* a limit fired: which one, for the caller's message */
		curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connected_us);
		resp->timed_out = connected_us > 0 ? HTTP_TIMEOUT_REPLY : HTTP_TIMEOUT_CONNECT;
		resp->timeout_ms = connected_us > 0 || total_ms < c->connect_timeout_ms ? total_ms
											 : c->connect_timeout_ms;
		annex_err_set(err, "Transport", "%s %s: no %s within %ld ms", req->method, where,
			      connected_us > 0 ? "reply" : "connection", resp->timeout_ms);
		if (err)
			err->retryable = 1;
		goto out;
	}
	if (rc != CURLE_OK) {
		annex_err_set(err, "Transport", "%s %s: %s", req->method, where,
			      c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		if (err)
			err->retryable = http_retryable(rc);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	ret = 0;
out:
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	http_slist_free_secret(hdrs);
	return ret;
oom:
	annex_err_set(err, "Transport", "%s %s: out of memory building headers", req->method, where);
	return -1;
}

const char *http_response_header(const struct http_response *resp, const char *name)
{
	for (size_t i = 0; i < resp->n_headers; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

void http_response_free(struct http_response *resp)
{
	if (!resp)
		return;
	for (size_t i = 0; i < resp->n_headers; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->headers);
	resp->headers = NULL;
	resp->n_headers = 0;
	buf_free(&resp->body);
	resp->status = 0;
}
