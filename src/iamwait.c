/* iamwait.c - bounded retries while IAM propagates a new role or instance
 * profile to Lambda and EC2 (iamwait.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "annex/iamwait.h"

#define IAMWAIT_FIRST_MS 500
#define IAMWAIT_MAX_DELAY_MS 8000

void iamwait_init(struct iamwait *w)
{
	const char *v = getenv("ANNEX_IAM_WAIT_S");
	long s = v && *v ? strtol(v, NULL, 10) : 120;

	memset(w, 0, sizeof(*w));
	w->limit_ms = (s < 0 ? 0 : s) * 1000;
	w->delay_ms = IAMWAIT_FIRST_MS;
}

int iamwait_is_propagation(const struct annex_err *err)
{
	return (strcmp(err->code, "InvalidParameterValueException") == 0 && strstr(err->msg, "assume") != NULL) ||
	       (strcmp(err->code, "InvalidParameterValue") == 0 &&
		strstr(err->msg, "Invalid IAM Instance Profile") != NULL);
}

static void nanosleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* The last delay is cut to what is left of the bound, so the total never
 * exceeds it; a bound of 0 means no waiting at all. */
int iamwait_again(struct iamwait *w, struct annex_err *err, void (*sleep_ms)(long ms), const char *what)
{
	long d;

	if (!iamwait_is_propagation(err))
		return 0;
	if (w->waited_ms >= w->limit_ms) {
		annex_err_prefix(err, "IAM did not make %s usable within %ld s (ANNEX_IAM_WAIT_S); try again later",
				 what, w->limit_ms / 1000);
		return 0;
	}
	d = w->delay_ms;
	if (d > w->limit_ms - w->waited_ms)
		d = w->limit_ms - w->waited_ms;
	(sleep_ms ? sleep_ms : nanosleep_ms)(d);
	w->waited_ms += d;
	w->waits++;
	w->delay_ms = w->delay_ms * 2 < IAMWAIT_MAX_DELAY_MS ? w->delay_ms * 2 : IAMWAIT_MAX_DELAY_MS;
	return 1;
}
