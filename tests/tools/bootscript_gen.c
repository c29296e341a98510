/* bootscript_gen - renders annex's node boot script for the tests.
 *
 *   bootscript_gen [--config-only | --user-data] --collector ADDR --name X --id ID
 *                  --lease-end EPOCH [--lease-iso ISO] --idle SECONDS
 *                  [--owners "u1, u2"] [--no-may-use-aws] --password FILE [--node-password-file PATH]
 *                  [--boot-failure-grace SECONDS] [--join-timeout SECONDS]
 *                  [--spot 0|1] [--spot-poll SECONDS]
 *                  [--series S] [--knob NAME=VALUE]... [--config-file NAME=FILE]...
 *                  [--user-script FILE]
 *   bootscript_gen --pick-series FILE   (FILE holds condor_version's output; - for none)
 *
 * Writes the script (or, with --config-only, the 50-annex.config body; with
 * --user-data, what goes into UserData, gzip-compressed when large) to
 * standard output. The pool password is read from FILE, never from argv.
 * Exits 1 with the module's one-line error on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/bootscript.h"
#include "annex/buf.h"
#include "annex/err.h"

static int read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	char tmp[4096];
	size_t n;

	if (!f)
		return -1;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_append(out, tmp, n);
	fclose(f);
	return 0;
}

static void usage(void)
{
	fputs("usage: bootscript_gen [--config-only|--user-data] --collector A --name X --id ID "
	      "--lease-end EPOCH --idle S --password FILE ...\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	struct bootscript_values v;
	struct bootscript_knob knobs[32];
	struct bootscript_file files[32];
	struct buf file_data[32];
	struct buf password, user_script = BUF_INIT, out = BUF_INIT;
	struct annex_err err;
	int mode = 0, n_files = 0, rc = 1, gz = 0;

	memset(&v, 0, sizeof v);
	memset(file_data, 0, sizeof file_data);
	buf_init_secret(&password);
	v.series = BOOTSCRIPT_LTS_SERIES;
	annex_err_clear(&err);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--config-only") == 0) { mode = 1; continue; }
		if (strcmp(a, "--user-data") == 0) { mode = 2; continue; }
		if (strcmp(a, "--no-may-use-aws") == 0) { v.no_may_use_aws = 1; continue; }
		if (!val)
			usage();
		i++;
		if (strcmp(a, "--pick-series") == 0) {
			struct buf vb = BUF_INIT;
			char series[128], why[512];
			if (strcmp(val, "-") != 0 && read_file(val, &vb) < 0) {
				perror(val);
				return 1;
			}
			bootscript_pick_series(vb.len ? buf_cstr(&vb) : NULL, series, sizeof series, why, sizeof why);
			printf("%s\n%s\n", series, why);
			buf_free(&vb);
			return 0;
		} else if (strcmp(a, "--collector") == 0) v.collector_addr = val;
		else if (strcmp(a, "--name") == 0) v.annex_name = val;
		else if (strcmp(a, "--id") == 0) v.annex_id = val;
		else if (strcmp(a, "--lease-end") == 0) v.lease_end = atoll(val);
		else if (strcmp(a, "--lease-iso") == 0) v.lease_end_iso = val;
		else if (strcmp(a, "--idle") == 0) v.idle_s = atol(val);
		else if (strcmp(a, "--owners") == 0) v.owners = val;
		else if (strcmp(a, "--boot-failure-grace") == 0) v.boot_failure_grace_s = atol(val);
		else if (strcmp(a, "--join-timeout") == 0) v.join_timeout_s = atol(val);
		else if (strcmp(a, "--spot") == 0) v.spot = atoi(val);
		else if (strcmp(a, "--spot-poll") == 0) v.spot_poll_s = atol(val);
		else if (strcmp(a, "--node-password-file") == 0) v.password_file = val;
		else if (strcmp(a, "--series") == 0) v.series = val;
		else if (strcmp(a, "--password") == 0) {
			if (read_file(val, &password) < 0) {
				perror(val);
				return 1;
			}
		} else if (strcmp(a, "--user-script") == 0) {
			if (read_file(val, &user_script) < 0) {
				perror(val);
				return 1;
			}
			v.user_script = (const unsigned char *)user_script.data;
			v.user_script_len = user_script.len;
		} else if (strcmp(a, "--knob") == 0) {
			char *eq = strchr(val, '=');
			if (!eq || v.n_security >= 32)
				usage();
			*eq = 0;
			knobs[v.n_security].name = val;
			knobs[v.n_security].value = eq + 1;
			v.n_security++;
			v.security = knobs;
		} else if (strcmp(a, "--config-file") == 0) {
			char *eq = strchr(val, '=');
			if (!eq || n_files >= 32)
				usage();
			*eq = 0;
			if (read_file(eq + 1, &file_data[n_files]) < 0) {
				perror(eq + 1);
				return 1;
			}
			files[n_files].name = val;
			files[n_files].data = (const unsigned char *)file_data[n_files].data;
			files[n_files].len = file_data[n_files].len;
			n_files++;
			v.config_files = files;
			v.n_config_files = (size_t)n_files;
		} else
			usage();
	}
	v.password = (const unsigned char *)password.data;
	v.password_len = password.len;

	if (mode == 1)
		rc = bootscript_render_config(&v, &out, &err);
	else if (mode == 2)
		rc = bootscript_user_data(&v, &out, &gz, &err);
	else
		rc = bootscript_render(&v, &out, &err);
	if (rc < 0) {
		fprintf(stderr, "bootscript_gen: %s: %s\n", err.code, err.msg);
		rc = 1;
	} else {
		fwrite(out.data, 1, out.len, stdout);
		if (mode == 2)
			fprintf(stderr, "bootscript_gen: %zu bytes%s\n", out.len, gz ? " (gzip)" : "");
		rc = 0;
	}
	buf_free(&out);
	buf_free(&password);
	buf_free(&user_script);
	for (int i = 0; i < n_files; i++)
		buf_free(&file_data[i]);
	return rc;
}
