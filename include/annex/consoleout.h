/* consoleout.h - an instance's serial console output (EC2
 * GetConsoleOutput), for `annex -status` to show why a node never joined:
 * annex's boot script logs its steps and failures there. */
#ifndef ANNEX_CONSOLEOUT_H
#define ANNEX_CONSOLEOUT_H

#include <stddef.h>

#include "annex/aws.h"

/* The most lines -status shows per instance, and how many instances it asks. */
#define CONSOLEOUT_TAIL_LINES 5
#define CONSOLEOUT_MAX_INSTANCES 10

/* GetConsoleOutput of one instance, base64-decoded into *text (malloc'd,
 * NUL-terminated; "" when EC2 has none yet). */
int consoleout_fetch(struct aws_ctx *ctx, const char *instance_id, char **text, struct annex_err *err);

/* The last max_lines non-empty lines of text, joined by '\n' (malloc'd;
 * NULL when there are none). Safe to print on a terminal: every control
 * byte but tab (escape sequences included) and every byte of an invalid
 * UTF-8 sequence becomes '?'; a line longer than 200 bytes is cut, ending
 * in "...". A CR ends a line as LF does. */
char *consoleout_tail(const char *text, size_t max_lines);

#endif
