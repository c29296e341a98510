/* err.c - the one error type (see include/annex/err.h). */
#include "annex/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void annex_err_clear(struct annex_err *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

int annex_err_set(struct annex_err *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	snprintf(err->code, sizeof(err->code), "%s", code ? code : "Error");
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int annex_err_prefix(struct annex_err *err, const char *fmt, ...)
{
	char old[ANNEX_ERR_MSG_MAX];
	va_list ap;
	int n;

	if (!err)
		return -1;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", old);
	return -1;
}

int annex_err_suffix(struct annex_err *err, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	if (!err)
		return -1;
	len = strlen(err->msg);
	if (len + 1 < sizeof(err->msg)) {
		va_start(ap, fmt);
		vsnprintf(err->msg + len, sizeof(err->msg) - len, fmt, ap);
		va_end(ap);
	}
	return -1;
}
