/* bench_sigv4.c - signatures per second of src/sigv4.c on a small EC2
 * query request (POST, form body Action=DescribeInstances&Version=2016-11-15,
 * host ec2.us-east-1.amazonaws.com), derived-key cache warm, one result
 * reused across calls as the transport does.
 *
 *   bench_sigv4 [N]     signs N times (default 500000) and prints
 *                       "annex signatures/s: X"
 *
 * The credentials are the AWS documentation's example pair; nothing is sent.
 */
#include "annex/err.h"
#include "annex/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const char body[] = "Action=DescribeInstances&Version=2016-11-15";
	const struct sigv4_header headers[] = {
		{ "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" },
		{ "Host", "ec2.us-east-1.amazonaws.com" },
	};
	struct sigv4_request req = {
		.method = "POST", .path = "/", .query = NULL, .headers = headers, .n_headers = 2,
		.body = body, .body_len = sizeof(body) - 1, .payload_hash = NULL,
	};
	struct sigv4_cache cache;
	struct sigv4_params p;
	struct sigv4_result res;
	struct annex_err err;
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 500000;
	double t0, dt;
	char first[65];

	if (n <= 0) {
		fprintf(stderr, "usage: bench_sigv4 [N>0]\n");
		return 2;
	}
	memset(&cache, 0, sizeof(cache));
	memset(&p, 0, sizeof(p));
	memset(&res, 0, sizeof(res));
	p.region = "us-east-1";
	p.service = "ec2";
	p.when = time(NULL);
	p.access_key = "AKIDEXAMPLE";
	p.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	p.normalize = 1;
	p.double_uri_encode = 1;
	p.cache = &cache;
	if (sigv4_sign_header(&req, &p, &res, &err) < 0) {
		fprintf(stderr, "bench_sigv4: %s\n", err.msg);
		return 1;
	}
	memcpy(first, res.signature, sizeof(first));
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		if (sigv4_sign_header(&req, &p, &res, &err) < 0) {
			fprintf(stderr, "bench_sigv4: %s\n", err.msg);
			return 1;
		}
	}
	dt = now_s() - t0;
	/* the same input must give the same signature, from the cached key */
	if (strcmp(first, res.signature) != 0 || cache.misses != 1 || cache.hits != (unsigned long)n) {
		fprintf(stderr, "bench_sigv4: signatures or cache counts inconsistent\n");
		return 1;
	}
	printf("annex signatures/s: %.0f\n", (double)n / dt);
	sigv4_result_free(&res);
	sigv4_cache_clear(&cache);
	return 0;
}
