/* test_connectivity.c - the judgement of issue 19's table (pure): each
 * combination of what the collector says from here and what the
 * connectivity function says from AWS gives its outcome and line; the
 * schedds' -af output and the private-address rule. */
#include <stdlib.h>

#include "annex/connectivity.h"
#include "harness.h"

static const struct connectivity_target T_ = { "cm.example.org", 9618, "ANNEX_COLLECTOR_ADDRESS",
					       "HTCondorAnnex-ConnectivityFunction" };

static enum connectivity_outcome judge(const char *local, const char *reply, struct connectivity_result *r)
{
	struct connectivity_remote rem = { .invoked = 1, .reply = reply };

	connectivity_judge(&T_, local, "Connection refused", &rem, r);
	return r->outcome;
}

static void t_table(void)
{
	struct connectivity_result r;

	CHECK_INT(judge("0123456789abcdef", "{\"reachable\": true, \"instance_id\": \"0123456789abcdef\", "
			"\"description\": \"x\"}", &r), CONN_OK);
	CHECK_STR(r.line, "OK.");
	connectivity_result_free(&r);

	CHECK_INT(judge("0123456789abcdef", "{\"reachable\": true, \"instance_id\": \"00000000000000ff\"}", &r),
		  CONN_WRONG_DAEMON);
	CHECK(strstr(r.line, "FAILED: cm.example.org:9618 answers from AWS as instance 00000000000000ff, but the "
		     "collector answers here as instance 0123456789abcdef") != NULL);
	CHECK(strstr(r.line, "make ANNEX_COLLECTOR_ADDRESS lead") != NULL);
	CHECK(connectivity_refuses(r.outcome));
	connectivity_result_free(&r);

	CHECK_INT(judge("", "{\"reachable\": true, \"instance_id\": \"00000000000000ff\"}", &r), CONN_OK_UNCOMPARED);
	CHECK(strncmp(r.line, "OK. Note: the collector did not answer here (Connection refused)", 63) == 0);
	CHECK(!connectivity_refuses(r.outcome));
	connectivity_result_free(&r);

	CHECK_INT(judge("0123456789abcdef", "{\"reachable\": true, \"instance_id\": \"\", \"description\": \"odd\"}",
			&r), CONN_OK_UNCOMPARED);
	CHECK(strstr(r.line, "got no instance id (odd)") != NULL);
	connectivity_result_free(&r);

	CHECK_INT(judge("0123456789abcdef", "{\"reachable\": false, \"instance_id\": \"\", \"description\": "
			"\"[Errno 111] Connection refused\"}", &r), CONN_UNREACHABLE);
	CHECK(strstr(r.line, "FAILED: cm.example.org:9618 is not reachable from AWS ([Errno 111] Connection "
		     "refused). Forward port 9618") != NULL);
	CHECK(strstr(r.line, "CCB helps the nodes' side, not this one.") != NULL);
	CHECK(connectivity_refuses(r.outcome));
	connectivity_result_free(&r);
}

static void t_not_the_function_json(void)
{
	static const char *const bad[] = {
		"", "null", "[]", "Simple Lambda happy path OK", "{\"reachable\": 1}", "{\"reachable\": null}",
		"{\"reachable\": true, \"instance_id\": 7}", "{\"reachable\": true, \"description\": []}",
		"{\"instance_id\": \"0123456789abcdef\"}",
	};
	struct connectivity_result r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(judge("0123456789abcdef", bad[i], &r), CONN_WARNING);
		CHECK(strncmp(r.line, "WARNING: the connectivity function's reply is not the JSON", 58) == 0);
		CHECK(strchr(r.line, '\n') == NULL);
		connectivity_result_free(&r);
	}
	/* a reply's control characters never reach the line */
	CHECK_INT(judge("", "{\"reachable\": false, \"description\": \"a\\nb\\u001b[31m\"}", &r), CONN_UNREACHABLE);
	CHECK(strchr(r.line, '\n') == NULL && strchr(r.line, 0x1b) == NULL);
	connectivity_result_free(&r);
}

static void t_call_outcomes(void)
{
	struct connectivity_remote missing = { .invoked = 0 };
	struct connectivity_remote failed = { .invoked = -1, .call_error = "TooManyRequestsException: Rate exceeded" };
	struct connectivity_remote ferr = { .invoked = 1, .function_error = "Unhandled",
					    .reply = "{\"errorMessage\": \"boom\", \"errorType\": \"X\"}" };
	struct connectivity_target none = T_;
	struct connectivity_result r;

	connectivity_judge(&T_, "", "", &missing, &r);
	CHECK_INT(r.outcome, CONN_NO_FUNCTION);
	CHECK_STR(r.line, "FAILED: the connectivity function HTCondorAnnex-ConnectivityFunction does not exist; run "
		  "'annex -setup'.");
	CHECK(!connectivity_refuses(r.outcome));
	connectivity_result_free(&r);
	none.function = NULL;
	connectivity_judge(&none, "", "", &missing, &r);
	CHECK(strstr(r.line, "ANNEX_DEFAULT_CONNECTIVITY_FUNCTION_ARN is unset") != NULL);
	connectivity_result_free(&r);

	connectivity_judge(&T_, "", "", &failed, &r);
	CHECK_INT(r.outcome, CONN_WARNING);
	CHECK_STR(r.line, "WARNING: could not ask the connectivity function (TooManyRequestsException: Rate "
		  "exceeded); the collector was not checked from AWS.");
	connectivity_result_free(&r);

	connectivity_judge(&T_, "", "", &ferr, &r);
	CHECK_INT(r.outcome, CONN_WARNING);
	CHECK_STR(r.line, "WARNING: the connectivity function failed (Unhandled: boom); the collector was not checked "
		  "from AWS.");
	connectivity_result_free(&r);
}

static void t_tcp(void)
{
	struct connectivity_remote ok = { .invoked = 1, .reply = "{\"reachable\": true, \"instance_id\": \"\"}" };
	struct connectivity_remote no = { .invoked = 1, .reply = "{\"reachable\": false, \"description\": \"timed out\"}" };
	struct connectivity_target t = { "203.0.113.1", 9618, NULL, "F" };
	struct connectivity_result r;

	connectivity_judge_tcp(&t, "schedd vm", &ok, &r);
	CHECK_INT(r.outcome, CONN_OK);
	connectivity_result_free(&r);
	connectivity_judge_tcp(&t, "schedd vm", &no, &r);
	CHECK_INT(r.outcome, CONN_UNREACHABLE);
	CHECK(strstr(r.line, "(timed out): nodes will join but jobs from schedd vm will not start") != NULL);
	connectivity_result_free(&r);
}

static void t_schedds(void)
{
	struct connectivity_schedd *s;
	size_t n = connectivity_parse_schedds(
		"vm <10.77.0.2:9618?addrs=10.77.0.2-9618&alias=vm&noUDP&sock=schedd_15072_07ea>\n"
		"junk\n"
		"other undefined\n"
		"sub@host <203.0.113.1:9620?sock=x>\r\n", &s);

	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(s[0].name, "vm");
		CHECK_STR(s[0].host, "10.77.0.2");
		CHECK_INT(s[0].port, 9618);
		CHECK_STR(s[1].name, "sub@host");
		CHECK_STR(s[1].host, "203.0.113.1");
		CHECK_INT(s[1].port, 9620);
	}
	connectivity_schedds_free(s, n);
	CHECK_INT(connectivity_parse_schedds("", &s), 0);
	connectivity_schedds_free(s, 0);

	CHECK_INT(connectivity_schedd_unreachable_back("10.77.0.2", "203.0.113.1"), 1);
	CHECK_INT(connectivity_schedd_unreachable_back("172.20.1.1", "cm.example.org"), 1);
	CHECK_INT(connectivity_schedd_unreachable_back("192.168.1.5", "203.0.113.1"), 1);
	CHECK_INT(connectivity_schedd_unreachable_back("100.64.0.9", "203.0.113.1"), 1);   /* CGNAT */
	CHECK_INT(connectivity_schedd_unreachable_back("127.0.0.1", "203.0.113.1"), 1);
	CHECK_INT(connectivity_schedd_unreachable_back("169.254.3.3", "203.0.113.1"), 1);
	CHECK_INT(connectivity_schedd_unreachable_back("fd00::1", "203.0.113.1"), 1);
	CHECK_INT(connectivity_schedd_unreachable_back("100.128.0.1", "203.0.113.1"), 0);  /* past CGNAT */
	CHECK_INT(connectivity_schedd_unreachable_back("203.0.113.1", "203.0.113.1"), 0);
	CHECK_INT(connectivity_schedd_unreachable_back("10.77.0.2", "10.77.0.2"), 0);       /* a VPN: same side */
	CHECK_INT(connectivity_schedd_unreachable_back("10.77.0.2", "10.0.0.1"), 0);
}

TESTS(T(t_table), T(t_not_the_function_json), T(t_call_outcomes), T(t_tcp), T(t_schedds))
