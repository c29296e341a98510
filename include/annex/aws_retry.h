/* aws_retry.h - the one place annex decides whether to send a request
 * again (SPEC.md sections 4 and 5). Every signed AWS call (aws_send) and
 * every call of the credential chain's IMDS link (creds_imds.c) runs
 * through aws_retry_run; nothing else in annex sleeps or loops on a
 * failure. It needs only err.h, so the credential chain, which sits below
 * aws.h, uses it too.
 *
 * Per call the caller picks a policy (struct aws_call; NULL = the default):
 *   - which failures are resent: retryable ones (err->retryable: throttling,
 *     500/502/503/504, a connection that failed or broke) up to
 *     max_attempts, waiting random(0, min(cap, base * 2^k)) ms before
 *     resend k+1 (full jitter); AWS_RETRY_NEVER resends none;
 *   - on which connection: a kept one, or (TOKEN, NEVER) a new one for
 *     every attempt, because libcurl silently resends a request whose
 *     reused connection died before any reply;
 *   - a hook run before each resend (adopt what a lost reply created,
 *     refresh state), which may end the call as already done;
 *   - an IAM propagation wait: the one error that says "IAM has not yet
 *     made this role or profile visible here" is waited out on its own
 *     bounded schedule.
 *
 * Over every call of a command stands its deadline (struct aws_retrier's
 * deadline_ms, from ANNEX_COMMAND_TIMEOUT): no attempt starts, and no
 * backoff or IAM wait begins, that would end past it; the call fails then
 * with its last error and "; not retried: ... the command's deadline".
 * What an attempt may take is bounded by the same deadline
 * (aws_retry_time_left_ms: aws.c passes it to the transport).
 *
 *   struct aws_call call = { .retry = AWS_RETRY_TOKEN, .iam_wait = "the instance profile" };
 *   rc = aws_query_with(ctx, AWS_EC2, "RunInstances", &p, &call, &doc, err);
 */
#ifndef ANNEX_AWS_RETRY_H
#define ANNEX_AWS_RETRY_H

#include <stdint.h>

#include "annex/err.h"

enum aws_retry {
	/* The default: reads and naturally idempotent calls. Retryable
	 * failures are resent on the kept connection. */
	AWS_RETRY_IDEMPOTENT = 0,
	/* A create carrying a ClientToken (RunInstances, RequestSpotFleet):
	 * retryable failures are resent with the same body, so the same token,
	 * and every attempt goes on a new connection: annex, not libcurl,
	 * decides each resend and AWS refuses a second launch by the token. */
	AWS_RETRY_TOKEN,
	/* One attempt, on a new connection. Only an IAM wait (below) resends:
	 * that error means AWS did nothing. */
	AWS_RETRY_NEVER,
};

/* What before_resend returns besides -1. */
#define AWS_RESEND 0   /* send again */
#define AWS_DONE 1     /* what the call was to do is done: stop, succeed */

struct aws_call {
	enum aws_retry retry;
	/* Optional. Called before every resend, once the resend is decided and
	 * before its wait; last is the failure that caused it. Returns
	 * AWS_RESEND; AWS_DONE, and the call returns AWS_DONE (1) with no
	 * reply (the hook's ud holds the result: launch adopts the instances
	 * a RunInstances with a lost reply started); or -1, and the call fails
	 * with err, which holds last unless the hook set its own error. */
	int (*before_resend)(void *ud, const struct annex_err *last, struct annex_err *err);
	/* Optional: what IAM must make usable ("the instance profile"). Then a
	 * failure aws_iam_propagation() recognises is resent after 0.5, 1, 2,
	 * 4, 8, 8, ... s, never longer in all than iam_wait_ms (these resends
	 * do not count against max_attempts); past that bound the error reads
	 * "IAM did not make <iam_wait> usable within N s (ANNEX_IAM_WAIT_S);
	 * try again later: <AWS's message>". Any other error, of the same code
	 * or not, is treated as without it. */
	const char *iam_wait;
	/* Optional: told once, before the first IAM wait (never when the bound
	 * is 0), with the bound in seconds: the caller's progress line. */
	void (*iam_notice)(void *ud, long limit_s);
	void *ud;                    /* for before_resend and iam_notice */
};

struct aws_retry_settings {
	int max_attempts;   /* attempts per call in all, >= 1 (ANNEX_MAX_ATTEMPTS, default 5) */
	long base_ms;       /* the first backoff ceiling (ANNEX_RETRY_BASE_MS, default 200) */
	long cap_ms;        /* the largest backoff ceiling (ANNEX_RETRY_CAP_MS, default 20000) */
	long iam_wait_ms;   /* the IAM propagation bound (ANNEX_IAM_WAIT_S, default 120 s); 0: no wait */
	/* The time limits (docs/design.md, "Deadlines"); 0: the transport's
	 * own (60 s each), no deadline, no note. */
	long connect_timeout_ms;  /* the connect phase of one attempt (ANNEX_CONNECT_TIMEOUT) */
	long request_timeout_ms;  /* one whole attempt (ANNEX_REQUEST_TIMEOUT) */
	long command_timeout_ms;  /* all of a command's calls (ANNEX_COMMAND_TIMEOUT): deadline_ms */
	long notice_ms;           /* a call waiting this long says so (ANNEX_SLOW_CALL_NOTICE) */
};

/* The settings and the two effects a run has; tests replace the effects. */
struct aws_retrier {
	struct aws_retry_settings set;
	void (*sleep_ms)(long ms);     /* NULL: nanosleep */
	uint64_t (*random)(void);      /* jitter; NULL: OpenSSL's RAND_bytes */
	int64_t (*now_ms)(void);       /* the deadline's clock; NULL: CLOCK_MONOTONIC in ms */
	int64_t deadline_ms;           /* on that clock; 0: none (aws_retry_start_deadline) */
	/* while a tighter deadline holds (aws_ctx_tighten_deadline): its
	 * length and the knob that sets it, for the messages; NULL: the
	 * command's own (ANNEX_COMMAND_TIMEOUT) */
	const char *tight_knob;
	long tight_ms;
};

/* Sets r's deadline to now + r->set.command_timeout_ms (none when that is
 * 0). aws_ctx_new starts it; aws_ctx_restart_deadline starts it again
 * (after a prompt: the time the user takes to answer does not count). */
void aws_retry_start_deadline(struct aws_retrier *r);

/* r's clock, in ms. */
int64_t aws_retry_now_ms(const struct aws_retrier *r);

/* The ms left before r's deadline (0 once it has passed), or -1 when r
 * has none. */
long aws_retry_time_left_ms(const struct aws_retrier *r);

/* Whether something that takes ms, started at now, ends before deadline
 * (0: no deadline, always). Pure. */
int aws_deadline_allows(int64_t now, int64_t deadline, long ms);

/* One attempt of a call, supplied by the protocol that sends it. */
struct aws_attempt {
	/* Sends attempt n (from 0; a resend after an IAM wait keeps its n), on
	 * a new connection when fresh. Returns 0, or -1 with err set and
	 * err->retryable when another attempt may cure the failure. */
	int (*send)(void *ud, int n, int fresh, struct annex_err *err);
	/* Optional: told before each wait of ms (traces); why is the failure. */
	void (*waiting)(void *ud, long ms, const struct annex_err *why);
	void *ud;
};

/* Runs a call: attempt a, then resend as call (NULL: AWS_RETRY_IDEMPOTENT,
 * no hook, no IAM wait) and r decide. Returns 0 once an attempt succeeds,
 * AWS_DONE when before_resend said so, else -1 with err (not NULL) holding
 * the last failure. */
int aws_retry_run(const struct aws_retrier *r, const struct aws_call *call, const struct aws_attempt *a,
		  struct annex_err *err);

/* One pause of ms (nothing when ms <= 0) through r's sleep: the only other
 * wait annex has, a poll's pause between two looks (aws_pace, aws.h). */
void aws_retry_pause(const struct aws_retrier *r, long ms);

/* How many attempts call may make under r (1 for AWS_RETRY_NEVER). */
int aws_retry_max_attempts(const struct aws_retrier *r, const struct aws_call *call);

/* Whether err is IAM propagation showing through: Lambda's
 * InvalidParameterValueException "... cannot be assumed by Lambda", EC2's
 * InvalidParameterValue "Invalid IAM Instance Profile name/ARN". */
int aws_iam_propagation(const struct annex_err *err);

/* Full jitter: a delay in [0, min(cap_ms, base_ms * 2^attempt)] picked by
 * rnd; attempt counts from 0 (the wait after the first failure). Pure. */
long aws_backoff_delay_ms(int attempt, long base_ms, long cap_ms, uint64_t rnd);

/* The IAM wait before resend k (from 0): 500, 1000, 2000, 4000, 8000,
 * 8000, ... ms, before the bound cuts the last one. Pure. */
long aws_iam_wait_delay_ms(int k);

#endif
