/* config_cond.c - HTCondor config's if / elif / else / endif: the nesting
 * state of one source, and the evaluation of a condition (a number, a
 * boolean, `version >= 25.0`, `defined NAME`, `defined use CAT:NAME`,
 * each after macro expansion and an optional '!'), following HTCondor
 * 25.14's config.cpp so that an odd condition means the same here as
 * there. Complex expressions are refused, as HTCondor refuses them. */
#include "annex/config_cond.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annex/config_expand.h"
#include "annex/config_tables.h"

/* The HTCondor version `if version` compares with. */
#define HTCONDOR_VERSION_MAJOR 25
#define HTCONDOR_VERSION_MINOR 14
#define HTCONDOR_VERSION_SUB 0

void cfg_cond_init(struct cfg_cond *s)
{
	s->state = 1;
	s->estate = 0;
	s->istate = 0;
	s->top = 1;
}

int cfg_cond_enabled(const struct cfg_cond *s)
{
	unsigned long long mask = s->top | (s->top - 1);
	return (s->state & mask) == mask;
}

int cfg_cond_inside_if(const struct cfg_cond *s) { return s->top > 1; }
static int ifs_inside_else(const struct cfg_cond *s) { return s->top > 1 && !(s->istate & s->top); }

static int ifs_begin_if(struct cfg_cond *s, int bb)
{
	if (s->top >= (1ULL << CFG_MAX_IF_DEPTH))
		return 0;
	s->top <<= 1;
	s->istate |= s->top;
	if (bb) {
		s->state |= s->top;
		s->estate |= s->top;
	} else {
		s->state &= ~s->top;
		s->estate &= ~s->top;
	}
	return 1;
}

static int ifs_begin_else(struct cfg_cond *s)
{
	if (!(s->istate & s->top))
		return 0;
	s->istate &= ~s->top;
	if ((s->estate | s->state) & s->top)
		s->state &= ~s->top;
	else
		s->state |= s->top;
	return s->top > 1;
}

static int ifs_begin_elif(struct cfg_cond *s, int bb)
{
	if (!(s->istate & s->top))
		return 0;
	if (s->estate & s->top) {
		s->state &= ~s->top;
	} else if (bb) {
		s->estate |= s->top;
		s->state |= s->top;
	} else {
		s->state &= ~s->top;
	}
	return s->top > 1;
}

static int ifs_end_if(struct cfg_cond *s)
{
	s->istate &= ~s->top;
	s->top >>= 1;
	if (!s->top) {
		cfg_cond_init(s);
		return 0;
	}
	return 1;
}

enum cift { CIFT_EMPTY, CIFT_NUMBER, CIFT_BOOL, CIFT_IDENTIFIER, CIFT_MACRO, CIFT_VERSION, CIFT_IFDEF, CIFT_COMPLEX };

/* Compares ptr (after leading space) with a lower-case literal; with
 * no_trailing nothing but space may follow, else no alphanumeric. */
static int matches_literal(const char *ptr, const char *lit, int no_trailing)
{
	while (isspace((unsigned char)*ptr))
		ptr++;
	while (*lit)
		if ((*ptr++ | 0x20) != *lit++)
			return 0;
	if (no_trailing) {
		while (isspace((unsigned char)*ptr))
			ptr++;
		return !*ptr;
	}
	return !isalnum((unsigned char)*ptr);
}

/* Classifies an if expression by the kinds of characters in it, as
 * HTCondor does before deciding how to evaluate it. */
static enum cift characterize(const char *expr, int keyword_check)
{
	enum { SP = 1, DG = 2, AL = 4, ID = 8, CM = 0x10, SU = 0x20, LG = 0x40, GR = 0x80,
	       MO = 0x100, CO = 0x200, OT = 0x400, FL = 0x1000, MA = 0x2000 };
	const char *p = expr;
	int set = 0, ch;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return CIFT_EMPTY;
	const char *begin = p;
	if (*p == '-')
		p++;
	while ((ch = (unsigned char)*p++) != 0) {
		if (ch >= '0' && ch <= '9') set |= DG;
		else if (ch == '.') { if (set == DG || !*p || isdigit((unsigned char)*p)) set |= FL; else set |= ID; }
		else if (ch == 'e' || ch == 'E') { if ((set & ~FL) == DG) set |= FL; else set |= AL; }
		else if (ch == '-' || ch == '+') { if (set != (DG | FL)) set |= SU; }
		else if (isalpha(ch)) set |= AL;
		else if (ch == '_' || ch == '/') set |= ID;
		else if (ch >= '<' && ch <= '>') set |= CM;
		else if (ch == '!' && *p == '=') set |= CM;
		else if (ch == '$') { set |= MO; if (*p == '(') set |= MA; }
		else if (isspace(ch)) { if (*p && !isspace((unsigned char)*p)) set |= SP; }
		else if (ch == '&' || ch == '|') set |= LG;
		else if (ch == '{' || ch == '}' || ch == '(' || ch == ')' || ch == '[' || ch == ']') set |= GR;
		else if (ch == ':') set |= CO;
		else set |= OT;
	}
	switch (set) {
	case 0:
		return CIFT_EMPTY;
	case DG:
	case DG | FL:
		return CIFT_NUMBER;
	case AL:
		if (matches_literal(expr, "false", 1) || matches_literal(expr, "true", 1))
			return CIFT_BOOL;
		if (keyword_check) {
			if (matches_literal(begin, "version", 1))
				return CIFT_VERSION;
			if (matches_literal(begin, "defined", 1))
				return CIFT_IFDEF;
		}
		return CIFT_IDENTIFIER;
	case AL | DG:
	case AL | DG | FL:
	case AL | ID:
	case AL | ID | DG:
	case AL | ID | DG | FL:
		return CIFT_IDENTIFIER;
	case AL | SP | CM | DG:
	case AL | SP | CM | DG | FL:
		if (keyword_check && matches_literal(begin, "version", 0))
			return CIFT_VERSION;
		return CIFT_COMPLEX;
	case AL | SP:
	case AL | SP | CO:
	case AL | SP | ID:
	case AL | SP | ID | CO:
	case AL | SP | DG:
	case AL | SP | DG | ID:
	case AL | SP | DG | FL:
	case AL | SP | DG | ID | FL:
		if (keyword_check && matches_literal(begin, "defined", 0))
			return CIFT_IFDEF;
		return CIFT_COMPLEX;
	}
	if ((set & MA) && !(set & ~(MO | ID | AL | DG | MA | CO)))
		return CIFT_MACRO;
	return CIFT_COMPLEX;
}

static int crufty_bool(const char *expr, int *result)
{
	if (matches_literal(expr, "yes", 1) || matches_literal(expr, "t", 1)) {
		*result = 1;
		return 1;
	}
	if (matches_literal(expr, "no", 1) || matches_literal(expr, "f", 1)) {
		*result = 0;
		return 1;
	}
	return 0;
}

/* The text after the 7-letter keyword ("version", "defined") that starts
 * expr, without the space around the keyword. */
static const char *after_keyword(const char *expr)
{
	const char *p = expr;
	while (isspace((unsigned char)*p))
		p++;
	p += 7;
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* `version [!]OP [v]MAJ.MIN[.SUB]`, compared with HTCondor 25.14.0. */
static int evaluate_version(const char *p, int *result, const char **why)
{
	int op = 0, or_equal = 0, negated = 0;
	if (*p == '!') {
		negated = 1;
		p++;
	}
	if (*p >= '<' && *p <= '>')
		op = *p++ - '=';
	if (*p == '=') {
		or_equal = 1;
		p++;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p == 'v' || *p == 'V')
		p++;
	int maj = 0, min = 0, sub = HTCONDOR_VERSION_SUB;
	int n = sscanf(p, "%d.%d.%d", &maj, &min, &sub);
	if (n < 2 || maj < 6) {
		*why = "the version literal is invalid";
		return 0;
	}
	long long ours = (long long)HTCONDOR_VERSION_MAJOR * 1000000 + HTCONDOR_VERSION_MINOR * 1000 +
			 HTCONDOR_VERSION_SUB;
	long long theirs = (long long)maj * 1000000 + (long long)min * 1000 + sub;
	int sign = ours < theirs ? -1 : ours > theirs ? 1 : 0;
	*result = sign == op || (or_equal && sign == 0);
	if (negated)
		*result = !*result;
	return 1;
}

/* `defined NAME` (a definition that is not empty), `defined use CAT[:NAME]`
 * (a known metaknob), or a number or boolean (always defined). */
static int evaluate_defined(const struct cfg_store *cfg, const char *p, int *result, const char **why)
{
	if (!*p) {
		*result = 0;
		return 1;
	}
	enum cift ec2 = characterize(p, 0);
	if (ec2 == CIFT_IDENTIFIER) {
		const char *v = cfg_store_lookup(cfg, p, NULL);
		int dummy;
		if (!v && crufty_bool(p, &dummy))
			v = "true";
		*result = v && *v;
		return 1;
	}
	if (ec2 == CIFT_NUMBER || ec2 == CIFT_BOOL) {
		*result = 1;
		return 1;
	}
	if (strncasecmp(p, "use ", 4) == 0) {
		p += 4;
		while (isspace((unsigned char)*p))
			p++;
		if (strpbrk(p, " \t\r")) {
			*why = "defined use meta argument with internal spaces will never match";
			return 0;
		}
		char *cat = xstrdup(p);
		char *colon = strchr(cat, ':');
		int known = 0;
		if (colon)
			*colon++ = 0;
		const char *t = cfg_table_template(cat, colon ? colon : "", &known);
		*result = known && (!colon || !*colon || t);
		free(cat);
		return 1;
	}
	*why = "defined argument must be param name, boolean, or number";
	return 0;
}

/* Evaluates one (expanded) if condition; returns 0 with *why on an
 * unsupported or malformed condition. */
static int evaluate_if(const struct cfg_store *cfg, const char *expr, int *result, const char **why)
{
	enum cift ec = characterize(expr, 1);

	if (ec == CIFT_NUMBER) {
		double d = atof(expr);
		*result = d < 0 || d > 0;
		return 1;
	}
	if (ec == CIFT_BOOL) {
		*result = matches_literal(expr, "true", 1);
		return 1;
	}
	if (ec == CIFT_IDENTIFIER && crufty_bool(expr, result))
		return 1;
	if (ec == CIFT_VERSION)
		return evaluate_version(after_keyword(expr), result, why);
	if (ec == CIFT_IFDEF)
		return evaluate_defined(cfg, after_keyword(expr), result, why);
	*why = ec == CIFT_COMPLEX ? "complex conditionals are not supported" : "expression is not a conditional";
	return 0;
}

/* Expands $() in the condition, handles a leading '!', evaluates. */
static int test_if(const struct cfg_store *cfg, const char *expr, int *result, const char **why,
		   struct annex_err *err)
{
	char *expanded = NULL;
	int inverted = 0, ok;

	if (strchr(expr, '$')) {
		if (cfg_expand(cfg, expr, &expanded, err) < 0)
			return -1;
		size_t n = strlen(expanded);
		while (n && isspace((unsigned char)expanded[n - 1]))
			expanded[--n] = 0;
		expr = expanded;
	}
	while (isspace((unsigned char)*expr))
		expr++;
	if (*expr == '!') {
		inverted = 1;
		expr++;
		while (isspace((unsigned char)*expr))
			expr++;
	}
	if (expanded && !*expr) {
		*result = 0;
		ok = 1;
	} else {
		ok = evaluate_if(cfg, expr, result, why);
	}
	if (inverted)
		*result = !*result;
	free(expanded);
	return ok;
}

static int starts_word(const char *line, const char *word)
{
	size_t n = strlen(word);
	return strncasecmp(line, word, n) == 0 && (isspace((unsigned char)line[n]) || !line[n]);
}

/* Evaluates the condition after keyword kw ("if" or "elif") of line into
 * *bb: 1, or 0 with *msg set when it is not a valid condition, or -1 on an
 * expansion error (err set). */
static int line_condition(const struct cfg_store *cfg, const char *line, const char *kw, int *bb, char **msg,
			  struct annex_err *err)
{
	const char *expr = line + strlen(kw), *why = NULL;
	int rc;

	while (isspace((unsigned char)*expr))
		expr++;
	rc = test_if(cfg, expr, bb, &why, err);
	if (rc == 0)
		*msg = xasprintf("%s is not a valid %s condition%s%s", expr, kw, why ? " because " : "", why ? why : "");
	return rc;
}

int cfg_cond_line(const struct cfg_store *cfg, struct cfg_cond *s, const char *line, char **msg,
		  struct annex_err *err)
{
	int bb, rc;

	*msg = NULL;
	int is_if = starts_word(line, "if");
	if (is_if || starts_word(line, "elif")) {
		/* an elif is tested only when no branch of its if was taken
		 * yet and every enclosing branch is */
		bb = is_if ? cfg_cond_enabled(s)
			   : !(s->estate & s->top) && (s->state & (s->top - 1)) == (s->top - 1);
		if (bb && (rc = line_condition(cfg, line, is_if ? "if" : "elif", &bb, msg, err)) <= 0)
			return rc < 0 ? -1 : 1;
		if (is_if && !ifs_begin_if(s, bb))
			*msg = xstrdup("if nesting too deep!");
		else if (!is_if && !ifs_begin_elif(s, bb))
			*msg = xstrdup(ifs_inside_else(s) ? "elif is not allowed after else" : "elif without matching if");
		return 1;
	}
	if (starts_word(line, "else")) {
		if (!ifs_begin_else(s))
			*msg = xstrdup(ifs_inside_else(s) ? "else is not allowed after else" : "else without matching if");
		return 1;
	}
	if (starts_word(line, "endif")) {
		if (!ifs_end_if(s))
			*msg = xstrdup("endif without matching if");
		return 1;
	}
	return 0;
}
