/* config_eval.c - the small arithmetic HTCondor's config takes where a
 * number is wanted ($INT() $REAL() $EVAL(), typed lookups): integers and
 * reals, + - * / %, unary - + !, parentheses, true and false. Integer
 * overflow and division by zero make an expression invalid rather than
 * wrap. Pure: no lookups, no state. */
#include "annex/config_eval.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annex/buf.h"

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

/* operand (op operand)* for the operators in ops, left to right. */
static struct xval xchain(struct xparser *x, const char *ops, struct xval (*operand)(struct xparser *))
{
	struct xval v = operand(x);
	for (;;) {
		xskip(x);
		char op = *x->p;
		if (!op || !strchr(ops, op))
			return v;
		x->p++;
		v = xarith(x, v, op, operand(x));
		if (!x->ok)
			return v;
	}
}

static struct xval xterm(struct xparser *x)
{
	return xchain(x, "*/%", xprimary);
}

static struct xval xexpr(struct xparser *x)
{
	return xchain(x, "+-", xterm);
}

static int xeval(const char *s, struct xval *out)
{
	struct xparser x = { s, 0, 1 };
	*out = xexpr(&x);
	xskip(&x);
	return x.ok && *x.p == 0 && !(out->is_real && !isfinite(out->d));
}

/* 1 when end (what strtoll or strtod left) is the end of a number:
 * something was read, without a range error, and only space follows. */
static int number_ends(const char *s, const char *end)
{
	if (end == s || errno)
		return 0;
	while (isspace((unsigned char)*end))
		end++;
	return !*end;
}

int cfg_eval_long(const char *s, long long *out)
{
	char *end;
	struct xval v;

	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (number_ends(s, end)) {
		*out = n;
		return 1;
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
	if (number_ends(s, end) && isfinite(d)) {
		*out = d;
		return 1;
	}
	if (!xeval(s, &v))
		return 0;
	*out = xnum(&v);
	return 1;
}

char *cfg_eval_text(const char *s)
{
	struct xval v;
	char tmp[64];

	if (!xeval(s, &v))
		return NULL;
	if (!v.is_real)
		return xasprintf("%lld", v.i);
	snprintf(tmp, sizeof tmp, "%.15G", v.d);
	return strpbrk(tmp, ".EIN") ? xstrdup(tmp) : xasprintf("%s.0", tmp);
}
