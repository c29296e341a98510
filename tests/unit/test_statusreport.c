/* test_statusreport.c - the formats of annex -status from a hand-made
 * inventory: condor_annex's tables (wrap, summary), ClassAd words, lease
 * lines, nothing-found lines. */
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"
#include "annex/inventory.h"
#include "annex/statusreport.h"
#include "harness.h"

/* Adds an instance as the EC2 listing would. */
static void add_instance(struct inventory *inv, const char *id, const char *state, const char *annex,
			 const char *annex_id, const char *type, const char *lease)
{
	struct inventory_instance in = { .id = (char *)id, .state = (char *)state, .annex = (char *)annex,
					 .annex_id = (char *)annex_id, .type = (char *)type, .lease = (char *)lease };

	CHECK(inventory_add_instance(inv, &in) != NULL);
}

/* Adds a startd ad of annex naming instance id and joins; 1 when it
 * joined an instance (the instance is then in the pool). */
static int add_ad(struct inventory *inv, const char *annex, const char *id)
{
	struct inventory_ad ad = { .name = "slot1@example", .annex = (char *)annex, .instance_id = (char *)id,
				   .state = "Unclaimed", .entered = -1 };
	struct inventory_ad *added = inventory_add_ad(inv, &ad);

	inventory_join(inv);
	return added && inv->ads[inv->n_ads - 1].joined == INVENTORY_BY_ID;
}

static char *render(const struct status_report *r, void (*fn)(const struct status_report *, FILE *))
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	fn(r, f);
	fclose(f);
	return text;
}

static void t_camel(void)
{
	char w[64];

	status_report_camel("shutting-down", w, sizeof(w));
	CHECK_STR(w, "ShuttingDown");
	status_report_camel("in-pool", w, sizeof(w));
	CHECK_STR(w, "InPool");
	status_report_camel("running", w, sizeof(w));
	CHECK_STR(w, "Running");
}

static void t_nothing(void)
{
	struct inventory inv;
	struct status_report r = { &inv, NULL, 0 };
	char *s;

	inventory_init(&inv, NULL);
	s = render(&r, status_report_print_human);

	CHECK_STR(s, "Found no instances in any annex.\n");
	free(s);
	r.annex_name = "x";
	s = render(&r, status_report_print_human);
	CHECK_STR(s, "Found no machines in that annex.\n");
	free(s);
	s = render(&r, status_report_print_classads);
	CHECK_STR(s, "Found no machines in that annex.\n");
	free(s);
	inventory_free(&inv);
}

/* Eight 19-character ids after "running": the fourth would end at column
 * 87, so it starts a new line indented by strlen("running"). */
static void t_named_wrap(void)
{
	struct inventory inv;
	struct status_report r = { &inv, NULL, 0 };
	char id[32], *s;

	inventory_init(&inv, NULL);
	r.annex_name = "a";
	r.now = 1000;
	for (int i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "i-%017d", i);
		add_instance(&inv, id, "running", "a", "a_1", "m5.large", "1970-01-01T01:00:00Z");
	}
	add_instance(&inv, "i-zzzzzzzzzzzzzzzzz", "pending", "a", "a_1", "m5.large", "1970-01-01T01:00:00Z");
	inventory_sort(&inv);
	CHECK(add_ad(&inv, "a", "i-00000000000000004") == 1);
	CHECK(add_ad(&inv, "b", "i-00000000000000004") == 0);
	inv.pool_known = 1;
	s = render(&r, status_report_print_human);
	CHECK_STR(s, "STATE          COUNT\n"
		     "in-pool            1\n"
		     "pending            1\n"
		     "running            4\n"
		     "TOTAL              6\n"
		     "\n"
		     "Instances not in the pool, grouped by state:\n"
		     "pending i-zzzzzzzzzzzzzzzzz\n"
		     "running i-00000000000000000 i-00000000000000001 i-00000000000000002\n"
		     "        i-00000000000000003\n"
		     "\n"
		     "Lease of a_1: 0.72 hours remaining (until 1970-01-01T01:00:00Z).\n"
		     "Instance types: m5.large 6.\n"
		     "Market: on-demand.\n"
		     "Cost so far: unknown (no running instance carries a htcondor:PriceUSDPerHour tag).\n");
	free(s);
	inventory_free(&inv);
}

static void t_summary_and_ads(void)
{
	struct inventory inv;
	struct status_report r = { &inv, NULL, 0 };
	char *s;

	inventory_init(&inv, NULL);
	r.now = 0;
	add_instance(&inv, "i-2", "running", "bb", NULL, NULL, NULL);
	add_instance(&inv, "i-1", "shutting-down", "aa", NULL, "c5.large", NULL);
	add_instance(&inv, "i-1", "shutting-down", "aa", NULL, "c5.large", NULL);
	inventory_sort(&inv);
	CHECK_INT(inv.n_inst, 2);
	inv.pool_known = 0;
	inv.pool_note = xstrdup("Pool membership is not shown: test.");
	s = render(&r, status_report_print_human);
	CHECK_STR(s, "NAME                        TOTAL running shutting-down\n"
		     "aa                              1       0             1\n"
		     "bb                              1       1             0\n"
		     "\n"
		     "NAME                        STATUS        INSTANCES...\n"
		     "aa                          shutting-down i-1\n"
		     "bb                          running       i-2\n"
		     "\n"
		     "aa: Instance types: c5.large 1.\n"
		     "aa: Market: on-demand.\n"
		     "bb: Lease of instances without htcondor:AnnexId: no htcondor:LeaseExpiration tag.\n"
		     "bb: Instance types: unknown 1.\n"
		     "bb: Market: on-demand.\n"
		     "bb: Cost so far: unknown (no running instance carries a htcondor:PriceUSDPerHour tag).\n"
		     "Pool membership is not shown: test.\n");
	free(s);
	s = render(&r, status_report_print_classads);
	CHECK(strstr(s, "AnnexID = \"aa\"\n") != NULL);
	CHECK(strstr(s, "NumInstancesShuttingDown = 1\n") != NULL);
	CHECK(strstr(s, "ShuttingDownInstancesList = { \"i-1\" }\n") != NULL);
	CHECK(strstr(s, "MyType = \"Annex\"\n") != NULL);
	CHECK(strstr(s, "PoolMembershipKnown = false\n") != NULL);
	CHECK(strstr(s, "\n\nAnnexID = \"bb\"\n") != NULL);
	free(s);
	inventory_free(&inv);
}

/* An instance that never joined: its console tail after annex's lines, in
 * the human report and in JSON; a note when it could not be read. */
static void t_console(void)
{
	struct inventory inv;
	struct status_report r = { &inv, "a", 1000 };
	char *s;

	inventory_init(&inv, NULL);
	add_instance(&inv, "i-00000000000000001", "running", "a", "a_1", "m5.large", NULL);
	add_instance(&inv, "i-00000000000000002", "running", "a", "a_1", "m5.large", NULL);
	add_instance(&inv, "i-00000000000000003", "running", "a", "a_1", "m5.large", NULL);
	inventory_sort(&inv);
	CHECK(add_ad(&inv, "a", "i-00000000000000003") == 1);
	inv.pool_known = 1;
	inv.inst[0].console = xstrdup("2030-01-01T00:00:00Z annex: ERROR: dnf install condor failed\n"
				      "2030-01-01T00:00:01Z annex: the boot failed (status 1)");
	inv.inst[1].console_note = xstrdup("not shown: AccessDenied");
	s = render(&r, status_report_print_human);
	CHECK(strstr(s, "\nConsole output of i-00000000000000001 (not in the pool), last lines:\n"
			"  2030-01-01T00:00:00Z annex: ERROR: dnf install condor failed\n"
			"  2030-01-01T00:00:01Z annex: the boot failed (status 1)\n") != NULL);
	CHECK(strstr(s, "\nConsole output of i-00000000000000002: not shown: AccessDenied\n") != NULL);
	CHECK(strstr(s, "Console output of i-00000000000000003") == NULL);
	free(s);
	s = render(&r, status_report_print_json);
	CHECK(strstr(s, "\"ConsoleTail\": [\n"
			"            \"2030-01-01T00:00:00Z annex: ERROR: dnf install condor failed\",\n"
			"            \"2030-01-01T00:00:01Z annex: the boot failed (status 1)\"\n"
			"          ]") != NULL);
	CHECK(strstr(s, "\"ConsoleNote\": \"not shown: AccessDenied\"") != NULL);
	free(s);
	inventory_free(&inv);
}

/* Market, cost so far and budget: spot and on-demand instances priced by
 * their tags (a type the tag does not list at its highest price), one
 * without a tag, an ended one not counted. */
static void t_cost(void)
{
	struct inventory inv;
	struct status_report r = { &inv, "c", 7200 };   /* 1970-01-01T02:00:00Z */
	struct inventory_instance in[] = {
		{ .id = "i-1", .state = "running", .annex = "c", .type = "m5.large", .launch_time = "1970-01-01T00:00:00.000Z",
		  .prices = "m5.large=0.5,c5.large=0.25", .budget = "10" },
		{ .id = "i-2", .state = "running", .annex = "c", .type = "c5.large", .launch_time = "1970-01-01T01:00:00.000Z",
		  .prices = "m5.large=0.5,c5.large=0.25", .lifecycle = "spot" },
		{ .id = "i-3", .state = "running", .annex = "c", .type = "t3.micro", .launch_time = "1970-01-01T01:00:00.000Z",
		  .prices = "m5.large=0.5", .budget = "4" },
		{ .id = "i-4", .state = "terminated", .annex = "c", .type = "m5.large",
		  .launch_time = "1970-01-01T00:00:00.000Z", .prices = "m5.large=0.5" },
		{ .id = "i-5", .state = "running", .annex = "c", .type = "m5.large", .launch_time = "1970-01-01T00:00:00.000Z" },
	};
	char *s;

	inventory_init(&inv, NULL);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		CHECK(inventory_add_instance(&inv, &in[i]) != NULL);
	inventory_sort(&inv);
	inv.pool_known = 1;
	s = render(&r, status_report_print_human);
	/* 2 h x 0.5 + 1 h x 0.25 + 1 h x 0.5 (t3.micro at the tag's highest) = 1.75 */
	CHECK(strstr(s, "\nMarket: mixed (1 spot, 4 on-demand).\n"
			"Cost so far: $1.75 for 3 of the 4 running instances; unknown for the other 1 "
			"(no htcondor:PriceUSDPerHour tag).\n"
			"Budget: $4 (htcondor:BudgetUSD); the lease function ends the annex when its cost reaches it.\n")
	      != NULL);
	free(s);
	s = render(&r, status_report_print_json);
	CHECK(strstr(s, "\"Market\": \"mixed\"") != NULL);
	CHECK(strstr(s, "\"CostSoFarUSD\": 1.75") != NULL);
	CHECK(strstr(s, "\"UnpricedInstances\": 1") != NULL);
	CHECK(strstr(s, "\"BudgetUSD\": 4") != NULL);
	CHECK(strstr(s, "\"PriceUSDPerHour\": 0.25") != NULL);
	CHECK(strstr(s, "\"Market\": \"spot\"") != NULL);
	free(s);
	s = render(&r, status_report_print_classads);
	CHECK(strstr(s, "Market = \"mixed\"\n") != NULL);
	CHECK(strstr(s, "CostSoFarUSD = 1.750000\n") != NULL);
	CHECK(strstr(s, "BudgetUSD = 4\n") != NULL);
	CHECK(strstr(s, "UnpricedInstances = 1\n") != NULL);
	free(s);
	inventory_free(&inv);
}

TESTS(T(t_camel), T(t_nothing), T(t_named_wrap), T(t_summary_and_ads), T(t_console), T(t_cost))
