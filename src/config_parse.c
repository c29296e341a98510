/* config_parse.c - reading HTCondor config text: logical lines (trailing
 * '\' joins the next line; '#' lines are comments), `NAME = value` and
 * `NAME : value`, `NAME @=tag ... @tag`, if/elif/else/endif, `include :`
 * and `include ifexist :`, `use CATEGORY : TEMPLATE[(args)], ...`,
 * `error :` and `warning :`. `include command :` (or any include of a
 * "cmd |" source) is refused: annex never runs commands named in config.
 *
 * The line reader and the if/else evaluation (config_cond.c) follow
 * HTCondor 25.14's config.cpp rules so that odd inputs mean the same thing
 * here as there; every error names file:line. Values are expanded by
 * config_expand.c and stored in a config store. */
#include "annex/config_parse.h"

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

#include "annex/config_cond.h"
#include "annex/config_expand.h"
#include "annex/config_tables.h"

#define CFG_MAX_INCLUDE_DEPTH 20
#define CFG_MAX_FILE_BYTES (16u * 1024 * 1024)

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

/* ---- statements ---- */

/* The files being read, innermost last, to refuse an include loop. */
struct include_stack {
	const char *paths[CFG_MAX_INCLUDE_DEPTH + 2];
	int depth;
};

struct parse_ctx {
	struct cfg_store *cfg;
	struct include_stack *includes;
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
static int parse_file(struct cfg_store *cfg, struct include_stack *includes, const char *path, int must_exist,
		      int depth, struct annex_err *err);

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
				cfg_store_warn(pc->cfg, "%s:%d: use %s: unknown category (ignored)", pc->file, pc->line, category);
			else
				cfg_store_warn(pc->cfg, "%s:%d: use %s: does not recognise %s (ignored)", pc->file,
					       pc->line, category, knob);
			free(knob);
			free(args);
			continue;
		}
		if (pc->depth + 1 >= CFG_MAX_INCLUDE_DEPTH) {
			free(knob);
			free(args);
			return perr(pc, err, "use %s: nesting too deep", category);
		}
		char *text = cfg_table_meta_args(body, args);
		struct line_reader tr = { text, text + strlen(text), 0, 1 };
		char *label = xasprintf("use %s:%s", category, knob);
		char *src = pc->is_template ? xstrdup(pc->source) : xasprintf("%s:%d", pc->file, pc->line);
		struct parse_ctx sub = { pc->cfg, pc->includes, label, 0, pc->depth + 1, 1, src };
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
	if (parse_file(pc->cfg, pc->includes, filename, must_exist, pc->depth + 1, &inner) < 0)
		return perr(pc, err, "include : %s", inner.msg);
	return 0;
}

static void insert_value(struct parse_ctx *pc, const char *name, const char *value)
{
	char *src = pc->is_template ? xstrdup(pc->source) : xasprintf("%s:%d", pc->file, pc->line);
	cfg_store_set(pc->cfg, name, value, src, CFG_ORIGIN_FILE);
	free(src);
}

/* Expands text into *out, except in a metaknob body, whose names and
 * categories are taken as written. */
static int expand_outside_template(struct parse_ctx *pc, const char *text, char **out, struct annex_err *err)
{
	if (pc->is_template) {
		*out = xstrdup(text);
		return 0;
	}
	if (cfg_expand(pc->cfg, text, out, err) < 0)
		return perr(pc, err, "%s", err->msg);
	return 0;
}

/* The word between a statement's name and its ':' (`use CAT :`,
 * `include OPTS :`), from word (NULL: none) to op, trimmed. */
static char *word_before(const char *word, const char *op)
{
	return word ? xstrndup_trim(word, (size_t)(op - word)) : xstrdup("");
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
		char *word = word_before(word_before_op, pop), *ecat = NULL;
		int rc = expand_outside_template(pc, word, &ecat, err);
		if (rc == 0)
			rc = do_use(pc, ecat, rhs, err);
		free(word);
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
		cfg_store_warn(pc->cfg, "%s:%d: Warning: %s", pc->file, pc->line, msg);
		free(msg);
		return 0;
	}
	if (op == ':' && strcasecmp(name + has_at, "include") == 0) {
		char *word = word_before(word_before_op, pop), *file = NULL;
		int rc = -1;
		if (cfg_expand(pc->cfg, rhs, &file, err) < 0)
			perr(pc, err, "%s", err->msg);
		else
			rc = do_include(pc, word, file, err);
		free(word);
		free(file);
		return rc;
	}

	char *ename = NULL;
	if (expand_outside_template(pc, name, &ename, err) < 0)
		return -1;
	if (!cfg_store_valid_name(ename)) {
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
	struct cfg_cond ifs;
	char *here_name = NULL, *here_tag = NULL;
	struct buf here = BUF_INIT;
	char *line;
	int rc = 0;

	cfg_cond_init(&ifs);
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
		if (*l == ':' && (cfg_cond_inside_if(&ifs) ||
				  (l[1] == 'i' && l[2] == 'f' && (isspace((unsigned char)l[3]) || !l[3]))))
			l++;
		char *msg = NULL;
		int is_if = cfg_cond_line(pc->cfg, &ifs, l, &msg, err);
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
		if (!cfg_cond_enabled(&ifs)) {
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
	if (rc == 0 && cfg_cond_inside_if(&ifs)) {
		pc->line = r->line;
		rc = perr(pc, err, "endif(s) not found before end-of-file");
	}
	free(here_name);
	free(here_tag);
	buf_free(&here);
	return rc;
}

static int parse_text(struct cfg_store *cfg, struct include_stack *includes, const char *name, const char *text,
		      size_t len, int depth, struct annex_err *err)
{
	struct line_reader r = { text, text + len, 0, 0 };
	struct parse_ctx pc = { cfg, includes, name, 0, depth, 0, NULL };
	return parse_lines(&pc, &r, err);
}

/* Reads a regular file of at most CFG_MAX_FILE_BYTES into text. */
static int read_source(const char *path, struct buf *text, struct annex_err *err)
{
	struct stat st;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return annex_err_set(err, "Config", "cannot read config source %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		annex_err_set(err, "Config", "cannot read config source %s: not a regular file", path);
		goto out;
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
		buf_append(text, chunk, (size_t)n);
		if (text->len > CFG_MAX_FILE_BYTES) {
			annex_err_set(err, "Config", "config source %s is larger than %u bytes", path, CFG_MAX_FILE_BYTES);
			goto out;
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static int parse_file(struct cfg_store *cfg, struct include_stack *includes, const char *path, int must_exist,
		      int depth, struct annex_err *err)
{
	struct stat st;
	struct buf text = BUF_INIT;
	int rc;
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
	for (int i = 0; i < includes->depth; i++)
		if (strcmp(includes->paths[i], real) == 0)
			return annex_err_set(err, "Config", "include loop: %s is already being read", path);
	if (includes->depth >= CFG_MAX_INCLUDE_DEPTH)
		return annex_err_set(err, "Config", "%s: includes nested too deep", path);

	rc = read_source(path, &text, err);
	if (rc == 0) {
		includes->paths[includes->depth++] = real;
		rc = parse_text(cfg, includes, path, text.data ? text.data : "", text.len, depth, err);
		includes->depth--;
	}
	buf_free(&text);
	return rc;
}

int cfg_parse_text(struct cfg_store *cfg, const char *name, const char *text, size_t len, struct annex_err *err)
{
	struct include_stack includes = { { NULL }, 0 };
	return parse_text(cfg, &includes, name, text, len, 0, err);
}

int cfg_parse_file(struct cfg_store *cfg, const char *path, int must_exist, struct annex_err *err)
{
	struct include_stack includes = { { NULL }, 0 };
	return parse_file(cfg, &includes, path, must_exist, 0, err);
}
