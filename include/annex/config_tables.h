/* config_tables.h - the parts of HTCondor's parameter table the config
 * reader needs: knob defaults and the `use CATEGORY : TEMPLATE`
 * metaknobs (config_tables.c). Pure data and text; not part of the
 * public interface. */
#ifndef ANNEX_CONFIG_TABLES_H
#define ANNEX_CONFIG_TABLES_H

/* HTCondor's default for name (case-insensitive), or NULL. */
const char *cfg_table_default(const char *name);

/* The body of metaknob CATEGORY.NAME (case-insensitive), or NULL;
 * *known_category tells whether the category itself exists. */
const char *cfg_table_template(const char *category, const char *name, int *known_category);

/* Substitutes the metaknob arguments $(0) $(0#) $(0?) $(N) $(N?) $(N+)
 * $(N:def) in body. Returns a new string. */
char *cfg_table_meta_args(const char *body, const char *args);

#endif
