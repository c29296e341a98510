/* embedded.h - files compiled into the binary by scripts/embed.py: the
 * Lambda functions' Python sources (src/functions/) and their deployment
 * zip ("lambda.zip"), the boot script templates, the IAM policy documents. */
#ifndef ANNEX_EMBEDDED_H
#define ANNEX_EMBEDDED_H

#include <stddef.h>

struct annex_embedded {
	const char *name;   /* repository path, or "lambda.zip" */
	size_t len;
	const char *data;   /* not NUL-terminated for binary entries */
};

extern const struct annex_embedded annex_embedded[];

/* Returns the entry named name, or NULL. */
const struct annex_embedded *embedded_find(const char *name);

#endif
