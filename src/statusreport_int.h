/* statusreport_int.h - what the three formats of -status share
 * (statusreport.c): the report's instances grouped by annex and by state,
 * the leases of each launch, the instance types, the pool machines with no
 * instance. Internal to statusreport*.c; sr_ is the module's prefix. The
 * instances are the inventory's, sorted by annex name then id, so an annex
 * is a run [a, b) of them. */
#ifndef ANNEX_STATUSREPORT_INT_H
#define ANNEX_STATUSREPORT_INT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "annex/inventory.h"
#include "annex/statusreport.h"

#define SR_MAX_STATES 16

/* The distinct states of instances [a, b), in byte order, with counts. */
struct sr_states {
	const char *name[SR_MAX_STATES];
	size_t count[SR_MAX_STATES];
	size_t n;
};

void sr_states_of(const struct status_report *r, size_t a, size_t b, struct sr_states *st);
size_t sr_states_count(const struct sr_states *st, const char *state);

/* The instance i of the report. */
const struct inventory_instance *sr_inst(const struct status_report *r, size_t i);
/* The end of the run of instances of the annex that starts at a. */
size_t sr_annex_end(const struct status_report *r, size_t a);
/* The instances of the annex named name: [*a, *b). */
void sr_range(const struct status_report *r, const char *name, size_t *a, size_t *b);
/* condor_annex's nothing-found lines, printed on out by the human and
 * ClassAd formats: with -annex-name, [*a, *b) are the annex's instances
 * and 0 is returned after "Found no machines in that annex." when there
 * are none; without, 0 after "Found no instances in any annex.". */
int sr_named_range(const struct status_report *r, size_t *a, size_t *b, FILE *out);
int sr_any(const struct status_report *r, FILE *out);
/* Every annex name with instances, fleets or pool-only machines, sorted
 * and unique; the caller frees the array (not the strings). */
const char **sr_annex_names(const struct status_report *r, size_t *n_out);
/* The EC2InstanceIDs that ads of the annex carry but no instance has, in
 * the order condor_status printed them, each once; the caller frees the
 * array (not the strings). */
const char **sr_pool_only(const struct status_report *r, const char *name, size_t *n_out);
/* A fleet's state, "unknown" when EC2 gave none. */
const char *sr_fleet_state(const struct inventory_fleet *f);

/* Parses "YYYY-MM-DDTHH:MM:SSZ" (what annex tags); -1 when it is not that. */

/* One launch's lease within an annex: the annex id and its lease tag. */
struct sr_lease {
	const char *annex_id;   /* NULL: instances without htcondor:AnnexId */
	const char *lease;      /* NULL: no lease tag */
	size_t count;
};
/* The distinct (annex id, lease) pairs of the live instances [a, b),
 * sorted by annex id (untagged last); malloc'd. */
struct sr_lease *sr_leases(const struct status_report *r, size_t a, size_t b, size_t *n_out);

/* The distinct instance types of [a, b) ("unknown" when absent) with
 * counts, sorted by type; malloc'd. */
struct sr_type {
	const char *type;
	size_t count;
};
struct sr_type *sr_types(const struct status_report *r, size_t a, size_t b, size_t *n_out);

/* The market and cost of instances [a, b) (docs/commands.md, "Cost so
 * far"): the market from instanceLifecycle (every instance listed), the
 * cost so far of the live ones, each the hours since its LaunchTime x its
 * type's price in its htcondor:PriceUSDPerHour tag (a type the tag does
 * not list: the highest it lists, as the lease function reckons), and the
 * lowest htcondor:BudgetUSD any of them carries. */
struct sr_cost {
	size_t spot, on_demand;  /* instances by market */
	size_t live;             /* live instances */
	size_t priced;           /* of those, with a price and a launch time */
	double usd;              /* their cost so far */
	double budget;           /* > 0: the budget */
};
void sr_cost_of(const struct status_report *r, size_t a, size_t b, struct sr_cost *c);
/* "on-demand", "spot", "mixed", or NULL when there are no instances. */
const char *sr_market(const struct sr_cost *c);
/* An instance's market: "spot" or "on-demand" (any other lifecycle as EC2 names it). */
const char *sr_inst_market(const struct inventory_instance *in);
/* An instance's quoted hourly price; -1 when it carries none. */
double sr_inst_price(const struct inventory_instance *in);

#endif
