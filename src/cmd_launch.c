/* cmd_launch.c - annex -count N / -slots N (SPEC.md sections 1, 6, 7 and
 * 8): options, then the plan (every check that needs no AWS call, the
 * image, the user-data: a struct launch_spec and a back-end), the
 * question, the launch engine (launch.h: lease, launch, undo) and the
 * report. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "annex/annexlock.h"
#include "annex/cmd.h"
#include "annex/connectivity.h"
#include "annex/cost.h"
#include "annex/ec2.h"
#include "annex/fleetconfig.h"
#include "annex/iam.h"
#include "annex/imagecheck.h"
#include "annex/knobs.h"
#include "annex/launch.h"
#include "annex/launch_userdata.h"
#include "annex/launchwait.h"
#include "annex/launchplan.h"
#include "annex/ownership.h"
#include "annex/platforms.h"
#include "annex/prompt.h"
#include "annex/session.h"
#include "annex/timefmt.h"
#include "annex/typeselect.h"

struct launch {
	struct annex_session s;
	const struct annex_opts *o;
	const struct launch_backend *backend;
	const char *function_opt;       /* the lease function: this back-end's option ... */
	const char *function_knob;      /* ... and knob */
	const char *fleet_config_file;  /* -slots: the Spot Fleet config, which names types and images */
	double lease_h, idle_h;
	struct launch_userdata ud;      /* what the nodes boot with (secrets) */
	struct launch_spec spec;        /* the plan's product */
	struct launchwait_opts wait;    /* -wait: its knobs */
	char *condor_status;            /* -wait: ANNEX_CONDOR_STATUS */
	struct buf cost_line;           /* the worst case (cost.h), when asked or -max-cost */
};

static char *knob_or(struct launch *l, const char *opt, const char *knob)
{
	if (opt && *opt)
		return xstrdup(opt);
	return session_knob_or_null(&l->s, knob);
}

static int need(struct launch *l, char **v, const char *opt, const char *knob, struct annex_err *err)
{
	*v = knob_or(l, opt, knob);
	if (!*v)
		return annex_err_set(err, "SetupIncomplete",
			"%s is not configured for region %s; run 'annex -setup %s' first (or give the option)",
			knob, l->s.region, l->s.region);
	return 0;
}

static double knob_hours(struct launch *l, const char *knob, double dflt_s)
{
	char *v = session_knob_or_null(&l->s, knob);
	double s = v ? atof(v) : dflt_s;

	free(v);
	return (s > 0 ? s : dflt_s) / 3600.0;
}

/* -count asks for on-demand instances (RunInstances), -slots for a Spot
 * Fleet: the back-end and what only it needs, decided here once. */
static int pick_backend(struct launch *l, struct annex_err *err)
{
	const struct annex_opts *o = l->o;

	if (o->slots > 0) {
		if (!o->spot_fleet_config_file)
			return annex_err_set(err, "Usage", "-slots needs -aws-spot-fleet-config-file FILE");
		l->backend = &launch_spotfleet;
		l->spec.count = o->slots;
		l->spec.market = LAUNCH_SPOT;
		l->function_opt = o->sfr_lease_function_arn;
		l->function_knob = "ANNEX_DEFAULT_SFR_LEASE_FUNCTION_ARN";
		l->fleet_config_file = o->spot_fleet_config_file;
		l->spec.fleet_maintain = o->spot_fleet_maintain;
	} else {
		/* several types, or spot: one instant CreateFleet (launch_ec2fleet.c) */
		l->backend = o->instance_types || o->spot ? &launch_ec2fleet : &launch_ondemand;
		l->spec.types_prioritized = o->instance_types != NULL;
		l->spec.spot_fallback = o->spot_fallback != NULL;
		l->spec.count = o->count;
		l->spec.min_count = o->min_count;
		l->spec.market = o->spot ? LAUNCH_SPOT : LAUNCH_ON_DEMAND;
		l->function_opt = o->odi_lease_function_arn;
		l->function_knob = "ANNEX_DEFAULT_ODI_LEASE_FUNCTION_ARN";
	}
	return 0;
}

/* -instance-types T1,T2,...: each a valid type, none twice, at most 64
 * (the worst case prices each; cost.h). */
static int add_types(struct launch_spec *sp, const char *list, struct annex_err *err)
{
	char *copy = xstrdup(list), *save = NULL;
	int rc = 0;

	for (char *t = strtok_r(copy, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save)) {
		if (launchplan_check_instance_type(t, "-instance-types", err) != 0) {
			rc = -1;
			break;
		}
		for (size_t i = 0; i < sp->n_instance_types; i++)
			if (strcmp(sp->instance_types[i], t) == 0)
				rc = annex_err_set(err, "Usage", "-instance-types names %s twice", t);
		if (rc == 0 && sp->n_instance_types == 64)
			rc = annex_err_set(err, "Usage", "-instance-types names more than 64 types");
		if (rc == 0)
			launch_spec_add_type(sp, t);
	}
	if (rc == 0 && (sp->n_instance_types == 0 || *list == ',' || list[strlen(list) - 1] == ',' || strstr(list, ",,")))
		rc = annex_err_set(err, "Usage", "-instance-types needs a comma-separated list of instance types, not '%s'",
				   list);
	free(copy);
	return rc;
}

/* Every check that needs no AWS call, in the order a user fixes them. */
static int plan_local(struct launch *l, struct annex_err *err)
{
	const struct annex_opts *o = l->o;
	struct launch_spec *sp = &l->spec;
	const char *knob = "ANNEX_COLLECTOR_ADDRESS";
	char *v;
	int rc;

	if (launchplan_check_name(o->annex_name, err) != 0)
		return -1;
	sp->annex_name = xstrdup(o->annex_name);
	if (o->instance_types) {
		if (add_types(sp, o->instance_types, err) != 0)
			return -1;
	} else if (!l->fleet_config_file && !typeselect_given(&o->typesel)) {  /* ranges: select_types */
		v = knob_or(l, o->instance_type, "ANNEX_DEFAULT_ODI_INSTANCE_TYPE");
		launch_spec_add_type(sp, v ? v : PLATFORMS_DEFAULT_TYPE);
		free(v);
		if (launchplan_check_instance_type(sp->instance_types[0], "-aws-on-demand-instance-type", err) != 0)
			return -1;
	}
	l->lease_h = o->duration_h > 0 ? o->duration_h : knob_hours(l, "ANNEX_DEFAULT_LEASE_DURATION", 3000);
	l->idle_h = o->idle_h > 0 ? o->idle_h : knob_hours(l, "ANNEX_DEFAULT_UNCLAIMED_TIMEOUT", 900);

	if (need(l, &sp->lease_function_arn, l->function_opt, l->function_knob, err) ||
	    need(l, &sp->instance_profile_arn, o->instance_profile_arn, "ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN", err) ||
	    need(l, &sp->security_group_ids, o->security_group_ids, "ANNEX_DEFAULT_ODI_SECURITY_GROUP_IDS", err))
		return -1;
	if (l->fleet_config_file && need(l, &sp->fleet_role_arn, NULL, "ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN", err))
		return -1;
	if (o->instance_profile_arn) {
		/* the lease function, -reap and -off end only annex's own nodes
		 * (ownership.h): say so before launching ones they will not end */
		struct ownership own;
		ownership_init(&own, &l->s);
		if (!ownership_profile(&own, sp->instance_profile_arn))
			fprintf(stderr, "annex: warning: %s is not annex's node instance profile "
				"(ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN); neither the lease function nor -reap nor "
				"-off will end these instances (docs/security.md, \"Forged tags\")\n",
				sp->instance_profile_arn);
		ownership_free(&own);
	}
	sp->key_name = knob_or(l, o->key_name, "ANNEX_DEFAULT_ODI_KEY_NAME");

	v = session_knob_or_null(&l->s, knob);
	if (!v) {
		knob = "COLLECTOR_HOST";
		v = session_knob_or_null(&l->s, knob);
	}
	if (launch_userdata_collector(&l->ud, v, knob, err) != 0)
		return -1;
	if (!(v = session_knob_or_null(&l->s, "SEC_PASSWORD_FILE")))
		return annex_err_set(err, "Config", "SEC_PASSWORD_FILE is not set: the nodes need the pool password "
				     "to join (PASSWORD authentication); set it in the HTCondor configuration to the "
				     "pool's password file (examples/pool-annex.config)");
	rc = launch_userdata_read(&l->ud, o, v, err);
	free(v);
	if (rc != 0)
		return -1;
	/* the node's own limits (knobs.c gives their defaults and ranges) */
	if (knobs_get_long(l->s.cfg, "ANNEX_BOOT_FAILURE_GRACE", &l->ud.boot_failure_grace_s, err) < 0 ||
	    knobs_get_long(l->s.cfg, "ANNEX_JOIN_TIMEOUT", &l->ud.join_timeout_s, err) < 0 ||
	    knobs_get_long(l->s.cfg, "ANNEX_SPOT_POLL_INTERVAL", &l->ud.spot_poll_s, err) < 0)
		return -1;
	/* -wait watches the pool: without a condor_status it could not, so
	 * it is refused before anything starts */
	if (o->wait) {
		l->condor_status = session_knob_or_null(&l->s, "ANNEX_CONDOR_STATUS");
		if (launchwait_opts_read(l->s.cfg, l->condor_status, &l->wait, err) != 0)
			return -1;
	}
	if (l->fleet_config_file) {
		const char *type;
		if (fleetconfig_load(l->fleet_config_file, &sp->fleet_config, err) != 0)
			return -1;
		type = fleetconfig_type(sp->fleet_config);
		if (type && strcmp(type, "maintain") == 0 && !sp->fleet_maintain)
			puts("The Spot Fleet config asks for Type maintain; annex requests type request, so a node that "
			     "ends itself is not replaced (give -aws-spot-fleet-maintain for maintain).");
	}

	/* Owners: the invoking user, -owner, or none (-no-owner, or root). */
	if (o->owner) {
		sp->owners = xstrdup(o->owner);
	} else if (!o->no_owner) {
		if (geteuid() == 0) {
			puts("Running as root: the nodes will run any user's jobs (no owner clause); use -owner to limit them.");
		} else {
			struct passwd *pw = getpwuid(geteuid());
			sp->owners = pw ? xstrdup(pw->pw_name) : NULL;
		}
	}
	return 0;
}

/* The architecture the ranges select types for: the image's (the option's
 * or ANNEX_DEFAULT_ODI_IMAGE_ID's), or x86_64, the only one annex has a
 * default image for (imagecheck.h). */
static int image_arch(struct launch *l, char *arch, size_t n, struct annex_err *err)
{
	char *image = knob_or(l, l->o->ami_id, "ANNEX_DEFAULT_ODI_IMAGE_ID");
	int rc;

	snprintf(arch, n, "x86_64");
	if (!image)
		return 0;
	rc = ec2_image_exists(l->s.aws, image, arch, n, err);
	if (rc == 0)
		annex_err_set(err, "InvalidAMIID.NotFound", "image %s does not exist in %s; check the AMI id "
			      "(image ids differ from region to region) and the region (-aws-region)", image, l->s.region);
	else if (rc < 0)
		annex_err_prefix(err, "describing image %s", image);
	free(image);
	return rc == 1 ? 0 : -1;
}

/* -vcpus, -memory-gib, -gpus (typeselect.h): the types that match, of the
 * current generation and the image's architecture, offered for this
 * market, the smallest ANNEX_TYPE_SELECT_MAX of them; said on stderr
 * (also with -dry-run) before anything else is asked. */
static int select_types(struct launch *l, struct annex_err *err)
{
	const struct typeselect *ts = &l->o->typesel;
	const char *usage = l->spec.market == LAUNCH_SPOT ? "spot" : "on-demand";
	struct typeselect_list list;
	struct buf ranges = BUF_INIT, line = BUF_INIT;
	char arch[32];
	long max = 20;
	int rc = -1;

	if (!typeselect_given(ts))
		return 0;
	if (knobs_get_long(l->s.cfg, "ANNEX_TYPE_SELECT_MAX", &max, err) < 0 || image_arch(l, arch, sizeof(arch), err) != 0)
		return -1;
	if (typeselect_resolve(l->s.aws, ts, arch, usage, (size_t)max, &list, err) != 0)
		return annex_err_prefix(err, "listing instance types (DescribeInstanceTypes)");
	typeselect_text(ts, &ranges);
	if (list.n == 0) {
		annex_err_set(err, "NoMatchingType", "no current-generation %s instance type offered %s in %s matches %s",
			      arch, usage, l->s.region, buf_cstr(&ranges));
		goto out;
	}
	if (list.n < list.matched)
		buf_printf(&line, "keeping the %zu smallest (by vCPUs, then memory; ANNEX_TYPE_SELECT_MAX)", list.n);
	else
		buf_printf(&line, "keeping %s", list.n == 1 ? "it" : "all");
	for (size_t i = 0; i < list.n; i++) {
		const struct typeselect_type *t = &list.v[i];
		buf_printf(&line, "%s %s (%ld vCPUs, %.10g GiB", i ? "," : ":", t->name, t->vcpus, t->memory_mib / 1024.0);
		if (t->gpus)
			buf_printf(&line, ", %ld GPU%s", t->gpus, t->gpus == 1 ? "" : "s");
		buf_puts(&line, ")");
		launch_spec_add_type(&l->spec, t->name);
	}
	fprintf(stderr, "annex: %zu instance type%s in %s match%s %s (current generation, %s, %s); %s\n", list.matched,
		list.matched == 1 ? "" : "s", l->s.region, list.matched == 1 ? "es" : "", buf_cstr(&ranges), arch, usage,
		buf_cstr(&line));
	rc = 0;
	/* several types go as one EC2 Fleet (lowest-price: types_prioritized
	 * stays 0); one type on-demand stays a plain RunInstances */
	if (list.n > 1 && l->backend == &launch_ondemand)
		l->backend = &launch_ec2fleet;
out:
	typeselect_list_free(&list);
	buf_free(&ranges);
	buf_free(&line);
	return rc;
}

/* The (type, image) pairs of one list of a Spot Fleet config: its
 * LaunchSpecifications, or a LaunchTemplateConfigs entry's Overrides (whose
 * image, when the override names none, is the launch template's). */
static int check_fleet_list(struct imagecheck *ic, json_object *list, const char *what, struct annex_err *err)
{
	for (size_t i = 0; list && json_object_is_type(list, json_type_array) && i < json_object_array_length(list);
	     i++) {
		json_object *spec = json_object_array_get_idx(list, i), *v;
		const char *type = NULL, *image = NULL;
		if (json_object_object_get_ex(spec, "InstanceType", &v) && json_object_is_type(v, json_type_string))
			type = json_object_get_string(v);
		if (json_object_object_get_ex(spec, "ImageId", &v) && json_object_is_type(v, json_type_string))
			image = json_object_get_string(v);
		if (image && imagecheck_pair(ic, type, image, err) != 0)
			return annex_err_prefix(err, "-aws-spot-fleet-config-file: %s[%zu]", what, i);
	}
	return 0;
}

/* A Spot Fleet config names its own types and images: each pair is checked
 * as an on-demand launch's is. */
static int check_fleet_images(struct imagecheck *ic, json_object *cfg, struct annex_err *err)
{
	json_object *list, *ltcs;

	if (json_object_object_get_ex(cfg, "LaunchSpecifications", &list) &&
	    check_fleet_list(ic, list, "LaunchSpecifications", err) != 0)
		return -1;
	if (json_object_object_get_ex(cfg, "LaunchTemplateConfigs", &ltcs) &&
	    json_object_is_type(ltcs, json_type_array))
		for (size_t i = 0; i < json_object_array_length(ltcs); i++)
			if (json_object_object_get_ex(json_object_array_get_idx(ltcs, i), "Overrides", &list) &&
			    check_fleet_list(ic, list, "LaunchTemplateConfigs[].Overrides", err) != 0)
				return -1;
	return 0;
}

/* Each type a LaunchTemplateConfigs entry's Overrides name, with the image
 * of annex's template. */
static int check_template_types(struct imagecheck *ic, json_object *cfg, const char *image, struct annex_err *err)
{
	json_object *ltcs, *list, *v;

	if (!json_object_object_get_ex(cfg, "LaunchTemplateConfigs", &ltcs) || !json_object_is_type(ltcs, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(ltcs); i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(ltcs, i), "Overrides", &list) ||
		    !json_object_is_type(list, json_type_array))
			continue;
		for (size_t k = 0; k < json_object_array_length(list); k++)
			if (json_object_object_get_ex(json_object_array_get_idx(list, k), "InstanceType", &v) &&
			    json_object_is_type(v, json_type_string) &&
			    imagecheck_pair(ic, json_object_get_string(v), image, err) != 0)
				return annex_err_prefix(err, "-aws-spot-fleet-config-file: LaunchTemplateConfigs[%zu]"
							".Overrides[%zu]", i, k);
	}
	return 0;
}

/* The types and images, each checked against what the nodes can boot
 * (imagecheck.h: offered, image exists, same architecture, a distribution
 * HTCondor publishes packages for) before the user is asked. On-demand:
 * -aws-on-demand-ami-id, else ANNEX_DEFAULT_ODI_IMAGE_ID, else the default
 * image for the instance type's architecture (the current Amazon Linux
 * 2023 for x86_64; none for arm64, where HTCondor has no AL2023 packages).
 * A Spot Fleet config's LaunchSpecifications name their own; one with
 * LaunchTemplateConfigs gets annex's launch template, which needs the
 * on-demand image, checked against each type its overrides name. */
static int pick_image(struct launch *l, struct annex_err *err)
{
	struct launch_spec *sp = &l->spec;
	struct imagecheck ic;
	int rc;

	imagecheck_init(&ic, l->s.aws, l->s.region, stderr);
	if (l->fleet_config_file) {
		rc = check_fleet_images(&ic, sp->fleet_config, err);
		if (rc == 0 && fleetconfig_uses_templates(sp->fleet_config)) {
			const char *type = fleetconfig_first_type(sp->fleet_config);
			sp->image_id = knob_or(l, l->o->ami_id, "ANNEX_DEFAULT_ODI_IMAGE_ID");
			rc = imagecheck_pick_image(&ic, type ? type : PLATFORMS_DEFAULT_TYPE, &sp->image_id, err);
			if (rc == 0)
				rc = check_template_types(&ic, sp->fleet_config, sp->image_id, err);
		}
	} else {
		sp->image_id = knob_or(l, l->o->ami_id, "ANNEX_DEFAULT_ODI_IMAGE_ID");
		rc = imagecheck_pick_image(&ic, sp->instance_types[0], &sp->image_id, err);
		/* an EC2 Fleet's every type boots the template's one image */
		for (size_t i = 1; rc == 0 && i < sp->n_instance_types; i++)
			if (imagecheck_pair(&ic, sp->instance_types[i], sp->image_id, err) != 0)
				rc = annex_err_prefix(err, "-instance-types");
	}
	imagecheck_free(&ic);
	return rc;
}

/* Can the nodes reach the collector? (issue 19; connectivity.h): asked
 * before the prompt and the first mutating call; refused when they could
 * not join, unless -no-connectivity-check or ANNEX_LAUNCH_CONNECTIVITY_CHECK
 * = false. */
static int check_connectivity(struct launch *l, struct annex_err *err)
{
	char *node = session_knob_or_null(&l->s, "ANNEX_COLLECTOR_ADDRESS");
	char *local = session_knob_or_null(&l->s, "COLLECTOR_HOST");
	char *arn = session_knob_or_null(&l->s, "ANNEX_DEFAULT_CONNECTIVITY_FUNCTION_ARN");
	long timeout_s = 5;
	int on = 1, rc;

	if ((rc = knobs_get_bool(l->s.cfg, "ANNEX_LAUNCH_CONNECTIVITY_CHECK", &on, err)) >= 0 &&
	    (rc = knobs_get_long(l->s.cfg, "ANNEX_CONNECTIVITY_TIMEOUT", &timeout_s, err)) >= 0)
		rc = l->o->no_connectivity_check || !on ? 0 :
		     connectivity_preflight(l->s.aws, arn ? iam_arn_name(arn) : NULL, local, node ? node : local,
					    node ? "ANNEX_COLLECTOR_ADDRESS" : "COLLECTOR_HOST", (int)timeout_s, err);
	free(node);
	free(local);
	free(arn);
	return rc < 0 ? -1 : 0;
}

/* The price: -auto's plan already quoted its launch's one type (the
 * options carry it); else the read-only calls (cost.h). */
static void quote(struct launch *l, struct cost_quote *q)
{
	const struct launch_spec *sp = &l->spec;

	if (l->o->quoted_hourly_usd > 0 && l->backend == &launch_ondemand && sp->n_instance_types == 1 &&
	    l->o->instance_type && strcmp(l->o->instance_type, sp->instance_types[0]) == 0)
		cost_quote_given(sp->instance_types[0], l->o->quoted_hourly_usd, sp->count, l->lease_h, q);
	else if (l->fleet_config_file)
		cost_quote_fleet(l->s.aws, sp->fleet_config, sp->count, l->lease_h, q);
	else if (l->backend == &launch_ec2fleet)
		cost_quote_types(l->s.aws, l->s.region, sp->instance_types, sp->n_instance_types,
				 sp->market == LAUNCH_SPOT, sp->spot_fallback, sp->count, l->lease_h, q);
	else
		cost_quote_ondemand(l->s.aws, l->s.region, sp->instance_types[0], sp->count, l->lease_h, q);
}

/* The worst case and the price tag (issue 21; cost.h). Every real launch
 * is priced, -yes ones too (cron, -auto), so that its instances carry
 * what they were quoted and -status and the lease function can reckon the
 * cost so far; -dry-run only for -max-cost. Read-only calls under the
 * usual retry deadlines: a price that cannot be had only means no tag
 * (and, with -yes, nothing said), never a refused launch, unless
 * -max-cost asked for a proof. */
static int check_cost(struct launch *l, struct annex_err *err)
{
	const struct annex_opts *o = l->o;
	struct cost_quote q;
	int rc;

	if (o->max_cost_usd <= 0 && o->dry_run)
		return 0;
	if (o->max_cost_usd > 0) {
		quote(l, &q);
	} else {
		/* nothing needs the price: an unreachable Price List (a firewall,
		 * a partition without one) costs the launch ANNEX_PRICE_TIMEOUT
		 * at most, not the command's whole deadline */
		long price_s = 15;
		int64_t saved;
		if (knobs_get_long(l->s.cfg, "ANNEX_PRICE_TIMEOUT", &price_s, err) < 0)
			return -1;
		saved = aws_ctx_tighten_deadline(l->s.aws, price_s * 1000, "ANNEX_PRICE_TIMEOUT");
		quote(l, &q);
		aws_ctx_loosen_deadline(l->s.aws, saved);
	}
	cost_line(&q, time(NULL), &l->cost_line);
	/* what the instances were quoted, tagged on them (plan_annex) so the
	 * lease function and -status can reckon the cost so far */
	if (q.n_prices) {
		char tag[COST_TAG_MAX + 1];
		cost_price_tag(&q, tag, sizeof(tag));
		free(l->spec.price_tag);
		l->spec.price_tag = xstrdup(tag);
	}
	if (o->max_cost_usd <= 0)
		return 0;
	l->spec.budget_usd = o->max_cost_usd;
	rc = cost_check_max(&q, o->max_cost_usd, err);
	if (o->dry_run || o->yes) {
		char max[48];
		cost_usd(o->max_cost_usd, max, sizeof(max));
		printf("%s.\n", buf_cstr(&l->cost_line));
		if (rc == 0)
			printf("-max-cost %s: the worst case is within it.\n", max);
	}
	return rc;
}

static int confirm(struct launch *l, struct annex_err *err)
{
	const struct annex_opts *o = l->o;
	struct buf q = BUF_INIT, p = BUF_INIT;
	const char *ask;
	int yes, type_hint;

	if (o->yes || o->dry_run)
		return 0;
	if (l->fleet_config_file)
		launchplan_prompt_fleet(&q, l->spec.count, l->lease_h, l->idle_h);
	else if (l->backend == &launch_ec2fleet)
		launchplan_prompt_ec2fleet(&q, l->spec.count, l->spec.market == LAUNCH_SPOT, l->spec.instance_types,
					   l->spec.n_instance_types, l->spec.types_prioritized, l->spec.spot_fallback,
					   l->lease_h, l->idle_h);
	else
		launchplan_prompt_ondemand(&q, l->spec.count, l->spec.instance_types[0], l->lease_h, l->idle_h);
	/* the worst case goes just before the question */
	ask = strstr(buf_cstr(&q), "Is that OK?");
	if (ask && l->cost_line.len) {
		buf_append(&p, buf_cstr(&q), (size_t)(ask - buf_cstr(&q)));
		buf_printf(&p, "%s.\n%s", buf_cstr(&l->cost_line), ask);
	} else {
		buf_puts(&p, buf_cstr(&q));
	}
	yes = session_prompt_yes_no(&l->s, buf_cstr(&p), err);
	buf_free(&p);
	buf_free(&q);
	if (yes < 0)
		return -1;
	if (yes)
		return 0;
	puts("Not starting an annex; user did not confirm.");
	/* ranges or -instance-types chose the types: the hint to name one
	 * would contradict them */
	type_hint = !o->given_instance_type && !o->instance_types && !typeselect_given(&o->typesel);
	if (type_hint || !o->given_duration || !o->given_idle)
		putchar('\n');
	if (type_hint && !l->fleet_config_file)
		puts("To change the instance type, use the -aws-on-demand-instance-type flag.");
	if (!o->given_duration)
		puts("To change the lease duration, use the -duration flag.");
	if (!o->given_idle)
		puts("To change how long an idle instance will wait before terminating itself, use the -idle flag.");
	return annex_err_set(err, "Declined", "%s", "");
}

/* The annex itself, once the user agreed: its id (also the ClientToken),
 * lease end, idle time, tags and user-data. */
static int plan_annex(struct launch *l, struct annex_err *err)
{
	struct launch_spec *sp = &l->spec;
	char uuid[37];

	if (launchplan_uuid(uuid, err) != 0)
		return -1;
	sp->annex_id = launchplan_annex_id(sp->annex_name, uuid);
	sp->client_token = xstrdup(sp->annex_id);
	sp->lease_end = launchplan_lease_end(time(NULL), l->lease_h);
	timefmt_iso8601(sp->lease_end, sp->lease_iso);
	sp->idle_s = (long)(l->idle_h * 3600.0 + 0.5);
	launch_spec_add_annex_tags(sp);
	for (int i = 0; i < l->o->n_tags; i++)
		launch_spec_add_tag(sp, l->o->tags[i].name, l->o->tags[i].value);
	launch_userdata_pick_series(&l->ud);
	return launch_userdata_encode(&l->ud, sp, err);
}

/* -wait: until every instance of this launch joined the pool or ended, or
 * ANNEX_WAIT_TIMEOUT (launchwait.h). */
static int wait_for_pool(struct launch *l, const struct launch_result *res, struct annex_err *err)
{
	struct launchwait w;
	int rc;

	/* the nodes have their user-data: the pool password goes now, not
	 * after a wait of up to half an hour (both free twice safely) */
	launch_userdata_free(&l->ud);
	buf_free(&l->spec.user_data_b64);
	fflush(stdout);
	launchwait_init(&w, l->spec.annex_name, l->spec.annex_id, l->fleet_config_file != NULL, l->spec.count);
	w.fleet_maintain = l->spec.fleet_maintain;
	for (size_t i = 0; i < res->instances.n; i++)
		launchwait_expect(&w, res->instances.v[i]);
	rc = launchwait_run(l->s.aws, &w, &l->wait, err);
	launchwait_free(&w);
	return rc;
}

int cmd_launch(const struct annex_opts *o, struct annex_err *err)
{
	struct launch l;
	struct launch_ctx ctx;
	struct launch_result res = { .started = -1 };
	int rc = -1, lock, launched;

	memset(&l, 0, sizeof(l));
	l.o = o;
	launch_spec_init(&l.spec);
	if (pick_backend(&l, err) != 0 || session_open(&l.s, o, err) != 0 || plan_local(&l, err) != 0 ||
	    session_connect(&l.s, 0, err) != 0 || select_types(&l, err) != 0 || pick_image(&l, err) != 0 ||
	    check_connectivity(&l, err) != 0 || check_cost(&l, err) != 0 || confirm(&l, err) != 0 ||
	    plan_annex(&l, err) != 0)
		goto out;
	memset(&ctx, 0, sizeof(ctx));
	ctx.aws = l.s.aws;
	ctx.region = l.s.region;
	if (o->dry_run) {
		rc = launch_dry_run(&ctx, &l.spec, l.backend, err);
		if (rc == 0 && o->wait)
			printf("-wait: would then wait up to %ld s (ANNEX_WAIT_TIMEOUT) for every instance to join the "
			       "pool, looking every %ld s; not waiting (-dry-run).\n", l.wait.timeout_s, l.wait.interval_s);
		goto out;
	}
	/* an -off of this annex waits until what this launch starts exists, tagged (annexlock.h) */
	if ((lock = annexlock_take(&l.s, l.spec.annex_name, err)) < 0)
		goto out;
	printf("%s.\n", l.ud.series_why);
	puts("Starting annex...");
	fflush(stdout);
	launched = launch_run(&ctx, &l.spec, l.backend, &res, err);
	annexlock_release(lock);
	if (launched != 0)
		goto out;
	if (res.started >= 0 && res.started < l.spec.count)
		printf("Started %ld of the %ld instances requested (-min-count %ld).\n", res.started, l.spec.count,
		       o->min_count);
	printf("Annex started.  Its identity with the cloud provider is '%s'.  It will take about three "
	       "minutes for the new machines to join the pool.\n", l.spec.annex_id);
	rc = o->wait ? wait_for_pool(&l, &res, err) : 0;
out:
	launch_result_free(&res);
	launch_userdata_free(&l.ud);
	launch_spec_free(&l.spec);
	free(l.condor_status);
	buf_free(&l.cost_line);
	session_close(&l.s);
	return rc;
}
