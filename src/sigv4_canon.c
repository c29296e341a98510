/* sigv4_canon.c - the canonical request of AWS Signature Version 4 (see
 * include/annex/sigv4_canon.h): URI encoding, path normalisation, the
 * canonical header lines and signed-header list, the canonical query
 * string. Pure text work in the result's scratch buffer; the hashing and
 * signing are sigv4.c's. */
#include "annex/sigv4_canon.h"

#include <stdlib.h>
#include <string.h>

#define SIGV4_STACK_ITEMS 32

static const char sigv4_hex_upper[] = "0123456789ABCDEF";

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
void sigv4_canon_encode(struct buf *out, const char *s, size_t len, int keep_slash, int decode_first)
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
	sigv4_canon_encode(out, s, len, keep_slash, 0);
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

static struct sigv4_item *sigv4_items(size_t n, struct sigv4_item *stack)
{
	return n <= SIGV4_STACK_ITEMS ? stack : xmalloc(n * sizeof(struct sigv4_item));
}

/* Builds the canonical header lines and the signed header list of the
 * request's headers plus extra ones, into scratch: names lower-cased,
 * values trimmed, sorted by name with equal names joined by ',' in their
 * order of appearance. */
void sigv4_canon_headers(struct buf *scratch, const struct sigv4_request *req,
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
			sigv4_canon_encode(scratch, s, eq ? (size_t)(eq - s) : len, 0, 1);
			it[n].k_len = scratch->len - it[n].k_off;
			it[n].v_off = scratch->len;
			if (eq)
				sigv4_canon_encode(scratch, eq + 1, len - (size_t)(eq + 1 - s), 0, 1);
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

void sigv4_canon_request(struct buf *cr, struct buf *scratch, const struct sigv4_request *req,
			 const struct sigv4_params *p, const struct sigv4_work *w,
			 const struct sigv4_item *q_extra, size_t n_q_extra)
{
	const char *path = req->path && *req->path ? req->path : "/";

	buf_puts(cr, req->method);
	buf_putc(cr, '\n');
	if (p->normalize) {
		size_t off = scratch->len;

		sigv4_normalize_path(scratch, path);
		if (p->double_uri_encode)
			sigv4_canon_encode(cr, scratch->data + off, scratch->len - off, 1, 0);
		else
			buf_append(cr, scratch->data + off, scratch->len - off);
	} else if (p->double_uri_encode) {
		sigv4_canon_encode(cr, path, strlen(path), 1, 0);
	} else {
		buf_puts(cr, path);
	}
	buf_putc(cr, '\n');
	sigv4_query(cr, scratch, req->query, q_extra, n_q_extra);
	buf_putc(cr, '\n');
	buf_append(cr, scratch->data + w->hdr_off, w->hdr_len);
	buf_putc(cr, '\n');
	buf_append(cr, scratch->data + w->sh_off, w->sh_len);
	buf_putc(cr, '\n');
	buf_puts(cr, w->payload);
}

/* Appends an already-encoded presign parameter value to scratch and
 * records it as a query item. */
void sigv4_canon_qitem(struct buf *scratch, struct sigv4_item *it, const char *key, const char *val,
		       int encode)
{
	it->k_off = scratch->len;
	buf_puts(scratch, key);
	it->k_len = scratch->len - it->k_off;
	it->v_off = scratch->len;
	if (encode)
		sigv4_canon_encode(scratch, val, strlen(val), 0, 0);
	else
		buf_puts(scratch, val);
	it->v_len = scratch->len - it->v_off;
}

void sigv4_canon_put_item(struct buf *out, const struct buf *scratch, const struct sigv4_item *it)
{
	if (out->len)
		buf_putc(out, '&');
	buf_append(out, scratch->data + it->k_off, it->k_len);
	buf_putc(out, '=');
	buf_append(out, scratch->data + it->v_off, it->v_len);
}
