/* knobs_doc - prints the knob registry (src/knobs.c).
 *
 *   knobs_doc                docs/knobs.md (make knobs-doc writes it)
 *   knobs_doc -names         the knobs' names, one a line
 *   knobs_doc -env           the environment table's names, one a line
 *   knobs_doc -man TEMPLATE  docs/annex.1 from docs/annex.1.in: the lines
 *                            '.\" @KNOBS@' and '.\" @ENVIRONMENT@' become
 *                            the registry's entries in roff, @VERSION@ and
 *                            @DEFAULT_TYPE@ the build's (make man writes it)
 *
 * tests/integration/test_knobs_registry.sh compares docs/knobs.md with the
 * first and checks src/ against the next two; tests/integration/test_man.sh
 * compares docs/annex.1 with the last. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/knobs.h"
#include "annex/platforms.h"

/* Text as roff: backslashes escaped, a dash that starts a word (an option)
 * and every dash after it in that word a minus sign, one sentence a line and input lines of at most 80 bytes
 * (mandoc's style rules: a word too long is split with \c), and a line
 * never starting with a control character. No newline at the end. */
static void roff_text(FILE *f, const char *s)
{
	int col = 0, option = 0;   /* option: inside a word that began with '-' */

	for (const char *p = s; *p; p++) {
		if (*p == ' ')
			option = 0;
		if (col == 0 && (*p == '.' || *p == '\''))
			col += fprintf(f, "\\&");
		if (*p == ' ' && col >= 60) {
			fputc('\n', f);
			col = 0;
		} else if (col >= 74) {
			fputs("\\c\n", f);
			col = 0;
			p--;
		} else if (*p == '\\') {
			col += fprintf(f, "\\e");
		} else if (*p == '-' && (option || p == s || strchr(" (,/[", p[-1]))) {
			col += fprintf(f, "\\-");
			option = 1;
		} else if (*p == '|') {
			col += fprintf(f, "|\\:");   /* a place to break a long regexp */
		} else if (*p == '.' && p[1] == ' ') {
			fputs(".\n", f);
			p++;   /* the space */
			col = 0;
		} else {
			fputc(*p, f);
			col++;
		}
	}
}

static void man_knobs(FILE *f)
{
	fputs(".ad l\n", f);   /* a long default (a regexp) cannot be justified */
	for (size_t i = 0; i < knobs_count(); i++) {
		const struct knob_def *k = knobs_at(i);
		char *sum = knobs_summary(k);
		fprintf(f, ".TP\n.B %s\n", k->name);
		roff_text(f, k->doc);
		fputs("\n.br\n\\fI", f);   /* the summary: one line, no sentence ends */
		roff_text(f, sum);
		fputs("\\fP\n", f);
		free(sum);
	}
	fputs(".ad\n", f);
}

static void man_env(FILE *f)
{
	for (size_t i = 0; i < knobs_env_count(); i++) {
		const struct knob_env *e = knobs_env_at(i);
		const char *lt = strchr(e->name, '<');
		if (lt)   /* AWS_ENDPOINT_URL_<SERVICE>: SERVICE in italics */
			fprintf(f, ".TP\n.BI %.*s %.*s\n", (int)(lt - e->name), e->name,
			       (int)strcspn(lt + 1, ">"), lt + 1);
		else
			fprintf(f, ".TP\n.B %s\n", e->name);
		roff_text(f, e->doc);
		fputc('\n', f);
	}
}

/* Copies template to stdout, expanding the markers; 0, or -1 on error. */
static int man_page(const char *template)
{
	FILE *in = fopen(template, "r");
	char line[4096];
	int n_markers = 0;

	if (!in) {
		perror(template);
		return -1;
	}
	printf(".\\\" Generated from %s and the knob registry (src/knobs.c) by `make man`; do not edit.\n", template);
	while (fgets(line, sizeof line, in)) {
		if (strcmp(line, ".\\\" @KNOBS@\n") == 0) {
			man_knobs(stdout);
			n_markers++;
			continue;
		}
		if (strcmp(line, ".\\\" @ENVIRONMENT@\n") == 0) {
			man_env(stdout);
			n_markers++;
			continue;
		}
		for (const char *p = line; *p; p++) {
			if (strncmp(p, "@VERSION@", 9) == 0) {
				fputs(ANNEX_VERSION, stdout);
				p += 8;
			} else if (strncmp(p, "@DEFAULT_TYPE@", 14) == 0) {
				fputs(PLATFORMS_DEFAULT_TYPE, stdout);
				p += 13;
			} else {
				putchar(*p);
			}
		}
	}
	fclose(in);
	if (n_markers != 2) {
		fprintf(stderr, "knobs_doc: %s: want one '.\\\" @KNOBS@' and one '.\\\" @ENVIRONMENT@' line, found %d markers\n",
			template, n_markers);
		return -1;
	}
	return 0;
}

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
	} else if (argc == 3 && strcmp(argv[1], "-man") == 0) {
		if (man_page(argv[2]) != 0)
			return 1;
	} else {
		fprintf(stderr, "usage: knobs_doc [-names | -env | -man TEMPLATE]\n");
		return 2;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
