/* ec2_groups.c - the rules of a security group: read (DescribeSecurityGroups)
 * one source or destination at a time, revoked and authorised one at a
 * time, for -setup's and -check-setup's drift comparison (setup_drift.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/ec2.h"
#include "annex/xml.h"

static void add_rule(struct ec2_group_rules *out, int egress, xmlNode *perm, const char *field, char *value,
		     char *description)
{
	struct ec2_group_rule *r;
	char buf[16];

	out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
	r = &out->v[out->n++];
	memset(r, 0, sizeof(*r));
	r->egress = egress;
	xml_text_buf(perm, "ipProtocol", r->proto, sizeof(r->proto));
	r->from = xml_text_buf(perm, "fromPort", buf, sizeof(buf)) == 0 ? atoi(buf) : -1;
	r->to = xml_text_buf(perm, "toPort", buf, sizeof(buf)) == 0 ? atoi(buf) : -1;
	if (strcmp(field, "cidrIp") == 0)
		r->cidr = value;
	else if (strcmp(field, "cidrIpv6") == 0)
		r->cidr6 = value;
	else if (strcmp(field, "groupId") == 0)
		r->group = value;
	else
		r->prefix = value;
	r->description = description;
}

static void read_perms(xmlNode *set, int egress, struct ec2_group_rules *out)
{
	static const struct { const char *list, *field; } srcs[] = {
		{ "ipRanges", "cidrIp" }, { "ipv6Ranges", "cidrIpv6" }, { "groups", "groupId" },
		{ "prefixListIds", "prefixListId" },
	};

	for (xmlNode *perm = set ? xml_first(set, "item") : NULL; perm; perm = xml_next(perm, "item"))
		for (size_t k = 0; k < sizeof(srcs) / sizeof(srcs[0]); k++) {
			xmlNode *l = xml_find(perm, srcs[k].list);
			for (xmlNode *it = l ? xml_first(l, "item") : NULL; it; it = xml_next(it, "item")) {
				char *v = xml_text(it, srcs[k].field);
				if (v)
					add_rule(out, egress, perm, srcs[k].field, v, xml_text(it, "description"));
			}
		}
}

int ec2_group_rules(struct aws_ctx *ctx, const char *group_id, char **name, struct ec2_group_rules *out,
		    struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	xmlNode *set, *item;

	memset(out, 0, sizeof(*out));
	if (name)
		*name = NULL;
	params_add(&p, "GroupId.1", group_id);
	if (ec2_query(ctx, "DescribeSecurityGroups", &p, &doc, err) != 0) {
		if (strncmp(err->code, "InvalidGroup", 12) == 0) {
			annex_err_clear(err);
			return 0;
		}
		return -1;
	}
	set = xml_find_deep(xmlDocGetRootElement(doc), "securityGroupInfo");
	item = set ? xml_first(set, "item") : NULL;
	if (item) {
		if (name)
			*name = xml_text(item, "groupName");
		read_perms(xml_find(item, "ipPermissions"), 0, out);
		read_perms(xml_find(item, "ipPermissionsEgress"), 1, out);
	}
	xmlFreeDoc(doc);
	return item ? 1 : 0;
}

void ec2_group_rules_free(struct ec2_group_rules *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].cidr);
		free(r->v[i].cidr6);
		free(r->v[i].group);
		free(r->v[i].prefix);
		free(r->v[i].description);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static const char *peer(const struct ec2_group_rule *r)
{
	return r->cidr ? r->cidr : r->cidr6 ? r->cidr6 : r->group ? r->group : r->prefix ? r->prefix : "?";
}

char *ec2_group_rule_text(const struct ec2_group_rule *r)
{
	const char *dir = r->egress ? "egress" : "ingress", *to = r->egress ? "to" : "from";

	if (strcmp(r->proto, "-1") == 0)
		return xasprintf("%s all traffic %s %s", dir, to, peer(r));
	if (r->from == r->to)
		return xasprintf("%s %s %d %s %s", dir, r->proto, r->from, to, peer(r));
	return xasprintf("%s %s %d-%d %s %s", dir, r->proto, r->from, r->to, to, peer(r));
}

static void rule_params(struct params *p, const char *group_id, const struct ec2_group_rule *r)
{
	char n[16];

	params_add(p, "GroupId", group_id);
	params_add(p, "IpPermissions.1.IpProtocol", r->proto);
	if (strcmp(r->proto, "-1") != 0) {
		snprintf(n, sizeof(n), "%d", r->from);
		params_add(p, "IpPermissions.1.FromPort", n);
		snprintf(n, sizeof(n), "%d", r->to);
		params_add(p, "IpPermissions.1.ToPort", n);
	}
	if (r->cidr)
		params_add(p, "IpPermissions.1.IpRanges.1.CidrIp", r->cidr);
	else if (r->cidr6)
		params_add(p, "IpPermissions.1.Ipv6Ranges.1.CidrIpv6", r->cidr6);
	else if (r->group)
		params_add(p, "IpPermissions.1.Groups.1.GroupId", r->group);
	else if (r->prefix)
		params_add(p, "IpPermissions.1.PrefixListIds.1.PrefixListId", r->prefix);
	if (r->description && *r->description) {
		const char *k = r->cidr ? "IpPermissions.1.IpRanges.1.Description" :
				r->cidr6 ? "IpPermissions.1.Ipv6Ranges.1.Description" : NULL;
		if (k)
			params_add(p, k, r->description);
	}
}

int ec2_revoke_group_rule(struct aws_ctx *ctx, const char *group_id, const struct ec2_group_rule *r,
			  struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	struct ec2_group_rule plain = *r;
	int rc;

	plain.description = NULL;    /* a revoke names the rule, not its note */
	rule_params(&p, group_id, &plain);
	rc = ec2_query(ctx, r->egress ? "RevokeSecurityGroupEgress" : "RevokeSecurityGroupIngress", &p, &doc, err);
	xmlFreeDoc(doc);
	if (rc != 0 && strcmp(err->code, "InvalidPermission.NotFound") == 0) {
		annex_err_clear(err);
		return 0;
	}
	return rc;
}

int ec2_authorize_egress(struct aws_ctx *ctx, const char *group_id, const struct ec2_group_rule *r,
			 struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc;

	rule_params(&p, group_id, r);
	rc = ec2_query(ctx, "AuthorizeSecurityGroupEgress", &p, &doc, err);
	xmlFreeDoc(doc);
	if (rc != 0 && strcmp(err->code, "InvalidPermission.Duplicate") == 0) {
		annex_err_clear(err);
		return 0;
	}
	return rc;
}
