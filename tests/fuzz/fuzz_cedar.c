/* fuzz_cedar.c - libFuzzer target for the CEDAR frame reader
 * (src/cedar.c): the input is the bytes a daemon sent in answer to
 * DC_QUERY_INSTANCE, read whole and also grown one byte at a time as a
 * socket could deliver them. Any crash, leak or undefined behaviour is a
 * bug, and so is an answer that changes with how the bytes arrived, an id
 * that is not 16 hex digits, or an error message that is not one
 * printable line.
 *
 * fuzz-sources: src/cedar.c src/err.c
 * fuzz-max-len: 512
 */
#include "annex/cedar.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_line(const struct annex_err *err)
{
	for (const char *p = err->msg; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			abort();
	if (!err->code[0] || !err->msg[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct annex_err err;
	char id[CEDAR_INSTANCE_ID_LEN + 1], first[CEDAR_INSTANCE_ID_LEN + 1] = "";
	int whole, rc = 0;
	size_t n;

	annex_err_clear(&err);
	whole = cedar_parse_reply(data, size, id, &err);
	if (whole == 1) {
		if (strlen(id) != CEDAR_INSTANCE_ID_LEN || strspn(id, "0123456789abcdefABCDEF") != CEDAR_INSTANCE_ID_LEN)
			abort();
		memcpy(first, id, sizeof(first));
	} else if (whole == -1) {
		one_line(&err);
	} else if (whole != 0) {
		abort();
	}
	/* as a socket delivers them: the first prefix that decides must be
	 * the whole input when it is an answer (a reader stops there) */
	for (n = 0; n <= size; n++) {
		annex_err_clear(&err);
		rc = cedar_parse_reply(data, n, id, &err);
		if (rc != 0)
			break;
	}
	if (whole == 1 && (rc != 1 || n != size || strcmp(id, first) != 0))
		abort();
	if (rc == -1)
		one_line(&err);
	return 0;
}
