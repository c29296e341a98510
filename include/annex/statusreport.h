/* statusreport.h - the three ways annex -status prints what it knows of
 * the annexes (instances, pool membership, leases, fleets): condor_annex's
 * human tables followed by annex's extra lines (statusreport_human.c),
 * HTCondor old-syntax ClassAds (statusreport_classad.c), and JSON
 * (statusreport_json.c) (SPEC.md section 9). Pure: no AWS, no processes;
 * the command (cmd_status.c) lists the inventory. */
#ifndef ANNEX_STATUSREPORT_H
#define ANNEX_STATUSREPORT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

struct inventory;
struct inventory_instance;

/* What -status prints: the inventory (inventory.h) of the annexes, sorted
 * (inventory_sort) and joined to the pool when condor_status answered
 * (inv->pool_known, else inv->pool_note says why). An instance is in the
 * pool when a startd ad joined it; an ad naming an EC2InstanceID that
 * joined no instance is a pool machine with no instance found in EC2. */
struct status_report {
	const struct inventory *inv;
	const char *annex_name;            /* -annex-name; NULL: every annex */
	time_t now;                        /* for lease remaining */
};

/* The state condor_annex shows: "in-pool" or the EC2 state. */
const char *status_report_state(const struct inventory_instance *in);

/* condor_annex's attribute word for a state: "shutting-down" ->
 * "ShuttingDown", "in-pool" -> "InPool". out is at least 64 bytes. */
void status_report_camel(const char *state, char *out, size_t n);

/* The three output formats, on out. */
void status_report_print_human(const struct status_report *r, FILE *out);
void status_report_print_classads(const struct status_report *r, FILE *out);
void status_report_print_json(const struct status_report *r, FILE *out);

#endif
