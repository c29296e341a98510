/* embedded.c - look-up of files compiled into the binary. */
#include "annex/embedded.h"

#include <string.h>

const struct annex_embedded *embedded_find(const char *name)
{
	for (const struct annex_embedded *e = annex_embedded; e->name; e++)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}
