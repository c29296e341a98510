/* condorq.c - reading condor_q's -af output of idle jobs (condorq.h).
 * Pure: no I/O. */
#include "annex/condorq.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annex/buf.h"

void condorq_free(struct condorq *q)
{
	free(q->v);
	memset(q, 0, sizeof(*q));
}

void condorq_arch(const char *text, char *out, size_t n)
{
	const char *p = text, *v = NULL;
	char name[32];
	size_t len = 0;

	snprintf(out, n, "x86_64");
	if (!text)
		return;
	/* Requirements: the first `Arch == "NAME"` (TARGET. or not) */
	while ((p = strstr(p, "Arch"))) {
		const char *q = p + 4;
		if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) {
			p = q;
			continue;
		}
		while (*q == ' ')
			q++;
		if (q[0] == '=' && q[1] == '=') {
			q += 2;
			while (*q == ' ')
				q++;
			if (*q == '"') {
				v = q + 1;
				len = strcspn(v, "\"");
				break;
			}
		}
		p = q;
	}
	if (!v) {
		/* a bare value: one word */
		while (*text == ' ' || *text == '"')
			text++;
		len = strcspn(text, " \t\r\n\"");
		if (len == 0 || text[len + strspn(text + len, "\" \t\r\n")] != '\0')
			return;
		v = text;
	}
	if (len == 0 || len >= sizeof(name))
		return;
	memcpy(name, v, len);
	name[len] = '\0';
	if (strcasecmp(name, "undefined") == 0 || strcasecmp(name, "error") == 0)
		return;
	if (strcasecmp(name, "X86_64") == 0)
		snprintf(out, n, "x86_64");
	else if (strcasecmp(name, "aarch64") == 0 || strcasecmp(name, "ARM64") == 0)
		snprintf(out, n, "arm64");
	else {
		for (size_t i = 0; i < len; i++)
			name[i] = (char)tolower((unsigned char)name[i]);
		snprintf(out, n, "%s", name);
	}
}

/* A whole number >= 0 ("2048", "1048576.0" rounds up), or dflt for
 * "undefined"; -1 otherwise. */
static long request_value(const char *s, long dflt)
{
	char *end;
	double d;

	if (strcmp(s, "undefined") == 0)
		return dflt;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	d = strtod(s, &end);
	if (*end || errno || !isfinite(d) || d < 0 || d > 1e15)
		return -1;
	return (long)ceil(d);
}

static int whole(const char *s, long *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtol(s, &end, 10);
	return *end || errno ? -1 : 0;
}

static int parse_line(char *line, size_t lineno, struct condorq_job *j, struct annex_err *err)
{
	char *tok[7], *p = line;
	const char *names[] = { "RequestCpus", "RequestMemory", "RequestGpus" };
	long dflt[] = { CONDORQ_DEFAULT_CPUS, CONDORQ_DEFAULT_MEMORY_MB, 0 }, *vals[] = { &j->cpus, &j->memory_mb,
											 &j->gpus };
	int n = 0;

	memset(j, 0, sizeof(*j));
	while (n < 7) {
		p += strspn(p, " \t\r");
		if (!*p)
			break;
		tok[n++] = p;
		p += strcspn(p, " \t\r");
		if (*p)
			*p++ = '\0';
	}
	if (n < 7)
		return annex_err_set(err, "CondorQ", "condor_q's output, line %zu: %d values, not the 7 of -af ClusterId "
				     "ProcId Owner RequestCpus RequestMemory RequestGpus MayUseAWS", lineno, n);
	if (whole(tok[0], &j->cluster) != 0 || whole(tok[1], &j->proc) != 0)
		return annex_err_set(err, "CondorQ", "condor_q's output, line %zu: '%s %s' is not a job id (ClusterId "
				     "ProcId)", lineno, tok[0], tok[1]);
	snprintf(j->owner, sizeof(j->owner), "%s", tok[2]);
	for (int i = 0; i < 3; i++)
		if ((*vals[i] = request_value(tok[3 + i], dflt[i])) < 0 && !*j->bad)
			snprintf(j->bad, sizeof(j->bad), "%s is '%.40s', not a number", names[i], tok[3 + i]);
	if (strcmp(tok[6], "true") == 0)
		j->may_use_aws = 1;
	else if (strcmp(tok[6], "false") != 0 && strcmp(tok[6], "undefined") != 0 && !*j->bad)
		snprintf(j->bad, sizeof(j->bad), "MayUseAWS is '%.40s', not a boolean", tok[6]);
	p += strspn(p, " \t\r");
	condorq_arch(*p ? p : NULL, j->arch, sizeof(j->arch));
	if (j->cpus < 1)        /* a job asks for at least one core's slot */
		j->cpus = 1;
	return 0;
}

int condorq_parse(const char *text, struct condorq *q, struct annex_err *err)
{
	char *copy = xstrdup(text ? text : "");
	size_t lineno = 0;
	int rc = 0;

	memset(q, 0, sizeof(*q));
	for (char *line = copy, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		lineno++;
		if (line[strspn(line, " \t\r")] == '\0')
			continue;
		if (q->n == q->cap) {
			q->cap = q->cap ? q->cap * 2 : 64;
			q->v = xrealloc(q->v, q->cap * sizeof(*q->v));
		}
		if ((rc = parse_line(line, lineno, &q->v[q->n], err)) != 0)
			break;
		q->n++;
	}
	free(copy);
	if (rc != 0)
		condorq_free(q);
	return rc;
}
