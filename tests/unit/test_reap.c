/* test_reap.c - annex -reap's decisions (reap.c): leases, the join grace,
 * the idle limit, what ends the whole annex, and the time parser. */
#include "annex/inventory.h"
#include "annex/reap.h"
#include "harness.h"

#include <string.h>

#define NOW ((time_t)1800000000)

static const struct reap_policy POLICY = { NOW, 900, 900 };

static struct reap_annex *one_annex(struct reap_world *w)
{
	return reap_world_annex(w, "render", "render_11111111-2222-3333-4444-555555555555");
}

static void t_parse_time(void)
{
	CHECK_INT(reap_parse_time("1970-01-01T00:00:00Z"), 0);
	CHECK_INT(reap_parse_time("2026-11-25T23:00:00Z"), 1795647600);
	CHECK_INT(reap_parse_time("2026-11-25T23:00:00.123Z"), 1795647600);
	CHECK_INT(reap_parse_time("2026-11-25T23:00:00"), 1795647600);
	CHECK_INT(reap_parse_time("2026-11-26T01:00:00+02:00"), 1795647600);
	CHECK_INT(reap_parse_time("2026-11-25T21:30:00-01:30"), 1795647600);
	CHECK_INT(reap_parse_time("2000-02-29T00:00:00Z"), 951782400);
	CHECK_INT(reap_parse_time("1795647600"), 1795647600);
	CHECK_INT(reap_parse_time("soon"), -1);
	CHECK_INT(reap_parse_time("2026-13-25T23:00:00Z"), -1);
	CHECK_INT(reap_parse_time("2026-11-25T23:00:00Zjunk"), -1);
	CHECK_INT(reap_parse_time(""), -1);
	CHECK_INT(reap_parse_time(NULL), -1);
}

static void t_world_groups_by_id(void)
{
	struct reap_world w = { 0 };
	struct reap_annex *a = reap_world_annex(&w, "b", "b_1");

	reap_annex_add_instance(a, "i-1", "running", NOW, -1, -1);
	reap_annex_add_instance(a, "i-1", "running", NOW, -1, -1);
	CHECK_INT(a->n_inst, 1);
	reap_world_annex(&w, "a", "a_2");
	reap_world_annex(&w, "b", NULL);
	CHECK(reap_world_annex(&w, "b", "b_1") == &w.v[0]);
	CHECK(reap_world_annex(&w, "b", NULL) == &w.v[2]);
	CHECK_INT(w.n, 3);
	CHECK(reap_world_find(&w, "a_2") == &w.v[1]);
	CHECK(reap_world_find(&w, "nope") == NULL);
	reap_world_sort(&w);
	CHECK_STR(w.v[0].id, "a_2");
	CHECK(w.v[1].id == NULL);
	CHECK_STR(w.v[2].id, "b_1");
	reap_world_free(&w);
}

/* The latest lease over live resources wins; the rule's input counts only
 * when no resource carries a lease. */
static void t_lease_latest_tag_wins(void)
{
	struct reap_world w = { 0 };
	struct reap_annex *a = one_annex(&w);
	struct reap_plan plan;

	a->has_rule = 1;
	a->rule_lease = NOW - 100;
	CHECK_INT(reap_annex_lease(a), NOW - 100);
	reap_annex_add_instance(a, "i-1", "running", NOW - 10, NOW - 50, 900);
	reap_annex_add_instance(a, "i-2", "running", NOW - 10, NOW + 50, 900);
	CHECK_INT(reap_annex_lease(a), NOW + 50);
	reap_plan_make(a, &POLICY, &plan);
	CHECK(!reap_plan_acts(&plan));
	reap_plan_free(&plan);
	reap_annex_add_fleet(a, "sfr-1", NOW + 500);
	CHECK_INT(reap_annex_lease(a), NOW + 500);
	reap_world_free(&w);
}

static void t_lease_expired_ends_everything(void)
{
	struct reap_world w = { 0 };
	struct reap_annex *a = one_annex(&w);
	struct reap_plan plan;

	reap_annex_add_instance(a, "i-1", "running", NOW - 10, NOW, 900);
	reap_annex_add_instance(a, "i-2", "stopped", NOW - 10, -1, 900);
	reap_annex_add_fleet(a, "sfr-1", -1);
	a->has_rule = 1;
	a->rule_lease = NOW + 9999;   /* tags win over the input */
	reap_plan_make(a, &POLICY, &plan);   /* pool unknown: the lease needs no pool */
	CHECK(plan.end_all);
	CHECK_INT(plan.lease, NOW);
	CHECK_INT(plan.n_terminate, 2);
	CHECK(plan.why[0] == REAP_LEASE && plan.why[1] == REAP_LEASE);
	CHECK(plan.cancel_fleets);
	CHECK(plan.delete_rule);
	reap_plan_free(&plan);
	reap_world_free(&w);
}

static void t_orphan_rule(void)
{
	struct reap_world w = { 0 };
	struct reap_annex *a = one_annex(&w);
	struct reap_plan plan;

	a->has_rule = 1;
	a->rule_lease = NOW - 1;
	reap_plan_make(a, &POLICY, &plan);
	CHECK(plan.end_all && plan.delete_rule && plan.n_terminate == 0 && !plan.cancel_fleets);
	reap_plan_free(&plan);
	a->rule_lease = NOW + 1;   /* maybe a launch in progress: kept */
	reap_plan_make(a, &POLICY, &plan);
	CHECK(!reap_plan_acts(&plan));
	reap_plan_free(&plan);
	a->rule_lease = -1;        /* unreadable input: kept */
	reap_plan_make(a, &POLICY, &plan);
	CHECK(!reap_plan_acts(&plan));
	reap_plan_free(&plan);
	reap_world_free(&w);
}

static void t_not_joined_needs_pool_and_grace(void)
{
	struct reap_world w = { 0 };
	struct reap_annex *a = one_annex(&w);
	struct reap_plan plan;

	reap_annex_add_instance(a, "i-old", "running", NOW - 900, NOW + 3600, 900);
	reap_annex_add_instance(a, "i-new", "pending", NOW - 899, NOW + 3600, 900);
	reap_annex_add_instance(a, "i-unknown", "running", -1, NOW + 3600, 900);
	a->has_rule = 1;
	reap_plan_make(a, &POLICY, &plan);
	CHECK(!reap_plan_acts(&plan));   /* pool membership unknown: nothing */
	reap_plan_free(&plan);
	a->pool_known = 1;
	reap_plan_make(a, &POLICY, &plan);
	CHECK(!plan.end_all);
	CHECK_INT(plan.n_not_joined, 1);
	CHECK_INT(plan.n_terminate, 1);
	CHECK(plan.why[0] == REAP_NOT_JOINED && plan.why[1] == REAP_KEEP && plan.why[2] == REAP_KEEP);
	CHECK(!plan.delete_rule && !plan.cancel_fleets);
	reap_plan_free(&plan);
	reap_world_free(&w);
}

static void t_joined_instance_is_kept(void)
{
	struct reap_world w = { 0 };
	struct reap_annex *a = one_annex(&w);
	struct reap_plan plan;
	struct reap_instance *in = reap_annex_add_instance(a, "i-1", "running", NOW - 5000, NOW + 3600, 900);

	a->pool_known = 1;
	reap_instance_add_ad(in, "Claimed", NOW - 4000);
	reap_plan_make(a, &POLICY, &plan);
	CHECK(!reap_plan_acts(&plan));
	reap_plan_free(&plan);
	reap_world_free(&w);
}

static void t_idle_limit_from_tag_or_default(void)
{
	struct reap_world w = { 0 };
	struct reap_annex *a = one_annex(&w);
	struct reap_plan plan;
	struct reap_instance *tagged, *untagged, *fresh;

	a->pool_known = 1;
	a->has_rule = 1;
	tagged = reap_annex_add_instance(a, "i-tagged", "running", NOW - 5000, NOW + 3600, 60);
	untagged = reap_annex_add_instance(a, "i-untagged", "running", NOW - 5000, NOW + 3600, -1);
	fresh = reap_annex_add_instance(a, "i-fresh", "running", NOW - 5000, NOW + 3600, 900);
	reap_instance_add_ad(tagged, "Unclaimed", NOW - 60);
	reap_instance_add_ad(untagged, "Unclaimed", NOW - 899);    /* default 900: not yet */
	reap_instance_add_ad(fresh, "Unclaimed", NOW - 100);
	reap_plan_make(a, &POLICY, &plan);
	CHECK(plan.why[0] == REAP_IDLE && plan.why[1] == REAP_KEEP && plan.why[2] == REAP_KEEP);
	CHECK_INT(plan.n_idle, 1);
	CHECK(!plan.delete_rule);
	reap_plan_free(&plan);
	reap_world_free(&w);
}

/* A partitionable machine: idle only when every slot is Unclaimed, since
 * the newest of them. */
static void t_idle_needs_every_slot_unclaimed(void)
{
	struct reap_world w = { 0 };
	struct reap_annex *a = one_annex(&w);
	struct reap_plan plan;
	struct reap_instance *busy = reap_annex_add_instance(a, "i-busy", "running", NOW - 9000, NOW + 3600, 900);
	struct reap_instance *idle = reap_annex_add_instance(a, "i-idle", "running", NOW - 9000, NOW + 3600, 900);
	struct reap_instance *undef = reap_annex_add_instance(a, "i-undef", "running", NOW - 9000, NOW + 3600, 900);

	a->pool_known = 1;
	reap_instance_add_ad(busy, "Unclaimed", NOW - 5000);
	reap_instance_add_ad(busy, "Claimed", NOW - 5000);
	reap_instance_add_ad(idle, "Unclaimed", NOW - 5000);
	reap_instance_add_ad(idle, "Unclaimed", NOW - 1000);
	reap_instance_add_ad(undef, "Unclaimed", -1);
	CHECK_INT(idle->unclaimed_since, NOW - 1000);
	reap_plan_make(a, &POLICY, &plan);
	CHECK(plan.why[0] == REAP_KEEP && plan.why[1] == REAP_IDLE && plan.why[2] == REAP_KEEP);
	reap_plan_free(&plan);
	reap_world_free(&w);
}

/* When every instance goes for pool reasons, the fleet and the rule go too. */
static void t_all_instances_reaped_ends_annex(void)
{
	struct reap_world w = { 0 };
	struct reap_annex *a = one_annex(&w);
	struct reap_plan plan;
	struct reap_instance *idle;

	a->pool_known = 1;
	a->has_rule = 1;
	reap_annex_add_fleet(a, "sfr-1", NOW + 3600);
	reap_annex_add_instance(a, "i-1", "running", NOW - 5000, NOW + 3600, 900);
	idle = reap_annex_add_instance(a, "i-2", "running", NOW - 5000, NOW + 3600, 900);
	reap_instance_add_ad(idle, "Unclaimed", NOW - 901);
	reap_plan_make(a, &POLICY, &plan);
	CHECK(!plan.end_all);
	CHECK_INT(plan.n_not_joined, 1);
	CHECK_INT(plan.n_idle, 1);
	CHECK(plan.cancel_fleets && plan.delete_rule);
	reap_plan_free(&plan);
	reap_world_free(&w);
}

/* A fleet with no instance yet is not "every instance reaped". */
static void t_empty_fleet_kept(void)
{
	struct reap_world w = { 0 };
	struct reap_annex *a = one_annex(&w);
	struct reap_plan plan;

	a->pool_known = 1;
	a->has_rule = 1;
	reap_annex_add_fleet(a, "sfr-1", NOW + 3600);
	reap_plan_make(a, &POLICY, &plan);
	CHECK(!reap_plan_acts(&plan));
	reap_plan_free(&plan);
	reap_world_free(&w);
}

/* A stopped instance is never "not joined" or idle: only its lease ends it. */
static void t_stopped_only_by_lease(void)
{
	struct reap_world w = { 0 };
	struct reap_annex *a = one_annex(&w);
	struct reap_plan plan;

	a->pool_known = 1;
	reap_annex_add_instance(a, "i-1", "stopped", NOW - 5000, NOW + 3600, 900);
	reap_plan_make(a, &POLICY, &plan);
	CHECK(!reap_plan_acts(&plan));
	reap_plan_free(&plan);
	reap_world_free(&w);
}

/* From the inventory: instances long past the join grace, and ads as
 * condor_status gives them. -reap ends an instance as not in the pool only
 * when no ad names it by instance id or by private address. */
struct t_pool_inst { const char *id, *ip; };
struct t_pool_ad { const char *name, *iid, *state; };

static void pool_plan(const struct t_pool_inst *insts, size_t n_inst, const struct t_pool_ad *ads, size_t n_ads,
		      struct reap_world *w, struct reap_plan *plan)
{
	struct inventory inv;

	inventory_init(&inv, NULL);
	for (size_t i = 0; i < n_inst; i++) {
		struct inventory_instance in = {
			.id = (char *)insts[i].id, .state = (char *)"running", .private_ip = (char *)insts[i].ip,
			.launch_time = (char *)"2020-01-01T00:00:00.000Z", .annex = (char *)"render",
			.annex_id = (char *)"render_11111111-2222-3333-4444-555555555555",
			.lease = (char *)"2100-01-01T00:00:00Z",
		};
		inventory_add_instance(&inv, &in);
	}
	for (size_t i = 0; i < n_ads; i++) {
		struct inventory_ad ad = { .name = (char *)ads[i].name, .annex = (char *)"render",
					   .instance_id = (char *)ads[i].iid, .state = (char *)ads[i].state,
					   .entered = NOW - 100 };
		inventory_add_ad(&inv, &ad);
	}
	inventory_join(&inv);
	memset(w, 0, sizeof(*w));
	reap_world_from_inventory(w, &inv);
	reap_world_add_pool(w, 0, &inv, "render");
	CHECK_INT(w->n, 1);
	reap_plan_make(&w->v[0], &POLICY, plan);
	inventory_free(&inv);
}

static const char *why_of(const struct reap_world *w, const struct reap_plan *plan, const char *id)
{
	for (size_t i = 0; i < w->v[0].n_inst; i++)
		if (strcmp(w->v[0].inst[i].id, id) == 0)
			return plan->why[i] == REAP_KEEP ? "keep" : plan->why[i] == REAP_NOT_JOINED ? "not-joined" :
			       plan->why[i] == REAP_IDLE ? "idle" : "other";
	return "missing";
}

/* An ad without EC2InstanceID joins by its Name's private address: the node
 * is in the pool, never reaped as not joined. */
static void t_joined_by_address_is_kept(void)
{
	static const struct t_pool_inst insts[] = { { "i-a", "10.0.0.5" }, { "i-b", "10.0.0.6" } };
	static const struct t_pool_ad ads[] = { { "slot1@ip-10-0-0-5.ec2.internal", NULL, "Claimed" } };
	struct reap_world w;
	struct reap_plan plan;

	pool_plan(insts, 2, ads, 1, &w, &plan);
	CHECK_STR(why_of(&w, &plan, "i-a"), "keep");
	CHECK_STR(why_of(&w, &plan, "i-b"), "not-joined");
	CHECK_INT(plan.n_terminate, 1);
	reap_plan_free(&plan);
	reap_world_free(&w);
}

/* An ad whose EC2InstanceID EC2 does not list, at a node's address: it may
 * be that node's; kept. */
static void t_unknown_id_at_address_is_kept(void)
{
	static const struct t_pool_inst insts[] = { { "i-a", "10.0.0.5" } };
	static const struct t_pool_ad ads[] = { { "slot1@ip-10-0-0-5.ec2.internal", "i-gone", "Claimed" } };
	struct reap_world w;
	struct reap_plan plan;

	pool_plan(insts, 1, ads, 1, &w, &plan);
	CHECK_STR(why_of(&w, &plan, "i-a"), "keep");
	CHECK_INT(plan.n_terminate, 0);
	reap_plan_free(&plan);
	reap_world_free(&w);
}

/* Two nodes of the annex with one address (two VPCs) and one ad without an
 * id at it: the join cannot tell whose it is; neither is reaped, not even
 * as idle. */
static void t_shared_address_keeps_both(void)
{
	static const struct t_pool_inst insts[] = { { "i-a", "10.0.0.5" }, { "i-b", "10.0.0.5" } };
	static const struct t_pool_ad ads[] = { { "slot1@ip-10-0-0-5.ec2.internal", NULL, "Unclaimed" } };
	struct reap_world w;
	struct reap_plan plan;

	pool_plan(insts, 2, ads, 1, &w, &plan);
	CHECK_STR(why_of(&w, &plan, "i-a"), "keep");
	CHECK_STR(why_of(&w, &plan, "i-b"), "keep");
	CHECK_INT(plan.n_terminate, 0);
	reap_plan_free(&plan);
	reap_world_free(&w);
}

TESTS(T(t_parse_time), T(t_world_groups_by_id), T(t_lease_latest_tag_wins), T(t_lease_expired_ends_everything),
      T(t_orphan_rule), T(t_not_joined_needs_pool_and_grace), T(t_joined_instance_is_kept),
      T(t_idle_limit_from_tag_or_default), T(t_idle_needs_every_slot_unclaimed),
      T(t_all_instances_reaped_ends_annex), T(t_empty_fleet_kept), T(t_stopped_only_by_lease),
      T(t_joined_by_address_is_kept), T(t_unknown_id_at_address_is_kept), T(t_shared_address_keeps_both))
