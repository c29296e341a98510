/* reapscan.c - DescribeInstances, DescribeSpotFleetRequests, ListRules and
 * ListTargetsByRule turned into a reap_world for -reap. */
#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/reapscan.h"
#include "annex/ec2.h"
#include "annex/xml.h"

/* An empty tag value counts as absent. */
static const char *reapscan_nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* htcondor:IdleTimeout: whole seconds; -1 when absent or not a number. */
static long reapscan_seconds(const char *s)
{
	char *end = NULL;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	return *end || v < 0 ? -1 : v;
}

struct reapscan_ctx {
	struct reap_world *w;
	const char *name;
};

static int reapscan_instance_page(xmlDoc *doc, void *ud, struct annex_err *err)
{
	struct reapscan_ctx *c = ud;
	xmlNode *rs = xml_find(xmlDocGetRootElement(doc), "reservationSet");

	(void)err;
	for (xmlNode *res = rs ? xml_first(rs, "item") : NULL; res; res = xml_next(res, "item")) {
		xmlNode *is = xml_find(res, "instancesSet");
		for (xmlNode *i = is ? xml_first(is, "item") : NULL; i; i = xml_next(i, "item")) {
			char id[32] = "", state[32] = "", launched[64] = "";
			struct ec2_annex_tags t;
			xml_text_buf(i, "instanceId", id, sizeof(id));
			xml_text_buf(i, "instanceState/name", state, sizeof(state));
			xml_text_buf(i, "launchTime", launched, sizeof(launched));
			ec2_read_annex_tags(xml_find(i, "tagSet"), &t);
			if (*id && *state && reapscan_nonempty(t.name) && (!c->name || strcmp(t.name, c->name) == 0))
				reap_annex_add_instance(reap_world_annex(c->w, t.name, reapscan_nonempty(t.id)), id,
							state, reap_parse_time(launched), reap_parse_time(t.lease),
							reapscan_seconds(t.idle));
			ec2_annex_tags_free(&t);
		}
	}
	return 0;
}

int reapscan_instances(struct aws_ctx *ctx, const char *name, struct reap_world *w, struct annex_err *err)
{
	static const char *const live[] = { "pending", "running", "stopping", "stopped" };
	struct params p = PARAMS_INIT;
	struct reapscan_ctx c = { w, name };
	int rc;

	ec2_add_annex_filter(&p, name);
	params_add(&p, "Filter.2.Name", "instance-state-name");
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		char key[32];
		snprintf(key, sizeof(key), "Filter.2.Value.%zu", i + 1);
		params_add(&p, key, live[i]);
	}
	params_add(&p, "MaxResults", "1000");
	rc = aws_query_paginate(ctx, AWS_EC2, "DescribeInstances", &p, reapscan_instance_page, &c, err);
	params_free(&p);
	return rc;
}

static int reapscan_fleet_page(xmlDoc *doc, void *ud, struct annex_err *err)
{
	struct reapscan_ctx *c = ud;
	xmlNode *set = xml_find(xmlDocGetRootElement(doc), "spotFleetRequestConfigSet");

	(void)err;
	for (xmlNode *f = set ? xml_first(set, "item") : NULL; f; f = xml_next(f, "item")) {
		char id[64] = "", state[64] = "";
		struct ec2_annex_tags t;
		xml_text_buf(f, "spotFleetRequestId", id, sizeof(id));
		xml_text_buf(f, "spotFleetRequestState", state, sizeof(state));
		ec2_read_annex_tags(xml_find(f, "tagSet"), &t);
		if (*id && (strcmp(state, "submitted") == 0 || strcmp(state, "active") == 0 ||
			    strcmp(state, "modifying") == 0) &&
		    reapscan_nonempty(t.name) && (!c->name || strcmp(t.name, c->name) == 0))
			reap_annex_add_fleet(reap_world_annex(c->w, t.name, reapscan_nonempty(t.id)), id,
					     reap_parse_time(t.lease));
		ec2_annex_tags_free(&t);
	}
	return 0;
}

int reapscan_fleets(struct aws_ctx *ctx, const char *name, struct reap_world *w, struct annex_err *err)
{
	struct reapscan_ctx c = { w, name };

	return aws_query_paginate(ctx, AWS_EC2, "DescribeSpotFleetRequests", NULL, reapscan_fleet_page, &c, err);
}

/* NAME_UUID as launch names its rules: the annex name's characters
 * ([A-Za-z0-9.-], 1..27), '_', then 1..36 of [A-Za-z0-9-]. */
static int reapscan_is_annex_id(const char *s)
{
	const char *us = strchr(s, '_');
	size_t n;

	if (!us || us == s || us - s > 27 || strchr(us + 1, '_'))
		return 0;
	for (const char *p = s; p < us; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return 0;
	n = strlen(us + 1);
	if (n == 0 || n > 36)
		return 0;
	for (const char *p = us + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-')
			return 0;
	return 1;
}

struct reapscan_names {
	char **v;
	size_t n;
};

static int reapscan_rule_names(json_object *page, void *ud, struct annex_err *err)
{
	struct reapscan_names *names = ud;
	json_object *rules;

	(void)err;
	if (!json_object_object_get_ex(page, "Rules", &rules) || !json_object_is_type(rules, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		json_object *name;
		if (json_object_object_get_ex(json_object_array_get_idx(rules, i), "Name", &name) &&
		    reapscan_is_annex_id(json_object_get_string(name))) {
			names->v = xrealloc(names->v, (names->n + 1) * sizeof(char *));
			names->v[names->n++] = xstrdup(json_object_get_string(name));
		}
	}
	return 0;
}

/* Reads the rule's target inputs: the first whose AnnexId is the rule's
 * name gives the annex name and lease (malloc'd into *annex, *lease).
 * A rule that is gone by now leaves both NULL. */
static int reapscan_rule_input(struct aws_ctx *ctx, const char *rule, char **annex, char **lease,
			       struct annex_err *err)
{
	json_object *in = json_object_new_object(), *out = NULL, *targets;
	int rc;

	*annex = *lease = NULL;
	json_object_object_add(in, "Rule", json_object_new_string(rule));
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
		for (size_t i = 0; i < json_object_array_length(targets) && !*annex; i++) {
			json_object *input, *doc, *id, *name, *end;
			if (!json_object_object_get_ex(json_object_array_get_idx(targets, i), "Input", &input))
				continue;
			doc = json_tokener_parse(json_object_get_string(input));
			if (doc && json_object_object_get_ex(doc, "AnnexId", &id) &&
			    json_object_object_get_ex(doc, "AnnexName", &name) &&
			    strcmp(json_object_get_string(id), rule) == 0) {
				*annex = xstrdup(json_object_get_string(name));
				if (json_object_object_get_ex(doc, "LeaseExpiration", &end))
					*lease = xstrdup(json_object_get_string(end));
			}
			json_object_put(doc);
		}
	json_object_put(out);
	return 0;
}

int reapscan_rules(struct aws_ctx *ctx, const char *name, struct reap_world *w, struct annex_err *err)
{
	json_object *in = json_object_new_object();
	struct reapscan_names names = { NULL, 0 };
	int rc;

	if (name) {
		char *prefix = xasprintf("%s_", name);
		json_object_object_add(in, "NamePrefix", json_object_new_string(prefix));
		free(prefix);
	}
	rc = aws_json11_paginate(ctx, AWS_EVENTS, "ListRules", in, reapscan_rule_names, &names, err);
	json_object_put(in);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		struct reap_annex *a = reap_world_find(w, names.v[i]);
		char *annex = NULL, *lease = NULL;
		if (a && reap_annex_lease(a) != -1) {
			a->has_rule = 1;
			continue;
		}
		rc = reapscan_rule_input(ctx, names.v[i], &annex, &lease, err);
		if (rc == 0 && (a || annex)) {
			if (!a)
				a = reap_world_annex(w, annex, names.v[i]);
			a->has_rule = 1;
			a->rule_lease = reap_parse_time(lease);
		}
		free(annex);
		free(lease);
	}
	for (size_t i = 0; i < names.n; i++)
		free(names.v[i]);
	free(names.v);
	return rc;
}
