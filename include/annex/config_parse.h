/* config_parse.h - reading HTCondor config text into a config store
 * (config_parse.c, with if/else in config_cond.c): NAME = value, heredocs,
 * include, use, error and warning lines. Not part of the public interface. */
#ifndef ANNEX_CONFIG_PARSE_H
#define ANNEX_CONFIG_PARSE_H

#include <stddef.h>

#include "annex/config_store.h"
#include "annex/err.h"

/* Parses one config source into cfg. text is the whole source (len
 * bytes); name is used in messages ("name:line"). Returns 0, or -1 with
 * err ("Config") naming file:line. */
int cfg_parse_text(struct cfg_store *cfg, const char *name, const char *text, size_t len, struct annex_err *err);

/* Reads and parses a file (regular files only, size-capped). must_exist:
 * a missing file is an error; else it is skipped. */
int cfg_parse_file(struct cfg_store *cfg, const char *path, int must_exist, struct annex_err *err);

#endif
