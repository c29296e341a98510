/* annexscan.h - what EC2 holds of the annexes, for -status: instances and
 * Spot Fleet requests tagged htcondor:AnnexName, added to a status_report. */
#ifndef ANNEX_ANNEXSCAN_H
#define ANNEX_ANNEXSCAN_H

#include "annex/aws.h"
#include "annex/statusreport.h"

/* Every instance tagged htcondor:AnnexName (= name when name is not NULL),
 * in every state EC2 still reports: DescribeInstances with a tag filter
 * (tag-key, or tag:htcondor:AnnexName = name), page_size per page (EC2
 * allows 5..1000; 0 means 1000), each page parsed and dropped before the
 * next is asked for. */
int annexscan_instances(struct aws_ctx *ctx, const char *name, long page_size, struct status_report *r,
			struct annex_err *err);

/* Every Spot Fleet request tagged htcondor:AnnexName (= name when not NULL). */
int annexscan_fleets(struct aws_ctx *ctx, const char *name, struct status_report *r, struct annex_err *err);

#endif
