/* cmd_status.c - annex -status [-annex-name X] [-classad | -json], and
 * condor_annex's bare word "status". Lists the inventory (inventory.c):
 * the instances and Spot Fleets tagged htcondor:AnnexName, and, when
 * there is a condor_status, which of them joined the pool; prints
 * condor_annex's report followed by annex's own lines (statusreport*.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "annex/cmd.h"
#include "annex/consoleout.h"
#include "annex/inventory.h"
#include "annex/session.h"
#include "annex/statusreport.h"

/* For -annex-name X with the pool known: the last console lines of each
 * running instance not in the pool (at most CONSOLEOUT_MAX_INSTANCES of
 * them, so -status stays fast), where annex's boot script says why it
 * failed. A failed GetConsoleOutput is a note on that instance, not an
 * error of -status. */
static void cmd_status_consoles(struct aws_ctx *ctx, struct inventory *inv)
{
	size_t asked = 0;

	for (size_t i = 0; i < inv->n_inst && asked < CONSOLEOUT_MAX_INSTANCES; i++) {
		struct inventory_instance *in = &inv->inst[i];
		struct annex_err err;
		char *text = NULL;

		if (in->joined != INVENTORY_NOT_JOINED || strcmp(in->state, "running") != 0)
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
	struct inventory inv;
	struct inventory_opts io = { o->annex_name, INVENTORY_INSTANCES | INVENTORY_FLEETS | INVENTORY_POOL, 0, 0, NULL };
	struct status_report r = { &inv, o->annex_name, 0 };
	char *condor_status = NULL;
	int rc = -1;

	inventory_init(&inv, NULL);
	if (o->classad && o->json)
		return annex_err_set(err, "Usage", "-classad and -json cannot be used together");
	if (o->annex_name && !*o->annex_name)
		return annex_err_set(err, "Usage", "-annex-name needs a name");
	if (session_open(&s, o, err) != 0 || session_connect(&s, 0, err) != 0 ||
	    cmd_status_page_size(&s, &io.page_size, err) != 0)
		goto out;
	io.condor_status = condor_status = session_knob_or_null(&s, "ANNEX_CONDOR_STATUS");
	inventory_init(&inv, &io);
	if (inventory_load(s.aws, &inv, err) != 0)
		goto out;
	inventory_sort(&inv);
	if (o->annex_name && inv.pool_known)
		cmd_status_consoles(s.aws, &inv);
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
	inventory_free(&inv);
	free(condor_status);
	session_close(&s);
	return rc;
}
