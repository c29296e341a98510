/* trace.h - the -debug tracer. Every byte of trace output goes through
 * trace_redact, which blanks the value of every sensitive name wherever it
 * appears as a header (Name: value), a form or query field (Name=value,
 * also Prefix.N.Name=value), an XML element (<Name>value</Name>) or a JSON
 * member ("Name": value), case-insensitively, and every occurrence of the
 * known secrets the caller lists (the live secret key and session token,
 * also percent-encoded). The sensitive names: the Authorization signature
 * and credential key id, X-Amz-Security-Token, X-Amz-Signature,
 * SecretAccessKey, SessionToken, UserData, KeyMaterial, Password, ZipFile,
 * Variables (Lambda environment), PrivateKey.
 */
#ifndef ANNEX_TRACE_H
#define ANNEX_TRACE_H

#include <stddef.h>
#include <stdio.h>

#include "annex/buf.h"

#define TRACE_REDACTED "<redacted>"

/* Appends text (len bytes) to out with every secret replaced by
 * TRACE_REDACTED. known is a NULL-terminated list of literal secrets (NULL
 * entries before the end are skipped up to n_known; the list may be NULL). */
void trace_redact(struct buf *out, const char *text, size_t len, const char *const *known, size_t n_known);

/* Writes text to f, redacted, each line prefixed with prefix ("annex: -> ").
 * Bodies longer than max_len (0: no limit) are cut with a note; bodies that
 * are not text are replaced by a byte count. */
void trace_write(FILE *f, const char *prefix, const char *text, size_t len, size_t max_len,
		 const char *const *known, size_t n_known);

#endif
