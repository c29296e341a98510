/* dryrun.h - what -dry-run prints in place of a call that would change
 * something in AWS (or on disk): one line per call,
 *
 *   dry-run: would call SERVICE ACTION Name=value Name=value ...
 *
 * every byte through trace.c's redaction (trace_redact: the names -debug
 * blanks, e.g. UserData, ZipFile, Variables, Password), so a dry run shows
 * no secret. Commands check o->dry_run before each mutating call and note
 * it here instead; read-only calls still run, so the plan is true. */
#ifndef ANNEX_DRYRUN_H
#define ANNEX_DRYRUN_H

#include <stdio.h>

#include "annex/params.h"

/* The line (with its '\n', redacted; malloc'd) for SERVICE ACTION with the
 * parameters fmt formats ("Name=value ..."; fmt may be NULL). */
char *dryrun_line(const char *service, const char *action, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prints dryrun_line's line on stdout. */
void dryrun_note(const char *service, const char *action, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prints the whole query-protocol request p would send: the note line,
 * then one "  Name=value" line per parameter, redacted. */
void dryrun_params(FILE *out, const char *service, const char *action, const struct params *p);

#endif
