/* test_launchwait.c - launch -wait's pure part (launchwait_track.c): what
 * counts as this launch's, joined, ended, a Spot Fleet's capacity still to
 * come, the progress line and when the wait is over; and the AWS layer's
 * paced pause (aws_pace) under a test's sleep. No network. */
#include <stdlib.h>
#include <string.h>

#include "annex/aws.h"
#include "annex/launchwait.h"
#include "harness.h"

#define ID "w_0d6f"

/* An inventory of one look: instances "id state ip annex_id joined". */
struct t_row {
	const char *id, *state, *ip, *annex_id;
	int joined;
};

/* One look: the instances, and the fleet request when fleet_state is set. */
static void look_all(struct launchwait *w, const struct t_row *rows, size_t n, int pool_known,
		     const char *fleet_state, long target, double fulfilled)
{
	struct inventory_opts io = { "w", 0, 0, 0, NULL };
	struct inventory inv;
	struct inventory_fleet f = { .id = "sfr-1", .state = (char *)fleet_state, .annex = "w", .annex_id = ID,
				     .target = target, .fulfilled = fulfilled };

	inventory_init(&inv, &io);
	for (size_t i = 0; i < n; i++) {
		struct inventory_instance src = { .id = (char *)rows[i].id, .state = (char *)rows[i].state,
						  .private_ip = (char *)rows[i].ip, .annex = "w",
						  .annex_id = (char *)rows[i].annex_id };
		struct inventory_instance *in = inventory_add_instance(&inv, &src);
		if (in && rows[i].joined)
			in->joined = INVENTORY_BY_ID;
	}
	if (fleet_state)
		inventory_add_fleet(&inv, &f);
	inv.pool_known = pool_known;
	inv.pool_note = pool_known ? NULL : xstrdup("Pool membership is not shown: condor_status failed.");
	launchwait_update(w, &inv);
	inventory_free(&inv);
}

static void look(struct launchwait *w, const struct t_row *rows, size_t n, int pool_known)
{
	look_all(w, rows, n, pool_known, NULL, 0, 0);
}

static const char *line(const struct launchwait *w)
{
	static char out[256];
	struct launchwait_counts c;
	struct buf b = BUF_INIT;

	launchwait_count(w, &c);
	launchwait_line(&c, &b);
	snprintf(out, sizeof(out), "%s", buf_cstr(&b));
	buf_free(&b);
	return out;
}

static int settled(const struct launchwait *w)
{
	struct launchwait_counts c;

	launchwait_count(w, &c);
	return launchwait_settled(&c);
}

static int all_joined(const struct launchwait *w)
{
	struct launchwait_counts c;

	launchwait_count(w, &c);
	return launchwait_all_joined(&c);
}

static void t_ondemand_expected_before_listed(void)
{
	struct launchwait w;

	launchwait_init(&w, "w", ID, 0, 2);
	launchwait_expect(&w, "i-1");
	launchwait_expect(&w, "i-2");
	launchwait_expect(&w, "i-1");
	CHECK_STR(line(&w), "0 of 2 joined, 2 pending");
	CHECK(!settled(&w));
	launchwait_free(&w);
}

static void t_progress_and_all_joined(void)
{
	struct launchwait w;
	const struct t_row a[] = { { "i-1", "running", "10.0.0.1", ID, 0 }, { "i-2", "pending", NULL, ID, 0 },
				   { "i-3", "running", "10.0.0.3", ID, 1 }, { "i-4", "running", "10.0.0.4", ID, 1 } };
	const struct t_row b[] = { { "i-1", "running", "10.0.0.1", ID, 1 }, { "i-2", "running", "10.0.0.2", ID, 1 },
				   { "i-3", "running", "10.0.0.3", ID, 1 }, { "i-4", "running", "10.0.0.4", ID, 1 } };

	launchwait_init(&w, "w", ID, 0, 4);
	look(&w, a, 4, 1);
	CHECK_STR(line(&w), "2 of 4 joined, 1 pending, 1 running");
	CHECK(!settled(&w));
	CHECK(!all_joined(&w));
	CHECK_STR(w.inst[1].address ? w.inst[1].address : "none", "none");
	look(&w, b, 4, 1);
	CHECK_STR(line(&w), "4 of 4 joined");
	CHECK(settled(&w));
	CHECK(all_joined(&w));
	CHECK_STR(w.inst[1].address, "10.0.0.2");
	launchwait_free(&w);
}

static void t_only_this_launch(void)
{
	struct launchwait w;
	const struct t_row a[] = { { "i-1", "running", NULL, ID, 0 }, { "i-old", "running", NULL, "w_older", 0 },
				   { "i-untagged", "running", NULL, NULL, 0 } };

	launchwait_init(&w, "w", ID, 0, 1);
	look(&w, a, 3, 1);
	CHECK_INT(w.n, 1);
	CHECK_STR(line(&w), "0 of 1 joined, 1 running");
	launchwait_free(&w);
}

static void t_joined_stays_joined(void)
{
	struct launchwait w;
	const struct t_row a[] = { { "i-1", "running", NULL, ID, 1 } };
	const struct t_row b[] = { { "i-1", "terminated", NULL, ID, 0 } };

	/* a node that joined and then ended (idle, lease) did join */
	launchwait_init(&w, "w", ID, 0, 1);
	look(&w, a, 1, 1);
	look(&w, b, 1, 1);
	CHECK_STR(line(&w), "1 of 1 joined");
	CHECK(all_joined(&w));
	launchwait_free(&w);
}

static void t_pool_unknown_joins_nothing(void)
{
	struct launchwait w;
	const struct t_row a[] = { { "i-1", "running", NULL, ID, 1 } };

	launchwait_init(&w, "w", ID, 0, 1);
	look(&w, a, 1, 0);
	CHECK_STR(line(&w), "0 of 1 joined, 1 running");
	CHECK(!w.pool_known);
	CHECK(w.pool_note && strstr(w.pool_note, "condor_status failed"));
	look(&w, a, 1, 1);
	CHECK(w.pool_known && !w.pool_note);
	CHECK_STR(line(&w), "1 of 1 joined");
	launchwait_free(&w);
}

static void t_ended_and_gone(void)
{
	struct launchwait w;
	const struct t_row a[] = { { "i-1", "running", NULL, ID, 1 }, { "i-2", "running", NULL, ID, 0 },
				   { "i-3", "running", NULL, ID, 0 }, { "i-4", "running", NULL, ID, 0 } };
	const struct t_row b[] = { { "i-1", "running", NULL, ID, 1 }, { "i-2", "shutting-down", NULL, ID, 0 },
				   { "i-3", "stopped", NULL, ID, 0 } };

	launchwait_init(&w, "w", ID, 0, 4);
	look(&w, a, 4, 1);
	look(&w, b, 3, 1);
	/* i-4 listed before, missing now: gone, which ends it */
	CHECK_STR(w.inst[3].state, "gone");
	CHECK_STR(line(&w), "1 of 4 joined, 1 stopped, 2 ended");
	CHECK(settled(&w));
	CHECK(!all_joined(&w));
	CHECK(launchwait_laggard(&w.inst[2]));
	CHECK(!launchwait_laggard(&w.inst[1]));
	CHECK(!launchwait_laggard(&w.inst[0]));
	launchwait_free(&w);
}

static void t_not_yet_listed_is_not_gone(void)
{
	struct launchwait w;
	const struct t_row a[] = { { "i-1", "running", NULL, ID, 0 } };

	/* RunInstances named i-2; DescribeInstances does not show it yet */
	launchwait_init(&w, "w", ID, 0, 2);
	launchwait_expect(&w, "i-1");
	launchwait_expect(&w, "i-2");
	look(&w, a, 1, 1);
	CHECK_STR(line(&w), "0 of 2 joined, 1 pending, 1 running");
	launchwait_free(&w);
}

static void t_fleet_counts_requested_until_filled(void)
{
	struct launchwait w;
	const struct t_row one[] = { { "i-1", "running", NULL, ID, 0 } };
	const struct t_row one_in[] = { { "i-1", "running", NULL, ID, 1 } };

	launchwait_init(&w, "w", ID, 1, 4);
	CHECK_STR(line(&w), "0 of 4 joined, 4 not started");
	CHECK(!settled(&w));
	look(&w, NULL, 0, 1);
	CHECK_STR(line(&w), "0 of 4 joined, 4 not started");
	look_all(&w, one, 1, 1, "active", 4, 0);
	CHECK_STR(line(&w), "0 of 4 joined, 1 running, 3 not started");
	CHECK_STR(w.fleet_id, "sfr-1");
	/* one instance of weight 4 fills the fleet: no more to come */
	look_all(&w, one, 1, 1, "active", 4, 4);
	CHECK_STR(line(&w), "0 of 1 joined, 1 running");
	look_all(&w, one_in, 1, 1, "active", 4, 4);
	CHECK_STR(line(&w), "1 of 1 joined");
	CHECK(all_joined(&w));
	launchwait_free(&w);
}

static void t_fleet_request_never_refills(void)
{
	struct launchwait w;
	const struct t_row a[] = { { "i-1", "running", NULL, ID, 1 }, { "i-2", "running", NULL, ID, 0 } };
	const struct t_row b[] = { { "i-1", "running", NULL, ID, 1 }, { "i-2", "terminated", NULL, ID, 0 } };

	launchwait_init(&w, "w", ID, 1, 2);
	look_all(&w, a, 2, 1, "active", 2, 2);
	look_all(&w, b, 2, 1, "active", 2, 1);
	CHECK_STR(line(&w), "1 of 2 joined, 1 ended");
	CHECK(settled(&w));
	launchwait_free(&w);
}

static void t_fleet_maintain_refills(void)
{
	struct launchwait w;
	const struct t_row a[] = { { "i-1", "running", NULL, ID, 1 }, { "i-2", "terminated", NULL, ID, 0 } };

	launchwait_init(&w, "w", ID, 1, 2);
	w.fleet_maintain = 1;
	look_all(&w, a, 1, 1, "active", 2, 2);
	look_all(&w, a, 2, 1, "active", 2, 1);
	CHECK_STR(line(&w), "1 of 3 joined, 1 ended, 1 not started");
	CHECK(!settled(&w));
	launchwait_free(&w);
}

static void t_fleet_cancelled_ends(void)
{
	struct launchwait w;

	launchwait_init(&w, "w", ID, 1, 3);
	look_all(&w, NULL, 0, 1, "cancelled_terminating", 3, 0);
	CHECK_STR(line(&w), "0 of 0 joined");
	CHECK(settled(&w));
	CHECK(!all_joined(&w));
	launchwait_free(&w);
}

static long slept[8];
static int n_slept;
static void fake_sleep(long ms) { if (n_slept < 8) slept[n_slept] = ms; n_slept++; }

static void t_pace(void)
{
	struct aws_ctx_opts o;
	struct aws_creds c;
	struct aws_ctx *ctx = NULL;
	long long now, left;

	memset(&o, 0, sizeof(o));
	memset(&c, 0, sizeof(c));
	c.access_key_id = xstrdup("AKIDPACETEST");
	c.secret_access_key = xstrdup("pace-secret");
	o.region = "us-east-1";
	o.creds = &c;
	CHECK(aws_ctx_new(&o, &ctx, NULL) == 0);
	if (!ctx)
		return;
	aws_ctx_set_sleep(ctx, fake_sleep);
	now = aws_monotonic_ms();
	/* the interval, when the deadline is further */
	left = aws_pace(ctx, now + 600000, 15000);
	CHECK_INT(n_slept, 1);
	CHECK_INT(slept[0], 15000);
	CHECK(left > 500000 && left <= 585000);
	/* never past the deadline */
	left = aws_pace(ctx, aws_monotonic_ms() + 2000, 15000);
	CHECK_INT(n_slept, 2);
	CHECK(slept[1] > 0 && slept[1] <= 2000);
	CHECK_INT(left, 0);
	/* nothing once it has passed */
	CHECK_INT(aws_pace(ctx, now - 1, 15000), 0);
	CHECK_INT(n_slept, 2);
	aws_ctx_free(ctx);
}

TESTS(T(t_ondemand_expected_before_listed), T(t_progress_and_all_joined), T(t_only_this_launch),
      T(t_joined_stays_joined), T(t_pool_unknown_joins_nothing), T(t_ended_and_gone),
      T(t_not_yet_listed_is_not_gone), T(t_fleet_counts_requested_until_filled),
      T(t_fleet_request_never_refills), T(t_fleet_maintain_refills), T(t_fleet_cancelled_ends), T(t_pace))
