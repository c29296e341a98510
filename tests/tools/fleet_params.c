/* fleet_params CONFIG.json - loads a Spot Fleet config, applies fixed annex
 * settings, and prints the RequestSpotFleet query parameters one per line
 * as NAME=VALUE (for comparison with botocore's serializer). With
 * "-raw" first, prints the completed JSON instead. */
#include <stdio.h>
#include <string.h>

#include "annex/fleetconfig.h"

int main(int argc, char **argv)
{
	struct annex_err err;
	struct params p = PARAMS_INIT;
	json_object *cfg = NULL;
	int raw = argc > 2 && strcmp(argv[1], "-raw") == 0;
	const struct fleet_tag tags[] = {
		{ "htcondor:AnnexName", "render" },
		{ "htcondor:AnnexId", "render_00000000-0000-4000-8000-000000000000" },
		{ "htcondor:LeaseExpiration", "2026-11-25T23:00:00Z" },
	};
	const struct fleet_settings s = {
		.target_capacity = 40,
		.fleet_role_arn = "arn:aws:iam::123456789012:role/HTCondorAnnex-SpotFleetRole",
		.valid_until = "2026-11-25T23:00:00Z",
		.client_token = "render_00000000-0000-4000-8000-000000000000",
		.user_data_b64 = "IyEvYmluL2Jhc2gK",
		.instance_profile_arn = "arn:aws:iam::123456789012:instance-profile/HTCondorAnnex-InstanceProfile",
		.security_group_ids = "sg-0a,sg-0b",
		.key_name = NULL,
		.tags = tags,
		.n_tags = 3,
	};

	if (argc < 2) {
		fprintf(stderr, "usage: fleet_params [-raw] CONFIG.json\n");
		return 2;
	}
	if (fleetconfig_load(argv[argc - 1], &cfg, &err) || fleetconfig_apply(cfg, &s, &err))
		goto fail;
	if (raw) {
		puts(json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN));
	} else {
		if (fleetconfig_to_params(cfg, &p, &err))
			goto fail;
		for (size_t i = 0; i < p.n; i++)
			printf("%s=%s\n", p.v[i].name, p.v[i].value);
	}
	params_free(&p);
	json_object_put(cfg);
	return 0;
fail:
	fprintf(stderr, "fleet_params: %s\n", err.msg);
	params_free(&p);
	json_object_put(cfg);
	return 1;
}
