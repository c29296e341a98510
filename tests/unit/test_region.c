/* test_region.c - the region's order (session_open, SPEC.md section 3 with
 * the AWS profile's region after AWS_DEFAULT_REGION), the profile's region
 * (creds_profile_region: AWS_PROFILE, AWS_DEFAULT_PROFILE, AWS_CONFIG_FILE,
 * [default] and [profile NAME]) and the regions with a recorded setup
 * (setupregions.h). No network: nothing here connects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "annex/buf.h"
#include "annex/creds.h"
#include "annex/session.h"
#include "annex/setupregions.h"
#include "harness.h"

static char tmpdir[64], condor_config[160], aws_config[160];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

/* A scratch home and condor_config, and none of the variables set. */
static void fresh(const char *condor_text, const char *aws_text)
{
	static const char *vars[] = { "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
				      "AWS_CONFIG_FILE", "_CONDOR_ANNEX_DEFAULT_AWS_REGION" };
	char aws_dir[100], *text;

	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof tmpdir, "/tmp/annex-region-XXXXXX");
		if (!mkdtemp(tmpdir))
			abort();
	}
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	setenv("HOME", tmpdir, 1);
	snprintf(aws_dir, sizeof aws_dir, "%s/.aws", tmpdir);
	mkdir(aws_dir, 0700);
	snprintf(aws_config, sizeof aws_config, "%s/config", aws_dir);
	unlink(aws_config);
	if (aws_text)
		write_file(aws_config, aws_text);
	snprintf(condor_config, sizeof condor_config, "%s/condor_config", tmpdir);
	text = xasprintf("USER_CONFIG_FILE = /nonexistent/user_config\n%s", condor_text ? condor_text : "");
	write_file(condor_config, text);
	free(text);
	setenv("CONDOR_CONFIG", condor_config, 1);
}

/* session_open's region and where it came from, as "REGION|SOURCE". */
static char *resolve(const char *option_region)
{
	static char out[2048];
	struct annex_opts o;
	struct annex_session s;
	struct annex_err err;

	memset(&o, 0, sizeof o);
	o.region = (char *)option_region;
	annex_err_clear(&err);
	if (session_open(&s, &o, &err) != 0)
		snprintf(out, sizeof out, "error: %s", err.msg);
	else
		snprintf(out, sizeof out, "%s|%s|%s", s.region, s.region_source, s.local_name);
	session_close(&s);
	return out;
}

static const char *PROFILES = "[default]\nregion = eu-west-1\n\n"
			      "[profile render]\n# a comment\noutput=json\nREGION=  us-west-2  \n\n"
			      "[render]\nregion = ap-south-1\n";

/* Each source in turn, removed one by one from the top. */
static void t_order(void)
{
	fresh("ANNEX_DEFAULT_AWS_REGION = eu-central-1\n", PROFILES);
	setenv("AWS_REGION", "sa-east-1", 1);
	setenv("AWS_DEFAULT_REGION", "ca-central-1", 1);
	setenv("AWS_PROFILE", "render", 1);
	CHECK_STR(resolve("eu-north-1"), "eu-north-1|-aws-region|eu_north_1");
	CHECK(strncmp(resolve(NULL), "eu-central-1|ANNEX_DEFAULT_AWS_REGION, ", 39) == 0);
	CHECK(strstr(resolve(NULL), "condor_config:2|eu_central_1") != NULL);

	fresh(NULL, PROFILES);
	setenv("AWS_REGION", "sa-east-1", 1);
	setenv("AWS_DEFAULT_REGION", "ca-central-1", 1);
	setenv("AWS_PROFILE", "render", 1);
	CHECK_STR(resolve(NULL), "sa-east-1|AWS_REGION|sa_east_1");
	unsetenv("AWS_REGION");
	CHECK_STR(resolve(NULL), "ca-central-1|AWS_DEFAULT_REGION|ca_central_1");
	unsetenv("AWS_DEFAULT_REGION");
	/* the profile's section in the config file is [profile render], not [render] */
	CHECK_STR(resolve(NULL), "us-west-2|~/.aws/config, profile render|us_west_2");
	unsetenv("AWS_PROFILE");
	CHECK_STR(resolve(NULL), "eu-west-1|~/.aws/config, profile default|eu_west_1");
	setenv("AWS_DEFAULT_PROFILE", "render", 1);
	CHECK_STR(resolve(NULL), "us-west-2|~/.aws/config, profile render|us_west_2");
	setenv("AWS_PROFILE", "nosuch", 1);
	CHECK_STR(resolve(NULL), "us-east-1|" SESSION_REGION_DEFAULT "|us_east_1");

	fresh(NULL, NULL);
	CHECK_STR(resolve(NULL), "us-east-1|" SESSION_REGION_DEFAULT "|us_east_1");
}

/* The profile's region names the local name the knobs are read with. */
static void t_profile_region_sets_local_name(void)
{
	struct annex_opts o;
	struct annex_session s;
	struct annex_err err;
	char *v = NULL;

	fresh("ANNEX_DEFAULT_S3_BUCKET = plain\nus_west_2.ANNEX_DEFAULT_S3_BUCKET = west\n", PROFILES);
	setenv("AWS_PROFILE", "render", 1);
	memset(&o, 0, sizeof o);
	annex_err_clear(&err);
	CHECK(session_open(&s, &o, &err) == 0);
	CHECK(session_knob(&s, "ANNEX_DEFAULT_S3_BUCKET", &v, &err) == 1);
	CHECK_STR(v, "west");
	free(v);
	session_close(&s);
}

static void t_config_file_variable(void)
{
	char other[160], *region = NULL, *where = NULL;
	struct annex_err err;

	fresh(NULL, PROFILES);
	snprintf(other, sizeof other, "%s/other-config", tmpdir);
	write_file(other, "[profile render]\nregion = me-south-1\n");
	setenv("AWS_CONFIG_FILE", other, 1);
	setenv("AWS_PROFILE", "render", 1);
	annex_err_clear(&err);
	CHECK_INT(creds_profile_region(&region, &where, &err), 1);
	CHECK_STR(region, "me-south-1");
	CHECK(where && strstr(where, "other-config, profile render"));
	free(region);
	free(where);

	/* a file that cannot be read is an error, not a silent default */
	setenv("AWS_CONFIG_FILE", tmpdir, 1);
	CHECK_INT(creds_profile_region(&region, &where, &err), -1);
	CHECK(region == NULL && where == NULL);
	/* a missing file is simply no region */
	setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config", 1);
	CHECK_INT(creds_profile_region(&region, &where, &err), 0);
	/* a profile without region: no region */
	write_file(other, "[profile render]\noutput = json\n");
	setenv("AWS_CONFIG_FILE", other, 1);
	CHECK_INT(creds_profile_region(&region, &where, &err), 0);
}

static void t_setup_regions(void)
{
	struct annex_opts o;
	struct annex_session s;
	struct annex_err err;
	char **v = NULL;
	size_t n;
	char *r;

	CHECK_STR((r = setupregions_from_local_name("us_west_2")), "us-west-2");
	free(r);
	CHECK_STR((r = setupregions_from_local_name("US_GOV_WEST_1")), "us-gov-west-1");
	free(r);
	CHECK(setupregions_from_local_name("my_test") == NULL);
	CHECK(setupregions_from_local_name("us-west-2") == NULL);

	fresh("us_west_2.ANNEX_SETUP_REGION = us-west-2\n"
	      "us_west_2.ANNEX_DEFAULT_S3_BUCKET = b\n"
	      "eu_west_1.ANNEX_DEFAULT_ODI_LEASE_FUNCTION_ARN = arn:aws:lambda:eu-west-1:1:function:f\n"
	      "ap_south_1.ANNEX_DEFAULT_S3_BUCKET = only-a-bucket\n"
	      "my_test.ANNEX_SETUP_REGION = nonsense\n"
	      "ANNEX_SETUP_REGION = unprefixed\n"
	      "us_west_2.ANNEX_DEFAULT_SFR_LEASE_FUNCTION_ARN = x\n", NULL);
	memset(&o, 0, sizeof o);
	annex_err_clear(&err);
	CHECK(session_open(&s, &o, &err) == 0);
	n = setupregions_find(s.cfg, &v);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(v[0], "eu-west-1");
		CHECK_STR(v[1], "us-west-2");
	}
	setupregions_free(v, n);
	session_close(&s);
}

static void t_cleanup(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	CHECK(system(cmd) == 0);
	unsetenv("CONDOR_CONFIG");
}

TESTS(T(t_order), T(t_profile_region_sets_local_name), T(t_config_file_variable), T(t_setup_regions), T(t_cleanup))
