/* setuppolicy.c - the IAM policy documents of -setup (see
 * include/annex/setuppolicy.h): a built-in file from policies/, its
 * placeholders filled in, and, for the lease function's policy, the
 * ec2:InstanceProfile condition widened to a reused node profile. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"
#include "annex/embedded.h"
#include "annex/setupnames.h"
#include "annex/setuppolicy.h"

#define LEASE_POLICY_FILE "lease-function-policy.json"
#define PROFILE_KEY "ec2:InstanceProfile"

char *setup_own_profile_arn(const char *partition, const char *account)
{
	return xasprintf("arn:%s:iam::%s:instance-profile/%s", partition, account, SETUP_INSTANCE_PROFILE);
}

/* v->node_profile when set and not annex's own profile; else NULL. */
static const char *extra_profile(const struct setup_policy_vars *v, const char *own)
{
	return v->node_profile && *v->node_profile && strcmp(v->node_profile, own) != 0 ? v->node_profile : NULL;
}

char *setup_node_profile_list(const struct setup_policy_vars *v)
{
	char *own = setup_own_profile_arn(v->partition, v->account), *list;
	const char *extra = extra_profile(v, own);

	list = extra ? xasprintf("%s,%s", own, extra) : xstrdup(own);
	free(own);
	return list;
}

static char *fill(const struct annex_embedded *e, const struct setup_policy_vars *v)
{
	static const char *const keys[] = { "${Partition}", "${Region}", "${AccountId}" };
	const char *vals[] = { v->partition, v->region, v->account };
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < e->len;) {
		size_t k;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t kl = strlen(keys[k]);
			if (i + kl <= e->len && memcmp(e->data + i, keys[k], kl) == 0) {
				buf_puts(&out, vals[k]);
				i += kl;
				break;
			}
		}
		if (k == sizeof(keys) / sizeof(keys[0]))
			buf_putc(&out, e->data[i++]);
	}
	return buf_steal(&out);
}

/* Every statement's ArnEquals ec2:InstanceProfile also accepts extra. */
static char *widen_profile(char *doc, const char *extra, const char *file, struct annex_err *err)
{
	json_object *root = json_tokener_parse(doc), *stmts;
	char *out;

	if (!root || !json_object_object_get_ex(root, "Statement", &stmts) ||
	    !json_object_is_type(stmts, json_type_array)) {
		json_object_put(root);
		free(doc);
		annex_err_set(err, "Internal", "policy document %s does not parse", file);
		return NULL;
	}
	for (size_t i = 0; i < json_object_array_length(stmts); i++) {
		json_object *cond, *arn_eq, *have, *list;
		if (!json_object_object_get_ex(json_object_array_get_idx(stmts, i), "Condition", &cond) ||
		    !json_object_object_get_ex(cond, "ArnEquals", &arn_eq) ||
		    !json_object_object_get_ex(arn_eq, PROFILE_KEY, &have) || !json_object_is_type(have, json_type_string))
			continue;
		list = json_object_new_array();
		json_object_array_add(list, json_object_new_string(json_object_get_string(have)));
		json_object_array_add(list, json_object_new_string(extra));
		json_object_object_add(arn_eq, PROFILE_KEY, list);
	}
	out = xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	free(doc);
	return out;
}

char *setup_policy_doc(const char *file, const struct setup_policy_vars *v, struct annex_err *err)
{
	char *path = xasprintf("policies/%s", file), *doc, *own;
	const struct annex_embedded *e = embedded_find(path);
	const char *extra;

	free(path);
	if (!e) {
		annex_err_set(err, "Internal", "policy document %s is not built into annex", file);
		return NULL;
	}
	doc = fill(e, v);
	if (strcmp(file, LEASE_POLICY_FILE) != 0)
		return doc;
	own = setup_own_profile_arn(v->partition, v->account);
	extra = extra_profile(v, own);
	free(own);
	return extra ? widen_profile(doc, extra, file, err) : doc;
}
