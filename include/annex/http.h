/* http.h - the HTTP transport (libcurl). One reusable client per process:
 * connections and DNS answers are kept between requests. TLS is always
 * verified (the CA bundle comes from AWS_CA_BUNDLE when set, else the
 * system's); there is no switch that turns verification off. Proxies come
 * from the environment (http_proxy, HTTPS_PROXY, no_proxy), as curl reads
 * them. The transport knows nothing of AWS: no signing, no retries, no
 * error decoding; aws.c (signed AWS calls) and creds_imds.c (the instance
 * metadata service) do that on top, resending through aws_retry.h.
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
	/* The reply body is a secret (credentials): it is kept in a buffer
	 * that is cleansed when freed. */
	int secret_reply;
};

struct http_response {
	long status;
	struct http_header *headers;        /* names as received; the last response's only */
	size_t n_headers;
	struct buf body;
	long elapsed_ms;
};

struct http_opts {
	long connect_timeout_ms;            /* 0: 5000 */
	long timeout_ms;                    /* 0: 120000, the whole exchange */
	const char *ca_bundle;              /* NULL: AWS_CA_BUNDLE, else the system store */
	const char *user_agent;             /* NULL: "annex/<version>" */
	int no_proxy;                       /* connect directly, whatever the environment says */
	size_t max_body;                    /* 0: no limit; a longer reply body fails the exchange */
};

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
 * malformed URL. */
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
