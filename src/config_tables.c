/* config_tables.c - the parts of HTCondor 25.14's parameter table annex
 * needs: the defaults of the knobs annex (and the templates below) read,
 * and the `use CATEGORY : TEMPLATE` metaknobs that set knobs annex cares
 * about (ROLE, SECURITY, and a few FEATURE/POLICY ones). The values are
 * HTCondor's, so that a lookup gives what condor_config_val gives. */
#include "annex/config_tables.h"

#include "annex/buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One default of HTCondor's parameter table. */
struct cfg_default {
	const char *name;
	const char *value;
};

static const struct cfg_default cfg_defaults[] = {
	/* condor_annex */
	{ "ANNEX_COMMAND_STATE", "$(LOG)/AnnexCommand.state" },
	{ "ANNEX_LOG", "$(LOG)/AnnexLog" },
	{ "ANNEX_AUDIT_LOG", "$(LOG)/AnnexAuditLog" },
	{ "ANNEX_GAHP_LOG", "$(LOG)/AnnexGahpLog" },
	{ "ANNEX_GAHP", "$(EC2_GAHP)" },
	{ "ANNEX_DEFAULT_LEASE_DURATION", "3000" },
	{ "ANNEX_DEFAULT_UNCLAIMED_TIMEOUT", "900" },
	{ "ANNEX_DEFAULT_AWS_REGION", "us-east-1" },
	{ "ANNEX_DEFAULT_EC2_URL", "https://ec2.us-east-1.amazonaws.com" },
	{ "ANNEX_DEFAULT_CWE_URL", "https://events.us-east-1.amazonaws.com" },
	{ "ANNEX_DEFAULT_LAMBDA_URL", "https://lambda.us-east-1.amazonaws.com" },
	{ "ANNEX_DEFAULT_S3_URL", "https://s3.amazonaws.com" },
	{ "ANNEX_DEFAULT_CF_URL", "https://cloudformation.us-east-1.amazonaws.com/" },
	{ "ANNEX_DEFAULT_CONNECTIVITY_FUNCTION_ARN", "HTCondorAnnex-CheckConnectivity" },
	{ "ANNEX_DEFAULT_ODI_INSTANCE_TYPE", "$(ANNEX_DEFAULT_ODI_INSTANCE_TYPE_V8_7_0)" },
	{ "ANNEX_DEFAULT_ODI_INSTANCE_TYPE_V8_7_0", "m4.large" },
	{ "ANNEX_TOKEN_DOMAIN", "$(TRUST_DOMAIN)" },
	{ "HPC_ANNEX_ENABLED", "false" },
	{ "EC2_GAHP", "$(SBIN)/ec2_gahp" },
	{ "EC2_GAHP_LOG", "/tmp/EC2GahpLog.$(USERNAME)" },

	/* the config system itself */
	{ "USER_CONFIG_FILE", "user_config" },
	{ "REQUIRE_LOCAL_CONFIG_FILE", "true" },
	{ "LOCAL_CONFIG_DIR_EXCLUDE_REGEXP",
	  "^((\\..*)|(.*\\.pl)|(.*\\.py)|(.*\\.sh)|(.*~)|(#.*)|(.*\\.rpmsave)|(.*\\.rpmnew)"
	  "|(.*\\.dpkg-old)|(.*\\.dpkg-dist)|(.*\\.cfsaved))$" },

	/* layout */
	{ "RELEASE_DIR", "/usr" },
	{ "BIN", "$(RELEASE_DIR)/bin" },
	{ "SBIN", "$(RELEASE_DIR)/sbin" },
	{ "LIB", "$(RELEASE_DIR)/lib" },
	{ "LIBEXEC", "$(RELEASE_DIR)/libexec" },
	{ "INCLUDE", "$(RELEASE_DIR)/include" },
	{ "ETC", "$(RELEASE_DIR)/etc" },
	{ "LOCAL_DIR", "$(TILDE)" },
	{ "LOG", "$(LOCAL_DIR)/log" },
	{ "SPOOL", "$(LOCAL_DIR)/spool" },
	{ "EXECUTE", "$(LOCAL_DIR)/execute" },
	{ "LOCK", "$(LOG)" },
	{ "RUN", "$(LOCK)" },
	{ "HISTORY", "$(SPOOL)/history" },
	{ "MASTER_LOG", "$(LOG)/MasterLog" },
	{ "STARTD_LOG", "$(LOG)/StartLog" },
	{ "SCHEDD_LOG", "$(LOG)/SchedLog" },
	{ "COLLECTOR_LOG", "$(LOG)/CollectorLog" },
	{ "NEGOTIATOR_LOG", "$(LOG)/NegotiatorLog" },
	{ "MASTER", "$(SBIN)/condor_master" },
	{ "STARTD", "$(SBIN)/condor_startd" },
	{ "SCHEDD", "$(SBIN)/condor_schedd" },
	{ "COLLECTOR", "$(SBIN)/condor_collector" },
	{ "NEGOTIATOR", "$(SBIN)/condor_negotiator" },

	/* pool, network, security */
	{ "DAEMON_LIST", "MASTER" },
	{ "COLLECTOR_HOST", "$(CONDOR_HOST)" },
	{ "COLLECTOR_PORT", "9618" },
	{ "SHARED_PORT_PORT", "$(COLLECTOR_PORT)" },
	{ "USE_SHARED_PORT", "true" },
	{ "COLLECTOR_NAME", "My Pool - $(CONDOR_HOST)" },
	{ "CONDOR_ADMIN", "root@$(FULL_HOSTNAME)" },
	{ "HOST_ALIAS", "$(FULL_HOSTNAME)" },
	{ "UID_DOMAIN", "$(FULL_HOSTNAME)" },
	{ "FILESYSTEM_DOMAIN", "$(FULL_HOSTNAME)" },
	{ "TRUST_DOMAIN", "$(UID_DOMAIN)" },
	{ "PRIVATE_NETWORK_NAME", "$(FULL_HOSTNAME)" },
	{ "NETWORK_INTERFACE", "*" },
	{ "BIND_ALL_INTERFACES", "true" },
	{ "ALLOW_CLIENT", "*" },
	{ "SEC_PASSWORD_FILE", "$(SEC_PASSWORD_DIRECTORY)/POOL" },
	{ "SEC_PASSWORD_DIRECTORY", "/etc/condor/passwords.d" },
	{ "SEC_TOKEN_SYSTEM_DIRECTORY", "/etc/condor/tokens.d" },
	{ "SEC_TOKEN_POOL_SIGNING_KEY_FILE", "$(SEC_PASSWORD_FILE)" },
	{ "SEC_TOKEN_ISSUER_KEY", "POOL" },
	{ "QUEUE_SUPER_USERS", "root, condor" },
	{ "STARTD_NOCLAIM_SHUTDOWN", "0" },
	{ "START", "True" },
	{ "UPDATE_INTERVAL", "300" },
	{ "MINUTE", "60" },
	{ "HOUR", "3600" },
	{ "STANDARD", "1" },
	{ "VANILLA", "5" },
	{ "IsWindows", "false" },
};

const char *cfg_table_default(const char *name)
{
	for (size_t i = 0; i < sizeof cfg_defaults / sizeof cfg_defaults[0]; i++)
		if (strcasecmp(cfg_defaults[i].name, name) == 0)
			return cfg_defaults[i].value;
	return NULL;
}

struct cfg_template {
	const char *category;
	const char *name;
	const char *body;
};

/* The metaknobs, as HTCondor 25.14 defines them (knob assignments only). */
static const struct cfg_template cfg_templates[] = {
	{ "ROLE", "Personal",
	  "CONDOR_HOST=127.0.0.1\n"
	  "COLLECTOR_HOST=$(CONDOR_HOST):0\n"
	  "DAEMON_LIST=MASTER COLLECTOR NEGOTIATOR STARTD SCHEDD\n"
	  "RunBenchmarks=0\n" },
	{ "ROLE", "Execute", "DAEMON_LIST=$(DAEMON_LIST) STARTD\n" },
	{ "ROLE", "Submit", "DAEMON_LIST=$(DAEMON_LIST) SCHEDD\n" },
	{ "ROLE", "CentralManager", "DAEMON_LIST=$(DAEMON_LIST) COLLECTOR NEGOTIATOR\n" },
	{ "ROLE", "get_htcondor_central_manager",
	  "use security:get_htcondor_idtokens\n"
	  "use role:CentralManager\n" },
	{ "ROLE", "get_htcondor_submit",
	  "use security:get_htcondor_idtokens\n"
	  "ALLOW_WRITE = $(ALLOW_WRITE) *\n"
	  "use role:submit\n" },
	{ "ROLE", "get_htcondor_execute",
	  "use security:get_htcondor_idtokens\n"
	  "use role:execute\n" },

	{ "SECURITY", "HOST_BASED",
	  "ALLOW_ADMINISTRATOR=$(CONDOR_HOST)\n"
	  "ALLOW_READ=*\n"
	  "ALLOW_WRITE=$(FULL_HOSTNAME) $(IPV4_ADDRESS) $(IPV6_ADDRESS)\n"
	  "ALLOW_DAEMON=$(FULL_HOSTNAME) $(IPV4_ADDRESS) $(IPV6_ADDRESS)\n"
	  "ALLOW_NEGOTIATOR=$(CONDOR_HOST)\n"
	  "ALLOW_NEGOTIATOR_SCHEDD=$(ALLOW_NEGOTIATOR) $(FLOCK_NEGOTIATOR_HOSTS)\n"
	  "ALLOW_WRITE_COLLECTOR=$(ALLOW_WRITE) $(FLOCK_FROM)\n"
	  "ALLOW_WRITE_STARTD=$(ALLOW_WRITE) $(FLOCK_FROM)\n"
	  "ALLOW_READ_COLLECTOR=$(ALLOW_READ) $(FLOCK_FROM)\n"
	  "ALLOW_READ_STARTD=$(ALLOW_READ) $(FLOCK_FROM)\n"
	  "LEGACY_ALLOW_SEMANTICS = TRUE\n" },
	{ "SECURITY", "WITH_AUTHENTICATION",
	  "SEC_DEFAULT_AUTHENTICATION=required\n"
	  "SEC_DEFAULT_INTEGRITY=required\n" },
	{ "SECURITY", "STRONG",
	  "SEC_DEFAULT_ENCRYPTION=required\n"
	  "SEC_DEFAULT_INTEGRITY=required\n"
	  "SEC_DEFAULT_AUTHENTICATION=required\n" },
	{ "SECURITY", "USER_BASED",
	  "if $(CondorIsAdmin)\n"
	  "authuser=condor\n"
	  "else\n"
	  "authuser=$(USERNAME)\n"
	  "endif\n"
	  "ALLOW_ADMINISTRATOR=$(authuser)@$(CONDOR_HOST)\n"
	  "ALLOW_READ=*\n"
	  "ALLOW_WRITE=$(authuser)@$(FULL_HOSTNAME) $(authuser)@$(IP_ADDRESS)\n"
	  "ALLOW_DAEMON=$(authuser)@$(FULL_HOSTNAME) $(authuser)@$(IP_ADDRESS)\n"
	  "ALLOW_NEGOTIATOR=$(authuser)@$(CONDOR_HOST)\n"
	  "ALLOW_NEGOTIATOR_SCHEDD=$(ALLOW_NEGOTIATOR) $(FLOCK_NEGOTIATOR_HOSTS)\n"
	  "ALLOW_WRITE_COLLECTOR=$(ALLOW_WRITE) $(FLOCK_FROM)\n"
	  "ALLOW_WRITE_STARTD=$(ALLOW_WRITE) $(FLOCK_FROM)\n"
	  "ALLOW_READ_COLLECTOR=$(ALLOW_READ) $(FLOCK_FROM)\n"
	  "ALLOW_READ_STARTD=$(ALLOW_READ) $(FLOCK_FROM)\n"
	  "use SECURITY:WITH_AUTHENTICATION\n" },
	{ "SECURITY", "Recommended_v9_0",
	  "SECURITY_MODEL = 9.0\n"
	  "use security:strong\n"
	  "SEC_READ_AUTHENTICATION = OPTIONAL\n"
	  "SEC_READ_ENCRYPTION = OPTIONAL\n"
	  "SEC_READ_INTEGRITY = OPTIONAL\n"
	  "ALLOW_ADMINISTRATOR = $(1:condor)@* condor_pool@* $(2:root@*) $(3+)\n"
	  "ALLOW_DAEMON = $(1:condor)@*  condor_pool@*\n"
	  "ALLOW_NEGOTIATOR = $(1:condor)@* condor_pool@*\n"
	  "ALLOW_WRITE = *\n"
	  "ALLOW_READ = *\n" },
	{ "SECURITY", "FIPS",
	  "FIPS = True\n"
	  "use security:strong\n"
	  "SEC_DEFAULT_CRYPTO_METHODS = AES,3DES\n" },
	{ "SECURITY", "get_htcondor_idtokens",
	  "use security:strong\n"
	  "SEC_DEFAULT_AUTHENTICATION_METHODS = IDTOKENS, FS\n"
	  "SEC_READ_AUTHENTICATION_METHODS = IDTOKENS, FS, ANONYMOUS\n"
	  "SEC_CLIENT_AUTHENTICATION_METHODS = IDTOKENS, FS, ANONYMOUS\n"
	  "TRUST_DOMAIN = $(CONDOR_HOST)\n"
	  "ALLOW_READ = *\n"
	  "ALLOW_ADMINISTRATOR = root@* condor@$(TRUST_DOMAIN)\n"
	  "ALLOW_WRITE = condor@$(TRUST_DOMAIN)\n"
	  "ALLOW_DAEMON = condor@$(TRUST_DOMAIN)\n"
	  "ALLOW_NEGOTIATOR = condor@$(TRUST_DOMAIN)\n" },

	{ "POLICY", "ALWAYS_RUN_JOBS",
	  "WANT_SUSPEND=False\n"
	  "WANT_VACATE=True\n"
	  "SUSPEND=False\n"
	  "CONTINUE=True\n"
	  "PREEMPT=False\n"
	  "START=True\n"
	  "KILL=False\n"
	  "PREEMPTION_REQUIREMENTS=False\n"
	  "NEGOTIATOR_CONSIDER_PREEMPTION=False\n"
	  "MaxJobRetirementTime=2147483647\n"
	  "CLAIM_WORKLIFE=1200\n" },

	{ "FEATURE", "PartitionableSlot",
	  "NUM_SLOTS_TYPE_$(1:1)=1\n"
	  "SLOT_TYPE_$(1:1)_PARTITIONABLE=true\n"
	  "SLOT_TYPE_$(1:1)=$(2+:100%)\n" },
};

static const char *const cfg_categories[] = { "ROLE", "SECURITY", "POLICY", "FEATURE" };

const char *cfg_table_template(const char *category, const char *name, int *known_category)
{
	*known_category = 0;
	for (size_t i = 0; i < sizeof cfg_categories / sizeof cfg_categories[0]; i++)
		if (strcasecmp(cfg_categories[i], category) == 0)
			*known_category = 1;
	for (size_t i = 0; i < sizeof cfg_templates / sizeof cfg_templates[0]; i++)
		if (strcasecmp(cfg_templates[i].category, category) == 0 &&
		    strcasecmp(cfg_templates[i].name, name) == 0)
			return cfg_templates[i].body;
	return NULL;
}

/* Where the index-th comma-separated argument (0-based) starts, or NULL
 * when there are fewer. */
static const char *meta_arg_start(const char *args, int index)
{
	const char *p = args;
	for (int i = 0; i < index && p; i++) {
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return p;
}

/* The index-th comma-separated argument (0-based), trimmed, or NULL. */
static char *meta_arg(const char *args, int index)
{
	const char *p = meta_arg_start(args, index);
	if (!p)
		return NULL;
	const char *e = strchr(p, ',');
	return xstrndup_trim(p, e ? (size_t)(e - p) : strlen(p));
}

/* The arguments from the index-th on, as written (trimmed at the start). */
static const char *meta_args_from(const char *args, int index)
{
	const char *p = meta_arg_start(args, index);
	while (p && isspace((unsigned char)*p))
		p++;
	return p;
}

static int meta_arg_count(const char *args)
{
	const char *p = args;
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return 0;
	int n = 1;
	for (; *p; p++)
		if (*p == ',')
			n++;
	return n;
}

/* Metaknob arguments: $(N) the Nth argument, $(N?) 1 when it is non-empty,
 * $(N+) the arguments from the Nth on, $(0) all, $(0#) how many, and a
 * ":default" used when the argument is empty. Anything else is kept. */
char *cfg_table_meta_args(const char *body, const char *args)
{
	struct buf out = BUF_INIT;
	const char *p = body;

	if (!args)
		args = "";
	while (*p) {
		if (p[0] == '$' && p[1] == '(' && isdigit((unsigned char)p[2])) {
			const char *q = p + 2;
			int n = 0;
			while (isdigit((unsigned char)*q) && n < 100)
				n = n * 10 + (*q++ - '0');
			char kind = 0;
			if (*q == '?' || *q == '+' || *q == '#')
				kind = *q++;
			const char *def = NULL;
			size_t def_len = 0;
			if (*q == ':') {
				def = ++q;
				int depth = 0;
				while (*q && (*q != ')' || depth > 0)) {
					if (*q == '(')
						depth++;
					else if (*q == ')')
						depth--;
					q++;
				}
				def_len = (size_t)(q - def);
			}
			if (*q == ')') {
				char *val = NULL;
				if (kind == '#') {
					val = xasprintf("%d", meta_arg_count(args));
				} else if (kind == '?') {
					char *a = n == 0 ? xstrdup(args) : meta_arg(args, n - 1);
					int nonempty = 0;
					for (const char *c = a ? a : ""; *c; c++)
						if (!isspace((unsigned char)*c))
							nonempty = 1;
					val = xstrdup(nonempty ? "1" : "0");
					free(a);
				} else if (kind == '+' || n == 0) {
					const char *from = meta_args_from(args, n > 0 ? n - 1 : 0);
					val = xstrdup(from ? from : "");
				} else {
					val = meta_arg(args, n - 1);
				}
				if ((!val || !*val) && def) {
					free(val);
					val = xstrndup(def, def_len);
				}
				if (val)
					buf_puts(&out, val);
				free(val);
				p = q + 1;
				continue;
			}
		}
		buf_putc(&out, *p++);
	}
	if (!out.data)
		return xstrdup("");
	return buf_steal(&out);
}
