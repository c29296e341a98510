/* s3.h - the S3 calls annex makes (the configuration bucket). */
#ifndef ANNEX_S3_H
#define ANNEX_S3_H

#include "annex/aws.h"

/* 1 when the bucket exists and is ours to use, 0 when it does not exist,
 * -1 on error (403: it exists but belongs to someone else, say). */
int s3_bucket_exists(struct aws_ctx *ctx, const char *bucket, struct annex_err *err);
/* Creates the bucket in the context's region (LocationConstraint absent in
 * us-east-1, present elsewhere). BucketAlreadyOwnedByYou counts as success. */
int s3_create_bucket(struct aws_ctx *ctx, const char *bucket, struct annex_err *err);
int s3_delete_bucket(struct aws_ctx *ctx, const char *bucket, struct annex_err *err);

#endif
