/* config_store.h - the table the HTCondor config reader fills and looks
 * names up in: raw values by name (case-insensitive), where each came
 * from, the subsystem and local name that prefix a lookup, and the
 * warnings collected while reading. The lowest floor of the reader: the
 * expander (config_expand.c) and the parser (config_parse.c) work on a
 * store; config.c owns one inside its struct annex_config. Not part of
 * the public interface (see config.h). */
#ifndef ANNEX_CONFIG_STORE_H
#define ANNEX_CONFIG_STORE_H

#include <stddef.h>

#include "annex/buf.h"

/* The longest value a definition or an expansion may reach. */
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

struct cfg_store {
	struct cfg_item *items;    /* in first-definition order */
	size_t n_items, cap_items;
	size_t *slots;             /* hash of lower-cased names -> index+1; 0 = empty */
	size_t n_slots;

	char *subsys;
	char *localname;           /* NULL when none */
	struct buf warnings;

	/* the names looked up while the sources were being read (lower case,
	 * each between '\n's), to tell whether a local name set afterwards
	 * would have changed the reading (config_set_local_name) */
	struct buf read_lookups;
	int reading;               /* 1 while config_load reads the sources */
};

/* Starts an empty store for a subsystem ("ANNEX") and a local name (NULL
 * or "" for none). */
void cfg_store_init(struct cfg_store *s, const char *subsys, const char *localname);

/* Frees what the store holds (not s itself). */
void cfg_store_free(struct cfg_store *s);

/* The item named prefix.name (or name when prefix is NULL), ignoring
 * case, or NULL. */
struct cfg_item *cfg_store_find(const struct cfg_store *s, const char *prefix, const char *name);

/* Defines name (replacing an earlier definition, which keeps its place in
 * the order). */
void cfg_store_set(struct cfg_store *s, const char *name, const char *value, const char *source,
		   enum cfg_origin origin);

/* The raw value a lookup of name finds: LOCALNAME.name, SUBSYS.name, then
 * name, each from the store before HTCondor's table default; NULL when
 * none. *item (may be NULL) is the store's item, or NULL for a table
 * default. */
const char *cfg_store_lookup(const struct cfg_store *s, const char *name, const struct cfg_item **item);

/* When name is LOCALNAME.x or SUBSYS.x (x not empty), returns x inside
 * name; else NULL. */
const char *cfg_store_unprefixed(const struct cfg_store *s, const char *name);

/* Adds one line to the warnings. */
void cfg_store_warn(struct cfg_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* HTCondor's parameter-name characters (letters, digits, _ . /), and a
 * name made only of them (not empty). */
int cfg_store_name_char(int c);
int cfg_store_valid_name(const char *name);

#endif
