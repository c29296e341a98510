/* consoleout.c - EC2 GetConsoleOutput and the printable tail of it, see
 * include/annex/consoleout.h. */
#include "annex/consoleout.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"
#include "annex/params.h"
#include "annex/xml.h"

#define LINE_MAX_BYTES 200

int consoleout_fetch(struct aws_ctx *ctx, const char *instance_id, char **text, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	char *b64, *out;
	size_t n = 0, len;
	int w;

	*text = NULL;
	params_add(&p, "InstanceId", instance_id);
	if (aws_query(ctx, AWS_EC2, "GetConsoleOutput", &p, &doc, err) != 0) {
		params_free(&p);
		return -1;
	}
	params_free(&p);
	b64 = xml_text(xmlDocGetRootElement(doc), "output");
	xmlFreeDoc(doc);
	/* base64 without line breaks (EC2's form); anything else is dropped */
	len = b64 ? strlen(b64) : 0;
	for (size_t i = 0; i < len; i++)
		if (b64[i] != '\n' && b64[i] != '\r' && b64[i] != ' ')
			b64[n++] = b64[i];
	n -= n % 4;
	out = xmalloc(n / 4 * 3 + 1);
	w = n ? EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)b64, (int)n) : 0;
	if (w < 0)
		w = 0;
	/* EVP_DecodeBlock counts the padding as zero bytes */
	if (w > 0 && n >= 2 && b64[n - 1] == '=')
		w -= 1 + (b64[n - 2] == '=');
	out[w] = 0;
	free(b64);
	*text = out;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t k;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return k;
}

/* Appends the line [s, e) made printable. */
static void put_line(struct buf *out, const char *s, const char *e)
{
	size_t kept = 0;
	if (out->len)
		buf_putc(out, '\n');
	while (s < e) {
		unsigned char c = (unsigned char)*s;
		size_t k = utf8_len((const unsigned char *)s, (size_t)(e - s));
		if (kept >= LINE_MAX_BYTES) {
			buf_puts(out, "...");
			return;
		}
		if (k == 1 && (c < 0x20 || c == 0x7f) && c != '\t') {
			buf_putc(out, '?');
			s++;
		} else if (k == 0) {
			buf_putc(out, '?');
			s++;
		} else {
			buf_append(out, s, k);
			s += k;
		}
		kept++;
	}
}

char *consoleout_tail(const char *text, size_t max_lines)
{
	const char *starts[CONSOLEOUT_TAIL_LINES > 64 ? CONSOLEOUT_TAIL_LINES : 64];
	const char *ends[sizeof starts / sizeof starts[0]];
	size_t n = 0, cap = sizeof starts / sizeof starts[0], first;
	struct buf out = BUF_INIT;
	const char *s = text;

	if (!text || !max_lines)
		return NULL;
	if (max_lines > cap)
		max_lines = cap;
	/* a ring of the last max_lines non-empty lines */
	while (*s) {
		const char *e = s + strcspn(s, "\r\n");
		int blank = 1;
		for (const char *q = s; q < e; q++)
			if (*q != ' ' && *q != '\t')
				blank = 0;
		if (!blank) {
			starts[n % max_lines] = s;
			ends[n % max_lines] = e;
			n++;
		}
		s = *e ? e + 1 : e;
	}
	if (!n)
		return NULL;
	first = n > max_lines ? n - max_lines : 0;
	for (size_t i = first; i < n; i++)
		put_line(&out, starts[i % max_lines], ends[i % max_lines]);
	return buf_steal(&out);
}
