/* inventory_join.c - the inventory's data (inventory.h): adding what was
 * listed through the filters, sorting, and joining startd ads to
 * instances by EC2InstanceID, then by private address. Pure: no AWS, no
 * processes. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"
#include "annex/inventory.h"

/* The string members of each record, copied in and freed through one
 * table each. */
static const size_t inventory_instance_strings[] = {
	offsetof(struct inventory_instance, id),         offsetof(struct inventory_instance, state),
	offsetof(struct inventory_instance, type),       offsetof(struct inventory_instance, private_ip),
	offsetof(struct inventory_instance, launch_time), offsetof(struct inventory_instance, annex),
	offsetof(struct inventory_instance, annex_id),   offsetof(struct inventory_instance, lease),
	offsetof(struct inventory_instance, idle_timeout), offsetof(struct inventory_instance, owner),
	offsetof(struct inventory_instance, console),    offsetof(struct inventory_instance, console_note),
	offsetof(struct inventory_instance, profile_arn), offsetof(struct inventory_instance, client_token),
	offsetof(struct inventory_instance, fleet_id), offsetof(struct inventory_instance, ec2_fleet_id),
	offsetof(struct inventory_instance, lifecycle),  offsetof(struct inventory_instance, prices),
	offsetof(struct inventory_instance, budget),
};
static const size_t inventory_fleet_strings[] = {
	offsetof(struct inventory_fleet, id),       offsetof(struct inventory_fleet, state),
	offsetof(struct inventory_fleet, annex),    offsetof(struct inventory_fleet, annex_id),
	offsetof(struct inventory_fleet, lease),    offsetof(struct inventory_fleet, valid_until),
	offsetof(struct inventory_fleet, role_arn), offsetof(struct inventory_fleet, client_token),
	offsetof(struct inventory_fleet, activity),
};
static const size_t inventory_rule_strings[] = {
	offsetof(struct inventory_rule, name), offsetof(struct inventory_rule, annex),
	offsetof(struct inventory_rule, lease),
};
static const size_t inventory_ad_strings[] = {
	offsetof(struct inventory_ad, name),  offsetof(struct inventory_ad, annex),
	offsetof(struct inventory_ad, instance_id), offsetof(struct inventory_ad, address),
	offsetof(struct inventory_ad, state), offsetof(struct inventory_ad, activity),
};
#define INVENTORY_N(a) (sizeof(a) / sizeof((a)[0]))

/* Replaces each listed string member of rec by a copy of itself. */
static void inventory_strings_copy(void *rec, const size_t *off, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char **p = (char **)((char *)rec + off[i]);
		*p = *p ? xstrdup(*p) : NULL;
	}
}

static void inventory_strings_free(void *rec, const size_t *off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(*(char **)((char *)rec + off[i]));
}

/* Room for one more of size bytes at v[n]; returns the (moved) array. */
static void *inventory_grow(void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 16;
	return xrealloc(v, *cap * size);
}

void inventory_init(struct inventory *inv, const struct inventory_opts *opts)
{
	memset(inv, 0, sizeof(*inv));
	if (opts)
		inv->opts = *opts;
}

void inventory_free(struct inventory *inv)
{
	void *arrays[] = { inv->inst, inv->fleets, inv->rules, inv->ads, inv->pool_note };

	for (size_t i = 0; i < inv->n_inst; i++)
		inventory_strings_free(&inv->inst[i], inventory_instance_strings, INVENTORY_N(inventory_instance_strings));
	for (size_t i = 0; i < inv->n_fleets; i++)
		inventory_strings_free(&inv->fleets[i], inventory_fleet_strings, INVENTORY_N(inventory_fleet_strings));
	for (size_t i = 0; i < inv->n_rules; i++)
		inventory_strings_free(&inv->rules[i], inventory_rule_strings, INVENTORY_N(inventory_rule_strings));
	for (size_t i = 0; i < inv->n_ads; i++)
		inventory_strings_free(&inv->ads[i], inventory_ad_strings, INVENTORY_N(inventory_ad_strings));
	for (size_t i = 0; i < INVENTORY_N(arrays); i++)
		free(arrays[i]);
	memset(inv, 0, sizeof(*inv));
}

int inventory_wants_annex(const struct inventory *inv, const char *annex)
{
	return annex && *annex && (!inv->opts.annex_name || strcmp(annex, inv->opts.annex_name) == 0);
}

int inventory_state_live(const char *state)
{
	return strcmp(state, "terminated") != 0 && strcmp(state, "shutting-down") != 0;
}

struct inventory_instance *inventory_add_instance(struct inventory *inv, const struct inventory_instance *src)
{
	struct inventory_instance *in;

	if (!src->id || !*src->id || !src->state || !*src->state || !inventory_wants_annex(inv, src->annex) ||
	    (inv->opts.live_only && !inventory_state_live(src->state)))
		return NULL;
	inv->inst = inventory_grow(inv->inst, inv->n_inst, &inv->cap_inst, sizeof(*inv->inst));
	in = &inv->inst[inv->n_inst++];
	*in = *src;
	inventory_strings_copy(in, inventory_instance_strings, INVENTORY_N(inventory_instance_strings));
	in->joined = INVENTORY_NOT_JOINED;
	in->n_ads = in->n_claimed = in->n_unclaimed = 0;
	return in;
}

struct inventory_fleet *inventory_add_fleet(struct inventory *inv, const struct inventory_fleet *src)
{
	struct inventory_fleet *f;

	if (!src->id || !*src->id || !inventory_wants_annex(inv, src->annex))
		return NULL;
	inv->fleets = inventory_grow(inv->fleets, inv->n_fleets, &inv->cap_fleets, sizeof(*inv->fleets));
	f = &inv->fleets[inv->n_fleets++];
	*f = *src;
	if (!f->state)
		f->state = "";
	inventory_strings_copy(f, inventory_fleet_strings, INVENTORY_N(inventory_fleet_strings));
	return f;
}

void inventory_drop_instance(struct inventory *inv, size_t i)
{
	inventory_strings_free(&inv->inst[i], inventory_instance_strings, INVENTORY_N(inventory_instance_strings));
	memmove(&inv->inst[i], &inv->inst[i + 1], (inv->n_inst - i - 1) * sizeof(*inv->inst));
	inv->n_inst--;
}

void inventory_drop_fleet(struct inventory *inv, size_t i)
{
	inventory_strings_free(&inv->fleets[i], inventory_fleet_strings, INVENTORY_N(inventory_fleet_strings));
	memmove(&inv->fleets[i], &inv->fleets[i + 1], (inv->n_fleets - i - 1) * sizeof(*inv->fleets));
	inv->n_fleets--;
}

void inventory_add_rule(struct inventory *inv, const char *name)
{
	inv->rules = inventory_grow(inv->rules, inv->n_rules, &inv->cap_rules, sizeof(*inv->rules));
	memset(&inv->rules[inv->n_rules], 0, sizeof(*inv->rules));
	inv->rules[inv->n_rules++].name = xstrdup(name);
}

struct inventory_ad *inventory_add_ad(struct inventory *inv, const struct inventory_ad *src)
{
	struct inventory_ad *ad;
	char address[16];

	if (!inventory_wants_annex(inv, src->annex))
		return NULL;
	inv->ads = inventory_grow(inv->ads, inv->n_ads, &inv->cap_ads, sizeof(*inv->ads));
	ad = &inv->ads[inv->n_ads++];
	*ad = *src;
	if (!ad->address && ad->name && inventory_ad_address(ad->name, address, sizeof(address)) == 0)
		ad->address = address;
	if (!ad->state)
		ad->state = "undefined";
	inventory_strings_copy(ad, inventory_ad_strings, INVENTORY_N(inventory_ad_strings));
	ad->joined = INVENTORY_NOT_JOINED;
	ad->instance = INVENTORY_NONE;
	return ad;
}

/* ---- the join ---- */

static int inventory_cmp_id(const void *a, const void *b)
{
	return strcmp((*(const struct inventory_instance *const *)a)->id,
		      (*(const struct inventory_instance *const *)b)->id);
}

static int inventory_cmp_ip(const void *a, const void *b)
{
	return strcmp((*(const struct inventory_instance *const *)a)->private_ip,
		      (*(const struct inventory_instance *const *)b)->private_ip);
}

/* The instances of the annex in the run of idx (sorted by cmp) equal to
 * key: the first such (*found), and how many there are. */
static size_t inventory_lookup(struct inventory_instance **idx, size_t n, int (*cmp)(const void *, const void *),
			       const struct inventory_instance *key, const char *annex,
			       struct inventory_instance **found)
{
	const struct inventory_instance *k = key;
	struct inventory_instance **hit = n ? bsearch(&k, idx, n, sizeof(*idx), cmp) : NULL;
	size_t count = 0;

	*found = NULL;
	if (!hit)
		return 0;
	while (hit > idx && cmp(hit - 1, &k) == 0)
		hit--;
	for (; hit < idx + n && cmp(hit, &k) == 0; hit++)
		if (strcmp((*hit)->annex, annex) == 0) {
			if (!count++)
				*found = *hit;
		}
	return count;
}

/* Records that ad joined instance i, how. */
static void inventory_attach(struct inventory *inv, struct inventory_ad *ad, size_t i, enum inventory_join how)
{
	struct inventory_instance *in = &inv->inst[i];

	ad->joined = how;
	ad->instance = i;
	in->n_ads++;
	if (strcmp(ad->state, "Claimed") == 0)
		in->n_claimed++;
	else if (strcmp(ad->state, "Unclaimed") == 0)
		in->n_unclaimed++;
	if (how == INVENTORY_BY_ID || in->joined == INVENTORY_NOT_JOINED)
		in->joined = how;
}

void inventory_join(struct inventory *inv)
{
	struct inventory_instance **by_id = xcalloc(inv->n_inst + 1, sizeof(*by_id));
	struct inventory_instance **by_ip = xcalloc(inv->n_inst + 1, sizeof(*by_ip));
	size_t n_ip = 0;

	for (size_t i = 0; i < inv->n_inst; i++) {
		struct inventory_instance *in = &inv->inst[i];
		in->joined = INVENTORY_NOT_JOINED;
		in->n_ads = in->n_claimed = in->n_unclaimed = 0;
		by_id[i] = in;
		if (in->private_ip && *in->private_ip && strcmp(in->state, "terminated") != 0)
			by_ip[n_ip++] = in;
	}
	if (inv->n_inst)
		qsort(by_id, inv->n_inst, sizeof(*by_id), inventory_cmp_id);
	if (n_ip)
		qsort(by_ip, n_ip, sizeof(*by_ip), inventory_cmp_ip);
	for (size_t a = 0; a < inv->n_ads; a++) {
		struct inventory_ad *ad = &inv->ads[a];
		struct inventory_instance key = { 0 }, *found = NULL;
		ad->joined = INVENTORY_NOT_JOINED;
		ad->instance = INVENTORY_NONE;
		if (ad->instance_id) {
			key.id = ad->instance_id;
			if (inventory_lookup(by_id, inv->n_inst, inventory_cmp_id, &key, ad->annex, &found))
				inventory_attach(inv, ad, (size_t)(found - inv->inst), INVENTORY_BY_ID);
		} else if (ad->address) {
			key.private_ip = ad->address;
			if (inventory_lookup(by_ip, n_ip, inventory_cmp_ip, &key, ad->annex, &found) == 1)
				inventory_attach(inv, ad, (size_t)(found - inv->inst), INVENTORY_BY_ADDRESS);
		}
	}
	free(by_id);
	free(by_ip);
}

static int inventory_cmp_instance(const void *a, const void *b)
{
	const struct inventory_instance *x = a, *y = b;
	int c = strcmp(x->annex, y->annex);

	return c ? c : strcmp(x->id, y->id);
}

static int inventory_cmp_fleet(const void *a, const void *b)
{
	const struct inventory_fleet *x = a, *y = b;
	int c = strcmp(x->annex, y->annex);

	return c ? c : strcmp(x->id, y->id);
}

void inventory_sort(struct inventory *inv)
{
	size_t w = 0;

	if (inv->n_inst)
		qsort(inv->inst, inv->n_inst, sizeof(*inv->inst), inventory_cmp_instance);
	for (size_t i = 0; i < inv->n_inst; i++) {
		if (w && inventory_cmp_instance(&inv->inst[w - 1], &inv->inst[i]) == 0) {
			inventory_strings_free(&inv->inst[i], inventory_instance_strings,
					       INVENTORY_N(inventory_instance_strings));
			continue;
		}
		inv->inst[w++] = inv->inst[i];
	}
	inv->n_inst = w;
	if (inv->n_fleets)
		qsort(inv->fleets, inv->n_fleets, sizeof(*inv->fleets), inventory_cmp_fleet);
	inventory_join(inv);
}

/* Reads "A.B.C.D" (sep '.') or "A-B-C-D" (sep '-') at s into out as a
 * dotted address; the number of characters read, 0 when it is not one. */
static size_t inventory_ipv4(const char *s, char sep, char *out, size_t n)
{
	const char *p = s;
	unsigned v[4];

	for (int k = 0; k < 4; k++) {
		size_t digits = 0;
		v[k] = 0;
		if (k && *p++ != sep)
			return 0;
		while (isdigit((unsigned char)*p) && digits < 3) {
			v[k] = v[k] * 10 + (unsigned)(*p++ - '0');
			digits++;
		}
		if (!digits || isdigit((unsigned char)*p) || v[k] > 255)
			return 0;
	}
	if (snprintf(out, n, "%u.%u.%u.%u", v[0], v[1], v[2], v[3]) >= (int)n)
		return 0;
	return (size_t)(p - s);
}

int inventory_ad_address(const char *name, char *out, size_t n)
{
	const char *host = strrchr(name, '@');
	size_t len;

	host = host ? host + 1 : name;
	if (strncmp(host, "ip-", 3) == 0) {
		len = inventory_ipv4(host + 3, '-', out, n);
		if (len && (host[3 + len] == 0 || host[3 + len] == '.'))
			return 0;
	} else {
		len = inventory_ipv4(host, '.', out, n);
		if (len && host[len] == 0)
			return 0;
	}
	if (n)
		*out = 0;
	return -1;
}

int inventory_instance_idle(const struct inventory_instance *in)
{
	return in->n_ads > 0 && in->n_unclaimed == in->n_ads;
}

int inventory_is_annex_id(const char *s)
{
	const char *us = strchr(s, '_');
	size_t n;

	if (!us || us == s || us - s > 27 || strchr(us + 1, '_'))
		return 0;
	for (const char *p = s; p < us; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return 0;
	n = strlen(us + 1);
	if (n == 0 || n > 36)
		return 0;
	for (const char *p = us + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-')
			return 0;
	return 1;
}
