/* sigv4.c - AWS Signature Version 4 (see include/annex/sigv4.h).
 *
 * A pure function of (request, credentials, parameters, time): no clock,
 * no I/O. The steps are AWS's: canonical request, string to sign, derived
 * signing key (cached per access key, date, region and service), then the
 * HMAC of the string to sign. The canonical request is built by
 * sigv4_canon.c; this file hashes and signs it and lays out the headers or
 * query parameters the signature travels in. Work strings live in buffers
 * owned by the result, so a result reused across calls signs without
 * allocating. Anything that may hold a session token or a signature is
 * cleansed.
 */
#include "annex/sigv4.h"

#include "annex/sigv4_canon.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_SECRET_MAX 256

static const char sigv4_hex_lower[] = "0123456789abcdef";

/* OpenSSL algorithm objects, fetched once: an explicit fetch spares every
 * digest and MAC call the method-store lookup of an implicit one. They live
 * until the process ends. Fetched under pthread_once: aws_parallel.c signs
 * from several threads, and the first two could otherwise race here
 * (ThreadSanitizer found it in test_parallel). */
static EVP_MD *sigv4_md;
static EVP_MAC *sigv4_mac;
static pthread_once_t sigv4_once = PTHREAD_ONCE_INIT;

static void sigv4_crypto_fetch(void)
{
	sigv4_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	sigv4_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static int sigv4_crypto_init(void)
{
	pthread_once(&sigv4_once, sigv4_crypto_fetch);
	return sigv4_md && sigv4_mac ? 0 : -1;
}

static void sigv4_hex(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = sigv4_hex_lower[in[i] >> 4];
		out[2 * i + 1] = sigv4_hex_lower[in[i] & 15];
	}
	out[2 * n] = 0;
}

static int sigv4_sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int n = 0;

	if (sigv4_crypto_init() < 0)
		return -1;
	return EVP_Digest(data, len, out, &n, sigv4_md, NULL) == 1 && n == 32 ? 0 : -1;
}

/* Hex SHA-256 of data; out is "" if OpenSSL cannot hash (it always can). */
void sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];

	if (sigv4_sha256(data, len, md) < 0) {
		out[0] = 0;
		return;
	}
	sigv4_hex(md, 32, out);
}

/* Initialises ctx as HMAC-SHA256 under key (or, with key NULL, restarts it
 * under the key it already has). */
static int sigv4_mac_init(EVP_MAC_CTX *ctx, const unsigned char *key, size_t key_len)
{
	static char digest[] = "SHA256";
	OSSL_PARAM params[2];

	if (!key)
		return EVP_MAC_init(ctx, NULL, 0, NULL) == 1 ? 0 : -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	return EVP_MAC_init(ctx, key, key_len, params) == 1 ? 0 : -1;
}

static int sigv4_mac_finish(EVP_MAC_CTX *ctx, const void *data, size_t len, unsigned char out[32])
{
	size_t n = 0;

	if (EVP_MAC_update(ctx, data, len) != 1 || EVP_MAC_final(ctx, out, &n, 32) != 1 || n != 32)
		return -1;
	return 0;
}

/* One-shot HMAC-SHA256 (key derivation, and signing without a cache). */
static int sigv4_hmac(const unsigned char *key, size_t key_len, const void *data, size_t len,
		      unsigned char out[32])
{
	EVP_MAC_CTX *ctx;
	int rc = -1;

	if (sigv4_crypto_init() < 0 || !(ctx = EVP_MAC_CTX_new(sigv4_mac)))
		return -1;
	if (sigv4_mac_init(ctx, key, key_len) == 0)
		rc = sigv4_mac_finish(ctx, data, len, out);
	EVP_MAC_CTX_free(ctx);
	return rc;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region), service),
 * "aws4_request"). Every intermediate is cleansed. */
static int sigv4_derive_key(const char *secret, const char *date, const char *region,
			    const char *service, unsigned char key[32])
{
	unsigned char k_secret[SIGV4_SECRET_MAX + 4], k1[32], k2[32], k3[32];
	size_t slen = strlen(secret);
	int rc = -1;

	if (slen > SIGV4_SECRET_MAX)
		return -1;
	memcpy(k_secret, "AWS4", 4);
	memcpy(k_secret + 4, secret, slen);
	if (sigv4_hmac(k_secret, slen + 4, date, strlen(date), k1) == 0 &&
	    sigv4_hmac(k1, 32, region, strlen(region), k2) == 0 &&
	    sigv4_hmac(k2, 32, service, strlen(service), k3) == 0 &&
	    sigv4_hmac(k3, 32, "aws4_request", 12, key) == 0)
		rc = 0;
	OPENSSL_cleanse(k_secret, sizeof(k_secret));
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(k3, sizeof(k3));
	if (rc < 0)
		OPENSSL_cleanse(key, 32);
	return rc;
}

static int sigv4_fits(const char *s, size_t cap)
{
	return strlen(s) < cap;
}

/* The signature: HMAC of the string to sign under the signing key. With a
 * cache, the key is derived only when (access key, date, region, service)
 * changed, and the cached HMAC context is restarted under its key. */
static int sigv4_compute(const struct sigv4_params *p, const char *date, const struct buf *sts,
			 char sig[65])
{
	struct sigv4_cache *c = p->cache;
	unsigned char key[32], mac[32];
	int rc;

	if (sigv4_crypto_init() < 0)
		return -1;
	if (!c || !sigv4_fits(p->access_key, sizeof(c->access_key)) ||
	    !sigv4_fits(p->region, sizeof(c->region)) || !sigv4_fits(p->service, sizeof(c->service))) {
		if (c)
			c->misses++;
		if (sigv4_derive_key(p->secret_key, date, p->region, p->service, key) < 0)
			return -1;
		rc = sigv4_hmac(key, 32, sts->data, sts->len, mac);
		OPENSSL_cleanse(key, sizeof(key));
		goto out;
	}
	if (c->valid && c->mac && strcmp(c->date, date) == 0 && strcmp(c->access_key, p->access_key) == 0 &&
	    strcmp(c->region, p->region) == 0 && strcmp(c->service, p->service) == 0) {
		c->hits++;
		rc = sigv4_mac_init(c->mac, NULL, 0);
	} else {
		c->misses++;
		c->valid = 0;
		if (!c->mac && !(c->mac = EVP_MAC_CTX_new(sigv4_mac)))
			return -1;
		if (sigv4_derive_key(p->secret_key, date, p->region, p->service, c->key) < 0)
			return -1;
		rc = sigv4_mac_init(c->mac, c->key, 32);
		if (rc == 0) {
			strcpy(c->access_key, p->access_key);
			strcpy(c->date, date);
			strcpy(c->region, p->region);
			strcpy(c->service, p->service);
			c->valid = 1;
		}
	}
	if (rc == 0)
		rc = sigv4_mac_finish(c->mac, sts->data, sts->len, mac);
out:
	if (rc == 0)
		sigv4_hex(mac, 32, sig);
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

void sigv4_cache_clear(struct sigv4_cache *c)
{
	if (!c)
		return;
	EVP_MAC_CTX_free(c->mac);
	OPENSSL_cleanse(c, sizeof(*c));
}

static void sigv4_digits(char *out, int v, int width)
{
	for (int i = width - 1; i >= 0; i--, v /= 10)
		out[i] = (char)('0' + v % 10);
}

/* Checks the parameters and fills the dates, scope and payload hash. */
static int sigv4_prepare(const struct sigv4_request *req, const struct sigv4_params *p,
			 struct sigv4_work *w, struct annex_err *err)
{
	struct tm tm;
	int found_host = 0, n;

	if (!req || !req->method || !*req->method || !p)
		return annex_err_set(err, "Signing", "sigv4: no request method");
	if (!p->region || !*p->region || !p->service || !*p->service)
		return annex_err_set(err, "Signing", "sigv4: region and service are required");
	if (!p->access_key || !*p->access_key || !p->secret_key || !*p->secret_key)
		return annex_err_set(err, "Signing", "sigv4: no credentials to sign with");
	if (strlen(p->secret_key) > SIGV4_SECRET_MAX)
		return annex_err_set(err, "Signing", "sigv4: secret key longer than %d bytes", SIGV4_SECRET_MAX);
	for (size_t i = 0; i < req->n_headers; i++) {
		if (!req->headers[i].name)
			return annex_err_set(err, "Signing", "sigv4: header %zu has no name", i);
		if (strcasecmp(req->headers[i].name, "host") == 0)
			found_host = 1;
	}
	if (!found_host)
		return annex_err_set(err, "Signing", "sigv4: the request has no Host header");
	if (!gmtime_r(&p->when, &tm) || tm.tm_year + 1900 < 1000 || tm.tm_year + 1900 > 9999)
		return annex_err_set(err, "Signing", "sigv4: signing time %lld out of range", (long long)p->when);
	sigv4_digits(w->amz_date, tm.tm_year + 1900, 4);
	sigv4_digits(w->amz_date + 4, tm.tm_mon + 1, 2);
	sigv4_digits(w->amz_date + 6, tm.tm_mday, 2);
	w->amz_date[8] = 'T';
	sigv4_digits(w->amz_date + 9, tm.tm_hour, 2);
	sigv4_digits(w->amz_date + 11, tm.tm_min, 2);
	sigv4_digits(w->amz_date + 13, tm.tm_sec, 2);
	w->amz_date[15] = 'Z';
	w->amz_date[16] = 0;
	memcpy(w->date, w->amz_date, 8);
	w->date[8] = 0;
	n = snprintf(w->scope, sizeof(w->scope), "%s/%s/%s/aws4_request", w->date, p->region, p->service);
	if (n < 0 || (size_t)n >= sizeof(w->scope))
		return annex_err_set(err, "Signing", "sigv4: region or service name too long");
	if (req->payload_hash) {
		if (strlen(req->payload_hash) >= sizeof(w->payload))
			return annex_err_set(err, "Signing", "sigv4: payload hash too long");
		strcpy(w->payload, req->payload_hash);
	} else {
		sigv4_sha256_hex(req->body ? req->body : "", req->body ? req->body_len : 0, w->payload);
		if (!w->payload[0])
			return annex_err_set(err, "Signing", "sigv4: OpenSSL could not compute SHA-256");
	}
	return 0;
}

/* Resets the result's buffers for a new signature; those that may carry a
 * session token are cleansed on reset and free. */
static void sigv4_result_reset(struct sigv4_result *out)
{
	out->canonical_request.secret = 1;
	out->presigned_query.secret = 1;
	out->scratch.secret = 1;
	buf_reset(&out->canonical_request);
	buf_reset(&out->string_to_sign);
	buf_reset(&out->presigned_query);
	buf_reset(&out->scratch);
	OPENSSL_cleanse(out->signature, sizeof(out->signature));
}

/* Writes the canonical request (with the header lines and signed list
 * already in scratch, and extra query items for presigning), the string to
 * sign and the signature. */
static int sigv4_finish(const struct sigv4_request *req, const struct sigv4_params *p,
			struct sigv4_work *w, const struct sigv4_item *q_extra, size_t n_q_extra,
			struct sigv4_result *out, struct annex_err *err)
{
	struct buf *cr = &out->canonical_request, *sts = &out->string_to_sign;
	char hash[65];

	sigv4_canon_request(cr, &out->scratch, req, p, w, q_extra, n_q_extra);
	sigv4_sha256_hex(cr->data, cr->len, hash);
	buf_grow(sts, 64 + sizeof(w->amz_date) + strlen(w->scope) + 20);
	buf_puts(sts, SIGV4_ALGORITHM "\n");
	buf_puts(sts, w->amz_date);
	buf_putc(sts, '\n');
	buf_puts(sts, w->scope);
	buf_putc(sts, '\n');
	buf_puts(sts, hash);
	if (!hash[0] || sigv4_compute(p, w->date, sts, out->signature) < 0)
		return annex_err_set(err, "Signing", "sigv4: OpenSSL could not compute the signature");
	return 0;
}

/* Sets added header i, reusing its storage when the value fits (the
 * Authorization value has the same length every time); the old value is
 * cleansed first since it may be a token or carry a signature. */
static void sigv4_set_added(struct sigv4_result *out, int i, const char *name, const char *value, size_t len)
{
	struct sigv4_added *a = &out->added[i];
	size_t old = a->value ? strlen(a->value) : 0;

	if (a->value && len <= old) {
		OPENSSL_cleanse(a->value, old);
	} else {
		secret_free(a->value);
		a->value = xmalloc(len + 1);
	}
	memcpy(a->value, value, len);
	a->value[len] = 0;
	snprintf(a->name, sizeof(a->name), "%s", name);
}

static void sigv4_drop_added(struct sigv4_result *out, int from)
{
	for (int i = from; i < 4; i++) {
		secret_free(out->added[i].value);
		out->added[i].value = NULL;
		out->added[i].name[0] = 0;
	}
	out->n_added = from;
}

int sigv4_sign_header(const struct sigv4_request *req, const struct sigv4_params *p,
		      struct sigv4_result *out, struct annex_err *err)
{
	struct sigv4_header extra[3];
	struct sigv4_work w;
	size_t n_extra = 0, auth_len;
	const char *sig_headers;
	char auth[1024];
	int has_token, n = 0, rc;

	sigv4_result_reset(out);
	if (sigv4_prepare(req, p, &w, err) < 0)
		return -1;
	has_token = p->token && *p->token;
	extra[n_extra++] = (struct sigv4_header){ "X-Amz-Date", w.amz_date };
	if (p->sign_body)
		extra[n_extra++] = (struct sigv4_header){ "x-amz-content-sha256", w.payload };
	if (has_token && !p->omit_session_token)
		extra[n_extra++] = (struct sigv4_header){ "X-Amz-Security-Token", p->token };
	sigv4_canon_headers(&out->scratch, req, extra, n_extra, &w);
	if (sigv4_finish(req, p, &w, NULL, 0, out, err) < 0)
		return -1;

	sig_headers = out->scratch.data + w.sh_off;
	rc = snprintf(auth, sizeof(auth), SIGV4_ALGORITHM " Credential=%s/%s, SignedHeaders=%.*s, Signature=%s",
		      p->access_key, w.scope, (int)w.sh_len, sig_headers, out->signature);
	if (rc < 0 || (size_t)rc >= sizeof(auth)) {
		OPENSSL_cleanse(auth, sizeof(auth));
		return annex_err_set(err, "Signing", "sigv4: Authorization header longer than %zu bytes",
				     sizeof(auth) - 1);
	}
	auth_len = (size_t)rc;
	if (has_token)
		sigv4_set_added(out, n++, "X-Amz-Security-Token", p->token, strlen(p->token));
	sigv4_set_added(out, n++, "X-Amz-Date", w.amz_date, strlen(w.amz_date));
	if (p->sign_body)
		sigv4_set_added(out, n++, "x-amz-content-sha256", w.payload, strlen(w.payload));
	sigv4_set_added(out, n++, "Authorization", auth, auth_len);
	sigv4_drop_added(out, n);
	OPENSSL_cleanse(auth, auth_len);
	return 0;
}

int sigv4_presign(const struct sigv4_request *req, const struct sigv4_params *p,
		  struct sigv4_result *out, struct annex_err *err)
{
	enum { ALG, CRED, DATE, SIGNED, EXPIRES, TOKEN, N_ITEMS };
	struct sigv4_item q[N_ITEMS];
	struct sigv4_work w;
	char expires[32], *credential, *signed_list;
	int has_token;
	size_t n_q;

	sigv4_result_reset(out);
	sigv4_drop_added(out, 0);
	if (sigv4_prepare(req, p, &w, err) < 0)
		return -1;
	if (p->expires <= 0)
		return annex_err_set(err, "Signing", "sigv4: presigning needs a positive expiry, not %ld", p->expires);
	has_token = p->token && *p->token;
	sigv4_canon_headers(&out->scratch, req, NULL, 0, &w);

	credential = xasprintf("%s/%s", p->access_key, w.scope);
	signed_list = xstrndup(out->scratch.data + w.sh_off, w.sh_len);
	snprintf(expires, sizeof(expires), "%ld", p->expires);
	sigv4_canon_qitem(&out->scratch, &q[ALG], "X-Amz-Algorithm", SIGV4_ALGORITHM, 0);
	sigv4_canon_qitem(&out->scratch, &q[CRED], "X-Amz-Credential", credential, 1);
	sigv4_canon_qitem(&out->scratch, &q[DATE], "X-Amz-Date", w.amz_date, 0);
	sigv4_canon_qitem(&out->scratch, &q[SIGNED], "X-Amz-SignedHeaders", signed_list, 1);
	sigv4_canon_qitem(&out->scratch, &q[EXPIRES], "X-Amz-Expires", expires, 0);
	if (has_token)
		sigv4_canon_qitem(&out->scratch, &q[TOKEN], "X-Amz-Security-Token", p->token, 1);
	free(credential);
	free(signed_list);
	n_q = has_token && !p->omit_session_token ? N_ITEMS : TOKEN;
	if (sigv4_finish(req, p, &w, q, n_q, out, err) < 0)
		return -1;

	sigv4_canon_put_item(&out->presigned_query, &out->scratch, &q[ALG]);
	sigv4_canon_put_item(&out->presigned_query, &out->scratch, &q[CRED]);
	sigv4_canon_put_item(&out->presigned_query, &out->scratch, &q[DATE]);
	sigv4_canon_put_item(&out->presigned_query, &out->scratch, &q[SIGNED]);
	sigv4_canon_put_item(&out->presigned_query, &out->scratch, &q[EXPIRES]);
	if (has_token)
		sigv4_canon_put_item(&out->presigned_query, &out->scratch, &q[TOKEN]);
	buf_puts(&out->presigned_query, "&X-Amz-Signature=");
	buf_puts(&out->presigned_query, out->signature);
	return 0;
}

void sigv4_result_free(struct sigv4_result *r)
{
	if (!r)
		return;
	sigv4_drop_added(r, 0);
	r->canonical_request.secret = r->presigned_query.secret = r->scratch.secret = 1;
	buf_free(&r->canonical_request);
	buf_free(&r->string_to_sign);
	buf_free(&r->presigned_query);
	buf_free(&r->scratch);
	OPENSSL_cleanse(r->signature, sizeof(r->signature));
}
