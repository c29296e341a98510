/* config_eval.h - HTCondor's string_is_long_param / string_is_double_param
 * and the $EVAL() arithmetic of the config reader (config_eval.c): a
 * number, or a simple arithmetic expression. Pure; not part of the public
 * interface. */
#ifndef ANNEX_CONFIG_EVAL_H
#define ANNEX_CONFIG_EVAL_H

/* Return 1 with *out set when s is a number or evaluates to one, else 0. */
int cfg_eval_long(const char *s, long long *out);
int cfg_eval_double(const char *s, double *out);

/* The value of expression s as $EVAL() writes it (an integer, or a real
 * with at least one '.'), as a new string; NULL when s does not evaluate. */
char *cfg_eval_text(const char *s);

#endif
