/* dryrun.c - the lines -dry-run prints in place of a mutating call (see
 * include/annex/dryrun.h). */
#include "annex/dryrun.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"
#include "annex/trace.h"

/* Redacts text into a malloc'd string. */
static char *dryrun_redacted(const char *text, size_t len)
{
	struct buf out = BUF_INIT;

	trace_redact(&out, text, len, NULL, 0);
	return buf_steal(&out);
}

static char *dryrun_vline(const char *service, const char *action, const char *fmt, va_list ap)
{
	struct buf raw;
	char *line;

	buf_init_secret(&raw);
	buf_printf(&raw, "dry-run: would call %s %s", service, action);
	if (fmt && *fmt) {
		buf_putc(&raw, ' ');
		buf_vprintf(&raw, fmt, ap);
	}
	buf_putc(&raw, '\n');
	line = dryrun_redacted(raw.data, raw.len);
	buf_free(&raw);
	return line;
}

char *dryrun_line(const char *service, const char *action, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = dryrun_vline(service, action, fmt, ap);
	va_end(ap);
	return line;
}

void dryrun_note(const char *service, const char *action, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = dryrun_vline(service, action, fmt, ap);
	va_end(ap);
	fputs(line, stdout);
	free(line);
}

void dryrun_params(FILE *out, const char *service, const char *action, const struct params *p)
{
	struct buf raw;
	char *text;

	buf_init_secret(&raw);
	buf_printf(&raw, "dry-run: would call %s %s with:\n", service, action);
	for (size_t i = 0; i < p->n; i++)
		buf_printf(&raw, "  %s=%s\n", p->v[i].name, p->v[i].value ? p->v[i].value : "");
	text = dryrun_redacted(raw.data, raw.len);
	buf_free(&raw);
	fputs(text, out);
	free(text);
}
