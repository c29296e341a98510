/* cost.c - a launch's worst case and -max-cost (see include/annex/cost.h). */
#include "annex/cost.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/params.h"
#include "annex/timefmt.h"
#include "annex/xml.h"

double cost_worst(long count, double hourly, double hours)
{
	return (double)count * hourly * hours;
}

long cost_fleet_count(long slots, double min_weight)
{
	if (!(min_weight > 0) || min_weight >= 1e9)
		min_weight = 1;
	return (long)ceil((double)slots / min_weight - 1e-9);
}

/* Up to six decimals, trailing zeros dropped, at least two. */
static void usd_fine(double usd, char *out, size_t n)
{
	size_t len;

	snprintf(out, n, "$%.6f", usd);
	len = strlen(out);
	while (len > 0 && out[len - 1] == '0' && len >= 4 && out[len - 3] != '.')
		out[--len] = 0;
}

void cost_usd(double usd, char *out, size_t n)
{
	/* an upper bound: rounded up to the cent, never down */
	if (usd <= 0)
		snprintf(out, n, "$0.00");
	else if (usd >= 0.01)
		snprintf(out, n, "$%.2f", ceil(usd * 100 - 1e-6) / 100);
	else
		usd_fine(usd, out, n);
}

void cost_rate(double usd, char *out, size_t n)
{
	usd_fine(usd, out, n);
}

void cost_line(const struct cost_quote *q, time_t now, struct buf *out)
{
	char total[48], hourly[48], when[TIMEFMT_ISO8601_SIZE];

	if (!q->priced) {
		buf_printf(out, "Worst case: no %s price available (%s); at most %ld instance%s x %.2f h",
			   q->spot ? "spot" : "on-demand", q->why, q->count, q->count == 1 ? "" : "s", q->hours);
		if (q->how[0])
			buf_printf(out, " (%s)", q->how);
		return;
	}
	cost_usd(cost_worst(q->count, q->hourly, q->hours), total, sizeof(total));
	cost_rate(q->hourly, hourly, sizeof(hourly));
	buf_printf(out, "Worst case: at most %s (%ld instance%s x %s/h x %.2f h; %s %s", total, q->count,
		   q->count == 1 ? "" : "s", hourly, q->hours,
		   q->capped ? "the Spot Fleet config's SpotPrice cap for" :
		   q->spot ? "newest spot price of" : "on-demand price of", q->type);
	if (q->how[0])
		buf_printf(out, "; %s", q->how);
	if (q->spot && !q->capped && q->when > 0 && now - q->when > 86400) {
		timefmt_iso8601(q->when, when);
		buf_printf(out, "; that price is from %s, %ld days old", when, (long)((now - q->when) / 86400));
	}
	buf_puts(out, ")");
}

int cost_check_max(const struct cost_quote *q, double max_usd, struct annex_err *err)
{
	char total[48], max[48];

	cost_usd(max_usd, max, sizeof(max));
	if (!q->priced)
		return annex_err_set(err, "MaxCost", "-max-cost %s: no %s price available (%s), so the ceiling "
				     "can't be proven; not launching", max, q->spot ? "spot" : "on-demand", q->why);
	cost_usd(cost_worst(q->count, q->hourly, q->hours), total, sizeof(total));
	if (cost_worst(q->count, q->hourly, q->hours) > max_usd)
		return annex_err_set(err, "MaxCost", "the worst case, at most %s, exceeds -max-cost %s; not launching",
				     total, max);
	return 0;
}

static void quote_init(struct cost_quote *q, int spot, long count, double hours)
{
	memset(q, 0, sizeof(*q));
	q->spot = spot;
	q->count = count;
	q->hours = hours;
}

/* One type's quoted price, for the price tag (at most COST_MAX_TYPES). */
static void quote_add_price(struct cost_quote *q, const char *type, double usd)
{
	struct cost_price *cp;

	if (q->n_prices == COST_MAX_TYPES)
		return;
	cp = &q->prices[q->n_prices++];
	snprintf(cp->type, sizeof(cp->type), "%s", type);
	cp->usd = usd;
}

static void why_from(struct cost_quote *q, const char *what, const struct annex_err *e)
{
	snprintf(q->why, sizeof(q->why), "%.30s: %.280s", what, e->msg[0] ? e->msg : e->code);
}

/* ---- on-demand: the Price List API ---- */

static void add_filter(json_object *filters, const char *field, const char *value)
{
	json_object *f = json_object_new_object();

	json_object_object_add(f, "Type", json_object_new_string("TERM_MATCH"));
	json_object_object_add(f, "Field", json_object_new_string(field));
	json_object_object_add(f, "Value", json_object_new_string(value));
	json_object_array_add(filters, f);
}

/* The highest hourly USD price in one PriceList entry's OnDemand terms
 * (a JSON document in a string), or -1. */
static double product_hourly(const char *doc)
{
	json_object *p = json_tokener_parse(doc), *terms, *od;
	double best = -1;

	if (p && json_object_object_get_ex(p, "terms", &terms) && json_object_object_get_ex(terms, "OnDemand", &od)) {
		json_object_object_foreach(od, k1, offer) {
			json_object *dims;
			(void)k1;
			if (!json_object_object_get_ex(offer, "priceDimensions", &dims))
				continue;
			json_object_object_foreach(dims, k2, dim) {
				json_object *ppu, *usd;
				(void)k2;
				if (json_object_object_get_ex(dim, "pricePerUnit", &ppu) &&
				    json_object_object_get_ex(ppu, "USD", &usd)) {
					double v = atof(json_object_get_string(usd));
					if (v > best)
						best = v;
				}
			}
		}
	}
	json_object_put(p);
	return best;
}

static int ondemand_price(struct aws_ctx *aws, const char *region, const char *type, double *hourly,
			  struct annex_err *err)
{
	json_object *in = json_object_new_object(), *filters = json_object_new_array(), *out = NULL, *list;
	int rc;

	*hourly = -1;
	add_filter(filters, "instanceType", type);
	add_filter(filters, "regionCode", region);
	add_filter(filters, "operatingSystem", "Linux");
	add_filter(filters, "tenancy", "Shared");
	add_filter(filters, "preInstalledSw", "NA");
	add_filter(filters, "capacitystatus", "Used");
	add_filter(filters, "licenseModel", "No License required");
	json_object_object_add(in, "ServiceCode", json_object_new_string("AmazonEC2"));
	json_object_object_add(in, "FormatVersion", json_object_new_string("aws_v1"));
	json_object_object_add(in, "Filters", filters);
	json_object_object_add(in, "MaxResults", json_object_new_int(20));
	rc = aws_json11(aws, AWS_PRICING, "GetProducts", in, &out, err);
	json_object_put(in);
	if (rc == 0 && json_object_object_get_ex(out, "PriceList", &list) && json_object_is_type(list, json_type_array))
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			double v = product_hourly(json_object_get_string(json_object_array_get_idx(list, i)));
			if (v > *hourly)
				*hourly = v;
		}
	json_object_put(out);
	if (rc == 0 && !(*hourly > 0))
		rc = annex_err_set(err, "NoPrice", "the Price List has no Linux on-demand price for %s in %s",
				   type, region);
	return rc;
}

void cost_quote_ondemand(struct aws_ctx *aws, const char *region, const char *type, long count, double hours,
			 struct cost_quote *q)
{
	struct annex_err e;
	double hourly;

	quote_init(q, 0, count, hours);
	memset(&e, 0, sizeof(e));
	if (ondemand_price(aws, region, type, &hourly, &e) != 0) {
		why_from(q, "Price List GetProducts", &e);
		return;
	}
	cost_quote_given(type, hourly, count, hours, q);
}

void cost_quote_given(const char *type, double hourly, long count, double hours, struct cost_quote *q)
{
	quote_init(q, 0, count, hours);
	q->priced = 1;
	q->hourly = hourly;
	snprintf(q->type, sizeof(q->type), "%s", type);
	quote_add_price(q, type, hourly);
}

/* ---- spot: DescribeSpotPriceHistory ---- */

/* The types a Spot Fleet config names, each with its bound: the highest
 * SpotPrice cap among the launch specifications naming it, or none when
 * one of them has no cap (then only the market point bounds it). */
struct fleet_types {
	const char *type[COST_MAX_TYPES];
	double cap[COST_MAX_TYPES];     /* > 0: every spec of the type is capped, at most this */
	int uncapped[COST_MAX_TYPES];
	size_t n;
	double min_weight;
	double global_cap;              /* the config's SpotPrice; 0: none */
};

/* A SpotPrice member (a string of dollars, or a number); 0 when absent. */
static double spot_cap(json_object *o)
{
	json_object *v;

	if (!json_object_object_get_ex(o, "SpotPrice", &v))
		return 0;
	if (json_object_is_type(v, json_type_string))
		return atof(json_object_get_string(v));
	return json_object_get_double(v);
}

static void fleet_add(struct fleet_types *ft, json_object *spec)
{
	json_object *v;
	double w = 1, cap = spot_cap(spec);
	size_t i;

	if (json_object_object_get_ex(spec, "WeightedCapacity", &v))
		w = json_object_get_double(v);
	if (w > 0 && (ft->min_weight <= 0 || w < ft->min_weight))
		ft->min_weight = w;
	if (!json_object_object_get_ex(spec, "InstanceType", &v) || !json_object_is_type(v, json_type_string))
		return;
	if (!(cap > 0))
		cap = ft->global_cap;
	for (i = 0; i < ft->n; i++)
		if (strcmp(ft->type[i], json_object_get_string(v)) == 0)
			break;
	if (i == ft->n) {
		if (ft->n == COST_MAX_TYPES)
			return;
		ft->type[ft->n++] = json_object_get_string(v);
	}
	if (!(cap > 0))
		ft->uncapped[i] = 1;
	else if (cap > ft->cap[i])
		ft->cap[i] = cap;
}

static void fleet_list(struct fleet_types *ft, json_object *list)
{
	for (size_t i = 0; list && json_object_is_type(list, json_type_array) && i < json_object_array_length(list); i++)
		fleet_add(ft, json_object_array_get_idx(list, i));
}

static void fleet_collect(json_object *cfg, struct fleet_types *ft)
{
	json_object *list, *ltcs;

	memset(ft, 0, sizeof(*ft));
	ft->global_cap = spot_cap(cfg);
	if (json_object_object_get_ex(cfg, "LaunchSpecifications", &list))
		fleet_list(ft, list);
	if (json_object_object_get_ex(cfg, "LaunchTemplateConfigs", &ltcs) && json_object_is_type(ltcs, json_type_array))
		for (size_t i = 0; i < json_object_array_length(ltcs); i++)
			if (json_object_object_get_ex(json_object_array_get_idx(ltcs, i), "Overrides", &list))
				fleet_list(ft, list);
}

/* The newest point per type into price[] and when[] (0: no point); at
 * equal times (one per zone) the highest. */
static int spot_history(struct aws_ctx *aws, const struct fleet_types *ft, double *price, time_t *when,
			struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	char name[48], now_iso[TIMEFMT_ISO8601_SIZE];
	xmlDoc *doc = NULL;
	xmlNode *set, *it;
	int rc;

	params_add(&p, "ProductDescription.1", "Linux/UNIX");
	for (size_t i = 0; i < ft->n; i++) {
		snprintf(name, sizeof(name), "InstanceType.%zu", i + 1);
		params_add(&p, name, ft->type[i]);
	}
	/* the price in effect now, per zone, not 90 days of history */
	timefmt_iso8601(time(NULL), now_iso);
	params_add(&p, "StartTime", now_iso);
	rc = aws_query(aws, AWS_EC2, "DescribeSpotPriceHistory", &p, &doc, err);
	params_free(&p);
	if (rc != 0)
		return -1;
	set = xml_find_deep(xmlDocGetRootElement(doc), "spotPriceHistorySet");
	for (it = set ? xml_first(set, "item") : NULL; it; it = xml_next(it, "item")) {
		char type[64], sp[32], ts[64];
		time_t t = 0;
		if (xml_text_buf(it, "instanceType", type, sizeof(type)) != 0 ||
		    xml_text_buf(it, "spotPrice", sp, sizeof(sp)) != 0)
			continue;
		/* to the second: the emulator's have nanoseconds */
		if (xml_text_buf(it, "timestamp", ts, sizeof(ts)) == 0 && strlen(ts) >= 19) {
			ts[19] = 0;
			strcat(ts, "Z");
			t = timefmt_parse_time(ts);
		}
		for (size_t i = 0; i < ft->n; i++)
			if (strcmp(ft->type[i], type) == 0 &&
			    (t > when[i] || (t == when[i] && atof(sp) > price[i]))) {
				when[i] = t;
				price[i] = atof(sp);
			}
	}
	xmlFreeDoc(doc);
	return 0;
}

/* The worst case of the types: each type's bound is its cap when every
 * spec naming it has one, else its newest point; the highest bound wins. */
static int fleet_bound(const struct fleet_types *ft, const double *price, const time_t *when, int have_history,
		       struct cost_quote *q, struct annex_err *err)
{
	for (size_t i = 0; i < ft->n; i++) {
		double bound;
		int capped = !ft->uncapped[i];
		if (capped)
			bound = ft->cap[i];
		else if (have_history && price[i] > 0)
			bound = price[i];
		else if (have_history)
			return annex_err_set(err, "NoPrice", "no Linux/UNIX spot price history for %s", ft->type[i]);
		else
			return -1;
		if (bound > q->hourly) {
			q->hourly = bound;
			q->capped = capped;
			q->when = capped ? 0 : when[i];
			snprintf(q->type, sizeof(q->type), "%s", ft->type[i]);
		}
	}
	return 0;
}

void cost_quote_fleet(struct aws_ctx *aws, json_object *cfg, long slots, double hours, struct cost_quote *q)
{
	struct fleet_types ft;
	struct annex_err e;
	double price[COST_MAX_TYPES] = { 0 };
	time_t when[COST_MAX_TYPES] = { 0 };
	int have;

	fleet_collect(cfg, &ft);
	quote_init(q, 1, cost_fleet_count(slots, ft.min_weight), hours);
	if (ft.min_weight > 0 && ft.min_weight != 1)
		snprintf(q->how, sizeof(q->how), "%ld slots / smallest weight %g", slots, ft.min_weight);
	memset(&e, 0, sizeof(e));
	if (ft.n == 0) {
		snprintf(q->why, sizeof(q->why), "the Spot Fleet config names no instance type");
		return;
	}
	/* the points are asked even when every type is capped: the price
	 * tags record what the instances are likely to cost, not the cap */
	have = spot_history(aws, &ft, price, when, &e) == 0;
	if (!have)
		why_from(q, "DescribeSpotPriceHistory", &e);
	for (size_t i = 0; have && i < ft.n; i++)
		if (price[i] > 0)
			quote_add_price(q, ft.type[i], price[i]);
	memset(&e, 0, sizeof(e));
	if (fleet_bound(&ft, price, when, have, q, &e) != 0) {
		if (have)
			why_from(q, "DescribeSpotPriceHistory", &e);
		q->hourly = 0;
		q->capped = 0;
		return;
	}
	q->why[0] = 0;
	q->priced = 1;
}

/* ---- the price tag ---- */

void cost_num(double usd, char *out, size_t n)
{
	size_t len;

	snprintf(out, n, "%.6f", usd);
	len = strlen(out);
	while (len > 0 && out[len - 1] == '0')
		out[--len] = 0;
	if (len > 0 && out[len - 1] == '.')
		out[--len] = 0;
}

static int price_cmp(const void *a, const void *b)
{
	const struct cost_price *x = a, *y = b;

	if (x->usd != y->usd)
		return x->usd < y->usd ? 1 : -1;
	return strcmp(x->type, y->type);
}

void cost_price_tag(const struct cost_quote *q, char *out, size_t n)
{
	struct cost_price sorted[COST_MAX_TYPES];
	size_t len = 0;

	if (n)
		out[0] = 0;
	memcpy(sorted, q->prices, q->n_prices * sizeof(sorted[0]));
	qsort(sorted, q->n_prices, sizeof(sorted[0]), price_cmp);
	for (size_t i = 0; i < q->n_prices; i++) {
		char pair[80], num[32];
		int k;
		cost_num(sorted[i].usd, num, sizeof(num));
		k = snprintf(pair, sizeof(pair), "%s%s=%s", len ? "," : "", sorted[i].type, num);
		if (k < 0 || len + (size_t)k > COST_TAG_MAX || len + (size_t)k >= n)
			break;
		memcpy(out + len, pair, (size_t)k + 1);
		len += (size_t)k;
	}
}

double cost_price_of(const char *tag, const char *type)
{
	size_t tl = strlen(type);

	for (const char *p = tag; p && *p;) {
		const char *end = strchr(p, ','), *eq = strchr(p, '=');
		if (!end)
			end = p + strlen(p);
		if (eq && eq < end && (size_t)(eq - p) == tl && strncmp(p, type, tl) == 0) {
			char *stop;
			double v = strtod(eq + 1, &stop);
			return stop == end && v >= 0 ? v : -1;
		}
		p = *end ? end + 1 : end;
	}
	return -1;
}

double cost_price_for(const char *tag, const char *type)
{
	double own = cost_price_of(tag, type), best = -1;

	if (own >= 0)
		return own;
	for (const char *p = tag; p && *p;) {
		const char *end = strchr(p, ','), *eq = strchr(p, '=');
		if (!end)
			end = p + strlen(p);
		if (eq && eq < end && eq > p) {
			char *stop;
			double v = strtod(eq + 1, &stop);
			if (stop == end && v > best)
				best = v;
		}
		p = *end ? end + 1 : end;
	}
	return best;
}

/* ---- an EC2 Fleet: several types (issue 21, item 1) ---- */

void cost_quote_types(struct aws_ctx *aws, const char *region, char *const *types, size_t n, int spot,
		      int spot_fallback, long count, double hours, struct cost_quote *q)
{
	struct fleet_types ft;
	struct annex_err e;
	double price[COST_MAX_TYPES] = { 0 };
	time_t when[COST_MAX_TYPES] = { 0 };

	/* with the on-demand fallback any instance may be on-demand, which
	 * bounds a spot price too (spot is never above it) */
	quote_init(q, spot && !spot_fallback, count, hours);
	memset(&ft, 0, sizeof(ft));
	for (size_t i = 0; i < n && ft.n < COST_MAX_TYPES; i++) {
		ft.type[ft.n] = types[i];
		ft.uncapped[ft.n++] = 1;   /* an EC2 Fleet of annex's has no SpotPrice cap */
	}
	memset(&e, 0, sizeof(e));
	if (spot_fallback)
		snprintf(q->how, sizeof(q->how), "spot with the on-demand fallback: on-demand prices bound it");
	if (q->spot) {
		if (spot_history(aws, &ft, price, when, &e) != 0) {
			why_from(q, "DescribeSpotPriceHistory", &e);
			return;
		}
		for (size_t i = 0; i < ft.n; i++)
			if (price[i] > 0)
				quote_add_price(q, ft.type[i], price[i]);
		memset(&e, 0, sizeof(e));
		if (fleet_bound(&ft, price, when, 1, q, &e) != 0) {
			why_from(q, "DescribeSpotPriceHistory", &e);
			q->hourly = 0;
			q->type[0] = 0;
			return;
		}
		q->priced = 1;
		return;
	}
	for (size_t i = 0; i < ft.n; i++) {
		double hourly;
		if (ondemand_price(aws, region, ft.type[i], &hourly, &e) != 0) {
			why_from(q, "Price List GetProducts", &e);
			q->hourly = 0;
			q->type[0] = 0;
			return;
		}
		quote_add_price(q, ft.type[i], hourly);
		if (hourly > q->hourly) {
			q->hourly = hourly;
			snprintf(q->type, sizeof(q->type), "%s", ft.type[i]);
		}
	}
	q->priced = 1;
}
