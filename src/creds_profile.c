/* creds_profile.c - link 4 of the credential chain: the AWS CLI's shared
 * files. The profile is AWS_PROFILE (else AWS_DEFAULT_PROFILE, else
 * "default"); the files are AWS_SHARED_CREDENTIALS_FILE (else
 * $HOME/.aws/credentials) and AWS_CONFIG_FILE (else $HOME/.aws/config),
 * where the config file names its sections "[profile NAME]" (and
 * "[default]"). Order, as botocore: keys in the credentials file, then the
 * profile's credential_process (either file, credentials file first), then
 * keys in the config file.
 *
 * The INI reading follows Python's configparser as botocore uses it: keys
 * case-insensitive, '=' or ':' separates, '#' and ';' start comment lines,
 * indented lines continue a value (and are ignored here), no inline comments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annex/buf.h"
#include "annex/creds.h"
#include "annex/creds_internal.h"
#include "annex/creds_util.h"
#include "annex/runcmd.h"

#define SHARED_FILE_MAX (1024 * 1024)
#define PROCESS_OUTPUT_MAX (1024 * 1024)

/* The keys of one profile read from one file; values may be secret, so all
 * are freed with secret_free. */
struct profile {
	int found;             /* the section exists */
	char *access_key_id;
	char *secret_access_key;
	char *session_token;
	char *credential_process;
	char *unsupported;     /* the first key naming a provider annex lacks (role_arn, sso_*) */
	char *region;          /* the profile's region (not secret; read by creds_profile_region) */
};

static void profile_free(struct profile *p)
{
	secret_free(p->access_key_id);
	secret_free(p->secret_access_key);
	secret_free(p->session_token);
	secret_free(p->credential_process);
	free(p->unsupported);
	free(p->region);
	memset(p, 0, sizeof(*p));
}

/* Expands a leading "~/" with $HOME, as botocore's os.path.expanduser. */
static char *expand_home(const char *path)
{
	const char *home = getenv("HOME");

	if (path[0] == '~' && (path[1] == '/' || !path[1]) && home)
		return xasprintf("%s%s", home, path + 1);
	return xstrdup(path);
}

/* The profile the chain uses: AWS_PROFILE, else AWS_DEFAULT_PROFILE, else
 * "default"; *var is the variable it came from (NULL for "default"). */
static const char *profile_name(const char **var)
{
	static const char *const vars[] = { "AWS_PROFILE", "AWS_DEFAULT_PROFILE" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v) {
			*var = vars[i];
			return v;
		}
	}
	*var = NULL;
	return "default";
}

/* A shared file's path: env_var's value ("~/" expanded), else
 * $HOME/.aws/<name>; NULL when neither is set. */
static char *shared_file_path(const char *env_var, const char *name)
{
	const char *v = getenv(env_var), *home = getenv("HOME");

	if (v && *v)
		return expand_home(v);
	if (home && *home)
		return xasprintf("%s/.aws/%s", home, name);
	return NULL;
}

/* Reads a whole file into a secret buffer. Returns 1 read, 0 absent, -1 error. */
static int read_file_secret(const char *path, struct buf *b, struct annex_err *err)
{
	if (buf_read_file(b, path, SHARED_FILE_MAX) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return annex_err_set(err, "Credentials", "reading %s: %s", path, strerror(errno));
	}
	return 1;
}

/* Does section header text (between the brackets, trimmed) name profile? */
static int section_matches(const char *sec, const char *profile, int config_style)
{
	if (!config_style)
		return strcmp(sec, profile) == 0;
	if (strcmp(profile, "default") == 0 && strcmp(sec, "default") == 0)
		return 1;
	if (strncmp(sec, "profile", 7) != 0 || (sec[7] != ' ' && sec[7] != '\t'))
		return 0;
	sec += 7;
	sec += strspn(sec, " \t");
	return strcmp(sec, profile) == 0;
}

static void set_value(char **slot, const char *v, size_t len)
{
	secret_free(*slot);
	*slot = xstrndup_trim(v, len);
}

/* Parses INI text and collects the keys annex uses from profile's section. */
static void profile_parse(const char *text, const char *profile, int config_style,
                          struct profile *p)
{
	const char *line = text, *end, *eq, *close;
	char sec[256], key[64];
	int in = 0;
	size_t n, klen;

	for (; *line; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		if (line == end || *line == ' ' || *line == '\t')
			continue; /* blank, or an indented continuation line */
		if (*line == '#' || *line == ';' || *line == '\r')
			continue;
		if (*line == '[') {
			close = memchr(line, ']', (size_t)(end - line));
			in = 0;
			if (!close || (size_t)(close - line - 1) >= sizeof(sec))
				continue;
			n = (size_t)(close - line - 1);
			char *t = xstrndup_trim(line + 1, n);
			snprintf(sec, sizeof(sec), "%s", t);
			free(t);
			in = section_matches(sec, profile, config_style);
			if (in)
				p->found = 1;
			continue;
		}
		if (!in)
			continue;
		n = strcspn(line, "=:");
		eq = line + n;
		if (eq >= end)
			continue;
		klen = n;
		while (klen && (line[klen - 1] == ' ' || line[klen - 1] == '\t'))
			klen--;
		if (klen == 0 || klen >= sizeof(key))
			continue;
		memcpy(key, line, klen);
		key[klen] = 0;
		eq++;
		n = (size_t)(end - eq);
		if (!strcasecmp(key, "aws_access_key_id"))
			set_value(&p->access_key_id, eq, n);
		else if (!strcasecmp(key, "aws_secret_access_key"))
			set_value(&p->secret_access_key, eq, n);
		else if (!strcasecmp(key, "aws_session_token") ||
		         (!strcasecmp(key, "aws_security_token") && !p->session_token))
			set_value(&p->session_token, eq, n);
		else if (!strcasecmp(key, "credential_process"))
			set_value(&p->credential_process, eq, n);
		else if (!strcasecmp(key, "region")) {
			free(p->region);
			p->region = xstrndup_trim(eq, n);
		}
		else if (!p->unsupported && (!strcasecmp(key, "role_arn") || !strcasecmp(key, "sso_session") ||
		                             !strcasecmp(key, "sso_start_url") ||
		                             !strcasecmp(key, "web_identity_token_file")))
			p->unsupported = xstrdup(key);
	}
}

/* Reads profile from path. Returns 1 read (p->found says whether the section
 * exists), 0 file absent, -1 error. */
static int profile_load(const char *path, const char *profile, int config_style,
                        struct profile *p, struct annex_err *err)
{
	struct buf b;
	int rc;

	buf_init_secret(&b);
	rc = read_file_secret(path, &b, err);
	if (rc == 1)
		profile_parse(buf_cstr(&b), profile, config_style, p);
	buf_free(&b);
	return rc;
}

void creds_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		secret_free(*a);
	free(argv);
}

char **creds_split_command(const char *cmd, struct annex_err *err)
{
	char **argv = NULL;
	size_t argc = 0;
	struct buf word;
	int in_word = 0;
	const char *s = cmd;

	buf_init_secret(&word);
	for (;;) {
		char c = *s;
		if (c == 0 || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (in_word) {
				argv = xrealloc(argv, (argc + 2) * sizeof(*argv));
				argv[argc++] = xstrdup(buf_cstr(&word));
				argv[argc] = NULL;
				buf_reset(&word);
				in_word = 0;
			}
			if (c == 0)
				break;
			s++;
		} else if (c == '\'') {
			const char *q = strchr(s + 1, '\'');
			if (!q)
				goto unbalanced;
			buf_append(&word, s + 1, (size_t)(q - s - 1));
			in_word = 1;
			s = q + 1;
		} else if (c == '"') {
			for (s++; *s != '"'; s++) {
				if (!*s)
					goto unbalanced;
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				buf_putc(&word, *s);
			}
			in_word = 1;
			s++;
		} else if (c == '\\') {
			if (!s[1])
				goto unbalanced;
			buf_putc(&word, s[1]);
			in_word = 1;
			s += 2;
		} else {
			buf_putc(&word, c);
			in_word = 1;
			s++;
		}
	}
	buf_free(&word);
	if (!argv)
		annex_err_set(err, "Credentials", "credential_process is empty");
	return argv;
unbalanced:
	buf_free(&word);
	creds_argv_free(argv);
	annex_err_set(err, "Credentials", "credential_process has an unbalanced quote or a trailing "
	              "backslash");
	return NULL;
}

/* Runs the credential_process command without a shell (runcmd's secret
 * mode: the output only ever sits in cleansed buffers) and parses its JSON
 * standard output; its standard error passes through to the user. */
int creds_process_run(const char *cmdline, const char *what, long timeout_ms, struct aws_creds *out,
                      struct annex_err *err)
{
	char **argv = creds_split_command(cmdline, err);
	struct annex_err e;
	struct buf b;
	int status = 0, too_big = 0, late = 0, rc = -1;

	if (!argv)
		return annex_err_prefix(err, "%s", what);
	if (timeout_ms <= 0)
		timeout_ms = CREDS_PROCESS_TIMEOUT_MS;
	buf_init_secret(&b);
	if (runcmd_capture_secret_timeout(argv, PROCESS_OUTPUT_MAX, timeout_ms, &b, &too_big, &late, &status,
	                                  &e) != 0) {
		annex_err_set(err, "Credentials", "%s: %s", what, e.msg);
		goto out;
	}
	if (late) {
		annex_err_set(err, "Credentials", "%s did not finish within %ld s and was killed (raise "
		              "ANNEX_CREDENTIAL_PROCESS_TIMEOUT if it needs longer)", what,
		              (timeout_ms + 999) / 1000);
		goto out;
	}
	if (runcmd_check(status, err, "Credentials", "%s: %s", what, argv[0]) != 0)
		goto out;
	if (too_big) {
		annex_err_set(err, "Credentials", "%s: output is larger than %d bytes", what,
		              PROCESS_OUTPUT_MAX);
		goto out;
	}
	rc = creds_parse_json(buf_cstr(&b), b.len, 0, what, out, err);
out:
	buf_free(&b);
	creds_argv_free(argv);
	return rc;
}

static int take_keys(struct profile *p, struct aws_creds *out)
{
	if (!p->access_key_id || !*p->access_key_id || !p->secret_access_key ||
	    !*p->secret_access_key)
		return 0;
	out->access_key_id = p->access_key_id;
	out->secret_access_key = p->secret_access_key;
	out->session_token = p->session_token && *p->session_token ? p->session_token : NULL;
	if (!out->session_token)
		secret_free(p->session_token);
	p->access_key_id = p->secret_access_key = p->session_token = NULL;
	return 1;
}

int creds_from_profile(struct aws_creds *out, struct buf *tried, struct annex_err *err)
{
	const char *pvar;
	const char *pname = profile_name(&pvar);
	char *cred_path = shared_file_path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
	char *cfg_path = shared_file_path("AWS_CONFIG_FILE", "config");
	char *what = NULL;
	struct profile pc, pf;
	int have_c, have_f, rc = -1;

	memset(&pc, 0, sizeof(pc));
	memset(&pf, 0, sizeof(pf));
	if (!cred_path && !cfg_path) {
		creds_tried_add(tried, "shared files ~/.aws/credentials and ~/.aws/config (HOME not set)");
		rc = 0;
		goto out;
	}
	have_c = cred_path ? profile_load(cred_path, pname, 0, &pc, err) : 0;
	if (have_c < 0)
		goto out;
	have_f = cfg_path ? profile_load(cfg_path, pname, 1, &pf, err) : 0;
	if (have_f < 0)
		goto out;
	if (pc.unsupported || pf.unsupported) {
		annex_err_set(err, "Credentials",
		              "profile '%s' in %s uses %s, which annex does not support; give the profile "
		              "keys or a credential_process instead", pname,
		              pc.unsupported ? cred_path : cfg_path,
		              pc.unsupported ? pc.unsupported : pf.unsupported);
		goto out;
	}
	if (take_keys(&pc, out)) {
		out->kind = CREDS_SHARED_FILE;
		snprintf(out->source, sizeof(out->source), "shared credentials file %s, profile %s",
		         cred_path, pname);
		rc = 1;
		goto out;
	}
	if (pc.credential_process || pf.credential_process) {
		what = xasprintf("credential_process of profile '%s' in %s", pname,
		                 pc.credential_process ? cred_path : cfg_path);
		const char *cmd = pc.credential_process ? pc.credential_process : pf.credential_process;
		if (creds_process_run(cmd, what, out->process_timeout_ms, out, err) != 0)
			goto out;
		out->kind = CREDS_PROCESS;
		out->refresh_process = xstrdup(cmd);
		snprintf(out->source, sizeof(out->source), "%s", what);
		rc = 1;
		goto out;
	}
	if (take_keys(&pf, out)) {
		out->kind = CREDS_SHARED_FILE;
		snprintf(out->source, sizeof(out->source), "shared config file %s, profile %s", cfg_path,
		         pname);
		rc = 1;
		goto out;
	}
	if (pvar && !pc.found && !pf.found) {
		annex_err_set(err, "Credentials", "profile '%s' (from %s) is in neither %s nor %s", pname,
		              pvar, cred_path ? cred_path : "(no credentials file)",
		              cfg_path ? cfg_path : "(no config file)");
		goto out;
	}
	creds_tried_add(tried, "shared files %s and %s, profile %s (%s)",
	                cred_path ? cred_path : "(none)", cfg_path ? cfg_path : "(none)", pname,
	                !have_c && !have_f ? "neither file exists"
	                : pc.found || pf.found ? "profile has no keys or credential_process"
	                : "no such profile");
	rc = 0;
out:
	profile_free(&pc);
	profile_free(&pf);
	free(cred_path);
	free(cfg_path);
	free(what);
	return rc;
}

/* The region of the profile the credential chain uses, from the config
 * file only, as botocore's region setting: the same profile choice, file
 * choice and parser as creds_from_profile (the credentials file holds no
 * region for the AWS CLI's documented order, so it is not read here). */
int creds_profile_region(char **region, char **where, struct annex_err *err)
{
	const char *pvar;
	const char *pname = profile_name(&pvar);
	const char *cfg_env = getenv("AWS_CONFIG_FILE");
	char *cfg_path = shared_file_path("AWS_CONFIG_FILE", "config");
	struct profile pf;
	int rc;

	*region = *where = NULL;
	memset(&pf, 0, sizeof(pf));
	if (!cfg_path)
		return 0;
	rc = profile_load(cfg_path, pname, 1, &pf, err);
	if (rc < 0) {
		annex_err_prefix(err, "the region of profile '%s'", pname);
	} else if (pf.region && *pf.region) {
		*region = pf.region;
		pf.region = NULL;
		*where = xasprintf("%s, profile %s", cfg_env && *cfg_env ? cfg_env : "~/.aws/config", pname);
		rc = 1;
	} else {
		rc = 0;
	}
	profile_free(&pf);
	free(cfg_path);
	return rc;
}
