/* Unit tests for cli.c: the two-step option matcher (SPEC.md section 1)
 * and what cli_parse makes of a command line.
 *
 * The tables below are the oracle: condor_annex 8.8.5's options with the
 * minimum spellings SPEC.md lists, and for each the spelling one character
 * shorter with the outcome worked out by hand from the two rules. The
 * probe() function maps an option to the field it must fill, written here
 * independently of cli.c's own mapping. */
#include "annex/cli.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

/* How a condor option's value is given and what the probe must then read. */
enum kind { K_STR, K_FLAG, K_COUNT, K_HOURS, K_TAG, K_CMD };

struct condor_row {
	const char *full;      /* full name, no dash */
	const char *min;       /* condor_annex's minimum spelling, no dash */
	const char *shorter;   /* min minus its last character */
	const char *shorter_match;   /* option it must then match, or NULL */
	const char *shorter_error;   /* else the exact error message */
	enum kind kind;
};

static const struct condor_row condor_rows[] = {
	{ "aws-region", "aws-region", "aws-regio", "aws-region", NULL, K_STR },
	{ "aws-ec2-url", "aws-ec2-url", "aws-ec2-ur", "aws-ec2-url", NULL, K_STR },
	{ "aws-events-url", "aws-events-url", "aws-events-ur", "aws-events-url", NULL, K_STR },
	{ "aws-lambda-url", "aws-lambda-url", "aws-lambda-ur", "aws-lambda-url", NULL, K_STR },
	{ "aws-s3-url", "aws-s3-url", "aws-s3-ur", "aws-s3-url", NULL, K_STR },
	/* one shorter is aws-user-data's own full name: step 1 matches it */
	{ "aws-user-data-file", "aws-user-data-", "aws-user-data", "aws-user-data", NULL, K_STR },
	{ "aws-user-data", "aws-user-data", "aws-user-dat", NULL,
	  "ambiguous option '-aws-user-dat': could be -aws-user-data-file, -aws-user-data", K_STR },
	{ "aws-default-user-data-file", "aws-default-user-data-", "aws-default-user-data",
	  "aws-default-user-data", NULL, K_STR },
	{ "aws-default-user-data", "aws-default-user-data", "aws-default-user-dat", NULL,
	  "ambiguous option '-aws-default-user-dat': could be -aws-default-user-data-file, -aws-default-user-data", K_STR },
	{ "annex-name", "annex", "anne", "annex-name", NULL, K_STR },
	{ "config-dir", "config-dir", "config-di", "config-dir", NULL, K_STR },
	{ "owner", "owner", "owne", "owner", NULL, K_STR },
	{ "no-owner", "no-owne", "no-own", "no-owner", NULL, K_FLAG },
	{ "aws-spot-fleet-config-file", "aws-spot-fleet-config-", "aws-spot-fleet-config",
	  "aws-spot-fleet-config-file", NULL, K_STR },
	{ "aws-public-key-file", "aws-public-key-file", "aws-public-key-fil", "aws-public-key-file", NULL, K_STR },
	{ "aws-access-key-file", "aws-access-key-file", "aws-access-key-fil", "aws-access-key-file", NULL, K_STR },
	{ "aws-secret-key-file", "aws-secret-key-file", "aws-secret-key-fil", "aws-secret-key-file", NULL, K_STR },
	{ "aws-private-key-file", "aws-private-key-file", "aws-private-key-fil", "aws-private-key-file", NULL, K_STR },
	{ "aws-spot-fleet-lease-function-arn", "aws-spot-fleet-lease-f", "aws-spot-fleet-lease-",
	  "aws-spot-fleet-lease-function-arn", NULL, K_STR },
	{ "aws-on-demand-lease-function-arn", "aws-on-demand-lease-f", "aws-on-demand-lease-",
	  "aws-on-demand-lease-function-arn", NULL, K_STR },
	/* one shorter still matches a later condor option: the profile ARN */
	{ "aws-on-demand-instance-type", "aws-on-demand-instance-t", "aws-on-demand-instance-",
	  "aws-on-demand-instance-profile-arn", NULL, K_STR },
	{ "aws-on-demand-key-name", "aws-on-demand-key", "aws-on-demand-ke", "aws-on-demand-key-name", NULL, K_STR },
	{ "aws-on-demand-security-group-ids", "aws-on-demand-security-group-id", "aws-on-demand-security-group-i",
	  "aws-on-demand-security-group-ids", NULL, K_STR },
	{ "aws-on-demand-ami-id", "aws-on-demand-ami-id", "aws-on-demand-ami-i", "aws-on-demand-ami-id", NULL, K_STR },
	{ "aws-on-demand-instance-profile-arn", "aws-on-demand-instance", "aws-on-demand-instanc", NULL,
	  "ambiguous option '-aws-on-demand-instanc': could be -aws-on-demand-instance-type, "
	  "-aws-on-demand-instance-profile-arn", K_STR },
	{ "aws-s3-config-path", "aws-s3-config-path", "aws-s3-config-pat", "aws-s3-config-path", NULL, K_STR },
	{ "tag", "tag", "ta", "tag", NULL, K_TAG },
	{ "duration", "duration", "duratio", "duration", NULL, K_HOURS },
	{ "idle", "idle", "idl", "idle", NULL, K_HOURS },
	{ "slots", "slots", "slot", "slots", NULL, K_COUNT },
	{ "count", "count", "coun", "count", NULL, K_COUNT },
	{ "aws-spot-fleet", "aws-spot-fleet", "aws-spot-flee", NULL,
	  "ambiguous option '-aws-spot-flee': could be -aws-spot-fleet-config-file, "
	  "-aws-spot-fleet-lease-function-arn, -aws-spot-fleet, -aws-spot-fleet-maintain", K_FLAG },
	{ "aws-on-demand", "aws-on-demand", "aws-on-deman", NULL,
	  "ambiguous option '-aws-on-deman': could be -aws-on-demand-lease-function-arn, "
	  "-aws-on-demand-instance-type, -aws-on-demand-key-name, -aws-on-demand-security-group-ids, "
	  "-aws-on-demand-ami-id, -aws-on-demand-instance-profile-arn, -aws-on-demand", K_FLAG },
	/* one shorter than -h is a lone dash: not an option */
	{ "help", "h", "", NULL, "unknown option '-'", K_CMD },
	{ "check-setup", "check-setup", "check-setu", "check-setup", NULL, K_CMD },
	{ "setup", "setup", "setu", "setup", NULL, K_CMD },
	{ "status", "status", "statu", "status", NULL, K_CMD },
	{ "classads", "classad", "classa", "classads", NULL, K_FLAG },
	{ "yes", "yes", "ye", "yes", NULL, K_FLAG },
};

#define N_CONDOR (sizeof condor_rows / sizeof condor_rows[0])

/* annex's own options: full name and a unique prefix of it. */
static const struct { const char *full, *prefix; } annex_rows[] = {
	/* instance-type is a prefix of instance-types: only its whole name names it */
	{ "instance-type", "instance-type" }, { "aws-iam-url", "aws-i" }, { "aws-sts-url", "aws-st" },
	{ "debug", "deb" }, { "dry-run", "dr" }, { "wait", "w" }, { "json", "j" },
	{ "off", "of" }, { "reap", "rea" }, { "config-val", "config-v" }, { "version", "ve" },
	{ "min-count", "mi" }, { "vcpus", "vc" }, { "memory-gib", "me" }, { "gpus", "gp" }, { "ssh-cidr", "ss" }, { "remove", "rem" },
	{ "force", "fo" },
	{ "no-may-use-aws", "no-m" },
	{ "no-connectivity-check", "no-c" }, { "auto", "au" }, { "max-instances", "max-i" },
	{ "instance-types", "instance-types" }, { "spot", "spot" }, { "spot-fallback", "spot-f" },
};

#define N_ANNEX (sizeof annex_rows / sizeof annex_rows[0])

static char probe_buf_[256];

/* What the option named full did to o, as a string; NULL if nothing. */
static const char *probe(const struct annex_opts *o, const char *full)
{
	static const char *const cmd_names[] = {
		"NONE", "HELP", "VERSION", "SETUP", "CHECK_SETUP", "LAUNCH", "STATUS",
		"OFF", "CONDOR_OFF", "REAP", "CONFIG_VAL", "LEASE",
	};
#define S(n, f) if (strcmp(full, n) == 0) return o->f
#define F(n, f) if (strcmp(full, n) == 0) return o->f ? "1" : NULL
	S("aws-region", region); S("aws-ec2-url", ec2_url); S("aws-events-url", events_url);
	S("aws-lambda-url", lambda_url); S("aws-s3-url", s3_url); S("aws-iam-url", iam_url);
	S("aws-sts-url", sts_url); S("aws-user-data-file", user_data_file);
	S("aws-user-data", user_data); S("aws-default-user-data-file", default_user_data_file);
	S("aws-default-user-data", default_user_data); S("annex-name", annex_name);
	S("config-dir", config_dir); S("owner", owner);
	S("aws-spot-fleet-config-file", spot_fleet_config_file);
	S("aws-public-key-file", access_key_file); S("aws-access-key-file", access_key_file);
	S("aws-secret-key-file", secret_key_file); S("aws-private-key-file", secret_key_file);
	S("aws-spot-fleet-lease-function-arn", sfr_lease_function_arn);
	S("aws-on-demand-lease-function-arn", odi_lease_function_arn);
	S("aws-on-demand-instance-type", instance_type); S("instance-type", instance_type);
	S("aws-on-demand-key-name", key_name); S("aws-on-demand-security-group-ids", security_group_ids);
	S("aws-on-demand-ami-id", ami_id); S("aws-on-demand-instance-profile-arn", instance_profile_arn);
	S("aws-s3-config-path", s3_config_path); S("ssh-cidr", ssh_cidr);
	F("no-owner", no_owner); F("aws-spot-fleet", aws_spot_fleet); F("aws-on-demand", aws_on_demand);
	F("classads", classad); F("yes", yes); F("debug", debug); F("dry-run", dry_run);
	F("wait", wait); F("json", json);
#undef S
#undef F
	if (strcmp(full, "count") == 0 || strcmp(full, "slots") == 0 || strcmp(full, "min-count") == 0) {
		long v = full[0] == 'c' ? o->count : full[0] == 's' ? o->slots : o->min_count;
		snprintf(probe_buf_, sizeof probe_buf_, "%ld", v);
		return probe_buf_;
	}
	if (strcmp(full, "duration") == 0 || strcmp(full, "idle") == 0) {
		snprintf(probe_buf_, sizeof probe_buf_, "%.3f", full[0] == 'd' ? o->duration_h : o->idle_h);
		return probe_buf_;
	}
	if (strcmp(full, "tag") == 0) {
		if (o->n_tags != 1)
			return NULL;
		snprintf(probe_buf_, sizeof probe_buf_, "%s=%s", o->tags[0].name, o->tags[0].value);
		return probe_buf_;
	}
	return cmd_names[o->command];
}

/* The value probe() must report after "-<spelling> <values>" for a row. */
static const char *expected_probe(const struct condor_row *r)
{
	switch (r->kind) {
	case K_STR: return "V1";
	case K_FLAG: return "1";
	case K_COUNT: return "3";
	case K_HOURS: return "2.500";
	case K_TAG: return "N=V";
	case K_CMD: break;
	}
	if (strcmp(r->full, "help") == 0) return "HELP";
	if (strcmp(r->full, "check-setup") == 0) return "CHECK_SETUP";
	if (strcmp(r->full, "setup") == 0) return "SETUP";
	return "STATUS";
}

/* Parses "annex -<spelling> <values for the kind> [-status]". */
static int parse_row(const struct condor_row *r, const char *spelling, struct annex_opts *o,
		     struct annex_err *e)
{
	char opt[128];
	char *argv[8];
	int argc = 0;

	snprintf(opt, sizeof opt, "-%s", spelling);
	argv[argc++] = "annex";
	argv[argc++] = opt;
	switch (r->kind) {
	case K_STR: argv[argc++] = "V1"; break;
	case K_COUNT: argv[argc++] = "3"; break;
	case K_HOURS: argv[argc++] = "2.5"; break;
	case K_TAG: argv[argc++] = "N"; argv[argc++] = "V"; break;
	default: break;
	}
	if (r->kind != K_CMD)
		argv[argc++] = "-status";   /* a command, so the line is complete */
	argv[argc] = NULL;
	annex_err_clear(e);
	return cli_parse(argc, argv, o, e);
}

/* Every condor_annex option at its minimum spelling and at its full name
 * sets what it must; cli_match names it. */
static void t_condor_min_and_full(void)
{
	for (size_t i = 0; i < N_CONDOR; i++) {
		const struct condor_row *r = &condor_rows[i];
		const char *spellings[2] = { r->min, r->full };
		for (int s = 0; s < 2; s++) {
			struct annex_opts o;
			struct annex_err e;
			char opt[128];
			const char *name = NULL;

			snprintf(opt, sizeof opt, "-%s", spellings[s]);
			annex_err_clear(&e);
			CHECK_INT(cli_match(opt, &name, &e), 0);
			CHECK_STR(name, r->full);
			CHECK_INT(parse_row(r, spellings[s], &o, &e), 0);
			if (e.msg[0])
				CHECK_STR(e.msg, "");
			CHECK_STR(probe(&o, r->full), expected_probe(r));
			cli_opts_free(&o);
		}
	}
}

/* One character shorter than the minimum: step 1 may still match another
 * condor option, else step 2's unique prefix, else the ambiguity error. */
static void t_condor_one_shorter(void)
{
	for (size_t i = 0; i < N_CONDOR; i++) {
		const struct condor_row *r = &condor_rows[i];
		struct annex_err e;
		char opt[128];
		const char *name = NULL;
		int rc;

		snprintf(opt, sizeof opt, "-%s", r->shorter);
		annex_err_clear(&e);
		rc = cli_match(opt, &name, &e);
		if (r->shorter_match) {
			CHECK_INT(rc, 0);
			CHECK_STR(name, r->shorter_match);
		} else {
			CHECK_INT(rc, -1);
			CHECK_STR(e.code, "Usage");
			CHECK_STR(e.msg, r->shorter_error);
		}
	}
}

/* The shorter spelling really goes through cli_parse to the other option:
 * -aws-on-demand-instance- fills the profile ARN, -aws-user-data the
 * user data string, not the file. */
static void t_shorter_fills_other_field(void)
{
	struct annex_opts o;
	struct annex_err e;
	char *a1[] = { "annex", "-aws-on-demand-instance-", "arn:x", "-status", NULL };
	char *a2[] = { "annex", "-aws-user-data", "echo hi", "-status", NULL };

	CHECK_INT(cli_parse(4, a1, &o, &e), 0);
	CHECK_STR(o.instance_profile_arn, "arn:x");
	CHECK(o.instance_type == NULL);
	CHECK_INT(o.given_instance_type, 0);
	cli_opts_free(&o);
	CHECK_INT(cli_parse(4, a2, &o, &e), 0);
	CHECK_STR(o.user_data, "echo hi");
	CHECK(o.user_data_file == NULL);
	cli_opts_free(&o);
}

/* Step 1 is case-sensitive and first-match: -aws-on-demand-instance is
 * the profile ARN there, though as a prefix it would be ambiguous; in
 * another case it goes to step 2 and is. */
static void t_step1_before_step2(void)
{
	struct annex_err e;
	const char *name;

	annex_err_clear(&e);
	CHECK_INT(cli_match("-aws-on-demand-instance", &name, &e), 0);
	CHECK_STR(name, "aws-on-demand-instance-profile-arn");
	CHECK_INT(cli_match("-AWS-on-demand-instance", &name, &e), -1);
	CHECK_STR(e.msg, "ambiguous option '-AWS-on-demand-instance': could be "
		  "-aws-on-demand-instance-type, -aws-on-demand-instance-profile-arn");
	CHECK_INT(cli_match("-h", &name, &e), 0);
	CHECK_STR(name, "help");
	CHECK_INT(cli_match("-hel", &name, &e), 0);
	CHECK_STR(name, "help");
}

/* "--name" needs the whole name, for every option of both tables; a
 * prefix after "--" is not accepted by either step. */
static void t_double_dash(void)
{
	struct annex_err e;
	const char *name;
	char opt[128];

	for (size_t i = 0; i < N_CONDOR; i++) {
		const struct condor_row *r = &condor_rows[i];
		snprintf(opt, sizeof opt, "--%s", r->full);
		CHECK_INT(cli_match(opt, &name, &e), 0);
		CHECK_STR(name, r->full);
		if (strcmp(r->min, r->full) != 0) {
			snprintf(opt, sizeof opt, "--%s", r->min);
			annex_err_clear(&e);
			CHECK_INT(cli_match(opt, &name, &e), -1);
			char want[160];
			snprintf(want, sizeof want, "unknown option '--%s'", r->min);
			CHECK_STR(e.msg, want);
		}
	}
	for (size_t i = 0; i < N_ANNEX; i++) {
		snprintf(opt, sizeof opt, "--%s", annex_rows[i].full);
		CHECK_INT(cli_match(opt, &name, &e), 0);
		CHECK_STR(name, annex_rows[i].full);
		if (strcmp(annex_rows[i].prefix, annex_rows[i].full) == 0)
			continue;   /* a name that is a prefix of another has no shorter spelling */
		snprintf(opt, sizeof opt, "--%s", annex_rows[i].prefix);
		CHECK_INT(cli_match(opt, &name, &e), -1);
	}
	CHECK_INT(cli_match("--anne", &name, &e), -1);
	CHECK_STR(e.msg, "unknown option '--anne'");
	CHECK_INT(cli_match("--", &name, &e), -1);
	CHECK_STR(e.msg, "unknown option '--'");
	CHECK_INT(cli_match("--ANNEX-NAME", &name, &e), 0);   /* whole name, any case */
	CHECK_STR(name, "annex-name");
}

/* annex's own options: full name and a unique prefix, in any case. */
static void t_annex_options(void)
{
	struct annex_err e;
	const char *name;
	char opt[128];

	for (size_t i = 0; i < N_ANNEX; i++) {
		snprintf(opt, sizeof opt, "-%s", annex_rows[i].full);
		CHECK_INT(cli_match(opt, &name, &e), 0);
		CHECK_STR(name, annex_rows[i].full);
		snprintf(opt, sizeof opt, "-%s", annex_rows[i].prefix);
		CHECK_INT(cli_match(opt, &name, &e), 0);
		CHECK_STR(name, annex_rows[i].full);
		for (char *p = opt; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		CHECK_INT(cli_match(opt, &name, &e), 0);
		CHECK_STR(name, annex_rows[i].full);
	}
}

/* Step 2 is case-insensitive: -ANNEX-NAME, -Anne, -COUNT. */
static void t_case_insensitive_extension(void)
{
	struct annex_opts o;
	struct annex_err e;
	char *argv[] = { "annex", "-ANNEX-NAME", "a1", "-Coun", "2", "-YES", NULL };
	const char *name;

	CHECK_INT(cli_parse(6, argv, &o, &e), 0);
	CHECK_INT(o.command, CMD_LAUNCH);
	CHECK_STR(o.annex_name, "a1");
	CHECK_INT(o.count, 2);
	CHECK_INT(o.yes, 1);
	cli_opts_free(&o);
	CHECK_INT(cli_match("-Anne", &name, &e), 0);
	CHECK_STR(name, "annex-name");
	CHECK_INT(cli_match("-H", &name, &e), 0);
	CHECK_STR(name, "help");
}

/* An exact name wins over being a prefix of longer names. */
static void t_exact_name_wins(void)
{
	struct annex_err e;
	const char *name;

	CHECK_INT(cli_match("-AWS-USER-DATA", &name, &e), 0);
	CHECK_STR(name, "aws-user-data");
	CHECK_INT(cli_match("-Aws-Spot-Fleet", &name, &e), 0);
	CHECK_STR(name, "aws-spot-fleet");
	CHECK_INT(cli_match("-AWS-ON-DEMAND", &name, &e), 0);
	CHECK_STR(name, "aws-on-demand");
	CHECK_INT(cli_match("-Aws-Default-User-Data", &name, &e), 0);
	CHECK_STR(name, "aws-default-user-data");
}

/* An ambiguous prefix names every candidate, in table order. */
static void t_ambiguity_names_candidates(void)
{
	struct annex_err e;
	const char *name;

	annex_err_clear(&e);
	CHECK_INT(cli_match("-d", &name, &e), -1);
	CHECK_STR(e.code, "Usage");
	CHECK_STR(e.msg, "ambiguous option '-d': could be -duration, -debug, -dry-run");
	CHECK_INT(cli_match("-r", &name, &e), -1);
	CHECK_STR(e.msg, "ambiguous option '-r': could be -reap, -remove");
	CHECK_INT(cli_match("-O", &name, &e), -1);
	CHECK_STR(e.msg, "ambiguous option '-O': could be -owner, -off");
	CHECK_INT(cli_match("-aws-p", &name, &e), -1);
	CHECK_STR(e.msg, "ambiguous option '-aws-p': could be -aws-public-key-file, -aws-private-key-file");
	CHECK_INT(cli_match("-no", &name, &e), -1);
	CHECK_STR(e.msg, "ambiguous option '-no': could be -no-owner, -no-may-use-aws, -no-connectivity-check");
	CHECK_INT(cli_match("-x", &name, &e), -1);
	CHECK_STR(e.msg, "unknown option '-x'");
	CHECK_INT(cli_match("-", &name, &e), -1);
	CHECK_STR(e.msg, "unknown option '-'");
	CHECK_INT(cli_match("-annex-namex", &name, &e), -1);
	CHECK_STR(e.msg, "unknown option '-annex-namex'");
}

/* Parses a NULL-terminated argv; returns cli_parse's result. */
static int parse(struct annex_opts *o, struct annex_err *e, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	annex_err_clear(e);
	return cli_parse(argc, argv, o, e);
}

#define ARGV(...) ((char *[]){ "annex", __VA_ARGS__, NULL })

/* Expects a usage error with exactly msg. */
#define CHECK_USAGE(want_msg, ...) do { struct annex_opts o_; struct annex_err e_; \
	CHECK_INT(parse(&o_, &e_, ARGV(__VA_ARGS__)), -1); \
	CHECK_STR(e_.code, "Usage"); CHECK_STR(e_.msg, want_msg); cli_opts_free(&o_); } while (0)

static void t_bare_words(void)
{
	struct annex_opts o;
	struct annex_err e;

	CHECK_INT(parse(&o, &e, ARGV("status")), 0);
	CHECK_INT(o.command, CMD_STATUS);
	cli_opts_free(&o);
	CHECK_INT(parse(&o, &e, ARGV("status", "-annex-name", "a", "-classad")), 0);
	CHECK_INT(o.command, CMD_STATUS);
	CHECK_STR(o.annex_name, "a");
	CHECK_INT(o.classad, 1);
	cli_opts_free(&o);
	CHECK_INT(parse(&o, &e, ARGV("off", "-annex", "a")), 0);
	CHECK_INT(o.command, CMD_CONDOR_OFF);
	cli_opts_free(&o);
	CHECK_INT(parse(&o, &e, ARGV("-off", "-annex", "a")), 0);
	CHECK_INT(o.command, CMD_OFF);
	cli_opts_free(&o);
	CHECK_INT(parse(&o, &e, ARGV("-annex-name", "off", "-off")), 0);   /* a value, not the word */
	CHECK_STR(o.annex_name, "off");
	CHECK_INT(o.command, CMD_OFF);
	cli_opts_free(&o);
	CHECK_USAGE("off needs -annex-name NAME", "off");
	CHECK_USAGE("-off needs -annex-name NAME", "-off");
	CHECK_USAGE("unexpected argument 'Status'", "Status");
	CHECK_USAGE("conflicting commands: status and off", "status", "off");
}

static void t_setup_forms(void)
{
	struct annex_opts o;
	struct annex_err e;

	CHECK_INT(parse(&o, &e, ARGV("-setup")), 0);
	CHECK_INT(o.command, CMD_SETUP);
	CHECK_INT(o.n_setup_args, 0);
	CHECK(o.setup_region == NULL && o.access_key_file == NULL);
	cli_opts_free(&o);

	CHECK_INT(parse(&o, &e, ARGV("-setup", "us-west-2")), 0);
	CHECK_INT(o.n_setup_args, 1);
	CHECK_STR(o.setup_region, "us-west-2");
	CHECK(o.region == NULL);
	cli_opts_free(&o);

	CHECK_INT(parse(&o, &e, ARGV("-setup", "pub", "priv")), 0);
	CHECK_STR(o.access_key_file, "pub");
	CHECK_STR(o.secret_key_file, "priv");
	CHECK_INT(o.key_files_from_setup, 1);
	CHECK(o.setup_url == NULL && o.setup_region == NULL);
	cli_opts_free(&o);

	CHECK_INT(parse(&o, &e, ARGV("-setup", "pub", "priv", "https://cf", "-yes")), 0);
	CHECK_STR(o.setup_url, "https://cf");
	CHECK_STR(o.setup_args[2], "https://cf");
	CHECK_INT(o.yes, 1);
	cli_opts_free(&o);

	CHECK_INT(parse(&o, &e, ARGV("-setup", "FROM", "INSTANCE")), 0);
	CHECK_INT(o.setup_from_instance, 1);
	CHECK_STR(o.access_key_file, "FROM INSTANCE");
	CHECK_STR(o.secret_key_file, "FROM INSTANCE");
	cli_opts_free(&o);

	CHECK_INT(parse(&o, &e, ARGV("-setup", "-remove")), 0);
	CHECK_INT(o.command, CMD_SETUP);
	CHECK_INT(o.setup_remove, 1);
	CHECK_INT(o.force, 0);
	cli_opts_free(&o);

	CHECK_INT(parse(&o, &e, ARGV("-setup", "-remove", "-force")), 0);
	CHECK_INT(o.force, 1);
	cli_opts_free(&o);

	CHECK_INT(parse(&o, &e, ARGV("-aws-region", "eu-west-1", "-setup", "eu-west-1")), 0);
	CHECK_STR(o.setup_region, "eu-west-1");
	cli_opts_free(&o);

	CHECK_USAGE("-setup us-west-2 and -aws-region us-east-1 name different regions",
		    "-setup", "us-west-2", "-aws-region", "us-east-1");
	CHECK_USAGE("-setup's key files conflict with -aws-access-key-file / -aws-secret-key-file: give them one way",
		    "-aws-access-key-file", "k", "-setup", "a", "b");
	CHECK_USAGE("unexpected argument 'd'", "-setup", "a", "b", "c", "d");
	CHECK_USAGE("-remove goes only with -setup (annex -setup -remove)", "-remove");
	CHECK_USAGE("-force goes only with -setup -remove", "-setup", "-force");
	CHECK_USAGE("conflicting commands: -setup and -check-setup", "-setup", "-check-setup");
}

static void t_config_val_takes_rest(void)
{
	struct annex_opts o;
	struct annex_err e;

	CHECK_INT(parse(&o, &e, ARGV("-config-val", "COLLECTOR_HOST", "-status", "off")), 0);
	CHECK_INT(o.command, CMD_CONFIG_VAL);
	CHECK_INT(o.n_config_names, 3);
	CHECK_STR(o.config_names[0], "COLLECTOR_HOST");
	CHECK_STR(o.config_names[1], "-status");
	CHECK_STR(o.config_names[2], "off");
	cli_opts_free(&o);
	CHECK_INT(parse(&o, &e, ARGV("-aws-region", "us-west-2", "-config-v", "X")), 0);
	CHECK_STR(o.region, "us-west-2");
	CHECK_INT(o.n_config_names, 1);
	cli_opts_free(&o);
	CHECK_USAGE("-config-val requires at least one NAME", "-config-val");
}

static void t_tags(void)
{
	struct annex_opts o;
	struct annex_err e;

	CHECK_INT(parse(&o, &e, ARGV("-count", "1", "-annex", "a", "-tag", "Project", "x y",
				     "-ta", "Team", "", "-TAG", "Project", "z")), 0);
	CHECK_INT(o.n_tags, 3);
	CHECK_STR(o.tags[0].name, "Project");
	CHECK_STR(o.tags[0].value, "x y");
	CHECK_STR(o.tags[1].name, "Team");
	CHECK_STR(o.tags[1].value, "");
	CHECK_STR(o.tags[2].value, "z");
	cli_opts_free(&o);
	CHECK_USAGE("-tag requires two arguments: NAME VALUE", "-count", "1", "-tag", "N");
	CHECK_USAGE("-tag requires two arguments: NAME VALUE", "-tag");
	CHECK_USAGE("-tag needs a non-empty NAME", "-tag", "", "v");
}

static void t_numbers(void)
{
	struct annex_opts o;
	struct annex_err e;

	CHECK_INT(parse(&o, &e, ARGV("-annex", "a", "-count", "010", "-duration", ".5", "-idle", "2.")), 0);
	CHECK_INT(o.count, 10);   /* decimal, not octal as condor_annex's strtol(..., 0) */
	CHECK(o.duration_h == 0.5);
	CHECK(o.idle_h == 2.0);
	cli_opts_free(&o);
	CHECK_USAGE("-count requires a positive integer, not '0'", "-count", "0");
	CHECK_USAGE("-count requires a positive integer, not '-1'", "-count", "-1");
	CHECK_USAGE("-count requires a positive integer, not '3x'", "-count", "3x");
	CHECK_USAGE("-count requires a positive integer, not ' 3'", "-count", " 3");
	CHECK_USAGE("-count requires a positive integer, not ''", "-count", "");
	CHECK_USAGE("-count 99999999999999999999 is too large", "-count", "99999999999999999999");
	CHECK_USAGE("-slots requires a positive integer, not 'many'", "-slots", "many");
	CHECK_USAGE("-slots requires a positive integer, not '0x10'", "-slot", "0x10");
	CHECK_USAGE("-min-count requires a positive integer, not '0'", "-min-count", "0");
	CHECK_USAGE("-duration requires a positive decimal number of hours, not 'abc'", "-duration", "abc");
	CHECK_USAGE("-duration requires a positive decimal number of hours, not '1e3'", "-duration", "1e3");
	CHECK_USAGE("-duration requires a positive decimal number of hours, not 'inf'", "-duration", "inf");
	CHECK_USAGE("-duration requires a positive decimal number of hours, not '-1'", "-duration", "-1");
	CHECK_USAGE("-duration requires a positive decimal number of hours, not '1.2.3'", "-duration", "1.2.3");
	CHECK_USAGE("-duration requires a positive decimal number of hours, not '.'", "-duration", ".");
	CHECK_USAGE("-duration must be greater than zero (at least one second, 0.0003 hours), not '0'",
		    "-duration", "0");
	CHECK_USAGE("-idle must be greater than zero (at least one second, 0.0003 hours), not '0.0001'",
		    "-idle", "0.0001");
	CHECK_USAGE("-idle 2000000 is too large (at most 1000000 hours)", "-idle", "2000000");
	/* the shortest lease tests use */
	CHECK_INT(parse(&o, &e, ARGV("-annex", "a", "-count", "1", "-duration", "0.001")), 0);
	CHECK(o.duration_h == 0.001);
	cli_opts_free(&o);
}

static void t_missing_argument_names_option(void)
{
	CHECK_USAGE("-annex-name requires an argument", "-count", "1", "-annex");
	CHECK_USAGE("-aws-public-key-file requires an argument", "-aws-public-key-file");
	CHECK_USAGE("-aws-on-demand-instance-type requires an argument", "-aws-on-demand-instance-t");
	CHECK_USAGE("-instance-type requires an argument", "-instance-type");
	/* -instance-type and -instance-types (-auto) share every prefix: only the whole names */
	CHECK_USAGE("ambiguous option '-instance': could be -instance-type, -instance-types", "-instance");
	CHECK_USAGE("-instance-types requires an argument", "-auto", "-instance-types");
	CHECK_USAGE("-max-instances goes only with -auto", "-count", "1", "-annex-name", "a", "-max-instances", "2");
	CHECK_USAGE("-auto needs -annex-name NAME", "-auto");
	CHECK_USAGE("-auto prints its plan as text: -json goes only with -status", "-auto", "-annex-name", "a", "-json");
	CHECK_USAGE("-auto decides the count itself: give -max-instances, not -count", "-auto", "-annex-name", "a",
		    "-count", "2");
	CHECK_USAGE("-auto launches on-demand instances of -instance-types T1,T2,...; it takes no -wait", "-auto",
		    "-annex-name", "a", "-wait");
	CHECK_USAGE("-instance-types requires an argument", "-count", "1", "-instance-types");
	CHECK_USAGE("-auto launches on-demand instances; it takes no -spot", "-auto", "-annex-name", "a", "-spot");
	CHECK_USAGE("-duration requires an argument", "-annex", "a", "-duration");
	CHECK_USAGE("-count requires an argument", "-count");
}

static void t_command_derivation(void)
{
	struct annex_opts o;
	struct annex_err e;

	CHECK_INT(parse(&o, &e, ARGV("-count", "4", "-annex-name", "a")), 0);
	CHECK_INT(o.command, CMD_LAUNCH);
	CHECK_INT(o.count, 4);
	CHECK_INT(o.slots, 0);
	CHECK(o.duration_h < 0 && o.idle_h < 0);
	CHECK_INT(o.given_duration + o.given_idle + o.given_instance_type, 0);
	cli_opts_free(&o);

	CHECK_INT(parse(&o, &e, ARGV("-slots", "8", "-annex-name", "a", "-aws-spot-fleet-config-file", "f.json")), 0);
	CHECK_INT(o.command, CMD_LAUNCH);
	CHECK_INT(o.slots, 8);
	CHECK_INT(o.count, 0);
	cli_opts_free(&o);

	CHECK_INT(parse(&o, &e, ARGV("-annex-name", "a", "-duration", "2")), 0);
	CHECK_INT(o.command, CMD_LEASE);
	CHECK_INT(o.given_duration, 1);
	cli_opts_free(&o);

	CHECK_INT(parse(&o, &e, ARGV("-check-setup")), 0);
	CHECK_INT(o.command, CMD_CHECK_SETUP);
	cli_opts_free(&o);
	CHECK_INT(parse(&o, &e, ARGV("-reap")), 0);
	CHECK_INT(o.command, CMD_REAP);
	cli_opts_free(&o);
	CHECK_INT(parse(&o, &e, ARGV("-version")), 0);
	CHECK_INT(o.command, CMD_VERSION);
	cli_opts_free(&o);
	CHECK_INT(parse(&o, &e, ARGV("-status", "-status")), 0);   /* the same command twice is fine */
	CHECK_INT(o.command, CMD_STATUS);
	cli_opts_free(&o);

	/* -help stops parsing, as in condor_annex */
	CHECK_INT(parse(&o, &e, ARGV("-setup", "-help", "-bogus")), 0);
	CHECK_INT(o.command, CMD_HELP);
	cli_opts_free(&o);
	CHECK_USAGE("unknown option '-bogus'", "-bogus", "-help");
	/* -help all: the long usage; "all" is consumed, anything else is not */
	CHECK_INT(parse(&o, &e, ARGV("-h", "all")), 0);
	CHECK_INT(o.command, CMD_HELP);
	CHECK_INT(o.help_all, 1);
	cli_opts_free(&o);
	CHECK_INT(parse(&o, &e, ARGV("-help", "ALL")), 0);
	CHECK_INT(o.help_all, 0);
	cli_opts_free(&o);
	CHECK_INT(parse(&o, &e, ARGV("-help")), 0);
	CHECK_INT(o.help_all, 0);
	cli_opts_free(&o);

	CHECK_USAGE("no command given", NULL);
	CHECK_USAGE("To change the lease duration of an existing annex, use -duration.  "
		    "To start a new annex, use -count.", "-annex-name", "a");
	CHECK_USAGE("To change the lease duration of an existing annex, use -duration.  "
		    "To start a new annex, use -slots.", "-annex-name", "a", "-aws-spot-fleet");
	CHECK_USAGE("You may not change the idle duration of existing instances.  If you'd like to add "
		    "new instances with a particular idle duration, you must specify -count.",
		    "-annex-name", "a", "-duration", "1", "-idle", "1");
	CHECK_USAGE("-count needs -annex-name NAME", "-count", "2");
	CHECK_USAGE("-slots needs -annex-name NAME", "-slots", "2");
	CHECK_USAGE("-duration needs -annex-name NAME", "-duration", "2");
	CHECK_USAGE("conflicting commands: -status and -reap", "-status", "-reap");
}

static void t_conflicts(void)
{
	CHECK_USAGE("you may specify no more than one of -aws-[default-]user-data[-file]",
		    "-count", "1", "-annex", "a", "-aws-user-data", "x", "-aws-default-user-data-file", "f");
	CHECK_USAGE("-classads and -json are mutually exclusive", "-status", "-classad", "-json");
	CHECK_USAGE("-owner and -no-owner are mutually exclusive", "-count", "1", "-annex", "a",
		    "-owner", "u", "-no-owner");
	CHECK_USAGE("-count (on-demand instances) and -slots (a Spot Fleet) are mutually exclusive",
		    "-count", "1", "-slots", "2", "-annex", "a");
	CHECK_USAGE("you must specify -slots for a Spot Fleet annex, not -count",
		    "-count", "1", "-aws-spot-fleet", "-annex", "a");
	CHECK_USAGE("you must specify -count for on-demand annexes, not -slots",
		    "-slots", "1", "-aws-on-demand", "-annex", "a");
	CHECK_USAGE("-aws-spot-fleet and -aws-on-demand are mutually exclusive",
		    "-aws-spot-fleet", "-aws-on-demand");
	CHECK_USAGE("-min-count goes only with -count", "-slots", "3", "-min-count", "1", "-annex", "a");
	CHECK_USAGE("-min-count 5 is larger than -count 4", "-count", "4", "-min-count", "5", "-annex", "a");
	CHECK_USAGE("-aws-spot-fleet-maintain goes only with -slots (a Spot Fleet)",
		    "-count", "1", "-annex", "a", "-aws-spot-fleet-maintain");
	CHECK_USAGE("-max-cost goes only with a launch (-count or -slots) or -auto", "-status", "-max-cost", "5");
	CHECK_USAGE("-max-cost requires a positive number of US dollars (e.g. 25 or 7.50), not '0'",
		    "-count", "1", "-annex", "a", "-max-cost", "0");
	CHECK_USAGE("-max-cost requires a positive number of US dollars (e.g. 25 or 7.50), not '$5'",
		    "-count", "1", "-annex", "a", "-max-cost", "$5");
	{
		struct annex_opts o;
		struct annex_err e;
		CHECK_INT(parse(&o, &e, ARGV("-slots", "8", "-annex", "a", "-max-cost", "7.50")), 0);
		CHECK(o.max_cost_usd > 7.49 && o.max_cost_usd < 7.51);
		cli_opts_free(&o);
	}
}

static void t_given_flags_and_aliases(void)
{
	struct annex_opts o;
	struct annex_err e;

	CHECK_INT(parse(&o, &e, ARGV("-count", "2", "-annex", "a", "-instance-type", "m5.large",
				     "-idle", "1", "-min-count", "1", "-wait", "-dry-run", "-debug")), 0);
	CHECK_STR(o.instance_type, "m5.large");
	CHECK_INT(o.given_instance_type, 1);
	CHECK_INT(o.given_idle, 1);
	CHECK_INT(o.given_duration, 0);
	CHECK_INT(o.min_count, 1);
	CHECK_INT(o.wait + o.dry_run + o.debug, 3);
	CHECK_INT(o.spot_fleet_maintain, 0);
	cli_opts_free(&o);

	/* a Spot Fleet of type maintain only when asked */
	CHECK_INT(parse(&o, &e, ARGV("-slots", "2", "-annex", "a", "-aws-spot-fleet-config-file", "f",
				     "-aws-spot-fleet-maintain")), 0);
	CHECK_INT(o.spot_fleet_maintain, 1);
	cli_opts_free(&o);

	/* a repeated value option: the last one wins (condor_annex's behaviour) */
	CHECK_INT(parse(&o, &e, ARGV("-count", "2", "-annex", "a", "-annex", "b",
				     "-aws-private-key-file", "p1", "-aws-secret-key-file", "p2",
				     "-aws-public-key-file", "k1", "-aws-iam-url", "http://127.0.0.1:1",
				     "-aws-sts", "http://127.0.0.1:2", "-ssh-cidr", "10.0.0.0/8")), 0);
	CHECK_STR(o.annex_name, "b");
	CHECK_STR(o.secret_key_file, "p2");
	CHECK_STR(o.access_key_file, "k1");
	CHECK_INT(o.key_files_from_setup, 0);
	CHECK_STR(o.iam_url, "http://127.0.0.1:1");
	CHECK_STR(o.sts_url, "http://127.0.0.1:2");
	CHECK_STR(o.ssh_cidr, "10.0.0.0/8");
	cli_opts_free(&o);
	cli_opts_free(&o);   /* twice is harmless */
	cli_opts_free(NULL);
}

/* -no-may-use-aws: the nodes start jobs that did not opt in too; without
 * it they require MayUseAWS (condor_annex 8.8's default). */
static void t_no_may_use_aws(void)
{
	struct annex_opts o;
	struct annex_err e;

	CHECK_INT(parse(&o, &e, ARGV("-count", "1", "-annex", "a")), 0);
	CHECK_INT(o.no_may_use_aws, 0);
	cli_opts_free(&o);
	CHECK_INT(parse(&o, &e, ARGV("-count", "1", "-annex", "a", "-no-may-use-aws")), 0);
	CHECK_INT(o.no_may_use_aws, 1);
	CHECK_INT(o.no_owner, 0);
	cli_opts_free(&o);
	CHECK_INT(parse(&o, &e, ARGV("-no-may", "-no-owner", "-slots", "2", "-annex", "a")), 0);
	CHECK_INT(o.no_may_use_aws, 1);
	CHECK_INT(o.no_owner, 1);
	cli_opts_free(&o);
	CHECK(strstr(cli_usage_all(), "-no-may-use-aws") != NULL);
}

/* -no-connectivity-check: a launch without the collector check (issue
 * 19); with any other command it is refused (-check-setup always checks). */
/* The EC2 Fleet options (issue 21): what goes together, what is refused. */
static void t_fleet_options(void)
{
	struct annex_opts o;
	struct annex_err e;

	CHECK_INT(parse(&o, &e, ARGV("-annex", "a", "-count", "3", "-instance-types", "m5.large,c5.large", "-spot",
				     "-spot-fallback", "on-demand")), 0);
	CHECK_STR(o.instance_types, "m5.large,c5.large");
	CHECK_INT(o.spot, 1);
	CHECK_STR(o.spot_fallback, "on-demand");
	CHECK_INT(o.command, CMD_LAUNCH);
	cli_opts_free(&o);
	CHECK_INT(parse(&o, &e, ARGV("-annex", "a", "-count", "1", "-instance-type", "c5.large", "-spot")), 0);
	cli_opts_free(&o);
	CHECK_USAGE("-spot-fallback takes only 'on-demand', not 'spot'", "-annex", "a", "-count", "1", "-spot",
		    "-spot-fallback", "spot");
	CHECK_USAGE("-spot-fallback on-demand needs -spot", "-annex", "a", "-count", "1", "-spot-fallback", "on-demand");
	CHECK_USAGE("-instance-types and -instance-type (-aws-on-demand-instance-type) are mutually exclusive: give "
		    "every type in -instance-types", "-annex", "a", "-count", "1", "-instance-types", "m5.large",
		    "-aws-on-demand-instance-type", "c5.large");
	CHECK_USAGE("-instance-types launches an EC2 Fleet with -count; it does not go with a Spot Fleet (-slots, "
		    "-aws-spot-fleet[-config-file])", "-annex", "a", "-slots", "2", "-instance-types", "m5.large");
	CHECK_USAGE("-spot launches an EC2 Fleet with -count; it does not go with a Spot Fleet (-slots, "
		    "-aws-spot-fleet[-config-file])", "-annex", "a", "-count", "2", "-spot", "-aws-spot-fleet");
	CHECK_USAGE("-spot and -aws-on-demand are mutually exclusive", "-annex", "a", "-count", "2", "-spot",
		    "-aws-on-demand");
	CHECK_USAGE("-spot goes only with a launch of -count N instances", "-annex", "a", "-spot");
	CHECK(strstr(cli_usage_all(), "-instance-types") != NULL && strstr(cli_usage_all(), "-spot-fallback") != NULL);
}

static void t_no_connectivity_check(void)
{
	struct annex_opts o;
	struct annex_err e;

	CHECK_INT(parse(&o, &e, ARGV("-count", "1", "-annex", "a")), 0);
	CHECK_INT(o.no_connectivity_check, 0);
	cli_opts_free(&o);
	CHECK_INT(parse(&o, &e, ARGV("-slots", "2", "-annex", "a", "-no-conn")), 0);
	CHECK_INT(o.no_connectivity_check, 1);
	cli_opts_free(&o);
	CHECK_INT(parse(&o, &e, ARGV("-check-setup", "-no-connectivity-check")), -1);
	CHECK_STR(e.code, "Usage");
	CHECK(strstr(e.msg, "-no-connectivity-check goes only with a launch") != NULL);
	cli_opts_free(&o);
	CHECK(strstr(cli_usage_all(), "-no-connectivity-check") != NULL);
}

/* -vcpus, -memory-gib, -gpus (typeselect.h): parsed into the ranges; only
 * with -count, not with -instance-type nor a Spot Fleet. */
static void t_type_ranges(void)
{
	struct annex_opts o;
	struct annex_err e;

	CHECK_INT(parse(&o, &e, ARGV("-count", "1", "-annex", "a", "-vcpus", "16-64", "-memory-gib", "0.5-",
				     "-gpus", "-8")), 0);
	CHECK(o.typesel.vcpus.given && o.typesel.vcpus.lo == 16 && o.typesel.vcpus.hi == 64);
	CHECK(o.typesel.memory_gib.given && o.typesel.memory_gib.lo == 0.5 && !o.typesel.memory_gib.has_hi);
	CHECK(o.typesel.gpus.given && !o.typesel.gpus.has_lo && o.typesel.gpus.hi == 8);
	cli_opts_free(&o);
	CHECK_INT(parse(&o, &e, ARGV("-count", "1", "-annex", "a")), 0);
	CHECK(!typeselect_given(&o.typesel));
	cli_opts_free(&o);
	CHECK_USAGE("-vcpus requires a range A-B, A-, -B or N of whole numbers (e.g. 16-64), not '1.5'",
		    "-count", "1", "-annex", "a", "-vcpus", "1.5");
	CHECK_USAGE("-memory-gib 8-2: the lower bound is above the upper one (write 2-8)",
		    "-count", "1", "-annex", "a", "-memory-gib", "8-2");
	CHECK_USAGE("-vcpus, -memory-gib and -gpus go only with a launch of -count N", "-status", "-gpus", "1");
	CHECK_USAGE("-vcpus, -memory-gib and -gpus choose the instance types: give them or -instance-type "
		    "(-aws-on-demand-instance-type), not both",
		    "-count", "1", "-annex", "a", "-gpus", "1", "-instance-type", "g4dn.xlarge");
	CHECK_USAGE("-vcpus, -memory-gib and -gpus choose the types of an on-demand launch (-count); a Spot Fleet "
		    "names its types in its config file",
		    "-slots", "4", "-annex", "a", "-vcpus", "4", "-aws-spot-fleet-config-file", "f.json");
	CHECK_USAGE("-gpus requires an argument", "-count", "1", "-annex", "a", "-gpus");
	CHECK(strstr(cli_usage_all(), "-memory-gib") != NULL);
}

static void t_usage_text(void)
{
	const char *u = cli_usage();
	CHECK(strstr(u, "-setup") != NULL);
	CHECK(strstr(u, "-annex-name") != NULL);
	CHECK(strstr(u, "-config-val") != NULL);
	CHECK(u[strlen(u) - 1] == '\n');
	CHECK(strstr(u, "man annex") != NULL);
	CHECK(strstr(u, "-help all") != NULL);
	u = cli_usage_all();
	CHECK(strstr(u, "-aws-spot-fleet-maintain") != NULL);
	CHECK(strstr(u, "man annex") != NULL);
	CHECK(u[strlen(u) - 1] == '\n');
}

TESTS(T(t_condor_min_and_full), T(t_condor_one_shorter), T(t_shorter_fills_other_field),
      T(t_step1_before_step2), T(t_double_dash), T(t_annex_options),
      T(t_case_insensitive_extension), T(t_exact_name_wins), T(t_ambiguity_names_candidates),
      T(t_bare_words), T(t_setup_forms), T(t_config_val_takes_rest), T(t_tags), T(t_numbers),
      T(t_missing_argument_names_option), T(t_command_derivation), T(t_conflicts),
      T(t_given_flags_and_aliases), T(t_no_may_use_aws), T(t_no_connectivity_check), T(t_fleet_options),
      T(t_type_ranges), T(t_usage_text))
