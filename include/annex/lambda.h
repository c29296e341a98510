/* lambda.h - the Lambda calls of -setup and -check-setup. Functions are
 * addressed by name (moto rejects ARN paths under signature checking, and
 * the name is what annex chose anyway). */
#ifndef ANNEX_LAMBDA_H
#define ANNEX_LAMBDA_H

#include <stddef.h>

#include "annex/aws.h"

struct lambda_function_spec {
	const char *name;
	const char *role_arn;
	const char *runtime;        /* "python3.12" */
	const char *handler;        /* "lease.handler" */
	const char *description;
	const void *zip;
	size_t zip_len;
	int timeout_s;
	struct { const char *key, *value; } env[4];  /* Environment.Variables */
	size_t n_env;
};

/* 1 found (*arn set), 0 not found, -1 error. */
int lambda_get_function(struct aws_ctx *ctx, const char *name, char **arn, struct annex_err *err);
/* GetFunction's Configuration (Runtime, Handler, Role, Timeout,
 * Environment, CodeSha256, ...): 1 with *config (json_object_put), 0 not
 * found, -1 error. */
int lambda_get_function_config(struct aws_ctx *ctx, const char *name, json_object **config,
			       struct annex_err *err);
/* UpdateFunctionCode with a zip. */
int lambda_update_function_code(struct aws_ctx *ctx, const char *name, const void *zip, size_t zip_len,
				struct annex_err *err);
/* UpdateFunctionConfiguration with the fields in `in` (Runtime, Handler,
 * Role, Timeout, Environment...). */
int lambda_update_function_configuration(struct aws_ctx *ctx, const char *name, json_object *in,
					 struct annex_err *err);
/* call: the resend policy (NULL: the default), e.g. an IAM wait for a new role. */
int lambda_create_function(struct aws_ctx *ctx, const struct lambda_function_spec *spec,
			   const struct aws_call *call, char **arn, struct annex_err *err);
int lambda_delete_function(struct aws_ctx *ctx, const char *name, struct annex_err *err);
/* 1 when the function's resource policy holds statement `sid`, 0 not, -1 error. */
int lambda_has_permission(struct aws_ctx *ctx, const char *name, const char *sid, struct annex_err *err);
/* The statement `sid` of the function's resource policy as JSON text
 * (*statement, malloc'd): 1, 0 when there is none, -1 error. */
int lambda_get_permission(struct aws_ctx *ctx, const char *name, const char *sid, char **statement,
			  struct annex_err *err);
/* RemovePermission of statement `sid`; one already gone is not an error. */
int lambda_remove_permission(struct aws_ctx *ctx, const char *name, const char *sid, struct annex_err *err);
/* source_account (may be NULL) guards against a confused deputy: only
 * rules of that account may invoke the function. */
int lambda_add_permission(struct aws_ctx *ctx, const char *name, const char *sid, const char *principal,
			  const char *source_arn, const char *source_account, struct annex_err *err);

/* Invoke, synchronously (RequestResponse): payload is the event's JSON
 * text. Returns 1 when the function ran: *reply is its output (malloc'd,
 * NUL-terminated, at most 64 KiB kept) and *function_error the
 * X-Amz-Function-Error header's value when the function itself failed
 * (malloc'd) or NULL; 0 when no such function exists; -1 with err for
 * any other error (throttling that outlasted the retries included). */
int lambda_invoke(struct aws_ctx *ctx, const char *name, const char *payload, char **reply,
		  char **function_error, struct annex_err *err);

#endif
