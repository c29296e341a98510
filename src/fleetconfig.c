/* fleetconfig.c - a Spot Fleet request config from the user's JSON (see
 * include/annex/fleetconfig.h). */
#include "annex/fleetconfig.h"

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
	if (json_object_object_get_ex(root, "LaunchTemplateConfigs", NULL)) {
		json_object_put(root);
		return annex_err_set(err, "Usage",
			"-aws-spot-fleet-config-file %s: LaunchTemplateConfigs cannot carry annex's user-data "
			"(the boot script that joins the pool); use LaunchSpecifications instead", path);
	}
	if (!json_object_object_get_ex(root, "LaunchSpecifications", &specs) ||
	    !json_object_is_type(specs, json_type_array) || json_object_array_length(specs) == 0) {
		json_object_put(root);
		return annex_err_set(err, "Usage",
			"-aws-spot-fleet-config-file %s: no LaunchSpecifications", path);
	}
	*out = root;
	return 0;
}

static json_object *tag_list(const struct fleet_settings *s)
{
	json_object *tags = json_object_new_array();

	for (size_t i = 0; i < s->n_tags; i++) {
		json_object *t = json_object_new_object();
		json_object_object_add(t, "Key", json_object_new_string(s->tags[i].key));
		json_object_object_add(t, "Value", json_object_new_string(s->tags[i].value));
		json_object_array_add(tags, t);
	}
	return tags;
}

/* Adds annex's tags to the TagSpecifications of resource type `type` in
 * obj, creating the list or the entry as needed; the user's own tags stay. */
static void add_tag_spec(json_object *obj, const char *type, const struct fleet_settings *s)
{
	json_object *specs, *spec = NULL, *tags;

	if (!json_object_object_get_ex(obj, "TagSpecifications", &specs) ||
	    !json_object_is_type(specs, json_type_array)) {
		specs = json_object_new_array();
		json_object_object_add(obj, "TagSpecifications", specs);
	}
	for (size_t i = 0; i < json_object_array_length(specs); i++) {
		json_object *e = json_object_array_get_idx(specs, i), *rt;
		if (json_object_object_get_ex(e, "ResourceType", &rt) &&
		    strcmp(json_object_get_string(rt), type) == 0)
			spec = e;
	}
	if (!spec) {
		spec = json_object_new_object();
		json_object_object_add(spec, "ResourceType", json_object_new_string(type));
		json_object_array_add(specs, spec);
	}
	if (!json_object_object_get_ex(spec, "Tags", &tags) || !json_object_is_type(tags, json_type_array)) {
		json_object_object_add(spec, "Tags", tag_list(s));
		return;
	}
	for (size_t i = 0; i < s->n_tags; i++) {
		json_object *t = json_object_new_object();
		json_object_object_add(t, "Key", json_object_new_string(s->tags[i].key));
		json_object_object_add(t, "Value", json_object_new_string(s->tags[i].value));
		json_object_array_add(tags, t);
	}
}

int fleetconfig_apply(json_object *cfg, const struct fleet_settings *s, struct annex_err *err)
{
	json_object *specs;

	json_object_object_add(cfg, "TargetCapacity", json_object_new_int64(s->target_capacity));
	json_object_object_add(cfg, "IamFleetRole", json_object_new_string(s->fleet_role_arn));
	json_object_object_add(cfg, "ValidUntil", json_object_new_string(s->valid_until));
	json_object_object_add(cfg, "TerminateInstancesWithExpiration", json_object_new_boolean(1));
	json_object_object_add(cfg, "ClientToken", json_object_new_string(s->client_token));
	if (!json_object_object_get_ex(cfg, "Type", NULL))
		json_object_object_add(cfg, "Type", json_object_new_string("maintain"));
	add_tag_spec(cfg, "spot-fleet-request", s);

	json_object_object_get_ex(cfg, "LaunchSpecifications", &specs);
	for (size_t i = 0; i < json_object_array_length(specs); i++) {
		json_object *ls = json_object_array_get_idx(specs, i);
		if (!json_object_is_type(ls, json_type_object))
			return annex_err_set(err, "Usage", "LaunchSpecifications[%zu] is not an object", i);
		if (json_object_object_get_ex(ls, "UserData", NULL))
			return annex_err_set(err, "Usage",
				"LaunchSpecifications[%zu] has its own UserData; annex supplies the user-data "
				"(use -aws-user-data-file for your own script)", i);
		json_object_object_add(ls, "UserData", json_object_new_string(s->user_data_b64));
		if (s->instance_profile_arn && !json_object_object_get_ex(ls, "IamInstanceProfile", NULL)) {
			json_object *p = json_object_new_object();
			json_object_object_add(p, "Arn", json_object_new_string(s->instance_profile_arn));
			json_object_object_add(ls, "IamInstanceProfile", p);
		}
		if (s->security_group_ids && !json_object_object_get_ex(ls, "SecurityGroups", NULL) &&
		    !json_object_object_get_ex(ls, "NetworkInterfaces", NULL)) {
			json_object *groups = json_object_new_array();
			char *ids = xstrdup(s->security_group_ids), *save = NULL;
			for (char *id = strtok_r(ids, ", ", &save); id; id = strtok_r(NULL, ", ", &save)) {
				json_object *g = json_object_new_object();
				json_object_object_add(g, "GroupId", json_object_new_string(id));
				json_object_array_add(groups, g);
			}
			free(ids);
			json_object_object_add(ls, "SecurityGroups", groups);
		}
		if (s->key_name && *s->key_name && !json_object_object_get_ex(ls, "KeyName", NULL))
			json_object_object_add(ls, "KeyName", json_object_new_string(s->key_name));
		add_tag_spec(ls, "instance", s);
	}
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
