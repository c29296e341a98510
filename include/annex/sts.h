/* sts.h - STS calls annex makes. */
#ifndef ANNEX_STS_H
#define ANNEX_STS_H

#include "annex/aws.h"

struct sts_identity {
	char account[32];
	char arn[512];
	char partition[16];     /* from the ARN: "aws", "aws-cn", "aws-us-gov" */
};

int sts_get_caller_identity(struct aws_ctx *ctx, struct sts_identity *out, struct annex_err *err);

#endif
