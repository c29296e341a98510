/* config_cond.h - if / elif / else / endif in HTCondor config text
 * (config_cond.c), for the parser. Not part of the public interface. */
#ifndef ANNEX_CONFIG_COND_H
#define ANNEX_CONFIG_COND_H

#include "annex/config_store.h"
#include "annex/err.h"

/* How deep if blocks may nest (a bit of each word per level). */
#define CFG_MAX_IF_DEPTH 60

/* The if nesting of one source: a bit per level for "taken", "a branch
 * was taken", and "in the if part" (not yet else). */
struct cfg_cond {
	unsigned long long state, estate, istate, top;
};

void cfg_cond_init(struct cfg_cond *c);

/* 1 when the lines read now count (every enclosing branch is taken). */
int cfg_cond_enabled(const struct cfg_cond *c);

/* 1 inside an if block. */
int cfg_cond_inside_if(const struct cfg_cond *c);

/* Handles an if/elif/else/endif line, evaluating a condition against cfg
 * when its branch could be taken: 1 when the line was one (with *msg set
 * to a new error message, or NULL), 0 when it was not, -1 on an expansion
 * error (err set). */
int cfg_cond_line(const struct cfg_store *cfg, struct cfg_cond *c, const char *line, char **msg,
		  struct annex_err *err);

#endif
