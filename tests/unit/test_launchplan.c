/* Unit tests for launchplan.c. */
#include "annex/launchplan.h"
#include "harness.h"

#include <stdlib.h>

static void t_names(void)
{
	struct annex_err e;
	CHECK_INT(launchplan_check_name("HTCondorOnAWS", &e), 0);
	CHECK_INT(launchplan_check_name("render-farm.2", &e), 0);
	CHECK_INT(launchplan_check_name("abcdefghijklmnopqrstuvwxyz0", &e), 0);  /* 27 */
	CHECK_INT(launchplan_check_name("abcdefghijklmnopqrstuvwxyz01", &e), -1); /* 28 */
	CHECK(strstr(e.msg, "28 characters") != NULL);
	CHECK_INT(launchplan_check_name("my_annex", &e), -1);
	CHECK(strstr(e.msg, "'_' separates") != NULL);
	CHECK_INT(launchplan_check_name("", &e), -1);
	CHECK(strstr(e.msg, "-annex-name") != NULL);
	CHECK_INT(launchplan_check_name("a b", &e), -1);
}

static void t_instance_types(void)
{
	struct annex_err e;
	const char *good[] = { "m5.large", "g4dn.xlarge", "u-6tb1.metal", "c7i.4xlarge", "m7i-flex.large", "m3.medium",
			       "c7i.metal-24xl" };
	const char *bad[] = { "large", "m5.", ".large", "M5.large", "m.large", "m5.large.x", "m5.la rge", "m5;.x",
			      "m5.-large", "m5.large-", "m5.metal--24xl" };
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		CHECK_INT(launchplan_check_instance_type(good[i], "-instance-type", &e), 0);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK_INT(launchplan_check_instance_type(bad[i], "-instance-type", &e), -1);
	CHECK(strstr(e.msg, "-instance-type") != NULL);
}

static void t_arch(void)
{
	const char *arm[] = { "m6g.large", "c7gn.xlarge", "t4g.micro", "is4gen.large", "g5g.xlarge", "a1.medium",
			      "x2gd.large", "hpc7g.4xlarge", "r8g.large" };
	const char *x86[] = { "m5.large", "g4dn.xlarge", "c7i.4xlarge", "m7i-flex.large", "m3.medium", "inf2.xlarge",
			      "u-6tb1.metal", "g5.xlarge" };
	for (size_t i = 0; i < sizeof arm / sizeof *arm; i++)
		CHECK_STR(launchplan_arch_of_type(arm[i]), "arm64");
	for (size_t i = 0; i < sizeof x86 / sizeof *x86; i++)
		CHECK_STR(launchplan_arch_of_type(x86[i]), "x86_64");
}

static void t_uuid_and_id(void)
{
	char a[37], b[37];
	struct annex_err e;
	CHECK_INT(launchplan_uuid(a, &e), 0);
	CHECK_INT(launchplan_uuid(b, &e), 0);
	CHECK_INT(strlen(a), 36);
	CHECK(a[14] == '4');
	CHECK(strchr("89ab", a[19]) != NULL);
	CHECK(strcmp(a, b) != 0);
	char *id = launchplan_annex_id("abcdefghijklmnopqrstuvwxyz0", a);
	CHECK(strlen(id) <= 64);
	free(id);
}

/* (The ISO 8601 form of a lease end is timefmt's, tested in test_timefmt.c.) */
static void t_lease(void)
{
	CHECK_INT(launchplan_lease_end(1000, 0.83), 1000 + 2988);
	CHECK_INT(launchplan_lease_end(0, 0.001), 4);
}

static void t_collector(void)
{
	char host[64];
	int port;
	CHECK_INT(launchplan_classify_collector("127.0.0.1:9618", host, sizeof host, &port), COLLECTOR_REFUSE_LOOPBACK);
	CHECK_INT(launchplan_classify_collector("localhost", host, sizeof host, &port), COLLECTOR_REFUSE_LOOPBACK);
	CHECK_INT(launchplan_classify_collector("[::1]:9618", host, sizeof host, &port), COLLECTOR_REFUSE_LOOPBACK);
	CHECK_INT(launchplan_classify_collector("169.254.1.2", host, sizeof host, &port), COLLECTOR_REFUSE_LINK_LOCAL);
	CHECK_INT(launchplan_classify_collector("fe80::1", host, sizeof host, &port), COLLECTOR_REFUSE_LINK_LOCAL);
	CHECK_INT(launchplan_classify_collector("cm", host, sizeof host, &port), COLLECTOR_REFUSE_UNQUALIFIED);
	CHECK_INT(launchplan_classify_collector("", host, sizeof host, &port), COLLECTOR_REFUSE_EMPTY);
	CHECK_INT(launchplan_classify_collector("10.0.0.5:9618", host, sizeof host, &port), COLLECTOR_WARN_PRIVATE);
	CHECK_INT(launchplan_classify_collector("172.20.1.1", host, sizeof host, &port), COLLECTOR_WARN_PRIVATE);
	CHECK_INT(launchplan_classify_collector("192.168.0.1", host, sizeof host, &port), COLLECTOR_WARN_PRIVATE);
	CHECK_INT(launchplan_classify_collector("203.0.113.1:9618", host, sizeof host, &port), COLLECTOR_OK);
	CHECK_STR(host, "203.0.113.1");
	CHECK_INT(port, 9618);
	CHECK_INT(launchplan_classify_collector("<203.0.113.1:9620?sock=collector>", host, sizeof host, &port), COLLECTOR_OK);
	CHECK_INT(port, 9620);
	CHECK_INT(launchplan_classify_collector("cm.studio.example:9618", host, sizeof host, &port), COLLECTOR_OK);
	CHECK_STR(host, "cm.studio.example");
	CHECK_INT(launchplan_classify_collector("cm.example", host, sizeof host, &port), COLLECTOR_OK);
	CHECK_INT(port, 9618);
}

static void t_prompts(void)
{
	struct buf b = BUF_INIT;
	launchplan_prompt_ondemand(&b, 1, "m3.medium", 0.83, 0.25);
	CHECK_STR(buf_cstr(&b), "Will request 1 m3.medium on-demand instance for 0.83 hours.  Each instance will "
				"terminate after being idle for 0.25 hours.\nIs that OK?  (Type 'yes' or 'no'): ");
	buf_reset(&b);
	launchplan_prompt_ondemand(&b, 4, "m5.large", 0.83, 0.25);
	CHECK(strstr(buf_cstr(&b), "Will request 4 m5.large on-demand instances for 0.83 hours.") == buf_cstr(&b));
	buf_reset(&b);
	launchplan_prompt_fleet(&b, 40, 2, 0.5);
	CHECK(strstr(buf_cstr(&b), "Will request 40 spot slots for 2.00 hours.  Each instance will terminate after "
				   "being idle for 0.50 hours.\n") == buf_cstr(&b));
	buf_free(&b);
	CHECK(launchplan_is_yes("yes\n"));
	CHECK(launchplan_is_yes("Y"));
	CHECK(launchplan_is_yes("  YES "));
	CHECK(!launchplan_is_yes("no"));
	CHECK(!launchplan_is_yes("yess"));
	CHECK(!launchplan_is_yes(""));
	CHECK(!launchplan_is_yes(NULL));
}

TESTS(T(t_names), T(t_instance_types), T(t_arch), T(t_uuid_and_id), T(t_lease), T(t_collector), T(t_prompts))
