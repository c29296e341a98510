/* statusreport_classad.c - annex -status -classad: one ad per annex in
 * HTCondor's old syntax, condor_annex's attributes and annex's, sorted by
 * name without regard to case as condor_status -l prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annex/buf.h"
#include "annex/cost.h"
#include "annex/timefmt.h"
#include "statusreport_int.h"

struct sr_attr {
	char *name;
	char *value;
};

static int sr_cmp_attr(const void *a, const void *b)
{
	return strcasecmp(((const struct sr_attr *)a)->name, ((const struct sr_attr *)b)->name);
}

/* Appends s as an old-syntax ClassAd string literal. */
static void sr_ad_string(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static void sr_ad_add(struct sr_attr **v, size_t *n, size_t *cap, char *name, struct buf *value)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[*n].name = name;
	(*v)[(*n)++].value = buf_steal(value);
}

/* One annex's ad: condor_annex's attributes (MyType, AnnexID,
 * TotalInstances, NumInstances<State>, <State>InstancesList) and annex's
 * (LeaseExpiration, InstanceTypesList, SpotFleetRequestsList,
 * PoolMembershipKnown), printed sorted by name as condor_status -l does. */
static void sr_classad(const struct status_report *r, const char *name, FILE *out)
{
	struct sr_attr *v = NULL;
	size_t n = 0, cap = 0, a, b, n_types, n_leases;
	struct buf val = BUF_INIT;
	struct sr_states st;
	struct sr_type *types;
	struct sr_lease *leases;
	time_t earliest = (time_t)-1;
	const char *earliest_s = NULL;
	int any_fleet = 0;
	struct sr_cost cost;
	char num[32];

	sr_range(r, name, &a, &b);
	sr_states_of(r, a, b, &st);
	buf_puts(&val, "\"Annex\"");
	sr_ad_add(&v, &n, &cap, xstrdup("MyType"), &val);
	sr_ad_string(&val, name);
	sr_ad_add(&v, &n, &cap, xstrdup("AnnexID"), &val);
	buf_printf(&val, "%zu", b - a);
	sr_ad_add(&v, &n, &cap, xstrdup("TotalInstances"), &val);
	for (size_t s = 0; s < st.n; s++) {
		char camel[64];
		status_report_camel(st.name[s], camel, sizeof(camel));
		buf_printf(&val, "%zu", st.count[s]);
		sr_ad_add(&v, &n, &cap, xasprintf("NumInstances%s", camel), &val);
		if (strcmp(st.name[s], "in-pool") == 0)
			continue;
		buf_puts(&val, "{ ");
		for (size_t i = a, first = 1; i < b; i++) {
			if (strcmp(status_report_state(sr_inst(r, i)), st.name[s]) != 0)
				continue;
			if (!first)
				buf_puts(&val, ", ");
			sr_ad_string(&val, sr_inst(r, i)->id);
			first = 0;
		}
		buf_puts(&val, " }");
		sr_ad_add(&v, &n, &cap, xasprintf("%sInstancesList", camel), &val);
	}
	leases = sr_leases(r, a, b, &n_leases);
	for (size_t i = 0; i < n_leases; i++) {
		time_t t = timefmt_parse_time(leases[i].lease);
		if (t != (time_t)-1 && (earliest == (time_t)-1 || t < earliest)) {
			earliest = t;
			earliest_s = leases[i].lease;
		}
	}
	if (earliest_s) {
		sr_ad_string(&val, earliest_s);
		sr_ad_add(&v, &n, &cap, xstrdup("LeaseExpiration"), &val);
	}
	free(leases);
	types = sr_types(r, a, b, &n_types);
	buf_puts(&val, "{ ");
	for (size_t i = 0; i < n_types; i++) {
		if (i)
			buf_puts(&val, ", ");
		sr_ad_string(&val, types[i].type);
	}
	buf_puts(&val, " }");
	sr_ad_add(&v, &n, &cap, xstrdup("InstanceTypesList"), &val);
	free(types);
	buf_puts(&val, "{ ");
	for (size_t i = 0; i < r->inv->n_fleets; i++) {
		if (strcmp(r->inv->fleets[i].annex, name) != 0)
			continue;
		if (any_fleet)
			buf_puts(&val, ", ");
		sr_ad_string(&val, r->inv->fleets[i].id);
		any_fleet = 1;
	}
	buf_puts(&val, " }");
	sr_ad_add(&v, &n, &cap, xstrdup("SpotFleetRequestsList"), &val);
	buf_puts(&val, r->inv->pool_known ? "true" : "false");
	sr_ad_add(&v, &n, &cap, xstrdup("PoolMembershipKnown"), &val);
	sr_cost_of(r, a, b, &cost);
	if (sr_market(&cost)) {
		sr_ad_string(&val, sr_market(&cost));
		sr_ad_add(&v, &n, &cap, xstrdup("Market"), &val);
	}
	/* undefined (left out) when no running instance is priced */
	if (cost.priced) {
		buf_printf(&val, "%.6f", cost.usd);
		sr_ad_add(&v, &n, &cap, xstrdup("CostSoFarUSD"), &val);
	}
	buf_printf(&val, "%zu", cost.live - cost.priced);
	sr_ad_add(&v, &n, &cap, xstrdup("UnpricedInstances"), &val);
	if (cost.budget > 0) {
		cost_num(cost.budget, num, sizeof(num));
		buf_puts(&val, num);
		sr_ad_add(&v, &n, &cap, xstrdup("BudgetUSD"), &val);
	}

	qsort(v, n, sizeof(*v), sr_cmp_attr);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s = %s\n", v[i].name, v[i].value);
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
	buf_free(&val);
}

/* condor_annex prints the nothing-found lines here too; with a name, one
 * ad; without, one ad per annex with instances, each followed by an empty
 * line. */
void status_report_print_classads(const struct status_report *r, FILE *out)
{
	size_t a, b;

	if (r->annex_name) {
		if (sr_named_range(r, &a, &b, out))
			sr_classad(r, r->annex_name, out);
		return;
	}
	if (!sr_any(r, out))
		return;
	for (a = 0; a < r->inv->n_inst; a = sr_annex_end(r, a)) {
		sr_classad(r, sr_inst(r, a)->annex, out);
		fputc('\n', out);
	}
}

