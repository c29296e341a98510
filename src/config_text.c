/* config_text.c - the text work of the config macro functions that needs
 * no lookup (see include/annex/config_text.h): checking a user's printf
 * format, splitting lists, ClassAd string literals, and the parts of a
 * file name. Pure. */
#include "annex/config_text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"

int cfg_text_safe_format(const char *fmt, const char *convs, const char *lmod, char *out, size_t outlen)
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

char **cfg_text_split(const char *list, int keep_empty, size_t *n)
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

void cfg_text_free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

char *cfg_text_unquote(const char *s)
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

char *cfg_text_file_part(enum cfg_macro_id id, const char *func, size_t func_len, const char *val)
{
	int parts = 0, num_dirs = 0, quoted = 0, bare = 0, arg_quote = 0;
	char to_path_char = 0;

	if (id == CFG_MACRO_BASENAME) {
		parts = 1 | 2;
	} else if (id == CFG_MACRO_DIRNAME) {
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
	return o.data ? buf_steal(&o) : xstrdup("");
}
