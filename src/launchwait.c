/* launchwait.c - launch -wait's loop (launchwait.h): look at the launch
 * through the inventory, print a progress line when the counts change,
 * pause between looks through the AWS layer's paced wait (aws_pace: annex
 * sleeps only in aws_retry.c), and at the end say who did not join, with
 * the last lines of their console output (consoleout.h). */
#include <stdlib.h>
#include <string.h>

#include "annex/consoleout.h"
#include "annex/knobs.h"
#include "annex/launchwait.h"
#include "annex/poolstatus.h"

int launchwait_opts_read(const struct annex_config *cfg, const char *condor_status, struct launchwait_opts *o,
			 struct annex_err *err)
{
	char *why = NULL, *exe;

	memset(o, 0, sizeof(*o));
	if (knobs_get_long(cfg, "ANNEX_WAIT_TIMEOUT", &o->timeout_s, err) < 0 ||
	    knobs_get_long(cfg, "ANNEX_WAIT_POLL_INTERVAL", &o->interval_s, err) < 0)
		return -1;
	exe = poolstatus_find(condor_status, &why);
	if (!exe) {
		annex_err_set(err, "Config", "-wait watches the pool with condor_status: %s", why);
		free(why);
		return -1;
	}
	free(exe);
	o->condor_status = condor_status;
	return 0;
}

/* One look: the annex's instances (and Spot Fleet requests) in EC2, and
 * which of them are in the pool. */
static int launchwait_look(struct aws_ctx *ctx, struct launchwait *w, const struct launchwait_opts *o,
			   struct annex_err *err)
{
	struct inventory_opts io = { w->annex_name, INVENTORY_INSTANCES | INVENTORY_POOL, 0, 0, o->condor_status };
	struct inventory inv;
	int rc;

	if (w->fleet)
		io.parts |= INVENTORY_FLEETS;
	inventory_init(&inv, &io);
	rc = inventory_load(ctx, &inv, err);
	if (rc == 0)
		launchwait_update(w, &inv);
	inventory_free(&inv);
	return rc;
}

static void launchwait_put_inst(FILE *msg, const struct launchwait_inst *in)
{
	fprintf(msg, "  %s %s %s\n", in->id, in->state, in->address ? in->address : "(no address yet)");
}

/* The console output's last lines of a running laggard: where annex's boot
 * script says why a node did not join. A failed GetConsoleOutput is a
 * note, not an error of the wait. */
static void launchwait_put_console(struct aws_ctx *ctx, FILE *msg, const struct launchwait_inst *in)
{
	struct annex_err err;
	char *text = NULL, *tail;

	annex_err_clear(&err);
	if (consoleout_fetch(ctx, in->id, &text, &err) != 0) {
		fprintf(msg, "    console output not shown: %s\n", err.msg);
		return;
	}
	tail = consoleout_tail(text, CONSOLEOUT_TAIL_LINES);
	if (!tail) {
		fputs("    no console output yet\n", msg);
	} else {
		fputs("    console output, last lines:\n      ", msg);
		for (const char *p = tail; *p; p++) {
			fputc(*p, msg);
			if (*p == '\n')
				fputs("      ", msg);
		}
		fputc('\n', msg);
	}
	free(tail);
	free(text);
}

/* Who did not join: the laggards (id, state, address, and the console of
 * the first CONSOLEOUT_MAX_INSTANCES running ones), the fleet capacity
 * still missing, and what ended before joining. */
static void launchwait_report(struct aws_ctx *ctx, const struct launchwait *w, const struct launchwait_counts *c,
			      FILE *msg, long waited_s)
{
	size_t consoles = 0;

	if (c->pending || c->running || c->stopped || c->not_started) {
		fprintf(msg, "Not in the pool after %ld s:\n", waited_s);
		for (size_t i = 0; i < w->n; i++) {
			const struct launchwait_inst *in = &w->inst[i];
			if (!launchwait_laggard(in))
				continue;
			launchwait_put_inst(msg, in);
			if (strcmp(in->state, "running") == 0 && consoles++ < CONSOLEOUT_MAX_INSTANCES)
				launchwait_put_console(ctx, msg, in);
		}
		if (c->not_started) {
			fprintf(msg, "  Spot Fleet %s: %ld of the %ld capacity units asked for not filled",
				w->fleet_id ? w->fleet_id : "(not listed yet)", c->not_started, w->requested);
			if (w->fleet_state)
				fprintf(msg, " (state %s%s%s)", w->fleet_state, w->fleet_activity ? ", activity " : "",
					w->fleet_activity ? w->fleet_activity : "");
			fputc('\n', msg);
		}
	}
	if (c->ended) {
		fputs("Ended before joining the pool:\n", msg);
		for (size_t i = 0; i < w->n; i++)
			if (!w->inst[i].joined && launchwait_state_ended(w->inst[i].state))
				launchwait_put_inst(msg, &w->inst[i]);
	}
	if (!w->pool_known && w->pool_note)
		fprintf(msg, "At the last look: %s\n", w->pool_note);
}

int launchwait_run(struct aws_ctx *ctx, struct launchwait *w, const struct launchwait_opts *o,
		   struct annex_err *err)
{
	FILE *msg = o->msg ? o->msg : stderr;
	long long start = aws_monotonic_ms(), deadline = start + o->timeout_s * 1000LL;
	struct buf line = BUF_INIT, last = BUF_INIT;
	struct launchwait_counts c;
	char *last_note = NULL;
	int rc = -1, timed_out = 0;

	fprintf(msg, "Waiting up to %ld s (ANNEX_WAIT_TIMEOUT) for the instances of annex '%s' to join the pool.\n",
		o->timeout_s, w->annex_name);
	for (;;) {
		if (launchwait_look(ctx, w, o, err) != 0) {
			annex_err_prefix(err, "-wait: the annex started, but looking at it failed");
			goto out;
		}
		launchwait_count(w, &c);
		buf_reset(&line);
		launchwait_line(&c, &line);
		if (strcmp(buf_cstr(&line), buf_cstr(&last)) != 0) {
			fprintf(msg, "%s\n", buf_cstr(&line));
			buf_reset(&last);
			buf_puts(&last, buf_cstr(&line));
		}
		/* condor_status failing is said once per new reason; the wait goes on */
		if (w->pool_note && (!last_note || strcmp(last_note, w->pool_note) != 0))
			fprintf(msg, "%s\n", w->pool_note);
		free(last_note);
		last_note = w->pool_note ? xstrdup(w->pool_note) : NULL;
		fflush(msg);
		if (launchwait_settled(&c))
			break;
		if (aws_monotonic_ms() >= deadline) {
			timed_out = 1;
			break;
		}
		aws_pace(ctx, deadline, o->interval_s * 1000L);
	}
	if (launchwait_all_joined(&c)) {
		printf("%ld of %ld instance%s of annex '%s' joined the pool.\n", c.joined, c.total,
		       c.total == 1 ? "" : "s", w->annex_name);
		rc = 0;
		goto out;
	}
	launchwait_report(ctx, w, &c, msg, (long)((aws_monotonic_ms() - start) / 1000));
	fflush(msg);
	if (timed_out)
		annex_err_set(err, "WaitTimeout", "%ld of %ld instances of annex '%s' did not join the pool within %ld s "
			      "(ANNEX_WAIT_TIMEOUT; listed above); 'annex -status -annex-name %s' shows them",
			      c.total - c.joined, c.total, w->annex_name, o->timeout_s, w->annex_name);
	else if (c.total == 0)
		annex_err_set(err, "WaitEnded", "annex '%s' has nothing left to wait for: its Spot Fleet request is %s "
			      "and started no instance", w->annex_name, w->fleet_state ? w->fleet_state : "gone");
	else
		annex_err_set(err, "WaitEnded", "%ld of %ld instances of annex '%s' joined the pool; the others ended "
			      "or stopped before joining (listed above)", c.joined, c.total, w->annex_name);
out:
	free(last_note);
	buf_free(&line);
	buf_free(&last);
	return rc;
}
