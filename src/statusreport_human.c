/* statusreport_human.c - annex -status's human format: condor_annex 8.8's
 * own tables, byte for byte (its printHumanReadable and
 * printHumanReadableSummary: states and instance ids in byte order, the
 * 80-column wrap, the second NAME/STATUS table), then annex's own lines:
 * lease remaining per launch, instance types, Spot Fleets, pool machines
 * with no instance, and why pool membership is not shown when it is not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"
#include "annex/cost.h"
#include "annex/timefmt.h"
#include "statusreport_int.h"

/* condor_annex's printHumanReadable: one annex's STATE/COUNT table and
 * the ids not in the pool, wrapped at 80 columns. */
static void sr_human_annex(const struct status_report *r, size_t a, size_t b, FILE *out)
{
	struct sr_states st;

	sr_states_of(r, a, b, &st);
	fprintf(out, "%-14.14s %5.5s\n", "STATE", "COUNT");
	for (size_t s = 0; s < st.n; s++)
		fprintf(out, "%-14.14s %5zu\n", st.name[s], st.count[s]);
	fprintf(out, "%-14.14s %5zu\n", "TOTAL", b - a);
	if (sr_states_count(&st, "in-pool") == b - a)
		return;
	fprintf(out, "\nInstances not in the pool, grouped by state:\n");
	for (size_t s = 0; s < st.n; s++) {
		size_t column = strlen(st.name[s]);
		if (strcmp(st.name[s], "in-pool") == 0)
			continue;
		fputs(st.name[s], out);
		for (size_t i = a; i < b; i++) {
			const struct inventory_instance *in = sr_inst(r, i);
			if (strcmp(status_report_state(in), st.name[s]) != 0)
				continue;
			column += strlen(in->id) + 1;
			if (column >= 80) {
				column = strlen(st.name[s]);
				fprintf(out, "\n%*s", (int)column, "");
				column += strlen(in->id) + 1;
			}
			fprintf(out, " %s", in->id);
		}
		fputc('\n', out);
	}
}

/* condor_annex's printHumanReadableSummary: the NAME TOTAL <state>...
 * table, then (when any instance is not in the pool) NAME STATUS
 * INSTANCES... */
static void sr_human_summary(const struct status_report *r, FILE *out)
{
	struct sr_states all;
	size_t longest = 0, not_in_pool = 0;

	sr_states_of(r, 0, r->inv->n_inst, &all);
	fprintf(out, "%-27.27s %5.5s", "NAME", "TOTAL");
	for (size_t s = 0; s < all.n; s++) {
		fprintf(out, " %s", all.name[s]);
		if (strlen(all.name[s]) > longest)
			longest = strlen(all.name[s]);
	}
	fputc('\n', out);
	for (size_t a = 0, b; a < r->inv->n_inst; a = b) {
		struct sr_states st;
		b = sr_annex_end(r, a);
		sr_states_of(r, a, b, &st);
		fprintf(out, "%-27.27s %5zu", sr_inst(r, a)->annex, b - a);
		for (size_t s = 0; s < all.n; s++) {
			size_t k = sr_states_count(&st, all.name[s]);
			fprintf(out, " %*zu", (int)strlen(all.name[s]), k);
			if (strcmp(all.name[s], "in-pool") != 0)
				not_in_pool += k;
		}
		fputc('\n', out);
	}
	if (!not_in_pool)
		return;
	fprintf(out, "\n%-27.27s %-*s INSTANCES...\n", "NAME", (int)longest, "STATUS");
	for (size_t a = 0, b; a < r->inv->n_inst; a = b) {
		struct sr_states st;
		b = sr_annex_end(r, a);
		sr_states_of(r, a, b, &st);
		for (size_t s = 0; s < st.n; s++) {
			if (strcmp(st.name[s], "in-pool") == 0)
				continue;
			fprintf(out, "%-27.27s %-*s", sr_inst(r, a)->annex, (int)longest, st.name[s]);
			for (size_t i = a; i < b; i++)
				if (strcmp(status_report_state(sr_inst(r, i)), st.name[s]) == 0)
					fprintf(out, " %s", sr_inst(r, i)->id);
			fputc('\n', out);
		}
	}
}

/* The market, the cost so far and the budget of instances [a, b). */
static void sr_human_cost(const struct status_report *r, size_t a, size_t b, const char *prefix, FILE *out)
{
	struct sr_cost c;
	char usd[48];

	sr_cost_of(r, a, b, &c);
	if (!sr_market(&c))
		return;
	fprintf(out, "%sMarket: %s", prefix, sr_market(&c));
	if (c.spot && c.on_demand)
		fprintf(out, " (%zu spot, %zu on-demand)", c.spot, c.on_demand);
	fputs(".\n", out);
	if (c.live) {
		cost_usd(c.usd, usd, sizeof(usd));
		if (c.priced == c.live)
			fprintf(out, "%sCost so far: %s (%zu running instance%s x hours since launch x the hourly price "
				"quoted at launch%s).\n", prefix, usd, c.live, c.live == 1 ? "" : "s",
				c.spot ? "; spot prices are estimates" : "");
		else if (c.priced)
			fprintf(out, "%sCost so far: %s for %zu of the %zu running instances; unknown for the other %zu "
				"(no htcondor:PriceUSDPerHour tag).\n", prefix, usd, c.priced, c.live, c.live - c.priced);
		else
			fprintf(out, "%sCost so far: unknown (no running instance carries a htcondor:PriceUSDPerHour "
				"tag).\n", prefix);
	}
	if (c.budget > 0) {
		cost_num(c.budget, usd, sizeof(usd));
		fprintf(out, "%sBudget: $%s (htcondor:BudgetUSD); the lease function ends the annex when its cost "
			"reaches it.\n", prefix, usd);
	}
}

/* annex's own lines about one annex, each prefixed by prefix ("" or
 * "NAME: "): lease remaining per launch, instance types, Spot Fleets, and
 * pool machines that claim the annex but match no instance. */
static void sr_human_extras(const struct status_report *r, const char *name, const char *prefix, FILE *out)
{
	size_t a, b, n_leases, n_types, n_pool_only;
	struct sr_lease *leases;
	struct sr_type *types;
	const char **pool_only;

	sr_range(r, name, &a, &b);
	leases = sr_leases(r, a, b, &n_leases);
	for (size_t i = 0; i < n_leases; i++) {
		const char *who = leases[i].annex_id ? leases[i].annex_id : "instances without htcondor:AnnexId";
		time_t end = timefmt_parse_time(leases[i].lease);
		if (!leases[i].lease)
			fprintf(out, "%sLease of %s: no htcondor:LeaseExpiration tag.\n", prefix, who);
		else if (end == (time_t)-1)
			fprintf(out, "%sLease of %s: unreadable htcondor:LeaseExpiration tag '%s'.\n", prefix, who,
				leases[i].lease);
		else if (end >= r->now)
			fprintf(out, "%sLease of %s: %.2f hours remaining (until %s).\n", prefix, who,
				(double)(end - r->now) / 3600.0, leases[i].lease);
		else
			fprintf(out, "%sLease of %s: expired %.2f hours ago (at %s).\n", prefix, who,
				(double)(r->now - end) / 3600.0, leases[i].lease);
	}
	free(leases);
	types = sr_types(r, a, b, &n_types);
	if (n_types) {
		fprintf(out, "%sInstance types:", prefix);
		for (size_t i = 0; i < n_types; i++)
			fprintf(out, "%s %s %zu", i ? "," : "", types[i].type, types[i].count);
		fputs(".\n", out);
	}
	free(types);
	sr_human_cost(r, a, b, prefix, out);
	for (size_t i = 0; i < r->inv->n_fleets; i++) {
		const struct inventory_fleet *f = &r->inv->fleets[i];
		if (strcmp(f->annex, name) != 0)
			continue;
		fprintf(out, "%sSpot Fleet %s: %s", prefix, f->id, sr_fleet_state(f));
		if (f->target >= 0)
			fprintf(out, ", target capacity %ld", f->target);
		if (f->valid_until)
			fprintf(out, ", valid until %s", f->valid_until);
		fputs(".\n", out);
	}
	pool_only = sr_pool_only(r, name, &n_pool_only);
	if (n_pool_only) {
		fprintf(out, "%sIn the pool but not an instance found in EC2:", prefix);
		for (size_t i = 0; i < n_pool_only; i++)
			fprintf(out, " %s", pool_only[i]);
		fputc('\n', out);
	}
	free(pool_only);
	/* why a node never joined: what annex's boot script logged */
	for (size_t i = a; i < b; i++) {
		const struct inventory_instance *in = sr_inst(r, i);
		if (in->console_note)
			fprintf(out, "%sConsole output of %s: %s\n", prefix, in->id, in->console_note);
		if (!in->console)
			continue;
		fprintf(out, "%sConsole output of %s (not in the pool), last lines:\n", prefix, in->id);
		for (const char *l = in->console; *l;) {
			size_t len = strcspn(l, "\n");
			fprintf(out, "%s  %.*s\n", prefix, (int)len, l);
			l += len + (l[len] == '\n');
		}
	}
}

/* The extra lines of the named annexes, preceded by an empty line when
 * there are any. */
static void sr_human_extras_block(const struct status_report *r, const char *const *names, size_t n,
				  int prefixed, FILE *out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		return;
	for (size_t i = 0; i < n; i++) {
		char *prefix = prefixed ? xasprintf("%s: ", names[i]) : xstrdup("");
		sr_human_extras(r, names[i], prefix, mem);
		free(prefix);
	}
	fclose(mem);
	if (len)
		fprintf(out, "\n%s", text);
	free(text);
}

void status_report_print_human(const struct status_report *r, FILE *out)
{
	if (r->annex_name) {
		size_t a, b;
		if (sr_named_range(r, &a, &b, out))
			sr_human_annex(r, a, b, out);
		sr_human_extras_block(r, &r->annex_name, 1, 0, out);
	} else {
		const char **names;
		size_t n_names;
		if (sr_any(r, out))
			sr_human_summary(r, out);
		names = sr_annex_names(r, &n_names);
		sr_human_extras_block(r, names, n_names, 1, out);
		free(names);
	}
	if (!r->inv->pool_known && r->inv->pool_note && r->inv->n_inst)
		fprintf(out, "%s\n", r->inv->pool_note);
}

