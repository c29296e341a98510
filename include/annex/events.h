/* events.h - CloudWatch Events (EventBridge) rules: one per launch, named by
 * the annex id, firing the lease function every five minutes. */
#ifndef ANNEX_EVENTS_H
#define ANNEX_EVENTS_H

#include "annex/aws.h"

struct events_tag {
	const char *key;
	const char *value;
};

int events_put_rule(struct aws_ctx *ctx, const char *name, const char *schedule, const char *description,
		    const struct events_tag *tags, size_t n_tags, char **arn, struct annex_err *err);
/* One target: the function arn, with a constant JSON input. */
int events_put_target(struct aws_ctx *ctx, const char *rule, const char *target_id, const char *arn,
		      const char *input_json, struct annex_err *err);
/* Removes the rule's targets, then the rule; a missing rule is not an error. */
int events_delete_rule(struct aws_ctx *ctx, const char *rule, struct annex_err *err);
/* Names of the rules whose name starts with prefix (every rule when prefix
 * is NULL); a malloc'd array of malloc'd strings. */
int events_list_rules(struct aws_ctx *ctx, const char *prefix, char ***names, size_t *n,
		      struct annex_err *err);
/* A rule as ListRules describes it (malloc'd fields; NULL when absent). */
struct events_rule {
	char *name, *description, *state;
};
/* Every rule whose name starts with prefix (NULL: every rule), with its
 * description and state; a malloc'd array (events_rules_free). */
int events_list_rule_info(struct aws_ctx *ctx, const char *prefix, struct events_rule **rules, size_t *n,
			  struct annex_err *err);
void events_rules_free(struct events_rule *rules, size_t n);
/* ListTargetsByRule: the Targets array (json_object_put; an empty array
 * when the rule has none). 1, 0 when the rule is gone, -1 error. */
int events_list_targets(struct aws_ctx *ctx, const char *rule, json_object **targets, struct annex_err *err);
/* RemoveTargets of the one target id. */
int events_remove_target(struct aws_ctx *ctx, const char *rule, const char *target_id, struct annex_err *err);
/* EnableRule. */
int events_enable_rule(struct aws_ctx *ctx, const char *rule, struct annex_err *err);
/* Frees what events_list_rules returned. */
void events_names_free(char **names, size_t n);

#endif
