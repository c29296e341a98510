/* cli.h - the command line: one option table (condor_annex's names and
 * minimum prefixes, then annex's unique-prefix extension; SPEC.md section
 * 1) parsed into struct annex_opts. cli knows nothing of AWS or config: the
 * command layer (cmd_*.c) merges these options with the config knobs. */
#ifndef ANNEX_CLI_H
#define ANNEX_CLI_H

#include "annex/err.h"
#include "annex/typeselect.h"

enum annex_command {
	CMD_NONE = 0,      /* no command word: launch if -count/-slots, lease change if -duration alone */
	CMD_HELP,
	CMD_VERSION,
	CMD_SETUP,
	CMD_CHECK_SETUP,
	CMD_LAUNCH,        /* -count or -slots given */
	CMD_STATUS,        /* -status or bare "status" */
	CMD_OFF,           /* -off: terminate now */
	CMD_CONDOR_OFF,    /* bare "off": condor_off -annex X */
	CMD_REAP,
	CMD_CONFIG_VAL,
	CMD_LEASE,         /* -annex-name X -duration H on a running annex */
	CMD_AUTO,          /* -auto: launch for the idle jobs (issue 22) */
};

struct annex_tag { char *name; char *value; };

struct annex_opts {
	enum annex_command command;
	int help_all;               /* -help all: the long usage */

	/* -setup's positional arguments (REGION, or KEY_FILE SECRET_FILE [URL], or FROM INSTANCE) */
	char *setup_args[3];
	int n_setup_args;
	int setup_remove;           /* -setup -remove */
	int force;                  /* -force: -setup -remove even while annexes run */
	/* ... and what they mean (cli interprets them; setup_args stay as typed):
	 * one argument is the region; "FROM INSTANCE" sets both key files to
	 * "FROM INSTANCE" (the instance role); two or three arguments are the
	 * key files (copied into access_key_file / secret_key_file, with
	 * key_files_from_setup set) and condor_annex's CloudFormation URL,
	 * which annex ignores with a note. */
	char *setup_region;
	char *setup_url;
	int setup_from_instance;
	int key_files_from_setup;

	/* -config-val NAME... */
	char **config_names;
	int n_config_names;

	char *annex_name;
	long count;                 /* -count N, 0 when absent */
	long slots;                 /* -slots N, 0 when absent */
	long min_count;             /* -min-count M, 0 when absent */
	double duration_h;          /* -duration; < 0 when absent */
	double idle_h;              /* -idle; < 0 when absent */
	int yes, dry_run, debug, wait, json, classad, no_owner;
	int no_may_use_aws;         /* nodes start jobs without MayUseAWS == TRUE too */
	double max_cost_usd;        /* -max-cost USD; 0 when absent (cost.h) */
	/* not an option: -auto's launches carry the on-demand price its plan
	 * quoted for instance_type, so that the launch does not ask again
	 * (cmd_launch check_cost); 0: the launch asks */
	double quoted_hourly_usd;
	long max_instances;         /* -auto -max-instances N; 0 when absent (ANNEX_AUTO_MAX_INSTANCES) */
	int no_connectivity_check;  /* launch without the collector check (issue 19) */
	int aws_spot_fleet, aws_on_demand;    /* condor_annex's type selectors */
	char *owner;
	char *instance_type;        /* -aws-on-demand-instance-type / -instance-type */
	struct typeselect typesel;  /* -vcpus, -memory-gib, -gpus: types by ranges (typeselect.h) */
	char *instance_types;       /* -instance-types T1,T2,...: an EC2 Fleet, in priority order; with -auto, the types it may launch */
	int spot;                   /* -spot: the EC2 Fleet asks for spot capacity */
	char *spot_fallback;        /* -spot-fallback on-demand (the only value) */
	char *ami_id, *security_group_ids, *key_name, *instance_profile_arn;
	char *user_data, *user_data_file;
	char *default_user_data, *default_user_data_file;
	char *spot_fleet_config_file;
	int spot_fleet_maintain;    /* -aws-spot-fleet-maintain: Spot Fleet Type maintain */
	char *odi_lease_function_arn, *sfr_lease_function_arn;
	char *config_dir;
	char *s3_config_path;
	char *ssh_cidr;
	char *region;
	char *access_key_file, *secret_key_file;
	char *ec2_url, *s3_url, *lambda_url, *events_url, *iam_url, *sts_url;
	struct annex_tag *tags;
	int n_tags;
	/* which options were given, by canonical name, for the decline hints */
	int given_instance_type, given_duration, given_idle;
};

/* Parses argv into opts (zeroed first). On a usage error returns -1 with
 * err->code "Usage" and a one-line message naming the option. */
int cli_parse(int argc, char **argv, struct annex_opts *opts, struct annex_err *err);
void cli_opts_free(struct annex_opts *opts);

/* Matches one dash-argument (argv[i], "-name" or "--name") against the
 * option table with SPEC.md section 1's two steps. On success returns 0 and
 * sets *name to the full name (without dash) of the table entry matched,
 * which for an alias is the alias (e.g. "aws-public-key-file",
 * "instance-type"). On failure returns -1 with err->code "Usage": unknown
 * option, or an ambiguous prefix naming the candidates. */
int cli_match(const char *arg, const char **name, struct annex_err *err);

/* The usage texts: -help's, one screen, and -help all's, the long one. */
const char *cli_usage(void);
const char *cli_usage_all(void);

#endif
