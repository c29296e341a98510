/* poolstatus.c - runs condor_status to learn which instances joined the
 * pool. The query is the one recorded from HTCondor 25.14 (the -af form
 * of `condor_status -annex NAME`), one call per annex; its output is one
 * line per startd ad, attribute values separated by spaces, "undefined"
 * for a missing attribute. */
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"
#include "annex/poolstatus.h"
#include "annex/runcmd.h"

char *poolstatus_find(const char *named, char **why)
{
	char *exe;

	*why = NULL;
	if (named && *named) {
		exe = runcmd_which(named);
		if (!exe)
			*why = xasprintf("Pool membership is not shown: ANNEX_CONDOR_STATUS names '%s', which is not "
					 "an executable file.", named);
		return exe;
	}
	exe = runcmd_which("condor_status");
	if (!exe)
		*why = xstrdup("Pool membership is not shown: condor_status is not on PATH (or set "
			       "ANNEX_CONDOR_STATUS to it).");
	return exe;
}

/* Calls fn for one -af line when its AnnexName (2nd value) is annex and
 * its EC2InstanceID (3rd value) is an instance id or undefined. */
static void poolstatus_line(char *line, const char *annex, poolstatus_ad_fn fn, void *ud)
{
	char *tok[6], *save = NULL, *end = NULL;
	struct poolstatus_ad ad;
	int n = 0;

	for (char *t = strtok_r(line, " \t\r", &save); t && n < 6; t = strtok_r(NULL, " \t\r", &save))
		tok[n++] = t;
	if (n < 3 || strcmp(tok[1], annex) != 0)
		return;
	if (strcmp(tok[2], "undefined") != 0 && (strncmp(tok[2], "i-", 2) != 0 || strlen(tok[2]) > 32))
		return;
	ad.name = tok[0];
	ad.annex = annex;
	ad.instance_id = strcmp(tok[2], "undefined") == 0 ? NULL : tok[2];
	ad.state = n > 3 ? tok[3] : "undefined";
	ad.activity = n > 4 ? tok[4] : "undefined";
	ad.entered = n > 5 ? strtoll(tok[5], &end, 10) : -1;
	if (n > 5 && (end == tok[5] || *end || ad.entered < 0))
		ad.entered = -1;
	fn(&ad, ud);
}

int poolstatus_annex_ads(const char *exe, const char *annex, poolstatus_ad_fn fn, void *ud, struct annex_err *err)
{
	char *argv[] = { (char *)exe, "-annex", (char *)annex, "-af", "Name", "AnnexName", "EC2InstanceID",
			 "State", "Activity", "EnteredCurrentState", NULL };
	struct buf out = BUF_INIT;
	int status, rc = -1;

	if (runcmd_capture(argv, RUNCMD_STDERR_INHERIT, &out, &status, err) != 0 ||
	    runcmd_check(status, err, "PoolStatus", "%s -annex %s", exe, annex) != 0)
		goto out;
	if (out.len) {
		char *save = NULL;
		for (char *line = strtok_r(out.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			poolstatus_line(line, annex, fn, ud);
	}
	rc = 0;
out:
	buf_free(&out);
	return rc;
}
