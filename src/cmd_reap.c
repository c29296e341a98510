/* cmd_reap.c - annex -reap [-annex-name X] [-dry-run]: the submit host's
 * guard (SPEC.md section 8), meant for cron. Under a lock (reaplock.c) it
 * lists what AWS holds of the annexes (the inventory, inventory.c), asks
 * condor_status through it which instances joined the pool and how long
 * they have been unclaimed, lets reap.c decide, and acts: an annex whose
 * lease has passed ends whole (its Spot Fleets cancelled, its instances
 * terminated, its fleets' launch templates deleted, its lease rule deleted
 * last); instances that never joined
 * the pool within the grace, or stayed unclaimed past their idle limit,
 * are terminated one by one. One line per annex acted on; nothing at all when
 * there is nothing to do. A failure on one annex is reported on stderr and
 * the others are still done; the exit status is then 1. It does so in the
 * command's region and in every region with a recorded setup
 * (setupregions.h), each under its own local name, with the region named
 * on stderr before the first thing reported there; a region that fails
 * does not stop the others. docs/reap.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "annex/buf.h"
#include "annex/cmd.h"
#include "annex/ec2.h"
#include "annex/events.h"
#include "annex/inventory.h"
#include "annex/ownership.h"
#include "annex/launchplan.h"
#include "annex/poolstatus.h"
#include "annex/reap.h"
#include "annex/reaplock.h"
#include "annex/session.h"
#include "annex/setupregions.h"
#include "annex/knobs.h"
#include "annex/timefmt.h"

#define REAP_DEFAULT_JOIN_GRACE_S 900
#define REAP_DEFAULT_LOCK_WAIT_S 60

/* A setting: the environment variable of that name when set and not
 * empty, else the config knob (so _CONDOR_<NAME> and config files work
 * too); malloc'd, NULL when neither says. The knob registry (knobs.h)
 * reads them so (KNOB_ENV). */
static int cmd_reap_setting(const struct annex_session *s, const char *name, char **value,
			    struct annex_err *err)
{
	return session_knob(s, name, value, err) < 0 ? -1 : 0;
}

/* A whole number of seconds from cmd_reap_setting, dflt when unset. */
static int cmd_reap_seconds(const struct annex_session *s, const char *name, long dflt, long *out,
			    struct annex_err *err)
{
	char *v = NULL, *end = NULL;

	*out = dflt;
	if (cmd_reap_setting(s, name, &v, err) != 0)
		return -1;
	if (!v)
		return 0;
	*out = strtol(v, &end, 10);
	if (end == v || *end || *out < 0) {
		annex_err_set(err, "Config", "%s = '%s': want a whole number of seconds", name, v);
		free(v);
		return -1;
	}
	free(v);
	return 0;
}

/* 1 when the annex's pool view matters: its lease has not passed and an
 * instance is pending or running. */
static int cmd_reap_wants_pool(const struct reap_annex *a, time_t now)
{
	time_t lease = reap_annex_lease(a);

	if (lease != -1 && lease <= now)
		return 0;
	for (size_t i = 0; i < a->n_inst; i++)
		if (strcmp(a->inst[i].state, "pending") == 0 || strcmp(a->inst[i].state, "running") == 0)
			return 1;
	return 0;
}

/* Runs condor_status once per annex name that needs it. Without a
 * condor_status nothing is said (cron); one that fails is a warning, and
 * that annex's pool view stays unknown, so nothing is ended for pool
 * reasons on a collector outage. */
static void cmd_reap_pool(struct annex_session *s, struct inventory *inv, struct reap_world *w, time_t now)
{
	char *why = NULL, *exe = NULL;

	for (size_t i = 0; i < w->n; i++) {
		const char *name = w->v[i].name;
		struct annex_err perr;
		int seen = 0;
		if (!cmd_reap_wants_pool(&w->v[i], now) || w->v[i].pool_known)
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(w->v[k].name, name) == 0 && cmd_reap_wants_pool(&w->v[k], now);
		if (seen)
			continue;
		if (!exe && !why)
			exe = poolstatus_find(inv->opts.condor_status, &why);
		if (!exe)
			break;
		annex_err_clear(&perr);
		if (inventory_pool_annex(inv, exe, name, &perr) != 0) {
			session_say_region(s);
			fprintf(stderr, "annex: warning: %s; not checking annex '%s' against the pool.\n", perr.msg,
				name);
			continue;
		}
		reap_world_add_pool(w, i, inv, name);
	}
	free(exe);
	free(why);
}

/* The lease rules (names of the NAME_UUID form): a rule whose annex has
 * no lease tag on a live resource, or that has no live resource at all,
 * has its target input read. */
static int cmd_reap_rules(struct aws_ctx *ctx, struct inventory *inv, struct reap_world *w, struct annex_err *err)
{
	for (size_t i = 0; i < inv->n_rules; i++) {
		const struct inventory_rule *rule = &inv->rules[i];
		struct reap_annex *a = reap_world_find(w, rule->name);
		if (!inventory_is_annex_id(rule->name))
			continue;
		if (!(a && reap_annex_lease(a) != -1) && inventory_read_rule(ctx, inv, i, err) != 0)
			return -1;
		reap_world_add_rule(w, rule->name, rule->annex, rule->lease);
	}
	return 0;
}

static const char *cmd_reap_s(size_t n)
{
	return n == 1 ? "" : "s";
}

/* "lease expired T" or what the pool showed. */
static void cmd_reap_reason(struct buf *line, const struct reap_plan *plan, const struct reap_policy *pol)
{
	if (plan->end_all) {
		char iso[21];
		timefmt_iso8601(plan->lease, iso);
		buf_printf(line, "lease expired %s", iso);
		return;
	}
	if (plan->n_not_joined)
		buf_printf(line, "%zu instance%s not in the pool %ld s after launch", plan->n_not_joined,
			   cmd_reap_s(plan->n_not_joined), pol->join_grace_s);
	if (plan->n_not_joined && plan->n_idle)
		buf_puts(line, ", ");
	if (plan->n_idle)
		buf_printf(line, "%zu instance%s unclaimed past the idle limit", plan->n_idle, cmd_reap_s(plan->n_idle));
}

/* Acts on one annex's plan, appending what was done to done; -1 with err
 * at the first failure (the lease rule, the lease function's retry timer,
 * is then kept for the next run). */
static int cmd_reap_act(struct aws_ctx *ctx, const struct reap_annex *a, const struct reap_plan *plan, int dry_run,
			struct buf *done, struct annex_err *err)
{
	struct ec2_ids fleets = { 0 }, ids = { 0 };
	int rc = -1;

	for (size_t i = 0; plan->cancel_fleets && i < a->n_fleets; i++)
		ec2_ids_add(&fleets, a->fleets[i].id);
	for (size_t i = 0; i < a->n_inst; i++)
		if (plan->why[i] != REAP_KEEP)
			ec2_ids_add(&ids, a->inst[i].id);
	if (fleets.n) {
		if (!dry_run && ec2_cancel_spot_fleets(ctx, &fleets, err) != 0)
			goto out;
		buf_printf(done, "%s%s %zu Spot Fleet request%s", done->len ? ", " : "",
			   dry_run ? "would cancel" : "cancelled", fleets.n, cmd_reap_s(fleets.n));
	}
	if (ids.n) {
		if (!dry_run && ec2_terminate_instances(ctx, &ids, err) != 0)
			goto out;
		buf_printf(done, "%s%s %zu instance%s", done->len ? ", " : "",
			   dry_run ? "would terminate" : "terminated", ids.n, cmd_reap_s(ids.n));
		if (!plan->end_all) {
			buf_puts(done, " (");
			for (size_t i = 0; i < ids.n; i++)
				buf_printf(done, "%s%s", i ? " " : "", ids.v[i]);
			buf_puts(done, ")");
		}
	}
	if (plan->delete_rule && a->id) {
		struct ec2_ids templates = { 0 };
		int trc = ec2_launch_templates_by_tag(ctx, "htcondor:AnnexId", a->id, &templates, err);
		if (trc == 0 && templates.n && !dry_run)
			trc = ec2_delete_launch_templates(ctx, &templates, err);
		if (trc == 0 && templates.n)
			buf_printf(done, "%s%s %zu launch template%s", done->len ? ", " : "",
				   dry_run ? "would delete" : "deleted", templates.n, cmd_reap_s(templates.n));
		ec2_ids_free(&templates);
		if (trc != 0)
			goto out;
		if (!dry_run && events_delete_rule(ctx, a->id, err) != 0)
			goto out;
		buf_printf(done, "%s%s 1 lease rule", done->len ? ", " : "", dry_run ? "would remove" : "removed");
	}
	rc = 0;
out:
	ec2_ids_free(&fleets);
	ec2_ids_free(&ids);
	return rc;
}

/* Plans and acts on every annex; counts those acted on and those that
 * failed. */
static void cmd_reap_all(struct annex_session *s, const struct reap_world *w, const struct reap_policy *pol,
			 int dry_run, size_t *acted, size_t *failed)
{
	struct aws_ctx *ctx = s->aws;

	for (size_t i = 0; i < w->n; i++) {
		const struct reap_annex *a = &w->v[i];
		struct reap_plan plan;
		struct buf line = BUF_INIT, done = BUF_INIT;
		struct annex_err aerr;
		reap_plan_make(a, pol, &plan);
		if (!reap_plan_acts(&plan)) {
			reap_plan_free(&plan);
			continue;
		}
		(*acted)++;
		session_say_region(s);
		annex_err_clear(&aerr);
		buf_printf(&line, "Annex '%s'", a->name);
		if (a->id)
			buf_printf(&line, " (%s)", a->id);
		buf_puts(&line, ": ");
		cmd_reap_reason(&line, &plan, pol);
		if (cmd_reap_act(ctx, a, &plan, dry_run, &done, &aerr) == 0) {
			printf("%s; %s.\n", buf_cstr(&line), buf_cstr(&done));
		} else {
			(*failed)++;
			fflush(stdout);
			fprintf(stderr, "annex: %s; %s%sfailed: %s (the next run tries again).\n", buf_cstr(&line),
				buf_cstr(&done), done.len ? "; then " : "", aerr.msg);
		}
		buf_free(&line);
		buf_free(&done);
		reap_plan_free(&plan);
	}
}

/* Reads the settings, then takes the lock; *fd is -2 when another run
 * holds it past the wait. */
static int cmd_reap_lock(const struct annex_session *s, int *fd, char **path, struct annex_err *err)
{
	char *configured = NULL;
	long wait_s;

	*fd = -1;
	if (cmd_reap_setting(s, "ANNEX_REAP_LOCK_FILE", &configured, err) != 0 ||
	    cmd_reap_seconds(s, "ANNEX_REAP_LOCK_WAIT", REAP_DEFAULT_LOCK_WAIT_S, &wait_s, err) != 0) {
		free(configured);
		return -1;
	}
	if (reaplock_path(configured, path, err) != 0) {
		free(configured);
		return -1;
	}
	free(configured);
	*fd = reaplock_acquire(*path, wait_s * 1000, err);
	return *fd == -1 ? -1 : 0;
}

/* What carries annex's tags but is not annex's is never ended
 * (ownership.h); saying so is saying something, so the region line comes
 * first. */
static void cmd_reap_set_aside(struct annex_session *s, struct ownership *own, struct inventory *inv)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem) {
		session_say_region(s);
		ownership_set_aside(own, inv, stdout);
		return;
	}
	ownership_set_aside(own, inv, mem);
	fclose(mem);
	if (len > 0) {
		session_say_region(s);
		fputs(text, stdout);
	}
	free(text);
}

/* Reaps the region s is open for: its own settings (they may be
 * region-prefixed), its inventory, its annexes. Prints nothing, not even
 * the region line, when there is nothing to do (cron); otherwise the
 * region line comes first. -1 with err when the region could not be
 * looked at or an annex could not be ended completely. */
static int cmd_reap_region(struct annex_session *s, const struct annex_opts *o, struct annex_err *err)
{
	struct inventory_opts io = { o->annex_name, INVENTORY_INSTANCES | INVENTORY_FLEETS | INVENTORY_RULES, 1000, 1, NULL };
	struct inventory inv;
	struct reap_world w = { 0 };
	struct reap_policy pol = { 0 };
	struct ownership own = { 0 };
	char *condor_status = NULL;
	size_t acted = 0, failed = 0;
	int rc = -1;

	inventory_init(&inv, &io);
	s->region_line_later = 1;
	if (cmd_reap_seconds(s, "ANNEX_REAP_JOIN_GRACE", REAP_DEFAULT_JOIN_GRACE_S, &pol.join_grace_s, err) != 0 ||
	    cmd_reap_seconds(s, "ANNEX_DEFAULT_UNCLAIMED_TIMEOUT", 900, &pol.default_idle_s, err) != 0)
		goto out;
	inv.opts.condor_status = condor_status = session_knob_or_null(s, "ANNEX_CONDOR_STATUS");
	ownership_init(&own, s);
	if (session_connect(s, 0, err) != 0 || inventory_load(s->aws, &inv, err) != 0 ||
	    ownership_list_members(s->aws, &own, &inv, err) != 0)
		goto out;
	cmd_reap_set_aside(s, &own, &inv);
	reap_world_from_inventory(&w, &inv);
	if (cmd_reap_rules(s->aws, &inv, &w, err) != 0)
		goto out;
	reap_world_sort(&w);
	pol.now = time(NULL);
	cmd_reap_pool(s, &inv, &w, pol.now);
	cmd_reap_all(s, &w, &pol, o->dry_run, &acted, &failed);
	if (failed) {
		annex_err_set(err, "Reap", "%zu of %zu annex%s to reap could not be ended completely; the next run "
			      "tries again", failed, acted, acted == 1 ? "" : "es");
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		session_say_region(s);
	free(condor_status);
	reap_world_free(&w);
	inventory_free(&inv);
	ownership_free(&own);
	return rc;
}

/* The regions to reap: the one -aws-region or -setup REGION names, alone;
 * else the command's region and every region with a recorded setup
 * (setupregions.h), the command's own first. */
static size_t cmd_reap_regions(const struct annex_session *s, const struct annex_opts *o, char ***out)
{
	char **rec = NULL, **v;
	size_t n_rec = 0, n = 1;

	if (!(o->region && *o->region) && !(o->setup_region && *o->setup_region))
		n_rec = setupregions_find(s->cfg, &rec);
	v = xcalloc(n_rec + 1, sizeof(*v));
	v[0] = xstrdup(s->region);
	for (size_t i = 0; i < n_rec; i++) {
		if (strcmp(rec[i], s->region) == 0)
			free(rec[i]);
		else
			v[n++] = rec[i];
	}
	free(rec);
	*out = v;
	return n;
}

/* Another recorded region: opened with its local name, and named in the
 * region line by where its setup is recorded. */
static int cmd_reap_open_recorded(struct annex_session *rs, const struct annex_opts *o, const char *region,
				  struct annex_err *err)
{
	char *where;

	if (session_open_region(rs, o, region, "a recorded -setup", err) != 0)
		return -1;
	where = knobs_is_configured(rs->cfg, "ANNEX_SETUP_REGION") ? knobs_source(rs->cfg, "ANNEX_SETUP_REGION")
	      : knobs_source(rs->cfg, "ANNEX_DEFAULT_ODI_LEASE_FUNCTION_ARN");
	if (!where)
		where = knobs_source(rs->cfg, "ANNEX_DEFAULT_SFR_LEASE_FUNCTION_ARN");
	if (where) {
		free(rs->region_source);
		rs->region_source = xasprintf("the -setup recorded at %s", where);
		free(where);
	}
	return 0;
}

int cmd_reap(const struct annex_opts *o, struct annex_err *err)
{
	struct annex_session s;
	char *lock_path = NULL, **regions = NULL;
	size_t n_regions = 0, n_failed = 0;
	int lock_fd = -1, rc = -1;

	if (o->annex_name && launchplan_check_name(o->annex_name, err) != 0)
		return -1;
	if (session_open(&s, o, err) != 0)
		goto out;
	if (cmd_reap_lock(&s, &lock_fd, &lock_path, err) != 0)
		goto out;
	if (lock_fd == -2) {
		printf("Another annex -reap is running (it holds %s); this run did nothing.\n", lock_path);
		rc = 0;
		goto out;
	}
	n_regions = cmd_reap_regions(&s, o, &regions);
	if (n_regions == 1) {
		rc = cmd_reap_region(&s, o, err);
		goto out;
	}
	/* several regions: a failure in one is reported there, and the others
	 * are still reaped */
	for (size_t i = 0; i < n_regions; i++) {
		struct annex_session rs, *cur = &s;
		struct annex_err rerr;
		int rrc;
		annex_err_clear(&rerr);
		if (i > 0) {
			cur = &rs;
			if (cmd_reap_open_recorded(&rs, o, regions[i], &rerr) != 0) {
				fflush(stdout);
				fprintf(stderr, "annex: region %s (from a recorded -setup)\n", regions[i]);
				rrc = -1;
				goto report;
			}
		}
		rrc = cmd_reap_region(cur, o, &rerr);
report:
		if (rrc != 0) {
			n_failed++;
			fflush(stdout);
			fprintf(stderr, "annex: %s: %s\n", regions[i], rerr.msg);
		}
		if (i > 0)
			session_close(&rs);
	}
	if (n_failed) {
		annex_err_set(err, "Reap", "%zu of %zu regions could not be reaped completely (above); the next run "
			      "tries again", n_failed, n_regions);
		goto out;
	}
	rc = 0;
out:
	reaplock_release(lock_fd);
	free(lock_path);
	setupregions_free(regions, n_regions);
	session_close(&s);
	return rc;
}
