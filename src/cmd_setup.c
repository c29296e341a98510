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
#include "annex/setupnames.h"
#include "annex/sts.h"

char *setup_bucket_name(const char *account, const char *region)
{
	return xasprintf("htcondor-annex-%s-%s", account, region);
}

/* A policy document from policies/, with ${Partition}, ${Region} and
 * ${AccountId} filled in. */
static char *policy_doc(const char *file, const char *partition, const char *region, const char *account,
			struct annex_err *err)
{
	char *path = xasprintf("policies/%s", file);
	const struct annex_embedded *e = embedded_find(path);
	struct buf out = BUF_INIT;
	static const struct { const char *key; int which; } vars[] = {
		{ "${Partition}", 0 }, { "${Region}", 1 }, { "${AccountId}", 2 },
	};

	free(path);
	if (!e) {
		annex_err_set(err, "Internal", "policy document %s is not built into annex", file);
		return NULL;
	}
	for (size_t i = 0; i < e->len;) {
		size_t k;
		for (k = 0; k < sizeof(vars) / sizeof(vars[0]); k++) {
			size_t kl = strlen(vars[k].key);
			if (i + kl <= e->len && memcmp(e->data + i, vars[k].key, kl) == 0) {
				buf_puts(&out, vars[k].which == 0 ? partition : vars[k].which == 1 ? region : account);
				i += kl;
				break;
			}
		}
		if (k == sizeof(vars) / sizeof(vars[0]))
			buf_putc(&out, e->data[i++]);
	}
	return buf_steal(&out);
}

struct setup_state {
	struct annex_session *s;
	char account[32];
	char partition[16];
	char *bucket;
	char *lease_role_arn, *function_arn, *node_role_arn, *profile_arn, *fleet_role_arn, *group_id;
	struct condorsetup cs;        /* condor_annex's -setup block, if any */
	int condor_pieces;            /* CONDORSETUP_* bits in effect from it */
};

/* One of setup's independent chains (the bucket; the lease role and
 * function; the node role and instance profile; the fleet role; the
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
	if (c->begun && c->notes == 0)
		progress_printf(c->pg, c->step, " missing; would call:\n");
	progress_printf(c->pg, c->step, "  %s", line);
	c->notes++;
	free(line);
	buf_free(&b);
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
	c->begun = 0;
	return rc;
}

static int ensure_role(struct setup_chain *c, const char *name, const char *trust_file,
		       const char *policy_name, const char *policy_file, const char *description,
		       char **arn, struct annex_err *err)
{
	struct setup_state *st = c->st;
	struct aws_ctx *ctx = c->ctx;
	char *doc = NULL;
	int rc, have;

	if ((rc = iam_get_role(ctx, name, arn, err)) < 0)
		return -1;
	if (rc == 0 && dry(c)) {
		would(c, "IAM", "CreateRole", "RoleName=%s AssumeRolePolicyDocument=policies/%s", name, trust_file);
		*arn = xasprintf("arn:%s:iam::%s:role/%s", st->partition, st->account, name);
		if (policy_file)
			would(c, "IAM", "PutRolePolicy", "RoleName=%s PolicyName=%s PolicyDocument=policies/%s", name,
			      policy_name, policy_file);
		return 0;
	}
	if (rc == 0) {
		if (!(doc = policy_doc(trust_file, st->partition, st->s->region, st->account, err)))
			return -1;
		rc = iam_create_role(ctx, name, doc, description, arn, err);
		free(doc);
		if (rc != 0)
			return -1;
	}
	if (!policy_file)
		return 0;
	if ((have = iam_has_role_policy(ctx, name, policy_name, err)) < 0)
		return -1;
	if (have)
		return 0;
	if (dry(c)) {
		would(c, "IAM", "PutRolePolicy", "RoleName=%s PolicyName=%s PolicyDocument=policies/%s", name,
		      policy_name, policy_file);
		return 0;
	}
	if (!(doc = policy_doc(policy_file, st->partition, st->s->region, st->account, err)))
		return -1;
	rc = iam_put_role_policy(ctx, name, policy_name, doc, err);
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
	const struct annex_embedded *zip = embedded_find("lambda.zip");
	struct lambda_function_spec spec;
	char *source_arn;
	int rc, fn_new = 0;

	if (ensure_role(c, SETUP_LEASE_ROLE, "lease-function-trust.json", SETUP_LEASE_POLICY,
			"lease-function-policy.json", "annex lease function: ends expired annexes",
			&st->lease_role_arn, err) != 0)
		return -1;
	if ((rc = lambda_get_function(ctx, SETUP_LEASE_FUNCTION, &st->function_arn, err)) < 0)
		return -1;
	if (rc == 0 && dry(c)) {
		would(c, "Lambda", "CreateFunction", "FunctionName=%s Role=%s Runtime=python3.12 Handler=lease.handler "
		      "ZipFile=(%zu bytes)", SETUP_LEASE_FUNCTION, st->lease_role_arn, zip ? zip->len : 0);
		st->function_arn = xasprintf("arn:%s:lambda:%s:%s:function:%s", st->partition, st->s->region,
					     st->account, SETUP_LEASE_FUNCTION);
		fn_new = 1;
	} else if (rc == 0) {
		if (!zip)
			return annex_err_set(err, "Internal", "the lease function's zip is not built into annex");
		memset(&spec, 0, sizeof(spec));
		spec.name = SETUP_LEASE_FUNCTION;
		spec.role_arn = st->lease_role_arn;
		spec.runtime = "python3.12";
		spec.handler = "lease.handler";
		spec.description = "annex: terminates annexes whose lease has expired";
		spec.zip = zip->data;
		spec.zip_len = zip->len;
		spec.timeout_s = 60;
		if (lambda_create_function(ctx, &spec, &create, &st->function_arn, err) != 0)
			return -1;
	}
	if (fn_new)
		rc = 0;     /* the function does not exist yet: nor does its permission */
	else if ((rc = lambda_has_permission(ctx, SETUP_LEASE_FUNCTION, SETUP_LEASE_PERMISSION, err)) < 0)
		return -1;
	if (rc == 1)
		return 0;
	source_arn = xasprintf("arn:%s:events:%s:%s:rule/*", st->partition, st->s->region, st->account);
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

static int ensure_instance_profile(struct setup_chain *c, struct annex_err *err)
{
	struct setup_state *st = c->st;
	struct aws_ctx *ctx = c->ctx;
	int rc, has_role = 0;

	if (ensure_role(c, SETUP_NODE_ROLE, "node-trust.json", SETUP_NODE_POLICY,
			embedded_find("policies/node-policy.json") ? "node-policy.json" : NULL,
			"annex execute nodes", &st->node_role_arn, err) != 0)
		return -1;
	rc = iam_get_instance_profile(ctx, SETUP_INSTANCE_PROFILE, SETUP_NODE_ROLE, &st->profile_arn, &has_role, err);
	if (rc < 0)
		return -1;
	if (dry(c)) {
		if (rc == 0) {
			would(c, "IAM", "CreateInstanceProfile", "InstanceProfileName=%s", SETUP_INSTANCE_PROFILE);
			st->profile_arn = xasprintf("arn:%s:iam::%s:instance-profile/%s", st->partition, st->account,
						    SETUP_INSTANCE_PROFILE);
		}
		if (!has_role)
			would(c, "IAM", "AddRoleToInstanceProfile", "InstanceProfileName=%s RoleName=%s",
			      SETUP_INSTANCE_PROFILE, SETUP_NODE_ROLE);
		return 0;
	}
	if (rc == 0 && iam_create_instance_profile(ctx, SETUP_INSTANCE_PROFILE, &st->profile_arn, err) != 0)
		return -1;
	if (!has_role)
		return iam_add_role_to_instance_profile(ctx, SETUP_INSTANCE_PROFILE, SETUP_NODE_ROLE, err);
	return 0;
}

/* The fleet role, and EC2 Spot's service-linked role
 * (AWSServiceRoleForEC2Spot), without which a fleet cannot launch Spot
 * Instances in an account that never used Spot. */
static int ensure_fleet_role(struct setup_chain *c, struct annex_err *err)
{
	if (ensure_role(c, SETUP_FLEET_ROLE, "spot-fleet-trust.json", SETUP_FLEET_POLICY,
			"spot-fleet-policy.json", "annex Spot Fleets", &c->st->fleet_role_arn, err) != 0)
		return -1;
	if (dry(c)) {
		int rc = iam_service_linked_role_exists(c->ctx, "spot.amazonaws.com", err);
		if (rc == 0)
			would(c, "IAM", "CreateServiceLinkedRole", "AWSServiceName=spot.amazonaws.com");
		return rc < 0 ? -1 : 0;
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
	else
		rc = rc < 0 ? -1 : 0;
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

/* Where -setup records its knobs: the user config (0600) for a normal
 * user; 50-annex-setup in the first LOCAL_CONFIG_DIR (0644) for root; NULL
 * when root has no LOCAL_CONFIG_DIR. */
static char *knob_file(struct annex_session *s, mode_t *mode)
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
	struct knob k[12];
	char *names[12] = { 0 };
	size_t n = 0;
	mode_t mode;
	char *path = knob_file(s, &mode);
	int rc;

#define KNOB(knob_, value_) do { names[n] = xasprintf("%s." knob_, s->local_name); \
	k[n].name = names[n]; k[n].value = (value_); n++; } while (0)
	KNOB("ANNEX_DEFAULT_S3_BUCKET", st->bucket);
	KNOB("ANNEX_DEFAULT_ODI_LEASE_FUNCTION_ARN", st->function_arn);
	KNOB("ANNEX_DEFAULT_SFR_LEASE_FUNCTION_ARN", st->function_arn);
	KNOB("ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN", st->profile_arn);
	KNOB("ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN", st->fleet_role_arn);
	KNOB("ANNEX_DEFAULT_ODI_SECURITY_GROUP_IDS", st->group_id);
	if (s->access_key_file && (s->key_files_are_condor_default || s->opts->key_files_from_setup)) {
		KNOB("ANNEX_DEFAULT_ACCESS_KEY_FILE", s->access_key_file);
		KNOB("ANNEX_DEFAULT_SECRET_KEY_FILE", s->secret_key_file);
	} else if (s->opts->setup_from_instance) {
		/* as condor_annex records -setup FROM INSTANCE: later commands use the role */
		KNOB("ANNEX_DEFAULT_ACCESS_KEY_FILE", CREDS_FROM_INSTANCE);
		KNOB("ANNEX_DEFAULT_SECRET_KEY_FILE", CREDS_FROM_INSTANCE);
	}
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

static int setup_chain_task(struct aws_ctx *ctx, void *ud, struct annex_err *err)
{
	struct setup_chain *c = ud;
	int rc;

	c->ctx = ctx;
	rc = c->run(c, err);
	progress_done(c->pg, c->step);
	return rc;
}

/* Runs the chains side by side (after GetCallerIdentity, they depend on
 * nothing but themselves), so setup takes as many round trips as its
 * longest chain rather than the sum of all. Every chain runs to its end
 * even when another fails (what they make costs nothing and a next setup
 * reuses it); the first failed chain in the listed order gives the error. */
static int setup_create(struct setup_state *st, struct annex_err *err)
{
	static int (*const run[])(struct setup_chain *, struct annex_err *) = {
		chain_bucket, chain_lease_function, chain_instance_profile, chain_fleet_role,
		chain_security_group,
	};
	enum { N_CHAINS = sizeof(run) / sizeof(run[0]) };
	struct setup_chain chains[N_CHAINS];
	struct aws_task tasks[N_CHAINS];
	struct progress *pg;
	int rc;

	fflush(stdout);
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

static int setup_remove(struct setup_state *st, struct annex_err *err);

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

/* The annexes that still run in the region (live instances, Spot Fleet
 * requests not cancelled), one line each on stdout; their number. -1 when
 * the listing fails. */
static int running_annexes(struct setup_state *st, struct annex_err *err)
{
	struct inventory_opts io = { .live_only = 1 };
	struct inventory inv;
	int n = 0;

	inventory_init(&inv, &io);
	if (inventory_list_fleets(st->s->aws, &inv, err) != 0 || inventory_list_instances(st->s->aws, &inv, err) != 0) {
		inventory_free(&inv);
		return -1;
	}
	inventory_sort(&inv);
	for (size_t i = 0, f = 0; i < inv.n_inst || f < inv.n_fleets;) {
		/* both lists are sorted by annex name: walk them together, one annex at a time */
		const char *a = i < inv.n_inst ? inv.inst[i].annex : inv.fleets[f].annex;
		size_t ni = 0, nf = 0;
		if (f < inv.n_fleets && strcmp(inv.fleets[f].annex, a) < 0)
			a = inv.fleets[f].annex;
		for (; i < inv.n_inst && strcmp(inv.inst[i].annex, a) == 0; i++)
			ni++;
		for (; f < inv.n_fleets && strcmp(inv.fleets[f].annex, a) == 0; f++)
			if (strncmp(inv.fleets[f].state, "cancelled", 9) != 0)
				nf++;
		if (ni + nf == 0)
			continue;
		if (n++ == 0)
			printf("Annexes still running in %s (without the lease function nothing ends them when their "
			       "lease runs out):\n", st->s->region);
		printf("  %s: %zu instance%s, %zu Spot Fleet request%s\n", a, ni, ni == 1 ? "" : "s", nf,
		       nf == 1 ? "" : "s");
	}
	inventory_free(&inv);
	return n;
}

/* -setup -remove -dry-run: what the removal would delete, by looking. */
static int setup_remove_plan(struct setup_state *st, struct annex_err *err)
{
	static const char *const roles[] = { SETUP_LEASE_ROLE, SETUP_NODE_ROLE, SETUP_FLEET_ROLE };
	struct aws_ctx *ctx = st->s->aws;
	char *arn = NULL, *vpc = NULL, *group = NULL;
	int has_role = 0, rc;
	mode_t mode;
	char *path;

	if ((rc = lambda_get_function(ctx, SETUP_LEASE_FUNCTION, &arn, err)) == 1)
		dryrun_note("Lambda", "DeleteFunction", "FunctionName=%s", SETUP_LEASE_FUNCTION);
	free(arn);
	arn = NULL;
	if (rc >= 0 && (rc = iam_get_instance_profile(ctx, SETUP_INSTANCE_PROFILE, SETUP_NODE_ROLE, &arn, &has_role,
						      err)) == 1) {
		if (has_role)
			dryrun_note("IAM", "RemoveRoleFromInstanceProfile", "InstanceProfileName=%s RoleName=%s",
				    SETUP_INSTANCE_PROFILE, SETUP_NODE_ROLE);
		dryrun_note("IAM", "DeleteInstanceProfile", "InstanceProfileName=%s", SETUP_INSTANCE_PROFILE);
	}
	free(arn);
	arn = NULL;
	for (size_t i = 0; rc >= 0 && i < sizeof(roles) / sizeof(roles[0]); i++) {
		if ((rc = iam_get_role(ctx, roles[i], &arn, err)) == 1)
			dryrun_note("IAM", "DeleteRole", "RoleName=%s (after DeleteRolePolicy / DetachRolePolicy for "
				    "each of its policies)", roles[i]);
		free(arn);
		arn = NULL;
	}
	if (rc >= 0 && (rc = ec2_default_vpc(ctx, &vpc, err)) == 0 &&
	    (rc = ec2_find_security_group(ctx, SETUP_SECURITY_GROUP, vpc, &group, err)) == 1)
		dryrun_note("EC2", "DeleteSecurityGroup", "GroupId=%s (%s)", group, SETUP_SECURITY_GROUP);
	if (rc >= 0 && (rc = s3_bucket_exists(ctx, st->bucket, err)) == 1)
		dryrun_note("S3", "DeleteBucket", "Bucket=%s", st->bucket);
	free(vpc);
	free(group);
	if (rc < 0)
		return -1;
	path = knob_file(st->s, &mode);
	if (path)
		printf("dry-run: would remove annex's block for %s from %s\n", st->s->local_name, path);
	free(path);
	puts("Dry run: nothing was removed.");
	return 0;
}

/* -setup -remove: deletes exactly what setup made, by its names, after
 * asking (unless -yes). Each piece already gone is skipped. */
static int setup_remove(struct setup_state *st, struct annex_err *err)
{
	static const char *const roles[] = { SETUP_LEASE_ROLE, SETUP_NODE_ROLE, SETUP_FLEET_ROLE };
	struct aws_ctx *ctx = st->s->aws;
	char *vpc = NULL, *group = NULL, *profile = NULL;
	int has_role = 0;
	mode_t mode;
	char *path;
	int rc;

	if ((rc = running_annexes(st, err)) < 0)
		return annex_err_prefix(err, "listing the annexes that still run");
	if (rc > 0 && !st->s->opts->force)
		return annex_err_set(err, "AnnexesRunning", "refusing to remove the setup while %d annex%s still "
				     "run%s in %s: end %s first ('annex -off -annex-name NAME'), or give -force to remove "
				     "it anyway", rc, rc == 1 ? "" : "es", rc == 1 ? "s" : "", st->s->region,
				     rc == 1 ? "it" : "them");
	if (rc > 0)
		puts("Removing the setup anyway (-force).");
	if (st->s->opts->dry_run)
		return setup_remove_plan(st, err);
	printf("This deletes annex's setup in %s: the bucket %s, the function %s, the roles %s, %s and %s,\n"
	       "the instance profile %s and the security group %s.\n",
	       st->s->region, st->bucket, SETUP_LEASE_FUNCTION, SETUP_LEASE_ROLE, SETUP_NODE_ROLE,
	       SETUP_FLEET_ROLE, SETUP_INSTANCE_PROFILE, SETUP_SECURITY_GROUP);
	if (!st->s->opts->yes) {
		int yes = prompt_yes_no("Is that OK?  (Type 'yes' or 'no'): ", err);
		if (yes < 0)
			return -1;
		if (!yes) {
			puts("Not removing the setup; user did not confirm.");
			return annex_err_set(err, "Declined", "setup not removed");
		}
	}
	rc = lambda_delete_function(ctx, SETUP_LEASE_FUNCTION, err);
	/* a profile holding a role cannot be deleted; RemoveRoleFromInstanceProfile
	 * only when it does hold it (an interrupted removal may have done it) */
	if (rc == 0 && (rc = iam_get_instance_profile(ctx, SETUP_INSTANCE_PROFILE, SETUP_NODE_ROLE, &profile,
						      &has_role, err)) == 1) {
		rc = has_role ? iam_remove_role_from_instance_profile(ctx, SETUP_INSTANCE_PROFILE, SETUP_NODE_ROLE,
								      err) : 0;
		if (rc == 0)
			rc = iam_delete_instance_profile(ctx, SETUP_INSTANCE_PROFILE, err);
	}
	/* a role with policies cannot be deleted: its inline policies go first
	 * (the node role has none unless the user added some) */
	for (size_t i = 0; rc == 0 && i < sizeof(roles) / sizeof(roles[0]); i++)
		if ((rc = iam_empty_role(ctx, roles[i], err)) == 0)
			rc = iam_delete_role(ctx, roles[i], err);
	if (rc == 0 && (rc = ec2_default_vpc(ctx, &vpc, err)) == 0 &&
	    (rc = ec2_find_security_group(ctx, SETUP_SECURITY_GROUP, vpc, &group, err)) == 1)
		rc = ec2_delete_security_group(ctx, group, err);
	if (rc == 0)
		rc = s3_delete_bucket(ctx, st->bucket, err);
	free(vpc);
	free(group);
	free(profile);
	if (rc != 0)
		return -1;
	path = knob_file(st->s, &mode);
	if (path && knobfile_remove_block(path, st->s->local_name, mode, err) != 0) {
		free(path);
		return -1;
	}
	free(path);
	puts("Setup removed.");
	return 0;
}
