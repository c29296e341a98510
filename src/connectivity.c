/* connectivity.c - the collector and schedd checks of issue 19: what is
 * asked (cedar.c from here, the connectivity function through Lambda
 * Invoke from AWS), how each answer is judged (pure), and the line each
 * outcome prints. See include/annex/connectivity.h and docs/network.md. */
#include "annex/connectivity.h"

#include <arpa/inet.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annex/buf.h"
#include "annex/lambda.h"
#include "annex/launchplan.h"
#include "annex/runcmd.h"

/* What a reply field may put on a line: printable, one line, bounded. */
static void put_safe(struct buf *b, const char *s, size_t max)
{
	size_t n = 0;

	for (; s && *s && n < max; s++, n++)
		buf_putc(b, (unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f ? ' ' : *s);
	if (s && *s)
		buf_puts(b, "...");
}

static int is_instance_id(const char *s)
{
	if (!s || strlen(s) != CEDAR_INSTANCE_ID_LEN)
		return 0;
	return strspn(s, "0123456789abcdefABCDEF") == CEDAR_INSTANCE_ID_LEN;
}

/* The function's reply: {"reachable": bool, "instance_id": str,
 * "description": str}. 0 with the fields (strings may be NULL), -1 when it
 * is not that shape. *doc holds the strings (json_object_put). */
static int read_reply(const char *text, json_object **doc, int *reachable, const char **id, const char **desc)
{
	json_object *o = text ? json_tokener_parse(text) : NULL, *v;

	*doc = o;
	*id = *desc = NULL;
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "reachable", &v) || !json_object_is_type(v, json_type_boolean))
		return -1;
	*reachable = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "instance_id", &v)) {
		if (!json_object_is_type(v, json_type_string))
			return -1;
		*id = json_object_get_string(v);
	}
	if (json_object_object_get_ex(o, "description", &v)) {
		if (!json_object_is_type(v, json_type_string))
			return -1;
		*desc = json_object_get_string(v);
	}
	return 0;
}

/* The outcomes that do not depend on what the function found: no
 * function, a failed call, a function error, a reply of another shape.
 * Returns 1 when one of them applies (r filled). */
static int judge_call(const struct connectivity_target *t, const char *what, const struct connectivity_remote *rem,
		      json_object **doc, int *reachable, const char **id, const char **desc,
		      struct connectivity_result *r)
{
	struct buf b = BUF_INIT;

	*doc = NULL;
	if (rem->invoked == 0) {
		r->outcome = CONN_NO_FUNCTION;
		if (t->function)
			buf_printf(&b, "FAILED: the connectivity function %s does not exist; run 'annex -setup'.",
				   t->function);
		else
			buf_puts(&b, "FAILED: ANNEX_DEFAULT_CONNECTIVITY_FUNCTION_ARN is unset (annex's connectivity "
				 "function); run 'annex -setup'.");
	} else if (rem->invoked < 0) {
		r->outcome = CONN_WARNING;
		buf_puts(&b, "WARNING: could not ask the connectivity function (");
		put_safe(&b, rem->call_error, 300);
		buf_printf(&b, "); %s was not checked from AWS.", what);
	} else if (rem->function_error) {
		json_object *e = rem->reply ? json_tokener_parse(rem->reply) : NULL, *m;
		r->outcome = CONN_WARNING;
		buf_puts(&b, "WARNING: the connectivity function failed (");
		put_safe(&b, rem->function_error, 40);
		if (e && json_object_is_type(e, json_type_object) && json_object_object_get_ex(e, "errorMessage", &m) &&
		    json_object_is_type(m, json_type_string)) {
			buf_puts(&b, ": ");
			put_safe(&b, json_object_get_string(m), 200);
		}
		json_object_put(e);
		buf_printf(&b, "); %s was not checked from AWS.", what);
	} else if (read_reply(rem->reply, doc, reachable, id, desc) != 0) {
		r->outcome = CONN_WARNING;
		buf_puts(&b, "WARNING: the connectivity function's reply is not the JSON annex expects (");
		put_safe(&b, rem->reply, 80);
		buf_printf(&b, "); %s was not checked from AWS.", what);
	} else {
		return 0;
	}
	r->line = buf_steal(&b);
	return 1;
}

void connectivity_judge(const struct connectivity_target *t, const char *local_id, const char *local_why,
			const struct connectivity_remote *rem, struct connectivity_result *r)
{
	struct buf b = BUF_INIT;
	json_object *doc;
	const char *id, *desc;
	int reachable = 0;

	memset(r, 0, sizeof(*r));
	if (is_instance_id(local_id))
		snprintf(r->local_id, sizeof(r->local_id), "%s", local_id);
	if (judge_call(t, "the collector", rem, &doc, &reachable, &id, &desc, r)) {
		json_object_put(doc);
		return;
	}
	if (is_instance_id(id))
		snprintf(r->remote_id, sizeof(r->remote_id), "%s", id);
	if (!reachable) {
		r->outcome = CONN_UNREACHABLE;
		buf_printf(&b, "FAILED: %s:%d is not reachable from AWS (", t->host, t->port);
		put_safe(&b, desc && *desc ? desc : "no reason given", 200);
		buf_printf(&b, "). Forward port %d on the NAT or firewall to the central manager and set "
			   "ANNEX_COLLECTOR_ADDRESS to the public name or address the nodes should use; CCB helps "
			   "the nodes' side, not this one.", t->port);
	} else if (!r->remote_id[0]) {
		r->outcome = CONN_OK_UNCOMPARED;
		buf_printf(&b, "OK. Note: AWS reached %s:%d but got no instance id (", t->host, t->port);
		put_safe(&b, desc && *desc ? desc : "none given", 200);
		buf_puts(&b, "), so it could not be compared with the collector's.");
	} else if (!r->local_id[0]) {
		r->outcome = CONN_OK_UNCOMPARED;
		buf_printf(&b, "OK. Note: the collector did not answer here (%s), so the instance id AWS saw (%s) "
			   "could not be compared with its own.", local_why && *local_why ? local_why : "no answer",
			   r->remote_id);
	} else if (strcasecmp(r->local_id, r->remote_id) != 0) {
		r->outcome = CONN_WRONG_DAEMON;
		buf_printf(&b, "FAILED: %s:%d answers from AWS as instance %s, but the collector answers here as "
			   "instance %s: a port forward or DNS name points at another daemon; make %s lead to this "
			   "pool's central manager.", t->host, t->port, r->remote_id, r->local_id,
			   t->knob ? t->knob : "the address");
	} else {
		r->outcome = CONN_OK;
		buf_puts(&b, "OK.");
	}
	json_object_put(doc);
	r->line = buf_steal(&b);
}

void connectivity_judge_tcp(const struct connectivity_target *t, const char *what,
			    const struct connectivity_remote *rem, struct connectivity_result *r)
{
	struct buf b = BUF_INIT;
	json_object *doc;
	const char *id, *desc;
	int reachable = 0;

	memset(r, 0, sizeof(*r));
	if (judge_call(t, what, rem, &doc, &reachable, &id, &desc, r)) {
		json_object_put(doc);
		return;
	}
	if (reachable) {
		r->outcome = CONN_OK;
		buf_puts(&b, "OK.");
	} else {
		r->outcome = CONN_UNREACHABLE;
		buf_printf(&b, "FAILED: %s:%d is not reachable from AWS (", t->host, t->port);
		put_safe(&b, desc && *desc ? desc : "no reason given", 200);
		buf_printf(&b, "): nodes will join but jobs from %s will not start; forward port %d on the NAT or "
			   "firewall to that host (hairpin NAT for the inside) and set TCP_FORWARDING_HOST there to the "
			   "public address.", what, t->port);
	}
	json_object_put(doc);
	r->line = buf_steal(&b);
}

int connectivity_refuses(enum connectivity_outcome o)
{
	return o == CONN_UNREACHABLE || o == CONN_WRONG_DAEMON;
}

void connectivity_result_free(struct connectivity_result *r)
{
	free(r->line);
	r->line = NULL;
}

/* Invokes the function with {"host", "port", "timeout"[, "query": false]};
 * rem's strings are malloc'd into reply, ferr, cerr (freed by the caller). */
static void invoke(struct aws_ctx *aws, const char *function, const char *host, int port, int timeout_s, int query,
		   struct connectivity_remote *rem, char **reply, char **ferr, char **cerr)
{
	json_object *ev = json_object_new_object();
	struct annex_err err;
	char *arn = NULL;

	*reply = *ferr = *cerr = NULL;
	memset(rem, 0, sizeof(*rem));
	if (!function) {
		json_object_put(ev);
		return;             /* invoked 0: no function */
	}
	json_object_object_add(ev, "host", json_object_new_string(host));
	json_object_object_add(ev, "port", json_object_new_int(port));
	json_object_object_add(ev, "timeout", json_object_new_int(timeout_s));
	if (!query)
		json_object_object_add(ev, "query", json_object_new_boolean(0));
	annex_err_clear(&err);
	/* looked up first: "no function" is then the same answer whatever
	 * Invoke does with a name it does not know (moto's simple mode answers
	 * it); Invoke's own 404 counts too */
	if ((rem->invoked = lambda_get_function(aws, function, &arn, &err)) == 1)
		rem->invoked = lambda_invoke(aws, function,
					     json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN), reply, ferr,
					     &err);
	free(arn);
	json_object_put(ev);
	if (rem->invoked < 0)
		*cerr = xstrdup(err.msg[0] ? err.msg : err.code);
	rem->reply = *reply;
	rem->function_error = *ferr;
	rem->call_error = *cerr;
}

void connectivity_check_collector(struct aws_ctx *aws, const char *function, const char *local_addr,
				  const char *node_addr, const char *knob, int timeout_s, struct connectivity_result *r)
{
	struct connectivity_target t = { .knob = knob, .function = function };
	struct connectivity_remote rem;
	struct annex_err err;
	char host[256], lhost[256], local_id[CEDAR_INSTANCE_ID_LEN + 1] = "";
	char *reply, *ferr, *cerr;
	int lport;

	launchplan_classify_collector(node_addr, host, sizeof(host), &t.port);
	t.host = host;
	launchplan_classify_collector(local_addr ? local_addr : node_addr, lhost, sizeof(lhost), &lport);
	annex_err_clear(&err);
	cedar_query_instance(lhost, lport, timeout_s * 1000, local_id, &err);
	invoke(aws, function, host, t.port, timeout_s, 1, &rem, &reply, &ferr, &cerr);
	connectivity_judge(&t, local_id, err.msg, &rem, r);
	free(reply);
	free(ferr);
	free(cerr);
}

/* 1 for an address the nodes in AWS cannot reach: RFC 1918, CGNAT
 * (100.64/10), loopback, link-local, unspecified, IPv6 ULA. A name (not
 * an address) is not judged: annex does not resolve it for this. */
static int private_host(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (inet_pton(AF_INET, host, &v4) == 1) {
		uint32_t a = ntohl(v4.s_addr);
		return (a >> 24) == 10 || (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8 || (a >> 22) == 0x191 ||
		       (a >> 24) == 127 || (a >> 16) == 0xa9fe || a == 0;
	}
	if (inet_pton(AF_INET6, host, &v6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&v6) || IN6_IS_ADDR_UNSPECIFIED(&v6) || IN6_IS_ADDR_LINKLOCAL(&v6) ||
		       (v6.s6_addr[0] & 0xfe) == 0xfc;
	return strcasecmp(host, "localhost") == 0;
}

int connectivity_schedd_unreachable_back(const char *schedd_host, const char *collector_host)
{
	return private_host(schedd_host) && !private_host(collector_host) &&
	       strcasecmp(schedd_host, collector_host) != 0;
}

size_t connectivity_parse_schedds(const char *text, struct connectivity_schedd **out)
{
	char *copy = xstrdup(text ? text : ""), *save = NULL;
	size_t n = 0;

	*out = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ls = NULL, *name = strtok_r(line, " \t\r", &ls), *addr = strtok_r(NULL, " \t\r", &ls);
		char host[256];
		int port;
		if (!name || !addr || strtok_r(NULL, " \t\r", &ls) || strcmp(addr, "undefined") == 0 ||
		    launchplan_classify_collector(addr, host, sizeof(host), &port) == COLLECTOR_REFUSE_EMPTY)
			continue;
		*out = xrealloc(*out, (n + 1) * sizeof(**out));
		(*out)[n].name = xstrdup(name);
		(*out)[n].address = xstrdup(addr);
		(*out)[n].host = xstrdup(host);
		(*out)[n].port = port;
		n++;
	}
	free(copy);
	return n;
}

void connectivity_schedds_free(struct connectivity_schedd *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].name);
		free(s[i].address);
		free(s[i].host);
	}
	free(s);
}

static void count(enum connectivity_outcome o, int *failures, int *setup_failures, int *warnings)
{
	if (connectivity_refuses(o))
		(*failures)++;
	else if (o == CONN_NO_FUNCTION)
		(*setup_failures)++;
	else if (o == CONN_WARNING)
		(*warnings)++;
}

void connectivity_check_schedds(struct aws_ctx *aws, const char *function, const char *named,
				const char *collector_addr, int timeout_s, int *failures, int *setup_failures,
				int *warnings)
{
	char *exe = runcmd_which(named && *named ? named : "condor_status");
	char *argv[] = { exe, "-schedd", "-af", "Name", "MyAddress", NULL };
	struct connectivity_schedd *sd = NULL;
	struct buf out = BUF_INIT;
	struct annex_err err;
	char chost[256];
	size_t n = 0;
	int status, cport;

	if (!exe) {
		if (named && *named)
			printf("Checking schedds... skipped: ANNEX_CONDOR_STATUS names '%s', which is not an executable "
			       "file.\n", named);
		else
			puts("Checking schedds... skipped: condor_status is not on PATH (or set ANNEX_CONDOR_STATUS to "
			     "it).");
		return;
	}
	annex_err_clear(&err);
	if (runcmd_capture(argv, RUNCMD_STDERR_DISCARD, &out, &status, &err) != 0 ||
	    runcmd_check(status, &err, "PoolStatus", "%s -schedd", exe) != 0) {
		printf("Checking schedds... WARNING: %s; the schedds were not checked.\n", err.msg);
		(*warnings)++;
		goto out;
	}
	n = connectivity_parse_schedds(buf_cstr(&out), &sd);
	if (n == 0)
		puts("Checking schedds... WARNING: condor_status lists no schedd with an address; none was checked.");
	if (n == 0)
		(*warnings)++;
	launchplan_classify_collector(collector_addr, chost, sizeof(chost), &cport);
	for (size_t i = 0; i < n; i++) {
		struct connectivity_target t = { .host = sd[i].host, .port = sd[i].port, .function = function };
		struct connectivity_result r;
		struct connectivity_remote rem;
		char *reply, *ferr, *cerr, *what = xasprintf("schedd %s", sd[i].name);

		printf("Checking schedd %s at %s:%d... ", sd[i].name, sd[i].host, sd[i].port);
		fflush(stdout);
		if (connectivity_schedd_unreachable_back(sd[i].host, chost)) {
			printf("FAILED: it advertises the private address %s while the nodes use %s: nodes will join "
			       "but jobs from that schedd will not start; set TCP_FORWARDING_HOST to the public address "
			       "on that host and forward its port (hairpin NAT for the inside).\n", sd[i].host, chost);
			(*failures)++;
		} else if (private_host(sd[i].host)) {
			printf("OK. Note: a private address, as the nodes' collector address is (a VPN or Direct "
			       "Connect); not checked from AWS.\n");
		} else {
			invoke(aws, function, sd[i].host, sd[i].port, timeout_s, 0, &rem, &reply, &ferr, &cerr);
			connectivity_judge_tcp(&t, what, &rem, &r);
			puts(r.line);
			count(r.outcome, failures, setup_failures, warnings);
			connectivity_result_free(&r);
			free(reply);
			free(ferr);
			free(cerr);
		}
		free(what);
	}
out:
	connectivity_schedds_free(sd, n);
	buf_free(&out);
	free(exe);
}

int connectivity_preflight(struct aws_ctx *aws, const char *function, const char *local_addr, const char *node_addr,
			   const char *knob, int timeout_s, struct annex_err *err)
{
	struct connectivity_result r;
	const char *why;
	int rc = 0;

	connectivity_check_collector(aws, function, local_addr, node_addr, knob, timeout_s, &r);
	why = r.line;
	if (strncmp(why, "FAILED: ", 8) == 0)
		why += 8;
	else if (strncmp(why, "WARNING: ", 9) == 0)
		why += 9;
	switch (r.outcome) {
	case CONN_OK:
		break;
	case CONN_OK_UNCOMPARED:
		fprintf(stderr, "annex: note: the collector check from AWS: %s\n", why);
		break;
	case CONN_NO_FUNCTION:
		fprintf(stderr, "annex: warning: the collector was not checked from AWS: %s\n", why);
		break;
	case CONN_WARNING:      /* the line says what was not checked */
		fprintf(stderr, "annex: warning: %s\n", why);
		break;
	case CONN_UNREACHABLE:
	case CONN_WRONG_DAEMON:
		rc = annex_err_set(err, r.outcome == CONN_UNREACHABLE ? "CollectorUnreachable" : "WrongCollector",
				   "nodes could not join the pool, so nothing was started: %s Give "
				   "-no-connectivity-check to launch anyway (a pool that opens the port only when nodes "
				   "exist).", why);
		break;
	}
	connectivity_result_free(&r);
	return rc;
}
