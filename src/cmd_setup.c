/* cmd_setup.c - annex -setup: creates the AWS side once, idempotently and
 * resumably (every name is deterministic, every step looks before it
 * creates), and records what it made where HTCondor reads it back. Also
 * annex -setup -remove, which refuses while annexes run (unless -force).
 * With -dry-run both look (every read-only call runs) and print each call
 * they would make for what is missing or present (dryrun.h), and change
 * nothing. SPEC.md sections 3 and 5. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "annex/cmd.h"
#include "annex/condorsetup.h"
#include "annex/creds.h"
#include "annex/dryrun.h"
#include "annex/ec2.h"
#include "annex/embedded.h"
#include "annex/iam.h"
#include "annex/inventory.h"
#include "annex/knobfile.h"
#include "annex/knobs.h"
#include "annex/lambda.h"
#include "annex/progress.h"
#include "annex/prompt.h"
#include "annex/s3.h"
#include "annex/session.h"
#include "annex/setup.h"
#include "annex/setupnames.h"
#include "annex/sts.h"

char *setup_bucket_name(const char *account, const char *region)
{
	return xasprintf("htcondor-annex-%s-%s", account, region);
}

/* Where -setup records its knobs: the user config (0600) for a normal
 * user; 50-annex-setup in the first LOCAL_CONFIG_DIR (0644) for root; NULL
 * when root has no LOCAL_CONFIG_DIR. */
char *setup_knob_file(struct annex_session *s, mode_t *mode)
{
	const char *dir;

	if (geteuid() != 0) {
		*mode = 0600;
		return config_user_config_path(s->cfg) ? xstrdup(config_user_config_path(s->cfg)) : NULL;
	}
	*mode = 0644;
	dir = config_local_config_dirs(s->cfg);
	return dir ? xasprintf("%s/50-annex-setup", dir) : NULL;
}

static int record_knobs(struct setup_state *st, struct annex_err *err)
{
	struct annex_session *s = st->s;
	struct knob k[16];
	char *names[16] = { 0 };
	size_t n = 0;
	mode_t mode;
	char *path = setup_knob_file(s, &mode);
	int rc;

#define KNOB(knob_, value_) do { names[n] = xasprintf("%s." knob_, s->local_name); \
	k[n].name = names[n]; k[n].value = (value_); n++; } while (0)
	KNOB("ANNEX_DEFAULT_S3_BUCKET", st->bucket);
	KNOB("ANNEX_DEFAULT_ODI_LEASE_FUNCTION_ARN", st->function_arn);
	KNOB("ANNEX_DEFAULT_SFR_LEASE_FUNCTION_ARN", st->function_arn);
	KNOB("ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN", st->profile_arn);
	KNOB("ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN", st->fleet_role_arn);
	KNOB("ANNEX_DEFAULT_ODI_SECURITY_GROUP_IDS", st->group_id);
	KNOB("ANNEX_DEFAULT_CONNECTIVITY_FUNCTION_ARN", st->conn_function_arn);
	if (s->access_key_file && (s->key_files_are_condor_default || s->opts->key_files_from_setup)) {
		KNOB("ANNEX_DEFAULT_ACCESS_KEY_FILE", s->access_key_file);
		KNOB("ANNEX_DEFAULT_SECRET_KEY_FILE", s->secret_key_file);
	} else if (s->opts->setup_from_instance) {
		/* as condor_annex records -setup FROM INSTANCE: later commands use the role */
		KNOB("ANNEX_DEFAULT_ACCESS_KEY_FILE", CREDS_FROM_INSTANCE);
		KNOB("ANNEX_DEFAULT_SECRET_KEY_FILE", CREDS_FROM_INSTANCE);
	}
	/* how -reap finds every set-up region (setupregions.h) */
	KNOB("ANNEX_SETUP_REGION", s->region);
#undef KNOB
	if ((s->opts->setup_region || s->opts->region) &&
	    !knobs_is_configured(s->cfg, "ANNEX_DEFAULT_AWS_REGION")) {
		k[n].name = "ANNEX_DEFAULT_AWS_REGION";
		k[n].value = s->region;
		n++;
	}
	if (s->opts->dry_run) {
		printf("dry-run: would record in %s:\n", path ? path : "(no file: printed for you to add)");
		for (size_t i = 0; i < n; i++)
			printf("  %s = %s\n", k[i].name, k[i].value ? k[i].value : "");
		rc = 0;
	} else if (!path) {
		char *header = knobfile_header(s->local_name);
		printf("As root, annex records its setup in a file of LOCAL_CONFIG_DIR, and none is configured.\n"
		       "Add these lines to your HTCondor configuration:\n%s\n", header);
		for (size_t i = 0; i < n; i++)
			printf("%s = %s\n", k[i].name, k[i].value);
		free(header);
		rc = 0;
	} else {
		rc = knobfile_write_block(path, s->local_name, k, n, mode, err);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(path);
	return rc;
}

static void state_free(struct setup_state *st)
{
	free(st->bucket);
	free(st->lease_role_arn);
	free(st->function_arn);
	free(st->node_role_arn);
	free(st->profile_arn);
	free(st->fleet_role_arn);
	free(st->group_id);
	free(st->node_profile);
	free(st->conn_role_arn);
	free(st->conn_function_arn);
	condorsetup_free(&st->cs);
}

static int identify(struct setup_state *st, struct annex_err *err)
{
	struct sts_identity id;

	if (sts_get_caller_identity(st->s->aws, &id, err) != 0)
		return -1;
	snprintf(st->account, sizeof(st->account), "%s", id.account);
	snprintf(st->partition, sizeof(st->partition), "%s", id.partition);
	st->bucket = setup_bucket_name(st->account, st->s->region);
	return 0;
}

int cmd_setup(const struct annex_opts *o, struct annex_err *err)
{
	struct annex_session s;
	struct setup_state st;
	int rc = -1;

	memset(&st, 0, sizeof(st));
	if (session_open(&s, o, err) != 0)
		goto out;
	st.s = &s;
	if (o->setup_url)
		printf("Note: annex uses no CloudFormation; ignoring the URL '%s'.\n", o->setup_url);
	if (session_connect(&s, 1, err) != 0 || identify(&st, err) != 0)
		goto out;
	if (o->setup_remove) {
		rc = setup_remove(&st, err);
		goto out;
	}
	if (condorsetup_find(s.cfg, s.local_name, &st.cs, err) < 0)
		goto out;
	st.condor_pieces = condorsetup_pieces(&st.cs, s.cfg);
	if (setup_create(&st, err) != 0)
		goto out;
	if (record_knobs(&st, err) != 0)
		goto out;
	puts(o->dry_run ? "Dry run: nothing was created or changed." : "Setup successful.");
	rc = 0;
out:
	state_free(&st);
	session_close(&s);
	return rc;
}

