/* test_secret_heap.c - no copy of a secret stays in freed memory after a
 * reply that carried it was parsed and freed. A marker (built at run time,
 * so it is never in the program image) travels through the transport (an
 * in-process server sends it as a reply body) and through the XML reader;
 * after everything is freed and the test's own copies are wiped, every
 * writable anonymous mapping of the process (the heap, malloc's arenas) is
 * read through /proc/self/mem and must not hold the marker. Without
 * cleansing allocators libcurl's download buffer, the reply body and
 * libxml2's text nodes and input buffer keep it. */
#include "annex/buf.h"
#include "annex/http.h"
#include "annex/xml.h"
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MARK_LEN 48
/* Before the marker in every document: free() writes its list pointers
 * over a freed block's first bytes, which would hide a copy at its start. */
#define PAD "cG9vbCBwYXNzd29yZCBwYWRkaW5nIGJlZm9yZSB0aGUgbWFya2Vy"

static char mark_[MARK_LEN + 1];    /* in .bss: not an anonymous mapping's heap */

static void make_mark(const char *tag)
{
	/* "PoolPw-<tag>-" then a run-time pattern, so no literal holds it whole */
	int n = snprintf(mark_, sizeof(mark_), "PoolPw-%s-", tag);
	for (int i = n; i < MARK_LEN; i++)
		mark_[i] = (char)('a' + (i * 7 + (int)getpid()) % 26);
	mark_[MARK_LEN] = 0;
}

/* How many copies of the marker the writable anonymous mappings hold. */
static int heap_copies(void)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	int mem = open("/proc/self/mem", O_RDONLY);
	char line[512], *chunk = malloc(1 << 20);
	int found = 0;

	while (maps && mem >= 0 && chunk && fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		char perms[8], path[256] = "";
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &lo, &hi, perms, path) < 3)
			continue;
		if (perms[0] != 'r' || perms[1] != 'w' || (path[0] && strcmp(path, "[heap]") != 0))
			continue;
		if (hi - lo > (1UL << 30))
			continue;           /* a sanitizer's shadow, not a heap */
		for (unsigned long a = lo; a < hi; a += (1 << 20) - MARK_LEN) {
			size_t want = hi - a < (1 << 20) ? hi - a : (1 << 20);
			ssize_t got = pread(mem, chunk, want, (off_t)a);
			if (got <= 0)
				break;
			for (char *p = chunk; (p = memmem(p, (size_t)got - (size_t)(p - chunk), mark_, MARK_LEN)); p++)
				if ((unsigned long)(a + (unsigned long)(p - chunk)) != (unsigned long)mark_)
					found++;
		}
	}
	if (chunk) {
		OPENSSL_cleanse(chunk, 1 << 20);
		free(chunk);
	}
	if (mem >= 0)
		close(mem);
	if (maps)
		fclose(maps);
	return found;
}

struct server {
	int fd, port;
	pthread_t thread;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	char req[4096], reply[512];
	int c = accept(s->fd, NULL, NULL), n;

	if (c < 0)
		return NULL;
	(void)recv(c, req, sizeof(req), 0);
	n = snprintf(reply, sizeof(reply), "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n<R><userData>%s%s</userData></R>",
		     strlen("<R><userData></userData></R>") + strlen(PAD) + MARK_LEN, PAD, mark_);
	(void)send(c, reply, (size_t)n, MSG_NOSIGNAL);
	close(c);
	OPENSSL_cleanse(reply, sizeof(reply));   /* this thread's stack may stay mapped */
	return NULL;
}

static void t_reply_and_document_cleansed(void)
{
	struct server s;
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);
	struct http_opts o = { .connect_timeout_ms = 2000, .timeout_ms = 5000 };
	struct http_request req = { 0 };
	struct http_response resp;
	struct http_client *c;
	struct annex_err err;
	xmlDoc *doc;
	char url[64], *ud;

	make_mark("http");
	s.fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(s.fd >= 0 && bind(s.fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(s.fd, 1) == 0 &&
	      getsockname(s.fd, (struct sockaddr *)&a, &alen) == 0);
	s.port = ntohs(a.sin_port);
	CHECK(pthread_create(&s.thread, NULL, serve, &s) == 0);
	annex_err_clear(&err);
	c = http_client_new(&o, &err);
	CHECK(c != NULL);
	if (!c)
		return;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	req.method = "GET";
	req.url = url;
	CHECK(http_perform(c, &req, &resp, &err) == 0);
	pthread_join(s.thread, NULL);
	close(s.fd);
	doc = xml_parse(resp.body.data, resp.body.len, &err);
	CHECK(doc != NULL);
	ud = xml_text(xmlDocGetRootElement(doc), "userData");
	CHECK(ud && strcmp(ud + strlen(PAD), mark_) == 0);
	if (getenv("SCAN_DEBUG"))
		fprintf(stderr, "before free: %d\n", heap_copies());
	secret_free(ud);
	xmlFreeDoc(doc);
	http_response_free(&resp);
	http_client_free(c);
	CHECK_INT(heap_copies(), 0);
}

/* A document parsed from the test's own buffer (wiped before the scan). */
static void t_document_alone_cleansed(void)
{
	struct buf in;
	struct annex_err err;
	xmlDoc *doc;
	char *ud;

	make_mark("xml");
	buf_init_secret(&in);
	buf_printf(&in, "<DescribeSpotFleetRequestsResponse><spotFleetRequestConfigSet><item><userData>%s%s</userData>"
		   "</item></spotFleetRequestConfigSet></DescribeSpotFleetRequestsResponse>", PAD, mark_);
	annex_err_clear(&err);
	doc = xml_parse(in.data, in.len, &err);
	CHECK(doc != NULL);
	ud = xml_text(xmlDocGetRootElement(doc), "spotFleetRequestConfigSet/item/userData");
	CHECK(ud && strcmp(ud + strlen(PAD), mark_) == 0);
	secret_free(ud);
	xmlFreeDoc(doc);
	buf_free(&in);
	CHECK_INT(heap_copies(), 0);
}

/* The scan itself finds a copy left in freed memory. */
static void t_scan_works(void)
{
	char *p = malloc(4096);
	volatile int n;

	make_mark("scan");
	memcpy(p, mark_, MARK_LEN);
	n = heap_copies();
	CHECK(n >= 1);
	OPENSSL_cleanse(p, 4096);
	free(p);
	CHECK_INT(heap_copies(), 0);
}

TESTS(T(t_scan_works), T(t_reply_and_document_cleansed), T(t_document_alone_cleansed))
