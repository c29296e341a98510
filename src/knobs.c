/* knobs.c - the registry of every knob annex reads, its getters, and the
 * generator of docs/knobs.md (see include/annex/knobs.h). A new knob is a
 * new row here; `make knobs-doc` then rewrites docs/knobs.md. */
#include "annex/knobs.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annex/buf.h"
#include "annex/platforms.h"

#define DAY_S 86400L
#define YEAR_S (365L * DAY_S)

/* In the order docs/knobs.md shows them. */
static const struct knob_def knob_table[] = {
	/* the pool */
	{ "COLLECTOR_HOST", KNOB_STRING, "$(CONDOR_HOST)", NULL, 0, 0, KNOB_HTCONDOR,
	  "The pool's collector (host[:port]); the nodes report to it unless ANNEX_COLLECTOR_ADDRESS is set." },
	{ "ANNEX_COLLECTOR_ADDRESS", KNOB_STRING, NULL, NULL, 0, 0, 0,
	  "The collector address cloud nodes use when it differs from COLLECTOR_HOST (NAT, port forwarding)." },
	{ "SEC_PASSWORD_FILE", KNOB_PATH, "$(SEC_PASSWORD_DIRECTORY)/POOL", NULL, 0, 0, KNOB_HTCONDOR,
	  "The pool password file: a launch sends it to the nodes, -check-setup checks that it can be read." },

	/* the region and the endpoints */
	{ "ANNEX_DEFAULT_AWS_REGION", KNOB_STRING, "us-east-1",
	  NULL, 0, 0, KNOB_HTCONDOR | KNOB_CONFIGURED_ONLY,
	  "The region when neither -aws-region nor -setup REGION names one; read without a local name." },
	{ "ANNEX_DEFAULT_EC2_URL", KNOB_URL, "https://ec2.us-east-1.amazonaws.com",
	  NULL, 0, 0, KNOB_HTCONDOR | KNOB_CONFIGURED_ONLY,
	  "The EC2 endpoint instead of the region's (-aws-ec2-url and the AWS_ENDPOINT_URL variables win)." },
	{ "ANNEX_DEFAULT_S3_URL", KNOB_URL, "https://s3.amazonaws.com",
	  NULL, 0, 0, KNOB_HTCONDOR | KNOB_CONFIGURED_ONLY,
	  "The S3 endpoint instead of the region's (-aws-s3-url and the AWS_ENDPOINT_URL variables win)." },
	{ "ANNEX_DEFAULT_LAMBDA_URL", KNOB_URL, "https://lambda.us-east-1.amazonaws.com",
	  NULL, 0, 0, KNOB_HTCONDOR | KNOB_CONFIGURED_ONLY,
	  "The Lambda endpoint instead of the region's (-aws-lambda-url and the AWS_ENDPOINT_URL variables win)." },
	{ "ANNEX_DEFAULT_CWE_URL", KNOB_URL, "https://events.us-east-1.amazonaws.com",
	  NULL, 0, 0, KNOB_HTCONDOR | KNOB_CONFIGURED_ONLY,
	  "The EventBridge endpoint instead of the region's (-aws-events-url and the AWS_ENDPOINT_URL variables win)." },

	/* credentials */
	{ "ANNEX_DEFAULT_ACCESS_KEY_FILE", KNOB_PATH, NULL, NULL, 0, 0, KNOB_CONFIGURED_ONLY,
	  "The file holding the AWS access key id, or FROM INSTANCE for the instance role." },
	{ "ANNEX_DEFAULT_SECRET_KEY_FILE", KNOB_PATH, NULL, NULL, 0, 0, KNOB_CONFIGURED_ONLY,
	  "The file holding the AWS secret access key (mode 0600), or FROM INSTANCE for the instance role." },
	{ "ANNEX_CREDENTIAL_PROCESS_TIMEOUT", KNOB_DURATION, "60", "seconds", 1, DAY_S, KNOB_ENV,
	  "How long a profile's credential_process may run (each time: expiring credentials are fetched again "
	  "before they expire) before annex kills it and fails naming the profile." },

	/* what -setup made */
	{ "ANNEX_DEFAULT_S3_BUCKET", KNOB_STRING, NULL, NULL, 0, 0, 0,
	  "The S3 bucket that carries the nodes' configuration; written by -setup." },
	{ "ANNEX_DEFAULT_ODI_LEASE_FUNCTION_ARN", KNOB_STRING, NULL, NULL, 0, 0, 0,
	  "The lease Lambda function of on-demand annexes; written by -setup." },
	{ "ANNEX_DEFAULT_SFR_LEASE_FUNCTION_ARN", KNOB_STRING, NULL, NULL, 0, 0, 0,
	  "The lease Lambda function of Spot Fleet annexes; written by -setup." },
	{ "ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN", KNOB_STRING, NULL, NULL, 0, 0, 0,
	  "The instance profile the nodes run with; written by -setup (-aws-on-demand-instance-profile-arn wins)." },
	{ "ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN", KNOB_STRING, NULL, NULL, 0, 0, 0,
	  "The IAM role Spot Fleet requests run with (annex's own; condor_annex never made one); written by -setup." },
	{ "ANNEX_DEFAULT_ODI_SECURITY_GROUP_IDS", KNOB_LIST, NULL, NULL, 0, 0, 0,
	  "The security group ids of the nodes; written by -setup (-aws-on-demand-security-group-ids wins)." },
	{ "ANNEX_SETUP_REGION", KNOB_STRING, NULL, NULL, 0, 0, 0,
	  "The region a -setup was made in, written region-prefixed by -setup; -reap visits every region that has one." },
	{ "ANNEX_DEFAULT_ODI_KEY_NAME", KNOB_STRING, NULL, NULL, 0, 0, 0,
	  "The EC2 key pair of the nodes; none when unset (-aws-on-demand-key-name wins)." },
	{ "ANNEX_CHECK_PERMISSIONS", KNOB_LIST,
	  "RunInstances, CreateLaunchTemplate, RequestSpotFleet, CreateFleet, TerminateInstances, "
	  "CancelSpotFleetRequests, DeleteFleets, DescribeInstances", NULL, 0, 0, 0,
	  "The EC2 calls -check-setup sends with DryRun=true to prove the user may make them (docs/iam.md); "
	  "none: no probe." },

	/* the connectivity checks (issue 19; docs/network.md) */
	{ "ANNEX_DEFAULT_CONNECTIVITY_FUNCTION_ARN", KNOB_STRING, "HTCondorAnnex-CheckConnectivity",
	  NULL, 0, 0, KNOB_HTCONDOR | KNOB_CONFIGURED_ONLY,
	  "The connectivity Lambda function (asks the collector for its instance id from AWS); written by -setup. "
	  "The parameter-table default (condor_annex's function) never counts." },
	{ "ANNEX_CONNECTIVITY_TIMEOUT", KNOB_DURATION, "5", "seconds", 1, 60, 0,
	  "How long the collector and schedd checks wait for an answer, from here and from AWS (each)." },
	{ "ANNEX_LAUNCH_CONNECTIVITY_CHECK", KNOB_BOOL, "true", NULL, 0, 0, 0,
	  "false: launches skip the collector check, as -no-connectivity-check does (-check-setup still runs it)." },

	/* launches */
	{ "ANNEX_DEFAULT_ODI_IMAGE_ID", KNOB_STRING, NULL, NULL, 0, 0, 0,
	  "The AMI of on-demand nodes; unset: the current Amazon Linux 2023 image (-aws-on-demand-ami-id wins)." },
	{ "ANNEX_DEFAULT_ODI_INSTANCE_TYPE", KNOB_STRING, PLATFORMS_DEFAULT_TYPE, NULL, 0, 0,
	  KNOB_HTCONDOR | KNOB_ANNEX_DEFAULT,
	  "The instance type of on-demand nodes (-aws-on-demand-instance-type wins); annex's default replaces "
	  "condor_annex's m4.large, which is not Nitro-based (docs/images.md)." },
	{ "ANNEX_DEFAULT_LEASE_DURATION", KNOB_DURATION, "3000", "seconds", 0, 0, KNOB_HTCONDOR,
	  "How long an annex lives before its lease ends it (-duration wins)." },
	{ "ANNEX_DEFAULT_UNCLAIMED_TIMEOUT", KNOB_DURATION, "900", "seconds", 0, 0, KNOB_HTCONDOR | KNOB_ENV,
	  "How long a node may stay unclaimed before it shuts down (-idle wins); -reap's idle limit for untagged instances." },
	{ "ANNEX_BOOT_FAILURE_GRACE", KNOB_DURATION, "300", "seconds", 0, DAY_S, 0,
	  "How long a node whose boot failed before HTCondor started waits (for a look at it) before it powers off; 0: 300." },
	{ "ANNEX_JOIN_TIMEOUT", KNOB_DURATION, "1800", "seconds", 60, 604800, 0,
	  "How long a node has to join the pool before its watchdog powers it off." },
	{ "ANNEX_SPOT_POLL_INTERVAL", KNOB_DURATION, "5", "seconds", 1, 60, 0,
	  "How often a Spot node's interruption watcher asks the metadata service for an interruption notice or a "
	  "rebalance recommendation (docs/bootscript.md)." },
	{ "ANNEX_TYPE_SELECT_MAX", KNOB_INT, "20", "types", 1, 50, 0,
	  "The most instance types -vcpus, -memory-gib and -gpus launch: the smallest (by vCPUs, then memory) of "
	  "the types that match are kept (docs/commands.md, \"Instance types by attribute ranges\")." },
	{ "ANNEX_WAIT_TIMEOUT", KNOB_DURATION, "1800", "seconds", 1, DAY_S, 0,
	  "How long a launch with -wait waits for every instance to join the pool or end; the default is the nodes' "
	  "own ANNEX_JOIN_TIMEOUT, after which a node that has not joined powers itself off." },
	{ "ANNEX_WAIT_POLL_INTERVAL", KNOB_DURATION, "15", "seconds", 1, 3600, 0,
	  "How long -wait pauses between two looks (DescribeInstances, condor_status)." },

	/* -status, -reap, off */
	{ "ANNEX_STATUS_PAGE_SIZE", KNOB_INT, "1000", "instances", 5, 1000, 0,
	  "DescribeInstances' page size for -status (MaxResults, like the AWS CLI's --page-size)." },
	{ "ANNEX_CONDOR_STATUS", KNOB_PATH, NULL, NULL, 0, 0, KNOB_ENV,
	  "The condor_status that -status and -reap run (a path, or a name looked up on PATH); unset: condor_status." },
	{ "ANNEX_CONDOR_Q", KNOB_PATH, NULL, NULL, 0, 0, KNOB_ENV,
	  "The condor_q that -auto runs for the idle jobs (a path, or a name looked up on PATH); unset: condor_q." },
	{ "ANNEX_AUTO_MAX_INSTANCES", KNOB_INT, "10", "instances", 1, 100000, KNOB_ENV,
	  "-auto's bound when -max-instances is not given: the most instances of the annexes PREFIX-* in a live "
	  "state at once (those already running or on their way included)." },
	{ "ANNEX_AUTO_RESERVED_MEMORY", KNOB_INT, "1024", "MiB", 0, 1048576, KNOB_ENV,
	  "What -auto leaves of each instance type's memory to the system: a startd offers jobs less than the "
	  "type's nominal memory." },
	{ "ANNEX_CONDOR_OFF", KNOB_PATH, "condor_off", NULL, 0, 0, KNOB_ENV,
	  "The condor_off that `annex off` runs (a path, or a name looked up on PATH)." },
	{ "ANNEX_REAP_JOIN_GRACE", KNOB_DURATION, "900", "seconds", 0, 10 * YEAR_S, KNOB_ENV,
	  "How long after launch -reap lets an instance take to appear in the pool." },
	{ "ANNEX_REAP_LOCK_FILE", KNOB_PATH, NULL, NULL, 0, 0, KNOB_ENV,
	  "-reap's lock file; unset: $XDG_RUNTIME_DIR/annex-reap.lock (when that directory is the user's alone), else ~/.condor/annex/reap.lock (0700 directory)." },
	{ "ANNEX_REAP_LOCK_WAIT", KNOB_DURATION, "60", "seconds", 0, DAY_S, KNOB_ENV,
	  "How long -reap waits for another run's lock before it gives up." },
	{ "ANNEX_LOCK_WAIT", KNOB_DURATION, "300", "seconds", 0, DAY_S, KNOB_ENV,
	  "How long a launch or -off waits for another annex process on this host that holds the same annex's "
	  "lock (a launch or -off of the same name and region) before it gives up." },

	/* talking to AWS */
	{ "ANNEX_MAX_ATTEMPTS", KNOB_INT, "5", "attempts", 1, 100, KNOB_ENV,
	  "How many times one AWS request is sent when it fails in a way worth retrying." },
	{ "ANNEX_RETRY_BASE_MS", KNOB_INT, "200", "ms", 0, 600000, KNOB_ENV,
	  "The first retry's wait; each next one doubles it (with jitter), up to ANNEX_RETRY_CAP_MS." },
	{ "ANNEX_RETRY_CAP_MS", KNOB_INT, "20000", "ms", 0, 3600000, KNOB_ENV,
	  "The longest wait between two attempts of one AWS request." },
	{ "ANNEX_IAM_WAIT_S", KNOB_DURATION, "120", "seconds", 0, DAY_S, KNOB_ENV,
	  "How long -setup and launches wait in all for a new IAM role or instance profile to reach Lambda and EC2." },
	{ "ANNEX_CONNECT_TIMEOUT", KNOB_DURATION, "60", "seconds", 1, 3600, KNOB_ENV,
	  "How long one attempt of an AWS request may take to connect (botocore's connect_timeout; docs/design.md, \"Deadlines\")." },
	{ "ANNEX_REQUEST_TIMEOUT", KNOB_DURATION, "60", "seconds", 1, 3600, KNOB_ENV,
	  "How long one attempt of an AWS request may take in all, from connecting to the reply's last byte." },
	{ "ANNEX_COMMAND_TIMEOUT", KNOB_DURATION, "600", "seconds", 0, DAY_S, KNOB_ENV,
	  "How long one command's AWS calls may take in all (attempts, retries, IAM waits; not the time at a prompt); 0: no limit." },
	{ "ANNEX_PRICE_TIMEOUT", KNOB_DURATION, "15", "seconds", 1, 3600, KNOB_ENV,
	  "How long a launch's price lookups may take when nothing needs them (no -max-cost): past it the launch goes on without the price line's figure and the price tag." },
	{ "ANNEX_SLOW_CALL_NOTICE", KNOB_DURATION, "5", "seconds", 0, 3600, KNOB_ENV,
	  "After how long an AWS call that still waits (a slow reply, a retry's wait, IAM) says so on stderr, once; 0: never." },

	/* the configuration reader's own */
	{ "LOCAL_CONFIG_DIR", KNOB_LIST, NULL, NULL, 0, 0, KNOB_HTCONDOR | KNOB_LOADER,
	  "Directories whose files are read after the root config, in lexical order; root's -setup writes to the first." },
	{ "LOCAL_CONFIG_DIR_EXCLUDE_REGEXP", KNOB_STRING, "^((\\..*)|(.*\\.pl)|(.*\\.py)|(.*\\.sh)|(.*~)|(#.*)|(.*\\.rpmsave)|(.*\\.rpmnew)" "|(.*\\.dpkg-old)|(.*\\.dpkg-dist)|(.*\\.cfsaved))$",
	  NULL, 0, 0, KNOB_HTCONDOR | KNOB_LOADER,
	  "The names in LOCAL_CONFIG_DIR that are not read." },
	{ "LOCAL_CONFIG_FILE", KNOB_LIST, NULL, NULL, 0, 0, KNOB_HTCONDOR | KNOB_LOADER,
	  "Files read after the LOCAL_CONFIG_DIR files (never a command: a name ending in | is refused)." },
	{ "REQUIRE_LOCAL_CONFIG_FILE", KNOB_BOOL, "true", NULL, 0, 0, KNOB_HTCONDOR | KNOB_LOADER,
	  "Whether a missing LOCAL_CONFIG_FILE is an error." },
	{ "USER_CONFIG_FILE", KNOB_PATH, "user_config", NULL, 0, 0, KNOB_HTCONDOR | KNOB_LOADER,
	  "The user config, read last (never as root); a relative name is under ~/.condor/; -setup writes to it." },

};

static const struct knob_env env_table[] = {
	{ "CONDOR_CONFIG", "The root HTCondor config file (ONLY_ENV: none); else /etc/condor/condor_config, ..." },
	{ "_CONDOR_<NAME>", "Sets knob NAME (any knob above; the prefix in any case), over every config file." },
	{ "AWS_REGION", "The region when neither an option nor a configured ANNEX_DEFAULT_AWS_REGION names one." },
	{ "AWS_DEFAULT_REGION", "The region after AWS_REGION; the AWS profile's region (AWS_CONFIG_FILE) comes after it." },
	{ "AWS_ACCESS_KEY_ID", "Credentials (with AWS_SECRET_ACCESS_KEY) when no key file is named." },
	{ "AWS_SECRET_ACCESS_KEY", "See AWS_ACCESS_KEY_ID." },
	{ "AWS_SESSION_TOKEN", "The session token of temporary credentials (AWS_SECURITY_TOKEN, the older name, too)." },
	{ "AWS_SECURITY_TOKEN", "See AWS_SESSION_TOKEN." },
	{ "AWS_PROFILE", "The profile of the shared files, for credentials and the region (else AWS_DEFAULT_PROFILE, else default)." },
	{ "AWS_DEFAULT_PROFILE", "See AWS_PROFILE." },
	{ "AWS_SHARED_CREDENTIALS_FILE", "The shared credentials file (else ~/.aws/credentials)." },
	{ "AWS_CONFIG_FILE", "The shared config file (else ~/.aws/config): credentials, and the profile's region." },
	{ "AWS_EC2_METADATA_DISABLED", "true: never ask the instance metadata service for credentials." },
	{ "AWS_EC2_METADATA_SERVICE_ENDPOINT", "The instance metadata service (else http://169.254.169.254)." },
	{ "AWS_ENDPOINT_URL", "One endpoint for every service; an option or AWS_ENDPOINT_URL_<SERVICE> wins, and it wins over the URL knobs." },
	{ "AWS_ENDPOINT_URL_<SERVICE>", "The endpoint of one service: EC2, S3, IAM, STS, LAMBDA, EVENTBRIDGE, SSM, PRICING." },
	{ "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true: ignore the AWS_ENDPOINT_URL variables." },
	{ "AWS_CA_BUNDLE", "A CA bundle to verify AWS's TLS certificates with, instead of the system's." },
	{ "HOME", "Where ~/.aws/ is (and what a leading ~/ in the AWS_* file variables means)." },
	{ "PATH", "Where condor_status and condor_off are looked up." },
	{ "XDG_RUNTIME_DIR", "Where -reap's lock file (when ANNEX_REAP_LOCK_FILE is not set) and the per-annex locks go (used only when the directory is the user's and not writable by others; else ~/.condor/annex)." },
};

#define N_KNOBS (sizeof knob_table / sizeof knob_table[0])
#define N_ENV (sizeof env_table / sizeof env_table[0])

size_t knobs_count(void) { return N_KNOBS; }
const struct knob_def *knobs_at(size_t i) { return i < N_KNOBS ? &knob_table[i] : NULL; }
size_t knobs_env_count(void) { return N_ENV; }
const struct knob_env *knobs_env_at(size_t i) { return i < N_ENV ? &env_table[i] : NULL; }

const char *knobs_type_name(enum knob_type t)
{
	switch (t) {
	case KNOB_STRING: return "string";
	case KNOB_INT: return "int";
	case KNOB_BOOL: return "bool";
	case KNOB_DURATION: return "duration";
	case KNOB_PATH: return "path";
	case KNOB_URL: return "url";
	case KNOB_LIST: return "list";
	}
	return "?";
}

const struct knob_def *knobs_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < N_KNOBS; i++)
		if (strcasecmp(knob_table[i].name, name) == 0)
			return &knob_table[i];
	return NULL;
}

const struct knob_def *knobs_require(const char *name)
{
	const struct knob_def *k = knobs_find(name);

	if (!k) {
		fflush(stdout);
		fprintf(stderr, "annex: Internal error: knob %s is not in the registry (src/knobs.c)\n",
			name ? name : "(null)");
		abort();
	}
	return k;
}

static const struct knob_def *knobs_lookup_or_err(const char *name, struct annex_err *err)
{
	const struct knob_def *k = knobs_find(name);

	if (!k)
		annex_err_set(err, "Internal", "knob %s is not in the registry (src/knobs.c)", name ? name : "(null)");
	return k;
}

/* The bare environment variable of a KNOB_ENV knob, when set and not empty. */
static const char *knobs_env_value(const struct knob_def *k)
{
	const char *v;

	if (!(k->flags & KNOB_ENV))
		return NULL;
	v = getenv(k->name);
	return v && *v ? v : NULL;
}

enum knob_origin { ORIGIN_NONE, ORIGIN_ENV, ORIGIN_CONFIG, ORIGIN_DEFAULT };

/* The value in effect and where it comes from (see knobs.h). */
static int knobs_lookup(const struct annex_config *cfg, const struct knob_def *k, char **value,
			enum knob_origin *origin, struct annex_err *err)
{
	const char *env = knobs_env_value(k);
	int rc;

	*value = NULL;
	*origin = ORIGIN_NONE;
	if (env) {
		*value = xstrdup(env);
		*origin = ORIGIN_ENV;
		return 1;
	}
	if (!(k->flags & (KNOB_CONFIGURED_ONLY | KNOB_ANNEX_DEFAULT)) || config_is_configured(cfg, k->name)) {
		rc = config_get(cfg, k->name, value, err);
		if (rc != 0) {
			if (rc > 0)
				*origin = ORIGIN_CONFIG;
			return rc;
		}
	}
	if (k->def && (!(k->flags & KNOB_HTCONDOR) || (k->flags & KNOB_ANNEX_DEFAULT))) {
		*value = xstrdup(k->def);
		*origin = ORIGIN_DEFAULT;
		return 1;
	}
	return 0;
}

int knobs_get_str(const struct annex_config *cfg, const char *name, char **value, struct annex_err *err)
{
	const struct knob_def *k = knobs_lookup_or_err(name, err);
	enum knob_origin origin;
	char *v = NULL;
	int rc;

	if (value)
		*value = NULL;
	if (!k)
		return -1;
	rc = knobs_lookup(cfg, k, &v, &origin, err);
	if (value)
		*value = v;
	else
		free(v);
	return rc;
}

int knobs_is_configured(const struct annex_config *cfg, const char *name)
{
	const struct knob_def *k = knobs_require(name);

	return knobs_env_value(k) != NULL || config_is_configured(cfg, k->name);
}

char *knobs_source(const struct annex_config *cfg, const char *name)
{
	const struct knob_def *k = knobs_require(name);
	struct annex_err e;
	enum knob_origin origin;
	char *v = NULL, *src = NULL;

	annex_err_clear(&e);
	if (knobs_lookup(cfg, k, &v, &origin, &e) < 0) {
		/* set, but its expansion fails: still say where */
		const char *s = config_source(cfg, k->name);
		return s ? xstrdup(s) : NULL;
	}
	free(v);
	switch (origin) {
	case ORIGIN_ENV: src = xasprintf("environment (%s)", k->name); break;
	case ORIGIN_CONFIG: src = xstrdup(config_source(cfg, k->name) ? config_source(cfg, k->name) : "?"); break;
	case ORIGIN_DEFAULT: src = xstrdup("annex default"); break;
	case ORIGIN_NONE: break;
	}
	return src;
}

/* "from FILE:LINE" and the like, for messages; a new string. */
static char *knobs_where(const struct annex_config *cfg, const struct knob_def *k, enum knob_origin origin)
{
	const char *s;

	switch (origin) {
	case ORIGIN_ENV: return xasprintf("set by the environment variable %s", k->name);
	case ORIGIN_DEFAULT: return xstrdup("annex's default");
	case ORIGIN_CONFIG:
		s = config_source(cfg, k->name);
		if (s && strcmp(s, "<Default>") == 0)
			return xstrdup("HTCondor's default");
		return xasprintf("from %s", s ? s : "the configuration");
	case ORIGIN_NONE: break;
	}
	return xstrdup("not set");
}

/* A whole decimal number, blanks around it allowed. */
static int knobs_parse_long(const char *s, long *out)
{
	char *end;
	long n;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return -1;
	*out = n;
	return 0;
}

int knobs_get_long(const struct annex_config *cfg, const char *name, long *out, struct annex_err *err)
{
	const struct knob_def *k = knobs_lookup_or_err(name, err);
	enum knob_origin origin;
	char *v = NULL, *where;
	long n = 0;
	int rc, ok;

	if (!k)
		return -1;
	if (k->type != KNOB_INT && k->type != KNOB_DURATION)
		return annex_err_set(err, "Internal", "knob %s is a %s, not a number", k->name,
				     knobs_type_name(k->type));
	rc = knobs_lookup(cfg, k, &v, &origin, err);
	if (rc <= 0)
		return rc;
	ok = knobs_parse_long(v, &n) == 0;
	if (!ok && origin == ORIGIN_CONFIG) {
		/* HTCondor takes simple arithmetic ($(HOUR) * 2) for a number */
		long long ll;
		struct annex_err e;
		annex_err_clear(&e);
		if (config_get_int(cfg, k->name, &ll, &e) == 1 && ll >= LONG_MIN && ll <= LONG_MAX) {
			n = (long)ll;
			ok = 1;
		}
	}
	if (ok && (k->min != 0 || k->max != 0) && (n < k->min || n > k->max))
		ok = 0;
	if (!ok) {
		where = knobs_where(cfg, k, origin);
		if (k->min != 0 || k->max != 0)
			annex_err_set(err, "Config", "%s = '%s' (%s): want a whole number from %ld to %ld%s%s", k->name,
				      v, where, k->min, k->max, k->unit ? " " : "", k->unit ? k->unit : "");
		else
			annex_err_set(err, "Config", "%s = '%s' (%s): want a whole number%s%s", k->name, v, where,
				      k->unit ? " of " : "", k->unit ? k->unit : "");
		free(where);
		free(v);
		return -1;
	}
	free(v);
	*out = n;
	return 1;
}

int knobs_get_bool(const struct annex_config *cfg, const char *name, int *out, struct annex_err *err)
{
	const struct knob_def *k = knobs_lookup_or_err(name, err);
	enum knob_origin origin;
	char *v = NULL, *where;
	int rc, b = -1;

	if (!k)
		return -1;
	if (k->type != KNOB_BOOL)
		return annex_err_set(err, "Internal", "knob %s is a %s, not a boolean", k->name,
				     knobs_type_name(k->type));
	rc = knobs_lookup(cfg, k, &v, &origin, err);
	if (rc <= 0)
		return rc;
	if (origin == ORIGIN_CONFIG) {
		struct annex_err e;
		annex_err_clear(&e);
		if (config_get_bool(cfg, k->name, &b, &e) != 1)
			b = -1;
	} else {
		long n;
		char *s = v;
		while (isspace((unsigned char)*s))
			s++;
		size_t len = strlen(s);
		while (len && isspace((unsigned char)s[len - 1]))
			s[--len] = 0;
		if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "t"))
			b = 1;
		else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "f"))
			b = 0;
		else if (knobs_parse_long(s, &n) == 0)
			b = n != 0;
	}
	if (b < 0) {
		where = knobs_where(cfg, k, origin);
		annex_err_set(err, "Config", "%s = '%s' (%s): want true or false", k->name, v, where);
		free(where);
		free(v);
		return -1;
	}
	free(v);
	*out = b;
	return 1;
}

char *knobs_summary(const struct knob_def *k)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, knobs_type_name(k->type));
	if (k->min != 0 || k->max != 0)
		buf_printf(&b, ", %ld to %ld", k->min, k->max);
	if (k->unit)
		buf_printf(&b, " %s", k->unit);
	if (k->def)
		buf_printf(&b, "; default %s%s", k->def, k->flags & KNOB_ANNEX_DEFAULT ? " (annex's, not HTCondor's)" :
			   k->flags & KNOB_HTCONDOR ? " (HTCondor's)" : "");
	else
		buf_puts(&b, "; no default");
	if (k->flags & KNOB_CONFIGURED_ONLY)
		buf_puts(&b, "; counts only when configured");
	if (k->flags & KNOB_ENV)
		buf_printf(&b, "; also $%s, which wins", k->name);
	if (k->flags & KNOB_LOADER)
		buf_puts(&b, "; read while the configuration is read");
	return buf_steal(&b);
}

/* Text in a Markdown table cell: '|' escaped. */
static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

/* A default in a cell: `code`, or a word when none. */
static void md_code(FILE *f, const char *s)
{
	/* a backtick span cannot hold '|' unescaped inside a table */
	fputc('`', f);
	md_cell(f, s);
	fputc('`', f);
}

void knobs_write_markdown(FILE *f)
{
	fputs("# Knobs\n"
	      "\n"
	      "<!-- Generated from the registry in src/knobs.c by `make knobs-doc`; do not edit.\n"
	      "     tests/integration/test_knobs_registry.sh checks that it is current. -->\n"
	      "\n"
	      "Every knob annex reads, from one table (`src/knobs.c`, `include/annex/knobs.h`).\n"
	      "annex reads them through the HTCondor configuration (docs/config.md), so each\n"
	      "can be set in a config file, in the user config (`~/.condor/user_config`), or\n"
	      "in the environment as `_CONDOR_<NAME>`; a region-prefixed name\n"
	      "(`us_east_1.NAME`) or `ANNEX.NAME` wins over the plain one.\n"
	      "`annex -config-val -describe [NAME...]` prints the entries, with the value\n"
	      "annex uses and where it comes from.\n"
	      "\n"
	      "Where a value comes from, first match wins:\n"
	      "\n"
	      "1. for the knobs marked *env*, the environment variable `NAME` itself (they\n"
	      "   were read only from there before; it still wins);\n"
	      "2. the configuration (files, user config, `_CONDOR_NAME`), then HTCondor's\n"
	      "   parameter-table default for HTCondor's own knobs (*HTCondor*), except for\n"
	      "   the knobs marked *configured*, which count only when something sets them;\n"
	      "3. annex's default, for annex's own knobs and for the knobs marked *annex\n"
	      "   default*, whose HTCondor parameter-table default annex replaces.\n"
	      "\n"
	      "A value set but empty counts as not set. Knobs marked *loader* are read by\n"
	      "the configuration reader while it reads the files. A number out of its range\n"
	      "is an error naming the knob and where it was set.\n"
	      "\n"
	      "| name | type | default | unit | notes | meaning |\n"
	      "| --- | --- | --- | --- | --- | --- |\n",
	      f);
	for (size_t i = 0; i < N_KNOBS; i++) {
		const struct knob_def *k = &knob_table[i];
		const char *sep = "";
		fprintf(f, "| `%s` | %s", k->name, knobs_type_name(k->type));
		if (k->min != 0 || k->max != 0)
			fprintf(f, " (%ld to %ld)", k->min, k->max);
		fputs(" | ", f);
		if (k->def)
			md_code(f, k->def);
		else
			fputs("none", f);
		fprintf(f, " | %s | ", k->unit ? k->unit : "");
		if (k->flags & KNOB_HTCONDOR) {
			fprintf(f, "%sHTCondor", sep);
			sep = ", ";
		}
		if (k->flags & KNOB_CONFIGURED_ONLY) {
			fprintf(f, "%sconfigured", sep);
			sep = ", ";
		}
		if (k->flags & KNOB_ANNEX_DEFAULT) {
			fprintf(f, "%sannex default", sep);
			sep = ", ";
		}
		if (k->flags & KNOB_ENV) {
			fprintf(f, "%senv", sep);
			sep = ", ";
		}
		if (k->flags & KNOB_LOADER)
			fprintf(f, "%sloader", sep);
		fputs(" | ", f);
		md_cell(f, k->doc);
		fputs(" |\n", f);
	}
	fputs("\n"
	      "## Environment\n"
	      "\n"
	      "Environment variables annex reads that are not HTCondor knobs: the AWS CLI's\n"
	      "(annex reads them as it does) and a few of the system's. They are read from\n"
	      "the environment only.\n"
	      "\n"
	      "| variable | meaning |\n"
	      "| --- | --- |\n",
	      f);
	for (size_t i = 0; i < N_ENV; i++) {
		fprintf(f, "| `%s` | ", env_table[i].name);
		md_cell(f, env_table[i].doc);
		fputs(" |\n", f);
	}
}
