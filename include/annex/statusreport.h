/* statusreport.h - what annex -status knows about the annexes (instances,
 * pool membership, leases, fleets) and the three ways it prints them:
 * condor_annex's human tables followed by annex's extra lines, HTCondor
 * old-syntax ClassAds, and JSON (SPEC.md section 9). Pure: no AWS, no
 * processes; the command (cmd_status.c) fills the report. */
#ifndef ANNEX_STATUSREPORT_H
#define ANNEX_STATUSREPORT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

struct sr_instance {
	char *id;
	char *ec2_state;       /* "pending", "running", "shutting-down", ... */
	char *annex;           /* htcondor:AnnexName */
	char *annex_id;        /* htcondor:AnnexId, NULL when untagged */
	char *type;            /* instance type, NULL when absent */
	char *lease;           /* htcondor:LeaseExpiration as tagged, NULL when untagged */
	int in_pool;           /* a startd ad carries this EC2InstanceID */
	char *console;         /* never joined: the last lines of its console output
	                          (consoleout_tail), NULL when not asked or empty */
	char *console_note;    /* why the console output is not shown, NULL when it is */
};

struct sr_fleet {
	char *id;
	char *state;           /* spotFleetRequestState */
	char *annex;
	char *valid_until;     /* NULL when absent */
	long target;           /* target capacity, -1 when absent */
};

/* an EC2InstanceID that a startd ad of the annex carries but that no
 * instance found in EC2 has */
struct sr_pool_only {
	char *annex;
	char *id;
};

struct status_report {
	const char *annex_name;            /* -annex-name; NULL: every annex */
	time_t now;                        /* for lease remaining */
	struct sr_instance *inst;
	size_t n, cap;
	struct sr_fleet *fleets;
	size_t n_fleets, cap_fleets;
	struct sr_pool_only *pool_only;
	size_t n_pool_only, cap_pool_only;
	int pool_known;                    /* membership learnt from condor_status */
	char *pool_note;                   /* one line saying why not, when !pool_known */
};

/* Adds an instance (copies every string; NULL allowed except id, state, annex). */
void status_report_add_instance(struct status_report *r, const char *id, const char *ec2_state,
				const char *annex, const char *annex_id, const char *type, const char *lease);
void status_report_add_fleet(struct status_report *r, const char *id, const char *state, const char *annex,
			     const char *valid_until, long target);
void status_report_add_pool_only(struct status_report *r, const char *annex, const char *id);

/* Sorts instances by annex name, then instance id (byte order, as
 * condor_annex's std::map does), and drops duplicate ids. */
void status_report_sort(struct status_report *r);

/* Marks the instance with that id (in that annex) as in the pool; 1 when
 * found, 0 when no such instance. Needs status_report_sort first. */
int status_report_mark_in_pool(struct status_report *r, const char *annex, const char *id);

/* The state condor_annex shows: "in-pool" or the EC2 state. */
const char *status_report_state(const struct sr_instance *in);

/* condor_annex's attribute word for a state: "shutting-down" ->
 * "ShuttingDown", "in-pool" -> "InPool". out is at least 64 bytes. */
void status_report_camel(const char *state, char *out, size_t n);

/* The three output formats, on out. */
void status_report_print_human(const struct status_report *r, FILE *out);
void status_report_print_classads(const struct status_report *r, FILE *out);
void status_report_print_json(const struct status_report *r, FILE *out);

void status_report_free(struct status_report *r);

#endif
