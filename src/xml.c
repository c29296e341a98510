/* xml.c - helpers over libxml2 (see include/annex/xml.h). */
#include "annex/xml.h"

#include <libxml/parser.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void xml_quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* AWS never sends a document type declaration; one in a reply is the
 * start of an entity-expansion ("billion laughs") or external-entity
 * attack. The SAX hook for a DOCTYPE stops the parser before its internal
 * subset (where entities are declared) is read. */
static void xml_refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *ext_id, const xmlChar *sys_id)
{
	xmlParserCtxtPtr pc = ctx;

	(void)name;
	(void)ext_id;
	(void)sys_id;
	*(int *)pc->_private = 1;
	xmlStopParser(pc);
}

/* No XML_PARSE_NOENT (entities are not substituted), no XML_PARSE_DTDLOAD
 * or DTDATTR (no DTD is fetched), XML_PARSE_NONET, and no XML_PARSE_HUGE:
 * libxml2's own limits (text node size, nesting depth, entity
 * amplification) stay on. */
#define XML_REPLY_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

static pthread_once_t xml_mem_once = PTHREAD_ONCE_INIT;

/* libxml2 allocates and frees through cleansing functions: a document of
 * DescribeSpotFleetRequests holds every fleet's user data (the pool
 * password), and its text nodes and input buffers are freed by libxml2. */
static void xml_mem_setup(void)
{
	(void)xmlMemSetup(secret_block_free, malloc, secret_block_realloc, secret_block_strdup);
}

xmlDoc *xml_parse(const char *data, size_t len, struct annex_err *err)
{
	xmlParserCtxtPtr pc;
	xmlDoc *doc;
	int saw_dtd = 0;

	pthread_once(&xml_mem_once, xml_mem_setup);
	xmlSetGenericErrorFunc(NULL, xml_quiet);
	if (len > (size_t)0x7fffffff) {
		annex_err_set(err, "BadReply", "XML reply too large (%zu bytes)", len);
		return NULL;
	}
	pc = xmlNewParserCtxt();
	if (!pc) {
		annex_err_set(err, "BadReply", "cannot create an XML parser");
		return NULL;
	}
	pc->_private = &saw_dtd;
	pc->sax->internalSubset = xml_refuse_dtd;
	pc->sax->externalSubset = xml_refuse_dtd;
	doc = xmlCtxtReadMemory(pc, data, (int)len, "reply.xml", NULL, XML_REPLY_OPTIONS);
	xmlFreeParserCtxt(pc);
	if (saw_dtd) {
		xmlFreeDoc(doc);
		annex_err_set(err, "BadReply", "reply carries a document type declaration (DOCTYPE), "
			      "which AWS never sends; refused unparsed (%zu bytes)", len);
		return NULL;
	}
	if (!doc || !xmlDocGetRootElement(doc)) {
		xmlFreeDoc(doc);
		annex_err_set(err, "BadReply", "reply is not XML (%zu bytes)", len);
		return NULL;
	}
	return doc;
}

int xml_is(const xmlNode *node, const char *name)
{
	return node && node->type == XML_ELEMENT_NODE &&
	       (!name || strcmp((const char *)node->name, name) == 0);
}

xmlNode *xml_first(xmlNode *parent, const char *name)
{
	if (!parent)
		return NULL;
	for (xmlNode *c = parent->children; c; c = c->next)
		if (xml_is(c, name))
			return c;
	return NULL;
}

xmlNode *xml_next(xmlNode *node, const char *name)
{
	if (!node)
		return NULL;
	for (xmlNode *c = node->next; c; c = c->next)
		if (xml_is(c, name))
			return c;
	return NULL;
}

xmlNode *xml_find(xmlNode *from, const char *path)
{
	char seg[256];
	const char *p = path;

	while (from && p && *p) {
		size_t n = strcspn(p, "/");
		if (n == 0 || n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = 0;
		from = xml_first(from, seg);
		p += n;
		if (*p == '/')
			p++;
	}
	return from;
}

xmlNode *xml_find_deep(xmlNode *from, const char *name)
{
	if (!from)
		return NULL;
	for (xmlNode *c = from->children; c; c = c->next) {
		xmlNode *hit;
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (xml_is(c, name))
			return c;
		if ((hit = xml_find_deep(c, name)))
			return hit;
	}
	return NULL;
}

char *xml_text(xmlNode *from, const char *path)
{
	xmlNode *n = xml_find(from, path);
	xmlChar *t;
	char *s;

	if (!n)
		return NULL;
	t = xmlNodeGetContent(n);
	s = xstrdup(t ? (const char *)t : "");
	xmlFree(t);
	return s;
}

int xml_text_buf(xmlNode *from, const char *path, char *out, size_t n)
{
	char *s = xml_text(from, path);

	if (!s) {
		if (n)
			out[0] = 0;
		return -1;
	}
	if (n) {
		size_t len = strlen(s);
		if (len >= n)
			len = n - 1;
		memcpy(out, s, len);
		out[len] = 0;
	}
	free(s);
	return 0;
}

void xml_escape(struct buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_puts(out, "&amp;"); break;
		case '<': buf_puts(out, "&lt;"); break;
		case '>': buf_puts(out, "&gt;"); break;
		case '"': buf_puts(out, "&quot;"); break;
		case '\'': buf_puts(out, "&apos;"); break;
		default: buf_putc(out, *s);
		}
	}
}
