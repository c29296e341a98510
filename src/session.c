/* session.c - config, region, local name, credentials and the AWS context
 * every AWS-facing command needs (see include/annex/session.h). */
#include "annex/session.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "annex/creds.h"

static int nonempty(const char *s)
{
	return s && *s;
}

int session_open(struct annex_session *s, const struct annex_opts *o, struct annex_err *err)
{
	struct config_load_opts lo;
	struct passwd *pw = getpwuid(geteuid());
	char *v = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	s->opts = o;
	s->home = xstrdup(pw && pw->pw_dir ? pw->pw_dir : "/");
	memset(&lo, 0, sizeof(lo));
	lo.subsystem = "ANNEX";
	if (config_load(&s->cfg, &lo, err) != 0)
		return -1;

	/* The region is read before any local name exists. */
	if (nonempty(o->region)) {
		s->region = xstrdup(o->region);
		s->region_source = "-aws-region";
	} else if (nonempty(o->setup_region)) {
		s->region = xstrdup(o->setup_region);
		s->region_source = "-setup REGION";
	} else if (config_is_configured(s->cfg, "ANNEX_DEFAULT_AWS_REGION") &&
		   (rc = config_get(s->cfg, "ANNEX_DEFAULT_AWS_REGION", &v, err)) != 0) {
		if (rc < 0)
			return -1;
		s->region = v;
		s->region_source = "ANNEX_DEFAULT_AWS_REGION";
	} else if (nonempty(getenv("AWS_REGION"))) {
		s->region = xstrdup(getenv("AWS_REGION"));
		s->region_source = "AWS_REGION";
	} else if (nonempty(getenv("AWS_DEFAULT_REGION"))) {
		s->region = xstrdup(getenv("AWS_DEFAULT_REGION"));
		s->region_source = "AWS_DEFAULT_REGION";
	} else {
		s->region = xstrdup("us-east-1");
		s->region_source = "default";
	}
	if (aws_region_validate(s->region, err) != 0)
		return annex_err_prefix(err, "region '%s' (from %s)", s->region, s->region_source);
	s->local_name = config_local_name_from_region(s->region);
	return config_set_local_name(s->cfg, s->local_name, err);
}

int session_knob(const struct annex_session *s, const char *name, char **value, struct annex_err *err)
{
	*value = NULL;
	return config_get(s->cfg, name, value, err);
}

char *session_knob_or_null(const struct annex_session *s, const char *name)
{
	struct annex_err e;
	char *v = NULL;

	if (config_get(s->cfg, name, &v, &e) != 1)
		return NULL;
	return v;
}

/* A configured knob (set by a file or the environment, not a table default). */
static char *configured(const struct annex_session *s, const char *name)
{
	return config_is_configured(s->cfg, name) ? session_knob_or_null(s, name) : NULL;
}

int session_connect(struct annex_session *s, int for_setup, struct annex_err *err)
{
	const struct annex_opts *o = s->opts;
	struct creds_opts co;
	struct aws_ctx_opts ao;
	struct aws_creds creds;
	char *knob_access = NULL, *knob_secret = NULL;
	char *knob_url[AWS_N_SERVICES] = { 0 };
	int rc = -1;

	memset(&co, 0, sizeof(co));
	memset(&creds, 0, sizeof(creds));
	co.passwd_home = s->home;
	if (nonempty(o->access_key_file) || nonempty(o->secret_key_file)) {
		co.access_key_file = o->access_key_file;
		co.secret_key_file = o->secret_key_file;
		co.access_key_origin = o->key_files_from_setup ? "-setup ACCESS_KEY_FILE" : "-aws-access-key-file";
		co.secret_key_origin = o->key_files_from_setup ? "-setup SECRET_KEY_FILE" : "-aws-secret-key-file";
	} else if ((knob_access = configured(s, "ANNEX_DEFAULT_ACCESS_KEY_FILE"),
		    knob_secret = configured(s, "ANNEX_DEFAULT_SECRET_KEY_FILE"),
		    knob_access || knob_secret)) {
		co.access_key_file = knob_access;
		co.secret_key_file = knob_secret;
		co.access_key_origin = "ANNEX_DEFAULT_ACCESS_KEY_FILE";
		co.secret_key_origin = "ANNEX_DEFAULT_SECRET_KEY_FILE";
	}
	co.try_condor_default_pair = for_setup;
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
	ao.option_url[AWS_EC2] = o->ec2_url;
	ao.option_url[AWS_S3] = o->s3_url;
	ao.option_url[AWS_LAMBDA] = o->lambda_url;
	ao.option_url[AWS_EVENTS] = o->events_url;
	ao.option_url[AWS_IAM] = o->iam_url;
	ao.option_url[AWS_STS] = o->sts_url;
	ao.knob_url[AWS_EC2] = knob_url[AWS_EC2] = configured(s, "ANNEX_DEFAULT_EC2_URL");
	ao.knob_url[AWS_S3] = knob_url[AWS_S3] = configured(s, "ANNEX_DEFAULT_S3_URL");
	ao.knob_url[AWS_LAMBDA] = knob_url[AWS_LAMBDA] = configured(s, "ANNEX_DEFAULT_LAMBDA_URL");
	ao.knob_url[AWS_EVENTS] = knob_url[AWS_EVENTS] = configured(s, "ANNEX_DEFAULT_CWE_URL");
	rc = aws_ctx_new(&ao, &s->aws, err);
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
	free(s->local_name);
	free(s->home);
	free(s->access_key_file);
	free(s->secret_key_file);
	memset(s, 0, sizeof(*s));
}
