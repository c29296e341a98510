/* bootscript.c - the node's boot script from its embedded template
 * (src/templates/bootscript.sh), see include/annex/bootscript.h. */
#include "annex/bootscript.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "annex/embedded.h"
#include "annex/timefmt.h"

#define TEMPLATE_SCRIPT "src/templates/bootscript.sh"
#define TEMPLATE_LEASE_WATCH "src/templates/lease-watch.sh"
#define TEMPLATE_MASTER_SHUTDOWN "src/templates/master-shutdown.sh"
#define TEMPLATE_IMDS_BLOCK "src/templates/imds-block.sh"
#define TEMPLATE_JOIN_WATCH "src/templates/join-watch.sh"
#define TEMPLATE_WATCH_LIB "src/templates/watch-lib.sh"
#define TEMPLATE_SPOT_WATCH "src/templates/spot-watch.sh"
#define NODE_LIBEXEC "/usr/local/libexec/annex"
#define CONFIG_FILE_NAME "50-annex.config"

/* One placeholder of the template and the shell words that replace it. */
struct subst {
	const char *name;
	const char *const *words;   /* each already raw text; quoted on output */
	const size_t *lens;
	size_t n;
};

void bootscript_shell_quote(struct buf *out, const char *s, size_t len)
{
	buf_putc(out, '\'');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\'')
			buf_puts(out, "'\\''");
		else
			buf_putc(out, s[i]);
	}
	buf_putc(out, '\'');
}

/* Base64 (no line breaks) of len bytes into a secret buffer. */
static void b64_encode(struct buf *out, const unsigned char *data, size_t len)
{
	buf_init_secret(out);
	buf_grow(out, 4 * ((len + 2) / 3) + 1);
	/* EVP_EncodeBlock takes an int length; chunk on 3-byte boundaries. */
	size_t off = 0;
	while (off < len) {
		size_t n = len - off;
		if (n > 3 * 1024 * 1024)
			n = 3 * 1024 * 1024;
		int w = EVP_EncodeBlock((unsigned char *)out->data + out->len, data + off, (int)n);
		out->len += (size_t)w;
		off += n;
	}
	out->data[out->len] = 0;
}

static int all_chars(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return 0;
	return 1;
}

/* The collector address as HTCondor will read it: host[:port], an IPv6
 * literal in brackets, or a sinful string; nothing that HTCondor's config
 * syntax would treat specially ($, #, \, quotes, spaces, newlines). */
static int valid_collector(const char *a)
{
	return a && *a && strlen(a) <= 255 && all_chars(a, ".-_:[]<>?=&");
}

/* The host part of a collector address, for CONDOR_HOST (host-based ALLOW
 * lists compare it with host names, so no port there). */
static char *collector_host(const char *addr)
{
	const char *s = addr, *e;
	if (*s == '<')
		s++;
	if (*s == '[') {
		e = strchr(s, ']');
		return e ? xstrndup(s + 1, (size_t)(e - s - 1)) : xstrdup(s);
	}
	e = s + strcspn(s, ":?>");
	if (*e == ':' && strchr(e + 1, ':'))   /* a bare IPv6 literal: keep it whole */
		e = s + strcspn(s, "?>");
	return xstrndup(s, (size_t)(e - s));
}

static int valid_annex_name(const char *n)
{
	return n && *n && strlen(n) <= 27 && all_chars(n, ".-");
}

static int valid_series(const char *s)
{
	size_t d = 0;
	if (!s)
		return 0;
	while (isdigit((unsigned char)s[d]))
		d++;
	return d >= 1 && d <= 3 && s[d] == '.' && (s[d + 1] == '0' || s[d + 1] == 'x') && !s[d + 2];
}

static int valid_password_path(const char *p)
{
	size_t n = p ? strlen(p) : 0;
	return n > 1 && n < 4096 && p[0] == '/' && p[n - 1] != '/' && all_chars(p, "._/-") &&
	       !strstr(p, "/../") && !strstr(p, "/./") && strcmp(p + n - (n >= 3 ? 3 : n), "/..") != 0;
}

static int valid_knob_name(const char *n)
{
	return n && (isalpha((unsigned char)*n) || *n == '_') && strlen(n) <= 128 && all_chars(n, "_.");
}

/* A copied knob's value: one config line, taken verbatim (it may use
 * $(MACROS) as on the pool), so no line break and no continuation. */
static int valid_knob_value(const char *v)
{
	size_t n = v ? strlen(v) : 0;
	return v && !strpbrk(v, "\r\n") && (n == 0 || v[n - 1] != '\\');
}

static int valid_file_name(const char *n)
{
	return n && isalnum((unsigned char)*n) && strlen(n) <= 100 && all_chars(n, "._-") &&
	       strcmp(n, CONFIG_FILE_NAME) != 0;
}

/* Normalises "u1,u2  u3" into "u1, u2, u3" (the form condor_annex writes
 * into START); each name must be a plain user name. */
static int owners_list(const char *owners, struct buf *out, struct annex_err *err)
{
	const char *s = owners;
	int n = 0;
	while (*s) {
		size_t len;
		s += strspn(s, ", \t");
		len = strcspn(s, ", \t");
		if (!len)
			break;
		for (size_t i = 0; i < len; i++)
			if (!isalnum((unsigned char)s[i]) && !strchr("._@-", s[i]))
				return annex_err_set(err, "BootScript",
						     "owner list \"%s\": \"%.*s\" is not a user name",
						     owners, (int)len, s);
		buf_printf(out, "%s%.*s", n++ ? ", " : "", (int)len, s);
		s += len;
	}
	if (!n)
		return annex_err_set(err, "BootScript", "owner list is empty (use -no-owner for none)");
	return 0;
}

/* Checks every value before anything is rendered, naming the bad one. */
static int check_values(const struct bootscript_values *v, struct annex_err *err)
{
	if (!valid_collector(v->collector_addr))
		return annex_err_set(err, "BootScript", "collector address \"%s\" is not host[:port]",
				     v->collector_addr ? v->collector_addr : "");
	if (!valid_annex_name(v->annex_name))
		return annex_err_set(err, "BootScript",
				     "annex name \"%s\": use at most 27 of A-Z a-z 0-9 . -",
				     v->annex_name ? v->annex_name : "");
	if (!v->annex_id || !*v->annex_id || strlen(v->annex_id) > 64 || !all_chars(v->annex_id, "._-"))
		return annex_err_set(err, "BootScript", "annex id \"%s\" is not X_<uuid>",
				     v->annex_id ? v->annex_id : "");
	if (v->lease_end <= 0)
		return annex_err_set(err, "BootScript", "lease end %lld is not a time", v->lease_end);
	if (v->lease_end_iso && (!*v->lease_end_iso || !all_chars(v->lease_end_iso, "-:.+TZ")))
		return annex_err_set(err, "BootScript", "lease end \"%s\" is not ISO 8601", v->lease_end_iso);
	if (v->idle_s <= 0)
		return annex_err_set(err, "BootScript", "idle limit %ld s must be positive", v->idle_s);
	if (v->boot_failure_grace_s < 0 || v->boot_failure_grace_s > 86400)
		return annex_err_set(err, "BootScript", "boot failure grace %ld s: use 0 to 86400 seconds",
				     v->boot_failure_grace_s);
	if (v->join_timeout_s && (v->join_timeout_s < 60 || v->join_timeout_s > 604800))
		return annex_err_set(err, "BootScript", "join timeout %ld s: use 60 to 604800 seconds",
				     v->join_timeout_s);
	if (v->spot_poll_s && (v->spot_poll_s < 1 || v->spot_poll_s > BOOTSCRIPT_MAX_SPOT_POLL))
		return annex_err_set(err, "BootScript", "Spot poll interval %ld s: use 1 to %d seconds",
				     v->spot_poll_s, BOOTSCRIPT_MAX_SPOT_POLL);
	if (!v->password || !v->password_len)
		return annex_err_set(err, "BootScript", "the pool password is empty");
	if (v->password_file && !valid_password_path(v->password_file))
		return annex_err_set(err, "BootScript", "node SEC_PASSWORD_FILE \"%s\" is not a plain absolute path",
				     v->password_file);
	if (!valid_series(v->series))
		return annex_err_set(err, "BootScript", "HTCondor series \"%s\" is not N.0 or N.x",
				     v->series ? v->series : "");
	for (size_t i = 0; i < v->n_security; i++) {
		if (!valid_knob_name(v->security[i].name))
			return annex_err_set(err, "BootScript", "security knob name \"%s\" is not a config name",
					     v->security[i].name ? v->security[i].name : "");
		if (!valid_knob_value(v->security[i].value))
			return annex_err_set(err, "BootScript",
					     "security knob %s: its value must be one line without a trailing \\",
					     v->security[i].name);
	}
	for (size_t i = 0; i < v->n_config_files; i++) {
		if (!valid_file_name(v->config_files[i].name))
			return annex_err_set(err, "BootScript",
					     "-config-dir file \"%s\": names are A-Z a-z 0-9 . _ - (not " CONFIG_FILE_NAME ")",
					     v->config_files[i].name ? v->config_files[i].name : "");
		for (size_t j = 0; j < i; j++)
			if (strcmp(v->config_files[i].name, v->config_files[j].name) == 0)
				return annex_err_set(err, "BootScript", "-config-dir file \"%s\" given twice",
						     v->config_files[i].name);
	}
	return 0;
}

int bootscript_render_config(const struct bootscript_values *v, struct buf *out, struct annex_err *err)
{
	struct buf owners = BUF_INIT;
	char *host;

	if (check_values(v, err) < 0)
		return -1;
	if (v->owners && owners_list(v->owners, &owners, err) < 0) {
		buf_free(&owners);
		return -1;
	}
	host = collector_host(v->collector_addr);
	buf_printf(out,
		   "# Written by annex's boot script for annex %s; annex owns this file.\n"
		   "CONDOR_HOST = %s\n"
		   "COLLECTOR_HOST = %s\n"
		   "use ROLE : Execute\n\n",
		   v->annex_name, host, v->collector_addr);
	free(host);
	if (v->n_security) {
		buf_puts(out, "# Security settings copied from the pool.\n");
		for (size_t i = 0; i < v->n_security; i++)
			buf_printf(out, "%s = %s\n", v->security[i].name, v->security[i].value);
		buf_putc(out, '\n');
	}
	buf_printf(out,
		   "# The pool password, PASSWORD authentication and integrity, required.\n"
		   "SEC_PASSWORD_FILE = %s\n"
		   "SEC_DAEMON_AUTHENTICATION = REQUIRED\n"
		   "SEC_DAEMON_INTEGRITY = REQUIRED\n"
		   "SEC_DAEMON_AUTHENTICATION_METHODS = PASSWORD\n"
		   "SEC_NEGOTIATOR_AUTHENTICATION = REQUIRED\n"
		   "SEC_NEGOTIATOR_INTEGRITY = REQUIRED\n"
		   "SEC_NEGOTIATOR_AUTHENTICATION_METHODS = PASSWORD\n"
		   "SEC_CLIENT_AUTHENTICATION_METHODS = FS, PASSWORD\n"
		   "ALLOW_DAEMON = condor_pool@*\n"
		   "ALLOW_ADMINISTRATOR = $(ALLOW_ADMINISTRATOR) condor_pool@*\n\n"
		   "# No inbound port: the pool reaches this node through the collector.\n"
		   "CCB_ADDRESS = $(COLLECTOR_HOST)\n\n"
		   "AnnexName = \"%s\"\n"
		   "IsAnnex = TRUE\n"
		   "STARTD_ATTRS = $(STARTD_ATTRS) AnnexName IsAnnex EC2InstanceID\n"
		   "MASTER_ATTRS = $(MASTER_ATTRS) AnnexName IsAnnex EC2InstanceID\n",
		   v->password_file ? v->password_file : BOOTSCRIPT_DEFAULT_PASSWORD_FILE, v->annex_name);
	/* condor_annex's START: only jobs that opted in (+MayUseAWS = TRUE),
	 * and only the owners' jobs. */
	if (!v->no_may_use_aws || v->owners) {
		buf_puts(out, "START = $(START)");
		if (!v->no_may_use_aws)
			buf_puts(out, " && (MayUseAWS == TRUE)");
		if (v->owners)
			buf_printf(out, " && stringListMember(Owner, \"%s\")", buf_cstr(&owners));
		buf_putc(out, '\n');
	}
	buf_printf(out,
		   "\n# Idle: the startd exits, then the master, whose shutdown program\n"
		   "# powers the instance off (which terminates it); not when systemd\n"
		   "# stops or restarts condor.service.\n"
		   "STARTD_NOCLAIM_SHUTDOWN = %ld\n"
		   "MASTER.DAEMON_SHUTDOWN_FAST = (STARTD_StartTime == 0) && ((CurrentTime - DaemonStartTime) > 300)\n"
		   "DEFAULT_MASTER_SHUTDOWN_SCRIPT = " NODE_LIBEXEC "/master-shutdown\n",
		   v->idle_s);
	buf_free(&owners);
	return 0;
}

static const struct annex_embedded *template_get(const char *name, struct annex_err *err)
{
	const struct annex_embedded *e = embedded_find(name);
	if (!e)
		annex_err_set(err, "BootScript", "template %s is not embedded in this build", name);
	return e;
}

/* Copies the template to out, replacing each @@NAME@@ by its words, each
 * shell-quoted, separated by spaces. An unknown placeholder is a bug in the
 * template and fails. */
static int subst_template(const struct annex_embedded *t, const struct subst *subs, size_t n_subs,
			  struct buf *out, struct annex_err *err)
{
	const char *p = t->data, *end = t->data + t->len;

	while (p < end) {
		const char *at = memmem(p, (size_t)(end - p), "@@", 2), *close;
		size_t k;
		if (!at) {
			buf_append(out, p, (size_t)(end - p));
			break;
		}
		buf_append(out, p, (size_t)(at - p));
		close = memmem(at + 2, (size_t)(end - at - 2), "@@", 2);
		if (!close)
			return annex_err_set(err, "BootScript", "%s: unterminated @@ placeholder", t->name);
		for (k = 0; k < n_subs; k++)
			if (strlen(subs[k].name) == (size_t)(close - at - 2) &&
			    memcmp(subs[k].name, at + 2, (size_t)(close - at - 2)) == 0)
				break;
		if (k == n_subs)
			return annex_err_set(err, "BootScript", "%s: unknown placeholder @@%.*s@@", t->name,
					     (int)(close - at - 2), at + 2);
		for (size_t w = 0; w < subs[k].n; w++) {
			if (w)
				buf_putc(out, ' ');
			bootscript_shell_quote(out, subs[k].words[w], subs[k].lens[w]);
		}
		p = close + 2;
	}
	return 0;
}

int bootscript_render(const struct bootscript_values *v, struct buf *out, struct annex_err *err)
{
	const struct annex_embedded *tpl, *watch, *shut, *block, *join, *lib, *spot;
	struct buf config = BUF_INIT, pw64, user64, *files64 = NULL;
	const char **names = NULL, **data64 = NULL;
	size_t *name_lens = NULL, *data_lens = NULL;
	char lease_s[32], iso[32], grace_s[32], join_s[32], poll_s[32];
	int rc = -1;

	buf_init_secret(out);
	buf_init_secret(&pw64);
	buf_init(&user64);
	if (bootscript_render_config(v, &config, err) < 0)
		goto out;
	if (!(tpl = template_get(TEMPLATE_SCRIPT, err)) || !(watch = template_get(TEMPLATE_LEASE_WATCH, err)) ||
	    !(shut = template_get(TEMPLATE_MASTER_SHUTDOWN, err)) || !(block = template_get(TEMPLATE_IMDS_BLOCK, err)) ||
	    !(join = template_get(TEMPLATE_JOIN_WATCH, err)) || !(lib = template_get(TEMPLATE_WATCH_LIB, err)) ||
	    !(spot = template_get(TEMPLATE_SPOT_WATCH, err)))
		goto out;

	snprintf(lease_s, sizeof lease_s, "%lld", v->lease_end);
	snprintf(grace_s, sizeof grace_s, "%ld",
		 v->boot_failure_grace_s ? v->boot_failure_grace_s : (long)BOOTSCRIPT_DEFAULT_FAILURE_GRACE);
	snprintf(join_s, sizeof join_s, "%ld", v->join_timeout_s ? v->join_timeout_s : (long)BOOTSCRIPT_DEFAULT_JOIN_TIMEOUT);
	snprintf(poll_s, sizeof poll_s, "%ld", v->spot_poll_s ? v->spot_poll_s : (long)BOOTSCRIPT_DEFAULT_SPOT_POLL);
	if (v->lease_end_iso) {
		snprintf(iso, sizeof iso, "%s", v->lease_end_iso);
	} else {
		timefmt_iso8601((time_t)v->lease_end, iso);
	}
	b64_encode(&pw64, v->password, v->password_len);
	if (v->user_script && v->user_script_len) {
		buf_free(&user64);
		b64_encode(&user64, v->user_script, v->user_script_len);
		user64.secret = 0;
	}
	if (v->n_config_files) {
		names = xcalloc(v->n_config_files, sizeof *names);
		data64 = xcalloc(v->n_config_files, sizeof *data64);
		name_lens = xcalloc(v->n_config_files, sizeof *name_lens);
		data_lens = xcalloc(v->n_config_files, sizeof *data_lens);
		files64 = xcalloc(v->n_config_files, sizeof *files64);
		for (size_t i = 0; i < v->n_config_files; i++) {
			b64_encode(&files64[i], v->config_files[i].data, v->config_files[i].len);
			names[i] = v->config_files[i].name;
			name_lens[i] = strlen(names[i]);
			data64[i] = buf_cstr(&files64[i]);
			data_lens[i] = files64[i].len;
		}
	}

	{
		const char *pwfile = v->password_file ? v->password_file : BOOTSCRIPT_DEFAULT_PASSWORD_FILE;
		const char *w_name[] = { v->annex_name }, *w_id[] = { v->annex_id }, *w_lease[] = { lease_s },
			   *w_iso[] = { iso }, *w_series[] = { v->series }, *w_pwfile[] = { pwfile },
			   *w_pw[] = { buf_cstr(&pw64) }, *w_cfg[] = { buf_cstr(&config) },
			   *w_user[] = { buf_cstr(&user64) }, *w_watch[] = { watch->data },
			   *w_shut[] = { shut->data }, *w_block[] = { block->data }, *w_join[] = { join->data },
			   *w_grace[] = { grace_s }, *w_jt[] = { join_s }, *w_lib[] = { lib->data },
			   *w_spot[] = { v->spot ? spot->data : "" }, *w_is_spot[] = { v->spot ? "1" : "0" }, *w_poll[] = { poll_s };
		size_t l_name[] = { strlen(v->annex_name) }, l_id[] = { strlen(v->annex_id) },
		       l_lease[] = { strlen(lease_s) }, l_iso[] = { strlen(iso) }, l_series[] = { strlen(v->series) },
		       l_pwfile[] = { strlen(pwfile) }, l_pw[] = { pw64.len }, l_cfg[] = { config.len },
		       l_user[] = { user64.len }, l_watch[] = { watch->len }, l_shut[] = { shut->len },
		       l_block[] = { block->len }, l_join[] = { join->len }, l_grace[] = { strlen(grace_s) },
		       l_jt[] = { strlen(join_s) }, l_lib[] = { lib->len }, l_spot[] = { v->spot ? spot->len : 0 },
		       l_is_spot[] = { 1 }, l_poll[] = { strlen(poll_s) };
		const struct subst subs[] = {
			{ "ANNEX_NAME", w_name, l_name, 1 },
			{ "ANNEX_ID", w_id, l_id, 1 },
			{ "LEASE_END", w_lease, l_lease, 1 },
			{ "LEASE_END_ISO", w_iso, l_iso, 1 },
			{ "SERIES", w_series, l_series, 1 },
			{ "PASSWORD_FILE", w_pwfile, l_pwfile, 1 },
			{ "PASSWORD_B64", w_pw, l_pw, 1 },
			{ "ANNEX_CONFIG", w_cfg, l_cfg, 1 },
			{ "EXTRA_CONFIG_NAMES", names, name_lens, v->n_config_files },
			{ "EXTRA_CONFIG_B64", data64, data_lens, v->n_config_files },
			{ "USER_SCRIPT_B64", w_user, l_user, 1 },
			{ "LEASE_WATCH_SCRIPT", w_watch, l_watch, 1 },
			{ "MASTER_SHUTDOWN_SCRIPT", w_shut, l_shut, 1 },
			{ "IMDS_BLOCK_SCRIPT", w_block, l_block, 1 },
			{ "JOIN_WATCH_SCRIPT", w_join, l_join, 1 },
			{ "BOOT_FAILURE_GRACE", w_grace, l_grace, 1 },
			{ "JOIN_TIMEOUT", w_jt, l_jt, 1 },
			{ "WATCH_LIB_SCRIPT", w_lib, l_lib, 1 },
			{ "SPOT_WATCH_SCRIPT", w_spot, l_spot, 1 },
			{ "LAUNCHED_SPOT", w_is_spot, l_is_spot, 1 },
			{ "SPOT_POLL", w_poll, l_poll, 1 },
		};
		if (subst_template(tpl, subs, sizeof subs / sizeof subs[0], out, err) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		buf_free(out);
	buf_free(&config);
	buf_free(&pw64);
	buf_free(&user64);
	for (size_t i = 0; files64 && i < v->n_config_files; i++)
		buf_free(&files64[i]);
	free(files64);
	free(names);
	free(data64);
	free(name_lens);
	free(data_lens);
	return rc;
}

/* gzip (RFC 1952) of len bytes into a secret buffer. */
static int gzip_buf(const char *data, size_t len, struct buf *out, struct annex_err *err)
{
	z_stream z;
	int zrc;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return annex_err_set(err, "BootScript", "gzip: deflateInit2 failed");
	buf_init_secret(out);
	buf_grow(out, deflateBound(&z, (uLong)len) + 1);
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->data;
	z.avail_out = (uInt)(out->cap - 1);
	zrc = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	out->data[out->len] = 0;
	deflateEnd(&z);
	if (zrc != Z_STREAM_END) {
		buf_free(out);
		return annex_err_set(err, "BootScript", "gzip: deflate failed (%d)", zrc);
	}
	return 0;
}

int bootscript_user_data(const struct bootscript_values *v, struct buf *out, int *gzipped,
			 struct annex_err *err)
{
	struct buf script;

	*gzipped = 0;
	if (bootscript_render(v, &script, err) < 0) {
		buf_init_secret(out);
		return -1;
	}
	if (script.len <= BOOTSCRIPT_MAX_USER_DATA) {
		*out = script;
		return 0;
	}
	if (gzip_buf(script.data, script.len, out, err) < 0) {
		buf_free(&script);
		return -1;
	}
	if (out->len > BOOTSCRIPT_MAX_USER_DATA) {
		annex_err_set(err, "BootScript",
			      "user-data is %zu bytes (%zu gzip-compressed); AWS allows %d: shorten -aws-user-data or -config-dir",
			      script.len, out->len, BOOTSCRIPT_MAX_USER_DATA);
		buf_free(&script);
		buf_free(out);
		return -1;
	}
	buf_free(&script);
	*gzipped = 1;
	return 0;
}

/* The series HTCondor's repositories carry (get.htcondor.org's channels):
 * the previous and current LTS (N.0) and feature (N.x) series. */
static const char *const carried_series[] = { "24.0", "24.x", "25.0", "25.x" };

void bootscript_pick_series(const char *condor_version_output, char *out, size_t out_len,
			    char *why, size_t why_len)
{
	const char *p = condor_version_output ? strstr(condor_version_output, "$CondorVersion:") : NULL;
	int major, minor, patch;
	char series[16];

	if (p && sscanf(p, "$CondorVersion: %d.%d.%d", &major, &minor, &patch) == 3 && major >= 0 &&
	    major < 1000 && minor >= 0) {
		snprintf(series, sizeof series, "%d.%s", major, minor == 0 ? "0" : "x");
		for (size_t i = 0; i < sizeof carried_series / sizeof carried_series[0]; i++) {
			if (strcmp(series, carried_series[i]) == 0) {
				snprintf(out, out_len, "%s", series);
				snprintf(why, why_len, "HTCondor %s on the nodes: the pool runs %d.%d.%d",
					 series, major, minor, patch);
				return;
			}
		}
		snprintf(out, out_len, "%s", BOOTSCRIPT_LTS_SERIES);
		snprintf(why, why_len,
			 "HTCondor %s (current LTS) on the nodes: the pool runs %d.%d.%d, whose series %s "
			 "HTCondor's repository no longer carries",
			 BOOTSCRIPT_LTS_SERIES, major, minor, patch, series);
		return;
	}
	snprintf(out, out_len, "%s", BOOTSCRIPT_LTS_SERIES);
	snprintf(why, why_len, "HTCondor %s (current LTS) on the nodes: no local condor_version",
		 BOOTSCRIPT_LTS_SERIES);
}
