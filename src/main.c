/* main.c - argv -> cli -> the command's function; prints the one error line.
 * The only place that prints an error or picks the exit status. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "-version") == 0) {
		printf("annex %s\n", ANNEX_VERSION);
		return 0;
	}
	fprintf(stderr, "annex: nothing to do yet (try -version)\n");
	return 1;
}
