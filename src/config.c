/* config.c - loading the HTCondor configuration in HTCondor's order and
 * the lookup API (see include/annex/config.h). The parser is in
 * config_parse.c, macro expansion in config_expand.c, HTCondor's table
 * defaults and templates in config_tables.c. */
#include "config_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pwd.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

/* ---- the table of names ---- */

static size_t name_hash(const char *prefix, const char *name)
{
	size_t h = 1469598103934665603ULL;
	if (prefix) {
		for (const char *p = prefix; *p; p++)
			h = (h ^ (unsigned char)tolower((unsigned char)*p)) * 1099511628211ULL;
		h = (h ^ '.') * 1099511628211ULL;
	}
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)tolower((unsigned char)*p)) * 1099511628211ULL;
	return h;
}

/* Whether key equals prefix.name (or name), ignoring case. */
static int name_equal(const char *key, const char *prefix, const char *name)
{
	if (prefix) {
		size_t n = strlen(prefix);
		if (strncasecmp(key, prefix, n) != 0 || key[n] != '.')
			return 0;
		key += n + 1;
	}
	return strcasecmp(key, name) == 0;
}

struct cfg_item *cfg_find_prefixed(const struct annex_config *cfg, const char *prefix, const char *name)
{
	if (!cfg->n_slots)
		return NULL;
	size_t mask = cfg->n_slots - 1;
	for (size_t i = name_hash(prefix, name) & mask;; i = (i + 1) & mask) {
		size_t s = cfg->slots[i];
		if (!s)
			return NULL;
		if (name_equal(cfg->items[s - 1].name, prefix, name))
			return &cfg->items[s - 1];
	}
}

struct cfg_item *cfg_find(const struct annex_config *cfg, const char *name)
{
	return cfg_find_prefixed(cfg, NULL, name);
}

static void rehash(struct annex_config *cfg, size_t n_slots)
{
	free(cfg->slots);
	cfg->slots = xcalloc(n_slots, sizeof *cfg->slots);
	cfg->n_slots = n_slots;
	for (size_t k = 0; k < cfg->n_items; k++) {
		size_t i = name_hash(NULL, cfg->items[k].name) & (n_slots - 1);
		while (cfg->slots[i])
			i = (i + 1) & (n_slots - 1);
		cfg->slots[i] = k + 1;
	}
}

void cfg_insert(struct annex_config *cfg, const char *name, const char *value,
		const char *source, enum cfg_origin origin)
{
	struct cfg_item *it = cfg_find(cfg, name);

	if (it) {
		free(it->value);
		free(it->source);
		it->value = xstrdup(value);
		it->source = xstrdup(source);
		it->origin = origin;
		return;
	}
	if (cfg->n_items == cfg->cap_items) {
		cfg->cap_items = cfg->cap_items ? cfg->cap_items * 2 : 64;
		cfg->items = xrealloc(cfg->items, cfg->cap_items * sizeof *cfg->items);
	}
	it = &cfg->items[cfg->n_items++];
	it->name = xstrdup(name);
	it->value = xstrdup(value);
	it->source = xstrdup(source);
	it->origin = origin;
	if (cfg->n_items * 2 > cfg->n_slots)
		rehash(cfg, cfg->n_slots ? cfg->n_slots * 2 : 128);
	else {
		size_t i = name_hash(NULL, name) & (cfg->n_slots - 1);
		while (cfg->slots[i])
			i = (i + 1) & (cfg->n_slots - 1);
		cfg->slots[i] = cfg->n_items;
	}
}

int cfg_is_name_char(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '/';
}

int cfg_is_valid_name(const char *name)
{
	if (!*name)
		return 0;
	for (; *name; name++)
		if (!cfg_is_name_char((unsigned char)*name))
			return 0;
	return 1;
}

void cfg_warn(struct annex_config *cfg, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&cfg->warnings, fmt, ap);
	va_end(ap);
	buf_putc(&cfg->warnings, '\n');
}

/* Notes a name looked up while the sources are read (see read_lookups). */
static void record_read_lookup(const struct annex_config *cfg, const char *name)
{
	struct buf *b = cfg->read_lookups;

	if (!b->len)
		buf_putc(b, '\n');
	for (const char *p = name; *p; p++)
		buf_putc(b, (char)tolower((unsigned char)*p));
	buf_putc(b, '\n');
}

const char *cfg_lookup_raw(const struct annex_config *cfg, const char *name, const struct cfg_item **item)
{
	const char *prefixes[2] = { cfg->localname, cfg->subsys };
	struct cfg_item *it;

	if (item)
		*item = NULL;
	if (cfg->reading)
		record_read_lookup(cfg, name);
	for (int i = 0; i < 2; i++) {
		if (!prefixes[i] || !*prefixes[i])
			continue;
		if ((it = cfg_find_prefixed(cfg, prefixes[i], name)) != NULL) {
			if (item)
				*item = it;
			return it->value;
		}
	}
	if ((it = cfg_find(cfg, name)) != NULL) {
		if (item)
			*item = it;
		return it->value;
	}
	return cfg_table_default(name);
}

/* ---- built-ins ---- */

static void detect(struct annex_config *cfg, const char *name, const char *value)
{
	if (value)
		cfg_insert(cfg, name, value, "<Detected>", CFG_ORIGIN_DETECTED);
}

static void detect_addresses(struct annex_config *cfg)
{
	struct ifaddrs *ifa = NULL;
	char v4[INET_ADDRSTRLEN] = "", v6[INET6_ADDRSTRLEN] = "";

	if (getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
			if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
				continue;
			if (i->ifa_addr->sa_family == AF_INET && !v4[0]) {
				inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, v4, sizeof v4);
			} else if (i->ifa_addr->sa_family == AF_INET6 && !v6[0]) {
				struct in6_addr *a = &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr;
				if (!IN6_IS_ADDR_LINKLOCAL(a))
					inet_ntop(AF_INET6, a, v6, sizeof v6);
			}
		}
		freeifaddrs(ifa);
	}
	detect(cfg, "IP_ADDRESS", v4[0] ? v4 : v6[0] ? v6 : "127.0.0.1");
	detect(cfg, "IPV4_ADDRESS", v4[0] ? v4 : NULL);
	detect(cfg, "IPV6_ADDRESS", v6[0] ? v6 : NULL);
}

static void detect_all(struct annex_config *cfg)
{
	char host[256] = "", tmp[64];
	struct passwd *pw;
	struct utsname un;

	if (gethostname(host, sizeof host - 1) != 0 || !host[0])
		snprintf(host, sizeof host, "localhost");
	detect(cfg, "FULL_HOSTNAME", host);
	char *dot = strchr(host, '.');
	if (dot)
		*dot = 0;
	detect(cfg, "HOSTNAME", host);
	detect_addresses(cfg);
	pw = getpwnam("condor");
	if (pw && pw->pw_dir)
		detect(cfg, "TILDE", pw->pw_dir);
	pw = getpwuid(geteuid());
	if (pw && pw->pw_name) {
		detect(cfg, "USERNAME", pw->pw_name);
	} else {
		snprintf(tmp, sizeof tmp, "%u", (unsigned)geteuid());
		detect(cfg, "USERNAME", tmp);
	}
	detect(cfg, "CondorIsAdmin", geteuid() == 0 ? "true" : "false");
	snprintf(tmp, sizeof tmp, "%ld", (long)getpid());
	detect(cfg, "PID", tmp);
	snprintf(tmp, sizeof tmp, "%ld", (long)getppid());
	detect(cfg, "PPID", tmp);
	snprintf(tmp, sizeof tmp, "%u", (unsigned)getuid());
	detect(cfg, "REAL_UID", tmp);
	snprintf(tmp, sizeof tmp, "%u", (unsigned)getgid());
	detect(cfg, "REAL_GID", tmp);
	if (uname(&un) == 0) {
		detect(cfg, "UNAME_ARCH", un.machine);
		detect(cfg, "UNAME_OPSYS", un.sysname);
		detect(cfg, "ARCH", strcmp(un.machine, "x86_64") == 0 ? "X86_64" :
			   strcmp(un.machine, "aarch64") == 0 ? "aarch64" : un.machine);
	}
	detect(cfg, "OPSYS", "LINUX");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	snprintf(tmp, sizeof tmp, "%ld", cpus > 0 ? cpus : 1);
	detect(cfg, "DETECTED_CPUS", tmp);
	detect(cfg, "DETECTED_CORES", tmp);
	detect(cfg, "SUBSYSTEM", cfg->subsys);
	if (cfg->localname)
		detect(cfg, "LOCALNAME", cfg->localname);
}

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
			cfg_warn(cfg, "LOCAL_CONFIG_DIR_EXCLUDE_REGEXP: cannot compile '%s'; no file is excluded", pattern);
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
		rc = cfg_parse_file(cfg, full, 1, 0, err);
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
			rc = cfg_parse_file(cfg, v[i], required, 0, err);
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
	if (cfg_parse_file(cfg, cfg->user_config_path, 0, 0, err) < 0)
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
		if (cfg_is_valid_name(name)) {
			char *value = NULL, *src = xasprintf("environment (%.*s)", (int)(eq - *e), *e);
			if (cfg_expand_self(cfg, eq + 1, name, &value, err) < 0) {
				annex_err_prefix(err, "environment variable %.*s", (int)(eq - *e), *e);
				free(src);
				free(name);
				return -1;
			}
			cfg_insert(cfg, name, value, src, CFG_ORIGIN_ENV);
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
	cfg->subsys = xstrdup(cfg->opt_subsystem);
	if (o && o->local_name && *o->local_name)
		cfg->localname = xstrdup(o->local_name);
	buf_puts(&cfg->warnings, "");
	cfg->read_lookups = xcalloc(1, sizeof *cfg->read_lookups);
	cfg->reading = 1;
	cfg->n_reads = 1;
	detect_all(cfg);

	if (cfg->opts.root_text) {
		const char *name = cfg->opts.root_name ? cfg->opts.root_name : "<config>";
		if (cfg->opts.root_name) {
			char *root = dir_of(name);
			detect(cfg, "CONFIG_ROOT", root);
			free(root);
		}
		rc = cfg_parse_text(cfg, name, cfg->opts.root_text, strlen(cfg->opts.root_text), 0, err);
	} else {
		rc = find_root(&cfg->root_file, err);
		if (rc == 0 && cfg->root_file) {
			char *root = dir_of(cfg->root_file);
			detect(cfg, "CONFIG_ROOT", root);
			free(root);
			rc = cfg_parse_file(cfg, cfg->root_file, 1, 0, err);
		}
	}
	if (rc == 0 && !cfg->opts.skip_local_config)
		rc = read_locals(cfg, err);
	if (rc == 0)
		rc = read_user_config(cfg, err);
	if (rc == 0)
		rc = read_environment(cfg, err);
	cfg->reading = 0;
	if (rc < 0) {
		config_free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

static void free_contents(struct annex_config *cfg)
{
	for (size_t i = 0; i < cfg->n_items; i++) {
		free(cfg->items[i].name);
		free(cfg->items[i].value);
		free(cfg->items[i].source);
	}
	free(cfg->items);
	free(cfg->slots);
	free(cfg->subsys);
	free(cfg->localname);
	free(cfg->opt_subsystem);
	free(cfg->opt_passwd_home);
	free(cfg->opt_root_text);
	free(cfg->opt_root_name);
	free(cfg->root_file);
	free(cfg->user_config_path);
	free(cfg->local_config_dir);
	buf_free(&cfg->warnings);
	if (cfg->read_lookups)
		buf_free(cfg->read_lookups);
	free(cfg->read_lookups);
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
	const char *seen = buf_cstr(cfg->read_lookups);
	size_t n = strlen(local_name);

	if (strstr(seen, "\nlocalname\n") || cfg_find(cfg, "LOCALNAME"))
		return 1;
	for (size_t i = 0; i < cfg->n_items; i++) {
		const char *name = cfg->items[i].name;
		if (strncasecmp(name, local_name, n) != 0 || name[n] != '.')
			continue;
		if (strstr(cfg->items[i].value, "$("))
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
	if (!cfg->localname && !local_name)
		return 0;
	if (!cfg->localname && !read_depends_on(cfg, local_name)) {
		cfg->localname = xstrdup(local_name);
		detect(cfg, "LOCALNAME", cfg->localname);
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
		if (!cfg_is_name_char((unsigned char)*p))
			*p = '_';
	return s;
}

/* ---- lookups ---- */

int config_get(const struct annex_config *cfg, const char *name, char **value, struct annex_err *err)
{
	const char *raw = cfg_lookup_raw(cfg, name, NULL);
	char *exp = NULL;

	if (value)
		*value = NULL;
	if (!raw)
		return 0;
	if (cfg_expand(cfg, raw, &exp, err) < 0)
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

int config_get_bool(const struct annex_config *cfg, const char *name, int *out, struct annex_err *err)
{
	char *v = NULL;
	int rc = config_get(cfg, name, &v, err);
	double d;

	if (rc <= 0)
		return rc;
	char *s = v;
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "t"))
		*out = 1;
	else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "f"))
		*out = 0;
	else if (cfg_eval_double(s, &d))
		*out = d != 0;
	else
		rc = annex_err_set(err, "Config", "%s = %s is not a boolean (%s)", name, v,
				   config_source(cfg, name));
	free(v);
	return rc;
}

int config_get_int(const struct annex_config *cfg, const char *name, long long *out, struct annex_err *err)
{
	char *v = NULL;
	int rc = config_get(cfg, name, &v, err);

	if (rc <= 0)
		return rc;
	if (!cfg_eval_long(v, out))
		rc = annex_err_set(err, "Config", "%s = %s is not an integer (%s)", name, v, config_source(cfg, name));
	free(v);
	return rc;
}

int config_get_double(const struct annex_config *cfg, const char *name, double *out, struct annex_err *err)
{
	char *v = NULL;
	int rc = config_get(cfg, name, &v, err);

	if (rc <= 0)
		return rc;
	if (!cfg_eval_double(v, out))
		rc = annex_err_set(err, "Config", "%s = %s is not a number (%s)", name, v, config_source(cfg, name));
	free(v);
	return rc;
}

int config_is_configured(const struct annex_config *cfg, const char *name)
{
	const struct cfg_item *it;
	const char *raw = cfg_lookup_raw(cfg, name, &it);
	return raw && it && (it->origin == CFG_ORIGIN_FILE || it->origin == CFG_ORIGIN_ENV) && *raw;
}

const char *config_source(const struct annex_config *cfg, const char *name)
{
	const struct cfg_item *it;
	const char *raw = cfg_lookup_raw(cfg, name, &it);
	if (!raw)
		return NULL;
	return it ? it->source : "<Default>";
}

const char *config_user_config_path(const struct annex_config *cfg) { return cfg->user_config_path; }
int config_user_config_read(const struct annex_config *cfg) { return cfg->user_config_read; }
const char *config_local_config_dirs(const struct annex_config *cfg) { return cfg->local_config_dir; }
const char *config_root_file(const struct annex_config *cfg) { return cfg->root_file; }
const char *config_warnings(const struct annex_config *cfg) { return buf_cstr(&cfg->warnings); }
size_t config_count(const struct annex_config *cfg) { return cfg->n_items; }

const char *config_name_at(const struct annex_config *cfg, size_t i)
{
	return i < cfg->n_items ? cfg->items[i].name : NULL;
}

int config_expand(const struct annex_config *cfg, const char *text, char **out, struct annex_err *err)
{
	return cfg_expand(cfg, text, out, err);
}
