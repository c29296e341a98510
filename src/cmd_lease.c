/* cmd_lease.c - annex -annex-name X -duration H on a running annex: the
 * lease now ends H hours from now. Rewrites the htcondor:LeaseExpiration
 * tag of the annex's live instances (nodes re-read it from the metadata
 * service) and the LeaseExpiration of every lease rule's target input
 * (rules X_<uuid>), so the lease function follows. A Spot Fleet's
 * ValidUntil cannot move: a new end past it is refused, before anything
 * changes; an earlier end works through the tags. The annex's fleets,
 * instances and rules come from the inventory. With -dry-run the reads
 * run and each CreateTags / PutTargets is printed instead (dryrun.h). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "annex/cmd.h"
#include "annex/dryrun.h"
#include "annex/ec2.h"
#include "annex/events.h"
#include "annex/inventory.h"
#include "annex/launchplan.h"
#include "annex/session.h"
#include "annex/timefmt.h"

/* Refuses when a live fleet of the annex expires before the new end. */
static int lease_check_fleets(const struct inventory *inv, time_t end, const char *end_iso, struct annex_err *err)
{
	for (size_t i = 0; i < inv->n_fleets; i++) {
		const struct inventory_fleet *f = &inv->fleets[i];
		time_t until = timefmt_parse_time(f->valid_until);
		if (strncmp(f->state, "cancelled", 9) == 0 || until == (time_t)-1)
			continue;
		if (end > until)
			return annex_err_set(err, "LeaseFleet",
					     "cannot extend the lease to %s: Spot Fleet %s ends at its ValidUntil %s, "
					     "which AWS does not let annex move (a shorter lease works)",
					     end_iso, f->id, f->valid_until);
	}
	return 0;
}

/* CreateTags htcondor:LeaseExpiration on ids, 500 a call. */
static int lease_retag(struct aws_ctx *ctx, const struct ec2_ids *ids, const char *end_iso, int dry_run,
		       struct annex_err *err)
{
	for (size_t i = 0; i < ids->n; i += 500) {
		size_t n = ids->n - i < 500 ? ids->n - i : 500;
		struct params p = PARAMS_INIT;
		xmlDoc *doc = NULL;
		int rc;
		aws_params_add_list(&p, "ResourceId", (const char *const *)ids->v + i, n);
		params_add(&p, "Tag.1.Key", "htcondor:LeaseExpiration");
		params_add(&p, "Tag.1.Value", end_iso);
		if (dry_run) {
			dryrun_params(stdout, "EC2", "CreateTags", &p);
			params_free(&p);
			continue;
		}
		rc = aws_query(ctx, AWS_EC2, "CreateTags", &p, &doc, err);
		params_free(&p);
		xmlFreeDoc(doc);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* Rewrites LeaseExpiration in the input of every target of the rule. */
static int lease_retarget(struct aws_ctx *ctx, const char *rule, const char *end_iso, int dry_run,
			  struct annex_err *err)
{
	json_object *in = json_object_new_object(), *out = NULL, *targets;
	int rc = -1;

	json_object_object_add(in, "Rule", json_object_new_string(rule));
	if (aws_json11(ctx, AWS_EVENTS, "ListTargetsByRule", in, &out, err) != 0)
		goto done;
	rc = 0;
	if (!out || !json_object_object_get_ex(out, "Targets", &targets) ||
	    !json_object_is_type(targets, json_type_array))
		goto done;
	for (size_t i = 0; i < json_object_array_length(targets) && rc == 0; i++) {
		json_object *t = json_object_array_get_idx(targets, i), *id, *arn, *input, *doc;
		if (!json_object_object_get_ex(t, "Id", &id) || !json_object_object_get_ex(t, "Arn", &arn) ||
		    !json_object_object_get_ex(t, "Input", &input) || !json_object_is_type(id, json_type_string) ||
		    !json_object_is_type(arn, json_type_string) || !json_object_is_type(input, json_type_string))
			continue;
		doc = json_tokener_parse(json_object_get_string(input));
		if (!doc || !json_object_is_type(doc, json_type_object)) {
			json_object_put(doc);
			rc = annex_err_set(err, "BadReply", "lease rule %s: target %s has no JSON input", rule,
					   json_object_get_string(id));
			break;
		}
		json_object_object_add(doc, "LeaseExpiration", json_object_new_string(end_iso));
		if (dry_run)
			dryrun_note("Events", "PutTargets", "Rule=%s Id=%s Arn=%s Input=%s", rule,
				    json_object_get_string(id), json_object_get_string(arn),
				    json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			rc = events_put_target(ctx, rule, json_object_get_string(id), json_object_get_string(arn),
				       json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
								      JSON_C_TO_STRING_NOSLASHESCAPE), err);
		json_object_put(doc);
	}
done:
	json_object_put(in);
	json_object_put(out);
	return rc;
}

int cmd_lease(const struct annex_opts *o, struct annex_err *err)
{
	struct annex_session s;
	struct inventory_opts io = { .annex_name = o->annex_name };
	struct inventory inv;
	struct ec2_ids ids = { 0 };
	char end_iso[21];
	time_t end;
	int rc = -1;

	if (launchplan_check_name(o->annex_name, err) != 0)
		return -1;
	if (!(o->duration_h > 0))
		return annex_err_set(err, "Usage", "-duration must be a positive number of hours");
	end = launchplan_lease_end(time(NULL), o->duration_h);
	timefmt_iso8601(end, end_iso);
	inventory_init(&inv, &io);
	if (session_open(&s, o, err) != 0 || session_connect(&s, 0, err) != 0)
		goto out;
	if (inventory_list_fleets(s.aws, &inv, err) != 0 || lease_check_fleets(&inv, end, end_iso, err) != 0 ||
	    inventory_list_instances(s.aws, &inv, err) != 0 || inventory_list_rules(s.aws, &inv, err) != 0)
		goto out;
	inventory_live_instance_ids(&inv, &ids);
	if (ids.n == 0 && inv.n_rules == 0) {
		annex_err_set(err, "NotFound", "found no running instance and no lease rule of annex '%s'",
			      o->annex_name);
		goto out;
	}
	if (lease_retag(s.aws, &ids, end_iso, o->dry_run, err) != 0)
		goto out;
	for (size_t i = 0; i < inv.n_rules; i++)
		if (lease_retarget(s.aws, inv.rules[i].name, end_iso, o->dry_run, err) != 0)
			goto out;
	if (o->dry_run)
		printf("Dry run: the lease of annex '%s' would end %s (%.2f hours from now): %zu instance%s to retag, "
		       "%zu lease rule%s to update; nothing changed.\n", o->annex_name, end_iso, o->duration_h, ids.n,
		       ids.n == 1 ? "" : "s", inv.n_rules, inv.n_rules == 1 ? "" : "s");
	else
		printf("The lease of annex '%s' now ends %s (%.2f hours from now): %zu instance%s retagged, %zu lease "
		       "rule%s updated.\n", o->annex_name, end_iso, o->duration_h, ids.n, ids.n == 1 ? "" : "s",
		       inv.n_rules, inv.n_rules == 1 ? "" : "s");
	rc = 0;
out:
	ec2_ids_free(&ids);
	inventory_free(&inv);
	session_close(&s);
	return rc;
}
