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

#include <stddef.h>
#include <time.h>

#include "annex/err.h"

/* Which link of the chain produced the credentials. */
enum creds_kind {
	CREDS_NONE = 0,
	CREDS_KEY_FILES,         /* key files named by options or knobs */
	CREDS_CONDOR_DEFAULT,    /* ~/.condor/publicKeyFile + privateKeyFile (-setup) */
	CREDS_ENV,               /* AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY */
	CREDS_SHARED_FILE,       /* keys in ~/.aws/credentials or ~/.aws/config */
	CREDS_PROCESS,           /* credential_process of a profile */
	CREDS_INSTANCE_ROLE,     /* IMDSv2 */
};

/* The value of a key-file option or knob that means "the instance role". */
#define CREDS_FROM_INSTANCE "FROM INSTANCE"

struct aws_creds {
	char *access_key_id;
	char *secret_access_key;   /* secret */
	char *session_token;       /* secret, may be NULL */
	time_t expiration;         /* 0 = does not expire */
	char source[256];          /* human description: "key files (-aws-access-key-file ...)", "environment", ... */
	/* Added by the creds module (appended; the fields above are unchanged): */
	enum creds_kind kind;
	char *access_key_path;     /* CREDS_KEY_FILES / CREDS_CONDOR_DEFAULT: the files read (not secret) */
	char *secret_key_path;     /* so -setup can record them in the key-file knobs */
	/* How to fetch them again before they expire (creds_refresh); set by
	 * the link that made them: */
	char *refresh_process;     /* CREDS_PROCESS: the command line (secret: it may carry one) */
	char *refresh_imds;        /* CREDS_INSTANCE_ROLE: the metadata service's base URL */
	long process_timeout_ms;   /* credential_process's time limit (in: from creds_opts) */
};

struct creds_opts {
	const char *access_key_file;     /* from option (origin "option") or knob */
	const char *secret_key_file;
	const char *access_key_origin;   /* how to name it in messages, e.g. "-aws-access-key-file" */
	const char *secret_key_origin;
	int try_condor_default_pair;     /* -setup: try ~/.condor/{public,private}KeyFile */
	const char *passwd_home;         /* NULL: looked up from getpwuid(geteuid()) */
	long process_timeout_ms;         /* credential_process is killed after this long; 0: CREDS_PROCESS_TIMEOUT_MS */
};

/* credential_process's time limit when the caller sets none (the knob
 * ANNEX_CREDENTIAL_PROCESS_TIMEOUT's default). */
#define CREDS_PROCESS_TIMEOUT_MS 60000L

/* When expiring credentials are fetched again (botocore's two windows):
 * from CREDS_ADVISORY_S before they expire a refresh is tried and, when it
 * fails, the current ones stay in use; from CREDS_MANDATORY_S before, a
 * refresh must succeed or the call fails. A refresh that failed or that
 * still gave credentials in the advisory window is not retried for
 * CREDS_RETRY_S, except in the mandatory window. */
#define CREDS_ADVISORY_S (15 * 60)
#define CREDS_MANDATORY_S (10 * 60)
#define CREDS_RETRY_S 30

enum creds_due {
	CREDS_DUE_NOT = 0,       /* no expiration, or not within the advisory window */
	CREDS_DUE_ADVISORY,
	CREDS_DUE_MANDATORY,
};

/* Which window c is in at now (pure). */
enum creds_due creds_refresh_due(const struct aws_creds *c, time_t now);

/* Whether c's source can be asked again (an instance role, a
 * credential_process) and c expires at all. */
int creds_refreshable(const struct aws_creds *c);

/* Fetches c's credentials again from the same source into *out (with the
 * same way to refresh them). -1 with err ("Credentials", naming the
 * source) when the source fails or c is not refreshable; out is then
 * empty. */
int creds_refresh(const struct aws_creds *c, struct aws_creds *out, struct annex_err *err);

/* A deep copy of c (secrets included; free with creds_free). */
void creds_copy(const struct aws_creds *c, struct aws_creds *out);

/* Resolves credentials. On failure err->code is "Credentials" and the
 * message lists the sources tried (or names the refused file). */
int creds_resolve(const struct creds_opts *opts, struct aws_creds *out, struct annex_err *err);

/* Reads one key file (first line, trimmed) after the permission check. */
int creds_read_key_file(const char *path, const char *origin, char **out, struct annex_err *err);

/* The region of the AWS profile (AWS_PROFILE, else AWS_DEFAULT_PROFILE,
 * else default) in the shared config file (AWS_CONFIG_FILE, else
 * ~/.aws/config: "[default]" or "[profile NAME]"), read with the parser
 * the credential chain uses. 1 with *region and *where ("~/.aws/config,
 * profile render"; both malloc'd), 0 when the file, the profile or its
 * region is absent, -1 when the file cannot be read (err set). */
int creds_profile_region(char **region, char **where, struct annex_err *err);

/* Frees and cleanses every field; creds_free(NULL) and a second call are no-ops. */
void creds_free(struct aws_creds *c);

/* The pieces below are exposed for tests and for -check-setup. */

/* Checks that path is a regular file owned by the effective user with no
 * group/other permission bit; kind names it in the message ("secret key
 * file"). fd >= 0: check that open file instead (no race with the open). */
int creds_check_key_file_perms(const char *path, int fd, const char *kind, const char *origin,
                               struct annex_err *err);

/* Splits a credential_process command line the way the AWS CLI does
 * (Python's shlex.split, POSIX mode). Returns a NULL-terminated vector the
 * caller frees with creds_argv_free, or NULL with err set (unbalanced
 * quotes, empty command). */
char **creds_split_command(const char *cmd, struct annex_err *err);
void creds_argv_free(char **argv);

/* Fetches the instance role's credentials from IMDSv2 at base_url
 * (e.g. "http://169.254.169.254"), 1 s connect and total timeout per call. */
int creds_imds_fetch(const char *base_url, struct aws_creds *out, struct annex_err *err);

#endif
