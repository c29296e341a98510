/* autoplan.h - -auto's packing (issue 22): which instances to launch for
 * the idle jobs, after the capacity already on its way. Pure: no I/O, no
 * AWS; cmd_auto.c gathers the inputs and prints the plan.
 *
 * Jobs are grouped by shape (CPUs, memory, GPUs, architecture). A shape
 * that no allowed type can hold one job of is "too big" (or, when no
 * allowed type has its architecture, "no type"): reported, never launched
 * for. The rest first fill the capacity on its way, then new instances,
 * one at a time, largest jobs first (GPUs, then CPUs, then memory): the
 * largest job still waiting picks, among the priced types that hold it,
 * the one with the lowest hourly price per job an instance of it would
 * take now (that job, then the others largest first, in its spare room),
 * ties going to the type that takes more jobs, then to the earlier type;
 * until every job is placed or a bound stops it: the instances allowed
 * (max_new) or the budget (max_cost_usd over the lease). So small jobs
 * ride in the spare room of the instances big jobs need.
 */
#ifndef ANNEX_AUTOPLAN_H
#define ANNEX_AUTOPLAN_H

#include <stddef.h>

/* What one instance offers jobs. */
struct autoplan_cap {
	long cpus;
	long memory_mb;      /* what a startd advertises: the type's memory less the reserve */
	long gpus;
	char arch[16];       /* EC2's name: "x86_64", "arm64" */
};

struct autoplan_type {
	char name[64];
	struct autoplan_cap cap;
	int priced;          /* hourly is known; an unpriced type is never launched */
	double hourly;       /* on-demand USD per hour */
	/* the result */
	long launch;         /* new instances of this type */
};

enum autoplan_why {
	AUTOPLAN_OK = 0,
	AUTOPLAN_NO_ARCH,    /* no allowed type has the job's architecture */
	AUTOPLAN_TOO_BIG,    /* no allowed type of its architecture holds one job */
	AUTOPLAN_UNPRICED,   /* only types without a price hold it */
};

struct autoplan_shape {
	long cpus, memory_mb, gpus;
	char arch[16];
	long count;          /* jobs of this shape */
	enum autoplan_why why;
	/* the result */
	long on_way;         /* jobs the capacity on its way takes */
	long placed;         /* jobs the new instances take */
	long left;           /* jobs still waiting (a bound, or why) */
};

enum autoplan_bound {
	AUTOPLAN_UNBOUND = 0,
	AUTOPLAN_MAX_INSTANCES,
	AUTOPLAN_MAX_COST,
};

struct autoplan {
	struct autoplan_shape *shapes;
	size_t n_shapes, cap_shapes;
	struct autoplan_type *types;
	size_t n_types, cap_types;
	struct autoplan_cap *on_way;   /* one per instance on its way (booting, or joined and idle) */
	size_t n_on_way, cap_on_way;
	/* the bounds */
	long max_new;                  /* new instances allowed (>= 0) */
	double max_cost_usd;           /* 0: none; else the plan's worst case stays within it */
	double hours;                  /* the lease */
	/* the result */
	long n_new;
	double worst_usd;              /* sum of launch x hourly x hours */
	enum autoplan_bound stopped;   /* the bound that left jobs waiting, if any */
};

void autoplan_init(struct autoplan *p);
void autoplan_free(struct autoplan *p);
/* Adds n jobs of a shape (merged with an equal shape; cpus < 1 counts 1). */
void autoplan_add_jobs(struct autoplan *p, long cpus, long memory_mb, long gpus, const char *arch, long n);
/* Adds an allowed type, in the user's order. */
struct autoplan_type *autoplan_add_type(struct autoplan *p, const char *name, const struct autoplan_cap *cap,
					int priced, double hourly);
void autoplan_add_on_way(struct autoplan *p, const struct autoplan_cap *cap);

/* The plan: fills the result fields. Shapes end sorted largest first. */
void autoplan_run(struct autoplan *p);

/* 1 when cap holds one job of shape s (architecture included). */
int autoplan_fits(const struct autoplan_cap *cap, const struct autoplan_shape *s);

#endif
