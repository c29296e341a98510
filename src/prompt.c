/* prompt.c - yes/no confirmation on a terminal (see include/annex/prompt.h). */
#include "annex/prompt.h"

#include <stdio.h>
#include <unistd.h>

#include "annex/launchplan.h"

int prompt_yes_no(const char *question, struct annex_err *err)
{
	char line[256];

	if (!isatty(STDIN_FILENO))
		return annex_err_set(err, "NoTerminal",
			"standard input is not a terminal, so annex cannot ask for confirmation; "
			"add -yes to proceed without asking");
	fputs(question, stdout);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin)) {
		putchar('\n');
		return 0;
	}
	return launchplan_is_yes(line);
}
