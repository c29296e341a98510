/* launchplan.c - validation, naming, lease arithmetic and prompt wording for
 * a launch (see include/annex/launchplan.h). */
#include "annex/launchplan.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int launchplan_check_name(const char *name, struct annex_err *err)
{
	size_t n;

	if (!name || !*name)
		return annex_err_set(err, "Usage", "an annex name is required: use -annex-name NAME");
	n = strlen(name);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '.' && c != '-')
			return annex_err_set(err, "Usage",
				"-annex-name '%s': only letters, digits, '.' and '-' are allowed (found '%c'%s)",
				name, c, c == '_' ? "; '_' separates the name from the id in the annex id" : "");
	}
	if (n > ANNEX_NAME_MAX)
		return annex_err_set(err, "Usage",
			"-annex-name '%s' is %zu characters long; at most %d are allowed so that the annex id "
			"fits EC2's 64-character client token", name, n, ANNEX_NAME_MAX);
	return 0;
}

int launchplan_check_instance_type(const char *type, const char *option, struct annex_err *err)
{
	const char *dot;
	int digit = 0;

	if (!type || !*type)
		return annex_err_set(err, "Usage", "%s: an instance type is required", option);
	dot = strchr(type, '.');
	if (!dot || dot == type || !dot[1] || strchr(dot + 1, '.') || strlen(type) > 32)
		goto bad;
	if (!islower((unsigned char)type[0]))
		goto bad;
	for (const char *p = type; p < dot; p++) {
		if (isdigit((unsigned char)*p))
			digit = 1;
		else if (!islower((unsigned char)*p) && *p != '-')
			goto bad;
	}
	/* the size: letters and digits, and single inner dashes ("metal-24xl") */
	for (const char *p = dot + 1; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    (*p != '-' || p == dot + 1 || !p[1] || p[1] == '-'))
			goto bad;
	if (digit)
		return 0;
bad:
	return annex_err_set(err, "Usage", "%s '%s' is not an EC2 instance type (e.g. m5.large)", option, type);
}

const char *launchplan_arch_of_type(const char *type)
{
	const char *p = type;

	if (strncmp(type, "a1.", 3) == 0)
		return "arm64";
	while (*p && *p != '.' && !isdigit((unsigned char)*p))
		p++;
	while (isdigit((unsigned char)*p))
		p++;
	for (; *p && *p != '.' && *p != '-'; p++)
		if (*p == 'g')
			return "arm64";
	return "x86_64";
}

int launchplan_uuid(char out[37], struct annex_err *err)
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return annex_err_set(err, "Random", "cannot generate a random annex id");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}

char *launchplan_annex_id(const char *name, const char *uuid)
{
	return xasprintf("%s_%s", name, uuid);
}

time_t launchplan_lease_end(time_t now, double hours)
{
	return now + (time_t)llround(hours * 3600.0);
}

/* Splits addr into host and port. Accepts host, host:port, [v6]:port, a
 * bare IPv6 literal and HTCondor's sinful form <host:port?params>. */
static void split_host_port(const char *addr, char *host, size_t host_len, int *port)
{
	char tmp[512];
	char *p, *colon;

	*port = 0;
	snprintf(tmp, sizeof(tmp), "%s", addr);
	p = tmp;
	if (*p == '<') {
		p++;
		p[strcspn(p, ">?")] = 0;
	}
	if (*p == '[') {
		char *end = strchr(p, ']');
		if (end) {
			*end = 0;
			if (end[1] == ':')
				*port = atoi(end + 2);
			snprintf(host, host_len, "%s", p + 1);
			return;
		}
	}
	colon = strchr(p, ':');
	if (colon && strchr(colon + 1, ':')) {  /* bare IPv6 */
		snprintf(host, host_len, "%s", p);
		return;
	}
	if (colon) {
		*colon = 0;
		*port = atoi(colon + 1);
	}
	snprintf(host, host_len, "%s", p);
}

enum collector_verdict launchplan_classify_collector(const char *addr, char *host_out, size_t host_len,
						     int *port_out)
{
	char host[512];
	int port;
	struct in_addr v4;
	struct in6_addr v6;

	if (!addr || !*addr)
		return COLLECTOR_REFUSE_EMPTY;
	split_host_port(addr, host, sizeof(host), &port);
	if (host_out)
		snprintf(host_out, host_len, "%s", host);
	if (port_out)
		*port_out = port ? port : 9618;
	if (!*host)
		return COLLECTOR_REFUSE_EMPTY;
	if (inet_pton(AF_INET, host, &v4) == 1) {
		uint32_t a = ntohl(v4.s_addr);
		if ((a >> 24) == 127 || a == 0)
			return COLLECTOR_REFUSE_LOOPBACK;
		if ((a >> 16) == 0xa9fe)
			return COLLECTOR_REFUSE_LINK_LOCAL;
		if ((a >> 24) == 10 || (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8 || (a >> 22) == 0x191)
			return COLLECTOR_WARN_PRIVATE;
		return COLLECTOR_OK;
	}
	if (inet_pton(AF_INET6, host, &v6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&v6) || IN6_IS_ADDR_UNSPECIFIED(&v6))
			return COLLECTOR_REFUSE_LOOPBACK;
		if (IN6_IS_ADDR_LINKLOCAL(&v6))
			return COLLECTOR_REFUSE_LINK_LOCAL;
		if ((v6.s6_addr[0] & 0xfe) == 0xfc)
			return COLLECTOR_WARN_PRIVATE;
		return COLLECTOR_OK;
	}
	if (strcasecmp(host, "localhost") == 0 || strncasecmp(host, "localhost.", 10) == 0)
		return COLLECTOR_REFUSE_LOOPBACK;
	if (!strchr(host, '.'))
		return COLLECTOR_REFUSE_UNQUALIFIED;
	return COLLECTOR_OK;
}

void launchplan_prompt_ondemand(struct buf *out, long count, const char *type, double lease_h, double idle_h)
{
	buf_printf(out, "Will request %ld %s on-demand instance%s for %.2f hours.  "
		   "Each instance will terminate after being idle for %.2f hours.\n",
		   count, type, count == 1 ? "" : "s", lease_h, idle_h);
	buf_puts(out, "Is that OK?  (Type 'yes' or 'no'): ");
}

void launchplan_prompt_ec2fleet(struct buf *out, long count, int spot, char *const *types, size_t n_types,
				int prioritized, int fallback, double lease_h, double idle_h)
{
	buf_printf(out, "Will request %ld %s instance%s of ", count, spot ? "spot" : "on-demand", count == 1 ? "" : "s");
	for (size_t i = 0; i < n_types; i++)
		buf_printf(out, "%s%s", i == 0 ? "" : i + 1 == n_types ? " or " : ", ", types[i]);
	if (n_types > 1)
		buf_puts(out, spot ? " (the most available at the lowest price)" :
			 prioritized ? " (in that order of preference)" : " (the cheapest first)");
	if (fallback)
		buf_puts(out, ", the rest on-demand when spot cannot fill them");
	buf_printf(out, " for %.2f hours.  Each instance will terminate after being idle for %.2f hours.\n",
		   lease_h, idle_h);
	buf_puts(out, "Is that OK?  (Type 'yes' or 'no'): ");
}

void launchplan_prompt_fleet(struct buf *out, long slots, double lease_h, double idle_h)
{
	buf_printf(out, "Will request %ld spot slots for %.2f hours.  "
		   "Each instance will terminate after being idle for %.2f hours.\n",
		   slots, lease_h, idle_h);
	buf_puts(out, "Is that OK?  (Type 'yes' or 'no'): ");
}

int launchplan_is_yes(const char *answer)
{
	char word[8];
	size_t n = 0;

	if (!answer)
		return 0;
	while (isspace((unsigned char)*answer))
		answer++;
	while (answer[n] && !isspace((unsigned char)answer[n]) && n < sizeof(word) - 1) {
		word[n] = answer[n];
		n++;
	}
	word[n] = 0;
	return strcasecmp(word, "yes") == 0 || strcasecmp(word, "y") == 0;
}
