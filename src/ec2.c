/* ec2.c - EC2 calls: security group, instances, Spot Fleets, launch
 * templates (images and instance types: ec2_images.c). */
#include "annex/ec2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/xml.h"

void ec2_ids_add(struct ec2_ids *ids, const char *id)
{
	if (ids->n == ids->cap) {
		ids->cap = ids->cap ? ids->cap * 2 : 16;
		ids->v = xrealloc(ids->v, ids->cap * sizeof(*ids->v));
	}
	ids->v[ids->n++] = xstrdup(id);
}

void ec2_ids_free(struct ec2_ids *ids)
{
	for (size_t i = 0; i < ids->n; i++)
		free(ids->v[i]);
	free(ids->v);
	memset(ids, 0, sizeof(*ids));
}

int ec2_query(struct aws_ctx *ctx, const char *action, struct params *p, xmlDoc **doc,
	      struct annex_err *err)
{
	int rc = aws_query(ctx, AWS_EC2, action, p, doc, err);
	params_free(p);
	return rc;
}

char *ec2_tag_value(xmlNode *set, const char *key)
{
	for (xmlNode *it = set ? xml_first(set, "item") : NULL; it; it = xml_next(it, "item")) {
		char *k = xml_text(it, "key");
		int match = k && strcmp(k, key) == 0;
		free(k);
		if (match)
			return xml_text(it, "value");
	}
	return NULL;
}

void ec2_read_annex_tags(xmlNode *set, struct ec2_annex_tags *t)
{
	memset(t, 0, sizeof(*t));
	for (xmlNode *it = set ? xml_first(set, "item") : NULL; it; it = xml_next(it, "item")) {
		char key[64];
		char **slot = NULL;
		if (xml_text_buf(it, "key", key, sizeof(key)) != 0)
			continue;
		if (strcmp(key, EC2_TAG_ANNEX_NAME) == 0)
			slot = &t->name;
		else if (strcmp(key, "htcondor:AnnexId") == 0)
			slot = &t->id;
		else if (strcmp(key, "htcondor:LeaseExpiration") == 0)
			slot = &t->lease;
		else if (strcmp(key, "htcondor:IdleTimeout") == 0)
			slot = &t->idle;
		else if (strcmp(key, "htcondor:Owner") == 0)
			slot = &t->owner;
		if (slot && !*slot)
			*slot = xml_text(it, "value");
	}
}

void ec2_annex_tags_free(struct ec2_annex_tags *t)
{
	char *v[] = { t->name, t->id, t->lease, t->idle, t->owner };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		free(v[i]);
	memset(t, 0, sizeof(*t));
}

void ec2_add_annex_filter(struct params *p, const char *name)
{
	if (name) {
		params_add(p, "Filter.1.Name", "tag:" EC2_TAG_ANNEX_NAME);
		params_add(p, "Filter.1.Value.1", name);
	} else {
		params_add(p, "Filter.1.Name", "tag-key");
		params_add(p, "Filter.1.Value.1", EC2_TAG_ANNEX_NAME);
	}
}

int ec2_default_vpc(struct aws_ctx *ctx, char **vpc_id, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	xmlNode *item;

	*vpc_id = NULL;
	params_add(&p, "Filter.1.Name", "is-default");
	params_add(&p, "Filter.1.Value.1", "true");
	if (ec2_query(ctx, "DescribeVpcs", &p, &doc, err) != 0)
		return -1;
	item = xml_find_deep(xmlDocGetRootElement(doc), "vpcSet");
	item = item ? xml_first(item, "item") : NULL;
	if (item)
		*vpc_id = xml_text(item, "vpcId");
	xmlFreeDoc(doc);
	if (!*vpc_id)
		return annex_err_set(err, "NoDefaultVpc",
			"region %s has no default VPC; create one with 'aws ec2 create-default-vpc --region %s'",
			aws_ctx_region(ctx), aws_ctx_region(ctx));
	return 0;
}

int ec2_find_security_group(struct aws_ctx *ctx, const char *name, const char *vpc_id, char **group_id,
			    struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	xmlNode *set, *item;

	*group_id = NULL;
	params_add(&p, "Filter.1.Name", "group-name");
	params_add(&p, "Filter.1.Value.1", name);
	if (vpc_id) {
		params_add(&p, "Filter.2.Name", "vpc-id");
		params_add(&p, "Filter.2.Value.1", vpc_id);
	}
	if (ec2_query(ctx, "DescribeSecurityGroups", &p, &doc, err) != 0)
		return -1;
	set = xml_find_deep(xmlDocGetRootElement(doc), "securityGroupInfo");
	item = set ? xml_first(set, "item") : NULL;
	if (item)
		*group_id = xml_text(item, "groupId");
	xmlFreeDoc(doc);
	return *group_id ? 1 : 0;
}

int ec2_security_group_exists(struct aws_ctx *ctx, const char *group_id, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc;

	params_add(&p, "GroupId.1", group_id);
	rc = ec2_query(ctx, "DescribeSecurityGroups", &p, &doc, err);
	xmlFreeDoc(doc);
	if (rc == 0)
		return 1;
	if (strncmp(err->code, "InvalidGroup", 12) == 0) {
		annex_err_clear(err);
		return 0;
	}
	return -1;
}

int ec2_key_pair_exists(struct aws_ctx *ctx, const char *name, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc;

	params_add(&p, "KeyName.1", name);
	rc = ec2_query(ctx, "DescribeKeyPairs", &p, &doc, err);
	xmlFreeDoc(doc);
	if (rc == 0)
		return 1;
	if (strcmp(err->code, "InvalidKeyPair.NotFound") == 0) {
		annex_err_clear(err);
		return 0;
	}
	return -1;
}

int ec2_create_security_group(struct aws_ctx *ctx, const char *name, const char *description,
			      const char *vpc_id, char **group_id, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc;

	*group_id = NULL;
	params_add(&p, "GroupName", name);
	params_add(&p, "GroupDescription", description);
	params_add(&p, "VpcId", vpc_id);
	params_add(&p, "TagSpecification.1.ResourceType", "security-group");
	params_add(&p, "TagSpecification.1.Tag.1.Key", "htcondor:AnnexSetup");
	params_add(&p, "TagSpecification.1.Tag.1.Value", "annex");
	rc = ec2_query(ctx, "CreateSecurityGroup", &p, &doc, err);
	if (rc == 0) {
		*group_id = xml_text(xmlDocGetRootElement(doc), "groupId");
		if (!*group_id)
			rc = annex_err_set(err, "BadReply", "EC2 CreateSecurityGroup: reply without groupId");
	}
	xmlFreeDoc(doc);
	if (rc != 0 && strcmp(err->code, "InvalidGroup.Duplicate") == 0) {
		annex_err_clear(err);
		return ec2_find_security_group(ctx, name, vpc_id, group_id, err) == 1 ? 0 : -1;
	}
	return rc;
}

int ec2_allow_ssh(struct aws_ctx *ctx, const char *group_id, const char *cidr, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc;

	params_add(&p, "GroupId", group_id);
	params_add(&p, "IpPermissions.1.IpProtocol", "tcp");
	params_add(&p, "IpPermissions.1.FromPort", "22");
	params_add(&p, "IpPermissions.1.ToPort", "22");
	params_add(&p, "IpPermissions.1.IpRanges.1.CidrIp", cidr);
	params_add(&p, "IpPermissions.1.IpRanges.1.Description", "SSH (annex -setup -ssh-cidr)");
	rc = ec2_query(ctx, "AuthorizeSecurityGroupIngress", &p, &doc, err);
	xmlFreeDoc(doc);
	if (rc != 0 && strcmp(err->code, "InvalidPermission.Duplicate") == 0) {
		annex_err_clear(err);
		return 0;
	}
	return rc;
}

int ec2_delete_security_group(struct aws_ctx *ctx, const char *group_id, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc;

	params_add(&p, "GroupId", group_id);
	rc = ec2_query(ctx, "DeleteSecurityGroup", &p, &doc, err);
	xmlFreeDoc(doc);
	if (rc != 0 && strncmp(err->code, "InvalidGroup", 12) == 0) {
		annex_err_clear(err);
		return 0;
	}
	return rc;
}

/* One DescribeInstances page: fn for each instance, its fields read into
 * buffers that live for the call. */
struct ec2_instance_walk {
	ec2_instance_fn fn;
	void *ud;
};

static int ec2_instance_page(xmlDoc *doc, void *ud, struct annex_err *err)
{
	struct ec2_instance_walk *w = ud;
	xmlNode *rs = xml_find(xmlDocGetRootElement(doc), "reservationSet");

	(void)err;
	for (xmlNode *r = rs ? xml_first(rs, "item") : NULL; r; r = xml_next(r, "item")) {
		xmlNode *is = xml_find(r, "instancesSet");
		for (xmlNode *i = is ? xml_first(is, "item") : NULL; i; i = xml_next(i, "item")) {
			char id[32] = "", state[32] = "", type[64] = "", ip[64] = "", launched[64] = "";
			char profile[2048] = "", token[128] = "", lifecycle[32] = "";
			struct ec2_annex_tags t;
			xmlNode *tags = xml_find(i, "tagSet");
			char *fleet = ec2_tag_value(tags, "aws:ec2spot:fleet-request-id");
			char *ec2_fleet = ec2_tag_value(tags, "aws:ec2:fleet-id");
			struct ec2_instance in = { id, state, type, ip, launched, profile, token, fleet ? fleet : "",
						   ec2_fleet ? ec2_fleet : "", &t, tags, lifecycle };
			xml_text_buf(i, "instanceLifecycle", lifecycle, sizeof(lifecycle));
			xml_text_buf(i, "iamInstanceProfile/arn", profile, sizeof(profile));
			xml_text_buf(i, "clientToken", token, sizeof(token));
			xml_text_buf(i, "instanceId", id, sizeof(id));
			xml_text_buf(i, "instanceState/name", state, sizeof(state));
			xml_text_buf(i, "instanceType", type, sizeof(type));
			xml_text_buf(i, "privateIpAddress", ip, sizeof(ip));
			xml_text_buf(i, "launchTime", launched, sizeof(launched));
			ec2_read_annex_tags(in.tag_set, &t);
			w->fn(&in, w->ud);
			ec2_annex_tags_free(&t);
			free(fleet);
			free(ec2_fleet);
		}
	}
	return 0;
}

int ec2_describe_instances(struct aws_ctx *ctx, const struct params *params, ec2_instance_fn fn, void *ud,
			   struct annex_err *err)
{
	struct ec2_instance_walk w = { fn, ud };

	return aws_query_paginate(ctx, AWS_EC2, "DescribeInstances", params, ec2_instance_page, &w, err);
}

struct ec2_by_tag {
	struct ec2_ids *out;
	const char *key, *value;
};

/* Keeps instances that are not terminated or shutting down. */
static void ec2_collect_instance(const struct ec2_instance *in, void *ud)
{
	struct ec2_by_tag *c = ud;

	if (*in->id && strcmp(in->state, "terminated") != 0 && strcmp(in->state, "shutting-down") != 0)
		ec2_ids_add(c->out, in->id);
}

int ec2_instances_by_tag(struct aws_ctx *ctx, const char *key, const char *value, struct ec2_ids *out,
			 struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	struct ec2_by_tag c = { out, key, value };
	char *filter = xasprintf("tag:%s", key);
	int rc;

	params_add(&p, "Filter.1.Name", filter);
	params_add(&p, "Filter.1.Value.1", value);
	free(filter);
	rc = ec2_describe_instances(ctx, &p, ec2_collect_instance, &c, err);
	params_free(&p);
	return rc;
}

int ec2_run_instances(struct aws_ctx *ctx, const struct params *params, struct ec2_ids *out,
		      struct annex_err *err)
{
	return ec2_run_instances_with(ctx, params, NULL, out, err);
}

int ec2_run_instances_with(struct aws_ctx *ctx, const struct params *params, const struct aws_call *call,
			   struct ec2_ids *out, struct annex_err *err)
{
	xmlDoc *doc = NULL;
	xmlNode *set;
	int rc = aws_query_with(ctx, AWS_EC2, "RunInstances", params, call, &doc, err);

	if (rc != 0)
		return rc;
	set = xml_find_deep(xmlDocGetRootElement(doc), "instancesSet");
	for (xmlNode *i = set ? xml_first(set, "item") : NULL; i; i = xml_next(i, "item")) {
		char id[32];
		if (xml_text_buf(i, "instanceId", id, sizeof(id)) == 0)
			ec2_ids_add(out, id);
	}
	xmlFreeDoc(doc);
	return 0;
}

int ec2_terminate_instances(struct aws_ctx *ctx, const struct ec2_ids *ids, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc = 0;

	for (size_t i = 0; i < ids->n && rc == 0; i += 500) {
		size_t n = ids->n - i < 500 ? ids->n - i : 500;
		aws_params_add_list(&p, "InstanceId", (const char *const *)ids->v + i, n);
		rc = ec2_query(ctx, "TerminateInstances", &p, &doc, err);
		xmlFreeDoc(doc);
		doc = NULL;
	}
	return rc;
}

int ec2_request_spot_fleet_with(struct aws_ctx *ctx, const struct params *params, const struct aws_call *call,
				char **fleet_id, struct annex_err *err)
{
	xmlDoc *doc = NULL;
	int rc;

	*fleet_id = NULL;
	rc = aws_query_with(ctx, AWS_EC2, "RequestSpotFleet", params, call, &doc, err);
	if (rc != 0)
		return rc;
	*fleet_id = xml_text(xmlDocGetRootElement(doc), "spotFleetRequestId");
	xmlFreeDoc(doc);
	if (!*fleet_id)
		return annex_err_set(err, "BadReply", "EC2 RequestSpotFleet: reply without spotFleetRequestId");
	return 0;
}

int ec2_request_spot_fleet(struct aws_ctx *ctx, const struct params *params, char **fleet_id,
			   struct annex_err *err)
{
	/* the request carries SpotFleetRequestConfig.ClientToken (fleetconfig.c) */
	static const struct aws_call token = { .retry = AWS_RETRY_TOKEN };

	return ec2_request_spot_fleet_with(ctx, params, &token, fleet_id, err) < 0 ? -1 : 0;
}

int ec2_cancel_spot_fleets(struct aws_ctx *ctx, const struct ec2_ids *ids, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc;

	if (ids->n == 0)
		return 0;
	aws_params_add_list(&p, "SpotFleetRequestId", (const char *const *)ids->v, ids->n);
	params_add(&p, "TerminateInstances", "true");
	rc = ec2_query(ctx, "CancelSpotFleetRequests", &p, &doc, err);
	xmlFreeDoc(doc);
	return rc;
}

struct ec2_fleet_walk {
	ec2_spot_fleet_fn fn;
	void *ud;
};

static int ec2_fleet_page(xmlDoc *doc, void *ud, struct annex_err *err)
{
	struct ec2_fleet_walk *w = ud;
	xmlNode *set = xml_find(xmlDocGetRootElement(doc), "spotFleetRequestConfigSet");

	(void)err;
	for (xmlNode *f = set ? xml_first(set, "item") : NULL; f; f = xml_next(f, "item")) {
		char id[64] = "", state[64] = "", target[32] = "", fulfilled[32] = "", activity[64] = "";
		char role[2048] = "", token[128] = "";
		char *valid = xml_text(f, "spotFleetRequestConfig/validUntil");
		struct ec2_annex_tags t;
		/* in the header's field order */
		struct ec2_spot_fleet fl = { id, state, valid && *valid ? valid : NULL, -1, role, token, &t,
					     xml_find(f, "tagSet"), -1, NULL };
		xml_text_buf(f, "spotFleetRequestConfig/iamFleetRole", role, sizeof(role));
		xml_text_buf(f, "spotFleetRequestConfig/clientToken", token, sizeof(token));
		xml_text_buf(f, "spotFleetRequestId", id, sizeof(id));
		xml_text_buf(f, "spotFleetRequestState", state, sizeof(state));
		if (xml_text_buf(f, "spotFleetRequestConfig/targetCapacity", target, sizeof(target)) == 0 && *target)
			fl.target = strtol(target, NULL, 10);
		if (xml_text_buf(f, "spotFleetRequestConfig/fulfilledCapacity", fulfilled, sizeof(fulfilled)) == 0 &&
		    *fulfilled)
			fl.fulfilled = strtod(fulfilled, NULL);
		if (xml_text_buf(f, "activityStatus", activity, sizeof(activity)) == 0 && *activity)
			fl.activity = activity;
		ec2_read_annex_tags(fl.tag_set, &t);
		w->fn(&fl, w->ud);
		ec2_annex_tags_free(&t);
		free(valid);
	}
	return 0;
}

int ec2_describe_spot_fleets(struct aws_ctx *ctx, ec2_spot_fleet_fn fn, void *ud, struct annex_err *err)
{
	struct ec2_fleet_walk w = { fn, ud };

	return aws_query_paginate(ctx, AWS_EC2, "DescribeSpotFleetRequests", NULL, ec2_fleet_page, &w, err);
}

static int ec2_fleet_instance_page(xmlDoc *doc, void *ud, struct annex_err *err)
{
	xmlNode *set = xml_find(xmlDocGetRootElement(doc), "activeInstanceSet");

	(void)err;
	for (xmlNode *i = set ? xml_first(set, "item") : NULL; i; i = xml_next(i, "item")) {
		char id[32] = "";
		if (xml_text_buf(i, "instanceId", id, sizeof(id)) == 0 && *id)
			ec2_ids_add(ud, id);
	}
	return 0;
}

int ec2_spot_fleet_instances(struct aws_ctx *ctx, const char *fleet_id, struct ec2_ids *out,
			     struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	int rc;

	params_add(&p, "SpotFleetRequestId", fleet_id);
	rc = aws_query_paginate(ctx, AWS_EC2, "DescribeSpotFleetInstances", &p, ec2_fleet_instance_page, out, err);
	params_free(&p);
	return rc;
}

/* Keeps requests tagged key = value that are not cancelled. */
static void ec2_collect_fleet(const struct ec2_spot_fleet *f, void *ud)
{
	struct ec2_by_tag *c = ud;
	char *v = ec2_tag_value(f->tag_set, c->key);

	if (v && strcmp(v, c->value) == 0 && *f->id && strncmp(f->state, "cancelled", 9) != 0)
		ec2_ids_add(c->out, f->id);
	free(v);
}

int ec2_spot_fleets_by_tag(struct aws_ctx *ctx, const char *key, const char *value, struct ec2_ids *out,
			   struct annex_err *err)
{
	struct ec2_by_tag c = { out, key, value };

	return ec2_describe_spot_fleets(ctx, ec2_collect_fleet, &c, err);
}

int ec2_create_launch_template(struct aws_ctx *ctx, const struct params *params, char **template_id,
			       struct annex_err *err)
{
	xmlDoc *doc = NULL;

	*template_id = NULL;
	if (aws_query(ctx, AWS_EC2, "CreateLaunchTemplate", params, &doc, err) != 0)
		return -1;
	*template_id = xml_text(xmlDocGetRootElement(doc), "launchTemplate/launchTemplateId");
	xmlFreeDoc(doc);
	if (!*template_id)
		return annex_err_set(err, "BadReply", "EC2 CreateLaunchTemplate: reply without launchTemplateId");
	return 0;
}

int ec2_create_launch_template_version(struct aws_ctx *ctx, const struct params *params, struct annex_err *err)
{
	xmlDoc *doc = NULL;

	if (aws_query(ctx, AWS_EC2, "CreateLaunchTemplateVersion", params, &doc, err) != 0)
		return -1;
	xmlFreeDoc(doc);
	return 0;
}

int ec2_delete_launch_templates(struct aws_ctx *ctx, const struct ec2_ids *ids, struct annex_err *err)
{
	for (size_t i = 0; i < ids->n; i++) {
		struct params p = PARAMS_INIT;
		xmlDoc *doc = NULL;
		params_add(&p, "LaunchTemplateId", ids->v[i]);
		if (ec2_query(ctx, "DeleteLaunchTemplate", &p, &doc, err) != 0) {
			if (strncmp(err->code, "InvalidLaunchTemplateId.NotFound", 32) != 0 &&
			    strcmp(err->code, "InvalidLaunchTemplateName.NotFoundException") != 0)
				return -1;
			annex_err_clear(err);
		}
		xmlFreeDoc(doc);
	}
	return 0;
}

struct ec2_templates {
	struct ec2_ids *out;
	const char *name;             /* the name, or its prefix when prefix */
	int prefix;
};

static int ec2_template_page(xmlDoc *doc, void *ud, struct annex_err *err)
{
	struct ec2_templates *w = ud;
	xmlNode *set = xml_find(xmlDocGetRootElement(doc), "launchTemplates");

	(void)err;
	for (xmlNode *t = set ? xml_first(set, "item") : NULL; t; t = xml_next(t, "item")) {
		char id[64], name[256] = "";
		xml_text_buf(t, "launchTemplateName", name, sizeof(name));
		if (w->prefix ? strncmp(name, w->name, strlen(w->name)) != 0 : strcmp(name, w->name) != 0)
			continue;
		if (xml_text_buf(t, "launchTemplateId", id, sizeof(id)) == 0 && *id)
			ec2_ids_add(w->out, id);
	}
	return 0;
}

int ec2_launch_templates_by_tag(struct aws_ctx *ctx, const char *key, const char *value, struct ec2_ids *out,
				struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	struct ec2_templates w = { out, NULL, 0 };
	char *filter = xasprintf("tag:%s", key), *name;
	int rc;

	params_add(&p, "Filter.1.Name", filter);
	params_add(&p, "Filter.1.Value.1", value);
	free(filter);
	w.prefix = strcmp(key, "htcondor:AnnexId") != 0;
	w.name = name = xasprintf("htcondor-annex-%s%s", value, w.prefix ? "_" : "");
	rc = aws_query_paginate(ctx, AWS_EC2, "DescribeLaunchTemplates", &p, ec2_template_page, &w, err);
	free(name);
	params_free(&p);
	return rc;
}
