/* Unit tests for sigv4.c: the derived-key cache, secrets kept out of every
 * output, URI encoding and canonical-form edge cases, result reuse and
 * errors. The official vectors run in tests/cases/check_sigv4.c. */
#include "annex/sigv4.h"
#include "harness.h"

#include <stdlib.h>

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN "FQoGZXIvYXdzEXAMPLEtoken/with+chars=="
#define T_20150830 ((time_t)1440938160)     /* 2015-08-30T12:36:00Z */

static const struct sigv4_header host_only[] = { { "Host", "example.amazonaws.com" } };

static struct sigv4_request vanilla(void)
{
	struct sigv4_request r = { .method = "GET", .path = "/", .headers = host_only, .n_headers = 1 };
	return r;
}

static struct sigv4_params params(void)
{
	struct sigv4_params p = {
		.region = "us-east-1", .service = "service", .when = T_20150830,
		.access_key = "AKIDEXAMPLE", .secret_key = SECRET,
		.normalize = 1, .double_uri_encode = 1, .expires = 3600,
	};
	return p;
}

static const char *added(const struct sigv4_result *r, const char *name)
{
	for (int i = 0; i < r->n_added; i++)
		if (strcmp(r->added[i].name, name) == 0)
			return r->added[i].value;
	return NULL;
}

/* The line-th line (0-based) of s, in a static buffer. */
static const char *line_of(const char *s, int line)
{
	static char out[1024];
	const char *e;

	while (line-- > 0 && s && (s = strchr(s, '\n')))
		s++;
	if (!s)
		return "(none)";
	e = strchr(s, '\n');
	snprintf(out, sizeof(out), "%.*s", e ? (int)(e - s) : (int)strlen(s), s);
	return out;
}

static const char *encoded(const char *s, size_t len, int keep_slash)
{
	static struct buf b;

	buf_free(&b);
	sigv4_uri_encode(&b, s, len, keep_slash);
	return buf_cstr(&b);
}

static void t_uri_encode_edges(void)
{
	CHECK_STR(encoded("", 0, 0), "");
	CHECK_STR(encoded("-._~AZaz09", 10, 0), "-._~AZaz09");
	CHECK_STR(encoded("a/b", 3, 1), "a/b");
	CHECK_STR(encoded("a/b", 3, 0), "a%2Fb");
	CHECK_STR(encoded("a b+c*d", 7, 0), "a%20b%2Bc%2Ad");
	CHECK_STR(encoded("%3A", 3, 1), "%253A");
	CHECK_STR(encoded("\xe1\x88\xb4", 3, 0), "%E1%88%B4");
	CHECK_STR(encoded("\xff\x01", 2, 0), "%FF%01");
	CHECK_STR(encoded("a\0b", 3, 0), "a%00b");
	CHECK_STR(encoded("=&;,", 4, 0), "%3D%26%3B%2C");
	CHECK_STR(encoded("abc", 2, 0), "ab");
}

/* The official get-vanilla vector (also reproduced with raw OpenSSL). */
static void t_vanilla_vector(void)
{
	struct sigv4_request req = vanilla();
	struct sigv4_params p = params();
	struct sigv4_result r = { 0 };
	struct annex_err err;

	CHECK_INT(sigv4_sign_header(&req, &p, &r, &err), 0);
	CHECK_STR(r.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	CHECK_INT(r.n_added, 2);
	CHECK_STR(r.added[0].name, "X-Amz-Date");
	CHECK_STR(r.added[0].value, "20150830T123600Z");
	CHECK_STR(r.added[1].name, "Authorization");
	sigv4_result_free(&r);
	sigv4_result_free(&r);
}

static void t_cache_hits_and_misses(void)
{
	struct sigv4_request req = vanilla();
	struct sigv4_params p = params();
	struct sigv4_cache c = { 0 };
	struct sigv4_result r = { 0 }, plain = { 0 };
	struct annex_err err;
	char first[65];

	p.cache = &c;
	CHECK_INT(sigv4_sign_header(&req, &p, &r, &err), 0);
	CHECK_INT(c.misses, 1);
	CHECK_INT(c.hits, 0);
	CHECK_INT(c.valid, 1);
	memcpy(first, r.signature, sizeof(first));

	/* same day, region and service, a later time: the key is reused */
	CHECK_INT(sigv4_sign_header(&req, &p, &r, &err), 0);
	CHECK_INT(c.misses, 1);
	CHECK_INT(c.hits, 1);
	CHECK_STR(r.signature, first);
	p.when += 3600;
	CHECK_INT(sigv4_sign_header(&req, &p, &r, &err), 0);
	CHECK_INT(c.hits, 2);
	CHECK_INT(c.misses, 1);
	/* and the cached key signs exactly as a fresh derivation does */
	p.cache = NULL;
	CHECK_INT(sigv4_sign_header(&req, &p, &plain, &err), 0);
	CHECK_STR(r.signature, plain.signature);
	p.cache = &c;

	/* a new date is a miss */
	p.when += 86400;
	CHECK_INT(sigv4_sign_header(&req, &p, &r, &err), 0);
	CHECK_INT(c.misses, 2);
	CHECK_STR(c.date, "20150831");
	/* so is a new region, service or access key */
	p.region = "eu-west-1";
	CHECK_INT(sigv4_sign_header(&req, &p, &r, &err), 0);
	p.service = "ec2";
	CHECK_INT(sigv4_sign_header(&req, &p, &r, &err), 0);
	p.access_key = "AKIDOTHER";
	CHECK_INT(sigv4_sign_header(&req, &p, &r, &err), 0);
	CHECK_INT(c.misses, 5);
	CHECK_INT(c.hits, 2);
	/* presigning shares the cache */
	CHECK_INT(sigv4_presign(&req, &p, &r, &err), 0);
	CHECK_INT(c.hits, 3);

	sigv4_cache_clear(&c);
	CHECK_INT(c.valid, 0);
	CHECK(c.mac == NULL);
	for (size_t i = 0; i < sizeof(c.key); i++)
		CHECK(c.key[i] == 0);
	sigv4_cache_clear(&c);
	sigv4_cache_clear(NULL);
	sigv4_result_free(&r);
	sigv4_result_free(&plain);
}

/* The secret key appears in no output, in either variant, nor in an error;
 * the token appears only where it must. */
static void t_secret_never_in_output(void)
{
	struct sigv4_request req = vanilla();
	struct sigv4_params p = params();
	struct sigv4_result r = { 0 };
	struct annex_err err;

	p.token = TOKEN;
	CHECK_INT(sigv4_sign_header(&req, &p, &r, &err), 0);
	CHECK(added(&r, "Authorization") != NULL);
	CHECK(strstr(added(&r, "Authorization"), SECRET) == NULL);
	CHECK(strstr(added(&r, "Authorization"), TOKEN) == NULL);
	CHECK(strstr(added(&r, "Authorization"), "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ") != NULL);
	CHECK_STR(added(&r, "X-Amz-Security-Token"), TOKEN);
	for (int i = 0; i < r.n_added; i++)
		CHECK(strstr(r.added[i].value, SECRET) == NULL);
	CHECK(strstr(buf_cstr(&r.canonical_request), SECRET) == NULL);
	CHECK(strstr(buf_cstr(&r.string_to_sign), SECRET) == NULL);

	CHECK_INT(sigv4_presign(&req, &p, &r, &err), 0);
	CHECK_INT(r.n_added, 0);
	CHECK(strstr(buf_cstr(&r.presigned_query), SECRET) == NULL);
	CHECK(strstr(buf_cstr(&r.canonical_request), SECRET) == NULL);

	req.n_headers = 0;
	CHECK_INT(sigv4_sign_header(&req, &p, &r, &err), -1);
	CHECK_STR(err.code, "Signing");
	CHECK(strstr(err.msg, "Host") != NULL);
	CHECK(strstr(err.msg, SECRET) == NULL);
	sigv4_result_free(&r);
}

/* Header order and what is signed, with a token, omit_session_token and
 * sign_body. */
static void t_added_headers(void)
{
	struct sigv4_request req = vanilla();
	struct sigv4_params p = params();
	struct sigv4_result r = { 0 };
	struct annex_err err;

	req.body = "x";
	req.body_len = 1;
	p.token = TOKEN;
	p.sign_body = 1;
	CHECK_INT(sigv4_sign_header(&req, &p, &r, &err), 0);
	CHECK_INT(r.n_added, 4);
	CHECK_STR(r.added[0].name, "X-Amz-Security-Token");
	CHECK_STR(r.added[1].name, "X-Amz-Date");
	CHECK_STR(r.added[2].name, "x-amz-content-sha256");
	CHECK_STR(r.added[2].value, "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
	CHECK_STR(r.added[3].name, "Authorization");
	CHECK(strstr(r.added[3].value, "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,") != NULL);

	p.omit_session_token = 1;
	p.sign_body = 0;
	CHECK_INT(sigv4_sign_header(&req, &p, &r, &err), 0);
	CHECK_INT(r.n_added, 3);
	CHECK_STR(r.added[0].name, "X-Amz-Security-Token");
	CHECK_STR(r.added[2].name, "Authorization");
	CHECK(r.added[3].value == NULL);
	CHECK(strstr(r.added[2].value, "SignedHeaders=host;x-amz-date,") != NULL);
	CHECK(strstr(buf_cstr(&r.canonical_request), TOKEN) == NULL);

	/* a precomputed payload hash is used as given */
	req.payload_hash = "UNSIGNED-PAYLOAD";
	CHECK_STR(line_of(buf_cstr(&r.canonical_request), 7), "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
	CHECK_INT(sigv4_sign_header(&req, &p, &r, &err), 0);
	CHECK_STR(line_of(buf_cstr(&r.canonical_request), 7), "UNSIGNED-PAYLOAD");
	sigv4_result_free(&r);
}

static const char *canonical_line(const char *path, const char *query, int normalize, int dbl, int line)
{
	static struct sigv4_result r;
	static struct annex_err err;
	struct sigv4_request req = vanilla();
	struct sigv4_params p = params();

	req.path = path;
	req.query = query;
	p.normalize = normalize;
	p.double_uri_encode = dbl;
	if (sigv4_sign_header(&req, &p, &r, &err) < 0)
		return err.msg;
	return line_of(buf_cstr(&r.canonical_request), line);
}

static void t_canonical_uri(void)
{
	CHECK_STR(canonical_line(NULL, NULL, 1, 1, 1), "/");
	CHECK_STR(canonical_line("", NULL, 1, 1, 1), "/");
	CHECK_STR(canonical_line("/a/b/../../..", NULL, 1, 1, 1), "/");
	CHECK_STR(canonical_line("/a/./b/", NULL, 1, 1, 1), "/a/b/");
	CHECK_STR(canonical_line("/a/./b/", NULL, 0, 1, 1), "/a/./b/");
	CHECK_STR(canonical_line("/a//b/..", NULL, 1, 1, 1), "/a");
	CHECK_STR(canonical_line("/k%3Ay z", NULL, 1, 1, 1), "/k%253Ay%20z");
	CHECK_STR(canonical_line("/k%3Ay", NULL, 0, 0, 1), "/k%3Ay");
	CHECK_STR(canonical_line("/..foo/.bar", NULL, 1, 1, 1), "/..foo/.bar");
}

static void t_canonical_query(void)
{
	CHECK_STR(canonical_line("/", "", 1, 1, 2), "");
	CHECK_STR(canonical_line("/", "b=2&a=2&a=1", 1, 1, 2), "a=1&a=2&b=2");
	CHECK_STR(canonical_line("/", "&&k&x=&", 1, 1, 2), "k=&x=");
	CHECK_STR(canonical_line("/", "p=%2f%7e&q=a b+c", 1, 1, 2), "p=%2F~&q=a%20b%2Bc");
	CHECK_STR(canonical_line("/", "bad=%zz%4", 1, 1, 2), "bad=%25zz%254");
	CHECK_STR(canonical_line("/", "a=1=2", 1, 1, 2), "a=1%3D2");
	/* sorted by encoded key: "%E1..." < "A" < "a" */
	CHECK_STR(canonical_line("/", "a=1&A=2&\xe1\x88\xb4=3", 1, 1, 2), "%E1%88%B4=3&A=2&a=1");
}

/* Names lower-cased and sorted; values trimmed and collapsed; duplicates
 * joined in order. */
static void t_canonical_headers(void)
{
	const struct sigv4_header h[] = {
		{ "X-B", "  two\t  words  " }, { "Host", "h" }, { "x-a", "1" }, { "X-A", "0" }, { "x-c", "" },
	};
	struct sigv4_request req = vanilla();
	struct sigv4_params p = params();
	struct sigv4_result r = { 0 };
	struct annex_err err;

	req.headers = h;
	req.n_headers = 5;
	CHECK_INT(sigv4_sign_header(&req, &p, &r, &err), 0);
	CHECK_STR(line_of(buf_cstr(&r.canonical_request), 3), "host:h");
	CHECK_STR(line_of(buf_cstr(&r.canonical_request), 4), "x-a:1,0");
	CHECK_STR(line_of(buf_cstr(&r.canonical_request), 5), "x-amz-date:20150830T123600Z");
	CHECK_STR(line_of(buf_cstr(&r.canonical_request), 6), "x-b:two words");
	CHECK_STR(line_of(buf_cstr(&r.canonical_request), 7), "x-c:");
	CHECK_STR(line_of(buf_cstr(&r.canonical_request), 9), "host;x-a;x-amz-date;x-b;x-c");
	sigv4_result_free(&r);
}

/* Presigned parameters in the suite's order, the token in the signed query
 * even when omit_session_token leaves it out of the canonical one. */
static void t_presign_order(void)
{
	struct sigv4_request req = vanilla();
	struct sigv4_params p = params();
	struct sigv4_result r = { 0 };
	struct annex_err err;
	const char *q, *want = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request"
		"&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Security-Token=a%2Fb"
		"&X-Amz-Signature=";

	p.token = "a/b";
	p.omit_session_token = 1;
	CHECK_INT(sigv4_presign(&req, &p, &r, &err), 0);
	q = buf_cstr(&r.presigned_query);
	CHECK(strncmp(q, want, strlen(want)) == 0);
	CHECK_STR(q + strlen(want), r.signature);
	CHECK(strstr(buf_cstr(&r.canonical_request), "Security-Token") == NULL);
	p.omit_session_token = 0;
	CHECK_INT(sigv4_presign(&req, &p, &r, &err), 0);
	CHECK(strstr(line_of(buf_cstr(&r.canonical_request), 2), "&X-Amz-Security-Token=a%2Fb&") != NULL);
	p.expires = 0;
	CHECK_INT(sigv4_presign(&req, &p, &r, &err), -1);
	sigv4_result_free(&r);
}

/* A result reused for another request gives what a fresh one gives. */
static void t_result_reuse(void)
{
	struct sigv4_request a = vanilla(), b = vanilla();
	struct sigv4_params p = params();
	struct sigv4_result reused = { 0 }, fresh = { 0 };
	struct annex_err err;

	b.path = "/some/longer/path/than/before";
	b.query = "x=1&y=2";
	p.token = TOKEN;
	CHECK_INT(sigv4_sign_header(&a, &p, &reused, &err), 0);
	p.token = NULL;
	CHECK_INT(sigv4_sign_header(&b, &p, &reused, &err), 0);
	CHECK_INT(sigv4_sign_header(&b, &p, &fresh, &err), 0);
	CHECK_STR(buf_cstr(&reused.canonical_request), buf_cstr(&fresh.canonical_request));
	CHECK_STR(reused.signature, fresh.signature);
	CHECK_INT(reused.n_added, 2);
	CHECK_STR(reused.added[1].value, fresh.added[1].value);
	sigv4_result_free(&reused);
	sigv4_result_free(&fresh);
}

static void t_errors(void)
{
	struct sigv4_request req = vanilla();
	struct sigv4_params p = params();
	struct sigv4_result r = { 0 };
	struct annex_err err;

	p.secret_key = NULL;
	CHECK_INT(sigv4_sign_header(&req, &p, &r, &err), -1);
	CHECK_STR(err.code, "Signing");
	p = params();
	p.region = "";
	CHECK_INT(sigv4_presign(&req, &p, &r, &err), -1);
	p = params();
	req.method = NULL;
	CHECK_INT(sigv4_sign_header(&req, &p, &r, &err), -1);
	sigv4_result_free(&r);
}

static void t_sha256_hex(void)
{
	char h[65];

	sigv4_sha256_hex("", 0, h);
	CHECK_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sigv4_sha256_hex("abc", 3, h);
	CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TESTS(T(t_uri_encode_edges), T(t_vanilla_vector), T(t_cache_hits_and_misses), T(t_secret_never_in_output),
      T(t_added_headers), T(t_canonical_uri), T(t_canonical_query), T(t_canonical_headers),
      T(t_presign_order), T(t_result_reuse), T(t_errors), T(t_sha256_hex))
