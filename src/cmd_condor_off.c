/* cmd_condor_off.c - condor_annex's bare word `off`: `annex off -annex-name
 * X` runs `condor_off -annex X`, as condor_annex does. HTCondor then shuts
 * the annex's daemons down, and the master's shutdown program powers each
 * node off, which terminates it (InstanceInitiatedShutdownBehavior). This
 * is not `-off`, which terminates the instances through EC2 right away.
 * With -dry-run it prints the command instead of running it. */
#include <stdio.h>
#include <stdlib.h>

#include "annex/cmd.h"
#include "annex/launchplan.h"
#include "annex/runcmd.h"
#include "annex/session.h"

/* Runs tool -annex NAME and passes its output through. */
static int cmd_condor_off_run(const struct annex_opts *o, const char *tool, struct annex_err *err)
{
	struct buf out = BUF_INIT;
	int status = 1;

	if (!runcmd_exists(tool))
		return annex_err_set(err, "NoCondorOff",
			"off runs condor_off -annex %s, and %s is not on PATH (set ANNEX_CONDOR_OFF to it); "
			"'annex -off -annex-name %s' terminates the instances through EC2 instead",
			o->annex_name, tool, o->annex_name);
	if (o->dry_run) {
		printf("dry-run: would run %s -annex %s\n", tool, o->annex_name);
		return 0;
	}
	{
		char *argv[] = { (char *)tool, "-annex", o->annex_name, NULL };
		if (runcmd_capture(argv, RUNCMD_STDERR_DISCARD, &out, &status, err) != 0) {
			buf_free(&out);
			return -1;
		}
	}
	fputs(buf_cstr(&out), stdout);
	buf_free(&out);
	return runcmd_check(status, err, "CondorOffFailed", "%s -annex %s", tool, o->annex_name);
}

int cmd_condor_off(const struct annex_opts *o, struct annex_err *err)
{
	struct annex_session s;
	char *tool = NULL;
	int rc = -1;

	if (launchplan_check_name(o->annex_name, err) != 0)
		return -1;
	/* ANNEX_CONDOR_OFF: the environment variable, the configuration, else condor_off */
	if (session_open_config(&s, o, err) == 0 && session_knob(&s, "ANNEX_CONDOR_OFF", &tool, err) == 1)
		rc = cmd_condor_off_run(o, tool, err);
	free(tool);
	session_close(&s);
	return rc;
}
