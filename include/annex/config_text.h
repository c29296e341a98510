/* config_text.h - the pure text helpers of the config reader's macro
 * functions (config_text.c). Not part of the public interface. */
#ifndef ANNEX_CONFIG_TEXT_H
#define ANNEX_CONFIG_TEXT_H

#include <stddef.h>

#include "annex/config_macro.h"

/* Validates a user-supplied printf format: literal text with %% escapes
 * and exactly one conversion among convs; writes a safe copy with the
 * length modifier replaced by lmod into out. Returns 0 when unusable. */
int cfg_text_safe_format(const char *fmt, const char *convs, const char *lmod, char *out, size_t outlen);

/* Splits list at commas into trimmed items; drops empty items when
 * keep_empty is 0 (HTCondor's split()). Free with cfg_text_free_list. */
char **cfg_text_split(const char *list, int keep_empty, size_t *n);
void cfg_text_free_list(char **v, size_t n);

/* The contents of a ClassAd string literal "..." (with \" and \\
 * escapes) as a new string; NULL when s is not one. */
char *cfg_text_unquote(const char *s);

/* $Fpndxqabwu(), $BASENAME(), $DIRNAME() of val: the parts of a file name
 * that func (func_len characters after '$', such as "Fpn") asks for, as a
 * new string. */
char *cfg_text_file_part(enum cfg_macro_id id, const char *func, size_t func_len, const char *val);

#endif
