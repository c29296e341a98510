/* cmd_launch.c - annex -count N / -slots N: validate everything, ask,
 * register the lease, launch, and never leave a paid instance behind
 * (SPEC.md sections 1, 6, 7 and 8). */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "annex/bootscript.h"
#include "annex/cmd.h"
#include "annex/configdir.h"
#include "annex/ec2.h"
#include "annex/events.h"
#include "annex/fleetconfig.h"
#include "annex/iamwait.h"
#include "annex/launchplan.h"
#include "annex/prompt.h"
#include "annex/runcmd.h"
#include "annex/session.h"
#include "annex/ssm.h"

struct launch {
	struct annex_session s;
	const struct annex_opts *o;
	int fleet;                    /* -slots: a Spot Fleet */
	long count;
	char *instance_type, *image_id, *profile_arn, *group_ids, *key_name, *function_arn, *fleet_role_arn;
	char *collector, *password_file, *owners;
	unsigned char *password;      /* secret */
	size_t password_len;
	unsigned char *user_script;
	size_t user_script_len;
	struct bootscript_file *config_files;   /* -config-dir */
	size_t n_config_files;
	double lease_h, idle_h;
	char uuid[37];
	char *annex_id;
	time_t lease_end;
	char lease_iso[21];
	struct buf user_data_b64;     /* secret: holds the pool password */
	char series[16];              /* HTCondor series the nodes install if absent */
	char series_why[256];
	json_object *fleet_cfg;
	char *rule_arn;
};

/* Reads a whole file (binary-safe) into a cleansable allocation. */
static int read_file(const char *path, const char *what, unsigned char **data, size_t *len,
		     struct annex_err *err)
{
	struct buf b;

	buf_init_secret(&b);
	if (buf_read_file(&b, path, 0) != 0) {
		buf_free(&b);
		return annex_err_set(err, "Usage", "%s '%s': %s", what, path, strerror(errno));
	}
	*len = b.len;
	*data = (unsigned char *)buf_steal(&b);
	return 0;
}

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
			"%s is not configured; run 'annex -setup' first (or give the option)", knob);
	return 0;
}

static double knob_hours(struct launch *l, const char *knob, double dflt_s)
{
	char *v = session_knob_or_null(&l->s, knob);
	double s = v ? atof(v) : dflt_s;

	free(v);
	return (s > 0 ? s : dflt_s) / 3600.0;
}

/* Every check that needs no AWS call, in the order a user fixes them. */
static int validate_local(struct launch *l, struct annex_err *err)
{
	const struct annex_opts *o = l->o;
	char host[256];
	enum collector_verdict v;
	const char *knob = "ANNEX_COLLECTOR_ADDRESS";

	if (launchplan_check_name(o->annex_name, err) != 0)
		return -1;
	if (!l->fleet) {
		l->instance_type = knob_or(l, o->instance_type, "ANNEX_DEFAULT_ODI_INSTANCE_TYPE");
		if (!l->instance_type)
			l->instance_type = xstrdup("m4.large");
		if (launchplan_check_instance_type(l->instance_type, "-aws-on-demand-instance-type", err) != 0)
			return -1;
	}
	l->lease_h = o->duration_h > 0 ? o->duration_h : knob_hours(l, "ANNEX_DEFAULT_LEASE_DURATION", 3000);
	l->idle_h = o->idle_h > 0 ? o->idle_h : knob_hours(l, "ANNEX_DEFAULT_UNCLAIMED_TIMEOUT", 900);

	if (need(l, &l->function_arn, l->fleet ? o->sfr_lease_function_arn : o->odi_lease_function_arn,
		 l->fleet ? "ANNEX_DEFAULT_SFR_LEASE_FUNCTION_ARN" : "ANNEX_DEFAULT_ODI_LEASE_FUNCTION_ARN", err) ||
	    need(l, &l->profile_arn, o->instance_profile_arn, "ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN", err) ||
	    need(l, &l->group_ids, o->security_group_ids, "ANNEX_DEFAULT_ODI_SECURITY_GROUP_IDS", err))
		return -1;
	if (l->fleet && need(l, &l->fleet_role_arn, NULL, "ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN", err))
		return -1;
	l->key_name = knob_or(l, o->key_name, "ANNEX_DEFAULT_ODI_KEY_NAME");

	l->collector = session_knob_or_null(&l->s, "ANNEX_COLLECTOR_ADDRESS");
	if (!l->collector) {
		knob = "COLLECTOR_HOST";
		l->collector = session_knob_or_null(&l->s, "COLLECTOR_HOST");
	}
	v = launchplan_classify_collector(l->collector, host, sizeof(host), NULL);
	switch (v) {
	case COLLECTOR_REFUSE_EMPTY:
		return annex_err_set(err, "Config", "neither ANNEX_COLLECTOR_ADDRESS nor COLLECTOR_HOST is set: "
				     "the nodes would not know which pool to join");
	case COLLECTOR_REFUSE_LOOPBACK:
	case COLLECTOR_REFUSE_LINK_LOCAL:
		return annex_err_set(err, "Config", "%s = %s is a %s address, which cloud nodes cannot reach; set "
				     "ANNEX_COLLECTOR_ADDRESS to the address they should use", knob, l->collector,
				     v == COLLECTOR_REFUSE_LOOPBACK ? "loopback" : "link-local");
	case COLLECTOR_REFUSE_UNQUALIFIED:
		return annex_err_set(err, "Config", "%s = %s is not a fully qualified name, which cloud nodes "
				     "cannot resolve; set ANNEX_COLLECTOR_ADDRESS", knob, l->collector);
	case COLLECTOR_WARN_PRIVATE:
		fprintf(stderr, "annex: warning: %s = %s is a private address; the nodes reach it only through a "
			"VPN or Direct Connect\n", knob, l->collector);
		break;
	case COLLECTOR_OK:
		break;
	}

	if (need(l, &l->password_file, NULL, "SEC_PASSWORD_FILE", err) != 0)
		return annex_err_set(err, "Config", "SEC_PASSWORD_FILE is not set: the nodes need the pool password "
				     "to join (PASSWORD authentication)");
	if (read_file(l->password_file, "SEC_PASSWORD_FILE", &l->password, &l->password_len, err) != 0)
		return -1;
	if (l->password_len == 0)
		return annex_err_set(err, "Config", "SEC_PASSWORD_FILE '%s' is empty", l->password_file);

	/* The user's own script, run after annex's: -aws-user-data[-file], else
	 * condor_annex's -aws-default-user-data[-file] ("used when the user gives
	 * none"; cli allows only one of the four). */
	if (o->user_data_file || o->default_user_data_file) {
		const char *f = o->user_data_file ? o->user_data_file : o->default_user_data_file;
		if (read_file(f, o->user_data_file ? "-aws-user-data-file" : "-aws-default-user-data-file",
			      &l->user_script, &l->user_script_len, err) != 0)
			return -1;
	} else if (o->user_data || o->default_user_data) {
		const char *ud = o->user_data ? o->user_data : o->default_user_data;
		l->user_script = (unsigned char *)xstrdup(ud);
		l->user_script_len = strlen(ud);
	}
	if (o->s3_config_path)
		printf("Note: annex carries -config-dir inside the user-data, not through S3; ignoring "
		       "-aws-s3-config-path %s.\n", o->s3_config_path);
	if (o->config_dir && configdir_load(o->config_dir, &l->config_files, &l->n_config_files, err) != 0)
		return -1;
	if (l->fleet && fleetconfig_load(o->spot_fleet_config_file, &l->fleet_cfg, err) != 0)
		return -1;

	/* Owners: the invoking user, -owner, or none (-no-owner, or root). */
	if (o->owner) {
		l->owners = xstrdup(o->owner);
	} else if (!o->no_owner) {
		if (geteuid() == 0) {
			puts("Running as root: the nodes will run any user's jobs (no owner clause); use -owner to limit them.");
		} else {
			struct passwd *pw = getpwuid(geteuid());
			l->owners = pw ? xstrdup(pw->pw_name) : NULL;
		}
	}
	return 0;
}

/* The HTCondor series nodes install when their image has none: the
 * pool's own (from the local condor_version) while HTCondor's repository
 * carries it, else the current LTS. */
static void pick_series(struct launch *l)
{
	char *argv[] = { "condor_version", NULL };
	struct buf out = BUF_INIT;
	struct annex_err e;
	int status = 1;

	if (runcmd_exists("condor_version"))
		runcmd_capture(argv, RUNCMD_STDERR_DISCARD, &out, &status, &e);
	bootscript_pick_series(status == 0 ? buf_cstr(&out) : NULL, l->series, sizeof(l->series),
			       l->series_why, sizeof(l->series_why));
	buf_free(&out);
}

static int build_user_data(struct launch *l, struct annex_err *err)
{
	struct bootscript_values v;
	struct buf ud;
	int gz = 0, rc;

	memset(&v, 0, sizeof(v));
	v.collector_addr = l->collector;
	v.annex_name = l->o->annex_name;
	v.annex_id = l->annex_id;
	v.lease_end = (long long)l->lease_end;
	v.lease_end_iso = l->lease_iso;
	v.idle_s = (long)(l->idle_h * 3600.0 + 0.5);
	v.owners = l->owners;
	v.no_may_use_aws = l->o->no_may_use_aws;
	v.boot_failure_grace_s = (long)(knob_hours(l, "ANNEX_BOOT_FAILURE_GRACE", BOOTSCRIPT_DEFAULT_FAILURE_GRACE) * 3600.0 + 0.5);
	v.join_timeout_s = (long)(knob_hours(l, "ANNEX_JOIN_TIMEOUT", BOOTSCRIPT_DEFAULT_JOIN_TIMEOUT) * 3600.0 + 0.5);
	v.password = l->password;
	v.password_len = l->password_len;
	v.series = l->series;
	v.user_script = l->user_script;
	v.user_script_len = l->user_script_len;
	v.config_files = l->config_files;
	v.n_config_files = l->n_config_files;
	buf_init_secret(&ud);
	rc = bootscript_user_data(&v, &ud, &gz, err);
	if (rc != 0 && l->o->config_dir && strcmp(err->code, "BootScript") == 0 && strstr(err->msg, "AWS allows")) {
		char why[sizeof(err->msg)];
		snprintf(why, sizeof(why), "%s", err->msg);
		return annex_err_set(err, "UserDataTooLarge",
			"-config-dir %s: its %zu file%s make the user-data too large for AWS's 16 KB limit (%s); "
			"keep only what the nodes need there", l->o->config_dir, l->n_config_files,
			l->n_config_files == 1 ? "" : "s", why);
	}
	if (rc == 0 && ud.len > ANNEX_USER_DATA_MAX)
		rc = annex_err_set(err, "UserDataTooLarge",
			"the user-data (annex's boot script%s) is %zu bytes, over AWS's limit of %d",
			l->user_script ? " and your own script" : "", ud.len, ANNEX_USER_DATA_MAX);
	if (rc == 0) {
		buf_init_secret(&l->user_data_b64);
		buf_grow(&l->user_data_b64, 4 * ((ud.len + 2) / 3) + 1);
		l->user_data_b64.len = (size_t)EVP_EncodeBlock((unsigned char *)l->user_data_b64.data,
							       (const unsigned char *)ud.data, (int)ud.len);
	}
	buf_free(&ud);
	return rc;
}

static void add_tags(struct launch *l, struct params *p, const char *prefix, int n, const char *type)
{
	const struct annex_opts *o = l->o;
	char name[128];
	int t = 1;

	aws_params_addn(p, type, "%s.%d.ResourceType", prefix, n);
#define TAG(k, v) do { aws_params_addn(p, (k), "%s.%d.Tag.%d.Key", prefix, n, t); \
	aws_params_addn(p, (v), "%s.%d.Tag.%d.Value", prefix, n, t); t++; } while (0)
	TAG("htcondor:AnnexName", o->annex_name);
	TAG("htcondor:AnnexId", l->annex_id);
	TAG("htcondor:LeaseExpiration", l->lease_iso);
	snprintf(name, sizeof(name), "%ld", (long)(l->idle_h * 3600.0 + 0.5));
	TAG("htcondor:IdleTimeout", name);
	if (l->owners && !o->no_owner)
		TAG("htcondor:Owner", l->owners);
	snprintf(name, sizeof(name), "annex %s", o->annex_name);
	TAG("Name", name);
	for (int i = 0; i < o->n_tags; i++)
		TAG(o->tags[i].name, o->tags[i].value);
#undef TAG
}

static void run_params(struct launch *l, struct params *p, int dry_run)
{
	char *ids = xstrdup(l->group_ids), *save = NULL;
	int g = 1;
	char n[32];

	params_add(p, "ImageId", l->image_id);
	params_add(p, "InstanceType", l->instance_type);
	snprintf(n, sizeof(n), "%ld", l->o->min_count > 0 ? l->o->min_count : l->count);
	params_add(p, "MinCount", n);
	snprintf(n, sizeof(n), "%ld", l->count);
	params_add(p, "MaxCount", n);
	params_add(p, "ClientToken", l->annex_id);
	params_add(p, "IamInstanceProfile.Arn", l->profile_arn);
	for (char *id = strtok_r(ids, ", ", &save); id; id = strtok_r(NULL, ", ", &save))
		aws_params_addn(p, id, "SecurityGroupId.%d", g++);
	free(ids);
	if (l->key_name && *l->key_name)
		params_add(p, "KeyName", l->key_name);
	params_add(p, "InstanceInitiatedShutdownBehavior", "terminate");
	params_add(p, "MetadataOptions.HttpTokens", "required");
	params_add(p, "MetadataOptions.HttpPutResponseHopLimit", "1");
	params_add(p, "MetadataOptions.HttpEndpoint", "enabled");
	params_add(p, "MetadataOptions.InstanceMetadataTags", "enabled");
	params_add(p, "UserData", buf_cstr(&l->user_data_b64));
	add_tags(l, p, "TagSpecification", 1, "instance");
	add_tags(l, p, "TagSpecification", 2, "volume");
	if (dry_run)
		params_add(p, "DryRun", "true");
}

static int register_lease(struct launch *l, struct annex_err *err)
{
	const struct events_tag tags[] = {
		{ "htcondor:AnnexName", l->o->annex_name },
		{ "htcondor:AnnexId", l->annex_id },
	};
	json_object *in = json_object_new_object();
	char *desc = xasprintf("annex %s: lease ends %s", l->o->annex_name, l->lease_iso);
	int rc;

	rc = events_put_rule(l->s.aws, l->annex_id, "rate(5 minutes)", desc, tags, 2, &l->rule_arn, err);
	free(desc);
	json_object_object_add(in, "AnnexName", json_object_new_string(l->o->annex_name));
	json_object_object_add(in, "AnnexId", json_object_new_string(l->annex_id));
	json_object_object_add(in, "LeaseExpiration", json_object_new_string(l->lease_iso));
	if (rc == 0)
		rc = events_put_target(l->s.aws, l->annex_id, l->annex_id, l->function_arn,
				       json_object_to_json_string_ext(in, JSON_C_TO_STRING_PLAIN), err);
	json_object_put(in);
	return rc;
}

/* Launch with our own retry: a RunInstances whose reply was lost may have
 * started instances, so before sending it again annex looks for instances
 * tagged with this annex id, and adopts them if there are any. The resend
 * carries the same ClientToken, so AWS itself also refuses a double launch.
 * An instance profile that IAM has not yet propagated to EC2 ("Invalid IAM
 * Instance Profile") started nothing: that call alone is sent again after a
 * growing delay, bounded by ANNEX_IAM_WAIT_S (iamwait.h). */
static int run_instances(struct launch *l, struct ec2_ids *ids, struct annex_err *err)
{
	struct aws_ctx *ctx = l->s.aws;
	struct params p = PARAMS_INIT;
	struct iamwait w;
	int saved = ctx->max_attempts, attempt = 0, iam_retry = 0, rc = -1;

	run_params(l, &p, 0);
	ctx->max_attempts = 1;
	iamwait_init(&w);
	while (attempt < saved) {
		if (attempt > 0 && !iam_retry) {
			struct annex_err e2;
			annex_err_clear(&e2);
			if (ec2_instances_by_tag(ctx, "htcondor:AnnexId", l->annex_id, ids, &e2) == 0 && ids->n > 0) {
				rc = 0;
				break;
			}
			ctx->sleep_ms(aws_backoff_delay_ms(attempt - 1, ctx->retry_base_ms, ctx->retry_cap_ms,
							   ctx->random()));
		}
		annex_err_clear(err);
		ctx->fresh_connection = 1;
		rc = ec2_run_instances(ctx, &p, ids, err);
		ctx->fresh_connection = 0;
		if (rc == 0)
			break;
		if (iamwait_is_propagation(err)) {
			if (w.waits == 0 && w.limit_ms > 0) {
				printf("Waiting for IAM to make the instance profile usable by EC2 (at most %ld s)...\n",
				       w.limit_ms / 1000);
				fflush(stdout);
			}
			if (!(iam_retry = iamwait_again(&w, err, ctx->sleep_ms, "the instance profile")))
				break;
			continue;
		}
		iam_retry = 0;
		if (!err->retryable)
			break;
		attempt++;
	}
	ctx->max_attempts = saved;
	params_free(&p);
	return rc;
}

static int dry_run(struct launch *l, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	struct ec2_ids ids = { 0 };
	int rc;

	if (l->fleet) {
		params_add(&p, "DryRun", "true");
		rc = fleetconfig_to_params(l->fleet_cfg, &p, err);
		if (rc == 0) {
			char *fid = NULL;
			rc = ec2_request_spot_fleet(l->s.aws, &p, &fid, err);
			free(fid);
		}
	} else {
		run_params(l, &p, 1);
		rc = ec2_run_instances(l->s.aws, &p, &ids, err);
	}
	params_free(&p);
	ec2_ids_free(&ids);
	if (rc != 0 && strcmp(err->code, "DryRunOperation") == 0) {
		annex_err_clear(err);
		printf("Dry run: %s would have succeeded; nothing was created.\n",
		       l->fleet ? "RequestSpotFleet" : "RunInstances");
		return 0;
	}
	if (rc == 0) {
		puts("Dry run: the request was accepted; nothing was created.");
		return 0;
	}
	return -1;
}

/* Something after the launch failed or the launch fell short: end what was
 * started; if that fails too, say exactly what runs and how to end it. */
static int undo_instances(struct launch *l, const struct ec2_ids *ids)
{
	struct annex_err e;

	if (ids->n == 0)
		return 0;
	annex_err_clear(&e);
	if (ec2_terminate_instances(l->s.aws, ids, &e) == 0) {
		fprintf(stderr, "annex: terminated the %zu instance%s this launch started.\n", ids->n,
			ids->n == 1 ? "" : "s");
		return 0;
	}
	fprintf(stderr, "annex: could not terminate the instances this launch started (%s). They are still "
		"running; end them with:\n  aws ec2 terminate-instances --region %s --instance-ids", e.msg,
		l->s.region);
	for (size_t i = 0; i < ids->n; i++)
		fprintf(stderr, " %s", ids->v[i]);
	fputc('\n', stderr);
	return -1;
}

static void undo_lease(struct launch *l);

/* After a failed launch: end whatever it may have started (instances by
 * this annex id, or a Spot Fleet request with it), and remove the lease
 * rule only when nothing of this launch can still be running; otherwise the
 * rule stays, so the cloud-side lease ends what is left at the lease end. */
static void undo_launch(struct launch *l, struct ec2_ids *ids)
{
	struct annex_err e;
	struct ec2_ids fleets = { 0 };
	int clean;

	annex_err_clear(&e);
	if (l->fleet)
		clean = ec2_spot_fleets_by_tag(l->s.aws, "htcondor:AnnexId", l->annex_id, &fleets, &e) == 0 &&
			ec2_cancel_spot_fleets(l->s.aws, &fleets, &e) == 0;
	else
		clean = ec2_instances_by_tag(l->s.aws, "htcondor:AnnexId", l->annex_id, ids, &e) == 0 &&
			undo_instances(l, ids) == 0;
	ec2_ids_free(&fleets);
	if (clean) {
		undo_lease(l);
		return;
	}
	if (e.msg[0])
		fprintf(stderr, "annex: could not tell whether this launch started anything (%s).\n", e.msg);
	fprintf(stderr, "annex: the lease rule %s stays, so the lease function ends what this launch left "
		"running at %s at the latest.\n", l->annex_id, l->lease_iso);
}

static void undo_lease(struct launch *l)
{
	struct annex_err e;

	if (!l->rule_arn)
		return;
	annex_err_clear(&e);
	if (events_delete_rule(l->s.aws, l->annex_id, &e) != 0)
		fprintf(stderr, "annex: could not delete the lease rule %s (%s); delete it with: aws events "
			"remove-targets --rule %s --ids %s && aws events delete-rule --name %s\n",
			l->annex_id, e.msg, l->annex_id, l->annex_id, l->annex_id);
}

static int launch_fleet(struct launch *l, struct annex_err *err)
{
	const struct fleet_tag tags[] = {
		{ "htcondor:AnnexName", l->o->annex_name },
		{ "htcondor:AnnexId", l->annex_id },
		{ "htcondor:LeaseExpiration", l->lease_iso },
	};
	struct fleet_settings fs;
	struct params p = PARAMS_INIT;
	char *fleet_id = NULL;
	int rc;

	memset(&fs, 0, sizeof(fs));
	fs.target_capacity = l->count;
	fs.fleet_role_arn = l->fleet_role_arn;
	fs.valid_until = l->lease_iso;
	fs.client_token = l->annex_id;
	fs.user_data_b64 = buf_cstr(&l->user_data_b64);
	fs.instance_profile_arn = l->profile_arn;
	fs.security_group_ids = l->group_ids;
	fs.key_name = l->key_name;
	fs.tags = tags;
	fs.n_tags = 3;
	rc = fleetconfig_apply(l->fleet_cfg, &fs, err);
	if (rc == 0)
		rc = fleetconfig_to_params(l->fleet_cfg, &p, err);
	if (rc == 0)
		rc = ec2_request_spot_fleet(l->s.aws, &p, &fleet_id, err);
	params_free(&p);
	if (rc == 0)
		printf("Spot Fleet request %s submitted.\n", fleet_id);
	free(fleet_id);
	return rc;
}

static void launch_free(struct launch *l)
{
	free(l->instance_type);
	free(l->image_id);
	free(l->profile_arn);
	free(l->group_ids);
	free(l->key_name);
	free(l->function_arn);
	free(l->fleet_role_arn);
	free(l->collector);
	free(l->password_file);
	free(l->owners);
	if (l->password) {
		OPENSSL_cleanse(l->password, l->password_len);
		free(l->password);
	}
	if (l->user_script) {
		OPENSSL_cleanse(l->user_script, l->user_script_len);
		free(l->user_script);
	}
	configdir_free(l->config_files, l->n_config_files);
	free(l->annex_id);
	free(l->rule_arn);
	buf_free(&l->user_data_b64);
	json_object_put(l->fleet_cfg);
	session_close(&l->s);
}

static int confirm(struct launch *l, struct annex_err *err)
{
	const struct annex_opts *o = l->o;
	struct buf q = BUF_INIT;
	int yes;

	if (o->yes || o->dry_run)
		return 0;
	if (l->fleet)
		launchplan_prompt_fleet(&q, l->count, l->lease_h, l->idle_h);
	else
		launchplan_prompt_ondemand(&q, l->count, l->instance_type, l->lease_h, l->idle_h);
	yes = prompt_yes_no(buf_cstr(&q), err);
	buf_free(&q);
	if (yes < 0)
		return -1;
	if (yes)
		return 0;
	puts("Not starting an annex; user did not confirm.");
	if (!o->given_instance_type || !o->given_duration || !o->given_idle)
		putchar('\n');
	if (!o->given_instance_type && !l->fleet)
		puts("To change the instance type, use the -aws-on-demand-instance-type flag.");
	if (!o->given_duration)
		puts("To change the lease duration, use the -duration flag.");
	if (!o->given_idle)
		puts("To change how long an idle instance will wait before terminating itself, use the -idle flag.");
	return annex_err_set(err, "Declined", "%s", "");
}

/* The image: -aws-on-demand-ami-id, else ANNEX_DEFAULT_ODI_IMAGE_ID, else
 * the current Amazon Linux 2023 image for the instance type's architecture
 * (a public SSM parameter). It must exist (DescribeImages). */
static int pick_image(struct launch *l, struct annex_err *err)
{
	char arch[16];
	int rc;

	if (l->fleet)
		return 0;
	l->image_id = knob_or(l, l->o->ami_id, "ANNEX_DEFAULT_ODI_IMAGE_ID");
	if (!l->image_id) {
		const char *want = launchplan_arch_of_type(l->instance_type);
		char *param = xasprintf("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-%s", want);
		rc = ssm_get_parameter(l->s.aws, param, &l->image_id, err);
		if (rc == 0)
			printf("Using the current Amazon Linux 2023 image for %s, %s (set ANNEX_DEFAULT_ODI_IMAGE_ID "
			       "or -aws-on-demand-ami-id to choose another).\n", want, l->image_id);
		free(param);
		if (rc != 0)
			return annex_err_prefix(err, "looking up the Amazon Linux 2023 image (give "
						"-aws-on-demand-ami-id or set ANNEX_DEFAULT_ODI_IMAGE_ID)");
	}
	rc = ec2_image_exists(l->s.aws, l->image_id, arch, sizeof(arch), err);
	if (rc == 0)
		return annex_err_set(err, "InvalidAMIID.NotFound", "image %s does not exist in %s",
				     l->image_id, l->s.region);
	return rc < 0 ? -1 : 0;
}

int cmd_launch(const struct annex_opts *o, struct annex_err *err)
{
	struct launch l;
	struct ec2_ids ids = { 0 };
	int rc = -1;

	memset(&l, 0, sizeof(l));
	l.o = o;
	l.fleet = o->slots > 0;
	l.count = l.fleet ? o->slots : o->count;
	if (l.fleet && !o->spot_fleet_config_file)
		return annex_err_set(err, "Usage", "-slots needs -aws-spot-fleet-config-file FILE");
	if (session_open(&l.s, o, err) != 0 || validate_local(&l, err) != 0 ||
	    session_connect(&l.s, 0, err) != 0 || pick_image(&l, err) != 0 || confirm(&l, err) != 0)
		goto out;
	if (launchplan_uuid(l.uuid, err) != 0)
		goto out;
	l.annex_id = launchplan_annex_id(o->annex_name, l.uuid);
	l.lease_end = launchplan_lease_end(time(NULL), l.lease_h);
	launchplan_iso8601(l.lease_end, l.lease_iso);
	pick_series(&l);
	if (build_user_data(&l, err) != 0)
		goto out;
	if (o->dry_run) {
		rc = dry_run(&l, err);
		goto out;
	}
	printf("%s.\n", l.series_why);
	puts("Starting annex...");
	fflush(stdout);
	if (register_lease(&l, err) != 0) {
		annex_err_prefix(err, "registering the lease (nothing was launched)");
		undo_lease(&l);
		goto out;
	}
	rc = l.fleet ? launch_fleet(&l, err) : run_instances(&l, &ids, err);
	if (rc != 0) {
		undo_launch(&l, &ids);
		goto out;
	}
	if (!l.fleet && (long)ids.n < l.count)
		printf("Started %zu of the %ld instances requested (-min-count %ld).\n", ids.n, l.count, o->min_count);
	printf("Annex started.  Its identity with the cloud provider is '%s'.  It will take about three "
	       "minutes for the new machines to join the pool.\n", l.annex_id);
	rc = 0;
out:
	ec2_ids_free(&ids);
	launch_free(&l);
	return rc;
}
