/* setupregions.c - the regions with a recorded setup (see
 * include/annex/setupregions.h). */
#include "annex/setupregions.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annex/aws.h"
#include "annex/buf.h"

/* The knobs whose region-prefixed presence means "set up here". */
static const char *const setupregions_marks[] = {
	"ANNEX_SETUP_REGION",
	"ANNEX_DEFAULT_ODI_LEASE_FUNCTION_ARN",
	"ANNEX_DEFAULT_SFR_LEASE_FUNCTION_ARN",
};

char *setupregions_from_local_name(const char *local)
{
	struct annex_err e;
	char *r = xstrdup(local), *lname;
	int same;

	/* a region holds only [a-z0-9-], and the local name turned '-' into '_' */
	for (char *p = r; *p; p++)
		*p = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
	annex_err_clear(&e);
	if (aws_region_validate(r, &e) != 0) {
		free(r);
		return NULL;
	}
	lname = config_local_name_from_region(r);
	same = strcasecmp(lname, local) == 0;
	free(lname);
	if (!same) {
		free(r);
		return NULL;
	}
	return r;
}

static int setupregions_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t setupregions_find(const struct annex_config *cfg, char ***out)
{
	char **v = NULL;
	size_t n = 0, k = 0;

	for (size_t i = 0; i < config_count(cfg); i++) {
		const char *name = config_name_at(cfg, i), *dot = name ? strchr(name, '.') : NULL;
		char *local, *region;
		int marked = 0;
		if (!dot || dot == name)
			continue;
		for (size_t m = 0; m < sizeof setupregions_marks / sizeof setupregions_marks[0]; m++)
			marked |= strcasecmp(dot + 1, setupregions_marks[m]) == 0;
		if (!marked)
			continue;
		local = xstrndup(name, (size_t)(dot - name));
		region = setupregions_from_local_name(local);
		free(local);
		if (!region)
			continue;
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = region;
	}
	if (n)
		qsort(v, n, sizeof(*v), setupregions_cmp);
	for (size_t i = 0; i < n; i++) {
		if (k && strcmp(v[k - 1], v[i]) == 0)
			free(v[i]);
		else
			v[k++] = v[i];
	}
	*out = v;
	return k;
}

void setupregions_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
