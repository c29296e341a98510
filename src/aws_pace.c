/* aws_pace.c - the pause of a poll loop (see aws_pace in
 * include/annex/aws.h): bounded by a deadline on the monotonic clock,
 * slept through the context's retrier (aws_retry.c), so that annex still
 * sleeps in one place and a test's sleep replaces every wait. */
#include "annex/aws.h"
#include "annex/aws_internal.h"

#include <time.h>

long long aws_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long aws_pace(struct aws_ctx *ctx, long long deadline_ms, long interval_ms)
{
	long long start = aws_monotonic_ms(), left = deadline_ms - start, now;
	long ms;

	if (left <= 0)
		return 0;
	ms = interval_ms > 0 && interval_ms < left ? interval_ms : (long)left;
	aws_retry_pause(&ctx->retry, ms);
	/* the command's deadline (ANNEX_COMMAND_TIMEOUT) bounds each look's
	 * calls, not the poll, which has its own deadline: it starts again
	 * after every pause, as after a prompt */
	aws_retry_start_deadline(&ctx->retry);
	/* the pause counts as taken even when a test's sleep took no time */
	now = aws_monotonic_ms();
	left = deadline_ms - (now > start + ms ? now : start + ms);
	return left > 0 ? left : 0;
}
