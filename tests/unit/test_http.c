/* Unit tests for http.c that need no server: what the transport leaves in
 * freed memory. libcurl's allocator is replaced before the client exists,
 * so every block libcurl frees (its copies of the request headers among
 * them) is searched for the secrets the request carried. */
#include "annex/http.h"
#include "harness.h"

#include <curl/curl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

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

TESTS(T(t_headers_cleansed))
