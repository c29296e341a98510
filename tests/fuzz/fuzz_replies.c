/* fuzz_replies.c - libFuzzer target for what annex reads out of AWS's
 * replies: the callers above the AWS layer (src/ec2*.c, iam.c, sts.c,
 * ssm.c, events.c, lambda.c, inventory.c) over the query (XML) and JSON
 * protocols (src/aws_query.c, aws_rest.c), pages included, with the error
 * decoder for replies of status 300 and up. aws_send (src/aws.c: signing,
 * HTTP, retries) is replaced here by a stub that answers each request with
 * the next reply of the input. Input: one byte picking the call, then the
 * replies, separated by NUL bytes. A reply is its body, status 200, unless
 * its first byte names another status ('3' 403, '4' 400, 'N' 404, 'C' 409,
 * '5' 500, 'S' 503), which is then not part of the body. After the last
 * reply the first comes again, as a hostile endpoint may answer: a call
 * that makes more than 1000 requests for one input is a bug (a page loop
 * that never ends: a token that comes back, or more pages than the cap). Any crash, leak or undefined behaviour is a bug,
 * and so is a failure without a message.
 *
 * fuzz-sources: src/ec2.c src/ec2_images.c src/iam.c src/sts.c src/ssm.c src/events.c
 * fuzz-sources: src/lambda.c src/inventory.c src/inventory_join.c src/aws_query.c src/aws_rest.c
 * fuzz-sources: src/aws_error.c src/xml.c src/http.c src/endpoint.c src/sigv4_canon.c src/params.c
 * fuzz-sources: src/timefmt.c src/buf.c src/err.c src/policydoc.c src/typeselect.c src/typeselect_ec2.c
 * fuzz-sources: src/launchplan.c
 * fuzz-max-len: 8192
 */
#include "annex/aws.h"
#include "annex/ec2.h"
#include "annex/events.h"
#include "annex/iam.h"
#include "annex/inventory.h"
#include "annex/lambda.h"
#include "annex/poolstatus.h"
#include "annex/ssm.h"
#include "annex/sts.h"
#include "annex/typeselect.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long status_of(char c)
{
	switch (c) {
	case '3': return 403;
	case '4': return 400;
	case 'N': return 404;
	case 'C': return 409;
	case '5': return 500;
	case 'S': return 503;
	default: return 200;
	}
}

static char fake_ctx;
static const char *replies[64];
static size_t reply_len[64], n_replies, next_reply, requests;

int aws_send(struct aws_ctx *ctx, const struct aws_request *req, struct aws_reply *reply,
	     struct annex_err *err)
{
	const char *r;
	size_t n;

	(void)ctx;
	(void)req;
	memset(reply, 0, sizeof(*reply));
	if (++requests > 1000)
		abort();
	r = replies[next_reply % n_replies];
	n = reply_len[next_reply++ % n_replies];
	reply->status = n ? status_of(r[0]) : 200;
	reply->http.status = reply->status;
	if (reply->status != 200)
		r++, n--;
	buf_append(&reply->http.body, r, n);
	if (reply->status < 300)
		return 0;
	return aws_error_decode(reply->status, &reply->http, err);
}

void aws_reply_free(struct aws_reply *reply)
{
	if (!reply)
		return;
	http_response_free(&reply->http);
	reply->status = 0;
}

const char *aws_ctx_region(const struct aws_ctx *ctx)
{
	(void)ctx;
	return "us-east-1";
}

/* The page cap (aws.c): 16 here, under the 64 replies an input holds, so
 * inputs of distinct page tokens reach the refusal (kept case
 * query-pages-endless) before the stub's 1000-request abort. */
unsigned long aws_ctx_max_pages(const struct aws_ctx *ctx)
{
	(void)ctx;
	return 16;
}

/* condor_status is never run here (inventory_pool is not called). */
char *poolstatus_find(const char *named, char **why)
{
	(void)named;
	(void)why;
	abort();
}

int poolstatus_annex_ads(const char *exe, const char *annex, poolstatus_ad_fn fn, void *ud,
			 struct annex_err *err)
{
	(void)exe;
	(void)annex;
	(void)fn;
	(void)ud;
	(void)err;
	abort();
}

static void count_instance(const struct ec2_instance *in, void *ud)
{
	if (!in->id || !in->state)
		abort();
	++*(size_t *)ud;
}

static void count_fleet(const struct ec2_spot_fleet *f, void *ud)
{
	if (!f->id || !f->state)
		abort();
	++*(size_t *)ud;
}

static int call(unsigned op, struct aws_ctx *ctx, struct annex_err *err)
{
	struct inventory_opts io = { .annex_name = NULL, .live_only = 0 };
	struct inventory inv;
	struct ec2_ids ids = { 0 };
	struct params p = PARAMS_INIT;
	char *s = NULL, **names = NULL;
	size_t n = 0;
	int rc = 0, has;

	switch (op) {
	case 0:
		io.annex_name = "a";
		inventory_init(&inv, &io);
		rc = inventory_list_instances(ctx, &inv, err);
		inventory_join(&inv);
		inventory_sort(&inv);
		inventory_live_instance_ids(&inv, &ids);
		inventory_free(&inv);
		break;
	case 1:
		inventory_init(&inv, &io);
		rc = inventory_list_fleets(ctx, &inv, err);
		inventory_live_fleet_ids(&inv, &ids);
		inventory_free(&inv);
		break;
	case 2:
		io.annex_name = "a";
		inventory_init(&inv, &io);
		rc = inventory_list_rules(ctx, &inv, err);
		for (size_t i = 0; rc == 0 && i < inv.n_rules; i++)
			rc = inventory_read_rule(ctx, &inv, i, err);
		inventory_sort(&inv);
		inventory_free(&inv);
		break;
	case 3: rc = lambda_has_permission(ctx, "f", "sid", err); break;
	case 4: rc = lambda_get_function(ctx, "f", &s, err); break;
	case 5: rc = iam_get_role(ctx, "r", &s, err); break;
	case 6: rc = iam_has_role_policy(ctx, "r", "p", err); break;
	case 7: rc = iam_get_instance_profile(ctx, "ip", "r", &s, &has, err); break;
	case 8: {
		struct sts_identity id;
		rc = sts_get_caller_identity(ctx, &id, err);
		break;
	}
	case 9: rc = ssm_get_parameter(ctx, "/aws/service/x", &s, err); break;
	case 10: {
		struct ec2_image_info info;
		rc = ec2_describe_image(ctx, "ami-1", &info, err);
		break;
	}
	case 11: {
		struct ec2_type_info info;
		rc = ec2_describe_instance_type(ctx, "m5.large", &info, err);
		break;
	}
	case 12:
		rc = ec2_run_instances(ctx, &p, &ids, err);
		break;
	case 13: rc = ec2_request_spot_fleet(ctx, &p, &s, err); break;
	case 14: rc = ec2_create_launch_template(ctx, &p, &s, err); break;
	case 15:
		rc = ec2_default_vpc(ctx, &s, err);
		free(s);
		s = NULL;
		if (rc >= 0)
			rc = ec2_find_security_group(ctx, "g", "vpc-1", &s, err);
		break;
	case 16: rc = events_list_rules(ctx, "a_", &names, &n, err); break;
	case 17:
		rc = ec2_instances_by_tag(ctx, "k", "v", &ids, err);
		if (rc >= 0)
			rc = ec2_spot_fleets_by_tag(ctx, "k", "v", &ids, err);
		if (rc >= 0)
			rc = ec2_launch_templates_by_tag(ctx, "k", "v", &ids, err);
		break;
	case 18:
		rc = iam_service_linked_role_exists(ctx, "spotfleet.amazonaws.com", err);
		if (rc >= 0)
			rc = iam_empty_role(ctx, "r", err);
		break;
	case 19: {
		size_t count = 0;
		rc = ec2_describe_instances(ctx, NULL, count_instance, &count, err);
		if (rc >= 0)
			rc = ec2_describe_spot_fleets(ctx, count_fleet, &count, err);
		if (rc >= 0)
			rc = ec2_spot_fleet_instances(ctx, "sfr-1", &ids, err);
		break;
	}
	case 20: {
		struct typeselect ts = { .vcpus = { 1, 1, 0, 2, 0 }, .gpus = { 1, 0, 1, 0, 8 } };
		struct typeselect_list l;
		rc = typeselect_resolve(ctx, &ts, "x86_64", "on-demand", 3, &l, err);
		if (rc == 0 && (l.n > 3 || l.n > l.matched))
			abort();
		for (size_t i = 0; rc == 0 && i < l.n; i++)
			if (l.v[i].vcpus < 2 || l.v[i].gpus > 8 || !l.v[i].name[0])
				abort();
		if (rc == 0)
			typeselect_list_free(&l);
		break;
	}
	case 21: rc = events_delete_rule(ctx, "a_1", err); break;
	case 22: {
		static const struct events_tag tags[] = { { "htcondor:AnnexName", "a" } };
		rc = events_put_rule(ctx, "a_1", "rate(5 minutes)", "d", tags, 1, &s, err);
		break;
	}
	default:
		rc = ec2_image_exists(ctx, "ami-1", s = calloc(1, 16), 16, err);
		break;
	}
	free(s);
	if (names)
		events_names_free(names, n);
	ec2_ids_free(&ids);
	params_free(&p);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct annex_err err;
	int rc;

	if (size < 1)
		return 0;
	n_replies = next_reply = requests = 0;
	for (size_t i = 1; i <= size && n_replies < 64;) {
		const uint8_t *end = i < size ? memchr(data + i, 0, size - i) : NULL;
		size_t n = end ? (size_t)(end - (data + i)) : size - i;
		replies[n_replies] = (const char *)data + i;
		reply_len[n_replies++] = n;
		i += n + 1;
	}
	annex_err_clear(&err);
	/* the context is never looked into: aws_send is the stub above */
	rc = call(data[0] % 24, (struct aws_ctx *)&fake_ctx, &err);
	if (rc < 0 && !err.msg[0])
		abort();
	return 0;
}
