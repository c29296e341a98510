/* launchwait.h - launch -wait (issue 17): after a launch, watch the
 * annex's instances until every one has joined the pool or ended, or the
 * time (ANNEX_WAIT_TIMEOUT) runs out.
 *
 * What counts is this launch only: the instances and the Spot Fleet
 * request tagged with its htcondor:AnnexId. Each look lists them through
 * the inventory (inventory.h: DescribeInstances, DescribeSpotFleetRequests,
 * then `condor_status -annex NAME`, joined as -status joins them); an
 * instance counts as joined once any look found it in the pool.
 *
 * The tracking and the counting are pure (launchwait_track.c, unit-
 * tested); the loop, its pacing (aws_pace) and what it prints are
 * launchwait.c.
 *
 *   struct launchwait w;
 *   launchwait_init(&w, spec.annex_name, spec.annex_id, 0, 0);
 *   for (i = 0; i < res.instances.n; i++) launchwait_expect(&w, res.instances.v[i]);
 *   rc = launchwait_run(aws, &w, &opts, err);
 *   launchwait_free(&w);
 */
#ifndef ANNEX_LAUNCHWAIT_H
#define ANNEX_LAUNCHWAIT_H

#include <stddef.h>
#include <stdio.h>

#include "annex/aws.h"
#include "annex/buf.h"
#include "annex/err.h"
#include "annex/inventory.h"

struct annex_config;

/* One instance of the launch, as the looks so far saw it. */
struct launchwait_inst {
	char *id;
	char *state;        /* the EC2 state of the last look; "pending" until listed; "gone" when
			       listed once and no longer */
	char *address;      /* private IPv4 address; NULL until EC2 gives one */
	int listed;         /* some look listed it */
	int joined;         /* some look found it in the pool */
};

struct launchwait {
	char *annex_name;
	char *annex_id;              /* htcondor:AnnexId: what belongs to this launch */
	/* a Spot Fleet: its instances appear as it fills its capacity */
	int fleet;
	int fleet_maintain;          /* Type maintain: a filled fleet may add instances again */
	long requested;              /* the target capacity asked for */
	char *fleet_id;              /* NULL until a look lists the request */
	char *fleet_state;           /* spotFleetRequestState of the last look */
	char *fleet_activity;        /* activityStatus of the last look; NULL when absent */
	double fleet_fulfilled;      /* fulfilledCapacity of the last look; -1 when unknown */
	int fleet_filled;            /* no more instances to come: the capacity was filled (a request
					fleet never refills) or the request ended */
	struct launchwait_inst *inst;
	size_t n, cap;
	/* the pool's answer at the last look */
	int pool_known;
	char *pool_note;             /* why not, when !pool_known */
};

/* The counts one progress line shows. */
struct launchwait_counts {
	long total;         /* every instance seen or expected, plus not_started */
	long joined;
	long pending;       /* pending, not in the pool */
	long running;       /* running, not in the pool */
	long stopped;       /* stopping or stopped: not joining on its own */
	long ended;         /* shutting-down, terminated or gone without having joined */
	long not_started;   /* a fleet's requested capacity that no instance fills yet */
};

/* ---- pure (launchwait_track.c) ---- */

/* fleet 0: on-demand (then launchwait_expect each started instance);
 * fleet 1: a Spot Fleet asked for requested capacity units. */
void launchwait_init(struct launchwait *w, const char *annex_name, const char *annex_id, int fleet,
		     long requested);
void launchwait_free(struct launchwait *w);
/* An instance the launch started (state "pending" until a look lists it). */
void launchwait_expect(struct launchwait *w, const char *id);

/* Takes one look: inv lists the annex's instances (and, for a fleet, its
 * requests), joined with the pool. Only what carries w's annex id counts;
 * an instance listed before and missing now is "gone". */
void launchwait_update(struct launchwait *w, const struct inventory *inv);

void launchwait_count(const struct launchwait *w, struct launchwait_counts *c);
/* 1 when nothing can still join: no instance pending or running outside
 * the pool, no fleet capacity still to come. */
int launchwait_settled(const struct launchwait_counts *c);
/* 1 when every instance joined (and there is at least one). */
int launchwait_all_joined(const struct launchwait_counts *c);
/* "2 of 4 joined, 1 pending, 1 running": the parts that are not 0, in the
 * order pending, running, stopped, ended, not started. */
void launchwait_line(const struct launchwait_counts *c, struct buf *out);
/* 1 when inst has not joined and has not ended (pending, running,
 * stopping, stopped): a laggard when the time runs out. */
int launchwait_laggard(const struct launchwait_inst *in);
/* 1 when state is shutting-down, terminated or gone. */
int launchwait_state_ended(const char *state);

/* ---- the loop (launchwait.c) ---- */

struct launchwait_opts {
	long timeout_s;              /* ANNEX_WAIT_TIMEOUT */
	long interval_s;             /* ANNEX_WAIT_POLL_INTERVAL */
	const char *condor_status;   /* ANNEX_CONDOR_STATUS; NULL: condor_status on PATH */
	FILE *msg;                   /* progress and laggards; NULL: stderr */
};

/* The knobs, and a condor_status to run (checked before anything is
 * launched, so that a -wait that could never see the pool is refused). */
int launchwait_opts_read(const struct annex_config *cfg, const char *condor_status, struct launchwait_opts *o,
			 struct annex_err *err);

/* Looks, prints a progress line on o->msg whenever the counts change, and
 * pauses o->interval_s between looks (aws_pace) until settled or
 * o->timeout_s. 0 when every instance joined; else -1 with err
 * ("WaitTimeout": the laggards, their addresses and their console
 * output's last lines printed first; "WaitEnded": some ended before
 * joining) or an AWS error of a look. */
int launchwait_run(struct aws_ctx *ctx, struct launchwait *w, const struct launchwait_opts *o,
		   struct annex_err *err);

#endif
