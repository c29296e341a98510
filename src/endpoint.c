/* endpoint.c - regions, partitions and endpoint resolution (SPEC.md
 * section 4; see include/annex/aws.h). */
#include "annex/aws.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct endpoint_service {
	const char *name;       /* signing name and host label */
	const char *env;        /* AWS_ENDPOINT_URL_<...> */
	const char *knob;       /* ANNEX_DEFAULT_<...>_URL or NULL */
	const char *option;     /* -aws-*-url or NULL */
};

static const struct endpoint_service endpoint_services[AWS_N_SERVICES] = {
	[AWS_EC2] = { "ec2", "AWS_ENDPOINT_URL_EC2", "ANNEX_DEFAULT_EC2_URL", "-aws-ec2-url" },
	[AWS_S3] = { "s3", "AWS_ENDPOINT_URL_S3", "ANNEX_DEFAULT_S3_URL", "-aws-s3-url" },
	[AWS_IAM] = { "iam", "AWS_ENDPOINT_URL_IAM", NULL, "-aws-iam-url" },
	[AWS_STS] = { "sts", "AWS_ENDPOINT_URL_STS", NULL, "-aws-sts-url" },
	[AWS_LAMBDA] = { "lambda", "AWS_ENDPOINT_URL_LAMBDA", "ANNEX_DEFAULT_LAMBDA_URL", "-aws-lambda-url" },
	[AWS_EVENTS] = { "events", "AWS_ENDPOINT_URL_EVENTBRIDGE", "ANNEX_DEFAULT_CWE_URL", "-aws-events-url" },
	[AWS_SSM] = { "ssm", "AWS_ENDPOINT_URL_SSM", NULL, NULL },
	[AWS_PRICING] = { "pricing", "AWS_ENDPOINT_URL_PRICING", NULL, NULL },
};

struct endpoint_partition {
	const char *name;
	const char *prefix;      /* region prefix that selects it */
	const char *domain;
	const char *iam_host;
	const char *iam_region;
};

/* Longest prefixes first: "us-isob-" before "us-iso-", both before "us-". */
static const struct endpoint_partition endpoint_partitions[] = {
	{ "aws-iso-b", "us-isob-", "sc2s.sgov.gov", "iam.us-isob-east-1.sc2s.sgov.gov", "us-isob-east-1" },
	{ "aws-iso", "us-iso-", "c2s.ic.gov", "iam.us-iso-east-1.c2s.ic.gov", "us-iso-east-1" },
	{ "aws-us-gov", "us-gov-", "amazonaws.com", "iam.us-gov.amazonaws.com", "us-gov-west-1" },
	{ "aws-cn", "cn-", "amazonaws.com.cn", "iam.cn-north-1.amazonaws.com.cn", "cn-north-1" },
	{ "aws", "", "amazonaws.com", "iam.amazonaws.com", "us-east-1" },
};

static const struct endpoint_partition *endpoint_partition_of(const char *region)
{
	size_t n = sizeof(endpoint_partitions) / sizeof(endpoint_partitions[0]);

	for (size_t i = 0; i < n; i++)
		if (strncmp(region, endpoint_partitions[i].prefix, strlen(endpoint_partitions[i].prefix)) == 0)
			return &endpoint_partitions[i];
	return &endpoint_partitions[n - 1];
}

const char *aws_service_name(enum aws_service svc)
{
	return (unsigned)svc < AWS_N_SERVICES ? endpoint_services[svc].name : "?";
}

const char *aws_partition(const char *region)
{
	return endpoint_partition_of(region ? region : "")->name;
}

int aws_region_validate(const char *region, struct annex_err *err)
{
	static const char *pattern = "^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$";
	regex_t re;
	int ok;

	if (!region || !*region)
		return annex_err_set(err, "Config", "no AWS region given (use -aws-region, e.g. us-east-1)");
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return annex_err_set(err, "Config", "internal error: region pattern");
	ok = strlen(region) < 40 && regexec(&re, region, 0, NULL, 0) == 0;
	regfree(&re);
	if (!ok)
		return annex_err_set(err, "Config",
				     "invalid AWS region '%.64s': a region looks like us-east-1, "
				     "eu-west-2, cn-north-1 or us-gov-west-1", region);
	return 0;
}

/* AWS's own domains, in every partition: a host in one of them is AWS,
 * and a request to it carries a signature that must not travel in clear. */
static const char *const endpoint_aws_domains[] = {
	"amazonaws.com", "amazonaws.com.cn", "api.aws", "c2s.ic.gov", "sc2s.sgov.gov",
};

/* Whether host (as in a URL: "name", "name:port", "[v6]:port") is AWS's:
 * one of those domains or a name below one, in any case, with or without
 * the root's trailing dot. */
static int endpoint_host_is_aws(const char *host, size_t len)
{
	char name[256];

	if (len && host[0] == '[')
		return 0;
	len = strcspn(host, ":") < len ? strcspn(host, ":") : len;
	while (len && host[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof(name))
		return 0;
	for (size_t i = 0; i < len; i++)
		name[i] = (char)tolower((unsigned char)host[i]);
	name[len] = 0;
	for (size_t i = 0; i < sizeof(endpoint_aws_domains) / sizeof(endpoint_aws_domains[0]); i++) {
		const char *d = endpoint_aws_domains[i];
		size_t dl = strlen(d);
		if (len == dl && strcmp(name, d) == 0)
			return 1;
		if (len > dl && name[len - dl - 1] == '.' && strcmp(name + len - dl, d) == 0)
			return 1;
	}
	return 0;
}

/* Splits a configured URL into scheme, host[:port] and base path. Accepts
 * only http:// and https://, a non-empty host, no user info, query or
 * fragment; plain http:// only for hosts that are not AWS's own (an
 * emulator, a test server), so a signed request never goes to AWS in
 * clear. */
static int endpoint_parse(const char *url, const char *source, struct aws_endpoint *ep,
			  struct annex_err *err)
{
	const char *host, *end;
	size_t path_len;

	if (strncasecmp(url, "https://", 8) == 0) {
		ep->https = 1;
		host = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		ep->https = 0;
		host = url + 7;
	} else {
		return annex_err_set(err, "Config", "%s: endpoint URL '%.200s' must start with https:// or http://",
				     source, url);
	}
	end = host + strcspn(host, "/?#");
	if (end == host || memchr(host, '@', (size_t)(end - host)) || strpbrk(end, "?#"))
		return annex_err_set(err, "Config", "%s: endpoint URL '%.200s' is not scheme://host[:port][/path]",
				     source, url);
	for (const char *p = host; p < end; p++)
		if (isspace((unsigned char)*p))
			return annex_err_set(err, "Config", "%s: endpoint URL '%.200s' has a space in its host",
					     source, url);
	if (!ep->https && endpoint_host_is_aws(host, (size_t)(end - host)))
		return annex_err_set(err, "Config", "%s: endpoint URL '%.200s' names an AWS host over plain "
				     "http://; AWS's own hosts (*.amazonaws.com, *.amazonaws.com.cn, *.api.aws) "
				     "take only https://, so that signed requests never travel in clear",
				     source, url);
	path_len = strlen(end);
	while (path_len && end[path_len - 1] == '/')
		path_len--;
	ep->host = xstrndup(host, (size_t)(end - host));
	ep->base_path = xstrndup(end, path_len);
	ep->url = xasprintf("%s://%s%s", ep->https ? "https" : "http", ep->host, ep->base_path);
	ep->source = source;
	ep->custom = 1;
	return 0;
}

/* The Price List API answers in few regions, whatever region the price
 * is for: us-east-1 in the aws partition, cn-northwest-1 in China; other
 * partitions have none (the call then fails and annex says so). */
static const char *endpoint_pricing_region(const struct endpoint_partition *part)
{
	return strcmp(part->name, "aws-cn") == 0 ? "cn-northwest-1" : "us-east-1";
}

static const char *endpoint_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int aws_endpoint_resolve(enum aws_service svc, const char *region, const char *option_url,
			 const char *knob_url, struct aws_endpoint *out, struct annex_err *err)
{
	const struct endpoint_service *s;
	const struct endpoint_partition *part;
	const char *ignore = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	int use_env = !(ignore && strcasecmp(ignore, "true") == 0);
	const char *v;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((unsigned)svc >= AWS_N_SERVICES)
		return annex_err_set(err, "Config", "unknown AWS service %d", (int)svc);
	if (aws_region_validate(region, err) < 0)
		return -1;
	s = &endpoint_services[svc];
	part = endpoint_partition_of(region);

	if (option_url && *option_url)
		rc = endpoint_parse(option_url, s->option ? s->option : "option", out, err);
	else if (use_env && (v = endpoint_env(s->env)))
		rc = endpoint_parse(v, s->env, out, err);
	else if (use_env && (v = endpoint_env("AWS_ENDPOINT_URL")))
		rc = endpoint_parse(v, "AWS_ENDPOINT_URL", out, err);
	else if (s->knob && knob_url && *knob_url)
		rc = endpoint_parse(knob_url, s->knob, out, err);
	else {
		out->https = 1;
		out->source = "derived";
		out->base_path = xstrdup("");
		if (svc == AWS_IAM)
			out->host = xstrdup(part->iam_host);
		else if (svc == AWS_PRICING)
			out->host = xasprintf("api.pricing.%s.%s", endpoint_pricing_region(part), part->domain);
		else
			out->host = xasprintf("%s.%s.%s", s->name, region, part->domain);
		out->url = xasprintf("https://%s", out->host);
		rc = 0;
	}
	if (rc < 0) {
		aws_endpoint_free(out);
		return -1;
	}
	out->signing_region = xstrdup(svc == AWS_IAM ? part->iam_region :
				      svc == AWS_PRICING ? endpoint_pricing_region(part) : region);
	return 0;
}

void aws_endpoint_free(struct aws_endpoint *ep)
{
	if (!ep)
		return;
	free(ep->url);
	free(ep->host);
	free(ep->base_path);
	free(ep->signing_region);
	memset(ep, 0, sizeof(*ep));
}
