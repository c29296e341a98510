/* typeselect.c - instance types by attribute ranges (see
 * include/annex/typeselect.h): the ranges, one type's match, the order,
 * and the DescribeInstanceTypes listing they are matched against. */
#include "annex/typeselect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/aws.h"
#include "annex/launchplan.h"
#include "annex/params.h"
#include "annex/xml.h"

/* Far above any instance type (the largest have under 1000 vCPUs, 32 TiB
 * and 16 GPUs), low enough that no arithmetic on it overflows. */
#define TYPESELECT_MAX_VALUE 1e9

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

/* A whole number from the reply, 0 to TYPESELECT_MAX_VALUE; -1 when absent or not one. */
static long reply_long(xmlNode *from, const char *path)
{
	char b[32], *end;
	long v;

	if (xml_text_buf(from, path, b, sizeof(b)) != 0 || b[0] < '0' || b[0] > '9')
		return -1;
	v = strtol(b, &end, 10);
	return *end == '\0' && v >= 0 && v <= (long)TYPESELECT_MAX_VALUE ? v : -1;
}

struct page_walk {
	const struct typeselect *ts;
	const char *arch;
	struct typeselect_list *out;
	size_t cap;
};

/* Reads one type of the reply; 0 when it is not usable (a missing or
 * malformed field: skipped, as a type annex could not judge). */
static int read_type(xmlNode *it, const char *arch, struct typeselect_type *t)
{
	struct annex_err ignored;
	char gen[8] = "";
	xmlNode *set;
	int arch_ok = 0;

	memset(t, 0, sizeof(*t));
	annex_err_clear(&ignored);
	if (xml_text_buf(it, "instanceType", t->name, sizeof(t->name)) != 0 ||
	    launchplan_check_instance_type(t->name, "instanceType", &ignored) != 0)
		return 0;
	/* EC2 filtered on these; checked again so that what is launched is
	 * what was asked for whatever the endpoint did with the filters */
	if (xml_text_buf(it, "currentGeneration", gen, sizeof(gen)) == 0 && strcmp(gen, "true") != 0)
		return 0;
	set = xml_find(it, "processorInfo/supportedArchitectures");
	for (xmlNode *a = set ? xml_first(set, "item") : NULL; a && !arch_ok; a = xml_next(a, "item")) {
		xmlChar *s = xmlNodeGetContent(a);
		arch_ok = s && strcmp((const char *)s, arch) == 0;
		xmlFree(s);
	}
	if (set && !arch_ok)
		return 0;
	if ((t->vcpus = reply_long(it, "vCpuInfo/defaultVCpus")) <= 0 ||
	    (t->memory_mib = reply_long(it, "memoryInfo/sizeInMiB")) <= 0)
		return 0;
	set = xml_find(it, "gpuInfo/gpus");
	for (xmlNode *g = set ? xml_first(set, "item") : NULL; g; g = xml_next(g, "item")) {
		long c = reply_long(g, "count");
		if (c < 0 || t->gpus + c > (long)TYPESELECT_MAX_VALUE)
			return 0;
		t->gpus += c;
	}
	return 1;
}

static int read_page(xmlDoc *doc, void *ud, struct annex_err *err)
{
	struct page_walk *w = ud;
	xmlNode *set = xml_find(xmlDocGetRootElement(doc), "instanceTypeSet");
	struct typeselect_type t;

	(void)err;
	for (xmlNode *it = set ? xml_first(set, "item") : NULL; it; it = xml_next(it, "item")) {
		if (!read_type(it, w->arch, &t) || !typeselect_matches(w->ts, &t))
			continue;
		if (w->out->n == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 64;
			w->out->v = xrealloc(w->out->v, w->cap * sizeof(*w->out->v));
		}
		w->out->v[w->out->n++] = t;
	}
	return 0;
}

/* Filter.N with one value. */
static void add_filter(struct params *p, int *n, const char *name, const char *value)
{
	char key[32];

	++*n;
	snprintf(key, sizeof(key), "Filter.%d.Name", *n);
	params_add(p, key, name);
	snprintf(key, sizeof(key), "Filter.%d.Value.1", *n);
	params_add(p, key, value);
}

int typeselect_resolve(struct aws_ctx *aws, const struct typeselect *ts, const char *arch,
		       const char *usage_class, size_t max, struct typeselect_list *out, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	struct page_walk w = { ts, arch, out, 0 };
	const struct typeselect_range *v = &ts->vcpus, *m = &ts->memory_gib;
	char num[32];
	int n = 0, rc;

	memset(out, 0, sizeof(*out));
	params_add(&p, "MaxResults", "100");
	add_filter(&p, &n, "current-generation", "true");
	add_filter(&p, &n, "processor-info.supported-architecture", arch);
	if (usage_class)
		add_filter(&p, &n, "supported-usage-class", usage_class);
	/* EC2's filters match values, not ranges: a range of one value is one */
	if (v->given && v->has_lo && v->has_hi && v->lo == v->hi) {
		snprintf(num, sizeof(num), "%.0f", v->lo);
		add_filter(&p, &n, "vcpu-info.default-vcpus", num);
	}
	if (m->given && m->has_lo && m->has_hi && m->lo == m->hi && m->lo * 1024.0 == (double)(long)(m->lo * 1024.0)) {
		snprintf(num, sizeof(num), "%ld", (long)(m->lo * 1024.0));
		add_filter(&p, &n, "memory-info.size-in-mib", num);
	}
	rc = aws_query_paginate(aws, AWS_EC2, "DescribeInstanceTypes", &p, read_page, &w, err);
	params_free(&p);
	if (rc != 0) {
		typeselect_list_free(out);
		return -1;
	}
	out->matched = typeselect_order(out->v, out->n);
	out->n = out->matched < max ? out->matched : max;
	return 0;
}
