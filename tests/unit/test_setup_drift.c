/* test_setup_drift.c - the comparisons of setup_drift.c that need no AWS
 * call in DRIFT_CHECK mode: a security group's rules and the lease
 * function's configuration (its environment included), one line per
 * difference; the function's hash as Lambda's CodeSha256 states it; and
 * the lease role's policy as setup_policy_doc makes it (the
 * ec2:InstanceProfile condition). */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "annex/policydoc.h"
#include "annex/setup_drift.h"
#include "harness.h"

#define OWN_PROFILE "arn:aws:iam::1:instance-profile/HTCondorAnnex-InstanceProfile"
#define OWN_FLEET_ROLE "arn:aws:iam::1:role/HTCondorAnnex-SpotFleetRole"

static char lines[4096];

static void collect(void *ud, const char *line)
{
	(void)ud;
	strncat(lines, line, sizeof(lines) - strlen(lines) - 2);
	strcat(lines, "\n");
}

static struct drift check(void)
{
	struct drift d = { .mode = DRIFT_CHECK, .partition = "aws", .region = "us-east-1", .account = "1",
			   .differs = collect };
	lines[0] = 0;
	return d;
}

static struct ec2_group_rule rule(int egress, const char *proto, int from, const char *cidr, const char *desc)
{
	struct ec2_group_rule r = { .egress = egress, .from = from, .to = from, .cidr = (char *)cidr,
				    .description = (char *)desc };
	strcpy(r.proto, proto);
	return r;
}

static void t_group_as_made(void)
{
	struct ec2_group_rule v[] = { rule(1, "-1", -1, "0.0.0.0/0", NULL) };
	struct ec2_group_rules rs = { v, 1 };
	struct drift d = check();
	struct annex_err err;

	CHECK_INT(drift_group(&d, "sg-1", &rs, NULL, &err), 0);
	CHECK_INT(d.found, 0);
	CHECK_STR(lines, "");
}

static void t_group_ssh_is_setups_own(void)
{
	struct ec2_group_rule v[] = {
		rule(1, "-1", -1, "0.0.0.0/0", NULL),
		rule(0, "tcp", 22, "192.0.2.0/24", SETUP_SSH_DESCRIPTION),   /* an earlier -ssh-cidr */
		rule(0, "tcp", 22, "198.51.100.0/24", NULL),                  /* this run's -ssh-cidr */
	};
	struct ec2_group_rules rs = { v, 3 };
	struct drift d = check();
	struct annex_err err;

	CHECK_INT(drift_group(&d, "sg-1", &rs, "198.51.100.0/24", &err), 0);
	CHECK_INT(d.found, 0);
	d = check();
	CHECK_INT(drift_group(&d, "sg-1", &rs, NULL, &err), 0);      /* check-setup knows no -ssh-cidr */
	CHECK_INT(d.found, 1);
	CHECK_STR(lines, "security group sg-1: rule ingress tcp 22 from 198.51.100.0/24 is not this version's\n");
}

static void t_group_drift_named(void)
{
	struct ec2_group_rule v[] = {
		rule(0, "tcp", 80, "0.0.0.0/0", NULL),
		rule(1, "tcp", 443, "10.0.0.0/8", NULL),
	};
	struct ec2_group_rules rs = { v, 2 };
	struct drift d = check();
	struct annex_err err;

	CHECK_INT(drift_group(&d, "sg-1", &rs, NULL, &err), 0);
	CHECK_INT(d.found, 3);
	CHECK_STR(lines, "security group sg-1: rule ingress tcp 80 from 0.0.0.0/0 is not this version's\n"
		  "security group sg-1: rule egress tcp 443 to 10.0.0.0/8 is not this version's\n"
		  "security group sg-1: rule egress all traffic to 0.0.0.0/0 is missing (the nodes could not "
		  "reach the pool)\n");
}

/* The lease function as this version makes it, named F, role arn:r. */
static int lease_drift(struct drift *d, json_object *config, struct annex_err *err)
{
	struct setup_function_env env[SETUP_FUNCTION_ENV_N];
	struct setup_function_want w = {
		.name = "F", .handler = SETUP_FUNCTION_HANDLER, .timeout_s = SETUP_FUNCTION_TIMEOUT,
		.role_arn = "arn:r", .env = env, .n_env = SETUP_FUNCTION_ENV_N,
	};
	int rc;

	setup_function_env(d->partition, d->account, d->node_profile, env);
	rc = drift_function(d, &w, config, err);
	setup_function_env_free(env);
	return rc;
}

/* How many differences d finds in the function configured as cfg (JSON
 * text, freed here) against w; with w NULL, against the lease function
 * as this version makes it (lease_drift). */
static int differences(struct drift *d, const struct setup_function_want *w, char *cfg)
{
	struct annex_err err;
	json_object *c = json_tokener_parse(cfg);

	CHECK(c != NULL);
	CHECK_INT(w ? drift_function(d, w, c, &err) : lease_drift(d, c, &err), 0);
	json_object_put(c);
	free(cfg);
	return d->found;
}

/* The lease function's variables as this version sets them. */
#define OWN_ENV "{\"NODE_PROFILE_ARNS\":\"" OWN_PROFILE "\",\"FLEET_ROLE_ARNS\":\"" OWN_FLEET_ROLE "\"}"

/* The lease function's configuration as Lambda states it, this version's
 * but for env (its variables, a JSON object; NULL: no environment) and
 * the code's hash sha; malloc'd. */
static char *lease_config(const char *env, const char *sha)
{
	return xasprintf("{\"Runtime\":\"python3.12\",\"Handler\":\"lease.handler\",\"Role\":\"arn:r\",\"Timeout\":60,"
			 "%s%s%s\"CodeSha256\":\"%s\"}", env ? "\"Environment\":{\"Variables\":" : "", env ? env : "",
			 env ? "}," : "", sha);
}

/* The connectivity function: its own handler and timeout, the same zip,
 * and no environment at all. */
static void t_conn_function(void)
{
	const struct setup_function_want w = {
		.name = "C", .handler = SETUP_CONN_HANDLER, .timeout_s = SETUP_CONN_TIMEOUT, .role_arn = "arn:c",
	};
	char sha[48];
	struct drift d = check();

	setup_function_sha256(sha);
	CHECK_INT(differences(&d, &w, xasprintf("{\"Runtime\":\"python3.12\",\"Handler\":\"connectivity.handler\","
						"\"Role\":\"arn:c\",\"Timeout\":75,\"CodeSha256\":\"%s\"}", sha)), 0);
	d = check();
	CHECK_INT(differences(&d, &w, xasprintf("{\"Runtime\":\"python3.12\",\"Handler\":\"lease.handler\","
						"\"Role\":\"arn:c\",\"Timeout\":60,\"Environment\":{\"Variables\":"
						"{\"A\":\"1\"}},\"CodeSha256\":\"%s\"}", sha)), 3);
	CHECK_STR(lines, "function C: Handler is lease.handler, this version's is connectivity.handler\n"
		  "function C: Timeout is 60 s, this version's is 75 s\n"
		  "function C: has environment variables (A); this version sets none\n");
}

static void t_function(void)
{
	char sha[48];
	struct drift d = check();

	setup_function_sha256(sha);
	CHECK(strlen(sha) == 44);
	CHECK_INT(differences(&d, NULL, lease_config(OWN_ENV, sha)), 0);
	d = check();
	CHECK_INT(differences(&d, NULL, xstrdup("{\"Runtime\":\"python3.9\",\"Handler\":\"lease.handler\","
						"\"Role\":\"arn:x\",\"Timeout\":3,\"Environment\":{\"Variables\":"
						"{\"A\":\"1\"}},\"CodeSha256\":\"abc=\"}")), 7);
	CHECK(strstr(lines, "function F: Runtime is python3.9, this version's is python3.12\n") != NULL);
	CHECK(strstr(lines, "function F: runs as role arn:x, not arn:r\n") != NULL);
	CHECK(strstr(lines, "function F: Timeout is 3 s, this version's is 60 s\n") != NULL);
	CHECK(strstr(lines, "function F: environment variable NODE_PROFILE_ARNS is missing (this version's is "
		     OWN_PROFILE ")\n") != NULL);
	CHECK(strstr(lines, "function F: environment variable FLEET_ROLE_ARNS is missing (this version's is "
		     OWN_FLEET_ROLE ")\n") != NULL);
	CHECK(strstr(lines, "function F: has environment variables (A); this version sets only NODE_PROFILE_ARNS, "
		     "FLEET_ROLE_ARNS\n") != NULL);
	CHECK(strstr(lines, "function F: code differs from this version's (CodeSha256 abc=, this version's ") != NULL);
}

/* The lease function's environment (what it takes as annex's own): an
 * older function without one differs; a reused node profile is part of it. */
static void t_function_env(void)
{
	char sha[48];
	struct drift d = check();

	setup_function_sha256(sha);
	CHECK_INT(differences(&d, NULL, lease_config(NULL, sha)), 2);
	CHECK_STR(lines, "function F: environment variable NODE_PROFILE_ARNS is missing (this version's is "
		  OWN_PROFILE ")\n"
		  "function F: environment variable FLEET_ROLE_ARNS is missing (this version's is " OWN_FLEET_ROLE ")\n");
	/* condor_annex's profile reused: the function must know it too */
	d = check();
	d.node_profile = "arn:aws:iam::1:instance-profile/condor";
	CHECK_INT(differences(&d, NULL, lease_config(OWN_ENV, sha)), 1);
	CHECK_STR(lines, "function F: environment variable NODE_PROFILE_ARNS is " OWN_PROFILE ", this version's is "
		  OWN_PROFILE ",arn:aws:iam::1:instance-profile/condor\n");
	/* annex's own profile named by the knob (after a setup) changes nothing */
	d = check();
	d.node_profile = OWN_PROFILE;
	CHECK_INT(differences(&d, NULL, lease_config(OWN_ENV, sha)), 0);
}

/* The value of ArnEquals ec2:InstanceProfile in the TerminateInstances
 * statement, as plain JSON text ("" when absent). */
static const char *profile_condition(const char *doc, char *out, size_t len)
{
	json_object *root = json_tokener_parse(doc), *stmts, *cond, *eq, *v;

	out[0] = 0;
	if (root && json_object_object_get_ex(root, "Statement", &stmts))
		for (size_t i = 0; i < json_object_array_length(stmts); i++) {
			json_object *st = json_object_array_get_idx(stmts, i), *a;
			if (json_object_object_get_ex(st, "Action", &a) &&
			    strcmp(json_object_get_string(a), "ec2:TerminateInstances") == 0 &&
			    json_object_object_get_ex(st, "Condition", &cond) &&
			    json_object_object_get_ex(cond, "ArnEquals", &eq) &&
			    json_object_object_get_ex(eq, "ec2:InstanceProfile", &v))
				snprintf(out, len, "%s",
					 json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
									   JSON_C_TO_STRING_NOSLASHESCAPE));
		}
	json_object_put(root);
	return out;
}

/* The one generator of the lease role's policy: TerminateInstances bound to
 * annex's node profile, and to a reused one as well. */
static void t_policy_doc(void)
{
	struct annex_err err;
	char *doc, *other, cond[512];

	annex_err_clear(&err);
	doc = setup_policy_doc("lease-function-policy.json", "aws", "us-east-1", "1", NULL, &err);
	CHECK(doc != NULL);
	if (!doc)
		return;
	CHECK_STR(profile_condition(doc, cond, sizeof(cond)), "\"" OWN_PROFILE "\"");
	CHECK(strstr(doc, "${") == NULL);
	/* the same document when the knob names annex's own profile */
	other = setup_policy_doc("lease-function-policy.json", "aws", "us-east-1", "1", OWN_PROFILE, &err);
	CHECK(other && policydoc_same(doc, other));
	free(other);
	other = setup_policy_doc("lease-function-policy.json", "aws", "us-east-1", "1",
				 "arn:aws:iam::1:instance-profile/condor", &err);
	CHECK(other && !policydoc_same(doc, other));
	CHECK_STR(profile_condition(other ? other : "", cond, sizeof(cond)),
		  "[\"" OWN_PROFILE "\",\"arn:aws:iam::1:instance-profile/condor\"]");
	free(other);
	free(doc);
	/* other documents are filled in only */
	doc = setup_policy_doc("spot-fleet-trust.json", "aws", "us-east-1", "1", "arn:aws:iam::1:instance-profile/condor",
			       &err);
	CHECK(doc && strstr(doc, "instance-profile") == NULL && strstr(doc, "${") == NULL);
	free(doc);
	CHECK(setup_policy_doc("nope.json", "aws", "us-east-1", "1", NULL, &err) == NULL);
	CHECK(strstr(err.msg, "not built into annex") != NULL);
}

/* The hash is SHA-256 of the embedded zip, base64: what Lambda reports. */
static void t_sha_is_of_the_zip(void)
{
	const struct annex_embedded *zip = setup_function_zip();
	unsigned char md[32];
	char want[48], got[48];

	CHECK(zip != NULL && zip->len > 22 && memcmp(zip->data, "PK", 2) == 0);
	if (!zip)
		return;
	SHA256((const unsigned char *)zip->data, zip->len, md);
	EVP_EncodeBlock((unsigned char *)want, md, 32);
	setup_function_sha256(got);
	CHECK_STR(got, want);
}

TESTS(T(t_group_as_made), T(t_group_ssh_is_setups_own), T(t_group_drift_named), T(t_function), T(t_function_env), T(t_conn_function),
      T(t_policy_doc), T(t_sha_is_of_the_zip))
