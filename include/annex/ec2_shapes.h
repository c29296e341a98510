/* ec2_shapes.h - the part of EC2's service model annex needs to serialize
 * user-written request JSON (a Spot Fleet config) and the launch template
 * data annex builds from it into query parameters.
 * The table is generated from botocore's model by scripts/gen-ec2-shapes.py
 * into src/ec2_shapes.c. */
#ifndef ANNEX_EC2_SHAPES_H
#define ANNEX_EC2_SHAPES_H

#include <stddef.h>

enum ec2_kind { EC2_STRUCT, EC2_LIST, EC2_STRING, EC2_NUMBER, EC2_BOOL, EC2_TIMESTAMP };

struct ec2_member {
	const char *name;   /* API member name, as in the console's JSON */
	const char *wire;   /* query-protocol name */
	int shape;          /* index into ec2_shapes */
};

struct ec2_shape {
	const char *name;
	enum ec2_kind kind;
	const struct ec2_member *members;   /* EC2_STRUCT */
	size_t n_members;
	int member_shape;                   /* EC2_LIST: element shape */
};

extern const struct ec2_shape ec2_shapes[];
extern const int ec2_shape_spot_fleet_config;      /* SpotFleetRequestConfigData */
extern const int ec2_shape_launch_template_data;   /* RequestLaunchTemplateData */

#endif
