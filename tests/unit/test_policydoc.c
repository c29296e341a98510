/* test_policydoc.c - IAM policy documents compared by meaning (policydoc.c):
 * IAM's URL-encoding, key order, spacing, one-element lists and scalars
 * written as strings are no difference; a changed condition, a missing or
 * extra statement is, and the diff names it by Sid. */
#include <stdlib.h>

#include "annex/policydoc.h"
#include "harness.h"

static const char *WANT =
	"{\"Version\":\"2012-10-17\",\"Statement\":["
	"{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Action\":[\"ec2:TerminateInstances\"],\"Resource\":\"*\","
	"\"Condition\":{\"StringLike\":{\"aws:ResourceTag/x\":\"?*\"}}},"
	"{\"Sid\":\"B\",\"Effect\":\"Allow\",\"Action\":[\"logs:A\",\"logs:B\"],\"Resource\":\"*\"}]}";

static void t_decode(void)
{
	char *d = policydoc_decode("%7B%22a%22%3A%20%22b%2Bc%22%7D");

	CHECK_STR(d, "{\"a\": \"b+c\"}");
	free(d);
	d = policydoc_decode("  {\"a\":\"%41\"}");
	CHECK_STR(d, "  {\"a\":\"%41\"}");        /* plain JSON is left alone */
	free(d);
}

static void t_same_by_meaning(void)
{
	/* reordered keys and statements, spacing, list order, one-element list as scalar, URL-encoded */
	const char *same =
		"%7B%22Statement%22%3A%5B%7B%22Resource%22%3A%22%2A%22%2C%22Action%22%3A%5B%22logs%3AB%22%2C"
		"%22logs%3AA%22%5D%2C%22Effect%22%3A%22Allow%22%2C%22Sid%22%3A%22B%22%7D%2C%20%7B%22Sid%22%3A"
		"%22A%22%2C%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22ec2%3ATerminateInstances%22%2C"
		"%22Resource%22%3A%5B%22%2A%22%5D%2C%22Condition%22%3A%7B%22StringLike%22%3A%7B%22aws%3A"
		"ResourceTag%2Fx%22%3A%5B%22%3F%2A%22%5D%7D%7D%7D%5D%2C%22Version%22%3A%222012-10-17%22%7D";
	char *d;

	CHECK(policydoc_same(WANT, WANT));
	CHECK(policydoc_same(same, WANT));
	d = policydoc_diff(same, WANT);
	CHECK_STR(d, "");
	free(d);
	CHECK(policydoc_same("{\"a\":{\"n\":3600,\"b\":true}}", "{\"a\":{\"n\":\"3600\",\"b\":\"true\"}}"));
	CHECK(!policydoc_same("not json", "not json"));
	CHECK(!policydoc_same("[1]", "[1]"));
}

static void t_differences_named(void)
{
	const char *changed =
		"{\"Version\":\"2012-10-17\",\"Statement\":["
		"{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Action\":\"ec2:TerminateInstances\",\"Resource\":\"*\"},"
		"{\"Sid\":\"B\",\"Effect\":\"Allow\",\"Action\":[\"logs:A\",\"logs:B\"],\"Resource\":\"*\"},"
		"{\"Sid\":\"Z\",\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}";
	const char *missing =
		"{\"Version\":\"2008-10-17\",\"Statement\":"
		"{\"Sid\":\"B\",\"Effect\":\"Allow\",\"Action\":[\"logs:A\",\"logs:B\"],\"Resource\":\"*\"}}";
	char *d;

	CHECK(!policydoc_same(changed, WANT));
	d = policydoc_diff(changed, WANT);
	CHECK_STR(d, "statement A changed; statement Z extra");
	free(d);
	d = policydoc_diff(missing, WANT);
	CHECK_STR(d, "statement A missing; Version differs");
	free(d);
	d = policydoc_diff("{\"Statement\":[]}", WANT);
	CHECK_STR(d, "statements A, B missing; Version differs");
	free(d);
	d = policydoc_diff("%7Bnope", WANT);
	CHECK_STR(d, "not a JSON policy document");
	free(d);
}

TESTS(T(t_decode), T(t_same_by_meaning), T(t_differences_named))
