/* http.h - the HTTP transport (libcurl). One reusable client per process:
 * connections and DNS answers are kept between requests. TLS is always
 * verified (the CA bundle comes from AWS_CA_BUNDLE when set, else the
 * system's); there is no switch that turns verification off. Proxies come
 * from the environment (http_proxy, HTTPS_PROXY, no_proxy), as curl reads
 * them. The transport knows nothing of AWS: no signing, no retries, no
 * error decoding; aws.c (signed AWS calls) and creds_imds.c (the instance
 * metadata service) do that on top, resending through aws_retry.h.
 *
 * Replies are bounded: a body longer than the cap (HTTP_MAX_BODY_DEFAULT,
 * 64 MiB, unless the client or the request sets another) and a header
 * block longer than HTTP_MAX_HEADER_BYTES (256 KiB) end the exchange as soon
 * as they cross it (an announced Content-Length over the cap before any
 * byte is read), with err->code "BadReply", not retryable. Memory held for
 * one reply therefore stays within about twice the cap. Every reply body
 * is kept in a buffer cleansed when freed (it may carry keys or user data).
 */
#ifndef ANNEX_HTTP_H
#define ANNEX_HTTP_H

#include <stddef.h>

#include "annex/buf.h"
#include "annex/err.h"

struct http_header {
	char *name;
	char *value;
};

struct http_request {
	const char *method;                 /* "GET", "POST", "PUT", "DELETE", "HEAD" */
	const char *url;                    /* full URL, already encoded */
	const struct http_header *headers;  /* sent as given (Host included, if any) */
	size_t n_headers;
	const void *body;
	size_t body_len;
	/* Open a new connection for this request. libcurl silently re-sends a
	 * request whose reused connection died before any reply; for a call that
	 * spends money (RunInstances) that would be a second launch, so such
	 * calls go on a fresh connection and annex decides about any resend. */
	int fresh_connection;
	/* The longest reply body accepted, in bytes; 0: the client's cap. */
	size_t max_body_bytes;
	/* A bound on this whole exchange below the client's timeout_ms (what
	 * is left of a command's deadline); 0: the client's. */
	long timeout_ms;
	/* Optional: called once, from inside the exchange, when it has gone
	 * on for slow_after_ms (> 0) without ending, so that the caller can
	 * tell the user what it waits for; the exchange goes on. */
	long slow_after_ms;
	void (*slow)(void *ud, long elapsed_ms);
	void *slow_ud;
};

/* Which time limit ended an exchange (struct http_response's timed_out). */
enum http_timeout {
	HTTP_TIMEOUT_NONE = 0,
	HTTP_TIMEOUT_CONNECT,               /* no connection within the connect timeout */
	HTTP_TIMEOUT_REPLY,                 /* connected, no whole reply within the exchange's bound */
};

struct http_response {
	long status;
	struct http_header *headers;        /* names as received; the last response's only */
	size_t n_headers;
	struct buf body;
	long elapsed_ms;
	/* on a failed exchange: which limit ended it, and that limit in ms */
	enum http_timeout timed_out;
	long timeout_ms;
};

struct http_opts {
	long connect_timeout_ms;            /* 0: HTTP_CONNECT_TIMEOUT_DEFAULT_MS */
	long timeout_ms;                    /* 0: HTTP_TIMEOUT_DEFAULT_MS, the whole exchange */
	const char *ca_bundle;              /* NULL: AWS_CA_BUNDLE, else the system store */
	const char *user_agent;             /* NULL: "annex/<version>" */
	int no_proxy;                       /* connect directly, whatever the environment says */
	size_t max_body_bytes;              /* 0: HTTP_MAX_BODY_DEFAULT */
};

/* The transport's own limits when the client is given none: botocore's
 * connect_timeout and read_timeout (60 s each), the latter applied to the
 * whole exchange (docs/design.md, "Deadlines"). Commands pass the knobs
 * ANNEX_CONNECT_TIMEOUT and ANNEX_REQUEST_TIMEOUT instead. */
#define HTTP_CONNECT_TIMEOUT_DEFAULT_MS 60000L
#define HTTP_TIMEOUT_DEFAULT_MS 60000L

/* The default cap on one reply body: far above any AWS API page (EC2 and
 * IAM pages are at most a few MB) and any object annex reads from S3, far
 * below what a hostile or broken endpoint could make annex hold. */
#define HTTP_MAX_BODY_DEFAULT ((size_t)64 * 1024 * 1024)
/* The cap on one reply's header block (status line and all header lines,
 * summed over interim replies). */
#define HTTP_MAX_HEADER_BYTES ((size_t)256 * 1024)

struct http_client;

/* Creates a client; opts may be NULL for the defaults. Returns NULL with
 * err set when libcurl cannot be initialised. */
struct http_client *http_client_new(const struct http_opts *opts, struct annex_err *err);
void http_client_free(struct http_client *c);

/* Sends one request and fills resp (zeroed first; free with
 * http_response_free even on failure). Any HTTP status is a success here;
 * -1 means the exchange itself failed: err->code "Transport", and
 * err->retryable set for failures a retry may cure (refused or reset
 * connection, timeout, empty reply), not for TLS verification failures or a
 * malformed URL (a time limit that ended it: "METHOD URL: no connection
 * within N ms" or "... no reply within N ms", with resp->timed_out and
 * resp->timeout_ms set); or the reply broke a cap: err->code "BadReply", "METHOD
 * URL: reply body over the N-byte cap; refused" (not retryable). */
int http_perform(struct http_client *c, const struct http_request *req,
		 struct http_response *resp, struct annex_err *err);

/* First header of that name (case-insensitive), or NULL. */
const char *http_response_header(const struct http_response *resp, const char *name);
void http_response_free(struct http_response *resp);

/* Frees a libcurl header list after cleansing every line: request headers
 * carry the signature and session tokens. NULL is a no-op. */
struct curl_slist;
void http_slist_free_secret(struct curl_slist *l);

/* How many new connections the client opened so far (connection reuse
 * keeps this below the number of requests). */
long http_client_connections(const struct http_client *c);

#endif
