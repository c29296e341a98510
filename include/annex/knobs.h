/* knobs.h - the one registry of the knobs annex reads (src/knobs.c).
 *
 * Every knob annex reads is a row of one table: its name, type, default,
 * unit and one line of doc. docs/knobs.md is generated from that table
 * (`make knobs-doc`), and `annex -config-val -describe` prints it. Knobs are
 * read through the HTCondor configuration (config.h), so a config file, the
 * user config and `_CONDOR_<NAME>` in the environment all set every knob;
 * the getters below are the only way to read one (tests/integration/
 * test_knobs_registry.sh checks that src/ reads no knob any other way).
 *
 * Where a value comes from, first match wins:
 *   1. for the knobs flagged KNOB_ENV (they were read from the environment
 *      only, before the registry), the environment variable NAME itself
 *      when set and not empty, as before;
 *   2. the configuration: LOCALNAME.NAME, ANNEX.NAME, NAME from the files,
 *      the user config and _CONDOR_NAME; then HTCondor's parameter-table
 *      default (config_tables.c) for HTCondor's own knobs;
 *   3. the registry's default, for annex's own knobs (KNOB_HTCONDOR not
 *      set); a value set but empty counts as not set, as in HTCondor.
 *
 * Asking for a name the table does not hold is a programming error: the
 * getters that take an err return -1 with code "Internal"; those that
 * cannot (session_knob_or_null) print the error and abort().
 *
 * The second, small table lists the environment variables annex reads that
 * are not HTCondor knobs (AWS_*: the AWS CLI's environment; HOME, PATH,
 * ...). They stay plain environment reads, and are documented beside the
 * knobs.
 */
#ifndef ANNEX_KNOBS_H
#define ANNEX_KNOBS_H

#include <stddef.h>
#include <stdio.h>

#include "annex/config.h"
#include "annex/err.h"

enum knob_type {
	KNOB_STRING,
	KNOB_INT,        /* a whole number, within [min, max] */
	KNOB_BOOL,       /* true/false/yes/no/t/f or a number (HTCondor's) */
	KNOB_DURATION,   /* a whole number of seconds, within [min, max] */
	KNOB_PATH,       /* a file name */
	KNOB_URL,
	KNOB_LIST,       /* comma- or space-separated words */
};

/* Flags of a knob. */
enum {
	/* HTCondor's own knob (or condor_annex's): its default is HTCondor's
	 * parameter-table default, which the configuration applies itself;
	 * def repeats it for the docs (a test checks they agree). */
	KNOB_HTCONDOR = 1,
	/* Also read from the environment variable NAME (not only
	 * _CONDOR_NAME), which wins over the configuration: these knobs were
	 * read from the environment only before the registry. */
	KNOB_ENV = 2,
	/* Read by the configuration reader itself while it reads the files
	 * (config.c), so only config files before it and _CONDOR_NAME set it. */
	KNOB_LOADER = 4,
	/* Counts only when configured (a file, the user config or the
	 * environment): a parameter-table default never overrides anything. */
	KNOB_CONFIGURED_ONLY = 8,
	/* HTCondor's knob whose parameter-table default annex replaces with
	 * def (condor_annex's m4.large instance type is not Nitro-based): the
	 * table's value counts only when configured, then def applies. */
	KNOB_ANNEX_DEFAULT = 16,
};

struct knob_def {
	const char *name;
	enum knob_type type;
	const char *def;      /* the default, NULL: none (doc says what happens) */
	const char *unit;     /* "seconds", "ms", ...; NULL: none */
	long min, max;        /* KNOB_INT, KNOB_DURATION: the accepted range
			       * (both 0: any whole number) */
	unsigned flags;       /* KNOB_HTCONDOR | KNOB_ENV | ... */
	const char *doc;      /* one line */
};

struct knob_env {
	const char *name;     /* AWS_REGION, or a pattern: AWS_ENDPOINT_URL_<SERVICE> */
	const char *doc;      /* one line */
};

/* The tables. knobs_find is case-insensitive (HTCondor names are); NULL
 * when name is not a knob annex reads. */
size_t knobs_count(void);
const struct knob_def *knobs_at(size_t i);
const struct knob_def *knobs_find(const char *name);
size_t knobs_env_count(void);
const struct knob_env *knobs_env_at(size_t i);
const char *knobs_type_name(enum knob_type t);

/* A knob's value, whatever its type, as text: 1 with *value (caller
 * frees), 0 not set and no default (*value NULL), -1 error (an expansion
 * error such as $INT() of a non-number; "Internal" for an unknown name).
 * value may be NULL. */
int knobs_get_str(const struct annex_config *cfg, const char *name, char **value, struct annex_err *err);

/* KNOB_INT / KNOB_DURATION: 1 with *out, 0 not set and no default (*out
 * untouched), -1 when the value is not a whole number or is outside the
 * knob's range ("Config", one line naming the knob, the value and where it
 * was set), or for an unknown name or a knob of another type ("Internal"). */
int knobs_get_long(const struct annex_config *cfg, const char *name, long *out, struct annex_err *err);

/* KNOB_BOOL: as knobs_get_long, *out 0 or 1. */
int knobs_get_bool(const struct annex_config *cfg, const char *name, int *out, struct annex_err *err);

/* 1 when a config file, the user config or the environment sets the knob
 * (not a parameter-table default, not the registry's default). Aborts on
 * an unknown name. */
int knobs_is_configured(const struct annex_config *cfg, const char *name);

/* Where the value knobs_get_str gives comes from: "file:line",
 * "environment (_CONDOR_X=...)", "environment (X)", "<Default>"
 * (HTCondor's parameter table), "annex default", "<Detected>"; NULL when
 * not set. Returns a new string. Aborts on an unknown name. */
char *knobs_source(const struct annex_config *cfg, const char *name);

/* The knob, or prints "annex: Internal error: ..." and aborts: for
 * callers that have no err to return (session_knob_or_null). */
const struct knob_def *knobs_require(const char *name);

/* "int, 1 to 100 attempts; default 5; also $ANNEX_MAX_ATTEMPTS" */
char *knobs_summary(const struct knob_def *k);

/* Writes docs/knobs.md: both tables, in Markdown. */
void knobs_write_markdown(FILE *f);

#endif
