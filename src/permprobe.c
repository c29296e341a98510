/* permprobe.c - EC2 dry runs that prove the user's permissions at
 * -check-setup (see include/annex/permprobe.h). */
#include "annex/permprobe.h"

#include <stdlib.h>
#include <string.h>

#include "annex/ec2.h"
#include "annex/xml.h"

const char permprobe_actions[] =
	"RunInstances CreateLaunchTemplate RequestSpotFleet CreateFleet TerminateInstances CancelSpotFleetRequests "
	"DeleteFleets DescribeInstances";

/* The tag every probe carries where a launch tags: a policy conditioned on
 * aws:RequestTag/htcondor:AnnexName sees what a launch sends. */
#define PROBE_ANNEX "annex-permission-probe"
/* Well-formed ids that name nothing (EC2's shapes: i- and 17 hex digits,
 * sfr- and fleet- and a UUID), and the launch template the CreateFleet
 * probe names, which no launch makes (annex's are htcondor-<annex id>...:
 * a dry run creates none, and AWS decides permission before it looks). */
#define PROBE_INSTANCE "i-0000000000000000a"
#define PROBE_FLEET "sfr-00000000-0000-0000-0000-00000000000a"
#define PROBE_EC2_FLEET "fleet-00000000-0000-0000-0000-00000000000a"
#define PROBE_TEMPLATE "htcondor-" PROBE_ANNEX

enum verdict { ALLOWED, MISSING, UNPROVEN, FAILING };

struct probe {
	const char *action;
	const struct permprobe_spec *spec;
	enum verdict v;
	char why[ANNEX_ERR_MSG_MAX + 128];
};

static void add_tags(struct params *p, int n, const char *type)
{
	aws_params_addn(p, type, "TagSpecification.%d.ResourceType", n);
	aws_params_addn(p, EC2_TAG_ANNEX_NAME, "TagSpecification.%d.Tag.1.Key", n);
	aws_params_addn(p, PROBE_ANNEX, "TagSpecification.%d.Tag.1.Value", n);
}

static void add_groups(struct params *p, const char *ids, const char *fmt)
{
	char *copy = xstrdup(ids ? ids : ""), *save = NULL;
	int g = 1;

	for (char *id = strtok_r(copy, ", ", &save); id; id = strtok_r(NULL, ", ", &save))
		aws_params_addn(p, id, fmt, g++);
	free(copy);
}

/* The request each probe sends: what a launch, -off or the undo sends, with
 * DryRun=true. */
static void build(const struct probe *pr, struct params *p)
{
	const struct permprobe_spec *s = pr->spec;

	if (strcmp(pr->action, "RunInstances") == 0) {
		params_add(p, "ImageId", s->image_id);
		params_add(p, "InstanceType", s->instance_type);
		params_add(p, "MinCount", "1");
		params_add(p, "MaxCount", "1");
		params_add(p, "IamInstanceProfile.Arn", s->instance_profile_arn);
		add_groups(p, s->security_group_ids, "SecurityGroupId.%d");
		if (s->key_name)
			params_add(p, "KeyName", s->key_name);
		params_add(p, "InstanceInitiatedShutdownBehavior", "terminate");
		params_add(p, "MetadataOptions.HttpTokens", "required");
		params_add(p, "MetadataOptions.InstanceMetadataTags", "enabled");
		add_tags(p, 1, "instance");
		add_tags(p, 2, "volume");
	} else if (strcmp(pr->action, "CreateLaunchTemplate") == 0) {
		params_add(p, "LaunchTemplateName", PROBE_TEMPLATE);
		params_add(p, "LaunchTemplateData.ImageId", s->image_id);
		params_add(p, "LaunchTemplateData.InstanceType", s->instance_type);
		params_add(p, "LaunchTemplateData.IamInstanceProfile.Arn", s->instance_profile_arn);
		add_groups(p, s->security_group_ids, "LaunchTemplateData.SecurityGroupId.%d");
		add_tags(p, 1, "launch-template");
	} else if (strcmp(pr->action, "RequestSpotFleet") == 0) {
		const char *c = "SpotFleetRequestConfig";
		aws_params_addn(p, s->fleet_role_arn, "%s.IamFleetRole", c);
		aws_params_addn(p, "1", "%s.TargetCapacity", c);
		aws_params_addn(p, "request", "%s.Type", c);
		aws_params_addn(p, "priceCapacityOptimized", "%s.AllocationStrategy", c);
		aws_params_addn(p, "true", "%s.TerminateInstancesWithExpiration", c);
		aws_params_addn(p, s->image_id, "%s.LaunchSpecifications.1.ImageId", c);
		aws_params_addn(p, s->instance_type, "%s.LaunchSpecifications.1.InstanceType", c);
		aws_params_addn(p, s->instance_profile_arn, "%s.LaunchSpecifications.1.IamInstanceProfile.Arn", c);
		add_groups(p, s->security_group_ids, "SpotFleetRequestConfig.LaunchSpecifications.1.GroupSet.%d.GroupId");
		aws_params_addn(p, "spot-fleet-request", "%s.TagSpecification.1.ResourceType", c);
		aws_params_addn(p, EC2_TAG_ANNEX_NAME, "%s.TagSpecification.1.Tag.1.Key", c);
		aws_params_addn(p, PROBE_ANNEX, "%s.TagSpecification.1.Tag.1.Value", c);
	} else if (strcmp(pr->action, "CreateFleet") == 0) {
		/* the EC2 Fleet launch's instant request (launch_ec2fleet.c),
		 * one on-demand instance of annex's type */
		params_add(p, "Type", "instant");
		params_add(p, "TargetCapacitySpecification.TotalTargetCapacity", "1");
		params_add(p, "TargetCapacitySpecification.DefaultTargetCapacityType", "on-demand");
		params_add(p, "OnDemandOptions.AllocationStrategy", "lowest-price");
		params_add(p, "LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateName", PROBE_TEMPLATE);
		params_add(p, "LaunchTemplateConfigs.1.LaunchTemplateSpecification.Version", "1");
		params_add(p, "LaunchTemplateConfigs.1.Overrides.1.InstanceType", s->instance_type);
		add_tags(p, 1, "instance");
		add_tags(p, 2, "fleet");
	} else if (strcmp(pr->action, "TerminateInstances") == 0) {
		params_add(p, "InstanceId.1", PROBE_INSTANCE);
	} else if (strcmp(pr->action, "CancelSpotFleetRequests") == 0) {
		params_add(p, "SpotFleetRequestId.1", PROBE_FLEET);
		params_add(p, "TerminateInstances", "true");
	} else if (strcmp(pr->action, "DeleteFleets") == 0) {
		params_add(p, "FleetId.1", PROBE_EC2_FLEET);
		params_add(p, "TerminateInstances", "true");
	} else {   /* DescribeInstances */
		params_add(p, "MaxResults", "5");
	}
	params_add(p, "DryRun", "true");
}

/* AWS's message without the encoded authorization message (kilobytes of
 * base64 the user decodes with sts:DecodeAuthorizationMessage). */
static void short_message(char *out, size_t n, const char *msg)
{
	const char *enc = strstr(msg, " Encoded authorization failure message:");
	size_t len = enc ? (size_t)(enc - msg) : strlen(msg);

	snprintf(out, n, "%.*s%s", (int)len, msg,
		 enc ? " (decode the reason with 'aws sts decode-authorization-message --encoded-message ...'; "
		       "-debug shows the message)" : "");
}

/* A reply that did what a dry run must not: end what it made. */
static void undo_ignored(struct aws_ctx *ctx, const struct probe *pr, xmlDoc *doc, struct annex_err *err)
{
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	struct ec2_ids ids = { 0 };
	char *id;

	if (strcmp(pr->action, "RunInstances") == 0) {
		for (xmlNode *n = xml_find_deep(root, "instancesSet"); n; n = NULL)
			for (xmlNode *it = xml_first(n, "item"); it; it = xml_next(it, "item"))
				if ((id = xml_text(it, "instanceId"))) {
					ec2_ids_add(&ids, id);
					free(id);
				}
		if (ids.n)
			ec2_terminate_instances(ctx, &ids, err);
	} else if (strcmp(pr->action, "CreateLaunchTemplate") == 0) {
		if ((id = xml_text(xml_find_deep(root, "launchTemplate"), "launchTemplateId"))) {
			ec2_ids_add(&ids, id);
			free(id);
			ec2_delete_launch_templates(ctx, &ids, err);
		}
	} else if (strcmp(pr->action, "RequestSpotFleet") == 0) {
		if ((id = xml_text(root, "spotFleetRequestId"))) {
			ec2_ids_add(&ids, id);
			free(id);
			ec2_cancel_spot_fleets(ctx, &ids, err);
		}
	} else if (strcmp(pr->action, "CreateFleet") == 0) {
		/* an instant fleet's instances end with it (TerminateInstances=true) */
		if ((id = xml_text(root, "fleetId"))) {
			ec2_ids_add(&ids, id);
			free(id);
			ec2_delete_ec2_fleets(ctx, &ids, err);
		}
	}
	ec2_ids_free(&ids);
}

static int is_made_up_id(const char *action, const char *code)
{
	if (strcmp(action, "TerminateInstances") == 0)
		return strncmp(code, "InvalidInstanceID.", 18) == 0;
	if (strcmp(action, "CancelSpotFleetRequests") == 0)
		return strncmp(code, "InvalidSpotFleetRequestId.", 26) == 0;
	if (strcmp(action, "DeleteFleets") == 0)
		return strncmp(code, "InvalidFleetId.", 15) == 0;
	if (strcmp(action, "CreateFleet") == 0)   /* the made-up template */
		return strncmp(code, "InvalidLaunchTemplateName.", 26) == 0;
	return 0;
}

static int probe_one(struct aws_ctx *ctx, void *ud, struct annex_err *err)
{
	struct probe *pr = ud;
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc;

	build(pr, &p);
	rc = aws_query(ctx, AWS_EC2, pr->action, &p, &doc, err);
	params_free(&p);
	if (rc == 0) {
		int read_only = strncmp(pr->action, "Describe", 8) == 0;
		pr->v = read_only ? ALLOWED : FAILING;
		if (!read_only) {
			struct annex_err e2;
			annex_err_clear(&e2);
			undo_ignored(ctx, pr, doc, &e2);
			if (strcmp(pr->action, "DeleteFleets") == 0)   /* a made-up id: nothing to end */
				snprintf(pr->why, sizeof(pr->why), "the EC2 endpoint ignored DryRun and did the call "
					 "(on a made-up id: nothing changed)");
			else
				snprintf(pr->why, sizeof(pr->why), "the EC2 endpoint ignored DryRun and did the call%s%s",
					 *e2.msg ? "; undoing it failed: " : "; annex undid it", e2.msg);
		}
	} else if (strcmp(err->code, "DryRunOperation") == 0) {
		pr->v = ALLOWED;
	} else if (strcmp(err->code, "UnauthorizedOperation") == 0) {
		pr->v = MISSING;
		short_message(pr->why, sizeof(pr->why), err->msg);
	} else if (is_made_up_id(pr->action, err->code)) {
		pr->v = UNPROVEN;
		snprintf(pr->why, sizeof(pr->why), "EC2 looked up the made-up %s before deciding: %s",
			 strcmp(pr->action, "CreateFleet") == 0 ? "launch template" : "id", err->msg);
	} else {
		pr->v = FAILING;
		short_message(pr->why, sizeof(pr->why), err->msg);
	}
	xmlFreeDoc(doc);
	annex_err_clear(err);
	return 0;
}

/* The next word of a comma- or space-separated list: its length, *s moved past it. */
static size_t next_word(const char **s, const char **word)
{
	size_t n;

	*s += strspn(*s, ", \t");
	*word = *s;
	n = strcspn(*s, ", \t");
	*s += n;
	return n;
}

static int known(const char *word, size_t n)
{
	const char *s = permprobe_actions, *w;
	size_t m;

	while ((m = next_word(&s, &w)) > 0)
		if (m == n && strncmp(w, word, n) == 0)
			return 1;
	return 0;
}

int permprobe_validate(const char *probes, struct annex_err *err)
{
	const char *s = probes ? probes : "", *w;
	size_t n;

	while ((n = next_word(&s, &w)) > 0)
		if (!known(w, n) && !(n == 4 && strncmp(w, "none", 4) == 0))
			return annex_err_set(err, "Config", "ANNEX_CHECK_PERMISSIONS: '%.*s' is no probe (one of: %s; "
					     "or none)", (int)n, w, permprobe_actions);
	return 0;
}

/* Whether the list names action (a NULL list: every probe). */
static int listed(const char *list, const char *action)
{
	const char *s = list ? list : permprobe_actions, *w;
	size_t n;

	while ((n = next_word(&s, &w)) > 0)
		if (n == strlen(action) && strncmp(w, action, n) == 0)
			return 1;
	return 0;
}

static const char *const probe_names[] = {
	"RunInstances", "CreateLaunchTemplate", "RequestSpotFleet", "CreateFleet", "TerminateInstances",
	"CancelSpotFleetRequests", "DeleteFleets", "DescribeInstances",
};
#define N_PROBES (sizeof(probe_names) / sizeof(probe_names[0]))

int permprobe_run(struct aws_ctx *aws, const struct permprobe_spec *spec, struct permprobe_result *res,
		  struct annex_err *err)
{
	struct probe pr[N_PROBES];
	struct aws_task tasks[N_PROBES];
	size_t n = 0;

	memset(res, 0, sizeof(*res));
	if (permprobe_validate(spec->probes, err) != 0)
		return -1;
	for (size_t i = 0; i < N_PROBES; i++) {
		if (!listed(spec->probes, probe_names[i]) ||
		    (strcmp(probe_names[i], "RequestSpotFleet") == 0 && !spec->fleet_role_arn))
			continue;
		memset(&pr[n], 0, sizeof(pr[n]));
		pr[n].action = probe_names[i];
		pr[n].spec = spec;
		tasks[n] = (struct aws_task){ .fn = probe_one, .ud = &pr[n] };
		n++;
	}
	aws_run_parallel(aws, tasks, n);
	res->probed = (int)n;
	for (size_t i = 0; i < n; i++) {
		struct buf *b = pr[i].v == UNPROVEN ? &res->unproven : pr[i].v == MISSING ? &res->denied : &res->failed;
		if (pr[i].v == ALLOWED)
			continue;
		buf_printf(b, "%sec2:%s (%s)", b->len ? "; " : "", pr[i].action, pr[i].why);
		res->missing += pr[i].v == MISSING;
		res->failing += pr[i].v == FAILING;
	}
	return 0;
}

void permprobe_result_free(struct permprobe_result *res)
{
	buf_free(&res->denied);
	buf_free(&res->failed);
	buf_free(&res->unproven);
}
