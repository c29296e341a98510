/* statusreport_json.c - annex -status -json: {"PoolMembershipKnown",
 * "PoolNote", "Annexes": [...]}, one object per annex with its states,
 * instances, leases, types, Spot Fleets and pool machines with no
 * instance; null for what is not known. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/timefmt.h"
#include "statusreport_int.h"

static json_object *sr_json_str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *sr_json_annex(const struct status_report *r, const char *name)
{
	json_object *o = json_object_new_object(), *states = json_object_new_object();
	json_object *insts = json_object_new_array(), *types_o = json_object_new_object();
	json_object *leases_a = json_object_new_array(), *fleets = json_object_new_array();
	json_object *pool_only = json_object_new_array();
	size_t a, b, n_types, n_leases, n_ids;
	struct sr_states st;
	struct sr_type *types;
	struct sr_lease *leases;
	struct sr_cost cost;
	const char **ids;

	sr_range(r, name, &a, &b);
	sr_states_of(r, a, b, &st);
	json_object_object_add(o, "AnnexName", json_object_new_string(name));
	json_object_object_add(o, "TotalInstances", json_object_new_int64((int64_t)(b - a)));
	for (size_t s = 0; s < st.n; s++)
		json_object_object_add(states, st.name[s], json_object_new_int64((int64_t)st.count[s]));
	json_object_object_add(o, "States", states);
	for (size_t i = a; i < b; i++) {
		const struct inventory_instance *in = sr_inst(r, i);
		json_object *j = json_object_new_object();
		json_object_object_add(j, "InstanceId", json_object_new_string(in->id));
		json_object_object_add(j, "State", json_object_new_string(status_report_state(in)));
		json_object_object_add(j, "EC2State", json_object_new_string(in->state));
		json_object_object_add(j, "InPool", r->inv->pool_known ?
				       json_object_new_boolean(in->joined != INVENTORY_NOT_JOINED) : NULL);
		json_object_object_add(j, "InstanceType", sr_json_str(in->type));
		json_object_object_add(j, "AnnexId", sr_json_str(in->annex_id));
		json_object_object_add(j, "LeaseExpiration", sr_json_str(in->lease));
		json_object_object_add(j, "Market", json_object_new_string(sr_inst_market(in)));
		json_object_object_add(j, "PriceUSDPerHour", sr_inst_price(in) >= 0 ?
				       json_object_new_double(sr_inst_price(in)) : NULL);
		json_object_object_add(j, "LaunchTime", sr_json_str(in->launch_time));
		if (in->console) {
			json_object *lines = json_object_new_array();
			for (const char *l = in->console; *l;) {
				size_t len = strcspn(l, "\n");
				json_object_array_add(lines, json_object_new_string_len(l, (int)len));
				l += len + (l[len] == '\n');
			}
			json_object_object_add(j, "ConsoleTail", lines);
		}
		if (in->console_note)
			json_object_object_add(j, "ConsoleNote", json_object_new_string(in->console_note));
		json_object_array_add(insts, j);
	}
	json_object_object_add(o, "Instances", insts);
	leases = sr_leases(r, a, b, &n_leases);
	for (size_t i = 0; i < n_leases; i++) {
		json_object *j = json_object_new_object();
		time_t t = timefmt_parse_time(leases[i].lease);
		json_object_object_add(j, "AnnexId", sr_json_str(leases[i].annex_id));
		json_object_object_add(j, "LeaseExpiration", sr_json_str(leases[i].lease));
		json_object_object_add(j, "RemainingSeconds",
				       t == (time_t)-1 ? NULL : json_object_new_int64((int64_t)(t - r->now)));
		json_object_object_add(j, "Instances", json_object_new_int64((int64_t)leases[i].count));
		json_object_array_add(leases_a, j);
	}
	free(leases);
	json_object_object_add(o, "Leases", leases_a);
	types = sr_types(r, a, b, &n_types);
	for (size_t i = 0; i < n_types; i++)
		json_object_object_add(types_o, types[i].type, json_object_new_int64((int64_t)types[i].count));
	free(types);
	json_object_object_add(o, "InstanceTypes", types_o);
	sr_cost_of(r, a, b, &cost);
	json_object_object_add(o, "Market", sr_json_str(sr_market(&cost)));
	/* null when no running instance is priced; UnpricedInstances says how
	 * many running ones the sum leaves out */
	json_object_object_add(o, "CostSoFarUSD", cost.priced ? json_object_new_double(cost.usd) : NULL);
	json_object_object_add(o, "UnpricedInstances", json_object_new_int64((int64_t)(cost.live - cost.priced)));
	json_object_object_add(o, "BudgetUSD", cost.budget > 0 ? json_object_new_double(cost.budget) : NULL);
	for (size_t i = 0; i < r->inv->n_fleets; i++) {
		const struct inventory_fleet *f = &r->inv->fleets[i];
		json_object *j;
		if (strcmp(f->annex, name) != 0)
			continue;
		j = json_object_new_object();
		json_object_object_add(j, "SpotFleetRequestId", json_object_new_string(f->id));
		json_object_object_add(j, "State", json_object_new_string(sr_fleet_state(f)));
		json_object_object_add(j, "TargetCapacity", f->target >= 0 ? json_object_new_int64(f->target) : NULL);
		json_object_object_add(j, "ValidUntil", sr_json_str(f->valid_until));
		json_object_array_add(fleets, j);
	}
	json_object_object_add(o, "SpotFleets", fleets);
	ids = sr_pool_only(r, name, &n_ids);
	for (size_t i = 0; i < n_ids; i++)
		json_object_array_add(pool_only, json_object_new_string(ids[i]));
	free(ids);
	json_object_object_add(o, "InPoolNotInEC2", pool_only);
	return o;
}

/* {"PoolMembershipKnown": bool, "PoolNote": str|null, "Annexes": [...]}:
 * with a name, the annex when anything of it was found; without, every
 * annex that has instances, fleets or pool machines. */
void status_report_print_json(const struct status_report *r, FILE *out)
{
	json_object *top = json_object_new_object(), *annexes = json_object_new_array();
	const char **names;
	size_t n_names;

	names = sr_annex_names(r, &n_names);
	for (size_t i = 0; i < n_names; i++)
		if (!r->annex_name || strcmp(r->annex_name, names[i]) == 0)
			json_object_array_add(annexes, sr_json_annex(r, names[i]));
	free(names);
	json_object_object_add(top, "PoolMembershipKnown", json_object_new_boolean(r->inv->pool_known));
	json_object_object_add(top, "PoolNote", r->inv->pool_known ? NULL : sr_json_str(r->inv->pool_note));
	json_object_object_add(top, "Annexes", annexes);
	fputs(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					     JSON_C_TO_STRING_NOSLASHESCAPE), out);
	fputc('\n', out);
	json_object_put(top);
}

