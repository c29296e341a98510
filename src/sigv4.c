/* sigv4.c - AWS Signature Version 4 (see include/annex/sigv4.h).
 *
 * A pure function of (request, credentials, parameters, time): no clock,
 * no I/O. The steps are AWS's: canonical request, string to sign, derived
 * signing key (cached per access key, date, region and service), then the
 * HMAC of the string to sign. Work strings live in buffers owned by the
 * result, so a result reused across calls signs without allocating.
 * Anything that may hold a session token or a signature is cleansed.
 */
#include "annex/sigv4.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_STACK_ITEMS 32
#define SIGV4_SECRET_MAX 256

static const char sigv4_hex_lower[] = "0123456789abcdef";
static const char sigv4_hex_upper[] = "0123456789ABCDEF";

/* OpenSSL algorithm objects, fetched once: an explicit fetch spares every
 * digest and MAC call the method-store lookup of an implicit one. They live
 * until the process ends (annex is single-threaded). */
static EVP_MD *sigv4_md;
static EVP_MAC *sigv4_mac;

static int sigv4_crypto_init(void)
{
	if (!sigv4_md)
		sigv4_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!sigv4_mac)
		sigv4_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
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

static int sigv4_unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

static int sigv4_hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Appends s URI-encoded. With decode_first, %XX sequences are decoded
 * before encoding, so an already-encoded string comes out the same and a
 * raw one comes out encoded (the canonical form of a query string). */
static void sigv4_encode(struct buf *out, const char *s, size_t len, int keep_slash, int decode_first)
{
	char *w;

	buf_grow(out, len * 3);
	w = out->data + out->len;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		int hi, lo;

		if (decode_first && ch == '%' && i + 2 < len &&
		    (hi = sigv4_hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = sigv4_hexval((unsigned char)s[i + 2])) >= 0) {
			ch = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (sigv4_unreserved(ch) || (keep_slash && ch == '/')) {
			*w++ = (char)ch;
		} else {
			*w++ = '%';
			*w++ = sigv4_hex_upper[ch >> 4];
			*w++ = sigv4_hex_upper[ch & 15];
		}
	}
	out->len = (size_t)(w - out->data);
	out->data[out->len] = 0;
}

void sigv4_uri_encode(struct buf *out, const char *s, size_t len, int keep_slash)
{
	sigv4_encode(out, s, len, keep_slash, 0);
}

/* Appends path with "." and empty segments removed and ".." applied
 * (RFC 3986 style, as the non-S3 services expect); a trailing slash is
 * kept, and the result always starts with '/'. */
static void sigv4_normalize_path(struct buf *out, const char *path)
{
	size_t start = out->len, plen = strlen(path);
	const char *s = path, *end = path + plen;

	while (s < end) {
		const char *e = memchr(s, '/', (size_t)(end - s));
		size_t n;

		if (!e)
			e = end;
		n = (size_t)(e - s);
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (out->len > start && out->data[out->len - 1] != '/')
				out->len--;
			if (out->len > start)
				out->len--;
		} else if (n > 0 && !(n == 1 && s[0] == '.')) {
			buf_putc(out, '/');
			buf_append(out, s, n);
		}
		s = e + 1;
	}
	if (out->len == start || (plen > 0 && path[plen - 1] == '/'))
		buf_putc(out, '/');
	out->data[out->len] = 0;
}

/* A header or query item: two strings in the scratch buffer, located by
 * offset while the buffer grows, then by pointer once it is final. */
struct sigv4_item {
	size_t k_off, k_len, v_off, v_len, order;
	const char *k, *v;
};

static int sigv4_item_cmp(const void *a, const void *b)
{
	const struct sigv4_item *x = a, *y = b;
	size_t n = x->k_len < y->k_len ? x->k_len : y->k_len;
	int c = memcmp(x->k, y->k, n);

	if (c)
		return c;
	if (x->k_len != y->k_len)
		return x->k_len < y->k_len ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int sigv4_query_cmp(const void *a, const void *b)
{
	const struct sigv4_item *x = a, *y = b;
	size_t n;
	int c;

	n = x->k_len < y->k_len ? x->k_len : y->k_len;
	if ((c = memcmp(x->k, y->k, n)) != 0 || x->k_len != y->k_len)
		return c ? c : (x->k_len < y->k_len ? -1 : 1);
	n = x->v_len < y->v_len ? x->v_len : y->v_len;
	if ((c = memcmp(x->v, y->v, n)) != 0 || x->v_len != y->v_len)
		return c ? c : (x->v_len < y->v_len ? -1 : 1);
	return x->order < y->order ? -1 : x->order > y->order;
}

static int sigv4_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Appends a header value trimmed, with each inner run of whitespace
 * collapsed to one space. */
static void sigv4_trimall(struct buf *out, const char *v)
{
	size_t n = strlen(v);
	char *w;
	int gap = 0;

	while (n && sigv4_space(v[n - 1]))
		n--;
	while (n && sigv4_space(*v))
		v++, n--;
	buf_grow(out, n);
	w = out->data + out->len;
	for (size_t i = 0; i < n; i++) {
		if (sigv4_space(v[i])) {
			gap = 1;
			continue;
		}
		if (gap)
			*w++ = ' ';
		gap = 0;
		*w++ = v[i];
	}
	out->len = (size_t)(w - out->data);
	out->data[out->len] = 0;
}

/* Work state of one signature: the strings every step shares. */
struct sigv4_work {
	char amz_date[17];          /* 20150830T123600Z */
	char date[9];               /* 20150830 */
	char scope[256];            /* date/region/service/aws4_request */
	char payload[65];
	size_t hdr_off, hdr_len;    /* canonical header lines, in scratch */
	size_t sh_off, sh_len;      /* signed header list, in scratch */
};

static struct sigv4_item *sigv4_items(size_t n, struct sigv4_item *stack)
{
	return n <= SIGV4_STACK_ITEMS ? stack : xmalloc(n * sizeof(struct sigv4_item));
}

/* Builds the canonical header lines and the signed header list of the
 * request's headers plus extra ones, into scratch: names lower-cased,
 * values trimmed, sorted by name with equal names joined by ',' in their
 * order of appearance. */
static void sigv4_headers(struct buf *scratch, const struct sigv4_request *req,
			  const struct sigv4_header *extra, size_t n_extra, struct sigv4_work *w)
{
	struct sigv4_item stack[SIGV4_STACK_ITEMS], *it;
	size_t n = req->n_headers + n_extra, need = 0;

	it = sigv4_items(n, stack);
	for (size_t i = 0; i < n; i++) {
		const struct sigv4_header *h = i < req->n_headers ? &req->headers[i] : &extra[i - req->n_headers];
		size_t nl = strlen(h->name);

		it[i].order = i;
		it[i].k_off = scratch->len;
		buf_grow(scratch, nl);
		for (size_t j = 0; j < nl; j++) {
			char ch = h->name[j];
			scratch->data[scratch->len++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
		}
		it[i].k_len = nl;
		it[i].v_off = scratch->len;
		sigv4_trimall(scratch, h->value ? h->value : "");
		it[i].v_len = scratch->len - it[i].v_off;
		need += 2 * it[i].k_len + it[i].v_len + 3;
	}
	buf_grow(scratch, need);
	for (size_t i = 0; i < n; i++) {
		it[i].k = scratch->data + it[i].k_off;
		it[i].v = scratch->data + it[i].v_off;
	}
	qsort(it, n, sizeof(*it), sigv4_item_cmp);
	w->hdr_off = scratch->len;
	for (size_t i = 0; i < n; i++) {
		int same = i > 0 && it[i].k_len == it[i - 1].k_len && memcmp(it[i].k, it[i - 1].k, it[i].k_len) == 0;

		if (same) {
			scratch->data[scratch->len - 1] = ',';
		} else {
			memcpy(scratch->data + scratch->len, it[i].k, it[i].k_len);
			scratch->len += it[i].k_len;
			scratch->data[scratch->len++] = ':';
		}
		memcpy(scratch->data + scratch->len, it[i].v, it[i].v_len);
		scratch->len += it[i].v_len;
		scratch->data[scratch->len++] = '\n';
	}
	w->hdr_len = scratch->len - w->hdr_off;
	w->sh_off = scratch->len;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && it[i].k_len == it[i - 1].k_len && memcmp(it[i].k, it[i - 1].k, it[i].k_len) == 0)
			continue;
		if (scratch->len > w->sh_off)
			scratch->data[scratch->len++] = ';';
		memcpy(scratch->data + scratch->len, it[i].k, it[i].k_len);
		scratch->len += it[i].k_len;
	}
	w->sh_len = scratch->len - w->sh_off;
	scratch->data[scratch->len] = 0;
	if (it != stack)
		free(it);
}

static size_t sigv4_count_params(const char *q)
{
	size_t n = 1;

	for (; q && *q; q++)
		n += *q == '&';
	return n;
}

/* Appends the canonical query string: the request's parameters decoded and
 * re-encoded, plus extra ones (already encoded, located in scratch), sorted
 * by key then value, each as key=value, joined with '&'. */
static void sigv4_query(struct buf *out, struct buf *scratch, const char *query,
			const struct sigv4_item *extra, size_t n_extra)
{
	struct sigv4_item stack[SIGV4_STACK_ITEMS], *it;
	size_t cap = sigv4_count_params(query) + n_extra, n = 0, need = 0;
	const char *s = query;

	it = sigv4_items(cap, stack);
	while (s && *s) {
		const char *e = strchr(s, '&'), *eq;
		size_t len = e ? (size_t)(e - s) : strlen(s);

		if (len > 0) {
			eq = memchr(s, '=', len);
			it[n].order = n;
			it[n].k_off = scratch->len;
			sigv4_encode(scratch, s, eq ? (size_t)(eq - s) : len, 0, 1);
			it[n].k_len = scratch->len - it[n].k_off;
			it[n].v_off = scratch->len;
			if (eq)
				sigv4_encode(scratch, eq + 1, len - (size_t)(eq + 1 - s), 0, 1);
			it[n].v_len = scratch->len - it[n].v_off;
			n++;
		}
		s = e ? e + 1 : NULL;
	}
	for (size_t i = 0; i < n_extra; i++) {
		it[n] = extra[i];
		it[n].order = n;
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		it[i].k = scratch->data + it[i].k_off;
		it[i].v = scratch->data + it[i].v_off;
		need += it[i].k_len + it[i].v_len + 2;
	}
	qsort(it, n, sizeof(*it), sigv4_query_cmp);
	buf_grow(out, need);
	for (size_t i = 0; i < n; i++) {
		if (i)
			out->data[out->len++] = '&';
		memcpy(out->data + out->len, it[i].k, it[i].k_len);
		out->len += it[i].k_len;
		out->data[out->len++] = '=';
		memcpy(out->data + out->len, it[i].v, it[i].v_len);
		out->len += it[i].v_len;
	}
	out->data[out->len] = 0;
	if (it != stack)
		free(it);
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
	const char *path = req->path && *req->path ? req->path : "/";
	char hash[65];

	buf_puts(cr, req->method);
	buf_putc(cr, '\n');
	if (p->normalize) {
		size_t off = out->scratch.len;

		sigv4_normalize_path(&out->scratch, path);
		if (p->double_uri_encode)
			sigv4_encode(cr, out->scratch.data + off, out->scratch.len - off, 1, 0);
		else
			buf_append(cr, out->scratch.data + off, out->scratch.len - off);
	} else if (p->double_uri_encode) {
		sigv4_encode(cr, path, strlen(path), 1, 0);
	} else {
		buf_puts(cr, path);
	}
	buf_putc(cr, '\n');
	sigv4_query(cr, &out->scratch, req->query, q_extra, n_q_extra);
	buf_putc(cr, '\n');
	buf_append(cr, out->scratch.data + w->hdr_off, w->hdr_len);
	buf_putc(cr, '\n');
	buf_append(cr, out->scratch.data + w->sh_off, w->sh_len);
	buf_putc(cr, '\n');
	buf_puts(cr, w->payload);

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
	sigv4_headers(&out->scratch, req, extra, n_extra, &w);
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

/* Appends an already-encoded presign parameter value to scratch and
 * records it as a query item. */
static void sigv4_qitem(struct buf *scratch, struct sigv4_item *it, const char *key, const char *val,
			int encode)
{
	it->k_off = scratch->len;
	buf_puts(scratch, key);
	it->k_len = scratch->len - it->k_off;
	it->v_off = scratch->len;
	if (encode)
		sigv4_encode(scratch, val, strlen(val), 0, 0);
	else
		buf_puts(scratch, val);
	it->v_len = scratch->len - it->v_off;
}

static void sigv4_put_item(struct buf *out, const struct buf *scratch, const struct sigv4_item *it)
{
	if (out->len)
		buf_putc(out, '&');
	buf_append(out, scratch->data + it->k_off, it->k_len);
	buf_putc(out, '=');
	buf_append(out, scratch->data + it->v_off, it->v_len);
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
	sigv4_headers(&out->scratch, req, NULL, 0, &w);

	credential = xasprintf("%s/%s", p->access_key, w.scope);
	signed_list = xstrndup(out->scratch.data + w.sh_off, w.sh_len);
	snprintf(expires, sizeof(expires), "%ld", p->expires);
	sigv4_qitem(&out->scratch, &q[ALG], "X-Amz-Algorithm", SIGV4_ALGORITHM, 0);
	sigv4_qitem(&out->scratch, &q[CRED], "X-Amz-Credential", credential, 1);
	sigv4_qitem(&out->scratch, &q[DATE], "X-Amz-Date", w.amz_date, 0);
	sigv4_qitem(&out->scratch, &q[SIGNED], "X-Amz-SignedHeaders", signed_list, 1);
	sigv4_qitem(&out->scratch, &q[EXPIRES], "X-Amz-Expires", expires, 0);
	if (has_token)
		sigv4_qitem(&out->scratch, &q[TOKEN], "X-Amz-Security-Token", p->token, 1);
	free(credential);
	free(signed_list);
	n_q = has_token && !p->omit_session_token ? N_ITEMS : TOKEN;
	if (sigv4_finish(req, p, &w, q, n_q, out, err) < 0)
		return -1;

	sigv4_put_item(&out->presigned_query, &out->scratch, &q[ALG]);
	sigv4_put_item(&out->presigned_query, &out->scratch, &q[CRED]);
	sigv4_put_item(&out->presigned_query, &out->scratch, &q[DATE]);
	sigv4_put_item(&out->presigned_query, &out->scratch, &q[SIGNED]);
	sigv4_put_item(&out->presigned_query, &out->scratch, &q[EXPIRES]);
	if (has_token)
		sigv4_put_item(&out->presigned_query, &out->scratch, &q[TOKEN]);
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
