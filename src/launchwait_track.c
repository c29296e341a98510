/* launchwait_track.c - launch -wait's pure part (launchwait.h): what the
 * looks so far saw of one launch's instances and Spot Fleet request, the
 * counts of a progress line, and when the wait is over. No AWS, no
 * processes, no clock. */
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"
#include "annex/launchwait.h"

void launchwait_init(struct launchwait *w, const char *annex_name, const char *annex_id, int fleet,
		     long requested)
{
	memset(w, 0, sizeof(*w));
	w->annex_name = xstrdup(annex_name);
	w->annex_id = xstrdup(annex_id);
	w->fleet = fleet;
	w->requested = requested;
	w->fleet_fulfilled = -1;
	w->pool_known = 1;
}

void launchwait_free(struct launchwait *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->inst[i].id);
		free(w->inst[i].state);
		free(w->inst[i].address);
	}
	free(w->inst);
	free(w->annex_name);
	free(w->annex_id);
	free(w->fleet_id);
	free(w->fleet_state);
	free(w->fleet_activity);
	free(w->pool_note);
	memset(w, 0, sizeof(*w));
}

static void launchwait_set(char **field, const char *value)
{
	if (*field && value && strcmp(*field, value) == 0)
		return;
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}

static struct launchwait_inst *launchwait_find(struct launchwait *w, const char *id)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->inst[i].id, id) == 0)
			return &w->inst[i];
	return NULL;
}

static struct launchwait_inst *launchwait_add(struct launchwait *w, const char *id)
{
	struct launchwait_inst *in = launchwait_find(w, id);

	if (in)
		return in;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->inst = xrealloc(w->inst, w->cap * sizeof(*w->inst));
	}
	in = &w->inst[w->n++];
	memset(in, 0, sizeof(*in));
	in->id = xstrdup(id);
	in->state = xstrdup("pending");
	return in;
}

void launchwait_expect(struct launchwait *w, const char *id)
{
	launchwait_add(w, id);
}

static int launchwait_ours(const struct launchwait *w, const char *annex_id)
{
	return annex_id && strcmp(annex_id, w->annex_id) == 0;
}

static void launchwait_take_fleet(struct launchwait *w, const struct inventory_fleet *f)
{
	int ended = strncmp(f->state, "cancelled", 9) == 0 || strcmp(f->state, "failed") == 0;
	int filled = f->target > 0 && f->fulfilled >= (double)f->target;

	launchwait_set(&w->fleet_id, f->id);
	launchwait_set(&w->fleet_state, f->state);
	launchwait_set(&w->fleet_activity, f->activity);
	w->fleet_fulfilled = f->fulfilled;
	/* a request fleet that filled its capacity never adds an instance
	 * again; a maintain fleet refills what ends */
	if (ended || (filled && !w->fleet_maintain))
		w->fleet_filled = 1;
	else if (w->fleet_maintain)
		w->fleet_filled = filled;
}

void launchwait_update(struct launchwait *w, const struct inventory *inv)
{
	char *seen = xcalloc(w->n + inv->n_inst + 1, 1);

	for (size_t i = 0; i < inv->n_inst; i++) {
		const struct inventory_instance *src = &inv->inst[i];
		struct launchwait_inst *in;
		if (!launchwait_ours(w, src->annex_id))
			continue;
		in = launchwait_add(w, src->id);
		seen[in - w->inst] = 1;
		in->listed = 1;
		launchwait_set(&in->state, src->state);
		if (src->private_ip)
			launchwait_set(&in->address, src->private_ip);
		if (inv->pool_known && src->joined != INVENTORY_NOT_JOINED)
			in->joined = 1;
	}
	for (size_t i = 0; i < w->n; i++)
		if (!seen[i] && w->inst[i].listed)
			launchwait_set(&w->inst[i].state, "gone");
	free(seen);
	for (size_t i = 0; w->fleet && i < inv->n_fleets; i++)
		if (launchwait_ours(w, inv->fleets[i].annex_id) ||
		    (w->fleet_id && strcmp(w->fleet_id, inv->fleets[i].id) == 0))
			launchwait_take_fleet(w, &inv->fleets[i]);
	w->pool_known = inv->pool_known;
	launchwait_set(&w->pool_note, inv->pool_known ? NULL : inv->pool_note);
}

int launchwait_state_ended(const char *state)
{
	return strcmp(state, "shutting-down") == 0 || strcmp(state, "terminated") == 0 ||
	       strcmp(state, "gone") == 0;
}

int launchwait_laggard(const struct launchwait_inst *in)
{
	return !in->joined && !launchwait_state_ended(in->state);
}

void launchwait_count(const struct launchwait *w, struct launchwait_counts *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < w->n; i++) {
		const struct launchwait_inst *in = &w->inst[i];
		if (in->joined)
			c->joined++;
		else if (strcmp(in->state, "pending") == 0)
			c->pending++;
		else if (strcmp(in->state, "running") == 0)
			c->running++;
		else if (launchwait_state_ended(in->state))
			c->ended++;
		else
			c->stopped++;
	}
	/* until the fleet says its capacity is filled, count what is asked
	 * for: one instance per capacity unit not yet matched by an instance
	 * (with weights a fleet fills with fewer, and then says so) */
	if (w->fleet && !w->fleet_filled) {
		/* a maintain fleet replaces what ended; a request fleet does not */
		long filling = (long)w->n - (w->fleet_maintain ? c->ended : 0);
		if (w->requested > filling)
			c->not_started = w->requested - filling;
	}
	c->total = (long)w->n + c->not_started;
}

int launchwait_settled(const struct launchwait_counts *c)
{
	return c->pending == 0 && c->running == 0 && c->not_started == 0;
}

int launchwait_all_joined(const struct launchwait_counts *c)
{
	return c->total > 0 && c->joined == c->total;
}

void launchwait_line(const struct launchwait_counts *c, struct buf *out)
{
	const struct {
		long n;
		const char *what;
	} parts[] = {
		{ c->pending, "pending" }, { c->running, "running" }, { c->stopped, "stopped" },
		{ c->ended, "ended" }, { c->not_started, "not started" },
	};

	buf_printf(out, "%ld of %ld joined", c->joined, c->total);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i].n)
			buf_printf(out, ", %ld %s", parts[i].n, parts[i].what);
}
