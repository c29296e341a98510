/* setup_drift.c - each deployed setup piece compared with what this
 * version makes (setup_want.c), one line per difference; in DRIFT_FIX
 * mode each difference is corrected by the one call that fixes it, in
 * DRIFT_PLAN mode that call is listed instead. See setup_drift.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/events.h"
#include "annex/iam.h"
#include "annex/inventory.h"
#include "annex/lambda.h"
#include "annex/policydoc.h"
#include "annex/setup_drift.h"

static void differs(struct drift *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void differs(struct drift *d, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	d->found++;
	if (d->differs)
		d->differs(d->ud, buf_cstr(&b));
	buf_free(&b);
}

/* 1 when the caller is to make the correcting call now; under DRIFT_PLAN
 * notes it instead (0); under DRIFT_CHECK, 0. */
static int correct(struct drift *d, const char *service, const char *action, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int correct(struct drift *d, const char *service, const char *action, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (d->mode == DRIFT_FIX)
		return 1;
	if (d->mode == DRIFT_PLAN && d->would) {
		va_start(ap, fmt);
		buf_vprintf(&b, fmt, ap);
		va_end(ap);
		d->would(d->ud, service, action, buf_cstr(&b));
		buf_free(&b);
	}
	return 0;
}

/* ---- roles ---- */

static int drift_inline_policy(struct drift *d, const struct setup_role_want *w, struct annex_err *err)
{
	char *want, *have = NULL, *diff;
	int rc;

	if ((rc = iam_get_role_policy(d->ctx, w->name, w->policy_name, &have, err)) < 0)
		return -1;
	if (!(want = setup_policy_doc(w->policy_file, d->partition, d->region, d->account, d->node_profile, err))) {
		free(have);
		return -1;
	}
	rc = 0;
	if (!have || !policydoc_same(have, want)) {
		diff = have ? policydoc_diff(have, want) : NULL;
		if (have)
			differs(d, "role %s: inline policy %s differs from this version's (%s)", w->name, w->policy_name,
				diff);
		else
			differs(d, "role %s: inline policy %s is missing", w->name, w->policy_name);
		free(diff);
		if (correct(d, "IAM", "PutRolePolicy", "RoleName=%s PolicyName=%s PolicyDocument=policies/%s", w->name,
			    w->policy_name, w->policy_file))
			rc = iam_put_role_policy(d->ctx, w->name, w->policy_name, want, err);
	}
	free(have);
	free(want);
	return rc;
}

/* Inline policies other than w's, and every attached managed policy. */
static int drift_other_policies(struct drift *d, const struct setup_role_want *w, struct annex_err *err)
{
	char **names = NULL;
	size_t n = 0;
	int rc;

	if ((rc = iam_list_role_policies(d->ctx, w->name, 0, &names, &n, err)) != 0)
		return -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (w->policy_file && strcmp(names[i], w->policy_name) == 0)
			continue;
		differs(d, "role %s: inline policy %s is not this version's", w->name, names[i]);
		if (correct(d, "IAM", "DeleteRolePolicy", "RoleName=%s PolicyName=%s", w->name, names[i]))
			rc = iam_delete_role_policy(d->ctx, w->name, names[i], err);
	}
	iam_names_free(names, n);
	if (rc != 0 || iam_list_role_policies(d->ctx, w->name, 1, &names, &n, err) != 0)
		return -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		differs(d, "role %s: managed policy %s is attached (this version attaches none)", w->name, names[i]);
		if (correct(d, "IAM", "DetachRolePolicy", "RoleName=%s PolicyArn=%s", w->name, names[i]))
			rc = iam_detach_role_policy(d->ctx, w->name, names[i], err);
	}
	iam_names_free(names, n);
	return rc;
}

int drift_role(struct drift *d, const struct setup_role_want *w, const char *trust, struct annex_err *err)
{
	char *want = setup_policy_doc(w->trust_file, d->partition, d->region, d->account, d->node_profile, err);
	int rc = 0;

	if (!want)
		return -1;
	if (!policydoc_same(trust ? trust : "", want)) {
		char *diff = policydoc_diff(trust ? trust : "", want);
		differs(d, "role %s: trust policy differs from this version's (%s)", w->name, diff);
		free(diff);
		if (correct(d, "IAM", "UpdateAssumeRolePolicy", "RoleName=%s PolicyDocument=policies/%s", w->name,
			    w->trust_file))
			rc = iam_update_assume_role_policy(d->ctx, w->name, want, err);
	}
	free(want);
	if (rc == 0 && w->policy_file)
		rc = drift_inline_policy(d, w, err);
	if (rc == 0)
		rc = drift_other_policies(d, w, err);
	return rc;
}

int drift_profile(struct drift *d, const char *profile, const char *role, struct annex_err *err)
{
	char **roles = NULL;
	size_t n = 0;
	int rc = iam_instance_profile_roles(d->ctx, profile, &roles, &n, err), have = 0;

	for (size_t i = 0; rc == 1 && i < n; i++)
		have |= strcmp(roles[i], role) == 0;
	if (rc == 1)
		rc = 0;
	for (size_t i = 0; rc == 0 && !have && i < n; i++) {
		differs(d, "instance profile %s: holds the role %s, not %s", profile, roles[i], role);
		if (correct(d, "IAM", "RemoveRoleFromInstanceProfile", "InstanceProfileName=%s RoleName=%s", profile,
			    roles[i]))
			rc = iam_remove_role_from_instance_profile(d->ctx, profile, roles[i], err);
	}
	if (rc == 0 && !have) {
		if (n == 0)
			differs(d, "instance profile %s: holds no role, not %s", profile, role);
		if (correct(d, "IAM", "AddRoleToInstanceProfile", "InstanceProfileName=%s RoleName=%s", profile, role))
			rc = iam_add_role_to_instance_profile(d->ctx, profile, role, err);
	}
	iam_names_free(roles, n);
	return rc;
}

/* ---- the functions ---- */

static const char *str_of(json_object *config, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(config, key, &v) ? json_object_get_string(v) : "";
}

/* The function's environment against w's: one line per variable missing
 * or different, one for any other; 1 when anything differs. */
static int drift_env(struct drift *d, const struct setup_function_want *w, json_object *config)
{
	json_object *env, *vars = NULL, *v;
	struct buf extra = BUF_INIT, ours = BUF_INIT;
	int found = 0;

	if (json_object_object_get_ex(config, "Environment", &env) &&
	    (!json_object_object_get_ex(env, "Variables", &vars) || !json_object_is_type(vars, json_type_object)))
		vars = NULL;
	for (size_t i = 0; i < w->n_env; i++) {
		buf_printf(&ours, "%s%s", i ? ", " : "", w->env[i].key);
		if (!vars || !json_object_object_get_ex(vars, w->env[i].key, &v)) {
			differs(d, "function %s: environment variable %s is missing (this version's is %s)", w->name,
				w->env[i].key, w->env[i].value);
			found = 1;
		} else if (strcmp(json_object_get_string(v), w->env[i].value) != 0) {
			differs(d, "function %s: environment variable %s is %s, this version's is %s", w->name,
				w->env[i].key, json_object_get_string(v), w->env[i].value);
			found = 1;
		}
	}
	if (vars) {
		json_object_object_foreach(vars, k, val) {
			size_t i;
			(void)val;
			for (i = 0; i < w->n_env && strcmp(k, w->env[i].key) != 0; i++)
				;
			if (i == w->n_env)
				buf_printf(&extra, "%s%s", extra.len ? ", " : "", k);
		}
	}
	if (extra.len) {
		if (w->n_env)
			differs(d, "function %s: has environment variables (%s); this version sets only %s", w->name,
				buf_cstr(&extra), buf_cstr(&ours));
		else
			differs(d, "function %s: has environment variables (%s); this version sets none", w->name,
				buf_cstr(&extra));
		found = 1;
	}
	buf_free(&extra);
	buf_free(&ours);
	return found;
}

int drift_function(struct drift *d, const struct setup_function_want *w, json_object *config,
		   struct annex_err *err)
{
	const struct { const char *key, *want; } fields[] = {
		{ "Runtime", SETUP_FUNCTION_RUNTIME }, { "Handler", w->handler },
	};
	const struct annex_embedded *zip = setup_function_zip();
	json_object *upd = json_object_new_object(), *timeout;
	const char *name = w->name;
	char sha[48];
	int rc = 0;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(str_of(config, fields[i].key), fields[i].want) != 0) {
			differs(d, "function %s: %s is %s, this version's is %s", name, fields[i].key,
				str_of(config, fields[i].key), fields[i].want);
			json_object_object_add(upd, fields[i].key, json_object_new_string(fields[i].want));
		}
	if (w->role_arn && strcmp(str_of(config, "Role"), w->role_arn) != 0) {
		differs(d, "function %s: runs as role %s, not %s", name, str_of(config, "Role"), w->role_arn);
		json_object_object_add(upd, "Role", json_object_new_string(w->role_arn));
	}
	if (!json_object_object_get_ex(config, "Timeout", &timeout) || json_object_get_int(timeout) != w->timeout_s) {
		differs(d, "function %s: Timeout is %s s, this version's is %d s", name, str_of(config, "Timeout"),
			w->timeout_s);
		json_object_object_add(upd, "Timeout", json_object_new_int(w->timeout_s));
	}
	if (drift_env(d, w, config)) {
		json_object *e = json_object_new_object(), *vars = json_object_new_object();
		for (size_t i = 0; i < w->n_env; i++)
			json_object_object_add(vars, w->env[i].key, json_object_new_string(w->env[i].value));
		json_object_object_add(e, "Variables", vars);
		json_object_object_add(upd, "Environment", e);
	}
	if (json_object_object_length(upd) > 0 &&
	    correct(d, "Lambda", "UpdateFunctionConfiguration", "FunctionName=%s %s", name,
		    json_object_to_json_string_ext(upd, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)))
		rc = lambda_update_function_configuration(d->ctx, name, upd, err);
	json_object_put(upd);
	setup_function_sha256(sha);
	if (rc == 0 && zip && strcmp(str_of(config, "CodeSha256"), sha) != 0) {
		differs(d, "function %s: code differs from this version's (CodeSha256 %s, this version's %s)", name,
			str_of(config, "CodeSha256"), sha);
		if (correct(d, "Lambda", "UpdateFunctionCode", "FunctionName=%s ZipFile=(%zu bytes)", name, zip->len)) {
			rc = lambda_update_function_code(d->ctx, name, zip->data, zip->len, err);
			if (rc != 0 && strcmp(err->code, "ResourceConflictException") == 0)
				annex_err_prefix(err, "the function's configuration is still being updated; run "
						 "annex -setup again in a minute to update its code");
		}
	}
	return rc;
}

int drift_permission(struct drift *d, const char *name, const char *function_arn, const char *sid,
		     const char *statement, const char *source_arn, struct annex_err *err)
{
	char *want = xasprintf("{\"Sid\":\"%s\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
			       "\"events.amazonaws.com\"},\"Action\":\"lambda:InvokeFunction\",\"Resource\":\"%s\","
			       "\"Condition\":{\"ArnLike\":{\"AWS:SourceArn\":\"%s\"},\"StringEquals\":"
			       "{\"AWS:SourceAccount\":\"%s\"}}}", sid, function_arn, source_arn, d->account);
	int rc = 0;

	if (!policydoc_same(statement, want)) {
		differs(d, "function %s: permission %s differs from this version's (who may invoke the function)",
			name, sid);
		if (correct(d, "Lambda", "RemovePermission", "FunctionName=%s StatementId=%s", name, sid))
			rc = lambda_remove_permission(d->ctx, name, sid, err);
		if (correct(d, "Lambda", "AddPermission", "FunctionName=%s StatementId=%s Principal=events.amazonaws.com "
			    "SourceArn=%s SourceAccount=%s", name, sid, source_arn, d->account) && rc == 0)
			rc = lambda_add_permission(d->ctx, name, sid, "events.amazonaws.com", source_arn, d->account, err);
	}
	free(want);
	return rc;
}

/* ---- the security group ---- */

static int is_all_out(const struct ec2_group_rule *r, int v6)
{
	return r->egress && strcmp(r->proto, "-1") == 0 &&
	       (v6 ? r->cidr6 && strcmp(r->cidr6, "::/0") == 0 : r->cidr && strcmp(r->cidr, "0.0.0.0/0") == 0);
}

static int is_annex_ssh(const struct ec2_group_rule *r, const char *ssh_cidr)
{
	return !r->egress && strcmp(r->proto, "tcp") == 0 && r->from == 22 && r->to == 22 && r->cidr &&
	       ((ssh_cidr && strcmp(r->cidr, ssh_cidr) == 0) ||
		(r->description && strcmp(r->description, SETUP_SSH_DESCRIPTION) == 0));
}

int drift_group(struct drift *d, const char *group_id, const struct ec2_group_rules *rules, const char *ssh_cidr,
		struct annex_err *err)
{
	struct ec2_group_rule all_out = { .egress = 1, .proto = "-1", .from = -1, .to = -1, .cidr = "0.0.0.0/0" };
	int rc = 0, have_out = 0;

	for (size_t i = 0; rc == 0 && i < rules->n; i++) {
		const struct ec2_group_rule *r = &rules->v[i];
		char *text;
		if (is_all_out(r, 0))
			have_out = 1;
		if (is_all_out(r, 0) || is_all_out(r, 1) || is_annex_ssh(r, ssh_cidr))
			continue;
		text = ec2_group_rule_text(r);
		differs(d, "security group %s: rule %s is not this version's", group_id, text);
		if (correct(d, "EC2", r->egress ? "RevokeSecurityGroupEgress" : "RevokeSecurityGroupIngress",
			    "GroupId=%s (%s)", group_id, text))
			rc = ec2_revoke_group_rule(d->ctx, group_id, r, err);
		free(text);
	}
	if (rc == 0 && !have_out) {
		differs(d, "security group %s: rule egress all traffic to 0.0.0.0/0 is missing (the nodes could not "
			"reach the pool)", group_id);
		if (correct(d, "EC2", "AuthorizeSecurityGroupEgress", "GroupId=%s IpProtocol=-1 CidrIp=0.0.0.0/0",
			    group_id))
			rc = ec2_authorize_egress(d->ctx, group_id, &all_out, err);
	}
	return rc;
}

/* ---- the lease rules ---- */

/* The input launch gives a rule's target: the annex name (the id up to
 * its '_'), the id, and the lease end from the description launch wrote
 * ("annex NAME: lease ends ISO"; the function trusts the resources' lease
 * tags, which a lease change rewrites, over it). malloc'd. */
static char *rule_input(const struct events_rule *r)
{
	json_object *in = json_object_new_object();
	const char *us = strchr(r->name, '_'), *end = r->description ? strstr(r->description, "lease ends ") : NULL;
	char *s;

	json_object_object_add(in, "AnnexName", json_object_new_string_len(r->name, (int)(us - r->name)));
	json_object_object_add(in, "AnnexId", json_object_new_string(r->name));
	if (end)
		json_object_object_add(in, "LeaseExpiration", json_object_new_string(end + strlen("lease ends ")));
	s = xstrdup(json_object_to_json_string_ext(in, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(in);
	return s;
}

static int drift_rule(struct drift *d, const struct events_rule *r, const char *function_arn,
		      struct annex_err *err)
{
	json_object *targets = NULL, *keep = NULL;
	int rc = events_list_targets(d->ctx, r->name, &targets, err), found = 0;

	if (rc <= 0)
		return rc;     /* gone meanwhile: nothing to compare */
	rc = 0;
	for (size_t i = 0; i < json_object_array_length(targets); i++) {
		json_object *t = json_object_array_get_idx(targets, i);
		const char *id = str_of(t, "Id"), *arn = str_of(t, "Arn");
		if (strcmp(arn, function_arn) == 0) {
			found = 1;
			continue;
		}
		if (strcmp(id, r->name) == 0) {
			keep = t;    /* launch's target, pointed elsewhere: PutTargets replaces it below */
			continue;
		}
		differs(d, "lease rule %s: target %s (%s) is not the lease function", r->name, id, arn);
		if (correct(d, "Events", "RemoveTargets", "Rule=%s Ids=%s", r->name, id) &&
		    (rc = events_remove_target(d->ctx, r->name, id, err)) != 0)
			goto out;
	}
	if (!found) {
		char *input = keep && *str_of(keep, "Input") ? xstrdup(str_of(keep, "Input")) : rule_input(r);
		if (keep)
			differs(d, "lease rule %s: its target invokes %s, not the lease function", r->name,
				str_of(keep, "Arn"));
		else
			differs(d, "lease rule %s: no target invokes the lease function (the annex's lease would "
				"never end in the cloud)", r->name);
		if (correct(d, "Events", "PutTargets", "Rule=%s Id=%s Arn=%s Input=%s", r->name, r->name,
			    function_arn, input))
			rc = events_put_target(d->ctx, r->name, r->name, function_arn, input, err);
		free(input);
	}
	if (rc == 0 && r->state && strcmp(r->state, "ENABLED") != 0) {
		differs(d, "lease rule %s: is %s, not ENABLED", r->name, r->state);
		if (correct(d, "Events", "EnableRule", "Name=%s", r->name))
			rc = events_enable_rule(d->ctx, r->name, err);
	}
out:
	json_object_put(targets);
	return rc;
}

int drift_lease_rules(struct drift *d, const char *function_arn, struct annex_err *err)
{
	struct events_rule *rules = NULL;
	size_t n = 0;
	int rc = events_list_rule_info(d->ctx, NULL, &rules, &n, err);

	for (size_t i = 0; rc == 0 && i < n; i++)
		if (inventory_is_annex_id(rules[i].name) && rules[i].description &&
		    strncmp(rules[i].description, "annex ", 6) == 0)
			rc = drift_rule(d, &rules[i], function_arn, err);
	events_rules_free(rules, n);
	return rc;
}
