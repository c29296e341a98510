/* reap.h - what `annex -reap` decides, as a pure function of what it saw:
 * the annexes found in AWS (instances, Spot Fleets, lease rules, grouped
 * by annex id), what condor_status said of their instances, and the
 * clock. No AWS, no processes; cmd_reap.c gathers the facts and acts on
 * the plan. The rules mirror the lease function (src/functions/lease.py):
 * tags are authoritative, an annex's lease is the latest
 * htcondor:LeaseExpiration over its live resources, and only when none
 * carries one does its rule's target input count. docs/reap.md has them. */
#ifndef ANNEX_REAP_H
#define ANNEX_REAP_H

#include <stddef.h>
#include <time.h>

struct inventory;

struct reap_instance {
	char *id;
	char *state;               /* EC2 state: pending, running, stopping, stopped */
	time_t launch_time;        /* -1 when unknown */
	time_t lease;              /* htcondor:LeaseExpiration, -1 when absent or unreadable */
	long idle_s;               /* htcondor:IdleTimeout (seconds), -1 when absent or unreadable */
	/* the pool's view (condor_status), meaningful when the annex's pool_known */
	int n_ads;                 /* startd ads joined to it (by EC2InstanceID, else by private address) */
	int n_maybe_ads;           /* ads not joined to any instance whose address is its private address
	                            * (an id EC2 does not know, or an address several instances share):
	                            * they may be its, so it is never "not in the pool" */
	int n_unclaimed;           /* of those, State == "Unclaimed" */
	time_t unclaimed_since;    /* latest EnteredCurrentState of those; -1 when unknown */
};

struct reap_fleet {
	char *id;
	time_t lease;              /* htcondor:LeaseExpiration of the request, -1 when absent */
};

/* One launch: everything tagged with one htcondor:AnnexId (or, for
 * resources with an annex name but no id, e.g. condor_annex's, one name). */
struct reap_annex {
	char *name;                /* htcondor:AnnexName */
	char *id;                  /* htcondor:AnnexId; NULL when untagged */
	struct reap_instance *inst;
	size_t n_inst, cap_inst;
	struct reap_fleet *fleets;
	size_t n_fleets, cap_fleets;
	int has_rule;              /* a lease rule named id exists */
	time_t rule_lease;         /* LeaseExpiration of the rule's target input; -1 when unknown */
	int pool_known;            /* condor_status ran and succeeded for this annex name */
};

struct reap_world {
	struct reap_annex *v;
	size_t n, cap;
};

/* The annex with that id (or, when id is NULL, the untagged one of that
 * name), added when absent. The pointer is valid until the next call. */
struct reap_annex *reap_world_annex(struct reap_world *w, const char *name, const char *id);
/* Looks an annex up by id without adding one; NULL when absent. */
struct reap_annex *reap_world_find(struct reap_world *w, const char *id);
/* Sorts annexes by name, then id (untagged first), for stable output. */
void reap_world_sort(struct reap_world *w);
void reap_world_free(struct reap_world *w);

struct reap_instance *reap_annex_add_instance(struct reap_annex *a, const char *id, const char *state,
					      time_t launch_time, time_t lease, long idle_s);
void reap_annex_add_fleet(struct reap_annex *a, const char *id, time_t lease);
/* The instance with that id, or NULL. */
struct reap_instance *reap_annex_instance(struct reap_annex *a, const char *id);

/* Records one startd ad of an instance: its State and EnteredCurrentState
 * (-1 when undefined). */
void reap_instance_add_ad(struct reap_instance *in, const char *state, long long entered);

/* From the inventory (inventory.h; listed with live_only): every instance,
 * and every Spot Fleet request still submitted, active or modifying,
 * grouped by htcondor:AnnexId (an empty tag counts as none), with their
 * launch time, lease and IdleTimeout tags read. */
void reap_world_from_inventory(struct reap_world *w, const struct inventory *inv);
/* A lease rule named name (an annex id), whose target input, when it was
 * read, named annex and lease. A rule of an annex in w whose lease some
 * live resource's tag says only marks the annex as having a rule; else the
 * input's lease counts, and a rule of no annex in w joins w when its input
 * named its annex. */
void reap_world_add_rule(struct reap_world *w, const char *name, const char *annex, const char *lease);
/* Records on w's instances the inventory's ads of the annex named annex
 * (each on the instance it joined; an ad that joined none counts as maybe
 * on every live instance of that annex with the ad's address) and marks
 * the annexes of that name from index first on as knowing the pool. An
 * instance is ended as not in the pool only when no ad names it by
 * instance id or by private address. */
void reap_world_add_pool(struct reap_world *w, size_t first, const struct inventory *inv, const char *annex);

/* The annex's lease: the latest lease tag over its instances and fleets;
 * when none carries one, its rule's input; -1 when nothing says. */
time_t reap_annex_lease(const struct reap_annex *a);

enum reap_reason {
	REAP_KEEP = 0,
	REAP_LEASE,                /* the annex's lease has passed */
	REAP_NOT_JOINED,           /* pending/running past the join grace, in no startd ad */
	REAP_IDLE,                 /* every startd ad Unclaimed for longer than the idle limit */
};

struct reap_policy {
	time_t now;
	long join_grace_s;         /* ANNEX_REAP_JOIN_GRACE */
	long default_idle_s;       /* for instances without an htcondor:IdleTimeout tag */
};

struct reap_plan {
	int end_all;               /* the lease passed: end every piece of the annex */
	time_t lease;              /* reap_annex_lease, -1 when unknown */
	enum reap_reason *why;     /* one per instance of the annex (malloc'd) */
	size_t n_terminate;        /* instances whose why is not REAP_KEEP */
	size_t n_not_joined, n_idle;
	int cancel_fleets;         /* cancel every Spot Fleet request of the annex */
	int delete_rule;           /* delete the lease rule named by the annex id */
};

/* Decides what to do with one annex:
 * - lease passed (lease <= now): everything ends (end_all, every instance
 *   REAP_LEASE, fleets cancelled, the rule deleted);
 * - else, only when pool_known, per instance: REAP_NOT_JOINED for a
 *   pending or running instance in no startd ad at least join_grace_s
 *   after its launch, REAP_IDLE for one whose every ad is Unclaimed and
 *   entered that state at least its idle limit ago (the IdleTimeout tag,
 *   else default_idle_s); when that ends every instance of the annex
 *   (there is at least one), its fleets are cancelled and its rule
 *   deleted too, since nothing is left for them to do;
 * - nothing else is touched. A rule with no live resource whose lease has
 *   not passed is kept: it may be a launch in progress. */
void reap_plan_make(const struct reap_annex *a, const struct reap_policy *p, struct reap_plan *plan);
/* 1 when the plan changes anything. */
int reap_plan_acts(const struct reap_plan *plan);
void reap_plan_free(struct reap_plan *plan);

/* "2026-11-25T23:00:00Z" (fractional seconds and a Z or +00:00 allowed,
 * no zone means UTC) or a number of seconds since the epoch; -1 when
 * unreadable. */
time_t reap_parse_time(const char *s);

#endif
