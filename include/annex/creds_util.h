/* creds_util.h - the helpers every link of the credential chain shares
 * (creds_util.c): below the providers (creds_profile.c, creds_imds.c) and
 * creds.c, which chains them. Not for other modules: they use
 * annex/creds.h.
 */
#ifndef ANNEX_CREDS_UTIL_H
#define ANNEX_CREDS_UTIL_H

#include <stddef.h>

#include "annex/buf.h"
#include "annex/creds.h"
#include "annex/err.h"

/* Appends one item to the list of sources tried ("; " separated). */
void creds_tried_add(struct buf *tried, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses credential JSON: the credential_process format (Version 1,
 * AccessKeyId, SecretAccessKey, SessionToken, Expiration) when is_imds == 0,
 * the IMDS role document (Code, AccessKeyId, SecretAccessKey, Token,
 * Expiration) when is_imds == 1. what names the producer in messages. The
 * secrets are cleansed inside json-c before it frees them. Returns 0 with
 * out's keys and expiration set, or -1 with err set and out's keys NULL. */
int creds_parse_json(const char *json, size_t len, int is_imds, const char *what,
                     struct aws_creds *out, struct annex_err *err);

#endif
