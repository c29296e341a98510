/* ownership.c - which resources carrying annex's tags are annex's own
 * (include/annex/ownership.h): the rule, pure, then the one listing it
 * may need (DescribeSpotFleetInstances). */
#include "annex/ownership.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"
#include "annex/launch.h"
#include "annex/launch_template.h"
#include "annex/session.h"
#include "annex/setupnames.h"

void ownership_init(struct ownership *o, const struct annex_session *s)
{
	memset(o, 0, sizeof(*o));
	o->profile_arn = session_knob_or_null(s, "ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN");
	o->fleet_role_arn = session_knob_or_null(s, "ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN");
}

void ownership_free(struct ownership *o)
{
	free(o->profile_arn);
	free(o->fleet_role_arn);
	ec2_ids_free(&o->members);
	ec2_ids_free(&o->ec2_fleets);
	ec2_ids_free(&o->said);
	memset(o, 0, sizeof(*o));
}

/* arn is arn:aws*:iam::<12 digits>:<type_name> exactly (annex's own
 * profile or role, under the path "/" where -setup makes them). */
static int own_iam_arn(const char *arn, const char *type_name)
{
	const char *p;

	if (!arn || strncmp(arn, "arn:aws", 7) != 0 || !(p = strstr(arn + 7, ":iam::")))
		return 0;
	for (const char *q = arn + 7; q < p; q++)
		if (!(islower((unsigned char)*q) || *q == '-'))
			return 0;
	p += 6;
	for (int i = 0; i < 12; i++, p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return *p == ':' && strcmp(p + 1, type_name) == 0;
}

int ownership_profile(const struct ownership *o, const char *arn)
{
	if (!arn || !*arn)
		return 0;
	if (o->profile_arn && strcmp(o->profile_arn, arn) == 0)
		return 1;
	return own_iam_arn(arn, "instance-profile/" SETUP_INSTANCE_PROFILE);
}

int ownership_fleet_role(const struct ownership *o, const char *arn)
{
	if (!arn || !*arn)
		return 0;
	if (o->fleet_role_arn && strcmp(o->fleet_role_arn, arn) == 0)
		return 1;
	return own_iam_arn(arn, "role/" SETUP_FLEET_ROLE);
}

static int same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

int ownership_fleet(const struct ownership *o, const struct inventory_fleet *f)
{
	return ownership_fleet_role(o, f->role_arn) && (!f->client_token || same(f->client_token, f->annex_id));
}

int ownership_ec2_fleet(const struct ec2_fleet *f)
{
	const char *id = f->tags ? f->tags->id : NULL;
	char *fallback, *tpl;
	int own;

	if (!id || !*id || f->n_templates == 0 || f->other_template)
		return 0;
	fallback = launch_ec2fleet_fallback_token(id);
	tpl = launch_template_name(id);
	own = (strcmp(f->client_token, id) == 0 || strcmp(f->client_token, fallback) == 0) &&
	      strcmp(f->template_name, tpl) == 0;
	free(fallback);
	free(tpl);
	return own;
}

/* fleet_id names one of annex_id's own EC2 Fleets (o->ec2_fleets). */
static int own_ec2_fleet(const struct ownership *o, const char *fleet_id, const char *annex_id)
{
	size_t n = strlen(fleet_id);

	for (size_t i = 0; i < o->ec2_fleets.n; i++) {
		const char *e = o->ec2_fleets.v[i];
		if (strncmp(e, fleet_id, n) == 0 && e[n] == ' ' && strcmp(e + n + 1, annex_id) == 0)
			return 1;
	}
	return 0;
}

/* The fleet request id names one of inv's fleets of that annex id that is
 * annex's own. */
static int own_fleet_of(const struct ownership *o, const struct inventory *inv, const char *fleet_id,
			const char *annex_id)
{
	for (size_t i = 0; fleet_id && i < inv->n_fleets; i++)
		if (strcmp(inv->fleets[i].id, fleet_id) == 0)
			return same(inv->fleets[i].annex_id, annex_id) && ownership_fleet(o, &inv->fleets[i]);
	return 0;
}

static int listed(const struct ec2_ids *ids, const char *id)
{
	for (size_t i = 0; i < ids->n; i++)
		if (strcmp(ids->v[i], id) == 0)
			return 1;
	return 0;
}

static int listed_member(const struct ownership *o, const char *id)
{
	return listed(&o->members, id);
}

/* out, unless id was said before (then NULL); notes it as said. */
static FILE *say_once(struct ownership *o, const char *id, FILE *out)
{
	if (!out || listed(&o->said, id))
		return NULL;
	ec2_ids_add(&o->said, id);
	return out;
}

/* The rule without the fleets' member lists. */
static int ownership_direct(const struct ownership *o, const struct inventory *inv,
			    const struct inventory_instance *in)
{
	if (in->annex_id && own_fleet_of(o, inv, in->fleet_id, in->annex_id))
		return 1;
	if (in->annex_id && in->ec2_fleet_id && own_ec2_fleet(o, in->ec2_fleet_id, in->annex_id))
		return 1;
	if (!ownership_profile(o, in->profile_arn))
		return 0;
	return !in->annex_id || same(in->client_token, in->annex_id) || in->fleet_id || in->ec2_fleet_id;
}

int ownership_instance(const struct ownership *o, const struct inventory *inv, const struct inventory_instance *in)
{
	return ownership_direct(o, inv, in) || (in->annex_id && listed_member(o, in->id));
}

size_t ownership_set_aside(struct ownership *o, struct inventory *inv, FILE *out)
{
	FILE *to;
	size_t n = 0;

	/* instances first: whether one is annex's may depend on its fleet; one
	 * already ending is nothing to end (and EC2 drops its profile) */
	for (size_t i = 0; i < inv->n_inst;) {
		if (!inventory_state_live(inv->inst[i].state) || ownership_instance(o, inv, &inv->inst[i])) {
			i++;
			continue;
		}
		if ((to = say_once(o, inv->inst[i].id, out)))
			fprintf(to, "instance %s of annex '%s': " OWNERSHIP_LEFT_ALONE ".\n", inv->inst[i].id,
				inv->inst[i].annex);
		inventory_drop_instance(inv, i);
		n++;
	}
	for (size_t i = 0; i < inv->n_fleets;) {
		if (ownership_fleet(o, &inv->fleets[i])) {
			i++;
			continue;
		}
		if ((to = say_once(o, inv->fleets[i].id, out)))
			fprintf(to, "Spot Fleet request %s of annex '%s': " OWNERSHIP_LEFT_ALONE ".\n",
				inv->fleets[i].id, inv->fleets[i].annex);
		inventory_drop_fleet(inv, i);
		n++;
	}
	return n;
}

static void keep_own_ec2_fleet(const struct ec2_fleet *f, void *ud)
{
	struct ownership *o = ud;
	char *e;

	if (strncmp(f->state, "deleted", 7) == 0 || !ownership_ec2_fleet(f))
		return;
	e = xasprintf("%s %s", f->id, f->tags->id);
	ec2_ids_add(&o->ec2_fleets, e);
	free(e);
	for (size_t i = 0; i < f->instances->n; i++)
		ec2_ids_add(&o->members, f->instances->v[i]);
}

int ownership_list_ec2_fleets(struct aws_ctx *ctx, struct ownership *o, const struct inventory *inv,
			   struct annex_err *err)
{
	struct ec2_ids ids = { 0 };
	int rc;

	/* the fleets the instances that need one name (EC2's aws:ec2:fleet-id):
	 * AWS's DescribeFleets shows an instant fleet only when asked by id */
	for (size_t i = 0; i < inv->n_inst && !o->ec2_fleets_listed; i++)
		if (inv->inst[i].ec2_fleet_id && inv->inst[i].annex_id && inventory_state_live(inv->inst[i].state) &&
		    !ownership_direct(o, inv, &inv->inst[i]) && !listed_member(o, inv->inst[i].id) &&
		    !listed(&ids, inv->inst[i].ec2_fleet_id))
			ec2_ids_add(&ids, inv->inst[i].ec2_fleet_id);
	if (ids.n == 0)
		return 0;
	o->ec2_fleets_listed = 1;
	rc = ec2_describe_ec2_fleets(ctx, &ids, keep_own_ec2_fleet, o, err);
	ec2_ids_free(&ids);
	return rc;
}

int ownership_list_members(struct aws_ctx *ctx, struct ownership *o, const struct inventory *inv,
			   struct annex_err *err)
{
	for (size_t f = 0; f < inv->n_fleets; f++) {
		const struct inventory_fleet *fl = &inv->fleets[f];
		int needed = 0;
		if (!fl->annex_id || strncmp(fl->state, "cancelled", 9) == 0 || !ownership_fleet(o, fl))
			continue;
		for (size_t i = 0; i < inv->n_inst && !needed; i++)
			needed = same(inv->inst[i].annex_id, fl->annex_id) && !ownership_direct(o, inv, &inv->inst[i]);
		if (needed && ec2_spot_fleet_instances(ctx, fl->id, &o->members, err) != 0)
			return -1;
	}
	return ownership_list_ec2_fleets(ctx, o, inv, err);
}
