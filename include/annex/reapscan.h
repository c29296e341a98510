/* reapscan.h - what AWS holds of the annexes, for -reap: the live
 * instances, the active Spot Fleet requests and the lease rules, grouped
 * by annex id into a reap_world (reap.h). Read-only. */
#ifndef ANNEX_REAPSCAN_H
#define ANNEX_REAPSCAN_H

#include "annex/aws.h"
#include "annex/reap.h"

/* Instances tagged htcondor:AnnexName (= name when not NULL) in a live
 * state (pending, running, stopping, stopped), with their launch time and
 * htcondor:AnnexId / LeaseExpiration / IdleTimeout tags. */
int reapscan_instances(struct aws_ctx *ctx, const char *name, struct reap_world *w, struct annex_err *err);

/* Spot Fleet requests tagged htcondor:AnnexName (= name) that are still
 * submitted, active or modifying. */
int reapscan_fleets(struct aws_ctx *ctx, const char *name, struct reap_world *w, struct annex_err *err);

/* Lease rules: every rule named like an annex id (NAME_UUID; prefix NAME_
 * when name is given). A rule named by an annex id already in w is that
 * annex's; its target input's LeaseExpiration is read only when no live
 * resource of the annex carries a lease tag. Any other such rule counts
 * only when a target's input names it as its AnnexId (what launch
 * writes); it then joins w as an annex with no live resource. Call after
 * the two scans above. */
int reapscan_rules(struct aws_ctx *ctx, const char *name, struct reap_world *w, struct annex_err *err);

#endif
