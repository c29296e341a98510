/* fleet_params [-raw | -template] CONFIG.json - loads a Spot Fleet config,
 * applies fixed annex settings, and prints the RequestSpotFleet query
 * parameters one per line as NAME=VALUE (for comparison with botocore's
 * serializer). With "-template", the CreateLaunchTemplate (version 1) and
 * CreateLaunchTemplateVersion (version 2...) LaunchTemplateData
 * parameters instead, each version's block after a line "#VERSION N".
 * With "-raw", the completed JSON: {"request": ..., "versions": [...]}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/fleetconfig.h"

int main(int argc, char **argv)
{
	struct annex_err err;
	struct params p = PARAMS_INIT;
	json_object *cfg = NULL, *versions = NULL;
	const char *mode = argc > 2 ? argv[1] : "";
	const struct fleet_tag tags[] = {
		{ "htcondor:AnnexName", "render" },
		{ "htcondor:AnnexId", "render_00000000-0000-4000-8000-000000000000" },
		{ "htcondor:LeaseExpiration", "2026-11-25T23:00:00Z" },
	};
	const struct fleet_tag node_tags[] = {
		{ "htcondor:AnnexName", "render" },
		{ "htcondor:AnnexId", "render_00000000-0000-4000-8000-000000000000" },
		{ "htcondor:LeaseExpiration", "2026-11-25T23:00:00Z" },
		{ "htcondor:IdleTimeout", "900" },
		{ "Name", "annex render" },
	};
	const struct fleet_settings s = {
		.target_capacity = 40,
		.fleet_type = getenv("FLEET_TYPE"),
		.fleet_role_arn = "arn:aws:iam::123456789012:role/HTCondorAnnex-SpotFleetRole",
		.valid_until = "2026-11-25T23:00:00Z",
		.client_token = "render_00000000-0000-4000-8000-000000000000",
		.template_name = "htcondor-annex-render_00000000-0000-4000-8000-000000000000",
		.image_id = getenv("FLEET_IMAGE"),
		.user_data_b64 = "IyEvYmluL2Jhc2gK",
		.instance_profile_arn = "arn:aws:iam::123456789012:instance-profile/HTCondorAnnex-InstanceProfile",
		.security_group_ids = "sg-0a,sg-0b",
		.key_name = NULL,
		.tags = tags,
		.n_tags = 3,
		.node_tags = node_tags,
		.n_node_tags = 5,
	};

	if (argc < 2) {
		fprintf(stderr, "usage: fleet_params [-raw | -template] CONFIG.json\n");
		return 2;
	}
	if (fleetconfig_load(argv[argc - 1], &cfg, &err) || fleetconfig_apply(cfg, &s, &versions, &err))
		goto fail;
	if (strcmp(mode, "-raw") == 0) {
		json_object *both = json_object_new_object();
		json_object_object_add(both, "request", json_object_get(cfg));
		json_object_object_add(both, "versions", json_object_get(versions));
		puts(json_object_to_json_string_ext(both, JSON_C_TO_STRING_PLAIN));
		json_object_put(both);
	} else if (strcmp(mode, "-template") == 0) {
		for (size_t v = 0; v < json_object_array_length(versions); v++) {
			printf("#VERSION %zu\n", v + 1);
			if (fleetconfig_template_params(json_object_array_get_idx(versions, v), &p, &err))
				goto fail;
			for (size_t i = 0; i < p.n; i++)
				printf("%s=%s\n", p.v[i].name, p.v[i].value);
			params_free(&p);
		}
	} else {
		if (fleetconfig_to_params(cfg, &p, &err))
			goto fail;
		for (size_t i = 0; i < p.n; i++)
			printf("%s=%s\n", p.v[i].name, p.v[i].value);
	}
	params_free(&p);
	json_object_put(cfg);
	json_object_put(versions);
	return 0;
fail:
	fprintf(stderr, "fleet_params: %s\n", err.msg);
	params_free(&p);
	json_object_put(cfg);
	json_object_put(versions);
	return 1;
}
