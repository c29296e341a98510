/* ownership.h - which of the resources that carry annex's tags are annex's
 * own, for -reap and -off: the rule the lease function applies too
 * (src/functions/lease.py, Owner; docs/security.md, "Forged tags"). Tags
 * only say where to look; anyone allowed ec2:CreateTags can forge them.
 *
 * - an instance is annex's when its instance profile is annex's node
 *   profile and either its launch ClientToken is its htcondor:AnnexId tag
 *   (annex's RunInstances sends the annex id) or it carries EC2's
 *   aws:ec2spot:fleet-request-id tag or, for an instance of an EC2 Fleet
 *   (CreateFleet), the aws:ec2:fleet-id tag (no user can create an aws:
 *   tag), or when it runs in one of its annex's own Spot Fleet requests
 *   (named by that tag, or listed by DescribeSpotFleetInstances) or EC2
 *   Fleets (named by aws:ec2:fleet-id, or listed in the fleet's Instances
 *   by DescribeFleets), whatever its profile; an instance with no
 *   htcondor:AnnexId tag (condor_annex's) needs annex's profile only;
 * - a Spot Fleet request is annex's when its IamFleetRole is annex's fleet
 *   role and its ClientToken, when shown, is its annex id;
 * - an EC2 Fleet is annex's when its ClientToken is its annex id or the
 *   on-demand fallback's token (launch_ec2fleet_fallback_token) and every
 *   launch template it names is htcondor-annex-<annex id>.
 *
 * Annex's node profile is HTCondorAnnex-InstanceProfile (of the account:
 * an instance carries only a profile of its own account) or the one
 * ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN names; annex's fleet role is
 * HTCondorAnnex-SpotFleetRole or the one ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN
 * names. The rule is pure; ownership_list_members asks AWS. */
#ifndef ANNEX_OWNERSHIP_H
#define ANNEX_OWNERSHIP_H

#include <stdio.h>

#include "annex/ec2.h"
#include "annex/inventory.h"

#define OWNERSHIP_LEFT_ALONE "not annex's (forged or foreign tags), left alone"

struct ownership {
	char *profile_arn;          /* ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN; NULL: unset */
	char *fleet_role_arn;       /* ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN; NULL: unset */
	struct ec2_ids members;     /* instances of annex's own fleets (ownership_list_members) */
	struct ec2_ids ec2_fleets;  /* annex's own EC2 Fleets, each "FLEET-ID ANNEX-ID" (ownership_list_members) */
	int ec2_fleets_listed;      /* DescribeFleets was asked (once per struct) */
	struct ec2_ids said;        /* ids already said to be left alone (ownership_set_aside) */
};

struct annex_session;

/* The knobs of the session (the struct owns copies). */
void ownership_init(struct ownership *o, const struct annex_session *s);
void ownership_free(struct ownership *o);

/* 1 when arn is annex's node profile / fleet role, else 0. */
int ownership_profile(const struct ownership *o, const char *arn);
int ownership_fleet_role(const struct ownership *o, const char *arn);
/* 1 when the fleet request / instance is annex's own (the rule above). */
int ownership_fleet(const struct ownership *o, const struct inventory_fleet *f);
/* 1 when the EC2 Fleet (DescribeFleets) is annex's own (the rule above). */
int ownership_ec2_fleet(const struct ec2_fleet *f);
int ownership_instance(const struct ownership *o, const struct inventory *inv, const struct inventory_instance *in);

/* Removes from inv every live instance and then every fleet request that
 * is not annex's own (an instance shutting down or terminated stays),
 * printing for each to out (when not NULL) the line "instance ID of annex
 * 'NAME': not annex's (forged or foreign tags), left alone.", once per id
 * for the life of o (a command that lists again, -off, says it once).
 * Returns how many it removed. */
size_t ownership_set_aside(struct ownership *o, struct inventory *inv, FILE *out);

/* DescribeSpotFleetInstances for each of inv's own fleet requests, not
 * cancelled, whose annex has an instance the rule cannot prove otherwise
 * (moto gives a fleet's instances neither the profile nor EC2's tag; AWS
 * gives both); the ids go to o->members. Then, once per o and only when a
 * live instance carrying aws:ec2:fleet-id is not proven otherwise,
 * DescribeFleets: annex's own EC2 Fleets go to o->ec2_fleets and their
 * instances to o->members. -1 with err on a failed call. */
int ownership_list_members(struct aws_ctx *ctx, struct ownership *o, const struct inventory *inv,
			   struct annex_err *err);
/* Its second part alone (DescribeFleets, once, when needed). */
int ownership_list_ec2_fleets(struct aws_ctx *ctx, struct ownership *o, const struct inventory *inv,
			      struct annex_err *err);

#endif
