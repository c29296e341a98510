/* iamwait.h - waiting out IAM's eventual consistency (SPEC.md section 5).
 *
 * A role or instance profile made seconds ago is not yet visible to the
 * other services: Lambda answers InvalidParameterValueException "The role
 * defined for the function cannot be assumed by Lambda", EC2 answers
 * InvalidParameterValue "Invalid IAM Instance Profile name/ARN". The caller
 * retries only the call that reported it, with growing delays, for a bounded
 * total (ANNEX_IAM_WAIT_S, default 120 s); never an unconditional sleep. */
#ifndef ANNEX_IAMWAIT_H
#define ANNEX_IAMWAIT_H

#include "annex/err.h"

struct iamwait {
	long limit_ms;      /* the bound, from ANNEX_IAM_WAIT_S */
	long waited_ms;     /* slept so far */
	long delay_ms;      /* the next delay */
	int waits;          /* how many times it slept */
};

/* Starts a wait with the bound from ANNEX_IAM_WAIT_S (seconds, default 120). */
void iamwait_init(struct iamwait *w);

/* Whether err is IAM propagation showing through (see above). */
int iamwait_is_propagation(const struct annex_err *err);

/* Called after a failed call: when err is IAM propagation and the bound is
 * not reached, sleeps the next delay (through sleep_ms, or nanosleep when
 * NULL) and returns 1 (retry the call); else returns 0. When the bound is
 * reached on a propagation error, err's message says so (what, how long). */
int iamwait_again(struct iamwait *w, struct annex_err *err, void (*sleep_ms)(long ms), const char *what);

#endif
