/* cmd_off.c - annex -off -annex-name X: end an annex now. Cancels the Spot
 * Fleets tagged htcondor:AnnexName = X (exact value, so annex "foo" never
 * touches "foobar"), then terminates its instances still live (listed
 * after the cancel, so a fleet's own instances already ending are not
 * counted again), and deletes the lease rules of every launch under that
 * name (named X_<uuid>), and then the launch templates of its Spot Fleets
 * (tagged htcondor:AnnexName = X), once nothing can launch from them.
 * What exists comes from the inventory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/cmd.h"
#include "annex/ec2.h"
#include "annex/events.h"
#include "annex/inventory.h"
#include "annex/launchplan.h"
#include "annex/session.h"

static const char *cmd_off_s(size_t n)
{
	return n == 1 ? "" : "s";
}

/* The one line -off prints. */
static void cmd_off_say(const char *name, size_t n_inst, size_t n_fleets, size_t n_rules, size_t n_templates)
{
	printf("Annex '%s': terminated %zu instance%s, cancelled %zu Spot Fleet request%s, removed %zu lease rule%s",
	       name, n_inst, cmd_off_s(n_inst), n_fleets, cmd_off_s(n_fleets), n_rules, cmd_off_s(n_rules));
	if (n_templates)
		printf(", deleted %zu launch template%s", n_templates, cmd_off_s(n_templates));
	puts(".");
}

int cmd_off(const struct annex_opts *o, struct annex_err *err)
{
	struct annex_session s;
	struct inventory_opts io = { .annex_name = o->annex_name };
	struct inventory inv;
	struct ec2_ids ids = { 0 }, fleets = { 0 }, templates = { 0 };
	int rc = -1;

	if (launchplan_check_name(o->annex_name, err) != 0)
		return -1;
	inventory_init(&inv, &io);
	if (session_open(&s, o, err) != 0 || session_connect(&s, 0, err) != 0)
		goto out;
	if (inventory_list_fleets(s.aws, &inv, err) != 0)
		goto out;
	inventory_live_fleet_ids(&inv, &fleets);
	if (ec2_cancel_spot_fleets(s.aws, &fleets, err) != 0 || inventory_list_instances(s.aws, &inv, err) != 0)
		goto out;
	inventory_live_instance_ids(&inv, &ids);
	if (ec2_terminate_instances(s.aws, &ids, err) != 0 || inventory_list_rules(s.aws, &inv, err) != 0)
		goto out;
	for (size_t i = 0; i < inv.n_rules; i++)
		if (events_delete_rule(s.aws, inv.rules[i].name, err) != 0)
			goto out;
	if (ec2_launch_templates_by_tag(s.aws, EC2_TAG_ANNEX_NAME, o->annex_name, &templates, err) != 0 ||
	    ec2_delete_launch_templates(s.aws, &templates, err) != 0)
		goto out;
	cmd_off_say(o->annex_name, ids.n, fleets.n, inv.n_rules, templates.n);
	rc = 0;
out:
	ec2_ids_free(&ids);
	ec2_ids_free(&fleets);
	ec2_ids_free(&templates);
	inventory_free(&inv);
	session_close(&s);
	return rc;
}
