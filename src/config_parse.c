/* config_parse.c - reading HTCondor config text: logical lines (trailing
 * '\' joins the next line; '#' lines are comments), `NAME = value` and
 * `NAME : value`, `NAME @=tag ... @tag`, if/elif/else/endif, `include :`
 * and `include ifexist :`, `use CATEGORY : TEMPLATE[(args)], ...`,
 * `error :` and `warning :`. `include command :` (or any include of a
 * "cmd |" source) is refused: annex never runs commands named in config.
 *
 * The line reader and the if/else evaluation follow HTCondor 25.14's
 * config.cpp rules so that odd inputs mean the same thing here as there;
 * every error names file:line. */
#include "config_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define ANNEX_VERSION_MAJOR 25
#define ANNEX_VERSION_MINOR 14
#define ANNEX_VERSION_SUB 0

/* ---- logical lines ---- */

struct line_reader {
	const char *p, *end;
	int line;            /* physical line number of the last line read */
	int raw;             /* metaknob bodies: split at newlines only, as HTCondor does */
};

/* Returns the next logical line (caller frees) or NULL at the end. A last
 * line without a newline is returned as read, untrimmed, as HTCondor's
 * fgets-based reader does. */
static char *next_line(struct line_reader *r)
{
	struct buf b = BUF_INIT;
	size_t line_start = 0;

	if (r->p >= r->end)
		return NULL;
	if (r->raw) {
		const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
		const char *e = nl ? nl : r->end;
		char *line = xstrndup(r->p, (size_t)(e - r->p));
		r->p = nl ? nl + 1 : r->end;
		r->line++;
		return line;
	}
	buf_puts(&b, "");
	for (;;) {
		if (r->p >= r->end) {
			if (b.len == 0) {
				buf_free(&b);
				return NULL;
			}
			return buf_steal(&b);
		}
		const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
		const char *seg_end = nl ? nl : r->end;
		const char *nul = memchr(r->p, 0, (size_t)(seg_end - r->p));
		size_t seg_len = (size_t)((nul ? nul : seg_end) - r->p);
		buf_append(&b, r->p, seg_len);
		r->p = nl ? nl + 1 : r->end;
		if (!nl)
			continue;   /* an unterminated last line: returned untrimmed above */
		r->line++;

		/* trim the end, then the start of this physical line */
		while (b.len > line_start && isspace((unsigned char)b.data[b.len - 1]))
			b.data[--b.len] = 0;
		size_t s = line_start;
		while (s < b.len && isspace((unsigned char)b.data[s]))
			s++;
		int in_comment = s < b.len && b.data[s] == '#';
		if (in_comment && line_start > 0) {
			/* a comment inside a continuation counts as whitespace up
			 * to its last character */
			s = b.len - 1;
			in_comment = 0;
		}
		if (s != line_start) {
			memmove(b.data + line_start, b.data + s, b.len - s + 1);
			b.len -= s - line_start;
		}
		if (b.len > 0 && b.data[b.len - 1] == '\\') {
			b.data[--b.len] = 0;
			if (!in_comment) {
				line_start = b.len;
				continue;
			}
		}
		return buf_steal(&b);
	}
}

/* ---- if / elif / else / endif ---- */

struct if_stack {
	unsigned long long state, estate, istate, top;
};

static void ifs_init(struct if_stack *s)
{
	s->state = 1;
	s->estate = 0;
	s->istate = 0;
	s->top = 1;
}

static int ifs_enabled(const struct if_stack *s)
{
	unsigned long long mask = s->top | (s->top - 1);
	return (s->state & mask) == mask;
}

static int ifs_inside_if(const struct if_stack *s) { return s->top > 1; }
static int ifs_inside_else(const struct if_stack *s) { return s->top > 1 && !(s->istate & s->top); }

static int ifs_begin_if(struct if_stack *s, int bb)
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

static int ifs_begin_else(struct if_stack *s)
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

static int ifs_begin_elif(struct if_stack *s, int bb)
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

static int ifs_end_if(struct if_stack *s)
{
	s->istate &= ~s->top;
	s->top >>= 1;
	if (!s->top) {
		ifs_init(s);
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

/* Evaluates one (expanded) if condition; returns 0 with *why on an
 * unsupported or malformed condition. */
static int evaluate_if(struct annex_config *cfg, const char *expr, int *result, const char **why)
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
	if (ec == CIFT_VERSION) {
		const char *p = expr;
		while (isspace((unsigned char)*p))
			p++;
		p += 7;
		while (isspace((unsigned char)*p))
			p++;
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
		int maj = 0, min = 0, sub = ANNEX_VERSION_SUB;
		int n = sscanf(p, "%d.%d.%d", &maj, &min, &sub);
		if (n < 2 || maj < 6) {
			*why = "the version literal is invalid";
			return 0;
		}
		long long ours = (long long)ANNEX_VERSION_MAJOR * 1000000 + ANNEX_VERSION_MINOR * 1000 + ANNEX_VERSION_SUB;
		long long theirs = (long long)maj * 1000000 + (long long)min * 1000 + sub;
		int sign = ours < theirs ? -1 : ours > theirs ? 1 : 0;
		*result = sign == op || (or_equal && sign == 0);
		if (negated)
			*result = !*result;
		return 1;
	}
	if (ec == CIFT_IFDEF) {
		const char *p = expr;
		while (isspace((unsigned char)*p))
			p++;
		p += 7;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p) {
			*result = 0;
			return 1;
		}
		enum cift ec2 = characterize(p, 0);
		if (ec2 == CIFT_IDENTIFIER) {
			const char *v = cfg_lookup_raw(cfg, p, NULL);
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
	*why = ec == CIFT_COMPLEX ? "complex conditionals are not supported" : "expression is not a conditional";
	return 0;
}

/* Expands $() in the condition, handles a leading '!', evaluates. */
static int test_if(struct annex_config *cfg, const char *expr, int *result, const char **why,
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

/* Handles if/elif/else/endif lines: 1 when the line was one (with *msg
 * set to an error message or NULL), 0 when it was not, -1 on an expansion
 * error (err set). */
static int line_is_if(struct annex_config *cfg, struct if_stack *s, const char *line, char **msg,
		      struct annex_err *err)
{
	const char *why = NULL;
	int bb, rc;

	*msg = NULL;
	if (starts_word(line, "if")) {
		const char *expr = line + 2;
		while (isspace((unsigned char)*expr))
			expr++;
		bb = ifs_enabled(s);
		if (bb) {
			rc = test_if(cfg, expr, &bb, &why, err);
			if (rc < 0)
				return -1;
			if (rc == 0) {
				*msg = xasprintf("%s is not a valid if condition%s%s", expr, why ? " because " : "", why ? why : "");
				return 1;
			}
		}
		if (!ifs_begin_if(s, bb))
			*msg = xstrdup("if nesting too deep!");
		return 1;
	}
	if (starts_word(line, "else")) {
		if (!ifs_begin_else(s))
			*msg = xstrdup(ifs_inside_else(s) ? "else is not allowed after else" : "else without matching if");
		return 1;
	}
	if (starts_word(line, "elif")) {
		const char *expr = line + 4;
		while (isspace((unsigned char)*expr))
			expr++;
		bb = !(s->estate & s->top) && ((s->state & (s->top - 1)) == (s->top - 1));
		if (bb) {
			rc = test_if(cfg, expr, &bb, &why, err);
			if (rc < 0)
				return -1;
			if (rc == 0) {
				*msg = xasprintf("%s is not a valid elif condition%s%s", expr, why ? " because " : "", why ? why : "");
				return 1;
			}
		}
		if (!ifs_begin_elif(s, bb))
			*msg = xstrdup(ifs_inside_else(s) ? "elif is not allowed after else" : "elif without matching if");
		return 1;
	}
	if (starts_word(line, "endif")) {
		if (!ifs_end_if(s))
			*msg = xstrdup("endif without matching if");
		return 1;
	}
	return 0;
}

/* ---- statements ---- */

struct parse_ctx {
	struct annex_config *cfg;
	const char *file;       /* for messages */
	int line;
	int depth;
	int is_template;        /* a metaknob body: no include, names not expanded */
	const char *source;     /* the source recorded for values ("file:line") */
};

static int perr(const struct parse_ctx *pc, struct annex_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(const struct parse_ctx *pc, struct annex_err *err, const char *fmt, ...)
{
	char msg[ANNEX_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return annex_err_set(err, "Config", "%s:%d: %s", pc->file, pc->line, msg);
}

static int parse_lines(struct parse_ctx *pc, struct line_reader *r, struct annex_err *err);

/* `use CATEGORY : a, b(args) ...`: parses each named template's body. */
static int do_use(struct parse_ctx *pc, const char *category, const char *rhs, struct annex_err *err)
{
	const char *p = rhs;

	if (!*category)
		return perr(pc, err, "use needs a keyword before : %s", rhs);
	for (;;) {
		while (*p && (isspace((unsigned char)*p) || *p == ','))
			p++;
		if (!*p)
			break;
		const char *e = p;
		while (*e && !isspace((unsigned char)*e) && *e != ',' && *e != '(')
			e++;
		char *knob = xstrndup(p, (size_t)(e - p));
		char *args = NULL;
		p = e;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '(') {
			int depth = 0;
			const char *q = p;
			for (; *q; q++) {
				if (*q == '(' || *q == '[')
					depth++;
				else if ((*q == ')' || *q == ']') && --depth == 0)
					break;
			}
			if (*q == ')') {
				args = xstrndup(p + 1, (size_t)(q - p - 1));
				p = q + 1;
			} else {
				p = q;
			}
		}
		int known = 0;
		const char *body = cfg_table_template(category, knob, &known);
		if (!body) {
			if (!known)
				cfg_warn(pc->cfg, "%s:%d: use %s: unknown category (ignored)", pc->file, pc->line, category);
			else
				cfg_warn(pc->cfg, "%s:%d: use %s: does not recognise %s (ignored)", pc->file, pc->line,
					 category, knob);
			free(knob);
			free(args);
			continue;
		}
		if (pc->depth + 1 >= CFG_MAX_INCLUDE_DEPTH) {
			free(knob);
			free(args);
			return perr(pc, err, "use %s: nesting too deep", category);
		}
		char *text = cfg_expand_meta_args(body, args);
		struct line_reader tr = { text, text + strlen(text), 0, 1 };
		char *label = xasprintf("use %s:%s", category, knob);
		char *src = pc->is_template ? xstrdup(pc->source) : xasprintf("%s:%d", pc->file, pc->line);
		struct parse_ctx sub = { pc->cfg, label, 0, pc->depth + 1, 1, src };
		int rc = parse_lines(&sub, &tr, err);
		if (rc < 0)
			annex_err_prefix(err, "%s:%d", pc->file, pc->line);
		free(src);
		free(label);
		free(text);
		free(knob);
		free(args);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* `include [ifexist] : file`. The options are parsed as HTCondor does, and
 * every command form is refused. */
static int do_include(struct parse_ctx *pc, const char *options, const char *filename, struct annex_err *err)
{
	int must_exist = 1;
	char *opts = xstrdup(options), *save = NULL;
	char *tok = strtok_r(opts, " \t", &save);

	if (pc->is_template) {
		free(opts);
		return perr(pc, err, "include is not allowed in a use template");
	}
	if (tok && (strcmp(tok, "ifexist") == 0 || strcmp(tok, "ifexists") == 0)) {
		must_exist = 0;
		tok = strtok_r(NULL, " \t", &save);
	}
	if (tok && (strcmp(tok, "command") == 0 || strcmp(tok, "output") == 0)) {
		free(opts);
		return perr(pc, err, "include %s : refused: annex never runs commands named in its configuration",
			    options);
	}
	if (tok) {
		perr(pc, err, "unexpected keyword(s) '%s' after include", options);
		free(opts);
		return -1;
	}
	free(opts);
	if (strchr(filename, '|'))
		return perr(pc, err, "include : %s refused: a source ending in '|' is a command, and annex never runs commands named in its configuration",
			    filename);
	if (pc->depth + 1 >= CFG_MAX_INCLUDE_DEPTH)
		return perr(pc, err, "include : %s: includes nested too deep", filename);
	struct annex_err inner;
	annex_err_clear(&inner);
	if (cfg_parse_file(pc->cfg, filename, must_exist, pc->depth + 1, &inner) < 0)
		return perr(pc, err, "include : %s", inner.msg);
	return 0;
}

static void insert_value(struct parse_ctx *pc, const char *name, const char *value)
{
	char *src = pc->is_template ? xstrdup(pc->source) : xasprintf("%s:%d", pc->file, pc->line);
	cfg_insert(pc->cfg, name, value, src, CFG_ORIGIN_FILE);
	free(src);
}

/* One statement line (already known not to be a comment, heredoc body or
 * if line). May start a heredoc (sets here_name and here_tag). */
static int do_statement(struct parse_ctx *pc, char *line, char **here_name, char **here_tag,
			struct annex_err *err)
{
	char *ptr = line, *pop, *name, *rhs, *word_before_op = NULL;
	char op;

	while (*ptr && !isspace((unsigned char)*ptr) && *ptr != '=' && *ptr != ':')
		ptr++;
	if (!*ptr) {
		if (line[0] == '[')
			return 0;   /* .ini-style section header: ignored */
		return perr(pc, err, "syntax error: expected NAME = value, got '%s'", line);
	}
	pop = ptr;
	op = *ptr;
	size_t name_end = (size_t)(ptr - line);
	char name_end_ch = *ptr;
	*ptr++ = 0;
	if (op != '=' && op != ':') {
		while (isspace((unsigned char)*ptr))
			ptr++;
		if (*ptr && *ptr != '=' && *ptr != ':' && *ptr != '@')
			word_before_op = ptr;
		while (*ptr && *ptr != '=' && *ptr != ':' && *ptr != '@')
			ptr++;
		pop = ptr;
		op = *ptr;
		if (op) {
			ptr++;
			if (op == '@') {
				if (*ptr == '=')
					ptr++;
				else
					op = 0;
			}
		}
	}
	if (op != '=' && op != ':' && op != '@') {
		line[name_end] = name_end_ch;   /* the whole line for the message */
		return perr(pc, err, "syntax error: expected NAME = value, got '%s'", line);
	}
	while (isspace((unsigned char)*ptr))
		ptr++;
	rhs = ptr;
	name = line;

	int has_at = name[0] == '@';
	if (op == ':' && strcasecmp(name + has_at, "use") == 0) {
		char *cat = xstrndup(word_before_op ? word_before_op : "", word_before_op ? (size_t)(pop - word_before_op) : 0);
		size_t n = strlen(cat);
		while (n && isspace((unsigned char)cat[n - 1]))
			cat[--n] = 0;
		char *ecat = NULL;
		int rc;
		if (pc->is_template)
			ecat = xstrdup(cat);
		else if (cfg_expand(pc->cfg, cat, &ecat, err) < 0) {
			free(cat);
			return perr(pc, err, "%s", err->msg);
		}
		rc = do_use(pc, ecat, rhs, err);
		free(cat);
		free(ecat);
		return rc;
	}
	if (op == ':' && (strcasecmp(name + has_at, "error") == 0 || strcasecmp(name + has_at, "warning") == 0)) {
		int is_error = strcasecmp(name + has_at, "error") == 0;
		char *msg = NULL;
		if (cfg_expand(pc->cfg, rhs, &msg, err) < 0)
			return perr(pc, err, "%s", err->msg);
		if (is_error) {
			perr(pc, err, "Error: %s", msg);
			free(msg);
			return -1;
		}
		cfg_warn(pc->cfg, "%s:%d: Warning: %s", pc->file, pc->line, msg);
		free(msg);
		return 0;
	}
	if (op == ':' && strcasecmp(name + has_at, "include") == 0) {
		char *opts = xstrndup(word_before_op ? word_before_op : "", word_before_op ? (size_t)(pop - word_before_op) : 0);
		size_t n = strlen(opts);
		while (n && isspace((unsigned char)opts[n - 1]))
			opts[--n] = 0;
		char *file = NULL;
		int rc;
		if (cfg_expand(pc->cfg, rhs, &file, err) < 0) {
			free(opts);
			return perr(pc, err, "%s", err->msg);
		}
		rc = do_include(pc, opts, file, err);
		free(opts);
		free(file);
		return rc;
	}

	char *ename = NULL;
	if (pc->is_template)
		ename = xstrdup(name);
	else if (cfg_expand(pc->cfg, name, &ename, err) < 0)
		return perr(pc, err, "%s", err->msg);
	if (!cfg_is_valid_name(ename)) {
		perr(pc, err, "Illegal Identifier: <%s>", ename);
		free(ename);
		return -1;
	}
	if (op == '@') {
		*here_name = ename;
		*here_tag = xstrdup(rhs);
		return 0;
	}
	char *value = NULL;
	if (cfg_expand_self(pc->cfg, rhs, ename, &value, err) < 0) {
		free(ename);
		return perr(pc, err, "%s", err->msg);
	}
	insert_value(pc, ename, value);
	free(ename);
	free(value);
	return 0;
}

static int parse_lines(struct parse_ctx *pc, struct line_reader *r, struct annex_err *err)
{
	struct if_stack ifs;
	char *here_name = NULL, *here_tag = NULL;
	struct buf here = BUF_INIT;
	char *line;
	int rc = 0;

	ifs_init(&ifs);
	while ((line = next_line(r)) != NULL) {
		char *l = line;
		pc->line = r->line;
		if (*l == '#' || !*l || strspn(l, " \t\r\n\v\f") == strlen(l)) {
			free(line);
			continue;
		}
		if (here_name) {
			if (l[0] == '@' && strcmp(here_tag, l + 1) == 0) {
				char *value = NULL;
				if (cfg_expand_self(pc->cfg, buf_cstr(&here), here_name, &value, err) < 0) {
					perr(pc, err, "%s", err->msg);
					free(line);
					rc = -1;
					break;
				}
				insert_value(pc, here_name, value);
				free(value);
				free(here_name);
				free(here_tag);
				here_name = here_tag = NULL;
				buf_free(&here);
			} else {
				if (here.len)
					buf_putc(&here, '\n');
				buf_puts(&here, l);
				if (here.len > CFG_MAX_VALUE_BYTES) {
					perr(pc, err, "value of %s longer than %u bytes", here_name, CFG_MAX_VALUE_BYTES);
					free(line);
					rc = -1;
					break;
				}
			}
			free(line);
			continue;
		}
		if (*l == ':' && (ifs_inside_if(&ifs) || (l[1] == 'i' && l[2] == 'f' && (isspace((unsigned char)l[3]) || !l[3]))))
			l++;
		char *msg = NULL;
		int is_if = line_is_if(pc->cfg, &ifs, l, &msg, err);
		if (is_if < 0) {
			perr(pc, err, "%s", err->msg);
			free(line);
			rc = -1;
			break;
		}
		if (is_if) {
			free(line);
			if (msg) {
				perr(pc, err, "%s", msg);
				free(msg);
				rc = -1;
				break;
			}
			continue;
		}
		if (!ifs_enabled(&ifs)) {
			free(line);
			continue;
		}
		rc = do_statement(pc, l, &here_name, &here_tag, err);
		free(line);
		if (rc < 0)
			break;
	}
	if (rc == 0 && here_name) {
		pc->line = r->line;
		rc = perr(pc, err, "end of file while scanning for '@%s' (the end of %s @=%s)", here_tag, here_name, here_tag);
	}
	if (rc == 0 && ifs_inside_if(&ifs)) {
		pc->line = r->line;
		rc = perr(pc, err, "endif(s) not found before end-of-file");
	}
	free(here_name);
	free(here_tag);
	buf_free(&here);
	return rc;
}

int cfg_parse_text(struct annex_config *cfg, const char *name, const char *text, size_t len,
		   int depth, struct annex_err *err)
{
	struct line_reader r = { text, text + len, 0, 0 };
	struct parse_ctx pc = { cfg, name, 0, depth, 0, NULL };
	return parse_lines(&pc, &r, err);
}

int cfg_parse_file(struct annex_config *cfg, const char *path, int must_exist, int depth,
		   struct annex_err *err)
{
	struct stat st;
	struct buf text = BUF_INIT;
	int fd, rc = -1;
	char real[PATH_MAX];

	if (stat(path, &st) < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return annex_err_set(err, "Config", "cannot read config source %s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return annex_err_set(err, "Config", "cannot read config source %s: not a regular file", path);
	if (!realpath(path, real))
		snprintf(real, sizeof real, "%s", path);
	for (int i = 0; i < cfg->include_depth; i++)
		if (strcmp(cfg->include_stack[i], real) == 0)
			return annex_err_set(err, "Config", "include loop: %s is already being read", path);
	if (cfg->include_depth >= CFG_MAX_INCLUDE_DEPTH)
		return annex_err_set(err, "Config", "%s: includes nested too deep", path);

	fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return annex_err_set(err, "Config", "cannot read config source %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return annex_err_set(err, "Config", "cannot read config source %s: not a regular file", path);
	}
	for (;;) {
		char chunk[65536];
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			annex_err_set(err, "Config", "cannot read config source %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		buf_append(&text, chunk, (size_t)n);
		if (text.len > CFG_MAX_FILE_BYTES) {
			annex_err_set(err, "Config", "config source %s is larger than %u bytes", path, CFG_MAX_FILE_BYTES);
			goto out;
		}
	}
	cfg->include_stack[cfg->include_depth++] = real;
	rc = cfg_parse_text(cfg, path, text.data ? text.data : "", text.len, depth, err);
	cfg->include_depth--;
out:
	close(fd);
	buf_free(&text);
	return rc;
}
