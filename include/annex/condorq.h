/* condorq.h - the idle jobs -auto launches for (issue 22), as HTCondor's
 * own condor_q prints them (SPEC.md section 2: annex links no HTCondor
 * library). The query is the one recorded from HTCondor 25.14
 * (../shared/htcondor-recorded/condor_q/idle-af.txt):
 *
 *   condor_q -allusers -constraint 'JobStatus == 1' -af ClusterId ProcId Owner
 *            RequestCpus RequestMemory RequestGpus MayUseAWS
 *
 * one line per job, values separated by spaces, "undefined" for an
 * attribute the job lacks, booleans as "true". Under -af Requirements
 * evaluates to "error" (it refers to TARGET), so the default query leaves
 * it out and a job's architecture is taken as X86_64, which condor_submit
 * writes on an x86_64 submit host (job-1.0-long-requests.txt). A command
 * named by ANNEX_CONDOR_Q may print more after the seventh value: the rest
 * of the line is read as the job's Requirements (or a bare Arch value) and
 * its `Arch == "..."` names the architecture.
 *
 * Parsing is pure (condorq.c, unit-tested over the recorded files);
 * running condor_q is condorq_run.c. */
#ifndef ANNEX_CONDORQ_H
#define ANNEX_CONDORQ_H

#include <stddef.h>

#include "annex/err.h"

#define CONDORQ_DEFAULT_CPUS 1L
#define CONDORQ_DEFAULT_MEMORY_MB 128L

struct condorq_job {
	long cluster, proc;
	char owner[64];
	long cpus;                 /* RequestCpus; CONDORQ_DEFAULT_CPUS when undefined */
	long memory_mb;            /* RequestMemory (MB); CONDORQ_DEFAULT_MEMORY_MB when undefined */
	long gpus;                 /* RequestGpus; 0 when undefined */
	int may_use_aws;           /* MayUseAWS is true */
	char arch[16];             /* EC2's name: "x86_64", "arm64", else HTCondor's lowercased */
	char bad[96];              /* not "": why the job cannot be planned for (a request that is not a number) */
};

struct condorq {
	struct condorq_job *v;
	size_t n, cap;
};

/* Parses the -af output (text, NUL-terminated). Empty output is an empty
 * queue. -1 with err ("CondorQ") naming the line when a line has fewer than
 * seven values or a ClusterId/ProcId that is not a number: not the query
 * annex asked for. A job whose request or MayUseAWS is not a number or
 * boolean is kept with bad set. */
int condorq_parse(const char *text, struct condorq *q, struct annex_err *err);
void condorq_free(struct condorq *q);

/* The EC2 architecture a job's Requirements (or a bare Arch value) name:
 * `Arch == "X86_64"` -> "x86_64", "aarch64"/"ARM64" -> "arm64", another
 * name lowercased; "x86_64" when text is NULL, empty, "undefined" or
 * "error", or names no Arch. */
void condorq_arch(const char *text, char *out, size_t n);

/* ---- running it (condorq_run.c) ---- */

/* Runs the condor_q the knob ANNEX_CONDOR_Q names (a path, or a name looked
 * up on PATH; NULL or "": condor_q on PATH) with the query above (stdin
 * /dev/null, stderr passed through) and parses its output. -1 with err
 * when it cannot be found or started ("Exec"), fails ("CondorQ") or its
 * output is not the query's. */
int condorq_run(const char *named, struct condorq *q, struct annex_err *err);

#endif
