/* fuzz_xml.c - libFuzzer target for the reply readers below every API
 * call: the XML reader (src/xml.c: parse, then walk the tree the way the
 * callers do) and the error decoder on top of it (src/aws_error.c: XML of
 * every AWS shape, JSON, headers). Input: one byte picking the HTTP
 * status, then, when a NUL follows somewhere, "Name: value" header lines
 * up to that NUL, then the body. Any crash, leak or undefined behaviour is
 * a bug, and so is an error message that is not one printable line.
 *
 * fuzz-sources: src/xml.c src/aws_error.c src/http.c src/buf.c src/err.c
 * fuzz-max-len: 8192
 */
#include "annex/aws.h"
#include "annex/xml.h"

#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long statuses[] = { 200, 301, 400, 401, 403, 404, 409, 429, 500, 503, 504, 418 };

/* The names the callers look for, and paths they read. */
static const char *const names[] = {
	"Error", "Errors", "Code", "Message", "RequestId", "RequestID", "item", "instanceId",
	"nextToken", "Marker", "IsTruncated", "tagSet", "key", "value", "member", NULL,
};
static const char *const paths[] = {
	"Errors/Error/Code", "Error/Message", "reservationSet/item/instancesSet/item/instanceId",
	"GetRoleResult/Role/Arn", "instanceState/name", "", "a//b", "/", NULL,
};

static void walk(xmlNode *n, int depth)
{
	char small[8];

	if (depth > 64)
		return;
	for (xmlNode *c = xml_first(n, NULL); c; c = xml_next(c, NULL)) {
		char *t = xml_text(c, NULL);
		if (!t)
			abort();
		free(t);
		(void)xml_text_buf(c, NULL, small, sizeof(small));
		if (strlen(small) >= sizeof(small))
			abort();
		walk(c, depth + 1);
	}
}

static void check_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response r;
	struct http_header hs[8];
	struct annex_err err;
	char *text, *line, *nul;
	size_t hlen = 0;
	long status;
	xmlDoc *doc;

	if (size < 1)
		return 0;
	status = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	memset(&r, 0, sizeof(r));
	r.status = status;
	r.headers = hs;
	nul = memchr(text, 0, size - 1);
	if (nul && nul < text + size - 1) {
		/* header lines before the first NUL */
		hlen = (size_t)(nul - text) + 1;
		for (line = text; line && *line && r.n_headers < 8;) {
			char *end = strchr(line, '\n'), *colon;
			if (end)
				*end = 0;
			colon = strchr(line, ':');
			if (colon) {
				*colon = 0;
				hs[r.n_headers].name = line;
				hs[r.n_headers++].value = colon + 1 + strspn(colon + 1, " ");
			}
			line = end ? end + 1 : NULL;
		}
	}
	buf_append(&r.body, text + hlen, size - 1 - hlen);

	annex_err_clear(&err);
	doc = xml_parse(r.body.data, r.body.len, &err);
	if (doc) {
		xmlNode *root = xmlDocGetRootElement(doc);
		for (size_t i = 0; names[i]; i++) {
			xmlNode *n = xml_find_deep(root, names[i]);
			(void)xml_is(n, names[i]);
		}
		for (size_t i = 0; paths[i]; i++) {
			char *t = xml_text(root, paths[i]);
			free(t);
		}
		free(xml_text(root, NULL));
		walk(root, 0);
		xmlFreeDoc(doc);
	} else if (!err.code[0]) {
		abort();    /* a refusal always says why */
	}

	annex_err_clear(&err);
	if (aws_error_decode(status, &r, &err) != -1 || !err.code[0] || !err.msg[0] ||
	    err.http_status != (int)status)
		abort();
	check_line(err.code);
	check_line(err.msg);
	(void)aws_error_is_throttle(err.code);

	{
		struct buf esc = BUF_INIT;
		xml_escape(&esc, text + hlen);
		buf_free(&esc);
	}
	buf_free(&r.body);
	free(text);
	return 0;
}
