/* config_store.c - the config reader's table of raw definitions (see
 * include/annex/config_store.h): an open-addressing hash of lower-cased
 * names over an array kept in first-definition order, and HTCondor's
 * lookup order (LOCALNAME., SUBSYS., plain; each before the table
 * default). */
#include "annex/config_store.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annex/config_tables.h"

void cfg_store_init(struct cfg_store *s, const char *subsys, const char *localname)
{
	memset(s, 0, sizeof *s);
	s->subsys = xstrdup(subsys);
	if (localname && *localname)
		s->localname = xstrdup(localname);
	buf_puts(&s->warnings, "");
}

void cfg_store_free(struct cfg_store *s)
{
	for (size_t i = 0; i < s->n_items; i++) {
		free(s->items[i].name);
		free(s->items[i].value);
		free(s->items[i].source);
	}
	free(s->items);
	free(s->slots);
	free(s->subsys);
	free(s->localname);
	buf_free(&s->warnings);
	buf_free(&s->read_lookups);
}

/* FNV-1a of prefix.name (or name), lower-cased. */
static size_t name_hash(const char *prefix, const char *name)
{
	size_t h = 1469598103934665603ULL;
	if (prefix) {
		for (const char *p = prefix; *p; p++)
			h = (h ^ (unsigned char)tolower((unsigned char)*p)) * 1099511628211ULL;
		h = (h ^ '.') * 1099511628211ULL;
	}
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)tolower((unsigned char)*p)) * 1099511628211ULL;
	return h;
}

/* Whether key equals prefix.name (or name), ignoring case. */
static int name_equal(const char *key, const char *prefix, const char *name)
{
	if (prefix) {
		size_t n = strlen(prefix);
		if (strncasecmp(key, prefix, n) != 0 || key[n] != '.')
			return 0;
		key += n + 1;
	}
	return strcasecmp(key, name) == 0;
}

struct cfg_item *cfg_store_find(const struct cfg_store *s, const char *prefix, const char *name)
{
	if (!s->n_slots)
		return NULL;
	size_t mask = s->n_slots - 1;
	for (size_t i = name_hash(prefix, name) & mask;; i = (i + 1) & mask) {
		size_t slot = s->slots[i];
		if (!slot)
			return NULL;
		if (name_equal(s->items[slot - 1].name, prefix, name))
			return &s->items[slot - 1];
	}
}

/* Puts item index k (0-based) into the first free slot of its chain. */
static void slot_put(struct cfg_store *s, size_t k)
{
	size_t mask = s->n_slots - 1;
	size_t i = name_hash(NULL, s->items[k].name) & mask;
	while (s->slots[i])
		i = (i + 1) & mask;
	s->slots[i] = k + 1;
}

static void rehash(struct cfg_store *s, size_t n_slots)
{
	free(s->slots);
	s->slots = xcalloc(n_slots, sizeof *s->slots);
	s->n_slots = n_slots;
	for (size_t k = 0; k < s->n_items; k++)
		slot_put(s, k);
}

void cfg_store_set(struct cfg_store *s, const char *name, const char *value, const char *source,
		   enum cfg_origin origin)
{
	struct cfg_item *it = cfg_store_find(s, NULL, name);

	if (it) {
		free(it->value);
		free(it->source);
		it->value = xstrdup(value);
		it->source = xstrdup(source);
		it->origin = origin;
		return;
	}
	if (s->n_items == s->cap_items) {
		s->cap_items = s->cap_items ? s->cap_items * 2 : 64;
		s->items = xrealloc(s->items, s->cap_items * sizeof *s->items);
	}
	it = &s->items[s->n_items++];
	it->name = xstrdup(name);
	it->value = xstrdup(value);
	it->source = xstrdup(source);
	it->origin = origin;
	if (s->n_items * 2 > s->n_slots)
		rehash(s, s->n_slots ? s->n_slots * 2 : 128);
	else
		slot_put(s, s->n_items - 1);
}

/* Notes a name looked up while the sources are read (see read_lookups).
 * The store is const to its readers; this bookkeeping is its own. */
static void record_read_lookup(const struct cfg_store *s, const char *name)
{
	struct buf *b = (struct buf *)&s->read_lookups;

	if (!b->len)
		buf_putc(b, '\n');
	for (const char *p = name; *p; p++)
		buf_putc(b, (char)tolower((unsigned char)*p));
	buf_putc(b, '\n');
}

const char *cfg_store_lookup(const struct cfg_store *s, const char *name, const struct cfg_item **item)
{
	const char *prefixes[3] = { s->localname, s->subsys, NULL };
	struct cfg_item *it = NULL;

	if (s->reading)
		record_read_lookup(s, name);
	for (int i = 0; i < 3 && !it; i++) {
		if (i < 2 && (!prefixes[i] || !*prefixes[i]))
			continue;
		it = cfg_store_find(s, prefixes[i], name);
	}
	if (item)
		*item = it;
	return it ? it->value : cfg_table_default(name);
}

/* name without "prefix." when it starts so (and more follows), or NULL. */
static const char *strip_prefix(const char *name, const char *prefix)
{
	size_t n;
	if (!prefix || !*prefix)
		return NULL;
	n = strlen(prefix);
	if (strncasecmp(name, prefix, n) == 0 && name[n] == '.' && name[n + 1])
		return name + n + 1;
	return NULL;
}

const char *cfg_store_unprefixed(const struct cfg_store *s, const char *name)
{
	const char *rest = strip_prefix(name, s->localname);
	return rest ? rest : strip_prefix(name, s->subsys);
}

void cfg_store_warn(struct cfg_store *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&s->warnings, fmt, ap);
	va_end(ap);
	buf_putc(&s->warnings, '\n');
}

int cfg_store_name_char(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '/';
}

int cfg_store_valid_name(const char *name)
{
	if (!*name)
		return 0;
	for (; *name; name++)
		if (!cfg_store_name_char((unsigned char)*name))
			return 0;
	return 1;
}
