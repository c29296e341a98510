/* config_expand.h - HTCondor's macro expansion over a config store
 * (config_expand.c): $(NAME[:default]), $ENV(), the $FUNC() functions,
 * then $(DOLLAR). Sits on the store; the parser and config.c call it. Not
 * part of the public interface. */
#ifndef ANNEX_CONFIG_EXPAND_H
#define ANNEX_CONFIG_EXPAND_H

#include "annex/config_store.h"
#include "annex/err.h"

/* Expands every macro of value, looking names up in cfg. Returns 0 with
 * *out (caller frees), or -1 with err set ("Config": a bad function
 * argument, a reference cycle, a result over CFG_MAX_VALUE_BYTES). */
int cfg_expand(const struct cfg_store *cfg, const char *value, char **out, struct annex_err *err);

/* Expands only $(self) (and $(name) when self is LOCALNAME.name or
 * SUBSYS.name), as HTCondor does when a line is read. */
int cfg_expand_self(const struct cfg_store *cfg, const char *value, const char *self,
		    char **out, struct annex_err *err);

#endif
