/* test_consoleout.c - the printable tail of an instance's console output
 * (what annex -status shows for a node that never joined). */
#include <stdlib.h>
#include <string.h>

#include "annex/consoleout.h"
#include "harness.h"

static void t_last_lines(void)
{
	char *s = consoleout_tail("one\ntwo\n\n   \nthree\r\nfour\rfive\nsix\n", 5);
	CHECK_STR(s, "two\nthree\nfour\nfive\nsix");
	free(s);
	s = consoleout_tail("only", 5);
	CHECK_STR(s, "only");
	free(s);
	CHECK(consoleout_tail("", 5) == NULL);
	CHECK(consoleout_tail("\n \n\t\n", 5) == NULL);
	CHECK(consoleout_tail(NULL, 5) == NULL);
	CHECK(consoleout_tail("x", 0) == NULL);
}

/* A console is the node's, not annex's: nothing in it may drive the
 * terminal that runs annex -status. */
static void t_printable(void)
{
	char *s = consoleout_tail("a\x1b[2J\x1b]0;title\x07 b\ttab \xc3\xa9 \xff\xfe end\x7f\n", 5);
	CHECK_STR(s, "a?[2J?]0;title? b\ttab \xc3\xa9 ?? end?");
	free(s);
	char long_line[600];
	memset(long_line, 'x', sizeof long_line - 1);
	long_line[sizeof long_line - 1] = 0;
	s = consoleout_tail(long_line, 5);
	CHECK_INT(strlen(s), 203);
	CHECK(strcmp(s + 200, "...") == 0);
	free(s);
}

TESTS(T(t_last_lines), T(t_printable))
