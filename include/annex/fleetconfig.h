/* fleetconfig.h - the user's Spot Fleet request config (JSON as the AWS
 * console exports it, with the API's member names), completed with what
 * annex must set (the launch template annex makes for the nodes), and
 * serialized into EC2 query parameters following EC2's
 * service model (ec2_shapes.h). */
#ifndef ANNEX_FLEETCONFIG_H
#define ANNEX_FLEETCONFIG_H

#include <json-c/json.h>

#include "annex/err.h"
#include "annex/params.h"

struct fleet_tag {
	const char *key;
	const char *value;
};

struct fleet_settings {
	long target_capacity;
	const char *fleet_type;            /* Type: "request" (NULL) or "maintain" */
	const char *fleet_role_arn;        /* IamFleetRole */
	const char *valid_until;           /* ISO 8601 UTC: the lease end */
	const char *client_token;
	const char *template_name;         /* the launch template annex makes for this launch */
	const char *image_id;              /* the template's image when the config names none
					      (a LaunchTemplateConfigs config); may be NULL */
	const char *user_data_b64;         /* in every template version */
	const char *instance_profile_arn;  /* used where a specification names none */
	const char *security_group_ids;    /* comma-separated; used where a specification names none */
	const char *key_name;              /* used where a specification names none; may be NULL */
	const struct fleet_tag *tags;      /* on the request (spot-fleet-request) */
	size_t n_tags;
	const struct fleet_tag *node_tags; /* on every instance and volume (the template's TagSpecifications) */
	size_t n_node_tags;
};

/* Reads and checks a config file: a bare SpotFleetRequestConfigData object
 * or one wrapped as {"SpotFleetRequestConfig": {...}}, with either
 * LaunchSpecifications or LaunchTemplateConfigs (not both, not neither). */
int fleetconfig_load(const char *path, json_object **out, struct annex_err *err);

/* 1 when cfg uses LaunchTemplateConfigs (its templates are replaced by
 * annex's, which then needs an image: fleet_settings.image_id). */
int fleetconfig_uses_templates(json_object *cfg);
/* The first instance type cfg names (a specification's or an override's), or NULL. */
const char *fleetconfig_first_type(json_object *cfg);
/* The Type cfg asks for, or NULL. */
const char *fleetconfig_type(json_object *cfg);

/* Turns cfg into the request annex sends: every node is described by
 * annex's launch template s->template_name. LaunchSpecifications become
 * LaunchTemplateConfigs: what a template version can hold (image, key,
 * profile, groups, block devices, network interfaces, monitoring,
 * placement group and tenancy, kernel, ramdisk, instance tags) makes the
 * version, specifications that agree on it share one, and what differs
 * per pool (InstanceType, SubnetId (one override per subnet of a
 * comma-separated list), Placement.AvailabilityZone, WeightedCapacity,
 * SpotPrice, InstanceRequirements) becomes that version's Overrides. A
 * config with LaunchTemplateConfigs keeps its Overrides, its templates
 * replaced by annex's version 1. Every version gets annex's UserData,
 * MetadataOptions (IMDSv2 required, hop limit 1, endpoint and instance
 * tags enabled), InstanceInitiatedShutdownBehavior terminate, instance and
 * volume TagSpecifications (node_tags), and the profile, groups and key
 * above where it names none. *versions: a JSON array of
 * RequestLaunchTemplateData, element i being version i + 1 (it carries
 * the user-data: cleanse it before freeing, fleetconfig_cleanse).
 * Also sets TargetCapacity, IamFleetRole, ValidUntil,
 * TerminateInstancesWithExpiration=true, ClientToken, Type (s->fleet_type,
 * whatever the file said) and the request's TagSpecifications
 * (spot-fleet-request). */
int fleetconfig_apply(json_object *cfg, const struct fleet_settings *s, json_object **versions,
		      struct annex_err *err);

/* One version's data with only annex's parts (as fleetconfig_apply adds
 * them to each version): the template of an EC2 Fleet launch, whose
 * overrides name the types. Cleanse its UserData before freeing. */
json_object *fleetconfig_template_data(const struct fleet_settings *s);

/* Wipes the UserData strings of a versions array (fleetconfig_apply). */
void fleetconfig_cleanse(json_object *versions);

/* Serializes one version's data as CreateLaunchTemplate's (or
 * CreateLaunchTemplateVersion's) LaunchTemplateData parameter. */
int fleetconfig_template_params(json_object *data, struct params *out, struct annex_err *err);

/* Serializes cfg as the SpotFleetRequestConfig parameter of RequestSpotFleet. */
int fleetconfig_to_params(json_object *cfg, struct params *out, struct annex_err *err);

/* Generic: serializes value of model shape `shape` under prefix. */
int ec2_serialize_json(json_object *value, int shape, const char *prefix,
		       struct params *out, struct annex_err *err);

#endif
