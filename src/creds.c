/* creds.c - the AWS credential chain (SPEC.md section 4): key files named by
 * options or knobs, condor_annex's default key pair (-setup only), the
 * environment, then the shared files (creds_profile.c) and the instance
 * role (creds_imds.c), each below this file; what the links share is in
 * creds_util.c, below them all. Also the key-file reading and checks. No
 * secret is ever put in a message or in `source`; every buffer that held
 * one is cleansed before it is freed.
 */
#include "annex/creds.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "annex/buf.h"
#include "annex/creds_internal.h"
#include "annex/creds_util.h"

#define KEY_FILE_MAX (64 * 1024)

static const char CONDOR_PERMS_MSG[] =
	"Secret key file must be accessible only by owner.  Please verify that your user "
	"owns the file and that the file permissons are restricted to the owner.";

/* A secret key file is named "secret key file" in messages and gets
 * condor_annex's own sentence; the origin (an option or knob name) says
 * which one it is when the caller only has that. */
static int origin_is_secret(const char *origin)
{
	return origin && (strcasestr(origin, "secret") || strcasestr(origin, "private"));
}

int creds_check_key_file_perms(const char *path, int fd, const char *kind, const char *origin,
                               struct annex_err *err)
{
	struct stat st;
	int secret = kind ? strstr(kind, "secret") != NULL : origin_is_secret(origin);
	const char *k = kind ? kind : secret ? "secret key file" : "access key file";
	const char *o = origin ? origin : k;
	const char *tail = secret ? CONDOR_PERMS_MSG : "";
	const char *sep = secret ? ". " : "";

	if ((fd >= 0 ? fstat(fd, &st) : stat(path, &st)) != 0)
		return annex_err_set(err, "Credentials", "%s: cannot open %s %s: %s", o, k, path,
		                     strerror(errno));
	if (!S_ISREG(st.st_mode))
		return annex_err_set(err, "Credentials", "%s: %s %s is not a regular file", o, k, path);
	if (st.st_uid != geteuid())
		return annex_err_set(err, "Credentials",
		                     "%s: %s %s is owned by uid %u, not by you (uid %u); use a copy you "
		                     "own: cp %s NEWFILE && chmod 600 NEWFILE%s%s",
		                     o, k, path, (unsigned)st.st_uid, (unsigned)geteuid(), path, sep, tail);
	if (st.st_mode & 077)
		return annex_err_set(err, "Credentials",
		                     "%s: %s %s is %s by group or others (mode %04o); run: chmod 600 %s%s%s",
		                     o, k, path, (st.st_mode & 044) ? "readable" : "accessible",
		                     (unsigned)(st.st_mode & 07777), path, sep, tail);
	return 0;
}

/* Reads a key file after the permission check on the open descriptor:
 * its first line, trimmed. The bytes pass only through secret buffers. */
static int read_key_file(const char *path, const char *kind, const char *origin, char **out,
                         struct annex_err *err)
{
	struct buf b;
	const char *k = kind ? kind : origin_is_secret(origin) ? "secret key file" : "access key file";
	const char *o = origin ? origin : k;
	size_t line;
	int fd, rc = -1;

	*out = NULL;
	buf_init_secret(&b);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		/* a file another user owns is often unreadable too: say why,
		 * in condor_annex's words, rather than only "permission denied" */
		if (e == EACCES && creds_check_key_file_perms(path, -1, k, o, err) != 0)
			return -1;
		return annex_err_set(err, "Credentials", "%s: cannot open %s %s: %s", o, k, path,
		                     strerror(e));
	}
	if (creds_check_key_file_perms(path, fd, k, o, err) != 0)
		goto out;
	if (buf_read_fd(&b, fd, KEY_FILE_MAX) != 0) {
		if (errno == EFBIG)
			annex_err_set(err, "Credentials", "%s: %s %s is larger than %d bytes", o, k, path,
			              KEY_FILE_MAX);
		else
			annex_err_set(err, "Credentials", "%s: reading %s %s: %s", o, k, path, strerror(errno));
		goto out;
	}
	line = strcspn(buf_cstr(&b), "\n");
	*out = xstrndup_trim(buf_cstr(&b), line);
	if (!**out) {
		secret_free(*out);
		*out = NULL;
		annex_err_set(err, "Credentials", "%s: %s %s is empty (its first line holds the key)", o, k,
		              path);
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	close(fd);
	return rc;
}

int creds_read_key_file(const char *path, const char *origin, char **out, struct annex_err *err)
{
	return read_key_file(path, NULL, origin, out, err);
}

void creds_free(struct aws_creds *c)
{
	if (!c)
		return;
	free(c->access_key_id);
	secret_free(c->secret_access_key);
	secret_free(c->session_token);
	free(c->access_key_path);
	free(c->secret_key_path);
	secret_free(c->refresh_process);
	free(c->refresh_imds);
	memset(c, 0, sizeof(*c));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void creds_copy(const struct aws_creds *c, struct aws_creds *out)
{
	*out = *c;
	out->access_key_id = dup_or_null(c->access_key_id);
	out->secret_access_key = dup_or_null(c->secret_access_key);
	out->session_token = dup_or_null(c->session_token);
	out->access_key_path = dup_or_null(c->access_key_path);
	out->secret_key_path = dup_or_null(c->secret_key_path);
	out->refresh_process = dup_or_null(c->refresh_process);
	out->refresh_imds = dup_or_null(c->refresh_imds);
}

enum creds_due creds_refresh_due(const struct aws_creds *c, time_t now)
{
	if (!c->expiration || now < c->expiration - CREDS_ADVISORY_S)
		return CREDS_DUE_NOT;
	return now < c->expiration - CREDS_MANDATORY_S ? CREDS_DUE_ADVISORY : CREDS_DUE_MANDATORY;
}

int creds_refreshable(const struct aws_creds *c)
{
	return c->expiration && ((c->kind == CREDS_PROCESS && c->refresh_process) ||
	                         (c->kind == CREDS_INSTANCE_ROLE && c->refresh_imds));
}

int creds_refresh(const struct aws_creds *c, struct aws_creds *out, struct annex_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (!creds_refreshable(c))
		return annex_err_set(err, "Credentials", "%s: these credentials cannot be fetched again", c->source);
	if (c->kind == CREDS_PROCESS) {
		rc = creds_process_run(c->refresh_process, c->source, c->process_timeout_ms, out, err);
		if (rc == 0) {
			out->refresh_process = xstrdup(c->refresh_process);
			out->process_timeout_ms = c->process_timeout_ms;
			out->kind = CREDS_PROCESS;
			snprintf(out->source, sizeof(out->source), "%s", c->source);
		}
	} else {
		rc = creds_imds_fetch(c->refresh_imds, out, err);   /* sets kind, source, refresh_imds */
	}
	if (rc != 0)
		creds_free(out);
	return rc;
}

static char *passwd_home(void)
{
	struct passwd *pw = getpwuid(geteuid());
	return pw && pw->pw_dir ? xstrdup(pw->pw_dir) : NULL;
}

/* Links 1 and 2: the pair of key files the caller chose (option over knob). */
static int from_key_files(const struct creds_opts *o, struct aws_creds *out, struct annex_err *err)
{
	const char *ao = o->access_key_origin ? o->access_key_origin : "access key file";
	const char *so = o->secret_key_origin ? o->secret_key_origin : "secret key file";

	if (!o->access_key_file || !*o->access_key_file)
		return annex_err_set(err, "Credentials",
		                     "%s names secret key file %s, but no access key file is set (use "
		                     "-aws-access-key-file or ANNEX_DEFAULT_ACCESS_KEY_FILE)", so,
		                     o->secret_key_file);
	if (!o->secret_key_file || !*o->secret_key_file)
		return annex_err_set(err, "Credentials",
		                     "%s names access key file %s, but no secret key file is set (use "
		                     "-aws-secret-key-file or ANNEX_DEFAULT_SECRET_KEY_FILE)", ao,
		                     o->access_key_file);
	if (read_key_file(o->access_key_file, "access key file", ao, &out->access_key_id, err) != 0 ||
	    read_key_file(o->secret_key_file, "secret key file", so, &out->secret_access_key, err) != 0)
		return -1;
	out->kind = CREDS_KEY_FILES;
	out->access_key_path = xstrdup(o->access_key_file);
	out->secret_key_path = xstrdup(o->secret_key_file);
	snprintf(out->source, sizeof(out->source), "key files (%s %s, %s %s)", ao, o->access_key_file,
	         so, o->secret_key_file);
	return 1;
}

/* condor_annex's default pair, tried by -setup only and only when both exist. */
static int from_condor_default(const struct creds_opts *o, struct aws_creds *out,
                               struct buf *tried, struct annex_err *err)
{
	char *home = o->passwd_home ? xstrdup(o->passwd_home) : passwd_home();
	char *pub, *priv;
	struct stat st;
	int have_pub, have_priv, rc = 0;

	if (!home) {
		creds_tried_add(tried, "condor_annex's ~/.condor/publicKeyFile and privateKeyFile "
		                "(no passwd entry for uid %u)", (unsigned)geteuid());
		return 0;
	}
	pub = xasprintf("%s/.condor/publicKeyFile", home);
	priv = xasprintf("%s/.condor/privateKeyFile", home);
	have_pub = stat(pub, &st) == 0;
	have_priv = stat(priv, &st) == 0;
	if (!have_pub || !have_priv) {
		creds_tried_add(tried, "condor_annex's default key files %s and %s (%s)", pub, priv,
		                !have_pub && !have_priv ? "neither exists"
		                : !have_pub ? "publicKeyFile missing" : "privateKeyFile missing");
		goto out;
	}
	if (read_key_file(pub, "access key file", "condor_annex default", &out->access_key_id, err) != 0 ||
	    read_key_file(priv, "secret key file", "condor_annex default", &out->secret_access_key,
	                  err) != 0) {
		rc = -1;
		goto out;
	}
	out->kind = CREDS_CONDOR_DEFAULT;
	out->access_key_path = xstrdup(pub);
	out->secret_key_path = xstrdup(priv);
	snprintf(out->source, sizeof(out->source), "condor_annex's default key files (%s, %s)", pub,
	         priv);
	rc = 1;
out:
	free(home);
	free(pub);
	free(priv);
	return rc;
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* Link 3: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN,
 * or the older AWS_SECURITY_TOKEN botocore still reads). One of the pair
 * without the other is an error, as in the AWS CLI. */
static int from_env(struct aws_creds *out, struct buf *tried, struct annex_err *err)
{
	const char *id = env_nonempty("AWS_ACCESS_KEY_ID");
	const char *secret = env_nonempty("AWS_SECRET_ACCESS_KEY");
	const char *token = env_nonempty("AWS_SESSION_TOKEN");

	if (!token)
		token = env_nonempty("AWS_SECURITY_TOKEN");
	if (!id && !secret) {
		creds_tried_add(tried, "environment AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (not set)");
		return 0;
	}
	if (!id || !secret)
		return annex_err_set(err, "Credentials", "%s is set but %s is not (set both or neither)",
		                     id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		                     id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	out->access_key_id = xstrndup_trim(id, strlen(id));
	out->secret_access_key = xstrndup_trim(secret, strlen(secret));
	out->session_token = token ? xstrndup_trim(token, strlen(token)) : NULL;
	out->kind = CREDS_ENV;
	snprintf(out->source, sizeof(out->source), "environment (AWS_ACCESS_KEY_ID%s)",
	         token ? ", AWS_SESSION_TOKEN" : "");
	return 1;
}

static int is_from_instance(const char *v)
{
	return v && strcmp(v, CREDS_FROM_INSTANCE) == 0;
}

int creds_resolve(const struct creds_opts *opts, struct aws_creds *out, struct annex_err *err)
{
	static const struct creds_opts none;
	const struct creds_opts *o = opts ? opts : &none;
	struct buf tried = BUF_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	out->process_timeout_ms = o->process_timeout_ms > 0 ? o->process_timeout_ms : CREDS_PROCESS_TIMEOUT_MS;
	if ((o->access_key_file && *o->access_key_file) || (o->secret_key_file && *o->secret_key_file)) {
		if (is_from_instance(o->access_key_file) || is_from_instance(o->secret_key_file))
			rc = creds_from_imds(out, &tried, is_from_instance(o->access_key_file)
			                     ? (o->access_key_origin ? o->access_key_origin : "access key file")
			                     : (o->secret_key_origin ? o->secret_key_origin : "secret key file"),
			                     err);
		else
			rc = from_key_files(o, out, err);
		goto out;
	}
	creds_tried_add(&tried, "key-file options -aws-access-key-file/-aws-secret-key-file (not given)");
	creds_tried_add(&tried, "knobs ANNEX_DEFAULT_ACCESS_KEY_FILE/ANNEX_DEFAULT_SECRET_KEY_FILE (not set)");
	rc = 0;
	if (o->try_condor_default_pair)
		rc = from_condor_default(o, out, &tried, err);
	if (rc == 0)
		rc = from_env(out, &tried, err);
	if (rc == 0)
		rc = creds_from_profile(out, &tried, err);
	if (rc == 0)
		rc = creds_from_imds(out, &tried, NULL, err);
	if (rc == 0)
		annex_err_set(err, "Credentials", "no AWS credentials found (put a key in ~/.aws/credentials with "
		              "'aws configure', export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give key "
		              "files: docs/credentials.md); tried, in order: %s", buf_cstr(&tried));
out:
	buf_free(&tried);
	if (rc != 1) {
		creds_free(out);
		return -1;
	}
	return 0;
}
