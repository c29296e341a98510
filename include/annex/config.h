/* config.h - the HTCondor configuration reader (SPEC.md section 3).
 *
 * Reads configuration the way HTCondor 25.14 does: the root file
 * ($CONDOR_CONFIG, else /etc/condor/condor_config,
 * /usr/local/etc/condor_config, ~condor/condor_config; CONDOR_CONFIG=ONLY_ENV
 * reads no file), then the LOCAL_CONFIG_DIR files in lexical order (minus
 * the names LOCAL_CONFIG_DIR_EXCLUDE_REGEXP matches), then the
 * LOCAL_CONFIG_FILE list, then the user config (USER_CONFIG_FILE, relative
 * names under ~/.condor/ with ~ the passwd home of the effective uid; never
 * read when the real or effective uid is 0), then _CONDOR_<NAME>
 * environment overrides.
 *
 * Values are stored raw and macro-expanded at lookup time, so a later
 * definition of a referenced knob is seen (self-references are expanded
 * when the line is read, as in HTCondor). A lookup of NAME tries
 * LOCALNAME.NAME, then SUBSYS.NAME (ANNEX.NAME), then NAME; at each step the
 * configuration wins over HTCondor's parameter-table default.
 *
 * "Configured" means a config file, the user config or the environment
 * set the winning definition; a parameter-table default or a detected
 * built-in (FULL_HOSTNAME, ...) never counts (config_is_configured).
 *
 * config knows nothing of AWS or of the command line. Errors carry the
 * file:line they come from (err->code "Config").
 */
#ifndef ANNEX_CONFIG_H
#define ANNEX_CONFIG_H

#include <stddef.h>

#include "annex/err.h"

struct annex_config;

struct config_load_opts {
	const char *subsystem;     /* NULL: "ANNEX" */
	const char *local_name;    /* NULL or "": none; see config_local_name_from_region */
	int skip_user_config;      /* do not read the user config even as non-root */
	int skip_local_config;     /* do not read LOCAL_CONFIG_DIR / LOCAL_CONFIG_FILE (fuzzing) */
	const char *passwd_home;   /* tests only: the home used for ~/.condor/; NULL: getpwuid(geteuid()) */
	const char *root_text;     /* tests/fuzzing: parse this text as the root config instead of a file */
	const char *root_name;     /* with root_text: the name used in messages and for CONFIG_ROOT */
};

/* Reads the whole configuration. On success *out is owned by the caller
 * (config_free). On failure returns -1, err->code "Config" and a message
 * naming file:line. o may be NULL (all defaults). */
int config_load(struct annex_config **out, const struct config_load_opts *o, struct annex_err *err);

void config_free(struct annex_config *cfg);

/* Sets (or clears, with NULL or "") the local name. The result is what
 * config_load with that local name gives. Going from no local name to one
 * re-reads nothing unless the reading depended on it (a name looked up
 * while reading, e.g. by an include or an if, has a LOCALNAME.NAME
 * definition; LOCALNAME is used; a LOCALNAME.NAME value holds a
 * self-reference, which HTCondor expands while reading); any other change
 * re-reads the sources. On failure the old configuration is kept. */
int config_set_local_name(struct annex_config *cfg, const char *local_name, struct annex_err *err);

/* How many times the sources were read into cfg: 1 after config_load,
 * one more for each config_set_local_name that had to re-read. */
unsigned config_reads(const struct annex_config *cfg);

/* The local name condor_annex derives from a region: every character
 * outside [A-Za-z0-9_./] becomes '_' (us-east-1 -> us_east_1). Returns a
 * new string. */
char *config_local_name_from_region(const char *region);

/* Looks NAME up (LOCALNAME.NAME, SUBSYS.NAME, NAME) and expands it.
 * Returns 1 with *value (caller frees) when defined and non-empty, 0 when
 * undefined or empty (*value NULL), -1 on an expansion error such as
 * $INT() of a non-number (err set, *value NULL). value may be NULL. */
int config_get(const struct annex_config *cfg, const char *name, char **value, struct annex_err *err);

/* Typed lookups: 1 defined (out set), 0 not defined (out untouched),
 * -1 error (not a boolean/integer/number, or an expansion error).
 * Booleans are true/false/yes/no/t/f (any case) or a number (non-zero is
 * true); integers and numbers may be simple arithmetic, as $INT() takes. */
int config_get_bool(const struct annex_config *cfg, const char *name, int *out, struct annex_err *err);
int config_get_int(const struct annex_config *cfg, const char *name, long long *out, struct annex_err *err);
int config_get_double(const struct annex_config *cfg, const char *name, double *out, struct annex_err *err);

/* 1 when the definition NAME's lookup finds was set, non-empty, by a config
 * file, the user config or the environment; 0 for a parameter-table
 * default, a built-in, or nothing. */
int config_is_configured(const struct annex_config *cfg, const char *name);

/* Where the winning definition of NAME comes from: "file:line",
 * "environment", "<Default>" (parameter table), "<Detected>" (built-in);
 * NULL when undefined. Valid until the configuration is freed or re-read. */
const char *config_source(const struct annex_config *cfg, const char *name);

/* The user config file: where it is, or would be (also as root, for whom
 * it is never read); NULL when it cannot be named (no passwd home for a
 * relative USER_CONFIG_FILE). */
const char *config_user_config_path(const struct annex_config *cfg);

/* 1 when the user config was read. */
int config_user_config_read(const struct annex_config *cfg);

/* The first directory of LOCAL_CONFIG_DIR (expanded), or NULL. */
const char *config_local_config_dirs(const struct annex_config *cfg);

/* The root config file read (NULL with CONDOR_CONFIG=ONLY_ENV). */
const char *config_root_file(const struct annex_config *cfg);

/* Warnings collected while reading (unknown `use` template, `warning :`
 * lines), one per line, "" when none. */
const char *config_warnings(const struct annex_config *cfg);

/* Iteration over the names set by files, environment and built-ins (not
 * the parameter table), in first-definition order. */
size_t config_count(const struct annex_config *cfg);
const char *config_name_at(const struct annex_config *cfg, size_t i);

/* Expands macros in text as a config value would be (for callers that
 * build values), with the same local name and subsystem. Returns 0 with
 * *out (caller frees) or -1. */
int config_expand(const struct annex_config *cfg, const char *text, char **out, struct annex_err *err);

#endif
