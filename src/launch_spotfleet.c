/* launch_spotfleet.c - the Spot Fleet back-end of the launch engine. The
 * nodes are described by one EC2 launch template per launch (named from
 * the annex id, tagged like the annex): the user-data, instance profile,
 * security groups, key, IMDSv2-only MetadataOptions and the instance and
 * volume tags. The user's request config (fleetconfig.c) becomes
 * LaunchTemplateConfigs whose overrides carry its types, subnets, weights
 * and prices, completed with annex's capacity, role, type, lease and tags
 * and sent as RequestSpotFleet. The fleet request (with its instances) and
 * the template are found by the annex id and ended by the undo (see
 * include/annex/launch.h). */
#include "annex/launch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/aws_retry.h"
#include "annex/cost.h"
#include "annex/dryrun.h"
#include "annex/fleetconfig.h"
#include "annex/launch_template.h"

/* The request and the template versions for s (cfg and versions to free,
 * versions with fleetconfig_cleanse first). */
static int build(const struct launch_spec *s, const char *template_name, json_object **cfg,
		 json_object **versions, struct annex_err *err)
{
	struct fleet_tag *tags;
	struct fleet_settings fs;
	int rc;

	*versions = NULL;
	if (json_object_deep_copy(s->fleet_config, cfg, NULL) != 0)
		return annex_err_set(err, "Internal", "could not copy the Spot Fleet config");
	launch_template_settings(s, template_name, &fs, &tags);
	rc = fleetconfig_apply(*cfg, &fs, versions, err);
	free(tags);
	return rc;
}

static void free_built(json_object *cfg, json_object *versions)
{
	fleetconfig_cleanse(versions);
	json_object_put(versions);
	json_object_put(cfg);
}

/* -dry-run: prints the CreateLaunchTemplate and RequestSpotFleet requests
 * annex would send (dryrun.h: the user-data redacted), then sends only
 * CreateLaunchTemplate with DryRun=true, so AWS checks the permissions and
 * the template data. RequestSpotFleet is not sent: it names the template,
 * which a dry run does not create (and moto ignores DryRun on it). */
static int spotfleet_dry_run(struct aws_ctx *aws, const struct launch_spec *s, struct annex_err *err)
{
	char *name = launch_template_name(s->annex_id);
	struct params p = PARAMS_INIT, fp = PARAMS_INIT;
	json_object *cfg = NULL, *versions = NULL;
	int rc = build(s, name, &cfg, &versions, err);
	size_t n_versions = versions ? json_object_array_length(versions) : 0;

	if (rc == 0)
		rc = fleetconfig_to_params(cfg, &fp, err);
	for (size_t i = 1; rc == 0 && i < n_versions; i++) {
		struct params vp = PARAMS_INIT;
		rc = fleetconfig_template_params(json_object_array_get_idx(versions, i), &vp, err);
		if (rc == 0)
			dryrun_params(stdout, "EC2", "CreateLaunchTemplateVersion", &vp);
		params_free(&vp);
	}
	if (rc == 0)
		rc = launch_template_params(s, name, json_object_array_get_idx(versions, 0), &p, err);
	if (rc == 0) {
		char *id = NULL;
		dryrun_params(stdout, "EC2", "CreateLaunchTemplate", &p);
		dryrun_params(stdout, "EC2", "RequestSpotFleet", &fp);
		params_add(&p, "DryRun", "true");
		rc = ec2_create_launch_template(aws, &p, &id, err);
		free(id);
		if (rc != 0 && strcmp(err->code, "DryRunOperation") == 0) {
			annex_err_clear(err);
			rc = 0;
			printf("Dry run: CreateLaunchTemplate would have succeeded (%zu version%s); RequestSpotFleet was "
			       "not sent (it names the template, which a dry run does not create).\n", n_versions,
			       n_versions == 1 ? "" : "s");
		} else if (rc == 0) {
			rc = annex_err_set(err, "DryRunIgnored", "EC2 created launch template %s although DryRun was "
					   "set; delete it with: aws ec2 delete-launch-template --launch-template-name %s",
					   name, name);
		}
	}
	params_free(&p);
	params_free(&fp);
	free_built(cfg, versions);
	free(name);
	return rc;
}

/* RequestSpotFleet's resends: every attempt carries the same ClientToken
 * on a fresh connection (AWS_RETRY_TOKEN); and, as for RunInstances, a
 * request whose reply was lost may have made the fleet, so before sending
 * it again annex looks for a fleet tagged with this annex id and adopts it
 * (an emulator, or AWS past the token's lifetime, would make a second). */
struct fleet_adopt {
	struct aws_ctx *aws;
	const char *annex_id;
	char **fleet_id;
};

static int fleet_adopt_made(void *ud, const struct annex_err *last, struct annex_err *err)
{
	struct fleet_adopt *a = ud;
	struct ec2_ids found = { 0 };
	struct annex_err e2;
	int rc = AWS_RESEND;

	(void)last;
	(void)err;
	annex_err_clear(&e2);
	if (ec2_spot_fleets_by_tag(a->aws, "htcondor:AnnexId", a->annex_id, &found, &e2) == 0 && found.n > 0) {
		*a->fleet_id = xstrdup(found.v[0]);
		rc = AWS_DONE;
	}
	ec2_ids_free(&found);
	return rc;
}

static int request_fleet(struct aws_ctx *aws, const struct launch_spec *s, const struct params *p, char **fleet_id,
			 struct annex_err *err)
{
	struct fleet_adopt a = { aws, s->annex_id, fleet_id };
	struct aws_call call = { 0 };

	call.retry = AWS_RETRY_TOKEN;
	call.before_resend = fleet_adopt_made;
	call.ud = &a;
	return ec2_request_spot_fleet_with(aws, p, &call, fleet_id, err) < 0 ? -1 : 0;
}

static int spotfleet_launch(struct aws_ctx *aws, const struct launch_spec *s, struct launch_result *res,
			    struct annex_err *err)
{
	char *name = launch_template_name(s->annex_id);
	struct params p = PARAMS_INIT;
	json_object *cfg = NULL, *versions = NULL;
	int rc = build(s, name, &cfg, &versions, err);

	if (rc == 0)
		rc = fleetconfig_to_params(cfg, &p, err);
	if (rc == 0)
		rc = launch_template_create(aws, s, name, versions, "the Spot Fleet", err);
	if (rc == 0)
		rc = request_fleet(aws, s, &p, &res->fleet_id, err);
	params_free(&p);
	free_built(cfg, versions);
	free(name);
	if (rc == 0)
		printf("Spot Fleet request %s submitted (type %s, ending at %s).\n", res->fleet_id,
		       s->fleet_maintain ? "maintain" : "request", s->lease_iso);
	return rc;
}

static int spotfleet_find(struct aws_ctx *aws, const struct launch_spec *s, struct launch_found *found,
			  struct annex_err *err)
{
	if (ec2_spot_fleets_by_tag(aws, "htcondor:AnnexId", s->annex_id, &found->fleets, err) != 0)
		return -1;
	return ec2_launch_templates_by_tag(aws, "htcondor:AnnexId", s->annex_id, &found->templates, err);
}

/* Cancels the fleet requests (with their instances), then deletes the
 * launch templates: a template goes only once nothing can launch from it. */
static int spotfleet_undo(struct aws_ctx *aws, const struct launch_spec *s, const struct launch_found *found,
			  struct annex_err *err)
{
	(void)s;
	if (ec2_cancel_spot_fleets(aws, &found->fleets, err) != 0)
		return -1;
	return ec2_delete_launch_templates(aws, &found->templates, err);
}

const struct launch_backend launch_spotfleet = {
	"RequestSpotFleet", spotfleet_dry_run, spotfleet_launch, spotfleet_find, spotfleet_undo,
};
