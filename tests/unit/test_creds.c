/* Unit tests for the credential chain (creds.c, creds_profile.c): every
 * link but the instance role (tests/integration/test_creds_imds.sh), their
 * precedence, the key-file refusals, credential_process, the INI reading.
 * Each test works in a fresh temp directory with HOME pointing into it and
 * AWS_EC2_METADATA_DISABLED=true, so nothing outside is read or contacted. */
#include "annex/buf.h"
#include "annex/creds.h"
#include "annex/creds_internal.h"
#include "annex/creds_util.h"
#include "annex/err.h"
#include "harness.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK_HAS(hay, needle) do { const char *h_ = (hay), *n_ = (needle); \
	if (!h_ || !strstr(h_, n_)) harness_fail_(__FILE__, __LINE__, \
		"\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_); } while (0)
#define CHECK_HASNT(hay, needle) do { const char *h_ = (hay), *n_ = (needle); \
	if (h_ && strstr(h_, n_)) harness_fail_(__FILE__, __LINE__, \
		"\"%s\" contains \"%s\"", h_, n_); } while (0)

static const char CONDOR_WORDS[] =
	"Secret key file must be accessible only by owner.  Please verify that your user owns "
	"the file and that the file permissons are restricted to the owner.";

static char root_dir[] = "/tmp/annex-test-creds-XXXXXX";
static char dir[512];   /* this test's directory; HOME is dir/home */
static char path_buf[8][640];
static int path_next;

/* A path inside this test's directory (a few live at once). */
static const char *P(const char *name)
{
	char *p = path_buf[path_next++ % 8];
	snprintf(p, sizeof(path_buf[0]), "%s/%s", dir, name);
	return p;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		harness_fail_(__FILE__, __LINE__, "cannot write %s", path);
	}
	if (fd >= 0) {
		fchmod(fd, mode);
		close(fd);
	}
}

/* Starts a test: a fresh directory, HOME inside it, no AWS variables. */
static void fresh(void)
{
	static int n;
	static const char *vars[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT",
	};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	snprintf(dir, sizeof(dir), "%s/t%d", root_dir, ++n);
	mkdir(dir, 0700);
	mkdir(P("home"), 0700);
	mkdir(P("home/.aws"), 0700);
	mkdir(P("pw"), 0700);
	mkdir(P("pw/.condor"), 0700);
	setenv("HOME", P("home"), 1);
}

static int resolve(const struct creds_opts *o, struct aws_creds *c, struct annex_err *err)
{
	annex_err_clear(err);
	return creds_resolve(o, c, err);
}

static void key_pair(const char *id, const char *secret, mode_t amode, mode_t smode)
{
	write_file(P("access"), id, amode);
	write_file(P("secret"), secret, smode);
}

static struct creds_opts opts_files(void)
{
	struct creds_opts o;
	memset(&o, 0, sizeof(o));
	o.access_key_file = xstrdup(P("access"));
	o.secret_key_file = xstrdup(P("secret"));
	o.access_key_origin = "-aws-access-key-file";
	o.secret_key_origin = "-aws-secret-key-file";
	return o;
}

static void opts_free(struct creds_opts *o)
{
	free((char *)o->access_key_file);
	free((char *)o->secret_key_file);
}

static void t_key_files_option(void)
{
	struct creds_opts o;
	struct aws_creds c;
	struct annex_err err;

	fresh();
	key_pair("AKIAOPTION\n", "  opt/secret+KEY \t\r\nsecond line\n", 0600, 0400);
	o = opts_files();
	CHECK_INT(resolve(&o, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIAOPTION");
	CHECK_STR(c.secret_access_key, "opt/secret+KEY");
	CHECK(c.session_token == NULL);
	CHECK_INT(c.kind, CREDS_KEY_FILES);
	CHECK_HAS(c.source, "-aws-access-key-file");
	CHECK_HAS(c.source, o.secret_key_file);
	CHECK_HASNT(c.source, "opt/secret");
	CHECK_STR(c.access_key_path, o.access_key_file);
	CHECK_STR(c.secret_key_path, o.secret_key_file);
	creds_free(&c);
	CHECK(c.secret_access_key == NULL && c.access_key_path == NULL);
	creds_free(&c);
	creds_free(NULL);
	opts_free(&o);
}

static void t_key_files_knob_origin(void)
{
	struct creds_opts o;
	struct aws_creds c;
	struct annex_err err;

	fresh();
	key_pair("AKIAKNOB", "knobsecret", 0600, 0600);
	o = opts_files();
	o.access_key_origin = "ANNEX_DEFAULT_ACCESS_KEY_FILE";
	o.secret_key_origin = "ANNEX_DEFAULT_SECRET_KEY_FILE";
	CHECK_INT(resolve(&o, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIAKNOB");
	CHECK_HAS(c.source, "ANNEX_DEFAULT_SECRET_KEY_FILE");
	creds_free(&c);
	opts_free(&o);
}

/* Key files come first: environment and shared files are ignored. */
static void t_key_files_beat_env_and_shared(void)
{
	struct creds_opts o;
	struct aws_creds c;
	struct annex_err err;

	fresh();
	key_pair("AKIAFILES", "filesecret", 0600, 0600);
	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	write_file(P("home/.aws/credentials"), "[default]\naws_access_key_id=AKIASHARED\n"
	           "aws_secret_access_key=sharedsecret\n", 0600);
	o = opts_files();
	CHECK_INT(resolve(&o, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIAFILES");
	CHECK_STR(c.secret_access_key, "filesecret");
	creds_free(&c);
	opts_free(&o);
}

static void t_secret_key_file_group_readable_refused(void)
{
	struct creds_opts o;
	struct aws_creds c;
	struct annex_err err;
	char want[1024];

	fresh();
	key_pair("AKIA", "secret", 0600, 0644);
	o = opts_files();
	CHECK_INT(resolve(&o, &c, &err), -1);
	CHECK_STR(err.code, "Credentials");
	snprintf(want, sizeof(want), "secret key file %s is readable by group or others (mode 0644); "
	         "run: chmod 600 %s", o.secret_key_file, o.secret_key_file);
	CHECK_HAS(err.msg, want);
	CHECK_HAS(err.msg, "-aws-secret-key-file");
	CHECK_HAS(err.msg, CONDOR_WORDS);
	CHECK(strchr(err.msg, '\n') == NULL);
	CHECK(c.access_key_id == NULL && c.secret_access_key == NULL);
	opts_free(&o);
}

/* Either file of the pair is checked; any group/other bit counts. */
static void t_access_key_file_refused(void)
{
	struct creds_opts o;
	struct aws_creds c;
	struct annex_err err;
	char want[1024];

	fresh();
	key_pair("AKIA", "secret", 0640, 0600);
	o = opts_files();
	CHECK_INT(resolve(&o, &c, &err), -1);
	snprintf(want, sizeof(want), "access key file %s is readable by group or others (mode 0640); "
	         "run: chmod 600 %s", o.access_key_file, o.access_key_file);
	CHECK_HAS(err.msg, want);
	CHECK_HASNT(err.msg, CONDOR_WORDS);
	chmod(o.access_key_file, 0602);
	CHECK_INT(resolve(&o, &c, &err), -1);
	CHECK_HAS(err.msg, "is accessible by group or others (mode 0602)");
	chmod(o.access_key_file, 0610);
	CHECK_INT(resolve(&o, &c, &err), -1);
	CHECK_HAS(err.msg, "(mode 0610)");
	chmod(o.access_key_file, 0600);
	chmod(o.secret_key_file, 0601);
	CHECK_INT(resolve(&o, &c, &err), -1);
	CHECK_HAS(err.msg, "secret key file");
	CHECK_HAS(err.msg, CONDOR_WORDS);
	chmod(o.secret_key_file, 0600);
	CHECK_INT(resolve(&o, &c, &err), 0);
	creds_free(&c);
	opts_free(&o);
}

/* A key file owned by another user is refused even with mode 0600. As root
 * the test hands the file to nobody; otherwise it points at a root-owned
 * file (the owner is checked before the mode). */
static void t_key_file_other_owner_refused(void)
{
	struct creds_opts o;
	struct aws_creds c;
	struct annex_err err;

	fresh();
	key_pair("AKIA", "secret", 0600, 0600);
	o = opts_files();
	if (geteuid() == 0) {
		CHECK_INT(chown(o.secret_key_file, 65534, 65534), 0);
		CHECK_INT(resolve(&o, &c, &err), -1);
		CHECK_HAS(err.msg, "is owned by uid 65534, not by you (uid 0)");
	} else {
		free((char *)o.secret_key_file);
		o.secret_key_file = xstrdup("/etc/passwd");
		CHECK_INT(resolve(&o, &c, &err), -1);
		CHECK_HAS(err.msg, "is owned by uid 0, not by you");
	}
	CHECK_HAS(err.msg, "secret key file ");
	CHECK_HAS(err.msg, CONDOR_WORDS);
	opts_free(&o);
}

static void t_key_file_problems(void)
{
	struct creds_opts o;
	struct aws_creds c;
	struct annex_err err;

	fresh();
	key_pair("AKIA", "secret", 0600, 0600);
	o = opts_files();
	unlink(o.secret_key_file);
	CHECK_INT(resolve(&o, &c, &err), -1);
	CHECK_HAS(err.msg, o.secret_key_file);
	CHECK_HAS(err.msg, "No such file");

	write_file(o.secret_key_file, " \n\n", 0600);
	CHECK_INT(resolve(&o, &c, &err), -1);
	CHECK_HAS(err.msg, "is empty");

	unlink(o.secret_key_file);
	mkdir(o.secret_key_file, 0700);
	CHECK_INT(resolve(&o, &c, &err), -1);
	CHECK_HAS(err.msg, "is not a regular file");
	rmdir(o.secret_key_file);

	/* half a pair is an error, not a silent fall-through */
	free((char *)o.secret_key_file);
	o.secret_key_file = NULL;
	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	CHECK_INT(resolve(&o, &c, &err), -1);
	CHECK_HAS(err.msg, "no secret key file is set");
	opts_free(&o);
}

/* creds_read_key_file names the file by its origin. */
static void t_read_key_file_api(void)
{
	struct annex_err err;
	char *s = NULL;

	fresh();
	write_file(P("k"), "value\n", 0644);
	annex_err_clear(&err);
	CHECK_INT(creds_read_key_file(P("k"), "-aws-secret-key-file", &s, &err), -1);
	CHECK(s == NULL);
	CHECK_HAS(err.msg, "secret key file");
	CHECK_HAS(err.msg, CONDOR_WORDS);
	CHECK_INT(creds_read_key_file(P("k"), "-aws-access-key-file", &s, &err), -1);
	CHECK_HAS(err.msg, "access key file");
	CHECK_HASNT(err.msg, CONDOR_WORDS);
	chmod(P("k"), 0600);
	CHECK_INT(creds_read_key_file(P("k"), "-aws-access-key-file", &s, &err), 0);
	CHECK_STR(s, "value");
	secret_free(s);
	CHECK_INT(creds_check_key_file_perms(P("k"), -1, "secret key file", "x", &err), 0);
}

/* A key file is read whole up to 64 KiB and refused past that. */
static void t_read_key_file_size(void)
{
	struct annex_err err;
	char *big = malloc(64 * 1024 + 2), *s = NULL;

	fresh();
	memset(big, 'k', 64 * 1024);
	big[0] = 'A';
	big[64 * 1024] = 0;
	write_file(P("k"), big, 0600);
	annex_err_clear(&err);
	CHECK_INT(creds_read_key_file(P("k"), "-aws-access-key-file", &s, &err), 0);
	CHECK(s && strlen(s) == 64 * 1024 && s[0] == 'A');
	secret_free(s);
	s = NULL;
	strcpy(big + 64 * 1024, "k");
	write_file(P("k"), big, 0600);
	CHECK_INT(creds_read_key_file(P("k"), "-aws-access-key-file", &s, &err), -1);
	CHECK(s == NULL);
	CHECK_STR(err.code, "Credentials");
	CHECK_HAS(err.msg, "-aws-access-key-file: access key file ");
	CHECK_HAS(err.msg, "is larger than 65536 bytes");
	free(big);
}

static void default_pair(mode_t pmode)
{
	write_file(P("pw/.condor/publicKeyFile"), "AKIADEFAULT\n", 0600);
	write_file(P("pw/.condor/privateKeyFile"), "defaultsecret\n", pmode);
}

static void t_condor_default_pair(void)
{
	struct creds_opts o;
	struct aws_creds c;
	struct annex_err err;

	fresh();
	default_pair(0600);
	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	memset(&o, 0, sizeof(o));
	o.try_condor_default_pair = 1;
	o.passwd_home = P("pw");
	CHECK_INT(resolve(&o, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIADEFAULT");
	CHECK_STR(c.secret_access_key, "defaultsecret");
	CHECK_INT(c.kind, CREDS_CONDOR_DEFAULT);
	CHECK_STR(c.secret_key_path, P("pw/.condor/privateKeyFile"));
	CHECK_HAS(c.source, "publicKeyFile");
	creds_free(&c);

	/* only -setup tries it */
	o.try_condor_default_pair = 0;
	CHECK_INT(resolve(&o, &c, &err), 0);
	CHECK_INT(c.kind, CREDS_ENV);
	creds_free(&c);

	/* both must exist, else the chain goes on */
	o.try_condor_default_pair = 1;
	unlink(P("pw/.condor/privateKeyFile"));
	CHECK_INT(resolve(&o, &c, &err), 0);
	CHECK_INT(c.kind, CREDS_ENV);
	CHECK_STR(c.access_key_id, "AKIAENV");
	creds_free(&c);

	/* configured key files win over the default pair */
	default_pair(0600);
	key_pair("AKIAFILES", "filesecret", 0600, 0600);
	struct creds_opts f = opts_files();
	f.try_condor_default_pair = 1;
	f.passwd_home = P("pw");
	CHECK_INT(resolve(&f, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIAFILES");
	creds_free(&c);
	opts_free(&f);
}

static void t_condor_default_pair_refused(void)
{
	struct creds_opts o;
	struct aws_creds c;
	struct annex_err err;

	fresh();
	default_pair(0640);
	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	memset(&o, 0, sizeof(o));
	o.try_condor_default_pair = 1;
	o.passwd_home = P("pw");
	CHECK_INT(resolve(&o, &c, &err), -1);
	CHECK_HAS(err.msg, "privateKeyFile is readable by group or others (mode 0640)");
	CHECK_HAS(err.msg, CONDOR_WORDS);
}

static void t_env(void)
{
	struct aws_creds c;
	struct annex_err err;

	fresh();
	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env/secret", 1);
	CHECK_INT(resolve(NULL, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIAENV");
	CHECK_STR(c.secret_access_key, "env/secret");
	CHECK(c.session_token == NULL);
	CHECK_INT(c.kind, CREDS_ENV);
	CHECK_HAS(c.source, "environment");
	creds_free(&c);

	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	CHECK_INT(resolve(NULL, &c, &err), 0);
	CHECK_STR(c.session_token, "envtoken");
	CHECK_HAS(c.source, "AWS_SESSION_TOKEN");
	CHECK_HASNT(c.source, "envtoken");
	creds_free(&c);

	/* the environment beats the shared files */
	write_file(P("home/.aws/credentials"), "[default]\naws_access_key_id=AKIASHARED\n"
	           "aws_secret_access_key=sharedsecret\n", 0600);
	CHECK_INT(resolve(NULL, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIAENV");
	creds_free(&c);

	/* half a pair is an error */
	unsetenv("AWS_SECRET_ACCESS_KEY");
	CHECK_INT(resolve(NULL, &c, &err), -1);
	CHECK_HAS(err.msg, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
}

static void t_shared_credentials_file(void)
{
	struct aws_creds c;
	struct annex_err err;

	fresh();
	write_file(P("home/.aws/credentials"),
	           "# a comment\n"
	           "; another\n"
	           "[other]\n"
	           "aws_access_key_id = AKIAOTHER\n"
	           "aws_secret_access_key = othersecret\n"
	           "\n"
	           "[default]\r\n"
	           "AWS_Access_Key_ID : AKIADEFAULT\r\n"
	           "aws_secret_access_key=  default/secret  \r\n"
	           "aws_session_token = deftoken\n"
	           "s3 =\n"
	           "  aws_access_key_id = NESTED\n", 0600);
	CHECK_INT(resolve(NULL, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIADEFAULT");
	CHECK_STR(c.secret_access_key, "default/secret");
	CHECK_STR(c.session_token, "deftoken");
	CHECK_INT(c.kind, CREDS_SHARED_FILE);
	CHECK_HAS(c.source, P("home/.aws/credentials"));
	CHECK_HAS(c.source, "profile default");
	creds_free(&c);

	setenv("AWS_PROFILE", "other", 1);
	CHECK_INT(resolve(NULL, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIAOTHER");
	CHECK(c.session_token == NULL);
	CHECK_HAS(c.source, "profile other");
	creds_free(&c);

	/* AWS_DEFAULT_PROFILE when AWS_PROFILE is unset */
	unsetenv("AWS_PROFILE");
	setenv("AWS_DEFAULT_PROFILE", "other", 1);
	CHECK_INT(resolve(NULL, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIAOTHER");
	creds_free(&c);

	/* a profile named explicitly must exist */
	setenv("AWS_PROFILE", "nope", 1);
	CHECK_INT(resolve(NULL, &c, &err), -1);
	CHECK_HAS(err.msg, "profile 'nope' (from AWS_PROFILE) is in neither");
}

static void t_shared_config_file(void)
{
	struct aws_creds c;
	struct annex_err err;

	fresh();
	write_file(P("home/.aws/config"),
	           "[default]\nregion = us-east-1\naws_access_key_id = AKIACFGDEFAULT\n"
	           "aws_secret_access_key = cfgdefault\n"
	           "[profile dev]\naws_access_key_id = AKIACFGDEV\naws_secret_access_key = cfgdev\n"
	           "[bare]\naws_access_key_id = AKIABARE\naws_secret_access_key = bare\n", 0600);
	CHECK_INT(resolve(NULL, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIACFGDEFAULT");
	CHECK_HAS(c.source, "shared config file");
	creds_free(&c);

	setenv("AWS_PROFILE", "dev", 1);
	CHECK_INT(resolve(NULL, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIACFGDEV");
	CHECK_STR(c.secret_access_key, "cfgdev");
	creds_free(&c);

	/* in the config file a profile's section is "[profile NAME]" */
	setenv("AWS_PROFILE", "bare", 1);
	CHECK_INT(resolve(NULL, &c, &err), -1);
	CHECK_HAS(err.msg, "profile 'bare'");

	/* the credentials file wins over the config file for one profile */
	setenv("AWS_PROFILE", "dev", 1);
	write_file(P("home/.aws/credentials"), "[dev]\naws_access_key_id = AKIACREDDEV\n"
	           "aws_secret_access_key = creddev\n", 0600);
	CHECK_INT(resolve(NULL, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIACREDDEV");
	creds_free(&c);
}

static void t_shared_custom_paths(void)
{
	struct aws_creds c;
	struct annex_err err;

	fresh();
	write_file(P("home/.aws/credentials"), "[default]\naws_access_key_id = AKIAHOME\n"
	           "aws_secret_access_key = home\n", 0600);
	write_file(P("mycreds"), "[default]\naws_access_key_id = AKIACUSTOM\n"
	           "aws_secret_access_key = custom\n", 0600);
	setenv("AWS_SHARED_CREDENTIALS_FILE", P("mycreds"), 1);
	CHECK_INT(resolve(NULL, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIACUSTOM");
	creds_free(&c);

	/* "~/" in the variables means $HOME, as in the AWS CLI */
	write_file(P("home/cfg"), "[profile x]\naws_access_key_id = AKIATILDE\n"
	           "aws_secret_access_key = tilde\n", 0600);
	setenv("AWS_SHARED_CREDENTIALS_FILE", P("absent"), 1);
	setenv("AWS_CONFIG_FILE", "~/cfg", 1);
	setenv("AWS_PROFILE", "x", 1);
	CHECK_INT(resolve(NULL, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIATILDE");
	creds_free(&c);
}

static void t_profile_unsupported_provider(void)
{
	struct aws_creds c;
	struct annex_err err;

	fresh();
	write_file(P("home/.aws/config"), "[default]\nrole_arn = arn:aws:iam::1:role/x\n"
	           "source_profile = base\n", 0600);
	CHECK_INT(resolve(NULL, &c, &err), -1);
	CHECK_HAS(err.msg, "uses role_arn, which annex does not support");
}

/* The helper script checks its arguments arrived unsplit and unexpanded
 * (no shell in between), then prints the credentials. */
static void write_process_script(void)
{
	write_file(P("cp.sh"),
	           "#!/bin/sh\n"
	           "[ \"$2\" = 'two words' ] || { echo \"bad arg2: $2\" >&2; exit 3; }\n"
	           "[ \"$3\" = '$HOME;x' ] || { echo \"bad arg3: $3\" >&2; exit 4; }\n"
	           "[ $# -eq 3 ] || exit 5\n"
	           "printf '{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"proc/secret\", "
	           "\"SessionToken\": \"proctoken\", \"Expiration\": \"2030-01-01T00:00:00Z\"}\\n' \"$1\"\n",
	           0700);
}

static void t_credential_process(void)
{
	struct aws_creds c;
	struct annex_err err;
	char cfg[2048];

	fresh();
	write_process_script();
	snprintf(cfg, sizeof(cfg), "[profile proc]\ncredential_process = %s AKIAPROC \"two words\" "
	         "'$HOME;x'\n", P("cp.sh"));
	write_file(P("home/.aws/config"), cfg, 0600);
	setenv("AWS_PROFILE", "proc", 1);
	CHECK_INT(resolve(NULL, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIAPROC");
	CHECK_STR(c.secret_access_key, "proc/secret");
	CHECK_STR(c.session_token, "proctoken");
	CHECK_INT(c.expiration, 1893456000);
	CHECK_INT(c.kind, CREDS_PROCESS);
	CHECK_HAS(c.source, "credential_process of profile 'proc'");
	creds_free(&c);

	/* keys in the credentials file come before the process ... */
	write_file(P("home/.aws/credentials"), "[proc]\naws_access_key_id = AKIACRED\n"
	           "aws_secret_access_key = cred\n", 0600);
	CHECK_INT(resolve(NULL, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIACRED");
	creds_free(&c);

	/* ... keys in the config file after it (botocore's order) */
	unlink(P("home/.aws/credentials"));
	snprintf(cfg, sizeof(cfg), "[profile proc]\naws_access_key_id = AKIACFG\n"
	         "aws_secret_access_key = cfg\ncredential_process = %s AKIAPROC2 \"two words\" "
	         "'$HOME;x'\n", P("cp.sh"));
	write_file(P("home/.aws/config"), cfg, 0600);
	CHECK_INT(resolve(NULL, &c, &err), 0);
	CHECK_STR(c.access_key_id, "AKIAPROC2");
	creds_free(&c);
}

static void process_fails(const char *script_body, const char *want)
{
	struct aws_creds c;
	struct annex_err err;
	char cfg[1024];

	write_file(P("bad.sh"), script_body, 0700);
	snprintf(cfg, sizeof(cfg), "[default]\ncredential_process = %s\n", P("bad.sh"));
	write_file(P("home/.aws/config"), cfg, 0600);
	CHECK_INT(resolve(NULL, &c, &err), -1);
	CHECK_STR(err.code, "Credentials");
	CHECK_HAS(err.msg, "credential_process of profile 'default'");
	CHECK_HAS(err.msg, want);
}

static void t_credential_process_failures(void)
{
	struct aws_creds c;
	struct annex_err err;

	fresh();
	process_fails("#!/bin/sh\nexit 7\n", "exited with status 7");
	process_fails("#!/bin/sh\necho '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s\"}'\n",
	              "lacks \"Version\": 1");
	process_fails("#!/bin/sh\necho 'not json'\n", "not a JSON object");
	process_fails("#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"A\"}'\n",
	              "lacks AccessKeyId or SecretAccessKey");
	process_fails("#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": "
	              "\"s\", \"Expiration\": \"soon\"}'\n", "cannot parse Expiration");
	process_fails("#!/bin/sh\nkill -9 $$\n", "killed by signal 9");
	/* more output than any credentials need: read to the end, refused */
	process_fails("#!/bin/sh\nhead -c 1100000 /dev/zero | tr '\\0' x\n",
	              "output is larger than 1048576 bytes");
	write_file(P("home/.aws/config"), "[default]\ncredential_process = /nonexistent/prog --x\n", 0600);
	CHECK_INT(resolve(NULL, &c, &err), -1);
	CHECK_HAS(err.msg, "cannot run /nonexistent/prog: No such file or directory");
	write_file(P("home/.aws/config"), "[default]\ncredential_process = 'unbalanced\n", 0600);
	CHECK_INT(resolve(NULL, &c, &err), -1);
	CHECK_HAS(err.msg, "unbalanced quote");
}

static int argv_is(char **argv, const char **want)
{
	size_t i;
	if (!argv)
		return 0;
	for (i = 0; want[i]; i++)
		if (!argv[i] || strcmp(argv[i], want[i]) != 0)
			return 0;
	return argv[i] == NULL;
}

/* Expected results are what Python's shlex.split gives for each line. */
static void t_split_command(void)
{
	struct annex_err err;
	char **a;
	static const char *w1[] = { "a", "b", "c", NULL };
	static const char *w2[] = { "a b", "c \" d", "e f", NULL };
	static const char *w3[] = { "x\\ny", "", "xy zw", "it's", NULL };
	static const char *w4[] = { "/bin/prog", "--flag=$HOME", "a|b", NULL };

	annex_err_clear(&err);
	a = creds_split_command("  a b\t c  ", &err);
	CHECK(argv_is(a, w1));
	creds_argv_free(a);
	a = creds_split_command("'a b' \"c \\\" d\" e\\ f", &err);
	CHECK(argv_is(a, w2));
	creds_argv_free(a);
	a = creds_split_command("\"x\\ny\" '' x\"y z\"w it\\'s", &err);
	CHECK(argv_is(a, w3));
	creds_argv_free(a);
	a = creds_split_command("/bin/prog --flag=$HOME a|b", &err);
	CHECK(argv_is(a, w4));
	creds_argv_free(a);
	CHECK(creds_split_command("'abc", &err) == NULL);
	CHECK_HAS(err.msg, "unbalanced");
	CHECK(creds_split_command("\"abc", &err) == NULL);
	CHECK(creds_split_command("abc\\", &err) == NULL);
	CHECK(creds_split_command("   ", &err) == NULL);
	CHECK_HAS(err.msg, "empty");
	creds_argv_free(NULL);
}

static void t_parse_imds_json(void)
{
	struct aws_creds c;
	struct annex_err err;
	const char ok[] = "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"s\","
	                  "\"Token\":\"t\",\"Expiration\":\"2030-01-01T00:00:00Z\"}";
	const char bad[] = "{\"Code\":\"Failure\",\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"s\"}";

	memset(&c, 0, sizeof(c));
	annex_err_clear(&err);
	CHECK_INT(creds_parse_json(ok, sizeof(ok) - 1, 1, "imds", &c, &err), 0);
	CHECK_STR(c.access_key_id, "ASIA1");
	CHECK_STR(c.session_token, "t");
	CHECK_INT(c.expiration, 1893456000);
	creds_free(&c);
	CHECK_INT(creds_parse_json(bad, sizeof(bad) - 1, 1, "imds", &c, &err), -1);
	CHECK_HAS(err.msg, "Code is \"Failure\"");
	CHECK(c.access_key_id == NULL);
	/* the credential_process format needs Version 1; IMDS's has none */
	CHECK_INT(creds_parse_json(ok, sizeof(ok) - 1, 0, "proc", &c, &err), -1);
	CHECK_HAS(err.msg, "Version");
}

static void t_nothing_found(void)
{
	struct aws_creds c;
	struct annex_err err;
	const char *m, *a, *b, *d, *e, *f;

	fresh();
	CHECK_INT(resolve(NULL, &c, &err), -1);
	CHECK_STR(err.code, "Credentials");
	m = err.msg;
	a = strstr(m, "key-file options");
	b = strstr(m, "knobs ANNEX_DEFAULT_ACCESS_KEY_FILE");
	d = strstr(m, "environment AWS_ACCESS_KEY_ID");
	e = strstr(m, "shared files");
	f = strstr(m, "instance role via IMDSv2 (off: AWS_EC2_METADATA_DISABLED=true)");
	CHECK(a && b && d && e && f && a < b && b < d && d < e && e < f);
	CHECK(c.access_key_id == NULL);

	/* an existing profile without keys is named as such */
	write_file(P("home/.aws/config"), "[default]\nregion = eu-west-1\n", 0600);
	CHECK_INT(resolve(NULL, &c, &err), -1);
	CHECK_HAS(err.msg, "profile has no keys or credential_process");
}

static void cleanup(void)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", root_dir);
}

static void t_setup_tmp(void)
{
	CHECK(mkdtemp(root_dir) != NULL);
	umask(022);
	atexit(cleanup);
}

/* The refresh windows (botocore's): nothing before 15 min ahead of the
 * expiry, advisory from then, mandatory from 10 min ahead; credentials
 * without an expiry never; only a source that can be asked again is
 * refreshable. */
static void t_refresh_due(void)
{
	struct aws_creds c;
	time_t e = 1800000000;

	memset(&c, 0, sizeof(c));
	CHECK_INT(creds_refresh_due(&c, e), CREDS_DUE_NOT);
	c.expiration = e;
	CHECK_INT(creds_refresh_due(&c, e - 15 * 60 - 1), CREDS_DUE_NOT);
	CHECK_INT(creds_refresh_due(&c, e - 15 * 60), CREDS_DUE_ADVISORY);
	CHECK_INT(creds_refresh_due(&c, e - 10 * 60 - 1), CREDS_DUE_ADVISORY);
	CHECK_INT(creds_refresh_due(&c, e - 10 * 60), CREDS_DUE_MANDATORY);
	CHECK_INT(creds_refresh_due(&c, e + 5), CREDS_DUE_MANDATORY);
	CHECK_INT(creds_refreshable(&c), 0);
	c.kind = CREDS_PROCESS;
	c.refresh_process = "x";
	CHECK_INT(creds_refreshable(&c), 1);
	c.expiration = 0;
	CHECK_INT(creds_refreshable(&c), 0);
	c.kind = CREDS_ENV;
	c.expiration = e;
	CHECK_INT(creds_refreshable(&c), 0);
}

/* creds_refresh runs the same credential_process again and keeps how to
 * refresh; creds_copy is deep (each copy frees on its own). */
static void t_refresh_process(void)
{
	struct aws_creds c, got, copy;
	struct annex_err err;
	char script[256], counter[256];
	FILE *f;

	fresh();
	snprintf(script, sizeof(script), "%s", P("proc.sh"));
	snprintf(counter, sizeof(counter), "%s", P("proc.count"));
	f = fopen(script, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "#!/bin/sh\necho x >> '%s'\nn=$(wc -l < '%s')\n"
		"printf '{\"Version\": 1, \"AccessKeyId\": \"AKID%%s\", \"SecretAccessKey\": \"s%%s\", "
		"\"Expiration\": \"2030-01-01T00:00:00Z\"}' $n $n\n", counter, counter);
	fclose(f);
	chmod(script, 0700);
	memset(&c, 0, sizeof(c));
	c.kind = CREDS_PROCESS;
	c.expiration = 1;
	c.refresh_process = xstrdup(script);
	c.process_timeout_ms = 5000;
	snprintf(c.source, sizeof(c.source), "credential_process of profile 'p' in F");
	annex_err_clear(&err);
	CHECK_INT(creds_refresh(&c, &got, &err), 0);
	CHECK_STR(got.access_key_id, "AKID1");
	CHECK_STR(got.secret_access_key, "s1");
	CHECK_INT(got.kind, CREDS_PROCESS);
	CHECK_STR(got.refresh_process, script);
	CHECK_STR(got.source, c.source);
	CHECK(got.expiration == 1893456000);
	creds_copy(&got, &copy);
	CHECK(copy.secret_access_key != got.secret_access_key);
	creds_free(&got);
	CHECK_INT(creds_refresh(&copy, &got, &err), 0);
	CHECK_STR(got.access_key_id, "AKID2");
	creds_free(&got);
	creds_free(&copy);
	creds_free(&c);
	/* not refreshable: an error naming the source, out empty */
	memset(&c, 0, sizeof(c));
	snprintf(c.source, sizeof(c.source), "environment");
	CHECK_INT(creds_refresh(&c, &got, &err), -1);
	CHECK(strstr(err.msg, "environment") != NULL && got.access_key_id == NULL);
}

TESTS(T(t_setup_tmp),
      T(t_refresh_due),
      T(t_refresh_process),
      T(t_key_files_option),
      T(t_key_files_knob_origin),
      T(t_key_files_beat_env_and_shared),
      T(t_secret_key_file_group_readable_refused),
      T(t_access_key_file_refused),
      T(t_key_file_other_owner_refused),
      T(t_key_file_problems),
      T(t_read_key_file_api), T(t_read_key_file_size),
      T(t_condor_default_pair),
      T(t_condor_default_pair_refused),
      T(t_env),
      T(t_shared_credentials_file),
      T(t_shared_config_file),
      T(t_shared_custom_paths),
      T(t_profile_unsupported_provider),
      T(t_credential_process),
      T(t_credential_process_failures),
      T(t_split_command),
      T(t_parse_imds_json),
      T(t_nothing_found))
