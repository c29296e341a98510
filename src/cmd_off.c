/* cmd_off.c - annex -off -annex-name X: end an annex now. Terminates the
 * instances tagged htcondor:AnnexName = X (exact value, so annex "foo"
 * never touches "foobar"), cancels its Spot Fleets, and deletes the lease
 * rules of every launch under that name (named X_<uuid>). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/cmd.h"
#include "annex/ec2.h"
#include "annex/events.h"
#include "annex/launchplan.h"
#include "annex/session.h"

int cmd_off(const struct annex_opts *o, struct annex_err *err)
{
	struct annex_session s;
	struct ec2_ids ids = { 0 }, fleets = { 0 };
	char **rules = NULL;
	size_t n_rules = 0;
	char *prefix = NULL;
	int rc = -1;

	if (launchplan_check_name(o->annex_name, err) != 0)
		return -1;
	if (session_open(&s, o, err) != 0 || session_connect(&s, 0, err) != 0)
		goto out;
	if (ec2_spot_fleets_by_tag(s.aws, "htcondor:AnnexName", o->annex_name, &fleets, err) != 0 ||
	    ec2_cancel_spot_fleets(s.aws, &fleets, err) != 0)
		goto out;
	if (ec2_instances_by_tag(s.aws, "htcondor:AnnexName", o->annex_name, &ids, err) != 0 ||
	    ec2_terminate_instances(s.aws, &ids, err) != 0)
		goto out;
	prefix = xasprintf("%s_", o->annex_name);
	if (events_list_rules(s.aws, prefix, &rules, &n_rules, err) != 0)
		goto out;
	for (size_t i = 0; i < n_rules; i++)
		if (events_delete_rule(s.aws, rules[i], err) != 0)
			goto out;
	printf("Annex '%s': terminated %zu instance%s, cancelled %zu Spot Fleet request%s, removed %zu lease rule%s.\n",
	       o->annex_name, ids.n, ids.n == 1 ? "" : "s", fleets.n, fleets.n == 1 ? "" : "s", n_rules,
	       n_rules == 1 ? "" : "s");
	rc = 0;
out:
	events_names_free(rules, n_rules);
	free(prefix);
	ec2_ids_free(&ids);
	ec2_ids_free(&fleets);
	session_close(&s);
	return rc;
}
