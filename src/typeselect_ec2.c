/* typeselect_ec2.c - the DescribeInstanceTypes listing that
 * -vcpus, -memory-gib and -gpus are matched against (typeselect.h; the
 * ranges and the order are typeselect.c's). */
#include "annex/typeselect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/aws.h"
#include "annex/launchplan.h"
#include "annex/params.h"
#include "annex/xml.h"

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
