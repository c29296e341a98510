/* Unit tests for aws_error.c: every error reply shape becomes
 * "CODE: message (request id)" with code, status and retryability set. */
#include "annex/aws.h"
#include "harness.h"

#include <stdlib.h>

/* Builds a response from a body and up to two headers, decodes it. */
static struct annex_err decode(long status, const char *body, const char *h1, const char *v1,
			       const char *h2, const char *v2)
{
	struct http_response r;
	struct http_header hs[2];
	struct annex_err err;

	memset(&r, 0, sizeof(r));
	r.status = status;
	if (body)
		buf_puts(&r.body, body);
	if (h1) {
		hs[r.n_headers].name = (char *)h1;
		hs[r.n_headers++].value = (char *)v1;
	}
	if (h2) {
		hs[r.n_headers].name = (char *)h2;
		hs[r.n_headers++].value = (char *)v2;
	}
	r.headers = hs;
	annex_err_clear(&err);
	CHECK_INT(aws_error_decode(status, &r, &err), -1);
	buf_free(&r.body);
	return err;
}

static void t_ec2(void)
{
	struct annex_err e = decode(400,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>InvalidAMIID.NotFound</Code>"
		"<Message>The image id '[ami-1]' does not exist</Message></Error></Errors>"
		"<RequestID>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestID></Response>", NULL, NULL, NULL, NULL);
	CHECK_STR(e.code, "InvalidAMIID.NotFound");
	CHECK_STR(e.msg, "InvalidAMIID.NotFound: The image id '[ami-1]' does not exist (7a62c49f-347e-4fc4-9331-6e8eEXAMPLE)");
	CHECK_INT(e.http_status, 400);
	CHECK_INT(e.retryable, 0);

	e = decode(401, "<Response><Errors><Error><Code>AuthFailure</Code><Message>AWS was not able to validate the "
		   "provided access credentials</Message></Error></Errors><RequestID>r1</RequestID></Response>",
		   NULL, NULL, NULL, NULL);
	CHECK_STR(e.msg, "AuthFailure: AWS was not able to validate the provided access credentials (r1)");

	e = decode(503, "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
		   "</Message></Error></Errors><RequestID>r2</RequestID></Response>", NULL, NULL, NULL, NULL);
	CHECK_STR(e.code, "RequestLimitExceeded");
	CHECK_INT(e.retryable, 1);
}

static void t_iam_sts(void)
{
	struct annex_err e = decode(409,
		"<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\n  <Error>\n    <Type>Sender</Type>\n"
		"    <Code>EntityAlreadyExists</Code>\n    <Message>Role with name X already exists.</Message>\n  </Error>\n"
		"  <RequestId>4a5c2d8e-0000</RequestId>\n</ErrorResponse>\n", NULL, NULL, NULL, NULL);
	CHECK_STR(e.code, "EntityAlreadyExists");
	CHECK_STR(e.msg, "EntityAlreadyExists: Role with name X already exists. (4a5c2d8e-0000)");
	CHECK_INT(e.http_status, 409);

	e = decode(400, "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded"
		   "</Message></Error><RequestId>r3</RequestId></ErrorResponse>", NULL, NULL, NULL, NULL);
	CHECK_STR(e.code, "Throttling");
	CHECK_INT(e.retryable, 1);

	e = decode(403, "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we "
		   "calculated does not match the signature you provided.</Message></Error></ErrorResponse>",
		   NULL, NULL, NULL, NULL);
	CHECK_STR(e.msg, "SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided.");
}

static void t_s3(void)
{
	struct annex_err e = decode(404,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code><Message>The specified bucket "
		"does not exist</Message><BucketName>b</BucketName><RequestId>4442587FB7D0A2F9</RequestId>"
		"<HostId>abc=</HostId></Error>", NULL, NULL, NULL, NULL);
	CHECK_STR(e.msg, "NoSuchBucket: The specified bucket does not exist (4442587FB7D0A2F9)");

	/* request id from the header when the body has none */
	e = decode(503, "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
		   "x-amz-request-id", "HDRID", NULL, NULL);
	CHECK_STR(e.msg, "SlowDown: Please reduce your request rate. (HDRID)");
	CHECK_INT(e.retryable, 1);

	/* HEAD: no body at all */
	e = decode(404, NULL, "x-amz-request-id", "R9", NULL, NULL);
	CHECK_STR(e.code, "NotFound");
	CHECK_STR(e.msg, "NotFound: HTTP status 404 (R9)");
	e = decode(403, "", NULL, NULL, NULL, NULL);
	CHECK_STR(e.msg, "Forbidden: HTTP status 403");
}

static void t_json(void)
{
	struct annex_err e = decode(400,
		"{\"__type\":\"com.amazonaws.events#ResourceNotFoundException\",\"message\":\"Rule r does not exist.\"}",
		"x-amzn-RequestId", "ev-1", "Content-Type", "application/x-amz-json-1.1");
	CHECK_STR(e.code, "ResourceNotFoundException");
	CHECK_STR(e.msg, "ResourceNotFoundException: Rule r does not exist. (ev-1)");

	e = decode(400, "{\"__type\":\"ThrottlingException\",\"Message\":\"Rate exceeded\"}", NULL, NULL, NULL, NULL);
	CHECK_STR(e.msg, "ThrottlingException: Rate exceeded");
	CHECK_INT(e.retryable, 1);

	/* REST-JSON: the header names the error, "Code:<url>" */
	e = decode(404, "{\"Type\":\"User\",\"Message\":\"Function not found: arn:aws:lambda:us-east-1:1:function:f\"}",
		   "x-amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.awslambda/",
		   "x-amzn-RequestId", "lam-2");
	CHECK_STR(e.code, "ResourceNotFoundException");
	CHECK_STR(e.msg, "ResourceNotFoundException: Function not found: arn:aws:lambda:us-east-1:1:function:f (lam-2)");

	e = decode(429, "{\"message\":\"Rate exceeded\"}", "x-amzn-ErrorType", "TooManyRequestsException", NULL, NULL);
	CHECK_STR(e.code, "TooManyRequestsException");
	CHECK_INT(e.retryable, 1);
	CHECK_INT(e.http_status, 429);
}

/* moto answers signature failures on JSON services as XML */
static void t_xml_on_json_service(void)
{
	struct annex_err e = decode(403,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch"
		"</Code><Message>The request signature we calculated does not match the signature you provided."
		"</Message></Error></Errors></ErrorResponse>", "x-amzn-RequestId", "m-1", NULL, NULL);
	CHECK_STR(e.code, "SignatureDoesNotMatch");
	CHECK(strstr(e.msg, "(m-1)") != NULL);

	e = decode(403, "<ErrorResponse><Error><Code>InvalidClientTokenId</Code><Message>The security token "
		   "included in the request is invalid.</Message></Error><RequestId>m2</RequestId></ErrorResponse>",
		   NULL, NULL, NULL, NULL);
	CHECK_STR(e.msg, "InvalidClientTokenId: The security token included in the request is invalid. (m2)");
}

static void t_status_only(void)
{
	struct annex_err e = decode(502, "<html><body>Bad Gateway</body>", NULL, NULL, NULL, NULL);
	CHECK_STR(e.code, "BadGateway");
	CHECK_INT(e.retryable, 1);
	e = decode(500, "not xml", NULL, NULL, NULL, NULL);
	CHECK_STR(e.code, "InternalError");
	CHECK_INT(e.retryable, 1);
	e = decode(504, NULL, NULL, NULL, NULL, NULL);
	CHECK_INT(e.retryable, 1);
	e = decode(418, "{broken json", NULL, NULL, NULL, NULL);
	CHECK_STR(e.msg, "HTTP418: HTTP status 418");
	CHECK_INT(e.retryable, 0);
	e = decode(400, "<Response><Errors><Error><Code>DryRunOperation</Code><Message>Request would have "
		   "succeeded, but DryRun flag is set.</Message></Error></Errors></Response>", NULL, NULL, NULL, NULL);
	CHECK_STR(e.code, "DryRunOperation");
	CHECK_INT(e.retryable, 0);
}

/* A message with newlines and tabs becomes one line. */
static void t_one_line(void)
{
	struct annex_err e = decode(400, "<Error><Code>X</Code><Message>line one\n\tline two  </Message></Error>",
				    NULL, NULL, NULL, NULL);
	CHECK_STR(e.msg, "X: line one line two");
}

static void t_throttle_codes(void)
{
	static const char *const codes[] = {
		"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "SlowDown",
		"RequestThrottled", "ProvisionedThroughputExceededException", "EC2ThrottledException",
		"PriorRequestNotComplete", "ThrottledException", "RequestThrottledException", "BandwidthLimitExceeded",
		"TransactionInProgressException", "LimitExceededException", NULL,
	};
	for (int i = 0; codes[i]; i++)
		CHECK(aws_error_is_throttle(codes[i]));
	CHECK(!aws_error_is_throttle("AccessDenied"));
	CHECK(!aws_error_is_throttle(NULL));
	CHECK(!aws_error_is_throttle("throttling"));
	CHECK(!aws_error_is_throttle("LimitExceeded"));   /* IAM's: a quota, not a rate */
}

static void t_backoff(void)
{
	/* the ceiling doubles from base and stops at cap */
	CHECK_INT(aws_backoff_delay_ms(0, 100, 20000, UINT64_MAX), UINT64_MAX % 101);
	CHECK_INT(aws_backoff_delay_ms(0, 100, 20000, 100), 100);
	CHECK_INT(aws_backoff_delay_ms(0, 100, 20000, 101), 0);
	CHECK_INT(aws_backoff_delay_ms(1, 100, 20000, 200), 200);
	CHECK_INT(aws_backoff_delay_ms(3, 100, 20000, 800), 800);
	CHECK_INT(aws_backoff_delay_ms(3, 100, 20000, 801), 0);
	CHECK_INT(aws_backoff_delay_ms(10, 100, 20000, 20000), 20000);
	CHECK_INT(aws_backoff_delay_ms(60, 100, 20000, 20000), 20000);
	CHECK_INT(aws_backoff_delay_ms(1000, 100, 20000, 20001), 0);
	CHECK_INT(aws_backoff_delay_ms(2, 0, 20000, 12345), 0);
	/* full jitter: over many draws the delays cover [0, ceiling] and never exceed it */
	uint64_t x = 88172645463325252ULL;
	long lo = 1 << 30, hi = -1;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		long d = aws_backoff_delay_ms(2, 100, 20000, x);
		if (d < lo) lo = d;
		if (d > hi) hi = d;
	}
	CHECK(lo >= 0 && lo < 10);
	CHECK(hi <= 400 && hi > 390);
}

TESTS(T(t_ec2), T(t_iam_sts), T(t_s3), T(t_json), T(t_xml_on_json_service), T(t_status_only), T(t_one_line),
      T(t_throttle_codes), T(t_backoff))
