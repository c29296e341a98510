/* ec2_fleets.c - EC2 Fleet calls (CreateFleet of type instant,
 * DescribeFleets, DeleteFleets): the EC2 Fleet back-end's (launch_ec2fleet.c)
 * and the ownership rule's (ownership.h). */
#include "annex/ec2.h"

#include <stdlib.h>
#include <string.h>

#include "annex/aws_retry.h"
#include "annex/xml.h"

void ec2_fleet_reply_free(struct ec2_fleet_reply *r)
{
	for (size_t i = 0; i < r->n_inst; i++) {
		free(r->inst[i].instance_id);
		free(r->inst[i].type);
		free(r->inst[i].lifecycle);
	}
	for (size_t i = 0; i < r->n_errors; i++) {
		free(r->errors[i].type);
		free(r->errors[i].lifecycle);
		free(r->errors[i].code);
		free(r->errors[i].message);
	}
	free(r->inst);
	free(r->errors);
	free(r->fleet_id);
	memset(r, 0, sizeof(*r));
}

static char *text_or_empty(xmlNode *n, const char *path)
{
	char *t = xml_text(n, path);

	return t ? t : xstrdup("");
}

/* fleetInstanceSet: one item per (type, lifecycle) with its instanceIds;
 * errorSet: one item per failed override and market. */
static void read_reply(xmlNode *root, struct ec2_fleet_reply *out)
{
	xmlNode *set = xml_find(root, "fleetInstanceSet");

	out->fleet_id = xml_text(root, "fleetId");
	for (xmlNode *it = set ? xml_first(set, "item") : NULL; it; it = xml_next(it, "item")) {
		xmlNode *ids = xml_find(it, "instanceIds");
		for (xmlNode *id = ids ? xml_first(ids, "item") : NULL; id; id = xml_next(id, "item")) {
			struct ec2_fleet_launched *l;
			out->inst = xrealloc(out->inst, (out->n_inst + 1) * sizeof(*out->inst));
			l = &out->inst[out->n_inst++];
			l->instance_id = text_or_empty(id, NULL);
			l->type = text_or_empty(it, "instanceType");
			l->lifecycle = text_or_empty(it, "lifecycle");
		}
	}
	set = xml_find(root, "errorSet");
	for (xmlNode *it = set ? xml_first(set, "item") : NULL; it; it = xml_next(it, "item")) {
		struct ec2_fleet_error *e;
		out->errors = xrealloc(out->errors, (out->n_errors + 1) * sizeof(*out->errors));
		e = &out->errors[out->n_errors++];
		e->type = text_or_empty(it, "launchTemplateAndOverrides/overrides/instanceType");
		e->lifecycle = text_or_empty(it, "lifecycle");
		e->code = text_or_empty(it, "errorCode");
		e->message = text_or_empty(it, "errorMessage");
	}
}

int ec2_create_fleet(struct aws_ctx *ctx, const struct params *params, const struct aws_call *call,
		     struct ec2_fleet_reply *out, struct annex_err *err)
{
	static const struct aws_call token = { .retry = AWS_RETRY_TOKEN };
	xmlDoc *doc = NULL;
	int rc = aws_query_with(ctx, AWS_EC2, "CreateFleet", params, call ? call : &token, &doc, err);

	if (rc != 0)
		return rc;
	read_reply(xmlDocGetRootElement(doc), out);
	xmlFreeDoc(doc);
	if (!out->fleet_id)
		return annex_err_set(err, "BadReply", "EC2 CreateFleet: reply without fleetId");
	return 0;
}

struct ec2_fleets_walk {
	ec2_fleet_fn fn;
	void *ud;
};

static int fleets_page(xmlDoc *doc, void *ud, struct annex_err *err)
{
	struct ec2_fleets_walk *w = ud;
	xmlNode *set = xml_find(xmlDocGetRootElement(doc), "fleetSet");

	(void)err;
	for (xmlNode *f = set ? xml_first(set, "item") : NULL; f; f = xml_next(f, "item")) {
		char id[64] = "", state[64] = "", type[32] = "", token[128] = "", name[256] = "";
		struct ec2_ids members = { 0 };
		struct ec2_annex_tags t;
		struct ec2_fleet fl = { id, state, type, token, name, 0, 0, &members, &t };
		xmlNode *cfgs = xml_find(f, "launchTemplateConfigs"), *is = xml_find(f, "fleetInstanceSet");
		xml_text_buf(f, "fleetId", id, sizeof(id));
		xml_text_buf(f, "fleetState", state, sizeof(state));
		xml_text_buf(f, "type", type, sizeof(type));
		xml_text_buf(f, "clientToken", token, sizeof(token));
		for (xmlNode *c = cfgs ? xml_first(cfgs, "item") : NULL; c; c = xml_next(c, "item")) {
			char n[256] = "";
			xml_text_buf(c, "launchTemplateSpecification/launchTemplateName", n, sizeof(n));
			if (fl.n_templates++ == 0)
				strcpy(name, n);
			else if (strcmp(n, name) != 0)
				fl.other_template = 1;
			if (!*n)
				fl.other_template = 1;
		}
		for (xmlNode *it = is ? xml_first(is, "item") : NULL; it; it = xml_next(it, "item")) {
			xmlNode *ids = xml_find(it, "instanceIds");
			for (xmlNode *i = ids ? xml_first(ids, "item") : NULL; i; i = xml_next(i, "item")) {
				char *v = xml_text(i, NULL);
				if (v && *v)
					ec2_ids_add(&members, v);
				free(v);
			}
		}
		ec2_read_annex_tags(xml_find(f, "tagSet"), &t);
		w->fn(&fl, w->ud);
		ec2_annex_tags_free(&t);
		ec2_ids_free(&members);
	}
	return 0;
}

/* AWS leaves an instant fleet out of DescribeFleets unless its id is asked
 * for (the API reference; moto lists it anyway), so the ids go as FleetId.N,
 * at most DESCRIBE_FLEETS_BATCH a call. */
#define DESCRIBE_FLEETS_BATCH 100

int ec2_describe_ec2_fleets(struct aws_ctx *ctx, const struct ec2_ids *ids, ec2_fleet_fn fn, void *ud,
			    struct annex_err *err)
{
	struct ec2_fleets_walk w = { fn, ud };
	int rc = 0;

	if (!ids)
		return aws_query_paginate(ctx, AWS_EC2, "DescribeFleets", NULL, fleets_page, &w, err);
	for (size_t i = 0; i < ids->n && rc == 0; i += DESCRIBE_FLEETS_BATCH) {
		struct params p = PARAMS_INIT;
		size_t n = ids->n - i < DESCRIBE_FLEETS_BATCH ? ids->n - i : DESCRIBE_FLEETS_BATCH;
		aws_params_add_list(&p, "FleetId", (const char *const *)ids->v + i, n);
		rc = aws_query_paginate(ctx, AWS_EC2, "DescribeFleets", &p, fleets_page, &w, err);
		params_free(&p);
		/* one id AWS no longer knows fails the whole batch: ask again one
		 * at a time, skipping such ids (their instances prove nothing) */
		if (rc != 0 && strncmp(err->code, "InvalidFleetId", 14) == 0) {
			annex_err_clear(err);
			rc = 0;
			for (size_t k = 0; k < n && rc == 0; k++) {
				aws_params_add_list(&p, "FleetId", (const char *const *)ids->v + i + k, 1);
				if (aws_query_paginate(ctx, AWS_EC2, "DescribeFleets", &p, fleets_page, &w, err) != 0) {
					if (strncmp(err->code, "InvalidFleetId", 14) == 0)
						annex_err_clear(err);
					else
						rc = -1;
				}
				params_free(&p);
			}
		}
	}
	return rc;
}

struct of_annex {
	const char *annex_id;
	struct ec2_ids *out;
};

static void collect_of_annex(const struct ec2_fleet *f, void *ud)
{
	struct of_annex *c = ud;

	if (*f->id && f->tags->id && strcmp(f->tags->id, c->annex_id) == 0 && strncmp(f->state, "deleted", 7) != 0)
		ec2_ids_add(c->out, f->id);
}

int ec2_ec2_fleets_of_annex(struct aws_ctx *ctx, const char *annex_id, struct ec2_ids *out, struct annex_err *err)
{
	struct of_annex c = { annex_id, out };

	return ec2_describe_ec2_fleets(ctx, NULL, collect_of_annex, &c, err);
}

/* The fleet of annex_id made with token: its id and its instances (as
 * DescribeFleets shows an instant fleet's), the reply a lost CreateFleet
 * would have carried, less its errors. */
struct by_token {
	const char *annex_id, *token;
	struct ec2_fleet_reply *out;
	int found;
};

static int by_token_page(xmlDoc *doc, void *ud, struct annex_err *err)
{
	struct by_token *b = ud;
	xmlNode *set = xml_find(xmlDocGetRootElement(doc), "fleetSet");

	(void)err;
	for (xmlNode *f = set ? xml_first(set, "item") : NULL; f && !b->found; f = xml_next(f, "item")) {
		char *token = xml_text(f, "clientToken"), *id = ec2_tag_value(xml_find(f, "tagSet"), "htcondor:AnnexId");
		if (token && id && strcmp(token, b->token) == 0 && strcmp(id, b->annex_id) == 0) {
			b->found = 1;
			read_reply(f, b->out);
		}
		free(token);
		free(id);
	}
	return 0;
}

int ec2_ec2_fleet_by_token(struct aws_ctx *ctx, const char *annex_id, const char *token,
			   struct ec2_fleet_reply *out, struct annex_err *err)
{
	struct by_token b = { annex_id, token, out, 0 };

	if (aws_query_paginate(ctx, AWS_EC2, "DescribeFleets", NULL, by_token_page, &b, err) != 0)
		return -1;
	return b.found;
}

/* DeleteFleets answers 200 also when it deleted none of them: each fleet it
 * could not delete is an item of unsuccessfulFleetDeletionSet. One that does
 * not exist (gone already, or a resend after a lost reply) is done; any
 * other is the call's error (the first said, the rest still asked). */
static int delete_failures(xmlDoc *doc, struct annex_err *err)
{
	xmlNode *set = xml_find(xmlDocGetRootElement(doc), "unsuccessfulFleetDeletionSet");
	int rc = 0;

	for (xmlNode *it = set ? xml_first(set, "item") : NULL; it; it = xml_next(it, "item")) {
		char *id = text_or_empty(it, "fleetId"), *code = text_or_empty(it, "error/code"),
		     *msg = text_or_empty(it, "error/message");
		if (strcmp(code, "fleetIdDoesNotExist") != 0 && rc == 0)
			rc = annex_err_set(err, *code ? code : "unexpectedError", "EC2 DeleteFleets: fleet %s: %s", id,
					   *msg ? msg : "not deleted");
		free(id);
		free(code);
		free(msg);
	}
	return rc;
}

int ec2_delete_ec2_fleets(struct aws_ctx *ctx, const struct ec2_ids *ids, struct annex_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < ids->n; i += 25) {
		struct params p = PARAMS_INIT;
		xmlDoc *doc = NULL;
		struct annex_err e;
		size_t n = ids->n - i < 25 ? ids->n - i : 25;
		annex_err_clear(&e);
		aws_params_add_list(&p, "FleetId", (const char *const *)ids->v + i, n);
		params_add(&p, "TerminateInstances", "true");
		if ((ec2_query(ctx, "DeleteFleets", &p, &doc, &e) != 0 || delete_failures(doc, &e) != 0) && rc == 0) {
			*err = e;
			rc = -1;
		}
		xmlFreeDoc(doc);
	}
	return rc;
}
