/* launch.c - the launch engine: the spec, the lease rule, and the one undo
 * path of a launch that fails halfway (see include/annex/launch.h). */
#include "annex/launch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/cost.h"
#include "annex/dryrun.h"
#include "annex/events.h"

void launch_spec_init(struct launch_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	buf_init_secret(&spec->user_data_b64);
}

void launch_spec_free(struct launch_spec *spec)
{
	free(spec->annex_name);
	free(spec->annex_id);
	free(spec->client_token);
	for (size_t i = 0; i < spec->n_instance_types; i++)
		free(spec->instance_types[i]);
	free(spec->instance_types);
	free(spec->image_id);
	buf_free(&spec->user_data_b64);
	free(spec->owners);
	for (size_t i = 0; i < spec->n_tags; i++) {
		free(spec->tags[i].key);
		free(spec->tags[i].value);
	}
	free(spec->tags);
	free(spec->instance_profile_arn);
	free(spec->security_group_ids);
	free(spec->key_name);
	free(spec->lease_function_arn);
	free(spec->fleet_role_arn);
	free(spec->price_tag);
	json_object_put(spec->fleet_config);
	launch_spec_init(spec);
}

void launch_spec_add_type(struct launch_spec *spec, const char *type)
{
	spec->instance_types = xrealloc(spec->instance_types, (spec->n_instance_types + 1) * sizeof(char *));
	spec->instance_types[spec->n_instance_types++] = xstrdup(type);
}

void launch_spec_add_tag(struct launch_spec *spec, const char *key, const char *value)
{
	spec->tags = xrealloc(spec->tags, (spec->n_tags + 1) * sizeof(*spec->tags));
	spec->tags[spec->n_tags].key = xstrdup(key);
	spec->tags[spec->n_tags].value = xstrdup(value);
	spec->n_tags++;
}

void launch_spec_add_annex_tags(struct launch_spec *spec)
{
	char v[64];

	launch_spec_add_tag(spec, "htcondor:AnnexName", spec->annex_name);
	launch_spec_add_tag(spec, "htcondor:AnnexId", spec->annex_id);
	launch_spec_add_tag(spec, "htcondor:LeaseExpiration", spec->lease_iso);
	snprintf(v, sizeof(v), "%ld", spec->idle_s);
	launch_spec_add_tag(spec, "htcondor:IdleTimeout", v);
	if (spec->owners)
		launch_spec_add_tag(spec, "htcondor:Owner", spec->owners);
	/* what the lease function and -status reckon the annex's cost with,
	 * without the Price List (docs/lease-function.md, "Budget") */
	if (spec->budget_usd > 0) {
		cost_num(spec->budget_usd, v, sizeof(v));
		launch_spec_add_tag(spec, "htcondor:BudgetUSD", v);
	}
	if (spec->price_tag && *spec->price_tag)
		launch_spec_add_tag(spec, "htcondor:PriceUSDPerHour", spec->price_tag);
	snprintf(v, sizeof(v), "annex %s", spec->annex_name);
	launch_spec_add_tag(spec, "Name", v);
}

void launch_result_free(struct launch_result *res)
{
	ec2_ids_free(&res->instances);
	ec2_ids_free(&res->ec2_fleets);
	free(res->fleet_id);
	free(res->rule_arn);
	memset(res, 0, sizeof(*res));
	res->started = -1;
}

void launch_found_free(struct launch_found *found)
{
	ec2_ids_free(&found->instances);
	ec2_ids_free(&found->fleets);
	ec2_ids_free(&found->templates);
	ec2_ids_free(&found->ec2_fleets);
}

/* ---- the lease rule through EventBridge ---- */

static int lease_add(struct aws_ctx *aws, const struct launch_spec *spec, char **rule_arn, struct annex_err *err)
{
	const struct events_tag tags[] = {
		{ "htcondor:AnnexName", spec->annex_name },
		{ "htcondor:AnnexId", spec->annex_id },
	};
	json_object *in = json_object_new_object();
	char *desc = xasprintf("annex %s: lease ends %s", spec->annex_name, spec->lease_iso);
	int rc;

	rc = events_put_rule(aws, spec->annex_id, "rate(5 minutes)", desc, tags, 2, rule_arn, err);
	free(desc);
	/* No AWS error reply (a lost, cut or unreadable reply): the rule may
	 * exist, so the undo must try to remove it (a missing rule is fine). */
	if (rc != 0 && err->http_status == 0 && !*rule_arn)
		*rule_arn = xstrdup(spec->annex_id);
	json_object_object_add(in, "AnnexName", json_object_new_string(spec->annex_name));
	json_object_object_add(in, "AnnexId", json_object_new_string(spec->annex_id));
	json_object_object_add(in, "LeaseExpiration", json_object_new_string(spec->lease_iso));
	if (rc == 0)
		rc = events_put_target(aws, spec->annex_id, spec->annex_id, spec->lease_function_arn,
				       json_object_to_json_string_ext(in, JSON_C_TO_STRING_PLAIN), err);
	json_object_put(in);
	return rc;
}

const struct launch_lease launch_lease_events = { lease_add, events_delete_rule };

/* ---- the engine ---- */

static FILE *msg_out(const struct launch_ctx *ctx)
{
	return ctx->msg ? ctx->msg : stderr;
}

static const struct launch_lease *lease_of(const struct launch_ctx *ctx)
{
	return ctx->lease ? ctx->lease : &launch_lease_events;
}

static void undo_lease(const struct launch_ctx *ctx, const struct launch_spec *spec,
		       const struct launch_result *res)
{
	const char *rule = spec->annex_id;
	struct annex_err e;

	if (!res->rule_arn)
		return;
	annex_err_clear(&e);
	if (lease_of(ctx)->remove(ctx->aws, rule, &e) != 0)
		fprintf(msg_out(ctx), "annex: could not delete the lease rule %s (%s); delete it with: aws events "
			"remove-targets --rule %s --ids %s && aws events delete-rule --name %s\n",
			rule, e.msg, rule, rule, rule);
}

/* Ends what find() found; if that fails, says exactly which instances run
 * and how to end them. -1 leaves *e set only when it has more to say
 * (a fleet request that could not be cancelled). */
static int end_found(const struct launch_ctx *ctx, const struct launch_spec *spec,
		     const struct launch_backend *be, const struct launch_found *found, struct annex_err *e)
{
	const struct ec2_ids *ids = &found->instances;
	struct annex_err ue;
	FILE *out = msg_out(ctx);

	if (ids->n == 0 && found->fleets.n == 0 && found->templates.n == 0 && found->ec2_fleets.n == 0)
		return 0;
	annex_err_clear(&ue);
	if (be->undo(ctx->aws, spec, found, &ue) == 0) {
		if (ids->n > 0)
			fprintf(out, "annex: terminated the %zu instance%s this launch started.\n", ids->n,
				ids->n == 1 ? "" : "s");
		return 0;
	}
	if (ids->n == 0) {
		*e = ue;
		return -1;
	}
	fprintf(out, "annex: could not terminate the instances this launch started (%s). They are still "
		"running; end them with:\n  aws ec2 terminate-instances --region %s --instance-ids", ue.msg,
		ctx->region);
	for (size_t i = 0; i < ids->n; i++)
		fprintf(out, " %s", ids->v[i]);
	fputc('\n', out);
	return -1;
}

static void add_missing(struct ec2_ids *to, const struct ec2_ids *from)
{
	for (size_t i = 0; i < from->n; i++) {
		size_t j = 0;
		while (j < to->n && strcmp(to->v[j], from->v[i]) != 0)
			j++;
		if (j == to->n)
			ec2_ids_add(to, from->v[i]);
	}
}

/* After a failed launch: end whatever it may have started, and remove the
 * lease rule only when nothing of this launch can still be running;
 * otherwise the rule stays, so the cloud-side lease ends what is left at
 * the lease end. */
static void undo_launch(const struct launch_ctx *ctx, const struct launch_spec *spec,
			const struct launch_backend *be, const struct launch_result *res)
{
	struct launch_found found;
	struct annex_err e;
	int clean;

	memset(&found, 0, sizeof(found));
	annex_err_clear(&e);
	clean = be->find(ctx->aws, spec, &found, &e) == 0;
	/* what the launch's own replies named counts too: AWS's Describe calls
	 * are eventually consistent (a tag filter may not show an instance
	 * started a moment ago) and DescribeFleets never lists an instant fleet
	 * unasked, so find() alone could miss them and let the rule go */
	add_missing(&found.instances, &res->instances);
	add_missing(&found.ec2_fleets, &res->ec2_fleets);
	clean = clean && end_found(ctx, spec, be, &found, &e) == 0;
	launch_found_free(&found);
	if (clean) {
		undo_lease(ctx, spec, res);
		return;
	}
	if (e.msg[0])
		fprintf(msg_out(ctx), "annex: could not tell whether this launch started anything (%s).\n", e.msg);
	fprintf(msg_out(ctx), "annex: the lease rule %s stays, so the lease function ends what this launch left "
		"running at %s at the latest.\n", spec->annex_id, spec->lease_iso);
}

int launch_run(const struct launch_ctx *ctx, const struct launch_spec *spec, const struct launch_backend *be,
	       struct launch_result *res, struct annex_err *err)
{
	memset(res, 0, sizeof(*res));
	res->started = -1;
	if (lease_of(ctx)->add(ctx->aws, spec, &res->rule_arn, err) != 0) {
		annex_err_prefix(err, "registering the lease (nothing was launched)");
		undo_lease(ctx, spec, res);
		return -1;
	}
	if (be->launch(ctx->aws, spec, res, err) == 0)
		return 0;
	undo_launch(ctx, spec, be, res);
	return -1;
}

int launch_dry_run(const struct launch_ctx *ctx, const struct launch_spec *spec, const struct launch_backend *be,
		   struct annex_err *err)
{
	int rc;

	/* the lease launch_run registers first (lease_add's two calls) */
	dryrun_note("Events", "PutRule", "Name=%s ScheduleExpression=rate(5 minutes) Tags=htcondor:AnnexName=%s,"
		    "htcondor:AnnexId=%s", spec->annex_id, spec->annex_name, spec->annex_id);
	dryrun_note("Events", "PutTargets", "Rule=%s Id=%s Arn=%s Input={\"AnnexName\":\"%s\",\"AnnexId\":\"%s\","
		    "\"LeaseExpiration\":\"%s\"}", spec->annex_id, spec->annex_id, spec->lease_function_arn,
		    spec->annex_name, spec->annex_id, spec->lease_iso);
	rc = be->dry_run(ctx->aws, spec, err);

	if (rc != 0 && strcmp(err->code, "DryRunOperation") == 0) {
		annex_err_clear(err);
		printf("Dry run: %s would have succeeded; nothing was created.\n", be->name);
		return 0;
	}
	if (rc == 0) {
		puts("Dry run: the request was accepted; nothing was created.");
		return 0;
	}
	return -1;
}
