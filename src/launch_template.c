/* launch_template.c - the launch template of a fleet launch, shared by the
 * Spot Fleet and EC2 Fleet back-ends (include/annex/launch_template.h). */
#include "annex/launch_template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *launch_template_name(const char *annex_id)
{
	return xasprintf("htcondor-annex-%s", annex_id);
}

/* The value of one of the spec's node tags (launch_spec_add_annex_tags);
 * NULL when it has none. */
static const char *spec_tag(const struct launch_spec *s, const char *key)
{
	for (size_t i = 0; i < s->n_tags; i++)
		if (strcmp(s->tags[i].key, key) == 0)
			return s->tags[i].value;
	return NULL;
}

void launch_template_settings(const struct launch_spec *s, const char *template_name, struct fleet_settings *fs,
			      struct fleet_tag **node_tags)
{
	/* the request's own tags (the budget only with -max-cost), then the
	 * nodes' tags; the strings live in the spec, so fs may point at them */
	const char *budget = spec_tag(s, "htcondor:BudgetUSD");
	size_t own = budget ? 4 : 3;
	struct fleet_tag *tags = xcalloc(s->n_tags + own, sizeof(*tags));

	tags[0].key = "htcondor:AnnexName";
	tags[0].value = s->annex_name;
	tags[1].key = "htcondor:AnnexId";
	tags[1].value = s->annex_id;
	tags[2].key = "htcondor:LeaseExpiration";
	tags[2].value = s->lease_iso;
	if (budget) {
		tags[3].key = "htcondor:BudgetUSD";
		tags[3].value = budget;
	}
	for (size_t i = 0; i < s->n_tags; i++) {
		tags[own + i].key = s->tags[i].key;
		tags[own + i].value = s->tags[i].value;
	}
	memset(fs, 0, sizeof(*fs));
	fs->target_capacity = s->count;
	fs->fleet_type = s->fleet_maintain ? "maintain" : "request";
	fs->fleet_role_arn = s->fleet_role_arn;
	fs->valid_until = s->lease_iso;
	fs->client_token = s->client_token;
	fs->template_name = template_name;
	fs->image_id = s->image_id;
	fs->user_data_b64 = buf_cstr(&s->user_data_b64);
	fs->instance_profile_arn = s->instance_profile_arn;
	fs->security_group_ids = s->security_group_ids;
	fs->key_name = s->key_name;
	fs->tags = tags;
	fs->n_tags = own;
	fs->node_tags = tags + own;
	fs->n_node_tags = s->n_tags;
	*node_tags = tags;
}

int launch_template_params(const struct launch_spec *s, const char *name, json_object *data, struct params *p,
			   struct annex_err *err)
{
	params_add(p, "LaunchTemplateName", name);
	params_add(p, "ClientToken", s->client_token);
	params_add(p, "VersionDescription", s->annex_id);
	params_add(p, "TagSpecification.1.ResourceType", "launch-template");
	params_add(p, "TagSpecification.1.Tag.1.Key", "htcondor:AnnexName");
	params_add(p, "TagSpecification.1.Tag.1.Value", s->annex_name);
	params_add(p, "TagSpecification.1.Tag.2.Key", "htcondor:AnnexId");
	params_add(p, "TagSpecification.1.Tag.2.Value", s->annex_id);
	params_add(p, "TagSpecification.1.Tag.3.Key", "htcondor:LeaseExpiration");
	params_add(p, "TagSpecification.1.Tag.3.Value", s->lease_iso);
	const char *budget = spec_tag(s, "htcondor:BudgetUSD");

	if (budget) {
		params_add(p, "TagSpecification.1.Tag.4.Key", "htcondor:BudgetUSD");
		params_add(p, "TagSpecification.1.Tag.4.Value", budget);
	}
	return fleetconfig_template_params(data, p, err);
}

int launch_template_create(struct aws_ctx *aws, const struct launch_spec *s, const char *name,
			   json_object *versions, const char *for_what, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	char *id = NULL;
	int rc = launch_template_params(s, name, json_object_array_get_idx(versions, 0), &p, err);

	if (rc == 0)
		rc = ec2_create_launch_template(aws, &p, &id, err);
	if (rc != 0 && strcmp(err->code, "InvalidLaunchTemplateName.AlreadyExistsException") == 0) {
		/* the name holds this launch's annex id: a resend whose first
		 * attempt's reply was lost made it (AWS answers such a resend by
		 * its ClientToken; an emulator may not), so adopt it */
		struct ec2_ids found = { 0 };
		struct annex_err e2;
		annex_err_clear(&e2);
		if (ec2_launch_templates_by_tag(aws, "htcondor:AnnexId", s->annex_id, &found, &e2) == 0 &&
		    found.n == 1) {
			id = xstrdup(found.v[0]);
			annex_err_clear(err);
			rc = 0;
		}
		ec2_ids_free(&found);
	}
	params_free(&p);
	for (size_t i = 1; rc == 0 && i < json_object_array_length(versions); i++) {
		char *token = xasprintf("%s.%zu", s->client_token, i + 1);
		params_add(&p, "LaunchTemplateId", id);
		params_add(&p, "ClientToken", token);
		params_add(&p, "VersionDescription", s->annex_id);
		free(token);
		rc = fleetconfig_template_params(json_object_array_get_idx(versions, i), &p, err);
		if (rc == 0)
			rc = ec2_create_launch_template_version(aws, &p, err);
		params_free(&p);
	}
	if (rc == 0)
		printf("Launch template %s (%s) created for %s.\n", name, id, for_what);
	free(id);
	return rc;
}
