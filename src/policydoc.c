/* policydoc.c - IAM policy documents compared by meaning (policydoc.h). */
#include "annex/policydoc.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *policydoc_decode(const char *text)
{
	const char *p = text ? text : "";
	struct buf b = BUF_INIT;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '{')
		return xstrdup(text);
	for (; *p; p++) {
		int hi, lo;
		if (*p == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0) {
			buf_putc(&b, (char)(hi * 16 + lo));
			p += 2;
		} else {
			buf_putc(&b, *p);
		}
	}
	return buf_steal(&b);
}

static void canon(struct buf *out, json_object *o);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void canon_object(struct buf *out, json_object *o)
{
	size_t n = 0, i = 0;
	char **keys;

	json_object_object_foreach(o, k0, v0) {
		(void)k0;
		(void)v0;
		n++;
	}
	keys = xcalloc(n + 1, sizeof(*keys));
	json_object_object_foreach(o, k, v) {
		(void)v;
		keys[i++] = k;
	}
	qsort(keys, n, sizeof(*keys), cmp_str);
	buf_putc(out, '{');
	for (i = 0; i < n; i++) {
		json_object *val = NULL, *ks = json_object_new_string(keys[i]);
		json_object_object_get_ex(o, keys[i], &val);
		if (i)
			buf_putc(out, ',');
		buf_puts(out, json_object_to_json_string_ext(ks, JSON_C_TO_STRING_PLAIN));
		buf_putc(out, ':');
		canon(out, val);
		json_object_put(ks);
	}
	buf_putc(out, '}');
	free(keys);
}

static void canon_array(struct buf *out, json_object *a)
{
	size_t n = json_object_array_length(a), m = 0;
	char **items = xcalloc(n + 1, sizeof(*items));

	for (size_t i = 0; i < n; i++) {
		struct buf e = BUF_INIT;
		canon(&e, json_object_array_get_idx(a, i));
		items[i] = buf_steal(&e);
	}
	qsort(items, n, sizeof(*items), cmp_str);
	for (size_t i = 0; i < n; i++)        /* drop duplicates */
		if (m == 0 || strcmp(items[m - 1], items[i]) != 0)
			items[m++] = items[i];
		else
			free(items[i]);
	if (m == 1) {
		buf_puts(out, items[0]);
	} else {
		buf_putc(out, '[');
		for (size_t i = 0; i < m; i++) {
			if (i)
				buf_putc(out, ',');
			buf_puts(out, items[i]);
		}
		buf_putc(out, ']');
	}
	for (size_t i = 0; i < m; i++)
		free(items[i]);
	free(items);
}

static void canon(struct buf *out, json_object *o)
{
	json_object *s;

	switch (json_object_get_type(o)) {
	case json_type_object:
		canon_object(out, o);
		return;
	case json_type_array:
		canon_array(out, o);
		return;
	case json_type_null:
		buf_puts(out, "null");
		return;
	default:
		/* strings, numbers, booleans: compared as the strings IAM sees */
		s = json_object_new_string(json_object_get_string(o));
		buf_puts(out, json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN));
		json_object_put(s);
		return;
	}
}

static json_object *parse_object(const char *text)
{
	char *dec = policydoc_decode(text);
	json_object *o = json_tokener_parse(dec);

	free(dec);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

static char *canon_of(json_object *o)
{
	struct buf b = BUF_INIT;

	canon(&b, o);
	return buf_steal(&b);
}

char *policydoc_canonical(const char *text)
{
	json_object *o = parse_object(text);
	char *c;

	if (!o)
		return NULL;
	c = canon_of(o);
	json_object_put(o);
	return c;
}

int policydoc_same(const char *a, const char *b)
{
	char *ca = policydoc_canonical(a), *cb = policydoc_canonical(b);
	int same = ca && cb && strcmp(ca, cb) == 0;

	free(ca);
	free(cb);
	return same;
}

/* A document's statements, each canonical, with its Sid ("" when none). */
struct stmts {
	char **canon, **sid;
	size_t n;
};

static void stmts_of(json_object *doc, struct stmts *s)
{
	json_object *st = NULL;
	size_t n;

	memset(s, 0, sizeof(*s));
	if (!json_object_object_get_ex(doc, "Statement", &st))
		return;
	n = json_object_is_type(st, json_type_array) ? json_object_array_length(st) : 1;
	s->canon = xcalloc(n + 1, sizeof(char *));
	s->sid = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		json_object *one = json_object_is_type(st, json_type_array) ? json_object_array_get_idx(st, i) : st;
		json_object *sid = NULL;
		s->canon[i] = canon_of(one);
		if (json_object_is_type(one, json_type_object) && json_object_object_get_ex(one, "Sid", &sid))
			s->sid[i] = xstrdup(json_object_get_string(sid));
		else
			s->sid[i] = xasprintf("#%zu", i + 1);
		s->n++;
	}
}

static void stmts_free(struct stmts *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->canon[i]);
		free(s->sid[i]);
	}
	free(s->canon);
	free(s->sid);
}

static long find(const struct stmts *s, char *const *field, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(field[i], v) == 0)
			return (long)i;
	return -1;
}

/* "statement A changed" / "statements B, C missing", after "; " when b has text. */
static void group(struct buf *b, const char *what, char **sids, size_t n)
{
	if (n == 0)
		return;
	buf_printf(b, "%sstatement%s ", b->len ? "; " : "", n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? ", " : "", sids[i]);
	buf_printf(b, " %s", what);
}

char *policydoc_diff(const char *deployed, const char *wanted)
{
	json_object *d = parse_object(deployed), *w = parse_object(wanted);
	struct stmts sd, sw;
	struct buf b = BUF_INIT;

	if (!d || !w) {
		json_object_put(d);
		json_object_put(w);
		return xstrdup(d ? "this version's document is not JSON" : "not a JSON policy document");
	}
	stmts_of(d, &sd);
	stmts_of(w, &sw);
	{
		char **changed = xcalloc(sw.n + 1, sizeof(char *)), **missing = xcalloc(sw.n + 1, sizeof(char *));
		char **extra = xcalloc(sd.n + 1, sizeof(char *));
		size_t nc = 0, nm = 0, ne = 0;
		for (size_t i = 0; i < sw.n; i++)
			if (find(&sd, sd.canon, sw.canon[i]) < 0) {
				if (find(&sd, sd.sid, sw.sid[i]) >= 0)
					changed[nc++] = sw.sid[i];
				else
					missing[nm++] = sw.sid[i];
			}
		for (size_t i = 0; i < sd.n; i++)
			if (find(&sw, sw.canon, sd.canon[i]) < 0 && find(&sw, sw.sid, sd.sid[i]) < 0)
				extra[ne++] = sd.sid[i];
		group(&b, "changed", changed, nc);
		group(&b, "missing", missing, nm);
		group(&b, "extra", extra, ne);
		free(changed);
		free(missing);
		free(extra);
	}
	/* the other top-level keys (Version, Id) */
	json_object_object_foreach(w, k, v) {
		json_object *dv = NULL;
		char *a, *c;
		if (strcmp(k, "Statement") == 0)
			continue;
		json_object_object_get_ex(d, k, &dv);
		a = canon_of(v);
		c = dv ? canon_of(dv) : xstrdup("");
		if (strcmp(a, c) != 0)
			buf_printf(&b, "%s%s differs", b.len ? "; " : "", k);
		free(a);
		free(c);
	}
	json_object_object_foreach(d, k2, v2) {
		(void)v2;
		if (strcmp(k2, "Statement") != 0 && !json_object_object_get_ex(w, k2, NULL))
			buf_printf(&b, "%s%s extra", b.len ? "; " : "", k2);
	}
	if (b.len == 0 && !policydoc_same(deployed, wanted))
		buf_puts(&b, "statements differ");
	stmts_free(&sd);
	stmts_free(&sw);
	json_object_put(d);
	json_object_put(w);
	return buf_steal(&b);
}
