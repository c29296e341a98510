/* cmd_off.c - annex -off -annex-name X: end an annex now. Cancels the Spot
 * Fleets tagged htcondor:AnnexName = X (exact value, so annex "foo" never
 * touches "foobar"), then terminates its instances still live (listed
 * after the cancel, so a fleet's own instances already ending are not
 * counted again), and deletes the lease rules of every launch under that
 * name (named X_<uuid>), and then the launch templates of its Spot Fleets
 * (tagged htcondor:AnnexName = X), once nothing can launch from them.
 * What exists comes from the inventory.
 *
 * While it lists and ends, -off holds the annex's lock (annexlock.h), so a
 * launch of the same annex on this host is either done (its instances
 * exist and are tagged) or has not begun. Across hosts: after ending what
 * it listed, -off lists the annex's fleets and instances again and ends
 * what is new, until a listing finds nothing new (at most OFF_RELIST_MAX
 * rounds; more means something keeps launching it, which it says).
 *
 * A name nothing carries (no instance, fleet or lease rule, in any state)
 * is an error naming it. A step that fails does not stop the others; when
 * any failed, -off lists what of the annex still runs and exits non-zero.
 * With -dry-run every call that would change something is printed instead
 * (dryrun.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/annexlock.h"
#include "annex/cmd.h"
#include "annex/dryrun.h"
#include "annex/ec2.h"
#include "annex/events.h"
#include "annex/inventory.h"
#include "annex/launchplan.h"
#include "annex/ownership.h"
#include "annex/session.h"

#define OFF_RELIST_MAX 5

static const char *cmd_off_s(size_t n)
{
	return n == 1 ? "" : "s";
}

/* The one line -off prints. */
static void cmd_off_say(const char *name, int dry_run, size_t n_inst, size_t n_fleets, size_t n_rules,
			size_t n_templates)
{
	printf("%sAnnex '%s': %s %zu instance%s, %s %zu Spot Fleet request%s, %s %zu lease rule%s",
	       dry_run ? "Dry run: " : "", name, dry_run ? "would terminate" : "terminated", n_inst,
	       cmd_off_s(n_inst), dry_run ? "cancel" : "cancelled", n_fleets, cmd_off_s(n_fleets),
	       dry_run ? "remove" : "removed", n_rules, cmd_off_s(n_rules));
	if (n_templates)
		printf(", %s %zu launch template%s", dry_run ? "would delete" : "deleted", n_templates,
		       cmd_off_s(n_templates));
	puts(dry_run ? "; nothing changed." : ".");
}

/* Keeps the first failure in *first (later ones only counted). */
static void cmd_off_failed(struct annex_err *first, int *failures, const struct annex_err *e)
{
	if ((*failures)++ == 0)
		*first = *e;
}

static void cmd_off_note_ids(const char *action, const char *name, const struct ec2_ids *ids)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < ids->n; i++)
		buf_printf(&b, "%s%s.%zu=%s", i ? " " : "", name, i + 1, ids->v[i]);
	if (strcmp(action, "CancelSpotFleetRequests") == 0)
		buf_puts(&b, " TerminateInstances=true");
	dryrun_note("EC2", action, "%s", buf_cstr(&b));
	buf_free(&b);
}

static int cmd_off_known(const struct ec2_ids *ids, const char *id)
{
	for (size_t i = 0; i < ids->n; i++)
		if (strcmp(ids->v[i], id) == 0)
			return 1;
	return 0;
}

/* Adds to *to the ids of src not in *known (and to *known too). */
static void cmd_off_new(const struct ec2_ids *src, struct ec2_ids *known, struct ec2_ids *to)
{
	for (size_t i = 0; i < src->n; i++)
		if (!cmd_off_known(known, src->v[i])) {
			ec2_ids_add(known, src->v[i]);
			ec2_ids_add(to, src->v[i]);
		}
}

/* The cloud-side rule against a launch of the same annex on another host
 * (the lock covers this one): lists the annex's fleets and instances again
 * and ends what was not there before and is annex's own (ownership.h; what
 * is not is said once and left alone), until a listing finds nothing new.
 * -1 with err when a step fails or new ones still appear after
 * OFF_RELIST_MAX rounds. */
static int cmd_off_relist(struct aws_ctx *ctx, const char *name, struct ownership *own, struct ec2_ids *fleets,
			  struct ec2_ids *ids, struct annex_err *err)
{
	for (int round = 0; round < OFF_RELIST_MAX; round++) {
		struct inventory_opts io = { .annex_name = name };
		struct inventory inv;
		struct ec2_ids live = { 0 }, new_fleets = { 0 }, new_ids = { 0 };
		int rc = 0, found;

		inventory_init(&inv, &io);
		if (inventory_list_fleets(ctx, &inv, err) != 0 || inventory_list_instances(ctx, &inv, err) != 0 ||
		    ownership_list_members(ctx, own, &inv, err) != 0)
			rc = -1;
		if (rc == 0) {
			ownership_set_aside(own, &inv, stdout);
			inventory_live_fleet_ids(&inv, &live);
			cmd_off_new(&live, fleets, &new_fleets);
			ec2_ids_free(&live);
			inventory_live_instance_ids(&inv, &live);
			cmd_off_new(&live, ids, &new_ids);
		}
		if (rc == 0 && new_fleets.n)
			rc = ec2_cancel_spot_fleets(ctx, &new_fleets, err);
		if (rc == 0 && new_ids.n)
			rc = ec2_terminate_instances(ctx, &new_ids, err);
		found = new_fleets.n || new_ids.n;
		ec2_ids_free(&live);
		ec2_ids_free(&new_fleets);
		ec2_ids_free(&new_ids);
		inventory_free(&inv);
		if (rc != 0)
			return -1;
		if (!found)
			return 0;
	}
	return annex_err_set(err, "OffIncomplete", "new instances or Spot Fleet requests of annex '%s' kept appearing "
			     "after %d listings: something (another host?) is still launching it", name, OFF_RELIST_MAX);
}

/* After a failure: what of the annex still runs, listed afresh (best
 * effort: a listing that fails says so). */
static void cmd_off_still_running(struct aws_ctx *ctx, const char *name, struct ownership *own)
{
	struct inventory_opts io = { .annex_name = name };
	struct inventory inv;
	struct annex_err e;
	size_t shown = 0;

	annex_err_clear(&e);
	inventory_init(&inv, &io);
	if (inventory_list_fleets(ctx, &inv, &e) != 0 || inventory_list_instances(ctx, &inv, &e) != 0 ||
	    inventory_list_rules(ctx, &inv, &e) != 0) {
		printf("Could not list what of annex '%s' still runs (%s).\n", name, e.msg);
		inventory_free(&inv);
		return;
	}
	ownership_set_aside(own, &inv, NULL);
	printf("Still running in annex '%s':\n", name);
	for (size_t i = 0; i < inv.n_fleets; i++)
		if (strncmp(inv.fleets[i].state, "cancelled", 9) != 0) {
			printf("  Spot Fleet request %s (%s)\n", inv.fleets[i].id, inv.fleets[i].state);
			shown++;
		}
	for (size_t i = 0; i < inv.n_inst; i++)
		if (inventory_state_live(inv.inst[i].state)) {
			printf("  instance %s (%s)\n", inv.inst[i].id, inv.inst[i].state);
			shown++;
		}
	for (size_t i = 0; i < inv.n_rules; i++) {
		printf("  lease rule %s\n", inv.rules[i].name);
		shown++;
	}
	if (!shown)
		puts("  nothing (what failed may have taken effect after all)");
	printf("Run 'annex -off -annex-name %s' again to end the rest.\n", name);
	inventory_free(&inv);
}

int cmd_off(const struct annex_opts *o, struct annex_err *err)
{
	struct annex_session s;
	struct inventory_opts io = { .annex_name = o->annex_name };
	struct inventory inv;
	struct ec2_ids ids = { 0 }, fleets = { 0 }, templates = { 0 };
	struct annex_err e, first;
	struct ownership own = { 0 };
	size_t n_rules = 0;
	int failures = 0, listed_inst = 0, listed_rules = 0, rc = -1, lock = -1;

	if (launchplan_check_name(o->annex_name, err) != 0)
		return -1;
	annex_err_clear(&first);
	inventory_init(&inv, &io);
	if (session_open(&s, o, err) != 0)
		goto out;
	/* a launch of this annex in flight here finishes first (annexlock.h) */
	if (!o->dry_run && (lock = annexlock_take(&s, o->annex_name, err)) < 0)
		goto out;
	if (session_connect(&s, 0, err) != 0)
		goto out;
	ownership_init(&own, &s);
	/* what carries the annex's tags but is not annex's is never ended
	 * (ownership.h); a fleet's members are listed before it is cancelled */
	if (inventory_list_fleets(s.aws, &inv, err) != 0)
		goto out;
	ownership_set_aside(&own, &inv, stdout);
	for (size_t i = 0; i < inv.n_fleets; i++)
		if (strncmp(inv.fleets[i].state, "cancelled", 9) != 0 && inv.fleets[i].annex_id &&
		    ec2_spot_fleet_instances(s.aws, inv.fleets[i].id, &own.members, err) != 0)
			goto out;
	inventory_live_fleet_ids(&inv, &fleets);
	annex_err_clear(&e);
	if (o->dry_run && fleets.n)
		cmd_off_note_ids("CancelSpotFleetRequests", "SpotFleetRequestId", &fleets);
	else if (!o->dry_run && ec2_cancel_spot_fleets(s.aws, &fleets, &e) != 0)
		cmd_off_failed(&first, &failures, &e);
	annex_err_clear(&e);
	if (inventory_list_instances(s.aws, &inv, &e) != 0) {
		cmd_off_failed(&first, &failures, &e);
	} else if (ownership_list_ec2_fleets(s.aws, &own, &inv, &e) != 0) {
		cmd_off_failed(&first, &failures, &e);
	} else {
		listed_inst = 1;
		ownership_set_aside(&own, &inv, stdout);
		inventory_live_instance_ids(&inv, &ids);
		annex_err_clear(&e);
		if (o->dry_run && ids.n)
			cmd_off_note_ids("TerminateInstances", "InstanceId", &ids);
		else if (!o->dry_run && ec2_terminate_instances(s.aws, &ids, &e) != 0)
			cmd_off_failed(&first, &failures, &e);
		annex_err_clear(&e);
		if (!o->dry_run && failures == 0 && cmd_off_relist(s.aws, o->annex_name, &own, &fleets, &ids, &e) != 0)
			cmd_off_failed(&first, &failures, &e);
	}
	annex_err_clear(&e);
	if (inventory_list_rules(s.aws, &inv, &e) != 0)
		cmd_off_failed(&first, &failures, &e);
	else
		listed_rules = 1;
	for (size_t i = 0; i < inv.n_rules; i++) {
		annex_err_clear(&e);
		if (o->dry_run) {
			dryrun_note("Events", "RemoveTargets", "Rule=%s (its targets)", inv.rules[i].name);
			dryrun_note("Events", "DeleteRule", "Name=%s", inv.rules[i].name);
			n_rules++;
		} else if (events_delete_rule(s.aws, inv.rules[i].name, &e) != 0) {
			cmd_off_failed(&first, &failures, &e);
		} else {
			n_rules++;
		}
	}
	/* the launch templates last: nothing launches from them any more */
	annex_err_clear(&e);
	if (ec2_launch_templates_by_tag(s.aws, EC2_TAG_ANNEX_NAME, o->annex_name, &templates, &e) != 0) {
		cmd_off_failed(&first, &failures, &e);
	} else if (o->dry_run) {
		for (size_t i = 0; i < templates.n; i++)
			dryrun_note("EC2", "DeleteLaunchTemplate", "LaunchTemplateId=%s", templates.v[i]);
	} else if (failures == 0 && ec2_delete_launch_templates(s.aws, &templates, &e) != 0) {
		cmd_off_failed(&first, &failures, &e);
	}
	if (failures) {
		cmd_off_still_running(s.aws, o->annex_name, &own);
		*err = first;
		annex_err_prefix(err, "annex '%s' was only partly ended (%d step%s failed)", o->annex_name, failures,
				 failures == 1 ? "" : "s");
		goto out;
	}
	if (listed_inst && listed_rules && inv.n_fleets == 0 && inv.n_inst == 0 && inv.n_rules == 0 &&
	    ids.n == 0 && fleets.n == 0) {
		annex_err_set(err, "NotFound", "no annex named '%s' in %s: no instance, Spot Fleet request or lease "
			      "rule carries that name (see 'annex -status')", o->annex_name, s.region);
		goto out;
	}
	cmd_off_say(o->annex_name, o->dry_run, ids.n, fleets.n, n_rules, templates.n);
	rc = 0;
out:
	annexlock_release(lock);
	ec2_ids_free(&ids);
	ec2_ids_free(&fleets);
	ec2_ids_free(&templates);
	inventory_free(&inv);
	ownership_free(&own);
	session_close(&s);
	return rc;
}
