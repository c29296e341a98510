/* creds_internal.h - the links of the credential chain that live in files
 * of their own (creds_profile.c, creds_imds.c), for creds.c, which chains
 * them. Not for other modules: they use annex/creds.h. What the links
 * share is in annex/creds_util.h, below them.
 *
 * Each link returns 1 when it produced credentials, 0 when its source is
 * simply absent (after appending one "source (reason)" item to the tried
 * list), and -1 with err set when the source is present but broken; a
 * broken source stops the chain, as in the AWS CLI.
 */
#ifndef ANNEX_CREDS_INTERNAL_H
#define ANNEX_CREDS_INTERNAL_H

#include "annex/buf.h"
#include "annex/creds.h"
#include "annex/err.h"

/* Link 4: the shared files ~/.aws/credentials and ~/.aws/config. */
int creds_from_profile(struct aws_creds *out, struct buf *tried, struct annex_err *err);

/* Link 5: the instance role. explicit_origin != NULL means a key-file
 * value "FROM INSTANCE" asked for it (then absence is an error too). */
int creds_from_imds(struct aws_creds *out, struct buf *tried, const char *explicit_origin,
                    struct annex_err *err);

#endif
