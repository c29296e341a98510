/* cmd_auto.c - annex -auto -annex-name PREFIX (issue 22): launches for the
 * idle jobs, from cron or a systemd timer. Under a lock per prefix it reads
 * the idle jobs (condorq.h), the allowed types' sizes (DescribeInstanceTypes)
 * and on-demand prices (cost.h), and what the annexes PREFIX-* have live
 * (inventory.h: booting, joined and idle, busy); autoplan.h packs; the plan
 * is printed; then each type's count is one on-demand launch, exactly as
 * `annex -count N -instance-type T -annex-name PREFIX-<timestamp> -yes`
 * would make it (cmd_launch: image, connectivity, lease rule, tags, undo).
 * It never ends anything: idle shutdown and the lease do that. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "annex/annexlock.h"
#include "annex/autoplan.h"
#include "annex/cmd.h"
#include "annex/condorq.h"
#include "annex/cost.h"
#include "annex/ec2.h"
#include "annex/inventory.h"
#include "annex/knobs.h"
#include "annex/launchplan.h"
#include "annex/platforms.h"
#include "annex/session.h"

/* "-20261204T1930Z" */
#define AUTO_STAMP_LEN 15

struct auto_type {
	char name[64];
	struct autoplan_cap cap;
	int known;                  /* DescribeInstanceTypes answered */
};

struct autorun {
	struct annex_session s;
	const struct annex_opts *o;
	const char *prefix;
	double lease_h, idle_h;
	long max_instances, reserve_mb;
	struct condorq q;
	struct autoplan plan;
	struct auto_type *types;    /* every type looked up: the allowed ones first */
	size_t n_types, n_allowed;
	char why_unpriced[8][320];  /* per allowed type (the first 8), when not priced */
	/* the annexes PREFIX-* */
	long live, booting, idle, busy, stopped;
	char *pool_note;
	char annex_name[ANNEX_NAME_MAX + 40];    /* PREFIX-<stamp>: at most 27 (plan_local) */
};

/* A job the nodes would run: MayUseAWS true (their START requires it),
 * or any job with -no-may-use-aws. */
static int job_counts(const struct autorun *a, const struct condorq_job *j)
{
	return !*j->bad && (j->may_use_aws || a->o->no_may_use_aws);
}

static double knob_hours(struct autorun *a, const char *knob, double dflt_s)
{
	char *v = session_knob_or_null(&a->s, knob);
	double s = v ? atof(v) : dflt_s;

	free(v);
	return (s > 0 ? s : dflt_s) / 3600.0;
}

static struct auto_type *type_add(struct autorun *a, const char *name)
{
	struct auto_type *t;

	for (size_t i = 0; i < a->n_types; i++)
		if (strcmp(a->types[i].name, name) == 0)
			return &a->types[i];
	a->types = xrealloc(a->types, (a->n_types + 1) * sizeof(*a->types));
	t = &a->types[a->n_types++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	return t;
}

/* The prefix, the allowed types and the bounds: what the command line and
 * the knobs alone can prove wrong. */
static int plan_local(struct autorun *a, struct annex_err *err)
{
	const struct annex_opts *o = a->o;
	char *list, *save = NULL;
	int rc;

	a->prefix = o->annex_name;
	if (launchplan_check_name(a->prefix, err) != 0)
		return annex_err_prefix(err, "-auto -annex-name PREFIX");
	if (strlen(a->prefix) + AUTO_STAMP_LEN > ANNEX_NAME_MAX)
		return annex_err_set(err, "Usage", "-auto -annex-name %s: a prefix has at most %d characters, so that "
				     "PREFIX-YYYYMMDDTHHMMZ fits an annex name's %d", a->prefix,
				     ANNEX_NAME_MAX - AUTO_STAMP_LEN, ANNEX_NAME_MAX);
	list = o->instance_types ? xstrdup(o->instance_types) : session_knob_or_null(&a->s, "ANNEX_DEFAULT_ODI_INSTANCE_TYPE");
	if (!list)
		list = xstrdup(PLATFORMS_DEFAULT_TYPE);
	rc = 0;
	for (char *t = strtok_r(list, ", ", &save); t && rc == 0; t = strtok_r(NULL, ", ", &save))
		if ((rc = launchplan_check_instance_type(t, "-instance-types", err)) == 0)
			type_add(a, t);
	free(list);
	if (rc != 0)
		return -1;
	if (a->n_types == 0)
		return annex_err_set(err, "Usage", "-instance-types names no instance type");
	a->n_allowed = a->n_types;
	if (o->max_instances > 0)
		a->max_instances = o->max_instances;
	else if (knobs_get_long(a->s.cfg, "ANNEX_AUTO_MAX_INSTANCES", &a->max_instances, err) < 0)
		return -1;
	if (knobs_get_long(a->s.cfg, "ANNEX_AUTO_RESERVED_MEMORY", &a->reserve_mb, err) < 0)
		return -1;
	a->lease_h = o->duration_h > 0 ? o->duration_h : knob_hours(a, "ANNEX_DEFAULT_LEASE_DURATION", 3000);
	a->idle_h = o->idle_h > 0 ? o->idle_h : knob_hours(a, "ANNEX_DEFAULT_UNCLAIMED_TIMEOUT", 900);
	return 0;
}

/* DescribeInstanceTypes: the size of a type, once. An allowed type the
 * region does not offer is an error; one only found live is skipped. */
static int type_size(struct autorun *a, struct auto_type *t, int allowed, struct annex_err *err)
{
	struct ec2_type_info info;
	int rc;

	if (t->known)
		return 0;
	rc = ec2_describe_instance_type(a->s.aws, t->name, &info, err);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		if (allowed)
			return annex_err_set(err, "InvalidInstanceType", "instance type %s is not offered in %s "
					     "(DescribeInstanceTypes)", t->name, a->s.region);
		return 0;
	}
	t->known = 1;
	t->cap.cpus = info.vcpus;
	t->cap.memory_mb = info.memory_mib > a->reserve_mb ? info.memory_mib - a->reserve_mb : 0;
	t->cap.gpus = info.gpus;
	snprintf(t->cap.arch, sizeof(t->cap.arch), "%s", info.n_arches ? info.arches[0] : "x86_64");
	return 0;
}

/* What the annexes PREFIX-* have live: booting (not yet in the pool),
 * joined with every slot unclaimed (idle: free capacity), busy, stopped.
 * Booting and idle instances are capacity on its way; every live one
 * counts toward -max-instances. */
static int on_its_way(struct autorun *a, struct annex_err *err)
{
	struct inventory_opts io = { NULL, INVENTORY_INSTANCES, 0, 1, NULL };
	struct inventory inv;
	size_t plen = strlen(a->prefix);
	int rc = -1;

	io.condor_status = session_knob_or_null(&a->s, "ANNEX_CONDOR_STATUS");
	inventory_init(&inv, &io);
	if (inventory_load(a->s.aws, &inv, err) != 0)
		goto out;
	for (size_t i = inv.n_inst; i-- > 0;)
		if (strncmp(inv.inst[i].annex, a->prefix, plen) != 0 || inv.inst[i].annex[plen] != '-')
			inventory_drop_instance(&inv, i);
	if (inv.n_inst)
		inventory_pool(&inv);
	if (inv.n_inst && !inv.pool_known)
		a->pool_note = xstrdup(inv.pool_note ? inv.pool_note : "condor_status did not answer");
	for (size_t i = 0; i < inv.n_inst; i++) {
		const struct inventory_instance *in = &inv.inst[i];
		int up = strcmp(in->state, "pending") == 0 || strcmp(in->state, "running") == 0;
		struct auto_type *t;
		a->live++;
		if (!up) {
			a->stopped++;
			continue;
		}
		/* without the pool's answer every live instance counts as on
		 * its way: a launch too few, never one too many */
		if (inv.pool_known && in->joined != INVENTORY_NOT_JOINED && !inventory_instance_idle(in)) {
			a->busy++;
			continue;
		}
		if (inv.pool_known && in->joined != INVENTORY_NOT_JOINED)
			a->idle++;
		else
			a->booting++;
		if (!in->type)
			continue;
		t = type_add(a, in->type);
		if (type_size(a, t, 0, err) != 0)
			goto out;
		if (t->known)
			autoplan_add_on_way(&a->plan, &t->cap);
	}
	rc = 0;
out:
	inventory_free(&inv);
	free((char *)io.condor_status);
	return rc;
}

/* Sizes and prices of the allowed types, into the plan. */
static int allowed_types(struct autorun *a, struct annex_err *err)
{
	for (size_t i = 0; i < a->n_allowed; i++) {
		struct auto_type *t = &a->types[i];
		struct cost_quote q;
		if (type_size(a, t, 1, err) != 0)
			return -1;
		cost_quote_ondemand(a->s.aws, a->s.region, t->name, 1, a->lease_h, &q);
		if (!q.priced && i < 8)
			snprintf(a->why_unpriced[i], sizeof(a->why_unpriced[i]), "%s", q.why);
		autoplan_add_type(&a->plan, t->name, &t->cap, q.priced, q.hourly);
	}
	return 0;
}

static void shape_text(const struct autoplan_shape *s, char *out, size_t n)
{
	char gpus[32] = "";

	if (s->gpus)
		snprintf(gpus, sizeof(gpus), ", %ld GPU%s", s->gpus, s->gpus == 1 ? "" : "s");
	snprintf(out, n, "%ld CPU%s, %ld MB%s, %s", s->cpus, s->cpus == 1 ? "" : "s", s->memory_mb, gpus, s->arch);
}

static const char *jobs_word(long n)
{
	return n == 1 ? "job" : "jobs";
}

/* The plan's first lines: the jobs seen, and those no run launches for. */
static void print_jobs(const struct autorun *a)
{
	long aws = 0, bad = 0;
	const char *first_bad = NULL;

	for (size_t i = 0; i < a->q.n; i++) {
		if (*a->q.v[i].bad) {
			if (!bad++)
				first_bad = a->q.v[i].bad;
		} else if (job_counts(a, &a->q.v[i])) {
			aws++;
		}
	}
	printf("Plan for annexes %s-* in %s (-auto):\n", a->prefix, a->s.region);
	printf("Jobs seen: %zu idle; %ld may use AWS%s.\n", a->q.n, aws, a->o->no_may_use_aws ?
	       " (-no-may-use-aws: any job)" : "");
	if ((long)a->q.n - aws - bad > 0)
		printf("Excluded: %ld %s without MayUseAWS true (the nodes' START requires it).\n",
		       (long)a->q.n - aws - bad, jobs_word((long)a->q.n - aws - bad));
	if (bad)
		printf("Excluded: %ld %s condor_q's values cannot be read (%s).\n", bad, bad == 1 ? "job whose" :
		       "jobs whose", first_bad);
}

/* The plan, in the words docs/commands.md quotes ("-auto"). */
static void print_plan(const struct autorun *a)
{
	const struct autoplan *p = &a->plan;
	long left = 0;
	char shape[128], usd[48], rate[48];

	print_jobs(a);
	for (size_t i = 0; i < p->n_shapes; i++) {
		const struct autoplan_shape *s = &p->shapes[i];
		shape_text(s, shape, sizeof(shape));
		if (s->why == AUTOPLAN_TOO_BIG)
			printf("Excluded: %ld %s (%s): too big for any allowed type; never launched for.\n", s->count,
			       jobs_word(s->count), shape);
		else if (s->why == AUTOPLAN_NO_ARCH)
			printf("Excluded: %ld %s (%s): no allowed type is %s; never launched for.\n", s->count,
			       jobs_word(s->count), shape, s->arch);
		else if (s->why == AUTOPLAN_UNPRICED)
			printf("Excluded: %ld %s (%s): only allowed types without a price hold %s; not launched for.\n",
			       s->count, jobs_word(s->count), shape, s->count == 1 ? "it" : "them");
	}
	for (size_t i = 0; i < p->n_shapes; i++) {
		const struct autoplan_shape *s = &p->shapes[i];
		if (s->why != AUTOPLAN_OK)
			continue;
		shape_text(s, shape, sizeof(shape));
		printf("Shape: %ld %s (%s): %ld on capacity on its way, %ld on new instances, %ld left waiting.\n",
		       s->count, jobs_word(s->count), shape, s->on_way, s->placed, s->left);
		left += s->left;
	}
	for (size_t i = 0; i < p->n_types; i++) {
		const struct autoplan_type *t = &p->types[i];
		char gpus[32] = "";
		if (t->cap.gpus)
			snprintf(gpus, sizeof(gpus), ", %ld GPU%s", t->cap.gpus, t->cap.gpus == 1 ? "" : "s");
		printf("Type: %s: %ld vCPUs, %ld MiB for jobs%s, %s; ", t->name, t->cap.cpus, t->cap.memory_mb, gpus,
		       t->cap.arch);
		if (t->priced) {
			cost_rate(t->hourly, rate, sizeof(rate));
			printf("%s/h on-demand.\n", rate);
		} else {
			printf("no on-demand price (%s); not used.\n", i < 8 ? a->why_unpriced[i] : "unknown");
		}
	}
	printf("On its way: %ld %s (%ld booting, %ld joined and unclaimed); %ld busy, %ld stopped, not counted.\n",
	       a->booting + a->idle, a->booting + a->idle == 1 ? "instance" : "instances", a->booting, a->idle,
	       a->busy, a->stopped);
	if (a->pool_note)
		printf("%s Every live instance counts as on its way.\n", a->pool_note);
	printf("Bounds: -max-instances %ld (%ld live now, so at most %ld new)", a->max_instances, a->live,
	       p->max_new);
	if (a->o->max_cost_usd > 0) {
		cost_usd(a->o->max_cost_usd, usd, sizeof(usd));
		printf("; -max-cost %s over the %.2f h lease", usd, a->lease_h);
	}
	puts(".");
	if (p->n_new == 0) {
		puts("Launch: nothing.");
	} else {
		printf("Launch:");
		for (size_t i = 0, k = 0; i < p->n_types; i++)
			if (p->types[i].launch)
				printf("%s %ld x %s", k++ ? "," : "", p->types[i].launch, p->types[i].name);
		printf(" as annex %s (on-demand, lease %.2f h, idle %.2f h).\n", a->annex_name, a->lease_h, a->idle_h);
		cost_usd(p->worst_usd, usd, sizeof(usd));
		printf("Worst case: at most %s (", usd);
		for (size_t i = 0, k = 0; i < p->n_types; i++)
			if (p->types[i].launch) {
				cost_rate(p->types[i].hourly, rate, sizeof(rate));
				printf("%s%ld x %s/h", k++ ? " + " : "", p->types[i].launch, rate);
			}
		printf(", x %.2f h).\n", a->lease_h);
	}
	if (left)
		printf("Left waiting: %ld %s: %s reached.\n", left, jobs_word(left),
		       p->stopped == AUTOPLAN_MAX_COST ? "-max-cost" : "-max-instances");
}

/* The owners of the jobs the new instances are for, comma-separated: the
 * nodes run their jobs (bootscript: stringListMember(Owner, ...)). */
static char *owners_of(const struct autorun *a)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < a->q.n; i++) {
		const struct condorq_job *j = &a->q.v[i];
		const char *seen;
		int fits = 0;
		if (!job_counts(a, j))
			continue;
		for (size_t s = 0; s < a->plan.n_shapes && !fits; s++) {
			const struct autoplan_shape *sh = &a->plan.shapes[s];
			fits = sh->placed > 0 && sh->cpus == (j->cpus < 1 ? 1 : j->cpus) && sh->memory_mb == j->memory_mb &&
			       sh->gpus == j->gpus && strcmp(sh->arch, j->arch) == 0;
		}
		if (!fits)
			continue;
		seen = strstr(buf_cstr(&b), j->owner);
		while (seen) {
			size_t n = strlen(j->owner);
			if ((seen == buf_cstr(&b) || seen[-1] == ',') && (seen[n] == ',' || seen[n] == '\0'))
				break;
			seen = strstr(seen + 1, j->owner);
		}
		if (!seen)
			buf_printf(&b, "%s%s", b.len ? "," : "", j->owner);
	}
	return b.len ? buf_steal(&b) : NULL;
}

/* One on-demand launch per type, all named a->annex_name, each as
 * `annex -count N -instance-type T -yes` (its own annex id and lease
 * rule). A failing launch undoes itself (launch.h) and stops the rest. */
static int launch_all(struct autorun *a, struct annex_err *err)
{
	char *owners = (a->o->owner || a->o->no_owner) ? NULL : owners_of(a);
	int rc = 0;

	for (size_t i = 0; i < a->plan.n_types && rc == 0; i++) {
		struct annex_opts one = *a->o;
		if (!a->plan.types[i].launch)
			continue;
		one.command = CMD_LAUNCH;
		one.annex_name = a->annex_name;
		one.count = a->plan.types[i].launch;
		one.instance_type = a->plan.types[i].name;
		one.given_instance_type = 1;
		one.instance_types = NULL;
		one.max_instances = 0;
		one.max_cost_usd = 0;     /* the plan's worst case was bound above */
		one.quoted_hourly_usd = a->plan.types[i].hourly;   /* the tag's price, not asked twice */
		one.yes = 1;
		one.dry_run = 0;
		if (owners)
			one.owner = owners;
		printf("Launching %ld x %s as annex %s.\n", one.count, one.instance_type, a->annex_name);
		fflush(stdout);
		rc = cmd_launch(&one, err);
		if (rc != 0)
			annex_err_prefix(err, "-auto: launching %ld x %s as annex %s", one.count, one.instance_type,
					 a->annex_name);
	}
	free(owners);
	return rc;
}

int cmd_auto(const struct annex_opts *o, struct annex_err *err)
{
	struct autorun a;
	long eligible = 0;
	int rc = -1, lock = -1;
	char *condor_q = NULL;
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];

	memset(&a, 0, sizeof(a));
	a.o = o;
	autoplan_init(&a.plan);
	if (session_open(&a.s, o, err) != 0 || plan_local(&a, err) != 0)
		goto out;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%MZ", &tm);
	snprintf(a.annex_name, sizeof(a.annex_name), "%s-%s", a.prefix, stamp);

	condor_q = session_knob_or_null(&a.s, "ANNEX_CONDOR_Q");
	if (condorq_run(condor_q, &a.q, err) != 0)
		goto out;
	for (size_t i = 0; i < a.q.n; i++)
		if (job_counts(&a, &a.q.v[i])) {
			autoplan_add_jobs(&a.plan, a.q.v[i].cpus, a.q.v[i].memory_mb, a.q.v[i].gpus, a.q.v[i].arch, 1);
			eligible++;
		}
	if (eligible == 0) {
		/* nothing to plan for: no AWS call, no lock (a quiet cron run) */
		print_jobs(&a);
		puts("Launch: nothing.");
		if (o->dry_run)
			puts("-dry-run: nothing launched.");
		rc = 0;
		goto out;
	}
	if (session_connect(&a.s, 0, err) != 0)
		goto out;
	/* two runs never plan at once: the second sees the first's instances */
	if (!o->dry_run && (lock = annexlock_take_auto(&a.s, a.prefix, err)) < 0)
		goto out;
	if (allowed_types(&a, err) != 0 || on_its_way(&a, err) != 0)
		goto out;
	a.plan.max_new = a.max_instances > a.live ? a.max_instances - a.live : 0;
	a.plan.max_cost_usd = o->max_cost_usd;
	a.plan.hours = a.lease_h;
	autoplan_run(&a.plan);
	print_plan(&a);
	if (o->dry_run) {
		puts("-dry-run: nothing launched.");
		rc = 0;
		goto out;
	}
	fflush(stdout);
	rc = launch_all(&a, err);
out:
	if (lock >= 0)
		annexlock_release(lock);
	free(condor_q);
	free(a.pool_note);
	free(a.types);
	condorq_free(&a.q);
	autoplan_free(&a.plan);
	session_close(&a.s);
	return rc;
}
