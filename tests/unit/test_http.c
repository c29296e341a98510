/* Unit tests for http.c: what the transport leaves in freed memory
 * (libcurl's allocator is replaced before the client exists, so every
 * block libcurl frees, its copies of the request headers among them, is
 * searched for the secrets the request carried), and the caps on a reply:
 * an in-process server sends an endless body, a huge announced
 * Content-Length and endless headers. The address space is capped so a
 * transport without caps fails here instead of eating the machine. */
#include "annex/http.h"
#include "harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TOKEN "IQoJb3JpZ2luX2VjEXAMPLETOKENwEaCXVzLWVhc3QtMSJH"
#define SIG "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"

static int freed_secrets;

static void count_secret_free(void *p)
{
	if (p) {
		size_t n = malloc_usable_size(p);
		if (memmem(p, n, TOKEN, strlen(TOKEN)) || memmem(p, n, SIG, strlen(SIG)))
			freed_secrets++;
	}
	free(p);
}

static void *plain_malloc(size_t n) { return malloc(n); }
static void *plain_realloc(void *p, size_t n) { return realloc(p, n); }
static char *plain_strdup(const char *s) { return strdup(s); }
static void *plain_calloc(size_t n, size_t m) { return calloc(n, m); }

/* A request to a closed local port fails, but its header list was built
 * and freed: no freed block may still hold the token or the signature. */
static void t_headers_cleansed(void)
{
	const struct http_header hdrs[] = {
		{ (char *)"X-Amz-Security-Token", (char *)TOKEN },
		{ (char *)"Authorization", (char *)"AWS4-HMAC-SHA256 Credential=AKID/x, " SIG },
	};
	struct http_request req = { 0 };
	struct http_response resp;
	struct annex_err err;
	struct http_client *c;
	struct http_opts o = { .connect_timeout_ms = 2000, .timeout_ms = 2000 };

	/* before the client's own curl_global_init, which then keeps these */
	CHECK(curl_global_init_mem(CURL_GLOBAL_DEFAULT, plain_malloc, count_secret_free, plain_realloc,
				   plain_strdup, plain_calloc) == CURLE_OK);
	annex_err_clear(&err);
	c = http_client_new(&o, &err);
	CHECK(c != NULL);
	if (!c)
		return;
	req.method = "GET";
	req.url = "http://127.0.0.1:1/";
	req.headers = hdrs;
	req.n_headers = 2;
	freed_secrets = 0;
	CHECK(http_perform(c, &req, &resp, &err) == -1);
	CHECK_STR(err.code, "Transport");
	http_response_free(&resp);
	http_client_free(c);
	CHECK_INT(freed_secrets, 0);
}

/* A one-connection server: reads a request, then answers as told. */
enum serve_mode { SERVE_SMALL, SERVE_ENDLESS_BODY, SERVE_HUGE_LENGTH, SERVE_ENDLESS_HEADERS };

struct server {
	int fd;
	int port;
	enum serve_mode mode;
	pthread_t thread;
};

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *serve(void *arg)
{
	struct server *s = arg;
	char req[8192], chunk[65536];
	size_t got = 0;
	int c = accept(s->fd, NULL, NULL);

	if (c < 0)
		return NULL;
	while (got < sizeof(req) - 1) {
		ssize_t r = recv(c, req + got, sizeof(req) - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
		req[got] = 0;
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	memset(chunk, 'A', sizeof(chunk));
	switch (s->mode) {
	case SERVE_SMALL:
		send_all(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", 63);
		break;
	case SERVE_ENDLESS_BODY:
		/* no length, no end: the body runs until the client hangs up */
		if (send_all(c, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", 38) == 0)
			while (send_all(c, chunk, sizeof(chunk)) == 0)
				;
		break;
	case SERVE_HUGE_LENGTH: {
		const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 1099511627776\r\n\r\n";
		if (send_all(c, h, strlen(h)) == 0)
			while (send_all(c, chunk, sizeof(chunk)) == 0)
				;
		break;
	}
	case SERVE_ENDLESS_HEADERS:
		if (send_all(c, "HTTP/1.1 200 OK\r\n", 17) == 0) {
			char line[128];
			for (long i = 0;; i++) {
				int n = snprintf(line, sizeof(line), "X-Filler-%ld: %s\r\n", i,
						 "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
				if (send_all(c, line, (size_t)n) < 0)
					break;
			}
		}
		break;
	}
	close(c);
	return NULL;
}

static int server_start(struct server *s, enum serve_mode mode)
{
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);

	s->mode = mode;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s->fd, 1) < 0 ||
	    getsockname(s->fd, (struct sockaddr *)&a, &alen) < 0)
		return -1;
	s->port = ntohs(a.sin_port);
	return pthread_create(&s->thread, NULL, serve, s) == 0 ? 0 : -1;
}

static void server_stop(struct server *s)
{
	pthread_join(s->thread, NULL);
	close(s->fd);
}

static void cap_memory(void)
{
	struct rlimit rl = { 1536L * 1024 * 1024, 1536L * 1024 * 1024 };

#ifndef ANNEX_TEST_ASAN    /* ASan's shadow memory already exceeds any such limit */
	setrlimit(RLIMIT_AS, &rl);
#else
	(void)rl;
#endif
}

/* One GET against a server in that mode; returns http_perform's result. */
static int fetch(enum serve_mode mode, size_t client_cap, size_t request_cap, struct http_response *resp,
		 struct annex_err *err)
{
	struct server s;
	struct http_opts o = { .connect_timeout_ms = 2000, .timeout_ms = 20000, .max_body_bytes = client_cap };
	struct http_request req = { 0 };
	struct http_client *c;
	char url[64];
	int rc;

	annex_err_clear(err);
	memset(resp, 0, sizeof(*resp));
	if (server_start(&s, mode) < 0)
		return annex_err_set(err, "Test", "cannot start the server");
	c = http_client_new(&o, err);
	if (!c)
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	req.method = "GET";
	req.url = url;
	req.max_body_bytes = request_cap;
	rc = http_perform(c, &req, resp, err);
	http_client_free(c);
	server_stop(&s);
	return rc;
}

static void t_small_reply(void)
{
	struct http_response resp;
	struct annex_err err;

	CHECK(fetch(SERVE_SMALL, 0, 0, &resp, &err) == 0);
	CHECK_INT(resp.status, 200);
	CHECK_STR(resp.body.data, "hello");
	http_response_free(&resp);
	/* a cap the body exactly fits */
	CHECK(fetch(SERVE_SMALL, 0, 5, &resp, &err) == 0);
	CHECK_STR(resp.body.data, "hello");
	http_response_free(&resp);
	/* one byte short */
	CHECK(fetch(SERVE_SMALL, 0, 4, &resp, &err) == -1);
	CHECK_STR(err.code, "BadReply");
	http_response_free(&resp);
}

/* The default cap: 64 MiB read, then the exchange ends; peak memory stays
 * within a small multiple of the cap. */
static void t_endless_body_default_cap(void)
{
	struct http_response resp;
	struct annex_err err;
	struct rusage before, after;

	cap_memory();
	getrusage(RUSAGE_SELF, &before);
	CHECK(fetch(SERVE_ENDLESS_BODY, 0, 0, &resp, &err) == -1);
	getrusage(RUSAGE_SELF, &after);
	CHECK_STR(err.code, "BadReply");
	CHECK(strstr(err.msg, "GET http://127.0.0.1:") == err.msg);
	CHECK(strstr(err.msg, "reply body over the 67108864-byte cap; refused") != NULL);
	CHECK(!err.retryable);
	CHECK_INT(resp.body.len, 0);
	CHECK(after.ru_maxrss - before.ru_maxrss < 3 * 64 * 1024 + ANNEX_TEST_RSS_SLACK_KIB);
	http_response_free(&resp);
}

/* A client's own cap, and a request's cap over the client's. */
static void t_endless_body_set_caps(void)
{
	struct http_response resp;
	struct annex_err err;

	cap_memory();
	CHECK(fetch(SERVE_ENDLESS_BODY, 1 << 20, 0, &resp, &err) == -1);
	CHECK_STR(err.code, "BadReply");
	CHECK(strstr(err.msg, "over the 1048576-byte cap") != NULL);
	http_response_free(&resp);
	CHECK(fetch(SERVE_ENDLESS_BODY, 1 << 20, 2 << 20, &resp, &err) == -1);
	CHECK(strstr(err.msg, "over the 2097152-byte cap") != NULL);
	http_response_free(&resp);
}

/* An announced length over the cap is refused before the body is read. */
static void t_huge_content_length(void)
{
	struct http_response resp;
	struct annex_err err;

	cap_memory();
	CHECK(fetch(SERVE_HUGE_LENGTH, 0, 0, &resp, &err) == -1);
	CHECK_STR(err.code, "BadReply");
	CHECK(strstr(err.msg, "reply body over the 67108864-byte cap") != NULL);
	CHECK_INT(resp.body.len, 0);
	http_response_free(&resp);
}

static void t_endless_headers(void)
{
	struct http_response resp;
	struct annex_err err;
	struct rusage before, after;

	cap_memory();
	getrusage(RUSAGE_SELF, &before);
	CHECK(fetch(SERVE_ENDLESS_HEADERS, 0, 0, &resp, &err) == -1);
	getrusage(RUSAGE_SELF, &after);
	CHECK_STR(err.code, "BadReply");
	CHECK(strstr(err.msg, "reply headers over the 262144-byte cap") != NULL);
	CHECK(after.ru_maxrss - before.ru_maxrss < 64 * 1024 + ANNEX_TEST_RSS_SLACK_KIB);
	http_response_free(&resp);
}

/* ---- the time limits (docs/design.md, "Deadlines") ---- */

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A loopback port that takes connections (the kernel completes them) and
 * never answers: a black-holed endpoint. backlog_full: the accept queue is
 * filled first, so new connections are never even made (SYNs dropped). */
static int black_hole(int backlog_full, int *port, int fill[4])
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, backlog_full ? 0 : 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	for (int i = 0; i < 4; i++) {
		fill[i] = -1;
		if (!backlog_full)
			continue;
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		(void)connect(fill[i], (struct sockaddr *)&a, sizeof(a));
	}
	return fd;
}

static void close_hole(int fd, int fill[4])
{
	for (int i = 0; i < 4; i++)
		if (fill[i] >= 0)
			close(fill[i]);
	close(fd);
}

struct slow_log {
	int calls;
	long elapsed_ms;
};

static void on_slow(void *ud, long elapsed_ms)
{
	struct slow_log *l = ud;

	l->calls++;
	l->elapsed_ms = elapsed_ms;
}

/* Connected, no reply: the exchange ends at the request's own bound (below
 * the client's), says which limit fired, is retryable, and the slow hook
 * was told once, at its time, while the exchange went on. */
static void t_reply_timeout_and_slow_note(void)
{
	struct http_opts ho = { .connect_timeout_ms = 5000, .timeout_ms = 10000, .no_proxy = 1 };
	struct http_request hr = { 0 };
	struct http_response resp;
	struct annex_err err;
	struct slow_log l = { 0 };
	struct http_client *c;
	struct timespec t0;
	char url[64];
	int fill[4], port = 0, fd = black_hole(0, &port, fill);
	long ms;

	CHECK(fd >= 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	hr.method = "GET";
	hr.url = url;
	hr.timeout_ms = 1500;
	hr.slow_after_ms = 400;
	hr.slow = on_slow;
	hr.slow_ud = &l;
	c = http_client_new(&ho, &err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(c && http_perform(c, &hr, &resp, &err) == -1);
	ms = ms_since(&t0);
	CHECK(ms >= 1400 && ms < 4000);
	CHECK_STR(err.code, "Transport");
	CHECK_INT(err.retryable, 1);
	CHECK_INT(resp.timed_out, HTTP_TIMEOUT_REPLY);
	CHECK_INT(resp.timeout_ms, 1500);
	CHECK(strstr(err.msg, "no reply within 1500 ms") != NULL);
	CHECK_INT(l.calls, 1);
	CHECK(l.elapsed_ms >= 400 && l.elapsed_ms < 1500);
	http_response_free(&resp);
	http_client_free(c);
	close_hole(fd, fill);
}

/* No connection can be made: the connect timeout fires, and says so. */
static void t_connect_timeout(void)
{
	struct http_opts ho = { .connect_timeout_ms = 700, .timeout_ms = 10000, .no_proxy = 1 };
	struct http_request hr = { 0 };
	struct http_response resp;
	struct annex_err err;
	struct http_client *c;
	struct timespec t0;
	char url[64];
	int fill[4], port = 0, fd = black_hole(1, &port, fill);
	long ms;

	CHECK(fd >= 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	hr.method = "GET";
	hr.url = url;
	c = http_client_new(&ho, &err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(c && http_perform(c, &hr, &resp, &err) == -1);
	ms = ms_since(&t0);
	CHECK(ms >= 600 && ms < 3000);
	CHECK_INT(resp.timed_out, HTTP_TIMEOUT_CONNECT);
	CHECK_INT(resp.timeout_ms, 700);
	CHECK(strstr(err.msg, "no connection within 700 ms") != NULL);
	CHECK_INT(err.retryable, 1);
	http_response_free(&resp);
	http_client_free(c);
	close_hole(fd, fill);
}

/* A fast exchange never calls the slow hook. */
static void t_fast_no_note(void)
{
	struct http_request hr = { 0 };
	struct http_response resp;
	struct annex_err err;
	struct slow_log l = { 0 };
	struct http_opts ho = { .no_proxy = 1 };
	struct http_client *c;
	struct server srv;
	char url[64];

	if (server_start(&srv, SERVE_SMALL) < 0) {
		CHECK(!"server started");
		return;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", srv.port);
	hr.method = "GET";
	hr.url = url;
	hr.slow_after_ms = 2000;
	hr.slow = on_slow;
	hr.slow_ud = &l;
	c = http_client_new(&ho, &err);
	CHECK(c && http_perform(c, &hr, &resp, &err) == 0);
	CHECK_INT(resp.timed_out, HTTP_TIMEOUT_NONE);
	CHECK_STR(resp.body.data, "hello");
	CHECK_INT(l.calls, 0);
	http_response_free(&resp);
	http_client_free(c);
	server_stop(&srv);
}

TESTS(T(t_headers_cleansed), T(t_small_reply), T(t_endless_body_default_cap), T(t_endless_body_set_caps),
      T(t_huge_content_length), T(t_endless_headers), T(t_reply_timeout_and_slow_note), T(t_connect_timeout),
      T(t_fast_no_note))
