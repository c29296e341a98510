/* test_knobs.c - unit tests of the knob registry (src/knobs.c): the table
 * itself (types, docs, defaults, names), the typed getters and their range
 * checks, where a value may come from (a config file, _CONDOR_NAME, the
 * bare environment variable of a formerly environment-only knob, the
 * local name), unknown names refused, and the configuration read once per
 * command (session_open, config_set_local_name). */
#include "annex/buf.h"
#include "annex/cli.h"
#include "annex/config.h"
#include "annex/knobs.h"
#include "annex/session.h"
#include "harness.h"

#include <ctype.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[64];

/* Every bare environment variable a knob may be read from, cleared so that
 * the caller's environment does not leak into a test. */
static void clear_env(void)
{
	for (size_t i = 0; i < knobs_count(); i++) {
		char name[128];
		unsetenv(knobs_at(i)->name);
		snprintf(name, sizeof name, "_CONDOR_%s", knobs_at(i)->name);
		unsetenv(name);
	}
}

/* Loads text as the root config (no local files, no user config). */
static struct annex_config *load_text(const char *text, const char *local)
{
	struct config_load_opts o = { 0 };
	struct annex_config *cfg = NULL;
	struct annex_err err;

	o.root_text = text;
	o.root_name = "/knobtest/test.conf";
	o.local_name = local;
	o.skip_user_config = 1;
	o.skip_local_config = 1;
	annex_err_clear(&err);
	if (config_load(&cfg, &o, &err) < 0) {
		fprintf(stderr, "load: %s\n", err.msg);
		return NULL;
	}
	return cfg;
}

/* knobs_get_str as a string: the value, "<unset>" or "<error CODE: msg>". */
static const char *str(const struct annex_config *cfg, const char *name)
{
	static char out[2048];
	struct annex_err err;
	char *v = NULL;
	int rc;

	annex_err_clear(&err);
	rc = knobs_get_str(cfg, name, &v, &err);
	if (rc < 0)
		snprintf(out, sizeof out, "<error %s: %s>", err.code, err.msg);
	else if (rc == 0)
		snprintf(out, sizeof out, "<unset>");
	else
		snprintf(out, sizeof out, "%s", v);
	free(v);
	return out;
}

/* knobs_get_long: the number, "<unset>" or "<error CODE: msg>". */
static const char *num(const struct annex_config *cfg, const char *name)
{
	static char out[2048];
	struct annex_err err;
	long n = -12345;
	int rc;

	annex_err_clear(&err);
	rc = knobs_get_long(cfg, name, &n, &err);
	if (rc < 0)
		snprintf(out, sizeof out, "<error %s: %s>", err.code, err.msg);
	else if (rc == 0)
		snprintf(out, sizeof out, "<unset>");
	else
		snprintf(out, sizeof out, "%ld", n);
	return out;
}

static const char *src(const struct annex_config *cfg, const char *name)
{
	static char out[512];
	char *s = knobs_source(cfg, name);

	snprintf(out, sizeof out, "%s", s ? s : "<none>");
	free(s);
	return out;
}

#define CHECK_HAS(hay, needle) do { const char *h_ = (hay), *n_ = (needle); \
	if (!strstr(h_, n_)) harness_fail_(__FILE__, __LINE__, "\"%s\" lacks \"%s\"", h_, n_); } while (0)

/* ---- the table ---- */

static int valid_name(const char *s)
{
	if (!isupper((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static void t_table_well_formed(void)
{
	CHECK(knobs_count() >= 30);
	for (size_t i = 0; i < knobs_count(); i++) {
		const struct knob_def *k = knobs_at(i);
		if (!valid_name(k->name))
			harness_fail_(__FILE__, __LINE__, "knob name %s is not an HTCondor-style name", k->name);
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(knobs_at(j)->name, k->name) == 0)
				harness_fail_(__FILE__, __LINE__, "knob %s is listed twice", k->name);
		if (!k->doc || strlen(k->doc) < 20 || strchr(k->doc, '\n') || k->doc[strlen(k->doc) - 1] != '.')
			harness_fail_(__FILE__, __LINE__, "knob %s: doc must be one sentence line", k->name);
		if (strcmp(knobs_type_name(k->type), "?") == 0)
			harness_fail_(__FILE__, __LINE__, "knob %s: no type", k->name);
		if (k->min > k->max)
			harness_fail_(__FILE__, __LINE__, "knob %s: min > max", k->name);
		if ((k->min || k->max) && k->type != KNOB_INT && k->type != KNOB_DURATION)
			harness_fail_(__FILE__, __LINE__, "knob %s: a range on a non-number", k->name);
		if ((k->type == KNOB_INT || k->type == KNOB_DURATION) && !k->unit)
			harness_fail_(__FILE__, __LINE__, "knob %s: a number needs a unit", k->name);
		if (k->type == KNOB_DURATION && strcmp(k->unit, "seconds") != 0)
			harness_fail_(__FILE__, __LINE__, "knob %s: a duration is in seconds", k->name);
		if (k->def && (k->type == KNOB_INT || k->type == KNOB_DURATION)) {
			char *end;
			long n = strtol(k->def, &end, 10);
			if (*end || ((k->min || k->max) && (n < k->min || n > k->max)))
				harness_fail_(__FILE__, __LINE__, "knob %s: default %s is not a number in range",
					      k->name, k->def);
		}
		if (k->def && k->type == KNOB_BOOL && strcmp(k->def, "true") && strcmp(k->def, "false"))
			harness_fail_(__FILE__, __LINE__, "knob %s: default of a bool", k->name);
		if ((k->flags & KNOB_ENV) && strncmp(k->name, "ANNEX_", 6) != 0)
			harness_fail_(__FILE__, __LINE__, "knob %s: only annex's knobs keep a bare env name", k->name);
		CHECK(knobs_find(k->name) == k);
	}
	CHECK(knobs_find("annex_max_attempts") == knobs_find("ANNEX_MAX_ATTEMPTS"));
	CHECK(knobs_find("ANNEX_NO_SUCH_KNOB") == NULL);
	CHECK(knobs_find(NULL) == NULL);
	CHECK(knobs_at(knobs_count()) == NULL);

	CHECK(knobs_env_count() >= 10);
	for (size_t i = 0; i < knobs_env_count(); i++) {
		const struct knob_env *e = knobs_env_at(i);
		if (knobs_find(e->name))
			harness_fail_(__FILE__, __LINE__, "%s is both a knob and an environment variable", e->name);
		if (!e->doc || !*e->doc || strchr(e->doc, '\n'))
			harness_fail_(__FILE__, __LINE__, "environment %s: doc", e->name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(knobs_env_at(j)->name, e->name) == 0)
				harness_fail_(__FILE__, __LINE__, "environment %s listed twice", e->name);
	}
}

/* The knobs the brief and SPEC.md section 3 name are there, with their
 * defaults and ranges. */
static void t_table_holds_the_known_knobs(void)
{
	static const char *const must[] = {
		"COLLECTOR_HOST", "SEC_PASSWORD_FILE", "ANNEX_COLLECTOR_ADDRESS", "ANNEX_DEFAULT_AWS_REGION",
		"ANNEX_DEFAULT_EC2_URL", "ANNEX_DEFAULT_S3_URL", "ANNEX_DEFAULT_LAMBDA_URL", "ANNEX_DEFAULT_CWE_URL",
		"ANNEX_DEFAULT_ACCESS_KEY_FILE", "ANNEX_DEFAULT_SECRET_KEY_FILE", "ANNEX_DEFAULT_S3_BUCKET",
		"ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN", "ANNEX_DEFAULT_ODI_LEASE_FUNCTION_ARN",
		"ANNEX_DEFAULT_SFR_LEASE_FUNCTION_ARN", "ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN",
		"ANNEX_DEFAULT_ODI_SECURITY_GROUP_IDS", "ANNEX_DEFAULT_ODI_KEY_NAME", "ANNEX_DEFAULT_ODI_IMAGE_ID",
		"ANNEX_DEFAULT_ODI_INSTANCE_TYPE", "ANNEX_DEFAULT_LEASE_DURATION", "ANNEX_DEFAULT_UNCLAIMED_TIMEOUT",
		"ANNEX_CONDOR_STATUS", "ANNEX_CONDOR_OFF", "ANNEX_STATUS_PAGE_SIZE", "ANNEX_REAP_JOIN_GRACE",
		"ANNEX_REAP_LOCK_FILE", "ANNEX_REAP_LOCK_WAIT", "ANNEX_MAX_ATTEMPTS", "ANNEX_RETRY_BASE_MS",
		"ANNEX_RETRY_CAP_MS", "ANNEX_IAM_WAIT_S", "USER_CONFIG_FILE", "LOCAL_CONFIG_DIR",
	};
	for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
		if (!knobs_find(must[i]))
			harness_fail_(__FILE__, __LINE__, "%s is not in the registry", must[i]);

	const struct knob_def *k = knobs_find("ANNEX_MAX_ATTEMPTS");
	CHECK(k && k->type == KNOB_INT && k->min == 1 && k->max == 100 && strcmp(k->def, "5") == 0 &&
	      (k->flags & KNOB_ENV));
	k = knobs_find("ANNEX_RETRY_BASE_MS");
	CHECK(k && strcmp(k->def, "200") == 0 && strcmp(k->unit, "ms") == 0);
	k = knobs_find("ANNEX_RETRY_CAP_MS");
	CHECK(k && strcmp(k->def, "20000") == 0);
	k = knobs_find("ANNEX_IAM_WAIT_S");
	CHECK(k && k->type == KNOB_DURATION && strcmp(k->def, "120") == 0);
	CHECK(knobs_env_at(0) != NULL);
	int have_region = 0;
	for (size_t i = 0; i < knobs_env_count(); i++)
		have_region |= strcmp(knobs_env_at(i)->name, "AWS_REGION") == 0;
	CHECK(have_region);
}

/* The defaults the registry shows for HTCondor's knobs are HTCondor's (the
 * parameter table the configuration applies); annex's own knobs have none
 * there, so the registry's is the only one. */
static void t_defaults_agree_with_htcondor(void)
{
	struct annex_config *cfg;

	clear_env();
	cfg = load_text("", NULL);
	CHECK(cfg != NULL);
	if (!cfg)
		return;
	for (size_t i = 0; i < knobs_count(); i++) {
		const struct knob_def *k = knobs_at(i);
		struct annex_err err;
		char *table = NULL, *mine = NULL;
		int rc;
		annex_err_clear(&err);
		rc = config_get(cfg, k->name, &table, &err);
		if (k->flags & KNOB_ANNEX_DEFAULT) {
			/* annex replaces the table's default: there is one, and it differs */
			if (!(k->flags & KNOB_HTCONDOR) || !k->def || rc != 1 || strcmp(k->def, table) == 0)
				harness_fail_(__FILE__, __LINE__, "%s: annex default %s, HTCondor's '%s'", k->name,
					      k->def ? k->def : "none", rc == 1 ? table : "none");
		} else if (k->flags & KNOB_HTCONDOR) {
			if (k->def) {
				CHECK(config_expand(cfg, k->def, &mine, &err) == 0);
				if (strcmp(mine ? mine : "", rc == 1 ? table : ""))
					harness_fail_(__FILE__, __LINE__, "%s: registry default %s is '%s', HTCondor's '%s'",
						      k->name, k->def, mine ? mine : "", rc == 1 ? table : "");
			} else if (rc != 0) {
				harness_fail_(__FILE__, __LINE__, "%s: HTCondor has a default (%s), the registry none",
					      k->name, table);
			}
		} else if (rc != 0) {
			harness_fail_(__FILE__, __LINE__, "%s: annex's own knob has a parameter-table default '%s'",
				      k->name, table);
		}
		free(table);
		free(mine);
	}
	config_free(cfg);
}

/* ---- the getters ---- */

static void t_defaults_when_unset(void)
{
	clear_env();
	struct annex_config *cfg = load_text("", NULL);
	CHECK_STR(num(cfg, "ANNEX_MAX_ATTEMPTS"), "5");
	CHECK_STR(num(cfg, "ANNEX_RETRY_BASE_MS"), "200");
	CHECK_STR(num(cfg, "ANNEX_RETRY_CAP_MS"), "20000");
	CHECK_STR(num(cfg, "ANNEX_IAM_WAIT_S"), "120");
	CHECK_STR(num(cfg, "ANNEX_STATUS_PAGE_SIZE"), "1000");
	CHECK_STR(num(cfg, "ANNEX_REAP_LOCK_WAIT"), "60");
	CHECK_STR(num(cfg, "ANNEX_DEFAULT_LEASE_DURATION"), "3000");
	CHECK_STR(src(cfg, "ANNEX_MAX_ATTEMPTS"), "annex default");
	CHECK_STR(src(cfg, "ANNEX_DEFAULT_LEASE_DURATION"), "<Default>");
	CHECK_STR(str(cfg, "ANNEX_CONDOR_OFF"), "condor_off");
	/* annex's Nitro default, not condor_annex's table default m4.large */
	CHECK_STR(str(cfg, "ANNEX_DEFAULT_ODI_INSTANCE_TYPE"), "m6i.large");
	CHECK_STR(src(cfg, "ANNEX_DEFAULT_ODI_INSTANCE_TYPE"), "annex default");
	config_free(cfg);
	/* ... while a configured type, even condor_annex's, is honoured */
	cfg = load_text("ANNEX_DEFAULT_ODI_INSTANCE_TYPE = m4.large\n", NULL);
	CHECK_STR(str(cfg, "ANNEX_DEFAULT_ODI_INSTANCE_TYPE"), "m4.large");
	config_free(cfg);
	cfg = load_text("", NULL);
	CHECK_STR(str(cfg, "ANNEX_DEFAULT_S3_BUCKET"), "<unset>");
	CHECK_STR(src(cfg, "ANNEX_DEFAULT_S3_BUCKET"), "<none>");
	CHECK_STR(str(cfg, "ANNEX_CONDOR_STATUS"), "<unset>");
	/* configured-only: HTCondor's table default never counts */
	CHECK_STR(str(cfg, "ANNEX_DEFAULT_EC2_URL"), "<unset>");
	CHECK_STR(str(cfg, "ANNEX_DEFAULT_AWS_REGION"), "<unset>");
	CHECK(!knobs_is_configured(cfg, "ANNEX_DEFAULT_AWS_REGION"));
	int b = -1;
	struct annex_err err;
	CHECK_INT(knobs_get_bool(cfg, "REQUIRE_LOCAL_CONFIG_FILE", &b, &err), 1);
	CHECK_INT(b, 1);
	config_free(cfg);
}

static void t_ranges_and_types(void)
{
	struct annex_config *cfg;

	clear_env();
	cfg = load_text("ANNEX_MAX_ATTEMPTS = 0\n"
			"ANNEX_RETRY_BASE_MS = 250ms\n"
			"ANNEX_RETRY_CAP_MS = 3600001\n"
			"ANNEX_STATUS_PAGE_SIZE = 4\n"
			"ANNEX_IAM_WAIT_S = 2 * 30\n"
			"ANNEX_REAP_LOCK_WAIT = -1\n"
			"REQUIRE_LOCAL_CONFIG_FILE = maybe\n", NULL);
	const char *e = num(cfg, "ANNEX_MAX_ATTEMPTS");
	CHECK_HAS(e, "<error Config: ANNEX_MAX_ATTEMPTS = '0' (from /knobtest/test.conf:1)");
	CHECK_HAS(e, "from 1 to 100");
	e = num(cfg, "ANNEX_RETRY_BASE_MS");
	CHECK_HAS(e, "<error Config: ANNEX_RETRY_BASE_MS = '250ms' (from /knobtest/test.conf:2)");
	CHECK_HAS(num(cfg, "ANNEX_RETRY_CAP_MS"), "from 0 to 3600000 ms");
	CHECK_HAS(num(cfg, "ANNEX_STATUS_PAGE_SIZE"), "ANNEX_STATUS_PAGE_SIZE = '4' (from /knobtest/test.conf:4)");
	CHECK_STR(num(cfg, "ANNEX_IAM_WAIT_S"), "60");   /* HTCondor's arithmetic */
	CHECK_HAS(num(cfg, "ANNEX_REAP_LOCK_WAIT"), "<error Config: ANNEX_REAP_LOCK_WAIT = '-1'");
	int b = -1;
	struct annex_err err;
	annex_err_clear(&err);
	CHECK_INT(knobs_get_bool(cfg, "REQUIRE_LOCAL_CONFIG_FILE", &b, &err), -1);
	CHECK_HAS(err.msg, "REQUIRE_LOCAL_CONFIG_FILE = 'maybe' (from /knobtest/test.conf:7): want true or false");
	/* the string getter does not judge the value */
	CHECK_STR(str(cfg, "ANNEX_MAX_ATTEMPTS"), "0");
	/* a getter of the wrong type is a programming error */
	long n;
	annex_err_clear(&err);
	CHECK_INT(knobs_get_long(cfg, "ANNEX_DEFAULT_S3_BUCKET", &n, &err), -1);
	CHECK_STR(err.code, "Internal");
	annex_err_clear(&err);
	CHECK_INT(knobs_get_bool(cfg, "ANNEX_MAX_ATTEMPTS", &b, &err), -1);
	CHECK_STR(err.code, "Internal");
	config_free(cfg);

	/* the edges are accepted */
	cfg = load_text("ANNEX_MAX_ATTEMPTS = 100\nANNEX_STATUS_PAGE_SIZE = 5\nANNEX_RETRY_BASE_MS = 0\n", NULL);
	CHECK_STR(num(cfg, "ANNEX_MAX_ATTEMPTS"), "100");
	CHECK_STR(num(cfg, "ANNEX_STATUS_PAGE_SIZE"), "5");
	CHECK_STR(num(cfg, "ANNEX_RETRY_BASE_MS"), "0");
	config_free(cfg);

	/* a bad value from the bare environment names it */
	setenv("ANNEX_MAX_ATTEMPTS", "101", 1);
	cfg = load_text("", NULL);
	CHECK_HAS(num(cfg, "ANNEX_MAX_ATTEMPTS"), "ANNEX_MAX_ATTEMPTS = '101' (set by the environment variable "
		  "ANNEX_MAX_ATTEMPTS): want a whole number from 1 to 100");
	config_free(cfg);
	unsetenv("ANNEX_MAX_ATTEMPTS");
}

/* A formerly environment-only knob is set by a config file, by
 * _CONDOR_NAME and by the local name too; its bare variable still wins. */
static void t_env_only_knobs_read_through_config(void)
{
	struct annex_config *cfg;
	const char *text = "ANNEX_IAM_WAIT_S = 30\nANNEX_CONDOR_STATUS = /opt/condor/bin/condor_status\n"
			   "ANNEX_RETRY_CAP_MS = 1000\nus_west_2.ANNEX_RETRY_CAP_MS = 2000\n";

	clear_env();
	cfg = load_text(text, NULL);
	CHECK_STR(num(cfg, "ANNEX_IAM_WAIT_S"), "30");
	CHECK_STR(src(cfg, "ANNEX_IAM_WAIT_S"), "/knobtest/test.conf:1");
	CHECK(knobs_is_configured(cfg, "ANNEX_IAM_WAIT_S"));
	CHECK_STR(str(cfg, "ANNEX_CONDOR_STATUS"), "/opt/condor/bin/condor_status");
	CHECK_STR(num(cfg, "ANNEX_RETRY_CAP_MS"), "1000");
	config_free(cfg);

	cfg = load_text(text, "us_west_2");
	CHECK_STR(num(cfg, "ANNEX_RETRY_CAP_MS"), "2000");
	config_free(cfg);

	setenv("_CONDOR_ANNEX_IAM_WAIT_S", "40", 1);
	setenv("_condor_ANNEX_MAX_ATTEMPTS", "3", 1);
	cfg = load_text(text, NULL);
	CHECK_STR(num(cfg, "ANNEX_IAM_WAIT_S"), "40");
	CHECK_STR(src(cfg, "ANNEX_IAM_WAIT_S"), "environment (_CONDOR_ANNEX_IAM_WAIT_S)");
	CHECK_STR(num(cfg, "ANNEX_MAX_ATTEMPTS"), "3");
	config_free(cfg);

	setenv("ANNEX_IAM_WAIT_S", "50", 1);
	cfg = load_text(text, NULL);
	CHECK_STR(num(cfg, "ANNEX_IAM_WAIT_S"), "50");
	CHECK_STR(src(cfg, "ANNEX_IAM_WAIT_S"), "environment (ANNEX_IAM_WAIT_S)");
	config_free(cfg);
	setenv("ANNEX_IAM_WAIT_S", "", 1);   /* empty: not set */
	cfg = load_text(text, NULL);
	CHECK_STR(num(cfg, "ANNEX_IAM_WAIT_S"), "40");
	config_free(cfg);

	/* a knob that never was environment-only has no bare variable */
	setenv("ANNEX_DEFAULT_S3_BUCKET", "from-env", 1);
	cfg = load_text("", NULL);
	CHECK_STR(str(cfg, "ANNEX_DEFAULT_S3_BUCKET"), "<unset>");
	config_free(cfg);
	unsetenv("ANNEX_DEFAULT_S3_BUCKET");
	clear_env();
	unsetenv("_condor_ANNEX_MAX_ATTEMPTS");
}

static void t_empty_means_unset(void)
{
	clear_env();
	struct annex_config *cfg = load_text("ANNEX_STATUS_PAGE_SIZE =\nSEC_PASSWORD_FILE =\n", NULL);
	/* annex's own knob: its default */
	CHECK_STR(num(cfg, "ANNEX_STATUS_PAGE_SIZE"), "1000");
	/* HTCondor's: an empty definition is "not defined", as in HTCondor */
	CHECK_STR(str(cfg, "SEC_PASSWORD_FILE"), "<unset>");
	config_free(cfg);
}

/* An unknown name is refused: an Internal error, or abort() where the
 * caller has no err (session_knob_or_null). */
static void t_unknown_name_refused(void)
{
	struct annex_config *cfg = load_text("ANNEX_NOT_A_KNOB = 1\n", NULL);
	struct annex_err err;
	char *v = NULL;
	long n;

	annex_err_clear(&err);
	CHECK_INT(knobs_get_str(cfg, "ANNEX_NOT_A_KNOB", &v, &err), -1);
	CHECK(v == NULL);
	CHECK_STR(err.code, "Internal");
	CHECK_HAS(err.msg, "ANNEX_NOT_A_KNOB is not in the registry");
	annex_err_clear(&err);
	CHECK_INT(knobs_get_long(cfg, "ANNEX_NOT_A_KNOB", &n, &err), -1);
	CHECK_STR(err.code, "Internal");

	struct annex_session s;
	memset(&s, 0, sizeof s);
	s.cfg = cfg;
	annex_err_clear(&err);
	CHECK_INT(session_knob(&s, "ANNEX_NOT_A_KNOB", &v, &err), -1);
	CHECK_STR(err.code, "Internal");

	int p[2];
	CHECK(pipe(p) == 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		char *x = session_knob_or_null(&s, "ANNEX_NOT_A_KNOB");
		(void)x;
		_exit(0);   /* not reached */
	}
	close(p[1]);
	char buf[512] = "";
	ssize_t got = read(p[0], buf, sizeof buf - 1);
	buf[got > 0 ? got : 0] = 0;
	close(p[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	CHECK_HAS(buf, "annex: Internal error: knob ANNEX_NOT_A_KNOB is not in the registry");
	config_free(cfg);
}

static void t_summary_and_markdown(void)
{
	char *s = knobs_summary(knobs_find("ANNEX_MAX_ATTEMPTS"));
	CHECK_STR(s, "int, 1 to 100 attempts; default 5; also $ANNEX_MAX_ATTEMPTS, which wins");
	free(s);
	s = knobs_summary(knobs_find("ANNEX_DEFAULT_EC2_URL"));
	CHECK_STR(s, "url; default https://ec2.us-east-1.amazonaws.com (HTCondor's); counts only when configured");
	free(s);

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	knobs_write_markdown(f);
	fclose(f);
	for (size_t i = 0; i < knobs_count(); i++) {
		char row[160];
		snprintf(row, sizeof row, "\n| `%s` |", knobs_at(i)->name);
		if (!strstr(text, row))
			harness_fail_(__FILE__, __LINE__, "docs lack a row for %s", knobs_at(i)->name);
	}
	for (size_t i = 0; i < knobs_env_count(); i++) {
		char row[160];
		snprintf(row, sizeof row, "\n| `%s` |", knobs_env_at(i)->name);
		if (!strstr(text, row))
			harness_fail_(__FILE__, __LINE__, "docs lack a row for %s", knobs_env_at(i)->name);
	}
	/* a '|' in a cell (the exclude regexp's default) is escaped */
	CHECK_HAS(text, "(.*\\.pl)\\|(.*\\.py)");
	free(text);
}

/* ---- the configuration read once ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* config_load without a local name + config_set_local_name gives what
 * config_load with it gives, reading the sources again only when needed. */
static void t_set_local_name_reads_once_when_it_can(void)
{
	static const struct {
		const char *text;
		unsigned reads;     /* config_reads after config_set_local_name */
	} cases[] = {
		{ "X = plain\nANNEX.X = annex\nus_east_1.X = local\nY = $(X)\n", 1 },
		{ "X = 1\nus_east_1.B = arn:aws:b\nB = plain\n", 1 },
		/* a self-reference inside us_east_1.L is expanded while reading */
		{ "L = x\nus_east_1.L = $(L) y\n", 2 },
		/* an include names a knob the local name changes */
		{ "D = /nonexistent\nus_east_1.D = /nonexistent2\ninclude ifexist : $(D)/x.conf\nX = 1\n", 2 },
		/* an if looks at LOCALNAME */
		{ "if defined LOCALNAME\nX = with\nelse\nX = without\nendif\n", 2 },
		/* an if looks at a knob the local name changes */
		{ "us_east_1.F = true\nif $(F)\nX = yes\nelse\nX = no\nendif\n", 2 },
		{ "if defined G\nX = yes\nelse\nX = no\nendif\nus_east_1.G = 1\n", 2 },
	};
	static const char *const names[] = { "X", "Y", "B", "L", "D", "LOCALNAME", "SUBSYSTEM" };

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct annex_config *once = load_text(cases[i].text, NULL);
		struct annex_config *direct = load_text(cases[i].text, "us_east_1");
		struct annex_err err;
		CHECK(once && direct);
		if (!once || !direct)
			continue;
		CHECK_INT(config_reads(once), 1);
		annex_err_clear(&err);
		CHECK(config_set_local_name(once, "us_east_1", &err) == 0);
		if (config_reads(once) != cases[i].reads)
			harness_fail_(__FILE__, __LINE__, "case %zu: read %u times, want %u", i, config_reads(once),
				      cases[i].reads);
		for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
			char *a = NULL, *b = NULL;
			int ra = config_get(once, names[n], &a, &err), rb = config_get(direct, names[n], &b, &err);
			if (ra != rb || (ra == 1 && strcmp(a, b) != 0))
				harness_fail_(__FILE__, __LINE__, "case %zu: %s is '%s' after set_local_name, '%s' "
					      "when loaded with it", i, names[n], ra == 1 ? a : "<unset>",
					      rb == 1 ? b : "<unset>");
			free(a);
			free(b);
		}
		config_free(once);
		config_free(direct);
	}
}

/* A command reads the configuration once: session_open with the region
 * from the configuration, or from -aws-region. */
static void t_session_reads_config_once(void)
{
	char path[128], inc[128];
	struct annex_opts o;
	struct annex_session s;
	struct annex_err err;

	clear_env();
	snprintf(path, sizeof path, "%s/condor_config", tmpdir);
	write_file(path, "ANNEX_DEFAULT_AWS_REGION = eu-west-1\n"
			 "ANNEX_DEFAULT_S3_BUCKET = plain\n"
			 "eu_west_1.ANNEX_DEFAULT_S3_BUCKET = in-eu\n"
			 "us_east_2.ANNEX_DEFAULT_S3_BUCKET = in-us\n"
			 "eu_west_1.ANNEX_IAM_WAIT_S = 7\n"
			 "USER_CONFIG_FILE = /nonexistent/user_config\n");
	setenv("CONDOR_CONFIG", path, 1);

	memset(&o, 0, sizeof o);
	annex_err_clear(&err);
	CHECK(session_open(&s, &o, &err) == 0);
	CHECK_STR(s.region, "eu-west-1");
	CHECK_STR(s.local_name, "eu_west_1");
	CHECK_INT(config_reads(s.cfg), 1);
	CHECK_STR(str(s.cfg, "ANNEX_DEFAULT_S3_BUCKET"), "in-eu");
	CHECK_STR(num(s.cfg, "ANNEX_IAM_WAIT_S"), "7");
	session_close(&s);

	o.region = "us-east-2";
	CHECK(session_open(&s, &o, &err) == 0);
	CHECK_INT(config_reads(s.cfg), 1);
	CHECK_STR(str(s.cfg, "ANNEX_DEFAULT_S3_BUCKET"), "in-us");
	session_close(&s);

	/* a configuration whose reading depends on the local name is read again */
	snprintf(inc, sizeof inc, "%s/eu_west_1.conf", tmpdir);
	write_file(inc, "ANNEX_DEFAULT_S3_BUCKET = from-include\n");
	char *text = NULL;
	text = xasprintf("ANNEX_DEFAULT_AWS_REGION = eu-west-1\nUSER_CONFIG_FILE = /nonexistent/user_config\n"
			 "include ifexist : %s/$(LOCALNAME).conf\n", tmpdir);
	write_file(path, text);
	free(text);
	o.region = NULL;
	CHECK(session_open(&s, &o, &err) == 0);
	CHECK_INT(config_reads(s.cfg), 2);
	CHECK_STR(str(s.cfg, "ANNEX_DEFAULT_S3_BUCKET"), "from-include");
	session_close(&s);

	/* session_open_config: no region needed */
	write_file(path, "ANNEX_CONDOR_OFF = /usr/local/bin/condor_off\n");
	CHECK(session_open_config(&s, &o, &err) == 0);
	CHECK(s.region == NULL);
	CHECK_STR(str(s.cfg, "ANNEX_CONDOR_OFF"), "/usr/local/bin/condor_off");
	session_close(&s);
	unsetenv("CONDOR_CONFIG");
}

static void setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/annex-knobs-XXXXXX");
	if (!mkdtemp(tmpdir))
		abort();
}

static void t_cleanup(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	CHECK(system(cmd) == 0);
}

static void t_setup(void)
{
	setup();
	CHECK(tmpdir[0] == '/');
}

TESTS(T(t_setup), T(t_table_well_formed), T(t_table_holds_the_known_knobs), T(t_defaults_agree_with_htcondor),
      T(t_defaults_when_unset), T(t_ranges_and_types), T(t_env_only_knobs_read_through_config),
      T(t_empty_means_unset), T(t_unknown_name_refused), T(t_summary_and_markdown),
      T(t_set_local_name_reads_once_when_it_can), T(t_session_reads_config_once), T(t_cleanup))
