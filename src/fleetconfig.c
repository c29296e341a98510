/* fleetconfig.c - a Spot Fleet request config from the user's JSON (see
 * include/annex/fleetconfig.h). */
#include "annex/fleetconfig.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"
#include "annex/ec2_shapes.h"

int fleetconfig_load(const char *path, json_object **out, struct annex_err *err)
{
	json_object *root, *inner, *specs;

	*out = NULL;
	root = json_object_from_file(path);
	if (!root)
		return annex_err_set(err, "Usage", "-aws-spot-fleet-config-file %s: cannot read it as JSON (%s)",
				     path, json_util_get_last_err() ? json_util_get_last_err() : "parse error");
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return annex_err_set(err, "Usage", "-aws-spot-fleet-config-file %s: not a JSON object", path);
	}
	if (json_object_object_get_ex(root, "SpotFleetRequestConfig", &inner) &&
	    json_object_is_type(inner, json_type_object)) {
		json_object_get(inner);
		json_object_put(root);
		root = inner;
	}
	if (json_object_object_get_ex(root, "LaunchTemplateConfigs", &specs)) {
		if (json_object_object_get_ex(root, "LaunchSpecifications", NULL)) {
			json_object_put(root);
			return annex_err_set(err, "Usage", "-aws-spot-fleet-config-file %s: has both "
					     "LaunchSpecifications and LaunchTemplateConfigs; give one", path);
		}
		if (!json_object_is_type(specs, json_type_array) || json_object_array_length(specs) == 0) {
			json_object_put(root);
			return annex_err_set(err, "Usage", "-aws-spot-fleet-config-file %s: LaunchTemplateConfigs "
					     "is not a non-empty list", path);
		}
		*out = root;
		return 0;
	}
	if (!json_object_object_get_ex(root, "LaunchSpecifications", &specs) ||
	    !json_object_is_type(specs, json_type_array) || json_object_array_length(specs) == 0) {
		json_object_put(root);
		return annex_err_set(err, "Usage",
			"-aws-spot-fleet-config-file %s: no LaunchSpecifications (nor LaunchTemplateConfigs)", path);
	}
	*out = root;
	return 0;
}

static void add_tags(json_object *list, const struct fleet_tag *tags, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_new_object();
		json_object_object_add(t, "Key", json_object_new_string(tags[i].key));
		json_object_object_add(t, "Value", json_object_new_string(tags[i].value));
		json_object_array_add(list, t);
	}
}

/* Adds tags to the TagSpecifications of resource type `type` in obj,
 * creating the list or the entry as needed; the user's own tags stay. */
static void add_tag_spec(json_object *obj, const char *type, const struct fleet_tag *tagv, size_t n)
{
	json_object *specs, *spec = NULL, *tags;

	if (!json_object_object_get_ex(obj, "TagSpecifications", &specs) ||
	    !json_object_is_type(specs, json_type_array)) {
		specs = json_object_new_array();
		json_object_object_add(obj, "TagSpecifications", specs);
	}
	for (size_t i = 0; i < json_object_array_length(specs); i++) {
		json_object *e = json_object_array_get_idx(specs, i), *rt;
		if (json_object_object_get_ex(e, "ResourceType", &rt) && json_object_is_type(rt, json_type_string) &&
		    strcmp(json_object_get_string(rt), type) == 0)
			spec = e;
	}
	if (!spec) {
		spec = json_object_new_object();
		json_object_object_add(spec, "ResourceType", json_object_new_string(type));
		json_object_array_add(specs, spec);
	}
	if (!json_object_object_get_ex(spec, "Tags", &tags) || !json_object_is_type(tags, json_type_array)) {
		tags = json_object_new_array();
		json_object_object_add(spec, "Tags", tags);
	}
	add_tags(tags, tagv, n);
}

static json_object *get(json_object *obj, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

static void put_copy(json_object *dst, const char *key, json_object *v)
{
	json_object *c = NULL;

	if (v && json_object_deep_copy(v, &c, NULL) == 0)
		json_object_object_add(dst, key, c);
}

int fleetconfig_uses_templates(json_object *cfg)
{
	return get(cfg, "LaunchTemplateConfigs") != NULL;
}

const char *fleetconfig_first_type(json_object *cfg)
{
	json_object *list = get(cfg, "LaunchSpecifications");

	if (list && json_object_is_type(list, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			json_object *t = get(json_object_array_get_idx(list, i), "InstanceType");
			if (t && json_object_is_type(t, json_type_string))
				return json_object_get_string(t);
		}
		return NULL;
	}
	list = get(cfg, "LaunchTemplateConfigs");
	for (size_t i = 0; list && json_object_is_type(list, json_type_array) && i < json_object_array_length(list);
	     i++) {
		json_object *ov = get(json_object_array_get_idx(list, i), "Overrides");
		for (size_t k = 0; ov && json_object_is_type(ov, json_type_array) && k < json_object_array_length(ov);
		     k++) {
			json_object *t = get(json_object_array_get_idx(ov, k), "InstanceType");
			if (t && json_object_is_type(t, json_type_string))
				return json_object_get_string(t);
		}
	}
	return NULL;
}

const char *fleetconfig_type(json_object *cfg)
{
	json_object *t = get(cfg, "Type");

	return t && json_object_is_type(t, json_type_string) ? json_object_get_string(t) : NULL;
}

void fleetconfig_cleanse(json_object *versions)
{
	for (size_t i = 0; versions && i < json_object_array_length(versions); i++) {
		json_object *ud = get(json_object_array_get_idx(versions, i), "UserData");
		if (ud && json_object_is_type(ud, json_type_string))
			OPENSSL_cleanse((char *)json_object_get_string(ud), (size_t)json_object_get_string_len(ud));
	}
}

/* What a launch specification holds, by where it goes in the launch
 * template form. */
static const char *const spec_to_template[][2] = {
	{ "ImageId", "ImageId" }, { "KeyName", "KeyName" }, { "KernelId", "KernelId" },
	{ "RamdiskId", "RamDiskId" }, { "EbsOptimized", "EbsOptimized" },
	{ "IamInstanceProfile", "IamInstanceProfile" }, { "Monitoring", "Monitoring" },
	{ "BlockDeviceMappings", "BlockDeviceMappings" }, { "NetworkInterfaces", "NetworkInterfaces" },
};
static const char *const spec_to_override[] = {
	"InstanceType", "WeightedCapacity", "SpotPrice", "InstanceRequirements",
};

/* The template data one launch specification asks for (annex's parts
 * not yet added), and its overrides appended to overrides. */
static int split_spec(json_object *ls, size_t i, json_object **data_out, json_object *overrides,
		      struct annex_err *err)
{
	json_object *data, *ov, *v;

	if (!json_object_is_type(ls, json_type_object))
		return annex_err_set(err, "Usage", "LaunchSpecifications[%zu] is not an object", i);
	if (get(ls, "UserData"))
		return annex_err_set(err, "Usage",
			"LaunchSpecifications[%zu] has its own UserData; annex supplies the user-data "
			"(use -aws-user-data-file for your own script)", i);
	json_object_object_foreach(ls, key, val) {
		int known = strcmp(key, "SecurityGroups") == 0 || strcmp(key, "Placement") == 0 ||
			    strcmp(key, "SubnetId") == 0 || strcmp(key, "TagSpecifications") == 0;
		(void)val;
		for (size_t k = 0; !known && k < sizeof(spec_to_template) / sizeof(spec_to_template[0]); k++)
			known = strcmp(key, spec_to_template[k][0]) == 0;
		for (size_t k = 0; !known && k < sizeof(spec_to_override) / sizeof(spec_to_override[0]); k++)
			known = strcmp(key, spec_to_override[k]) == 0;
		if (!known)
			return annex_err_set(err, "Usage", "LaunchSpecifications[%zu]: %s has no place in a launch "
					     "template (annex launches every Spot Fleet through one); remove it", i, key);
	}
	data = json_object_new_object();
	for (size_t k = 0; k < sizeof(spec_to_template) / sizeof(spec_to_template[0]); k++)
		put_copy(data, spec_to_template[k][1], get(ls, spec_to_template[k][0]));
	if ((v = get(ls, "SecurityGroups")) && json_object_is_type(v, json_type_array)) {
		json_object *ids = json_object_new_array(), *names = json_object_new_array();
		for (size_t k = 0; k < json_object_array_length(v); k++) {
			json_object *g = json_object_array_get_idx(v, k), *x;
			if ((x = get(g, "GroupId")))
				json_object_array_add(ids, json_object_get(x));
			if ((x = get(g, "GroupName")))
				json_object_array_add(names, json_object_get(x));
		}
		if (json_object_array_length(ids))
			json_object_object_add(data, "SecurityGroupIds", ids);
		else
			json_object_put(ids);
		if (json_object_array_length(names))
			json_object_object_add(data, "SecurityGroups", names);
		else
			json_object_put(names);
	}
	if ((v = get(ls, "Placement")) && json_object_is_type(v, json_type_object)) {
		json_object *pl = json_object_new_object();
		put_copy(pl, "GroupName", get(v, "GroupName"));
		put_copy(pl, "Tenancy", get(v, "Tenancy"));
		if (json_object_object_length(pl))
			json_object_object_add(data, "Placement", pl);
		else
			json_object_put(pl);
	}
	put_copy(data, "TagSpecifications", get(ls, "TagSpecifications"));

	ov = json_object_new_object();
	for (size_t k = 0; k < sizeof(spec_to_override) / sizeof(spec_to_override[0]); k++)
		put_copy(ov, spec_to_override[k], get(ls, spec_to_override[k]));
	if ((v = get(ls, "Placement")))
		put_copy(ov, "AvailabilityZone", get(v, "AvailabilityZone"));
	if ((v = get(ls, "SubnetId")) && json_object_is_type(v, json_type_string)) {
		char *subnets = xstrdup(json_object_get_string(v)), *save = NULL;
		int any = 0;
		for (char *id = strtok_r(subnets, ", ", &save); id; id = strtok_r(NULL, ", ", &save)) {
			json_object *one = NULL;
			json_object_deep_copy(ov, &one, NULL);
			json_object_object_add(one, "SubnetId", json_object_new_string(id));
			json_object_array_add(overrides, one);
			any = 1;
		}
		free(subnets);
		if (any) {
			json_object_put(ov);
			ov = NULL;
		}
	}
	if (ov && json_object_object_length(ov))
		json_object_array_add(overrides, ov);
	else
		json_object_put(ov);
	*data_out = data;
	return 0;
}

/* Adds annex's parts to one version's data. */
static void complete_version(json_object *data, const struct fleet_settings *s)
{
	json_object *md = json_object_new_object();

	if (s->image_id && !get(data, "ImageId"))
		json_object_object_add(data, "ImageId", json_object_new_string(s->image_id));
	json_object_object_add(data, "UserData", json_object_new_string(s->user_data_b64));
	if (s->instance_profile_arn && !get(data, "IamInstanceProfile")) {
		json_object *p = json_object_new_object();
		json_object_object_add(p, "Arn", json_object_new_string(s->instance_profile_arn));
		json_object_object_add(data, "IamInstanceProfile", p);
	}
	if (s->security_group_ids && !get(data, "SecurityGroupIds") && !get(data, "SecurityGroups") &&
	    !get(data, "NetworkInterfaces")) {
		json_object *groups = json_object_new_array();
		char *ids = xstrdup(s->security_group_ids), *save = NULL;
		for (char *id = strtok_r(ids, ", ", &save); id; id = strtok_r(NULL, ", ", &save))
			json_object_array_add(groups, json_object_new_string(id));
		free(ids);
		json_object_object_add(data, "SecurityGroupIds", groups);
	}
	if (s->key_name && *s->key_name && !get(data, "KeyName"))
		json_object_object_add(data, "KeyName", json_object_new_string(s->key_name));
	json_object_object_add(data, "InstanceInitiatedShutdownBehavior", json_object_new_string("terminate"));
	json_object_object_add(md, "HttpTokens", json_object_new_string("required"));
	json_object_object_add(md, "HttpPutResponseHopLimit", json_object_new_int(1));
	json_object_object_add(md, "HttpEndpoint", json_object_new_string("enabled"));
	json_object_object_add(md, "InstanceMetadataTags", json_object_new_string("enabled"));
	json_object_object_add(data, "MetadataOptions", md);
	add_tag_spec(data, "instance", s->node_tags, s->n_node_tags);
	add_tag_spec(data, "volume", s->node_tags, s->n_node_tags);
}

json_object *fleetconfig_template_data(const struct fleet_settings *s)
{
	json_object *data = json_object_new_object();

	complete_version(data, s);
	return data;
}

static json_object *template_spec(const struct fleet_settings *s, size_t version)
{
	json_object *lts = json_object_new_object();
	char v[32];

	snprintf(v, sizeof(v), "%zu", version);
	json_object_object_add(lts, "LaunchTemplateName", json_object_new_string(s->template_name));
	json_object_object_add(lts, "Version", json_object_new_string(v));
	return lts;
}

/* LaunchSpecifications -> versions + LaunchTemplateConfigs. */
static int from_specs(json_object *cfg, const struct fleet_settings *s, json_object *versions,
		      struct annex_err *err)
{
	json_object *specs = get(cfg, "LaunchSpecifications");
	json_object *configs = json_object_new_array();
	json_object *keys = json_object_new_array();   /* each version's data as text, before completion */

	for (size_t i = 0; i < json_object_array_length(specs); i++) {
		json_object *data = NULL, *ov = json_object_new_array(), *config = NULL;
		const char *text;
		size_t k;
		if (split_spec(json_object_array_get_idx(specs, i), i, &data, ov, err) != 0) {
			json_object_put(ov);
			json_object_put(configs);
			json_object_put(keys);
			return -1;
		}
		text = json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN);
		for (k = 0; k < json_object_array_length(keys); k++)
			if (strcmp(json_object_get_string(json_object_array_get_idx(keys, k)), text) == 0)
				break;
		if (k == json_object_array_length(keys)) {
			json_object_array_add(keys, json_object_new_string(text));
			json_object_array_add(versions, data);
			config = json_object_new_object();
			json_object_object_add(config, "LaunchTemplateSpecification", template_spec(s, k + 1));
			json_object_object_add(config, "Overrides", json_object_new_array());
			json_object_array_add(configs, config);
		} else {
			json_object_put(data);
			config = json_object_array_get_idx(configs, k);
		}
		for (size_t j = 0; j < json_object_array_length(ov); j++)
			json_object_array_add(get(config, "Overrides"), json_object_get(json_object_array_get_idx(ov, j)));
		json_object_put(ov);
	}
	json_object_put(keys);
	for (size_t k = 0; k < json_object_array_length(configs); k++) {
		json_object *config = json_object_array_get_idx(configs, k);
		if (json_object_array_length(get(config, "Overrides")) == 0)
			json_object_object_del(config, "Overrides");
	}
	json_object_object_del(cfg, "LaunchSpecifications");
	json_object_object_add(cfg, "LaunchTemplateConfigs", configs);
	return 0;
}

/* The user's LaunchTemplateConfigs: annex's template, the user's overrides. */
static int from_configs(json_object *cfg, const struct fleet_settings *s, json_object *versions,
			struct annex_err *err)
{
	json_object *configs = get(cfg, "LaunchTemplateConfigs");

	if (!s->image_id)
		return annex_err_set(err, "Usage", "a Spot Fleet config with LaunchTemplateConfigs names no image; "
				     "give -aws-on-demand-ami-id or set ANNEX_DEFAULT_ODI_IMAGE_ID");
	for (size_t i = 0; i < json_object_array_length(configs); i++) {
		json_object *c = json_object_array_get_idx(configs, i);
		if (!json_object_is_type(c, json_type_object))
			return annex_err_set(err, "Usage", "LaunchTemplateConfigs[%zu] is not an object", i);
		json_object_object_add(c, "LaunchTemplateSpecification", template_spec(s, 1));
	}
	json_object_array_add(versions, json_object_new_object());
	return 0;
}

int fleetconfig_apply(json_object *cfg, const struct fleet_settings *s, json_object **versions,
		      struct annex_err *err)
{
	int rc;

	*versions = json_object_new_array();
	rc = get(cfg, "LaunchTemplateConfigs") ? from_configs(cfg, s, *versions, err)
					       : from_specs(cfg, s, *versions, err);
	if (rc != 0) {
		json_object_put(*versions);
		*versions = NULL;
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(*versions); i++)
		complete_version(json_object_array_get_idx(*versions, i), s);
	json_object_object_add(cfg, "TargetCapacity", json_object_new_int64(s->target_capacity));
	json_object_object_add(cfg, "IamFleetRole", json_object_new_string(s->fleet_role_arn));
	json_object_object_add(cfg, "ValidUntil", json_object_new_string(s->valid_until));
	json_object_object_add(cfg, "TerminateInstancesWithExpiration", json_object_new_boolean(1));
	json_object_object_add(cfg, "ClientToken", json_object_new_string(s->client_token));
	json_object_object_add(cfg, "Type", json_object_new_string(s->fleet_type ? s->fleet_type : "request"));
	add_tag_spec(cfg, "spot-fleet-request", s->tags, s->n_tags);
	return 0;
}

static const char *kind_name(enum ec2_kind k)
{
	switch (k) {
	case EC2_STRUCT: return "an object";
	case EC2_LIST: return "a list";
	case EC2_BOOL: return "a boolean";
	case EC2_NUMBER: return "a number";
	default: return "a string";
	}
}

int ec2_serialize_json(json_object *value, int shape, const char *prefix,
		       struct params *out, struct annex_err *err)
{
	const struct ec2_shape *sh = &ec2_shapes[shape];
	enum json_type t = json_object_get_type(value);

	switch (sh->kind) {
	case EC2_STRUCT: {
		if (t != json_type_object)
			return annex_err_set(err, "Usage", "%s must be %s", prefix, kind_name(sh->kind));
		json_object_object_foreach(value, key, child) {
			const struct ec2_member *m = NULL;
			for (size_t i = 0; i < sh->n_members; i++)
				if (strcmp(sh->members[i].name, key) == 0)
					m = &sh->members[i];
			if (!m)
				return annex_err_set(err, "Usage", "unknown member %s in %s (shape %s)",
						     key, prefix, sh->name);
			char *p = xasprintf("%s.%s", prefix, m->wire);
			int rc = ec2_serialize_json(child, m->shape, p, out, err);
			free(p);
			if (rc)
				return rc;
		}
		return 0;
	}
	case EC2_LIST:
		if (t != json_type_array)
			return annex_err_set(err, "Usage", "%s must be %s", prefix, kind_name(sh->kind));
		for (size_t i = 0; i < json_object_array_length(value); i++) {
			char *p = xasprintf("%s.%zu", prefix, i + 1);
			int rc = ec2_serialize_json(json_object_array_get_idx(value, i), sh->member_shape,
						    p, out, err);
			free(p);
			if (rc)
				return rc;
		}
		return 0;
	case EC2_BOOL:
		if (t != json_type_boolean)
			return annex_err_set(err, "Usage", "%s must be %s", prefix, kind_name(sh->kind));
		params_add(out, prefix, json_object_get_boolean(value) ? "true" : "false");
		return 0;
	case EC2_NUMBER:
		if (t != json_type_int && t != json_type_double)
			return annex_err_set(err, "Usage", "%s must be %s", prefix, kind_name(sh->kind));
		params_add(out, prefix, json_object_get_string(value));
		return 0;
	default:
		if (t != json_type_string)
			return annex_err_set(err, "Usage", "%s must be %s", prefix, kind_name(sh->kind));
		params_add(out, prefix, json_object_get_string(value));
		return 0;
	}
}

int fleetconfig_to_params(json_object *cfg, struct params *out, struct annex_err *err)
{
	return ec2_serialize_json(cfg, ec2_shape_spot_fleet_config, "SpotFleetRequestConfig", out, err);
}

int fleetconfig_template_params(json_object *data, struct params *out, struct annex_err *err)
{
	return ec2_serialize_json(data, ec2_shape_launch_template_data, "LaunchTemplateData", out, err);
}
