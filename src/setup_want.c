/* setup_want.c - what this version of annex makes (setup_drift.h): the
 * roles, their policy documents (the lease role's ec2:InstanceProfile
 * condition widened to a reused node profile), the lease function's zip,
 * its hash and its environment.
 * -setup creates from these and -check-setup compares with them, so a
 * changed policy file or lease.py is drift for both at once. */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "annex/setup_drift.h"
#include "annex/setupnames.h"

const struct setup_role_want setup_lease_role = {
	SETUP_LEASE_ROLE, "lease-function-trust.json", SETUP_LEASE_POLICY, "lease-function-policy.json",
	"annex lease function: ends expired annexes",
};
/* the nodes' role has no permission of its own (policies/ has no node-policy.json) */
const struct setup_role_want setup_node_role = {
	SETUP_NODE_ROLE, "node-trust.json", SETUP_NODE_POLICY, NULL, "annex execute nodes",
};
const struct setup_role_want setup_conn_role = {
	SETUP_CONN_ROLE, "connectivity-function-trust.json", SETUP_CONN_POLICY, "connectivity-function-policy.json",
	"annex connectivity function: asks the collector for its id",
};
const struct setup_role_want setup_fleet_role = {
	SETUP_FLEET_ROLE, "spot-fleet-trust.json", SETUP_FLEET_POLICY, "spot-fleet-policy.json",
	"annex Spot Fleets",
};

#define LEASE_POLICY_FILE "lease-function-policy.json"
#define PROFILE_KEY "ec2:InstanceProfile"

char *setup_own_profile_arn(const char *partition, const char *account)
{
	return xasprintf("arn:%s:iam::%s:instance-profile/%s", partition, account, SETUP_INSTANCE_PROFILE);
}

/* node_profile when set and not annex's own profile; else NULL. */
static const char *extra_profile(const char *node_profile, const char *own)
{
	return node_profile && *node_profile && strcmp(node_profile, own) != 0 ? node_profile : NULL;
}

static char *fill(const struct annex_embedded *e, const char *partition, const char *region, const char *account)
{
	static const char *const keys[] = { "${Partition}", "${Region}", "${AccountId}" };
	const char *vals[] = { partition, region, account };
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

char *setup_policy_doc(const char *file, const char *partition, const char *region, const char *account,
		       const char *node_profile, struct annex_err *err)
{
	char *path = xasprintf("policies/%s", file), *doc, *own;
	const struct annex_embedded *e = embedded_find(path);
	const char *extra;

	free(path);
	if (!e) {
		annex_err_set(err, "Internal", "policy document %s is not built into annex", file);
		return NULL;
	}
	doc = fill(e, partition, region, account);
	if (strcmp(file, LEASE_POLICY_FILE) != 0)
		return doc;
	own = setup_own_profile_arn(partition, account);
	extra = extra_profile(node_profile, own);
	doc = extra ? widen_profile(doc, extra, file, err) : doc;
	free(own);
	return doc;
}

void setup_function_env(const char *partition, const char *account, const char *node_profile,
			struct setup_function_env env[SETUP_FUNCTION_ENV_N])
{
	char *own = setup_own_profile_arn(partition, account);
	const char *extra = extra_profile(node_profile, own);

	env[0].key = "NODE_PROFILE_ARNS";
	env[0].value = extra ? xasprintf("%s,%s", own, extra) : xstrdup(own);
	env[1].key = "FLEET_ROLE_ARNS";
	env[1].value = xasprintf("arn:%s:iam::%s:role/%s", partition, account, SETUP_FLEET_ROLE);
	free(own);
}

void setup_function_env_free(struct setup_function_env env[SETUP_FUNCTION_ENV_N])
{
	for (size_t i = 0; i < SETUP_FUNCTION_ENV_N; i++) {
		free(env[i].value);
		env[i].value = NULL;
	}
}

const struct annex_embedded *setup_function_zip(void)
{
	return embedded_find("lambda.zip");
}

void setup_function_sha256(char out[48])
{
	const struct annex_embedded *zip = setup_function_zip();
	unsigned char md[32];
	unsigned int len = 0;

	out[0] = 0;
	if (!zip || EVP_Digest(zip->data, zip->len, md, &len, EVP_sha256(), NULL) != 1 || len != 32)
		return;
	EVP_EncodeBlock((unsigned char *)out, md, 32);
}
