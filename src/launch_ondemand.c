/* launch_ondemand.c - the RunInstances back-end of the launch engine:
 * on-demand instances of one type, tagged with the annex's tags, found and
 * terminated by the annex id (see include/annex/launch.h). */
#include "annex/launch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/aws_retry.h"
#include "annex/dryrun.h"

static void add_tags(const struct launch_spec *s, struct params *p, const char *prefix, int n, const char *type)
{
	aws_params_addn(p, type, "%s.%d.ResourceType", prefix, n);
	for (size_t i = 0; i < s->n_tags; i++) {
		aws_params_addn(p, s->tags[i].key, "%s.%d.Tag.%zu.Key", prefix, n, i + 1);
		aws_params_addn(p, s->tags[i].value, "%s.%d.Tag.%zu.Value", prefix, n, i + 1);
	}
}

static int run_params(const struct launch_spec *s, struct params *p, int dry_run, struct annex_err *err)
{
	char *ids, *save = NULL;
	int g = 1;
	char n[32];

	if (s->n_instance_types != 1 || s->market != LAUNCH_ON_DEMAND || !s->image_id)
		return annex_err_set(err, "Internal", "RunInstances launches on-demand instances of one type "
				     "from one image");
	params_add(p, "ImageId", s->image_id);
	params_add(p, "InstanceType", s->instance_types[0]);
	snprintf(n, sizeof(n), "%ld", s->min_count > 0 ? s->min_count : s->count);
	params_add(p, "MinCount", n);
	snprintf(n, sizeof(n), "%ld", s->count);
	params_add(p, "MaxCount", n);
	params_add(p, "ClientToken", s->client_token);
	params_add(p, "IamInstanceProfile.Arn", s->instance_profile_arn);
	ids = xstrdup(s->security_group_ids);
	for (char *id = strtok_r(ids, ", ", &save); id; id = strtok_r(NULL, ", ", &save))
		aws_params_addn(p, id, "SecurityGroupId.%d", g++);
	free(ids);
	if (s->key_name && *s->key_name)
		params_add(p, "KeyName", s->key_name);
	params_add(p, "InstanceInitiatedShutdownBehavior", "terminate");
	params_add(p, "MetadataOptions.HttpTokens", "required");
	params_add(p, "MetadataOptions.HttpPutResponseHopLimit", "1");
	params_add(p, "MetadataOptions.HttpEndpoint", "enabled");
	params_add(p, "MetadataOptions.InstanceMetadataTags", "enabled");
	params_add(p, "UserData", buf_cstr(&s->user_data_b64));
	add_tags(s, p, "TagSpecification", 1, "instance");
	add_tags(s, p, "TagSpecification", 2, "volume");
	if (dry_run)
		params_add(p, "DryRun", "true");
	return 0;
}

/* RunInstances' resends (aws_retry.h) and what launch adds to them. A
 * RunInstances whose reply was lost may have started instances, so before
 * sending it again annex looks for instances tagged with this annex id, and
 * adopts them if there are any. Every attempt carries the same ClientToken
 * on a fresh connection (AWS_RETRY_TOKEN), so AWS itself also refuses a
 * double launch. An instance profile that IAM has not yet propagated to EC2
 * ("Invalid IAM Instance Profile") started nothing: the AWS layer waits it
 * out, bounded by ANNEX_IAM_WAIT_S, and nothing is looked up before that
 * resend. */
struct run_adopt {
	struct aws_ctx *ctx;
	const char *annex_id;
	struct ec2_ids *ids;
};

static int run_adopt_launched(void *ud, const struct annex_err *last, struct annex_err *err)
{
	struct run_adopt *a = ud;
	struct annex_err e2;

	(void)err;
	if (aws_iam_propagation(last))
		return AWS_RESEND;
	annex_err_clear(&e2);
	if (ec2_instances_by_tag(a->ctx, "htcondor:AnnexId", a->annex_id, a->ids, &e2) == 0 && a->ids->n > 0)
		return AWS_DONE;
	return AWS_RESEND;
}

static void run_iam_notice(void *ud, long limit_s)
{
	(void)ud;
	printf("Waiting for IAM to make the instance profile usable by EC2 (at most %ld s)...\n", limit_s);
	fflush(stdout);
}

static int run_instances(struct aws_ctx *ctx, const struct launch_spec *s, struct ec2_ids *ids,
			 struct annex_err *err)
{
	struct run_adopt a = { ctx, s->annex_id, ids };
	struct aws_call call = { 0 };
	struct params p = PARAMS_INIT;
	int rc;

	call.retry = AWS_RETRY_TOKEN;
	call.before_resend = run_adopt_launched;
	call.iam_wait = "the instance profile";
	call.iam_notice = run_iam_notice;
	call.ud = &a;
	if (run_params(s, &p, 0, err) != 0) {
		params_free(&p);
		return -1;
	}
	rc = ec2_run_instances_with(ctx, &p, &call, ids, err);
	params_free(&p);
	return rc < 0 ? -1 : 0;
}

static int ondemand_dry_run(struct aws_ctx *aws, const struct launch_spec *s, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	struct ec2_ids ids = { 0 };
	int rc = run_params(s, &p, 0, err);

	if (rc == 0) {
		dryrun_params(stdout, "EC2", "RunInstances", &p);
		params_add(&p, "DryRun", "true");
		rc = ec2_run_instances(aws, &p, &ids, err);
	}
	params_free(&p);
	ec2_ids_free(&ids);
	return rc;
}

static int ondemand_launch(struct aws_ctx *aws, const struct launch_spec *s, struct launch_result *res,
			   struct annex_err *err)
{
	if (run_instances(aws, s, &res->instances, err) != 0)
		return -1;
	res->started = (long)res->instances.n;
	return 0;
}

static int ondemand_find(struct aws_ctx *aws, const struct launch_spec *s, struct launch_found *found,
			 struct annex_err *err)
{
	return ec2_instances_by_tag(aws, "htcondor:AnnexId", s->annex_id, &found->instances, err);
}

static int ondemand_undo(struct aws_ctx *aws, const struct launch_spec *s, const struct launch_found *found,
			 struct annex_err *err)
{
	(void)s;
	return ec2_terminate_instances(aws, &found->instances, err);
}

const struct launch_backend launch_ondemand = {
	"RunInstances", ondemand_dry_run, ondemand_launch, ondemand_find, ondemand_undo,
};
