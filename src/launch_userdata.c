/* launch_userdata.c - the inputs of a launch's boot script and the
 * user-data they make (see include/annex/launch_userdata.h). */
#include "annex/launch_userdata.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/configdir.h"
#include "annex/launchplan.h"
#include "annex/runcmd.h"

/* Reads a whole file (binary-safe) into a cleansable allocation. */
static int read_secret_file(const char *path, const char *what, unsigned char **data, size_t *len,
			    struct annex_err *err)
{
	struct buf b;

	buf_init_secret(&b);
	if (buf_read_file(&b, path, 0) != 0) {
		buf_free(&b);
		return annex_err_set(err, "Usage", "%s '%s': %s", what, path, strerror(errno));
	}
	*len = b.len;
	*data = (unsigned char *)buf_steal(&b);
	return 0;
}

int launch_userdata_collector(struct launch_userdata *u, char *addr, const char *knob, struct annex_err *err)
{
	char host[256];
	enum collector_verdict v;

	free(u->collector);
	u->collector = addr;
	v = launchplan_classify_collector(addr, host, sizeof(host), NULL);
	switch (v) {
	case COLLECTOR_REFUSE_EMPTY:
		return annex_err_set(err, "Config", "neither ANNEX_COLLECTOR_ADDRESS nor COLLECTOR_HOST is set: "
				     "the nodes would not know which pool to join");
	case COLLECTOR_REFUSE_LOOPBACK:
	case COLLECTOR_REFUSE_LINK_LOCAL:
		return annex_err_set(err, "Config", "%s = %s is a %s address, which cloud nodes cannot reach; set "
				     "ANNEX_COLLECTOR_ADDRESS to the address they should use", knob, addr,
				     v == COLLECTOR_REFUSE_LOOPBACK ? "loopback" : "link-local");
	case COLLECTOR_REFUSE_UNQUALIFIED:
		return annex_err_set(err, "Config", "%s = %s is not a fully qualified name, which cloud nodes "
				     "cannot resolve; set ANNEX_COLLECTOR_ADDRESS", knob, addr);
	case COLLECTOR_WARN_PRIVATE:
		fprintf(stderr, "annex: warning: %s = %s is a private address; the nodes reach it only through a "
			"VPN or Direct Connect\n", knob, addr);
		break;
	case COLLECTOR_OK:
		break;
	}
	return 0;
}

int launch_userdata_read(struct launch_userdata *u, const struct annex_opts *o, const char *password_file,
			 struct annex_err *err)
{
	if (read_secret_file(password_file, "SEC_PASSWORD_FILE", &u->password, &u->password_len, err) != 0)
		return annex_err_suffix(err, "; create it with 'condor_store_cred -c add -f %s' or correct "
					"SEC_PASSWORD_FILE", password_file);
	if (u->password_len == 0)
		return annex_err_set(err, "Config", "SEC_PASSWORD_FILE '%s' is empty; store the pool password in it: "
				     "condor_store_cred -c add -f %s", password_file, password_file);

	/* The user's own script, run after annex's: -aws-user-data[-file], else
	 * condor_annex's -aws-default-user-data[-file] ("used when the user gives
	 * none"; cli allows only one of the four). */
	if (o->user_data_file || o->default_user_data_file) {
		const char *f = o->user_data_file ? o->user_data_file : o->default_user_data_file;
		if (read_secret_file(f, o->user_data_file ? "-aws-user-data-file" : "-aws-default-user-data-file",
				     &u->user_script, &u->user_script_len, err) != 0)
			return -1;
	} else if (o->user_data || o->default_user_data) {
		const char *ud = o->user_data ? o->user_data : o->default_user_data;
		u->user_script = (unsigned char *)xstrdup(ud);
		u->user_script_len = strlen(ud);
	}
	if (o->s3_config_path)
		printf("Note: annex carries -config-dir inside the user-data, not through S3; ignoring "
		       "-aws-s3-config-path %s.\n", o->s3_config_path);
	u->config_dir = o->config_dir;
	u->no_may_use_aws = o->no_may_use_aws;
	if (o->config_dir && configdir_load(o->config_dir, &u->config_files, &u->n_config_files, err) != 0)
		return -1;
	return 0;
}

void launch_userdata_pick_series(struct launch_userdata *u)
{
	char *argv[] = { "condor_version", NULL };
	struct buf out = BUF_INIT;
	struct annex_err e;
	int status = 1;

	if (runcmd_exists("condor_version"))
		runcmd_capture(argv, RUNCMD_STDERR_DISCARD, &out, &status, &e);
	bootscript_pick_series(status == 0 ? buf_cstr(&out) : NULL, u->series, sizeof(u->series),
			       u->series_why, sizeof(u->series_why));
	buf_free(&out);
}

int launch_userdata_encode(const struct launch_userdata *u, struct launch_spec *spec, struct annex_err *err)
{
	struct bootscript_values v;
	struct buf ud;
	int gz = 0, rc;

	memset(&v, 0, sizeof(v));
	v.collector_addr = u->collector;
	v.annex_name = spec->annex_name;
	v.annex_id = spec->annex_id;
	v.lease_end = (long long)spec->lease_end;
	v.lease_end_iso = spec->lease_iso;
	v.idle_s = spec->idle_s;
	v.owners = spec->owners;
	v.no_may_use_aws = u->no_may_use_aws;
	v.boot_failure_grace_s = u->boot_failure_grace_s;
	v.join_timeout_s = u->join_timeout_s;
	v.spot = spec->market == LAUNCH_SPOT;
	v.spot_poll_s = u->spot_poll_s;
	v.password = u->password;
	v.password_len = u->password_len;
	v.series = u->series;
	v.user_script = u->user_script;
	v.user_script_len = u->user_script_len;
	v.config_files = u->config_files;
	v.n_config_files = u->n_config_files;
	buf_init_secret(&ud);
	rc = bootscript_user_data(&v, &ud, &gz, err);
	if (rc != 0 && u->config_dir && strcmp(err->code, "BootScript") == 0 && strstr(err->msg, "AWS allows")) {
		char why[sizeof(err->msg)];
		snprintf(why, sizeof(why), "%s", err->msg);
		return annex_err_set(err, "UserDataTooLarge",
			"-config-dir %s: its %zu file%s make the user-data too large for AWS's 16 KB limit (%s); "
			"keep only what the nodes need there", u->config_dir, u->n_config_files,
			u->n_config_files == 1 ? "" : "s", why);
	}
	if (rc == 0 && ud.len > ANNEX_USER_DATA_MAX)
		rc = annex_err_set(err, "UserDataTooLarge",
			"the user-data (annex's boot script%s) is %zu bytes, over AWS's limit of %d",
			u->user_script ? " and your own script" : "", ud.len, ANNEX_USER_DATA_MAX);
	if (rc == 0) {
		buf_free(&spec->user_data_b64);
		buf_init_secret(&spec->user_data_b64);
		buf_grow(&spec->user_data_b64, 4 * ((ud.len + 2) / 3) + 1);
		spec->user_data_b64.len = (size_t)EVP_EncodeBlock((unsigned char *)spec->user_data_b64.data,
								  (const unsigned char *)ud.data, (int)ud.len);
	}
	buf_free(&ud);
	return rc;
}

void launch_userdata_free(struct launch_userdata *u)
{
	free(u->collector);
	if (u->password) {
		OPENSSL_cleanse(u->password, u->password_len);
		free(u->password);
	}
	if (u->user_script) {
		OPENSSL_cleanse(u->user_script, u->user_script_len);
		free(u->user_script);
	}
	configdir_free(u->config_files, u->n_config_files);
	memset(u, 0, sizeof(*u));
}
