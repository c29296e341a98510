/* fleetconfig.h - the user's Spot Fleet request config (JSON as the AWS
 * console exports it, with the API's member names), completed with what
 * annex must set, and serialized into EC2 query parameters following EC2's
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
	const char *fleet_role_arn;        /* IamFleetRole */
	const char *valid_until;           /* ISO 8601 UTC: the lease end */
	const char *client_token;
	const char *user_data_b64;         /* put into every launch specification */
	const char *instance_profile_arn;  /* used where a specification names none */
	const char *security_group_ids;    /* comma-separated; used where a specification names none */
	const char *key_name;              /* used where a specification names none; may be NULL */
	const struct fleet_tag *tags;      /* on the request and on every instance */
	size_t n_tags;
};

/* Reads and checks a config file: a bare SpotFleetRequestConfigData object
 * or one wrapped as {"SpotFleetRequestConfig": {...}}. Refuses
 * LaunchTemplateConfigs (annex's user-data cannot ride in a launch
 * template) and a config without LaunchSpecifications. */
int fleetconfig_load(const char *path, json_object **out, struct annex_err *err);

/* Sets TargetCapacity, IamFleetRole, ValidUntil,
 * TerminateInstancesWithExpiration=true, ClientToken, Type "maintain" unless
 * given, the request's TagSpecifications (spot-fleet-request), and in every
 * launch specification UserData, instance TagSpecifications and the
 * defaults above. */
int fleetconfig_apply(json_object *cfg, const struct fleet_settings *s, struct annex_err *err);

/* Serializes cfg as the SpotFleetRequestConfig parameter of RequestSpotFleet. */
int fleetconfig_to_params(json_object *cfg, struct params *out, struct annex_err *err);

/* Generic: serializes value of model shape `shape` under prefix. */
int ec2_serialize_json(json_object *value, int shape, const char *prefix,
		       struct params *out, struct annex_err *err);

#endif
