/* creds.h - the AWS credential chain (SPEC.md section 4), first found wins:
 *   1. key files from the -aws-access-key-file/-aws-secret-key-file options
 *   2. key files from the ANNEX_DEFAULT_ACCESS_KEY_FILE / _SECRET_KEY_FILE knobs
 *      (for -setup only, when neither is given: condor_annex's default pair
 *       ~/.condor/publicKeyFile and privateKeyFile, ~ = passwd home, if both exist)
 *   3. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
 *   4. the shared files ~/.aws/credentials and ~/.aws/config ($HOME;
 *      AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE,
 *      credential_process)
 *   5. the EC2 instance role through IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT,
 *      default http://169.254.169.254, 1 s timeouts; off with
 *      AWS_EC2_METADATA_DISABLED=true)
 * A key-file value of "FROM INSTANCE" means: go to the instance role.
 * A key file with any group/other permission bit, or owned by another user,
 * is refused with a message naming the file and the fix (chmod 600).
 * Secrets live only in heap strings freed with secret_free().
 */
#ifndef ANNEX_CREDS_H
#define ANNEX_CREDS_H

#include <time.h>

#include "annex/err.h"

struct aws_creds {
	char *access_key_id;
	char *secret_access_key;   /* secret */
	char *session_token;       /* secret, may be NULL */
	time_t expiration;         /* 0 = does not expire */
	char source[256];          /* human description: "key files (-aws-access-key-file ...)", "environment", ... */
};

struct creds_opts {
	const char *access_key_file;     /* from option (origin "option") or knob */
	const char *secret_key_file;
	const char *access_key_origin;   /* how to name it in messages, e.g. "-aws-access-key-file" */
	const char *secret_key_origin;
	int try_condor_default_pair;     /* -setup: try ~/.condor/{public,private}KeyFile */
	const char *passwd_home;         /* NULL: looked up from getpwuid(geteuid()) */
};

/* Resolves credentials. On failure err->code is "Credentials" and the
 * message lists the sources tried (or names the refused file). */
int creds_resolve(const struct creds_opts *opts, struct aws_creds *out, struct annex_err *err);

/* Reads one key file (first line, trimmed) after the permission check. */
int creds_read_key_file(const char *path, const char *origin, char **out, struct annex_err *err);

void creds_free(struct aws_creds *c);

#endif
