/* session.h - what every AWS-facing command starts from: the configuration
 * read as HTCondor reads it, the region (SPEC.md section 3's order), the
 * local name derived from it, the credentials, and an aws_ctx with every
 * endpoint resolved. Commands read knobs through session_knob(), which
 * goes through the knob registry (knobs.h) and so applies the local name
 * and subsystem prefixes. */
#ifndef ANNEX_SESSION_H
#define ANNEX_SESSION_H

#include "annex/aws.h"
#include "annex/cli.h"
#include "annex/config.h"
#include "annex/err.h"

struct annex_session {
	const struct annex_opts *opts;
	struct annex_config *cfg;
	char *region;
	char *region_source;           /* "-aws-region", "-setup REGION", "AWS_REGION", "~/.aws/config, profile X", ... */
	/* The line naming the region on stderr: session_connect prints it
	 * unless region_line_later is set (-reap, silent when it has nothing
	 * to say, prints it itself with session_say_region). */
	int region_line_later, region_said;
	char *local_name;
	char *home;                    /* passwd home of the effective user */
	struct aws_ctx *aws;           /* NULL until session_connect */
	/* key files in use (NULL when credentials come from elsewhere) and
	 * whether they are condor_annex's default pair found by -setup */
	char *access_key_file, *secret_key_file;
	int key_files_are_condor_default;
};

/* Reads the configuration (once), picks the region and sets the local
 * name. Validates the region before anything talks to AWS. The region,
 * first found: -aws-region, -setup REGION, ANNEX_DEFAULT_AWS_REGION
 * (configured, read without a local name), AWS_REGION,
 * AWS_DEFAULT_REGION, the AWS profile's region in the shared config file
 * (creds_profile_region), us-east-1. */
int session_open(struct annex_session *s, const struct annex_opts *o, struct annex_err *err);

/* session_open, but a region that is not a valid region name is kept
 * (for -config-val, which only reads the configuration with its local
 * name and must not fail on it). */
int session_open_any_region(struct annex_session *s, const struct annex_opts *o, struct annex_err *err);

/* session_open for a region the caller chose (-reap's recorded regions);
 * source says where it came from in the region line. */
int session_open_region(struct annex_session *s, const struct annex_opts *o, const char *region,
			const char *source, struct annex_err *err);

/* region_source when nothing names a region. */
#define SESSION_REGION_DEFAULT "annex's default: nothing names a region"

/* Prints, once, "annex: region R (from SOURCE)" on stderr (stdout is
 * flushed first, and stays clean for -json and -classad). */
void session_say_region(struct annex_session *s);

/* Only reads the configuration, for a command that talks to no AWS service
 * (`annex off`): the local name is that of -aws-region when given, else
 * none; region is NULL then. Close with session_close. */
int session_open_config(struct annex_session *s, const struct annex_opts *o, struct annex_err *err);

/* Resolves credentials and builds the AWS context. for_setup lets the
 * chain use condor_annex's ~/.condor key pair. */
int session_connect(struct annex_session *s, int for_setup, struct annex_err *err);

/* A knob's value through the registry (knobs.h: knobs_get_str): 1 with
 * *value (malloc'd; the registry's default when nothing sets it), 0 not
 * set (*value NULL), -1 on an error (a bad $INT() say; "Internal" for a
 * name the registry does not hold). */
int session_knob(const struct annex_session *s, const char *name, char **value, struct annex_err *err);
/* Same, NULL on "not set" or error (for optional knobs); aborts with an
 * Internal error for a name the registry does not hold. */
char *session_knob_or_null(const struct annex_session *s, const char *name);

/* The AWS layer's retry settings from the knobs ANNEX_MAX_ATTEMPTS,
 * ANNEX_RETRY_BASE_MS, ANNEX_RETRY_CAP_MS, ANNEX_IAM_WAIT_S and the time
 * limits ANNEX_CONNECT_TIMEOUT, ANNEX_REQUEST_TIMEOUT,
 * ANNEX_COMMAND_TIMEOUT and ANNEX_SLOW_CALL_NOTICE (each range-checked: -1
 * with a "Config" error naming the knob and where it was set). */
struct aws_retry_settings;
int session_retry_settings(const struct annex_session *s, struct aws_retry_settings *rs, struct annex_err *err);

/* prompt_yes_no (prompt.h), after which the command's deadline
 * (ANNEX_COMMAND_TIMEOUT) starts again: the time the user takes to answer
 * is not taken from the AWS work that follows. */
int session_prompt_yes_no(struct annex_session *s, const char *question, struct annex_err *err);

void session_close(struct annex_session *s);

#endif
