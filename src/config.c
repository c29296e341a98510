/* config.c - the config reader's public face (see include/annex/config.h):
 * loading the sources in HTCondor's order and the typed lookups. Below it,
 * each on the floor under the one before: the parser (config_parse.c,
 * config_cond.c), macro expansion (config_expand.c, config_macro.c,
 * config_eval.c, config_text.c), the store of definitions
 * (config_store.c), and HTCondor's tables (config_tables.c); the detected
 * built-ins are config_detect.c's. */
#include "annex/config.h"

#include <ctype.h>
#include <dirent.h>
#include <pwd.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "annex/config_detect.h"
#include "annex/config_eval.h"
#include "annex/config_expand.h"
#include "annex/config_parse.h"
#include "annex/config_store.h"

extern char **environ;

struct annex_config {
	struct cfg_store store;    /* the definitions, subsystem, local name, warnings */

	/* what config_load was asked, kept to re-read on a local-name change */
	struct config_load_opts opts;
	char *opt_subsystem, *opt_passwd_home, *opt_root_text, *opt_root_name;

	char *root_file;
	char *user_config_path;
	int user_config_read;
	char *local_config_dir;
	unsigned n_reads;          /* how many times the sources were read */
};

/* ---- the sources, in HTCondor's order ---- */

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* The root config: $CONDOR_CONFIG, else the usual places. *path NULL with
 * CONDOR_CONFIG=ONLY_ENV. */
static int find_root(char **path, struct annex_err *err)
{
	const char *env = getenv("CONDOR_CONFIG");
	struct stat st;

	*path = NULL;
	if (env && *env) {
		if (strcmp(env, "ONLY_ENV") == 0)
			return 0;
		*path = xstrdup(env);
		return 0;
	}
	const char *fixed[] = { "/etc/condor/condor_config", "/usr/local/etc/condor_config" };
	for (size_t i = 0; i < 2; i++) {
		if (stat(fixed[i], &st) == 0) {
			*path = xstrdup(fixed[i]);
			return 0;
		}
	}
	struct passwd *pw = getpwnam("condor");
	if (pw && pw->pw_dir) {
		char *p = xasprintf("%s/condor_config", pw->pw_dir);
		if (stat(p, &st) == 0) {
			*path = p;
			return 0;
		}
		free(p);
	}
	return annex_err_set(err, "Config",
			     "no HTCondor configuration: CONDOR_CONFIG is not set and neither "
			     "/etc/condor/condor_config, /usr/local/etc/condor_config nor ~condor/condor_config exists");
}

/* Splits a list at commas and white space (HTCondor's StringList). */
static char **split_words(const char *s, size_t *n)
{
	char **v = NULL;
	size_t cnt = 0;
	while (*s) {
		while (*s && (isspace((unsigned char)*s) || *s == ','))
			s++;
		const char *e = s;
		while (*e && !isspace((unsigned char)*e) && *e != ',')
			e++;
		if (e > s) {
			v = xrealloc(v, (cnt + 1) * sizeof *v);
			v[cnt++] = xstrndup(s, (size_t)(e - s));
		}
		s = e;
	}
	*n = cnt;
	return v;
}

static void free_words(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_config_dir(struct annex_config *cfg, const char *dir, struct annex_err *err)
{
	char *pattern = NULL;
	regex_t re;
	int have_re = 0, rc = 0;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	if (config_get(cfg, "LOCAL_CONFIG_DIR_EXCLUDE_REGEXP", &pattern, err) < 0)
		return -1;
	if (pattern) {
		if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) == 0)
			have_re = 1;
		else
			cfg_store_warn(&cfg->store, "LOCAL_CONFIG_DIR_EXCLUDE_REGEXP: cannot compile '%s'; no file is excluded", pattern);
	}
	d = opendir(dir);
	if (!d)
		goto out;   /* as HTCondor: a missing directory holds nothing */
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (have_re && regexec(&re, de->d_name, 0, NULL, 0) == 0)
			continue;
		char *full = xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			free(full);
			continue;
		}
		free(full);
		names = xrealloc(names, (n + 1) * sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *full = xasprintf("%s/%s", dir, names[i]);
		rc = cfg_parse_file(&cfg->store, full, 1, err);
		free(full);
	}
out:
	free_words(names, n);
	if (have_re)
		regfree(&re);
	free(pattern);
	return rc;
}

static int read_locals(struct annex_config *cfg, struct annex_err *err)
{
	char *val = NULL;
	char **v;
	size_t n;
	int rc = 0, required = 1;

	if (config_get(cfg, "LOCAL_CONFIG_DIR", &val, err) < 0)
		return -1;
	if (val) {
		v = split_words(val, &n);
		if (n)
			cfg->local_config_dir = xstrdup(v[0]);
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = read_config_dir(cfg, v[i], err);
		free_words(v, n);
		free(val);
		if (rc < 0)
			return -1;
	}
	val = NULL;
	if (config_get(cfg, "LOCAL_CONFIG_FILE", &val, err) < 0)
		return -1;
	if (!val)
		return 0;
	if (config_get_bool(cfg, "REQUIRE_LOCAL_CONFIG_FILE", &required, err) < 0) {
		free(val);
		return -1;
	}
	v = split_words(val, &n);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (strchr(v[i], '|'))
			rc = annex_err_set(err, "Config",
					   "LOCAL_CONFIG_FILE: %s refused: a source ending in '|' is a command, and annex never runs commands named in its configuration",
					   v[i]);
		else
			rc = cfg_parse_file(&cfg->store, v[i], required, err);
	}
	free_words(v, n);
	free(val);
	return rc;
}

static int read_user_config(struct annex_config *cfg, struct annex_err *err)
{
	char *name = NULL;
	const char *home = cfg->opts.passwd_home;
	struct stat st;

	if (config_get(cfg, "USER_CONFIG_FILE", &name, err) < 0)
		return -1;
	if (!name)
		return 0;
	if (name[0] == '/') {
		cfg->user_config_path = name;
	} else {
		if (!home) {
			struct passwd *pw = getpwuid(geteuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (home && *home)
			cfg->user_config_path = xasprintf("%s/.condor/%s", home, name);
		free(name);
	}
	if (!cfg->user_config_path || cfg->opts.skip_user_config || getuid() == 0 || geteuid() == 0)
		return 0;
	if (stat(cfg->user_config_path, &st) != 0)
		return 0;
	if (cfg_parse_file(&cfg->store, cfg->user_config_path, 0, err) < 0)
		return -1;
	cfg->user_config_read = 1;
	return 0;
}

static int read_environment(struct annex_config *cfg, struct annex_err *err)
{
	for (char **e = environ; e && *e; e++) {
		if (strncasecmp(*e, "_CONDOR_", 8) != 0)
			continue;
		const char *eq = strchr(*e, '=');
		if (!eq || eq == *e + 8)
			continue;
		char *name = xstrndup(*e + 8, (size_t)(eq - *e - 8));
		if (cfg_store_valid_name(name)) {
			char *value = NULL, *src = xasprintf("environment (%.*s)", (int)(eq - *e), *e);
			if (cfg_expand_self(&cfg->store, eq + 1, name, &value, err) < 0) {
				annex_err_prefix(err, "environment variable %.*s", (int)(eq - *e), *e);
				free(src);
				free(name);
				return -1;
			}
			cfg_store_set(&cfg->store, name, value, src, CFG_ORIGIN_ENV);
			free(value);
			free(src);
		}
		free(name);
	}
	return 0;
}

static void copy_opts(struct annex_config *cfg, const struct config_load_opts *o)
{
	if (o)
		cfg->opts = *o;
	cfg->opt_subsystem = xstrdup(o && o->subsystem ? o->subsystem : "ANNEX");
	cfg->opt_passwd_home = o && o->passwd_home ? xstrdup(o->passwd_home) : NULL;
	cfg->opt_root_text = o && o->root_text ? xstrdup(o->root_text) : NULL;
	cfg->opt_root_name = o && o->root_name ? xstrdup(o->root_name) : NULL;
	cfg->opts.subsystem = cfg->opt_subsystem;
	cfg->opts.passwd_home = cfg->opt_passwd_home;
	cfg->opts.root_text = cfg->opt_root_text;
	cfg->opts.root_name = cfg->opt_root_name;
	cfg->opts.local_name = NULL;
}

int config_load(struct annex_config **out, const struct config_load_opts *o, struct annex_err *err)
{
	struct annex_config *cfg = xcalloc(1, sizeof *cfg);
	int rc;

	*out = NULL;
	copy_opts(cfg, o);
	cfg_store_init(&cfg->store, cfg->opt_subsystem, o ? o->local_name : NULL);
	cfg->store.reading = 1;
	cfg->n_reads = 1;
	cfg_detect_all(&cfg->store);

	if (cfg->opts.root_text) {
		const char *name = cfg->opts.root_name ? cfg->opts.root_name : "<config>";
		if (cfg->opts.root_name) {
			char *root = dir_of(name);
			cfg_detect(&cfg->store, "CONFIG_ROOT", root);
			free(root);
		}
		rc = cfg_parse_text(&cfg->store, name, cfg->opts.root_text, strlen(cfg->opts.root_text), err);
	} else {
		rc = find_root(&cfg->root_file, err);
		if (rc == 0 && cfg->root_file) {
			char *root = dir_of(cfg->root_file);
			cfg_detect(&cfg->store, "CONFIG_ROOT", root);
			free(root);
			rc = cfg_parse_file(&cfg->store, cfg->root_file, 1, err);
		}
	}
	if (rc == 0 && !cfg->opts.skip_local_config)
		rc = read_locals(cfg, err);
	if (rc == 0)
		rc = read_user_config(cfg, err);
	if (rc == 0)
		rc = read_environment(cfg, err);
	cfg->store.reading = 0;
	if (rc < 0) {
		config_free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

static void free_contents(struct annex_config *cfg)
{
	cfg_store_free(&cfg->store);
	free(cfg->opt_subsystem);
	free(cfg->opt_passwd_home);
	free(cfg->opt_root_text);
	free(cfg->opt_root_name);
	free(cfg->root_file);
	free(cfg->user_config_path);
	free(cfg->local_config_dir);
}

void config_free(struct annex_config *cfg)
{
	if (!cfg)
		return;
	free_contents(cfg);
	free(cfg);
}

/* Whether sources read without a local name would have read differently
 * with local_name: when a name looked up while reading (an include, an
 * if, LOCAL_CONFIG_DIR, a self-reference, ...) has a local_name.NAME
 * definition, which a lookup with the local name would have found first;
 * when LOCALNAME itself was looked up or is defined; or when a
 * local_name.NAME definition holds a $( that a self-reference expansion
 * with the local name would have expanded while reading. Conservative: a
 * "yes" only costs a re-read. */
static int read_depends_on(const struct annex_config *cfg, const char *local_name)
{
	const struct cfg_store *st = &cfg->store;
	const char *seen = buf_cstr(&st->read_lookups);
	size_t n = strlen(local_name);

	if (strstr(seen, "\nlocalname\n") || cfg_store_find(st, NULL, "LOCALNAME"))
		return 1;
	for (size_t i = 0; i < st->n_items; i++) {
		const char *name = st->items[i].name;
		if (strncasecmp(name, local_name, n) != 0 || name[n] != '.')
			continue;
		if (strstr(st->items[i].value, "$("))
			return 1;
		char *key = xasprintf("\n%s\n", name + n + 1);
		for (char *p = key; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		int hit = strstr(seen, key) != NULL;
		free(key);
		if (hit)
			return 1;
	}
	return 0;
}

int config_set_local_name(struct annex_config *cfg, const char *local_name, struct annex_err *err)
{
	struct config_load_opts o = cfg->opts;
	struct annex_config *fresh;
	unsigned reads = cfg->n_reads;

	if (local_name && !*local_name)
		local_name = NULL;
	/* Read once: sources read without a local name need no second reading
	 * when the local name changes nothing of how they were read; the
	 * lookups apply it from now on. */
	if (!cfg->store.localname && !local_name)
		return 0;
	if (!cfg->store.localname && !read_depends_on(cfg, local_name)) {
		cfg->store.localname = xstrdup(local_name);
		cfg_detect(&cfg->store, "LOCALNAME", cfg->store.localname);
		return 0;
	}
	o.local_name = local_name;
	if (config_load(&fresh, &o, err) < 0)
		return -1;
	free_contents(cfg);
	*cfg = *fresh;
	free(fresh);
	cfg->n_reads = reads + 1;
	return 0;
}

unsigned config_reads(const struct annex_config *cfg)
{
	return cfg->n_reads;
}

char *config_local_name_from_region(const char *region)
{
	char *s = xstrdup(region ? region : "");
	for (char *p = s; *p; p++)
		if (!cfg_store_name_char((unsigned char)*p))
			*p = '_';
	return s;
}

/* ---- lookups ---- */

int config_get(const struct annex_config *cfg, const char *name, char **value, struct annex_err *err)
{
	const char *raw = cfg_store_lookup(&cfg->store, name, NULL);
	char *exp = NULL;

	if (value)
		*value = NULL;
	if (!raw)
		return 0;
	if (cfg_expand(&cfg->store, raw, &exp, err) < 0)
		return -1;
	if (!*exp) {
		free(exp);
		return 0;
	}
	if (value)
		*value = exp;
	else
		free(exp);
	return 1;
}

/* Converters for get_typed: 1 with *out set when v is of the type. A
 * boolean is true/false/yes/no/t/f (any case, space around ignored) or a
 * number, non-zero being true. */
static int to_bool(char *v, void *out)
{
	double d;
	char *s = v;

	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "t"))
		*(int *)out = 1;
	else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "f"))
		*(int *)out = 0;
	else if (cfg_eval_double(s, &d))
		*(int *)out = d != 0;
	else
		return 0;
	return 1;
}

static int to_long(char *v, void *out) { return cfg_eval_long(v, out); }
static int to_double(char *v, void *out) { return cfg_eval_double(v, out); }

/* config_get, then convert; a value that is not of the type is an error
 * naming the knob, its value, the type (what) and where it was set. */
static int get_typed(const struct annex_config *cfg, const char *name, int (*convert)(char *v, void *out),
		     void *out, const char *what, struct annex_err *err)
{
	char *v = NULL;
	int rc = config_get(cfg, name, &v, err);

	if (rc <= 0)
		return rc;
	if (!convert(v, out))
		rc = annex_err_set(err, "Config", "%s = %s is not %s (%s)", name, v, what, config_source(cfg, name));
	free(v);
	return rc;
}

int config_get_bool(const struct annex_config *cfg, const char *name, int *out, struct annex_err *err)
{
	return get_typed(cfg, name, to_bool, out, "a boolean", err);
}

int config_get_int(const struct annex_config *cfg, const char *name, long long *out, struct annex_err *err)
{
	return get_typed(cfg, name, to_long, out, "an integer", err);
}

int config_get_double(const struct annex_config *cfg, const char *name, double *out, struct annex_err *err)
{
	return get_typed(cfg, name, to_double, out, "a number", err);
}

int config_is_configured(const struct annex_config *cfg, const char *name)
{
	const struct cfg_item *it;
	const char *raw = cfg_store_lookup(&cfg->store, name, &it);
	return raw && it && (it->origin == CFG_ORIGIN_FILE || it->origin == CFG_ORIGIN_ENV) && *raw;
}

const char *config_source(const struct annex_config *cfg, const char *name)
{
	const struct cfg_item *it;
	const char *raw = cfg_store_lookup(&cfg->store, name, &it);
	if (!raw)
		return NULL;
	return it ? it->source : "<Default>";
}

const char *config_user_config_path(const struct annex_config *cfg) { return cfg->user_config_path; }
int config_user_config_read(const struct annex_config *cfg) { return cfg->user_config_read; }
const char *config_local_config_dirs(const struct annex_config *cfg) { return cfg->local_config_dir; }
const char *config_root_file(const struct annex_config *cfg) { return cfg->root_file; }
const char *config_warnings(const struct annex_config *cfg) { return buf_cstr(&cfg->store.warnings); }
size_t config_count(const struct annex_config *cfg) { return cfg->store.n_items; }

const char *config_name_at(const struct annex_config *cfg, size_t i)
{
	return i < cfg->store.n_items ? cfg->store.items[i].name : NULL;
}

int config_expand(const struct annex_config *cfg, const char *text, char **out, struct annex_err *err)
{
	return cfg_expand(&cfg->store, text, out, err);
}
