/* launch_template.h - the launch template a fleet launch makes (one per
 * launch, named htcondor-annex-<annex id>, tagged like the annex): what the
 * Spot Fleet (launch_spotfleet.c) and EC2 Fleet (launch_ec2fleet.c)
 * back-ends share. The template holds the user-data (a secret), the node
 * profile, security groups, key, IMDSv2-only MetadataOptions and the
 * instance and volume tags (fleetconfig.c says what each version holds). */
#ifndef ANNEX_LAUNCH_TEMPLATE_H
#define ANNEX_LAUNCH_TEMPLATE_H

#include <json-c/json.h>

#include "annex/fleetconfig.h"
#include "annex/launch.h"

/* "htcondor-annex-" + the annex id (malloc'd). */
char *launch_template_name(const char *annex_id);

/* Fills fs with what a fleet of s needs (capacity, role, lease, token,
 * template name, image, user-data, profile, groups, key, the request's
 * three annex tags and every node tag). *node_tags is the array fs points
 * into: free it after fs is used. */
void launch_template_settings(const struct launch_spec *s, const char *template_name, struct fleet_settings *fs,
			      struct fleet_tag **node_tags);

/* CreateLaunchTemplate's parameters: the name, the token (the annex id),
 * the template's own annex tags and data's LaunchTemplateData. */
int launch_template_params(const struct launch_spec *s, const char *name, json_object *data, struct params *p,
			   struct annex_err *err);

/* Creates the template from versions (a JSON array of version data,
 * fleetconfig.h) and prints "Launch template NAME (ID) created for
 * FOR_WHAT." A template of that name left by a resend of this launch is
 * adopted. */
int launch_template_create(struct aws_ctx *aws, const struct launch_spec *s, const char *name,
			   json_object *versions, const char *for_what, struct annex_err *err);

#endif
