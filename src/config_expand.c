/* config_expand.c - HTCondor's macro expansion: $(NAME), $(NAME:default),
 * $ENV(X[:default]), $INT() $REAL() $STRING() $EVAL() $SUBSTR() $CHOICE()
 * $RANDOM_CHOICE() $RANDOM_INTEGER() $BASENAME() $DIRNAME() and the
 * file-part functions $F[pndxqabwuf]*(), then $(DOLLAR).
 *
 * The scanner (config_macro.c) finds the leftmost macro whose body is well
 * formed; anything else, such as an unterminated "$(", stays literal. The
 * arithmetic is config_eval.c's, the pure text work config_text.c's. Each
 * replacement is rescanned from the start, which is how a value's own
 * references get expanded, so the number of rounds and the size are
 * capped to turn a reference cycle into an error instead of a hang. */
#include "annex/config_expand.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annex/config_eval.h"
#include "annex/config_macro.h"
#include "annex/config_text.h"

#define EXPAND_MAX_ROUNDS 10000
#define EXPAND_MAX_WORK (16u * 1024 * 1024)
#define EXPAND_MAX_NESTING 32

/* How deep function arguments are being expanded ($INT(A) where A is
 * $INT(A) would otherwise recurse forever). annex is single-threaded. */
static int expand_nesting;

static int is_dollar_body(const char *body, size_t len)
{
	return len == 6 && strncasecmp(body, "DOLLAR", 6) == 0;
}

/* Skip predicates for the scanner: full expansion leaves $(DOLLAR) for
 * last; the last pass sees only $(DOLLAR); a line being read expands only
 * references to the name it defines. */
static int skip_dollar(void *ud, enum cfg_macro_id id, const char *body, size_t len)
{
	(void)ud;
	return id == CFG_MACRO_NORMAL && is_dollar_body(body, len);
}

static int only_dollar(void *ud, enum cfg_macro_id id, const char *body, size_t len)
{
	(void)ud;
	return !(id == CFG_MACRO_NORMAL && is_dollar_body(body, len));
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

static int only_self(void *ud, enum cfg_macro_id id, const char *body, size_t len)
{
	const struct self_names *s = ud;
	if (id != CFG_MACRO_NORMAL && id != CFG_MACRO_FILENAME)
		return 1;
	if (name_matches(body, len, s->self))
		return 0;
	if (s->self2 && name_matches(body, len, s->self2))
		return 0;
	return 1;
}

/* ---- the functions ---- */

/* Looks a name up and expands it; a name that is not defined is used as
 * the literal text (HTCondor's "lookup_macro(x) else x"). */
static int lookup_or_literal(const struct cfg_store *cfg, const char *name, char **out, struct annex_err *err)
{
	const char *raw = cfg_store_lookup(cfg, name, NULL);
	if (!raw)
		raw = name;
	if (strchr(raw, '$'))
		return cfg_expand(cfg, raw, out, err);
	*out = xstrdup(raw);
	return 0;
}

/* Looks name up and expands it: 1 with *out (caller frees) when defined,
 * 0 when not (*out NULL), -1 on an expansion error. */
static int lookup_expanded(const struct cfg_store *cfg, const char *name, char **out, struct annex_err *err)
{
	const char *raw = cfg_store_lookup(cfg, name, NULL);

	*out = NULL;
	if (!raw)
		return 0;
	return cfg_expand(cfg, raw, out, err) < 0 ? -1 : 1;
}

/* An integer argument of macro (looked up, else literal) in [lo, hi];
 * what names it in the error ("$SUBSTR() macro: x is invalid <what>!"). */
static int int_arg(const struct cfg_store *cfg, const char *macro, const char *arg, long long lo, long long hi,
		   const char *what, long long *out, struct annex_err *err)
{
	char *v = NULL;
	int rc = 0;

	if (lookup_or_literal(cfg, arg, &v, err) < 0)
		return -1;
	if (!cfg_eval_long(v, out) || *out < lo || *out > hi)
		rc = annex_err_set(err, "Config", "%s macro: %s is invalid %s!", macro, v, what);
	free(v);
	return rc;
}

static unsigned long random_ulong(void)
{
	unsigned long r = 0;
	if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
		r = (unsigned long)rand();
	return r;
}

/* $CHOICE(index, a, b, ...) picks among its arguments; $CHOICE(index,
 * LIST) among the items of the knob LIST. */
static int fn_choice(const struct cfg_store *cfg, const char *body, char **out, struct annex_err *err)
{
	size_t n, n_items;
	char **entries = cfg_text_split(body, 1, &n), **items;
	int rc = -1;
	long long index;

	if (n < 2) {
		annex_err_set(err, "Config", "$CHOICE() config macro: no index!");
		goto out;
	}
	if (int_arg(cfg, "$CHOICE()", entries[0], 0, 0x7ffffffe, "index", &index, err) < 0)
		goto out;
	items = entries + 1;
	n_items = n - 1;
	if (n == 2) {
		char *exp = NULL;
		int found = lookup_expanded(cfg, entries[1], &exp, err);
		if (found == 0)
			annex_err_set(err, "Config", "$CHOICE() macro: no list named \"%s\"!", entries[1]);
		if (found <= 0)
			goto out;
		cfg_text_free_list(entries, n);
		items = entries = cfg_text_split(exp, 0, &n);
		n_items = n;
		free(exp);
	}
	if ((size_t)index >= n_items) {
		annex_err_set(err, "Config", "$CHOICE() config macro: index %d is out of range!", (int)index);
		goto out;
	}
	*out = xstrdup(items[index]);
	rc = 0;
out:
	cfg_text_free_list(entries, n);
	return rc;
}

/* A negative offset counts back from len, as in Python; the result is
 * kept within [0, len]. */
static long long clamp_offset(long long off, long long len)
{
	if (off < 0)
		off += len;
	return off < 0 ? 0 : off > len ? len : off;
}

/* $SUBSTR(NAME, start[, length]), negative start and length counting from
 * the end as in Python. */
static int fn_substr(const struct cfg_store *cfg, char *body, char **out, struct annex_err *err)
{
	char *start_arg = strchr(body, ',');
	char *len_arg, *val = NULL;
	long long start, sub_len = 0x3fffffff;
	int found;

	if (!start_arg)
		return annex_err_set(err, "Config", "$SUBSTR() macro: no length specified!");
	*start_arg++ = 0;
	len_arg = strchr(start_arg, ',');
	if (len_arg)
		*len_arg++ = 0;
	if (int_arg(cfg, "$SUBSTR()", start_arg, -0x7fffffff, 0x7ffffffe, "start index", &start, err) < 0)
		return -1;
	if (len_arg &&
	    int_arg(cfg, "$SUBSTR()", len_arg, -0x7fffffff, 0x7fffffff, "length ", &sub_len, err) < 0)
		return -1;
	if ((found = lookup_expanded(cfg, body, &val, err)) <= 0) {
		if (found == 0)
			*out = xstrdup("");
		return found;
	}
	long long cch = (long long)strlen(val);
	start = clamp_offset(start, cch);
	sub_len = clamp_offset(sub_len, cch - start);
	*out = xstrndup(val + start, (size_t)sub_len);
	free(val);
	return 0;
}

static int fn_int_real(const struct cfg_store *cfg, enum cfg_macro_id id, char *body, char **out,
		       struct annex_err *err)
{
	const char *what = id == CFG_MACRO_INT ? "$INT()" : "$REAL()";
	char *fmt = strchr(body, ',');
	char safe[256], *val = NULL;
	int rc = -1;

	if (fmt) {
		*fmt++ = 0;
		if (!cfg_text_safe_format(fmt, id == CFG_MACRO_INT ? "dioxXu" : "eEfFgGaA",
					  id == CFG_MACRO_INT ? "ll" : "", safe, sizeof safe))
			return annex_err_set(err, "Config", "%s macro: '%s' is not a valid format specifier!", what, fmt);
	}
	if (lookup_or_literal(cfg, body, &val, err) < 0)
		return -1;
	if (id == CFG_MACRO_INT) {
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

static int fn_string(const struct cfg_store *cfg, char *body, char **out, struct annex_err *err)
{
	char *fmt = strchr(body, ',');
	char safe[256], *val = NULL, *s;

	if (fmt) {
		*fmt++ = 0;
		if (!cfg_text_safe_format(fmt, "s", "", safe, sizeof safe))
			return annex_err_set(err, "Config", "$STRING macro: '%s' is not a valid format specifier!", fmt);
	}
	if (lookup_or_literal(cfg, body, &val, err) < 0)
		return -1;
	s = cfg_text_unquote(val);
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

/* $EVAL(x): a ClassAd string literal's contents, an arithmetic
 * expression's value, else x's value as it is. */
static int fn_eval(const struct cfg_store *cfg, char *body, char **out, struct annex_err *err)
{
	char *val = NULL, *s;

	if (lookup_or_literal(cfg, body, &val, err) < 0)
		return -1;
	s = cfg_text_unquote(val);
	if (!s)
		s = cfg_eval_text(val);
	if (s) {
		free(val);
		val = s;
	}
	*out = val;
	return 0;
}

/* $RANDOM_CHOICE(a, b, ...), or $RANDOM_CHOICE(LIST) among the items of
 * the knob LIST. */
static int fn_random_choice(const struct cfg_store *cfg, const char *body, char **out, struct annex_err *err)
{
	size_t n;
	char **entries = cfg_text_split(body, 0, &n);

	if (n == 1) {
		char *exp = NULL;
		int found = lookup_expanded(cfg, entries[0], &exp, err);
		if (found < 0) {
			cfg_text_free_list(entries, n);
			return -1;
		}
		if (found) {
			cfg_text_free_list(entries, n);
			entries = cfg_text_split(exp, 0, &n);
			free(exp);
		}
	}
	if (n == 0) {
		cfg_text_free_list(entries, n);
		return annex_err_set(err, "Config", "$RANDOM_CHOICE() macro in config file empty!");
	}
	*out = xstrdup(entries[random_ulong() % n]);
	cfg_text_free_list(entries, n);
	return 0;
}

static int fn_random_integer(const char *body, char **out, struct annex_err *err)
{
	size_t n;
	char **a = cfg_text_split(body, 1, &n);
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
	cfg_text_free_list(a, n);
	return rc;
}

/* $Fpndx...(), $BASENAME(), $DIRNAME(): parts of a file name. */
static int fn_filename(const struct cfg_store *cfg, enum cfg_macro_id id, const char *func, size_t func_len,
		       const char *body, char **out, struct annex_err *err)
{
	char *val = NULL;

	if (lookup_or_literal(cfg, body, &val, err) < 0)
		return -1;
	*out = cfg_text_file_part(id, func, func_len, val);
	free(val);
	return 0;
}

/* Evaluates one macro (value[pos.dollar .. pos.right)) into *repl. */
static int evaluate(const struct cfg_store *cfg, const char *value, const struct cfg_macro_pos *pos,
		    enum cfg_macro_id id, char **repl, struct annex_err *err)
{
	char *body = xstrndup(value + pos->body, pos->right - 1 - pos->body);
	int rc = 0;

	*repl = NULL;
	switch (id) {
	case CFG_MACRO_NORMAL:
	case CFG_MACRO_ENV: {
		char *colon = strchr(body, ':');
		const char *v;
		if (colon)
			*colon++ = 0;
		if (id == CFG_MACRO_NORMAL) {
			v = cfg_store_lookup(cfg, body, NULL);
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
	case CFG_MACRO_CHOICE: rc = fn_choice(cfg, body, repl, err); break;
	case CFG_MACRO_SUBSTR: rc = fn_substr(cfg, body, repl, err); break;
	case CFG_MACRO_INT:
	case CFG_MACRO_REAL: rc = fn_int_real(cfg, id, body, repl, err); break;
	case CFG_MACRO_STRING: rc = fn_string(cfg, body, repl, err); break;
	case CFG_MACRO_EVAL: rc = fn_eval(cfg, body, repl, err); break;
	case CFG_MACRO_RANDOM_CHOICE: rc = fn_random_choice(cfg, body, repl, err); break;
	case CFG_MACRO_RANDOM_INTEGER: rc = fn_random_integer(body, repl, err); break;
	case CFG_MACRO_BASENAME:
	case CFG_MACRO_DIRNAME:
	case CFG_MACRO_FILENAME:
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
static int expand_loop_body(const struct cfg_store *cfg, const char *value, cfg_macro_skip_fn skip, void *ud,
			    int do_dollar, char **out, struct annex_err *err)
{
	char *cur = xstrdup(value);
	size_t rounds = 0, work = 0;
	struct cfg_macro_pos pos;
	enum cfg_macro_id id;

	*out = NULL;
	while ((id = cfg_macro_next(cur, 0, &pos, skip, ud)) != CFG_MACRO_NONE) {
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
		while (cfg_macro_next(cur, search, &pos, only_dollar, NULL) != CFG_MACRO_NONE) {
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
static int expand_loop(const struct cfg_store *cfg, const char *value, cfg_macro_skip_fn skip, void *ud,
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

int cfg_expand(const struct cfg_store *cfg, const char *value, char **out, struct annex_err *err)
{
	return expand_loop(cfg, value, skip_dollar, NULL, 1, out, err);
}

int cfg_expand_self(const struct cfg_store *cfg, const char *value, const char *self,
		    char **out, struct annex_err *err)
{
	struct self_names s = { self, cfg_store_unprefixed(cfg, self) };
	return expand_loop(cfg, value, only_self, &s, 0, out, err);
}
