/* test_setup_drift.c - the comparisons of setup_drift.c that need no AWS
 * call in DRIFT_CHECK mode: a security group's rules and the lease
 * function's configuration, one line per difference; and the function's
 * hash as Lambda's CodeSha256 states it. */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "annex/setup_drift.h"
#include "harness.h"

static char lines[4096];

static void collect(void *ud, const char *line)
{
	(void)ud;
	strncat(lines, line, sizeof(lines) - strlen(lines) - 2);
	strcat(lines, "\n");
}

static struct drift check(void)
{
	struct drift d = { .mode = DRIFT_CHECK, .partition = "aws", .region = "us-east-1", .account = "1",
			   .differs = collect };
	lines[0] = 0;
	return d;
}

static struct ec2_group_rule rule(int egress, const char *proto, int from, const char *cidr, const char *desc)
{
	struct ec2_group_rule r = { .egress = egress, .from = from, .to = from, .cidr = (char *)cidr,
				    .description = (char *)desc };
	strcpy(r.proto, proto);
	return r;
}

static void t_group_as_made(void)
{
	struct ec2_group_rule v[] = { rule(1, "-1", -1, "0.0.0.0/0", NULL) };
	struct ec2_group_rules rs = { v, 1 };
	struct drift d = check();
	struct annex_err err;

	CHECK_INT(drift_group(&d, "sg-1", &rs, NULL, &err), 0);
	CHECK_INT(d.found, 0);
	CHECK_STR(lines, "");
}

static void t_group_ssh_is_setups_own(void)
{
	struct ec2_group_rule v[] = {
		rule(1, "-1", -1, "0.0.0.0/0", NULL),
		rule(0, "tcp", 22, "192.0.2.0/24", SETUP_SSH_DESCRIPTION),   /* an earlier -ssh-cidr */
		rule(0, "tcp", 22, "198.51.100.0/24", NULL),                  /* this run's -ssh-cidr */
	};
	struct ec2_group_rules rs = { v, 3 };
	struct drift d = check();
	struct annex_err err;

	CHECK_INT(drift_group(&d, "sg-1", &rs, "198.51.100.0/24", &err), 0);
	CHECK_INT(d.found, 0);
	d = check();
	CHECK_INT(drift_group(&d, "sg-1", &rs, NULL, &err), 0);      /* check-setup knows no -ssh-cidr */
	CHECK_INT(d.found, 1);
	CHECK_STR(lines, "security group sg-1: rule ingress tcp 22 from 198.51.100.0/24 is not this version's\n");
}

static void t_group_drift_named(void)
{
	struct ec2_group_rule v[] = {
		rule(0, "tcp", 80, "0.0.0.0/0", NULL),
		rule(1, "tcp", 443, "10.0.0.0/8", NULL),
	};
	struct ec2_group_rules rs = { v, 2 };
	struct drift d = check();
	struct annex_err err;

	CHECK_INT(drift_group(&d, "sg-1", &rs, NULL, &err), 0);
	CHECK_INT(d.found, 3);
	CHECK_STR(lines, "security group sg-1: rule ingress tcp 80 from 0.0.0.0/0 is not this version's\n"
		  "security group sg-1: rule egress tcp 443 to 10.0.0.0/8 is not this version's\n"
		  "security group sg-1: rule egress all traffic to 0.0.0.0/0 is missing (the nodes could not "
		  "reach the pool)\n");
}

static void t_function(void)
{
	char sha[48], *cfg;
	json_object *c;
	struct drift d = check();
	struct annex_err err;

	setup_function_sha256(sha);
	CHECK(strlen(sha) == 44);
	cfg = xasprintf("{\"Runtime\":\"python3.12\",\"Handler\":\"lease.handler\",\"Role\":\"arn:r\",\"Timeout\":60,"
			"\"CodeSha256\":\"%s\"}", sha);
	c = json_tokener_parse(cfg);
	CHECK_INT(drift_function(&d, "F", c, "arn:r", &err), 0);
	CHECK_INT(d.found, 0);
	json_object_put(c);
	free(cfg);
	d = check();
	c = json_tokener_parse("{\"Runtime\":\"python3.9\",\"Handler\":\"lease.handler\",\"Role\":\"arn:x\",\"Timeout\":3,"
			       "\"Environment\":{\"Variables\":{\"A\":\"1\"}},\"CodeSha256\":\"abc=\"}");
	CHECK_INT(drift_function(&d, "F", c, "arn:r", &err), 0);
	CHECK_INT(d.found, 5);
	CHECK(strstr(lines, "function F: Runtime is python3.9, this version's is python3.12\n") != NULL);
	CHECK(strstr(lines, "function F: runs as role arn:x, not arn:r\n") != NULL);
	CHECK(strstr(lines, "function F: Timeout is 3 s, this version's is 60 s\n") != NULL);
	CHECK(strstr(lines, "function F: has environment variables (A); this version sets none\n") != NULL);
	CHECK(strstr(lines, "function F: code differs from this version's (CodeSha256 abc=, this version's ") != NULL);
	json_object_put(c);
}

/* The hash is SHA-256 of the embedded zip, base64: what Lambda reports. */
static void t_sha_is_of_the_zip(void)
{
	const struct annex_embedded *zip = setup_function_zip();
	unsigned char md[32];
	char want[48], got[48];

	CHECK(zip != NULL && zip->len > 22 && memcmp(zip->data, "PK", 2) == 0);
	if (!zip)
		return;
	SHA256((const unsigned char *)zip->data, zip->len, md);
	EVP_EncodeBlock((unsigned char *)want, md, 32);
	setup_function_sha256(got);
	CHECK_STR(got, want);
}

TESTS(T(t_group_as_made), T(t_group_ssh_is_setups_own), T(t_group_drift_named), T(t_function), T(t_sha_is_of_the_zip))
