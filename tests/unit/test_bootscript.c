/* Unit tests for bootscript.c: the one quoting function (checked by a round
 * trip through bash), hostile values refused or quoted, the binary password
 * carried exactly, every value present only as a quoted word, sizes. */
#include "annex/bootscript.h"
#include "annex/buf.h"
#include "annex/embedded.h"
#include "annex/err.h"
#include "harness.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const unsigned char PW[] = { 'p', 'o', 0, 'o', 'l', 0xff, '\'', '$', '(', 'x', ')', '\n', 0x01, 0x80 };

static void values(struct bootscript_values *v)
{
	memset(v, 0, sizeof *v);
	v->collector_addr = "203.0.113.1:9618";
	v->annex_name = "Zq9-annex";
	v->annex_id = "Zq9-annex_6d1f0a52-8c4e-4f7b-9a51-2b7f0f3c9e11";
	v->lease_end = 1900000000;
	v->idle_s = 900;
	v->owners = "alice,bob  carol";
	v->password = PW;
	v->password_len = sizeof PW;
	v->series = "25.0";
}

/* Runs `printf %s <quoted>` through bash and returns what bash printed. */
static void bash_roundtrip(const char *quoted, struct buf *out)
{
	char path[] = "/tmp/annex-quote-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w"), *p;
	char tmp[4096];
	size_t n;
	char *cmd;

	fprintf(f, "printf %%s %s", quoted);
	fclose(f);
	cmd = xasprintf("/bin/bash %s", path);
	p = popen(cmd, "r");
	while (p && (n = fread(tmp, 1, sizeof tmp, p)) > 0)
		buf_append(out, tmp, n);
	if (p)
		pclose(p);
	unlink(path);
	free(cmd);
}

static void t_quote_roundtrip(void)
{
	const char *hostile[] = {
		"", "plain", "it's", "''", "'\\''", "$(touch /tmp/annex-pwned)", "`id`", "a\nb\n\n",
		"back\\slash\\", "\"dq\" $HOME ${X:-y} !! * ? [a] ~ & ; | < > #", "tab\there\r\x01\x7f\xff\xc3\xa9",
		"'; touch /tmp/annex-pwned #", "\\'",
	};
	unlink("/tmp/annex-pwned");
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		struct buf q = BUF_INIT, back = BUF_INIT;
		bootscript_shell_quote(&q, hostile[i], strlen(hostile[i]));
		CHECK(q.data[0] == '\'' && q.data[q.len - 1] == '\'');
		bash_roundtrip(buf_cstr(&q), &back);
		CHECK_INT(back.len, strlen(hostile[i]));
		CHECK(back.len == strlen(hostile[i]) && memcmp(buf_cstr(&back), hostile[i], back.len) == 0);
		buf_free(&q);
		buf_free(&back);
	}
	CHECK(access("/tmp/annex-pwned", F_OK) != 0);
}

static void t_quote_exact_form(void)
{
	struct buf q = BUF_INIT;
	bootscript_shell_quote(&q, "a'b", 3);
	CHECK_STR(buf_cstr(&q), "'a'\\''b'");
	buf_reset(&q);
	bootscript_shell_quote(&q, "", 0);
	CHECK_STR(buf_cstr(&q), "''");
	buf_free(&q);
}

/* The script holds NAME=<quoted value> on a line of its own. */
static int has_assignment(const char *script, const char *name, const char *value, size_t len)
{
	struct buf want = BUF_INIT;
	int found;
	buf_printf(&want, "\n%s=", name);
	bootscript_shell_quote(&want, value, len);
	buf_putc(&want, '\n');
	found = strstr(script, buf_cstr(&want)) != NULL;
	buf_free(&want);
	return found;
}

/* Counts occurrences of needle in the script outside single quotes
 * (comments skipped, double-quoted text counts as outside). */
static int unquoted_occurrences(const char *s, size_t len, const char *needle)
{
	size_t nl = strlen(needle);
	int state = 0, count = 0;    /* 0 outside, 1 in '...', 2 in "..." */
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (state != 1 && i + nl <= len && memcmp(s + i, needle, nl) == 0)
			count++;
		if (state == 1) {
			if (c == '\'')
				state = 0;
		} else if (c == '\\') {
			i++;
		} else if (state == 2) {
			if (c == '"')
				state = 0;
		} else if (c == '\'') {
			state = 1;
		} else if (c == '"') {
			state = 2;
		} else if (c == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t' || s[i - 1] == '\n')) {
			while (i < len && s[i] != '\n')
				i++;
		}
	}
	return count;
}

static void t_render_values_only_quoted(void)
{
	struct bootscript_values v;
	struct bootscript_knob knobs[] = {
		{ "SEC_DEFAULT_ENCRYPTION", "REQUIRED" },
		{ "ALLOW_WRITE", "it's $(whoami) `id` condor_pool@$(UID_DOMAIN) \"q\"" },
	};
	const unsigned char cfg[] = "NUM_CPUS = 2\n# it's $(MINE) `x`\n";
	struct bootscript_file files[] = { { "10-mine.config", cfg, sizeof cfg - 1 } };
	const char *user = "#!/bin/sh\necho 'hi' \"$(date)\" `id`\n";
	struct buf out, config = BUF_INIT;
	struct annex_err err;

	values(&v);
	v.security = knobs;
	v.n_security = 2;
	v.config_files = files;
	v.n_config_files = 1;
	v.user_script = (const unsigned char *)user;
	v.user_script_len = strlen(user);
	CHECK_INT(bootscript_render(&v, &out, &err), 0);
	CHECK(out.secret);
	CHECK(strncmp(buf_cstr(&out), "#!/bin/bash\n", 12) == 0);
	CHECK(strstr(buf_cstr(&out), "@@") == NULL);

	CHECK(has_assignment(out.data, "annex_name", "Zq9-annex", 9));
	CHECK(has_assignment(out.data, "annex_id", v.annex_id, strlen(v.annex_id)));
	CHECK(has_assignment(out.data, "lease_end", "1900000000", 10));
	CHECK(has_assignment(out.data, "lease_end_iso", "2030-03-17T17:46:40Z", 20));
	CHECK(has_assignment(out.data, "series", "25.0", 4));
	CHECK(has_assignment(out.data, "password_file", BOOTSCRIPT_DEFAULT_PASSWORD_FILE,
			     strlen(BOOTSCRIPT_DEFAULT_PASSWORD_FILE)));
	CHECK_INT(bootscript_render_config(&v, &config, &err), 0);
	CHECK(has_assignment(out.data, "annex_config", config.data, config.len));
	CHECK(strstr(config.data, "ALLOW_WRITE = it's $(whoami) `id` condor_pool@$(UID_DOMAIN) \"q\"\n") != NULL);
	CHECK(strstr(config.data, "START = $(START) && (MayUseAWS == TRUE) && stringListMember(Owner, \"alice, bob, carol\")\n") != NULL);
	CHECK(strstr(buf_cstr(&out), "extra_config_names=('10-mine.config')\n") != NULL);

	/* values outside single quotes: none (the annex name and id appear
	 * only as quoted words and inside the quoted config) */
	CHECK_INT(unquoted_occurrences(out.data, out.len, "Zq9-annex"), 0);
	CHECK_INT(unquoted_occurrences(out.data, out.len, "203.0.113.1"), 0);
	CHECK_INT(unquoted_occurrences(out.data, out.len, "whoami"), 0);
	CHECK_INT(unquoted_occurrences(out.data, out.len, "1900000000"), 0);
	/* the scanner itself does see unquoted text */
	CHECK(unquoted_occurrences(out.data, out.len, "block_metadata") > 0);

	/* the user's script and the config file travel as base64 only */
	CHECK(strstr(out.data, "echo 'hi'") == NULL);
	CHECK(strstr(out.data, "NUM_CPUS = 2") == NULL);
	buf_free(&out);
	buf_free(&config);
}

/* Decodes the script's pool_password_b64 word and compares with PW. */
static void t_binary_password_exact(void)
{
	struct bootscript_values v;
	struct buf out;
	struct annex_err err;
	const char *p, *e;
	unsigned char dec[256];
	int n;

	values(&v);
	CHECK_INT(bootscript_render(&v, &out, &err), 0);
	p = strstr(out.data, "\npool_password_b64='");
	CHECK(p != NULL);
	if (!p)
		return;
	p += strlen("\npool_password_b64='");
	e = strchr(p, '\'');
	CHECK(e && e[1] == '\n');
	n = EVP_DecodeBlock(dec, (const unsigned char *)p, (int)(e - p));
	CHECK(n >= (int)sizeof PW);
	/* EVP_DecodeBlock counts the padding as zero bytes */
	n -= (e[-1] == '=') + (e[-2] == '=');
	CHECK_INT(n, sizeof PW);
	CHECK(memcmp(dec, PW, sizeof PW) == 0);
	CHECK(memmem(out.data, out.len, PW, sizeof PW) == NULL);
	CHECK(memmem(out.data, out.len, "po\0ol", 5) == NULL);
	buf_free(&out);
}

static int render_fails(struct bootscript_values *v, const char *what)
{
	struct buf out;
	struct annex_err err;
	int rc;

	annex_err_clear(&err);
	rc = bootscript_render(v, &out, &err);
	if (rc == 0) {
		buf_free(&out);
		return 0;
	}
	return strcmp(err.code, "BootScript") == 0 && strstr(err.msg, what) != NULL && out.len == 0;
}

static void t_hostile_values_refused(void)
{
	struct bootscript_values v;
	struct bootscript_knob bad_knob[] = { { "X", "a\nSTART = TRUE" } }, bad_name[] = { { "A B", "1" } },
			       cont[] = { { "X", "a \\" } };
	const unsigned char d[] = "x";
	struct bootscript_file bad_file[] = { { "../passwd", d, 1 } }, same[] = { { "50-annex.config", d, 1 } };

	values(&v); v.collector_addr = "cm.example.com\nSTART = TRUE"; CHECK(render_fails(&v, "collector"));
	values(&v); v.collector_addr = "$(evil):9618"; CHECK(render_fails(&v, "collector"));
	values(&v); v.collector_addr = "cm #x"; CHECK(render_fails(&v, "collector"));
	values(&v); v.collector_addr = ""; CHECK(render_fails(&v, "collector"));
	values(&v); v.annex_name = "it's"; CHECK(render_fails(&v, "annex name"));
	values(&v); v.annex_name = "a_b"; CHECK(render_fails(&v, "annex name"));
	values(&v); v.annex_name = "abcdefghijklmnopqrstuvwxyz01"; CHECK(render_fails(&v, "annex name"));
	values(&v); v.annex_id = "x$(y)"; CHECK(render_fails(&v, "annex id"));
	values(&v); v.owners = "alice, $(id)"; CHECK(render_fails(&v, "owner"));
	values(&v); v.owners = "al\"ice"; CHECK(render_fails(&v, "owner"));
	values(&v); v.owners = " , "; CHECK(render_fails(&v, "owner list is empty"));
	values(&v); v.password_len = 0; CHECK(render_fails(&v, "password"));
	values(&v); v.password_file = "etc/pw"; CHECK(render_fails(&v, "SEC_PASSWORD_FILE"));
	values(&v); v.password_file = "/etc/../pw"; CHECK(render_fails(&v, "SEC_PASSWORD_FILE"));
	values(&v); v.password_file = "/etc/pw x"; CHECK(render_fails(&v, "SEC_PASSWORD_FILE"));
	values(&v); v.series = "25.1"; CHECK(render_fails(&v, "series"));
	values(&v); v.series = "25.0; rm"; CHECK(render_fails(&v, "series"));
	values(&v); v.idle_s = 0; CHECK(render_fails(&v, "idle"));
	values(&v); v.lease_end = 0; CHECK(render_fails(&v, "lease"));
	values(&v); v.lease_end_iso = "2030'"; CHECK(render_fails(&v, "ISO"));
	values(&v); v.security = bad_knob; v.n_security = 1; CHECK(render_fails(&v, "one line"));
	values(&v); v.security = cont; v.n_security = 1; CHECK(render_fails(&v, "one line"));
	values(&v); v.security = bad_name; v.n_security = 1; CHECK(render_fails(&v, "knob name"));
	values(&v); v.config_files = bad_file; v.n_config_files = 1; CHECK(render_fails(&v, "-config-dir"));
	values(&v); v.config_files = same; v.n_config_files = 1; CHECK(render_fails(&v, "-config-dir"));
	/* and the defaults render */
	values(&v); CHECK(!render_fails(&v, ""));
}

static void t_config_contents(void)
{
	struct bootscript_values v;
	struct buf c = BUF_INIT;
	struct annex_err err;
	const char *want[] = {
		"CONDOR_HOST = 203.0.113.1\n", "COLLECTOR_HOST = 203.0.113.1:9618\n", "use ROLE : Execute\n",
		"SEC_PASSWORD_FILE = /etc/condor/passwords.d/POOL\n", "SEC_DAEMON_AUTHENTICATION = REQUIRED\n",
		"SEC_DAEMON_INTEGRITY = REQUIRED\n", "SEC_DAEMON_AUTHENTICATION_METHODS = PASSWORD\n",
		"SEC_NEGOTIATOR_AUTHENTICATION = REQUIRED\n", "SEC_NEGOTIATOR_INTEGRITY = REQUIRED\n",
		"SEC_NEGOTIATOR_AUTHENTICATION_METHODS = PASSWORD\n", "ALLOW_DAEMON = condor_pool@*\n",
		"CCB_ADDRESS = $(COLLECTOR_HOST)\n", "AnnexName = \"Zq9-annex\"\n", "IsAnnex = TRUE\n",
		"STARTD_ATTRS = $(STARTD_ATTRS) AnnexName IsAnnex EC2InstanceID\n",
		"MASTER_ATTRS = $(MASTER_ATTRS) AnnexName IsAnnex EC2InstanceID\n",
		"STARTD_NOCLAIM_SHUTDOWN = 900\n",
		"DEFAULT_MASTER_SHUTDOWN_SCRIPT = /usr/local/libexec/annex/master-shutdown\n",
	};
	values(&v);
	CHECK_INT(bootscript_render_config(&v, &c, &err), 0);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!strstr(buf_cstr(&c), want[i]))
			harness_fail_(__FILE__, __LINE__, "config lacks %s", want[i]);
	buf_reset(&c);
	v.owners = NULL;
	v.collector_addr = "[2001:db8::1]:9618";
	CHECK_INT(bootscript_render_config(&v, &c, &err), 0);
	CHECK(strstr(buf_cstr(&c), "\nSTART = $(START) && (MayUseAWS == TRUE)\n") != NULL);
	CHECK(strstr(buf_cstr(&c), "CONDOR_HOST = 2001:db8::1\n") != NULL);
	buf_reset(&c);
	v.collector_addr = "cm.example.com";
	CHECK_INT(bootscript_render_config(&v, &c, &err), 0);
	CHECK(strstr(buf_cstr(&c), "CONDOR_HOST = cm.example.com\n") != NULL);
	CHECK(strstr(buf_cstr(&c), "COLLECTOR_HOST = cm.example.com\n") != NULL);
	buf_free(&c);
}

/* START as condor_annex 8.8's nodes have it: jobs opt in with MayUseAWS,
 * plus the owner clause; -no-may-use-aws drops the opt-in. */
static void t_start_expression(void)
{
	struct {
		const char *owners;
		int no_may;
		const char *want;   /* the START line, NULL: none */
	} rows[] = {
		{ "alice,bob", 0, "START = $(START) && (MayUseAWS == TRUE) && stringListMember(Owner, \"alice, bob\")\n" },
		{ NULL, 0, "START = $(START) && (MayUseAWS == TRUE)\n" },
		{ "alice", 1, "START = $(START) && stringListMember(Owner, \"alice\")\n" },
		{ NULL, 1, NULL },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct bootscript_values v;
		struct buf c = BUF_INIT;
		struct annex_err err;
		const char *start;
		values(&v);
		v.owners = rows[i].owners;
		v.no_may_use_aws = rows[i].no_may;
		CHECK_INT(bootscript_render_config(&v, &c, &err), 0);
		start = strstr(buf_cstr(&c), "\nSTART =");
		if (rows[i].want) {
			CHECK(start != NULL);
			if (start) {
				CHECK(strncmp(start + 1, rows[i].want, strlen(rows[i].want)) == 0);
				CHECK(strstr(start + 1, "\nSTART =") == NULL);   /* one START line */
			}
		} else {
			CHECK(start == NULL);
			CHECK(strstr(buf_cstr(&c), "MayUseAWS") == NULL);
		}
		buf_free(&c);
	}
}

/* The two node knobs are rendered as given (0: the defaults), and values a
 * node could not honour are refused. */
static void t_node_knobs(void)
{
	struct bootscript_values v;
	struct buf out;
	struct annex_err err;

	values(&v);
	CHECK_INT(bootscript_render(&v, &out, &err), 0);
	CHECK(has_assignment(out.data, "boot_failure_grace", "300", 3));
	CHECK(has_assignment(out.data, "join_timeout", "1800", 4));
	buf_free(&out);
	values(&v);
	v.boot_failure_grace_s = 45;
	v.join_timeout_s = 600;
	CHECK_INT(bootscript_render(&v, &out, &err), 0);
	CHECK(has_assignment(out.data, "boot_failure_grace", "45", 2));
	CHECK(has_assignment(out.data, "join_timeout", "600", 3));
	buf_free(&out);
	values(&v); v.boot_failure_grace_s = -1; CHECK(render_fails(&v, "boot failure grace"));
	values(&v); v.boot_failure_grace_s = 86401; CHECK(render_fails(&v, "boot failure grace"));
	values(&v); v.join_timeout_s = 59; CHECK(render_fails(&v, "join timeout"));
	values(&v); v.join_timeout_s = 604801; CHECK(render_fails(&v, "join timeout"));
	values(&v); v.boot_failure_grace_s = 86400; v.join_timeout_s = 60; CHECK(!render_fails(&v, ""));
	/* the Spot watcher's round and the launch's market (the node's fallback) */
	values(&v);
	CHECK_INT(bootscript_render(&v, &out, &err), 0);
	CHECK(has_assignment(out.data, "spot_poll", "5", 1));
	CHECK(has_assignment(out.data, "launched_spot", "0", 1));
	buf_free(&out);
	values(&v);
	v.spot = 1;
	v.spot_poll_s = 60;
	CHECK_INT(bootscript_render(&v, &out, &err), 0);
	CHECK(has_assignment(out.data, "spot_poll", "60", 2));
	CHECK(has_assignment(out.data, "launched_spot", "1", 1));
	buf_free(&out);
	values(&v); v.spot_poll_s = -1; CHECK(render_fails(&v, "Spot poll interval"));
	values(&v); v.spot_poll_s = 61; CHECK(render_fails(&v, "Spot poll interval"));
}

/* The idle limit and the lease end reach the node exactly: seconds, not
 * minutes or hours; the lease end as given, in both forms. */
static void t_idle_and_lease_exact(void)
{
	struct bootscript_values v;
	struct buf out, c = BUF_INIT;
	struct annex_err err;

	values(&v);
	v.idle_s = 1234;
	v.lease_end = 1900003600;
	CHECK_INT(bootscript_render_config(&v, &c, &err), 0);
	CHECK(strstr(buf_cstr(&c), "\nSTARTD_NOCLAIM_SHUTDOWN = 1234\n") != NULL);
	CHECK_INT(bootscript_render(&v, &out, &err), 0);
	CHECK(has_assignment(out.data, "lease_end", "1900003600", 10));
	CHECK(has_assignment(out.data, "lease_end_iso", "2030-03-17T18:46:40Z", 20));
	buf_free(&out);
	buf_free(&c);
}

/* The script never traces itself (its trace would print the pool password
 * to the console): tracing is switched off before any value, and nothing
 * switches it on. */
static void t_never_traced(void)
{
	struct bootscript_values v;
	struct buf out;
	struct annex_err err;
	const char *off, *pw;

	values(&v);
	CHECK_INT(bootscript_render(&v, &out, &err), 0);
	CHECK(strncmp(out.data, "#!/bin/bash\n", 12) == 0);
	off = strstr(out.data, "\nset +x\n");
	pw = strstr(out.data, "\npool_password_b64=");
	CHECK(off && pw && off < pw);
	CHECK(strstr(out.data, "set -x") == NULL);
	CHECK(strstr(out.data, "xtrace") == NULL);
	CHECK(strstr(out.data, "set -o x") == NULL);
	CHECK(strstr(out.data, "BASH_XTRACEFD") == NULL);
	CHECK(strstr(out.data, "set -uxo") == NULL && strstr(out.data, "set -xuo") == NULL);
	buf_free(&out);
}

/* Each program the node installs travels whole, as one quoted word. */
static void t_programs_carried(void)
{
	static const char *const progs[][2] = {
		{ "imds_block_script", "src/templates/imds-block.sh" },
		{ "lease_watch_script", "src/templates/lease-watch.sh" },
		{ "join_watch_script", "src/templates/join-watch.sh" },
		{ "master_shutdown_script", "src/templates/master-shutdown.sh" },
		{ "watch_lib_script", "src/templates/watch-lib.sh" },
		{ "spot_watch_script", "src/templates/spot-watch.sh" },
	};
	struct bootscript_values v;
	struct buf out;
	struct annex_err err;

	values(&v);
	v.spot = 1;
	CHECK_INT(bootscript_render(&v, &out, &err), 0);
	for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++) {
		const struct annex_embedded *e = embedded_find(progs[i][1]);
		CHECK(e != NULL);
		if (e && !has_assignment(out.data, progs[i][0], e->data, e->len))
			harness_fail_(__FILE__, __LINE__, "%s is not %s", progs[i][0], progs[i][1]);
	}
	buf_free(&out);
	/* an on-demand launch carries no Spot watcher */
	values(&v);
	CHECK_INT(bootscript_render(&v, &out, &err), 0);
	CHECK(has_assignment(out.data, "spot_watch_script", "", 0));
	buf_free(&out);
}

static void t_size(void)
{
	struct bootscript_values v;
	struct buf out;
	struct annex_err err;
	unsigned char *big = xmalloc(40000);
	int gz = -1;

	values(&v);
	CHECK_INT(bootscript_user_data(&v, &out, &gz, &err), 0);
	/* The script with its seven programs is over AWS's 16 KB, so it travels
	 * gzip-compressed (cloud-init unpacks it), leaving room for a user's
	 * script under AWS's 16 KB. */
	CHECK_INT(gz, 1);
	CHECK(out.len < 9500);
	buf_free(&out);
	/* a Spot launch carries the interruption watcher too (2 KB more) */
	v.spot = 1;
	CHECK_INT(bootscript_user_data(&v, &out, &gz, &err), 0);
	CHECK(out.len < 10500);
	v.spot = 0;
	buf_free(&out);

	memset(big, 'x', 40000);
	v.user_script = big;
	v.user_script_len = 40000;
	CHECK_INT(bootscript_user_data(&v, &out, &gz, &err), 0);
	CHECK_INT(gz, 1);
	CHECK(out.len <= BOOTSCRIPT_MAX_USER_DATA);
	CHECK((unsigned char)out.data[0] == 0x1f && (unsigned char)out.data[1] == 0x8b);
	buf_free(&out);

	/* incompressible bytes (xorshift32) */
	unsigned int x = 2463534242u;
	for (int i = 0; i < 40000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		big[i] = (unsigned char)(x >> 24);
	}
	CHECK_INT(bootscript_user_data(&v, &out, &gz, &err), -1);
	CHECK(strstr(err.msg, "AWS allows 16384") != NULL);
	CHECK(out.len == 0);
	/* 6000 of those bytes (base64 in the script, which gzip packs back to
	 * about 6 KB) still fit */
	v.user_script_len = 6000;
	CHECK_INT(bootscript_user_data(&v, &out, &gz, &err), 0);
	CHECK(out.len <= BOOTSCRIPT_MAX_USER_DATA);
	buf_free(&out);
	free(big);
}

static void t_pick_series(void)
{
	char s[128], why[512];
	bootscript_pick_series("$CondorVersion: 25.14.0 2026-11-24 PRE-RELEASE-UWCS $\n", s, sizeof s, why, sizeof why);
	CHECK_STR(s, "25.x");
	CHECK(strstr(why, "25.14.0") != NULL);
	bootscript_pick_series("$CondorVersion: 25.0.3 2026-01-01 $\n", s, sizeof s, why, sizeof why);
	CHECK_STR(s, "25.0");
	bootscript_pick_series("$CondorVersion: 24.7.1 x $", s, sizeof s, why, sizeof why);
	CHECK_STR(s, "24.x");
	bootscript_pick_series("$CondorVersion: 23.0.9 x $", s, sizeof s, why, sizeof why);
	CHECK_STR(s, BOOTSCRIPT_LTS_SERIES);
	CHECK(strstr(why, "no longer carries") != NULL);
	bootscript_pick_series(NULL, s, sizeof s, why, sizeof why);
	CHECK_STR(s, BOOTSCRIPT_LTS_SERIES);
	bootscript_pick_series("garbage", s, sizeof s, why, sizeof why);
	CHECK_STR(s, BOOTSCRIPT_LTS_SERIES);
}

TESTS(T(t_quote_exact_form), T(t_quote_roundtrip), T(t_render_values_only_quoted), T(t_binary_password_exact),
      T(t_hostile_values_refused), T(t_config_contents), T(t_start_expression), T(t_node_knobs),
      T(t_idle_and_lease_exact), T(t_never_traced), T(t_programs_carried), T(t_size), T(t_pick_series))
