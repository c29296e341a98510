/* Unit tests for cost.c: the worst case's arithmetic, its line and -max-cost. */
#include "annex/cost.h"
#include "harness.h"

#include <string.h>

static void t_arithmetic(void)
{
	CHECK(cost_worst(3, 0.096, 2) > 0.5759 && cost_worst(3, 0.096, 2) < 0.5761);
	CHECK(cost_worst(0, 1, 1) == 0);
	CHECK_INT(cost_fleet_count(32, 4), 8);
	CHECK_INT(cost_fleet_count(33, 4), 9);      /* a partial instance is a whole one */
	CHECK_INT(cost_fleet_count(32, 16), 2);
	CHECK_INT(cost_fleet_count(5, 0), 5);       /* no weight: one slot per instance */
	CHECK_INT(cost_fleet_count(5, 0.5), 10);    /* weights below 1 need more instances than slots */
	CHECK_INT(cost_fleet_count(12, 3), 4);      /* exact: no float rounding up */
}

static void t_usd(void)
{
	char b[48];
	cost_usd(12.341, b, sizeof b);
	CHECK_STR(b, "$12.35");                /* an upper bound rounds up */
	cost_usd(4.0, b, sizeof b);
	CHECK_STR(b, "$4.00");
	cost_rate(0.192, b, sizeof b);
	CHECK_STR(b, "$0.192");
	cost_rate(0.00001, b, sizeof b);
	CHECK_STR(b, "$0.00001");
	cost_rate(1.5, b, sizeof b);
	CHECK_STR(b, "$1.50");
	cost_usd(0.00016, b, sizeof b);
	CHECK_STR(b, "$0.00016");
	cost_usd(0, b, sizeof b);
	CHECK_STR(b, "$0.00");
}

static void t_line(void)
{
	struct cost_quote q;
	struct buf b = BUF_INIT;

	memset(&q, 0, sizeof q);
	q.count = 4;
	q.hours = 2;
	q.priced = 1;
	q.hourly = 0.5;
	strcpy(q.type, "m5.large");
	cost_line(&q, 1000000, &b);
	CHECK_STR(buf_cstr(&b), "Worst case: at most $4.00 (4 instances x $0.50/h x 2.00 h; on-demand price of m5.large)");
	buf_reset(&b);
	q.spot = 1;
	q.when = 1000000 - 3 * 86400;
	strcpy(q.how, "32 slots / smallest weight 8");
	cost_line(&q, 1000000, &b);
	CHECK(strstr(buf_cstr(&b), "newest spot price of m5.large; 32 slots / smallest weight 8; that price is from ") != NULL);
	CHECK(strstr(buf_cstr(&b), ", 3 days old)") != NULL);
	buf_reset(&b);
	q.when = 1000000 - 3600;               /* less than a day: no age */
	cost_line(&q, 1000000, &b);
	CHECK(strstr(buf_cstr(&b), "days old") == NULL);
	buf_reset(&b);
	q.spot = 0;
	q.priced = 0;
	q.how[0] = 0;
	q.count = 1;
	strcpy(q.why, "no route");
	cost_line(&q, 1000000, &b);
	CHECK_STR(buf_cstr(&b), "Worst case: no on-demand price available (no route); at most 1 instance x 2.00 h");
	CHECK(strchr(buf_cstr(&b), '$') == NULL);  /* never a guess */
	buf_free(&b);
}

static void t_max(void)
{
	struct cost_quote q;
	struct annex_err e;

	memset(&q, 0, sizeof q);
	q.count = 10;
	q.hours = 1;
	q.priced = 1;
	q.hourly = 0.5;                        /* worst case $5.00 */
	CHECK_INT(cost_check_max(&q, 5, &e), 0);  /* equal is within */
	CHECK_INT(cost_check_max(&q, 4.99, &e), -1);
	CHECK_STR(e.code, "MaxCost");
	CHECK(strstr(e.msg, "at most $5.00") && strstr(e.msg, "-max-cost $4.99"));
	q.priced = 0;
	strcpy(q.why, "AccessDenied");
	CHECK_INT(cost_check_max(&q, 1000, &e), -1);
	CHECK(strstr(e.msg, "can't be proven") && strstr(e.msg, "AccessDenied"));
}

static void t_capped_line(void)
{
	struct cost_quote q;
	struct buf b = BUF_INIT;

	memset(&q, 0, sizeof q);
	q.spot = q.priced = q.capped = 1;
	q.count = 2;
	q.hours = 1;
	q.hourly = 0.25;
	q.when = 1;                            /* a cap has no age */
	strcpy(q.type, "g5.xlarge");
	cost_line(&q, 1000000, &b);
	CHECK_STR(buf_cstr(&b), "Worst case: at most $0.50 (2 instances x $0.25/h x 1.00 h; the Spot Fleet config's "
		  "SpotPrice cap for g5.xlarge)");
	buf_free(&b);
}

static void t_price_tag(void)
{
	struct cost_quote q;
	char tag[COST_TAG_MAX + 1], num[32];

	cost_num(0.192, num, sizeof num);
	CHECK_STR(num, "0.192");
	cost_num(5, num, sizeof num);
	CHECK_STR(num, "5");
	cost_num(0.00001, num, sizeof num);
	CHECK_STR(num, "0.00001");
	memset(&q, 0, sizeof q);
	cost_price_tag(&q, tag, sizeof tag);
	CHECK_STR(tag, "");
	strcpy(q.prices[0].type, "m5.large");
	q.prices[0].usd = 0.096;
	strcpy(q.prices[1].type, "c7i.4xlarge");
	q.prices[1].usd = 0.714;
	q.n_prices = 2;
	cost_price_tag(&q, tag, sizeof tag);
	CHECK_STR(tag, "c7i.4xlarge=0.714,m5.large=0.096");     /* the dearest first */
	CHECK(cost_price_of(tag, "m5.large") == 0.096);
	CHECK(cost_price_of(tag, "c7i.4xlarge") == 0.714);
	CHECK(cost_price_of(tag, "m5") == -1);
	CHECK(cost_price_of(tag, "x") == -1);
	CHECK(cost_price_of("m5.large=abc", "m5.large") == -1);
	/* 64 types cannot fit in 256 characters: cut at a whole pair, the cheapest left out */
	for (size_t i = 0; i < COST_MAX_TYPES; i++) {
		snprintf(q.prices[i].type, sizeof q.prices[i].type, "r6id.%zuxlarge", i);
		q.prices[i].usd = 1 + (double)i / 100;
	}
	q.n_prices = COST_MAX_TYPES;
	cost_price_tag(&q, tag, sizeof tag);
	CHECK(strlen(tag) <= COST_TAG_MAX && strlen(tag) > 200);
	CHECK(strncmp(tag, "r6id.63xlarge=1.63,", 19) == 0);
	CHECK(tag[strlen(tag) - 1] != ',');
	CHECK(cost_price_of(tag, "r6id.0xlarge") == -1);
}

/* -auto hands its launches the price its plan quoted: the same quote, line
 * and tag as the Price List's answer would give. */
static void t_given(void)
{
	struct cost_quote q;
	struct buf line = BUF_INIT;
	char tag[COST_TAG_MAX + 1];

	cost_quote_given("m5.xlarge", 0.192, 3, 2, &q);
	CHECK(q.priced && !q.spot && q.count == 3 && q.hours == 2 && q.hourly == 0.192);
	CHECK_STR(q.type, "m5.xlarge");
	cost_price_tag(&q, tag, sizeof tag);
	CHECK_STR(tag, "m5.xlarge=0.192");
	cost_line(&q, 0, &line);
	CHECK_STR(buf_cstr(&line), "Worst case: at most $1.16 (3 instances x $0.192/h x 2.00 h; on-demand price of "
		  "m5.xlarge)");
	buf_free(&line);
}

TESTS(T(t_arithmetic), T(t_usd), T(t_line), T(t_max), T(t_capped_line), T(t_price_tag), T(t_given))
