/* fuzz_cli.c - libFuzzer target for the command-line parser (src/cli.c):
 * the input, split on NUL bytes, is argv after the program name. The
 * parse either fails with a message or succeeds with a command; then the
 * options are freed. Each argument is also matched alone (cli_match). Any
 * crash, leak or undefined behaviour is a bug, and so is an error without
 * a message. (An argument's newline may sit in a message: main prints it
 * escaped, on one line.)
 *
 * fuzz-sources: src/cli.c src/cli_help.c src/platforms.c src/buf.c src/err.c src/typeselect.c
 * fuzz-max-len: 2048
 */
#include "annex/cli.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), **argv;
	struct annex_opts o;
	struct annex_err err;
	int argc = 1, rc;

	memcpy(text, data, size);
	text[size] = 0;
	for (size_t i = 0; i < size; i++)
		argc += text[i] == 0;
	argc += 1;      /* the last argument ends at the end of the input */
	argv = calloc((size_t)argc + 1, sizeof(*argv));
	argv[0] = (char *)"annex";
	argc = 1;
	for (char *p = text; p <= text + size; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	annex_err_clear(&err);
	rc = cli_parse(argc, argv, &o, &err);
	if (rc != 0 && (!err.code[0] || !err.msg[0]))
		abort();
	if (rc == 0 && o.command == CMD_NONE)
		abort();
	cli_opts_free(&o);
	for (int i = 1; i < argc; i++) {
		const char *name = NULL;
		annex_err_clear(&err);
		if (cli_match(argv[i], &name, &err) == 0 ? !name : !err.msg[0])
			abort();
	}
	free(argv);
	free(text);
	return 0;
}
