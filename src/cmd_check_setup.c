/* cmd_check_setup.c - annex -check-setup: the knobs -setup records, the
 * pool secret, the credentials, every setup resource, the Spot Fleet role
 * and the collector address, one line each in condor_annex's words
 * (SPEC.md section 5), then the connectivity checks of issue 19 (the
 * collector from AWS, the schedds' addresses: connectivity.h). Exit status
 * 1 when anything is missing or a connectivity check fails; the final
 * advice fits what failed (-setup for a setup piece, the collector knobs
 * and the network for the collector). An empty pool password file is
 * refused; one that its group or others may read draws a warning. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "annex/cmd.h"
#include "annex/condorsetup.h"
#include "annex/connectivity.h"
#include "annex/ec2.h"
#include "annex/iam.h"
#include "annex/knobs.h"
#include "annex/lambda.h"
#include "annex/launchplan.h"
#include "annex/netcheck.h"
#include "annex/permprobe.h"
#include "annex/platforms.h"
#include "annex/s3.h"
#include "annex/session.h"
#include "annex/setup_drift.h"
#include "annex/setupnames.h"
#include "annex/ssm.h"
#include "annex/sts.h"

static const char *const required_knobs[] = {
	"ANNEX_DEFAULT_S3_BUCKET",
	"ANNEX_DEFAULT_ODI_SECURITY_GROUP_IDS",
	"ANNEX_DEFAULT_ODI_LEASE_FUNCTION_ARN",
	"ANNEX_DEFAULT_SFR_LEASE_FUNCTION_ARN",
	"ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN",
	"ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN",
	"COLLECTOR_HOST",
	"SEC_PASSWORD_FILE",
};

/* condor_annex's "Your setup is incomplete:" list. Returns the number unset.
 * On a condor_annex setup the Spot Fleet role (annex's own piece, which
 * condor_annex never made) is reported by its own check line instead. */
static int check_knobs(struct annex_session *s, int condor_setup, int *pool_unset)
{
	int unset = 0;

	*pool_unset = 0;
	for (size_t i = 0; i < sizeof(required_knobs) / sizeof(required_knobs[0]); i++) {
		char *v;
		if (condor_setup && strcmp(required_knobs[i], "ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN") == 0)
			continue;
		v = session_knob_or_null(s, required_knobs[i]);
		if (!v) {
			if (!unset++)
				puts("Your setup is incomplete:");
			printf("\t%s is unset.\n", required_knobs[i]);
			/* the pool's own knobs, which -setup does not write */
			if (strcmp(required_knobs[i], "COLLECTOR_HOST") == 0 ||
			    strcmp(required_knobs[i], "SEC_PASSWORD_FILE") == 0)
				(*pool_unset)++;
		}
		free(v);
	}
	return unset;
}

static int check_password_file(struct annex_session *s, struct annex_err *err)
{
	char *f = session_knob_or_null(s, "SEC_PASSWORD_FILE");
	FILE *fp = f ? fopen(f, "rb") : NULL;
	int rc = 0;

	struct stat st;

	if (!fp) {
		printf("Unable to open SEC_PASSWORD_FILE '%s': %s.  Either create this file (run "
		       "'condor_store_cred -c add -f %s') or correct the value of SEC_PASSWORD_FILE (which you "
		       "can locate by running 'condor_config_val -v SEC_PASSWORD_FILE').\n",
		       f ? f : "", strerror(errno), f ? f : "");
		rc = annex_err_set(err, "SetupIncomplete", "cannot read SEC_PASSWORD_FILE '%s'; create it with "
				   "'condor_store_cred -c add -f %s' or correct SEC_PASSWORD_FILE", f ? f : "", f ? f : "");
	} else if (fstat(fileno(fp), &st) == 0 && st.st_size == 0) {
		printf("SEC_PASSWORD_FILE '%s' is empty: the nodes could not authenticate to the pool.  Store the "
		       "pool password in it (run 'condor_store_cred -c add -f %s').\n", f, f);
		rc = annex_err_set(err, "SetupIncomplete", "SEC_PASSWORD_FILE '%s' is empty; store the pool password "
				   "in it: condor_store_cred -c add -f %s", f, f);
	} else if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
		printf("WARNING: SEC_PASSWORD_FILE '%s' may be read by %s (mode %04o): anyone who reads the pool "
		       "password can join the pool.  Run 'chmod 600 %s'.\n", f,
		       (st.st_mode & S_IROTH) ? "every user" : "its group", (unsigned)(st.st_mode & 07777), f);
	}
	if (fp)
		fclose(fp);
	free(f);
	return rc;
}

struct checker {
	struct annex_session *s;
	int failures;
	int collector_failures;     /* of failures, the collector address's */
	int warnings;
	int condor_pieces;          /* CONDORSETUP_* bits taken from condor_annex's block */
	const char *missing[4];     /* annex's own pieces a condor_annex setup lacks */
	int n_missing;
	int drifted;                /* of failures, pieces that differ from this version's */
	int denied;                 /* of failures, the permission line's refusals (0 or 1) */
	int probe_failed;           /* of failures, the permission line's other failures (0 or 1) */
	struct sts_identity id;     /* the account and partition */
	char *node_profile;         /* ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN (the lease role's condition, setup_drift.h) */
};

static void begin(const char *what)
{
	printf("Checking %s... ", what);
	fflush(stdout);
}

static void ok(void)
{
	puts("OK.");
}

static void fail(struct checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct checker *c, const char *fmt, ...)
{
	va_list ap;

	fputs("FAILED: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	c->failures++;
}

/* A result of a lookup: 1 found, 0 missing, -1 error (printed with AWS's words). */
static void report(struct checker *c, int found, const struct annex_err *err, const char *missing)
{
	if (found == 1)
		ok();
	else if (found == 0)
		fail(c, "%s; run 'annex -setup' to create it", missing);
	else
		fail(c, "%s", err->msg);
}

/* Drift (setup_drift.h): each difference from what this version makes,
 * one line under the check's FAILED line. */
struct drift_lines {
	struct buf b;
	struct drift d;
};

static void drift_line(void *ud, const char *line)
{
	struct drift_lines *l = ud;

	buf_printf(&l->b, "  %s\n", line);
}

static void drift_begin(struct checker *c, struct drift_lines *l)
{
	memset(l, 0, sizeof(*l));
	l->d = (struct drift){
		.mode = DRIFT_CHECK, .ctx = c->s->aws, .partition = c->id.partition, .region = c->s->region,
		.account = c->id.account, .node_profile = c->node_profile, .differs = drift_line, .ud = l,
	};
}

/* Ends the check when the comparison failed (1) or found differences (1,
 * printed); 0 when the piece is as this version makes it. */
static int drift_end(struct checker *c, struct drift_lines *l, int rc, const struct annex_err *err)
{
	int ended = 1;

	if (rc < 0)
		fail(c, "%s", err->msg);
	else if (l->d.found) {
		fail(c, "%d difference%s from what this version of annex makes:", l->d.found,
		     l->d.found == 1 ? "" : "s");
		fputs(buf_cstr(&l->b), stdout);
		c->drifted++;
	} else
		ended = 0;
	buf_free(&l->b);
	return ended;
}

/* A role of annex's: present, and as this version makes it. 1 when the
 * check ended (failed), 0 when it passed. */
static int check_role(struct checker *c, const struct setup_role_want *w)
{
	struct annex_err err;
	struct drift_lines l;
	char *arn = NULL, *trust = NULL;
	int rc;

	annex_err_clear(&err);
	rc = iam_get_role_trust(c->s->aws, w->name, &arn, &trust, &err);
	if (rc != 1) {
		char *what = xasprintf("role %s not found", w->name);
		report(c, rc, &err, what);
		free(what);
		return 1;
	}
	drift_begin(c, &l);
	rc = drift_end(c, &l, drift_role(&l.d, w, trust, &err), &err);
	free(arn);
	free(trust);
	return rc;
}

/* annex's connectivity function and its role as this version makes them,
 * when the configuration names annex's own function and it exists (a
 * missing one is the connectivity line's to report: docs/network.md). */
static int drift_connectivity(struct checker *c, struct drift_lines *l, struct annex_err *err)
{
	char *knob = session_knob_or_null(c->s, "ANNEX_DEFAULT_CONNECTIVITY_FUNCTION_ARN");
	char *role_arn = NULL, *trust = NULL;
	json_object *config = NULL;
	int rc = 0;

	if (!knob || strcmp(iam_arn_name(knob), SETUP_CONN_FUNCTION) != 0 ||
	    (rc = lambda_get_function_config(c->s->aws, SETUP_CONN_FUNCTION, &config, err)) != 1)
		goto out;
	rc = iam_get_role_trust(c->s->aws, setup_conn_role.name, &role_arn, &trust, err);
	if (rc == 0) {
		l->d.found++;
		buf_printf(&l->b, "  role %s is missing\n", setup_conn_role.name);
	} else if (rc == 1) {
		rc = drift_role(&l->d, &setup_conn_role, trust, err);
	}
	if (rc >= 0) {
		const struct setup_function_want w = {
			.name = SETUP_CONN_FUNCTION, .handler = SETUP_CONN_HANDLER, .timeout_s = SETUP_CONN_TIMEOUT,
			.role_arn = role_arn,
		};
		rc = drift_function(&l->d, &w, config, err);
	}
out:
	json_object_put(config);
	free(role_arn);
	free(trust);
	free(knob);
	return rc;
}

/* annex's lease function and its role as this version makes them, and the
 * lease rules of existing annexes invoking it (arn); then the connectivity
 * function. 1 when the check ended (failed). */
static int check_function_drift(struct checker *c, const char *name, const char *arn)
{
	struct annex_err err;
	struct drift_lines l;
	json_object *config = NULL;
	char *role_arn = NULL, *trust = NULL, *statement = NULL;
	int rc;

	annex_err_clear(&err);
	drift_begin(c, &l);
	rc = iam_get_role_trust(c->s->aws, setup_lease_role.name, &role_arn, &trust, &err);
	if (rc == 0) {
		l.d.found++;
		buf_printf(&l.b, "  role %s is missing\n", setup_lease_role.name);
	} else if (rc == 1) {
		rc = drift_role(&l.d, &setup_lease_role, trust, &err);
	}
	if (rc >= 0 && (rc = lambda_get_function_config(c->s->aws, name, &config, &err)) == 1) {
		struct setup_function_env env[SETUP_FUNCTION_ENV_N];
		struct setup_function_want w = {
			.name = name, .handler = SETUP_FUNCTION_HANDLER, .timeout_s = SETUP_FUNCTION_TIMEOUT,
			.role_arn = role_arn, .env = env, .n_env = SETUP_FUNCTION_ENV_N,
		};
		setup_function_env(c->id.partition, c->id.account, c->node_profile, env);
		rc = drift_function(&l.d, &w, config, &err);
		setup_function_env_free(env);
	}
	if (rc >= 0 && (rc = lambda_get_permission(c->s->aws, name, SETUP_LEASE_PERMISSION, &statement, &err)) == 1) {
		char *source_arn = xasprintf("arn:%s:events:%s:%s:rule/*", c->id.partition, c->s->region,
					     c->id.account);
		rc = drift_permission(&l.d, name, arn, SETUP_LEASE_PERMISSION, statement, source_arn, &err);
		free(source_arn);
	}
	if (rc >= 0)
		rc = drift_lease_rules(&l.d, arn, &err);
	if (rc >= 0)
		rc = drift_connectivity(c, &l, &err);
	json_object_put(config);
	free(role_arn);
	free(trust);
	free(statement);
	return drift_end(c, &l, rc, &err);
}

static void check_bucket(struct checker *c)
{
	struct annex_err err;
	char *bucket = session_knob_or_null(c->s, "ANNEX_DEFAULT_S3_BUCKET");
	char *what = xasprintf("bucket %s not found", bucket);

	annex_err_clear(&err);
	begin("for configuration bucket");
	report(c, s3_bucket_exists(c->s->aws, bucket, &err), &err, what);
	free(what);
	free(bucket);
}

static void check_functions(struct checker *c)
{
	struct annex_err err;
	char *odi = session_knob_or_null(c->s, "ANNEX_DEFAULT_ODI_LEASE_FUNCTION_ARN");
	char *sfr = session_knob_or_null(c->s, "ANNEX_DEFAULT_SFR_LEASE_FUNCTION_ARN");
	const char *names[2] = { iam_arn_name(odi), iam_arn_name(sfr) };
	char *arn = NULL;

	annex_err_clear(&err);
	begin("for Lambda functions");
	for (int i = 0; i < 2; i++) {
		int found;
		if (i == 1 && strcmp(names[0], names[1]) == 0)
			break;
		found = lambda_get_function(c->s->aws, names[i], &arn, &err);
		free(arn);
		arn = NULL;
		if (found != 1) {
			char *what = xasprintf("function %s not found", names[i]);
			report(c, found, &err, what);
			free(what);
			goto out;
		}
		if (c->condor_pieces & CONDORSETUP_FUNCTIONS)
			continue;
		found = lambda_has_permission(c->s->aws, names[i], SETUP_LEASE_PERMISSION, &err);
		if (found != 1) {
			char *what = xasprintf("function %s may not be invoked by CloudWatch Events (no %s "
					       "permission), so leases would never end in the cloud", names[i],
					       SETUP_LEASE_PERMISSION);
			report(c, found, &err, what);
			free(what);
			goto out;
		}
	}
	if (c->condor_pieces & CONDORSETUP_FUNCTIONS) {
		fail(c, "%s %s condor_annex's, not annex's lease function (annex's lease rules need annex's "
		     "function and its CloudWatch Events permission)", names[0],
		     strcmp(names[0], names[1]) == 0 ? "is" : "and its Spot Fleet twin are");
		c->missing[c->n_missing++] = "the lease function";
		goto out;
	}
	if (check_function_drift(c, names[0], odi))
		goto out;
	ok();
out:
	free(odi);
	free(sfr);
}

static void check_profile(struct checker *c)
{
	struct annex_err err;
	char *arn_knob = session_knob_or_null(c->s, "ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN");
	const char *name = iam_arn_name(arn_knob);
	char *arn = NULL;
	int has_role = 0, found;

	annex_err_clear(&err);
	begin("for instance profile");
	found = iam_get_instance_profile(c->s->aws, name, SETUP_NODE_ROLE, &arn, &has_role, &err);
	if (found == 1 && arn && strcmp(arn, arn_knob) != 0)
		fail(c, "instance profile %s has ARN %s, not the configured %s; run 'annex -setup'", name, arn, arn_knob);
	else if (found == 1 && !(c->condor_pieces & CONDORSETUP_PROFILE) && strcmp(name, SETUP_INSTANCE_PROFILE) == 0) {
		/* annex's own: its role, as this version makes it */
		struct drift_lines l;
		annex_err_clear(&err);
		drift_begin(c, &l);
		if (!drift_end(c, &l, has_role ? 0 : drift_profile(&l.d, name, SETUP_NODE_ROLE, &err), &err) &&
		    !check_role(c, &setup_node_role))
			ok();
	} else {
		char *what = xasprintf("instance profile %s not found", name);
		report(c, found, &err, what);
		free(what);
	}
	free(arn);
	free(arn_knob);
}

static void check_groups(struct checker *c)
{
	struct annex_err err;
	char *ids = session_knob_or_null(c->s, "ANNEX_DEFAULT_ODI_SECURITY_GROUP_IDS");
	char *save = NULL;

	annex_err_clear(&err);
	begin("for security group");
	for (char *id = strtok_r(ids, ", ", &save); id; id = strtok_r(NULL, ", ", &save)) {
		struct ec2_group_rules rules;
		struct drift_lines l;
		char *name = NULL;
		int found = ec2_group_rules(c->s->aws, id, &name, &rules, &err), ended = 0;
		if (found != 1) {
			char *what = xasprintf("security group %s not found", id);
			report(c, found, &err, what);
			free(what);
			ended = 1;
		} else if (name && strcmp(name, SETUP_SECURITY_GROUP) == 0) {
			/* annex's own group: its rules as this version makes them */
			drift_begin(c, &l);
			ended = drift_end(c, &l, drift_group(&l.d, id, &rules, NULL, &err), &err);
		}
		ec2_group_rules_free(&rules);
		free(name);
		if (ended) {
			free(ids);
			return;
		}
	}
	ok();
	free(ids);
}

/* The key pair ANNEX_DEFAULT_ODI_KEY_NAME names, when one is configured
 * (condor_annex's setup makes one; annex's does not). */
static void check_key_pair(struct checker *c)
{
	struct annex_err err;
	char *name = session_knob_or_null(c->s, "ANNEX_DEFAULT_ODI_KEY_NAME");
	char *what;

	if (!name)
		return;
	annex_err_clear(&err);
	begin("for key pair");
	what = xasprintf("key pair %s (ANNEX_DEFAULT_ODI_KEY_NAME) not found; create it or unset the knob", name);
	report(c, ec2_key_pair_exists(c->s->aws, name, &err), &err, what);
	free(what);
	free(name);
}

static void check_fleet_role(struct checker *c)
{
	struct annex_err err;
	char *arn_knob = session_knob_or_null(c->s, "ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN");
	char *arn = NULL, *what;
	int rc;

	annex_err_clear(&err);
	begin("for Spot Fleet role");
	if (!arn_knob) {
		fail(c, "ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN is unset (annex's own Spot Fleet role; condor_annex's "
		     "setup has none)");
		c->missing[c->n_missing++] = "the Spot Fleet role";
		return;
	}
	what = xasprintf("role %s not found", iam_arn_name(arn_knob));
	rc = iam_get_role(c->s->aws, iam_arn_name(arn_knob), &arn, &err);
	if (rc == 1) {
		free(what);
		what = xstrdup("EC2 Spot's service-linked role (AWSServiceRoleForEC2Spot) not found; run annex -setup");
		rc = iam_service_linked_role_exists(c->s->aws, "spot.amazonaws.com", &err);
	}
	if (rc == 1 && strcmp(iam_arn_name(arn_knob), SETUP_FLEET_ROLE) == 0) {
		/* annex's own fleet role: as this version makes it */
		if (!check_role(c, &setup_fleet_role))
			ok();
	} else
		report(c, rc, &err, what);
	free(what);
	free(arn);
	free(arn_knob);
}

/* The EC2 calls of a launch, -off and the undo, sent with DryRun=true
 * (permprobe.h). Only once every piece they name checked out: a missing
 * profile or group would fail them for another reason than permission. */
static void check_permissions(struct checker *c)
{
	struct permprobe_spec spec = { 0 };
	struct permprobe_result res;
	struct annex_err err;
	char *image = NULL, *type, *profile, *groups, *key, *role, *probes;

	if (c->failures)
		return;
	annex_err_clear(&err);
	probes = session_knob_or_null(c->s, "ANNEX_CHECK_PERMISSIONS");
	if (probes && strcmp(probes, "none") == 0) {
		free(probes);
		return;
	}
	type = session_knob_or_null(c->s, "ANNEX_DEFAULT_ODI_INSTANCE_TYPE");
	profile = session_knob_or_null(c->s, "ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN");
	groups = session_knob_or_null(c->s, "ANNEX_DEFAULT_ODI_SECURITY_GROUP_IDS");
	key = session_knob_or_null(c->s, "ANNEX_DEFAULT_ODI_KEY_NAME");
	role = session_knob_or_null(c->s, "ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN");
	begin("permissions for launching");
	if (!(image = session_knob_or_null(c->s, "ANNEX_DEFAULT_ODI_IMAGE_ID"))) {
		/* the image a launch would pick: the current Amazon Linux 2023 */
		struct buf msg = BUF_INIT;
		const char *param = platforms_default_image_parameter("x86_64", type ? type : PLATFORMS_DEFAULT_TYPE,
								      &msg);
		if (param && ssm_get_parameter(c->s->aws, param, &image, &err) != 0)
			image = NULL;
		buf_free(&msg);
	}
	spec = (struct permprobe_spec){
		.image_id = image, .instance_type = type ? type : PLATFORMS_DEFAULT_TYPE,
		.instance_profile_arn = profile, .security_group_ids = groups, .key_name = key,
		.fleet_role_arn = role, .probes = probes,
	};
	if (!image) {
		fail(c, "no image to probe with (%s); set ANNEX_DEFAULT_ODI_IMAGE_ID",
		     *err.msg ? err.msg : "no default image");
		c->probe_failed++;
	} else if (permprobe_run(c->s->aws, &spec, &res, &err) != 0) {
		fail(c, "%s", err.msg);
		c->probe_failed++;
	} else {
		if (res.missing || res.failing) {
			fail(c, "%s%s%s%s%s", res.missing ? "missing " : "", buf_cstr(&res.denied),
			     res.missing && res.failing ? "; " : "", res.failing ? "could not probe " : "",
			     buf_cstr(&res.failed));
			c->denied += res.missing > 0;
			c->probe_failed += res.failing > 0;
		} else
			ok();
		if (res.unproven.len) {
			printf("WARNING: not proved by a dry run: %s.\n", buf_cstr(&res.unproven));
			c->warnings++;
		}
		permprobe_result_free(&res);
	}
	free(image);
	free(type);
	free(profile);
	free(groups);
	free(key);
	free(role);
	free(probes);
}

/* The address nodes will use: refused when loopback, link-local or
 * unqualified; a name that does not resolve or a port that does not answer
 * from here is only a warning (the pool's side of a NAT sees the world
 * differently). */
static void check_collector(struct checker *c)
{
	char *addr = session_knob_or_null(c->s, "ANNEX_COLLECTOR_ADDRESS");
	const char *knob = "ANNEX_COLLECTOR_ADDRESS";
	char host[256], why[256];
	int port, before = c->failures;

	if (!addr) {
		addr = session_knob_or_null(c->s, "COLLECTOR_HOST");
		knob = "COLLECTOR_HOST";
	}
	begin("collector address");
	switch (launchplan_classify_collector(addr, host, sizeof(host), &port)) {
	case COLLECTOR_REFUSE_EMPTY:
		fail(c, "neither ANNEX_COLLECTOR_ADDRESS nor COLLECTOR_HOST is set");
		goto out;
	case COLLECTOR_REFUSE_LOOPBACK:
		fail(c, "%s = %s is a loopback address, which cloud nodes cannot reach; set "
		     "ANNEX_COLLECTOR_ADDRESS to the address they should use", knob, addr);
		goto out;
	case COLLECTOR_REFUSE_LINK_LOCAL:
		fail(c, "%s = %s is a link-local address, which cloud nodes cannot reach; set "
		     "ANNEX_COLLECTOR_ADDRESS", knob, addr);
		goto out;
	case COLLECTOR_REFUSE_UNQUALIFIED:
		fail(c, "%s = %s is not a fully qualified name; cloud nodes cannot resolve it; set "
		     "ANNEX_COLLECTOR_ADDRESS to a public name or address", knob, addr);
		goto out;
	case COLLECTOR_WARN_PRIVATE:
	case COLLECTOR_OK:
		break;
	}
	if (netcheck_resolve(host, why, sizeof(why)) != 0 ||
	    netcheck_tcp(host, port, 2000, why, sizeof(why)) != 0) {
		printf("WARNING: %s:%d does not answer from here (%s). If the pool is behind NAT, forward "
		       "port %d to the central manager and set ANNEX_COLLECTOR_ADDRESS to the public address.\n",
		       host, port, why, port);
		c->warnings++;
	} else if (launchplan_classify_collector(addr, NULL, 0, NULL) == COLLECTOR_WARN_PRIVATE) {
		printf("WARNING: %s is a private address; cloud nodes reach it only through a VPN or "
		       "Direct Connect. Otherwise set ANNEX_COLLECTOR_ADDRESS to the public address.\n", host);
		c->warnings++;
	} else {
		ok();
	}
out:
	c->collector_failures += c->failures - before;
	free(addr);
}

/* The connectivity checks (issue 19; connectivity.h, docs/network.md):
 * the collector from AWS against its instance id from here, then each
 * schedd's advertised address. Not reachable and another daemon are
 * network failures; no function is a setup failure; a Lambda error, a
 * throttled call or an odd reply is a warning. */
static void check_connectivity(struct checker *c)
{
	char *node = session_knob_or_null(c->s, "ANNEX_COLLECTOR_ADDRESS");
	char *local = session_knob_or_null(c->s, "COLLECTOR_HOST");
	char *arn = session_knob_or_null(c->s, "ANNEX_DEFAULT_CONNECTIVITY_FUNCTION_ARN");
	char *named = session_knob_or_null(c->s, "ANNEX_CONDOR_STATUS");
	const char *knob = node ? "ANNEX_COLLECTOR_ADDRESS" : "COLLECTOR_HOST";
	const char *addr = node ? node : local;
	struct connectivity_result r;
	struct annex_err err;
	long timeout_s = 5;
	char host[256];
	int port, net = 0, setup = 0;
	enum collector_verdict v = launchplan_classify_collector(addr, host, sizeof(host), &port);

	annex_err_clear(&err);
	knobs_get_long(c->s->cfg, "ANNEX_CONNECTIVITY_TIMEOUT", &timeout_s, &err);
	/* a loopback, link-local or unqualified address failed its own line */
	if (v == COLLECTOR_OK || v == COLLECTOR_WARN_PRIVATE) {
		printf("Checking the collector from AWS (%s:%d)... ", host, port);
		fflush(stdout);
		connectivity_check_collector(c->s->aws, arn ? iam_arn_name(arn) : NULL, local, addr, knob,
					     (int)timeout_s, &r);
		puts(r.line);
		if (connectivity_refuses(r.outcome))
			net++;
		else if (r.outcome == CONN_NO_FUNCTION)
			setup++;
		/* condor_annex's setup never made annex's connectivity function */
		if (r.outcome == CONN_NO_FUNCTION && c->condor_pieces && c->n_missing < 4)
			c->missing[c->n_missing++] = "the connectivity function";
		else if (r.outcome == CONN_WARNING)
			c->warnings++;
		connectivity_result_free(&r);
	}
	if (addr)
		connectivity_check_schedds(c->s->aws, arn ? iam_arn_name(arn) : NULL, named, addr, (int)timeout_s, &net,
					   &setup, &c->warnings);
	c->failures += net + setup;
	c->collector_failures += net;
	free(node);
	free(local);
	free(arn);
	free(named);
}

int cmd_check_setup(const struct annex_opts *o, struct annex_err *err)
{
	struct annex_session s;
	struct checker c;
	struct condorsetup cs;
	int rc = -1, unset, pool_unset = 0;

	memset(&c, 0, sizeof(c));
	memset(&cs, 0, sizeof(cs));
	if (session_open(&s, o, err) != 0)
		goto out;
	c.s = &s;
	c.node_profile = session_knob_or_null(&s, "ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN");
	if (condorsetup_find(s.cfg, s.local_name, &cs, err) < 0)
		goto out;
	if ((c.condor_pieces = condorsetup_pieces(&cs, s.cfg)) != 0) {
		char *what = condorsetup_describe(c.condor_pieces);
		printf("This setup comes from condor_annex's -setup (its HTCondorAnnex-* CloudFormation stacks, "
		       "recorded in %s): its %s.\n", cs.file, what);
		free(what);
	}
	if ((unset = check_knobs(&s, cs.file != NULL, &pool_unset)) > 0) {
		annex_err_set(err, "SetupIncomplete", "setup incomplete; %s%s%s",
			      unset > pool_unset ? "run 'annex -setup'" : "",
			      unset > pool_unset && pool_unset ? "; " : "",
			      pool_unset ? "set COLLECTOR_HOST and SEC_PASSWORD_FILE in the pool's HTCondor "
			      "configuration (-setup does not write them)" : "");
		goto out;
	}
	if (check_password_file(&s, err) != 0)
		goto out;
	/* the region line first: session_connect would print it inside the
	 * first "Checking ..." line */
	session_say_region(&s);
	begin("security configuration");
	if (session_connect(&s, 0, err) != 0 || sts_get_caller_identity(s.aws, &c.id, err) != 0) {
		puts("FAILED.");
		goto out;
	}
	ok();
	check_bucket(&c);
	check_functions(&c);
	check_profile(&c);
	check_groups(&c);
	check_key_pair(&c);
	check_fleet_role(&c);
	check_permissions(&c);
	check_collector(&c);
	check_connectivity(&c);
	if (c.n_missing) {
		char *reused = condorsetup_describe(c.condor_pieces & (CONDORSETUP_BUCKET | CONDORSETUP_PROFILE |
								       CONDORSETUP_GROUP));
		printf("annex's own pieces are missing: ");
		for (int i = 0; i < c.n_missing; i++)
			printf("%s%s", i == 0 ? "" : i == c.n_missing - 1 ? " and " : ", ", c.missing[i]);
		printf(". 'annex -setup' adds them%s%s.\n", *reused ? " and reuses condor_annex's " : "", reused);
		free(reused);
	}
	if (c.denied || c.probe_failed) {
		/* the probes run only when no piece failed: the rest is the collector's */
		annex_err_set(err, c.denied ? "PermissionDenied" : "PermissionProbe", "%d check%s failed; %s%s",
			      c.failures, c.failures == 1 ? "" : "s",
			      c.denied ? "grant the user running annex the missing permissions (docs/iam.md lists "
			      "them)" : "a permission probe failed: its line says why (docs/iam.md)",
			      c.collector_failures ? "; check ANNEX_COLLECTOR_ADDRESS (else COLLECTOR_HOST): the cloud "
			      "nodes must reach the collector at that address over the network" : "");
		goto out;
	}
	if (c.failures) {
		int setup = c.failures - c.collector_failures;
		annex_err_set(err, setup ? (c.drifted ? "SetupDrift" : "SetupIncomplete") : "CollectorAddress",
			      "%d check%s failed; %s%s%s%s%s",
			      c.failures, c.failures == 1 ? "" : "s",
			      setup > c.drifted ? "'annex -setup' creates what is missing" : "",
			      setup > c.drifted && c.drifted ? "; " : "",
			      c.drifted ? "run annex -setup to bring it in line" : "",
			      setup && c.collector_failures ? "; " : "",
			      c.collector_failures ? "check ANNEX_COLLECTOR_ADDRESS (else COLLECTOR_HOST): the cloud nodes "
			      "must reach the collector at that address over the network" : "");
		goto out;
	}
	puts("Your setup looks OK.");
	rc = 0;
out:
	free(c.node_profile);
	condorsetup_free(&cs);
	session_close(&s);
	return rc;
}
