/* inventory.c - listing the inventory (inventory.h): DescribeInstances and
 * DescribeSpotFleetRequests pages (ec2.c) turned into inventory records,
 * ListRules and ListTargetsByRule (events.c) for the lease rules, and
 * condor_status (poolstatus.c) for the pool's ads. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"
#include "annex/ec2.h"
#include "annex/events.h"
#include "annex/inventory.h"
#include "annex/poolstatus.h"

/* An empty field read from a reply counts as absent. */
static char *inventory_or_null(const char *s)
{
	return s && *s ? (char *)s : NULL;
}

static void inventory_take_instance(const struct ec2_instance *e, void *ud)
{
	char *prices = ec2_tag_value(e->tag_set, "htcondor:PriceUSDPerHour");
	char *budget = ec2_tag_value(e->tag_set, "htcondor:BudgetUSD");
	struct inventory_instance in = {
		.id = (char *)e->id,
		.state = (char *)e->state,
		.type = inventory_or_null(e->type),
		.private_ip = inventory_or_null(e->private_ip),
		.launch_time = inventory_or_null(e->launch_time),
		.annex = e->tags->name,
		.annex_id = e->tags->id,
		.lease = e->tags->lease,
		.idle_timeout = e->tags->idle,
		.owner = e->tags->owner,
		.profile_arn = inventory_or_null(e->profile_arn),
		.client_token = inventory_or_null(e->client_token),
		.fleet_id = inventory_or_null(e->fleet_id),
		.lifecycle = inventory_or_null(e->lifecycle),
		.prices = inventory_or_null(prices),
		.budget = inventory_or_null(budget),
		.ec2_fleet_id = inventory_or_null(e->ec2_fleet_id),
	};

	inventory_add_instance(ud, &in);
	free(prices);
	free(budget);
}

int inventory_list_instances(struct aws_ctx *ctx, struct inventory *inv, struct annex_err *err)
{
	static const char *const live[] = { "pending", "running", "stopping", "stopped" };
	struct params p = PARAMS_INIT;
	char size[24];
	int rc;

	ec2_add_annex_filter(&p, inv->opts.annex_name);
	for (size_t i = 0; inv->opts.live_only && i < sizeof(live) / sizeof(live[0]); i++) {
		char key[32];
		if (i == 0)
			params_add(&p, "Filter.2.Name", "instance-state-name");
		snprintf(key, sizeof(key), "Filter.2.Value.%zu", i + 1);
		params_add(&p, key, live[i]);
	}
	snprintf(size, sizeof(size), "%ld", inv->opts.page_size > 0 ? inv->opts.page_size : 1000);
	params_add(&p, "MaxResults", size);
	rc = ec2_describe_instances(ctx, &p, inventory_take_instance, inv, err);
	params_free(&p);
	return rc;
}

static void inventory_take_fleet(const struct ec2_spot_fleet *e, void *ud)
{
	struct inventory_fleet f = {
		.id = (char *)e->id,
		.state = (char *)e->state,
		.annex = e->tags->name,
		.annex_id = e->tags->id,
		.lease = e->tags->lease,
		.valid_until = (char *)e->valid_until,
		.target = e->target,
		.role_arn = inventory_or_null(e->role_arn),
		.client_token = inventory_or_null(e->client_token),
		.fulfilled = e->fulfilled,
		.activity = (char *)e->activity,
	};

	inventory_add_fleet(ud, &f);
}

int inventory_list_fleets(struct aws_ctx *ctx, struct inventory *inv, struct annex_err *err)
{
	return ec2_describe_spot_fleets(ctx, inventory_take_fleet, inv, err);
}

int inventory_list_rules(struct aws_ctx *ctx, struct inventory *inv, struct annex_err *err)
{
	char *prefix = inv->opts.annex_name ? xasprintf("%s_", inv->opts.annex_name) : NULL;
	char **names = NULL;
	size_t n = 0;
	int rc = events_list_rules(ctx, prefix, &names, &n, err);

	for (size_t i = 0; rc == 0 && i < n; i++)
		inventory_add_rule(inv, names[i]);
	events_names_free(names, n);
	free(prefix);
	return rc;
}

int inventory_read_rule(struct aws_ctx *ctx, struct inventory *inv, size_t i, struct annex_err *err)
{
	struct inventory_rule *rule = &inv->rules[i];
	json_object *in = json_object_new_object(), *out = NULL, *targets;
	int rc;

	json_object_object_add(in, "Rule", json_object_new_string(rule->name));
	rc = aws_json11(ctx, AWS_EVENTS, "ListTargetsByRule", in, &out, err);
	json_object_put(in);
	if (rc != 0) {
		if (strcmp(err->code, "ResourceNotFoundException") == 0) {
			annex_err_clear(err);
			return 0;
		}
		return -1;
	}
	if (out && json_object_object_get_ex(out, "Targets", &targets) &&
	    json_object_is_type(targets, json_type_array))
		for (size_t t = 0; t < json_object_array_length(targets) && !rule->annex; t++) {
			json_object *input, *doc, *id, *name, *end;
			/* a member that is not a string (null) is no value: a reply is not trusted */
			if (!json_object_object_get_ex(json_object_array_get_idx(targets, t), "Input", &input) ||
			    !json_object_is_type(input, json_type_string))
				continue;
			doc = json_tokener_parse(json_object_get_string(input));
			if (doc && json_object_object_get_ex(doc, "AnnexId", &id) && json_object_is_type(id, json_type_string) &&
			    json_object_object_get_ex(doc, "AnnexName", &name) && json_object_is_type(name, json_type_string) &&
			    strcmp(json_object_get_string(id), rule->name) == 0) {
				rule->annex = xstrdup(json_object_get_string(name));
				if (json_object_object_get_ex(doc, "LeaseExpiration", &end) &&
				    json_object_is_type(end, json_type_string))
					rule->lease = xstrdup(json_object_get_string(end));
			}
			json_object_put(doc);
		}
	json_object_put(out);
	return 0;
}

void inventory_live_instance_ids(const struct inventory *inv, struct ec2_ids *out)
{
	for (size_t i = 0; i < inv->n_inst; i++)
		if (inventory_state_live(inv->inst[i].state))
			ec2_ids_add(out, inv->inst[i].id);
}

void inventory_live_fleet_ids(const struct inventory *inv, struct ec2_ids *out)
{
	for (size_t i = 0; i < inv->n_fleets; i++)
		if (strncmp(inv->fleets[i].state, "cancelled", 9) != 0)
			ec2_ids_add(out, inv->fleets[i].id);
}

static void inventory_take_ad(const struct poolstatus_ad *p, void *ud)
{
	struct inventory_ad ad = {
		.name = (char *)p->name,
		.annex = (char *)p->annex,
		.instance_id = (char *)p->instance_id,
		.state = (char *)p->state,
		.activity = (char *)p->activity,
		.entered = p->entered,
	};

	inventory_add_ad(ud, &ad);
}

int inventory_pool_annex(struct inventory *inv, const char *exe, const char *annex, struct annex_err *err)
{
	int rc = poolstatus_annex_ads(exe, annex, inventory_take_ad, inv, err);

	inventory_join(inv);
	return rc;
}

static int inventory_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void inventory_pool(struct inventory *inv)
{
	const char **names;
	char *why = NULL, *exe;
	size_t n = 0;

	if (!inv->n_inst)
		return;
	exe = poolstatus_find(inv->opts.condor_status, &why);
	if (!exe) {
		inv->pool_known = 0;
		inv->pool_note = why;
		return;
	}
	names = xcalloc(inv->n_inst, sizeof(*names));
	for (size_t i = 0; i < inv->n_inst; i++)
		names[i] = inv->inst[i].annex;
	qsort(names, inv->n_inst, sizeof(*names), inventory_cmp_str);
	inv->pool_known = 1;
	for (size_t i = 0; i < inv->n_inst && inv->pool_known; i++) {
		struct annex_err perr;
		if (n && strcmp(names[n - 1], names[i]) == 0)
			continue;
		names[n++] = names[i];
		annex_err_clear(&perr);
		if (poolstatus_annex_ads(exe, names[i], inventory_take_ad, inv, &perr) != 0) {
			inv->pool_known = 0;
			inv->pool_note = xasprintf("Pool membership is not shown: %s.", perr.msg);
		}
	}
	inventory_join(inv);
	free(names);
	free(exe);
}

int inventory_load(struct aws_ctx *ctx, struct inventory *inv, struct annex_err *err)
{
	unsigned parts = inv->opts.parts;

	if ((parts & INVENTORY_INSTANCES) && inventory_list_instances(ctx, inv, err) != 0)
		return -1;
	if ((parts & INVENTORY_FLEETS) && inventory_list_fleets(ctx, inv, err) != 0)
		return -1;
	if ((parts & INVENTORY_RULES) && inventory_list_rules(ctx, inv, err) != 0)
		return -1;
	if (parts & INVENTORY_POOL)
		inventory_pool(inv);
	return 0;
}
