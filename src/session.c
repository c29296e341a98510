/* session.c - config, region, local name, credentials and the AWS context
 * every AWS-facing command needs (see include/annex/session.h). */
#include "annex/session.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "annex/creds.h"
#include "annex/knobs.h"
#include "annex/prompt.h"

static int nonempty(const char *s)
{
	return s && *s;
}

/* The region given on the command line, or NULL. */
static const char *session_option_region(const struct annex_opts *o, const char **source)
{
	if (nonempty(o->region)) {
		*source = "-aws-region";
		return o->region;
	}
	if (nonempty(o->setup_region)) {
		*source = "-setup REGION";
		return o->setup_region;
	}
	return NULL;
}

/* Reads the configuration, with the local name of region when given. */
static int session_load(struct annex_session *s, const struct annex_opts *o, const char *region,
			struct annex_err *err)
{
	struct config_load_opts lo;
	struct passwd *pw = getpwuid(geteuid());

	memset(s, 0, sizeof(*s));
	s->opts = o;
	s->home = xstrdup(pw && pw->pw_dir ? pw->pw_dir : "/");
	if (region)
		s->local_name = config_local_name_from_region(region);
	memset(&lo, 0, sizeof(lo));
	lo.subsystem = "ANNEX";
	lo.local_name = s->local_name;
	return config_load(&s->cfg, &lo, err);
}

/* The region when nothing on the command line names one, in SPEC.md
 * section 3's order with the AWS profile's region after
 * AWS_DEFAULT_REGION: ANNEX_DEFAULT_AWS_REGION (read without a local
 * name, configured only), AWS_REGION, AWS_DEFAULT_REGION (AWS_REGION
 * first, as the AWS CLI v2 and the SDKs), the profile's region in the
 * shared config file, us-east-1. Sets s->region and s->region_source. */
static int session_pick_region(struct annex_session *s, struct annex_err *err)
{
	char *v = NULL, *where = NULL;
	int rc;

	if ((rc = knobs_get_str(s->cfg, "ANNEX_DEFAULT_AWS_REGION", &v, err)) != 0) {
		char *src;
		if (rc < 0)
			return -1;
		src = knobs_source(s->cfg, "ANNEX_DEFAULT_AWS_REGION");
		s->region = v;
		s->region_source = src ? xasprintf("ANNEX_DEFAULT_AWS_REGION, %s", src)
				       : xstrdup("ANNEX_DEFAULT_AWS_REGION");
		free(src);
	} else if (nonempty(getenv("AWS_REGION"))) {
		s->region = xstrdup(getenv("AWS_REGION"));
		s->region_source = xstrdup("AWS_REGION");
	} else if (nonempty(getenv("AWS_DEFAULT_REGION"))) {
		s->region = xstrdup(getenv("AWS_DEFAULT_REGION"));
		s->region_source = xstrdup("AWS_DEFAULT_REGION");
	} else if ((rc = creds_profile_region(&v, &where, err)) != 0) {
		if (rc < 0)
			return -1;
		s->region = v;
		s->region_source = where;
	} else {
		s->region = xstrdup("us-east-1");
		s->region_source = xstrdup(SESSION_REGION_DEFAULT);
	}
	return 0;
}

/* The configuration is read once: with the local name of the region the
 * command line gives; else without a local name, to read the region from
 * it, and then the local name is set, which reads the files again only
 * when their reading depends on it (config_set_local_name). */
static int session_open_with(struct annex_session *s, const struct annex_opts *o, const char *given,
			     const char *source, int validate, struct annex_err *err)
{
	if (session_load(s, o, given, err) != 0)
		return -1;

	/* The region is read before any local name exists. */
	if (given) {
		s->region = xstrdup(given);
		s->region_source = xstrdup(source);
	} else if (session_pick_region(s, err) != 0) {
		return -1;
	}
	if (validate && aws_region_validate(s->region, err) != 0)
		return annex_err_prefix(err, "region '%s' (from %s)", s->region, s->region_source);
	if (given)
		return 0;
	s->local_name = config_local_name_from_region(s->region);
	return config_set_local_name(s->cfg, s->local_name, err);
}

int session_open(struct annex_session *s, const struct annex_opts *o, struct annex_err *err)
{
	const char *source = NULL, *given = session_option_region(o, &source);

	return session_open_with(s, o, given, source, 1, err);
}

int session_open_any_region(struct annex_session *s, const struct annex_opts *o, struct annex_err *err)
{
	const char *source = NULL, *given = session_option_region(o, &source);

	return session_open_with(s, o, given, source, 0, err);
}

int session_open_region(struct annex_session *s, const struct annex_opts *o, const char *region,
			const char *source, struct annex_err *err)
{
	return session_open_with(s, o, region, source, 1, err);
}

void session_say_region(struct annex_session *s)
{
	if (s->region_said || !s->region)
		return;
	s->region_said = 1;
	fflush(stdout);
	if (strcmp(s->region_source, SESSION_REGION_DEFAULT) == 0)
		fprintf(stderr, "annex: region %s (%s)\n", s->region, s->region_source);
	else
		fprintf(stderr, "annex: region %s (from %s)\n", s->region, s->region_source);
}

int session_open_config(struct annex_session *s, const struct annex_opts *o, struct annex_err *err)
{
	const char *source = NULL, *given = session_option_region(o, &source);

	if (session_load(s, o, given, err) != 0)
		return -1;
	if (given) {
		s->region = xstrdup(given);
		s->region_source = xstrdup(source);
	}
	return 0;
}

int session_knob(const struct annex_session *s, const char *name, char **value, struct annex_err *err)
{
	*value = NULL;
	return knobs_get_str(s->cfg, name, value, err);
}

char *session_knob_or_null(const struct annex_session *s, const char *name)
{
	struct annex_err e;
	char *v = NULL;

	knobs_require(name);
	annex_err_clear(&e);
	if (knobs_get_str(s->cfg, name, &v, &e) != 1)
		return NULL;
	return v;
}

int session_retry_settings(const struct annex_session *s, struct aws_retry_settings *rs, struct annex_err *err)
{
	long attempts, base_ms, cap_ms, iam_wait_s, connect_s, request_s, command_s, notice_s;

	/* each has a default, so 0 (not set) cannot happen */
	if (knobs_get_long(s->cfg, "ANNEX_MAX_ATTEMPTS", &attempts, err) != 1 ||
	    knobs_get_long(s->cfg, "ANNEX_RETRY_BASE_MS", &base_ms, err) != 1 ||
	    knobs_get_long(s->cfg, "ANNEX_RETRY_CAP_MS", &cap_ms, err) != 1 ||
	    knobs_get_long(s->cfg, "ANNEX_IAM_WAIT_S", &iam_wait_s, err) != 1 ||
	    knobs_get_long(s->cfg, "ANNEX_CONNECT_TIMEOUT", &connect_s, err) != 1 ||
	    knobs_get_long(s->cfg, "ANNEX_REQUEST_TIMEOUT", &request_s, err) != 1 ||
	    knobs_get_long(s->cfg, "ANNEX_COMMAND_TIMEOUT", &command_s, err) != 1 ||
	    knobs_get_long(s->cfg, "ANNEX_SLOW_CALL_NOTICE", &notice_s, err) != 1)
		return -1;
	memset(rs, 0, sizeof(*rs));
	rs->max_attempts = (int)attempts;
	rs->base_ms = base_ms;
	rs->cap_ms = cap_ms;
	rs->iam_wait_ms = iam_wait_s * 1000;
	rs->connect_timeout_ms = connect_s * 1000;
	rs->request_timeout_ms = request_s * 1000;
	rs->command_timeout_ms = command_s * 1000;
	rs->notice_ms = notice_s * 1000;
	return 0;
}

int session_prompt_yes_no(struct annex_session *s, const char *question, struct annex_err *err)
{
	int yes = prompt_yes_no(question, err);

	/* the deadline bounds unattended AWS work: not the user's answer */
	if (s->aws)
		aws_ctx_restart_deadline(s->aws);
	return yes;
}

int session_connect(struct annex_session *s, int for_setup, struct annex_err *err)
{
	const struct annex_opts *o = s->opts;
	struct creds_opts co;
	struct aws_ctx_opts ao;
	struct aws_creds creds;
	struct aws_retry_settings rs;
	char *knob_access = NULL, *knob_secret = NULL;
	char *knob_url[AWS_N_SERVICES] = { 0 };
	int rc = -1;

	memset(&co, 0, sizeof(co));
	memset(&creds, 0, sizeof(creds));
	if (session_retry_settings(s, &rs, err) != 0)
		return -1;
	co.passwd_home = s->home;
	if (nonempty(o->access_key_file) || nonempty(o->secret_key_file)) {
		co.access_key_file = o->access_key_file;
		co.secret_key_file = o->secret_key_file;
		co.access_key_origin = o->key_files_from_setup ? "-setup ACCESS_KEY_FILE" : "-aws-access-key-file";
		co.secret_key_origin = o->key_files_from_setup ? "-setup SECRET_KEY_FILE" : "-aws-secret-key-file";
	} else if ((knob_access = session_knob_or_null(s, "ANNEX_DEFAULT_ACCESS_KEY_FILE"),
		    knob_secret = session_knob_or_null(s, "ANNEX_DEFAULT_SECRET_KEY_FILE"),
		    knob_access || knob_secret)) {
		co.access_key_file = knob_access;
		co.secret_key_file = knob_secret;
		co.access_key_origin = "ANNEX_DEFAULT_ACCESS_KEY_FILE";
		co.secret_key_origin = "ANNEX_DEFAULT_SECRET_KEY_FILE";
	}
	co.try_condor_default_pair = for_setup;
	if (knobs_get_long(s->cfg, "ANNEX_CREDENTIAL_PROCESS_TIMEOUT", &co.process_timeout_ms, err) < 0)
		goto out;
	co.process_timeout_ms *= 1000;
	if (creds_resolve(&co, &creds, err) != 0)
		goto out;
	if (creds.kind == CREDS_KEY_FILES || creds.kind == CREDS_CONDOR_DEFAULT) {
		s->access_key_file = creds.access_key_path ? xstrdup(creds.access_key_path) : NULL;
		s->secret_key_file = creds.secret_key_path ? xstrdup(creds.secret_key_path) : NULL;
		s->key_files_are_condor_default = creds.kind == CREDS_CONDOR_DEFAULT;
	}

	memset(&ao, 0, sizeof(ao));
	ao.region = s->region;
	ao.creds = &creds;
	ao.debug = o->debug;
	ao.retry = &rs;
	ao.option_url[AWS_EC2] = o->ec2_url;
	ao.option_url[AWS_S3] = o->s3_url;
	ao.option_url[AWS_LAMBDA] = o->lambda_url;
	ao.option_url[AWS_EVENTS] = o->events_url;
	ao.option_url[AWS_IAM] = o->iam_url;
	ao.option_url[AWS_STS] = o->sts_url;
	ao.knob_url[AWS_EC2] = knob_url[AWS_EC2] = session_knob_or_null(s, "ANNEX_DEFAULT_EC2_URL");
	ao.knob_url[AWS_S3] = knob_url[AWS_S3] = session_knob_or_null(s, "ANNEX_DEFAULT_S3_URL");
	ao.knob_url[AWS_LAMBDA] = knob_url[AWS_LAMBDA] = session_knob_or_null(s, "ANNEX_DEFAULT_LAMBDA_URL");
	ao.knob_url[AWS_EVENTS] = knob_url[AWS_EVENTS] = session_knob_or_null(s, "ANNEX_DEFAULT_CWE_URL");
	rc = aws_ctx_new(&ao, &s->aws, err);
	if (rc == 0 && !s->region_line_later)
		session_say_region(s);
out:
	creds_free(&creds);
	for (int i = 0; i < AWS_N_SERVICES; i++)
		free(knob_url[i]);
	free(knob_access);
	free(knob_secret);
	return rc;
}

void session_close(struct annex_session *s)
{
	if (s->aws)
		aws_ctx_free(s->aws);
	config_free(s->cfg);
	free(s->region);
	free(s->region_source);
	free(s->local_name);
	free(s->home);
	free(s->access_key_file);
	free(s->secret_key_file);
	memset(s, 0, sizeof(*s));
}
