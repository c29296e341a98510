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
/* Frees what events_list_rules returned. */
void events_names_free(char **names, size_t n);

#endif
