/* setup_remove.c - annex -setup -remove: deletes exactly what setup made,
 * by its names, after listing the annexes that still run (refused unless
 * -force) and asking (unless -yes). Each piece already gone is skipped.
 * See include/annex/setup.h. */
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
#include "annex/setup.h"

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
	static const char *const roles[] = { SETUP_LEASE_ROLE, SETUP_CONN_ROLE, SETUP_NODE_ROLE, SETUP_FLEET_ROLE };
	static const char *const functions[] = { SETUP_LEASE_FUNCTION, SETUP_CONN_FUNCTION };
	struct aws_ctx *ctx = st->s->aws;
	char *arn = NULL, *vpc = NULL, *group = NULL;
	int has_role = 0, rc;
	mode_t mode;
	char *path;

	for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++) {
		if ((rc = lambda_get_function(ctx, functions[i], &arn, err)) == 1)
			dryrun_note("Lambda", "DeleteFunction", "FunctionName=%s", functions[i]);
		free(arn);
		arn = NULL;
		if (rc < 0)
			break;
	}
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
	path = setup_knob_file(st->s, &mode);
	if (path)
		printf("dry-run: would remove annex's block for %s from %s\n", st->s->local_name, path);
	free(path);
	puts("Dry run: nothing was removed.");
	return 0;
}

/* -setup -remove: deletes exactly what setup made, by its names, after
 * asking (unless -yes). Each piece already gone is skipped. */
int setup_remove(struct setup_state *st, struct annex_err *err)
{
	static const char *const roles[] = { SETUP_LEASE_ROLE, SETUP_CONN_ROLE, SETUP_NODE_ROLE, SETUP_FLEET_ROLE };
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
	printf("This deletes annex's setup in %s: the bucket %s, the functions %s and %s, the roles %s, %s,\n"
	       "%s and %s, the instance profile %s and the security group %s.\n",
	       st->s->region, st->bucket, SETUP_LEASE_FUNCTION, SETUP_CONN_FUNCTION, SETUP_LEASE_ROLE,
	       SETUP_CONN_ROLE, SETUP_NODE_ROLE, SETUP_FLEET_ROLE, SETUP_INSTANCE_PROFILE, SETUP_SECURITY_GROUP);
	if (!st->s->opts->yes) {
		int yes = session_prompt_yes_no(st->s, "Is that OK?  (Type 'yes' or 'no'): ", err);
		if (yes < 0)
			return -1;
		if (!yes) {
			puts("Not removing the setup; user did not confirm.");
			return annex_err_set(err, "Declined", "setup not removed");
		}
	}
	rc = lambda_delete_function(ctx, SETUP_LEASE_FUNCTION, err);
	if (rc == 0)
		rc = lambda_delete_function(ctx, SETUP_CONN_FUNCTION, err);
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
	path = setup_knob_file(st->s, &mode);
	if (path && knobfile_remove_block(path, st->s->local_name, mode, err) != 0) {
		free(path);
		return -1;
	}
	free(path);
	puts("Setup removed.");
	return 0;
}
