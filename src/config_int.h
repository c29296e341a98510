/* config_int.h - what the config reader's files share (config.c: loading
 * and the API; config_parse.c: the line reader, if/else, include, use;
 * config_expand.c: macro expansion and the $FUNC() functions;
 * config_tables.c: HTCondor's parameter-table defaults and metaknob
 * templates). Not part of the public interface. */
#ifndef ANNEX_CONFIG_INT_H
#define ANNEX_CONFIG_INT_H

#include <stddef.h>

#include "annex/buf.h"
#include "annex/config.h"
#include "annex/err.h"

#define CFG_MAX_INCLUDE_DEPTH 20
#define CFG_MAX_IF_DEPTH 60
#define CFG_MAX_FILE_BYTES (16u * 1024 * 1024)
#define CFG_MAX_VALUE_BYTES (1024u * 1024)

enum cfg_origin {
	CFG_ORIGIN_DETECTED = 1,   /* built-in, computed at load */
	CFG_ORIGIN_FILE,           /* a config file or the user config */
	CFG_ORIGIN_ENV,            /* _CONDOR_NAME */
};

struct cfg_item {
	char *name;
	char *value;               /* raw (unexpanded, except self-references) */
	char *source;              /* "file:line", "environment", "<Detected>" */
	enum cfg_origin origin;
};

struct annex_config {
	struct cfg_item *items;    /* in first-definition order */
	size_t n_items, cap_items;
	size_t *slots;             /* hash of lower-cased names -> index+1; 0 = empty */
	size_t n_slots;

	char *subsys;
	char *localname;           /* NULL when none */

	/* what config_load was asked, kept to re-read on a local-name change */
	struct config_load_opts opts;
	char *opt_subsystem, *opt_passwd_home, *opt_root_text, *opt_root_name;

	char *root_file;
	char *user_config_path;
	int user_config_read;
	char *local_config_dir;
	struct buf warnings;

	/* the names looked up while the sources were being read (lower case,
	 * each between '\n's), to tell whether a local name set afterwards
	 * would have changed the reading (config_set_local_name) */
	struct buf *read_lookups;
	int reading;               /* 1 while config_load reads the sources */
	unsigned n_reads;          /* how many times the sources were read */

	/* the include stack while reading, for loop detection */
	const char *include_stack[CFG_MAX_INCLUDE_DEPTH + 2];
	int include_depth;
};

/* One default of HTCondor's parameter table. */
struct cfg_default {
	const char *name;
	const char *value;
};

/* config.c */
struct cfg_item *cfg_find(const struct annex_config *cfg, const char *name);
struct cfg_item *cfg_find_prefixed(const struct annex_config *cfg, const char *prefix, const char *name);
void cfg_insert(struct annex_config *cfg, const char *name, const char *value,
		const char *source, enum cfg_origin origin);
void cfg_warn(struct annex_config *cfg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* HTCondor's parameter-name characters (letters, digits, _ . /), and a
 * name made only of them (not empty). */
int cfg_is_name_char(int c);
int cfg_is_valid_name(const char *name);

/* The raw value a lookup of name finds (LOCALNAME., SUBSYS., plain; each
 * config before table default), or NULL. *item is the config item when it
 * came from the config, else NULL. */
const char *cfg_lookup_raw(const struct annex_config *cfg, const char *name, const struct cfg_item **item);

/* config_expand.c */
int cfg_expand(const struct annex_config *cfg, const char *value, char **out, struct annex_err *err);
/* Expands only $(self) (and $(name) when self is LOCALNAME.name or
 * SUBSYS.name), as HTCondor does when a line is read. */
int cfg_expand_self(const struct annex_config *cfg, const char *value, const char *self,
		    char **out, struct annex_err *err);
/* HTCondor's string_is_long_param / string_is_double_param: a number, or
 * a simple arithmetic expression. Return 1 when it evaluates. */
int cfg_eval_long(const char *s, long long *out);
int cfg_eval_double(const char *s, double *out);

/* config_parse.c */
/* Parses one config source. text is the whole file; name is used in
 * messages ("name:line"); depth counts include nesting. */
int cfg_parse_text(struct annex_config *cfg, const char *name, const char *text, size_t len,
		   int depth, struct annex_err *err);
/* Reads and parses a file (regular files only, size-capped). must_exist: a
 * missing file is an error; else it is skipped. */
int cfg_parse_file(struct annex_config *cfg, const char *path, int must_exist, int depth,
		   struct annex_err *err);

/* config_tables.c */
const char *cfg_table_default(const char *name);
/* The body of metaknob CATEGORY.NAME (case-insensitive), or NULL;
 * *known_category tells whether the category itself exists. */
const char *cfg_table_template(const char *category, const char *name, int *known_category);
/* Substitutes the metaknob arguments $(0) $(0#) $(0?) $(N) $(N?) $(N+) $(N:def). */
char *cfg_expand_meta_args(const char *body, const char *args);

#endif
