/* Unit tests for permprobe.c's probe list (ANNEX_CHECK_PERMISSIONS) and
 * for the AWS reply its verdict reads: an UnauthorizedOperation keeps its
 * code, and the encoded authorization message stays in the message for
 * permprobe to cut. */
#include "annex/permprobe.h"
#include "harness.h"

#include <string.h>

static void t_validate(void)
{
	struct annex_err e;

	annex_err_clear(&e);
	CHECK_INT(permprobe_validate(NULL, &e), 0);
	CHECK_INT(permprobe_validate("", &e), 0);
	CHECK_INT(permprobe_validate("none", &e), 0);
	CHECK_INT(permprobe_validate(permprobe_actions, &e), 0);
	CHECK_INT(permprobe_validate("RunInstances,TerminateInstances , DescribeInstances", &e), 0);
	CHECK_INT(permprobe_validate("RunInstances, runinstances", &e), -1);
	CHECK_STR(e.code, "Config");
	CHECK(strstr(e.msg, "'runinstances' is no probe") != NULL);
	CHECK_INT(permprobe_validate("RunInstance", &e), -1);
	CHECK(strstr(e.msg, "'RunInstance' is no probe") != NULL);
}

static void t_unauthorized_decoded(void)
{
	struct http_response r;
	struct annex_err e;

	memset(&r, 0, sizeof(r));
	buf_puts(&r.body, "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not "
		 "authorized to perform this operation. Encoded authorization failure message: QUJD</Message>"
		 "</Error></Errors><RequestID>r-1</RequestID></Response>");
	annex_err_clear(&e);
	CHECK_INT(aws_error_decode(403, &r, &e), -1);
	CHECK_STR(e.code, "UnauthorizedOperation");
	CHECK_INT(e.retryable, 0);
	CHECK(strstr(e.msg, " Encoded authorization failure message: QUJD") != NULL);
	buf_free(&r.body);
}

TESTS(T(t_validate), T(t_unauthorized_decoded))
