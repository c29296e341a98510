/* statusreport.c - what the three formats of annex -status share
 * (statusreport_int.h): the inventory's instances grouped by annex and
 * state, the leases of each launch, instance types, pool machines with no
 * instance, and condor_annex's state words. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"
#include "annex/cost.h"
#include "annex/timefmt.h"
#include "statusreport_int.h"

const struct inventory_instance *sr_inst(const struct status_report *r, size_t i)
{
	return &r->inv->inst[i];
}

const char *status_report_state(const struct inventory_instance *in)
{
	return in->joined != INVENTORY_NOT_JOINED ? "in-pool" : in->state;
}

const char *sr_fleet_state(const struct inventory_fleet *f)
{
	return *f->state ? f->state : "unknown";
}

/* condor_annex's rule: drop every non-letter, upper-case the letter that
 * starts each word; "in-pool" is spelled "InPool". */
void status_report_camel(const char *state, char *out, size_t n)
{
	size_t w = 0;
	int first = 1;

	if (n == 0)
		return;
	for (const char *p = state; *p && w + 1 < n; p++) {
		if (!isalpha((unsigned char)*p)) {
			first = 1;
			continue;
		}
		out[w++] = first ? (char)toupper((unsigned char)*p) : *p;
		first = 0;
	}
	out[w] = 0;
}

/* ---- grouping ---- */

static int sr_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void sr_states_add(struct sr_states *st, const char *state, size_t k)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (strcmp(st->name[i], state) == 0)
			break;
	if (i == st->n) {
		if (st->n == SR_MAX_STATES)
			return;    /* EC2 has six states; in-pool makes seven */
		st->name[st->n] = state;
		st->count[st->n++] = 0;
	}
	st->count[i] += k;
}

static void sr_states_sort(struct sr_states *st)
{
	/* names sorted, counts carried along: a tiny insertion sort */
	for (size_t i = 1; i < st->n; i++)
		for (size_t j = i; j > 0 && strcmp(st->name[j - 1], st->name[j]) > 0; j--) {
			const char *t = st->name[j];
			size_t c = st->count[j];
			st->name[j] = st->name[j - 1];
			st->count[j] = st->count[j - 1];
			st->name[j - 1] = t;
			st->count[j - 1] = c;
		}
}

void sr_states_of(const struct status_report *r, size_t a, size_t b, struct sr_states *st)
{
	st->n = 0;
	for (size_t i = a; i < b; i++)
		sr_states_add(st, status_report_state(sr_inst(r, i)), 1);
	sr_states_sort(st);
}

size_t sr_states_count(const struct sr_states *st, const char *state)
{
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->name[i], state) == 0)
			return st->count[i];
	return 0;
}

size_t sr_annex_end(const struct status_report *r, size_t a)
{
	size_t b = a;

	while (b < r->inv->n_inst && strcmp(sr_inst(r, b)->annex, sr_inst(r, a)->annex) == 0)
		b++;
	return b;
}

void sr_range(const struct status_report *r, const char *name, size_t *a, size_t *b)
{
	size_t i = 0;

	while (i < r->inv->n_inst && strcmp(sr_inst(r, i)->annex, name) < 0)
		i++;
	*a = i;
	while (i < r->inv->n_inst && strcmp(sr_inst(r, i)->annex, name) == 0)
		i++;
	*b = i;
}

int sr_named_range(const struct status_report *r, size_t *a, size_t *b, FILE *out)
{
	sr_range(r, r->annex_name, a, b);
	if (*a < *b)
		return 1;
	fprintf(out, "Found no machines in that annex.\n");
	return 0;
}

int sr_any(const struct status_report *r, FILE *out)
{
	if (r->inv->n_inst)
		return 1;
	fprintf(out, "Found no instances in any annex.\n");
	return 0;
}

/* An ad naming an instance id that joined no instance. */
static int sr_is_pool_only(const struct inventory_ad *ad)
{
	return ad->instance_id && ad->joined == INVENTORY_NOT_JOINED;
}

const char **sr_annex_names(const struct status_report *r, size_t *n_out)
{
	const struct inventory *inv = r->inv;
	size_t n = 0, w = 0;
	const char **v = xcalloc(inv->n_inst + inv->n_fleets + inv->n_ads + 1, sizeof(*v));

	for (size_t i = 0; i < inv->n_inst; i = sr_annex_end(r, i))
		v[n++] = inv->inst[i].annex;
	for (size_t i = 0; i < inv->n_fleets; i++)
		v[n++] = inv->fleets[i].annex;
	for (size_t i = 0; i < inv->n_ads; i++)
		if (sr_is_pool_only(&inv->ads[i]))
			v[n++] = inv->ads[i].annex;
	if (n)
		qsort(v, n, sizeof(*v), sr_cmp_str);
	for (size_t i = 0; i < n; i++)
		if (!w || strcmp(v[w - 1], v[i]) != 0)
			v[w++] = v[i];
	*n_out = w;
	return v;
}

const char **sr_pool_only(const struct status_report *r, const char *name, size_t *n_out)
{
	const struct inventory *inv = r->inv;
	const char **v = xcalloc(inv->n_ads + 1, sizeof(*v));
	size_t n = 0, k;

	for (size_t i = 0; i < inv->n_ads; i++) {
		const struct inventory_ad *ad = &inv->ads[i];
		if (!sr_is_pool_only(ad) || strcmp(ad->annex, name) != 0)
			continue;
		for (k = 0; k < n && strcmp(v[k], ad->instance_id) != 0; k++)
			;
		if (k == n)
			v[n++] = ad->instance_id;
	}
	*n_out = n;
	return v;
}

static int sr_streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int sr_cmp_lease(const void *a, const void *b)
{
	const struct sr_lease *x = a, *y = b;

	if (!x->annex_id || !y->annex_id)
		return !x->annex_id - !y->annex_id;
	return strcmp(x->annex_id, y->annex_id);
}

struct sr_lease *sr_leases(const struct status_report *r, size_t a, size_t b, size_t *n_out)
{
	struct sr_lease *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = a; i < b; i++) {
		const struct inventory_instance *in = sr_inst(r, i);
		size_t j;
		if (!inventory_state_live(in->state))
			continue;
		for (j = 0; j < n; j++)
			if (sr_streq(v[j].annex_id, in->annex_id) && sr_streq(v[j].lease, in->lease))
				break;
		if (j == n) {
			if (n == cap) {
				cap = cap ? cap * 2 : 4;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[n].annex_id = in->annex_id;
			v[n].lease = in->lease;
			v[n++].count = 0;
		}
		v[j].count++;
	}
	if (n)
		qsort(v, n, sizeof(*v), sr_cmp_lease);
	*n_out = n;
	return v;
}

static int sr_cmp_type(const void *a, const void *b)
{
	return strcmp(((const struct sr_type *)a)->type, ((const struct sr_type *)b)->type);
}

struct sr_type *sr_types(const struct status_report *r, size_t a, size_t b, size_t *n_out)
{
	struct sr_type *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = a; i < b; i++) {
		const char *t = sr_inst(r, i)->type ? sr_inst(r, i)->type : "unknown";
		size_t j;
		for (j = 0; j < n; j++)
			if (strcmp(v[j].type, t) == 0)
				break;
		if (j == n) {
			if (n == cap) {
				cap = cap ? cap * 2 : 4;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[n].type = t;
			v[n++].count = 0;
		}
		v[j].count++;
	}
	if (n)
		qsort(v, n, sizeof(*v), sr_cmp_type);
	*n_out = n;
	return v;
}

const char *sr_inst_market(const struct inventory_instance *in)
{
	return in->lifecycle ? in->lifecycle : "on-demand";
}

double sr_inst_price(const struct inventory_instance *in)
{
	return in->prices ? cost_price_for(in->prices, in->type ? in->type : "") : -1;
}

/* EC2's launchTime ("2026-12-04T19:30:00.000Z"), to the second; -1 when unreadable. */
static time_t sr_launch_time(const char *s)
{
	char t[24];

	if (!s || strlen(s) < 19)
		return (time_t)-1;
	memcpy(t, s, 19);
	strcpy(t + 19, "Z");
	return timefmt_parse_time(t);
}

void sr_cost_of(const struct status_report *r, size_t a, size_t b, struct sr_cost *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = a; i < b; i++) {
		const struct inventory_instance *in = sr_inst(r, i);
		double price = sr_inst_price(in), budget = in->budget ? atof(in->budget) : 0;
		time_t launched = sr_launch_time(in->launch_time);
		if (strcmp(sr_inst_market(in), "spot") == 0)
			c->spot++;
		else
			c->on_demand++;
		if (budget > 0 && (c->budget <= 0 || budget < c->budget))
			c->budget = budget;
		if (!inventory_state_live(in->state))
			continue;
		c->live++;
		if (price < 0 || launched == (time_t)-1)
			continue;
		c->priced++;
		if (r->now > launched)
			c->usd += (double)(r->now - launched) / 3600.0 * price;
	}
}

const char *sr_market(const struct sr_cost *c)
{
	if (c->spot && c->on_demand)
		return "mixed";
	return c->spot ? "spot" : c->on_demand ? "on-demand" : NULL;
}
