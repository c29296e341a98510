/* typeselect.c - instance types by attribute ranges, the pure part (see
 * include/annex/typeselect.h): the ranges, one type's match, the order.
 * The DescribeInstanceTypes listing is typeselect_ec2.c's. */
#include "annex/typeselect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One bound: digits (and, with decimal, one point). 0, or -1 when s is
 * not a number of that kind. */
static int parse_bound(const char *s, size_t len, int decimal, double *out)
{
	char tmp[32];
	int digits = 0, points = 0;

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '.' && decimal && !points)
			points++;
		else
			return -1;
	}
	if (!digits)
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	*out = strtod(tmp, NULL);
	return *out <= TYPESELECT_MAX_VALUE ? 0 : -1;
}

int typeselect_parse_range(const char *opt, const char *s, int decimal, struct typeselect_range *r,
			   struct annex_err *err)
{
	const char *dash = strchr(s, '-');
	size_t len = strlen(s);

	memset(r, 0, sizeof(*r));
	if (!dash) {
		if (parse_bound(s, len, decimal, &r->lo) != 0)
			goto bad;
		r->hi = r->lo;
		r->has_lo = r->has_hi = 1;
	} else {
		size_t left = (size_t)(dash - s), right = len - left - 1;
		if ((left == 0 && right == 0) || strchr(dash + 1, '-'))
			goto bad;
		if (left && parse_bound(s, left, decimal, &r->lo) != 0)
			goto bad;
		if (right && parse_bound(dash + 1, right, decimal, &r->hi) != 0)
			goto bad;
		r->has_lo = left > 0;
		r->has_hi = right > 0;
		if (r->has_lo && r->has_hi && r->lo > r->hi)
			return annex_err_set(err, "Usage", "%s %s: the lower bound is above the upper one (write %.10g-%.10g)",
					     opt, s, r->hi, r->lo);
	}
	r->given = 1;
	return 0;
bad:
	memset(r, 0, sizeof(*r));
	return annex_err_set(err, "Usage", "%s requires a range A-B, A-, -B or N of %s (e.g. %s), not '%s'", opt,
			     decimal ? "numbers of GiB" : "whole numbers", decimal ? "64- or 0.5-4" : "16-64", s);
}

int typeselect_given(const struct typeselect *ts)
{
	return ts->vcpus.given || ts->memory_gib.given || ts->gpus.given;
}

static void range_text(struct buf *out, const char *opt, const struct typeselect_range *r)
{
	if (!r->given)
		return;
	buf_printf(out, "%s%s ", out->len ? " " : "", opt);
	if (r->has_lo && r->has_hi && r->lo == r->hi) {
		buf_printf(out, "%.10g", r->lo);
		return;
	}
	if (r->has_lo)
		buf_printf(out, "%.10g", r->lo);
	buf_puts(out, "-");
	if (r->has_hi)
		buf_printf(out, "%.10g", r->hi);
}

void typeselect_text(const struct typeselect *ts, struct buf *out)
{
	range_text(out, "-vcpus", &ts->vcpus);
	range_text(out, "-memory-gib", &ts->memory_gib);
	range_text(out, "-gpus", &ts->gpus);
}

static int in_range(const struct typeselect_range *r, double v)
{
	return !r->given || ((!r->has_lo || v >= r->lo) && (!r->has_hi || v <= r->hi));
}

int typeselect_matches(const struct typeselect *ts, const struct typeselect_type *t)
{
	/* GiB bounds as MiB: a bound k/1024 is exact in a double, so a type
	 * of exactly the bound's size is inside it */
	return in_range(&ts->vcpus, (double)t->vcpus) && in_range(&ts->memory_gib, (double)t->memory_mib / 1024.0) &&
	       in_range(&ts->gpus, (double)t->gpus);
}

static int cmp_type(const void *a, const void *b)
{
	const struct typeselect_type *x = a, *y = b;

	if (x->vcpus != y->vcpus)
		return x->vcpus < y->vcpus ? -1 : 1;
	if (x->memory_mib != y->memory_mib)
		return x->memory_mib < y->memory_mib ? -1 : 1;
	if (x->gpus != y->gpus)
		return x->gpus < y->gpus ? -1 : 1;
	return strcmp(x->name, y->name);
}

size_t typeselect_order(struct typeselect_type *v, size_t n)
{
	size_t kept = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_type);
	for (size_t i = 0; i < n; i++) {
		size_t k;
		for (k = 0; k < kept && strcmp(v[k].name, v[i].name) != 0; k++)
			;
		if (k == kept)
			v[kept++] = v[i];
	}
	return kept;
}

void typeselect_list_free(struct typeselect_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

