/* Unit tests for the launch engine (launch.c) with a fake back-end and a
 * fake lease: no network. A fake cloud records which instances run and
 * whether the lease rule exists; the engine's messages are captured. */
#include "annex/launch.h"
#include "harness.h"

#include <stdlib.h>

static struct fake {
	int started_before_failing;   /* launch starts this many instances, then fails */
	int launch_fails;
	int find_fails, undo_fails;
	int rule_fails, target_fails, remove_fails;
	int fleet;                    /* launch starts a fleet request instead of instances */
	/* what happened */
	int launches, finds, undos, removes;
	int rule;                     /* the lease rule exists */
	struct ec2_ids running;       /* instances, or fleet requests when fleet */
} F;

static void fake_reset(void)
{
	ec2_ids_free(&F.running);
	memset(&F, 0, sizeof(F));
}

static int fake_dry_run(struct aws_ctx *aws, const struct launch_spec *s, struct annex_err *err)
{
	(void)aws;
	(void)s;
	return annex_err_set(err, "DryRunOperation", "Request would have succeeded");
}

static int fake_launch(struct aws_ctx *aws, const struct launch_spec *s, struct launch_result *res,
		       struct annex_err *err)
{
	char id[32];

	(void)aws;
	F.launches++;
	for (int i = 0; i < (F.launch_fails ? F.started_before_failing : (int)s->count); i++) {
		snprintf(id, sizeof(id), F.fleet ? "sfr-%d" : "i-%d", i + 1);
		ec2_ids_add(&F.running, id);
		if (!F.launch_fails && !F.fleet)
			ec2_ids_add(&res->instances, id);
	}
	if (F.launch_fails)
		return annex_err_set(err, "InvalidParameterCombination", "InvalidParameterCombination: injected");
	res->started = F.fleet ? -1 : (long)res->instances.n;
	return 0;
}

static int fake_find(struct aws_ctx *aws, const struct launch_spec *s, struct launch_found *found,
		     struct annex_err *err)
{
	(void)aws;
	(void)s;
	F.finds++;
	if (F.find_fails)
		return annex_err_set(err, "InternalError", "InternalError: find failed (r1)");
	for (size_t i = 0; i < F.running.n; i++)
		ec2_ids_add(F.fleet ? &found->fleets : &found->instances, F.running.v[i]);
	return 0;
}

static int fake_undo(struct aws_ctx *aws, const struct launch_spec *s, const struct launch_found *found,
		     struct annex_err *err)
{
	(void)aws;
	(void)s;
	(void)found;
	F.undos++;
	if (F.undo_fails)
		return annex_err_set(err, "InternalError", "InternalError: undo failed (r2)");
	ec2_ids_free(&F.running);
	return 0;
}

static const struct launch_backend fake_backend = {
	"FakeLaunch", fake_dry_run, fake_launch, fake_find, fake_undo,
};

static int fake_lease_add(struct aws_ctx *aws, const struct launch_spec *s, char **rule_arn,
			  struct annex_err *err)
{
	(void)aws;
	if (F.rule_fails)
		return annex_err_set(err, "InternalError", "InternalError: PutRule failed (r3)");
	F.rule = 1;
	*rule_arn = xasprintf("arn:aws:events:us-west-2:123456789012:rule/%s", s->annex_id);
	if (F.target_fails)
		return annex_err_set(err, "InternalError", "InternalError: PutTargets failed (r4)");
	return 0;
}

static int fake_lease_remove(struct aws_ctx *aws, const char *rule, struct annex_err *err)
{
	(void)aws;
	F.removes++;
	if (F.remove_fails)
		return annex_err_set(err, "InternalError", "InternalError: DeleteRule failed (r5)");
	if (strcmp(rule, "t_1234") == 0)
		F.rule = 0;
	return 0;
}

static const struct launch_lease fake_lease = { fake_lease_add, fake_lease_remove };

static void make_spec(struct launch_spec *s)
{
	launch_spec_init(s);
	s->annex_name = xstrdup("t");
	s->annex_id = xstrdup("t_1234");
	s->count = 2;
	snprintf(s->lease_iso, sizeof(s->lease_iso), "2030-01-02T03:04:05Z");
}

/* What the engine says when it keeps the lease rule. */
#define RULE_STAYS "annex: the lease rule t_1234 stays, so the lease function ends what this launch left " \
	"running at 2030-01-02T03:04:05Z at the latest.\n"

/* The last engine run: its return, result, error and what it said. */
static struct outcome {
	int rc;
	struct launch_result res;
	struct annex_err e;
	char *msgs;
} O;

/* Forgets the last run and the fake cloud's state. */
static void reset(void)
{
	free(O.msgs);
	launch_result_free(&O.res);
	memset(&O, 0, sizeof(O));
	fake_reset();
}

/* Runs the engine against the fake into O. */
static int run(void)
{
	struct launch_spec s;
	struct launch_ctx ctx = { NULL, "us-west-2", &fake_lease, NULL };
	size_t len = 0;

	make_spec(&s);
	ctx.msg = open_memstream(&O.msgs, &len);
	annex_err_clear(&O.e);
	O.rc = launch_run(&ctx, &s, &fake_backend, &O.res, &O.e);
	fclose(ctx.msg);
	launch_spec_free(&s);
	return O.rc;
}

static void t_launch_ok(void)
{
	reset();
	CHECK_INT(run(), 0);
	CHECK_INT(F.launches, 1);
	CHECK(F.rule == 1 && O.res.rule_arn != NULL);   /* the lease stays with the annex */
	CHECK_INT(O.res.started, 2);
	CHECK_INT(O.res.instances.n, 2);
	CHECK_INT(F.finds + F.undos + F.removes, 0);
	CHECK_STR(O.msgs, "");
}

static void t_failure_after_start_undone(void)
{
	reset();
	F.launch_fails = 1;
	F.started_before_failing = 2;
	CHECK_INT(run(), -1);
	CHECK_STR(O.e.code, "InvalidParameterCombination");   /* the launch's own error is what is reported */
	CHECK_INT(F.finds, 1);
	CHECK_INT(F.undos, 1);
	CHECK_INT(F.running.n, 0);                           /* the instances it started are terminated */
	CHECK_INT(F.rule, 0);                                /* and the lease rule removed */
	CHECK_STR(O.msgs, "annex: terminated the 2 instances this launch started.\n");
}

static void t_undo_fails_rule_stays(void)
{
	reset();
	F.launch_fails = 1;
	F.started_before_failing = 2;
	F.undo_fails = 1;
	CHECK_INT(run(), -1);
	CHECK_STR(O.e.code, "InvalidParameterCombination");
	CHECK_INT(F.running.n, 2);
	CHECK_INT(F.rule, 1);                                /* the cloud-side lease still ends them */
	CHECK_INT(F.removes, 0);
	CHECK_STR(O.msgs,
		"annex: could not terminate the instances this launch started (InternalError: undo failed (r2)). "
		"They are still running; end them with:\n"
		"  aws ec2 terminate-instances --region us-west-2 --instance-ids i-1 i-2\n"
		RULE_STAYS);
}

static void t_find_fails_rule_stays(void)
{
	reset();
	F.launch_fails = 1;
	F.started_before_failing = 1;
	F.find_fails = 1;
	CHECK_INT(run(), -1);
	CHECK_INT(F.undos, 0);
	CHECK_INT(F.rule, 1);
	CHECK_STR(O.msgs,
		"annex: could not tell whether this launch started anything (InternalError: find failed (r1)).\n"
		RULE_STAYS);
}

static void t_nothing_started(void)
{
	reset();
	F.launch_fails = 1;
	CHECK_INT(run(), -1);
	CHECK_INT(F.finds, 1);
	CHECK_INT(F.undos, 0);                               /* nothing to end */
	CHECK_INT(F.rule, 0);                                /* and no lease left behind */
	CHECK_STR(O.msgs, "");
}

static void t_fleet_cancel_fails(void)
{
	reset();
	F.fleet = 1;
	F.launch_fails = 1;
	F.started_before_failing = 1;
	F.undo_fails = 1;
	CHECK_INT(run(), -1);
	CHECK_INT(F.undos, 1);
	CHECK_INT(F.rule, 1);
	CHECK_STR(O.msgs,
		"annex: could not tell whether this launch started anything (InternalError: undo failed (r2)).\n"
		RULE_STAYS);

	reset();
	F.fleet = 1;
	F.launch_fails = 1;
	F.started_before_failing = 1;
	CHECK_INT(run(), -1);
	CHECK(F.undos == 1 && F.running.n == 0 && F.rule == 0);   /* cancelled, lease removed, silently */
	CHECK_STR(O.msgs, "");
}

static void t_lease_fails_nothing_launched(void)
{
	reset();
	F.target_fails = 1;                                  /* the rule was made, its target was not */
	CHECK_INT(run(), -1);
	CHECK_INT(F.launches, 0);
	CHECK_INT(F.running.n, 0);
	CHECK_INT(F.removes, 1);
	CHECK_INT(F.rule, 0);
	CHECK_STR(O.e.msg, "registering the lease (nothing was launched): InternalError: PutTargets failed (r4)");
	CHECK_STR(O.msgs, "");

	reset();
	F.rule_fails = 1;                                    /* no rule: nothing to remove */
	CHECK_INT(run(), -1);
	CHECK_INT(F.launches, 0);
	CHECK_INT(F.removes, 0);
	CHECK_STR(O.e.msg, "registering the lease (nothing was launched): InternalError: PutRule failed (r3)");

	reset();
	F.target_fails = 1;
	F.remove_fails = 1;                                  /* the half-made rule cannot be removed either */
	CHECK_INT(run(), -1);
	CHECK_INT(F.launches, 0);
	CHECK_STR(O.msgs,
		"annex: could not delete the lease rule t_1234 (InternalError: DeleteRule failed (r5)); delete it "
		"with: aws events remove-targets --rule t_1234 --ids t_1234 && aws events delete-rule --name t_1234\n");
}

static void t_dry_run(void)
{
	struct launch_spec s;
	struct launch_ctx ctx = { NULL, "us-west-2", &fake_lease, NULL };
	struct annex_err e;

	reset();
	make_spec(&s);
	annex_err_clear(&e);
	CHECK_INT(launch_dry_run(&ctx, &s, &fake_backend, &e), 0);   /* DryRunOperation: would succeed */
	CHECK_STR(e.code, "");
	CHECK_INT(F.launches + F.rule, 0);
	launch_spec_free(&s);
}

static void t_annex_tags(void)
{
	struct launch_spec s;

	make_spec(&s);
	s.idle_s = 900;
	launch_spec_add_annex_tags(&s);
	launch_spec_add_tag(&s, "project", "x");
	CHECK_INT(s.n_tags, 6);
	if (s.n_tags == 6) {
		CHECK_STR(s.tags[0].key, "htcondor:AnnexName");
		CHECK_STR(s.tags[1].value, "t_1234");
		CHECK_STR(s.tags[2].value, "2030-01-02T03:04:05Z");
		CHECK_STR(s.tags[3].value, "900");
		CHECK_STR(s.tags[4].value, "annex t");      /* no owner: no htcondor:Owner */
		CHECK_STR(s.tags[5].key, "project");
	}
	launch_spec_free(&s);
	make_spec(&s);
	s.owners = xstrdup("alice, bob");
	launch_spec_add_annex_tags(&s);
	CHECK(s.n_tags == 6 && strcmp(s.tags[4].key, "htcondor:Owner") == 0 &&
	      strcmp(s.tags[4].value, "alice, bob") == 0);
	launch_spec_free(&s);
}

TESTS(T(t_launch_ok), T(t_failure_after_start_undone), T(t_undo_fails_rule_stays), T(t_find_fails_rule_stays),
      T(t_nothing_started), T(t_fleet_cancel_fails), T(t_lease_fails_nothing_launched), T(t_dry_run),
      T(t_annex_tags))
