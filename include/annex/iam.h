/* iam.h - the IAM calls of -setup and -check-setup: roles with inline
 * policies, and the nodes' instance profile. "Not found" is not an error:
 * the getters return 0 and leave *arn NULL. */
#ifndef ANNEX_IAM_H
#define ANNEX_IAM_H

#include "annex/aws.h"

/* 1 found (*arn set, malloc'd), 0 not found, -1 error. */
int iam_get_role(struct aws_ctx *ctx, const char *name, char **arn, struct annex_err *err);
/* CreateServiceLinkedRole for service (e.g. "spot.amazonaws.com"); a role
 * that exists already ("has been taken", EntityAlreadyExists) is success. */
/* The same, also the role's trust policy (*trust, decoded from IAM's URL
 * encoding, malloc'd; trust may be NULL). */
int iam_get_role_trust(struct aws_ctx *ctx, const char *name, char **arn, char **trust,
		       struct annex_err *err);
/* UpdateAssumeRolePolicy: the role's trust policy becomes doc. */
int iam_update_assume_role_policy(struct aws_ctx *ctx, const char *role, const char *doc,
				  struct annex_err *err);
int iam_ensure_service_linked_role(struct aws_ctx *ctx, const char *service, struct annex_err *err);
/* 1 when a service-linked role of service exists (a role under the path
 * /aws-service-role/SERVICE/, ListRoles), 0 when not, -1 error. */
int iam_service_linked_role_exists(struct aws_ctx *ctx, const char *service, struct annex_err *err);
int iam_create_role(struct aws_ctx *ctx, const char *name, const char *trust_doc,
		    const char *description, char **arn, struct annex_err *err);
int iam_put_role_policy(struct aws_ctx *ctx, const char *role, const char *policy_name,
			const char *doc, struct annex_err *err);
/* 1 when the role has an inline policy of that name, 0 not, -1 error. */
int iam_has_role_policy(struct aws_ctx *ctx, const char *role, const char *policy_name,
			struct annex_err *err);
/* GetRolePolicy: 1 with *doc (decoded, malloc'd), 0 when the role has no
 * such inline policy, -1 error. */
int iam_get_role_policy(struct aws_ctx *ctx, const char *role, const char *policy_name, char **doc,
			struct annex_err *err);
/* The names of a role's inline policies (ListRolePolicies), or with
 * attached the ARNs of its managed ones (ListAttachedRolePolicies); every
 * page; a missing role has none. *names is a malloc'd array of malloc'd
 * strings (iam_names_free). */
int iam_list_role_policies(struct aws_ctx *ctx, const char *role, int attached, char ***names, size_t *n,
			   struct annex_err *err);
void iam_names_free(char **names, size_t n);
/* DetachRolePolicy; a policy no longer attached is not an error. */
int iam_detach_role_policy(struct aws_ctx *ctx, const char *role, const char *policy_arn,
			   struct annex_err *err);
int iam_delete_role_policy(struct aws_ctx *ctx, const char *role, const char *policy_name,
			   struct annex_err *err);
int iam_delete_role(struct aws_ctx *ctx, const char *name, struct annex_err *err);
/* Makes a role deletable: deletes every inline policy it has and detaches
 * every managed policy (the managed policies themselves stay). A role that
 * does not exist is not an error. 0 or -1. */
int iam_empty_role(struct aws_ctx *ctx, const char *role, struct annex_err *err);

/* 1 found (*arn set; *has_role 1 when `role` is in the profile), 0 not found, -1 error. */
int iam_get_instance_profile(struct aws_ctx *ctx, const char *name, const char *role,
			     char **arn, int *has_role, struct annex_err *err);
/* The names of the roles in the profile (a malloc'd array, iam_names_free):
 * 1, 0 when there is no such profile, -1 error. */
int iam_instance_profile_roles(struct aws_ctx *ctx, const char *name, char ***roles, size_t *n,
			       struct annex_err *err);
int iam_create_instance_profile(struct aws_ctx *ctx, const char *name, char **arn,
				struct annex_err *err);
int iam_add_role_to_instance_profile(struct aws_ctx *ctx, const char *profile, const char *role,
				     struct annex_err *err);
int iam_remove_role_from_instance_profile(struct aws_ctx *ctx, const char *profile, const char *role,
					  struct annex_err *err);
int iam_delete_instance_profile(struct aws_ctx *ctx, const char *name, struct annex_err *err);

/* The last path element of an ARN ("arn:aws:iam::1:role/x/y" -> "y"). */
const char *iam_arn_name(const char *arn);

#endif
