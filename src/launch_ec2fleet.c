/* launch_ec2fleet.c - the EC2 Fleet back-end of the launch engine (issue
 * 21, item 1): annex's launch template (launch_template.h), then ONE
 * CreateFleet of type instant whose overrides are the instance types
 * (-instance-types, or the one type of -spot), spot (allocation
 * price-capacity-optimized) or on-demand (prioritized in the user's order
 * when spec->types_prioritized, else lowest-price). The reply's instances
 * are the launch's; its errors are said type by type. With -spot-fallback
 * on-demand, what spot did not fill is asked for on-demand in a second
 * instant CreateFleet (its ClientToken launch_ec2fleet_fallback_token).
 * Fewer instances than -min-count (default: -count) fail the launch, and
 * the engine's undo ends what started: the instances, the EC2 Fleets and
 * the template, found by the annex id (include/annex/launch.h). */
#include "annex/launch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/aws_retry.h"
#include "annex/dryrun.h"
#include "annex/launch_template.h"

char *launch_ec2fleet_fallback_token(const char *annex_id)
{
	return xasprintf("od-%.61s", annex_id);
}

/* The template's one version (cleanse and free with free_versions). */
static json_object *template_versions(const struct launch_spec *s, const char *name)
{
	struct fleet_settings fs;
	struct fleet_tag *tags;
	json_object *versions = json_object_new_array();

	launch_template_settings(s, name, &fs, &tags);
	json_object_array_add(versions, fleetconfig_template_data(&fs));
	free(tags);
	return versions;
}

static void free_versions(json_object *versions)
{
	fleetconfig_cleanse(versions);
	json_object_put(versions);
}

static void add_tag_spec(const struct launch_spec *s, struct params *p, int n, const char *type)
{
	aws_params_addn(p, type, "TagSpecification.%d.ResourceType", n);
	for (size_t i = 0; i < s->n_tags; i++) {
		aws_params_addn(p, s->tags[i].key, "TagSpecification.%d.Tag.%zu.Key", n, i + 1);
		aws_params_addn(p, s->tags[i].value, "TagSpecification.%d.Tag.%zu.Value", n, i + 1);
	}
}

/* One instant CreateFleet for count instances of market, under token. */
static void fleet_params(const struct launch_spec *s, const char *name, enum launch_market market, long count,
			 const char *token, struct params *p)
{
	int spot = market == LAUNCH_SPOT;
	char n[32];

	params_add(p, "Type", "instant");
	params_add(p, "ClientToken", token);
	snprintf(n, sizeof(n), "%ld", count);
	params_add(p, "TargetCapacitySpecification.TotalTargetCapacity", n);
	params_add(p, "TargetCapacitySpecification.DefaultTargetCapacityType", spot ? "spot" : "on-demand");
	if (spot)
		params_add(p, "SpotOptions.AllocationStrategy", "price-capacity-optimized");
	else
		params_add(p, "OnDemandOptions.AllocationStrategy", s->types_prioritized ? "prioritized" : "lowest-price");
	params_add(p, "LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateName", name);
	params_add(p, "LaunchTemplateConfigs.1.LaunchTemplateSpecification.Version", "1");
	for (size_t i = 0; i < s->n_instance_types; i++) {
		aws_params_addn(p, s->instance_types[i], "LaunchTemplateConfigs.1.Overrides.%zu.InstanceType", i + 1);
		if (!spot && s->types_prioritized) {
			snprintf(n, sizeof(n), "%zu", i + 1);
			aws_params_addn(p, n, "LaunchTemplateConfigs.1.Overrides.%zu.Priority", i + 1);
		}
	}
	/* an instant fleet takes only these two resource types (the API
	 * reference; moto takes any): the volumes get their tags from annex's
	 * launch template, whose data tags instance and volume */
	add_tag_spec(s, p, 1, "instance");
	add_tag_spec(s, p, 2, "fleet");
}

/* -dry-run: prints CreateLaunchTemplate (the user-data redacted) and
 * CreateFleet, then sends both with DryRun=true: AWS checks the
 * permissions of each (EC2 answers a dry run before it looks for the
 * template, which a dry run does not create). */
static int ec2fleet_dry_run(struct aws_ctx *aws, const struct launch_spec *s, struct annex_err *err)
{
	char *name = launch_template_name(s->annex_id);
	json_object *versions = template_versions(s, name);
	struct params tp = PARAMS_INIT, fp = PARAMS_INIT, fb = PARAMS_INIT;
	struct ec2_fleet_reply reply = { 0 };
	char *id = NULL, *fb_token = launch_ec2fleet_fallback_token(s->annex_id);
	int rc = launch_template_params(s, name, json_object_array_get_idx(versions, 0), &tp, err);

	fleet_params(s, name, s->market, s->count, s->client_token, &fp);
	if (rc == 0) {
		dryrun_params(stdout, "EC2", "CreateLaunchTemplate", &tp);
		dryrun_params(stdout, "EC2", "CreateFleet", &fp);
		if (s->spot_fallback) {
			fleet_params(s, name, LAUNCH_ON_DEMAND, s->count, fb_token, &fb);
			printf("Then, only when spot fills fewer than %ld, for the rest (at most %ld):\n", s->count, s->count);
			dryrun_params(stdout, "EC2", "CreateFleet", &fb);
		}
		params_add(&tp, "DryRun", "true");
		rc = ec2_create_launch_template(aws, &tp, &id, err);
		if (rc == 0)
			rc = annex_err_set(err, "DryRunIgnored", "EC2 created launch template %s although DryRun was set; "
					   "delete it with: aws ec2 delete-launch-template --launch-template-name %s",
					   name, name);
		else if (strcmp(err->code, "DryRunOperation") == 0) {
			annex_err_clear(err);
			puts("Dry run: CreateLaunchTemplate would have succeeded.");
			params_add(&fp, "DryRun", "true");
			rc = ec2_create_fleet(aws, &fp, NULL, &reply, err);
			if (rc == 0)
				rc = annex_err_set(err, "DryRunIgnored", "EC2 created fleet %s although DryRun was set",
						   reply.fleet_id);
		}
	}
	ec2_fleet_reply_free(&reply);
	free(id);
	free(fb_token);
	params_free(&tp);
	params_free(&fp);
	params_free(&fb);
	free_versions(versions);
	free(name);
	return rc;
}

/* CreateFleet's resends: every attempt carries the same ClientToken on a
 * fresh connection (AWS_RETRY_TOKEN), which AWS answers with the fleet it
 * made; and, as for RunInstances, a request whose reply was lost may have
 * made the fleet, so before sending it again annex looks for a fleet of
 * this annex made with this token and adopts it (an emulator, or AWS past
 * the token's lifetime, would make a second). */
struct fleet_adopt {
	struct aws_ctx *aws;
	const char *annex_id, *token;
	struct ec2_fleet_reply *out;
};

static int fleet_adopt_made(void *ud, const struct annex_err *last, struct annex_err *err)
{
	struct fleet_adopt *a = ud;
	struct annex_err e2;

	(void)last;
	(void)err;
	annex_err_clear(&e2);
	ec2_fleet_reply_free(a->out);
	return ec2_ec2_fleet_by_token(a->aws, a->annex_id, a->token, a->out, &e2) == 1 ? AWS_DONE : AWS_RESEND;
}

static int create_fleet(struct aws_ctx *aws, const struct launch_spec *s, const struct params *p, const char *token,
			struct ec2_fleet_reply *out, struct annex_err *err)
{
	struct fleet_adopt a = { aws, s->annex_id, token, out };
	struct aws_call call = { 0 };

	call.retry = AWS_RETRY_TOKEN;
	call.before_resend = fleet_adopt_made;
	call.ud = &a;
	return ec2_create_fleet(aws, p, &call, out, err) < 0 ? -1 : 0;
}

/* Says each error of the reply on one line (stderr) and adds its
 * instances to res. */
static void take_reply(const struct ec2_fleet_reply *r, struct launch_result *res)
{
	for (size_t i = 0; i < r->n_errors; i++) {
		const struct ec2_fleet_error *e = &r->errors[i];
		fprintf(stderr, "annex: %s (%s): %s: %s\n", *e->type ? e->type : "(every type)",
			*e->lifecycle ? e->lifecycle : "?", e->code, e->message);
	}
	for (size_t i = 0; i < r->n_inst; i++)
		ec2_ids_add(&res->instances, r->inst[i].instance_id);
}

/* One line: what launched per type and market, in the order of the types. */
static void say_launched(const struct launch_spec *s, const struct ec2_fleet_reply *r, size_t n_r, long total)
{
	const char *markets[] = { "spot", "on-demand" };
	const char *sep = ": ";

	printf("CreateFleet launched %ld of the %ld instances requested", total, s->count);
	for (size_t m = 0; m < 2; m++)
		for (size_t t = 0; t < s->n_instance_types; t++) {
			long n = 0;
			for (size_t k = 0; k < n_r; k++)
				for (size_t i = 0; i < r[k].n_inst; i++)
					n += strcmp(r[k].inst[i].type, s->instance_types[t]) == 0 &&
					     strcmp(r[k].inst[i].lifecycle, markets[m]) == 0;
			if (n > 0) {
				printf("%s%ld %s (%s)", sep, n, s->instance_types[t], markets[m]);
				sep = ", ";
			}
		}
	puts(".");
}

static int ec2fleet_launch(struct aws_ctx *aws, const struct launch_spec *s, struct launch_result *res,
			   struct annex_err *err)
{
	char *name = launch_template_name(s->annex_id);
	json_object *versions = template_versions(s, name);
	struct ec2_fleet_reply r[2];
	struct params p = PARAMS_INIT;
	long min = s->min_count > 0 ? s->min_count : s->count;
	size_t n_r = 0;
	int rc;

	memset(r, 0, sizeof(r));
	rc = launch_template_create(aws, s, name, versions, "the EC2 Fleet", err);
	free_versions(versions);
	if (rc == 0) {
		fleet_params(s, name, s->market, s->count, s->client_token, &p);
		rc = create_fleet(aws, s, &p, s->client_token, &r[0], err);
		params_free(&p);
		n_r = 1;
	}
	if (rc == 0) {
		res->fleet_id = xstrdup(r[0].fleet_id);
		ec2_ids_add(&res->ec2_fleets, r[0].fleet_id);
		take_reply(&r[0], res);
	}
	if (rc == 0 && s->spot_fallback && s->market == LAUNCH_SPOT && (long)res->instances.n < s->count) {
		long rest = s->count - (long)res->instances.n;
		char *token = launch_ec2fleet_fallback_token(s->annex_id);
		printf("Spot filled %zu of the %ld instances; asking for the other %ld on-demand (-spot-fallback "
		       "on-demand).\n", res->instances.n, s->count, rest);
		fflush(stdout);
		fleet_params(s, name, LAUNCH_ON_DEMAND, rest, token, &p);
		rc = create_fleet(aws, s, &p, token, &r[1], err);
		params_free(&p);
		free(token);
		n_r = 2;
		if (rc == 0) {
			ec2_ids_add(&res->ec2_fleets, r[1].fleet_id);
			take_reply(&r[1], res);
		}
		else
			annex_err_prefix(err, "the on-demand fallback's CreateFleet");
	}
	if (rc == 0 || res->instances.n > 0)
		say_launched(s, r, n_r, (long)res->instances.n);
	res->started = (long)res->instances.n;
	if (rc == 0 && res->started < min)
		rc = annex_err_set(err, "InsufficientCapacity", "EC2 Fleet %s launched %ld of the %ld instances "
				   "requested, fewer than %s %ld%s", r[0].fleet_id, res->started, s->count,
				   s->min_count > 0 ? "-min-count" : "-count", min,
				   res->started > 0 ? "; ending them" : "");
	for (size_t i = 0; i < 2; i++)
		ec2_fleet_reply_free(&r[i]);
	free(name);
	return rc;
}

static int ec2fleet_find(struct aws_ctx *aws, const struct launch_spec *s, struct launch_found *found,
			 struct annex_err *err)
{
	if (ec2_instances_by_tag(aws, "htcondor:AnnexId", s->annex_id, &found->instances, err) != 0 ||
	    ec2_ec2_fleets_of_annex(aws, s->annex_id, &found->ec2_fleets, err) != 0)
		return -1;
	return ec2_launch_templates_by_tag(aws, "htcondor:AnnexId", s->annex_id, &found->templates, err);
}

/* Deletes the instant fleets (with TerminateInstances, which AWS requires
 * of an instant fleet), terminates every instance tagged with the annex id
 * (those too whose fleet was not found), then deletes the template. A fleet
 * DeleteFleets did not delete does not stop the TerminateInstances (what
 * costs money is the instances); once they are ended it is said on one line
 * with the command that deletes it (an instant fleet without instances costs
 * nothing). */
static int ec2fleet_undo(struct aws_ctx *aws, const struct launch_spec *s, const struct launch_found *found,
			 struct annex_err *err)
{
	struct annex_err fe;
	int fleets_rc;

	(void)s;
	annex_err_clear(&fe);
	fleets_rc = ec2_delete_ec2_fleets(aws, &found->ec2_fleets, &fe);
	if (ec2_terminate_instances(aws, &found->instances, err) != 0)
		return -1;
	if (fleets_rc != 0) {
		fprintf(stderr, "annex: %s: %s; its instances were terminated; delete the fleet%s with: aws ec2 "
			"delete-fleets --terminate-instances --fleet-ids", fe.code, fe.msg,
			found->ec2_fleets.n == 1 ? "" : "s");
		for (size_t i = 0; i < found->ec2_fleets.n; i++)
			fprintf(stderr, " %s", found->ec2_fleets.v[i]);
		fputc('\n', stderr);
	}
	return ec2_delete_launch_templates(aws, &found->templates, err);
}

const struct launch_backend launch_ec2fleet = {
	"CreateFleet", ec2fleet_dry_run, ec2fleet_launch, ec2fleet_find, ec2fleet_undo,
};
