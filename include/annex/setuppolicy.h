/* setuppolicy.h - the IAM policy documents -setup puts, and the node
 * instance profiles they (and the lease function, -reap and -off) take as
 * annex's own. One function makes each document so that -setup, which
 * puts it, and -check-setup, which compares it with what is deployed,
 * agree on every byte. docs/iam.md describes the documents,
 * docs/security.md ("Forged tags") the ownership rule. */
#ifndef ANNEX_SETUPPOLICY_H
#define ANNEX_SETUPPOLICY_H

#include "annex/err.h"

/* What fills a document's placeholders. */
struct setup_policy_vars {
	const char *partition;        /* "aws", "aws-cn", ... */
	const char *region;
	const char *account;          /* 12 digits */
	const char *node_profile;     /* ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN as configured; NULL: unset */
};

/* policies/FILE with ${Partition}, ${Region} and ${AccountId} filled in;
 * in lease-function-policy.json the ec2:InstanceProfile condition also
 * names v->node_profile when it is set and not annex's own profile
 * (condor_annex's reused one). malloc'd; NULL with err when FILE is not
 * built in or does not parse. */
char *setup_policy_doc(const char *file, const struct setup_policy_vars *v, struct annex_err *err);

/* annex's own node instance profile's ARN (malloc'd). */
char *setup_own_profile_arn(const char *partition, const char *account);

/* The node instance profiles annex's instances run with, comma-separated
 * (malloc'd): annex's own, then v->node_profile when it differs. The lease
 * function gets it as NODE_PROFILE_ARNS. */
char *setup_node_profile_list(const struct setup_policy_vars *v);

#endif
