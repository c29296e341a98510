/* annexscan.c - DescribeInstances and DescribeSpotFleetRequests pages
 * turned into status_report entries. Only the fields -status shows are
 * read: id, state, type and the htcondor: tags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/annexscan.h"
#include "annex/ec2.h"
#include "annex/xml.h"

struct annexscan_ctx {
	struct status_report *r;
	const char *name;
};

static int annexscan_instance_page(xmlDoc *doc, void *ud, struct annex_err *err)
{
	struct annexscan_ctx *c = ud;
	xmlNode *rs = xml_find(xmlDocGetRootElement(doc), "reservationSet");

	(void)err;
	for (xmlNode *res = rs ? xml_first(rs, "item") : NULL; res; res = xml_next(res, "item")) {
		xmlNode *is = xml_find(res, "instancesSet");
		for (xmlNode *i = is ? xml_first(is, "item") : NULL; i; i = xml_next(i, "item")) {
			char id[32] = "", state[32] = "", type[64] = "";
			struct ec2_annex_tags t;
			xml_text_buf(i, "instanceId", id, sizeof(id));
			xml_text_buf(i, "instanceState/name", state, sizeof(state));
			xml_text_buf(i, "instanceType", type, sizeof(type));
			ec2_read_annex_tags(xml_find(i, "tagSet"), &t);
			if (*id && *state && t.name && *t.name && (!c->name || strcmp(t.name, c->name) == 0))
				status_report_add_instance(c->r, id, state, t.name, t.id, *type ? type : NULL,
							   t.lease);
			ec2_annex_tags_free(&t);
		}
	}
	return 0;
}

int annexscan_instances(struct aws_ctx *ctx, const char *name, long page_size, struct status_report *r,
			struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	struct annexscan_ctx c = { r, name };
	char size[24];
	int rc;

	ec2_add_annex_filter(&p, name);
	snprintf(size, sizeof(size), "%ld", page_size > 0 ? page_size : 1000);
	params_add(&p, "MaxResults", size);
	rc = aws_query_paginate(ctx, AWS_EC2, "DescribeInstances", &p, annexscan_instance_page, &c, err);
	params_free(&p);
	return rc;
}

static int annexscan_fleet_page(xmlDoc *doc, void *ud, struct annex_err *err)
{
	struct annexscan_ctx *c = ud;
	xmlNode *set = xml_find(xmlDocGetRootElement(doc), "spotFleetRequestConfigSet");

	(void)err;
	for (xmlNode *f = set ? xml_first(set, "item") : NULL; f; f = xml_next(f, "item")) {
		char id[64] = "", state[64] = "", target[32] = "";
		char *valid = xml_text(f, "spotFleetRequestConfig/validUntil");
		struct ec2_annex_tags t;
		xml_text_buf(f, "spotFleetRequestId", id, sizeof(id));
		xml_text_buf(f, "spotFleetRequestState", state, sizeof(state));
		xml_text_buf(f, "spotFleetRequestConfig/targetCapacity", target, sizeof(target));
		ec2_read_annex_tags(xml_find(f, "tagSet"), &t);
		if (*id && t.name && *t.name && (!c->name || strcmp(t.name, c->name) == 0))
			status_report_add_fleet(c->r, id, *state ? state : "unknown", t.name,
						valid && *valid ? valid : NULL, *target ? strtol(target, NULL, 10) : -1);
		free(valid);
		ec2_annex_tags_free(&t);
	}
	return 0;
}

int annexscan_fleets(struct aws_ctx *ctx, const char *name, struct status_report *r, struct annex_err *err)
{
	struct annexscan_ctx c = { r, name };

	return aws_query_paginate(ctx, AWS_EC2, "DescribeSpotFleetRequests", NULL, annexscan_fleet_page, &c, err);
}
