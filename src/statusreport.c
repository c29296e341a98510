/* statusreport.c - annex -status's report and its three formats. The human
 * format starts with condor_annex 8.8's own tables, byte for byte (its
 * printHumanReadable and printHumanReadableSummary: states and instance ids
 * in byte order, the 80-column wrap, the second NAME/STATUS table), then
 * adds annex's own lines: lease remaining per launch, instance types, Spot
 * Fleets, pool machines with no instance, and why pool membership is not
 * shown when it is not. */
#include <ctype.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annex/buf.h"
#include "annex/statusreport.h"

#define SR_MAX_STATES 16

static char *sr_dup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void status_report_add_instance(struct status_report *r, const char *id, const char *ec2_state,
				const char *annex, const char *annex_id, const char *type, const char *lease)
{
	struct sr_instance *in;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		r->inst = xrealloc(r->inst, r->cap * sizeof(*r->inst));
	}
	in = &r->inst[r->n++];
	memset(in, 0, sizeof(*in));
	in->id = xstrdup(id);
	in->ec2_state = xstrdup(ec2_state);
	in->annex = xstrdup(annex);
	in->annex_id = sr_dup(annex_id);
	in->type = sr_dup(type);
	in->lease = sr_dup(lease);
	in->in_pool = 0;
}

void status_report_add_fleet(struct status_report *r, const char *id, const char *state, const char *annex,
			     const char *valid_until, long target)
{
	struct sr_fleet *f;

	if (r->n_fleets == r->cap_fleets) {
		r->cap_fleets = r->cap_fleets ? r->cap_fleets * 2 : 8;
		r->fleets = xrealloc(r->fleets, r->cap_fleets * sizeof(*r->fleets));
	}
	f = &r->fleets[r->n_fleets++];
	f->id = xstrdup(id);
	f->state = xstrdup(state);
	f->annex = xstrdup(annex);
	f->valid_until = sr_dup(valid_until);
	f->target = target;
}

void status_report_add_pool_only(struct status_report *r, const char *annex, const char *id)
{
	for (size_t i = 0; i < r->n_pool_only; i++)
		if (strcmp(r->pool_only[i].annex, annex) == 0 && strcmp(r->pool_only[i].id, id) == 0)
			return;
	if (r->n_pool_only == r->cap_pool_only) {
		r->cap_pool_only = r->cap_pool_only ? r->cap_pool_only * 2 : 8;
		r->pool_only = xrealloc(r->pool_only, r->cap_pool_only * sizeof(*r->pool_only));
	}
	r->pool_only[r->n_pool_only].annex = xstrdup(annex);
	r->pool_only[r->n_pool_only].id = xstrdup(id);
	r->n_pool_only++;
}

static void sr_instance_free(struct sr_instance *in)
{
	free(in->id);
	free(in->ec2_state);
	free(in->annex);
	free(in->annex_id);
	free(in->type);
	free(in->lease);
	free(in->console);
	free(in->console_note);
}

static int sr_cmp_instance(const void *a, const void *b)
{
	const struct sr_instance *x = a, *y = b;
	int c = strcmp(x->annex, y->annex);

	return c ? c : strcmp(x->id, y->id);
}

static int sr_cmp_fleet(const void *a, const void *b)
{
	const struct sr_fleet *x = a, *y = b;
	int c = strcmp(x->annex, y->annex);

	return c ? c : strcmp(x->id, y->id);
}

void status_report_sort(struct status_report *r)
{
	size_t w = 0;

	if (r->n)
		qsort(r->inst, r->n, sizeof(*r->inst), sr_cmp_instance);
	for (size_t i = 0; i < r->n; i++) {
		if (w && strcmp(r->inst[w - 1].id, r->inst[i].id) == 0 &&
		    strcmp(r->inst[w - 1].annex, r->inst[i].annex) == 0) {
			sr_instance_free(&r->inst[i]);
			continue;
		}
		r->inst[w++] = r->inst[i];
	}
	r->n = w;
	if (r->n_fleets)
		qsort(r->fleets, r->n_fleets, sizeof(*r->fleets), sr_cmp_fleet);
}

int status_report_mark_in_pool(struct status_report *r, const char *annex, const char *id)
{
	struct sr_instance key = { .id = (char *)id, .annex = (char *)annex };
	struct sr_instance *in;

	if (!r->n)
		return 0;
	in = bsearch(&key, r->inst, r->n, sizeof(*r->inst), sr_cmp_instance);
	if (!in)
		return 0;
	in->in_pool = 1;
	return 1;
}

const char *status_report_state(const struct sr_instance *in)
{
	return in->in_pool ? "in-pool" : in->ec2_state;
}

/* condor_annex's rule: drop every non-letter, upper-case the letter that
 * starts each word; "in-pool" is spelled "InPool". */
void status_report_camel(const char *state, char *out, size_t n)
{
	size_t w = 0;
	int first = 1;

	if (n == 0)
		return;
	for (const char *p = state; *p && w + 1 < n; p++) {
		if (!isalpha((unsigned char)*p)) {
			first = 1;
			continue;
		}
		out[w++] = first ? (char)toupper((unsigned char)*p) : *p;
		first = 0;
	}
	out[w] = 0;
}

/* ---- grouping helpers ---- */

/* The distinct states of instances [a, b), in byte order, with counts. */
struct sr_states {
	const char *name[SR_MAX_STATES];
	size_t count[SR_MAX_STATES];
	size_t n;
};

static int sr_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void sr_states_add(struct sr_states *st, const char *state, size_t k)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (strcmp(st->name[i], state) == 0)
			break;
	if (i == st->n) {
		if (st->n == SR_MAX_STATES)
			return;    /* EC2 has six states; in-pool makes seven */
		st->name[st->n] = state;
		st->count[st->n++] = 0;
	}
	st->count[i] += k;
}

static void sr_states_sort(struct sr_states *st)
{
	/* names sorted, counts carried along: a tiny insertion sort */
	for (size_t i = 1; i < st->n; i++)
		for (size_t j = i; j > 0 && strcmp(st->name[j - 1], st->name[j]) > 0; j--) {
			const char *t = st->name[j];
			size_t c = st->count[j];
			st->name[j] = st->name[j - 1];
			st->count[j] = st->count[j - 1];
			st->name[j - 1] = t;
			st->count[j - 1] = c;
		}
}

static void sr_states_of(const struct status_report *r, size_t a, size_t b, struct sr_states *st)
{
	st->n = 0;
	for (size_t i = a; i < b; i++)
		sr_states_add(st, status_report_state(&r->inst[i]), 1);
	sr_states_sort(st);
}

static size_t sr_states_count(const struct sr_states *st, const char *state)
{
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->name[i], state) == 0)
			return st->count[i];
	return 0;
}

/* The end of the run of instances of the annex that starts at a. */
static size_t sr_annex_end(const struct status_report *r, size_t a)
{
	size_t b = a;

	while (b < r->n && strcmp(r->inst[b].annex, r->inst[a].annex) == 0)
		b++;
	return b;
}

/* Every annex name with instances, fleets or pool-only machines, sorted
 * and unique; the caller frees the array (not the strings). */
static const char **sr_annex_names(const struct status_report *r, size_t *n_out)
{
	size_t cap = r->n + r->n_fleets + r->n_pool_only + 1, n = 0, w = 0;
	const char **v = xcalloc(cap, sizeof(*v));

	for (size_t i = 0; i < r->n; i = sr_annex_end(r, i))
		v[n++] = r->inst[i].annex;
	for (size_t i = 0; i < r->n_fleets; i++)
		v[n++] = r->fleets[i].annex;
	for (size_t i = 0; i < r->n_pool_only; i++)
		v[n++] = r->pool_only[i].annex;
	if (n)
		qsort(v, n, sizeof(*v), sr_cmp_str);
	for (size_t i = 0; i < n; i++)
		if (!w || strcmp(v[w - 1], v[i]) != 0)
			v[w++] = v[i];
	*n_out = w;
	return v;
}

static int sr_is_live(const struct sr_instance *in)
{
	return strcmp(in->ec2_state, "terminated") != 0 && strcmp(in->ec2_state, "shutting-down") != 0;
}

/* Parses "YYYY-MM-DDTHH:MM:SSZ" (what annex tags); -1 when it is not that. */
static time_t sr_parse_iso(const char *s)
{
	struct tm tm = { 0 };
	char z = 0;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			 &tm.tm_min, &tm.tm_sec, &z) != 7 || z != 'Z')
		return (time_t)-1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* One launch's lease within an annex: the annex id and its lease tag. */
struct sr_lease {
	const char *annex_id;   /* NULL: instances without htcondor:AnnexId */
	const char *lease;      /* NULL: no lease tag */
	size_t count;
};

static int sr_streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int sr_cmp_lease(const void *a, const void *b)
{
	const struct sr_lease *x = a, *y = b;

	if (!x->annex_id || !y->annex_id)
		return !x->annex_id - !y->annex_id;
	return strcmp(x->annex_id, y->annex_id);
}

/* The distinct (annex id, lease) pairs of the live instances [a, b). */
static struct sr_lease *sr_leases(const struct status_report *r, size_t a, size_t b, size_t *n_out)
{
	struct sr_lease *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = a; i < b; i++) {
		const struct sr_instance *in = &r->inst[i];
		size_t j;
		if (!sr_is_live(in))
			continue;
		for (j = 0; j < n; j++)
			if (sr_streq(v[j].annex_id, in->annex_id) && sr_streq(v[j].lease, in->lease))
				break;
		if (j == n) {
			if (n == cap) {
				cap = cap ? cap * 2 : 4;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[n].annex_id = in->annex_id;
			v[n].lease = in->lease;
			v[n++].count = 0;
		}
		v[j].count++;
	}
	if (n)
		qsort(v, n, sizeof(*v), sr_cmp_lease);
	*n_out = n;
	return v;
}

/* The distinct instance types of [a, b) with counts, sorted by type. */
struct sr_type {
	const char *type;
	size_t count;
};

static int sr_cmp_type(const void *a, const void *b)
{
	return strcmp(((const struct sr_type *)a)->type, ((const struct sr_type *)b)->type);
}

static struct sr_type *sr_types(const struct status_report *r, size_t a, size_t b, size_t *n_out)
{
	struct sr_type *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = a; i < b; i++) {
		const char *t = r->inst[i].type ? r->inst[i].type : "unknown";
		size_t j;
		for (j = 0; j < n; j++)
			if (strcmp(v[j].type, t) == 0)
				break;
		if (j == n) {
			if (n == cap) {
				cap = cap ? cap * 2 : 4;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[n].type = t;
			v[n++].count = 0;
		}
		v[j].count++;
	}
	if (n)
		qsort(v, n, sizeof(*v), sr_cmp_type);
	*n_out = n;
	return v;
}

/* The instances of the annex named name: [*a, *b). */
static void sr_range(const struct status_report *r, const char *name, size_t *a, size_t *b)
{
	size_t i = 0;

	while (i < r->n && strcmp(r->inst[i].annex, name) < 0)
		i++;
	*a = i;
	while (i < r->n && strcmp(r->inst[i].annex, name) == 0)
		i++;
	*b = i;
}

/* ---- human ---- */

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
			const struct sr_instance *in = &r->inst[i];
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

	sr_states_of(r, 0, r->n, &all);
	fprintf(out, "%-27.27s %5.5s", "NAME", "TOTAL");
	for (size_t s = 0; s < all.n; s++) {
		fprintf(out, " %s", all.name[s]);
		if (strlen(all.name[s]) > longest)
			longest = strlen(all.name[s]);
	}
	fputc('\n', out);
	for (size_t a = 0, b; a < r->n; a = b) {
		struct sr_states st;
		b = sr_annex_end(r, a);
		sr_states_of(r, a, b, &st);
		fprintf(out, "%-27.27s %5zu", r->inst[a].annex, b - a);
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
	for (size_t a = 0, b; a < r->n; a = b) {
		struct sr_states st;
		b = sr_annex_end(r, a);
		sr_states_of(r, a, b, &st);
		for (size_t s = 0; s < st.n; s++) {
			if (strcmp(st.name[s], "in-pool") == 0)
				continue;
			fprintf(out, "%-27.27s %-*s", r->inst[a].annex, (int)longest, st.name[s]);
			for (size_t i = a; i < b; i++)
				if (strcmp(status_report_state(&r->inst[i]), st.name[s]) == 0)
					fprintf(out, " %s", r->inst[i].id);
			fputc('\n', out);
		}
	}
}

/* annex's own lines about one annex, each prefixed by prefix ("" or
 * "NAME: "): lease remaining per launch, instance types, Spot Fleets, and
 * pool machines that claim the annex but match no instance. */
static void sr_human_extras(const struct status_report *r, const char *name, const char *prefix, FILE *out)
{
	size_t a, b, n_leases, n_types;
	struct sr_lease *leases;
	struct sr_type *types;

	sr_range(r, name, &a, &b);
	leases = sr_leases(r, a, b, &n_leases);
	for (size_t i = 0; i < n_leases; i++) {
		const char *who = leases[i].annex_id ? leases[i].annex_id : "instances without htcondor:AnnexId";
		time_t end = sr_parse_iso(leases[i].lease);
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
	for (size_t i = 0; i < r->n_fleets; i++) {
		const struct sr_fleet *f = &r->fleets[i];
		if (strcmp(f->annex, name) != 0)
			continue;
		fprintf(out, "%sSpot Fleet %s: %s", prefix, f->id, f->state);
		if (f->target >= 0)
			fprintf(out, ", target capacity %ld", f->target);
		if (f->valid_until)
			fprintf(out, ", valid until %s", f->valid_until);
		fputs(".\n", out);
	}
	for (size_t i = 0, first = 1; i < r->n_pool_only; i++) {
		if (strcmp(r->pool_only[i].annex, name) != 0)
			continue;
		if (first)
			fprintf(out, "%sIn the pool but not an instance found in EC2:", prefix);
		fprintf(out, " %s", r->pool_only[i].id);
		first = 0;
	}
	for (size_t i = 0; i < r->n_pool_only; i++)
		if (strcmp(r->pool_only[i].annex, name) == 0) {
			fputc('\n', out);
			break;
		}
	/* why a node never joined: what annex's boot script logged */
	for (size_t i = a; i < b; i++) {
		const struct sr_instance *in = &r->inst[i];
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
		sr_range(r, r->annex_name, &a, &b);
		if (a == b)
			fprintf(out, "Found no machines in that annex.\n");
		else
			sr_human_annex(r, a, b, out);
		sr_human_extras_block(r, &r->annex_name, 1, 0, out);
	} else {
		const char **names;
		size_t n_names;
		if (!r->n)
			fprintf(out, "Found no instances in any annex.\n");
		else
			sr_human_summary(r, out);
		names = sr_annex_names(r, &n_names);
		sr_human_extras_block(r, names, n_names, 1, out);
		free(names);
	}
	if (!r->pool_known && r->pool_note && r->n)
		fprintf(out, "%s\n", r->pool_note);
}

/* ---- ClassAds ---- */

struct sr_attr {
	char *name;
	char *value;
};

static int sr_cmp_attr(const void *a, const void *b)
{
	return strcasecmp(((const struct sr_attr *)a)->name, ((const struct sr_attr *)b)->name);
}

/* Appends s as an old-syntax ClassAd string literal. */
static void sr_ad_string(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static void sr_ad_add(struct sr_attr **v, size_t *n, size_t *cap, char *name, struct buf *value)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[*n].name = name;
	(*v)[(*n)++].value = buf_steal(value);
}

/* One annex's ad: condor_annex's attributes (MyType, AnnexID,
 * TotalInstances, NumInstances<State>, <State>InstancesList) and annex's
 * (LeaseExpiration, InstanceTypesList, SpotFleetRequestsList,
 * PoolMembershipKnown), printed sorted by name as condor_status -l does. */
static void sr_classad(const struct status_report *r, const char *name, FILE *out)
{
	struct sr_attr *v = NULL;
	size_t n = 0, cap = 0, a, b, n_types, n_leases;
	struct buf val = BUF_INIT;
	struct sr_states st;
	struct sr_type *types;
	struct sr_lease *leases;
	time_t earliest = (time_t)-1;
	const char *earliest_s = NULL;
	int any_fleet = 0;

	sr_range(r, name, &a, &b);
	sr_states_of(r, a, b, &st);
	buf_puts(&val, "\"Annex\"");
	sr_ad_add(&v, &n, &cap, xstrdup("MyType"), &val);
	sr_ad_string(&val, name);
	sr_ad_add(&v, &n, &cap, xstrdup("AnnexID"), &val);
	buf_printf(&val, "%zu", b - a);
	sr_ad_add(&v, &n, &cap, xstrdup("TotalInstances"), &val);
	for (size_t s = 0; s < st.n; s++) {
		char camel[64];
		status_report_camel(st.name[s], camel, sizeof(camel));
		buf_printf(&val, "%zu", st.count[s]);
		sr_ad_add(&v, &n, &cap, xasprintf("NumInstances%s", camel), &val);
		if (strcmp(st.name[s], "in-pool") == 0)
			continue;
		buf_puts(&val, "{ ");
		for (size_t i = a, first = 1; i < b; i++) {
			if (strcmp(status_report_state(&r->inst[i]), st.name[s]) != 0)
				continue;
			if (!first)
				buf_puts(&val, ", ");
			sr_ad_string(&val, r->inst[i].id);
			first = 0;
		}
		buf_puts(&val, " }");
		sr_ad_add(&v, &n, &cap, xasprintf("%sInstancesList", camel), &val);
	}
	leases = sr_leases(r, a, b, &n_leases);
	for (size_t i = 0; i < n_leases; i++) {
		time_t t = sr_parse_iso(leases[i].lease);
		if (t != (time_t)-1 && (earliest == (time_t)-1 || t < earliest)) {
			earliest = t;
			earliest_s = leases[i].lease;
		}
	}
	if (earliest_s) {
		sr_ad_string(&val, earliest_s);
		sr_ad_add(&v, &n, &cap, xstrdup("LeaseExpiration"), &val);
	}
	free(leases);
	types = sr_types(r, a, b, &n_types);
	buf_puts(&val, "{ ");
	for (size_t i = 0; i < n_types; i++) {
		if (i)
			buf_puts(&val, ", ");
		sr_ad_string(&val, types[i].type);
	}
	buf_puts(&val, " }");
	sr_ad_add(&v, &n, &cap, xstrdup("InstanceTypesList"), &val);
	free(types);
	buf_puts(&val, "{ ");
	for (size_t i = 0; i < r->n_fleets; i++) {
		if (strcmp(r->fleets[i].annex, name) != 0)
			continue;
		if (any_fleet)
			buf_puts(&val, ", ");
		sr_ad_string(&val, r->fleets[i].id);
		any_fleet = 1;
	}
	buf_puts(&val, " }");
	sr_ad_add(&v, &n, &cap, xstrdup("SpotFleetRequestsList"), &val);
	buf_puts(&val, r->pool_known ? "true" : "false");
	sr_ad_add(&v, &n, &cap, xstrdup("PoolMembershipKnown"), &val);

	qsort(v, n, sizeof(*v), sr_cmp_attr);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s = %s\n", v[i].name, v[i].value);
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
	buf_free(&val);
}

/* condor_annex prints the nothing-found lines here too; with a name, one
 * ad; without, one ad per annex with instances, each followed by an empty
 * line. */
void status_report_print_classads(const struct status_report *r, FILE *out)
{
	if (r->annex_name) {
		size_t a, b;
		sr_range(r, r->annex_name, &a, &b);
		if (a == b)
			fprintf(out, "Found no machines in that annex.\n");
		else
			sr_classad(r, r->annex_name, out);
		return;
	}
	if (!r->n) {
		fprintf(out, "Found no instances in any annex.\n");
		return;
	}
	for (size_t a = 0; a < r->n; a = sr_annex_end(r, a)) {
		sr_classad(r, r->inst[a].annex, out);
		fputc('\n', out);
	}
}

/* ---- JSON ---- */

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
	size_t a, b, n_types, n_leases;
	struct sr_states st;
	struct sr_type *types;
	struct sr_lease *leases;

	sr_range(r, name, &a, &b);
	sr_states_of(r, a, b, &st);
	json_object_object_add(o, "AnnexName", json_object_new_string(name));
	json_object_object_add(o, "TotalInstances", json_object_new_int64((int64_t)(b - a)));
	for (size_t s = 0; s < st.n; s++)
		json_object_object_add(states, st.name[s], json_object_new_int64((int64_t)st.count[s]));
	json_object_object_add(o, "States", states);
	for (size_t i = a; i < b; i++) {
		const struct sr_instance *in = &r->inst[i];
		json_object *j = json_object_new_object();
		json_object_object_add(j, "InstanceId", json_object_new_string(in->id));
		json_object_object_add(j, "State", json_object_new_string(status_report_state(in)));
		json_object_object_add(j, "EC2State", json_object_new_string(in->ec2_state));
		json_object_object_add(j, "InPool", r->pool_known ? json_object_new_boolean(in->in_pool) : NULL);
		json_object_object_add(j, "InstanceType", sr_json_str(in->type));
		json_object_object_add(j, "AnnexId", sr_json_str(in->annex_id));
		json_object_object_add(j, "LeaseExpiration", sr_json_str(in->lease));
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
		time_t t = sr_parse_iso(leases[i].lease);
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
	for (size_t i = 0; i < r->n_fleets; i++) {
		const struct sr_fleet *f = &r->fleets[i];
		json_object *j;
		if (strcmp(f->annex, name) != 0)
			continue;
		j = json_object_new_object();
		json_object_object_add(j, "SpotFleetRequestId", json_object_new_string(f->id));
		json_object_object_add(j, "State", json_object_new_string(f->state));
		json_object_object_add(j, "TargetCapacity", f->target >= 0 ? json_object_new_int64(f->target) : NULL);
		json_object_object_add(j, "ValidUntil", sr_json_str(f->valid_until));
		json_object_array_add(fleets, j);
	}
	json_object_object_add(o, "SpotFleets", fleets);
	for (size_t i = 0; i < r->n_pool_only; i++)
		if (strcmp(r->pool_only[i].annex, name) == 0)
			json_object_array_add(pool_only, json_object_new_string(r->pool_only[i].id));
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
	json_object_object_add(top, "PoolMembershipKnown", json_object_new_boolean(r->pool_known));
	json_object_object_add(top, "PoolNote", r->pool_known ? NULL : sr_json_str(r->pool_note));
	json_object_object_add(top, "Annexes", annexes);
	fputs(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					     JSON_C_TO_STRING_NOSLASHESCAPE), out);
	fputc('\n', out);
	json_object_put(top);
}

void status_report_free(struct status_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		sr_instance_free(&r->inst[i]);
	free(r->inst);
	for (size_t i = 0; i < r->n_fleets; i++) {
		free(r->fleets[i].id);
		free(r->fleets[i].state);
		free(r->fleets[i].annex);
		free(r->fleets[i].valid_until);
	}
	free(r->fleets);
	for (size_t i = 0; i < r->n_pool_only; i++) {
		free(r->pool_only[i].annex);
		free(r->pool_only[i].id);
	}
	free(r->pool_only);
	free(r->pool_note);
	memset(r, 0, sizeof(*r));
}
