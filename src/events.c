/* events.c - CloudWatch Events rules and targets (JSON 1.1 protocol). */
#include "annex/events.h"

#include <stdlib.h>
#include <string.h>

int events_put_rule(struct aws_ctx *ctx, const char *name, const char *schedule, const char *description,
		    const struct events_tag *tags, size_t n_tags, char **arn, struct annex_err *err)
{
	json_object *in = json_object_new_object(), *out = NULL, *t = json_object_new_array(), *a;
	int rc;

	json_object_object_add(in, "Name", json_object_new_string(name));
	json_object_object_add(in, "ScheduleExpression", json_object_new_string(schedule));
	json_object_object_add(in, "State", json_object_new_string("ENABLED"));
	json_object_object_add(in, "Description", json_object_new_string(description));
	for (size_t i = 0; i < n_tags; i++) {
		json_object *tag = json_object_new_object();
		json_object_object_add(tag, "Key", json_object_new_string(tags[i].key));
		json_object_object_add(tag, "Value", json_object_new_string(tags[i].value));
		json_object_array_add(t, tag);
	}
	json_object_object_add(in, "Tags", t);
	rc = aws_json11(ctx, AWS_EVENTS, "PutRule", in, &out, err);
	json_object_put(in);
	*arn = NULL;
	if (rc == 0 && json_object_object_get_ex(out, "RuleArn", &a) && json_object_is_type(a, json_type_string))
		*arn = xstrdup(json_object_get_string(a));
	json_object_put(out);
	if (rc == 0 && !*arn)
		return annex_err_set(err, "BadReply", "Events PutRule: reply without RuleArn");
	return rc;
}

int events_put_target(struct aws_ctx *ctx, const char *rule, const char *target_id, const char *arn,
		      const char *input_json, struct annex_err *err)
{
	json_object *in = json_object_new_object(), *targets = json_object_new_array();
	json_object *t = json_object_new_object(), *out = NULL, *failed;
	int rc;

	json_object_object_add(t, "Id", json_object_new_string(target_id));
	json_object_object_add(t, "Arn", json_object_new_string(arn));
	json_object_object_add(t, "Input", json_object_new_string(input_json));
	json_object_array_add(targets, t);
	json_object_object_add(in, "Rule", json_object_new_string(rule));
	json_object_object_add(in, "Targets", targets);
	rc = aws_json11(ctx, AWS_EVENTS, "PutTargets", in, &out, err);
	json_object_put(in);
	if (rc == 0 && json_object_object_get_ex(out, "FailedEntryCount", &failed) &&
	    json_object_get_int(failed) > 0)
		rc = annex_err_set(err, "PutTargetsFailed", "Events PutTargets: the target of rule %s was refused: %s",
				   rule, json_object_to_json_string(out));
	json_object_put(out);
	return rc;
}

static int is_not_found(struct annex_err *err)
{
	if (strcmp(err->code, "ResourceNotFoundException") == 0) {
		annex_err_clear(err);
		return 1;
	}
	return 0;
}

int events_delete_rule(struct aws_ctx *ctx, const char *rule, struct annex_err *err)
{
	json_object *in = json_object_new_object(), *out = NULL, *targets, *ids = json_object_new_array();
	int rc;

	json_object_object_add(in, "Rule", json_object_new_string(rule));
	rc = aws_json11(ctx, AWS_EVENTS, "ListTargetsByRule", in, &out, err);
	if (rc != 0) {
		json_object_put(in);
		json_object_put(ids);
		return is_not_found(err) ? 0 : -1;
	}
	if (json_object_object_get_ex(out, "Targets", &targets) && json_object_is_type(targets, json_type_array))
		for (size_t i = 0; i < json_object_array_length(targets); i++) {
			json_object *id;
			if (json_object_object_get_ex(json_object_array_get_idx(targets, i), "Id", &id))
				json_object_array_add(ids, json_object_get(id));
		}
	json_object_put(out);
	out = NULL;
	if (json_object_array_length(ids) > 0) {
		json_object *rm = json_object_new_object();
		json_object_object_add(rm, "Rule", json_object_new_string(rule));
		json_object_object_add(rm, "Ids", json_object_get(ids));
		rc = aws_json11(ctx, AWS_EVENTS, "RemoveTargets", rm, &out, err);
		json_object_put(rm);
		json_object_put(out);
		out = NULL;
	}
	json_object_put(ids);
	json_object_put(in);
	in = json_object_new_object();
	json_object_object_add(in, "Name", json_object_new_string(rule));
	if (rc == 0)
		rc = aws_json11(ctx, AWS_EVENTS, "DeleteRule", in, &out, err);
	json_object_put(in);
	json_object_put(out);
	if (rc != 0 && is_not_found(err))
		return 0;
	return rc;
}

struct list_ctx {
	char **names;
	size_t n;
};

static int collect_rules(json_object *page, void *ud, struct annex_err *err)
{
	struct list_ctx *lc = ud;
	json_object *rules;

	(void)err;
	if (!json_object_object_get_ex(page, "Rules", &rules) || !json_object_is_type(rules, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		json_object *name;
		if (json_object_object_get_ex(json_object_array_get_idx(rules, i), "Name", &name) &&
		    json_object_is_type(name, json_type_string)) {
			lc->names = xrealloc(lc->names, (lc->n + 1) * sizeof(char *));
			lc->names[lc->n++] = xstrdup(json_object_get_string(name));
		}
	}
	return 0;
}

int events_list_rules(struct aws_ctx *ctx, const char *prefix, char ***names, size_t *n,
		      struct annex_err *err)
{
	json_object *in = json_object_new_object();
	struct list_ctx lc = { NULL, 0 };
	int rc;

	if (prefix)
		json_object_object_add(in, "NamePrefix", json_object_new_string(prefix));
	rc = aws_json11_paginate(ctx, AWS_EVENTS, "ListRules", in, collect_rules, &lc, err);
	json_object_put(in);
	*names = lc.names;
	*n = lc.n;
	return rc;
}

void events_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

struct info_ctx {
	struct events_rule *v;
	size_t n;
};

static char *field(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	       xstrdup(json_object_get_string(v)) : NULL;
}

static int collect_rule_info(json_object *page, void *ud, struct annex_err *err)
{
	struct info_ctx *ic = ud;
	json_object *rules;

	(void)err;
	if (!json_object_object_get_ex(page, "Rules", &rules) || !json_object_is_type(rules, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		json_object *r = json_object_array_get_idx(rules, i);
		char *name = field(r, "Name");
		if (!name)
			continue;
		ic->v = xrealloc(ic->v, (ic->n + 1) * sizeof(*ic->v));
		ic->v[ic->n].name = name;
		ic->v[ic->n].description = field(r, "Description");
		ic->v[ic->n].state = field(r, "State");
		ic->n++;
	}
	return 0;
}

int events_list_rule_info(struct aws_ctx *ctx, const char *prefix, struct events_rule **rules, size_t *n,
			  struct annex_err *err)
{
	json_object *in = json_object_new_object();
	struct info_ctx ic = { NULL, 0 };
	int rc;

	if (prefix)
		json_object_object_add(in, "NamePrefix", json_object_new_string(prefix));
	rc = aws_json11_paginate(ctx, AWS_EVENTS, "ListRules", in, collect_rule_info, &ic, err);
	json_object_put(in);
	*rules = ic.v;
	*n = ic.n;
	return rc;
}

void events_rules_free(struct events_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rules[i].name);
		free(rules[i].description);
		free(rules[i].state);
	}
	free(rules);
}

int events_list_targets(struct aws_ctx *ctx, const char *rule, json_object **targets, struct annex_err *err)
{
	json_object *in = json_object_new_object(), *out = NULL, *t;
	int rc;

	*targets = NULL;
	json_object_object_add(in, "Rule", json_object_new_string(rule));
	rc = aws_json11(ctx, AWS_EVENTS, "ListTargetsByRule", in, &out, err);
	json_object_put(in);
	if (rc != 0) {
		json_object_put(out);
		return is_not_found(err) ? 0 : -1;
	}
	if (out && json_object_object_get_ex(out, "Targets", &t) && json_object_is_type(t, json_type_array))
		*targets = json_object_get(t);
	else
		*targets = json_object_new_array();
	json_object_put(out);
	return 1;
}

int events_enable_rule(struct aws_ctx *ctx, const char *rule, struct annex_err *err)
{
	json_object *in = json_object_new_object(), *out = NULL;
	int rc;

	json_object_object_add(in, "Name", json_object_new_string(rule));
	rc = aws_json11(ctx, AWS_EVENTS, "EnableRule", in, &out, err);
	json_object_put(in);
	json_object_put(out);
	return rc;
}

int events_remove_target(struct aws_ctx *ctx, const char *rule, const char *target_id, struct annex_err *err)
{
	json_object *in = json_object_new_object(), *ids = json_object_new_array(), *out = NULL;
	int rc;

	json_object_array_add(ids, json_object_new_string(target_id));
	json_object_object_add(in, "Rule", json_object_new_string(rule));
	json_object_object_add(in, "Ids", ids);
	rc = aws_json11(ctx, AWS_EVENTS, "RemoveTargets", in, &out, err);
	json_object_put(in);
	json_object_put(out);
	return rc;
}
