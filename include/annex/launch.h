/* launch.h - the launch engine (SPEC.md sections 6-8).
 *
 * A command plans a launch into a struct launch_spec (what to start, with
 * which user-data, lease and tags) and picks a back-end: the way AWS is
 * asked to start it (launch_ondemand: RunInstances; launch_spotfleet:
 * a launch template, then RequestSpotFleet; launch_ec2fleet: a launch
 * template, then an instant CreateFleet).
 * launch_run() then registers the lease rule, calls the back-end and, when
 * the launch fails halfway, takes the one undo path: it ends what this
 * launch started (found by its htcondor:AnnexId tag), removes the lease
 * rule only when nothing of the launch can still be running, and otherwise
 * says exactly what runs and how to end it.
 *
 *   struct launch_ctx ctx = { aws, region, NULL, NULL };
 *   struct launch_result res;
 *   if (launch_run(&ctx, &spec, &launch_ondemand, &res, err) == 0) ... report res ...
 *   launch_result_free(&res);
 */
#ifndef ANNEX_LAUNCH_H
#define ANNEX_LAUNCH_H

#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

#include "annex/aws.h"
#include "annex/buf.h"
#include "annex/ec2.h"
#include "annex/err.h"

enum launch_market {
	LAUNCH_ON_DEMAND,
	LAUNCH_SPOT,
};

struct launch_tag {
	char *key, *value;
};

/* What a command asks for. Owns every pointer (launch_spec_free). */
struct launch_spec {
	char *annex_name;
	char *annex_id;              /* "NAME_<uuid>": the htcondor:AnnexId tag, the lease rule's name */
	char *client_token;          /* EC2's idempotency token (the annex id) */
	long count;                  /* instances (-count) or a fleet's target capacity (-slots) */
	long min_count;              /* fewest instances that make a launch (-min-count); 0: count */
	enum launch_market market;
	char **instance_types;       /* in the user's order (today one); none when a fleet config names them */
	size_t n_instance_types;
	char *image_id;              /* NULL when a fleet config names the images */
	struct buf user_data_b64;    /* secret (it carries the pool password): cleansed when freed */
	time_t lease_end;
	char lease_iso[21];          /* lease_end as ISO 8601 UTC */
	long idle_s;                 /* a node ends itself after this long unclaimed */
	char *owners;                /* whose jobs the nodes run; NULL: anyone's */
	struct launch_tag *tags;     /* on every instance and volume: annex's own, then -tag pairs */
	size_t n_tags;
	char *instance_profile_arn;
	char *security_group_ids;    /* comma- or space-separated */
	char *key_name;              /* NULL: no EC2 key pair */
	char *lease_function_arn;    /* what the lease rule runs */
	char *fleet_role_arn;        /* Spot Fleet: IamFleetRole */
	json_object *fleet_config;   /* Spot Fleet: the user's request config (-aws-spot-fleet-config-file) */
	int fleet_maintain;          /* Spot Fleet: Type maintain (replace ended nodes) instead of request */
	double budget_usd;           /* -max-cost: the htcondor:BudgetUSD tag; 0: none */
	char *price_tag;             /* the quoted prices (cost_price_tag): htcondor:PriceUSDPerHour; NULL: none */
	int types_prioritized;       /* EC2 Fleet: instance_types is in the user's order of preference
				        (-instance-types): on-demand allocation prioritized */
	int spot_fallback;           /* EC2 Fleet: -spot-fallback on-demand */
};

/* Zeroes spec and makes user_data_b64 a secret buffer. */
void launch_spec_init(struct launch_spec *spec);
void launch_spec_free(struct launch_spec *spec);
void launch_spec_add_type(struct launch_spec *spec, const char *type);
void launch_spec_add_tag(struct launch_spec *spec, const char *key, const char *value);
/* Adds annex's own tags from the spec's fields: htcondor:AnnexName,
 * AnnexId, LeaseExpiration, IdleTimeout, Owner (when owners),
 * BudgetUSD (when budget_usd), PriceUSDPerHour (when price_tag), Name. */
void launch_spec_add_annex_tags(struct launch_spec *spec);

/* What a launch started. */
struct launch_result {
	struct ec2_ids instances;    /* the instances started, when the back-end knows them at once */
	long started;                /* instances.n, or -1 when a fleet fills its capacity over time */
	char *fleet_id;              /* the fleet request, or NULL */
	char *rule_arn;              /* the lease rule, once registered */
	struct ec2_ids ec2_fleets;   /* the EC2 Fleets the launch's replies named */
};

void launch_result_free(struct launch_result *res);

/* What a launch left in the cloud, found by its htcondor:AnnexId tag. */
struct launch_found {
	struct ec2_ids instances;
	struct ec2_ids fleets;       /* fleet requests */
	struct ec2_ids templates;    /* launch templates (a fleet launch's) */
	struct ec2_ids ec2_fleets;   /* EC2 Fleets (CreateFleet) */
};

void launch_found_free(struct launch_found *found);

/* One way of asking AWS for the instances. Each call returns 0, or -1 with
 * err set; aws is whatever the engine's context holds. */
struct launch_backend {
	const char *name;            /* the AWS call, in messages: "RunInstances" */
	/* Prints the request launch() would send (dryrun_params), then sends
	 * it with DryRun=true; AWS's DryRunOperation error means it would
	 * have succeeded. */
	int (*dry_run)(struct aws_ctx *aws, const struct launch_spec *spec, struct annex_err *err);
	/* Starts the annex (res is zeroed, res->started -1); may print
	 * progress lines. On failure, whatever it may have started carries
	 * the annex id's tag, for find(). */
	int (*launch)(struct aws_ctx *aws, const struct launch_spec *spec, struct launch_result *res,
		      struct annex_err *err);
	/* Adds to found what carries spec->annex_id's tag and may still run. */
	int (*find)(struct aws_ctx *aws, const struct launch_spec *spec, struct launch_found *found,
		    struct annex_err *err);
	/* Ends all of found (fleet requests with their instances, then
	 * launch templates). */
	int (*undo)(struct aws_ctx *aws, const struct launch_spec *spec, const struct launch_found *found,
		    struct annex_err *err);
};

extern const struct launch_backend launch_ondemand;    /* launch_ondemand.c */
extern const struct launch_backend launch_spotfleet;   /* launch_spotfleet.c */

extern const struct launch_backend launch_ec2fleet;    /* launch_ec2fleet.c */

/* The ClientToken of an EC2 Fleet launch's on-demand fallback request
 * (-spot-fallback on-demand; malloc'd): "od-" + the first 61 characters of
 * the annex id, so that it differs from the first request's token (the
 * annex id) and fits EC2's 64. The ownership rule accepts it too. */
char *launch_ec2fleet_fallback_token(const char *annex_id);

/* The lease: a rule named by the annex id that runs the lease function
 * every five minutes. */
struct launch_lease {
	/* Registers the rule and its target; *rule_arn is set as soon as the
	 * rule exists, even when adding the target then fails. */
	int (*add)(struct aws_ctx *aws, const struct launch_spec *spec, char **rule_arn, struct annex_err *err);
	/* Removes the rule and its targets; a missing rule is no error. */
	int (*remove)(struct aws_ctx *aws, const char *rule, struct annex_err *err);
};

extern const struct launch_lease launch_lease_events;  /* EventBridge (events.c) */

struct launch_ctx {
	struct aws_ctx *aws;
	const char *region;                /* named in the commands the undo prints */
	const struct launch_lease *lease;  /* NULL: launch_lease_events */
	FILE *msg;                         /* where the undo speaks; NULL: stderr */
};

/* Registers the lease, then calls be->launch. When the lease cannot be
 * registered nothing is launched (err says so) and a half-made rule is
 * removed. When the launch fails, the undo path above runs and err keeps
 * the launch's error. res is always initialised: free it with
 * launch_result_free. */
int launch_run(const struct launch_ctx *ctx, const struct launch_spec *spec, const struct launch_backend *be,
	       struct launch_result *res, struct annex_err *err);

/* -dry-run: prints the lease rule's calls and the exact request be would
 * send (dryrun.h, secrets redacted), asks AWS whether it would be allowed
 * (DryRun=true) and prints the verdict; creates nothing. */
int launch_dry_run(const struct launch_ctx *ctx, const struct launch_spec *spec, const struct launch_backend *be,
		   struct annex_err *err);

#endif
