/* sigv4.h - AWS Signature Version 4, a pure function of (request,
 * credentials, parameters, time): no clock, no I/O inside. Tested against
 * the official suite (tests/cases/check_sigv4.c over ../shared/sigv4-suite).
 */
#ifndef ANNEX_SIGV4_H
#define ANNEX_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "annex/buf.h"
#include "annex/err.h"

struct sigv4_header {
	const char *name;
	const char *value;
};

/* The request to sign, as it will go on the wire. */
struct sigv4_request {
	const char *method;                 /* "GET", "POST", ... */
	const char *path;                   /* the target up to '?', as written (may be already %-encoded) */
	const char *query;                  /* after '?', NULL or "" for none; as written */
	const struct sigv4_header *headers; /* must include Host */
	size_t n_headers;
	const void *body;
	size_t body_len;
	const char *payload_hash;           /* NULL: SHA-256 of body; else used as is ("UNSIGNED-PAYLOAD", a precomputed hash) */
};

/* Derived-key cache: the key for (access key, date, region, service) is
 * computed once and reused; cleansed by sigv4_cache_clear. Not thread-safe
 * (annex is single-threaded). Start it zeroed ({0}); it holds an OpenSSL
 * context once used, so it must end with sigv4_cache_clear. */
struct sigv4_cache {
	char access_key[128];
	char date[9];
	char region[64];
	char service[64];
	unsigned char key[32];
	int valid;
	unsigned long hits, misses;
	void *mac;                          /* internal: HMAC context keyed with key (EVP_MAC_CTX) */
};

struct sigv4_params {
	const char *region;
	const char *service;
	time_t when;                        /* signing time (UTC seconds) */
	const char *access_key;
	const char *secret_key;
	const char *token;                  /* session token or NULL */
	int normalize;                      /* remove . .. // from the path (not S3) */
	int double_uri_encode;              /* encode the path again (not S3) */
	int sign_body;                      /* add and sign x-amz-content-sha256 */
	int omit_session_token;             /* add X-Amz-Security-Token after signing */
	long expires;                       /* presign: X-Amz-Expires */
	struct sigv4_cache *cache;          /* optional */
};

/* One header the signer adds, in the order it must appear. */
struct sigv4_added {
	char name[32];
	char *value;                        /* owned */
};

struct sigv4_result {
	struct buf canonical_request;
	struct buf string_to_sign;
	char signature[65];                 /* hex; never log it */
	/* header signing: X-Amz-Security-Token, X-Amz-Date, x-amz-content-sha256, Authorization (as applicable) */
	struct sigv4_added added[4];
	int n_added;
	/* presigning: the query parameters to append, already encoded, in the
	 * suite's order (Algorithm, Credential, Date, SignedHeaders, Expires,
	 * Security-Token, Signature), joined with '&' */
	struct buf presigned_query;
	struct buf scratch;                 /* internal: reused working storage */
};

/* A result must start zeroed ({0}); it may then be passed to any number of
 * signing calls, each of which recycles its storage (no allocation in the
 * steady state), and is released with sigv4_result_free. */

/* Signs with the Authorization header. Returns 0, or -1 with err set. */
int sigv4_sign_header(const struct sigv4_request *req, const struct sigv4_params *p,
		      struct sigv4_result *out, struct annex_err *err);

/* Presigns (query-string variant). */
int sigv4_presign(const struct sigv4_request *req, const struct sigv4_params *p,
		  struct sigv4_result *out, struct annex_err *err);

void sigv4_result_free(struct sigv4_result *r);
void sigv4_cache_clear(struct sigv4_cache *c);

/* Helpers shared with the transport. */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);
/* URI-encodes s per SigV4 (unreserved A-Za-z0-9-._~ kept; '/' kept when keep_slash). */
void sigv4_uri_encode(struct buf *out, const char *s, size_t len, int keep_slash);

#endif
