/* cost.h - a launch's worst case (issue 21, item 3): count x the highest
 * hourly price x the lease, for the prompt and -max-cost, and the price
 * tag every real launch (-yes too) puts on its instances. On-demand
 * prices come from the AWS Price List API (GetProducts), spot prices
 * from EC2 DescribeSpotPriceHistory (Linux/UNIX, the newest point per
 * type). Read-only calls; a price that cannot be had is said, never
 * guessed. */
#ifndef ANNEX_COST_H
#define ANNEX_COST_H

#include <stddef.h>
#include <time.h>

#include "annex/aws.h"
#include "annex/buf.h"
#include "annex/err.h"

#define COST_MAX_TYPES 64
#define COST_TAG_MAX 256        /* EC2's limit on a tag value */

struct cost_quote {
	int spot;               /* spot prices (a Spot Fleet, -spot), else on-demand */
	long count;             /* the most instances the launch could start */
	double hours;           /* the lease */
	int priced;             /* hourly and type are known */
	double hourly;          /* the highest hourly price (USD) among the types */
	char type[64];          /* ... and its type */
	time_t when;            /* spot: the price point's time */
	char why[320];          /* not priced: why */
	char how[160];          /* how count was bound (Spot Fleet weights) */
	int capped;             /* spot: hourly is a SpotPrice cap of the config, not a market point */
	/* what each type is quoted at per hour (on-demand: its price; spot:
	 * its newest point, an estimate), for the htcondor:PriceUSDPerHour
	 * tag; may be set when priced is not (a Spot Fleet whose caps are
	 * missing for some type) */
	struct cost_price {
		char type[32];
		double usd;
	} prices[COST_MAX_TYPES];
	size_t n_prices;
};

/* count x hourly x hours, in USD. */
double cost_worst(long count, double hourly, double hours);

/* The instances a Spot Fleet of slots capacity units could need: the
 * capacity over the smallest weight, rounded up (weights <= 0 count 1). */
long cost_fleet_count(long slots, double min_weight);

/* A total: "$12.35" for amounts of a cent and more, rounded up (it is an
 * upper bound), up to six decimals below (the emulator's spot prices are
 * $0.00001). */
void cost_usd(double usd, char *out, size_t n);
/* An hourly price as given: "$0.192", "$0.00001", "$1.50". */
void cost_rate(double usd, char *out, size_t n);

/* The prompt's line, without newline: "Worst case: at most $X (...)" or
 * "Worst case: no on-demand price available (WHY); at most N instances x H h". */
void cost_line(const struct cost_quote *q, time_t now, struct buf *out);

/* -max-cost: 0 when the worst case is proven within max_usd; otherwise -1
 * with err "MaxCost" naming both numbers, or saying the ceiling cannot be
 * proven when no price could be had. */
int cost_check_max(const struct cost_quote *q, double max_usd, struct annex_err *err);

/* An on-demand launch of count instances of type in region. Always
 * returns with q filled; q->priced says whether a price was had. */
void cost_quote_ondemand(struct aws_ctx *aws, const char *region, const char *type, long count, double hours,
			 struct cost_quote *q);

/* An on-demand launch of count instances of type at an hourly price
 * already quoted (annex -auto's plan asked the Price List for it): the
 * same quote as cost_quote_ondemand's, without the call. */
void cost_quote_given(const char *type, double hourly, long count, double hours, struct cost_quote *q);

/* A Spot Fleet: the types and weights cfg names, slots capacity units.
 * Each launch specification's bound is its SpotPrice, else the config's
 * SpotPrice, else its type's newest spot point: a cap is what an instance
 * can cost at most, a point only what it costs now. */
void cost_quote_fleet(struct aws_ctx *aws, json_object *cfg, long slots, double hours, struct cost_quote *q);

/* A number of dollars as tags carry it: "0.192", "5", "0.00001" (six
 * decimals at most, trailing zeros dropped). */
void cost_num(double usd, char *out, size_t n);

/* The htcondor:PriceUSDPerHour tag of q's prices: "TYPE=USD[,TYPE=USD...]",
 * the dearest first, cut to COST_TAG_MAX characters at a whole pair (a type
 * left out is cheaper than each one listed); "" when there are none. */
void cost_price_tag(const struct cost_quote *q, char *out, size_t n);

/* The price of type in such a tag; -1 when the tag does not list it or is
 * malformed. */
double cost_price_of(const char *tag, const char *type);
/* What an instance of type with that tag is reckoned at: its type's price,
 * else the highest the tag lists (a type left out is cheaper); -1 when the
 * tag lists none. The lease function's instance_price is the same rule. */
double cost_price_for(const char *tag, const char *type);
/* An EC2 Fleet of count instances of any of the n types: the highest
 * price among them (spot: one DescribeSpotPriceHistory for every type;
 * on-demand, or spot with spot_fallback: GetProducts per type). At most
 * 64 types (launch refuses more). */
void cost_quote_types(struct aws_ctx *aws, const char *region, char *const *types, size_t n, int spot,
		      int spot_fallback, long count, double hours, struct cost_quote *q);

#endif
