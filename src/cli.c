/* cli.c - the command line: one option table and the two-step matcher of
 * SPEC.md section 1, parsed into struct annex_opts. docs/cli.md explains the
 * rules and every choice made where condor_annex and the spec are silent.
 *
 * cli knows nothing of AWS or configuration; it checks only what the command
 * line alone can prove wrong (a missing argument, a malformed number, two
 * commands at once, options that contradict each other). */
#include "annex/cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annex/buf.h"

enum cli_id {
	/* condor_annex's options */
	ID_AWS_REGION, ID_EC2_URL, ID_EVENTS_URL, ID_LAMBDA_URL, ID_S3_URL,
	ID_USER_DATA_FILE, ID_USER_DATA, ID_DEFAULT_USER_DATA_FILE,
	ID_DEFAULT_USER_DATA, ID_ANNEX_NAME, ID_CONFIG_DIR, ID_OWNER,
	ID_NO_OWNER, ID_SFR_CONFIG_FILE, ID_ACCESS_KEY_FILE, ID_SECRET_KEY_FILE,
	ID_SFR_LEASE_ARN, ID_ODI_LEASE_ARN, ID_INSTANCE_TYPE, ID_KEY_NAME,
	ID_SECURITY_GROUP_IDS, ID_AMI_ID, ID_INSTANCE_PROFILE_ARN,
	ID_S3_CONFIG_PATH, ID_TAG, ID_DURATION, ID_IDLE, ID_SLOTS, ID_COUNT,
	ID_AWS_SPOT_FLEET, ID_AWS_ON_DEMAND, ID_HELP, ID_CHECK_SETUP, ID_SETUP,
	ID_STATUS, ID_CLASSADS, ID_YES,
	/* annex's own */
	ID_IAM_URL, ID_STS_URL, ID_DEBUG, ID_DRY_RUN, ID_WAIT, ID_JSON, ID_OFF,
	ID_REAP, ID_CONFIG_VAL, ID_VERSION, ID_MIN_COUNT, ID_SSH_CIDR, ID_REMOVE, ID_FORCE, ID_SFR_MAINTAIN,
	ID_NO_MAY_USE_AWS, ID_NO_CONN_CHECK, ID_MAX_COST, ID_VCPUS, ID_MEMORY_GIB, ID_GPUS,
	ID_AUTO, ID_MAX_INSTANCES, ID_INSTANCE_TYPES, ID_SPOT, ID_SPOT_FALLBACK,
	ID_LAST_
};

enum cli_arg {
	ARG_NONE,      /* a flag or a command word */
	ARG_STRING,    /* one value */
	ARG_COUNT,     /* one positive integer */
	ARG_HOURS,     /* one positive decimal number of hours */
	ARG_TAG,       /* two values: NAME VALUE */
	ARG_SETUP,     /* up to three positional values */
	ARG_REST,      /* every remaining argument */
};

struct cli_option {
	const char *name;   /* without the dash */
	int condor_min;     /* condor_annex's minimum prefix length; 0: annex's own */
	enum cli_id id;
	enum cli_arg arg;
};

/* condor_annex 8.8.5's table (annex.cpp), in its order, with its minimum
 * prefix lengths; then annex's own options. Aliases share an id. */
static const struct cli_option cli_options[] = {
	{ "aws-region", 10, ID_AWS_REGION, ARG_STRING },
	{ "aws-ec2-url", 11, ID_EC2_URL, ARG_STRING },
	{ "aws-events-url", 14, ID_EVENTS_URL, ARG_STRING },
	{ "aws-lambda-url", 14, ID_LAMBDA_URL, ARG_STRING },
	{ "aws-s3-url", 10, ID_S3_URL, ARG_STRING },
	{ "aws-user-data-file", 14, ID_USER_DATA_FILE, ARG_STRING },
	{ "aws-user-data", 13, ID_USER_DATA, ARG_STRING },
	{ "aws-default-user-data-file", 22, ID_DEFAULT_USER_DATA_FILE, ARG_STRING },
	{ "aws-default-user-data", 21, ID_DEFAULT_USER_DATA, ARG_STRING },
	{ "annex-name", 5, ID_ANNEX_NAME, ARG_STRING },
	{ "config-dir", 10, ID_CONFIG_DIR, ARG_STRING },
	{ "owner", 5, ID_OWNER, ARG_STRING },
	{ "no-owner", 7, ID_NO_OWNER, ARG_NONE },
	{ "aws-spot-fleet-config-file", 22, ID_SFR_CONFIG_FILE, ARG_STRING },
	{ "aws-public-key-file", 19, ID_ACCESS_KEY_FILE, ARG_STRING },
	{ "aws-access-key-file", 19, ID_ACCESS_KEY_FILE, ARG_STRING },
	{ "aws-secret-key-file", 19, ID_SECRET_KEY_FILE, ARG_STRING },
	{ "aws-private-key-file", 20, ID_SECRET_KEY_FILE, ARG_STRING },
	{ "aws-spot-fleet-lease-function-arn", 22, ID_SFR_LEASE_ARN, ARG_STRING },
	{ "aws-on-demand-lease-function-arn", 21, ID_ODI_LEASE_ARN, ARG_STRING },
	{ "aws-on-demand-instance-type", 24, ID_INSTANCE_TYPE, ARG_STRING },
	{ "aws-on-demand-key-name", 17, ID_KEY_NAME, ARG_STRING },
	{ "aws-on-demand-security-group-ids", 31, ID_SECURITY_GROUP_IDS, ARG_STRING },
	{ "aws-on-demand-ami-id", 20, ID_AMI_ID, ARG_STRING },
	{ "aws-on-demand-instance-profile-arn", 22, ID_INSTANCE_PROFILE_ARN, ARG_STRING },
	{ "aws-s3-config-path", 18, ID_S3_CONFIG_PATH, ARG_STRING },
	{ "tag", 3, ID_TAG, ARG_TAG },
	{ "duration", 8, ID_DURATION, ARG_HOURS },
	{ "idle", 4, ID_IDLE, ARG_HOURS },
	{ "slots", 5, ID_SLOTS, ARG_COUNT },
	{ "count", 5, ID_COUNT, ARG_COUNT },
	{ "aws-spot-fleet", 14, ID_AWS_SPOT_FLEET, ARG_NONE },
	{ "aws-on-demand", 13, ID_AWS_ON_DEMAND, ARG_NONE },
	{ "help", 1, ID_HELP, ARG_NONE },
	{ "check-setup", 11, ID_CHECK_SETUP, ARG_NONE },
	{ "setup", 5, ID_SETUP, ARG_SETUP },
	{ "status", 6, ID_STATUS, ARG_NONE },
	{ "classads", 7, ID_CLASSADS, ARG_NONE },
	{ "yes", 3, ID_YES, ARG_NONE },

	{ "instance-type", 0, ID_INSTANCE_TYPE, ARG_STRING },
	{ "aws-iam-url", 0, ID_IAM_URL, ARG_STRING },
	{ "aws-sts-url", 0, ID_STS_URL, ARG_STRING },
	{ "debug", 0, ID_DEBUG, ARG_NONE },
	{ "dry-run", 0, ID_DRY_RUN, ARG_NONE },
	{ "wait", 0, ID_WAIT, ARG_NONE },
	{ "json", 0, ID_JSON, ARG_NONE },
	{ "off", 0, ID_OFF, ARG_NONE },
	{ "reap", 0, ID_REAP, ARG_NONE },
	{ "config-val", 0, ID_CONFIG_VAL, ARG_REST },
	{ "version", 0, ID_VERSION, ARG_NONE },
	{ "min-count", 0, ID_MIN_COUNT, ARG_COUNT },
	{ "ssh-cidr", 0, ID_SSH_CIDR, ARG_STRING },
	{ "remove", 0, ID_REMOVE, ARG_NONE },
	{ "force", 0, ID_FORCE, ARG_NONE },
	{ "aws-spot-fleet-maintain", 0, ID_SFR_MAINTAIN, ARG_NONE },
	{ "no-may-use-aws", 0, ID_NO_MAY_USE_AWS, ARG_NONE },
	{ "no-connectivity-check", 0, ID_NO_CONN_CHECK, ARG_NONE },
	{ "max-cost", 0, ID_MAX_COST, ARG_STRING },
	{ "vcpus", 0, ID_VCPUS, ARG_STRING },
	{ "memory-gib", 0, ID_MEMORY_GIB, ARG_STRING },
	{ "gpus", 0, ID_GPUS, ARG_STRING },
	{ "auto", 0, ID_AUTO, ARG_NONE },
	{ "max-instances", 0, ID_MAX_INSTANCES, ARG_COUNT },
	{ "instance-types", 0, ID_INSTANCE_TYPES, ARG_STRING },
	{ "spot", 0, ID_SPOT, ARG_NONE },
	{ "spot-fallback", 0, ID_SPOT_FALLBACK, ARG_STRING },
};

#define CLI_N_OPTIONS (sizeof cli_options / sizeof cli_options[0])

/* Upper bound for -duration and -idle, so that hours * 3600 always fits a
 * 32-bit time difference and a lease end never overflows (about 114 years). */
#define CLI_MAX_HOURS 1000000.0

/* Parse-time bookkeeping that does not belong in the result. */
struct cli_state {
	const char *command_word;   /* how the command was spelled, for messages */
	int n_user_data;            /* -aws-[default-]user-data[-file] given */
};

/* condor_annex's is_dash_arg_prefix(): after one dash, arg must be a prefix
 * of name at least min characters long; after "--" it must be the whole
 * name. Case-sensitive. */
static int cli_condor_matches(const char *arg, const struct cli_option *opt)
{
	size_t len;

	if (arg[0] != '-')
		return 0;
	if (arg[1] == '-')
		return strcmp(arg + 2, opt->name) == 0;
	arg++;
	len = strlen(arg);
	return len >= (size_t)opt->condor_min && len <= strlen(opt->name) &&
	       strncmp(arg, opt->name, len) == 0;
}

/* The table entry arg names (see cli_match), or NULL with err set. */
static const struct cli_option *cli_find(const char *arg, struct annex_err *err)
{
	const struct cli_option *found = NULL;
	const char *s;
	int ids_seen[ID_LAST_] = { 0 };
	int n_ids = 0;
	int dashdash;
	size_t len, i;

	if (arg[0] != '-') {
		annex_err_set(err, "Usage", "unexpected argument '%s'", arg);
		return NULL;
	}

	/* Step 1: condor_annex's table, in order; the first match wins. */
	for (i = 0; i < CLI_N_OPTIONS; i++) {
		if (cli_options[i].condor_min > 0 && cli_condor_matches(arg, &cli_options[i]))
			return &cli_options[i];
	}

	/* Step 2: annex's extension, any case. An exact name wins; else the
	 * prefix must name one option (aliases of one option count once).
	 * After "--" only a whole name is accepted, as in step 1. */
	dashdash = arg[1] == '-';
	s = arg + 1 + dashdash;
	len = strlen(s);
	if (len == 0)
		goto unknown;
	for (i = 0; i < CLI_N_OPTIONS; i++) {
		if (strcasecmp(s, cli_options[i].name) == 0)
			return &cli_options[i];
	}
	if (dashdash)
		goto unknown;
	for (i = 0; i < CLI_N_OPTIONS; i++) {
		if (strncasecmp(s, cli_options[i].name, len) != 0)
			continue;
		if (!found)
			found = &cli_options[i];
		if (!ids_seen[cli_options[i].id]++)
			n_ids++;
	}
	if (n_ids == 1)
		return found;
	if (n_ids > 1) {
		struct buf list = BUF_INIT;
		for (i = 0; i < CLI_N_OPTIONS; i++) {
			if (strncasecmp(s, cli_options[i].name, len) == 0)
				buf_printf(&list, "%s-%s", list.len ? ", " : "", cli_options[i].name);
		}
		annex_err_set(err, "Usage", "ambiguous option '%s': could be %s", arg, buf_cstr(&list));
		buf_free(&list);
		return NULL;
	}
unknown:
	annex_err_set(err, "Usage", "unknown option '%s'", arg);
	return NULL;
}

int cli_match(const char *arg, const char **name, struct annex_err *err)
{
	const struct cli_option *opt = cli_find(arg, err);

	*name = opt ? opt->name : NULL;
	return opt ? 0 : -1;
}

/* The string field an option id fills, or NULL for other kinds. */
static char **cli_str_field(struct annex_opts *o, enum cli_id id)
{
	switch (id) {
	case ID_AWS_REGION: return &o->region;
	case ID_EC2_URL: return &o->ec2_url;
	case ID_EVENTS_URL: return &o->events_url;
	case ID_LAMBDA_URL: return &o->lambda_url;
	case ID_S3_URL: return &o->s3_url;
	case ID_IAM_URL: return &o->iam_url;
	case ID_STS_URL: return &o->sts_url;
	case ID_USER_DATA_FILE: return &o->user_data_file;
	case ID_USER_DATA: return &o->user_data;
	case ID_DEFAULT_USER_DATA_FILE: return &o->default_user_data_file;
	case ID_DEFAULT_USER_DATA: return &o->default_user_data;
	case ID_ANNEX_NAME: return &o->annex_name;
	case ID_CONFIG_DIR: return &o->config_dir;
	case ID_OWNER: return &o->owner;
	case ID_SFR_CONFIG_FILE: return &o->spot_fleet_config_file;
	case ID_ACCESS_KEY_FILE: return &o->access_key_file;
	case ID_SECRET_KEY_FILE: return &o->secret_key_file;
	case ID_SFR_LEASE_ARN: return &o->sfr_lease_function_arn;
	case ID_ODI_LEASE_ARN: return &o->odi_lease_function_arn;
	case ID_INSTANCE_TYPE: return &o->instance_type;
	case ID_KEY_NAME: return &o->key_name;
	case ID_SECURITY_GROUP_IDS: return &o->security_group_ids;
	case ID_AMI_ID: return &o->ami_id;
	case ID_INSTANCE_PROFILE_ARN: return &o->instance_profile_arn;
	case ID_S3_CONFIG_PATH: return &o->s3_config_path;
	case ID_SSH_CIDR: return &o->ssh_cidr;
	case ID_INSTANCE_TYPES: return &o->instance_types;
	case ID_SPOT_FALLBACK: return &o->spot_fallback;
	default: return NULL;
	}
}

/* Parses a positive base-10 integer (condor_annex uses strtol base 0, so
 * "010" meant 8 there; annex reads decimal only). */
static int cli_positive_long(const char *opt, const char *s, long *out, struct annex_err *err)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		goto bad;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v <= 0)
		goto bad;
	if (errno == ERANGE)
		return annex_err_set(err, "Usage", "-%s %s is too large", opt, s);
	*out = v;
	return 0;
bad:
	return annex_err_set(err, "Usage", "-%s requires a positive integer, not '%s'", opt, s);
}

/* Whether s is a plain decimal number: digits and at most one point, at
 * least one digit ("2", "0.25", ".5"), so "1e3", "inf", "0x10" and "-1"
 * are not. */
static int cli_plain_decimal(const char *s)
{
	int digits = 0, points = 0;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digits++;
		else if (*s == '.' && !points)
			points++;
		else
			return 0;
	}
	return digits > 0;
}

/* -max-cost USD: a plain decimal number of US dollars, above zero. */
static int cli_max_cost(const char *s, double *out, struct annex_err *err)
{
	*out = cli_plain_decimal(s) ? strtod(s, NULL) : 0;
	if (!isfinite(*out) || !(*out > 0) || *out > 1e12)
		return annex_err_set(err, "Usage", "-max-cost requires a positive number of US dollars "
				     "(e.g. 25 or 7.50), not '%s'", s);
	return 0;
}

/* Parses a positive decimal number of hours (cli_plain_decimal). Like
 * condor_annex, the value must come to at least one whole second. */
static int cli_positive_hours(const char *opt, const char *s, double *out, struct annex_err *err)
{
	double v;

	if (!cli_plain_decimal(s))
		return annex_err_set(err, "Usage", "-%s requires a positive decimal number of hours, not '%s'", opt, s);
	v = strtod(s, NULL);
	if (!isfinite(v) || v > CLI_MAX_HOURS)
		return annex_err_set(err, "Usage", "-%s %s is too large (at most %.0f hours)", opt, s, CLI_MAX_HOURS);
	if (v * 3600.0 < 1.0)
		return annex_err_set(err, "Usage", "-%s must be greater than zero (at least one second, 0.0003 hours), not '%s'", opt, s);
	*out = v;
	return 0;
}

/* Records the command; two different commands on one line are an error. */
static int cli_set_command(struct annex_opts *o, struct cli_state *st, enum annex_command cmd,
			   const char *word, struct annex_err *err)
{
	if (o->command != CMD_NONE && o->command != cmd)
		return annex_err_set(err, "Usage", "conflicting commands: %s and %s", st->command_word, word);
	o->command = cmd;
	st->command_word = word;
	return 0;
}

/* Applies one matched option whose values start at argv[*i + 1]; advances
 * *i past the values it consumed. */
static int cli_apply(const struct cli_option *opt, int argc, char **argv, int *i,
		     struct annex_opts *o, struct cli_state *st, struct annex_err *err)
{
	char **field;
	const char *val = NULL;

	if (opt->arg == ARG_STRING || opt->arg == ARG_COUNT || opt->arg == ARG_HOURS) {
		if (*i + 1 >= argc)
			return annex_err_set(err, "Usage", "-%s requires an argument", opt->name);
		val = argv[++*i];
	}

	field = cli_str_field(o, opt->id);
	if (field) {
		free(*field);
		*field = xstrdup(val);
		if (opt->id == ID_INSTANCE_TYPE)
			o->given_instance_type = 1;
		if (opt->id == ID_USER_DATA || opt->id == ID_USER_DATA_FILE ||
		    opt->id == ID_DEFAULT_USER_DATA || opt->id == ID_DEFAULT_USER_DATA_FILE)
			st->n_user_data++;
		return 0;
	}

	switch (opt->id) {
	case ID_NO_OWNER: o->no_owner = 1; return 0;
	case ID_AWS_SPOT_FLEET: o->aws_spot_fleet = 1; return 0;
	case ID_AWS_ON_DEMAND: o->aws_on_demand = 1; return 0;
	case ID_CLASSADS: o->classad = 1; return 0;
	case ID_YES: o->yes = 1; return 0;
	case ID_DEBUG: o->debug = 1; return 0;
	case ID_DRY_RUN: o->dry_run = 1; return 0;
	case ID_WAIT: o->wait = 1; return 0;
	case ID_JSON: o->json = 1; return 0;
	case ID_REMOVE: o->setup_remove = 1; return 0;
	case ID_FORCE: o->force = 1; return 0;
	case ID_SFR_MAINTAIN: o->spot_fleet_maintain = 1; return 0;
	case ID_NO_MAY_USE_AWS: o->no_may_use_aws = 1; return 0;
	case ID_NO_CONN_CHECK: o->no_connectivity_check = 1; return 0;
	case ID_SPOT: o->spot = 1; return 0;
	case ID_COUNT: return cli_positive_long(opt->name, val, &o->count, err);
	case ID_SLOTS: return cli_positive_long(opt->name, val, &o->slots, err);
	case ID_MIN_COUNT: return cli_positive_long(opt->name, val, &o->min_count, err);
	case ID_MAX_INSTANCES: return cli_positive_long(opt->name, val, &o->max_instances, err);
	case ID_AUTO: return cli_set_command(o, st, CMD_AUTO, "-auto", err);
	case ID_MAX_COST:
		return cli_max_cost(val, &o->max_cost_usd, err);
	case ID_VCPUS: return typeselect_parse_range("-vcpus", val, 0, &o->typesel.vcpus, err);
	case ID_MEMORY_GIB: return typeselect_parse_range("-memory-gib", val, 1, &o->typesel.memory_gib, err);
	case ID_GPUS: return typeselect_parse_range("-gpus", val, 0, &o->typesel.gpus, err);
	case ID_DURATION:
		o->given_duration = 1;
		return cli_positive_hours(opt->name, val, &o->duration_h, err);
	case ID_IDLE:
		o->given_idle = 1;
		return cli_positive_hours(opt->name, val, &o->idle_h, err);
	case ID_TAG:
		if (*i + 2 >= argc)
			return annex_err_set(err, "Usage", "-tag requires two arguments: NAME VALUE");
		if (argv[*i + 1][0] == '\0')
			return annex_err_set(err, "Usage", "-tag needs a non-empty NAME");
		o->tags = xrealloc(o->tags, (size_t)(o->n_tags + 1) * sizeof *o->tags);
		o->tags[o->n_tags].name = xstrdup(argv[*i + 1]);
		o->tags[o->n_tags].value = xstrdup(argv[*i + 2]);
		o->n_tags++;
		*i += 2;
		return 0;
	case ID_SETUP:
		while (o->n_setup_args < 3 && *i + 1 < argc && argv[*i + 1][0] != '-')
			o->setup_args[o->n_setup_args++] = xstrdup(argv[++*i]);
		return cli_set_command(o, st, CMD_SETUP, "-setup", err);
	case ID_CONFIG_VAL:
		if (*i + 1 >= argc)
			return annex_err_set(err, "Usage", "-config-val requires at least one NAME");
		o->n_config_names = argc - (*i + 1);
		o->config_names = xcalloc((size_t)o->n_config_names, sizeof *o->config_names);
		for (int k = 0; k < o->n_config_names; k++)
			o->config_names[k] = xstrdup(argv[*i + 1 + k]);
		*i = argc - 1;
		return cli_set_command(o, st, CMD_CONFIG_VAL, "-config-val", err);
	case ID_HELP:   /* wins over any command given before it */
		o->command = CMD_HELP;
		if (*i + 1 < argc && strcmp(argv[*i + 1], "all") == 0) {   /* -help all: the long usage */
			o->help_all = 1;
			++*i;
		}
		return 0;
	case ID_VERSION: return cli_set_command(o, st, CMD_VERSION, "-version", err);
	case ID_CHECK_SETUP: return cli_set_command(o, st, CMD_CHECK_SETUP, "-check-setup", err);
	case ID_STATUS: return cli_set_command(o, st, CMD_STATUS, "-status", err);
	case ID_OFF: return cli_set_command(o, st, CMD_OFF, "-off", err);
	case ID_REAP: return cli_set_command(o, st, CMD_REAP, "-reap", err);
	default:
		return annex_err_set(err, "Internal", "option -%s has no handler", opt->name);
	}
}

/* Gives -setup's positional arguments their meaning (condor_annex's three
 * forms plus annex's REGION form). */
static int cli_setup_args(struct annex_opts *o, struct annex_err *err)
{
	char **a = o->setup_args;

	if (o->n_setup_args == 0)
		return 0;
	if (o->n_setup_args == 1) {
		if (o->region && strcmp(o->region, a[0]) != 0)
			return annex_err_set(err, "Usage", "-setup %s and -aws-region %s name different regions",
					     a[0], o->region);
		o->setup_region = xstrdup(a[0]);
		return 0;
	}
	if (o->access_key_file || o->secret_key_file)
		return annex_err_set(err, "Usage", "-setup's key files conflict with -aws-access-key-file / -aws-secret-key-file: give them one way");
	if (o->n_setup_args == 2 && strcmp(a[0], "FROM") == 0 && strcmp(a[1], "INSTANCE") == 0) {
		o->setup_from_instance = 1;
		o->access_key_file = xstrdup("FROM INSTANCE");
		o->secret_key_file = xstrdup("FROM INSTANCE");
	} else {
		o->access_key_file = xstrdup(a[0]);
		o->secret_key_file = xstrdup(a[1]);
		if (o->n_setup_args == 3)
			o->setup_url = xstrdup(a[2]);
	}
	o->key_files_from_setup = 1;
	return 0;
}

/* The EC2 Fleet options (-instance-types, -spot, -spot-fallback): a launch
 * with -count, not a Spot Fleet (-slots and its config name their own
 * types), and -instance-types not with -instance-type. */
static int cli_fleet_options(const struct annex_opts *o, struct annex_err *err)
{
	const char *opt = o->instance_types ? "-instance-types" : o->spot ? "-spot" :
			  o->spot_fallback ? "-spot-fallback" : NULL;

	if (!opt)
		return 0;
	if (o->command == CMD_AUTO) {
		/* -auto's own -instance-types: the types it may launch, on-demand */
		if (o->spot || o->spot_fallback)
			return annex_err_set(err, "Usage", "-auto launches on-demand instances; it takes no %s",
					     o->spot ? "-spot" : "-spot-fallback");
		return 0;
	}
	if (o->spot_fallback && strcmp(o->spot_fallback, "on-demand") != 0)
		return annex_err_set(err, "Usage", "-spot-fallback takes only 'on-demand', not '%s'", o->spot_fallback);
	if (o->spot_fallback && !o->spot)
		return annex_err_set(err, "Usage", "-spot-fallback on-demand needs -spot");
	if (o->slots > 0 || o->spot_fleet_config_file || o->aws_spot_fleet || o->spot_fleet_maintain)
		return annex_err_set(err, "Usage", "%s launches an EC2 Fleet with -count; it does not go with a Spot "
				     "Fleet (-slots, -aws-spot-fleet[-config-file])", opt);
	if (o->instance_types && o->given_instance_type)
		return annex_err_set(err, "Usage", "-instance-types and -instance-type (-aws-on-demand-instance-type) "
				     "are mutually exclusive: give every type in -instance-types");
	if (o->spot && o->aws_on_demand)
		return annex_err_set(err, "Usage", "-spot and -aws-on-demand are mutually exclusive");
	if (o->count == 0)
		return annex_err_set(err, "Usage", "%s goes only with a launch of -count N instances", opt);
	return 0;
}

/* Checks that the options agree with each other and derives the command
 * when no command word was given (condor_annex's rules: -count/-slots
 * start an annex, -duration alone changes a lease). */
static int cli_finish(int argc, struct annex_opts *o, struct cli_state *st, struct annex_err *err)
{
	int spot = o->slots > 0 || o->aws_spot_fleet || o->spot_fleet_config_file;
	const char *start_word = spot ? "-slots" : "-count";

	if (o->setup_remove && o->command != CMD_SETUP)
		return annex_err_set(err, "Usage", "-remove goes only with -setup (annex -setup -remove)");
	if (o->force && !o->setup_remove)
		return annex_err_set(err, "Usage", "-force goes only with -setup -remove");
	if (st->n_user_data > 1)
		return annex_err_set(err, "Usage", "you may specify no more than one of -aws-[default-]user-data[-file]");
	if (o->classad && o->json)
		return annex_err_set(err, "Usage", "-classads and -json are mutually exclusive");
	if (o->owner && o->no_owner)
		return annex_err_set(err, "Usage", "-owner and -no-owner are mutually exclusive");
	if (o->aws_spot_fleet && o->aws_on_demand)
		return annex_err_set(err, "Usage", "-aws-spot-fleet and -aws-on-demand are mutually exclusive");
	if (typeselect_given(&o->typesel)) {
		/* the ranges choose the types of an on-demand launch; the other
		 * ways of naming types would leave one of them without effect */
		if (spot)
			return annex_err_set(err, "Usage", "-vcpus, -memory-gib and -gpus choose the types of an on-demand "
					     "launch (-count); a Spot Fleet names its types in its config file");
		if (o->count == 0)
			return annex_err_set(err, "Usage", "-vcpus, -memory-gib and -gpus go only with a launch of -count N");
		if (o->instance_type || o->instance_types)
			return annex_err_set(err, "Usage", "-vcpus, -memory-gib and -gpus choose the instance types: "
					     "give them or %s, not both",
					     o->instance_types ? "-instance-types" : "-instance-type (-aws-on-demand-instance-type)");
	}
	if (cli_fleet_options(o, err))
		return -1;
	if (o->count > 0 && o->slots > 0)
		return annex_err_set(err, "Usage", "-count (on-demand instances) and -slots (a Spot Fleet) are mutually exclusive");
	if (o->count > 0 && spot)
		return annex_err_set(err, "Usage", "you must specify -slots for a Spot Fleet annex, not -count");
	if (o->slots > 0 && o->aws_on_demand)
		return annex_err_set(err, "Usage", "you must specify -count for on-demand annexes, not -slots");
	if (o->spot_fleet_config_file && o->aws_on_demand)
		return annex_err_set(err, "Usage", "unwilling to ignore -aws-spot-fleet-config-file being set for an on-demand annex");
	if (o->spot_fleet_maintain && o->slots == 0)
		return annex_err_set(err, "Usage", "-aws-spot-fleet-maintain goes only with -slots (a Spot Fleet)");
	if (o->command == CMD_AUTO && (o->count > 0 || o->slots > 0))
		return annex_err_set(err, "Usage", "-auto decides the count itself: give -max-instances, not %s",
				     o->count > 0 ? "-count" : "-slots");
	if (o->max_cost_usd > 0 && o->count == 0 && o->slots == 0 && o->command != CMD_AUTO)
		return annex_err_set(err, "Usage", "-max-cost goes only with a launch (-count or -slots) or -auto");
	if (o->max_instances > 0 && o->command != CMD_AUTO)
		return annex_err_set(err, "Usage", "-max-instances goes only with -auto");
	if (o->command == CMD_AUTO && (o->json || o->classad))
		return annex_err_set(err, "Usage", "-auto prints its plan as text: %s goes only with -status",
				     o->json ? "-json" : "-classads");
	if (o->command == CMD_AUTO && (o->instance_type || spot || o->min_count > 0 || o->wait))
		return annex_err_set(err, "Usage", "-auto launches on-demand instances of -instance-types T1,T2,...; "
				     "it takes no %s", o->instance_type ? "-instance-type" : o->min_count > 0 ? "-min-count" :
				     o->wait ? "-wait" : "Spot Fleet option");
	if (o->min_count > 0 && o->count == 0)
		return annex_err_set(err, "Usage", "-min-count goes only with -count");
	if (o->min_count > o->count)
		return annex_err_set(err, "Usage", "-min-count %ld is larger than -count %ld", o->min_count, o->count);
	if (cli_setup_args(o, err))
		return -1;

	if (o->command == CMD_NONE) {
		if (o->count > 0 || o->slots > 0) {
			o->command = CMD_LAUNCH;
			st->command_word = o->count > 0 ? "-count" : "-slots";
		} else if (o->given_duration) {
			if (o->given_idle)
				return annex_err_set(err, "Usage", "You may not change the idle duration of existing instances.  "
						     "If you'd like to add new instances with a particular idle duration, you must specify %s.",
						     start_word);
			o->command = CMD_LEASE;
			st->command_word = "-duration";
		} else if (argc <= 1) {
			return annex_err_set(err, "Usage", "no command given");
		} else {
			return annex_err_set(err, "Usage", "To change the lease duration of an existing annex, use -duration.  "
					     "To start a new annex, use %s.", start_word);
		}
	}
	if (o->wait && o->command != CMD_LAUNCH)
		return annex_err_set(err, "Usage", "-wait goes only with a launch (-count or -slots)");
	if (o->no_connectivity_check && o->command != CMD_LAUNCH && o->command != CMD_AUTO)
		return annex_err_set(err, "Usage", "-no-connectivity-check goes only with a launch (-count or -slots); "
				     "-check-setup always checks");
	switch (o->command) {
	case CMD_LAUNCH: case CMD_LEASE: case CMD_OFF: case CMD_CONDOR_OFF: case CMD_AUTO:
		if (!o->annex_name)
			return annex_err_set(err, "Usage", "%s needs -annex-name NAME", st->command_word);
		break;
	default:
		break;
	}
	return 0;
}

int cli_parse(int argc, char **argv, struct annex_opts *o, struct annex_err *err)
{
	struct cli_state st = { "", 0 };
	const struct cli_option *opt;

	memset(o, 0, sizeof *o);
	o->duration_h = -1;
	o->idle_h = -1;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "status") == 0) {
			if (cli_set_command(o, &st, CMD_STATUS, "status", err))
				return -1;
			continue;
		}
		if (strcmp(arg, "off") == 0) {
			if (cli_set_command(o, &st, CMD_CONDOR_OFF, "off", err))
				return -1;
			continue;
		}
		if (!(opt = cli_find(arg, err)) || cli_apply(opt, argc, argv, &i, o, &st, err))
			return -1;
		/* condor_annex stops at -help and prints the usage: so does annex */
		if (o->command == CMD_HELP)
			return 0;
	}
	return cli_finish(argc, o, &st, err);
}

void cli_opts_free(struct annex_opts *o)
{
	if (!o)
		return;
	for (int id = 0; id < ID_LAST_; id++) {
		char **field = cli_str_field(o, (enum cli_id)id);
		if (field) {
			free(*field);
			*field = NULL;
		}
	}
	for (int k = 0; k < o->n_setup_args; k++)
		free(o->setup_args[k]);
	for (int k = 0; k < o->n_config_names; k++)
		free(o->config_names[k]);
	free(o->config_names);
	for (int k = 0; k < o->n_tags; k++) {
		free(o->tags[k].name);
		free(o->tags[k].value);
	}
	free(o->tags);
	free(o->setup_region);
	free(o->setup_url);
	memset(o, 0, sizeof *o);
	o->duration_h = -1;
	o->idle_h = -1;
}
