/* inventory.h - what annex has, listed once and joined: the instances
 * tagged htcondor:AnnexName (DescribeInstances), the Spot Fleet requests
 * so tagged (DescribeSpotFleetRequests), the lease rules (ListRules) and
 * the startd ads condor_status shows for each annex (poolstatus.c). Each
 * instance gets its ads by EC2InstanceID, then by private address. -status,
 * -reap, -off and the lease change read it; they only decide and print.
 *
 * The data, its filters and the join are pure (inventory_join.c, unit-
 * tested); the listing is inventory.c. Strings are copied in and freed by
 * inventory_free. */
#ifndef ANNEX_INVENTORY_H
#define ANNEX_INVENTORY_H

#include <stddef.h>

#include "annex/err.h"

struct aws_ctx;
struct ec2_ids;

#define INVENTORY_NONE ((size_t)-1)

/* What inventory_load lists, in this order. */
enum inventory_part {
	INVENTORY_INSTANCES = 1,
	INVENTORY_FLEETS = 2,
	INVENTORY_RULES = 4,      /* lease rule names (NAME_ prefix with annex_name) */
	INVENTORY_POOL = 8,       /* condor_status once per annex name with an instance */
	INVENTORY_ALL = 15,
};

struct inventory_opts {
	const char *annex_name;   /* only this annex (exact htcondor:AnnexName); NULL: every annex */
	unsigned parts;           /* enum inventory_part bits, for inventory_load */
	long page_size;           /* DescribeInstances MaxResults (EC2: 5..1000); 0: 1000 */
	int live_only;            /* only instances in a live state (asked of EC2 as pending, running,
				     stopping or stopped) */
	const char *condor_status;  /* the knob ANNEX_CONDOR_STATUS; NULL: condor_status on PATH */
};

enum inventory_join {
	INVENTORY_NOT_JOINED = 0,
	INVENTORY_BY_ID,          /* the ad carries the instance's EC2InstanceID */
	INVENTORY_BY_ADDRESS,     /* the ad has no EC2InstanceID; its Name's host is the private address */
};

struct inventory_instance {
	char *id;
	char *state;              /* EC2 state: pending, running, shutting-down, ... */
	char *type;               /* instance type; NULL when absent */
	char *private_ip;         /* NULL when absent */
	char *launch_time;        /* as EC2 says it; NULL when absent */
	char *annex;              /* htcondor:AnnexName */
	char *annex_id;           /* htcondor:AnnexId as tagged; NULL when untagged */
	char *lease;              /* htcondor:LeaseExpiration as tagged; NULL when untagged */
	char *idle_timeout;       /* htcondor:IdleTimeout as tagged; NULL when untagged */
	char *owner;              /* htcondor:Owner as tagged; NULL when untagged */
	/* what tags cannot forge (ownership.h) */
	char *profile_arn;        /* its instance profile's ARN; NULL when it has none */
	char *client_token;       /* its launch's ClientToken; NULL when absent */
	char *fleet_id;           /* tag aws:ec2spot:fleet-request-id (set by EC2 only); NULL when absent */
	/* the cost (docs/commands.md, "Cost so far") */
	char *lifecycle;          /* instanceLifecycle: "spot", ...; NULL for on-demand (EC2 leaves it out) */
	char *prices;             /* htcondor:PriceUSDPerHour as tagged ("TYPE=USD,..."); NULL when untagged */
	char *budget;             /* htcondor:BudgetUSD as tagged; NULL when untagged */
	char *ec2_fleet_id;       /* tag aws:ec2:fleet-id (set by EC2 only: an EC2 Fleet's); NULL when absent */
	/* the pool's view, set by inventory_join */
	enum inventory_join joined;   /* BY_ID when any ad names its id, else BY_ADDRESS when any names its address */
	size_t n_ads;             /* startd ads joined to it (a partitionable machine has several) */
	size_t n_claimed;         /* of those, State Claimed */
	size_t n_unclaimed;       /* of those, State Unclaimed */
	/* -status -annex-name X: a running instance not in the pool */
	char *console;            /* the last lines of its console output (consoleout_tail); NULL: not asked or empty */
	char *console_note;       /* why the console output is not shown; NULL when it is */
};

struct inventory_fleet {
	char *id;
	char *state;              /* spotFleetRequestState; "" when absent */
	char *annex;              /* htcondor:AnnexName */
	char *annex_id;           /* htcondor:AnnexId as tagged; NULL when untagged */
	char *lease;              /* htcondor:LeaseExpiration as tagged; NULL when untagged */
	char *valid_until;        /* NULL when absent */
	long target;              /* target capacity; -1 when absent */
	char *role_arn;           /* IamFleetRole; NULL when absent */
	char *client_token;       /* ClientToken; NULL when absent */
	double fulfilled;         /* fulfilled capacity; -1 when absent */
	char *activity;           /* activityStatus; NULL when absent */
};

/* A lease rule; annex and lease stay NULL until inventory_read_rule finds
 * a target input naming the rule as its AnnexId. */
struct inventory_rule {
	char *name;
	char *annex;
	char *lease;
};

/* One startd ad of an annex, as condor_status printed it. */
struct inventory_ad {
	char *name;               /* Name, e.g. slot1@ip-10-0-0-5.ec2.internal */
	char *annex;              /* AnnexName */
	char *instance_id;        /* EC2InstanceID; NULL when undefined */
	char *address;            /* private IPv4 address of Name's host (inventory_ad_address); NULL when none */
	char *state;              /* State, "undefined" when missing */
	char *activity;
	long long entered;        /* EnteredCurrentState; -1 when unknown */
	/* set by inventory_join */
	enum inventory_join joined;
	size_t instance;          /* index into inst; INVENTORY_NONE when not joined */
};

struct inventory {
	struct inventory_opts opts;
	struct inventory_instance *inst;
	size_t n_inst, cap_inst;
	struct inventory_fleet *fleets;
	size_t n_fleets, cap_fleets;
	struct inventory_rule *rules;
	size_t n_rules, cap_rules;
	struct inventory_ad *ads;
	size_t n_ads, cap_ads;
	int pool_known;           /* INVENTORY_POOL: every condor_status asked answered */
	char *pool_note;          /* one line saying why not, when !pool_known */
};

/* ---- pure (inventory_join.c) ---- */

/* An empty inventory with those options (NULL: every annex, nothing listed). */
void inventory_init(struct inventory *inv, const struct inventory_opts *opts);
void inventory_free(struct inventory *inv);

/* The filters: a resource counts when its htcondor:AnnexName is not empty
 * and, with opts.annex_name, is exactly that name. */
int inventory_wants_annex(const struct inventory *inv, const char *annex);
/* An EC2 state that is neither terminated nor shutting-down. */
int inventory_state_live(const char *state);

/* Copies src in (its join fields ignored); NULL (nothing added) when the
 * id, state or annex is empty or a filter leaves it out (opts.live_only
 * included). No duplicate check: see inventory_sort. */
struct inventory_instance *inventory_add_instance(struct inventory *inv, const struct inventory_instance *src);
/* Copies src in; NULL when its id or annex is empty or the filter leaves it out. */
struct inventory_fleet *inventory_add_fleet(struct inventory *inv, const struct inventory_fleet *src);
void inventory_add_rule(struct inventory *inv, const char *name);
/* Removes inst[i] / fleets[i] (freed; the later ones move down one). Call
 * inventory_join again when ads were added. */
void inventory_drop_instance(struct inventory *inv, size_t i);
void inventory_drop_fleet(struct inventory *inv, size_t i);
/* Copies src in (address read from name when src->address is NULL); NULL
 * when the annex filter leaves it out. Call inventory_join after adding. */
struct inventory_ad *inventory_add_ad(struct inventory *inv, const struct inventory_ad *src);

/* Joins every ad to an instance of its annex: an ad with an EC2InstanceID
 * to the instance with that id (only: the id is authoritative, and private
 * addresses repeat across VPCs and regions); an ad without one to the one
 * instance of the annex, not terminated, whose private address is the
 * ad's. Recomputes every join field from scratch. */
void inventory_join(struct inventory *inv);

/* Sorts instances and fleets by annex name, then id (byte order, as
 * condor_annex's std::map), drops instances listed twice, and joins again.
 * Without it both stay in the order AWS listed them. */
void inventory_sort(struct inventory *inv);

/* The private IPv4 address EC2's default host names carry: the host of
 * "slot1@ip-10-0-0-5.ec2.internal" (after any '@') is ip-A-B-C-D... or a
 * dotted address itself. 0 with out set, -1 when the name has none. */
int inventory_ad_address(const char *name, char *out, size_t n);

/* 1 when every ad of a joined instance is Unclaimed. */
int inventory_instance_idle(const struct inventory_instance *in);

/* NAME_UUID as launch names its lease rules (and annex ids): the annex
 * name's characters ([A-Za-z0-9.-], 1..27), '_', then 1..36 of [A-Za-z0-9-]. */
int inventory_is_annex_id(const char *s);

/* ---- listing (inventory.c) ---- */

/* Lists opts.parts in the order of enum inventory_part. A failing AWS
 * call is an error; condor_status is not (see inventory_pool). */
int inventory_load(struct aws_ctx *ctx, struct inventory *inv, struct annex_err *err);

/* DescribeInstances filtered by the annex tag (tag-key, or
 * tag:htcondor:AnnexName = name) and, with live_only, by state; each page
 * added and freed before the next is asked for. */
int inventory_list_instances(struct aws_ctx *ctx, struct inventory *inv, struct annex_err *err);
/* DescribeSpotFleetRequests, the requests the filter keeps (any state). */
int inventory_list_fleets(struct aws_ctx *ctx, struct inventory *inv, struct annex_err *err);
/* ListRules: with annex_name, the rules named NAME_*; else every rule. */
int inventory_list_rules(struct aws_ctx *ctx, struct inventory *inv, struct annex_err *err);
/* ListTargetsByRule for rules[i]: the first target input whose AnnexId is
 * the rule's name gives its annex and lease. A rule gone by now stays
 * unread, not an error. */
int inventory_read_rule(struct aws_ctx *ctx, struct inventory *inv, size_t i, struct annex_err *err);

/* The ids of the instances in a live state, and of the Spot Fleet
 * requests not cancelled (state cancelled*), appended to out. */
void inventory_live_instance_ids(const struct inventory *inv, struct ec2_ids *out);
void inventory_live_fleet_ids(const struct inventory *inv, struct ec2_ids *out);

/* condor_status (poolstatus_find) once per annex name that has an
 * instance, in name order, stopping at the first that cannot be run or
 * fails: pool_known 1, or 0 with pool_note saying why. */
void inventory_pool(struct inventory *inv);
/* condor_status -annex annex with exe: adds its ads and joins. -1 with err
 * when it cannot be run or fails (no ad added). */
int inventory_pool_annex(struct inventory *inv, const char *exe, const char *annex, struct annex_err *err);

#endif
