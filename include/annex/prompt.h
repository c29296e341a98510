/* prompt.h - asking the user before spending money or deleting things. */
#ifndef ANNEX_PROMPT_H
#define ANNEX_PROMPT_H

#include "annex/err.h"

/* Prints question (no newline added), reads one line from standard input
 * and returns 1 for yes ("yes"/"y", any case), 0 for anything else (end of
 * input counts as no). Refuses (-1, code "NoTerminal") when standard input
 * is not a terminal: a script must say -yes. */
int prompt_yes_no(const char *question, struct annex_err *err);

#endif
