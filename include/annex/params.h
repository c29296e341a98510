/* params.h - an ordered list of name/value pairs: the parameters of a
 * query-protocol request (EC2, IAM, STS), built by the service modules and
 * form-encoded by aws_query_body(). Values may hold secrets (UserData carries
 * the pool password), so every value is cleansed when freed. */
#ifndef ANNEX_PARAMS_H
#define ANNEX_PARAMS_H

#include <stddef.h>

#include "annex/buf.h"

struct param {
	char *name;
	char *value;
};

struct params {
	struct param *v;
	size_t n, cap;
};

#define PARAMS_INIT { NULL, 0, 0 }

void params_add(struct params *p, const char *name, const char *value);
/* Value of the first parameter called name, or NULL. */
const char *params_get(const struct params *p, const char *name);
void params_free(struct params *p);

#endif
