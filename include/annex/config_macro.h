/* config_macro.h - finding the macros in a config value (config_macro.c):
 * $(NAME[:default]), $ENV(), the $FUNC() functions and $F...() file-name
 * parts, each only when its body is well formed. Pure text scanning; what
 * a macro expands to is config_expand.c's. Not part of the public
 * interface. */
#ifndef ANNEX_CONFIG_MACRO_H
#define ANNEX_CONFIG_MACRO_H

#include <stddef.h>

enum cfg_macro_id {
	CFG_MACRO_NONE = 0,
	CFG_MACRO_NORMAL,
	CFG_MACRO_ENV,
	CFG_MACRO_RANDOM_CHOICE,
	CFG_MACRO_RANDOM_INTEGER,
	CFG_MACRO_CHOICE,
	CFG_MACRO_SUBSTR,
	CFG_MACRO_INT,
	CFG_MACRO_REAL,
	CFG_MACRO_STRING,
	CFG_MACRO_EVAL,
	CFG_MACRO_BASENAME,
	CFG_MACRO_DIRNAME,
	CFG_MACRO_FILENAME,
};

struct cfg_macro_pos {
	size_t dollar;   /* index of '$' */
	size_t func;     /* index after '$' */
	size_t body;     /* index after '(' */
	size_t right;    /* index after ')' */
};

/* Decides which macros a scan reports: returns 1 to skip this one. */
typedef int (*cfg_macro_skip_fn)(void *ud, enum cfg_macro_id id, const char *body, size_t len);

/* Finds the leftmost well-formed macro at or after index search of value
 * that skip (may be NULL) does not pass over. Returns its kind with *pos
 * set, or CFG_MACRO_NONE. A plain $( body holds name characters, then
 * optionally ':' and a default of name characters, "$ ,\:" and balanced
 * "(...)"; anything else, such as an unterminated "$(", is not a macro. */
enum cfg_macro_id cfg_macro_next(const char *value, size_t search, struct cfg_macro_pos *pos,
				 cfg_macro_skip_fn skip, void *ud);

#endif
