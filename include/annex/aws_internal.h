/* aws_internal.h - the AWS context's inside, shared by the files of the
 * AWS layer (src/aws*.c; today aws.c, aws_rest.c, aws_parallel.c and aws_pace.c). Not for other
 * modules: they hold a struct aws_ctx * and use the accessors in
 * annex/aws.h (tests/integration/test_layering.sh checks this).
 */
#ifndef ANNEX_AWS_INTERNAL_H
#define ANNEX_AWS_INTERNAL_H

#include "annex/aws.h"

struct aws_ctx {
	char *region;
	struct aws_creds creds;
	struct aws_endpoint ep[AWS_N_SERVICES];
	struct http_client *http;
	struct sigv4_cache sigcache;
	int debug;
	FILE *trace;
	unsigned long calls;           /* API calls made (one per aws_send) */
	unsigned long attempts;        /* HTTP requests sent, resends included */
	struct aws_retrier retry;      /* settings, sleep and jitter source */
	time_t (*clock)(void);         /* signing time; default time() */
	struct http_opts http_opts;    /* what the client was made with (a forked context makes its own) */
	struct aws_ctx *parent;        /* a forked context: region, endpoints and creds are the parent's */
};

#endif
