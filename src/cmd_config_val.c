/* cmd_config_val.c - `annex -config-val NAME...`: prints knobs the way
 * `condor_config_val NAME...` does, as annex reads them (subsystem ANNEX,
 * the local name from -aws-region when given). One value per line on
 * stdout; an undefined or empty knob prints "Not defined: NAME" on stderr;
 * a knob whose expansion fails (e.g. $INT() of a non-number) prints
 * ERROR "<message>" and "Not defined: NAME". The exit status is 1 when any
 * name was not defined. A configuration that cannot be read is an error
 * (returned to main, which prints it). */
#include "annex/cmd.h"
#include "annex/config.h"

#include <stdio.h>
#include <stdlib.h>

int cmd_config_val(const struct annex_opts *o, int *exit_status, struct annex_err *err)
{
	struct config_load_opts lo = { 0 };
	struct annex_config *cfg = NULL;
	char *local = NULL;
	int status = 0;

	*exit_status = 1;
	if (o->n_config_names <= 0)
		return annex_err_set(err, "Usage", "-config-val needs at least one knob name");
	lo.subsystem = "ANNEX";
	if (o->region && *o->region) {
		local = config_local_name_from_region(o->region);
		lo.local_name = local;
	}
	if (config_load(&cfg, &lo, err) < 0) {
		free(local);
		return -1;
	}
	free(local);
	if (*config_warnings(cfg))
		fputs(config_warnings(cfg), stderr);

	for (int i = 0; i < o->n_config_names; i++) {
		const char *name = o->config_names[i];
		struct annex_err e;
		char *value = NULL;

		annex_err_clear(&e);
		int rc = config_get(cfg, name, &value, &e);
		if (rc > 0) {
			printf("%s\n", value);
		} else {
			fflush(stdout);
			if (rc < 0)
				fprintf(stderr, "ERROR \"%s\"\n", e.msg);
			fprintf(stderr, "Not defined: %s\n", name);
			status = 1;
		}
		free(value);
	}
	fflush(stdout);
	config_free(cfg);
	*exit_status = status;
	return 0;
}
