/* check_sigv4.c - runs a folder of SigV4 cases in aws-c-auth's layout
 * (../shared/sigv4-suite, tests/cases/sigv4) against src/sigv4.c.
 *
 *   check_sigv4 DIR
 *
 * Every subfolder of DIR holding a context.json is a case. The request in
 * request.txt is signed with the Authorization header and presigned, with
 * every parameter read from context.json, and each expected file present
 * (header-* and query-*: canonical request, string to sign, signature,
 * signed request) is compared byte for byte. A case with none of them
 * fails. Prints "PASS name" or "FAIL name: why" per case and ends with
 * "N passed, M failed" (N and M count cases). The contract is in
 * ../shared/sigv4-suite/README.md. Mismatches are reported by file, line
 * and byte offset only: the files hold signatures and tokens.
 */
#include "annex/buf.h"
#include "annex/err.h"
#include "annex/sigv4.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The request of request.txt, split as the contract says. */
struct case_request {
	struct buf file;          /* the whole file; the strings below point into copies */
	char *request_line;       /* first line as written */
	char *method, *target, *version;
	struct buf raw_headers;   /* header lines as written, each ending in '\n' */
	struct sigv4_header *headers;
	size_t n_headers;
	const char *body;
	size_t body_len;
};

/* The signing parameters of context.json. */
struct case_context {
	struct sigv4_params p;
	char *region, *service, *access_key, *secret_key, *token;
	int have_expiry;
};

static const char *const expected_files[8] = {
	"header-canonical-request.txt", "header-string-to-sign.txt",
	"header-signature.txt",         "header-signed-request.txt",
	"query-canonical-request.txt",  "query-string-to-sign.txt",
	"query-signature.txt",          "query-signed-request.txt",
};

/* Reads a whole file into b. Returns 0, or -1 with errno set. */
static int read_file(const char *path, struct buf *b)
{
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(b, chunk, n);
	if (ferror(f)) {
		fclose(f);
		errno = EIO;
		return -1;
	}
	fclose(f);
	buf_grow(b, 0);
	return 0;
}

static void request_free(struct case_request *r)
{
	for (size_t i = 0; i < r->n_headers; i++) {
		free((char *)r->headers[i].name);
		free((char *)r->headers[i].value);
	}
	free(r->headers);
	free(r->request_line);
	free(r->method);
	free(r->target);
	free(r->version);
	buf_free(&r->raw_headers);
	buf_free(&r->file);
}

/* Parses request.txt: the request line split at its first and last space,
 * Name:value header lines (a line starting with a space or tab continues
 * the previous header) up to the first empty line or the end, then the
 * body. */
static int request_parse(struct case_request *r, const char *path, struct annex_err *err)
{
	const char *s, *end, *nl, *sp1, *sp2;

	if (read_file(path, &r->file) < 0)
		return annex_err_set(err, "Case", "%s: %s", path, strerror(errno));
	s = r->file.data;
	end = s + r->file.len;
	nl = memchr(s, '\n', (size_t)(end - s));
	if (!nl)
		nl = end;
	r->request_line = xstrndup(s, (size_t)(nl - s));
	sp1 = strchr(r->request_line, ' ');
	sp2 = strrchr(r->request_line, ' ');
	if (!sp1 || sp1 == sp2)
		return annex_err_set(err, "Case", "%s: request line is not METHOD TARGET VERSION", path);
	r->method = xstrndup(r->request_line, (size_t)(sp1 - r->request_line));
	r->target = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	r->version = xstrdup(sp2 + 1);
	r->body = end;
	for (s = nl < end ? nl + 1 : end; s < end; s = nl + 1) {
		const char *colon;
		size_t len;

		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		len = (size_t)(nl - s);
		if (len == 0) {
			r->body = nl < end ? nl + 1 : end;
			break;
		}
		buf_append(&r->raw_headers, s, len);
		buf_putc(&r->raw_headers, '\n');
		if (*s == ' ' || *s == '\t') {
			struct sigv4_header *h;
			char *v;

			if (!r->n_headers)
				return annex_err_set(err, "Case", "%s: continuation line before any header", path);
			h = &r->headers[r->n_headers - 1];
			v = xasprintf("%s %.*s", h->value, (int)len, s);
			free((char *)h->value);
			h->value = v;
			if (nl == end)
				break;
			continue;
		}
		colon = memchr(s, ':', len);
		if (!colon)
			return annex_err_set(err, "Case", "%s: header line without ':'", path);
		r->headers = xrealloc(r->headers, (r->n_headers + 1) * sizeof(*r->headers));
		r->headers[r->n_headers].name = xstrndup(s, (size_t)(colon - s));
		r->headers[r->n_headers].value = xstrndup(colon + 1, len - (size_t)(colon + 1 - s));
		r->n_headers++;
		if (nl == end)
			break;
	}
	r->body_len = (size_t)(end - r->body);
	return 0;
}

static void context_free(struct case_context *c)
{
	free(c->region);
	free(c->service);
	free(c->access_key);
	secret_free(c->secret_key);
	secret_free(c->token);
}

static int ctx_str(json_object *o, const char *key, int required, char **out, const char *path,
		    struct annex_err *err)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
		if (required)
			return annex_err_set(err, "Case", "%s: no \"%s\"", path, key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return annex_err_set(err, "Case", "%s: \"%s\" is not a string", path, key);
	*out = xstrdup(json_object_get_string(v));
	return 0;
}

static int ctx_bool(json_object *o, const char *key, int dflt, int *out, const char *path,
		     struct annex_err *err)
{
	json_object *v;

	*out = dflt;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return annex_err_set(err, "Case", "%s: \"%s\" is not true or false", path, key);
	*out = json_object_get_boolean(v);
	return 0;
}

/* Parses an ISO 8601 UTC timestamp, 2015-08-30T12:36:00Z. */
static int parse_timestamp(const char *s, time_t *out)
{
	struct tm tm;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec, &n) != 6 || n == 0 || s[n] != 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = timegm(&tm);
	return *out == (time_t)-1 ? -1 : 0;
}

/* Reads every field of context.json into c->p. */
static int context_parse(struct case_context *c, const char *path, struct annex_err *err)
{
	json_object *root = json_object_from_file(path), *creds, *v;
	char *timestamp = NULL;
	int rc = -1;

	if (!root)
		return annex_err_set(err, "Case", "%s: not JSON (%s)", path, json_util_get_last_err());
	if (!json_object_object_get_ex(root, "credentials", &creds) ||
	    !json_object_is_type(creds, json_type_object)) {
		annex_err_set(err, "Case", "%s: no \"credentials\" object", path);
		goto out;
	}
	if (ctx_str(root, "region", 1, &c->region, path, err) < 0 ||
	    ctx_str(root, "service", 1, &c->service, path, err) < 0 ||
	    ctx_str(root, "timestamp", 1, &timestamp, path, err) < 0 ||
	    ctx_str(creds, "access_key_id", 1, &c->access_key, path, err) < 0 ||
	    ctx_str(creds, "secret_access_key", 1, &c->secret_key, path, err) < 0 ||
	    ctx_str(creds, "token", 0, &c->token, path, err) < 0 ||
	    ctx_bool(root, "normalize", 1, &c->p.normalize, path, err) < 0 ||
	    ctx_bool(root, "sign_body", 0, &c->p.sign_body, path, err) < 0 ||
	    ctx_bool(root, "omit_session_token", 0, &c->p.omit_session_token, path, err) < 0 ||
	    ctx_bool(root, "double_uri_encode", 1, &c->p.double_uri_encode, path, err) < 0)
		goto out;
	if (parse_timestamp(timestamp, &c->p.when) < 0) {
		annex_err_set(err, "Case", "%s: timestamp \"%s\" is not YYYY-MM-DDTHH:MM:SSZ", path, timestamp);
		goto out;
	}
	if (json_object_object_get_ex(root, "expiration_in_seconds", &v)) {
		if (!json_object_is_type(v, json_type_int)) {
			annex_err_set(err, "Case", "%s: \"expiration_in_seconds\" is not an integer", path);
			goto out;
		}
		c->p.expires = (long)json_object_get_int64(v);
		c->have_expiry = 1;
	}
	c->p.region = c->region;
	c->p.service = c->service;
	c->p.access_key = c->access_key;
	c->p.secret_key = c->secret_key;
	c->p.token = c->token;
	rc = 0;
out:
	free(timestamp);
	json_object_put(root);
	return rc;
}

/* Compares produced output with an expected file, naming the first
 * difference by line and byte offset (never its content). */
static int compare(const char *name, const struct buf *want, const char *got, size_t got_len,
		   struct buf *why)
{
	size_t i, line = 1;

	for (i = 0; i < want->len && i < got_len && want->data[i] == got[i]; i++)
		line += got[i] == '\n';
	if (i == want->len && i == got_len)
		return 0;
	if (why->len)
		buf_puts(why, "; ");
	buf_printf(why, "%s differs at line %zu, byte %zu (expected %zu bytes, got %zu)", name, line, i,
		   want->len, got_len);
	return -1;
}

static void signed_request_header(struct buf *out, const struct case_request *r, const struct sigv4_result *res)
{
	buf_printf(out, "%s\n", r->request_line);
	buf_append(out, r->raw_headers.data ? r->raw_headers.data : "", r->raw_headers.len);
	for (int i = 0; i < res->n_added; i++)
		buf_printf(out, "%s:%s\n", res->added[i].name, res->added[i].value);
	buf_putc(out, '\n');
	buf_append(out, r->body, r->body_len);
}

static void signed_request_query(struct buf *out, const struct case_request *r, const struct sigv4_result *res)
{
	const char *q = strchr(r->target, '?');
	const char *sep = !q ? "?" : q[1] ? "&" : "";

	buf_printf(out, "%s %s%s%s %s\n", r->method, r->target, sep, buf_cstr(&res->presigned_query), r->version);
	buf_append(out, r->raw_headers.data ? r->raw_headers.data : "", r->raw_headers.len);
	buf_putc(out, '\n');
	buf_append(out, r->body, r->body_len);
}

/* Runs one case folder. Returns 0 when every expected file present
 * matches; else -1 with the reason in why. */
static int run_case(const char *dir, struct buf *why)
{
	struct case_request r;
	struct case_context c;
	struct sigv4_request req;
	struct sigv4_result res[2];
	struct buf want[8], got = BUF_INIT, path = BUF_INIT;
	struct sigv4_cache cache;
	struct annex_err err;
	int present[8], n_present = 0, rc = -1, mismatch = 0;
	char *path_part = NULL;

	memset(&r, 0, sizeof(r));
	memset(&c, 0, sizeof(c));
	memset(res, 0, sizeof(res));
	memset(want, 0, sizeof(want));
	memset(&cache, 0, sizeof(cache));
	annex_err_clear(&err);
	for (int i = 0; i < 8; i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/%s", dir, expected_files[i]);
		present[i] = read_file(path.data, &want[i]) == 0;
		if (!present[i] && errno != ENOENT) {
			buf_printf(why, "%s: %s", path.data, strerror(errno));
			goto out;
		}
		n_present += present[i];
	}
	if (!n_present) {
		buf_puts(why, "none of the eight expected files is present");
		goto out;
	}
	buf_reset(&path);
	buf_printf(&path, "%s/context.json", dir);
	if (context_parse(&c, path.data, &err) < 0)
		goto fail_err;
	c.p.cache = &cache;     /* the presign then reuses the header signature's key */
	buf_reset(&path);
	buf_printf(&path, "%s/request.txt", dir);
	if (request_parse(&r, path.data, &err) < 0)
		goto fail_err;

	memset(&req, 0, sizeof(req));
	req.method = r.method;
	{
		const char *q = strchr(r.target, '?');

		path_part = xstrndup(r.target, q ? (size_t)(q - r.target) : strlen(r.target));
		req.query = q ? q + 1 : NULL;
	}
	req.path = path_part;
	req.headers = r.headers;
	req.n_headers = r.n_headers;
	req.body = r.body;
	req.body_len = r.body_len;

	if (present[0] || present[1] || present[2] || present[3]) {
		if (sigv4_sign_header(&req, &c.p, &res[0], &err) < 0)
			goto fail_err;
		buf_reset(&got);
		signed_request_header(&got, &r, &res[0]);
		if (present[0])
			mismatch |= compare(expected_files[0], &want[0], res[0].canonical_request.data,
					    res[0].canonical_request.len, why);
		if (present[1])
			mismatch |= compare(expected_files[1], &want[1], res[0].string_to_sign.data,
					    res[0].string_to_sign.len, why);
		if (present[2])
			mismatch |= compare(expected_files[2], &want[2], res[0].signature,
					    strlen(res[0].signature), why);
		if (present[3])
			mismatch |= compare(expected_files[3], &want[3], got.data, got.len, why);
	}
	if (present[4] || present[5] || present[6] || present[7]) {
		if (!c.have_expiry) {
			annex_err_set(&err, "Case", "context.json has no expiration_in_seconds for the query files");
			goto fail_err;
		}
		if (sigv4_presign(&req, &c.p, &res[1], &err) < 0)
			goto fail_err;
		buf_reset(&got);
		signed_request_query(&got, &r, &res[1]);
		if (present[4])
			mismatch |= compare(expected_files[4], &want[4], res[1].canonical_request.data,
					    res[1].canonical_request.len, why);
		if (present[5])
			mismatch |= compare(expected_files[5], &want[5], res[1].string_to_sign.data,
					    res[1].string_to_sign.len, why);
		if (present[6])
			mismatch |= compare(expected_files[6], &want[6], res[1].signature,
					    strlen(res[1].signature), why);
		if (present[7])
			mismatch |= compare(expected_files[7], &want[7], got.data, got.len, why);
	}
	rc = mismatch ? -1 : 0;
	goto out;
fail_err:
	buf_puts(why, err.msg);
out:
	for (int i = 0; i < 8; i++)
		buf_free(&want[i]);
	sigv4_result_free(&res[0]);
	sigv4_result_free(&res[1]);
	sigv4_cache_clear(&cache);
	got.secret = 1;
	buf_free(&got);
	buf_free(&path);
	free(path_part);
	request_free(&r);
	context_free(&c);
	return rc;
}

static int is_case(const char *dir, const char *name)
{
	struct stat st;
	char *p;
	int ok;

	if (name[0] == '.')
		return 0;
	p = xasprintf("%s/%s/context.json", dir, name);
	ok = stat(p, &st) == 0 && S_ISREG(st.st_mode);
	free(p);
	return ok;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	int pass = 0, fail = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: check_sigv4 DIR\n");
		return 2;
	}
	d = opendir(argv[1]);
	if (!d) {
		fprintf(stderr, "check_sigv4: %s: %s\n", argv[1], strerror(errno));
		printf("0 passed, 1 failed\n");
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!is_case(argv[1], e->d_name))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		struct buf why = BUF_INIT;
		char *dir = xasprintf("%s/%s", argv[1], names[i]);

		if (run_case(dir, &why) == 0) {
			pass++;
			printf("PASS %s\n", names[i]);
		} else {
			fail++;
			printf("FAIL %s: %s\n", names[i], buf_cstr(&why));
		}
		buf_free(&why);
		free(dir);
		free(names[i]);
	}
	free(names);
	if (n == 0) {
		/* an empty or mistyped case folder proves nothing: it fails */
		fprintf(stderr, "check_sigv4: no case folders (with a context.json) in %s\n", argv[1]);
		fail++;
	}
	printf("%d passed, %d failed\n", pass, fail);
	return fail || n == 0 ? 1 : 0;
}
