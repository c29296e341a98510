/* test_ownership.c - which resources carrying annex's tags are annex's own
 * (ownership.c): the same cases as tests/py/test_lease.py's Owner tests,
 * and what ownership_set_aside removes and prints. */
#include <stdlib.h>

#include "annex/ownership.h"
#include "harness.h"

#define PROFILE "arn:aws:iam::123456789012:instance-profile/HTCondorAnnex-InstanceProfile"
#define ROLE "arn:aws:iam::123456789012:role/HTCondorAnnex-SpotFleetRole"
#define ID "a_1"

static struct inventory_instance inst(const char *id, const char *profile, const char *token, const char *fleet)
{
	struct inventory_instance in = { 0 };

	in.id = (char *)id;
	in.state = "running";
	in.annex = "a";
	in.annex_id = ID;
	in.profile_arn = (char *)profile;
	in.client_token = (char *)token;
	in.fleet_id = (char *)fleet;
	return in;
}

static void t_profiles_and_roles(void)
{
	struct ownership o = { 0 };

	CHECK(ownership_profile(&o, PROFILE));
	CHECK(ownership_profile(&o, "arn:aws-cn:iam::210987654321:instance-profile/HTCondorAnnex-InstanceProfile"));
	CHECK(!ownership_profile(&o, "arn:aws:iam::123456789012:instance-profile/HTCondorAnnex-InstanceProfileX"));
	CHECK(!ownership_profile(&o, "arn:aws:iam::123456789012:instance-profile/x/HTCondorAnnex-InstanceProfile"));
	CHECK(!ownership_profile(&o, "arn:aws:iam::12345678901:instance-profile/HTCondorAnnex-InstanceProfile"));
	CHECK(!ownership_profile(&o, "arn:aws:iam::123456789012:role/HTCondorAnnex-InstanceProfile"));
	CHECK(!ownership_profile(&o, NULL) && !ownership_profile(&o, ""));
	CHECK(!ownership_profile(&o, "arn:aws:iam::123456789012:instance-profile/condor"));
	o.profile_arn = "arn:aws:iam::123456789012:instance-profile/condor";
	CHECK(ownership_profile(&o, "arn:aws:iam::123456789012:instance-profile/condor"));
	CHECK(ownership_fleet_role(&o, ROLE));
	CHECK(!ownership_fleet_role(&o, "arn:aws:iam::123456789012:role/Other"));
	o.fleet_role_arn = "arn:aws:iam::123456789012:role/Other";
	CHECK(ownership_fleet_role(&o, "arn:aws:iam::123456789012:role/Other"));
}

static void t_instance_rule(void)
{
	struct ownership o = { 0 };
	struct inventory inv;
	struct inventory_instance in;
	struct inventory_fleet own = { .id = "sfr-1", .state = "active", .annex = "a", .annex_id = ID,
				       .role_arn = ROLE, .client_token = ID };

	inventory_init(&inv, NULL);
	in = inst("i-1", PROFILE, ID, NULL);
	CHECK(ownership_instance(&o, &inv, &in));                 /* annex's RunInstances */
	in = inst("i-1", PROFILE, "other", NULL);
	CHECK(!ownership_instance(&o, &inv, &in));                /* annex's profile, another token */
	in = inst("i-1", NULL, ID, NULL);
	CHECK(!ownership_instance(&o, &inv, &in));                /* the token alone */
	in = inst("i-1", "arn:aws:iam::123456789012:instance-profile/db", ID, NULL);
	CHECK(!ownership_instance(&o, &inv, &in));                /* another profile */
	in = inst("i-1", PROFILE, NULL, "sfr-9");
	CHECK(ownership_instance(&o, &inv, &in));                 /* annex's profile, EC2's fleet tag */
	in = inst("i-1", PROFILE, NULL, NULL);
	in.ec2_fleet_id = "fleet-9";
	CHECK(ownership_instance(&o, &inv, &in));                 /* annex's profile, EC2's EC2 Fleet tag */
	in.profile_arn = "arn:aws:iam::123456789012:instance-profile/db";
	CHECK(!ownership_instance(&o, &inv, &in));                /* a forged member: another profile, a fleet's */
	in.profile_arn = NULL;
	CHECK(!ownership_instance(&o, &inv, &in));                /* ... or none */
	in = inst("i-1", NULL, NULL, "sfr-1");
	CHECK(!ownership_instance(&o, &inv, &in));                /* its fleet not listed */
	inventory_add_fleet(&inv, &own);
	CHECK(ownership_instance(&o, &inv, &in));                 /* a member of the annex's own fleet */
	in.annex_id = "b_1";
	CHECK(!ownership_instance(&o, &inv, &in));                /* that fleet is another annex's */
	in = inst("i-2", NULL, NULL, NULL);
	CHECK(!ownership_instance(&o, &inv, &in));
	ec2_ids_add(&o.members, "i-2");
	CHECK(ownership_instance(&o, &inv, &in));                 /* listed by DescribeSpotFleetInstances */
	in = inst("i-3", PROFILE, NULL, NULL);
	in.annex_id = NULL;
	CHECK(ownership_instance(&o, &inv, &in));                 /* condor_annex's: no annex id, the profile */
	in.profile_arn = NULL;
	CHECK(!ownership_instance(&o, &inv, &in));
	ec2_ids_free(&o.members);
	inventory_free(&inv);
}

static void t_fleet_rule(void)
{
	struct ownership o = { 0 };
	struct inventory_fleet f = { .id = "sfr-1", .state = "active", .annex = "a", .annex_id = ID, .role_arn = ROLE };

	CHECK(ownership_fleet(&o, &f));                           /* no token shown */
	f.client_token = ID;
	CHECK(ownership_fleet(&o, &f));
	f.client_token = "b_1";
	CHECK(!ownership_fleet(&o, &f));
	f.client_token = NULL;
	f.role_arn = "arn:aws:iam::123456789012:role/Other";
	CHECK(!ownership_fleet(&o, &f));
	f.role_arn = NULL;
	CHECK(!ownership_fleet(&o, &f));
}

/* EC2 Fleets (issue 21): the fleet rule, and its members counting
 * whatever their profile, for their own annex only. */
static void t_ec2_fleet_rule(void)
{
	struct ec2_ids members = { 0 };
	struct ec2_annex_tags tags = { .id = ID };
	struct ec2_fleet f = { "fleet-1", "active", "instant", ID, "htcondor-annex-" ID, 1, 0, &members, &tags };
	struct ownership o = { 0 };
	struct inventory inv;
	struct inventory_instance in;

	CHECK(ownership_ec2_fleet(&f));                           /* the annex id as token, annex's template */
	f.client_token = "od-" ID;
	CHECK(ownership_ec2_fleet(&f));                           /* the fallback's token */
	f.client_token = "someone-elses";
	CHECK(!ownership_ec2_fleet(&f));
	f.client_token = ID;
	f.template_name = "their-template";
	CHECK(!ownership_ec2_fleet(&f));                          /* another template */
	f.template_name = "htcondor-annex-" ID;
	f.other_template = 1;
	CHECK(!ownership_ec2_fleet(&f));                          /* and another besides */
	f.other_template = 0;
	f.n_templates = 0;
	CHECK(!ownership_ec2_fleet(&f));                          /* none */
	f.n_templates = 1;
	tags.id = NULL;
	CHECK(!ownership_ec2_fleet(&f));                          /* no annex id tag */

	inventory_init(&inv, NULL);
	in = inst("i-1", NULL, NULL, NULL);
	in.ec2_fleet_id = "fleet-1";
	CHECK(!ownership_instance(&o, &inv, &in));                /* its fleet not proven annex's */
	ec2_ids_add(&o.ec2_fleets, "fleet-1 " ID);
	CHECK(ownership_instance(&o, &inv, &in));                 /* a member of the annex's own EC2 Fleet */
	in.annex_id = "b_1";
	CHECK(!ownership_instance(&o, &inv, &in));                /* that fleet is another annex's */
	in.annex_id = ID;
	in.ec2_fleet_id = "fleet-10";
	CHECK(!ownership_instance(&o, &inv, &in));                /* a fleet id that only starts the same */
	ownership_free(&o);
	inventory_free(&inv);
}

static void t_set_aside(void)
{
	struct ownership o = { 0 };
	struct inventory inv;
	struct inventory_instance a = inst("i-own", PROFILE, ID, NULL), b = inst("i-db", NULL, NULL, NULL),
		c = inst("i-gone", NULL, NULL, NULL);
	struct inventory_fleet f = { .id = "sfr-x", .state = "active", .annex = "a", .annex_id = ID,
				     .role_arn = "arn:aws:iam::123456789012:role/Other" };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	c.state = "terminated";
	inventory_init(&inv, NULL);
	inventory_add_instance(&inv, &b);
	inventory_add_instance(&inv, &a);
	inventory_add_instance(&inv, &c);
	inventory_add_fleet(&inv, &f);
	CHECK_INT(ownership_set_aside(&o, &inv, out), 2);
	fclose(out);
	CHECK_INT(inv.n_inst, 2);
	CHECK_STR(inv.inst[0].id, "i-own");
	CHECK_STR(inv.inst[1].id, "i-gone");                      /* ending already: not judged */
	CHECK_INT(inv.n_fleets, 0);
	CHECK_STR(text, "instance i-db of annex 'a': not annex's (forged or foreign tags), left alone.\n"
		  "Spot Fleet request sfr-x of annex 'a': not annex's (forged or foreign tags), left alone.\n");
	free(text);
	inventory_free(&inv);
	ownership_free(&o);
}

TESTS(T(t_profiles_and_roles), T(t_instance_rule), T(t_fleet_rule), T(t_ec2_fleet_rule), T(t_set_aside))
