/* iam.c - IAM roles, inline policies and instance profiles (query protocol). */
#include "annex/iam.h"

#include <stdlib.h>
#include <string.h>

#include "annex/policydoc.h"
#include "annex/xml.h"

/* Runs one IAM action; a NoSuchEntity reply becomes 0 ("not found"). */
static int call(struct aws_ctx *ctx, const char *action, struct params *p, xmlDoc **doc,
		struct annex_err *err)
{
	int rc = aws_query(ctx, AWS_IAM, action, p, doc, err);

	params_free(p);
	if (rc == 0)
		return 1;
	if (strcmp(err->code, "NoSuchEntity") == 0) {
		annex_err_clear(err);
		return 0;
	}
	return -1;
}

/* Runs a mutating action whose reply carries nothing annex needs; "already
 * exists"/"not found" answers are mapped by the caller. */
static int act(struct aws_ctx *ctx, const char *action, struct params *p, struct annex_err *err)
{
	xmlDoc *doc = NULL;
	int rc = aws_query(ctx, AWS_IAM, action, p, &doc, err);

	params_free(p);
	xmlFreeDoc(doc);
	return rc;
}

/* An action with one or two name parameters whose reply carries nothing
 * annex needs: 1 done/found, 0 NoSuchEntity, -1 error. */
static int named(struct aws_ctx *ctx, const char *action, const char *k1, const char *v1,
		 const char *k2, const char *v2, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc;

	params_add(&p, k1, v1);
	if (k2)
		params_add(&p, k2, v2);
	rc = call(ctx, action, &p, &doc, err);
	xmlFreeDoc(doc);
	return rc;
}

static int arn_from(xmlDoc *doc, const char *elem, char **arn, struct annex_err *err)
{
	xmlNode *n = xml_find_deep(xmlDocGetRootElement(doc), elem);

	*arn = n ? xml_text(n, "Arn") : NULL;
	if (!*arn)
		return annex_err_set(err, "BadReply", "IAM reply without %s/Arn", elem);
	return 0;
}

int iam_get_role_trust(struct aws_ctx *ctx, const char *name, char **arn, char **trust,
		       struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc;

	*arn = NULL;
	if (trust)
		*trust = NULL;
	params_add(&p, "RoleName", name);
	rc = call(ctx, "GetRole", &p, &doc, err);
	if (rc == 1 && arn_from(doc, "Role", arn, err) != 0)
		rc = -1;
	if (rc == 1 && trust) {
		xmlNode *role = xml_find_deep(xmlDocGetRootElement(doc), "Role");
		char *enc = xml_text(role, "AssumeRolePolicyDocument");
		*trust = policydoc_decode(enc ? enc : "");
		free(enc);
	}
	xmlFreeDoc(doc);
	return rc;
}

int iam_get_role(struct aws_ctx *ctx, const char *name, char **arn, struct annex_err *err)
{
	return iam_get_role_trust(ctx, name, arn, NULL, err);
}

int iam_update_assume_role_policy(struct aws_ctx *ctx, const char *role, const char *doc,
				  struct annex_err *err)
{
	struct params p = PARAMS_INIT;

	params_add(&p, "RoleName", role);
	params_add(&p, "PolicyDocument", doc);
	return act(ctx, "UpdateAssumeRolePolicy", &p, err);
}

int iam_create_role(struct aws_ctx *ctx, const char *name, const char *trust_doc,
		    const char *description, char **arn, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc;

	*arn = NULL;
	params_add(&p, "RoleName", name);
	params_add(&p, "AssumeRolePolicyDocument", trust_doc);
	params_add(&p, "Description", description);
	params_add(&p, "Tags.member.1.Key", "htcondor:AnnexSetup");
	params_add(&p, "Tags.member.1.Value", "annex");
	rc = aws_query(ctx, AWS_IAM, "CreateRole", &p, &doc, err);
	params_free(&p);
	if (rc == 0)
		rc = arn_from(doc, "Role", arn, err);
	xmlFreeDoc(doc);
	if (rc != 0 && strcmp(err->code, "EntityAlreadyExists") == 0) {
		annex_err_clear(err);
		return iam_get_role(ctx, name, arn, err) == 1 ? 0 : -1;
	}
	return rc;
}

int iam_put_role_policy(struct aws_ctx *ctx, const char *role, const char *policy_name,
			const char *doc, struct annex_err *err)
{
	struct params p = PARAMS_INIT;

	params_add(&p, "RoleName", role);
	params_add(&p, "PolicyName", policy_name);
	params_add(&p, "PolicyDocument", doc);
	return act(ctx, "PutRolePolicy", &p, err);
}

int iam_has_role_policy(struct aws_ctx *ctx, const char *role, const char *policy_name,
			struct annex_err *err)
{
	return named(ctx, "GetRolePolicy", "RoleName", role, "PolicyName", policy_name, err);
}

int iam_get_role_policy(struct aws_ctx *ctx, const char *role, const char *policy_name, char **doc,
			struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *reply = NULL;
	int rc;

	*doc = NULL;
	params_add(&p, "RoleName", role);
	params_add(&p, "PolicyName", policy_name);
	rc = call(ctx, "GetRolePolicy", &p, &reply, err);
	if (rc == 1) {
		char *enc = xml_text(xml_find_deep(xmlDocGetRootElement(reply), "GetRolePolicyResult"),
				     "PolicyDocument");
		*doc = policydoc_decode(enc ? enc : "");
		free(enc);
	}
	xmlFreeDoc(reply);
	return rc;
}

int iam_delete_role_policy(struct aws_ctx *ctx, const char *role, const char *policy_name,
			   struct annex_err *err)
{
	return named(ctx, "DeleteRolePolicy", "RoleName", role, "PolicyName", policy_name, err) < 0 ? -1 : 0;
}

int iam_delete_role(struct aws_ctx *ctx, const char *name, struct annex_err *err)
{
	return named(ctx, "DeleteRole", "RoleName", name, NULL, NULL, err) < 0 ? -1 : 0;
}

struct name_list {
	char **v;
	size_t n;
};

/* One page of ListRolePolicies (PolicyNames/member) or of
 * ListAttachedRolePolicies (AttachedPolicies/member/PolicyArn). */
static int collect_names(xmlDoc *doc, void *ud, struct annex_err *err)
{
	struct name_list *l = ud;
	xmlNode *res = xml_find_deep(xmlDocGetRootElement(doc), "PolicyNames");
	int attached = res == NULL;

	(void)err;
	if (attached)
		res = xml_find_deep(xmlDocGetRootElement(doc), "AttachedPolicies");
	for (xmlNode *m = xml_first(res, "member"); m; m = xml_next(m, "member")) {
		char *name = attached ? xml_text(m, "PolicyArn") : xml_text(m, NULL);
		if (!name)
			continue;
		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = name;
	}
	return 0;
}

static void name_list_free(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Lists a role's inline or attached policies; a missing role is an empty list. */
static int list_role_policies(struct aws_ctx *ctx, const char *action, const char *role, struct name_list *l,
			      struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	int rc;

	params_add(&p, "RoleName", role);
	rc = aws_query_paginate(ctx, AWS_IAM, action, &p, collect_names, l, err);
	params_free(&p);
	if (rc != 0 && strcmp(err->code, "NoSuchEntity") == 0) {
		annex_err_clear(err);
		rc = 0;
	}
	return rc;
}

int iam_list_role_policies(struct aws_ctx *ctx, const char *role, int attached, char ***names, size_t *n,
			   struct annex_err *err)
{
	struct name_list l = { 0 };
	int rc = list_role_policies(ctx, attached ? "ListAttachedRolePolicies" : "ListRolePolicies", role, &l, err);

	if (rc != 0)
		name_list_free(&l);
	*names = l.v;
	*n = l.n;
	return rc;
}

void iam_names_free(char **names, size_t n)
{
	struct name_list l = { names, n };

	name_list_free(&l);
}

int iam_detach_role_policy(struct aws_ctx *ctx, const char *role, const char *policy_arn,
			   struct annex_err *err)
{
	return named(ctx, "DetachRolePolicy", "RoleName", role, "PolicyArn", policy_arn, err) < 0 ? -1 : 0;
}

int iam_empty_role(struct aws_ctx *ctx, const char *role, struct annex_err *err)
{
	struct name_list l = { 0 };
	int rc = list_role_policies(ctx, "ListRolePolicies", role, &l, err);

	for (size_t i = 0; rc == 0 && i < l.n; i++)
		rc = iam_delete_role_policy(ctx, role, l.v[i], err);
	name_list_free(&l);
	if (rc == 0)
		rc = list_role_policies(ctx, "ListAttachedRolePolicies", role, &l, err);
	for (size_t i = 0; rc == 0 && i < l.n; i++)
		rc = iam_detach_role_policy(ctx, role, l.v[i], err);
	name_list_free(&l);
	return rc;
}

int iam_get_instance_profile(struct aws_ctx *ctx, const char *name, const char *role,
			     char **arn, int *has_role, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	xmlNode *prof, *roles;
	int rc;

	*arn = NULL;
	*has_role = 0;
	params_add(&p, "InstanceProfileName", name);
	rc = call(ctx, "GetInstanceProfile", &p, &doc, err);
	if (rc == 1) {
		prof = xml_find_deep(xmlDocGetRootElement(doc), "InstanceProfile");
		*arn = prof ? xml_text(prof, "Arn") : NULL;
		if (!*arn) {
			rc = annex_err_set(err, "BadReply", "IAM GetInstanceProfile: reply without Arn");
		} else if ((roles = xml_find(prof, "Roles")) != NULL) {
			for (xmlNode *m = xml_first(roles, "member"); m; m = xml_next(m, "member")) {
				char *rn = xml_text(m, "RoleName");
				if (rn && role && strcmp(rn, role) == 0)
					*has_role = 1;
				free(rn);
			}
		}
	}
	xmlFreeDoc(doc);
	return rc;
}

int iam_instance_profile_roles(struct aws_ctx *ctx, const char *name, char ***roles, size_t *n,
			       struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	struct name_list l = { 0 };
	xmlDoc *doc = NULL;
	xmlNode *set;
	int rc;

	params_add(&p, "InstanceProfileName", name);
	rc = call(ctx, "GetInstanceProfile", &p, &doc, err);
	set = rc == 1 ? xml_find_deep(xmlDocGetRootElement(doc), "Roles") : NULL;
	for (xmlNode *m = set ? xml_first(set, "member") : NULL; m; m = xml_next(m, "member")) {
		char *rn = xml_text(m, "RoleName");
		if (!rn)
			continue;
		l.v = xrealloc(l.v, (l.n + 1) * sizeof(*l.v));
		l.v[l.n++] = rn;
	}
	xmlFreeDoc(doc);
	*roles = l.v;
	*n = l.n;
	return rc;
}

int iam_create_instance_profile(struct aws_ctx *ctx, const char *name, char **arn,
				struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc, has;

	*arn = NULL;
	params_add(&p, "InstanceProfileName", name);
	rc = aws_query(ctx, AWS_IAM, "CreateInstanceProfile", &p, &doc, err);
	params_free(&p);
	if (rc == 0)
		rc = arn_from(doc, "InstanceProfile", arn, err);
	xmlFreeDoc(doc);
	if (rc != 0 && strcmp(err->code, "EntityAlreadyExists") == 0) {
		annex_err_clear(err);
		return iam_get_instance_profile(ctx, name, NULL, arn, &has, err) == 1 ? 0 : -1;
	}
	return rc;
}

int iam_add_role_to_instance_profile(struct aws_ctx *ctx, const char *profile, const char *role,
				     struct annex_err *err)
{
	struct params p = PARAMS_INIT;

	params_add(&p, "InstanceProfileName", profile);
	params_add(&p, "RoleName", role);
	if (act(ctx, "AddRoleToInstanceProfile", &p, err) == 0)
		return 0;
	if (strcmp(err->code, "LimitExceeded") == 0 || strcmp(err->code, "EntityAlreadyExists") == 0) {
		/* a profile holds one role: it is there already */
		annex_err_clear(err);
		return 0;
	}
	return -1;
}

int iam_remove_role_from_instance_profile(struct aws_ctx *ctx, const char *profile, const char *role,
					  struct annex_err *err)
{
	return named(ctx, "RemoveRoleFromInstanceProfile", "InstanceProfileName", profile, "RoleName", role,
		     err) < 0 ? -1 : 0;
}

int iam_delete_instance_profile(struct aws_ctx *ctx, const char *name, struct annex_err *err)
{
	return named(ctx, "DeleteInstanceProfile", "InstanceProfileName", name, NULL, NULL, err) < 0 ? -1 : 0;
}

const char *iam_arn_name(const char *arn)
{
	const char *slash = arn ? strrchr(arn, '/') : NULL;
	const char *colon;

	if (slash)
		return slash + 1;
	colon = arn ? strrchr(arn, ':') : NULL;
	return colon ? colon + 1 : arn;
}

int iam_ensure_service_linked_role(struct aws_ctx *ctx, const char *service, struct annex_err *err)
{
	struct params p = PARAMS_INIT;

	params_add(&p, "AWSServiceName", service);
	if (act(ctx, "CreateServiceLinkedRole", &p, err) == 0)
		return 0;
	if (strcmp(err->code, "EntityAlreadyExists") == 0 ||
	    (strcmp(err->code, "InvalidInput") == 0 && strstr(err->msg, "has been taken"))) {
		annex_err_clear(err);
		return 0;
	}
	return -1;
}

static int iam_role_page(xmlDoc *doc, void *ud, struct annex_err *err)
{
	xmlNode *set = xml_find_deep(xmlDocGetRootElement(doc), "Roles");

	(void)err;
	if (set && xml_first(set, "member"))
		*(int *)ud = 1;
	return 0;
}

int iam_service_linked_role_exists(struct aws_ctx *ctx, const char *service, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	char *prefix = xasprintf("/aws-service-role/%s/", service);
	int found = 0, rc;

	params_add(&p, "PathPrefix", prefix);
	free(prefix);
	rc = aws_query_paginate(ctx, AWS_IAM, "ListRoles", &p, iam_role_page, &found, err);
	params_free(&p);
	return rc != 0 ? -1 : found;
}
