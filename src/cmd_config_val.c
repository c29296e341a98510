/* cmd_config_val.c - `annex -config-val NAME...`: prints knobs the way
 * `condor_config_val NAME...` does, as annex reads them (subsystem ANNEX,
 * the local name of the region the commands act in: -aws-region, else
 * found in session.h's order, so right after -setup the knobs it recorded
 * region-prefixed show). One value per line on
 * stdout; an undefined or empty knob prints "Not defined: NAME" on stderr;
 * a knob whose expansion fails (e.g. $INT() of a non-number) prints
 * ERROR "<message>" and "Not defined: NAME". The exit status is 1 when any
 * name was not defined. A configuration that cannot be read is an error
 * (returned to main, which prints it).
 *
 * `annex -config-val -describe [NAME...]` prints the knob registry's entry
 * (knobs.h) of each NAME, or of every knob annex reads: the value annex
 * uses, as the commands read it (with the region's local name), where it
 * comes from, type, range, default, and the one line of doc. A name that
 * is not a knob annex reads, or a value a command would refuse, makes the
 * exit status 1. */
#include "annex/cmd.h"
#include "annex/config.h"
#include "annex/knobs.h"
#include "annex/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One knob's entry; 0, or 1 when its value is refused. */
static int cmd_config_val_describe_one(const struct annex_session *s, const struct knob_def *k)
{
	struct annex_err e;
	char *value = NULL, *src, *sum = knobs_summary(k);
	int rc, bad = 0;

	annex_err_clear(&e);
	rc = knobs_get_str(s->cfg, k->name, &value, &e);
	if (rc == 1 && (k->type == KNOB_INT || k->type == KNOB_DURATION)) {
		long n;
		bad = knobs_get_long(s->cfg, k->name, &n, &e) < 0;
	} else if (rc == 1 && k->type == KNOB_BOOL) {
		int b;
		bad = knobs_get_bool(s->cfg, k->name, &b, &e) < 0;
	}
	src = knobs_source(s->cfg, k->name);
	if (rc == 1)
		printf("%s = %s\n", k->name, value);
	else
		printf("%s is not set\n", k->name);
	if (src)
		printf("  # at: %s\n", src);
	if (rc < 0 || bad)
		printf("  # ERROR: %s\n", e.msg);
	printf("  # %s\n  # %s\n", sum, k->doc);
	free(value);
	free(src);
	free(sum);
	return rc < 0 || bad;
}

static int cmd_config_val_describe(const struct annex_opts *o, int *exit_status, struct annex_err *err)
{
	struct annex_session s;
	int status = 0;

	if (session_open(&s, o, err) != 0) {
		session_close(&s);
		return -1;
	}
	if (o->n_config_names == 1) {
		for (size_t i = 0; i < knobs_count(); i++)
			status |= cmd_config_val_describe_one(&s, knobs_at(i));
	}
	for (int i = 1; i < o->n_config_names; i++) {
		const struct knob_def *k = knobs_find(o->config_names[i]);
		if (k) {
			status |= cmd_config_val_describe_one(&s, k);
		} else {
			fflush(stdout);
			fprintf(stderr, "Not a knob annex reads: %s (annex -config-val -describe lists them)\n",
				o->config_names[i]);
			status = 1;
		}
	}
	fflush(stdout);
	session_close(&s);
	*exit_status = status;
	return 0;
}

int cmd_config_val(const struct annex_opts *o, int *exit_status, struct annex_err *err)
{
	struct annex_session s;
	const struct annex_config *cfg;
	int status = 0;

	*exit_status = 1;
	if (o->n_config_names <= 0)
		return annex_err_set(err, "Usage", "-config-val needs at least one knob name");
	if (strcmp(o->config_names[0], "-describe") == 0)
		return cmd_config_val_describe(o, exit_status, err);
	/* the local name of the region the commands would act in, found as
	 * they find it (session.h), so what -setup recorded region-prefixed
	 * shows without -aws-region; a malformed region name still gives a
	 * local name, and a command would refuse it, not this one */
	if (session_open_any_region(&s, o, err) < 0) {
		session_close(&s);
		return -1;
	}
	cfg = s.cfg;
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
	session_close(&s);
	*exit_status = status;
	return 0;
}
