/* connectivity.h - can the nodes reach the pool? (issue 19, SPEC.md
 * sections 5 and 11; docs/network.md). Two checks, each one line:
 *
 *   the collector: annex asks it for its instance id from here (L,
 *   cedar.h) and has the connectivity function ask the address the nodes
 *   will use from AWS (R, Lambda Invoke); the outcome follows the table
 *   below (connectivity_judge, pure);
 *   the schedds: condor_status -schedd -af Name MyAddress; a schedd that
 *   advertises a private, CGNAT, loopback or link-local host while the
 *   nodes use a public collector address cannot be reached back by the
 *   nodes (jobs never start); a public one is TCP-connected from AWS.
 *
 * -check-setup runs both; launch runs the collector check before its
 * first mutating call and refuses on the two outcomes that mean nodes
 * could not join (connectivity_refuses). */
#ifndef ANNEX_CONNECTIVITY_H
#define ANNEX_CONNECTIVITY_H

#include <stdio.h>

#include "annex/aws.h"
#include "annex/cedar.h"

enum connectivity_outcome {
	CONN_OK,            /* reachable from AWS, and L = R */
	CONN_OK_UNCOMPARED, /* reachable from AWS; no id from here (or from AWS) to compare */
	CONN_WRONG_DAEMON,  /* reachable from AWS, L != R: another daemon answers there */
	CONN_UNREACHABLE,   /* not reachable from AWS */
	CONN_NO_FUNCTION,   /* no connectivity function: run annex -setup */
	CONN_WARNING,       /* Lambda error, throttled, or a reply that is not the function's JSON */
};

/* What the connectivity function said (or why it said nothing). */
struct connectivity_remote {
	int invoked;              /* 1 the function ran; 0 it does not exist; -1 the call failed */
	const char *reply;        /* the function's output (invoked == 1) */
	const char *function_error; /* X-Amz-Function-Error, or NULL */
	const char *call_error;   /* the call's error message (invoked == -1) */
};

/* One check's result: the outcome and its line (without the "Checking
 * ...... " prefix: "OK.", "FAILED: ...", "WARNING: ..."). */
struct connectivity_result {
	enum connectivity_outcome outcome;
	char local_id[CEDAR_INSTANCE_ID_LEN + 1];   /* L, "" when none */
	char remote_id[CEDAR_INSTANCE_ID_LEN + 1];  /* R, "" when none */
	char *line;                                 /* malloc'd */
};

/* Where the collector is asked and what the lines name. */
struct connectivity_target {
	const char *host;
	int port;
	const char *knob;         /* the knob the address came from, for the advice */
	const char *function;     /* the function's name, for the missing-function line */
};

/* The outcome of the collector check from L (local_id, "" with
 * local_why when the collector did not answer from here) and what the
 * function said (query mode); fills r (r->line malloc'd). Pure. */
void connectivity_judge(const struct connectivity_target *t, const char *local_id, const char *local_why,
			const struct connectivity_remote *rem, struct connectivity_result *r);

/* The same for a plain TCP connect (a schedd's address): OK when
 * reachable, else CONN_UNREACHABLE (or the missing function / warning
 * outcomes). what names the daemon ("schedd vm"). Pure. */
void connectivity_judge_tcp(const struct connectivity_target *t, const char *what,
			    const struct connectivity_remote *rem, struct connectivity_result *r);

/* 1 when launch refuses on this outcome (not reachable, wrong daemon). */
int connectivity_refuses(enum connectivity_outcome o);

/* The collector check, for real: L from here through cedar_query_instance
 * at local_addr (COLLECTOR_HOST: the pool's own side; NULL: node_addr),
 * R through the function `function` (NULL: none configured) asked about
 * node_addr (the address the nodes will use: ANNEX_COLLECTOR_ADDRESS, else
 * COLLECTOR_HOST; host[:port] or a sinful string, port 9618 when none),
 * each within timeout_s; knob names where node_addr came from. */
void connectivity_check_collector(struct aws_ctx *aws, const char *function, const char *local_addr,
				  const char *node_addr, const char *knob, int timeout_s, struct connectivity_result *r);

/* The private-address rule for one schedd: 1 when host (from its
 * MyAddress) is private (RFC 1918), CGNAT (100.64/10), loopback or
 * link-local while collector_host (the nodes' collector address) is none
 * of these and is another host. Pure. */
int connectivity_schedd_unreachable_back(const char *schedd_host, const char *collector_host);

/* One schedd of condor_status -schedd -af Name MyAddress. */
struct connectivity_schedd {
	char *name, *address, *host;
	int port;
};

/* Parses the -af output (one "Name MyAddress" line each; lines that do
 * not look like that are skipped). Returns the number, *out malloc'd. */
size_t connectivity_parse_schedds(const char *text, struct connectivity_schedd **out);
void connectivity_schedds_free(struct connectivity_schedd *s, size_t n);

/* The schedd check of -check-setup: runs `condor_status -schedd -af Name
 * MyAddress` (named: ANNEX_CONDOR_STATUS, a path or a name on PATH; NULL:
 * condor_status on PATH; none found: one line saying so, and the check is
 * skipped) and prints one "Checking schedd NAME at HOST:PORT... " line per
 * schedd: FAILED by the private-address rule, else the function's TCP
 * connect judged like the collector's. collector_addr is the nodes'. Adds
 * to *failures (network), *setup_failures (no function) and *warnings. */
void connectivity_check_schedds(struct aws_ctx *aws, const char *function, const char *named,
				const char *collector_addr, int timeout_s, int *failures, int *setup_failures,
				int *warnings);

void connectivity_result_free(struct connectivity_result *r);

/* Launch's pre-flight (issue 19 point 5): the collector check, before the
 * first mutating call. Returns -1 with err (codes "CollectorUnreachable",
 * "WrongCollector": the reason, and that -no-connectivity-check skips the
 * check) when nodes could not join; else 0, after one "annex: warning:" or
 * "annex: note:" line on stderr for an outcome that is not plain OK. */
int connectivity_preflight(struct aws_ctx *aws, const char *function, const char *local_addr, const char *node_addr,
			   const char *knob, int timeout_s, struct annex_err *err);

#endif
