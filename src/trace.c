/* trace.c - redaction for the -debug trace (see include/annex/trace.h).
 *
 * Redaction works on the text itself rather than on the structures that
 * produced it, so nothing reaches the trace without passing the filter:
 * request lines, headers, form bodies, XML and JSON replies all go through
 * trace_redact. */
#include "annex/trace.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char *const trace_sensitive[] = {
	"Signature", "X-Amz-Signature", "X-Amz-Security-Token", "SecretAccessKey",
	"aws_secret_access_key", "SessionToken", "aws_session_token", "UserData",
	"KeyMaterial", "Password", "ZipFile", "Variables", "PrivateKey", "SecretKey",
	"Credential", NULL,
};

static int trace_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* Length of a sensitive name starting at text[i] on a name boundary, or 0. */
static size_t trace_match_name(const char *text, size_t len, size_t i)
{
	if (i > 0 && trace_name_char(text[i - 1]))
		return 0;
	for (size_t k = 0; trace_sensitive[k]; k++) {
		size_t n = strlen(trace_sensitive[k]);
		if (i + n <= len && strncasecmp(text + i, trace_sensitive[k], n) == 0 &&
		    (i + n == len || !trace_name_char(text[i + n])))
			return n;
	}
	return 0;
}

/* End of a JSON value starting at j (string, object, array or scalar). */
static size_t trace_json_value_end(const char *text, size_t len, size_t j)
{
	if (j < len && text[j] == '"') {
		for (j++; j < len; j++) {
			if (text[j] == '\\')
				j++;
			else if (text[j] == '"')
				return j + 1;
		}
		return len;
	}
	if (j < len && (text[j] == '{' || text[j] == '[')) {
		int depth = 0, in_str = 0;
		for (; j < len; j++) {
			char c = text[j];
			if (in_str) {
				if (c == '\\')
					j++;
				else if (c == '"')
					in_str = 0;
			} else if (c == '"') {
				in_str = 1;
			} else if (c == '{' || c == '[') {
				depth++;
			} else if (c == '}' || c == ']') {
				if (--depth == 0)
					return j + 1;
			}
		}
		return len;
	}
	while (j < len && text[j] != ',' && text[j] != '}' && text[j] != ']' && text[j] != '\n')
		j++;
	return j;
}

/* Given a sensitive name at [i, i+n), finds the value that belongs to it:
 * sets *vs and *ve to the span to blank and returns 1, or 0 when the name is
 * not followed by a value in any of the shapes we know. */
static int trace_value_span(const char *text, size_t len, size_t i, size_t n, size_t *vs, size_t *ve)
{
	size_t j = i + n;

	/* XML: <Name attr...>value</Name> */
	if (i > 0 && text[i - 1] == '<') {
		while (j < len && text[j] != '>')
			j++;
		if (j >= len || text[j - 1] == '/')
			return 0;
		*vs = ++j;
		while (j < len && text[j] != '<')
			j++;
		*ve = j;
		return 1;
	}
	/* JSON: "Name" : value */
	if (i > 0 && text[i - 1] == '"' && j < len && text[j] == '"') {
		j++;
		while (j < len && isspace((unsigned char)text[j]))
			j++;
		if (j >= len || text[j] != ':')
			return 0;
		j++;
		while (j < len && isspace((unsigned char)text[j]))
			j++;
		*vs = j;
		*ve = trace_json_value_end(text, len, j);
		return 1;
	}
	/* form / query / Authorization: Name=value (of Credential=KEYID/scope
	 * only the key id) */
	if (j < len && text[j] == '=') {
		int cred = n == 10 && strncasecmp(text + i, "Credential", n) == 0;
		*vs = ++j;
		while (j < len && text[j] != '&' && text[j] != ',' && !isspace((unsigned char)text[j]) &&
		       !(cred && text[j] == '/'))
			j++;
		*ve = j;
		return 1;
	}
	/* header: Name: value (to the end of the line) */
	if (j < len && text[j] == ':') {
		j++;
		while (j < len && text[j] == ' ')
			j++;
		*vs = j;
		while (j < len && text[j] != '\n' && text[j] != '\r')
			j++;
		*ve = j;
		return 1;
	}
	return 0;
}

/* The first pass: blank the values of sensitive names. */
static void trace_redact_names(struct buf *out, const char *text, size_t len)
{
	size_t i = 0, copied = 0;

	while (i < len) {
		size_t n = trace_match_name(text, len, i), vs, ve;
		if (n && trace_value_span(text, len, i, n, &vs, &ve)) {
			buf_append(out, text + copied, vs - copied);
			if (ve > vs)
				buf_puts(out, TRACE_REDACTED);
			copied = i = ve > vs ? ve : vs;
			continue;
		}
		i += n ? n : 1;
	}
	buf_append(out, text + copied, len - copied);
}

static void trace_pct_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			buf_putc(out, (char)c);
		} else {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		}
	}
}

/* Replaces every occurrence of needle in b by TRACE_REDACTED. */
static void trace_scrub(struct buf *b, const char *needle)
{
	size_t nl = strlen(needle);
	struct buf tmp;
	const char *p, *start, *hit;

	if (nl < 4 || !b->data || !strstr(b->data, needle))
		return;
	buf_init_secret(&tmp);
	start = b->data;
	p = start;
	while ((hit = strstr(p, needle))) {
		buf_append(&tmp, p, (size_t)(hit - p));
		buf_puts(&tmp, TRACE_REDACTED);
		p = hit + nl;
	}
	buf_puts(&tmp, p);
	buf_reset(b);
	buf_append(b, tmp.data, tmp.len);
	buf_free(&tmp);
}

void trace_redact(struct buf *out, const char *text, size_t len, const char *const *known, size_t n_known)
{
	struct buf tmp, enc;

	buf_init_secret(&tmp);
	trace_redact_names(&tmp, text, len);
	for (size_t k = 0; known && k < n_known; k++) {
		if (!known[k] || !*known[k])
			continue;
		trace_scrub(&tmp, known[k]);
		buf_init_secret(&enc);
		trace_pct_encode(&enc, known[k]);
		trace_scrub(&tmp, buf_cstr(&enc));
		buf_reset(&enc);
		for (const char *c = known[k]; *c; c++) {   /* JSON's "\/" spelling */
			if (*c == '/')
				buf_putc(&enc, '\\');
			buf_putc(&enc, *c);
		}
		trace_scrub(&tmp, buf_cstr(&enc));
		buf_free(&enc);
	}
	buf_append(out, buf_cstr(&tmp), tmp.len);
	buf_free(&tmp);
}

/* Whether len bytes read as text (no NUL, few control characters). */
static int trace_is_text(const char *text, size_t len)
{
	size_t ctl = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == 0)
			return 0;
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
			ctl++;
	}
	return ctl * 100 <= len;
}

void trace_write(FILE *f, const char *prefix, const char *text, size_t len, size_t max_len,
		 const char *const *known, size_t n_known)
{
	struct buf red, note = BUF_INIT;
	const char *p, *end;
	size_t show;

	if (!f)
		return;
	if (!trace_is_text(text, len)) {
		fprintf(f, "%s<%zu bytes, not text>\n", prefix, len);
		return;
	}
	/* redact the whole text first, so a cut never splits a secret */
	buf_init_secret(&red);
	trace_redact(&red, text, len, known, n_known);
	show = red.len;
	if (max_len && show > max_len) {
		show = max_len;
		buf_printf(&note, "%s<%zu more bytes not shown>\n", prefix, red.len - max_len);
	}
	p = buf_cstr(&red);
	end = p + show;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;
		size_t n = (size_t)((nl ? nl : end) - p);

		if (n && p[n - 1] == '\r')
			n--;
		fprintf(f, "%s%.*s\n", prefix, (int)n, p);
		p = next;
	}
	fputs(buf_cstr(&note), f);
	buf_free(&note);
	buf_free(&red);
	fflush(f);
}
