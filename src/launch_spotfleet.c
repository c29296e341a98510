/* launch_spotfleet.c - the Spot Fleet back-end of the launch engine: the
 * user's request config (fleetconfig.c) completed with annex's capacity,
 * role, lease, user-data and tags, sent as RequestSpotFleet; found and
 * cancelled (with its instances) by the annex id (see
 * include/annex/launch.h). */
#include "annex/launch.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/dryrun.h"
#include "annex/fleetconfig.h"

/* Wipes the user-data fleetconfig_apply put into cfg's launch
 * specifications (it carries the pool password) before cfg is freed. */
static void cleanse_user_data(json_object *cfg)
{
	json_object *specs, *ud;

	if (!json_object_object_get_ex(cfg, "LaunchSpecifications", &specs) ||
	    !json_object_is_type(specs, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(specs); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(specs, i), "UserData", &ud) &&
		    json_object_is_type(ud, json_type_string))
			OPENSSL_cleanse((char *)json_object_get_string(ud), (size_t)json_object_get_string_len(ud));
}

/* The request annex sends: the user's config completed with annex's
 * capacity, role, lease, user-data and tags (fleetconfig_apply). */
static int spotfleet_params(const struct launch_spec *s, struct params *p, struct annex_err *err)
{
	const struct fleet_tag tags[] = {
		{ "htcondor:AnnexName", s->annex_name },
		{ "htcondor:AnnexId", s->annex_id },
		{ "htcondor:LeaseExpiration", s->lease_iso },
	};
	struct fleet_settings fs;
	json_object *cfg = NULL;
	int rc;

	if (json_object_deep_copy(s->fleet_config, &cfg, NULL) != 0)
		return annex_err_set(err, "Internal", "could not copy the Spot Fleet config");
	memset(&fs, 0, sizeof(fs));
	fs.target_capacity = s->count;
	fs.fleet_role_arn = s->fleet_role_arn;
	fs.valid_until = s->lease_iso;
	fs.client_token = s->client_token;
	fs.user_data_b64 = buf_cstr(&s->user_data_b64);
	fs.instance_profile_arn = s->instance_profile_arn;
	fs.security_group_ids = s->security_group_ids;
	fs.key_name = s->key_name;
	fs.tags = tags;
	fs.n_tags = 3;
	rc = fleetconfig_apply(cfg, &fs, err);
	if (rc == 0)
		rc = fleetconfig_to_params(cfg, p, err);
	cleanse_user_data(cfg);
	json_object_put(cfg);
	return rc;
}

/* The request annex would send, printed, then sent with DryRun=true. */
static int spotfleet_dry_run(struct aws_ctx *aws, const struct launch_spec *s, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	int rc = spotfleet_params(s, &p, err);

	if (rc == 0) {
		char *fid = NULL;
		dryrun_params(stdout, "EC2", "RequestSpotFleet", &p);
		params_add(&p, "DryRun", "true");
		rc = ec2_request_spot_fleet(aws, &p, &fid, err);
		free(fid);
	}
	params_free(&p);
	return rc;
}

static int spotfleet_launch(struct aws_ctx *aws, const struct launch_spec *s, struct launch_result *res,
			    struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	int rc = spotfleet_params(s, &p, err);

	if (rc == 0)
		rc = ec2_request_spot_fleet(aws, &p, &res->fleet_id, err);
	params_free(&p);
	if (rc == 0)
		printf("Spot Fleet request %s submitted.\n", res->fleet_id);
	return rc;
}

static int spotfleet_find(struct aws_ctx *aws, const struct launch_spec *s, struct launch_found *found,
			  struct annex_err *err)
{
	return ec2_spot_fleets_by_tag(aws, "htcondor:AnnexId", s->annex_id, &found->fleets, err);
}

static int spotfleet_undo(struct aws_ctx *aws, const struct launch_spec *s, const struct launch_found *found,
			  struct annex_err *err)
{
	(void)s;
	return ec2_cancel_spot_fleets(aws, &found->fleets, err);
}

const struct launch_backend launch_spotfleet = {
	"RequestSpotFleet", spotfleet_dry_run, spotfleet_launch, spotfleet_find, spotfleet_undo,
};
