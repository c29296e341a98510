/* autoplan.c - -auto's packing (autoplan.h). Pure. */
#include "annex/autoplan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"

void autoplan_init(struct autoplan *p)
{
	memset(p, 0, sizeof(*p));
}

void autoplan_free(struct autoplan *p)
{
	free(p->shapes);
	free(p->types);
	free(p->on_way);
	memset(p, 0, sizeof(*p));
}

void autoplan_add_jobs(struct autoplan *p, long cpus, long memory_mb, long gpus, const char *arch, long n)
{
	struct autoplan_shape *s;

	if (cpus < 1)
		cpus = 1;
	if (memory_mb < 0)
		memory_mb = 0;
	if (gpus < 0)
		gpus = 0;
	for (size_t i = 0; i < p->n_shapes; i++) {
		s = &p->shapes[i];
		if (s->cpus == cpus && s->memory_mb == memory_mb && s->gpus == gpus && strcmp(s->arch, arch) == 0) {
			s->count += n;
			return;
		}
	}
	if (p->n_shapes == p->cap_shapes) {
		p->cap_shapes = p->cap_shapes ? p->cap_shapes * 2 : 8;
		p->shapes = xrealloc(p->shapes, p->cap_shapes * sizeof(*p->shapes));
	}
	s = &p->shapes[p->n_shapes++];
	memset(s, 0, sizeof(*s));
	s->cpus = cpus;
	s->memory_mb = memory_mb;
	s->gpus = gpus;
	snprintf(s->arch, sizeof(s->arch), "%s", arch);
	s->count = n;
}

struct autoplan_type *autoplan_add_type(struct autoplan *p, const char *name, const struct autoplan_cap *cap,
					int priced, double hourly)
{
	struct autoplan_type *t;

	if (p->n_types == p->cap_types) {
		p->cap_types = p->cap_types ? p->cap_types * 2 : 4;
		p->types = xrealloc(p->types, p->cap_types * sizeof(*p->types));
	}
	t = &p->types[p->n_types++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->cap = *cap;
	t->priced = priced;
	t->hourly = hourly;
	return t;
}

void autoplan_add_on_way(struct autoplan *p, const struct autoplan_cap *cap)
{
	if (p->n_on_way == p->cap_on_way) {
		p->cap_on_way = p->cap_on_way ? p->cap_on_way * 2 : 8;
		p->on_way = xrealloc(p->on_way, p->cap_on_way * sizeof(*p->on_way));
	}
	p->on_way[p->n_on_way++] = *cap;
}

int autoplan_fits(const struct autoplan_cap *cap, const struct autoplan_shape *s)
{
	return strcmp(cap->arch, s->arch) == 0 && cap->cpus >= s->cpus && cap->memory_mb >= s->memory_mb &&
	       cap->gpus >= s->gpus;
}

/* Largest first: GPUs, then CPUs, then memory; then architecture. */
static int shape_cmp(const void *a, const void *b)
{
	const struct autoplan_shape *x = a, *y = b;

	if (x->gpus != y->gpus)
		return x->gpus > y->gpus ? -1 : 1;
	if (x->cpus != y->cpus)
		return x->cpus > y->cpus ? -1 : 1;
	if (x->memory_mb != y->memory_mb)
		return x->memory_mb > y->memory_mb ? -1 : 1;
	return strcmp(x->arch, y->arch);
}

static long min_l(long a, long b)
{
	return a < b ? a : b;
}

/* Fills one instance of cap with the jobs still waiting (rem[i] of
 * shapes[i]), largest first; take[i] gets what it takes (take may be
 * NULL: then rem is left alone). Returns the jobs taken. */
static long fill(const struct autoplan *p, struct autoplan_cap cap, long *rem, long *take)
{
	long total = 0;

	for (size_t i = 0; i < p->n_shapes; i++) {
		const struct autoplan_shape *s = &p->shapes[i];
		long k = rem[i];
		if (take)
			take[i] = 0;
		if (k <= 0 || strcmp(cap.arch, s->arch) != 0)
			continue;
		k = min_l(k, cap.cpus / s->cpus);
		if (s->memory_mb > 0)
			k = min_l(k, cap.memory_mb / s->memory_mb);
		if (s->gpus > 0)
			k = min_l(k, cap.gpus / s->gpus);
		if (k <= 0)
			continue;
		cap.cpus -= k * s->cpus;
		cap.memory_mb -= k * s->memory_mb;
		cap.gpus -= k * s->gpus;
		if (take)
			take[i] = k;
		total += k;
	}
	return total;
}

static void classify(struct autoplan *p)
{
	for (size_t i = 0; i < p->n_shapes; i++) {
		struct autoplan_shape *s = &p->shapes[i];
		int arch = 0, fits = 0, priced = 0;
		for (size_t t = 0; t < p->n_types; t++) {
			const struct autoplan_type *ty = &p->types[t];
			if (strcmp(ty->cap.arch, s->arch) != 0)
				continue;
			arch = 1;
			if (autoplan_fits(&ty->cap, s)) {
				fits = 1;
				priced |= ty->priced;
			}
		}
		s->why = !arch ? AUTOPLAN_NO_ARCH : !fits ? AUTOPLAN_TOO_BIG : !priced ? AUTOPLAN_UNPRICED : AUTOPLAN_OK;
		s->on_way = s->placed = 0;
		s->left = s->count;
	}
}

void autoplan_run(struct autoplan *p)
{
	long *rem, *take, *best_take;

	if (p->n_shapes)
		qsort(p->shapes, p->n_shapes, sizeof(*p->shapes), shape_cmp);
	classify(p);
	p->n_new = 0;
	p->worst_usd = 0;
	p->stopped = AUTOPLAN_UNBOUND;
	for (size_t t = 0; t < p->n_types; t++)
		p->types[t].launch = 0;
	rem = xcalloc(p->n_shapes + 1, sizeof(*rem));
	take = xcalloc(p->n_shapes + 1, sizeof(*take));
	best_take = xcalloc(p->n_shapes + 1, sizeof(*best_take));
	for (size_t i = 0; i < p->n_shapes; i++)
		rem[i] = p->shapes[i].why == AUTOPLAN_OK ? p->shapes[i].count : 0;

	/* the capacity on its way first: it costs nothing more */
	for (size_t w = 0; w < p->n_on_way; w++) {
		fill(p, p->on_way[w], rem, take);
		for (size_t i = 0; i < p->n_shapes; i++) {
			rem[i] -= take[i];
			p->shapes[i].on_way += take[i];
		}
	}
	for (;;) {
		long best_k = 0;
		size_t best = p->n_types, first = 0;
		double cost;

		while (first < p->n_shapes && rem[first] == 0)
			first++;
		if (first == p->n_shapes)
			break;
		/* the largest job waiting picks among the types that hold it */
		for (size_t t = 0; t < p->n_types; t++) {
			const struct autoplan_type *ty = &p->types[t];
			long k;
			if (!ty->priced || !autoplan_fits(&ty->cap, &p->shapes[first]) ||
			    (k = fill(p, ty->cap, rem, take)) == 0)
				continue;
			/* hourly / k < best hourly / best_k, without dividing */
			if (best == p->n_types || ty->hourly * (double)best_k < p->types[best].hourly * (double)k ||
			    (ty->hourly * (double)best_k == p->types[best].hourly * (double)k && k > best_k)) {
				best = t;
				best_k = k;
				memcpy(best_take, take, p->n_shapes * sizeof(*take));
			}
		}
		if (best == p->n_types)
			break;
		if (p->n_new >= p->max_new) {
			p->stopped = AUTOPLAN_MAX_INSTANCES;
			break;
		}
		cost = p->types[best].hourly * p->hours;
		if (p->max_cost_usd > 0 && p->worst_usd + cost > p->max_cost_usd * (1 + 1e-12)) {
			p->stopped = AUTOPLAN_MAX_COST;
			break;
		}
		p->worst_usd += cost;
		p->types[best].launch++;
		p->n_new++;
		for (size_t i = 0; i < p->n_shapes; i++) {
			rem[i] -= best_take[i];
			p->shapes[i].placed += best_take[i];
		}
	}
	for (size_t i = 0; i < p->n_shapes; i++)
		p->shapes[i].left = p->shapes[i].count - p->shapes[i].on_way - p->shapes[i].placed;
	free(rem);
	free(take);
	free(best_take);
}
