/* params.c - ordered name/value parameters (see include/annex/params.h). */
#include "annex/params.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

void params_add(struct params *p, const char *name, const char *value)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	p->v[p->n].name = xstrdup(name);
	p->v[p->n].value = xstrdup(value);
	p->n++;
}

const char *params_get(const struct params *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return p->v[i].value;
	return NULL;
}

void params_free(struct params *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].name);
		secret_free(p->v[i].value);
	}
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}
