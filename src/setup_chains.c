/* setup_chains.c - what annex -setup creates, as seven independent chains
 * run side by side (the bucket; the lease role, then the function and its
 * permission; the connectivity function's role, then the function; the
 * node role, then the instance profile; the fleet role and
 * EC2 Spot's service-linked role; the security group; the lease rules of
 * existing annexes). Every step looks before it creates, and brings what
 * exists in line with this version (setup_drift.h: only what differs is
 * changed); a piece condor_annex's setup made is used where it still
 * exists; -dry-run prints the calls it would make instead. See
 * include/annex/setup.h. */
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
#include "annex/setup_drift.h"
#include "annex/setupnames.h"
#include "annex/sts.h"
#include "annex/setup.h"

/* One of setup's independent chains (the bucket; the lease role and
 * function; the connectivity role and function; the node role and
 * instance profile; the fleet role; the
 * security group), run beside the others by aws_run_parallel on a context
 * of its own. A chain writes only its own fields of the shared state, and
 * prints through pg, which shows every chain's lines in this order. */
struct setup_chain {
	struct setup_state *st;
	struct progress *pg;
	size_t step;
	struct aws_ctx *ctx;          /* the chain's own (aws_run_parallel) */
	int (*run)(struct setup_chain *c, struct annex_err *err);
	int begun, notes;             /* -dry-run: a step is open; calls noted in it */
	struct drift drift;           /* what differs from this version, corrected (setup_drift.h) */
	struct buf held;              /* the corrections (or the -dry-run notes of a deferred step) */
	int deferred;                 /* the step prints only when something differs (the lease rules) */
	int failed;                   /* the step failed: its differences are not corrected */
};

static int dry(const struct setup_chain *c)
{
	return c->st->s->opts->dry_run;
}

/* -dry-run: the call the chain would make, printed in its place (after
 * " missing; would call:" on the step's line, for the first one). */
static void would(struct setup_chain *c, const char *service, const char *action, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void would(struct setup_chain *c, const char *service, const char *action, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	char *line;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	line = dryrun_line(service, action, "%s", buf_cstr(&b));
	if (c->deferred) {
		buf_printf(&c->held, "  %s", line);
	} else {
		if (c->begun && c->notes == 0)
			progress_printf(c->pg, c->step, " missing; would call:\n");
		progress_printf(c->pg, c->step, "  %s", line);
	}
	c->notes++;
	free(line);
	buf_free(&b);
}

/* A difference from this version (setup_drift.h): under -dry-run shown at
 * once with the calls that would correct it; else held, and shown after
 * the step's line as corrected (or, when the step failed, as differing). */
static void chain_differs(void *ud, const char *line)
{
	struct setup_chain *c = ud;

	if (dry(c) && !c->deferred) {
		if (c->begun && c->notes == 0)
			progress_printf(c->pg, c->step, " differs from this version; would call:\n");
		progress_printf(c->pg, c->step, "  differs: %s\n", line);
		c->notes++;
		return;
	}
	buf_printf(&c->held, "  %s: %s\n", dry(c) ? "differs" : "corrected", line);
	c->notes += dry(c);
}

static void chain_would(void *ud, const char *service, const char *action, const char *params)
{
	would(ud, service, action, "%s", params);
}

/* Progress lines in condor_annex's words: "Creating X.." then " complete."
 * (or " failed."), shown at once while this chain is the first unfinished
 * one, so that a slow step shows what it waits for. */
static void step_begin(struct setup_chain *c, const char *what)
{
	progress_printf(c->pg, c->step, "%s %s..", dry(c) ? "Checking" : "Creating", what);
	c->begun = 1;
	c->notes = 0;
}

static int step_end(struct setup_chain *c, int rc)
{
	if (dry(c) && rc == 0)
		progress_printf(c->pg, c->step, "%s", c->notes ? "" : " present.\n");
	else if (dry(c) && c->notes)
		progress_printf(c->pg, c->step, "  failed.\n");
	else
		progress_printf(c->pg, c->step, "%s\n", rc == 0 ? " complete." : " failed.");
	if (c->held.len && rc != 0) {
		/* nothing after the failure was corrected: say what still differs */
		for (char *p = strstr(c->held.data, "  corrected: "); p; p = strstr(p, "  corrected: "))
			memcpy(p, "  differs:   ", 13);
	}
	progress_printf(c->pg, c->step, "%s", buf_cstr(&c->held));
	buf_reset(&c->held);
	c->begun = 0;
	return rc;
}

/* One of annex's roles: created with its trust and inline policy when
 * missing, else brought in line with them (setup_drift.c). */
static int ensure_role(struct setup_chain *c, const struct setup_role_want *w, char **arn, struct annex_err *err)
{
	struct setup_state *st = c->st;
	struct aws_ctx *ctx = c->ctx;
	char *doc = NULL, *trust = NULL;
	int rc;

	if ((rc = iam_get_role_trust(ctx, w->name, arn, &trust, err)) < 0)
		return -1;
	if (rc == 1) {
		rc = drift_role(&c->drift, w, trust, err);
		free(trust);
		return rc;
	}
	if (dry(c)) {
		would(c, "IAM", "CreateRole", "RoleName=%s AssumeRolePolicyDocument=policies/%s", w->name, w->trust_file);
		*arn = xasprintf("arn:%s:iam::%s:role/%s", st->partition, st->account, w->name);
		if (w->policy_file)
			would(c, "IAM", "PutRolePolicy", "RoleName=%s PolicyName=%s PolicyDocument=policies/%s", w->name,
			      w->policy_name, w->policy_file);
		return 0;
	}
	if (!(doc = setup_policy_doc(w->trust_file, st->partition, st->s->region, st->account, st->node_profile,
				     err)))
		return -1;
	rc = iam_create_role(ctx, w->name, doc, w->description, arn, err);
	free(doc);
	if (rc != 0 || !w->policy_file)
		return rc;
	if (!(doc = setup_policy_doc(w->policy_file, st->partition, st->s->region, st->account, st->node_profile,
				     err)))
		return -1;
	rc = iam_put_role_policy(ctx, w->name, w->policy_name, doc, err);
	free(doc);
	return rc;
}

static int ensure_bucket(struct setup_chain *c, struct annex_err *err)
{
	int rc = s3_bucket_exists(c->ctx, c->st->bucket, err);

	if (rc < 0)
		return -1;
	if (rc == 0 && dry(c)) {
		would(c, "S3", "CreateBucket", "Bucket=%s", c->st->bucket);
		return 0;
	}
	return rc == 1 ? 0 : s3_create_bucket(c->ctx, c->st->bucket, err);
}

/* The progress line's note before the first wait for IAM. */
static void lease_iam_notice(void *ud, long limit_s)
{
	struct setup_chain *c = ud;

	(void)limit_s;
	progress_printf(c->pg, c->step, " (waiting for IAM to make the new role usable)");
}

static int ensure_lease_function(struct setup_chain *c, struct annex_err *err)
{
	/* IAM propagation: only CreateFunction is resent, bounded (aws_retry.h) */
	const struct aws_call create = {
		.iam_wait = "the role " SETUP_LEASE_ROLE " (for Lambda)", .iam_notice = lease_iam_notice, .ud = c,
	};
	struct setup_state *st = c->st;
	struct aws_ctx *ctx = c->ctx;
	const struct annex_embedded *zip = setup_function_zip();
	struct lambda_function_spec spec;
	struct setup_function_env env[SETUP_FUNCTION_ENV_N];
	json_object *config = NULL;
	char *source_arn, *statement = NULL;
	int rc, fn_new = 0;

	if (ensure_role(c, &setup_lease_role, &st->lease_role_arn, err) != 0)
		return -1;
	if ((rc = lambda_get_function_config(ctx, SETUP_LEASE_FUNCTION, &config, err)) < 0)
		return -1;
	if (rc == 1) {
		st->function_arn = xstrdup(json_object_get_string(json_object_object_get(config, "FunctionArn")));
		struct setup_function_want w = {
			.name = SETUP_LEASE_FUNCTION, .handler = SETUP_FUNCTION_HANDLER,
			.timeout_s = SETUP_FUNCTION_TIMEOUT, .role_arn = st->lease_role_arn, .env = env,
			.n_env = SETUP_FUNCTION_ENV_N,
		};
		setup_function_env(st->partition, st->account, st->node_profile, env);
		rc = drift_function(&c->drift, &w, config, err);
		setup_function_env_free(env);
		json_object_put(config);
		if (rc != 0)
			return -1;
	} else if (dry(c)) {
		/* the environment: what the function takes as annex's own (lease.py, Owner) */
		setup_function_env(st->partition, st->account, st->node_profile, env);
		would(c, "Lambda", "CreateFunction", "FunctionName=%s Role=%s Runtime=%s Handler=%s ZipFile=(%zu bytes) "
		      "Environment.%s=%s Environment.%s=%s", SETUP_LEASE_FUNCTION, st->lease_role_arn,
		      SETUP_FUNCTION_RUNTIME, SETUP_FUNCTION_HANDLER, zip ? zip->len : 0, env[0].key, env[0].value,
		      env[1].key, env[1].value);
		setup_function_env_free(env);
		st->function_arn = xasprintf("arn:%s:lambda:%s:%s:function:%s", st->partition, st->s->region,
					     st->account, SETUP_LEASE_FUNCTION);
		fn_new = 1;
	} else {
		if (!zip)
			return annex_err_set(err, "Internal", "the lease function's zip is not built into annex");
		memset(&spec, 0, sizeof(spec));
		spec.name = SETUP_LEASE_FUNCTION;
		spec.role_arn = st->lease_role_arn;
		spec.runtime = SETUP_FUNCTION_RUNTIME;
		spec.handler = SETUP_FUNCTION_HANDLER;
		spec.description = SETUP_FUNCTION_DESCRIPTION;
		spec.zip = zip->data;
		spec.zip_len = zip->len;
		spec.timeout_s = SETUP_FUNCTION_TIMEOUT;
		setup_function_env(st->partition, st->account, st->node_profile, env);
		for (size_t i = 0; i < SETUP_FUNCTION_ENV_N; i++) {
			spec.env[i].key = env[i].key;
			spec.env[i].value = env[i].value;
		}
		spec.n_env = SETUP_FUNCTION_ENV_N;
		rc = lambda_create_function(ctx, &spec, &create, &st->function_arn, err);
		setup_function_env_free(env);
		if (rc != 0) {
			/* "already exists": a resend whose first attempt's reply was
			 * lost made it (or another setup did); use it */
			struct annex_err e2;
			annex_err_clear(&e2);
			if (strcmp(err->code, "ResourceConflictException") != 0 ||
			    lambda_get_function(ctx, SETUP_LEASE_FUNCTION, &st->function_arn, &e2) != 1)
				return -1;
			annex_err_clear(err);
		}
	}
	source_arn = xasprintf("arn:%s:events:%s:%s:rule/*", st->partition, st->s->region, st->account);
	if (fn_new)
		rc = 0;     /* the function does not exist yet: nor does its permission */
	else if ((rc = lambda_get_permission(ctx, SETUP_LEASE_FUNCTION, SETUP_LEASE_PERMISSION, &statement, err)) < 0) {
		free(source_arn);
		return -1;
	}
	if (rc == 1) {
		rc = drift_permission(&c->drift, SETUP_LEASE_FUNCTION, st->function_arn, SETUP_LEASE_PERMISSION,
				      statement, source_arn, err);
		free(statement);
		free(source_arn);
		return rc;
	}
	if (dry(c)) {
		would(c, "Lambda", "AddPermission", "FunctionName=%s StatementId=%s Principal=events.amazonaws.com "
		      "SourceArn=%s", SETUP_LEASE_FUNCTION, SETUP_LEASE_PERMISSION, source_arn);
		free(source_arn);
		return 0;
	}
	rc = lambda_add_permission(ctx, SETUP_LEASE_FUNCTION, SETUP_LEASE_PERMISSION, "events.amazonaws.com",
				   source_arn, st->account, err);
	free(source_arn);
	return rc;
}

/* The connectivity function (issue 19; docs/network.md): the same zip as
 * the lease function (every Python file of src/functions/), its own
 * handler, and a role that may only write the function's own logs (the
 * role and the function are compared and corrected like the lease
 * function's: setup_drift.h). Nothing
 * invokes it but annex itself (-check-setup, launch), so it has no
 * resource policy. */
static int ensure_connectivity_function(struct setup_chain *c, struct annex_err *err)
{
	const struct aws_call create = {
		.iam_wait = "the role " SETUP_CONN_ROLE " (for Lambda)", .iam_notice = lease_iam_notice, .ud = c,
	};
	struct setup_state *st = c->st;
	const struct annex_embedded *zip = setup_function_zip();
	struct lambda_function_spec spec;
	json_object *config = NULL;
	int rc;

	if (ensure_role(c, &setup_conn_role, &st->conn_role_arn, err) != 0)
		return -1;
	if ((rc = lambda_get_function_config(c->ctx, SETUP_CONN_FUNCTION, &config, err)) < 0)
		return -1;
	if (rc == 1) {
		/* compared and corrected like the lease function (no environment) */
		const struct setup_function_want w = {
			.name = SETUP_CONN_FUNCTION, .handler = SETUP_CONN_HANDLER, .timeout_s = SETUP_CONN_TIMEOUT,
			.role_arn = st->conn_role_arn,
		};
		st->conn_function_arn = xstrdup(json_object_get_string(json_object_object_get(config, "FunctionArn")));
		rc = drift_function(&c->drift, &w, config, err);
		json_object_put(config);
		return rc;
	}
	if (dry(c)) {
		would(c, "Lambda", "CreateFunction", "FunctionName=%s Role=%s Runtime=%s Handler=%s ZipFile=(%zu bytes)",
		      SETUP_CONN_FUNCTION, st->conn_role_arn, SETUP_FUNCTION_RUNTIME, SETUP_CONN_HANDLER,
		      zip ? zip->len : 0);
		st->conn_function_arn = xasprintf("arn:%s:lambda:%s:%s:function:%s", st->partition, st->s->region,
						  st->account, SETUP_CONN_FUNCTION);
		return 0;
	}
	if (!zip)
		return annex_err_set(err, "Internal", "the Lambda functions' zip is not built into annex");
	memset(&spec, 0, sizeof(spec));
	spec.name = SETUP_CONN_FUNCTION;
	spec.role_arn = st->conn_role_arn;
	spec.runtime = SETUP_FUNCTION_RUNTIME;
	spec.handler = SETUP_CONN_HANDLER;
	spec.description = "annex: can AWS reach the pool's collector? (DC_QUERY_INSTANCE)";
	spec.zip = zip->data;
	spec.zip_len = zip->len;
	spec.timeout_s = SETUP_CONN_TIMEOUT;
	if (lambda_create_function(c->ctx, &spec, &create, &st->conn_function_arn, err) != 0) {
		/* "already exists": a resend whose first attempt's reply was lost
		 * made it (or another setup did); use it, as the lease chain does */
		struct annex_err e2;
		annex_err_clear(&e2);
		if (strcmp(err->code, "ResourceConflictException") != 0 ||
		    lambda_get_function(c->ctx, SETUP_CONN_FUNCTION, &st->conn_function_arn, &e2) != 1)
			return -1;
		annex_err_clear(err);
	}
	return 0;
}

static int ensure_instance_profile(struct setup_chain *c, struct annex_err *err)
{
	struct setup_state *st = c->st;
	struct aws_ctx *ctx = c->ctx;
	int rc, has_role = 0;

	if (ensure_role(c, &setup_node_role, &st->node_role_arn, err) != 0)
		return -1;
	rc = iam_get_instance_profile(ctx, SETUP_INSTANCE_PROFILE, SETUP_NODE_ROLE, &st->profile_arn, &has_role, err);
	if (rc < 0)
		return -1;
	if (rc == 1)      /* it exists: it holds the node role and no other */
		return has_role ? 0 : drift_profile(&c->drift, SETUP_INSTANCE_PROFILE, SETUP_NODE_ROLE, err);
	if (dry(c)) {
		would(c, "IAM", "CreateInstanceProfile", "InstanceProfileName=%s", SETUP_INSTANCE_PROFILE);
		st->profile_arn = xasprintf("arn:%s:iam::%s:instance-profile/%s", st->partition, st->account,
					    SETUP_INSTANCE_PROFILE);
		would(c, "IAM", "AddRoleToInstanceProfile", "InstanceProfileName=%s RoleName=%s",
		      SETUP_INSTANCE_PROFILE, SETUP_NODE_ROLE);
		return 0;
	}
	if (iam_create_instance_profile(ctx, SETUP_INSTANCE_PROFILE, &st->profile_arn, err) != 0)
		return -1;
	return iam_add_role_to_instance_profile(ctx, SETUP_INSTANCE_PROFILE, SETUP_NODE_ROLE, err);
}

/* The fleet role, and EC2 Spot's service-linked role
 * (AWSServiceRoleForEC2Spot), without which a fleet cannot launch Spot
 * Instances in an account that never used Spot. */
static int ensure_fleet_role(struct setup_chain *c, struct annex_err *err)
{
	int rc;

	if (ensure_role(c, &setup_fleet_role, &c->st->fleet_role_arn, err) != 0)
		return -1;
	/* look first, like every step, so that a second setup changes nothing */
	rc = iam_service_linked_role_exists(c->ctx, "spot.amazonaws.com", err);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (dry(c)) {
		would(c, "IAM", "CreateServiceLinkedRole", "AWSServiceName=spot.amazonaws.com");
		return 0;
	}
	return iam_ensure_service_linked_role(c->ctx, "spot.amazonaws.com", err);
}

/* -ssh-cidr: inbound TCP 22 from the CIDR (noted under -dry-run). */
static int allow_ssh(struct setup_chain *c, const char *group_id, struct annex_err *err)
{
	const char *cidr = c->st->s->opts->ssh_cidr;

	if (!dry(c))
		return ec2_allow_ssh(c->ctx, group_id, cidr, err);
	would(c, "EC2", "AuthorizeSecurityGroupIngress", "GroupId=%s IpProtocol=tcp FromPort=22 ToPort=22 CidrIp=%s",
	      group_id, cidr);
	return 0;
}

/* An existing group's rules against this version's (setup_drift.c). */
static int group_in_line(struct setup_chain *c, const char *group_id, struct annex_err *err)
{
	struct ec2_group_rules rules;
	int rc = ec2_group_rules(c->ctx, group_id, NULL, &rules, err);

	if (rc == 1)
		rc = drift_group(&c->drift, group_id, &rules, c->st->s->opts->ssh_cidr, err);
	ec2_group_rules_free(&rules);
	return rc < 0 ? -1 : 0;
}

static int ensure_security_group(struct setup_chain *c, struct annex_err *err)
{
	struct setup_state *st = c->st;
	struct aws_ctx *ctx = c->ctx;
	char *vpc = NULL;
	int rc;

	if (ec2_default_vpc(ctx, &vpc, err) != 0)
		return -1;
	rc = ec2_find_security_group(ctx, SETUP_SECURITY_GROUP, vpc, &st->group_id, err);
	if (rc == 0 && dry(c)) {
		would(c, "EC2", "CreateSecurityGroup", "GroupName=%s VpcId=%s", SETUP_SECURITY_GROUP, vpc);
		st->group_id = xstrdup("<the new group's id>");
	} else if (rc == 0)
		rc = ec2_create_security_group(ctx, SETUP_SECURITY_GROUP,
					       "annex execute nodes: no inbound traffic (nodes connect out)",
					       vpc, &st->group_id, err);
	else if (rc == 1)
		rc = group_in_line(c, st->group_id, err);
	else
		rc = -1;
	free(vpc);
	if (rc == 0 && st->s->opts->ssh_cidr && *st->s->opts->ssh_cidr)
		rc = allow_ssh(c, st->group_id, err);
	return rc;
}

/* condor_annex's pieces (SPEC.md section 5, issue 10): when the knobs in
 * effect come from condor_annex's -setup block and name a bucket, an
 * instance profile or security groups that exist, annex uses them rather
 * than making its own beside them. Each returns 1 reused, 0 not (annex
 * makes its own), -1 on an AWS error. */
static int reuse_bucket(struct setup_chain *c, struct annex_err *err)
{
	struct setup_state *st = c->st;
	const char *name = condorsetup_value(&st->cs, "ANNEX_DEFAULT_S3_BUCKET");
	int rc;

	if (!(st->condor_pieces & CONDORSETUP_BUCKET))
		return 0;
	if ((rc = s3_bucket_exists(c->ctx, name, err)) <= 0) {
		if (rc == 0)
			progress_printf(c->pg, c->step, "condor_annex's configuration bucket %s does not exist; annex makes its own.\n", name);
		return rc;
	}
	free(st->bucket);
	st->bucket = xstrdup(name);
	progress_printf(c->pg, c->step, "Reusing condor_annex's configuration bucket %s.\n", name);
	return 1;
}

static int reuse_instance_profile(struct setup_chain *c, struct annex_err *err)
{
	struct setup_state *st = c->st;
	const char *arn = condorsetup_value(&st->cs, "ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN");
	int rc, has_role = 0;

	if (!(st->condor_pieces & CONDORSETUP_PROFILE))
		return 0;
	rc = iam_get_instance_profile(c->ctx, iam_arn_name(arn), NULL, &st->profile_arn, &has_role, err);
	if (rc <= 0) {
		if (rc == 0)
			progress_printf(c->pg, c->step, "condor_annex's instance profile %s does not exist; annex makes its own.\n",
			       iam_arn_name(arn));
		free(st->profile_arn);
		st->profile_arn = NULL;
		return rc;
	}
	progress_printf(c->pg, c->step, "Reusing condor_annex's instance profile %s.\n", iam_arn_name(arn));
	return 1;
}

static int reuse_security_group(struct setup_chain *c, struct annex_err *err)
{
	struct setup_state *st = c->st;
	const char *ids = condorsetup_value(&st->cs, "ANNEX_DEFAULT_ODI_SECURITY_GROUP_IDS");
	char *list, *save = NULL, *first = NULL;
	int rc = 1;

	if (!(st->condor_pieces & CONDORSETUP_GROUP))
		return 0;
	list = xstrdup(ids);
	for (char *id = strtok_r(list, ", ", &save); id && rc == 1; id = strtok_r(NULL, ", ", &save)) {
		if (!first)
			first = id;
		if ((rc = ec2_security_group_exists(c->ctx, id, err)) == 0)
			progress_printf(c->pg, c->step, "condor_annex's security group %s does not exist; annex makes its own.\n", id);
	}
	if (rc == 1 && first && st->s->opts->ssh_cidr && *st->s->opts->ssh_cidr)
		rc = allow_ssh(c, first, err) == 0 ? 1 : -1;
	if (rc == 1 && first) {
		st->group_id = xstrdup(ids);
		progress_printf(c->pg, c->step, "Reusing condor_annex's security group %s.\n", ids);
	}
	free(list);
	return first ? rc : 0;
}

/* The chains; each looks before it creates. A piece condor_annex's setup
 * made is used instead of annex's own where it still exists. */
static int chain_bucket(struct setup_chain *c, struct annex_err *err)
{
	int r = reuse_bucket(c, err);

	if (r != 0)
		return r < 0 ? -1 : 0;
	step_begin(c, "configuration bucket");
	return step_end(c, ensure_bucket(c, err));
}

static int chain_lease_function(struct setup_chain *c, struct annex_err *err)
{
	step_begin(c, "Lambda functions");
	return step_end(c, ensure_lease_function(c, err));
}

static int chain_connectivity_function(struct setup_chain *c, struct annex_err *err)
{
	step_begin(c, "connectivity function");
	return step_end(c, ensure_connectivity_function(c, err));
}

static int chain_instance_profile(struct setup_chain *c, struct annex_err *err)
{
	int r = reuse_instance_profile(c, err);

	if (r != 0)
		return r < 0 ? -1 : 0;
	step_begin(c, "instance profile");
	return step_end(c, ensure_instance_profile(c, err));
}

static int chain_fleet_role(struct setup_chain *c, struct annex_err *err)
{
	step_begin(c, "Spot Fleet role");
	return step_end(c, ensure_fleet_role(c, err));
}

static int chain_security_group(struct setup_chain *c, struct annex_err *err)
{
	int r = reuse_security_group(c, err);

	if (r != 0)
		return r < 0 ? -1 : 0;
	step_begin(c, "security group");
	return step_end(c, ensure_security_group(c, err));
}

/* The lease rules of annexes launched before (launch makes them, not
 * setup; they must keep invoking annex's function): shown only when one
 * differs from what launch makes. */
static int chain_lease_rules(struct setup_chain *c, struct annex_err *err)
{
	struct setup_state *st = c->st;
	char *arn = xasprintf("arn:%s:lambda:%s:%s:function:%s", st->partition, st->s->region, st->account,
			      SETUP_LEASE_FUNCTION);
	int rc;

	c->deferred = 1;
	rc = drift_lease_rules(&c->drift, arn, err);
	free(arn);
	if (c->held.len) {
		progress_printf(c->pg, c->step, "%s annexes' lease rules..", dry(c) ? "Checking" : "Correcting");
		c->begun = 1;
		if (dry(c))
			progress_printf(c->pg, c->step, " differ from what launch makes; would call:\n");
		step_end(c, rc);
	}
	return rc;
}

static int setup_chain_task(struct aws_ctx *ctx, void *ud, struct annex_err *err)
{
	struct setup_chain *c = ud;
	int rc;

	c->ctx = ctx;
	c->drift = (struct drift){
		.mode = dry(c) ? DRIFT_PLAN : DRIFT_FIX, .ctx = ctx, .partition = c->st->partition,
		.region = c->st->s->region, .account = c->st->account, .node_profile = c->st->node_profile,
		.differs = chain_differs, .would = chain_would, .ud = c,
	};
	rc = c->run(c, err);
	progress_done(c->pg, c->step);
	buf_free(&c->held);
	return rc;
}

/* Runs the chains side by side (after GetCallerIdentity, they depend on
 * nothing but themselves), so setup takes as many round trips as its
 * longest chain rather than the sum of all. Every chain runs to its end
 * even when another fails (what they make costs nothing and a next setup
 * reuses it); the first failed chain in the listed order gives the error. */
int setup_create(struct setup_state *st, struct annex_err *err)
{
	static int (*const run[])(struct setup_chain *, struct annex_err *) = {
		chain_bucket, chain_lease_function, chain_connectivity_function, chain_instance_profile,
		chain_fleet_role, chain_security_group, chain_lease_rules,
	};
	enum { N_CHAINS = sizeof(run) / sizeof(run[0]) };
	struct setup_chain chains[N_CHAINS];
	struct aws_task tasks[N_CHAINS];
	struct progress *pg;
	int rc;

	fflush(stdout);
	/* read once here: the chains run on threads of their own */
	free(st->node_profile);
	st->node_profile = session_knob_or_null(st->s, "ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN");
	pg = progress_new(stdout, N_CHAINS);
	memset(tasks, 0, sizeof(tasks));
	for (size_t i = 0; i < N_CHAINS; i++) {
		chains[i] = (struct setup_chain){ .st = st, .pg = pg, .step = i, .run = run[i] };
		tasks[i].fn = setup_chain_task;
		tasks[i].ud = &chains[i];
	}
	rc = aws_run_parallel(st->s->aws, tasks, N_CHAINS);
	progress_free(pg);
	for (size_t i = 0; rc != 0 && i < N_CHAINS; i++)
		if (tasks[i].rc != 0) {
			*err = tasks[i].err;
			return -1;
		}
	return rc;
}
