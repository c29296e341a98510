/* s3.c - the configuration bucket: exists, create, delete. */
#include "annex/s3.h"

#include <string.h>

int s3_bucket_exists(struct aws_ctx *ctx, const char *bucket, struct annex_err *err)
{
	struct aws_reply r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = aws_s3(ctx, "HEAD", bucket, NULL, NULL, NULL, 0, NULL, &r, err);
	if (rc == 0) {
		aws_reply_free(&r);
		return 1;
	}
	aws_reply_free(&r);
	if (err->http_status == 404) {
		annex_err_clear(err);
		return 0;
	}
	if (err->http_status == 403)
		return annex_err_set(err, "AccessDenied",
			"bucket %s exists but this account cannot use it (403)", bucket);
	return -1;
}

int s3_create_bucket(struct aws_ctx *ctx, const char *bucket, struct annex_err *err)
{
	const char *region = aws_ctx_region(ctx);
	struct aws_reply r;
	struct buf body = BUF_INIT;
	int rc;

	memset(&r, 0, sizeof(r));
	if (strcmp(region, "us-east-1") != 0)
		buf_printf(&body, "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
			   "<LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>", region);
	rc = aws_s3(ctx, "PUT", bucket, NULL, NULL, body.data, body.len,
		    body.len ? "application/xml" : NULL, &r, err);
	aws_reply_free(&r);
	buf_free(&body);
	if (rc != 0 && strcmp(err->code, "BucketAlreadyOwnedByYou") == 0) {
		annex_err_clear(err);
		return 0;
	}
	return rc;
}

int s3_delete_bucket(struct aws_ctx *ctx, const char *bucket, struct annex_err *err)
{
	struct aws_reply r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = aws_s3(ctx, "DELETE", bucket, NULL, NULL, NULL, 0, NULL, &r, err);
	aws_reply_free(&r);
	if (rc != 0 && strcmp(err->code, "NoSuchBucket") == 0) {
		annex_err_clear(err);
		return 0;
	}
	return rc;
}
