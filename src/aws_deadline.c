/* aws_deadline.c - the words of the time limits (docs/design.md,
 * "Deadlines"): the waiting note and the timeout message aws_send gives,
 * with the endpoint as host:port and the knob that sets the limit. The
 * limits themselves are libcurl's (http.c) and aws_retry.c's. */
#include "annex/aws_internal.h"

#include <string.h>

void aws_where(char *out, size_t n, const char *host, int https)
{
	const char *colon = strrchr(host, ':'), *bracket = strrchr(host, ']');

	if (colon && (!bracket || colon > bracket))
		snprintf(out, n, "%s", host);
	else
		snprintf(out, n, "%s:%d", host, https ? 443 : 80);
}

void aws_secs(char *out, size_t n, long ms)
{
	long tenths = (ms + 50) / 100;

	if (tenths % 10 == 0 || ms >= 10000)
		snprintf(out, n, "%ld s", (ms + 500) / 1000);
	else
		snprintf(out, n, "%ld.%ld s", tenths / 10, tenths % 10);
}

const char *aws_service_title(enum aws_service svc)
{
	static const char *const titles[][2] = {
		{ "ec2", "EC2" }, { "s3", "S3" }, { "iam", "IAM" }, { "sts", "STS" },
		{ "lambda", "Lambda" }, { "events", "EventBridge" }, { "ssm", "SSM" },
		{ "pricing", "Price List" },
	};
	const char *name = aws_service_name(svc);

	for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
		if (strcmp(name, titles[i][0]) == 0)
			return titles[i][1];
	return name;
}

void aws_note_waiting(FILE *f, const char *where, enum aws_service svc, const char *op, long waited_ms,
		      const char *what)
{
	fprintf(f, "annex: waiting for %s (%s %s) ... %ld s, %s\n", where, aws_service_title(svc), op,
		(waited_ms + 500) / 1000, what);
	fflush(f);
}

void aws_timeout_message(const struct aws_ctx *ctx, enum aws_service svc, const char *op, const char *where,
			 const struct http_response *hr, struct annex_err *err)
{
	long request_ms = ctx->http_opts.timeout_ms > 0 ? ctx->http_opts.timeout_ms : HTTP_TIMEOUT_DEFAULT_MS;
	long connect_ms = ctx->http_opts.connect_timeout_ms > 0 ? ctx->http_opts.connect_timeout_ms
								 : HTTP_CONNECT_TIMEOUT_DEFAULT_MS;
	const char *what = hr->timed_out == HTTP_TIMEOUT_CONNECT ? "connection to" : "reply from";
	char secs[32];

	aws_secs(secs, sizeof(secs), hr->timeout_ms);
	if (hr->timed_out == HTTP_TIMEOUT_CONNECT && hr->timeout_ms == connect_ms)
		annex_err_set(err, "Timeout", "%s %s: no %s %s within %s (raise ANNEX_CONNECT_TIMEOUT)",
			      aws_service_title(svc), op, what, where, secs);
	else if (hr->timeout_ms == request_ms)
		annex_err_set(err, "Timeout", "%s %s: no %s %s within %s (raise ANNEX_REQUEST_TIMEOUT)",
			      aws_service_title(svc), op, what, where, secs);
	else   /* the bound was what was left of the deadline: the retry loop names that knob next */
		annex_err_set(err, "Timeout", "%s %s: no %s %s within %s, all that was left before the "
			      "command's deadline", aws_service_title(svc), op, what, where, secs);
	err->retryable = 1;
}
