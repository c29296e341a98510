/* config_expand.c - HTCondor's macro expansion: $(NAME), $(NAME:default),
 * $ENV(X[:default]), $INT() $REAL() $STRING() $EVAL() $SUBSTR() $CHOICE()
 * $RANDOM_CHOICE() $RANDOM_INTEGER() $BASENAME() $DIRNAME() and the
 * file-part functions $F[pndxqabwuf]*(), then $(DOLLAR).
 *
 * The scanner finds the leftmost macro whose body is well formed (a plain
 * $( body holds identifier characters, then optionally ':' and a default
 * of identifier characters, "$ ,\:" and balanced "(...)"); anything else,
 * such as an unterminated "$(", stays literal. Each replacement is
 * rescanned from the start, which is how a value's own references get
 * expanded, so the number of rounds and the size are capped to turn a
 * reference cycle into an error instead of a hang. */
#include "config_int.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EXPAND_MAX_ROUNDS 10000
#define EXPAND_MAX_WORK (16u * 1024 * 1024)
#define EXPAND_MAX_NESTING 32

/* How deep function arguments are being expanded ($INT(A) where A is
 * $INT(A) would otherwise recurse forever). annex is single-threaded. */
static int expand_nesting;

enum macro_id {
	M_NONE = 0,
	M_NORMAL,
	M_ENV,
	M_RANDOM_CHOICE,
	M_RANDOM_INTEGER,
	M_CHOICE,
	M_SUBSTR,
	M_INT,
	M_REAL,
	M_STRING,
	M_EVAL,
	M_BASENAME,
	M_DIRNAME,
	M_FILENAME,
};

enum body_chars { BODY_ANYTHING, BODY_IDCHAR_COLON };

struct macro_pos {
	size_t dollar;   /* index of '$' */
	size_t func;     /* index after '$' */
	size_t body;     /* index after '(' */
	size_t right;    /* index after ')' */
};

/* Decides which macros a scan reports: returns 1 to skip this one. */
typedef int (*macro_skip_fn)(void *ud, enum macro_id id, const char *body, size_t len);

static enum macro_id check_prefix(const char *dollar, size_t len, enum body_chars *bodychars)
{
	static const struct { const char *name; enum macro_id id; } pre[] = {
		{ "$ENV", M_ENV }, { "$RANDOM_CHOICE", M_RANDOM_CHOICE },
		{ "$RANDOM_INTEGER", M_RANDOM_INTEGER }, { "$CHOICE", M_CHOICE },
		{ "$SUBSTR", M_SUBSTR }, { "$INT", M_INT }, { "$REAL", M_REAL },
		{ "$STRING", M_STRING }, { "$EVAL", M_EVAL },
		{ "$BASENAME", M_BASENAME }, { "$DIRNAME", M_DIRNAME },
	};

	*bodychars = BODY_ANYTHING;
	if (len == 1) {
		*bodychars = BODY_IDCHAR_COLON;
		return M_NORMAL;
	}
	if (dollar[1] == '$')
		return M_NONE;
	if (dollar[1] == 'F') {
		size_t i;
		for (i = 2; i < len; i++)
			if (!strchr("pnxdqabfwu", dollar[i] | 0x20))
				break;
		if (i == len)
			return M_FILENAME;
	}
	for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
		if (strlen(pre[i].name) == len && strncmp(dollar, pre[i].name, len) == 0) {
			if (pre[i].id == M_ENV)
				*bodychars = BODY_IDCHAR_COLON;
			return pre[i].id;
		}
	}
	return M_NONE;
}

/* Finds the next well-formed macro at or after search. */
static enum macro_id next_macro(const char *value, size_t search, struct macro_pos *pos,
				macro_skip_fn skip, void *ud)
{
	const char *tvalue = value + search;

	for (;;) {
		const char *dollar, *p;
		enum macro_id id = M_NONE;
		enum body_chars bodychars = BODY_ANYTHING;

		for (;;) {
			dollar = strchr(tvalue, '$');
			if (!dollar)
				return M_NONE;
			p = dollar + 1;
			if (*p == '$')
				p++;
			while (*p && (isalnum((unsigned char)*p) || *p == '_'))
				p++;
			if (*p == '(') {
				id = check_prefix(dollar, (size_t)(p - dollar), &bodychars);
				if (id != M_NONE)
					break;
			}
			if (!*p)
				return M_NONE;
			tvalue = p;
		}

		const char *body = p + 1, *v = body;
		int bad = 0;
		if (bodychars == BODY_ANYTHING) {
			while (*v && *v != ')')
				v++;
		} else {
			int after_colon = 0;
			while (*v && *v != ')') {
				char c = *v++;
				if (c == ':' && !after_colon) {
					after_colon = 1;
					continue;
				} else if (after_colon) {
					if (c == '(') {
						const char *r = strchr(v, ')');
						if (r) {
							v = r + 1;
							continue;
						}
					} else if (strchr("$ ,\\:", c)) {
						continue;
					}
				}
				if (!cfg_is_name_char((unsigned char)c)) {
					bad = 1;
					break;
				}
			}
		}
		if (bad || *v != ')') {
			tvalue = body;
			continue;
		}
		if (skip && skip(ud, id, body, (size_t)(v - body))) {
			tvalue = v;
			continue;
		}
		pos->dollar = (size_t)(dollar - value);
		pos->func = pos->dollar + 1;
		pos->body = (size_t)(body - value);
		pos->right = (size_t)(v + 1 - value);
		return id;
	}
}

static int is_dollar_body(const char *body, size_t len)
{
	return len == 6 && strncasecmp(body, "DOLLAR", 6) == 0;
}

static int skip_dollar(void *ud, enum macro_id id, const char *body, size_t len)
{
	(void)ud;
	return id == M_NORMAL && is_dollar_body(body, len);
}

static int only_dollar(void *ud, enum macro_id id, const char *body, size_t len)
{
	(void)ud;
	return !(id == M_NORMAL && is_dollar_body(body, len));
}

struct self_names {
	const char *self;
	const char *self2;   /* the name without its LOCALNAME. or SUBSYS. prefix */
};

static int name_matches(const char *body, size_t len, const char *name)
{
	size_t n = strlen(name);
	return (len == n || (len > n && body[n] == ':')) && strncasecmp(body, name, n) == 0;
}

static int only_self(void *ud, enum macro_id id, const char *body, size_t len)
{
	const struct self_names *s = ud;
	if (id != M_NORMAL && id != M_FILENAME)
		return 1;
	if (name_matches(body, len, s->self))
		return 0;
	if (s->self2 && name_matches(body, len, s->self2))
		return 0;
	return 1;
}

/* ---- small arithmetic expressions, for $INT() $REAL() $EVAL() ---- */

struct xval {
	int is_real;
	long long i;
	double d;
};

struct xparser {
	const char *p;
	int depth;
	int ok;
};

static void xskip(struct xparser *x)
{
	while (isspace((unsigned char)*x->p))
		x->p++;
}

static double xnum(const struct xval *v)
{
	return v->is_real ? v->d : (double)v->i;
}

static struct xval xexpr(struct xparser *x);

static struct xval xprimary(struct xparser *x)
{
	struct xval v = { 0, 0, 0 };

	xskip(x);
	if (++x->depth > 64) {
		x->ok = 0;
		return v;
	}
	if (*x->p == '(') {
		x->p++;
		v = xexpr(x);
		xskip(x);
		if (*x->p != ')')
			x->ok = 0;
		else
			x->p++;
	} else if (*x->p == '-' || *x->p == '+' || *x->p == '!') {
		char op = *x->p++;
		v = xprimary(x);
		if (op == '-') {
			if (v.is_real)
				v.d = -v.d;
			else if (v.i == LLONG_MIN)
				x->ok = 0;
			else
				v.i = -v.i;
		} else if (op == '!') {
			v.i = xnum(&v) == 0;
			v.is_real = 0;
		}
	} else if (isdigit((unsigned char)*x->p) || (*x->p == '.' && isdigit((unsigned char)x->p[1]))) {
		const char *s = x->p;
		char *end;
		int real = 0;
		while (isdigit((unsigned char)*s))
			s++;
		if (*s == '.' || *s == 'e' || *s == 'E')
			real = 1;
		errno = 0;
		if (real) {
			v.is_real = 1;
			v.d = strtod(x->p, &end);
		} else {
			v.i = strtoll(x->p, &end, 10);
		}
		if (errno || end == x->p)
			x->ok = 0;
		x->p = end;
	} else if (strncasecmp(x->p, "true", 4) == 0 && !isalnum((unsigned char)x->p[4])) {
		v.i = 1;
		x->p += 4;
	} else if (strncasecmp(x->p, "false", 5) == 0 && !isalnum((unsigned char)x->p[5])) {
		x->p += 5;
	} else {
		x->ok = 0;
	}
	x->depth--;
	return v;
}

static struct xval xarith(struct xparser *x, struct xval a, char op, struct xval b)
{
	struct xval r = { 0, 0, 0 };
	if (a.is_real || b.is_real) {
		double l = xnum(&a), m = xnum(&b);
		r.is_real = 1;
		switch (op) {
		case '*': r.d = l * m; break;
		case '/': if (m == 0) x->ok = 0; else r.d = l / m; break;
		case '%': x->ok = 0; break;
		case '+': r.d = l + m; break;
		case '-': r.d = l - m; break;
		}
		return r;
	}
	switch (op) {
	case '*': if (__builtin_mul_overflow(a.i, b.i, &r.i)) x->ok = 0; break;
	case '/': if (b.i == 0 || (a.i == LLONG_MIN && b.i == -1)) x->ok = 0; else r.i = a.i / b.i; break;
	case '%': if (b.i == 0 || (a.i == LLONG_MIN && b.i == -1)) x->ok = 0; else r.i = a.i % b.i; break;
	case '+': if (__builtin_add_overflow(a.i, b.i, &r.i)) x->ok = 0; break;
	case '-': if (__builtin_sub_overflow(a.i, b.i, &r.i)) x->ok = 0; break;
	}
	return r;
}

static struct xval xterm(struct xparser *x)
{
	struct xval v = xprimary(x);
	for (;;) {
		xskip(x);
		char op = *x->p;
		if (op != '*' && op != '/' && op != '%')
			return v;
		x->p++;
		v = xarith(x, v, op, xprimary(x));
		if (!x->ok)
			return v;
	}
}

static struct xval xexpr(struct xparser *x)
{
	struct xval v = xterm(x);
	for (;;) {
		xskip(x);
		char op = *x->p;
		if (op != '+' && op != '-')
			return v;
		x->p++;
		v = xarith(x, v, op, xterm(x));
		if (!x->ok)
			return v;
	}
}

static int xeval(const char *s, struct xval *out)
{
	struct xparser x = { s, 0, 1 };
	*out = xexpr(&x);
	xskip(&x);
	return x.ok && *x.p == 0 && !(out->is_real && !isfinite(out->d));
}

int cfg_eval_long(const char *s, long long *out)
{
	char *end;
	struct xval v;

	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (end != s && !errno) {
		while (isspace((unsigned char)*end))
			end++;
		if (!*end) {
			*out = n;
			return 1;
		}
	}
	if (!xeval(s, &v))
		return 0;
	if (v.is_real) {
		if (!(v.d > -9.2e18 && v.d < 9.2e18))
			return 0;
		*out = (long long)v.d;
	} else {
		*out = v.i;
	}
	return 1;
}

int cfg_eval_double(const char *s, double *out)
{
	char *end;
	struct xval v;

	errno = 0;
	double d = strtod(s, &end);
	if (end != s && !errno && isfinite(d)) {
		while (isspace((unsigned char)*end))
			end++;
		if (!*end) {
			*out = d;
			return 1;
		}
	}
	if (!xeval(s, &v))
		return 0;
	*out = xnum(&v);
	return 1;
}

/* ---- the functions ---- */

/* Validates a user-supplied printf format: literal text with %% escapes and
 * exactly one conversion among convs; writes a safe copy with the length
 * modifier replaced by lmod. Returns 0 when unusable. */
static int safe_format(const char *fmt, const char *convs, const char *lmod, char *out, size_t outlen)
{
	struct buf b = BUF_INIT;
	int n_conv = 0;
	const char *p = fmt;

	while (*p) {
		if (*p != '%') {
			buf_putc(&b, *p++);
			continue;
		}
		if (p[1] == '%') {
			buf_puts(&b, "%%");
			p += 2;
			continue;
		}
		p++;
		buf_putc(&b, '%');
		while (*p && strchr("-+ #0", *p))
			buf_putc(&b, *p++);
		int w = 0;
		while (isdigit((unsigned char)*p)) {
			w = w * 10 + (*p - '0');
			if (w > 100)
				goto bad;
			buf_putc(&b, *p++);
		}
		if (*p == '.') {
			int prec = 0;
			buf_putc(&b, *p++);
			while (isdigit((unsigned char)*p)) {
				prec = prec * 10 + (*p - '0');
				if (prec > 100)
					goto bad;
				buf_putc(&b, *p++);
			}
		}
		while (*p == 'l' || *p == 'h' || *p == 'L' || *p == 'q')
			p++;
		if (!*p || !strchr(convs, *p))
			goto bad;
		buf_puts(&b, lmod);
		buf_putc(&b, *p++);
		n_conv++;
	}
	if (n_conv != 1 || b.len >= outlen)
		goto bad;
	memcpy(out, b.data, b.len + 1);
	buf_free(&b);
	return 1;
bad:
	buf_free(&b);
	return 0;
}

/* Looks a name up and expands it; a name that is not defined is used as
 * the literal text (HTCondor's "lookup_macro(x) else x"). */
static int lookup_or_literal(const struct annex_config *cfg, const char *name, char **out, struct annex_err *err)
{
	const char *raw = cfg_lookup_raw(cfg, name, NULL);
	if (!raw)
		raw = name;
	if (strchr(raw, '$'))
		return cfg_expand(cfg, raw, out, err);
	*out = xstrdup(raw);
	return 0;
}

/* Splits list at commas into trimmed items; drops empty items when
 * keep_empty is 0 (HTCondor's split()). */
static char **split_list(const char *list, int keep_empty, size_t *n)
{
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	const char *p = list;

	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char *item = xstrndup_trim(p, len);
		if (*item || keep_empty) {
			if (cnt == cap) {
				cap = cap ? cap * 2 : 8;
				v = xrealloc(v, cap * sizeof *v);
			}
			v[cnt++] = item;
		} else {
			free(item);
		}
		if (!e)
			break;
		p = e + 1;
	}
	*n = cnt;
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static unsigned long random_ulong(void)
{
	unsigned long r = 0;
	if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
		r = (unsigned long)rand();
	return r;
}

static int fn_choice(const struct annex_config *cfg, const char *body, char **out, struct annex_err *err)
{
	size_t n;
	char **entries = split_list(body, 1, &n);
	char *idx = NULL;
	int rc = -1;
	long long index;

	if (n < 2) {
		annex_err_set(err, "Config", "$CHOICE() config macro: no index!");
		goto out;
	}
	if (lookup_or_literal(cfg, entries[0], &idx, err) < 0)
		goto out;
	if (!cfg_eval_long(idx, &index) || index < 0 || index >= 0x7fffffff) {
		annex_err_set(err, "Config", "$CHOICE() macro: %s is invalid index!", idx);
		goto out;
	}
	if (n == 2) {
		const char *list = cfg_lookup_raw(cfg, entries[1], NULL);
		char *exp = NULL;
		if (!list) {
			annex_err_set(err, "Config", "$CHOICE() macro: no list named \"%s\"!", entries[1]);
			goto out;
		}
		if (cfg_expand(cfg, list, &exp, err) < 0)
			goto out;
		free_list(entries, n);
		entries = split_list(exp, 0, &n);
		free(exp);
		if ((size_t)index >= n) {
			annex_err_set(err, "Config", "$CHOICE() config macro: index %d is out of range!", (int)index);
			goto out;
		}
		*out = xstrdup(entries[index]);
	} else {
		if ((size_t)index + 1 >= n) {
			annex_err_set(err, "Config", "$CHOICE() config macro: index %d is out of range!", (int)index);
			goto out;
		}
		*out = xstrdup(entries[index + 1]);
	}
	rc = 0;
out:
	free(idx);
	free_list(entries, n);
	return rc;
}

static int fn_substr(const struct annex_config *cfg, char *body, char **out, struct annex_err *err)
{
	char *start_arg = strchr(body, ',');
	char *len_arg, *a = NULL, *val = NULL;
	long long start, sub_len = 0x3fffffff;
	int rc = -1;

	if (!start_arg)
		return annex_err_set(err, "Config", "$SUBSTR() macro: no length specified!");
	*start_arg++ = 0;
	len_arg = strchr(start_arg, ',');
	if (len_arg)
		*len_arg++ = 0;
	if (lookup_or_literal(cfg, start_arg, &a, err) < 0)
		goto out;
	if (!cfg_eval_long(a, &start) || start < -0x7fffffff || start >= 0x7fffffff) {
		annex_err_set(err, "Config", "$SUBSTR() macro: %s is invalid start index!", a);
		goto out;
	}
	if (len_arg) {
		free(a);
		a = NULL;
		if (lookup_or_literal(cfg, len_arg, &a, err) < 0)
			goto out;
		if (!cfg_eval_long(a, &sub_len) || sub_len < -0x7fffffff || sub_len > 0x7fffffff) {
			annex_err_set(err, "Config", "$SUBSTR() macro: %s is invalid length !", a);
			goto out;
		}
	}
	const char *raw = cfg_lookup_raw(cfg, body, NULL);
	if (!raw) {
		*out = xstrdup("");
		rc = 0;
		goto out;
	}
	if (cfg_expand(cfg, raw, &val, err) < 0)
		goto out;
	long long cch = (long long)strlen(val);
	if (start < 0)
		start += cch;
	if (start < 0)
		start = 0;
	else if (start > cch)
		start = cch;
	cch -= start;
	if (sub_len < 0)
		sub_len += cch;
	if (sub_len < 0)
		sub_len = 0;
	else if (sub_len > cch)
		sub_len = cch;
	*out = xstrndup(val + start, (size_t)sub_len);
	rc = 0;
out:
	free(a);
	free(val);
	return rc;
}

static int fn_int_real(const struct annex_config *cfg, enum macro_id id, char *body, char **out,
		       struct annex_err *err)
{
	const char *what = id == M_INT ? "$INT()" : "$REAL()";
	char *fmt = strchr(body, ',');
	char safe[256], *val = NULL;
	int rc = -1;

	if (fmt) {
		*fmt++ = 0;
		if (!safe_format(fmt, id == M_INT ? "dioxXu" : "eEfFgGaA", id == M_INT ? "ll" : "",
				 safe, sizeof safe))
			return annex_err_set(err, "Config", "%s macro: '%s' is not a valid format specifier!", what, fmt);
	}
	if (lookup_or_literal(cfg, body, &val, err) < 0)
		return -1;
	if (id == M_INT) {
		long long n;
		if (!cfg_eval_long(val, &n)) {
			annex_err_set(err, "Config", "$INT() macro: %s does not evaluate to an integer!", val);
			goto out;
		}
		*out = xasprintf(fmt ? safe : "%lld", n);
	} else {
		double d;
		if (!cfg_eval_double(val, &d)) {
			annex_err_set(err, "Config", "$REAL() macro: %s does not evaluate to an real!", val);
			goto out;
		}
		*out = xasprintf(fmt ? safe : "%.16G", d);
		if (fmt && !strchr(*out, '.')) {
			char *t = xasprintf("%s.0", *out);
			free(*out);
			*out = t;
		}
	}
	rc = 0;
out:
	free(val);
	return rc;
}

/* A ClassAd string literal "..." (with \" and \\ escapes) becomes its
 * contents; anything else is returned as is. */
static char *unquote_classad_string(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return NULL;
	struct buf b = BUF_INIT;
	buf_puts(&b, "");
	for (size_t i = 1; i + 1 < len; i++) {
		if (s[i] == '\\' && i + 2 < len) {
			i++;
		} else if (s[i] == '"') {
			buf_free(&b);
			return NULL;
		}
		buf_putc(&b, s[i]);
	}
	return buf_steal(&b);
}

static int fn_string(const struct annex_config *cfg, char *body, char **out, struct annex_err *err)
{
	char *fmt = strchr(body, ',');
	char safe[256], *val = NULL, *s;

	if (fmt) {
		*fmt++ = 0;
		if (!safe_format(fmt, "s", "", safe, sizeof safe))
			return annex_err_set(err, "Config", "$STRING macro: '%s' is not a valid format specifier!", fmt);
	}
	if (lookup_or_literal(cfg, body, &val, err) < 0)
		return -1;
	s = unquote_classad_string(val);
	if (s) {
		free(val);
		val = s;
	}
	if (fmt) {
		*out = xasprintf(safe, val);
		free(val);
	} else {
		*out = val;
	}
	return 0;
}

static int fn_eval(const struct annex_config *cfg, char *body, char **out, struct annex_err *err)
{
	char *val = NULL, *s;
	struct xval v;

	if (lookup_or_literal(cfg, body, &val, err) < 0)
		return -1;
	if ((s = unquote_classad_string(val)) != NULL) {
		free(val);
		*out = s;
	} else if (xeval(val, &v)) {
		free(val);
		if (v.is_real) {
			char tmp[64];
			snprintf(tmp, sizeof tmp, "%.15G", v.d);
			*out = strpbrk(tmp, ".EIN") ? xstrdup(tmp) : xasprintf("%s.0", tmp);
		} else {
			*out = xasprintf("%lld", v.i);
		}
	} else {
		*out = val;
	}
	return 0;
}

static int fn_random_choice(const struct annex_config *cfg, const char *body, char **out, struct annex_err *err)
{
	size_t n;
	char **entries = split_list(body, 0, &n);

	if (n == 1) {
		const char *raw = cfg_lookup_raw(cfg, entries[0], NULL);
		if (raw) {
			char *exp = NULL;
			if (cfg_expand(cfg, raw, &exp, err) < 0) {
				free_list(entries, n);
				return -1;
			}
			free_list(entries, n);
			entries = split_list(exp, 0, &n);
			free(exp);
		}
	}
	if (n == 0) {
		free_list(entries, n);
		return annex_err_set(err, "Config", "$RANDOM_CHOICE() macro in config file empty!");
	}
	*out = xstrdup(entries[random_ulong() % n]);
	free_list(entries, n);
	return 0;
}

static int fn_random_integer(const char *body, char **out, struct annex_err *err)
{
	size_t n;
	char **a = split_list(body, 1, &n);
	long long lo, hi, step = 1;
	int rc = -1;

	if (n < 1 || !cfg_eval_long(a[0], &lo)) {
		annex_err_set(err, "Config", "$RANDOM_INTEGER() config macro: invalid min!");
		goto out;
	}
	if (n < 2 || !cfg_eval_long(a[1], &hi)) {
		annex_err_set(err, "Config", "$RANDOM_INTEGER() config macro: invalid max!");
		goto out;
	}
	if (n > 2 && *a[2] && !cfg_eval_long(a[2], &step))
		step = 0;
	if (step < 1 || step > 0x7fffffff) {
		annex_err_set(err, "Config", "$RANDOM_INTEGER() config macro: invalid step!");
		goto out;
	}
	if (lo > hi || hi - lo > 0x3fffffffffffffffLL) {
		annex_err_set(err, "Config", "$RANDOM_INTEGER() config macro: min > max!");
		goto out;
	}
	long long num = (hi - lo) / step + 1;
	*out = xasprintf("%lld", lo + (long long)(random_ulong() % (unsigned long long)num) * step);
	rc = 0;
out:
	free_list(a, n);
	return rc;
}

/* $Fpndx...(), $BASENAME(), $DIRNAME(): parts of a file name. */
static int fn_filename(const struct annex_config *cfg, enum macro_id id, const char *func, size_t func_len,
		       const char *body, char **out, struct annex_err *err)
{
	int parts = 0, num_dirs = 0, quoted = 0, bare = 0, arg_quote = 0;
	char to_path_char = 0;
	char *val = NULL;

	if (id == M_BASENAME) {
		parts = 1 | 2;
	} else if (id == M_DIRNAME) {
		parts = 4;
	} else {
		for (size_t i = 1; i < func_len; i++) {
			switch (func[i] | 0x20) {
			case 'x': parts |= 1; break;
			case 'n': parts |= 2; break;
			case 'p': parts |= 4; break;
			case 'd': parts |= 8; num_dirs++; break;
			case 'a': arg_quote = 1; break;
			case 'b': bare = 1; break;
			case 'w': to_path_char = '\\'; break;
			case 'u': to_path_char = '/'; break;
			case 'q': quoted = 1; break;
			}
		}
	}
	if (lookup_or_literal(cfg, body, &val, err) < 0)
		return -1;

	char quote_char = quoted ? (arg_quote ? '\'' : '"') : 0;
	/* strip one pair of surrounding quotes, then add the requested ones */
	const char *s = val;
	size_t cch = strlen(s);
	if (cch > 1 && s[0] == s[cch - 1] && (s[0] == '"' || s[0] == '\'')) {
		s++;
		cch -= 2;
	}
	char q0 = 0;
	if (cch && (*s == '"' || (quote_char && *s == quote_char))) {
		q0 = *s;
		s++;
		cch--;
	}
	if (cch && q0 && s[cch - 1] == q0)
		cch--;
	char *b = xstrndup(s, cch);
	if (to_path_char) {
		char from = to_path_char == '/' ? '\\' : '/';
		for (char *c = b; *c; c++)
			if (*c == from)
				*c = to_path_char;
	}
	free(val);

	size_t end = strlen(b);
	size_t ixn = 0;
	for (size_t i = 0; i < end; i++)
		if (b[i] == '/' || b[i] == '\\')
			ixn = i + 1;
	const char *dot = strrchr(b + ixn, '.');
	size_t ixx = dot ? (size_t)(dot - b) : end;
	if (!ixn && (parts & 3))
		parts &= ~(4 | 8);

	size_t start = 0;
	switch (parts & 0xF) {
	case 1: start = ixx; if (bare && ixx < end) start++; break;
	case 3: start = ixn; break;
	case 2: start = ixn; end = ixx; break;
	case 0: case 7: case 5: start = 0; break;
	case 4: end = ixn; if (bare && ixn > 0) end = ixn - 1; break;
	case 6: end = ixx; break;
	default:
		if (ixn > 0) {
			/* the basename plus num_dirs directories: start after
			 * the (num_dirs + 1)-th separator from the end */
			size_t seen = 0;
			for (size_t i = ixn; i > 0; i--) {
				if ((b[i - 1] == '/' || b[i - 1] == '\\') && ++seen > (size_t)num_dirs) {
					start = i;
					break;
				}
			}
			if ((parts & 3) == 2)
				end = ixx;
			else if ((parts & 3) == 0) {
				end = ixn;
				if (bare && ixn > 0)
					end = ixn - 1;
			}
		} else {
			start = end = 0;
		}
		break;
	}
	if (end < start)
		end = start;
	struct buf o = BUF_INIT;
	if (quote_char)
		buf_putc(&o, quote_char);
	buf_append(&o, b + start, end - start);
	if (quote_char)
		buf_putc(&o, quote_char);
	free(b);
	*out = o.data ? buf_steal(&o) : xstrdup("");
	return 0;
}

/* Evaluates one macro (value[pos.dollar .. pos.right)) into *repl. */
static int evaluate(const struct annex_config *cfg, const char *value, const struct macro_pos *pos,
		    enum macro_id id, char **repl, struct annex_err *err)
{
	char *body = xstrndup(value + pos->body, pos->right - 1 - pos->body);
	int rc = 0;

	*repl = NULL;
	switch (id) {
	case M_NORMAL:
	case M_ENV: {
		char *colon = strchr(body, ':');
		const char *v;
		if (colon)
			*colon++ = 0;
		if (id == M_NORMAL) {
			v = cfg_lookup_raw(cfg, body, NULL);
			if (colon && (!v || !*v))
				v = colon;
		} else {
			v = getenv(body);
			if (!v)
				v = colon ? colon : "UNDEFINED";
		}
		*repl = xstrdup(v ? v : "");
		break;
	}
	case M_CHOICE: rc = fn_choice(cfg, body, repl, err); break;
	case M_SUBSTR: rc = fn_substr(cfg, body, repl, err); break;
	case M_INT:
	case M_REAL: rc = fn_int_real(cfg, id, body, repl, err); break;
	case M_STRING: rc = fn_string(cfg, body, repl, err); break;
	case M_EVAL: rc = fn_eval(cfg, body, repl, err); break;
	case M_RANDOM_CHOICE: rc = fn_random_choice(cfg, body, repl, err); break;
	case M_RANDOM_INTEGER: rc = fn_random_integer(body, repl, err); break;
	case M_BASENAME:
	case M_DIRNAME:
	case M_FILENAME:
		rc = fn_filename(cfg, id, value + pos->func, pos->body - 1 - pos->func, body, repl, err);
		break;
	default:
		rc = annex_err_set(err, "Config", "unknown macro function");
		break;
	}
	free(body);
	return rc;
}

/* The expansion loop shared by full and self-only expansion. */
static int expand_loop_body(const struct annex_config *cfg, const char *value, macro_skip_fn skip, void *ud,
			    int do_dollar, char **out, struct annex_err *err)
{
	char *cur = xstrdup(value);
	size_t rounds = 0, work = 0;
	struct macro_pos pos;
	enum macro_id id;

	*out = NULL;
	while ((id = next_macro(cur, 0, &pos, skip, ud)) != M_NONE) {
		char *repl = NULL;
		if (++rounds > EXPAND_MAX_ROUNDS || work > EXPAND_MAX_WORK) {
			annex_err_set(err, "Config", "macro expansion does not end (a reference cycle?) in: %.80s", value);
			free(cur);
			return -1;
		}
		if (evaluate(cfg, cur, &pos, id, &repl, err) < 0) {
			free(cur);
			return -1;
		}
		size_t len = strlen(cur), rlen = strlen(repl);
		size_t nlen = len - (pos.right - pos.dollar) + rlen;
		if (nlen > CFG_MAX_VALUE_BYTES) {
			annex_err_set(err, "Config", "macro expansion longer than %u bytes in: %.80s",
				      CFG_MAX_VALUE_BYTES, value);
			free(repl);
			free(cur);
			return -1;
		}
		char *n = xmalloc(nlen + 1);
		memcpy(n, cur, pos.dollar);
		memcpy(n + pos.dollar, repl, rlen);
		memcpy(n + pos.dollar + rlen, cur + pos.right, len - pos.right + 1);
		work += nlen;
		free(repl);
		free(cur);
		cur = n;
	}
	if (do_dollar) {
		size_t search = 0;
		while (next_macro(cur, search, &pos, only_dollar, NULL) != M_NONE) {
			size_t len = strlen(cur);
			memmove(cur + pos.dollar + 1, cur + pos.right, len - pos.right + 1);
			cur[pos.dollar] = '$';
			search = pos.dollar + 1;
		}
	}
	*out = cur;
	return 0;
}

/* expand_loop_body with a bound on how deeply function arguments nest. */
static int expand_loop(const struct annex_config *cfg, const char *value, macro_skip_fn skip, void *ud,
		       int do_dollar, char **out, struct annex_err *err)
{
	int rc;

	*out = NULL;
	if (expand_nesting >= EXPAND_MAX_NESTING)
		return annex_err_set(err, "Config", "macro expansion nested too deep (a reference cycle?) in: %.80s",
				     value);
	expand_nesting++;
	rc = expand_loop_body(cfg, value, skip, ud, do_dollar, out, err);
	expand_nesting--;
	return rc;
}

int cfg_expand(const struct annex_config *cfg, const char *value, char **out, struct annex_err *err)
{
	return expand_loop(cfg, value, skip_dollar, NULL, 1, out, err);
}

/* When self is "PREFIX.name" with PREFIX the local name or the subsystem,
 * returns a pointer to name. */
static const char *strip_prefix(const char *self, const char *prefix)
{
	size_t n;
	if (!prefix || !*prefix)
		return NULL;
	n = strlen(prefix);
	if (strncasecmp(self, prefix, n) == 0 && self[n] == '.' && self[n + 1])
		return self + n + 1;
	return NULL;
}

int cfg_expand_self(const struct annex_config *cfg, const char *value, const char *self,
		    char **out, struct annex_err *err)
{
	struct self_names s = { self, NULL };
	s.self2 = strip_prefix(self, cfg->localname);
	if (!s.self2)
		s.self2 = strip_prefix(self, cfg->subsys);
	return expand_loop(cfg, value, only_self, &s, 0, out, err);
}
