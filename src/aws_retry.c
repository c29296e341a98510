/* aws_retry.c - the one retry mechanism (see include/annex/aws_retry.h):
 * per-call policies, the jittered backoff, the IAM propagation wait, and
 * the only sleep annex has for a failed request. */
#include "annex/aws_retry.h"

#include <errno.h>
#include <openssl/rand.h>
#include <string.h>
#include <time.h>

#define AWS_IAM_WAIT_FIRST_MS 500
#define AWS_IAM_WAIT_MAX_DELAY_MS 8000

/* Capped exponential backoff with full jitter: the wait before retry k is
 * drawn uniformly from [0, min(cap, base * 2^k)], which spreads competing
 * clients apart better than a fixed or "equal jitter" schedule. */
long aws_backoff_delay_ms(int attempt, long base_ms, long cap_ms, uint64_t rnd)
{
	long ceiling = base_ms;

	if (base_ms <= 0 || cap_ms <= 0)
		return 0;
	for (int i = 0; i < attempt && ceiling < cap_ms; i++)
		ceiling = ceiling > cap_ms / 2 ? cap_ms : ceiling * 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	return (long)(rnd % ((uint64_t)ceiling + 1));
}

long aws_iam_wait_delay_ms(int k)
{
	long d = AWS_IAM_WAIT_FIRST_MS;

	for (int i = 0; i < k && d < AWS_IAM_WAIT_MAX_DELAY_MS; i++)
		d *= 2;
	return d < AWS_IAM_WAIT_MAX_DELAY_MS ? d : AWS_IAM_WAIT_MAX_DELAY_MS;
}

int aws_iam_propagation(const struct annex_err *err)
{
	return (strcmp(err->code, "InvalidParameterValueException") == 0 && strstr(err->msg, "assume") != NULL) ||
	       (strcmp(err->code, "InvalidParameterValue") == 0 &&
		strstr(err->msg, "Invalid IAM Instance Profile") != NULL);
}

static void aws_retry_sleep(const struct aws_retrier *r, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (r->sleep_ms) {
		r->sleep_ms(ms);
		return;
	}
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void aws_retry_pause(const struct aws_retrier *r, long ms)
{
	if (ms > 0)
		aws_retry_sleep(r, ms);
}

static uint64_t aws_retry_random(const struct aws_retrier *r)
{
	uint64_t x = 0;

	if (r->random)
		return r->random();
	if (RAND_bytes((unsigned char *)&x, sizeof(x)) != 1)
		x = (uint64_t)time(NULL) * 6364136223846793005ULL + 1442695040888963407ULL;
	return x;
}

static int64_t aws_retry_monotonic_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int64_t aws_retry_now_ms(const struct aws_retrier *r)
{
	return r->now_ms ? r->now_ms() : aws_retry_monotonic_ms();
}

void aws_retry_start_deadline(struct aws_retrier *r)
{
	r->deadline_ms = r->set.command_timeout_ms > 0 ? aws_retry_now_ms(r) + r->set.command_timeout_ms : 0;
	/* 0 means none: a clock that reads 0 still gets a deadline */
	if (r->set.command_timeout_ms > 0 && r->deadline_ms == 0)
		r->deadline_ms = 1;
}

long aws_retry_time_left_ms(const struct aws_retrier *r)
{
	int64_t left;

	if (!r->deadline_ms)
		return -1;
	left = r->deadline_ms - aws_retry_now_ms(r);
	return left > 0 ? (long)left : 0;
}

/* Strictly before: an attempt or a wait that would end at the deadline
 * itself leaves nothing for what follows it. */
int aws_deadline_allows(int64_t now, int64_t deadline, long ms)
{
	return deadline == 0 || now + (ms > 0 ? ms : 0) < deadline;
}

int aws_retry_max_attempts(const struct aws_retrier *r, const struct aws_call *call)
{
	if (call && call->retry == AWS_RETRY_NEVER)
		return 1;
	return r->set.max_attempts > 1 ? r->set.max_attempts : 1;
}

int aws_retry_run(const struct aws_retrier *r, const struct aws_call *call, const struct aws_attempt *a,
		  struct annex_err *err)
{
	static const struct aws_call dflt = { AWS_RETRY_IDEMPOTENT, NULL, NULL, NULL, NULL };
	const struct aws_call *c = call ? call : &dflt;
	int max = aws_retry_max_attempts(r, c), fresh = c->retry != AWS_RETRY_IDEMPOTENT;
	long iam_limit = c->iam_wait && r->set.iam_wait_ms > 0 ? r->set.iam_wait_ms : 0, iam_waited = 0;
	long deadline_s = (r->tight_knob ? r->tight_ms : r->set.command_timeout_ms) / 1000;
	const char *knob = r->tight_knob ? r->tight_knob : "ANNEX_COMMAND_TIMEOUT";
	const char *whose = r->tight_knob ? "the" : "the command's";
	int n = 0, iam_waits = 0, sent = 0;

	for (;;) {
		struct annex_err last;
		long ms;
		int rc, iam;

		if (!aws_deadline_allows(aws_retry_now_ms(r), r->deadline_ms, 0)) {
			/* only reached before the first attempt, or when a hook took
			 * the time that was left: err holds the last failure */
			if (!sent)
				return annex_err_set(err, "Timeout", "not sent: %s deadline (%ld s; "
						     "raise %s) has passed", whose, deadline_s, knob);
			return annex_err_suffix(err, "; not retried: %s deadline (%ld s; raise "
						"%s) has passed", whose, deadline_s, knob);
		}
		annex_err_clear(err);
		sent = 1;
		if (a->send(a->ud, n, fresh, err) == 0)
			return 0;
		iam = c->iam_wait && aws_iam_propagation(err);
		if (iam) {
			/* refused, nothing done: wait for IAM, within the bound */
			if (iam_waited >= iam_limit)
				return annex_err_prefix(err, "IAM did not make %s usable within %ld s "
							"(ANNEX_IAM_WAIT_S); try again later", c->iam_wait,
							iam_limit / 1000);
			if (iam_waits == 0 && c->iam_notice)
				c->iam_notice(c->ud, iam_limit / 1000);
			ms = aws_iam_wait_delay_ms(iam_waits++);
			if (ms > iam_limit - iam_waited)
				ms = iam_limit - iam_waited;
			iam_waited += ms;
		} else {
			if (!err->retryable || n + 1 >= max)
				return -1;
			ms = aws_backoff_delay_ms(n++, r->set.base_ms, r->set.cap_ms, aws_retry_random(r));
		}
		if (c->before_resend) {
			last = *err;
			rc = c->before_resend(c->ud, &last, err);
			if (rc == AWS_DONE) {
				annex_err_clear(err);
				return AWS_DONE;
			}
			if (rc != AWS_RESEND)
				return -1;
			*err = last;
		}
		/* no wait that ends past the deadline: the attempt after it could
		 * not be made */
		if (!aws_deadline_allows(aws_retry_now_ms(r), r->deadline_ms, ms)) {
			if (iam)
				return annex_err_prefix(err, "IAM did not make %s usable before %s "
							"deadline (%ld s; raise %s); try again later",
							c->iam_wait, whose, deadline_s, knob);
			return annex_err_suffix(err, "; not retried: %s deadline (%ld s; raise "
						"%s) comes before the next attempt", whose, deadline_s, knob);
		}
		if (a->waiting)
			a->waiting(a->ud, ms, err);
		aws_retry_sleep(r, ms);
	}
}
