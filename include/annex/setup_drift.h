/* setup_drift.h - what this version of annex makes, in one place that both
 * -setup (creating) and -check-setup (comparing) read (setup_want.c), and
 * the comparison of each deployed piece with it (setup_drift.c): every
 * difference is one line; -check-setup lists them, -setup corrects exactly
 * those (and -setup -dry-run lists the calls that would). A piece that
 * matches costs only reads, so a setup without drift changes nothing. */
#ifndef ANNEX_SETUP_DRIFT_H
#define ANNEX_SETUP_DRIFT_H

#include <json-c/json.h>

#include "annex/aws.h"
#include "annex/ec2.h"
#include "annex/embedded.h"

/* One of annex's roles: its trust policy and its one inline policy (none
 * when policy_file is NULL); it has no managed policy attached. */
struct setup_role_want {
	const char *name;
	const char *trust_file;       /* under policies/ */
	const char *policy_name;
	const char *policy_file;      /* under policies/, or NULL */
	const char *description;
};

extern const struct setup_role_want setup_lease_role, setup_node_role, setup_fleet_role;
/* the connectivity function's role (issue 19): its own logs only */
extern const struct setup_role_want setup_conn_role;

/* The lease function's configuration. */
#define SETUP_FUNCTION_RUNTIME     "python3.12"
#define SETUP_FUNCTION_HANDLER     "lease.handler"
#define SETUP_FUNCTION_TIMEOUT     60
#define SETUP_FUNCTION_DESCRIPTION "annex: terminates annexes whose lease has expired"
/* The connectivity function's (issue 19): the same runtime and zip; its
 * timeout above ANNEX_CONNECTIVITY_TIMEOUT's largest value, 60 s. */
#define SETUP_CONN_HANDLER         "connectivity.handler"
#define SETUP_CONN_TIMEOUT         75
/* The description of the inbound SSH rule -ssh-cidr adds. */
#define SETUP_SSH_DESCRIPTION      "SSH (annex -setup -ssh-cidr)"

/* A policy document from policies/, with ${Partition}, ${Region} and
 * ${AccountId} filled in (malloc'd), or NULL with err. The one generator
 * of every document setup sends and check-setup compares with. In
 * lease-function-policy.json the ec2:InstanceProfile condition (annex's
 * own node profile) also names node_profile, when it is set and not
 * annex's own (condor_annex's profile reused; docs/security.md, "Forged
 * tags"). node_profile: ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN, or NULL. */
char *setup_policy_doc(const char *file, const char *partition, const char *region, const char *account,
		       const char *node_profile, struct annex_err *err);
/* annex's own node instance profile's ARN (malloc'd). */
char *setup_own_profile_arn(const char *partition, const char *account);

/* The lease function's environment: what it takes as annex's own besides
 * the account's HTCondorAnnex-* profile and fleet role (lease.py, Owner):
 * NODE_PROFILE_ARNS (annex's own node profile, then node_profile when it
 * differs; comma-separated) and FLEET_ROLE_ARNS (annex's fleet role). */
#define SETUP_FUNCTION_ENV_N 2
struct setup_function_env {
	const char *key;
	char *value;
};
void setup_function_env(const char *partition, const char *account, const char *node_profile,
			struct setup_function_env env[SETUP_FUNCTION_ENV_N]);
void setup_function_env_free(struct setup_function_env env[SETUP_FUNCTION_ENV_N]);
/* The lease function's deployment zip (built reproducibly by
 * scripts/embed.py), or NULL when not built in. */
const struct annex_embedded *setup_function_zip(void);
/* base64(SHA-256) of that zip, as Lambda's CodeSha256 gives it ("" when
 * there is no zip). */
void setup_function_sha256(char out[48]);

enum drift_mode {
	DRIFT_CHECK,    /* report each difference */
	DRIFT_FIX,      /* report it and correct it */
	DRIFT_PLAN,     /* report it and the calls that would correct it (-dry-run) */
};

struct drift {
	enum drift_mode mode;
	struct aws_ctx *ctx;
	const char *partition, *region, *account;
	const char *node_profile;     /* ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN, or NULL (setup_policy_doc) */
	/* each difference, one line, before its correction */
	void (*differs)(void *ud, const char *line);
	/* DRIFT_PLAN: a call that would correct it ("Name=value ..." params) */
	void (*would)(void *ud, const char *service, const char *action, const char *params);
	void *ud;
	int found;      /* differences so far */
};

/* An existing role (trust: its trust policy as GetRole gave it) against w:
 * the trust policy, w's inline policy (missing or different), other inline
 * policies, attached managed policies. 0, or -1 on an AWS error. */
int drift_role(struct drift *d, const struct setup_role_want *w, const char *trust, struct annex_err *err);

/* An existing instance profile holds role and no other (a profile holds
 * one role at most). */
int drift_profile(struct drift *d, const char *profile, const char *role, struct annex_err *err);

/* One of annex's Lambda functions as this version makes it (the lease
 * function, the connectivity function): -setup creates it from this and
 * drift_function compares with it. Both run SETUP_FUNCTION_RUNTIME and
 * the one embedded zip (setup_function_zip). */
struct setup_function_want {
	const char *name;
	const char *handler;
	int timeout_s;
	const char *role_arn;                    /* NULL: the role is not compared */
	const struct setup_function_env *env;    /* exactly these variables; none when n_env is 0 */
	size_t n_env;
};

/* An existing function (config: GetFunction's Configuration) against w:
 * code (CodeSha256), runtime, handler, role, timeout, environment
 * (exactly w's). Corrected by UpdateFunctionConfiguration with only the
 * fields that differ, and UpdateFunctionCode when the code does. */
int drift_function(struct drift *d, const struct setup_function_want *w, json_object *config,
		   struct annex_err *err);

/* The lease function's resource-policy statement sid (statement: as
 * GetPolicy gave it) against this version's: events.amazonaws.com may
 * invoke function_arn for rules matching source_arn of this account only. */
int drift_permission(struct drift *d, const char *name, const char *function_arn, const char *sid,
		     const char *statement, const char *source_arn, struct annex_err *err);

/* annex's security group's rules: all outbound traffic to 0.0.0.0/0
 * (::/0 is allowed too), nothing else out; inbound only SSH that
 * -ssh-cidr added (ssh_cidr, or a rule with SETUP_SSH_DESCRIPTION). */
int drift_group(struct drift *d, const char *group_id, const struct ec2_group_rules *rules, const char *ssh_cidr,
		struct annex_err *err);

/* The lease rules of existing annexes (rules named like an annex id whose
 * description launch wrote): enabled, with a target invoking function_arn,
 * and no other target. */
int drift_lease_rules(struct drift *d, const char *function_arn, struct annex_err *err);

#endif
