/* condorq_run.c - runs condor_q for -auto's idle jobs (condorq.h), through
 * runcmd.c, no shell. */
#include <stdlib.h>

#include "annex/buf.h"
#include "annex/condorq.h"
#include "annex/runcmd.h"

int condorq_run(const char *named, struct condorq *q, struct annex_err *err)
{
	char *exe = runcmd_which(named && *named ? named : "condor_q");
	struct buf out = BUF_INIT;
	int status, rc = -1;

	if (!exe) {
		if (named && *named)
			return annex_err_set(err, "Exec", "-auto reads the idle jobs with condor_q: ANNEX_CONDOR_Q names "
					     "'%s', which is not an executable file", named);
		return annex_err_set(err, "Exec", "-auto reads the idle jobs with condor_q, which is not on PATH (or "
				     "set ANNEX_CONDOR_Q to it)");
	}
	char *argv[] = { exe, "-allusers", "-constraint", "JobStatus == 1", "-af", "ClusterId", "ProcId", "Owner",
			 "RequestCpus", "RequestMemory", "RequestGpus", "MayUseAWS", NULL };
	if (runcmd_capture(argv, RUNCMD_STDERR_INHERIT, &out, &status, err) == 0 &&
	    runcmd_check(status, err, "CondorQ", "%s -allusers -constraint 'JobStatus == 1' -af ...", exe) == 0)
		rc = condorq_parse(buf_cstr(&out), q, err);
	buf_free(&out);
	free(exe);
	return rc;
}
