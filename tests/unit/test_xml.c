/* Unit tests for xml.c: replies parse; hostile documents (entity
 * expansion, external entities, any DOCTYPE) are refused with a one-line
 * "BadReply" error, quickly and within bounded memory. The address space of
 * this process is capped first, so a parser that expands entities fails
 * here instead of eating the machine. */
#include "annex/xml.h"
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* 10 levels of 10 references: 10^9 "lol"s once expanded (3 GB of text). */
static const char laughs[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE lolz [\n"
	" <!ENTITY lol \"lol\">\n"
	" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	" <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	" <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	" <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	" <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	" <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	" <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	" <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	" <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	"]>\n"
	"<DescribeRegionsResponse><requestId>&lol9;</requestId></DescribeRegionsResponse>\n";

static void cap_memory(void)
{
	struct rlimit rl = { 1024L * 1024 * 1024, 1024L * 1024 * 1024 };

#ifndef ANNEX_TEST_ASAN    /* ASan's shadow memory already exceeds any such limit */
	setrlimit(RLIMIT_AS, &rl);
#else
	(void)rl;
#endif
}

/* What a caller does with a reply: parse it, then read a text. */
static int parse_and_read(const char *doc_text, struct annex_err *err, char **text)
{
	xmlDoc *doc;

	annex_err_clear(err);
	*text = NULL;
	doc = xml_parse(doc_text, strlen(doc_text), err);
	if (!doc)
		return -1;
	*text = xml_text(xmlDocGetRootElement(doc), "requestId");
	xmlFreeDoc(doc);
	return 0;
}

static void t_plain_reply(void)
{
	struct annex_err err;
	char *t;

	CHECK(parse_and_read("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			     "<R xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>a&amp;b&#x41;</requestId></R>",
			     &err, &t) == 0);
	CHECK_STR(t, "a&bA");
	free(t);
}

static void t_billion_laughs_refused(void)
{
	struct annex_err err;
	char *t = NULL;
	struct rusage before, after;

	cap_memory();
	getrusage(RUSAGE_SELF, &before);
	CHECK(parse_and_read(laughs, &err, &t) == -1);
	getrusage(RUSAGE_SELF, &after);
	CHECK_STR(err.code, "BadReply");
	CHECK(strstr(err.msg, "DOCTYPE") != NULL);
	CHECK(strchr(err.msg, '\n') == NULL);
	/* peak RSS grew by less than 16 MiB (ru_maxrss is in KiB) */
	CHECK(after.ru_maxrss - before.ru_maxrss < 16 * 1024 + ANNEX_TEST_RSS_SLACK_KIB);
	free(t);
}

static void t_external_entity_refused(void)
{
	struct annex_err err;
	char *t = NULL;

	CHECK(parse_and_read("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
			     "<R><requestId>&x;</requestId></R>", &err, &t) == -1);
	CHECK_STR(err.code, "BadReply");
	CHECK(t == NULL);
	free(t);
	CHECK(parse_and_read("<?xml version=\"1.0\"?><!DOCTYPE R SYSTEM \"http://127.0.0.1:1/x.dtd\">"
			     "<R><requestId>x</requestId></R>", &err, &t) == -1);
	CHECK_STR(err.code, "BadReply");
	free(t);
}

/* Even a harmless DOCTYPE: AWS never sends one. */
static void t_any_doctype_refused(void)
{
	struct annex_err err;
	char *t = NULL;

	CHECK(parse_and_read("<!DOCTYPE R><R><requestId>x</requestId></R>", &err, &t) == -1);
	CHECK_STR(err.code, "BadReply");
	CHECK(strstr(err.msg, "DOCTYPE") != NULL);
	free(t);
}

/* The same attack in UTF-16, where a byte scan for "<!DOCTYPE" sees nothing. */
static void t_utf16_doctype_refused(void)
{
	const char *src = "<!DOCTYPE R [<!ENTITY a \"aaaaaaaaaa\">]><R><requestId>&a;</requestId></R>";
	size_t n = strlen(src);
	char *w = calloc(2 * n + 2, 1);
	struct annex_err err;
	xmlDoc *doc;

	w[0] = (char)0xff;
	w[1] = (char)0xfe;
	for (size_t i = 0; i < n; i++)
		w[2 + 2 * i] = src[i];
	annex_err_clear(&err);
	doc = xml_parse(w, 2 * n + 2, &err);
	CHECK(doc == NULL);
	CHECK_STR(err.code, "BadReply");
	xmlFreeDoc(doc);
	free(w);
}

/* An undeclared entity is not XML. */
static void t_undeclared_entity(void)
{
	struct annex_err err;
	char *t = NULL;

	CHECK(parse_and_read("<R><requestId>&lol9;</requestId></R>", &err, &t) == -1);
	CHECK_STR(err.code, "BadReply");
	free(t);
}

/* libxml2's nesting limit is on (XML_PARSE_HUGE lifts it). */
static void t_deep_nesting_refused(void)
{
	struct buf b = { 0 };
	struct annex_err err;
	xmlDoc *doc;

	for (int i = 0; i < 5000; i++)
		buf_puts(&b, "<a>");
	for (int i = 0; i < 5000; i++)
		buf_puts(&b, "</a>");
	annex_err_clear(&err);
	doc = xml_parse(b.data, b.len, &err);
	CHECK(doc == NULL);
	CHECK_STR(err.code, "BadReply");
	xmlFreeDoc(doc);
	buf_free(&b);
}

TESTS(T(t_plain_reply), T(t_billion_laughs_refused), T(t_external_entity_refused),
      T(t_any_doctype_refused), T(t_utf16_doctype_refused), T(t_undeclared_entity),
      T(t_deep_nesting_refused))
