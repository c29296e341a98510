/* test_inventory.c - the inventory's pure part (inventory_join.c), table
 * by table: startd ads joined to instances by EC2InstanceID, then by the
 * private address in the ad's Name; the annex-name and live-state
 * filters; sorting; the address and annex-id readers. No network. */
#include <stdlib.h>
#include <string.h>

#include "annex/inventory.h"
#include "harness.h"

#define MAX_ROWS 4

struct t_inst {
	const char *id, *annex, *state, *ip;
	enum inventory_join want;       /* the instance's join */
	size_t want_ads, want_claimed, want_unclaimed;
};

struct t_ad {
	const char *name, *annex, *iid, *state;
	enum inventory_join want;       /* the ad's join */
	const char *want_inst;          /* the id of the instance it joins; NULL: none */
};

struct t_join {
	const char *what;
	struct t_inst inst[MAX_ROWS];
	struct t_ad ads[MAX_ROWS];
};

static const struct t_join JOINS[] = {
	{ "by id",
	  { { "i-1", "a", "running", "10.0.0.1", INVENTORY_BY_ID, 1, 1, 0 } },
	  { { "slot1@ip-10-0-0-9.ec2.internal", "a", "i-1", "Claimed", INVENTORY_BY_ID, "i-1" } } },
	{ "by id: every slot of a partitionable machine",
	  { { "i-1", "a", "running", NULL, INVENTORY_BY_ID, 3, 1, 2 },
	    { "i-2", "a", "running", NULL, INVENTORY_NOT_JOINED, 0, 0, 0 } },
	  { { "slot1@ip-10-0-0-1.ec2.internal", "a", "i-1", "Unclaimed", INVENTORY_BY_ID, "i-1" },
	    { "slot1_1@ip-10-0-0-1.ec2.internal", "a", "i-1", "Claimed", INVENTORY_BY_ID, "i-1" },
	    { "slot1_2@ip-10-0-0-1.ec2.internal", "a", "i-1", "Unclaimed", INVENTORY_BY_ID, "i-1" } } },
	{ "fallback by private address: no ad names the instance, one without EC2InstanceID has its address",
	  { { "i-1", "a", "running", "10.0.0.5", INVENTORY_BY_ADDRESS, 1, 0, 1 },
	    { "i-2", "a", "running", "10.0.0.6", INVENTORY_NOT_JOINED, 0, 0, 0 } },
	  { { "slot1@ip-10-0-0-5.ec2.internal", "a", NULL, "Unclaimed", INVENTORY_BY_ADDRESS, "i-1" } } },
	{ "an ad without EC2InstanceID whose host is a dotted address",
	  { { "i-1", "a", "pending", "172.31.16.200", INVENTORY_BY_ADDRESS, 1, 1, 0 } },
	  { { "slot1@172.31.16.200", "a", NULL, "Claimed", INVENTORY_BY_ADDRESS, "i-1" } } },
	{ "the id comes first: an instance named by one ad and addressed by another is joined by id",
	  { { "i-1", "a", "running", "10.0.0.5", INVENTORY_BY_ID, 2, 0, 2 } },
	  { { "slot1@ip-10-0-0-5.ec2.internal", "a", NULL, "Unclaimed", INVENTORY_BY_ADDRESS, "i-1" },
	    { "slot2@ip-10-0-0-5.ec2.internal", "a", "i-1", "Unclaimed", INVENTORY_BY_ID, "i-1" } } },
	{ "the id comes first, whichever ad condor_status printed first",
	  { { "i-1", "a", "running", "10.0.0.5", INVENTORY_BY_ID, 2, 1, 1 } },
	  { { "slot2@ip-10-0-0-5.ec2.internal", "a", "i-1", "Unclaimed", INVENTORY_BY_ID, "i-1" },
	    { "slot1@ip-10-0-0-5.ec2.internal", "a", NULL, "Claimed", INVENTORY_BY_ADDRESS, "i-1" } } },
	{ "an ad naming an id joins by that id only, never by its address",
	  { { "i-1", "a", "running", "10.0.0.5", INVENTORY_NOT_JOINED, 0, 0, 0 },
	    { "i-2", "a", "running", "10.0.0.6", INVENTORY_BY_ID, 1, 0, 1 } },
	  { { "slot1@ip-10-0-0-5.ec2.internal", "a", "i-0123456789abcdef0", "Unclaimed", INVENTORY_NOT_JOINED, NULL },
	    { "slot1@ip-10-0-0-5.ec2.internal", "a", "i-2", "Unclaimed", INVENTORY_BY_ID, "i-2" } } },
	{ "no ad: not joined",
	  { { "i-1", "a", "running", "10.0.0.1", INVENTORY_NOT_JOINED, 0, 0, 0 } },
	  { { 0 } } },
	{ "an ad of another annex joins nothing, by id or by address",
	  { { "i-1", "a", "running", "10.0.0.1", INVENTORY_NOT_JOINED, 0, 0, 0 } },
	  { { "slot1@ip-10-0-0-1.ec2.internal", "b", "i-1", "Claimed", INVENTORY_NOT_JOINED, NULL },
	    { "slot1@ip-10-0-0-1.ec2.internal", "b", NULL, "Claimed", INVENTORY_NOT_JOINED, NULL } } },
	{ "an address two instances of the annex have joins neither",
	  { { "i-1", "a", "running", "10.0.0.1", INVENTORY_NOT_JOINED, 0, 0, 0 },
	    { "i-2", "a", "running", "10.0.0.1", INVENTORY_NOT_JOINED, 0, 0, 0 } },
	  { { "slot1@ip-10-0-0-1.ec2.internal", "a", NULL, "Claimed", INVENTORY_NOT_JOINED, NULL } } },
	{ "a terminated instance's address is free for the live one",
	  { { "i-1", "a", "terminated", "10.0.0.1", INVENTORY_NOT_JOINED, 0, 0, 0 },
	    { "i-2", "a", "running", "10.0.0.1", INVENTORY_BY_ADDRESS, 1, 0, 0 } },
	  { { "slot1@ip-10-0-0-1.ec2.internal", "a", NULL, "Owner", INVENTORY_BY_ADDRESS, "i-2" } } },
	{ "an id joins whatever EC2 says of the instance (condor_annex's in-pool rule)",
	  { { "i-1", "a", "shutting-down", NULL, INVENTORY_BY_ID, 1, 0, 1 } },
	  { { "slot1@ip-10-0-0-1.ec2.internal", "a", "i-1", "Unclaimed", INVENTORY_BY_ID, "i-1" } } },
	{ "a Name without an address and no id joins nothing",
	  { { "i-1", "a", "running", "10.0.0.1", INVENTORY_NOT_JOINED, 0, 0, 0 } },
	  { { "slot1@node7.example.org", "a", NULL, "Claimed", INVENTORY_NOT_JOINED, NULL } } },
};

/* Adds the case's instances in reverse (so sorting moves them) and its
 * ads, joins, and sorts when asked. */
static void build(struct inventory *inv, const struct t_join *c, int sorted)
{
	inventory_init(inv, NULL);
	for (size_t i = MAX_ROWS; i-- > 0;) {
		const struct t_inst *t = &c->inst[i];
		struct inventory_instance in = { .id = (char *)t->id, .annex = (char *)t->annex,
						 .state = (char *)t->state, .private_ip = (char *)t->ip };
		if (t->id)
			CHECK(inventory_add_instance(inv, &in) != NULL);
	}
	for (size_t i = 0; i < MAX_ROWS && c->ads[i].name; i++) {
		const struct t_ad *t = &c->ads[i];
		struct inventory_ad ad = { .name = (char *)t->name, .annex = (char *)t->annex,
					   .instance_id = (char *)t->iid, .state = (char *)t->state, .entered = -1 };
		CHECK(inventory_add_ad(inv, &ad) != NULL);
	}
	inventory_join(inv);
	if (sorted)
		inventory_sort(inv);
}

static const struct inventory_instance *find(const struct inventory *inv, const char *id)
{
	for (size_t i = 0; i < inv->n_inst; i++)
		if (strcmp(inv->inst[i].id, id) == 0)
			return &inv->inst[i];
	return NULL;
}

static void check_join(const struct t_join *c, int sorted)
{
	struct inventory inv;

	build(&inv, c, sorted);
	for (size_t i = 0; i < MAX_ROWS && c->inst[i].id; i++) {
		const struct t_inst *t = &c->inst[i];
		const struct inventory_instance *in = find(&inv, t->id);
		if (!in) {
			CHECK(in != NULL);
			continue;
		}
		if (in->joined != t->want || in->n_ads != t->want_ads || in->n_claimed != t->want_claimed ||
		    in->n_unclaimed != t->want_unclaimed)
			harness_fail_(__FILE__, __LINE__, "%s (%s): instance %s joined %d with %zu ads, %zu claimed, "
				      "%zu unclaimed; want %d, %zu, %zu, %zu", c->what, sorted ? "sorted" : "as listed",
				      t->id, in->joined, in->n_ads, in->n_claimed, in->n_unclaimed, t->want, t->want_ads,
				      t->want_claimed, t->want_unclaimed);
		CHECK_INT(inventory_instance_idle(in), t->want_ads > 0 && t->want_unclaimed == t->want_ads);
	}
	for (size_t i = 0; i < MAX_ROWS && c->ads[i].name; i++) {
		const struct t_ad *t = &c->ads[i];
		const struct inventory_ad *ad = &inv.ads[i];
		const char *got = ad->instance == INVENTORY_NONE ? NULL : inv.inst[ad->instance].id;
		if (ad->joined != t->want || (got == NULL) != (t->want_inst == NULL) ||
		    (got && strcmp(got, t->want_inst) != 0))
			harness_fail_(__FILE__, __LINE__, "%s (%s): ad %zu joined %d to %s; want %d to %s", c->what,
				      sorted ? "sorted" : "as listed", i, ad->joined, got ? got : "nothing", t->want,
				      t->want_inst ? t->want_inst : "nothing");
	}
	inventory_free(&inv);
}

static void t_join(void)
{
	for (size_t i = 0; i < sizeof(JOINS) / sizeof(JOINS[0]); i++) {
		check_join(&JOINS[i], 0);
		check_join(&JOINS[i], 1);
	}
}

/* Joining twice counts every ad once. */
static void t_join_again(void)
{
	struct inventory inv;

	build(&inv, &JOINS[1], 0);
	inventory_join(&inv);
	CHECK_INT(find(&inv, "i-1")->n_ads, 3);
	inventory_free(&inv);
}

struct t_filter {
	const char *what;
	const char *annex_name;
	int live_only;
	const char *annex, *id, *state;
	int want;                       /* the instance kept */
	int want_fleet, want_ad;        /* a fleet and an ad of that annex and id kept (they have no state filter) */
};

static const struct t_filter FILTERS[] = {
	{ "no name: any annex", NULL, 0, "render", "i-1", "running", 1, 1, 1 },
	{ "no name: an empty annex tag is no annex", NULL, 0, "", "i-1", "running", 0, 0, 0 },
	{ "no name: untagged", NULL, 0, NULL, "i-1", "running", 0, 0, 0 },
	{ "name: exactly that annex", "foo", 0, "foo", "i-1", "running", 1, 1, 1 },
	{ "name: foo never shows foobar", "foo", 0, "foobar", "i-1", "running", 0, 0, 0 },
	{ "name: nor fo", "foo", 0, "fo", "i-1", "running", 0, 0, 0 },
	{ "name: nor another case", "foo", 0, "Foo", "i-1", "running", 0, 0, 0 },
	{ "every state by default", NULL, 0, "a", "i-1", "terminated", 1, 1, 1 },
	{ "live only: running", NULL, 1, "a", "i-1", "running", 1, 1, 1 },
	{ "live only: pending", NULL, 1, "a", "i-1", "pending", 1, 1, 1 },
	{ "live only: stopped", NULL, 1, "a", "i-1", "stopped", 1, 1, 1 },
	{ "live only: stopping", NULL, 1, "a", "i-1", "stopping", 1, 1, 1 },
	{ "live only: not terminated", NULL, 1, "a", "i-1", "terminated", 0, 1, 1 },
	{ "live only: not shutting-down", NULL, 1, "a", "i-1", "shutting-down", 0, 1, 1 },
	{ "no id", NULL, 0, "a", "", "running", 0, 0, 1 },
	{ "no state", NULL, 0, "a", "i-1", "", 0, 1, 1 },
};

static void t_filters(void)
{
	for (size_t i = 0; i < sizeof(FILTERS) / sizeof(FILTERS[0]); i++) {
		const struct t_filter *t = &FILTERS[i];
		struct inventory_opts o = { .annex_name = t->annex_name, .live_only = t->live_only };
		struct inventory inv;
		struct inventory_instance in = { .id = (char *)t->id, .annex = (char *)t->annex,
						 .state = (char *)t->state };
		struct inventory_fleet f = { .id = (char *)t->id, .annex = (char *)t->annex, .state = "active" };
		struct inventory_ad ad = { .name = "slot1@x", .annex = (char *)t->annex, .instance_id = "i-1" };
		inventory_init(&inv, &o);
		if ((inventory_add_instance(&inv, &in) != NULL) != t->want || inv.n_inst != (size_t)t->want)
			harness_fail_(__FILE__, __LINE__, "%s: instance kept %zu, want %d", t->what, inv.n_inst, t->want);
		if ((inventory_add_fleet(&inv, &f) != NULL) != t->want_fleet ||
		    (inventory_add_ad(&inv, &ad) != NULL) != t->want_ad)
			harness_fail_(__FILE__, __LINE__, "%s: fleet kept %zu, ad kept %zu; want %d, %d", t->what,
				      inv.n_fleets, inv.n_ads, t->want_fleet, t->want_ad);
		inventory_free(&inv);
	}
}

/* The annex filter itself, independent of the instance table above. */
static void t_wants_annex(void)
{
	struct inventory inv;
	struct inventory_opts o = { .annex_name = "render" };

	inventory_init(&inv, &o);
	CHECK(inventory_wants_annex(&inv, "render"));
	CHECK(!inventory_wants_annex(&inv, "render2"));
	CHECK(!inventory_wants_annex(&inv, NULL));
	inventory_init(&inv, NULL);
	CHECK(inventory_wants_annex(&inv, "x"));
	CHECK(!inventory_wants_annex(&inv, ""));
	inventory_free(&inv);
}

/* Sorted by annex, then id; a second listing of an instance dropped; the
 * fleets sorted too; strings copied, not borrowed. */
static void t_sort(void)
{
	static const char *const rows[][2] = { { "b", "i-1" }, { "a", "i-9" }, { "a", "i-2" }, { "b", "i-1" } };
	static const char *const want[][2] = { { "a", "i-2" }, { "a", "i-9" }, { "b", "i-1" } };
	struct inventory inv;
	char id[8];

	inventory_init(&inv, NULL);
	for (size_t i = 0; i < 4; i++) {
		struct inventory_instance in = { .annex = (char *)rows[i][0], .state = "running" };
		struct inventory_fleet f = { .annex = (char *)rows[i][0], .id = (char *)rows[i][1] };
		snprintf(id, sizeof(id), "%s", rows[i][1]);
		in.id = id;
		inventory_add_instance(&inv, &in);
		inventory_add_fleet(&inv, &f);
		id[0] = 'X';
	}
	CHECK_INT(inv.n_inst, 4);
	CHECK_STR(inv.inst[0].id, "i-1");   /* as listed until sorted */
	inventory_sort(&inv);
	CHECK_INT(inv.n_inst, 3);
	for (size_t i = 0; i < 3 && i < inv.n_inst; i++) {
		CHECK_STR(inv.inst[i].annex, want[i][0]);
		CHECK_STR(inv.inst[i].id, want[i][1]);
	}
	CHECK_INT(inv.n_fleets, 4);
	CHECK_STR(inv.fleets[0].id, "i-2");
	CHECK_STR(inv.fleets[3].annex, "b");
	CHECK_STR(inv.fleets[0].state, "");
	inventory_free(&inv);
}

static void t_rules(void)
{
	struct inventory inv;

	inventory_init(&inv, NULL);
	inventory_add_rule(&inv, "render_11111111-2222-3333-4444-555555555555");
	inventory_add_rule(&inv, "other");
	CHECK_INT(inv.n_rules, 2);
	CHECK_STR(inv.rules[1].name, "other");
	CHECK(inv.rules[0].annex == NULL && inv.rules[0].lease == NULL);
	inventory_free(&inv);
}

static void t_ad_address(void)
{
	static const struct {
		const char *name, *want;   /* want NULL: no address */
	} rows[] = {
		{ "slot1@ip-10-0-0-5.ec2.internal", "10.0.0.5" },
		{ "slot1_3@ip-172-31-16-200.us-west-2.compute.internal", "172.31.16.200" },
		{ "slot1@ip-203-0-113-2.ec2.internal", "203.0.113.2" },
		{ "ip-10-0-0-5", "10.0.0.5" },
		{ "slot1@10.1.2.3", "10.1.2.3" },
		{ "slot1@ip-10-0-0-256.ec2.internal", NULL },
		{ "slot1@ip-10-0-0.ec2.internal", NULL },
		{ "slot1@ip-10-0-0-5x.ec2.internal", NULL },
		{ "slot1@ip-10-0-0-0005.ec2.internal", NULL },
		{ "slot1@node7.example.org", NULL },
		{ "slot1@10.1.2.3.4", NULL },
		{ "slot1@10.1.2", NULL },
		{ "undefined", NULL },
		{ "", NULL },
	};
	char out[16];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = inventory_ad_address(rows[i].name, out, sizeof(out));
		if (rows[i].want ? rc != 0 || strcmp(out, rows[i].want) != 0 : rc != -1)
			harness_fail_(__FILE__, __LINE__, "%s: rc %d, '%s'; want %s", rows[i].name, rc, rc ? "" : out,
				      rows[i].want ? rows[i].want : "none");
	}
}

/* The address read from Name is kept on the ad; one given is kept as is. */
static void t_ad_copy(void)
{
	struct inventory inv;
	struct inventory_ad ad = { .name = "slot1@ip-10-0-0-5.ec2.internal", .annex = "a", .entered = 7 };

	inventory_init(&inv, NULL);
	inventory_add_ad(&inv, &ad);
	ad.address = "192.0.2.1";
	inventory_add_ad(&inv, &ad);
	CHECK_STR(inv.ads[0].address, "10.0.0.5");
	CHECK_STR(inv.ads[1].address, "192.0.2.1");
	CHECK_STR(inv.ads[0].state, "undefined");
	CHECK(inv.ads[0].instance_id == NULL);
	CHECK_INT(inv.ads[0].entered, 7);
	CHECK(inv.ads[0].instance == INVENTORY_NONE);
	inventory_free(&inv);
}

static void t_is_annex_id(void)
{
	static const struct {
		const char *s;
		int want;
	} rows[] = {
		{ "render_5b0b6c2e-1111-2222-3333-444455556666", 1 },
		{ "my.annex-2_abc", 1 },
		{ "render", 0 },
		{ "_abc", 0 },
		{ "render_", 0 },
		{ "a_b_c", 0 },
		{ "ren der_abc", 0 },
		{ "render_abc.def", 0 },
		{ "abcdefghijklmnopqrstuvwxyz01_x", 0 },     /* name of 28 characters */
		{ "abcdefghijklmnopqrstuvwxyz0_x", 1 },      /* 27 */
		{ "a_0123456789012345678901234567890123456", 0 },   /* 37 after '_' */
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (inventory_is_annex_id(rows[i].s) != rows[i].want)
			harness_fail_(__FILE__, __LINE__, "%s: want %d", rows[i].s, rows[i].want);
}

TESTS(T(t_join), T(t_join_again), T(t_filters), T(t_wants_annex), T(t_sort), T(t_rules), T(t_ad_address),
      T(t_ad_copy), T(t_is_annex_id))
