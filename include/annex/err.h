/* err.h - the one error type of annex.
 *
 * Every fallible function returns 0 on success or -1 on failure and fills a
 * caller-owned struct annex_err: a short machine code (an AWS error code such
 * as "AuthFailure", or one of annex's own such as "Usage", "Config",
 * "Credentials", "Transport") and a one-line human message that already
 * carries its context (file:line, the option, AWS's "CODE: message (request
 * id)"). Only main() prints it. Nothing below main() calls exit().
 */
#ifndef ANNEX_ERR_H
#define ANNEX_ERR_H

#include <stddef.h>

#define ANNEX_ERR_CODE_MAX 64
#define ANNEX_ERR_MSG_MAX 1024

struct annex_err {
	char code[ANNEX_ERR_CODE_MAX];
	char msg[ANNEX_ERR_MSG_MAX];
	int http_status;       /* HTTP status of an AWS error reply, else 0 */
	int retryable;         /* set by the transport for throttling/5xx/connection errors */
};

void annex_err_clear(struct annex_err *err);

/* Sets code and a printf-formatted message; always returns -1 so that
 * callers can write `return annex_err_set(err, "Config", "...")`.
 * err may be NULL. */
int annex_err_set(struct annex_err *err, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with more context ("reading X: <old msg>"). */
int annex_err_prefix(struct annex_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends to the existing message, cut to fit ("...; 3 attempts in 6 s"). */
int annex_err_suffix(struct annex_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
