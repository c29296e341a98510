/* knobs_doc - prints the knob registry (src/knobs.c).
 *
 *   knobs_doc          docs/knobs.md (make knobs-doc writes it)
 *   knobs_doc -names   the knobs' names, one a line
 *   knobs_doc -env     the environment table's names, one a line
 *
 * tests/integration/test_knobs_registry.sh compares docs/knobs.md with the
 * first and checks src/ against the other two. */
#include <stdio.h>
#include <string.h>

#include "annex/knobs.h"

int main(int argc, char **argv)
{
	if (argc == 1) {
		knobs_write_markdown(stdout);
	} else if (argc == 2 && strcmp(argv[1], "-names") == 0) {
		for (size_t i = 0; i < knobs_count(); i++)
			printf("%s\n", knobs_at(i)->name);
	} else if (argc == 2 && strcmp(argv[1], "-env") == 0) {
		for (size_t i = 0; i < knobs_env_count(); i++)
			printf("%s\n", knobs_env_at(i)->name);
	} else {
		fprintf(stderr, "usage: knobs_doc [-names | -env]\n");
		return 2;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
