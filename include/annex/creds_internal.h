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

/* Link 4: the shared files ~/.aws/credentials and ~/.aws/config. A
 * credential_process runs at most out->process_timeout_ms (set by the
 * caller; 0: CREDS_PROCESS_TIMEOUT_MS). */
int creds_from_profile(struct aws_creds *out, struct buf *tried, struct annex_err *err);

/* Runs a credential_process command line (what names it in messages) with
 * a time limit and parses its output into out (keys and expiration). On a
 * timeout the process is killed and err says so, naming what and the
 * knob ANNEX_CREDENTIAL_PROCESS_TIMEOUT. */
int creds_process_run(const char *cmdline, const char *what, long timeout_ms, struct aws_creds *out,
                      struct annex_err *err);

/* Link 5: the instance role. explicit_origin != NULL means a key-file
 * value "FROM INSTANCE" asked for it (then absence is an error too). */
int creds_from_imds(struct aws_creds *out, struct buf *tried, const char *explicit_origin,
                    struct annex_err *err);

#endif
