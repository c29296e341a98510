/* Unit tests for endpoint.c: every precedence level, the partitions, IAM's
 * global endpoint, region validation and URL checks. */
#include "annex/aws.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const env_names[] = {
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_IAM",
	"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL_EVENTBRIDGE",
	"AWS_ENDPOINT_URL_SSM", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", NULL,
};

static void clean_env(void)
{
	for (int i = 0; env_names[i]; i++)
		unsetenv(env_names[i]);
}

/* Resolves and returns "url signing-region source custom" for compact checks. */
static const char *resolve(enum aws_service svc, const char *region, const char *opt, const char *knob)
{
	static char out[2048];
	struct aws_endpoint ep;
	struct annex_err err;

	annex_err_clear(&err);
	if (aws_endpoint_resolve(svc, region, opt, knob, &ep, &err) < 0) {
		snprintf(out, sizeof(out), "ERR %s: %s", err.code, err.msg);
		return out;
	}
	snprintf(out, sizeof(out), "%s %s %s %d", ep.url, ep.signing_region, ep.source, ep.custom);
	aws_endpoint_free(&ep);
	return out;
}

static void t_derived(void)
{
	clean_env();
	CHECK_STR(resolve(AWS_EC2, "us-east-1", NULL, NULL), "https://ec2.us-east-1.amazonaws.com us-east-1 derived 0");
	CHECK_STR(resolve(AWS_S3, "eu-west-2", NULL, NULL), "https://s3.eu-west-2.amazonaws.com eu-west-2 derived 0");
	CHECK_STR(resolve(AWS_STS, "ap-south-1", NULL, NULL), "https://sts.ap-south-1.amazonaws.com ap-south-1 derived 0");
	CHECK_STR(resolve(AWS_LAMBDA, "us-west-2", NULL, NULL), "https://lambda.us-west-2.amazonaws.com us-west-2 derived 0");
	CHECK_STR(resolve(AWS_EVENTS, "us-west-2", NULL, NULL), "https://events.us-west-2.amazonaws.com us-west-2 derived 0");
	CHECK_STR(resolve(AWS_SSM, "eu-central-1", NULL, NULL), "https://ssm.eu-central-1.amazonaws.com eu-central-1 derived 0");
}

static void t_iam_global(void)
{
	clean_env();
	CHECK_STR(resolve(AWS_IAM, "eu-west-1", NULL, NULL), "https://iam.amazonaws.com us-east-1 derived 0");
	CHECK_STR(resolve(AWS_IAM, "cn-northwest-1", NULL, NULL),
		  "https://iam.cn-north-1.amazonaws.com.cn cn-north-1 derived 0");
	CHECK_STR(resolve(AWS_IAM, "us-gov-east-1", NULL, NULL),
		  "https://iam.us-gov.amazonaws.com us-gov-west-1 derived 0");
	/* a configured IAM endpoint is still signed for the partition's global region */
	CHECK_STR(resolve(AWS_IAM, "eu-west-1", "http://127.0.0.1:5000", NULL),
		  "http://127.0.0.1:5000 us-east-1 -aws-iam-url 1");
	/* the Price List API answers in us-east-1 (cn-northwest-1 in China), whatever the region priced */
	CHECK_STR(resolve(AWS_PRICING, "eu-west-2", NULL, NULL),
		  "https://api.pricing.us-east-1.amazonaws.com us-east-1 derived 0");
	CHECK_STR(resolve(AWS_PRICING, "cn-north-1", NULL, NULL),
		  "https://api.pricing.cn-northwest-1.amazonaws.com.cn cn-northwest-1 derived 0");
}

static void t_partitions(void)
{
	clean_env();
	CHECK_STR(aws_partition("us-east-1"), "aws");
	CHECK_STR(aws_partition("cn-north-1"), "aws-cn");
	CHECK_STR(aws_partition("us-gov-west-1"), "aws-us-gov");
	CHECK_STR(aws_partition("us-iso-east-1"), "aws-iso");
	CHECK_STR(aws_partition("us-isob-east-1"), "aws-iso-b");
	CHECK_STR(resolve(AWS_EC2, "cn-north-1", NULL, NULL),
		  "https://ec2.cn-north-1.amazonaws.com.cn cn-north-1 derived 0");
	CHECK_STR(resolve(AWS_S3, "cn-northwest-1", NULL, NULL),
		  "https://s3.cn-northwest-1.amazonaws.com.cn cn-northwest-1 derived 0");
	CHECK_STR(resolve(AWS_EC2, "us-gov-west-1", NULL, NULL),
		  "https://ec2.us-gov-west-1.amazonaws.com us-gov-west-1 derived 0");
}

/* Each level, from the highest down, taken away in turn. */
static void t_precedence(void)
{
	clean_env();
	setenv("AWS_ENDPOINT_URL_EC2", "http://127.0.0.2:2", 1);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.3:3", 1);
	CHECK_STR(resolve(AWS_EC2, "eu-west-3", "http://127.0.0.1:1", "http://127.0.0.4:4"),
		  "http://127.0.0.1:1 eu-west-3 -aws-ec2-url 1");
	CHECK_STR(resolve(AWS_EC2, "eu-west-3", NULL, "http://127.0.0.4:4"),
		  "http://127.0.0.2:2 eu-west-3 AWS_ENDPOINT_URL_EC2 1");
	CHECK_STR(resolve(AWS_EC2, "eu-west-3", "", "http://127.0.0.4:4"),
		  "http://127.0.0.2:2 eu-west-3 AWS_ENDPOINT_URL_EC2 1");
	unsetenv("AWS_ENDPOINT_URL_EC2");
	CHECK_STR(resolve(AWS_EC2, "eu-west-3", NULL, "http://127.0.0.4:4"),
		  "http://127.0.0.3:3 eu-west-3 AWS_ENDPOINT_URL 1");
	unsetenv("AWS_ENDPOINT_URL");
	CHECK_STR(resolve(AWS_EC2, "eu-west-3", NULL, "http://127.0.0.4:4"),
		  "http://127.0.0.4:4 eu-west-3 ANNEX_DEFAULT_EC2_URL 1");
	CHECK_STR(resolve(AWS_EC2, "eu-west-3", NULL, NULL),
		  "https://ec2.eu-west-3.amazonaws.com eu-west-3 derived 0");
	/* an empty variable counts as unset */
	setenv("AWS_ENDPOINT_URL_EC2", "", 1);
	CHECK_STR(resolve(AWS_EC2, "eu-west-3", NULL, NULL),
		  "https://ec2.eu-west-3.amazonaws.com eu-west-3 derived 0");
	clean_env();
}

static void t_service_names(void)
{
	clean_env();
	setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", "http://127.0.0.1:7", 1);
	setenv("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:8", 1);
	setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9", 1);
	setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:10", 1);
	setenv("AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:11", 1);
	CHECK_STR(resolve(AWS_EVENTS, "us-east-1", NULL, "http://127.0.0.9:1"),
		  "http://127.0.0.1:7 us-east-1 AWS_ENDPOINT_URL_EVENTBRIDGE 1");
	CHECK_STR(resolve(AWS_LAMBDA, "us-east-1", NULL, NULL), "http://127.0.0.1:8 us-east-1 AWS_ENDPOINT_URL_LAMBDA 1");
	CHECK_STR(resolve(AWS_S3, "us-east-1", NULL, NULL), "http://127.0.0.1:9 us-east-1 AWS_ENDPOINT_URL_S3 1");
	CHECK_STR(resolve(AWS_STS, "us-east-1", NULL, NULL), "http://127.0.0.1:10 us-east-1 AWS_ENDPOINT_URL_STS 1");
	CHECK_STR(resolve(AWS_IAM, "us-east-1", NULL, NULL), "http://127.0.0.1:11 us-east-1 AWS_ENDPOINT_URL_IAM 1");
	clean_env();
	/* the knob names: CWE for events; IAM and STS have no knob */
	CHECK_STR(resolve(AWS_EVENTS, "us-east-1", NULL, "http://127.0.0.9:1"),
		  "http://127.0.0.9:1 us-east-1 ANNEX_DEFAULT_CWE_URL 1");
	CHECK_STR(resolve(AWS_LAMBDA, "us-east-1", NULL, "http://127.0.0.9:1"),
		  "http://127.0.0.9:1 us-east-1 ANNEX_DEFAULT_LAMBDA_URL 1");
	CHECK_STR(resolve(AWS_S3, "us-east-1", NULL, "http://127.0.0.9:1"),
		  "http://127.0.0.9:1 us-east-1 ANNEX_DEFAULT_S3_URL 1");
	CHECK_STR(resolve(AWS_IAM, "us-east-1", NULL, "http://127.0.0.9:1"),
		  "https://iam.amazonaws.com us-east-1 derived 0");
	CHECK_STR(resolve(AWS_STS, "us-east-1", NULL, "http://127.0.0.9:1"),
		  "https://sts.us-east-1.amazonaws.com us-east-1 derived 0");
	/* the option names */
	CHECK_STR(resolve(AWS_EVENTS, "us-east-1", "https://x.example:8443/base/", NULL),
		  "https://x.example:8443/base us-east-1 -aws-events-url 1");
	CHECK_STR(resolve(AWS_STS, "us-east-1", "http://127.0.0.1:1/", NULL),
		  "http://127.0.0.1:1 us-east-1 -aws-sts-url 1");
}

static void t_signing_region_not_from_url(void)
{
	clean_env();
	CHECK_STR(resolve(AWS_EC2, "ap-southeast-2", "https://ec2.eu-west-1.amazonaws.com", NULL),
		  "https://ec2.eu-west-1.amazonaws.com ap-southeast-2 -aws-ec2-url 1");
}

static void t_ignore_configured(void)
{
	clean_env();
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.3:3", 1);
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	CHECK_STR(resolve(AWS_EC2, "us-east-1", NULL, NULL), "https://ec2.us-east-1.amazonaws.com us-east-1 derived 0");
	CHECK_STR(resolve(AWS_EC2, "us-east-1", "http://127.0.0.1:1", NULL), "http://127.0.0.1:1 us-east-1 -aws-ec2-url 1");
	clean_env();
}

static void t_bad_region(void)
{
	static const char *const bad[] = {
		"", "US-EAST-1", "useast1", "us-east", "us-east-1a", "us-east-1;ls", "../etc", "u-east-1",
		"us_east_1", "us-east-1 ", NULL,
	};
	static const char *const good[] = {
		"us-east-1", "eu-central-2", "ap-northeast-3", "cn-north-1", "us-gov-west-1",
		"us-iso-east-1", "us-isob-east-1", "il-central-1", NULL,
	};
	struct annex_err err;

	clean_env();
	for (int i = 0; bad[i]; i++) {
		annex_err_clear(&err);
		CHECK(aws_region_validate(bad[i], &err) == -1);
		CHECK_STR(err.code, "Config");
		CHECK(strstr(err.msg, "region") != NULL);
	}
	CHECK(aws_region_validate(NULL, &err) == -1);
	for (int i = 0; good[i]; i++)
		CHECK(aws_region_validate(good[i], NULL) == 0);
	CHECK(strncmp(resolve(AWS_EC2, "Mars-1", NULL, NULL), "ERR Config: invalid AWS region 'Mars-1'", 38) == 0);
	/* the region is checked before any URL, even a configured one */
	CHECK(strncmp(resolve(AWS_EC2, "bogus", "http://127.0.0.1:1", NULL), "ERR Config", 10) == 0);
}

static void t_bad_url(void)
{
	clean_env();
	CHECK_STR(resolve(AWS_EC2, "us-east-1", "ftp://127.0.0.1", NULL),
		  "ERR Config: -aws-ec2-url: endpoint URL 'ftp://127.0.0.1' must start with https:// or http://");
	CHECK(strncmp(resolve(AWS_EC2, "us-east-1", "http://", NULL), "ERR Config: -aws-ec2-url", 24) == 0);
	CHECK(strncmp(resolve(AWS_EC2, "us-east-1", "http://u:p@h", NULL), "ERR Config", 10) == 0);
	CHECK(strncmp(resolve(AWS_EC2, "us-east-1", "http://h/?x=1", NULL), "ERR Config", 10) == 0);
	CHECK(strncmp(resolve(AWS_EC2, "us-east-1", "127.0.0.1:5000", NULL), "ERR Config", 10) == 0);
	setenv("AWS_ENDPOINT_URL", "localhost:5000", 1);
	CHECK(strncmp(resolve(AWS_S3, "us-east-1", NULL, NULL), "ERR Config: AWS_ENDPOINT_URL:", 29) == 0);
	clean_env();
	CHECK(strncmp(resolve(AWS_S3, "us-east-1", NULL, "s3.amazonaws.com"),
		      "ERR Config: ANNEX_DEFAULT_S3_URL:", 33) == 0);
	/* upper-case scheme is fine; https stays https */
	CHECK_STR(resolve(AWS_EC2, "us-east-1", "HTTPS://ec2.example", NULL),
		  "https://ec2.example us-east-1 -aws-ec2-url 1");
}

/* AWS's own hosts take only https://, whatever names them; other hosts
 * (emulators, tests) may be plain http://. */
static void t_http_refused_for_aws_hosts(void)
{
	static const char *const aws_urls[] = {
		"http://ec2.us-east-1.amazonaws.com", "http://EC2.US-EAST-1.AMAZONAWS.COM/",
		"http://s3.amazonaws.com:80", "http://bucket.s3.cn-north-1.amazonaws.com.cn/base",
		"http://iam.amazonaws.com.", "http://amazonaws.com", "http://ec2.us-east-1.api.aws",
		"http://ec2.us-iso-east-1.c2s.ic.gov", NULL,
	};
	static const char *const other_urls[] = {
		"http://127.0.0.1:5000", "http://localhost:4566", "http://[::1]:4566", "http://amazonaws.com.example",
		"http://notamazonaws.com", "http://amazonaws.com.cn.evil.example", "http://h/amazonaws.com", NULL,
	};
	const char *r;

	clean_env();
	for (int i = 0; aws_urls[i]; i++) {
		r = resolve(AWS_EC2, "us-east-1", aws_urls[i], NULL);
		CHECK(strncmp(r, "ERR Config: -aws-ec2-url: endpoint URL '", 40) == 0);
		CHECK(strstr(r, "names an AWS host over plain http://") != NULL);
		if (strncmp(r, "ERR", 3) != 0)
			fprintf(stderr, "accepted: %s\n", aws_urls[i]);
	}
	for (int i = 0; other_urls[i]; i++) {
		r = resolve(AWS_EC2, "us-east-1", other_urls[i], NULL);
		CHECK(strncmp(r, "ERR", 3) != 0);
		if (strncmp(r, "ERR", 3) == 0)
			fprintf(stderr, "refused: %s\n", r);
	}
	/* each source is named */
	setenv("AWS_ENDPOINT_URL_S3", "http://s3.us-west-2.amazonaws.com", 1);
	CHECK(strncmp(resolve(AWS_S3, "us-west-2", NULL, NULL), "ERR Config: AWS_ENDPOINT_URL_S3: ", 33) == 0);
	clean_env();
	setenv("AWS_ENDPOINT_URL", "http://sts.amazonaws.com", 1);
	CHECK(strncmp(resolve(AWS_STS, "us-east-1", NULL, NULL), "ERR Config: AWS_ENDPOINT_URL: ", 30) == 0);
	clean_env();
	CHECK(strncmp(resolve(AWS_LAMBDA, "us-east-1", NULL, "http://lambda.us-east-1.amazonaws.com"),
		      "ERR Config: ANNEX_DEFAULT_LAMBDA_URL: ", 38) == 0);
	/* https to the same hosts is fine */
	CHECK_STR(resolve(AWS_EC2, "us-east-1", "https://ec2.us-east-1.amazonaws.com", NULL),
		  "https://ec2.us-east-1.amazonaws.com us-east-1 -aws-ec2-url 1");
}

static void t_service_name(void)
{
	CHECK_STR(aws_service_name(AWS_EC2), "ec2");
	CHECK_STR(aws_service_name(AWS_EVENTS), "events");
	CHECK_STR(aws_service_name(AWS_LAMBDA), "lambda");
	CHECK_STR(aws_service_name(AWS_N_SERVICES), "?");
}

TESTS(T(t_derived), T(t_iam_global), T(t_partitions), T(t_precedence), T(t_service_names),
      T(t_signing_region_not_from_url), T(t_ignore_configured), T(t_bad_region), T(t_bad_url),
      T(t_http_refused_for_aws_hosts), T(t_service_name))
