/* test_config.c - unit tests of the HTCondor config reader: expansion,
 * the $FUNC() functions, local-name and subsystem precedence,
 * config_is_configured, and errors that name file:line. */
#include "annex/buf.h"
#include "annex/config.h"
#include "harness.h"

#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[64];

/* Loads text as the root config "test.conf" (no local files, no user config). */
static struct annex_config *load_text(const char *text, const char *local, struct annex_err *err)
{
	struct config_load_opts o = { 0 };
	struct annex_config *cfg = NULL;
	o.root_text = text;
	o.root_name = "/cfgtest/test.conf";
	o.local_name = local;
	o.skip_user_config = 1;
	annex_err_clear(err);
	if (config_load(&cfg, &o, err) < 0)
		return NULL;
	return cfg;
}

/* The value of name, "<undef>" or "<error: msg>", in a static buffer. */
static const char *get(struct annex_config *cfg, const char *name)
{
	static char out[4096];
	struct annex_err err;
	char *v = NULL;
	if (!cfg)
		return "<no config>";
	annex_err_clear(&err);
	int rc = config_get(cfg, name, &v, &err);
	if (rc < 0)
		snprintf(out, sizeof out, "<error: %s>", err.msg);
	else if (rc == 0)
		snprintf(out, sizeof out, "<undef>");
	else
		snprintf(out, sizeof out, "%s", v);
	free(v);
	return out;
}

/* The load error message for text, or "<loaded>". */
static const char *load_error(const char *text)
{
	static char out[2048];
	struct annex_err err;
	struct annex_config *cfg = load_text(text, NULL, &err);
	if (cfg) {
		config_free(cfg);
		return "<loaded>";
	}
	snprintf(out, sizeof out, "%s", err.msg);
	return out;
}

static void write_file(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	free(p);
}

static void t_later_wins_and_lazy_expansion(void)
{
	struct annex_err err;
	struct annex_config *cfg = load_text("A = 1\nB = $(A)2\nb_lower = x\nA = 3\n", NULL, &err);
	CHECK_STR(cfg ? "" : err.msg, "");
	CHECK_STR(get(cfg, "B"), "32");
	CHECK_STR(get(cfg, "a"), "3");
	CHECK_STR(get(cfg, "B_LOWER"), "x");
	CHECK_STR(get(cfg, "NOPE"), "<undef>");
	config_free(cfg);
}

static void t_defaults_and_self_reference(void)
{
	struct annex_err err;
	struct annex_config *cfg = load_text(
		"A = alpha\nD1 = $(U:fallback)\nD2 = $(U:)\nD3 = $(U:$(A))\nD4 = $(U:a-b)\n"
		"L = a\nL = $(L) b\nL = $(L), c\nO = $(O) x\nDL = $(DAEMON_LIST) STARTD\n"
		"U1 = $(UNTERMINATED\nD = $(DOLLAR)(X)\n", NULL, &err);
	CHECK_STR(cfg ? "" : err.msg, "");
	CHECK_STR(get(cfg, "D1"), "fallback");
	CHECK_STR(get(cfg, "D2"), "<undef>");
	CHECK_STR(get(cfg, "D3"), "alpha");
	/* '-' is not allowed in a default, so the text stays literal */
	CHECK_STR(get(cfg, "D4"), "$(U:a-b)");
	CHECK_STR(get(cfg, "L"), "a b, c");
	CHECK_STR(get(cfg, "O"), " x");
	CHECK_STR(get(cfg, "DL"), "MASTER STARTD");
	CHECK_STR(get(cfg, "U1"), "$(UNTERMINATED");
	CHECK_STR(get(cfg, "D"), "$(X)");
	config_free(cfg);
}

static void t_functions(void)
{
	struct annex_err err;
	setenv("ANNEX_UNIT_VAR", "from-env", 1);
	unsetenv("ANNEX_UNIT_NOPE");
	struct annex_config *cfg = load_text(
		"N = 3 * 4\nI = $INT(N)\nI2 = $INT(N,%05d)\nR = $REAL(N)\nR2 = $REAL(7 / 2.0)\n"
		"S = abcdefgh\nS1 = $SUBSTR(S,2)\nS2 = $SUBSTR(S,2,3)\nS3 = $SUBSTR(S,-3)\n"
		"P = \"/opt/annex/conf/pool.conf\"\nFP = $Fp(P)\nFN = $Fn(P)\nFX = $Fx(P)\nFNX = $Fnx(P)\n"
		"FD = $Fd(P)\nFQ = $Fqn(P)\nB = $BASENAME(P)\nDN = $DIRNAME(P)\n"
		"LIST = red, green, blue\nC1 = $CHOICE(1, LIST)\nC2 = $CHOICE(2, x, y, z)\nC9 = $CHOICE(9, LIST)\n"
		"E1 = $ENV(ANNEX_UNIT_VAR)\nE2 = $ENV(ANNEX_UNIT_NOPE)\nE3 = $ENV(ANNEX_UNIT_NOPE:dflt)\n"
		"BAD = not a number\nIB = $INT(BAD)\nIFMT = $INT(N,%s)\nST = $STRING(Q)\nQ = \"quoted\"\n"
		"EV = $EVAL(N)\nRI = $RANDOM_INTEGER(5, 5)\nRC = $RANDOM_CHOICE(only)\n",
		NULL, &err);
	CHECK_STR(cfg ? "" : err.msg, "");
	CHECK_STR(get(cfg, "I"), "12");
	CHECK_STR(get(cfg, "I2"), "00012");
	CHECK_STR(get(cfg, "R"), "12");
	CHECK_STR(get(cfg, "R2"), "3.5");
	CHECK_STR(get(cfg, "S1"), "cdefgh");
	CHECK_STR(get(cfg, "S2"), "cde");
	CHECK_STR(get(cfg, "S3"), "fgh");
	CHECK_STR(get(cfg, "FP"), "/opt/annex/conf/");
	CHECK_STR(get(cfg, "FN"), "pool");
	CHECK_STR(get(cfg, "FX"), ".conf");
	CHECK_STR(get(cfg, "FNX"), "pool.conf");
	CHECK_STR(get(cfg, "FD"), "conf/");
	CHECK_STR(get(cfg, "FQ"), "\"pool\"");
	CHECK_STR(get(cfg, "B"), "pool.conf");
	CHECK_STR(get(cfg, "DN"), "/opt/annex/conf/");
	CHECK_STR(get(cfg, "C1"), "green");
	CHECK_STR(get(cfg, "C2"), "z");
	CHECK_STR(get(cfg, "C9"), "<error: $CHOICE() config macro: index 9 is out of range!>");
	CHECK_STR(get(cfg, "E1"), "from-env");
	CHECK_STR(get(cfg, "E2"), "UNDEFINED");
	CHECK_STR(get(cfg, "E3"), "dflt");
	CHECK_STR(get(cfg, "IB"), "<error: $INT() macro: not a number does not evaluate to an integer!>");
	CHECK_STR(get(cfg, "IFMT"), "<error: $INT() macro: '%s' is not a valid format specifier!>");
	CHECK_STR(get(cfg, "ST"), "quoted");
	CHECK_STR(get(cfg, "EV"), "12");
	CHECK_STR(get(cfg, "RI"), "5");
	CHECK_STR(get(cfg, "RC"), "only");
	config_free(cfg);
}

static void t_continuation_comments_heredoc(void)
{
	struct annex_err err;
	struct annex_config *cfg = load_text(
		"# comment \\\nX = one \\\n    two \\\n  # inside\\\n    three\nY = v # not a comment\n"
		"Z = trailing   \nM @=end\n  line one\n\n  line two\n@end\nW =\n[section]\n",
		NULL, &err);
	CHECK_STR(cfg ? "" : err.msg, "");
	CHECK_STR(get(cfg, "X"), "one two three");
	CHECK_STR(get(cfg, "Y"), "v # not a comment");
	CHECK_STR(get(cfg, "Z"), "trailing");
	CHECK_STR(get(cfg, "M"), "line one\nline two");
	CHECK_STR(get(cfg, "W"), "<undef>");
	CHECK_STR(config_source(cfg, "M"), "/cfgtest/test.conf:12");
	CHECK_STR(config_source(cfg, "X"), "/cfgtest/test.conf:5");
	config_free(cfg);
}

static void t_if_elif_else(void)
{
	struct annex_err err;
	struct annex_config *cfg = load_text(
		"A = 1\nif defined A\nR1 = yes\nelse\nR1 = no\nendif\n"
		"if defined NOPE\nR2 = a\nelif version >= 25.14.0\nR2 = b\nelse\nR2 = c\nendif\n"
		"if version > 25.14\nR3 = newer\nelif version == 25.14\nR3 = same\nendif\n"
		"if !$(A)\nR4 = x\nelse\nR4 = notA\nendif\n"
		"if $(NOPE)\nR5 = x\nelse\nR5 = empty-is-false\nendif\n"
		"if yes\nif false\nR6 = inner\nelse\nR6 = nested\nendif\nendif\n",
		NULL, &err);
	CHECK_STR(cfg ? "" : err.msg, "");
	CHECK_STR(get(cfg, "R1"), "yes");
	CHECK_STR(get(cfg, "R2"), "b");
	CHECK_STR(get(cfg, "R3"), "same");
	CHECK_STR(get(cfg, "R4"), "notA");
	CHECK_STR(get(cfg, "R5"), "empty-is-false");
	CHECK_STR(get(cfg, "R6"), "nested");
	config_free(cfg);
}

static void t_errors_name_file_and_line(void)
{
	CHECK_STR(load_error("A = 1\n\nno operator here\n"),
		  "/cfgtest/test.conf:3: syntax error: expected NAME = value, got 'no operator here'");
	CHECK_STR(load_error("A = 1\nif defined A\nB = 2\n"),
		  "/cfgtest/test.conf:3: endif(s) not found before end-of-file");
	CHECK_STR(load_error("else\n"), "/cfgtest/test.conf:1: else without matching if");
	CHECK_STR(load_error("A = 1\nif foo bar\nendif\n"),
		  "/cfgtest/test.conf:2: foo bar is not a valid if condition because complex conditionals are not supported");
	CHECK_STR(load_error("if version > 5\nendif\n"),
		  "/cfgtest/test.conf:1: version > 5 is not a valid if condition because the version literal is invalid");
	CHECK_STR(load_error("X @=end\nline\n"),
		  "/cfgtest/test.conf:2: end of file while scanning for '@end' (the end of X @=end)");
	CHECK_STR(load_error("A-B = 1\n"), "/cfgtest/test.conf:1: Illegal Identifier: <A-B>");
	/* "if" starts a condition whatever its case, as in HTCondor */
	CHECK_STR(load_error("IF = 1\n"),
		  "/cfgtest/test.conf:1: = 1 is not a valid if condition because complex conditionals are not supported");
	CHECK_STR(load_error("\ninclude command : /bin/echo A = 1\n"),
		  "/cfgtest/test.conf:2: include command : refused: annex never runs commands named in its configuration");
	CHECK_STR(load_error("include : /bin/echo A = 1 |\n"),
		  "/cfgtest/test.conf:1: include : /bin/echo A = 1 | refused: a source ending in '|' is a command, and annex never runs commands named in its configuration");
	CHECK_STR(load_error("include : /nonexistent/x.conf\n"),
		  "/cfgtest/test.conf:1: include : cannot read config source /nonexistent/x.conf: No such file or directory");
	CHECK_STR(load_error("include : /\n"),
		  "/cfgtest/test.conf:1: include : cannot read config source /: not a regular file");
	CHECK_STR(load_error("include ifexist : /nonexistent/x.conf\n"), "<loaded>");
	CHECK_STR(load_error("error : stop here\n"), "/cfgtest/test.conf:1: Error: stop here");
	CHECK_STR(load_error("A = $INT(B)\nB = x\nC = $INT(C)\n"), "<loaded>");
}

static void t_include_loop_and_nested_error(void)
{
	char *main_text = xasprintf("A = 1\ninclude : %s/a.conf\n", tmpdir);
	char *a = xasprintf("B = 2\ninclude : %s/a.conf\n", tmpdir);
	char *want = xasprintf("/cfgtest/test.conf:2: include : %s/a.conf:2: include : include loop: %s/a.conf is already being read",
			       tmpdir, tmpdir);
	write_file("a.conf", a);
	CHECK_STR(load_error(main_text), want);
	free(main_text);
	free(a);
	free(want);

	main_text = xasprintf("include : %s/b.conf\n", tmpdir);
	write_file("b.conf", "X = 1\n\nif\n");
	want = xasprintf("/cfgtest/test.conf:1: include : %s/b.conf:3:  is not a valid if condition because expression is not a conditional", tmpdir);
	CHECK_STR(load_error(main_text), want);
	free(main_text);
	free(want);
}

/* An include the reader may not open is an error naming file:line. Root
 * can open anything, so as root the load runs in a child dropped to
 * nobody; the child reports the message through a pipe. */
static void t_unreadable_include(void)
{
	char *secret = xasprintf("%s/secret.conf", tmpdir);
	char *text = xasprintf("A = 1\ninclude : %s\n", secret);
	char *want = xasprintf("/cfgtest/test.conf:2: include : cannot read config source %s: Permission denied", secret);
	char got[2048] = "";
	int fds[2];

	write_file("secret.conf", "B = 2\n");
	CHECK(chmod(secret, 0600) == 0);
	CHECK(chmod(tmpdir, 0755) == 0);
	CHECK(pipe(fds) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
				       setresuid(65534, 65534, 65534) < 0))
			_exit(2);
		const char *msg = load_error(text);
		if (write(fds[1], msg, strlen(msg)) < 0)
			_exit(3);
		_exit(0);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], got, sizeof got - 1);
	got[n > 0 ? n : 0] = 0;
	close(fds[0]);
	int ws = 0;
	waitpid(pid, &ws, 0);
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	CHECK_STR(got, want);
	chmod(tmpdir, 0700);
	free(secret);
	free(text);
	free(want);
}

static void t_local_name_precedence(void)
{
	struct annex_err err;
	const char *text = "X = plain\nANNEX.X = annex\nus_east_1.X = local\nY = $(X)\nus_east_1.E =\nE = full\n";
	struct annex_config *cfg = load_text(text, NULL, &err);
	CHECK_STR(cfg ? "" : err.msg, "");
	CHECK_STR(get(cfg, "X"), "annex");
	CHECK_STR(get(cfg, "Y"), "annex");
	CHECK_STR(get(cfg, "E"), "full");
	CHECK(config_set_local_name(cfg, "us_east_1", &err) == 0);
	CHECK_STR(get(cfg, "X"), "local");
	CHECK_STR(get(cfg, "Y"), "local");
	CHECK_STR(get(cfg, "E"), "<undef>");
	CHECK(!config_is_configured(cfg, "E"));
	CHECK(config_set_local_name(cfg, "eu_west_1", &err) == 0);
	CHECK_STR(get(cfg, "X"), "annex");
	CHECK(config_set_local_name(cfg, NULL, &err) == 0);
	CHECK_STR(get(cfg, "LOCALNAME"), "<undef>");
	config_free(cfg);

	cfg = load_text("L = x\nus_west_2.L = $(L) y\n", "us_west_2", &err);
	CHECK_STR(cfg ? "" : err.msg, "");
	/* the self-reference inside LOCALNAME.L means plain L */
	CHECK_STR(get(cfg, "L"), "x y");
	CHECK_STR(get(cfg, "LOCALNAME"), "us_west_2");
	config_free(cfg);

	char *s = config_local_name_from_region("us-east-1");
	CHECK_STR(s, "us_east_1");
	free(s);
	s = config_local_name_from_region("a b:c/d.e");
	CHECK_STR(s, "a_b_c/d.e");
	free(s);
}

static void t_is_configured(void)
{
	struct annex_err err;
	setenv("_condor_FROM_ENV", "e", 1);
	struct annex_config *cfg = load_text(
		"ANNEX_DEFAULT_S3_URL = http://127.0.0.1:5000\nEMPTY =\nREF = $(NOPE)\n", NULL, &err);
	unsetenv("_condor_FROM_ENV");
	CHECK_STR(cfg ? "" : err.msg, "");
	CHECK_STR(get(cfg, "ANNEX_DEFAULT_EC2_URL"), "https://ec2.us-east-1.amazonaws.com");
	CHECK(!config_is_configured(cfg, "ANNEX_DEFAULT_EC2_URL"));
	CHECK_STR(config_source(cfg, "ANNEX_DEFAULT_EC2_URL"), "<Default>");
	CHECK(config_is_configured(cfg, "ANNEX_DEFAULT_S3_URL"));
	CHECK_STR(config_source(cfg, "annex_default_s3_url"), "/cfgtest/test.conf:1");
	CHECK(!config_is_configured(cfg, "ANNEX_DEFAULT_AWS_REGION"));
	CHECK_STR(get(cfg, "ANNEX_DEFAULT_AWS_REGION"), "us-east-1");
	CHECK(!config_is_configured(cfg, "EMPTY"));
	CHECK(config_is_configured(cfg, "REF"));
	CHECK(!config_is_configured(cfg, "FULL_HOSTNAME"));
	CHECK_STR(config_source(cfg, "FULL_HOSTNAME"), "<Detected>");
	CHECK(config_is_configured(cfg, "FROM_ENV"));
	CHECK_STR(get(cfg, "FROM_ENV"), "e");
	CHECK(config_source(cfg, "NOPE") == NULL);
	CHECK_STR(get(cfg, "CONFIG_ROOT"), "/cfgtest");
	CHECK_STR(get(cfg, "SUBSYSTEM"), "ANNEX");
	CHECK_STR(get(cfg, "ANNEX_DEFAULT_ODI_INSTANCE_TYPE"), "m4.large");
	config_free(cfg);
}

static void t_typed_getters(void)
{
	struct annex_err err;
	struct annex_config *cfg = load_text("B1 = TRUE\nB2 = no\nB3 = 0\nB4 = maybe\nI = 60 * 5\nD = 0.25\n", NULL, &err);
	int b = -1;
	long long i = 0;
	double d = 0;
	CHECK_STR(cfg ? "" : err.msg, "");
	CHECK(config_get_bool(cfg, "B1", &b, &err) == 1 && b == 1);
	CHECK(config_get_bool(cfg, "B2", &b, &err) == 1 && b == 0);
	CHECK(config_get_bool(cfg, "B3", &b, &err) == 1 && b == 0);
	CHECK(config_get_bool(cfg, "B4", &b, &err) == -1);
	CHECK_STR(err.msg, "B4 = maybe is not a boolean (/cfgtest/test.conf:4)");
	CHECK(config_get_bool(cfg, "NOPE", &b, &err) == 0);
	CHECK(config_get_int(cfg, "I", &i, &err) == 1 && i == 300);
	CHECK(config_get_int(cfg, "ANNEX_DEFAULT_LEASE_DURATION", &i, &err) == 1 && i == 3000);
	CHECK(config_get_int(cfg, "B4", &i, &err) == -1);
	CHECK(config_get_double(cfg, "D", &d, &err) == 1 && d == 0.25);
	config_free(cfg);
}

static void t_cycle_is_an_error(void)
{
	struct annex_err err;
	struct annex_config *cfg = load_text("A = $(B)\nB = $(A)x\nBIG = $(BIG)$(BIG)\n", NULL, &err);
	CHECK_STR(cfg ? "" : err.msg, "");
	const char *v = get(cfg, "A");
	CHECK(strncmp(v, "<error: macro expansion", 23) == 0);
	config_free(cfg);
}

/* $Fd keeps the basename and as many directories as it has d's, however
 * many directories the path has (5000 here: more than any fixed table). */
static void t_filename_parts_of_a_deep_path(void)
{
	struct buf text = BUF_INIT;
	struct annex_err err;

	buf_puts(&text, "P = /");
	for (int i = 0; i < 5000; i++)
		buf_printf(&text, "d%d/", i);
	buf_puts(&text, "file.txt\nF1 = $Fdn(P)\nF2 = $Fddnx(P)\nF3 = $Fd(P)\n");
	struct annex_config *cfg = load_text(buf_cstr(&text), NULL, &err);
	CHECK_STR(cfg ? "" : err.msg, "");
	CHECK_STR(get(cfg, "F1"), "d4999/file");
	CHECK_STR(get(cfg, "F2"), "d4998/d4999/file.txt");
	CHECK_STR(get(cfg, "F3"), "d4999/");
	config_free(cfg);
	buf_free(&text);
}

static void t_files_user_config_and_locals(void)
{
	char *root = xasprintf("%s/condor_config", tmpdir);
	char *text = xasprintf("LOCAL_CONFIG_DIR = %s/d\nLOCAL_CONFIG_FILE = %s/local\nV = main\n"
			       "USER_CONFIG_FILE = %s/user\n", tmpdir, tmpdir, tmpdir);
	char *d = xasprintf("%s/d", tmpdir);
	struct config_load_opts o = { 0 };
	struct annex_config *cfg = NULL;
	struct annex_err err;

	write_file("condor_config", text);
	mkdir(d, 0755);
	write_file("d/10", "V = dir\n");
	write_file("d/x.sh", "V = excluded\n");
	write_file("local", "V = $(V)+local\n");
	write_file("user", "V = user\n");
	setenv("CONDOR_CONFIG", root, 1);
	setenv("_CONDOR_ENVKNOB", "$(V)!", 1);
	annex_err_clear(&err);
	CHECK(config_load(&cfg, &o, &err) == 0);
	if (cfg) {
		/* tests run as root in CI: the user config is named but not read */
		if (geteuid() == 0) {
			CHECK_STR(get(cfg, "V"), "dir+local");
			CHECK(!config_user_config_read(cfg));
		} else {
			CHECK_STR(get(cfg, "V"), "user");
			CHECK(config_user_config_read(cfg));
		}
		CHECK_STR(config_local_config_dirs(cfg), d);
		CHECK_STR(config_root_file(cfg), root);
		char *up = xasprintf("%s/user", tmpdir);
		CHECK_STR(config_user_config_path(cfg), up);
		free(up);
		CHECK(config_is_configured(cfg, "ENVKNOB"));
		config_free(cfg);
	}

	/* a relative USER_CONFIG_FILE lives in .condor/ under the passwd home */
	write_file("condor_config", "A = 1\n");
	o.passwd_home = "/home/someone";
	CHECK(config_load(&cfg, &o, &err) == 0);
	if (cfg) {
		CHECK_STR(config_user_config_path(cfg), "/home/someone/.condor/user_config");
		config_free(cfg);
	}

	/* a missing LOCAL_CONFIG_FILE is an error (REQUIRE_LOCAL_CONFIG_FILE) */
	write_file("condor_config", "LOCAL_CONFIG_FILE = /nonexistent/local\n");
	CHECK(config_load(&cfg, &o, &err) == -1);
	CHECK_STR(err.msg, "cannot read config source /nonexistent/local: No such file or directory");
	write_file("condor_config", "REQUIRE_LOCAL_CONFIG_FILE = false\nLOCAL_CONFIG_FILE = /nonexistent/local\n");
	CHECK(config_load(&cfg, &o, &err) == 0);
	config_free(cfg);

	setenv("CONDOR_CONFIG", "/nonexistent/condor_config", 1);
	CHECK(config_load(&cfg, &o, &err) == -1);
	CHECK_STR(err.msg, "cannot read config source /nonexistent/condor_config: No such file or directory");
	setenv("CONDOR_CONFIG", "ONLY_ENV", 1);
	CHECK(config_load(&cfg, &o, &err) == 0);
	if (cfg) {
		CHECK_STR(get(cfg, "ENVKNOB"), "!");
		CHECK(config_root_file(cfg) == NULL);
		config_free(cfg);
	}
	unsetenv("_CONDOR_ENVKNOB");
	unsetenv("CONDOR_CONFIG");
	free(root);
	free(text);
	free(d);
}

static void t_templates(void)
{
	struct annex_err err;
	struct annex_config *cfg = load_text(
		"use ROLE : Personal\nuse SECURITY : USER_BASED\nuse ROLE : Bogus\nuse FEATURE : PartitionableSlot(2, 50%)\n",
		NULL, &err);
	CHECK_STR(cfg ? "" : err.msg, "");
	CHECK_STR(get(cfg, "DAEMON_LIST"), "MASTER COLLECTOR NEGOTIATOR STARTD SCHEDD");
	CHECK_STR(get(cfg, "COLLECTOR_HOST"), "127.0.0.1:0");
	CHECK_STR(get(cfg, "SEC_DEFAULT_AUTHENTICATION"), "required");
	CHECK_STR(get(cfg, "SLOT_TYPE_2"), "50%");
	CHECK_STR(config_source(cfg, "DAEMON_LIST"), "/cfgtest/test.conf:1");
	CHECK(strstr(config_warnings(cfg), "/cfgtest/test.conf:3: use ROLE: does not recognise Bogus") != NULL);
	config_free(cfg);
}

TESTS(T(t_later_wins_and_lazy_expansion), T(t_defaults_and_self_reference), T(t_functions),
      T(t_continuation_comments_heredoc), T(t_if_elif_else), T(t_errors_name_file_and_line),
      T(t_include_loop_and_nested_error), T(t_unreadable_include), T(t_local_name_precedence), T(t_is_configured),
      T(t_typed_getters), T(t_cycle_is_an_error), T(t_filename_parts_of_a_deep_path), T(t_files_user_config_and_locals), T(t_templates))

/* A fresh directory for the file tests, made before main runs. */
__attribute__((constructor)) static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_config.XXXXXX");
	if (!mkdtemp(tmpdir))
		abort();
}

__attribute__((destructor)) static void remove_tmpdir(void)
{
	char *cmd[] = { "a.conf", "b.conf", "secret.conf", "condor_config", "d/10", "d/x.sh", "local", "user", NULL };
	for (char **c = cmd; *c; c++) {
		char *p = xasprintf("%s/%s", tmpdir, *c);
		unlink(p);
		free(p);
	}
	char *d = xasprintf("%s/d", tmpdir);
	rmdir(d);
	free(d);
	rmdir(tmpdir);
}
