/* ec2.h - the EC2 calls annex makes: the security group of -setup, and the
 * instances, images, Spot Fleets and launch templates of a launch. */
#ifndef ANNEX_EC2_H
#define ANNEX_EC2_H

#include <stddef.h>

#include "annex/aws.h"

struct ec2_ids {
	char **v;
	size_t n, cap;
};

void ec2_ids_add(struct ec2_ids *ids, const char *id);
void ec2_ids_free(struct ec2_ids *ids);

/* Sends an EC2 query action and frees p (the module's files share it:
 * ec2.c, ec2_images.c). */
int ec2_query(struct aws_ctx *ctx, const char *action, struct params *p, xmlDoc **doc,
	      struct annex_err *err);

#define EC2_TAG_ANNEX_NAME "htcondor:AnnexName"

/* annex's htcondor: tags of one resource (malloc'd values, NULL when absent). */
struct ec2_annex_tags {
	char *name, *id, *lease, *idle, *owner;
};

/* The value of the first tag named key in an EC2 <tagSet> (malloc'd), or
 * NULL; set may be NULL. */
char *ec2_tag_value(xmlNode *set, const char *key);

/* Reads htcondor:AnnexName, AnnexId, LeaseExpiration, IdleTimeout and Owner
 * from an EC2 <tagSet> (the first of each wins); set may be NULL. */
void ec2_read_annex_tags(xmlNode *set, struct ec2_annex_tags *t);
void ec2_annex_tags_free(struct ec2_annex_tags *t);

/* Adds Filter.1 selecting annex resources: tag:htcondor:AnnexName = name,
 * or, with name NULL, every resource carrying that tag key. */
void ec2_add_annex_filter(struct params *p, const char *name);

/* The default VPC's id; an account without one gets a message saying so. */
int ec2_default_vpc(struct aws_ctx *ctx, char **vpc_id, struct annex_err *err);
/* 1 found (*group_id set), 0 not found, -1 error. */
int ec2_find_security_group(struct aws_ctx *ctx, const char *name, const char *vpc_id, char **group_id,
			    struct annex_err *err);
int ec2_security_group_exists(struct aws_ctx *ctx, const char *group_id, struct annex_err *err);
/* 1 when the EC2 key pair exists, 0 when it does not. */
int ec2_key_pair_exists(struct aws_ctx *ctx, const char *name, struct annex_err *err);
int ec2_create_security_group(struct aws_ctx *ctx, const char *name, const char *description,
			      const char *vpc_id, char **group_id, struct annex_err *err);
/* Adds inbound TCP 22 from cidr; a duplicate rule counts as success. */
int ec2_allow_ssh(struct aws_ctx *ctx, const char *group_id, const char *cidr, struct annex_err *err);
/* One rule of a security group, one source or destination each (a
 * permission with two ranges is two rules). proto "-1" is every protocol
 * (from and to -1). Exactly one of cidr, cidr6, group, prefix is set. */
struct ec2_group_rule {
	int egress;
	char proto[16];
	int from, to;
	char *cidr, *cidr6, *group, *prefix, *description;
};

struct ec2_group_rules {
	struct ec2_group_rule *v;
	size_t n;
};

/* DescribeSecurityGroups of one group: its name (malloc'd; name may be
 * NULL) and every ingress and egress rule. 1 found, 0 not, -1 error.
 * ec2_groups.c. */
int ec2_group_rules(struct aws_ctx *ctx, const char *group_id, char **name, struct ec2_group_rules *out,
		    struct annex_err *err);
void ec2_group_rules_free(struct ec2_group_rules *r);
/* "ingress tcp 80-80 from 0.0.0.0/0", "egress all to 0.0.0.0/0": for messages (malloc'd). */
char *ec2_group_rule_text(const struct ec2_group_rule *r);
/* Revoke{Ingress,Egress} of that one rule; a rule already gone is not an error. */
int ec2_revoke_group_rule(struct aws_ctx *ctx, const char *group_id, const struct ec2_group_rule *r,
			  struct annex_err *err);
/* AuthorizeSecurityGroupEgress of that one rule; a duplicate is success. */
int ec2_authorize_egress(struct aws_ctx *ctx, const char *group_id, const struct ec2_group_rule *r,
			 struct annex_err *err);
int ec2_delete_security_group(struct aws_ctx *ctx, const char *group_id, struct annex_err *err);

/* 1 when the image exists (arch set to "x86_64"/"arm64" when given), 0 not, -1 error. */
int ec2_image_exists(struct aws_ctx *ctx, const char *image_id, char *arch, size_t arch_len,
		     struct annex_err *err);

/* What DescribeImages says of one image ("" for an absent field). */
struct ec2_image_info {
	char id[64];
	char arch[32];              /* architecture: x86_64, arm64, i386, ... */
	char name[256];
	char description[512];
	char platform[32];          /* "windows" or "" */
	char platform_details[128]; /* "Linux/UNIX", "Red Hat Enterprise Linux", ... */
	int is_public;
};

/* DescribeImages for one image: 1 found (info filled), 0 it does not exist
 * (InvalidAMIID.*: also a malformed id), -1 error. */
int ec2_describe_image(struct aws_ctx *ctx, const char *image_id, struct ec2_image_info *info,
		       struct annex_err *err);

#define EC2_TYPE_MAX_ARCHES 4

/* What DescribeInstanceTypes says of one type. */
struct ec2_type_info {
	char type[64];
	char hypervisor[16];        /* "nitro", "xen", "" (bare metal) */
	int bare_metal;
	char arches[EC2_TYPE_MAX_ARCHES][16];  /* ProcessorInfo.SupportedArchitectures */
	size_t n_arches;
	long vcpus;                 /* VCpuInfo.DefaultVCpus; 0 when absent */
	long memory_mib;            /* MemoryInfo.SizeInMiB; 0 when absent */
	long gpus;                  /* the sum of GpuInfo.Gpus[].Count; 0 without GPUs */
};

/* DescribeInstanceTypes for one type: 1 found (info filled), 0 the region
 * does not offer it (InvalidInstanceType*), -1 error. */
int ec2_describe_instance_type(struct aws_ctx *ctx, const char *type, struct ec2_type_info *info,
			       struct annex_err *err);

/* One instance of a DescribeInstances reply as read ("" for an absent
 * field); valid for the duration of the callback only. */
struct ec2_instance {
	const char *id, *state, *type, *private_ip, *launch_time;
	const char *profile_arn;     /* iamInstanceProfile/arn */
	const char *client_token;    /* the launch's ClientToken */
	const char *fleet_id;        /* tag aws:ec2spot:fleet-request-id (set by EC2 only) */
	const char *ec2_fleet_id;    /* tag aws:ec2:fleet-id (set by EC2 only: an EC2 Fleet's instance) */
	const struct ec2_annex_tags *tags;
	xmlNode *tag_set;
	const char *lifecycle;       /* instanceLifecycle: "spot", ...; "" for on-demand (absent) */
};
typedef void (*ec2_instance_fn)(const struct ec2_instance *in, void *ud);

/* DescribeInstances with params (filters, MaxResults; may be NULL), every
 * page to the end, fn called once per instance. */
int ec2_describe_instances(struct aws_ctx *ctx, const struct params *params, ec2_instance_fn fn, void *ud,
			   struct annex_err *err);

/* One Spot Fleet request of a DescribeSpotFleetRequests reply ("" for an
 * absent id or state; valid_until NULL and target -1 when absent); valid
 * for the duration of the callback only. */
struct ec2_spot_fleet {
	const char *id, *state, *valid_until;
	long target;
	const char *role_arn;        /* spotFleetRequestConfig/iamFleetRole */
	const char *client_token;    /* spotFleetRequestConfig/clientToken */
	const struct ec2_annex_tags *tags;
	xmlNode *tag_set;
	double fulfilled;            /* fulfilledCapacity; -1 when absent */
	const char *activity;        /* activityStatus (fulfilled, pending_fulfillment, error, ...); NULL when absent */
};
typedef void (*ec2_spot_fleet_fn)(const struct ec2_spot_fleet *f, void *ud);

/* DescribeSpotFleetRequests, every page, fn called once per request. */
int ec2_describe_spot_fleets(struct aws_ctx *ctx, ec2_spot_fleet_fn fn, void *ud, struct annex_err *err);

/* DescribeSpotFleetInstances: the ids of the fleet's active instances, every page. */
int ec2_spot_fleet_instances(struct aws_ctx *ctx, const char *fleet_id, struct ec2_ids *out,
			     struct annex_err *err);

/* Instances tagged key=value that are not terminated (or shutting down). */
int ec2_instances_by_tag(struct aws_ctx *ctx, const char *key, const char *value, struct ec2_ids *out,
			 struct annex_err *err);
/* Runs params as RunInstances (DryRun=true when dry_run); the instance ids started. */
int ec2_run_instances(struct aws_ctx *ctx, const struct params *params, struct ec2_ids *out,
		      struct annex_err *err);
/* The same under a resend policy (call may be NULL): returns AWS_DONE (1)
 * when call's before_resend ended the call (out is what the hook put there). */
int ec2_run_instances_with(struct aws_ctx *ctx, const struct params *params, const struct aws_call *call,
			   struct ec2_ids *out, struct annex_err *err);
int ec2_terminate_instances(struct aws_ctx *ctx, const struct ec2_ids *ids, struct annex_err *err);
/* RequestSpotFleet; params carry the ClientToken, so it is resent as AWS_RETRY_TOKEN. */
int ec2_request_spot_fleet(struct aws_ctx *ctx, const struct params *params, char **fleet_id,
			   struct annex_err *err);
/* The same under a resend policy: returns AWS_DONE (1) when call's
 * before_resend ended the call (*fleet_id is what the hook put there). */
int ec2_request_spot_fleet_with(struct aws_ctx *ctx, const struct params *params, const struct aws_call *call,
				char **fleet_id, struct annex_err *err);
int ec2_cancel_spot_fleets(struct aws_ctx *ctx, const struct ec2_ids *ids, struct annex_err *err);
/* Spot Fleet requests tagged key=value that are not cancelled. */
int ec2_spot_fleets_by_tag(struct aws_ctx *ctx, const char *key, const char *value, struct ec2_ids *out,
			   struct annex_err *err);

/* EC2 Fleets (CreateFleet; ec2_fleets.c). */
struct ec2_fleet_launched {
	char *instance_id, *type, *lifecycle;   /* lifecycle: "spot" or "on-demand" */
};
struct ec2_fleet_error {
	char *type, *lifecycle, *code, *message;   /* type: the override's InstanceType ("" when absent) */
};
/* What an instant CreateFleet answered. */
struct ec2_fleet_reply {
	char *fleet_id;
	struct ec2_fleet_launched *inst;
	size_t n_inst;
	struct ec2_fleet_error *errors;
	size_t n_errors;
};
void ec2_fleet_reply_free(struct ec2_fleet_reply *r);
/* CreateFleet with params (they carry the ClientToken: resent as
 * AWS_RETRY_TOKEN under call, which may be NULL); the reply read. Returns
 * AWS_DONE (1) when call's before_resend ended the call. */
int ec2_create_fleet(struct aws_ctx *ctx, const struct params *params, const struct aws_call *call,
		     struct ec2_fleet_reply *out, struct annex_err *err);

/* One EC2 Fleet of a DescribeFleets reply ("" when absent); valid for the
 * duration of the callback only. */
struct ec2_fleet {
	const char *id, *state, *type, *client_token;
	const char *template_name;   /* the first launch template config's name ("" when none) */
	int n_templates;             /* launch template configs; others than template_name count too */
	int other_template;          /* 1 when a config names another template (or only an id) */
	const struct ec2_ids *instances;   /* the instant fleet's instances (fleetInstanceSet) */
	const struct ec2_annex_tags *tags;
};
typedef void (*ec2_fleet_fn)(const struct ec2_fleet *f, void *ud);
/* DescribeFleets of the fleets ids (NULL: every fleet AWS lists unasked,
 * which leaves out every instant fleet), every page, fn once per fleet. */
int ec2_describe_ec2_fleets(struct aws_ctx *ctx, const struct ec2_ids *ids, ec2_fleet_fn fn, void *ud,
			    struct annex_err *err);
/* EC2 Fleets tagged htcondor:AnnexId=annex_id, not deleted (DescribeFleets has no tag filter). */
int ec2_ec2_fleets_of_annex(struct aws_ctx *ctx, const char *annex_id, struct ec2_ids *out, struct annex_err *err);
/* 1 with out filled (fleetId, the instances, the errors DescribeFleets shows) when DescribeFleets
 * shows a fleet tagged htcondor:AnnexId=annex_id made with ClientToken
 * token, 0 when none does, -1 with err. */
int ec2_ec2_fleet_by_token(struct aws_ctx *ctx, const char *annex_id, const char *token,
			   struct ec2_fleet_reply *out, struct annex_err *err);
/* DeleteFleets with TerminateInstances=true (what an instant fleet needs),
 * 25 ids a call (AWS's limit for instant fleets); every batch is asked; -1
 * with the first error, an API error or a fleet of the reply's
 * unsuccessfulFleetDeletionSet other than fleetIdDoesNotExist. */
int ec2_delete_ec2_fleets(struct aws_ctx *ctx, const struct ec2_ids *ids, struct annex_err *err);

/* Launch templates (a fleet launch's nodes are described by one). */
/* CreateLaunchTemplate with params; the new template's id. */
int ec2_create_launch_template(struct aws_ctx *ctx, const struct params *params, char **template_id,
			       struct annex_err *err);
int ec2_create_launch_template_version(struct aws_ctx *ctx, const struct params *params, struct annex_err *err);
/* DeleteLaunchTemplate for each id; a template already gone is no error. */
int ec2_delete_launch_templates(struct aws_ctx *ctx, const struct ec2_ids *ids, struct annex_err *err);
/* The ids of annex's launch templates tagged key=value
 * (DescribeLaunchTemplates): only those named as a launch names them,
 * htcondor-annex-<annex id> (with key htcondor:AnnexId, that id; else an
 * id of annex value, htcondor-annex-VALUE_*), so that a forged tag on
 * someone else's template gets nothing (docs/security.md). */
int ec2_launch_templates_by_tag(struct aws_ctx *ctx, const char *key, const char *value, struct ec2_ids *out,
				struct annex_err *err);

#endif
