/* cmd_status.c - annex -status [-annex-name X] [-classad | -json], and
 * condor_annex's bare word "status". Asks EC2 for the instances and Spot
 * Fleets tagged htcondor:AnnexName, asks condor_status (when there is one)
 * which of them joined the pool, and prints condor_annex's report followed
 * by annex's own lines (statusreport.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "annex/annexscan.h"
#include "annex/cmd.h"
#include "annex/consoleout.h"
#include "annex/poolstatus.h"
#include "annex/session.h"
#include "annex/statusreport.h"

/* Marks an instance in the pool, or records a pool machine whose
 * EC2InstanceID matches no instance found. */
static void cmd_status_in_pool(const char *annex, const char *instance_id, void *ud)
{
	struct status_report *r = ud;

	if (!status_report_mark_in_pool(r, annex, instance_id))
		status_report_add_pool_only(r, annex, instance_id);
}

/* Runs condor_status once per annex found; a missing or failing
 * condor_status leaves pool_known 0 and a one-line note, not an error:
 * what EC2 says is still worth printing. */
static void cmd_status_pool(struct status_report *r)
{
	char *why = NULL, *exe = poolstatus_find(&why);
	size_t n = r->n;

	if (!exe) {
		r->pool_note = why;
		return;
	}
	r->pool_known = 1;
	for (size_t a = 0; a < n && r->pool_known;) {
		struct annex_err err;
		const char *annex = r->inst[a].annex;
		annex_err_clear(&err);
		if (poolstatus_annex(exe, annex, cmd_status_in_pool, r, &err) != 0) {
			r->pool_known = 0;
			r->pool_note = xasprintf("Pool membership is not shown: %s.", err.msg);
		}
		while (a < n && strcmp(r->inst[a].annex, annex) == 0)
			a++;
	}
	free(exe);
}

/* For -annex-name X with the pool known: the last console lines of each
 * running instance not in the pool (at most CONSOLEOUT_MAX_INSTANCES of
 * them, so -status stays fast), where annex's boot script says why it
 * failed. A failed GetConsoleOutput is a note on that instance, not an
 * error of -status. */
static void cmd_status_consoles(struct aws_ctx *ctx, struct status_report *r)
{
	size_t asked = 0;

	for (size_t i = 0; i < r->n && asked < CONSOLEOUT_MAX_INSTANCES; i++) {
		struct sr_instance *in = &r->inst[i];
		struct annex_err err;
		char *text = NULL;

		if (in->in_pool || strcmp(in->ec2_state, "running") != 0)
			continue;
		asked++;
		annex_err_clear(&err);
		if (consoleout_fetch(ctx, in->id, &text, &err) != 0)
			in->console_note = xasprintf("not shown: %s", err.msg);
		else
			in->console = consoleout_tail(text, CONSOLEOUT_TAIL_LINES);
		free(text);
	}
}

/* ANNEX_STATUS_PAGE_SIZE: DescribeInstances' MaxResults (5..1000, default
 * 1000), like the AWS CLI's --page-size. */
static int cmd_status_page_size(const struct annex_session *s, long *size, struct annex_err *err)
{
	char *v = NULL, *end = NULL;

	*size = 1000;
	if (session_knob(s, "ANNEX_STATUS_PAGE_SIZE", &v, err) < 0)
		return -1;
	if (!v)
		return 0;
	*size = strtol(v, &end, 10);
	if (end == v || *end || *size < 5 || *size > 1000) {
		annex_err_set(err, "Config", "ANNEX_STATUS_PAGE_SIZE = '%s': want a number from 5 to 1000", v);
		free(v);
		return -1;
	}
	free(v);
	return 0;
}

int cmd_status(const struct annex_opts *o, struct annex_err *err)
{
	struct annex_session s;
	struct status_report r = { 0 };
	long page_size;
	int rc = -1;

	if (o->classad && o->json)
		return annex_err_set(err, "Usage", "-classad and -json cannot be used together");
	if (o->annex_name && !*o->annex_name)
		return annex_err_set(err, "Usage", "-annex-name needs a name");
	if (session_open(&s, o, err) != 0 || session_connect(&s, 0, err) != 0)
		goto out;
	r.annex_name = o->annex_name;
	if (cmd_status_page_size(&s, &page_size, err) != 0 ||
	    annexscan_instances(s.aws, o->annex_name, page_size, &r, err) != 0 ||
	    annexscan_fleets(s.aws, o->annex_name, &r, err) != 0)
		goto out;
	status_report_sort(&r);
	if (r.n)
		cmd_status_pool(&r);
	if (o->annex_name && r.pool_known)
		cmd_status_consoles(s.aws, &r);
	r.now = time(NULL);
	if (o->json)
		status_report_print_json(&r, stdout);
	else if (o->classad)
		status_report_print_classads(&r, stdout);
	else
		status_report_print_human(&r, stdout);
	if (fflush(stdout) != 0) {
		annex_err_set(err, "Output", "writing the status report failed");
		goto out;
	}
	rc = 0;
out:
	status_report_free(&r);
	session_close(&s);
	return rc;
}
