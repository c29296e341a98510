/* config_macro.c - the scanner that finds macros in a config value (see
 * include/annex/config_macro.h). It follows HTCondor 25.14's
 * next_config_macro: a name made of letters, digits and '_' after '$',
 * then '(' and a body up to the first ')'; $(NAME) and $ENV() bodies must
 * be name characters with an optional ":default". */
#include "annex/config_macro.h"

#include <ctype.h>
#include <string.h>

#include "annex/config_store.h"

enum body_chars { BODY_ANYTHING, BODY_IDCHAR_COLON };

static enum cfg_macro_id check_prefix(const char *dollar, size_t len, enum body_chars *bodychars)
{
	static const struct { const char *name; enum cfg_macro_id id; } pre[] = {
		{ "$ENV", CFG_MACRO_ENV }, { "$RANDOM_CHOICE", CFG_MACRO_RANDOM_CHOICE },
		{ "$RANDOM_INTEGER", CFG_MACRO_RANDOM_INTEGER }, { "$CHOICE", CFG_MACRO_CHOICE },
		{ "$SUBSTR", CFG_MACRO_SUBSTR }, { "$INT", CFG_MACRO_INT }, { "$REAL", CFG_MACRO_REAL },
		{ "$STRING", CFG_MACRO_STRING }, { "$EVAL", CFG_MACRO_EVAL },
		{ "$BASENAME", CFG_MACRO_BASENAME }, { "$DIRNAME", CFG_MACRO_DIRNAME },
	};

	*bodychars = BODY_ANYTHING;
	if (len == 1) {
		*bodychars = BODY_IDCHAR_COLON;
		return CFG_MACRO_NORMAL;
	}
	if (dollar[1] == '$')
		return CFG_MACRO_NONE;
	if (dollar[1] == 'F') {
		size_t i;
		for (i = 2; i < len; i++)
			if (!strchr("pnxdqabfwu", dollar[i] | 0x20))
				break;
		if (i == len)
			return CFG_MACRO_FILENAME;
	}
	for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
		if (strlen(pre[i].name) == len && strncmp(dollar, pre[i].name, len) == 0) {
			if (pre[i].id == CFG_MACRO_ENV)
				*bodychars = BODY_IDCHAR_COLON;
			return pre[i].id;
		}
	}
	return CFG_MACRO_NONE;
}

enum cfg_macro_id cfg_macro_next(const char *value, size_t search, struct cfg_macro_pos *pos,
				 cfg_macro_skip_fn skip, void *ud)
{
	const char *tvalue = value + search;

	for (;;) {
		const char *dollar, *p;
		enum cfg_macro_id id = CFG_MACRO_NONE;
		enum body_chars bodychars = BODY_ANYTHING;

		for (;;) {
			dollar = strchr(tvalue, '$');
			if (!dollar)
				return CFG_MACRO_NONE;
			p = dollar + 1;
			if (*p == '$')
				p++;
			while (*p && (isalnum((unsigned char)*p) || *p == '_'))
				p++;
			if (*p == '(') {
				id = check_prefix(dollar, (size_t)(p - dollar), &bodychars);
				if (id != CFG_MACRO_NONE)
					break;
			}
			if (!*p)
				return CFG_MACRO_NONE;
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
				if (!cfg_store_name_char((unsigned char)c)) {
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
