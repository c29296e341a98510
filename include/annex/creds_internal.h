/* creds_internal.h - what the parts of the credential chain share
 * (src/creds.c, src/creds_profile.c, src/creds_imds.c). Not for other
 * modules: they use annex/creds.h.
 *
 * Each link of the chain returns 1 when it produced credentials, 0 when
 * its source is simply absent (after appending one "source (reason)" item
 * to the tried list), and -1 with err set when the source is present but
 * broken; a broken source stops the chain, as in the AWS CLI.
 */
#ifndef ANNEX_CREDS_INTERNAL_H
#define ANNEX_CREDS_INTERNAL_H

#include <time.h>

#include "annex/buf.h"
#include "annex/creds.h"
#include "annex/err.h"

/* Appends one item to the list of sources tried ("; " separated). */
void creds_tried_add(struct buf *tried, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Link 4: the shared files ~/.aws/credentials and ~/.aws/config. */
int creds_from_profile(struct aws_creds *out, struct buf *tried, struct annex_err *err);

/* Link 5: the instance role. explicit_origin != NULL means a key-file
 * value "FROM INSTANCE" asked for it (then absence is an error too). */
int creds_from_imds(struct aws_creds *out, struct buf *tried, const char *explicit_origin,
                    struct annex_err *err);

#endif
