/* reap.c - annex -reap's decisions (reap.h): the annexes seen, their
 * leases, and the plan for each. Pure: the caller supplies the clock. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"
#include "annex/inventory.h"
#include "annex/reap.h"
#include "annex/timefmt.h"

static int reap_streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

struct reap_annex *reap_world_annex(struct reap_world *w, const char *name, const char *id)
{
	struct reap_annex *a;

	for (size_t i = 0; i < w->n; i++)
		if (id ? reap_streq(w->v[i].id, id) : (!w->v[i].id && reap_streq(w->v[i].name, name)))
			return &w->v[i];
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
	}
	a = &w->v[w->n++];
	memset(a, 0, sizeof(*a));
	a->name = xstrdup(name);
	a->id = id ? xstrdup(id) : NULL;
	a->rule_lease = -1;
	return a;
}

struct reap_annex *reap_world_find(struct reap_world *w, const char *id)
{
	for (size_t i = 0; id && i < w->n; i++)
		if (reap_streq(w->v[i].id, id))
			return &w->v[i];
	return NULL;
}

static int reap_annex_cmp(const void *pa, const void *pb)
{
	const struct reap_annex *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	if (!a->id || !b->id)
		return a->id ? 1 : b->id ? -1 : 0;
	return strcmp(a->id, b->id);
}

void reap_world_sort(struct reap_world *w)
{
	if (w->n > 1)
		qsort(w->v, w->n, sizeof(*w->v), reap_annex_cmp);
}

void reap_world_free(struct reap_world *w)
{
	for (size_t i = 0; i < w->n; i++) {
		struct reap_annex *a = &w->v[i];
		for (size_t k = 0; k < a->n_inst; k++) {
			free(a->inst[k].id);
			free(a->inst[k].state);
		}
		for (size_t k = 0; k < a->n_fleets; k++)
			free(a->fleets[k].id);
		free(a->inst);
		free(a->fleets);
		free(a->name);
		free(a->id);
	}
	free(w->v);
	memset(w, 0, sizeof(*w));
}

struct reap_instance *reap_annex_add_instance(struct reap_annex *a, const char *id, const char *state,
					      time_t launch_time, time_t lease, long idle_s)
{
	struct reap_instance *in = reap_annex_instance(a, id);

	if (in)
		return in;
	if (a->n_inst == a->cap_inst) {
		a->cap_inst = a->cap_inst ? a->cap_inst * 2 : 4;
		a->inst = xrealloc(a->inst, a->cap_inst * sizeof(*a->inst));
	}
	in = &a->inst[a->n_inst++];
	memset(in, 0, sizeof(*in));
	in->id = xstrdup(id);
	in->state = xstrdup(state);
	in->launch_time = launch_time;
	in->lease = lease;
	in->idle_s = idle_s;
	in->unclaimed_since = -1;
	return in;
}

void reap_annex_add_fleet(struct reap_annex *a, const char *id, time_t lease)
{
	for (size_t i = 0; i < a->n_fleets; i++)
		if (strcmp(a->fleets[i].id, id) == 0)
			return;
	if (a->n_fleets == a->cap_fleets) {
		a->cap_fleets = a->cap_fleets ? a->cap_fleets * 2 : 2;
		a->fleets = xrealloc(a->fleets, a->cap_fleets * sizeof(*a->fleets));
	}
	a->fleets[a->n_fleets].id = xstrdup(id);
	a->fleets[a->n_fleets].lease = lease;
	a->n_fleets++;
}

struct reap_instance *reap_annex_instance(struct reap_annex *a, const char *id)
{
	for (size_t i = 0; i < a->n_inst; i++)
		if (strcmp(a->inst[i].id, id) == 0)
			return &a->inst[i];
	return NULL;
}

void reap_instance_add_ad(struct reap_instance *in, const char *state, long long entered)
{
	in->n_ads++;
	if (!state || strcmp(state, "Unclaimed") != 0)
		return;
	in->n_unclaimed++;
	if (in->n_unclaimed == 1)
		in->unclaimed_since = entered >= 0 ? (time_t)entered : -1;
	else if (in->unclaimed_since != -1)
		in->unclaimed_since = entered < 0 ? -1 : (time_t)entered > in->unclaimed_since ? (time_t)entered
												: in->unclaimed_since;
}

/* An empty tag value counts as absent. */
static const char *reap_nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* htcondor:IdleTimeout: whole seconds; -1 when absent or not a number. */
static long reap_seconds(const char *s)
{
	char *end = NULL;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	return *end || v < 0 ? -1 : v;
}

/* The annex an instance or fleet of the inventory belongs to. */
static struct reap_annex *reap_world_of(struct reap_world *w, const char *annex, const char *annex_id)
{
	return reap_world_annex(w, annex, reap_nonempty(annex_id));
}

void reap_world_from_inventory(struct reap_world *w, const struct inventory *inv)
{
	for (size_t i = 0; i < inv->n_inst; i++) {
		const struct inventory_instance *in = &inv->inst[i];
		reap_annex_add_instance(reap_world_of(w, in->annex, in->annex_id), in->id, in->state,
					reap_parse_time(in->launch_time), reap_parse_time(in->lease),
					reap_seconds(in->idle_timeout));
	}
	for (size_t i = 0; i < inv->n_fleets; i++) {
		const struct inventory_fleet *f = &inv->fleets[i];
		if (strcmp(f->state, "submitted") == 0 || strcmp(f->state, "active") == 0 ||
		    strcmp(f->state, "modifying") == 0)
			reap_annex_add_fleet(reap_world_of(w, f->annex, f->annex_id), f->id, reap_parse_time(f->lease));
	}
}

void reap_world_add_rule(struct reap_world *w, const char *name, const char *annex, const char *lease)
{
	struct reap_annex *a = reap_world_find(w, name);

	if (a && reap_annex_lease(a) != -1) {
		a->has_rule = 1;
		return;
	}
	if (!a && !annex)
		return;
	if (!a)
		a = reap_world_annex(w, annex, name);
	a->has_rule = 1;
	a->rule_lease = reap_parse_time(lease);
}

void reap_world_add_pool(struct reap_world *w, size_t first, const struct inventory *inv, const char *annex)
{
	for (size_t i = 0; i < inv->n_ads; i++) {
		const struct inventory_ad *ad = &inv->ads[i];
		const struct inventory_instance *in;
		struct reap_instance *ri;
		if (ad->instance == INVENTORY_NONE || strcmp(ad->annex, annex) != 0)
			continue;
		in = &inv->inst[ad->instance];
		ri = reap_annex_instance(reap_world_of(w, in->annex, in->annex_id), in->id);
		if (ri)
			reap_instance_add_ad(ri, ad->state, ad->entered);
	}
	/* An ad that joined nothing but carries an address (its EC2InstanceID
	 * is one EC2 did not list, or several instances of the annex share the
	 * address) may be any live instance's with that address: each of them
	 * is in the pool as far as -reap is concerned. */
	for (size_t i = 0; i < inv->n_ads; i++) {
		const struct inventory_ad *ad = &inv->ads[i];
		if (ad->instance != INVENTORY_NONE || !ad->address || !*ad->address || strcmp(ad->annex, annex) != 0)
			continue;
		for (size_t k = 0; k < inv->n_inst; k++) {
			const struct inventory_instance *in = &inv->inst[k];
			struct reap_instance *ri;
			if (strcmp(in->annex, annex) != 0 || !in->private_ip || strcmp(in->private_ip, ad->address) != 0 ||
			    strcmp(in->state, "terminated") == 0)
				continue;
			ri = reap_annex_instance(reap_world_of(w, in->annex, in->annex_id), in->id);
			if (ri)
				ri->n_maybe_ads++;
		}
	}
	for (size_t k = first; k < w->n; k++)
		if (strcmp(w->v[k].name, annex) == 0)
			w->v[k].pool_known = 1;
}

time_t reap_annex_lease(const struct reap_annex *a)
{
	time_t lease = -1;

	for (size_t i = 0; i < a->n_inst; i++)
		if (a->inst[i].lease > lease)
			lease = a->inst[i].lease;
	for (size_t i = 0; i < a->n_fleets; i++)
		if (a->fleets[i].lease > lease)
			lease = a->fleets[i].lease;
	if (lease == -1 && a->has_rule)
		lease = a->rule_lease;
	return lease;
}

/* A pending or running instance whose pool view says it should go. */
static enum reap_reason reap_instance_reason(const struct reap_instance *in, const struct reap_policy *p)
{
	long idle_s = in->idle_s >= 0 ? in->idle_s : p->default_idle_s;

	if (strcmp(in->state, "pending") != 0 && strcmp(in->state, "running") != 0)
		return REAP_KEEP;
	if (in->n_ads == 0 && in->n_maybe_ads > 0)
		return REAP_KEEP;       /* an ad may be its: neither surely absent nor surely idle */
	if (in->n_ads == 0)
		return in->launch_time != -1 && p->now - in->launch_time >= p->join_grace_s ? REAP_NOT_JOINED
											    : REAP_KEEP;
	if (in->n_unclaimed == in->n_ads && in->unclaimed_since != -1 && idle_s >= 0 &&
	    p->now - in->unclaimed_since >= idle_s)
		return REAP_IDLE;
	return REAP_KEEP;
}

void reap_plan_make(const struct reap_annex *a, const struct reap_policy *p, struct reap_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	plan->why = xcalloc(a->n_inst ? a->n_inst : 1, sizeof(*plan->why));
	plan->lease = reap_annex_lease(a);
	if (plan->lease != -1 && plan->lease <= p->now) {
		plan->end_all = 1;
		for (size_t i = 0; i < a->n_inst; i++)
			plan->why[i] = REAP_LEASE;
		plan->n_terminate = a->n_inst;
		plan->cancel_fleets = a->n_fleets > 0;
		plan->delete_rule = a->has_rule;
		return;
	}
	if (!a->pool_known)
		return;
	for (size_t i = 0; i < a->n_inst; i++) {
		plan->why[i] = reap_instance_reason(&a->inst[i], p);
		if (plan->why[i] == REAP_NOT_JOINED)
			plan->n_not_joined++;
		else if (plan->why[i] == REAP_IDLE)
			plan->n_idle++;
	}
	plan->n_terminate = plan->n_not_joined + plan->n_idle;
	if (a->n_inst > 0 && plan->n_terminate == a->n_inst) {
		plan->cancel_fleets = a->n_fleets > 0;
		plan->delete_rule = a->has_rule;
	}
}

int reap_plan_acts(const struct reap_plan *plan)
{
	return plan->n_terminate > 0 || plan->cancel_fleets || plan->delete_rule;
}

void reap_plan_free(struct reap_plan *plan)
{
	free(plan->why);
	plan->why = NULL;
}

time_t reap_parse_time(const char *s)
{
	if (!s)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	if (*s && strspn(s, "0123456789.") == strlen(s)) {
		char *end;
		double v = strtod(s, &end);
		return *end || v < 0 || v > 1e15 ? -1 : (time_t)v;
	}
	return timefmt_parse_time(s);
}
